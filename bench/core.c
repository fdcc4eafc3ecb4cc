/*
 * ticksink-bench-core: the pure core's cost per tick on a fixed corpus.
 *
 * Reads newline-separated Kafka values (ticksink-tickgen output) into
 * memory, then core_run() feeds them to the real sink from handlers/ the way
 * the reactor does, in polls of POLL_BATCH messages spread round-robin over
 * NPARTS partitions: every partition's resume check is answered "nothing
 * landed", every insert the sink asks for is answered 200 at once, and a
 * window's body is read, in pieces of 64 KiB as curl does, as far as it
 * goes at every poll, and answered 200 at its end.  So
 * core_run() is decode + validate + batch + RowBinary encode + offset
 * bookkeeping and nothing else: no Kafka, no network, no clock (the clock is
 * injected and fixed, as the core's tests do).
 *
 * bench/core.sh runs it under `valgrind --tool=callgrind
 * --toggle-collect=core_run` for a repeatable instructions-per-tick figure;
 * run bare it prints the CPU time of core_run() per tick as well.
 *
 * usage: ticksink-bench-core [-w WALL_MS] CORPUS
 *   WALL_MS is "now" for the future-skew check (default: 2026-01-01T00:00Z,
 *   after anything `ticksink-tickgen --start-ms 1767139200000` makes).
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "sink.h"
#include "xmalloc.h"

#define NPARTS		3
#define POLL_BATCH	1000
#define TICK_US		UINT64_C(1000)	/* virtual time per poll */
#define READ_PIECE	65536		/* curl's upload buffer */
#define MAX_WINDOWS	64

struct corpus {
	char	*data;
	size_t	*start;		/* line i is data[start[i]] .. start[i+1]-1 */
	size_t	 n;
};

struct totals {
	uint64_t		 inserts;
	uint64_t		 body_bytes;
	struct sink_window	*windows[MAX_WINDOWS];	/* being read */
	size_t			 nwindows;
};

static void	corpus_read(const char *, struct corpus *);
static void	core_answer(struct sink *, struct totals *, uint64_t,
		    int64_t);
static bool	core_read(struct sink *, struct totals *, uint64_t);
static void	core_actions(struct sink *, struct totals *, uint64_t,
		    int64_t);
void		core_run(struct sink *, const struct corpus *,
		    struct totals *, int64_t);

/* Read path into c, one message per line (the newline not included). */
static void
corpus_read(const char *path, struct corpus *c)
{
	FILE	*f;
	size_t	 len = 0, cap = 0, i, lines = 0;
	size_t	 got;

	if ((f = fopen(path, "r")) == NULL)
		fatal("%s", path);
	c->data = NULL;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			c->data = xreallocarray(c->data, cap, 1);
		}
		got = fread(c->data + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	if (ferror(f))
		fatal("%s", path);
	fclose(f);
	for (i = 0; i < len; i++)
		lines += c->data[i] == '\n';
	if (len > 0 && c->data[len - 1] != '\n')
		fatalx("%s: last line has no newline", path);
	c->start = xcalloc(lines + 1, sizeof *c->start);
	c->n = 0;
	c->start[0] = 0;
	for (i = 0; i < len; i++)
		if (c->data[i] == '\n')
			c->start[++c->n] = i + 1;
}

/*
 * Carry out the sink's actions: nothing landed before, every insert lands,
 * windows are read as far as they go and land at their end.
 */
static void
core_answer(struct sink *sk, struct totals *t, uint64_t now, int64_t wall)
{
	do
		core_actions(sk, t, now, wall);
	while (core_read(sk, t, now));
}

/* Read every window as far as it goes; true if one ended (and landed). */
static bool
core_read(struct sink *sk, struct totals *t, uint64_t now)
{
	static char		 piece[READ_PIECE];
	struct insert_response	 ok = { INSERT_NET_OK, 200, "", 0, 1000 };
	struct sink_window	*w;
	size_t			 i, n;
	bool			 wait, ended = false;

	for (i = 0; i < t->nwindows; i++) {
		w = t->windows[i];
		while ((n = sink_window_read(sk, w, piece, sizeof piece, now,
		    &wait)) > 0)
			t->body_bytes += n;
		if (wait)
			continue;
		t->windows[i--] = t->windows[--t->nwindows];
		sink_window_done(sk, w, &ok, now);
		ended = true;
	}
	return (ended);
}

