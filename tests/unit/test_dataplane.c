/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for the dataplane's pure parts: ARP, ICMP echo, the
 * neighbour table and the config -> EAL argv mapping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arp_icmp.h"
#include "bytes.h"
#include "cksum.h"
#include "eal_args.h"
#include "neigh.h"

static const struct host_id me = { { { 0x02, 0, 0, 0, 0, 1 } }, 0x0a4d0001 };
static const struct mac_addr peer = { { 0x52, 0x54, 0, 0x12, 0x34, 0x56 } };

static size_t arp_frame(uint8_t *f, uint16_t op, uint32_t spa, uint32_t tpa)
{
	uint8_t *a = f + ETH_HDR_LEN;

	memset(f, 0, ETH_MIN_FRAME);
	pkt_put_eth(f, &mac_broadcast, &peer, ETHERTYPE_ARP);
	put_be16(a, 1);
	put_be16(a + 2, ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	put_be16(a + 6, op);
	memcpy(a + 8, peer.b, 6);
	put_be32(a + 14, spa);
	put_be32(a + 24, tpa);
	return ETH_MIN_FRAME;
}

static void test_arp_reply(void **state)
{
	struct neigh_table *nt = calloc(1, sizeof(*nt));
	uint8_t in[64], out[64];
	struct pkt_info pi;
	enum pkt_drop why;
	struct mac_addr m;
	size_t len;

	(void)state;
	len = arp_frame(in, 1, 0x0a4d0064, me.ip);
	assert_int_equal(pkt_parse(span_make(in, len), &pi), PKT_CLASS_ARP);
	len = arp_input(&me, &pi, nt, 100, out, &why);
	assert_int_equal(len, ETH_MIN_FRAME);
	assert_memory_equal(out, peer.b, 6);            /* to the asker */
	assert_memory_equal(out + 6, me.mac.b, 6);
	assert_int_equal(get_be16(out + 12), ETHERTYPE_ARP);
	assert_int_equal(get_be16(out + ETH_HDR_LEN + 6), 2);  /* reply */
	assert_memory_equal(out + ETH_HDR_LEN + 8, me.mac.b, 6);
	assert_int_equal(get_be32(out + ETH_HDR_LEN + 14), me.ip);
	assert_memory_equal(out + ETH_HDR_LEN + 18, peer.b, 6);
	assert_int_equal(get_be32(out + ETH_HDR_LEN + 24), 0x0a4d0064);
	/* The asker was learnt. */
	assert_true(neigh_lookup(nt, 0x0a4d0064, 101, &m));
	assert_memory_equal(m.b, peer.b, 6);
	/* For another host: learnt, not answered, not a fault. */
	len = arp_frame(in, 1, 0x0a4d0065, 0x0a4d0099);
	pkt_parse(span_make(in, len), &pi);
	assert_int_equal(arp_input(&me, &pi, nt, 100, out, &why), 0);
	assert_int_equal(why, PKT_DROP_not_for_us);
	/* A reply to us is learnt but not answered. */
	len = arp_frame(in, 2, 0x0a4d0066, me.ip);
	pkt_parse(span_make(in, len), &pi);
	assert_int_equal(arp_input(&me, &pi, nt, 100, out, &why), 0);
	assert_int_equal(why, PKT_DROP_NONE);
	/* Wrong hardware type: dropped with a reason. */
	len = arp_frame(in, 1, 0x0a4d0064, me.ip);
	put_be16(in + ETH_HDR_LEN, 6);
	pkt_parse(span_make(in, len), &pi);
	assert_int_equal(arp_input(&me, &pi, nt, 100, out, &why), 0);
	assert_int_equal(why, PKT_DROP_arp_bad);
	/* Too short for ARP. */
	assert_int_equal(pkt_parse(span_make(in, ETH_HDR_LEN + 20), &pi), PKT_CLASS_DROP);
	assert_int_equal(pi.drop, PKT_DROP_arp_bad);
	free(nt);
}

static void test_arp_announce(void **state)
{
	uint8_t out[64];

	(void)state;
	assert_int_equal(arp_build_announce(&me, out), ETH_MIN_FRAME);
	assert_true(mac_is_broadcast((const struct mac_addr *)out));
	assert_int_equal(get_be16(out + ETH_HDR_LEN + 6), 1);
	/* RFC 5227: sender and target protocol address are both ours. */
	assert_int_equal(get_be32(out + ETH_HDR_LEN + 14), me.ip);
	assert_int_equal(get_be32(out + ETH_HDR_LEN + 24), me.ip);
}

static size_t echo_frame(uint8_t *f, uint32_t dst, size_t data_len)
{
	uint8_t *ip = f + ETH_HDR_LEN, *icmp = ip + IPV4_HDR_LEN;
	size_t len = 8 + data_len;

	pkt_put_eth(f, &me.mac, &peer, ETHERTYPE_IPV4);
	pkt_put_ipv4(ip, 0x0a4d0064, dst, IPPROTO_ICMP_, (uint16_t)len, 7);
	icmp[0] = 8;
	icmp[1] = 0;
	put_be16(icmp + 2, 0);
	put_be16(icmp + 4, 0x1234);
	put_be16(icmp + 6, 42);
	for (size_t i = 0; i < data_len; i++)
		icmp[8 + i] = (uint8_t)i;
	put_be16(icmp + 2, cksum_finish(cksum_partial(icmp, len, 0)));
	return ETH_HDR_LEN + IPV4_HDR_LEN + len;
}

static void test_icmp_echo(void **state)
{
	uint8_t in[1600], out[1600];
	struct pkt_info pi, po;
	enum pkt_drop why;
	size_t len, rlen;

	(void)state;
	len = echo_frame(in, me.ip, 56);
	assert_int_equal(pkt_parse(span_make(in, len), &pi), PKT_CLASS_ICMP);
	rlen = icmp_input(&me, &pi, out, sizeof(out), &why);
	assert_int_equal(rlen, len);
	assert_int_equal(pkt_parse(span_make(out, rlen), &po), PKT_CLASS_ICMP);
	assert_int_equal(po.dst_ip, 0x0a4d0064);
	assert_int_equal(po.src_ip, me.ip);
	assert_memory_equal(out, peer.b, 6);
	assert_int_equal(po.l4.p[0], 0);                     /* echo reply */
	assert_int_equal(cksum_finish(cksum_partial(po.l4.p, po.l4.len, 0)), 0);
	assert_memory_equal(po.l4.p + 4, pi.l4.p + 4, 4 + 56); /* id, seq, data */
	/* Small echo: padded to the Ethernet minimum. */
	len = echo_frame(in, me.ip, 0);
	pkt_parse(span_make(in, len), &pi);
	assert_int_equal(icmp_input(&me, &pi, out, sizeof(out), &why), ETH_MIN_FRAME);
	/* Not ours, not an echo, or a bad checksum: no reply. */
	len = echo_frame(in, 0x0a4d0002, 8);
	pkt_parse(span_make(in, len), &pi);
	assert_int_equal(icmp_input(&me, &pi, out, sizeof(out), &why), 0);
	assert_int_equal(why, PKT_DROP_not_for_us);
	len = echo_frame(in, me.ip, 8);
	in[len - 1] ^= 1;
	pkt_parse(span_make(in, len), &pi);
	assert_int_equal(icmp_input(&me, &pi, out, sizeof(out), &why), 0);
	assert_int_equal(why, PKT_DROP_icmp_bad);
	/* Does not fit the caller's buffer: refused, not overrun. */
	len = echo_frame(in, me.ip, 1400);
	pkt_parse(span_make(in, len), &pi);
	assert_int_equal(icmp_input(&me, &pi, out, 600, &why), 0);
}

static size_t rs_frame(uint8_t *f, uint8_t hop_limit)
{
	static const uint8_t src[16] = { 0xfe, 0x80, [8] = 0x50, 0x54, 0, 0xff, 0xfe, 0x12, 0x34, 0x56 };
	static const uint8_t dst[16] = { 0xff, 0x02, [15] = 2 };
	uint8_t *ip = f + ETH_HDR_LEN, *icmp = ip + 40, tail[8] = { 0, 0, 0, 8, 0, 0, 0, 58 };
	uint32_t sum;

	pkt_put_eth(f, &(struct mac_addr){ { 0x33, 0x33, 0, 0, 0, 2 } }, &peer, ETHERTYPE_IPV6);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put_be16(ip + 4, 8);
	ip[6] = 58;
	ip[7] = hop_limit;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memset(icmp, 0, 8);
	icmp[0] = 133;
	sum = cksum_partial(tail, 8, cksum_partial(dst, 16, cksum_partial(src, 16, 0)));
	put_be16(icmp + 2, cksum_finish(cksum_partial(icmp, 8, sum)));
	return ETH_HDR_LEN + 48;
}

static void test_router_advertisement(void **state)
{
	uint8_t in[128], out[ICMP6_RA_LEN];
	const uint8_t *ip = out + ETH_HDR_LEN, *ra = ip + 40;
	uint8_t tail[8] = { 0, 0, 0, 24, 0, 0, 0, 58 };
	size_t len = rs_frame(in, 255);
	uint32_t sum;

	(void)state;
	assert_int_equal(icmp6_input(&me, span_make(in, len), out), ICMP6_RA_LEN);
	assert_int_equal(get_be16(out + 12), ETHERTYPE_IPV6);
	assert_memory_equal(out, ((uint8_t[]){ 0x33, 0x33, 0, 0, 0, 1 }), 6);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 255);                      /* RFC 4861 6.1.2 */
	assert_int_equal(ip[8], 0xfe);                     /* from link-local */
	assert_int_equal(ip[16], 0x02 ^ me.mac.b[0]);      /* EUI-64, U/L flipped */
	assert_int_equal(ip[24], 0xff);                    /* to all nodes */
	assert_int_equal(ra[0], 134);
	assert_int_equal(ra[5], 0);                        /* neither M nor O */
	assert_int_equal(get_be16(ra + 6), 0);             /* not a default router */
	assert_int_equal(ra[16], 1);                       /* source link-layer address */
	assert_memory_equal(ra + 18, me.mac.b, 6);
	sum = cksum_partial(tail, 8, cksum_partial(ip + 24, 16, cksum_partial(ip + 8, 16, 0)));
	assert_int_equal(cksum_finish(cksum_partial(ra, 24, sum)), 0);
	/* RFC 4861 6.1.1: a hop limit below 255 means it crossed a router. */
	len = rs_frame(in, 64);
	assert_int_equal(icmp6_input(&me, span_make(in, len), out), 0);
	/* a broken checksum, and a truncated frame */
	len = rs_frame(in, 255);
	in[len - 1] ^= 1;
	assert_int_equal(icmp6_input(&me, span_make(in, len), out), 0);
	assert_int_equal(icmp6_input(&me, span_make(in, 40), out), 0);
}

