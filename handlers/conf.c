/*
 * ticksink: the configuration parser.
 *
 * Every known key is one row of conf_keys: its section, name, type, field in
 * struct conf, range and default.  Parsing the file, the TICKSINK_* overrides,
 * the defaults, the dump and the "did you mean" suggestions all walk that one
 * table, so a new key is one row there plus its field in struct conf.  The
 * defaults are written as text and go through the same setter as a value from
 * the file, so a default outside its own range fails loudly in conf_new
 * instead of slipping through.
 *
 * The code is pure: the reactor reads the file, environ and the password
 * credential and passes them in as bytes.  Error messages are one line that
 * names the place, the key, the value and what was expected; they never
 * contain the password or a [kafka] property value, because neither is ever
 * echoed (the first is only stored, the second is never validated), and a
 * URL with user:password@ in it is refused without being echoed.
 */

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "endpoint.h"
#include "log.h"
#include "xmalloc.h"

#define nitems(a)		(sizeof (a) / sizeof (a)[0])

#define CONF_ENV_PREFIX		"TICKSINK_"
#define CONF_PASSTHROUGH	"kafka"	/* other keys go to librdkafka */
#define CONF_TEXT_MAX		4096	/* longest free-text value */
#define CONF_IDENT_MAX		64	/* longest SQL identifier */
#define CONF_NAME_MAX		128	/* longest name worth comparing */
#define CONF_SHOW_MAX		80	/* longest value echoed in a message */
#define CONF_SUGGEST_MAX	3	/* largest edit distance suggested */
#define CONF_PASSWORD_SOURCES \
	"password_file, TICKSINK_CLICKHOUSE_PASSWORD or the systemd " \
	"credential clickhouse_password"

/* How a value is checked and stored. */
enum conf_type {
	CONF_TEXT,	/* char *; min..max is the length in bytes */
	CONF_URL,	/* char *; http(s)://, a host, no credentials; or
			   several, comma-separated (conf_urls) */
	CONF_IDENT,	/* char *; SQL identifier of min..max bytes */
	CONF_U32,	/* uint32_t; decimal in min..max */
	CONF_U64,	/* uint64_t; decimal in min..max */
	CONF_LEVEL,	/* int; a name from conf_levels */
	CONF_BOOL,	/* bool; true or false */
	CONF_SECRET	/* char *; environment only, never shown */
};

/* What conf_check_url found. */
enum conf_url_check {
	CONF_URL_OK,
	CONF_URL_BAD,
	CONF_URL_CREDENTIALS,
	CONF_URL_TOO_MANY
};

/* One known key. */
struct conf_key {
	const char	*section;
	const char	*key;
	enum conf_type	 type;
	size_t		 off;		/* offset of the field in struct conf */
	uint64_t	 min;
	uint64_t	 max;
	const char	*def;		/* default as the file would spell it */
};

/* One log level name. */
struct conf_level {
	const char	*name;
	int		 level;
};

/* Cross-key rule: key must be at least factor times other. */
struct conf_rule {
	const char	*section;
	const char	*key;
	const char	*other;
	uint64_t	 factor;
	const char	*factor_word;	/* "twice" */
};

/* State while conf_load walks the lines of one text. */
struct conf_loader {
	struct conf	*conf;
	const char	*name;
	unsigned int	 line;
	const char	*section;	/* in conf_keys; NULL before a header */
	unsigned int	*seen;		/* per conf_keys row, line or 0 */
	unsigned int	*plines;	/* per kafka_props entry, line or 0 */
	size_t		 nplines;
};

/* The closest candidate name seen so far. */
struct conf_best {
	char		 name[CONF_NAME_MAX + 1];
	size_t		 distance;
};

/* A growing output string. */
struct conf_out {
	char		*buf;
	size_t		 len;
	size_t		 cap;
};

static bool	 conf_is_blank(char);
static void	 conf_trim(const char **, size_t *);
static bool	 conf_has_ctl(const char *, size_t);
static size_t	 conf_distance(const char *, size_t, const char *, size_t);
static void	 conf_best_try(struct conf_best *, const char *, size_t,
		     const char *);
static bool	 conf_best_is_close(const struct conf_best *);
static const struct conf_key *conf_find(const char *, const char *, size_t);
static const char *conf_find_section(const char *, size_t);
static void	 conf_env_name(const struct conf_key *, char *, size_t);
static const char *conf_show(char *, size_t, const char *, size_t);
static bool	 conf_is_string(enum conf_type);
static bool	 conf_parse_uint(const char *, size_t, uint64_t *);
static bool	 conf_is_ident(const char *, size_t, uint64_t, uint64_t);
static enum conf_url_check conf_check_url(const char *, size_t);
static enum conf_url_check conf_check_urls(const char *, size_t, char **);
static uint64_t	 conf_get_uint(const struct conf *, const struct conf_key *);
static void	 conf_free_string(char *, bool);
static void	 conf_set_string(char **, const char *, size_t, bool);
static int	 conf_set(struct conf *, const struct conf_key *, const char *,
		     const char *, size_t, char **);
static bool	 conf_prop_name_ok(const char *, size_t);
static size_t	 conf_prop_find(const struct conf *, const char *, size_t);
static size_t	 conf_prop_set(struct conf *, const char *, size_t,
		     const char *, size_t);
static int	 conf_load_line(struct conf_loader *, const char *, size_t,
		     char **);
static int	 conf_load_section(struct conf_loader *, const char *, size_t,
		     char **);
static int	 conf_load_pair(struct conf_loader *, const char *, size_t,
		     const char *, size_t, char **);
