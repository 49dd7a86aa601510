/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_input.c
 * SEGMENT ARRIVES (RFC 9293 sec 3.10.7), server side: the listen path
 * (passive open, SYN cookies, RSTs for strays) and the synchronized
 * states, checked in the RFC's order with the RFC 5961 hardening:
 *   1 sequence number (+ PAWS, RFC 7323 sec 5)   2 RST   4 SYN
 *   5 ACK   7 segment text   8 FIN
 * Every segment not acted on is counted under one drop reason.
 */
#include <errno.h>
#include <string.h>

#include "tcp_impl.h"

/** What processing left of the connection. */
enum in_res { IN_KEEP, IN_CLOSED };

#define DROP(t, why) ((t)->cnt.drop_##why++)

/** Flag combinations no TCP sends (RFC 9293 sec 3.1, 3.10.7). */
static bool flags_bad(uint8_t f)
{
	if ((f & TCP_SYN) && (f & (TCP_FIN | TCP_RST)))
		return true;
	/* every segment but the first SYN and a bare RST carries ACK */
	return !(f & (TCP_SYN | TCP_RST | TCP_ACK));
}

/** Sources a TCP must ignore (RFC 1122 sec 4.2.3.10): 0, broadcast, multicast, loopback. */
static bool src_bad(uint32_t ip, uint16_t port)
{
	return port == 0 || ip == 0 || ip == 0xffffffffu || (ip >> 28) == 0xe ||
	       (ip >> 24) == 127;
}

/** Sequence space a segment occupies (RFC 9293 sec 3.4: SYN and FIN count). */
static uint32_t seg_len(const struct tcp_seg *s)
{
	return (uint32_t)s->payload.len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);
}

/** Negotiate MSS, timestamps, SACK and window scale from the peer's SYN (or cookie). */
static void conn_options(struct tcp_table *t, struct tcp_conn *c, uint16_t peer_mss,
			 bool ts, bool sack, int peer_ws)
{
	c->peer_mss = (uint16_t)STP_MIN(STP_MAX(peer_mss, TCP_MIN_MSS), t->cfg.mss);
	if (ts)
		c->cf |= TCP_CF_TS;
	if (sack)
		c->cf |= TCP_CF_SACK;
	if (peer_ws >= 0) {
		/* RFC 7323 sec 2.3: a shift over 14 is used as 14 */
		c->cf |= TCP_CF_WS;
		c->snd_wscale = (uint8_t)STP_MIN(peer_ws, TCP_MAX_WS);
		c->rcv_wscale = tcp_our_wscale(t);
	}
	c->smss = (uint16_t)(c->peer_mss - (ts ? TCPOLEN_TS_ALIGNED : 0));
	tcp_cc_init(t, c);
}

/** Passive open (RFC 9293 sec 3.10.7.2): a slot in SYN_RCVD, SYN-ACK owed. */
static void open_half(struct tcp_table *t, struct tcp_conn *c, const struct tcp_seg *s,
		      uint64_t now_us)
{
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	c->iss = tcp_isn(t, c->rip, c->rport, now_us, &c->ts_offset);
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->snd_end = c->iss + 1;
	c->recover = c->iss;
	conn_options(t, c, s->has_mss ? s->mss : TCP_DEFAULT_MSS, s->has_ts, s->sack_perm,
		     s->has_ws ? s->ws : -1);
	if (s->has_ts)
		c->ts_recent = s->tsval;
	/* RFC 7323 sec 2.2: the window of a SYN is not scaled */
	c->snd_wnd = c->max_snd_wnd = s->win;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = c->iss;
	c->last_rx = now_us;
	c->rto_at = now_us + c->rto;
	c->cf |= TCP_CF_SYNACK_NOW;
	tcp_set_state(t, c, TCP_SYN_RCVD);
}

