/*
 * ticksink: the ClickHouse side of the reactor.
 *
 * Start-up runs the schema conversation of handlers/schema.c one statement
 * at a time over the same asynchronous HTTP path as the inserts: the loop
 * never blocks, and a server that is not up yet is simply asked again with
 * a growing delay.  Only when the tables are known to be right does the
 * Kafka consumer start, so nothing is consumed that could not be stored.
 *
 * Credentials travel as X-ClickHouse-User / X-ClickHouse-Key headers, never
 * in a URL (URLs end up in logs and proxies).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <curl/curl.h>

#include "log.h"
#include "sink.h"
#include "svc.h"
#include "xmalloc.h"

#define CH_BOOT_RETRY_MAX_S	30

static void	ch_boot_send(struct svc *);
static void	ch_boot_done_cb(struct svc *, void *,
		    const struct insert_response *);
static void	ch_boot_retry_cb(evutil_socket_t, short, void *);
static void	ch_insert_done_cb(struct svc *, void *,
		    const struct insert_response *);
static void	ch_probe_done_cb(struct svc *, void *,
		    const struct insert_response *);
static void	ch_landed_done_cb(struct svc *, void *,
		    const struct insert_response *);
static size_t	ch_insert_read(struct svc *, void *, char *, size_t, bool *);
static void	ch_insert_rewind(void *);
static size_t	ch_window_read(struct svc *, void *, char *, size_t, bool *);
static void	ch_window_done_cb(struct svc *, void *,
		    const struct insert_response *);
static char	*ch_url_with_query(const char *, const char *);
static int	 ch_first_line(const struct insert_response *);
static void	 ch_endpoint_urls(struct svc *);
static struct curl_slist *ch_headers_and(const struct curl_slist *,
		    const char *);

/* Prepare headers and the query URL. */
void
ch_init(struct svc *svc)
{
	struct conf	*c = svc->conf;
	char		*h;

	xasprintf(&h, "X-ClickHouse-User: %s", c->ch_user);
	svc->headers = curl_slist_append(svc->headers, h);
	free(h);
	if (c->ch_password != NULL) {
		xasprintf(&h, "X-ClickHouse-Key: %s", c->ch_password);
		svc->headers = curl_slist_append(svc->headers, h);
		explicit_bzero(h, strlen(h));
		free(h);
	}
	/* No "Expect: 100-continue" round trip before each body. */
	svc->headers = curl_slist_append(svc->headers, "Expect:");
	if (svc->headers == NULL)
		fatalx("curl_slist_append failed");
	/* A window's body is sent as it comes. */
	svc->stream_headers = ch_headers_and(svc->headers,
	    "Transfer-Encoding: chunked");
	/* A ticks insert's body when gzip_level is set (http.c). */
	svc->gzip_headers = ch_headers_and(svc->stream_headers,
	    "Content-Encoding: gzip");
	svc->ch_urls = conf_urls(c, &svc->ch_nurls);
	endpoints_init(&svc->ch_endpoints, svc->ch_nurls);
	ch_endpoint_urls(svc);
	svc->ev_boot_retry = evtimer_new(svc->base, ch_boot_retry_cb, svc);
	schema_boot_init(&svc->boot, c->ch_database, c->ch_table,
	    c->ch_rejects_table, c->diag_ticks_retention_days, 7);
	schema_boot_diag_ttl(&svc->boot, c->diag_retention_days);
}

/* A copy of the header list base with one more; returns allocated. */
static struct curl_slist *
ch_headers_and(const struct curl_slist *base, const char *more)
{
	struct curl_slist	*l = NULL;

	for (; base != NULL; base = base->next)
		l = curl_slist_append(l, base->data);
	if ((l = curl_slist_append(l, more)) == NULL)
		fatalx("curl_slist_append failed");
	return (l);
}

/* Free what ch_init made. */
void
ch_free(struct svc *svc)
{
	size_t	i;
	int	t;

	curl_slist_free_all(svc->headers);
	svc->headers = NULL;
	curl_slist_free_all(svc->stream_headers);
	svc->stream_headers = NULL;
	curl_slist_free_all(svc->gzip_headers);
	svc->gzip_headers = NULL;
	free(svc->query_url);
	for (t = 0; t < 2; t++) {
		free(svc->insert_sql[t]);
		free(svc->insert_url[t]);
	}
	for (i = 0; i < svc->ch_nurls; i++)
		free(svc->ch_urls[i]);
	free(svc->ch_urls);
	if (svc->ev_boot_retry != NULL)
		event_free(svc->ev_boot_retry);
}

