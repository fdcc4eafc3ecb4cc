/*
 * ticksink: Check tests for handlers/decode.c.
 */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "decode.h"
#include "check_run.h"

/* The limits and the injected clock most tests use. */
#define MAX_BYTES	65536
#define SKEW_MS		INT64_C(5000)
/* 2025-09-12T14:03:02.123Z: one second after the example trade. */
#define NOW_MS		INT64_C(1757685782123)

/* DESIGN.md §1's example and its values. */
#define TS_MS		INT64_C(1757685781123)
#define RECV_MS		INT64_C(1757685781187)
#define PRICE		4512.31
#define VOLUME		0.0153
#define SYMBOL		"BINANCE:ETHUSDT"

#define F_TS		"\"timestamp\":\"2025-09-12T14:03:01.123000+00:00\""
#define F_TSMS		"\"timestamp_ms\":1757685781123"
#define F_SYM		"\"symbol\":\"BINANCE:ETHUSDT\""
#define F_PRICE		"\"price\":4512.31"
#define F_VOL		"\"volume\":0.0153"
#define F_RECV							\
	"\"received_at\":\"2025-09-12T14:03:01.187654+00:00\""

#define TS(v)		"\"timestamp\":" v
#define TSMS(v)		"\"timestamp_ms\":" v
#define SYM(v)		"\"symbol\":" v
#define PRC(v)		"\"price\":" v
#define VOL(v)		"\"volume\":" v
#define RECV(v)		"\"received_at\":" v

#define MSG5(a, b, c, d, e)	"{" a "," b "," c "," d "," e "}"
#define MSG6(a, b, c, d, e, f)	"{" a "," b "," c "," d "," e "," f "}"
#define WITH_SYM(v)	MSG6(F_TS, F_TSMS, SYM(v), F_PRICE, F_VOL, F_RECV)
#define WITH_PRICE(v)	MSG6(F_TS, F_TSMS, F_SYM, PRC(v), F_VOL, F_RECV)
#define WITH_VOL(v)	MSG6(F_TS, F_TSMS, F_SYM, F_PRICE, VOL(v), F_RECV)
#define WITH_TIMES(ts, ms, recv)					\
	MSG6(TS("\"" ts "\""), TSMS(ms), F_SYM, F_PRICE, F_VOL,		\
	    RECV("\"" recv "\""))
#define EXAMPLE_FIELDS_NOSYM					\
	F_TS "," F_TSMS "," F_PRICE "," F_VOL "," F_RECV
#define EXAMPLE_FIELDS						\
	F_TS "," F_TSMS "," F_SYM "," F_PRICE "," F_VOL "," F_RECV
#define EXAMPLE		"{" EXAMPLE_FIELDS "}"

/* The message exactly as DESIGN.md §1 prints it, line break included. */
static const char design_example[] =
    "{\"timestamp\": \"2025-09-12T14:03:01.123000+00:00\", "
    "\"timestamp_ms\": 1757685781123,\n"
    " \"symbol\": \"BINANCE:ETHUSDT\", \"price\": 4512.31, "
    "\"volume\": 0.0153,\n"
    " \"received_at\": \"2025-09-12T14:03:01.187654+00:00\"}";

/* 64 printable bytes, from '!' (0x21) to '~' (0x7e). */
#define SYM64							\
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!~"

struct valid_case {
	const char	*json;
	int64_t		 ts_ms;
	int64_t		 recv_ms;
	double		 price;
	double		 volume;
	const char	*symbol;
};

