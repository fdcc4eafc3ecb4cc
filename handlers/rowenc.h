/*
 * ticksink: encode rows for ClickHouse's RowBinary format.
 */
#ifndef HANDLERS_ROWENC_H
#define HANDLERS_ROWENC_H

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
