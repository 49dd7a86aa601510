/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TFTP read-transfer state machine: RFC 1350 sec 6 (lock-step
 * transfer, termination), RFC 2347 (OACK and ACK 0), RFC 2348/2349
 * (negotiated blksize, timeout, tsize), RFC 7440 (windows). See
 * tftp_sess.h for the window, retransmission and Sorcerer's Apprentice
 * rules; this file implements them.
 */
#include "tftp_sess.h"

#include <errno.h>

#include "bytes.h"

/* One per transfer, 100k+ per lcore under a boot storm: what grows here
 * grows the table (the round-trip estimator took the padding it could). */
_Static_assert(sizeof(struct tftp_sess) <= 160, "struct tftp_sess grew past 160 bytes");

static const char *const state_names[] = {
#define X(name, help) #name,
	TFTP_SESS_STATES(X)
#undef X
};

static const char *const fin_names[] = {
#define X(name, help) #name,
	TFTP_FIN_REASONS(X)
#undef X
};

const char *tftp_sess_state_name(unsigned state)
{
	return state < TFTP_SESS_N ? state_names[state] : "?";
}

const char *tftp_fin_reason_name(unsigned reason)
{
	return reason < TFTP_FIN_N ? fin_names[reason] : "?";
}

/* How an ACK relates to the window. */
enum ack_kind { ACK_PROGRESS, ACK_DUP, ACK_OLD, ACK_FUTURE };

/** Per-state behaviour of the active states (docs/style.md rule 10). */
struct sess_ops {
	int (*on_ack)(struct tftp_sess *s, uint16_t wire, uint64_t now, struct tftp_out *out);
	void (*on_timeout)(struct tftp_sess *s, uint64_t now, struct tftp_out *out);
};

static bool is_terminal(enum tftp_sess_state st)
{
	return st == TFTP_SESS_DONE || st == TFTP_SESS_FAILED;
}

/**
 * The one place a session changes state. Terminal states disarm every
 * deadline so a finished slot can never fire; the active states keep the
 * deadlines their caller just armed.
 */
static void set_state(struct tftp_sess *s, enum tftp_sess_state st)
{
	s->state = (uint8_t)st;
	if (is_terminal(st)) {
		s->tx_pending = 0;
		s->rto_at = UINT64_MAX;
		s->idle_at = UINT64_MAX;
	}
}

static unsigned out_room(const struct tftp_out *out)
{
	return out->n < out->cap ? out->cap - out->n : 0;
}

/** Append an action addressed to the session's client; NULL when full. */
static struct tftp_act *push(struct tftp_sess *s, struct tftp_out *out, uint8_t type)
{
	struct tftp_act *a;