/* Messages that decode, with the tick each must give. */
static const struct valid_case valid_cases[] = {
	{ EXAMPLE, TS_MS, RECV_MS, PRICE, VOLUME, SYMBOL },
	/* Field order is free, whitespace is fine. */
	{ MSG6(F_RECV, F_VOL, F_PRICE, F_SYM, F_TSMS, F_TS),
	    TS_MS, RECV_MS, PRICE, VOLUME, SYMBOL },
	{ " \t\r\n" EXAMPLE " \n\t ", TS_MS, RECV_MS, PRICE, VOLUME, SYMBOL },
	/* Any offset, normalised to UTC. */
	{ WITH_TIMES("2025-09-12T19:33:01.123+05:30", "1757685781123",
	    "2025-09-12T10:03:01.187-04:00"), TS_MS, RECV_MS, PRICE, VOLUME,
	    SYMBOL },
	{ WITH_TIMES("2025-09-12T23:33:01.123+0930", "1757685781123",
	    "2025-09-12T05:03:01.187-09"), TS_MS, RECV_MS, PRICE, VOLUME,
	    SYMBOL },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "2025-09-12t14:03:01.187z"), TS_MS, RECV_MS, PRICE, VOLUME,
	    SYMBOL },
	{ WITH_TIMES("2025-09-12 14:03:01,123Z", "1757685781123",
	    "2025-09-12 14:03:01,187654Z"), TS_MS, RECV_MS, PRICE, VOLUME,
	    SYMBOL },
	/* Python's isoformat drops a zero fraction. */
	{ WITH_TIMES("2025-09-12T14:03:01+00:00", "1757685781000",
	    "2025-09-12T14:03:01+00:00"), INT64_C(1757685781000),
	    INT64_C(1757685781000), PRICE, VOLUME, SYMBOL },
	/* Fractions are floored to the millisecond. */
	{ WITH_TIMES("2025-09-12T14:03:01.123999999Z", "1757685781123",
	    "2025-09-12T14:03:01.1879Z"), TS_MS, RECV_MS, PRICE, VOLUME,
	    SYMBOL },
	{ WITH_TIMES("2025-09-12T14:03:01.1Z", "1757685781100",
	    "2025-09-12T14:03:01.1Z"), INT64_C(1757685781100),
	    INT64_C(1757685781100), PRICE, VOLUME, SYMBOL },
	/* received_at exactly max_skew_ms before the trade. */
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "2025-09-12T14:02:56.123Z"), TS_MS, INT64_C(1757685776123),
	    PRICE, VOLUME, SYMBOL },
	/* Both times exactly at the future bound, now + max_skew_ms. */
	{ WITH_TIMES("2025-09-12T14:03:07.123Z", "1757685787123",
	    "2025-09-12T14:03:07.123Z"), INT64_C(1757685787123),
	    INT64_C(1757685787123), PRICE, VOLUME, SYMBOL },
	/* The first instant of the window. */
	{ WITH_TIMES("2009-01-01T00:00:00Z", "1230768000000",
	    "2009-01-01T00:00:00Z"), INT64_C(1230768000000),
	    INT64_C(1230768000000), PRICE, VOLUME, SYMBOL },
	{ WITH_TIMES("2009-01-01T01:00:00+01:00", "1230768000000",
	    "2009-01-01T00:00:00.000999Z"), INT64_C(1230768000000),
	    INT64_C(1230768000000), PRICE, VOLUME, SYMBOL },
	/* Numbers keep full precision, in any JSON spelling. */
	{ WITH_PRICE("4512.31000000000000000000000000000000000000000001"),
	    TS_MS, RECV_MS, PRICE, VOLUME, SYMBOL },
	{ WITH_PRICE("4.51231e3"), TS_MS, RECV_MS, PRICE, VOLUME, SYMBOL },
	{ WITH_PRICE("4512"), TS_MS, RECV_MS, 4512.0, VOLUME, SYMBOL },
	{ WITH_PRICE("0.1"), TS_MS, RECV_MS, 0.1, VOLUME, SYMBOL },
	{ WITH_PRICE("4.9e-324"), TS_MS, RECV_MS, 4.9e-324, VOLUME, SYMBOL },
	{ WITH_PRICE("1.7976931348623157e308"), TS_MS, RECV_MS,
	    1.7976931348623157e308, VOLUME, SYMBOL },
	{ WITH_VOL("0"), TS_MS, RECV_MS, PRICE, 0.0, SYMBOL },
	{ WITH_VOL("-0"), TS_MS, RECV_MS, PRICE, 0.0, SYMBOL },
	{ WITH_VOL("-0.0e5"), TS_MS, RECV_MS, PRICE, 0.0, SYMBOL },
	{ WITH_VOL("1E+2"), TS_MS, RECV_MS, PRICE, 100.0, SYMBOL },
	/* Symbols: 64 bytes, the printable edges, JSON escapes. */
	{ WITH_SYM("\"" SYM64 "\""), TS_MS, RECV_MS, PRICE, VOLUME, SYM64 },
	{ WITH_SYM("\"X\""), TS_MS, RECV_MS, PRICE, VOLUME, "X" },
	{ WITH_SYM("\"BINANCE\\/ETH\\\"\\\\\\u0041\""), TS_MS, RECV_MS,
	    PRICE, VOLUME, "BINANCE/ETH\"\\A" },
	/* An escaped key is the same key. */
	{ MSG6(F_TS, F_TSMS, F_SYM, "\"pr\\u0069ce\":4512.31", F_VOL, F_RECV),
	    TS_MS, RECV_MS, PRICE, VOLUME, SYMBOL },
	/* Unknown fields of every type are ignored, nested ones too. */
	{ "{\"type\":\"trade\",\"n\":null,\"t\":true,\"f\":false,"
	    "\"big\":1e400,\"neg\":-1,"
	    "\"s\":\"caf\\u00e9 \xc3\xa9 \\ud83d\\ude00\","
	    "\"a\":[1,\"x\",null,[],{}],\"o\":{\"price\":-1,\"symbol\":\"\","
	    "\"timestamp_ms\":\"x\",\"p\":{\"price\":[]}}," EXAMPLE_FIELDS "}",
	    TS_MS, RECV_MS, PRICE, VOLUME, SYMBOL },
	/* A known key inside an unknown field is not the field. */
	{ "{\"data\":[{\"price\":-5,\"volume\":-1}]," EXAMPLE_FIELDS ","
	    "\"meta\":{\"timestamp\":\"bad\",\"received_at\":null}}",
	    TS_MS, RECV_MS, PRICE, VOLUME, SYMBOL },
	/* Unknown keys may repeat; only known ones must not. */
	{ "{\"x\":1,\"x\":2," EXAMPLE_FIELDS "}", TS_MS, RECV_MS, PRICE,
	    VOLUME, SYMBOL },
	/* Nesting exactly DECODE_MAX_DEPTH deep (the object counts as 1). */
	{ "{\"d\":[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]," EXAMPLE_FIELDS "}",
	    TS_MS, RECV_MS, PRICE, VOLUME, SYMBOL },
};

struct reject_case {
	const char		*json;
	size_t			 len;		/* 0: strlen */
	enum decode_reason	 reason;
	const char		*detail;	/* a substring, or NULL */
};

/*
 * Messages that are rejected, with the reason and, for some, a part of the
 * detail.  Several break more than one rule to pin the documented order.
 */
