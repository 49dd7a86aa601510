/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tftp_sess.h
 * One TFTP read transfer as a pure state machine (RFC 1350 sec 6, RFC 2347
 * OACK handshake, RFC 7440 windows): packets and timer expiries in,
 * actions out. It never reads a clock (now_us is an argument), never
 * builds headers and never touches payload: a DATA action names a byte
 * range of the object (or a netascii position) and the glue attaches the
 * bytes, zero-copy or by copying.
 *
 * Block numbers are 32-bit absolute counters (block 1 is the first DATA
 * block, 0 stands for the OACK); the wire carries the low 16 bits, so a
 * transfer rolls over past 65535 to 0 like tftp-hpa, iPXE and EDK2 expect.
 *
 * Window rule (RFC 7440 sec 4): an ACK for block n acknowledges every
 * block up to n; when it moves the window base, the next window is sent
 * from n+1 (so a receiver that ACKs the last in-order block after a loss
 * gets the missing blocks at once, without waiting for a timeout). An ACK
 * that does not move the base (duplicate, older, or of a block never sent)
 * sends nothing: only progress or our own timer ever sends, which bounds
 * the traffic to one window per progress event or timeout and avoids the
 * Sorcerer's Apprentice storm (RFC 1350 sec 6 note, RFC 1123 4.2.3.1).
 * ACKs of blocks never sent are ignored and counted rather than answered
 * with error 4: a single spoofed or corrupted packet must not be able to
 * kill a transfer.
 *
 * Timers (RFC 6298 adapted to TFTP): each session measures its round
 * trip, from queueing the last block of a window (or the OACK) to the ACK
 * that covers it, and retransmits after RTO = SRTT + 4 RTTVAR, at least
 * tftp_timing.rto_min_us and at most the cap: the negotiated `timeout`
 * option (RFC 2349), which stays an upper bound and is still acknowledged,
 * or without one tftp_timing.rto_max_us. Before the first sample the RTO
 * is rto_us (never above the cap). Each timeout doubles the RTO, up to the
 * cap; the doubling is kept until a new sample (RFC 6298 sec 5.5-5.7).
 * Karn's rule: a window whose last block is a retransmission, or a
 * retransmitted OACK, gives no sample.
 *
 * Why the cap without an option is not rto_us: some clients ACK a
 * repeated block once and then ignore repeats until their own timer
 * fires, and restart that timer on every packet (atftp 0.8.0 does, with
 * 5 s). If that one ACK is lost, only a silence longer than the client's
 * timer gets the transfer going again, so the backoff must be able to
 * reach it.
 *
 * Retry limit: a timeout counts toward max_retries only when the RTO that
 * expired was at least rto_us (or the cap, if lower): the quick ones
 * below it are a measured RTO at work, not a sign that the client has
 * gone, and counting them would turn the limit into a fraction of a
 * second of patience. After max_retries counted timeouts without progress
 * the session sends ERROR 0 and ends; a client that never answers is
 * given up after 1 + 2 + 4 + 8 + 8 + 8 + 8 = 39 s by default.
 * Independently, idle_us after the client last made progress the
 * session ends, which bounds how long even a 255 s `timeout` can hold a
 * slot.
 */
#ifndef STP_TFTP_SESS_H
#define STP_TFTP_SESS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "object.h"
#include "tftp_counters.h"
#include "tftp_netascii.h"
#include "tftp_parse.h"
#include "tftp_wire.h"

/* States, X(name, help). Only tftp_sess.c changes them, through one setter. */
#define TFTP_SESS_STATES(X)                                              \
	X(FREE, "slot unused")                                           \
	X(OACK_SENT, "OACK sent, waiting for ACK 0")                     \
	X(SENDING, "DATA windows in flight, last block not yet sent")    \
	X(LAST_SENT, "last block sent, waiting for its ACK")             \
	X(DONE, "last block acknowledged")                               \
	X(FAILED, "ended by an error, the client or a timeout")

enum tftp_sess_state {
#define X(name, help) TFTP_SESS_##name,
	TFTP_SESS_STATES(X)
#undef X
	TFTP_SESS_N
};

/* Why a session ended, X(name, help); carried by TFTP_ACT_FINISHED. */
#define TFTP_FIN_REASONS(X)                                              \
	X(DONE, "last block acknowledged")                               \
	X(PROBE, "client ended it after the OACK (EDK2 size probe)")     \
	X(CLIENT_ERROR, "client sent ERROR during the transfer")         \
	X(RETRY_LIMIT, "no progress after the retry limit")              \
	X(IDLE, "no progress for the idle limit")                        \
	X(ILLEGAL_OP, "client sent an opcode other than ACK or ERROR")   \
	X(SUPERSEDED, "new RRQ from the same client port")

