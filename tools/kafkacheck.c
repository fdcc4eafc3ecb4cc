/*
 * ticksink-kafkacheck: print a topic's watermarks and a group's offsets.
 *
 * For every partition of the topic it prints one tab-separated line with
 * the low and high watermarks and the group's committed offset (-1 when
 * the group has none), so a test can check that the broker still holds
 * everything it produced (low 0, high summing to the number of messages)
 * and that the service committed all of it.  The consumer handle carries
 * the group id only so rd_kafka_committed can ask the group coordinator;
 * it never subscribes, never joins the group and never commits.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static bool	set_conf(rd_kafka_conf_t *, const char *, const char *);
static int	cmp_partition(const void *, const void *);
static int	check(rd_kafka_t *, const char *, int);
static void	usage(void) __attribute__((noreturn));

/* Set one configuration property, reporting failure on stderr. */
static bool
set_conf(rd_kafka_conf_t *conf, const char *name, const char *value)
{
	char	errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) !=
	    RD_KAFKA_CONF_OK) {
		fprintf(stderr, "ticksink-kafkacheck: %s: %s\n", name, errstr);
		return (false);
	}
	return (true);
}

/* Order partition ids, for qsort. */
static int
cmp_partition(const void *a, const void *b)
{
	int32_t	pa = *(const int32_t *)a, pb = *(const int32_t *)b;

	return (pa < pb ? -1 : pa > pb);
}

/* Look up the topic's partitions and print one line for each. */
static int
check(rd_kafka_t *rk, const char *topic, int timeout)
{
	const struct rd_kafka_metadata	*md;
	const rd_kafka_metadata_topic_t	*mt = NULL;
	rd_kafka_topic_partition_list_t	*parts = NULL;
	rd_kafka_topic_partition_t	*tp;
	rd_kafka_resp_err_t		 err;
	int32_t				*ids = NULL;
	int64_t				 low, high, committed;
	int				 i, n, rc = 1;

	/*
	 * Ask for all topics: a request naming the topic makes the mock
	 * broker (and brokers with auto.create.topics.enable) create it.
	 */
	err = rd_kafka_metadata(rk, 1, NULL, &md, timeout);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "ticksink-kafkacheck: metadata: %s\n",
		    rd_kafka_err2str(err));
		return (1);
	}
	for (i = 0; i < md->topic_cnt; i++) {
		if (strcmp(md->topics[i].topic, topic) == 0)
			mt = &md->topics[i];
	}
	if (mt == NULL) {
		fprintf(stderr, "ticksink-kafkacheck: no topic %s\n", topic);
		goto out;
	}
	if (mt->err != RD_KAFKA_RESP_ERR_NO_ERROR || mt->partition_cnt == 0) {
		fprintf(stderr, "ticksink-kafkacheck: topic %s: %s\n", topic,
		    mt->err != RD_KAFKA_RESP_ERR_NO_ERROR ?
		    rd_kafka_err2str(mt->err) : "no partitions");
		goto out;
	}

	n = mt->partition_cnt;
	if ((ids = calloc(n, sizeof *ids)) == NULL) {
		perror("ticksink-kafkacheck: calloc");
		goto out;
	}
	for (i = 0; i < n; i++)
		ids[i] = mt->partitions[i].id;
	qsort(ids, n, sizeof ids[0], cmp_partition);

	parts = rd_kafka_topic_partition_list_new(n);
	for (i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(parts, topic, ids[i]);
	err = rd_kafka_committed(rk, parts, timeout);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "ticksink-kafkacheck: committed offsets: %s\n",
		    rd_kafka_err2str(err));
		goto out;
	}

	for (i = 0; i < n; i++) {
		tp = &parts->elems[i];
		if (tp->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			fprintf(stderr, "ticksink-kafkacheck: partition %d: "
			    "committed offset: %s\n", (int)ids[i],
			    rd_kafka_err2str(tp->err));
			goto out;
		}
		committed = tp->offset < 0 ? -1 : tp->offset;
		err = rd_kafka_query_watermark_offsets(rk, topic, ids[i], &low,
		    &high, timeout);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			fprintf(stderr, "ticksink-kafkacheck: partition %d: "
			    "watermarks: %s\n", (int)ids[i],
			    rd_kafka_err2str(err));
			goto out;
		}
		printf("partition\t%d\tlow\t%" PRId64 "\thigh\t%" PRId64
		    "\tcommitted\t%" PRId64 "\n", (int)ids[i], low, high,
		    committed);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("ticksink-kafkacheck: stdout");
		goto out;
	}
	rc = 0;

out:
	if (parts != NULL)
		rd_kafka_topic_partition_list_destroy(parts);
	free(ids);
	rd_kafka_metadata_destroy(md);
	return (rc);
}

/* Print usage and exit. */
static void
usage(void)
{
	fprintf(stderr, "usage: ticksink-kafkacheck -b brokers -t topic "
	    "-g group [-T timeout_ms]\n");
	exit(1);
}

/* Parse the options, create the consumer handle and run the check. */
int
main(int argc, char **argv)
{
	rd_kafka_conf_t	*conf;
	rd_kafka_t	*rk;
	const char	*brokers = NULL, *topic = NULL, *group = NULL;
	char		 errstr[512], *end;
	long		 timeout = 10000;
	int		 ch, rc;

	while ((ch = getopt(argc, argv, "b:t:g:T:")) != -1) {
		switch (ch) {
		case 'b':
			brokers = optarg;
			break;
		case 't':
			topic = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'T':
			errno = 0;
			timeout = strtol(optarg, &end, 10);
			if (errno != 0 || *optarg == '\0' || *end != '\0' ||
			    timeout < 1 || timeout > 3600000) {
				fprintf(stderr, "ticksink-kafkacheck: bad "
				    "timeout: %s\n", optarg);
				return (1);
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc || brokers == NULL || topic == NULL ||
	    group == NULL)
		usage();

	conf = rd_kafka_conf_new();
	if (!set_conf(conf, "bootstrap.servers", brokers) ||
	    !set_conf(conf, "group.id", group) ||
	    !set_conf(conf, "enable.auto.commit", "false")) {
		rd_kafka_conf_destroy(conf);
		return (1);
	}
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr,
	    sizeof errstr)) == NULL) {
		fprintf(stderr, "ticksink-kafkacheck: rd_kafka_new: %s\n",
		    errstr);
		return (1);
	}
	rc = check(rk, topic, (int)timeout);
	rd_kafka_destroy(rk);
	return (rc);
}
