/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file rss.h
 * Receive-side scaling as a NIC computes it: the Toeplitz hash of a
 * packet's IPv4 addresses and ports under a key, then a redirection table
 * (RETA) from the hash's low bits to a queue. stampede programs its NIC
 * with STP_RSS_KEY and the RETA rss_queue() describes, and chooses its
 * TFTP TIDs with them, so a client's frames reach the lcore that owns the
 * session without software steering. stampede-storm uses the same two
 * functions to put each flow on the queue the server would pick (memif
 * has no RSS).
 *
 * The key repeats 0x6d5a: with it the hash is symmetric (swapping source
 * and destination gives the same value), so both directions of a flow
 * hash alike.
 */
#ifndef STP_RSS_H
#define STP_RSS_H

#include <stddef.h>
#include <stdint.h>

#define STP_RSS_KEY_LEN 40
#define STP_RSS_RETA_SIZE 128u   /* entries; entry i holds queue i % nq */

extern const uint8_t stp_rss_key[STP_RSS_KEY_LEN];

/** Toeplitz hash of @a n bytes of @a data under @a key (>= n + 4 bytes). */
uint32_t rss_toeplitz(const uint8_t *key, const uint8_t *data, size_t n);

/**
 * The NIC's hash of an IPv4 TCP or UDP packet (addresses and ports in
 * host order, as the packet carries them: source first) under stp_rss_key.
 */
uint32_t rss_hash_v4(uint32_t src_ip, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port);

/** The queue of @a hash among @a nq through the RETA (entry i = i % nq). */
static inline unsigned rss_queue(uint32_t hash, unsigned nq)
{
	return nq <= 1 ? 0 : (hash % STP_RSS_RETA_SIZE) % nq;
}

/** The queue a packet of this flow (either direction) reaches. */
static inline unsigned rss_flow_queue(uint32_t ip_a, uint32_t ip_b, uint16_t port_a,
				      uint16_t port_b, unsigned nq)
{
	return nq <= 1 ? 0 : rss_queue(rss_hash_v4(ip_a, ip_b, port_a, port_b), nq);
}

#endif
