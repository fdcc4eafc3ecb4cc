/*
 * ticksink: the Kafka consumer on the event loop.
 *
 * librdkafka runs its own threads; we add none.  Its consumer queue is tied
 * to the loop with rd_kafka_queue_io_event_enable(): librdkafka writes a byte
 * to our pipe when the queue goes from empty to non-empty, and the loop then
 * polls the queue with a zero timeout.  The byte is written only on that
 * transition (rd_kafka_q_io_event, cleared by rd_kafka_q_mark_served), so a
 * wake-up that leaves messages behind must re-activate itself, and the kpoll
 * timer polls now and then in case a wake-up was missed.  In the steady
 * state a wake-up whose messages the sink needs only at its batch's
 * deadline leaves them queued (kafka_defer): with the queue not polled,
 * librdkafka rings no more until they are read.
 *
 * Offsets are never stored automatically (enable.auto.offset.store=false):
 * the sink says which offsets are safe once ClickHouse has the rows, and
 * librdkafka's auto-commit then commits what was stored.
 */

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "log.h"
#include "sink.h"
#include "svc.h"
#include "xmalloc.h"

#define KAFKA_POLL_BUDGET	5000	/* messages per wake-up */
#define KAFKA_NUDGE_MS		50	/* see kafka_nudge_cb */
#define KAFKA_NUDGE_MAX		20	/* in a row with no message between */
#define KAFKA_DEFER_MAX_MS	1000	/* polls stay this close (timers/kpoll.c) */

static void	kafka_set(rd_kafka_conf_t *, const char *, const char *);
static bool	kafka_defer(struct svc *);
static void	kafka_defer_cb(evutil_socket_t, short, void *);
static void	kafka_read(struct svc *, bool);
static void	kafka_rebalance_cb(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);
static void	kafka_error_cb(rd_kafka_t *, int, const char *, void *);
static void	kafka_log_cb(const rd_kafka_t *, int, const char *,
		    const char *);
static void	kafka_pause_list(struct svc *,
		    rd_kafka_topic_partition_list_t *, bool);
static void	kafka_resumed_note(struct svc *,
		    rd_kafka_topic_partition_list_t *);
static void	kafka_fatal_cb(evutil_socket_t, short, void *);
static void	kafka_wakeup_cb(evutil_socket_t, short, void *);
static void	kafka_message(struct svc *, rd_kafka_message_t *, uint64_t,
		    int64_t);
static void	kafka_tell_sink(struct svc *,
		    const rd_kafka_topic_partition_list_t *, bool);
static int64_t	kafka_get_int(rd_kafka_conf_t *, const char *);
static void	kafka_malloc_fit(rd_kafka_conf_t *);
static void	kafka_fit_message_max(rd_kafka_conf_t *,
		    const struct conf *);
static void	kafka_seek_cb(void *, int32_t, int64_t, int64_t);
static bool	kafka_seek_one(struct svc *, int32_t, int64_t, const char *);
static bool	kafka_wake_fetcher(struct svc *, const char *);
static bool	kafka_backlog_end(struct svc *);
static void	kafka_pos_set(struct svc *, int32_t, int64_t);
static void	kafka_nudge_arm(struct svc *);
static void	kafka_nudge_cb(evutil_socket_t, short, void *);

/*
 * Set one librdkafka property; false, with librdkafka's explanation in
 * *cause (allocated), if it is refused.
 */
static bool
kafka_try_set(rd_kafka_conf_t *kc, const char *key, const char *value,
    char **cause)
{
	char	errstr[512];

	if (rd_kafka_conf_set(kc, key, value, errstr, sizeof errstr) ==
	    RD_KAFKA_CONF_OK)
		return (true);
	xasprintf(cause, "[kafka] %s = '%s': %s", key,
	    conf_is_secret_key(key) ? "********" : value, errstr);
	return (false);
}

/* Set one librdkafka property that ticksink chose itself. */
static void
kafka_set(rd_kafka_conf_t *kc, const char *key, const char *value)
{
	char	*cause;

	if (!kafka_try_set(kc, key, value, &cause))
		fatalx("config: %s", cause);
}

/* Read back an integer property of kc (set by us, the user or defaulted). */
static int64_t
kafka_get_int(rd_kafka_conf_t *kc, const char *key)
{
	char	value[64];
	size_t	size = sizeof value;

	if (rd_kafka_conf_get(kc, key, value, &size) != RD_KAFKA_CONF_OK)
		fatalx("kafka: no property %s", key);
	return (strtoll(value, NULL, 10));
}

/*
 * librdkafka refuses a fetch.max.bytes below message.max.bytes (a
 * producer's bound, 1000000 by default, that a consumer does not use):
 * unless the user set it, it follows fetch.max.bytes down.
 */
