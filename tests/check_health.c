/*
 * ticksink: unit tests for handlers/health.c, the watchdog's decisions.
 *
 * Single looks are rows of a table (prior memory, inputs, expected state);
 * the behaviours that need memory (when work began, recovery, a long quiet
 * period, the drain's extensions) are short sequences on a simulated clock.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "health.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#define S		1000000ULL		/* one second in us */
#define NOW		(100000 * S)
#define NSTATES		9

static const struct health_limits limits = {
	.stall_us = 60 * S,
	.poll_max_us = 10 * S,
	.request_max_us = 15 * S,
	.drain_max_us = 25 * S,
};

/* One look: memory before it, the inputs, the state expected. */
struct look_case {
	const char		*what;
	uint64_t		 work_since_us;
	uint64_t		 drain_since_us;
	struct health_input	 in;
	enum health_state	 want;
};

#define IN(poll, landed, lag, buf, req, reach) \
	{ NOW, (poll), (landed), (lag), (buf), (req), (reach) }

static const struct look_case looks[] = {
	{ "no consumer yet", 0, 0, IN(0, 0, 0, 0, 0, true),
	    HEALTH_STARTING },
	{ "no consumer, clickhouse away", 0, 0, IN(0, 0, -1, 0, 0, false),
	    HEALTH_STARTING },
	{ "quiet for an hour", 0, 0, IN(NOW - S, NOW - 3600 * S, 0, 0, 0,
	    true), HEALTH_IDLE },
	{ "quiet, never landed", 0, 0, IN(NOW - S, 0, 0, 0, 0, true),
	    HEALTH_IDLE },
	{ "quiet, lag unknown", 0, 0, IN(NOW - S, 0, -1, 0, 0, true),
	    HEALTH_IDLE },
	{ "quiet, clickhouse away", 0, 0, IN(NOW - S, 0, 0, 0, 0, false),
	    HEALTH_IDLE },
	{ "lag, landing", NOW - 300 * S, 0, IN(NOW - S, NOW - S, 500, 0, 0,
	    true), HEALTH_FLOWING },
	{ "lag appears after a quiet hour", 0, 0, IN(NOW - S,
	    NOW - 3600 * S, 10, 0, 0, true), HEALTH_FLOWING },
	{ "lag since 59 s, nothing landed", NOW - 59 * S, 0, IN(NOW - S,
	    NOW - 3600 * S, 10, 0, 0, true), HEALTH_FLOWING },
	{ "lag since 60 s, nothing landed", NOW - 60 * S, 0, IN(NOW - S,
	    NOW - 3600 * S, 10, 0, 0, true), HEALTH_STALLED },
	{ "lag since long, landed 60 s ago", NOW - 600 * S, 0, IN(NOW - S,
	    NOW - 60 * S, 10, 0, 0, true), HEALTH_STALLED },
	{ "lag since long, landed 59 s ago", NOW - 600 * S, 0, IN(NOW - S,
	    NOW - 59 * S, 10, 0, 0, true), HEALTH_FLOWING },
	{ "all consumed, none landed", NOW - 61 * S, 0, IN(NOW - S, 0, 0,
	    4096, 0, true), HEALTH_STALLED },
	{ "lag unknown, held rows", NOW - 61 * S, 0, IN(NOW - S, 0, -1, 1,
	    0, true), HEALTH_STALLED },
	{ "stalled, clickhouse away", NOW - 61 * S, 0, IN(NOW - S, 0, 10,
	    4096, 0, false), HEALTH_CH_DOWN },
	{ "not yet stalled, clickhouse away", NOW - 5 * S, 0, IN(NOW - S, 0,
	    10, 4096, 0, false), HEALTH_FLOWING },
	{ "polled 10 s ago", 0, 0, IN(NOW - 10 * S, 0, 0, 0, 0, true),
	    HEALTH_IDLE },
	{ "polled 10 s + 1 us ago", 0, 0, IN(NOW - 10 * S - 1, 0, 0, 0, 0,
	    true), HEALTH_POLL_STALE },
	{ "request 15 s old", 0, 0, IN(NOW - S, 0, 0, 0, 15 * S, true),
	    HEALTH_IDLE },
	{ "request 15 s + 1 us old", 0, 0, IN(NOW - S, 0, 0, 0, 15 * S + 1,
	    true), HEALTH_REQUEST_STUCK },
	{ "request stuck while starting", 0, 0, IN(0, 0, 0, 0, 20 * S,
	    true), HEALTH_REQUEST_STUCK },
	{ "draining with a stall", NOW - 600 * S, NOW - 5 * S, IN(NOW - S, 0,
	    10, 4096, 0, true), HEALTH_DRAINING },
	{ "draining 25 s", 0, NOW - 25 * S, IN(NOW - S, 0, 0, 0, 0, true),
	    HEALTH_DRAINING },
	{ "draining 25 s + 1 us", 0, NOW - 25 * S - 1, IN(NOW - S, 0, 0, 0,
	    0, true), HEALTH_DRAIN_OVERDUE },
	{ "request stuck while draining", 0, NOW - S, IN(NOW - S, 0, 0, 0,
	    16 * S, true), HEALTH_REQUEST_STUCK },
	{ "poll stale while draining", 0, NOW - S, IN(NOW - 11 * S, 0, 0, 0,
	    0, true), HEALTH_POLL_STALE },
};

