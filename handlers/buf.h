/*
 * ticksink: a growable byte buffer with little-endian and RowBinary writers.
 */
#ifndef HANDLERS_BUF_H
#define HANDLERS_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Bytes data[0..len) are valid; cap is the allocation. Owned by its holder. */
struct buf {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
};

void	buf_init(struct buf *);
void	buf_clear(struct buf *);
void	buf_reserve(struct buf *, size_t);
void	buf_add(struct buf *, const void *, size_t);
void	buf_add_str(struct buf *, const char *);
void	buf_add_u8(struct buf *, uint8_t);
void	buf_add_le32(struct buf *, uint32_t);
void	buf_add_le64(struct buf *, uint64_t);
void	buf_add_double(struct buf *, double);
void	buf_add_varint(struct buf *, uint64_t);
void	buf_add_bytes(struct buf *, const void *, size_t);

/* Empty the buffer but keep its allocation for reuse. */
static inline void
buf_reset(struct buf *b)
{
	b->len = 0;
}

#endif /* HANDLERS_BUF_H */
