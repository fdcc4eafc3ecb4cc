/*
 * ticksink: the flush timer.
 *
 * One timer, always armed for the sink's next deadline: the max_delay of
 * the oldest open batch, or the time of the next retry.  This is what sends
 * a quiet market's last rows on time, with no further message arriving.
 */

#include <event2/event.h>

#include "sink.h"
#include "svc.h"

static void	timer_flush_cb(evutil_socket_t, short, void *);

/* Create the flush timer. */
void
timer_flush_init(struct svc *svc)
{
	svc->ev_flush = evtimer_new(svc->base, timer_flush_cb, svc);
}

/* Arm the timer for deadline_us (monotonic); UINT64_MAX disarms it. */
void
timer_flush_arm(struct svc *svc, uint64_t deadline_us)
{
	uint64_t	now;

	if (deadline_us == UINT64_MAX) {
		evtimer_del(svc->ev_flush);
		return;
	}
	now = loop_now_us();
	loop_event_add_us(svc->ev_flush,
	    deadline_us > now ? deadline_us - now : 0);
}

/*
 * A deadline is due: let the sink close batches and send retries.  The
 * messages a batch's deadline was waited for (kafka_defer) are read first,
 * so that they are in it.
 */
static void
timer_flush_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct svc	*svc = arg;

	(void)fd;
	(void)kind;
	kafka_serve_deferred(svc);
	sink_tick(svc->sink, loop_now_us());
	loop_apply(svc);
}
