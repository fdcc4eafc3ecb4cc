/*
 * ticksink: what ClickHouse can do, the tables we create, and the start-up
 * conversation that finds out and prepares them.
 */
#ifndef HANDLERS_SCHEMA_H
#define HANDLERS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Two column dialects.  LEGACY is for servers without DateTime64 (Debian's
 * 18.16.1): second-precision DateTime('UTC') columns beside Int64
 * millisecond columns.  CURRENT uses DateTime64(3, 'UTC'), LowCardinality and
 * TTL (ClickHouse 20.1 and later have all three).
 */
enum schema_dialect {
	SCHEMA_LEGACY,
	SCHEMA_CURRENT
};

enum schema_table {
	SCHEMA_TICKS,
	SCHEMA_REJECTS,
	SCHEMA_WS_DIAG,		/* websocket_diagnostics */
	SCHEMA_PROC_DIAG,	/* processing_diagnostics */
	SCHEMA_UPTIME,		/* uptime_db */
	SCHEMA_MONITORING,	/* monitoring_db */
	SCHEMA_NTABLES
};

/* What the server is and supports, as detected at start. */
struct schema_caps {
	int			major;
	int			minor;
	int			patch;
	enum schema_dialect	dialect;
	bool			ttl;
	bool			dedup_token;
};

/* Start-up steps, in order. */
enum schema_boot_state {
	SCHEMA_BOOT_VERSION,
	SCHEMA_BOOT_SETTINGS,
	SCHEMA_BOOT_DATABASE,
	SCHEMA_BOOT_CREATE_TICKS,
	SCHEMA_BOOT_CREATE_REJECTS,
	SCHEMA_BOOT_COLUMNS_TICKS,
	SCHEMA_BOOT_COLUMNS_REJECTS,
	SCHEMA_BOOT_CREATE_WS_DIAG,
	SCHEMA_BOOT_CREATE_PROC_DIAG,
	SCHEMA_BOOT_CREATE_UPTIME,
	SCHEMA_BOOT_CREATE_MONITORING,
	SCHEMA_BOOT_DONE,
	SCHEMA_BOOT_FAILED
};

/* The start-up conversation; fields are read-only for callers. */
struct schema_boot {
	enum schema_boot_state	 state;
	struct schema_caps	 caps;
	const char		*database;	/* borrowed from conf */
	const char		*tables[SCHEMA_NTABLES]; /* borrowed */
	unsigned		 ticks_ttl_days;
	unsigned		 rejects_ttl_days;
	unsigned		 diag_ttl_days;	/* the four diagnostics tables */
};

int		 schema_parse_version(const char *, size_t, struct schema_caps *);
const char	*schema_dialect_name(enum schema_dialect);
const char	*schema_boot_state_name(enum schema_boot_state);

/* Returns allocated SQL; caller frees. */
char		*schema_create_sql(const struct schema_caps *, enum schema_table,
		     const char *, const char *, unsigned);
/* Returns allocated "INSERT INTO db.t (cols) FORMAT ..."; caller frees. */
char		*schema_insert_sql(enum schema_dialect, enum schema_table,
		     const char *, const char *);
/* Checks "name\ttype\n" lines (system.columns) against what we send. */
int		 schema_check_columns(enum schema_dialect, enum schema_table,
		     const char *, const char *, const char *, size_t, char **);

/*
 * Resume check: (partition, offset) of parts[i] from from[i] on, for n
 * partitions, in both tables.  Allocated.
 */
char		*schema_landed_sql(const char *, const char *const[2],
		     const char *, const int32_t *, const int64_t *, size_t);
/* Parse "p\toffset" lines into sorted, unique pairs (allocated). */
int		 schema_parse_pairs(const char *, size_t, int64_t **, size_t *);
/* Order (partition, offset) pairs, as int64_t[2], for qsort and bsearch. */
int		 schema_cmp_pair(const void *, const void *);

void		 schema_boot_init(struct schema_boot *, const char *,
		     const char *, const char *, unsigned, unsigned);
/* Retention (TTL where the server has it) of the diagnostics tables. */
void		 schema_boot_diag_ttl(struct schema_boot *, unsigned);
/* Returns the next statement (allocated; caller frees) or NULL when done. */
char		*schema_boot_next(struct schema_boot *);
/* Feeds the answer to the last statement; -1 and *cause when fatal. */
int		 schema_boot_answer(struct schema_boot *, const char *, size_t,
		     char **);

#endif /* HANDLERS_SCHEMA_H */
