/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_target.c
 * Request target splitting, percent-decoding, normalising into cache
 * names, and query parameters. See http_target.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "http_parse.h"
#include "http_target.h"
#include "objcache.h"

static int hex_val(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/** Skip "scheme://authority" of an absolute-form target. */
static struct span strip_authority(struct span t)
{
	const uint8_t *s = memchr(t.p, ':', t.len);
	size_t i;

	if (t.len > 0 && t.p[0] == '/')
		return t;
	if (s == NULL || (size_t)(s - t.p) + 3 > t.len || s[1] != '/' || s[2] != '/')
		return t;           /* not absolute-form: left to fail as a name */
	i = (size_t)(s - t.p) + 3;
	while (i < t.len && t.p[i] != '/' && t.p[i] != '?')
		i++;
	return span_make(t.p + i, t.len - i);
}

void http_target_split(struct span target, struct span *path, struct span *query)
{
	struct span t = strip_authority(target);
	const uint8_t *q = t.len ? memchr(t.p, '?', t.len) : NULL;

	if (q != NULL) {
		*path = span_make(t.p, (size_t)(q - t.p));
		*query = span_make(q + 1, t.len - (size_t)(q - t.p) - 1);
	} else {
		*path = t;
		*query = span_make(NULL, 0);
	}
	if (path->len == 0)
		*path = span_cstr("/");   /* "http://host" and "http://host?q" */
}

int http_pct_decode(struct span in, bool plus_is_space, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < in.len; i++) {
		uint8_t c = in.p[i];

		if (c == '%') {
			int hi, lo;

			if (in.len - i < 3)
				return -EINVAL;
			hi = hex_val(in.p[i + 1]);
			lo = hex_val(in.p[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (uint8_t)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		/* a decoded NUL would cut C strings short downstream; other
		 * controls are never part of a name or a MAC */
		if (c < 0x20 || c == 0x7f)
			return -EINVAL;
		if (o >= cap)
			return -ENAMETOOLONG;
		out[o++] = (char)c;
	}
	return (int)o;
}

int http_target_resolve(struct span target, const char *index, char *name, size_t cap)
{
	char dec[HTTP_PATH_MAX];
	struct span path, query;
	int n, rc;

	http_target_split(target, &path, &query);
	n = http_pct_decode(path, false, dec, sizeof(dec));
	if (n == -EINVAL)
		return -EINVAL;
	if (n < 0)
		return -ENOENT;
	rc = objcache_normalise(span_make(dec, (size_t)n), name, cap);
	if (rc == -EACCES)
		return -EACCES;
	if (rc == -EINVAL && index != NULL && index[0] != '\0') {
		/* "/", "//", "/./" leave nothing but the root ("/.." was
		 * refused above), which the configured index stands for */
		bool root = true;

		for (int i = 0; i < n && root; i++)
			root = dec[i] == '/' || dec[i] == '.';
		if (root)
			rc = objcache_normalise(span_cstr(index), name, cap);
	}
	return rc > 0 ? rc : -ENOENT;
}

unsigned http_query_parse(struct span query, struct http_qparam *out, unsigned cap)
{
	unsigned n = 0;
	size_t i = 0;

	while (i < query.len && n < cap) {
		size_t start = i;

		while (i < query.len && query.p[i] != '&' && query.p[i] != ';')
			i++;
		struct span el = span_make(query.p + start, i - start);
		const uint8_t *eq = el.len ? memchr(el.p, '=', el.len) : NULL;

		i++;
		if (el.len == 0)
			continue;
		if (eq != NULL) {
			out[n].key = span_make(el.p, (size_t)(eq - el.p));
			out[n].value = span_make(eq + 1, el.len - (size_t)(eq - el.p) - 1);
		} else {
			out[n].key = el;
			out[n].value = span_make(el.p + el.len, 0);
		}
		n++;
	}
	return n;
}

int http_query_find(struct span query, const char *key, char *buf, size_t cap)
{
	size_t klen = strlen(key);
	size_t i = 0;

	while (i < query.len) {
		struct http_qparam qp;
		/* one parameter at a time: no array bound on how many there are */
		size_t start = i;

		while (i < query.len && query.p[i] != '&' && query.p[i] != ';')
			i++;
		if (http_query_parse(span_make(query.p + start, i - start), &qp, 1) == 1) {
			char kbuf[64];
			int n = http_pct_decode(qp.key, true, kbuf, sizeof(kbuf));
			if (n == (int)klen && memcmp(kbuf, key, klen) == 0) {
				if (cap == 0)
					return -ENAMETOOLONG;
				n = http_pct_decode(qp.value, true, buf, cap - 1);
				if (n >= 0)
					buf[n] = '\0';
				return n;
			}
		}
		i++;
	}
	return -ENOENT;
}

int http_query_get(const struct http_req *req, const char *key, char *buf, size_t cap)
{
	struct span path, query;

	http_target_split(req->target, &path, &query);
	return http_query_find(query, key, buf, cap);
}