static void
kafka_fit_message_max(rd_kafka_conf_t *kc, const struct conf *c)
{
	char	value[32];
	int64_t	fetch_max;
	size_t	i;

	fetch_max = kafka_get_int(kc, "fetch.max.bytes");
	for (i = 0; i < c->kafka_nprops; i++) {
		if (strcmp(c->kafka_props[i].key, "message.max.bytes") == 0)
			return;
	}
	if (kafka_get_int(kc, "message.max.bytes") <= fetch_max)
		return;
	/* Not below its own minimum: rd_kafka_new then names fetch.max.bytes. */
	snprintf(value, sizeof value, "%lld",
	    (long long)(fetch_max < 1000 ? 1000 : fetch_max));
	kafka_set(kc, "message.max.bytes", value);
}

/*
 * Keep librdkafka's fetch buffers on the heap.  Each fetch response is
 * read into one buffer of its size, which lives until the last of its
 * messages is destroyed: at most fetch.max.bytes, or one record batch
 * (at most message.max.bytes) more when the first is larger.  A buffer
 * above glibc's mmap threshold is mapped afresh and unmapped on free, so
 * the kernel zeroes and faults in every page of every response: 40% of
 * ticksink's CPU at catch-up on this project's VMs, where page faults are
 * dear.  With the threshold fixed above the largest response, freed
 * buffers are reused from the heap, and the trim threshold at twice that
 * (glibc's own ratio when it moves the threshold itself) keeps the heap's
 * top from being given back and faulted in again at every response.
 * glibc takes no threshold above 32 MiB; past that it keeps moving its
 * own.
 */
static void
kafka_malloc_fit(rd_kafka_conf_t *kc)
{
	int64_t	most;

	most = kafka_get_int(kc, "fetch.max.bytes") +
	    kafka_get_int(kc, "message.max.bytes");
	if (most > 32 * 1024 * 1024)
		return;
	/* Refused where malloc is not glibc's (ASan, a preloaded one). */
	(void)mallopt(M_MMAP_THRESHOLD, (int)most);
	(void)mallopt(M_TRIM_THRESHOLD, (int)most * 2);
}

/*
 * The consumer's configuration: ticksink's settings, then the user's
 * [kafka] properties over them.  NULL, with *cause set, if librdkafka
 * refuses one of them.
 */
static rd_kafka_conf_t *
kafka_conf_new(const struct conf *c, char **cause)
{
	rd_kafka_conf_t	*kc;
	size_t		 i;

	kc = rd_kafka_conf_new();
	kafka_set(kc, "bootstrap.servers", c->kafka_brokers);
	kafka_set(kc, "group.id", c->kafka_group);
	kafka_set(kc, "enable.auto.offset.store", "false");
	kafka_set(kc, "enable.auto.commit", "true");
	kafka_set(kc, "auto.offset.reset", "earliest");
	kafka_set(kc, "partition.assignment.strategy", "cooperative-sticky");
	/*
	 * Memory: librdkafka holds at most this much prefetched (the
	 * fetcher stops there, see kafka_wake_fetcher), in fetch responses
	 * of at most fetch.max.bytes each, which the messages of them keep
	 * alive; both beat the defaults of 64 and 50 MiB by far at
	 * catch-up speed (bench/RESULTS.md).  Responses of half the limit
	 * let the fetcher bring in the next while the loop drains one.
	 * Users may override both.
	 */
	kafka_set(kc, "queued.max.messages.kbytes", "1024");
	kafka_set(kc, "fetch.max.bytes", "524288");
	/*
	 * A broker holds a fetch that finds nothing until this long has
	 * passed, and librdkafka sends a broker no other fetch meanwhile
	 * (rkb_fetching).  When that fetch holds only partitions read to
	 * their end, partitions resumed after their resume check or sought
	 * to wake the fetcher wait for it: with the default 500 ms, the
	 * last 40% of a 100,000-tick backlog over 640 partitions came half
	 * a second late.  100 ms bounds that wait at ten empty fetches a
	 * second when the topic is quiet.
	 */
	kafka_set(kc, "fetch.wait.max.ms", "100");
	for (i = 0; i < c->kafka_nprops; i++) {
		if (!kafka_try_set(kc, c->kafka_props[i].key,
		    c->kafka_props[i].value, cause)) {
			rd_kafka_conf_destroy(kc);
			return (NULL);
		}
	}
	kafka_fit_message_max(kc, c);
	return (kc);
}

/*
 * Check the [kafka] properties at start (and for --check-config), before
 * anything waits on the network: a value librdkafka refuses stops ticksink
 * with its explanation.  Properties that only clash with one another are
 * refused later, when the consumer is created.
 */
