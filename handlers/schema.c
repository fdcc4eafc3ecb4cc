/*
 * ticksink: table definitions and the start-up schema conversation.
 *
 * Every column ticksink sends is described once, in the tables below, with
 * the type it has in each dialect and the other types that take the same
 * RowBinary bytes (so an existing table with symbol String instead of
 * LowCardinality(String) is accepted).  The CREATE statements, the INSERT
 * column lists and the check of an existing table all come from these
 * tables, so they cannot drift apart.
 *
 * Start-up asks the server for its version and settings before deciding
 * anything: the dialect follows from what the server is, never from a guess.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "schema.h"
#include "xmalloc.h"

/* One column we send (or, with no types, one the server fills itself). */
struct schema_col {
	const char	*name;
	const char	*legacy;	/* type on LEGACY; NULL: not sent */
	const char	*current;	/* type on CURRENT; NULL: not sent */
	const char	*also;		/* other accepted types, '|'-separated */
};

static const struct schema_col schema_ticks_cols[] = {
	{ "timestamp", "DateTime('UTC')", "DateTime64(3, 'UTC')",
	    "DateTime|DateTime64(3)" },
	{ "timestamp_ms", "Int64", "Int64", NULL },
	{ "symbol", "String", "LowCardinality(String)",
	    "String|LowCardinality(String)" },
	{ "price", "Float64", "Float64", NULL },
	{ "volume", "Float64", "Float64", NULL },
	{ "received_at", "DateTime('UTC')", "DateTime64(3, 'UTC')",
	    "DateTime|DateTime64(3)" },
	{ "received_at_ms", "Int64", NULL, NULL },
	{ "kafka_partition", "Int32", "Int32", NULL },
	{ "kafka_offset", "Int64", "Int64", NULL },
	{ NULL, NULL, NULL, NULL }
};

static const struct schema_col schema_rejects_cols[] = {
	{ "rejected_at", "DateTime('UTC')", "DateTime64(3, 'UTC')",
	    "DateTime|DateTime64(3)" },
	{ "rejected_at_ms", "Int64", NULL, NULL },
	{ "kafka_topic", "String", "LowCardinality(String)",
	    "String|LowCardinality(String)" },
	{ "kafka_partition", "Int32", "Int32", NULL },
	{ "kafka_offset", "Int64", "Int64", NULL },
	{ "kafka_timestamp_ms", "Int64", "Int64", NULL },
	{ "reason", "String", "LowCardinality(String)",
	    "String|LowCardinality(String)" },
	{ "detail", "String", "String", NULL },
	{ "raw", "String", "String", NULL },
	{ "raw_size", "UInt32", "UInt32", NULL },
	{ NULL, NULL, NULL, NULL }
};

/*
 * The old system's diagnostics tables, same names and meanings (DESIGN.md
 * section 5), plus the window each row covers.  diag.c writes them with
 * INSERT ... SELECT whose column lists come from schema_insert_sql, so the
 * SELECT order there follows the order here.
 */
static const struct schema_col schema_ws_cols[] = {
	{ "window_start", "DateTime('UTC')", "DateTime64(3, 'UTC')", NULL },
	{ "window_end", "DateTime('UTC')", "DateTime64(3, 'UTC')", NULL },
	{ "window_start_ms", "Int64", "Int64", NULL },
	{ "window_end_ms", "Int64", "Int64", NULL },
	{ "window_ms", "Int64", "Int64", NULL },
	{ "avg_timestamp", "DateTime('UTC')", "DateTime64(3, 'UTC')", NULL },
	{ "avg_timestamp_ms", "Int64", NULL, NULL },
	{ "avg_received_at", "DateTime('UTC')", "DateTime64(3, 'UTC')", NULL },
	{ "avg_received_at_ms", "Int64", NULL, NULL },
	{ "avg_websocket_lag_ms", "Float64", "Float64", NULL },
	{ "message_count", "UInt64", "UInt64", NULL },
	{ NULL, NULL, NULL, NULL }
};

