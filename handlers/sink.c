/*
 * ticksink: the core state machine.
 *
 * The sink turns events into actions and owns every byte on its way to
 * ClickHouse.  A message is decoded and validated, then encoded as one row
 * into the open batch of its table: ticks, or rejects when validation failed
 * (nothing is dropped).  The offset tracker learns which batch holds each
 * offset.  Batches are closed by the batch rules and queued; at most
 * max_inflight are handed to the reactor at a time.
 *
 * Answers: a landed insert lets the tracker advance and the new committable
 * offsets go out as SINK_ACT_STORE.  A retryable failure requeues the same
 * insert after a jittered backoff.  A poisoned insert is split in halves
 * until single rows remain; a single poisoned tick becomes a reject row
 * carrying the server's message.  Halves land independently; the original
 * batch counts as landed (for the tracker) when all its pieces have.
 *
 * Windows: in a backlog, ticks batches closed full are not sent one by one
 * but go into a window (struct sink_window): one insert whose body the
 * reactor reads batch after batch while it runs, so the server writes one
 * part instead of one per batch.  A batch's body is freed once read; a
 * window that fails after that is settled by reading its partitions again
 * from Kafka (sink_reread) and the resume check.
 *
 * Memory: every body is counted in bytes.  At max_buffer_bytes the sink asks
 * for the partitions to be paused and, below half of it, resumed, so a
 * ClickHouse outage of any length holds memory at the bound.  Before that,
 * sink_saturated tells the reactor to stop reading while every insert slot
 * is busy and a closed batch waits, so at catch-up speed the messages wait
 * in Kafka's bounded prefetch queue rather than here.
 *
 * Exactly once, as far as ClickHouse allows.  Every row carries its Kafka
 * partition and offset, and three rules keep a row from landing twice:
 *  - Resume check: after a partition is assigned (start, restart after a
 *    crash, rebalance), its first message tells where consumption starts.
 *    The sink holds the partition's messages and asks which offsets from
 *    there are already in the tables: rows that landed in an earlier run
 *    whose offsets were never committed.  Those messages are skipped and
 *    count as landed.
 *  - Probe before an ambiguous retry: when a send ended without a verdict
 *    from ClickHouse (timeout, broken connection, a proxy's 502-504), the
 *    rows may have landed.  An insert of at most max_rows rows lands whole
 *    or not at all, so asking for one of its rows tells which; only an
 *    absent insert is sent again.
 *  - Revocation: rows of a revoked partition that have not been sent are
 *    taken out of the open and queued batches; the new owner reads them
 *    again.
 * On servers that have insert_deduplication_token every send also carries
 * a token derived from the bytes, so an identical resend is dropped by the
 * server itself.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "offsets.h"
#include "rowenc.h"
#include "sink.h"
#include "xmalloc.h"

#define SINK_DETAIL_MAX		256
#define SINK_SERVER_REASON	"server_rejected"
#define SINK_HELD_HDR		21	/* offset, time, length, tombstone */
#define SINK_CHECK_MAX_PARTS	1024	/* per resume check: ~50 kB of SQL */
#define SINK_WINDOW_AHEAD	2	/* batches of a window not yet read */

static struct sink_insert	*sink_insert_new(struct sink *,
				    enum schema_table, uint64_t);
static size_t			 sink_insert_bytes(const struct sink_insert *);
static struct sink_part		*sink_part(struct sink *, int32_t);
static void			 sink_hold(struct sink *, struct sink_part *,
				    const struct sink_msg *);
static void			 sink_unhold(struct sink *, struct sink_part *);
static void			 sink_process(struct sink *, struct sink_part *,
				    const struct sink_msg *, uint64_t, int64_t);
static void			 sink_commits(struct sink *);
static void			 sink_filter(struct sink *, struct sink_insert *);
static bool			 sink_row_is_ours(const struct sink *,
				    const struct sink_insert *, uint32_t);
static bool			*sink_sending_parts(const struct sink *);
static bool			 sink_checks_out(const struct sink *);
static void			 sink_queries(struct sink *, uint64_t);
static void			 sink_after_send(struct sink *, uint64_t);
static void			 sink_checked(struct sink *, int32_t,
				    const int64_t *, size_t, uint64_t, int64_t);
static void			 sink_insert_free(struct sink *,
				    struct sink_insert *);
static struct sink_insert	*sink_open(struct sink *, enum schema_table,
				    uint64_t);
static void			 sink_row_added(struct sink *,
				    struct sink_insert *, size_t, int32_t);
static void			 sink_close(struct sink *, enum schema_table,
				    enum batch_decision);
static void			 sink_push(struct sink *,
				    const struct sink_action *);
static void			 sink_pump(struct sink *, uint64_t);
static void			 sink_inflow_note(struct sink *,
				    const struct sink_insert *, uint64_t);
static void			 sink_pressure(struct sink *);
static void			 sink_landed(struct sink *,
				    struct sink_insert *);
static void			 sink_land(struct sink *, struct sink_insert *);
static void			 sink_split(struct sink *,
				    struct sink_insert *);
static void			 sink_server_reject(struct sink *,
				    struct sink_insert *, int,
				    const struct insert_response *, int64_t);
static uint64_t			 sink_random(struct sink *);
static void			 sink_requeue(struct sink *, struct sink_insert *,
				     uint64_t);
static void			 sink_release(struct sink *,
				    struct sink_insert *);
static bool			 sink_windowable(const struct sink *,
				    const struct sink_insert *);
static void			 sink_window_open(struct sink *, uint64_t);
static void			 sink_window_add(struct sink *,
				    struct sink_insert *, uint64_t);
static void			 sink_window_seal(struct sink *);
static bool			 sink_window_due(const struct sink *,
				    const struct sink_window *, uint64_t);
static uint64_t			 sink_window_deadline(const struct sink *,
				    const struct sink_window *);
static void			 sink_window_more(struct sink *,
				    struct sink_window *);
static void			 sink_window_free(struct sink *,
				    struct sink_window *);
static void			 sink_window_failed(struct sink *,
				    struct sink_window *, uint64_t);
static void			 sink_reread(struct sink *, int32_t);

/* The sink's settings from the service's configuration. */
void
sink_conf_init(struct sink_conf *sc, const struct conf *c,
    enum schema_dialect dialect, uint64_t seed)
{
	memset(sc, 0, sizeof *sc);
	sc->topic = c->kafka_topic;
	sc->dialect = dialect;
	sc->limits.max_rows = c->batch_max_rows;
	sc->limits.max_bytes = c->batch_max_bytes;
	sc->limits.max_delay_us = (uint64_t)c->batch_max_delay_ms * 1000;
	sc->max_inflight = c->batch_max_inflight;
	sc->window_rows = c->batch_window_rows;
	/* A window ends in time for its answer within the request timeout. */
	sc->window_max_us = (uint64_t)c->ch_timeout_ms * 1000 / 2;
	sc->max_buffer_bytes = c->batch_max_buffer_bytes;
	sc->decode.max_message_bytes = c->max_message_bytes;
	sc->decode.max_skew_ms = c->max_future_skew_ms;
	sc->reject_raw_max = c->reject_raw_max_bytes;
	sc->seed = seed;
}

/* Create a sink. */
struct sink *
sink_new(const struct sink_conf *conf)
{
	struct sink	*s;

	s = xcalloc(1, sizeof *s);
	s->conf = *conf;
	s->decoder = decode_new(&conf->decode);
	s->offsets = offsets_new();
	TAILQ_INIT(&s->queue);
	TAILQ_INIT(&s->all);
	TAILQ_INIT(&s->windows);
	s->next_id = 1;
	s->rng = conf->seed | 1;
	return (s);
}