static const struct reject_case reject_cases[] = {
	/* empty */
	{ "", 0, DECODE_EMPTY, "empty" },

	/* bad_json */
	{ "   ", 0, DECODE_BAD_JSON, "premature EOF" },
	{ "{", 0, DECODE_BAD_JSON, NULL },
	{ "{\"price\"}", 0, DECODE_BAD_JSON, NULL },
	{ "{\"a\":1,}", 0, DECODE_BAD_JSON, NULL },
	{ "{'a':1}", 0, DECODE_BAD_JSON, NULL },
	{ EXAMPLE " x", 0, DECODE_BAD_JSON, "trailing garbage" },
	{ EXAMPLE EXAMPLE, 0, DECODE_BAD_JSON, NULL },
	{ EXAMPLE " 1", 0, DECODE_BAD_JSON, "trailing garbage" },
	{ EXAMPLE " \"abc", 0, DECODE_BAD_JSON, "trailing garbage" },
	{ EXAMPLE "\"", 0, DECODE_BAD_JSON, "trailing garbage" },
	{ EXAMPLE " [", 0, DECODE_BAD_JSON, "trailing garbage" },
	{ "\"", 0, DECODE_BAD_JSON, "premature EOF" },
	{ EXAMPLE ",", 0, DECODE_BAD_JSON, NULL },
	{ "/* c */" EXAMPLE, 0, DECODE_BAD_JSON, NULL },
	{ EXAMPLE "// c", 0, DECODE_BAD_JSON, NULL },
	{ WITH_PRICE("NaN"), 0, DECODE_BAD_JSON, NULL },
	{ WITH_PRICE("nan"), 0, DECODE_BAD_JSON, NULL },
	{ WITH_PRICE("Infinity"), 0, DECODE_BAD_JSON, NULL },
	{ WITH_PRICE("-Infinity"), 0, DECODE_BAD_JSON, NULL },
	{ WITH_PRICE("+1"), 0, DECODE_BAD_JSON, NULL },
	{ WITH_PRICE(".5"), 0, DECODE_BAD_JSON, NULL },
	{ WITH_PRICE("1."), 0, DECODE_BAD_JSON, NULL },
	{ WITH_PRICE("0x10"), 0, DECODE_BAD_JSON, NULL },
	{ "{\"note\":\"\xff\xfe\"," EXAMPLE_FIELDS "}", 0, DECODE_BAD_JSON,
	    "UTF8" },
	{ "{\"note\":\"ab\xe2\x82\"," EXAMPLE_FIELDS "}", 0, DECODE_BAD_JSON,
	    "UTF8" },
	{ "{\"\xc3\":1," EXAMPLE_FIELDS "}", 0, DECODE_BAD_JSON, "UTF8" },
	/* Found by tests/hostile: yajl's check lets these through. */
	{ "{\"note\":\"\xc0\xaf\"," EXAMPLE_FIELDS "}", 0, DECODE_BAD_JSON,
	    "invalid UTF-8" },
	{ "{\"note\":\"\xed\xa0\x80\"," EXAMPLE_FIELDS "}", 0,
	    DECODE_BAD_JSON, "invalid UTF-8" },
	{ "{\"note\":\"\xf4\x90\x80\x80\"," EXAMPLE_FIELDS "}", 0,
	    DECODE_BAD_JSON, "invalid UTF-8" },
	{ "{\"\xe0\x80\x80\":1," EXAMPLE_FIELDS "}", 0, DECODE_BAD_JSON,
	    "invalid UTF-8" },
	/*
	 * All ASCII, yet the unescaped text is not UTF-8: yajl decodes a lone
	 * low surrogate escape to ED B0 80 (the ASCII shortcut must not skip
	 * unescaped strings or keys).
	 */
	{ "{\"note\":\"\\udc00\"," EXAMPLE_FIELDS "}", 0, DECODE_BAD_JSON,
	    "invalid UTF-8" },
	{ "{\"\\udfff\":1," EXAMPLE_FIELDS "}", 0, DECODE_BAD_JSON,
	    "invalid UTF-8" },
	{ WITH_SYM("\"BIN\\udc00\""), 0, DECODE_BAD_JSON, "invalid UTF-8" },
	{ WITH_SYM("\"BIN\x01" "ANCE\""), 0, DECODE_BAD_JSON, NULL },
	{ WITH_SYM("\"BIN\\qANCE\""), 0, DECODE_BAD_JSON, NULL },
	{ "{\"a\":1}\0", 8, DECODE_BAD_JSON, NULL },
	/* bad_json wins over everything the parse had seen before it. */
	{ "[1,2", 0, DECODE_BAD_JSON, NULL },
	{ "{\"price\":\"x\",\"price\":1", 0, DECODE_BAD_JSON, NULL },

	/* too_deep: one level past DECODE_MAX_DEPTH. */
	{ "{\"d\":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]," EXAMPLE_FIELDS "}", 0,
	    DECODE_TOO_DEEP, "deeper than 16" },
	{ "[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]", 0, DECODE_TOO_DEEP, NULL },

	/* not_object */
	{ "[]", 0, DECODE_NOT_OBJECT, "is an array" },
	{ "[" EXAMPLE "]", 0, DECODE_NOT_OBJECT, NULL },
	{ "\"" SYMBOL "\"", 0, DECODE_NOT_OBJECT, "is a string" },
	{ "42", 0, DECODE_NOT_OBJECT, "is a number" },
	{ "null", 0, DECODE_NOT_OBJECT, "is null" },
	{ "true", 0, DECODE_NOT_OBJECT, "is a boolean" },

	/* duplicate_field, which wins over missing and wrong type */
	{ "{" F_PRICE "," EXAMPLE_FIELDS "}", 0, DECODE_DUPLICATE_FIELD,
	    "field 'price' given 2 times" },
	{ "{" EXAMPLE_FIELDS "," PRC("4512.31") "}", 0, DECODE_DUPLICATE_FIELD,
	    "'price'" },
	{ "{" EXAMPLE_FIELDS "," TS("null") "}", 0, DECODE_DUPLICATE_FIELD,
	    "'timestamp'" },
	{ "{" PRC("\"x\"") "," PRC("1") "}", 0, DECODE_DUPLICATE_FIELD, NULL },

	/* missing_field, in check order, which wins over wrong type */
	{ "{}", 0, DECODE_MISSING_FIELD, "missing field 'symbol'" },
	{ "{\"foo\":1}", 0, DECODE_MISSING_FIELD, "missing field 'symbol'" },
	{ MSG5(F_TS, F_TSMS, F_PRICE, F_VOL, F_RECV), 0, DECODE_MISSING_FIELD,
	    "missing field 'symbol'" },
	{ MSG5(F_TS, F_TSMS, F_SYM, F_VOL, F_RECV), 0, DECODE_MISSING_FIELD,
	    "missing field 'price'" },
	{ MSG5(F_TS, F_TSMS, F_SYM, F_PRICE, F_RECV), 0, DECODE_MISSING_FIELD,
	    "missing field 'volume'" },
	{ MSG5(F_TSMS, F_SYM, F_PRICE, F_VOL, F_RECV), 0, DECODE_MISSING_FIELD,
	    "missing field 'timestamp'" },
	{ MSG5(F_TS, F_SYM, F_PRICE, F_VOL, F_RECV), 0, DECODE_MISSING_FIELD,
	    "missing field 'timestamp_ms'" },
	{ MSG5(F_TS, F_TSMS, F_SYM, F_PRICE, F_VOL), 0, DECODE_MISSING_FIELD,
	    "missing field 'received_at'" },
	{ "{\"Price\":1," F_TS "," F_TSMS "," F_SYM "," F_VOL "," F_RECV "}",
	    0, DECODE_MISSING_FIELD, "'price'" },
	{ "{\"price\":\"x\"}", 0, DECODE_MISSING_FIELD, "'symbol'" },

	/* wrong_type */
	{ WITH_SYM("null"), 0, DECODE_WRONG_TYPE,
	    "field 'symbol' is null, expected a string" },
	{ WITH_PRICE("null"), 0, DECODE_WRONG_TYPE, "'price' is null" },
	{ WITH_VOL("null"), 0, DECODE_WRONG_TYPE, "'volume' is null" },
	{ MSG6(TS("null"), F_TSMS, F_SYM, F_PRICE, F_VOL, F_RECV), 0,
	    DECODE_WRONG_TYPE, "'timestamp' is null" },
	{ MSG6(F_TS, TSMS("null"), F_SYM, F_PRICE, F_VOL, F_RECV), 0,
	    DECODE_WRONG_TYPE, "'timestamp_ms' is null" },
	{ MSG6(F_TS, F_TSMS, F_SYM, F_PRICE, F_VOL, RECV("null")), 0,
	    DECODE_WRONG_TYPE, "'received_at' is null" },
	{ WITH_PRICE("\"4512.31\""), 0, DECODE_WRONG_TYPE,
	    "field 'price' is a string, expected a number" },
	{ WITH_PRICE("{\"v\":1}"), 0, DECODE_WRONG_TYPE, "is an object" },
	{ WITH_VOL("[1]"), 0, DECODE_WRONG_TYPE, "is an array" },
	{ WITH_VOL("true"), 0, DECODE_WRONG_TYPE, "is a boolean" },
	{ WITH_SYM("42"), 0, DECODE_WRONG_TYPE, "is a number" },
	{ MSG6(F_TS, TSMS("\"1757685781123\""), F_SYM, F_PRICE, F_VOL,
	    F_RECV), 0, DECODE_WRONG_TYPE, "'timestamp_ms' is a string" },
	{ MSG6(TS("1757685781123"), F_TSMS, F_SYM, F_PRICE, F_VOL, F_RECV), 0,
	    DECODE_WRONG_TYPE, "'timestamp' is a number" },
	/* wrong_type in field order, and before any value check */
	{ MSG6(TS("1"), F_TSMS, SYM("\"\""), PRC("\"x\""), F_VOL, F_RECV), 0,
	    DECODE_WRONG_TYPE, "'price'" },

	/* bad_symbol */
	{ WITH_SYM("\"\""), 0, DECODE_BAD_SYMBOL, "symbol is empty" },
	{ WITH_SYM("\"" SYM64 "X\""), 0, DECODE_BAD_SYMBOL,
	    "is 65 bytes, over 64" },
	{ WITH_SYM("\"BINANCE ETHUSDT\""), 0, DECODE_BAD_SYMBOL,
	    "byte 0x20 at 7" },
	{ WITH_SYM("\"BINANCE\\u0001ETH\""), 0, DECODE_BAD_SYMBOL,
	    "'BINANCE\\x01ETH'" },
	{ WITH_SYM("\"BIN\\u0000\""), 0, DECODE_BAD_SYMBOL, "byte 0x00" },
	{ WITH_SYM("\"BIN\\u007f\""), 0, DECODE_BAD_SYMBOL, "byte 0x7f" },
	{ WITH_SYM("\"BIN\\t\""), 0, DECODE_BAD_SYMBOL, "byte 0x09" },
	{ WITH_SYM("\"caf\xc3\xa9\""), 0, DECODE_BAD_SYMBOL, "byte 0xc3" },
	{ WITH_SYM("\" \""), 0, DECODE_BAD_SYMBOL, NULL },
	/* bad_symbol comes before bad_price */
	{ MSG6(F_TS, F_TSMS, SYM("\"\""), PRC("-1"), F_VOL, F_RECV), 0,
	    DECODE_BAD_SYMBOL, NULL },

	/* bad_price */
	{ WITH_PRICE("-1.5"), 0, DECODE_BAD_PRICE, "price -1.5 is not > 0" },
	{ WITH_PRICE("0"), 0, DECODE_BAD_PRICE, "is not > 0" },
	{ WITH_PRICE("-0"), 0, DECODE_BAD_PRICE, "is not > 0" },
	{ WITH_PRICE("0.0e10"), 0, DECODE_BAD_PRICE, NULL },
	{ WITH_PRICE("1e-400"), 0, DECODE_BAD_PRICE, "is not > 0" },
	{ WITH_PRICE("1e400"), 0, DECODE_BAD_PRICE,
	    "price 1e400 is not finite" },
	{ WITH_PRICE("-1e400"), 0, DECODE_BAD_PRICE, "not finite" },
	{ WITH_PRICE("1.8e308"), 0, DECODE_BAD_PRICE, "not finite" },
	/* bad_price comes before bad_volume and bad_time */
	{ MSG6(TS("\"x\""), F_TSMS, F_SYM, PRC("0"), VOL("-1"), F_RECV), 0,
	    DECODE_BAD_PRICE, NULL },

	/* bad_volume */
	{ WITH_VOL("-1"), 0, DECODE_BAD_VOLUME, "volume -1 is not >= 0" },
	{ WITH_VOL("-1e-300"), 0, DECODE_BAD_VOLUME, "is not >= 0" },
	{ WITH_VOL("1e400"), 0, DECODE_BAD_VOLUME, "not finite" },
	{ WITH_VOL("-1e400"), 0, DECODE_BAD_VOLUME, "not finite" },
	/* bad_volume comes before bad_time */
	{ MSG6(TS("\"x\""), F_TSMS, F_SYM, F_PRICE, VOL("-1"), F_RECV), 0,
	    DECODE_BAD_VOLUME, NULL },

	/* bad_time: timestamp */
	{ WITH_TIMES("2025-13-01T14:03:01.123Z", "1757685781123",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME,
	    "timestamp '2025-13-01T14:03:01.123Z' is not ISO-8601" },
	{ WITH_TIMES("2025-09-12T14:03:01.123000", "1757685781123",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME,
	    "timestamp '" },
	{ WITH_TIMES("2025-09-12T14:03:01.Z", "1757685781123",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME, NULL },
	{ WITH_TIMES("2025-09-12T14:03:60Z", "1757685781123",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME, NULL },
	{ WITH_TIMES("2025-02-29T14:03:01.123Z", "1757685781123",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME, NULL },
	{ WITH_TIMES("", "1757685781123",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME, NULL },
	{ WITH_TIMES("1757685781123", "1757685781123",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME, NULL },
	{ WITH_TIMES("2025-09-12T14:03:01.123+05:30 ", "1757685781123",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME, NULL },
	{ WITH_TIMES("2025-09-12T14:03:01.123\\u0000Z", "1757685781123",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME,
	    "\\x00" },
	/* bad_time: timestamp_ms, which must be written as an integer */
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123.0",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME,
	    "timestamp_ms 1757685781123.0 is not an integer" },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1.757685781123e12",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME, NULL },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123e0",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME, NULL },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123.5",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME, NULL },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1e999",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_BAD_TIME, NULL },
	/* bad_time: received_at */
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "2025-09-12T14:03:01.187654"), 0, DECODE_BAD_TIME,
	    "received_at '2025-09-12T14:03:01.187654' is not ISO-8601" },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "2025-09-12T14:03:01.187654+24:00"), 0, DECODE_BAD_TIME,
	    "received_at" },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "yesterday"), 0, DECODE_BAD_TIME, "received_at 'yesterday'" },
	/* formats are all checked before any range */
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "0", "x"), 0,
	    DECODE_BAD_TIME, "received_at" },

	/* time_out_of_range: timestamp_ms */
	{ WITH_TIMES("2008-12-31T23:59:59.999Z", "1230767999999",
	    "2008-12-31T23:59:59.999Z"), 0, DECODE_TIME_RANGE,
	    "timestamp_ms 1230767999999 is before 2009-01-01" },
	{ WITH_TIMES("1970-01-01T00:00:00Z", "0", "1970-01-01T00:00:00Z"), 0,
	    DECODE_TIME_RANGE, NULL },
	{ WITH_TIMES("1969-12-31T23:59:59.999Z", "-1",
	    "1969-12-31T23:59:59.999Z"), 0, DECODE_TIME_RANGE, NULL },
	{ WITH_TIMES("2025-09-12T14:03:07.124Z", "1757685787124",
	    "2025-09-12T14:03:07.124Z"), 0, DECODE_TIME_RANGE,
	    "timestamp_ms 1757685787124 (2025-09-12 14:03:07.124) is more "
	    "than 5000 ms after now (2025-09-12 14:03:02.123)" },
	{ WITH_TIMES("9999-12-31T23:59:59.999Z", "253402300799999",
	    "9999-12-31T23:59:59.999Z"), 0, DECODE_TIME_RANGE, "after now" },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "9223372036854775807",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_TIME_RANGE,
	    "after now" },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "9223372036854775808",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_TIME_RANGE,
	    "does not fit in 64 bits" },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "-99999999999999999999",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_TIME_RANGE,
	    "does not fit" },
	/* time_out_of_range: received_at, 1 ms past either end */
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "2025-09-12T14:03:07.124Z"), 0, DECODE_TIME_RANGE,
	    "received_at '2025-09-12T14:03:07.124Z' is more than 5000 ms "
	    "after now" },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "2008-12-31T23:59:59.999Z"), 0, DECODE_TIME_RANGE,
	    "received_at '2008-12-31T23:59:59.999Z' is before 2009-01-01" },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "0001-01-01T00:00:00Z"), 0, DECODE_TIME_RANGE, "before 2009" },
	/* ranges come before the mismatch */
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685787124",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_TIME_RANGE, NULL },

	/* time_mismatch */
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781124",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_TIME_MISMATCH,
	    "timestamp '2025-09-12T14:03:01.123Z' is 1757685781123 ms, "
	    "timestamp_ms is 1757685781124" },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781122",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_TIME_MISMATCH,
	    NULL },
	{ WITH_TIMES("2025-09-12T14:03:01.123+01:00", "1757685781123",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_TIME_MISMATCH,
	    NULL },
	{ WITH_TIMES("2025-09-12T14:03:01.1229999Z", "1757685781123",
	    "2025-09-12T14:03:01.187654+00:00"), 0, DECODE_TIME_MISMATCH,
	    NULL },
	/* the mismatch comes before received_before_trade */
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781124",
	    "2025-09-12T14:00:00Z"), 0, DECODE_TIME_MISMATCH, NULL },

	/* received_before_trade: 1 ms beyond the skew, and further */
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "2025-09-12T14:02:56.122Z"), 0, DECODE_RECEIVED_EARLY,
	    "received_at '2025-09-12T14:02:56.122Z' is 5001 ms before "
	    "timestamp, over the 5000 ms skew" },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "2025-09-12T14:02:56.1229Z"), 0, DECODE_RECEIVED_EARLY, NULL },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "2025-09-12T19:32:56.122+05:30"), 0, DECODE_RECEIVED_EARLY, NULL },
	{ WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "2009-01-01T00:00:00Z"), 0, DECODE_RECEIVED_EARLY, NULL },
};

