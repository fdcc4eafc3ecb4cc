/*
 * ticksink: the glue between the core and the I/O.
 *
 * Every event that reaches the sink is followed by loop_apply(), which
 * carries out the actions the sink decided on, re-arms the flush timer for
 * the sink's next deadline and lets the drain move on.
 */

#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "sink.h"
#include "svc.h"

/* The monotonic clock in microseconds. */
uint64_t
loop_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* The UTC wall clock in milliseconds. */
int64_t
loop_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Carry out the sink's actions, then re-arm its timer and step the drain. */
void
loop_apply(struct svc *svc)
{
	struct sink_action	a;

	while (sink_next_action(svc->sink, &a)) {
		switch (a.kind) {
		case SINK_ACT_INSERT:
			ch_insert(svc, a.insert);
			break;
		case SINK_ACT_PROBE:
			ch_probe(svc, a.insert);
			break;
		case SINK_ACT_STREAM:
			ch_stream(svc, a.window);
			break;
		case SINK_ACT_STREAM_MORE:
			http_resume(a.window->io);
			break;
		case SINK_ACT_SEEK:
			kafka_seek(svc, a.partition, a.offset);
			break;
		case SINK_ACT_LANDED_QUERY:
			ch_landed_query(svc, a.check);
			break;
		case SINK_ACT_PAUSE_ONE:
		case SINK_ACT_RESUME_ONE:
			kafka_pause_one(svc, a.partition,
			    a.kind == SINK_ACT_PAUSE_ONE);
			break;
		case SINK_ACT_STORE:
			kafka_store(svc, a.partition, a.offset);
			break;
		case SINK_ACT_PAUSE:
			log_info("buffer full (%zu bytes): pausing consumption",
			    sink_buffered_bytes(svc->sink));
			kafka_pause(svc, true);
			break;
		case SINK_ACT_RESUME:
			log_info("buffer below low-water mark: resuming");
			kafka_pause(svc, false);
			break;
		}
	}
	kafka_resume_wake(svc);
	timer_flush_arm(svc, sink_next_deadline(svc->sink));
	if (svc->kafka_waiting && !sink_saturated(svc->sink)) {
		svc->kafka_waiting = false;
		event_active(svc->ev_kafka, EV_READ, 0);
	}
	if (svc->drain_requested)
		timer_watchdog_progress(svc);
	if (svc->drain_requested && !svc->in_drain_step)
		loop_drain_step(svc);
}

/* Add ev with a timeout of us microseconds (a period if persistent). */
void
loop_event_add_us(struct event *ev, uint64_t us)
{
	struct timeval	tv;

	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	event_add(ev, &tv);
}

/*
 * Start the drain (a stop signal, or a fatal consumer error) with its
 * deadline armed.  Idempotent.
 */
void
loop_drain_begin(struct svc *svc)
{
	struct timeval	tv;
	uint32_t	ms = svc->conf->drain_timeout_ms;

	if (svc->drain_requested)
		return;
	svc->drain_requested = true;
	timer_watchdog_drain(svc);
	timer_diag_closing(svc);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(svc->ev_drain_deadline, &tv);
	if (!svc->in_drain_step)
		loop_drain_step(svc);
}

/* Move the drain as far as it can go now, with each state's entry action. */
void
loop_drain_step(struct svc *svc)
{
	struct drain_input	in;
	enum drain_state	next;

	svc->in_drain_step = true;
	for (;;) {
		in.requested = svc->drain_requested;
		in.sink_idle = (svc->sink == NULL ||
		    sink_is_idle(svc->sink)) && !timer_diag_is_busy(svc);
		in.consumer_closed = kafka_is_closed(svc);
		in.deadline_passed = svc->drain_expired;
		next = drain_next(svc->drain, &in);
		if (next == svc->drain)
			break;
		log_info("drain: %s -> %s", drain_state_name(svc->drain),
		    drain_state_name(next));
		svc->drain = next;
		switch (next) {
		case DRAIN_RUNNING:
		case DRAIN_WAIT_INSERTS:
			break;
		case DRAIN_FLUSHING:
			kafka_serve_deferred(svc);	/* into the last batches */
			kafka_pause(svc, true);
			if (svc->sink == NULL)
				break;	/* stopped before ClickHouse answered */
			sink_drain(svc->sink, loop_now_us());
			loop_apply(svc);
			break;
		case DRAIN_CLOSING_CONSUMER:
			kafka_close(svc);
			break;
		case DRAIN_DONE:
			/* exit_code stays 1 after a fatal consumer error. */
			event_base_loopexit(svc->base, NULL);
			break;
		case DRAIN_EXPIRED:
			log_warnx("drain deadline passed; exiting, what was not "
			    "committed will be delivered again");
			svc->exit_code = 1;
			event_base_loopbreak(svc->base);
			break;
		}
	}
	svc->in_drain_step = false;
}
