/*
 * ticksink bench: RowBinary against JSONEachRow as the insert body format.
 *
 * Generates n ticks in memory (deterministic splitmix64: real-looking
 * symbols, prices with two decimals, volumes with up to eight, millisecond
 * times), then encodes all of them into one body per format and reports
 * the bytes per row and the CPU time per row (CLOCK_PROCESS_CPUTIME_ID,
 * best of ENC_RUNS; the buffer is reused, so only the first run pays for
 * growing it).  Nothing but encoding is inside the timed loop.
 *
 * RowBinary is rowenc_tick() on the LEGACY dialect, the encoder ticksink
 * runs.  JSONEachRow is written here for the comparison, as a competent
 * production encoder would be: keys prebuilt from schema_insert_sql()'s
 * column list, integers by hand, and each double as the shortest of %.15g
 * and %.17g that strtod() reads back to the same bits, because ClickHouse
 * must store exactly the double ticksink holds.  A plain %.17g variant is
 * timed as well, for reference; encode.sh only checks how exactly the server
 * stores it.
 *
 * The bodies, the statements for the server side (schema_create_sql() and
 * schema_insert_sql() output for tables t_rb and t_js) and the sums the
 * server must report are written to the output directory for
 * bench/encode.sh.
 */

#include <sys/stat.h>

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "rowenc.h"
#include "schema.h"
#include "tick.h"
#include "xmalloc.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

#define ENC_RUNS	5
#define ENC_SEED	UINT64_C(20240314)
#define ENC_START_MS	INT64_C(1710406800000)	/* 2024-03-14T09:00:00Z */
#define ENC_PARTITIONS	12
#define ENC_OFFSET_BASE	INT64_C(180000000)	/* a topic some months old */
#define ENC_DB		"default"
#define ENC_TOPIC	"price_ticks"
#define ENC_NCOLS	9
#define ENC_KEY_MAX	48
#define ENC_DOUBLE_MAX	32	/* "-1.2345678901234567e-308" and NUL */

/* The bodies that are timed. */
enum enc_kind {
	ENC_ROWBINARY,
	ENC_JSON,
	ENC_JSON17
};

/* One generated tick and where it came from in Kafka. */
struct enc_row {
	struct tick		tick;
	struct rowenc_origin	origin;
};

/* The JSONEachRow keys, prebuilt: "{\"timestamp\":", ",\"timestamp_ms\":"... */
struct enc_json {
	char	key[ENC_NCOLS][ENC_KEY_MAX];
	size_t	len[ENC_NCOLS];
};

/* A symbol: name, start price in cents, volume magnitude. */
struct enc_sym {
	const char	*name;
	int64_t		 cents;
	int		 vol_digits;	/* volume * 1e8 below 10^vol_digits */
};

/* One format's results. */
struct enc_result {
	const char	*name;
	const char	*file;		/* the body, in the output directory */
	size_t		 bytes;
	uint64_t	 best_ns;
};

static uint64_t	enc_rng(uint64_t *);
static int64_t	enc_rng_range(uint64_t *, int64_t, int64_t);
static void	enc_generate(struct enc_row *, size_t);
static int64_t	enc_floor_s(int64_t);
static void	enc_json_keys(struct enc_json *);
static void	enc_json_int(struct buf *, int64_t);
static void	enc_json_str(struct buf *, const char *, size_t);
static void	enc_json_double(struct buf *, double, bool);
static void	enc_json_row(struct buf *, const struct enc_row *,
		    const struct enc_json *, bool);
static void	enc_body(struct buf *, enum enc_kind, const struct enc_row *,
		    size_t, const struct enc_json *);
static uint64_t	enc_cpu_ns(void);
static size_t	enc_fallbacks(const struct enc_row *, size_t);
static void	enc_write(const char *, const char *, const void *, size_t);
static void	enc_write_sql(const char *, const char *, bool);
static void	usage(void) __attribute__((noreturn));

