/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_rack.c
 * Loss detection for SACK peers: transmission records, RACK-TLP (RFC
 * 8985: time-based loss marking from the send time of the most recently
 * delivered data, a tail loss probe when the ACKs stop) and the RFC 6675
 * scoreboard walk (IsLost with DupThresh per hole, SetPipe, the
 * candidates of NextSeg). Non-SACK peers keep NewReno (tcp_cc.c).
 */
#include <string.h>

#include "bytes.h"
#include "tcp_impl.h"

#define DUPTHRESH 3u
/** RFC 8985 sec 7.2 WCDelAckT: the peer may hold a lone segment's ACK this long. */
#define WCDELACK_US 200000u

/**
 * Wrap-safe "send run a went before run b". RFC 8985 orders by send
 * time with end_seq as the tie-break; one clock reading serves a whole
 * burst here, so an exact run counter does the ordering and the time
 * only the RTT arithmetic.
 */
static bool ord_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/** Split record @a i at @a seq (strictly inside it). @return false if no slot. */
static bool rec_split(struct tcp_conn *c, unsigned i, uint32_t seq)
{
	if (c->txr_n == TCP_TXR_MAX)
		return false;
	memmove(&c->txr[i + 1], &c->txr[i], (c->txr_n - i) * sizeof(c->txr[0]));
	c->txr_n++;
	c->txr[i].end = seq;
	c->txr[i + 1].start = seq;
	return true;
}

/** Append [seq, end) sent now as new data; the same run extends the last record. */
static void rec_append(struct tcp_conn *c, uint32_t seq, uint32_t end, uint32_t now)
{
	struct tcp_txrec *last = c->txr_n ? &c->txr[c->txr_n - 1] : NULL;

	if (last && last->end == seq && last->xmit == now && last->flags == 0 &&
	    last->ord == c->tx_ord) {
		last->end = end;
		return;
	}
	c->tx_ord++;
	if (c->txr_n == TCP_TXR_MAX) {
		/* full: the last run takes the new send time and order, which
		 * only makes its older bytes look younger (found lost later,
		 * never falsely) */
		last->end = end;
		last->xmit = now;
		last->ord = c->tx_ord;
		return;
	}
	c->txr[c->txr_n++] = (struct tcp_txrec){ .start = seq, .end = end, .xmit = now,
						 .ord = c->tx_ord };
}

/**
 * Record that [seq, end) went out at @a now_us: the part below the
 * highest record was retransmitted (its runs are split off where slots
 * allow, else the whole run counts as resent), the rest is new.
 * SACK connections only: nothing else reads the records.
 */
void tcp_txr_sent(struct tcp_conn *c, uint32_t seq, uint32_t end, uint64_t now_us)
{
	uint32_t now = (uint32_t)now_us;
	uint32_t top = c->txr_n ? c->txr[c->txr_n - 1].end : seq;

	if (!(c->cf & TCP_CF_SACK) || !seq_lt(seq, end))
		return;
	if (seq_lt(seq, top))
		c->tx_ord++;                  /* the resent part is a run of its own */
	for (unsigned i = 0; i < c->txr_n && seq_lt(seq, top); i++) {
		struct tcp_txrec *r = &c->txr[i];

		if (!seq_lt(seq, r->end) || !seq_lt(r->start, end))
			continue;
		if (seq_gt(seq, r->start) && rec_split(c, i, seq))
			continue;             /* the next round handles the upper half */
		if (seq_lt(end, r->end))
			rec_split(c, i, end);
		r = &c->txr[i];
		r->xmit = now;
		r->ord = c->tx_ord;
		r->flags = TCP_TXR_RETRANS;
	}
	if (seq_gt(end, top))
		rec_append(c, seq_max(seq, top), end, now);
}

/** Drop the records snd_una has passed. */
void tcp_txr_trim(struct tcp_conn *c)
{
	unsigned k = 0;

	while (k < c->txr_n && seq_leq(c->txr[k].end, c->snd_una))
		k++;
	if (k) {
		memmove(&c->txr[0], &c->txr[k], (c->txr_n - k) * sizeof(c->txr[0]));
		c->txr_n = (uint8_t)(c->txr_n - k);
	}
	if (c->txr_n && seq_lt(c->txr[0].start, c->snd_una))
		c->txr[0].start = c->snd_una;
}

/** True if one scoreboard block covers [s, e). */
static bool range_sacked(const struct tcp_conn *c, uint32_t s, uint32_t e)
{
	for (unsigned i = 0; i < c->n_sack; i++)
		if (seq_leq(c->sack[i].start, s) && seq_leq(e, c->sack[i].end))
			return true;
	return false;
}

