/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_counters.h
 * Per-lcore TCP counters: an X-macro table of events, one of drop reasons
 * (every segment the core does not act on is counted under exactly one)
 * and closes by reason. Written only by the owning lcore; read by control.
 */
#ifndef STP_TCP_COUNTERS_H
#define STP_TCP_COUNTERS_H

#include <stdint.h>

/* X(name, help) */
#define TCP_COUNTERS(X)                                                        \
	X(seg_in, "segments in")                                               \
	X(seg_out, "segments out (all kinds)")                                 \
	X(data_seg_out, "data segments out (first transmission)")              \
	X(bytes_out, "payload bytes out (first transmission)")                 \
	X(rexmit_fast, "segments retransmitted by fast retransmit/NewReno")    \
	X(rexmit_sack, "segments retransmitted to fill SACK holes")            \
	X(rexmit_rto, "segments retransmitted after a timeout")                \
	X(rexmit_rescue, "rescue retransmissions (RFC 6675 NextSeg rule 4)")  \
	X(tlp_probes, "tail loss probes sent (RFC 8985 sec 7)")               \
	X(rack_lost, "transmission runs RACK marked lost (RFC 8985 sec 6.2)") \
	X(rack_stuck, "retransmissions unanswered for 2 SRTT in recovery")   \
	X(limited_xmit, "new segments sent by limited transmit (RFC 3042)")   \
	X(rto_expired, "retransmission timeouts")                              \
	X(synack_rexmit, "SYN-ACKs retransmitted")                             \
	X(dup_acks, "duplicate ACKs (RFC 5681 sec 2)")                         \
	X(recoveries, "fast recovery episodes")                                \
	X(persist_probes, "zero-window probes sent")                           \
	X(rst_sent, "RSTs sent")                                               \
	X(rst_rcvd, "acceptable RSTs received (connection reset)")             \
	X(challenge_acks, "challenge ACKs sent (RFC 5961)")                    \
	X(challenge_limited, "challenge ACKs/RSTs suppressed by the rate limit")\
	X(syncookies_sent, "SYN cookies sent")                                 \
	X(syncookies_ok, "SYN cookie ACKs accepted")                           \
	X(syncookies_bad, "ACKs with a wrong or stale SYN cookie")              \
	X(conn_opened, "connections established")                             \
	X(tw_reuse, "TIME_WAIT slots reused")                                  \
	X(evicted, "half-open connections evicted for a cookie ACK")          \
	X(ooo_segments, "out-of-order request segments (dropped, dup-ACKed)") \
	X(dup_segments, "duplicate request segments (ACKed)")                  \
	X(window_updates, "window updates sent after the app consumed")        \
	X(paws_rejected, "segments rejected by PAWS (RFC 7323 sec 5)")          \
	X(rtt_samples, "RTT samples taken")

/* Drop reasons: X(name, help) */
#define TCP_DROPS(X)                                                           \
	X(bad_offset, "data offset < 5 words or beyond the segment")             \
	X(bad_flags, "flag combination no TCP sends (SYN+FIN, no ACK ...)")      \
	X(bad_option, "malformed option list")                                  \
	X(bad_addr, "not our address/port, or source port 0")                   \
	X(out_of_window, "sequence or ACK outside the window (ACKed if not RST)") \
	X(no_conn, "no connection (RST sent unless it was a RST)")               \
	X(syn_flood, "unused: a SYN answered with a cookie is syncookies_sent")\
	X(table_full, "no slot even for a valid cookie ACK")                     \
	X(rst_ignored, "RST outside the window")                                 \
	X(syn_in_conn, "SYN on a synchronized connection (challenge ACK)")       \
	X(rx_full, "request bytes beyond the rx buffer")                         \
	X(out_full, "output queue had no room")

struct tcp_counters {
#define X(name, help) uint64_t name;
	TCP_COUNTERS(X)
#undef X
#define X(name, help) uint64_t drop_##name;
	TCP_DROPS(X)
#undef X
	uint64_t closed[8];        /* by enum tcp_close_reason (TCP_CLOSE_N <= 8) */
};

#define TCP_N_COUNTERS (sizeof(struct tcp_counters) / sizeof(uint64_t))

/** Names of every slot of struct tcp_counters, in order. */
extern const char *const tcp_counter_names[];

#endif