/* Columns in the order rowenc_tick() writes them (schema_insert_sql()). */
static const char *enc_cols[ENC_NCOLS] = {
	"timestamp", "timestamp_ms", "symbol", "price", "volume",
	"received_at", "received_at_ms", "kafka_partition", "kafka_offset"
};

static const struct enc_sym enc_syms[] = {
	{ "BINANCE:BTCUSDT", 6512345, 9 },	/* 65123.45 */
	{ "BINANCE:ETHUSDT", 352012, 10 },	/* 3520.12 */
	{ "BINANCE:SOLUSDT", 14873, 11 },	/* 148.73 */
	{ "BINANCE:BNBUSDT", 41550, 10 },	/* 415.50 */
	{ "BINANCE:XRPUSDT", 6212, 13 },	/* 62.12 (a made-up level) */
	{ "BINANCE:DOGEUSDT", 1734, 13 },	/* 17.34 */
	{ "COINBASE:BTC-USD", 6511899, 9 },
	{ "COINBASE:ETH-USD", 351987, 10 },
	{ "KRAKEN:XBTUSD", 6512001, 9 },
	{ "BYBIT:BTCUSDT", 6512377, 9 },
	{ "OKX:BTC-USDT-SWAP", 6513010, 10 },
	{ "BITSTAMP:BTCUSD", 6511750, 9 }
};

/* Return the next splitmix64 value. */
static uint64_t
enc_rng(uint64_t *s)
{
	uint64_t	z;

	z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (z ^ (z >> 31));
}

/* Return a value in [lo, hi]; the modulo bias does not matter here. */
static int64_t
enc_rng_range(uint64_t *s, int64_t lo, int64_t hi)
{
	return (lo + (int64_t)(enc_rng(s) % (uint64_t)(hi - lo + 1)));
}

/*
 * Fill n rows.  Prices are a random walk in cents and volumes integers in
 * units of 1e-8; dividing the exact integer by 100 or 1e8 gives the double
 * nearest the decimal, which is what strtod() makes of the producer's text.
 */
static void
enc_generate(struct enc_row *rows, size_t n)
{
	int64_t		 cents[nitems(enc_syms)], offset[ENC_PARTITIONS];
	int64_t		 now = ENC_START_MS, step, vol;
	uint64_t	 rng = ENC_SEED;
	size_t		 i, s;
	int		 p, d;

	for (s = 0; s < nitems(enc_syms); s++)
		cents[s] = enc_syms[s].cents;
	for (p = 0; p < ENC_PARTITIONS; p++)
		offset[p] = ENC_OFFSET_BASE + p * 7919;
	for (i = 0; i < n; i++) {
		struct tick	*t = &rows[i].tick;

		now += enc_rng_range(&rng, 0, 50);
		s = (size_t)enc_rng_range(&rng, 0, nitems(enc_syms) - 1);
		step = cents[s] / 2000 > 1 ? cents[s] / 2000 : 1;
		step = enc_rng_range(&rng, -step, step);
		if (cents[s] + step > 0)
			cents[s] += step;
		if (enc_rng_range(&rng, 0, 499) == 0)
			vol = 0;
		else {
			vol = 1;
			for (d = (int)enc_rng_range(&rng, 4,
			    enc_syms[s].vol_digits); d > 0; d--)
				vol *= 10;
			vol = enc_rng_range(&rng, 1, vol - 1);
		}
		memset(t, 0, sizeof *t);
		t->ts_ms = now;
		t->recv_ms = now + enc_rng_range(&rng, 5, 300);
		t->price = (double)cents[s] / 100.0;
		t->volume = (double)vol / 1e8;
		t->symbol_len = strlen(enc_syms[s].name);
		memcpy(t->symbol, enc_syms[s].name, t->symbol_len + 1);
		p = (int)enc_rng_range(&rng, 0, ENC_PARTITIONS - 1);
		rows[i].origin.topic = ENC_TOPIC;
		rows[i].origin.partition = p;
		rows[i].origin.offset = offset[p]++;
		rows[i].origin.timestamp_ms = t->recv_ms;
	}
}

