/* SPDX-License-Identifier: BSD-3-Clause */
/* netascii conversion: exact vectors, CR/LF pairs split at every block
 * boundary, random access by position, converted size. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tftp_netascii.h"

/* The obvious converter, as the reference the clever one must match. */
static size_t reference(const uint8_t *src, size_t len, uint8_t *dst)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (src[i] == '\n') {
			dst[n++] = '\r';
			dst[n++] = '\n';
		} else if (src[i] == '\r') {
			dst[n++] = '\r';
			dst[n++] = 0;
		} else {
			dst[n++] = src[i];
		}
	}
	return n;
}

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static const struct {
	const uint8_t *in;
	size_t in_len;
	const uint8_t *out;
	size_t out_len;
} vecs[] = {
	{ S(""), S("") },
	{ S("a"), S("a") },
	{ S("\n"), S("\r\n") },
	{ S("\r"), S("\r\0") },
	{ S("\r\n"), S("\r\0\r\n") },          /* DOS text is converted too, like tftp-hpa */
	{ S("a\nb\rc"), S("a\r\nb\r\0c") },
	{ S("\n\n\r\r"), S("\r\n\r\n\r\0\r\0") },
	{ S("\0x\t"), S("\0x\t") },             /* NUL and other bytes pass unchanged */
	{ S("#!ipxe\ndhcp\nchain http://x/y\n"), S("#!ipxe\r\ndhcp\r\nchain http://x/y\r\n") },
};

static void test_vectors(void **state)
{
	uint8_t buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		struct tftp_na_pos pos = { 0, 0 };
		size_t n;

		assert_int_equal(tftp_netascii_size(vecs[i].in, vecs[i].in_len), vecs[i].out_len);
		n = tftp_netascii_encode(vecs[i].in, vecs[i].in_len, &pos, buf, sizeof(buf));
		assert_int_equal(n, vecs[i].out_len);
		assert_memory_equal(buf, vecs[i].out, n);
		assert_int_equal(pos.src, vecs[i].in_len);
		assert_int_equal(pos.half, 0);
	}
}

/* Feed the conversion out in blocks of every size from 1 up, as DATA
 * blocks do: pairs split across blocks must come out whole. */
static void check_blocks(const uint8_t *src, size_t len, size_t max_bs)
{
	size_t full_len;
	uint8_t *full = malloc(2 * len + 1), *got = malloc(2 * len + 64);

	assert_non_null(full);
	assert_non_null(got);
	full_len = reference(src, len, full);
	assert_int_equal(tftp_netascii_size(src, len), full_len);
	for (size_t bs = 1; bs <= max_bs; bs++) {
		struct tftp_na_pos pos = { 0, 0 };
		size_t n = 0, k;

		do {
			k = tftp_netascii_encode(src, len, &pos, got + n, bs);
			n += k;
		} while (k == bs && n <= full_len);
		assert_int_equal(n, full_len);
		assert_memory_equal(got, full, full_len);
	}
	free(full);
	free(got);
}

static void test_block_boundaries(void **state)
{
	static const uint8_t text[] = "\r\n\n\rab\r\r\n\nxy\n\r\0\r";

	(void)state;
	check_blocks(text, sizeof(text) - 1, sizeof(text) * 2 + 2);
}

/* Block k produced from a position skipped to, without the bytes before. */
static void test_skip_random_access(void **state)
{
	uint8_t src[4096], *full = malloc(2 * sizeof(src)), blk[600];
	uint32_t x = 12345;
	size_t full_len;

	(void)state;
	assert_non_null(full);
	for (size_t i = 0; i < sizeof(src); i++) {
		x = x * 1103515245u + 12345u;
		/* a third of the bytes are CR or LF: many pairs on boundaries */
		src[i] = (x >> 16) % 3 == 0 ? ((x >> 20) & 1 ? '\r' : '\n') : (uint8_t)('a' + (x >> 24) % 26);
	}
	full_len = reference(src, sizeof(src), full);
	check_blocks(src, 300, 40);
	for (size_t bs = 8; bs <= 512; bs = bs * 2 + 1) {
		for (size_t k = 0; k * bs <= full_len; k++) {
			struct tftp_na_pos pos = { 0, 0 };
			uint64_t skipped = tftp_netascii_skip(src, sizeof(src), &pos, k * bs);
			size_t want = full_len - k * bs < bs ? full_len - k * bs : bs;
			size_t n;

			assert_int_equal(skipped, k * bs);
			n = tftp_netascii_encode(src, sizeof(src), &pos, blk, bs);
			assert_int_equal(n, want);
			assert_memory_equal(blk, full + k * bs, n);
		}
	}
	free(full);
}

/* Skipping in steps gives the same position as skipping at once, and
 * skipping past the end stops at the end. */
static void test_skip_steps(void **state)
{
	static const uint8_t text[] = "ab\r\ncd\n\n\re";
	const size_t len = sizeof(text) - 1;
	const uint64_t total = tftp_netascii_size(text, len);

	(void)state;
	for (uint64_t a = 0; a <= total; a++) {
		struct tftp_na_pos p1 = { 0, 0 }, p2 = { 0, 0 };

		assert_int_equal(tftp_netascii_skip(text, len, &p1, a), a);
		assert_int_equal(tftp_netascii_skip(text, len, &p1, total - a), total - a);
		assert_int_equal(tftp_netascii_skip(text, len, &p2, total), total);
		assert_int_equal(p1.src, p2.src);
		assert_int_equal(p1.half, p2.half);
		assert_int_equal(p1.src, len);
		assert_int_equal(tftp_netascii_skip(text, len, &p1, 10), 0);
	}
}

static void test_edges(void **state)
{
	struct tftp_na_pos pos = { 0, 1 };
	uint8_t b[4] = { 0xee, 0xee, 0xee, 0xee };

	(void)state;
	/* cap 0 writes nothing, even mid-pair */
	assert_int_equal(tftp_netascii_encode((const uint8_t *)"\n", 1, &pos, b, 0), 0);
	assert_int_equal(pos.half, 1);
	assert_int_equal(tftp_netascii_encode((const uint8_t *)"\n", 1, &pos, b, 4), 1);
	assert_int_equal(b[0], '\n');
	assert_int_equal(pos.src, 1);
	/* empty source */
	pos = (struct tftp_na_pos){ 0, 0 };
	assert_int_equal(tftp_netascii_encode(b, 0, &pos, b, 4), 0);
	assert_int_equal(tftp_netascii_skip(b, 0, &pos, 4), 0);
	assert_int_equal(tftp_netascii_size(b, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_block_boundaries),
		cmocka_unit_test(test_skip_random_access),
		cmocka_unit_test(test_skip_steps),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
