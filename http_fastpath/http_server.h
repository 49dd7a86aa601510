/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_server.h
 * The HTTP server core: one lcore's HTTP/1.1 service on top of the TCP
 * core (tcp/) and the per-connection HTTP state (http/http_conn). Plain C
 * over byte buffers with an explicit clock and no DPDK (docs/design.md,
 * "Layering"): the glue hands in TCP segments, calls the poll, and carries
 * out what comes back; it never joins TCP and HTTP itself.
 *
 * A request's walk: http_server_input() -> tcp_input() -> on_data ->
 * http_conn_on_data() -> responses queued on the connection -> back to
 * the glue once, with every frame to send and every application action
 * in one struct http_out.
 *
 * Slots.  One struct http_slot per TCP connection id (the same index),
 * opened with the connection's first segment out of us and released when
 * the TCP core closes it. A slot's serial counts its uses, so a late
 * upcall answer for a connection that is gone is recognised.
 *
 * Deadlines.  Every open slot's HTTP deadline (slowloris head timeout or
 * keep-alive idle, see http_conn.h) sits in an indexed min-heap; a poll
 * with nothing due looks at the heap top only. Keys are lazy: a deadline
 * that moves later keeps its earlier key, and the slot is re-queued when
 * it pops early, so a keep-alive request costs no heap work.
 *
 * Admission.  With cfg.max_transfers > 0 at most that many large
 * transfers run at once: a GET whose object body is at least
 * cfg.large_min bytes starts one when its body is queued, and it ends when
 * the client has acknowledged the body (learnt from the segments of that
 * connection, one hash lookup each while transfers are counted) or the
 * connection closes. Past the budget a GET or HEAD of a large object gets
 * 503 with Retry-After; smaller objects (scripts) and API calls are always
 * answered. A connection holds at most one transfer: what it pipelines
 * behind a large body waits behind it on the wire anyway. Retry-After is
 * the queue ahead, transfers_in_flight / max_transfers rounds of one
 * transfer's time (a moving average of the measured ones, seeded with
 * cfg.transfer_est_us), plus a jitter in [0, that) drawn from a hash of
 * cfg.seed, the connection and the refusal count, so refused clients come
 * back spread out; 1 to HTTP_SERVER_RETRY_AFTER_MAX seconds.
 *
 * Clock.  @a now_us is monotonic microseconds (TCP timers, HTTP
 * deadlines); Date headers use now_us + cfg.wall_offset_us.
 *
 * Outputs (caller-owned, filled by every entry point):
 *  - out->tcp: frames to build, as the TCP core defines them (tcp.h);
 *    TCP_PL_BYTES payloads are valid until the next call into the server;
 *  - out->act: application actions, in order:
 *    HTTP_ACT_PIN      the slot starts sending a cache object looked up
 *                      now: see that the version lookups come from now is
 *                      pinned, token in http_server_slot(s, slot)->pin.
 *                      With HTTP_PIN_DRAINED in flags every earlier object
 *                      of the slot is acknowledged, so an earlier pin may
 *                      be given up for it; without, the earlier pin must
 *                      also cover the newer version;
 *    HTTP_ACT_UNPIN    the slot is closed: release the token in ->pin;
 *    HTTP_ACT_UPCALL   pass an /api/ request to control; target and body
 *                      are valid until the next call into the server; the
 *                      answer comes back with http_server_upcall_answer();
 *    HTTP_ACT_SERVED   a boot-stage object (OBJ_F_BOOT_STAGE) was handed
 *                      out with 200/206: tell control.
 * Carry out out->tcp before out->act; UNPIN after the frames of the same
 * call, since they may reference object bytes.
 */
#ifndef STP_HTTP_SERVER_H
#define STP_HTTP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "http_conn.h"
#include "http_counters.h"
#include "http_resp.h"
#include "ipv4_addr.h"
#include "span.h"
#include "tcp.h"

/** Segments one connection sends per turn of the ready list (fairness). */
#define HTTP_SERVER_SEGS_PER_TURN 16u
/** Free TCP entries a call needs to make progress. */
#define HTTP_SERVER_OUT_MIN (TCP_OUT_RESERVE + HTTP_SERVER_SEGS_PER_TURN)
/** Application actions one call can produce at most (size out->act so). */
#define HTTP_SERVER_ACTS_MIN (2u * HTTP_CONN_MAX_PER_CALL + 4u)
/** Longest Retry-After sent, seconds: a client told more may give up. */
#define HTTP_SERVER_RETRY_AFTER_MAX 60u

/** Per-lcore server counters beside the HTTP and TCP ones. X(name, help) */
#define HTTP_SERVER_COUNTERS(X)                                                 \
	X(upcalls_passed, "requests passed to control")                                \
	X(upcall_busy, "upcalls answered 503: control's pool or ring full")     \
	X(upcall_stale, "control answers for a connection that had gone")       \
	X(upcall_too_large, "upcalls answered 413: target or body over the message") \
	X(served_reports, "boot-stage objects reported to control")             \
	X(deadline_visits, "slots whose HTTP deadline was examined (heap pops)") \
	X(admission_503, "large GET/HEAD answered 503 + Retry-After: budget full") \
	X(transfers_started, "large object bodies queued (admitted transfers)") \
	X(transfers_done, "transfers whose body the client acknowledged")       \
	X(transfers_cut, "transfers ended by their connection closing first")   \
	X(transfers_in_flight, "gauge: transfers started and not yet ended")

struct http_server_counters {
#define X(name, help) uint64_t name;
	HTTP_SERVER_COUNTERS(X)
#undef X
};

