/*
 * ticksink: metrics and health over HTTP, on the same event loop.
 *
 * libevent's evhttp serves three paths on [http] listen (127.0.0.1:9464 by
 * default): /metrics in the Prometheus text format, /healthz (the loop
 * answers, with the pipeline's health state in the body) and /readyz (200
 * only while partitions are assigned and ClickHouse answers, the body says
 * which is missing).  Every answer is built from counters already kept;
 * nothing here blocks.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "decode.h"
#include "diag.h"
#include "health.h"
#include "log.h"
#include "sink.h"
#include "svc.h"
#include "xmalloc.h"

struct metrics {
	struct evhttp		*http;
	struct diag_hist	 latency;	/* seconds */
	struct diag_hist	 batch;		/* rows */
};

/* Arguments of the per-partition lag callback. */
struct metrics_lag {
	struct evbuffer		*b;
	const char		*topic;
};

static const double metrics_latency_bounds[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
static const double metrics_batch_bounds[] = {
	1, 10, 100, 1000, 5000, 10000, 50000, 100000, 500000, 1000000
};

static void	metrics_request_cb(struct evhttp_request *, void *);
static void	metrics_render(struct svc *, struct evbuffer *);
static void	metrics_hist(struct evbuffer *, const char *, const char *,
		    const struct diag_hist *);
static void	metrics_lag_cb(void *, int32_t, int64_t, int64_t);
static void	metrics_reply(struct evhttp_request *, int, const char *,
		    struct evbuffer *);

/* Bind the listener; an empty [http] listen turns it off. */
void
metrics_init(struct svc *svc)
{
	struct metrics	*m;
	const char	*listen = svc->conf->http_listen, *colon;
	char		*host;
	long		 port;

	m = xcalloc(1, sizeof *m);
	diag_hist_init(&m->latency, metrics_latency_bounds,
	    sizeof metrics_latency_bounds / sizeof metrics_latency_bounds[0]);
	diag_hist_init(&m->batch, metrics_batch_bounds,
	    sizeof metrics_batch_bounds / sizeof metrics_batch_bounds[0]);
	svc->metrics = m;
	if (listen[0] == '\0')
		return;
	if ((colon = strrchr(listen, ':')) == NULL ||
	    (port = strtol(colon + 1, NULL, 10)) <= 0 || port > 65535)
		fatalx("config: [http] listen '%s': expected host:port",
		    listen);
	host = xstrndup(listen, colon - listen);
	if ((m->http = evhttp_new(svc->base)) == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(m->http, metrics_request_cb, svc);
	/*
	 * Metrics are not worth stopping the pipeline for: a port in use is
	 * logged and the service runs without them.
	 */
	if (evhttp_bind_socket(m->http, host, (uint16_t)port) != 0) {
		log_warnx("http: cannot listen on %s; no metrics", listen);
		evhttp_free(m->http);
		m->http = NULL;
	} else
		log_info("http: metrics on http://%s/metrics", listen);
	free(host);
}

/* Close the listener. */
void
metrics_free(struct svc *svc)
{
	if (svc->metrics == NULL)
		return;
	if (svc->metrics->http != NULL)
		evhttp_free(svc->metrics->http);
	free(svc->metrics);
	svc->metrics = NULL;
}

/* One insert answered: its latency (the request's own time) and size. */
void
metrics_insert_done(struct svc *svc, uint64_t elapsed_us, unsigned nrows)
{
	if (svc->metrics == NULL)
		return;
	diag_hist_observe(&svc->metrics->latency, elapsed_us / 1e6);
	diag_hist_observe(&svc->metrics->batch, nrows);
}

/* Send an answer with a plain-text body. */
static void
metrics_reply(struct evhttp_request *req, int code, const char *reason,
    struct evbuffer *b)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, code, reason, b);
}

/* evhttp_set_gencb: every request, routed by path. */
static void
metrics_request_cb(struct evhttp_request *req, void *arg)
{
	struct svc	*svc = arg;
	struct evbuffer	*b;
	const char	*path;
	bool		 assigned;

	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	if (path != NULL && strcmp(path, "/metrics") == 0) {
		metrics_render(svc, b);
		metrics_reply(req, 200, "OK", b);
	} else if (path != NULL && strcmp(path, "/healthz") == 0) {
		evbuffer_add_printf(b, "ok: loop turning; pipeline %s\n",
		    health_state_name(svc->health.state));
		metrics_reply(req, 200, "OK", b);
	} else if (path != NULL && strcmp(path, "/readyz") == 0) {
		assigned = kafka_lag_each(svc, NULL, NULL) > 0;
		if (assigned && svc->ch_ready && svc->ch_reachable) {
			evbuffer_add_printf(b, "ready: partitions assigned, "
			    "clickhouse answers\n");
			metrics_reply(req, 200, "OK", b);
		} else {
			evbuffer_add_printf(b, "not ready:%s%s%s\n",
			    !svc->ch_ready ? " clickhouse start-up not done;" :
			    "", svc->ch_ready && !svc->ch_reachable ?
			    " clickhouse unreachable;" : "", !assigned ?
			    " no partitions assigned;" : "");
			metrics_reply(req, 503, "Service Unavailable", b);
		}
	} else {
		evbuffer_add_printf(b, "not found; try /metrics, /healthz or "
		    "/readyz\n");
		metrics_reply(req, 404, "Not Found", b);
	}
	evbuffer_free(b);
}

