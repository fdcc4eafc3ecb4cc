/*
 * ticksink: unit tests for handlers/drain.c, the drain state machine.
 *
 * Every transition is a row of a table: state and inputs, next state.  The
 * inputs are also swept exhaustively for the rules that hold whatever the
 * other inputs are (the deadline, RUNNING without a request, DONE).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "drain.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#define NSTATES		6

/* Inputs from a 4-bit pattern: requested, idle, closed, deadline. */
static struct drain_input
bits(unsigned v)
{
	struct drain_input	in;

	in.requested = (v & 1) != 0;
	in.sink_idle = (v & 2) != 0;
	in.consumer_closed = (v & 4) != 0;
	in.deadline_passed = (v & 8) != 0;
	return (in);
}

/* One transition. */
struct transition {
	enum drain_state	from;
	bool			requested;
	bool			sink_idle;
	bool			consumer_closed;
	bool			deadline_passed;
	enum drain_state	to;
};

static const struct transition transitions[] = {
	/* Running: only a request starts the drain. */
	{ DRAIN_RUNNING, false, false, false, false, DRAIN_RUNNING },
	{ DRAIN_RUNNING, false, true, true, false, DRAIN_RUNNING },
	{ DRAIN_RUNNING, true, false, false, false, DRAIN_FLUSHING },
	{ DRAIN_RUNNING, true, true, false, false, DRAIN_FLUSHING },
	/* Flushing is a single step: the flush happens on entry. */
	{ DRAIN_FLUSHING, true, false, false, false, DRAIN_WAIT_INSERTS },
	{ DRAIN_FLUSHING, true, true, false, false, DRAIN_WAIT_INSERTS },
	{ DRAIN_FLUSHING, true, true, true, false, DRAIN_WAIT_INSERTS },
	/* Waiting: until nothing is open, queued or in flight. */
	{ DRAIN_WAIT_INSERTS, true, false, false, false, DRAIN_WAIT_INSERTS },
	{ DRAIN_WAIT_INSERTS, true, false, true, false, DRAIN_WAIT_INSERTS },
	{ DRAIN_WAIT_INSERTS, true, true, false, false,
	    DRAIN_CLOSING_CONSUMER },
	/* The consumer is closed only after the inserts, never before. */
	{ DRAIN_WAIT_INSERTS, true, true, true, false,
	    DRAIN_CLOSING_CONSUMER },
	/* Closing: until librdkafka says the consumer is closed. */
	{ DRAIN_CLOSING_CONSUMER, true, true, false, false,
	    DRAIN_CLOSING_CONSUMER },
	{ DRAIN_CLOSING_CONSUMER, true, true, true, false, DRAIN_DONE },
	{ DRAIN_CLOSING_CONSUMER, true, false, true, false, DRAIN_DONE },
	/* The deadline beats progress in every draining state. */
	{ DRAIN_FLUSHING, true, false, false, true, DRAIN_EXPIRED },
	{ DRAIN_WAIT_INSERTS, true, true, false, true, DRAIN_EXPIRED },
	{ DRAIN_CLOSING_CONSUMER, true, true, true, true, DRAIN_EXPIRED },
	/* The ends stay. */
	{ DRAIN_DONE, true, true, true, false, DRAIN_DONE },
	{ DRAIN_DONE, true, true, true, true, DRAIN_DONE },
	{ DRAIN_EXPIRED, true, false, false, true, DRAIN_EXPIRED },
	{ DRAIN_EXPIRED, true, true, true, false, DRAIN_EXPIRED },
};

/* Each row of the transition table holds. */
START_TEST(test_drain_transition_table)
{
	const struct transition	*t = &transitions[_i];
	struct drain_input	 in = { t->requested, t->sink_idle,
				     t->consumer_closed, t->deadline_passed };

	ck_assert_int_eq(drain_next(t->from, &in), t->to);
}
END_TEST

