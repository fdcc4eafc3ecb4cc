/*
 * ticksink-tickgen: deterministic tick generator for tests.
 *
 * Prints one JSON message per line on stdout, in the upstream producer's
 * exact format (DESIGN.md section 1), so a test can pipe it into
 * "kcat -P" and later compare what reached ClickHouse against --expect.
 * The producer is Python: numbers are printed as json.dumps prints them
 * (shortest text that reads back to the same double, "60000.0", "1.5e-05")
 * and times as datetime.isoformat() does, which drops the fraction when
 * the microseconds are 0.  A few times use other offsets or "Z" so the
 * service's time-zone normalisation is exercised; the UTC instant is the
 * same either way.
 *
 * All values are built from integers (milliseconds, microseconds, price
 * in cents or 1e-4 units, volume in 1e-8 units) and drawn from our own
 * splitmix64, so the same seed gives byte-identical output on any
 * machine.  The whole stream is always generated; --skip and --limit only
 * choose which lines are printed, so chunks concatenate to the full
 * stream.  --expect ignores them and describes the whole stream in the
 * TSV form of the ClickHouse queries the tests run.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TG_MIN_MS	1230768000000LL	/* 2009-01-01T00:00:00Z */
#define TG_MAX_SYMBOLS	1000
#define TG_LINE_MAX	1024
#define TG_FIELD_MAX	96

/* One symbol's price state and its expectation sums. */
struct sym {
	char		 name[32];
	int64_t		 units;		/* price in 10^-decimals */
	int		 decimals;
	int		 vol_digits;	/* volume_e8 below 10^vol_digits */
	uint64_t	 count;
	uint64_t	 sum_ts;	/* unsigned: wraps like Int64 sum */
	uint64_t	 sum_price;
	uint64_t	 sum_volume;
	uint64_t	 sum_recv;
};

/* The invalid kinds, cycled in this order. */
enum invalid_kind {
	INV_BAD_JSON,
	INV_NOT_OBJECT,
	INV_MISSING_FIELD,
	INV_WRONG_TYPE,
	INV_BAD_SYMBOL,
	INV_BAD_PRICE,
	INV_BAD_VOLUME,
	INV_BAD_TIME,
	INV_TIME_OUT_OF_RANGE,
	INV_TIME_MISMATCH,
	INV_RECEIVED_BEFORE_TRADE,
	INV_DUPLICATE_FIELD,
	INV_NKINDS
};

/* How "price" appears in a message. */
enum price_mode {
	PRICE_NUMBER,
	PRICE_MISSING,
	PRICE_STRING,
	PRICE_TWICE
};

/* One message's fields, already rendered as JSON value text. */
struct msg {
	char		 timestamp[TG_FIELD_MAX];
	char		 timestamp_ms[TG_FIELD_MAX];
	char		 symbol[TG_FIELD_MAX];
	char		 price[TG_FIELD_MAX];
	char		 volume[TG_FIELD_MAX];
	char		 received_at[TG_FIELD_MAX];
	enum price_mode	 price_mode;
	int		 sym;		/* index into the symbol table */
	int64_t		 ts_ms;
	int64_t		 recv_us;
};

/* Generator state. */
struct gen {
	uint64_t	 rng;
	int64_t		 now_ms;
	int		 nsyms;
	struct sym	*syms;
	uint64_t	 ninvalid;
	uint64_t	 rejected[INV_NKINDS];
	uint64_t	 line;		/* index of the next line */
	uint64_t	 printed;
	uint64_t	 skip;
	uint64_t	 limit;
	bool		 expect;
};

static uint64_t	rng_next(uint64_t *);
static int64_t	rng_range(uint64_t *, int64_t, int64_t);
static void	civil_from_days(int64_t, int64_t *, int *, int *);
static void	fmt_time(char *, size_t, int64_t, int, bool);
static void	fmt_time_random(struct gen *, char *, size_t, int64_t);
static void	fmt_decimal(char *, size_t, int64_t, int);
static void	sym_init(struct sym *, int);
static void	make_tick(struct gen *, struct msg *);
static void	render(const struct msg *, char *, size_t);
static void	emit(struct gen *, const char *);
static void	emit_valid(struct gen *);
static void	emit_invalid(struct gen *);
static void	print_expect(struct gen *);
static int	cmp_str(const void *, const void *);
static bool	parse_u64(const char *, uint64_t *);
static void	usage(void) __attribute__((noreturn));

