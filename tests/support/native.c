/*
 * tests: ClickHouse Native blocks read back into RowBinary rows.
 *
 * Written from the format, not from rowenc.c: a block is its column count
 * and row count (LEB128), then per column its name, its type name (both
 * LEB128-length strings) and every row's value.  Only the types ticksink
 * sends are known: the fixed-width numbers and times, and String.
 */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"

#define NATIVE_COLS_MAX	16

/* A cursor over the body; bad once a read ran past its end. */
struct native_rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 i;
	bool		 bad;
};

/* A column of the block being read: where its values start, their width. */
struct native_col {
	size_t		 at;
	int		 width;		/* 0: String */
};

static uint64_t
native_varint(struct native_rd *r)
{
	uint64_t	v = 0;
	int		shift;

	for (shift = 0; shift < 64; shift += 7) {
		if (r->i >= r->len) {
			r->bad = true;
			return (0);
		}
		v |= (uint64_t)(r->p[r->i] & 0x7f) << shift;
		if ((r->p[r->i++] & 0x80) == 0)
			return (v);
	}
	r->bad = true;
	return (0);
}

/* Step over a string; returns it, its length in *n. */
static const uint8_t *
native_str(struct native_rd *r, size_t *n)
{
	const uint8_t	*s;
	uint64_t	 v = native_varint(r);

	if (r->bad || v > r->len - r->i) {
		r->bad = true;
		*n = 0;
		return (NULL);
	}
	s = r->p + r->i;
	r->i += (size_t)v;
	*n = (size_t)v;
	return (s);
}

/* The width of a value of type (n bytes); 0: String; -1: unknown. */
static int
native_width(const uint8_t *type, size_t n)
{
	static const struct {
		const char	*name;
		int		 width;
	} types[] = {
		{ "String", 0 }, { "DateTime", 4 }, { "Int32", 4 },
		{ "UInt32", 4 }, { "Int64", 8 }, { "UInt64", 8 },
		{ "Float64", 8 }, { "DateTime64(3, 'UTC')", 8 },
		{ "DateTime64(3)", 8 },
	};
	size_t	i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strlen(types[i].name) == n &&
		    memcmp(types[i].name, type, n) == 0)
			return (types[i].width);
	return (-1);
}

/* Step over nrows values of width (0: strings); false if cut short. */
static bool
native_skip(struct native_rd *r, int width, uint64_t nrows)
{
	size_t		n;
	uint64_t	k;

	if (width > 0) {
		if (nrows > (r->len - r->i) / (size_t)width)
			return (false);
		r->i += (size_t)(nrows * (uint64_t)width);
		return (true);
	}
	for (k = 0; k < nrows && !r->bad; k++)
		(void)native_str(r, &n);
	return (!r->bad);
}

long
native_rows(const uint8_t *body, size_t len, struct buf *rows,
    uint64_t *nrows)
{
	struct native_rd	 r = { body, len, 0, false };
	struct native_col	 cols[NATIVE_COLS_MAX];
	const uint8_t		*type;
	uint64_t		 ncols, n, k;
	size_t			 whole = 0, tlen, slen, c;

	*nrows = 0;
	while (r.i < len) {
		ncols = native_varint(&r);
		n = native_varint(&r);
		if (r.bad)
			break;
		if (ncols == 0 || ncols > NATIVE_COLS_MAX)
			return (-1);
		for (c = 0; c < ncols; c++) {
			(void)native_str(&r, &slen);
			type = native_str(&r, &tlen);
			if (r.bad)
				break;
			if ((cols[c].width = native_width(type, tlen)) < 0)
				return (-1);
			cols[c].at = r.i;
			if (!native_skip(&r, cols[c].width, n)) {
				r.bad = true;
				break;
			}
		}
		if (r.bad)
			break;
		for (k = 0; k < n; k++)
			for (c = 0; c < ncols; c++) {
				struct native_rd v = { body, len, cols[c].at,
				    false };

				if (cols[c].width > 0) {
					buf_add(rows, body + v.i,
					    (size_t)cols[c].width);
					cols[c].at += (size_t)cols[c].width;
					continue;
				}
				(void)native_str(&v, &slen);
				buf_add(rows, body + cols[c].at,
				    v.i - cols[c].at);
				cols[c].at = v.i;
			}
		*nrows += n;
		whole = r.i;
	}
	return ((long)whole);
}