#define NELEM(a)	((int)(sizeof(a) / sizeof((a)[0])))

static struct decoder	*dec;

/* Checked fixture: a decoder with the usual limits for each test. */
static void
setup(void)
{
	struct decode_limits	 lim = {
		.max_message_bytes = MAX_BYTES,
		.max_skew_ms = SKEW_MS,
	};

	dec = decode_new(&lim);
}

/* Checked fixture: free the decoder. */
static void
teardown(void)
{
	decode_free(dec);
	dec = NULL;
}

/* Decode with the fixture's decoder and NOW_MS. */
static enum decode_reason
decode(const char *json, size_t len, struct tick *t, char *detail,
    size_t size)
{
	return (decode_tick(dec, json, len, NOW_MS, t, detail, size));
}

/*
 * Build EXAMPLE with an unknown field "deep" nested n levels below the
 * top-level object, each level an array or (when objects) {"k":...}.
 * Returns allocated; caller frees.
 */
static char *
nested(int n, int objects, size_t *len)
{
	const char	*open = objects ? "{\"k\":" : "[";
	const char	*close = objects ? "}" : "]";
	size_t		 ol = strlen(open), cap, at;
	char		*buf;
	int		 i;

	cap = (size_t)n * (ol + 1) + sizeof(EXAMPLE) + 16;
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	at = 0;
	memcpy(buf + at, "{\"deep\":", 8);
	at += 8;
	for (i = 0; i < n; i++) {
		memcpy(buf + at, open, ol);
		at += ol;
	}
	buf[at++] = objects ? '1' : '0';
	for (i = 0; i < n; i++)
		buf[at++] = close[0];
	buf[at++] = ',';
	memcpy(buf + at, EXAMPLE + 1, sizeof(EXAMPLE) - 1);
	at += sizeof(EXAMPLE) - 2;
	buf[at] = '\0';
	*len = at;
	return (buf);
}