int
kafka_conf_check(const struct conf *c, char **cause)
{
	rd_kafka_conf_t	*kc;

	if ((kc = kafka_conf_new(c, cause)) == NULL)
		return (-1);
	rd_kafka_conf_destroy(kc);
	return (0);
}

/* Create the consumer, wire its queue to the loop, subscribe. */
void
kafka_start(struct svc *svc)
{
	struct conf				*c = svc->conf;
	rd_kafka_conf_t				*kc;
	rd_kafka_topic_partition_list_t		*topics;
	rd_kafka_resp_err_t			 err;
	char					 errstr[512], *cause;

	svc->kafka_resumed = -1;
	if ((kc = kafka_conf_new(c, &cause)) == NULL)
		fatalx("config: %s", cause);
	svc->kafka_queue_max_bytes =
	    kafka_get_int(kc, "queued.max.messages.kbytes") * 1024;
	svc->kafka_queue_min_msgs = kafka_get_int(kc, "queued.min.messages");
	kafka_malloc_fit(kc);	/* before rd_kafka_new starts its threads */
	rd_kafka_conf_set_opaque(kc, svc);
	rd_kafka_conf_set_rebalance_cb(kc, kafka_rebalance_cb);
	rd_kafka_conf_set_error_cb(kc, kafka_error_cb);
	/* librdkafka's own log lines come through our queue and logger. */
	kafka_set(kc, "log.queue", "true");
	rd_kafka_conf_set_log_cb(kc, kafka_log_cb);
	svc->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr, sizeof errstr);
	if (svc->rk == NULL)
		fatalx("kafka: %s", errstr);
	kc = NULL;	/* rd_kafka_new owns it now */

	rd_kafka_set_log_queue(svc->rk, NULL);
	rd_kafka_poll_set_consumer(svc->rk);
	svc->kq = rd_kafka_queue_get_consumer(svc->rk);
	if (pipe2(svc->kpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe2");
	rd_kafka_queue_io_event_enable(svc->kq, svc->kpipe[1], "1", 1);
	svc->ev_kafka = event_new(svc->base, svc->kpipe[0],
	    EV_READ | EV_PERSIST, kafka_wakeup_cb, svc);
	event_add(svc->ev_kafka, NULL);
	svc->ev_kafka_nudge = evtimer_new(svc->base, kafka_nudge_cb, svc);
	svc->ev_kafka_defer = evtimer_new(svc->base, kafka_defer_cb, svc);

	topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, c->kafka_topic,
	    RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(svc->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		fatalx("kafka: subscribe to %s: %s", c->kafka_topic,
		    rd_kafka_err2str(err));
	svc->last_poll_us = loop_now_us();
	timer_kpoll_start(svc);
	log_info("kafka: consuming %s at %s as group %s", c->kafka_topic,
	    c->kafka_brokers, c->kafka_group);
}

/* Tell the sink which partitions came or went. */
static void
kafka_tell_sink(struct svc *svc,
    const rd_kafka_topic_partition_list_t *parts, bool assigned)
{
	int	i;

	for (i = 0; i < parts->cnt; i++) {
		log_info("kafka: %s %s/%d", assigned ? "assigned" : "revoked",
		    parts->elems[i].topic, parts->elems[i].partition);
		kafka_pos_set(svc, parts->elems[i].partition, -1);
		if (assigned)
			sink_assign(svc->sink, parts->elems[i].partition);
		else
			sink_revoke(svc->sink, parts->elems[i].partition);
	}
}

/*
 * Rebalance callback (rd_kafka_conf_set_rebalance_cb); runs inside our own
 * polls, on the loop's thread.  Cooperative protocols add and remove
 * partitions incrementally, eager ones replace the whole assignment.
 */
static void
kafka_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct svc	*svc = opaque;
	bool		 coop, assign;
	rd_kafka_error_t *error = NULL;

	coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
	if (!assign && err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
		log_warnx("kafka: rebalance error: %s", rd_kafka_err2str(err));
		assign = false;
	}
	kafka_tell_sink(svc, parts, assign);
	if (coop)
		error = assign ? rd_kafka_incremental_assign(rk, parts) :
		    rd_kafka_incremental_unassign(rk, parts);
	else
		rd_kafka_assign(rk, assign ? parts : NULL);
	if (error != NULL) {
		log_warnx("kafka: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	if (assign && svc->kafka_paused)
		rd_kafka_pause_partitions(rk, parts);
	if (assign)
		timer_watchdog_assigned(svc);
}

/*
 * Log callback (rd_kafka_conf_set_log_cb), served from our queue on the
 * loop's thread.  Errors also reach kafka_error_cb, which logs them, so
 * librdkafka's lines are debug detail.
 */
static void
kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
    const char *buf)
{
	(void)rk;
	log_debug("kafka: %s(%d): %s", fac, level, buf);
}

/*
 * Error callback (rd_kafka_conf_set_error_cb).  A fatal error ends the
 * consumer: drain and exit 1.  Anything else is logged; librdkafka recovers
 * by itself.
 */
static void
kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct svc	*svc = opaque;
	struct timeval	 now = { 0, 0 };
	char		 why[512];

	if (err != RD_KAFKA_RESP_ERR__FATAL) {
		log_warnx("kafka: %s: %s", rd_kafka_err2name(err), reason);
		return;
	}
	rd_kafka_fatal_error(rk, why, sizeof why);
	log_warnx("kafka: fatal: %s; draining", why);
	svc->exit_code = 1;
	/* Not from inside librdkafka's poll: on the next loop pass. */
	event_base_once(svc->base, -1, EV_TIMEOUT, kafka_fatal_cb, svc, &now);
}

/* Deferred from kafka_error_cb: begin the drain. */
static void
kafka_fatal_cb(evutil_socket_t fd, short kind, void *arg)
{
	(void)fd;
	(void)kind;
	loop_drain_begin(arg);
}

/* One message or consumer event from the queue, at the poll's clocks. */
static void
kafka_message(struct svc *svc, rd_kafka_message_t *m, uint64_t now_us,
    int64_t wall_ms)
{
	struct sink_msg		sm;
	rd_kafka_timestamp_type_t tstype;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		/* Only if enabled under [kafka]; see kafka_backlog_end. */
		sink_caught_up(svc->sink, m->partition, now_us);
		return;
	}
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_warnx("kafka: %s", rd_kafka_message_errstr(m));
		return;
	}
	if (svc->drain >= DRAIN_CLOSING_CONSUMER)
		return;		/* not stored, so delivered again */
	kafka_pos_set(svc, m->partition, m->offset + 1);
	sm.partition = m->partition;
	sm.offset = m->offset;
	sm.timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
	sm.payload = m->payload;
	sm.len = m->len;
	sink_message(svc->sink, &sm, now_us, wall_ms);
}

