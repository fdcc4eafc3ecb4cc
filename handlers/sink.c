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
 * Memory: every body is counted in bytes.  At max_buffer_bytes the sink asks
 * for the partitions to be paused and, below half of it, resumed, so a
 * ClickHouse outage of any length holds memory at the bound.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "offsets.h"
#include "rowenc.h"
#include "sink.h"
#include "xmalloc.h"

#define SINK_DETAIL_MAX		256
#define SINK_SERVER_REASON	"server_rejected"

static struct sink_insert	*sink_insert_new(struct sink *,
				    enum schema_table, uint64_t);
static void			 sink_insert_free(struct sink *,
				    struct sink_insert *);
static struct sink_insert	*sink_open(struct sink *, enum schema_table,
				    uint64_t);
static void			 sink_row_added(struct sink *,
				    struct sink_insert *, size_t, uint64_t);
static void			 sink_close(struct sink *, enum schema_table,
				    enum batch_decision);
static void			 sink_push(struct sink *,
				    const struct sink_action *);
static void			 sink_pump(struct sink *, uint64_t);
static void			 sink_pressure(struct sink *);
static void			 sink_landed(struct sink *,
				    struct sink_insert *);
static void			 sink_split(struct sink *,
				    struct sink_insert *);
static void			 sink_server_reject(struct sink *,
				    struct sink_insert *, int,
				    const struct insert_response *, int64_t);
static uint64_t			 sink_random(struct sink *);

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
	s->next_id = 1;
	s->rng = conf->seed | 1;
	return (s);
}

