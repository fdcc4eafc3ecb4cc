/*
 * ticksink: encode rows for ClickHouse's RowBinary format, and read a
 * batch of tick rows out as one block of its Native format.
 */
#ifndef HANDLERS_ROWENC_H
#define HANDLERS_ROWENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "schema.h"
#include "tick.h"

/* Where a message came from in Kafka. */
struct rowenc_origin {
	const char	*topic;		/* borrowed */
	int32_t		 partition;
	int64_t		 offset;
	int64_t		 timestamp_ms;	/* Kafka message time; -1 if none */
};

/* A rejected message, as the rejects table stores it. */
struct rowenc_reject {
	struct rowenc_origin	 origin;
	int64_t			 rejected_ms;
	const char		*reason;	/* borrowed */
	const char		*detail;	/* borrowed */
	const void		*raw;		/* borrowed; may be NULL */
	size_t			 raw_size;	/* full size of the message */
	size_t			 raw_max;	/* bytes of raw kept */
};

/*
 * A ticks batch read out as one Native block, in pieces of any size: the
 * number of columns and of rows, then per column its name, its type and
 * its values.  Each tick value is stored in Native as the very bytes
 * rowenc_tick wrote for it, so the block is the batch's rows transposed
 * behind a few headers, rowenc_native_size() bytes in all.
 */
struct rowenc_native {
	const uint8_t		*rows;		/* borrowed: rowenc_tick rows */
	uint32_t		 nrows;
	enum schema_dialect	 dialect;
	unsigned		 col;		/* column being read */
	uint32_t		 row;		/* its next row */
	size_t			 at;		/* where that row starts */
	size_t			 part;		/* bytes of its value read */
	size_t			 sym_at;	/* a row's symbol length byte */
	size_t			 fixed;		/* a row's bytes bar the symbol */
	size_t			 off;		/* the column's value in a row */
	bool			 after;		/* ... + the symbol's length */
	unsigned		 width;		/* its width; 0: the symbol */
	uint8_t			 head[96];	/* a header being read */
	size_t			 head_len;
	size_t			 head_at;
};

size_t	rowenc_native_size(enum schema_dialect, size_t, uint32_t);
void	rowenc_native_start(struct rowenc_native *, enum schema_dialect,
	    const void *, uint32_t);
/* Back to the block's first byte. */
void	rowenc_native_rewind(struct rowenc_native *);
/* Read up to size bytes of the block into dst; 0 once it was all read. */
size_t	rowenc_native_read(struct rowenc_native *, void *, size_t);
bool	rowenc_native_done(const struct rowenc_native *);

void	rowenc_tick(struct buf *, enum schema_dialect, const struct tick *,
	    const struct rowenc_origin *);
void	rowenc_reject(struct buf *, enum schema_dialect,
	    const struct rowenc_reject *);
/* Read back one tick row; topic in the origin is left alone. */
int	rowenc_tick_parse(const uint8_t *, size_t, enum schema_dialect,
	    struct tick *, struct rowenc_origin *);
/* The partition and offset stored in one row of a table. */
void	rowenc_origin(const uint8_t *, size_t, enum schema_table,
	    enum schema_dialect, int32_t *, int64_t *);
/* Read an n-byte little-endian value. */
uint64_t rowenc_le(const uint8_t *, int);
/* Render a tick as one JSON line into buf; returns the length. */
int	rowenc_tick_json(const struct tick *, char *, size_t);

#endif /* HANDLERS_ROWENC_H */
