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
 */

#include <stdio.h>
#include <string.h>

#include "rowenc.h"

static void	rowenc_time(struct buf *, enum schema_dialect, int64_t);
static size_t	rowenc_varint(const uint8_t **, const uint8_t *);

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
