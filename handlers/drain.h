/*
 * ticksink: the drain state machine (SIGTERM to exit).
 */
#ifndef HANDLERS_DRAIN_H
#define HANDLERS_DRAIN_H

#include <stdbool.h>

enum drain_state {
	DRAIN_RUNNING,
	DRAIN_FLUSHING,		/* pause, flush partial batches */
	DRAIN_WAIT_INSERTS,	/* inserts still queued or in flight */
	DRAIN_CLOSING_CONSUMER,	/* final commit, leaving the group */
	DRAIN_DONE,		/* exit 0 */
	DRAIN_EXPIRED		/* deadline passed: exit 1 */
};

/* What the drain decision looks at. */
struct drain_input {
	bool	requested;		/* a stop signal arrived */
	bool	sink_idle;		/* nothing open, queued or in flight */
	bool	consumer_closed;	/* rd_kafka_consumer_closed() */
	bool	deadline_passed;
};

enum drain_state	 drain_next(enum drain_state,
			     const struct drain_input *);
const char		*drain_state_name(enum drain_state);

#endif /* HANDLERS_DRAIN_H */
