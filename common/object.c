/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file object.c
 * Payload checksums of cache objects, from the precomputed block sums when
 * the range allows it.
 */
#include <stdbool.h>

#include "cksum.h"
#include "object.h"

/**
 * Add the block sums of @a c covering [first * blksize, ... + len).
 * 64-bit accumulator: a whole-file range of 512-byte blocks would wrap 32.
 */
static uint32_t sum_blocks(const struct obj_csums *c, size_t first, size_t len)
{
	size_t n = len / c->blksize + (len % c->blksize != 0);
	uint64_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc += c->sum[first + i];
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)((acc & 0xffff) + (acc >> 16));
}

/**
 * The block size of @a o whose blocks tile [off, off+len) exactly, largest
 * first (fewest adds); NULL if none does. The one-block case (every TFTP
 * DATA packet) is tried first: it costs compares and one division.
 */
static const struct obj_csums *pick_csums(const struct stp_object *o, size_t off,
					  size_t len, size_t rest)
{
	const struct obj_csums *best = NULL;

	for (unsigned j = 0; j < o->n_csums && j < OBJ_MAX_CSUM_SIZES; j++) {
		const struct obj_csums *c = &o->csums[j];
		bool one_block = len == c->blksize || (len == rest && len < c->blksize);

		if (one_block && c->sum && off % c->blksize == 0)
			return c;
	}
	for (unsigned j = 0; j < o->n_csums && j < OBJ_MAX_CSUM_SIZES; j++) {
		const struct obj_csums *c = &o->csums[j];

		if (!c->blksize || !c->sum || len < c->blksize || off % c->blksize)
			continue;
		if (len % c->blksize && len != rest)
			continue;
		if (!best || c->blksize > best->blksize)
			best = c;
	}
	return best;
}

/*
 * Precomputed sums are used when the range starts on a block boundary and
 * is whole blocks, or whole blocks plus the short last block of the
 * object. Anything else is summed byte by byte.
 *
 * Validity: a block sum (like any cksum_partial() result) treats the
 * block's first byte as a high byte, so it combines with the rest of the
 * packet only when the payload starts at an even offset within the part
 * being summed: TFTP DATA payload follows the 4-byte TFTP header after the
 * 8-byte UDP header, TCP payload follows a header of 4n bytes. A range with
 * an odd length must be the last piece of the sum. Block sizes are even,
 * so every block of an object starts at an even object offset.
 *
 * Out-of-range requests are clamped to the object rather than read past
 * it: [off, off+len) beyond o->len sums only the bytes that exist.
 */
uint32_t obj_sum_range(const struct stp_object *o, size_t off, size_t len)
{
	const struct obj_csums *c;
	size_t rest;

	if (off >= o->len || len == 0)
		return 0;
	rest = o->len - off;
	if (len > rest)
		len = rest;
	c = pick_csums(o, off, len, rest);
	if (c)
		return sum_blocks(c, off / c->blksize, len);
	return cksum_partial(o->data + off, len, 0);
}
