/*
 * ticksink: decoding and validation of one producer tick (DESIGN.md §1).
 *
 * The message is parsed with yajl's callback parser rather than its tree API
 * so that nothing is built for fields we ignore, the nesting depth can be
 * bounded from the start_map/start_array callbacks (yajl itself has no limit
 * and would grow its state stack for 10,000 brackets), and numbers arrive as
 * their raw text through the yajl_number callback: price and volume are then
 * converted with strtod at full double precision, and timestamp_ms with an
 * exact integer parse.
 *
 * The parse only records, per known top-level field, how often it occurred,
 * the JSON type of its first value and that value's text.  Every rule is
 * checked afterwards in one fixed order (see decode.h), so the reason for a
 * message with several faults does not depend on its field order.  Semantic
 * faults never stop the parse: only a well-formed document can be blamed for
 * its content.  The one exception is depth, which must stop it.
 *
 * yajl has no reset, and a handle (a lexer, a state stack, buffers) costs
 * 4% of the core to make and free.  So one handle, configured to take
 * several values in a row, parses message after message; a message that is
 * exactly one well-formed value needs nothing more.  Anything else (an
 * error, a second value, no value at all) is parsed again by a fresh handle
 * with yajl's defaults, whose verdict and byte offset are the ones reported,
 * so a reject reads the same as if every message had its own handle (with
 * one addition: an unterminated string after the object, which yajl lets
 * pass, is trailing garbage too).  The
 * fresh handle allocates from an arena in struct decoder (a first chunk
 * kept for the decoder's life and reset per message, plus overflow chunks
 * freed at the next reset), as do the field texts of every message: an
 * ordinary tick parses without calling malloc.
 */

#include <assert.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "decode.h"
#include "isotime.h"
#include "log.h"
#include "xmalloc.h"

/* Size of the arena chunk kept between messages. */
#define DECODE_ARENA_SIZE	16384
/* Arena allocations are aligned like malloc's. */
#define DECODE_ALIGN		_Alignof(max_align_t)
#define DECODE_ROUND(n)						\
	(((n) + DECODE_ALIGN - 1) & ~(DECODE_ALIGN - 1))
/* Input bytes echoed into a detail, and the buffer an escaped echo needs. */
#define DECODE_ECHO_MAX		40
#define DECODE_ECHO_BUF		(DECODE_ECHO_MAX * 4 + 4)
/* 2009-01-01T00:00:00Z in ms: the start of the plausible window. */
#define DECODE_MIN_MS		INT64_C(1230768000000)

/* The JSON type of a value, as far as the rules care. */
enum decode_jtype {
	DECODE_J_NONE = 0,
	DECODE_J_NULL,
	DECODE_J_BOOL,
	DECODE_J_NUMBER,
	DECODE_J_STRING,
	DECODE_J_OBJECT,
	DECODE_J_ARRAY
};

/* Known fields, in the order their rules are checked. */
enum decode_fid {
	DECODE_F_SYMBOL,
	DECODE_F_PRICE,
	DECODE_F_VOLUME,
	DECODE_F_TIMESTAMP,
	DECODE_F_TIMESTAMP_MS,
	DECODE_F_RECEIVED_AT,
	DECODE_F_COUNT
};

/* One arena chunk; allocations are carved from data. */
struct decode_chunk {
	struct decode_chunk	*next;
	size_t			 size;
	size_t			 used;
	_Alignas(max_align_t) unsigned char data[];
};

/* The arena: head is the current chunk, the list ends with the kept one. */
struct decode_arena {
	struct decode_chunk	*head;
	struct decode_chunk	*base;
};

/* What the parse saw of one known top-level field. */
struct decode_field {
	unsigned		 count;
	enum decode_jtype	 type;	/* of the first occurrence */
	/* A string or number value, copied and NUL-terminated. */
	char			*text;
	size_t			 len;
};

/* The decoder: limits, the "C" locale, the arena and the parse state. */
struct decoder {
	struct decode_limits	 limits;
	locale_t		 c_locale;
	struct decode_arena	 arena;
	yajl_alloc_funcs	 afs;
	/* The reused handle (several values in a row); NULL once spent. */
	yajl_handle		 stream;

	/* Per call: where the detail goes. */
	char			*detail;
	size_t			 detail_size;

	/* Per parse, reset by decode_start. */
	bool			 in_stream;	/* parsed by the reused handle */
	size_t			 end;		/* there: after the object */
	int			 depth;
	/* The field whose value comes next, or -1. */
	int			 cur;
	bool			 too_deep;
	bool			 bad_utf8;
	/* The message, and whether it is all ASCII (decode_text_ok). */
	const unsigned char	*in;
	size_t			 in_len;
	bool			 ascii;
	enum decode_jtype	 top;
	struct decode_field	 f[DECODE_F_COUNT];
};