/* Free the sink and every insert it still holds, in flight or not. */
void
sink_free(struct sink *s)
{
	struct sink_insert	*ins;
	struct sink_window	*w;
	size_t			 i;

	if (s == NULL)
		return;

	while ((w = TAILQ_FIRST(&s->windows)) != NULL) {
		TAILQ_REMOVE(&s->windows, w, entry);
		sink_window_free(s, w);
	}
	while ((ins = TAILQ_FIRST(&s->all)) != NULL)
		sink_insert_free(s, ins);
	buf_clear(&s->spare.body);
	free(s->spare.rows);
	for (i = 0; i < s->nparts; i++) {
		buf_clear(&s->parts[i].held);
		free(s->parts[i].landed);
	}
	free(s->parts);
	decode_free(s->decoder);
	offsets_free(s->offsets);
	free(s->actions);
	free(s);
}

/* xorshift64*: the sink's own generator, seeded so runs replay. */
static uint64_t
sink_random(struct sink *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (s->rng * 0x2545f4914f6cdd1dULL);
}

/* A new empty insert for table. */
static struct sink_insert *
sink_insert_new(struct sink *s, enum schema_table t, uint64_t now_us)
{
	struct sink_insert	*ins;

	ins = xcalloc(1, sizeof *ins);
	ins->id = s->next_id++;
	ins->table = t;
	ins->state = SINK_INSERT_OPEN;
	ins->opened_us = now_us;
	buf_init(&ins->body);
	TAILQ_INSERT_TAIL(&s->all, ins, all_entry);
	return (ins);
}

/*
 * Free an insert and give back its bytes; its buffers become the spare
 * when there is none.
 */
static void
sink_insert_free(struct sink *s, struct sink_insert *ins)
{
	if (ins == NULL)
		return;
	TAILQ_REMOVE(&s->all, ins, all_entry);
	sink_release(s, ins);
	free(ins);
}

/*
 * Give back an insert's body and row table (they become the spare when
 * there is none); its row count stays, for the stats.
 */
static void
sink_release(struct sink *s, struct sink_insert *ins)
{
	s->bytes -= sink_insert_bytes(ins);
	if (s->spare.body.cap == 0 && s->spare.rows == NULL) {
		s->spare.body = ins->body;
		s->spare.body.len = 0;
		s->spare.rows = ins->rows;
		s->spare.cap_rows = ins->cap_rows;
	} else {
		buf_clear(&ins->body);
		free(ins->rows);
	}
	buf_init(&ins->body);
	ins->rows = NULL;
	ins->cap_rows = 0;
}

/* Memory an insert accounts for: its body and its row table. */
static size_t
sink_insert_bytes(const struct sink_insert *ins)
{
	return (ins->body.len +
	    (ins->rows == NULL ? 0 : (size_t)ins->nrows * sizeof *ins->rows));
}

/* The state of partition p, grown on demand. */
static struct sink_part *
sink_part(struct sink *s, int32_t p)
{
	size_t	n;

	if ((size_t)p >= s->nparts) {
		n = (size_t)p + 1;
		s->parts = xreallocarray(s->parts, n, sizeof *s->parts);
		memset(s->parts + s->nparts, 0,
		    (n - s->nparts) * sizeof *s->parts);
		s->nparts = n;
	}
	return (&s->parts[p]);
}

/* Queue an action for the reactor. */
static void
sink_push(struct sink *s, const struct sink_action *a)
{
	if (s->atail == s->acap) {
		if (s->ahead > 0) {
			memmove(s->actions, s->actions + s->ahead,
			    (s->atail - s->ahead) * sizeof *s->actions);
			s->atail -= s->ahead;
			s->ahead = 0;
		}
		if (s->atail == s->acap) {
			s->acap = s->acap == 0 ? 16 : s->acap * 2;
			s->actions = xreallocarray(s->actions, s->acap,
			    sizeof *s->actions);
		}
	}
	s->actions[s->atail++] = *a;
}

/* Take the next action; false when there is none. */
bool
sink_next_action(struct sink *s, struct sink_action *a)
{
	if (s->ahead == s->atail) {
		s->ahead = s->atail = 0;
		return (false);
	}
	*a = s->actions[s->ahead++];
	return (true);
}

/* Partition p is now ours; its first message starts the resume check. */
void
sink_assign(struct sink *s, int32_t p)
{
	struct sink_part	*pp;

	if (p < 0)
		return;
	offsets_assign(s->offsets, p);
	pp = sink_part(s, p);
	pp->gen++;
	sink_unhold(s, pp);
	free(pp->landed);
	pp->landed = NULL;
	pp->nlanded = pp->next_landed = 0;
	pp->state = SINK_PART_UNCHECKED;
	pp->check = 0;		/* an answer still out is for the old one */
	pp->failures = 0;
	pp->at_end = false;
}

/*
 * Partition p is no longer ours: nothing more of it is committed, and its
 * rows that were not sent yet are dropped (the new owner reads them again).
 * Rows already in flight may land; the new owner's resume check sees them.
 */
void
sink_revoke(struct sink *s, int32_t p)
{
	struct sink_insert	*ins, *next;
	struct sink_part	*pp;
	size_t			 i, n;
	int			 t;

	if (p < 0)
		return;
	/* Actions for p not yet taken were made for the old assignment. */
	for (i = n = s->ahead; i < s->atail; i++) {
		if (s->actions[i].partition == p &&
		    s->actions[i].kind != SINK_ACT_INSERT &&
		    s->actions[i].kind != SINK_ACT_PROBE &&
		    s->actions[i].kind != SINK_ACT_PAUSE &&
		    s->actions[i].kind != SINK_ACT_RESUME)
			continue;
		s->actions[n++] = s->actions[i];
	}
	s->atail = n;
	offsets_revoke(s->offsets, p);
	/* Its rows in the open window land sooner if the window ends now. */
	sink_window_seal(s);
	pp = sink_part(s, p);
	pp->check = 0;
	sink_unhold(s, pp);
	free(pp->landed);
	pp->landed = NULL;
	pp->nlanded = pp->next_landed = 0;
	pp->state = SINK_PART_UNASSIGNED;
	for (t = 0; t < 2; t++) {
		if (s->open[t] != NULL)
			sink_filter(s, s->open[t]);
	}
	for (ins = TAILQ_FIRST(&s->queue); ins != NULL; ins = next) {
		next = TAILQ_NEXT(ins, entry);
		sink_filter(s, ins);
	}
}

/* The partition and offset of row i of ins, read from its bytes. */
static void
sink_row_origin(enum schema_dialect d, const struct sink_insert *ins,
    uint32_t i, int32_t *p, int64_t *offset)
{
	uint32_t	from = i == 0 ? 0 : ins->rows[i - 1].end;

	rowenc_origin(ins->body.data + from, ins->rows[i].end - from,
	    ins->table, d, p, offset);
}

/* Is row i of ins still ours: its partition assigned, the same assignment? */
static bool
sink_row_is_ours(const struct sink *s, const struct sink_insert *ins,
    uint32_t i)
{
	int32_t	p;
	int64_t	offset;

	sink_row_origin(s->conf.dialect, ins, i, &p, &offset);
	return (offsets_is_assigned(s->offsets, p) &&
	    (size_t)p < s->nparts && s->parts[p].gen == ins->rows[i].gen);
}

/*
 * Which partitions an insert being sent or probed holds rows of (nparts
 * flags, allocated): one pass over those rows, however many partitions
 * ask.
 */
static bool *
sink_sending_parts(const struct sink *s)
{
	const struct sink_insert	*ins;
	const struct sink_window	*w;
	bool				*sending;
	uint32_t			 i;
	size_t				 j;
	int32_t				 p;
	int64_t				 offset;

	sending = xcalloc(s->nparts, sizeof *sending);
	TAILQ_FOREACH(w, &s->windows, entry) {
		for (j = 0; j < w->ngen && j < s->nparts; j++)
			sending[j] |= w->gen[j] != 0;
	}
	TAILQ_FOREACH(ins, &s->all, all_entry) {
		if (ins->state != SINK_INSERT_INFLIGHT &&
		    ins->state != SINK_INSERT_PROBING)
			continue;
		for (i = 0; i < ins->nrows; i++) {
			sink_row_origin(s->conf.dialect, ins, i, &p, &offset);
			if (p >= 0 && (size_t)p < s->nparts)
				sending[p] = true;
		}
	}
	return (sending);
}

