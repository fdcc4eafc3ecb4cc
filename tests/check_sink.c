/*
 * ticksink: unit tests for handlers/sink.c, the sans-I/O core.
 *
 * The tests play the reactor: they feed messages, partition changes, clock
 * ticks and insert answers, and read back the actions.  Bodies are decoded
 * with rowenc_tick_parse (ticks) and a reject-row reader written here, so
 * the tests know exactly which Kafka offsets each insert carries.  No clock
 * and no sleeps: now_us is whatever the test says it is.
 *
 * The last test is a seeded simulation: random messages over three
 * partitions, random answers and random clock ticks, checking at every step
 * that no offset is stored before everything below it landed, and at the
 * end that every message landed exactly once and the stored offsets cover
 * all of them.  A failing seed is the loop iteration Check reports.
 */

#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "rowenc.h"
#include "native.h"
#include "sink.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

#define T0		UINT64_C(1000000000)	/* monotonic clock, us */
#define DELAY		UINT64_C(1000)
#define WALL_MS		INT64_C(1757685800000)	/* 2025-09-12T14:03:20Z */
#define KAFKA_TS	INT64_C(1757685781200)
#define ROW_BYTES	68	/* one LEGACY row of the example tick */
#define ROW_COST	(ROW_BYTES + sizeof(struct sink_row))	/* accounted */
#define MAX_ACTS	256

/* The producer's message, exactly as DESIGN.md §1 shows it. */
#define PRODUCER_JSON							\
	"{\"timestamp\": \"2025-09-12T14:03:01.123000+00:00\", "	\
	"\"timestamp_ms\": 1757685781123, \"symbol\": \"BINANCE:ETHUSDT\", " \
	"\"price\": 4512.31, \"volume\": 0.0153, "			\
	"\"received_at\": \"2025-09-12T14:03:01.187654+00:00\"}"

#define POISON_BODY	"Code: 27, e.displayText() = DB::Exception: Cannot " \
			"parse input (at row 2)"

/*
 * An assertion for the hot paths: the body parsers and the simulation.
 * Check's ck_assert macros record every assertion that passes with a
 * write(2), over a million of them for the simulation, which then takes
 * minutes under valgrind.  This fails the same way, naming the condition,
 * and costs nothing when it holds.
 */
#define REQUIRE(c)							\
	do {								\
		if (!(c))						\
			ck_abort_msg("requirement failed: %s", #c);	\
	} while (0)

static struct sink_conf	 cf;
static struct sink	*sk;
static struct sink_action acts[MAX_ACTS];
static size_t		 nacts;
static uint64_t		 last_now;	/* clock of the last feed */
static bool		 raw_actions;	/* collect() answers nothing itself */

/* A reject row read back. */
struct rej {
	int64_t		rejected_ms;
	char		topic[128];
	int32_t		partition;
	int64_t		offset;
	int64_t		kafka_ts;
	char		reason[128];
	char		detail[1024];
	char		raw[1024];
	size_t		raw_len;
	uint32_t	raw_size;
};

/* The small configuration most tests use. */
static void
setup(void)
{
	memset(&cf, 0, sizeof cf);
	cf.topic = "price_ticks";
	cf.dialect = SCHEMA_LEGACY;
	cf.limits.max_rows = 3;
	cf.limits.max_bytes = 1024 * 1024;
	cf.limits.max_delay_us = DELAY;
	cf.max_inflight = 1;
	cf.max_buffer_bytes = 64 * 1024 * 1024;
	cf.decode.max_message_bytes = 65536;
	cf.decode.max_skew_ms = 300000;
	cf.reject_raw_max = 64;
	cf.seed = 42;
	sk = NULL;
	nacts = 0;
	last_now = T0;
	raw_actions = false;
}

/* Free the sink with whatever it holds. */
static void
teardown(void)
{
	sink_free(sk);
	sk = NULL;
}

/* Create the sink from cf and assign partitions 0..n-1. */
static void
start(int32_t n)
{
	int32_t	p;

	sk = sink_new(&cf);
	ck_assert_ptr_nonnull(sk);
	for (p = 0; p < n; p++)
		sink_assign(sk, p);
}

/* Feed one message (payload NULL: a tombstone). */
static void
feed(int32_t p, int64_t off, const char *payload, uint64_t now)
{
	struct sink_msg	m = { p, off, KAFKA_TS, payload,
			    payload != NULL ? strlen(payload) : 0 };

	last_now = now;
	sink_message(sk, &m, now, WALL_MS);
	/* Unless a test looks at it, the resume check finds nothing landed. */
	if (!raw_actions && p >= 0 && (size_t)p < sk->nparts &&
	    sk->parts[p].state == SINK_PART_CHECKING) {
		sink_polled(sk, now);
		sink_landed_answer(sk, sk->parts[p].check, "", 0, now,
		    WALL_MS);
	}
}

/* Feed count valid messages of p from offset first. */
static void
feed_valid(int32_t p, int64_t first, int count, uint64_t now)
{
	int	i;

	for (i = 0; i < count; i++)
		feed(p, first + i, PRODUCER_JSON, now);
}

/*
 * Take every pending action into acts[].  Unless raw_actions is set, the
 * resume check's pause/query/resume actions are left out (feed() answered
 * it), and a probe is answered "absent", so tests of other behaviour see
 * the plain flow.
 */
static size_t
collect(void)
{
	nacts = 0;
	while (nacts < MAX_ACTS && sink_next_action(sk, &acts[nacts])) {
		if (!raw_actions) {
			switch (acts[nacts].kind) {
			case SINK_ACT_PROBE:
				sink_probe_done(sk, acts[nacts].insert,
				    SINK_PROBE_ABSENT, last_now);
				continue;
			case SINK_ACT_LANDED_QUERY:
			case SINK_ACT_PAUSE_ONE:
			case SINK_ACT_RESUME_ONE:
				continue;
			default:
				break;
			}
		}
		nacts++;
	}
	ck_assert_uint_lt(nacts, MAX_ACTS);
	return (nacts);
}

/* How many of the collected actions are of kind k. */
static size_t
count_kind(enum sink_action_kind k)
{
	size_t	i, n = 0;

	for (i = 0; i < nacts; i++)
		if (acts[i].kind == k)
			n++;
	return (n);
}

/* The n-th collected action of kind k (n from 0); fails if absent. */
static struct sink_action *
nth_kind(enum sink_action_kind k, size_t n)
{
	size_t	i;

	for (i = 0; i < nacts; i++) {
		if (acts[i].kind == k && n-- == 0)
			return (&acts[i]);
	}
	ck_abort_msg("no action of kind %d", (int)k);
	return (NULL);
}

/* Collect and expect exactly one INSERT and nothing else; return it. */
static struct sink_insert *
expect_only_insert(void)
{
	collect();
	ck_assert_uint_eq(nacts, 1);
	ck_assert_int_eq(acts[0].kind, SINK_ACT_INSERT);
	ck_assert_ptr_nonnull(acts[0].insert);
	return (acts[0].insert);
}

/* Collect and expect no action at all. */
static void
expect_nothing(void)
{
	ck_assert_uint_eq(collect(), 0);
}

/* The collected actions hold exactly one STORE, p@off. */
static void
expect_one_store(int32_t p, int64_t off)
{
	struct sink_action	*a;

	ck_assert_uint_eq(count_kind(SINK_ACT_STORE), 1);
	a = nth_kind(SINK_ACT_STORE, 0);
	ck_assert_int_eq(a->partition, p);
	ck_assert_int_eq(a->offset, off);
}

/* Answer an insert with an HTTP status and body. */
static void
answer(struct sink_insert *ins, long status, const char *body, uint64_t now)
{
	struct insert_response	r = { INSERT_NET_OK, status, body,
				    strlen(body), 0 };

	sink_insert_done(sk, ins, &r, now, WALL_MS);
}

/* Answer an insert with a transport failure. */
static void
fail_transport(struct sink_insert *ins, enum insert_transport t,
    uint64_t now)
{
	struct insert_response	r = { t, 0, "", 0, 0 };

	sink_insert_done(sk, ins, &r, now, WALL_MS);
}

/* Read a LEB128 varint at *i. */
static uint64_t
get_varint(const uint8_t *p, size_t len, size_t *i)
{
	uint64_t	v = 0;
	int		shift = 0;

	for (;;) {
		REQUIRE(*i < len);
		v |= (uint64_t)(p[*i] & 0x7f) << shift;
		shift += 7;
		if ((p[(*i)++] & 0x80) == 0)
			return (v);
	}
}

/* Read n little-endian bytes at *i. */
static uint64_t
get_le(const uint8_t *p, size_t len, size_t *i, int n)
{
	uint64_t	v = 0;
	int		k;

	REQUIRE(*i + (size_t)n <= len);
	for (k = n - 1; k >= 0; k--)
		v = v << 8 | p[*i + (size_t)k];
	*i += (size_t)n;
	return (v);
}

/* Read a RowBinary String at *i into out (NUL-terminated). */
static size_t
get_str(const uint8_t *p, size_t len, size_t *i, char *out, size_t size)
{
	size_t	n;

	n = (size_t)get_varint(p, len, i);
	REQUIRE(*i + n <= len);
	REQUIRE(n < size);
	memcpy(out, p + *i, n);
	out[n] = '\0';
	*i += n;
	return (n);
}

/* Parse one reject row of exactly len bytes (the rowenc_reject layout). */
static void
parse_reject(const uint8_t *p, size_t len, enum schema_dialect d,
    struct rej *r)
{
	size_t	i = 0;

	memset(r, 0, sizeof *r);
	if (d == SCHEMA_LEGACY) {
		(void)get_le(p, len, &i, 4);
		r->rejected_ms = (int64_t)get_le(p, len, &i, 8);
	} else
		r->rejected_ms = (int64_t)get_le(p, len, &i, 8);
	get_str(p, len, &i, r->topic, sizeof r->topic);
	r->partition = (int32_t)get_le(p, len, &i, 4);
	r->offset = (int64_t)get_le(p, len, &i, 8);
	r->kafka_ts = (int64_t)get_le(p, len, &i, 8);
	get_str(p, len, &i, r->reason, sizeof r->reason);
	get_str(p, len, &i, r->detail, sizeof r->detail);
	r->raw_len = get_str(p, len, &i, r->raw, sizeof r->raw);
	r->raw_size = (uint32_t)get_le(p, len, &i, 4);
	REQUIRE(i == len);
}

/* Bounds of row k of an insert. */
static void
row_span(const struct sink_insert *ins, uint32_t k, const uint8_t **p,
    size_t *len)
{
	uint32_t	from;

	REQUIRE(k < ins->nrows);
	REQUIRE(ins->rows[ins->nrows - 1].end == ins->body.len);
	from = k == 0 ? 0 : ins->rows[k - 1].end;
	*p = ins->body.data + from;
	*len = ins->rows[k].end - from;
}

/* Row k of a ticks insert, read back. */
static void
tick_row(const struct sink_insert *ins, uint32_t k, enum schema_dialect d,
    struct tick *t, struct rowenc_origin *o)
{
	const uint8_t	*p;
	size_t		 len;

	REQUIRE(ins->table == SCHEMA_TICKS);
	row_span(ins, k, &p, &len);
	REQUIRE(rowenc_tick_parse(p, len, d, t, o) == 0);
}

/* Row k of a rejects insert, read back. */
static void
reject_row(const struct sink_insert *ins, uint32_t k, enum schema_dialect d,
    struct rej *r)
{
	const uint8_t	*p;
	size_t		 len;

	REQUIRE(ins->table == SCHEMA_REJECTS);
	row_span(ins, k, &p, &len);
	parse_reject(p, len, d, r);
}

/* The Kafka offset of row k of any insert, and its partition. */
static int64_t
row_offset(const struct sink_insert *ins, uint32_t k, enum schema_dialect d,
    int32_t *partition)
{
	struct tick		t;
	struct rowenc_origin	o;
	struct rej		r;

	if (ins->table == SCHEMA_TICKS) {
		tick_row(ins, k, d, &t, &o);
		*partition = o.partition;
		return (o.offset);
	}
	reject_row(ins, k, d, &r);
	*partition = r.partition;
	return (r.offset);
}

/* Assert that an insert carries p@first.. one row each, in order. */
static void
expect_rows(const struct sink_insert *ins, int32_t p, int64_t first,
    uint32_t n)
{
	uint32_t	k;
	int32_t		gp;

	ck_assert_uint_eq(ins->nrows, n);
	for (k = 0; k < n; k++) {
		ck_assert_int_eq(row_offset(ins, k, cf.dialect, &gp),
		    first + k);
		ck_assert_int_eq(gp, p);
	}
}

/* The third message closes the batch and starts one INSERT of 3 rows. */
START_TEST(test_sink_insert_after_max_rows)
{
	struct sink_insert	*ins;

	start(1);
	feed_valid(0, 10, 2, T0);
	expect_nothing();
	ck_assert_uint_eq(sink_buffered_bytes(sk), 2 * ROW_COST);
	feed_valid(0, 12, 1, T0);
	ins = expect_only_insert();
	ck_assert_int_eq(ins->table, SCHEMA_TICKS);
	ck_assert_int_eq(ins->state, SINK_INSERT_INFLIGHT);
	ck_assert_uint_eq(ins->attempt, 1);
	ck_assert_uint_eq(ins->body.len, 3 * ROW_BYTES);
	expect_rows(ins, 0, 10, 3);
	ck_assert_uint_eq(sink_buffered_bytes(sk), 3 * ROW_COST);
	ck_assert_uint_eq(sk->stats.flush_reason[BATCH_FLUSH_ROWS], 1);
	ck_assert_uint_eq(sk->stats.messages, 3);
}
END_TEST

/* The producer's message becomes the expected tick row. */
START_TEST(test_sink_row_content)
{
	struct sink_insert	*ins;
	struct tick		 t;
	struct rowenc_origin	 o;
	enum schema_dialect	 d = _i ? SCHEMA_CURRENT : SCHEMA_LEGACY;

	cf.dialect = d;
	start(3);
	feed(2, 77, PRODUCER_JSON, T0);
	sink_drain(sk, T0);
	ins = expect_only_insert();
	ck_assert_uint_eq(ins->nrows, 1);
	tick_row(ins, 0, d, &t, &o);
	ck_assert_int_eq(t.ts_ms, INT64_C(1757685781123));
	ck_assert_int_eq(t.recv_ms, INT64_C(1757685781187));
	ck_assert_double_eq(t.price, 4512.31);
	ck_assert_double_eq(t.volume, 0.0153);
	ck_assert_str_eq(t.symbol, "BINANCE:ETHUSDT");
	ck_assert_int_eq(o.partition, 2);
	ck_assert_int_eq(o.offset, 77);
}
END_TEST

/* Only max_inflight inserts are out at once; the next follows a landing. */
START_TEST(test_sink_max_inflight)
{
	struct sink_insert	*a, *b, *c;

	start(1);
	feed_valid(0, 0, 9, T0);
	a = expect_only_insert();
	expect_rows(a, 0, 0, 3);

	answer(a, 200, "", T0 + 10);
	collect();
	ck_assert_uint_eq(nacts, 2);
	expect_one_store(0, 3);
	ck_assert_uint_eq(count_kind(SINK_ACT_INSERT), 1);
	b = nth_kind(SINK_ACT_INSERT, 0)->insert;
	expect_rows(b, 0, 3, 3);

	answer(b, 200, "", T0 + 20);
	collect();
	expect_one_store(0, 6);
	ck_assert_uint_eq(count_kind(SINK_ACT_INSERT), 1);
	c = nth_kind(SINK_ACT_INSERT, 0)->insert;
	expect_rows(c, 0, 6, 3);

	answer(c, 200, "", T0 + 30);
	collect();
	ck_assert_uint_eq(nacts, 1);
	expect_one_store(0, 9);
	ck_assert(sink_is_idle(sk));
}
END_TEST

/* With two slots, two inserts go out together and no third. */
START_TEST(test_sink_max_inflight_two)
{
	cf.max_inflight = 2;
	start(1);
	feed_valid(0, 0, 9, T0);
	collect();
	ck_assert_uint_eq(nacts, 2);
	ck_assert_uint_eq(count_kind(SINK_ACT_INSERT), 2);
	ck_assert_ptr_ne(acts[0].insert, acts[1].insert);
}
END_TEST

/*
 * Saturated: every slot busy and a closed batch waiting.  Not while a slot
 * is free or only the open batch fills; no longer once an answer frees one.
 */
START_TEST(test_sink_saturated)
{
	struct sink_insert	*a;

	start(1);
	ck_assert(!sink_saturated(sk));
	feed_valid(0, 0, 3, T0);
	a = expect_only_insert();
	ck_assert(!sink_saturated(sk));
	feed_valid(0, 3, 2, T0);
	collect();
	ck_assert(!sink_saturated(sk));		/* open, not closed */
	feed_valid(0, 5, 1, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_INSERT), 0);
	ck_assert(sink_saturated(sk));
	answer(a, 200, "", T0 + 10);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_INSERT), 1);
	ck_assert(!sink_saturated(sk));
}
END_TEST

