/*
 * ticksink: failover between ClickHouse endpoints.
 *
 * Every request goes to the current endpoint and stays there while it
 * answers, so a healthy first URL takes all the traffic.  When a request
 * gets no HTTP answer from its endpoint (connection refused or reset, a
 * timeout) or a proxy says the server behind it is away (502 to 504), and
 * that endpoint is still the current one, the next one in the list
 * becomes current, wrapping around.  Answers from an endpoint that was
 * already left behind move nothing: several requests failing together
 * move the current endpoint once, not once each.  Retrying and its
 * backoff stay with whoever sent the request; only the address changes.
 */

#include "endpoint.h"
#include "log.h"

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
