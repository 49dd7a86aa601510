/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file span.h
 * A read-only view of bytes owned by someone else (a packet, a cache object).
 * Parsers store spans into their input instead of copying.
 */
#ifndef STP_SPAN_H
#define STP_SPAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdbool.h>

struct span {
	const uint8_t *p;
	size_t len;
};

static inline struct span span_make(const void *p, size_t len)
{
	struct span s = { (const uint8_t *)p, len };
	return s;
}

/** Span of a NUL-terminated C string, without the NUL. */
static inline struct span span_cstr(const char *s)
{
	return span_make(s, strlen(s));
}

static inline bool span_eq(struct span a, struct span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/** True when @a s begins with the @a prefix_len bytes at @a prefix. */
static inline bool span_starts_with(struct span s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.len >= n && memcmp(s.p, prefix, n) == 0;
}

#endif