static void		 decode_arena_init(struct decode_arena *);
static void		 decode_arena_reset(struct decode_arena *);
static void		 decode_arena_clear(struct decode_arena *);
static void		*decode_arena_alloc(struct decode_arena *, size_t);
static bool		 decode_arena_is_last(struct decode_arena *, void *,
			     size_t *);
static void		*decode_malloc_cb(void *, size_t);
static void		*decode_realloc_cb(void *, void *, size_t);
static void		 decode_free_cb(void *, void *);
static int		 decode_value(struct decoder *, enum decode_jtype,
			     const void *, size_t);
static int		 decode_open(struct decoder *, enum decode_jtype);
static bool		 decode_is_utf8(const unsigned char *, size_t);
static bool		 decode_is_ascii(const unsigned char *, size_t);
static bool		 decode_text_ok(const struct decoder *,
			    const unsigned char *, size_t);
static int		 decode_null_cb(void *);
static int		 decode_boolean_cb(void *, int);
static int		 decode_number_cb(void *, const char *, size_t);
static int		 decode_string_cb(void *, const unsigned char *,
			     size_t);
static int		 decode_start_map_cb(void *);
static int		 decode_map_key_cb(void *, const unsigned char *,
			     size_t);
static int		 decode_end_cb(void *);
static int		 decode_start_array_cb(void *);
static enum decode_reason decode_reject(struct decoder *, enum decode_reason,
			     const char *, ...)
			     __attribute__((format(printf, 3, 4)));
static const char	*decode_echo(char *, const char *, size_t);
static const char	*decode_jtype_name(enum decode_jtype);
static int		 decode_integer(const char *, size_t, int64_t *,
			     bool *);
static double		 decode_double(const struct decoder *, const char *,
			     size_t);
static void		 decode_start(struct decoder *, const void *, size_t);
static bool		 decode_parse_stream(struct decoder *, const void *,
		     size_t, size_t *);
static enum decode_reason decode_parse_alone(struct decoder *,
		     const void *, size_t);
static enum decode_reason decode_parse(struct decoder *, const void *,
			     size_t);
static enum decode_reason decode_check_fields(struct decoder *);
static enum decode_reason decode_check_values(struct decoder *, int64_t,
			     struct tick *);

static const char *decode_reason_names[] = {
	[DECODE_OK] = "ok",
	[DECODE_EMPTY] = "empty",
	[DECODE_TOO_LARGE] = "too_large",
	[DECODE_BAD_JSON] = "bad_json",
	[DECODE_TOO_DEEP] = "too_deep",
	[DECODE_NOT_OBJECT] = "not_object",
	[DECODE_DUPLICATE_FIELD] = "duplicate_field",
	[DECODE_MISSING_FIELD] = "missing_field",
	[DECODE_WRONG_TYPE] = "wrong_type",
	[DECODE_BAD_SYMBOL] = "bad_symbol",
	[DECODE_BAD_PRICE] = "bad_price",
	[DECODE_BAD_VOLUME] = "bad_volume",
	[DECODE_BAD_TIME] = "bad_time",
	[DECODE_TIME_RANGE] = "time_out_of_range",
	[DECODE_TIME_MISMATCH] = "time_mismatch",
	[DECODE_RECEIVED_EARLY] = "received_before_trade",
};
static_assert(sizeof(decode_reason_names) / sizeof(decode_reason_names[0]) ==
    DECODE_NREASONS, "a decode_reason without a name");

#define DECODE_FIELD(n, t)	{ n, sizeof(n) - 1, t }
static const struct {
	const char		*name;
	size_t			 len;
	enum decode_jtype	 type;
} decode_fields[DECODE_F_COUNT] = {
	[DECODE_F_SYMBOL] = DECODE_FIELD("symbol", DECODE_J_STRING),
	[DECODE_F_PRICE] = DECODE_FIELD("price", DECODE_J_NUMBER),
	[DECODE_F_VOLUME] = DECODE_FIELD("volume", DECODE_J_NUMBER),
	[DECODE_F_TIMESTAMP] = DECODE_FIELD("timestamp", DECODE_J_STRING),
	[DECODE_F_TIMESTAMP_MS] = DECODE_FIELD("timestamp_ms", DECODE_J_NUMBER),
	[DECODE_F_RECEIVED_AT] = DECODE_FIELD("received_at", DECODE_J_STRING),
};

/*
 * yajl_number replaces yajl_integer and yajl_double, so those stay NULL and
 * yajl never converts a number itself.
 */
static const yajl_callbacks decode_callbacks = {
	.yajl_null = decode_null_cb,
	.yajl_boolean = decode_boolean_cb,
	.yajl_number = decode_number_cb,
	.yajl_string = decode_string_cb,
	.yajl_start_map = decode_start_map_cb,
	.yajl_map_key = decode_map_key_cb,
	.yajl_end_map = decode_end_cb,
	.yajl_start_array = decode_start_array_cb,
	.yajl_end_array = decode_end_cb,
};

