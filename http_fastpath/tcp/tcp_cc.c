/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_cc.c
 * Congestion control (RFC 5681 with RFC 3465 byte counting, RFC 6928
 * initial window, RFC 6582 NewReno, RFC 6675 SACK pipe from tcp_rack.c's
 * scoreboard walk) and the RTT estimator (RFC 6298).
 */
#include "bytes.h"
#include "tcp_impl.h"

#define CWND_MAX (1u << 30)

/** Initial window (RFC 6928 sec 2: min(10 MSS, max(2 MSS, 14600))) and RTO. */
void tcp_cc_init(const struct tcp_table *t, struct tcp_conn *c)
{
	c->cwnd = STP_MIN(10u * c->smss, STP_MAX(2u * c->smss, 14600u));
	c->ssthresh = CWND_MAX;
	c->rto = t->cfg.timing.rto_initial;
}

/**
 * New data acknowledged outside recovery (RFC 5681 sec 3.1): slow start
 * grows by the bytes acked, at most 2 SMSS per ACK (RFC 3465 L = 2);
 * congestion avoidance by one SMSS per cwnd of bytes acked.
 */
void tcp_cc_ack(struct tcp_conn *c, uint32_t acked)
{
	if (c->cwnd < c->ssthresh) {
		c->cwnd += STP_MIN(acked, 2u * c->smss);
	} else {
		c->bytes_acked += acked;
		if (c->bytes_acked >= c->cwnd) {
			c->bytes_acked -= c->cwnd;
			c->cwnd += c->smss;
		}
	}
	c->cwnd = STP_MIN(c->cwnd, CWND_MAX);
}

/** RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS). */
static uint32_t half_flight(const struct tcp_conn *c)
{
	return STP_MAX((c->snd_max - c->snd_una) / 2, 2u * c->smss);
}

/**
 * Enter fast recovery (RFC 6582 sec 3.2 step 2, RFC 6675 sec 5 step 4):
 * halve, remember the recovery point, retransmit the first unacked
 * segment. With SACK information the pipe governs sending and cwnd is
 * ssthresh; without, cwnd is inflated by the three segments that left.
 */
void tcp_cc_enter_recovery(struct tcp_conn *c)
{
	c->ssthresh = half_flight(c);
	c->recover = c->snd_max;
	c->cf |= TCP_CF_RECOVERY | TCP_CF_REXMIT_NOW;
	/* Karn: the timed segment may be resent; a new rescue is allowed (RFC 6675 rule 4) */
	c->cf &= (uint16_t)~(TCP_CF_RTT_TIMING | TCP_CF_RESCUED | TCP_CF_TLP_NOW | TCP_CF_TLP_OUT);
	c->tlp_at = 0;
	c->rxt_nxt = c->snd_una;
	c->cwnd = c->n_sack ? c->ssthresh : c->ssthresh + 3u * c->smss;
	c->bytes_acked = 0;
}

/**
 * A partial ACK in recovery (RFC 6582 sec 3.2 step 5): without SACK,
 * retransmit the next unacked segment and deflate cwnd by the bytes
 * acked, adding back one SMSS if at least one was; with SACK the hole
 * walk goes on from snd_una.
 */
void tcp_cc_partial_ack(struct tcp_conn *c, uint32_t acked)
{
	if (tcp_sack_recovery(c)) {
		c->rxt_nxt = seq_max(c->rxt_nxt, c->snd_una);
		return;
	}
	c->cf |= TCP_CF_REXMIT_NOW;
	c->cwnd = c->cwnd > acked ? c->cwnd - acked : c->smss;
	if (acked >= c->smss)
		c->cwnd += c->smss;
}

/** Full ACK (RFC 6582 sec 3.2 step 6): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS). */
void tcp_cc_exit_recovery(struct tcp_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;

	c->cwnd = STP_MIN(c->ssthresh, STP_MAX(flight, c->smss) + c->smss);
	c->cf &= (uint16_t)~(TCP_CF_RECOVERY | TCP_CF_REXMIT_NOW);
	c->dupacks = 0;
}

/**
 * Retransmission timeout (RFC 5681 sec 3.1 eq. 4/5, RFC 6582 sec 4, RFC
 * 2018 sec 8): ssthresh from the flight on the first expiry only, cwnd
 * one segment, go back to snd_una, forget SACK state (the receiver may
 * have reneged), no fast retransmit for what was sent before.
 */
void tcp_cc_rto(struct tcp_conn *c)
{
	if (c->retries == 0)
		c->ssthresh = half_flight(c);
	c->cwnd = c->smss;
	c->bytes_acked = 0;
	c->snd_nxt = c->snd_una;
	c->recover = c->snd_max;
	c->n_sack = 0;
	c->dupacks = 0;
	c->cf &= (uint16_t)~(TCP_CF_RECOVERY | TCP_CF_REXMIT_NOW | TCP_CF_RTT_TIMING |
			     TCP_CF_TLP_NOW | TCP_CF_TLP_OUT);
	/* go-back-N resends everything from snd_una: RACK's marks are moot */
	for (unsigned i = 0; i < c->txr_n; i++)
		c->txr[i].flags &= ~(uint32_t)TCP_TXR_LOST;
	c->tlp_at = c->reo_at = 0;
}

/**
 * Data in the network for the cwnd test. In SACK recovery, RFC 6675's
 * pipe from the scoreboard walk (lost runs left, SACKed bytes left,
 * retransmissions in). Otherwise snd_nxt - snd_una (after a timeout the
 * bytes between snd_nxt and snd_max count as lost).
 */
uint32_t tcp_flight(const struct tcp_conn *c)
{
	if (tcp_sack_recovery(c)) {
		struct tcp_sb w;

		tcp_sb_walk(c, &w);
		return w.pipe;
	}
	if (c->cf & TCP_CF_RECOVERY)
		return c->snd_max - c->snd_una;
	return c->snd_nxt - c->snd_una;
}

/** RFC 6298 sec 2.2/2.3: fold in a measurement @a r (us), recompute the RTO. */
void tcp_rtt_sample(const struct tcp_table *t, struct tcp_conn *c, uint64_t r64)
{
	uint32_t r = (uint32_t)STP_MIN(r64, (uint64_t)t->cfg.timing.rto_max);
	uint32_t rto;

	if (r && (c->min_rtt == 0 || r < c->min_rtt))
		c->min_rtt = r;               /* RACK's reordering window scale (RFC 8985) */
	if (c->srtt == 0) {
		c->srtt = r ? r : 1;
		c->rttvar = r / 2;
	} else {
		uint32_t err = c->srtt > r ? c->srtt - r : r - c->srtt;

		c->rttvar = c->rttvar - c->rttvar / 4 + err / 4;
		c->srtt = c->srtt - c->srtt / 8 + r / 8;
		if (c->srtt == 0)
			c->srtt = 1;
	}
	/* G = 1 ms: our timestamp clock */
	rto = c->srtt + STP_MAX(1000u, 4u * c->rttvar);
	c->rto = STP_MIN(STP_MAX(rto, t->cfg.timing.rto_min), t->cfg.timing.rto_max);
}

/** RFC 6298 sec 5.5: double the RTO, up to rto_max. */
void tcp_rto_backoff(const struct tcp_table *t, struct tcp_conn *c)
{
	c->rto = (uint32_t)STP_MIN(2ull * c->rto, (uint64_t)t->cfg.timing.rto_max);
}