/**
 * RFC 8985 sec 6.2 steps 2-3 for the bytes [s, e) this ACK delivers:
 * RACK follows the most recently sent of them. A retransmission acked
 * sooner than min_rtt is ambiguous (the original may be what arrived)
 * and is skipped; a never-resent run delivered for the first time but
 * sent before RACK's was reordered, not lost.
 */
static void rack_deliver(struct tcp_conn *c, uint32_t s, uint32_t e, uint32_t now)
{
	for (unsigned i = 0; i < c->txr_n && seq_lt(c->txr[i].start, e); i++) {
		const struct tcp_txrec *r = &c->txr[i];
		uint32_t ps = seq_max(r->start, s), pe = seq_min(r->end, e);

		if (!seq_lt(ps, pe))
			continue;
		if ((r->flags & TCP_TXR_RETRANS) && now - r->xmit < c->min_rtt)
			continue;
		if (c->rack_rtt && (ord_lt(r->ord, c->rack_ord) ||
				    (r->ord == c->rack_ord && seq_leq(pe, c->rack_end)))) {
			if (!(r->flags & TCP_TXR_RETRANS) && ord_lt(r->ord, c->rack_ord) &&
			    !range_sacked(c, ps, pe))
				c->cf |= TCP_CF_REORDER;
			continue;
		}
		c->rack_ord = r->ord;
		c->rack_end = pe;
		c->rack_rtt = STP_MAX(now - r->xmit, 1u);
	}
}

/**
 * Feed RACK the data this ACK delivers: the cumulative advance and its
 * SACK blocks. Call before the scoreboard takes the blocks (newly SACKed
 * data is told apart from old by it) and before snd_una moves.
 */
void tcp_rack_on_ack(struct tcp_conn *c, const struct tcp_seg *s, uint64_t now_us)
{
	uint32_t now = (uint32_t)now_us;

	if (!(c->cf & TCP_CF_SACK))
		return;
	if (seq_gt(s->ack, c->snd_una) && seq_leq(s->ack, c->snd_max))
		rack_deliver(c, c->snd_una, s->ack, now);
	for (unsigned i = 0; i < s->n_sack && i < TCP_SACK_IN_MAX; i++) {
		struct tcp_sack_blk b = s->sack[i];

		/* the same sanity rules as tcp_sack_update(): no D-SACKs */
		if (!seq_lt(b.start, b.end) || seq_gt(b.end, c->snd_max) ||
		    !seq_gt(b.end, c->snd_una) || b.end - b.start > (1u << 30))
			continue;
		rack_deliver(c, seq_max(b.start, c->snd_una), b.end, now);
	}
}

/**
 * RFC 8985 sec 6.2 step 4: no reordering allowance once loss is certain
 * (recovery, after a timeout, DupThresh SACKed) unless the peer was seen
 * to reorder; else a quarter of the minimum RTT, at most SRTT.
 */
static uint32_t reo_wnd(const struct tcp_conn *c)
{
	if (!(c->cf & TCP_CF_REORDER) &&
	    ((c->cf & TCP_CF_RECOVERY) || seq_lt(c->snd_una, c->recover) ||
	     c->dupacks >= DUPTHRESH || tcp_sack_bytes(c) > (DUPTHRESH - 1) * c->smss))
		return 0;
	return STP_MIN(c->min_rtt / 4, c->srtt);
}

/** Record @a i holds bytes sent before RACK's (split at rack_end if needed). */
static bool rec_before_rack(struct tcp_conn *c, unsigned i)
{
	const struct tcp_txrec *r = &c->txr[i];

	if (ord_lt(r->ord, c->rack_ord))
		return true;
	if (r->ord != c->rack_ord || !seq_lt(r->start, c->rack_end))
		return false;
	return !seq_gt(r->end, c->rack_end) || rec_split(c, i, c->rack_end);
}

/**
 * RFC 8985 sec 6.2 step 5, RACK_detect_loss(): a run sent before the
 * latest delivered one is lost once it is older than RACK.rtt plus the
 * reordering window; the earliest not yet due arms the reordering timer.
 * Retransmissions are runs like any other, so a lost retransmission is
 * found the same way. @return true if something was newly marked lost.
 */
