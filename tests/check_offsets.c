/*
 * ticksink: unit tests for handlers/offsets.c, the tracker that decides
 * which Kafka offsets may be committed.
 *
 * The rule under test is DESIGN.md §3: an offset is committable only when
 * every message at or below it in its partition has landed.  The named tests
 * walk through one behaviour each; the script table then replays many small
 * event sequences against the same rule.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <check.h>

#include "offsets.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

static struct offsets	*o;

/* Per-test tracker, in the forked child. */
static void
setup(void)
{
	o = offsets_new();
}

/* Free the tracker. */
static void
teardown(void)
{
	offsets_free(o);
	o = NULL;
}

/* Assert that the next reported commit is p@off. */
static void
expect_commit(int32_t p, int64_t off)
{
	int32_t	gp = -1;
	int64_t	goff = -1;

	ck_assert(offsets_next_commit(o, &gp, &goff));
	ck_assert_int_eq(gp, p);
	ck_assert_int_eq(goff, off);
}

/* Assert that nothing (more) is reported. */
static void
expect_none(void)
{
	int32_t	p;
	int64_t	off;

	ck_assert(!offsets_next_commit(o, &p, &off));
}

/* Add offsets first..last of p to batch. */
static void
add_range(int32_t p, int64_t first, int64_t last, uint64_t batch)
{
	int64_t	off;

	for (off = first; off <= last; off++)
		offsets_add(o, p, off, batch);
}

/* Batches landing in order commit one past each. */
START_TEST(test_offsets_in_order)
{
	offsets_assign(o, 0);
	expect_none();
	ck_assert_int_eq(offsets_committable(o, 0), -1);
	add_range(0, 0, 2, 1);
	add_range(0, 3, 5, 2);
	expect_none();
	offsets_landed(o, 1);
	expect_commit(0, 3);
	expect_none();
	ck_assert_int_eq(offsets_committable(o, 0), 3);
	offsets_landed(o, 2);
	expect_commit(0, 6);
	expect_none();
	ck_assert_uint_eq(offsets_pending(o, 0), 0);
}
END_TEST

/* Batch 2 landing first commits nothing; batch 1 then jumps past both. */
START_TEST(test_offsets_out_of_order)
{
	offsets_assign(o, 0);
	add_range(0, 100, 102, 1);
	add_range(0, 103, 105, 2);
	offsets_landed(o, 2);
	expect_none();
	ck_assert_int_eq(offsets_committable(o, 0), -1);
	ck_assert_uint_eq(offsets_pending(o, 0), 2);
	offsets_landed(o, 1);
	expect_commit(0, 106);
	expect_none();
}
END_TEST

/*
 * Ticks and rejects batches alternate offset by offset in one partition:
 * each lands separately and the commit follows the done prefix.
 */
START_TEST(test_offsets_interleaved_batches)
{
	int64_t	off;

	offsets_assign(o, 0);
	for (off = 0; off < 10; off++)
		offsets_add(o, 0, off, off % 2 == 0 ? 7 : 8);
	ck_assert_uint_eq(offsets_pending(o, 0), 10);
	offsets_landed(o, 7);
	expect_commit(0, 1);
	expect_none();
	offsets_landed(o, 8);
	expect_commit(0, 10);
	expect_none();
}
END_TEST

/* Same as above with the rejects batch landing first. */
START_TEST(test_offsets_interleaved_rejects_first)
{
	int64_t	off;

	offsets_assign(o, 0);
	for (off = 0; off < 10; off++)
		offsets_add(o, 0, off, off % 2 == 0 ? 7 : 8);
	offsets_landed(o, 8);
	expect_none();
	offsets_landed(o, 7);
	expect_commit(0, 10);
	expect_none();
}
END_TEST

/* Offsets that never appear are covered by a commit of last + 1. */
START_TEST(test_offsets_gaps)
{
	offsets_assign(o, 0);
	offsets_add(o, 0, 5, 1);
	offsets_add(o, 0, 6, 1);
	offsets_add(o, 0, 9, 1);
	offsets_add(o, 0, 10, 1);
	offsets_landed(o, 1);
	expect_commit(0, 11);
	expect_none();
}
END_TEST

