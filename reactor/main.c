/*
 * ticksink: Kafka to ClickHouse, one event loop.
 *
 * main() works in a fixed order, as OpenSMTPD's entry points do: read and
 * check the configuration (exit 2 on any error), build the loop and its
 * sources, ask ClickHouse who it is and prepare the tables, then consume.
 * A return from the loop means the drain ended (or was cut short); then
 * everything is torn down in the order the libraries require.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>

#include "log.h"
#include "sink.h"
#include "svc.h"
#include "xmalloc.h"

#define MAIN_EXIT_CONFIG	2
#define MAIN_FILE_MAX		(1024 * 1024)
#define MAIN_CREDENTIAL		"clickhouse_password"

extern char **environ;

static void	usage(FILE *, int) __attribute__((noreturn));
static char	*main_read_file(const char *, size_t *, char **);
static struct conf *main_load_conf(const char *);
static void	main_load_password(struct conf *);
static void	main_malloc_tune(void);

/* Print usage and exit. */
static void
usage(FILE *f, int code)
{
	fprintf(f,
	    "usage: ticksink [--config FILE] [--check-config] [--version] "
	    "[--help] [-v]\n"
	    "\n"
	    "Consume market ticks from Kafka, validate them and insert them "
	    "into ClickHouse.\n"
	    "\n"
	    "  --config FILE   INI configuration file (default: none; "
	    "built-in defaults)\n"
	    "  --check-config  validate the configuration, print it with "
	    "secrets masked, exit\n"
	    "  --version       print the version and exit\n"
	    "  --help          print this help and exit\n"
	    "  -v              debug logging\n"
	    "\n"
	    "Every key can be overridden by TICKSINK_<SECTION>_<KEY>, e.g. "
	    "TICKSINK_KAFKA_BROKERS.\n"
	    "The ClickHouse password comes from [clickhouse] password_file, "
	    "TICKSINK_CLICKHOUSE_PASSWORD,\n"
	    "or the systemd credential '" MAIN_CREDENTIAL "'; never from "
	    "the command line.\n");
	exit(code);
}

/* Read a whole small file; returns allocated or NULL with *cause. */
static char *
main_read_file(const char *path, size_t *lenp, char **cause)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	buf = xmalloc(MAIN_FILE_MAX + 1);
	while ((n = read(fd, buf + len, MAIN_FILE_MAX - len)) > 0)
		len += n;
	close(fd);
	if (n == -1 || len == MAIN_FILE_MAX) {
		xasprintf(cause, "%s: %s", path, n == -1 ? strerror(errno) :
		    "file too large");
		free(buf);
		return (NULL);
	}
	buf[len] = '\0';
	*lenp = len;
	return (buf);
}

/*
 * The password, in order of preference: already set from the environment,
 * password_file, then the systemd credential.  Never from argv.
 */
static void
main_load_password(struct conf *c)
{
	const char	*dir;
	char		*path = NULL, *pw, *cause;
	size_t		 len;

	if (c->ch_password != NULL)
		return;
	if (c->ch_password_file[0] != '\0')
		path = xstrdup(c->ch_password_file);
	else if ((dir = getenv("CREDENTIALS_DIRECTORY")) != NULL) {
		xasprintf(&path, "%s/%s", dir, MAIN_CREDENTIAL);
		if (access(path, F_OK) != 0) {
			free(path);
			return;
		}
	}
	if (path == NULL)
		return;
	if ((pw = main_read_file(path, &len, &cause)) == NULL) {
		fprintf(stderr, "config: [clickhouse] password_file: %s\n",
		    cause);
		exit(MAIN_EXIT_CONFIG);
	}
	conf_set_password(c, pw, len);
	explicit_bzero(pw, len);
	free(pw);
	free(path);
}

