/*
 * ticksink: unit tests for handlers/endpoint.c, ClickHouse failover.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

/* Which answers say the endpoint is away, and which come from a server. */
START_TEST(test_endpoint_is_away)
{
	static const struct {
		enum insert_transport	 transport;
		long			 status;
		const char		*body;
		bool			 away;
	} cases[] = {
		{ INSERT_NET_ERROR, 0, "Couldn't connect to server", true },
		{ INSERT_NET_TIMEOUT, 0, "Operation timed out", true },
		{ INSERT_NET_OK, 200, "", false },
		{ INSERT_NET_OK, 502, "bad gateway", true },
		{ INSERT_NET_OK, 503, "injected 503\n", true },
		{ INSERT_NET_OK, 504, "", true },
		{ INSERT_NET_OK, 505, "", false },
		{ INSERT_NET_OK, 500, "Code: 242, e.displayText() = "
		    "DB::Exception: Table is in readonly mode", true },
		{ INSERT_NET_OK, 500, "Code: 225. DB::Exception: ZooKeeper "
		    "is not configured", true },
		{ INSERT_NET_OK, 500, "Code: 319, e.displayText() = unknown "
		    "status", true },
		{ INSERT_NET_OK, 500, "Code: 999, e.displayText() = "
		    "Coordination::Exception", true },
		/* The server works: a bad row, a missing table, no code. */
		{ INSERT_NET_OK, 500, "Code: 27, e.displayText() = "
		    "DB::Exception: Cannot parse input", false },
		{ INSERT_NET_OK, 404, "Code: 60. DB::Exception: Table "
		    "default.t doesn't exist", false },
		{ INSERT_NET_OK, 500, "Internal error", false },
		/* A code of the set outside a server error proves nothing. */
		{ INSERT_NET_OK, 400, "Code: 242", false },
	};
	struct insert_response	r;
	size_t			i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r.transport = cases[i].transport;
		r.status = cases[i].status;
		r.body = cases[i].body;
		r.len = strlen(cases[i].body);
		r.elapsed_us = 0;
		ck_assert_msg(endpoint_is_away(&r) == cases[i].away,
		    "case %zu: HTTP %ld '%s'", i, cases[i].status,
		    cases[i].body);
	}
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
	tcase_add_test(tc, test_endpoint_is_away);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (check_run(endpoint_suite()));
}
