/*
 * ticksink: unit tests for reactor/log.c, the logger.
 *
 * The logger writes to a temporary file and reads a fake clock, so every
 * line, timestamp and repeat count is compared verbatim.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "log.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#define T0		1795600800123LL	/* 2026-11-25T10:00:00.123Z */

static FILE	*out;
static int64_t	 fake_ms;

/* The fake clock. */
static int64_t
fake_wall_ms(void)
{
	return (fake_ms);
}

/* A temp file as the log, the fake clock at T0, plain style. */
static void
setup(void)
{
	out = tmpfile();
	ck_assert_ptr_nonnull(out);
	fake_ms = T0;
	log_open(0, LOG_STYLE_PLAIN, out, fake_wall_ms);
}

/* Close the temp file. */
static void
teardown(void)
{
	fclose(out);
}

/* Everything written so far; returns allocated. */
static char *
written(void)
{
	char	*buf;
	long	 n;

	fflush(out);
	n = ftell(out);
	buf = calloc(1, n + 1);
	rewind(out);
	ck_assert_int_eq(fread(buf, 1, n, out), n);
	return (buf);
}

/* Asserts the log holds exactly want. */
static void
expect(const char *want)
{
	char	*got = written();

	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_log_plain_format)
{
	log_warnx("kafka: %s", "broker down");
	fake_ms = T0 + 1000 * 3600 * 24 + 877;
	log_info("ready");
	expect("2026-11-25T10:00:00.123Z warning: kafka: broker down\n"
	    "2026-11-26T10:00:01.000Z info: ready\n");
}
END_TEST

START_TEST(test_log_journal_format)
{
	log_open(1, LOG_STYLE_JOURNAL, out, fake_wall_ms);
	log_warnx("w");
	log_info("i");
	log_debug("d");
	expect("<4>w\n<6>i\n<7>d\n");
}
END_TEST

START_TEST(test_log_debug_gated)
{
	log_debug("hidden");
	log_info("shown");
	expect("2026-11-25T10:00:00.123Z info: shown\n");
}
END_TEST

START_TEST(test_log_warn_errno)
{
	errno = ENOENT;
	log_warn("open %s", "/x");
	ck_assert_int_eq(errno, ENOENT);
	expect("2026-11-25T10:00:00.123Z warning: open /x: No such file or "
	    "directory\n");
}
END_TEST

/* 38 identical warnings: one line, then the count before the next one. */
START_TEST(test_log_repeats_counted)
{
	int	i;

	for (i = 0; i < 38; i++) {
		fake_ms = T0 + i * 100;
		log_warnx("insert failed: %s", "connection refused");
	}
	log_info("not a warning");
	expect("2026-11-25T10:00:00.123Z warning: insert failed: connection "
	    "refused\n"
	    "2026-11-25T10:00:03.823Z info: not a warning\n");
	log_warnx("other");
	expect("2026-11-25T10:00:00.123Z warning: insert failed: connection "
	    "refused\n"
	    "2026-11-25T10:00:03.823Z info: not a warning\n"
	    "2026-11-25T10:00:03.823Z warning: insert failed: connection "
	    "refused (repeated 37 times)\n"
	    "2026-11-25T10:00:03.823Z warning: other\n");
}
END_TEST

/* After the window, the next repeat writes the count and restarts it. */
START_TEST(test_log_repeats_window)
{
	log_warnx("same");
	fake_ms = T0 + 1000;
	log_warnx("same");
	fake_ms = T0 + LOG_REPEAT_WINDOW_MS - 1;
	log_warnx("same");
	fake_ms = T0 + LOG_REPEAT_WINDOW_MS;
	log_warnx("same");
	fake_ms = T0 + LOG_REPEAT_WINDOW_MS + 5;
	log_warnx("same");
	expect("2026-11-25T10:00:00.123Z warning: same\n"
	    "2026-11-25T10:00:30.123Z warning: same (repeated 3 times)\n");
}
END_TEST

