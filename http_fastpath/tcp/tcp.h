/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp.h
 * A server-side TCP written for one job: passive open on one port, a small
 * request in, a large immutable cache object out (iPXE pulling bzImage and
 * init.xz from every client at once).
 *
 * Pure C over byte buffers, no DPDK (docs/style.md rule 1). The glue parses
 * Ethernet/IPv4, verifies the TCP checksum and hands the TCP bytes in with
 * tcp_input(); the core answers with actions appended to a caller-owned
 * bounded queue (struct tcp_out); timers are data (tcp_next_deadline(),
 * tcp_timers()); the clock is an argument in microseconds.
 *
 * One tcp_table belongs to one lcore; nothing in it is shared, nothing is
 * allocated after tcp_table_create().
 *
 * Connection ids (uint32_t, < cfg.capacity) are stable for the life of a
 * connection and reused after it closes: the app and the glue may keep
 * per-connection state in arrays indexed by id, and must drop it when told
 * the connection closed (tcp_app_ops.on_close and the TCP_ACT_CLOSED
 * action, both given for every connection that was ever reported to the
 * app).
 *
 * RFCs: 9293 (793) TCP, 5961 blind-attack defences, 6528 ISNs, 4987 SYN
 * cookies, 7323 window scale and timestamps, 2018 SACK, 6675 SACK loss
 * recovery, 5681 congestion control, 6582 NewReno, 6928 initial window,
 * 3465 byte counting, 3042 limited transmit, 8985 RACK-TLP loss
 * detection, 6298 RTO, 1122 persist and SWS avoidance.
 */
#ifndef STP_TCP_H
#define STP_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "object.h"
#include "span.h"
#include "tcp_counters.h"

/** "No connection": TCP_ACT_SEND of stateless answers (RST, SYN cookie), lookups. */
#define TCP_NO_CONN UINT32_MAX
/** Longest TCP option area (RFC 9293 sec 3.1: data offset <= 15 words). */
#define TCP_OPT_MAX 40
/**
 * Send chunks queued per connection: object ranges and runs of tx bytes
 * (consecutive tcp_send_bytes() calls merge into one), e.g. 8 pipelined
 * responses of headers + body.
 */
#define TCP_CHUNKS 16
/** Free entries tcp_input() needs in the queue to start (RST + CLOSED + ACK + spare). */
#define TCP_OUT_RESERVE 4u

/* TCP header flags (RFC 9293 sec 3.1) */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/** Why a connection was closed (TCP_ACT_CLOSED, on_close). X(name, help) */
#define TCP_CLOSE_REASONS(X)                                                \
	X(DONE, "both FINs exchanged and acknowledged (or TIME_WAIT over)")  \
	X(RESET, "the peer sent an acceptable RST")                           \
	X(RETRIES, "retransmission limit reached (RST sent)")                 \
	X(IDLE, "idle timeout (RST sent)")                                   \
	X(ABORT, "the app aborted it (RST sent)")                             \
	X(EVICTED, "half-open slot taken for a completed handshake")          \
	X(TW_REUSE, "TIME_WAIT slot reused by a new SYN or a full table")     \
	X(DESTROY, "table destroyed")

enum tcp_close_reason {
#define X(name, help) TCP_CLOSE_##name,
	TCP_CLOSE_REASONS(X)
#undef X
	TCP_CLOSE_N
};

/** Name of a close reason ("DONE", ...), "?" when out of range. */
const char *tcp_close_reason_name(int reason);

/**
 * A TCP segment for us. Addresses in host order. @a tcp is the TCP header
 * and payload (IP total length minus IP header), checksum already verified
 * by the glue; it must stay valid for the duration of tcp_input() only.
 */
struct tcp_seg_in {
	uint32_t src_ip, dst_ip;
	struct span tcp;
};

enum tcp_act_kind {
	TCP_ACT_SEND = 1,          /* build and transmit one segment */
	TCP_ACT_CLOSED,            /* connection @a conn is gone: release its state */
};