/* Read the consumer queue, unless its messages can wait (kafka_defer). */
void
kafka_serve(struct svc *svc, bool backpressure)
{
	if (svc->rk != NULL && !kafka_defer(svc))
		kafka_read(svc, backpressure);
}

/*
 * Whether to leave the queue's messages for now: the sink needs them only
 * at the deadline of its open batch (sink_read_by), while the queue stays
 * under half its limits at the feed's rate.  They are read then, by
 * ev_kafka_defer, or first thing when the flush timer runs for that
 * deadline (kafka_serve_deferred); a wake-up meanwhile changes nothing.
 * Never while the consumer closes or the service drains.  At 5,000
 * ticks/s this leaves about 30 loop wake-ups a second of about 110, and
 * spares librdkafka's broker thread a pipe write per fetch response.
 */
static bool
kafka_defer(struct svc *svc)
{
	uint64_t	now, by;

	if (svc->kafka_closing || svc->drain_requested)
		return (false);
	now = loop_now_us();
	by = sink_read_by(svc->sink, now,
	    (uint64_t)svc->kafka_queue_max_bytes / 2,
	    (uint64_t)svc->kafka_queue_min_msgs / 2);
	if (by <= now)
		return (false);
	if (evtimer_pending(svc->ev_kafka_defer, NULL))
		return (true);		/* the first timer stands */
	if (by - now > KAFKA_DEFER_MAX_MS * 1000)
		by = now + KAFKA_DEFER_MAX_MS * 1000;
	loop_event_add_us(svc->ev_kafka_defer, by - now);
	svc->kafka_reads_deferred++;
	return (true);
}

/* The time kafka_defer set came: read what it left. */
static void
kafka_defer_cb(evutil_socket_t fd, short kind, void *arg)
{
	(void)fd;
	(void)kind;
	kafka_read(arg, true);
}

/* Read what kafka_defer left, now: its batch is about to close. */
void
kafka_serve_deferred(struct svc *svc)
{
	if (svc->rk != NULL && evtimer_pending(svc->ev_kafka_defer, NULL))
		kafka_read(svc, true);
}

