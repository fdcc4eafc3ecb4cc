/*
 * ticksink: RowBinary encoding of ticks and rejects.
 *
 * RowBinary is ClickHouse's native row format: numbers as fixed-width
 * little-endian values, strings as a LEB128 length and the bytes.  It is
 * written straight into the batch body with no formatting or escaping, and
 * the server reads it without parsing text; both ends do the least work.
 * The column order is the one schema_insert_sql() names.
 *
 * Times: DateTime is UInt32 seconds, DateTime64(3) is Int64 milliseconds.
 * On the LEGACY dialect a DateTime column is followed by its exact Int64
 * millisecond twin.
 *
 * Ticks go to the server in Native instead, read out of the RowBinary rows
 * (rowenc_native_read): the server then takes each column as one run of
 * bytes rather than value by value, and spends less CPU on an insert
 * (bench/run: about an eighth).  The batch stays in rows, which is what
 * splitting it, finding a refused row and dropping rows that landed work
 * on.
 */

#include <stdio.h>
#include <string.h>

#include "rowenc.h"

/*
 * A tick column as rowenc_tick lays it out: its type in a Native block,
 * and its width (0: the symbol, a LEB128 length of one byte and the bytes).
 * The columns before the symbol are found from the row's start, the others
 * from the symbol's end.  A LowCardinality(String) symbol column is sent as
 * String, which the server converts (as it does for clients that predate
 * LowCardinality); a DateTime column takes any time zone's DateTime.
 */
struct rowenc_col {
	const char	*name;
	const char	*type;
	uint8_t		 width;
};

static const struct rowenc_col rowenc_cols[2][10] = {
	[SCHEMA_LEGACY] = {
		{ "timestamp", "DateTime", 4 },
		{ "timestamp_ms", "Int64", 8 },
		{ "symbol", "String", 0 },
		{ "price", "Float64", 8 },
		{ "volume", "Float64", 8 },
		{ "received_at", "DateTime", 4 },
		{ "received_at_ms", "Int64", 8 },
		{ "kafka_partition", "Int32", 4 },
		{ "kafka_offset", "Int64", 8 },
		{ NULL, NULL, 0 }
	},
	[SCHEMA_CURRENT] = {
		{ "timestamp", "DateTime64(3, 'UTC')", 8 },
		{ "timestamp_ms", "Int64", 8 },
		{ "symbol", "String", 0 },
		{ "price", "Float64", 8 },
		{ "volume", "Float64", 8 },
		{ "received_at", "DateTime64(3, 'UTC')", 8 },
		{ "kafka_partition", "Int32", 4 },
		{ "kafka_offset", "Int64", 8 },
		{ NULL, NULL, 0 }
	}
};
#define ROWENC_SYMBOL_COL	2

_Static_assert(TICK_SYMBOL_MAX < 128, "a symbol's length is one LEB128 byte");

static void	rowenc_time(struct buf *, enum schema_dialect, int64_t);
static size_t	rowenc_varint(const uint8_t **, const uint8_t *);
static size_t	rowenc_put_varint(uint8_t *, uint64_t);
static size_t	rowenc_put_str(uint8_t *, const char *);
static void	rowenc_native_head(struct rowenc_native *);
static void	rowenc_native_settle(struct rowenc_native *);
static size_t	rowenc_native_values(struct rowenc_native *, uint8_t *, size_t);

/* Append a time column (and on LEGACY its millisecond twin). */
static void
rowenc_time(struct buf *b, enum schema_dialect d, int64_t ms)
{
	int64_t	secs;

	if (d == SCHEMA_CURRENT) {
		buf_add_le64(b, (uint64_t)ms);
		return;
	}
	secs = ms / 1000 - (ms % 1000 < 0);
	buf_add_le32(b, (uint32_t)secs);
	buf_add_le64(b, (uint64_t)ms);
}

