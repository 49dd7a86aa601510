/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_output.c
 * Everything that puts a segment into the action queue: control segments
 * (ACK, RST, SYN-ACK, SYN cookie, challenge ACK, window probe) and the
 * data sender, which picks the next segment from retransmission needs,
 * SACK holes (RFC 6675) and new data under min(cwnd, peer window).
 */
#include <string.h>

#include "bytes.h"
#include "tcp_impl.h"

/** Next free action, zeroed, or NULL (counted) when the queue is full. */
struct tcp_act *tcp_act_push(struct tcp_table *t, struct tcp_out *out)
{
	struct tcp_act *a;

	if (out->n >= out->cap) {
		t->cnt.drop_out_full++;
		return NULL;
	}
	a = &out->act[out->n++];
	memset(a, 0, offsetof(struct tcp_act, opt));
	return a;
}

/** Room for one more segment while keeping one entry for a CLOSED action. */
static bool room(const struct tcp_out *out)
{
	return out->n + 1 < out->cap;
}

/** TSval for @a c: a millisecond clock plus a per-connection offset (RFC 7323 sec 5.4). */
uint32_t tcp_ts_now(const struct tcp_conn *c, uint64_t now_us)
{
	return (uint32_t)(now_us / 1000) + c->ts_offset;
}

/** Free rx buffer bytes: the window we can honestly offer (RFC 9293 sec 3.8.6). */
uint32_t tcp_rcv_window(const struct tcp_table *t, const struct tcp_conn *c)
{
	return t->cfg.rx_buf - c->rx_len;
}

static void put_ts(uint8_t *p, uint32_t tsval, uint32_t tsecr)
{
	p[0] = TCPOPT_TS;
	p[1] = TCPOLEN_TS;
	put_be32(p + 2, tsval);
	put_be32(p + 6, tsecr);
}

/**
 * A segment of connection @a c: addressing, seq, ACK of rcv_nxt, our
 * window, the timestamp option. Records what we advertised.
 */
static struct tcp_act *conn_seg(struct tcp_table *t, struct tcp_conn *c, uint32_t seq,
				uint8_t flags, uint64_t now_us, struct tcp_out *out)
{
	struct tcp_act *a = tcp_act_push(t, out);
	uint32_t wnd = tcp_rcv_window(t, c);

	if (!a)
		return NULL;
	a->kind = TCP_ACT_SEND;
	a->conn = c->id;
	a->src_ip = t->cfg.local_ip;
	a->dst_ip = c->rip;
	a->src_port = t->cfg.local_port;
	a->dst_port = c->rport;
	a->seq = seq;
	a->flags = flags;
	if (flags & TCP_ACK)
		a->ack = c->rcv_nxt;
	/* RFC 9293 sec 3.8.6.2.2: never move the right edge left */
	if (seq_lt(c->rcv_nxt + wnd, c->rcv_adv))
		wnd = c->rcv_adv - c->rcv_nxt;
	wnd = STP_MIN(wnd, (uint32_t)0xffff << c->rcv_wscale);
	a->win = (uint16_t)(wnd >> c->rcv_wscale);
	c->rcv_adv = c->rcv_nxt + ((uint32_t)a->win << c->rcv_wscale);
	c->last_ack_sent = c->rcv_nxt;
	if (c->cf & TCP_CF_TS) {
		a->opt[0] = a->opt[1] = TCPOPT_NOP;
		put_ts(a->opt + 2, tcp_ts_now(c, now_us), c->ts_recent);
		a->opt_len = TCPOLEN_TS_ALIGNED;
	}
	c->cf &= (uint16_t)~TCP_CF_ACK_NOW;
	t->cnt.seg_out++;
	return a;
}

/** A segment without payload (ACK, RST, window probe) at @a seq. */
void tcp_send_ctl(struct tcp_table *t, struct tcp_conn *c, uint32_t seq, uint8_t flags,
		  uint64_t now_us, struct tcp_out *out)
{
	if (conn_seg(t, c, seq, flags, now_us, out) && (flags & TCP_RST))
		t->cnt.rst_sent++;
}

/** RFC 5961 sec 3.2/4.2/5.2: answer a suspicious segment with our current ACK. */
void tcp_challenge_ack(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
		       struct tcp_out *out)
{
	if (!tcp_limit_take(t, now_us))
		return;
	t->cnt.challenge_acks++;
	tcp_send_ctl(t, c, c->snd_nxt, TCP_ACK, now_us, out);
}

