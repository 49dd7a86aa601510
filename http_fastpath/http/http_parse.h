/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_parse.h
 * Strict HTTP/1.x request parser (RFC 9112), pure over a pointer range in
 * the manner of HAProxy's h1 parser: request line and header section, plus
 * a Content-Length body where one is allowed. Fields are spans into the
 * caller's bytes, headers go into a caller-supplied array; nothing is
 * copied or allocated.
 *
 * Resumability.  The parser keeps no state between calls: on PARSE_AGAIN
 * the caller calls it again, from the start of the request, once more
 * bytes are there. Every pass is bounded by the limits (a head is at most
 * http_limits.head_max bytes and hdr_max lines), and http_conn re-parses
 * only when a new line has completed or the awaited body is complete, so
 * a client trickling bytes costs at most about (hdr_max + 2) passes of
 * head_max bytes per request. Because the parser is pure, any split of
 * the input ends in the same result as the whole: every prefix gives
 * PARSE_AGAIN or the final PARSE_ERR with the same status.
 *
 * Choices (RFC 9112 leaves them to the server):
 * - a bare LF ends a line (sec 2.2 "MAY"); a bare CR anywhere is 400;
 * - up to HTTP_MAX_EMPTY_LINES empty lines before the request line are
 *   skipped (sec 2.2) and counted in the bytes consumed;
 * - obsolete line folding, whitespace before a field name's colon, NUL and
 *   other controls (HTAB aside) in a value: 400;
 * - Transfer-Encoding: 501 (no chunked request bodies), 400 if it comes
 *   with Content-Length (sec 6.3: a smuggling attempt);
 * - Content-Length: repeated identical values are merged, different ones
 *   400 (sec 6.3); a body only for POST and PUT under "/api/", at most
 *   http_limits.body_max (413 otherwise, also for GET/HEAD with a body);
 * - HTTP/1.x with x >= 1 is served as 1.1 (RFC 9110 sec 2.5), any other
 *   well-formed version 505, an HTTP/1.1 request without Host or with two
 *   400 (sec 3.2);
 * - methods: GET and HEAD are served, POST/PUT/DELETE/OPTIONS parse (the
 *   responder answers 405 outside /api/), any other token is 501.
 */
#ifndef STP_HTTP_PARSE_H
#define STP_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "span.h"

#ifndef STP_PARSE_RESULTS_DEFINED
#define STP_PARSE_RESULTS_DEFINED
/** Results of a resumable parser (docs/style.md rule 5); > 0 is bytes consumed. */
enum { PARSE_AGAIN = 0, PARSE_ERR = -1, PARSE_FULL = -2 };
#endif

#define HTTP_MAX_EMPTY_LINES 4
#define HTTP_METHOD_MAX 16         /* longer tokens are no method we know: 501 */

/** Methods the parser names: X(name, text). OTHER is never returned OK. */
#define HTTP_METHODS(X)       \
	X(GET, "GET")         \
	X(HEAD, "HEAD")       \
	X(POST, "POST")       \
	X(PUT, "PUT")         \
	X(DELETE, "DELETE")   \
	X(OPTIONS, "OPTIONS") \
	X(OTHER, "other")

enum http_method {
#define X(name, text) HTTP_M_##name,
	HTTP_METHODS(X)
#undef X
	HTTP_M_N
};

/**
 * Why a request was refused: X(name, status, help). The status is the
 * answer the server sends (with Connection: close) before dropping the
 * connection; NONE marks a request that parsed.
 */
#define HTTP_PARSE_ERRORS(X)                                                     \
	X(NONE, 200, "parsed")                                                   \
	X(METHOD, 400, "method is not a token or not followed by one space")     \
	X(METHOD_UNKNOWN, 501, "method not implemented")                        \
	X(TARGET, 400, "target empty, not origin/absolute form, or bad bytes")   \
	X(URI_TOO_LONG, 414, "request line longer than line_max")               \
	X(VERSION, 400, "malformed HTTP-version or junk after it")               \
	X(VERSION_UNSUPPORTED, 505, "HTTP major version other than 1")          \
	X(BARE_CR, 400, "CR not followed by LF")                                 \
	X(CTL, 400, "NUL or control byte in a header value")                    \
	X(FIELD_NAME, 400, "header name empty, not a token or space before ':'") \
	X(OBS_FOLD, 400, "obsolete line folding")                                \
	X(TOO_MANY_FIELDS, 431, "more header lines than hdr_max")              \
	X(HEAD_TOO_LARGE, 431, "header section longer than head_max")           \
	X(NO_HOST, 400, "HTTP/1.1 request without Host")                        \
	X(DUP_HOST, 400, "more than one Host")                                   \
	X(BAD_LENGTH, 400, "Content-Length not a decimal number")               \
	X(DUP_LENGTH, 400, "Content-Length values that differ")                 \
	X(TE_AND_LENGTH, 400, "Transfer-Encoding with Content-Length")          \
	X(TE, 501, "Transfer-Encoding (chunked request bodies) not supported")  \
	X(BODY_NOT_ALLOWED, 413, "body on a request that takes none")           \
	X(METHOD_ON_FILE, 405, "a method other than GET/HEAD, with a body, on a file") \
	X(BODY_TOO_LARGE, 413, "Content-Length over body_max")

