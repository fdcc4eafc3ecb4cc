/*
 * chdb_compat: the CURRENT dialect, which every 24.x to 26.x server gets,
 * checked against the real ClickHouse 26 engine.
 *
 * The integration tests run Debian's clickhouse-server 18.16.1, so without
 * this the current dialect would only be checked as strings.  npm's
 * @chdb/lib-linux-x64-gnu ships the engine as libchdb.so; it is loaded with
 * dlopen from $CHDB_LIB (scripts/fetch-chdb provides it), so nothing links
 * against it.  Without it the test exits 77 (skipped) and says why.
 *
 * Everything sent is produced by the real core, nothing is retyped here:
 *
 *  1. The start-up conversation (schema_boot_next and schema_boot_answer)
 *     runs on the engine: version, settings probe, CREATE DATABASE, every
 *     CREATE TABLE it makes, the column check.  It runs twice, as a restart
 *     against existing tables does.  Then system.columns and SHOW CREATE
 *     must show DateTime64(3, 'UTC'), LowCardinality(String), the TTL and
 *     non_replicated_deduplication_window.
 *  2. Ticks and rejects bodies from rowenc_tick and rowenc_reject (edge
 *     values: extreme and subnormal prices, 0 and -0 volume, 64-byte
 *     symbols, binary raw bytes, times on both sides of midnight and of DST
 *     switches in other zones) are inserted with the very statement
 *     schema_insert_sql gives (ticks in the Native block rowenc_native_read
 *     makes of the rows, also into a table of the other accepted types),
 *     the body read by FROM INFILE placed before its FORMAT, and the dedup
 *     token of sink_token as a setting, as the URL carries it.  (Over
 *     HTTP the body follows the statement and a newline; chdb ends data
 *     written inline that way at the first empty line, which RowBinary
 *     bodies contain, so it cannot stand in for that.)  The same rows then
 *     go through file(..., 'RowBinary', ...) into a twin table made by the
 *     same CREATE.  Every value is read back in RowBinary and compared bit
 *     for bit; the session time zone is set far from UTC so that only the
 *     column types can make the times come out as UTC.
 *  3. Over those rows: the resume check (schema_landed_sql), the probe
 *     (sink_probe_sql), the dedup of a resend, a diagnostics heartbeat
 *     (diag_heartbeat_sql, diag_result_sql, diag_parse_result) and an empty
 *     one, the monitoring events (diag_events_sql), the TTL, and the
 *     partition retention that servers without TTL get (diag_parts_sql,
 *     diag_retention_drops); each result compared with what the input says.
 */

#include <sys/stat.h>

#include <assert.h>
#include <dlfcn.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "decode.h"
#include "diag.h"
#include "insert.h"
#include "rowenc.h"
#include "schema.h"
#include "sink.h"
#include "tick.h"
#include "xmalloc.h"

#define COMPAT_DB		"ticksink_compat"
#define COMPAT_TICKS		"ticks_db"
#define COMPAT_REJECTS		"ticks_rejected"
#define COMPAT_TOPIC		"price_ticks"
#define COMPAT_TICKS_TTL	1	/* days, as reactor/ch.c asks */
#define COMPAT_REJECTS_TTL	7
#define COMPAT_RAW_MAX		4096	/* reject_raw_max_bytes default */
#define COMPAT_NGEN		5000	/* generated ticks beside the edges */
#define COMPAT_SESSION_TZ	"Pacific/Kiritimati"	/* UTC+14 */
#define COMPAT_SHOW_MAX		8	/* mismatches printed per table */
#define COMPAT_SKIP		77	/* meson's "skipped" exit status */

/* dlsym answers void *; POSIX lets it hold a function's address. */
static_assert(sizeof(void *) == sizeof(void (*)(void)),
    "dlsym results are stored as function pointers");

/* Opaque chdb handles: chdb_connection points at one, chdb_result is one. */
struct compat_conn;
struct compat_result;

/*
 * The part of chdb.h we use.  The npm package ships no header; these match
 * chdb-io/chdb-core programs/local/chdb.h (CHDB_VERSION 26.7).
 */
struct compat_api {
	const char		 *(*version)(void);
	struct compat_conn	**(*connect)(int, char **);
	void			  (*close_conn)(struct compat_conn **);
	struct compat_result	 *(*query_n)(struct compat_conn *,
				      const char *, size_t, const char *,
				      size_t);
	const char		 *(*result_error)(struct compat_result *);
	char			 *(*result_buffer)(struct compat_result *);
	size_t			  (*result_length)(struct compat_result *);
	void			  (*destroy_query_result)(
				      struct compat_result *);
};

/* The run: the engine, its data directory and the tally of checks. */
struct compat {
	struct compat_api	  api;
	struct compat_conn	**conn;
	char			  dir[PATH_MAX];
	struct schema_caps	  caps;		/* what the boot found */
	char			 *created[16];	/* "db.table" per CREATE */
	size_t			  ncreated;
	char			 *create_sql[16];
	unsigned		  checks;
	unsigned		  failed;
	uint64_t		  rng;
	int64_t			  now_ms;
};

/* A column as the engine must report it in system.columns. */
struct compat_col {
	const char	*name;
	const char	*type;
	const char	*dflt;		/* default_expression */
};

/* One tick row: what went in. */
struct compat_tick {
	struct tick		t;
	struct rowenc_origin	o;
	bool			recent;	/* inside the TTL */
};

/* One reject row: what went in, and the raw bytes it borrows. */
struct compat_reject {
	struct rowenc_reject	r;
	bool			recent;
};

/* A RowBinary reader over an answer. */
struct compat_rd {
	const uint8_t	*p;
	const uint8_t	*end;
	bool		 short_read;
};

static const struct compat_col compat_ticks_want[] = {
	{ "timestamp", "DateTime64(3, 'UTC')", "" },
	{ "timestamp_ms", "Int64", "" },
	{ "symbol", "LowCardinality(String)", "" },
	{ "price", "Float64", "" },
	{ "volume", "Float64", "" },
	{ "received_at", "DateTime64(3, 'UTC')", "" },
	{ "kafka_partition", "Int32", "" },
	{ "kafka_offset", "Int64", "" },
	{ "insert_time", "DateTime64(3, 'UTC')", "now64(3)" },
	{ NULL, NULL, NULL }
};

static const struct compat_col compat_rejects_want[] = {
	{ "rejected_at", "DateTime64(3, 'UTC')", "" },
	{ "kafka_topic", "LowCardinality(String)", "" },
	{ "kafka_partition", "Int32", "" },
	{ "kafka_offset", "Int64", "" },
	{ "kafka_timestamp_ms", "Int64", "" },
	{ "reason", "LowCardinality(String)", "" },
	{ "detail", "String", "" },
	{ "raw", "String", "" },
	{ "raw_size", "UInt32", "" },
	{ NULL, NULL, NULL }
};

/*
 * Instants on both sides of midnight and of DST switches, with how the
 * engine must render them in another zone.  Times are UTC milliseconds, so
 * a DST switch is nothing special to ticksink; these prove the engine
 * agrees and that the partition (toYYYYMMDD) is the UTC day.
 */
static const struct {
	const char	*utc;		/* "YYYY-MM-DD hh:mm:ss.mmm" */
	const char	*zone;
	const char	*local;		/* the same instant in zone */
} compat_times[] = {
	{ "2025-03-30 00:59:59.999", "Europe/Berlin",
	    "2025-03-30 01:59:59.999" },
	{ "2025-03-30 01:00:00.000", "Europe/Berlin",
	    "2025-03-30 03:00:00.000" },
	{ "2025-10-26 00:59:59.999", "Europe/Berlin",
	    "2025-10-26 02:59:59.999" },
	{ "2025-10-26 01:00:00.000", "Europe/Berlin",
	    "2025-10-26 02:00:00.000" },
	{ "2025-03-09 06:59:59.999", "America/New_York",
	    "2025-03-09 01:59:59.999" },
	{ "2025-03-09 07:00:00.000", "America/New_York",
	    "2025-03-09 03:00:00.000" },
	{ "2025-11-02 05:59:59.999", "America/New_York",
	    "2025-11-02 01:59:59.999" },
	{ "2025-11-02 06:00:00.000", "America/New_York",
	    "2025-11-02 01:00:00.000" },
	{ "2025-04-05 15:59:59.999", "Australia/Sydney",
	    "2025-04-06 02:59:59.999" },
	{ "2025-04-05 16:00:00.000", "Australia/Sydney",
	    "2025-04-06 02:00:00.000" },
	{ "2025-12-31 23:59:59.999", "Asia/Kolkata",
	    "2026-01-01 05:29:59.999" },
	{ "2026-01-01 00:00:00.000", "Asia/Kolkata",
	    "2026-01-01 05:30:00.000" },
	{ "2024-02-29 23:59:59.999", "America/Los_Angeles",
	    "2024-02-29 15:59:59.999" },
	{ "2024-03-01 00:00:00.000", "America/Los_Angeles",
	    "2024-02-29 16:00:00.000" },
	{ "2009-01-01 00:00:00.000", "Europe/London",
	    "2009-01-01 00:00:00.000" },
};
#define COMPAT_NTIMES	(sizeof compat_times / sizeof compat_times[0])

/* Prices the validator lets through (finite, > 0), the extremes first. */
static const double compat_prices[] = {
	1e-8, 1e12, 4.9406564584124654e-324, 2.2250738585072014e-308,
	1.7976931348623157e308, 0.30000000000000004, 4512.31,
	1.0000000000000002, 9007199254740993.0, 0.0153,
};

/* Volumes the validator lets through (finite, >= 0, so -0 too). */
static const double compat_volumes[] = {
	0.0, -0.0, 1e-8, 1e12, 4.9406564584124654e-324,
	1.7976931348623157e308, 0.0153,
};

/* Symbols: 64 bytes (the maximum), one byte, and every awkward character. */
static const char *compat_symbols[] = {
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_",
	"X",
	"BINANCE:ETHUSDT",
	"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\\\\''\"\"```~~~|||{{{}}}[[[]]]"
	    "^^^^^",
	"OANDA:EUR_USD",
};