/* Seconds of a millisecond time, floored (as rowenc_time() does). */
static int64_t
enc_floor_s(int64_t ms)
{
	return (ms / 1000 - (ms % 1000 < 0));
}

/*
 * Build the JSON keys from our column list, after checking that it is the
 * one schema_insert_sql() names: the values are written in that order.
 */
static void
enc_json_keys(struct enc_json *j)
{
	char	*sql, *want, *p;
	size_t	 i, off = 0, size = 256;

	want = xmalloc(size);
	for (i = 0; i < ENC_NCOLS; i++)
		off += (size_t)snprintf(want + off, size - off, "%s%s",
		    i == 0 ? "(" : ", ", enc_cols[i]);
	snprintf(want + off, size - off, ")");
	sql = schema_insert_sql(SCHEMA_LEGACY, SCHEMA_TICKS, ENC_DB, "t");
	if ((p = strchr(sql, '(')) == NULL ||
	    strncmp(p, want, strlen(want)) != 0)
		fatalx("column list drifted: %s, expected %s", sql, want);
	free(want);
	free(sql);
	for (i = 0; i < ENC_NCOLS; i++)
		j->len[i] = (size_t)snprintf(j->key[i], sizeof j->key[i],
		    "%c\"%s\":", i == 0 ? '{' : ',', enc_cols[i]);
}

/* Append a decimal integer. */
static void
enc_json_int(struct buf *b, int64_t v)
{
	char		tmp[20];
	uint64_t	u;
	size_t		n = 0;

	buf_reserve(b, 21);
	u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	if (v < 0)
		b->data[b->len++] = '-';
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (n > 0)
		b->data[b->len++] = (uint8_t)tmp[--n];
}

/* Append a JSON string: quotes, backslash escapes, \u00XX for controls. */
static void
enc_json_str(struct buf *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			*p;
	size_t			 i;
	unsigned char		 c;

	buf_reserve(b, 6 * len + 2);
	p = b->data + b->len;
	*p++ = '"';
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = c;
		} else if (c < 0x20) {
			memcpy(p, "\\u00", 4);
			p[4] = (uint8_t)hex[c >> 4];
			p[5] = (uint8_t)hex[c & 0xf];
			p += 6;
		} else
			*p++ = c;
	}
	*p++ = '"';
	b->len = (size_t)(p - b->data);
}

/*
 * Append a double that reads back to the same bits: %.15g when strtod()
 * agrees (shorter, and always for these two- and eight-decimal values),
 * else %.17g, which is exact for every double.
 */
static void
enc_json_double(struct buf *b, double v, bool always17)
{
	char	*p;
	int	 n;

	buf_reserve(b, ENC_DOUBLE_MAX);
	p = (char *)b->data + b->len;
	if (always17)
		n = snprintf(p, ENC_DOUBLE_MAX, "%.17g", v);
	else {
		n = snprintf(p, ENC_DOUBLE_MAX, "%.15g", v);
		if (strtod(p, NULL) != v)
			n = snprintf(p, ENC_DOUBLE_MAX, "%.17g", v);
	}
	b->len += (size_t)n;
}

/* Append one JSONEachRow line with the columns rowenc_tick() writes. */
static void
enc_json_row(struct buf *b, const struct enc_row *r, const struct enc_json *j,
    bool always17)
{
	const struct tick	*t = &r->tick;

	buf_add(b, j->key[0], j->len[0]);
	enc_json_int(b, enc_floor_s(t->ts_ms));
	buf_add(b, j->key[1], j->len[1]);
	enc_json_int(b, t->ts_ms);
	buf_add(b, j->key[2], j->len[2]);
	enc_json_str(b, t->symbol, t->symbol_len);
	buf_add(b, j->key[3], j->len[3]);
	enc_json_double(b, t->price, always17);
	buf_add(b, j->key[4], j->len[4]);
	enc_json_double(b, t->volume, always17);
	buf_add(b, j->key[5], j->len[5]);
	enc_json_int(b, enc_floor_s(t->recv_ms));
	buf_add(b, j->key[6], j->len[6]);
	enc_json_int(b, t->recv_ms);
	buf_add(b, j->key[7], j->len[7]);
	enc_json_int(b, r->origin.partition);
	buf_add(b, j->key[8], j->len[8]);
	enc_json_int(b, r->origin.offset);
	buf_add(b, "}\n", 2);
}