bool tcp_rack_detect(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us)
{
	uint32_t now = (uint32_t)now_us, reo = reo_wnd(c), wait = UINT32_MAX;
	bool lost = false;

	c->reo_at = 0;
	if (!(c->cf & TCP_CF_SACK) || c->rack_rtt == 0)
		return false;
	/* the common case, in order: with nothing SACKed and no episode
	 * open, no unacked byte was sent before the latest delivered one */
	if (c->n_sack == 0 && !(c->cf & TCP_CF_RECOVERY) && !seq_lt(c->snd_una, c->recover))
		return false;
	for (unsigned i = 0; i < c->txr_n; i++) {
		struct tcp_txrec *r = &c->txr[i];
		int32_t left;

		if ((r->flags & TCP_TXR_LOST) || range_sacked(c, r->start, r->end) ||
		    !rec_before_rack(c, i))
			continue;
		left = (int32_t)(r->xmit + c->rack_rtt + reo - now);
		if (left <= 0) {
			r->flags |= TCP_TXR_LOST;
			t->cnt.rack_lost++;
			lost = true;
		} else if ((uint32_t)left < wait) {
			wait = (uint32_t)left;
		}
	}
	if (wait != UINT32_MAX)
		c->reo_at = now_us + wait;
	return lost;
}

/**
 * RACK found a loss: start recovery (once per window, RFC 6582 sec 4)
 * unless already in it. The first retransmission is whatever NextSeg
 * finds lost, which need not be snd_una.
 */
void tcp_rack_recover(struct tcp_table *t, struct tcp_conn *c)
{
	if ((c->cf & TCP_CF_RECOVERY) || seq_lt(c->snd_una, c->recover))
		return;
	t->cnt.recoveries++;
	tcp_cc_enter_recovery(c);
	if (!c->txr_n || !(c->txr[0].flags & TCP_TXR_LOST))
		c->cf &= (uint16_t)~TCP_CF_REXMIT_NOW;
}

/**
 * (Re)arm the probe timeout (RFC 8985 sec 7.2): 2 * SRTT, plus the
 * peer's worst delayed ACK when one segment is out. Not with a probe
 * outstanding, not without an RTT, and not when the RTO would fire
 * first anyway. In recovery the same timer watches the retransmissions
 * (stuck_rexmits()).
 */
void tcp_tlp_arm(struct tcp_conn *c, uint64_t now_us)
{
	uint64_t pto;

	c->tlp_at = 0;
	if (!(c->cf & TCP_CF_SACK) || c->srtt == 0 || c->snd_una == c->snd_max ||
	    c->persist || c->state < TCP_ESTABLISHED)
		return;
	if (!(c->cf & TCP_CF_RECOVERY) &&
	    ((c->cf & TCP_CF_TLP_OUT) || seq_lt(c->snd_una, c->recover)))
		return;
	pto = 2ull * c->srtt;
	if (!(c->cf & TCP_CF_RECOVERY) && c->snd_max - c->snd_una <= c->smss)
		pto += WCDELACK_US;
	if (c->rto_at && now_us + pto >= c->rto_at)
		return;
	c->tlp_at = now_us + pto;
}

/**
 * In recovery RACK learns of a lost retransmission only from data sent
 * after it; when none can go (the peer's window is full behind the
 * hole) the RTO would be the only way out. A retransmission neither
 * SACKed nor acknowledged 2 * SRTT after it went is taken as lost, the
 * TLP's patience. Re-arms for the youngest one not yet due.
 */
static void stuck_rexmits(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us)
{
	uint32_t now = (uint32_t)now_us, wait = UINT32_MAX, pto = 2u * c->srtt;

	for (unsigned i = 0; i < c->txr_n; i++) {
		struct tcp_txrec *r = &c->txr[i];
		uint32_t age = now - r->xmit;

		if (r->flags != TCP_TXR_RETRANS || range_sacked(c, r->start, r->end))
			continue;
		if (age >= pto) {
			r->flags |= TCP_TXR_LOST;
			t->cnt.rack_stuck++;
		} else if (pto - age < wait) {
			wait = pto - age;
		}
	}
	if (wait != UINT32_MAX)
		c->tlp_at = now_us + wait;
}

/** Due RACK reordering timer and probe timeout of @a c (tcp_timers()). */
void tcp_rack_timers(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us)
{
	if (c->reo_at && c->reo_at <= now_us) {
		c->reo_at = 0;
		if (tcp_rack_detect(t, c, now_us))
			tcp_rack_recover(t, c);
	}
	if (c->tlp_at && c->tlp_at <= now_us) {
		c->tlp_at = 0;
		if (c->snd_una == c->snd_max || c->persist || !(c->cf & TCP_CF_SACK))
			return;
		if (!(c->cf & TCP_CF_RECOVERY)) {
			c->cf |= TCP_CF_TLP_NOW;
			return;
		}
		stuck_rexmits(t, c, now_us);
		/* nothing heard for a PTO: what is in the pipe may never be
		 * SACKed (a lost tail sent in recovery) and blocks the window;
		 * a probe brings the SACKs RACK needs */
		if (!(c->cf & TCP_CF_TLP_OUT) && now_us - c->last_rx >= 2ull * c->srtt)
			c->cf |= TCP_CF_TLP_NOW;
	}
}

