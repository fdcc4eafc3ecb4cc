/*
 * ticksink: the one service context, passed to every callback.
 */
#ifndef REACTOR_SVC_H
#define REACTOR_SVC_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>
#include <librdkafka/rdkafka.h>

#include "conf.h"
#include "diag.h"
#include "drain.h"
#include "endpoint.h"
#include "health.h"
#include "insert.h"
#include "schema.h"

struct event;
struct event_base;
struct http_req;
struct metrics;
struct sink;
struct sink_insert;
struct sink_window;


struct svc {
	struct event_base	*base;
	struct conf		*conf;
	struct sink		*sink;
	int			 exit_code;
	uint64_t		 started_us;

	/*
	 * ClickHouse: start-up conversation and request URLs, which are
	 * those of the current endpoint (ch_endpoint_away).
	 */
	struct schema_boot	 boot;
	struct event		*ev_boot_retry;
	unsigned		 boot_failures;
	char			**ch_urls;	/* conf_urls */
	size_t			 ch_nurls;
	struct endpoints	 ch_endpoints;
	char			*query_url;
	char			*insert_sql[2];	/* once the tables are known */
	char			*insert_url[2];
	struct curl_slist	*headers;	/* shared by every request */
	struct curl_slist	*stream_headers; /* the same, chunked */
	struct curl_slist	*gzip_headers;	/* chunked, gzip encoded */
	bool			 ch_ready;

	/* HTTP: curl multi on the loop. */
	CURLM			*multi;
	struct event		*ev_http_timer;
	unsigned		 http_running;
	TAILQ_HEAD(, http_req)	 http_reqs;	/* in flight, oldest first */
	bool			 http_read;	/* a streamed body was read */
	bool			 ch_reachable;	/* last answer was HTTP */

	/* Kafka consumer. */
	rd_kafka_t		*rk;
	rd_kafka_queue_t	*kq;
	int			 kpipe[2];
	struct event		*ev_kafka;
	struct event		*ev_kafka_nudge;	/* kafka_nudge_cb */
	struct event		*ev_kafka_defer;	/* pending: messages left queued */
	uint64_t		 kafka_reads_deferred;
	bool			 kafka_paused;
	bool			 kafka_closing;
	uint64_t		 last_poll_us;
	bool			 kafka_waiting;	/* for a free insert slot */
	/* The fetcher's queue limits; messages since the queue was empty. */
	int64_t			 kafka_queue_max_bytes;
	int64_t			 kafka_queue_min_msgs;
	int64_t			 kafka_burst_bytes;
	int64_t			 kafka_burst_msgs;
	uint64_t		 kafka_fetch_wakeups;
	unsigned		 kafka_nudges;	/* in a row, see kafka_nudge_cb */
	/*
	 * Per partition, the next offset to read: last polled + 1, a
	 * sought offset, or -1 (unknown).  librdkafka's own (rd_kafka_position)
	 * is forgotten at each seek, including kafka_wake_fetcher's.
	 */
	int64_t			*kafka_pos;
	size_t			 kafka_npos;
	int32_t			 kafka_resumed;	/* see kafka_resume_wake; -1 */

	/* Timers. */
	struct event		*ev_flush;
	struct event		*ev_kpoll;
	struct event		*ev_drain_deadline;

	/* systemd: readiness, watchdog, status (timers/watchdog.c). */
	struct event		*ev_wd;
	struct event		*ev_status;
	uint64_t		 wd_interval_us;	/* 0: no watchdog */
	struct health		 health;
	struct health_counters	 status_prev;
	bool			 ready_sent;

	/* Signals and the drain. */
	struct event		*ev_sigterm;
	struct event		*ev_sigint;
	enum drain_state	 drain;
	bool			 drain_requested;
	bool			 drain_expired;
	bool			 in_drain_step;

	/* Diagnostics heartbeat and monitoring events (timers/diag.c). */
	struct diag		 diag;
	bool			 diag_on;
	struct event		*ev_diag;
	unsigned		 diag_pending;	/* heartbeat requests out */
	bool			 diag_failed;	/* one of them failed */
	bool			 diag_events_out;
	size_t			 diag_events_sending;
	uint64_t		 diag_prev_messages;
	uint64_t		 diag_beats_ok;
	uint64_t		 diag_beats_failed;
	struct diag_result	 diag_last;

