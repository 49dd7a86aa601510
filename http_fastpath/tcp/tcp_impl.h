/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_impl.h
 * Inside the TCP core: the connection and table structs and the functions
 * the files of the core share (tcp_input.c, tcp_output.c, tcp_timer.c,
 * tcp_cc.c, tcp_table.c, tcp_app.c, tcp_hash.c). Not for the glue; tests
 * may read the structs through tcp_conn_get().
 */
#ifndef STP_TCP_IMPL_H
#define STP_TCP_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "bytes.h"
#include "idxhash.h"
#include "idxheap.h"
#include "tcp.h"
#include "tcp_parse.h"
#include "tcp_wire.h"

/* Connection states (RFC 9293 sec 3.3.2). LISTEN is the table itself. */
#define TCP_STATES(X)        \
	X(CLOSED)            \
	X(SYN_RCVD)          \
	X(ESTABLISHED)       \
	X(CLOSE_WAIT)        \
	X(FIN_WAIT_1)        \
	X(FIN_WAIT_2)        \
	X(CLOSING)           \
	X(LAST_ACK)          \
	X(TIME_WAIT)

enum tcp_state {
#define X(name) TCP_##name,
	TCP_STATES(X)
#undef X
	TCP_N_STATES
};

/** Name of a state ("ESTABLISHED", ...). */
const char *tcp_state_name(unsigned st);

/* Connection flags (struct tcp_conn.cf) */
#define TCP_CF_TS 0x0001           /* timestamps agreed (RFC 7323) */
#define TCP_CF_SACK 0x0002         /* SACK permitted both ways (RFC 2018) */
#define TCP_CF_WS 0x0004           /* window scaling agreed */
#define TCP_CF_FIN_QUEUED 0x0008   /* app shut down: FIN after the last chunk */
#define TCP_CF_ACK_NOW 0x0010      /* an ACK (or window update) is owed */
#define TCP_CF_READY 0x0020        /* in the ready list */
#define TCP_CF_ABORT 0x0040        /* app asked for RST */
#define TCP_CF_RX_EOF 0x0080       /* peer's FIN received in order */
#define TCP_CF_RECOVERY 0x0100     /* in fast recovery (RFC 6582 / 6675) */
#define TCP_CF_RTT_TIMING 0x0200   /* a segment is being timed (no TS, Karn) */
#define TCP_CF_REXMIT_NOW 0x0400   /* retransmit at snd_una at the next output */
#define TCP_CF_SYNACK_NOW 0x0800   /* (re)send the SYN-ACK */
#define TCP_CF_TLP_NOW 0x1000      /* send a tail loss probe at the next output */
#define TCP_CF_TLP_OUT 0x2000      /* a probe is unacknowledged (RFC 8985 sec 7.3) */
#define TCP_CF_RESCUED 0x4000      /* this recovery's rescue retransmission went (RFC 6675) */
#define TCP_CF_REORDER 0x8000      /* the peer reordered data (RFC 8985 RACK.reordering_seen) */

#define TCP_SACK_MAX 6             /* scoreboard blocks kept per connection */

/*
 * Transmission records (RFC 8985 needs each segment's last send time):
 * runs of sequence space sent in one burst, so one record usually
 * covers many segments (the clock is read once per burst). Kept sorted,
 * contiguous, covering [snd_una, snd_max) for SACK connections.
 */
#define TCP_TXR_MAX 64
#define TCP_TXR_RETRANS 0x01       /* this run was retransmitted at xmit */
#define TCP_TXR_LOST 0x02          /* RACK marked it lost, not yet resent */

struct tcp_txrec {
	uint32_t start, end;       /* sequence space [start, end) */
	uint32_t xmit;             /* low 32 bits of the send time (us), wrap-safe */
	uint32_t ord;              /* send run: a later run went later; within one, by seq */
	uint32_t flags;            /* TCP_TXR_* */
};

