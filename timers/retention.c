/*
 * ticksink: retention on servers without TTL.
 *
 * Current servers delete old rows themselves (the tables carry a TTL).
 * Debian's 18.16 has no TTL, so this timer does it: once at start and then
 * every retention_interval_s it lists the active partitions of our tables
 * (system.parts) and drops each day whose retention has passed, one
 * ALTER TABLE ... DROP PARTITION at a time.  Dropping a partition is cheap
 * and atomic, and every table is partitioned by day.
 */

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "diag.h"
#include "log.h"
#include "svc.h"
#include "xmalloc.h"

#define RETENTION_NTABLES	SCHEMA_NTABLES

static void	timer_retention_cb(evutil_socket_t, short, void *);
static void	timer_retention_parts_done_cb(struct svc *, void *,
		    const struct insert_response *);
static void	timer_retention_drop_done_cb(struct svc *, void *,
		    const struct insert_response *);
static void	timer_retention_days(struct svc *, unsigned *);

/* Start the retention timer where the server has no TTL, and run it once. */
void
timer_retention_start(struct svc *svc)
{
	struct timeval	tv;

	if (svc->boot.caps.ttl)
		return;
	svc->ev_retention = event_new(svc->base, -1, EV_PERSIST,
	    timer_retention_cb, svc);
	tv.tv_sec = svc->conf->diag_retention_interval_s;
	tv.tv_usec = 0;
	event_add(svc->ev_retention, &tv);
	event_active(svc->ev_retention, EV_TIMEOUT, 0);
}

/* Free the timer. */
void
timer_retention_free(struct svc *svc)
{
	if (svc->ev_retention != NULL)
		event_free(svc->ev_retention);
	svc->ev_retention = NULL;
}

/* Retention in days per table, in schema_table order. */
static void
timer_retention_days(struct svc *svc, unsigned *days)
{
	int	t;

	days[SCHEMA_TICKS] = svc->conf->diag_ticks_retention_days;
	days[SCHEMA_REJECTS] = svc->boot.rejects_ttl_days;
	for (t = SCHEMA_WS_DIAG; t < SCHEMA_NTABLES; t++)
		days[t] = svc->conf->diag_retention_days;
}

/* Retention timer (evtimer, EV_PERSIST): ask for the partitions. */
static void
timer_retention_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct svc	*svc = arg;
	char		*sql;

	(void)fd;
	(void)kind;
	if (svc->retention_out > 0 || svc->drain_requested)
		return;
	sql = diag_parts_sql(svc->conf->ch_database, svc->boot.tables,
	    RETENTION_NTABLES);
	svc->retention_out++;
	http_post(svc, svc->query_url, sql, strlen(sql), sql,
	    timer_retention_parts_done_cb, NULL);
}

/* The partitions: drop those past their retention. */
static void
timer_retention_parts_done_cb(struct svc *svc, void *arg,
    const struct insert_response *r)
{
	unsigned	 days[RETENTION_NTABLES];
	char		**drops;
	int		 i, n;

	(void)arg;
	svc->retention_out--;
	if (r->transport != INSERT_NET_OK || r->status != 200) {
		log_warnx("retention: listing partitions failed: %.*s",
		    (int)(r->len > 200 ? 200 : r->len), r->body);
		return;
	}
	timer_retention_days(svc, days);
	n = diag_retention_drops(r->body, r->len, svc->conf->ch_database,
	    svc->boot.tables, days, RETENTION_NTABLES, loop_wall_ms(), &drops);
	if (n < 0) {
		log_warnx("retention: cannot parse the partition list");
		return;
	}
	svc->retention_runs++;
	for (i = 0; i < n; i++) {
		log_info("retention: %s", drops[i]);
		svc->retention_out++;
		http_post(svc, svc->query_url, drops[i], strlen(drops[i]),
		    drops[i], timer_retention_drop_done_cb, NULL);
	}
	free(drops);
}

/* One partition dropped (or not; the next run tries again). */
static void
timer_retention_drop_done_cb(struct svc *svc, void *arg,
    const struct insert_response *r)
{
	(void)arg;
	svc->retention_out--;
	if (r->transport == INSERT_NET_OK && r->status == 200)
		svc->retention_dropped++;
	else
		log_warnx("retention: drop failed: %.*s",
		    (int)(r->len > 200 ? 200 : r->len), r->body);
}