/**
 * SYN-ACK options, in the order Linux uses (peers and captures expect
 * it): MSS; SACK-permitted + TS, or NOP NOP TS, or NOP NOP SACK-permitted;
 * NOP WS. @return option bytes written (multiple of 4).
 */
static uint8_t synack_opts(uint8_t *o, uint16_t mss, bool sack, bool ts, uint32_t tsval,
			   uint32_t tsecr, int ws)
{
	uint8_t n = 0;

	o[n++] = TCPOPT_MSS;
	o[n++] = TCPOLEN_MSS;
	put_be16(o + n, mss);
	n += 2;
	if (sack && ts) {
		o[n++] = TCPOPT_SACK_PERM;
		o[n++] = TCPOLEN_SACK_PERM;
	} else if (ts || sack) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
	}
	if (ts) {
		put_ts(o + n, tsval, tsecr);
		n += TCPOLEN_TS;
	} else if (sack) {
		o[n++] = TCPOPT_SACK_PERM;
		o[n++] = TCPOLEN_SACK_PERM;
	}
	if (ws >= 0) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_WS;
		o[n++] = TCPOLEN_WS;
		o[n++] = (uint8_t)ws;
	}
	return n;
}

/** SYN-ACK of a half-open connection (RFC 9293 sec 3.10.7.2). */
void tcp_send_synack(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
		     struct tcp_out *out)
{
	struct tcp_act *a = tcp_act_push(t, out);

	c->cf &= (uint16_t)~TCP_CF_SYNACK_NOW;
	if (!a)
		return;
	a->kind = TCP_ACT_SEND;
	a->conn = c->id;
	a->src_ip = t->cfg.local_ip;
	a->dst_ip = c->rip;
	a->src_port = t->cfg.local_port;
	a->dst_port = c->rport;
	a->seq = c->iss;
	a->ack = c->rcv_nxt;
	a->flags = TCP_SYN | TCP_ACK;
	/* RFC 7323 sec 2.2: the window in a SYN is never scaled */
	a->win = (uint16_t)STP_MIN(tcp_rcv_window(t, c), 0xffffu);
	c->rcv_adv = c->rcv_nxt + a->win;
	a->opt_len = synack_opts(a->opt, t->cfg.mss, c->cf & TCP_CF_SACK, c->cf & TCP_CF_TS,
				 tcp_ts_now(c, now_us), c->ts_recent,
				 (c->cf & TCP_CF_WS) ? c->rcv_wscale : -1);
	t->cnt.seg_out++;
}

/**
 * Stateless SYN-ACK carrying a SYN cookie (RFC 4987 sec 3.6) for a SYN
 * we keep no state for. Window scale and SACK-permitted are offered only
 * when the peer's timestamps can carry them back (TSval low 5 bits: the
 * peer's shift, 0xf for none, and 0x10 for SACK; they return in TSecr).
 */
void tcp_send_cookie_synack(struct tcp_table *t, uint32_t rip, const struct tcp_seg *s,
			    uint64_t now_us, struct tcp_out *out)
{
	uint16_t peer_mss = s->has_mss ? s->mss : TCP_DEFAULT_MSS;
	unsigned idx = tcp_cookie_mss_idx(STP_MIN(peer_mss, t->cfg.mss));
	struct tcp_act *a = tcp_act_push(t, out);
	uint32_t tsval = 0;

	if (!a)
		return;
	a->kind = TCP_ACT_SEND;
	a->conn = TCP_NO_CONN;
	a->src_ip = t->cfg.local_ip;
	a->dst_ip = rip;
	a->src_port = t->cfg.local_port;
	a->dst_port = s->sport;
	a->seq = tcp_cookie_make(t, rip, s->sport, s->seq, idx, now_us);
	a->ack = s->seq + 1;
	a->flags = TCP_SYN | TCP_ACK;
	a->win = (uint16_t)STP_MIN(t->cfg.rx_buf, 0xffffu);
	if (s->has_ts) {
		uint32_t bits = (s->has_ws ? STP_MIN(s->ws, (uint32_t)TCP_MAX_WS) : 0xfu) |
				(s->sack_perm ? 0x10u : 0u);

		tsval = ((uint32_t)(now_us / 1000) & ~0x1fu) | bits;
	}
	a->opt_len = synack_opts(a->opt, t->cfg.mss, s->has_ts && s->sack_perm, s->has_ts,
				 tsval, s->tsval, s->has_ts && s->has_ws ? tcp_our_wscale(t) : -1);
	t->cnt.seg_out++;
	t->cnt.syncookies_sent++;
	t->cookie_last = now_us ? now_us : 1;
}

