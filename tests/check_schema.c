/*
 * ticksink: unit tests for handlers/schema.c: version detection, the DDL,
 * the INSERT statements, the check of an existing table, and the start-up
 * conversation driven with canned server answers.
 *
 * The expected column types are written out here from DESIGN.md §2 and the
 * RowBinary layout in rowenc.c, not taken from schema.c's own tables.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "schema.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

/* One column as system.columns lists it. */
struct col {
	const char	*name;
	const char	*type;
};

static const struct col ticks_legacy[] = {
	{ "timestamp", "DateTime('UTC')" },
	{ "timestamp_ms", "Int64" },
	{ "symbol", "String" },
	{ "price", "Float64" },
	{ "volume", "Float64" },
	{ "received_at", "DateTime('UTC')" },
	{ "received_at_ms", "Int64" },
	{ "kafka_partition", "Int32" },
	{ "kafka_offset", "Int64" },
	{ "insert_time", "DateTime('UTC')" },
	{ NULL, NULL }
};

static const struct col ticks_current[] = {
	{ "timestamp", "DateTime64(3, 'UTC')" },
	{ "timestamp_ms", "Int64" },
	{ "symbol", "LowCardinality(String)" },
	{ "price", "Float64" },
	{ "volume", "Float64" },
	{ "received_at", "DateTime64(3, 'UTC')" },
	{ "kafka_partition", "Int32" },
	{ "kafka_offset", "Int64" },
	{ "insert_time", "DateTime64(3, 'UTC')" },
	{ NULL, NULL }
};

static const struct col rejects_legacy[] = {
	{ "rejected_at", "DateTime('UTC')" },
	{ "rejected_at_ms", "Int64" },
	{ "kafka_topic", "String" },
	{ "kafka_partition", "Int32" },
	{ "kafka_offset", "Int64" },
	{ "kafka_timestamp_ms", "Int64" },
	{ "reason", "String" },
	{ "detail", "String" },
	{ "raw", "String" },
	{ "raw_size", "UInt32" },
	{ NULL, NULL }
};

static const struct col rejects_current[] = {
	{ "rejected_at", "DateTime64(3, 'UTC')" },
	{ "kafka_topic", "LowCardinality(String)" },
	{ "kafka_partition", "Int32" },
	{ "kafka_offset", "Int64" },
	{ "kafka_timestamp_ms", "Int64" },
	{ "reason", "LowCardinality(String)" },
	{ "detail", "String" },
	{ "raw", "String" },
	{ "raw_size", "UInt32" },
	{ NULL, NULL }
};

/* The expected columns of a table in a dialect. */
static const struct col *
cols_of(enum schema_dialect d, enum schema_table t)
{
	if (t == SCHEMA_TICKS)
		return (d == SCHEMA_LEGACY ? ticks_legacy : ticks_current);
	return (d == SCHEMA_LEGACY ? rejects_legacy : rejects_current);
}

/*
 * Render the columns as system.columns answers in TabSeparatedRaw: one
 * "name\ttype\n" per column.  A column named by skip is left out; one named
 * by name gets type instead of its own.
 */
static char *
tsv(enum schema_dialect d, enum schema_table t, const char *skip,
    const char *name, const char *type)
{
	const struct col	*c;
	static char		 out[4096];
	size_t			 n = 0;

	out[0] = '\0';
	for (c = cols_of(d, t); c->name != NULL; c++) {
		if (skip != NULL && strcmp(c->name, skip) == 0)
			continue;
		n += (size_t)snprintf(out + n, sizeof out - n, "%s\t%s\n",
		    c->name, name != NULL && strcmp(c->name, name) == 0 ?
		    type : c->type);
		ck_assert_uint_lt(n, sizeof out);
	}
	return (out);
}

/* A version string and what it must give. */
struct version_case {
	const char		*s;
	int			 rc;
	int			 major, minor, patch;
	enum schema_dialect	 dialect;
	bool			 ttl;
};

