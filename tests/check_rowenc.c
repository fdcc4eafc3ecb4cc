/*
 * ticksink: unit tests for handlers/rowenc.c, the RowBinary rows.
 *
 * The expected rows are assembled here byte by byte from the column list of
 * schema_insert_sql(), independently of buf.c's writers, so a change in the
 * layout that ClickHouse reads cannot pass unnoticed.
 */

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "rowenc.h"
#include "schema.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

/* DESIGN.md §1's example tick. */
#define TS_MS		INT64_C(1757685781123)
#define TS_S		UINT32_C(1757685781)
#define RECV_MS		INT64_C(1757685781187)
#define SYMBOL		"BINANCE:ETHUSDT"
#define PRICE_BITS	UINT64_C(0x40b1a04f5c28f5c3)	/* 4512.31 */
#define VOLUME_BITS	UINT64_C(0x3f8f559b3d07c84b)	/* 0.0153 */

#define MS_2009		INT64_C(1230768000000)	/* 2009-01-01T00:00:00Z */
#define MS_2100		INT64_C(4102444800000)	/* 2100-01-01T00:00:00Z */

/* A hand-built expected row. */
struct row {
	uint8_t		b[1024];
	size_t		len;
};

static struct buf	b;

/* Per-test buffer. */
static void
setup(void)
{
	buf_init(&b);
}

/* Release the buffer. */
static void
teardown(void)
{
	buf_clear(&b);
}

/* Append n little-endian bytes of v. */
static void
put_le(struct row *r, uint64_t v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		r->b[r->len++] = (uint8_t)(v >> (8 * i));
}

/* Append a RowBinary String whose length fits in one varint byte. */
static void
put_str1(struct row *r, const void *p, size_t len)
{
	ck_assert_uint_lt(len, 128);
	r->b[r->len++] = (uint8_t)len;
	memcpy(r->b + r->len, p, len);
	r->len += len;
}

/* The example tick. */
static struct tick
example_tick(void)
{
	struct tick	t;

	memset(&t, 0, sizeof t);
	t.ts_ms = TS_MS;
	t.recv_ms = RECV_MS;
	t.price = 4512.31;
	t.volume = 0.0153;
	t.symbol_len = strlen(SYMBOL);
	memcpy(t.symbol, SYMBOL, t.symbol_len + 1);
	return (t);
}

static const struct rowenc_origin example_origin = {
	"price_ticks", 7, INT64_C(123456789012), INT64_C(1757685781200)
};

/* The LEGACY tick row: DateTime seconds beside every millisecond value. */
START_TEST(test_rowenc_tick_legacy_bytes)
{
	struct tick	t = example_tick();
	struct row	want = { .len = 0 };

	put_le(&want, TS_S, 4);			/* timestamp DateTime */
	put_le(&want, (uint64_t)TS_MS, 8);	/* timestamp_ms Int64 */
	put_str1(&want, SYMBOL, strlen(SYMBOL));	/* symbol String */
	put_le(&want, PRICE_BITS, 8);		/* price Float64 */
	put_le(&want, VOLUME_BITS, 8);		/* volume Float64 */
	put_le(&want, TS_S, 4);			/* received_at DateTime */
	put_le(&want, (uint64_t)RECV_MS, 8);	/* received_at_ms Int64 */
	put_le(&want, 7, 4);			/* kafka_partition Int32 */
	put_le(&want, UINT64_C(123456789012), 8);	/* kafka_offset */

	rowenc_tick(&b, SCHEMA_LEGACY, &t, &example_origin);
	ck_assert_uint_eq(want.len, 68);
	ck_assert_uint_eq(b.len, want.len);
	ck_assert_mem_eq(b.data, want.b, want.len);
}
END_TEST

