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

/**
 * Answer an IPv6 Router Solicitation (RFC 4861 sec 6.2.6) with a Router
 * Advertisement that offers no router (lifetime 0), no prefix and neither
 * M nor O: a boot client learns at once that there is no IPv6 to wait for
 * (iPXE otherwise waits ~16 s for one before it goes on). Sent from our
 * EUI-64 link-local address to all nodes.
 * @param frame  the received Ethernet frame (PKT_CLASS_IPV6)
 * @param out    at least ICMP6_RA_LEN bytes
 * @return reply length, 0 when it is not a valid Router Solicitation
 */
size_t icmp6_input(const struct host_id *me, struct span frame, uint8_t *out);

#define ICMP6_RA_LEN (ETH_HDR_LEN + 40 + 16 + 8)

#endif
