/*
 * ticksink: logging.
 *
 * Every message is one line on stderr.  Under systemd with
 * StandardError=journal, stderr is the journal's stream socket and
 * $JOURNAL_STREAM holds its device and inode: then each line starts with
 * the sd-daemon priority prefix ("<3>" and so on), which journald strips and
 * turns into the record's priority, and journald adds the time itself.
 * Anywhere else (a terminal, a file, a pipe to another logger) a line starts
 * with the UTC time to the millisecond and the priority's name.
 *
 * A warning or error identical to the last one shown, within
 * LOG_REPEAT_WINDOW_MS of showing it, is counted instead of written; the
 * count appears as "<line> (repeated N times)" when a different warning
 * comes, when the same one comes after the window, or from log_flush (the
 * status timer calls it).  A retry loop against a dead peer thus writes a
 * line every half minute, not thousands.
 *
 * The functions keep errno as they found it, as OpenSMTPD's logger does, so
 * a log call never changes what the caller reports next.  The logger's
 * state is file-static: log calls take no context, and this is the only
 * mutable state of the kind (the verbosity is part of it).
 */

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	1024

/* Priorities, as indexes into log_pris. */
enum log_pri {
	LOG_PRI_ERR,
	LOG_PRI_WARNING,
	LOG_PRI_INFO,
	LOG_PRI_DEBUG
};

static const struct {
	const char	*prefix;
	const char	*name;
} log_pris[] = {
	{ "<3>", "error" },
	{ "<4>", "warning" },
	{ "<6>", "info" },
	{ "<7>", "debug" },
};

/* The logger's state. */
static struct {
	FILE		*out;		/* NULL: stderr */
	enum log_style	 style;
	int64_t		(*wall_ms)(void);
	char		 last[LOG_LINE_MAX];	/* last warning shown */
	enum log_pri	 last_pri;
	int64_t		 last_ms;		/* when it was shown */
	unsigned long	 repeats;		/* suppressed since */
	bool		 have_last;
} log_state;

int log_verbose;

static int64_t	log_real_wall_ms(void);
static int64_t	log_now(void);
static bool	log_parse_u64(const char **, char, uint64_t *);
static void	log_emit(enum log_pri, const char *, const char *, int64_t);
static void	log_vwrite(enum log_pri, bool, const char *, const char *,
		    va_list);

/* The UTC wall clock in milliseconds. */
static int64_t
log_real_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* The logger's clock; the real one until log_open says otherwise. */
static int64_t
log_now(void)
{
	return (log_state.wall_ms != NULL ? log_state.wall_ms() :
	    log_real_wall_ms());
}

/* Pick the style from $JOURNAL_STREAM and stderr. */
void
log_init(int verbose)
{
	struct stat	st;
	enum log_style	style = LOG_STYLE_PLAIN;

	if (fstat(STDERR_FILENO, &st) == 0 &&
	    log_is_journal_stream(getenv("JOURNAL_STREAM"),
	    (uint64_t)st.st_dev, (uint64_t)st.st_ino))
		style = LOG_STYLE_JOURNAL;
	log_open(verbose, style, NULL, NULL);
}

/* Set output, style and clock explicitly. */
void
log_open(int verbose, enum log_style style, FILE *out,
    int64_t (*wall_ms)(void))
{
	memset(&log_state, 0, sizeof log_state);
	log_verbose = verbose;
	log_state.style = style;
	log_state.out = out;
	log_state.wall_ms = wall_ms;
}

/* The current style. */
enum log_style
log_style(void)
{
	return (log_state.style);
}

/* Parse decimal digits at *p up to stop; advances *p.  False on none. */
static bool
log_parse_u64(const char **p, char stop, uint64_t *out)
{
	const char	*s = *p;
	uint64_t	 v = 0;

	if (*s < '0' || *s > '9')
		return (false);
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (*s - '0')) / 10)
			return (false);
		v = v * 10 + (*s - '0');
	}
	if (*s != stop)
		return (false);
	*p = s;
	*out = v;
	return (true);
}

/* Does "<dev>:<inode>" name this device and inode? */
bool
log_is_journal_stream(const char *v, uint64_t dev, uint64_t ino)
{
	uint64_t	d, i;

	if (v == NULL || !log_parse_u64(&v, ':', &d))
		return (false);
	v++;
	if (!log_parse_u64(&v, '\0', &i))
		return (false);
	return (d == dev && i == ino);
}

/* Write one line in the current style. */
static void
log_emit(enum log_pri pri, const char *text, const char *tail, int64_t now)
{
	FILE		*f = log_state.out != NULL ? log_state.out : stderr;
	struct tm	 tm;
	time_t		 secs;
	char		 ts[32];

	if (log_state.style == LOG_STYLE_JOURNAL) {
		fprintf(f, "%s%s%s\n", log_pris[pri].prefix, text, tail);
		return;
	}
	secs = (time_t)(now / 1000);
	gmtime_r(&secs, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s.%03dZ %s: %s%s\n", ts, (int)(now % 1000),
	    log_pris[pri].name, text, tail);
}

/* Show the count of the suppressed warning, if any (and due, or forced). */
void
log_flush(bool force)
{
	char	tail[64];
	int64_t	now;
	int	saved = errno;

	if (!log_state.have_last || log_state.repeats == 0)
		return;
	now = log_now();
	if (!force && now - log_state.last_ms < LOG_REPEAT_WINDOW_MS)
		return;
	snprintf(tail, sizeof tail, " (repeated %lu times)",
	    log_state.repeats);
	log_emit(log_state.last_pri, log_state.last, tail, now);
	log_state.last_ms = now;
	log_state.repeats = 0;
	errno = saved;
}

/*
 * Format and write one message with an optional suffix; limit applies the
 * repeat rule (warnings and errors, but never the last words of fatal).
 */
static void
log_vwrite(enum log_pri pri, bool limit, const char *suffix,
    const char *fmt, va_list ap)
{
	char	line[LOG_LINE_MAX];
	int64_t	now;
	int	saved = errno;
	size_t	n;

	vsnprintf(line, sizeof line, fmt, ap);
	if (suffix != NULL) {
		n = strlen(line);
		snprintf(line + n, sizeof line - n, ": %s", suffix);
	}
	now = log_now();
	if (limit && log_state.have_last && log_state.last_pri == pri &&
	    strcmp(line, log_state.last) == 0) {
		log_state.repeats++;
		log_flush(false);
		errno = saved;
		return;
	}
	if (pri <= LOG_PRI_WARNING) {
		log_flush(true);
		snprintf(log_state.last, sizeof log_state.last, "%s", line);
		log_state.last_pri = pri;
		log_state.last_ms = now;
		log_state.repeats = 0;
		log_state.have_last = true;
	}
	log_emit(pri, line, "", now);
	errno = saved;
}

/* Warn, appending strerror(errno). */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_PRI_WARNING, true, strerror(errno), fmt, ap);
	va_end(ap);
}

/* Warn without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_PRI_WARNING, true, NULL, fmt, ap);
	va_end(ap);
}

/* Informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_PRI_INFO, false, NULL, fmt, ap);
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
	log_vwrite(LOG_PRI_DEBUG, false, NULL, fmt, ap);
	va_end(ap);
}

/* Log an error with strerror(errno) and exit 1. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_PRI_ERR, false, strerror(errno), fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log an error and exit 1. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_PRI_ERR, false, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
