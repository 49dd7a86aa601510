/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A TFTP read client as boot firmware runs it: RFC 1350 (sec 4 TIDs,
 * sec 6 lock-step and retransmission), RFC 2347 (OACK), RFC 2348
 * (blksize), RFC 2349 (tsize), RFC 7440 (windowsize). The wire constants
 * are kept here rather than borrowed from the server's tftp_wire.h: the
 * generator is the server's independent reading of the same RFCs.
 */
#include "storm_tftp.h"

#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "cksum.h"

_Static_assert(sizeof(struct stftp) <= 128, "one per client: keep it small");

/* RFC 1350 sec 5 opcodes, RFC 2347 OACK. */
enum { OP_RRQ = 1, OP_DATA = 3, OP_ACK = 4, OP_ERROR = 5, OP_OACK = 6 };
/* RFC 1350 appendix I, RFC 2347. */
enum { ERR_UNDEF = 0, ERR_ILLEGAL = 4, ERR_UNKNOWN_TID = 5, ERR_OPTION = 8 };
#define HDR_LEN 4                 /* opcode + block (DATA, ACK) or code (ERROR) */
#define DEFAULT_BLKSIZE 512       /* RFC 1350 */
#define BLKSIZE_MIN 8             /* RFC 2348 */
#define PAYLOAD_MAX (STORM_FRAME_MAX - UDP4_HDRS_LEN)

static const char *const state_names[STFTP_ST_N] = {
#define X(name, help) #name,
	STFTP_STATES(X)
#undef X
};

static const char *const cause_names[STFTP_CAUSE_N] = {
#define X(name, text) text,
	STFTP_CAUSES(X)
#undef X
};

const char *stftp_state_name(unsigned state)
{
	return state < STFTP_ST_N ? state_names[state] : "?";
}

/* ---- the requests each kind sends ------------------------------------------ */

/** An RRQ's option list (name\0value\0 ...) and what it asked for. */
struct rrq_desc {
	const char *opts;
	uint8_t len;
	bool tsize;
	uint16_t blksize, window; /* 0 = not asked */
};

#define OPTS_BIOS "blksize\0" "1432\0" "tsize\0" "0"
#define OPTS_PROBE "tsize\0" "0\0" "blksize\0" "1468\0" "windowsize\0" "4"
#define OPTS_UEFI "blksize\0" "1468\0" "windowsize\0" "4"

static const struct rrq_desc rrq_bios = { OPTS_BIOS, sizeof(OPTS_BIOS), true, 1432, 0 };
static const struct rrq_desc rrq_probe = { OPTS_PROBE, sizeof(OPTS_PROBE), true, 1468, 4 };
static const struct rrq_desc rrq_uefi = { OPTS_UEFI, sizeof(OPTS_UEFI), false, 1468, 4 };
static const struct rrq_desc rrq_plain = { "", 0, false, 0, 0 };

static const struct rrq_desc *rrq_of(const struct stftp *t)
{
	if (t->kind == STFTP_UEFI)
		return t->flags & STFTP_F_PROBED ? &rrq_uefi : &rrq_probe;
	return t->kind == STFTP_BIOS ? &rrq_bios : &rrq_plain;
}

/* ---- sending ----------------------------------------------------------------- */

/*
 * Queue @a len payload bytes already written at the frame's UDP payload.
 * A full queue loses the frame, as the wire might; the timer resends.
 */
static void commit_udp(struct storm_tx *tx, uint8_t *f, const struct storm_addr *a,
		       uint16_t sport, uint32_t dip, const struct mac_addr *dmac,
		       uint16_t dport, size_t len)
{
	storm_tx_commit(tx, pkt_build_udp4(f, &a->mac, dmac, a->ip, dip, sport, dport, len));
}

static void send_rrq(const struct stftp *t, const struct storm_addr *a, struct storm_tx *tx)
{
	const struct rrq_desc *rq = rrq_of(t);
	uint8_t *f = storm_tx_next(tx), *p;
	size_t n = strlen(t->file) + 1; /* <= STFTP_NAME_MAX + 1: checked at start */

	if (f == NULL)
		return;
	p = f + UDP4_HDRS_LEN;
	put_be16(p, OP_RRQ);
	memcpy(p + 2, t->file, n);
	memcpy(p + 2 + n, "octet", 6);
	memcpy(p + 8 + n, rq->opts, rq->len);
	commit_udp(tx, f, a, t->port, a->srv_ip, &a->srv_mac, STFTP_SERVER_PORT,
		   8 + n + rq->len);
}