/** The handshake completed (SYN_RCVD + good ACK, or a good cookie). */
static void established(struct tcp_table *t, struct tcp_conn *c, const struct tcp_seg *s)
{
	c->snd_una = s->ack;
	c->snd_wnd = (uint32_t)s->win << c->snd_wscale;
	c->max_snd_wnd = STP_MAX(c->max_snd_wnd, c->snd_wnd);
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	c->retries = 0;
	c->rto_at = 0;
	t->cnt.conn_opened++;
	tcp_set_state(t, c, TCP_ESTABLISHED);
}

/**
 * An ACK for a SYN we answered with a cookie (RFC 4987 sec 3.6): rebuild
 * the connection from the cookie (ack - 1) and the peer ISN (seq - 1);
 * WS and SACK come back in TSecr's low bits. A completed handshake may
 * take a half-open slot.
 * @return 1 and *cp set, 0 for a wrong or stale cookie, -1 for a good
 * cookie but no slot (counted; the peer retransmits).
 */
static int cookie_open(struct tcp_table *t, uint32_t rip, const struct tcp_seg *s,
		       uint64_t now_us, struct tcp_out *out, struct tcp_conn **cp)
{
	int idx = tcp_cookie_check(t, rip, s->sport, s->seq - 1, s->ack - 1, now_us);
	bool ts = s->has_ts && s->tsecr != 0;
	struct tcp_conn *c;

	if (idx < 0) {
		t->cnt.syncookies_bad++;
		return 0;
	}
	c = tcp_conn_alloc(t, rip, s->sport, true, out);
	if (!c) {
		DROP(t, table_full);
		return -1;
	}
	c->irs = s->seq - 1;
	c->rcv_nxt = s->seq;
	c->iss = s->ack - 1;
	c->snd_nxt = c->snd_max = c->snd_end = c->recover = s->ack;
	conn_options(t, c, tcp_cookie_mss((unsigned)idx), ts, ts && (s->tsecr & 0x10),
		     ts && (s->tsecr & 0xf) != 0xf ? (int)(s->tsecr & 0xf) : -1);
	if (ts)
		c->ts_recent = s->tsval;
	c->last_rx = now_us;
	established(t, c, s);
	t->cnt.syncookies_ok++;
	*cp = c;
	return 1;
}

/**
 * No connection for the segment (RFC 9293 sec 3.10.7.1-2): a SYN opens
 * one (or gets a cookie when half-open slots run out or the table is
 * full), a cookie ACK completes one, anything else but a RST gets a RST.
 * @return the connection a cookie ACK opened (to process the rest of the
 * segment), else NULL.
 */
