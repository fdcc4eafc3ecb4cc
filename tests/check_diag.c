/*
 * Unit tests for handlers/diag.c: heartbeat windows and SQL, the episode
 * tracker, retention decisions and histograms.
 */

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "diag.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

static const struct diag_limits limits = { 1500, 3000, 3 };

/* LEGACY windows are whole seconds, contiguous, and lag a settle time. */
START_TEST(test_diag_window_legacy)
{
	struct diag	d;

	diag_init(&d, SCHEMA_LEGACY, &limits, 1000500);
	ck_assert_int_eq(d.win_start_ms, 1000000);
	ck_assert(!diag_window_open(&d, 1001900));	/* end 1000000: empty */
	ck_assert(diag_window_open(&d, 1002900));
	ck_assert_int_eq(d.cur_start_ms, 1000000);
	ck_assert_int_eq(d.cur_end_ms, 1001000);
	diag_window_done(&d);
	ck_assert(diag_window_open(&d, 1005400));
	ck_assert_int_eq(d.cur_start_ms, 1001000);
	ck_assert_int_eq(d.cur_end_ms, 1004000);
}
END_TEST

/* A failed heartbeat leaves the window open: the next one covers it. */
START_TEST(test_diag_window_failed_kept)
{
	struct diag	d;

	diag_init(&d, SCHEMA_CURRENT, &limits, 5000);
	ck_assert(diag_window_open(&d, 7500));
	ck_assert_int_eq(d.cur_end_ms, 6500);
	ck_assert(diag_window_open(&d, 9000));
	ck_assert_int_eq(d.cur_start_ms, 5000);
	ck_assert_int_eq(d.cur_end_ms, 8000);
}
END_TEST

/* The heartbeat SQL names the schema's columns and the window. */
START_TEST(test_diag_heartbeat_sql)
{
	static const struct {
		enum schema_dialect	 dialect;
		enum diag_table		 t;
		const char		*want[4];
	} cases[] = {
		{ SCHEMA_LEGACY, DIAG_WS, { "INSERT INTO db.websocket_diagnostics "
		    "(window_start, window_end, window_start_ms, window_end_ms, "
		    "window_ms, avg_timestamp, avg_timestamp_ms, avg_received_at, "
		    "avg_received_at_ms, avg_websocket_lag_ms, message_count) "
		    "SELECT toDateTime(intDiv(1000000, 1000)), ",
		    "toInt64(1000000), toInt64(1003000), toInt64(3000)",
		    "avg(received_at_ms - timestamp_ms)",
		    "FROM db.ticks WHERE (toInt64(insert_time) * 1000) >= "
		    "1000000 AND (toInt64(insert_time) * 1000) < 1003000)" } },
		{ SCHEMA_LEGACY, DIAG_PROC, { "INSERT INTO db.processing_"
		    "diagnostics (window_start, ", "avg((toInt64(insert_time) * "
		    "1000) - received_at_ms)", "a_in, lag, n FROM", "count() AS n" } },
		{ SCHEMA_LEGACY, DIAG_UPTIME, { "INSERT INTO db.uptime_db (",
		    "toUInt8(n > 0), n FROM (SELECT count() AS n FROM db.ticks",
		    "is_up, message_count)", "window_ms" } },
		{ SCHEMA_CURRENT, DIAG_WS, { "fromUnixTimestamp64Milli(toInt64("
		    "1000000), 'UTC')", "toUnixTimestamp64Milli(insert_time) >= "
		    "1000000", "avg(toUnixTimestamp64Milli(received_at) - "
		    "timestamp_ms)", "avg_received_at, avg_websocket_lag_ms" } },
	};
	struct diag	 d;
	char		*sql;
	size_t		 i;

	diag_init(&d, cases[_i].dialect, &limits, 1000000);
	ck_assert(diag_window_open(&d, 1004000));
	sql = diag_heartbeat_sql(&d, cases[_i].t, "db", "ticks",
	    diag_table_name(cases[_i].t));
	for (i = 0; i < nitems(cases[_i].want); i++)
		ck_assert_msg(strstr(sql, cases[_i].want[i]) != NULL,
		    "'%s' not in '%s'", cases[_i].want[i], sql);
	free(sql);
}
END_TEST

