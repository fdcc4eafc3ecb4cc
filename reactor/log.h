/*
 * ticksink: one line per event to stderr: sd-daemon priority prefixes when
 * stderr is the journal, UTC timestamps otherwise; repeated warnings and
 * errors are counted instead of written.
 */
#ifndef REACTOR_LOG_H
#define REACTOR_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* An identical warning or error within this long is counted, not written. */
#define LOG_REPEAT_WINDOW_MS	30000

/* How lines look. */
enum log_style {
	LOG_STYLE_JOURNAL,	/* "<4>text"; journald adds the time */
	LOG_STYLE_PLAIN		/* "2026-11-25T10:00:00.123Z warning: text" */
};

/* Verbosity: 0 quiet debug, 1 debug lines on. */
extern int log_verbose;

/* Setup. */
/*
 * Picks the style: journal when $JOURNAL_STREAM names stderr's device and
 * inode (systemd sets it for StandardError=journal), plain otherwise.
 */
void	log_init(int verbose);
/*
 * Sets everything explicitly (tests, tools): out is borrowed until the next
 * log_open (NULL means stderr), wall_ms returns the UTC time in ms (NULL
 * means the real clock).  Forgets any pending repeat.
 */
void	log_open(int verbose, enum log_style, FILE *out,
	    int64_t (*wall_ms)(void));
/*
 * Writes the "(repeated N times)" line of a suppressed warning: when its
 * window has passed, or at once with force (before exiting).
 */
void	log_flush(bool force);
/*
 * Does a $JOURNAL_STREAM value ("<dev>:<inode>" in decimal; borrowed, may
 * be NULL) name the file with this device and inode?
 */
bool	log_is_journal_stream(const char *, uint64_t, uint64_t);
enum log_style log_style(void);

/* Lines. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* REACTOR_LOG_H */
