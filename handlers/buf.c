/*
 * ticksink: growable byte buffer.
 *
 * Bodies for ClickHouse are built here row by row.  The writers append the
 * RowBinary primitives (fixed-width little-endian numbers, LEB128 lengths)
 * directly, so an encoded row never passes through an intermediate copy.
 */

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

/* Start empty, with no allocation. */
void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Release the allocation. */
void
buf_clear(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

/* Grow the allocation to hold extra more bytes (buf_reserve's slow path). */
void
buf_grow(struct buf *b, size_t extra)
{
	size_t	want, cap;

	want = b->len + extra;
	cap = b->cap != 0 ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	b->data = xreallocarray(b->data, cap, 1);
	b->cap = cap;
}

/* Append raw bytes. */
void
buf_add(struct buf *b, const void *p, size_t len)
{
	if (len == 0)
		return;
	buf_reserve(b, len);
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

/* Append a C string without its NUL. */
void
buf_add_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Append an unsigned LEB128 varint (RowBinary string lengths). */
void
buf_add_varint(struct buf *b, uint64_t v)
{
	buf_reserve(b, 10);
	while (v >= 0x80) {
		b->data[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->data[b->len++] = (uint8_t)v;
}

/* Append a RowBinary String: varint length, then the bytes. */
void
buf_add_bytes(struct buf *b, const void *p, size_t len)
{
	buf_add_varint(b, len);
	buf_add(b, p, len);
}
