/*
 * ticksink: unit tests for handlers/endpoint.c, ClickHouse failover.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include <check.h>

#include "endpoint.h"
#include "check_run.h"

/* A fresh list sends to the first endpoint. */
START_TEST(test_endpoint_starts_at_first)
{
	struct endpoints	e;

	endpoints_init(&e, 3);
	ck_assert_uint_eq(e.cur, 0);
	ck_assert_uint_eq(e.switches, 0);
}
END_TEST

/* Failures of the current endpoint walk the list and wrap around. */
START_TEST(test_endpoint_walks_and_wraps)
{
	struct endpoints	e;
	size_t			i;

	endpoints_init(&e, 3);
	for (i = 1; i <= 7; i++) {
		ck_assert(endpoints_failed(&e, e.cur));
		ck_assert_uint_eq(e.cur, i % 3);
		ck_assert_uint_eq(e.switches, i);
	}
}
END_TEST

/*
 * Requests in flight to one endpoint that fail together move the current
 * endpoint once: the later ones name an endpoint already left.
 */
START_TEST(test_endpoint_stale_failure_moves_nothing)
{
	struct endpoints	e;

	endpoints_init(&e, 3);
	ck_assert(endpoints_failed(&e, 0));
	ck_assert(!endpoints_failed(&e, 0));
	ck_assert(!endpoints_failed(&e, 0));
	ck_assert_uint_eq(e.cur, 1);
	ck_assert_uint_eq(e.switches, 1);
	/* A failure of an endpoint that is not current, ahead of it too. */
	ck_assert(!endpoints_failed(&e, 2));
	ck_assert_uint_eq(e.cur, 1);
}
END_TEST

/* With one endpoint there is nowhere to go: retries stay on it. */
START_TEST(test_endpoint_single_stays)
{
	struct endpoints	e;

	endpoints_init(&e, 1);
	ck_assert(!endpoints_failed(&e, 0));
	ck_assert(!endpoints_failed(&e, 0));
	ck_assert_uint_eq(e.cur, 0);
	ck_assert_uint_eq(e.switches, 0);
}
END_TEST

static Suite *
endpoint_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("endpoint");
	tc = tcase_create("failover");
	tcase_add_test(tc, test_endpoint_starts_at_first);
	tcase_add_test(tc, test_endpoint_walks_and_wraps);
	tcase_add_test(tc, test_endpoint_stale_failure_moves_nothing);
	tcase_add_test(tc, test_endpoint_single_stays);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (check_run(endpoint_suite()));
}
