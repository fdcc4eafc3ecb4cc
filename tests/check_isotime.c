/*
 * ticksink: Check tests for handlers/isotime.c.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "isotime.h"
#include "check_run.h"

/* 2025-09-12T14:03:01Z, the second of DESIGN.md's example tick, in ns. */
#define BASE_NS		INT64_C(1757685781000000000)

struct valid_case {
	const char	*s;
	int64_t		 ns;
};

/* Every accepted spelling, each with the instant it must give. */
static const struct valid_case valid_cases[] = {
	/* One instant, every offset form and separator. */
	{ "2025-09-12T14:03:01.123Z", BASE_NS + 123000000 },
	{ "2025-09-12T14:03:01.123z", BASE_NS + 123000000 },
	{ "2025-09-12t14:03:01.123Z", BASE_NS + 123000000 },
	{ "2025-09-12 14:03:01.123Z", BASE_NS + 123000000 },
	{ "2025-09-12T14:03:01.123+00:00", BASE_NS + 123000000 },
	{ "2025-09-12T14:03:01.123-00:00", BASE_NS + 123000000 },
	{ "2025-09-12T14:03:01.123+0000", BASE_NS + 123000000 },
	{ "2025-09-12T14:03:01.123+00", BASE_NS + 123000000 },
	{ "2025-09-12T19:33:01.123+05:30", BASE_NS + 123000000 },
	{ "2025-09-12T10:03:01.123-04:00", BASE_NS + 123000000 },
	{ "2025-09-12T23:33:01.123+0930", BASE_NS + 123000000 },
	{ "2025-09-12T05:03:01.123-09", BASE_NS + 123000000 },
	{ "2025-09-13T01:03:01.123+11", BASE_NS + 123000000 },
	{ "2025-09-12T14:03:01,123Z", BASE_NS + 123000000 },
	{ "2025-09-12T19:33:01,123+05:30", BASE_NS + 123000000 },
	/* 0 to 9 fraction digits. */
	{ "2025-09-12T14:03:01Z", BASE_NS },
	{ "2025-09-12T14:03:01+00:00", BASE_NS },
	{ "2025-09-12T14:03:01.1Z", BASE_NS + 100000000 },
	{ "2025-09-12T14:03:01.12Z", BASE_NS + 120000000 },
	{ "2025-09-12T14:03:01.123Z", BASE_NS + 123000000 },
	{ "2025-09-12T14:03:01.1234Z", BASE_NS + 123400000 },
	{ "2025-09-12T14:03:01.12345Z", BASE_NS + 123450000 },
	{ "2025-09-12T14:03:01.123456Z", BASE_NS + 123456000 },
	{ "2025-09-12T14:03:01.1234567Z", BASE_NS + 123456700 },
	{ "2025-09-12T14:03:01.12345678Z", BASE_NS + 123456780 },
	{ "2025-09-12T14:03:01.123456789Z", BASE_NS + 123456789 },
	{ "2025-09-12T14:03:01.000000000Z", BASE_NS },
	{ "2025-09-12T14:03:01.187654+00:00", BASE_NS + 187654000 },
	/* Calendar edges. */
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1969-12-31T23:59:59.999999999Z", -1 },
	{ "2024-02-29T00:00:00Z", INT64_C(1709164800000000000) },
	{ "2000-02-29T12:00:00Z", INT64_C(951825600000000000) },
	{ "2025-12-31T23:59:59Z", INT64_C(1767225599000000000) },
	{ "2025-01-01T00:30:00+01:00", INT64_C(1735687800000000000) },
	{ "2024-12-31T00:01:00-23:59", INT64_C(1735689600000000000) },
	{ "2009-01-01T00:00:00Z", INT64_C(1230768000000000000) },
	/* The ends of int64_t nanoseconds. */
	{ "2262-04-11T23:47:16.854775807Z", INT64_MAX },
	{ "1677-09-21T00:12:43.145224192Z", INT64_MIN },
};