	if (out->n >= out->cap)
		return NULL;
	a = &out->act[out->n++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->cip = s->cip;
	a->cport = s->cport;
	a->sport = s->sport;
	a->sess = s->id;
	return a;
}

/* ---- round trips and the retransmit timeout (RFC 6298) ----------------- */

/**
 * The most the session ever waits: the client's `timeout` option, which
 * RFC 2349 defines as the wait before retransmitting, so we never exceed
 * it; without one the configured cap (tftp_sess.h says why it is long).
 */
static uint64_t rto_cap(const struct tftp_sess *s)
{
	if (s->oack.present & TFTP_OPT_TIMEOUT)
		return (uint64_t)s->oack.timeout_s * 1000000u;
	return STP_MAX(s->tm->rto_max_us, s->tm->rto_us);
}

/**
 * RTO before backoff: SRTT + 4 RTTVAR (RFC 6298 sec 2.3) within
 * [rto_min_us, cap]. Before the first sample rto_us (RFC 6298 sec 2.1's
 * 1 s by default), not the cap: curl's 6 s would otherwise be the price
 * of a lost OACK or ACK 0. The floor is far below RFC 6298's 1 s because
 * TFTP clients do not delay ACKs (TFTP_RTO_MIN_US says why 20 ms).
 */
static uint64_t rto_base(const struct tftp_sess *s, uint64_t cap)
{
	uint64_t floor = STP_MIN((uint64_t)s->tm->rto_min_us, cap);
	uint64_t r;

	if (s->srtt_us == 0)
		return STP_MIN((uint64_t)s->tm->rto_us, cap);
	r = (uint64_t)s->srtt_us + 4 * (uint64_t)s->rttvar_us;
	return STP_MIN(STP_MAX(r, floor), cap);
}

/** The RTO now: the base doubled s->backoff times, capped. */
static uint64_t rto_us(const struct tftp_sess *s)
{
	uint64_t cap = rto_cap(s);
	uint64_t r = rto_base(s, cap);

	for (unsigned i = 0; i < s->backoff && r < cap; i++)
		r <<= 1;
	return STP_MIN(r, cap);
}

static void arm_rto(struct tftp_sess *s, uint64_t now)
{
	s->rto_at = now + rto_us(s);
}

/**
 * Time block tx_end, about to be queued as the last of its window, if it
 * is new. Karn's rule: an ACK for a block sent twice cannot say which
 * copy it answers, so a retransmitted block is never timed. Only the last
 * block is timed because the retransmit timer starts once it is queued
 * and a windowed client ACKs a window when its last block arrives.
 */
static void rtt_time_last(struct tftp_sess *s, uint64_t now)
{
	s->rtt_timing = s->tx_end > s->sent_hi;
	s->rtt_sent = (uint32_t)now;
}

/**
 * Feed one round trip into SRTT and RTTVAR (RFC 6298 sec 2.2 and 2.3,
 * alpha 1/8, beta 1/4) and drop the backoff: the path has answered an
 * unambiguous packet in time, so the backed-off RTO no longer applies
 * (RFC 6298 sec 5.7, Karn). Microseconds are fine enough that integer
 * division loses nothing that matters next to the floor.
 */
static void rtt_sample(struct tftp_sess *s, uint64_t now)
{
	/* wrap-safe over the 32-bit stamp; never above the cap (the timer
	 * would have fired), and 0 is kept for "no sample yet" */
	uint64_t r = STP_MIN((uint64_t)(uint32_t)((uint32_t)now - s->rtt_sent), rto_cap(s));
	uint32_t rtt = (uint32_t)STP_MAX(r, 1u);

	s->rtt_timing = 0;
	s->backoff = 0;
	s->ctr->rtt_samples++;
	if (s->srtt_us == 0) {
		s->srtt_us = rtt;
		s->rttvar_us = rtt / 2;
		return;
	}
	s->rttvar_us = (uint32_t)((3 * (uint64_t)s->rttvar_us +
				   (uint64_t)(rtt > s->srtt_us ? rtt - s->srtt_us : s->srtt_us - rtt)) / 4);
	s->srtt_us = (uint32_t)STP_MAX((7 * (uint64_t)s->srtt_us + rtt) / 8, 1u);
}

/**
 * The retransmit timer fired: stop timing (what is resent is ambiguous,
 * Karn) and double the RTO unless it is at the cap already.
 * @return true if the timeout that just expired counts toward the retry
 * limit: it was at least rto_us, or the cap when that is lower.
 */
static bool rto_expired(struct tftp_sess *s)
{
	uint64_t cap = rto_cap(s), rto = rto_us(s);

	s->rtt_timing = 0;
	if (rto < cap)
		s->backoff++;
	return rto >= STP_MIN((uint64_t)s->tm->rto_us, cap);
}

/**
 * Client progress: reset the retry count and push the idle limit out.
 * The RTO backoff stays until a sample (Karn): the ACK may answer a
 * retransmission that the first copy's RTO was too short for.
 */
static void note_progress(struct tftp_sess *s, uint64_t now)
{
	s->retries = 0;
	s->idle_at = now + s->tm->idle_us;
}

/**
 * End the session: queue FINISHED and count it. The caller made sure of
 * TFTP_OUT_RESERVE entries, so the push cannot fail.
 */
static void finish(struct tftp_sess *s, enum tftp_fin_reason why, struct tftp_out *out)
{
	struct tftp_act *a = push(s, out, TFTP_ACT_FINISHED);
	uint64_t bytes = STP_MIN((uint64_t)s->acked * s->blksize, s->size);

	set_state(s, why == TFTP_FIN_DONE ? TFTP_SESS_DONE : TFTP_SESS_FAILED);
	if (why == TFTP_FIN_DONE)
		s->ctr->sessions_done++;
	else if (why == TFTP_FIN_PROBE)
		s->ctr->sessions_probe++;
	else if (why == TFTP_FIN_SUPERSEDED)
		s->ctr->sessions_superseded++;
	else
		s->ctr->sessions_failed++;
	if (a == NULL)
		return;
	a->u.fin.reason = (uint8_t)why;
	a->u.fin.blocks = s->acked;
	a->u.fin.bytes = bytes;
	a->u.fin.obj = s->obj;
}

/** Send ERROR @a code to the client and end the session with @a why. */
static void fail(struct tftp_sess *s, enum tftp_fin_reason why, uint16_t code,
		 const char *msg, struct tftp_out *out)
{
	struct tftp_act *a = push(s, out, TFTP_ACT_ERROR);

	if (a != NULL) {
		a->u.error.code = code;
		a->u.error.msg = msg;
		s->ctr->err_tx[code < TFTP_N_ERR_CODES ? code : 0]++;
	}
	finish(s, why, out);
}

/* ---- DATA emission ------------------------------------------------------ */

/** Queue DATA for block s->tx_next (there is room) and step the cursor. */
static void push_data(struct tftp_sess *s, struct tftp_out *out)
{
	struct tftp_act *a = push(s, out, TFTP_ACT_DATA);
	uint32_t b = s->tx_next;
	uint64_t off = (uint64_t)(b - 1) * s->blksize;
	uint16_t len = (uint16_t)STP_MIN((uint64_t)s->blksize, s->size - off);

	if (a == NULL)
		return;
	a->u.data.obj = s->obj;
	a->u.data.off = off;
	a->u.data.block = b;
	a->u.data.len = len;
	a->u.data.blksize = s->blksize;
	a->u.data.resend = b <= s->sent_hi;
	if (s->mode == TFTP_MODE_NETASCII) {
		a->u.data.netascii = 1;
		a->u.data.na = s->na_next;
		tftp_netascii_skip(s->obj->data, s->obj->len, &s->na_next, len);
	}
	if (a->u.data.resend) {
		s->ctr->data_resent++;
	} else {
		s->ctr->data_sent++;
		s->sent_hi = b;
	}
	if (b == s->last && s->state == TFTP_SESS_SENDING)
		set_state(s, TFTP_SESS_LAST_SENT);
	s->tx_next++;
}

/**
 * Queue what fits of the current window [tx_next, tx_end]. Once all of it
 * is queued the retransmit timer runs from now; until then the session is
 * "pending" and its deadline is the moment it became so, which lets the
 * owner's timer run serve pending sessions first-come first-served.
 */
static void emit_window(struct tftp_sess *s, uint64_t now, struct tftp_out *out)
{
	while (s->tx_next <= s->tx_end && out->n < out->cap) {
		if (s->tx_next == s->tx_end)
			rtt_time_last(s, now);
		push_data(s, out);
	}
	if (s->tx_next <= s->tx_end) {
		if (!s->tx_pending)
			s->pend_since = now;
		s->tx_pending = 1;
		return;
	}
	s->tx_pending = 0;
	arm_rto(s, now);
}

/** (Re)start the window at the base, block acked + 1 (RFC 7440 sec 4). */
static void start_window(struct tftp_sess *s, uint64_t now, struct tftp_out *out)
{
	s->tx_next = s->acked + 1;
	s->tx_end = (uint32_t)STP_MIN((uint64_t)s->acked + s->window, (uint64_t)s->last);
	s->na_next = s->na_base;
	s->tx_pending = 0;
	s->rtt_timing = 0;
	emit_window(s, now, out);
}

/**
 * Move the window base to block @a a + 1. For netascii find where that
 * block starts: the emission cursor already knows when the whole queued
 * window was acknowledged; otherwise walk forward from the old base,
 * which is at most one window of source bytes.
 */
static void advance_base(struct tftp_sess *s, uint32_t a)
{
	if (s->mode == TFTP_MODE_NETASCII) {
		if (a + 1 == s->tx_next)
			s->na_base = s->na_next;
		else
			tftp_netascii_skip(s->obj->data, s->obj->len, &s->na_base,
					   (uint64_t)(a - s->acked) * s->blksize);
	}
	s->acked = a;
}

/* ---- per-state handlers ------------------------------------------------- */

static enum ack_kind classify_ack(const struct tftp_sess *s, uint16_t wire, uint32_t *abs)
{
	if (tftp_ack_to_abs(s->sent_hi, wire, abs) < 0)
		return tftp_seq16_diff(wire, (uint16_t)s->sent_hi) > 0 ? ACK_FUTURE : ACK_OLD;
	if (*abs < s->acked)
		return ACK_OLD;
	return *abs == s->acked ? ACK_DUP : ACK_PROGRESS;
}

/** RFC 2347: the client accepts the OACK with ACK 0; nothing else fits. */
static int oack_on_ack(struct tftp_sess *s, uint16_t wire, uint64_t now, struct tftp_out *out)
{
	if (wire != 0) {
		s->ctr->future_acks++;
		return 0;
	}
	s->ctr->acks++;
	if (s->rtt_timing)
		rtt_sample(s, now);
	note_progress(s, now);
	set_state(s, TFTP_SESS_SENDING);
	start_window(s, now, out);
	return 0;
}

static void oack_on_timeout(struct tftp_sess *s, uint64_t now, struct tftp_out *out)
{
	struct tftp_act *a = push(s, out, TFTP_ACT_OACK);

	if (a != NULL) {
		a->u.oack = s->oack;
		s->ctr->oack_resent++;
	}
	arm_rto(s, now);
}

/**
 * ACK during the transfer. Only progress sends (see tftp_sess.h): the
 * next window from the acknowledged block + 1, even when blocks after it
 * were already in flight, because an RFC 7440 receiver ACKs the last
 * in-order block when it sees a gap and discards what follows.
 */
static int data_on_ack(struct tftp_sess *s, uint16_t wire, uint64_t now, struct tftp_out *out)
{
	uint32_t a = 0;

	switch (classify_ack(s, wire, &a)) {
	case ACK_FUTURE:
		s->ctr->future_acks++;
		return 0;
	case ACK_OLD:
		s->ctr->old_acks++;
		return 0;
	case ACK_DUP:
		s->ctr->dup_acks++;
		return 0;
	case ACK_PROGRESS:
		break;
	}
	s->ctr->acks++;
	/* a covers the timed block: its only copy has arrived */
	if (s->rtt_timing && a >= s->tx_end)
		rtt_sample(s, now);
	advance_base(s, a);
	note_progress(s, now);
	if (a == s->last) {
		finish(s, TFTP_FIN_DONE, out);
		return 1;
	}
	start_window(s, now, out);
	return 0;
}

/** RFC 7440 sec 4: on timeout the whole window is sent again. */
static void data_on_timeout(struct tftp_sess *s, uint64_t now, struct tftp_out *out)
{
	start_window(s, now, out);
	s->ctr->rto_resent += s->tx_end - s->acked;
}

static const struct sess_ops sess_ops[TFTP_SESS_N] = {
	[TFTP_SESS_OACK_SENT] = { oack_on_ack, oack_on_timeout },
	[TFTP_SESS_SENDING] = { data_on_ack, data_on_timeout },
	[TFTP_SESS_LAST_SENT] = { data_on_ack, data_on_timeout },
};

/* ---- entry points ------------------------------------------------------- */

int tftp_sess_start(struct tftp_sess *s, const struct tftp_sess_init *in, uint64_t now_us,
		    struct tftp_out *out)
{
	const struct tftp_req *req = in->req;
	uint64_t size = req->mode == TFTP_MODE_NETASCII ?
		tftp_netascii_size(in->obj->data, in->obj->len) : in->obj->len;
	struct tftp_act *a;

