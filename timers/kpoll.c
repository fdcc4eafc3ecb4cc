/*
 * ticksink: the Kafka poll timer.
 *
 * The queue's wake-up pipe is the main way messages reach the loop; this
 * one-second timer polls anyway, so the gap between consumer polls stays far
 * below max.poll.interval.ms when the topic is quiet, and a missed wake-up
 * costs at most a second.  It also serves the queue while the consumer
 * closes.  It polls even while the sink is saturated (kafka_serve), so a
 * long ClickHouse outage fills the sink up to its bound, where it pauses
 * the partitions and librdkafka keeps seeing polls.
 */

#include <event2/event.h>

#include "svc.h"

#define TIMER_KPOLL_MS	1000

static void	timer_kpoll_cb(evutil_socket_t, short, void *);

/* Start the persistent poll timer. */
void
timer_kpoll_start(struct svc *svc)
{
	struct timeval	tv = { TIMER_KPOLL_MS / 1000,
			    (TIMER_KPOLL_MS % 1000) * 1000 };

	svc->ev_kpoll = event_new(svc->base, -1, EV_PERSIST, timer_kpoll_cb,
	    svc);
	event_add(svc->ev_kpoll, &tv);
}

/* Poll the consumer queue. */
static void
timer_kpoll_cb(evutil_socket_t fd, short kind, void *arg)
{
	(void)fd;
	(void)kind;
	kafka_serve(arg, false);
}

/* Free the timers. */
void
timer_free(struct svc *svc)
{
	if (svc->ev_kpoll != NULL)
		event_free(svc->ev_kpoll);
	if (svc->ev_flush != NULL)
		event_free(svc->ev_flush);
	svc->ev_kpoll = svc->ev_flush = NULL;
}
