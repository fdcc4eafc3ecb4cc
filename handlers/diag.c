/*
 * ticksink: diagnostics heartbeat, monitoring events and retention.
 *
 * Every heartbeat writes one row into each of websocket_diagnostics,
 * processing_diagnostics and uptime_db with INSERT ... SELECT: ClickHouse
 * aggregates the ticks inserted in the window itself and no tick travels to
 * ticksink.  The window is [end of the last one, now - DIAG_SETTLE_MS): an
 * insert's rows carry the insert_time of when the server began it and are
 * visible a little later, so the window lags by a settle time and windows
 * follow each other without gaps or overlaps.  On LEGACY insert_time is a
 * DateTime (seconds), so the window boundaries are whole seconds there.
 * Each row records the window's real start, end and length.
 *
 * Events for monitoring_db come from a small tracker that remembers which
 * conditions are under way, so each gives one event per episode, not one
 * per heartbeat.  Events wait in a bounded queue while ClickHouse cannot
 * take them (the "ClickHouse unreachable" event itself is written once it
 * is back, with the time it was noticed).
 *
 * Nothing here reads a clock: the reactor passes the wall clock in.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "schema.h"
#include "xmalloc.h"

#define DIAG_DAY_MS	86400000LL

static const char *diag_event_names[] = {
	[DIAG_EV_STARTED] = "System started",
	[DIAG_EV_CLOSING] = "System closing",
	[DIAG_EV_WS_LAG] = "Websocket lag spike",
	[DIAG_EV_PROC_LAG] = "Processing lag spike",
	[DIAG_EV_QUIET] = "Upstream quiet",
	[DIAG_EV_STUCK] = "Pipeline stuck",
	[DIAG_EV_UNSTUCK] = "Pipeline recovered",
	[DIAG_EV_CH_DOWN] = "ClickHouse unreachable",
	[DIAG_EV_CH_UP] = "ClickHouse recovered",
};

static const char *diag_table_names[] = {
	[DIAG_WS] = "websocket_diagnostics",
	[DIAG_PROC] = "processing_diagnostics",
	[DIAG_UPTIME] = "uptime_db",
};

static const enum schema_table diag_schema_tables[] = {
	[DIAG_WS] = SCHEMA_WS_DIAG,
	[DIAG_PROC] = SCHEMA_PROC_DIAG,
	[DIAG_UPTIME] = SCHEMA_UPTIME,
};

static char	*diag_insert_head(enum schema_dialect, enum schema_table,
		    const char *, const char *);
static void	 diag_add_ms_time(struct buf *, enum schema_dialect,
		    const char *);
static void	 diag_add_quoted(struct buf *, const char *);
static int64_t	 diag_days_from_civil(int, int, int);

/* Name of an event as monitoring_db stores it. */
const char *
diag_event_name(enum diag_event_kind k)
{
	return (diag_event_names[k]);
}

/* Name of a heartbeat table (the old system's). */
const char *
diag_table_name(enum diag_table t)
{
	return (diag_table_names[t]);
}

/* Start the heartbeat; the first window begins at start_ms. */
void
diag_init(struct diag *d, enum schema_dialect dialect,
    const struct diag_limits *l, int64_t start_ms)
{
	memset(d, 0, sizeof *d);
	d->dialect = dialect;
	d->limits = *l;
	if (dialect == SCHEMA_LEGACY)
		start_ms -= start_ms % 1000;
	d->win_start_ms = start_ms;
}

/* Open the window that ends a settle time before now. */
bool
diag_window_open(struct diag *d, int64_t now_ms)
{
	int64_t	end = now_ms - DIAG_SETTLE_MS;

	if (d->dialect == SCHEMA_LEGACY)
		end -= end % 1000;
	if (end <= d->win_start_ms)
		return (false);
	d->cur_start_ms = d->win_start_ms;
	d->cur_end_ms = end;
	return (true);
}

/* The window's rows are written; the next one starts where it ended. */
void
diag_window_done(struct diag *d)
{
	d->win_start_ms = d->cur_end_ms;
}

/* "INSERT INTO db.name (cols)" from the schema's column list; allocated. */
static char *
diag_insert_head(enum schema_dialect dialect, enum schema_table t,
    const char *db, const char *name)
{
	char	*sql, *fmt;

	sql = schema_insert_sql(dialect, t, db, name);
	if ((fmt = strstr(sql, " FORMAT RowBinary")) != NULL)
		*fmt = '\0';
	return (sql);
}

/* A time column's value from an Int64 millisecond expression. */
static void
diag_add_ms_time(struct buf *b, enum schema_dialect dialect, const char *ms)
{
	char	*s;

	if (dialect == SCHEMA_LEGACY)
		xasprintf(&s, "toDateTime(intDiv(%s, 1000))", ms);
	else
		xasprintf(&s, "fromUnixTimestamp64Milli(toInt64(%s), 'UTC')",
		    ms);
	buf_add_str(b, s);
	free(s);
}