/*
 * Poll the consumer queue until it is empty or the budget is spent; in the
 * latter case come back on the next loop pass, since librdkafka will not
 * ring again for messages already queued.  With backpressure, stop while
 * the sink is saturated: the messages wait in librdkafka's bounded queue
 * (its fetcher stops at queued.max.messages.kbytes) rather than in our
 * batches, and loop_apply comes back here once an answer frees a slot.
 *
 * One message per rd_kafka_consumer_poll, although the batch call would
 * save a clock reading and a queue pop per message (about 4% of our CPU
 * at catch-up speed): librdkafka before 2.1.0 (Debian 12 has 2.0.2) lets
 * rd_kafka_consume_batch_queue advance a partition's position for each
 * message it collects and then drop them when a pause, resume or seek
 * takes effect within the same call, so the partition resumes past
 * messages nobody saw (confluentinc/librdkafka#4208).
 */
static void
kafka_read(struct svc *svc, bool backpressure)
{
	rd_kafka_message_t	*m;
	int64_t			 wall_ms;
	int			 n;
	char			 why[64];

	evtimer_del(svc->ev_kafka_defer);	/* what kafka_defer left is read */
	/* One reading of the clocks for the whole poll (at most a few ms). */
	svc->last_poll_us = loop_now_us();
	wall_ms = loop_wall_ms();
	svc->kafka_waiting = false;
	for (n = 0; n < KAFKA_POLL_BUDGET; n++) {
		if (backpressure && sink_saturated(svc->sink)) {
			svc->kafka_waiting = true;	/* see loop_apply */
			break;
		}
		if ((m = rd_kafka_consumer_poll(svc->rk, 0)) == NULL)
			break;
		svc->kafka_burst_bytes += (int64_t)m->len;
		svc->kafka_burst_msgs++;
		kafka_message(svc, m, svc->last_poll_us, wall_ms);
		rd_kafka_message_destroy(m);
	}
	sink_polled(svc->sink, svc->last_poll_us);
	if (n == KAFKA_POLL_BUDGET)
		event_active(svc->ev_kafka, EV_READ, 0);
	loop_apply(svc);
	if (n == KAFKA_POLL_BUDGET || svc->kafka_waiting)
		return;
	/*
	 * The queue ran empty.  Had the fetcher stopped at its limit, all
	 * that was queued then came out since the queue was last empty: a
	 * run as large as the limit (kafka_wake_fetcher; 3/4 of it, as
	 * messages of a partition sought since are counted there until
	 * dropped).  A shorter run is a fetcher that did not stop: it holds
	 * one response while the loop drains the other, and a seek would
	 * only throw away part of the response in flight.
	 */
	if (svc->kafka_burst_bytes * 4 >= svc->kafka_queue_max_bytes * 3 ||
	    svc->kafka_burst_msgs * 4 >= svc->kafka_queue_min_msgs * 3) {
		snprintf(why, sizeof why, "after %lld messages",
		    (long long)svc->kafka_burst_msgs);
		kafka_wake_fetcher(svc, why);
	} else if (svc->kafka_burst_msgs > 0 && sink_windowing(svc->sink) &&
	    kafka_backlog_end(svc)) {
		kafka_wake_fetcher(svc, "with partitions not fetched yet");
	}
	if (svc->kafka_burst_msgs > 0)
		svc->kafka_nudges = 0;
	svc->kafka_burst_bytes = svc->kafka_burst_msgs = 0;
	kafka_nudge_arm(svc);
}

/* What kafka_seek_cb finds: the partition to seek, and the lag in all. */
struct kafka_seek {
	int32_t	partition;	/* -1: none */
	int64_t	position;
	int64_t	least_lag;
	int64_t	lag;
	int	known;		/* partitions with a position and watermark */
};

/* kafka_lag_each: keep the partition with the least lag. */
static void
kafka_seek_cb(void *arg, int32_t partition, int64_t position, int64_t lag)
{
	struct kafka_seek	*ks = arg;

	ks->lag += lag;
	ks->known++;
	if (ks->partition < 0 || lag < ks->least_lag) {
		ks->partition = partition;
		ks->position = position;
		ks->least_lag = lag;
	}
}

/* What kafka_end_cb finds: kafka_seek_cb's sums, for the sink of svc. */
struct kafka_end {
	struct svc		*svc;
	struct kafka_seek	 ks;
};

/* kafka_lag_each: a partition read up to its high watermark is caught up. */
static void
kafka_end_cb(void *arg, int32_t partition, int64_t position, int64_t lag)
{
	struct kafka_end	*ke = arg;

	kafka_seek_cb(&ke->ks, partition, position, lag);
	if (lag == 0)
		sink_caught_up(ke->svc->sink, partition, ke->svc->last_poll_us);
}