/* Each valid message decodes to its tick, with an empty detail. */
START_TEST(test_decode_valid)
{
	const struct valid_case	*c = &valid_cases[_i];
	struct tick		 t;
	char			 detail[256];
	enum decode_reason	 r;

	memset(&t, 0xa5, sizeof(t));
	strcpy(detail, "junk");
	r = decode(c->json, strlen(c->json), &t, detail, sizeof(detail));
	ck_assert_str_eq(decode_reason_name(r), "ok");
	ck_assert_str_eq(detail, "");
	ck_assert_int_eq(t.ts_ms, c->ts_ms);
	ck_assert_int_eq(t.recv_ms, c->recv_ms);
	ck_assert_double_eq(t.price, c->price);
	ck_assert_double_eq(t.volume, c->volume);
	ck_assert_int_eq(signbit(t.volume), 0);
	ck_assert_str_eq(t.symbol, c->symbol);
	ck_assert_uint_eq(t.symbol_len, strlen(c->symbol));
}
END_TEST

/*
 * Prices and volumes of every shape the fast path takes or refuses (1 to 22
 * digits, 0 to 21 after the point, leading and trailing zeros, signs of
 * zero, exponents) decode to exactly the double strtod gives: the same bits.
 */
START_TEST(test_decode_number_exact)
{
	static const char	*fixed[] = {
		"0", "-0", "0.0", "-0.0", "1", "0.1", "0.3", "149.96",
		"0.00073023", "9007199254740992", "9007199254740993",
		"9007199254740993.0", "0.9007199254740993",
		"1234567890123456789", "12345678901234567890", "1e22",
		"1.5e-7", "2.2250738585072014e-308", "4.9e-324",
		"1.7976931348623157e308", "0.1000000000000000055511151231257827",
		"123456.7890123456789", "0.0000000000000000000001",
		"0.00000000000000000000001", "10000000000000000000000",
		"4512.31", "0.0153", "99999999999999999999",
	};
	char			 num[64], json[256];
	struct tick		 t;
	char			 detail[256];
	uint64_t		 x = 0x9e3779b97f4a7c15u;
	double			 want;
	size_t			 i, n, k;
	int			 len;

	for (i = 0; i < 200000 + (size_t)NELEM(fixed); i++) {
		if (i < (size_t)NELEM(fixed))
			snprintf(num, sizeof(num), "%s", fixed[i]);
		else {
			/* splitmix64: digits before and after the point. */
			x += 0x9e3779b97f4a7c15u;
			uint64_t z = x;
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
			z ^= z >> 31;
			n = 1 + z % 12;
			k = (z >> 8) % 22;
			len = 0;
			for (size_t j = 0; j < n; j++)
				num[len++] = (char)('0' + (j == 0 && n > 1 ?
				    1 + (z >> (12 + j)) % 9 : (z >> (16 + j *
				    3)) % 10));
			if (k > 0) {
				num[len++] = '.';
				for (size_t j = 0; j < k; j++)
					num[len++] = (char)('0' +
					    ((z >> (j * 2 + 20)) ^ j * 7) % 10);
			}
			num[len] = '\0';
		}
		want = strtod(num, NULL);
		if (!(want > 0))
			continue;	/* a price must be > 0 */
		snprintf(json, sizeof(json), WITH_PRICE("%s"), num);
		ck_assert_int_eq(decode(json, strlen(json), &t, detail,
		    sizeof(detail)), DECODE_OK);
		ck_assert_msg(memcmp(&t.price, &want, sizeof(want)) == 0,
		    "price %s: got %.17g, strtod %.17g", num, t.price, want);
		snprintf(json, sizeof(json), WITH_VOL("%s"), num);
		ck_assert_int_eq(decode(json, strlen(json), &t, detail,
		    sizeof(detail)), DECODE_OK);
		ck_assert_msg(memcmp(&t.volume, &want, sizeof(want)) == 0,
		    "volume %s: got %.17g, strtod %.17g", num, t.volume, want);
	}
}
END_TEST