/**
 * RST for a segment that has no connection (RFC 9293 sec 3.10.7.1):
 * <SEQ=SEG.ACK><CTL=RST> if it had ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Rate limited.
 */
void tcp_send_rst_reply(struct tcp_table *t, uint32_t rip, const struct tcp_seg *s,
			uint32_t seg_len, uint64_t now_us, struct tcp_out *out)
{
	struct tcp_act *a;

	if (!tcp_limit_take(t, now_us))
		return;
	a = tcp_act_push(t, out);
	if (!a)
		return;
	a->kind = TCP_ACT_SEND;
	a->conn = TCP_NO_CONN;
	a->src_ip = t->cfg.local_ip;
	a->dst_ip = rip;
	a->src_port = t->cfg.local_port;
	a->dst_port = s->sport;
	if (s->flags & TCP_ACK) {
		a->seq = s->ack;
		a->flags = TCP_RST;
	} else {
		a->ack = s->seq + seg_len;
		a->flags = TCP_RST | TCP_ACK;
	}
	t->cnt.seg_out++;
	t->cnt.rst_sent++;
}

/* --- the data sender --- */

enum tx_kind { TX_NEW, TX_RTO, TX_SACK, TX_FAST, TX_RESCUE, TX_TLP };

/**
 * A send of @a kind repeats sequence space: it leaves snd_nxt and
 * snd_max where they are (after_send()), so it must stay below snd_max.
 */
static inline bool tx_resends(int kind)
{
	return kind != TX_NEW && kind != TX_RTO;
}

/** The chunk holding sequence number @a seq, NULL if none (all acked or beyond). */
static const struct tcp_chunk *find_chunk(const struct tcp_conn *c, uint32_t seq)
{
	for (unsigned i = 0; i < c->ch_n; i++) {
		const struct tcp_chunk *ch = &c->ch[(c->ch_head + i) % TCP_CHUNKS];

		if (seq_in(seq, ch->seq, ch->seq + ch->len))
			return ch;
	}
	return NULL;
}

/**
 * Payload bytes of the segment that starts at @a seq: up to the next
 * multiple of smss from its chunk's start, never across a chunk end, so
 * object segments land on the precomputed checksum blocks.
 */
static uint32_t seg_len_at(const struct tcp_conn *c, uint32_t seq)
{
	const struct tcp_chunk *ch = find_chunk(c, seq);
	uint32_t rel;

	if (!ch)
		return 0;
	rel = seq - ch->seq;
	return STP_MIN((rel / c->smss + 1) * c->smss, ch->len) - rel;
}

/** Sequence number after everything queued, FIN included. */
uint32_t tcp_snd_end(const struct tcp_conn *c)
{
	return c->snd_end + ((c->cf & TCP_CF_FIN_QUEUED) ? 1u : 0u);
}

/**
 * Emit the segment at @a seq with at most @a limit payload bytes, a FIN
 * if it ends where the FIN goes, as a send of @a kind. A retransmission
 * (tx_resends()) ends at snd_max: bytes or a FIN never sent before may
 * only go with a send that moves snd_max, or the peer's ACK of them is
 * refused as acking unsent data (RFC 9293 sec 3.10.7.4) and RACK's
 * records run past snd_max. @return sequence space used (0: nothing
 * emitted); *data_len gets the payload bytes.
 */