/* One watchdog environment. */
static const struct {
	const char	*usec;
	const char	*pid;
	long		 self;
	int		 rc;
	uint64_t	 out;
} wd_envs[] = {
	{ NULL, NULL, 42, 0, 0 },
	{ NULL, "42", 42, 0, 0 },
	{ "2000000", NULL, 42, 1, 2000000 },
	{ "2000000", "42", 42, 1, 2000000 },
	{ "2000000", "43", 42, 0, 0 },
	{ "1", NULL, 42, 1, 1 },
	{ "18446744073709551615", NULL, 42, 1, UINT64_MAX },
	{ "18446744073709551616", NULL, 42, -1, 0 },
	{ "0", NULL, 42, -1, 0 },
	{ "", NULL, 42, -1, 0 },
	{ "-5", NULL, 42, -1, 0 },
	{ "+5", NULL, 42, -1, 0 },
	{ " 5", NULL, 42, -1, 0 },
	{ "5 ", NULL, 42, -1, 0 },
	{ "12x", NULL, 42, -1, 0 },
	{ "5", "", 42, -1, 0 },
	{ "5", "x", 42, -1, 0 },
	{ "5", "0", 42, -1, 0 },
};

static const struct {
	uint64_t	usec;
	uint64_t	interval;
} wd_intervals[] = {
	{ 2000000, 1000000 },
	{ 30000000, 15000000 },
	{ 2002, 1001 },
	{ 2001, 1000 },
	{ 1999, 1000 },
	{ 1, 1000 },
	{ UINT64_MAX, UINT64_MAX / 2 },
};

static struct health	h;

/* A fresh memory for each test. */
static void
setup(void)
{
	health_init(&h);
}

/* Inputs at time now with lag and buffered bytes; polled just now. */
static struct health_input
at(uint64_t now, uint64_t landed, int64_t lag, uint64_t buffered)
{
	struct health_input	in = {
		.now_us = now,
		.last_poll_us = now,
		.last_landed_us = landed,
		.lag = lag,
		.buffered_bytes = buffered,
		.oldest_request_us = 0,
		.ch_reachable = true,
	};

	return (in);
}

START_TEST(test_health_look)
{
	const struct look_case	*c = &looks[_i];

	h.work_since_us = c->work_since_us;
	h.drain_since_us = c->drain_since_us;
	ck_assert_msg(health_check(&h, &c->in, &limits) == c->want,
	    "%s: got %s, want %s", c->what, health_state_name(h.state),
	    health_state_name(c->want));
	ck_assert_int_eq(h.state, c->want);
}
END_TEST

START_TEST(test_health_ok_states)
{
	ck_assert(health_is_ok(HEALTH_STARTING));
	ck_assert(health_is_ok(HEALTH_IDLE));
	ck_assert(health_is_ok(HEALTH_FLOWING));
	ck_assert(health_is_ok(HEALTH_CH_DOWN));
	ck_assert(health_is_ok(HEALTH_DRAINING));
	ck_assert(!health_is_ok(HEALTH_STALLED));
	ck_assert(!health_is_ok(HEALTH_POLL_STALE));
	ck_assert(!health_is_ok(HEALTH_REQUEST_STUCK));
	ck_assert(!health_is_ok(HEALTH_DRAIN_OVERDUE));
}
END_TEST

START_TEST(test_health_state_names)
{
	int	a, b;

	for (a = 0; a < NSTATES; a++) {
		ck_assert_ptr_nonnull(health_state_name(a));
		for (b = 0; b < a; b++)
			ck_assert_str_ne(health_state_name(a),
			    health_state_name(b));
	}
	ck_assert_str_eq(health_state_name(HEALTH_STALLED), "stalled");
}
END_TEST

START_TEST(test_health_init)
{
	ck_assert_int_eq(h.state, HEALTH_STARTING);
	ck_assert_uint_eq(h.work_since_us, 0);
	ck_assert_uint_eq(h.drain_since_us, 0);
}
END_TEST

