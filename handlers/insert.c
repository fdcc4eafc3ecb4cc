/*
 * ticksink: classify ClickHouse answers and schedule retries.
 *
 * The rule is to never lose a row: anything that is not clearly a verdict
 * on the data itself is retried, forever while the service runs.  Only the
 * error codes that ClickHouse raises when it cannot parse or convert a value
 * count as poison; a poisoned batch is split until the offending rows are
 * isolated (see sink.c).  Authentication failures, unknown tables, syntax
 * errors and the like are problems an operator fixes, so they are retried
 * (loudly) rather than turning every row into a reject.
 */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "insert.h"

#define INSERT_BACKOFF_BASE_US	100000ULL	/* 100 ms */
#define INSERT_BACKOFF_CAP_US	30000000ULL	/* 30 s */
#define INSERT_TOO_MANY_PARTITIONS "partitions for single INSERT block"

/* ClickHouse error codes that are a verdict on the rows sent. */
static const int insert_poison_codes[] = {
	6,	/* CANNOT_PARSE_TEXT */
	26,	/* CANNOT_PARSE_QUOTED_STRING */
	27,	/* CANNOT_PARSE_INPUT_ASSERTION_FAILED */
	32,	/* ATTEMPT_TO_READ_AFTER_EOF */
	33,	/* CANNOT_READ_ALL_DATA */
	38,	/* CANNOT_PARSE_DATE */
	41,	/* CANNOT_PARSE_DATETIME */
	53,	/* TYPE_MISMATCH */
	69,	/* ARGUMENT_OUT_OF_BOUND */
	70,	/* CANNOT_CONVERT_TYPE */
	72,	/* CANNOT_PARSE_NUMBER */
	117,	/* INCORRECT_DATA */
	131,	/* TOO_LARGE_STRING_SIZE */
	349,	/* CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN */
	469,	/* VIOLATED_CONSTRAINT */
};

static const char *insert_outcome_names[] = { "ok", "retry", "poison" };

static bool	insert_is_poison_code(int);

/* Name of an outcome, for logs. */
const char *
insert_outcome_name(enum insert_outcome o)
{
	return (insert_outcome_names[o]);
}

/*
 * Find the error code in a ClickHouse error body: "Code: 27, e.displayText()
 * = ..." on old servers, "Code: 27. DB::Exception: ..." on new ones.
 * Returns -1 when there is none.
 */
int
insert_error_code(const char *body, size_t len)
{
	static const char	 tag[] = "Code: ";
	const char		*p, *end;
	int			 code = 0, digits = 0;

	if (len < sizeof tag - 1)
		return (-1);
	end = body + len;
	p = memmem(body, len, tag, sizeof tag - 1);
	if (p == NULL)
		return (-1);
	for (p += sizeof tag - 1; p < end && *p >= '0' && *p <= '9'; p++) {
		if (++digits > 6)
			return (-1);
		code = code * 10 + (*p - '0');
	}
	return (digits > 0 ? code : -1);
}

/* Is code one that condemns the data? */
static bool
insert_is_poison_code(int code)
{
	size_t	i;

	for (i = 0; i < sizeof insert_poison_codes /
	    sizeof insert_poison_codes[0]; i++) {
		if (insert_poison_codes[i] == code)
			return (true);
	}
	return (false);
}

/*
 * Classify an answer; *code gets the ClickHouse error code or -1.  2xx is
 * landed.  A transfer error or timeout is retried: the insert may have
 * landed, which the dedup token (where the server has one) makes harmless.
 * ClickHouse answers most exceptions with 500 (18.16 all of them), so the
 * status alone says little; the code in the body decides.
 */
enum insert_outcome
insert_classify(const struct insert_response *r, int *code)
{
	*code = -1;
	if (r->transport != INSERT_NET_OK)
		return (INSERT_RETRY);
	if (r->status >= 200 && r->status < 300)
		return (INSERT_OK);
	*code = insert_error_code(r->body, r->len);
	/* 502-504 come from proxies and balancers: the server is away. */
	if (r->status > 500)
		return (INSERT_RETRY);
	if (*code >= 0 && insert_is_poison_code(*code))
		return (INSERT_POISON);
	/*
	 * TOO_MANY_PARTS (252) is merge pressure, to wait out, except when it
	 * says the batch itself spans too many partitions (a backfill over
	 * more than 100 days): halves of it will fit.
	 */
	if (*code == 252 && memmem(r->body, r->len, INSERT_TOO_MANY_PARTITIONS,
	    sizeof INSERT_TOO_MANY_PARTITIONS - 1) != NULL)
		return (INSERT_POISON);
	return (INSERT_RETRY);
}

/*
 * Delay before retry number attempt (1 for the first retry): exponential
 * from 100 ms, capped at 30 s, with "equal jitter" (half fixed, half
 * random) so that several instances do not retry in lockstep.  rnd is any
 * random 64-bit value; the caller owns the generator so runs replay.
 */
uint64_t
insert_backoff_us(unsigned attempt, uint64_t rnd)
{
	uint64_t	d = INSERT_BACKOFF_BASE_US;

	while (attempt-- > 1 && d < INSERT_BACKOFF_CAP_US)
		d *= 2;
	if (d > INSERT_BACKOFF_CAP_US)
		d = INSERT_BACKOFF_CAP_US;
	return (d / 2 + rnd % (d / 2 + 1));
}
