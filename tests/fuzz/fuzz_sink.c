/*
 * ticksink: fuzz target for the sans-I/O core, struct sink, played as the
 * reactor would play it.
 *
 * The input is a program: each byte picks an operation and the following
 * bytes are its arguments.  Messages carry arbitrary payloads; inserts,
 * probes and resume checks are answered in any order with arbitrary
 * statuses and bodies (ClickHouse exception text, garbage, offset lists);
 * partitions are assigned and revoked; the clock jumps; the drain starts.
 * The harness keeps to the reactor's side of the contract (sink.h): it
 * answers each insert or probe it was given exactly once and feeds no
 * message after the drain began.  Offsets the sink stores must never go
 * backwards within one assignment of a partition.
 */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sink.h"

#define FUZZ_SINK_PARTS		4
#define FUZZ_SINK_OUT		64
#define FUZZ_SINK_CHECKS	16
#define FUZZ_SINK_NOW_MS	INT64_C(1757685800000)

/* The input being read, byte by byte; reads past the end give 0. */
struct fuzz_in {
	const uint8_t	*p;
	size_t		 left;
};

/* An insert or probe the harness was given and has not answered. */
struct fuzz_out {
	struct sink_insert	*ins;
	bool			 probe;
};

/* The harness: the sink, what is outstanding, the clock. */
struct fuzz_sink {
	struct sink		*s;
	struct fuzz_out		 out[FUZZ_SINK_OUT];
	size_t			 nout;
	uint64_t		 check[FUZZ_SINK_CHECKS];	/* unanswered */
	size_t			 ncheck;
	int64_t			 next_off[FUZZ_SINK_PARTS];
	int64_t			 stored[FUZZ_SINK_PARTS];
	uint64_t		 now;
	bool			 draining;
};

/* One byte of the input, or 0 at its end. */
static uint8_t
fuzz_byte(struct fuzz_in *in)
{
	if (in->left == 0)
		return (0);
	in->left--;
	return (*in->p++);
}

/* Up to max bytes of the input as a span; *len gets its size. */
static const uint8_t *
fuzz_span(struct fuzz_in *in, size_t max, size_t *len)
{
	const uint8_t	*p = in->p;

	*len = max < in->left ? max : in->left;
	in->p += *len;
	in->left -= *len;
	return (p);
}

/*
 * Forget the checks no partition waits for any more (revoked, assigned
 * again): their answers would be ignored.  At most one check per
 * partition is live, so this makes room.
 */
static void
fuzz_sink_forget(struct fuzz_sink *f)
{
	size_t	i, k, n = 0;
	bool	live;

	for (i = 0; i < f->ncheck; i++) {
		for (k = 0, live = false; k < f->s->nparts; k++)
			live |= f->s->parts[k].check == f->check[i];
		if (live)
			f->check[n++] = f->check[i];
	}
	f->ncheck = n;
}

/* Take every action the sink has, remembering what needs an answer. */
static void
fuzz_sink_collect(struct fuzz_sink *f)
{
	struct sink_action	a;

	while (sink_next_action(f->s, &a)) {
		switch (a.kind) {
		case SINK_ACT_INSERT:
		case SINK_ACT_PROBE:
			if (f->nout == FUZZ_SINK_OUT)
				abort();
			f->out[f->nout].ins = a.insert;
			f->out[f->nout].probe = a.kind == SINK_ACT_PROBE;
			f->nout++;
			break;
		case SINK_ACT_LANDED_QUERY:
			if (a.check == 0)
				abort();
			if (f->ncheck == FUZZ_SINK_CHECKS)
				fuzz_sink_forget(f);
			if (f->ncheck == FUZZ_SINK_CHECKS)
				abort();
			f->check[f->ncheck++] = a.check;
			break;
		case SINK_ACT_STORE:
			if (a.partition < 0 || a.partition >= FUZZ_SINK_PARTS ||
			    a.offset < f->stored[a.partition] ||
			    a.offset > f->next_off[a.partition])
				abort();
			f->stored[a.partition] = a.offset;
			break;
		default:
			break;
		}
	}
}

