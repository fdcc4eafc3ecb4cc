/*
 * ticksink: logging.
 *
 * Every message is one line on stderr.  Each line starts with the sd-daemon
 * priority prefix ("<3>" and so on), which journald strips and turns into the
 * record's priority; on a terminal the prefix is still short and readable.
 * The functions keep errno as they found it, as OpenSMTPD's logger does, so a
 * log call never changes what the caller reports next.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define LOG_PRI_ERR	"<3>"
#define LOG_PRI_WARNING	"<4>"
#define LOG_PRI_INFO	"<6>"
#define LOG_PRI_DEBUG	"<7>"

int log_verbose;

static void	log_vwrite(const char *, const char *, const char *, va_list);

/* Set the verbosity. */
void
log_init(int verbose)
{
	log_verbose = verbose;
}

/* Write one line: prefix, message, optional suffix, newline. */
static void
log_vwrite(const char *pri, const char *suffix, const char *fmt, va_list ap)
{
	char	line[1024];
	int	saved = errno;

	vsnprintf(line, sizeof line, fmt, ap);
	if (suffix != NULL)
		fprintf(stderr, "%s%s: %s\n", pri, line, suffix);
	else
		fprintf(stderr, "%s%s\n", pri, line);
	errno = saved;
}

/* Warn, appending strerror(errno). */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_PRI_WARNING, strerror(errno), fmt, ap);
	va_end(ap);
}

/* Warn without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_PRI_WARNING, NULL, fmt, ap);
	va_end(ap);
}

/* Informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_PRI_INFO, NULL, fmt, ap);
	va_end(ap);
}

/* Debug line, only when verbose. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_PRI_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

/* Log an error with strerror(errno) and exit 1. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_PRI_ERR, strerror(errno), fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log an error and exit 1. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_PRI_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