/* Each rejected message gives its reason and detail, and leaves *out. */
START_TEST(test_decode_reject)
{
	const struct reject_case	*c = &reject_cases[_i];
	struct tick			 t, before;
	char				 detail[256];
	size_t				 len;
	enum decode_reason		 r;

	len = c->len != 0 ? c->len : strlen(c->json);
	memset(&t, 0xa5, sizeof(t));
	before = t;
	r = decode(c->json, len, &t, detail, sizeof(detail));
	ck_assert_str_eq(decode_reason_name(r), decode_reason_name(c->reason));
	ck_assert_uint_gt(strlen(detail), 0);
	if (c->detail != NULL)
		ck_assert_msg(strstr(detail, c->detail) != NULL,
		    "detail '%s' lacks '%s'", detail, c->detail);
	ck_assert_mem_eq(&t, &before, sizeof(t));
}
END_TEST

/* DESIGN.md's example, as printed there, gives exactly its values. */
START_TEST(test_decode_design_example)
{
	struct tick	t;
	char		detail[64];

	ck_assert_int_eq(decode(design_example, strlen(design_example), &t,
	    detail, sizeof(detail)), DECODE_OK);
	ck_assert_int_eq(t.ts_ms, INT64_C(1757685781123));
	ck_assert_int_eq(t.recv_ms, INT64_C(1757685781187));
	ck_assert_double_eq(t.price, strtod("4512.31", NULL));
	ck_assert_double_eq(t.volume, strtod("0.0153", NULL));
	ck_assert_str_eq(t.symbol, "BINANCE:ETHUSDT");
	ck_assert_uint_eq(t.symbol_len, 15);
}
END_TEST

/* A Kafka tombstone (NULL value) is empty, whatever len says. */
START_TEST(test_decode_tombstone)
{
	struct tick	t;
	char		detail[64];

	ck_assert_int_eq(decode(NULL, 0, &t, detail, sizeof(detail)),
	    DECODE_EMPTY);
	ck_assert_str_eq(detail, "null value (tombstone)");
}
END_TEST

/* Nesting: 16 levels pass, 17 and 10,000 (arrays or objects) are too deep. */
START_TEST(test_decode_depth)
{
	static const struct {
		int			n;	/* levels below the top */
		int			objects;
		enum decode_reason	reason;
	} cases[] = {
		{ 15, 0, DECODE_OK },
		{ 15, 1, DECODE_OK },
		{ 16, 0, DECODE_TOO_DEEP },
		{ 16, 1, DECODE_TOO_DEEP },
		{ 10000, 0, DECODE_TOO_DEEP },
		{ 10000, 1, DECODE_TOO_DEEP },
	};
	struct tick	 t;
	char		 detail[128];
	char		*buf;
	size_t		 len;
	int		 i;

	for (i = 0; i < NELEM(cases); i++) {
		buf = nested(cases[i].n, cases[i].objects, &len);
		ck_assert_uint_le(len, MAX_BYTES);
		ck_assert_str_eq(decode_reason_name(decode(buf, len, &t, detail,
		    sizeof(detail))), decode_reason_name(cases[i].reason));
		free(buf);
	}
}
END_TEST

