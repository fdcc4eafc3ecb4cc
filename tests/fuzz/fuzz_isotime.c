/*
 * ticksink: fuzz target for isotime_parse, isotime_parse_ms and
 * isotime_format_ms.
 *
 * Both parsers must agree (the ms form is the ns form floored, when the ns
 * form fits), and any accepted instant must survive a format: the output is
 * always 23 characters and a NUL.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "isotime.h"

/* Floor division of a by b > 0. */
static int64_t
fuzz_isotime_floordiv(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return (q);
}

/* libFuzzer entry: parse the input as a time, cross-check, format. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 buf[ISOTIME_MS_LEN + 1];
	char	*s;
	int64_t	 ns, ms;
	int	 rn, rm;

	/* A private copy, so reads past size are caught by ASan. */
	if ((s = malloc(size == 0 ? 1 : size)) == NULL)
		abort();
	memcpy(s, data, size);
	rn = isotime_parse(s, size, &ns);
	rm = isotime_parse_ms(s, size, &ms);
	free(s);
	if (rn == 0 && (rm != 0 ||
	    fuzz_isotime_floordiv(ns, 1000000) != ms))
		abort();
	if (rm == 0) {
		buf[ISOTIME_MS_LEN] = 'x';
		isotime_format_ms(ms, buf);
		if (strlen(buf) != ISOTIME_MS_LEN - 1 ||
		    buf[ISOTIME_MS_LEN] != 'x')
			abort();
	}
	if (size >= sizeof ms) {
		memcpy(&ms, data, sizeof ms);
		isotime_format_ms(ms, buf);
		if (strlen(buf) != ISOTIME_MS_LEN - 1)
			abort();
	}
	return (0);
}