/* The read-back parses; anything else is refused. */
START_TEST(test_diag_parse_result)
{
	struct diag_result	r;

	ck_assert_int_eq(diag_parse_result("12\t152.5\t3.25\n", 14, &r), 0);
	ck_assert_uint_eq(r.messages, 12);
	ck_assert_double_eq(r.ws_lag_ms, 152.5);
	ck_assert_double_eq(r.proc_lag_ms, 3.25);
	ck_assert_int_eq(diag_parse_result("", 0, &r), -1);
	ck_assert_int_eq(diag_parse_result("12\t1\n", 5, &r), -1);
	ck_assert_int_eq(diag_parse_result("12\t1\t2\nx", 8, &r), -1);
	ck_assert_int_eq(diag_parse_result("1\tnan\t2\n", 8, &r), -1);
}
END_TEST

/* A lag spike gives one event per episode; empty windows do not end it. */
START_TEST(test_diag_lag_once_per_episode)
{
	struct diag		d;
	struct diag_result	hi = { 10, 2000, 10 }, lo = { 10, 20, 10 };
	struct diag_result	empty = { 0, 0, 0 };

	diag_init(&d, SCHEMA_LEGACY, &limits, 0);
	diag_observe_window(&d, 1, &hi);
	diag_observe_window(&d, 2, &hi);
	diag_observe_window(&d, 3, &empty);
	diag_observe_window(&d, 4, &hi);
	ck_assert_uint_eq(d.nevents, 1);
	ck_assert_int_eq(d.events[0].kind, DIAG_EV_WS_LAG);
	ck_assert_int_eq(d.events[0].at_ms, 1);
	diag_observe_window(&d, 5, &lo);
	diag_observe_window(&d, 6, &hi);
	ck_assert_uint_eq(d.nevents, 2);
	ck_assert_uint_eq(d.events_total[DIAG_EV_WS_LAG], 2);
	ck_assert_uint_eq(d.events_total[DIAG_EV_PROC_LAG], 0);
}
END_TEST

/* Quiet after empty_limit beats once; ClickHouse and stalls pair up. */
START_TEST(test_diag_state_episodes)
{
	struct diag	d;
	int		i;

	diag_init(&d, SCHEMA_LEGACY, &limits, 0);
	for (i = 0; i < 10; i++)
		diag_observe_state(&d, i, true, false, 0);
	ck_assert_uint_eq(d.events_total[DIAG_EV_QUIET], 1);
	diag_observe_state(&d, 11, true, false, 5);
	for (i = 0; i < 2; i++)
		diag_observe_state(&d, 12 + i, true, false, 0);
	ck_assert_uint_eq(d.events_total[DIAG_EV_QUIET], 1);
	/* A stalled pipeline is not quiet. */
	for (i = 0; i < 5; i++)
		diag_observe_state(&d, 20 + i, false, true, 0);
	ck_assert_uint_eq(d.events_total[DIAG_EV_QUIET], 1);
	ck_assert_uint_eq(d.events_total[DIAG_EV_STUCK], 1);
	ck_assert_uint_eq(d.events_total[DIAG_EV_CH_DOWN], 1);
	diag_observe_state(&d, 30, true, false, 1);
	diag_observe_state(&d, 31, true, false, 1);
	ck_assert_uint_eq(d.events_total[DIAG_EV_CH_UP], 1);
	ck_assert_uint_eq(d.events_total[DIAG_EV_UNSTUCK], 1);
	ck_assert_uint_eq(d.nevents, 5);
}
END_TEST