static int	 conf_load_prop(struct conf_loader *, const char *, size_t,
		     const char *, size_t, char **);
static int	 conf_env_one(struct conf *, const char *, size_t,
		     const char *, char **);
static void	 conf_out_add(struct conf_out *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
static void	 conf_out_value(struct conf_out *, const char *);

#define CONF_KEY(s, k, t, f, mn, mx, d) \
	{ s, k, t, offsetof(struct conf, f), mn, mx, d }

/*
 * Every known key, grouped by section in the order conf_dump prints them.
 * The ranges are the ones the brief gives; max_buffer_bytes has only a loose
 * range of its own because conf_validate ties it to max_bytes.
 */
static const struct conf_key conf_keys[] = {
	CONF_KEY("kafka", "brokers", CONF_TEXT, kafka_brokers,
	    1, CONF_TEXT_MAX, "127.0.0.1:9092"),
	CONF_KEY("kafka", "topic", CONF_TEXT, kafka_topic,
	    1, 249, "price_ticks"),		/* Kafka's own topic limit */
	CONF_KEY("kafka", "group", CONF_TEXT, kafka_group,
	    1, CONF_TEXT_MAX, "ticks_ingestor"),

	CONF_KEY("clickhouse", "url", CONF_URL, ch_url,
	    0, CONF_TEXT_MAX, "http://127.0.0.1:8123"),
	CONF_KEY("clickhouse", "database", CONF_IDENT, ch_database,
	    1, CONF_IDENT_MAX, "default"),
	CONF_KEY("clickhouse", "user", CONF_TEXT, ch_user,
	    1, CONF_TEXT_MAX, "default"),
	CONF_KEY("clickhouse", "password_file", CONF_TEXT, ch_password_file,
	    0, CONF_TEXT_MAX, ""),
	CONF_KEY("clickhouse", "password", CONF_SECRET, ch_password,
	    0, 0, NULL),
	CONF_KEY("clickhouse", "table", CONF_IDENT, ch_table,
	    1, CONF_IDENT_MAX, "ticks_db"),
	CONF_KEY("clickhouse", "rejects_table", CONF_IDENT, ch_rejects_table,
	    1, CONF_IDENT_MAX, "ticks_rejected"),
	CONF_KEY("clickhouse", "timeout_ms", CONF_U32, ch_timeout_ms,
	    100, 600000, "10000"),
	CONF_KEY("clickhouse", "ca_file", CONF_TEXT, ch_ca_file,
	    0, CONF_TEXT_MAX, ""),
	CONF_KEY("clickhouse", "tls_verify", CONF_BOOL, ch_tls_verify,
	    0, 0, "true"),
	/* 0: ticks inserts as they are; 1 to 9: gzip at that level. */
	CONF_KEY("clickhouse", "gzip_level", CONF_U32, ch_gzip_level,
	    0, 9, "0"),

	/* Below max_insert_block_size, so one insert is one atomic block. */
	CONF_KEY("batch", "max_rows", CONF_U32, batch_max_rows,
	    1, 1000000, "32768"),
	CONF_KEY("batch", "max_bytes", CONF_U64, batch_max_bytes,
	    4096, 1073741824, "4194304"),
	CONF_KEY("batch", "max_delay_ms", CONF_U32, batch_max_delay_ms,
	    1, 600000, "250"),
	CONF_KEY("batch", "max_inflight", CONF_U32, batch_max_inflight,
	    1, 64, "2"),
	/*
	 * Rows per window, one streamed insert of batches closed full, which
	 * the server writes as one part (under its max_insert_block_size).
	 */
	CONF_KEY("batch", "window_rows", CONF_U32, batch_window_rows,
	    0, 10000000, "262144"),
	CONF_KEY("batch", "max_buffer_bytes", CONF_U64, batch_max_buffer_bytes,
	    1, 68719476736ULL, "33554432"),

	CONF_KEY("validate", "max_message_bytes", CONF_U32, max_message_bytes,
	    64, 16777216, "65536"),
	CONF_KEY("validate", "max_future_skew_ms", CONF_U32, max_future_skew_ms,
	    0, 86400000, "300000"),
	CONF_KEY("validate", "reject_raw_max_bytes", CONF_U32,
	    reject_raw_max_bytes, 0, 1048576, "4096"),

	CONF_KEY("service", "drain_timeout_ms", CONF_U32, drain_timeout_ms,
	    100, 3600000, "20000"),
	CONF_KEY("service", "stall_timeout_ms", CONF_U32, stall_timeout_ms,
	    1000, 86400000, "60000"),
	CONF_KEY("service", "status_interval_ms", CONF_U32, status_interval_ms,
	    100, 3600000, "5000"),
	CONF_KEY("service", "log_level", CONF_LEVEL, log_level,
	    0, 0, "info"),

	CONF_KEY("diagnostics", "heartbeat_s", CONF_U32, diag_heartbeat_s,
	    1, 86400, "30"),
	CONF_KEY("diagnostics", "ws_lag_threshold_ms", CONF_U32, diag_ws_lag_ms,
	    1, 3600000, "1500"),
	CONF_KEY("diagnostics", "proc_lag_threshold_ms", CONF_U32,
	    diag_proc_lag_ms, 1, 3600000, "3000"),
	CONF_KEY("diagnostics", "empty_limit", CONF_U32, diag_empty_limit,
	    0, 1000000, "10"),
	CONF_KEY("diagnostics", "ticks_retention_days", CONF_U32,
	    diag_ticks_retention_days, 0, 36500, "1"),
	CONF_KEY("diagnostics", "diagnostics_retention_days", CONF_U32,
	    diag_retention_days, 0, 36500, "7"),
	CONF_KEY("diagnostics", "retention_interval_s", CONF_U32,
	    diag_retention_interval_s, 1, 86400, "3600"),

	CONF_KEY("http", "listen", CONF_TEXT, http_listen,
	    0, CONF_TEXT_MAX, "127.0.0.1:9464"),
};

static const struct conf_level conf_levels[] = {
	{ "error",	CONF_LOG_ERROR },
	{ "warning",	CONF_LOG_WARNING },
	{ "info",	CONF_LOG_INFO },
	{ "debug",	CONF_LOG_DEBUG },
};

static const struct conf_rule conf_rules[] = {
	{ "batch", "max_buffer_bytes", "max_bytes", 2, "twice" },
};

/*
 * Property names whose values are secret.  The substrings catch the common
 * spellings; the exact names are the rest of what librdkafka marks
 * _RK_SENSITIVE in rdkafka_conf.c (it hides sasl.username and ssl.ca.pem
 * too), plus the Java sasl.jaas.config that people paste in by habit.
 */
static const char *conf_secret_words[] = {
	"password", "secret", "credential", "token",
};
static const char *conf_secret_names[] = {
	"sasl.username", "sasl.oauthbearer.config", "sasl.jaas.config",
	"ssl.ca.pem",
};

/*
 * librdkafka properties that ticksink sets itself because delivery depends
 * on them, each with what to do instead.
 */
static const struct {
	const char	*name;
	const char	*instead;
} conf_reserved_props[] = {
	{ "bootstrap.servers", "use [kafka] brokers" },
	{ "metadata.broker.list", "use [kafka] brokers" },
	{ "group.id", "use [kafka] group" },
	{ "enable.auto.offset.store", "ticksink stores offsets only after "
	    "their rows landed" },
	{ "enable.auto.commit", "ticksink relies on librdkafka committing "
	    "the offsets it stored" },
};

/* Returns true for the blanks trimmed around names and values. */
static bool
conf_is_blank(char c)
{
	return (c == ' ' || c == '\t' || c == '\r');
}

/* Trims spaces, tabs and carriage returns from both ends of a span. */
static void
conf_trim(const char **s, size_t *n)
{
	while (*n > 0 && conf_is_blank((*s)[0])) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && conf_is_blank((*s)[*n - 1]))
		(*n)--;
}