/* base + "/?query=" + the escaped statement; returns allocated. */
static char *
ch_url_with_query(const char *base, const char *sql)
{
	char	*esc, *url;

	if ((esc = curl_easy_escape(NULL, sql, 0)) == NULL)
		fatalx("curl_easy_escape failed");
	xasprintf(&url, "%s/?query=%s", base, esc);
	curl_free(esc);
	return (url);
}

/* The request URLs for the current endpoint. */
static void
ch_endpoint_urls(struct svc *svc)
{
	const char	*base = svc->ch_urls[svc->ch_endpoints.cur];
	int		 t;

	free(svc->query_url);
	xasprintf(&svc->query_url, "%s/", base);
	for (t = 0; t < 2; t++) {
		free(svc->insert_url[t]);
		svc->insert_url[t] = svc->insert_sql[t] == NULL ? NULL :
		    ch_url_with_query(base, svc->insert_sql[t]);
	}
}

/*
 * A request to endpoint `used` got no HTTP answer, or a proxy's 502-504
 * (why says which).  With several endpoints, the next one may take over
 * (handlers/endpoint.c); requests already sent finish where they went.
 */
void
ch_endpoint_away(struct svc *svc, size_t used, const char *why)
{
	if (!endpoints_failed(&svc->ch_endpoints, used))
		return;
	log_warnx("clickhouse: %s did not answer (%s); sending to %s from "
	    "now on", svc->ch_urls[used], why,
	    svc->ch_urls[svc->ch_endpoints.cur]);
	ch_endpoint_urls(svc);
}

/* Length of the first line of an answer, at most 300 bytes, for logs. */
static int
ch_first_line(const struct insert_response *r)
{
	const char	*nl;
	size_t		 n = r->len > 300 ? 300 : r->len;

	if ((nl = memchr(r->body, '\n', n)) != NULL)
		n = nl - r->body;
	return ((int)n);
}

/* Begin the start-up conversation. */
void
ch_boot_start(struct svc *svc)
{
	log_info("clickhouse: connecting to %s", svc->conf->ch_url);
	ch_boot_send(svc);
}

/* Send the statement of the current start-up step. */
static void
ch_boot_send(struct svc *svc)
{
	char	*sql;

	if ((sql = schema_boot_next(&svc->boot)) == NULL)
		return;
	log_debug("%s: %s: %s", __func__,
	    schema_boot_state_name(svc->boot.state), sql);
	http_post(svc, svc->query_url, sql, strlen(sql), sql, ch_boot_done_cb,
	    NULL);
}

/* Retry timer for the start-up conversation. */
static void
ch_boot_retry_cb(evutil_socket_t fd, short kind, void *arg)
{
	(void)fd;
	(void)kind;
	ch_boot_send(arg);
}

/* An answer during start-up: go on, wait and retry, or give up. */
static void
ch_boot_done_cb(struct svc *svc, void *arg, const struct insert_response *r)
{
	struct timeval	 tv = { 1, 0 };
	char		*cause;
	int		 t;

	(void)arg;
	if (svc->drain != DRAIN_RUNNING) {
		loop_drain_step(svc);
		return;
	}
	if (r->transport != INSERT_NET_OK || r->status != 200) {
		if (svc->boot_failures < 5)
			tv.tv_sec = 1 << svc->boot_failures;
		else
			tv.tv_sec = CH_BOOT_RETRY_MAX_S;
		svc->boot_failures++;
		log_warnx("clickhouse: %s failed (%s %ld): %.*s; retrying in "
		    "%lds", schema_boot_state_name(svc->boot.state),
		    r->transport == INSERT_NET_OK ? "http" : "transport",
		    r->status, ch_first_line(r), r->body, (long)tv.tv_sec);
		evtimer_add(svc->ev_boot_retry, &tv);
		return;
	}
	svc->boot_failures = 0;
	if (schema_boot_answer(&svc->boot, r->body, r->len, &cause) != 0)
		fatalx("%s", cause);
	if (svc->boot.state != SCHEMA_BOOT_DONE) {
		ch_boot_send(svc);
		return;
	}
	log_info("clickhouse %d.%d.%d: %s dialect, dedup tokens %s, tables "
	    "%s.%s and %s.%s ready", svc->boot.caps.major,
	    svc->boot.caps.minor, svc->boot.caps.patch,
	    schema_dialect_name(svc->boot.caps.dialect),
	    svc->boot.caps.dedup_token ? "on" : "unsupported",
	    svc->conf->ch_database, svc->conf->ch_table,
	    svc->conf->ch_database, svc->conf->ch_rejects_table);
	for (t = 0; t < 2; t++)
		svc->insert_sql[t] = schema_insert_sql(svc->boot.caps.dialect,
		    t, svc->conf->ch_database, svc->boot.tables[t]);
	ch_endpoint_urls(svc);
	svc->ch_ready = true;
	loop_pipeline_start(svc, svc->boot.caps.dialect);
}