/* The stall clock starts when work appears, and resets when it is gone. */
START_TEST(test_health_stall_clock)
{
	struct health_input	in;
	uint64_t		t0 = NOW, landed = NOW - 3600 * S;

	in = at(t0, landed, 5, 0);
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_FLOWING);
	ck_assert_uint_eq(h.work_since_us, t0);
	in = at(t0 + 30 * S, landed, 0, 100);
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_FLOWING);
	ck_assert_uint_eq(h.work_since_us, t0);
	in = at(t0 + 60 * S - 1, landed, 7, 100);
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_FLOWING);
	in = at(t0 + 60 * S, landed, 7, 100);
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_STALLED);
	in = at(t0 + 61 * S, landed, 0, 0);
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_IDLE);
	ck_assert_uint_eq(h.work_since_us, 0);
	in = at(t0 + 200 * S, landed, 3, 0);
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_FLOWING);
	ck_assert_uint_eq(h.work_since_us, t0 + 200 * S);
}
END_TEST

/* A stall ends as soon as rows land again. */
START_TEST(test_health_recovers)
{
	struct health_input	in;

	in = at(NOW, 0, 10, 4096);
	health_check(&h, &in, &limits);
	in = at(NOW + 90 * S, 0, 50, 8192);
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_STALLED);
	in = at(NOW + 91 * S, NOW + 91 * S, 50, 4096);
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_FLOWING);
	in = at(NOW + 152 * S, NOW + 91 * S, 50, 4096);
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_STALLED);
}
END_TEST

/* A day without a single tick stays healthy at every look. */
START_TEST(test_health_quiet_day)
{
	struct health_input	in;
	uint64_t		t;

	for (t = NOW; t < NOW + 86400 * S; t += 15 * S) {
		in = at(t, NOW - S, 0, 0);
		ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_IDLE);
	}
}
END_TEST

/* ClickHouse away: reported, but the watchdog keeps being fed. */
START_TEST(test_health_clickhouse_down)
{
	struct health_input	in;

	in = at(NOW, NOW, 10, 4096);
	health_check(&h, &in, &limits);
	in = at(NOW + 120 * S, NOW, 10, 4096);
	in.ch_reachable = false;
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_CH_DOWN);
	ck_assert(health_is_ok(h.state));
	in.ch_reachable = true;
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_STALLED);
}
END_TEST

START_TEST(test_health_drain_state)
{
	struct health_input	in;

	health_drain_begin(&h, NOW, 0);
	health_drain_begin(&h, NOW + 10 * S, 0);	/* idempotent */
	ck_assert_uint_eq(h.drain_since_us, NOW);
	in = at(NOW + 25 * S, 0, 0, 0);
	ck_assert_int_eq(health_check(&h, &in, &limits), HEALTH_DRAINING);
	in = at(NOW + 25 * S + 1, 0, 0, 0);
	ck_assert_int_eq(health_check(&h, &in, &limits),
	    HEALTH_DRAIN_OVERDUE);
}
END_TEST

/* EXTEND_TIMEOUT_USEC only on progress, at most once a second. */
START_TEST(test_health_drain_extend)
{
	ck_assert_uint_eq(health_drain_extend(&h, NOW, 100, 9 * S), 0);
	health_drain_begin(&h, NOW, 100);
	ck_assert_uint_eq(health_drain_extend(&h, NOW, 100, 9 * S), 0);
	ck_assert_uint_eq(health_drain_extend(&h, NOW + 1, 101, 9 * S),
	    9 * S);
	ck_assert_uint_eq(health_drain_extend(&h, NOW + 2, 150, 9 * S), 0);
	ck_assert_uint_eq(health_drain_extend(&h, NOW + S, 150, 9 * S), 0);
	ck_assert_uint_eq(health_drain_extend(&h, NOW + S + 1, 150, 9 * S),
	    9 * S);
	ck_assert_uint_eq(health_drain_extend(&h, NOW + 5 * S, 150, 9 * S),
	    0);
	ck_assert_uint_eq(health_drain_extend(&h, NOW + 6 * S, 151, 7 * S),
	    7 * S);
}
END_TEST

START_TEST(test_health_start_extend)
{
	ck_assert_uint_eq(health_start_extend(HEALTH_STARTING, false, 7), 7);
	ck_assert_uint_eq(health_start_extend(HEALTH_IDLE, false, 7), 7);
	ck_assert_uint_eq(health_start_extend(HEALTH_CH_DOWN, false, 7), 7);
	ck_assert_uint_eq(health_start_extend(HEALTH_STARTING, true, 7), 0);
	ck_assert_uint_eq(health_start_extend(HEALTH_REQUEST_STUCK, false,
	    7), 0);
	ck_assert_uint_eq(health_start_extend(HEALTH_POLL_STALE, false, 7),
	    0);
}
END_TEST

