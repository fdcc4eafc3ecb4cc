/*
 * ticksink-mockbroker: librdkafka's mock cluster as a standalone broker.
 *
 * The mock cluster (rdkafka_mock.h) speaks the Kafka protocol, supports
 * consumer groups and can inject faults, so the tests run the real
 * service against it and produce into it with kcat.  It prints the
 * bootstrap address as its first stdout line and then serves until
 * SIGTERM or SIGINT, or a "quit" command.
 *
 * Lines on stdin are fault-control commands, each answered with one line,
 * "ok" or "error: ...":
 *
 *	broker_down ID			rd_kafka_mock_broker_set_down
 *	broker_up ID			rd_kafka_mock_broker_set_up
 *	rtt ID MS			rd_kafka_mock_broker_set_rtt
 *	push_errors APIKEY ERR COUNT	rd_kafka_mock_push_request_errors
 *	quit
 *
 * APIKEY is the protocol request number (0 Produce, 1 Fetch, 2
 * ListOffsets, 3 Metadata, 8 OffsetCommit, 9 OffsetFetch, 10
 * FindCoordinator, 11 JoinGroup, 12 Heartbeat, 14 SyncGroup); ERR is an
 * rd_kafka_resp_err_t number or its name without RD_KAFKA_RESP_ERR_
 * ("NOT_COORDINATOR", "_TRANSPORT"; the latter makes the broker drop the
 * connection).  At EOF on stdin the broker keeps running until a signal.
 * Send a command only after the previous reply: with librdkafka 2.0.2,
 * commands written together in one batch were seen to wait about 1 s
 * each for the mock cluster's thread, while commands sent in lock-step
 * take a few milliseconds.
 *
 * There are no threads of our own: the signals are blocked before
 * librdkafka starts its threads (they inherit the mask) and read from a
 * signalfd, which is polled together with stdin.
 *
 * Beware: the mock keeps at most 5 MiB or 100,000 message sets per
 * partition and silently drops the oldest beyond that (the limits are
 * fixed in rd_kafka_mock_partition_init and no API changes them), so a
 * large backlog produced before a consumer starts can vanish.  Tests
 * should produce while consuming or spread over enough partitions, and
 * check the low watermark is still 0 (see ticksink-kafkacheck).
 */

#include <sys/signalfd.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MB_LINE_MAX	1024
#define MB_MAX_TOPICS	64
#define MB_MAX_ERRORS	100000

static bool	parse_long(const char *, long, long, long *);
static bool	parse_err(const char *, rd_kafka_resp_err_t *);
static void	reply(const char *, ...) __attribute__((format(printf, 1, 2)));
static void	reply_err(rd_kafka_resp_err_t);
static bool	command(rd_kafka_mock_cluster_t *, char *);
static bool	read_stdin(rd_kafka_mock_cluster_t *, bool *);
static void	usage(void) __attribute__((noreturn));

static char	inbuf[MB_LINE_MAX];
static size_t	inlen;
static bool	indiscard;	/* dropping the rest of an overlong line */

/* Parse a whole decimal number within [min, max]. */
static bool
parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL || *s == '\0')
		return (false);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (false);
	*out = v;
	return (true);
}

/* Parse an error code given as a number or as its name. */
static bool
parse_err(const char *s, rd_kafka_resp_err_t *out)
{
	const struct rd_kafka_err_desc	*descs;
	size_t				 n, i;
	long				 v;

	if (parse_long(s, INT_MIN, INT_MAX, &v)) {
		*out = (rd_kafka_resp_err_t)v;
		return (true);
	}
	if (s == NULL)
		return (false);
	if (strncmp(s, "RD_KAFKA_RESP_ERR_", 18) == 0)
		s += 18;
	rd_kafka_get_err_descs(&descs, &n);
	for (i = 0; i < n; i++) {
		if (descs[i].name != NULL && strcmp(descs[i].name, s) == 0) {
			*out = descs[i].code;
			return (true);
		}
	}
	return (false);
}