static struct tcp_conn *input_listen(struct tcp_table *t, uint32_t rip, const struct tcp_seg *s,
				     uint64_t now_us, struct tcp_out *out)
{
	struct tcp_conn *c = NULL;

	if (s->flags & TCP_RST) {
		DROP(t, no_conn);     /* never answer a RST */
		return NULL;
	}
	if ((s->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		if (t->n_half_open < t->cfg.syn_backlog)
			c = tcp_conn_alloc(t, rip, s->sport, false, out);
		if (c) {
			open_half(t, c, s, now_us);
			tcp_push(t, c, now_us, out, 1);
			tcp_timer_arm(t, c, now_us);
			return NULL;
		}
		/* answered, not dropped: counted once, as syncookies_sent */
		tcp_send_cookie_synack(t, rip, s, now_us, out);
		return NULL;
	}
	/* only look for a cookie while we hand them out: saves a hash per stray ACK */
	if (!(s->flags & TCP_SYN) && t->cookie_last && now_us - t->cookie_last < 128000000ull) {
		int rc = cookie_open(t, rip, s, now_us, out, &c);

		if (rc > 0)
			return c;
		if (rc < 0)
			return NULL;
	}
	DROP(t, no_conn);
	tcp_send_rst_reply(t, rip, s, seg_len(s), now_us, out);
	return NULL;
}

/**
 * RFC 9293 sec 3.10.7.4 first check, the four cases of segment length
 * and receive window, with RFC 793's allowance: at a zero window a
 * segment at rcv_nxt is still processed for its ACK and RST.
 */
static bool seq_acceptable(const struct tcp_table *t, const struct tcp_conn *c,
			   const struct tcp_seg *s)
{
	uint32_t wnd = tcp_rcv_window(t, c), len = seg_len(s);

	if (seq_gt(c->rcv_adv, c->rcv_nxt + wnd))
		wnd = c->rcv_adv - c->rcv_nxt;      /* what we advertised stays valid */
	if (wnd == 0)
		return s->seq == c->rcv_nxt;
	if (len == 0)
		return seq_in(s->seq, c->rcv_nxt, c->rcv_nxt + wnd);
	return seq_in(s->seq, c->rcv_nxt, c->rcv_nxt + wnd) ||
	       seq_in(s->seq + len - 1, c->rcv_nxt, c->rcv_nxt + wnd);
}

/** An ACK the peer needs after a segment we refused (rate limited: no ACK wars). */
static void ack_refused(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us)
{
	if (tcp_limit_take(t, now_us))
		c->cf |= TCP_CF_ACK_NOW;
}

/**
 * Checks 1, 2 and 4 of a synchronized state: PAWS, sequence number, RST
 * (RFC 5961 sec 3.2: exact rcv_nxt resets, else challenge ACK), SYN
 * (RFC 5961 sec 4.2: challenge ACK). @return true to go on with the ACK.
 */
static bool check_seq_rst_syn(struct tcp_table *t, struct tcp_conn *c, const struct tcp_seg *s,
			      uint64_t now_us, struct tcp_out *out, enum in_res *res)
{
	bool rst = s->flags & TCP_RST;

	/* RFC 7323 sec 5.3 R1: an older TSval is an old duplicate */
	if (!rst && (c->cf & TCP_CF_TS) && s->has_ts && seq_lt(s->tsval, c->ts_recent)) {
		t->cnt.paws_rejected++;
		DROP(t, out_of_window);
		ack_refused(t, c, now_us);
		return false;
	}
	if (!seq_acceptable(t, c, s)) {
		if (rst) {
			DROP(t, rst_ignored);
		} else if (seq_leq(s->seq + seg_len(s), c->rcv_nxt) && seg_len(s) > 0) {
			t->cnt.dup_segments++;     /* a retransmission: our ACK was lost */
			ack_refused(t, c, now_us);
		} else {
			DROP(t, out_of_window);
			ack_refused(t, c, now_us);
		}
		return false;
	}
	if (rst) {
		if (s->seq == c->rcv_nxt) {
			t->cnt.rst_rcvd++;
			tcp_conn_close(t, c, TCP_CLOSE_RESET, out);
			*res = IN_CLOSED;
		} else {
			DROP(t, rst_ignored);
			tcp_challenge_ack(t, c, now_us, out);
		}
		return false;
	}
	if (s->flags & TCP_SYN) {
		DROP(t, syn_in_conn);
		tcp_challenge_ack(t, c, now_us, out);
		return false;
	}
	/* flags_bad() let through only SYN, RST or ACK segments: this one has ACK */
	return true;
}

/** Free what the ACK covered: whole chunks, and tx bytes no chunk needs. */
static void release_acked(struct tcp_conn *c)
{
	while (c->ch_n) {
		struct tcp_chunk *ch = &c->ch[c->ch_head];

		if (seq_lt(c->snd_una, ch->seq + ch->len))
			break;
		if (ch->kind == TCP_CHUNK_BYTES)
			c->tx_head = ch->boff + ch->len;
		c->ch_head = (uint8_t)((c->ch_head + 1) % TCP_CHUNKS);
		c->ch_n--;
	}
	if (c->tx_head == c->tx_tail)
		c->tx_head = c->tx_tail = 0;
}

/** RTT sample from the ACK of new data: TSecr (RFC 7323 sec 4), else the timed segment. */
static void take_rtt(struct tcp_table *t, struct tcp_conn *c, const struct tcp_seg *s,
		     uint64_t now_us)
{
	if ((c->cf & TCP_CF_TS) && s->has_ts && s->tsecr != 0) {
		uint32_t ms = tcp_ts_now(c, now_us) - s->tsecr;

		if (ms < t->cfg.timing.rto_max / 1000) {
			tcp_rtt_sample(t, c, (uint64_t)ms * 1000);
			t->cnt.rtt_samples++;
		}
	} else if ((c->cf & TCP_CF_RTT_TIMING) && seq_geq(s->ack, c->rtt_seq)) {
		c->cf &= (uint16_t)~TCP_CF_RTT_TIMING;
		tcp_rtt_sample(t, c, now_us - c->rtt_start);
		t->cnt.rtt_samples++;
	}
}

/** An ACK of new data (RFC 9293 sec 3.10.7.4 step 5, RFC 6298 sec 5.2-5.3). */
static void ack_new(struct tcp_table *t, struct tcp_conn *c, const struct tcp_seg *s,
		    uint64_t now_us)
{
	uint32_t acked = s->ack - c->snd_una;

	take_rtt(t, c, s, now_us);
	c->snd_una = s->ack;
	if (seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	release_acked(c);
	tcp_sack_trim(c);
	tcp_txr_trim(c);
	if ((c->cf & TCP_CF_TLP_OUT) && seq_geq(s->ack, c->tlp_high))
		c->cf &= (uint16_t)~TCP_CF_TLP_OUT;   /* the probe's round is over */
	if (c->retries && c->srtt)
		tcp_rtt_sample(t, c, c->srtt);      /* undo the backoff (RFC 6298 sec 5.7) */
	c->retries = 0;
	if (c->cf & TCP_CF_RECOVERY) {
		if (seq_geq(s->ack, c->recover))
			tcp_cc_exit_recovery(c);
		else
			tcp_cc_partial_ack(c, acked);
	} else {
		tcp_cc_ack(c, acked);
	}
	c->dupacks = 0;
	c->persist = false;
	c->rto_at = c->snd_una == c->snd_max ? 0 : now_us + c->rto;
	tcp_tlp_arm(c, now_us);
}

/**
 * A duplicate ACK (RFC 5681 sec 2: no data, no SYN/FIN, same window,
 * data outstanding). The third (or SACK showing three segments lost,
 * RFC 6675 sec 5) starts fast recovery unless a timeout's recovery
 * point is not yet passed (RFC 6582 sec 4); later ones inflate cwnd
 * without SACK (RFC 6582 sec 3.2 step 4).
 */
static void ack_dup(struct tcp_table *t, struct tcp_conn *c)
{
	t->cnt.dup_acks++;
	if (c->dupacks < 255)
		c->dupacks++;
	if (c->cf & TCP_CF_RECOVERY) {
		if (!c->n_sack)
			c->cwnd += c->smss;
		return;
	}
	if ((c->dupacks >= 3 || tcp_sack_bytes(c) >= 3u * c->smss) &&
	    seq_geq(c->snd_una, c->recover)) {
		t->cnt.recoveries++;
		tcp_cc_enter_recovery(c);
	}
}

/** Our FIN was sent and acknowledged. */
static bool fin_acked(const struct tcp_conn *c)
{
	return (c->cf & TCP_CF_FIN_QUEUED) && seq_gt(c->snd_una, c->fin_seq);
}

static void enter_time_wait(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us)
{
	tcp_set_state(t, c, TCP_TIME_WAIT);
	c->tw_at = now_us + t->cfg.timing.time_wait;
	c->rto_at = c->tlp_at = c->reo_at = 0;
	c->persist = false;
}

/**
 * Check 5, the ACK field (RFC 9293 sec 3.10.7.4, RFC 5961 sec 5.2):
 * acceptable in [snd_una - max_snd_wnd, snd_max]; above: ACK and drop;
 * below: challenge ACK and drop. Then new data acked, duplicate ACK,
 * window update (snd_wl1/snd_wl2 rule), and the FIN-acked transitions.
 * @return false if the segment ends here.
 */
static bool check_ack(struct tcp_table *t, struct tcp_conn *c, const struct tcp_seg *s,
		      uint64_t now_us, struct tcp_out *out, enum in_res *res)
{
	uint32_t wnd = (uint32_t)s->win << c->snd_wscale;

	if (seq_gt(s->ack, c->snd_max)) {
		DROP(t, out_of_window);
		ack_refused(t, c, now_us);
		return false;
	}
	if (seq_lt(s->ack, c->snd_una - c->max_snd_wnd)) {
		DROP(t, out_of_window);
		tcp_challenge_ack(t, c, now_us, out);
		return false;
	}
	/* RFC 7323 sec 4.3: TS.Recent from segments that do not skip ahead */
	if ((c->cf & TCP_CF_TS) && s->has_ts && seq_leq(s->seq, c->last_ack_sent) &&
	    !seq_lt(s->tsval, c->ts_recent))
		c->ts_recent = s->tsval;
	tcp_rack_on_ack(c, s, now_us);
	tcp_sack_update(c, s);
	if (seq_gt(s->ack, c->snd_una))
		ack_new(t, c, s, now_us);
	else if (s->ack == c->snd_una && c->snd_max != c->snd_una && s->payload.len == 0 &&
		 !(s->flags & TCP_FIN) && wnd == c->snd_wnd)
		ack_dup(t, c);
	/* RFC 8985 sec 6.2: time-based loss marking on every ACK, in recovery too */
	if (tcp_rack_detect(t, c, now_us))
		tcp_rack_recover(t, c);
	if (seq_lt(c->snd_wl1, s->seq) || (c->snd_wl1 == s->seq && seq_leq(c->snd_wl2, s->ack))) {
		if (c->persist && wnd > 0) {
			c->persist = false;           /* the window opened: resume */
			c->rto_at = 0;
			c->retries = 0;
		}
		c->snd_wnd = wnd;
		c->max_snd_wnd = STP_MAX(c->max_snd_wnd, wnd);
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
	}
	if (fin_acked(c)) {
		if (c->state == TCP_FIN_WAIT_1)
			tcp_set_state(t, c, TCP_FIN_WAIT_2);
		else if (c->state == TCP_CLOSING)
			enter_time_wait(t, c, now_us);
		else if (c->state == TCP_LAST_ACK) {
			tcp_conn_close(t, c, TCP_CLOSE_DONE, out);
			*res = IN_CLOSED;
			return false;
		}
	}
	return true;
}

/**
 * Steps 7 and 8: in-order request bytes into the rx buffer (the part
 * before rcv_nxt trimmed, the part beyond the buffer refused), anything
 * else dup-ACKed; then the FIN if it is next in sequence.
 * @return true if the app has something new (bytes or EOF).
 */
static bool take_text_fin(struct tcp_table *t, struct tcp_conn *c, const struct tcp_seg *s,
			  uint64_t now_us)
{
	const uint8_t *p = s->payload.p;
	uint32_t len = (uint32_t)s->payload.len, seq = s->seq, room, n;
	bool fin = s->flags & TCP_FIN, news = false;

	if (len == 0 && !fin)
		return false;
	c->cf |= TCP_CF_ACK_NOW;     /* every segment with data or FIN is ACKed at once */
	if (seq_lt(seq, c->rcv_nxt)) {
		uint32_t skip = STP_MIN(c->rcv_nxt - seq, len);

		p += skip;
		len -= skip;
		seq += skip;
		if (seq != c->rcv_nxt) {  /* old FIN: all of it was before rcv_nxt */
			t->cnt.dup_segments++;
			return false;
		}
	}
	if (seq != c->rcv_nxt) {
		t->cnt.ooo_segments++;    /* no reassembly: the dup-ACK asks for the gap */
		return false;
	}
	if (c->state != TCP_ESTABLISHED && c->state != TCP_FIN_WAIT_1 &&
	    c->state != TCP_FIN_WAIT_2) {
		/* after the peer's FIN: a retransmitted FIN, nothing new */
		t->cnt.dup_segments++;
		if (c->state == TCP_TIME_WAIT)
			c->tw_at = now_us + t->cfg.timing.time_wait;
		return false;
	}
	room = tcp_rcv_window(t, c);
	n = len;
	if (n > room) {
		n = room;
		DROP(t, rx_full);
		fin = false;
	}
	memcpy(c->rx_buf + c->rx_len, p, n);
	c->rx_len += n;
	c->rcv_nxt += n;
	news = n > 0;
	if (fin) {
		c->rcv_nxt++;
		c->cf |= TCP_CF_RX_EOF;
		news = true;
		if (c->state == TCP_ESTABLISHED)
			tcp_set_state(t, c, TCP_CLOSE_WAIT);
		else if (c->state == TCP_FIN_WAIT_2 || fin_acked(c))
			enter_time_wait(t, c, now_us);
		else
			tcp_set_state(t, c, TCP_CLOSING);
	}
	return news;
}

/**
 * SYN_RCVD (RFC 9293 sec 3.10.7.4 with RFC 5961): our SYN-ACK's ACK
 * completes the handshake; a retransmitted SYN gets the SYN-ACK again.
 * @return false if the segment ends here.
 */
static bool input_syn_rcvd(struct tcp_table *t, struct tcp_conn *c, const struct tcp_seg *s,
			   uint64_t now_us, struct tcp_out *out, enum in_res *res)
{
	if ((s->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
		if (s->seq == c->irs)
			c->cf |= TCP_CF_SYNACK_NOW;  /* our SYN-ACK was lost */
		else
			DROP(t, syn_in_conn);
		return false;
	}
	if (!(s->flags & TCP_RST) && (s->flags & TCP_ACK) && s->ack != c->iss + 1) {
		/* RFC 9293 sec 3.10.7.4: unacceptable ACK in SYN-RECEIVED: <SEQ=SEG.ACK><RST> */
		DROP(t, out_of_window);
		tcp_send_rst_reply(t, c->rip, s, seg_len(s), now_us, out);
		return false;
	}
	if (!check_seq_rst_syn(t, c, s, now_us, out, res))
		return false;
	if ((c->cf & TCP_CF_TS) && s->has_ts && s->tsecr != 0) {
		tcp_rtt_sample(t, c, (uint64_t)(uint32_t)(tcp_ts_now(c, now_us) - s->tsecr) * 1000);
		t->cnt.rtt_samples++;
	}
	established(t, c, s);
	return true;
}

/**
 * TIME_WAIT: a SYN with a higher sequence number (or newer timestamp)
 * starts a new incarnation in the slot (RFC 1122 sec 4.2.2.13, RFC
 * 6191); RSTs are ignored (RFC 1337); a retransmitted FIN is ACKed and
 * restarts the wait. @return true if the slot was freed for the SYN.
 */
static bool input_time_wait(struct tcp_table *t, struct tcp_conn *c, const struct tcp_seg *s,
			    uint64_t now_us, struct tcp_out *out)
{
	if ((s->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
		bool newer = seq_gt(s->seq, c->rcv_nxt) ||
			     ((c->cf & TCP_CF_TS) && s->has_ts && seq_gt(s->tsval, c->ts_recent));

		if (newer) {
			t->cnt.tw_reuse++;
			tcp_conn_close(t, c, TCP_CLOSE_TW_REUSE, out);
			return true;
		}
		DROP(t, syn_in_conn);
		return false;
	}
	if (s->flags & TCP_RST) {
		DROP(t, rst_ignored);
		return false;
	}
	if ((s->flags & TCP_FIN) && s->seq + seg_len(s) == c->rcv_nxt) {
		t->cnt.dup_segments++;
		c->tw_at = now_us + t->cfg.timing.time_wait;
		ack_refused(t, c, now_us);
		return false;
	}
	DROP(t, out_of_window);
	return false;
}

/** Run the app's on_data for @a c, marking it as the connection in a callback. */
void tcp_call_on_data(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us)
{
	if (!t->cfg.ops.on_data)
		return;
	t->in_cb = c->id;
	t->cfg.ops.on_data(t->cfg.app, c->id, t, now_us);
	t->in_cb = TCP_NO_CONN;
}

/** A segment for connection @a c in any state (fresh from a cookie included). */
static void input_conn(struct tcp_table *t, struct tcp_conn *c, const struct tcp_seg *s,
		       uint64_t now_us, struct tcp_out *out)
{
	enum in_res res = IN_KEEP;
	bool news = false;

	c->last_rx = now_us;
	if (c->state == TCP_SYN_RCVD) {
		if (!input_syn_rcvd(t, c, s, now_us, out, &res))
			goto out_kick;
	} else if (!check_seq_rst_syn(t, c, s, now_us, out, &res)) {
		goto out_kick;
	}
	if (!check_ack(t, c, s, now_us, out, &res))
		goto out_kick;
	news = take_text_fin(t, c, s, now_us);
	if (news)
		tcp_call_on_data(t, c, now_us);
out_kick:
	if (res == IN_KEEP)
		tcp_conn_kick(t, c, now_us, out, t->cfg.burst);
}

int tcp_input(struct tcp_table *t, const struct tcp_seg_in *seg, uint64_t now_us,
	      struct tcp_out *out)
{
	struct tcp_seg s;
	struct tcp_conn *c;
	int rc;

	if (out->n > out->cap || out->cap - out->n < TCP_OUT_RESERVE) {
		DROP(t, out_full);
		return -ENOBUFS;
	}
	t->cnt.seg_in++;
	rc = tcp_parse(seg->tcp, &s);
	if (rc == TCP_PARSE_BAD_OFFSET) {
		DROP(t, bad_offset);
		return 0;
	}
	if (rc != TCP_PARSE_OK) {
		DROP(t, bad_option);
		return 0;
	}
	if (seg->dst_ip != t->cfg.local_ip || s.dport != t->cfg.local_port ||
	    src_bad(seg->src_ip, s.sport)) {
		DROP(t, bad_addr);
		return 0;
	}
	if (flags_bad(s.flags)) {
		DROP(t, bad_flags);
		return 0;
	}
	c = tcp_lookup(t, seg->src_ip, s.sport);
	if (c && c->state == TCP_TIME_WAIT) {
		if (!input_time_wait(t, c, &s, now_us, out)) {
			tcp_conn_kick(t, c, now_us, out, 1);
			return 0;
		}
		c = NULL;                 /* freed for the new SYN */
	}
	if (!c)
		c = input_listen(t, seg->src_ip, &s, now_us, out);
	if (c)
		input_conn(t, c, &s, now_us, out);
	return 0;
}

int tcp_output(struct tcp_table *t, uint32_t conn, uint64_t now_us, struct tcp_out *out,
	       unsigned budget)
{
	struct tcp_conn *c;
	unsigned before = out->n;

	if (conn >= t->cfg.capacity || t->conn[conn].state == TCP_CLOSED)
		return 0;
	c = &t->conn[conn];
	if (out->n > out->cap || out->cap - out->n < 2) {
		tcp_ready_push(t, c);     /* come back when there is room */
		return 0;
	}
	tcp_conn_kick(t, c, now_us, out, budget);
	return (int)(out->n - before);
}