/*
 * Take the rows that are no longer ours (their partition was revoked, or
 * re-assigned since) out of an insert that is not being sent.  An insert
 * left empty counts as landed: it holds nothing that is still ours.
 */
static void
sink_filter(struct sink *s, struct sink_insert *ins)
{
	struct buf	body;
	uint32_t	i, n = 0, from;

	for (i = 0; i < ins->nrows; i++) {
		if (!sink_row_is_ours(s, ins, i))
			break;
	}
	if (i == ins->nrows)
		return;
	s->bytes -= sink_insert_bytes(ins);
	buf_init(&body);
	for (i = 0; i < ins->nrows; i++) {
		from = i == 0 ? 0 : ins->rows[i - 1].end;
		if (!sink_row_is_ours(s, ins, i))
			continue;
		buf_add(&body, ins->body.data + from, ins->rows[i].end - from);
		ins->rows[n] = ins->rows[i];
		ins->rows[n++].end = (uint32_t)body.len;
	}
	buf_clear(&ins->body);
	ins->body = body;
	ins->nrows = n;
	s->bytes += sink_insert_bytes(ins);
	if (n > 0)
		return;
	if (ins->state == SINK_INSERT_OPEN)
		s->open[ins->table] = NULL;
	else if (ins->state == SINK_INSERT_QUEUED)
		TAILQ_REMOVE(&s->queue, ins, entry);
	sink_landed(s, ins);
}

/* The open batch of table t, opened now if there is none. */
static struct sink_insert *
sink_open(struct sink *s, enum schema_table t, uint64_t now_us)
{
	struct sink_insert	*ins;

	if (s->open[t] != NULL)
		return (s->open[t]);
	if (t == SCHEMA_TICKS) {
		s->inflow.msgs_at_open = s->stats.messages;
		s->inflow.bytes_at_open = s->inflow.bytes_total;
	}
	ins = s->open[t] = sink_insert_new(s, t, now_us);
	ins->body = s->spare.body;
	ins->rows = s->spare.rows;
	ins->cap_rows = s->spare.cap_rows;
	buf_init(&s->spare.body);
	s->spare.rows = NULL;
	s->spare.cap_rows = 0;
	return (ins);
}

/*
 * A row of grown bytes from partition p was appended; close ins if full.
 * Not by its delay: a row read after the deadline, before the flush timer
 * ran, still joins it (batch.c).
 */
static void
sink_row_added(struct sink *s, struct sink_insert *ins, size_t grown,
    int32_t p)
{
	enum batch_decision	d;

	if (ins->nrows == ins->cap_rows) {
		ins->cap_rows = ins->cap_rows == 0 ? 64 : ins->cap_rows * 2;
		ins->rows = xreallocarray(ins->rows, ins->cap_rows,
		    sizeof *ins->rows);
	}
	ins->rows[ins->nrows++] = (struct sink_row){ (uint32_t)ins->body.len,
	    s->parts[p].gen };
	s->bytes += grown + sizeof *ins->rows;
	if ((d = batch_full(&s->conf.limits, ins->nrows, ins->body.len)) !=
	    BATCH_KEEP)
		sink_close(s, ins->table, d);
}

/* Close the open batch of table t and queue it. */
static void
sink_close(struct sink *s, enum schema_table t, enum batch_decision why)
{
	struct sink_insert	*ins = s->open[t];

	if (ins == NULL)
		return;
	s->open[t] = NULL;
	ins->state = SINK_INSERT_QUEUED;
	ins->retry_at_us = 0;
	TAILQ_INSERT_TAIL(&s->queue, ins, entry);
	s->stats.flush_reason[why]++;
	/* Ticks batches closed full are a backlog's: for a window. */
	if (t != SCHEMA_TICKS)
		return;
	if (why != BATCH_FLUSH_DELAY)
		s->inflow.span_us = 0;	/* not the steady state (sink_tick) */
	ins->bulk = why == BATCH_FLUSH_ROWS || why == BATCH_FLUSH_BYTES;
	if (ins->bulk)
		return;
	/*
	 * A batch that was not filled ends the backlog.  It ends the open
	 * window too, in it if it fits: as an insert of its own it would be
	 * a second part, which the server would merge into the window's at
	 * once, rewriting every row of it.
	 */
	if (s->window != NULL &&
	    (uint64_t)s->window->nrows + ins->nrows <= s->conf.window_rows)
		ins->bulk = ins->last = true;
	else
		sink_window_seal(s);
}

/* Hand queued inserts that are due to the reactor, up to max_inflight. */
static void
sink_pump(struct sink *s, uint64_t now_us)
{
	struct sink_insert	*ins, *next;
	struct sink_action	 a = { .kind = SINK_ACT_INSERT };

	for (ins = TAILQ_FIRST(&s->queue); ins != NULL; ins = next) {
		next = TAILQ_NEXT(ins, entry);
		if (sink_windowable(s, ins)) {
			if (s->window == NULL &&
			    s->ninflight < s->conf.max_inflight)
				sink_window_open(s, now_us);
			if (s->window == NULL ||
			    s->window->unread >= SINK_WINDOW_AHEAD)
				continue;
			TAILQ_REMOVE(&s->queue, ins, entry);
			sink_window_add(s, ins, now_us);
			continue;
		}
		if (s->ninflight >= s->conf.max_inflight)
			break;
		if (ins->state != SINK_INSERT_QUEUED ||
		    ins->retry_at_us > now_us)
			continue;
		TAILQ_REMOVE(&s->queue, ins, entry);
		s->ninflight++;
		if (ins->probe) {
			ins->state = SINK_INSERT_PROBING;
			a.kind = SINK_ACT_PROBE;
		} else {
			ins->state = SINK_INSERT_INFLIGHT;
			ins->attempt++;
			a.kind = SINK_ACT_INSERT;
		}
		a.insert = ins;
		sink_push(s, &a);
	}
	sink_pressure(s);
}

/* Pause at the memory bound, resume below half of it. */
static void
sink_pressure(struct sink *s)
{
	struct sink_action	a = { .kind = SINK_ACT_PAUSE };
	size_t			i;

	if (!s->paused && s->bytes >= s->conf.max_buffer_bytes) {
		s->paused = true;
		sink_push(s, &a);
	} else if (s->paused && !s->draining &&
	    s->bytes < s->conf.max_buffer_bytes / 2) {
		s->paused = false;
		a.kind = SINK_ACT_RESUME;
		sink_push(s, &a);
		/* RESUME resumes everything: re-pause those still checking. */
		a.kind = SINK_ACT_PAUSE_ONE;
		for (i = 0; i < s->nparts; i++) {
			if (s->parts[i].state != SINK_PART_CHECKING)
				continue;
			a.partition = (int32_t)i;
			sink_push(s, &a);
		}
	}
}

/*
 * Keep a message of a partition whose resume check is not answered yet, as
 * a 21-byte header (offset, Kafka time, length, tombstone flag) and the
 * payload.
 */
static void
sink_hold(struct sink *s, struct sink_part *pp, const struct sink_msg *m)
{
	size_t	before = pp->held.len, len = m->payload == NULL ? 0 : m->len;

	buf_add_le64(&pp->held, (uint64_t)m->offset);
	buf_add_le64(&pp->held, (uint64_t)m->timestamp_ms);
	buf_add_le32(&pp->held, (uint32_t)len);
	buf_add_u8(&pp->held, m->payload == NULL);
	buf_add(&pp->held, m->payload, len);
	s->bytes += pp->held.len - before;
}

/* Drop a partition's held messages (they were never committed). */
static void
sink_unhold(struct sink *s, struct sink_part *pp)
{
	s->bytes -= pp->held.len;
	buf_clear(&pp->held);
}

/*
 * One message from Kafka.  It always becomes a row: a tick, or a reject with
 * its reason, unless the resume check found it already landed.  now_us is
 * the monotonic clock, wall_ms the UTC wall clock.
 */
