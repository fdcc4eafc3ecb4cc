/*
 * ticksink: ISO-8601 timestamp parsing and formatting.
 *
 * The producer's times carry an offset that must be normalised to UTC.
 * timegm and friends depend on the C library's time-zone state and on time_t,
 * so this is plain arithmetic instead: the days-from-civil and
 * civil-from-days algorithms of Howard Hinnant ("chrono-Compatible Low-Level
 * Date Algorithms"), which are exact for the proleptic Gregorian calendar
 * over any year and need no tables.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isotime.h"

#define ISOTIME_NS_PER_SEC	1000000000LL
#define ISOTIME_NS_PER_MS	1000000LL
#define ISOTIME_MS_PER_DAY	86400000LL

static bool	isotime_digits(const char *, size_t, int *);
static bool	isotime_is_leap(int);
static int	isotime_month_days(int, int);
static int64_t	isotime_days_from_civil(int64_t, int, int);
static void	isotime_civil_from_days(int64_t, int *, int *, int *);
static int	isotime_split(const char *, size_t, int64_t *, int64_t *);
static void	isotime_put(char *, int, int);

/* Read exactly n ASCII digits from s into *v; false if any is not a digit. */
static bool
isotime_digits(const char *s, size_t n, int *v)
{
	size_t	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (false);
		*v = *v * 10 + (s[i] - '0');
	}
	return (true);
}

/* Whether year y of the proleptic Gregorian calendar is a leap year. */
static bool
isotime_is_leap(int y)
{
	return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

/* Number of days in month m (1-12) of year y. */
static int
isotime_month_days(int y, int m)
{
	static const int days[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && isotime_is_leap(y))
		return (29);
	return (days[m - 1]);
}

/*
 * Days since 1970-01-01 of the civil date y-m-d.  The year is shifted to
 * start in March so the leap day is last, then counted in 400-year eras.
 */
static int64_t
isotime_days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (unsigned)(m > 2 ? m - 3 : m + 9) + 2) / 5 +
	    (unsigned)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + (int64_t)doe - 719468);
}

/* The civil date of day z since 1970-01-01; the inverse of the above. */
static void
isotime_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t		era;
	unsigned	doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

/*
 * Parse the text into whole seconds since the epoch (UTC) and a fraction in
 * nanoseconds, 0 to 999999999.  Returns 0 or -1.  The fixed part is
 * "YYYY-MM-DDTHH:MM:SS" at offsets 0 to 18; the fraction and the offset
 * follow and must end exactly at len.
 */
static int
isotime_split(const char *s, size_t len, int64_t *secs, int64_t *frac_ns)
{
	int	y, mo, d, h, mi, sec, oh, om, sign, v;
	size_t	p, nd;
	int64_t	frac;

	if (s == NULL || len < 20)
		return (-1);
	if (!isotime_digits(s, 4, &y) || s[4] != '-' ||
	    !isotime_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !isotime_digits(s + 8, 2, &d))
		return (-1);
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return (-1);
	if (!isotime_digits(s + 11, 2, &h) || s[13] != ':' ||
	    !isotime_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !isotime_digits(s + 17, 2, &sec))
		return (-1);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > isotime_month_days(y, mo))
		return (-1);
	if (h > 23 || mi > 59 || sec > 59)
		return (-1);

	/* The fraction: 1 to 9 digits, scaled to nanoseconds. */
	p = 19;
	frac = 0;
	if (s[p] == '.' || s[p] == ',') {
		p++;
		for (nd = 0; p < len && s[p] >= '0' && s[p] <= '9'; nd++, p++) {
			if (nd == 9)
				return (-1);
			frac = frac * 10 + (s[p] - '0');
		}
		if (nd == 0)
			return (-1);
		for (; nd < 9; nd++)
			frac *= 10;
	}

	/* The offset, which is required. */
	if (p >= len)
		return (-1);
	oh = om = 0;
	sign = 1;
	switch (s[p]) {
	case 'Z':
	case 'z':
		p++;
		break;
	case '+':
	case '-':
		sign = s[p] == '-' ? -1 : 1;
		p++;
		if (len - p < 2 || !isotime_digits(s + p, 2, &oh))
			return (-1);
		p += 2;
		if (p == len)
			break;
		if (s[p] == ':')
			p++;
		if (len - p < 2 || !isotime_digits(s + p, 2, &om))
			return (-1);
		p += 2;
		break;
	default:
		return (-1);
	}
	if (p != len || oh > 23 || om > 59)
		return (-1);

	v = (oh * 60 + om) * 60 * sign;
	*secs = isotime_days_from_civil(y, mo, d) * 86400 +
	    (int64_t)h * 3600 + mi * 60 + sec - v;
	*frac_ns = frac;
	return (0);
}