/* kafka_lag_each: one partition's lag. */
static void
metrics_lag_cb(void *arg, int32_t partition, int64_t position, int64_t lag)
{
	struct metrics_lag	*ml = arg;

	(void)position;
	evbuffer_add_printf(ml->b, "ticksink_consumer_lag_messages{topic=\"%s\","
	    "partition=\"%d\"} %lld\n", ml->topic, (int)partition,
	    (long long)lag);
}

/* A histogram in the text format (cumulative buckets). */
static void
metrics_hist(struct evbuffer *b, const char *name, const char *help,
    const struct diag_hist *h)
{
	uint64_t	cum = 0;
	size_t		i;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name,
	    help, name);
	for (i = 0; i < h->nbounds; i++) {
		cum += h->counts[i];
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
		    h->bounds[i], (unsigned long long)cum);
	}
	evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n"
	    "%s_count %llu\n", name, (unsigned long long)h->count, name, h->sum,
	    name, (unsigned long long)h->count);
}

/* Add one metric with HELP and TYPE. */
#define METRIC(b, name, type, help, fmt, ...)				\
	evbuffer_add_printf((b), "# HELP " name " " help "\n# TYPE " name \
	    " " type "\n" name " " fmt "\n", __VA_ARGS__)

/* The whole /metrics page. */
static void
metrics_render(struct svc *svc, struct evbuffer *b)
{
	static const struct sink_stats	 zero;
	const struct sink_stats		*st;
	struct metrics_lag		 ml;
	uint64_t			 now = loop_now_us(), since;
	int				 r, k;

	st = svc->sink != NULL ? &svc->sink->stats : &zero;
	METRIC(b, "ticksink_messages_consumed_total", "counter",
	    "Kafka messages consumed.", "%llu",
	    (unsigned long long)st->messages);
	METRIC(b, "ticksink_kafka_fetch_wakeups_total", "counter",
	    "Times the Kafka fetcher was woken: a full queue drained, or "
	    "50 ms without messages while Kafka held more.",
	    "%llu", (unsigned long long)svc->kafka_fetch_wakeups);
	METRIC(b, "ticksink_kafka_reads_deferred_total", "counter",
	    "Times the loop left queued messages until their batch's "
	    "deadline (steady state).",
	    "%llu", (unsigned long long)svc->kafka_reads_deferred);
	METRIC(b, "ticksink_rows_landed_total", "counter",
	    "Ticks acknowledged by ClickHouse in the ticks table.", "%llu",
	    (unsigned long long)st->rows_landed);
	METRIC(b, "ticksink_rejects_landed_total", "counter",
	    "Rows acknowledged by ClickHouse in the rejects table.", "%llu",
	    (unsigned long long)st->rejects_landed);
	evbuffer_add_printf(b, "# HELP ticksink_rejects_total Messages "
	    "rejected, by reason.\n# TYPE ticksink_rejects_total counter\n");
	for (r = 1; r < DECODE_NREASONS; r++)
		evbuffer_add_printf(b, "ticksink_rejects_total{reason=\"%s\"} "
		    "%llu\n", decode_reason_name(r),
		    (unsigned long long)st->rejects[r]);
	evbuffer_add_printf(b, "ticksink_rejects_total{reason="
	    "\"server_rejected\"} %llu\n",
	    (unsigned long long)st->rejects_server);
	evbuffer_add_printf(b, "# HELP ticksink_inserts_total Insert answers: "
	    "ok, retried (sent again) or split (rows refused).\n"
	    "# TYPE ticksink_inserts_total counter\n"
	    "ticksink_inserts_total{result=\"ok\"} %llu\n"
	    "ticksink_inserts_total{result=\"retried\"} %llu\n"
	    "ticksink_inserts_total{result=\"split\"} %llu\n",
	    (unsigned long long)st->inserts_ok,
	    (unsigned long long)st->inserts_retried,
	    (unsigned long long)st->inserts_split);
	evbuffer_add_printf(b, "# HELP ticksink_batches_total Batches closed, "
	    "by why: full (rows, bytes), max_delay_ms after their first row "
	    "(delay), Kafka read to its end in a backlog (caught_up), or the "
	    "drain.\n# TYPE ticksink_batches_total counter\n");
	for (r = BATCH_FLUSH_ROWS; r < BATCH_NDECISIONS; r++)
		evbuffer_add_printf(b, "ticksink_batches_total{reason=\"%s\"} "
		    "%llu\n", batch_decision_name(r),
		    (unsigned long long)st->flush_reason[r]);
	evbuffer_add_printf(b, "# HELP ticksink_windows_total Windows (one "
	    "streamed insert of a backlog's batches): landed, or failed and "
	    "their partitions read again from Kafka.\n"
	    "# TYPE ticksink_windows_total counter\n"
	    "ticksink_windows_total{result=\"landed\"} %llu\n"
	    "ticksink_windows_total{result=\"failed\"} %llu\n",
	    (unsigned long long)st->windows_ok,
	    (unsigned long long)st->windows_failed);
	metrics_hist(b, "ticksink_insert_duration_seconds",
	    "Time from sending an insert to its answer.",
	    &svc->metrics->latency);
	metrics_hist(b, "ticksink_insert_batch_rows",
	    "Rows per insert sent.", &svc->metrics->batch);
	evbuffer_add_printf(b, "# HELP ticksink_consumer_lag_messages Messages "
	    "on the broker not consumed yet, per partition.\n"
	    "# TYPE ticksink_consumer_lag_messages gauge\n");
	ml.b = b;
	ml.topic = svc->conf->kafka_topic;
	kafka_lag_each(svc, metrics_lag_cb, &ml);
	METRIC(b, "ticksink_buffered_bytes", "gauge",
	    "Bytes consumed and not landed yet (buffered and in flight).",
	    "%zu", svc->sink != NULL ? sink_buffered_bytes(svc->sink) : 0);
	METRIC(b, "ticksink_paused", "gauge",
	    "1 while consumption is paused by the memory bound.", "%d",
	    svc->kafka_paused ? 1 : 0);
	since = st->last_landed_us != 0 && now > st->last_landed_us ?
	    now - st->last_landed_us : now - svc->started_us;
	METRIC(b, "ticksink_seconds_since_last_landed", "gauge",
	    "Seconds since rows last landed (since start if none yet).",
	    "%.3f", since / 1e6);
	METRIC(b, "ticksink_clickhouse_reachable", "gauge",
	    "1 when the last ClickHouse request got an HTTP answer.", "%d",
	    svc->ch_reachable ? 1 : 0);
	METRIC(b, "ticksink_clickhouse_endpoint", "gauge",
	    "Position in [clickhouse] url (from 0) of the endpoint requests "
	    "go to.", "%zu", svc->ch_endpoints.cur);
	METRIC(b, "ticksink_clickhouse_endpoint_switches_total", "counter",
	    "Times requests moved to the next endpoint in [clickhouse] url.",
	    "%llu", (unsigned long long)svc->ch_endpoints.switches);
	METRIC(b, "ticksink_healthy", "gauge",
	    "1 while the watchdog's health check passes.", "%d",
	    health_is_ok(svc->health.state) ? 1 : 0);
	evbuffer_add_printf(b, "# HELP ticksink_heartbeats_total Diagnostics "
	    "heartbeats, by result.\n# TYPE ticksink_heartbeats_total counter\n"
	    "ticksink_heartbeats_total{result=\"ok\"} %llu\n"
	    "ticksink_heartbeats_total{result=\"failed\"} %llu\n",
	    (unsigned long long)svc->diag_beats_ok,
	    (unsigned long long)svc->diag_beats_failed);
	METRIC(b, "ticksink_heartbeat_messages", "gauge",
	    "Ticks inserted in the last heartbeat window.", "%llu",
	    (unsigned long long)svc->diag_last.messages);
	METRIC(b, "ticksink_heartbeat_websocket_lag_seconds", "gauge",
	    "Average received_at - timestamp in the last window.", "%.6f",
	    svc->diag_last.ws_lag_ms / 1000);
	METRIC(b, "ticksink_heartbeat_processing_lag_seconds", "gauge",
	    "Average insert_time - received_at in the last window.", "%.6f",
	    svc->diag_last.proc_lag_ms / 1000);
	evbuffer_add_printf(b, "# HELP ticksink_monitoring_events_total Events "
	    "recorded for monitoring_db.\n"
	    "# TYPE ticksink_monitoring_events_total counter\n");
	for (k = 0; k < DIAG_NEVENTS; k++)
		evbuffer_add_printf(b, "ticksink_monitoring_events_total{event="
		    "\"%s\"} %llu\n", diag_event_name(k),
		    (unsigned long long)svc->diag.events_total[k]);
	METRIC(b, "ticksink_retention_partitions_dropped_total", "counter",
	    "Old partitions dropped on servers without TTL.", "%llu",
	    (unsigned long long)svc->retention_dropped);
	METRIC(b, "ticksink_up_seconds", "gauge", "Seconds since start.",
	    "%.3f", (now - svc->started_us) / 1e6);
}