static const struct schema_col schema_proc_cols[] = {
	{ "window_start", "DateTime('UTC')", "DateTime64(3, 'UTC')", NULL },
	{ "window_end", "DateTime('UTC')", "DateTime64(3, 'UTC')", NULL },
	{ "window_start_ms", "Int64", "Int64", NULL },
	{ "window_end_ms", "Int64", "Int64", NULL },
	{ "window_ms", "Int64", "Int64", NULL },
	{ "avg_insert_time", "DateTime('UTC')", "DateTime64(3, 'UTC')",
	    NULL },
	{ "avg_insert_time_ms", "Int64", NULL, NULL },
	{ "avg_processing_lag_ms", "Float64", "Float64", NULL },
	{ "message_count", "UInt64", "UInt64", NULL },
	{ NULL, NULL, NULL, NULL }
};

static const struct schema_col schema_uptime_cols[] = {
	{ "window_start", "DateTime('UTC')", "DateTime64(3, 'UTC')", NULL },
	{ "window_end", "DateTime('UTC')", "DateTime64(3, 'UTC')", NULL },
	{ "window_start_ms", "Int64", "Int64", NULL },
	{ "window_end_ms", "Int64", "Int64", NULL },
	{ "window_ms", "Int64", "Int64", NULL },
	{ "is_up", "UInt8", "UInt8", NULL },
	{ "message_count", "UInt64", "UInt64", NULL },
	{ NULL, NULL, NULL, NULL }
};

static const struct schema_col schema_monitoring_cols[] = {
	{ "event_time", "DateTime('UTC')", "DateTime64(3, 'UTC')", NULL },
	{ "event_time_ms", "Int64", "Int64", NULL },
	{ "event", "String", "String", NULL },
	{ "detail", "String", "String", NULL },
	{ NULL, NULL, NULL, NULL }
};

/* Per table: the columns, the filled-in column, partition and order keys. */
struct schema_def {
	const struct schema_col	*cols;
	const char		*time_col;
	const char		*order_by;
};

static const struct schema_def schema_defs[] = {
	[SCHEMA_TICKS] = { schema_ticks_cols, "timestamp", "timestamp_ms" },
	[SCHEMA_REJECTS] = { schema_rejects_cols, "rejected_at",
	    "(kafka_topic, kafka_partition, kafka_offset)" },
	[SCHEMA_WS_DIAG] = { schema_ws_cols, "window_end", "window_end_ms" },
	[SCHEMA_PROC_DIAG] = { schema_proc_cols, "window_end",
	    "window_end_ms" },
	[SCHEMA_UPTIME] = { schema_uptime_cols, "window_end",
	    "window_end_ms" },
	[SCHEMA_MONITORING] = { schema_monitoring_cols, "event_time",
	    "event_time_ms" },
};

/* The old system's names, kept so its dashboards keep working. */
static const char *schema_diag_names[] = {
	[SCHEMA_WS_DIAG] = "websocket_diagnostics",
	[SCHEMA_PROC_DIAG] = "processing_diagnostics",
	[SCHEMA_UPTIME] = "uptime_db",
	[SCHEMA_MONITORING] = "monitoring_db",
};

static const char *schema_boot_names[] = {
	"version", "settings", "database", "create_ticks", "create_rejects",
	"columns_ticks", "columns_rejects", "create_websocket_diagnostics",
	"create_processing_diagnostics", "create_uptime", "create_monitoring",
	"done", "failed"
};

static const char	*schema_col_type(const struct schema_col *,
			     enum schema_dialect);
static bool		 schema_type_ok(const struct schema_col *,
			     enum schema_dialect, const char *, size_t);
static void		 schema_boot_set_state(struct schema_boot *,
			     enum schema_boot_state);

/* Name of a dialect, for logs. */
const char *
schema_dialect_name(enum schema_dialect d)
{
	return (d == SCHEMA_LEGACY ? "legacy" : "current");
}

/* Name of a start-up state, for logs. */
const char *
schema_boot_state_name(enum schema_boot_state s)
{
	return (schema_boot_names[s]);
}

/*
 * Parse "major.minor.patch[...]" as SELECT version() answers it and derive
 * the dialect: DateTime64, LowCardinality and TTL all exist from 20.1 on.
 */