/* Answer outstanding request i with an answer read from the input. */
static void
fuzz_sink_answer(struct fuzz_sink *f, struct fuzz_in *in, size_t i)
{
	static const long	 statuses[] = { 200, 200, 500, 502, 503, 504,
				    400, 404, 413 };
	struct insert_response	 r;
	struct fuzz_out		 o = f->out[i];
	const uint8_t		*body;
	char			*copy;
	size_t			 len;
	uint8_t			 b;

	f->out[i] = f->out[--f->nout];
	b = fuzz_byte(in);
	if (o.probe) {
		sink_probe_done(f->s, o.ins, (enum sink_probe_result)(b % 3),
		    f->now);
		return;
	}
	body = fuzz_span(in, fuzz_byte(in), &len);
	if ((copy = malloc(len + 1)) == NULL)
		abort();
	memcpy(copy, body, len);
	copy[len] = '\0';
	r.transport = (enum insert_transport)(b % 3);
	r.status = statuses[(b / 3) % (sizeof statuses / sizeof statuses[0])];
	r.body = copy;
	r.len = len;
	sink_insert_done(f->s, o.ins, &r, f->now, FUZZ_SINK_NOW_MS);
	free(copy);
}

/* Run one operation of the program. */
static void
fuzz_sink_op(struct fuzz_sink *f, struct fuzz_in *in)
{
	struct sink_msg	 m;
	const uint8_t	*body;
	char		*copy;
	size_t		 len, i;
	uint8_t		 op, b;
	int32_t		 p;
	uint64_t	 check;

	op = fuzz_byte(in);
	p = (op >> 4) % FUZZ_SINK_PARTS;
	switch (op % 8) {
	case 0:
	case 1:
		if (f->draining)
			break;
		b = fuzz_byte(in);
		memset(&m, 0, sizeof m);
		m.partition = p;
		m.offset = f->next_off[p]++;
		m.timestamp_ms = b & 1 ? -1 : FUZZ_SINK_NOW_MS;
		body = fuzz_span(in, b, &len);
		/* A private copy, so that reads past it are caught. */
		if ((copy = malloc(len == 0 ? 1 : len)) == NULL)
			abort();
		memcpy(copy, body, len);
		m.payload = b == 0 ? NULL : copy;
		m.len = b == 0 ? 0 : len;
		sink_message(f->s, &m, f->now, FUZZ_SINK_NOW_MS);
		free(copy);
		if (fuzz_byte(in) & 1)
			sink_polled(f->s, f->now);
		break;
	case 2:
		sink_assign(f->s, p);
		f->stored[p] = 0;
		break;
	case 3:
		sink_revoke(f->s, p);
		f->stored[p] = 0;
		break;
	case 4:
		f->now += (uint64_t)fuzz_byte(in) * 10000;
		sink_tick(f->s, f->now);
		break;
	case 5:
		if (f->nout > 0)
			fuzz_sink_answer(f, in, fuzz_byte(in) % f->nout);
		break;
	case 6:
		if (f->ncheck == 0)
			break;
		i = fuzz_byte(in) % f->ncheck;
		check = f->check[i];
		f->check[i] = f->check[--f->ncheck];
		b = fuzz_byte(in);
		if (b & 1) {
			sink_landed_failed(f->s, check, f->now);
			break;
		}
		body = fuzz_span(in, b >> 1, &len);
		if ((copy = malloc(len == 0 ? 1 : len)) == NULL)
			abort();
		memcpy(copy, body, len);
		sink_landed_answer(f->s, check, copy, len, f->now,
		    FUZZ_SINK_NOW_MS);
		free(copy);
		break;
	case 7:
		if (!f->draining && fuzz_byte(in) == 0xdd) {
			f->draining = true;
			sink_drain(f->s, f->now);
		}
		break;
	}
	fuzz_sink_collect(f);
}

/* libFuzzer entry: configure a small sink from the input, run the program. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in = { data, size };
	struct fuzz_sink	 f;
	struct sink_conf	 sc;
	uint8_t			 b;
	int32_t			 p;

	fuzz_quiet();
	memset(&f, 0, sizeof f);
	memset(&sc, 0, sizeof sc);
	b = fuzz_byte(&in);
	sc.topic = "price_ticks";
	sc.dialect = b & 1 ? SCHEMA_LEGACY : SCHEMA_CURRENT;
	sc.limits.max_rows = 1 + (b >> 1) % 8;
	sc.limits.max_bytes = 256 + (size_t)fuzz_byte(&in) * 16;
	sc.limits.max_delay_us = 1000;
	sc.max_inflight = 1 + (b >> 4) % 3;
	sc.max_buffer_bytes = 4096 + (size_t)fuzz_byte(&in) * 256;
	sc.decode.max_message_bytes = 200;
	sc.decode.max_skew_ms = 300000;
	sc.reject_raw_max = 64;
	sc.seed = 42;
	f.s = sink_new(&sc);
	f.now = 1000000000;
	for (p = 0; p < FUZZ_SINK_PARTS; p++)
		sink_assign(f.s, p);
	while (in.left > 0)
		fuzz_sink_op(&f, &in);
	sink_free(f.s);
	return (0);
}
