/*
 * ticksink: is the pipeline healthy?  The watchdog's decision, the STATUS=
 * line and the watchdog environment, as pure functions of their inputs.
 */
#ifndef HANDLERS_HEALTH_H
#define HANDLERS_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shortest watchdog ping interval we arm, whatever WATCHDOG_USEC says. */
#define HEALTH_WD_MIN_INTERVAL_US	1000

/* EXTEND_TIMEOUT_USEC is sent at most this often during a drain. */
#define HEALTH_EXTEND_GAP_US		1000000

enum health_state {
	HEALTH_STARTING,	/* ok: ClickHouse start-up, no consumer yet */
	HEALTH_IDLE,		/* ok: nothing to consume, nothing held */
	HEALTH_FLOWING,		/* ok: work waiting, and rows land */
	HEALTH_CH_DOWN,		/* ok: nothing lands, ClickHouse unreachable */
	HEALTH_DRAINING,	/* ok: draining within the deadline */
	HEALTH_STALLED,		/* work waiting, nothing landed for stall_us */
	HEALTH_POLL_STALE,	/* no consumer poll for poll_max_us */
	HEALTH_REQUEST_STUCK,	/* a request outlived its timeout */
	HEALTH_DRAIN_OVERDUE	/* the drain outlived its deadline */
};

/*
 * One look at the pipeline; times are monotonic microseconds.  The reactor
 * gathers them; nothing here reads a clock.
 */
struct health_input {
	uint64_t	now_us;
	uint64_t	last_poll_us;	/* last consumer poll; 0: none */
	uint64_t	last_landed_us;	/* rows last landed; 0: never */
	int64_t		lag;		/* not yet consumed; < 0 unknown */
	uint64_t	buffered_bytes;	/* consumed and not landed yet */
	uint64_t	oldest_request_us; /* oldest request's age; 0 none */
	bool		ch_reachable;	/* last request got an HTTP answer */
};

/* Thresholds, from the configuration. */
struct health_limits {
	uint64_t	stall_us;	/* work waiting with nothing landing */
	uint64_t	poll_max_us;	/* longest gap between consumer polls */
	uint64_t	request_max_us;	/* request timeout plus slack */
	uint64_t	drain_max_us;	/* drain deadline plus slack */
};

/* What the check remembers between looks.  Embedded; health_init it. */
struct health {
	enum health_state	 state;
	uint64_t		 work_since_us;	/* 0: nothing waiting */
	uint64_t		 drain_since_us;	/* 0: not draining */
	uint64_t		 extend_landed;	/* landed at the last EXTEND */
	uint64_t		 extend_at_us;	/* last EXTEND; 0: none yet */
};

/* Counters at one moment, for the rates of the STATUS= line. */
struct health_counters {
	uint64_t	at_us;
	uint64_t	messages;	/* consumed */
	uint64_t	rows_landed;	/* ticks in the table */
	uint64_t	rejects_landed;	/* rows in the rejects table */
};

/* The state machine. */
void		 health_init(struct health *);
enum health_state health_check(struct health *, const struct health_input *,
		     const struct health_limits *);
void		 health_drain_begin(struct health *, uint64_t now_us,
		     uint64_t landed);
uint64_t	 health_drain_extend(struct health *, uint64_t now_us,
		     uint64_t landed, uint64_t window_us);
uint64_t	 health_start_extend(enum health_state, bool ready,
		     uint64_t window_us);
bool		 health_is_ok(enum health_state);
const char	*health_state_name(enum health_state);

/* Reporting. */
/*
 * Writes one line for STATUS= and the logs into buf (size bytes, always
 * NUL-terminated when size > 0): the state, rates between prev and cur
 * (both borrowed), rejects, lag, buffered bytes and ClickHouse.  Returns
 * what snprintf would have written.
 */
int		 health_status(char *buf, size_t size, enum health_state,
		     const struct health_counters *prev,
		     const struct health_counters *cur, int64_t lag,
		     uint64_t buffered_bytes, bool ch_reachable);

/* The watchdog environment. */
/*
 * sd_watchdog_enabled() over strings: usec is WATCHDOG_USEC and pid
 * WATCHDOG_PID (either may be NULL when unset; both borrowed), self our
 * pid.  Returns 1 and sets *usec_out when the watchdog is on for us, 0 when
 * it is off (unset, or meant for another process), -1 when a value is
 * malformed.
 */
int		 health_watchdog_usec(const char *usec, const char *pid,
		     long self, uint64_t *usec_out);
/* The ping interval for a watchdog timeout: half of it, at least a floor. */
uint64_t	 health_watchdog_interval(uint64_t usec);

#endif /* HANDLERS_HEALTH_H */
