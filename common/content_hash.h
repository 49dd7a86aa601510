/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file content_hash.h
 * The 64-bit content hash inside stampede's ETags ("\"<16 hex>-<hex
 * length>\"", objcache.c): multiply-rotate rounds over 8-byte
 * little-endian words, seeded with the length, finished with an
 * avalanche. Not cryptographic; deterministic across runs and hosts, so
 * an ETag stays valid over restarts while the bytes stay the same.
 *
 * Two ways in with identical results: content_hash() over one buffer
 * (the cache, at load), and init/update/final over any split of the bytes
 * (a client verifying a body as TCP delivers it, stampede-storm). The
 * streaming state is small and flat so one can live in every client.
 */
#ifndef STP_CONTENT_HASH_H
#define STP_CONTENT_HASH_H

#include <stddef.h>
#include <stdint.h>

/** Streaming state; all fields private to content_hash.c. */
struct content_hash {
	uint64_t h;        /* running hash over the whole words so far */
	uint64_t part;     /* bytes of the word in progress, little-endian */
	uint64_t n;        /* bytes fed so far */
	uint8_t part_n;    /* bytes in @a part (0..7) */
};

/** Hash of @a len bytes at @a p in one call. */
uint64_t content_hash(const void *p, size_t len);

/**
 * Start a streaming hash of an object of @a total_len bytes. The length
 * seeds the hash, so it must be known up front (from the ETag or the
 * Content-Length); content_hash_final() of a stream whose byte count
 * differs is meaningless (check content_hash_fed()).
 */
void content_hash_init(struct content_hash *st, uint64_t total_len);

/** Feed the next @a n bytes (any split; @a n may be 0). */
void content_hash_update(struct content_hash *st, const void *p, size_t n);

/** Bytes fed since content_hash_init(). */
static inline uint64_t content_hash_fed(const struct content_hash *st)
{
	return st->n;
}

/** The hash of what was fed; @a st is unchanged (may go on being fed). */
uint64_t content_hash_final(const struct content_hash *st);

/** The 64-bit avalanche finaliser of the hash (every input bit moves
 * every output bit), also used to spread other hashes' weak low bits. */
uint64_t content_hash_mix64(uint64_t h);

#endif