int
schema_parse_version(const char *s, size_t len, struct schema_caps *caps)
{
	char	tmp[64];
	int	n;

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	if (len == 0 || len >= sizeof tmp)
		return (-1);
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(caps, 0, sizeof *caps);
	if (sscanf(tmp, "%d.%d.%d%n", &caps->major, &caps->minor,
	    &caps->patch, &n) != 3 || caps->major < 1)
		return (-1);
	if (caps->major > 20 || (caps->major == 20 && caps->minor >= 1)) {
		caps->dialect = SCHEMA_CURRENT;
		caps->ttl = true;
	} else
		caps->dialect = SCHEMA_LEGACY;
	return (0);
}

/* The type a column has in a dialect, or NULL if it is not sent there. */
static const char *
schema_col_type(const struct schema_col *c, enum schema_dialect d)
{
	return (d == SCHEMA_LEGACY ? c->legacy : c->current);
}

/* Build CREATE TABLE IF NOT EXISTS for a table on this server. */
char *
schema_create_sql(const struct schema_caps *caps, enum schema_table t,
    const char *db, const char *name, unsigned ttl_days)
{
	const struct schema_def	*def = &schema_defs[t];
	const struct schema_col	*c;
	struct buf		 b;
	const char		*type, *sep = "";
	char			*sql;
	bool			 legacy = caps->dialect == SCHEMA_LEGACY;

	buf_init(&b);
	buf_add_str(&b, "CREATE TABLE IF NOT EXISTS ");
	buf_add_str(&b, db);
	buf_add_str(&b, ".");
	buf_add_str(&b, name);
	buf_add_str(&b, " (");
	for (c = def->cols; c->name != NULL; c++) {
		if ((type = schema_col_type(c, caps->dialect)) == NULL)
			continue;
		buf_add_str(&b, sep);
		buf_add_str(&b, c->name);
		buf_add_str(&b, " ");
		buf_add_str(&b, type);
		sep = ", ";
	}
	if (t == SCHEMA_TICKS)
		buf_add_str(&b, legacy ?
		    ", insert_time DateTime('UTC') DEFAULT now()" :
		    ", insert_time DateTime64(3, 'UTC') DEFAULT now64(3)");
	buf_add_str(&b, ") ENGINE = MergeTree PARTITION BY toYYYYMMDD(");
	buf_add_str(&b, def->time_col);
	buf_add_str(&b, ") ORDER BY ");
	buf_add_str(&b, def->order_by);
	if (caps->ttl && ttl_days > 0) {
		xasprintf(&sql, " TTL toDateTime(%s) + INTERVAL %u DAY DELETE",
		    def->time_col, ttl_days);
		buf_add_str(&b, sql);
		free(sql);
	}
	/*
	 * A plain MergeTree keeps no insert hashes unless told to, and without
	 * them insert_deduplication_token does nothing.
	 */
	if (caps->dedup_token)
		buf_add_str(&b, " SETTINGS non_replicated_deduplication_window"
		    " = 1000");
	buf_add(&b, "", 1);
	return ((char *)b.data);
}

/*
 * Build the INSERT statement that names every column we send: ticks in
 * Native blocks (rowenc_native_read), the other tables in RowBinary.
 */
char *
schema_insert_sql(enum schema_dialect d, enum schema_table t, const char *db,
    const char *name)
{
	const struct schema_col	*c;
	struct buf		 b;
	const char		*sep = "";

	buf_init(&b);
	buf_add_str(&b, "INSERT INTO ");
	buf_add_str(&b, db);
	buf_add_str(&b, ".");
	buf_add_str(&b, name);
	buf_add_str(&b, " (");
	for (c = schema_defs[t].cols; c->name != NULL; c++) {
		if (schema_col_type(c, d) == NULL)
			continue;
		buf_add_str(&b, sep);
		buf_add_str(&b, c->name);
		sep = ", ";
	}
	buf_add_str(&b, t == SCHEMA_TICKS ? ") FORMAT Native" :
	    ") FORMAT RowBinary");
	buf_add(&b, "", 1);
	return ((char *)b.data);
}

