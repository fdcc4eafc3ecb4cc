/*
 * ticksink: the sans-I/O core.  Messages, insert answers, clock ticks and
 * partition changes go in; inserts to send, offsets to store and
 * pause/resume decisions come out.
 */
#ifndef HANDLERS_SINK_H
#define HANDLERS_SINK_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "buf.h"
#include "decode.h"
#include "insert.h"
#include "rowenc.h"
#include "schema.h"

struct decoder;
struct offsets;

struct sink_conf {
	const char		*topic;		/* borrowed for sink's life */
	enum schema_dialect	 dialect;
	struct batch_limits	 limits;
	unsigned		 max_inflight;
	uint32_t		 window_rows;	/* 0: no windows */
	uint64_t		 window_max_us;	/* a window's age at most */
	size_t			 max_buffer_bytes;
	struct decode_limits	 decode;
	size_t			 reject_raw_max;
	uint64_t		 seed;		/* for retry jitter */
};

/* One Kafka message, borrowed for the length of the call. */
struct sink_msg {
	int32_t		 partition;
	int64_t		 offset;
	int64_t		 timestamp_ms;	/* Kafka time; -1 if none */
	const void	*payload;	/* NULL for a tombstone */
	size_t		 len;
};

enum sink_insert_state {
	SINK_INSERT_OPEN,	/* taking rows */
	SINK_INSERT_QUEUED,	/* waiting for a slot or its retry time */
	SINK_INSERT_INFLIGHT,	/* the reactor is sending it */
	SINK_INSERT_PROBING,	/* the reactor asks whether it landed */
	SINK_INSERT_SPLIT,	/* waiting for its pieces */
	SINK_INSERT_WINDOW	/* part of a window; body freed once read */
};

/*
 * Where one row of an insert ends, and the assignment of its partition.
 * Its partition and offset are columns of the row itself (rowenc_origin):
 * a row costs its bytes and these eight.
 */
struct sink_row {
	uint32_t	end;		/* byte offset after the row */
	uint32_t	gen;		/* the partition's assignment */
};

/*
 * One batch on its way to a table.  The sink owns it; the reactor borrows
 * it from SINK_ACT_INSERT or SINK_ACT_PROBE until it reports the answer, and
 * a retry sends the very same bytes with the same dedup token.
 */
struct sink_insert {
	uint64_t		 id;
	enum schema_table	 table;
	enum sink_insert_state	 state;
	struct buf		 body;		/* RowBinary rows */
	struct sink_row		*rows;
	uint32_t		 nrows;
	uint32_t		 cap_rows;
	struct rowenc_native	 native;	/* a ticks body as sent */
	unsigned		 attempt;	/* sends so far */
	unsigned		 failures;	/* failed sends and probes */
	bool			 probe;		/* outcome of last send unknown */
	bool			 bulk;		/* a backlog's ticks: for a window */
	bool			 last;		/* ends its window */
	uint64_t		 opened_us;
	uint64_t		 retry_at_us;
	struct sink_insert	*parent;	/* set on pieces of a split */
	unsigned		 pending_children;
	TAILQ_ENTRY(sink_insert) entry;		/* queue, or window */
	TAILQ_ENTRY(sink_insert) all_entry;	/* every insert */
};
TAILQ_HEAD(sink_insert_list, sink_insert);

/*
 * A window: one streamed insert into the ticks table whose body is the
 * batches closed full during a backlog, handed over one after another while
 * the request runs, up to window_rows rows.  The server makes one part of
 * it instead of one per batch, and merges none of them.  A batch's body is
 * freed as soon as the reactor has read it, so a window that fails cannot
 * be sent again: its partitions are read again from Kafka instead, from
 * their first offset not landed, and the resume check skips whatever of it
 * did land.
 */
