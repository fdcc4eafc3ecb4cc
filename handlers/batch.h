/*
 * ticksink: when a batch of rows is due to be sent.
 */
#ifndef HANDLERS_BATCH_H
#define HANDLERS_BATCH_H

#include <stddef.h>
#include <stdint.h>

struct batch_limits {
	uint32_t	max_rows;
	size_t		max_bytes;
	uint64_t	max_delay_us;
};

/* What to do with an open batch after a row was added or time passed. */
enum batch_decision {
	BATCH_KEEP,
	BATCH_FLUSH_ROWS,
	BATCH_FLUSH_BYTES,
	BATCH_FLUSH_DELAY,
	BATCH_FLUSH_CAUGHT_UP,	/* Kafka has no more: a backlog's end */
	BATCH_FLUSH_DRAIN	/* the service stops */
};
#define BATCH_NDECISIONS	(BATCH_FLUSH_DRAIN + 1)

enum batch_decision	batch_check(const struct batch_limits *, uint32_t,
			    size_t, uint64_t, uint64_t);
enum batch_decision	batch_full(const struct batch_limits *, uint32_t,
			    size_t);
uint64_t		batch_deadline(const struct batch_limits *, uint32_t,
			    uint64_t);
const char		*batch_decision_name(enum batch_decision);

#endif /* HANDLERS_BATCH_H */