/* Is type (len bytes) acceptable for column c in dialect d? */
static bool
schema_type_ok(const struct schema_col *c, enum schema_dialect d,
    const char *type, size_t len)
{
	const char	*want, *p, *end;

	want = schema_col_type(c, d);
	if (strlen(want) == len && memcmp(want, type, len) == 0)
		return (true);
	for (p = c->also; p != NULL && *p != '\0'; p = end + (*end == '|')) {
		end = strchr(p, '|');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == len && memcmp(p, type, len) == 0) {
			/*
			 * The time types differ in width: CURRENT sends 8-byte
			 * milliseconds (DateTime64), LEGACY 4-byte seconds.
			 */
			if (strncmp(p, "DateTime64", 10) == 0)
				return (d == SCHEMA_CURRENT);
			if (strncmp(p, "DateTime", 8) == 0)
				return (d == SCHEMA_LEGACY);
			return (true);
		}
	}
	return (false);
}

/*
 * Check an existing table: every column we send must exist with a type that
 * takes our bytes.  Extra columns are fine (the server fills their defaults).
 * The message names the column, both types, and for a missing column the
 * ALTER statement that adds it.
 */
int
schema_check_columns(enum schema_dialect d, enum schema_table t,
    const char *db, const char *name, const char *tsv, size_t len,
    char **cause)
{
	const struct schema_col	*c;
	const char		*line, *end, *tab, *stop = tsv + len;
	bool			 found;

	for (c = schema_defs[t].cols; c->name != NULL; c++) {
		if (schema_col_type(c, d) == NULL)
			continue;
		found = false;
		for (line = tsv; line < stop; line = end + 1) {
			if ((end = memchr(line, '\n', stop - line)) == NULL)
				end = stop;
			tab = memchr(line, '\t', end - line);
			if (tab == NULL || (size_t)(tab - line) !=
			    strlen(c->name) ||
			    memcmp(line, c->name, tab - line) != 0)
				continue;
			found = true;
			if (!schema_type_ok(c, d, tab + 1, end - tab - 1)) {
				xasprintf(cause, "table %s.%s: column %s has "
				    "type %.*s, expected %s", db, name,
				    c->name, (int)(end - tab - 1), tab + 1,
				    schema_col_type(c, d));
				return (-1);
			}
			break;
		}
		if (!found) {
			xasprintf(cause, "table %s.%s has no column %s; add "
			    "it with: ALTER TABLE %s.%s ADD COLUMN %s %s",
			    db, name, c->name, db, name, c->name,
			    schema_col_type(c, d));
			return (-1);
		}
	}
	return (0);
}

/* Prepare the start-up conversation. Strings are borrowed. */
void
schema_boot_init(struct schema_boot *sb, const char *db, const char *ticks,
    const char *rejects, unsigned ticks_ttl_days, unsigned rejects_ttl_days)
{
	int	t;

	memset(sb, 0, sizeof *sb);
	sb->state = SCHEMA_BOOT_VERSION;
	sb->database = db;
	sb->tables[SCHEMA_TICKS] = ticks;
	sb->tables[SCHEMA_REJECTS] = rejects;
	sb->ticks_ttl_days = ticks_ttl_days;
	sb->rejects_ttl_days = rejects_ttl_days;
	sb->diag_ttl_days = 7;
	for (t = SCHEMA_WS_DIAG; t < SCHEMA_NTABLES; t++)
		sb->tables[t] = schema_diag_names[t];
}

/* Set the retention of the diagnostics tables (0: keep forever). */
void
schema_boot_diag_ttl(struct schema_boot *sb, unsigned days)
{
	sb->diag_ttl_days = days;
}

/* Move to a new state. */
static void
schema_boot_set_state(struct schema_boot *sb, enum schema_boot_state s)
{
	sb->state = s;
}

