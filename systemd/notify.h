/*
 * ticksink: the systemd notification protocol (sd_notify(3)), or nothing.
 *
 * Built as no-ops when libsystemd is absent, so the rest of the reactor
 * calls these unconditionally.  Every function is a no-op as well when
 * NOTIFY_SOCKET is unset (not started by systemd).
 */
#ifndef SYSTEMD_NOTIFY_H
#define SYSTEMD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Is the notification protocol compiled in? */
bool	notify_is_available(void);

/* The strings are borrowed for the call. */
void	notify_ready(const char *status);
void	notify_status(const char *status);
void	notify_stopping(const char *status);
void	notify_watchdog(void);
void	notify_extend_timeout(uint64_t usec);

#endif /* SYSTEMD_NOTIFY_H */
