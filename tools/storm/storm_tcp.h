/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_tcp.h
 * The client-side TCP of stampede-storm: one virtual client's connection
 * to an HTTP server, written for receiving (a small request out, a script,
 * a kernel and an initrd in), as iPXE uses TCP, and fair to whatever
 * server it meets: MSS 1460, window scale 3 for a 256 KB window (as large
 * as iPXE's), SACK-permitted and timestamps on the SYN (RFC 9293, 7323,
 * 2018).
 *
 * Plain C over byte buffers with an explicit clock (docs/style.md rules
 * 1-4): the glue hands in received segments, calls stcp_timer() when
 * stcp_deadline() has come, and sends the Ethernet frames the calls append
 * to its struct storm_tx. No frame is transmitted, nothing is allocated.
 *
 * Memory. A connection (struct stcp, < 256 bytes, all-zero = CLOSED) holds
 * no buffers itself: 100,000 of them fit in 25 MB. Bytes that must wait --
 * out-of-order segments, and request bytes until the server ACKs them --
 * sit in 2 KB buffers of a per-lcore struct stcp_pool the caller sizes and
 * passes to every call that may take or give one back. A connection gives
 * all its buffers back when it closes or fails, so the caller never
 * releases anything but through stcp_close().
 *
 * Receiving. In-order bytes go straight to the caller's deliver callback
 * (the HTTP reader hashes and discards them), so the window never closes:
 * it is always the full 256 KB from rcv_nxt. Out-of-order segments are
 * copied into pool buffers (at most stcp_pool.per_conn_max per connection)
 * and reported in SACK blocks (RFC 2018); one that finds no buffer is
 * dropped and not SACKed, so the server resends it. ACKs: every second
 * segment, at once for an out-of-order segment, a gap being filled, PSH
 * or FIN (RFC 5681 sec 4.2), otherwise after STCP_DELACK_US.
 *
 * Sending. Request bytes (stcp_send(), up to STCP_SND_MAX queued) go out
 * within the server's window, are kept until ACKed, and are resent on
 * RTO (RFC 6298 estimator over timestamp echoes or one timed segment,
 * Karn's rule, exponential backoff) or after three duplicate ACKs (RFC
 * 5681 sec 3.2).
 *
 * Failures end a connection with a named cause (STCP_CAUSES): no answer
 * to the SYN, a reset, a refused connection, retransmissions unanswered,
 * silence for longer than the idle timeout. Nothing waits forever: every
 * state but CLOSED and FAILED has a deadline.
 *
 * The TCP checksum of a received segment is verified here, unless the
 * glue sets stcp_pool.csum_verified because the NIC did it.
 *
 * No TIME_WAIT: the caller uses a fresh local port for every connection.
 */
#ifndef STP_STORM_TCP_H
#define STP_STORM_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "storm_wire.h"

#define STCP_MSS 1460u               /* announced: a 1500-byte MTU less 40 */
#define STCP_WSCALE 3u               /* RFC 7323 sec 2: 32768 << 3 = 256 KB */
#define STCP_RCV_WND (256u * 1024u)  /* receive window, iPXE's size */
#define STCP_BUF_SIZE 2048u          /* one pool buffer */
#define STCP_SND_MAX STCP_BUF_SIZE   /* request bytes queued and unacked at most */
#define STCP_TX_RESERVE 4u           /* free frames every entry point needs */

#define STCP_SYN_RTO_US 1000000u     /* RFC 6298 sec 2.1: first SYN timeout 1 s */
#define STCP_SYN_RETRIES 3u          /* SYN resent at 1, 3, 7 s; failed at 15 s */
#define STCP_RTO_MIN_US 200000u      /* RFC 6298 says 1 s; LAN practice is lower */
#define STCP_RTO_MAX_US 60000000u    /* RFC 6298 sec 2.5: at least 60 s */
#define STCP_RETRIES 8u              /* RTO expiries in a row before giving up */
#define STCP_DELACK_US 40000u        /* delayed ACK (RFC 5681 sec 4.2: < 500 ms) */
#define STCP_IDLE_US 30000000u       /* default idle timeout (stcp_set_idle()) */
#define STCP_CLOSE_US 5000000u       /* FIN exchange time limit after stcp_close() */