/* The CURRENT tick row: DateTime64(3) as Int64 ms, no received_at_ms. */
START_TEST(test_rowenc_tick_current_bytes)
{
	struct tick	t = example_tick();
	struct row	want = { .len = 0 };

	put_le(&want, (uint64_t)TS_MS, 8);	/* timestamp DateTime64(3) */
	put_le(&want, (uint64_t)TS_MS, 8);	/* timestamp_ms Int64 */
	put_str1(&want, SYMBOL, strlen(SYMBOL));
	put_le(&want, PRICE_BITS, 8);
	put_le(&want, VOLUME_BITS, 8);
	put_le(&want, (uint64_t)RECV_MS, 8);	/* received_at DateTime64(3) */
	put_le(&want, 7, 4);
	put_le(&want, UINT64_C(123456789012), 8);

	rowenc_tick(&b, SCHEMA_CURRENT, &t, &example_origin);
	ck_assert_uint_eq(b.len, want.len);
	ck_assert_mem_eq(b.data, want.b, want.len);
}
END_TEST

/* Rows append: two ticks are the two rows back to back. */
START_TEST(test_rowenc_tick_appends)
{
	struct tick		 t = example_tick();
	struct rowenc_origin	 o = example_origin;
	size_t			 one;

	rowenc_tick(&b, SCHEMA_LEGACY, &t, &o);
	one = b.len;
	o.offset++;
	rowenc_tick(&b, SCHEMA_LEGACY, &t, &o);
	ck_assert_uint_eq(b.len, 2 * one);
	ck_assert_mem_eq(b.data, b.data + one, one - 8);
	ck_assert_uint_eq(b.data[2 * one - 8], 0x15);	/* offset + 1 */
}
END_TEST

/* Ticks for the round trip, at the edges of what validation lets through. */
struct tick_case {
	int64_t		ts_ms;
	int64_t		recv_ms;
	double		price;
	double		volume;
	const char	*symbol;
	int32_t		partition;
	int64_t		offset;
};

#define SYM64 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_"

static const struct tick_case ticks[] = {
	{ TS_MS, RECV_MS, 4512.31, 0.0153, SYMBOL, 0, 0 },
	{ MS_2009, MS_2009, 1e-8, 0.0, "A", 0, 1 },
	{ MS_2100 + 999, MS_2100 + 999, 1e12, 1e12, SYM64, INT32_MAX,
	    INT64_MAX },
	{ MS_2009 + 1, MS_2100, 0.1, 5e-324, "X\"Y\\Z", 3, 42 },
	{ TS_MS, TS_MS - 5000, 65000.5, 1.5, "BTC-USD", 11, 999999999 },
};

/* The tick of a case. */
static struct tick
case_tick(const struct tick_case *c)
{
	struct tick	t;

	memset(&t, 0, sizeof t);
	t.ts_ms = c->ts_ms;
	t.recv_ms = c->recv_ms;
	t.price = c->price;
	t.volume = c->volume;
	t.symbol_len = strlen(c->symbol);
	memcpy(t.symbol, c->symbol, t.symbol_len + 1);
	return (t);
}

/* rowenc_tick_parse reads back exactly what rowenc_tick wrote. */
START_TEST(test_rowenc_tick_round_trip)
{
	const struct tick_case	*c = &ticks[_i / 2];
	enum schema_dialect	 d = _i % 2 ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	struct rowenc_origin	 o = { "t", c->partition, c->offset, -1 };
	struct rowenc_origin	 back_o = { "keep", -1, -1, -7 };
	struct tick		 t, back;
	uint8_t			*copy;

	t = case_tick(c);
	ck_assert_uint_le(t.symbol_len, TICK_SYMBOL_MAX);

	rowenc_tick(&b, d, &t, &o);
	/* An exact-size copy, so an over-read shows under valgrind. */
	copy = malloc(b.len);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, b.data, b.len);
	ck_assert_int_eq(rowenc_tick_parse(copy, b.len, d, &back, &back_o),
	    0);
	free(copy);

	ck_assert_int_eq(back.ts_ms, c->ts_ms);
	ck_assert_int_eq(back.recv_ms, c->recv_ms);
	ck_assert_mem_eq(&back.price, &c->price, sizeof(double));
	ck_assert_mem_eq(&back.volume, &c->volume, sizeof(double));
	ck_assert_uint_eq(back.symbol_len, t.symbol_len);
	ck_assert_str_eq(back.symbol, c->symbol);
	ck_assert_int_eq(back_o.partition, c->partition);
	ck_assert_int_eq(back_o.offset, c->offset);
	ck_assert_str_eq(back_o.topic, "keep");
	ck_assert_int_eq(back_o.timestamp_ms, -7);
}
END_TEST

