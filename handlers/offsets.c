/*
 * ticksink: offset tracker.
 *
 * Kafka commits one number per partition: "everything below this offset is
 * handled".  Messages of one partition are consumed in order but land in
 * different batches (ticks and rejects) whose inserts finish in any order, so
 * the tracker keeps, per partition, the consumed offsets as a queue of
 * segments: runs of consecutive messages that went to the same batch.  A
 * segment is done when its batch landed.  The committable offset is one past
 * the last segment of the done prefix of the queue; a segment whose batch
 * has not landed holds back everything after it, which is exactly the
 * at-least-once rule of DESIGN.md §3.
 *
 * Offsets that never appear (compaction, transaction markers) need no
 * special case: a commit of last + 1 covers any gap below it.
 */

#include <stdlib.h>
#include <string.h>

#include "offsets.h"
#include "xmalloc.h"

/* Batch id of messages that were already landed; real ids start at 1. */
#define OFFSETS_LANDED_BATCH	0

struct offsets_seg {
	int64_t		first;
	int64_t		last;
	uint64_t	batch;
	bool		done;
};

struct offsets_part {
	bool			 assigned;
	bool			 dirty;		/* committable not yet reported */
	int64_t			 committable;	/* -1: nothing yet */
	struct offsets_seg	*segs;		/* queue: segs[head..tail) */
	size_t			 head;
	size_t			 tail;
	size_t			 cap;
};

struct offsets {
	struct offsets_part	*parts;		/* indexed by partition id */
	size_t			 nparts;
};

static struct offsets_part	*offsets_part(struct offsets *, int32_t);
static void			 offsets_advance(struct offsets_part *);

/* Create an empty tracker. */
struct offsets *
offsets_new(void)
{
	return (xcalloc(1, sizeof(struct offsets)));
}

/* Free the tracker and every queue. */
void
offsets_free(struct offsets *o)
{
	size_t	i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nparts; i++)
		free(o->parts[i].segs);
	free(o->parts);
	free(o);
}

/* The state of partition p, grown on demand; NULL for a negative id. */
static struct offsets_part *
offsets_part(struct offsets *o, int32_t p)
{
	size_t	n;

	if (p < 0)
		return (NULL);
	if ((size_t)p >= o->nparts) {
		n = (size_t)p + 1;
		o->parts = xreallocarray(o->parts, n, sizeof *o->parts);
		memset(o->parts + o->nparts, 0,
		    (n - o->nparts) * sizeof *o->parts);
		o->nparts = n;
	}
	return (&o->parts[p]);
}

/* Start tracking partition p afresh. */
void
offsets_assign(struct offsets *o, int32_t p)
{
	struct offsets_part	*pp;

	if ((pp = offsets_part(o, p)) == NULL)
		return;
	pp->assigned = true;
	pp->dirty = false;
	pp->committable = -1;
	pp->head = pp->tail = 0;
}

/*
 * Stop tracking partition p.  Whatever of it is still in flight may land but
 * is never reported as committable: it is no longer ours to commit.
 */
void
offsets_revoke(struct offsets *o, int32_t p)
{
	struct offsets_part	*pp;

	if ((pp = offsets_part(o, p)) == NULL)
		return;
	pp->assigned = false;
	pp->dirty = false;
	pp->head = pp->tail = 0;
}

/* Is partition p assigned to us? */
bool
offsets_is_assigned(const struct offsets *o, int32_t p)
{
	return (p >= 0 && (size_t)p < o->nparts && o->parts[p].assigned);
}

/* Record that message p@offset went into batch. */
void
offsets_add(struct offsets *o, int32_t p, int64_t offset, uint64_t batch)
{
	struct offsets_part	*pp;
	struct offsets_seg	*s;

	if ((pp = offsets_part(o, p)) == NULL || !pp->assigned)
		return;
	if (pp->tail > pp->head) {
		s = &pp->segs[pp->tail - 1];
		if (s->batch == batch && !s->done) {
			s->last = offset;
			return;
		}
	}
	if (pp->tail == pp->cap) {
		if (pp->head > 0) {
			memmove(pp->segs, pp->segs + pp->head,
			    (pp->tail - pp->head) * sizeof *pp->segs);
			pp->tail -= pp->head;
			pp->head = 0;
		}
		if (pp->tail == pp->cap) {
			pp->cap = pp->cap == 0 ? 16 : pp->cap * 2;
			pp->segs = xreallocarray(pp->segs, pp->cap,
			    sizeof *pp->segs);
		}
	}
	pp->segs[pp->tail++] = (struct offsets_seg){ offset, offset, batch,
	    false };
}

/*
 * Message p@offset needs no insert: its row is already in ClickHouse (found
 * by the resume check).  It counts as landed in its place in the queue.
 */
void
offsets_skip(struct offsets *o, int32_t p, int64_t offset)
{
	struct offsets_part	*pp;

	offsets_add(o, p, offset, OFFSETS_LANDED_BATCH);
	if ((pp = offsets_part(o, p)) == NULL || !pp->assigned)
		return;
	pp->segs[pp->tail - 1].done = true;
	offsets_advance(pp);
}

/* Pop the done prefix of a partition's queue. */
static void
offsets_advance(struct offsets_part *pp)
{
	while (pp->head < pp->tail && pp->segs[pp->head].done) {
		pp->committable = pp->segs[pp->head].last + 1;
		pp->dirty = true;
		pp->head++;
	}
	if (pp->head == pp->tail)
		pp->head = pp->tail = 0;
}

/* Batch has landed: mark its segments done in every partition. */
void
offsets_landed(struct offsets *o, uint64_t batch)
{
	struct offsets_part	*pp;
	size_t			 i, j;

	for (i = 0; i < o->nparts; i++) {
		pp = &o->parts[i];
		for (j = pp->head; j < pp->tail; j++) {
			if (pp->segs[j].batch == batch)
				pp->segs[j].done = true;
		}
		offsets_advance(pp);
	}
}

/*
 * Report the next partition whose committable offset moved since it was last
 * reported.  Returns false when there is none.
 */
bool
offsets_next_commit(struct offsets *o, int32_t *p, int64_t *offset)
{
	struct offsets_part	*pp;
	size_t			 i;

	for (i = 0; i < o->nparts; i++) {
		pp = &o->parts[i];
		if (pp->assigned && pp->dirty) {
			pp->dirty = false;
			*p = (int32_t)i;
			*offset = pp->committable;
			return (true);
		}
	}
	return (false);
}

/* The committable offset of p: next offset to read; -1 if none yet. */
int64_t
offsets_committable(const struct offsets *o, int32_t p)
{
	if (!offsets_is_assigned(o, p))
		return (-1);
	return (o->parts[p].committable);
}

/* The first offset of p whose batch has not landed; -1 if none. */
int64_t
offsets_first_pending(const struct offsets *o, int32_t p)
{
	const struct offsets_part	*pp;

	if (!offsets_is_assigned(o, p))
		return (-1);
	pp = &o->parts[p];
	return (pp->head < pp->tail ? pp->segs[pp->head].first : -1);
}

/* Number of segments of p still waiting for their batch. */
size_t
offsets_pending(const struct offsets *o, int32_t p)
{
	if (!offsets_is_assigned(o, p))
		return (0);
	return (o->parts[p].tail - o->parts[p].head);
}
