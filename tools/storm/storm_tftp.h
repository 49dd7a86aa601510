/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_tftp.h
 * One virtual client's TFTP read (RFC 1350, with the RFC 2347 option
 * handshake, RFC 2348 blksize, RFC 2349 tsize and RFC 7440 windowsize),
 * behaving as the firmware does on the wire (docs/design.md, "What real
 * firmware does on the wire"):
 *
 *  - STFTP_BIOS (iPXE, the PXE ROM): RRQ "octet blksize 1432 tsize 0";
 *    OACK -> ACK 0; every DATA n -> ACK n (lock-step).
 *  - STFTP_UEFI (EDK2): RRQ "tsize 0 blksize 1468 windowsize 4" from
 *    port P; the OACK's tsize is kept and the transfer aborted with
 *    ERROR 8; then RRQ "blksize 1468 windowsize 4" from port P + 1 (a new
 *    TID); ACK every windowsize blocks, and the last in-order block on a
 *    gap or a timeout (RFC 7440 sec 4).
 *  - STFTP_PLAIN (tftp-hpa's default): RRQ "octet", no options.
 *
 * A server that ignores the options (DATA 1 of 512 bytes, no OACK) is
 * followed (RFC 2347: options not acknowledged are not in effect). Block
 * numbers are counted 32-bit and compared in 16 bits, so a transfer rolls
 * over past 65535 to 0. A short block ends the transfer; its size is
 * checked against the announced tsize when there was one. Every failure
 * has a cause; every wait has a deadline.
 *
 * Plain C over byte buffers, no allocation, the clock as an argument
 * (docs/style.md rules 1-4). The struct is small (no buffers): the storm
 * keeps one per client. A zero-filled struct stftp is IDLE.
 */
#ifndef STP_STORM_TFTP_H
#define STP_STORM_TFTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "storm_wire.h"

enum stftp_kind {
	STFTP_BIOS = 0,   /* blksize 1432, tsize, lock-step */
	STFTP_UEFI,       /* tsize probe + ERROR 8, then blksize 1468 windowsize 4 */
	STFTP_PLAIN,      /* RFC 1350 only: 512-byte blocks, no options */
	STFTP_KIND_N
};

/* States, X(name, help). Only storm_tftp.c changes them, through one setter. */
#define STFTP_STATES(X)                                                  \
	X(IDLE, "not started")                                           \
	X(PROBE, "EDK2's size probe RRQ sent, waiting for the OACK")     \
	X(RRQ_SENT, "RRQ sent, waiting for the OACK or DATA 1")          \
	X(RECEIVING, "receiving DATA")                                   \
	X(DONE, "last block received and acknowledged")                 \
	X(FAILED, "gave up; see the cause")

enum stftp_state {
#define X(name, help) STFTP_ST_##name,
	STFTP_STATES(X)
#undef X
	STFTP_ST_N
};

/* Why a transfer failed, X(name, text); the text is what the storm counts. */
#define STFTP_CAUSES(X)                                                  \
	X(NONE, "")                                                      \
	X(TIMEOUT, "tftp: timeout")                                      \
	X(SIZE, "tftp: size mismatch")                                   \
	X(SERVER_ERROR, "tftp: error")                                   \
	X(BAD_OACK, "tftp: bad oack")                                    \
	X(BAD_BLOCK, "tftp: block too large")                            \
	X(BAD_PACKET, "tftp: illegal packet")                            \
	X(NAME, "tftp: bad file name")

enum stftp_cause {
#define X(name, text) STFTP_CAUSE_##name,
	STFTP_CAUSES(X)
#undef X
	STFTP_CAUSE_N
};

/** What stftp_input() and stftp_timer() report. */
enum stftp_result {
	STFTP_RUNNING = 0, /* still transferring */
	STFTP_DONE,        /* this call completed the transfer (returned once) */
	STFTP_FAILED,      /* this call ended it (returned once); see the cause */
	STFTP_IGNORED,     /* the frame is not for this transfer, truncated, or
			    * too late to matter: nothing changed (count it) */
};

/**
 * Retransmission of our last RRQ or ACK (RFC 1350 sec 6: the receiver's
 * timeout resends its last packet): first after rto_us, doubling up to
 * rto_max_us; the transfer fails after max_tries timeouts in a row
 * without progress.
 */
struct stftp_timing {
	uint32_t rto_us;
	uint32_t rto_max_us;
	uint8_t max_tries;
};

/** 1 s doubling to 8 s, 6 timeouts (~39 s): what iPXE and EDK2 roughly do. */
#define STFTP_TIMING_DEFAULT { 1000000u, 8000000u, 6u }

/** The server's TFTP port (RFC 1350 sec 4). */
#define STFTP_SERVER_PORT 69
/** Longest file name sent: the RRQ must fit one frame with its options. */
#define STFTP_NAME_MAX 255
/** Bytes of a server ERROR message kept for the cause. */
#define STFTP_ERRMSG_MAX 40

/* Bits of stftp.flags. */
#define STFTP_F_TSIZE 0x01u   /* tsize announced by the server */
#define STFTP_F_OACK 0x02u    /* the server acknowledged options */
#define STFTP_F_PROBED 0x04u  /* EDK2: the probe is over, port is P + 1 */

/**
 * One transfer. Fields are the machine's; the owner reads the counters
 * and the cause. Wire block numbers are the low 16 bits of @a block.
 */
struct stftp {
	uint8_t state;            /* enum stftp_state */
	uint8_t kind;             /* enum stftp_kind */
	uint8_t cause;            /* enum stftp_cause, when FAILED */
	uint8_t tries;            /* timeouts since the last progress */
	uint8_t flags;            /* STFTP_F_* */
	uint8_t pad_;
	uint16_t err_code;        /* the server's ERROR code (cause SERVER_ERROR) */
	uint16_t port;            /* our TID now */
	uint16_t srv_port;        /* the server's TID; 0 until its first answer */
	uint16_t blksize;         /* in effect: negotiated, else 512 */
	uint16_t window;          /* in effect: negotiated, else 1 */
	uint32_t block;           /* last in-order block received (absolute) */
	uint32_t acked;           /* last block we acknowledged */
	uint32_t retrans;         /* our retransmissions (RRQ and ACK) */
	uint32_t dups;            /* DATA blocks received again */
	uint32_t gaps;            /* DATA blocks ahead of the next expected one */
	uint32_t csum;            /* ones'-complement running sum of the data */
	uint64_t tsize;           /* announced size, valid with STFTP_F_TSIZE */
	uint64_t bytes;           /* data received in order */
	uint64_t deadline;        /* next timer, UINT64_MAX = none */
	const char *file;         /* the caller's; see stftp_start() */
	char errmsg[STFTP_ERRMSG_MAX]; /* the server's ERROR text, printable */
};

/**
 * Start the read: queue the RRQ to @a a->srv_ip port 69 (via a->srv_mac)
 * from our @a port and arm the retransmission. STFTP_UEFI's second RRQ
 * comes from @a port + 1 (EDK2 opens a new UDP port for it), so the glue
 * must route both ports to this client.
 * @param t      the transfer; any previous content is reset
 * @param kind   which client to mimic
 * @param file   NUL-terminated name; NOT copied: it must stay valid and
 *               unchanged until the transfer ends (RRQs are resent from
 *               it). Longer than STFTP_NAME_MAX: FAILED at once with
 *               cause NAME (check t->state)
 * @param port   our first UDP port (TID, RFC 1350 sec 4)
 * @param a      addresses: a->ip, a->mac, a->srv_ip, a->srv_mac are read
 * @param now_us the caller's clock, microseconds
 * @param tm     timing; must outlive the transfer
 * @param tx     caller-owned frame queue; a full one loses the frame like
 *               the wire would, and the timer resends it
 */
void stftp_start(struct stftp *t, enum stftp_kind kind, const char *file, uint16_t port,
		 struct storm_addr *a, uint64_t now_us, const struct stftp_timing *tm,
		 struct storm_tx *tx);

/**
 * One received frame for this client (UDP from a->srv_ip to our port).
 * OACK (RFC 2347): values checked (blksize and windowsize no larger than
 * asked), then ACK 0, or for the EDK2 probe ERROR 8 and the second RRQ.
 * DATA: the next block is counted and acknowledged per the kind's rule; a
 * duplicate of the last block received is acknowledged again (its ACK was
 * lost); a gap is answered once with an ACK of the last in-order block
 * (RFC 7440 sec 4). ERROR: FAILED with the server's code and text. A frame
 * from another port of the server gets ERROR 5 and changes nothing
 * (RFC 1350 sec 4). After DONE, a retransmission of the last block is
 * acknowledged again (RFC 1350 sec 6: the server may have lost our ACK).
 * Only @a pi's spans are read, and only during the call.
 * @return STFTP_DONE or STFTP_FAILED once, STFTP_RUNNING, or STFTP_IGNORED.
 */
int stftp_input(struct stftp *t, struct storm_addr *a, const struct pkt_info *pi,
		uint64_t now_us, const struct stftp_timing *tm, struct storm_tx *tx);

/**
 * The timer: resend our last RRQ or ACK with backoff, or fail with
 * "tftp: timeout" after tm->max_tries timeouts without progress.
 * @return STFTP_RUNNING, STFTP_FAILED once, or STFTP_IGNORED (not due,
 * or nothing to do).
 */
int stftp_timer(struct stftp *t, struct storm_addr *a, uint64_t now_us,
		const struct stftp_timing *tm, struct storm_tx *tx);

/** When stftp_timer() next has work; UINT64_MAX for none. */
uint64_t stftp_deadline(const struct stftp *t);

/**
 * The failure cause as the storm counts it: "tftp: timeout", or for a
 * server ERROR "tftp: error <code> <message>", truncated to @a cap - 1.
 * @return @a buf ("" when not failed).
 */
const char *stftp_cause(const struct stftp *t, char *buf, size_t cap);

/** "RECEIVING" ...; "?" for an unknown value. */
const char *stftp_state_name(unsigned state);

#endif