struct sink_window {
	uint64_t		 id;
	struct sink_insert_list	 members;	/* in body order */
	struct sink_insert	*reading;	/* first not wholly read */
	struct rowenc_native	 native;	/* its read, as Native */
	unsigned		 unread;	/* members not wholly read */
	uint32_t		 nrows;
	uint64_t		 sent;		/* bytes read in all */
	bool			 sealed;	/* takes no more batches */
	bool			 waiting;	/* the reader waits for more */
	uint32_t		*gen;		/* per partition: its rows' */
	size_t			 ngen;		/* assignment; 0: none */
	uint64_t		 opened_us;
	uint64_t		 last_add_us;
	void			*io;		/* the reactor's request */
	TAILQ_ENTRY(sink_window) entry;
};
TAILQ_HEAD(sink_window_list, sink_window);

enum sink_action_kind {
	SINK_ACT_INSERT,	/* send insert (borrowed) */
	SINK_ACT_PROBE,		/* ask whether insert's rows are there */
	SINK_ACT_STREAM,	/* start streaming window (borrowed) */
	SINK_ACT_STREAM_MORE,	/* window has more to read, or ended */
	SINK_ACT_SEEK,		/* read partition again from offset */
	SINK_ACT_LANDED_QUERY,	/* resume check `check`: which offsets landed */
	SINK_ACT_STORE,		/* store offset for partition */
	SINK_ACT_PAUSE,		/* pause every assigned partition */
	SINK_ACT_RESUME,	/* resume them */
	SINK_ACT_PAUSE_ONE,	/* pause partition */
	SINK_ACT_RESUME_ONE	/* resume partition */
};

struct sink_action {
	enum sink_action_kind	 kind;
	struct sink_insert	*insert;
	struct sink_window	*window;
	int32_t			 partition;
	int64_t			 offset;
	uint64_t		 check;
};

/* What the reactor learned from a probe. */
enum sink_probe_result {
	SINK_PROBE_LANDED,
	SINK_PROBE_ABSENT,
	SINK_PROBE_FAILED
};

/* Counters since start; read by the reactor for logs and summaries. */
struct sink_stats {
	uint64_t	messages;
	uint64_t	rows_landed;
	uint64_t	rejects_landed;
	uint64_t	rejects[DECODE_NREASONS];
	uint64_t	rejects_server;
	uint64_t	skipped_landed;	/* already in ClickHouse on resume */
	uint64_t	inserts_ok;
	uint64_t	inserts_retried;
	uint64_t	inserts_split;
	uint64_t	probes_landed;
	uint64_t	windows_ok;
	uint64_t	windows_failed;	/* their partitions read again */
	uint64_t	flush_reason[BATCH_NDECISIONS];
	uint64_t	last_landed_us;	/* monotonic; 0 before the first */
};

/*
 * Per partition: the resume check.  After an assignment the first message
 * tells where consumption starts; until ClickHouse said which offsets from
 * there already landed (rows of a previous run whose offsets were never
 * committed), the partition's messages are held, then replayed with those
 * offsets skipped.  The partitions whose first message came in the same
 * poll, or while the previous round was out, share one query (a check,
 * numbered from 1).
 */
enum sink_part_state {
	SINK_PART_UNASSIGNED,
	SINK_PART_UNCHECKED,	/* assigned, no message yet */
	SINK_PART_CHECKING,	/* query out or due; messages held */
	SINK_PART_READY
};

struct sink_part {
	enum sink_part_state	 state;
	uint32_t		 gen;		/* bumped on every assignment */
	int64_t			 from;		/* first offset consumed */
	int64_t			*landed;	/* sorted offsets to skip */
	size_t			 nlanded;
	size_t			 next_landed;	/* first not yet passed */
	struct buf		 held;		/* messages while CHECKING */
	uint64_t		 check;		/* the check out for it; 0: none */
	uint64_t		 retry_at_us;
	unsigned		 failures;
	bool			 at_end;		/* read to its end, nothing since */
};

/*
 * The body and row table of the last insert that was done with, kept for
 * the next batch: megabytes that the system would otherwise map and fault
 * in again for every batch (malloc gives them back at free; see main.c).
 */
struct sink_spare {
	struct buf		 body;		/* len 0 */
	struct sink_row		*rows;
	uint32_t		 cap_rows;
};