static void send_ack(struct stftp *t, const struct storm_addr *a, struct storm_tx *tx)
{
	uint8_t *f = storm_tx_next(tx);

	t->acked = t->block;
	if (f == NULL)
		return;
	put_be16(f + UDP4_HDRS_LEN, OP_ACK);
	put_be16(f + UDP4_HDRS_LEN + 2, (uint16_t)t->block); /* wire: low 16 bits */
	commit_udp(tx, f, a, t->port, a->srv_ip, &a->srv_mac, t->srv_port, HDR_LEN);
}

/* ERROR (RFC 1350 sec 5) from our @a sport to @a pi's sender. */
static void send_error(const struct storm_addr *a, uint16_t sport, const struct pkt_info *pi,
		       uint16_t code, const char *msg, struct storm_tx *tx)
{
	uint8_t *f = storm_tx_next(tx);
	size_t n = strlen(msg) + 1;

	if (f == NULL)
		return;
	put_be16(f + UDP4_HDRS_LEN, OP_ERROR);
	put_be16(f + UDP4_HDRS_LEN + 2, code);
	memcpy(f + UDP4_HDRS_LEN + HDR_LEN, msg, n);
	commit_udp(tx, f, a, sport, pi->src_ip, &pi->src_mac, pi->src_port, HDR_LEN + n);
}

/* ---- state ------------------------------------------------------------------- */

/* RFC 1350 sec 6 leaves the timeout open; doubling avoids a congested
 * server being hit harder the slower it gets. */
static uint64_t rto(const struct stftp_timing *tm, unsigned tries)
{
	uint64_t t = tm->rto_us;

	for (unsigned i = 0; i < tries && t < tm->rto_max_us; i++)
		t <<= 1;
	return STP_MIN(t, (uint64_t)STP_MAX(tm->rto_max_us, tm->rto_us));
}

/* The one place the state changes; the deadline always goes with it. */
static void set_state(struct stftp *t, enum stftp_state st, uint64_t deadline)
{
	t->state = (uint8_t)st;
	t->deadline = deadline;
}

static int fail(struct stftp *t, enum stftp_cause why)
{
	t->cause = (uint8_t)why;
	set_state(t, STFTP_ST_FAILED, UINT64_MAX);
	return STFTP_FAILED;
}

/* A (new) request: RRQ from our current port, the server's TID unknown. */
static void request(struct stftp *t, const struct storm_addr *a, enum stftp_state st,
		    uint64_t now_us, const struct stftp_timing *tm, struct storm_tx *tx)
{
	t->srv_port = 0;
	t->tries = 0;
	send_rrq(t, a, tx);
	set_state(t, st, now_us + rto(tm, 0));
}

void stftp_start(struct stftp *t, enum stftp_kind kind, const char *file, uint16_t port,
		 struct storm_addr *a, uint64_t now_us, const struct stftp_timing *tm,
		 struct storm_tx *tx)
{
	size_t n = file != NULL ? strnlen(file, STFTP_NAME_MAX + 1) : 0;

	memset(t, 0, sizeof(*t));
	t->kind = (uint8_t)(kind < STFTP_KIND_N ? kind : STFTP_PLAIN);
	t->file = file;
	t->port = port;
	t->blksize = DEFAULT_BLKSIZE;
	t->window = 1;
	if (n == 0 || n > STFTP_NAME_MAX) {
		fail(t, STFTP_CAUSE_NAME);
		return;
	}
	request(t, a, t->kind == STFTP_UEFI ? STFTP_ST_PROBE : STFTP_ST_RRQ_SENT, now_us, tm, tx);
}