/* Allocate the kept chunk of an arena. */
static void
decode_arena_init(struct decode_arena *a)
{
	a->base = xmalloc(sizeof(*a->base) + DECODE_ARENA_SIZE);
	a->base->next = NULL;
	a->base->size = DECODE_ARENA_SIZE;
	a->base->used = 0;
	a->head = a->base;
}

/* Empty the arena: free the overflow chunks and rewind the kept one. */
static void
decode_arena_reset(struct decode_arena *a)
{
	struct decode_chunk	*c;

	while (a->head != a->base) {
		c = a->head;
		a->head = c->next;
		free(c);
	}
	a->base->used = 0;
}

/* Free every chunk of the arena. */
static void
decode_arena_clear(struct decode_arena *a)
{
	decode_arena_reset(a);
	free(a->base);
	a->base = a->head = NULL;
}

/*
 * Carve n bytes from the arena, preceded by a header that records n so that
 * realloc can copy the right amount.  Never returns NULL.
 */
static void *
decode_arena_alloc(struct decode_arena *a, size_t n)
{
	struct decode_chunk	*c;
	size_t			 need, size;
	unsigned char		*p;

	if (n > SIZE_MAX / 4)
		fatalx("%s: %zu bytes", __func__, n);
	need = DECODE_ALIGN + DECODE_ROUND(n);
	c = a->head;
	if (c->size - c->used < need) {
		size = need > DECODE_ARENA_SIZE ? need : DECODE_ARENA_SIZE;
		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += need;
	memcpy(p, &n, sizeof(n));
	return (p + DECODE_ALIGN);
}

/*
 * Whether p is the newest allocation of the current chunk, which can grow,
 * shrink or be given back in place.  Sets *start to its header's offset.
 */
static bool
decode_arena_is_last(struct decode_arena *a, void *p, size_t *start)
{
	struct decode_chunk	*c = a->head;
	uintptr_t		 lo, at;
	size_t			 old;

	lo = (uintptr_t)c->data;
	at = (uintptr_t)p;
	if (at < lo + DECODE_ALIGN || at > lo + c->used)
		return (false);
	*start = at - lo - DECODE_ALIGN;
	memcpy(&old, c->data + *start, sizeof(old));
	return (*start + DECODE_ALIGN + DECODE_ROUND(old) == c->used);
}

/* yajl_alloc_funcs malloc: carve from the decoder's arena. */
static void *
decode_malloc_cb(void *ctx, size_t n)
{
	return (decode_arena_alloc(ctx, n));
}

/*
 * yajl_alloc_funcs realloc: grow in place when p is the newest allocation
 * (yajl's state stack and buffers usually are), else copy to a new one.
 */
static void *
decode_realloc_cb(void *ctx, void *p, size_t n)
{
	struct decode_arena	*a = ctx;
	size_t			 start, old;
	void			*q;

	if (p == NULL)
		return (decode_arena_alloc(a, n));
	if (decode_arena_is_last(a, p, &start) && n <= SIZE_MAX / 4 &&
	    start + DECODE_ALIGN + DECODE_ROUND(n) <= a->head->size) {
		memcpy(a->head->data + start, &n, sizeof(n));
		a->head->used = start + DECODE_ALIGN + DECODE_ROUND(n);
		return (p);
	}
	memcpy(&old, (unsigned char *)p - DECODE_ALIGN, sizeof(old));
	q = decode_arena_alloc(a, n);
	memcpy(q, p, old < n ? old : n);
	return (q);
}

/* yajl_alloc_funcs free: give back the newest allocation, else do nothing. */
static void
decode_free_cb(void *ctx, void *p)
{
	struct decode_arena	*a = ctx;
	size_t			 start;

	if (p != NULL && decode_arena_is_last(a, p, &start))
		a->head->used = start;
}

/* Create a decoder with a copy of the limits. */
struct decoder *
decode_new(const struct decode_limits *limits)
{
	struct decoder	*d;

	if (limits->max_message_bytes == 0 || limits->max_skew_ms < 0)
		fatalx("%s: bad limits (max %zu bytes, skew %" PRId64 " ms)",
		    __func__, limits->max_message_bytes, limits->max_skew_ms);
	d = xcalloc(1, sizeof(*d));
	d->limits = *limits;
	/*
	 * strtod follows LC_NUMERIC, and a comma decimal point would misread
	 * "4512.31"; strtod_l with a private "C" locale cannot.
	 */
	d->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (d->c_locale == (locale_t)0)
		fatal("%s: newlocale", __func__);
	decode_arena_init(&d->arena);
	d->afs.malloc = decode_malloc_cb;
	d->afs.realloc = decode_realloc_cb;
	d->afs.free = decode_free_cb;
	d->afs.ctx = &d->arena;
	return (d);
}

/* Free a decoder and its arena. */
void
decode_free(struct decoder *d)
{
	if (d == NULL)
		return;
	if (d->stream != NULL)
		yajl_free(d->stream);
	decode_arena_clear(&d->arena);
	freelocale(d->c_locale);
	free(d);
}

/* The stable name of a reason. */
const char *
decode_reason_name(enum decode_reason r)
{
	if ((unsigned)r >= DECODE_NREASONS)
		return ("unknown");
	return (decode_reason_names[r]);
}

/*
 * Record a scalar or container value.  Only values directly inside the
 * top-level object, following a known key, are kept; the top-level value's
 * type is kept for the not_object rule.
 */
static int
decode_value(struct decoder *d, enum decode_jtype type, const void *s,
    size_t len)
{
	struct decode_field	*f;

	if (d->depth == 0) {
		/* A second value ends the reused handle's parse. */
		if (d->in_stream && d->top != DECODE_J_NONE)
			return (0);
		d->top = type;
		return (1);
	}
	if (d->depth != 1 || d->cur < 0)
		return (1);
	f = &d->f[d->cur];
	f->type = type;
	if (type == DECODE_J_STRING || type == DECODE_J_NUMBER) {
		f->text = decode_arena_alloc(&d->arena, len + 1);
		if (len > 0)
			memcpy(f->text, s, len);
		f->text[len] = '\0';
		f->len = len;
	}
	d->cur = -1;
	return (1);
}

/* Record a container and enter it; cancel the parse when it is too deep. */
static int
decode_open(struct decoder *d, enum decode_jtype type)
{
	if (!decode_value(d, type, NULL, 0))
		return (0);
	if (++d->depth > DECODE_MAX_DEPTH) {
		d->too_deep = true;
		return (0);
	}
	return (1);
}

/* yajl_callbacks yajl_null. */
static int
decode_null_cb(void *ctx)
{
	return (decode_value(ctx, DECODE_J_NULL, NULL, 0));
}

/* yajl_callbacks yajl_boolean. */
static int
decode_boolean_cb(void *ctx, __attribute__((unused)) int v)
{
	return (decode_value(ctx, DECODE_J_BOOL, NULL, 0));
}

/* yajl_callbacks yajl_number: the raw text, valid only during the call. */
static int
decode_number_cb(void *ctx, const char *s, size_t len)
{
	return (decode_value(ctx, DECODE_J_NUMBER, s, len));
}

/*
 * yajl_callbacks yajl_string: unescaped and UTF-8 checked; the bytes may be
 * in yajl's decode buffer, which the next string reuses, hence the copy.
 */
static int
decode_string_cb(void *ctx, const unsigned char *s, size_t len)
{
	struct decoder	*d = ctx;

	if (!decode_text_ok(d, s, len)) {
		d->bad_utf8 = true;
		return (0);
	}
	return (decode_value(ctx, DECODE_J_STRING, s, len));
}

/*
 * Is string or key s strict UTF-8?  yajl hands over the message's own bytes
 * when there was nothing to unescape: in an all-ASCII message those need
 * no check.  Unescaped text always does, as "\udc00" decodes to a lone
 * surrogate.
 */
static bool
decode_text_ok(const struct decoder *d, const unsigned char *s, size_t len)
{
	uintptr_t	at = (uintptr_t)s, in = (uintptr_t)d->in;

	if (d->ascii && at >= in && at - in <= d->in_len &&
	    len <= d->in_len - (at - in))
		return (true);
	return (decode_is_utf8(s, len));
}

/* Is every byte below 0x80?  Eight at a time. */
static bool
decode_is_ascii(const unsigned char *s, size_t len)
{
	uint64_t	w, any = 0;
	size_t		i;

	for (i = 0; i + sizeof(w) <= len; i += sizeof(w)) {
		memcpy(&w, s + i, sizeof(w));
		any |= w;
	}
	for (; i < len; i++)
		any |= s[i];
	return ((any & UINT64_C(0x8080808080808080)) == 0);
}

/*
 * Strict UTF-8 (RFC 3629): yajl's own check only looks at the lead and
 * continuation bits, so it lets overlong forms (C0 AF), UTF-16 surrogates
 * (ED A0 80) and code points above U+10FFFF (F4 90 80 80) through.
 */
static bool
decode_is_utf8(const unsigned char *s, size_t len)
{
	size_t		i, n, k;
	uint32_t	cp, min;
	uint64_t	w;

	for (i = 0; i < len; i += n) {
		/* Eight ASCII bytes at a time while there are eight. */
		if (len - i >= sizeof(w)) {
			memcpy(&w, s + i, sizeof(w));
			if ((w & UINT64_C(0x8080808080808080)) == 0) {
				n = sizeof(w);
				continue;
			}
		}
		if (s[i] < 0x80) {
			n = 1;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 2;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 3;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 4;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return (false);
		if (len - i < n)
			return (false);
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (false);
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (false);
	}
	return (true);
}

/* yajl_callbacks yajl_start_map. */
static int
decode_start_map_cb(void *ctx)
{
	return (decode_open(ctx, DECODE_J_OBJECT));
}

/* yajl_callbacks yajl_start_array. */
static int
decode_start_array_cb(void *ctx)
{
	return (decode_open(ctx, DECODE_J_ARRAY));
}

/* yajl_callbacks yajl_end_map and yajl_end_array. */
static int
decode_end_cb(void *ctx)
{
	struct decoder	*d = ctx;

	if (--d->depth == 0 && d->in_stream)
		d->end = yajl_get_bytes_consumed(d->stream);
	return (1);
}

/*
 * yajl_callbacks yajl_map_key.  A key of the top-level object selects the
 * field for the next value; a repeat is counted but its value not kept.
 */
static int
decode_map_key_cb(void *ctx, const unsigned char *key, size_t len)
{
	struct decoder	*d = ctx;
	int		 i;

	if (!decode_text_ok(d, key, len)) {
		d->bad_utf8 = true;
		return (0);
	}
	if (d->depth != 1)
		return (1);
	d->cur = -1;
	for (i = 0; i < DECODE_F_COUNT; i++) {
		if (decode_fields[i].len == len &&
		    memcmp(decode_fields[i].name, key, len) == 0) {
			if (++d->f[i].count == 1)
				d->cur = i;
			break;
		}
	}
	return (1);
}

/* Write the detail for a rejection and return the reason. */
static enum decode_reason
decode_reject(struct decoder *d, enum decode_reason r, const char *fmt, ...)
{
	va_list	ap;

	if (d->detail_size > 0) {
		va_start(ap, fmt);
		vsnprintf(d->detail, d->detail_size, fmt, ap);
		va_end(ap);
	}
	return (r);
}

/*
 * Copy at most DECODE_ECHO_MAX bytes of s into dst (DECODE_ECHO_BUF bytes),
 * escaping anything but printable ASCII, and quotes and backslashes, as
 * \xNN, and marking a cut with "...".  Returns dst.
 */
static const char *
decode_echo(char *dst, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, n;
	unsigned char		 c;

	n = 0;
	for (i = 0; i < len && i < DECODE_ECHO_MAX; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c <= 0x7e && c != '\'' && c != '"' &&
		    c != '\\')
			dst[n++] = (char)c;
		else {
			dst[n++] = '\\';
			dst[n++] = 'x';
			dst[n++] = hex[c >> 4];
			dst[n++] = hex[c & 0xf];
		}
	}
	if (len > DECODE_ECHO_MAX) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
	return (dst);
}

/* The JSON type as the details say it. */
static const char *
decode_jtype_name(enum decode_jtype t)
{
	switch (t) {
	case DECODE_J_NONE:
		return ("missing");
	case DECODE_J_NULL:
		return ("null");
	case DECODE_J_BOOL:
		return ("a boolean");
	case DECODE_J_NUMBER:
		return ("a number");
	case DECODE_J_STRING:
		return ("a string");
	case DECODE_J_OBJECT:
		return ("an object");
	case DECODE_J_ARRAY:
		return ("an array");
	}
	return ("unknown");
}

/*
 * Parse a JSON number's text as an integer: an optional '-' and digits only,
 * so a fraction or an exponent is -1.  A value beyond int64_t still returns
 * 0 but sets *overflow.
 */
static int
decode_integer(const char *s, size_t len, int64_t *v, bool *overflow)
{
	size_t	i;
	bool	neg;
	int64_t	acc;
	int	digit;

	*overflow = false;
	neg = len > 0 && s[0] == '-';
	i = neg ? 1 : 0;
	if (i == len)
		return (-1);
	acc = 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		digit = s[i] - '0';
		if (*overflow)
			continue;
		if (__builtin_mul_overflow(acc, 10, &acc) ||
		    (neg ? __builtin_sub_overflow(acc, digit, &acc) :
		    __builtin_add_overflow(acc, digit, &acc)))
			*overflow = true;
	}
	*v = acc;
	return (0);
}