/* Rejected texts; each names the rule it breaks. */
static const char *const reject_cases[] = {
	"",
	"2025",
	"2025-09-12",
	"2025-09-12T14:03Z",			/* no seconds */
	"2025-09-12T14:03:01",			/* no offset */
	"2025-09-12T14:03:01.123",		/* no offset */
	"2025-09-12T14:03:01.123456",		/* no offset */
	"2025-09-12T14:03:01.Z",		/* dot without digits */
	"2025-09-12T14:03:01,Z",
	"2025-09-12T14:03:01.1234567890Z",	/* 10 digits */
	"2025-09-12T14:03:01.1a3Z",
	"2025-13-01T00:00:00Z",			/* month 13 */
	"2025-00-01T00:00:00Z",
	"2025-01-00T00:00:00Z",			/* day 0 */
	"2025-01-32T00:00:00Z",
	"2025-04-31T00:00:00Z",
	"2025-02-29T00:00:00Z",			/* not a leap year */
	"1900-02-29T00:00:00Z",			/* century, not leap */
	"2024-02-30T00:00:00Z",
	"2025-09-12T24:00:00Z",			/* hour 24 */
	"2025-09-12T14:60:00Z",
	"2025-12-31T23:59:60Z",			/* leap second */
	"0000-01-01T00:00:00Z",			/* year 0 */
	"2025-09-12X14:03:01Z",
	"2025-09-12  14:03:01Z",		/* two spaces */
	"2025-9-12T14:03:01Z",
	"2025/09/12T14:03:01Z",
	"2025-09-12T14-03-01Z",
	"20250912T140301Z",			/* basic format */
	"+2025-09-12T14:03:01Z",
	" 2025-09-12T14:03:01Z",
	"2025-09-12T14:03:01Z ",
	"2025-09-12T14:03:01ZZ",
	"2025-09-12T14:03:01 Z",
	"2025-09-12T14:03:01.123 +05:30",
	"2025-09-12T14:03:01+24:00",		/* offset hour 24 */
	"2025-09-12T14:03:01+05:60",
	"2025-09-12T14:03:01+5:30",
	"2025-09-12T14:03:01+05:3",
	"2025-09-12T14:03:01+05:",
	"2025-09-12T14:03:01+053",
	"2025-09-12T14:03:01+",
	"2025-09-12T14:03:01+05:30Z",
	"2025-09-12T14:03:01+05:30:00",
	"2025-09-12T14:03:01.123UTC",
	"2025-09-12T14:03:01.123GMT",
	"2025-09-12T14:03:01\xe2\x88\x92" "04:00",	/* U+2212 minus */
	"2025-09-12T14:03:01.123+05;30",
	"2025-09-12T14:03:01.-123Z",
	"1757685781123",
};

/* Well-formed but beyond int64_t ns: only isotime_parse_ms takes them. */
static const char *const ns_range_cases[] = {
	"9999-12-31T23:59:59Z",
	"1500-01-01T00:00:00Z",
	"2262-04-11T23:47:16.854775808Z",
	"1677-09-21T00:12:43.145224191Z",
};

struct ms_case {
	const char	*s;
	int64_t		 ms;
};

/* isotime_parse_ms floors and covers every year. */
static const struct ms_case ms_cases[] = {
	{ "2025-09-12T14:03:01.123000+00:00", INT64_C(1757685781123) },
	{ "2025-09-12T14:03:01.187654+00:00", INT64_C(1757685781187) },
	{ "2025-09-12T14:03:01.999999999Z", INT64_C(1757685781999) },
	{ "2025-09-12T14:03:01Z", INT64_C(1757685781000) },
	{ "1969-12-31T23:59:59.9995Z", -1 },
	{ "1969-12-31T23:59:59.999Z", -1 },
	{ "1969-12-31T23:59:59.998999Z", -2 },
	{ "9999-12-31T23:59:59Z", INT64_C(253402300799000) },
	{ "9999-12-31T23:59:59.999-23:59", INT64_C(253402387139999) },
	{ "0001-01-01T00:00:00Z", INT64_C(-62135596800000) },
	{ "0001-01-01T00:00:00+01:00", INT64_C(-62135600400000) },
};

struct format_case {
	int64_t		 ms;
	const char	*s;
};

static const struct format_case format_cases[] = {
	{ 0, "1970-01-01 00:00:00.000" },
	{ -1, "1969-12-31 23:59:59.999" },
	{ INT64_C(1757685781123), "2025-09-12 14:03:01.123" },
	{ INT64_C(1709164800000), "2024-02-29 00:00:00.000" },
	{ INT64_C(951825600000), "2000-02-29 12:00:00.000" },
	{ INT64_C(1230768000000), "2009-01-01 00:00:00.000" },
	{ INT64_C(-62135596800000), "0001-01-01 00:00:00.000" },
	{ INT64_C(253402300799999), "9999-12-31 23:59:59.999" },
	{ INT64_MAX, "9999-12-31 23:59:59.999" },	/* clamped */
	{ INT64_MIN, "0000-01-01 00:00:00.000" },	/* clamped */
};

#define NELEM(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* Every accepted form gives its instant in ns. */
START_TEST(test_isotime_parse_valid)
{
	const struct valid_case	*c = &valid_cases[_i];
	int64_t			 ns = 42;

	ck_assert_int_eq(isotime_parse(c->s, strlen(c->s), &ns), 0);
	ck_assert_int_eq(ns, c->ns);
}
END_TEST

/* Every malformed or unrepresentable text is -1, ns left alone. */
START_TEST(test_isotime_parse_reject)
{
	const char	*s = reject_cases[_i];
	int64_t		 ns = 42;

	ck_assert_int_eq(isotime_parse(s, strlen(s), &ns), -1);
	ck_assert_int_eq(ns, 42);
}
END_TEST

