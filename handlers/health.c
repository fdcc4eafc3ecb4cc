/*
 * ticksink: health decisions for the systemd watchdog.
 *
 * A timer that fires only proves that the loop turns.  The watchdog is fed
 * only when the pipeline also makes progress: when there is work waiting
 * (consumer lag, or consumed rows not landed yet), rows must have landed
 * within stall_us of the later of the work appearing and the last landing.
 * A quiet upstream (no lag, nothing held) is healthy however long it lasts.
 *
 * ClickHouse being unreachable (the last request got no HTTP answer at all:
 * refused, reset, timed out) is reported but keeps the pings going: a
 * restart cannot bring a server back, the consumer is paused by the memory
 * bound and Kafka keeps everything uncommitted, and a restart loop would
 * only exhaust systemd's start limit and leave the unit failed when the
 * server returns.  A server that answers and still takes nothing (a table
 * detached, a grant revoked, a read-only disk) is a stall: the restart runs
 * the start-up schema checks again, which either repair the tables or stop
 * with a message that says what is wrong.
 *
 * Independent of the data: a request older than its timeout (curl should
 * have ended it), a consumer not polled for poll_max_us (the poll timer or
 * the queue wiring is broken) and a drain past its deadline (the exit did
 * not happen) are unhealthy in every state.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "health.h"

static const char *health_state_names[] = {
	"starting", "idle", "flowing", "clickhouse unreachable", "draining",
	"stalled", "consumer not polled", "request stuck", "drain overdue"
};

static uint64_t	health_rate(uint64_t, uint64_t, uint64_t, uint64_t);
static int	health_parse_u64(const char *, uint64_t *);

/* Start from "starting" with nothing waiting. */
void
health_init(struct health *h)
{
	memset(h, 0, sizeof *h);
	h->state = HEALTH_STARTING;
}

/* Look at the pipeline once; returns (and remembers) the state. */
enum health_state
health_check(struct health *h, const struct health_input *in,
    const struct health_limits *l)
{
	enum health_state	s;
	uint64_t		from, now = in->now_us;
	bool			work;

	work = in->lag > 0 || in->buffered_bytes > 0;
	if (!work)
		h->work_since_us = 0;
	else if (h->work_since_us == 0)
		h->work_since_us = now;

	if (in->oldest_request_us > l->request_max_us)
		s = HEALTH_REQUEST_STUCK;
	else if (in->last_poll_us != 0 && now > in->last_poll_us &&
	    now - in->last_poll_us > l->poll_max_us)
		s = HEALTH_POLL_STALE;
	else if (h->drain_since_us != 0)
		s = now - h->drain_since_us > l->drain_max_us ?
		    HEALTH_DRAIN_OVERDUE : HEALTH_DRAINING;
	else if (in->last_poll_us == 0)
		s = HEALTH_STARTING;
	else if (!work)
		s = HEALTH_IDLE;
	else {
		from = h->work_since_us;
		if (in->last_landed_us > from)
			from = in->last_landed_us;
		if (now < from || now - from < l->stall_us)
			s = HEALTH_FLOWING;
		else if (!in->ch_reachable)
			s = HEALTH_CH_DOWN;
		else
			s = HEALTH_STALLED;
	}
	h->state = s;
	return (s);
}

/* The drain began at now_us, with landed rows landed so far. */
void
health_drain_begin(struct health *h, uint64_t now_us, uint64_t landed)
{
	if (h->drain_since_us != 0)
		return;
	h->drain_since_us = now_us != 0 ? now_us : 1;
	h->extend_landed = landed;
	h->extend_at_us = 0;
}

/*
 * During a drain: returns window_us when rows landed since the last
 * extension (or since the drain began) and the last one is at least
 * HEALTH_EXTEND_GAP_US old, so EXTEND_TIMEOUT_USEC is sent only while the
 * drain makes progress; 0 otherwise.
 */
uint64_t
health_drain_extend(struct health *h, uint64_t now_us, uint64_t landed,
    uint64_t window_us)
{
	if (h->drain_since_us == 0 || landed <= h->extend_landed)
		return (0);
	if (h->extend_at_us != 0 && now_us - h->extend_at_us <
	    HEALTH_EXTEND_GAP_US)
		return (0);
	h->extend_landed = landed;
	h->extend_at_us = now_us != 0 ? now_us : 1;
	return (window_us);
}