enum tcp_chunk_kind { TCP_CHUNK_BYTES = 1, TCP_CHUNK_OBJECT };

/** A run of the send stream: bytes in the tx buffer, or an object range. */
struct tcp_chunk {
	uint8_t kind;              /* enum tcp_chunk_kind */
	uint32_t seq;              /* sequence number of the first byte */
	uint32_t len;
	uint32_t boff;             /* TCP_CHUNK_BYTES: offset in tx_buf */
	const struct stp_object *obj;
	uint64_t off;              /* TCP_CHUNK_OBJECT: offset in obj */
};

/**
 * One connection. Field names follow RFC 9293 sec 3.3.1 (SND.UNA ...),
 * RFC 6298 (SRTT ...), RFC 5681 (cwnd ...). Zero-filled is CLOSED.
 */
struct tcp_conn {
	uint8_t state;             /* enum tcp_state */
	uint8_t snd_wscale;        /* peer's shift: applies to windows it sends */
	uint8_t rcv_wscale;        /* our shift: applies to windows we send */
	uint8_t dupacks;
	uint8_t retries;           /* RTO (or SYN-ACK) expiries in a row */
	uint8_t n_sack;
	uint8_t ch_head, ch_n;     /* chunk ring */
	uint16_t cf;               /* TCP_CF_* */
	uint16_t smss;             /* payload bytes per full segment (MSS - TS option) */
	uint16_t peer_mss;         /* MSS after clamping (SYN-ACK cookie encoding) */
	uint32_t id;
	uint32_t rip;              /* remote address, host order */
	uint16_t rport;
	uint32_t lnext, lprev;     /* free list (lnext) or ready list (both) */

	/* send sequence space (RFC 9293 sec 3.3.1) */
	uint32_t iss;
	uint32_t snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd;          /* scaled peer window */
	uint32_t max_snd_wnd;      /* largest seen (RFC 5961 sec 5.2) */
	uint32_t snd_wl1, snd_wl2;
	uint32_t snd_end;          /* sequence number after the last queued byte */
	uint32_t fin_seq;          /* our FIN's sequence number when queued */

	/* congestion control (RFC 5681, 6582, 6675, 3465) */
	uint32_t cwnd, ssthresh;
	uint32_t bytes_acked;      /* congestion avoidance byte counter */
	uint32_t recover;          /* snd_max when recovery started */
	uint32_t rxt_nxt;          /* HighRxt (RFC 6675): next hole byte to resend */
	struct tcp_sack_blk sack[TCP_SACK_MAX]; /* sorted, disjoint, above snd_una */

	/* RACK-TLP (RFC 8985) */
	uint8_t txr_n;             /* records in use */
	uint32_t tx_ord;           /* the latest send run's number */
	uint32_t rack_ord;         /* RACK.xmit_ts as a send run: the latest delivered */
	uint32_t rack_end;         /* RACK.end_seq */
	uint32_t rack_rtt;         /* RACK.rtt (us), 0 = no delivery seen yet */
	uint32_t min_rtt;          /* smallest RTT sample (us), 0 = none */
	uint32_t tlp_high;         /* snd_max when the probe went (TLP.end_seq) */
	uint64_t reo_at;           /* RACK reordering timer, 0 = off */
	uint64_t tlp_at;           /* probe timeout (PTO), 0 = off */
	struct tcp_txrec txr[TCP_TXR_MAX];

	/* RTT and timers (RFC 6298), microseconds */
	uint32_t srtt, rttvar, rto;
	uint32_t rtt_seq;          /* timed segment end (no timestamps) */
	uint64_t rtt_start;
	uint64_t rto_at;           /* retransmission or persist timer, 0 = off */
	bool persist;              /* rto_at is the persist timer */
	uint64_t last_rx;          /* idle timeout base */
	uint64_t tw_at;            /* TIME_WAIT end, 0 = not in TIME_WAIT */

