/*
 * ticksink: unit tests for handlers/conf.c, the configuration parser.
 *
 * Every case is table-driven where the behaviour is the same with different
 * data.  Error messages are compared verbatim, because an operator reads them
 * and a reworded message is a change worth noticing in review.
 */

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "conf.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#define FILE_NAME	"config.ini"

/* How a case reads the field it checks. */
enum field_kind {
	FIELD_STR,
	FIELD_U32,
	FIELD_U64,
	FIELD_INT
};

/* A text that must load, and one field it must set. */
struct valid_case {
	const char	*ini;
	size_t		 off;
	enum field_kind	 kind;
	const char	*str;
	uint64_t	 num;
};

/* A text, an environment, or both, that must fail with this message. */
struct reject_case {
	const char	*ini;
	const char	*env;
	const char	*cause;
};

/* An integer key and its range, for boundary tests. */
struct range_case {
	const char	*section;
	const char	*key;
	const char	*env;
	size_t		 off;
	enum field_kind	 kind;
	uint64_t	 min;
	uint64_t	 max;
};

static struct conf	*conf;
static char		*cause;

#define F(f)	offsetof(struct conf, f)

static const struct valid_case valid_keys[] = {
	{ "[kafka]\nbrokers = k1:9092,k2:9092", F(kafka_brokers), FIELD_STR,
	    "k1:9092,k2:9092", 0 },
	{ "[kafka]\ntopic = fx_ticks", F(kafka_topic), FIELD_STR,
	    "fx_ticks", 0 },
	{ "[kafka]\ngroup = g-1", F(kafka_group), FIELD_STR, "g-1", 0 },
	{ "[clickhouse]\nurl = https://ch.example:8443/", F(ch_url),
	    FIELD_STR, "https://ch.example:8443/", 0 },
	{ "[clickhouse]\nurl = HTTP://ch", F(ch_url), FIELD_STR,
	    "HTTP://ch", 0 },
	{ "[clickhouse]\nurl = http://a:8123 , https://b:8443/", F(ch_url),
	    FIELD_STR, "http://a:8123,https://b:8443/", 0 },
	{ "[clickhouse]\nurl = http://a,http://b,http://c", F(ch_url),
	    FIELD_STR, "http://a,http://b,http://c", 0 },
	{ "[clickhouse]\ndatabase = _analytics2", F(ch_database), FIELD_STR,
	    "_analytics2", 0 },
	{ "[clickhouse]\nuser = ingest", F(ch_user), FIELD_STR, "ingest", 0 },
	{ "[clickhouse]\npassword_file = /run/secrets/ch", F(ch_password_file),
	    FIELD_STR, "/run/secrets/ch", 0 },
	{ "[clickhouse]\ntable = Ticks", F(ch_table), FIELD_STR, "Ticks", 0 },
	{ "[clickhouse]\nrejects_table = bad_1", F(ch_rejects_table),
	    FIELD_STR, "bad_1", 0 },
	{ "[clickhouse]\ntimeout_ms = 5000", F(ch_timeout_ms), FIELD_U32,
	    NULL, 5000 },
	{ "[batch]\nmax_rows = 1000", F(batch_max_rows), FIELD_U32, NULL,
	    1000 },
	{ "[batch]\nmax_bytes = 8192", F(batch_max_bytes), FIELD_U64, NULL,
	    8192 },
	{ "[batch]\nmax_delay_ms = 50", F(batch_max_delay_ms), FIELD_U32,
	    NULL, 50 },
	{ "[batch]\nmax_inflight = 8", F(batch_max_inflight), FIELD_U32,
	    NULL, 8 },
	{ "[batch]\nmax_buffer_bytes = 5000000000",
	    F(batch_max_buffer_bytes), FIELD_U64, NULL, 5000000000ULL },
	{ "[validate]\nmax_message_bytes = 1024", F(max_message_bytes),
	    FIELD_U32, NULL, 1024 },
	{ "[validate]\nmax_future_skew_ms = 0", F(max_future_skew_ms),
	    FIELD_U32, NULL, 0 },
	{ "[validate]\nreject_raw_max_bytes = 0", F(reject_raw_max_bytes),
	    FIELD_U32, NULL, 0 },
	{ "[service]\ndrain_timeout_ms = 1000", F(drain_timeout_ms),
	    FIELD_U32, NULL, 1000 },
	{ "[service]\nstall_timeout_ms = 3000", F(stall_timeout_ms),
	    FIELD_U32, NULL, 3000 },
	{ "[service]\nstatus_interval_ms = 1000", F(status_interval_ms),
	    FIELD_U32, NULL, 1000 },
	{ "[service]\nlog_level = error", F(log_level), FIELD_INT, NULL,
	    CONF_LOG_ERROR },
	{ "[service]\nlog_level = warning", F(log_level), FIELD_INT, NULL,
	    CONF_LOG_WARNING },
	{ "[service]\nlog_level = info", F(log_level), FIELD_INT, NULL,
	    CONF_LOG_INFO },
	{ "[service]\nlog_level = debug", F(log_level), FIELD_INT, NULL,
	    CONF_LOG_DEBUG },
};