enum tcp_pl_kind {
	TCP_PL_NONE = 0,           /* no payload */
	TCP_PL_BYTES,              /* pl.bytes: the connection's tx byte buffer */
	TCP_PL_OBJECT,             /* pl.obj: a range of a cache object */
};

/**
 * One action. For TCP_ACT_SEND the glue builds IPv4 (src_ip -> dst_ip) +
 * TCP (src_port -> dst_port, seq, ack, flags, win, opt[opt_len], data
 * offset = 5 + opt_len / 4) + payload, computes the checksum (header sum
 * plus obj_sum_range() for object payload: object segments start at
 * multiples of the connection's segment size from the chunk start, so the
 * precomputed 1448/1460 block sums apply for chunks starting at offset 0)
 * and transmits. @a win is the 16-bit field as it goes on the wire
 * (already shifted right by our window scale).
 *
 * Payload ownership: TCP_PL_BYTES points into the connection's tx byte
 * buffer and is valid only until the next call into the core (copy it
 * into the frame at once); TCP_PL_OBJECT references the object, which
 * the app keeps alive (cache pin) until the connection's TCP_ACT_CLOSED.
 */
struct tcp_act {
	uint8_t kind;              /* enum tcp_act_kind */
	uint8_t flags;             /* TCP_FIN | TCP_SYN | ... */
	uint8_t opt_len;           /* multiple of 4, <= TCP_OPT_MAX */
	uint8_t pl_kind;           /* enum tcp_pl_kind */
	uint32_t conn;             /* connection id, or TCP_NO_CONN */
	uint32_t src_ip, dst_ip;   /* host order; src is us */
	uint16_t src_port, dst_port;
	uint32_t seq, ack;
	uint16_t win;
	uint16_t reason;           /* TCP_ACT_CLOSED: enum tcp_close_reason */
	uint32_t pl_len;           /* payload bytes */
	union {
		const uint8_t *bytes;  /* TCP_PL_BYTES */
		struct {
			const struct stp_object *obj;
			uint64_t off;
		} o;                   /* TCP_PL_OBJECT */
	} pl;
	uint8_t opt[TCP_OPT_MAX];
};

/** The caller-owned action queue: act[0..cap), n used. */
struct tcp_out {
	struct tcp_act *act;
	unsigned cap, n;
};

struct tcp_table;

/**
 * The application (HTTP) plugged into the table. Called from inside
 * tcp_input() / tcp_timers() / tcp_output(): the app may call the
 * tcp_rx_*, tcp_send_*, tcp_shutdown() and tcp_abort() functions on
 * @a conn (only) from on_data; it must not call tcp_input(), tcp_timers()
 * or tcp_output() from a callback.
 */
struct tcp_app_ops {
	/** New in-order bytes in the rx buffer, or the peer's FIN (tcp_rx_eof()). */
	void (*on_data)(void *app, uint32_t conn, struct tcp_table *t, uint64_t now_us);
	/** @a conn is closed (enum tcp_close_reason); its id will be reused. */
	void (*on_close)(void *app, uint32_t conn, int reason);
};

/** Timing, all in microseconds. Zero fields take the TCP_TIMING_DEFAULT value. */
struct tcp_timing {
	uint32_t rto_initial;      /* RFC 6298 sec 2.1: 1 s */
	uint32_t rto_min;          /* 200 ms (RFC 6298 says 1 s; LAN practice is lower) */
	uint32_t rto_max;          /* 60 s cap of the backoff (RFC 6298 sec 2.5) */
	uint32_t max_retries;      /* RTO expiries in a row before RST (8) */
	uint32_t syn_retries;      /* SYN-ACK retransmissions before giving up (3) */
	uint64_t idle_timeout;     /* nothing received for this long: RST (60 s) */
	uint32_t time_wait;        /* TIME_WAIT duration (1 s: short, slot reusable) */
};

#define TCP_TIMING_DEFAULT                                                 \
	((struct tcp_timing){ .rto_initial = 1000000, .rto_min = 200000,   \
			      .rto_max = 60000000, .max_retries = 8,        \
			      .syn_retries = 3, .idle_timeout = 60000000,   \
			      .time_wait = 1000000 })

