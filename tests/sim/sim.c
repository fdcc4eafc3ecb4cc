/*
 * ticksink: deterministic simulation of the core (DESIGN.md §4).
 *
 * The real sink from handlers/ (struct sink, linked from the core library)
 * is driven by a seeded model of its world, and the model checks the
 * delivery rules of DESIGN.md §3 after every step.  Everything is a function
 * of the seed: no wall clock, no rand(), no addresses in the trace, so a
 * failing seed replays exactly (`sim --seed S -v` prints every event and
 * action, one per line).
 *
 * The world:
 *  - Kafka: 1 to 4 partitions, each a fixed log of up to 256 offsets with
 *    gaps (compaction, transaction markers) and a log start above 0 at
 *    times.  Messages are valid producer ticks, invalid messages of a dozen
 *    kinds (each with the reason the decoder must give), and valid ticks of
 *    a symbol ClickHouse refuses ("server poison").  A consumer group: an
 *    assigned partition is consumed from its committed offset; the stored
 *    offset (the last SINK_ACT_STORE) is committed by an auto-commit timer,
 *    on revocation (half the time) and when the consumer closes; a crash
 *    loses what was stored but not committed.  Rebalances revoke and assign
 *    partitions (eager or cooperative), giving partitions back to the same
 *    process too.  Pause and resume follow the reactor exactly
 *    (reactor/kafka.c): PAUSE and RESUME act on every assigned partition,
 *    RESUME_ONE is ignored while everything is paused, a partition assigned
 *    during a pause starts paused.  Messages arrive in polls of 1 to 4,
 *    now and then with a rebalance callback among them, and at times in
 *    runs of polls with nothing else between (a backlog).  The sink's
 *    actions are checked as it makes them and carried out after the poll,
 *    as kafka_serve() and loop_apply() do, so an action can meet a
 *    rebalance that came after it.
 *  - ClickHouse: two tables holding (partition, offset) rows.  An insert is
 *    answered 200 (its rows land at a random time before the answer), or
 *    fails with 503, 502, a retryable 500, a network error, a timeout with
 *    nothing inserted, or a timeout AFTER the rows landed; a ticks body
 *    holding a poison tick is answered 500 "Code: 27" and nothing lands.
 *    Answers are fast or slow (virtual time).  Outages fail everything for
 *    up to two minutes.  In half of the seeds (odd ones) the server has
 *    insert_deduplication_token: a token among the last SIM_WINDOW of a
 *    table drops the insert but answers 200.  Probes and resume checks are
 *    answered from the tables, and fail in outages too.
 *  - Windows, in half the seeds (window_rows 1 to 60): a streamed insert
 *    whose body curl reads in pieces of random size after each round of
 *    actions, until the sink makes it wait or ends it.  Out of health a
 *    read may fail the request (nothing lands); a body read to its end
 *    gets an insert's fate (a poison tick in it fails it whole; a timeout
 *    may come after it landed; a crash after its end does not stop it
 *    landing).  The sink's seeks move consumption back, and partitions
 *    read to their end say so (sink_caught_up) now and then.
 *  - The process: crash at any step, even between two actions of one batch
 *    (sink_free without drain; answers are lost, but an insert the server
 *    has will still land), restart after a downtime (new sink, partitions
 *    assigned again, consumption from the COMMITTED offsets), SIGTERM (the
 *    reactor's drain: drain_next() from handlers/drain.c, pause, sink_drain,
 *    wait for sink_is_idle, the closing consumer commits), a second signal
 *    or an expired drain deadline (exit without the final commit), and a
 *    virtual clock (sink_tick at sink_next_deadline, and at random times).
 *
 * A dead process's inserts: in the seeds with bit 1 clear (1, 4, 5, 8, 9...)
 * the restart waits until every insert of the dead process has landed or
 * failed, and exactly-once is required.  In the other half they complete
 * at random later times, after the new process's resume check perhaps: a race
 * that only the server could close (the dead process cannot be asked); a row
 * that lands twice is allowed only when it was landed by a dead process
 * after a newer process's resume check of its partition had been answered.
 * Such rows are counted and printed; any other duplicate is a failure.
 *
 * Invariants, after every step (most of them at every action):
 *  - no commit ahead of landed data: a STORE offset, and so every committed
 *    offset, is at most the first offset of its partition's log that is in
 *    neither table;
 *  - a seek is for an assigned partition and never past its first message
 *    that did not land (else that message would be lost);
 *  - a STORE is for an assigned partition, grows, and is not beyond what
 *    was consumed; a commit never goes back unless a store made for an
 *    earlier assignment was carried out after a rebalance;
 *  - a resume check is for an assigned partition, from the offset where its
 *    consumption started;
 *  - every row of every insert sent is well-formed, carries the content of
 *    its message (tick fields, or reject reason, raw bytes and size), and
 *    belongs to a partition assigned now and consumed since its assignment;
 *    the sink's row table agrees with the body; at most max_inflight
 *    inserts and probes are out; a retry with as many rows is
 *    byte-identical; a probe follows only an answer that left the outcome
 *    open;
 *  - no row lands twice (outside the race above);
 *  - liveness: a partition paused on its own (PAUSE_ONE) while the whole
 *    assignment is not paused has its resume check under way, which will
 *    resume it;
 *  - memory: sink_buffered_bytes <= max_buffer_bytes + slack (sim_slack());
 *  - after sink_tick(now), sink_next_deadline() is later than now (no busy
 *    loop);
 *  - a drain that began, once ClickHouse is up, finishes within a bound.
 * At the end (a last crash or drain, a restart with every partition, all
 * consumed, drained with ClickHouse answering everything; once more if a
 * window failed in that drain, see sim_final): each valid tick
 * is in the ticks table exactly once, each invalid message in the rejects
 * table exactly once with its reason, each server-poison tick in rejects as
 * server_rejected exactly once, nothing else; the committed offset of every
 * partition is its log end; the drain finished.
 *
 * Failures caused by core bugs found and not yet fixed are told apart (see
 * enum sim_bug) and, with --allow-known, allowed.
 */

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drain.h"
#include "insert.h"
#include "log.h"
#include "rowenc.h"
#include "native.h"
#include "sink.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

#define SIM_MAXPARTS	4
#define SIM_MAXLOG	256
#define SIM_WINDOW	100		/* dedup tokens kept per table */
#define SIM_TOKEN_MAX	64
#define SIM_BURST_MAX	4		/* messages per poll */
#define SIM_MSG_MAX	512		/* decode max_message_bytes */
#define SIM_BIG_MSG	600		/* the too_large message */
#define SIM_HELD_HDR	21		/* sink.c: held message header */

#define SIM_MS		UINT64_C(1000)
#define SIM_S		UINT64_C(1000000)
#define SIM_T0		(1000 * SIM_S)		/* monotonic clock at start */
#define SIM_WALL0	INT64_C(1757685800000)	/* 2025-09-12T14:03:20Z */
#define SIM_KAFKA_TS0	INT64_C(1757685781000)
#define SIM_TICK_MS	INT64_C(1757685781123)
#define SIM_RECV_MS	INT64_C(1757685781187)
#define SIM_LAT_MAX	(20 * SIM_MS)		/* a normal answer */
#define SIM_SLOW_MAX	(3 * SIM_S)		/* a slow one */
#define SIM_TIMEOUT	(10 * SIM_S)		/* client timeout */
#define SIM_BACKOFF_CAP	(30 * SIM_S)		/* insert.c */
#define SIM_OUTAGE_MAX	(120 * SIM_S)
#define SIM_DRAIN_DEFAULT (20 * SIM_S)		/* conf.c drain_timeout_ms */

#define SIM_DEFAULT_SEEDS	10000
#define SIM_DEFAULT_STEPS	2500

#define SIM_TOPIC		"price_ticks"
#define SIM_POISON_SYMBOL	"SIM:POISON"
#define SIM_SERVER_REASON	"server_rejected"

/* A producer tick with the given fields, as tests/check_sink.c sends. */
#define SIM_TICK(sym, price, vol, ts, tsms, recv)			\
	"{\"timestamp\": \"" ts "\", \"timestamp_ms\": " tsms ", "	\
	"\"symbol\": \"" sym "\", \"price\": " price ", \"volume\": "	\
	vol ", \"received_at\": \"" recv "\"}"
#define SIM_TS		"2025-09-12T14:03:01.123000+00:00"
#define SIM_TSMS	"1757685781123"
#define SIM_RECV	"2025-09-12T14:03:01.187654+00:00"

/* What one offset of a log holds. */
enum sim_kind {
	SIM_GAP,		/* no message at this offset */
	SIM_VALID,		/* a tick */
	SIM_POISON,		/* a tick the server refuses */
	SIM_INVALID		/* fails validation */
};

/* The answer an insert, probe or query gets. */
enum sim_answer {
	SIM_ANS_200,
	SIM_ANS_POISON,		/* 500 Code: 27 */
	SIM_ANS_503,
	SIM_ANS_502,
	SIM_ANS_500,		/* 500 Code: 241, retryable */
	SIM_ANS_TIMEOUT,
	SIM_ANS_NETERR,
	SIM_ANS_GARBAGE		/* 200 with a body that is no answer */
};

enum sim_op_kind {
	SIM_OP_INSERT,
	SIM_OP_PROBE,
	SIM_OP_QUERY,
	SIM_OP_WINDOW		/* a streamed insert of batches */
};

/* Why the process is about to end. */
enum sim_death {
	SIM_LIVE,
	SIM_CRASH,
	SIM_EXIT,		/* drain done */
	SIM_EXPIRED		/* drain deadline passed */
};

/* Kinds of timed events. */
enum sim_event {
	SIM_EV_NONE,
	SIM_EV_LAND,
	SIM_EV_ANSWER,
	SIM_EV_SINK,
	SIM_EV_COMMIT,
	SIM_EV_OUTAGE_END,
	SIM_EV_HEAL,
	SIM_EV_DRAIN_DEADLINE
};

/* An invalid message and the reason the decoder must give. */
struct sim_invalid {
	const char	*payload;	/* NULL: see special */
	int		 special;	/* 1 tombstone, 2 too large */
	const char	*reason;
};

static const struct sim_invalid sim_invalids[] = {
	{ "not json", 0, "bad_json" },
	{ NULL, 1, "empty" },
	{ "", 0, "empty" },
	{ "[1, 2]", 0, "not_object" },
	{ "{}", 0, "missing_field" },
	{ "{\"symbol\": \"\xff\xfe\"}", 0, "bad_json" },
	{ NULL, 2, "too_large" },
	{ SIM_TICK("BINANCE:ETHUSDT", "0", "0.5", SIM_TS, SIM_TSMS, SIM_RECV),
	    0, "bad_price" },
	{ SIM_TICK("BINANCE:ETHUSDT", "1.5", "-1", SIM_TS, SIM_TSMS, SIM_RECV),
	    0, "bad_volume" },
	{ SIM_TICK("", "1.5", "1", SIM_TS, SIM_TSMS, SIM_RECV), 0,
	    "bad_symbol" },
	{ SIM_TICK("BINANCE:ETHUSDT", "\"1.5\"", "1", SIM_TS, SIM_TSMS,
	    SIM_RECV), 0, "wrong_type" },
	{ "{\"symbol\": \"A\", \"symbol\": \"B\"}", 0, "duplicate_field" },
	{ SIM_TICK("BINANCE:ETHUSDT", "1.5", "1", SIM_TS, "1757685781999",
	    SIM_RECV), 0, "time_mismatch" },
	{ SIM_TICK("BINANCE:ETHUSDT", "1.5", "1",
	    "2001-01-01T00:00:00.000000+00:00", "978307200000", SIM_RECV), 0,
	    "time_out_of_range" },
	{ SIM_TICK("BINANCE:ETHUSDT", "1.5", "1", SIM_TS, SIM_TSMS,
	    "2025-09-12T13:00:00+00:00"), 0, "received_before_trade" },
};

static const char *sim_symbols[] = {
	"BINANCE:ETHUSDT", "BINANCE:BTCUSDT", "X", "OANDA:EUR_USD",
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_",
};

/* The same instant in two offsets: the decoder normalises to UTC. */
static const char *sim_times[][2] = {
	{ SIM_TS, SIM_RECV },
	{ "2025-09-12T16:03:01.123+02:00", "2025-09-12T09:03:01.187654-05:00" },
};

static const char *sim_answer_names[] = {
	"200", "500 code 27", "503", "502", "500 code 241", "timeout",
	"network error", "200 garbage"
};

static const char *sim_kind_names[] = { "gap", "valid", "poison", "invalid" };

/*
 * Core bugs this simulation found, reported to the core's owner and not yet
 * fixed (handlers/ is not ours to change).  A failure is put down to one
 * only when the model saw that bug's cause happen first, in the same seed:
 * under --allow-known such a seed is listed and counted, and anything else
 * still fails.  Drop --allow-known from meson.build once they are fixed.
 */
enum sim_bug {
	SIM_BUG_NONE,
	SIM_BUG_REJECT_REVOKED,	/* server reject of a row no longer ours */
	SIM_BUG_STALE_PAUSE,	/* PAUSE_ONE of an older assignment */
	SIM_BUG_STALE_ANSWER,	/* resume check answer of an older one */
	SIM_BUG_PROBE_ROW0,	/* probe asks about the first row only */
	SIM_BUG_RESUME_CHECKING, /* RESUME resumes a partition held back */
	SIM_NBUGS
};

static const char *sim_bug_names[] = {
	"none",
	"sink_server_reject sends a reject row of a partition revoked while "
	    "its insert was out",
	"a PAUSE_ONE made before a revocation pauses the partition's next "
	    "assignment for good",
	"a resume check answer for an earlier assignment is taken by the "
	    "current one",
	"a probe asks about rows[0] only; a row landed by a dead process "
	    "makes a whole insert count as landed",
	"RESUME resumes partitions paused for their resume check, and held "
	    "messages do not count towards the pause",
};

/* Fault rates, per mille of requests. */
struct sim_faults {
	unsigned	neterr;
	unsigned	e503;
	unsigned	e502;
	unsigned	e500;
	unsigned	timeout_before;
	unsigned	timeout_after;
	unsigned	slow;
	unsigned	query_fail;
	unsigned	commit_fail;
	unsigned	crash_mid;	/* crash between two actions */
};

/* Step weights, per mille. */
struct sim_weights {
	unsigned	consume;
	unsigned	clock;
	unsigned	tick;
	unsigned	rebalance;
	unsigned	outage;
	unsigned	commit;
	unsigned	crash;
	unsigned	term;
};

/* One partition's log. */
struct sim_log {
	int64_t		start;		/* first offset that may exist */
	int64_t		end;		/* last existing + 1 */
	uint8_t		kind[SIM_MAXLOG];
	uint8_t		cls[SIM_MAXLOG];	/* sim_invalids index */
};

/* The consumer's view of one partition. */
struct sim_kpart {
	bool		assigned;
	bool		paused;
	int64_t		position;	/* next offset to fetch */
	int64_t		first;		/* first delivered since assign; -1 */
	int64_t		stored;		/* librdkafka's stored offset; -1 */
	int64_t		own_stored;	/* last STORE made since assign */
	bool		stale;		/* stored came from an older one */
	bool		stale_pause;	/* paused by an older assignment's */
	int64_t		committed;	/* the group's; -1 none */
	uint32_t	epoch;		/* assignments so far */
	uint32_t	delivered[SIM_MAXLOG];	/* epoch of last delivery */
};

/* What the tables hold for one partition. */
struct sim_tpart {
	uint16_t	ticks[SIM_MAXLOG];
	uint16_t	rejects[SIM_MAXLOG];
	bool		race[SIM_MAXLOG];	/* may land twice */
	bool		probe_lost[SIM_MAXLOG];	/* probe said landed; was not */
	bool		reject_revoked[SIM_MAXLOG]; /* poisoned after revoke */
	bool		stale_answer;	/* an older check's answer taken */
	unsigned	checked_by;	/* last process whose check answered */
	int64_t		prefix;		/* first existing offset not landed */
};