START_TEST(test_log_flush)
{
	log_warnx("same");
	log_warnx("same");
	fake_ms = T0 + LOG_REPEAT_WINDOW_MS - 1;
	log_flush(false);
	expect("2026-11-25T10:00:00.123Z warning: same\n");
	fake_ms = T0 + LOG_REPEAT_WINDOW_MS;
	log_flush(false);
	log_flush(false);
	expect("2026-11-25T10:00:00.123Z warning: same\n"
	    "2026-11-25T10:00:30.123Z warning: same (repeated 1 times)\n");
	log_warnx("same");
	log_flush(true);
	log_flush(true);
	expect("2026-11-25T10:00:00.123Z warning: same\n"
	    "2026-11-25T10:00:30.123Z warning: same (repeated 1 times)\n"
	    "2026-11-25T10:00:30.123Z warning: same (repeated 1 times)\n");
}
END_TEST

/* Info lines are never suppressed, and do not end a warning's count. */
START_TEST(test_log_info_not_limited)
{
	log_info("tick");
	log_info("tick");
	log_warnx("w");
	log_info("tick");
	log_warnx("w");
	log_flush(true);
	expect("2026-11-25T10:00:00.123Z info: tick\n"
	    "2026-11-25T10:00:00.123Z info: tick\n"
	    "2026-11-25T10:00:00.123Z warning: w\n"
	    "2026-11-25T10:00:00.123Z info: tick\n"
	    "2026-11-25T10:00:00.123Z warning: w (repeated 1 times)\n");
}
END_TEST

/*
 * fatalx shows the pending count, then its own line even though it repeats
 * the last warning's text, then exits 1.
 */
START_TEST(test_log_fatal_not_limited)
{
	pid_t	pid;
	int	status;

	log_open(0, LOG_STYLE_JOURNAL, out, fake_wall_ms);
	log_warnx("boom");
	fflush(out);
	if ((pid = fork()) == 0) {
		log_warnx("boom");
		fatalx("boom");
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	fseek(out, 0, SEEK_END);
	expect("<4>boom\n<4>boom (repeated 1 times)\n<3>boom\n");
}
END_TEST

static const struct {
	const char	*v;
	uint64_t	 dev;
	uint64_t	 ino;
	bool		 want;
} streams[] = {
	{ "8:1234", 8, 1234, true },
	{ "64769:18446744073709551615", 64769, UINT64_MAX, true },
	{ "8:1235", 8, 1234, false },
	{ "9:1234", 8, 1234, false },
	{ NULL, 8, 1234, false },
	{ "", 8, 1234, false },
	{ "8", 8, 1234, false },
	{ "8:", 8, 1234, false },
	{ ":1234", 8, 1234, false },
	{ "8:1234x", 8, 1234, false },
	{ "8:1234 ", 8, 1234, false },
	{ " 8:1234", 8, 1234, false },
	{ "-8:1234", 8, 1234, false },
	{ "8:-1234", 8, 1234, false },
};

START_TEST(test_log_journal_stream)
{
	ck_assert_msg(log_is_journal_stream(streams[_i].v, streams[_i].dev,
	    streams[_i].ino) == streams[_i].want, "'%s'",
	    streams[_i].v != NULL ? streams[_i].v : "(null)");
}
END_TEST

/* The suite. */
static Suite *
log_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("log");
	tc = tcase_create("format");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_log_plain_format);
	tcase_add_test(tc, test_log_journal_format);
	tcase_add_test(tc, test_log_debug_gated);
	tcase_add_test(tc, test_log_warn_errno);
	tcase_add_loop_test(tc, test_log_journal_stream, 0, nitems(streams));
	suite_add_tcase(s, tc);

	tc = tcase_create("repeats");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_log_repeats_counted);
	tcase_add_test(tc, test_log_repeats_window);
	tcase_add_test(tc, test_log_flush);
	tcase_add_test(tc, test_log_info_not_limited);
	tcase_add_test(tc, test_log_fatal_not_limited);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (check_run(log_suite()));
}
