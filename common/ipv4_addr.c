/* SPDX-License-Identifier: BSD-3-Clause */
#include "ipv4_addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Strict dotted quad: four decimal parts 0..255, no leading '+' or spaces. */
bool ipv4_parse(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int part = 0; part < 4; part++) {
		unsigned n = 0, digits = 0;

		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3 || n > 255)
				return false;
		}
		if (digits == 0)
			return false;
		if (part < 3 && *s++ != '.')
			return false;
		v = v << 8 | n;
	}
	if (*s != '\0')
		return false;
	*out = v;
	return true;
}

char *ipv4_format(uint32_t a, char *buf)
{
	snprintf(buf, STP_IPV4_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
		 (a >> 8) & 255, a & 255);
	return buf;
}

bool ipv4_parse_cidr(const char *s, uint32_t *addr, unsigned *prefix_len)
{
	char tmp[STP_IPV4_STRLEN];
	const char *slash = strchr(s, '/');
	size_t n;
	char *end;
	long len;

	if (slash == NULL)
		return false;
	n = (size_t)(slash - s);
	if (n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (!ipv4_parse(tmp, addr))
		return false;
	if (slash[1] < '0' || slash[1] > '9')
		return false;
	len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || len < 1 || len > 32)
		return false;
	*prefix_len = (unsigned)len;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool mac_parse(const char *s, struct mac_addr *out)
{
	for (int i = 0; i < STP_MAC_LEN; i++) {
		int hi = hexval(s[0]), lo;

		/* Check each byte before reading the next: never past the NUL. */
		if (hi < 0 || (lo = hexval(s[1])) < 0)
			return false;
		out->b[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < STP_MAC_LEN - 1) {
			if (*s != ':' && *s != '-')
				return false;
			s++;
		}
	}
	return *s == '\0';
}

char *mac_format(const struct mac_addr *m, char *buf)
{
	snprintf(buf, STP_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0],
		 m->b[1], m->b[2], m->b[3], m->b[4], m->b[5]);
	return buf;
}
