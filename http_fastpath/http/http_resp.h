/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_resp.h
 * What to answer a parsed request: status, header bytes, and a body
 * descriptor (a range of a cache object, a short text written after the
 * header, or nothing). The library says what to send; the glue sends it
 * (a header segment, then the object bytes zero-copy or copied).
 *
 * Header bytes are built with no allocation into the caller's buffer:
 * status line (always HTTP/1.1, RFC 9112 sec 2.3), Date (IMF-fixdate from
 * the explicit clock), Server, Content-Type by extension, Content-Length,
 * Last-Modified, ETag, Accept-Ranges, Content-Range, Allow, Connection.
 */
#ifndef STP_HTTP_RESP_H
#define STP_HTTP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_counters.h"
#include "http_parse.h"
#include "object.h"
#include "span.h"

/** Bytes of an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", without NUL. */
#define HTTP_DATE_LEN 29

/** Header room that always suffices for http_respond() (error bodies too). */
#define HTTP_HDR_MAX 1024

/** Answers control frames, at most (http_respond_upcall() copies them). */
#define HTTP_UPCALL_BODY_MAX 65536

/** Object lookup by canonical name (objcache_lookup() on the lcore's view). */
typedef const struct stp_object *(*http_lookup_fn)(void *ctx, const char *name, size_t len);

struct http_resp;

/**
 * Admission of a large object: http_conn asks before it answers 200 or
 * 206 for an object whose body (the whole object for HEAD, the range for
 * GET) is at least site->large_min bytes. The callee may count the
 * transfer as started when it admits (the HTTP server core does).
 * @param resp  the answer decided so far (obj, len, head set)
 * @return 0 to serve it, else the seconds to send in Retry-After with a
 *         503 instead (http_respond_busy())
 */
typedef uint32_t (*http_admit_fn)(void *ctx, const struct http_resp *resp);

/**
 * One virtual server: per lcore, read-only on the request path except for
 * the counters it points at (owned by the lcore).
 */
struct http_site {
	http_lookup_fn lookup;
	void *lookup_ctx;
	const char *server;        /* Server value ("stampede/0.1.0"), NULL: none */
	const char *index;         /* name served for "/", NULL or "": 404 */
	bool keepalive;            /* persistent connections allowed at all */
	uint32_t max_requests;     /* per connection, then close; 0: no bound */
	uint64_t head_timeout_us;  /* first byte to complete request (slowloris) */
	uint64_t idle_timeout_us;  /* keep-alive idle between requests; 0: none */
	struct http_limits lim;
	struct http_counters *ctr; /* may be NULL */
	http_admit_fn admit;       /* NULL: every object is served at once */
	void *admit_ctx;
	uint64_t large_min;        /* body bytes from which admit is asked */
};

/** Why a request got 400/404, for the counters (http_respond() is pure). */
enum http_note {
	HTTP_NOTE_NONE = 0,
	HTTP_NOTE_BAD_ESCAPE,      /* 400: bad escape or decoded control byte */
	HTTP_NOTE_TRAVERSAL,       /* 404: a ".." component */
	HTTP_NOTE_NOT_FOUND,       /* 404: no such object */
};

enum http_body_kind {
	HTTP_BODY_NONE = 0,        /* HEAD, 304, or empty */
	HTTP_BODY_OBJ = 1,         /* obj->data[off, off + len) */
	HTTP_BODY_INLINE = 2,      /* len bytes right after the header bytes */
};

/**
 * A response decided. The pointer to the object is valid as long as the
 * cache version it came from (the glue pins it for the transfer).
 */
struct http_resp {
	uint16_t status;
	uint8_t body;              /* enum http_body_kind */
	uint8_t method;            /* of the request (enum http_method) */
	bool close;                /* close the connection after this response */
	bool head;                 /* HEAD: header only, whatever Content-Length says */
	bool upcall;               /* /api/: nothing built, control answers */
	bool keepalive_explicit;   /* HTTP/1.0 keep-alive: say "Connection: keep-alive" */
	uint8_t note;              /* enum http_note: why a 400/404, for counters */
	const struct stp_object *obj; /* the object of a 200/206 (HEAD too), else NULL */
	uint64_t off;
	uint64_t len;              /* body bytes to send after the header */
	size_t hdr_len;            /* header bytes at the start of the buffer */
};

