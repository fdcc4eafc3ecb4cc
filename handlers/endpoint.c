/*
 * ticksink: failover between ClickHouse endpoints.
 *
 * Every request goes to the current endpoint and stays there while it
 * answers, so a healthy first URL takes all the traffic.  When a request
 * finds its endpoint away (endpoint_is_away) and that endpoint is still
 * the current one, the next one in the list becomes current, wrapping
 * around.  Answers from an endpoint that was
 * already left behind move nothing: several requests failing together
 * move the current endpoint once, not once each.  Retrying and its
 * backoff stay with whoever sent the request; only the address changes.
 */

#include "endpoint.h"
#include "log.h"

/*
 * ClickHouse errors that say this server cannot take writes now, while
 * another replica may: its coordination service is gone or the table
 * went read-only because of that.
 */
static const int endpoint_away_codes[] = {
	225,	/* NO_ZOOKEEPER */
	242,	/* TABLE_IS_READ_ONLY */
	319,	/* UNKNOWN_STATUS_OF_INSERT (lost ZooKeeper mid-insert) */
	999,	/* KEEPER_EXCEPTION */
};

/*
 * Does this answer say the endpoint is away?  No HTTP answer (refused,
 * reset, timed out); a proxy's 502-504 (the server behind it is away); or
 * a server error whose code is one of endpoint_away_codes.  Any other
 * answer, errors included, comes from a server that works.
 */
bool
endpoint_is_away(const struct insert_response *r)
{
	size_t	i;
	int	code;

	if (r->transport != INSERT_NET_OK)
		return (true);
	if (r->status >= 502 && r->status <= 504)
		return (true);
	if (r->status < 500)
		return (false);
	code = insert_error_code(r->body, r->len);
	for (i = 0; i < sizeof endpoint_away_codes /
	    sizeof endpoint_away_codes[0]; i++) {
		if (endpoint_away_codes[i] == code)
			return (true);
	}
	return (false);
}

/* n endpoints, the first one current. */
void
endpoints_init(struct endpoints *e, size_t n)
{
	if (n == 0 || n > ENDPOINT_MAX)
		fatalx("%s: %zu endpoints", __func__, n);
	e->n = n;
	e->cur = 0;
	e->switches = 0;
}

/*
 * A request sent to endpoint `used` found it away.  Returns whether the
 * current endpoint moved on (only when `used` was current and there is
 * another one).
 */
bool
endpoints_failed(struct endpoints *e, size_t used)
{
	if (used != e->cur || e->n == 1)
		return (false);
	e->cur = (e->cur + 1) % e->n;
	e->switches++;
	return (true);
}