static void test_neigh(void **state)
{
	struct neigh_table *nt = calloc(1, sizeof(*nt));
	struct mac_addr m, other = peer;

	(void)state;
	assert_false(neigh_lookup(nt, 0x0a4d0064, 0, &m));
	neigh_learn(nt, 0x0a4d0064, &peer, 10);
	assert_true(neigh_lookup(nt, 0x0a4d0064, 10 + NEIGH_TTL_S, &m));
	assert_false(neigh_lookup(nt, 0x0a4d0064, 11 + NEIGH_TTL_S, &m));
	other.b[5] = 0x99;
	neigh_learn(nt, 0x0a4d0064, &other, 20); /* moved: updated in place */
	assert_true(neigh_lookup(nt, 0x0a4d0064, 21, &m));
	assert_memory_equal(m.b, other.b, 6);
	neigh_learn(nt, 0, &peer, 20);            /* 0.0.0.0 is never a neighbour */
	assert_false(neigh_lookup(nt, 0, 21, &m));
	/* Far more hosts than slots: the table stays bounded and recent ones win. */
	for (uint32_t i = 0; i < 4 * NEIGH_SLOTS; i++)
		neigh_learn(nt, 0x0a000000 + i, &peer, 100 + i);
	assert_true(neigh_lookup(nt, 0x0a000000 + 4 * NEIGH_SLOTS - 1, 200 + 4 * NEIGH_SLOTS, &m));
	assert_true(nt->replaced > 0);
	free(nt);
}