void
sink_message(struct sink *s, const struct sink_msg *m, uint64_t now_us,
    int64_t wall_ms)
{
	struct sink_part	*pp;
	struct sink_action	 a = { .kind = SINK_ACT_PAUSE_ONE };

	s->stats.messages++;
	s->inflow.bytes_total += m->len;
	if (!offsets_is_assigned(s->offsets, m->partition)) {
		log_debug("%s: %s/%d@%lld not assigned, skipped", __func__,
		    s->conf.topic, m->partition, (long long)m->offset);
		return;
	}
	pp = sink_part(s, m->partition);
	pp->at_end = false;
	switch (pp->state) {
	case SINK_PART_UNASSIGNED:
		return;
	case SINK_PART_UNCHECKED:
		pp->state = SINK_PART_CHECKING;
		pp->from = m->offset;
		pp->retry_at_us = 0;
		a.partition = m->partition;
		sink_push(s, &a);	/* checked after the poll (sink_queries) */
		/* FALLTHROUGH */
	case SINK_PART_CHECKING:
		/* Counted in bytes; the pause of p bounds them. */
		sink_hold(s, pp, m);
		sink_pressure(s);
		return;
	case SINK_PART_READY:
		sink_process(s, pp, m, now_us, wall_ms);
		break;
	}
	sink_pump(s, now_us);
}

/* Decode, validate and encode one message of a checked partition. */
static void
sink_process(struct sink *s, struct sink_part *pp, const struct sink_msg *m,
    uint64_t now_us, int64_t wall_ms)
{
	struct rowenc_origin	 o = { s->conf.topic, m->partition, m->offset,
				     m->timestamp_ms };
	struct rowenc_reject	 r;
	struct sink_insert	*ins;
	struct tick		 tick;
	enum decode_reason	 why;
	char			 detail[SINK_DETAIL_MAX];
	size_t			 before;

	while (pp->next_landed < pp->nlanded &&
	    pp->landed[pp->next_landed] < m->offset)
		pp->next_landed++;
	if (pp->next_landed < pp->nlanded &&
	    pp->landed[pp->next_landed] == m->offset) {
		s->stats.skipped_landed++;
		offsets_skip(s->offsets, m->partition, m->offset);
		sink_commits(s);
		return;
	}
	why = decode_tick(s->decoder, m->payload, m->len, wall_ms, &tick,
	    detail, sizeof detail);
	if (why == DECODE_OK) {
		ins = sink_open(s, SCHEMA_TICKS, now_us);
		before = ins->body.len;
		rowenc_tick(&ins->body, s->conf.dialect, &tick, &o);
	} else {
		s->stats.rejects[why]++;
		ins = sink_open(s, SCHEMA_REJECTS, now_us);
		before = ins->body.len;
		r = (struct rowenc_reject){ o, wall_ms, decode_reason_name(why),
		    detail, m->payload, m->len, s->conf.reject_raw_max };
		rowenc_reject(&ins->body, s->conf.dialect, &r);
	}
	offsets_add(s->offsets, m->partition, m->offset, ins->id);
	sink_row_added(s, ins, ins->body.len - before, m->partition);
}

/*
 * The answer to resume check `check`: "partition\toffset" lines of what
 * landed.  Each partition still waiting for it is checked; an answer that
 * does not parse fails the check.
 */
void
sink_landed_answer(struct sink *s, uint64_t check, const char *body,
    size_t len, uint64_t now_us, int64_t wall_ms)
{
	int64_t		*v = NULL;
	size_t		 n = 0, k = 0, from, i;

	if (check == 0)
		return;		/* no check has it */
	if (schema_parse_pairs(body, len, &v, &n) != 0) {
		log_warnx("%s: resume check %llu: the answer is not a list of "
		    "partitions and offsets", s->conf.topic,
		    (unsigned long long)check);
		sink_landed_failed(s, check, now_us);
		return;
	}
	for (i = 0; i < s->nparts; i++) {
		while (k < n && v[2 * k] < (int64_t)i)
			k++;
		for (from = k; k < n && v[2 * k] == (int64_t)i; k++)
			continue;
		if (s->parts[i].check == check)	/* v is NULL when n is 0 */
			sink_checked(s, (int32_t)i, k > from ? v + 2 * from :
			    NULL, k - from, now_us, wall_ms);
	}
	free(v);
	sink_queries(s, now_us);	/* the partitions that came meanwhile */
	sink_pump(s, now_us);
}

/*
 * p's check answered: these n (p, offset) pairs landed already.  The held
 * messages are replayed, skipping those offsets, and p is resumed.
 */
static void
sink_checked(struct sink *s, int32_t p, const int64_t *pairs, size_t n,
    uint64_t now_us, int64_t wall_ms)
{
	struct sink_part	*pp = &s->parts[p];
	struct sink_action	 a = { .kind = SINK_ACT_RESUME_ONE };
	struct sink_msg		 m;
	struct buf		 held;
	const uint8_t		*h, *end;
	size_t			 i, len;

	free(pp->landed);
	pp->landed = n == 0 ? NULL : xreallocarray(NULL, n, sizeof *pp->landed);
	for (i = 0; i < n; i++)
		pp->landed[i] = pairs[2 * i + 1];
	pp->nlanded = n;
	pp->next_landed = 0;
	pp->check = 0;
	pp->state = SINK_PART_READY;
	pp->failures = 0;
	if (n > 0)
		log_info("%s/%d: %zu messages from offset %lld already in "
		    "clickhouse; they are skipped", s->conf.topic, p, n,
		    (long long)pp->from);
	held = pp->held;
	buf_init(&pp->held);
	s->bytes -= held.len;
	m.partition = p;
	h = held.data;
	end = held.len > 0 ? h + held.len : h;	/* data is NULL when empty */
	for (; h < end; h += SINK_HELD_HDR + len) {
		m.offset = (int64_t)rowenc_le(h, 8);
		m.timestamp_ms = (int64_t)rowenc_le(h + 8, 8);
		len = (size_t)rowenc_le(h + 16, 4);
		m.payload = h[20] ? NULL : h + SINK_HELD_HDR;
		m.len = len;
		sink_process(s, pp, &m, now_us, wall_ms);
	}
	buf_clear(&held);
	a.partition = p;
	sink_push(s, &a);
}

/* Resume check `check` failed: its partitions ask again after a backoff. */
void
sink_landed_failed(struct sink *s, uint64_t check, uint64_t now_us)
{
	struct sink_part	*pp;
	uint64_t		 r;
	size_t			 i;

	if (check == 0)
		return;
	r = sink_random(s);
	for (i = 0; i < s->nparts; i++) {
		pp = &s->parts[i];
		if (pp->check != check)
			continue;
		pp->check = 0;
		pp->failures++;
		/* One draw: partitions that failed together retry together. */
		pp->retry_at_us = now_us + insert_backoff_us(pp->failures, r);
	}
	sink_queries(s, now_us);	/* the partitions that came meanwhile */
}

/* The SQL of resume check `check`, or NULL if nobody waits for it. */
char *
sink_landed_sql(const struct sink *s, uint64_t check, const char *db,
    const char *const tables[2])
{
	int32_t		*parts;
	int64_t		*from;
	size_t		 i, n = 0;
	char		*sql = NULL;

	if (check == 0)
		return (NULL);
	parts = xreallocarray(NULL, SINK_CHECK_MAX_PARTS, sizeof *parts);
	from = xreallocarray(NULL, SINK_CHECK_MAX_PARTS, sizeof *from);
	for (i = 0; i < s->nparts && n < SINK_CHECK_MAX_PARTS; i++) {
		if (s->parts[i].check != check)
			continue;
		parts[n] = (int32_t)i;
		from[n++] = s->parts[i].from;
	}
	if (n > 0)
		sql = schema_landed_sql(db, tables, s->conf.topic, parts, from,
		    n);
	free(parts);
	free(from);
	return (sql);
}

/* A poll's messages are in: their partitions' resume checks are due. */
void
sink_polled(struct sink *s, uint64_t now_us)
{
	sink_queries(s, now_us);
}

