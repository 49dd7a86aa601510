/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file arp_icmp.h
 * The host duties of the dataplane: ARP (RFC 826) for the server address
 * and ICMP echo (RFC 792). Pure: frames in, frames out, no DPDK.
 */
#ifndef STP_ARP_ICMP_H
#define STP_ARP_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "neigh.h"
#include "pkt.h"

/** Who we are on the segment. */
struct host_id {
	struct mac_addr mac;
	uint32_t ip;
};

/**
 * Handle an ARP frame classified by pkt_parse(). Learns the sender when it
 * is a valid Ethernet/IPv4 ARP; answers requests for our address.
 * @param out   frame buffer of at least ETH_MIN_FRAME bytes
 * @return reply length, 0 for no reply (*why says if it was a drop)
 */
size_t arp_input(const struct host_id *me, const struct pkt_info *pi,
		 struct neigh_table *nt, uint64_t now, uint8_t *out,
		 enum pkt_drop *why);

/** A gratuitous ARP request announcing our address (RFC 5227 sec 3). */
size_t arp_build_announce(const struct host_id *me, uint8_t *out);

/**
 * Answer an ICMP echo request to our address with the same identifier,
 * sequence and data. @return reply length, 0 for no reply (*why set when
 * it was malformed or not an echo request).
 */
size_t icmp_input(const struct host_id *me, const struct pkt_info *pi,
		  uint8_t *out, size_t cap, enum pkt_drop *why);

#endif
