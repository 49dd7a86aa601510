/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_range.h
 * One byte range (RFC 9110 sec 14.1.2) resolved against a length.
 *
 * Choices: only a single range is served; a Range with several ranges, a
 * unit other than "bytes", or a syntax error is ignored and the whole
 * object is sent with 200, which sec 14.2 allows ("a server MAY ignore the
 * Range header field") and which every client copes with. If-Range is not
 * evaluated: it only ever downgrades a 206 to a 200, and our objects are
 * immutable under one ETag. On an empty object a suffix range is ignored
 * as well (a 206 could not name its bytes), a first-pos range is 416.
 */
#ifndef STP_HTTP_RANGE_H
#define STP_HTTP_RANGE_H

#include <stdint.h>

#include "span.h"

enum http_range_rc {
	HTTP_RANGE_NONE = 0,       /* no Range, or ignored: 200, whole object */
	HTTP_RANGE_OK = 1,         /* 206 with [*off, *off + *len) */
	HTTP_RANGE_UNSAT = 2,      /* 416 with Content-Range: bytes * / len */
};

/**
 * Resolve a Range field value against an object of @a size bytes.
 * "a-b" (b clamped to size - 1), "a-", "-n" (n clamped to size); a, b and
 * n saturate instead of wrapping. @a off / @a len are set only for OK.
 */
enum http_range_rc http_range_resolve(struct span value, uint64_t size,
				      uint64_t *off, uint64_t *len);

#endif