static bool has_arg(const struct eal_args *a, const char *s)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return true;
	return false;
}

static void test_eal_args(void **state)
{
	struct stp_config *c = calloc(1, sizeof(*c));
	struct eal_args a;
	char err[128], dev[EAL_ARG_LEN];

	(void)state;
	assert_int_equal(eal_lcore_count("0-1"), 2);
	assert_int_equal(eal_lcore_count("0-3,6,8-9"), 7);
	assert_int_equal(eal_lcore_count("3"), 1);
	assert_int_equal(eal_lcore_count(""), -1);
	assert_int_equal(eal_lcore_count("1-0"), -1);
	assert_int_equal(eal_lcore_count("0,,1"), -1);
	assert_int_equal(eal_lcore_count("a"), -1);

	c->eal.no_huge = true;
	c->eal.memory_mb = 256;
	c->port.kind = CFG_PORT_IFACE;
	strcpy(c->port.iface, "stp0");
	assert_int_equal(eal_args_build(c, "stampede", &a, err, sizeof(err)), 0);
	assert_string_equal(a.argv[0], "stampede");
	assert_true(has_arg(&a, "--no-huge"));
	assert_true(has_arg(&a, "--no-shconf")); /* --in-memory refuses --no-huge */
	assert_false(has_arg(&a, "--in-memory"));
	assert_true(has_arg(&a, "256"));
	assert_true(has_arg(&a, "--no-pci"));
	assert_false(has_arg(&a, "-l"));
	assert_null(a.argv[a.argc]);

	c->eal.no_huge = false;
	strcpy(c->eal.lcores, "0-1");
	strcpy(c->eal.file_prefix, "stp-test");
	c->port.kind = CFG_PORT_PCI;
	strcpy(c->port.pci, "0000:3b:00.0");
	assert_int_equal(eal_args_build(c, "stampede", &a, err, sizeof(err)), 0);
	assert_false(has_arg(&a, "--no-huge"));
	assert_false(has_arg(&a, "--in-memory"));
	assert_true(has_arg(&a, "stp-test"));
	assert_true(has_arg(&a, "--huge-unlink")); /* no hugepage file outlives us */
	assert_true(has_arg(&a, "0-1"));
	assert_true(has_arg(&a, "0000:3b:00.0"));
	assert_false(has_arg(&a, "--no-pci"));

	c->port.kind = CFG_PORT_VDEV;
	strcpy(c->port.vdev, "net_memif0,role=server,socket=/run/stampede.sock");
	assert_int_equal(eal_args_build(c, "stampede", &a, err, sizeof(err)), 0);
	assert_true(has_arg(&a, "net_memif0,role=server,socket=/run/stampede.sock"));

	strcpy(c->eal.lcores, "0@0,1@1,2@1");
	assert_int_equal(eal_args_build(c, "stampede", &a, err, sizeof(err)), 0);
	assert_true(has_arg(&a, "--lcores"));
	assert_true(has_arg(&a, "0@0,1@1,2@1"));

	/* A prefix without hugepages: the EAL refuses --huge-unlink there. */
	c->eal.no_huge = true;
	assert_int_equal(eal_args_build(c, "stampede", &a, err, sizeof(err)), 0);
	assert_true(has_arg(&a, "--no-huge"));
	assert_true(has_arg(&a, "stp-test"));
	assert_false(has_arg(&a, "--huge-unlink"));
	c->eal.no_huge = false;

	strcpy(c->eal.lcores, "0-");
	assert_int_equal(eal_args_build(c, "stampede", &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "eal.lcores"));

	assert_int_equal(eal_iface_devargs(c, true, 1, dev, sizeof(dev)), 0);
	assert_string_equal(dev, "net_af_xdp0,iface=stp0,start_queue=0,queue_count=1");
	assert_int_equal(eal_iface_devargs(c, false, 2, dev, sizeof(dev)), 0);
	assert_string_equal(dev, "net_af_packet0,iface=stp0,qpairs=2,blocksz=4096,framesz=2048,framecnt=8192");
	assert_int_equal(eal_iface_devargs(c, false, 2, dev, 10), -1);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_reply),
		cmocka_unit_test(test_arp_announce),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_router_advertisement),
		cmocka_unit_test(test_neigh),
		cmocka_unit_test(test_eal_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