/* The offset is stored as last + 1, and only after a 200. */
START_TEST(test_sink_store_after_landing)
{
	struct sink_insert	*ins;

	start(1);
	feed_valid(0, 100, 3, T0);
	ins = expect_only_insert();
	expect_nothing();
	answer(ins, 500, "Internal Server Error", T0 + 1);
	expect_nothing();
	ck_assert_uint_eq(sk->stats.last_landed_us, 0);
	sink_tick(sk, sink_next_deadline(sk));
	ck_assert_ptr_eq(expect_only_insert(), ins);
	answer(ins, 200, "", T0 + 1000000);
	/* The watchdog's stall clock: when rows last landed. */
	ck_assert_uint_eq(sk->stats.last_landed_us, T0 + 1000000);
	collect();
	ck_assert_uint_eq(nacts, 1);
	expect_one_store(0, 103);
}
END_TEST

/* The later batch landing first stores nothing; then both at once. */
START_TEST(test_sink_out_of_order_completion)
{
	struct sink_insert	*a, *b;

	cf.max_inflight = 2;
	start(1);
	feed_valid(0, 0, 6, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_INSERT), 2);
	a = nth_kind(SINK_ACT_INSERT, 0)->insert;
	b = nth_kind(SINK_ACT_INSERT, 1)->insert;
	expect_rows(a, 0, 0, 3);
	expect_rows(b, 0, 3, 3);
	answer(b, 200, "", T0 + 5);
	expect_nothing();
	answer(a, 200, "", T0 + 6);
	collect();
	ck_assert_uint_eq(nacts, 1);
	expect_one_store(0, 6);
}
END_TEST

/* A failure that is retried. */
struct retry_case {
	enum insert_transport	 transport;
	long			 status;
	const char		*body;
};

static const struct retry_case retries[] = {
	{ INSERT_NET_OK, 503, "Service Unavailable" },
	{ INSERT_NET_TIMEOUT, 0, "" },
	{ INSERT_NET_ERROR, 0, "" },
	{ INSERT_NET_OK, 500, "" },
	{ INSERT_NET_OK, 500, "Code: 241, e.displayText() = DB::Exception: "
	    "Memory limit (for query) exceeded" },
	{ INSERT_NET_OK, 401, "Code: 193. DB::Exception: Wrong password" },
	{ INSERT_NET_OK, 404, "Code: 60. DB::Exception: Table db.t doesn't "
	    "exist" },
};

/*
 * A retried insert is the same insert with the same bytes, sent again only
 * once its backoff deadline has come, with the attempt counted.
 */
START_TEST(test_sink_retry_same_bytes)
{
	const struct retry_case	*c = &retries[_i];
	struct insert_response	 r = { c->transport, c->status, c->body,
				     strlen(c->body), 0 };
	struct sink_insert	*ins;
	uint8_t			*copy;
	size_t			 len;
	uint64_t		 t1 = T0 + 5000, d;

	start(1);
	feed_valid(0, 0, 3, T0);
	ins = expect_only_insert();
	len = ins->body.len;
	copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, ins->body.data, len);

	sink_insert_done(sk, ins, &r, t1, WALL_MS);
	expect_nothing();
	ck_assert(!sink_is_idle(sk));
	d = sink_next_deadline(sk);
	ck_assert_uint_ge(d, t1 + 50000);
	ck_assert_uint_le(d, t1 + 100000);

	sink_tick(sk, d - 1);
	expect_nothing();
	sink_tick(sk, d);
	ck_assert_ptr_eq(expect_only_insert(), ins);
	ck_assert_uint_eq(ins->attempt, 2);
	ck_assert_uint_eq(ins->body.len, len);
	ck_assert_mem_eq(ins->body.data, copy, len);
	free(copy);
	ck_assert_uint_eq(sk->stats.inserts_retried, 1);

	answer(ins, 200, "", d + 10);
	collect();
	expect_one_store(0, 3);
	ck_assert(sink_is_idle(sk));
}
END_TEST

/* The second retry waits longer: 100 to 200 ms. */
START_TEST(test_sink_retry_backoff_grows)
{
	struct sink_insert	*ins;
	uint64_t		 d;

	start(1);
	feed_valid(0, 0, 3, T0);
	ins = expect_only_insert();
	fail_transport(ins, INSERT_NET_TIMEOUT, T0);
	d = sink_next_deadline(sk);
	sink_tick(sk, d);
	ck_assert_ptr_eq(expect_only_insert(), ins);
	fail_transport(ins, INSERT_NET_ERROR, d);
	ck_assert_uint_ge(sink_next_deadline(sk), d + 100000);
	ck_assert_uint_le(sink_next_deadline(sk), d + 200000);
	d = sink_next_deadline(sk);
	sink_tick(sk, d);
	ck_assert_ptr_eq(expect_only_insert(), ins);
	ck_assert_uint_eq(ins->attempt, 3);
}
END_TEST

/* Two sinks with the same seed wait the same; the jitter replays. */
START_TEST(test_sink_retry_deterministic)
{
	struct sink_insert	*ins;
	uint64_t		 d[2];
	int			 k;

	for (k = 0; k < 2; k++) {
		start(1);
		feed_valid(0, 0, 3, T0);
		ins = expect_only_insert();
		fail_transport(ins, INSERT_NET_TIMEOUT, T0);
		d[k] = sink_next_deadline(sk);
		sink_free(sk);
		sk = NULL;
	}
	ck_assert_uint_eq(d[0], d[1]);
}
END_TEST

/* A lone message is sent at its delay with no further message. */
START_TEST(test_sink_quiet_flush)
{
	struct sink_insert	*ins;

	start(1);
	feed_valid(0, 0, 1, T0);
	expect_nothing();
	ck_assert_uint_eq(sink_next_deadline(sk), T0 + DELAY);
	sink_tick(sk, T0 + DELAY - 1);
	expect_nothing();
	sink_tick(sk, T0 + DELAY);
	ins = expect_only_insert();
	expect_rows(ins, 0, 0, 1);
	ck_assert_uint_eq(sk->stats.flush_reason[BATCH_FLUSH_DELAY], 1);
	answer(ins, 200, "", T0 + DELAY + 1);
	collect();
	expect_one_store(0, 1);
}
END_TEST

/* The delay runs from the first row, not the last. */
START_TEST(test_sink_delay_from_first_row)
{
	start(1);
	feed_valid(0, 0, 1, T0);
	feed_valid(0, 1, 1, T0 + DELAY - 1);
	expect_nothing();
	ck_assert_uint_eq(sink_next_deadline(sk), T0 + DELAY);
	sink_tick(sk, T0 + DELAY);
	expect_rows(expect_only_insert(), 0, 0, 2);
}
END_TEST

/*
 * A row read after its batch's deadline, before the timer ran, joins the
 * batch: only the timer closes a batch by delay.  This is what lets the
 * reactor leave a batch's messages in Kafka's queue until the deadline.
 */
START_TEST(test_sink_late_row_joins_batch)
{
	start(1);
	feed_valid(0, 0, 1, T0);
	feed_valid(0, 1, 1, T0 + DELAY + 5);
	expect_nothing();
	sink_tick(sk, T0 + DELAY + 5);
	expect_rows(expect_only_insert(), 0, 0, 2);
	ck_assert_uint_eq(sk->stats.flush_reason[BATCH_FLUSH_DELAY], 1);
}
END_TEST

/*
 * One batch of the steady state, closed by its delay: two messages, at
 * `at` and halfway to its deadline, landed.  The inflow it leaves is one
 * message (the one after the first) of the example's bytes per DELAY.
 */
static void
steady_batch(int64_t off, uint64_t at)
{
	feed_valid(0, off, 1, at);
	feed_valid(0, off + 1, 1, at + DELAY / 2);
	sink_tick(sk, at + DELAY);
	answer(expect_only_insert(), 200, "", at + DELAY);
	collect();
}

#define BIG	(UINT64_C(1) << 40)	/* a read budget nothing reaches */

/*
 * When the reactor must read the queue next.  At once while no ticks batch
 * is open (its first row sets its deadline) and while the inflow is
 * unknown; then at the open batch's deadline, or sooner if at the last
 * batch's rate the queue would take in more than the budget before it.
 */
START_TEST(test_sink_read_by)
{
	const uint64_t	len = strlen(PRODUCER_JSON);
	uint64_t	t;

	start(1);
	ck_assert_uint_le(sink_read_by(sk, T0, BIG, BIG), T0);
	feed_valid(0, 0, 1, T0);
	/* The first batch: no inflow known yet. */
	ck_assert_uint_le(sink_read_by(sk, T0 + 1, BIG, BIG), T0 + 1);
	feed_valid(0, 1, 1, T0 + DELAY / 2);
	sink_tick(sk, T0 + DELAY);
	answer(expect_only_insert(), 200, "", T0 + DELAY);
	collect();
	ck_assert_uint_eq(sk->inflow.span_us, DELAY);
	ck_assert_uint_eq(sk->inflow.msgs, 1);
	ck_assert_uint_eq(sk->inflow.bytes, len);
	/* Nothing open: at once. */
	t = T0 + 2 * DELAY;
	ck_assert_uint_le(sink_read_by(sk, t, BIG, BIG), t);
	feed_valid(0, 2, 1, t);
	ck_assert_uint_eq(sink_read_by(sk, t + 1, BIG, BIG), t + DELAY);
	/* The budget: a quarter of a batch's bytes, or of its messages. */
	ck_assert_uint_eq(sink_read_by(sk, t + 1, len / 4, BIG),
	    t + 1 + DELAY * (len / 4) / len);
	ck_assert_uint_eq(sink_read_by(sk, t + 1, BIG, 0), t + 1);
	/* A reject's batch with an earlier deadline comes first. */
	feed(0, 3, "nope", t + 1);
	ck_assert_uint_eq(sink_read_by(sk, t + 2, BIG, BIG), t + DELAY);
}
END_TEST