/* Returns true if the span holds a control character other than tab. */
static bool
conf_has_ctl(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return (true);
	}
	return (false);
}

/*
 * Returns the case-insensitive Levenshtein distance between two names, or
 * SIZE_MAX when either is too long to be worth comparing.
 */
static size_t
conf_distance(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t	row[2][CONF_NAME_MAX + 1], *prev, *cur, *tmp, cost, i, j;

	if (alen > CONF_NAME_MAX || blen > CONF_NAME_MAX)
		return (SIZE_MAX);
	prev = row[0];
	cur = row[1];
	for (j = 0; j <= blen; j++)
		prev[j] = j;
	for (i = 1; i <= alen; i++) {
		cur[0] = i;
		for (j = 1; j <= blen; j++) {
			cost = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			cur[j] = prev[j - 1] + cost;
			if (prev[j] + 1 < cur[j])
				cur[j] = prev[j] + 1;
			if (cur[j - 1] + 1 < cur[j])
				cur[j] = cur[j - 1] + 1;
		}
		tmp = prev;
		prev = cur;
		cur = tmp;
	}
	return (prev[blen]);
}

/* Keeps candidate if it is closer to the wanted name than the best so far. */
static void
conf_best_try(struct conf_best *best, const char *want, size_t wlen,
    const char *candidate)
{
	size_t	d;

	d = conf_distance(want, wlen, candidate, strlen(candidate));
	if (d < best->distance) {
		best->distance = d;
		snprintf(best->name, sizeof best->name, "%s", candidate);
	}
}

/*
 * Returns true if the best candidate is close enough to suggest: a few edits,
 * and no more than half of it, so "foo" never suggests "url".
 */
static bool
conf_best_is_close(const struct conf_best *best)
{
	return (best->distance <= CONF_SUGGEST_MAX &&
	    best->distance * 2 <= strlen(best->name));
}

/* Returns the row for section and key, or NULL. */
static const struct conf_key *
conf_find(const char *section, const char *key, size_t klen)
{
	const struct conf_key	*k;
	size_t			 i;

	for (i = 0; i < nitems(conf_keys); i++) {
		k = &conf_keys[i];
		if (strcmp(k->section, section) == 0 &&
		    strlen(k->key) == klen && memcmp(k->key, key, klen) == 0)
			return (k);
	}
	return (NULL);
}

/* Returns the table's spelling of a section name, or NULL if unknown. */
static const char *
conf_find_section(const char *name, size_t nlen)
{
	size_t	i;

	for (i = 0; i < nitems(conf_keys); i++) {
		if (strlen(conf_keys[i].section) == nlen &&
		    memcmp(conf_keys[i].section, name, nlen) == 0)
			return (conf_keys[i].section);
	}
	return (NULL);
}

