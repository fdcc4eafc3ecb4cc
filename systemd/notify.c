/*
 * ticksink: sd_notify(3) wrapper.
 *
 * The return values of sd_notify are ignored, as the man page advises: a
 * service must work the same whether or not anybody listens.  Each message
 * is one datagram; READY=1 and STOPPING=1 carry the current STATUS= with
 * them so that systemctl status shows why the state changed.
 */

#include <inttypes.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "notify.h"

#ifdef HAVE_LIBSYSTEMD

/* Compiled with libsystemd. */
bool
notify_is_available(void)
{
	return (true);
}

/* Start-up is over. */
void
notify_ready(const char *status)
{
	(void)sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

/* A one-line summary for systemctl status. */
void
notify_status(const char *status)
{
	(void)sd_notifyf(0, "STATUS=%s", status);
}

/* The drain began. */
void
notify_stopping(const char *status)
{
	(void)sd_notifyf(0, "STOPPING=1\nSTATUS=%s", status);
}

/* Feed the watchdog. */
void
notify_watchdog(void)
{
	(void)sd_notify(0, "WATCHDOG=1");
}

/* Ask for usec more before the current state's timeout applies. */
void
notify_extend_timeout(uint64_t usec)
{
	(void)sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%" PRIu64, usec);
}

#else /* !HAVE_LIBSYSTEMD */

/* Compiled without libsystemd. */
bool
notify_is_available(void)
{
	return (false);
}

/* No-op without libsystemd. */
void
notify_ready(const char *status)
{
	(void)status;
}

/* No-op without libsystemd. */
void
notify_status(const char *status)
{
	(void)status;
}

/* No-op without libsystemd. */
void
notify_stopping(const char *status)
{
	(void)status;
}

/* No-op without libsystemd. */
void
notify_watchdog(void)
{
}

/* No-op without libsystemd. */
void
notify_extend_timeout(uint64_t usec)
{
	(void)usec;
}

#endif /* HAVE_LIBSYSTEMD */