/*
 * Kafka has nothing more of partition p for now (the reactor found its
 * position at its high watermark, or librdkafka's partition EOF came).
 * When every assigned partition is read to its end and its messages are
 * rows (none held for a resume check), a backlog is over: its window ends
 * now, with the last ticks batch in it, instead of a batch's delay later,
 * so the server starts writing its part at once.  Steady state opens no
 * window and is left as it is: its batches still gather rows for
 * max_delay.
 */
void
sink_caught_up(struct sink *s, int32_t p, uint64_t now_us)
{
	struct sink_insert	*ins, *last = NULL;
	size_t			 i;

	if (p < 0 || (size_t)p >= s->nparts)
		return;
	s->parts[p].at_end = true;
	if (s->window == NULL)
		return;
	for (i = 0; i < s->nparts; i++) {
		if (s->parts[i].state != SINK_PART_UNASSIGNED &&
		    (s->parts[i].state == SINK_PART_CHECKING ||
		    !s->parts[i].at_end))
			return;
	}
	log_debug("%s: every partition read to its end; window %llu of %u "
	    "rows ends", __func__, (unsigned long long)s->window->id,
	    s->window->nrows);
	if (s->open[SCHEMA_TICKS] != NULL) {
		sink_close(s, SCHEMA_TICKS, BATCH_FLUSH_CAUGHT_UP);
	} else {
		/* The window ends after the batches still to join it. */
		TAILQ_FOREACH(ins, &s->queue, entry) {
			if (sink_windowable(s, ins))
				last = ins;
		}
		if (last != NULL)
			last->last = true;
		else
			sink_window_seal(s);
	}
	sink_pump(s, now_us);
}

/* Time passed: close batches whose delay is up, send due retries. */
void
sink_tick(struct sink *s, uint64_t now_us)
{
	struct sink_insert	*ins;
	int			 t;

	for (t = 0; t < 2; t++) {
		if ((ins = s->open[t]) == NULL)
			continue;
		if (batch_check(&s->conf.limits, ins->nrows, ins->body.len,
		    ins->opened_us, now_us) == BATCH_KEEP)
			continue;
		if (t == SCHEMA_TICKS)
			sink_inflow_note(s, ins, now_us);
		sink_close(s, t, BATCH_FLUSH_DELAY);
	}
	sink_pump(s, now_us);	/* a backlog's last batch joins its window */
	if (s->window != NULL && sink_window_due(s, s->window, now_us))
		sink_window_seal(s);
	sink_queries(s, now_us);
	sink_pump(s, now_us);
}

/* The open ticks batch ins closes by its delay at now_us. */
static void
sink_inflow_note(struct sink *s, const struct sink_insert *ins,
    uint64_t now_us)
{
	struct sink_inflow	*f = &s->inflow;

	f->span_us = now_us > ins->opened_us ? now_us - ins->opened_us : 1;
	f->msgs = s->stats.messages - f->msgs_at_open;
	f->bytes = f->bytes_total - f->bytes_at_open;
}

/* Is a round of resume checks out, its answer still awaited? */
static bool
sink_checks_out(const struct sink *s)
{
	size_t	i;

	for (i = 0; i < s->nparts; i++) {
		if (s->parts[i].state == SINK_PART_CHECKING &&
		    s->parts[i].check != 0)
			return (true);
	}
	return (false);
}

/*
 * Send the resume checks that are due, one query for up to
 * SINK_CHECK_MAX_PARTS partitions.  A partition's check waits while an
 * insert that holds rows of it is being sent: those rows may still land,
 * and the check must see them.  One round is out at a time: partitions
 * that come while it is out wait for its answer and go in the next, so a
 * start that meets its partitions over many polls asks a few times, not
 * once a poll (each check reads both tables' partition and offset
 * columns whole).
 */
static void
sink_queries(struct sink *s, uint64_t now_us)
{
	struct sink_part	*pp;
	struct sink_action	 a = { .kind = SINK_ACT_LANDED_QUERY,
				     .partition = -1 };
	bool			*sending = NULL;
	size_t			 i, n = 0;

	if (sink_checks_out(s))
		return;
	for (i = 0; i < s->nparts; i++) {
		pp = &s->parts[i];
		if (pp->state != SINK_PART_CHECKING || pp->check != 0 ||
		    pp->retry_at_us > now_us)
			continue;
		if (sending == NULL)
			sending = sink_sending_parts(s);
		if (sending[i])
			continue;
		if (n == 0) {
			a.check = ++s->next_check;
			sink_push(s, &a);
		}
		pp->check = a.check;
		if (++n == SINK_CHECK_MAX_PARTS)
			n = 0;
	}
	free(sending);
}

/*
 * Drain: close every open batch now; nothing is resumed from here on.
 * Messages held for a resume check are dropped: they were never committed
 * and are delivered again next time.
 */
void
sink_drain(struct sink *s, uint64_t now_us)
{
	struct sink_insert	*ins;
	size_t			 i;

	s->draining = true;
	for (i = 0; i < s->nparts; i++) {
		if (s->parts[i].state != SINK_PART_CHECKING)
			continue;
		sink_unhold(s, &s->parts[i]);
		s->parts[i].state = SINK_PART_UNASSIGNED;
	}
	sink_close(s, SCHEMA_TICKS, BATCH_FLUSH_DRAIN);
	sink_close(s, SCHEMA_REJECTS, BATCH_FLUSH_DRAIN);
	sink_window_seal(s);
	/* The drain has a deadline: a retry may not wait out a long backoff. */
	TAILQ_FOREACH(ins, &s->queue, entry)
		ins->retry_at_us = 0;
	sink_pump(s, now_us);
}

/* Emit a store action for every partition whose committable offset moved. */
static void
sink_commits(struct sink *s)
{
	struct sink_action	a = { .kind = SINK_ACT_STORE };

	while (offsets_next_commit(s->offsets, &a.partition, &a.offset))
		sink_push(s, &a);
}

/*
 * ins and all it stands for has landed.  Pieces of a split report to their
 * parent; the original batch tells the tracker.  Then every partition whose
 * committable offset moved gets a store action.
 */
static void
sink_landed(struct sink *s, struct sink_insert *ins)
{
	sink_land(s, ins);
	sink_commits(s);
}

/* sink_landed without the store actions: for several inserts at once. */
static void
sink_land(struct sink *s, struct sink_insert *ins)
{
	struct sink_insert	*parent;

	if (ins->table == SCHEMA_TICKS)
		s->stats.rows_landed += ins->nrows;
	else
		s->stats.rejects_landed += ins->nrows;
	s->stats.inserts_ok++;
	for (;;) {
		parent = ins->parent;
		if (parent == NULL)
			offsets_landed(s->offsets, ins->id);
		sink_insert_free(s, ins);
		if (parent == NULL || --parent->pending_children > 0)
			break;
		ins = parent;
	}
}

/* Split a poisoned insert of two or more rows into two queued halves. */
static void
sink_split(struct sink *s, struct sink_insert *ins)
{
	struct sink_insert	*half[2];
	uint32_t		 k, from, to, base, i, n;
	int			 h;

	k = ins->nrows / 2;
	for (h = 1; h >= 0; h--) {
		from = h == 0 ? 0 : k;
		to = h == 0 ? k : ins->nrows;
		base = from == 0 ? 0 : ins->rows[from - 1].end;
		n = to - from;
		half[h] = sink_insert_new(s, ins->table, ins->opened_us);
		half[h]->parent = ins;
		half[h]->state = SINK_INSERT_QUEUED;
		buf_add(&half[h]->body, ins->body.data + base,
		    ins->rows[to - 1].end - base);
		half[h]->rows = xreallocarray(NULL, n, sizeof *half[h]->rows);
		for (i = 0; i < n; i++) {
			half[h]->rows[i] = ins->rows[from + i];
			half[h]->rows[i].end -= base;
		}
		half[h]->nrows = half[h]->cap_rows = n;
		s->bytes += sink_insert_bytes(half[h]);
		TAILQ_INSERT_HEAD(&s->queue, half[h], entry);
	}
	ins->state = SINK_INSERT_SPLIT;
	ins->pending_children = 2;
	s->bytes -= ins->body.len;
	buf_clear(&ins->body);
	s->stats.inserts_split++;
	/* Rows revoked while the whole was in flight are not resent. */
	for (h = 0; h < 2; h++)
		sink_filter(s, half[h]);
}