START_TEST(test_health_status_line)
{
	struct health_counters	prev = { NOW, 1000, 900, 3 };
	struct health_counters	cur = { NOW + 2 * S, 3000, 2890, 15 };
	char			buf[256];
	int			n;

	n = health_status(buf, sizeof buf, HEALTH_FLOWING, &prev, &cur, 40,
	    1258291, true);
	ck_assert_str_eq(buf, "flowing: in 1000/s, landed 995/s, rejects 15, "
	    "lag 40, buffered 1.2 MiB, clickhouse ok");
	ck_assert_int_eq(n, (int)strlen(buf));
	health_status(buf, sizeof buf, HEALTH_STALLED, &prev, &prev, -1, 512,
	    false);
	ck_assert_str_eq(buf, "stalled (watchdog stopped): in 0/s, landed "
	    "0/s, rejects 3, lag ?, buffered 512 B, clickhouse unreachable");
	health_status(buf, sizeof buf, HEALTH_IDLE, &prev, &cur, 0, 1536,
	    true);
	ck_assert_str_eq(buf, "idle: in 1000/s, landed 995/s, rejects 15, "
	    "lag 0, buffered 1.5 KiB, clickhouse ok");
}
END_TEST

/* Rates round to the nearest event per second; no span gives 0. */
START_TEST(test_health_status_rates)
{
	struct health_counters	prev = { NOW, 0, 0, 0 };
	struct health_counters	cur = { NOW + 3 * S, 5, 4, 0 };
	char			buf[256];

	health_status(buf, sizeof buf, HEALTH_FLOWING, &prev, &cur, 0, 0,
	    true);
	ck_assert_ptr_nonnull(strstr(buf, "in 2/s, landed 1/s,"));
	cur.at_us = NOW;
	health_status(buf, sizeof buf, HEALTH_FLOWING, &prev, &cur, 0, 0,
	    true);
	ck_assert_ptr_nonnull(strstr(buf, "in 0/s, landed 0/s,"));
	cur.at_us = NOW - S;
	health_status(buf, sizeof buf, HEALTH_FLOWING, &prev, &cur, 0, 0,
	    true);
	ck_assert_ptr_nonnull(strstr(buf, "in 0/s, landed 0/s,"));
}
END_TEST

START_TEST(test_health_status_truncates)
{
	struct health_counters	c = { NOW, 0, 0, 0 };
	char			buf[8];
	int			n;

	memset(buf, 'x', sizeof buf);
	n = health_status(buf, sizeof buf, HEALTH_IDLE, &c, &c, 0, 0, true);
	ck_assert_str_eq(buf, "idle: i");
	ck_assert_int_gt(n, (int)sizeof buf);
}
END_TEST

START_TEST(test_health_watchdog_env)
{
	uint64_t	out = 0;
	int		rc;

	rc = health_watchdog_usec(wd_envs[_i].usec, wd_envs[_i].pid,
	    wd_envs[_i].self, &out);
	ck_assert_msg(rc == wd_envs[_i].rc, "usec '%s' pid '%s': got %d",
	    wd_envs[_i].usec ? wd_envs[_i].usec : "(unset)",
	    wd_envs[_i].pid ? wd_envs[_i].pid : "(unset)", rc);
	ck_assert_uint_eq(out, wd_envs[_i].out);
}
END_TEST

START_TEST(test_health_watchdog_interval)
{
	ck_assert_uint_eq(health_watchdog_interval(wd_intervals[_i].usec),
	    wd_intervals[_i].interval);
}
END_TEST

/* The suite. */
static Suite *
health_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("health");

	tc = tcase_create("check");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_health_look, 0, nitems(looks));
	tcase_add_test(tc, test_health_ok_states);
	tcase_add_test(tc, test_health_state_names);
	tcase_add_test(tc, test_health_init);
	tcase_add_test(tc, test_health_stall_clock);
	tcase_add_test(tc, test_health_recovers);
	tcase_add_test(tc, test_health_quiet_day);
	tcase_add_test(tc, test_health_clickhouse_down);
	suite_add_tcase(s, tc);

	tc = tcase_create("extend");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_health_drain_state);
	tcase_add_test(tc, test_health_drain_extend);
	tcase_add_test(tc, test_health_start_extend);
	suite_add_tcase(s, tc);

	tc = tcase_create("status");
	tcase_add_test(tc, test_health_status_line);
	tcase_add_test(tc, test_health_status_rates);
	tcase_add_test(tc, test_health_status_truncates);
	suite_add_tcase(s, tc);

	tc = tcase_create("watchdog");
	tcase_add_loop_test(tc, test_health_watchdog_env, 0, nitems(wd_envs));
	tcase_add_loop_test(tc, test_health_watchdog_interval, 0,
	    nitems(wd_intervals));
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (check_run(health_suite()));
}