/* Writes TICKSINK_<SECTION>_<KEY> for a row into buf. */
static void
conf_env_name(const struct conf_key *k, char *buf, size_t size)
{
	char	*p;

	snprintf(buf, size, CONF_ENV_PREFIX "%s_%s", k->section, k->key);
	for (p = buf; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
}

/* Formats a value for a message, cut to CONF_SHOW_MAX bytes; returns buf. */
static const char *
conf_show(char *buf, size_t size, const char *v, size_t vlen)
{
	if (vlen > CONF_SHOW_MAX)
		snprintf(buf, size, "%.*s...", CONF_SHOW_MAX, v);
	else
		snprintf(buf, size, "%.*s", (int)vlen, v);
	return (buf);
}

/* Returns true if the type is stored as an allocated string. */
static bool
conf_is_string(enum conf_type type)
{
	return (type == CONF_TEXT || type == CONF_URL || type == CONF_IDENT ||
	    type == CONF_SECRET);
}

/*
 * Parses an unsigned decimal: digits only, no sign, no spaces.  A value too
 * large for 64 bits becomes UINT64_MAX, which every range rejects.
 */
static bool
conf_parse_uint(const char *s, size_t n, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;
	unsigned int	d;

	if (n == 0)
		return (false);
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (false);
		d = s[i] - '0';
		if (v > (UINT64_MAX - d) / 10)
			v = UINT64_MAX;
		else if (v != UINT64_MAX)
			v = v * 10 + d;
	}
	*out = v;
	return (true);
}

/* Returns true for [A-Za-z_][A-Za-z0-9_]* of min..max bytes. */
static bool
conf_is_ident(const char *s, size_t n, uint64_t min, uint64_t max)
{
	size_t	i;

	if (n < min || n > max || n == 0)
		return (false);
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return (false);
	for (i = 1; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return (false);
	}
	return (true);
}

/*
 * Checks a ClickHouse URL.  user:password@ is reported apart from other
 * faults, since it would put a secret in the file and in every message that
 * echoes the URL, so it is refused before anything is echoed.
 */
static enum conf_url_check
conf_check_url(const char *v, size_t vlen)
{
	const char	*host, *end;
	size_t		 i;

	host = v;
	for (i = 0; i + 3 <= vlen; i++) {
		if (memcmp(v + i, "://", 3) == 0) {
			host = v + i + 3;
			break;
		}
	}
	for (end = host; end < v + vlen; end++) {
		if (*end == '/' || *end == '?' || *end == '#')
			break;
	}
	if (memchr(host, '@', end - host) != NULL)
		return (CONF_URL_CREDENTIALS);
	if (memchr(v, ' ', vlen) != NULL || memchr(v, '\t', vlen) != NULL)
		return (CONF_URL_BAD);
	if (!(vlen >= 7 && strncasecmp(v, "http://", 7) == 0) &&
	    !(vlen >= 8 && strncasecmp(v, "https://", 8) == 0))
		return (CONF_URL_BAD);
	if (end == host)
		return (CONF_URL_BAD);
	return (CONF_URL_OK);
}

/*
 * Checks a list of ClickHouse URLs separated by commas (one is a list too),
 * blanks around each allowed.  Credentials anywhere in it are reported
 * first, as the other faults echo the whole value.  On success *out is
 * the list again without the blanks, allocated.
 */
static enum conf_url_check
conf_check_urls(const char *v, size_t vlen, char **out)
{
	const char		*p, *comma, *end = v + vlen;
	size_t			 n, count = 0;
	enum conf_url_check	 r, worst = CONF_URL_OK;
	char			*list;

	list = xcalloc(1, vlen + 1);
	for (p = v; p <= end; p = comma + 1) {
		if ((comma = memchr(p, ',', end - p)) == NULL)
			comma = end;
		n = comma - p;
		conf_trim(&p, &n);
		r = conf_check_url(p, n);
		if (r == CONF_URL_OK && ++count > ENDPOINT_MAX)
			r = CONF_URL_TOO_MANY;
		if (r == CONF_URL_CREDENTIALS || worst == CONF_URL_OK)
			worst = r;
		if (count > 1 && r == CONF_URL_OK)
			strcat(list, ",");
		strncat(list, p, n);
	}
	if (worst != CONF_URL_OK) {
		free(list);
		return (worst);
	}
	*out = list;
	return (CONF_URL_OK);
}

/* The URLs of [clickhouse] url, in order, as allocated strings. */
char **
conf_urls(const struct conf *conf, size_t *n)
{
	const char	*p, *comma;
	char		**urls;

	urls = xcalloc(ENDPOINT_MAX, sizeof *urls);
	*n = 0;
	for (p = conf->ch_url; *n < ENDPOINT_MAX; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		urls[(*n)++] = xstrndup(p, comma - p);
		if (*comma == '\0')
			break;
	}
	return (urls);
}

/* Returns the value of an integer row. */
static uint64_t
conf_get_uint(const struct conf *conf, const struct conf_key *k)
{
	const char	*field = (const char *)conf + k->off;

	if (k->type == CONF_U32)
		return (*(const uint32_t *)field);
	if (k->type == CONF_U64)
		return (*(const uint64_t *)field);
	fatalx("%s: [%s] %s is not an integer", __func__, k->section, k->key);
}