/* Print one reply line on stdout and flush it. */
static void
reply(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Reply "ok" or the librdkafka error. */
static void
reply_err(rd_kafka_resp_err_t err)
{
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		reply("ok");
	else
		reply("error: %s", rd_kafka_err2str(err));
}

/* Run one command line; return false for "quit". */
static bool
command(rd_kafka_mock_cluster_t *mc, char *line)
{
	rd_kafka_resp_err_t	*errs, err;
	char			*argv[5], *last;
	long			 id, ms, apikey, cnt;
	int			 argc;
	size_t			 i;

	argc = 0;
	while (argc < 5 && (argv[argc] = strtok_r(argc == 0 ? line : NULL,
	    " \t\r", &last)) != NULL)
		argc++;
	if (argc == 5) {
		reply("error: too many arguments");
		return (true);
	}
	if (argc == 0) {
		reply("error: empty command");
		return (true);
	}

	if (strcmp(argv[0], "quit") == 0 && argc == 1) {
		reply("ok");
		return (false);
	}
	if ((strcmp(argv[0], "broker_down") == 0 ||
	    strcmp(argv[0], "broker_up") == 0) && argc == 2) {
		if (!parse_long(argv[1], 0, INT32_MAX, &id)) {
			reply("error: bad broker id: %s", argv[1]);
			return (true);
		}
		if (strcmp(argv[0], "broker_down") == 0)
			err = rd_kafka_mock_broker_set_down(mc, (int32_t)id);
		else
			err = rd_kafka_mock_broker_set_up(mc, (int32_t)id);
		reply_err(err);
		return (true);
	}
	if (strcmp(argv[0], "rtt") == 0 && argc == 3) {
		if (!parse_long(argv[1], 0, INT32_MAX, &id)) {
			reply("error: bad broker id: %s", argv[1]);
			return (true);
		}
		if (!parse_long(argv[2], 0, INT_MAX, &ms)) {
			reply("error: bad rtt: %s", argv[2]);
			return (true);
		}
		reply_err(rd_kafka_mock_broker_set_rtt(mc, (int32_t)id,
		    (int)ms));
		return (true);
	}
	if (strcmp(argv[0], "push_errors") == 0 && argc == 4) {
		if (!parse_long(argv[1], 0, INT16_MAX, &apikey)) {
			reply("error: bad api key: %s", argv[1]);
			return (true);
		}
		if (!parse_err(argv[2], &err)) {
			reply("error: bad error code: %s", argv[2]);
			return (true);
		}
		if (!parse_long(argv[3], 1, MB_MAX_ERRORS, &cnt)) {
			reply("error: bad count: %s", argv[3]);
			return (true);
		}
		if ((errs = calloc(cnt, sizeof *errs)) == NULL) {
			reply("error: out of memory");
			return (true);
		}
		for (i = 0; i < (size_t)cnt; i++)
			errs[i] = err;
		rd_kafka_mock_push_request_errors_array(mc, (int16_t)apikey,
		    (size_t)cnt, errs);
		free(errs);
		reply("ok");
		return (true);
	}
	reply("error: unknown command or wrong arguments: %s", argv[0]);
	return (true);
}

/*
 * Read what stdin has and run each complete line.  Sets *eof at end of
 * input; returns false when a command asked to quit.
 */
static bool
read_stdin(rd_kafka_mock_cluster_t *mc, bool *eof)
{
	char	*nl;
	size_t	 len;
	ssize_t	 n;

	n = read(STDIN_FILENO, inbuf + inlen, sizeof inbuf - 1 - inlen);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return (true);
		fprintf(stderr, "ticksink-mockbroker: stdin: %s\n",
		    strerror(errno));
		*eof = true;
		return (true);
	}
	if (n == 0) {
		/* A last line without a newline still counts. */
		if (inlen != 0 && !indiscard) {
			inbuf[inlen] = '\0';
			inlen = 0;
			*eof = true;
			return (command(mc, inbuf));
		}
		*eof = true;
		return (true);
	}
	inlen += (size_t)n;

	while ((nl = memchr(inbuf, '\n', inlen)) != NULL) {
		*nl = '\0';
		len = (size_t)(nl - inbuf) + 1;
		if (indiscard)
			indiscard = false;
		else if (!command(mc, inbuf))
			return (false);
		memmove(inbuf, inbuf + len, inlen - len);
		inlen -= len;
	}
	if (inlen == sizeof inbuf - 1) {
		if (!indiscard)
			reply("error: line too long");
		indiscard = true;
		inlen = 0;
	}
	return (true);
}

