/*
 * ticksink: batch flush decisions.
 *
 * A batch is sent when it holds max_rows rows, when its body reaches
 * max_bytes (so a body is at most max_bytes plus one row), or when
 * max_delay has passed since its FIRST row.  The delay is measured from the
 * first row, not the last, and is checked from a timer as well as on each
 * message: in a quiet market the last rows are sent on time even though no
 * further message arrives (the replaced consumer only checked on arrival).
 * The sink also closes a backlog's last batch when Kafka has nothing more
 * (caught_up, sink_caught_up) and every batch on the drain (drain); those
 * are not decisions on the batch alone, but are named here too.
 */

#include "batch.h"

static const char *batch_decision_names[] = {
	"keep", "rows", "bytes", "delay", "caught_up", "drain"
};

/* Decide for a batch of nrows rows and bytes, opened at opened_us. */
enum batch_decision
batch_check(const struct batch_limits *l, uint32_t nrows, size_t bytes,
    uint64_t opened_us, uint64_t now_us)
{
	if (nrows == 0)
		return (BATCH_KEEP);
	if (nrows >= l->max_rows)
		return (BATCH_FLUSH_ROWS);
	if (bytes >= l->max_bytes)
		return (BATCH_FLUSH_BYTES);
	if (now_us >= opened_us + l->max_delay_us)
		return (BATCH_FLUSH_DELAY);
	return (BATCH_KEEP);
}

/* When a batch opened at opened_us is due; UINT64_MAX when empty. */
uint64_t
batch_deadline(const struct batch_limits *l, uint32_t nrows,
    uint64_t opened_us)
{
	if (nrows == 0)
		return (UINT64_MAX);
	return (opened_us + l->max_delay_us);
}

/* Name of a decision, for logs and metrics. */
const char *
batch_decision_name(enum batch_decision d)
{
	return (batch_decision_names[d]);
}