/* The statement for the current step, or NULL when there is none. */
char *
schema_boot_next(struct schema_boot *sb)
{
	enum schema_table	 t;
	char			*sql;

	switch (sb->state) {
	case SCHEMA_BOOT_VERSION:
		return (xstrdup("SELECT version()"));
	case SCHEMA_BOOT_SETTINGS:
		return (xstrdup("SELECT name FROM system.settings WHERE name "
		    "= 'insert_deduplication_token'"));
	case SCHEMA_BOOT_DATABASE:
		xasprintf(&sql, "CREATE DATABASE IF NOT EXISTS %s",
		    sb->database);
		return (sql);
	case SCHEMA_BOOT_CREATE_TICKS:
		return (schema_create_sql(&sb->caps, SCHEMA_TICKS,
		    sb->database, sb->tables[SCHEMA_TICKS],
		    sb->ticks_ttl_days));
	case SCHEMA_BOOT_CREATE_REJECTS:
		return (schema_create_sql(&sb->caps, SCHEMA_REJECTS,
		    sb->database, sb->tables[SCHEMA_REJECTS],
		    sb->rejects_ttl_days));
	case SCHEMA_BOOT_COLUMNS_TICKS:
	case SCHEMA_BOOT_COLUMNS_REJECTS:
		xasprintf(&sql, "SELECT name, type FROM system.columns WHERE "
		    "database = '%s' AND table = '%s' FORMAT TabSeparatedRaw",
		    sb->database, sb->tables[sb->state ==
		    SCHEMA_BOOT_COLUMNS_TICKS ? SCHEMA_TICKS : SCHEMA_REJECTS]);
		return (sql);
	case SCHEMA_BOOT_CREATE_WS_DIAG:
	case SCHEMA_BOOT_CREATE_PROC_DIAG:
	case SCHEMA_BOOT_CREATE_UPTIME:
	case SCHEMA_BOOT_CREATE_MONITORING:
		t = SCHEMA_WS_DIAG + (sb->state - SCHEMA_BOOT_CREATE_WS_DIAG);
		return (schema_create_sql(&sb->caps, t, sb->database,
		    sb->tables[t], sb->diag_ttl_days));
	case SCHEMA_BOOT_DONE:
	case SCHEMA_BOOT_FAILED:
		break;
	}
	return (NULL);
}

/*
 * Take the server's successful answer to the current statement and advance.
 * A failed request is the caller's to retry; only answers that make going on
 * pointless (an unknown version string, a mismatched table) fail here.
 */
int
schema_boot_answer(struct schema_boot *sb, const char *body, size_t len,
    char **cause)
{
	enum schema_table	t;

	switch (sb->state) {
	case SCHEMA_BOOT_VERSION:
		if (schema_parse_version(body, len, &sb->caps) != 0) {
			xasprintf(cause, "clickhouse: cannot parse version "
			    "'%.*s'", (int)(len > 40 ? 40 : len), body);
			schema_boot_set_state(sb, SCHEMA_BOOT_FAILED);
			return (-1);
		}
		schema_boot_set_state(sb, SCHEMA_BOOT_SETTINGS);
		break;
	case SCHEMA_BOOT_SETTINGS:
		sb->caps.dedup_token = len > 0;
		schema_boot_set_state(sb, SCHEMA_BOOT_DATABASE);
		break;
	case SCHEMA_BOOT_DATABASE:
	case SCHEMA_BOOT_CREATE_TICKS:
	case SCHEMA_BOOT_CREATE_REJECTS:
	case SCHEMA_BOOT_CREATE_WS_DIAG:
	case SCHEMA_BOOT_CREATE_PROC_DIAG:
	case SCHEMA_BOOT_CREATE_UPTIME:
	case SCHEMA_BOOT_CREATE_MONITORING:
		schema_boot_set_state(sb, sb->state + 1);
		break;
	case SCHEMA_BOOT_COLUMNS_TICKS:
	case SCHEMA_BOOT_COLUMNS_REJECTS:
		t = sb->state == SCHEMA_BOOT_COLUMNS_TICKS ? SCHEMA_TICKS :
		    SCHEMA_REJECTS;
		if (schema_check_columns(sb->caps.dialect, t, sb->database,
		    sb->tables[t], body, len, cause) != 0) {
			schema_boot_set_state(sb, SCHEMA_BOOT_FAILED);
			return (-1);
		}
		schema_boot_set_state(sb, sb->state + 1);
		break;
	case SCHEMA_BOOT_DONE:
	case SCHEMA_BOOT_FAILED:
		break;
	}
	return (0);
}

/* Append "a, b, ..." of the n parts[], or of from[] when parts is NULL. */
static void
schema_add_list(struct buf *b, const int32_t *parts, const int64_t *from,
    size_t n)
{
	char	num[24];
	size_t	i;

	for (i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%s%lld", i == 0 ? "" : ", ",
		    parts != NULL ? (long long)parts[i] : (long long)from[i]);
		buf_add_str(b, num);
	}
}

/*
 * The condition "offset is at or after the partition's first one", for
 * partitions parts[] with first offsets from[]: one lookup per row with
 * transform(), where an OR per partition would be n comparisons per row.
 */