/* Frees a string, first wiping it if it may hold a secret. */
static void
conf_free_string(char *s, bool wipe)
{
	if (s == NULL)
		return;
	if (wipe)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* Replaces *field with a copy of the span. */
static void
conf_set_string(char **field, const char *v, size_t vlen, bool wipe)
{
	conf_free_string(*field, wipe);
	*field = xstrndup(v, vlen);
}

/*
 * Checks and stores one value of a known key.  loc names the place for
 * messages ("config.ini:7: [batch] max_rows" or "TICKSINK_BATCH_MAX_ROWS").
 */
static int
conf_set(struct conf *conf, const struct conf_key *k, const char *loc,
    const char *v, size_t vlen, char **cause)
{
	char		*field = (char *)conf + k->off, *list;
	char		 shown[CONF_SHOW_MAX + 4], expect[128];
	uint64_t	 n;
	size_t		 i, used;

	if (conf_has_ctl(v, vlen)) {
		xasprintf(cause, "%s: value contains a control character",
		    loc);
		return (-1);
	}
	switch (k->type) {
	case CONF_TEXT:
		if (vlen >= k->min && vlen <= k->max) {
			conf_set_string((char **)field, v, vlen, false);
			return (0);
		}
		snprintf(expect, sizeof expect, "%ju to %ju characters",
		    (uintmax_t)k->min, (uintmax_t)k->max);
		break;
	case CONF_URL:
		switch (conf_check_urls(v, vlen, &list)) {
		case CONF_URL_OK:
			free(*(char **)field);
			*(char **)field = list;
			return (0);
		case CONF_URL_CREDENTIALS:
			xasprintf(cause, "%s: the URL must not hold "
			    "credentials; set user, and give the password "
			    "with " CONF_PASSWORD_SOURCES, loc);
			return (-1);
		case CONF_URL_TOO_MANY:
		case CONF_URL_BAD:
			break;
		}
		snprintf(expect, sizeof expect, "an http:// or https:// URL "
		    "with a host, or up to %d of them separated by commas",
		    ENDPOINT_MAX);
		break;
	case CONF_IDENT:
		if (conf_is_ident(v, vlen, k->min, k->max)) {
			conf_set_string((char **)field, v, vlen, false);
			return (0);
		}
		snprintf(expect, sizeof expect, "an identifier "
		    "[A-Za-z_][A-Za-z0-9_]* of at most %ju characters",
		    (uintmax_t)k->max);
		break;
	case CONF_U32:
	case CONF_U64:
		if (conf_parse_uint(v, vlen, &n) && n >= k->min &&
		    n <= k->max) {
			if (k->type == CONF_U32)
				*(uint32_t *)field = (uint32_t)n;
			else
				*(uint64_t *)field = n;
			return (0);
		}
		snprintf(expect, sizeof expect, "an integer from %ju to %ju",
		    (uintmax_t)k->min, (uintmax_t)k->max);
		break;
	case CONF_LEVEL:
		used = snprintf(expect, sizeof expect, "one of");
		for (i = 0; i < nitems(conf_levels); i++) {
			if (strlen(conf_levels[i].name) == vlen &&
			    memcmp(conf_levels[i].name, v, vlen) == 0) {
				*(int *)field = conf_levels[i].level;
				return (0);
			}
			used += snprintf(expect + used, sizeof expect - used,
			    "%s %s", i == 0 ? "" : ",", conf_levels[i].name);
		}
		break;
	case CONF_BOOL:
		if ((vlen == 4 && memcmp(v, "true", 4) == 0) ||
		    (vlen == 5 && memcmp(v, "false", 5) == 0)) {
			*(bool *)field = vlen == 4;
			return (0);
		}
		snprintf(expect, sizeof expect, "true or false");
		break;
	case CONF_SECRET:
		xasprintf(cause, "%s: secrets are not read from the config "
		    "file; use " CONF_PASSWORD_SOURCES, loc);
		return (-1);
	}
	xasprintf(cause, "%s = '%s': expected %s", loc,
	    conf_show(shown, sizeof shown, v, vlen), expect);
	return (-1);
}

/* Returns true if a [kafka] property name matches [a-z0-9._-]+. */
static bool
conf_prop_name_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0)
		return (false);
	for (i = 0; i < n; i++) {
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') &&
		    s[i] != '.' && s[i] != '_' && s[i] != '-')
			return (false);
	}
	return (true);
}

/* Returns the index of a property, or kafka_nprops if absent. */
static size_t
conf_prop_find(const struct conf *conf, const char *key, size_t klen)
{
	size_t	i;

	for (i = 0; i < conf->kafka_nprops; i++) {
		if (strlen(conf->kafka_props[i].key) == klen &&
		    memcmp(conf->kafka_props[i].key, key, klen) == 0)
			return (i);
	}
	return (conf->kafka_nprops);
}

/* Sets a property, replacing its value or appending it; returns its index. */
static size_t
conf_prop_set(struct conf *conf, const char *key, size_t klen, const char *v,
    size_t vlen)
{
	struct conf_kv	*kv;
	size_t		 i;

	i = conf_prop_find(conf, key, klen);
	if (i == conf->kafka_nprops) {
		conf->kafka_props = xreallocarray(conf->kafka_props, i + 1,
		    sizeof *conf->kafka_props);
		conf->kafka_nprops++;
		kv = &conf->kafka_props[i];
		kv->key = xstrndup(key, klen);
		kv->value = NULL;
	}
	conf_set_string(&conf->kafka_props[i].value, v, vlen, true);
	return (i);
}

/* Returns a config holding the defaults. */
struct conf *
conf_new(void)
{
	const struct conf_key	*k;
	struct conf		*conf;
	char			*cause;
	size_t			 i;

	conf = xcalloc(1, sizeof *conf);
	for (i = 0; i < nitems(conf_keys); i++) {
		k = &conf_keys[i];
		if (k->def == NULL)
			continue;
		if (conf_set(conf, k, k->key, k->def, strlen(k->def),
		    &cause) != 0)
			fatalx("%s: bad default: %s", __func__, cause);
	}
	return (conf);
}

/* Frees a config and everything in it. */
void
conf_free(struct conf *conf)
{
	const struct conf_key	*k;
	size_t			 i;

	if (conf == NULL)
		return;
	for (i = 0; i < nitems(conf_keys); i++) {
		k = &conf_keys[i];
		if (conf_is_string(k->type)) {
			conf_free_string(*(char **)((char *)conf + k->off),
			    k->type == CONF_SECRET);
		}
	}
	for (i = 0; i < conf->kafka_nprops; i++) {
		free(conf->kafka_props[i].key);
		conf_free_string(conf->kafka_props[i].value, true);
	}
	free(conf->kafka_props);
	free(conf);
}