static const struct valid_case valid_syntax[] = {
	{ "  [ batch ]  \n\t max_rows\t=\t 7 \t", F(batch_max_rows),
	    FIELD_U32, NULL, 7 },
	{ "# c\n; c\n\n[batch]\n# max_rows = 9\n  ; max_rows = 9\n"
	    "max_rows = 8\n", F(batch_max_rows), FIELD_U32, NULL, 8 },
	{ "[kafka]\r\ntopic = crlf\r\n", F(kafka_topic), FIELD_STR, "crlf",
	    0 },
	{ "\xef\xbb\xbf[kafka]\ntopic = bom", F(kafka_topic), FIELD_STR,
	    "bom", 0 },
	{ "[kafka]\ntopic = \"  spaced # kept ; too \"", F(kafka_topic),
	    FIELD_STR, "  spaced # kept ; too ", 0 },
	{ "[kafka]\ntopic = \"\"x\"\"", F(kafka_topic), FIELD_STR, "\"x\"",
	    0 },
	{ "[kafka]\ntopic = x # not a comment", F(kafka_topic), FIELD_STR,
	    "x # not a comment", 0 },
	{ "[kafka]\ngroup = a=b", F(kafka_group), FIELD_STR, "a=b", 0 },
	{ "[clickhouse]\npassword_file = \"\"", F(ch_password_file),
	    FIELD_STR, "", 0 },
	{ "[clickhouse]\npassword_file =", F(ch_password_file), FIELD_STR,
	    "", 0 },
	{ "[kafka]\n[batch]\n[kafka]\ntopic = again", F(kafka_topic),
	    FIELD_STR, "again", 0 },
	{ "[batch]\nmax_inflight = 064", F(batch_max_inflight), FIELD_U32,
	    NULL, 64 },
	{ "[batch]\n\n\n", F(batch_max_rows), FIELD_U32, NULL, 32768 },
};

static const struct reject_case reject_file[] = {
	{ "[batch]\nmax_row = 5", NULL,
	    "config.ini:2: unknown key 'max_row' in [batch] "
	    "(did you mean 'max_rows'?)" },
	{ "[batch]\nMax_Rows = 5", NULL,
	    "config.ini:2: unknown key 'Max_Rows' in [batch] "
	    "(did you mean 'max_rows'?)" },
	{ "[clickhouse]\nusr = x", NULL,
	    "config.ini:2: unknown key 'usr' in [clickhouse] "
	    "(did you mean 'user'?)" },
	{ "[batch]\nfoo = 5", NULL,
	    "config.ini:2: unknown key 'foo' in [batch]" },
	{ "# top\n\n[clickhose]", NULL,
	    "config.ini:3: unknown section [clickhose] "
	    "(did you mean [clickhouse]?)" },
	{ "[metrics]", NULL, "config.ini:1: unknown section [metrics]" },
	{ "[]", NULL, "config.ini:1: unknown section []" },
	{ "[batch]\nmax_rows = abc", NULL,
	    "config.ini:2: [batch] max_rows = 'abc': expected an integer "
	    "from 1 to 1000000" },
	{ "[batch]\nmax_rows", NULL,
	    "config.ini:2: line is not 'key = value' or '[section]'" },
	{ "[batch", NULL,
	    "config.ini:1: line is not 'key = value' or '[section]'" },
	{ "[batch] # c", NULL,
	    "config.ini:1: line is not 'key = value' or '[section]'" },
	{ "[batch]\n = 5", NULL,
	    "config.ini:2: line is not 'key = value' or '[section]'" },
	{ "topic = x", NULL,
	    "config.ini:1: key 'topic' comes before any [section] "
	    "(it belongs in [kafka])" },
	{ "foo = x", NULL,
	    "config.ini:1: key 'foo' comes before any [section]" },
	{ "[batch]\nmax_rows = 1\nmax_rows = 2", NULL,
	    "config.ini:3: [batch] max_rows is set twice (first on line 2)" },
	{ "[kafka]\nfetch.max.bytes = 1\n\nfetch.max.bytes = 2", NULL,
	    "config.ini:4: [kafka] fetch.max.bytes is set twice "
	    "(first on line 2)" },
	{ "[kafka]\ntopic = \"abc", NULL,
	    "config.ini:2: [kafka] topic: the value has no closing double "
	    "quote" },
	{ "[kafka]\ntopic = \"", NULL,
	    "config.ini:2: [kafka] topic: the value has no closing double "
	    "quote" },
	{ "[clickhouse]\npassword = x", NULL,
	    "config.ini:2: [clickhouse] password: secrets are not read from "
	    "the config file; use password_file, TICKSINK_CLICKHOUSE_PASSWORD "
	    "or the systemd credential clickhouse_password" },
	{ "[clickhouse]\nurl = ftp://h", NULL,
	    "config.ini:2: [clickhouse] url = 'ftp://h': expected an http:// "
	    "or https:// URL with a host, or up to 16 of them separated by commas" },
	{ "[clickhouse]\nurl = http://", NULL,
	    "config.ini:2: [clickhouse] url = 'http://': expected an http:// "
	    "or https:// URL with a host, or up to 16 of them separated by commas" },
	{ "[clickhouse]\nurl = http://ch /x", NULL,
	    "config.ini:2: [clickhouse] url = 'http://ch /x': expected an "
	    "http:// or https:// URL with a host, or up to 16 of them separated by commas" },
	{ "[clickhouse]\nurl = http://a,", NULL,
	    "config.ini:2: [clickhouse] url = 'http://a,': expected an "
	    "http:// or https:// URL with a host, or up to 16 of them "
	    "separated by commas" },
	{ "[clickhouse]\nurl = http://a, ftp://b", NULL,
	    "config.ini:2: [clickhouse] url = 'http://a, ftp://b': expected "
	    "an http:// or https:// URL with a host, or up to 16 of them "
	    "separated by commas" },
	{ "[clickhouse]\nurl = http://1,http://2,http://3,http://4,http://5,"
	    "http://6,http://7,http://8,http://9,http://10,http://11,http://12,"
	    "http://13,http://14,http://15,http://16,http://17", NULL,
	    "config.ini:2: [clickhouse] url = 'http://1,http://2,http://3,"
	    "http://4,http://5,http://6,http://7,http://8,http://9...': "
	    "expected an http:// or https:// URL with a host, or up to 16 of "
	    "them separated by commas" },
	{ "[clickhouse]\nurl = http://u:p@ch:8123/", NULL,
	    "config.ini:2: [clickhouse] url: the URL must not hold "
	    "credentials; set user, and give the password with password_file, "
	    "TICKSINK_CLICKHOUSE_PASSWORD or the systemd credential "
	    "clickhouse_password" },
	{ "[clickhouse]\ntable = ticks-db", NULL,
	    "config.ini:2: [clickhouse] table = 'ticks-db': expected an "
	    "identifier [A-Za-z_][A-Za-z0-9_]* of at most 64 characters" },
	{ "[clickhouse]\ndatabase = 1db", NULL,
	    "config.ini:2: [clickhouse] database = '1db': expected an "
	    "identifier [A-Za-z_][A-Za-z0-9_]* of at most 64 characters" },
	{ "[clickhouse]\nrejects_table = \"\"", NULL,
	    "config.ini:2: [clickhouse] rejects_table = '': expected an "
	    "identifier [A-Za-z_][A-Za-z0-9_]* of at most 64 characters" },
	{ "[service]\nlog_level = verbose", NULL,
	    "config.ini:2: [service] log_level = 'verbose': expected one of "
	    "error, warning, info, debug" },
	{ "[kafka]\nSasl.Mechanism = PLAIN", NULL,
	    "config.ini:2: invalid librdkafka property name 'Sasl.Mechanism' "
	    "in [kafka]: expected [a-z0-9._-]+" },
	{ "[kafka]\ntopic = a\x01z", NULL,
	    "config.ini:2: line contains a control character" },
	{ "[kafka]\nbrokers =", NULL,
	    "config.ini:2: [kafka] brokers = '': expected 1 to 4096 "
	    "characters" },
	{ "[clickhouse]\nuser = \"\"", NULL,
	    "config.ini:2: [clickhouse] user = '': expected 1 to 4096 "
	    "characters" },
};