struct tcp_table_cfg {
	uint32_t capacity;         /* connections at most (http.max_connections per lcore) */
	uint32_t local_ip;         /* host order */
	uint16_t local_port;       /* http.port, 80 */
	uint16_t mss;              /* our MSS: MTU - 40 (1460); clamps the peer's */
	uint32_t rx_buf;           /* rx bytes per connection (4096): bounds our window */
	uint32_t tx_buf;           /* tx byte buffer per connection (1024): headers */
	uint32_t syn_backlog;      /* half-open connections before SYN cookies (capacity / 2) */
	uint32_t burst;            /* segments per connection per tcp_input() (16) */
	uint32_t timer_budget;     /* connections per tcp_timers() call (64) */
	uint32_t challenge_ack_limit; /* challenge ACKs and RSTs per second (RFC 5961 sec 7), 1000 */
	uint8_t secret[16];        /* random per start: ISNs (RFC 6528), cookies (RFC 4987) */
	struct tcp_timing timing;
	struct tcp_app_ops ops;
	void *app;
};

/**
 * Validate @a cfg and allocate everything (connections, buffers, hash,
 * timer heap). Not on the packet path.
 * @return the table, or NULL (errno EINVAL for a bad config, ENOMEM).
 */
struct tcp_table *tcp_table_create(const struct tcp_table_cfg *cfg);

/** Free the table. Calls on_close(DESTROY) for live connections. */
void tcp_table_destroy(struct tcp_table *t);

/**
 * Bring @a t back to the state tcp_table_create() left it in, keeping its
 * memory: on_close(DESTROY) for live connections, then every connection,
 * buffer byte, counter, timer and rate limit as new (same config and
 * secret, so the same ISNs and hash). O(capacity); for tests and fuzz
 * harnesses that run many independent cases on one table.
 */
void tcp_table_reset(struct tcp_table *t);

/**
 * Handle one segment (RFC 9293 sec 3.10.7 "SEGMENT ARRIVES", with the
 * RFC 5961 checks). Answers, data segments (at most cfg.burst; the rest
 * via the ready list, see tcp_ready_pop()) and closes go to @a out.
 * App callbacks run from here.
 * @return 0 (segment handled or dropped with a counted reason), or
 * -ENOBUFS if @a out has fewer than TCP_OUT_RESERVE free entries
 * (nothing done, counted as drop_out_full).
 */
int tcp_input(struct tcp_table *t, const struct tcp_seg_in *seg, uint64_t now_us,
	      struct tcp_out *out);

/**
 * Run due timers: retransmission (RFC 6298), tail loss probe and RACK
 * reordering timer (RFC 8985), persist probes (RFC 1122 sec 4.2.2.17),
 * SYN-ACK retransmission, idle timeout, TIME_WAIT end.
 * Handles at most cfg.timer_budget connections and stops when @a out has
 * fewer than TCP_OUT_RESERVE free entries; call again while
 * tcp_next_deadline() <= now.
 * @return connections handled.
 */
int tcp_timers(struct tcp_table *t, uint64_t now_us, struct tcp_out *out);

/**
 * Earliest time tcp_timers() has work; UINT64_MAX if none. May be early
 * (then tcp_timers() just re-arms), never late.
 */
uint64_t tcp_next_deadline(const struct tcp_table *t);

/**
 * Let connection @a conn send: up to @a budget segments (data the window
 * allows, a pending ACK/window update, FIN, a pending abort's RST),
 * never more than @a out can hold minus 1 entry (kept for a CLOSED).
 * If it still has something to send afterwards, it goes back on the
 * ready list. Fairness under a storm: the glue round-robins
 * tcp_ready_pop() + tcp_output(..., small budget).
 * @return segments queued (0 for a free id).
 */
int tcp_output(struct tcp_table *t, uint32_t conn, uint64_t now_us, struct tcp_out *out,
	       unsigned budget);