/*
 * Before READY=1 systemd's watchdog is not armed yet, only the start
 * timeout: while the loop turns and the checks pass (ClickHouse or Kafka
 * may be slow to answer, which a restart would not cure), returns window_us
 * for EXTEND_TIMEOUT_USEC; 0 once ready or when unhealthy, so a start that
 * hangs still times out.
 */
uint64_t
health_start_extend(enum health_state s, bool ready, uint64_t window_us)
{
	return (!ready && health_is_ok(s) ? window_us : 0);
}

/* Does this state feed the watchdog? */
bool
health_is_ok(enum health_state s)
{
	return (s <= HEALTH_DRAINING);
}

/* Name of a state, for logs and STATUS=. */
const char *
health_state_name(enum health_state s)
{
	return (health_state_names[s]);
}

/* Events per second between two counts, rounded; 0 without a time span. */
static uint64_t
health_rate(uint64_t before, uint64_t after, uint64_t t0, uint64_t t1)
{
	uint64_t	dt;

	if (t1 <= t0 || after < before)
		return (0);
	dt = t1 - t0;
	return (((after - before) * 1000000 + dt / 2) / dt);
}

/* One STATUS= line. */
int
health_status(char *buf, size_t size, enum health_state s,
    const struct health_counters *prev, const struct health_counters *cur,
    int64_t lag, uint64_t buffered_bytes, bool ch_reachable)
{
	char	lagbuf[32], bufbuf[32];

	if (lag < 0)
		snprintf(lagbuf, sizeof lagbuf, "?");
	else
		snprintf(lagbuf, sizeof lagbuf, "%" PRId64, lag);
	if (buffered_bytes < 1024)
		snprintf(bufbuf, sizeof bufbuf, "%" PRIu64 " B",
		    buffered_bytes);
	else if (buffered_bytes < 1024 * 1024)
		snprintf(bufbuf, sizeof bufbuf, "%.1f KiB",
		    buffered_bytes / 1024.0);
	else
		snprintf(bufbuf, sizeof bufbuf, "%.1f MiB",
		    buffered_bytes / (1024.0 * 1024.0));
	return (snprintf(buf, size, "%s%s: in %" PRIu64 "/s, landed %"
	    PRIu64 "/s, rejects %" PRIu64 ", lag %s, buffered %s, "
	    "clickhouse %s", health_state_name(s),
	    health_is_ok(s) ? "" : " (watchdog stopped)",
	    health_rate(prev->messages, cur->messages, prev->at_us, cur->at_us),
	    health_rate(prev->rows_landed, cur->rows_landed, prev->at_us,
	    cur->at_us), cur->rejects_landed, lagbuf, bufbuf,
	    ch_reachable ? "ok" : "unreachable"));
}

/* A positive decimal without sign or blanks; 0 on success, -1 otherwise. */
static int
health_parse_u64(const char *s, uint64_t *out)
{
	uint64_t	v = 0;
	unsigned	d;

	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		d = *s - '0';
		if (v > (UINT64_MAX - d) / 10)
			return (-1);
		v = v * 10 + d;
	}
	if (v == 0)
		return (-1);
	*out = v;
	return (0);
}

/* WATCHDOG_USEC and WATCHDOG_PID, as sd_watchdog_enabled() reads them. */
int
health_watchdog_usec(const char *usec, const char *pid, long self,
    uint64_t *usec_out)
{
	uint64_t	u, p;

	if (usec == NULL)
		return (0);
	if (health_parse_u64(usec, &u) != 0)
		return (-1);
	if (pid != NULL) {
		if (health_parse_u64(pid, &p) != 0)
			return (-1);
		if (p != (uint64_t)self)
			return (0);
	}
	*usec_out = u;
	return (1);
}

/* Half the watchdog timeout, as sd_watchdog_enabled(3) recommends. */
uint64_t
health_watchdog_interval(uint64_t usec)
{
	return (usec / 2 < HEALTH_WD_MIN_INTERVAL_US ?
	    HEALTH_WD_MIN_INTERVAL_US : usec / 2);
}
