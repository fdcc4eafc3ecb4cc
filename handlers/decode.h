/*
 * ticksink: decode and validate one tick message (DESIGN.md §1).
 */
#ifndef HANDLERS_DECODE_H
#define HANDLERS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "tick.h"

struct decoder;

/* Nesting deeper than this is rejected; the top-level object is level 1. */
#define DECODE_MAX_DEPTH	16

/*
 * Why a message was rejected; each has a stable name for the rejects table
 * and the counters.  When several rules fail, the first in this order wins:
 *  1. empty, too_large (before parsing);
 *  2. bad_json or too_deep, whichever comes first in the bytes;
 *  3. not_object;
 *  4. duplicate_field, then missing_field, then wrong_type, each looking at
 *     the fields in the order symbol, price, volume, timestamp, timestamp_ms,
 *     received_at;
 *  5. bad_symbol, bad_price, bad_volume;
 *  6. bad_time for timestamp, then timestamp_ms, then received_at;
 *  7. time_out_of_range for timestamp_ms, then received_at;
 *  8. time_mismatch;
 *  9. received_before_trade.
 */
enum decode_reason {
	DECODE_OK = 0,
	DECODE_EMPTY,		/* "empty": zero-length value or NULL (tombstone) */
	DECODE_TOO_LARGE,	/* "too_large": over max_message_bytes */
	DECODE_BAD_JSON,	/* "bad_json": not well-formed JSON, invalid UTF-8, NaN/Infinity literals */
	DECODE_TOO_DEEP,	/* "too_deep": nesting deeper than DECODE_MAX_DEPTH (16) */
	DECODE_NOT_OBJECT,	/* "not_object": top level is not an object */
	DECODE_DUPLICATE_FIELD,	/* "duplicate_field": a known field given twice */
	DECODE_MISSING_FIELD,	/* "missing_field" */
	DECODE_WRONG_TYPE,	/* "wrong_type": known field of the wrong JSON type */
	DECODE_BAD_SYMBOL,	/* "bad_symbol": empty, > 64 bytes, or not printable ASCII 0x21-0x7e */
	DECODE_BAD_PRICE,	/* "bad_price": not finite or <= 0 (1e400 is not finite) */
	DECODE_BAD_VOLUME,	/* "bad_volume": not finite or < 0 */
	DECODE_BAD_TIME,	/* "bad_time": timestamp/received_at not ISO-8601 with an offset, or timestamp_ms not an integer */
	DECODE_TIME_RANGE,	/* "time_out_of_range": timestamp_ms before 2009-01-01 or more than max_skew_ms after now; same window for received_at */
	DECODE_TIME_MISMATCH,	/* "time_mismatch": timestamp does not floor to timestamp_ms */
	DECODE_RECEIVED_EARLY,	/* "received_before_trade": received_at < timestamp - max_skew_ms */
	DECODE_NREASONS
};

/*
 * Limits, fixed for the decoder's life.  max_message_bytes must be > 0 and
 * max_skew_ms >= 0.
 */
struct decode_limits {
	size_t		max_message_bytes;
	int64_t		max_skew_ms;
};

/* Returns allocated; free with decode_free.  The limits are copied. */
struct decoder	*decode_new(const struct decode_limits *);

/* Free a decoder from decode_new; NULL is ignored. */
void		 decode_free(struct decoder *);

/*
 * Decode and validate one message value (buf may be NULL with len 0 for a
 * tombstone; borrowed during call).  now_ms: injected wall clock, ms since
 * epoch UTC.  On DECODE_OK fills *out (borrowed) and sets detail to "";
 * on a rejection *out is left untouched and a short human-readable detail
 * naming the field and value (e.g. "missing field 'price'", "field 'price'
 * is a string, expected a number", "price -1.5 is not > 0", "timestamp
 * '2025-13-01T...' is not ISO-8601 with an offset") is written into detail
 * (borrowed; always NUL-terminated, truncated to detail_size; NULL allowed
 * when detail_size is 0).  At most 40 bytes of input are echoed, with
 * non-printable bytes, quotes and backslashes escaped as \xNN.
 *
 * Times: tick.ts_ms is timestamp_ms itself; tick.recv_ms is received_at
 * floored to the millisecond.  The window checks and the received_at bound
 * compare these millisecond values.  A timestamp_ms beyond int64_t is
 * time_out_of_range; one written with a fraction or exponent (even 1.0e3)
 * is bad_time.  A volume of -0 is accepted and stored as +0.
 *
 * The decoder keeps scratch memory between calls; use it from one thread.
 */
enum decode_reason
		 decode_tick(struct decoder *, const void *buf, size_t len,
		     int64_t now_ms, struct tick *out, char *detail,
		     size_t detail_size);

/*
 * The reason's name as listed above ("bad_json"...); static storage.  An
 * out-of-range value gives "unknown".
 */
const char	*decode_reason_name(enum decode_reason);

#endif /* HANDLERS_DECODE_H */