static const struct reject_case reject_env[] = {
	{ NULL, "TICKSINK_BATCH_MAX_ROWS=0",
	    "TICKSINK_BATCH_MAX_ROWS = '0': expected an integer from 1 to "
	    "1000000" },
	{ NULL, "TICKSINK_BATCH_MAX_ROW=5",
	    "unknown environment variable TICKSINK_BATCH_MAX_ROW "
	    "(did you mean TICKSINK_BATCH_MAX_ROWS?)" },
	{ NULL, "TICKSINK_batch_max_rows=5",
	    "unknown environment variable TICKSINK_batch_max_rows "
	    "(did you mean TICKSINK_BATCH_MAX_ROWS?)" },
	{ NULL, "TICKSINK_CLICKHOUSE_PASWORD=x",
	    "unknown environment variable TICKSINK_CLICKHOUSE_PASWORD "
	    "(did you mean TICKSINK_CLICKHOUSE_PASSWORD?)" },
	{ NULL, "TICKSINK_METRICS_PORT=9000",
	    "unknown environment variable TICKSINK_METRICS_PORT "
	    "(expected TICKSINK_<SECTION>_<KEY>)" },
	{ NULL, "TICKSINK_=1",
	    "unknown environment variable TICKSINK_ "
	    "(expected TICKSINK_<SECTION>_<KEY>)" },
	{ NULL, "TICKSINK_CLICKHOUSE_URL=localhost:8123",
	    "TICKSINK_CLICKHOUSE_URL = 'localhost:8123': expected an http:// "
	    "or https:// URL with a host, or up to 16 of them separated by commas" },
	{ NULL, "TICKSINK_SERVICE_LOG_LEVEL=INFO",
	    "TICKSINK_SERVICE_LOG_LEVEL = 'INFO': expected one of error, "
	    "warning, info, debug" },
	{ NULL, "TICKSINK_KAFKA_A:B=1",
	    "TICKSINK_KAFKA_A:B: invalid librdkafka property name 'a:b': "
	    "expected [a-z0-9._-]+" },
	{ NULL, "TICKSINK_KAFKA_TOPIC=a\nb",
	    "TICKSINK_KAFKA_TOPIC: value contains a control character" },
	{ NULL, "TICKSINK_KAFKA_FETCH_MAX_BYTES=1\n",
	    "TICKSINK_KAFKA_FETCH_MAX_BYTES: value contains a control "
	    "character" },
};

/* Each must fail without "hunter2" anywhere in the message. */
static const struct reject_case reject_secret[] = {
	{ "[clickhouse]\npassword = hunter2", NULL, NULL },
	{ "[clickhouse]\npassword = \"hunter2", NULL, NULL },
	{ "[kafka]\nsasl.password = \"hunter2", NULL, NULL },
	{ "[kafka]\nsasl.password = hunter2\nsasl.password = hunter2", NULL,
	    NULL },
	{ "[kafka]\nSASL.PASSWORD = hunter2", NULL, NULL },
	{ "[clickhouse]\nurl = http://u:hunter2@ch/", NULL, NULL },
	{ "[clickhouse]\nurl = ftp://u:hunter2@ch/", NULL, NULL },
	{ "[clickhouse]\nurl = u:hunter2@ch", NULL, NULL },
	{ "[clickhouse]\nurl = ftp://a, http://u:hunter2@ch/", NULL, NULL },
	{ NULL, "TICKSINK_CLICKHOUSE_URL=https://u:hunter2@ch", NULL },
	{ NULL, "TICKSINK_CLICKHOUSE_PASWORD=hunter2", NULL },
	{ NULL, "TICKSINK_KAFKA_SASL_PASSWORD=hunter2\x01", NULL },
};