int stftp_timer(struct stftp *t, struct storm_addr *a, uint64_t now_us,
		const struct stftp_timing *tm, struct storm_tx *tx)
{
	if (now_us < t->deadline)
		return STFTP_IGNORED;
	if (t->state != STFTP_ST_PROBE && t->state != STFTP_ST_RRQ_SENT &&
	    t->state != STFTP_ST_RECEIVING)
		return STFTP_IGNORED;
	if (t->tries >= tm->max_tries)
		return fail(t, STFTP_CAUSE_TIMEOUT);
	t->tries++;
	t->retrans++;
	/* RFC 7440 sec 4: on a timeout, ACK the last block received in order */
	if (t->state == STFTP_ST_RECEIVING)
		send_ack(t, a, tx);
	else
		send_rrq(t, a, tx);
	set_state(t, (enum stftp_state)t->state, now_us + rto(tm, t->tries));
	return STFTP_RUNNING;
}

uint64_t stftp_deadline(const struct stftp *t)
{
	return t->state == STFTP_ST_IDLE ? UINT64_MAX : t->deadline;
}

const char *stftp_cause(const struct stftp *t, char *buf, size_t cap)
{
	if (cap == 0)
		return buf;
	buf[0] = 0;
	if (t->state != STFTP_ST_FAILED)
		return buf;
	if (t->cause == STFTP_CAUSE_SERVER_ERROR)
		snprintf(buf, cap, "%s %u%s%s", cause_names[t->cause], t->err_code,
			 t->errmsg[0] != 0 ? " " : "", t->errmsg);
	else
		snprintf(buf, cap, "%s", t->cause < STFTP_CAUSE_N ? cause_names[t->cause] : "");
	return buf;
}

/* ---- OACK ---------------------------------------------------------------------- */

/** What an OACK acknowledged (RFC 2347). */
struct oack {
	bool tsize;
	uint64_t tsize_v;
	uint16_t blksize, window; /* 0 = not acknowledged */
};

static bool span_ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s.p[i];

		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (uint8_t)lit[i])
			return false;
	}
	return true;
}

/* Decimal, 1..20 digits, no sign or blank (RFC 2347 values are ASCII numbers). */
static bool parse_dec(struct span s, uint64_t *out)
{
	uint64_t v = 0;

	if (s.len == 0 || s.len > 20)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * One option of an OACK. RFC 2347: a server acknowledges only options the
 * client asked for; RFC 2348 and RFC 7440: it may lower blksize and
 * windowsize, never raise them. Anything else makes the OACK unusable.
 */
static bool oack_opt(struct oack *o, const struct rrq_desc *rq, struct span name,
		     struct span val)
{
	uint64_t v;

	if (!parse_dec(val, &v))
		return false;
	if (span_ieq(name, "blksize") && rq->blksize != 0) {
		if (v < BLKSIZE_MIN || v > rq->blksize)
			return false;
		o->blksize = (uint16_t)v;
	} else if (span_ieq(name, "windowsize") && rq->window != 0) {
		if (v < 1 || v > rq->window)
			return false;
		o->window = (uint16_t)v;
	} else if (span_ieq(name, "tsize") && rq->tsize) {
		o->tsize = true;
		o->tsize_v = v;
	} else {
		return false;
	}
	return true;
}

/* The name\0value\0 pairs after the opcode, each bounded by what is left. */
static bool parse_oack(const uint8_t *p, size_t len, const struct rrq_desc *rq, struct oack *o)
{
	size_t i = 2;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		const uint8_t *z1 = memchr(p + i, 0, len - i), *z2;
		struct span name, val;

		if (z1 == NULL || z1 == p + i)
			return false;
		name = span_make(p + i, (size_t)(z1 - (p + i)));
		i += name.len + 1;
		z2 = i < len ? memchr(p + i, 0, len - i) : NULL;
		if (z2 == NULL)
			return false;
		val = span_make(p + i, (size_t)(z2 - (p + i)));
		i += val.len + 1;
		if (!oack_opt(o, rq, name, val))
			return false;
	}
	return true;
}