/*
 * Send one insert the sink decided on: rejects as their RowBinary rows,
 * ticks as one Native block read out of them.  Where the server has dedup
 * tokens, the token (derived from the rows) goes with it, so that a resend
 * of the same rows is dropped by the server.
 */
void
ch_insert(struct svc *svc, struct sink_insert *ins)
{
	const char	*to = svc->insert_url[ins->table];
	char		 token[64], *url = NULL;

	if (svc->boot.caps.dedup_token) {
		sink_token(ins, token, sizeof token);
		xasprintf(&url, "%s&insert_deduplication_token=%s", to, token);
		to = url;
	}
	if (ins->table != SCHEMA_TICKS) {
		http_post(svc, to, ins->body.data, ins->body.len, url,
		    ch_insert_done_cb, ins);
		return;
	}
	rowenc_native_start(&ins->native, svc->boot.caps.dialect,
	    ins->body.data, ins->nrows);
	http_post_read(svc, to,
	    rowenc_native_size(svc->boot.caps.dialect, ins->body.len,
	    ins->nrows), ch_insert_read, ch_insert_rewind, &ins->native, url,
	    ch_insert_done_cb, ins);
}

/* http_read_fn of a ticks insert: the next bytes of its Native block. */
static size_t
ch_insert_read(struct svc *svc, void *arg, char *buf, size_t size,
    bool *wait)
{
	(void)svc;
	*wait = false;
	return (rowenc_native_read(arg, buf, size));
}

/* http_rewind_fn of a ticks insert. */
static void
ch_insert_rewind(void *arg)
{
	rowenc_native_rewind(arg);
}

/*
 * Start a window: one insert into the ticks table whose body the sink gives
 * batch after batch while it runs (no dedup token: a failed window is read
 * again from Kafka, never sent again).
 */
void
ch_stream(struct svc *svc, struct sink_window *w)
{
	w->io = http_stream(svc, svc->insert_url[SCHEMA_TICKS],
	    ch_window_read, w, ch_window_done_cb, w);
}

/* http_read_fn of a window: its next bytes, from the sink. */
static size_t
ch_window_read(struct svc *svc, void *arg, char *buf, size_t size,
    bool *wait)
{
	return (sink_window_read(svc->sink, arg, buf, size, loop_now_us(),
	    wait));
}

/* A window's answer: log it, then let the sink decide. */
static void
ch_window_done_cb(struct svc *svc, void *arg, const struct insert_response *r)
{
	struct sink_window	*w = arg;

	if (r->transport != INSERT_NET_OK || r->status != 200)
		log_warnx("window %llu into %s (%u rows, %llu bytes sent) "
		    "failed: %s %ld: %.*s", (unsigned long long)w->id,
		    svc->boot.tables[SCHEMA_TICKS], w->nrows,
		    (unsigned long long)w->sent,
		    r->transport == INSERT_NET_OK ? "http" : "transport",
		    r->status, ch_first_line(r), r->body);
	else {
		metrics_insert_done(svc, r->elapsed_us, w->nrows);
		log_debug("%s: window %llu into %s: %u rows, %llu bytes, "
		    "%llu ms", __func__, (unsigned long long)w->id,
		    svc->boot.tables[SCHEMA_TICKS], w->nrows,
		    (unsigned long long)w->sent,
		    (unsigned long long)(r->elapsed_us / 1000));
	}
	sink_window_done(svc->sink, w, r, loop_now_us());
	loop_apply(svc);
}