static const char *const invalid_reasons[INV_NKINDS] = {
	[INV_BAD_JSON] = "bad_json",
	[INV_NOT_OBJECT] = "not_object",
	[INV_MISSING_FIELD] = "missing_field",
	[INV_WRONG_TYPE] = "wrong_type",
	[INV_BAD_SYMBOL] = "bad_symbol",
	[INV_BAD_PRICE] = "bad_price",
	[INV_BAD_VOLUME] = "bad_volume",
	[INV_BAD_TIME] = "bad_time",
	[INV_TIME_OUT_OF_RANGE] = "time_out_of_range",
	[INV_TIME_MISMATCH] = "time_mismatch",
	[INV_RECEIVED_BEFORE_TRADE] = "received_before_trade",
	[INV_DUPLICATE_FIELD] = "duplicate_field",
};

/* Offsets (in minutes) used for the non-UTC renderings. */
static const int other_offsets[] = { 330, -240, 540, -570 };

/* The first symbols and their start prices; later ones are SYMn. */
static const struct {
	const char	*name;
	int64_t		 units;
	int		 decimals;
	int		 vol_digits;
} known_syms[] = {
	{ "BINANCE:BTCUSDT", 6000000, 2, 8 },	/* 60000.00, < 1 BTC */
	{ "BINANCE:ETHUSDT", 450000, 2, 9 },	/* 4500.00 */
	{ "BINANCE:SOLUSDT", 15000, 2, 10 },	/* 150.00 */
	{ "BINANCE:XRPUSDT", 5500, 4, 12 },	/* 0.5500 */
};

/* Return the next splitmix64 value. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t	z;

	z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Return a value in [lo, hi]; the modulo bias is irrelevant here. */
static int64_t
rng_range(uint64_t *s, int64_t lo, int64_t hi)
{
	uint64_t	span;

	span = (uint64_t)(hi - lo) + 1;
	return (lo + (int64_t)(rng_next(s) % span));
}

/* Convert days since 1970-01-01 to a proleptic Gregorian date (Hinnant). */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t	era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/*
 * Render a UTC instant in microseconds as isoformat() would in the given
 * offset (minutes east), or with "Z" instead of "+00:00".
 */