static const struct range_case ranges[] = {
	{ "clickhouse", "timeout_ms", "TICKSINK_CLICKHOUSE_TIMEOUT_MS",
	    F(ch_timeout_ms), FIELD_U32, 100, 600000 },
	{ "clickhouse", "gzip_level", "TICKSINK_CLICKHOUSE_GZIP_LEVEL",
	    F(ch_gzip_level), FIELD_U32, 0, 9 },
	{ "batch", "max_rows", "TICKSINK_BATCH_MAX_ROWS",
	    F(batch_max_rows), FIELD_U32, 1, 1000000 },
	{ "batch", "max_bytes", "TICKSINK_BATCH_MAX_BYTES",
	    F(batch_max_bytes), FIELD_U64, 4096, 1073741824 },
	{ "batch", "max_delay_ms", "TICKSINK_BATCH_MAX_DELAY_MS",
	    F(batch_max_delay_ms), FIELD_U32, 1, 600000 },
	{ "batch", "max_inflight", "TICKSINK_BATCH_MAX_INFLIGHT",
	    F(batch_max_inflight), FIELD_U32, 1, 64 },
	{ "batch", "window_rows", "TICKSINK_BATCH_WINDOW_ROWS",
	    F(batch_window_rows), FIELD_U32, 0, 10000000 },
	{ "batch", "max_buffer_bytes", "TICKSINK_BATCH_MAX_BUFFER_BYTES",
	    F(batch_max_buffer_bytes), FIELD_U64, 1, 68719476736ULL },
	{ "validate", "max_message_bytes",
	    "TICKSINK_VALIDATE_MAX_MESSAGE_BYTES", F(max_message_bytes),
	    FIELD_U32, 64, 16777216 },
	{ "validate", "max_future_skew_ms",
	    "TICKSINK_VALIDATE_MAX_FUTURE_SKEW_MS", F(max_future_skew_ms),
	    FIELD_U32, 0, 86400000 },
	{ "validate", "reject_raw_max_bytes",
	    "TICKSINK_VALIDATE_REJECT_RAW_MAX_BYTES", F(reject_raw_max_bytes),
	    FIELD_U32, 0, 1048576 },
	{ "service", "drain_timeout_ms", "TICKSINK_SERVICE_DRAIN_TIMEOUT_MS",
	    F(drain_timeout_ms), FIELD_U32, 100, 3600000 },
	{ "service", "stall_timeout_ms", "TICKSINK_SERVICE_STALL_TIMEOUT_MS",
	    F(stall_timeout_ms), FIELD_U32, 1000, 86400000 },
	{ "service", "status_interval_ms",
	    "TICKSINK_SERVICE_STATUS_INTERVAL_MS", F(status_interval_ms),
	    FIELD_U32, 100, 3600000 },
};

/* Values that are not a plain decimal, each rejected for max_inflight. */
static const char *bad_integers[] = {
	"+5", "-5", "5x", "0x10", "1e3", "5 5", "5.0", "", "\"\"", "٣",
	"18446744073709551615", "18446744073709551616",
	"99999999999999999999999999999",
};

static const struct {
	const char	*key;
	bool		 secret;
} secret_keys[] = {
	{ "sasl.password", true },
	{ "sasl.username", true },
	{ "sasl.oauthbearer.config", true },
	{ "sasl.oauthbearer.client.secret", true },
	{ "ssl.key.password", true },
	{ "ssl.key.pem", true },
	{ "ssl.key.location", true },
	{ "ssl.keystore.password", true },
	{ "ssl.ca.pem", true },
	{ "my.private.key", true },
	{ "sasl.jaas.config", true },
	{ "access.token", true },
	{ "fetch.max.bytes", false },
	{ "security.protocol", false },
	{ "sasl.mechanism", false },
	{ "ssl.ca.location", false },
	{ "ssl.certificate.pem", false },
	{ "ssl.keystore.location", false },
	{ "client.id", false },
	{ "keyboard", false },
};

static const struct {
	const char	*in;
	const char	*out;
} passwords[] = {
	{ "pw", "pw" },
	{ "pw\n", "pw" },
	{ "pw\r\n", "pw" },
	{ "pw\n\n", "pw\n" },
	{ " pw \n", " pw " },
	{ "\n", "" },
	{ "", "" },
};

/* Creates the config under test with its defaults. */
static void
setup(void)
{
	conf = conf_new();
	cause = NULL;
}

/* Frees the config and any message. */
static void
teardown(void)
{
	conf_free(conf);
	free(cause);
}

/* Returns a uint field by offset. */
static uint64_t
field_uint(const struct conf *c, size_t off, enum field_kind kind)
{
	const char	*p = (const char *)c + off;

	switch (kind) {
	case FIELD_U32:
		return (*(const uint32_t *)p);
	case FIELD_U64:
		return (*(const uint64_t *)p);
	case FIELD_INT:
		return ((uint64_t)*(const int *)p);
	case FIELD_STR:
		break;
	}
	ck_abort_msg("not an integer field");
	return (0);
}

/* Loads a NUL-terminated text into the config under test. */
static int
load(const char *ini)
{
	return (conf_load(conf, ini, strlen(ini), FILE_NAME, &cause));
}

/* Applies one environment entry to the config under test. */
static int
apply_env(const char *entry)
{
	char *const	envp[] = { (char *)entry, NULL };

	return (conf_apply_env(conf, envp, &cause));
}

/* Asserts that a valid case loads and sets its field. */
static void
check_valid(const struct valid_case *vc)
{
	ck_assert_int_eq(load(vc->ini), 0);
	ck_assert_ptr_null(cause);
	if (vc->kind == FIELD_STR) {
		ck_assert_str_eq(*(char **)((char *)conf + vc->off), vc->str);
	} else {
		ck_assert_uint_eq(field_uint(conf, vc->off, vc->kind),
		    vc->num);
	}
}

/* Runs a reject case and returns -1 if either source failed. */
static int
run_reject(const struct reject_case *rc)
{
	if (rc->ini != NULL && load(rc->ini) != 0)
		return (-1);
	if (rc->env != NULL && apply_env(rc->env) != 0)
		return (-1);
	return (0);
}