/* Free the sink and every insert it still holds, in flight or not. */
void
sink_free(struct sink *s)
{
	struct sink_insert	*ins;

	if (s == NULL)
		return;
	while ((ins = TAILQ_FIRST(&s->all)) != NULL)
		sink_insert_free(s, ins);
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

/* Free an insert and give back its bytes. */
static void
sink_insert_free(struct sink *s, struct sink_insert *ins)
{
	if (ins == NULL)
		return;
	TAILQ_REMOVE(&s->all, ins, all_entry);
	s->bytes -= ins->body.len;
	buf_clear(&ins->body);
	free(ins->row_ends);
	free(ins);
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

/* Partition p is now ours. */
void
sink_assign(struct sink *s, int32_t p)
{
	offsets_assign(s->offsets, p);
}

/* Partition p is no longer ours: nothing more of it is committed. */
void
sink_revoke(struct sink *s, int32_t p)
{
	offsets_revoke(s->offsets, p);
}

/* The open batch of table t, opened now if there is none. */
static struct sink_insert *
sink_open(struct sink *s, enum schema_table t, uint64_t now_us)
{
	if (s->open[t] == NULL)
		s->open[t] = sink_insert_new(s, t, now_us);
	return (s->open[t]);
}

/* A row of grown bytes was appended to ins; close it if it is full. */
static void
sink_row_added(struct sink *s, struct sink_insert *ins, size_t grown,
    uint64_t now_us)
{
	enum batch_decision	d;

	if (ins->nrows == ins->cap_rows) {
		ins->cap_rows = ins->cap_rows == 0 ? 64 : ins->cap_rows * 2;
		ins->row_ends = xreallocarray(ins->row_ends, ins->cap_rows,
		    sizeof *ins->row_ends);
	}
	ins->row_ends[ins->nrows++] = (uint32_t)ins->body.len;
	s->bytes += grown;
	d = batch_check(&s->conf.limits, ins->nrows, ins->body.len,
	    ins->opened_us, now_us);
	if (d != BATCH_KEEP)
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
}

/* Hand queued inserts that are due to the reactor, up to max_inflight. */
static void
sink_pump(struct sink *s, uint64_t now_us)
{
	struct sink_insert	*ins, *next;
	struct sink_action	 a = { .kind = SINK_ACT_INSERT };

	for (ins = TAILQ_FIRST(&s->queue); ins != NULL; ins = next) {
		next = TAILQ_NEXT(ins, entry);
		if (s->ninflight >= s->conf.max_inflight)
			break;
		if (ins->state != SINK_INSERT_QUEUED ||
		    ins->retry_at_us > now_us)
			continue;
		TAILQ_REMOVE(&s->queue, ins, entry);
		ins->state = SINK_INSERT_INFLIGHT;
		ins->attempt++;
		s->ninflight++;
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

	if (!s->paused && s->bytes >= s->conf.max_buffer_bytes) {
		s->paused = true;
		sink_push(s, &a);
	} else if (s->paused && !s->draining &&
	    s->bytes < s->conf.max_buffer_bytes / 2) {
		s->paused = false;
		a.kind = SINK_ACT_RESUME;
		sink_push(s, &a);
	}
}

/*
 * One message from Kafka.  It always becomes a row: a tick, or a reject with
 * its reason.  now_us is the monotonic clock, wall_ms the UTC wall clock.
 */
void
sink_message(struct sink *s, const struct sink_msg *m, uint64_t now_us,
    int64_t wall_ms)
{
	struct rowenc_origin	 o = { s->conf.topic, m->partition, m->offset,
				     m->timestamp_ms };
	struct rowenc_reject	 r;
	struct sink_insert	*ins;
	struct tick		 tick;
	enum decode_reason	 why;
	char			 detail[SINK_DETAIL_MAX];
	size_t			 before;

	s->stats.messages++;
	if (!offsets_is_assigned(s->offsets, m->partition)) {
		log_debug("%s: %s/%d@%lld not assigned, skipped", __func__,
		    s->conf.topic, m->partition, (long long)m->offset);
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
	sink_row_added(s, ins, ins->body.len - before, now_us);
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
		    ins->opened_us, now_us) != BATCH_KEEP)
			sink_close(s, t, BATCH_FLUSH_DELAY);
	}
	sink_pump(s, now_us);
}

/* Drain: close every open batch now; nothing is resumed from here on. */
void
sink_drain(struct sink *s, uint64_t now_us)
{
	s->draining = true;
	sink_close(s, SCHEMA_TICKS, BATCH_FLUSH_DELAY);
	sink_close(s, SCHEMA_REJECTS, BATCH_FLUSH_DELAY);
	sink_pump(s, now_us);
}

/*
 * ins and all it stands for has landed.  Pieces of a split report to their
 * parent; the original batch tells the tracker.  Then every partition whose
 * committable offset moved gets a store action.
 */
static void
sink_landed(struct sink *s, struct sink_insert *ins)
{
	struct sink_insert	*parent;
	struct sink_action	 a = { .kind = SINK_ACT_STORE };

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
	while (offsets_next_commit(s->offsets, &a.partition, &a.offset))
		sink_push(s, &a);
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
		base = from == 0 ? 0 : ins->row_ends[from - 1];
		n = to - from;
		half[h] = sink_insert_new(s, ins->table, ins->opened_us);
		half[h]->parent = ins;
		half[h]->state = SINK_INSERT_QUEUED;
		buf_add(&half[h]->body, ins->body.data + base,
		    ins->row_ends[to - 1] - base);
		half[h]->row_ends = xreallocarray(NULL, n, sizeof(uint32_t));
		for (i = 0; i < n; i++)
			half[h]->row_ends[i] = ins->row_ends[from + i] - base;
		half[h]->nrows = half[h]->cap_rows = n;
		s->bytes += half[h]->body.len;
		TAILQ_INSERT_HEAD(&s->queue, half[h], entry);
	}
	s->bytes -= ins->body.len;
	buf_clear(&ins->body);
	ins->state = SINK_INSERT_SPLIT;
	ins->pending_children = 2;
	s->stats.inserts_split++;
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
	rej->row_ends = xmalloc(sizeof *rej->row_ends);
	rej->row_ends[0] = (uint32_t)rej->body.len;
	rej->nrows = rej->cap_rows = 1;
	rej->parent = ins;
	rej->state = SINK_INSERT_QUEUED;
	s->bytes += rej->body.len;
	TAILQ_INSERT_HEAD(&s->queue, rej, entry);
	s->bytes -= ins->body.len;
	buf_clear(&ins->body);
	ins->state = SINK_INSERT_SPLIT;
	ins->pending_children = 1;
	s->stats.rejects_server++;
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
		sink_landed(s, ins);
		break;
	case INSERT_RETRY:
		s->stats.inserts_retried++;
		ins->state = SINK_INSERT_QUEUED;
		ins->retry_at_us = now_us +
		    insert_backoff_us(ins->attempt, sink_random(s));
		TAILQ_INSERT_HEAD(&s->queue, ins, entry);
		break;
	case INSERT_POISON:
		if (ins->nrows > 1)
			sink_split(s, ins);
		else
			sink_server_reject(s, ins, code, resp, wall_ms);
		break;
	}
	sink_pump(s, now_us);
}

/* The earliest time something is due: a batch delay or a retry. */
uint64_t
sink_next_deadline(const struct sink *s)
{
	const struct sink_insert	*ins;
	uint64_t			 d, best = UINT64_MAX;
	int				 t;

	for (t = 0; t < 2; t++) {
		if ((ins = s->open[t]) == NULL)
			continue;
		d = batch_deadline(&s->conf.limits, ins->nrows,
		    ins->opened_us);
		if (d < best)
			best = d;
	}
	if (s->ninflight < s->conf.max_inflight) {
		TAILQ_FOREACH(ins, &s->queue, entry) {
			if (ins->state == SINK_INSERT_QUEUED &&
			    ins->retry_at_us < best)
				best = ins->retry_at_us;
		}
	}
	return (best);
}

/* Nothing open, queued or in flight. */
bool
sink_is_idle(const struct sink *s)
{
	return (s->open[SCHEMA_TICKS] == NULL &&
	    s->open[SCHEMA_REJECTS] == NULL && TAILQ_EMPTY(&s->queue) &&
	    s->ninflight == 0);
}

/* Bytes held: open, queued and in-flight bodies. */
size_t
sink_buffered_bytes(const struct sink *s)
{
	return (s->bytes);
}