/* Partitions and the first offsets of the edge rows. */
static const int32_t compat_parts[] = { 7, 0, INT32_MAX };

/* Details of rejects: empty, long, and with bytes text formats escape. */
static const char *compat_details[] = {
	"",
	"symbol 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	":_X' is longer than 64 bytes",
	"tab\there, newline\nthere, quote ' and \" and backslash \\ end",
	"price \xc2\xab\xe2\x88\x9e\xc2\xbb is not finite",
};

static const char *compat_topics[] = { COMPAT_TOPIC, "binance.trades-v2_x" };

static const int64_t compat_kafka_ts[] = { -1, 0, 1743296399999 };

static void	 compat_skip(const char *, const char *);
static int	 compat_sym(void *, const char *, void *);
static int	 compat_open(struct compat *);
static void	 compat_close(struct compat *);
static bool	 compat_check(struct compat *, bool, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
static bool	 compat_same(struct compat *, const char *, const char *,
		     const char *, ...) __attribute__((format(printf, 4, 5)));
static char	*compat_run(struct compat *, const char *, size_t,
		     const char *, size_t *, char **);
static char	*compat_must(struct compat *, const char *, const char *,
		     size_t, const char *, size_t *);
static char	*compat_text(struct compat *, const char *, const char *);
static bool	 compat_exec(struct compat *, const char *, const char *);
static int64_t	 compat_ms(const char *);
static uint64_t	 compat_rand(struct compat *);
static uint64_t	 compat_bits(double);
static double	 compat_double(uint64_t);
static char	*compat_cols(const char *);
static char	*compat_structure(const struct compat_col *);
static void	 compat_boot(struct compat *, bool);
static void	 compat_tables(struct compat *);
static void	 compat_table_want(struct compat *, const char *,
		     const struct compat_col *);
static void	 compat_table_generic(struct compat *, const char *,
		     const char *);
static size_t	 compat_ticks_make(struct compat *, struct compat_tick **);
static size_t	 compat_rejects_make(struct compat *, struct compat_reject **,
		     uint8_t **);
static bool	 compat_insert(struct compat *, const char *,
		     enum schema_table, const char *, const struct buf *,
		     unsigned);
static bool	 compat_insert_file(struct compat *, const char *,
		     enum schema_table, const struct buf *,
		     const struct compat_col *);
static uint64_t	 compat_rd_le(struct compat_rd *, int);
static size_t	 compat_rd_str(struct compat_rd *, const uint8_t **);
static void	 compat_ticks_compare(struct compat *, const char *,
		     const struct compat_tick *, size_t);
static void	 compat_rejects_compare(struct compat *, const char *,
		     const struct compat_reject *, size_t);
static void	 compat_ticks_times(struct compat *, const char *);
static void	 compat_count(struct compat *, const char *, size_t,
		     const char *);
static void	 compat_landed(struct compat *, const struct compat_tick *,
		     size_t, const struct compat_reject *, size_t);
static char	*compat_read_back(struct compat *, enum schema_table,
		    const char *, size_t *);
static void	 compat_probe(struct compat *, enum schema_table,
		     const char *, int32_t, int64_t, bool);
static void	 compat_diag(struct compat *, const struct compat_tick *,
		     size_t, int64_t, int64_t);
static void	 compat_diag_events(struct compat *);
static void	 compat_retention(struct compat *, const struct compat_tick *,
		     size_t, const struct compat_reject *, size_t);
static char	*compat_offsets(const int64_t *, size_t);
static void	 compat_ttl(struct compat *, const char *, const char *,
		     const int64_t *, size_t);
static int	 compat_rm_cb(const char *, const struct stat *, int,
		     struct FTW *);

/* Say why the test is skipped, on stdout where meson's log keeps it. */
static void
compat_skip(const char *why, const char *detail)
{
	const char	*reason = getenv("CHDB_SKIP_REASON");

	printf("SKIP: %s%s%s\n", why, detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
	if (reason != NULL && *reason != '\0')
		printf("SKIP: %s\n", reason);
	printf("SKIP: run scripts/fetch-chdb and set CHDB_LIB to the path "
	    "it prints\n");
}

/* Look up one symbol and store it in the function pointer at fnp. */
static int
compat_sym(void *dl, const char *name, void *fnp)
{
	void	*p;

	if ((p = dlsym(dl, name)) == NULL) {
		printf("not ok - libchdb.so has no %s: %s\n", name,
		    dlerror());
		return (-1);
	}
	memcpy(fnp, &p, sizeof p);
	return (0);
}

/*
 * Load the library, make a private data directory (on tmpfs when there is
 * one) and connect.  Returns 0, COMPAT_SKIP when the library is absent, or
 * 1 when it is there and unusable.
 */
static int
compat_open(struct compat *c)
{
	struct compat_api	*a = &c->api;
	const char		*lib, *tmp;
	char			 arg[PATH_MAX + 16], *argv[3];
	void			*dl;
	struct stat		 sb;

	if ((lib = getenv("CHDB_LIB")) == NULL || *lib == '\0') {
		compat_skip("CHDB_LIB is not set", NULL);
		return (COMPAT_SKIP);
	}
	if (stat(lib, &sb) != 0) {
		compat_skip("CHDB_LIB does not exist", lib);
		return (COMPAT_SKIP);
	}
	/* Present but not loadable is a real failure, not a skip. */
	if ((dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		printf("not ok - dlopen %s: %s\n", lib, dlerror());
		return (1);
	}
	if (compat_sym(dl, "chdb_version", &a->version) != 0 ||
	    compat_sym(dl, "chdb_connect", &a->connect) != 0 ||
	    compat_sym(dl, "chdb_close_conn", &a->close_conn) != 0 ||
	    compat_sym(dl, "chdb_query_n", &a->query_n) != 0 ||
	    compat_sym(dl, "chdb_result_error", &a->result_error) != 0 ||
	    compat_sym(dl, "chdb_result_buffer", &a->result_buffer) != 0 ||
	    compat_sym(dl, "chdb_result_length", &a->result_length) != 0 ||
	    compat_sym(dl, "chdb_destroy_query_result",
	    &a->destroy_query_result) != 0)
		return (1);

	tmp = "/dev/shm";
	if (stat(tmp, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    access(tmp, W_OK) != 0)
		tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	snprintf(c->dir, sizeof c->dir, "%s/ticksink-chdb-XXXXXX", tmp);
	if (mkdtemp(c->dir) == NULL) {
		printf("not ok - mkdtemp %s failed\n", c->dir);
		return (1);
	}
	snprintf(arg, sizeof arg, "--path=%s/engine", c->dir);
	argv[0] = "chdb_compat";
	argv[1] = arg;
	argv[2] = NULL;
	if ((c->conn = a->connect(2, argv)) == NULL) {
		printf("not ok - chdb_connect(%s) failed\n", arg);
		return (1);
	}
	printf("# libchdb %s from %s, data in %s\n", a->version(), lib,
	    c->dir);
	return (0);
}

/* nftw callback: remove one entry of the data directory. */
static int
compat_rm_cb(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return (remove(path) == 0 ? 0 : -1);
}

/* Disconnect and remove the data directory. */
static void
compat_close(struct compat *c)
{
	size_t	i;

	if (c->conn != NULL)
		c->api.close_conn(c->conn);
	if (c->dir[0] != '\0' && nftw(c->dir, compat_rm_cb, 16,
	    FTW_DEPTH | FTW_PHYS) != 0)
		printf("# could not remove all of %s\n", c->dir);
	for (i = 0; i < c->ncreated; i++) {
		free(c->created[i]);
		free(c->create_sql[i]);
	}
}

/* Count one check and print it TAP-style; returns ok. */
static bool
compat_check(struct compat *c, bool ok, const char *fmt, ...)
{
	va_list	ap;

	c->checks++;
	if (!ok)
		c->failed++;
	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return (ok);
}

/* Check that an answer is the text it must be; shows both when not. */
static bool
compat_same(struct compat *c, const char *got, const char *want,
    const char *fmt, ...)
{
	va_list	ap;
	char	what[512];
	bool	ok = strcmp(got, want) == 0;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (ok)
		return (compat_check(c, true, "%s", what));
	return (compat_check(c, false, "%s\n# want:\n%s# got:\n%s", what,
	    want, got));
}

/*
 * Run sql (len bytes, may hold a binary body) with output format fmt.
 * Returns the answer (allocated, NUL-terminated, *len its length) or NULL
 * and *cause (allocated) with the engine's error.
 */
static char *
compat_run(struct compat *c, const char *sql, size_t sqllen, const char *fmt,
    size_t *len, char **cause)
{
	struct compat_result	*r;
	const char		*err;
	char			*out = NULL;
	size_t			 n;

	*cause = NULL;
	r = c->api.query_n(*c->conn, sql, sqllen, fmt, strlen(fmt));
	if (r == NULL) {
		*cause = xstrdup("chdb_query_n returned no result");
		return (NULL);
	}
	if ((err = c->api.result_error(r)) != NULL)
		*cause = xstrdup(err);
	else {
		n = c->api.result_length(r);
		out = xmalloc(n + 1);
		if (n > 0)
			memcpy(out, c->api.result_buffer(r), n);
		out[n] = '\0';
		if (len != NULL)
			*len = n;
	}
	c->api.destroy_query_result(r);
	return (out);
}

/*
 * Run a statement the engine must accept; a refusal is a failed check that
 * prints the statement (its text part) and the engine's error.
 */
static char *
compat_must(struct compat *c, const char *what, const char *sql,
    size_t sqllen, const char *fmt, size_t *len)
{
	char	*out, *cause;
	size_t	 textlen;

	if ((out = compat_run(c, sql, sqllen, fmt, len, &cause)) != NULL)
		return (out);
	textlen = strnlen(sql, sqllen);
	if (memchr(sql, '\n', textlen) != NULL)
		textlen = (const char *)memchr(sql, '\n', textlen) - sql;
	compat_check(c, false, "%s: the engine refused\n#   statement: "
	    "%.*s%s\n#   error: %s", what, (int)textlen, sql,
	    textlen < sqllen ? " <body>" : "", cause);
	free(cause);
	return (NULL);
}

/* Run a query for its text answer (TabSeparatedRaw); NULL if refused. */
static char *
compat_text(struct compat *c, const char *what, const char *sql)
{
	return (compat_must(c, what, sql, strlen(sql), "TabSeparatedRaw",
	    NULL));
}

/* Run a statement whose answer does not matter; false if refused. */
static bool
compat_exec(struct compat *c, const char *what, const char *sql)
{
	char	*out;

	if ((out = compat_text(c, what, sql)) == NULL)
		return (false);
	free(out);
	return (true);
}

/* "YYYY-MM-DD hh:mm:ss.mmm" (UTC) to ms since the epoch, by arithmetic. */
static int64_t
compat_ms(const char *s)
{
	int		y, mo, d, h, mi, sec, ms;
	int64_t		era, yoe, doy, doe, days;

	if (sscanf(s, "%d-%d-%d %d:%d:%d.%d", &y, &mo, &d, &h, &mi, &sec,
	    &ms) != 7)
		return (-1);	/* shows up as a time that differs */
	/* Howard Hinnant's days_from_civil. */
	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	return ((((days * 24 + h) * 60 + mi) * 60 + sec) * 1000 + ms);
}

/* The next value of a splitmix64 sequence: the data is reproducible. */
static uint64_t
compat_rand(struct compat *c)
{
	uint64_t	z;

	z = (c->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* The bit pattern of a double, so that -0 and 0 differ. */
static uint64_t
compat_bits(double v)
{
	uint64_t	u;

	memcpy(&u, &v, sizeof u);
	return (u);
}

/* The double with a bit pattern, for messages. */
static double
compat_double(uint64_t u)
{
	double	v;

	memcpy(&v, &u, sizeof v);
	return (v);
}

/* The column list "a, b, c" of an INSERT statement; allocated. */
static char *
compat_cols(const char *insert)
{
	const char	*open, *close;

	if ((open = strchr(insert, '(')) == NULL ||
	    (close = strchr(open, ')')) == NULL)
		return (xstrdup(""));
	return (xstrndup(open + 1, close - open - 1));
}

/* file()'s structure argument for the sent columns, quotes escaped. */
static char *
compat_structure(const struct compat_col *want)
{
	struct buf	 b;
	const char	*p;

	buf_init(&b);
	for (; want->name != NULL; want++) {
		if (*want->dflt != '\0')
			continue;
		if (b.len > 0)
			buf_add_str(&b, ", ");
		buf_add_str(&b, want->name);
		buf_add_str(&b, " ");
		for (p = want->type; *p != '\0'; p++) {
			if (*p == '\'')
				buf_add_str(&b, "\\");
			buf_add(&b, p, 1);
		}
	}
	buf_add(&b, "", 1);
	return ((char *)b.data);
}

/*
 * Run the start-up conversation on the engine, answering each statement
 * with what the HTTP interface would (TabSeparated unless the statement
 * names a format).  On the first run, remember every table it creates.
 */
static void
compat_boot(struct compat *c, bool first)
{
	struct schema_boot	 sb;
	struct schema_caps	 want;
	const char		*run = first ? "start" : "restart";
	char			*sql, *ans, *cause = NULL, name[256], *want_sql;
	size_t			 len;
	unsigned		 steps = 0;
	bool			 ok = true;

	schema_boot_init(&sb, COMPAT_DB, COMPAT_TICKS, COMPAT_REJECTS,
	    COMPAT_TICKS_TTL, COMPAT_REJECTS_TTL);
	while ((sql = schema_boot_next(&sb)) != NULL && steps++ < 64) {
		ans = compat_must(c, schema_boot_state_name(sb.state), sql,
		    strlen(sql), "TabSeparated", &len);
		if (ans == NULL) {
			ok = false;
			free(sql);
			break;
		}
		if (first && c->ncreated < 16 && sscanf(sql,
		    "CREATE TABLE IF NOT EXISTS %255[A-Za-z0-9_.]", name) ==
		    1) {
			c->created[c->ncreated] = xstrdup(name);
			c->create_sql[c->ncreated++] = xstrdup(sql);
		}
		if (schema_boot_answer(&sb, ans, len, &cause) != 0) {
			compat_check(c, false, "%s: %s: %s", run,
			    schema_boot_state_name(sb.state), cause);
			free(cause);
			ok = false;
		}
		free(ans);
		free(sql);
		if (!ok)
			break;
	}
	compat_check(c, ok && sb.state == SCHEMA_BOOT_DONE, "%s: the start-up "
	    "conversation reaches done (%u statements, ends in %s)", run,
	    steps, schema_boot_state_name(sb.state));
	if (!first)
		return;
	c->caps = sb.caps;
	printf("# engine: ClickHouse %d.%d.%d\n", sb.caps.major,
	    sb.caps.minor, sb.caps.patch);
	compat_check(c, sb.caps.major >= 24 &&
	    sb.caps.dialect == SCHEMA_CURRENT && sb.caps.ttl &&
	    sb.caps.dedup_token, "caps: version %d.%d.%d, %s dialect, ttl %d, "
	    "dedup tokens %d (want >= 24, current, 1, 1)", sb.caps.major,
	    sb.caps.minor, sb.caps.patch, schema_dialect_name(sb.caps.dialect),
	    sb.caps.ttl, sb.caps.dedup_token);

	/* What a 26.7.3 server with the token setting gets, from the parser. */
	if (!compat_check(c, schema_parse_version("26.7.3", 6, &want) == 0,
	    "schema_parse_version(\"26.7.3\")"))
		return;
	want.dedup_token = true;
	want_sql = schema_create_sql(&want, SCHEMA_TICKS, COMPAT_DB,
	    COMPAT_TICKS, COMPAT_TICKS_TTL);
	compat_check(c, c->ncreated >= 2 && strcmp(c->create_sql[0],
	    want_sql) == 0, "the boot's CREATE of %s is schema_create_sql for "
	    "26.7.3 with dedup tokens", COMPAT_TICKS);
	free(want_sql);
	want_sql = schema_create_sql(&want, SCHEMA_REJECTS, COMPAT_DB,
	    COMPAT_REJECTS, COMPAT_REJECTS_TTL);
	compat_check(c, c->ncreated >= 2 && strcmp(c->create_sql[1],
	    want_sql) == 0, "the boot's CREATE of %s is schema_create_sql for "
	    "26.7.3 with dedup tokens", COMPAT_REJECTS);
	free(want_sql);
}

/* Compare a table's columns, in order, with what they must be. */
static void
compat_table_want(struct compat *c, const char *table,
    const struct compat_col *want)
{
	struct buf	 b;
	char		*sql, *got;

	buf_init(&b);
	for (; want->name != NULL; want++) {
		buf_add_str(&b, want->name);
		buf_add_str(&b, "\t");
		buf_add_str(&b, want->type);
		buf_add_str(&b, "\t");
		buf_add_str(&b, want->dflt);
		buf_add_str(&b, "\n");
	}
	buf_add(&b, "", 1);
	xasprintf(&sql, "SELECT name, type, default_expression FROM "
	    "system.columns WHERE database = '%s' AND table = '%s' ORDER BY "
	    "position", COMPAT_DB, table);
	if ((got = compat_text(c, "columns", sql)) != NULL)
		compat_same(c, got, (char *)b.data, "%s.%s has the columns, "
		    "types and defaults ticksink needs", COMPAT_DB, table);
	free(got);
	free(sql);
	buf_clear(&b);
}

/*
 * Checks that hold for every table the boot creates, diagnostics tables
 * included: every time column is DateTime64(3, 'UTC'), the engine is
 * MergeTree, the TTL the statement asked for is there, and so is the
 * deduplication window.
 */
static void
compat_table_generic(struct compat *c, const char *qualified,
    const char *create)
{
	const char	*dot = strchr(qualified, '.'), *table;
	char		*sql, *got, col[64], ttl_want[160];
	const char	*ttl;
	unsigned	 days;

	table = dot != NULL ? dot + 1 : qualified;
	xasprintf(&sql, "SELECT name, type FROM system.columns WHERE "
	    "database = '%s' AND table = '%s' AND type LIKE '%%DateTime%%' AND "
	    "type != 'DateTime64(3, \\'UTC\\')'", COMPAT_DB, table);
	if ((got = compat_text(c, "time columns", sql)) != NULL)
		compat_check(c, *got == '\0', "%s: every time column is "
		    "DateTime64(3, 'UTC')%s%s", qualified, *got == '\0' ? "" :
		    "; not: ", got);
	free(got);
	free(sql);

	xasprintf(&sql, "SELECT engine FROM system.tables WHERE database = "
	    "'%s' AND name = '%s'", COMPAT_DB, table);
	if ((got = compat_text(c, "engine", sql)) != NULL)
		compat_check(c, strcmp(got, "MergeTree\n") == 0, "%s: engine "
		    "MergeTree (got %.*s)", qualified, (int)strcspn(got, "\n"),
		    got);
	free(got);
	free(sql);

	xasprintf(&sql, "SHOW CREATE TABLE %s", qualified);
	if ((got = compat_text(c, "show create", sql)) == NULL) {
		free(sql);
		return;
	}
	ttl = strstr(create, " TTL toDateTime(");
	if (ttl != NULL && sscanf(ttl, " TTL toDateTime(%63[a-z_]) + "
	    "INTERVAL %u DAY DELETE", col, &days) == 2) {
		snprintf(ttl_want, sizeof ttl_want, "\nTTL toDateTime(%s) + "
		    "toIntervalDay(%u)\n", col, days);
		compat_check(c, strstr(got, ttl_want) != NULL, "%s: SHOW "
		    "CREATE has TTL toDateTime(%s) + toIntervalDay(%u)",
		    qualified, col, days);
	} else
		compat_check(c, strstr(got, "\nTTL ") == NULL, "%s: no TTL "
		    "asked, none there", qualified);
	compat_check(c, strstr(got, "non_replicated_deduplication_window = "
	    "1000") != NULL, "%s: SHOW CREATE has SETTINGS "
	    "non_replicated_deduplication_window = 1000", qualified);
	free(got);
	free(sql);
}

/* Part 1: the tables as the engine made them. */
static void
compat_tables(struct compat *c)
{
	size_t	i;
	bool	ticks_ttl, rejects_ttl;

	compat_check(c, c->ncreated >= 2 && strcmp(c->created[0], COMPAT_DB
	    "." COMPAT_TICKS) == 0 && strcmp(c->created[1], COMPAT_DB "."
	    COMPAT_REJECTS) == 0, "the boot created %s and %s first (%zu "
	    "tables in all)", COMPAT_TICKS, COMPAT_REJECTS, c->ncreated);
	if (c->ncreated < 2)
		return;
	compat_table_want(c, COMPAT_TICKS, compat_ticks_want);
	compat_table_want(c, COMPAT_REJECTS, compat_rejects_want);
	ticks_ttl = strstr(c->create_sql[0], " TTL toDateTime(timestamp) + "
	    "INTERVAL 1 DAY DELETE") != NULL;
	rejects_ttl = strstr(c->create_sql[1], " TTL toDateTime(rejected_at) "
	    "+ INTERVAL 7 DAY DELETE") != NULL;
	compat_check(c, ticks_ttl && rejects_ttl, "CREATE asks a TTL of 1 day "
	    "for ticks (%d) and 7 days for rejects (%d)", ticks_ttl,
	    rejects_ttl);
	for (i = 0; i < c->ncreated; i++)
		compat_table_generic(c, c->created[i], c->create_sql[i]);
}

/*
 * The ticks batch: one row per edge case (times around midnight and DST
 * switches, extreme prices, 0 and -0 volume, 64-byte symbols, the largest
 * partition and offset), three around the TTL, then generated rows with
 * random bit patterns for the doubles.  Offsets ascend, so the array is in
 * the order the read-back has.  Returns the count; *out is allocated.
 */
static size_t
compat_ticks_make(struct compat *c, struct compat_tick **out)
{
	struct compat_tick	*v, *r;
	size_t			 nedge, n, i, k, len;
	uint64_t		 u;
	double			 d;

	nedge = COMPAT_NTIMES;
	if (nedge < sizeof compat_prices / sizeof compat_prices[0])
		nedge = sizeof compat_prices / sizeof compat_prices[0];
	n = nedge + 3 + COMPAT_NGEN;
	v = xcalloc(n, sizeof *v);
	for (i = 0; i < nedge; i++) {
		r = &v[i];
		r->t.ts_ms = compat_ms(compat_times[i % COMPAT_NTIMES].utc);
		/* Received 1 ms later: on the other side of the boundary. */
		r->t.recv_ms = r->t.ts_ms + 1;
		r->t.price = compat_prices[i % (sizeof compat_prices /
		    sizeof compat_prices[0])];
		r->t.volume = compat_volumes[i % (sizeof compat_volumes /
		    sizeof compat_volumes[0])];
		k = i % (sizeof compat_symbols / sizeof compat_symbols[0]);
		r->t.symbol_len = strlen(compat_symbols[k]);
		memcpy(r->t.symbol, compat_symbols[k], r->t.symbol_len);
		r->o.partition = compat_parts[i % (sizeof compat_parts /
		    sizeof compat_parts[0])];
		r->o.offset = (int64_t)i;
	}
	/*
	 * The body starts with this row: its first bytes are a newline, a
	 * space and a tab, which a reader looking for the end of the
	 * statement could take for its trailing whitespace.
	 */
	v[0].t.ts_ms = (v[0].t.ts_ms & ~(int64_t)0xffffff) | 0x09200a;
	/*
	 * Around the 1-day TTL and retention: a minute and 23 hours old stay
	 * under both; 49 hours old goes under both (retention drops a day's
	 * partition once the whole day is older than the retention).
	 */
	for (i = nedge; i < nedge + 3; i++) {
		r = &v[i];
		r->t.ts_ms = c->now_ms - (i == nedge ? 60000 : i == nedge + 1 ?
		    23 * 3600000LL : 49 * 3600000LL);
		r->t.recv_ms = r->t.ts_ms + 15;
		r->t.price = 4512.31;
		r->t.volume = 0.5;
		r->t.symbol_len = 8;
		memcpy(r->t.symbol, "RECENT:X", 8);
		r->o.partition = 7;
		r->o.offset = 500 + (int64_t)(i - nedge);
		r->recent = i < nedge + 2;
	}
	for (i = nedge + 3; i < n; i++) {
		r = &v[i];
		/* 2025-03-25 to 2025-04-05: a dozen partitions. */
		r->t.ts_ms = 1742860800000 + (int64_t)(compat_rand(c) %
		    (11ULL * 86400000));
		r->t.recv_ms = r->t.ts_ms + (int64_t)(compat_rand(c) % 5000);
		do {
			u = compat_rand(c) & ~(1ULL << 63);
			memcpy(&d, &u, sizeof d);
		} while (!isfinite(d) || d <= 0);
		r->t.price = d;
		do {
			u = compat_rand(c);
			if (i % 97 == 0)
				u = 1ULL << 63;	/* -0 */
			else if (i % 89 == 0)
				u = 0;
			else
				u &= ~(1ULL << 63);
			memcpy(&d, &u, sizeof d);
		} while (!isfinite(d));
		r->t.volume = d;
		len = 1 + compat_rand(c) % TICK_SYMBOL_MAX;
		for (k = 0; k < len; k++)
			r->t.symbol[k] = (char)(0x21 + compat_rand(c) % 94);
		r->t.symbol_len = len;
		r->o.partition = (int32_t)(compat_rand(c) % INT32_MAX);
		r->o.offset = 1000 + (int64_t)(i - nedge - 3);
	}
	/* Not in partition 7: the resume check there parses < 10^18 only. */
	v[n - 1].o.offset = INT64_MAX;
	v[n - 1].o.partition = INT32_MAX;
	for (i = 0; i < n; i++)
		v[i].o.topic = COMPAT_TOPIC;
	*out = v;
	return (n);
}

/*
 * The rejects batch: every reason, raw bytes absent, empty, binary (all 256
 * values), cut at raw_max and exactly raw_max, details that text formats
 * escape, two topics; three rows around the TTL (a minute, 6 days 23 hours
 * and 8 days old).
 * *rawbuf holds the raw bytes the rows borrow.
 */
static size_t
compat_rejects_make(struct compat *c, struct compat_reject **out,
    uint8_t **rawbuf)
{
	struct compat_reject	*v;
	struct rowenc_reject	*r;
	const char		*reasons[DECODE_NREASONS];
	size_t			 nreasons = 0, n, i;
	uint8_t			*raw;
	int			 e;
	static const char	 json[] = "{\"symbol\": \"BINANCE:ETHUSDT\", "
	    "\"price\": NaN}";

	for (e = DECODE_OK + 1; e < DECODE_NREASONS; e++)
		reasons[nreasons++] = decode_reason_name(e);
	reasons[nreasons++] = "server_rejected";
	/* 0..255, then a pattern to 70000 bytes. */
	raw = xmalloc(70000);
	for (i = 0; i < 70000; i++)
		raw[i] = (uint8_t)(i < 256 ? i : (i * 131) >> 3);
	n = 64 + 3;
	v = xcalloc(n, sizeof *v);
	for (i = 0; i < n; i++) {
		r = &v[i].r;
		r->origin.topic = compat_topics[i % 2];
		r->origin.partition = compat_parts[i % (sizeof compat_parts /
		    sizeof compat_parts[0])];
		r->origin.offset = (int64_t)i;
		r->origin.timestamp_ms = compat_kafka_ts[i % 3];
		r->rejected_ms = compat_ms(compat_times[i %
		    COMPAT_NTIMES].utc);
		r->reason = reasons[i % nreasons];
		r->detail = compat_details[i % (sizeof compat_details /
		    sizeof compat_details[0])];
		r->raw_max = COMPAT_RAW_MAX;
		switch (i % 7) {
		case 0:			/* tombstone */
			r->raw = NULL;
			r->raw_size = 0;
			break;
		case 1:			/* empty value */
			r->raw = raw;
			r->raw_size = 0;
			break;
		case 2:			/* every byte value */
			r->raw = raw;
			r->raw_size = 256;
			break;
		case 3:			/* cut at raw_max */
			r->raw = raw;
			r->raw_size = 10000;
			break;
		case 4:			/* exactly raw_max */
			r->raw = raw;
			r->raw_size = COMPAT_RAW_MAX;
			break;
		case 5:			/* too_large */
			r->raw = raw;
			r->raw_size = 70000;
			break;
		default:
			r->raw = json;
			r->raw_size = sizeof json - 1;
			break;
		}
	}
	/* Around the 7-day TTL and retention: inside, inside, outside. */
	v[64].r.rejected_ms = c->now_ms - 60000;
	v[65].r.rejected_ms = c->now_ms - 6 * 86400000LL - 23 * 3600000LL;
	v[66].r.rejected_ms = c->now_ms - 8 * 86400000LL;
	v[64].recent = v[65].recent = true;
	for (i = 64; i < n; i++)
		v[i].r.origin.offset = 500 + (int64_t)(i - 64);
	v[n - 1].r.origin.offset = INT64_MAX;
	v[n - 1].r.origin.partition = INT32_MAX;
	*out = v;
	*rawbuf = raw;
	return (n);
}

/*
 * Insert a body as the reactor does, with the schema_insert_sql statement
 * and sink_token's token as a setting (the URL carries both), but reading
 * the body from a file: FROM INFILE goes between the column list and
 * FORMAT.  chdb ends data written inline after FORMAT at the first empty
 * line ("\n\n"), which RowBinary bodies contain; the HTTP interface reads
 * the whole POST body instead.  Ticks go as the reactor sends them: the
 * Native block rowenc_native_read makes of the rows, read in pieces.
 */
static bool
compat_insert(struct compat *c, const char *what, enum schema_table t,
    const char *table, const struct buf *body, unsigned nrows)
{
	struct sink_insert	 ins;
	struct rowenc_native	 nb;
	struct buf		 sent;
	FILE			*f;
	char			 token[64], path[PATH_MAX + 32], *sql, *set;
	char			*fmt, *out;
	size_t			 k;

	buf_init(&sent);
	if (t == SCHEMA_TICKS) {
		rowenc_native_start(&nb, SCHEMA_CURRENT, body->data, nrows);
		do {
			buf_reserve(&sent, 997);
			sent.len += k = rowenc_native_read(&nb,
			    sent.data + sent.len, 997);
		} while (k > 0);
		compat_check(c, sent.len == rowenc_native_size(SCHEMA_CURRENT,
		    body->len, nrows), "%s: the Native block is %zu bytes, "
		    "as rowenc_native_size says", what, sent.len);
	} else
		buf_add(&sent, body->data, body->len);
	snprintf(path, sizeof path, "%s/%s.body", c->dir, table);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(sent.data, 1, sent.len, f) != sent.len ||
	    fclose(f) != 0) {
		buf_clear(&sent);
		return (compat_check(c, false, "write %s", path));
	}
	buf_clear(&sent);
	memset(&ins, 0, sizeof ins);
	ins.body = *body;
	ins.nrows = nrows;
	sink_token(&ins, token, sizeof token);
	xasprintf(&set, "SET insert_deduplication_token = '%s'", token);
	if (!compat_exec(c, "dedup token", set)) {
		free(set);
		return (false);
	}
	free(set);
	sql = schema_insert_sql(SCHEMA_CURRENT, t, COMPAT_DB, table);
	if ((fmt = strstr(sql, " FORMAT ")) == NULL) {
		compat_check(c, false, "%s names its FORMAT", sql);
		free(sql);
		return (false);
	}
	*fmt = '\0';
	xasprintf(&set, "%s FROM INFILE '%s' FORMAT %s", sql, path, fmt + 8);
	out = compat_must(c, what, set, strlen(set), "TabSeparated", NULL);
	compat_exec(c, "dedup token", "SET insert_deduplication_token = ''");
	free(set);
	free(sql);
	free(out);
	return (out != NULL);
}

/*
 * Insert a body through file(): written to a file, read with the RowBinary
 * format and the types the table must have, into a twin of the table made
 * by the same CREATE statement.
 */
static bool
compat_insert_file(struct compat *c, const char *twin, enum schema_table t,
    const struct buf *body, const struct compat_col *want)
{
	FILE	*f;
	char	 path[PATH_MAX + 32], *sql, *ins, *cols, *st;
	bool	 ok;

	sql = schema_create_sql(&c->caps, t, COMPAT_DB, twin, t ==
	    SCHEMA_TICKS ? COMPAT_TICKS_TTL : COMPAT_REJECTS_TTL);
	ok = compat_exec(c, "create twin", sql);
	free(sql);
	if (!ok)
		return (false);
	xasprintf(&sql, "SYSTEM STOP TTL MERGES %s.%s", COMPAT_DB, twin);
	compat_exec(c, "stop ttl merges", sql);
	free(sql);

	snprintf(path, sizeof path, "%s/%s.rowbinary", c->dir, twin);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(body->data, 1, body->len, f) != body->len ||
	    fclose(f) != 0) {
		compat_check(c, false, "write %s", path);
		return (false);
	}
	ins = schema_insert_sql(SCHEMA_CURRENT, t, COMPAT_DB, twin);
	cols = compat_cols(ins);
	st = compat_structure(want);
	xasprintf(&sql, "INSERT INTO %s.%s (%s) SELECT * FROM file('%s', "
	    "'RowBinary', '%s')", COMPAT_DB, twin, cols, path, st);
	ok = compat_exec(c, "insert through file()", sql);
	free(sql);
	free(st);
	free(cols);
	free(ins);
	return (ok);
}

/* Read an n-byte little-endian value; flags a short answer. */
static uint64_t
compat_rd_le(struct compat_rd *rd, int n)
{
	uint64_t	v;

	if (rd->end - rd->p < n) {
		rd->short_read = true;
		rd->p = rd->end;
		return (0);
	}
	v = rowenc_le(rd->p, n);
	rd->p += n;
	return (v);
}

/* Read a RowBinary string (LEB128 length, bytes); *s points into it. */
static size_t
compat_rd_str(struct compat_rd *rd, const uint8_t **s)
{
	uint64_t	len = 0;
	int		shift = 0;

	for (;;) {
		if (rd->p >= rd->end || shift > 63) {
			rd->short_read = true;
			*s = rd->end;
			return (0);
		}
		len |= (uint64_t)(*rd->p & 0x7f) << shift;
		shift += 7;
		if ((*rd->p++ & 0x80) == 0)
			break;
	}
	if ((uint64_t)(rd->end - rd->p) < len) {
		rd->short_read = true;
		rd->p = rd->end;
		*s = rd->end;
		return (0);
	}
	*s = rd->p;
	rd->p += len;
	return ((size_t)len);
}


/*
 * Every column ticksink sends of table t, read back in RowBinary in offset
 * order.  Returns allocated (the caller frees) or NULL, counted as failed.
 */
static char *
compat_read_back(struct compat *c, enum schema_table t, const char *table,
    size_t *len)
{
	char	*ins, *cols, *sql, *ans;

	ins = schema_insert_sql(SCHEMA_CURRENT, t, COMPAT_DB, table);
	cols = compat_cols(ins);
	xasprintf(&sql, "SELECT %s FROM %s.%s ORDER BY kafka_offset", cols,
	    COMPAT_DB, table);
	ans = compat_must(c, "read back", sql, strlen(sql), "RowBinary", len);
	free(sql);
	free(cols);
	free(ins);
	return (ans);
}
/*
 * Read a ticks table back in RowBinary, ordered by offset, and compare
 * every value of every row with the input; doubles by bit pattern.
 */
static void
compat_ticks_compare(struct compat *c, const char *table,
    const struct compat_tick *v, size_t n)
{
	struct compat_rd	 rd;
	const struct tick	*w;
	const uint8_t		*sym;
	char			*ans;
	size_t			 len, i, slen, bad = 0;
	int64_t			 ts, ts_ms, recv, off;
	uint64_t		 price, vol;
	int32_t			 part;
	const char		*col;

	if ((ans = compat_read_back(c, SCHEMA_TICKS, table, &len)) == NULL)
		return;
	rd.p = (const uint8_t *)ans;
	rd.end = rd.p + len;
	rd.short_read = false;
	for (i = 0; i < n && !rd.short_read; i++) {
		w = &v[i].t;
		ts = (int64_t)compat_rd_le(&rd, 8);
		ts_ms = (int64_t)compat_rd_le(&rd, 8);
		slen = compat_rd_str(&rd, &sym);
		price = compat_rd_le(&rd, 8);
		vol = compat_rd_le(&rd, 8);
		recv = (int64_t)compat_rd_le(&rd, 8);
		part = (int32_t)compat_rd_le(&rd, 4);
		off = (int64_t)compat_rd_le(&rd, 8);
		if (rd.short_read)
			break;
		col = NULL;
		if (off != v[i].o.offset)
			col = "kafka_offset";
		else if (ts != w->ts_ms)
			col = "timestamp";
		else if (ts_ms != w->ts_ms)
			col = "timestamp_ms";
		else if (slen != w->symbol_len || memcmp(sym, w->symbol,
		    slen) != 0)
			col = "symbol";
		else if (price != compat_bits(w->price))
			col = "price";
		else if (vol != compat_bits(w->volume))
			col = "volume";
		else if (recv != w->recv_ms)
			col = "received_at";
		else if (part != v[i].o.partition)
			col = "kafka_partition";
		if (col == NULL)
			continue;
		if (bad++ < COMPAT_SHOW_MAX)
			printf("# %s row %zu (offset %" PRId64 "): %s differs: "
			    "got ts %" PRId64 " ms %" PRId64 " symbol '%.*s' "
			    "price %a volume %a recv %" PRId64 " partition %"
			    PRId32 " offset %" PRId64 "; want ts %" PRId64
			    " symbol '%s' price %a volume %a recv %" PRId64
			    " partition %" PRId32 "\n", table, i,
			    v[i].o.offset, col, ts, ts_ms, (int)slen, sym,
			    compat_double(price), compat_double(vol), recv,
			    part, off,
			    w->ts_ms, w->symbol, w->price, w->volume,
			    w->recv_ms, v[i].o.partition);
	}
	compat_check(c, !rd.short_read && i == n && rd.p == rd.end &&
	    bad == 0, "%s: all %zu rows read back equal, every value bit for "
	    "bit (%zu rows read, %zu differ, %s)", table, n, i, bad,
	    rd.short_read ? "answer ended early" : rd.p != rd.end ?
	    "rows beyond the input" : "no extra rows");
	free(ans);
}

/* The same for a rejects table; raw must be the kept prefix. */
static void
compat_rejects_compare(struct compat *c, const char *table,
    const struct compat_reject *v, size_t n)
{
	struct compat_rd		 rd;
	const struct rowenc_reject	*w;
	const uint8_t			*topic, *reason, *detail, *raw;
	char				*ans;
	size_t				 len, i, tlen, rlen, dlen, wlen, keep;
	size_t				 bad = 0;
	int64_t				 at, off, kts;
	int32_t				 part;
	uint32_t			 rsize;
	const char			*col;

	if ((ans = compat_read_back(c, SCHEMA_REJECTS, table, &len)) == NULL)
		return;
	rd.p = (const uint8_t *)ans;
	rd.end = rd.p + len;
	rd.short_read = false;
	for (i = 0; i < n && !rd.short_read; i++) {
		w = &v[i].r;
		at = (int64_t)compat_rd_le(&rd, 8);
		tlen = compat_rd_str(&rd, &topic);
		part = (int32_t)compat_rd_le(&rd, 4);
		off = (int64_t)compat_rd_le(&rd, 8);
		kts = (int64_t)compat_rd_le(&rd, 8);
		rlen = compat_rd_str(&rd, &reason);
		dlen = compat_rd_str(&rd, &detail);
		wlen = compat_rd_str(&rd, &raw);
		rsize = (uint32_t)compat_rd_le(&rd, 4);
		if (rd.short_read)
			break;
		keep = w->raw == NULL ? 0 : w->raw_size;
		if (keep > w->raw_max)
			keep = w->raw_max;
		col = NULL;
		if (off != w->origin.offset)
			col = "kafka_offset";
		else if (at != w->rejected_ms)
			col = "rejected_at";
		else if (tlen != strlen(w->origin.topic) || memcmp(topic,
		    w->origin.topic, tlen) != 0)
			col = "kafka_topic";
		else if (part != w->origin.partition)
			col = "kafka_partition";
		else if (kts != w->origin.timestamp_ms)
			col = "kafka_timestamp_ms";
		else if (rlen != strlen(w->reason) || memcmp(reason,
		    w->reason, rlen) != 0)
			col = "reason";
		else if (dlen != strlen(w->detail) || memcmp(detail,
		    w->detail, dlen) != 0)
			col = "detail";
		else if (wlen != keep || (keep > 0 && memcmp(raw, w->raw,
		    keep) != 0))
			col = "raw";
		else if (rsize != (uint32_t)w->raw_size)
			col = "raw_size";
		if (col != NULL && bad++ < COMPAT_SHOW_MAX)
			printf("# %s row %zu (offset %" PRId64 "): %s differs "
			    "(raw %zu of %zu bytes kept, want %zu of %zu)\n",
			    table, i, w->origin.offset, col, wlen,
			    (size_t)rsize, keep, w->raw_size);
	}
	compat_check(c, !rd.short_read && i == n && rd.p == rd.end &&
	    bad == 0, "%s: all %zu rows read back equal, every value byte for "
	    "byte (%zu rows read, %zu differ, %s)", table, n, i, bad,
	    rd.short_read ? "answer ended early" : rd.p != rd.end ?
	    "rows beyond the input" : "no extra rows");
	free(ans);
}

/*
 * The edge instants as the engine renders them: in UTC from the column
 * type (the session is in another zone), in the case's zone, and in the
 * UTC day's partition.
 */
static void
compat_ticks_times(struct compat *c, const char *table)
{
	struct buf	 want, q;
	char		*got, part[16], line[160];
	size_t		 i;

	/* Row 0 is left out: its time was bent to start the body. */
	buf_init(&want);
	buf_init(&q);
	buf_add_str(&q, "SELECT kafka_offset, toString(timestamp), "
	    "toString(timestamp, multiIf(");
	for (i = 1; i < COMPAT_NTIMES; i++) {
		snprintf(part, sizeof part, "%.4s%.2s%.2s", compat_times[i].utc,
		    compat_times[i].utc + 5, compat_times[i].utc + 8);
		snprintf(line, sizeof line, "%zu\t%s\t%s\t%s\n", i,
		    compat_times[i].utc, compat_times[i].local, part);
		buf_add_str(&want, line);
		snprintf(line, sizeof line, "kafka_offset = %zu, '%s', ", i,
		    compat_times[i].zone);
		buf_add_str(&q, line);
	}
	buf_add(&want, "", 1);
	snprintf(line, sizeof line, "'UTC')), _partition_id FROM %s.",
	    COMPAT_DB);
	buf_add_str(&q, line);
	buf_add_str(&q, table);
	snprintf(line, sizeof line, " WHERE kafka_offset BETWEEN 1 AND %zu "
	    "ORDER BY kafka_offset", COMPAT_NTIMES - 1);
	buf_add_str(&q, line);
	buf_add(&q, "", 1);
	if ((got = compat_text(c, "times", (char *)q.data)) != NULL)
		compat_same(c, got, (char *)want.data, "%s: midnight and DST "
		    "instants are UTC in the column, right in their zones, and "
		    "in their UTC day's partition", table);
	free(got);
	buf_clear(&q);
	buf_clear(&want);
}

/* The table holds exactly n rows. */
static void
compat_count(struct compat *c, const char *table, size_t n, const char *why)
{
	char	*sql, *got;

	xasprintf(&sql, "SELECT count() FROM %s.%s", COMPAT_DB, table);
	if ((got = compat_text(c, "count", sql)) != NULL)
		compat_check(c, strtoull(got, NULL, 10) == n, "%s: %s: %zu "
		    "rows (got %.*s)", table, why, n, (int)strcspn(got, "\n"),
		    got);
	free(got);
	free(sql);
}

/*
 * The resume check and the probe, as the reactor sends them, over the rows
 * just inserted: one check for partition 7 from offset 3 on and partition 0
 * from 1 on, in both tables, and one row that is there and one that is not.
 */
static void
compat_landed(struct compat *c, const struct compat_tick *tv, size_t nt,
    const struct compat_reject *rv, size_t nr)
{
	static const int32_t	 parts[] = { 7, 0 };
	static const int64_t	 from[] = { 3, 1 };
	const char		*tables[2] = { COMPAT_TICKS, COMPAT_REJECTS };
	const struct rowenc_origin *o;
	int64_t			*want = NULL, *got = NULL;
	size_t			 nwant = 0, ngot = 0, i, k, len;
	char			*sql, *ans;
	struct buf		 b;
	bool			 same;

	buf_init(&b);
	for (i = 0; i < nt + nr; i++) {
		o = i < nt ? &tv[i].o : &rv[i - nt].r.origin;
		if (strcmp(o->topic, COMPAT_TOPIC) != 0)
			continue;
		for (k = 0; k < sizeof parts / sizeof parts[0]; k++) {
			if (o->partition != parts[k] || o->offset < from[k])
				continue;
			xasprintf(&sql, "%" PRId32 "\t%" PRId64 "\n",
			    o->partition, o->offset);
			buf_add_str(&b, sql);
			free(sql);
		}
	}
	if (!compat_check(c, schema_parse_pairs((char *)b.data, b.len, &want,
	    &nwant) == 0, "resume check: the expected offsets parse")) {
		buf_clear(&b);
		return;
	}
	buf_clear(&b);

	sql = schema_landed_sql(COMPAT_DB, tables, COMPAT_TOPIC, parts, from,
	    sizeof parts / sizeof parts[0]);
	ans = compat_must(c, "resume check", sql, strlen(sql), "TabSeparated",
	    &len);
	free(sql);
	if (ans != NULL) {
		same = schema_parse_pairs(ans, len, &got, &ngot) == 0 &&
		    ngot == nwant && nwant > 3;
		for (k = 0; same && k < 2 * nwant; k++)
			same = got[k] == want[k];
		compat_check(c, same, "resume check: schema_landed_sql finds "
		    "the %zu landed offsets of partition 7 from 3 and 0 from 1 "
		    "(got %zu)", nwant, ngot);
	}
	free(ans);
	free(want);
	free(got);

	/* Ticks: 7@3 is an edge row; no tick has offset 4 in partition 7. */
	compat_probe(c, SCHEMA_TICKS, COMPAT_TOPIC, 7, 3, true);
	compat_probe(c, SCHEMA_TICKS, COMPAT_TOPIC, 7, 4, false);
	/* Rejects: the first row is ours; the second is another topic's. */
	compat_probe(c, SCHEMA_REJECTS, rv[0].r.origin.topic,
	    rv[0].r.origin.partition, rv[0].r.origin.offset, true);
	compat_probe(c, SCHEMA_REJECTS, COMPAT_TOPIC, rv[1].r.origin.partition,
	    rv[1].r.origin.offset, strcmp(rv[1].r.origin.topic,
	    COMPAT_TOPIC) == 0);
}

/*
 * Ask sink_probe_sql's question for a one-row insert of p@offset and check
 * the answer the reactor hands to sink_probe_answer: that row's
 * "partition\toffset" line when it is there, nothing when it is not.
 */
static void
compat_probe(struct compat *c, enum schema_table t, const char *topic,
    int32_t p, int64_t offset, bool there)
{
	const char		*table = t == SCHEMA_TICKS ? COMPAT_TICKS :
				    COMPAT_REJECTS;
	struct sink_insert	 ins;
	struct sink_row		 row = { 0, 0 };
	struct rowenc_origin	 o = { topic, p, offset, -1 };
	struct rowenc_reject	 r = { o, 0, "bad_json", "", NULL, 0, 0 };
	struct tick		 tick = { 0 };
	char			*sql, *ans, want[64];

	/* The probe reads p@offset from the row's bytes. */
	memset(&ins, 0, sizeof ins);
	ins.table = t;
	if (t == SCHEMA_TICKS)
		rowenc_tick(&ins.body, SCHEMA_CURRENT, &tick, &o);
	else
		rowenc_reject(&ins.body, SCHEMA_CURRENT, &r);
	row.end = (uint32_t)ins.body.len;
	ins.rows = &row;
	ins.nrows = 1;
	sql = sink_probe_sql(&ins, SCHEMA_CURRENT, COMPAT_DB, table, topic);
	buf_clear(&ins.body);
	snprintf(want, sizeof want, "%" PRId32 "\t%" PRId64 "\n", p, offset);
	if ((ans = compat_text(c, "probe", sql)) != NULL)
		compat_check(c, strcmp(ans, there ? want : "") == 0,
		    "probe: %s %s:%" PRId32 "@%" PRId64 " is %s (got %.*s)",
		    table, topic, p, offset, there ? "there" : "absent",
		    (int)strcspn(ans, "\n"), ans);
	free(ans);
	free(sql);
}

/*
 * A heartbeat over the window holding the ticks just inserted (their
 * insert_time lies in [t0, t1)), then an empty one after it: the three
 * INSERT ... SELECT statements and the read-back the reactor sends, with
 * the numbers computed here from the input.
 */
static void
compat_diag(struct compat *c, const struct compat_tick *v, size_t n,
    int64_t t0, int64_t t1)
{
	struct diag		 d;
	struct diag_limits	 l = { 1500, 3000, 10 };
	struct diag_result	 res;
	struct compat_rd	 rd;
	char			*sql, *ans, want[512];
	size_t			 len, i;
	double			 ws = 0, proc = 0;
	int64_t			 ins, sum_ts = 0, sum_rx = 0, s0, e0;
	int			 t, beat;
	bool			 ok;

	/* insert_time per row, to compute the processing lag here. */
	xasprintf(&sql, "SELECT toUnixTimestamp64Milli(insert_time) FROM "
	    "%s.%s ORDER BY kafka_offset", COMPAT_DB, COMPAT_TICKS);
	ans = compat_must(c, "insert_time", sql, strlen(sql), "RowBinary",
	    &len);
	free(sql);
	if (ans == NULL)
		return;
	rd.p = (const uint8_t *)ans;
	rd.end = rd.p + len;
	rd.short_read = false;
	for (i = 0; i < n; i++) {
		ins = (int64_t)compat_rd_le(&rd, 8);
		ws += (double)(v[i].t.recv_ms - v[i].t.ts_ms);
		proc += (double)(ins - v[i].t.recv_ms);
		sum_ts += v[i].t.ts_ms;
		sum_rx += v[i].t.recv_ms;
	}
	free(ans);
	if (!compat_check(c, !rd.short_read, "diag: insert_time of %zu rows "
	    "read", n))
		return;
	ws /= (double)n;
	proc /= (double)n;

	diag_init(&d, SCHEMA_CURRENT, &l, t0 - 1000);
	for (beat = 0; beat < 2; beat++) {
		/* The first window ends after t1; the second is empty. */
		if (!compat_check(c, diag_window_open(&d, t1 + 2 *
		    DIAG_SETTLE_MS + beat * 5000), "diag: heartbeat %d opens a "
		    "window", beat))
			return;
		s0 = d.cur_start_ms;
		e0 = d.cur_end_ms;
		ok = true;
		for (t = 0; t < DIAG_NTABLES; t++) {
			sql = diag_heartbeat_sql(&d, t, COMPAT_DB,
			    COMPAT_TICKS, diag_table_name(t));
			ok = compat_exec(c, diag_table_name(t), sql) && ok;
			free(sql);
		}
		compat_check(c, ok, "diag: heartbeat %d: the three INSERT ... "
		    "SELECT statements are accepted", beat);
		sql = diag_result_sql(&d, COMPAT_DB, diag_table_name(DIAG_WS),
		    diag_table_name(DIAG_PROC));
		ans = compat_must(c, "heartbeat read-back", sql, strlen(sql),
		    "TabSeparated", &len);
		free(sql);
		if (ans == NULL)
			return;
		ok = diag_parse_result(ans, len, &res) == 0;
		if (beat == 0)
			compat_check(c, ok && res.messages == n &&
			    fabs(res.ws_lag_ms - ws) <= 1e-6 * fabs(ws) &&
			    fabs(res.proc_lag_ms - proc) <= 1e-9 * fabs(proc),
			    "diag: the window holds %zu messages, websocket "
			    "lag %.6f ms, processing lag %.3f ms (got: %.*s)",
			    n, ws, proc, (int)strcspn(ans, "\n"), ans);
		else
			compat_check(c, ok && res.messages == 0 &&
			    res.ws_lag_ms == 0 && res.proc_lag_ms == 0, "diag: "
			    "the empty window gives 0 messages and 0 lags "
			    "(got: %.*s)", (int)strcspn(ans, "\n"), ans);
		free(ans);

		/* Each table's row: the window as written, and its numbers. */
		xasprintf(&sql, "SELECT toUnixTimestamp64Milli(window_start), "
		    "toUnixTimestamp64Milli(window_end), window_start_ms, "
		    "window_end_ms, window_ms, message_count, "
		    "toUnixTimestamp64Milli(avg_timestamp), "
		    "toUnixTimestamp64Milli(avg_received_at) FROM %s.%s WHERE "
		    "window_end_ms = %" PRId64, COMPAT_DB,
		    diag_table_name(DIAG_WS), e0);
		snprintf(want, sizeof want, "%" PRId64 "\t%" PRId64 "\t%"
		    PRId64 "\t%" PRId64 "\t%" PRId64 "\t%zu\t%" PRId64 "\t%"
		    PRId64 "\n", s0, e0, s0, e0, e0 - s0, beat == 0 ? n : 0,
		    beat == 0 ? (int64_t)llround((double)sum_ts / (double)n) :
		    e0, beat == 0 ? (int64_t)llround((double)sum_rx /
		    (double)n) : e0);
		if ((ans = compat_text(c, "websocket_diagnostics", sql)) !=
		    NULL)
			compat_same(c, ans, want, "diag: heartbeat %d: the "
			    "websocket_diagnostics row (window, count, average "
			    "times)", beat);
		free(ans);
		free(sql);
		xasprintf(&sql, "SELECT window_start_ms, window_end_ms, "
		    "window_ms, is_up, message_count FROM %s.%s WHERE "
		    "window_end_ms = %" PRId64, COMPAT_DB,
		    diag_table_name(DIAG_UPTIME), e0);
		snprintf(want, sizeof want, "%" PRId64 "\t%" PRId64 "\t%"
		    PRId64 "\t%d\t%zu\n", s0, e0, e0 - s0, beat == 0,
		    beat == 0 ? n : 0);
		if ((ans = compat_text(c, "uptime_db", sql)) != NULL)
			compat_same(c, ans, want, "diag: heartbeat %d: the "
			    "uptime_db row (window, is_up, count)", beat);
		free(ans);
		free(sql);
		xasprintf(&sql, "SELECT count() FROM %s.%s WHERE window_end_ms "
		    "= %" PRId64 " AND window_ms = %" PRId64 " AND "
		    "message_count = %zu", COMPAT_DB,
		    diag_table_name(DIAG_PROC), e0, e0 - s0, beat == 0 ? n : 0);
		if ((ans = compat_text(c, "processing_diagnostics", sql)) !=
		    NULL)
			compat_check(c, strcmp(ans, "1\n") == 0, "diag: "
			    "heartbeat %d: one processing_diagnostics row for "
			    "the window (got %.*s)", beat,
			    (int)strcspn(ans, "\n"), ans);
		free(ans);
		free(sql);
		diag_window_done(&d);
	}
}

/*
 * Monitoring events, with the names the old system's dashboards read and
 * details that need quoting; control characters are stored as spaces.
 */
static void
compat_diag_events(struct compat *c)
{
	static const struct {
		enum diag_event_kind	 kind;
		const char		*detail;
		const char		*stored;
	} ev[] = {
		{ DIAG_EV_STARTED, "ticksink 0.1.0, clickhouse 26.7",
		    "ticksink 0.1.0, clickhouse 26.7" },
		{ DIAG_EV_WS_LAG, "quote ' backslash \\ newline\ntab\tend",
		    "quote ' backslash \\ newline tab end" },
		{ DIAG_EV_CH_DOWN, "\xc2\xab\xe2\x88\x9e\xc2\xbb",
		    "\xc2\xab\xe2\x88\x9e\xc2\xbb" },
		{ DIAG_EV_CLOSING, "stop requested; draining",
		    "stop requested; draining" },
	};
	struct diag		 d;
	struct diag_limits	 l = { 1500, 3000, 10 };
	struct buf		 want;
	char			*sql, *ans, line[256];
	size_t			 i, n = sizeof ev / sizeof ev[0];
	int64_t			 at;

	compat_check(c, strcmp(diag_event_name(DIAG_EV_STARTED),
	    "System started") == 0 && strcmp(diag_event_name(DIAG_EV_CLOSING),
	    "System closing") == 0, "diag: the old system's event names "
	    "'System started' and 'System closing'");
	diag_init(&d, SCHEMA_CURRENT, &l, c->now_ms);
	buf_init(&want);
	for (i = 0; i < n; i++) {
		at = c->now_ms - 60000 + (int64_t)i * 1001;
		diag_event_add(&d, ev[i].kind, at, ev[i].detail);
		snprintf(line, sizeof line, "%" PRId64 "\t%" PRId64
		    "\t%s\t%s\n", at, at, diag_event_name(ev[i].kind),
		    ev[i].stored);
		buf_add_str(&want, line);
	}
	buf_add(&want, "", 1);
	sql = diag_events_sql(&d, n, COMPAT_DB, "monitoring_db");
	compat_check(c, compat_exec(c, "monitoring events", sql), "diag: the "
	    "monitoring events INSERT ... SELECT is accepted");
	free(sql);
	xasprintf(&sql, "SELECT event_time_ms, toUnixTimestamp64Milli("
	    "event_time), event, detail FROM %s.monitoring_db ORDER BY "
	    "event_time_ms", COMPAT_DB);
	if ((ans = compat_text(c, "monitoring_db", sql)) != NULL)
		compat_same(c, ans, (char *)want.data, "diag: monitoring_db "
		    "holds the %zu events as queued", n);
	free(ans);
	free(sql);
	buf_clear(&want);
}

/* Offsets as "n\n" lines; allocated. */
static char *
compat_offsets(const int64_t *v, size_t n)
{
	struct buf	b;
	char		line[32];
	size_t		i;

	buf_init(&b);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "%" PRId64 "\n", v[i]);
		buf_add_str(&b, line);
	}
	buf_add(&b, "", 1);
	return ((char *)b.data);
}

/*
 * Partition retention as servers without TTL get it, run on the twin
 * tables: list the partitions, drop those past 1 day (ticks) and 7 days
 * (rejects); only the recent rows may stay.
 */
static void
compat_retention(struct compat *c, const struct compat_tick *tv, size_t nt,
    const struct compat_reject *rv, size_t nr)
{
	const char	*tables[2] = { COMPAT_TICKS "_file",
			    COMPAT_REJECTS "_file" };
	unsigned	 days[2] = { COMPAT_TICKS_TTL, COMPAT_REJECTS_TTL };
	int64_t		 keep[2][4];
	size_t		 nkeep[2] = { 0, 0 }, len, i;
	char		*sql, *ans, **drops = NULL, *want;
	int		 n, k, ok = 0;

	for (i = 0; i < nt && nkeep[0] < 4; i++)
		if (tv[i].recent)
			keep[0][nkeep[0]++] = tv[i].o.offset;
	for (i = 0; i < nr && nkeep[1] < 4; i++)
		if (rv[i].recent)
			keep[1][nkeep[1]++] = rv[i].r.origin.offset;
	sql = diag_parts_sql(COMPAT_DB, tables, 2);
	ans = compat_must(c, "partitions", sql, strlen(sql), "TabSeparated",
	    &len);
	free(sql);
	if (ans == NULL)
		return;
	n = diag_retention_drops(ans, len, COMPAT_DB, tables, days, 2,
	    c->now_ms, &drops);
	free(ans);
	if (!compat_check(c, n > 0, "retention: diag_retention_drops parses "
	    "the partition list and finds partitions to drop (%d)", n))
		return;
	for (k = 0; k < n; k++) {
		ok += compat_exec(c, "retention", drops[k]);
		free(drops[k]);
	}
	free(drops);
	compat_check(c, ok == n, "retention: the %d ALTER TABLE ... DROP "
	    "PARTITION statements are accepted (%d)", n, ok);
	for (k = 0; k < 2; k++) {
		xasprintf(&sql, "SELECT kafka_offset FROM %s.%s ORDER BY "
		    "kafka_offset", COMPAT_DB, tables[k]);
		want = compat_offsets(keep[k], nkeep[k]);
		if ((ans = compat_text(c, "after retention", sql)) != NULL)
			compat_same(c, ans, want, "retention: %s keeps only "
			    "the rows of the last %u days (%zu)", tables[k],
			    days[k], nkeep[k]);
		free(ans);
		free(want);
		free(sql);
	}
}

/*
 * TTL retention: with TTL merges allowed again, OPTIMIZE ... FINAL must
 * leave exactly the rows inside the TTL (keep, ascending offsets).
 */
static void
compat_ttl(struct compat *c, const char *table, const char *what,
    const int64_t *keep, size_t nkeep)
{
	char	*sql, *got, *want;

	xasprintf(&sql, "SYSTEM START TTL MERGES %s.%s", COMPAT_DB, table);
	compat_exec(c, "start ttl merges", sql);
	free(sql);
	xasprintf(&sql, "OPTIMIZE TABLE %s.%s FINAL", COMPAT_DB, table);
	compat_exec(c, "optimize", sql);
	free(sql);
	want = compat_offsets(keep, nkeep);
	xasprintf(&sql, "SELECT kafka_offset FROM %s.%s ORDER BY kafka_offset",
	    COMPAT_DB, table);
	if ((got = compat_text(c, "after ttl", sql)) != NULL)
		compat_same(c, got, want, "%s: TTL leaves only %s (%zu rows)",
		    table, what, nkeep);
	free(got);
	free(want);
	free(sql);
}

int
main(void)
{
	struct compat		 c;
	struct compat_tick	*tv = NULL;
	struct compat_reject	*rv = NULL;
	struct buf		 tb, rb;
	uint8_t			*raw = NULL;
	size_t			 nt, nr, i, nkeep;
	int64_t			 keep[4], t0, t1;
	char			*sql, *got, *sep;
	int			 rc;

	memset(&c, 0, sizeof c);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((rc = compat_open(&c)) != 0) {
		compat_close(&c);
		return (rc);
	}
	c.rng = 0x7469636b73696e6bULL;
	c.now_ms = (int64_t)time(NULL) * 1000;

	/*
	 * A session far from UTC: a time that comes out right in UTC below
	 * does so because of the column types, not the server's zone.
	 */
	compat_exec(&c, "session time zone", "SET session_timezone = '"
	    COMPAT_SESSION_TZ "'");
	if ((got = compat_text(&c, "time zone", "SELECT timezone()")) != NULL)
		compat_check(&c, strcmp(got, COMPAT_SESSION_TZ "\n") == 0,
		    "the session's time zone is %s (got %.*s)",
		    COMPAT_SESSION_TZ, (int)strcspn(got, "\n"), got);
	free(got);

	/* 1. The tables. */
	compat_boot(&c, true);
	compat_boot(&c, false);
	compat_tables(&c);
	if (c.ncreated < 2)
		goto done;

	/* Background TTL merges would delete old rows before we read them. */
	for (i = 0; i < c.ncreated; i++) {
		xasprintf(&sql, "SYSTEM STOP TTL MERGES %s", c.created[i]);
		compat_exec(&c, "stop ttl merges", sql);
		free(sql);
	}

	/* 2. The bodies. */
	nt = compat_ticks_make(&c, &tv);
	buf_init(&tb);
	for (i = 0; i < nt; i++)
		rowenc_tick(&tb, SCHEMA_CURRENT, &tv[i].t, &tv[i].o);
	compat_check(&c, tb.len > 3 && memcmp(tb.data, "\n \t", 3) == 0,
	    "the ticks body starts with newline, space, tab");
	nr = compat_rejects_make(&c, &rv, &raw);
	buf_init(&rb);
	for (i = 0; i < nr; i++)
		rowenc_reject(&rb, SCHEMA_CURRENT, &rv[i].r);
	printf("# ticks body: %zu rows, %zu bytes; rejects body: %zu rows, "
	    "%zu bytes\n", nt, tb.len, nr, rb.len);

	t0 = (int64_t)time(NULL) * 1000;
	t1 = t0;
	if (compat_insert(&c, "insert ticks", SCHEMA_TICKS, COMPAT_TICKS,
	    &tb, (unsigned)nt)) {
		t1 = (int64_t)time(NULL) * 1000 + 1000;
		compat_count(&c, COMPAT_TICKS, nt, "the insert landed whole");
		/* A resend (same bytes, same token) is dropped. */
		compat_insert(&c, "resend ticks", SCHEMA_TICKS, COMPAT_TICKS,
		    &tb, (unsigned)nt);
		compat_count(&c, COMPAT_TICKS, nt, "a resend with the same "
		    "token adds nothing");
		compat_ticks_compare(&c, COMPAT_TICKS, tv, nt);
		compat_ticks_times(&c, COMPAT_TICKS);
		xasprintf(&sql, "SELECT countIf(toUnixTimestamp64Milli("
		    "insert_time) NOT BETWEEN %" PRId64 " AND %" PRId64 ") "
		    "FROM %s.%s", t0 - 1000, t1, COMPAT_DB, COMPAT_TICKS);
		if ((got = compat_text(&c, "insert_time", sql)) != NULL)
			compat_check(&c, strcmp(got, "0\n") == 0, "insert_time "
			    "is filled by its DEFAULT with the insert's time "
			    "(%.*s rows outside)", (int)strcspn(got, "\n"),
			    got);
		free(got);
		free(sql);
	}
	if (compat_insert(&c, "insert rejects", SCHEMA_REJECTS,
	    COMPAT_REJECTS, &rb, (unsigned)nr)) {
		compat_count(&c, COMPAT_REJECTS, nr, "the insert landed whole");
		compat_insert(&c, "resend rejects", SCHEMA_REJECTS,
		    COMPAT_REJECTS, &rb, (unsigned)nr);
		compat_count(&c, COMPAT_REJECTS, nr, "a resend with the same "
		    "token adds nothing");
		compat_rejects_compare(&c, COMPAT_REJECTS, rv, nr);
	}
	if (compat_insert_file(&c, COMPAT_TICKS "_file", SCHEMA_TICKS, &tb,
	    compat_ticks_want))
		compat_ticks_compare(&c, COMPAT_TICKS "_file", tv, nt);
	if (compat_insert_file(&c, COMPAT_REJECTS "_file", SCHEMA_REJECTS,
	    &rb, compat_rejects_want))
		compat_rejects_compare(&c, COMPAT_REJECTS "_file", rv, nr);
	/*
	 * A ticks table of the other types the column check accepts (no time
	 * zone, a plain String symbol) takes the same Native block.
	 */
	if (compat_exec(&c, "create plain ticks", "CREATE TABLE " COMPAT_DB
	    "." COMPAT_TICKS "_plain (timestamp DateTime64(3), timestamp_ms "
	    "Int64, symbol String, price Float64, volume Float64, received_at "
	    "DateTime64(3), kafka_partition Int32, kafka_offset Int64) "
	    "ENGINE = MergeTree ORDER BY timestamp_ms") &&
	    compat_insert(&c, "insert plain ticks", SCHEMA_TICKS,
	    COMPAT_TICKS "_plain", &tb, (unsigned)nt))
		compat_ticks_compare(&c, COMPAT_TICKS "_plain", tv, nt);

	/* 3. The resume check, the probe, diagnostics, retention. */
	compat_landed(&c, tv, nt, rv, nr);
	compat_diag(&c, tv, nt, t0, t1);
	compat_diag_events(&c);
	for (i = nkeep = 0; i < nt && nkeep < 4; i++)
		if (tv[i].recent)
			keep[nkeep++] = tv[i].o.offset;
	compat_ttl(&c, COMPAT_TICKS, "the ticks of the last day", keep, nkeep);
	for (i = nkeep = 0; i < nr && nkeep < 4; i++)
		if (rv[i].recent)
			keep[nkeep++] = rv[i].r.origin.offset;
	compat_ttl(&c, COMPAT_REJECTS, "the rejects of the last 7 days", keep,
	    nkeep);
	compat_retention(&c, tv, nt, rv, nr);

	buf_clear(&tb);
	buf_clear(&rb);
	free(tv);
	free(rv);
	free(raw);
done:
	sep = c.failed == 0 ? "all passed" : "FAILED";
	printf("# chdb_compat: %u checks, %u failed: %s\n", c.checks,
	    c.failed, sep);
	compat_close(&c);
	return (c.failed == 0 && c.checks > 0 ? 0 : 1);
}
