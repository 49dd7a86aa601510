/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file objcache_name.c
 * Request names to canonical cache keys. Pure code over bytes: runs on the
 * packet path for every RRQ and GET.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "objcache_impl.h"

/** Result of scanning one component of a requested name. */
enum comp_kind { COMP_NAME, COMP_EMPTY, COMP_DOT, COMP_DOTDOT };

static enum comp_kind comp_kind(const uint8_t *p, size_t len)
{
	if (len == 0)
		return COMP_EMPTY;
	if (len == 1 && p[0] == '.')
		return COMP_DOT;
	if (len == 2 && p[0] == '.' && p[1] == '.')
		return COMP_DOTDOT;
	return COMP_NAME;
}

int objcache_normalise(struct span in, char *out, size_t cap)
{
	/* out_len must stay below lim so the NUL fits and the name fits
	 * stp_object.name. */
	size_t lim = cap < OBJ_NAME_MAX ? cap : OBJ_NAME_MAX;
	size_t i = 0, o = 0;
	bool too_long = false;
	enum comp_kind last = COMP_EMPTY;

	if (!out || cap == 0 || (!in.p && in.len))
		return -EINVAL;
	while (i < in.len) {
		size_t start = i;

		while (i < in.len && in.p[i] != '/') {
			if (!oc_name_byte_ok(in.p[i]))
				return -EINVAL;
			i++;
		}
		size_t clen = i - start;

		last = comp_kind(in.p + start, clen);
		if (i < in.len)
			i++;                    /* the '/' */
		if (last == COMP_DOTDOT)
			return -EACCES;     /* never resolved: nothing to escape with */
		if (last != COMP_NAME || too_long)
			continue;
		size_t need = clen + (o ? 1 : 0);

		if (need >= lim - o) {
			too_long = true;    /* keep scanning: a ".." later still wins */
			continue;
		}
		if (o)
			out[o++] = '/';
		memcpy(out + o, in.p + start, clen);
		o += clen;
	}
	/* "a/" and "a/." name a directory, and the cache holds none. */
	if (in.len && (in.p[in.len - 1] == '/' || last == COMP_DOT))
		return -EINVAL;
	if (too_long)
		return -ENAMETOOLONG;
	if (o == 0)
		return -EINVAL;
	out[o] = '\0';
	return (int)o;
}

/**
 * True when @a name (NUL terminated) is its own canonical form, so a
 * normalised request can find it.
 */
bool oc_name_canonical(const char *name)
{
	char buf[OBJ_NAME_MAX];
	size_t len = strnlen(name, OBJ_NAME_MAX);

	if (len == OBJ_NAME_MAX)
		return false;
	return objcache_normalise(span_make(name, len), buf, sizeof(buf)) == (int)len &&
	       memcmp(buf, name, len) == 0;
}
