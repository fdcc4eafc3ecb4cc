/*
 * ticksink: fuzz target for schema_parse_pairs, the reader of the resume
 * check's and the probe's answers ("partition\toffset" per line).
 *
 * An accepted answer gives strictly increasing (partition, offset) pairs,
 * each non-negative, partitions within Int32; a refused one leaves the
 * previous array alone.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "schema.h"

/* libFuzzer entry: parse the input as an answer and check the result. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t		*v, *keep;
	size_t		 n, i;
	char		*s;

	if ((s = malloc(size == 0 ? 1 : size)) == NULL)
		abort();
	memcpy(s, data, size);
	/* A previous answer that a new one replaces, or survives a refusal. */
	if ((v = malloc(2 * sizeof *v)) == NULL)
		abort();
	v[0] = 7;
	v[1] = 9;
	keep = v;
	n = 1;
	if (schema_parse_pairs(s, size, &v, &n) == 0) {
		for (i = 0; i < n; i++)
			if (v[2 * i] < 0 || v[2 * i] > INT32_MAX ||
			    v[2 * i + 1] < 0 ||
			    (i > 0 && schema_cmp_pair(v + 2 * i - 2,
			    v + 2 * i) >= 0))
				abort();
	} else if (v != keep || n != 1 || v[0] != 7 || v[1] != 9)
		abort();
	free(v);
	free(s);
	return (0);
}
