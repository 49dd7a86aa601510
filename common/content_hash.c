/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file content_hash.c
 * The ETag content hash, one-shot and streaming (see content_hash.h).
 * Both run the same round over the same words; the streaming form only
 * carries an unfinished word across calls.
 */
#include "content_hash.h"

#include "bytes.h"

#define K1 0x9e3779b185ebca87ull
#define K2 0xc2b2ae3d27d4eb4full
#define K3 0x165667b19e3779f9ull

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
	return x << r | x >> (64 - r);
}

uint64_t content_hash_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* Byte by byte so the result does not depend on the host's byte order;
 * compilers turn it into one load on little-endian machines. */
static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned k = 0; k < 8; k++)
		v |= (uint64_t)p[k] << (8 * k);
	return v;
}

static inline uint64_t seed(uint64_t len)
{
	return K3 ^ len * K1;
}

static inline uint64_t round64(uint64_t h, uint64_t w)
{
	return rotl64(h ^ rotl64(w * K2, 31) * K1, 27) * K1 + K3;
}

/* The tail (0..7 bytes, zero-padded) is always mixed in, even when empty,
 * exactly as the cache has always computed it. */
static inline uint64_t finish(uint64_t h, uint64_t tail)
{
	return content_hash_mix64(h ^ rotl64(tail * K2, 31) * K1);
}

uint64_t content_hash(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t h = seed(len);
	uint64_t tail = 0;
	size_t i = 0;

	for (; len - i >= 8; i += 8)
		h = round64(h, load_le64(p + i));
	for (unsigned k = 0; i + k < len; k++)
		tail |= (uint64_t)p[i + k] << (8 * k);
	return finish(h, tail);
}

void content_hash_init(struct content_hash *st, uint64_t total_len)
{
	st->h = seed(total_len);
	st->part = 0;
	st->n = 0;
	st->part_n = 0;
}

void content_hash_update(struct content_hash *st, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint64_t h = st->h;
	size_t i = 0;

	st->n += n;
	/* Complete the word an earlier call left unfinished. */
	if (st->part_n != 0) {
		size_t head = STP_MIN(n, (size_t)(8u - st->part_n));

		for (; i < head; i++)
			st->part |= (uint64_t)p[i] << (8 * st->part_n++);
		if (st->part_n == 8) {
			h = round64(h, st->part);
			st->part = 0;
			st->part_n = 0;
		}
	}
	for (; i + 8 <= n; i += 8)
		h = round64(h, load_le64(p + i));
	for (; i < n; i++)
		st->part |= (uint64_t)p[i] << (8 * st->part_n++);
	st->h = h;
}

uint64_t content_hash_final(const struct content_hash *st)
{
	return finish(st->h, st->part);
}
