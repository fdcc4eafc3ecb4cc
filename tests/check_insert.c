/*
 * ticksink: unit tests for handlers/insert.c, what ClickHouse's answer
 * means and when to try again.
 *
 * The error bodies are the servers' real formats: 18.16 writes
 * "Code: 27, e.displayText() = DB::Exception: ...", current servers
 * "Code: 27. DB::Exception: ...".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "insert.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

#define MS		UINT64_C(1000)
#define S		UINT64_C(1000000)

/* A body, the length to look at (0: all of it) and the code in it. */
struct code_case {
	const char	*body;
	size_t		 len;
	int		 code;
};

static const struct code_case codes[] = {
	{ "Code: 27, e.displayText() = DB::Exception: Cannot parse input: "
	    "expected \\t before: x (at row 2), e.what() = DB::Exception\n",
	    0, 27 },
	{ "Code: 62. DB::Exception: Syntax error: failed at position 1: "
	    "(SYNTAX_ERROR) (version 24.8.1.1)\n", 0, 62 },
	{ "Code: 241. DB::Exception: Memory limit (total) exceeded", 0, 241 },
	{ "Code: 6. DB::Exception: Cannot parse string", 0, 6 },
	{ "Code: 999999. DB::Exception: six digits", 0, 999999 },
	{ "Poco::Exception. Code: 1000, e.code() = 0", 0, 1000 },
	{ "Code: 27", 0, 27 },
	/* The length is respected: the digits after it are not read. */
	{ "Code: 271", 8, 27 },
	{ "Code: 27", 7, 2 },
	{ "Code: 27", 6, -1 },
	/* No code. */
	{ "", 0, -1 },
	{ "Bad Gateway", 0, -1 },
	{ "DB::Exception: something without a code", 0, -1 },
	{ "code: 27, lower case", 0, -1 },
	{ "Code:27 no space", 0, -1 },
	/* A tag with no digits. */
	{ "Code: ", 0, -1 },
	{ "Code: , e.displayText() = x", 0, -1 },
	{ "Code: -5", 0, -1 },
	/* Huge digit strings do not overflow into some code. */
	{ "Code: 1234567. DB::Exception: too long", 0, -1 },
	{ "Code: 99999999999999999999999999999999999999999", 0, -1 },
};

/* insert_error_code finds the code, or -1. */
START_TEST(test_insert_error_code_table)
{
	const struct code_case	*c = &codes[_i];
	size_t			 len;

	len = c->len != 0 ? c->len : strlen(c->body);
	ck_assert_int_eq(insert_error_code(c->body, len), c->code);
}
END_TEST

/* A body with no terminating NUL is read only within its length. */
START_TEST(test_insert_error_code_unterminated)
{
	char	*body;

	body = malloc(9);
	ck_assert_ptr_nonnull(body);
	memcpy(body, "Code: 194", 9);
	ck_assert_int_eq(insert_error_code(body, 9), 194);
	ck_assert_int_eq(insert_error_code(body, 0), -1);
	free(body);
	ck_assert_int_eq(insert_error_code(NULL, 0), -1);
}
END_TEST

/* A response and how it must be classified. */
struct classify_case {
	enum insert_transport	 transport;
	long			 status;
	const char		*body;
	enum insert_outcome	 want;
	int			 code;
};

#define E18(n)	"Code: " #n ", e.displayText() = DB::Exception: x, e.what() = " \
		"DB::Exception\n"
#define E24(n)	"Code: " #n ". DB::Exception: x. (SOME_ERROR) (version 24.8)\n"

static const struct classify_case classify[] = {
	/* The transfer failed: it may or may not have landed; retry. */
	{ INSERT_NET_TIMEOUT, 0, "", INSERT_RETRY, -1 },
	{ INSERT_NET_ERROR, 0, "", INSERT_RETRY, -1 },
	{ INSERT_NET_ERROR, 500, E18(27), INSERT_RETRY, -1 },
	/* 2xx landed. */
	{ INSERT_NET_OK, 200, "", INSERT_OK, -1 },
	{ INSERT_NET_OK, 204, "", INSERT_OK, -1 },
	{ INSERT_NET_OK, 200, E18(27), INSERT_OK, -1 },
	/* A verdict on the data: poison. */
	{ INSERT_NET_OK, 500, "Code: 27, e.displayText() = DB::Exception: "
	    "Cannot parse input (at row 2)", INSERT_POISON, 27 },
	{ INSERT_NET_OK, 500, E18(6), INSERT_POISON, 6 },
	/* 252: a batch over > 100 partitions splits; merge pressure waits. */
	{ INSERT_NET_OK, 500, "Code: 252. DB::Exception: Too many partitions "
	    "for single INSERT block (more than 100). (TOO_MANY_PARTS)",
	    INSERT_POISON, 252 },
	{ INSERT_NET_OK, 500, "Code: 252. DB::Exception: Too many parts (300)."
	    " Merges are processing significantly slower than inserts. "
	    "(TOO_MANY_PARTS)", INSERT_RETRY, 252 },
	{ INSERT_NET_OK, 500, E18(53), INSERT_POISON, 53 },
	{ INSERT_NET_OK, 500, E18(33), INSERT_POISON, 33 },
	{ INSERT_NET_OK, 400, E24(27), INSERT_POISON, 27 },
	{ INSERT_NET_OK, 400, E24(72), INSERT_POISON, 72 },
	{ INSERT_NET_OK, 500, E24(117), INSERT_POISON, 117 },
	/* Server trouble or an operator's problem: retry. */
	{ INSERT_NET_OK, 500, E18(241), INSERT_RETRY, 241 },
	{ INSERT_NET_OK, 500, E24(241), INSERT_RETRY, 241 },
	{ INSERT_NET_OK, 401, E24(193), INSERT_RETRY, 193 },
	{ INSERT_NET_OK, 500, E18(193), INSERT_RETRY, 193 },
	{ INSERT_NET_OK, 404, E24(60), INSERT_RETRY, 60 },
	{ INSERT_NET_OK, 404, E24(115), INSERT_RETRY, 115 },
	{ INSERT_NET_OK, 400, E24(62), INSERT_RETRY, 62 },
	{ INSERT_NET_OK, 503, "Service Unavailable", INSERT_RETRY, -1 },
	{ INSERT_NET_OK, 502, "Bad Gateway", INSERT_RETRY, -1 },
	{ INSERT_NET_OK, 504, "", INSERT_RETRY, -1 },
	{ INSERT_NET_OK, 503, E18(27), INSERT_RETRY, 27 },
	{ INSERT_NET_OK, 500, "", INSERT_RETRY, -1 },
	{ INSERT_NET_OK, 500, "Internal Server Error", INSERT_RETRY, -1 },
	{ INSERT_NET_OK, 302, "", INSERT_RETRY, -1 },
	{ INSERT_NET_OK, 0, "", INSERT_RETRY, -1 },
};