/*
 * The server refused a single tick row.  It becomes a reject row with the
 * server's message, sent as its own insert; the tick insert waits for it.
 */
static void
sink_server_reject(struct sink *s, struct sink_insert *ins, int code,
    const struct insert_response *resp, int64_t wall_ms)
{
	struct sink_insert	*rej;
	struct rowenc_reject	 r;
	struct tick		 tick;
	char			 detail[SINK_DETAIL_MAX], raw[512];
	int			 rawlen;

	memset(&r, 0, sizeof r);
	r.origin.topic = s->conf.topic;
	r.origin.timestamp_ms = -1;
	if (rowenc_tick_parse(ins->body.data, ins->body.len, s->conf.dialect,
	    &tick, &r.origin) != 0)
		fatalx("%s: cannot parse our own row", __func__);
	snprintf(detail, sizeof detail, "clickhouse code %d: %.*s", code,
	    (int)(resp->len > 200 ? 200 : resp->len), resp->body);
	rawlen = rowenc_tick_json(&tick, raw, sizeof raw);
	r.rejected_ms = wall_ms;
	r.reason = SINK_SERVER_REASON;
	r.detail = detail;
	r.raw = raw;
	r.raw_size = (size_t)rawlen;
	r.raw_max = s->conf.reject_raw_max;
	rej = sink_insert_new(s, SCHEMA_REJECTS, 0);
	rowenc_reject(&rej->body, s->conf.dialect, &r);
	rej->rows = xmalloc(sizeof *rej->rows);
	rej->rows[0] = (struct sink_row){ (uint32_t)rej->body.len,
	    ins->rows[0].gen };
	rej->nrows = rej->cap_rows = 1;
	rej->parent = ins;
	rej->state = SINK_INSERT_QUEUED;
	s->bytes += sink_insert_bytes(rej);
	TAILQ_INSERT_HEAD(&s->queue, rej, entry);
	s->bytes -= ins->body.len;
	buf_clear(&ins->body);
	ins->state = SINK_INSERT_SPLIT;
	ins->pending_children = 1;
	s->stats.rejects_server++;
	sink_filter(s, rej);
}

/*
 * An insert back from the reactor goes to the head of the queue again, to
 * be sent at retry_at_us (0: at once), minus the rows of partitions revoked
 * meanwhile.  May free ins.
 */
static void
sink_requeue(struct sink *s, struct sink_insert *ins, uint64_t retry_at_us)
{
	ins->state = SINK_INSERT_QUEUED;
	ins->retry_at_us = retry_at_us;
	TAILQ_INSERT_HEAD(&s->queue, ins, entry);
	sink_filter(s, ins);
}

/* The reactor's answer for an insert it was given. */
void
sink_insert_done(struct sink *s, struct sink_insert *ins,
    const struct insert_response *resp, uint64_t now_us, int64_t wall_ms)
{
	enum insert_outcome	out;
	int			code;

	s->ninflight--;
	out = insert_classify(resp, &code);
	if (out == INSERT_POISON && ins->table == SCHEMA_REJECTS) {
		log_warnx("rejects insert refused (code %d); retrying", code);
		out = INSERT_RETRY;
	}
	switch (out) {
	case INSERT_OK:
		s->stats.last_landed_us = now_us;
		sink_landed(s, ins);
		break;
	case INSERT_RETRY:
		s->stats.inserts_retried++;
		/* No verdict from ClickHouse: the rows may have landed. */
		ins->probe = resp->transport != INSERT_NET_OK ||
		    resp->status > 500;
		sink_requeue(s, ins, now_us +
		    insert_backoff_us(++ins->failures, sink_random(s)));
		break;
	case INSERT_POISON:
		if (ins->nrows > 1)
			sink_split(s, ins);
		else
			sink_server_reject(s, ins, code, resp, wall_ms);
		break;
	}
	sink_after_send(s, now_us);
}

/*
 * After an insert's send or probe came back (the insert may be gone):
 * resume checks it held back may go, and the queue moves.
 */
static void
sink_after_send(struct sink *s, uint64_t now_us)
{
	sink_queries(s, now_us);
	sink_pump(s, now_us);
}

/*
 * The answer to SINK_ACT_PROBE: whether the insert's rows are in the table.
 * Landed: done, as if the send had succeeded.  Absent: send it again now.
 * Failed: ask again after a backoff.
 */
void
sink_probe_done(struct sink *s, struct sink_insert *ins,
    enum sink_probe_result r, uint64_t now_us)
{
	s->ninflight--;
	switch (r) {
	case SINK_PROBE_LANDED:
		s->stats.probes_landed++;
		s->stats.last_landed_us = now_us;
		sink_landed(s, ins);
		break;
	case SINK_PROBE_ABSENT:
		ins->probe = false;
		sink_requeue(s, ins, 0);
		break;
	case SINK_PROBE_FAILED:
		sink_requeue(s, ins, now_us +
		    insert_backoff_us(++ins->failures, sink_random(s)));
		break;
	}
	sink_after_send(s, now_us);
}

/*
 * The probe's question: which rows of the insert's partitions, within the
 * offset range the insert covers in each, are in its table.  Ranges keep
 * the statement short (a list of every row would pass max_query_size);
 * the answer is matched against the insert's rows by sink_probe_answer.
 */
char *
sink_probe_sql(const struct sink_insert *ins, enum schema_dialect d,
    const char *db, const char *name, const char *topic)
{
	struct sink_probe_range {
		int32_t	p;
		int64_t	lo, hi;
	}		*r = NULL;
	struct buf	 b;
	char		 tmp[128];
	int64_t		 offset;
	int32_t		 p;
	uint32_t	 i;
	size_t		 j, nr = 0;
	const char	*sep = "";

	/* Each partition's range, in the order the rows first name them. */
	for (i = 0; i < ins->nrows; i++) {
		sink_row_origin(d, ins, i, &p, &offset);
		for (j = 0; j < nr && r[j].p != p; j++)
			continue;
		if (j == nr) {
			r = xreallocarray(r, ++nr, sizeof *r);
			r[j] = (struct sink_probe_range){ p, offset, offset };
		}
		if (offset < r[j].lo)
			r[j].lo = offset;
		if (offset > r[j].hi)
			r[j].hi = offset;
	}

	buf_init(&b);
	snprintf(tmp, sizeof tmp, "SELECT kafka_partition, kafka_offset FROM "
	    "%s.%s WHERE ", db, name);
	buf_add_str(&b, tmp);
	if (ins->table == SCHEMA_REJECTS) {
		buf_add_str(&b, "kafka_topic = '");
		buf_add_str(&b, topic);
		buf_add_str(&b, "' AND ");
	}
	buf_add_str(&b, "(");
	for (j = 0; j < nr; j++) {
		snprintf(tmp, sizeof tmp, "%s(kafka_partition = %d AND "
		    "kafka_offset BETWEEN %lld AND %lld)", sep, r[j].p,
		    (long long)r[j].lo, (long long)r[j].hi);
		buf_add_str(&b, tmp);
		sep = " OR ";
	}
	free(r);
	buf_add_str(&b, ") FORMAT TabSeparated");
	buf_add(&b, "", 1);
	return ((char *)b.data);
}

/*
 * The probe's answer: "partition\toffset" lines of rows present.  Rows of
 * the insert found there landed (normally all or none, as an insert is
 * atomic; some, when another process's late insert landed them) and are
 * taken out; the rest is sent again.  Any other answer counts as failed.
 */
