/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file pkt.h
 * Ethernet / ARP / IPv4 / UDP / ICMP parsing and building over byte
 * buffers. The classifier in the dataplane is a thin loop around
 * pkt_parse(); every handler builds its frame with these helpers.
 */
#ifndef STP_PKT_H
#define STP_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipv4_addr.h"
#include "span.h"

#define ETH_HDR_LEN 14
#define IPV4_HDR_LEN 20
#define UDP_HDR_LEN 8
#define ARP_PKT_LEN 28
#define UDP4_HDRS_LEN (ETH_HDR_LEN + IPV4_HDR_LEN + UDP_HDR_LEN)
#define ETH_MIN_FRAME 60 /* without FCS */

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

/* Why a frame was not handed to a protocol: X(name, help). */
#define PKT_DROPS(X)                                                    \
	X(runt, "shorter than its headers")                             \
	X(ethertype, "not IPv4 or ARP")                                 \
	X(ip_version, "IPv4 version/IHL invalid")                       \
	X(ip_len, "IPv4 total length invalid")                          \
	X(ip_csum, "IPv4 header checksum wrong")                        \
	X(ip_fragment, "IPv4 fragment")                                 \
	X(ip_options, "IPv4 options present")                           \
	X(udp_len, "UDP length invalid")                                \
	X(udp_csum, "UDP checksum wrong")                               \
	X(not_for_us, "addressed to another host")                      \
	X(arp_bad, "malformed ARP")                                     \
	X(icmp_bad, "malformed ICMP or not an echo request")            \
	X(no_handler, "no service on that port or protocol")

enum pkt_drop {
	PKT_DROP_NONE = 0,
#define X(name, help) PKT_DROP_##name,
	PKT_DROPS(X)
#undef X
	PKT_DROP_COUNT
};

extern const char *const pkt_drop_names[PKT_DROP_COUNT];

enum pkt_class {
	PKT_CLASS_DROP = 0,
	PKT_CLASS_ARP,
	PKT_CLASS_ICMP,
	PKT_CLASS_UDP,
	PKT_CLASS_TCP,
	PKT_CLASS_IPV6,
};

/** What pkt_parse() learnt; spans point into the frame. */
struct pkt_info {
	struct mac_addr dst_mac, src_mac;
	uint16_t ethertype;
	uint32_t src_ip, dst_ip; /* host order */
	uint8_t proto, ttl;
	uint16_t src_port, dst_port;
	struct span l3;          /* IPv4 header + payload, or the ARP body */
	struct span l4;          /* L4 header + payload */
	struct span payload;     /* L4 payload (UDP) */
	enum pkt_drop drop;      /* reason, when PKT_CLASS_DROP */
};

/**
 * Classify an Ethernet frame and validate its headers (lengths, IPv4 header
 * checksum, UDP checksum when present). Addressing is not judged here.
 * Trailing Ethernet padding beyond the IPv4 total length is ignored.
 */
enum pkt_class pkt_parse(struct span frame, struct pkt_info *pi);

/**
 * Write Ethernet + IPv4 + UDP headers into the first UDP4_HDRS_LEN bytes of
 * @a frame, for @a payload_len bytes already at frame + UDP4_HDRS_LEN.
 * Computes the IPv4 header checksum and the UDP checksum.
 * @return the frame length.
 */
size_t pkt_build_udp4(uint8_t *frame, const struct mac_addr *src_mac,
		      const struct mac_addr *dst_mac, uint32_t src_ip,
		      uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
		      size_t payload_len);

/**
 * Like pkt_build_udp4(), for a payload whose ones'-complement sum the
 * caller already has (@a payload_sum, as cksum_partial() returns): only the
 * headers are summed here. The payload need not be in @a frame at all
 * (a chained segment); @return the length of the headers written.
 */
size_t pkt_put_udp4_hdrs(uint8_t *frame, const struct mac_addr *src_mac,
			 const struct mac_addr *dst_mac, uint32_t src_ip,
			 uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
			 size_t payload_len, uint32_t payload_sum);

/** Write an Ethernet header. */
void pkt_put_eth(uint8_t *frame, const struct mac_addr *dst,
		 const struct mac_addr *src, uint16_t ethertype);

/** Write a 20-byte IPv4 header with its checksum (DF set, TTL 64). */
void pkt_put_ipv4(uint8_t *ip, uint32_t src, uint32_t dst, uint8_t proto,
		  uint16_t payload_len, uint16_t id);

extern const struct mac_addr mac_broadcast;

static inline bool mac_is_broadcast(const struct mac_addr *m)
{
	return (m->b[0] & m->b[1] & m->b[2] & m->b[3] & m->b[4] & m->b[5]) == 0xff;
}

static inline bool mac_is_multicast(const struct mac_addr *m)
{
	return m->b[0] & 1;
}

static inline bool mac_eq(const struct mac_addr *a, const struct mac_addr *b)
{
	return memcmp(a->b, b->b, STP_MAC_LEN) == 0;
}

#endif