/* insert_classify gives the outcome and the code for each answer. */
START_TEST(test_insert_classify_table)
{
	const struct classify_case	*c = &classify[_i];
	struct insert_response		 r = { c->transport, c->status, c->body,
					     strlen(c->body), 0 };
	int				 code = 12345;

	ck_assert_int_eq(insert_classify(&r, &code), c->want);
	ck_assert_int_eq(code, c->code);
}
END_TEST

/* The first retry waits between 50 and 100 ms, whatever the random. */
START_TEST(test_insert_backoff_first)
{
	static const uint64_t	rnds[] = { 0, 1, 49999, 50000, 50001,
	    123456789, UINT64_MAX / 2, UINT64_MAX };
	size_t			i;
	uint64_t		d;

	for (i = 0; i < nitems(rnds); i++) {
		d = insert_backoff_us(1, rnds[i]);
		ck_assert_uint_ge(d, 50 * MS);
		ck_assert_uint_le(d, 100 * MS);
	}
	ck_assert_uint_eq(insert_backoff_us(1, 0), 50 * MS);
	ck_assert_uint_eq(insert_backoff_us(1, 50000), 100 * MS);
}
END_TEST

/* The range doubles with each attempt until the cap. */
START_TEST(test_insert_backoff_grows)
{
	unsigned	a;
	uint64_t	lo, hi, prev_lo = 0;

	/* With equal jitter the range of attempt a is [d/2, d]. */
	for (a = 1; a <= 9; a++) {
		lo = insert_backoff_us(a, 0);
		hi = insert_backoff_us(a, lo);
		ck_assert_uint_eq(hi, 2 * lo);
		if (a > 1)
			ck_assert_uint_eq(lo, 2 * prev_lo);
		prev_lo = lo;
	}
	ck_assert_uint_eq(insert_backoff_us(9, 0), 100 * MS * 256 / 2);
}
END_TEST

/* Late attempts stay within [15 s, 30 s]. */
START_TEST(test_insert_backoff_capped)
{
	static const unsigned	attempts[] = { 10, 11, 20, 50, 1000,
	    UINT32_MAX };
	static const uint64_t	rnds[] = { 0, 7, 15000000, 15000001,
	    987654321987, UINT64_MAX };
	size_t			i, j;
	uint64_t		d;

	for (i = 0; i < nitems(attempts); i++) {
		for (j = 0; j < nitems(rnds); j++) {
			d = insert_backoff_us(attempts[i], rnds[j]);
			ck_assert_uint_ge(d, 15 * S);
			ck_assert_uint_le(d, 30 * S);
		}
	}
	ck_assert_uint_eq(insert_backoff_us(50, 0), 15 * S);
	ck_assert_uint_eq(insert_backoff_us(50, 15000000), 30 * S);
}
END_TEST

/* The same attempt and random value give the same delay. */
START_TEST(test_insert_backoff_deterministic)
{
	unsigned	a;
	uint64_t	rnd = UINT64_C(0x9e3779b97f4a7c15);

	for (a = 1; a < 40; a++) {
		ck_assert_uint_eq(insert_backoff_us(a, rnd),
		    insert_backoff_us(a, rnd));
		rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
	}
	ck_assert_uint_ne(insert_backoff_us(5, 1), insert_backoff_us(5, 2));
}
END_TEST

/* Outcome names for logs. */
START_TEST(test_insert_outcome_names)
{
	ck_assert_str_eq(insert_outcome_name(INSERT_OK), "ok");
	ck_assert_str_eq(insert_outcome_name(INSERT_RETRY), "retry");
	ck_assert_str_eq(insert_outcome_name(INSERT_POISON), "poison");
}
END_TEST

/* Builds the suite: codes, classification and backoff. */
static Suite *
insert_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("insert");

	tc = tcase_create("code");
	tcase_add_loop_test(tc, test_insert_error_code_table, 0,
	    nitems(codes));
	tcase_add_test(tc, test_insert_error_code_unterminated);
	suite_add_tcase(s, tc);

	tc = tcase_create("classify");
	tcase_add_loop_test(tc, test_insert_classify_table, 0,
	    nitems(classify));
	tcase_add_test(tc, test_insert_outcome_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("backoff");
	tcase_add_test(tc, test_insert_backoff_first);
	tcase_add_test(tc, test_insert_backoff_grows);
	tcase_add_test(tc, test_insert_backoff_capped);
	tcase_add_test(tc, test_insert_backoff_deterministic);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (check_run(insert_suite()));
}
