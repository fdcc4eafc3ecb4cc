/*
 * ticksink: the systemd watchdog and status timers, and the readiness and
 * stopping notifications.
 *
 * The watchdog timer runs at half of WATCHDOG_USEC, the interval
 * sd_watchdog_enabled(3) recommends, and sends WATCHDOG=1 only when
 * handlers/health.c calls the pipeline healthy: a timer that fires proves
 * that the loop turns, the health check that it also makes progress.  When
 * the check fails the ping is skipped, and systemd restarts the service
 * once WatchdogSec passes without one.
 *
 * The status timer (status_interval_ms) sends STATUS= with the rates, the
 * lag and what is held, logs health transitions and writes the counts of
 * suppressed log lines.  Before READY=1, when systemd's watchdog is not
 * armed yet, it sends EXTEND_TIMEOUT_USEC while healthy, so a start that
 * waits for an unreachable ClickHouse or Kafka is not killed by
 * TimeoutStartSec= but one whose loop hangs is.
 *
 * READY=1 goes out once, from a zero-timeout event after the first
 * assignment (the consumer only starts after ClickHouse answered and the
 * tables are right), so it is sent from a turning loop.
 */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "health.h"
#include "log.h"
#include "notify.h"
#include "sink.h"
#include "svc.h"

#define TIMER_WD_POLL_MAX_MS	10000	/* kpoll polls every second */
#define TIMER_WD_SLACK_MS	5000	/* over request and drain deadlines */
#define TIMER_WD_EXTEND_MIN_MS	10000	/* least EXTEND_TIMEOUT_USEC */
#define TIMER_WD_LINE_MAX	256

static void		 timer_watchdog_cb(evutil_socket_t, short, void *);
static void		 timer_watchdog_status_cb(evutil_socket_t, short,
			     void *);
static void		 timer_watchdog_ready_cb(evutil_socket_t, short,
			     void *);
static enum health_state timer_watchdog_check(struct svc *,
			     struct health_input *);
static void		 timer_watchdog_counters(struct svc *, uint64_t,
			     struct health_counters *);
static void		 timer_watchdog_line(struct svc *, char *, size_t,
			     bool);
static uint64_t		 timer_watchdog_window_us(struct svc *);

/* Read the watchdog environment and start both timers. */
void
timer_watchdog_init(struct svc *svc)
{
	uint64_t	usec;
	int		rc;

	health_init(&svc->health);
	svc->ch_reachable = true;	/* until an answer says otherwise */
	timer_watchdog_counters(svc, loop_now_us(), &svc->status_prev);
	rc = health_watchdog_usec(getenv("WATCHDOG_USEC"),
	    getenv("WATCHDOG_PID"), (long)getpid(), &usec);
	if (rc < 0)
		log_warnx("systemd: malformed WATCHDOG_USEC or WATCHDOG_PID; "
		    "no watchdog");
	if (rc > 0) {
		svc->wd_interval_us = health_watchdog_interval(usec);
		svc->ev_wd = event_new(svc->base, -1, EV_PERSIST,
		    timer_watchdog_cb, svc);
		loop_event_add_us(svc->ev_wd, svc->wd_interval_us);
		log_info("systemd: watchdog timeout %llu ms, pinging every "
		    "%llu ms while healthy", (unsigned long long)usec / 1000,
		    (unsigned long long)svc->wd_interval_us / 1000);
		if (!notify_is_available())
			log_warnx("systemd: built without libsystemd, the "
			    "watchdog will not be fed");
	}
	svc->ev_status = event_new(svc->base, -1, EV_PERSIST,
	    timer_watchdog_status_cb, svc);
	loop_event_add_us(svc->ev_status,
	    (uint64_t)svc->conf->status_interval_ms * 1000);
}

/* Free both timers. */
void
timer_watchdog_free(struct svc *svc)
{
	if (svc->ev_wd != NULL)
		event_free(svc->ev_wd);
	if (svc->ev_status != NULL)
		event_free(svc->ev_status);
	svc->ev_wd = svc->ev_status = NULL;
}

/* The sink's counters now. */
static void
timer_watchdog_counters(struct svc *svc, uint64_t now,
    struct health_counters *c)
{
	c->at_us = now;
	if (svc->sink == NULL) {
		c->messages = c->rows_landed = c->rejects_landed = 0;
		return;
	}
	c->messages = svc->sink->stats.messages;
	c->rows_landed = svc->sink->stats.rows_landed;
	c->rejects_landed = svc->sink->stats.rejects_landed;
}

/*
 * Gather the inputs, run the health check and log a change that matters:
 * into or out of a state that stops the pings, and into or out of
 * "clickhouse unreachable".
 */
