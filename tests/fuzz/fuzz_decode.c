/*
 * ticksink: fuzz target for decode_tick, the message decoder and validator.
 *
 * The input is one Kafka message value.  Besides not crashing, the target
 * checks the contract of decode.h that a caller relies on: the reason is in
 * range and has a name, the detail is NUL-terminated inside its buffer, and
 * an accepted tick satisfies every rule (finite positive price, finite
 * non-negative volume, a printable symbol of at most 64 bytes, times in the
 * window).  A violation aborts, which the fuzzer reports as a crash.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "fuzz.h"

/* 2025-09-12T14:03:20Z, the wall clock every input is judged against. */
#define FUZZ_NOW_MS	INT64_C(1757685800000)
#define FUZZ_SKEW_MS	INT64_C(300000)
#define FUZZ_MAX_BYTES	65536

/* Abort unless an accepted tick obeys every rule of DESIGN.md §1. */
static void
fuzz_decode_check_tick(const struct tick *t)
{
	size_t	i;

	if (!isfinite(t->price) || !(t->price > 0))
		abort();
	if (!isfinite(t->volume) || t->volume < 0 || signbit(t->volume))
		abort();
	if (t->symbol_len == 0 || t->symbol_len > TICK_SYMBOL_MAX ||
	    t->symbol[t->symbol_len] != '\0')
		abort();
	for (i = 0; i < t->symbol_len; i++)
		if (t->symbol[i] < 0x21 || t->symbol[i] > 0x7e)
			abort();
	if (t->ts_ms < INT64_C(1230768000000) ||
	    t->ts_ms > FUZZ_NOW_MS + FUZZ_SKEW_MS ||
	    t->recv_ms > FUZZ_NOW_MS + FUZZ_SKEW_MS ||
	    t->ts_ms - t->recv_ms > FUZZ_SKEW_MS)
		abort();
}

/* libFuzzer entry: decode one message value, then check the verdict. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct decoder	*d;
	static const struct decode_limits limits = { FUZZ_MAX_BYTES,
				    FUZZ_SKEW_MS };
	struct tick		 t;
	enum decode_reason	 r;
	char			 detail[256];
	char			 small[8];

	if (d == NULL)
		d = decode_new(&limits);
	memset(detail, 'x', sizeof detail);
	r = decode_tick(d, size == 0 ? NULL : data, size, FUZZ_NOW_MS, &t,
	    detail, sizeof detail);
	if ((int)r < DECODE_OK || (int)r >= DECODE_NREASONS ||
	    strcmp(decode_reason_name(r), "unknown") == 0)
		abort();
	if (memchr(detail, '\0', sizeof detail) == NULL)
		abort();
	if (r == DECODE_OK) {
		if (detail[0] != '\0')
			abort();
		fuzz_decode_check_tick(&t);
	} else if (detail[0] == '\0')
		abort();

	/* The same input with a tiny detail buffer gives the same reason. */
	memset(small, 'x', sizeof small);
	if (decode_tick(d, size == 0 ? NULL : data, size, FUZZ_NOW_MS, &t,
	    small, sizeof small) != r ||
	    memchr(small, '\0', sizeof small) == NULL)
		abort();
	return (0);
}