/* Parses INI text over the current values. */
int
conf_load(struct conf *conf, const char *text, size_t len, const char *name,
    char **cause)
{
	struct conf_loader	 ld;
	const char		*p, *end, *nl;
	size_t			 n;
	int			 rc = 0;

	if (len == 0)
		return (0);
	memset(&ld, 0, sizeof ld);
	ld.conf = conf;
	ld.name = name;
	ld.seen = xcalloc(nitems(conf_keys), sizeof *ld.seen);

	p = text;
	end = text + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;		/* a UTF-8 byte order mark from an editor */
	while (p < end) {
		ld.line++;
		nl = memchr(p, '\n', end - p);
		n = (nl != NULL ? nl : end) - p;
		if (conf_load_line(&ld, p, n, cause) != 0) {
			rc = -1;
			break;
		}
		p = (nl != NULL ? nl + 1 : end);
	}
	free(ld.seen);
	free(ld.plines);
	return (rc);
}

/* Handles one line of the file, without its newline. */
static int
conf_load_line(struct conf_loader *ld, const char *s, size_t n, char **cause)
{
	const char	*eq, *key, *v;
	size_t		 klen, vlen;

	conf_trim(&s, &n);
	if (n == 0 || s[0] == '#' || s[0] == ';')
		return (0);
	if (conf_has_ctl(s, n)) {
		xasprintf(cause, "%s:%u: line contains a control character",
		    ld->name, ld->line);
		return (-1);
	}
	if (s[0] == '[' && n >= 2 && s[n - 1] == ']')
		return (conf_load_section(ld, s + 1, n - 2, cause));
	if (s[0] != '[' && (eq = memchr(s, '=', n)) != NULL) {
		key = s;
		klen = eq - s;
		conf_trim(&key, &klen);
		v = eq + 1;
		vlen = (s + n) - v;
		conf_trim(&v, &vlen);
		if (klen != 0)
			return (conf_load_pair(ld, key, klen, v, vlen, cause));
	}
	xasprintf(cause, "%s:%u: line is not 'key = value' or '[section]'",
	    ld->name, ld->line);
	return (-1);
}

/* Handles a [section] header; s is the text between the brackets. */
static int
conf_load_section(struct conf_loader *ld, const char *s, size_t n,
    char **cause)
{
	struct conf_best	 best = { .distance = SIZE_MAX };
	const char		*section;
	size_t			 i;

	conf_trim(&s, &n);
	if ((section = conf_find_section(s, n)) != NULL) {
		ld->section = section;
		return (0);
	}
	for (i = 0; i < nitems(conf_keys); i++)
		conf_best_try(&best, s, n, conf_keys[i].section);
	if (conf_best_is_close(&best)) {
		xasprintf(cause, "%s:%u: unknown section [%.*s] (did you mean "
		    "[%s]?)", ld->name, ld->line, (int)n, s, best.name);
	} else {
		xasprintf(cause, "%s:%u: unknown section [%.*s]", ld->name,
		    ld->line, (int)n, s);
	}
	return (-1);
}

/* Handles a key = value line; both spans are trimmed, v still quoted. */
static int
conf_load_pair(struct conf_loader *ld, const char *key, size_t klen,
    const char *v, size_t vlen, char **cause)
{
	struct conf_best	 best = { .distance = SIZE_MAX };
	const struct conf_key	*k;
	char			*loc;
	size_t			 i;
	int			 rc;

	if (ld->section == NULL) {
		for (i = 0; i < nitems(conf_keys); i++) {
			k = &conf_keys[i];
			if (strlen(k->key) == klen &&
			    memcmp(k->key, key, klen) == 0)
				break;
		}
		xasprintf(cause, "%s:%u: key '%.*s' comes before any "
		    "[section]%s%s%s", ld->name, ld->line, (int)klen, key,
		    i < nitems(conf_keys) ? " (it belongs in [" : "",
		    i < nitems(conf_keys) ? conf_keys[i].section : "",
		    i < nitems(conf_keys) ? "])" : "");
		return (-1);
	}
	if (vlen > 0 && v[0] == '"') {
		if (vlen < 2 || v[vlen - 1] != '"') {
			xasprintf(cause, "%s:%u: [%s] %.*s: the value has no "
			    "closing double quote", ld->name, ld->line,
			    ld->section, (int)klen, key);
			return (-1);
		}
		v++;
		vlen -= 2;
	}

	if ((k = conf_find(ld->section, key, klen)) != NULL) {
		i = k - conf_keys;
		if (ld->seen[i] != 0) {
			xasprintf(cause, "%s:%u: [%s] %s is set twice (first "
			    "on line %u)", ld->name, ld->line, k->section,
			    k->key, ld->seen[i]);
			return (-1);
		}
		ld->seen[i] = ld->line;
		xasprintf(&loc, "%s:%u: [%s] %s", ld->name, ld->line,
		    k->section, k->key);
		rc = conf_set(ld->conf, k, loc, v, vlen, cause);
		free(loc);
		return (rc);
	}
	if (strcmp(ld->section, CONF_PASSTHROUGH) == 0)
		return (conf_load_prop(ld, key, klen, v, vlen, cause));

	for (i = 0; i < nitems(conf_keys); i++) {
		k = &conf_keys[i];
		if (strcmp(k->section, ld->section) == 0 &&
		    k->type != CONF_SECRET)
			conf_best_try(&best, key, klen, k->key);
	}
	if (conf_best_is_close(&best)) {
		xasprintf(cause, "%s:%u: unknown key '%.*s' in [%s] (did you "
		    "mean '%s'?)", ld->name, ld->line, (int)klen, key,
		    ld->section, best.name);
	} else {
		xasprintf(cause, "%s:%u: unknown key '%.*s' in [%s]", ld->name,
		    ld->line, (int)klen, key, ld->section);
	}
	return (-1);
}