/* Append one tick row. */
void
rowenc_tick(struct buf *b, enum schema_dialect d, const struct tick *t,
    const struct rowenc_origin *o)
{
	buf_reserve(b, 64 + t->symbol_len);
	if (d == SCHEMA_CURRENT)
		buf_add_le64(b, (uint64_t)t->ts_ms);
	else
		buf_add_le32(b, (uint32_t)(t->ts_ms / 1000));
	buf_add_le64(b, (uint64_t)t->ts_ms);
	buf_add_bytes(b, t->symbol, t->symbol_len);
	buf_add_double(b, t->price);
	buf_add_double(b, t->volume);
	rowenc_time(b, d, t->recv_ms);
	buf_add_le32(b, (uint32_t)o->partition);
	buf_add_le64(b, (uint64_t)o->offset);
}

/* Write v as LEB128 at p; returns its length. */
static size_t
rowenc_put_varint(uint8_t *p, uint64_t v)
{
	size_t	n = 0;

	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return (n);
}

/* Write a string as Native does (LEB128 length, bytes); returns its size. */
static size_t
rowenc_put_str(uint8_t *p, const char *s)
{
	size_t	len = strlen(s), n;

	n = rowenc_put_varint(p, len);
	memcpy(p + n, s, len);
	return (n + len);
}

/* The size of the Native block of nrows rows whose RowBinary is len bytes. */
size_t
rowenc_native_size(enum schema_dialect d, size_t len, uint32_t nrows)
{
	const struct rowenc_col	*c;
	uint8_t			 v[10];
	size_t			 n;

	/* The column count and each name's and type's length: one byte. */
	n = len + rowenc_put_varint(v, nrows) + 1;
	for (c = rowenc_cols[d]; c->name != NULL; c++)
		n += 1 + strlen(c->name) + 1 + strlen(c->type);
	return (n);
}

/*
 * Start the column nb is at: its header (after the block's own, for the
 * first) and where its values are in a row.
 */
static void
rowenc_native_head(struct rowenc_native *nb)
{
	const struct rowenc_col	*cols = rowenc_cols[nb->dialect], *c;
	size_t			 n = 0;
	unsigned		 i;

	if (nb->col == 0) {
		while (cols[n].name != NULL)
			n++;
		n = rowenc_put_varint(nb->head, n);
		n += rowenc_put_varint(nb->head + n, nb->nrows);
	}
	c = &cols[nb->col];
	n += rowenc_put_str(nb->head + n, c->name);
	n += rowenc_put_str(nb->head + n, c->type);
	nb->head_len = n;
	nb->head_at = 0;
	nb->row = 0;
	nb->at = 0;
	nb->part = 0;

	nb->width = c->width;
	nb->after = nb->col > ROWENC_SYMBOL_COL;
	nb->off = 0;
	for (i = 0; i < nb->col; i++)
		nb->off += cols[i].width;
	if (nb->after)
		nb->off += 1;	/* the symbol's length byte */
}

/* A column read whole: on to the next one's header, or the block's end. */
static void
rowenc_native_settle(struct rowenc_native *nb)
{
	const struct rowenc_col	*cols = rowenc_cols[nb->dialect];

	while (nb->head_at == nb->head_len && nb->row == nb->nrows &&
	    cols[nb->col].name != NULL)
		if (cols[++nb->col].name != NULL)
			rowenc_native_head(nb);
}

/* Begin reading the nrows rows at rows (rowenc_tick's) as a Native block. */
void
rowenc_native_start(struct rowenc_native *nb, enum schema_dialect d,
    const void *rows, uint32_t nrows)
{
	const struct rowenc_col	*c;

	memset(nb, 0, sizeof *nb);
	nb->rows = rows;
	nb->nrows = nrows;
	nb->dialect = d;
	for (c = rowenc_cols[d]; c < rowenc_cols[d] + ROWENC_SYMBOL_COL; c++)
		nb->sym_at += c->width;
	for (nb->fixed = nb->sym_at + 1, c++; c->name != NULL; c++)
		nb->fixed += c->width;
	rowenc_native_head(nb);
}