/* Partitions are independent: one stuck batch holds back only its own. */
START_TEST(test_offsets_partitions_independent)
{
	offsets_assign(o, 0);
	offsets_assign(o, 1);
	offsets_assign(o, 2);
	add_range(0, 0, 1, 1);
	add_range(1, 50, 51, 2);
	add_range(2, 7, 7, 3);
	add_range(1, 52, 52, 4);
	offsets_landed(o, 2);
	expect_commit(1, 52);
	expect_none();
	offsets_landed(o, 3);
	expect_commit(2, 8);
	expect_none();
	ck_assert_int_eq(offsets_committable(o, 0), -1);
	offsets_landed(o, 4);
	expect_commit(1, 53);
	offsets_landed(o, 1);
	expect_commit(0, 2);
	expect_none();
}
END_TEST

/* A revoked partition is never reported, even when its batch lands. */
START_TEST(test_offsets_revoke_drops_state)
{
	offsets_assign(o, 0);
	offsets_assign(o, 1);
	add_range(0, 0, 2, 1);
	add_range(1, 0, 2, 1);
	offsets_revoke(o, 1);
	ck_assert(!offsets_is_assigned(o, 1));
	ck_assert_uint_eq(offsets_pending(o, 1), 0);
	offsets_landed(o, 1);
	expect_commit(0, 3);
	expect_none();
	ck_assert_int_eq(offsets_committable(o, 1), -1);
}
END_TEST

/* A commit not yet reported when the partition is revoked is dropped. */
START_TEST(test_offsets_revoke_after_landing)
{
	offsets_assign(o, 4);
	add_range(4, 0, 2, 1);
	offsets_landed(o, 1);
	offsets_revoke(o, 4);
	expect_none();
}
END_TEST

/* Re-assigning starts fresh: old batches no longer count. */
START_TEST(test_offsets_reassign_fresh)
{
	offsets_assign(o, 0);
	add_range(0, 10, 12, 1);
	offsets_landed(o, 1);
	expect_commit(0, 13);
	add_range(0, 13, 14, 2);
	offsets_revoke(o, 0);
	offsets_assign(o, 0);
	ck_assert(offsets_is_assigned(o, 0));
	ck_assert_int_eq(offsets_committable(o, 0), -1);
	ck_assert_uint_eq(offsets_pending(o, 0), 0);
	add_range(0, 13, 13, 3);
	offsets_landed(o, 2);
	expect_none();
	offsets_landed(o, 3);
	expect_commit(0, 14);
	expect_none();
}
END_TEST

/* Each advanced partition is reported once per advance. */
START_TEST(test_offsets_next_commit_once_each)
{
	int32_t	p, seen[3] = { 0, 0, 0 };
	int64_t	off;
	int	n = 0;

	offsets_assign(o, 0);
	offsets_assign(o, 1);
	offsets_assign(o, 2);
	add_range(0, 0, 4, 9);
	add_range(2, 0, 1, 9);
	add_range(1, 3, 3, 10);
	offsets_landed(o, 9);
	while (offsets_next_commit(o, &p, &off)) {
		ck_assert_int_ge(p, 0);
		ck_assert_int_le(p, 2);
		seen[p]++;
		ck_assert_int_eq(off, p == 0 ? 5 : 2);
		n++;
	}
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(seen[0], 1);
	ck_assert_int_eq(seen[1], 0);
	ck_assert_int_eq(seen[2], 1);
}
END_TEST

/* Adds for partitions we do not hold are ignored. */
START_TEST(test_offsets_unassigned_ignored)
{
	offsets_assign(o, 0);
	offsets_add(o, 3, 10, 1);
	offsets_add(o, -1, 10, 1);
	offsets_add(o, 0, 10, 1);
	ck_assert(!offsets_is_assigned(o, 3));
	ck_assert(!offsets_is_assigned(o, -1));
	ck_assert(!offsets_is_assigned(o, 1000));
	ck_assert_uint_eq(offsets_pending(o, 3), 0);
	offsets_landed(o, 1);
	expect_commit(0, 11);
	expect_none();
	ck_assert_int_eq(offsets_committable(o, 3), -1);
	ck_assert_int_eq(offsets_committable(o, -1), -1);
}
END_TEST