/* After a batch closed full (a backlog's), and on the drain: at once. */
START_TEST(test_sink_read_by_not_after_full)
{
	const uint64_t	t = T0 + 2 * DELAY;

	start(1);
	steady_batch(0, T0);
	feed_valid(0, 2, 1, t);
	ck_assert_uint_eq(sink_read_by(sk, t, BIG, BIG), t + DELAY);
	feed_valid(0, 3, 2, t);			/* max_rows: closed full */
	ck_assert_uint_eq(sk->inflow.span_us, 0);
	feed_valid(0, 5, 1, t);
	ck_assert_uint_le(sink_read_by(sk, t + 1, BIG, BIG), t + 1);
	sink_free(sk);

	start(1);
	steady_batch(0, T0);
	feed_valid(0, 2, 1, t);
	sink_drain(sk, t + 1);
	feed_valid(0, 3, 1, t + 1);
	ck_assert_uint_le(sink_read_by(sk, t + 1, BIG, BIG), t + 1);
}
END_TEST

/* The bytes limit closes a batch before max_rows. */
START_TEST(test_sink_bytes_trigger)
{
	cf.limits.max_bytes = 100;
	start(1);
	feed_valid(0, 0, 1, T0);
	expect_nothing();
	feed_valid(0, 1, 1, T0);
	expect_rows(expect_only_insert(), 0, 0, 2);
	ck_assert_uint_eq(sk->stats.flush_reason[BATCH_FLUSH_BYTES], 1);
}
END_TEST

/*
 * An invalid message goes to a rejects batch; the valid ones after it may
 * land first, but the commit stops at it until its insert lands.
 */
START_TEST(test_sink_reject_commits_when_landed)
{
	struct sink_insert	*ticks, *rejects;
	struct rej		 r;

	start(1);
	feed(0, 0, PRODUCER_JSON, T0);
	feed(0, 1, "not json", T0);
	feed(0, 2, PRODUCER_JSON, T0);
	feed(0, 3, PRODUCER_JSON, T0);
	ticks = expect_only_insert();
	ck_assert_int_eq(ticks->table, SCHEMA_TICKS);
	ck_assert_uint_eq(ticks->nrows, 3);

	answer(ticks, 200, "", T0 + 10);
	collect();
	ck_assert_uint_eq(nacts, 1);
	expect_one_store(0, 1);

	sink_tick(sk, T0 + DELAY);
	rejects = expect_only_insert();
	ck_assert_uint_eq(rejects->nrows, 1);
	reject_row(rejects, 0, cf.dialect, &r);
	ck_assert_str_eq(r.reason, "bad_json");
	ck_assert_str_eq(r.topic, "price_ticks");
	ck_assert_int_eq(r.partition, 0);
	ck_assert_int_eq(r.offset, 1);
	ck_assert_int_eq(r.kafka_ts, KAFKA_TS);
	ck_assert_int_eq(r.rejected_ms, WALL_MS);
	ck_assert_str_eq(r.raw, "not json");
	ck_assert_uint_eq(r.raw_size, 8);
	ck_assert_uint_eq(sk->stats.rejects[DECODE_BAD_JSON], 1);

	answer(rejects, 200, "", T0 + DELAY + 1);
	collect();
	expect_one_store(0, 4);
	ck_assert_uint_eq(sk->stats.rejects_landed, 1);
	ck_assert_uint_eq(sk->stats.rows_landed, 3);
}
END_TEST

/* An invalid message and the reason its reject row must give. */
struct invalid_case {
	const char	*payload;	/* NULL: tombstone */
	const char	*reason;
};

#define LONG_GARBAGE							\
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const struct invalid_case invalids[] = {
	{ "not json", "bad_json" },
	{ NULL, "empty" },
	{ "", "empty" },
	{ "[1, 2]", "not_object" },
	{ "{}", "missing_field" },
	{ LONG_GARBAGE, "bad_json" },
	{ "{\"timestamp\": \"2025-09-12T14:03:01.123000+00:00\", "
	  "\"timestamp_ms\": 1757685781123, \"symbol\": \"BINANCE:ETHUSDT\", "
	  "\"price\": -1, \"volume\": 0.0153, "
	  "\"received_at\": \"2025-09-12T14:03:01.187654+00:00\"}",
	  "bad_price" },
};

/* Each invalid message is a reject row: reason, raw capped, full size. */
START_TEST(test_sink_reject_row_content)
{
	const struct invalid_case	*c = &invalids[_i];
	struct sink_insert		*ins;
	struct rej			 r;
	size_t				 size, keep;

	size = c->payload != NULL ? strlen(c->payload) : 0;
	keep = size < 64 ? size : 64;
	start(1);
	feed(0, 5, c->payload, T0);
	sink_drain(sk, T0);
	ins = expect_only_insert();
	ck_assert_int_eq(ins->table, SCHEMA_REJECTS);
	reject_row(ins, 0, cf.dialect, &r);
	ck_assert_str_eq(r.reason, c->reason);
	ck_assert_uint_gt(strlen(r.detail), 0);
	ck_assert_uint_eq(r.raw_len, keep);
	ck_assert_uint_eq(r.raw_size, size);
	if (c->payload != NULL)
		ck_assert_mem_eq(r.raw, c->payload, keep);
	ck_assert_int_eq(r.offset, 5);
}
END_TEST

/*
 * A poisoned 3-row insert is split in halves of 1 and 2 rows, sent one
 * after the other; the commit waits for both.
 */
START_TEST(test_sink_poison_split)
{
	struct sink_insert	*a, *h0, *h1;
	uint8_t			 orig[3 * ROW_BYTES];

	start(1);
	feed_valid(0, 0, 3, T0);
	a = expect_only_insert();
	ck_assert_uint_eq(a->body.len, sizeof orig);
	memcpy(orig, a->body.data, sizeof orig);

	answer(a, 500, POISON_BODY, T0 + 1);
	h0 = expect_only_insert();
	ck_assert_ptr_ne(h0, a);
	expect_rows(h0, 0, 0, 1);
	ck_assert_mem_eq(h0->body.data, orig, ROW_BYTES);
	ck_assert_uint_eq(sk->stats.inserts_split, 1);

	answer(h0, 200, "", T0 + 2);
	h1 = expect_only_insert();
	expect_rows(h1, 0, 1, 2);
	ck_assert_uint_eq(h1->body.len, 2 * ROW_BYTES);
	ck_assert_mem_eq(h1->body.data, orig + ROW_BYTES, 2 * ROW_BYTES);

	answer(h1, 200, "", T0 + 3);
	collect();
	ck_assert_uint_eq(nacts, 1);
	expect_one_store(0, 3);
	ck_assert(sink_is_idle(sk));
	ck_assert_uint_eq(sink_buffered_bytes(sk), 0);
	ck_assert_uint_eq(sk->stats.rows_landed, 3);
}
END_TEST

/* Halves are as even as they can be: 4 rows give 2 + 2, 5 give 2 + 3. */
START_TEST(test_sink_poison_split_sizes)
{
	uint32_t		 n = 4 + (uint32_t)_i;
	struct sink_insert	*a, *h0, *h1;

	cf.limits.max_rows = n;
	start(1);
	feed_valid(0, 0, (int)n, T0);
	a = expect_only_insert();
	answer(a, 500, POISON_BODY, T0 + 1);
	h0 = expect_only_insert();
	expect_rows(h0, 0, 0, n / 2);
	answer(h0, 200, "", T0 + 2);
	h1 = expect_only_insert();
	expect_rows(h1, 0, n / 2, n - n / 2);
	answer(h1, 200, "", T0 + 3);
	collect();
	expect_one_store(0, n);
}
END_TEST

/*
 * Splitting down to one poisoned row turns it into a server_rejected row
 * in the rejects table; every offset is stored only after all pieces.
 */
START_TEST(test_sink_poison_single_row_rejected)
{
	struct sink_insert	*a, *h0, *h1, *q1, *q2, *rj;
	struct rej		 r;
	struct tick		 t;
	struct rowenc_origin	 o;
	char			 detail[256], json[512];

	start(1);
	feed_valid(0, 0, 3, T0);
	a = expect_only_insert();
	answer(a, 500, POISON_BODY, T0 + 1);
	h0 = expect_only_insert();
	answer(h0, 200, "", T0 + 2);
	h1 = expect_only_insert();
	expect_rows(h1, 0, 1, 2);
	answer(h1, 500, POISON_BODY, T0 + 3);
	q1 = expect_only_insert();
	expect_rows(q1, 0, 1, 1);
	answer(q1, 200, "", T0 + 4);
	q2 = expect_only_insert();
	expect_rows(q2, 0, 2, 1);
	tick_row(q2, 0, cf.dialect, &t, &o);
	rowenc_tick_json(&t, json, sizeof json);
	answer(q2, 500, POISON_BODY, T0 + 5);

	rj = expect_only_insert();
	ck_assert_int_eq(rj->table, SCHEMA_REJECTS);
	ck_assert_uint_eq(rj->nrows, 1);
	reject_row(rj, 0, cf.dialect, &r);
	ck_assert_str_eq(r.reason, "server_rejected");
	ck_assert_int_eq(r.partition, 0);
	ck_assert_int_eq(r.offset, 2);
	ck_assert_str_eq(r.topic, "price_ticks");
	ck_assert_int_eq(r.rejected_ms, WALL_MS);
	snprintf(detail, sizeof detail, "clickhouse code 27: %s", POISON_BODY);
	ck_assert_str_eq(r.detail, detail);
	/* raw is the tick as JSON, capped at reject_raw_max. */
	ck_assert_uint_gt(strlen(json), 64);
	ck_assert_uint_eq(r.raw_len, 64);
	ck_assert_mem_eq(r.raw, json, 64);
	ck_assert_uint_eq(r.raw_size, strlen(json));

	answer(rj, 200, "", T0 + 6);
	collect();
	ck_assert_uint_eq(nacts, 1);
	expect_one_store(0, 3);
	ck_assert(sink_is_idle(sk));
	ck_assert_uint_eq(sk->stats.inserts_split, 2);
	ck_assert_uint_eq(sk->stats.rejects_server, 1);
	ck_assert_uint_eq(sk->stats.rows_landed, 2);
	ck_assert_uint_eq(sk->stats.rejects_landed, 1);
}
END_TEST

/*
 * raw_size of a server_rejected row is the full length of the tick's JSON
 * even when that is long: a 64-byte symbol of quotes doubles when escaped
 * (267 bytes, more than a 256-byte buffer would hold).
 */
START_TEST(test_sink_poison_reject_raw_size)
{
	struct sink_insert	*ins;
	struct tick		 t;
	struct rowenc_origin	 o;
	struct rej		 r;
	char			 msg[1024], sym[2 * TICK_SYMBOL_MAX + 1];
	char			 json[1024];
	int			 i;

	for (i = 0; i < TICK_SYMBOL_MAX; i++) {
		sym[2 * i] = '\\';
		sym[2 * i + 1] = '"';
	}
	sym[2 * TICK_SYMBOL_MAX] = '\0';
	snprintf(msg, sizeof msg, "{\"timestamp\": "
	    "\"2025-09-12T14:03:01.123000+00:00\", \"timestamp_ms\": "
	    "1757685781123, \"symbol\": \"%s\", \"price\": 4512.31, "
	    "\"volume\": 0.0153, \"received_at\": "
	    "\"2025-09-12T14:03:01.187654+00:00\"}", sym);
	start(1);
	feed(0, 0, msg, T0);
	sink_drain(sk, T0);
	ins = expect_only_insert();
	ck_assert_int_eq(ins->table, SCHEMA_TICKS);
	tick_row(ins, 0, cf.dialect, &t, &o);
	ck_assert_uint_eq(t.symbol_len, TICK_SYMBOL_MAX);
	rowenc_tick_json(&t, json, sizeof json);
	answer(ins, 500, POISON_BODY, T0 + 1);
	ins = expect_only_insert();
	reject_row(ins, 0, cf.dialect, &r);
	ck_assert_str_eq(r.reason, "server_rejected");
	ck_assert_mem_eq(r.raw, json, 64);
	ck_assert_uint_eq(r.raw_size, strlen(json));
}
END_TEST

/* A refused rejects insert is retried whole, never split or dropped. */
START_TEST(test_sink_poisoned_rejects_retried)
{
	struct sink_insert	*r1;

	start(1);
	feed(0, 0, "bad", T0);
	feed(0, 1, "worse", T0);
	sink_drain(sk, T0);
	r1 = expect_only_insert();
	ck_assert_int_eq(r1->table, SCHEMA_REJECTS);
	answer(r1, 500, POISON_BODY, T0 + 1);
	expect_nothing();
	sink_tick(sk, sink_next_deadline(sk));
	ck_assert_ptr_eq(expect_only_insert(), r1);
	ck_assert_uint_eq(r1->nrows, 2);
	ck_assert_uint_eq(sk->stats.inserts_split, 0);
}
END_TEST