/* Carry out the actions the sink has queued. */
static void
core_actions(struct sink *sk, struct totals *t, uint64_t now, int64_t wall)
{
	struct sink_action	a;
	struct insert_response	ok = { INSERT_NET_OK, 200, "", 0, 1000 };

	while (sink_next_action(sk, &a)) {
		switch (a.kind) {
		case SINK_ACT_LANDED_QUERY:
			sink_landed_answer(sk, a.check, "", 0, now, wall);
			break;
		case SINK_ACT_INSERT:
			t->inserts++;
			t->body_bytes += a.insert->body.len;
			sink_insert_done(sk, a.insert, &ok, now, wall);
			break;
		case SINK_ACT_STREAM:
			if (t->nwindows == MAX_WINDOWS)
				fatalx("more than %d windows", MAX_WINDOWS);
			t->inserts++;
			t->windows[t->nwindows++] = a.window;
			break;
		case SINK_ACT_PROBE:
		case SINK_ACT_SEEK:
			fatalx("unexpected action %d", (int)a.kind);
		default:	/* stores, pauses and resumes cost the reactor */
			break;
		}
	}
}

/*
 * The measured part: every message of c through the sink, then a drain.
 * Never inlined, so that callgrind's --toggle-collect finds it whatever
 * the build (link-time optimisation would fold it into main).
 */
__attribute__((noinline)) void
core_run(struct sink *sk, const struct corpus *c, struct totals *t,
    int64_t wall)
{
	struct sink_msg	m;
	uint64_t	now = TICK_US;
	size_t		i;

	for (i = 0; i < c->n; i++) {
		m.partition = (int32_t)(i % NPARTS);
		m.offset = (int64_t)(i / NPARTS);
		m.timestamp_ms = wall - 1000;
		m.payload = c->data + c->start[i];
		m.len = c->start[i + 1] - c->start[i] - 1;
		sink_message(sk, &m, now, wall);
		if ((i + 1) % POLL_BATCH == 0) {
			sink_polled(sk, now);
			core_answer(sk, t, now, wall);
			now += TICK_US;
			sink_tick(sk, now);
		}
	}
	sink_drain(sk, now);
	while (!sink_is_idle(sk)) {
		core_answer(sk, t, now, wall);
		now += TICK_US;
		sink_tick(sk, now);
	}
	core_answer(sk, t, now, wall);
}

int
main(int argc, char **argv)
{
	struct conf		*conf;
	struct sink_conf	 sc;
	struct sink		*sk;
	struct corpus		 c;
	static struct totals	 t;
	struct timespec		 t0, t1;
	int64_t			 wall = INT64_C(1767225600000);
	double			 ns;
	int			 ch, p;

	log_init(0);
	while ((ch = getopt(argc, argv, "w:")) != -1) {
		switch (ch) {
		case 'w':
			wall = strtoll(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;
	corpus_read(argv[optind], &c);

	/* The service's defaults (handlers/conf.c), legacy dialect. */
	conf = conf_new();
	sink_conf_init(&sc, conf, SCHEMA_LEGACY, 1);
	sk = sink_new(&sc);
	for (p = 0; p < NPARTS; p++)
		sink_assign(sk, p);

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	core_run(sk, &c, &t, wall);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	    (double)(t1.tv_nsec - t0.tv_nsec);

	printf("messages %zu rows %" PRIu64 " rejects %" PRIu64
	    " inserts %" PRIu64 " body_bytes %" PRIu64 " cpu_ns_per_tick %.1f\n",
	    c.n, sk->stats.rows_landed, sk->stats.rejects_landed, t.inserts,
	    t.body_bytes, c.n ? ns / (double)c.n : 0.0);
	if (sk->stats.rows_landed + sk->stats.rejects_landed != c.n)
		fatalx("landed %" PRIu64 " of %zu messages",
		    sk->stats.rows_landed + sk->stats.rejects_landed, c.n);
	sink_free(sk);
	conf_free(conf);
	free(c.start);
	free(c.data);
	return (0);
usage:
	fprintf(stderr, "usage: ticksink-bench-core [-w WALL_MS] CORPUS\n");
	return (2);
}