/* The states where the drain deadline applies. */
static const enum drain_state draining[] = {
	DRAIN_FLUSHING, DRAIN_WAIT_INSERTS, DRAIN_CLOSING_CONSUMER,
	DRAIN_EXPIRED
};

/* With the deadline passed, any draining state expires, any inputs. */
START_TEST(test_drain_deadline_expires)
{
	enum drain_state	s = draining[_i / 8];
	struct drain_input	in = bits((unsigned)(_i % 8) | 8);

	ck_assert_int_eq(drain_next(s, &in), DRAIN_EXPIRED);
}
END_TEST

/* Without a request RUNNING stays RUNNING, whatever else is true. */
START_TEST(test_drain_running_stays)
{
	struct drain_input	in = bits((unsigned)_i << 1);

	ck_assert(!in.requested);
	ck_assert_int_eq(drain_next(DRAIN_RUNNING, &in), DRAIN_RUNNING);
}
END_TEST

/* A request while RUNNING flushes, even with the deadline flag set. */
START_TEST(test_drain_running_request_flushes)
{
	struct drain_input	in = bits(((unsigned)_i << 1) | 1);

	ck_assert_int_eq(drain_next(DRAIN_RUNNING, &in), DRAIN_FLUSHING);
}
END_TEST

/* DONE is final for every input. */
START_TEST(test_drain_done_is_final)
{
	struct drain_input	in = bits((unsigned)_i);

	ck_assert_int_eq(drain_next(DRAIN_DONE, &in), DRAIN_DONE);
}
END_TEST

/* From a draining state, the next state is never an earlier one. */
START_TEST(test_drain_never_goes_back)
{
	enum drain_state	s = (enum drain_state)(_i / 16);
	struct drain_input	in = bits((unsigned)(_i % 16));
	enum drain_state	n;

	n = drain_next(s, &in);
	ck_assert_int_ge(n, s);
	ck_assert_int_le(n, DRAIN_EXPIRED);
}
END_TEST

/* A drain with everything ready walks to DONE in four steps. */
START_TEST(test_drain_walk_to_done)
{
	struct drain_input	in = { true, true, true, false };
	enum drain_state	s = DRAIN_RUNNING;
	static const enum drain_state	want[] = { DRAIN_FLUSHING,
	    DRAIN_WAIT_INSERTS, DRAIN_CLOSING_CONSUMER, DRAIN_DONE,
	    DRAIN_DONE };
	size_t			i;

	for (i = 0; i < nitems(want); i++) {
		s = drain_next(s, &in);
		ck_assert_int_eq(s, want[i]);
	}
}
END_TEST

/* Every state has a distinct, non-NULL name. */
START_TEST(test_drain_names_unique)
{
	static const char	*want[NSTATES] = { "running", "flushing",
	    "wait_inserts", "closing_consumer", "done", "expired" };
	const char		*a, *b;
	int			 i, j;

	for (i = 0; i < NSTATES; i++) {
		a = drain_state_name((enum drain_state)i);
		ck_assert_ptr_nonnull(a);
		ck_assert_str_eq(a, want[i]);
		for (j = 0; j < i; j++) {
			b = drain_state_name((enum drain_state)j);
			ck_assert_str_ne(a, b);
		}
	}
}
END_TEST

/* Builds the suite: the table, the sweeps and the names. */
static Suite *
drain_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("drain");

	tc = tcase_create("transitions");
	tcase_add_loop_test(tc, test_drain_transition_table, 0,
	    nitems(transitions));
	tcase_add_loop_test(tc, test_drain_deadline_expires, 0,
	    nitems(draining) * 8);
	tcase_add_loop_test(tc, test_drain_running_stays, 0, 8);
	tcase_add_loop_test(tc, test_drain_running_request_flushes, 0, 8);
	tcase_add_loop_test(tc, test_drain_done_is_final, 0, 16);
	tcase_add_loop_test(tc, test_drain_never_goes_back, 0, NSTATES * 16);
	tcase_add_test(tc, test_drain_walk_to_done);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_drain_names_unique);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (check_run(drain_suite()));
}