	if (out_room(out) < TFTP_OUT_RESERVE)
		return -ENOBUFS;
	/* Blocks are 1..size/blksize+1: the last one is short, maybe empty. */
	if (size / req->blksize >= UINT32_MAX)
		return -EFBIG;
	memset(s, 0, sizeof(*s));
	s->mode = req->mode;
	s->cip = in->cip;
	s->cport = in->cport;
	s->sport = in->sport;
	s->id = in->id;
	s->obj = in->obj;
	s->tm = in->tm;
	s->ctr = in->ctr;
	s->blksize = req->blksize;
	s->window = req->window;
	s->size = size;
	s->last = (uint32_t)(size / req->blksize) + 1;
	s->oack = req->oack;
	s->oack.tsize = size;
	s->ctr->sessions_started++;
	note_progress(s, now_us);
	if (s->oack.present == 0) {
		/* RFC 2347: nothing acknowledged, answer as RFC 1350 does */
		set_state(s, TFTP_SESS_SENDING);
		start_window(s, now_us, out);
		return 0;
	}
	set_state(s, TFTP_SESS_OACK_SENT);
	a = push(s, out, TFTP_ACT_OACK);
	if (a != NULL)
		a->u.oack = s->oack;
	s->ctr->oack++;
	/* ACK 0 answers the OACK: the first round trip (tx_end is 0) */
	s->rtt_timing = 1;
	s->rtt_sent = (uint32_t)now_us;
	arm_rto(s, now_us);
	return 0;
}

int tftp_sess_input(struct tftp_sess *s, struct span pkt, uint64_t now_us,
		    struct tftp_out *out)
{
	uint16_t op, v;
	struct span msg;