/* At the memory bound the sink pauses; below half it resumes. */
START_TEST(test_sink_backpressure)
{
	struct sink_insert	*a, *b;

	cf.max_buffer_bytes = 3 * ROW_COST;
	cf.max_inflight = 2;
	start(1);
	feed_valid(0, 0, 2, T0);
	expect_nothing();
	feed_valid(0, 2, 1, T0);
	collect();
	ck_assert_uint_eq(nacts, 2);
	ck_assert_uint_eq(count_kind(SINK_ACT_INSERT), 1);
	ck_assert_uint_eq(count_kind(SINK_ACT_PAUSE), 1);
	a = nth_kind(SINK_ACT_INSERT, 0)->insert;
	ck_assert_uint_eq(sink_buffered_bytes(sk), 3 * ROW_COST);

	/* Messages fetched before the pause still arrive. */
	feed_valid(0, 3, 3, T0);
	collect();
	ck_assert_uint_eq(nacts, 1);
	b = nth_kind(SINK_ACT_INSERT, 0)->insert;
	ck_assert_uint_eq(sink_buffered_bytes(sk), 6 * ROW_COST);

	/* Still at the bound, not below half: no resume yet. */
	answer(a, 200, "", T0 + 1);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_RESUME), 0);
	ck_assert_uint_eq(count_kind(SINK_ACT_PAUSE), 0);
	expect_one_store(0, 3);

	answer(b, 200, "", T0 + 2);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_RESUME), 1);
	expect_one_store(0, 6);
	ck_assert_uint_eq(sink_buffered_bytes(sk), 0);
}
END_TEST

/* Below the bound there is never a pause. */
START_TEST(test_sink_no_pause_below_bound)
{
	cf.max_buffer_bytes = 3 * ROW_COST + 1;
	cf.max_inflight = 2;
	start(1);
	feed_valid(0, 0, 3, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_PAUSE), 0);
	feed_valid(0, 3, 1, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_PAUSE), 1);
}
END_TEST

/* sink_drain sends partial batches of both tables at once. */
START_TEST(test_sink_drain_closes_partial)
{
	struct sink_insert	*a, *b;

	cf.max_inflight = 2;
	start(1);
	feed(0, 0, PRODUCER_JSON, T0);
	feed(0, 1, "nope", T0);
	expect_nothing();
	sink_drain(sk, T0 + 1);
	collect();
	ck_assert_uint_eq(nacts, 2);
	a = nth_kind(SINK_ACT_INSERT, 0)->insert;
	b = nth_kind(SINK_ACT_INSERT, 1)->insert;
	ck_assert_int_ne(a->table, b->table);
	ck_assert_uint_eq(a->nrows, 1);
	ck_assert_uint_eq(b->nrows, 1);
	ck_assert_uint_eq(sk->stats.flush_reason[BATCH_FLUSH_DRAIN], 2);
	ck_assert(!sink_is_idle(sk));
	answer(b, 200, "", T0 + 2);
	answer(a, 200, "", T0 + 3);
	collect();
	expect_one_store(0, 2);
	ck_assert(sink_is_idle(sk));
	ck_assert_uint_eq(sink_next_deadline(sk), UINT64_MAX);
}
END_TEST

/* Once draining, a paused sink is never resumed. */
START_TEST(test_sink_drain_no_resume)
{
	struct sink_insert	*a;

	cf.max_buffer_bytes = 3 * ROW_COST;
	start(1);
	feed_valid(0, 0, 3, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_PAUSE), 1);
	a = nth_kind(SINK_ACT_INSERT, 0)->insert;
	sink_drain(sk, T0 + 1);
	expect_nothing();
	answer(a, 200, "", T0 + 2);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_RESUME), 0);
	expect_one_store(0, 3);
	ck_assert(sink_is_idle(sk));
}
END_TEST

/* Idle means nothing open, queued or in flight. */
START_TEST(test_sink_is_idle)
{
	struct sink_insert	*ins;

	start(1);
	ck_assert(sink_is_idle(sk));
	ck_assert_uint_eq(sink_next_deadline(sk), UINT64_MAX);
	feed_valid(0, 0, 1, T0);
	ck_assert(!sink_is_idle(sk));
	sink_tick(sk, T0 + DELAY);
	ins = expect_only_insert();
	ck_assert(!sink_is_idle(sk));
	fail_transport(ins, INSERT_NET_TIMEOUT, T0 + DELAY);
	ck_assert(!sink_is_idle(sk));
	sink_tick(sk, sink_next_deadline(sk));
	ck_assert_ptr_eq(expect_only_insert(), ins);
	answer(ins, 200, "", T0 + 10 * DELAY);
	ck_assert(sink_is_idle(sk));
	ck_assert_uint_eq(sink_buffered_bytes(sk), 0);
}
END_TEST

/* A revoked partition's offsets are never stored, even when they land. */
START_TEST(test_sink_revoke_never_stores)
{
	struct sink_insert	*a, *b;

	start(2);
	feed(0, 0, PRODUCER_JSON, T0);
	feed(1, 40, PRODUCER_JSON, T0);
	feed(0, 1, PRODUCER_JSON, T0);
	a = expect_only_insert();
	sink_revoke(sk, 1);
	answer(a, 200, "", T0 + 1);
	collect();
	ck_assert_uint_eq(nacts, 1);
	expect_one_store(0, 2);

	/* Messages after the revoke are not ours. */
	feed(1, 41, PRODUCER_JSON, T0 + 2);
	expect_nothing();
	ck_assert(sink_is_idle(sk));

	/* Re-assigned, it starts fresh from the redelivered offset. */
	sink_assign(sk, 1);
	feed_valid(1, 40, 3, T0 + 3);
	b = expect_only_insert();
	answer(b, 200, "", T0 + 4);
	collect();
	expect_one_store(1, 43);
}
END_TEST

/*
 * Rows of a revoked partition still open in a batch are taken out (the new
 * owner reads them again) and never stored.
 */
START_TEST(test_sink_revoke_open_batch)
{
	struct sink_insert	*a;
	struct tick		 t;
	struct rowenc_origin	 o;

	start(2);
	feed(1, 7, PRODUCER_JSON, T0);
	feed(0, 3, PRODUCER_JSON, T0);
	sink_revoke(sk, 1);
	sink_tick(sk, T0 + DELAY);
	a = expect_only_insert();
	ck_assert_uint_eq(a->nrows, 1);
	ck_assert_int_eq(rowenc_tick_parse(a->body.data, a->body.len,
	    cf.dialect, &t, &o), 0);
	ck_assert_int_eq(o.partition, 0);
	ck_assert_int_eq(o.offset, 3);
	answer(a, 200, "", T0 + DELAY + 1);
	collect();
	ck_assert_uint_eq(nacts, 1);
	expect_one_store(0, 4);
}
END_TEST

/* Messages for partitions not assigned produce no rows and no actions. */
START_TEST(test_sink_unassigned_no_rows)
{
	start(1);
	feed_valid(1, 0, 5, T0);
	feed(7, 0, "not json", T0);
	feed(-1, 0, PRODUCER_JSON, T0);
	expect_nothing();
	ck_assert(sink_is_idle(sk));
	ck_assert_uint_eq(sink_buffered_bytes(sk), 0);
	ck_assert_uint_eq(sink_next_deadline(sk), UINT64_MAX);
	sink_tick(sk, T0 + 100 * DELAY);
	expect_nothing();
	ck_assert_uint_eq(sk->stats.messages, 7);
}
END_TEST

/* The next deadline is the earliest of an open batch and a retry. */
START_TEST(test_sink_next_deadline)
{
	struct sink_insert	*ins;
	uint64_t		 retry;

	cf.max_inflight = 2;
	start(1);
	feed_valid(0, 0, 3, T0);
	ins = expect_only_insert();
	fail_transport(ins, INSERT_NET_TIMEOUT, T0);
	retry = sink_next_deadline(sk);
	ck_assert_uint_gt(retry, T0 + DELAY);
	feed_valid(0, 3, 1, T0 + 10);
	ck_assert_uint_eq(sink_next_deadline(sk), T0 + 10 + DELAY);
	sink_tick(sk, T0 + 10 + DELAY);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_INSERT), 1);
	ck_assert_ptr_ne(nth_kind(SINK_ACT_INSERT, 0)->insert, ins);
	ck_assert_uint_eq(sink_next_deadline(sk), retry);
}
END_TEST

/*
 * sink_free gives back what the sink holds, whatever state its inserts are
 * in: here a poisoned batch of 16384 rows (1.1 MB) split in two, one half in
 * flight, the other queued.  glibc's mallinfo2 counts the bytes in use; a
 * few KB of noise come from chunks parked in malloc's per-thread cache,
 * which it counts as used, so the check allows 256 KB where leaking the
 * half in flight loses over 1 MB (its body's buffer).  Under valgrind
 * mallinfo2 sees nothing and valgrind's own leak check takes over.
 * An insert handed out with SINK_ACT_INSERT is on no queue, and the parent
 * of a split is reachable only through its halves: both must still be freed.
 */
START_TEST(test_sink_free_releases_everything)
{
	struct sink_insert	*ins = NULL;
	struct mallinfo2	 mi;
	struct sink_action	 a;
	struct insert_response	 poison = { INSERT_NET_OK, 500, POISON_BODY,
				     sizeof POISON_BODY - 1, 0 };
	size_t			 before, after;
	int			 i, inserts = 0;

	cf.limits.max_rows = 16384;
	cf.limits.max_bytes = 64 * 1024 * 1024;
	mi = mallinfo2();
	before = mi.uordblks + mi.hblkhd;
	sk = sink_new(&cf);
	sink_assign(sk, 0);
	for (i = 0; i < 16384; i++)
		feed(0, i, PRODUCER_JSON, T0);
	while (sink_next_action(sk, &a))
		if (a.kind == SINK_ACT_INSERT) {
			ins = a.insert;
			inserts++;
		}
	/* Poison it: two halves, the first goes out. */
	sink_insert_done(sk, ins, &poison, T0, WALL_MS);
	while (sink_next_action(sk, &a))
		if (a.kind == SINK_ACT_INSERT)
			inserts++;
	sink_free(sk);
	sk = NULL;
	mi = mallinfo2();
	after = mi.uordblks + mi.hblkhd;
	ck_assert_int_eq(inserts, 2);
	ck_assert_uint_lt(after, before + 256 * 1024);
}
END_TEST

/* The partitions whose resume check `check` is, as a bit mask. */
static unsigned
check_mask(uint64_t check)
{
	unsigned	mask = 0;
	size_t		i;

	for (i = 0; i < sk->nparts && i < 32; i++)
		if (check != 0 && sk->parts[i].check == check)
			mask |= 1u << i;
	return (mask);
}

/*
 * The partitions whose first messages came in one poll share one resume
 * check, sent when the poll is done; its answer ("p\toffset" lines, in any
 * order, a row in both tables twice) is split per partition, and each
 * skips exactly its own landed offsets.
 */
START_TEST(test_sink_check_one_per_poll)
{
	const char	*tables[2] = { "ticks_db", "ticks_rejected" };
	struct sink_action *a;
	uint64_t	 check;
	char		*sql;

	raw_actions = true;
	cf.limits.max_rows = 100;
	start(3);
	feed(0, 10, PRODUCER_JSON, T0);
	feed(2, 70, PRODUCER_JSON, T0);
	feed(1, 40, PRODUCER_JSON, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_LANDED_QUERY), 0);
	ck_assert_uint_eq(count_kind(SINK_ACT_PAUSE_ONE), 3);
	sink_polled(sk, T0);
	collect();
	ck_assert_uint_eq(nacts, 1);
	a = nth_kind(SINK_ACT_LANDED_QUERY, 0);
	check = a->check;
	ck_assert_uint_eq(check_mask(check), 7);
	sql = sink_landed_sql(sk, check, "db", tables);
	ck_assert_ptr_nonnull(sql);
	ck_assert_ptr_nonnull(strstr(sql, "kafka_partition IN (0, 1, 2) AND "
	    "kafka_offset >= transform(kafka_partition, [0, 1, 2], "
	    "[10, 40, 70], 9223372036854775807)"));
	ck_assert_ptr_nonnull(strstr(sql, "FROM db.ticks_db WHERE"));
	ck_assert_ptr_nonnull(strstr(sql, "FROM db.ticks_rejected WHERE "
	    "kafka_topic = 'price_ticks' AND"));
	free(sql);
	/* More of each while the check is out: held. */
	feed(0, 11, PRODUCER_JSON, T0);
	feed(1, 41, PRODUCER_JSON, T0);
	feed(2, 71, PRODUCER_JSON, T0);
	sink_polled(sk, T0);
	expect_nothing();
	sink_landed_answer(sk, check, "2\t71\n0\t10\n2\t71\n0\t11\n", 20,
	    T0, WALL_MS);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_RESUME_ONE), 3);
	ck_assert_uint_eq(sk->stats.skipped_landed, 3);
	ck_assert_uint_eq(check_mask(check), 0);
	ck_assert_int_eq(sk->parts[0].state, SINK_PART_READY);
	ck_assert_int_eq(sk->parts[1].state, SINK_PART_READY);
	ck_assert_int_eq(sk->parts[2].state, SINK_PART_READY);
	/* 1@40, 1@41 and 2@70 are rows; only 0 landed whole and stores. */
	ck_assert_uint_eq(sk->open[SCHEMA_TICKS]->nrows, 3);
	ck_assert_uint_eq(count_kind(SINK_ACT_STORE), 2);
	ck_assert_int_eq(nth_kind(SINK_ACT_STORE, 0)->partition, 0);
	ck_assert_int_eq(nth_kind(SINK_ACT_STORE, 1)->partition, 0);
	ck_assert_int_eq(nth_kind(SINK_ACT_STORE, 1)->offset, 12);
}
END_TEST