/* Handles a librdkafka property line in [kafka]. */
static int
conf_load_prop(struct conf_loader *ld, const char *key, size_t klen,
    const char *v, size_t vlen, char **cause)
{
	struct conf	*conf = ld->conf;
	size_t		 i;

	if (!conf_prop_name_ok(key, klen)) {
		xasprintf(cause, "%s:%u: invalid librdkafka property name "
		    "'%.*s' in [%s]: expected [a-z0-9._-]+", ld->name, ld->line,
		    (int)klen, key, ld->section);
		return (-1);
	}
	i = conf_prop_find(conf, key, klen);
	if (i < ld->nplines && ld->plines[i] != 0) {
		xasprintf(cause, "%s:%u: [%s] %.*s is set twice (first on "
		    "line %u)", ld->name, ld->line, ld->section, (int)klen, key,
		    ld->plines[i]);
		return (-1);
	}
	i = conf_prop_set(conf, key, klen, v, vlen);
	if (i >= ld->nplines) {
		ld->plines = xreallocarray(ld->plines, conf->kafka_nprops,
		    sizeof *ld->plines);
		memset(ld->plines + ld->nplines, 0,
		    (conf->kafka_nprops - ld->nplines) * sizeof *ld->plines);
		ld->nplines = conf->kafka_nprops;
	}
	ld->plines[i] = ld->line;
	return (0);
}

/* Applies TICKSINK_* overrides from the environment. */
int
conf_apply_env(struct conf *conf, char *const *envp, char **cause)
{
	char *const	*ep;
	const char	*eq;

	for (ep = envp; ep != NULL && *ep != NULL; ep++) {
		if (strncmp(*ep, CONF_ENV_PREFIX, strlen(CONF_ENV_PREFIX)) != 0)
			continue;
		if ((eq = strchr(*ep, '=')) == NULL)
			continue;
		if (conf_env_one(conf, *ep, eq - *ep, eq + 1, cause) != 0)
			return (-1);
	}
	return (0);
}

/*
 * Applies one TICKSINK_* variable: a known key, the password, or (under
 * TICKSINK_KAFKA_) a librdkafka property whose name is lowercased with '_'
 * mapped to '.', since environment names cannot hold dots.
 */