	/* Retention on servers without TTL (timers/retention.c). */
	struct event		*ev_retention;
	unsigned		 retention_out;
	uint64_t		 retention_dropped;
	uint64_t		 retention_runs;

	/* Metrics and health over HTTP (reactor/metrics.c). */
	struct metrics		*metrics;
};

/* loop.c */
uint64_t	loop_now_us(void);
int64_t		loop_wall_ms(void);
void		loop_event_add_us(struct event *, uint64_t);
void		loop_apply(struct svc *);
void		loop_drain_begin(struct svc *);
void		loop_drain_step(struct svc *);
void		loop_pipeline_start(struct svc *, enum schema_dialect);

/* http.c */
void		http_init(struct svc *);
void		http_free(struct svc *);
uint64_t	http_oldest_age_us(struct svc *, uint64_t);
void		http_post(struct svc *, const char *, const void *, size_t,
		    char *, void (*)(struct svc *, void *,
		    const struct insert_response *), void *);
/* Gives up to size bytes; 0 and *wait: none yet; 0 alone: the end. */
typedef size_t	http_read_fn(struct svc *, void *, char *, size_t, bool *);
/* Starts a body over from its first byte. */
typedef void	http_rewind_fn(void *);
void		http_post_read(struct svc *, const char *, size_t,
		    http_read_fn *, http_rewind_fn *, void *, char *,
		    void (*)(struct svc *, void *,
		    const struct insert_response *), void *);
struct http_req	*http_stream(struct svc *, const char *, http_read_fn *,
		    void *, void (*)(struct svc *, void *,
		    const struct insert_response *), void *);
void		http_resume(struct http_req *);

/* ch.c */
void		ch_init(struct svc *);
void		ch_free(struct svc *);
void		ch_boot_start(struct svc *);
void		ch_insert(struct svc *, struct sink_insert *);
void		ch_probe(struct svc *, struct sink_insert *);
void		ch_stream(struct svc *, struct sink_window *);
void		ch_landed_query(struct svc *, uint64_t);
void		ch_endpoint_away(struct svc *, size_t, const char *);

/* kafka.c */
int		kafka_conf_check(const struct conf *, char **);
void		kafka_start(struct svc *);
void		kafka_serve(struct svc *, bool);
void		kafka_serve_deferred(struct svc *);
void		kafka_store(struct svc *, int32_t, int64_t);
void		kafka_seek(struct svc *, int32_t, int64_t);
void		kafka_pause(struct svc *, bool);
void		kafka_pause_one(struct svc *, int32_t, bool);
void		kafka_resume_wake(struct svc *);
void		kafka_close(struct svc *);
bool		kafka_is_closed(struct svc *);
void		kafka_free(struct svc *);
int64_t		kafka_lag(struct svc *);
int		kafka_lag_each(struct svc *,
		    void (*)(void *, int32_t, int64_t, int64_t),
		    void *);

/* metrics.c */
void		metrics_init(struct svc *);
void		metrics_free(struct svc *);
void		metrics_insert_done(struct svc *, uint64_t, unsigned);

/* sig.c */
void		sig_init(struct svc *);
void		sig_free(struct svc *);

/* timers/ */
void		timer_flush_init(struct svc *);
void		timer_flush_arm(struct svc *, uint64_t);
void		timer_kpoll_start(struct svc *);
void		timer_free(struct svc *);
void		timer_watchdog_init(struct svc *);
void		timer_watchdog_assigned(struct svc *);
void		timer_watchdog_drain(struct svc *);
void		timer_watchdog_progress(struct svc *);
void		timer_watchdog_free(struct svc *);
void		timer_diag_start(struct svc *);
void		timer_diag_closing(struct svc *);
bool		timer_diag_is_busy(struct svc *);
void		timer_diag_free(struct svc *);
void		timer_retention_start(struct svc *);
void		timer_retention_free(struct svc *);

#endif /* REACTOR_SVC_H */
