/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_hash.c
 * Keyed hashing for the things an off-path attacker must not predict:
 * initial sequence numbers (RFC 6528) and SYN cookies (RFC 4987 sec 3.6).
 * SipHash-2-4 (Aumasson, Bernstein 2012), written from the paper.
 */
#include <string.h>

#include "tcp_impl.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/** SipHash-2-4 of @a len bytes at @a msg under @a key. */
uint64_t tcp_siphash(const uint8_t key[16], const void *msg, size_t len)
{
	const uint8_t *m = msg;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			  k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull };
	uint64_t b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t w = load_le64(m + i);

		v[3] ^= w;
		sip_round(v);
		sip_round(v);
		v[0] ^= w;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)m[i + j] << (8 * j);
	v[3] ^= b;
	sip_round(v);
	sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/** Hash the connection identity plus two extra words (packed, fixed layout). */
static uint64_t hash_tuple(const struct tcp_table *t, uint32_t rip, uint16_t rport,
			   uint32_t x, uint32_t y)
{
	uint8_t m[20];

	memcpy(m, &t->cfg.local_ip, 4);
	memcpy(m + 4, &t->cfg.local_port, 2);
	memcpy(m + 6, &rip, 4);
	memcpy(m + 10, &rport, 2);
	memcpy(m + 12, &x, 4);
	memcpy(m + 16, &y, 4);
	return tcp_siphash(t->cfg.secret, m, sizeof(m));
}

/**
 * RFC 6528 sec 3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a 4 microsecond timer, so sequence spaces of successive
 * incarnations of one 4-tuple still move forward (RFC 9293 sec 3.4.1).
 */
uint32_t tcp_isn(const struct tcp_table *t, uint32_t rip, uint16_t rport, uint64_t now_us,
		 uint32_t *ts_offset)
{
	uint64_t h = hash_tuple(t, rip, rport, 0, 0);

	/* RFC 7323 sec 5.4: a per-connection TSval offset from the same secret hash */
	*ts_offset = (uint32_t)(h >> 32);
	return (uint32_t)(now_us / 4) + (uint32_t)h;
}

/*
 * SYN cookie layout (RFC 4987 sec 3.6; the classic one): the 32-bit ISS is
 *   bits 31..27  t mod 32, t = now / 64 s: a cookie lives 64-128 s
 *   bits 26..3   24 bits of SipHash(secret, 4-tuple, peer ISN, t, mss idx)
 *   bits 2..0    index of the peer's MSS in cookie_mss[]
 * Window scale and SACK-permitted ride in our TSval's low bits when the
 * peer uses timestamps (they come back in TSecr), else they are lost.
 */
#define COOKIE_PERIOD_US 64000000ull

static const uint16_t cookie_mss[8] = { 88, 536, 1220, 1300, 1380, 1440, 1452, 1460 };

/** Largest cookie MSS not above @a mss. */
unsigned tcp_cookie_mss_idx(uint16_t mss)
{
	unsigned i = 7;

	while (i > 0 && cookie_mss[i] > mss)
		i--;
	return i;
}

uint16_t tcp_cookie_mss(unsigned idx)
{
	return cookie_mss[idx & 7];
}

uint32_t tcp_cookie_make(const struct tcp_table *t, uint32_t rip, uint16_t rport,
			 uint32_t peer_isn, unsigned mss_idx, uint64_t now_us)
{
	uint32_t tc = (uint32_t)(now_us / COOKIE_PERIOD_US);
	uint32_t h = (uint32_t)hash_tuple(t, rip, rport, peer_isn, tc << 3 | (mss_idx & 7));

	return (tc & 31) << 27 | (h & 0xffffff) << 3 | (mss_idx & 7);
}

/**
 * Check the cookie an ACK returns (its ack - 1), for the peer ISN its
 * seq - 1 gives. @return the MSS index, or -1 if forged or older than
 * one period.
 */
int tcp_cookie_check(const struct tcp_table *t, uint32_t rip, uint16_t rport,
		     uint32_t peer_isn, uint32_t cookie, uint64_t now_us)
{
	uint32_t now_tc = (uint32_t)(now_us / COOKIE_PERIOD_US);
	uint32_t age = (now_tc - (cookie >> 27)) & 31;
	unsigned idx = cookie & 7;

	if (age > 1 || age > now_tc)
		return -1;
	if (tcp_cookie_make(t, rip, rport, peer_isn, idx,
			    (uint64_t)(now_tc - age) * COOKIE_PERIOD_US) != cookie)
		return -1;
	return (int)idx;
}
