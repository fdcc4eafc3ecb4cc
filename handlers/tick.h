/*
 * ticksink: one validated market tick, times normalised to UTC.
 */
#ifndef HANDLERS_TICK_H
#define HANDLERS_TICK_H

#include <stddef.h>
#include <stdint.h>

#define TICK_SYMBOL_MAX		64

/*
 * A tick after validation.  Times are milliseconds since the Unix epoch in
 * UTC; the producer's ISO strings may carry any offset and finer fractions,
 * which are normalised (and floored) to this.
 */
struct tick {
	int64_t		ts_ms;		/* exchange trade time */
	int64_t		recv_ms;	/* producer receive time */
	double		price;
	double		volume;
	size_t		symbol_len;
	char		symbol[TICK_SYMBOL_MAX + 1];	/* NUL-terminated */
};

#endif /* HANDLERS_TICK_H */