	/* receive sequence space */
	uint32_t irs, rcv_nxt;
	uint32_t rcv_adv;          /* right edge of the window last advertised */
	uint32_t last_ack_sent;
	uint32_t ts_recent;        /* RFC 7323 sec 4.3 */
	uint32_t ts_offset;        /* added to our clock in TSval (random per connection) */

	/* buffers, slices of the table's slab */
	uint8_t *rx_buf;
	uint32_t rx_len;
	uint8_t *tx_buf;
	uint32_t tx_head, tx_tail; /* bytes [tx_head, tx_tail) are referenced by chunks */
	struct tcp_chunk ch[TCP_CHUNKS]; /* ring: ch[ch_head], ... ch_n of them */
};

/** Token bucket for RFC 5961 sec 7 rate limits. */
struct tcp_limit {
	uint64_t window_start;
	uint32_t used;
};

struct tcp_table {
	/* Set by tcp_table_create() and kept by tcp_table_reset(). */
	struct tcp_table_cfg cfg;
	struct tcp_conn *conn;     /* cfg.capacity */
	uint8_t *slab;             /* rx and tx buffers */
	struct idx_hash hash;      /* connection id by peer address:port, keyed */
	/* Timer heap of connection ids. Lazy: an id's key may be earlier than
	 * its deadline (tcp_timer_arm()), never later. */
	struct idx_heap heap;

	/* From here on, zero-filled plus table_init_conns() is a fresh table:
	 * tcp_table_reset() clears from cnt to the end. */
	struct tcp_counters cnt;
	uint32_t free_head;
	uint32_t n_active, n_half_open;
	uint32_t ready_head, ready_tail, n_ready;
	struct tcp_limit chal;     /* challenge ACKs and RSTs */
	uint32_t in_cb;            /* conn inside an app callback, TCP_NO_CONN if none */
	uint32_t victim_cursor;    /* find_victim() scan position */
	uint64_t cookie_last;      /* when we last sent a SYN cookie, 0 = never */
};

/** Our window shift: the smallest that fits the rx buffer in 16 bits (RFC 7323 sec 2.3). */
static inline uint8_t tcp_our_wscale(const struct tcp_table *t)
{
	uint8_t s = 0;

	while (s < TCP_MAX_WS && (t->cfg.rx_buf >> s) > 0xffff)
		s++;
	return s;
}

/* tcp_hash.c */
uint64_t tcp_siphash(const uint8_t key[16], const void *msg, size_t len);
uint32_t tcp_isn(const struct tcp_table *t, uint32_t rip, uint16_t rport, uint64_t now_us,
		 uint32_t *ts_offset);
uint32_t tcp_cookie_make(const struct tcp_table *t, uint32_t rip, uint16_t rport,
			 uint32_t peer_isn, unsigned mss_idx, uint64_t now_us);
int tcp_cookie_check(const struct tcp_table *t, uint32_t rip, uint16_t rport,
		     uint32_t peer_isn, uint32_t cookie, uint64_t now_us);
unsigned tcp_cookie_mss_idx(uint16_t mss);
uint16_t tcp_cookie_mss(unsigned idx);

/* tcp_table.c */
struct tcp_conn *tcp_lookup(struct tcp_table *t, uint32_t rip, uint16_t rport);
struct tcp_conn *tcp_conn_alloc(struct tcp_table *t, uint32_t rip, uint16_t rport,
				bool evict_half_open, struct tcp_out *out);
void tcp_conn_close(struct tcp_table *t, struct tcp_conn *c, int reason, struct tcp_out *out);
void tcp_set_state(struct tcp_table *t, struct tcp_conn *c, enum tcp_state st);
void tcp_timer_arm(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us);
void tcp_ready_push(struct tcp_table *t, struct tcp_conn *c);
bool tcp_limit_take(struct tcp_table *t, uint64_t now_us);
/** Connection @a id or NULL if out of range or free. For tests: read only. */
const struct tcp_conn *tcp_conn_get(const struct tcp_table *t, uint32_t id);