/*
 * One round of checks is out at a time: partitions first seen while it is
 * out wait for its answer (or failure) and then share the next query.
 */
START_TEST(test_sink_check_one_round_out)
{
	uint64_t	first, second;

	raw_actions = true;
	start(4);
	feed(0, 10, PRODUCER_JSON, T0);
	sink_polled(sk, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_LANDED_QUERY), 1);
	first = nth_kind(SINK_ACT_LANDED_QUERY, 0)->check;
	ck_assert_uint_eq(check_mask(first), 1);
	feed(1, 20, PRODUCER_JSON, T0);
	sink_polled(sk, T0);
	feed(2, 30, PRODUCER_JSON, T0);
	sink_polled(sk, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_LANDED_QUERY), 0);
	/* Nothing to wake up for either: the answer brings the next round. */
	ck_assert_uint_eq(sink_next_deadline(sk), UINT64_MAX);
	sink_landed_answer(sk, first, "", 0, T0, WALL_MS);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_LANDED_QUERY), 1);
	second = nth_kind(SINK_ACT_LANDED_QUERY, 0)->check;
	ck_assert_uint_eq(check_mask(second), 6);
	ck_assert_int_eq(sk->parts[0].state, SINK_PART_READY);
	/* A failed round lets the next one go at once; it retries later. */
	feed(3, 40, PRODUCER_JSON, T0);
	sink_polled(sk, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_LANDED_QUERY), 0);
	sink_landed_failed(sk, second, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_LANDED_QUERY), 1);
	ck_assert_uint_eq(check_mask(nth_kind(SINK_ACT_LANDED_QUERY, 0)->check),
	    8);
	ck_assert_int_eq(sk->parts[1].state, SINK_PART_CHECKING);
	ck_assert_uint_eq(sk->parts[1].check, 0);
}
END_TEST

/*
 * An answer for an earlier assignment's check does not count for the new
 * one, even when it comes after the new check went out; an answer for no
 * check (0) or an unknown one does nothing.
 */
START_TEST(test_sink_check_stale_answer)
{
	uint64_t	old, cur;

	raw_actions = true;
	start(1);
	feed(0, 5, PRODUCER_JSON, T0);
	sink_polled(sk, T0);
	collect();
	old = nth_kind(SINK_ACT_LANDED_QUERY, 0)->check;
	sink_revoke(sk, 0);
	sink_assign(sk, 0);
	feed(0, 5, PRODUCER_JSON, T0);
	sink_polled(sk, T0);
	collect();
	cur = nth_kind(SINK_ACT_LANDED_QUERY, 0)->check;
	ck_assert_uint_ne(old, cur);
	sink_landed_answer(sk, old, "0\t5\n", 4, T0, WALL_MS);
	sink_landed_answer(sk, 0, "", 0, T0, WALL_MS);
	sink_landed_answer(sk, cur + 1, "", 0, T0, WALL_MS);
	sink_landed_failed(sk, 0, T0);
	ck_assert_int_eq(sk->parts[0].state, SINK_PART_CHECKING);
	ck_assert_uint_eq(sk->parts[0].check, cur);
	ck_assert_ptr_null(sink_landed_sql(sk, old, "db",
	    (const char *const[2]){ "t", "r" }));
	sink_landed_answer(sk, cur, "", 0, T0, WALL_MS);
	ck_assert_int_eq(sk->parts[0].state, SINK_PART_READY);
	ck_assert_uint_eq(sk->stats.skipped_landed, 0);
	ck_assert_uint_eq(sk->open[SCHEMA_TICKS]->nrows, 1);
}
END_TEST

/*
 * A check that fails, or whose answer does not parse, is asked again after
 * a backoff, still as one query for all its partitions.
 */
START_TEST(test_sink_check_failed_asks_again)
{
	static const char *const bad[] = { "garbage", "0\t5", "0 5\n",
	    "-1\t5\n", "0\t-5\n", "2147483648\t5\n",
	    "0\t1234567890123456789\n" };
	uint64_t	check, d;
	size_t		i;

	raw_actions = true;
	start(2);
	feed(0, 5, PRODUCER_JSON, T0);
	feed(1, 9, PRODUCER_JSON, T0);
	sink_polled(sk, T0);
	for (i = 0; i <= nitems(bad); i++) {
		collect();
		ck_assert_uint_eq(count_kind(SINK_ACT_LANDED_QUERY), 1);
		check = nth_kind(SINK_ACT_LANDED_QUERY, 0)->check;
		ck_assert_uint_eq(check_mask(check), 3);
		if (i < nitems(bad))
			sink_landed_answer(sk, check, bad[i], strlen(bad[i]),
			    last_now, WALL_MS);
		else
			sink_landed_failed(sk, check, last_now);
		ck_assert_uint_eq(check_mask(check), 0);
		ck_assert_int_eq(sk->parts[0].state, SINK_PART_CHECKING);
		/* Not before the backoff, then both in one query. */
		sink_polled(sk, last_now);
		expect_nothing();
		d = sink_next_deadline(sk);
		ck_assert_uint_gt(d, last_now);
		ck_assert_uint_lt(d, UINT64_MAX);
		last_now = d;
		sink_tick(sk, d);
	}
	collect();
	check = nth_kind(SINK_ACT_LANDED_QUERY, 0)->check;
	sink_landed_answer(sk, check, "1\t9\n", 4, last_now, WALL_MS);
	ck_assert_int_eq(sk->parts[0].state, SINK_PART_READY);
	ck_assert_int_eq(sk->parts[1].state, SINK_PART_READY);
	ck_assert_uint_eq(sk->stats.skipped_landed, 1);
}
END_TEST

/* Over SINK_CHECK_MAX_PARTS (1024) partitions: a query per 1024. */
START_TEST(test_sink_check_split)
{
	const char	*tables[2] = { "t", "r" };
	int32_t		 p;
	size_t		 i;
	char		*sql;

	raw_actions = true;
	start(1500);
	for (p = 0; p < 1500; p++) {
		feed(p, 0, PRODUCER_JSON, T0);
		ck_assert_uint_eq(collect(), 1);	/* its PAUSE_ONE */
	}
	sink_polled(sk, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_LANDED_QUERY), 2);
	ck_assert_uint_eq(__builtin_popcount(check_mask(
	    nth_kind(SINK_ACT_LANDED_QUERY, 0)->check)), 32);
	for (i = 0, p = 0; p < 1500; p++)
		i += sk->parts[p].check ==
		    nth_kind(SINK_ACT_LANDED_QUERY, 1)->check;
	ck_assert_uint_eq(i, 1500 - 1024);
	sql = sink_landed_sql(sk, nth_kind(SINK_ACT_LANDED_QUERY, 1)->check,
	    "db", tables);
	ck_assert_ptr_nonnull(strstr(sql, "IN (1024, 1025, "));
	ck_assert_ptr_nonnull(strstr(sql, ", 1499) AND"));
	free(sql);
}
END_TEST

/*
 * A landed insert's buffers serve the next batch (no new megabytes to
 * map and fault in per batch); the spare holds one set at most and is
 * empty of data.
 */
START_TEST(test_sink_spare_buffers)
{
	struct sink_insert	*a, *b, *c;
	const uint8_t		*body;
	const struct sink_row	*rows;

	cf.max_inflight = 2;
	start(1);
	feed_valid(0, 0, 3, T0);
	a = expect_only_insert();
	feed_valid(0, 3, 3, T0);
	b = expect_only_insert();
	body = a->body.data;
	rows = a->rows;
	answer(a, 200, "", T0);
	answer(b, 200, "", T0);
	ck_assert_ptr_eq(sk->spare.body.data, body);
	ck_assert_uint_eq(sk->spare.body.len, 0);
	ck_assert_ptr_eq(sk->spare.rows, rows);
	ck_assert_uint_eq(sink_buffered_bytes(sk), 0);
	feed_valid(0, 6, 3, T0);
	collect();
	c = nth_kind(SINK_ACT_INSERT, 0)->insert;
	ck_assert_ptr_eq(c->body.data, body);
	ck_assert_ptr_eq(c->rows, rows);
	ck_assert_ptr_null(sk->spare.body.data);
	ck_assert_uint_eq(c->nrows, 3);
}
END_TEST

/* A small xorshift generator for the simulation. */
static uint64_t
rnd_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

/* A uniform-ish value in [0, n). */
static uint32_t
rnd(uint64_t *s, uint32_t n)
{
	return ((uint32_t)(rnd_next(s) % n));
}

/* A hash of (seed, partition, offset): the partition logs are fixed. */
static uint64_t
sim_hash(uint64_t seed, int32_t p, int64_t o, uint64_t salt)
{
	uint64_t	h = seed * 0x9e3779b97f4a7c15ULL + salt;

	h ^= (uint64_t)p * 0xbf58476d1ce4e5b9ULL;
	h ^= (uint64_t)o * 0x94d049bb133111ebULL;
	h ^= h >> 31;
	h *= 0xd6e8feb96e7a3b1dULL;
	h ^= h >> 29;
	return (h);
}

#define SIM_PARTS	3
#define SIM_MAXOFF	1024
#define SIM_STEPS	400
#define SIM_INFLIGHT	8
#define SIM_CHECKS	64

/* What the simulation knows about one partition. */
struct sim_part {
	bool		assigned;
	bool		consumed[SIM_MAXOFF];	/* since the last assign */
	bool		ever[SIM_MAXOFF];	/* consumed at some time */
	int		landed[SIM_MAXOFF];	/* rows landed for the offset */
	bool		as_reject[SIM_MAXOFF];
	bool		server_rejected[SIM_MAXOFF];
	int64_t		next;			/* next offset to consume */
	int64_t		last;			/* last consumed; -1 */
	int64_t		stored;			/* last STORE; -1 */
	int64_t		end;			/* offsets in Kafka: [0, end) */
};

/* A window in flight, and the body read of it so far. */
struct sim_win {
	struct sink_window	*w;
	uint8_t			*body;
	size_t			 len;
};

struct sim {
	uint64_t		 seed;
	uint64_t		 rng;
	uint64_t		 now;
	bool			 paused;
	struct sim_part		 parts[SIM_PARTS];
	struct sink_insert	*inflight[SIM_INFLIGHT];
	size_t			 ninflight;
	struct sim_win		 wins[SIM_INFLIGHT];
	size_t			 nwins;
	uint64_t		 checks[SIM_CHECKS];	/* unanswered */
	size_t			 nchecks;
};

static const char *sim_invalid[] = {
	"not json", NULL, "[]", "{}", LONG_GARBAGE,
	"{\"timestamp\": \"2025-09-12T14:03:01.123000+00:00\", "
	"\"timestamp_ms\": 1757685781123, \"symbol\": \"BINANCE:ETHUSDT\", "
	"\"price\": 0, \"volume\": 0.0153, "
	"\"received_at\": \"2025-09-12T14:03:01.187654+00:00\"}",
};

static const char *sim_symbols[] = {
	"BINANCE:ETHUSDT", "BINANCE:BTCUSDT", "X",
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_",
};

/* Does offset o exist in p's log (compaction leaves gaps)? */
static bool
sim_exists(const struct sim *m, int32_t p, int64_t o)
{
	return (o < m->parts[p].end && sim_hash(m->seed, p, o, 1) % 8 != 0);
}

/* Is the message at p@o valid? */
static bool
sim_valid(const struct sim *m, int32_t p, int64_t o)
{
	return (sim_hash(m->seed, p, o, 2) % 100 < 85);
}

/* The message at p@o: the same bytes every time it is delivered. */
static const char *
sim_payload(const struct sim *m, int32_t p, int64_t o, char *json,
    size_t size)
{
	uint64_t	h = sim_hash(m->seed, p, o, 3);

	if (!sim_valid(m, p, o))
		return (sim_invalid[h % nitems(sim_invalid)]);
	snprintf(json, size, "{\"timestamp\": "
	    "\"2025-09-12T14:03:01.123000+00:00\", \"timestamp_ms\": "
	    "1757685781123, \"symbol\": \"%s\", \"price\": %u.%02u, "
	    "\"volume\": 0.%04u, \"received_at\": "
	    "\"2025-09-12T14:03:01.187654+00:00\"}",
	    sim_symbols[h % nitems(sim_symbols)],
	    (unsigned)(1 + (h >> 8) % 100000), (unsigned)((h >> 32) % 100),
	    (unsigned)((h >> 40) % 10000));
	return (json);
}