/** Connection states: X(name). Only stcp_set_state() assigns them. */
#define STCP_STATES(X)      \
	X(CLOSED)           \
	X(SYN_SENT)         \
	X(ESTABLISHED)      \
	X(FIN_WAIT_1)       \
	X(FIN_WAIT_2)       \
	X(CLOSING)          \
	X(CLOSE_WAIT)       \
	X(LAST_ACK)         \
	X(FAILED)

enum stcp_state {
#define X(name) STCP_S_##name,
	STCP_STATES(X)
#undef X
	STCP_S_N
};

/** Why a connection failed: X(name, text). The text is what reports print. */
#define STCP_CAUSES(X)                                               \
	X(NONE, "")                                                  \
	X(CONNECT_TIMEOUT, "tcp: connect timeout")                   \
	X(REFUSED, "tcp: connection refused")                        \
	X(RESET, "tcp: reset")                                       \
	X(RETRANSMIT_TIMEOUT, "tcp: retransmit timeout")             \
	X(IDLE_TIMEOUT, "tcp: idle timeout")

enum stcp_cause {
#define X(name, text) STCP_C_##name,
	STCP_CAUSES(X)
#undef X
	STCP_C_N
};

/** What a call means for the caller (stcp_input(), stcp_timer()). */
enum stcp_event {
	STCP_IGNORED = 0,     /* not this connection's segment, or malformed (pool counters) */
	STCP_OPEN,            /* handled; nothing for the caller to do */
	STCP_ESTABLISHED,     /* the handshake completed in this call: send the request */
	STCP_CLOSED_BY_PEER,  /* the server's FIN arrived in order: no more bytes come */
	STCP_CLOSED,          /* finished cleanly (both FINs); the struct may be reused */
	STCP_FAILED,          /* failed with c->cause (stcp_cause_str()); may be reused */
};

/** Per-connection counters: X(name, help). */
#define STCP_COUNTERS(X)                                                    \
	X(retransmits, "our segments sent again (RTO, fast retransmit, SYN)")  \
	X(dup_segs, "segments received that carried nothing new")           \
	X(ooo_segs, "segments received ahead of a hole")                     \
	X(ooo_dropped, "out-of-order segments not kept (no buffer, limit)")  \
	X(sack_acks, "ACKs sent with SACK blocks")                           \
	X(bytes_rcvd, "payload bytes delivered in order")

struct stcp_counters {
#define X(name, help) uint64_t name;
	STCP_COUNTERS(X)
#undef X
};

/** Per-lcore counters of the pool and of segments no connection took. */
#define STCP_POOL_COUNTERS(X)                                               \
	X(bad_csum, "TCP checksum wrong")                                      \
	X(bad_hdr, "TCP header or options malformed")                         \
	X(not_ours, "addresses or ports of another connection")               \
	X(ooo_no_buf, "out-of-order segment not kept: pool down to its reserve") \
	X(ooo_conn_full, "out-of-order segment not kept: connection at its limit") \
	X(snd_no_buf, "stcp_send() refused: pool empty")

struct stcp_pool_counters {
#define X(name, help) uint64_t name;
	STCP_POOL_COUNTERS(X)
#undef X
};

/** One pool buffer's bookkeeping (private to storm_tcp.c). */
struct stcp_seg {
	uint32_t seq;        /* out-of-order: sequence number of byte 0 */
	uint32_t next;       /* next in the free or the connection's list: index + 1, 0 ends */
	uint16_t len;        /* bytes held */
	uint8_t fin;         /* out-of-order: the segment carried a FIN */
	uint8_t pad;
};

/**
 * The per-lcore buffer pool and the settings all its connections share.
 * Set up by stcp_pool_init(); the caller owns the memory. The counters
 * and csum_verified may be read and set by the caller at any time.
 */