/*
 * In a backlog the queue ran empty after a short run: tell the sink which
 * partitions are read to their high watermark, so that the backlog's
 * window ends as soon as all are.  (librdkafka's partition EOF would say
 * so too, but a seek of kafka_wake_fetcher can swallow it, and with it
 * on, steady state costs 0.2% of a core more: an event per partition and
 * fetch.  It is off unless set under [kafka]; then it is used too.)
 * True if every partition read so far is read to its end while some gave
 * no message yet: the fetcher then sleeps on those (it fetches partitions
 * in turn, so at the end of a backlog of many partitions the last ones
 * come one queueful at a time) and waiting for kafka_nudge_cb would idle
 * 50 ms per queueful.  (A partition with nothing new since its commit
 * looks the same; it costs a seek per short run until the window ends.)
 */
static bool
kafka_backlog_end(struct svc *svc)
{
	struct kafka_end	ke = { svc, { -1, 0, 0, 0, 0 } };
	int			assigned;

	assigned = kafka_lag_each(svc, kafka_end_cb, &ke);
	loop_apply(svc);
	return (ke.ks.lag == 0 && ke.ks.known < assigned);
}

/* (Re)start the nudge timer: it fires once the queue stays empty. */
static void
kafka_nudge_arm(struct svc *svc)
{
	struct timeval	tv = { 0, KAFKA_NUDGE_MS * 1000 };

	evtimer_add(svc->ev_kafka_nudge, &tv);
}

/*
 * The queue ran empty KAFKA_NUDGE_MS ago and nothing came since.  While
 * Kafka has more for us, the fetcher sleeps when it should not: at times
 * librdkafka 2.0.2 takes up a seek (above) and still fetches nothing until
 * its one-second timeout.  Wake it again, and again after as long, until
 * messages come or there is nothing left to read, but not for longer than
 * that timeout: a partition that never gave a message (nothing new since
 * its commit) has no known lag, and would otherwise be taken for one with
 * more to read, a seek every 50 ms for as long as the market is quiet.
 * Messages waiting in the queue (the sink is saturated, or the loop is
 * about to read them) are no sleeping fetcher.
 */
static void
kafka_nudge_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct svc	*svc = arg;
	char		 why[64];

	(void)fd;
	(void)kind;
	if (svc->kafka_waiting || rd_kafka_queue_length(svc->kq) > 0)
		return;
	if (sink_windowing(svc->sink))
		(void)kafka_backlog_end(svc);
	if (svc->kafka_nudges >= KAFKA_NUDGE_MAX)
		return;
	snprintf(why, sizeof why, "after %d ms without messages",
	    KAFKA_NUDGE_MS);
	if (kafka_wake_fetcher(svc, why)) {
		svc->kafka_nudges++;
		kafka_nudge_arm(svc);
	}
}

/*
 * The consumer queue ran empty after a run of messages about as large as the
 * fetcher's queue limit (queued.max.messages.kbytes, queued.min.messages).
 * At that limit librdkafka 2.0's broker thread stops fetching, and looks
 * again only when something wakes it: a response, an operation, or its
 * one-second timeout (later versions have fetch.queue.backoff.ms for this).
 * Draining a backlog through a small queue would then idle up to a second
 * per queueful.  So, while Kafka has more for us (or a partition has not
 * been read at all, so its lag is unknown), seek one partition to its
 * own position: that is where it continues anyway (every message polled
 * went to the sink and none was polled since, so the position is exact, and
 * the seek's version barrier drops any older prefetched message of it), and
 * a seek is an operation for the broker thread, which wakes and decides
 * again for every partition it leads.  The partition with the least lag is
 * taken, so that a fetch in flight after all loses the least.
 */
static bool
kafka_wake_fetcher(struct svc *svc, const char *why)
{
	struct kafka_seek	ks = { -1, 0, 0, 0, 0 };
	int			assigned;

	if (svc->rk == NULL || svc->kafka_paused ||
	    svc->drain >= DRAIN_CLOSING_CONSUMER)
		return (false);
	/* Nothing more to read, unless a partition was never fetched yet. */
	assigned = kafka_lag_each(svc, kafka_seek_cb, &ks);
	if (ks.partition < 0 || (ks.lag == 0 && ks.known == assigned))
		return (false);
	if (!kafka_seek_one(svc, ks.partition, ks.position,
	    "to wake the fetcher"))
		return (false);
	svc->kafka_fetch_wakeups++;
	log_debug("%s: %s/%d@%lld %s, lag %lld", __func__,
	    svc->conf->kafka_topic, ks.partition, (long long)ks.position, why,
	    (long long)ks.lag);
	return (true);
}

/*
 * Seek partition p to offset without waiting (a seek is an operation for
 * its broker thread, which wakes it); false, logged with why, on failure.
 */