enum tftp_fin_reason {
#define X(name, help) TFTP_FIN_##name,
	TFTP_FIN_REASONS(X)
#undef X
	TFTP_FIN_N
};

/** Retransmission policy, shared by all sessions of a server. */
struct tftp_timing {
	uint32_t rto_us;           /* RTO before a sample; shorter timeouts are not retries */
	uint32_t rto_min_us;       /* floor of the measured RTO */
	uint32_t rto_max_us;       /* cap without a timeout option (at least rto_us) */
	uint32_t idle_us;          /* end a session this long after progress */
	uint8_t max_retries;       /* counted timeouts in a row before ERROR + end */
};

/**
 * The RTO floor. TFTP has no delayed ACK: a client answers each window as
 * it arrives, so a LAN round trip is tens of microseconds and RTTVAR
 * follows the steady jitter. The floor covers the rare delay a handful
 * of samples has not shown: a busy client or server host preempting the
 * transfer for a scheduler tick or two (4-10 ms at 250-100 Hz). The two
 * mistakes are not alike: a retransmission that comes too early costs one
 * window sent twice and a duplicate ACK (ignored); one that waits too
 * long costs the whole wait for every loss in lock-step, ~80 losses in a
 * 1 MiB download at blksize 1468 through 5% loss each way. 20 ms, two
 * 10 ms ticks, keeps that download near 2.5 s.
 */
#define TFTP_RTO_MIN_US 20000u

/** RTO 1 s before a sample, floor 20 ms, cap 8 s, 6 retries, 60 s idle. */
#define TFTP_TIMING_DEFAULT                                                   \
	{ .rto_us = 1000000u, .rto_min_us = TFTP_RTO_MIN_US,                  \
	  .rto_max_us = 8000000u, .idle_us = 60000000u, .max_retries = 6 }

enum tftp_act_type {
	TFTP_ACT_DATA = 1,         /* u.data */
	TFTP_ACT_OACK = 2,         /* u.oack: build with tftp_wire_put_oack() */
	TFTP_ACT_ERROR = 3,        /* u.error: build with tftp_wire_put_error() */
	TFTP_ACT_FINISHED = 4,     /* u.fin: the session is over, report it */
};

/**
 * Send one DATA block. Octet: bytes [off, off + len) of obj->data, which
 * are block (block - 1) of size blksize (the glue's precomputed checksum
 * index). Netascii: len converted bytes from position na, produced with
 * tftp_netascii_encode(obj->data, obj->len, &na, dst, len); off is then
 * the offset in the converted stream. len may be 0 (an empty last block).
 */
struct tftp_act_data {
	const struct stp_object *obj;
	uint64_t off;
	uint32_t block;            /* absolute; the wire gets (uint16_t)block */
	uint16_t len;
	uint16_t blksize;
	uint8_t netascii;
	uint8_t resend;            /* 1 if sent before (pacing, stats) */
	struct tftp_na_pos na;
};

/**
 * One thing for the glue to do. Addressing is filled for every action:
 * send from our UDP port @a sport to @a cip:@a cport. @a sess is the
 * session index (UINT32_MAX for answers that belong to no session).
 * Pointers (obj, error msg) stay valid: objects under the glue's RCU
 * read side, messages are string literals.
 */
struct tftp_act {
	uint8_t type;              /* enum tftp_act_type */
	uint16_t cport, sport;
	uint32_t cip;              /* host order */
	uint32_t sess;
	union {
		struct tftp_act_data data;
		struct tftp_oack oack;
		struct {
			uint16_t code;     /* enum tftp_err */
			const char *msg;
		} error;
		struct {
			uint8_t reason;    /* enum tftp_fin_reason */
			uint32_t blocks;   /* blocks acknowledged */
			uint64_t bytes;    /* bytes acknowledged */
			const struct stp_object *obj;
		} fin;
	} u;
};

/**
 * Caller-owned bounded action queue: the core appends at act[n] while
 * n < cap and never blocks. Every entry point needs TFTP_OUT_RESERVE free
 * entries (an ERROR and a FINISHED) or returns -ENOBUFS having done
 * nothing; DATA uses whatever is left, and a window that does not fit is
 * finished from the timer path (tftp_sess_deadline() says "now").
 */
struct tftp_out {
	struct tftp_act *act;
	unsigned cap, n;
};
#define TFTP_OUT_RESERVE 2u

/**
 * A transfer. The fields are the core's; the owner allocates the struct
 * (zero-filled is FREE) and reads only state, id and the addressing.
 */