/* isotime_parse_ms floors toward minus infinity and covers years 1-9999. */
START_TEST(test_isotime_parse_ms)
{
	const struct ms_case	*c = &ms_cases[_i];
	int64_t			 ms = 42;

	ck_assert_int_eq(isotime_parse_ms(c->s, strlen(c->s), &ms), 0);
	ck_assert_int_eq(ms, c->ms);
}
END_TEST

/* isotime_parse_ms rejects the same malformed texts. */
START_TEST(test_isotime_parse_ms_reject)
{
	const char	*s = reject_cases[_i];
	int64_t		 ms = 42;

	ck_assert_int_eq(isotime_parse_ms(s, strlen(s), &ms), -1);
	ck_assert_int_eq(ms, 42);
}
END_TEST

/* An instant beyond int64_t ns is -1 for isotime_parse, fine in ms. */
START_TEST(test_isotime_parse_ns_range)
{
	const char	*s = ns_range_cases[_i];
	int64_t		 ns = 42, ms = 42;

	ck_assert_int_eq(isotime_parse(s, strlen(s), &ns), -1);
	ck_assert_int_eq(ns, 42);
	ck_assert_int_eq(isotime_parse_ms(s, strlen(s), &ms), 0);
	ck_assert_int_ne(ms, 42);
}
END_TEST

/* Only len bytes are read: a longer buffer or an early NUL changes nothing. */
START_TEST(test_isotime_parse_len)
{
	const char	 buf[] = "2025-09-12T14:03:01Zjunk";
	const char	 nul[] = "2025-09-12T14:03:01\0Z";
	int64_t		 ns = 0;

	ck_assert_int_eq(isotime_parse(buf, 20, &ns), 0);
	ck_assert_int_eq(ns, BASE_NS);
	ck_assert_int_eq(isotime_parse(buf, strlen(buf), &ns), -1);
	ck_assert_int_eq(isotime_parse(buf, 19, &ns), -1);
	ck_assert_int_eq(isotime_parse(nul, sizeof(nul) - 1, &ns), -1);
	ck_assert_int_eq(isotime_parse(NULL, 0, &ns), -1);
}
END_TEST

/* Formatting gives the fixed-width UTC form, clamped at the year ends. */
START_TEST(test_isotime_format)
{
	const struct format_case	*c = &format_cases[_i];
	char				 buf[ISOTIME_MS_LEN];

	memset(buf, 'x', sizeof(buf));
	isotime_format_ms(c->ms, buf);
	ck_assert_str_eq(buf, c->s);
}
END_TEST

/* Format then parse returns the same ms, over a spread of instants. */
START_TEST(test_isotime_roundtrip)
{
	char		 buf[ISOTIME_MS_LEN + 1];
	uint64_t	 x;
	int64_t		 ms, lo, back;
	int		 i;

	/* 0001-01-01 to 9999-12-31, walked with a fixed LCG. */
	lo = INT64_C(-62135596800000);
	x = 0x9e3779b97f4a7c15ULL + (uint64_t)_i;
	for (i = 0; i < 1000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		ms = lo + (int64_t)((x >> 11) % UINT64_C(315537897600000));
		isotime_format_ms(ms, buf);
		buf[10] = 'T';
		buf[ISOTIME_MS_LEN - 1] = 'Z';
		buf[ISOTIME_MS_LEN] = '\0';
		ck_assert_int_eq(isotime_parse_ms(buf, strlen(buf), &back), 0);
		ck_assert_int_eq(back, ms);
	}
}
END_TEST

/* The isotime suite: valid, reject and format. */
static Suite *
isotime_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("isotime");

	tc = tcase_create("valid");
	tcase_add_loop_test(tc, test_isotime_parse_valid, 0,
	    NELEM(valid_cases));
	tcase_add_loop_test(tc, test_isotime_parse_ms, 0, NELEM(ms_cases));
	tcase_add_test(tc, test_isotime_parse_len);
	suite_add_tcase(s, tc);

	tc = tcase_create("reject");
	tcase_add_loop_test(tc, test_isotime_parse_reject, 0,
	    NELEM(reject_cases));
	tcase_add_loop_test(tc, test_isotime_parse_ms_reject, 0,
	    NELEM(reject_cases));
	tcase_add_loop_test(tc, test_isotime_parse_ns_range, 0,
	    NELEM(ns_range_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_isotime_format, 0, NELEM(format_cases));
	tcase_add_loop_test(tc, test_isotime_roundtrip, 0, 4);
	suite_add_tcase(s, tc);

	return (s);
}

/* Run the suite; non-zero exit on any failure. */
int
main(void)
{
	return (check_run(isotime_suite()));
}