struct stcp_pool {
	uint8_t *buf;                /* n * STCP_BUF_SIZE bytes */
	struct stcp_seg *seg;        /* n entries */
	uint32_t n, n_free;
	uint32_t free_head;          /* index + 1; 0: empty */
	uint32_t per_conn_max;       /* out-of-order segments per connection */
	uint32_t reserve;            /* buffers out-of-order data leaves to requests */
	bool csum_verified;          /* glue: the NIC checked TCP checksums, skip ours */
	struct stcp_pool_counters ctr;
};

/** Memory stcp_pool_init() needs for @a n buffers. */
#define STCP_POOL_BYTES(n) ((size_t)(n) * (STCP_BUF_SIZE + sizeof(struct stcp_seg)))

/**
 * One connection. All-zero is CLOSED with nothing held. Fields are
 * private but for @a state, @a cause and @a ctr, which the caller reads.
 */
struct stcp {
	uint8_t state;               /* enum stcp_state */
	uint8_t cause;               /* enum stcp_cause, when FAILED */
	uint8_t flags;               /* STCP_F_* (storm_tcp.c) */
	uint8_t snd_ws, rcv_ws;      /* window shifts: the server's, ours */
	uint8_t retries;             /* RTO expiries in a row (SYNs in SYN_SENT) */
	uint8_t dupacks;
	uint8_t segs_unacked;        /* in-order segments since our last ACK */
	uint16_t lport, dport;
	uint16_t snd_mss;            /* the server's MSS, clamped to ours */
	uint16_t snd_len;            /* request bytes held from snd_una on */
	uint32_t ooo_n;              /* out-of-order buffers held */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd;
	uint32_t rcv_nxt, last_ack_sent;
	uint32_t ts_recent, ts_off;  /* RFC 7323: last TSval to echo; our clock's offset */
	uint32_t rtt_seq;            /* timed segment (no timestamps): ACK beyond it */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t idle_us;            /* 0: no idle timeout */
	uint32_t snd_buf;            /* pool buffer of the request bytes: index + 1, 0 none */
	uint32_t ooo_head;           /* sorted list of out-of-order buffers: index + 1, 0 none */
	uint32_t ooo_last;           /* sequence number of the latest one (first SACK block) */
	uint64_t rtt_time;           /* when the timed segment left */
	uint64_t rto_at, delack_at, idle_at; /* deadlines; UINT64_MAX when unarmed */
	struct stcp_counters ctr;
};

/** The deliver callback: @a n in-order bytes at @a p, valid during the call only. */
typedef void (*stcp_deliver_fn)(void *ctx, const uint8_t *p, size_t n);

/**
 * Set up @a pool over @a mem (8-byte aligned, @a mem_len bytes; see
 * STCP_POOL_BYTES()). Not on the packet path.
 * @param per_conn_max  out-of-order segments one connection may hold
 *                      (about 180 cover a whole 256 KB window)
 * @param reserve       buffers out-of-order data never takes, so requests
 *                      can still be sent while loss fills the pool
 * @return buffers in the pool (> 0), or -EINVAL (too small, NULL, a
 *         reserve not below the buffer count)
 */
int stcp_pool_init(struct stcp_pool *pool, void *mem, size_t mem_len, uint32_t per_conn_max,
		   uint32_t reserve);

/**
 * Active open (RFC 9293 sec 3.10.1): send a SYN with MSS, SACK-permitted,
 * timestamps and window scale to a->srv_ip:@a dport from a->ip:@a lport.
 * @a c must be CLOSED or FAILED (all-zero, or after a close or failure).
 * @param iss  initial sequence number (RFC 6528: the caller's random)
 * @return 0, or -ENOBUFS when @a tx has fewer than STCP_TX_RESERVE free
 *         frames (nothing done), -EISCONN when @a c is in use
 */
int stcp_connect(struct stcp *c, const struct storm_addr *a, uint16_t lport, uint16_t dport,
		 uint32_t iss, uint64_t now_us, struct storm_tx *tx);

