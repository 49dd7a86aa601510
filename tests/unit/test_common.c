/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for common/: checksums, address parsing, frame parse/build,
 * the ETag content hash (one-shot and streaming over every split). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"
#include "cksum.h"
#include "content_hash.h"
#include "ipv4_addr.h"
#include "pkt.h"
#include "rss.h"

static void test_cksum_rfc1071(void **state)
{
	/* RFC 1071 sec 3 example: the sum of these words is 0xddf2. */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(cksum_finish(cksum_partial(b, sizeof(b), 0)), (uint16_t)~0xddf2);
	/* Odd length pads with a zero byte; split sums add up. */
	assert_int_equal(cksum_partial(b, 3, 0), 0x0001 + 0xf200);
	assert_int_equal(cksum_finish(cksum_partial(b + 4, 4, cksum_partial(b, 4, 0))),
			 cksum_finish(cksum_partial(b, 8, 0)));
}

static void test_ipv4_parse(void **state)
{
	static const struct { const char *s; int ok; uint32_t v; } t[] = {
		{ "10.77.0.1", 1, 0x0a4d0001 }, { "0.0.0.0", 1, 0 },
		{ "255.255.255.255", 1, 0xffffffff }, { "256.1.1.1", 0, 0 },
		{ "1.2.3", 0, 0 }, { "1.2.3.4.5", 0, 0 }, { "1.2.3.4 ", 0, 0 },
		{ "", 0, 0 }, { "a.b.c.d", 0, 0 }, { "1..2.3", 0, 0 },
		{ "0001.2.3.4", 0, 0 }, { "-1.2.3.4", 0, 0 },
	};
	char buf[STP_IPV4_STRLEN];

	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(t); i++) {
		uint32_t v = 0;

		assert_int_equal(ipv4_parse(t[i].s, &v), t[i].ok);
		if (t[i].ok) {
			assert_int_equal(v, t[i].v);
			assert_string_equal(ipv4_format(v, buf), t[i].s);
		}
	}
}

static void test_cidr_mac(void **state)
{
	uint32_t a;
	unsigned len;
	struct mac_addr m;
	char buf[STP_MAC_STRLEN];

	(void)state;
	assert_true(ipv4_parse_cidr("10.77.0.1/24", &a, &len));
	assert_int_equal(a, 0x0a4d0001);
	assert_int_equal(len, 24);
	assert_int_equal(ipv4_prefix_mask(24), 0xffffff00);
	assert_int_equal(ipv4_prefix_mask(0), 0);
	assert_int_equal(ipv4_prefix_mask(32), 0xffffffff);
	assert_false(ipv4_parse_cidr("10.77.0.1", &a, &len));
	assert_false(ipv4_parse_cidr("10.77.0.1/33", &a, &len));
	assert_false(ipv4_parse_cidr("10.77.0.1/", &a, &len));
	assert_false(ipv4_parse_cidr("10.77.0.1/2x", &a, &len));
	assert_true(mac_parse("52:54:00:AB:cd:0f", &m));
	assert_string_equal(mac_format(&m, buf), "52:54:00:ab:cd:0f");
	assert_true(mac_parse("52-54-00-ab-cd-0f", &m));
	assert_false(mac_parse("52:54:00:ab:cd", &m));
	assert_false(mac_parse("52:54:00:ab:cd:0f:11", &m));
	assert_false(mac_parse("52:54:00:ab:cd:0g", &m));
	assert_false(mac_parse("", &m));
	assert_false(mac_parse("5", &m));
	assert_false(mac_parse("52:", &m));
}

static const struct mac_addr mac_a = { { 0x52, 0x54, 0, 0, 0, 1 } };

static size_t sample_udp(uint8_t *f, size_t payload_len)
{
	for (size_t i = 0; i < payload_len; i++)
		f[UDP4_HDRS_LEN + i] = (uint8_t)(i * 7 + 1);
	return pkt_build_udp4(f, &mac_a, &mac_broadcast, 0x0a4d0064, 0xffffffff, 68, 67,
			      payload_len);
}