/* Read the block again from its first byte. */
void
rowenc_native_rewind(struct rowenc_native *nb)
{
	rowenc_native_start(nb, nb->dialect, nb->rows, nb->nrows);
}

/* Was the whole block read? */
bool
rowenc_native_done(const struct rowenc_native *nb)
{
	return (rowenc_cols[nb->dialect][nb->col].name == NULL);
}

/*
 * The current column's values on into out (room bytes): whole ones while
 * they fit, then as much of the next as fits, kept in part.  The cursor is
 * held in locals, as the stores to out could otherwise alias it.
 */
static size_t
rowenc_native_values(struct rowenc_native *nb, uint8_t *out, size_t room)
{
	const uint8_t	*row, *v;
	uint32_t	 r = nb->row, nrows = nb->nrows;
	size_t		 n = 0, at = nb->at, k, vlen;
	size_t		 sym_at = nb->sym_at, fixed = nb->fixed, off = nb->off;
	unsigned	 width = nb->width, sym;
	bool		 after = nb->after;

	/* One loop per width, so that each copy is a single move. */
	if (nb->part == 0 && width == 8)
		for (; r < nrows && room - n >= 8; r++, n += 8) {
			row = nb->rows + at;
			sym = row[sym_at];
			memcpy(out + n, row + off + (after ? sym : 0), 8);
			at += fixed + sym;
		}
	else if (nb->part == 0 && width == 4)
		for (; r < nrows && room - n >= 4; r++, n += 4) {
			row = nb->rows + at;
			sym = row[sym_at];
			memcpy(out + n, row + off + (after ? sym : 0), 4);
			at += fixed + sym;
		}
	else if (nb->part == 0)
		for (; r < nrows; r++, n += 1 + sym) {
			row = nb->rows + at;
			sym = row[sym_at];
			if (1 + sym > room - n)
				break;
			memcpy(out + n, row + sym_at, 1 + sym);
			at += fixed + sym;
		}
	if (r < nrows && n < room) {
		row = nb->rows + at;
		sym = row[sym_at];
		vlen = width != 0 ? width : 1 + sym;
		v = row + off + (after ? sym : 0);
		k = vlen - nb->part < room - n ? vlen - nb->part : room - n;
		memcpy(out + n, v + nb->part, k);
		n += k;
		nb->part += k;
		if (nb->part == vlen) {
			nb->part = 0;
			at += fixed + sym;
			r++;
		}
	}
	nb->row = r;
	nb->at = at;
	return (n);
}

/*
 * Read the block on into dst: headers, then column after column, each
 * value found in its row; the next read goes on from where this stopped.
 */
size_t
rowenc_native_read(struct rowenc_native *nb, void *dst, size_t size)
{
	uint8_t	*out = dst;
	size_t	 n = 0, k;

	while (n < size && !rowenc_native_done(nb)) {
		if (nb->head_at < nb->head_len) {
			k = nb->head_len - nb->head_at;
			k = k < size - n ? k : size - n;
			memcpy(out + n, nb->head + nb->head_at, k);
			nb->head_at += k;
		} else
			k = rowenc_native_values(nb, out + n, size - n);
		n += k;
		rowenc_native_settle(nb);
	}
	return (n);
}

/* Append one reject row; the raw bytes are cut at raw_max. */
void
rowenc_reject(struct buf *b, enum schema_dialect d,
    const struct rowenc_reject *r)
{
	size_t	keep;

	keep = r->raw == NULL ? 0 : r->raw_size;
	if (keep > r->raw_max)
		keep = r->raw_max;
	rowenc_time(b, d, r->rejected_ms);
	buf_add_bytes(b, r->origin.topic, strlen(r->origin.topic));
	buf_add_le32(b, (uint32_t)r->origin.partition);
	buf_add_le64(b, (uint64_t)r->origin.offset);
	buf_add_le64(b, (uint64_t)r->origin.timestamp_ms);
	buf_add_bytes(b, r->reason, strlen(r->reason));
	buf_add_bytes(b, r->detail, strlen(r->detail));
	buf_add_bytes(b, r->raw, keep);
	buf_add_le32(b, (uint32_t)r->raw_size);
}

