/*
 * ticksink: the diagnostics heartbeat and the monitoring events.
 *
 * Every heartbeat_s the timer opens a window (handlers/diag.c), sends the
 * three INSERT ... SELECT statements over the asynchronous HTTP path and,
 * once all three landed, reads the window's numbers back (one short row) to
 * feed the episode tracker and the metrics.  A heartbeat still out when the
 * next one is due is not doubled: that tick is skipped.  A failed heartbeat
 * leaves the window open, so the next one covers it.
 *
 * Events go to monitoring_db as soon as they are queued and again at every
 * heartbeat while some wait (ClickHouse was away).  The drain waits for the
 * requests in flight here, so "System closing" lands before the exit.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "diag.h"
#include "health.h"
#include "log.h"
#include "sink.h"
#include "svc.h"

static void	timer_diag_cb(evutil_socket_t, short, void *);
static void	timer_diag_insert_done_cb(struct svc *, void *,
		    const struct insert_response *);
static void	timer_diag_result_done_cb(struct svc *, void *,
		    const struct insert_response *);
static void	timer_diag_events_done_cb(struct svc *, void *,
		    const struct insert_response *);
static void	timer_diag_send_events(struct svc *);
static void	timer_diag_settle(struct svc *);

/* The pipeline started: arm the heartbeat and record "System started". */
void
timer_diag_start(struct svc *svc)
{
	struct conf		*c = svc->conf;
	struct diag_limits	 l;
	struct timeval		 tv;
	char			 detail[DIAG_DETAIL_MAX];

	l.ws_lag_ms = c->diag_ws_lag_ms;
	l.proc_lag_ms = c->diag_proc_lag_ms;
	l.empty_limit = c->diag_empty_limit;
	diag_init(&svc->diag, svc->boot.caps.dialect, &l, loop_wall_ms());
	svc->diag_on = true;
	snprintf(detail, sizeof detail, "ticksink %s, clickhouse %d.%d.%d",
	    TICKSINK_VERSION, svc->boot.caps.major, svc->boot.caps.minor,
	    svc->boot.caps.patch);
	diag_event_add(&svc->diag, DIAG_EV_STARTED, loop_wall_ms(), detail);
	svc->ev_diag = event_new(svc->base, -1, EV_PERSIST, timer_diag_cb,
	    svc);
	tv.tv_sec = c->diag_heartbeat_s;
	tv.tv_usec = 0;
	event_add(svc->ev_diag, &tv);
	timer_diag_send_events(svc);
}

/* The drain begins: no more heartbeats; record "System closing". */
void
timer_diag_closing(struct svc *svc)
{
	if (!svc->diag_on)
		return;
	if (svc->ev_diag != NULL)
		event_del(svc->ev_diag);
	diag_event_add(&svc->diag, DIAG_EV_CLOSING, loop_wall_ms(),
	    "stop requested; draining");
	timer_diag_send_events(svc);
}

/* True while a heartbeat or an event insert is in flight. */
bool
timer_diag_is_busy(struct svc *svc)
{
	return (svc->diag_pending > 0 || svc->diag_events_out);
}

/* Free the heartbeat timer. */
void
timer_diag_free(struct svc *svc)
{
	if (svc->ev_diag != NULL)
		event_free(svc->ev_diag);
	svc->ev_diag = NULL;
}

/* After a request of ours ends, let a waiting drain move on. */
static void
timer_diag_settle(struct svc *svc)
{
	if (svc->drain_requested && !svc->in_drain_step)
		loop_drain_step(svc);
}

/* Heartbeat timer (evtimer, EV_PERSIST): state events, then the window. */
static void
timer_diag_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct svc	*svc = arg;
	const char	*db = svc->conf->ch_database;
	uint64_t	 msgs;
	char		*sql;
	int		 t;

	(void)fd;
	(void)kind;
	msgs = svc->sink != NULL ? svc->sink->stats.messages : 0;
	diag_observe_state(&svc->diag, loop_wall_ms(), svc->ch_reachable,
	    svc->health.state == HEALTH_STALLED, msgs -
	    svc->diag_prev_messages);
	svc->diag_prev_messages = msgs;
	timer_diag_send_events(svc);
	if (svc->diag_pending > 0) {
		log_debug("%s: last heartbeat still out; skipped", __func__);
		return;
	}
	if (!diag_window_open(&svc->diag, loop_wall_ms()))
		return;
	svc->diag_failed = false;
	for (t = 0; t < DIAG_NTABLES; t++) {
		sql = diag_heartbeat_sql(&svc->diag, t, db,
		    svc->conf->ch_table, diag_table_name(t));
		svc->diag_pending++;
		http_post(svc, svc->query_url, sql, strlen(sql), sql,
		    timer_diag_insert_done_cb, (void *)(intptr_t)t);
	}
}