/*
 * The double nearest a JSON number's text (yajl checked its grammar), as
 * strtod gives it.  Short decimals such as prices take Clinger's fast path:
 * a mantissa of at most 2^53 and a power of ten of at most 10^22 are both
 * exact doubles, so one IEEE multiplication or division rounds the true
 * value correctly, like strtod.  Anything longer goes to strtod_l.
 */
static double
decode_double(const struct decoder *d, const char *s, size_t len)
{
	static const double	 pow10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
		1e22
	};
	const char		*p = s, *end = s + len;
	uint64_t		 m = 0;
	int			 digits = 0, scale = 0;
	bool			 neg;
	double			 v;

	neg = p < end && *p == '-';
	p += neg;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		m = m * 10 + (uint64_t)(*p - '0');
		digits += m != 0;
		if (digits > 19)
			goto slow;
	}
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
			m = m * 10 + (uint64_t)(*p - '0');
			digits += m != 0;
			if (digits > 19)
				goto slow;
			scale++;
		}
	}
	if (p != end || m > (UINT64_C(1) << 53) ||
	    scale >= (int)(sizeof(pow10) / sizeof(pow10[0])))
		goto slow;
	v = (double)m / pow10[scale];
	return (neg ? -v : v);
slow:
	return (strtod_l(s, NULL, d->c_locale));
}