	if (!tftp_sess_active(s))
		return 1;
	if (out_room(out) < TFTP_OUT_RESERVE)
		return -ENOBUFS;
	if (tftp_parse_op(pkt, &op) < 0) {
		s->ctr->drop_short++;
		return 0;
	}
	if (op == TFTP_OP_ACK) {
		if (tftp_parse_ack(pkt, &v) < 0) {
			s->ctr->drop_short++;
			return 0;
		}
		return sess_ops[s->state].on_ack(s, v, now_us, out);
	}
	if (op == TFTP_OP_ERROR) {
		if (tftp_parse_error(pkt, &v, &msg) < 0) {
			s->ctr->drop_short++;
			return 0;
		}
		/* RFC 1350 sec 7: an error ends the transfer, never answered */
		s->ctr->errors_rx++;
		finish(s, s->state == TFTP_SESS_OACK_SENT ? TFTP_FIN_PROBE : TFTP_FIN_CLIENT_ERROR,
		       out);
		return 1;
	}
	s->ctr->illegal_op++;
	fail(s, TFTP_FIN_ILLEGAL_OP, TFTP_ERR_ILLEGAL_OP, "illegal TFTP operation", out);
	return 1;
}

int tftp_sess_timer(struct tftp_sess *s, uint64_t now_us, struct tftp_out *out)
{
	if (!tftp_sess_active(s))
		return 1;
	if (out_room(out) < TFTP_OUT_RESERVE)
		return -ENOBUFS;
	if (s->tx_pending) {
		emit_window(s, now_us, out);
		return 0;
	}
	if (now_us >= s->idle_at) {
		s->ctr->idle_timeouts++;
		fail(s, TFTP_FIN_IDLE, TFTP_ERR_UNDEF, "idle timeout", out);
		return 1;
	}
	if (now_us < s->rto_at)
		return 0;
	s->ctr->timeouts++;
	if (rto_expired(s)) {
		if (s->retries >= s->tm->max_retries) {
			s->ctr->retry_limit++;
			fail(s, TFTP_FIN_RETRY_LIMIT, TFTP_ERR_UNDEF, "retry limit reached", out);
			return 1;
		}
		s->retries++;
	}
	sess_ops[s->state].on_timeout(s, now_us, out);
	return 0;
}

uint64_t tftp_sess_deadline(const struct tftp_sess *s)
{
	if (!tftp_sess_active(s))
		return UINT64_MAX;
	if (s->tx_pending)
		return s->pend_since;
	return STP_MIN(s->rto_at, s->idle_at);
}

int tftp_sess_finish(struct tftp_sess *s, enum tftp_fin_reason why, struct tftp_out *out)
{
	if (!tftp_sess_active(s))
		return 1;
	if (out_room(out) < 1)
		return -ENOBUFS;
	finish(s, why, out);
	return 1;
}