void
sink_probe_answer(struct sink *s, struct sink_insert *ins, const char *body,
    size_t len, uint64_t now_us)
{
	int64_t		*v = NULL, key[2];
	int32_t		 p;
	size_t		 n = 0;
	uint32_t	 i, kept = 0, from;
	struct buf	 nb;

	if (schema_parse_pairs(body, len, &v, &n) != 0) {
		sink_probe_done(s, ins, SINK_PROBE_FAILED, now_us);
		return;
	}
	s->bytes -= sink_insert_bytes(ins);
	buf_init(&nb);
	for (i = 0; i < ins->nrows; i++) {
		sink_row_origin(s->conf.dialect, ins, i, &p, &key[1]);
		key[0] = p;
		if (n > 0 && bsearch(key, v, n, 2 * sizeof *v,
		    schema_cmp_pair) != NULL)
			continue;
		from = i == 0 ? 0 : ins->rows[i - 1].end;
		buf_add(&nb, ins->body.data + from, ins->rows[i].end - from);
		ins->rows[kept] = ins->rows[i];
		ins->rows[kept++].end = (uint32_t)nb.len;
	}
	free(v);
	if (kept < ins->nrows) {
		s->stats.probes_landed++;
		s->stats.last_landed_us = now_us;
		if (ins->table == SCHEMA_TICKS)
			s->stats.rows_landed += ins->nrows - kept;
		else
			s->stats.rejects_landed += ins->nrows - kept;
	}
	buf_clear(&ins->body);
	ins->body = nb;
	ins->nrows = kept;
	s->bytes += sink_insert_bytes(ins);
	if (kept == 0) {
		s->ninflight--;
		sink_landed(s, ins);	/* no rows left to count */
		sink_after_send(s, now_us);
		return;
	}
	sink_probe_done(s, ins, SINK_PROBE_ABSENT, now_us);
}

/*
 * Does a queued batch go into a window: a ticks batch of a backlog (only
 * sink_close makes one), never sent, while windows are on and not held off
 * after a failed one.
 */
static bool
sink_windowable(const struct sink *s, const struct sink_insert *ins)
{
	return (s->conf.window_rows > 0 && !s->draining && ins->bulk &&
	    ins->attempt == 0 && s->stats.messages >= s->windows_after);
}

/* Open a window in an insert slot; the reactor starts its request. */
static void
sink_window_open(struct sink *s, uint64_t now_us)
{
	struct sink_window	*w;
	struct sink_action	 a = { .kind = SINK_ACT_STREAM,
				     .partition = -1 };

	w = xcalloc(1, sizeof *w);
	w->id = s->next_id++;
	TAILQ_INIT(&w->members);
	w->opened_us = w->last_add_us = now_us;
	TAILQ_INSERT_TAIL(&s->windows, w, entry);
	s->window = w;
	s->ninflight++;
	a.window = w;
	sink_push(s, &a);
}

/*
 * Append a batch to the open window, noting the assignment of each of its
 * partitions; the window is sealed when the next batch might not fit.
 */
static void
sink_window_add(struct sink *s, struct sink_insert *ins, uint64_t now_us)
{
	struct sink_window	*w = s->window;
	uint32_t		 i;
	int32_t			 p;
	int64_t			 offset;

	ins->state = SINK_INSERT_WINDOW;
	TAILQ_INSERT_TAIL(&w->members, ins, entry);
	if (w->reading == NULL) {
		w->reading = ins;
		rowenc_native_start(&w->native, s->conf.dialect,
		    ins->body.data, ins->nrows);
	}
	w->unread++;
	w->nrows += ins->nrows;
	w->last_add_us = now_us;
	/* Every row's partition has its state already: s->nparts covers it. */
	if (w->ngen < s->nparts) {
		w->gen = xreallocarray(w->gen, s->nparts, sizeof *w->gen);
		memset(w->gen + w->ngen, 0,
		    (s->nparts - w->ngen) * sizeof *w->gen);
		w->ngen = s->nparts;
	}
	for (i = 0; i < ins->nrows; i++) {
		sink_row_origin(s->conf.dialect, ins, i, &p, &offset);
		if (p >= 0 && (size_t)p < w->ngen &&
		    ins->rows[i].gen > w->gen[p])
			w->gen[p] = ins->rows[i].gen;
	}
	if (ins->last || (uint64_t)w->nrows + s->conf.limits.max_rows >
	    s->conf.window_rows || sink_window_due(s, w, now_us))
		sink_window_seal(s);
	else
		sink_window_more(s, w);
}

/*
 * Is it time to end the open window w: read to the end with nothing more
 * for a batch's delay and no ticks batch open (which would join it when
 * it closes), or as old as a window may be?
 */
static bool
sink_window_due(const struct sink *s, const struct sink_window *w,
    uint64_t now_us)
{
	return (now_us >= sink_window_deadline(s, w));
}

/* When the open window w is due (sink_window_due). */
static uint64_t
sink_window_deadline(const struct sink *s, const struct sink_window *w)
{
	uint64_t	d = UINT64_MAX;

	if (w->reading == NULL && s->open[SCHEMA_TICKS] == NULL)
		d = w->last_add_us + s->conf.limits.max_delay_us;
	if (s->conf.window_max_us > 0 &&
	    w->opened_us + s->conf.window_max_us < d)
		d = w->opened_us + s->conf.window_max_us;
	return (d);
}

/* The open window takes no more batches: its body ends after them. */
static void
sink_window_seal(struct sink *s)
{
	struct sink_window	*w = s->window;

	if (w == NULL)
		return;
	w->sealed = true;
	s->window = NULL;
	sink_window_more(s, w);
}

/* Wake the reader of w if it waits: there is more, or the end. */
static void
sink_window_more(struct sink *s, struct sink_window *w)
{
	struct sink_action	a = { .kind = SINK_ACT_STREAM_MORE,
				    .partition = -1 };

	if (!w->waiting)
		return;
	w->waiting = false;
	a.window = w;
	sink_push(s, &a);
}

/*
 * The reactor reads up to size bytes of w's body into dst: its batches
 * one after another, each a Native block.  A batch read whole gives its
 * memory back at once, and the next may join.  Returns the
 * bytes read; 0 is the end of the body, unless *wait is set: nothing to
 * read yet, and SINK_ACT_STREAM_MORE follows when there is.
 */
size_t
sink_window_read(struct sink *s, struct sink_window *w, void *dst,
    size_t size, uint64_t now_us, bool *wait)
{
	struct sink_insert	*ins;
	size_t			 n = 0;
	bool			 released = false;

	*wait = false;
	while (n < size && (ins = w->reading) != NULL) {
		n += rowenc_native_read(&w->native, (uint8_t *)dst + n,
		    size - n);
		if (!rowenc_native_done(&w->native))
			break;
		sink_release(s, ins);
		if ((w->reading = TAILQ_NEXT(ins, entry)) != NULL)
			rowenc_native_start(&w->native, s->conf.dialect,
			    w->reading->body.data, w->reading->nrows);
		w->unread--;
		released = true;
	}
	w->sent += n;
	if (released)
		sink_pump(s, now_us);
	if (n == 0 && !w->sealed) {
		*wait = true;
		w->waiting = true;
	}
	return (n);
}

/*
 * The answer for a window.  Landed: every batch in it landed.  Failed before
 * a byte was read: its batches are sent again on their own.  Otherwise what
 * it held is gone from memory and may have landed in part: each partition
 * with rows of its current assignment in it is read again from Kafka
 * (sink_reread), and windows wait until twice window_rows messages more
 * have come, so that a row the server refuses is found by the plain
 * inserts, which split.
 */
void
sink_window_done(struct sink *s, struct sink_window *w,
    const struct insert_response *resp, uint64_t now_us)
{
	struct sink_insert	*ins;
	size_t			 i, n;

	s->ninflight--;
	if (s->window == w)
		s->window = NULL;
	/* Actions for w not yet taken: it is gone. */
	for (i = n = s->ahead; i < s->atail; i++) {
		if (s->actions[i].window != w)
			s->actions[n++] = s->actions[i];
	}
	s->atail = n;
	TAILQ_REMOVE(&s->windows, w, entry);
	if (resp->transport == INSERT_NET_OK && resp->status == 200 &&
	    w->sealed && w->reading == NULL) {
		s->stats.windows_ok++;
		s->stats.last_landed_us = now_us;
		while ((ins = TAILQ_FIRST(&w->members)) != NULL) {
			TAILQ_REMOVE(&w->members, ins, entry);
			sink_land(s, ins);
		}
		sink_commits(s);
	} else
		sink_window_failed(s, w, now_us);
	sink_window_free(s, w);
	sink_after_send(s, now_us);
}