/**
 * Queue @a n request bytes (copied into a pool buffer until ACKed) and
 * send what the server's window allows. May be called in SYN_SENT: the
 * bytes go out with the handshake's end.
 * @return 0; -ENOBUFS when @a tx has fewer than STCP_TX_RESERVE free
 *         frames, -ENOMEM when the pool has no buffer (try again later),
 *         -EMSGSIZE beyond STCP_SND_MAX held, -ENOTCONN when not open or
 *         after stcp_close(): nothing queued in every error case
 */
int stcp_send(struct stcp *c, const struct storm_addr *a, const void *p, size_t n,
	      uint64_t now_us, struct stcp_pool *pool, struct storm_tx *tx);

/**
 * One received TCP segment (RFC 9293 sec 3.10.7 "SEGMENT ARRIVES", RFC
 * 5961 sec 3-5 against blind resets and SYNs, RFC 7323 sec 5 PAWS).
 *
 * @param pi   a frame pkt_parse() classified PKT_CLASS_TCP: pi->l4 is the
 *             TCP header and payload, valid during the call
 * @param deliver  called with each run of new in-order bytes; it must not
 *             call into @a c (act after stcp_input() returns)
 * @return an enum stcp_event (STCP_IGNORED for a segment of another
 *         connection, a bad checksum, a malformed header: counted in the
 *         pool), or -ENOBUFS when @a tx has fewer than STCP_TX_RESERVE
 *         free frames (nothing done: send the queue, call again)
 */
int stcp_input(struct stcp *c, const struct storm_addr *a, const struct pkt_info *pi,
	       uint64_t now_us, struct stcp_pool *pool, stcp_deliver_fn deliver, void *ctx,
	       struct storm_tx *tx);

/**
 * Run what is due at @a now_us: SYN and data retransmission (RFC 6298
 * sec 5), the delayed ACK, the idle and close time limits.
 * @return STCP_OPEN, STCP_CLOSED (a close time limit ended it quietly),
 *         STCP_FAILED (c->cause), or -ENOBUFS as for stcp_input()
 */
int stcp_timer(struct stcp *c, const struct storm_addr *a, uint64_t now_us,
	       struct stcp_pool *pool, struct storm_tx *tx);

/** When stcp_timer() has work next; UINT64_MAX for none (CLOSED, FAILED). */
uint64_t stcp_deadline(const struct stcp *c);

/**
 * Close: @a abort sends a RST and ends the connection at once (CLOSED);
 * otherwise a FIN follows the queued request bytes (half close, RFC 9293
 * sec 3.10.4) and the connection ends when both FINs are ACKed (input or
 * timer returns STCP_CLOSED) or after STCP_CLOSE_US. A SYN_SENT
 * connection just ends. Buffers go back to @a pool as the state ends.
 * @return 0, or -ENOBUFS when @a tx has fewer than STCP_TX_RESERVE free
 *         frames (nothing done)
 */
int stcp_close(struct stcp *c, const struct storm_addr *a, bool abort, uint64_t now_us,
	       struct stcp_pool *pool, struct storm_tx *tx);

/**
 * Idle time limit: an open connection that receives nothing for
 * @a idle_us fails with "tcp: idle timeout" (0: never). It waits while
 * our request bytes are unacknowledged: then the retransmission limit
 * decides ("tcp: retransmit timeout"). STCP_IDLE_US by default; raise it
 * before waiting out a long Retry-After on an open connection.
 */
void stcp_set_idle(struct stcp *c, uint32_t idle_us, uint64_t now_us);

/** Request bytes sent or queued and not yet ACKed. */
static inline uint32_t stcp_unacked(const struct stcp *c)
{
	return c->snd_len;
}

/** True while data can flow from the server (ESTABLISHED, FIN_WAIT_1/2). */
bool stcp_receiving(const struct stcp *c);

/** Printable state name ("ESTABLISHED"), "?" out of range. */
const char *stcp_state_name(int state);

/** Failure text ("tcp: reset"), "" for NONE, "?" out of range. */
const char *stcp_cause_str(int cause);

extern const char *const stcp_counter_names[];
extern const char *const stcp_pool_counter_names[];

#endif
