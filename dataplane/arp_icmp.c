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

#define IPV6_HDR_LEN 40
#define IPPROTO_ICMPV6_ 58
#define ICMP6_RS 133
#define ICMP6_RA 134

/* RFC 4291 sec 2.5.6 / appendix A: fe80::/64 + EUI-64 of the MAC. */
static void link_local(const struct mac_addr *m, uint8_t *a)
{
	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[8] = m->b[0] ^ 0x02;
	a[9] = m->b[1];
	a[10] = m->b[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = m->b[3];
	a[14] = m->b[4];
	a[15] = m->b[5];
}

static uint32_t pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t len)
{
	uint8_t tail[8] = { 0 };

	put_be32(tail, len);
	tail[7] = IPPROTO_ICMPV6_;
	return cksum_partial(tail, 8, cksum_partial(dst, 16, cksum_partial(src, 16, 0)));
}

size_t icmp6_input(const struct host_id *me, struct span frame, uint8_t *out)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const struct mac_addr all_nodes_mac = { { 0x33, 0x33, 0, 0, 0, 1 } };
	const uint8_t *ip = frame.p + ETH_HDR_LEN, *icmp = ip + IPV6_HDR_LEN;
	uint8_t *oip = out + ETH_HDR_LEN, *ra = oip + IPV6_HDR_LEN;
	uint16_t plen;

	if (frame.len < ETH_HDR_LEN + IPV6_HDR_LEN + 8 || (ip[0] >> 4) != 6)
		return 0;
	plen = get_be16(ip + 4);
	/* RFC 4861 sec 6.1.1: hop limit 255, code 0, valid checksum. */
	if (ip[6] != IPPROTO_ICMPV6_ || ip[7] != 255 || plen < 8 ||
	    plen > frame.len - ETH_HDR_LEN - IPV6_HDR_LEN || icmp[0] != ICMP6_RS || icmp[1] != 0 ||
	    cksum_finish(cksum_partial(icmp, plen, pseudo6(ip + 8, ip + 24, plen))) != 0)
		return 0;
	pkt_put_eth(out, &all_nodes_mac, &me->mac, ETHERTYPE_IPV6);
	memset(oip, 0, IPV6_HDR_LEN);
	oip[0] = 0x60;
	put_be16(oip + 4, 16 + 8);
	oip[6] = IPPROTO_ICMPV6_;
	oip[7] = 255;
	link_local(&me->mac, oip + 8);
	memcpy(oip + 24, all_nodes, 16);
	memset(ra, 0, 16 + 8);
	ra[0] = ICMP6_RA;
	/* hop limit, M/O flags, router lifetime, reachable, retrans: all 0 */
	ra[16] = 1; /* source link-layer address option, 8 bytes */
	ra[17] = 1;
	memcpy(ra + 18, me->mac.b, STP_MAC_LEN);
	put_be16(ra + 2, cksum_finish(cksum_partial(ra, 24, pseudo6(oip + 8, oip + 24, 24))));
	return ICMP6_RA_LEN;
}