/* File, then environment, then cross-checks; exits 2 on any error. */
static struct conf *
main_load_conf(const char *path)
{
	struct conf	*c = conf_new();
	char		*text, *cause = NULL;
	size_t		 len;

	if (path != NULL) {
		if ((text = main_read_file(path, &len, &cause)) == NULL)
			goto fail;
		if (conf_load(c, text, len, path, &cause) != 0) {
			free(text);
			goto fail;
		}
		free(text);
	}
	if (conf_apply_env(c, environ, &cause) != 0 ||
	    conf_validate(c, &cause) != 0 ||
	    kafka_conf_check(c, &cause) != 0)
		goto fail;
	main_load_password(c);
	return (c);
fail:
	fprintf(stderr, "config: %s\n", cause);
	exit(MAIN_EXIT_CONFIG);
}

/* Build the sink for the server's dialect and start consuming. */
void
loop_pipeline_start(struct svc *svc, enum schema_dialect dialect)
{
	struct sink_conf	 sc;

	sink_conf_init(&sc, svc->conf, dialect,
	    loop_now_us() ^ (uint64_t)getpid() << 32);
	svc->sink = sink_new(&sc);
	kafka_start(svc);
	timer_diag_start(svc);
	timer_retention_start(svc);
}

/*
 * Memory: one malloc arena, not one per librdkafka thread (its broker
 * threads allocate the messages our loop frees).  kafka_start fits the
 * mmap and trim thresholds to librdkafka's fetch buffers once the
 * configuration is known.
 */
static void
main_malloc_tune(void)
{
	/* Refused where malloc is not glibc's (ASan, a preloaded one). */
	(void)mallopt(M_ARENA_MAX, 1);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct svc	 svc;
	const char	*path = NULL;
	char		*dump;
	bool		 check = false;
	int		 ch, verbose = 0;

	main_malloc_tune();	/* before any thread or large allocation */
	while ((ch = getopt_long(argc, argv, "c:hv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'V':
			printf("ticksink %s (librdkafka %s, %s)\n",
			    TICKSINK_VERSION, rd_kafka_version_str(),
			    curl_version());
			return (0);
		case 'h':
			usage(stdout, 0);
		case 'v':
			verbose = 1;
			break;
		default:
			usage(stderr, MAIN_EXIT_CONFIG);
		}
	}
	if (optind != argc)
		usage(stderr, MAIN_EXIT_CONFIG);

	memset(&svc, 0, sizeof svc);
	svc.conf = main_load_conf(path);
	log_init(verbose || svc.conf->log_level >= CONF_LOG_DEBUG);
	if (check) {
		dump = conf_dump(svc.conf);
		fputs(dump, stdout);
		free(dump);
		conf_free(svc.conf);
		return (0);
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
	if ((svc.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	svc.started_us = loop_now_us();
	sig_init(&svc);
	http_init(&svc);
	timer_flush_init(&svc);
	timer_watchdog_init(&svc);
	ch_init(&svc);
	log_info("ticksink %s starting", TICKSINK_VERSION);
	if (!svc.conf->ch_tls_verify)
		log_warnx("clickhouse: tls_verify = false: the server's "
		    "certificate is not checked, anyone on the path can read "
		    "and change what is sent");
	metrics_init(&svc);
	ch_boot_start(&svc);

	if (event_base_dispatch(svc.base) == -1)
		fatalx("event loop failed");
	if (svc.sink != NULL)
		log_info("exiting (%d): %llu messages, %llu rows landed, %llu "
		    "rejects landed", svc.exit_code,
		    (unsigned long long)svc.sink->stats.messages,
		    (unsigned long long)svc.sink->stats.rows_landed,
		    (unsigned long long)svc.sink->stats.rejects_landed);

	kafka_free(&svc);
	http_free(&svc);
	ch_free(&svc);
	timer_free(&svc);
	timer_watchdog_free(&svc);
	timer_diag_free(&svc);
	timer_retention_free(&svc);
	metrics_free(&svc);
	sig_free(&svc);
	event_base_free(svc.base);
	curl_global_cleanup();
	sink_free(svc.sink);
	conf_free(svc.conf);
	log_flush(true);
	return (svc.exit_code);
}