/* Thousands of segments grow and compact the queue without losing any. */
START_TEST(test_offsets_many_segments)
{
	int64_t	off;

	offsets_assign(o, 0);
	/* Each offset its own batch; land all but the first, then it. */
	for (off = 0; off < 5000; off++)
		offsets_add(o, 0, off, (uint64_t)off + 1);
	ck_assert_uint_eq(offsets_pending(o, 0), 5000);
	for (off = 4999; off >= 1; off--)
		offsets_landed(o, (uint64_t)off + 1);
	expect_none();
	offsets_landed(o, 1);
	expect_commit(0, 5000);
	ck_assert_uint_eq(offsets_pending(o, 0), 0);

	/* Land as we go, so the head moves while the tail grows. */
	for (off = 5000; off < 9000; off++) {
		offsets_add(o, 0, off, (uint64_t)off + 1);
		if (off >= 5020)
			offsets_landed(o, (uint64_t)(off - 20) + 1);
	}
	expect_commit(0, 8980);
	expect_none();
	ck_assert_uint_eq(offsets_pending(o, 0), 20);
	for (off = 8980; off < 9000; off++)
		offsets_landed(o, (uint64_t)off + 1);
	expect_commit(0, 9000);
	expect_none();
}
END_TEST

/*
 * A queue that fills while its head moves is compacted, not grown: a
 * short lag between adding and landing keeps the commit exact.
 */
START_TEST(test_offsets_queue_compaction)
{
	int64_t	off, got;
	int32_t	p;

	offsets_assign(o, 1);
	for (off = 0; off < 1000; off++) {
		offsets_add(o, 1, off, (uint64_t)off + 1);
		if (off >= 5) {
			offsets_landed(o, (uint64_t)(off - 5) + 1);
			ck_assert(offsets_next_commit(o, &p, &got));
			ck_assert_int_eq(p, 1);
			ck_assert_int_eq(got, off - 4);
			ck_assert_uint_eq(offsets_pending(o, 1), 5);
		}
	}
	for (off = 995; off < 1000; off++)
		offsets_landed(o, (uint64_t)off + 1);
	expect_commit(1, 1000);
	expect_none();
}
END_TEST

/* One step of a script. */
enum op_kind {
	OP_END,
	OP_ASSIGN,	/* p */
	OP_REVOKE,	/* p */
	OP_ADD,		/* p, off, batch */
	OP_LAND,	/* batch */
	OP_COMMIT,	/* the next report is p@off */
	OP_NONE,	/* no report */
	OP_CABLE,	/* offsets_committable(p) == off */
	OP_PENDING	/* offsets_pending(p) == off */
};

struct op {
	enum op_kind	kind;
	int32_t		p;
	int64_t		off;
	uint64_t	batch;
};

#define A(p)		{ OP_ASSIGN, p, 0, 0 }
#define R(p)		{ OP_REVOKE, p, 0, 0 }
#define ADD(p, o, b)	{ OP_ADD, p, o, b }
#define L(b)		{ OP_LAND, 0, 0, b }
#define C(p, o)		{ OP_COMMIT, p, o, 0 }
#define NONE		{ OP_NONE, 0, 0, 0 }
#define CABLE(p, o)	{ OP_CABLE, p, o, 0 }
#define PEND(p, n)	{ OP_PENDING, p, n, 0 }
#define END		{ OP_END, 0, 0, 0 }