/**
 * Decide the answer to @a req and write its header bytes to @a hdr.
 *
 * GET/HEAD of an object: 200, 206 or 416 (Range), 304 (If-None-Match,
 * weak comparison, RFC 9110 sec 13.1.2); a target under "/api/" (any
 * method): resp->upcall, nothing written, the glue asks control and frames
 * its answer with http_respond_upcall(); other methods 405 with Allow;
 * bad escapes 400; traversal attempts and unknown names 404.
 * Connection: close when the client asked for it, for an HTTP/1.0 request
 * without keep-alive, when the site allows none, or for the connection's
 * last request (@a last). Pure: counting is the caller's (http_conn).
 *
 * @param last  the connection serves nothing after this (request bound)
 * @return bytes written to @a hdr (header plus any inline body, > 0), 0
 *         for an upcall, -ENOSPC if @a hdr_cap is too small
 *         (HTTP_HDR_MAX always suffices)
 */
int http_respond(const struct http_req *req, const struct http_site *site, bool last,
		 uint64_t now, struct http_resp *resp, uint8_t *hdr, size_t hdr_cap);

/**
 * An error answer without a request to go on (parse errors, 408): short
 * text body, Connection: close when @a close.
 * @return bytes written (> 0) or -ENOSPC
 */
int http_respond_error(uint16_t status, bool close, bool head, const struct http_site *site,
		       uint64_t now, struct http_resp *resp, uint8_t *buf, size_t cap);

/**
 * Frame control's answer to an upcall. @a resp is the pending response
 * http_conn handed out (its head, close and method are kept); status,
 * body and lengths are filled in and the header and body written to @a buf.
 * A status outside 200..599 becomes 502; 204 and 304 carry no body.
 * Counted in site->ctr.
 * @param content_type  e.g. "application/json"; NULL for text/plain
 * @return bytes written (header + body, > 0) or -ENOSPC
 */
int http_respond_upcall(struct http_resp *resp, const struct http_site *site, uint64_t now,
			uint16_t status, const char *content_type, struct span body,
			uint8_t *buf, size_t cap);

/**
 * Turn the object answer @a resp into 503 Service Unavailable with
 * Retry-After: @a retry_after seconds (RFC 9110 sec 15.6.4, 10.2.3; 0 is
 * sent as 1) and a short text body (none for HEAD), written to @a buf
 * from its start. Method, head and persistence of @a resp are kept, so a
 * keep-alive client retries on the same connection. Pure: http_conn
 * counts it like any answer.
 * @return bytes written (> 0) or -ENOSPC (HTTP_HDR_MAX always suffices)
 */
int http_respond_busy(struct http_resp *resp, const struct http_site *site, uint64_t now,
		      uint32_t retry_after, uint8_t *buf, size_t cap);

/** "HTTP/1.1 100 Continue\r\n\r\n" (RFC 9110 sec 10.1.1); @return its length or -ENOSPC. */
int http_respond_continue(uint8_t *buf, size_t cap);

/**
 * IMF-fixdate of @a unix_s (RFC 9110 sec 5.6.7) into @a out, plus a NUL.
 * Times past 9999-12-31 are clamped there. @return HTTP_DATE_LEN.
 */
size_t http_date(uint64_t unix_s, char out[HTTP_DATE_LEN + 1]);

/** Content-Type for an object name, by extension (case-insensitive). */
const char *http_content_type(const char *name, size_t len);

/**
 * Does If-None-Match value @a inm match strong validator @a etag (RFC 9110
 * sec 13.1.2: "*", or any listed tag by weak comparison)?
 */
bool http_etag_match(struct span inm, const char *etag);

#endif