struct tftp_sess {
	uint8_t state;             /* enum tftp_sess_state */
	uint8_t mode;              /* enum tftp_mode */
	uint8_t retries;           /* counted timeouts since the last progress */
	uint8_t tx_pending;        /* window not fully queued yet */
	uint16_t cport, sport;     /* client TID, our TID */
	uint32_t cip;
	uint32_t id;
	uint16_t blksize, window;
	uint8_t backoff;           /* RTO doublings since the last RTT sample */
	uint8_t rtt_timing;        /* the ACK of block tx_end (0: the OACK) gives a sample */
	const struct stp_object *obj;
	const struct tftp_timing *tm;
	struct tftp_counters *ctr;
	struct tftp_oack oack;     /* what we acknowledged, for resending */
	uint64_t size;             /* bytes the client receives (converted for netascii) */
	uint32_t last;             /* number of the last DATA block */
	uint32_t acked;            /* highest block acknowledged: window base - 1 */
	uint32_t sent_hi;          /* highest block ever sent */
	uint32_t tx_next, tx_end;  /* blocks of the current window still to queue */
	uint32_t srtt_us;          /* smoothed round trip (RFC 6298); 0: no sample yet */
	uint32_t rttvar_us;        /* its mean deviation */
	uint32_t rtt_sent;         /* low 32 bits of now_us when block tx_end was queued */
	uint64_t rto_at;           /* retransmit deadline */
	uint64_t idle_at;          /* give-up deadline */
	uint64_t pend_since;       /* when tx_pending was set (fair FIFO) */
	struct tftp_na_pos na_base;/* netascii: start of block acked + 1 */
	struct tftp_na_pos na_next;/* netascii: start of block tx_next */
};

/** What a new session needs; the request was parsed and negotiated. */
struct tftp_sess_init {
	const struct stp_object *obj;
	const struct tftp_req *req;
	const struct tftp_timing *tm;
	struct tftp_counters *ctr;
	uint32_t id;
	uint32_t cip;
	uint16_t cport, sport;
};

/** Wrap-safe distance a - b of 16-bit wire block numbers, in [-32768, 32767]. */
static inline int32_t tftp_seq16_diff(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);

	return d < 0x8000u ? (int32_t)d : (int32_t)d - 0x10000;
}

/**
 * Absolute block an ACK's 16-bit number stands for: the nearest one at or
 * below @a hi (the highest block sent) with those low 16 bits.
 * @return 0 and *abs, or -ERANGE when @a wire is ahead of @a hi (never
 * sent) or would map below block 0.
 */
static inline int tftp_ack_to_abs(uint32_t hi, uint16_t wire, uint32_t *abs)
{
	int32_t d = tftp_seq16_diff(wire, (uint16_t)hi);

	if (d > 0 || (uint32_t)-d > hi)
		return -ERANGE;
	*abs = hi - (uint32_t)-d;
	return 0;
}

/**
 * Start a read transfer: size the object (converting for netascii), then
 * queue the OACK if any option was accepted (RFC 2347) or the first window.
 * @return 0, -EFBIG when the object has more than 2^32 - 1 blocks at the
 * negotiated blksize (nothing queued, session left FREE), or -ENOBUFS.
 */
int tftp_sess_start(struct tftp_sess *s, const struct tftp_sess_init *in, uint64_t now_us,
		    struct tftp_out *out);

/**
 * One datagram from the session's client TID (the caller matched ip and
 * both ports; RFC 1350 sec 4). ACK moves the window, ERROR ends the
 * session quietly (RFC 1350: errors are not acknowledged), anything else
 * is illegal (ERROR 4, end). Truncated packets are dropped and counted.
 * @return 0 while the session lives, 1 once it ended (a FINISHED action
 * was queued; the owner frees the slot), -ENOBUFS if @a out has fewer than
 * TFTP_OUT_RESERVE free entries (packet not processed).
 */
int tftp_sess_input(struct tftp_sess *s, struct span pkt, uint64_t now_us,
		    struct tftp_out *out);

/**
 * Run the session's timer: finish queueing a window that did not fit,
 * retransmit after the RTO with backoff (RFC 1350 sec 6, RFC 6298,
 * RFC 2349), or end it by the retry or idle limit. Harmless before the
 * deadline.
 * @return as tftp_sess_input().
 */
int tftp_sess_timer(struct tftp_sess *s, uint64_t now_us, struct tftp_out *out);

/** When tftp_sess_timer() next has work; UINT64_MAX for none. */
uint64_t tftp_sess_deadline(const struct tftp_sess *s);

/**
 * End the session from outside (superseded by a new RRQ): queue FINISHED.
 * @return 1, or -ENOBUFS if @a out is full.
 */
int tftp_sess_finish(struct tftp_sess *s, enum tftp_fin_reason why, struct tftp_out *out);

/** True while the session is in a non-terminal state. */
static inline bool tftp_sess_active(const struct tftp_sess *s)
{
	return s->state == TFTP_SESS_OACK_SENT || s->state == TFTP_SESS_SENDING ||
	       s->state == TFTP_SESS_LAST_SENT;
}

const char *tftp_sess_state_name(unsigned state);
const char *tftp_fin_reason_name(unsigned reason);

#endif