/* A row of an insert body, as the server reads it. */
struct sim_row {
	int32_t		 p;
	int64_t		 o;
	size_t		 end;
	int64_t		 ts_ms;
	int64_t		 recv_ms;
	char		 symbol[TICK_SYMBOL_MAX + 1];
	double		 price;
	double		 volume;
	char		 topic[32];
	char		 reason[32];
	char		 detail[300];
	const uint8_t	*raw;
	size_t		 raw_len;
	uint32_t	 raw_size;
	int64_t		 kafka_ts;
};

/* Where one row of an insert is from. */
struct sim_rowid {
	int32_t		p;
	int64_t		o;
};

/* A request the server has: an insert, a probe or a resume check. */
struct sim_op {
	uint64_t		 seq;
	enum sim_op_kind	 kind;
	unsigned		 proc;
	uint32_t		 epoch;		/* of row 0's or the query's */
	bool			 dead;		/* its process is gone */
	struct sink_insert	*ins;		/* live process only */
	uint64_t		 ins_id;
	enum schema_table	 table;
	int32_t			 partition;	/* probe: row 0 */
	int64_t			 offset;
	uint64_t		 check;		/* resume check: its id, */
	bool			 qpart[SIM_MAXPARTS];	/* partitions, */
	int64_t			 qfrom[SIM_MAXPARTS];	/* from, */
	uint32_t		 qepoch[SIM_MAXPARTS];	/* assignment */
	struct sim_rowid	*rows;		/* insert */
	uint32_t		 nrows;
	char			 token[SIM_TOKEN_MAX];
	bool			 lands;
	uint64_t		 land_us;	/* UINT64_MAX: not (any more) */
	enum sim_answer		 answer;
	uint64_t		 answer_us;	/* UINT64_MAX: not (any more) */
	struct sink_window	*w;		/* window, live process only */
	uint8_t			*body;		/* window: read so far */
	size_t			 len;
	size_t			 cap;
	bool			 ended;		/* window: read to its end */
	bool			 broken;	/* window: failed while read */
};

/* An action taken from the sink, waiting to be carried out. */
struct sim_pend {
	struct sink_action	 a;
	uint32_t		 epoch;		/* of a.partition, when made */
	int32_t			 probe_p;	/* probe: the row asked about */
	int64_t			 probe_o;
	struct sim_rowid	*rows;		/* insert: its rows */
	uint32_t		 nrows;
	bool			 poison;	/* insert: has a poison tick */
	char			 token[SIM_TOKEN_MAX];
};

/* What the live process sent of one insert id. */
struct sim_sent {
	bool		sent;
	uint32_t	nrows;
	uint64_t	hash;
	bool		open;		/* last answer left the outcome open */
};

struct sim_stats {
	uint64_t	steps;
	uint64_t	messages;
	uint64_t	inserts;
	uint64_t	probes;
	uint64_t	queries;
	uint64_t	crashes;
	uint64_t	restarts;
	uint64_t	rebalances;
	uint64_t	outages;
	uint64_t	drains;
	uint64_t	drains_expired;
	uint64_t	drains_over_default;	/* healthy, yet > 20 s */
	uint64_t	deduped;
	uint64_t	race_rows;		/* landed late by the dead */
	uint64_t	duplicates;		/* allowed, at the end */
	uint64_t	server_rejects;
	uint64_t	splits;
	uint64_t	windows;		/* streamed inserts started */
	uint64_t	windows_landed;		/* answered 200 */
	uint64_t	windows_failed;		/* failed: read again */
	uint64_t	seeks;
	uint64_t	stale_stores;		/* made before a revocation */
	uint64_t	commits_back;		/* because of those */
	uint64_t	max_drain_us;		/* after ClickHouse was up */
	int64_t		max_over;		/* bytes above the bound */
	uint64_t	known[SIM_NBUGS];	/* seeds put down to each */
};

/* Everything one seeded run knows. */
struct sim {
	uint64_t		 seed;
	int			 steps;
	bool			 verbose;
	bool			 allow_known;
	enum sim_bug		 bug;		/* the failure's known cause */
	uint64_t		 rng;
	int			 step;		/* -1: the final phase */
	uint64_t		 now;

	struct sink_conf	 conf;
	int32_t			 nparts;
	bool			 dedup;
	bool			 race;
	struct sim_faults	 f;
	struct sim_weights	 w;
	unsigned		 burst_max;
	uint64_t		 commit_every;
	uint64_t		 drain_timeout;
	size_t			 slack;

	struct sim_log		 log[SIM_MAXPARTS];
	struct sim_kpart	 kp[SIM_MAXPARTS];
	uint64_t		 next_commit;

	struct sink		*sk;
	unsigned		 proc;
	bool			 alive;
	enum sim_death		 die;
	uint64_t		 down_until;
	bool			 gpaused;	/* reactor's kafka_paused */
	bool			 sink_paused;	/* last of PAUSE/RESUME */
	bool			 resumed_checking; /* RESUME met one checking */
	unsigned		 ninflight;
	struct sim_pend		*pend;
	size_t			 npend;
	size_t			 cappend;
	struct sim_sent		*sent;
	size_t			 nsent;
	enum drain_state	 drain;
	bool			 drain_requested;
	bool			 window_lost_in_drain; /* left to a restart */
	bool			 in_drain_step;
	bool			 consumer_closed;
	bool			 drain_done;
	uint64_t		 drain_start;
	uint64_t		 drain_deadline;
	uint64_t		 heal_at;
	uint64_t		 drain_bound;	/* 0 until healed */

	struct sim_tpart	 tab[SIM_MAXPARTS];
	bool			 outage;
	uint64_t		 outage_end;
	bool			 healthy;	/* no faults */
	struct sim_op		**ops;
	size_t			 nops;
	size_t			 capops;
	uint64_t		 next_seq;
	char			 tokens[2][SIM_WINDOW][SIM_TOKEN_MAX];
	size_t			 ntokens[2];

	struct sim_row		*rows;
	size_t			 caprows;
	char			*text;
	size_t			 textcap;

	struct sim_stats	 st;
};

static jmp_buf		 sim_jmp;
static volatile uint64_t sim_cur_seed;
static volatile int	 sim_in_seed;
static int		 sim_steps_arg = SIM_DEFAULT_STEPS;
static uint64_t		 sim_log_now;	/* virtual clock for log lines */
static unsigned		 sim_known_shown[SIM_NBUGS];