static bool
kafka_seek_one(struct svc *svc, int32_t p, int64_t offset, const char *why)
{
	rd_kafka_topic_partition_list_t	*l;
	rd_kafka_error_t		*error;

	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, svc->conf->kafka_topic,
	    p)->offset = offset;
	error = rd_kafka_seek_partitions(svc->rk, l, 0);
	rd_kafka_topic_partition_list_destroy(l);
	if (error == NULL)
		return (true);
	log_warnx("kafka: seek %s: %s", why, rd_kafka_error_string(error));
	rd_kafka_error_destroy(error);
	return (false);
}

/* The queue's pipe is readable: empty it, then serve the queue. */
static void
kafka_wakeup_cb(evutil_socket_t fd, short kind, void *arg)
{
	char	junk[64];

	(void)kind;
	while (read(fd, junk, sizeof junk) > 0)
		continue;
	kafka_serve(arg, true);
}

/* Note the next offset to read of partition p (-1: unknown). */
static void
kafka_pos_set(struct svc *svc, int32_t p, int64_t next)
{
	size_t	n;

	if (p < 0)
		return;
	if ((size_t)p >= svc->kafka_npos) {
		n = (size_t)p + 64;
		svc->kafka_pos = xreallocarray(svc->kafka_pos, n,
		    sizeof *svc->kafka_pos);
		while (svc->kafka_npos < n)
			svc->kafka_pos[svc->kafka_npos++] = -1;
	}
	svc->kafka_pos[p] = next;
}

/* Store offset (the next one to read) for partition p. */
void
kafka_store(struct svc *svc, int32_t p, int64_t offset)
{
	rd_kafka_topic_partition_list_t	*l;
	rd_kafka_resp_err_t		 err;

	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, svc->conf->kafka_topic,
	    p)->offset = offset;
	err = rd_kafka_offsets_store(svc->rk, l);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warnx("kafka: store %s/%d@%lld: %s",
		    svc->conf->kafka_topic, p, (long long)offset,
		    rd_kafka_err2str(err));
	else
		log_debug("%s: %s/%d@%lld", __func__, svc->conf->kafka_topic,
		    p, (long long)offset);
	rd_kafka_topic_partition_list_destroy(l);
}

/*
 * Read partition p again from offset (a window of it failed).  The seek's
 * version barrier drops what was fetched of p before it.  Should the seek
 * fail, p's messages would go on past rows that are not in ClickHouse: the
 * sink leaves p alone, and the service drains and exits 1, so that the next
 * start reads p from its committed offset.
 */
void
kafka_seek(struct svc *svc, int32_t p, int64_t offset)
{
	struct timeval	now = { 0, 0 };

	log_info("kafka: reading %s/%d again from %lld", svc->conf->kafka_topic,
	    p, (long long)offset);
	if (kafka_seek_one(svc, p, offset, "to read again")) {
		kafka_pos_set(svc, p, offset);
		return;
	}
	sink_revoke(svc->sink, p);
	svc->exit_code = 1;
	event_base_once(svc->base, -1, EV_TIMEOUT, kafka_fatal_cb, svc, &now);
}