static int on_oack(struct stftp *t, struct storm_addr *a, const struct pkt_info *pi,
		   uint64_t now_us, const struct stftp_timing *tm, struct storm_tx *tx)
{
	struct oack o;

	if (t->state == STFTP_ST_RECEIVING) {
		/* the server resends its OACK: our ACK 0 was lost */
		if (t->block != 0 || !(t->flags & STFTP_F_OACK))
			return STFTP_IGNORED;
		send_ack(t, a, tx);
		return STFTP_RUNNING;
	}
	if (!parse_oack(pi->payload.p, pi->payload.len, rrq_of(t), &o)) {
		send_error(a, t->port, pi, ERR_OPTION, "bad option acknowledgment", tx);
		return fail(t, STFTP_CAUSE_BAD_OACK);
	}
	if (o.tsize) {
		t->tsize = o.tsize_v;
		t->flags |= STFTP_F_TSIZE;
	}
	if (t->state == STFTP_ST_PROBE) {
		/* EDK2 wanted the size only: abort, then ask again from a new TID */
		send_error(a, t->port, pi, ERR_OPTION, "User aborted the transfer", tx);
		t->flags |= STFTP_F_PROBED;
		t->port++;
		request(t, a, STFTP_ST_RRQ_SENT, now_us, tm, tx);
		return STFTP_RUNNING;
	}
	t->flags |= STFTP_F_OACK;
	t->blksize = o.blksize != 0 ? o.blksize : DEFAULT_BLKSIZE;
	t->window = o.window != 0 ? o.window : 1;
	t->tries = 0;
	send_ack(t, a, tx); /* ACK 0: RFC 2347, the OACK is acknowledged as block 0 */
	set_state(t, STFTP_ST_RECEIVING, now_us + rto(tm, 0));
	return STFTP_RUNNING;
}

/* ---- DATA ---------------------------------------------------------------------- */

/* Wrap-safe distance of 16-bit block numbers (docs/style.md rule 11). */
static int32_t seq16_diff(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);

	return d < 0x8000u ? (int32_t)d : (int32_t)d - 0x10000;
}

/* The next block in order: count it, ACK per the window, finish on a short one. */
static int data_next(struct stftp *t, struct storm_addr *a, const struct pkt_info *pi,
		     uint64_t now_us, const struct stftp_timing *tm, struct storm_tx *tx)
{
	const uint8_t *d = pi->payload.p + HDR_LEN;
	size_t n = pi->payload.len - HDR_LEN;
	bool tsize = t->flags & STFTP_F_TSIZE;

	if (n > t->blksize) {
		send_error(a, t->port, pi, ERR_ILLEGAL, "block larger than blksize", tx);
		return fail(t, STFTP_CAUSE_BAD_BLOCK);
	}
	t->block++;
	t->bytes += n;
	t->csum = cksum_partial(d, n, t->csum);
	t->tries = 0;
	if (tsize && t->bytes > t->tsize) {
		send_error(a, t->port, pi, ERR_UNDEF, "more data than tsize", tx);
		return fail(t, STFTP_CAUSE_SIZE);
	}
	if (n < t->blksize) {
		/* RFC 1350 sec 6: a short block is the last; ACK it in any case */
		send_ack(t, a, tx);
		if (tsize && t->bytes != t->tsize)
			return fail(t, STFTP_CAUSE_SIZE);
		set_state(t, STFTP_ST_DONE, UINT64_MAX);
		return STFTP_DONE;
	}
	if (t->block - t->acked >= t->window)
		send_ack(t, a, tx);
	set_state(t, STFTP_ST_RECEIVING, now_us + rto(tm, 0));
	return STFTP_RUNNING;
}

static int on_data(struct stftp *t, struct storm_addr *a, const struct pkt_info *pi,
		   uint64_t now_us, const struct stftp_timing *tm, struct storm_tx *tx)
{
	uint16_t w = get_be16(pi->payload.p + 2);
	uint16_t expect;

	if (t->state == STFTP_ST_PROBE || t->state == STFTP_ST_RRQ_SENT) {
		/* RFC 2347: no OACK, so no option is in effect; the probe
		 * becomes the transfer (the server would not answer a second) */
		t->blksize = DEFAULT_BLKSIZE;
		t->window = 1;
		t->block = 0;
		t->acked = 0;
		set_state(t, STFTP_ST_RECEIVING, t->deadline);
	}
	expect = (uint16_t)(t->block + 1);
	if (w == expect)
		return data_next(t, a, pi, now_us, tm, tx);
	if (seq16_diff(w, expect) < 0) {
		t->dups++;
		/* the server resends what we acknowledged: that ACK was lost */
		if (w == (uint16_t)t->block && t->acked == t->block)
			send_ack(t, a, tx);
		return STFTP_RUNNING;
	}
	/* RFC 7440 sec 4: a gap; ACK the last in-order block, once */
	t->gaps++;
	if (t->acked != t->block)
		send_ack(t, a, tx);
	return STFTP_RUNNING;
}