/* A Native block, written here value by value from the cases. */
struct block {
	uint8_t		b[4096];
	size_t		len;
};

/* Append a Native string (one-byte length) to a block. */
static void
block_str(struct block *k, const char *s)
{
	struct row	r = { .len = 0 };

	put_str1(&r, s, strlen(s));
	memcpy(k->b + k->len, r.b, r.len);
	k->len += r.len;
}

/* Append column name of type to k: one value per case. */
static void
block_col(struct block *k, enum schema_dialect d, const char *name,
    const char *type)
{
	const struct tick_case	*c;
	struct row		 r = { .len = 0 };
	uint64_t		 bits;
	bool			 cur = d == SCHEMA_CURRENT;

	block_str(k, name);
	block_str(k, type);
	for (c = ticks; c < ticks + nitems(ticks); c++) {
		if (strcmp(name, "timestamp") == 0)
			put_le(&r, cur ? (uint64_t)c->ts_ms :
			    (uint64_t)(c->ts_ms / 1000), cur ? 8 : 4);
		else if (strcmp(name, "timestamp_ms") == 0)
			put_le(&r, (uint64_t)c->ts_ms, 8);
		else if (strcmp(name, "symbol") == 0)
			put_str1(&r, c->symbol, strlen(c->symbol));
		else if (strcmp(name, "price") == 0) {
			memcpy(&bits, &c->price, 8);
			put_le(&r, bits, 8);
		} else if (strcmp(name, "volume") == 0) {
			memcpy(&bits, &c->volume, 8);
			put_le(&r, bits, 8);
		} else if (strcmp(name, "received_at") == 0)
			put_le(&r, cur ? (uint64_t)c->recv_ms :
			    (uint64_t)(c->recv_ms / 1000), cur ? 8 : 4);
		else if (strcmp(name, "received_at_ms") == 0)
			put_le(&r, (uint64_t)c->recv_ms, 8);
		else if (strcmp(name, "kafka_partition") == 0)
			put_le(&r, (uint32_t)c->partition, 4);
		else if (strcmp(name, "kafka_offset") == 0)
			put_le(&r, (uint64_t)c->offset, 8);
		else
			ck_abort_msg("unknown column %s", name);
	}
	memcpy(k->b + k->len, r.b, r.len);
	k->len += r.len;
}

/* The type a Native block declares for a tick column. */
static const char *
native_type(enum schema_dialect d, const char *name)
{
	if (strcmp(name, "timestamp") == 0 || strcmp(name, "received_at") == 0)
		return (d == SCHEMA_CURRENT ? "DateTime64(3, 'UTC')" :
		    "DateTime");
	if (strcmp(name, "symbol") == 0)
		return ("String");
	if (strcmp(name, "price") == 0 || strcmp(name, "volume") == 0)
		return ("Float64");
	if (strcmp(name, "kafka_partition") == 0)
		return ("Int32");
	return ("Int64");
}

/* The cases' rows, as rowenc_tick writes them, into b. */
static void
case_rows(enum schema_dialect d)
{
	const struct tick_case	*c;
	struct rowenc_origin	 o = { "t", 0, 0, -1 };
	struct tick		 t;

	for (c = ticks; c < ticks + nitems(ticks); c++) {
		t = case_tick(c);
		o.partition = c->partition;
		o.offset = c->offset;
		rowenc_tick(&b, d, &t, &o);
	}
}

/*
 * The Native block of a batch, read in pieces of every size from one byte
 * up: the columns schema_insert_sql names, in its order, each with every
 * row's value.
 */