/* Pause or resume every assigned partition. */
void
kafka_pause(struct svc *svc, bool pause)
{
	rd_kafka_topic_partition_list_t	*l;

	svc->kafka_paused = pause;
	if (svc->rk == NULL || rd_kafka_assignment(svc->rk, &l) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	kafka_pause_list(svc, l, pause);
}

/* Pause or resume the partitions of l, then free l. */
static void
kafka_pause_list(struct svc *svc, rd_kafka_topic_partition_list_t *l,
    bool pause)
{
	if (pause)
		rd_kafka_pause_partitions(svc->rk, l);
	else {
		rd_kafka_resume_partitions(svc->rk, l);
		kafka_resumed_note(svc, l);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* Note a partition of l that has a position, for kafka_resume_wake. */
static void
kafka_resumed_note(struct svc *svc, rd_kafka_topic_partition_list_t *l)
{
	int	i;

	if (rd_kafka_position(svc->rk, l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	for (i = 0; i < l->cnt; i++) {
		if (l->elems[i].offset >= 0) {
			svc->kafka_resumed = l->elems[i].partition;
			return;
		}
	}
}

/*
 * librdkafka 2.0 resumes a partition without waking its broker thread,
 * which then fetches it only on its next fetch response, op or 1 s
 * timeout: a 1 s stall at start in about one catch-up of three, when
 * every partition with data was paused for its resume check.  A seek
 * does wake it, and the broker thread then looks at every partition.
 * So once per loop_apply pass that resumed any, one resumed partition
 * that has a position is sought to it: where its fetch resumes anyway
 * (pausing saved the application's offset and purged what was queued),
 * so nothing is skipped or repeated.  One seek, not one per partition:
 * each wakes the broker thread for a look at all of them.
 */
void
kafka_resume_wake(struct svc *svc)
{
	rd_kafka_topic_partition_list_t	*l;
	int64_t				 position = -1;

	if (svc->kafka_resumed < 0 || svc->rk == NULL)
		return;
	/* Read again: the loop may have polled since the resume was noted. */
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, svc->conf->kafka_topic,
	    svc->kafka_resumed);
	if (rd_kafka_position(svc->rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR)
		position = l->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(l);
	if (position >= 0)
		(void)kafka_seek_one(svc, svc->kafka_resumed, position,
		    "after resume");
	svc->kafka_resumed = -1;
}

/*
 * Pause or resume one partition (its resume check is out).  A partition is
 * not resumed while the whole assignment is paused for memory or the drain.
 */
void
kafka_pause_one(struct svc *svc, int32_t p, bool pause)
{
	rd_kafka_topic_partition_list_t	*l;

	if (svc->rk == NULL || (!pause && svc->kafka_paused))
		return;
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, svc->conf->kafka_topic, p);
	kafka_pause_list(svc, l, pause);
}

/*
 * Start closing the consumer without blocking: librdkafka commits what was
 * stored, revokes and leaves the group while we keep serving the queue.
 */
void
kafka_close(struct svc *svc)
{
	rd_kafka_error_t	*error;

	if (svc->rk == NULL || svc->kafka_closing)
		return;
	svc->kafka_closing = true;
	error = rd_kafka_consumer_close_queue(svc->rk, svc->kq);
	if (error != NULL) {
		log_warnx("kafka: close: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	kafka_serve(svc, false);
}

/* Has the consumer finished closing (or never started)? */
bool
kafka_is_closed(struct svc *svc)
{
	if (svc->rk == NULL)
		return (true);
	return (svc->kafka_closing && rd_kafka_consumer_closed(svc->rk));
}

/* Destroy the consumer after the loop has ended. */
void
kafka_free(struct svc *svc)
{
	if (svc->rk == NULL)
		return;
	rd_kafka_queue_io_event_enable(svc->kq, -1, NULL, 0);
	rd_kafka_queue_destroy(svc->kq);
	if (svc->ev_kafka != NULL)
		event_free(svc->ev_kafka);
	if (svc->ev_kafka_nudge != NULL)
		event_free(svc->ev_kafka_nudge);
	if (svc->ev_kafka_defer != NULL)
		event_free(svc->ev_kafka_defer);
	rd_kafka_destroy(svc->rk);
	close(svc->kpipe[0]);
	close(svc->kpipe[1]);
	svc->rk = NULL;
	free(svc->kafka_pos);
	svc->kafka_pos = NULL;
	svc->kafka_npos = 0;
}

/*
 * For each assigned partition whose position and high watermark are known:
 * cb(arg, partition, position, lag).  The position is ours (kafka_pos_set);
 * librdkafka caches the watermarks from its fetch responses, so this asks
 * the broker nothing.  cb may be NULL.
 * Returns the number of assigned partitions, -1 when unknown.
 */
int
kafka_lag_each(struct svc *svc,
    void (*cb)(void *, int32_t, int64_t, int64_t), void *arg)
{
	rd_kafka_topic_partition_list_t	*l;
	rd_kafka_topic_partition_t	*tp;
	int64_t				 lo, hi, pos;
	int				 i, n;

	if (svc->rk == NULL || svc->kafka_closing ||
	    rd_kafka_assignment(svc->rk, &l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return (-1);
	n = l->cnt;
	for (i = 0; cb != NULL && i < l->cnt; i++) {
		tp = &l->elems[i];
		if (tp->partition < 0 ||
		    (size_t)tp->partition >= svc->kafka_npos ||
		    (pos = svc->kafka_pos[tp->partition]) < 0 ||
		    rd_kafka_get_watermark_offsets(svc->rk, tp->topic,
		    tp->partition, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		    hi < 0)
			continue;
		cb(arg, tp->partition, pos, hi > pos ? hi - pos : 0);
	}
	rd_kafka_topic_partition_list_destroy(l);
	return (n);
}

/* kafka_lag_each: add one partition's lag to the sum. */
static void
kafka_lag_sum_cb(void *arg, int32_t partition, int64_t position, int64_t lag)
{
	int64_t	*sum = arg;

	(void)partition;
	(void)position;
	*sum = (*sum < 0 ? 0 : *sum) + lag;
}

/*
 * Messages in Kafka beyond the consumer's position, summed over the assigned
 * partitions whose position and high watermark are known; -1 when none is
 * (nothing fetched or consumed yet).
 */
int64_t
kafka_lag(struct svc *svc)
{
	int64_t	sum = -1;

	kafka_lag_each(svc, kafka_lag_sum_cb, &sum);
	return (sum);
}