static void
schema_add_from(struct buf *b, const int32_t *parts, const int64_t *from,
    size_t n)
{
	buf_add_str(b, "kafka_partition IN (");
	schema_add_list(b, parts, NULL, n);
	buf_add_str(b, ") AND kafka_offset >= transform(kafka_partition, [");
	schema_add_list(b, parts, NULL, n);
	buf_add_str(b, "], [");
	schema_add_list(b, NULL, from, n);
	buf_add_str(b, "], 9223372036854775807)");
}

/*
 * The resume check's question, for n partitions at once: which offsets of
 * partition parts[i] from from[i] on are in either table.  One scan of each
 * table however many partitions were assigned.  The topic is a string we
 * quote, so it must be a Kafka topic name ([A-Za-z0-9._-]), which conf
 * ensures.
 */
char *
schema_landed_sql(const char *db, const char *const tables[2],
    const char *topic, const int32_t *parts, const int64_t *from, size_t n)
{
	struct buf	b;

	buf_init(&b);
	buf_add_str(&b, "SELECT kafka_partition, kafka_offset FROM ");
	buf_add_str(&b, db);
	buf_add_str(&b, ".");
	buf_add_str(&b, tables[SCHEMA_TICKS]);
	buf_add_str(&b, " WHERE ");
	schema_add_from(&b, parts, from, n);
	buf_add_str(&b, " UNION ALL SELECT kafka_partition, kafka_offset FROM ");
	buf_add_str(&b, db);
	buf_add_str(&b, ".");
	buf_add_str(&b, tables[SCHEMA_REJECTS]);
	buf_add_str(&b, " WHERE kafka_topic = '");
	buf_add_str(&b, topic);
	buf_add_str(&b, "' AND ");
	schema_add_from(&b, parts, from, n);
	buf_add_str(&b, " FORMAT TabSeparated");
	buf_add(&b, "", 1);
	return ((char *)b.data);
}

/* Order (partition, offset) pairs for qsort and bsearch. */
int
schema_cmp_pair(const void *a, const void *b)
{
	const int64_t	*x = a, *y = b;

	if (x[0] != y[0])
		return (x[0] < y[0] ? -1 : 1);
	return ((x[1] > y[1]) - (x[1] < y[1]));
}

/* Read a non-negative decimal of at most 18 digits ending in end_ch. */
static const char *
schema_parse_count(const char *p, const char *end, char end_ch, int64_t *x)
{
	int	digits;

	for (*x = 0, digits = 0; p < end && *p >= '0' && *p <= '9';
	    p++, digits++) {
		if (digits >= 18)
			return (NULL);
		*x = *x * 10 + (*p - '0');
	}
	if (digits == 0 || p == end || *p != end_ch)
		return (NULL);
	return (p + 1);
}

/*
 * Parse "partition\toffset\n" lines into pairs (v[2i], v[2i+1]), sorted,
 * without duplicates (a message can be in both tables after a server-side
 * reject).  Returns -1, leaving *out alone, on anything that is not two
 * non-negative integers per line or a partition beyond Int32.
 */
int
schema_parse_pairs(const char *body, size_t len, int64_t **out, size_t *n)
{
	int64_t		*v = NULL;
	size_t		 cap = 0, cnt = 0, i, k;
	const char	*p = body, *end;

	end = len == 0 ? body : body + len;	/* body may be NULL then */
	while (p < end) {
		if (cnt + 2 > cap) {
			cap = cap == 0 ? 128 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		if ((p = schema_parse_count(p, end, '\t', &v[cnt])) == NULL ||
		    v[cnt] > INT32_MAX ||
		    (p = schema_parse_count(p, end, '\n', &v[cnt + 1])) == NULL)
			goto fail;
		cnt += 2;
	}
	if (cnt > 2)
		qsort(v, cnt / 2, 2 * sizeof *v, schema_cmp_pair);
	for (i = k = 0; i < cnt; i += 2) {
		if (k == 0 || v[k - 2] != v[i] || v[k - 1] != v[i + 1]) {
			v[k++] = v[i];
			v[k++] = v[i + 1];
		}
	}
	free(*out);
	*out = v;
	*n = k / 2;
	return (0);
fail:
	free(v);
	return (-1);
}