static void test_udp_roundtrip(void **state)
{
	uint8_t f[1514];
	struct pkt_info pi;
	size_t len = sample_udp(f, 300);

	(void)state;
	assert_int_equal(len, UDP4_HDRS_LEN + 300);
	assert_int_equal(pkt_parse(span_make(f, len), &pi), PKT_CLASS_UDP);
	assert_int_equal(pi.src_ip, 0x0a4d0064);
	assert_int_equal(pi.dst_ip, 0xffffffff);
	assert_int_equal(pi.src_port, 68);
	assert_int_equal(pi.dst_port, 67);
	assert_int_equal(pi.payload.len, 300);
	assert_ptr_equal(pi.payload.p, f + UDP4_HDRS_LEN);
	assert_true(mac_eq(&pi.src_mac, &mac_a));
	/* Ethernet padding after the IP datagram is not payload. */
	memset(f + len, 0xee, 20);
	assert_int_equal(pkt_parse(span_make(f, len + 20), &pi), PKT_CLASS_UDP);
	assert_int_equal(pi.payload.len, 300);
}

static void test_udp_drops(void **state)
{
	uint8_t f[200], g[200];
	struct pkt_info pi;
	size_t len = sample_udp(f, 100);

	(void)state;
	/* Every truncation is a drop with a reason, never a read past the end. */
	for (size_t cut = 0; cut < len; cut++) {
		assert_int_equal(pkt_parse(span_make(f, cut), &pi), PKT_CLASS_DROP);
		assert_int_not_equal(pi.drop, PKT_DROP_NONE);
	}
	memcpy(g, f, len);
	g[ETH_HDR_LEN + 8] ^= 1; /* TTL: header checksum now wrong */
	assert_int_equal(pkt_parse(span_make(g, len), &pi), PKT_CLASS_DROP);
	assert_int_equal(pi.drop, PKT_DROP_ip_csum);
	memcpy(g, f, len);
	g[len - 1] ^= 0x55; /* payload: UDP checksum now wrong */
	assert_int_equal(pkt_parse(span_make(g, len), &pi), PKT_CLASS_DROP);
	assert_int_equal(pi.drop, PKT_DROP_udp_csum);
	put_be16(g + UDP4_HDRS_LEN - 2, 0); /* zero: no checksum, accepted */
	assert_int_equal(pkt_parse(span_make(g, len), &pi), PKT_CLASS_UDP);
	memcpy(g, f, len);
	put_be16(g + UDP4_HDRS_LEN - 4, 7); /* UDP length below its header */
	assert_int_equal(pkt_parse(span_make(g, len), &pi), PKT_CLASS_DROP);
	assert_int_equal(pi.drop, PKT_DROP_udp_len);
	memcpy(g, f, len);
	g[ETH_HDR_LEN] = 0x46; /* IHL 6 with no options room: checksum/len fail */
	assert_int_equal(pkt_parse(span_make(g, len), &pi), PKT_CLASS_DROP);
	memcpy(g, f, len);
	g[ETH_HDR_LEN] = 0x65; /* version 6 in an IPv4 ethertype */
	assert_int_equal(pkt_parse(span_make(g, len), &pi), PKT_CLASS_DROP);
	assert_int_equal(pi.drop, PKT_DROP_ip_version);
	memcpy(g, f, len);
	put_be16(g + 12, 0x88cc); /* LLDP */
	assert_int_equal(pkt_parse(span_make(g, len), &pi), PKT_CLASS_DROP);
	assert_int_equal(pi.drop, PKT_DROP_ethertype);
}

static void test_fragment_dropped(void **state)
{
	uint8_t f[200];
	struct pkt_info pi;
	size_t len = sample_udp(f, 64);
	uint8_t *ip = f + ETH_HDR_LEN;

	(void)state;
	put_be16(ip + 6, 0x2000); /* more fragments */
	put_be16(ip + 10, 0);
	put_be16(ip + 10, cksum_finish(cksum_partial(ip, IPV4_HDR_LEN, 0)));
	assert_int_equal(pkt_parse(span_make(f, len), &pi), PKT_CLASS_DROP);
	assert_int_equal(pi.drop, PKT_DROP_ip_fragment);
}

/* ---- content hash ---- */

/* Values the object cache computed before the hash moved to common/
 * (its ETags for these bytes): the move must not change a single one. */
static void test_content_hash_vectors(void **state)
{
	static const struct { const char *s; uint64_t h; } t[] = {
		{ "", 0xf490368aba8bfeacull },
		{ "deep\n", 0xb54a418f00ebb4f9ull },
		{ "identical bytes", 0x02465c98b8565c76ull },
		{ "identical bytez", 0x6d4021aa6813288cull },
	};

	(void)state;
	for (unsigned i = 0; i < STP_ARRAY_SIZE(t); i++) {
		struct content_hash st;
		size_t n = strlen(t[i].s);

		assert_true(content_hash(t[i].s, n) == t[i].h);
		content_hash_init(&st, n);
		content_hash_update(&st, t[i].s, n);
		assert_true(content_hash_final(&st) == t[i].h);
		assert_true(content_hash_fed(&st) == n);
	}
}