/*
 * The steady inflow: messages and their bytes read while the last ticks
 * batch closed by its delay was open, and for how long (sink_read_by
 * plans with it).  span_us 0: none known (no such batch yet, or the last
 * ticks batch closed full or at a backlog's end).
 */
struct sink_inflow {
	uint64_t	bytes_total;	/* of every message read */
	uint64_t	msgs_at_open;	/* stats.messages and bytes_total */
	uint64_t	bytes_at_open;	/* when the open ticks batch opened */
	uint64_t	span_us;
	uint64_t	msgs;
	uint64_t	bytes;
};

struct sink {
	struct sink_conf	 conf;
	struct decoder		*decoder;
	struct offsets		*offsets;
	struct sink_insert	*open[2];	/* per table; NULL if none */
	struct sink_insert_list	 queue;
	struct sink_insert_list	 all;		/* owned, in any state */
	struct sink_window	*window;	/* taking batches; or NULL */
	struct sink_window_list	 windows;	/* every window in flight */
	uint64_t		 windows_after;	/* messages; none before */
	struct sink_spare	 spare;
	struct sink_inflow	 inflow;
	struct sink_part	*parts;		/* indexed by partition id */
	size_t			 nparts;
	unsigned		 ninflight;
	size_t			 bytes;		/* bodies, rows, held messages */
	bool			 paused;
	bool			 draining;
	uint64_t		 next_id;
	uint64_t		 next_check;
	uint64_t		 rng;
	struct sink_action	*actions;	/* FIFO actions[ahead..atail) */
	size_t			 ahead;
	size_t			 atail;
	size_t			 acap;
	struct sink_stats	 stats;
};

struct conf;
void		 sink_conf_init(struct sink_conf *, const struct conf *,
		     enum schema_dialect, uint64_t);
/* Returns allocated; free with sink_free. conf strings are borrowed. */
struct sink	*sink_new(const struct sink_conf *);
void		 sink_free(struct sink *);

void		 sink_assign(struct sink *, int32_t);
void		 sink_revoke(struct sink *, int32_t);
void		 sink_message(struct sink *, const struct sink_msg *,
		     uint64_t, int64_t);
void		 sink_tick(struct sink *, uint64_t);
void		 sink_polled(struct sink *, uint64_t);
void		 sink_caught_up(struct sink *, int32_t, uint64_t);
void		 sink_insert_done(struct sink *, struct sink_insert *,
		     const struct insert_response *, uint64_t, int64_t);
void		 sink_drain(struct sink *, uint64_t);
void		 sink_landed_answer(struct sink *, uint64_t, const char *,
		     size_t, uint64_t, int64_t);
void		 sink_landed_failed(struct sink *, uint64_t, uint64_t);
/* A resume check's SQL; NULL if no partition waits for it. Allocated. */
char		*sink_landed_sql(const struct sink *, uint64_t, const char *,
		     const char *const[2]);
void		 sink_probe_done(struct sink *, struct sink_insert *,
		     enum sink_probe_result, uint64_t);
void		 sink_probe_answer(struct sink *, struct sink_insert *,
		     const char *, size_t, uint64_t);
/* The probe's SQL for ins in table db.name; returns allocated. */
char		*sink_probe_sql(const struct sink_insert *,
		     enum schema_dialect, const char *, const char *,
		     const char *);
void		 sink_token(const struct sink_insert *, char *, size_t);
size_t		 sink_window_read(struct sink *, struct sink_window *, void *,
		     size_t, uint64_t, bool *);
void		 sink_window_done(struct sink *, struct sink_window *,
		     const struct insert_response *, uint64_t);

bool		 sink_next_action(struct sink *, struct sink_action *);
uint64_t	 sink_next_deadline(const struct sink *);
uint64_t	 sink_read_by(const struct sink *, uint64_t, uint64_t, uint64_t);
bool		 sink_is_idle(const struct sink *);
bool		 sink_saturated(const struct sink *);
bool		 sink_windowing(const struct sink *);
size_t		 sink_buffered_bytes(const struct sink *);

#endif /* HANDLERS_SINK_H */