/* A window failed: its batches go again, or its partitions are read again. */
static void
sink_window_failed(struct sink *s, struct sink_window *w, uint64_t now_us)
{
	struct sink_insert	*ins;
	uint64_t		 retry_at;
	size_t			 p;

	s->stats.inserts_retried++;
	if (w->sent == 0) {
		retry_at = now_us + insert_backoff_us(1, sink_random(s));
		while ((ins = TAILQ_LAST(&w->members, sink_insert_list)) !=
		    NULL) {
			TAILQ_REMOVE(&w->members, ins, entry);
			ins->bulk = ins->last = false;
			sink_requeue(s, ins, retry_at);
		}
		return;
	}
	s->stats.windows_failed++;
	s->windows_after = s->stats.messages + 2 * (uint64_t)s->conf.window_rows;
	log_warnx("%s: a window of %u rows failed after %llu bytes; its "
	    "partitions are read again from their first offset not landed",
	    s->conf.topic, w->nrows, (unsigned long long)w->sent);
	for (p = 0; p < w->ngen && p < s->nparts; p++) {
		if (w->gen[p] != 0 && w->gen[p] == s->parts[p].gen &&
		    offsets_is_assigned(s->offsets, (int32_t)p))
			sink_reread(s, (int32_t)p);
	}
	/* Its batches, read and freed or not, go with it (sink_window_free). */
}

/*
 * Read partition p again from its first offset not landed: as if it were
 * revoked and assigned again (what was not sent is dropped; the resume
 * check of its first message skips what landed), and the reactor seeks it
 * there.
 */
static void
sink_reread(struct sink *s, int32_t p)
{
	struct sink_action	a = { .kind = SINK_ACT_SEEK };

	if ((a.offset = offsets_first_pending(s->offsets, p)) < 0)
		return;
	sink_revoke(s, p);
	sink_assign(s, p);
	a.partition = p;
	sink_push(s, &a);
}

/* Free a window taken off s->windows, and any batch still in it. */
static void
sink_window_free(struct sink *s, struct sink_window *w)
{
	struct sink_insert	*ins;

	while ((ins = TAILQ_FIRST(&w->members)) != NULL) {
		TAILQ_REMOVE(&w->members, ins, entry);
		sink_insert_free(s, ins);
	}
	if (s->window == w)
		s->window = NULL;
	free(w->gen);
	free(w);
}

/*
 * The dedup token of an insert: FNV-1a of its bytes and its row count, so
 * a resend of the same bytes carries the same token, in any process.
 */
void
sink_token(const struct sink_insert *ins, char *buf, size_t size)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < ins->body.len; i++) {
		h ^= ins->body.data[i];
		h *= 0x100000001b3ULL;
	}
	snprintf(buf, size, "ticksink-%016llx-%u", (unsigned long long)h,
	    ins->nrows);
}

/* The earliest time something is due: a batch delay or a retry. */
uint64_t
sink_next_deadline(const struct sink *s)
{
	const struct sink_insert	*ins;
	uint64_t			 d, best = UINT64_MAX;
	bool				*sending = NULL;
	size_t				 i;
	int				 t;

	for (t = 0; t < 2; t++) {
		if ((ins = s->open[t]) == NULL)
			continue;
		d = batch_deadline(&s->conf.limits, ins->nrows,
		    ins->opened_us);
		if (d < best)
			best = d;
	}
	if (s->window != NULL &&
	    (d = sink_window_deadline(s, s->window)) < best)
		best = d;
	/* Batches for a window wait for its reader, not for a time. */
	if (s->ninflight < s->conf.max_inflight) {
		TAILQ_FOREACH(ins, &s->queue, entry) {
			if (ins->state == SINK_INSERT_QUEUED &&
			    ins->retry_at_us < best && !sink_windowable(s, ins))
				best = ins->retry_at_us;
		}
	}
	if (sink_checks_out(s))
		return (best);	/* its answer brings the next round */
	for (i = 0; i < s->nparts; i++) {
		if (s->parts[i].state != SINK_PART_CHECKING ||
		    s->parts[i].check != 0 ||
		    s->parts[i].retry_at_us >= best)
			continue;
		if (sending == NULL)
			sending = sink_sending_parts(s);
		if (!sending[i])
			best = s->parts[i].retry_at_us;
	}
	free(sending);
	return (best);
}

/*
 * When the reactor must next read the consumer queue; now_us or earlier:
 * at once.  In the steady state a ticks batch is open for max_delay after
 * its first row, and the messages that come meanwhile need only be in it
 * by then.  Left in librdkafka's queue they cost no wake-up each (one
 * comes with each fetch response, a hundred a second and more at 5,000
 * ticks/s), and are read in one run at the deadline, before the batch is
 * closed (batch.c).  The queue must not fill meanwhile, or its fetcher
 * stops: so at the last steady batch's rate no more than budget_bytes and
 * budget_msgs may come before the queue is read.  At once, then, before
 * that rate is known, after a batch closed full or at a backlog's end (a
 * backlog is read as fast as it comes), while a window is open, while a
 * batch is open for rejects alone, and on the drain.  A feed that jumps
 * from quiet to more than the queue holds in one delay fills it once: the
 * fetcher then waits for the read at the deadline (the reactor wakes it
 * after a full queue), and the next batch plans with the new rate.
 */
uint64_t
sink_read_by(const struct sink *s, uint64_t now_us, uint64_t budget_bytes,
    uint64_t budget_msgs)
{
	const struct sink_inflow	*f = &s->inflow;
	const struct sink_insert	*ins = s->open[SCHEMA_TICKS];
	uint64_t			 by, d;

	if (s->draining || s->window != NULL || ins == NULL ||
	    ins->nrows == 0 || f->span_us == 0)
		return (now_us);
	by = batch_deadline(&s->conf.limits, ins->nrows, ins->opened_us);
	if ((ins = s->open[SCHEMA_REJECTS]) != NULL &&
	    (d = batch_deadline(&s->conf.limits, ins->nrows,
	    ins->opened_us)) < by)
		by = d;
	if (f->bytes > 0 && (d = now_us + f->span_us * budget_bytes /
	    f->bytes) < by)
		by = d;
	if (f->msgs > 0 && (d = now_us + f->span_us * budget_msgs /
	    f->msgs) < by)
		by = d;
	return (by);
}

/* Nothing open, queued, in flight or held. */
bool
sink_is_idle(const struct sink *s)
{
	size_t	i;

	for (i = 0; i < s->nparts; i++) {
		if (s->parts[i].held.len > 0)
			return (false);
	}
	return (s->open[SCHEMA_TICKS] == NULL &&
	    s->open[SCHEMA_REJECTS] == NULL && TAILQ_EMPTY(&s->all) &&
	    TAILQ_EMPTY(&s->windows));
}

/* Is a window open: is the sink in a backlog (see sink_caught_up)? */
bool
sink_windowing(const struct sink *s)
{
	return (s->window != NULL);
}

/*
 * Every insert slot is busy, or the open window has its batches ahead, and
 * a closed batch waits: reading more messages now only grows memory.  The
 * reactor then leaves them in Kafka's bounded prefetch queue until an
 * answer frees a slot.
 */
bool
sink_saturated(const struct sink *s)
{
	return (!TAILQ_EMPTY(&s->queue) &&
	    (s->ninflight >= s->conf.max_inflight || (s->window != NULL &&
	    s->window->unread >= SINK_WINDOW_AHEAD)));
}

/* Bytes held: open, queued and in-flight bodies, rows, held messages. */
size_t
sink_buffered_bytes(const struct sink *s)
{
	return (s->bytes);
}