static const struct op scripts[][20] = {
	/* Nothing added: nothing to report. */
	{ A(0), NONE, CABLE(0, -1), L(1), NONE, END },
	/* Landing an unknown batch changes nothing. */
	{ A(0), ADD(0, 0, 1), L(99), NONE, PEND(0, 1), L(1), C(0, 1), END },
	/* Landing twice reports once. */
	{ A(0), ADD(0, 0, 1), L(1), L(1), C(0, 1), NONE, END },
	/* Consecutive adds to one batch are one segment. */
	{ A(0), ADD(0, 0, 1), ADD(0, 1, 1), ADD(0, 2, 1), PEND(0, 1), END },
	/* Gaps across batches, the later one landing first. */
	{ A(0), ADD(0, 5, 1), ADD(0, 9, 2), L(2), NONE, L(1), C(0, 10),
	  NONE, END },
	/* Three batches: middle first, last, then the first. */
	{ A(0), ADD(0, 0, 1), ADD(0, 1, 2), ADD(0, 2, 3), L(2), NONE, L(3),
	  NONE, L(1), C(0, 3), NONE, END },
	/* Three batches: first, last, then the middle. */
	{ A(0), ADD(0, 0, 1), ADD(0, 1, 2), ADD(0, 2, 3), L(1), C(0, 1), L(3),
	  NONE, CABLE(0, 1), L(2), C(0, 3), NONE, END },
	/* One batch spanning two partitions reports both. */
	{ A(0), A(1), ADD(0, 4, 1), ADD(1, 8, 1), L(1), C(0, 5), C(1, 9),
	  NONE, END },
	/* Partition ids need not be dense. */
	{ A(31), ADD(31, 0, 1), L(1), C(31, 1), NONE, END },
	/* A revoked partition's adds are ignored; other ones continue. */
	{ A(0), A(1), R(1), ADD(1, 0, 1), ADD(0, 0, 1), L(1), C(0, 1), NONE,
	  CABLE(1, -1), END },
	/* Revoke with a reported commit, then re-assign at a lower offset. */
	{ A(0), ADD(0, 50, 1), L(1), C(0, 51), R(0), A(0), CABLE(0, -1),
	  ADD(0, 40, 2), L(2), C(0, 41), NONE, END },
	/* Revoke in the middle: the later batch landing reports nothing. */
	{ A(2), ADD(2, 0, 1), ADD(2, 1, 2), R(2), L(2), L(1), NONE, END },
	/* Re-assigned partition: the old stuck batch does not hold it. */
	{ A(0), ADD(0, 0, 1), R(0), A(0), ADD(0, 1, 2), L(2), C(0, 2), NONE,
	  L(1), NONE, END },
	/* Landed rows of one batch do not commit past a stuck earlier one. */
	{ A(0), A(1), ADD(0, 0, 1), ADD(1, 0, 2), ADD(0, 1, 2), L(2),
	  C(1, 1), NONE, CABLE(0, -1), L(1), C(0, 2), NONE, END },
};

/* Replay a script; every expectation must hold. */
START_TEST(test_offsets_script)
{
	const struct op	*op;

	for (op = scripts[_i]; op->kind != OP_END; op++) {
		switch (op->kind) {
		case OP_ASSIGN:
			offsets_assign(o, op->p);
			break;
		case OP_REVOKE:
			offsets_revoke(o, op->p);
			break;
		case OP_ADD:
			offsets_add(o, op->p, op->off, op->batch);
			break;
		case OP_LAND:
			offsets_landed(o, op->batch);
			break;
		case OP_COMMIT:
			expect_commit(op->p, op->off);
			break;
		case OP_NONE:
			expect_none();
			break;
		case OP_CABLE:
			ck_assert_int_eq(offsets_committable(o, op->p),
			    op->off);
			break;
		case OP_PENDING:
			ck_assert_uint_eq(offsets_pending(o, op->p),
			    (size_t)op->off);
			break;
		case OP_END:
			break;
		}
	}
}
END_TEST

/* offsets_free accepts NULL. */
START_TEST(test_offsets_free_null)
{
	offsets_free(NULL);
	ck_assert_ptr_nonnull(o);
}
END_TEST

/* Builds the suite: the commit rule, partitions, and scripts. */
static Suite *
offsets_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("offsets");

	tc = tcase_create("commit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_offsets_in_order);
	tcase_add_test(tc, test_offsets_out_of_order);
	tcase_add_test(tc, test_offsets_interleaved_batches);
	tcase_add_test(tc, test_offsets_interleaved_rejects_first);
	tcase_add_test(tc, test_offsets_gaps);
	tcase_add_test(tc, test_offsets_next_commit_once_each);
	tcase_add_test(tc, test_offsets_many_segments);
	tcase_add_test(tc, test_offsets_queue_compaction);
	suite_add_tcase(s, tc);

	tc = tcase_create("partitions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_offsets_partitions_independent);
	tcase_add_test(tc, test_offsets_revoke_drops_state);
	tcase_add_test(tc, test_offsets_revoke_after_landing);
	tcase_add_test(tc, test_offsets_reassign_fresh);
	tcase_add_test(tc, test_offsets_unassigned_ignored);
	tcase_add_test(tc, test_offsets_free_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("scripts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_offsets_script, 0, nitems(scripts));
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (check_run(offsets_suite()));
}