static uint32_t emit_at(struct tcp_table *t, struct tcp_conn *c, uint32_t seq, uint32_t limit,
			int kind, uint64_t now_us, struct tcp_out *out, uint32_t *data_len)
{
	const struct tcp_chunk *ch = find_chunk(c, seq);
	uint32_t top = tx_resends(kind) ? c->snd_max : tcp_snd_end(c);
	uint32_t len;
	bool fin;
	uint8_t flags = TCP_ACK;
	struct tcp_act *a;

	if (!seq_lt(seq, top))
		return 0;
	len = ch ? STP_MIN(STP_MIN(seg_len_at(c, seq), limit), top - seq) : 0;
	/* a FIN queued after the segment before it went is new sequence
	 * space: it waits for a send that may take it */
	fin = (c->cf & TCP_CF_FIN_QUEUED) && seq + len == c->fin_seq && seq_lt(c->fin_seq, top);
	if (len == 0 && !fin)
		return 0;
	if (fin)
		flags |= TCP_FIN;
	if (len && seq + len == c->snd_end)
		flags |= TCP_PSH;
	a = conn_seg(t, c, seq, flags, now_us, out);
	if (!a)
		return 0;
	a->pl_len = len;
	if (len && ch->kind == TCP_CHUNK_BYTES) {
		a->pl_kind = TCP_PL_BYTES;
		a->pl.bytes = c->tx_buf + ch->boff + (seq - ch->seq);
	} else if (len) {
		a->pl_kind = TCP_PL_OBJECT;
		a->pl.o.obj = ch->obj;
		a->pl.o.off = ch->off + (seq - ch->seq);
	}
	*data_len = len;
	return len + fin;
}

/**
 * Start of the segment holding byte @a seq: a multiple of smss from its
 * chunk's start (the FIN, in no chunk, is its own start).
 */
static uint32_t seg_start(const struct tcp_conn *c, uint32_t seq)
{
	const struct tcp_chunk *ch = find_chunk(c, seq);

	return ch ? ch->seq + (seq - ch->seq) / c->smss * c->smss : seq;
}

/**
 * RFC 6675 NextSeg rules 3 and 4 when neither a lost run nor new data
 * can go: a never-resent unSACKed run above HighRxt, else once per
 * recovery a rescue retransmission holding the highest unSACKed byte.
 */
static bool next_rule34(const struct tcp_conn *c, const struct tcp_sb *w, uint32_t *seq,
			uint32_t *lim, int *kind)
{
	if (w->r3) {
		*seq = w->r3_s;
		*lim = STP_MIN(w->r3_e - w->r3_s, c->smss);
		*kind = TX_SACK;
		return true;
	}
	if (!w->any || (c->cf & TCP_CF_RESCUED))
		return false;
	*seq = seq_max(seg_start(c, w->last_e - 1), w->last_s);
	if (*seq == w->last_e - 1 && seq_gt(*seq, w->last_s) && (c->cf & TCP_CF_FIN_QUEUED) &&
	    *seq == c->fin_seq)
		*seq = seq_max(seg_start(c, *seq - 1), w->last_s);  /* last data + FIN */
	*lim = STP_MIN(w->last_e - *seq, c->smss);
	*kind = TX_RESCUE;
	return true;
}

/**
 * What to send next, if anything may go now. In SACK recovery RFC 6675
 * NextSeg (while cwnd - pipe >= 1 SMSS): a lost run (rule 1), new data
 * (rule 2), rules 3 and 4. Otherwise the segment at snd_nxt if
 * min(cwnd, peer window) has room for it, cwnd raised by one SMSS per
 * duplicate ACK for the first two (RFC 3042 limited transmit: new data
 * only). A segment larger than the peer's whole window goes out
 * truncated when nothing is in flight (no ACK would come to open it:
 * RFC 1122 sec 4.2.3.4's override).
 */
static bool next_tx(const struct tcp_conn *c, uint32_t *seq, uint32_t *lim, int *kind)
{
	bool sack_rec = tcp_sack_recovery(c);
	struct tcp_sb w = { 0 };
	uint32_t flight, edge = c->snd_una + c->snd_wnd, cwnd = c->cwnd, cwnd_avail;
	uint32_t wnd_avail = seq_gt(edge, c->snd_nxt) ? edge - c->snd_nxt : 0;
	uint32_t full;

	if (c->state < TCP_ESTABLISHED)
		return false;
	if (sack_rec)
		tcp_sb_walk(c, &w);
	flight = sack_rec ? w.pipe : tcp_flight(c);
	if (!(c->cf & TCP_CF_RECOVERY) && c->dupacks <= 2 && c->snd_nxt == c->snd_max)
		cwnd += c->dupacks * c->smss;
	cwnd_avail = cwnd > flight ? cwnd - flight : 0;
	if (sack_rec && cwnd_avail >= c->smss && w.lost) {
		*seq = w.lost_s;
		*lim = STP_MIN(w.lost_e - w.lost_s, c->smss);
		*kind = TX_SACK;
		return true;
	}
	sack_rec = sack_rec && (c->cf & TCP_CF_RECOVERY);   /* rules 3, 4: not after RTO */
	if (!seq_lt(c->snd_nxt, tcp_snd_end(c)))
		return sack_rec && cwnd_avail >= c->smss && next_rule34(c, &w, seq, lim, kind);
	*seq = c->snd_nxt;
	*kind = seq_lt(c->snd_nxt, c->snd_max) ? TX_RTO : TX_NEW;
	full = seg_len_at(c, c->snd_nxt);
	if (full == 0) {
		/* only the FIN is left: it needs no window, cwnd or an idle pipe */
		*lim = 0;
		return cwnd_avail > 0 || flight == 0;
	}
	if (STP_MIN(cwnd_avail, wnd_avail) >= full) {
		*lim = full;
		return true;
	}
	if (c->snd_nxt == c->snd_una && wnd_avail > 0 && wnd_avail < full) {
		*lim = wnd_avail;
		return true;
	}
	return sack_rec && cwnd_avail >= c->smss && next_rule34(c, &w, seq, lim, kind);
}

