/*
 * ticksink: batch flush decisions.
 *
 * A batch is sent when it holds max_rows rows, when its body reaches
 * max_bytes (so a body is at most max_bytes plus one row), or when
 * max_delay has passed since its FIRST row.  The sizes are checked as each
 * row is added (batch_full), the delay from a timer (batch_check): in a
 * quiet market the last rows are sent on time even though no further
 * message arrives (the replaced consumer only checked on arrival), and a
 * row read after the deadline but before the timer ran still joins the
 * batch, which is how the reactor can leave a batch's messages in Kafka's
 * queue until its deadline and read them all then (sink_read_by).
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
	enum batch_decision	d;

	if ((d = batch_full(l, nrows, bytes)) != BATCH_KEEP || nrows == 0)
		return (d);
	if (now_us >= opened_us + l->max_delay_us)
		return (BATCH_FLUSH_DELAY);
	return (BATCH_KEEP);
}

/* The sizes alone: rows, then bytes; keep if neither limit is reached. */
enum batch_decision
batch_full(const struct batch_limits *l, uint32_t nrows, size_t bytes)
{
	if (nrows == 0)
		return (BATCH_KEEP);
	if (nrows >= l->max_rows)
		return (BATCH_FLUSH_ROWS);
	if (bytes >= l->max_bytes)
		return (BATCH_FLUSH_BYTES);
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
