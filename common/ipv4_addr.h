/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ipv4_addr.h
 * IPv4 addresses and MACs as plain values. Addresses are host-order uint32_t
 * everywhere above the wire helpers, so arithmetic on pools is natural.
 */
#ifndef STP_IPV4_ADDR_H
#define STP_IPV4_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STP_MAC_LEN 6
#define STP_IPV4_STRLEN 16 /* "255.255.255.255" + NUL */
#define STP_MAC_STRLEN 18  /* "aa:bb:cc:dd:ee:ff" + NUL */

struct mac_addr {
	uint8_t b[STP_MAC_LEN];
};

static inline uint32_t ipv4_prefix_mask(unsigned prefix_len)
{
	return prefix_len == 0 ? 0 : ~(uint32_t)0 << (32 - prefix_len);
}

static inline bool ipv4_same_subnet(uint32_t a, uint32_t b, unsigned prefix_len)
{
	uint32_t m = ipv4_prefix_mask(prefix_len);
	return (a & m) == (b & m);
}

/** Parse dotted quad into host order. Returns false on anything else. */
bool ipv4_parse(const char *s, uint32_t *out);
/** Format host-order @a a into @a buf (at least STP_IPV4_STRLEN). */
char *ipv4_format(uint32_t a, char *buf);
/** Parse "a.b.c.d/len". */
bool ipv4_parse_cidr(const char *s, uint32_t *addr, unsigned *prefix_len);
/** Parse "aa:bb:cc:dd:ee:ff" (also '-' separated, any case). */
bool mac_parse(const char *s, struct mac_addr *out);
char *mac_format(const struct mac_addr *m, char *buf);

#endif