/* Events become one INSERT; quotes are escaped; the queue is bounded. */
START_TEST(test_diag_events_sql)
{
	struct diag	 d;
	char		*sql;
	int		 i;

	diag_init(&d, SCHEMA_LEGACY, &limits, 0);
	diag_event_add(&d, DIAG_EV_STARTED, 1700000000123, "it's");
	diag_event_add(&d, DIAG_EV_CLOSING, 1700000001000, NULL);
	sql = diag_events_sql(&d, 2, "db", "monitoring_db");
	ck_assert_str_eq(sql, "INSERT INTO db.monitoring_db (event_time, "
	    "event_time_ms, event, detail) SELECT toDateTime(intDiv("
	    "1700000000123, 1000)), toInt64(1700000000123), 'System started', "
	    "'it\\'s' UNION ALL SELECT toDateTime(intDiv(1700000001000, "
	    "1000)), toInt64(1700000001000), 'System closing', ''");
	free(sql);
	diag_events_sent(&d, 1);
	ck_assert_uint_eq(d.nevents, 1);
	ck_assert_int_eq(d.events[0].kind, DIAG_EV_CLOSING);
	for (i = 0; i < DIAG_EVENTS_MAX + 5; i++)
		diag_event_add(&d, DIAG_EV_QUIET, i, "");
	ck_assert_uint_eq(d.nevents, DIAG_EVENTS_MAX);
	ck_assert_uint_eq(d.events_dropped, 6);
}
END_TEST

/* Partitions older than their table's retention are dropped. */
START_TEST(test_diag_retention_drops)
{
	const char	*tables[] = { "ticks_db", "uptime_db", "forever" };
	unsigned	 days[] = { 1, 7, 0 };
	/* now: 2025-09-12 14:00 UTC. */
	int64_t		 now = 1757685600000LL;
	const char	*parts = "forever\t20000101\n"
	    "ticks_db\t20250910\nticks_db\t20250911\nticks_db\t20250912\n"
	    "uptime_db\t20250904\nuptime_db\t20250905\nother\t19990101\n";
	char		**drops;
	int		 n, i;

	n = diag_retention_drops(parts, strlen(parts), "db", tables, days, 3,
	    now, &drops);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(drops[0],
	    "ALTER TABLE db.ticks_db DROP PARTITION 20250910");
	ck_assert_str_eq(drops[1],
	    "ALTER TABLE db.uptime_db DROP PARTITION 20250904");
	for (i = 0; i < n; i++)
		free(drops[i]);
	free(drops);
	ck_assert_int_eq(diag_retention_drops("ticks_db\t2025091\n", 17, "db",
	    tables, days, 3, now, &drops), -1);
	ck_assert_int_eq(diag_retention_drops("", 0, "db", tables, days, 3,
	    now, &drops), 0);
}
END_TEST

/* Observations fall in the first bucket whose bound is not below them. */
START_TEST(test_diag_hist)
{
	static const double	bounds[] = { 1, 10 };
	struct diag_hist	h;

	diag_hist_init(&h, bounds, 2);
	diag_hist_observe(&h, 1);
	diag_hist_observe(&h, 5);
	diag_hist_observe(&h, 50);
	ck_assert_uint_eq(h.counts[0], 1);
	ck_assert_uint_eq(h.counts[1], 1);
	ck_assert_uint_eq(h.count, 3);
	ck_assert_double_eq(h.sum, 56);
}
END_TEST

static Suite *
diag_suite(void)
{
	Suite	*s = suite_create("diag");
	TCase	*tc;

	tc = tcase_create("heartbeat");
	tcase_add_test(tc, test_diag_window_legacy);
	tcase_add_test(tc, test_diag_window_failed_kept);
	tcase_add_loop_test(tc, test_diag_heartbeat_sql, 0, 4);
	tcase_add_test(tc, test_diag_parse_result);
	suite_add_tcase(s, tc);
	tc = tcase_create("events");
	tcase_add_test(tc, test_diag_lag_once_per_episode);
	tcase_add_test(tc, test_diag_state_episodes);
	tcase_add_test(tc, test_diag_events_sql);
	suite_add_tcase(s, tc);
	tc = tcase_create("retention");
	tcase_add_test(tc, test_diag_retention_drops);
	tcase_add_test(tc, test_diag_hist);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (check_run(diag_suite()));
}