/* 10,000 unclosed brackets at the top level are too deep, not bad JSON. */
START_TEST(test_decode_depth_unclosed)
{
	struct tick	 t;
	char		 detail[128];
	char		*buf;

	buf = malloc(10000);
	ck_assert_ptr_nonnull(buf);
	memset(buf, '[', 10000);
	ck_assert_int_eq(decode(buf, 10000, &t, detail, sizeof(detail)),
	    DECODE_TOO_DEEP);
	ck_assert_str_eq(detail, "nesting deeper than 16 levels at byte 17");
	free(buf);
}
END_TEST

/* Size: the limit itself passes, one more byte and 1 MiB do not. */
START_TEST(test_decode_size)
{
	struct tick	 t;
	char		 detail[128];
	char		*buf;
	size_t		 big = 1024 * 1024;

	buf = malloc(big);
	ck_assert_ptr_nonnull(buf);
	memset(buf, ' ', big);
	ck_assert_int_eq(decode(buf, big, &t, detail, sizeof(detail)),
	    DECODE_TOO_LARGE);
	ck_assert_str_eq(detail,
	    "message is 1048576 bytes, over the 65536 byte limit");

	memcpy(buf, EXAMPLE, sizeof(EXAMPLE) - 1);
	ck_assert_int_eq(decode(buf, MAX_BYTES, &t, detail, sizeof(detail)),
	    DECODE_OK);
	ck_assert_int_eq(t.ts_ms, TS_MS);
	ck_assert_int_eq(decode(buf, MAX_BYTES + 1, &t, detail,
	    sizeof(detail)), DECODE_TOO_LARGE);
	free(buf);
}
END_TEST

/*
 * One decoder serves many messages: reasons do not leak from one to the
 * next, and messages whose scratch needs outgrow the kept arena chunk (long
 * escaped strings) still decode.
 */
START_TEST(test_decode_reuse)
{
	struct decode_limits	 lim = { 1 << 20, SKEW_MS };
	struct decoder		*d;
	struct tick		 t;
	char			 detail[128];
	char			*buf;
	size_t			 at, n;
	int			 i;

	d = decode_new(&lim);
	n = 200000;
	buf = malloc(n * 2 + sizeof(EXAMPLE) + 32);
	ck_assert_ptr_nonnull(buf);
	at = 0;
	memcpy(buf, "{\"blob\":\"", 9);
	at = 9;
	for (i = 0; i < (int)n; i++) {
		buf[at++] = '\\';
		buf[at++] = 'n';
	}
	memcpy(buf + at, "\",", 2);
	at += 2;
	memcpy(buf + at, EXAMPLE + 1, sizeof(EXAMPLE) - 1);
	at += sizeof(EXAMPLE) - 2;

	for (i = 0; i < 300; i++) {
		ck_assert_int_eq(decode_tick(d, EXAMPLE, strlen(EXAMPLE),
		    NOW_MS, &t, detail, sizeof(detail)), DECODE_OK);
		ck_assert_double_eq(t.price, PRICE);
		ck_assert_int_eq(decode_tick(d, WITH_PRICE("0"),
		    strlen(WITH_PRICE("0")), NOW_MS, &t, detail,
		    sizeof(detail)), DECODE_BAD_PRICE);
		ck_assert_int_eq(decode_tick(d, "{}", 2, NOW_MS, &t, detail,
		    sizeof(detail)), DECODE_MISSING_FIELD);
		if (i % 50 == 0) {
			ck_assert_int_eq(decode_tick(d, buf, at, NOW_MS, &t,
			    detail, sizeof(detail)), DECODE_OK);
			ck_assert_str_eq(t.symbol, SYMBOL);
		}
	}
	free(buf);
	decode_free(d);
}
END_TEST

/* Decode with a decoder made for this message alone; compare with d's. */
static void
same_as_fresh(struct decoder *d, const char *json, size_t len)
{
	struct decode_limits	 lim = {
		.max_message_bytes = MAX_BYTES,
		.max_skew_ms = SKEW_MS,
	};
	struct decoder		*fresh;
	struct tick		 t1, t2;
	char			 d1[256], d2[256];
	enum decode_reason	 r1, r2;

	memset(&t1, 0, sizeof(t1));
	memset(&t2, 0, sizeof(t2));
	r1 = decode_tick(d, json, len, NOW_MS, &t1, d1, sizeof(d1));
	fresh = decode_new(&lim);
	r2 = decode_tick(fresh, json, len, NOW_MS, &t2, d2, sizeof(d2));
	decode_free(fresh);
	ck_assert_msg(r1 == r2 && strcmp(d1, d2) == 0,
	    "'%.*s': %s '%s' after other messages, %s '%s' alone", (int)len,
	    json, decode_reason_name(r1), d1, decode_reason_name(r2), d2);
	ck_assert_mem_eq(&t1, &t2, sizeof(t1));
}

/*
 * The decoder's one yajl handle runs from message to message; whatever came
 * before, each message gets the reason, detail and tick that a decoder of
 * its own gives: every valid and rejected case, and inputs that are several
 * values, no value or part of one, each after a good tick and after itself.
 */
START_TEST(test_decode_stream)
{
	static const char *const odd[] = {
		"{} {}", "{}{}", "{} 1", "1 2", "1", "\"x\"", "[]", "null",
		" ", "\n", "{", "{\"a\":", "[1,", "\"abc", "12", "-", "1e",
		"{\"a\":1}x", "{\"a\":1},", "}", ",", ":", "tru", "/* */{}",
		EXAMPLE " " EXAMPLE, EXAMPLE "1", "\"", EXAMPLE " \"abc",
		EXAMPLE "\"", EXAMPLE " \n\t\r ", "\n " EXAMPLE,
	};
	int	i, k;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < NELEM(odd); i++) {
			same_as_fresh(dec, EXAMPLE, strlen(EXAMPLE));
			same_as_fresh(dec, odd[i], strlen(odd[i]));
			same_as_fresh(dec, odd[i], strlen(odd[i]));
		}
		for (i = 0; i < NELEM(reject_cases); i++) {
			same_as_fresh(dec, reject_cases[i].json,
			    reject_cases[i].len != 0 ? reject_cases[i].len :
			    strlen(reject_cases[i].json));
			same_as_fresh(dec, valid_cases[i % NELEM(valid_cases)].
			    json, strlen(valid_cases[i % NELEM(valid_cases)].
			    json));
		}
	}
}
END_TEST