START_TEST(test_rowenc_native_block)
{
	enum schema_dialect	 d = _i % 2 ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	struct rowenc_native	 nb;
	struct block		 want = { .len = 0 };
	uint8_t			 got[4096 + 1];
	char			*sql, *name, *names[16], *save = NULL;
	size_t			 piece, n, k;
	unsigned		 ncols = 0, i;

	case_rows(d);
	sql = schema_insert_sql(d, SCHEMA_TICKS, "db", "t");
	ck_assert_str_eq(strrchr(sql, ' '), " Native");
	*strchr(sql, ')') = '\0';
	for (name = strtok_r(strchr(sql, '(') + 1, ", ", &save); name != NULL;
	    name = strtok_r(NULL, ", ", &save)) {
		ck_assert_uint_lt(ncols, nitems(names));
		names[ncols++] = name;
	}
	want.b[want.len++] = (uint8_t)ncols;
	want.b[want.len++] = (uint8_t)nitems(ticks);
	for (i = 0; i < ncols; i++)
		block_col(&want, d, names[i], native_type(d, names[i]));
	free(sql);
	ck_assert_uint_eq(rowenc_native_size(d, b.len, nitems(ticks)),
	    want.len);

	for (piece = 1; piece <= want.len + 1; piece++) {
		rowenc_native_start(&nb, d, b.data, nitems(ticks));
		n = 0;
		while ((k = rowenc_native_read(&nb, got + n, piece)) > 0) {
			ck_assert_uint_le(k, piece);
			n += k;
			ck_assert_uint_le(n, want.len);
		}
		ck_assert(rowenc_native_done(&nb));
		ck_assert_uint_eq(n, want.len);
		ck_assert_mem_eq(got, want.b, want.len);
	}
}
END_TEST

/* Started again, a block reads from its beginning (curl's rewind). */
START_TEST(test_rowenc_native_again)
{
	struct rowenc_native	nb;
	uint8_t			first[4096], second[4096];
	size_t			n, m;

	case_rows(SCHEMA_LEGACY);
	rowenc_native_start(&nb, SCHEMA_LEGACY, b.data, nitems(ticks));
	ck_assert_uint_eq(rowenc_native_read(&nb, first, 37), 37);
	ck_assert(!rowenc_native_done(&nb));
	rowenc_native_start(&nb, SCHEMA_LEGACY, b.data, nitems(ticks));
	n = rowenc_native_read(&nb, first, sizeof first);
	ck_assert(rowenc_native_done(&nb));
	ck_assert_uint_eq(rowenc_native_read(&nb, second, sizeof second), 0);
	rowenc_native_start(&nb, SCHEMA_LEGACY, b.data, nitems(ticks));
	m = rowenc_native_read(&nb, second, sizeof second);
	ck_assert_uint_eq(m, n);
	ck_assert_mem_eq(first, second, n);
}
END_TEST

/* Every truncation and any trailing byte is refused, in both dialects. */
START_TEST(test_rowenc_tick_parse_rejects_bad_length)
{
	enum schema_dialect	 d = _i ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	struct tick		 t = example_tick(), back;
	struct rowenc_origin	 o;
	uint8_t			*copy;
	size_t			 full, n;

	rowenc_tick(&b, d, &t, &example_origin);
	full = b.len;
	for (n = 0; n < full; n++) {
		copy = malloc(n + 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, b.data, n);
		ck_assert_int_eq(rowenc_tick_parse(copy, n, d, &back, &o), -1);
		free(copy);
	}
	buf_add_u8(&b, 0);
	ck_assert_int_eq(rowenc_tick_parse(b.data, b.len, d, &back, &o), -1);
}
END_TEST

