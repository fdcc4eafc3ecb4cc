/*
 * ticksink: ISO-8601 timestamps with an offset, parsed to UTC by arithmetic.
 */
#ifndef HANDLERS_ISOTIME_H
#define HANDLERS_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

/* Buffer size for isotime_format_ms: "YYYY-MM-DD HH:MM:SS.mmm" and a NUL. */
#define ISOTIME_MS_LEN		24

/*
 * The accepted form is YYYY-MM-DD, a separator ('T', 't' or one space),
 * HH:MM:SS, an optional fraction ('.' or ',' and 1 to 9 digits), then a
 * required offset: 'Z', 'z', +HH:MM, +HHMM or +HH (or '-').  Years run from
 * 0001 to 9999; month, day (leap years included), hour <= 23, minute <= 59,
 * second <= 59 and offset (hours <= 23, minutes <= 59) are range checked.
 * Second 60 is rejected: a leap second has no Unix time of its own.  "-00:00"
 * is read as UTC.  A string without an offset is rejected because its instant
 * is unknown.  Nothing but the string may follow: the whole span must match.
 */

/*
 * Parse s[0..len) into nanoseconds since the epoch, UTC.  s is borrowed
 * during the call and need not be NUL-terminated.  Returns 0, or -1 if the
 * text is not in the form above or the instant does not fit int64_t
 * nanoseconds (1677-09-21 to 2262-04-11 UTC).
 */
int	isotime_parse(const char *s, size_t len, int64_t *ns);

/*
 * As isotime_parse, but gives milliseconds since the epoch, floored (toward
 * minus infinity, so 1969-12-31T23:59:59.9995Z is -1).  Every year from 0001
 * to 9999 fits, so -1 means only that the text is malformed.
 */
int	isotime_parse_ms(const char *s, size_t len, int64_t *ms);

/*
 * Format ms since the epoch as "YYYY-MM-DD HH:MM:SS.mmm" in UTC into buf
 * (borrowed; always NUL-terminated).  Instants before 0000-01-01 or after
 * 9999-12-31 23:59:59.999 are clamped to those ends.
 */
void	isotime_format_ms(int64_t ms, char buf[ISOTIME_MS_LEN]);

#endif /* HANDLERS_ISOTIME_H */