/*
 * The heartbeat statement for one table: the aggregate over the ticks whose
 * insert_time is in the window, with the window itself as constants.  An
 * empty window still gives one row (an aggregate without GROUP BY always
 * does), with zero lags and its averages at the window's end.
 */
char *
diag_heartbeat_sql(const struct diag *d, enum diag_table t, const char *db,
    const char *ticks, const char *name)
{
	struct buf	 b;
	char		*head, *s, ins[96], rx[96], ts[96];
	bool		 legacy = d->dialect == SCHEMA_LEGACY;
	long long	 S = d->cur_start_ms, E = d->cur_end_ms;

	if (legacy) {
		snprintf(ins, sizeof ins, "(toInt64(insert_time) * 1000)");
		snprintf(rx, sizeof rx, "received_at_ms");
	} else {
		snprintf(ins, sizeof ins, "toUnixTimestamp64Milli(insert_time)");
		snprintf(rx, sizeof rx, "toUnixTimestamp64Milli(received_at)");
	}
	snprintf(ts, sizeof ts, "timestamp_ms");

	buf_init(&b);
	head = diag_insert_head(d->dialect, diag_schema_tables[t], db, name);
	buf_add_str(&b, head);
	free(head);
	buf_add_str(&b, " SELECT ");
	xasprintf(&s, "%lld", S);
	diag_add_ms_time(&b, d->dialect, s);
	free(s);
	buf_add_str(&b, ", ");
	xasprintf(&s, "%lld", E);
	diag_add_ms_time(&b, d->dialect, s);
	free(s);
	xasprintf(&s, ", toInt64(%lld), toInt64(%lld), toInt64(%lld), ", S, E,
	    E - S);
	buf_add_str(&b, s);
	free(s);
	switch (t) {
	case DIAG_WS:
		diag_add_ms_time(&b, d->dialect, "a_ts");
		buf_add_str(&b, legacy ? ", a_ts, " : ", ");
		diag_add_ms_time(&b, d->dialect, "a_rx");
		buf_add_str(&b, legacy ? ", a_rx, lag, n" : ", lag, n");
		xasprintf(&s, " FROM (SELECT count() AS n, if(n = 0, "
		    "toInt64(%lld), toInt64(round(avg(%s)))) AS a_ts, if(n = 0, "
		    "toInt64(%lld), toInt64(round(avg(%s)))) AS a_rx, if(n = 0, "
		    "toFloat64(0), avg(%s - %s)) AS lag", E, ts, E, rx, rx, ts);
		break;
	case DIAG_PROC:
		diag_add_ms_time(&b, d->dialect, "a_in");
		buf_add_str(&b, legacy ? ", a_in, lag, n" : ", lag, n");
		xasprintf(&s, " FROM (SELECT count() AS n, if(n = 0, "
		    "toInt64(%lld), toInt64(round(avg(%s)))) AS a_in, if(n = 0, "
		    "toFloat64(0), avg(%s - %s)) AS lag", E, ins, ins, rx);
		break;
	default:
		buf_add_str(&b, "toUInt8(n > 0), n");
		s = xstrdup(" FROM (SELECT count() AS n");
		break;
	}
	buf_add_str(&b, s);
	free(s);
	xasprintf(&s, " FROM %s.%s WHERE %s >= %lld AND %s < %lld)", db, ticks,
	    ins, S, ins, E);
	buf_add_str(&b, s);
	free(s);
	buf_add(&b, "", 1);
	return ((char *)b.data);
}

/* Read back the open window's rows: messages and both lags. */
char *
diag_result_sql(const struct diag *d, const char *db, const char *ws,
    const char *proc)
{
	char	*sql;
	long long S = d->cur_start_ms, E = d->cur_end_ms;

	xasprintf(&sql, "SELECT (SELECT max(message_count) FROM %s.%s WHERE "
	    "window_start_ms = %lld AND window_end_ms = %lld), (SELECT "
	    "max(avg_websocket_lag_ms) FROM %s.%s WHERE window_start_ms = %lld "
	    "AND window_end_ms = %lld), (SELECT max(avg_processing_lag_ms) "
	    "FROM %s.%s WHERE window_start_ms = %lld AND window_end_ms = %lld) "
	    "FORMAT TabSeparated", db, ws, S, E, db, ws, S, E, db, proc, S, E);
	return (sql);
}