static const struct version_case versions[] = {
	{ "18.16.1\n", 0, 18, 16, 1, SCHEMA_LEGACY, false },
	{ "18.16.1", 0, 18, 16, 1, SCHEMA_LEGACY, false },
	{ "18.16.1\r\n", 0, 18, 16, 1, SCHEMA_LEGACY, false },
	{ "19.17.1", 0, 19, 17, 1, SCHEMA_LEGACY, false },
	{ "19.17.9.60\n", 0, 19, 17, 9, SCHEMA_LEGACY, false },
	{ "20.1.2.4", 0, 20, 1, 2, SCHEMA_CURRENT, true },
	{ "20.0.1", 0, 20, 0, 1, SCHEMA_LEGACY, false },
	{ "21.3.20.1\n", 0, 21, 3, 20, SCHEMA_CURRENT, true },
	{ "24.8.4.13\n", 0, 24, 8, 4, SCHEMA_CURRENT, true },
	{ "26.7.3.1", 0, 26, 7, 3, SCHEMA_CURRENT, true },
	{ "1.1.54245", 0, 1, 1, 54245, SCHEMA_LEGACY, false },
	{ "", -1, 0, 0, 0, SCHEMA_LEGACY, false },
	{ "\n", -1, 0, 0, 0, SCHEMA_LEGACY, false },
	{ "garbage", -1, 0, 0, 0, SCHEMA_LEGACY, false },
	{ "20.1", -1, 0, 0, 0, SCHEMA_LEGACY, false },
	{ "v20.1.2", -1, 0, 0, 0, SCHEMA_LEGACY, false },
	{ "0.1.2", -1, 0, 0, 0, SCHEMA_LEGACY, false },
	{ "Code: 516. DB::Exception: default: Authentication failed", -1,
	    0, 0, 0, SCHEMA_LEGACY, false },
	/* 64 bytes and more are not a version. */
	{ "24.8.4.13-lts-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    -1, 0, 0, 0, SCHEMA_LEGACY, false },
};

/* schema_parse_version derives numbers, dialect and TTL, or fails. */
START_TEST(test_schema_parse_version_table)
{
	const struct version_case	*c = &versions[_i];
	struct schema_caps		 caps;

	memset(&caps, 0xa5, sizeof caps);
	ck_assert_int_eq(schema_parse_version(c->s, strlen(c->s), &caps),
	    c->rc);
	if (c->rc != 0)
		return;
	ck_assert_int_eq(caps.major, c->major);
	ck_assert_int_eq(caps.minor, c->minor);
	ck_assert_int_eq(caps.patch, c->patch);
	ck_assert_int_eq(caps.dialect, c->dialect);
	ck_assert_int_eq(caps.ttl, c->ttl);
	ck_assert(!caps.dedup_token);
}
END_TEST

/* Caps for a dialect, as parse_version gives them. */
static struct schema_caps
caps_of(enum schema_dialect d)
{
	struct schema_caps	caps;
	const char		*v = d == SCHEMA_LEGACY ? "18.16.1" : "20.1.2.4";

	ck_assert_int_eq(schema_parse_version(v, strlen(v), &caps), 0);
	return (caps);
}

/* CREATE names every column with its dialect's type, in order. */
START_TEST(test_schema_create_columns)
{
	enum schema_dialect	 d = _i / 2 ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	enum schema_table	 t = _i % 2 ? SCHEMA_REJECTS : SCHEMA_TICKS;
	struct schema_caps	 caps = caps_of(d);
	const struct col	*c;
	char			*sql, want[256];
	const char		*p, *prev;

	sql = schema_create_sql(&caps, t, "db", "tbl", 1);
	ck_assert_ptr_nonnull(sql);
	ck_assert_ptr_eq(strstr(sql, "CREATE TABLE IF NOT EXISTS db.tbl ("),
	    sql);
	ck_assert_ptr_nonnull(strstr(sql, "ENGINE = MergeTree"));
	prev = sql;
	for (c = cols_of(d, t); c->name != NULL; c++) {
		if (strcmp(c->name, "insert_time") == 0)
			continue;
		snprintf(want, sizeof want, "%s %s,", c->name, c->type);
		if (c[1].name == NULL)
			snprintf(want, sizeof want, "%s %s)", c->name,
			    c->type);
		p = strstr(sql, want);
		ck_assert_msg(p != NULL, "'%s' not in '%s'", want, sql);
		ck_assert_msg(p > prev, "'%s' out of order in '%s'", want,
		    sql);
		prev = p;
	}
	if (d == SCHEMA_LEGACY) {
		ck_assert_ptr_null(strstr(sql, "DateTime64"));
		ck_assert_ptr_null(strstr(sql, "LowCardinality"));
		ck_assert_ptr_null(strstr(sql, "TTL"));
	} else {
		ck_assert_ptr_null(strstr(sql, "received_at_ms"));
		ck_assert_ptr_null(strstr(sql, "rejected_at_ms"));
		ck_assert_ptr_null(strstr(sql, "DateTime('UTC')"));
	}
	free(sql);
}
END_TEST

/* The ticks table has insert_time filled by the server. */
START_TEST(test_schema_create_insert_time_default)
{
	struct schema_caps	 legacy = caps_of(SCHEMA_LEGACY);
	struct schema_caps	 current = caps_of(SCHEMA_CURRENT);
	char			*sql;

	sql = schema_create_sql(&legacy, SCHEMA_TICKS, "db", "t", 1);
	ck_assert_ptr_nonnull(strstr(sql,
	    "insert_time DateTime('UTC') DEFAULT now()"));
	ck_assert_ptr_nonnull(strstr(sql,
	    "PARTITION BY toYYYYMMDD(timestamp) ORDER BY timestamp_ms"));
	free(sql);
	sql = schema_create_sql(&current, SCHEMA_TICKS, "db", "t", 1);
	ck_assert_ptr_nonnull(strstr(sql,
	    "insert_time DateTime64(3, 'UTC') DEFAULT now64(3)"));
	ck_assert_ptr_nonnull(strstr(sql,
	    "PARTITION BY toYYYYMMDD(timestamp) ORDER BY timestamp_ms"));
	free(sql);
	sql = schema_create_sql(&current, SCHEMA_REJECTS, "db", "r", 1);
	ck_assert_ptr_null(strstr(sql, "insert_time"));
	free(sql);
}
END_TEST

/* TTL only where the server has it and days are set. */
START_TEST(test_schema_create_ttl)
{
	struct schema_caps	 legacy = caps_of(SCHEMA_LEGACY);
	struct schema_caps	 current = caps_of(SCHEMA_CURRENT);
	char			*sql;
	const char		*ttl = " TTL toDateTime(timestamp) + INTERVAL 1 "
				    "DAY DELETE";

	sql = schema_create_sql(&current, SCHEMA_TICKS, "db", "t", 1);
	ck_assert_ptr_nonnull(strstr(sql, ttl));
	ck_assert_str_eq(sql + strlen(sql) - strlen(ttl), ttl);
	free(sql);
	sql = schema_create_sql(&current, SCHEMA_REJECTS, "db", "r", 30);
	ck_assert_ptr_nonnull(strstr(sql,
	    " TTL toDateTime(rejected_at) + INTERVAL 30 DAY DELETE"));
	free(sql);
	sql = schema_create_sql(&current, SCHEMA_TICKS, "db", "t", 0);
	ck_assert_ptr_null(strstr(sql, "TTL"));
	free(sql);
	sql = schema_create_sql(&legacy, SCHEMA_TICKS, "db", "t", 1);
	ck_assert_ptr_null(strstr(sql, "TTL"));
	free(sql);
}
END_TEST

/* An INSERT statement and what it must be. */
struct insert_case {
	enum schema_dialect	 d;
	enum schema_table	 t;
	const char		*name;
	const char		*sql;
};

static const struct insert_case inserts[] = {
	{ SCHEMA_LEGACY, SCHEMA_TICKS, "ticks_db", "INSERT INTO db.ticks_db "
	    "(timestamp, timestamp_ms, symbol, price, volume, received_at, "
	    "received_at_ms, kafka_partition, kafka_offset) FORMAT Native" },
	{ SCHEMA_CURRENT, SCHEMA_TICKS, "ticks_db", "INSERT INTO db.ticks_db "
	    "(timestamp, timestamp_ms, symbol, price, volume, received_at, "
	    "kafka_partition, kafka_offset) FORMAT Native" },
	{ SCHEMA_LEGACY, SCHEMA_REJECTS, "ticks_rejected", "INSERT INTO "
	    "db.ticks_rejected (rejected_at, rejected_at_ms, kafka_topic, "
	    "kafka_partition, kafka_offset, kafka_timestamp_ms, reason, detail, "
	    "raw, raw_size) FORMAT RowBinary" },
	{ SCHEMA_CURRENT, SCHEMA_REJECTS, "ticks_rejected", "INSERT INTO "
	    "db.ticks_rejected (rejected_at, kafka_topic, kafka_partition, "
	    "kafka_offset, kafka_timestamp_ms, reason, detail, raw, raw_size) "
	    "FORMAT RowBinary" },
};

/* schema_insert_sql is exact: the column order is rowenc's byte order. */
START_TEST(test_schema_insert_sql_exact)
{
	const struct insert_case	*c = &inserts[_i];
	char				*sql;

	sql = schema_insert_sql(c->d, c->t, "db", c->name);
	ck_assert_str_eq(sql, c->sql);
	free(sql);
}
END_TEST

/* A table as we create it passes the check. */
START_TEST(test_schema_check_exact_match)
{
	enum schema_dialect	 d = _i / 2 ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	enum schema_table	 t = _i % 2 ? SCHEMA_REJECTS : SCHEMA_TICKS;
	const char		*s = tsv(d, t, NULL, NULL, NULL);
	char			*cause = NULL;

	ck_assert_int_eq(schema_check_columns(d, t, "db", "t", s, strlen(s),
	    &cause), 0);
	ck_assert_ptr_null(cause);
}
END_TEST

/* A type that takes the same bytes, accepted or refused. */
struct type_case {
	enum schema_dialect	 d;
	enum schema_table	 t;
	const char		*col;
	const char		*type;
	int			 rc;
};

static const struct type_case types[] = {
	/* LowCardinality is what we create, but String takes the bytes. */
	{ SCHEMA_CURRENT, SCHEMA_TICKS, "symbol", "String", 0 },
	{ SCHEMA_CURRENT, SCHEMA_REJECTS, "reason", "String", 0 },
	{ SCHEMA_LEGACY, SCHEMA_TICKS, "symbol", "LowCardinality(String)", 0 },
	/* The time zone does not change the bytes. */
	{ SCHEMA_LEGACY, SCHEMA_TICKS, "timestamp", "DateTime", 0 },
	{ SCHEMA_CURRENT, SCHEMA_TICKS, "timestamp", "DateTime64(3)", 0 },
	{ SCHEMA_CURRENT, SCHEMA_REJECTS, "rejected_at", "DateTime64(3)", 0 },
	/* LEGACY sends UInt32 seconds: a DateTime64 would misread them. */
	{ SCHEMA_LEGACY, SCHEMA_TICKS, "timestamp", "DateTime64(3)", -1 },
	{ SCHEMA_LEGACY, SCHEMA_TICKS, "timestamp", "DateTime64(3, 'UTC')",
	    -1 },
	{ SCHEMA_LEGACY, SCHEMA_TICKS, "received_at", "DateTime64(3)", -1 },
	/*
	 * CURRENT sends times as Int64 milliseconds (8 bytes); a DateTime
	 * column reads a UInt32 (4 bytes) and would misalign every row after.
	 */
	{ SCHEMA_CURRENT, SCHEMA_TICKS, "timestamp", "DateTime", -1 },
	{ SCHEMA_CURRENT, SCHEMA_TICKS, "received_at", "DateTime", -1 },
	{ SCHEMA_CURRENT, SCHEMA_REJECTS, "rejected_at", "DateTime", -1 },
	{ SCHEMA_CURRENT, SCHEMA_TICKS, "timestamp", "DateTime('UTC')", -1 },
	/* Another precision is another number. */
	{ SCHEMA_CURRENT, SCHEMA_TICKS, "timestamp", "DateTime64(6, 'UTC')",
	    -1 },
	/* Plain mismatches. */
	{ SCHEMA_LEGACY, SCHEMA_TICKS, "price", "Float32", -1 },
	{ SCHEMA_CURRENT, SCHEMA_TICKS, "price", "Decimal(18, 8)", -1 },
	{ SCHEMA_LEGACY, SCHEMA_TICKS, "kafka_offset", "UInt64", -1 },
	{ SCHEMA_CURRENT, SCHEMA_TICKS, "symbol", "Nullable(String)", -1 },
	{ SCHEMA_LEGACY, SCHEMA_REJECTS, "raw_size", "UInt64", -1 },
	{ SCHEMA_LEGACY, SCHEMA_TICKS, "symbol", "", -1 },
	{ SCHEMA_LEGACY, SCHEMA_TICKS, "symbol", "Strin", -1 },
	{ SCHEMA_LEGACY, SCHEMA_TICKS, "symbol", "StringX", -1 },
};

/* Types that take our bytes pass; others fail naming both types. */
START_TEST(test_schema_check_types)
{
	const struct type_case	*c = &types[_i];
	const char		*s = tsv(c->d, c->t, NULL, c->col, c->type);
	const struct col	*k;
	char			*cause = NULL, want[256];

	ck_assert_int_eq(schema_check_columns(c->d, c->t, "db", "t", s,
	    strlen(s), &cause), c->rc);
	if (c->rc == 0) {
		ck_assert_ptr_null(cause);
		return;
	}
	ck_assert_ptr_nonnull(cause);
	for (k = cols_of(c->d, c->t); strcmp(k->name, c->col) != 0; k++)
		;
	snprintf(want, sizeof want, "table db.t: column %s has type %s, "
	    "expected %s", c->col, c->type, k->type);
	ck_assert_str_eq(cause, want);
	free(cause);
}
END_TEST

/* A missing column fails with the ALTER statement that adds it. */
START_TEST(test_schema_check_missing_column)
{
	enum schema_dialect	 d = _i / 2 ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	enum schema_table	 t = _i % 2 ? SCHEMA_REJECTS : SCHEMA_TICKS;
	const char		*s = tsv(d, t, "kafka_offset", NULL, NULL);
	char			*cause = NULL;

	ck_assert_int_eq(schema_check_columns(d, t, "db", "t", s, strlen(s),
	    &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_str_eq(cause, "table db.t has no column kafka_offset; add it "
	    "with: ALTER TABLE db.t ADD COLUMN kafka_offset Int64");
	free(cause);
}
END_TEST

/* The old ticks_db (no Kafka columns) is refused, naming the first. */
START_TEST(test_schema_check_old_table)
{
	const char	*old = "timestamp\tDateTime64(3, 'UTC')\n"
			    "timestamp_ms\tInt64\nsymbol\tString\n"
			    "price\tFloat64\nvolume\tFloat64\n"
			    "received_at\tDateTime64(3, 'UTC')\n"
			    "insert_time\tDateTime64(3, 'UTC')\n";
	char		*cause = NULL;

	ck_assert_int_eq(schema_check_columns(SCHEMA_CURRENT, SCHEMA_TICKS,
	    "default", "ticks_db", old, strlen(old), &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "kafka_partition"));
	ck_assert_ptr_nonnull(strstr(cause, "ALTER TABLE default.ticks_db "
	    "ADD COLUMN kafka_partition Int32"));
	free(cause);
}
END_TEST

/* Names match whole: timestamp_ms does not stand in for timestamp. */
START_TEST(test_schema_check_name_prefix)
{
	const char	*s = tsv(SCHEMA_LEGACY, SCHEMA_TICKS, "timestamp", NULL,
			    NULL);
	char		*cause = NULL;

	ck_assert_int_eq(schema_check_columns(SCHEMA_LEGACY, SCHEMA_TICKS,
	    "db", "t", s, strlen(s), &cause), -1);
	ck_assert_str_eq(cause, "table db.t has no column timestamp; add it "
	    "with: ALTER TABLE db.t ADD COLUMN timestamp DateTime('UTC')");
	free(cause);
}
END_TEST

/* Extra columns, any order and no final newline are fine. */
START_TEST(test_schema_check_extra_and_order)
{
	char		 s[4096];
	const char	*base = tsv(SCHEMA_CURRENT, SCHEMA_TICKS, NULL, NULL,
			    NULL);
	char		*cause = NULL;
	size_t		 n;

	n = (size_t)snprintf(s, sizeof s, "exchange\tLowCardinality(String)\n"
	    "kafka_offset\tInt64\n%stag\tString", base);
	ck_assert_int_eq(schema_check_columns(SCHEMA_CURRENT, SCHEMA_TICKS,
	    "db", "t", s, n, &cause), 0);
	ck_assert_ptr_null(cause);
}
END_TEST

/* An empty answer (no such table) names the first column. */
START_TEST(test_schema_check_empty)
{
	char	*cause = NULL;

	ck_assert_int_eq(schema_check_columns(SCHEMA_CURRENT, SCHEMA_REJECTS,
	    "db", "r", "", 0, &cause), -1);
	ck_assert_str_eq(cause, "table db.r has no column rejected_at; add it "
	    "with: ALTER TABLE db.r ADD COLUMN rejected_at "
	    "DateTime64(3, 'UTC')");
	free(cause);
}
END_TEST

/* One exchange of the start-up conversation. */
struct step {
	const char		*sql;		/* prefix the statement has */
	bool			 exact;
	const char		*answer;
	enum schema_boot_state	 after;
};

/* Run a conversation; every statement must start with (or be) its sql. */
static void
converse(struct schema_boot *sb, const struct step *steps, size_t n)
{
	size_t	 i;
	char	*sql, *cause = NULL;

	for (i = 0; i < n; i++) {
		sql = schema_boot_next(sb);
		ck_assert_ptr_nonnull(sql);
		if (steps[i].exact)
			ck_assert_str_eq(sql, steps[i].sql);
		else
			ck_assert_msg(strncmp(sql, steps[i].sql,
			    strlen(steps[i].sql)) == 0, "step %zu: '%s'", i,
			    sql);
		free(sql);
		ck_assert_int_eq(schema_boot_answer(sb, steps[i].answer,
		    strlen(steps[i].answer), &cause), 0);
		ck_assert_ptr_null(cause);
		ck_assert_int_eq(sb->state, steps[i].after);
	}
}

#define Q_SETTINGS	"SELECT name FROM system.settings WHERE name = " \
			"'insert_deduplication_token'"
#define Q_COLUMNS(t)	"SELECT name, type FROM system.columns WHERE "	\
			"database = 'db' AND table = '" t "' FORMAT "	\
			"TabSeparatedRaw"

/* The whole start-up on 18.16.1 ends in DONE with the LEGACY dialect. */
START_TEST(test_schema_boot_legacy)
{
	struct schema_boot	sb;
	char			ticks[4096], rejects[4096];
	struct step		steps[] = {
		{ "SELECT version()", true, "18.16.1\n",
		    SCHEMA_BOOT_SETTINGS },
		{ Q_SETTINGS, true, "", SCHEMA_BOOT_DATABASE },
		{ "CREATE DATABASE IF NOT EXISTS db", true, "",
		    SCHEMA_BOOT_CREATE_TICKS },
		{ "CREATE TABLE IF NOT EXISTS db.ticks (timestamp "
		    "DateTime('UTC'), ", false, "", SCHEMA_BOOT_CREATE_REJECTS },
		{ "CREATE TABLE IF NOT EXISTS db.rejects (rejected_at "
		    "DateTime('UTC'), ", false, "", SCHEMA_BOOT_COLUMNS_TICKS },
		{ Q_COLUMNS("ticks"), true, ticks,
		    SCHEMA_BOOT_COLUMNS_REJECTS },
		{ Q_COLUMNS("rejects"), true, rejects,
		    SCHEMA_BOOT_CREATE_WS_DIAG },
		{ "CREATE TABLE IF NOT EXISTS db.websocket_diagnostics "
		    "(window_start DateTime('UTC'), ", false, "",
		    SCHEMA_BOOT_CREATE_PROC_DIAG },
		{ "CREATE TABLE IF NOT EXISTS db.processing_diagnostics "
		    "(window_start DateTime('UTC'), ", false, "",
		    SCHEMA_BOOT_CREATE_UPTIME },
		{ "CREATE TABLE IF NOT EXISTS db.uptime_db (window_start "
		    "DateTime('UTC'), ", false, "", SCHEMA_BOOT_CREATE_MONITORING },
		{ "CREATE TABLE IF NOT EXISTS db.monitoring_db (event_time "
		    "DateTime('UTC'), ", false, "", SCHEMA_BOOT_DONE },
	};

	strcpy(ticks, tsv(SCHEMA_LEGACY, SCHEMA_TICKS, NULL, NULL, NULL));
	strcpy(rejects, tsv(SCHEMA_LEGACY, SCHEMA_REJECTS, NULL, NULL, NULL));
	schema_boot_init(&sb, "db", "ticks", "rejects", 1, 30);
	ck_assert_int_eq(sb.state, SCHEMA_BOOT_VERSION);
	converse(&sb, steps, nitems(steps));
	ck_assert_ptr_null(schema_boot_next(&sb));
	ck_assert_int_eq(sb.caps.dialect, SCHEMA_LEGACY);
	ck_assert_int_eq(sb.caps.major, 18);
	ck_assert(!sb.caps.ttl);
	ck_assert(!sb.caps.dedup_token);
}
END_TEST

/* On a current server the dialect, TTL and dedup token are detected. */
START_TEST(test_schema_boot_current)
{
	struct schema_boot	 sb;
	char			 ticks[4096], rejects[4096], *sql;
	struct step		 probe[] = {
		{ "SELECT version()", true, "24.8.4.13\n",
		    SCHEMA_BOOT_SETTINGS },
		{ Q_SETTINGS, true, "insert_deduplication_token\n",
		    SCHEMA_BOOT_DATABASE },
		{ "CREATE DATABASE IF NOT EXISTS db", true, "",
		    SCHEMA_BOOT_CREATE_TICKS },
	};
	struct step		 rest[] = {
		{ "CREATE TABLE IF NOT EXISTS db.ticks", false, "",
		    SCHEMA_BOOT_CREATE_REJECTS },
		{ "CREATE TABLE IF NOT EXISTS db.rejects", false, "",
		    SCHEMA_BOOT_COLUMNS_TICKS },
		{ Q_COLUMNS("ticks"), true, ticks,
		    SCHEMA_BOOT_COLUMNS_REJECTS },
		{ Q_COLUMNS("rejects"), true, rejects,
		    SCHEMA_BOOT_CREATE_WS_DIAG },
		{ "CREATE TABLE IF NOT EXISTS db.websocket_diagnostics "
		    "(window_start DateTime64(3, 'UTC'), ", false, "",
		    SCHEMA_BOOT_CREATE_PROC_DIAG },
		{ "CREATE TABLE IF NOT EXISTS db.processing_diagnostics", false,
		    "", SCHEMA_BOOT_CREATE_UPTIME },
		{ "CREATE TABLE IF NOT EXISTS db.uptime_db", false, "",
		    SCHEMA_BOOT_CREATE_MONITORING },
		{ "CREATE TABLE IF NOT EXISTS db.monitoring_db", false, "",
		    SCHEMA_BOOT_DONE },
	};

	strcpy(ticks, tsv(SCHEMA_CURRENT, SCHEMA_TICKS, NULL, NULL, NULL));
	strcpy(rejects, tsv(SCHEMA_CURRENT, SCHEMA_REJECTS, NULL, NULL,
	    NULL));
	schema_boot_init(&sb, "db", "ticks", "rejects", 1, 30);
	converse(&sb, probe, nitems(probe));
	ck_assert_int_eq(sb.caps.dialect, SCHEMA_CURRENT);
	ck_assert(sb.caps.ttl);
	ck_assert(sb.caps.dedup_token);
	sql = schema_boot_next(&sb);
	ck_assert_ptr_nonnull(strstr(sql, "CREATE TABLE IF NOT EXISTS "
	    "db.ticks (timestamp DateTime64(3, 'UTC'), "));
	ck_assert_ptr_nonnull(strstr(sql,
	    "TTL toDateTime(timestamp) + INTERVAL 1 DAY DELETE"));
	/* Dedup tokens need the table to keep insert hashes. */
	ck_assert_ptr_nonnull(strstr(sql,
	    " SETTINGS non_replicated_deduplication_window = 1000"));
	free(sql);
	converse(&sb, rest, nitems(rest));
	ck_assert_ptr_null(schema_boot_next(&sb));
}
END_TEST

/* A mismatching column answer fails the start-up with the reason. */
START_TEST(test_schema_boot_column_mismatch)
{
	struct schema_boot	 sb;
	char			*cause = NULL, *sql;
	const char		*bad;
	struct step		 steps[] = {
		{ "SELECT version()", true, "18.16.1\n",
		    SCHEMA_BOOT_SETTINGS },
		{ Q_SETTINGS, true, "", SCHEMA_BOOT_DATABASE },
		{ "CREATE DATABASE", false, "", SCHEMA_BOOT_CREATE_TICKS },
		{ "CREATE TABLE", false, "", SCHEMA_BOOT_CREATE_REJECTS },
		{ "CREATE TABLE", false, "", SCHEMA_BOOT_COLUMNS_TICKS },
	};

	schema_boot_init(&sb, "db", "ticks", "rejects", 1, 30);
	converse(&sb, steps, nitems(steps));
	sql = schema_boot_next(&sb);
	ck_assert_str_eq(sql, Q_COLUMNS("ticks"));
	free(sql);
	bad = tsv(SCHEMA_LEGACY, SCHEMA_TICKS, NULL, "price", "Float32");
	ck_assert_int_eq(schema_boot_answer(&sb, bad, strlen(bad), &cause),
	    -1);
	ck_assert_int_eq(sb.state, SCHEMA_BOOT_FAILED);
	ck_assert_str_eq(cause, "table db.ticks: column price has type "
	    "Float32, expected Float64");
	free(cause);
	ck_assert_ptr_null(schema_boot_next(&sb));
}
END_TEST

/* An unreadable version fails at once. */
START_TEST(test_schema_boot_bad_version)
{
	struct schema_boot	 sb;
	char			*cause = NULL, *sql;
	const char		*answer = "<html>proxy error</html>";

	schema_boot_init(&sb, "db", "ticks", "rejects", 1, 30);
	sql = schema_boot_next(&sb);
	free(sql);
	ck_assert_int_eq(schema_boot_answer(&sb, answer, strlen(answer),
	    &cause), -1);
	ck_assert_int_eq(sb.state, SCHEMA_BOOT_FAILED);
	ck_assert_str_eq(cause, "clickhouse: cannot parse version "
	    "'<html>proxy error</html>'");
	free(cause);
	ck_assert_ptr_null(schema_boot_next(&sb));
}
END_TEST

/*
 * The resume check's and the probe's answers: pairs sorted by partition
 * then offset, duplicates (a row in both tables) once, an empty answer
 * empty.  Anything else is refused and leaves the previous array alone.
 */
START_TEST(test_schema_parse_pairs)
{
	static const char *const bad[] = { "x\n", "1\t2", "1 2\n", "1\n",
	    "\t2\n", "1\t\n", "-1\t2\n", "1\t-2\n", "1\t2\n3",
	    "2147483648\t0\n", "0\t1234567890123456789\n", "1\t2\r\n" };
	const char	*ok = "7\t3\n0\t9\n7\t1\n2147483647\t0\n0\t9\n"
			    "7\t123456789012345678\n";
	int64_t		*v = NULL, *keep;
	size_t		 n = 0, i;

	ck_assert_int_eq(schema_parse_pairs(ok, strlen(ok), &v, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(v[0], 0);
	ck_assert_int_eq(v[1], 9);
	ck_assert_int_eq(v[2], 7);
	ck_assert_int_eq(v[3], 1);
	ck_assert_int_eq(v[4], 7);
	ck_assert_int_eq(v[5], 3);
	ck_assert_int_eq(v[7], 123456789012345678LL);
	ck_assert_int_eq(v[8], INT32_MAX);
	keep = v;
	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(schema_parse_pairs(bad[i], strlen(bad[i]), &v,
		    &n) == -1, "accepted %s", bad[i]);
		ck_assert_ptr_eq(v, keep);
		ck_assert_uint_eq(n, 5);
	}
	ck_assert_int_eq(schema_parse_pairs("", 0, &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
}
END_TEST

/* One resume check for several partitions: one lookup per table. */
START_TEST(test_schema_landed_sql)
{
	static const int32_t	 parts[] = { 3, 12 };
	static const int64_t	 from[] = { 0, 9000000000 };
	const char		*tables[2] = { "ticks_db", "ticks_rejected" };
	char			*sql;

	sql = schema_landed_sql("db", tables, "price_ticks", parts, from, 2);
	ck_assert_str_eq(sql, "SELECT kafka_partition, kafka_offset FROM "
	    "db.ticks_db WHERE kafka_partition IN (3, 12) AND kafka_offset >= "
	    "transform(kafka_partition, [3, 12], [0, 9000000000], "
	    "9223372036854775807) UNION ALL SELECT kafka_partition, "
	    "kafka_offset FROM db.ticks_rejected WHERE kafka_topic = "
	    "'price_ticks' AND kafka_partition IN (3, 12) AND kafka_offset >= "
	    "transform(kafka_partition, [3, 12], [0, 9000000000], "
	    "9223372036854775807) FORMAT TabSeparated");
	free(sql);
}
END_TEST

/* The names used in logs. */
START_TEST(test_schema_names)
{
	static const char	*names[] = { "version", "settings",
	    "database", "create_ticks", "create_rejects", "columns_ticks",
	    "columns_rejects", "create_websocket_diagnostics",
	    "create_processing_diagnostics", "create_uptime",
	    "create_monitoring", "done", "failed" };
	size_t			 i;

	for (i = 0; i < nitems(names); i++)
		ck_assert_str_eq(schema_boot_state_name(
		    (enum schema_boot_state)i), names[i]);
	ck_assert_str_eq(schema_dialect_name(SCHEMA_LEGACY), "legacy");
	ck_assert_str_eq(schema_dialect_name(SCHEMA_CURRENT), "current");
}
END_TEST

/* Builds the suite: versions, DDL, checks and the conversation. */
static Suite *
schema_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("schema");

	tc = tcase_create("version");
	tcase_add_loop_test(tc, test_schema_parse_version_table, 0,
	    nitems(versions));
	tcase_add_test(tc, test_schema_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("sql");
	tcase_add_loop_test(tc, test_schema_create_columns, 0, 4);
	tcase_add_test(tc, test_schema_create_insert_time_default);
	tcase_add_test(tc, test_schema_create_ttl);
	tcase_add_loop_test(tc, test_schema_insert_sql_exact, 0,
	    nitems(inserts));
	tcase_add_test(tc, test_schema_landed_sql);
	tcase_add_test(tc, test_schema_parse_pairs);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_loop_test(tc, test_schema_check_exact_match, 0, 4);
	tcase_add_loop_test(tc, test_schema_check_types, 0, nitems(types));
	tcase_add_loop_test(tc, test_schema_check_missing_column, 0, 4);
	tcase_add_test(tc, test_schema_check_old_table);
	tcase_add_test(tc, test_schema_check_name_prefix);
	tcase_add_test(tc, test_schema_check_extra_and_order);
	tcase_add_test(tc, test_schema_check_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("boot");
	tcase_add_test(tc, test_schema_boot_legacy);
	tcase_add_test(tc, test_schema_boot_current);
	tcase_add_test(tc, test_schema_boot_column_mismatch);
	tcase_add_test(tc, test_schema_boot_bad_version);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (check_run(schema_suite()));
}
