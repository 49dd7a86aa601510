/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_timer.c
 * Per-connection timers as data: one deadline per connection (the
 * earliest of retransmission/persist, probe timeout and RACK reordering
 * timer (tcp_rack.c), TIME_WAIT end, idle limit) kept in
 * the table's min-heap; tcp_timers() pops what is due, bounded per call.
 */
#include "tcp_impl.h"

/** The earliest time @a c needs attention. */
uint64_t tcp_conn_deadline(const struct tcp_table *t, const struct tcp_conn *c)
{
	uint64_t d = c->last_rx + t->cfg.timing.idle_timeout;

	if (c->state == TCP_CLOSED)
		return UINT64_MAX;
	if (c->rto_at && c->rto_at < d)
		d = c->rto_at;
	if (c->state == TCP_TIME_WAIT && c->tw_at < d)
		d = c->tw_at;
	if (c->tlp_at && c->tlp_at < d)
		d = c->tlp_at;
	if (c->reo_at && c->reo_at < d)
		d = c->reo_at;
	return d;
}

/** SYN-ACK timeout: resend with backoff, give up after syn_retries (no RST: no peer state). */
static bool synack_timeout(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
			   struct tcp_out *out)
{
	if (++c->retries > t->cfg.timing.syn_retries) {
		tcp_conn_close(t, c, TCP_CLOSE_RETRIES, out);
		return false;
	}
	t->cnt.synack_rexmit++;
	tcp_rto_backoff(t, c);
	c->rto_at = now_us + c->rto;
	c->cf |= TCP_CF_SYNACK_NOW;
	return true;
}

/**
 * Retransmission timeout (RFC 6298 sec 5.4-5.6): back off, go back to
 * snd_una with a one-segment window; after max_retries expiries in a
 * row, RST and close. A zero-window persist timer instead sends a probe
 * (RFC 1122 sec 4.2.2.17) at snd_una - 1, which the peer must answer
 * with its window; probing never gives up by itself (the idle timeout
 * ends a peer that stops answering).
 */
static bool rto_timeout(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
			struct tcp_out *out)
{
	if (c->persist) {
		t->cnt.persist_probes++;
		tcp_send_ctl(t, c, c->snd_una - 1, TCP_ACK, now_us, out);
		tcp_rto_backoff(t, c);
		c->rto_at = now_us + c->rto;
		return true;
	}
	if (c->snd_una == c->snd_max) {
		c->rto_at = 0;            /* nothing outstanding: stale timer */
		return true;
	}
	if (++c->retries > t->cfg.timing.max_retries) {
		tcp_send_ctl(t, c, c->snd_nxt, TCP_RST | TCP_ACK, now_us, out);
		tcp_conn_close(t, c, TCP_CLOSE_RETRIES, out);
		return false;
	}
	t->cnt.rto_expired++;
	tcp_cc_rto(c);
	tcp_rto_backoff(t, c);
	c->rto_at = now_us + c->rto;
	return true;
}

/** Fire what is due on @a c. @return false if it closed. */
static bool conn_timer(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us,
		       struct tcp_out *out)
{
	if (c->state == TCP_TIME_WAIT && c->tw_at <= now_us) {
		tcp_conn_close(t, c, TCP_CLOSE_DONE, out);
		return false;
	}
	if (now_us - c->last_rx >= t->cfg.timing.idle_timeout) {
		if (c->state != TCP_SYN_RCVD && c->state != TCP_TIME_WAIT)
			tcp_send_ctl(t, c, c->snd_nxt, TCP_RST | TCP_ACK, now_us, out);
		tcp_conn_close(t, c, TCP_CLOSE_IDLE, out);
		return false;
	}
	if (c->state == TCP_TIME_WAIT)
		return true;
	if (c->state != TCP_SYN_RCVD)
		tcp_rack_timers(t, c, now_us);
	if (c->rto_at == 0 || c->rto_at > now_us)
		return true;
	if (c->state == TCP_SYN_RCVD)
		return synack_timeout(t, c, now_us, out);
	return rto_timeout(t, c, now_us, out);
}

int tcp_timers(struct tcp_table *t, uint64_t now_us, struct tcp_out *out)
{
	int n = 0;

	while (t->heap.n > 0 && idx_heap_min(&t->heap) <= now_us && (uint32_t)n < t->cfg.timer_budget &&
	       out->n <= out->cap && out->cap - out->n >= TCP_OUT_RESERVE) {
		struct tcp_conn *c = &t->conn[idx_heap_pop(&t->heap)];

		n++;
		if (conn_timer(t, c, now_us, out))
			tcp_conn_kick(t, c, now_us, out, t->cfg.burst);
	}
	return n;
}