/* Is any partition still waiting for its resume check? */
static bool
sim_checking(const struct sim *m)
{
	int32_t	p;

	(void)m;
	for (p = 0; p < SIM_PARTS && (size_t)p < sk->nparts; p++) {
		if (sk->parts[p].state == SINK_PART_CHECKING)
			return (true);
	}
	return (false);
}

/*
 * Answer resume check i (of those out) from the model, as ClickHouse would
 * at this moment: every offset, from its first one on, of each partition
 * still waiting for it whose row is in a table, in no particular order.
 * One in ten fails instead.
 */
static void
sim_landed_query(struct sim *m, size_t i)
{
	uint64_t	 check = m->checks[i];
	char		*text = NULL;
	size_t		 size = 0;
	FILE		*f;
	int32_t		 p;
	int64_t		 o;

	m->checks[i] = m->checks[--m->nchecks];
	if (rnd(&m->rng, 10) == 0) {
		sink_landed_failed(sk, check, m->now);
		return;
	}
	f = open_memstream(&text, &size);
	REQUIRE(f != NULL);
	for (o = SIM_MAXOFF - 1; o >= 0; o--) {
		for (p = 0; p < SIM_PARTS && (size_t)p < sk->nparts; p++) {
			if (sk->parts[p].check == check &&
			    o >= sk->parts[p].from && m->parts[p].landed[o] > 0)
				fprintf(f, "%d\t%lld\n", p, (long long)o);
		}
	}
	fclose(f);
	sink_landed_answer(sk, check, text, size, m->now, WALL_MS);
	free(text);
}

/* Apply every pending action to the model, checking the invariants. */
static void
sim_actions(struct sim *m)
{
	struct sink_action	 a;
	struct sim_part		*pp;
	size_t			 i;
	int64_t			 o;

	while (sink_next_action(sk, &a)) {
		switch (a.kind) {
		case SINK_ACT_INSERT:
			for (i = 0; i < m->ninflight; i++)
				REQUIRE(m->inflight[i] != a.insert);
			REQUIRE(m->ninflight + m->nwins < cf.max_inflight);
			REQUIRE(a.insert->nrows > 0);
			m->inflight[m->ninflight++] = a.insert;
			break;
		case SINK_ACT_STORE:
			REQUIRE(a.partition >= 0);
			REQUIRE(a.partition < SIM_PARTS);
			pp = &m->parts[a.partition];
			/* Never for a partition that is not ours. */
			REQUIRE(pp->assigned);
			REQUIRE(a.offset > pp->stored);
			REQUIRE(a.offset <= pp->last + 1);
			/* Everything consumed below it has landed. */
			for (o = 0; o < a.offset; o++) {
				if (pp->consumed[o])
					REQUIRE(pp->landed[o] >= 1);
			}
			pp->stored = a.offset;
			break;
		case SINK_ACT_PROBE:
			/* The model lands nothing without a 200: absent. */
			for (i = 0; i < m->ninflight; i++)
				REQUIRE(m->inflight[i] != a.insert);
			sink_probe_done(sk, a.insert, SINK_PROBE_ABSENT,
			    m->now);
			break;
		case SINK_ACT_LANDED_QUERY:
			REQUIRE(a.check > 0);
			REQUIRE(m->nchecks < SIM_CHECKS);
			m->checks[m->nchecks++] = a.check;
			break;
		case SINK_ACT_PAUSE_ONE:
		case SINK_ACT_RESUME_ONE:
			break;
		case SINK_ACT_STREAM:
			REQUIRE(cf.window_rows > 0);
			REQUIRE(m->ninflight + m->nwins < cf.max_inflight);
			m->wins[m->nwins++] = (struct sim_win){ a.window,
			    NULL, 0 };
			break;
		case SINK_ACT_STREAM_MORE:
			for (i = 0; i < m->nwins && m->wins[i].w != a.window;
			    i++)
				continue;
			REQUIRE(i < m->nwins);
			break;
		case SINK_ACT_SEEK:
			/* Kafka delivers p again from there. */
			pp = &m->parts[a.partition];
			REQUIRE(pp->assigned);
			REQUIRE(a.offset >= pp->stored);
			REQUIRE(a.offset <= pp->next);
			memset(pp->consumed, 0, sizeof pp->consumed);
			pp->next = a.offset;
			pp->last = a.offset - 1;
			break;
		case SINK_ACT_PAUSE:
			REQUIRE(!m->paused);
			m->paused = true;
			break;
		case SINK_ACT_RESUME:
			REQUIRE(m->paused);
			m->paused = false;
			break;
		}
	}
}

/* Record the rows of an insert as landed. */
static void
sim_landed(struct sim *m, const struct sink_insert *ins)
{
	struct sim_part	*pp;
	struct rej	 r;
	uint32_t	 k;
	int32_t		 p;
	int64_t		 o;

	for (k = 0; k < ins->nrows; k++) {
		o = row_offset(ins, k, cf.dialect, &p);
		REQUIRE(p >= 0);
		REQUIRE(p < SIM_PARTS);
		REQUIRE(o >= 0);
		REQUIRE(o < SIM_MAXOFF);
		pp = &m->parts[p];
		REQUIRE(pp->ever[o]);
		pp->landed[o]++;
		if (ins->table == SCHEMA_REJECTS) {
			reject_row(ins, k, cf.dialect, &r);
			pp->as_reject[o] = true;
			pp->server_rejected[o] =
			    strcmp(r.reason, "server_rejected") == 0;
		}
	}
}

/* Answer in-flight insert i with a random outcome (or 200 if final). */
static void
sim_answer(struct sim *m, size_t i, bool final)
{
	struct sink_insert	*ins = m->inflight[i];
	uint32_t		 r = final ? 0 : rnd(&m->rng, 100);

	m->inflight[i] = m->inflight[--m->ninflight];
	if (r < 60) {
		sim_landed(m, ins);
		answer(ins, 200, "", m->now);
	} else if (r < 78)
		answer(ins, 503, "", m->now);
	else if (r < 90)
		fail_transport(ins, INSERT_NET_TIMEOUT, m->now);
	else if (r < 94)
		fail_transport(ins, INSERT_NET_ERROR, m->now);
	else if (ins->table == SCHEMA_TICKS || r < 96)
		answer(ins, 500, POISON_BODY, m->now);
	else
		answer(ins, 503, "", m->now);
}

/* The length of the tick row at p (rowenc_tick's layout). */
static size_t
sim_tick_len(const uint8_t *p, size_t len)
{
	size_t	tsz = cf.dialect == SCHEMA_CURRENT ? 8 : 4, i = tsz + 8, n;

	n = (size_t)get_varint(p, len, &i);
	return (i + n + 16 + (cf.dialect == SCHEMA_LEGACY ? 4 : 0) + 8 + 12);
}

/* Record the first nrows rows of a window's body (all: SIZE_MAX) landed. */
static void
sim_window_landed(struct sim *m, const struct sim_win *sw, size_t nrows)
{
	struct tick		 t;
	struct rowenc_origin	 o;
	struct buf		 rows;
	size_t			 at = 0, len, k;
	uint64_t		 n;
	long			 whole;

	/* Of a body read in part, only the rows of whole blocks land. */
	buf_init(&rows);
	whole = native_rows(sw->body, sw->len, &rows, &n);
	REQUIRE(whole >= 0);
	if (nrows == SIZE_MAX)
		REQUIRE((size_t)whole == sw->len);
	for (k = 0; k < nrows && at < rows.len; k++) {
		len = sim_tick_len(rows.data + at, rows.len - at);
		REQUIRE(rowenc_tick_parse(rows.data + at, len, cf.dialect, &t,
		    &o) == 0);
		REQUIRE(o.partition >= 0 && o.partition < SIM_PARTS);
		REQUIRE(o.offset >= 0 && o.offset < SIM_MAXOFF);
		REQUIRE(m->parts[o.partition].ever[o.offset]);
		m->parts[o.partition].landed[o.offset]++;
		at += len;
	}
	REQUIRE(at == rows.len || k == nrows);
	buf_clear(&rows);
}

/* Read up to n bytes of window i: 1 if some came, 0 at its end, -1: wait. */
static int
sim_window_read(struct sim *m, size_t i, size_t n)
{
	struct sim_win	*sw = &m->wins[i];
	size_t		 got;
	bool		 wait;

	sw->body = realloc(sw->body, sw->len + n);
	REQUIRE(sw->body != NULL);
	got = sink_window_read(sk, sw->w, sw->body + sw->len, n, m->now,
	    &wait);
	REQUIRE(got <= n);
	REQUIRE(got == 0 || !wait);
	sw->len += got;
	return (got > 0 ? 1 : wait ? -1 : 0);
}

/*
 * A step for window i: read a little of it, or answer it.  A window is
 * answered 200 only once its body ended; a failure lands nothing, or (a
 * timeout after the server had some of it) a prefix of its rows.  final:
 * read it to its end and answer 200, or, while it waits for more, leave it
 * to the clock.
 */
static void
sim_window_step(struct sim *m, size_t i, bool final)
{
	struct sim_win		 sw;
	struct insert_response	 r = { INSERT_NET_OK, 200, "", 0, 0 };
	uint32_t		 x = final ? 0 : rnd(&m->rng, 100);
	int			 more;

	if (final) {
		while ((more = sim_window_read(m, i, 4096)) > 0)
			continue;
		if (more < 0)
			return;
	} else if (x < 50) {
		(void)sim_window_read(m, i, 1 + rnd(&m->rng, 300));
		return;
	}
	sw = m->wins[i];
	m->wins[i] = m->wins[--m->nwins];
	if (x < 70 && sw.w->sealed && sw.w->reading == NULL)
		sim_window_landed(m, &sw, SIZE_MAX);
	else if (x < 85) {
		r.transport = INSERT_NET_ERROR;
		r.status = 0;
	} else {
		r.transport = INSERT_NET_TIMEOUT;
		r.status = 0;
		sim_window_landed(m, &sw, rnd(&m->rng, 8));
	}
	sink_window_done(sk, sw.w, &r, m->now);
	free(sw.body);
}

/*
 * At the end: answer the last insert, or window, with 200; false if none
 * could be (a window waits for the clock to end it).
 */
static bool
sim_final_answer(struct sim *m)
{
	size_t	n = m->nwins;

	if (m->ninflight > 0) {
		sim_answer(m, m->ninflight - 1, true);
		return (true);
	}
	if (n > 0)
		sim_window_step(m, n - 1, true);
	return (m->nwins < n);
}

/*
 * Consume the next message of a random assigned partition; at its end,
 * Kafka's partition EOF instead.
 */
static void
sim_message(struct sim *m)
{
	struct sim_part	*pp;
	int32_t		 p = (int32_t)rnd(&m->rng, SIM_PARTS);
	char		 json[512];
	int64_t		 o;

	pp = &m->parts[p];
	if (!pp->assigned)
		return;
	for (o = pp->next; o < SIM_MAXOFF && !sim_exists(m, p, o); o++)
		;
	if (o >= SIM_MAXOFF) {
		sink_caught_up(sk, p, m->now);
		return;
	}
	pp->consumed[o] = true;
	pp->ever[o] = true;
	pp->last = o;
	pp->next = o + 1;
	feed(p, o, sim_payload(m, p, o, json, sizeof json), m->now);
	/* Kafka tells the end with the last message, or with the next poll. */
	for (o++; o < SIM_MAXOFF && !sim_exists(m, p, o); o++)
		;
	if (o >= SIM_MAXOFF && rnd(&m->rng, 2) == 0)
		sink_caught_up(sk, p, m->now);
	/* The poll ends here, or goes on with more messages. */
	if (rnd(&m->rng, 2) == 0)
		sink_polled(sk, m->now);
}

/*
 * Revoke a random partition, or give a revoked one back: consumption then
 * restarts from the stored offset, as Kafka redelivers from the commit.
 */
static void
sim_rebalance(struct sim *m)
{
	int32_t		 p = (int32_t)rnd(&m->rng, SIM_PARTS);
	struct sim_part	*pp = &m->parts[p];

	if (pp->assigned) {
		sink_revoke(sk, p);
		pp->assigned = false;
		return;
	}
	sink_assign(sk, p);
	pp->assigned = true;
	memset(pp->consumed, 0, sizeof pp->consumed);
	pp->next = pp->stored < 0 ? 0 : pp->stored;
	pp->last = pp->next - 1;
}

/*
 * One seeded run: random configuration, messages, answers, clock ticks
 * and, on odd seeds, rebalances.  At every step no offset is stored before
 * everything consumed below it landed.  At the end everything is answered
 * 200: every message consumed must have landed exactly once, through
 * rebalances too (the resume check answers from the model), and the stored
 * offsets must be at last + 1.
 */