static enum health_state
timer_watchdog_check(struct svc *svc, struct health_input *in)
{
	struct conf		*c = svc->conf;
	struct health_limits	 l;
	enum health_state	 old = svc->health.state, s;
	char			 line[TIMER_WD_LINE_MAX];

	in->now_us = loop_now_us();
	in->last_poll_us = svc->rk != NULL ? svc->last_poll_us : 0;
	in->last_landed_us = svc->sink != NULL ?
	    svc->sink->stats.last_landed_us : 0;
	in->lag = kafka_lag(svc);
	in->buffered_bytes = svc->sink != NULL ?
	    sink_buffered_bytes(svc->sink) : 0;
	in->oldest_request_us = http_oldest_age_us(svc, in->now_us);
	in->ch_reachable = svc->ch_reachable;
	l.stall_us = (uint64_t)c->stall_timeout_ms * 1000;
	l.poll_max_us = (uint64_t)TIMER_WD_POLL_MAX_MS * 1000;
	l.request_max_us = ((uint64_t)c->ch_timeout_ms + TIMER_WD_SLACK_MS) *
	    1000;
	l.drain_max_us = ((uint64_t)c->drain_timeout_ms + TIMER_WD_SLACK_MS) *
	    1000;
	s = health_check(&svc->health, in, &l);
	if (s == old)
		return (s);
	timer_watchdog_line(svc, line, sizeof line, false);
	if (health_is_ok(s) == health_is_ok(old) && s != HEALTH_CH_DOWN &&
	    old != HEALTH_CH_DOWN)
		log_debug("%s: %s -> %s", __func__, health_state_name(old),
		    health_state_name(s));
	else if (!health_is_ok(s) || s == HEALTH_CH_DOWN)
		log_warnx("health: %s -> %s; %s%s", health_state_name(old),
		    health_state_name(s), line, health_is_ok(s) ? "" :
		    "; watchdog pings stop");
	else
		log_info("health: %s -> %s; %s%s", health_state_name(old),
		    health_state_name(s), line, health_is_ok(old) ? "" :
		    "; watchdog pings resume");
	return (s);
}

/*
 * The STATUS= line for the current state; advance moves the rate window on
 * (only the status timer does, so READY and STOPPING do not shorten it).
 */
static void
timer_watchdog_line(struct svc *svc, char *buf, size_t size, bool advance)
{
	struct health_counters	cur;
	int64_t			lag;
	uint64_t		buffered;

	timer_watchdog_counters(svc, loop_now_us(), &cur);
	lag = kafka_lag(svc);
	buffered = svc->sink != NULL ? sink_buffered_bytes(svc->sink) : 0;
	health_status(buf, size, svc->health.state, &svc->status_prev, &cur,
	    lag, buffered, svc->ch_reachable);
	if (advance)
		svc->status_prev = cur;
}

/* Watchdog timer (evtimer, EV_PERSIST): ping only while healthy. */
static void
timer_watchdog_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct svc		*svc = arg;
	struct health_input	 in;

	(void)fd;
	(void)kind;
	if (health_is_ok(timer_watchdog_check(svc, &in)))
		notify_watchdog();
}

/* How long one EXTEND_TIMEOUT_USEC asks for: three status ticks or more. */
static uint64_t
timer_watchdog_window_us(struct svc *svc)
{
	uint64_t	ms = (uint64_t)svc->conf->status_interval_ms * 3;

	return ((ms < TIMER_WD_EXTEND_MIN_MS ? TIMER_WD_EXTEND_MIN_MS : ms) *
	    1000);
}

/*
 * Status timer (evtimer, EV_PERSIST): STATUS=, the start-up and drain
 * extensions, counts of suppressed log lines.
 */
static void
timer_watchdog_status_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct svc		*svc = arg;
	struct health_input	 in;
	enum health_state	 s;
	uint64_t		 usec;
	char			 line[TIMER_WD_LINE_MAX];

	(void)fd;
	(void)kind;
	s = timer_watchdog_check(svc, &in);
	timer_watchdog_line(svc, line, sizeof line, true);
	notify_status(line);
	log_debug("%s: %s", __func__, line);
	if ((usec = health_start_extend(s, svc->ready_sent ||
	    svc->drain_requested, timer_watchdog_window_us(svc))) != 0)
		notify_extend_timeout(usec);
	if (svc->drain_requested)
		timer_watchdog_progress(svc);
	log_flush(false);
}

/* The consumer got an assignment: READY=1 on the next loop pass, once. */
void
timer_watchdog_assigned(struct svc *svc)
{
	struct timeval	now = { 0, 0 };

	if (svc->ready_sent)
		return;
	svc->ready_sent = true;
	event_base_once(svc->base, -1, EV_TIMEOUT, timer_watchdog_ready_cb,
	    svc, &now);
}

/* Zero-timeout event (event_base_once) after the first assignment. */
static void
timer_watchdog_ready_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct svc		*svc = arg;
	struct health_input	 in;
	char			 line[TIMER_WD_LINE_MAX];

	(void)fd;
	(void)kind;
	if (svc->drain_requested)
		return;		/* STOPPING=1 was sent already */
	timer_watchdog_check(svc, &in);
	timer_watchdog_line(svc, line, sizeof line, false);
	notify_ready(line);
	log_info("systemd: ready: consumer assigned, clickhouse answered");
}

/* The drain begins: STOPPING=1, and the health check's drain clock. */
void
timer_watchdog_drain(struct svc *svc)
{
	struct health_counters	 c;
	struct health_input	 in;
	char			 line[TIMER_WD_LINE_MAX];

	timer_watchdog_counters(svc, loop_now_us(), &c);
	health_drain_begin(&svc->health, c.at_us,
	    c.rows_landed + c.rejects_landed);
	timer_watchdog_check(svc, &in);
	timer_watchdog_line(svc, line, sizeof line, false);
	notify_stopping(line);
}

/*
 * During the drain, after every event and status tick: when rows landed
 * since the last extension, ask systemd for more time (EXTEND_TIMEOUT_USEC)
 * so that a drain that still makes progress is not killed before its own
 * deadline even where TimeoutStopSec= is shorter.
 */
void
timer_watchdog_progress(struct svc *svc)
{
	struct health_counters	c;
	uint64_t		usec;

	timer_watchdog_counters(svc, loop_now_us(), &c);
	usec = health_drain_extend(&svc->health, c.at_us,
	    c.rows_landed + c.rejects_landed, timer_watchdog_window_us(svc));
	if (usec != 0) {
		notify_extend_timeout(usec);
		log_debug("%s: EXTEND_TIMEOUT_USEC=%llu", __func__,
		    (unsigned long long)usec);
	}
}