/* One of the three heartbeat inserts answered. */
static void
timer_diag_insert_done_cb(struct svc *svc, void *arg,
    const struct insert_response *r)
{
	char	*sql;
	int	 t = (int)(intptr_t)arg;

	if (r->transport != INSERT_NET_OK || r->status != 200) {
		svc->diag_failed = true;
		log_warnx("diagnostics: heartbeat into %s failed: %.*s",
		    diag_table_name(t), (int)(r->len > 200 ? 200 : r->len),
		    r->body);
	}
	if (--svc->diag_pending > 0)
		return;
	if (svc->diag_failed) {
		svc->diag_beats_failed++;
		timer_diag_settle(svc);
		return;
	}
	sql = diag_result_sql(&svc->diag, svc->conf->ch_database,
	    diag_table_name(DIAG_WS), diag_table_name(DIAG_PROC));
	svc->diag_pending++;
	http_post(svc, svc->query_url, sql, strlen(sql), sql,
	    timer_diag_result_done_cb, NULL);
}

/* The window's numbers: move the window on, feed episodes and metrics. */
static void
timer_diag_result_done_cb(struct svc *svc, void *arg,
    const struct insert_response *r)
{
	struct diag_result	res;

	(void)arg;
	svc->diag_pending--;
	/* The rows are written either way; never write the window twice. */
	diag_window_done(&svc->diag);
	if (r->transport != INSERT_NET_OK || r->status != 200 ||
	    diag_parse_result(r->body, r->len, &res) != 0) {
		svc->diag_beats_failed++;
		log_warnx("diagnostics: reading the heartbeat back failed: "
		    "%.*s", (int)(r->len > 200 ? 200 : r->len), r->body);
		timer_diag_settle(svc);
		return;
	}
	svc->diag_beats_ok++;
	svc->diag_last = res;
	log_debug("%s: window %lld..%lld: %llu messages, websocket lag %.1f "
	    "ms, processing lag %.1f ms", __func__,
	    (long long)svc->diag.cur_start_ms, (long long)svc->diag.cur_end_ms,
	    (unsigned long long)res.messages, res.ws_lag_ms, res.proc_lag_ms);
	diag_observe_window(&svc->diag, loop_wall_ms(), &res);
	timer_diag_send_events(svc);
	timer_diag_settle(svc);
}

/* Send the events that wait, unless a send is out already. */
static void
timer_diag_send_events(struct svc *svc)
{
	char	*sql;
	size_t	 n = svc->diag.nevents;

	if (n == 0 || svc->diag_events_out || svc->ch_ready == false)
		return;
	sql = diag_events_sql(&svc->diag, n, svc->conf->ch_database,
	    svc->boot.tables[SCHEMA_MONITORING]);
	svc->diag_events_out = true;
	svc->diag_events_sending = n;
	http_post(svc, svc->query_url, sql, strlen(sql), sql,
	    timer_diag_events_done_cb, NULL);
}

/* Events answered: forget those that landed, send any queued since. */
static void
timer_diag_events_done_cb(struct svc *svc, void *arg,
    const struct insert_response *r)
{
	(void)arg;
	svc->diag_events_out = false;
	if (r->transport == INSERT_NET_OK && r->status == 200) {
		diag_events_sent(&svc->diag, svc->diag_events_sending);
		if (!svc->drain_requested || svc->diag.nevents > 0)
			timer_diag_send_events(svc);
	} else {
		log_warnx("diagnostics: %zu monitoring events not written "
		    "(kept for later): %.*s", svc->diag_events_sending,
		    (int)(r->len > 200 ? 200 : r->len), r->body);
	}
	timer_diag_settle(svc);
}