/* Parse an ISO-8601 time with an offset into ns since the epoch, UTC. */
int
isotime_parse(const char *s, size_t len, int64_t *ns)
{
	int64_t	secs, frac, v;

	if (isotime_split(s, len, &secs, &frac) != 0)
		return (-1);
	/*
	 * Before the epoch, borrow a second so that the product stays in range
	 * for the earliest instants (INT64_MIN ns is -9223372037 s plus
	 * 145224192 ns, but -9223372037 s alone does not fit).
	 */
	if (secs < 0 && frac > 0) {
		secs++;
		frac -= ISOTIME_NS_PER_SEC;
	}
	if (__builtin_mul_overflow(secs, ISOTIME_NS_PER_SEC, &v) ||
	    __builtin_add_overflow(v, frac, &v))
		return (-1);
	*ns = v;
	return (0);
}

/* Parse an ISO-8601 time with an offset into floored ms since the epoch. */
int
isotime_parse_ms(const char *s, size_t len, int64_t *ms)
{
	int64_t	secs, frac;

	if (isotime_split(s, len, &secs, &frac) != 0)
		return (-1);
	/* |secs| < 2^39 for years 1-9999, so this cannot overflow. */
	*ms = secs * 1000 + frac / ISOTIME_NS_PER_MS;
	return (0);
}

/* Write v as exactly n decimal digits, zero-padded, at s. */
static void
isotime_put(char *s, int v, int n)
{
	while (n-- > 0) {
		s[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Format ms since the epoch as "YYYY-MM-DD HH:MM:SS.mmm", UTC. */
void
isotime_format_ms(int64_t ms, char buf[ISOTIME_MS_LEN])
{
	int64_t	lo, hi, days, rem;
	int	y, m, d;

	lo = isotime_days_from_civil(0, 1, 1) * ISOTIME_MS_PER_DAY;
	hi = isotime_days_from_civil(10000, 1, 1) * ISOTIME_MS_PER_DAY - 1;
	if (ms < lo)
		ms = lo;
	if (ms > hi)
		ms = hi;

	days = ms / ISOTIME_MS_PER_DAY;
	rem = ms % ISOTIME_MS_PER_DAY;
	if (rem < 0) {
		rem += ISOTIME_MS_PER_DAY;
		days--;
	}
	isotime_civil_from_days(days, &y, &m, &d);

	isotime_put(buf, y, 4);
	buf[4] = '-';
	isotime_put(buf + 5, m, 2);
	buf[7] = '-';
	isotime_put(buf + 8, d, 2);
	buf[10] = ' ';
	isotime_put(buf + 11, (int)(rem / 3600000), 2);
	buf[13] = ':';
	isotime_put(buf + 14, (int)(rem / 60000 % 60), 2);
	buf[16] = ':';
	isotime_put(buf + 17, (int)(rem / 1000 % 60), 2);
	buf[19] = '.';
	isotime_put(buf + 20, (int)(rem % 1000), 3);
	buf[23] = '\0';
}
