/* SPDX-License-Identifier: BSD-3-Clause */
#include "pkt.h"

#include <string.h>

#include "bytes.h"
#include "cksum.h"

const struct mac_addr mac_broadcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

const char *const pkt_drop_names[PKT_DROP_COUNT] = {
	[PKT_DROP_NONE] = "none",
#define X(name, help) [PKT_DROP_##name] = #name,
	PKT_DROPS(X)
#undef X
};

static enum pkt_class drop(struct pkt_info *pi, enum pkt_drop why)
{
	pi->drop = why;
	return PKT_CLASS_DROP;
}

static enum pkt_class parse_udp(struct pkt_info *pi)
{
	const uint8_t *u = pi->l4.p;
	uint16_t ulen;
	uint16_t wire_sum;

	if (pi->l4.len < UDP_HDR_LEN)
		return drop(pi, PKT_DROP_udp_len);
	ulen = get_be16(u + 4);
	if (ulen < UDP_HDR_LEN || ulen > pi->l4.len)
		return drop(pi, PKT_DROP_udp_len);
	pi->l4.len = ulen;
	pi->src_port = get_be16(u);
	pi->dst_port = get_be16(u + 2);
	wire_sum = get_be16(u + 6);
	/* RFC 768: a zero checksum means the sender did not compute one. */
	if (wire_sum != 0) {
		uint32_t sum = cksum_pseudo4(pi->src_ip, pi->dst_ip, IPPROTO_UDP_, ulen);

		if (cksum_finish(cksum_partial(u, ulen, sum)) != 0)
			return drop(pi, PKT_DROP_udp_csum);
	}
	pi->payload = span_make(u + UDP_HDR_LEN, ulen - UDP_HDR_LEN);
	return PKT_CLASS_UDP;
}

static enum pkt_class parse_ipv4(struct pkt_info *pi)
{
	const uint8_t *ip = pi->l3.p;
	size_t ihl;
	uint16_t total, frag;

	if (pi->l3.len < IPV4_HDR_LEN)
		return drop(pi, PKT_DROP_runt);
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < IPV4_HDR_LEN)
		return drop(pi, PKT_DROP_ip_version);
	total = get_be16(ip + 2);
	if (total < ihl || total > pi->l3.len)
		return drop(pi, PKT_DROP_ip_len);
	if (cksum_finish(cksum_partial(ip, ihl, 0)) != 0)
		return drop(pi, PKT_DROP_ip_csum);
	frag = get_be16(ip + 6);
	/* More-fragments set or a non-zero offset: we never reassemble. */
	if (frag & 0x3fff)
		return drop(pi, PKT_DROP_ip_fragment);
	pi->l3.len = total;
	pi->ttl = ip[8];
	pi->proto = ip[9];
	pi->src_ip = get_be32(ip + 12);
	pi->dst_ip = get_be32(ip + 16);
	pi->l4 = span_make(ip + ihl, total - ihl);
	switch (pi->proto) {
	case IPPROTO_UDP_:
		return parse_udp(pi);
	case IPPROTO_TCP_:
		return PKT_CLASS_TCP;
	case IPPROTO_ICMP_:
		return PKT_CLASS_ICMP;
	default:
		return drop(pi, PKT_DROP_no_handler);
	}
}

enum pkt_class pkt_parse(struct span frame, struct pkt_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	if (frame.len < ETH_HDR_LEN)
		return drop(pi, PKT_DROP_runt);
	memcpy(pi->dst_mac.b, frame.p, STP_MAC_LEN);
	memcpy(pi->src_mac.b, frame.p + 6, STP_MAC_LEN);
	pi->ethertype = get_be16(frame.p + 12);
	pi->l3 = span_make(frame.p + ETH_HDR_LEN, frame.len - ETH_HDR_LEN);
	switch (pi->ethertype) {
	case ETHERTYPE_IPV4:
		return parse_ipv4(pi);
	case ETHERTYPE_ARP:
		if (pi->l3.len < ARP_PKT_LEN)
			return drop(pi, PKT_DROP_arp_bad);
		pi->l3.len = ARP_PKT_LEN;
		return PKT_CLASS_ARP;
	case ETHERTYPE_IPV6:
		return PKT_CLASS_IPV6;
	default:
		return drop(pi, PKT_DROP_ethertype);
	}
}

void pkt_put_eth(uint8_t *frame, const struct mac_addr *dst,
		 const struct mac_addr *src, uint16_t ethertype)
{
	memcpy(frame, dst->b, STP_MAC_LEN);
	memcpy(frame + 6, src->b, STP_MAC_LEN);
	put_be16(frame + 12, ethertype);
}

void pkt_put_ipv4(uint8_t *ip, uint32_t src, uint32_t dst, uint8_t proto,
		  uint16_t payload_len, uint16_t id)
{
	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)(IPV4_HDR_LEN + payload_len));
	put_be16(ip + 4, id);
	put_be16(ip + 6, 0x4000); /* DF: we size every reply to the MTU */
	ip[8] = 64;
	ip[9] = proto;
	put_be16(ip + 10, 0);
	put_be32(ip + 12, src);
	put_be32(ip + 16, dst);
	put_be16(ip + 10, cksum_finish(cksum_partial(ip, IPV4_HDR_LEN, 0)));
}

size_t pkt_put_udp4_hdrs(uint8_t *frame, const struct mac_addr *src_mac,
			 const struct mac_addr *dst_mac, uint32_t src_ip,
			 uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
			 size_t payload_len, uint32_t payload_sum)
{
	uint8_t *ip = frame + ETH_HDR_LEN;
	uint8_t *udp = ip + IPV4_HDR_LEN;
	uint16_t ulen = (uint16_t)(UDP_HDR_LEN + payload_len);
	uint16_t sum;

	pkt_put_eth(frame, dst_mac, src_mac, ETHERTYPE_IPV4);
	pkt_put_ipv4(ip, src_ip, dst_ip, IPPROTO_UDP_, ulen, 0);
	put_be16(udp, src_port);
	put_be16(udp + 2, dst_port);
	put_be16(udp + 4, ulen);
	put_be16(udp + 6, 0);
	sum = cksum_finish(cksum_partial(udp, UDP_HDR_LEN,
			   payload_sum + cksum_pseudo4(src_ip, dst_ip, IPPROTO_UDP_, ulen)));
	/* RFC 768: a computed zero is sent as all ones. */
	put_be16(udp + 6, sum == 0 ? 0xffff : sum);
	return UDP4_HDRS_LEN;
}

size_t pkt_build_udp4(uint8_t *frame, const struct mac_addr *src_mac,
		      const struct mac_addr *dst_mac, uint32_t src_ip,
		      uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
		      size_t payload_len)
{
	uint32_t sum = cksum_partial(frame + UDP4_HDRS_LEN, payload_len, 0);

	return pkt_put_udp4_hdrs(frame, src_mac, dst_mac, src_ip, dst_ip, src_port,
				 dst_port, payload_len, sum) + payload_len;
}
