/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tftp_counters.h
 * Per-lcore TFTP counters: one X-macro table of named outcomes, plus one
 * slot per request parse result and per TFTP error code sent. Written
 * only by the lcore that owns the server; the control thread reads them.
 */
#ifndef STP_TFTP_COUNTERS_H
#define STP_TFTP_COUNTERS_H

#include <stdint.h>

#include "tftp_parse.h"
#include "tftp_wire.h"

/* X(name, help) */
#define TFTP_COUNTERS(X)                                                          \
	X(rx, "packets in")                                                       \
	X(rrq, "RRQs parsed")                                                     \
	X(rrq_dup, "RRQ from a client:port with a live session (retransmission)")\
	X(wrq_refused, "WRQ refused (error 2)")                                   \
	X(oack, "OACK sent")                                                      \
	X(oack_resent, "OACK retransmitted")                                      \
	X(data_sent, "DATA blocks sent (first time)")                             \
	X(data_resent, "DATA blocks sent again (timeout or go-back)")             \
	X(acks, "ACKs that moved the window")                                     \
	X(dup_acks, "duplicate ACKs of the window base (ignored)")                \
	X(old_acks, "ACKs below the window base (ignored)")                       \
	X(future_acks, "ACKs of blocks never sent (ignored)")                     \
	X(errors_rx, "ERRORs from clients")                                       \
	X(timeouts, "retransmit timeouts")                                        \
	X(rto_resent, "DATA blocks the retransmit timer sent again")              \
	X(rtt_samples, "round trips measured (ACKs of blocks sent once)")         \
	X(idle_timeouts, "sessions ended by the idle limit")                      \
	X(retry_limit, "sessions ended by the retry limit")                       \
	X(sessions_started, "sessions created")                                   \
	X(sessions_done, "sessions completed (last block ACKed)")                 \
	X(sessions_probe, "sessions the client ended after the OACK (size probe)")\
	X(sessions_failed, "sessions ended by an error or timeout")               \
	X(sessions_superseded, "sessions replaced by a new RRQ from the same port")\
	X(opt_ignored, "options ignored (unknown, duplicate, extra)")             \
	X(opt_clamped, "option values lowered to our limits")                     \
	X(name_escape, "file names refused: '..', backslash, control bytes")      \
	X(name_not_found, "file names not in the cache")                          \
	X(name_too_long, "file names longer than any object name")               \
	X(too_large, "objects with more blocks than 2^32 at this blksize")        \
	X(netascii_too_large, "netascii RRQs for objects over netascii_max_len")  \
	X(table_full, "RRQs not answered: session table full (the client retries)")                         \
	X(no_port, "RRQs not answered: no free server port (the client retries)")                           \
	X(tid_unsteered, "sessions on a TID whose flow the NIC hashes to another lcore") \
	X(unknown_tid, "packets to a port with no matching session (error 5)")   \
	X(drop_short, "drop: shorter than its opcode needs")                      \
	X(drop_error_rx, "drop: ERROR with no session to end")                    \
	X(drop_not_ours, "drop: destination port not ours")                       \
	X(drop_out_full, "drop: output queue had no room")                        \
	X(illegal_op, "unexpected opcodes (error 4)")

struct tftp_counters {
#define X(name, help) uint64_t name;
	TFTP_COUNTERS(X)
#undef X
	uint64_t req[TFTP_PARSE_N];            /* by enum tftp_parse_result */
	uint64_t err_tx[TFTP_N_ERR_CODES];     /* ERRORs sent, by code */
};

#define TFTP_N_COUNTERS (sizeof(struct tftp_counters) / sizeof(uint64_t))

/** Names and help of every slot of struct tftp_counters, in order. */
extern const char *const tftp_counter_names[];
extern const char *const tftp_counter_help[];

#endif
