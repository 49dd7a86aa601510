/* SPDX-License-Identifier: BSD-3-Clause */
#include "arp_icmp.h"

#include <string.h>

#include "bytes.h"
#include "cksum.h"

#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

static size_t arp_build(const struct host_id *me, uint16_t op,
			const struct mac_addr *eth_dst,
			const struct mac_addr *tha, uint32_t tpa, uint8_t *out)
{
	uint8_t *a = out + ETH_HDR_LEN;

	pkt_put_eth(out, eth_dst, &me->mac, ETHERTYPE_ARP);
	put_be16(a, ARP_HTYPE_ETHER);
	put_be16(a + 2, ETHERTYPE_IPV4);
	a[4] = STP_MAC_LEN;
	a[5] = 4;
	put_be16(a + 6, op);
	memcpy(a + 8, me->mac.b, STP_MAC_LEN);
	put_be32(a + 14, me->ip);
	memcpy(a + 18, tha->b, STP_MAC_LEN);
	put_be32(a + 24, tpa);
	/* Pad to the Ethernet minimum; drivers need not do it for us. */
	memset(out + ETH_HDR_LEN + ARP_PKT_LEN, 0,
	       ETH_MIN_FRAME - ETH_HDR_LEN - ARP_PKT_LEN);
	return ETH_MIN_FRAME;
}

size_t arp_input(const struct host_id *me, const struct pkt_info *pi,
		 struct neigh_table *nt, uint64_t now, uint8_t *out,
		 enum pkt_drop *why)
{
	const uint8_t *a = pi->l3.p;
	struct mac_addr sha;
	uint32_t spa, tpa;

	*why = PKT_DROP_NONE;
	if (get_be16(a) != ARP_HTYPE_ETHER || get_be16(a + 2) != ETHERTYPE_IPV4 ||
	    a[4] != STP_MAC_LEN || a[5] != 4) {
		*why = PKT_DROP_arp_bad;
		return 0;
	}
	memcpy(sha.b, a + 8, STP_MAC_LEN);
	spa = get_be32(a + 14);
	tpa = get_be32(a + 24);
	if (mac_is_multicast(&sha)) {
		*why = PKT_DROP_arp_bad;
		return 0;
	}
	/* RFC 826: merge the sender first, so a request teaches us the asker. */
	if (spa != 0)
		neigh_learn(nt, spa, &sha, now);
	if (tpa != me->ip) {
		*why = PKT_DROP_not_for_us;
		return 0;
	}
	if (get_be16(a + 6) != ARP_OP_REQUEST)
		return 0;
	return arp_build(me, ARP_OP_REPLY, &pi->src_mac, &sha, spa, out);
}

size_t arp_build_announce(const struct host_id *me, uint8_t *out)
{
	static const struct mac_addr zero;

	return arp_build(me, ARP_OP_REQUEST, &mac_broadcast, &zero, me->ip, out);
}

size_t icmp_input(const struct host_id *me, const struct pkt_info *pi,
		  uint8_t *out, size_t cap, enum pkt_drop *why)
{
	const uint8_t *icmp = pi->l4.p;
	size_t len = pi->l4.len;
	uint8_t *r;

	*why = PKT_DROP_NONE;
	if (pi->dst_ip != me->ip) {
		*why = PKT_DROP_not_for_us;
		return 0;
	}
	if (len < 8 || icmp[0] != ICMP_ECHO_REQUEST || icmp[1] != 0 ||
	    cksum_finish(cksum_partial(icmp, len, 0)) != 0 ||
	    ETH_HDR_LEN + IPV4_HDR_LEN + len > cap) {
		*why = PKT_DROP_icmp_bad;
		return 0;
	}
	pkt_put_eth(out, &pi->src_mac, &me->mac, ETHERTYPE_IPV4);
	pkt_put_ipv4(out + ETH_HDR_LEN, me->ip, pi->src_ip, IPPROTO_ICMP_,
		     (uint16_t)len, 0);
	r = out + ETH_HDR_LEN + IPV4_HDR_LEN;
	memcpy(r, icmp, len);
	r[0] = ICMP_ECHO_REPLY;
	put_be16(r + 2, 0);
	put_be16(r + 2, cksum_finish(cksum_partial(r, len, 0)));
	len += ETH_HDR_LEN + IPV4_HDR_LEN;
	if (len < ETH_MIN_FRAME) {
		memset(out + len, 0, ETH_MIN_FRAME - len);
		len = ETH_MIN_FRAME;
	}
	return len;
}
