/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_conn.h
 * Per-connection HTTP state above a byte stream: pipelined requests,
 * persistence, the slowloris deadline and the upcall hand-off. Transport
 * agnostic: the glue passes the received bytes (from the first one not yet
 * consumed) and sends what comes out; this module never sends.
 *
 * Deadlines.  The first byte of a request head arms head_deadline
 * (site->head_timeout_us); only a complete request (head and body)
 * disarms it, so neither a trickled head nor a trickled body holds a
 * connection longer. Between requests idle_deadline (site->idle_timeout_us)
 * bounds a quiet keep-alive connection. The glue asks http_conn_deadline()
 * and calls http_conn_on_timeout() when it passes. The clock is wall time
 * in microseconds since the epoch, read once per burst by the glue (the
 * Date header is taken from it); a wall-clock step only moves deadlines.
 *
 * Upcalls.  A request under /api/ comes out with resp.upcall set and its
 * target and body as spans into rx; the glue copies them into a bounded
 * message to control before it consumes the bytes. Nothing more is parsed
 * on the connection until http_conn_upcall_done(), so answers leave in
 * request order without a reorder buffer.
 *
 * Split feeding.  The responses (bytes and order) do not depend on how
 * the stream was cut into calls, with one exception: an interim
 * "100 Continue" (RFC 9110 sec 10.1.1) goes out only when a head with
 * Expect: 100-continue arrived before its body, which is its purpose.
 *
 * Zero-filled is not a valid state: call http_conn_init().
 */
#ifndef STP_HTTP_CONN_H
#define STP_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"
#include "http_resp.h"
#include "span.h"

/** Requests answered per call at most: bounded work per burst
 * (docs/style.md rule 18). */
#define HTTP_CONN_MAX_PER_CALL 8

/** Header array size; site->lim.hdr_max above it still answers 431. */
#define HTTP_CONN_HDRS 64

#define HTTP_NO_DEADLINE UINT64_MAX

struct http_conn {
	uint64_t head_deadline;    /* HTTP_NO_DEADLINE unless a request is partial */
	uint64_t idle_deadline;    /* HTTP_NO_DEADLINE unless idle with keep-alive */
	uint32_t requests;         /* requests answered (or passed up) so far */
	uint32_t scanned;          /* rx bytes the last parse saw (AGAIN) */
	uint32_t want;             /* head complete, body awaited: rx bytes needed */
	bool close_after;          /* a response said close: the rest is ignored */
	bool upcall_pending;       /* waiting for control's answer */
	bool continue_sent;        /* 100 Continue sent for the pending request */
};

/** One response produced, in request order. */
struct http_conn_resp {
	struct http_resp resp;
	struct span hdr;           /* header bytes (+ inline body) in out->buf */
	struct span target;        /* upcall only: spans into rx, valid until */
	struct span body;          /* the glue consumes those bytes */
};

/**
 * Caller-owned output: @a v has @a cap entries, @a buf has @a buf_cap
 * bytes; on_data appends (n, buf_len grow) and the glue resets them once
 * it has sent. @a more: stopped with bytes left (per-call bound or no room
 * in v or buf); call again once the output is drained.
 */
struct http_conn_out {
	struct http_conn_resp *v;
	unsigned cap;
	unsigned n;
	uint8_t *buf;
	size_t buf_cap;
	size_t buf_len;
	bool more;
};

/** A fresh connection accepted at @a now_us: the idle deadline runs. */
void http_conn_init(struct http_conn *c, const struct http_site *site, uint64_t now_us);

/**
 * Parse and answer as many complete requests at the front of @a rx as
 * fit (at most HTTP_CONN_MAX_PER_CALL).
 *
 * A malformed request gets its error answer with Connection: close, as
 * does a 413/414/431; after any response that closes, every further byte
 * is consumed and ignored (counted), and the glue closes once it has
 * sent. A request whose answer finds no room is left unconsumed.
 *
 * @param rx  received bytes from the first one not consumed yet
 * @return bytes consumed (<= rx.len); the glue drops them from its buffer
 */
size_t http_conn_on_data(struct http_conn *c, struct span rx, uint64_t now_us,
			 const struct http_site *site, struct http_conn_out *out);

/** Earliest deadline the glue must call http_conn_on_timeout() at. */
uint64_t http_conn_deadline(const struct http_conn *c);

/**
 * The clock reached a deadline. A partial request gets 408 Request Timeout
 * (with close) in @a out; an idle keep-alive connection just closes (RFC
 * 9112 sec 9.5).
 * @return true when the glue should close (after sending @a out), false
 *         if no deadline has passed
 */
bool http_conn_on_timeout(struct http_conn *c, uint64_t now_us, const struct http_site *site,
			  struct http_conn_out *out);

/**
 * Control answered the pending upcall and the glue framed it with
 * http_respond_upcall() into @a resp. Parsing resumes with the next call
 * to http_conn_on_data(); a closing answer ends the connection.
 */
void http_conn_upcall_done(struct http_conn *c, const struct http_resp *resp,
			   const struct http_site *site, uint64_t now_us);

#endif