/* A symbol length over 64 is refused rather than copied. */
START_TEST(test_rowenc_tick_parse_rejects_long_symbol)
{
	struct tick		 back;
	struct rowenc_origin	 o;
	uint8_t			 row[200];
	size_t			 i;

	memset(row, 'A', sizeof row);
	for (i = 0; i < 12; i++)
		row[i] = 0;
	row[12] = 65;		/* symbol length 65 */
	ck_assert_int_eq(rowenc_tick_parse(row, 12 + 1 + 65 + 16 + 12 + 12,
	    SCHEMA_LEGACY, &back, &o), -1);
	memset(row + 12, 0xff, sizeof row - 12);	/* a runaway varint */
	ck_assert_int_eq(rowenc_tick_parse(row, sizeof row, SCHEMA_LEGACY,
	    &back, &o), -1);
}
END_TEST

/* Build the expected reject row by hand. */
static void
reject_row(struct row *w, enum schema_dialect d, int64_t rejected_ms,
    const char *topic, int32_t p, int64_t off, int64_t kts,
    const char *reason, const char *detail, const void *raw, size_t keep,
    uint32_t raw_size)
{
	if (d == SCHEMA_LEGACY) {
		put_le(w, (uint64_t)(rejected_ms / 1000), 4);	/* rejected_at */
		put_le(w, (uint64_t)rejected_ms, 8);	/* rejected_at_ms */
	} else
		put_le(w, (uint64_t)rejected_ms, 8);	/* DateTime64(3) */
	put_str1(w, topic, strlen(topic));		/* kafka_topic */
	put_le(w, (uint32_t)p, 4);			/* kafka_partition */
	put_le(w, (uint64_t)off, 8);			/* kafka_offset */
	put_le(w, (uint64_t)kts, 8);			/* kafka_timestamp_ms */
	put_str1(w, reason, strlen(reason));		/* reason */
	put_str1(w, detail, strlen(detail));		/* detail */
	put_str1(w, raw, keep);				/* raw */
	put_le(w, raw_size, 4);				/* raw_size UInt32 */
}

/* A reject row of a short message, in both dialects. */
START_TEST(test_rowenc_reject_bytes)
{
	enum schema_dialect	d = _i ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	struct rowenc_reject	r = {
		{ "price_ticks", 2, 77, INT64_C(1757685781200) },
		INT64_C(1757685800123), "bad_json", "unexpected 'x'",
		"{x", 2, 64
	};
	struct row		want = { .len = 0 };

	reject_row(&want, d, INT64_C(1757685800123), "price_ticks", 2, 77,
	    INT64_C(1757685781200), "bad_json", "unexpected 'x'", "{x", 2, 2);
	rowenc_reject(&b, d, &r);
	ck_assert_uint_eq(b.len, want.len);
	ck_assert_mem_eq(b.data, want.b, want.len);
}
END_TEST

/* Raw longer than raw_max is cut; raw_size keeps the full size. */
START_TEST(test_rowenc_reject_caps_raw)
{
	enum schema_dialect	d = _i ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	char			raw[100];
	struct rowenc_reject	r = {
		{ "t", 0, 5, -1 }, INT64_C(1757685800000), "too_large", "",
		raw, sizeof raw, 64
	};
	struct row		want = { .len = 0 };

	memset(raw, 'z', sizeof raw);
	reject_row(&want, d, INT64_C(1757685800000), "t", 0, 5, -1,
	    "too_large", "", raw, 64, 100);
	rowenc_reject(&b, d, &r);
	ck_assert_uint_eq(b.len, want.len);
	ck_assert_mem_eq(b.data, want.b, want.len);
}
END_TEST

/* Raw of raw_max bytes is kept whole; one byte more is cut. */
START_TEST(test_rowenc_reject_raw_at_cap)
{
	char			raw[65];
	size_t			size = 64 + (size_t)_i;
	struct rowenc_reject	r = {
		{ "t", 1, 6, 0 }, INT64_C(1757685800000), "bad_price", "d",
		raw, size, 64
	};
	struct row		want = { .len = 0 };

	memset(raw, 'q', sizeof raw);
	reject_row(&want, SCHEMA_LEGACY, INT64_C(1757685800000), "t", 1, 6, 0,
	    "bad_price", "d", raw, 64, (uint32_t)size);
	rowenc_reject(&b, SCHEMA_LEGACY, &r);
	ck_assert_uint_eq(b.len, want.len);
	ck_assert_mem_eq(b.data, want.b, want.len);
}
END_TEST