#define HTTP_SERVER_N_COUNTERS (sizeof(struct http_server_counters) / sizeof(uint64_t))
extern const char *const http_server_counter_names[HTTP_SERVER_N_COUNTERS];

enum http_act_kind {
	HTTP_ACT_PIN = 1,
	HTTP_ACT_UNPIN,
	HTTP_ACT_UPCALL,
	HTTP_ACT_SERVED,
};

#define HTTP_PIN_DRAINED 0x01u    /* no earlier object of the slot still queued */

/** One application action (see the file comment). */
struct http_act {
	uint8_t kind;               /* enum http_act_kind */
	uint8_t method;             /* UPCALL: enum http_method */
	uint8_t flags;              /* PIN: HTTP_PIN_DRAINED */
	uint16_t status;            /* SERVED: 200 or 206 */
	uint32_t slot;              /* connection id */
	uint32_t serial;            /* UPCALL: the slot's use, to match the answer */
	uint32_t peer_ip;           /* host order */
	struct span target;         /* UPCALL */
	struct span body;           /* UPCALL */
	const struct stp_object *obj; /* SERVED */
};

/** What one call produces; the caller owns both arrays and resets n. */
struct http_out {
	struct tcp_out tcp;
	struct http_act *act;
	unsigned act_cap, act_n;
};

/**
 * One connection's HTTP side. The core owns all but the fields marked
 * "glue": those it only zeroes when the slot opens.
 */
struct http_slot {
	struct http_conn http;
	struct http_resp upcall;    /* the response control's answer completes */
	uint64_t pin;               /* glue: cache pin token, 0 none */
	struct mac_addr peer_mac;   /* glue: link address the client's frames came from */
	uint32_t serial;            /* uses of this slot id */
	bool open;
	bool pinned;                /* an HTTP_ACT_PIN went out for this use */
	bool xfer;                  /* holds one of the admitted transfers */
	uint64_t tx_total;          /* bytes queued on this use of the slot */
	uint64_t obj_end;           /* tx_total after the last object queued */
	uint64_t xfer_end;          /* tx_total after the transfer's last body byte */
	uint64_t xfer_t0;           /* now_us when the transfer started */
};

struct http_server_cfg {
	struct tcp_table_cfg tcp;   /* ops and app are set by the server */
	struct http_site site;      /* ctr and admission are set by the server */
	uint64_t wall_offset_us;    /* now_us + this = unix time in us */
	uint32_t upcall_target_max; /* longer targets get 413 (upcall message room) */
	uint32_t upcall_body_max;   /* longer bodies get 413 */
	uint32_t max_transfers;     /* large transfers at once; 0: no admission */
	uint64_t large_min;         /* body bytes from which an object is large */
	uint64_t transfer_est_us;   /* first guess of one transfer's time; 0: 1 s */
	uint64_t seed;              /* jitter source (a random number, fixed in tests) */
};

struct http_server;

/**
 * Allocate the server and its TCP table for cfg->tcp.capacity
 * connections. Not on the packet path.
 * @return the server, or NULL (errno EINVAL, ENOMEM)
 */
struct http_server *http_server_create(const struct http_server_cfg *cfg);

/** Free everything. Live slots produce no actions: unpin before, if needed. */
void http_server_destroy(struct http_server *s);

/**
 * One TCP segment for our address and port (checksum verified by the
 * glue). @return 0, or -ENOBUFS when @a out has fewer than
 * HTTP_SERVER_OUT_MIN free TCP entries or HTTP_SERVER_ACTS_MIN free
 * actions (nothing done: carry out and call again).
 */
int http_server_input(struct http_server *s, const struct tcp_seg_in *seg, uint64_t now_us,
		      struct http_out *out);

/**
 * Due TCP timers, due HTTP deadlines (408 or close), and one round of the
 * ready list (HTTP_SERVER_SEGS_PER_TURN segments per connection) while
 * @a out has room. Bounded work per call.
 * @return true if work is left that did not fit @a out (carry out and
 *         call again to go on), false when everything due is done
 */
bool http_server_poll(struct http_server *s, uint64_t now_us, struct http_out *out);

/**
 * Control's answer to the upcall of @a slot use @a serial: framed and
 * queued, then requests pipelined behind it are parsed. An answer for a
 * slot that closed or was reused meanwhile is counted (upcall_stale) and
 * dropped. @return 0, -ESTALE (dropped), -ENOBUFS (as for input).
 */
int http_server_upcall_answer(struct http_server *s, uint32_t slot, uint32_t serial,
			      uint16_t status, bool json, struct span body, uint64_t now_us,
			      struct http_out *out);

/**
 * The glue could not pass the upcall on (pool or ring full): answer
 * 503 "control busy" at once, counted in upcall_busy. Same returns.
 */
int http_server_upcall_busy(struct http_server *s, uint32_t slot, uint32_t serial,
			    uint64_t now_us, struct http_out *out);

/** Earliest time http_server_poll() has timer work; UINT64_MAX if none. */
uint64_t http_server_deadline(const struct http_server *s);

/** The slot of connection @a id (< capacity), for the glue's fields. */
struct http_slot *http_server_slot(struct http_server *s, uint32_t id);

uint32_t http_server_capacity(const struct http_server *s);
uint32_t http_server_active(const struct http_server *s);
const struct tcp_table *http_server_tcp(const struct http_server *s);
const struct http_counters *http_server_http_counters(const struct http_server *s);
const struct http_server_counters *http_server_counters(const struct http_server *s);

#endif