/* Encode all rows into b (emptied first) in one format. */
static void
enc_body(struct buf *b, enum enc_kind k, const struct enc_row *rows,
    size_t n, const struct enc_json *j)
{
	size_t	i;

	buf_reset(b);
	switch (k) {
	case ENC_ROWBINARY:
		for (i = 0; i < n; i++)
			rowenc_tick(b, SCHEMA_LEGACY, &rows[i].tick,
			    &rows[i].origin);
		break;
	case ENC_JSON:
		for (i = 0; i < n; i++)
			enc_json_row(b, &rows[i], j, false);
		break;
	case ENC_JSON17:
		for (i = 0; i < n; i++)
			enc_json_row(b, &rows[i], j, true);
		break;
	}
}

/* CPU time this process has used, in nanoseconds. */
static uint64_t
enc_cpu_ns(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		fatal("clock_gettime");
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

/* How many doubles %.15g does not round-trip (so %.17g is written). */
static size_t
enc_fallbacks(const struct enc_row *rows, size_t n)
{
	char	tmp[ENC_DOUBLE_MAX];
	size_t	i, bad = 0;

	for (i = 0; i < n; i++) {
		snprintf(tmp, sizeof tmp, "%.15g", rows[i].tick.price);
		bad += strtod(tmp, NULL) != rows[i].tick.price;
		snprintf(tmp, sizeof tmp, "%.15g", rows[i].tick.volume);
		bad += strtod(tmp, NULL) != rows[i].tick.volume;
	}
	return (bad);
}

/* Write len bytes to dir/name. */
static void
enc_write(const char *dir, const char *name, const void *p, size_t len)
{
	FILE	*f;
	char	*path;

	xasprintf(&path, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		fatal("%s", path);
	if (fwrite(p, 1, len, f) != len || fclose(f) != 0)
		fatal("%s", path);
	free(path);
}

/*
 * Write the CREATE and INSERT statements for table name: ticksink's own
 * (schema_create_sql() for an 18.16 server, schema_insert_sql()), with the
 * format at the end of the INSERT switched for the JSON body.
 */
static void
enc_write_sql(const char *dir, const char *name, bool json)
{
	struct schema_caps	 caps;
	char			*sql, *file, *fmt, *stmt;

	if (schema_parse_version("18.16.1", 7, &caps) != 0 ||
	    caps.dialect != SCHEMA_LEGACY)
		fatalx("18.16.1 is not the legacy dialect");
	sql = schema_create_sql(&caps, SCHEMA_TICKS, ENC_DB, name, 0);
	xasprintf(&file, "%s.create.sql", name);
	enc_write(dir, file, sql, strlen(sql));
	free(file);
	free(sql);

	sql = schema_insert_sql(SCHEMA_LEGACY, SCHEMA_TICKS, ENC_DB, name);
	if ((fmt = strstr(sql, " FORMAT ")) == NULL)
		fatalx("unexpected insert: %s", sql);
	*fmt = '\0';
	xasprintf(&file, "%s.insert.sql", name);
	xasprintf(&stmt, "%s FORMAT %s", sql, json ? "JSONEachRow" :
	    "RowBinary");
	enc_write(dir, file, stmt, strlen(stmt));
	free(stmt);
	free(file);
	free(sql);
}

/* Print usage and exit. */
static void
usage(void)
{
	fprintf(stderr, "usage: encode [-n rows] [-o dir]\n");
	exit(2);
}

/* Generate, encode and time, then write the bodies and statements. */
int
main(int argc, char **argv)
{
	struct enc_result	 res[] = {
		[ENC_ROWBINARY] = { "RowBinary", "rowbinary.bin", 0, 0 },
		[ENC_JSON] = { "JSONEachRow", "jsoneachrow.ndjson", 0, 0 },
		[ENC_JSON17] = { "JSONEachRow %.17g", "jsoneachrow17.ndjson",
		    0, 0 },
	};
	struct enc_json		 j;
	struct enc_row		*rows;
	struct buf		 b;
	const char		*dir = ".", *errstr = NULL;
	char			*end, *tsv;
	uint64_t		 t0, t1, sum_ts = 0, sum_off = 0;
	int64_t			 sum_cents = 0, sum_vol = 0;
	unsigned long long	 ull;
	size_t			 n = 1000000, i, run, fallbacks;
	int			 ch;

	log_init(0);
	while ((ch = getopt(argc, argv, "n:o:")) != -1) {
		switch (ch) {
		case 'n':
			ull = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || ull == 0 ||
			    ull > 100000000)
				errstr = "rows must be 1 to 100000000";
			n = (size_t)ull;
			break;
		case 'o':
			dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (errstr != NULL)
		fatalx("-n: %s", errstr);
	if (optind != argc)
		usage();
	if (mkdir(dir, 0777) != 0 && access(dir, W_OK) != 0)
		fatal("%s", dir);

	rows = xreallocarray(NULL, n, sizeof *rows);
	enc_generate(rows, n);
	enc_json_keys(&j);
	buf_init(&b);

	for (i = 0; i < nitems(res); i++) {
		for (run = 0; run < ENC_RUNS; run++) {
			t0 = enc_cpu_ns();
			enc_body(&b, (enum enc_kind)i, rows, n, &j);
			t1 = enc_cpu_ns();
			if (run == 0 || t1 - t0 < res[i].best_ns)
				res[i].best_ns = t1 - t0;
		}
		res[i].bytes = b.len;
		enc_write(dir, res[i].file, b.data, b.len);
	}
	buf_clear(&b);
	fallbacks = enc_fallbacks(rows, n);
	for (i = 0; i < n; i++) {
		sum_ts += (uint64_t)rows[i].tick.ts_ms;
		sum_off += (uint64_t)rows[i].origin.offset;
		sum_cents += llround(rows[i].tick.price * 100);
		sum_vol += llround(rows[i].tick.volume * 1e8);
	}
	free(rows);

	enc_write_sql(dir, "t_rb", false);
	enc_write_sql(dir, "t_js", true);
	enc_write_sql(dir, "t_js17", true);
	xasprintf(&tsv, "%zu\t%" PRIu64 "\t%" PRIu64 "\t%" PRId64 "\t%" PRId64
	    "\n%s\t%zu\t%.3f\n%s\t%zu\t%.3f\n%s\t%zu\t%.3f\n", n, sum_ts,
	    sum_off, sum_cents, sum_vol,
	    res[0].name, res[0].bytes, (double)res[0].best_ns / n,
	    res[1].name, res[1].bytes, (double)res[1].best_ns / n,
	    res[2].name, res[2].bytes, (double)res[2].best_ns / n);
	enc_write(dir, "encode.tsv", tsv, strlen(tsv));
	free(tsv);

	printf("encode: %zu rows, %zu symbols, seed %" PRIu64 ", best of %d "
	    "runs (CPU time)\n", n, nitems(enc_syms), ENC_SEED, ENC_RUNS);
	printf("  %-18s %10s %12s %14s\n", "format", "bytes/row",
	    "ns/row", "body MB");
	for (i = 0; i < nitems(res); i++)
		printf("  %-18s %10.2f %12.1f %14.1f%s\n", res[i].name,
		    (double)res[i].bytes / n, (double)res[i].best_ns / n,
		    res[i].bytes / 1e6, i == ENC_JSON17 ?
		    "  (exactness check only)" : "");
	printf("  %%.15g did not round-trip for %zu of %zu doubles "
	    "(%%.17g written)\n", fallbacks, 2 * n);
	return (0);
}
