/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netascii conversion (RFC 1350 sec 1 and RFC 764): LF -> CR LF,
 * CR -> CR NUL. See tftp_netascii.h for why positions replace buffers.
 */
#include "tftp_netascii.h"

#include <string.h>

#define CR 0x0d
#define LF 0x0a

static inline int expands(uint8_t c)
{
	return c == CR || c == LF;
}

/** Second byte of the expansion of @a c (a CR or LF). */
static inline uint8_t second(uint8_t c)
{
	return c == LF ? LF : 0;
}

/** Count of @a c in [p, p+len), memchr-driven so long runs stay cheap. */
static uint64_t count_byte(const uint8_t *p, size_t len, uint8_t c)
{
	uint64_t n = 0;
	const uint8_t *q;

	while (len > 0 && (q = memchr(p, c, len)) != NULL) {
		size_t adv = (size_t)(q - p) + 1;

		n++;
		p += adv;
		len -= adv;
	}
	return n;
}

uint64_t tftp_netascii_size(const uint8_t *src, size_t len)
{
	return (uint64_t)len + count_byte(src, len, CR) + count_byte(src, len, LF);
}

uint64_t tftp_netascii_skip(const uint8_t *src, size_t len, struct tftp_na_pos *pos,
			    uint64_t n)
{
	uint64_t done = 0;

	if (pos->half && n > 0 && pos->src < len) {
		pos->half = 0;
		pos->src++;
		done++;
	}
	while (done < n && pos->src < len) {
		if (!expands(src[pos->src])) {
			done++;
			pos->src++;
		} else if (n - done >= 2) {
			done += 2;
			pos->src++;
		} else {
			/* The pair straddles the boundary: stop inside it. */
			pos->half = 1;
			done++;
		}
	}
	return done;
}

size_t tftp_netascii_encode(const uint8_t *src, size_t len, struct tftp_na_pos *pos,
			    uint8_t *dst, size_t cap)
{
	size_t done = 0;

	if (pos->half && cap > 0 && pos->src < len) {
		dst[done++] = second(src[pos->src]);
		pos->half = 0;
		pos->src++;
	}
	while (done < cap && pos->src < len) {
		uint8_t c = src[pos->src];

		if (!expands(c)) {
			dst[done++] = c;
			pos->src++;
			continue;
		}
		dst[done++] = CR;
		if (done == cap) {
			pos->half = 1;
			break;
		}
		dst[done++] = second(c);
		pos->src++;
	}
	return done;
}