static void
fmt_time(char *buf, size_t len, int64_t us, int off_min, bool zulu)
{
	int64_t	local, days, sod, frac, y;
	int	m, d, aoff, n;
	char	tz[16];

	local = us + (int64_t)off_min * 60 * 1000000;
	days = local / 86400000000LL;
	sod = local % 86400000000LL;
	if (sod < 0) {
		sod += 86400000000LL;
		days--;
	}
	frac = sod % 1000000;
	sod /= 1000000;
	civil_from_days(days, &y, &m, &d);

	if (zulu)
		snprintf(tz, sizeof tz, "Z");
	else {
		aoff = off_min < 0 ? -off_min : off_min;
		snprintf(tz, sizeof tz, "%c%02d:%02d", off_min < 0 ? '-' : '+',
		    aoff / 60, aoff % 60);
	}
	n = snprintf(buf, len, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d", y, m,
	    d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
	if (n < 0 || (size_t)n >= len)
		return;
	if (frac != 0)
		n += snprintf(buf + n, len - n, ".%06d", (int)frac);
	snprintf(buf + n, len - n, "%s", tz);
}

/* Render a time, about 1 in 50 in another offset and 1 in 100 with "Z". */
static void
fmt_time_random(struct gen *g, char *buf, size_t len, int64_t us)
{
	int64_t	r;
	int	off;

	r = rng_range(&g->rng, 0, 99);
	if (r < 2) {
		off = other_offsets[rng_range(&g->rng, 0, 3)];
		fmt_time(buf, len, us, off, false);
	} else if (r == 2)
		fmt_time(buf, len, us, 0, true);
	else
		fmt_time(buf, len, us, 0, false);
}

/*
 * Render units * 10^-decimals as Python's repr(float) would: fixed point
 * with trailing zeros dropped but one digit kept, or scientific notation
 * below 1e-4.  Every such text reads back to the nearest double.
 */
static void
fmt_decimal(char *buf, size_t len, int64_t units, int decimals)
{
	char		 digits[32], *p;
	int64_t		 scale;
	int		 i, zeros, ndig, exp10;

	for (scale = 1, i = 0; i < decimals; i++)
		scale *= 10;
	if (units != 0 && units * 10000 < scale) {
		snprintf(digits, sizeof digits, "%" PRId64, units);
		ndig = (int)strlen(digits);
		for (zeros = 0; ndig > 1 && digits[ndig - 1] == '0'; zeros++)
			digits[--ndig] = '\0';
		exp10 = ndig - 1 + zeros - decimals;
		if (ndig == 1)
			snprintf(buf, len, "%ce-%02d", digits[0], -exp10);
		else
			snprintf(buf, len, "%c.%se-%02d", digits[0], digits + 1,
			    -exp10);
		return;
	}
	if (decimals == 0) {
		snprintf(buf, len, "%" PRId64 ".0", units);
		return;
	}
	snprintf(buf, len, "%" PRId64 ".%0*" PRId64, units / scale, decimals,
	    units % scale);
	p = buf + strlen(buf) - 1;
	while (p[0] == '0' && p[-1] != '.')
		*p-- = '\0';
}

/* Set up symbol number i (from 0) with its name and start price. */
static void
sym_init(struct sym *s, int i)
{
	memset(s, 0, sizeof *s);
	if (i < (int)(sizeof known_syms / sizeof known_syms[0])) {
		snprintf(s->name, sizeof s->name, "%s", known_syms[i].name);
		s->units = known_syms[i].units;
		s->decimals = known_syms[i].decimals;
		s->vol_digits = known_syms[i].vol_digits;
		return;
	}
	snprintf(s->name, sizeof s->name, "BINANCE:SYM%dUSDT", i + 1);
	s->units = 1000 + 100 * (int64_t)i;
	s->decimals = 2;
	s->vol_digits = 10;
}

/*
 * Advance the clock and one symbol's price and fill in a valid tick.
 * Invalid messages start from such a tick too, so they advance the state
 * the same way.
 */
static void
make_tick(struct gen *g, struct msg *m)
{
	struct sym	*s;
	int64_t		 step, vol;

	memset(m, 0, sizeof *m);
	g->now_ms += rng_range(&g->rng, 0, 50);
	if (rng_range(&g->rng, 0, 999) == 0)
		g->now_ms = (g->now_ms + 999) / 1000 * 1000;
	m->ts_ms = g->now_ms;

	m->sym = (int)rng_range(&g->rng, 0, g->nsyms - 1);
	s = &g->syms[m->sym];
	step = s->units / 2000;
	if (step < 1)
		step = 1;
	step = rng_range(&g->rng, -step, step);
	if (s->units + step > 0)
		s->units += step;

	if (rng_range(&g->rng, 0, 499) == 0)
		vol = 0;
	else {
		vol = 1;
		for (step = rng_range(&g->rng, 4, s->vol_digits); step > 0;
		    step--)
			vol *= 10;
		vol = rng_range(&g->rng, 1, vol - 1);
	}

	m->recv_us = m->ts_ms * 1000 + rng_range(&g->rng, 5000, 300999);
	if (rng_range(&g->rng, 0, 999) == 0)
		m->recv_us = (m->recv_us + 999999) / 1000000 * 1000000;

	fmt_time_random(g, m->timestamp, sizeof m->timestamp, m->ts_ms * 1000);
	fmt_time_random(g, m->received_at, sizeof m->received_at, m->recv_us);
	snprintf(m->timestamp_ms, sizeof m->timestamp_ms, "%" PRId64,
	    m->ts_ms);
	snprintf(m->symbol, sizeof m->symbol, "%s", s->name);
	fmt_decimal(m->price, sizeof m->price, s->units, s->decimals);
	fmt_decimal(m->volume, sizeof m->volume, vol, 8);
	m->price_mode = PRICE_NUMBER;
}

/* Render a message as one line of JSON, in the producer's field order. */
static void
render(const struct msg *m, char *buf, size_t len)
{
	char	price[2 * TG_FIELD_MAX + 32];

	switch (m->price_mode) {
	case PRICE_NUMBER:
		snprintf(price, sizeof price, "\"price\": %s, ", m->price);
		break;
	case PRICE_MISSING:
		price[0] = '\0';
		break;
	case PRICE_STRING:
		snprintf(price, sizeof price, "\"price\": \"%s\", ", m->price);
		break;
	case PRICE_TWICE:
		snprintf(price, sizeof price, "\"price\": %s, \"price\": %s, ",
		    m->price, m->price);
		break;
	}
	snprintf(buf, len, "{\"timestamp\": \"%s\", \"timestamp_ms\": %s, "
	    "\"symbol\": \"%s\", %s\"volume\": %s, \"received_at\": \"%s\"}",
	    m->timestamp, m->timestamp_ms, m->symbol, price, m->volume,
	    m->received_at);
}

/* Count a line and print it if it falls inside --skip and --limit. */
static void
emit(struct gen *g, const char *line)
{
	if (!g->expect && g->line >= g->skip && g->printed < g->limit) {
		fputs(line, stdout);
		putchar('\n');
		g->printed++;
	}
	g->line++;
}

/* Generate one valid tick, add it to the sums and emit it. */
static void
emit_valid(struct gen *g)
{
	struct msg	 m;
	struct sym	*s;
	char		 line[TG_LINE_MAX];
	double		 price, volume;

	make_tick(g, &m);
	render(&m, line, sizeof line);
	emit(g, line);

	/* Exactly what ClickHouse computes from the parsed doubles. */
	price = strtod(m.price, NULL);
	volume = strtod(m.volume, NULL);
	s = &g->syms[m.sym];
	s->count++;
	s->sum_ts += (uint64_t)m.ts_ms;
	s->sum_price += (uint64_t)(int64_t)nearbyint(price * 1e6);
	s->sum_volume += (uint64_t)(int64_t)nearbyint(volume * 1e8);
	s->sum_recv += (uint64_t)(m.recv_us / 1000);
}

/* Generate the next invalid message in the cycle and emit it. */
static void
emit_invalid(struct gen *g)
{
	struct msg		 m;
	enum invalid_kind	 kind;
	char			 line[TG_LINE_MAX];
	int64_t			 us;

	kind = (enum invalid_kind)(g->ninvalid++ % INV_NKINDS);
	g->rejected[kind]++;
	make_tick(g, &m);

	switch (kind) {
	case INV_BAD_JSON:
		emit(g, "{\"symbol\": \"BINANCE:BTCUSDT\", \"price\": ");
		return;
	case INV_NOT_OBJECT:
		emit(g, "[1,2,3]");
		return;
	case INV_MISSING_FIELD:
		m.price_mode = PRICE_MISSING;
		break;
	case INV_WRONG_TYPE:
		m.price_mode = PRICE_STRING;
		break;
	case INV_BAD_SYMBOL:
		m.symbol[0] = '\0';
		break;
	case INV_BAD_PRICE:
		snprintf(m.price, sizeof m.price, "-1.5");
		break;
	case INV_BAD_VOLUME:
		snprintf(m.volume, sizeof m.volume, "-0.1");
		break;
	case INV_BAD_TIME:
		snprintf(m.timestamp, sizeof m.timestamp, "yesterday at noon");
		break;
	case INV_TIME_OUT_OF_RANGE:
		snprintf(m.timestamp_ms, sizeof m.timestamp_ms,
		    "4102444800000");
		snprintf(m.timestamp, sizeof m.timestamp,
		    "2100-01-01T00:00:00.000000+00:00");
		snprintf(m.received_at, sizeof m.received_at, "%s",
		    m.timestamp);
		break;
	case INV_TIME_MISMATCH:
		/* Keep received_at after both readings of the trade time. */
		snprintf(m.timestamp_ms, sizeof m.timestamp_ms, "%" PRId64,
		    m.ts_ms + 5000);
		fmt_time(m.received_at, sizeof m.received_at,
		    m.recv_us + 5000000, 0, false);
		break;
	case INV_RECEIVED_BEFORE_TRADE:
		us = m.ts_ms * 1000 - 600000000LL;
		fmt_time(m.received_at, sizeof m.received_at, us, 0, false);
		break;
	case INV_DUPLICATE_FIELD:
		m.price_mode = PRICE_TWICE;
		break;
	case INV_NKINDS:
		break;
	}
	render(&m, line, sizeof line);
	emit(g, line);
}

/* Compare two strings through pointers, for qsort. */
static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* Print the expectation: valid count, reject counts, per-symbol sums. */
static void
print_expect(struct gen *g)
{
	const char	*names[INV_NKINDS], **syms;
	uint64_t	 valid;
	int		 i, j, n;

	for (valid = 0, i = 0; i < g->nsyms; i++)
		valid += g->syms[i].count;
	printf("valid\t%" PRIu64 "\n", valid);

	for (i = 0; i < INV_NKINDS; i++)
		names[i] = invalid_reasons[i];
	qsort(names, INV_NKINDS, sizeof names[0], cmp_str);
	for (i = 0; i < INV_NKINDS; i++) {
		for (j = 0; strcmp(invalid_reasons[j], names[i]) != 0; j++)
			;
		if (g->rejected[j] != 0)
			printf("rejected\t%s\t%" PRIu64 "\n", names[i],
			    g->rejected[j]);
	}

	if ((syms = calloc(g->nsyms, sizeof *syms)) == NULL) {
		perror("calloc");
		exit(1);
	}
	for (n = 0, i = 0; i < g->nsyms; i++) {
		if (g->syms[i].count != 0)
			syms[n++] = g->syms[i].name;
	}
	qsort(syms, n, sizeof syms[0], cmp_str);
	for (i = 0; i < n; i++) {
		for (j = 0; strcmp(g->syms[j].name, syms[i]) != 0; j++)
			;
		printf("symbol\t%s\t%" PRIu64 "\t%" PRId64 "\t%" PRId64 "\t%"
		    PRId64 "\t%" PRId64 "\n", g->syms[j].name,
		    g->syms[j].count, (int64_t)g->syms[j].sum_ts,
		    (int64_t)g->syms[j].sum_price,
		    (int64_t)g->syms[j].sum_volume,
		    (int64_t)g->syms[j].sum_recv);
	}
	free(syms);
}

/* Parse a whole decimal string as an unsigned 64-bit number. */
static bool
parse_u64(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (*s < '0' || *s > '9')
		return (false);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return (false);
	*out = v;
	return (true);
}

/* Print usage and exit. */
static void
usage(void)
{
	fprintf(stderr, "usage: ticksink-tickgen [--seed N] [--count N] "
	    "[--symbols K] [--start-ms MS]\n"
	    "\t[--invalid-every M] [--skip N] [--limit N] [--expect]\n");
	exit(1);
}

/* Parse the options, generate the stream and print lines or expectation. */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "symbols", required_argument, NULL, 'k' },
		{ "start-ms", required_argument, NULL, 'S' },
		{ "invalid-every", required_argument, NULL, 'i' },
		{ "skip", required_argument, NULL, 'x' },
		{ "limit", required_argument, NULL, 'l' },
		{ "expect", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct gen	 g;
	uint64_t	 seed = 1, count = 1000, nsyms = 4, invalid_every = 0;
	uint64_t	 start_ms = 1757685781123ULL, i, *target;
	int64_t		 now_ms;
	int		 ch, idx;

	memset(&g, 0, sizeof g);
	g.limit = UINT64_MAX;
	while ((ch = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		switch (ch) {
		case 's':
			target = &seed;
			break;
		case 'c':
			target = &count;
			break;
		case 'k':
			target = &nsyms;
			break;
		case 'S':
			target = &start_ms;
			break;
		case 'i':
			target = &invalid_every;
			break;
		case 'x':
			target = &g.skip;
			break;
		case 'l':
			target = &g.limit;
			break;
		case 'e':
			g.expect = true;
			continue;
		default:
			usage();
		}
		if (!parse_u64(optarg, target)) {
			fprintf(stderr, "ticksink-tickgen: bad number for "
			    "--%s: %s\n", longopts[idx].name, optarg);
			usage();
		}
	}
	if (optind != argc)
		usage();

	now_ms = (int64_t)time(NULL) * 1000;
	if (nsyms < 1 || nsyms > TG_MAX_SYMBOLS) {
		fprintf(stderr, "ticksink-tickgen: --symbols must be 1 to "
		    "%d\n", TG_MAX_SYMBOLS);
		return (1);
	}
	if (start_ms < (uint64_t)TG_MIN_MS || start_ms > (uint64_t)now_ms) {
		fprintf(stderr, "ticksink-tickgen: --start-ms must be between "
		    "2009-01-01 and now\n");
		return (1);
	}
	if (count > UINT64_MAX / 64) {
		fprintf(stderr, "ticksink-tickgen: --count too large\n");
		return (1);
	}

	g.rng = seed;
	g.now_ms = (int64_t)start_ms;
	g.nsyms = (int)nsyms;
	if ((g.syms = calloc(g.nsyms, sizeof *g.syms)) == NULL) {
		perror("calloc");
		return (1);
	}
	for (ch = 0; ch < g.nsyms; ch++)
		sym_init(&g.syms[ch], ch);

	for (i = 0; i < count; i++) {
		if (!g.expect && g.printed >= g.limit)
			break;
		emit_valid(&g);
		if (invalid_every != 0 && (i + 1) % invalid_every == 0)
			emit_invalid(&g);
	}
	if (g.expect) {
		if (g.now_ms > now_ms)
			fprintf(stderr, "ticksink-tickgen: warning: the last "
			    "ticks are in the future\n");
		print_expect(&g);
	}
	free(g.syms);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("ticksink-tickgen: stdout");
		return (1);
	}
	return (0);
}
