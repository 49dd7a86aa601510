/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_counters.h
 * Per-lcore HTTP counters: an X-macro table of named events plus one slot
 * per method, status class, status code we send, and parse error. Written
 * only by the lcore that owns the connections (http_conn and
 * http_respond_upcall()); the control thread reads and sums them, and
 * http_counters_json() renders them for GET /api/v1/status.
 */
#ifndef STP_HTTP_COUNTERS_H
#define STP_HTTP_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"

/* X(name, help) */
#define HTTP_COUNTERS(X)                                                         \
	X(requests, "requests parsed (any method)")                              \
	X(responses, "responses built")                                          \
	X(body_bytes, "body bytes of responses (HEAD, 304 excluded)")            \
	X(upcalls, "requests passed to control (/api/)")                         \
	X(upcall_answers, "control answers framed")                              \
	X(keepalive_reuse, "requests after the first on a connection")           \
	X(traversal, "targets refused for a '..' component, however encoded")   \
	X(bad_escape, "targets refused for a bad escape or decoded control")    \
	X(not_found, "targets naming no object")                                 \
	X(head_timeouts, "connections closed by the head deadline")              \
	X(idle_timeouts, "keep-alive connections closed idle")                   \
	X(ignored_after_close, "bytes discarded after a Connection: close")      \
	X(out_full, "calls stopped early: response array or buffer full")        \
	X(expect_continue, "100 Continue sent")

/* Statuses counted one by one: X(code, reason phrase) (RFC 9110 sec 15). */
#define HTTP_STATUSES(X)                               \
	X(200, "OK")                                   \
	X(206, "Partial Content")                      \
	X(304, "Not Modified")                         \
	X(400, "Bad Request")                          \
	X(404, "Not Found")                            \
	X(405, "Method Not Allowed")                   \
	X(408, "Request Timeout")                      \
	X(413, "Content Too Large")                    \
	X(414, "URI Too Long")                         \
	X(416, "Range Not Satisfiable")                \
	X(431, "Request Header Fields Too Large")      \
	X(500, "Internal Server Error")                \
	X(501, "Not Implemented")                      \
	X(503, "Service Unavailable")                  \
	X(505, "HTTP Version Not Supported")

enum http_status_idx {
#define X(code, reason) HTTP_S_##code,
	HTTP_STATUSES(X)
#undef X
	HTTP_S_N
};

struct http_counters {
#define X(name, help) uint64_t name;
	HTTP_COUNTERS(X)
#undef X
	uint64_t method[HTTP_M_N];          /* requests by enum http_method */
	uint64_t status_class[6];           /* responses by status / 100 (1..5) */
	uint64_t status[HTTP_S_N];          /* responses by HTTP_STATUSES */
	uint64_t perr[HTTP_PERR_N];         /* refused requests by reason */
};

#define HTTP_N_COUNTERS (sizeof(struct http_counters) / sizeof(uint64_t))

/** Names of every slot of struct http_counters, in order. */
extern const char *const http_counter_names[HTTP_N_COUNTERS];

/** Count one response: status, class, body bytes. @a c may be NULL. */
void http_counters_resp(struct http_counters *c, uint16_t status, uint64_t body_bytes);

/** Reason phrase of @a status ("" for codes we have none for: allowed). */
const char *http_reason(uint16_t status);

/**
 * Render @a c as one flat JSON object {"name": value, ...} with the names
 * of http_counter_names.
 * @return bytes written (no NUL counted, one is added), or -ENOSPC.
 */
int http_counters_json(const struct http_counters *c, char *buf, size_t cap);

#endif