/* A tombstone (raw NULL, size 0) gives an empty raw and raw_size 0. */
START_TEST(test_rowenc_reject_null_raw)
{
	enum schema_dialect	d = _i ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	struct rowenc_reject	r = {
		{ "price_ticks", 9, INT64_MAX, -1 }, INT64_C(1757685800999),
		"empty", "empty message", NULL, 0, 64
	};
	struct row		want = { .len = 0 };

	reject_row(&want, d, INT64_C(1757685800999), "price_ticks", 9,
	    INT64_MAX, -1, "empty", "empty message", "", 0, 0);
	rowenc_reject(&b, d, &r);
	ck_assert_uint_eq(b.len, want.len);
	ck_assert_mem_eq(b.data, want.b, want.len);
}
END_TEST

/* A raw_max of 0 keeps no bytes but still the size. */
START_TEST(test_rowenc_reject_raw_max_zero)
{
	struct rowenc_reject	r = {
		{ "t", 0, 0, 0 }, INT64_C(1757685800000), "bad_json", "",
		"abc", 3, 0
	};
	struct row		want = { .len = 0 };

	reject_row(&want, SCHEMA_CURRENT, INT64_C(1757685800000), "t", 0, 0, 0,
	    "bad_json", "", "", 0, 3);
	rowenc_reject(&b, SCHEMA_CURRENT, &r);
	ck_assert_uint_eq(b.len, want.len);
	ck_assert_mem_eq(b.data, want.b, want.len);
}
END_TEST

/* Find "key": in a JSON line and return what follows the colon and space. */
static const char *
json_value(const char *line, const char *key)
{
	char		 pat[64];
	const char	*p;

	snprintf(pat, sizeof pat, "\"%s\": ", key);
	p = strstr(line, pat);
	ck_assert_ptr_nonnull(p);
	return (p + strlen(pat));
}

/* The JSON rendering reads back to the same numbers and symbol. */
START_TEST(test_rowenc_tick_json_parses_back)
{
	const struct tick_case	*c = &ticks[_i];
	struct tick		 t;
	char			 line[512], *end;
	const char		*v;
	double			 d;
	long long		 ll;
	int			 n;

	t = case_tick(c);
	n = rowenc_tick_json(&t, line, sizeof line);
	ck_assert_int_eq(n, (int)strlen(line));
	ck_assert_int_eq(line[0], '{');
	ck_assert_int_eq(line[n - 1], '}');

	d = strtod(json_value(line, "price"), &end);
	ck_assert_mem_eq(&d, &c->price, sizeof d);
	ck_assert_int_eq(*end, ',');
	d = strtod(json_value(line, "volume"), &end);
	ck_assert_mem_eq(&d, &c->volume, sizeof d);
	ll = strtoll(json_value(line, "timestamp_ms"), &end, 10);
	ck_assert_int_eq(ll, c->ts_ms);
	ll = strtoll(json_value(line, "received_at_ms"), &end, 10);
	ck_assert_int_eq(ll, c->recv_ms);
	ck_assert_int_eq(*end, '}');
	v = json_value(line, "symbol");
	ck_assert_int_eq(*v, '"');
}
END_TEST

/* The example renders exactly; quotes and backslashes are escaped. */
START_TEST(test_rowenc_tick_json_exact)
{
	struct tick	t = example_tick();
	char		line[512];

	rowenc_tick_json(&t, line, sizeof line);
	ck_assert_str_eq(line, "{\"timestamp_ms\": 1757685781123, "
	    "\"symbol\": \"BINANCE:ETHUSDT\", \"price\": 4512.3100000000004, "
	    "\"volume\": 0.015299999999999999, "
	    "\"received_at_ms\": 1757685781187}");

	strcpy(t.symbol, "A\"B\\C");
	t.symbol_len = 5;
	rowenc_tick_json(&t, line, sizeof line);
	ck_assert_ptr_nonnull(strstr(line, "\"symbol\": \"A\\\"B\\\\C\","));
}
END_TEST