/* Print usage and exit. */
static void
usage(void)
{
	fprintf(stderr, "usage: ticksink-mockbroker [-b brokers] "
	    "[-p partitions] [-t topic]...\n");
	exit(1);
}

/* Start the mock cluster, print its address and serve until told to stop. */
int
main(int argc, char **argv)
{
	const char		*topics[MB_MAX_TOPICS];
	rd_kafka_conf_t		*conf;
	rd_kafka_t		*rk;
	rd_kafka_mock_cluster_t	*mc;
	rd_kafka_resp_err_t	 err;
	struct signalfd_siginfo	 si;
	struct pollfd		 pfd[2];
	sigset_t		 set;
	char			 errstr[512];
	long			 brokers = 1, partitions = 3;
	int			 ch, ntopics = 0, i, sfd;
	bool			 eof, running;

	while ((ch = getopt(argc, argv, "b:p:t:")) != -1) {
		switch (ch) {
		case 'b':
			if (!parse_long(optarg, 1, 64, &brokers)) {
				fprintf(stderr, "ticksink-mockbroker: bad "
				    "broker count: %s\n", optarg);
				return (1);
			}
			break;
		case 'p':
			if (!parse_long(optarg, 1, 10000, &partitions)) {
				fprintf(stderr, "ticksink-mockbroker: bad "
				    "partition count: %s\n", optarg);
				return (1);
			}
			break;
		case 't':
			if (ntopics == MB_MAX_TOPICS || *optarg == '\0') {
				fprintf(stderr, "ticksink-mockbroker: too "
				    "many topics or empty name\n");
				return (1);
			}
			topics[ntopics++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (ntopics == 0)
		topics[ntopics++] = "price_ticks";

	/* Block before librdkafka's threads exist so they inherit it. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (sfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1) {
		perror("ticksink-mockbroker: signalfd");
		return (1);
	}
	signal(SIGPIPE, SIG_IGN);

	/*
	 * The mock cluster needs a handle to live in; a producer with no
	 * bootstrap servers never connects anywhere.
	 */
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "log_level", "3", errstr,
	    sizeof errstr) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "ticksink-mockbroker: %s\n", errstr);
		return (1);
	}
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
	    sizeof errstr)) == NULL) {
		fprintf(stderr, "ticksink-mockbroker: rd_kafka_new: %s\n",
		    errstr);
		return (1);
	}
	if ((mc = rd_kafka_mock_cluster_new(rk, (int)brokers)) == NULL) {
		fprintf(stderr, "ticksink-mockbroker: cannot create the mock "
		    "cluster\n");
		rd_kafka_destroy(rk);
		return (1);
	}
	for (i = 0; i < ntopics; i++) {
		err = rd_kafka_mock_topic_create(mc, topics[i],
		    (int)partitions, 1);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			fprintf(stderr, "ticksink-mockbroker: topic %s: %s\n",
			    topics[i], rd_kafka_err2str(err));
			rd_kafka_mock_cluster_destroy(mc);
			rd_kafka_destroy(rk);
			return (1);
		}
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	pfd[0].fd = sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = STDIN_FILENO;
	pfd[1].events = POLLIN;
	eof = false;
	running = true;
	while (running) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			perror("ticksink-mockbroker: poll");
			break;
		}
		if (pfd[0].revents & POLLIN) {
			if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
				running = false;
			continue;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
			if (pfd[1].revents & POLLNVAL)
				eof = true;
			else
				running = read_stdin(mc, &eof);
			if (eof)
				pfd[1].fd = -1;
		}
	}

	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	close(sfd);
	return (0);
}
