/* SPDX-License-Identifier: BSD-3-Clause */
#include "cksum.h"

uint32_t cksum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	/* Sum big-endian 16-bit words; a 64-bit accumulator cannot overflow
	 * for any frame we will ever see, so fold only at the end. */
	while (len >= 2) {
		acc += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)((acc & 0xffff) + (acc >> 16));
}