static uint64_t	sim_rand(struct sim *);
static uint32_t	sim_below(struct sim *, uint32_t);
static bool	sim_chance(struct sim *, unsigned);
static uint64_t	sim_hash(uint64_t, int32_t, int64_t, uint64_t);
static void	sim_trace(struct sim *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	sim_fail(struct sim *, const char *, ...)
		    __attribute__((format(printf, 2, 3), noreturn));
static const char *sim_rows_text(struct sim *, const struct sim_op *);
static void	sim_apply(struct sim *);
static void	sim_check_seek(struct sim *, int32_t, int64_t);
static void	sim_drain_step(struct sim *);
static void	sim_settle(struct sim *);

/* xorshift64*: the model's generator. */
static uint64_t
sim_rand(struct sim *m)
{
	m->rng ^= m->rng >> 12;
	m->rng ^= m->rng << 25;
	m->rng ^= m->rng >> 27;
	return (m->rng * 0x2545f4914f6cdd1dULL);
}

/* A value in [0, n); 0 when n is 0. */
static uint32_t
sim_below(struct sim *m, uint32_t n)
{
	return (n == 0 ? 0 : (uint32_t)(sim_rand(m) % n));
}

/* True with probability per_mille / 1000. */
static bool
sim_chance(struct sim *m, unsigned per_mille)
{
	return (sim_below(m, 1000) < per_mille);
}

/* A value in [lo, hi]. */
static uint64_t
sim_range(struct sim *m, uint64_t lo, uint64_t hi)
{
	return (lo + sim_rand(m) % (hi - lo + 1));
}

/* A hash of (seed, partition, offset, salt): the logs are fixed. */
static uint64_t
sim_hash(uint64_t seed, int32_t p, int64_t o, uint64_t salt)
{
	uint64_t	h, up = (uint32_t)p, uo = (uint64_t)o;

	h = seed * 0x9e3779b97f4a7c15ULL + salt * 0xff51afd7ed558ccdULL;
	h ^= up * 0xbf58476d1ce4e5b9ULL;
	h ^= uo * 0x94d049bb133111ebULL;
	h ^= h >> 31;
	h *= 0xd6e8feb96e7a3b1dULL;
	h ^= h >> 29;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 32;
	return (h);
}

/* FNV-1a of bytes. */
static uint64_t
sim_fnv(const uint8_t *p, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	while (len-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

/* The wall clock the sink is given: UTC ms, following the virtual clock. */
static int64_t
sim_wall(const struct sim *m)
{
	return (SIM_WALL0 + (int64_t)((m->now - SIM_T0) / SIM_MS));
}

/* The logger's clock (log_open): the virtual one, so lines replay too. */
static int64_t
sim_log_wall_ms(void)
{
	return (SIM_WALL0 + (int64_t)((sim_log_now - SIM_T0) / SIM_MS));
}

/* One trace line, under -v: virtual time, process, text. */
static void
sim_trace(struct sim *m, const char *fmt, ...)
{
	va_list		ap;
	uint64_t	t = m->now - SIM_T0;

	if (!m->verbose)
		return;
	printf("%5llu.%06llu P%u ", (unsigned long long)(t / SIM_S),
	    (unsigned long long)(t % SIM_S), m->proc);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* An invariant does not hold: say which, where, and how to replay it. */
static void
sim_fail(struct sim *m, const char *fmt, ...)
{
	va_list	ap;
	char	step[32];

	fflush(stdout);
	/* Allowed known bugs: the first few seeds of each in full. */
	if (m->bug != SIM_BUG_NONE && m->allow_known &&
	    sim_known_shown[m->bug]++ >= 3)
		longjmp(sim_jmp, 2);
	if (m->step >= 0)
		snprintf(step, sizeof step, "step %d", m->step);
	else
		snprintf(step, sizeof step, "final phase");
	fprintf(stderr, "sim: %s seed %llu, %s, t=%llu us, process %u: ",
	    m->bug != SIM_BUG_NONE && m->allow_known ? "KNOWN BUG in" : "FAIL",
	    (unsigned long long)m->seed, step,
	    (unsigned long long)(m->now - SIM_T0), m->proc);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (m->bug != SIM_BUG_NONE)
		fprintf(stderr, "\nsim: known core bug %d: %s", (int)m->bug,
		    sim_bug_names[m->bug]);
	fprintf(stderr, "\nsim: replay: build/tests/sim/sim --seed %llu",
	    (unsigned long long)m->seed);
	if (m->steps != SIM_DEFAULT_STEPS)
		fprintf(stderr, " --steps %d", m->steps);
	fprintf(stderr, " -v\n");
	longjmp(sim_jmp, m->bug != SIM_BUG_NONE && m->allow_known ? 2 : 1);
}

/* Put the failure about to be reported down to bug b if cond holds. */
static void
sim_known(struct sim *m, bool cond, enum sim_bug b)
{
	if (cond && m->bug == SIM_BUG_NONE)
		m->bug = b;
}

/* Reports the seed if the core ends the process (fatalx) in a run. */
static void
sim_atexit(void)
{
	if (sim_in_seed)
		fprintf(stderr, "sim: exited inside seed %llu (a fatal error "
		    "in the core?); replay: build/tests/sim/sim --seed %llu "
		    "-v\n",
		    (unsigned long long)sim_cur_seed,
		    (unsigned long long)sim_cur_seed);
}

/* SIGSEGV, SIGABRT...: name the seed, then die of the signal. */
static void
sim_signal(int sig)
{
	char		 buf[160];
	int		 n;

	n = snprintf(buf, sizeof buf, "sim: signal %d inside seed %llu; "
	    "replay: build/tests/sim/sim --seed %llu -v\n", sig,
	    (unsigned long long)sim_cur_seed,
	    (unsigned long long)sim_cur_seed);
	if (n > 0)
		(void)write(STDERR_FILENO, buf, (size_t)n);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* --- the logs -------------------------------------------------------- */

/* The symbol, price and volume text of the valid tick at p@o. */
static void
sim_tick_fields(const struct sim *m, int32_t p, int64_t o, const char **sym,
    char *price, char *volume, int *tz)
{
	uint64_t	h = sim_hash(m->seed, p, o, 3);

	if (m->log[p].kind[o] == SIM_POISON)
		*sym = SIM_POISON_SYMBOL;
	else
		*sym = sim_symbols[h % nitems(sim_symbols)];
	snprintf(price, 32, "%u.%02u", (unsigned)(1 + (h >> 8) % 100000),
	    (unsigned)((h >> 32) % 100));
	snprintf(volume, 32, "0.%04u", (unsigned)((h >> 40) % 10000));
	*tz = (int)((h >> 56) % 2);
}

/*
 * The message at p@o, the same bytes every time it is delivered.  Returns
 * the payload (NULL for a tombstone) and its length.
 */
static const char *
sim_payload(const struct sim *m, int32_t p, int64_t o, char *buf,
    size_t size, size_t *len)
{
	const struct sim_invalid	*iv;
	const char			*sym;
	char				 price[32], volume[32];
	int				 tz, n;

	if (m->log[p].kind[o] == SIM_INVALID) {
		iv = &sim_invalids[m->log[p].cls[o]];
		if (iv->special == 1) {
			*len = 0;
			return (NULL);
		}
		if (iv->special == 2) {
			n = snprintf(buf, size, "{\"symbol\": \"");
			while ((size_t)n < SIM_BIG_MSG - 2)
				buf[n++] = 'A' + (char)(o % 26);
			buf[n++] = '"';
			buf[n++] = '}';
			buf[n] = '\0';
			*len = (size_t)n;
			return (buf);
		}
		*len = strlen(iv->payload);
		return (iv->payload);
	}
	sim_tick_fields(m, p, o, &sym, price, volume, &tz);
	n = snprintf(buf, size, "{\"timestamp\": \"%s\", \"timestamp_ms\": "
	    SIM_TSMS ", \"symbol\": \"%s\", \"price\": %s, \"volume\": %s, "
	    "\"received_at\": \"%s\"}", sim_times[tz][0], sym, price, volume,
	    sim_times[tz][1]);
	*len = (size_t)n;
	return (buf);
}

/* Draw every partition's log from the seed. */
static void
sim_make_logs(struct sim *m, unsigned gaps, unsigned invalid,
    unsigned poison)
{
	struct sim_log	*l;
	int32_t		 p;
	int64_t		 o, len;
	uint64_t	 h;

	for (p = 0; p < m->nparts; p++) {
		l = &m->log[p];
		l->start = sim_chance(m, 200) ? sim_below(m, 6) : 0;
		len = 1 + sim_below(m, sim_chance(m, 100) ? 8 :
		    SIM_MAXLOG - 8);
		l->end = l->start + len;
		for (o = 0; o < SIM_MAXLOG; o++) {
			h = sim_hash(m->seed, p, o, 1);
			if (o < l->start || o >= l->end)
				l->kind[o] = SIM_GAP;
			else if (h % 1000 < gaps && o != l->end - 1)
				l->kind[o] = SIM_GAP;
			else if ((h >> 10) % 1000 < invalid) {
				l->kind[o] = SIM_INVALID;
				l->cls[o] = (uint8_t)((h >> 20) %
				    nitems(sim_invalids));
			} else if ((h >> 30) % 1000 < poison)
				l->kind[o] = SIM_POISON;
			else
				l->kind[o] = SIM_VALID;
		}
	}
}

/* --- ClickHouse: the server's view of a body ------------------------- */

/* A reader over a body. */
struct sim_rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 i;
	bool		 bad;
};

/* n little-endian bytes. */
static uint64_t
sim_rd_le(struct sim_rd *r, int n)
{
	uint64_t	v;

	if (r->bad || r->len - r->i < (size_t)n) {
		r->bad = true;
		return (0);
	}
	v = rowenc_le(r->p + r->i, n);
	r->i += (size_t)n;
	return (v);
}

/* A RowBinary String: LEB128 length, bytes. */
static const uint8_t *
sim_rd_str(struct sim_rd *r, size_t *n)
{
	uint64_t	 v = 0;
	int		 shift = 0;
	const uint8_t	*s;

	for (;;) {
		if (r->bad || r->i >= r->len || shift > 56) {
			r->bad = true;
			*n = 0;
			return (NULL);
		}
		v |= (uint64_t)(r->p[r->i] & 0x7f) << shift;
		shift += 7;
		if ((r->p[r->i++] & 0x80) == 0)
			break;
	}
	if (v > r->len - r->i) {
		r->bad = true;
		*n = 0;
		return (NULL);
	}
	s = r->p + r->i;
	r->i += (size_t)v;
	*n = (size_t)v;
	return (s);
}

/* A string column into a NUL-terminated buffer (cut to size). */
static void
sim_rd_cstr(struct sim_rd *r, char *out, size_t size)
{
	const uint8_t	*s;
	size_t		 n;

	s = sim_rd_str(r, &n);
	if (n >= size)
		n = size - 1;
	if (s != NULL)
		memcpy(out, s, n);
	out[n] = '\0';
}

/* A time column: DateTime64(3), or on LEGACY DateTime and its ms twin. */
static int64_t
sim_rd_time(struct sim_rd *r, enum schema_dialect d)
{
	uint32_t	secs;
	int64_t		ms;

	if (d == SCHEMA_CURRENT)
		return ((int64_t)sim_rd_le(r, 8));
	secs = (uint32_t)sim_rd_le(r, 4);
	ms = (int64_t)sim_rd_le(r, 8);
	if (!r->bad && (int64_t)secs != ms / 1000)
		r->bad = true;
	return (ms);
}

/*
 * Read a body the way the server would: every row of table t in the
 * column order of schema_insert_sql().  Returns the row count, or -1 when
 * the body is not a whole number of rows.
 */
static long
sim_parse_body(struct sim *m, enum schema_table t, const uint8_t *body,
    size_t len)
{
	struct sim_rd	 r = { body, len, 0, false };
	struct sim_row	*row;
	enum schema_dialect d = m->conf.dialect;
	const uint8_t	*s;
	uint64_t	 v;
	size_t		 n, cnt = 0;

	while (r.i < len) {
		if (cnt == m->caprows) {
			m->caprows = m->caprows == 0 ? 64 : m->caprows * 2;
			m->rows = realloc(m->rows,
			    m->caprows * sizeof *m->rows);
			if (m->rows == NULL)
				abort();
		}
		row = &m->rows[cnt];
		memset(row, 0, sizeof *row);
		if (t == SCHEMA_TICKS) {
			if (d == SCHEMA_CURRENT)
				(void)sim_rd_le(&r, 8);
			else
				(void)sim_rd_le(&r, 4);
			row->ts_ms = (int64_t)sim_rd_le(&r, 8);
			s = sim_rd_str(&r, &n);
			if (n > TICK_SYMBOL_MAX)
				return (-1);
			if (s != NULL)
				memcpy(row->symbol, s, n);
			row->symbol[n] = '\0';
			v = sim_rd_le(&r, 8);
			memcpy(&row->price, &v, 8);
			v = sim_rd_le(&r, 8);
			memcpy(&row->volume, &v, 8);
			row->recv_ms = sim_rd_time(&r, d);
		} else {
			(void)sim_rd_time(&r, d);
			sim_rd_cstr(&r, row->topic, sizeof row->topic);
		}
		row->p = (int32_t)sim_rd_le(&r, 4);
		row->o = (int64_t)sim_rd_le(&r, 8);
		if (t == SCHEMA_REJECTS) {
			row->kafka_ts = (int64_t)sim_rd_le(&r, 8);
			sim_rd_cstr(&r, row->reason, sizeof row->reason);
			sim_rd_cstr(&r, row->detail, sizeof row->detail);
			row->raw = sim_rd_str(&r, &row->raw_len);
			row->raw_size = (uint32_t)sim_rd_le(&r, 4);
		}
		if (r.bad)
			return (-1);
		row->end = r.i;
		cnt++;
	}
	return ((long)cnt);
}

/* Does row r of a ticks body carry exactly the tick of its message? */
static void
sim_check_tick(struct sim *m, const struct sim_row *r)
{
	const char	*sym;
	char		 price[32], volume[32];
	int		 tz;

	sim_tick_fields(m, r->p, r->o, &sym, price, volume, &tz);
	if (strcmp(r->symbol, sym) != 0 || r->price != strtod(price, NULL) ||
	    r->volume != strtod(volume, NULL) || r->ts_ms != SIM_TICK_MS ||
	    r->recv_ms != SIM_RECV_MS)
		sim_fail(m, "tick row p%d@%lld does not carry its message: "
		    "symbol %s price %.17g volume %.17g ts %lld recv %lld",
		    r->p, (long long)r->o, r->symbol, r->price, r->volume,
		    (long long)r->ts_ms, (long long)r->recv_ms);
}

/* Does row r of a rejects body describe its message? */
static void
sim_check_reject(struct sim *m, const struct sim_row *r)
{
	const struct sim_invalid	*iv;
	const char			*payload;
	char				 buf[SIM_BIG_MSG + 64];
	size_t				 len, keep;
	uint8_t				 kind = m->log[r->p].kind[r->o];

	if (strcmp(r->topic, SIM_TOPIC) != 0)
		sim_fail(m, "reject row p%d@%lld: topic '%s'", r->p,
		    (long long)r->o, r->topic);
	if (kind == SIM_POISON) {
		if (strcmp(r->reason, SIM_SERVER_REASON) != 0 ||
		    strncmp(r->detail, "clickhouse code 27", 18) != 0)
			sim_fail(m, "poison tick p%d@%lld rejected as '%s' "
			    "('%s'), not %s", r->p, (long long)r->o,
			    r->reason, r->detail, SIM_SERVER_REASON);
		return;
	}
	if (kind != SIM_INVALID)
		sim_fail(m, "valid tick p%d@%lld sent as a reject '%s' (%s)",
		    r->p, (long long)r->o, r->reason, r->detail);
	iv = &sim_invalids[m->log[r->p].cls[r->o]];
	if (strcmp(r->reason, iv->reason) != 0)
		sim_fail(m, "message p%d@%lld rejected as '%s' (%s), not '%s'",
		    r->p, (long long)r->o, r->reason, r->detail, iv->reason);
	payload = sim_payload(m, r->p, r->o, buf, sizeof buf, &len);
	keep = len < m->conf.reject_raw_max ? len : m->conf.reject_raw_max;
	if (r->raw_size != len || r->raw_len != keep ||
	    (keep > 0 && memcmp(r->raw, payload, keep) != 0) ||
	    r->kafka_ts != SIM_KAFKA_TS0 + r->o)
		sim_fail(m, "reject row p%d@%lld: raw %zu of %u bytes, kafka "
		    "time %lld; expected %zu of %zu, %lld", r->p,
		    (long long)r->o, r->raw_len, r->raw_size,
		    (long long)r->kafka_ts, keep, len,
		    (long long)(SIM_KAFKA_TS0 + r->o));
}

/* --- ClickHouse: the tables ------------------------------------------ */

/* Move p's landed prefix past every existing offset that is in a table. */
static void
sim_advance_prefix(struct sim *m, int32_t p)
{
	struct sim_tpart	*tp = &m->tab[p];
	const struct sim_log	*l = &m->log[p];

	while (tp->prefix < l->end && (l->kind[tp->prefix] == SIM_GAP ||
	    tp->ticks[tp->prefix] + tp->rejects[tp->prefix] > 0))
		tp->prefix++;
}

/* Has the server this token among the table's recent ones? */
static bool
sim_token_seen(const struct sim *m, enum schema_table t, const char *token)
{
	size_t	i, n = m->ntokens[t] < SIM_WINDOW ? m->ntokens[t] : SIM_WINDOW;

	for (i = 0; i < n; i++) {
		if (strcmp(m->tokens[t][i], token) == 0)
			return (true);
	}
	return (false);
}

/* The rows of an insert land (or the token drops them). */
static void
sim_land(struct sim *m, struct sim_op *op)
{
	struct sim_tpart	*tp;
	uint32_t		 i;
	int32_t			 p;
	int64_t			 o;
	uint16_t		*cnt;

	op->land_us = UINT64_MAX;
	if (!op->lands)
		return;
	if (m->dedup && op->kind != SIM_OP_WINDOW) {
		if (sim_token_seen(m, op->table, op->token)) {
			m->st.deduped++;
			sim_trace(m, "server: insert #%llu of P%u dropped by "
			    "its token %s", (unsigned long long)op->ins_id,
			    op->proc, op->token);
			return;
		}
		snprintf(m->tokens[op->table][m->ntokens[op->table]++ %
		    SIM_WINDOW], SIM_TOKEN_MAX, "%s", op->token);
	}
	if (m->verbose)
		sim_trace(m, "server: insert #%llu of P%u%s landed: %u %s rows "
		    "%s", (unsigned long long)op->ins_id, op->proc,
		    op->dead ? " (dead)" : "", op->nrows,
		    op->table == SCHEMA_TICKS ? "ticks" : "rejects",
		    sim_rows_text(m, op));
	for (i = 0; i < op->nrows; i++) {
		p = op->rows[i].p;
		o = op->rows[i].o;
		tp = &m->tab[p];
		if (op->dead && tp->checked_by > op->proc && !tp->race[o]) {
			tp->race[o] = true;
			m->st.race_rows++;
			sim_trace(m, "server: p%d@%lld landed by dead P%u "
			    "after P%u's resume check: may land twice", p,
			    (long long)o, op->proc, tp->checked_by);
		}
		cnt = op->table == SCHEMA_TICKS ? &tp->ticks[o] :
		    &tp->rejects[o];
		(*cnt)++;
		if (tp->ticks[o] + tp->rejects[o] > 1 && !tp->race[o]) {
			sim_known(m, tp->reject_revoked[o],
			    SIM_BUG_REJECT_REVOKED);
			sim_known(m, tp->stale_answer, SIM_BUG_STALE_ANSWER);
			sim_fail(m, "p%d@%lld landed twice (%u ticks, %u "
			    "rejects rows), by insert #%llu of process %u",
			    p, (long long)o, tp->ticks[o], tp->rejects[o],
			    (unsigned long long)op->ins_id, op->proc);
		}
	}
	for (p = 0; p < m->nparts; p++)
		sim_advance_prefix(m, p);
}

/*
 * The answer to resume check op: "p\tN\n" for each row of each of its
 * partitions from where it asked on, table by table, partitions from the
 * last (ClickHouse does not sort a UNION ALL).
 */
static size_t
sim_landed_text(struct sim *m, const struct sim_op *op)
{
	const struct sim_tpart	*tp;
	size_t			 n = 0;
	int64_t			 o;
	int32_t			 p;
	int			 t, k, cnt;

	for (t = 0; t < 2; t++) {
		for (p = m->nparts - 1; p >= 0; p--) {
			if (!op->qpart[p])
				continue;
			tp = &m->tab[p];
			for (o = op->qfrom[p] < 0 ? 0 : op->qfrom[p];
			    o < SIM_MAXLOG; o++) {
				cnt = t == 0 ? tp->ticks[o] : tp->rejects[o];
				for (k = 0; k < cnt; k++) {
					if (m->textcap - n < 40) {
						m->textcap = m->textcap == 0 ?
						    4096 : m->textcap * 2;
						m->text = realloc(m->text,
						    m->textcap);
						if (m->text == NULL)
							abort();
					}
					n += (size_t)snprintf(m->text + n, 40,
					    "%d\t%lld\n", p, (long long)o);
				}
			}
		}
	}
	return (n);
}

/* A request's latency. */
static uint64_t
sim_latency(struct sim *m)
{
	if (!m->healthy && sim_chance(m, m->f.slow))
		return (sim_range(m, 100 * SIM_MS, SIM_SLOW_MAX));
	return (sim_range(m, SIM_MS, SIM_LAT_MAX));
}

/*
 * Decide what becomes of a request, as it reaches the server: its answer
 * and when, and for an insert whether and when its rows land.
 */
static void
sim_fate(struct sim *m, struct sim_op *op, bool poison)
{
	uint64_t	lat = sim_latency(m);
	unsigned	r;
	bool		after = false;

	op->answer = SIM_ANS_200;
	if (m->outage && !m->healthy) {
		if (sim_chance(m, 600)) {
			op->answer = SIM_ANS_NETERR;
			lat = sim_range(m, SIM_MS, 5 * SIM_MS);
		} else if (sim_chance(m, 500))
			op->answer = SIM_ANS_503;
		else {
			op->answer = SIM_ANS_TIMEOUT;
			lat = SIM_TIMEOUT;
		}
	} else if (!m->healthy) {
		r = sim_below(m, 1000);
		if (r < m->f.neterr)
			op->answer = SIM_ANS_NETERR;
		else if ((r -= m->f.neterr) < m->f.e503)
			op->answer = SIM_ANS_503;
		else if ((r -= m->f.e503) < m->f.e502)
			op->answer = SIM_ANS_502;
		else if ((r -= m->f.e502) < m->f.e500)
			op->answer = SIM_ANS_500;
		else if ((r -= m->f.e500) < m->f.timeout_before) {
			op->answer = SIM_ANS_TIMEOUT;
			lat = SIM_TIMEOUT;
		} else if ((r -= m->f.timeout_before) < m->f.timeout_after) {
			op->answer = SIM_ANS_TIMEOUT;
			after = true;
		}
		if (op->kind != SIM_OP_INSERT && op->kind != SIM_OP_WINDOW &&
		    op->answer == SIM_ANS_200 &&
		    sim_chance(m, m->f.query_fail))
			op->answer = sim_chance(m, 100) ? SIM_ANS_GARBAGE :
			    SIM_ANS_NETERR;
	}
	op->lands = false;
	op->land_us = UINT64_MAX;
	if ((op->kind == SIM_OP_INSERT || op->kind == SIM_OP_WINDOW) &&
	    (op->answer == SIM_ANS_200 || after)) {
		if (poison)
			op->answer = after ? SIM_ANS_TIMEOUT : SIM_ANS_POISON;
		else {
			op->lands = true;
			op->land_us = m->now + sim_below(m,
			    (uint32_t)(lat + 1));
		}
		if (after)
			lat = SIM_TIMEOUT;
	}
	op->answer_us = m->now + lat;
}

/* A new request of the live process. */
static struct sim_op *
sim_op_new(struct sim *m, enum sim_op_kind kind)
{
	struct sim_op	*op;

	op = calloc(1, sizeof *op);
	if (op == NULL)
		abort();
	op->seq = m->next_seq++;
	op->kind = kind;
	op->proc = m->proc;
	if (m->nops == m->capops) {
		m->capops = m->capops == 0 ? 16 : m->capops * 2;
		m->ops = realloc(m->ops, m->capops * sizeof *m->ops);
		if (m->ops == NULL)
			abort();
	}
	m->ops[m->nops++] = op;
	return (op);
}

/* Forget request i. */
static void
sim_op_remove(struct sim *m, size_t i)
{
	free(m->ops[i]->rows);
	free(m->ops[i]->body);
	free(m->ops[i]);
	m->ops[i] = m->ops[--m->nops];
}

/* --- the process's actions ------------------------------------------- */

/*
 * Actions are checked against the world as the sink makes them: after every
 * call into the sink, sim_note() looks at the new entries of the sink's
 * action queue (actions[ahead..atail) of struct sink, read, never changed).
 * They are taken and carried out later, where the reactor takes them
 * (sim_apply: after a whole poll, an answer or a timer, as loop_apply()).
 * Between the two, a poll may deliver more messages and run rebalance
 * callbacks, so an action can reach a partition that was revoked, or
 * revoked and assigned again, after the sink made it; librdkafka then
 * refuses a store for a partition not assigned (RD_KAFKA_RESP_ERR__STATE)
 * and takes one for a partition assigned again as if it were new.  An
 * entry the sink takes back out of its queue before it is taken (a revoke
 * may) is forgotten.
 */

/* Record that the live process sent insert id; check a resend is identical. */
static void
sim_sent_record(struct sim *m, const struct sink_insert *ins, uint64_t hash)
{
	struct sim_sent	*s;
	size_t		 n;

	if (ins->id >= m->nsent) {
		n = (size_t)ins->id * 2 + 16;
		m->sent = realloc(m->sent, n * sizeof *m->sent);
		if (m->sent == NULL)
			abort();
		memset(m->sent + m->nsent, 0, (n - m->nsent) * sizeof *m->sent);
		m->nsent = n;
	}
	s = &m->sent[ins->id];
	if (s->sent) {
		/* An answer that left the outcome open needs a probe first. */
		if (s->open)
			sim_fail(m, "insert #%llu sent again without a probe "
			    "after an answer that left its outcome open",
			    (unsigned long long)ins->id);
		if (ins->nrows > s->nrows)
			sim_fail(m, "insert #%llu resent with more rows (%u, "
			    "was %u)", (unsigned long long)ins->id, ins->nrows,
			    s->nrows);
		if (ins->nrows == s->nrows && hash != s->hash)
			sim_fail(m, "insert #%llu resent with other bytes",
			    (unsigned long long)ins->id);
	}
	s->sent = true;
	s->nrows = ins->nrows;
	s->hash = hash;
	s->open = false;
}

/* Do two queue entries stand for the same action? */
static bool
sim_same(const struct sink_action *a, const struct sink_action *b)
{
	return (a->kind == b->kind && a->insert == b->insert &&
	    a->partition == b->partition && a->offset == b->offset &&
	    a->check == b->check);
}

/* Forget a noted action the sink took back. */
static void
sim_pend_drop(struct sim *m, struct sim_pend *pd)
{
	sim_trace(m, "sink took back action %d p%d@%lld", (int)pd->a.kind,
	    pd->a.partition, (long long)pd->a.offset);
	if (pd->a.kind == SINK_ACT_INSERT || pd->a.kind == SINK_ACT_PROBE)
		m->ninflight--;
	free(pd->rows);
	pd->rows = NULL;
}

/* A new pending action; its context is filled in by the caller. */
static struct sim_pend *
sim_pend_new(struct sim *m, const struct sink_action *a)
{
	struct sim_pend	*pd;

	if (m->npend == m->cappend) {
		m->cappend = m->cappend == 0 ? 16 : m->cappend * 2;
		m->pend = realloc(m->pend, m->cappend * sizeof *m->pend);
		if (m->pend == NULL)
			abort();
	}
	pd = &m->pend[m->npend++];
	memset(pd, 0, sizeof *pd);
	pd->a = *a;
	if (a->kind != SINK_ACT_INSERT && a->kind != SINK_ACT_PROBE &&
	    a->partition >= 0 && a->partition < m->nparts)
		pd->epoch = m->kp[a->partition].epoch;
	return (pd);
}

/*
 * A ticks insert as the reactor sends it: one Native block read out of
 * its rows, by curl in pieces of random size, and once in a while rewound
 * part way, as for a connection that died.  Into rows as the server reads
 * the block.
 */
static void
sim_native_insert(struct sim *m, struct sink_insert *ins, struct buf *rows)
{
	struct rowenc_native	 nb;
	uint8_t			*block;
	size_t			 size, len = 0, k, piece;
	uint64_t		 n;

	size = rowenc_native_size(m->conf.dialect, ins->body.len, ins->nrows);
	if ((block = malloc(size + 1)) == NULL)
		abort();
	rowenc_native_start(&nb, m->conf.dialect, ins->body.data, ins->nrows);
	if (sim_chance(m, 50)) {
		(void)rowenc_native_read(&nb, block, 1 + sim_below(m, 300));
		rowenc_native_rewind(&nb);
	}
	do {
		piece = 1 + sim_below(m, 3000);
		if (piece > size + 1 - len)
			piece = size + 1 - len;
		len += k = rowenc_native_read(&nb, block + len, piece);
	} while (k > 0);
	if (len != size || !rowenc_native_done(&nb))
		sim_fail(m, "insert #%llu: its Native block is %zu bytes, "
		    "rowenc_native_size says %zu",
		    (unsigned long long)ins->id, len, size);
	buf_init(rows);
	if (native_rows(block, len, rows, &n) != (long)len || n != ins->nrows)
		sim_fail(m, "insert #%llu: its Native block is not %u rows",
		    (unsigned long long)ins->id, ins->nrows);
	free(block);
}

/*
 * Parse ins's body into m->rows (what names the step, for failures): it
 * must hold exactly the rows of the sink's row table, each ending where
 * the table says.  A ticks insert is read as it is sent, in Native.
 */
static void
sim_parse_insert(struct sim *m, struct sink_insert *ins, const char *what)
{
	const struct sim_row	*r;
	struct buf		 body;
	long			 n;
	uint32_t		 i;

	if (ins->table == SCHEMA_TICKS) {
		sim_native_insert(m, ins, &body);
		n = sim_parse_body(m, ins->table, body.data, body.len);
		buf_clear(&body);
	} else
		n = sim_parse_body(m, ins->table, ins->body.data,
		    ins->body.len);
	if (n != (long)ins->nrows)
		sim_fail(m, "%s #%llu: body holds %ld rows, the sink says %u",
		    what, (unsigned long long)ins->id, n, ins->nrows);
	for (i = 0; i < ins->nrows; i++) {
		r = &m->rows[i];
		if (r->end != ins->rows[i].end)
			sim_fail(m, "%s #%llu row %u: body says p%d@%lld "
			    "ending at %zu, row table ending at %u", what,
			    (unsigned long long)ins->id, i, r->p,
			    (long long)r->o, r->end, ins->rows[i].end);
	}
}

/* SINK_ACT_INSERT as the sink makes it: check it through and through. */
static void
sim_push_insert(struct sim *m, struct sim_pend *pd)
{
	struct sink_insert	*ins = pd->a.insert;
	const struct sim_row	*r;
	const struct sim_kpart	*kp;
	uint32_t		 i;

	if (m->ninflight >= m->conf.max_inflight)
		sim_fail(m, "insert #%llu beyond max_inflight %u",
		    (unsigned long long)ins->id, m->conf.max_inflight);
	if (ins->nrows == 0 || ins->body.len == 0)
		sim_fail(m, "insert #%llu is empty",
		    (unsigned long long)ins->id);
	sim_parse_insert(m, ins, "insert");
	for (i = 0; i < ins->nrows; i++) {
		r = &m->rows[i];
		if (r->p < 0 || r->p >= m->nparts || r->o < 0 ||
		    r->o >= SIM_MAXLOG || m->log[r->p].kind[r->o] == SIM_GAP)
			sim_fail(m, "insert #%llu row %u: p%d@%lld is not in "
			    "the log", (unsigned long long)ins->id, i, r->p,
			    (long long)r->o);
		kp = &m->kp[r->p];
		/* Rows of a partition no longer ours are never sent. */
		if (!kp->assigned || kp->delivered[r->o] != kp->epoch) {
			sim_known(m, ins->table == SCHEMA_REJECTS &&
			    ins->nrows == 1 &&
			    strcmp(r->reason, SIM_SERVER_REASON) == 0,
			    SIM_BUG_REJECT_REVOKED);
			sim_fail(m, "insert #%llu carries p%d@%lld, which was "
			    "not consumed in the partition's current "
			    "assignment (%s)", (unsigned long long)ins->id,
			    r->p, (long long)r->o,
			    kp->assigned ? "assigned again since" :
			    "revoked");
		}
		if (ins->table == SCHEMA_TICKS) {
			if (m->log[r->p].kind[r->o] == SIM_INVALID)
				sim_fail(m, "invalid message p%d@%lld sent "
				    "as a tick", r->p, (long long)r->o);
			sim_check_tick(m, r);
			if (strcmp(r->symbol, SIM_POISON_SYMBOL) == 0)
				pd->poison = true;
		} else
			sim_check_reject(m, r);
	}
	sim_sent_record(m, ins, sim_fnv(ins->body.data, ins->body.len));
	pd->nrows = ins->nrows;
	pd->epoch = m->kp[m->rows[0].p].epoch;
	pd->rows = calloc(ins->nrows, sizeof *pd->rows);
	if (pd->rows == NULL)
		abort();
	for (i = 0; i < ins->nrows; i++)
		pd->rows[i] = (struct sim_rowid){ m->rows[i].p, m->rows[i].o };
	sink_token(ins, pd->token, sizeof pd->token);
	m->ninflight++;
}

/* SINK_ACT_PROBE as the sink makes it: only after an open answer. */
static void
sim_push_probe(struct sim *m, struct sim_pend *pd)
{
	struct sink_insert	*ins = pd->a.insert;

	if (m->ninflight >= m->conf.max_inflight)
		sim_fail(m, "probe of #%llu beyond max_inflight",
		    (unsigned long long)ins->id);
	if (ins->id >= m->nsent || !m->sent[ins->id].sent ||
	    !m->sent[ins->id].open)
		sim_fail(m, "probe of insert #%llu, whose last answer was "
		    "clear (or which was never sent)",
		    (unsigned long long)ins->id);
	if (ins->nrows == 0)
		sim_fail(m, "probe of an empty insert #%llu",
		    (unsigned long long)ins->id);
	sim_parse_insert(m, ins, "probe of insert");
	pd->probe_p = m->rows[0].p;
	pd->probe_o = m->rows[0].o;
	m->ninflight++;
}

/* SINK_ACT_STORE as the sink makes it: never ahead of landed data. */
static void
sim_push_store(struct sim *m, int32_t p, int64_t off)
{
	struct sim_kpart	*kp;

	if (p < 0 || p >= m->nparts)
		sim_fail(m, "store for unknown partition %d", p);
	kp = &m->kp[p];
	if (!kp->assigned)
		sim_fail(m, "store p%d@%lld for a partition not assigned", p,
		    (long long)off);
	if (off <= kp->own_stored)
		sim_fail(m, "store p%d@%lld does not grow (stored %lld)", p,
		    (long long)off, (long long)kp->own_stored);
	if (off > kp->position)
		sim_fail(m, "store p%d@%lld beyond what was consumed (next "
		    "%lld)", p, (long long)off, (long long)kp->position);
	if (off > m->tab[p].prefix) {
		sim_known(m, m->tab[p].probe_lost[m->tab[p].prefix],
		    SIM_BUG_PROBE_ROW0);
		sim_fail(m, "store p%d@%lld ahead of landed data: p%d@%lld "
		    "(%s) is in no table", p, (long long)off, p,
		    (long long)m->tab[p].prefix,
		    sim_kind_names[m->log[p].kind[m->tab[p].prefix]]);
	}
	kp->own_stored = off;
}

/*
 * SINK_ACT_LANDED_QUERY as the sink makes it: every partition waiting for
 * the check is assigned and asks from where its consumption started.
 */
static void
sim_check_query(struct sim *m, uint64_t check)
{
	const struct sink	*s = m->sk;
	int32_t			 p;
	unsigned		 n = 0;

	if (check == 0)
		sim_fail(m, "resume check without a number");
	for (p = 0; p < m->nparts && (size_t)p < s->nparts; p++) {
		if (s->parts[p].check != check)
			continue;
		n++;
		if (!m->kp[p].assigned)
			sim_fail(m, "resume check %llu of p%d, not assigned",
			    (unsigned long long)check, p);
		if (s->parts[p].from != m->kp[p].first)
			sim_fail(m, "resume check %llu of p%d from %lld, but "
			    "consumption started at %lld",
			    (unsigned long long)check, p,
			    (long long)s->parts[p].from,
			    (long long)m->kp[p].first);
	}
	if (n == 0)
		sim_fail(m, "resume check %llu for no partition",
		    (unsigned long long)check);
}

/*
 * Note the sink's new actions, checking each against the world now.  The
 * noted ones not yet taken (m->pend) are a subsequence of the sink's queue.
 */
static void
sim_note(struct sim *m)
{
	const struct sink	*s = m->sk;
	struct sink_action	 a;
	struct sim_pend		*pd;
	size_t			 j, k, n;
	int32_t			 p;

	if (!m->alive)
		return;
	for (j = s->ahead, k = 0, n = 0; j < s->atail && k < m->npend; ) {
		if (sim_same(&s->actions[j], &m->pend[k].a)) {
			m->pend[n++] = m->pend[k++];
			j++;
		} else
			sim_pend_drop(m, &m->pend[k++]);
	}
	while (k < m->npend)
		sim_pend_drop(m, &m->pend[k++]);
	m->npend = n;
	for (; j < s->atail; j++) {
		a = s->actions[j];
		pd = sim_pend_new(m, &a);
		p = a.partition;
		switch (a.kind) {
		case SINK_ACT_INSERT:
			sim_push_insert(m, pd);
			break;
		case SINK_ACT_PROBE:
			sim_push_probe(m, pd);
			break;
		case SINK_ACT_LANDED_QUERY:
			sim_check_query(m, a.check);
			break;
		case SINK_ACT_STORE:
			sim_push_store(m, p, a.offset);
			break;
		case SINK_ACT_PAUSE:
			if (m->sink_paused)
				sim_fail(m, "PAUSE while paused");
			m->sink_paused = true;
			break;
		case SINK_ACT_RESUME:
			if (!m->sink_paused)
				sim_fail(m, "RESUME while not paused");
			m->sink_paused = false;
			break;
		case SINK_ACT_STREAM:
			if (m->conf.window_rows == 0)
				sim_fail(m, "a window with windows off");
			if (m->ninflight >= m->conf.max_inflight)
				sim_fail(m, "window %llu beyond max_inflight %u",
				    (unsigned long long)a.window->id,
				    m->conf.max_inflight);
			m->ninflight++;
			break;
		case SINK_ACT_STREAM_MORE:
			break;
		case SINK_ACT_SEEK:
			sim_check_seek(m, p, a.offset);
			break;
		case SINK_ACT_PAUSE_ONE:
		case SINK_ACT_RESUME_ONE:
			if (p < 0 || p >= m->nparts || !m->kp[p].assigned)
				sim_fail(m, "pause/resume of p%d, not assigned",
				    p);
			break;
		}
	}
	if ((int64_t)sink_buffered_bytes(m->sk) -
	    (int64_t)m->conf.max_buffer_bytes > m->st.max_over)
		m->st.max_over = (int64_t)sink_buffered_bytes(m->sk) -
		    (int64_t)m->conf.max_buffer_bytes;
	if (sink_buffered_bytes(m->sk) > m->conf.max_buffer_bytes +
	    m->slack) {
		sim_known(m, m->resumed_checking, SIM_BUG_RESUME_CHECKING);
		sim_fail(m, "memory bound: %zu bytes buffered, bound %zu + "
		    "slack %zu", sink_buffered_bytes(m->sk),
		    m->conf.max_buffer_bytes, m->slack);
	}
}

/* An insert's rows for the trace: "p0@3..p0@5,p2@7" (runs of offsets). */
static const char *
sim_rows_text(struct sim *m, const struct sim_op *op)
{
	size_t		n = 0, size;
	uint32_t	i, j;

	for (i = 0; i < op->nrows; i = j) {
		for (j = i + 1; j < op->nrows && op->rows[j].p ==
		    op->rows[i].p && op->rows[j].o > op->rows[j - 1].o; j++)
			;
		if (m->textcap - n < 64) {
			m->textcap = m->textcap == 0 ? 4096 : m->textcap * 2;
			m->text = realloc(m->text, m->textcap);
			if (m->text == NULL)
				abort();
		}
		size = m->textcap - n;
		if (j - i == 1)
			n += (size_t)snprintf(m->text + n, size, "%sp%d@%lld",
			    i == 0 ? "" : ",", op->rows[i].p,
			    (long long)op->rows[i].o);
		else
			n += (size_t)snprintf(m->text + n, size,
			    "%sp%d@%lld..%lld", i == 0 ? "" : ",",
			    op->rows[i].p, (long long)op->rows[i].o,
			    (long long)op->rows[j - 1].o);
	}
	return (m->text);
}

/* Send an insert the sink handed over: its fate is decided now. */
static void
sim_send_insert(struct sim *m, struct sim_pend *pd)
{
	struct sink_insert	*ins = pd->a.insert;
	struct sim_op		*op;

	op = sim_op_new(m, SIM_OP_INSERT);
	op->ins = ins;
	op->ins_id = ins->id;
	op->table = ins->table;
	op->nrows = pd->nrows;
	op->rows = pd->rows;
	op->epoch = pd->epoch;
	pd->rows = NULL;
	memcpy(op->token, pd->token, sizeof op->token);
	sim_fate(m, op, pd->poison);
	m->st.inserts++;
	if (m->verbose)
		sim_trace(m, "act INSERT #%llu %s %u rows %s attempt %u token "
		    "%s -> %s%s at +%llu us", (unsigned long long)ins->id,
		    ins->table == SCHEMA_TICKS ? "ticks" : "rejects",
		    op->nrows, sim_rows_text(m, op), ins->attempt,
		    m->dedup ? op->token : "-", sim_answer_names[op->answer],
		    op->lands ? " (lands)" : "",
		    (unsigned long long)(op->answer_us - m->now));
}

/*
 * Send a probe or a resume check.  A check asks about the partitions still
 * waiting for it (sink_landed_sql); none left, nothing is sent.
 */
static void
sim_send_query(struct sim *m, struct sim_pend *pd)
{
	struct sim_op	*op;
	int32_t		 p;
	bool		 any = false;

	if (pd->a.kind == SINK_ACT_LANDED_QUERY) {
		for (p = 0; p < m->nparts && (size_t)p < m->sk->nparts; p++)
			any |= m->sk->parts[p].check == pd->a.check;
		if (!any) {
			sim_trace(m, "act LANDED_QUERY %llu: no partition "
			    "waits for it, not sent",
			    (unsigned long long)pd->a.check);
			return;
		}
	}
	op = sim_op_new(m, pd->a.kind == SINK_ACT_PROBE ? SIM_OP_PROBE :
	    SIM_OP_QUERY);
	if (pd->a.kind == SINK_ACT_PROBE) {
		op->partition = pd->probe_p;
		op->offset = pd->probe_o;
		op->ins = pd->a.insert;
		op->ins_id = op->ins->id;
		op->table = op->ins->table;
		m->st.probes++;
	} else {
		op->check = pd->a.check;
		for (p = 0; p < m->nparts && (size_t)p < m->sk->nparts; p++) {
			if (m->sk->parts[p].check != op->check)
				continue;
			op->qpart[p] = true;
			op->qfrom[p] = m->sk->parts[p].from;
			op->qepoch[p] = m->kp[p].epoch;
		}
		m->st.queries++;
	}
	sim_fate(m, op, false);
	if (pd->a.kind == SINK_ACT_PROBE)
		sim_trace(m, "act PROBE #%llu %s p%d@%lld -> %s at +%llu us",
		    (unsigned long long)op->ins_id,
		    op->table == SCHEMA_TICKS ? "ticks" : "rejects",
		    op->partition, (long long)op->offset,
		    sim_answer_names[op->answer],
		    (unsigned long long)(op->answer_us - m->now));
	else
		sim_trace(m, "act LANDED_QUERY %llu -> %s at +%llu us",
		    (unsigned long long)op->check,
		    sim_answer_names[op->answer],
		    (unsigned long long)(op->answer_us - m->now));
}

/*
 * SINK_ACT_STORE, carried out: librdkafka refuses a partition not assigned,
 * and takes a store made for an earlier assignment of one assigned again.
 */
static void
sim_apply_store(struct sim *m, const struct sim_pend *pd)
{
	struct sim_kpart	*kp = &m->kp[pd->a.partition];
	int32_t			 p = pd->a.partition;

	if (!kp->assigned) {
		m->st.stale_stores++;
		sim_trace(m, "act STORE p%d@%lld: refused, not assigned "
		    "(revoked after the sink made it)", p,
		    (long long)pd->a.offset);
		return;
	}
	if (pd->epoch != kp->epoch) {
		m->st.stale_stores++;
		kp->stale = true;
		sim_trace(m, "act STORE p%d@%lld: made for an earlier "
		    "assignment, taken for this one", p,
		    (long long)pd->a.offset);
	} else
		sim_trace(m, "act STORE p%d@%lld", p, (long long)pd->a.offset);
	if (pd->a.offset > m->tab[p].prefix) {
		sim_known(m, m->tab[p].probe_lost[m->tab[p].prefix],
		    SIM_BUG_PROBE_ROW0);
		sim_fail(m, "store p%d@%lld ahead of landed data", p,
		    (long long)pd->a.offset);
	}
	kp->stored = pd->a.offset;
}

/*
 * SINK_ACT_SEEK as the sink makes it (a window failed; its partition is
 * read again): an assigned partition, and never past a message that did
 * not land, which would then be lost.
 */
static void
sim_check_seek(struct sim *m, int32_t p, int64_t offset)
{
	if (p < 0 || p >= m->nparts || !m->kp[p].assigned)
		sim_fail(m, "seek of p%d, not assigned", p);
	if (offset < 0 || offset > m->tab[p].prefix)
		sim_fail(m, "seek p%d@%lld past p%d@%lld, which did not land",
		    p, (long long)offset, p, (long long)m->tab[p].prefix);
}

/*
 * SINK_ACT_SEEK, carried out (kafka_seek): consumption of p goes on from
 * offset, and the sink, which took the partition back and gave it to
 * itself again, checks it from its first message.  A revocation takes the
 * sink's seeks for the partition back out of its queue, so p is still
 * assigned as it was.
 */
static void
sim_apply_seek(struct sim *m, const struct sim_pend *pd)
{
	struct sim_kpart	*kp = &m->kp[pd->a.partition];

	if (!kp->assigned || pd->epoch != kp->epoch)
		sim_fail(m, "seek of p%d made for another assignment",
		    pd->a.partition);
	sim_trace(m, "act SEEK p%d@%lld (was at %lld)", pd->a.partition,
	    (long long)pd->a.offset, (long long)kp->position);
	kp->position = pd->a.offset;
	kp->first = -1;
	m->st.seeks++;
}

/* SINK_ACT_STREAM, carried out: the window's request starts. */
static void
sim_window_start(struct sim *m, const struct sim_pend *pd)
{
	struct sim_op	*op;

	op = sim_op_new(m, SIM_OP_WINDOW);
	op->w = pd->a.window;
	op->ins_id = op->w->id;
	op->table = SCHEMA_TICKS;
	op->answer_us = op->land_us = UINT64_MAX;
	m->st.windows++;
	sim_trace(m, "act STREAM window %llu", (unsigned long long)op->ins_id);
}

/*
 * A window read to its end: the server has its whole body now.  Every row
 * must be a tick of its message, from the log; rows of a partition revoked
 * since may be in it (they land, unstored).  Then its fate, as an insert's:
 * a poison tick in it fails it whole.
 */
static void
sim_window_end(struct sim *m, struct sim_op *op)
{
	const struct sim_row	*r;
	struct buf		 rows;
	uint64_t		 nblock;
	long			 n;
	uint32_t		 i;
	bool			 poison = false;

	op->ended = true;
	buf_init(&rows);
	if (native_rows(op->body, op->len, &rows, &nblock) != (long)op->len)
		sim_fail(m, "window %llu: body of %zu bytes is not whole "
		    "Native blocks", (unsigned long long)op->ins_id, op->len);
	n = sim_parse_body(m, SCHEMA_TICKS, rows.data, rows.len);
	buf_clear(&rows);
	if (n <= 0)
		sim_fail(m, "window %llu: body of %zu bytes is %s",
		    (unsigned long long)op->ins_id, op->len,
		    n == 0 ? "empty" : "not whole rows");
	op->nrows = (uint32_t)n;
	op->rows = calloc((size_t)n, sizeof *op->rows);
	if (op->rows == NULL)
		abort();
	for (i = 0; i < op->nrows; i++) {
		r = &m->rows[i];
		if (r->p < 0 || r->p >= m->nparts || r->o < 0 ||
		    r->o >= SIM_MAXLOG || m->log[r->p].kind[r->o] == SIM_GAP ||
		    m->log[r->p].kind[r->o] == SIM_INVALID ||
		    m->kp[r->p].delivered[r->o] == 0)
			sim_fail(m, "window %llu row %u: p%d@%lld is no tick "
			    "consumed from the log",
			    (unsigned long long)op->ins_id, i, r->p,
			    (long long)r->o);
		sim_check_tick(m, r);
		poison |= strcmp(r->symbol, SIM_POISON_SYMBOL) == 0;
		op->rows[i] = (struct sim_rowid){ r->p, r->o };
	}
	op->epoch = m->kp[op->rows[0].p].epoch;
	sim_fate(m, op, poison);
	sim_trace(m, "window %llu read to its end: %u rows %s -> %s%s at "
	    "+%llu us", (unsigned long long)op->ins_id, op->nrows,
	    sim_rows_text(m, op), sim_answer_names[op->answer],
	    op->lands ? " (lands)" : "",
	    (unsigned long long)(op->answer_us - m->now));
}

/*
 * curl reads the live windows (after the actions, as the reactor's loop
 * would), in pieces of random size, until each waits or ends.  Out of
 * health, a read may fail the request: nothing of it lands, and the answer
 * comes soon.  True if anything was read or ended (the sink may have
 * actions then).
 */
static bool
sim_window_pull_all(struct sim *m)
{
	struct sim_op	*op;
	size_t		 i, n, got;
	bool		 wait, any = false;

	for (i = 0; i < m->nops; i++) {
		op = m->ops[i];
		if (op->kind != SIM_OP_WINDOW || op->dead || op->ended ||
		    op->broken)
			continue;
		for (;;) {
			if (!m->healthy && (m->outage ||
			    sim_chance(m, m->f.neterr / 4 + 1))) {
				op->broken = true;
				op->answer = sim_chance(m, 500) ?
				    SIM_ANS_NETERR : SIM_ANS_TIMEOUT;
				op->answer_us = m->now + (op->answer ==
				    SIM_ANS_TIMEOUT ? SIM_TIMEOUT :
				    sim_range(m, SIM_MS, 5 * SIM_MS));
				sim_trace(m, "window %llu: the request fails "
				    "after %zu bytes (%s)",
				    (unsigned long long)op->ins_id, op->len,
				    sim_answer_names[op->answer]);
				any = true;
				break;
			}
			n = 1 + sim_below(m, 3000);
			if (op->cap - op->len < n) {
				op->cap = op->len + n + 4096;
				op->body = realloc(op->body, op->cap);
				if (op->body == NULL)
					abort();
			}
			got = sink_window_read(m->sk, op->w, op->body + op->len,
			    n, m->now, &wait);
			op->len += got;
			if (got > 0) {
				any = true;
				continue;
			}
			if (!wait) {
				sim_window_end(m, op);
				any = true;
			}
			break;
		}
	}
	return (any);
}

/* Carry out the actions taken so far, as loop_apply() does, then check. */
static void
sim_apply(struct sim *m)
{
	struct sink_action	 a;
	struct sim_pend		*pd;
	size_t			 i, k;
	int32_t			 p;

	sim_note(m);
	if (!m->alive)
		return;
	for (i = 0; m->die == SIM_LIVE && sink_next_action(m->sk, &a); i++) {
		if (i >= m->npend || !sim_same(&a, &m->pend[i].a))
			sim_fail(m, "the sink's action queue and the model "
			    "disagree (action %d p%d@%lld)", (int)a.kind,
			    a.partition, (long long)a.offset);
		pd = &m->pend[i];
		p = pd->a.partition;
		switch (pd->a.kind) {
		case SINK_ACT_INSERT:
			sim_send_insert(m, pd);
			break;
		case SINK_ACT_PROBE:
		case SINK_ACT_LANDED_QUERY:
			sim_send_query(m, pd);
			break;
		case SINK_ACT_STREAM:
			sim_window_start(m, pd);
			break;
		case SINK_ACT_STREAM_MORE:
			sim_trace(m, "act STREAM_MORE window %llu",
			    (unsigned long long)pd->a.window->id);
			break;	/* the reader tries again after the actions */
		case SINK_ACT_SEEK:
			sim_apply_seek(m, pd);
			break;
		case SINK_ACT_STORE:
			sim_apply_store(m, pd);
			break;
		case SINK_ACT_PAUSE:
		case SINK_ACT_RESUME:
			sim_trace(m, "act %s (%zu bytes)", pd->a.kind ==
			    SINK_ACT_PAUSE ? "PAUSE" : "RESUME",
			    sink_buffered_bytes(m->sk));
			/* kafka_pause(): every assigned partition. */
			m->gpaused = pd->a.kind == SINK_ACT_PAUSE;
			for (p = 0; p < m->nparts; p++) {
				if (!m->kp[p].assigned)
					continue;
				m->kp[p].paused = m->gpaused;
				if (m->gpaused)
					continue;
				m->kp[p].stale_pause = false;
				if ((size_t)p < m->sk->nparts &&
				    m->sk->parts[p].state ==
				    SINK_PART_CHECKING)
					m->resumed_checking = true;
			}
			break;
		case SINK_ACT_PAUSE_ONE:
		case SINK_ACT_RESUME_ONE:
			sim_trace(m, "act %s p%d%s", pd->a.kind ==
			    SINK_ACT_PAUSE_ONE ? "PAUSE_ONE" : "RESUME_ONE", p,
			    !m->kp[p].assigned ? ": not assigned, no effect" :
			    pd->epoch != m->kp[p].epoch ? " (made for an "
			    "earlier assignment)" : "");
			if (!m->kp[p].assigned)
				break;
			/* kafka_pause_one(): no resume while all paused. */
			if (pd->a.kind == SINK_ACT_PAUSE_ONE) {
				m->kp[p].paused = true;
				if (pd->epoch != m->kp[p].epoch)
					m->kp[p].stale_pause = true;
			} else if (!m->gpaused) {
				m->kp[p].paused = false;
				m->kp[p].stale_pause = false;
			}
			break;
		}
		if (m->f.crash_mid > 0 && !m->healthy &&
		    sim_chance(m, m->f.crash_mid)) {
			sim_trace(m, "crash between two actions");
			m->die = SIM_CRASH;
		}
	}
	for (k = 0; k < m->npend; k++)
		free(m->pend[k].rows);
	m->npend = 0;
	if (!m->alive || m->die != SIM_LIVE)
		return;
	if (sim_window_pull_all(m)) {
		sim_apply(m);	/* what the reads made the sink do */
		return;
	}
	if (m->ninflight > m->conf.max_inflight)
		sim_fail(m, "%u inserts and probes out, max_inflight %u",
		    m->ninflight, m->conf.max_inflight);
	/*
	 * Liveness: a partition paused on its own waits for its resume check
	 * (which resumes it); paused in any other state, nothing would ever
	 * resume it.
	 */
	for (p = 0; p < m->nparts; p++) {
		if (!m->gpaused && m->kp[p].assigned && m->kp[p].paused &&
		    ((size_t)p >= m->sk->nparts ||
		    m->sk->parts[p].state != SINK_PART_CHECKING)) {
			sim_known(m, m->kp[p].stale_pause,
			    SIM_BUG_STALE_PAUSE);
			sim_fail(m, "p%d is paused but its resume check is "
			    "not under way: nothing will resume it", p);
		}
	}
	if (!m->in_drain_step)
		sim_drain_step(m);
}

/* --- Kafka ----------------------------------------------------------- */

/* Commit the stored offset of p, as librdkafka would. */
static void
sim_commit_one(struct sim *m, int32_t p, const char *why)
{
	struct sim_kpart	*kp = &m->kp[p];

	if (kp->stored < 0 || kp->stored == kp->committed)
		return;
	if (kp->stored < kp->committed && !kp->stale)
		sim_fail(m, "commit p%d@%lld would go back from %lld", p,
		    (long long)kp->stored, (long long)kp->committed);
	if (kp->stored > m->tab[p].prefix) {
		sim_known(m, m->tab[p].probe_lost[m->tab[p].prefix],
		    SIM_BUG_PROBE_ROW0);
		sim_fail(m, "commit p%d@%lld ahead of landed data (p%d@%lld "
		    "is in no table)", p, (long long)kp->stored, p,
		    (long long)m->tab[p].prefix);
	}
	if (kp->stored < kp->committed)
		m->st.commits_back++;
	kp->committed = kp->stored;
	sim_trace(m, "kafka: commit p%d@%lld (%s)", p,
	    (long long)kp->committed, why);
}

/* The auto-commit timer: every stored offset, unless the commit fails. */
static void
sim_autocommit(struct sim *m)
{
	int32_t	p;

	if (!m->alive)
		return;
	if (!m->healthy && sim_chance(m, m->f.commit_fail)) {
		sim_trace(m, "kafka: auto-commit failed");
		return;
	}
	for (p = 0; p < m->nparts; p++) {
		if (m->kp[p].assigned)
			sim_commit_one(m, p, "auto");
	}
}

/* Partition p is assigned: consumption restarts from its commit. */
static void
sim_assign(struct sim *m, int32_t p)
{
	struct sim_kpart	*kp = &m->kp[p];

	kp->assigned = true;
	kp->paused = m->gpaused;	/* kafka_rebalance_cb() */
	kp->position = kp->committed >= 0 ? kp->committed : m->log[p].start;
	kp->first = -1;
	kp->stored = -1;
	kp->own_stored = -1;
	kp->stale = false;
	kp->stale_pause = false;
	kp->epoch++;
	sim_trace(m, "kafka: assign p%d from %lld%s", p,
	    (long long)kp->position, kp->paused ? " (paused)" : "");
	sink_assign(m->sk, p);
	sim_note(m);
}

/* Partition p is revoked; librdkafka may commit what was stored first. */
static void
sim_revoke(struct sim *m, int32_t p)
{
	struct sim_kpart	*kp = &m->kp[p];

	sim_trace(m, "kafka: revoke p%d", p);
	if (sim_chance(m, 500))
		sim_commit_one(m, p, "revoke");
	kp->assigned = false;
	kp->paused = false;
	kp->stored = -1;
	sink_revoke(m->sk, p);
	sim_note(m);
}

/*
 * A rebalance callback, inside a poll: eager (everything revoked, then
 * some assigned) or cooperative (one partition goes or comes).
 */
static void
sim_rebalance_cb(struct sim *m)
{
	int32_t	p = (int32_t)sim_below(m, (uint32_t)m->nparts);
	bool	draining = m->drain != DRAIN_RUNNING;

	m->st.rebalances++;
	if (!draining && sim_chance(m, 300)) {
		sim_trace(m, "kafka: eager rebalance");
		for (p = 0; p < m->nparts; p++)
			if (m->kp[p].assigned)
				sim_revoke(m, p);
		for (p = 0; p < m->nparts; p++)
			if (sim_chance(m, 700))
				sim_assign(m, p);
	} else if (m->kp[p].assigned)
		sim_revoke(m, p);
	else if (!draining)
		sim_assign(m, p);
}

/* A poll that brings only a rebalance. */
static void
sim_rebalance(struct sim *m)
{
	sim_rebalance_cb(m);
	sim_apply(m);
}

/* Deliver the next message of p (gaps are skipped, as fetching does). */
static void
sim_deliver(struct sim *m, int32_t p)
{
	struct sim_kpart	*kp = &m->kp[p];
	const struct sim_log	*l = &m->log[p];
	struct sink_msg		 msg;
	char			 buf[SIM_BIG_MSG + 64];
	int64_t			 o;

	for (o = kp->position; o < l->end && l->kind[o] == SIM_GAP; o++)
		;
	kp->position = o;
	if (o >= l->end)
		return;
	msg.partition = p;
	msg.offset = o;
	msg.timestamp_ms = SIM_KAFKA_TS0 + o;
	msg.payload = sim_payload(m, p, o, buf, sizeof buf, &msg.len);
	kp->position = o + 1;
	kp->delivered[o] = kp->epoch;
	if (kp->first < 0)
		kp->first = o;
	m->st.messages++;
	sim_trace(m, "kafka: message p%d@%lld %s%s%s", p, (long long)o,
	    sim_kind_names[l->kind[o]], l->kind[o] == SIM_INVALID ? " " : "",
	    l->kind[o] == SIM_INVALID ? sim_invalids[l->cls[o]].reason : "");
	sink_message(m->sk, &msg, m->now, sim_wall(m));
	sim_note(m);
}

/* Can p deliver a message now? */
static bool
sim_consumable(const struct sim *m, int32_t p)
{
	const struct sim_kpart	*kp = &m->kp[p];

	return (kp->assigned && !kp->paused && kp->position < m->log[p].end);
}

/*
 * One poll (kafka_serve): up to burst_max messages, now and then a
 * rebalance callback among them, then the actions.
 */
static void
sim_poll(struct sim *m)
{
	int32_t		 cand[SIM_MAXPARTS], p;
	unsigned	 i, n = 1 + sim_below(m, m->burst_max), k;

	if (m->drain != DRAIN_RUNNING)
		return;
	for (i = 0; i < n; i++) {
		if (m->step >= 0 && m->w.rebalance > 0 &&
		    sim_chance(m, m->w.rebalance)) {
			sim_rebalance_cb(m);
			continue;
		}
		for (p = 0, k = 0; p < m->nparts; p++)
			if (sim_consumable(m, p))
				cand[k++] = p;
		if (k == 0)
			break;
		sim_deliver(m, cand[sim_below(m, k)]);
	}
	if (m->alive) {
		/* Partitions read to their end say so, now and then. */
		for (p = 0; p < m->nparts; p++) {
			if (m->kp[p].assigned &&
			    m->kp[p].position >= m->log[p].end &&
			    sim_chance(m, 500)) {
				sim_trace(m, "kafka: p%d read to its end", p);
				sink_caught_up(m->sk, p, m->now);
			}
		}
		sink_polled(m->sk, m->now);	/* the resume checks go */
		sim_note(m);
	}
	sim_apply(m);
}

/*
 * Consume: one poll, or now and then a run of them with nothing else in
 * between, as when a backlog keeps kafka_serve() re-arming itself.
 */
static void
sim_consume(struct sim *m)
{
	unsigned	n = sim_chance(m, 100) ? 2 + sim_below(m, 30) : 1;

	while (n-- > 0 && m->alive && m->die == SIM_LIVE)
		sim_poll(m);
}

/* --- the process ----------------------------------------------------- */

/*
 * The slack over max_buffer_bytes that the memory check allows.  At the
 * bound the sink asks for a pause, and from then on no message comes in;
 * what can still grow:
 *  - the poll under way: the pause is carried out after it (kafka_serve
 *    applies actions after its budget), so up to SIM_BURST_MAX messages
 *    more, each costing at most the larger of a held message (21-byte
 *    header and payload, at most SIM_BIG_MSG) and a row with its row entry
 *    (a reject row: about 100 bytes of columns, detail up to 255 bytes,
 *    raw up to reject_raw_max);
 *  - held messages replayed as rows after their resume check, a reject row
 *    being larger than its message: one row each, and the pause of the
 *    partition holds them to a poll's worth;
 *  - inserts being split (at most max_inflight at a time): the pieces copy
 *    their parent's row entries, which stay until the pieces land (one
 *    table per level of halving), and a poisoned single row becomes a
 *    reject row.
 * An open batch does not count: its rows came in below the bound.
 */
static size_t
sim_slack(const struct sim *m)
{
	size_t		msg, row, split;
	uint32_t	depth = 0, r;

	row = 100 + 256 + m->conf.reject_raw_max + sizeof(struct sink_row);
	msg = SIM_HELD_HDR + SIM_BIG_MSG;
	if (row > msg)
		msg = row;
	for (r = 1; r < m->conf.limits.max_rows; r *= 2)
		depth++;
	split = (size_t)(depth + 1) * m->conf.limits.max_rows *
	    sizeof(struct sink_row) + row;
	return (SIM_BURST_MAX * (msg + row) + m->conf.max_inflight * split);
}

/*
 * The process ends.  A crash or an expired drain loses answers and stored
 * offsets; the server still lands what it has.  In the seeds without the
 * race, the restart waits until those inserts are done.
 */
static void
sim_end_process(struct sim *m, const char *why)
{
	struct sim_op	*op;
	size_t		 i;
	int32_t		 p;

	sim_trace(m, "process ends: %s", why);
	sink_free(m->sk);
	m->sk = NULL;
	m->alive = false;
	m->die = SIM_LIVE;
	for (i = 0; i < m->nops; ) {
		op = m->ops[i];
		if (op->proc != m->proc || op->dead) {
			i++;
			continue;
		}
		op->ins = NULL;
		op->dead = true;
		op->answer_us = UINT64_MAX;
		op->w = NULL;
		if ((op->kind != SIM_OP_INSERT && op->kind != SIM_OP_WINDOW) ||
		    op->land_us == UINT64_MAX) {
			sim_op_remove(m, i);
			continue;
		}
		/* Often the server is slower than the restart. */
		if (m->race && sim_chance(m, 700))
			op->land_us += sim_below(m, (uint32_t)(2 * SIM_S));
		i++;
	}
	for (p = 0; p < m->nparts; p++) {
		m->kp[p].assigned = false;
		m->kp[p].paused = false;
		m->kp[p].stored = -1;
	}
	free(m->sent);
	m->sent = NULL;
	m->nsent = 0;
	m->ninflight = 0;
	for (i = 0; i < m->npend; i++)
		free(m->pend[i].rows);
	m->npend = 0;
	m->gpaused = m->sink_paused = false;
	m->resumed_checking = false;
	m->drain = DRAIN_RUNNING;
	m->consumer_closed = false;
	m->drain_bound = 0;
	m->drain_requested = false;
	m->healthy = false;
	m->down_until = m->now + sim_below(m, sim_chance(m, 500) ?
	    (uint32_t)(2 * SIM_S) : (uint32_t)(50 * SIM_MS));
}

/* Carry out a pending death. */
static void
sim_settle(struct sim *m)
{
	switch (m->die) {
	case SIM_LIVE:
		break;
	case SIM_CRASH:
		m->st.crashes++;
		sim_end_process(m, "crash");
		break;
	case SIM_EXIT:
		sim_end_process(m, "drained, exit 0");
		break;
	case SIM_EXPIRED:
		m->st.drains_expired++;
		sim_end_process(m, "drain deadline passed, exit 1");
		break;
	}
}

/* Are there inserts of a dead process the server has not finished? */
static bool
sim_dead_pending(const struct sim *m)
{
	size_t	i;

	for (i = 0; i < m->nops; i++) {
		if (m->ops[i]->dead)
			return (true);
	}
	return (false);
}

/* A new process: a new sink, partitions assigned again. */
static void
sim_restart(struct sim *m, bool all)
{
	struct sink_conf	c = m->conf;
	int32_t			p;
	bool			any = false;

	m->proc++;
	m->st.restarts++;
	c.seed = m->seed * 1000003 + m->proc;
	m->sk = sink_new(&c);
	m->alive = true;
	m->die = SIM_LIVE;
	m->drain = DRAIN_RUNNING;
	m->drain_done = false;
	sim_trace(m, "process starts");
	for (p = 0; p < m->nparts; p++) {
		if (all || sim_chance(m, 800)) {
			sim_assign(m, p);
			any = true;
		}
	}
	if (!any)
		sim_assign(m, (int32_t)sim_below(m, (uint32_t)m->nparts));
	sim_apply(m);
}

/* Everything the sink holds, for the drain's bound. */
static uint64_t
sim_drain_work(const struct sim *m)
{
	const struct sink_insert	*ins;
	uint64_t			 sends = 2;

	TAILQ_FOREACH(ins, &m->sk->all, all_entry)
		sends += 2 + 3 * (uint64_t)ins->nrows;
	return (sends);
}

/* ClickHouse is up for the rest of the drain: set the drain's bound. */
static void
sim_heal(struct sim *m)
{
	m->healthy = true;
	m->outage = false;
	m->heal_at = m->now;
	/*
	 * From here every new request succeeds within SIM_LAT_MAX.  Requests
	 * out now answer within SIM_TIMEOUT; a failure waits at most the
	 * backoff cap; then each insert needs at most a probe and a send, and
	 * a poisoned one at most two sends and a reject per row (its splits),
	 * one after the other in the worst case.
	 */
	m->drain_bound = m->now + SIM_TIMEOUT + SIM_BACKOFF_CAP +
	    m->conf.limits.max_delay_us + sim_drain_work(m) *
	    (SIM_LAT_MAX + SIM_MS);
	sim_trace(m, "clickhouse: up for the drain; it must end by +%llu us",
	    (unsigned long long)(m->drain_bound - m->now));
}

/* SIGTERM: the drain begins (drain_next decides, as loop_drain_step does). */
static void
sim_sigterm(struct sim *m)
{
	if (m->drain != DRAIN_RUNNING) {
		sim_trace(m, "second signal: exit at once");
		m->die = SIM_CRASH;
		return;
	}
	sim_trace(m, "SIGTERM");
	m->st.drains++;
	m->drain_requested = true;
	m->drain_start = m->now;
	m->drain_deadline = m->now + m->drain_timeout;
	m->heal_at = sim_chance(m, 500) ? m->now : m->now +
	    sim_below(m, (uint32_t)(30 * SIM_S));
	m->drain_bound = 0;
	m->consumer_closed = false;
	if (m->heal_at == m->now || m->healthy)
		sim_heal(m);
	sim_drain_step(m);
}

/* Move the drain as far as it goes, with each state's entry action. */
static void
sim_drain_step(struct sim *m)
{
	struct drain_input	in;
	enum drain_state	next;
	int32_t			p;
	uint64_t		took;

	if (!m->alive || m->die != SIM_LIVE || !m->drain_requested)
		return;
	m->in_drain_step = true;
	for (;;) {
		in.requested = true;
		in.sink_idle = sink_is_idle(m->sk);
		in.consumer_closed = m->consumer_closed;
		in.deadline_passed = m->now >= m->drain_deadline;
		next = drain_next(m->drain, &in);
		if (next == m->drain)
			break;
		sim_trace(m, "drain: %s -> %s", drain_state_name(m->drain),
		    drain_state_name(next));
		m->drain = next;
		if (next == DRAIN_FLUSHING) {
			m->gpaused = true;	/* kafka_pause(svc, true) */
			for (p = 0; p < m->nparts; p++)
				if (m->kp[p].assigned)
					m->kp[p].paused = true;
			sink_drain(m->sk, m->now);
			sim_apply(m);
			if (!m->alive || m->die != SIM_LIVE)
				break;
		} else if (next == DRAIN_CLOSING_CONSUMER) {
			for (p = 0; p < m->nparts; p++)
				if (m->kp[p].assigned)
					sim_commit_one(m, p, "close");
			m->consumer_closed = true;
		} else if (next == DRAIN_DONE) {
			took = m->drain_bound == 0 ? 0 :
			    m->now - m->heal_at;
			if (m->drain_bound != 0 && m->now > m->drain_bound)
				sim_fail(m, "drain took %llu us after "
				    "ClickHouse came up, bound %llu",
				    (unsigned long long)took,
				    (unsigned long long)(m->drain_bound -
				    m->heal_at));
			if (took > m->st.max_drain_us)
				m->st.max_drain_us = took;
			if (m->heal_at == m->drain_start &&
			    m->now - m->drain_start > SIM_DRAIN_DEFAULT) {
				m->st.drains_over_default++;
				sim_trace(m, "drain took %llu us with "
				    "ClickHouse up all along: over the "
				    "default drain_timeout_ms",
				    (unsigned long long)(m->now -
				    m->drain_start));
			}
			if (sink_buffered_bytes(m->sk) != 0)
				sim_fail(m, "drained sink holds %zu bytes",
				    sink_buffered_bytes(m->sk));
			m->drain_done = true;
			m->die = SIM_EXIT;
			break;
		} else if (next == DRAIN_EXPIRED) {
			m->die = SIM_EXPIRED;
			break;
		}
	}
	m->in_drain_step = false;
}

/* --- answers and time ------------------------------------------------ */

/* The live process gets the answer to request i. */
static void
sim_answer(struct sim *m, size_t i)
{
	struct sim_op		*op = m->ops[i];
	struct insert_response	 r = { INSERT_NET_OK, 200, "", 0, 0 };
	struct sim_sent		*s;
	size_t			 n;
	uint32_t		 k;
	int32_t			 p;
	int64_t			 q;
	static const char	 poison[] = "Code: 27, e.displayText() = "
	    "DB::Exception: Cannot parse input: expected , before: "
	    "SIM:POISON (at row 1)";
	static const char	 mem[] = "Code: 241. DB::Exception: Memory "
	    "limit (total) exceeded. (MEMORY_LIMIT_EXCEEDED)";
	static const char	 garbage[] = "<html>bad gateway</html>";

	op->answer_us = UINT64_MAX;
	switch (op->answer) {
	case SIM_ANS_200:
		break;
	case SIM_ANS_POISON:
		r.status = 500;
		r.body = poison;
		r.len = sizeof poison - 1;
		break;
	case SIM_ANS_503:
		r.status = 503;
		break;
	case SIM_ANS_502:
		r.status = 502;
		break;
	case SIM_ANS_500:
		r.status = 500;
		r.body = mem;
		r.len = sizeof mem - 1;
		break;
	case SIM_ANS_TIMEOUT:
		r.transport = INSERT_NET_TIMEOUT;
		r.status = 0;
		break;
	case SIM_ANS_NETERR:
		r.transport = INSERT_NET_ERROR;
		r.status = 0;
		break;
	case SIM_ANS_GARBAGE:
		r.body = garbage;
		r.len = sizeof garbage - 1;
		break;
	}
	switch (op->kind) {
	case SIM_OP_INSERT:
		sim_trace(m, "answer to insert #%llu: %s",
		    (unsigned long long)op->ins_id,
		    sim_answer_names[op->answer]);
		s = &m->sent[op->ins_id];
		s->open = r.transport != INSERT_NET_OK || r.status > 500;
		m->ninflight--;
		p = op->rows[0].p;
		if (op->answer == SIM_ANS_POISON && op->nrows == 1 &&
		    (!m->kp[p].assigned || m->kp[p].epoch != op->epoch))
			m->tab[p].reject_revoked[op->rows[0].o] = true;
		if (op->answer == SIM_ANS_POISON && op->nrows == 1)
			m->st.server_rejects++;
		else if (op->answer == SIM_ANS_POISON)
			m->st.splits++;
		sink_insert_done(m->sk, op->ins, &r, m->now, sim_wall(m));
		break;
	case SIM_OP_WINDOW:
		sim_trace(m, "answer to window %llu: %s",
		    (unsigned long long)op->ins_id,
		    sim_answer_names[op->answer]);
		m->ninflight--;
		if (op->answer == SIM_ANS_200)
			m->st.windows_landed++;
		else
			m->st.windows_failed++;
		/* Its partitions are read again by the next process. */
		if (op->answer != SIM_ANS_200 && m->drain_requested)
			m->window_lost_in_drain = true;
		sink_window_done(m->sk, op->w, &r, m->now);
		break;
	case SIM_OP_PROBE:
		/*
		 * Answered as ClickHouse would: every row of the insert that is
		 * in its table, as "partition\toffset" lines.
		 */
		m->ninflight--;
		if (op->answer != SIM_ANS_200) {
			sim_trace(m, "answer to probe of #%llu: failed",
			    (unsigned long long)op->ins_id);
			sink_probe_done(m->sk, op->ins, SINK_PROBE_FAILED,
			    m->now);
			break;
		}
		{
			char	*text = NULL;
			size_t	 size = 0, present = 0;
			FILE	*f = open_memstream(&text, &size);

			sim_parse_insert(m, op->ins, "probed insert");
			for (k = 0; k < op->ins->nrows; k++) {
				p = m->rows[k].p;
				q = m->rows[k].o;
				if ((op->table == SCHEMA_TICKS ?
				    m->tab[p].ticks[q] :
				    m->tab[p].rejects[q]) == 0)
					continue;
				fprintf(f, "%d\t%lld\n", p, (long long)q);
				present++;
			}
			fclose(f);
			sim_trace(m, "answer to probe of #%llu: %zu of %u rows "
			    "present", (unsigned long long)op->ins_id, present,
			    op->ins->nrows);
			m->sent[op->ins_id].open = false;
			sink_probe_answer(m->sk, op->ins, text, size, m->now);
			free(text);
		}
		break;
	case SIM_OP_QUERY:
		if (op->answer != SIM_ANS_200 &&
		    op->answer != SIM_ANS_GARBAGE) {
			sim_trace(m, "answer to resume check %llu: %s",
			    (unsigned long long)op->check,
			    sim_answer_names[op->answer]);
			sink_landed_failed(m->sk, op->check, m->now);
			break;
		}
		if (op->answer == SIM_ANS_GARBAGE) {
			sim_trace(m, "answer to resume check %llu: garbage",
			    (unsigned long long)op->check);
			sink_landed_answer(m->sk, op->check, r.body, r.len,
			    m->now, sim_wall(m));
			break;
		}
		n = sim_landed_text(m, op);
		for (p = 0; p < m->nparts && (size_t)p < m->sk->nparts; p++) {
			if (!op->qpart[p] || m->sk->parts[p].check !=
			    op->check)
				continue;
			m->tab[p].checked_by = m->proc;
			if (op->qepoch[p] != m->kp[p].epoch) {
				m->tab[p].stale_answer = true;
				sim_trace(m, "the answer was asked for an "
				    "earlier assignment of p%d", p);
			}
		}
		sim_trace(m, "answer to resume check %llu: %zu bytes",
		    (unsigned long long)op->check, n);
		sink_landed_answer(m->sk, op->check, m->text, n, m->now,
		    sim_wall(m));
		break;
	}
	sim_op_remove(m, i);
	sim_apply(m);
}

/* The next timed event, and its time; UINT64_MAX when none. */
static uint64_t
sim_next_event(struct sim *m, enum sim_event *ev, size_t *which)
{
	uint64_t	best = UINT64_MAX, t;
	size_t		i;

	*ev = SIM_EV_NONE;
	/* A landing goes before an answer due at the same time. */
	for (i = 0; i < m->nops; i++) {
		if (m->ops[i]->land_us < best) {
			best = m->ops[i]->land_us;
			*ev = SIM_EV_LAND;
			*which = i;
		}
	}
	for (i = 0; i < m->nops; i++) {
		if (m->ops[i]->answer_us < best) {
			best = m->ops[i]->answer_us;
			*ev = SIM_EV_ANSWER;
			*which = i;
		}
	}
	if (m->alive) {
		t = sink_next_deadline(m->sk);
		if (t < m->now)
			t = m->now;
		if (t < best) {
			best = t;
			*ev = SIM_EV_SINK;
		}
		if (m->next_commit < best) {
			best = m->next_commit;
			*ev = SIM_EV_COMMIT;
		}
		if (m->drain_requested && m->drain != DRAIN_DONE &&
		    m->drain != DRAIN_EXPIRED && m->drain_deadline < best) {
			best = m->drain_deadline;
			*ev = SIM_EV_DRAIN_DEADLINE;
		}
		if (m->drain_requested && m->drain_bound == 0 &&
		    m->heal_at < best) {
			best = m->heal_at;
			*ev = SIM_EV_HEAL;
		}
	}
	if (m->outage && m->outage_end < best) {
		best = m->outage_end;
		*ev = SIM_EV_OUTAGE_END;
	}
	return (best);
}

/* Let virtual time run to target, handling every event on the way. */
static void
sim_run_until(struct sim *m, uint64_t target)
{
	enum sim_event	ev;
	size_t		i = 0;
	uint64_t	t, guard;

	sim_settle(m);
	for (guard = 0;; guard++) {
		if (guard > 2000000)
			sim_fail(m, "no progress: two million events at t=%llu",
			    (unsigned long long)m->now);
		t = sim_next_event(m, &ev, &i);
		if (ev == SIM_EV_NONE || t > target)
			break;
		if (t > m->now)
			m->now = t;
		sim_log_now = m->now;
		switch (ev) {
		case SIM_EV_NONE:
			break;
		case SIM_EV_LAND:
			sim_land(m, m->ops[i]);
			if (m->ops[i]->dead)
				sim_op_remove(m, i);
			break;
		case SIM_EV_ANSWER:
			if (m->ops[i]->dead)
				sim_op_remove(m, i);
			else
				sim_answer(m, i);
			break;
		case SIM_EV_SINK:
			sim_trace(m, "timer: sink_tick");
			sink_tick(m->sk, m->now);
			sim_apply(m);
			if (m->alive && m->die == SIM_LIVE &&
			    sink_next_deadline(m->sk) <= m->now)
				sim_fail(m, "after sink_tick at %llu the next "
				    "deadline is %llu: a busy loop",
				    (unsigned long long)m->now,
				    (unsigned long long)
				    sink_next_deadline(m->sk));
			break;
		case SIM_EV_COMMIT:
			m->next_commit = m->now + m->commit_every;
			sim_autocommit(m);
			break;
		case SIM_EV_OUTAGE_END:
			sim_trace(m, "clickhouse: outage ends");
			m->outage = false;
			break;
		case SIM_EV_HEAL:
			sim_heal(m);
			break;
		case SIM_EV_DRAIN_DEADLINE:
			sim_drain_step(m);
			break;
		}
		sim_settle(m);
	}
	if (target > m->now && target != UINT64_MAX)
		m->now = target;
	sim_log_now = m->now;
}

/* Advance the clock: to the next event, or by a random amount. */
static void
sim_clock(struct sim *m)
{
	enum sim_event	ev;
	size_t		i;
	uint64_t	t = sim_next_event(m, &ev, &i);

	if (ev != SIM_EV_NONE && sim_chance(m, 600))
		sim_run_until(m, t);
	else
		sim_run_until(m, m->now + sim_below(m, sim_chance(m, 100) ?
		    (uint32_t)(5 * SIM_S) : (uint32_t)(30 * SIM_MS)));
}

/* --- the run --------------------------------------------------------- */

/* Draw the configuration of the world and of the sink from the seed. */
static void
sim_setup(struct sim *m)
{
	struct sink_conf	*c = &m->conf;
	unsigned		 gaps, invalid, poison;
	int32_t			 p;

	m->rng = m->seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	m->rng ^= m->rng >> 29;
	if (m->rng == 0)
		m->rng = 1;
	(void)sim_rand(m);
	m->dedup = (m->seed & 1) != 0;
	m->race = (m->seed & 2) != 0;
	m->now = SIM_T0;
	sim_log_now = m->now;
	m->step = 0;

	c->topic = SIM_TOPIC;
	c->dialect = sim_chance(m, 500) ? SCHEMA_CURRENT : SCHEMA_LEGACY;
	c->limits.max_rows = 1 + sim_below(m, sim_chance(m, 300) ? 3 : 24);
	c->limits.max_bytes = 200 + sim_below(m, 3000);
	c->limits.max_delay_us = SIM_MS + sim_below(m, (uint32_t)(50 * SIM_MS));
	c->max_inflight = 1 + sim_below(m, 4);
	c->max_buffer_bytes = sim_chance(m, 600) ? 2 * c->limits.max_bytes +
	    sim_below(m, 6000) : 1024 * 1024;
	c->decode.max_message_bytes = SIM_MSG_MAX;
	c->decode.max_skew_ms = 300000;
	c->reject_raw_max = sim_chance(m, 200) ? 0 : sim_below(m, 200);
	/* Windows in half the seeds; at times ended by age too. */
	c->window_rows = sim_chance(m, 500) ? 0 : 1 + sim_below(m, 60);
	c->window_max_us = sim_chance(m, 500) ? 0 :
	    sim_range(m, 5 * SIM_MS, 2 * SIM_S);
	m->nparts = 1 + (int32_t)sim_below(m, SIM_MAXPARTS);
	m->burst_max = 1 + sim_below(m, SIM_BURST_MAX);
	m->commit_every = sim_range(m, 20 * SIM_MS, 5 * SIM_S);
	m->next_commit = m->now + m->commit_every;
	m->drain_timeout = sim_chance(m, 250) ? SIM_DRAIN_DEFAULT :
	    3600 * SIM_S;

	gaps = sim_chance(m, 300) ? 0 : sim_below(m, 150);
	invalid = sim_chance(m, 200) ? 0 : sim_below(m, 250);
	poison = sim_chance(m, 300) ? 0 : sim_below(m, 60);
	sim_make_logs(m, gaps, invalid, poison);

	if (sim_chance(m, 100))
		memset(&m->f, 0, sizeof m->f);
	else {
		m->f.neterr = sim_below(m, 40);
		m->f.e503 = sim_below(m, 80);
		m->f.e502 = sim_below(m, 20);
		m->f.e500 = sim_below(m, 30);
		m->f.timeout_before = sim_below(m, 40);
		m->f.timeout_after = sim_below(m, 60);
		m->f.slow = sim_below(m, 100);
		m->f.query_fail = sim_below(m, 100);
		m->f.commit_fail = sim_below(m, 300);
		m->f.crash_mid = sim_chance(m, 500) ? 0 : sim_below(m, 6);
	}
	m->w.consume = 300 + sim_below(m, 200);
	m->w.clock = 300 + sim_below(m, 200);
	m->w.tick = sim_below(m, 40);
	m->w.rebalance = sim_chance(m, 300) ? 0 : sim_below(m, 25);
	m->w.outage = sim_chance(m, 300) ? 0 : sim_below(m, 6);
	m->w.commit = sim_below(m, 30);
	m->w.crash = sim_chance(m, 200) ? 0 : sim_below(m, 10);
	m->w.term = sim_chance(m, 300) ? 0 : sim_below(m, 6);
	m->slack = sim_slack(m);

	for (p = 0; p < m->nparts; p++) {
		m->kp[p].committed = -1;
		m->tab[p].prefix = 0;
		sim_advance_prefix(m, p);
	}
	sim_trace(m, "seed %llu: %d partitions, %s, max_rows %u, max_bytes "
	    "%zu, delay %llu us, inflight %u, buffer %zu (+%zu), raw_max %zu, "
	    "dedup %s, dead inserts %s",
	    (unsigned long long)m->seed, m->nparts,
	    c->dialect == SCHEMA_CURRENT ? "current" : "legacy",
	    c->limits.max_rows, c->limits.max_bytes,
	    (unsigned long long)c->limits.max_delay_us, c->max_inflight,
	    c->max_buffer_bytes, m->slack, c->reject_raw_max,
	    m->dedup ? "on" : "off",
	    m->race ? "race the restart" : "finish before restart");
	for (p = 0; p < m->nparts; p++)
		sim_trace(m, "log p%d: offsets %lld..%lld", p,
		    (long long)m->log[p].start, (long long)m->log[p].end - 1);
}

/* One random step of the world. */
static void
sim_step(struct sim *m)
{
	const struct sim_weights *w = &m->w;
	unsigned		 r;

	if (!m->alive) {
		if (m->now >= m->down_until &&
		    (m->race || !sim_dead_pending(m)) && sim_chance(m, 500))
			sim_restart(m, sim_chance(m, 700));
		else
			sim_clock(m);
		sim_settle(m);
		return;
	}
	r = sim_below(m, w->consume + w->clock + w->tick + w->rebalance +
	    w->outage + w->commit + w->crash + w->term);
	if (r < w->consume)
		sim_consume(m);
	else if ((r -= w->consume) < w->clock)
		sim_clock(m);
	else if ((r -= w->clock) < w->tick) {
		sim_trace(m, "sink_tick at a random time");
		sink_tick(m->sk, m->now);
		sim_apply(m);
	} else if ((r -= w->tick) < w->rebalance)
		sim_rebalance(m);
	else if ((r -= w->rebalance) < w->outage) {
		if (!m->outage && !m->healthy) {
			m->outage = true;
			m->st.outages++;
			m->outage_end = m->now + sim_range(m, 100 * SIM_MS,
			    sim_chance(m, 300) ? SIM_OUTAGE_MAX : 10 * SIM_S);
			sim_trace(m, "clickhouse: outage for %llu us",
			    (unsigned long long)(m->outage_end - m->now));
		}
	} else if ((r -= w->outage) < w->commit)
		sim_autocommit(m);
	else if ((r -= w->commit) < w->crash) {
		sim_trace(m, "crash");
		m->die = SIM_CRASH;
	} else
		sim_sigterm(m);
	sim_settle(m);
}

/* Has everything been consumed, with no resume check open? */
static bool
sim_all_consumed(const struct sim *m)
{
	int32_t	p;

	for (p = 0; p < m->nparts; p++) {
		if (!m->kp[p].assigned || m->kp[p].position < m->log[p].end)
			return (false);
		if ((size_t)p < m->sk->nparts &&
		    m->sk->parts[p].state == SINK_PART_CHECKING)
			return (false);
	}
	return (true);
}

/*
 * The end: the process crashes or drains, the server finishes every
 * insert, a last process gets every partition, consumes everything with
 * ClickHouse answering every request, and drains.  A window that fails in
 * that drain (a poison tick in it) cannot be read again by a process that
 * no longer consumes: its rows are left uncommitted for the next start.
 * Then one more process does it all again, waiting this time until the
 * sink has nothing left before it stops.
 */
static void
sim_final(struct sim *m)
{
	int	 rounds, again;

	m->step = -1;
	sim_trace(m, "final phase");
	if (m->alive && m->drain == DRAIN_RUNNING && sim_chance(m, 500))
		sim_sigterm(m);
	else if (m->alive) {
		sim_trace(m, "crash");
		m->die = SIM_CRASH;
		sim_settle(m);
	}
	/* The drain under way ends (ClickHouse heals), or the deadline. */
	for (rounds = 0; m->alive && rounds < 200000; rounds++)
		sim_clock(m);
	if (m->alive)
		sim_fail(m, "the last drain does not end");
	m->healthy = true;
	m->outage = false;
	while (sim_dead_pending(m))
		sim_clock(m);
	for (again = 0; again < 2; again++) {
		m->window_lost_in_drain = false;
		m->healthy = true;	/* a process's end takes it away */
		m->outage = false;
		sim_restart(m, true);
		for (rounds = 0; !sim_all_consumed(m) ||
		    (again > 0 && !sink_is_idle(m->sk)); rounds++) {
			if (rounds > 200000)
				sim_fail(m, "consuming the rest does not end");
			if (sim_chance(m, 500))
				sim_consume(m);
			else
				sim_clock(m);
			if (!m->alive)
				sim_fail(m, "the last process died");
		}
		sim_sigterm(m);
		sim_settle(m);
		for (rounds = 0; m->alive; rounds++) {
			if (rounds > 200000)
				sim_fail(m, "the final drain does not end");
			sim_clock(m);
		}
		if (!m->drain_done)
			sim_fail(m, "the final drain did not finish (deadline "
			    "passed)");
		while (m->nops > 0)
			sim_clock(m);
		if (!m->window_lost_in_drain)
			break;
		sim_trace(m, "a window failed in the final drain: once more");
	}
}

/* The end state: every message once, in its table, committed to the end. */
static void
sim_check_end(struct sim *m)
{
	const struct sim_log	*l;
	const struct sim_tpart	*tp;
	int32_t			 p;
	int64_t			 o, want;
	unsigned		 t, r;

	for (p = 0; p < m->nparts; p++) {
		l = &m->log[p];
		tp = &m->tab[p];
		want = l->end;
		if (m->kp[p].committed != want)
			sim_fail(m, "p%d committed at %lld, log ends at %lld",
			    p, (long long)m->kp[p].committed, (long long)want);
		for (o = 0; o < SIM_MAXLOG; o++) {
			t = tp->ticks[o];
			r = tp->rejects[o];
			switch (l->kind[o]) {
			case SIM_GAP:
				if (t + r != 0)
					sim_fail(m, "p%d@%lld has rows but no "
					    "message", p, (long long)o);
				continue;
			case SIM_VALID:
				if (t >= 1 && r == 0)
					break;
				sim_known(m, tp->probe_lost[o],
				    SIM_BUG_PROBE_ROW0);
				sim_fail(m, "valid tick p%d@%lld: %u ticks "
				    "rows, %u rejects rows", p, (long long)o,
				    t, r);
			case SIM_POISON:
			case SIM_INVALID:
				if (t == 0 && r >= 1)
					break;
				sim_known(m, tp->probe_lost[o],
				    SIM_BUG_PROBE_ROW0);
				sim_fail(m, "%s message p%d@%lld: %u ticks "
				    "rows, %u rejects rows",
				    sim_kind_names[l->kind[o]], p,
				    (long long)o, t, r);
			}
			if (t + r > 1 && !tp->race[o]) {
				sim_known(m, tp->reject_revoked[o],
				    SIM_BUG_REJECT_REVOKED);
				sim_known(m, tp->stale_answer,
				    SIM_BUG_STALE_ANSWER);
				sim_fail(m, "p%d@%lld is there %u times", p,
				    (long long)o, t + r);
			}
			if (t + r > 1)
				m->st.duplicates += t + r - 1;
		}
	}
	if (!m->race && m->st.race_rows != 0)
		sim_fail(m, "race rows in a seed without the race");
}

/*
 * Run one seed: 0 when every invariant held, 1 on a failure, 2 on one put
 * down to a known core bug under --allow-known.
 */
static int
sim_run(uint64_t seed, int steps, bool verbose, bool allow_known,
    struct sim_stats *total)
{
	struct sim	*m;
	volatile int	 rc;
	bool		 ok;
	size_t		 i;

	m = calloc(1, sizeof *m);
	if (m == NULL)
		abort();
	m->seed = seed;
	m->steps = steps;
	m->verbose = verbose;
	m->allow_known = allow_known;
	sim_cur_seed = seed;
	sim_in_seed = 1;
	rc = setjmp(sim_jmp);
	ok = rc == 0;
	if (ok) {
		sim_setup(m);
		sim_restart(m, sim_chance(m, 700));
		for (m->step = 0; m->step < steps; m->step++)
			sim_step(m);
		m->st.steps = (uint64_t)steps;
		sim_final(m);
		sim_check_end(m);
		if (verbose)
			printf("seed %llu: ok: %llu messages, %llu inserts, "
			    "%llu probes, %llu resume checks, %llu crashes, "
			    "%llu drains, %llu rebalances, %llu outages, "
			    "%llu dedup drops, %llu late rows of dead "
			    "processes, %llu duplicates allowed\n",
			    (unsigned long long)seed,
			    (unsigned long long)m->st.messages,
			    (unsigned long long)m->st.inserts,
			    (unsigned long long)m->st.probes,
			    (unsigned long long)m->st.queries,
			    (unsigned long long)m->st.crashes,
			    (unsigned long long)m->st.drains,
			    (unsigned long long)m->st.rebalances,
			    (unsigned long long)m->st.outages,
			    (unsigned long long)m->st.deduped,
			    (unsigned long long)m->st.race_rows,
			    (unsigned long long)m->st.duplicates);
	}
	sim_in_seed = 0;
	if (rc == 2)
		total->known[m->bug]++;
	if (ok) {
		total->steps += m->st.steps;
		total->messages += m->st.messages;
		total->inserts += m->st.inserts;
		total->probes += m->st.probes;
		total->queries += m->st.queries;
		total->crashes += m->st.crashes;
		total->restarts += m->st.restarts;
		total->rebalances += m->st.rebalances;
		total->outages += m->st.outages;
		total->drains += m->st.drains;
		total->drains_expired += m->st.drains_expired;
		total->drains_over_default += m->st.drains_over_default;
		total->deduped += m->st.deduped;
		total->race_rows += m->st.race_rows;
		total->duplicates += m->st.duplicates;
		total->server_rejects += m->st.server_rejects;
		total->splits += m->st.splits;
		total->windows += m->st.windows;
		total->windows_landed += m->st.windows_landed;
		total->windows_failed += m->st.windows_failed;
		total->seeks += m->st.seeks;
		total->stale_stores += m->st.stale_stores;
		total->commits_back += m->st.commits_back;
		if (m->st.max_drain_us > total->max_drain_us)
			total->max_drain_us = m->st.max_drain_us;
		if (m->st.max_over > total->max_over)
			total->max_over = m->st.max_over;
	}
	sink_free(m->sk);
	for (i = 0; i < m->nops; i++) {
		free(m->ops[i]->rows);
		free(m->ops[i]);
	}
	free(m->ops);
	for (i = 0; i < m->npend; i++)
		free(m->pend[i].rows);
	free(m->pend);
	free(m->sent);
	free(m->rows);
	free(m->text);
	free(m);
	return (rc);
}

/* How to call. */
static void
sim_usage(void)
{
	fprintf(stderr, "usage: sim [--seeds N] [--first S] [--seed S] "
	    "[--steps K] [--allow-known] [-v]\n");
	exit(2);
}

/* A number argument. */
static uint64_t
sim_num(const char *s)
{
	char			*end;
	unsigned long long	 v;

	if (s == NULL)
		sim_usage();
	v = strtoull(s, &end, 10);
	if (*s == '\0' || *end != '\0')
		sim_usage();
	return ((uint64_t)v);
}

int
main(int argc, char **argv)
{
	struct sim_stats	 total;
	struct timespec		 t0, t1;
	uint64_t		 first = 1, nseeds = SIM_DEFAULT_SEEDS, s;
	uint64_t		 failed = 0, known = 0;
	bool			 verbose = false, allow_known = false;
	FILE			*devnull = NULL;
	int			 i;
	double			 secs;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seeds") == 0)
			nseeds = sim_num(argv[++i]);
		else if (strcmp(argv[i], "--first") == 0)
			first = sim_num(argv[++i]);
		else if (strcmp(argv[i], "--seed") == 0) {
			first = sim_num(argv[++i]);
			nseeds = 1;
		} else if (strcmp(argv[i], "--steps") == 0)
			sim_steps_arg = (int)sim_num(argv[++i]);
		else if (strcmp(argv[i], "--allow-known") == 0)
			allow_known = true;
		else if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else
			sim_usage();
	}
	/* The core's log lines join the trace under -v, else go nowhere. */
	if (verbose)
		log_open(0, LOG_STYLE_PLAIN, stdout, sim_log_wall_ms);
	else {
		devnull = fopen("/dev/null", "w");
		log_open(0, LOG_STYLE_PLAIN, devnull, sim_log_wall_ms);
	}
	atexit(sim_atexit);
	signal(SIGSEGV, sim_signal);
	signal(SIGABRT, sim_signal);
	signal(SIGBUS, sim_signal);
	signal(SIGFPE, sim_signal);

	memset(&total, 0, sizeof total);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (s = first; s < first + nseeds; s++) {
		switch (sim_run(s, sim_steps_arg, verbose, allow_known,
		    &total)) {
		case 1:
			failed++;
			break;
		case 2:
			known++;
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("sim: seeds %llu..%llu, %d steps each: %llu failed, %.1f s\n",
	    (unsigned long long)first,
	    (unsigned long long)(first + nseeds - 1), sim_steps_arg,
	    (unsigned long long)failed, secs);
	if (known > 0) {
		printf("sim: %llu seeds failed by known core bugs, allowed by "
		    "--allow-known (the first 3 of each shown above):\n",
		    (unsigned long long)known);
		for (i = 1; i < SIM_NBUGS; i++)
			if (total.known[i] > 0)
				printf("sim:   %llu x bug %d: %s\n",
				    (unsigned long long)total.known[i], i,
				    sim_bug_names[i]);
	}
	/* Totals over the seeds that passed. */
	printf("sim: over the seeds that passed: %llu messages, %llu inserts, "
	    "%llu probes, %llu resume checks, %llu outages\n",
	    (unsigned long long)total.messages,
	    (unsigned long long)total.inserts,
	    (unsigned long long)total.probes,
	    (unsigned long long)total.queries,
	    (unsigned long long)total.outages);
	printf("sim: %llu crashes, %llu restarts, %llu rebalances, %llu "
	    "drains (%llu expired)\n", (unsigned long long)total.crashes,
	    (unsigned long long)total.restarts,
	    (unsigned long long)total.rebalances,
	    (unsigned long long)total.drains,
	    (unsigned long long)total.drains_expired);
	printf("sim: longest drain after ClickHouse came up %.1f s; %llu "
	    "drains took over the default drain_timeout_ms (%llu s) with "
	    "ClickHouse up all along\n", (double)total.max_drain_us / 1e6,
	    (unsigned long long)total.drains_over_default,
	    (unsigned long long)(SIM_DRAIN_DEFAULT / SIM_S));
	printf("sim: %llu poison splits, %llu server rejects, %llu dedup "
	    "drops, at most %lld bytes over max_buffer_bytes\n",
	    (unsigned long long)total.splits,
	    (unsigned long long)total.server_rejects,
	    (unsigned long long)total.deduped, (long long)total.max_over);
	printf("sim: %llu windows: %llu answered 200, %llu failed; %llu "
	    "seeks to read partitions again\n",
	    (unsigned long long)total.windows,
	    (unsigned long long)total.windows_landed,
	    (unsigned long long)total.windows_failed,
	    (unsigned long long)total.seeks);
	printf("sim: %llu rows landed by dead processes after a newer "
	    "resume check, %llu duplicates from that (allowed)\n",
	    (unsigned long long)total.race_rows,
	    (unsigned long long)total.duplicates);
	printf("sim: %llu stores made before a revocation and carried out "
	    "after it (%llu commits moved back by them)\n",
	    (unsigned long long)total.stale_stores,
	    (unsigned long long)total.commits_back);
	if (devnull != NULL)
		fclose(devnull);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