START_TEST(test_sink_random)
{
	static struct sim	 m;
	struct sim_part		*pp;
	uint64_t		 d;
	int			 step, rounds;
	uint32_t		 k;
	int32_t			 p;
	int64_t			 o;
	char			 json[512];
	bool			 any;

	memset(&m, 0, sizeof m);
	raw_actions = true;	/* the model answers resume checks itself */
	m.seed = (uint64_t)_i;
	m.rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)_i * 0x100000001b3ULL);
	m.now = T0;
	cf.dialect = rnd(&m.rng, 2) ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	cf.limits.max_rows = 1 + rnd(&m.rng, 8);
	cf.limits.max_bytes = rnd(&m.rng, 2) ? 1024 * 1024 :
	    100 + rnd(&m.rng, 400);
	cf.limits.max_delay_us = 500 + rnd(&m.rng, 5000);
	cf.max_inflight = 1 + rnd(&m.rng, 4);
	cf.window_rows = rnd(&m.rng, 2) ? 0 : 1 + rnd(&m.rng, 20);
	cf.window_max_us = rnd(&m.rng, 2) ? 0 : 1000 + rnd(&m.rng, 20000);
	cf.max_buffer_bytes = rnd(&m.rng, 2) ? 64 * 1024 * 1024 :
	    1000 + rnd(&m.rng, 3000);
	cf.seed = (uint64_t)_i;
	start(SIM_PARTS);
	for (p = 0; p < SIM_PARTS; p++) {
		m.parts[p].assigned = true;
		m.parts[p].last = -1;
		m.parts[p].stored = -1;
		/* In half the seeds every partition comes to its end. */
		m.parts[p].end = _i % 4 < 2 ? SIM_MAXOFF :
		    (int64_t)rnd(&m.rng, 60);
	}

	for (step = 0; step < SIM_STEPS; step++) {
		switch (rnd(&m.rng, 5)) {
		case 0:
		case 1:
			if (!m.paused)
				sim_message(&m);
			else if (_i % 2 == 1 && rnd(&m.rng, 50) == 0)
				sim_rebalance(&m);
			break;
		case 2:
			k = rnd(&m.rng, (uint32_t)(m.ninflight + m.nwins + 1));
			if (k < m.ninflight)
				sim_answer(&m, k, false);
			else if (k < m.ninflight + m.nwins)
				sim_window_step(&m, k - m.ninflight, false);
			break;
		case 3:
			d = sink_next_deadline(sk);
			if (d != UINT64_MAX && d > m.now &&
			    rnd(&m.rng, 2) == 0)
				m.now = d;
			else
				m.now += rnd(&m.rng, 3000);
			sink_tick(sk, m.now);
			if (_i % 2 == 1 && rnd(&m.rng, 10) == 0)
				sim_rebalance(&m);
			break;
		case 4:
			if (m.nchecks > 0)
				sim_landed_query(&m,
				    rnd(&m.rng, (uint32_t)m.nchecks));
			break;
		}
		sim_actions(&m);
		REQUIRE(m.ninflight + m.nwins <= cf.max_inflight);
		/* Memory: the bound plus what one step can add. */
		REQUIRE(sink_buffered_bytes(sk) <= cf.max_buffer_bytes +
		    cf.limits.max_bytes + 2048);
	}

	/* The end: take every partition back, drain, answer all with 200. */
	for (p = 0; p < SIM_PARTS; p++) {
		if (!m.parts[p].assigned) {
			sink_assign(sk, p);
			m.parts[p].assigned = true;
			memset(m.parts[p].consumed, 0,
			    sizeof m.parts[p].consumed);
			m.parts[p].next = m.parts[p].stored < 0 ? 0 :
			    m.parts[p].stored;
			m.parts[p].last = m.parts[p].next - 1;
		}
	}
	/* Consume again what was consumed before a revocation, as Kafka would. */
	for (p = 0; p < SIM_PARTS; p++) {
		pp = &m.parts[p];
		for (o = pp->next; o < SIM_MAXOFF; o++) {
			if (!pp->ever[o])
				continue;
			pp->consumed[o] = true;
			pp->last = o;
			pp->next = o + 1;
			feed(p, o, sim_payload(&m, p, o, json, sizeof json),
			    m.now);
			sink_polled(sk, m.now);
			sim_actions(&m);
		}
	}
	/* Let held-back resume checks finish: a drain drops held messages. */
	for (rounds = 0; sim_checking(&m) && rounds < 100000; rounds++) {
		if (sim_final_answer(&m))
			;
		else if (m.nchecks > 0)
			sim_landed_query(&m, m.nchecks - 1);
		else {
			d = sink_next_deadline(sk);
			if (d != UINT64_MAX && d > m.now)
				m.now = d;
			sink_tick(sk, m.now);
		}
		sim_actions(&m);
	}
	REQUIRE(!sim_checking(&m));
	sink_drain(sk, m.now);
	sim_actions(&m);
	for (rounds = 0; !sink_is_idle(sk) && rounds < 100000; rounds++) {
		if (!sim_final_answer(&m)) {
			d = sink_next_deadline(sk);
			REQUIRE(d != UINT64_MAX);
			if (d > m.now)
				m.now = d;
			sink_tick(sk, m.now);
		}
		sim_actions(&m);
	}
	REQUIRE(sink_is_idle(sk));
	REQUIRE(m.ninflight == 0);
	REQUIRE(m.nwins == 0);
	REQUIRE(sink_buffered_bytes(sk) == 0);

	for (p = 0; p < SIM_PARTS; p++) {
		pp = &m.parts[p];
		any = false;
		for (o = 0; o < SIM_MAXOFF; o++)
			any = any || pp->consumed[o];
		if (any)
			REQUIRE(pp->stored == pp->last + 1);
		for (o = 0; o < SIM_MAXOFF; o++) {
			if (!pp->ever[o]) {
				REQUIRE(pp->landed[o] == 0);
				continue;
			}
			/* Exactly once, through rebalances too. */
			REQUIRE(pp->landed[o] == 1);
			if (sim_valid(&m, p, o))
				REQUIRE(!pp->as_reject[o] ||
				    pp->server_rejected[o]);
			else {
				REQUIRE(pp->as_reject[o]);
				REQUIRE(!pp->server_rejected[o]);
			}
		}
	}
}
END_TEST

/*
 * Windows.  Batches of 3 rows; windows of up to 9.  A window's body is read
 * in pieces of WINDOW_PIECE bytes, as curl would, into wbody.
 */
#define WINDOW_PIECE	50

static uint8_t	wbody[64 * ROW_BYTES];
static size_t	wlen;

/* Windows on, at most 9 rows, and the test reads their bodies. */
static void
window_setup(void)
{
	setup();
	cf.window_rows = 9;
	cf.window_max_us = 100 * DELAY;
	wlen = 0;
}

/* Read w until it waits or ends; true if it ended. */
static bool
window_read(struct sink_window *w, uint64_t now)
{
	size_t	n;
	bool	wait;

	for (;;) {
		REQUIRE(wlen + WINDOW_PIECE <= sizeof wbody);
		n = sink_window_read(sk, w, wbody + wlen, WINDOW_PIECE, now,
		    &wait);
		wlen += n;
		if (n == 0)
			return (!wait);
	}
}

/* Read at most n bytes of w. */
static void
window_read_some(struct sink_window *w, size_t n, uint64_t now)
{
	bool	wait;

	wlen += sink_window_read(sk, w, wbody + wlen, n, now, &wait);
}

/*
 * The window body read so far, as the server reads it: whole Native
 * blocks, their rows into rows (RowBinary).  Returns the row count.
 */
static uint64_t
window_rows(struct buf *rows)
{
	uint64_t	n;

	ck_assert_int_eq(native_rows(wbody, wlen, rows, &n), (long)wlen);
	ck_assert_uint_eq(rows->len, n * ROW_BYTES);
	return (n);
}

/* The window body read so far is exactly rows p@first.. in order. */
static void
expect_window_rows(int32_t p, int64_t first, size_t n)
{
	struct tick		t;
	struct rowenc_origin	o;
	struct buf		rows;
	size_t			k;

	buf_init(&rows);
	ck_assert_uint_eq(window_rows(&rows), n);
	for (k = 0; k < n; k++) {
		ck_assert_int_eq(rowenc_tick_parse(rows.data + k * ROW_BYTES,
		    ROW_BYTES, cf.dialect, &t, &o), 0);
		ck_assert_int_eq(o.partition, p);
		ck_assert_int_eq(o.offset, first + (int64_t)k);
	}
	buf_clear(&rows);
}

/* The window body read so far holds n rows. */
static void
expect_window_nrows(uint64_t n)
{
	struct buf	rows;

	buf_init(&rows);
	ck_assert_uint_eq(window_rows(&rows), n);
	buf_clear(&rows);
}

/*
 * The only action is the wake-up of w's reader, w is sealed, and reading
 * it now comes to its end.
 */
static void
expect_window_ended(struct sink_window *w, uint64_t now)
{
	collect();
	ck_assert_uint_eq(nacts, 1);
	ck_assert_int_eq(acts[0].kind, SINK_ACT_STREAM_MORE);
	ck_assert_ptr_eq(acts[0].window, w);
	ck_assert(w->sealed);
	ck_assert(window_read(w, now));
}

/* Answer a window. */
static void
window_answer(struct sink_window *w, enum insert_transport tr, long status,
    uint64_t now)
{
	struct insert_response	r = { tr, status, "", 0, 0 };

	sink_window_done(sk, w, &r, now);
}

/* One partition, and a window with its first batch, p0@0..2, in it. */
static struct sink_window *
window_of_one(void)
{
	start(1);
	feed_valid(0, 0, 3, T0);
	collect();
	ck_assert_uint_eq(nacts, 1);
	ck_assert_int_eq(acts[0].kind, SINK_ACT_STREAM);
	ck_assert_ptr_nonnull(acts[0].window);
	return (acts[0].window);
}

/*
 * A backlog: batches closed full go into one window, at most two of them
 * not yet read; each batch's memory goes as soon as it is read; the window
 * ends before a batch could take it past window_rows, and its landing
 * stores everything.
 */
START_TEST(test_sink_window_backlog)
{
	struct sink_window	*w;

	cf.max_inflight = 2;	/* a slot free: the waiting batch is no retry */
	w = window_of_one();
	ck_assert_uint_eq(sk->ninflight, 1);
	feed_valid(0, 3, 3, T0);
	ck_assert(!sink_saturated(sk));
	feed_valid(0, 6, 3, T0);
	/* Two batches wait to be read: the third waits in the queue. */
	ck_assert_uint_eq(w->unread, 2);
	ck_assert(sink_saturated(sk));
	/* It waits for the reader, not for a time: no timer due now. */
	ck_assert_uint_gt(sink_next_deadline(sk), T0);
	ck_assert_uint_eq(sink_buffered_bytes(sk), 9 * ROW_COST);
	expect_nothing();
	window_read_some(w, rowenc_native_size(cf.dialect, 3 * ROW_BYTES, 3),
	    T0);
	/* The first is read: its memory is back, the third joined. */
	ck_assert_uint_eq(sink_buffered_bytes(sk), 6 * ROW_COST);
	ck_assert(!sink_saturated(sk));
	ck_assert(w->sealed);
	ck_assert_ptr_null(sk->window);
	ck_assert(window_read(w, T0));
	expect_window_rows(0, 0, 9);
	ck_assert_uint_eq(sink_buffered_bytes(sk), 0);
	expect_nothing();
	window_answer(w, INSERT_NET_OK, 200, T0);
	collect();
	expect_one_store(0, 9);
	ck_assert_uint_eq(sk->stats.rows_landed, 9);
	ck_assert_uint_eq(sk->stats.windows_ok, 1);
	ck_assert_uint_eq(sk->ninflight, 0);
	ck_assert(sink_is_idle(sk));
}
END_TEST

/*
 * The reader waits when it has read everything, and is woken when the next
 * batch joins, or when the window ends: a batch's delay after the last one
 * joined, with nothing new.
 */
START_TEST(test_sink_window_waits)
{
	struct sink_window	*w;

	w = window_of_one();
	ck_assert(!window_read(w, T0));
	expect_window_rows(0, 0, 3);
	ck_assert(w->waiting);
	ck_assert_uint_eq(sink_next_deadline(sk), T0 + DELAY);
	feed_valid(0, 3, 3, T0 + 1);
	collect();
	ck_assert_uint_eq(nacts, 1);
	ck_assert_int_eq(acts[0].kind, SINK_ACT_STREAM_MORE);
	ck_assert_ptr_eq(acts[0].window, w);
	ck_assert(!window_read(w, T0 + 1));
	sink_tick(sk, T0 + DELAY);
	expect_nothing();		/* a delay after the last batch, not the first */
	sink_tick(sk, T0 + 1 + DELAY);
	expect_window_ended(w, T0 + 1 + DELAY);
	expect_window_rows(0, 0, 6);
}
END_TEST

/* Steady state: a batch closed by its delay is a plain insert. */
START_TEST(test_sink_window_not_for_delay)
{
	struct sink_insert	*ins;

	start(1);
	feed_valid(0, 0, 2, T0);
	sink_tick(sk, T0 + DELAY);
	ins = expect_only_insert();
	expect_rows(ins, 0, 0, 2);
	ck_assert_ptr_null(sk->window);
}
END_TEST

/*
 * The end of a backlog: the batch closed by its delay joins the open window
 * as its last (one part on the server, not two), and ends it.
 */
