/*
 * ticksink: the diagnostics heartbeat, monitoring events and retention, as
 * pure functions: SQL builders, the heartbeat window, the once-per-episode
 * event tracker, the partition retention decision and histograms.
 */
#ifndef HANDLERS_DIAG_H
#define HANDLERS_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema.h"

/* Pending monitoring events kept while ClickHouse cannot take them. */
#define DIAG_EVENTS_MAX		64
#define DIAG_DETAIL_MAX		160
/* Rows need this long after their insert_time to be visible. */
#define DIAG_SETTLE_MS		1000
#define DIAG_HIST_MAX		16

/* The three heartbeat tables, in the order they are written. */
enum diag_table {
	DIAG_WS,
	DIAG_PROC,
	DIAG_UPTIME,
	DIAG_NTABLES
};

enum diag_event_kind {
	DIAG_EV_STARTED,
	DIAG_EV_CLOSING,
	DIAG_EV_WS_LAG,
	DIAG_EV_PROC_LAG,
	DIAG_EV_QUIET,
	DIAG_EV_STUCK,
	DIAG_EV_UNSTUCK,
	DIAG_EV_CH_DOWN,
	DIAG_EV_CH_UP,
	DIAG_NEVENTS
};

/* One event waiting to be written to monitoring_db. */
struct diag_event {
	enum diag_event_kind	 kind;
	int64_t			 at_ms;		/* UTC wall clock */
	char			 detail[DIAG_DETAIL_MAX];
};

/* Thresholds from [diagnostics]. */
struct diag_limits {
	uint32_t	ws_lag_ms;
	uint32_t	proc_lag_ms;
	uint32_t	empty_limit;	/* quiet heartbeats before an event */
};

/* One heartbeat's read-back: what was written for the window. */
struct diag_result {
	uint64_t	messages;
	double		ws_lag_ms;
	double		proc_lag_ms;
};

/*
 * The heartbeat and episode state.  Embedded in the reactor's context;
 * diag_init it.  Fields are read-only for callers.
 */
struct diag {
	enum schema_dialect	 dialect;
	struct diag_limits	 limits;
	int64_t			 win_start_ms;	/* next window's start */
	int64_t			 cur_start_ms;	/* window being written */
	int64_t			 cur_end_ms;
	bool			 active[DIAG_NEVENTS];	/* episodes open */
	uint32_t		 quiet_beats;
	bool			 stuck;
	bool			 ch_down;
	struct diag_event	 events[DIAG_EVENTS_MAX];	/* FIFO */
	size_t			 nevents;
	uint64_t		 events_dropped;
	uint64_t		 events_total[DIAG_NEVENTS];
};

/* A fixed-bucket histogram for Prometheus. */
struct diag_hist {
	size_t		 nbounds;
	double		 bounds[DIAG_HIST_MAX];	/* upper bounds, ascending */
	uint64_t	 counts[DIAG_HIST_MAX];	/* per bucket, not cumulative */
	uint64_t	 count;
	double		 sum;
};

/* Names. */
const char	*diag_event_name(enum diag_event_kind);
const char	*diag_table_name(enum diag_table);

/* Heartbeat. */
void		 diag_init(struct diag *, enum schema_dialect,
		     const struct diag_limits *, int64_t start_ms);
/*
 * Opens the window [previous end, now_ms - DIAG_SETTLE_MS), in whole seconds
 * on LEGACY (insert_time has second resolution there).  Returns false when
 * it would be empty.
 */
bool		 diag_window_open(struct diag *, int64_t now_ms);
/* All three rows of the window landed: the next window starts at its end. */
void		 diag_window_done(struct diag *);
/* INSERT ... SELECT for one table over the open window; allocated. */
char		*diag_heartbeat_sql(const struct diag *, enum diag_table,
		     const char *db, const char *ticks, const char *name);
/* The read-back of the open window's rows; allocated. */
char		*diag_result_sql(const struct diag *, const char *db,
		     const char *ws, const char *proc);
/* Parses "n\tws\tproc\n"; 0 or -1. body is borrowed. */
int		 diag_parse_result(const char *, size_t, struct diag_result *);

/* Episodes: each condition gives one event when it begins. */
void		 diag_event_add(struct diag *, enum diag_event_kind, int64_t,
		     const char *);
void		 diag_observe_window(struct diag *, int64_t,
		     const struct diag_result *);
void		 diag_observe_state(struct diag *, int64_t, bool ch_reachable,
		     bool stalled, uint64_t consumed);
/* INSERT of the first n pending events (n <= nevents); allocated. */
char		*diag_events_sql(const struct diag *, size_t, const char *db,
		     const char *name);
/* The first n pending events landed: forget them. */
void		 diag_events_sent(struct diag *, size_t);

/* Retention on servers without TTL. */
/* The partitions query: "table\tpartition\n" lines; allocated. */
char		*diag_parts_sql(const char *db, const char *const *tables,
		     size_t ntables);
/*
 * From the parts listing (borrowed) and a per-table retention in days
 * (days[i] for tables[i], 0 keeps everything), the ALTER TABLE ... DROP
 * PARTITION statements for partitions (YYYYMMDD) whose day ended more than
 * the retention before now_ms.  Returns the count and *out (allocated array
 * of allocated strings; caller frees each and the array); -1 on a
 * malformed listing.
 */
int		 diag_retention_drops(const char *, size_t, const char *db,
		     const char *const *tables, const unsigned *days,
		     size_t ntables, int64_t now_ms, char ***out);

/* Histograms. */
void		 diag_hist_init(struct diag_hist *, const double *, size_t);
void		 diag_hist_observe(struct diag_hist *, double);

#endif /* HANDLERS_DIAG_H */