/* ---- ERROR and dispatch ------------------------------------------------------ */

/* RFC 1350 sec 7: errors are not acknowledged; keep the text printable. */
static int on_error(struct stftp *t, const struct pkt_info *pi)
{
	const uint8_t *m = pi->payload.p + HDR_LEN;
	size_t n = pi->payload.len - HDR_LEN, k = 0;

	t->err_code = get_be16(pi->payload.p + 2);
	for (size_t i = 0; i < n && m[i] != 0 && k < STFTP_ERRMSG_MAX - 1; i++)
		t->errmsg[k++] = m[i] >= 0x20 && m[i] < 0x7f ? (char)m[i] : '?';
	t->errmsg[k] = 0;
	return fail(t, STFTP_CAUSE_SERVER_ERROR);
}

/*
 * A frame to a port that is no longer ours: the EDK2 probe's TID. The
 * server resends its OACK there when our ERROR 8 was lost; say it again
 * so that it frees the session rather than waiting out its retries.
 */
static int old_port(const struct stftp *t, const struct storm_addr *a,
		    const struct pkt_info *pi, struct storm_tx *tx)
{
	const struct span *p = &pi->payload;

	if ((t->flags & STFTP_F_PROBED) && pi->dst_port == (uint16_t)(t->port - 1) &&
	    p->len >= 2 && get_be16(p->p) == OP_OACK)
		send_error(a, (uint16_t)(t->port - 1), pi, ERR_OPTION,
			   "User aborted the transfer", tx);
	return STFTP_IGNORED;
}

/* DONE: the server may resend the last block if our final ACK was lost. */
static int dally(struct stftp *t, const struct storm_addr *a, const struct pkt_info *pi,
		 struct storm_tx *tx)
{
	const uint8_t *p = pi->payload.p;

	if (get_be16(p) == OP_DATA && get_be16(p + 2) == (uint16_t)t->block)
		send_ack(t, a, tx);
	return STFTP_IGNORED;
}

int stftp_input(struct stftp *t, struct storm_addr *a, const struct pkt_info *pi,
		uint64_t now_us, const struct stftp_timing *tm, struct storm_tx *tx)
{
	const struct span *p = &pi->payload;
	uint16_t op;

	if (t->state == STFTP_ST_IDLE || t->state == STFTP_ST_FAILED ||
	    pi->proto != IPPROTO_UDP_ || pi->src_ip != a->srv_ip || p->p == NULL)
		return STFTP_IGNORED;
	if (pi->dst_port != t->port)
		return old_port(t, a, pi, tx);
	if (p->len < 2)
		return STFTP_IGNORED; /* not even an opcode */
	op = get_be16(p->p);
	if (p->len < HDR_LEN && op != OP_OACK)
		return STFTP_IGNORED; /* DATA, ERROR: truncated before their number */
	if (t->srv_port != 0 && pi->src_port != t->srv_port) {
		/* RFC 1350 sec 4: another TID; tell it, keep the transfer */
		if (op != OP_ERROR)
			send_error(a, t->port, pi, ERR_UNKNOWN_TID, "Unknown transfer ID", tx);
		return STFTP_IGNORED;
	}
	if (t->state == STFTP_ST_DONE)
		return dally(t, a, pi, tx);
	t->srv_port = pi->src_port; /* RFC 1350 sec 4: its first answer names its TID */
	switch (op) {
	case OP_OACK:
		return on_oack(t, a, pi, now_us, tm, tx);
	case OP_DATA:
		return on_data(t, a, pi, now_us, tm, tx);
	case OP_ERROR:
		return on_error(t, pi);
	default:
		send_error(a, t->port, pi, ERR_ILLEGAL, "Illegal TFTP operation", tx);
		return fail(t, STFTP_CAUSE_BAD_PACKET);
	}
}