/** Go-back-N after a timeout: the peer holds what it SACKed since, skip it. */
static void skip_sacked(struct tcp_conn *c)
{
	for (unsigned i = 0; i < c->n_sack; i++)
		if (seq_in(c->snd_nxt, c->sack[i].start, c->sack[i].end))
			c->snd_nxt = seq_min(c->sack[i].end, c->snd_max);
}

/** Bookkeeping after a data segment went out (RFC 6298 sec 5.1, Karn). */
static void after_send(struct tcp_table *t, struct tcp_conn *c, uint32_t seq, uint32_t used,
		       uint32_t len, int kind, uint64_t now_us)
{
	tcp_txr_sent(c, seq, seq + used, now_us);
	if (kind == TX_SACK || kind == TX_FAST) {
		c->rxt_nxt = seq_max(c->rxt_nxt, seq + used);
		if (kind == TX_SACK)
			t->cnt.rexmit_sack++;
		else
			t->cnt.rexmit_fast++;
	} else if (kind == TX_RESCUE || kind == TX_TLP) {
		/* RFC 6675 rule 4: HighRxt stays; a probe resends the tail */
		if (kind == TX_RESCUE) {
			c->cf |= TCP_CF_RESCUED;
			t->cnt.rexmit_rescue++;
		}
	} else {
		c->snd_nxt = seq + used;
		if (seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		if (kind == TX_RTO) {
			t->cnt.rexmit_rto++;
			skip_sacked(c);
		} else {
			t->cnt.data_seg_out += len > 0;
			t->cnt.bytes_out += len;
			if (c->dupacks && !(c->cf & TCP_CF_RECOVERY) && len)
				t->cnt.limited_xmit++;
			if (!(c->cf & (TCP_CF_TS | TCP_CF_RTT_TIMING))) {
				c->cf |= TCP_CF_RTT_TIMING;
				c->rtt_seq = c->snd_nxt;
				c->rtt_start = now_us;
			}
		}
	}
	if (c->rto_at == 0 || c->persist) {
		c->rto_at = now_us + c->rto;
		c->persist = false;
	}
	/* RFC 8985 sec 7.2: new data restarts the PTO; in recovery the
	 * timer watches the retransmissions and keeps its earliest time */
	if (kind != TX_RTO && kind != TX_TLP &&
	    (c->tlp_at == 0 || (kind == TX_NEW && !(c->cf & TCP_CF_RECOVERY))))
		tcp_tlp_arm(c, now_us);
}

/**
 * The tail loss probe (RFC 8985 sec 7.3): one new segment if the peer's
 * window takes one (a FIN alone is one, it takes no window), else the
 * last segment again; either way an ACK with SACK blocks comes back for
 * RACK to work on. The RTO restarts. Also sent in a recovery that heard
 * nothing for a PTO (tcp_rack_timers()).
 * @return segments queued.
 */
static unsigned send_probe(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
			   struct tcp_out *out)
{
	uint32_t edge = c->snd_una + c->snd_wnd, seq = c->snd_nxt, lim, used, len = 0;
	int kind = TX_NEW;

	c->cf &= (uint16_t)~TCP_CF_TLP_NOW;
	if (c->snd_una == c->snd_max)
		return 0;
	lim = seg_len_at(c, seq);
	/* lim == 0 below tcp_snd_end(): only the FIN is unsent. It is the
	 * new segment; the last one again could not carry it (emit_at()) */
	if (c->snd_nxt != c->snd_max || !seq_lt(seq, tcp_snd_end(c)) ||
	    (lim && seq_lt(edge, seq + lim))) {
		seq = seg_start(c, c->snd_max - 1);
		if ((c->cf & TCP_CF_FIN_QUEUED) && seq == c->fin_seq && seq_gt(seq, c->snd_una))
			seq = seg_start(c, seq - 1);
		lim = c->snd_max - seq;
		kind = TX_TLP;
	}
	used = emit_at(t, c, seq, lim, kind, now_us, out, &len);
	if (!used)
		return 0;
	after_send(t, c, seq, used, len, kind, now_us);
	t->cnt.tlp_probes++;
	c->cf |= TCP_CF_TLP_OUT;
	c->tlp_high = c->snd_max;
	c->rto_at = now_us + c->rto;
	tcp_tlp_arm(c, now_us);           /* in recovery: keep watching */
	return 1;
}

/**
 * Send what connection @a c may send now, at most @a budget segments and
 * never the queue's last entry: a pending SYN-ACK, a forced retransmission
 * at snd_una (fast retransmit, NewReno partial ACK), SACK holes, new data,
 * the FIN, and a pure ACK if one is owed and nothing carried it. Arms the
 * persist timer when a zero window stops new data (RFC 1122 sec 4.2.2.17).
 * @return segments queued.
 */
unsigned tcp_push(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
		  struct tcp_out *out, unsigned budget)
{
	unsigned n = 0;
	uint32_t seq, lim, used, len;
	int kind;

	if (c->state == TCP_SYN_RCVD) {
		/* nothing but the SYN-ACK goes out before the handshake completes */
		c->cf &= (uint16_t)~TCP_CF_ACK_NOW;
		if ((c->cf & TCP_CF_SYNACK_NOW) && room(out) && budget > 0) {
			tcp_send_synack(t, c, now_us, out);
			n++;
		}
		return n;
	}
	if ((c->cf & TCP_CF_REXMIT_NOW) && room(out) && budget > 0) {
		c->cf &= (uint16_t)~TCP_CF_REXMIT_NOW;
		used = emit_at(t, c, c->snd_una, c->smss, TX_FAST, now_us, out, &len);
		if (used) {
			after_send(t, c, c->snd_una, used, len, TX_FAST, now_us);
			n++;
		}
	}
	if ((c->cf & TCP_CF_TLP_NOW) && room(out) && n < budget)
		n += send_probe(t, c, now_us, out);
	while (n < budget && room(out) && next_tx(c, &seq, &lim, &kind)) {
		used = emit_at(t, c, seq, lim, kind, now_us, out, &len);
		if (!used)
			break;
		after_send(t, c, seq, used, len, kind, now_us);
		n++;
	}
	if ((c->cf & TCP_CF_ACK_NOW) && room(out) && n < budget + 1) {
		tcp_send_ctl(t, c, c->snd_nxt, TCP_ACK, now_us, out);
		n++;
	}
	if (c->snd_wnd == 0 && c->snd_nxt == c->snd_una && seq_lt(c->snd_nxt, c->snd_end) &&
	    c->rto_at == 0) {
		c->rto_at = now_us + c->rto;
		c->persist = true;
	}
	return n;
}

/** True if tcp_push() would queue something now. */
bool tcp_wants_output(const struct tcp_conn *c)
{
	uint32_t seq, lim;
	int kind;

	if (c->cf & (TCP_CF_ABORT | TCP_CF_ACK_NOW | TCP_CF_REXMIT_NOW | TCP_CF_SYNACK_NOW |
		     TCP_CF_TLP_NOW))
		return true;
	return next_tx(c, &seq, &lim, &kind);
}

/**
 * After a connection consumed input or was asked to send: honour an
 * abort, send up to @a budget segments, queue it as ready if more could
 * go, and re-arm its timer.
 */
void tcp_conn_kick(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
		      struct tcp_out *out, unsigned budget)
{
	if (c->cf & TCP_CF_ABORT) {
		if (c->state != TCP_SYN_RCVD)
			tcp_send_ctl(t, c, c->snd_nxt, TCP_RST | TCP_ACK, now_us, out);
		tcp_conn_close(t, c, TCP_CLOSE_ABORT, out);
		return;
	}
	tcp_push(t, c, now_us, out, budget);
	if (tcp_wants_output(c))
		tcp_ready_push(t, c);
	tcp_timer_arm(t, c, now_us);
}