/*
 * Run yajl over the whole message: the reused handle first, and where that
 * does not end in exactly one well-formed value, a fresh handle, whose
 * verdict is the one reported.
 */
static enum decode_reason
decode_parse(struct decoder *d, const void *buf, size_t len)
{
	enum decode_reason	r;
	size_t			trail;

	if (decode_parse_stream(d, buf, len, &trail))
		return (DECODE_OK);
	decode_start(d, buf, len);
	r = decode_parse_alone(d, buf, len);
	/*
	 * yajl takes an unterminated string after the value for a token still
	 * to come, and ends without an error; it is no less trailing garbage.
	 */
	if (r == DECODE_OK && trail < len)
		r = decode_reject(d, DECODE_BAD_JSON, "invalid JSON at byte "
		    "%zu: parse error: trailing garbage", trail);
	return (r);
}

/*
 * Parse with the reused handle, which takes several values in a row: true
 * if the message was one object and nothing but white space after it, so
 * that the handle is ready for the next message.  yajl cannot say so
 * itself here: the rest of a message may be a value or the start of one,
 * which that handle would take as the next.  Otherwise *trail is where
 * something other than white space follows a whole object (else len), and
 * the handle is freed (an error or a cancel leaves it in its error state
 * for good, and a partial token would run into the next message); the next
 * message makes another.
 */
