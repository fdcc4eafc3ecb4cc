/*
 * ticksink: configuration from INI text and TICKSINK_* environment variables.
 */
#ifndef HANDLERS_CONF_H
#define HANDLERS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Values of conf.log_level: the sd-daemon priorities. */
#define CONF_LOG_ERROR		3
#define CONF_LOG_WARNING	4
#define CONF_LOG_INFO		6
#define CONF_LOG_DEBUG		7

/* What conf_dump prints instead of a secret value. */
#define CONF_MASK		"********"

/* One librdkafka property from [kafka], passed through as-is. */
struct conf_kv {
	char		*key;		/* matches [a-z0-9._-]+ */
	char		*value;
};

/*
 * The effective configuration.  The struct owns every string in it, and
 * conf_free releases them all; callers read the fields and must not free or
 * replace the strings themselves (use conf_load, conf_apply_env and
 * conf_set_password).  Every string is non-NULL except ch_password.
 */
struct conf {
	char		*kafka_brokers;
	char		*kafka_topic;
	char		*kafka_group;
	struct conf_kv	*kafka_props;	/* in file order, then new env ones */
	size_t		 kafka_nprops;

	char		*ch_url;	/* http(s)://, no credentials; or
					   several, comma-separated */
	char		*ch_database;	/* SQL identifiers, up to 64 chars */
	char		*ch_user;
	char		*ch_password_file; /* "" means none */
	char		*ch_table;
	char		*ch_rejects_table;
	char		*ch_password;	/* NULL when none; from env or caller */
	uint32_t	 ch_timeout_ms;
	char		*ch_ca_file;	/* "" means the system CAs */
	bool		 ch_tls_verify;	/* false only when set so */
	uint32_t	 ch_gzip_level;	/* 0: ticks inserts not compressed */

	uint32_t	 batch_max_rows;
	uint64_t	 batch_max_bytes;
	uint32_t	 batch_max_delay_ms;
	uint32_t	 batch_max_inflight;
	uint32_t	 batch_window_rows;
	uint64_t	 batch_max_buffer_bytes;

	uint32_t	 max_message_bytes;
	uint32_t	 max_future_skew_ms;
	uint32_t	 reject_raw_max_bytes;

	uint32_t	 drain_timeout_ms;
	uint32_t	 stall_timeout_ms;	/* work waits, nothing lands */
	uint32_t	 status_interval_ms;	/* STATUS= to systemd */
	int		 log_level;	/* CONF_LOG_* */

	uint32_t	 diag_heartbeat_s;	/* [diagnostics] */
	uint32_t	 diag_ws_lag_ms;
	uint32_t	 diag_proc_lag_ms;
	uint32_t	 diag_empty_limit;
	uint32_t	 diag_ticks_retention_days;
	uint32_t	 diag_retention_days;
	uint32_t	 diag_retention_interval_s;

	char		*http_listen;	/* host:port; "" means off */
};

/* Lifetime. */
/* Returns a config holding the defaults; allocated, free with conf_free. */
struct conf	*conf_new(void);
/* Frees the config and every string in it (wiping the password); NULL ok. */
void		 conf_free(struct conf *);

/* Sources, applied in this order: file, environment, password. */
/*
 * Parses INI text over the current values.  text is borrowed (len bytes, no
 * NUL needed) and name, used only in messages, is borrowed; both are valid
 * during the call.  Returns 0, or -1 with *cause set to one allocated line
 * the caller frees; on error the config may be partly updated, so discard it.
 */
int		 conf_load(struct conf *, const char *text, size_t len,
		     const char *name, char **cause);
/*
 * Applies TICKSINK_<SECTION>_<KEY> overrides from envp (borrowed,
 * NULL-terminated like environ; NULL means empty).  Values are taken
 * verbatim: no trimming and no quotes.  Returns 0, or -1 with *cause
 * allocated as for conf_load.
 */
int		 conf_apply_env(struct conf *, char *const *envp, char **cause);
/*
 * Copies len bytes of pw (borrowed) as the ClickHouse password, replacing
 * and wiping any earlier one.  One trailing "\n" or "\r\n" is stripped, so a
 * password file or credential can end with a newline; a NUL byte ends it.
 */
void		 conf_set_password(struct conf *, const char *pw, size_t len);

/* Checks. */
/*
 * Cross-key checks that single values cannot catch, run once every source
 * has been applied.  Returns 0, or -1 with *cause allocated.
 */
int		 conf_validate(struct conf *, char **cause);
/*
 * Returns true if a librdkafka property's value must not be shown: names
 * holding "password", "secret", "credential" or "token", a "key" component
 * (ssl.key.pem, *.key) and the ones librdkafka itself marks sensitive.  key
 * is borrowed.
 */
bool		 conf_is_secret_key(const char *key);

/* Output. */
/*
 * Returns the effective config as INI text, every key with its value, secret
 * values replaced by CONF_MASK and the password only as a "(set)" or
 * "(not set)" comment.  Loading the text into conf_new() gives the same
 * dump again, except that the password is not carried.
 * Returns allocated; the caller frees.
 */
char		*conf_dump(const struct conf *);

/*
 * The URLs of [clickhouse] url, in order (1 to ENDPOINT_MAX of them), as
 * an allocated array of allocated strings; *n says how many.
 */
char		**conf_urls(const struct conf *, size_t *n);

#endif /* HANDLERS_CONF_H */
