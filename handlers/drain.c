/*
 * ticksink: drain decisions.
 *
 * The drain runs RUNNING -> FLUSHING -> WAIT_INSERTS -> CLOSING_CONSUMER ->
 * DONE.  The consumer is closed only after every insert landed, so the final
 * commit (which closing makes) covers everything consumed.  If the deadline
 * passes first the drain gives up: what was not committed is redelivered on
 * the next start, which at-least-once delivery makes safe.
 */

#include "drain.h"

static const char *drain_state_names[] = {
	"running", "flushing", "wait_inserts", "closing_consumer", "done",
	"expired"
};

/* The next state from s given in; s itself when nothing changes. */
enum drain_state
drain_next(enum drain_state s, const struct drain_input *in)
{
	if (s != DRAIN_RUNNING && s != DRAIN_DONE && in->deadline_passed)
		return (DRAIN_EXPIRED);
	switch (s) {
	case DRAIN_RUNNING:
		return (in->requested ? DRAIN_FLUSHING : s);
	case DRAIN_FLUSHING:
		return (DRAIN_WAIT_INSERTS);
	case DRAIN_WAIT_INSERTS:
		return (in->sink_idle ? DRAIN_CLOSING_CONSUMER : s);
	case DRAIN_CLOSING_CONSUMER:
		return (in->consumer_closed ? DRAIN_DONE : s);
	case DRAIN_DONE:
	case DRAIN_EXPIRED:
		break;
	}
	return (s);
}

/* Name of a state, for logs. */
const char *
drain_state_name(enum drain_state s)
{
	return (drain_state_names[s]);
}
