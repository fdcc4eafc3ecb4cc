/*
 * ticksink: unit tests for handlers/batch.c, the flush decision.
 *
 * The clock is injected: every case names its open time and "now" in
 * microseconds, so the delay trigger is tested to the microsecond.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <check.h>

#include "batch.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

#define T0		UINT64_C(5000000000)	/* an arbitrary monotonic time */
#define DELAY		UINT64_C(250000)	/* 0.25 s */

static const struct batch_limits limits = {
	.max_rows = 150,
	.max_bytes = 1024 * 1024,
	.max_delay_us = DELAY
};

/* One state of an open batch and the decision it must give. */
struct check_case {
	uint32_t		nrows;
	size_t			bytes;
	uint64_t		opened_us;
	uint64_t		now_us;
	enum batch_decision	want;
};

static const struct check_case checks[] = {
	/* Empty batches never flush, whatever the time or bytes. */
	{ 0, 0, T0, T0, BATCH_KEEP },
	{ 0, 0, T0, T0 + 100 * DELAY, BATCH_KEEP },
	{ 0, 2 * 1024 * 1024, T0, T0 + DELAY, BATCH_KEEP },
	/* Rows. */
	{ 1, 68, T0, T0, BATCH_KEEP },
	{ 149, 149 * 68, T0, T0 + DELAY - 1, BATCH_KEEP },
	{ 150, 150 * 68, T0, T0, BATCH_FLUSH_ROWS },
	{ 151, 151 * 68, T0, T0, BATCH_FLUSH_ROWS },
	/* Bytes. */
	{ 10, 1024 * 1024 - 1, T0, T0, BATCH_KEEP },
	{ 10, 1024 * 1024, T0, T0, BATCH_FLUSH_BYTES },
	{ 10, 1024 * 1024 + 500, T0, T0, BATCH_FLUSH_BYTES },
	/* Delay, measured from the first row, to the microsecond. */
	{ 1, 68, T0, T0 + DELAY - 1, BATCH_KEEP },
	{ 1, 68, T0, T0 + DELAY, BATCH_FLUSH_DELAY },
	{ 1, 68, T0, T0 + DELAY + 1, BATCH_FLUSH_DELAY },
	{ 1, 68, 0, DELAY - 1, BATCH_KEEP },
	{ 1, 68, 0, DELAY, BATCH_FLUSH_DELAY },
	/* Rows win over bytes, bytes over delay. */
	{ 150, 1024 * 1024, T0, T0 + DELAY, BATCH_FLUSH_ROWS },
	{ 20, 1024 * 1024, T0, T0 + DELAY, BATCH_FLUSH_BYTES },
};

/* A deadline case: rows, open time and the deadline expected. */
struct deadline_case {
	uint32_t	nrows;
	uint64_t	opened_us;
	uint64_t	want;
};

static const struct deadline_case deadlines[] = {
	{ 0, T0, UINT64_MAX },
	{ 0, 0, UINT64_MAX },
	{ 1, T0, T0 + DELAY },
	{ 149, T0, T0 + DELAY },
	{ 1, 0, DELAY },
};

static const char *names[] = { "keep", "rows", "bytes", "delay",
    "caught_up", "drain" };

/* batch_check gives the expected decision for each state. */
START_TEST(test_batch_check_table)
{
	const struct check_case	*c = &checks[_i];

	ck_assert_int_eq(batch_check(&limits, c->nrows, c->bytes,
	    c->opened_us, c->now_us), c->want);
}
END_TEST

/*
 * batch_full, what the sink asks as each row is added, decides on the
 * sizes alone: a batch past its delay is kept until the timer closes it.
 */
START_TEST(test_batch_full_table)
{
	const struct check_case	*c = &checks[_i];

	ck_assert_int_eq(batch_full(&limits, c->nrows, c->bytes),
	    c->want == BATCH_FLUSH_DELAY ? BATCH_KEEP : c->want);
}
END_TEST

/* The deadline is open time plus the delay; never for an empty batch. */
START_TEST(test_batch_deadline_table)
{
	const struct deadline_case	*c = &deadlines[_i];

	ck_assert_uint_eq(batch_deadline(&limits, c->nrows, c->opened_us),
	    c->want);
}
END_TEST

/*
 * The deadline and the delay trigger agree: the batch keeps one microsecond
 * before its deadline and flushes at it.
 */
START_TEST(test_batch_deadline_matches_check)
{
	uint64_t	d;

	d = batch_deadline(&limits, 3, T0);
	ck_assert_int_eq(batch_check(&limits, 3, 200, T0, d - 1), BATCH_KEEP);
	ck_assert_int_eq(batch_check(&limits, 3, 200, T0, d),
	    BATCH_FLUSH_DELAY);
}
END_TEST

/* A one-row limit flushes every row at once. */
START_TEST(test_batch_single_row_limit)
{
	const struct batch_limits	one = { 1, 1024, DELAY };

	ck_assert_int_eq(batch_check(&one, 1, 68, T0, T0), BATCH_FLUSH_ROWS);
	ck_assert_int_eq(batch_check(&one, 0, 0, T0, T0), BATCH_KEEP);
}
END_TEST

/* A zero delay flushes any non-empty batch at once. */
START_TEST(test_batch_zero_delay)
{
	const struct batch_limits	now = { 150, 1024, 0 };

	ck_assert_int_eq(batch_check(&now, 1, 68, T0, T0), BATCH_FLUSH_DELAY);
	ck_assert_uint_eq(batch_deadline(&now, 1, T0), T0);
}
END_TEST

/* Each decision has its name. */
START_TEST(test_batch_decision_names)
{
	ck_assert_str_eq(batch_decision_name((enum batch_decision)_i),
	    names[_i]);
}
END_TEST

/* Builds the suite: decisions, deadlines and names. */
static Suite *
batch_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("batch");

	tc = tcase_create("decide");
	tcase_add_loop_test(tc, test_batch_check_table, 0, nitems(checks));
	tcase_add_loop_test(tc, test_batch_full_table, 0, nitems(checks));
	tcase_add_test(tc, test_batch_single_row_limit);
	tcase_add_test(tc, test_batch_zero_delay);
	tcase_add_loop_test(tc, test_batch_decision_names, 0, nitems(names));
	suite_add_tcase(s, tc);

	tc = tcase_create("deadline");
	tcase_add_loop_test(tc, test_batch_deadline_table, 0,
	    nitems(deadlines));
	tcase_add_test(tc, test_batch_deadline_matches_check);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (check_run(batch_suite()));
}