enum http_perr {
#define X(name, status, help) HTTP_PERR_##name,
	HTTP_PARSE_ERRORS(X)
#undef X
	HTTP_PERR_N
};

/** Bounds on what one request may hold; see HTTP_LIMITS_DEFAULT. */
struct http_limits {
	uint32_t line_max;         /* request line, CRLF included (414) */
	uint32_t head_max;         /* request line + fields + blank line (431) */
	uint32_t hdr_max;          /* header lines (431) */
	uint32_t body_max;         /* Content-Length of an /api/ POST or PUT (413) */
};

#define HTTP_LIMITS_DEFAULT { 8192, 16384, 64, 65536 }

/** One header field as sent: name without the colon, value OWS-trimmed. */
struct http_hdr {
	struct span name;
	struct span value;
};

/** Connection tokens seen (RFC 9112 sec 9.3). */
#define HTTP_CONN_TOK_CLOSE 1u
#define HTTP_CONN_TOK_KEEPALIVE 2u

/**
 * A parsed request. The caller sets @a hdrs and @a hdr_cap before the
 * call; the parser fills the rest. Every span points into the input and
 * is valid as long as those bytes are.
 */
struct http_req {
	struct http_hdr *hdrs;     /* caller's array, hdr_cap entries */
	uint32_t hdr_cap;
	uint32_t n_hdrs;

	uint8_t method;            /* enum http_method */
	uint8_t minor;             /* 0 or 1 (HTTP/1.x, x >= 1 is 1) */
	uint8_t conn_tokens;       /* HTTP_CONN_TOK_* */
	uint8_t perr;              /* enum http_perr, NONE when parsed */
	uint16_t status;           /* the error status on PARSE_ERR, else 0 */
	bool has_length;
	bool expect_continue;      /* Expect: 100-continue */
	struct span method_str;
	struct span target;        /* as sent: origin or absolute form */
	struct span host;          /* Host value, len 0 if absent */
	struct span if_none_match; /* all If-None-Match values, first one only */
	struct span range;         /* Range value, first one only */
	struct span body;          /* Content-Length bytes after the head */
	uint64_t content_length;
	size_t head_len;           /* offset of the body in the input: skipped empty
				    * lines, head and blank line; set once the head
				    * is complete (also on AGAIN awaiting the body) */
};

/**
 * Parse one request from the front of @a in.
 *
 * @param in   bytes received so far on the connection, from the first byte
 *             of this request (empty lines before it included)
 * @param lim  bounds; a request over one of them is an error, not AGAIN
 * @param req  hdrs/hdr_cap set by the caller; filled in
 * @return bytes of the whole request (skipped empty lines, head and body;
 *         > 0), PARSE_AGAIN if @a in is a valid but incomplete prefix,
 *         PARSE_ERR with req->status and req->perr set, or PARSE_FULL if
 *         the caller's header array filled up before lim->hdr_max did
 *         (never when hdr_cap >= lim->hdr_max).
 */
int http_parse_request(struct span in, const struct http_limits *lim, struct http_req *req);

/** Value of the first header @a name (case-insensitive), or NULL span. */
struct span http_req_header(const struct http_req *req, const char *name);

/** Case-insensitive ASCII comparison of a span with a C string. */
bool http_span_ieq(struct span s, const char *lit);

/** Static text of a method / a parse error (counter names, logs). */
const char *http_method_str(enum http_method m);
const char *http_perr_str(enum http_perr e);
uint16_t http_perr_status(enum http_perr e);

#endif