static bool
decode_parse_stream(struct decoder *d, const void *buf, size_t len,
    size_t *trail)
{
	const unsigned char	*p = buf;
	yajl_status		 st;
	size_t			 i;

	if (d->stream == NULL) {
		if ((d->stream = yajl_alloc(&decode_callbacks, NULL, d)) ==
		    NULL)
			fatalx("%s: yajl_alloc", __func__);
		if (!yajl_config(d->stream, yajl_allow_multiple_values, 1))
			fatalx("%s: yajl_config", __func__);
	}
	d->in_stream = true;
	st = yajl_parse(d->stream, buf, len);
	d->in_stream = false;
	*trail = len;
	if (st == yajl_status_ok && d->top == DECODE_J_OBJECT && d->end > 0) {
		for (i = d->end; i < len; i++)
			if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' &&
			    p[i] != '\r')
				break;
		if (i == len)
			return (true);
		*trail = i;
	}
	yajl_free(d->stream);
	d->stream = NULL;
	return (false);
}

/*
 * Parse with a fresh handle and report its verdict.  Strings are UTF-8
 * checked, and comments, trailing garbage, several values and a partial
 * value are errors: these are yajl's defaults (every yajl_config flag off),
 * which tests/check_decode.c pins one by one, so they are not set for every
 * such parse.  yajl_status_client_canceled comes from decode_open (depth)
 * or from a string that is not strict UTF-8.
 */
static enum decode_reason
decode_parse_alone(struct decoder *d, const void *buf, size_t len)
{
	yajl_handle		 h;
	yajl_status		 st;
	unsigned char		*err;
	size_t			 at, n;
	enum decode_reason	 r;

	if ((h = yajl_alloc(&decode_callbacks, &d->afs, d)) == NULL)
		fatalx("%s: yajl_alloc", __func__);

	st = yajl_parse(h, buf, len);
	at = yajl_get_bytes_consumed(h);
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		at = len;
	}

	r = DECODE_OK;
	if (st == yajl_status_client_canceled && d->bad_utf8) {
		r = decode_reject(d, DECODE_BAD_JSON, "invalid JSON at byte "
		    "%zu: invalid UTF-8 in a string", at);
	} else if (st == yajl_status_client_canceled) {
		if (!d->too_deep)
			fatalx("%s: cancelled but not too deep", __func__);
		r = decode_reject(d, DECODE_TOO_DEEP,
		    "nesting deeper than %d levels at byte %zu",
		    DECODE_MAX_DEPTH, at);
	} else if (st != yajl_status_ok) {
		err = yajl_get_error(h, 0, NULL, 0);
		n = err != NULL ? strlen((char *)err) : 0;
		while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = '\0';
		r = decode_reject(d, DECODE_BAD_JSON, "invalid JSON at byte "
		    "%zu: %s", at, err != NULL ? (char *)err : "?");
		if (err != NULL)
			yajl_free_error(h, err);
	}
	yajl_free(h);
	return (r);
}

