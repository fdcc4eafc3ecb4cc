/*
 * ticksink: a growable byte buffer with little-endian and RowBinary writers.
 */
#ifndef HANDLERS_BUF_H
#define HANDLERS_BUF_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Bytes data[0..len) are valid; cap is the allocation. Owned by its holder. */
struct buf {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
};

void	buf_init(struct buf *);
void	buf_clear(struct buf *);
void	buf_grow(struct buf *, size_t);
void	buf_add(struct buf *, const void *, size_t);
void	buf_add_str(struct buf *, const char *);
void	buf_add_varint(struct buf *, uint64_t);
void	buf_add_bytes(struct buf *, const void *, size_t);

/*
 * The writers below run several times for every row, so they are inline:
 * the room check is one comparison, and no call costs more than its stores
 * (out of line they were 3% of the core's instructions).
 */

/* Make room for extra more bytes. */
static inline void
buf_reserve(struct buf *b, size_t extra)
{
	if (extra > b->cap - b->len)
		buf_grow(b, extra);
}

/* Append one byte. */
static inline void
buf_add_u8(struct buf *b, uint8_t v)
{
	buf_reserve(b, 1);
	b->data[b->len++] = v;
}

/* Append a little-endian 32-bit value. */
static inline void
buf_add_le32(struct buf *b, uint32_t v)
{
	uint8_t	*p;

	buf_reserve(b, 4);
	p = b->data + b->len;
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	b->len += 4;
}

/* Append a little-endian 64-bit value. */
static inline void
buf_add_le64(struct buf *b, uint64_t v)
{
	buf_add_le32(b, (uint32_t)v);
	buf_add_le32(b, (uint32_t)(v >> 32));
}

/* Append an IEEE 754 double, little-endian (ClickHouse's Float64). */
static inline void
buf_add_double(struct buf *b, double d)
{
	uint64_t	v;

	static_assert(sizeof(d) == sizeof(v), "double is 64 bits");
	memcpy(&v, &d, sizeof v);
	buf_add_le64(b, v);
}

/* Empty the buffer but keep its allocation for reuse. */
static inline void
buf_reset(struct buf *b)
{
	b->len = 0;
}

#endif /* HANDLERS_BUF_H */