static int
conf_env_one(struct conf *conf, const char *name, size_t nlen, const char *v,
    char **cause)
{
	struct conf_best	 best = { .distance = SIZE_MAX };
	const struct conf_key	*k;
	char			 env[CONF_NAME_MAX + 1], prefix[CONF_NAME_MAX];
	char			*loc, *key, *p;
	size_t			 i, plen;
	int			 rc;

	for (i = 0; i < nitems(conf_keys); i++) {
		k = &conf_keys[i];
		conf_env_name(k, env, sizeof env);
		if (strlen(env) != nlen || memcmp(env, name, nlen) != 0)
			continue;
		if (k->type == CONF_SECRET) {
			conf_set_string((char **)((char *)conf + k->off), v,
			    strlen(v), true);
			return (0);
		}
		loc = xstrndup(name, nlen);
		rc = conf_set(conf, k, loc, v, strlen(v), cause);
		free(loc);
		return (rc);
	}

	plen = snprintf(prefix, sizeof prefix, CONF_ENV_PREFIX "%s_",
	    CONF_PASSTHROUGH);
	for (p = prefix; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	if (nlen > plen && memcmp(name, prefix, plen) == 0) {
		key = xstrndup(name + plen, nlen - plen);
		for (p = key; *p != '\0'; p++) {
			if (*p == '_')
				*p = '.';
			else
				*p = (char)tolower((unsigned char)*p);
		}
		rc = -1;
		if (!conf_prop_name_ok(key, strlen(key))) {
			xasprintf(cause, "%.*s: invalid librdkafka property "
			    "name '%s': expected [a-z0-9._-]+", (int)nlen, name,
			    key);
		} else if (conf_has_ctl(v, strlen(v))) {
			xasprintf(cause, "%.*s: value contains a control "
			    "character", (int)nlen, name);
		} else {
			conf_prop_set(conf, key, strlen(key), v, strlen(v));
			rc = 0;
		}
		free(key);
		return (rc);
	}

	for (i = 0; i < nitems(conf_keys); i++) {
		conf_env_name(&conf_keys[i], env, sizeof env);
		conf_best_try(&best, name, nlen, env);
	}
	if (conf_best_is_close(&best)) {
		xasprintf(cause, "unknown environment variable %.*s (did you "
		    "mean %s?)", (int)nlen, name, best.name);
	} else {
		xasprintf(cause, "unknown environment variable %.*s (expected "
		    CONF_ENV_PREFIX "<SECTION>_<KEY>)", (int)nlen, name);
	}
	return (-1);
}

/* Sets the ClickHouse password from a file, a credential or the caller. */
void
conf_set_password(struct conf *conf, const char *pw, size_t len)
{
	if (len > 0 && pw[len - 1] == '\n') {
		len--;
		if (len > 0 && pw[len - 1] == '\r')
			len--;
	}
	conf_set_string(&conf->ch_password, pw, len, true);
}

/* Checks the rules that tie one key to another. */
int
conf_validate(struct conf *conf, char **cause)
{
	const struct conf_rule	*r;
	const struct conf_key	*a, *b;
	uint64_t		 va, vb;
	size_t			 i, j;

	for (i = 0; i < nitems(conf_rules); i++) {
		r = &conf_rules[i];
		a = conf_find(r->section, r->key, strlen(r->key));
		b = conf_find(r->section, r->other, strlen(r->other));
		if (a == NULL || b == NULL)
			fatalx("%s: rule names an unknown key", __func__);
		va = conf_get_uint(conf, a);
		vb = conf_get_uint(conf, b);
		if (vb <= UINT64_MAX / r->factor && va >= vb * r->factor)
			continue;
		xasprintf(cause, "[%s] %s = %ju conflicts with %s = %ju: must "
		    "be at least %s %s", r->section, r->key, (uintmax_t)va,
		    r->other, (uintmax_t)vb, r->factor_word, r->other);
		return (-1);
	}
	for (i = 0; i < conf->kafka_nprops; i++) {
		for (j = 0; j < nitems(conf_reserved_props); j++) {
			if (strcmp(conf->kafka_props[i].key,
			    conf_reserved_props[j].name) != 0)
				continue;
			xasprintf(cause, "[kafka] %s cannot be set: %s",
			    conf_reserved_props[j].name,
			    conf_reserved_props[j].instead);
			return (-1);
		}
	}
	return (0);
}

/* Returns true if a librdkafka property's value must be masked. */
bool
conf_is_secret_key(const char *key)
{
	size_t	i, len;

	for (i = 0; i < nitems(conf_secret_words); i++) {
		if (strstr(key, conf_secret_words[i]) != NULL)
			return (true);
	}
	for (i = 0; i < nitems(conf_secret_names); i++) {
		if (strcmp(key, conf_secret_names[i]) == 0)
			return (true);
	}
	len = strlen(key);
	if (strcmp(key, "key") == 0 || strncmp(key, "key.", 4) == 0 ||
	    strstr(key, ".key.") != NULL ||
	    (len >= 4 && strcmp(key + len - 4, ".key") == 0))
		return (true);
	return (false);
}

/* Appends formatted text to the output. */
static void
conf_out_add(struct conf_out *out, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("%s: bad format", __func__);
	while (out->len + n + 1 > out->cap) {
		out->cap = out->cap == 0 ? 1024 : out->cap * 2;
		out->buf = xreallocarray(out->buf, 1, out->cap);
	}
	va_start(ap, fmt);
	vsnprintf(out->buf + out->len, out->cap - out->len, fmt, ap);
	va_end(ap);
	out->len += n;
}

/*
 * Appends a value so that conf_load reads it back unchanged: in double quotes
 * when it is empty, starts with a quote or has blanks at either end.
 */
static void
conf_out_value(struct conf_out *out, const char *v)
{
	size_t	len = strlen(v);

	if (len == 0 || v[0] == '"' || v[0] == ' ' || v[0] == '\t' ||
	    v[len - 1] == ' ' || v[len - 1] == '\t')
		conf_out_add(out, "\"%s\"\n", v);
	else
		conf_out_add(out, "%s\n", v);
}

/* Returns the effective config as INI text with secrets masked. */
char *
conf_dump(const struct conf *conf)
{
	struct conf_out		 out = { 0 };
	const struct conf_key	*k;
	const char		*field;
	size_t			 i, j, l;

	conf_out_add(&out, "# ticksink effective configuration; secrets are "
	    "masked\n");
	for (i = 0; i < nitems(conf_keys); i = j) {
		conf_out_add(&out, "\n[%s]\n", conf_keys[i].section);
		for (j = i; j < nitems(conf_keys) &&
		    strcmp(conf_keys[j].section, conf_keys[i].section) == 0;
		    j++) {
			k = &conf_keys[j];
			field = (const char *)conf + k->off;
			switch (k->type) {
			case CONF_TEXT:
			case CONF_URL:
			case CONF_IDENT:
				conf_out_add(&out, "%s = ", k->key);
				conf_out_value(&out, *(char *const *)field);
				break;
			case CONF_U32:
			case CONF_U64:
				conf_out_add(&out, "%s = %ju\n", k->key,
				    (uintmax_t)conf_get_uint(conf, k));
				break;
			case CONF_LEVEL:
				for (l = 0; l < nitems(conf_levels); l++) {
					if (conf_levels[l].level ==
					    *(const int *)field)
						break;
				}
				conf_out_add(&out, "%s = %s\n", k->key,
				    l < nitems(conf_levels) ?
				    conf_levels[l].name : "?");
				break;
			case CONF_BOOL:
				conf_out_add(&out, "%s = %s\n", k->key,
				    *(const bool *)field ? "true" : "false");
				break;
			case CONF_SECRET:
				conf_out_add(&out, "# %s = %s\n", k->key,
				    *(char *const *)field != NULL ?
				    "(set)" : "(not set)");
				break;
			}
		}
		if (strcmp(conf_keys[i].section, CONF_PASSTHROUGH) != 0)
			continue;
		for (l = 0; l < conf->kafka_nprops; l++) {
			conf_out_add(&out, "%s = ", conf->kafka_props[l].key);
			if (conf_is_secret_key(conf->kafka_props[l].key))
				conf_out_add(&out, "%s\n", CONF_MASK);
			else {
				conf_out_value(&out,
				    conf->kafka_props[l].value);
			}
		}
	}
	return (out.buf);
}