/* The structural rules: an object, each known field once, of its type. */
static enum decode_reason
decode_check_fields(struct decoder *d)
{
	const struct decode_field	*f;
	int				 i;

	if (d->top != DECODE_J_OBJECT)
		return (decode_reject(d, DECODE_NOT_OBJECT,
		    "top level is %s, expected an object",
		    decode_jtype_name(d->top)));
	for (i = 0; i < DECODE_F_COUNT; i++) {
		if (d->f[i].count > 1)
			return (decode_reject(d, DECODE_DUPLICATE_FIELD,
			    "field '%s' given %u times", decode_fields[i].name,
			    d->f[i].count));
	}
	for (i = 0; i < DECODE_F_COUNT; i++) {
		if (d->f[i].count == 0)
			return (decode_reject(d, DECODE_MISSING_FIELD,
			    "missing field '%s'", decode_fields[i].name));
	}
	for (i = 0; i < DECODE_F_COUNT; i++) {
		f = &d->f[i];
		if (f->type != decode_fields[i].type)
			return (decode_reject(d, DECODE_WRONG_TYPE,
			    "field '%s' is %s, expected %s",
			    decode_fields[i].name, decode_jtype_name(f->type),
			    decode_jtype_name(decode_fields[i].type)));
	}
	return (DECODE_OK);
}

/*
 * The value rules, in the documented order, filling *t as they go.  All
 * times are compared as milliseconds; the upper bound of the window is
 * now_ms + max_skew_ms, saturated rather than wrapped.
 */
