/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_target.h
 * Request targets (RFC 9112 sec 3.2) to cache names and query parameters.
 *
 * The path is percent-decoded (RFC 3986 sec 2.1) into a bounded buffer and
 * then canonicalised by objcache_normalise(), which refuses every ".."
 * component whether it was sent plainly or as "%2e%2e" / "..%2f": a name
 * that comes out of here can only be a key of the cache, never a file
 * outside it. Nothing here allocates or touches the cache itself.
 */
#ifndef STP_HTTP_TARGET_H
#define STP_HTTP_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

struct http_req;

/** Longest decoded path worked on; longer ones name no object (404). */
#define HTTP_PATH_MAX 2048

/** One query parameter as sent (still percent-encoded). */
struct http_qparam {
	struct span key;
	struct span value;         /* len 0 for "key" and "key=" alike */
};

/**
 * Split a request target into path and query. Origin-form "/p?q" gives
 * "/p" and "q"; absolute-form "http://host:port/p?q" drops scheme and
 * authority (RFC 9112 sec 3.2.2: a server must accept it) and an empty
 * path becomes "/". @a query gets len 0 when there is no '?'.
 */
void http_target_split(struct span target, struct span *path, struct span *query);

/**
 * Percent-decode @a in into @a out (no '+' rule: that is for queries).
 * @return decoded length; -EINVAL for a '%' not followed by two hex
 *         digits, or a decoded NUL or other control byte (RFC 3986 gives
 *         them no meaning in a name); -ENAMETOOLONG if @a cap is too small.
 *         @a out is not NUL-terminated.
 */
int http_pct_decode(struct span in, bool plus_is_space, char *out, size_t cap);

/**
 * Target to canonical cache name: split, decode the path, normalise.
 * "/" (and "" after normalising) maps to @a index when it is set.
 *
 * @param name  receives the name and a NUL; at least OBJ_NAME_MAX bytes
 * @return the name's length (> 0), or
 *         -EINVAL   bad escape or control byte: answer 400;
 *         -EACCES   a ".." component, however encoded: 404, counted;
 *         -ENOENT   nothing the cache can hold (directory, backslash, too
 *                   long, "/" without index): 404.
 */
int http_target_resolve(struct span target, const char *index, char *name, size_t cap);

/**
 * Split a query into parameters at '&' (and ';'), each at its first '='.
 * Empty elements are skipped. @return parameters stored (at most @a cap;
 * the rest are ignored).
 */
unsigned http_query_parse(struct span query, struct http_qparam *out, unsigned cap);

/**
 * Decoded value of the first parameter whose decoded key is @a key, with
 * '+' as space (HTML form encoding, what iPXE's ${net0/mac} URLs and curl
 * -G produce). @a buf gets the value and a NUL.
 * @return value length (>= 0), -ENOENT if absent, -EINVAL for a bad
 *         escape, -ENAMETOOLONG if @a cap is too small.
 */
int http_query_find(struct span query, const char *key, char *buf, size_t cap);

/** http_query_find() on the query of @a req's target. */
int http_query_get(const struct http_req *req, const char *key, char *buf, size_t cap);

#endif