/* Ask which rows of an insert whose last send had no verdict landed. */
void
ch_probe(struct svc *svc, struct sink_insert *ins)
{
	char	*sql;

	sql = sink_probe_sql(ins, svc->boot.caps.dialect,
	    svc->conf->ch_database, svc->boot.tables[ins->table],
	    svc->conf->kafka_topic);
	http_post(svc, svc->query_url, sql, strlen(sql), sql,
	    ch_probe_done_cb, ins);
}

/* The probe's answer: the rows present, or a failure to ask again about. */
static void
ch_probe_done_cb(struct svc *svc, void *arg, const struct insert_response *r)
{
	struct sink_insert	*ins = arg;

	log_info("insert %llu (%u rows) had no answer; probe: %s",
	    (unsigned long long)ins->id, ins->nrows,
	    r->transport == INSERT_NET_OK && r->status == 200 ?
	    (r->len > 0 ? "had landed (in part or whole)" :
	    "had not landed; sending again") : "failed; asking again later");
	if (r->transport == INSERT_NET_OK && r->status == 200)
		sink_probe_answer(svc->sink, ins, r->body, r->len,
		    loop_now_us());
	else {
		log_warnx("probe of insert %llu failed: %.*s",
		    (unsigned long long)ins->id, ch_first_line(r), r->body);
		sink_probe_done(svc->sink, ins, SINK_PROBE_FAILED,
		    loop_now_us());
	}
	loop_apply(svc);
}

/*
 * Resume check `check`: which offsets of its partitions, each from its
 * first one on, are already stored.  Nothing to ask when every partition
 * of it was revoked before the query went.
 */
void
ch_landed_query(struct svc *svc, uint64_t check)
{
	char	*sql;

	sql = sink_landed_sql(svc->sink, check, svc->conf->ch_database,
	    svc->boot.tables);
	if (sql == NULL)
		return;
	http_post(svc, svc->query_url, sql, strlen(sql), sql,
	    ch_landed_done_cb, (void *)(uintptr_t)check);
}

/* A resume check's answer, for the partitions still waiting for it. */
static void
ch_landed_done_cb(struct svc *svc, void *arg, const struct insert_response *r)
{
	uint64_t	check = (uint64_t)(uintptr_t)arg;

	if (svc->sink == NULL)
		return;
	if (r->transport == INSERT_NET_OK && r->status == 200)
		sink_landed_answer(svc->sink, check, r->body, r->len,
		    loop_now_us(), loop_wall_ms());
	else {
		log_warnx("resume check %llu of %s failed: %.*s",
		    (unsigned long long)check, svc->conf->kafka_topic,
		    ch_first_line(r), r->body);
		sink_landed_failed(svc->sink, check, loop_now_us());
	}
	loop_apply(svc);
}

/* An insert's answer: log failures, then let the sink decide. */
static void
ch_insert_done_cb(struct svc *svc, void *arg, const struct insert_response *r)
{
	struct sink_insert	*ins = arg;

	metrics_insert_done(svc, r->elapsed_us, ins->nrows);
	if (r->transport != INSERT_NET_OK || r->status != 200)
		log_warnx("insert %llu into %s (%u rows, attempt %u) failed: "
		    "%s %ld: %.*s", (unsigned long long)ins->id,
		    svc->boot.tables[ins->table], ins->nrows, ins->attempt,
		    r->transport == INSERT_NET_OK ? "http" : "transport",
		    r->status, ch_first_line(r), r->body);
	else
		log_debug("%s: insert %llu into %s: %u rows, %zu bytes, %llu ms, "
		    "%zu bytes buffered", __func__, (unsigned long long)ins->id,
		    svc->boot.tables[ins->table], ins->nrows, ins->body.len,
		    (unsigned long long)(r->elapsed_us / 1000),
		    sink_buffered_bytes(svc->sink));
	sink_insert_done(svc->sink, ins, r, loop_now_us(), loop_wall_ms());
	loop_apply(svc);
}