/* tcp_output.c */
struct tcp_act *tcp_act_push(struct tcp_table *t, struct tcp_out *out);
void tcp_send_rst_reply(struct tcp_table *t, uint32_t rip, const struct tcp_seg *s,
			uint32_t seg_len, uint64_t now_us, struct tcp_out *out);
void tcp_send_ctl(struct tcp_table *t, struct tcp_conn *c, uint32_t seq, uint8_t flags,
		  uint64_t now_us, struct tcp_out *out);
void tcp_send_synack(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
		     struct tcp_out *out);
void tcp_send_cookie_synack(struct tcp_table *t, uint32_t rip, const struct tcp_seg *s,
			    uint64_t now_us, struct tcp_out *out);
void tcp_challenge_ack(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
		       struct tcp_out *out);
unsigned tcp_push(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
		  struct tcp_out *out, unsigned budget);
uint32_t tcp_rcv_window(const struct tcp_table *t, const struct tcp_conn *c);
uint32_t tcp_snd_end(const struct tcp_conn *c);
bool tcp_wants_output(const struct tcp_conn *c);
void tcp_conn_kick(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
		   struct tcp_out *out, unsigned budget);
uint32_t tcp_ts_now(const struct tcp_conn *c, uint64_t now_us);

/* tcp_cc.c */
void tcp_cc_init(const struct tcp_table *t, struct tcp_conn *c);
void tcp_cc_ack(struct tcp_conn *c, uint32_t acked);
void tcp_cc_enter_recovery(struct tcp_conn *c);
void tcp_cc_partial_ack(struct tcp_conn *c, uint32_t acked);
void tcp_cc_exit_recovery(struct tcp_conn *c);
void tcp_cc_rto(struct tcp_conn *c);
uint32_t tcp_flight(const struct tcp_conn *c);
void tcp_rtt_sample(const struct tcp_table *t, struct tcp_conn *c, uint64_t rtt_us);
void tcp_rto_backoff(const struct tcp_table *t, struct tcp_conn *c);
void tcp_sack_update(struct tcp_conn *c, const struct tcp_seg *s);
void tcp_sack_trim(struct tcp_conn *c);
uint32_t tcp_sack_bytes(const struct tcp_conn *c);
bool tcp_sack_next_hole(const struct tcp_conn *c, uint32_t from, uint32_t *start,
			uint32_t *end);

/* tcp_rack.c */
void tcp_txr_sent(struct tcp_conn *c, uint32_t seq, uint32_t end, uint64_t now_us);
void tcp_txr_trim(struct tcp_conn *c);
void tcp_rack_on_ack(struct tcp_conn *c, const struct tcp_seg *s, uint64_t now_us);
bool tcp_rack_detect(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us);
void tcp_rack_recover(struct tcp_table *t, struct tcp_conn *c);
void tcp_tlp_arm(struct tcp_conn *c, uint64_t now_us);
void tcp_rack_timers(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us);

/** RFC 6675 scoreboard walk: pipe and the NextSeg candidates. */
struct tcp_sb {
	uint32_t pipe;             /* SetPipe(): unSACKed bytes not deemed lost */
	bool lost;                 /* rule 1: [lost_s, lost_e) is lost, not resent */
	uint32_t lost_s, lost_e;
	bool r3;                   /* rule 3: [r3_s, r3_e) unSACKed above HighRxt */
	uint32_t r3_s, r3_e;
	bool any;                  /* [last_s, last_e): the highest unSACKed run */
	uint32_t last_s, last_e;
};
void tcp_sb_walk(const struct tcp_conn *c, struct tcp_sb *w);
bool tcp_sack_recovery(const struct tcp_conn *c);

/* tcp_input.c helpers used by tcp_app.c */
void tcp_call_on_data(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us);

/* tcp_timer.c */
uint64_t tcp_conn_deadline(const struct tcp_table *t, const struct tcp_conn *c);

#endif
