/*
 * ticksink: one line per event to stderr, with sd-daemon priority prefixes.
 */
#ifndef REACTOR_LOG_H
#define REACTOR_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/* Verbosity: 0 quiet debug, 1 debug lines on. The one mutable global. */
extern int log_verbose;

void	log_init(int verbose);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* REACTOR_LOG_H */