/*
 * The Kafka partition and offset of one row of table t as rowenc_tick() or
 * rowenc_reject() wrote it (row is exactly that row's bytes).  A tick row
 * ends with them; a reject row has them after its time and topic.
 */
void
rowenc_origin(const uint8_t *row, size_t len, enum schema_table t,
    enum schema_dialect d, int32_t *partition, int64_t *offset)
{
	const uint8_t	*p = row;

	if (t == SCHEMA_TICKS) {
		p = row + len - 12;
	} else {
		p += d == SCHEMA_CURRENT ? 8 : 12;
		p += rowenc_varint(&p, row + len);
	}
	*partition = (int32_t)rowenc_le(p, 4);
	*offset = (int64_t)rowenc_le(p + 4, 8);
}

/* Read a LEB128 length at *p (not past end) and step *p over it. */
static size_t
rowenc_varint(const uint8_t **p, const uint8_t *end)
{
	size_t	v = 0;
	int	shift;

	for (shift = 0; *p < end && shift < 63; shift += 7) {
		v |= (size_t)(**p & 0x7f) << shift;
		if ((*(*p)++ & 0x80) == 0)
			break;
	}
	return (v);
}

/* Read an n-byte little-endian value. */
uint64_t
rowenc_le(const uint8_t *p, int n)
{
	uint64_t	v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return (v);
}

/*
 * Parse one tick row as rowenc_tick() wrote it (the exact inverse).  Used to
 * turn a row the server refused back into a reject, and by the tests.
 */
int
rowenc_tick_parse(const uint8_t *p, size_t len, enum schema_dialect d,
    struct tick *t, struct rowenc_origin *o)
{
	const uint8_t	*end = p + len;
	uint64_t	 v;
	size_t		 tsz = d == SCHEMA_CURRENT ? 8 : 4, slen;

	memset(t, 0, sizeof *t);
	if (len < tsz + 8 + 1)
		return (-1);
	p += tsz;
	t->ts_ms = (int64_t)rowenc_le(p, 8);
	p += 8;
	slen = rowenc_varint(&p, end);
	if (slen > TICK_SYMBOL_MAX || (size_t)(end - p) < slen +
	    16 + tsz + (d == SCHEMA_LEGACY ? 8 : 0) + 12)
		return (-1);
	memcpy(t->symbol, p, slen);
	t->symbol_len = slen;
	p += slen;
	v = rowenc_le(p, 8);
	memcpy(&t->price, &v, 8);
	v = rowenc_le(p + 8, 8);
	memcpy(&t->volume, &v, 8);
	p += 16;
	if (d == SCHEMA_LEGACY)
		p += 4;
	t->recv_ms = (int64_t)rowenc_le(p, 8);
	p += 8;
	o->partition = (int32_t)rowenc_le(p, 4);
	o->offset = (int64_t)rowenc_le(p + 4, 8);
	return (p + 12 == end ? 0 : -1);
}

/* One JSON line for a tick (symbols are printable ASCII; quote escaped). */
int
rowenc_tick_json(const struct tick *t, char *buf, size_t size)
{
	char	sym[2 * TICK_SYMBOL_MAX + 1];
	size_t	i, j = 0;
	int	n;

	for (i = 0; i < t->symbol_len; i++) {
		if (t->symbol[i] == '"' || t->symbol[i] == '\\')
			sym[j++] = '\\';
		sym[j++] = t->symbol[i];
	}
	sym[j] = '\0';
	n = snprintf(buf, size, "{\"timestamp_ms\": %lld, \"symbol\": \"%s\", "
	    "\"price\": %.17g, \"volume\": %.17g, \"received_at_ms\": %lld}",
	    (long long)t->ts_ms, sym, t->price, t->volume,
	    (long long)t->recv_ms);
	if (n < 0)
		return (0);
	return ((size_t)n >= size ? (int)size - 1 : n);
}
