/*
 * ticksink: fuzz target for schema_parse_offsets, the reader of the resume
 * check's answer (one offset per line).
 *
 * An accepted answer gives a strictly increasing array of non-negative
 * offsets; a refused one leaves the previous array alone.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "schema.h"

/* libFuzzer entry: parse the input as an answer and check the result. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long long	*v, *keep;
	size_t		 n, i;
	char		*s;

	if ((s = malloc(size == 0 ? 1 : size)) == NULL)
		abort();
	memcpy(s, data, size);
	/* A previous answer that a new one replaces, or survives a refusal. */
	if ((v = malloc(sizeof *v)) == NULL)
		abort();
	v[0] = 7;
	keep = v;
	n = 1;
	if (schema_parse_offsets(s, size, &v, &n) == 0) {
		for (i = 0; i < n; i++)
			if (v[i] < 0 || (i > 0 && v[i - 1] >= v[i]))
				abort();
	} else if (v != keep || n != 1 || v[0] != 7)
		abort();
	free(v);
	free(s);
	return (0);
}