/* now_ms is the only clock: the same message passes or fails by it. */
START_TEST(test_decode_now)
{
	struct decode_limits	 lim = { MAX_BYTES, 0 };
	struct decoder		*d;
	struct tick		 t;
	char			 detail[128];

	/* received_at (…187) is the later time; it sets the bound. */
	ck_assert_int_eq(decode_tick(dec, EXAMPLE, strlen(EXAMPLE),
	    RECV_MS - SKEW_MS, &t, detail, sizeof(detail)), DECODE_OK);
	ck_assert_int_eq(decode_tick(dec, EXAMPLE, strlen(EXAMPLE),
	    RECV_MS - SKEW_MS - 1, &t, detail, sizeof(detail)),
	    DECODE_TIME_RANGE);
	ck_assert_int_eq(decode_tick(dec, EXAMPLE, strlen(EXAMPLE),
	    TS_MS - SKEW_MS - 1, &t, detail, sizeof(detail)),
	    DECODE_TIME_RANGE);
	ck_assert_msg(strstr(detail, "timestamp_ms") != NULL, "%s", detail);
	/* The bound saturates instead of wrapping. */
	ck_assert_int_eq(decode_tick(dec, EXAMPLE, strlen(EXAMPLE),
	    INT64_MAX, &t, detail, sizeof(detail)), DECODE_OK);
	ck_assert_int_eq(decode_tick(dec, EXAMPLE, strlen(EXAMPLE),
	    INT64_MIN, &t, detail, sizeof(detail)), DECODE_TIME_RANGE);

	/* With no skew at all, received_at must not precede the trade. */
	d = decode_new(&lim);
	ck_assert_int_eq(decode_tick(d, EXAMPLE, strlen(EXAMPLE), RECV_MS,
	    &t, detail, sizeof(detail)), DECODE_OK);
	ck_assert_int_eq(decode_tick(d, EXAMPLE, strlen(EXAMPLE), RECV_MS - 1,
	    &t, detail, sizeof(detail)), DECODE_TIME_RANGE);
	ck_assert_int_eq(decode_tick(d, WITH_TIMES("2025-09-12T14:03:01.123Z",
	    "1757685781123", "2025-09-12T14:03:01.122999Z"),
	    strlen(WITH_TIMES("2025-09-12T14:03:01.123Z", "1757685781123",
	    "2025-09-12T14:03:01.122999Z")), RECV_MS, &t, detail,
	    sizeof(detail)), DECODE_RECEIVED_EARLY);
	decode_free(d);
}
END_TEST

/* The detail is always terminated, cut to its size, and may be absent. */
START_TEST(test_decode_detail_size)
{
	struct tick	t;
	char		detail[8];

	memset(detail, 'x', sizeof(detail));
	ck_assert_int_eq(decode(WITH_PRICE("-1.5"),
	    strlen(WITH_PRICE("-1.5")), &t, detail, sizeof(detail)),
	    DECODE_BAD_PRICE);
	ck_assert_str_eq(detail, "price -");

	memset(detail, 'x', sizeof(detail));
	ck_assert_int_eq(decode(WITH_PRICE("-1.5"),
	    strlen(WITH_PRICE("-1.5")), &t, detail, 1), DECODE_BAD_PRICE);
	ck_assert_int_eq(detail[0], '\0');
	ck_assert_int_eq(detail[1], 'x');

	ck_assert_int_eq(decode(WITH_PRICE("-1.5"),
	    strlen(WITH_PRICE("-1.5")), &t, NULL, 0), DECODE_BAD_PRICE);
	ck_assert_int_eq(decode(EXAMPLE, strlen(EXAMPLE), &t, NULL, 0),
	    DECODE_OK);
}
END_TEST

/* At most 40 input bytes are echoed, escaped, however long the value. */
START_TEST(test_decode_detail_echo)
{
	struct tick	 t;
	char		 detail[512];
	char		*buf;
	size_t		 at, i;

	buf = malloc(4096);
	ck_assert_ptr_nonnull(buf);
	at = (size_t)sprintf(buf, "{\"symbol\":\"");
	for (i = 0; i < 1000; i++)
		at += (size_t)sprintf(buf + at, "%s",
		    i % 10 == 0 ? "\\u0007" : "A");
	at += (size_t)sprintf(buf + at, "\",%s", EXAMPLE_FIELDS_NOSYM "}");

	ck_assert_int_eq(decode(buf, at, &t, detail, sizeof(detail)),
	    DECODE_BAD_SYMBOL);
	ck_assert_str_eq(detail, "symbol '\\x07AAAAAAAAA\\x07AAAAAAAAA"
	    "\\x07AAAAAAAAA\\x07AAAAAAAAA...' is 1000 bytes, over 64");
	free(buf);
}
END_TEST

/* Every reason has a distinct, non-empty name, the documented one. */
START_TEST(test_decode_reason_names)
{
	static const char *const want[] = {
		"ok", "empty", "too_large", "bad_json", "too_deep",
		"not_object", "duplicate_field", "missing_field",
		"wrong_type", "bad_symbol", "bad_price", "bad_volume",
		"bad_time", "time_out_of_range", "time_mismatch",
		"received_before_trade",
	};
	const char	*name;
	int		 j;

	ck_assert_int_eq(NELEM(want), DECODE_NREASONS);
	name = decode_reason_name((enum decode_reason)_i);
	ck_assert_ptr_nonnull(name);
	ck_assert_str_eq(name, want[_i]);
	for (j = 0; j < DECODE_NREASONS; j++) {
		if (j != _i)
			ck_assert_str_ne(name,
			    decode_reason_name((enum decode_reason)j));
	}
	ck_assert_str_eq(decode_reason_name(DECODE_NREASONS), "unknown");
}
END_TEST

/* The decode suite: valid, reject, limits, detail and names. */
static Suite *
decode_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("decode");

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_decode_valid, 0, NELEM(valid_cases));
	tcase_add_test(tc, test_decode_design_example);
	tcase_add_test(tc, test_decode_number_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("reject");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_decode_reject, 0, NELEM(reject_cases));
	tcase_add_test(tc, test_decode_tombstone);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_decode_depth);
	tcase_add_test(tc, test_decode_depth_unclosed);
	tcase_add_test(tc, test_decode_size);
	tcase_add_test(tc, test_decode_reuse);
	tcase_add_test(tc, test_decode_stream);
	tcase_add_test(tc, test_decode_now);
	suite_add_tcase(s, tc);

	tc = tcase_create("detail");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_decode_detail_size);
	tcase_add_test(tc, test_decode_detail_echo);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_decode_reason_names, 0, DECODE_NREASONS);
	suite_add_tcase(s, tc);

	return (s);
}

/* Run the suite; non-zero exit on any failure. */
int
main(void)
{
	return (check_run(decode_suite()));
}