/* Builds "[section]\nkey = value" into buf. */
static const char *
ini_line(char *buf, size_t size, const char *section, const char *key,
    const char *value)
{
	snprintf(buf, size, "[%s]\n%s = %s\n", section, key, value);
	return (buf);
}

/* conf_urls gives the list's URLs in order; one URL is a list of one. */
START_TEST(test_conf_urls_split)
{
	static const char	 text[] =
	    "[clickhouse]\nurl = http://a:8123 ,https://b/ , http://c\n";
	char			**urls;
	size_t			 n, i;

	urls = conf_urls(conf, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(urls[0], "http://127.0.0.1:8123");
	free(urls[0]);
	free(urls);

	ck_assert_int_eq(conf_load(conf, text, sizeof text - 1, "config.ini",
	    &cause), 0);
	urls = conf_urls(conf, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(urls[0], "http://a:8123");
	ck_assert_str_eq(urls[1], "https://b/");
	ck_assert_str_eq(urls[2], "http://c");
	for (i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}
END_TEST

START_TEST(test_conf_defaults)
{
	ck_assert_str_eq(conf->kafka_brokers, "127.0.0.1:9092");
	ck_assert_str_eq(conf->kafka_topic, "price_ticks");
	ck_assert_str_eq(conf->kafka_group, "ticks_ingestor");
	ck_assert_ptr_null(conf->kafka_props);
	ck_assert_uint_eq(conf->kafka_nprops, 0);
	ck_assert_str_eq(conf->ch_url, "http://127.0.0.1:8123");
	ck_assert_str_eq(conf->ch_database, "default");
	ck_assert_str_eq(conf->ch_user, "default");
	ck_assert_str_eq(conf->ch_password_file, "");
	ck_assert_str_eq(conf->ch_table, "ticks_db");
	ck_assert_str_eq(conf->ch_rejects_table, "ticks_rejected");
	ck_assert_ptr_null(conf->ch_password);
	ck_assert_uint_eq(conf->ch_timeout_ms, 10000);
	ck_assert_uint_eq(conf->ch_gzip_level, 0);
	ck_assert_uint_eq(conf->batch_max_rows, 32768);
	ck_assert_uint_eq(conf->batch_max_bytes, 4194304);
	ck_assert_uint_eq(conf->batch_max_delay_ms, 250);
	ck_assert_uint_eq(conf->batch_max_inflight, 2);
	ck_assert_uint_eq(conf->batch_window_rows, 262144);
	ck_assert_uint_eq(conf->batch_max_buffer_bytes, 33554432);
	ck_assert_uint_eq(conf->max_message_bytes, 65536);
	ck_assert_uint_eq(conf->max_future_skew_ms, 300000);
	ck_assert_uint_eq(conf->reject_raw_max_bytes, 4096);
	ck_assert_uint_eq(conf->drain_timeout_ms, 20000);
	ck_assert_uint_eq(conf->stall_timeout_ms, 60000);
	ck_assert_uint_eq(conf->status_interval_ms, 5000);
	ck_assert_int_eq(conf->log_level, CONF_LOG_INFO);
	ck_assert_int_eq(conf_validate(conf, &cause), 0);
}
END_TEST

START_TEST(test_conf_empty_input)
{
	char	*before, *after;

	before = conf_dump(conf);
	ck_assert_int_eq(conf_load(conf, NULL, 0, FILE_NAME, &cause), 0);
	ck_assert_int_eq(load("\n\n# only a comment\n"), 0);
	ck_assert_int_eq(conf_apply_env(conf, NULL, &cause), 0);
	after = conf_dump(conf);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_conf_each_key_parses)
{
	check_valid(&valid_keys[_i]);
}
END_TEST

START_TEST(test_conf_syntax)
{
	check_valid(&valid_syntax[_i]);
}
END_TEST

START_TEST(test_conf_props_in_file_order)
{
	ck_assert_int_eq(load("[kafka]\n"
	    "security.protocol = SASL_SSL\n"
	    "brokers = b:9092\n"
	    "fetch.max.bytes = \" 1048576\"\n"
	    "client-id_x = a b\n"), 0);
	ck_assert_str_eq(conf->kafka_brokers, "b:9092");
	ck_assert_uint_eq(conf->kafka_nprops, 3);
	ck_assert_str_eq(conf->kafka_props[0].key, "security.protocol");
	ck_assert_str_eq(conf->kafka_props[0].value, "SASL_SSL");
	ck_assert_str_eq(conf->kafka_props[1].key, "fetch.max.bytes");
	ck_assert_str_eq(conf->kafka_props[1].value, " 1048576");
	ck_assert_str_eq(conf->kafka_props[2].key, "client-id_x");
	ck_assert_str_eq(conf->kafka_props[2].value, "a b");
}
END_TEST

START_TEST(test_conf_env_beats_file)
{
	char *const	envp[] = {
		"PATH=/usr/bin",
		"TICKSINK=/usr/bin/ticksink",
		"TICKSINKX_BATCH_MAX_ROWS=1",
		"TICKSINK_NO_EQUALS_SIGN",
		"TICKSINK_BATCH_MAX_ROWS=777",
		"TICKSINK_KAFKA_TOPIC= spaced ",
		"TICKSINK_SERVICE_LOG_LEVEL=debug",
		"TICKSINK_CLICKHOUSE_PASSWORD_FILE=/run/pw",
		NULL
	};

	ck_assert_int_eq(load("[batch]\nmax_rows = 5\n[kafka]\ntopic = t\n"
	    "[service]\nlog_level = error\n"), 0);
	ck_assert_int_eq(conf_apply_env(conf, envp, &cause), 0);
	ck_assert_ptr_null(cause);
	ck_assert_uint_eq(conf->batch_max_rows, 777);
	ck_assert_str_eq(conf->kafka_topic, " spaced ");
	ck_assert_int_eq(conf->log_level, CONF_LOG_DEBUG);
	ck_assert_str_eq(conf->ch_password_file, "/run/pw");
	ck_assert_ptr_null(conf->ch_password);
}
END_TEST

START_TEST(test_conf_env_passthrough)
{
	char *const	envp[] = {
		"TICKSINK_KAFKA_FETCH_MAX_BYTES=2097152",
		"TICKSINK_KAFKA_SASL_PASSWORD=hunter2",
		"TICKSINK_KAFKA_BROKERS=e:9092",
		NULL
	};

	ck_assert_int_eq(load("[kafka]\nfetch.max.bytes = 1\n"
	    "session.timeout.ms = 6000\n"), 0);
	ck_assert_int_eq(conf_apply_env(conf, envp, &cause), 0);
	ck_assert_str_eq(conf->kafka_brokers, "e:9092");
	ck_assert_uint_eq(conf->kafka_nprops, 3);
	ck_assert_str_eq(conf->kafka_props[0].key, "fetch.max.bytes");
	ck_assert_str_eq(conf->kafka_props[0].value, "2097152");
	ck_assert_str_eq(conf->kafka_props[1].key, "session.timeout.ms");
	ck_assert_str_eq(conf->kafka_props[1].value, "6000");
	ck_assert_str_eq(conf->kafka_props[2].key, "sasl.password");
	ck_assert_str_eq(conf->kafka_props[2].value, "hunter2");
}
END_TEST

START_TEST(test_conf_env_password)
{
	ck_assert_int_eq(apply_env("TICKSINK_CLICKHOUSE_PASSWORD=s3cr3t\n"),
	    0);
	ck_assert_str_eq(conf->ch_password, "s3cr3t\n");
	ck_assert_int_eq(apply_env("TICKSINK_CLICKHOUSE_PASSWORD="), 0);
	ck_assert_str_eq(conf->ch_password, "");
}
END_TEST

START_TEST(test_conf_set_password)
{
	conf_set_password(conf, "old", 3);
	conf_set_password(conf, passwords[_i].in, strlen(passwords[_i].in));
	ck_assert_str_eq(conf->ch_password, passwords[_i].out);
}
END_TEST

START_TEST(test_conf_is_secret_key)
{
	ck_assert_msg(conf_is_secret_key(secret_keys[_i].key) ==
	    secret_keys[_i].secret, "%s", secret_keys[_i].key);
}
END_TEST

START_TEST(test_conf_dump_masks_secrets)
{
	char	*dump;

	ck_assert_int_eq(load("[kafka]\nsasl.password = hunter2\n"
	    "ssl.key.pem = hunter3\nsecurity.protocol = SASL_SSL\n"), 0);
	ck_assert_int_eq(apply_env("TICKSINK_KAFKA_SASL_OAUTHBEARER_CLIENT_"
	    "SECRET=hunter4"), 0);
	dump = conf_dump(conf);
	ck_assert_ptr_nonnull(strstr(dump, "# password = (not set)\n"));
	free(dump);

	conf_set_password(conf, "hunter5\n", 8);
	dump = conf_dump(conf);
	ck_assert_ptr_null(strstr(dump, "hunter"));
	ck_assert_ptr_nonnull(strstr(dump, "\nsasl.password = ********\n"));
	ck_assert_ptr_nonnull(strstr(dump, "\nssl.key.pem = ********\n"));
	ck_assert_ptr_nonnull(strstr(dump,
	    "\nsasl.oauthbearer.client.secret = ********\n"));
	ck_assert_ptr_nonnull(strstr(dump, "\nsecurity.protocol = SASL_SSL\n"));
	ck_assert_ptr_nonnull(strstr(dump, "\n# password = (set)\n"));
	free(dump);
}
END_TEST

START_TEST(test_conf_dump_defaults)
{
	char	*dump;

	dump = conf_dump(conf);
	ck_assert_str_eq(dump,
	    "# ticksink effective configuration; secrets are masked\n"
	    "\n[kafka]\n"
	    "brokers = 127.0.0.1:9092\n"
	    "topic = price_ticks\n"
	    "group = ticks_ingestor\n"
	    "\n[clickhouse]\n"
	    "url = http://127.0.0.1:8123\n"
	    "database = default\n"
	    "user = default\n"
	    "password_file = \"\"\n"
	    "# password = (not set)\n"
	    "table = ticks_db\n"
	    "rejects_table = ticks_rejected\n"
	    "timeout_ms = 10000\n"
	    "ca_file = \"\"\n"
	    "tls_verify = true\n"
	    "gzip_level = 0\n"
	    "\n[batch]\n"
	    "max_rows = 32768\n"
	    "max_bytes = 4194304\n"
	    "max_delay_ms = 250\n"
	    "max_inflight = 2\n"
	    "window_rows = 262144\n"
	    "max_buffer_bytes = 33554432\n"
	    "\n[validate]\n"
	    "max_message_bytes = 65536\n"
	    "max_future_skew_ms = 300000\n"
	    "reject_raw_max_bytes = 4096\n"
	    "\n[service]\n"
	    "drain_timeout_ms = 20000\n"
	    "stall_timeout_ms = 60000\n"
	    "status_interval_ms = 5000\n"
	    "log_level = info\n"
	    "\n[diagnostics]\n"
	    "heartbeat_s = 30\n"
	    "ws_lag_threshold_ms = 1500\n"
	    "proc_lag_threshold_ms = 3000\n"
	    "empty_limit = 10\n"
	    "ticks_retention_days = 1\n"
	    "diagnostics_retention_days = 7\n"
	    "retention_interval_s = 3600\n"
	    "\n[http]\n"
	    "listen = 127.0.0.1:9464\n");
	free(dump);
}
END_TEST

START_TEST(test_conf_dump_round_trips)
{
	struct conf	*again;
	char		*first, *second;

	ck_assert_int_eq(load("[kafka]\ntopic = \"\"quoted\"\"\n"
	    "group = \" padded \"\n"
	    "client.id = a = b # c\n"
	    "sasl.password = hunter2\n"
	    "[clickhouse]\nurl = https://ch:8443/?x=1\nuser = \"u \"\n"
	    "[batch]\nmax_bytes = 1048576\nmax_buffer_bytes = 4194304\n"
	    "[validate]\nmax_future_skew_ms = 0\n"
	    "[service]\nlog_level = warning\n"), 0);
	ck_assert_int_eq(apply_env("TICKSINK_KAFKA_FETCH_WAIT_MAX_MS=10"), 0);
	first = conf_dump(conf);

	again = conf_new();
	ck_assert_int_eq(conf_load(again, first, strlen(first), "dump",
	    &cause), 0);
	second = conf_dump(again);
	ck_assert_str_eq(second, first);
	ck_assert_str_eq(again->kafka_topic, "\"quoted\"");
	ck_assert_str_eq(again->kafka_group, " padded ");
	ck_assert_str_eq(again->ch_user, "u ");
	ck_assert_str_eq(again->ch_password_file, "");
	ck_assert_uint_eq(again->kafka_nprops, 3);
	ck_assert_str_eq(again->kafka_props[1].value, "********");
	free(first);
	free(second);
	conf_free(again);
}
END_TEST

START_TEST(test_conf_validate_ok)
{
	ck_assert_int_eq(load("[batch]\nmax_bytes = 4096\n"
	    "max_buffer_bytes = 8192\n"), 0);
	ck_assert_int_eq(conf_validate(conf, &cause), 0);
	ck_assert_ptr_null(cause);
}
END_TEST

START_TEST(test_conf_reject_file)
{
	ck_assert_int_eq(run_reject(&reject_file[_i]), -1);
	ck_assert_str_eq(cause, reject_file[_i].cause);
}
END_TEST

START_TEST(test_conf_reject_env)
{
	ck_assert_int_eq(run_reject(&reject_env[_i]), -1);
	ck_assert_str_eq(cause, reject_env[_i].cause);
}
END_TEST

START_TEST(test_conf_reject_hides_secrets)
{
	ck_assert_int_eq(run_reject(&reject_secret[_i]), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, "hunter2") == NULL, "leaked: %s", cause);
}
END_TEST

START_TEST(test_conf_reject_nul_byte)
{
	static const char	ini[] = "[kafka]\ntopic = a\0b\n";

	ck_assert_int_eq(conf_load(conf, ini, sizeof ini - 1, FILE_NAME,
	    &cause), -1);
	ck_assert_str_eq(cause, "config.ini:2: line contains a control "
	    "character");
}
END_TEST

START_TEST(test_conf_reject_conflict)
{
	ck_assert_int_eq(load("[batch]\nmax_buffer_bytes = 1000\n"), 0);
	ck_assert_int_eq(conf_validate(conf, &cause), -1);
	ck_assert_str_eq(cause, "[batch] max_buffer_bytes = 1000 conflicts "
	    "with max_bytes = 4194304: must be at least twice max_bytes");
}
END_TEST

START_TEST(test_conf_reject_conflict_by_one)
{
	ck_assert_int_eq(apply_env("TICKSINK_BATCH_MAX_BYTES=1073741824"), 0);
	ck_assert_int_eq(apply_env("TICKSINK_BATCH_MAX_BUFFER_BYTES="
	    "2147483647"), 0);
	ck_assert_int_eq(conf_validate(conf, &cause), -1);
	ck_assert_str_eq(cause, "[batch] max_buffer_bytes = 2147483647 "
	    "conflicts with max_bytes = 1073741824: must be at least twice "
	    "max_bytes");
}
END_TEST

/* Properties that delivery depends on cannot be passed through. */
static const struct {
	const char	*ini;
	const char	*env;
	const char	*msg;
} reserved_cases[] = {
	{ "[kafka]\nenable.auto.offset.store = true", NULL,
	    "[kafka] enable.auto.offset.store cannot be set: ticksink stores "
	    "offsets only after their rows landed" },
	{ NULL, "TICKSINK_KAFKA_GROUP_ID=x",
	    "[kafka] group.id cannot be set: use [kafka] group" },
	{ "[kafka]\nbootstrap.servers = a:1", NULL,
	    "[kafka] bootstrap.servers cannot be set: use [kafka] brokers" },
};

START_TEST(test_conf_reject_reserved_property)
{
	if (reserved_cases[_i].ini != NULL)
		ck_assert_int_eq(load(reserved_cases[_i].ini), 0);
	if (reserved_cases[_i].env != NULL)
		ck_assert_int_eq(apply_env(reserved_cases[_i].env), 0);
	ck_assert_int_eq(conf_validate(conf, &cause), -1);
	ck_assert_str_eq(cause, reserved_cases[_i].msg);
}
END_TEST

START_TEST(test_conf_range)
{
	const struct range_case	*rc = &ranges[_i / 4];
	char			 ini[256], value[32], expect[256];
	uint64_t		 v;
	int			 variant = _i % 4;

	/* 0: min, 1: max, 2: min - 1, 3: max + 1. */
	v = (variant == 0 || variant == 2) ? rc->min : rc->max;
	if (variant == 2 && rc->min == 0) {
		snprintf(value, sizeof value, "-1");
	} else {
		v = variant == 2 ? v - 1 : variant == 3 ? v + 1 : v;
		snprintf(value, sizeof value, "%ju", (uintmax_t)v);
	}
	ini_line(ini, sizeof ini, rc->section, rc->key, value);
	if (variant < 2) {
		ck_assert_int_eq(load(ini), 0);
		ck_assert_uint_eq(field_uint(conf, rc->off, rc->kind), v);
		return;
	}
	ck_assert_int_eq(load(ini), -1);
	snprintf(expect, sizeof expect, "config.ini:2: [%s] %s = '%s': "
	    "expected an integer from %ju to %ju", rc->section, rc->key, value,
	    (uintmax_t)rc->min, (uintmax_t)rc->max);
	ck_assert_str_eq(cause, expect);
}
END_TEST

START_TEST(test_conf_range_env)
{
	const struct range_case	*rc = &ranges[_i / 2];
	char			 env[128], expect[256];
	uint64_t		 v;

	/* Even: max is accepted; odd: max + 1 is refused. */
	v = rc->max + (_i % 2);
	snprintf(env, sizeof env, "%s=%ju", rc->env, (uintmax_t)v);
	if (_i % 2 == 0) {
		ck_assert_int_eq(apply_env(env), 0);
		ck_assert_uint_eq(field_uint(conf, rc->off, rc->kind), v);
		return;
	}
	ck_assert_int_eq(apply_env(env), -1);
	snprintf(expect, sizeof expect, "%s = '%ju': expected an integer "
	    "from %ju to %ju", rc->env, (uintmax_t)v, (uintmax_t)rc->min,
	    (uintmax_t)rc->max);
	ck_assert_str_eq(cause, expect);
}
END_TEST

START_TEST(test_conf_bad_integer)
{
	char	ini[256], expect[256];
	char	shown[64];

	ini_line(ini, sizeof ini, "batch", "max_inflight", bad_integers[_i]);
	ck_assert_int_eq(load(ini), -1);
	snprintf(shown, sizeof shown, "%s", bad_integers[_i]);
	if (strcmp(shown, "\"\"") == 0)
		shown[0] = '\0';
	snprintf(expect, sizeof expect, "config.ini:2: [batch] max_inflight = "
	    "'%s': expected an integer from 1 to 64", shown);
	ck_assert_str_eq(cause, expect);
}
END_TEST

START_TEST(test_conf_text_lengths)
{
	char	ini[512], value[300], expect[512];

	memset(value, 'a', 249);
	value[249] = '\0';
	ck_assert_int_eq(load(ini_line(ini, sizeof ini, "kafka", "topic",
	    value)), 0);
	ck_assert_uint_eq(strlen(conf->kafka_topic), 249);

	memset(value, 'b', 250);
	value[250] = '\0';
	ck_assert_int_eq(load(ini_line(ini, sizeof ini, "kafka", "topic",
	    value)), -1);
	snprintf(expect, sizeof expect, "config.ini:2: [kafka] topic = "
	    "'%.80s...': expected 1 to 249 characters", value);
	ck_assert_str_eq(cause, expect);
}
END_TEST

START_TEST(test_conf_ident_lengths)
{
	char	ini[512], value[80], expect[512];

	memset(value, 't', 64);
	value[64] = '\0';
	ck_assert_int_eq(load(ini_line(ini, sizeof ini, "clickhouse", "table",
	    value)), 0);
	ck_assert_str_eq(conf->ch_table, value);

	memset(value, 'u', 65);
	value[65] = '\0';
	conf_free(conf);
	conf = conf_new();
	ck_assert_int_eq(load(ini_line(ini, sizeof ini, "clickhouse", "table",
	    value)), -1);
	snprintf(expect, sizeof expect, "config.ini:2: [clickhouse] table = "
	    "'%s': expected an identifier [A-Za-z_][A-Za-z0-9_]* of at most "
	    "64 characters", value);
	ck_assert_str_eq(cause, expect);
}
END_TEST

/* Builds the suite: valid input, rejected input, and limits. */
static Suite *
conf_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("conf");

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_conf_defaults);
	tcase_add_test(tc, test_conf_urls_split);
	tcase_add_test(tc, test_conf_empty_input);
	tcase_add_loop_test(tc, test_conf_each_key_parses, 0,
	    nitems(valid_keys));
	tcase_add_loop_test(tc, test_conf_syntax, 0, nitems(valid_syntax));
	tcase_add_test(tc, test_conf_props_in_file_order);
	tcase_add_test(tc, test_conf_env_beats_file);
	tcase_add_test(tc, test_conf_env_passthrough);
	tcase_add_test(tc, test_conf_env_password);
	tcase_add_loop_test(tc, test_conf_set_password, 0, nitems(passwords));
	tcase_add_loop_test(tc, test_conf_is_secret_key, 0,
	    nitems(secret_keys));
	tcase_add_test(tc, test_conf_dump_masks_secrets);
	tcase_add_test(tc, test_conf_dump_defaults);
	tcase_add_test(tc, test_conf_dump_round_trips);
	tcase_add_test(tc, test_conf_validate_ok);
	suite_add_tcase(s, tc);

	tc = tcase_create("reject");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_conf_reject_file, 0, nitems(reject_file));
	tcase_add_loop_test(tc, test_conf_reject_env, 0, nitems(reject_env));
	tcase_add_loop_test(tc, test_conf_reject_hides_secrets, 0,
	    nitems(reject_secret));
	tcase_add_test(tc, test_conf_reject_nul_byte);
	tcase_add_test(tc, test_conf_reject_conflict);
	tcase_add_test(tc, test_conf_reject_conflict_by_one);
	tcase_add_loop_test(tc, test_conf_reject_reserved_property, 0,
	    sizeof reserved_cases / sizeof reserved_cases[0]);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_conf_range, 0, nitems(ranges) * 4);
	tcase_add_loop_test(tc, test_conf_range_env, 0, nitems(ranges) * 2);
	tcase_add_loop_test(tc, test_conf_bad_integer, 0,
	    nitems(bad_integers));
	tcase_add_test(tc, test_conf_text_lengths);
	tcase_add_test(tc, test_conf_ident_lengths);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (check_run(conf_suite()));
}