/* Parse the read-back's one line. */
int
diag_parse_result(const char *body, size_t len, struct diag_result *r)
{
	char			 tmp[256];
	unsigned long long	 n;
	int			 used = 0;

	if (len == 0 || len >= sizeof tmp)
		return (-1);
	memcpy(tmp, body, len);
	tmp[len] = '\0';
	if (sscanf(tmp, "%llu\t%lf\t%lf\n%n", &n, &r->ws_lag_ms,
	    &r->proc_lag_ms, &used) != 3 || (size_t)used != len ||
	    !isfinite(r->ws_lag_ms) || !isfinite(r->proc_lag_ms))
		return (-1);
	r->messages = n;
	return (0);
}

/* Queue one event, dropping the oldest when the queue is full. */
void
diag_event_add(struct diag *d, enum diag_event_kind k, int64_t at_ms,
    const char *detail)
{
	struct diag_event	*e;

	if (d->nevents == DIAG_EVENTS_MAX) {
		memmove(&d->events[0], &d->events[1],
		    (DIAG_EVENTS_MAX - 1) * sizeof d->events[0]);
		d->nevents--;
		d->events_dropped++;
	}
	e = &d->events[d->nevents++];
	e->kind = k;
	e->at_ms = at_ms;
	snprintf(e->detail, sizeof e->detail, "%s", detail != NULL ? detail :
	    "");
	d->events_total[k]++;
}

/*
 * A heartbeat's numbers: a lag over its threshold begins an episode (one
 * event); a window with ticks at or under it ends the episode.  Empty
 * windows say nothing about lag.
 */
void
diag_observe_window(struct diag *d, int64_t now_ms,
    const struct diag_result *r)
{
	char	detail[DIAG_DETAIL_MAX];
	int	i;
	struct {
		enum diag_event_kind	 kind;
		double			 lag;
		uint32_t		 limit;
	} c[2] = {
		{ DIAG_EV_WS_LAG, r->ws_lag_ms, d->limits.ws_lag_ms },
		{ DIAG_EV_PROC_LAG, r->proc_lag_ms, d->limits.proc_lag_ms },
	};

	if (r->messages == 0)
		return;
	for (i = 0; i < 2; i++) {
		if (c[i].lag > c[i].limit && !d->active[c[i].kind]) {
			d->active[c[i].kind] = true;
			snprintf(detail, sizeof detail, "average %.1f ms over "
			    "%llu messages, threshold %u ms", c[i].lag,
			    (unsigned long long)r->messages, c[i].limit);
			diag_event_add(d, c[i].kind, now_ms, detail);
		} else if (c[i].lag <= c[i].limit)
			d->active[c[i].kind] = false;
	}
}

/*
 * The pipeline's state at a heartbeat: ClickHouse reachable or not (an
 * episode with an event at each end), stalled or not (likewise), and
 * messages consumed since the last heartbeat.  empty_limit heartbeats in a
 * row with nothing consumed while the pipeline is not stalled is a quiet
 * upstream: one event, until messages come again.
 */
void
diag_observe_state(struct diag *d, int64_t now_ms, bool ch_reachable,
    bool stalled, uint64_t consumed)
{
	char	detail[DIAG_DETAIL_MAX];

	if (!ch_reachable && !d->ch_down) {
		d->ch_down = true;
		diag_event_add(d, DIAG_EV_CH_DOWN, now_ms,
		    "the last request got no HTTP answer");
	} else if (ch_reachable && d->ch_down) {
		d->ch_down = false;
		diag_event_add(d, DIAG_EV_CH_UP, now_ms, "");
	}
	if (stalled && !d->stuck) {
		d->stuck = true;
		diag_event_add(d, DIAG_EV_STUCK, now_ms, "work is waiting and "
		    "nothing landed; watchdog pings stop");
	} else if (!stalled && d->stuck) {
		d->stuck = false;
		diag_event_add(d, DIAG_EV_UNSTUCK, now_ms, "");
	}
	if (consumed > 0 || stalled) {
		d->quiet_beats = 0;
		d->active[DIAG_EV_QUIET] = false;
		return;
	}
	if (d->quiet_beats < UINT32_MAX)
		d->quiet_beats++;
	if (d->limits.empty_limit > 0 &&
	    d->quiet_beats >= d->limits.empty_limit &&
	    !d->active[DIAG_EV_QUIET]) {
		d->active[DIAG_EV_QUIET] = true;
		snprintf(detail, sizeof detail, "no messages for %u "
		    "heartbeats", d->quiet_beats);
		diag_event_add(d, DIAG_EV_QUIET, now_ms, detail);
	}
}

/* Append s as a single-quoted SQL string. */
static void
diag_add_quoted(struct buf *b, const char *s)
{
	buf_add_str(b, "'");
	for (; *s != '\0'; s++) {
		if (*s == '\'' || *s == '\\')
			buf_add(b, "\\", 1);
		if ((unsigned char)*s < 0x20)
			buf_add(b, " ", 1);
		else
			buf_add(b, s, 1);
	}
	buf_add_str(b, "'");
}