START_TEST(test_sink_window_last_batch)
{
	struct sink_window	*w;

	cf.max_inflight = 2;
	w = window_of_one();
	ck_assert(!window_read(w, T0));
	feed_valid(0, 3, 1, T0 + 10);
	sink_tick(sk, T0 + 10 + DELAY);
	expect_window_ended(w, T0 + 10 + DELAY);
	expect_window_rows(0, 0, 4);
	window_answer(w, INSERT_NET_OK, 200, T0 + 20 + DELAY);
	collect();
	expect_one_store(0, 4);
	ck_assert(sink_is_idle(sk));
}
END_TEST

/*
 * A window that fails after a byte was read: each partition with rows in it
 * is read again from its first offset not landed (p1 from 4: 0..3 landed in
 * a plain insert before), nothing is stored, and for the next 2 x
 * window_rows messages batches go as plain inserts.
 */
START_TEST(test_sink_window_failed_reads_again)
{
	struct sink_window	*w;
	struct sink_insert	*ins;
	struct sink_action	*a;

	cf.max_inflight = 2;
	start(3);
	feed_valid(1, 0, 2, T0);
	sink_tick(sk, T0 + DELAY);
	ins = expect_only_insert();
	answer(ins, 200, "", T0 + DELAY);
	collect();
	expect_one_store(1, 2);
	feed_valid(0, 10, 2, T0 + DELAY);
	feed_valid(1, 2, 1, T0 + DELAY);	/* closes 0@10, 0@11, 1@2 */
	collect();
	ck_assert_uint_eq(nacts, 1);
	ck_assert_int_eq(acts[0].kind, SINK_ACT_STREAM);
	w = acts[0].window;
	feed_valid(1, 3, 2, T0 + DELAY);	/* the open batch: 1@3, 1@4 */
	window_read_some(w, 10, T0 + DELAY);
	window_answer(w, INSERT_NET_ERROR, 0, T0 + DELAY);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_STORE), 0);
	ck_assert_uint_eq(count_kind(SINK_ACT_SEEK), 2);
	a = nth_kind(SINK_ACT_SEEK, 0);
	ck_assert_int_eq(a->partition, 0);
	ck_assert_int_eq(a->offset, 10);
	a = nth_kind(SINK_ACT_SEEK, 1);
	ck_assert_int_eq(a->partition, 1);
	ck_assert_int_eq(a->offset, 2);
	ck_assert_uint_eq(sk->stats.windows_failed, 1);
	ck_assert_uint_eq(sk->ninflight, 0);
	/* The open batch's rows of p1 went with the old assignment. */
	ck_assert_ptr_null(sk->open[SCHEMA_TICKS]);
	ck_assert_uint_eq(sink_buffered_bytes(sk), 0);
	ck_assert_int_eq(sk->parts[1].state, SINK_PART_UNCHECKED);
	ck_assert_uint_eq(sk->windows_after, 7 + 2 * 9);
	/* Read again: the batch closed full is a plain insert now. */
	feed_valid(0, 10, 2, T0 + 2 * DELAY);
	feed_valid(1, 2, 1, T0 + 2 * DELAY);
	ins = expect_only_insert();
	ck_assert_uint_eq(ins->nrows, 3);
	answer(ins, 200, "", T0 + 2 * DELAY);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_STORE), 2);
	ck_assert_int_eq(nth_kind(SINK_ACT_STORE, 0)->offset, 12);
	ck_assert_int_eq(nth_kind(SINK_ACT_STORE, 1)->offset, 3);
}
END_TEST

/*
 * A window that fails before a byte of it was read (no connection): its
 * batches are sent again, as plain inserts after a backoff; nothing is read
 * again from Kafka.
 */
START_TEST(test_sink_window_failed_unread)
{
	struct sink_window	*w;
	struct sink_insert	*ins;
	uint64_t		 d;

	start(1);
	feed_valid(0, 0, 6, T0);
	collect();
	w = acts[0].window;
	ck_assert_uint_eq(w->unread, 2);
	window_answer(w, INSERT_NET_ERROR, 0, T0);
	expect_nothing();
	ck_assert_uint_eq(sk->stats.windows_failed, 0);
	d = sink_next_deadline(sk);
	ck_assert_uint_gt(d, T0);
	sink_tick(sk, d);
	ins = expect_only_insert();
	expect_rows(ins, 0, 0, 3);
	answer(ins, 200, "", d);
	collect();
	expect_one_store(0, 3);
	ins = nth_kind(SINK_ACT_INSERT, 0)->insert;
	expect_rows(ins, 0, 3, 3);
	answer(ins, 200, "", d);
	collect();
	expect_one_store(0, 6);
}
END_TEST

/* Two partitions, and a window with p0@0, p0@1 and p1@0 in it. */
static struct sink_window *
window_of_two(void)
{
	start(2);
	feed_valid(0, 0, 2, T0);
	feed_valid(1, 0, 1, T0);
	collect();
	ck_assert_int_eq(acts[0].kind, SINK_ACT_STREAM);
	return (acts[0].window);
}

/*
 * Revocation ends the open window; its rows of the revoked partition land
 * with it but are not stored, those of the others are.
 */
START_TEST(test_sink_window_revoke)
{
	struct sink_window	*w;

	w = window_of_two();
	ck_assert(!w->sealed);
	sink_revoke(sk, 1);
	ck_assert(w->sealed);
	ck_assert(window_read(w, T0));
	window_answer(w, INSERT_NET_OK, 200, T0);
	collect();
	expect_one_store(0, 2);
}
END_TEST

/* The failed window's partition, revoked since, is not read again. */
START_TEST(test_sink_window_failed_revoked)
{
	struct sink_window	*w;

	w = window_of_two();
	window_read_some(w, 1, T0);
	sink_revoke(sk, 1);
	window_answer(w, INSERT_NET_TIMEOUT, 0, T0);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_SEEK), 1);
	ck_assert_int_eq(nth_kind(SINK_ACT_SEEK, 0)->partition, 0);
	ck_assert_int_eq(nth_kind(SINK_ACT_SEEK, 0)->offset, 0);
	ck_assert(sink_is_idle(sk));
}
END_TEST

/* A window ends at window_max_us, however busy. */
START_TEST(test_sink_window_max_age)
{
	struct sink_window	*w;

	cf.window_rows = 1000;
	w = window_of_one();
	ck_assert_uint_eq(sink_next_deadline(sk), T0 + 100 * DELAY);
	ck_assert(!window_read(w, T0));
	ck_assert_uint_eq(sink_next_deadline(sk), T0 + DELAY);
	feed_valid(0, 3, 3, T0 + 1);
	ck_assert_uint_eq(sink_next_deadline(sk), T0 + 100 * DELAY);
	sink_tick(sk, T0 + 100 * DELAY);
	ck_assert(w->sealed);
}
END_TEST

/*
 * The end of a backlog, told by Kafka: once every assigned partition is read
 * to its end, the open ticks batch closes at once and ends the window in
 * it, rather than a batch's delay later.
 */
START_TEST(test_sink_window_caught_up)
{
	struct sink_window	*w;

	cf.max_inflight = 2;
	w = window_of_two();
	ck_assert(!window_read(w, T0));
	feed_valid(1, 1, 1, T0 + 10);
	sink_caught_up(sk, 0, T0 + 11);
	expect_nothing();		/* p1 may have more */
	sink_caught_up(sk, 1, T0 + 12);
	ck_assert_uint_eq(sk->stats.flush_reason[BATCH_FLUSH_CAUGHT_UP], 1);
	expect_window_ended(w, T0 + 12);
	expect_window_nrows(4);
	window_answer(w, INSERT_NET_OK, 200, T0 + 20);
	collect();
	ck_assert_uint_eq(count_kind(SINK_ACT_STORE), 2);
	ck_assert(sink_is_idle(sk));
}
END_TEST

/* A message after its partition's end: that partition has more again. */
START_TEST(test_sink_window_caught_up_then_more)
{
	struct sink_window	*w;

	cf.max_inflight = 2;
	w = window_of_two();
	ck_assert(!window_read(w, T0));
	sink_caught_up(sk, 0, T0 + 1);
	feed_valid(0, 2, 1, T0 + 2);
	sink_caught_up(sk, 1, T0 + 3);
	expect_nothing();
	ck_assert(!w->sealed);
	sink_caught_up(sk, 0, T0 + 4);
	expect_window_ended(w, T0 + 4);
	expect_window_nrows(4);
}
END_TEST

/* With every batch in the window already, it ends at once too. */
START_TEST(test_sink_window_caught_up_no_batch)
{
	struct sink_window	*w;

	w = window_of_one();
	ck_assert(!window_read(w, T0));
	sink_caught_up(sk, 0, T0 + 1);
	expect_window_ended(w, T0 + 1);
	expect_window_rows(0, 0, 3);
}
END_TEST

/* Steady state has no window: the end of a partition changes nothing. */
START_TEST(test_sink_caught_up_steady)
{
	struct sink_insert	*ins;

	start(1);
	feed_valid(0, 0, 2, T0);
	sink_caught_up(sk, 0, T0 + 1);
	expect_nothing();
	sink_tick(sk, T0 + DELAY);
	ins = expect_only_insert();
	expect_rows(ins, 0, 0, 2);
	ck_assert_uint_eq(sk->stats.flush_reason[BATCH_FLUSH_CAUGHT_UP], 0);
}
END_TEST

/* Builds the suite. */
static Suite *
sink_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("sink");

	tc = tcase_create("flow");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sink_insert_after_max_rows);
	tcase_add_loop_test(tc, test_sink_row_content, 0, 2);
	tcase_add_test(tc, test_sink_max_inflight);
	tcase_add_test(tc, test_sink_max_inflight_two);
	tcase_add_test(tc, test_sink_saturated);
	tcase_add_test(tc, test_sink_store_after_landing);
	tcase_add_test(tc, test_sink_out_of_order_completion);
	tcase_add_test(tc, test_sink_quiet_flush);
	tcase_add_test(tc, test_sink_delay_from_first_row);
	tcase_add_test(tc, test_sink_bytes_trigger);
	tcase_add_test(tc, test_sink_late_row_joins_batch);
	tcase_add_test(tc, test_sink_read_by);
	tcase_add_test(tc, test_sink_read_by_not_after_full);
	tcase_add_test(tc, test_sink_next_deadline);
	tcase_add_test(tc, test_sink_is_idle);
	suite_add_tcase(s, tc);

	tc = tcase_create("retry");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_sink_retry_same_bytes, 0,
	    nitems(retries));
	tcase_add_test(tc, test_sink_retry_backoff_grows);
	tcase_add_test(tc, test_sink_retry_deterministic);
	suite_add_tcase(s, tc);

	tc = tcase_create("reject");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sink_reject_commits_when_landed);
	tcase_add_loop_test(tc, test_sink_reject_row_content, 0,
	    nitems(invalids));
	tcase_add_test(tc, test_sink_poison_split);
	tcase_add_loop_test(tc, test_sink_poison_split_sizes, 0, 2);
	tcase_add_test(tc, test_sink_poison_single_row_rejected);
	tcase_add_test(tc, test_sink_poison_reject_raw_size);
	tcase_add_test(tc, test_sink_poisoned_rejects_retried);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sink_backpressure);
	tcase_add_test(tc, test_sink_no_pause_below_bound);
	tcase_add_test(tc, test_sink_drain_closes_partial);
	tcase_add_test(tc, test_sink_drain_no_resume);
	tcase_add_test(tc, test_sink_free_releases_everything);
	tcase_add_test(tc, test_sink_spare_buffers);
	suite_add_tcase(s, tc);

	tc = tcase_create("partitions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sink_revoke_never_stores);
	tcase_add_test(tc, test_sink_revoke_open_batch);
	tcase_add_test(tc, test_sink_unassigned_no_rows);
	tcase_add_test(tc, test_sink_check_one_per_poll);
	tcase_add_test(tc, test_sink_check_one_round_out);
	tcase_add_test(tc, test_sink_check_stale_answer);
	tcase_add_test(tc, test_sink_check_failed_asks_again);
	tcase_add_test(tc, test_sink_check_split);
	suite_add_tcase(s, tc);

	tc = tcase_create("window");
	tcase_add_checked_fixture(tc, window_setup, teardown);
	tcase_add_test(tc, test_sink_window_backlog);
	tcase_add_test(tc, test_sink_window_waits);
	tcase_add_test(tc, test_sink_window_not_for_delay);
	tcase_add_test(tc, test_sink_window_last_batch);
	tcase_add_test(tc, test_sink_window_failed_reads_again);
	tcase_add_test(tc, test_sink_window_failed_unread);
	tcase_add_test(tc, test_sink_window_revoke);
	tcase_add_test(tc, test_sink_window_failed_revoked);
	tcase_add_test(tc, test_sink_window_max_age);
	tcase_add_test(tc, test_sink_window_caught_up);
	tcase_add_test(tc, test_sink_window_caught_up_then_more);
	tcase_add_test(tc, test_sink_window_caught_up_no_batch);
	tcase_add_test(tc, test_sink_caught_up_steady);
	suite_add_tcase(s, tc);

	tc = tcase_create("simulation");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_sink_random, 0, 200);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (check_run(sink_suite()));
}