/* A short buffer gets a NUL-terminated prefix and its length. */
START_TEST(test_rowenc_tick_json_truncates)
{
	struct tick	t = example_tick();
	char		line[16];

	memset(line, 'x', sizeof line);
	ck_assert_int_eq(rowenc_tick_json(&t, line, sizeof line), 15);
	ck_assert_str_eq(line, "{\"timestamp_ms\"");
}
END_TEST

/* Builds the suite: tick rows, reject rows, and the JSON rendering. */
/*
 * rowenc_origin reads back the partition and offset of a row among others,
 * for ticks and for rejects (whose topic may need a two-byte length).
 */
START_TEST(test_rowenc_origin)
{
	enum schema_dialect	d = _i ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	struct tick		t = example_tick();
	struct rowenc_origin	o = { "price_ticks", 0, 0, -1 };
	char			topic[201];
	struct rowenc_reject	r = {
		{ topic, 0, 0, 5 }, INT64_C(1757685800000), "bad_json", "x",
		"{", 1, 64
	};
	size_t			from;
	int32_t			p;
	int64_t			offset;

	memset(topic, 'q', sizeof topic - 1);
	topic[sizeof topic - 1] = '\0';
	o.partition = 3;
	o.offset = 1;
	rowenc_tick(&b, d, &t, &o);
	from = b.len;
	o.partition = INT32_MAX;
	o.offset = INT64_MAX;
	rowenc_tick(&b, d, &t, &o);
	rowenc_origin(b.data + from, b.len - from, SCHEMA_TICKS, d, &p,
	    &offset);
	ck_assert_int_eq(p, INT32_MAX);
	ck_assert_int_eq(offset, INT64_MAX);

	buf_clear(&b);
	r.origin.partition = 1;
	rowenc_reject(&b, d, &r);
	from = b.len;
	r.origin.partition = 640;
	r.origin.offset = INT64_C(123456789012);
	rowenc_reject(&b, d, &r);
	rowenc_origin(b.data + from, b.len - from, SCHEMA_REJECTS, d, &p,
	    &offset);
	ck_assert_int_eq(p, 640);
	ck_assert_int_eq(offset, INT64_C(123456789012));
}
END_TEST

static Suite *
rowenc_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("rowenc");

	tc = tcase_create("tick");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rowenc_tick_legacy_bytes);
	tcase_add_test(tc, test_rowenc_tick_current_bytes);
	tcase_add_test(tc, test_rowenc_tick_appends);
	tcase_add_loop_test(tc, test_rowenc_tick_round_trip, 0,
	    2 * nitems(ticks));
	tcase_add_loop_test(tc, test_rowenc_tick_parse_rejects_bad_length,
	    0, 2);
	tcase_add_test(tc, test_rowenc_tick_parse_rejects_long_symbol);
	suite_add_tcase(s, tc);

	tc = tcase_create("native");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_rowenc_native_block, 0, 2);
	tcase_add_test(tc, test_rowenc_native_again);
	suite_add_tcase(s, tc);

	tc = tcase_create("reject");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_rowenc_reject_bytes, 0, 2);
	tcase_add_loop_test(tc, test_rowenc_reject_caps_raw, 0, 2);
	tcase_add_loop_test(tc, test_rowenc_reject_raw_at_cap, 0, 2);
	tcase_add_loop_test(tc, test_rowenc_reject_null_raw, 0, 2);
	tcase_add_test(tc, test_rowenc_reject_raw_max_zero);
	tcase_add_loop_test(tc, test_rowenc_origin, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_loop_test(tc, test_rowenc_tick_json_parses_back, 0,
	    nitems(ticks));
	tcase_add_test(tc, test_rowenc_tick_json_exact);
	tcase_add_test(tc, test_rowenc_tick_json_truncates);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (check_run(rowenc_suite()));
}