static void fill_xorshift(uint8_t *p, size_t len, uint64_t x)
{
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
}

/* Streaming over any split, in two and three pieces and byte by byte,
 * gives the one-shot value, for every length around the word size. */
static void test_content_hash_splits(void **state)
{
	uint8_t b[200];

	(void)state;
	fill_xorshift(b, sizeof(b), 0x1234567);
	for (size_t len = 0; len <= sizeof(b); len += len < 40 ? 1 : 37) {
		uint64_t want = content_hash(b, len);
		struct content_hash st;

		for (size_t a = 0; a <= len; a++) {
			for (size_t c = a; c <= len; c += (len - a) / 5 + 1) {
				content_hash_init(&st, len);
				content_hash_update(&st, b, a);
				content_hash_update(&st, b + a, c - a);
				content_hash_update(&st, b + c, len - c);
				assert_true(content_hash_final(&st) == want);
			}
		}
		content_hash_init(&st, len);
		for (size_t i = 0; i < len; i++) {
			content_hash_update(&st, b + i, 1);
			content_hash_update(&st, b, 0);
		}
		assert_true(content_hash_final(&st) == want);
		assert_true(content_hash_fed(&st) == len);
	}
}

/* A large object in uneven pieces, as TCP delivers it; one flipped bit
 * or a different announced length changes the result. */
static void test_content_hash_stream_big(void **state)
{
	static uint8_t big[1 << 20];
	struct content_hash st;
	uint64_t want;
	size_t off = 0, step = 1;

	(void)state;
	fill_xorshift(big, sizeof(big), 99);
	want = content_hash(big, sizeof(big));
	content_hash_init(&st, sizeof(big));
	while (off < sizeof(big)) {
		size_t n = STP_MIN(step, sizeof(big) - off);

		content_hash_update(&st, big + off, n);
		off += n;
		step = step * 7 % 1461 + 1;
	}
	assert_true(content_hash_final(&st) == want);
	big[12345] ^= 0x10;
	assert_true(content_hash(big, sizeof(big)) != want);
	big[12345] ^= 0x10;
	content_hash_init(&st, sizeof(big) - 1);
	content_hash_update(&st, big, sizeof(big));
	assert_true(content_hash_final(&st) != want);
}

/* The Microsoft RSS verification suite's first IPv4/TCP vector, and the
 * symmetric key's promise: both directions of a flow hash alike. */
static void test_rss(void **state)
{
	static const uint8_t ms_key[40] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
		0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
		0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	};
	/* 66.9.149.187:2794 -> 161.142.100.80:1766 */
	static const uint8_t in[12] = { 66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6 };
	unsigned seen[4] = { 0 };

	(void)state;
	assert_int_equal(rss_toeplitz(ms_key, in, 8), 0x323e8fc2);
	assert_int_equal(rss_toeplitz(ms_key, in, 12), 0x51ccc178);
	for (uint32_t i = 0; i < 1000; i++) {
		uint32_t a = 0x0a500000u + i * 7u, b = 0x0a500001u;
		uint16_t pa = (uint16_t)(10000 + i * 13u), pb = 80;

		assert_int_equal(rss_hash_v4(a, b, pa, pb), rss_hash_v4(b, a, pb, pa));
		assert_int_equal(rss_flow_queue(a, b, pa, pb, 4), rss_flow_queue(b, a, pb, pa, 4));
		seen[rss_flow_queue(a, b, pa, pb, 4)]++;
	}
	/* every queue gets a share */
	for (unsigned q = 0; q < 4; q++)
		assert_true(seen[q] > 100);
	assert_int_equal(rss_queue(12345, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cksum_rfc1071),
		cmocka_unit_test(test_ipv4_parse),
		cmocka_unit_test(test_cidr_mac),
		cmocka_unit_test(test_udp_roundtrip),
		cmocka_unit_test(test_udp_drops),
		cmocka_unit_test(test_fragment_dropped),
		cmocka_unit_test(test_content_hash_vectors),
		cmocka_unit_test(test_content_hash_splits),
		cmocka_unit_test(test_content_hash_stream_big),
		cmocka_unit_test(test_rss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