static enum decode_reason
decode_check_values(struct decoder *d, int64_t now_ms, struct tick *t)
{
	const struct decode_field	*sym, *price, *vol, *ts, *tsms, *recv;
	char				 e[DECODE_ECHO_BUF];
	char				 when[ISOTIME_MS_LEN];
	char				 nowbuf[ISOTIME_MS_LEN];
	size_t				 i;
	unsigned char			 c;
	int64_t				 ts_str_ms, hi, skew;
	bool				 overflow;

	sym = &d->f[DECODE_F_SYMBOL];
	price = &d->f[DECODE_F_PRICE];
	vol = &d->f[DECODE_F_VOLUME];
	ts = &d->f[DECODE_F_TIMESTAMP];
	tsms = &d->f[DECODE_F_TIMESTAMP_MS];
	recv = &d->f[DECODE_F_RECEIVED_AT];
	skew = d->limits.max_skew_ms;

	if (sym->len == 0)
		return (decode_reject(d, DECODE_BAD_SYMBOL, "symbol is empty"));
	if (sym->len > TICK_SYMBOL_MAX)
		return (decode_reject(d, DECODE_BAD_SYMBOL,
		    "symbol '%s' is %zu bytes, over %d",
		    decode_echo(e, sym->text, sym->len), sym->len,
		    TICK_SYMBOL_MAX));
	for (i = 0; i < sym->len; i++) {
		c = (unsigned char)sym->text[i];
		if (c < 0x21 || c > 0x7e)
			return (decode_reject(d, DECODE_BAD_SYMBOL,
			    "symbol '%s' has byte 0x%02x at %zu, not printable "
			    "ASCII", decode_echo(e, sym->text, sym->len), c,
			    i));
	}
	memcpy(t->symbol, sym->text, sym->len + 1);
	t->symbol_len = sym->len;

	t->price = decode_double(d, price->text, price->len);
	if (!isfinite(t->price))
		return (decode_reject(d, DECODE_BAD_PRICE,
		    "price %s is not finite",
		    decode_echo(e, price->text, price->len)));
	if (!(t->price > 0))
		return (decode_reject(d, DECODE_BAD_PRICE,
		    "price %s is not > 0",
		    decode_echo(e, price->text, price->len)));

	t->volume = decode_double(d, vol->text, vol->len);
	if (!isfinite(t->volume))
		return (decode_reject(d, DECODE_BAD_VOLUME,
		    "volume %s is not finite",
		    decode_echo(e, vol->text, vol->len)));
	if (t->volume < 0)
		return (decode_reject(d, DECODE_BAD_VOLUME,
		    "volume %s is not >= 0",
		    decode_echo(e, vol->text, vol->len)));
	if (t->volume == 0)
		t->volume = 0;	/* -0 becomes +0 */

	if (isotime_parse_ms(ts->text, ts->len, &ts_str_ms) != 0)
		return (decode_reject(d, DECODE_BAD_TIME,
		    "timestamp '%s' is not ISO-8601 with an offset",
		    decode_echo(e, ts->text, ts->len)));
	if (decode_integer(tsms->text, tsms->len, &t->ts_ms, &overflow) != 0)
		return (decode_reject(d, DECODE_BAD_TIME,
		    "timestamp_ms %s is not an integer",
		    decode_echo(e, tsms->text, tsms->len)));
	if (isotime_parse_ms(recv->text, recv->len, &t->recv_ms) != 0)
		return (decode_reject(d, DECODE_BAD_TIME,
		    "received_at '%s' is not ISO-8601 with an offset",
		    decode_echo(e, recv->text, recv->len)));

	if (__builtin_add_overflow(now_ms, skew, &hi))
		hi = INT64_MAX;
	if (overflow)
		return (decode_reject(d, DECODE_TIME_RANGE,
		    "timestamp_ms %s does not fit in 64 bits",
		    decode_echo(e, tsms->text, tsms->len)));
	if (t->ts_ms < DECODE_MIN_MS)
		return (decode_reject(d, DECODE_TIME_RANGE,
		    "timestamp_ms %s is before 2009-01-01",
		    decode_echo(e, tsms->text, tsms->len)));
	if (t->ts_ms > hi) {
		isotime_format_ms(t->ts_ms, when);
		isotime_format_ms(now_ms, nowbuf);
		return (decode_reject(d, DECODE_TIME_RANGE,
		    "timestamp_ms %s (%s) is more than %" PRId64 " ms after "
		    "now (%s)", decode_echo(e, tsms->text, tsms->len), when,
		    skew, nowbuf));
	}
	if (t->recv_ms < DECODE_MIN_MS)
		return (decode_reject(d, DECODE_TIME_RANGE,
		    "received_at '%s' is before 2009-01-01",
		    decode_echo(e, recv->text, recv->len)));
	if (t->recv_ms > hi) {
		isotime_format_ms(now_ms, nowbuf);
		return (decode_reject(d, DECODE_TIME_RANGE,
		    "received_at '%s' is more than %" PRId64 " ms after now "
		    "(%s)", decode_echo(e, recv->text, recv->len), skew,
		    nowbuf));
	}

	if (ts_str_ms != t->ts_ms)
		return (decode_reject(d, DECODE_TIME_MISMATCH,
		    "timestamp '%s' is %" PRId64 " ms, timestamp_ms is %"
		    PRId64, decode_echo(e, ts->text, ts->len), ts_str_ms,
		    t->ts_ms));

	/* Both lie in the window, so the difference cannot overflow. */
	if (t->ts_ms - t->recv_ms > skew)
		return (decode_reject(d, DECODE_RECEIVED_EARLY,
		    "received_at '%s' is %" PRId64 " ms before timestamp, "
		    "over the %" PRId64 " ms skew",
		    decode_echo(e, recv->text, recv->len),
		    t->ts_ms - t->recv_ms, skew));
	return (DECODE_OK);
}

/* Forget what a parse saw, and take buf as the message. */
static void
decode_start(struct decoder *d, const void *buf, size_t len)
{
	decode_arena_reset(&d->arena);
	d->in_stream = false;
	d->end = 0;
	d->depth = 0;
	d->cur = -1;
	d->too_deep = false;
	d->bad_utf8 = false;
	d->in = buf;
	d->in_len = len;
	d->ascii = decode_is_ascii(buf, len);
	d->top = DECODE_J_NONE;
	memset(d->f, 0, sizeof(d->f));
}

/* Decode and validate one message value. */
enum decode_reason
decode_tick(struct decoder *d, const void *buf, size_t len, int64_t now_ms,
    struct tick *out, char *detail, size_t detail_size)
{
	struct tick		 t;
	enum decode_reason	 r;

	d->detail = detail;
	d->detail_size = detail_size;
	if (detail_size > 0)
		detail[0] = '\0';

	if (buf == NULL || len == 0)
		return (decode_reject(d, DECODE_EMPTY, "%s",
		    buf == NULL ? "null value (tombstone)" : "empty value"));
	if (len > d->limits.max_message_bytes)
		return (decode_reject(d, DECODE_TOO_LARGE,
		    "message is %zu bytes, over the %zu byte limit", len,
		    d->limits.max_message_bytes));

	decode_start(d, buf, len);
	memset(&t, 0, sizeof(t));
	if ((r = decode_parse(d, buf, len)) == DECODE_OK &&
	    (r = decode_check_fields(d)) == DECODE_OK &&
	    (r = decode_check_values(d, now_ms, &t)) == DECODE_OK)
		*out = t;
	return (r);
}