/* INSERT ... SELECT of the first n pending events (UNION ALL of rows). */
char *
diag_events_sql(const struct diag *d, size_t n, const char *db,
    const char *name)
{
	const struct diag_event	*e;
	struct buf		 b;
	char			*s;
	size_t			 i;

	buf_init(&b);
	s = diag_insert_head(d->dialect, SCHEMA_MONITORING, db, name);
	buf_add_str(&b, s);
	free(s);
	for (i = 0; i < n && i < d->nevents; i++) {
		e = &d->events[i];
		buf_add_str(&b, i == 0 ? " SELECT " : " UNION ALL SELECT ");
		xasprintf(&s, "%lld", (long long)e->at_ms);
		diag_add_ms_time(&b, d->dialect, s);
		buf_add_str(&b, ", toInt64(");
		buf_add_str(&b, s);
		buf_add_str(&b, "), ");
		free(s);
		diag_add_quoted(&b, diag_event_names[e->kind]);
		buf_add_str(&b, ", ");
		diag_add_quoted(&b, e->detail);
	}
	buf_add(&b, "", 1);
	return ((char *)b.data);
}

/* Forget the first n pending events. */
void
diag_events_sent(struct diag *d, size_t n)
{
	if (n > d->nevents)
		n = d->nevents;
	memmove(&d->events[0], &d->events[n],
	    (d->nevents - n) * sizeof d->events[0]);
	d->nevents -= n;
}

/* The active partitions of the given tables. */
char *
diag_parts_sql(const char *db, const char *const *tables, size_t n)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b);
	buf_add_str(&b, "SELECT DISTINCT table, partition FROM system.parts "
	    "WHERE active AND database = '");
	buf_add_str(&b, db);
	buf_add_str(&b, "' AND table IN (");
	for (i = 0; i < n; i++) {
		buf_add_str(&b, i == 0 ? "'" : ", '");
		buf_add_str(&b, tables[i]);
		buf_add_str(&b, "'");
	}
	buf_add_str(&b, ") ORDER BY table, partition FORMAT TabSeparated");
	buf_add(&b, "", 1);
	return ((char *)b.data);
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
diag_days_from_civil(int y, int m, int dd)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/*
 * Which partitions are past their retention: a day's partition goes once
 * the whole day is older than the retention, as TTL timestamp + N DAY
 * would have removed its last row by then.
 */
int
diag_retention_drops(const char *body, size_t len, const char *db,
    const char *const *tables, const unsigned *days, size_t ntables,
    int64_t now_ms, char ***out)
{
	const char	*p = body, *end = body + len, *nl, *tab;
	char		**v = NULL, *s;
	size_t		 i, n = 0, tlen;
	long		 ymd;
	int64_t		 day_end_ms;
	char		 num[16];

	*out = NULL;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL ||
		    (tab = memchr(p, '\t', nl - p)) == NULL ||
		    nl - tab - 1 != 8)
			goto fail;
		memcpy(num, tab + 1, 8);
		num[8] = '\0';
		if (strspn(num, "0123456789") != 8)
			goto fail;
		ymd = strtol(num, NULL, 10);
		tlen = tab - p;
		for (i = 0; i < ntables; i++) {
			if (strlen(tables[i]) == tlen &&
			    memcmp(tables[i], p, tlen) == 0)
				break;
		}
		if (i == ntables || days[i] == 0)
			continue;
		day_end_ms = (diag_days_from_civil(ymd / 10000,
		    ymd / 100 % 100, ymd % 100) + 1) * DIAG_DAY_MS;
		if (day_end_ms + (int64_t)days[i] * DIAG_DAY_MS > now_ms)
			continue;
		xasprintf(&s, "ALTER TABLE %s.%s DROP PARTITION %ld", db,
		    tables[i], ymd);
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = s;
	}
	*out = v;
	return ((int)n);
fail:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return (-1);
}

/* Set up a histogram with the given upper bounds (at most DIAG_HIST_MAX). */
void
diag_hist_init(struct diag_hist *h, const double *bounds, size_t n)
{
	memset(h, 0, sizeof *h);
	if (n > DIAG_HIST_MAX)
		n = DIAG_HIST_MAX;
	memcpy(h->bounds, bounds, n * sizeof *bounds);
	h->nbounds = n;
}

/* Count one observation in its bucket (past the last bound: only +Inf). */
void
diag_hist_observe(struct diag_hist *h, double v)
{
	size_t	i;

	for (i = 0; i < h->nbounds; i++) {
		if (v <= h->bounds[i]) {
			h->counts[i]++;
			break;
		}
	}
	h->count++;
	h->sum += v;
}