/**
 * The RFC 6675 scoreboard governs sending: SACK agreed, in fast recovery
 * or in a timeout's go-back-N (RFC 6675 sec 5.1: RACK may find a resent
 * segment lost again there), and the peer SACKed something or RACK
 * marked a run lost. A SACK peer that sends no blocks gets NewReno.
 */
bool tcp_sack_recovery(const struct tcp_conn *c)
{
	if (!(c->cf & TCP_CF_SACK) ||
	    !((c->cf & TCP_CF_RECOVERY) || seq_lt(c->snd_una, c->recover)))
		return false;
	if (c->n_sack)
		return true;
	for (unsigned i = 0; i < c->txr_n; i++)
		if (c->txr[i].flags & TCP_TXR_LOST)
			return true;
	return false;
}

/** RFC 6675 IsLost() for a hole starting at @a hs: DupThresh blocks or bytes above it. */
static bool hole_lost(const struct tcp_conn *c, uint32_t hs)
{
	unsigned blocks = 0;
	uint32_t bytes = 0;

	for (unsigned i = 0; i < c->n_sack; i++) {
		if (seq_geq(c->sack[i].start, hs)) {
			blocks++;
			bytes += c->sack[i].end - c->sack[i].start;
		}
	}
	return blocks >= DUPTHRESH || bytes > (DUPTHRESH - 1) * c->smss;
}

/**
 * The first unSACKed run at or after @a p, up to snd_nxt: after a
 * timeout the bytes above snd_nxt are lost and wait for go-back-N, they
 * are neither in the pipe nor NextSeg's to pick.
 */
static bool next_unsacked(const struct tcp_conn *c, uint32_t p, uint32_t *s, uint32_t *e)
{
	if (!tcp_sack_next_hole(c, p, s, e)) {
		p = seq_max(p, c->snd_una);
		if (c->n_sack)
			p = seq_max(p, c->sack[c->n_sack - 1].end);
		*s = p;
		*e = c->snd_max;
	}
	if (!seq_lt(*s, c->snd_nxt))
		return false;
	*e = seq_min(*e, c->snd_nxt);
	return true;
}

/** Account one unSACKed piece [ps, pe) of record @a r (hole IsLost: @a l6675). */
static void sb_piece(const struct tcp_conn *c, const struct tcp_txrec *r, uint32_t ps,
		     uint32_t pe, bool l6675, uint32_t high, struct tcp_sb *w)
{
	/* a resent run is lost only if RACK says its retransmission is */
	bool lost = (r->flags & TCP_TXR_LOST) || (!(r->flags & TCP_TXR_RETRANS) && l6675);

	if (!lost) {
		w->pipe += pe - ps;
	} else if (!w->lost) {
		w->lost = true;
		w->lost_s = ps;
		w->lost_e = pe;
	}
	if (!lost && !w->r3 && !(r->flags & TCP_TXR_RETRANS) && seq_lt(ps, high) &&
	    seq_geq(ps, c->rxt_nxt)) {
		w->r3 = true;
		w->r3_s = ps;
		w->r3_e = seq_min(pe, high);
	}
}

/**
 * Walk the unSACKed runs against the records: SetPipe() (RFC 6675 sec
 * 4: each byte not deemed lost counts once; a resent run counts its
 * retransmission), the first lost run (NextSeg rule 1; RACK marks
 * included), the first never-resent run above HighRxt below the highest
 * SACK (rule 3) and the highest unSACKed run (rule 4's rescue).
 */
void tcp_sb_walk(const struct tcp_conn *c, struct tcp_sb *w)
{
	uint32_t p = c->snd_una, hs, he;
	uint32_t high = c->n_sack ? c->sack[c->n_sack - 1].end : c->snd_una;
	unsigned i = 0;

	memset(w, 0, sizeof(*w));
	while (next_unsacked(c, p, &hs, &he)) {
		bool l6675 = seq_lt(hs, high) && hole_lost(c, hs);
		uint32_t covered = hs;

		while (i < c->txr_n && seq_leq(c->txr[i].end, hs))
			i++;
		for (unsigned k = i; k < c->txr_n && seq_lt(c->txr[k].start, he); k++) {
			const struct tcp_txrec *r = &c->txr[k];
			uint32_t ps = seq_max(r->start, hs), pe = seq_min(r->end, he);

			sb_piece(c, r, ps, pe, l6675, high, w);
			covered = pe;
		}
		w->pipe += he - covered;      /* no record (should not happen): in flight */
		w->any = true;
		w->last_s = hs;
		w->last_e = he;
		p = he;
	}
}
