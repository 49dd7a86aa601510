/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file cksum.h
 * Internet checksum (RFC 1071) over byte buffers. The 32-bit partial sum
 * lets callers add pieces (pseudo header, header, precomputed payload
 * blocks) and fold once.
 */
#ifndef STP_CKSUM_H
#define STP_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/** Add @a len bytes at @a p to the running sum @a sum (big-endian words). */
uint32_t cksum_partial(const void *p, size_t len, uint32_t sum);

/** Fold a running sum to 16 bits and complement it. */
static inline uint16_t cksum_finish(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * Fold a running sum to 16 bits, not complemented: what a NIC's checksum
 * offload wants in the L4 checksum field (the pseudo header's sum).
 */
static inline uint16_t cksum_fold(uint32_t sum)
{
	return (uint16_t)~cksum_finish(sum);
}

/** Pseudo header sum for UDP/TCP over IPv4 (host-order addresses). */
static inline uint32_t cksum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto,
				     uint16_t l4_len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	       proto + l4_len;
}

#endif
