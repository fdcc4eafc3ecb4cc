/*
 * ticksink: signals.
 *
 * libevent delivers signals from the loop (evsignal), not in signal
 * context, so the callback may log and call into everything.  The first
 * SIGTERM or SIGINT starts the drain; a second one ends the loop at once:
 * stored offsets stay as they are and the rest is delivered again.
 */

#include <signal.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "svc.h"

static void	sig_cb(evutil_socket_t, short, void *);
static void	sig_deadline_cb(evutil_socket_t, short, void *);

/* Ignore SIGPIPE and watch SIGTERM and SIGINT. */
void
sig_init(struct svc *svc)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		fatal("sigaction");
	svc->ev_sigterm = evsignal_new(svc->base, SIGTERM, sig_cb, svc);
	svc->ev_sigint = evsignal_new(svc->base, SIGINT, sig_cb, svc);
	evsignal_add(svc->ev_sigterm, NULL);
	evsignal_add(svc->ev_sigint, NULL);
	svc->ev_drain_deadline = evtimer_new(svc->base, sig_deadline_cb, svc);
}

/* Free the signal events. */
void
sig_free(struct svc *svc)
{
	if (svc->ev_sigterm != NULL)
		event_free(svc->ev_sigterm);
	if (svc->ev_sigint != NULL)
		event_free(svc->ev_sigint);
	if (svc->ev_drain_deadline != NULL)
		event_free(svc->ev_drain_deadline);
}

/* SIGTERM or SIGINT. */
static void
sig_cb(evutil_socket_t signo, short kind, void *arg)
{
	struct svc	*svc = arg;

	(void)kind;
	switch (signo) {
	case SIGTERM:
	case SIGINT:
		if (!svc->drain_requested) {
			log_info("%s: draining", strsignal(signo));
			loop_drain_begin(svc);
			break;
		}
		log_warnx("%s again: exiting now", strsignal(signo));
		svc->exit_code = 1;
		event_base_loopbreak(svc->base);
		break;
	}
}

/* The drain took too long. */
static void
sig_deadline_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct svc	*svc = arg;

	(void)fd;
	(void)kind;
	svc->drain_expired = true;
	loop_drain_step(svc);
}
