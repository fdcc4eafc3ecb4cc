/*
 * ticksink: which ClickHouse endpoint requests go to.
 */
#ifndef HANDLERS_ENDPOINT_H
#define HANDLERS_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "insert.h"

/* At most this many URLs in [clickhouse] url. */
#define ENDPOINT_MAX	16

struct endpoints {
	size_t		n;		/* 1 to ENDPOINT_MAX */
	size_t		cur;		/* where new requests go */
	uint64_t	switches;	/* times cur moved */
};

void	endpoints_init(struct endpoints *, size_t);
bool	endpoints_failed(struct endpoints *, size_t);
bool	endpoint_is_away(const struct insert_response *);

#endif /* HANDLERS_ENDPOINT_H */