/**
 * Pop the next connection that wants to send (FIFO, each at most once in
 * the list). @return its id or TCP_NO_CONN.
 */
uint32_t tcp_ready_pop(struct tcp_table *t);

/** Connections in the ready list. */
uint32_t tcp_ready_count(const struct tcp_table *t);

/* --- application side (valid for a live connection id) --- */

/** The in-order request bytes not yet consumed (valid until the next core call). */
struct span tcp_rx_peek(const struct tcp_table *t, uint32_t conn);

/**
 * Drop @a n bytes from the head of the rx buffer, opening the window; a
 * window update is sent if the window had closed (RFC 1122 sec 4.2.3.3).
 */
void tcp_rx_consume(struct tcp_table *t, uint32_t conn, size_t n);

/** True once the peer's FIN arrived in order (no more request bytes). */
bool tcp_rx_eof(const struct tcp_table *t, uint32_t conn);

/**
 * Queue @a n bytes (copied into the connection's tx byte buffer, cfg.tx_buf
 * bytes; headers) after everything queued so far.
 * @return 0, -ENOSPC (buffer or chunk slots full: nothing queued),
 * -EPIPE (after tcp_shutdown()), -EINVAL (bad conn).
 */
int tcp_send_bytes(struct tcp_table *t, uint32_t conn, const void *p, size_t n);

/**
 * Queue the range [off, off+len) of @a o by reference (no copy) after
 * everything queued so far. The app keeps @a o alive until TCP_ACT_CLOSED
 * or until tcp_tx_queued() shows it drained.
 * @return 0, -ENOSPC (TCP_CHUNKS chunks queued), -EINVAL (range outside
 * the object, len 0 or > 1 GiB, bad conn), -EPIPE (after tcp_shutdown()).
 */
int tcp_send_object(struct tcp_table *t, uint32_t conn, const struct stp_object *o,
		    uint64_t off, uint64_t len);

/** Send FIN after everything queued (server close, e.g. Connection: close). */
int tcp_shutdown(struct tcp_table *t, uint32_t conn);

/** Reset the connection (RST) and close it (TCP_CLOSE_ABORT) at the next output. */
int tcp_abort(struct tcp_table *t, uint32_t conn);

/** Bytes queued and not yet acknowledged (app flow control). */
uint64_t tcp_tx_queued(const struct tcp_table *t, uint32_t conn);

/** Free chunk slots (tcp_send_object() calls that would succeed now). */
unsigned tcp_tx_chunks_free(const struct tcp_table *t, uint32_t conn);

/* --- segmentation offload (TSO) --- */

/**
 * May @a next leave in the same TSO frame as the run that starts with
 * @a first, carries @a run_len payload bytes so far and whose segments
 * had the flags @a run_flags (OR of them)? True when both carry object
 * payload of one connection, contiguous in sequence space and in the
 * object, every segment so far is a full @a first->pl_len (the TSO
 * segment size) and plain ACK, @a next is ACK (PSH allowed: it ends the
 * run) with at most that size, the headers are equal but for seq, and
 * the run stays within @a max_len payload bytes.
 */
bool tcp_act_tso_next(const struct tcp_act *first, uint32_t run_len, uint8_t run_flags,
		      const struct tcp_act *next, uint32_t max_len);

/* --- introspection --- */

/** Connections in use (any state but CLOSED). */
uint32_t tcp_active(const struct tcp_table *t);

const struct tcp_counters *tcp_table_counters(const struct tcp_table *t);

/** Remote address of @a conn (host order), false if free. */
bool tcp_conn_peer(const struct tcp_table *t, uint32_t conn, uint32_t *ip, uint16_t *port);

/**
 * The connection id of peer @a ip (host order) and @a port, e.g. to learn
 * which connection a segment just handed to tcp_input() was for (the app
 * hears of pure ACKs no other way). One hash lookup.
 * @return the id, or TCP_NO_CONN when no live connection has that peer
 */
uint32_t tcp_conn_lookup(struct tcp_table *t, uint32_t ip, uint16_t port);

#endif
