/*
 * ticksink: unit tests for handlers/buf.c, the byte buffer and its RowBinary
 * writers.
 *
 * Expected bytes are written out by hand: the whole point of these writers is
 * the exact wire layout ClickHouse reads, so the tests must not derive it
 * from the code under test.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "check_run.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#define MAXB		16

/* A value and the bytes a writer must produce for it. */
struct enc_case {
	uint64_t	v;
	size_t		len;
	uint8_t		bytes[MAXB];
};

/* A double and its little-endian IEEE-754 bytes. */
struct dbl_case {
	double		d;
	uint8_t		bytes[8];
};

static struct buf	b;

/* Per-test buffer, in the forked child. */
static void
setup(void)
{
	buf_init(&b);
}

/* Release the buffer. */
static void
teardown(void)
{
	buf_clear(&b);
}

static const struct enc_case varints[] = {
	{ 0, 1, { 0x00 } },
	{ 1, 1, { 0x01 } },
	{ 127, 1, { 0x7f } },
	{ 128, 2, { 0x80, 0x01 } },
	{ 300, 2, { 0xac, 0x02 } },
	{ 16383, 2, { 0xff, 0x7f } },
	{ 16384, 3, { 0x80, 0x80, 0x01 } },
	{ UINT64_C(1) << 32, 5, { 0x80, 0x80, 0x80, 0x80, 0x10 } },
	{ UINT64_MAX, 10, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0x01 } },
};

static const struct enc_case le32s[] = {
	{ 0, 4, { 0, 0, 0, 0 } },
	{ 0x12345678, 4, { 0x78, 0x56, 0x34, 0x12 } },
	{ 0x68c42815, 4, { 0x15, 0x28, 0xc4, 0x68 } },	/* 2025-09-12 */
	{ UINT32_MAX, 4, { 0xff, 0xff, 0xff, 0xff } },
};

