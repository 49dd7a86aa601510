/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_http.h
 * The client HTTP/1.1 of stampede-storm: requests as iPXE writes them,
 * and a streaming response reader that verifies every body.
 *
 * Requests. shttp_build_request() writes the request line and the headers
 * iPXE sends (Host, User-Agent: iPXE/..., Connection: keep-alive, and
 * Content-Type/Content-Length with a body: the imaging OS's job API
 * POSTs), ready for stcp_send().
 *
 * Responses. struct shttp reads one response from bytes in any split (as
 * TCP delivers them; every byte is looked at once, nothing is re-parsed)
 * and keeps no more than one 128-byte line of the head: the status code
 * and the fields a client acts on are decoded as lines complete
 * (Content-Length, Transfer-Encoding, Connection, ETag, Retry-After).
 * Framing follows RFC 9112 sec 6.3: no body for HEAD, 1xx, 204 and 304;
 * chunked (sec 7.1); Content-Length; else until the server closes
 * (shttp_eof()). Interim 1xx responses are skipped.
 *
 * Verification. When a 200 response carries a stampede ETag
 * ("\"<16 hex>-<hex length>\"", common/objcache.c) the body is hashed as
 * it streams (common/content_hash.h) and must match both the hash and the
 * length, or the response fails with "http: body hash mismatch" or
 * "http: length mismatch"; a body cut short fails with "http: short
 * body". Other servers' ETags (nginx: "mtime-size") are not verified
 * beyond the framing's length.
 *
 * Small bodies (the iPXE script, the job API's JSON) are also copied into
 * a caller-supplied buffer, up to its size, for the caller to parse.
 *
 * Malformed input fails with a named cause (SHTTP_CAUSES) and the reader
 * stays failed; nothing in it can grow without bound or wait: a head is
 * at most SHTTP_HEAD_MAX bytes, a chunk line SHTTP_CHUNK_LINE_MAX.
 */
#ifndef STP_STORM_HTTP_H
#define STP_STORM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "content_hash.h"

#ifndef STP_PARSE_RESULTS_DEFINED
#define STP_PARSE_RESULTS_DEFINED
/** Results of a resumable parser (docs/style.md rule 5); > 0 is bytes consumed. */
enum { PARSE_AGAIN = 0, PARSE_ERR = -1, PARSE_FULL = -2 };
#endif

#define SHTTP_USER_AGENT "iPXE/1.21.1+"   /* Debian's iPXE says "1.21.1+ (gXXXX)" */
#define SHTTP_LINE_MAX 128u       /* head line bytes kept; the rest is counted only */
#define SHTTP_HEAD_MAX 16384u     /* status line + fields + blank line (+ trailers) */
#define SHTTP_LINES_MAX 100u      /* header lines of one head */
#define SHTTP_CHUNK_LINE_MAX 4096u /* a chunk-size line with its extensions */

/** Reader states: X(name). Only the reader's set_state() assigns them. */
#define SHTTP_STATES(X)  \
	X(IDLE)          \
	X(STATUS)        \
	X(HEADERS)       \
	X(BODY)          \
	X(CHUNK_SIZE)    \
	X(CHUNK_DATA)    \
	X(CHUNK_END)     \
	X(TRAILERS)      \
	X(DONE)          \
	X(FAILED)

enum shttp_state {
#define X(name) SHTTP_S_##name,
	SHTTP_STATES(X)
#undef X
	SHTTP_S_N
};

/** Why a response failed: X(name, text). */
#define SHTTP_CAUSES(X)                                                     \
	X(NONE, "")                                                         \
	X(BAD_STATUS, "http: bad status line")                              \
	X(BAD_HEADER, "http: bad header line")                              \
	X(HEAD_TOO_LARGE, "http: head too large")                           \
	X(TOO_MANY_HEADERS, "http: too many header lines")                  \
	X(BAD_LENGTH, "http: bad content-length")                           \
	X(TE_UNSUPPORTED, "http: transfer-encoding unsupported")            \
	X(BAD_FRAMING, "http: both content-length and transfer-encoding")   \
	X(BAD_CHUNK, "http: bad chunk")                                     \
	X(CLOSED_EARLY, "http: closed before the response")                 \
	X(SHORT_BODY, "http: short body")                                   \
	X(LENGTH_MISMATCH, "http: length mismatch")                         \
	X(HASH_MISMATCH, "http: body hash mismatch")                        \
	X(UNEXPECTED, "http: bytes outside a response")

enum shttp_cause {
#define X(name, text) SHTTP_C_##name,
	SHTTP_CAUSES(X)
#undef X
	SHTTP_C_N
};

/** What the ETag said. */
enum shttp_etag {
	SHTTP_ETAG_NONE = 0,
	SHTTP_ETAG_STAMPEDE,       /* "<16 hex>-<hex length>": the body is verified */
	SHTTP_ETAG_OTHER,          /* any other form: not verified */
};

/**
 * One response being read. Fields below "results" may be read by the
 * caller once the head is in (state >= BODY) or at the end; the rest is
 * private.
 */
struct shttp {
	uint8_t state;             /* enum shttp_state */
	uint8_t cause;             /* enum shttp_cause, when FAILED */
	uint8_t etag_kind;         /* enum shttp_etag */
	uint8_t flags;             /* SHTTP_F_* (storm_http.c) */
	uint16_t line_len;         /* bytes in line[] */
	uint16_t n_lines;          /* header lines of this head */
	uint32_t head_len;         /* head (and trailer) bytes so far */
	uint32_t line_total;       /* bytes of the current line, kept or not */
	/* results */
	uint16_t status;           /* 0 until the status line is in */
	bool verified;             /* the body matched a stampede ETag */
	bool has_length;           /* Content-Length was given */
	int32_t retry_after;       /* Retry-After in seconds; -1 absent or an HTTP-date */
	uint32_t kept;             /* body bytes copied to the keep buffer */
	uint64_t content_length;
	uint64_t body_len;         /* body bytes received (decoded, for chunked) */
	/* private */
	uint64_t chunk_left;
	uint64_t etag_hash, etag_len;
	struct content_hash hash;
	uint8_t *keep;
	uint32_t keep_cap;
	char line[SHTTP_LINE_MAX];
};

/**
 * Start reading the response to a request just sent.
 * @param head_req  the request was HEAD (a response without body)
 * @param keep      where the first @a keep_cap body bytes are copied (the
 *                  script, the JSON answer); NULL for none. Owned by the
 *                  caller; it must stay valid while the response is read.
 */
void shttp_begin(struct shttp *r, bool head_req, uint8_t *keep, uint32_t keep_cap);

/**
 * Body bytes from now on are copied to @a keep from its start (kept = 0).
 * A caller that consumes each delivery's body bytes at once (a streaming
 * script reader) can so share one buffer among all its readers.
 */
void shttp_rekeep(struct shttp *r, uint8_t *keep, uint32_t keep_cap);

/**
 * Feed the next @a n bytes of the connection (n < 2^31: one TCP delivery).
 * @return bytes consumed when the response completed with them (> 0,
 *         possibly fewer than @a n: the rest is not part of it),
 *         PARSE_AGAIN when all @a n bytes were taken and the response goes
 *         on, PARSE_ERR when it failed (r->cause; bytes after a complete
 *         response fail too, as UNEXPECTED)
 */
int shttp_input(struct shttp *r, const uint8_t *p, size_t n);

/**
 * The server closed the connection (TCP FIN). Ends a body delimited by the
 * close (then verified); anything else unfinished fails (CLOSED_EARLY
 * before the head is complete, SHORT_BODY within a body).
 * @return 0 when the response is complete (or none was expected: IDLE),
 *         PARSE_ERR when it failed (r->cause)
 */
int shttp_eof(struct shttp *r);

/** True once the response is complete and good. */
static inline bool shttp_done(const struct shttp *r)
{
	return r->state == SHTTP_S_DONE;
}

/**
 * May the connection carry the next request? HTTP/1.1 without
 * "Connection: close", or HTTP/1.0 with "keep-alive", and a body not
 * delimited by the close (RFC 9112 sec 9.3).
 */
bool shttp_keep_alive(const struct shttp *r);

/** Failure text ("http: bad status line"), "" for NONE, "?" out of range. */
const char *shttp_cause_str(int cause);

/** Printable state name, "?" out of range. */
const char *shttp_state_name(int state);

/** A request to build; every string NUL-terminated. */
struct shttp_req {
	const char *method;        /* "GET", "POST", ... (a token) */
	const char *host;          /* the Host value: "10.0.0.1" or "10.0.0.1:8080" */
	const char *path;          /* origin-form target: "/boot/x.ipxe" */
	const char *user_agent;    /* NULL: SHTTP_USER_AGENT */
	const char *content_type;  /* with a body; NULL: "application/json" */
	const void *body;          /* body_len bytes, or NULL */
	size_t body_len;
	bool close;                /* "Connection: close" instead of keep-alive */
};

/**
 * Write @a rq into @a buf (RFC 9112 sec 3: request line, then Host,
 * User-Agent and Connection as iPXE orders them, then Content-Type and
 * Content-Length when there is a body, a blank line and the body).
 * @return the length (no NUL is counted; one is written when room
 *         allows), -ENOSPC when @a cap is too small, -EINVAL for a method
 *         that is not a token or a path that is not origin-form (no
 *         leading '/', spaces or controls) or a host with either
 */
int shttp_build_request(char *buf, size_t cap, const struct shttp_req *rq);

/** A GET of @a path from @a host, as iPXE sends it. Same returns. */
int shttp_build_get(char *buf, size_t cap, const char *host, const char *path);

#endif