static const struct enc_case le64s[] = {
	{ 0, 8, { 0, 0, 0, 0, 0, 0, 0, 0 } },
	{ UINT64_C(0x0102030405060708), 8,
	    { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 } },
	{ UINT64_C(1757685781123), 8,
	    { 0x83, 0x92, 0x3c, 0x3e, 0x99, 0x01, 0x00, 0x00 } },
	{ UINT64_MAX, 8, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
};

static const struct dbl_case doubles[] = {
	{ 0.0, { 0, 0, 0, 0, 0, 0, 0, 0 } },
	{ -0.0, { 0, 0, 0, 0, 0, 0, 0, 0x80 } },
	{ 1.0, { 0, 0, 0, 0, 0, 0, 0xf0, 0x3f } },
	{ -2.5, { 0, 0, 0, 0, 0, 0, 0x04, 0xc0 } },
	{ 4512.31, { 0xc3, 0xf5, 0x28, 0x5c, 0x4f, 0xa0, 0xb1, 0x40 } },
	{ 0.0153, { 0x4b, 0xc8, 0x07, 0x3d, 0x9b, 0x55, 0x8f, 0x3f } },
	{ 1e-8, { 0x3a, 0x8c, 0x30, 0xe2, 0x8e, 0x79, 0x45, 0x3e } },
};

/* A varint is the exact LEB128 bytes. */
START_TEST(test_buf_varint_bytes)
{
	const struct enc_case	*c = &varints[_i];

	buf_add_varint(&b, c->v);
	ck_assert_uint_eq(b.len, c->len);
	ck_assert_mem_eq(b.data, c->bytes, c->len);
}
END_TEST

/* A 32-bit value is four little-endian bytes. */
START_TEST(test_buf_le32_bytes)
{
	const struct enc_case	*c = &le32s[_i];

	buf_add_le32(&b, (uint32_t)c->v);
	ck_assert_uint_eq(b.len, c->len);
	ck_assert_mem_eq(b.data, c->bytes, c->len);
}
END_TEST

/* A 64-bit value is eight little-endian bytes. */
START_TEST(test_buf_le64_bytes)
{
	const struct enc_case	*c = &le64s[_i];

	buf_add_le64(&b, c->v);
	ck_assert_uint_eq(b.len, c->len);
	ck_assert_mem_eq(b.data, c->bytes, c->len);
}
END_TEST

/* A double is its IEEE-754 bits, little-endian. */
START_TEST(test_buf_double_bytes)
{
	const struct dbl_case	*c = &doubles[_i];

	buf_add_double(&b, c->d);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_mem_eq(b.data, c->bytes, 8);
}
END_TEST

/* Writers append after what is there; nothing is overwritten. */
START_TEST(test_buf_writers_append)
{
	static const uint8_t	want[] = { 0xaa, 0x2a, 0x00, 0x00, 0x00,
	    0xac, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0, 'h', 'i' };

	buf_add_u8(&b, 0xaa);
	buf_add_le32(&b, 42);
	buf_add_varint(&b, 300);
	buf_add_le64(&b, 1);
	buf_add_str(&b, "hi");
	ck_assert_uint_eq(b.len, sizeof want);
	ck_assert_mem_eq(b.data, want, sizeof want);
}
END_TEST

/* buf_add_bytes is the varint length followed by the bytes. */
START_TEST(test_buf_add_bytes_is_varint_and_bytes)
{
	uint8_t	 big[300];
	size_t	 i;

	buf_add_bytes(&b, "abc", 3);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_mem_eq(b.data, "\x03" "abc", 4);

	buf_reset(&b);
	buf_add_bytes(&b, NULL, 0);
	ck_assert_uint_eq(b.len, 1);
	ck_assert_uint_eq(b.data[0], 0);

	for (i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)i;
	buf_reset(&b);
	buf_add_bytes(&b, big, sizeof big);
	ck_assert_uint_eq(b.len, 2 + sizeof big);
	ck_assert_uint_eq(b.data[0], 0xac);
	ck_assert_uint_eq(b.data[1], 0x02);
	ck_assert_mem_eq(b.data + 2, big, sizeof big);
}
END_TEST

/* Many appends of varied sizes grow the buffer and keep every byte. */
START_TEST(test_buf_growth_keeps_content)
{
	uint8_t	 chunk[1000];
	size_t	 i, n, total = 0, step;

	for (i = 0; i < sizeof chunk; i++)
		chunk[i] = (uint8_t)(i * 7 + 3);
	for (step = 0; total < 200000; step++) {
		n = (step * 37) % sizeof chunk;
		buf_add(&b, chunk, n);
		total += n;
		buf_add_u8(&b, (uint8_t)step);
		total++;
	}
	ck_assert_uint_eq(b.len, total);
	ck_assert_uint_ge(b.cap, b.len);

	total = 0;
	for (step = 0; total < b.len; step++) {
		n = (step * 37) % sizeof chunk;
		ck_assert_mem_eq(b.data + total, chunk, n);
		total += n;
		ck_assert_uint_eq(b.data[total], (uint8_t)step);
		total++;
	}
	ck_assert_uint_eq(total, b.len);
}
END_TEST

/* buf_reserve makes room without changing the contents. */
START_TEST(test_buf_reserve_keeps_content)
{
	buf_add_str(&b, "tick");
	buf_reserve(&b, 100000);
	ck_assert_uint_ge(b.cap, 100004);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_mem_eq(b.data, "tick", 4);
}
END_TEST

/* Adding nothing to an empty buffer allocates nothing. */
START_TEST(test_buf_empty_add_allocates_nothing)
{
	buf_add(&b, NULL, 0);
	buf_add_str(&b, "");
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	ck_assert_ptr_null(b.data);
}
END_TEST

/* buf_reset empties but keeps the allocation; buf_clear releases it. */
START_TEST(test_buf_reset_and_clear)
{
	uint8_t	*p;
	size_t	 cap;

	buf_add_str(&b, "0123456789");
	p = b.data;
	cap = b.cap;
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_eq(b.data, p);
	ck_assert_uint_eq(b.cap, cap);
	buf_add_str(&b, "ab");
	ck_assert_mem_eq(b.data, "ab", 2);
	ck_assert_ptr_eq(b.data, p);

	buf_clear(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

/* Builds the suite: exact encodings, then growth and lifetime. */
static Suite *
buf_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("buf");

	tc = tcase_create("encode");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_buf_varint_bytes, 0, nitems(varints));
	tcase_add_loop_test(tc, test_buf_le32_bytes, 0, nitems(le32s));
	tcase_add_loop_test(tc, test_buf_le64_bytes, 0, nitems(le64s));
	tcase_add_loop_test(tc, test_buf_double_bytes, 0, nitems(doubles));
	tcase_add_test(tc, test_buf_writers_append);
	tcase_add_test(tc, test_buf_add_bytes_is_varint_and_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_buf_growth_keeps_content);
	tcase_add_test(tc, test_buf_reserve_keeps_content);
	tcase_add_test(tc, test_buf_empty_add_allocates_nothing);
	tcase_add_test(tc, test_buf_reset_and_clear);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	return (check_run(buf_suite()));
}
