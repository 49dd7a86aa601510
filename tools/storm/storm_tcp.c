/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_tcp.c
 * The client-side TCP of stampede-storm (see storm_tcp.h): segment
 * parsing, the pool, building frames, the handshake, ACK processing and
 * retransmission, the receiver with its out-of-order list and SACK, and
 * the timers.
 */
#include "storm_tcp.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "cksum.h"

/* TCP header flags (RFC 9293 sec 3.1) */
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

#define TCP_HDR 20u
#define OPT_MSS 2
#define OPT_WS 3
#define OPT_SACK_PERM 4
#define OPT_SACK 5
#define OPT_TS 8
#define WS_MAX 14u          /* RFC 7323 sec 2.3 */
#define MSS_DEFAULT 536u    /* RFC 9293 sec 3.7.1: no MSS option */
#define MSS_MIN 88u         /* room for 40 bytes of options and some data */
#define TS_GRANULARITY_US 1000u

/* stcp.flags */
#define STCP_F_TS 0x01          /* timestamps agreed (RFC 7323 sec 3.2) */
#define STCP_F_SACK 0x02        /* SACK permitted by the server (RFC 2018 sec 2) */
#define STCP_F_ACK_NOW 0x04     /* an ACK is owed at once */
#define STCP_F_FIN_QUEUED 0x08  /* our FIN follows the queued bytes */
#define STCP_F_FIN_ACKED 0x10
#define STCP_F_TIMING 0x20      /* rtt_seq/rtt_time time a segment (no timestamps) */
#define STCP_F_PEER_FIN 0x40    /* the server's FIN arrived in order */
#define STCP_F_RTT_VALID 0x80   /* srtt/rttvar hold a measurement */

_Static_assert(sizeof(struct stcp) <= 256, "struct stcp: 100,000 of them per run");
_Static_assert(STCP_SND_MAX <= STCP_BUF_SIZE && STCP_SND_MAX <= UINT16_MAX,
	       "request bytes fit one pool buffer");
_Static_assert(ETH_HDR_LEN + IPV4_HDR_LEN + TCP_HDR + STCP_MSS <= STORM_FRAME_MAX,
	       "a full segment fits a storm frame");

static const char *const state_names[STCP_S_N] = {
#define X(name) #name,
	STCP_STATES(X)
#undef X
};

static const char *const cause_texts[STCP_C_N] = {
#define X(name, text) text,
	STCP_CAUSES(X)
#undef X
};

const char *const stcp_counter_names[] = {
#define X(name, help) #name,
	STCP_COUNTERS(X)
#undef X
};

const char *const stcp_pool_counter_names[] = {
#define X(name, help) #name,
	STCP_POOL_COUNTERS(X)
#undef X
};

const char *stcp_state_name(int state)
{
	return state >= 0 && state < STCP_S_N ? state_names[state] : "?";
}

const char *stcp_cause_str(int cause)
{
	return cause >= 0 && cause < STCP_C_N ? cause_texts[cause] : "?";
}

/* ---- sequence space (RFC 9293 sec 3.4), wrap-safe ---- */

static inline bool sq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool sq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool sq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/** lo <= x < hi */
static inline bool sq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return sq_leq(lo, x) && sq_lt(x, hi);
}

/* ---- named predicates ---- */

static inline bool tx_short(const struct storm_tx *tx)
{
	return tx->cap - tx->n < STCP_TX_RESERVE;
}

static inline bool is_over(const struct stcp *c)
{
	return c->state == STCP_S_CLOSED || c->state == STCP_S_FAILED;
}

bool stcp_receiving(const struct stcp *c)
{
	return c->state == STCP_S_ESTABLISHED || c->state == STCP_S_FIN_WAIT_1 ||
	       c->state == STCP_S_FIN_WAIT_2;
}

/* States after stcp_close(): the close time limit runs, not the idle one. */
static inline bool is_closing(const struct stcp *c)
{
	return c->state == STCP_S_FIN_WAIT_1 || c->state == STCP_S_FIN_WAIT_2 ||
	       c->state == STCP_S_CLOSING || c->state == STCP_S_LAST_ACK;
}

/* While our bytes are unacknowledged the retransmission limit decides,
 * with its own named cause; the idle limit waits for the answer. */
static inline uint64_t idle_deadline(const struct stcp *c)
{
	return c->snd_una != c->snd_max && !is_closing(c) ? UINT64_MAX : c->idle_at;
}

/* Our FIN has been sent (it sits at the end of the queued bytes). */
static inline bool fin_sent(const struct stcp *c)
{
	return (c->flags & STCP_F_FIN_QUEUED) && sq_gt(c->snd_max, c->snd_una + c->snd_len);
}

/* The window we offer: the whole 256 KB, since delivered bytes are
 * consumed at once, as far as the agreed scale can express it. */
static inline uint32_t rcv_wnd(const struct stcp *c)
{
	return STP_MIN(STCP_RCV_WND, 65535u << c->rcv_ws);
}

static inline uint32_t ts_now(const struct stcp *c, uint64_t now_us)
{
	/* RFC 7323 sec 5.4: a 1 ms clock, offset per connection. */
	return (uint32_t)(now_us / 1000u) + c->ts_off;
}

/* ---- the pool ---- */

int stcp_pool_init(struct stcp_pool *pool, void *mem, size_t mem_len, uint32_t per_conn_max,
		   uint32_t reserve)
{
	size_t n = mem_len / (STCP_BUF_SIZE + sizeof(struct stcp_seg));

	if (!pool || !mem || n == 0 || n > INT32_MAX || reserve >= n ||
	    ((uintptr_t)mem & 7u) != 0)
		return -EINVAL;
	memset(pool, 0, sizeof(*pool));
	/* Buffers first: 2 KB multiples keep the bookkeeping 8-byte aligned. */
	pool->buf = mem;
	pool->seg = (struct stcp_seg *)(void *)(pool->buf + n * STCP_BUF_SIZE);
	pool->n = (uint32_t)n;
	pool->n_free = (uint32_t)n;
	pool->per_conn_max = per_conn_max;
	pool->reserve = reserve;
	for (uint32_t i = 0; i < n; i++)
		pool->seg[i] = (struct stcp_seg){ .next = i + 1 < n ? i + 2 : 0 };
	pool->free_head = 1;
	return (int)n;
}

/** Take a buffer, leaving @a keep free ones. @return index + 1, 0 if none. */
static uint32_t pool_get(struct stcp_pool *pool, uint32_t keep)
{
	uint32_t id = pool->free_head;

	if (id == 0 || pool->n_free <= keep)
		return 0;
	pool->free_head = pool->seg[id - 1].next;
	pool->n_free--;
	pool->seg[id - 1].next = 0;
	return id;
}

static void pool_put(struct stcp_pool *pool, uint32_t id)
{
	pool->seg[id - 1].next = pool->free_head;
	pool->free_head = id;
	pool->n_free++;
}

static inline uint8_t *pool_buf(const struct stcp_pool *pool, uint32_t id)
{
	return pool->buf + (size_t)(id - 1) * STCP_BUF_SIZE;
}

/** Give back every buffer @a c holds. */
static void release_bufs(struct stcp *c, struct stcp_pool *pool)
{
	while (c->ooo_head) {
		uint32_t id = c->ooo_head;

		c->ooo_head = pool->seg[id - 1].next;
		pool_put(pool, id);
	}
	c->ooo_n = 0;
	if (c->snd_buf)
		pool_put(pool, c->snd_buf);
	c->snd_buf = 0;
	c->snd_len = 0;
}

/* ---- the state setter (docs/style.md rule 9) ---- */

/**
 * The only place c->state changes. Deadlines follow the state: terminal
 * states hold nothing and wait for nothing; SYN_SENT waits for the SYN
 * timer; ESTABLISHED and CLOSE_WAIT run the idle limit; the closing
 * states run the close limit, set once when the first of them begins.
 */
static void stcp_set_state(struct stcp *c, enum stcp_state st, uint64_t now_us,
			   struct stcp_pool *pool)
{
	bool was_closing = is_closing(c);

	c->state = (uint8_t)st;
	switch (st) {
	case STCP_S_CLOSED:
	case STCP_S_FAILED:
		release_bufs(c, pool);
		c->rto_at = c->delack_at = c->idle_at = UINT64_MAX;
		break;
	case STCP_S_SYN_SENT:
		c->delack_at = c->idle_at = UINT64_MAX;
		c->rto_at = now_us + c->rto_us;
		break;
	case STCP_S_ESTABLISHED:
	case STCP_S_CLOSE_WAIT:
		c->idle_at = c->idle_us ? now_us + c->idle_us : UINT64_MAX;
		break;
	default:
		if (!was_closing)
			c->idle_at = now_us + STCP_CLOSE_US;
		break;
	}
}

/* ---- received segments ---- */

/** A received segment's fields (RFC 9293 sec 3.1) and the options we use. */
struct rx_seg {
	uint16_t sport, dport, win, mss;
	uint32_t seq, ack, tsval, tsecr, len;
	uint8_t flags, ws;
	bool has_mss, has_ws, sack_perm, has_ts;
	const uint8_t *data;
};

/** One option of known @a kind with length @a olen at @a o. */
static void parse_opt(struct rx_seg *s, uint8_t kind, const uint8_t *o, uint8_t olen)
{
	/* A known kind with a wrong length is ignored (RFC 9293 sec 3.2). */
	if (kind == OPT_MSS && olen == 4) {
		s->has_mss = true;
		s->mss = get_be16(o + 2);
	} else if (kind == OPT_WS && olen == 3) {
		s->has_ws = true;
		s->ws = o[2];
	} else if (kind == OPT_SACK_PERM && olen == 2) {
		s->sack_perm = true;
	} else if (kind == OPT_TS && olen == 10) {
		s->has_ts = true;
		s->tsval = get_be32(o + 2);
		s->tsecr = get_be32(o + 6);
	}
}

/**
 * Parse @a l4 (TCP header and payload). Options are walked on the
 * remaining length; every step advances at least one byte (docs/style.md
 * rule 7). The server's SACK blocks are not used: our requests are small.
 * @return false for a malformed header
 */
static bool parse_seg(struct span l4, struct rx_seg *s)
{
	const uint8_t *t = l4.p;
	size_t doff, i;

	memset(s, 0, sizeof(*s));
	if (l4.len < TCP_HDR)
		return false;
	doff = (size_t)(t[12] >> 4) * 4;
	if (doff < TCP_HDR || doff > l4.len)
		return false;
	s->sport = get_be16(t);
	s->dport = get_be16(t + 2);
	s->seq = get_be32(t + 4);
	s->ack = get_be32(t + 8);
	s->flags = t[13];
	s->win = get_be16(t + 14);
	s->data = t + doff;
	s->len = (uint32_t)(l4.len - doff);
	for (i = TCP_HDR; i < doff;) {
		size_t rem = doff - i;
		uint8_t kind = t[i], olen;

		if (kind == 0)          /* end of option list */
			break;
		if (kind == 1) {        /* NOP */
			i++;
			continue;
		}
		if (rem < 2)
			return false;
		olen = t[i + 1];
		if (olen < 2 || olen > rem)
			return false;
		parse_opt(s, kind, t + i, olen);
		i += olen;
	}
	return true;
}

/**
 * Is this segment for @a c? Addresses first (cheap), then the header, then
 * the checksum over the whole segment, only for our own.
 */
static bool seg_ours(const struct stcp *c, const struct storm_addr *a,
		     const struct pkt_info *pi, struct stcp_pool *pool, struct rx_seg *s)
{
	if (pi->proto != IPPROTO_TCP_ || pi->dst_ip != a->ip || pi->src_ip != a->srv_ip ||
	    is_over(c)) {
		pool->ctr.not_ours++;
		return false;
	}
	if (!parse_seg(pi->l4, s)) {
		pool->ctr.bad_hdr++;
		return false;
	}
	if (s->dport != c->lport || s->sport != c->dport) {
		pool->ctr.not_ours++;
		return false;
	}
	if (!pool->csum_verified) {
		uint32_t sum = cksum_pseudo4(pi->src_ip, pi->dst_ip, IPPROTO_TCP_,
					     (uint16_t)pi->l4.len);

		if (cksum_finish(cksum_partial(pi->l4.p, pi->l4.len, sum)) != 0) {
			pool->ctr.bad_csum++;
			return false;
		}
	}
	return true;
}

/* ---- building frames ---- */

/**
 * Walk the out-of-order list one SACK block at a time: the buffers from
 * *it on merged while they touch or overlap. @return false at the end.
 */
static bool next_block(const struct stcp_pool *pool, uint32_t *it, uint32_t *s, uint32_t *e)
{
	const struct stcp_seg *g;

	if (*it == 0)
		return false;
	g = &pool->seg[*it - 1];
	*s = g->seq;
	*e = g->seq + g->len;
	for (*it = g->next; *it; *it = g->next) {
		g = &pool->seg[*it - 1];
		if (sq_gt(g->seq, *e))
			break;
		if (sq_gt(g->seq + g->len, *e))
			*e = g->seq + g->len;
	}
	return true;
}

/**
 * SACK option (RFC 2018 sec 3-4): the block holding the segment that
 * arrived last comes first, as the RFC requires; the others follow from
 * the lowest (nearest the hole the server must fill). @return bytes.
 */
static size_t put_sack(const struct stcp *c, const struct stcp_pool *pool, uint8_t *o,
		       unsigned max_blocks)
{
	uint32_t it = c->ooo_head, s, e, first_s = 0, first_e = 0;
	unsigned n = 0;

	while (next_block(pool, &it, &s, &e)) {
		if (sq_in(c->ooo_last, s, e)) {
			first_s = s;
			first_e = e;
			break;
		}
	}
	o[0] = 1;
	o[1] = 1;
	o[2] = OPT_SACK;
	if (first_s != first_e) {
		put_be32(o + 4, first_s);
		put_be32(o + 8, first_e);
		n = 1;
	}
	for (it = c->ooo_head; n < max_blocks && next_block(pool, &it, &s, &e);) {
		if (s == first_s && e == first_e)
			continue;
		put_be32(o + 4 + 8 * n, s);
		put_be32(o + 8 + 8 * n, e);
		n++;
	}
	o[3] = (uint8_t)(2 + 8 * n);
	return n ? 4 + 8 * (size_t)n : 0;
}

/** Options of a SYN: MSS, SACK-permitted, timestamps, NOP, window scale. */
static size_t put_syn_opts(const struct stcp *c, uint8_t *o, uint64_t now_us)
{
	o[0] = OPT_MSS;
	o[1] = 4;
	put_be16(o + 2, STCP_MSS);
	o[4] = OPT_SACK_PERM;
	o[5] = 2;
	o[6] = OPT_TS;
	o[7] = 10;
	put_be32(o + 8, ts_now(c, now_us));
	put_be32(o + 12, 0);
	o[16] = 1;
	o[17] = OPT_WS;
	o[18] = 3;
	o[19] = STCP_WSCALE;
	return 20;
}

/** Options of any other segment: timestamps, then SACK blocks. */
static size_t put_opts(struct stcp *c, const struct stcp_pool *pool, uint8_t *o,
		       uint8_t flags, uint64_t now_us)
{
	size_t n = 0;

	if (c->flags & STCP_F_TS) {
		o[0] = 1;
		o[1] = 1;
		o[2] = OPT_TS;
		o[3] = 10;
		put_be32(o + 4, ts_now(c, now_us));
		put_be32(o + 8, c->ts_recent);
		n = 12;
	}
	/* 40 option bytes: 3 blocks beside timestamps, 4 without. */
	if ((flags & F_ACK) && !(flags & F_RST) && (c->flags & STCP_F_SACK) && c->ooo_head) {
		size_t sk = put_sack(c, pool, o + n, n ? 3 : 4);

		if (sk)
			c->ctr.sack_acks++;
		n += sk;
	}
	return n;
}

/**
 * Build one segment at @a seq with up to @a len bytes of @a data (fewer
 * when options leave less room under the server's MSS, RFC 6691; a FIN
 * then stays for a later segment) and queue it on @a tx. Every segment
 * with ACK carries our latest ACK and window, so the ACK debt is paid.
 * @return payload bytes sent (>= 0), or -ENOBUFS
 */
static int emit(struct stcp *c, const struct storm_addr *a, const struct stcp_pool *pool,
		uint32_t seq, uint8_t flags, const uint8_t *data, uint32_t len, uint64_t now_us,
		struct storm_tx *tx)
{
	uint8_t *f = storm_tx_next(tx), *ip, *th;
	size_t ol, tl, fl;
	uint32_t win;

	if (!f)
		return -ENOBUFS;
	ip = f + ETH_HDR_LEN;
	th = ip + IPV4_HDR_LEN;
	ol = (flags & F_SYN) ? put_syn_opts(c, th + TCP_HDR, now_us)
			     : put_opts(c, pool, th + TCP_HDR, flags, now_us);
	if (len > c->snd_mss - ol) {
		len = (uint32_t)(c->snd_mss - ol);
		flags &= (uint8_t)~(F_FIN | F_PSH);
	}
	if (len)
		memcpy(th + TCP_HDR + ol, data, len);
	/* RFC 7323 sec 2.2: the window of a SYN is never scaled. */
	win = (flags & F_SYN) ? STP_MIN(rcv_wnd(c), 65535u) : rcv_wnd(c) >> c->rcv_ws;
	put_be16(th, c->lport);
	put_be16(th + 2, c->dport);
	put_be32(th + 4, seq);
	put_be32(th + 8, (flags & F_ACK) ? c->rcv_nxt : 0);
	th[12] = (uint8_t)(((TCP_HDR + ol) / 4) << 4);
	th[13] = flags;
	put_be16(th + 14, (uint16_t)STP_MIN(win, 65535u));
	put_be32(th + 16, 0);    /* checksum and urgent pointer */
	tl = TCP_HDR + ol + len;
	put_be16(th + 16, cksum_finish(cksum_partial(th, tl, cksum_pseudo4(a->ip, a->srv_ip,
			  IPPROTO_TCP_, (uint16_t)tl))));
	pkt_put_eth(f, &a->srv_mac, &a->mac, ETHERTYPE_IPV4);
	pkt_put_ipv4(ip, a->ip, a->srv_ip, IPPROTO_TCP_, (uint16_t)tl, 0);
	fl = ETH_HDR_LEN + IPV4_HDR_LEN + tl;
	if (fl < ETH_MIN_FRAME) {
		memset(f + fl, 0, ETH_MIN_FRAME - fl);
		fl = ETH_MIN_FRAME;
	}
	storm_tx_commit(tx, fl);
	if (flags & F_ACK) {
		c->last_ack_sent = c->rcv_nxt;
		c->flags &= (uint8_t)~STCP_F_ACK_NOW;
		c->segs_unacked = 0;
		c->delack_at = UINT64_MAX;
	}
	return (int)len;
}

static int send_ack(struct stcp *c, const struct storm_addr *a, const struct stcp_pool *pool,
		    uint64_t now_us, struct storm_tx *tx)
{
	return emit(c, a, pool, c->snd_nxt, F_ACK, NULL, 0, now_us, tx);
}

/* RST|ACK at the highest sequence number we sent: what the server has
 * most likely received, so RFC 5961 sec 3 lets it act at once. */
static void send_rst(struct stcp *c, const struct storm_addr *a, const struct stcp_pool *pool,
		     uint64_t now_us, struct storm_tx *tx)
{
	(void)emit(c, a, pool, c->snd_max, F_RST | F_ACK, NULL, 0, now_us, tx);
}

/* ---- sending: request bytes, FIN, retransmission ---- */

static inline void arm_rto(struct stcp *c, uint64_t now_us)
{
	if (c->rto_at == UINT64_MAX)
		c->rto_at = now_us + c->rto_us;
}

/**
 * One segment from @a seq: queued bytes the window allows (at least one
 * byte when @a probe, RFC 9293 sec 3.8.6.1 zero-window probe) and the FIN
 * if it is queued and comes next.
 * @return sequence space sent (0: nothing to send), or -ENOBUFS
 */
static int send_at(struct stcp *c, const struct storm_addr *a, const struct stcp_pool *pool,
		   uint32_t seq, bool probe, uint64_t now_us, struct storm_tx *tx)
{
	uint32_t end = c->snd_una + c->snd_len;
	uint32_t wnd_end = c->snd_una + STP_MAX(c->snd_wnd, probe ? 1u : 0u);
	uint32_t avail = sq_lt(seq, end) ? end - seq : 0;
	uint32_t room = sq_lt(seq, wnd_end) ? wnd_end - seq : 0;
	bool fin;
	uint8_t flags = F_ACK;
	int n;

	if (c->flags & STCP_F_FIN_ACKED)
		return 0;
	avail = STP_MIN(avail, room);
	fin = (c->flags & STCP_F_FIN_QUEUED) && seq + avail == end;
	if (avail == 0 && !fin)
		return 0;
	if (avail && seq + avail == end)
		flags |= F_PSH;
	if (fin)
		flags |= F_FIN;
	n = emit(c, a, pool, seq, flags,
		 avail ? pool_buf(pool, c->snd_buf) + (seq - c->snd_una) : NULL, avail, now_us, tx);
	if (n < 0)
		return n;
	if (sq_lt(seq, c->snd_max))
		c->ctr.retransmits++;
	return n + (fin && (uint32_t)n == avail ? 1 : 0);
}

/**
 * Send what the window allows from snd_nxt on (at most @a max_segs
 * segments), time one new segment when there are no timestamps (RFC 6298
 * sec 3, Karn), keep the RTO armed while anything is unacknowledged or a
 * closed window holds bytes back.
 */
static void send_data(struct stcp *c, const struct storm_addr *a, const struct stcp_pool *pool,
		      unsigned max_segs, bool probe, uint64_t now_us, struct storm_tx *tx)
{
	for (unsigned i = 0; i < max_segs; i++) {
		uint32_t seq = c->snd_nxt;
		int used = send_at(c, a, pool, seq, probe && i == 0, now_us, tx);

		if (used <= 0)
			break;
		if (!(c->flags & (STCP_F_TS | STCP_F_TIMING)) && seq == c->snd_max) {
			c->flags |= STCP_F_TIMING;
			c->rtt_seq = seq;
			c->rtt_time = now_us;
		}
		c->snd_nxt = seq + (uint32_t)used;
		if (sq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		arm_rto(c, now_us);
	}
	/* Bytes waiting behind a zero window and nothing in flight: the RTO
	 * becomes the persist timer and its expiry sends a probe. */
	if (c->snd_una == c->snd_max && (c->snd_len || (c->flags & STCP_F_FIN_QUEUED)) &&
	    !(c->flags & STCP_F_FIN_ACKED))
		arm_rto(c, now_us);
}

/* ---- RTT and RTO (RFC 6298) ---- */

static uint32_t rto_base(const struct stcp *c)
{
	uint64_t r;

	if (!(c->flags & STCP_F_RTT_VALID))
		return STCP_SYN_RTO_US;          /* RFC 6298 sec 2.1 */
	r = (uint64_t)c->srtt_us + STP_MAX(TS_GRANULARITY_US, 4ull * c->rttvar_us);
	return (uint32_t)STP_MIN(STP_MAX(r, STCP_RTO_MIN_US), STCP_RTO_MAX_US);
}

/** RFC 6298 sec 2.2-2.3 with alpha 1/8, beta 1/4. */
static void rtt_sample(struct stcp *c, uint32_t r)
{
	if (!(c->flags & STCP_F_RTT_VALID)) {
		c->srtt_us = r;
		c->rttvar_us = r / 2;
		c->flags |= STCP_F_RTT_VALID;
		return;
	}
	c->rttvar_us = (uint32_t)((3ull * c->rttvar_us +
				   (c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us)) / 4);
	c->srtt_us = (uint32_t)((7ull * c->srtt_us + r) / 8);
}

/** An RTT sample from an ACK of new data: the timestamp echo (RFC 7323
 * sec 4.1), else the timed segment. */
static void rtt_from_ack(struct stcp *c, const struct rx_seg *s, uint64_t now_us)
{
	if ((c->flags & STCP_F_TS) && s->has_ts && s->tsecr != 0) {
		uint32_t ms = ts_now(c, now_us) - s->tsecr;

		if (ms < (1u << 22))            /* else an echo from nowhere */
			rtt_sample(c, ms * 1000u);
	} else if ((c->flags & STCP_F_TIMING) && sq_gt(s->ack, c->rtt_seq)) {
		rtt_sample(c, (uint32_t)STP_MIN(now_us - c->rtt_time, (uint64_t)UINT32_MAX));
		c->flags &= (uint8_t)~STCP_F_TIMING;
	}
}

/* ---- failures ---- */

static int fail(struct stcp *c, const struct storm_addr *a, enum stcp_cause why, bool rst,
		uint64_t now_us, struct stcp_pool *pool, struct storm_tx *tx)
{
	if (rst)
		send_rst(c, a, pool, now_us, tx);
	c->cause = (uint8_t)why;
	stcp_set_state(c, STCP_S_FAILED, now_us, pool);
	return STCP_FAILED;
}

/* ---- the handshake ---- */

int stcp_connect(struct stcp *c, const struct storm_addr *a, uint16_t lport, uint16_t dport,
		 uint32_t iss, uint64_t now_us, struct storm_tx *tx)
{
	if (!is_over(c) || c->snd_buf || c->ooo_head)
		return -EISCONN;
	if (tx_short(tx))
		return -ENOBUFS;
	memset(c, 0, sizeof(*c));
	c->lport = lport;
	c->dport = dport;
	c->iss = iss;
	c->snd_una = iss;
	c->snd_nxt = c->snd_max = iss + 1;
	c->snd_mss = STCP_MSS;
	/* RFC 7323 sec 5.4: timestamps start at a per-connection offset. */
	c->ts_off = iss * 2654435761u;
	c->idle_us = STCP_IDLE_US;
	c->rto_us = STCP_SYN_RTO_US;
	c->flags = STCP_F_TIMING;
	c->rtt_seq = iss;
	c->rtt_time = now_us;
	c->rto_at = c->delack_at = c->idle_at = UINT64_MAX;
	(void)emit(c, a, NULL, iss, F_SYN, NULL, 0, now_us, tx);
	stcp_set_state(c, STCP_S_SYN_SENT, now_us, NULL);
	return 0;
}

/** What the SYN-ACK's options agree (clamped where parsed: docs/style.md rule 8). */
static void negotiate(struct stcp *c, const struct rx_seg *s)
{
	/* RFC 9293 sec 3.7.1: 536 without the option; never above ours, and
	 * not so small that options leave no room for data. */
	uint32_t mss = s->has_mss ? s->mss : MSS_DEFAULT;

	c->snd_mss = (uint16_t)STP_MIN(STP_MAX(mss, MSS_MIN), STCP_MSS);
	/* RFC 7323 sec 2.3: scaling only when both sent the option; a shift
	 * above 14 is taken as 14. */
	if (s->has_ws) {
		c->snd_ws = (uint8_t)STP_MIN(s->ws, WS_MAX);
		c->rcv_ws = STCP_WSCALE;
	}
	if (s->sack_perm)
		c->flags |= STCP_F_SACK;
	/* RFC 7323 sec 3.2: timestamps only if the SYN-ACK carries one too. */
	if (s->has_ts) {
		c->flags |= STCP_F_TS;
		c->ts_recent = s->tsval;
		c->flags &= (uint8_t)~STCP_F_TIMING;
	}
}

/** SYN_SENT (RFC 9293 sec 3.10.7.3). */
static int rx_syn_sent(struct stcp *c, const struct storm_addr *a, const struct rx_seg *s,
		       uint64_t now_us, struct stcp_pool *pool, struct storm_tx *tx)
{
	bool ack_ok = sq_gt(s->ack, c->iss) && sq_leq(s->ack, c->snd_max);

	if ((s->flags & F_ACK) && !ack_ok) {
		if (!(s->flags & F_RST))   /* <SEQ=SEG.ACK><CTL=RST> */
			(void)emit(c, a, pool, s->ack, F_RST, NULL, 0, now_us, tx);
		return STCP_OPEN;
	}
	if (s->flags & F_RST)
		return (s->flags & F_ACK) ? fail(c, a, STCP_C_REFUSED, false, now_us, pool, tx)
					  : STCP_OPEN;
	/* A SYN without ACK would be a simultaneous open: no server does it. */
	if ((s->flags & (F_SYN | F_ACK)) != (F_SYN | F_ACK))
		return STCP_OPEN;
	c->rcv_nxt = s->seq + 1;
	negotiate(c, s);
	rtt_from_ack(c, s, now_us);
	c->snd_una = s->ack;
	c->snd_wnd = s->win;       /* RFC 7323 sec 2.2: unscaled in a SYN */
	c->retries = 0;
	c->rto_us = rto_base(c);
	c->rto_at = UINT64_MAX;
	stcp_set_state(c, STCP_S_ESTABLISHED, now_us, pool);
	/* The request queued meanwhile carries the handshake's last ACK. */
	send_data(c, a, pool, 2, false, now_us, tx);
	if (c->last_ack_sent != c->rcv_nxt || c->snd_nxt == c->snd_una)
		(void)send_ack(c, a, pool, now_us, tx);
	return STCP_ESTABLISHED;
}

/* ---- ACK processing ---- */

/** A new cumulative ACK: drop acknowledged bytes, sample, re-arm (RFC 6298 sec 5). */
static void new_ack(struct stcp *c, const struct rx_seg *s, uint64_t now_us,
		    struct stcp_pool *pool)
{
	uint32_t acked = s->ack - c->snd_una, data = STP_MIN(acked, (uint32_t)c->snd_len);

	if (fin_sent(c) && sq_gt(s->ack, c->snd_una + c->snd_len))
		c->flags |= STCP_F_FIN_ACKED;
	rtt_from_ack(c, s, now_us);
	if (data) {
		uint8_t *b = pool_buf(pool, c->snd_buf);

		memmove(b, b + data, c->snd_len - data);
		c->snd_len = (uint16_t)(c->snd_len - data);
		if (c->snd_len == 0) {
			pool_put(pool, c->snd_buf);
			c->snd_buf = 0;
		}
	}
	c->snd_una = s->ack;
	if (sq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->retries = 0;
	c->dupacks = 0;
	c->rto_us = rto_base(c);
	c->rto_at = c->snd_una == c->snd_max ? UINT64_MAX : now_us + c->rto_us;
}

/**
 * The ACK field of an acceptable segment (RFC 9293 sec 3.10.7.4, fifth
 * check), duplicate ACKs and fast retransmit (RFC 5681 sec 3.2), the send
 * window. @return false when the segment must be dropped (it ACKs what
 * we never sent: an ACK is owed).
 */
static bool rx_ack(struct stcp *c, const struct storm_addr *a, const struct rx_seg *s,
		   uint64_t now_us, struct stcp_pool *pool, struct storm_tx *tx)
{
	uint32_t wnd = (uint32_t)s->win << c->snd_ws;

	if (sq_gt(s->ack, c->snd_max)) {
		c->flags |= STCP_F_ACK_NOW;
		return false;
	}
	if (sq_gt(s->ack, c->snd_una)) {
		new_ack(c, s, now_us, pool);
	} else if (s->ack == c->snd_una && s->len == 0 && !(s->flags & (F_SYN | F_FIN)) &&
		   wnd == c->snd_wnd && c->snd_una != c->snd_max) {
		/* Three duplicates: the first unacknowledged segment is lost.
		 * Our requests are a segment or two, so no recovery phase. */
		if (++c->dupacks == 3) {
			c->flags &= (uint8_t)~STCP_F_TIMING;      /* Karn */
			(void)send_at(c, a, pool, c->snd_una, false, now_us, tx);
		}
	}
	if (sq_leq(c->snd_una, s->ack))
		c->snd_wnd = wnd;
	if ((c->flags & STCP_F_FIN_ACKED) && c->state == STCP_S_FIN_WAIT_1)
		stcp_set_state(c, STCP_S_FIN_WAIT_2, now_us, pool);
	return true;
}

/* ---- receiving data ---- */

/** Deliver buffered segments the cumulative point has reached. @return FIN seen. */
static bool drain_ooo(struct stcp *c, struct stcp_pool *pool, stcp_deliver_fn deliver,
		      void *ctx)
{
	bool fin = false;

	while (c->ooo_head && !fin) {
		uint32_t id = c->ooo_head;
		const struct stcp_seg *g = &pool->seg[id - 1];
		uint32_t end = g->seq + g->len;

		if (sq_gt(g->seq, c->rcv_nxt))
			break;
		if (sq_gt(end, c->rcv_nxt)) {
			uint32_t off = c->rcv_nxt - g->seq;

			deliver(ctx, pool_buf(pool, id) + off, end - c->rcv_nxt);
			c->ctr.bytes_rcvd += end - c->rcv_nxt;
			c->rcv_nxt = end;
		}
		fin = g->fin && end == c->rcv_nxt;
		c->ooo_head = g->next;
		c->ooo_n--;
		pool_put(pool, id);
	}
	return fin;
}

/** Already held in full by a buffered segment? */
static bool ooo_covered(const struct stcp *c, const struct stcp_pool *pool, uint32_t seq,
			uint32_t len)
{
	for (uint32_t it = c->ooo_head; it; it = pool->seg[it - 1].next) {
		const struct stcp_seg *g = &pool->seg[it - 1];

		if (sq_leq(g->seq, seq) && sq_leq(seq + len, g->seq + g->len))
			return true;
	}
	return false;
}

/**
 * A segment beyond a hole: keep a copy in a pool buffer, sorted by
 * sequence number, if the connection and the pool allow; otherwise drop
 * it unSACKed, so the server retransmits it. Either way ACK at once
 * (RFC 5681 sec 4.2).
 */
static void rx_ooo(struct stcp *c, const struct rx_seg *s, uint32_t seq, uint32_t len,
		   bool fin, struct stcp_pool *pool)
{
	uint32_t id, *link = &c->ooo_head;

	c->flags |= STCP_F_ACK_NOW;
	c->ctr.ooo_segs++;
	if (len == 0)
		return;
	if (ooo_covered(c, pool, seq, len)) {
		c->ctr.dup_segs++;
		c->ooo_last = seq;
		return;
	}
	if (len > STCP_BUF_SIZE || c->ooo_n >= pool->per_conn_max) {
		pool->ctr.ooo_conn_full++;
		c->ctr.ooo_dropped++;
		return;
	}
	id = pool_get(pool, pool->reserve);
	if (!id) {
		pool->ctr.ooo_no_buf++;
		c->ctr.ooo_dropped++;
		return;
	}
	memcpy(pool_buf(pool, id), s->data + (seq - s->seq), len);
	pool->seg[id - 1] = (struct stcp_seg){ .seq = seq, .len = (uint16_t)len, .fin = fin };
	while (*link && sq_leq(pool->seg[*link - 1].seq, seq))
		link = &pool->seg[*link - 1].next;
	pool->seg[id - 1].next = *link;
	*link = id;
	c->ooo_n++;
	c->ooo_last = seq;
}

/**
 * The segment's text (RFC 9293 sec 3.10.7.4, seventh and eighth checks),
 * trimmed to the window: in order to @a deliver, then whatever the pool
 * held behind it; out of order to rx_ooo(). ACK policy of RFC 5681 sec
 * 4.2. @return true when the server's FIN arrived in order now.
 */
static bool rx_data(struct stcp *c, const struct rx_seg *s, struct stcp_pool *pool,
		    stcp_deliver_fn deliver, void *ctx)
{
	uint32_t seq = s->seq, len = s->len, wend = c->rcv_nxt + rcv_wnd(c);
	bool fin = (s->flags & F_FIN) != 0, had_ooo = c->ooo_head != 0;

	if (!stcp_receiving(c) || (len == 0 && !fin))
		return false;
	if (sq_lt(seq, c->rcv_nxt)) {
		uint32_t skip = STP_MIN(c->rcv_nxt - seq, len);

		seq += skip;
		len -= skip;
	}
	if (sq_gt(seq + len, wend)) {
		len = wend - seq;
		fin = false;
	}
	if (seq != c->rcv_nxt) {
		rx_ooo(c, s, seq, len, fin, pool);
		return false;
	}
	if (len) {
		deliver(ctx, s->data + (seq - s->seq), len);
		c->ctr.bytes_rcvd += len;
		c->rcv_nxt += len;
	}
	if (had_ooo && drain_ooo(c, pool, deliver, ctx))
		fin = true;
	if (fin)
		c->rcv_nxt++;
	if (had_ooo || fin || (s->flags & F_PSH) || ++c->segs_unacked >= 2)
		c->flags |= STCP_F_ACK_NOW;
	return fin;
}

/** The server's FIN arrived: the state moves on (no TIME_WAIT, see the header). */
static int on_peer_fin(struct stcp *c, uint64_t now_us, struct stcp_pool *pool)
{
	c->flags |= STCP_F_PEER_FIN;
	switch (c->state) {
	case STCP_S_ESTABLISHED:
		stcp_set_state(c, STCP_S_CLOSE_WAIT, now_us, pool);
		return STCP_CLOSED_BY_PEER;
	case STCP_S_FIN_WAIT_1:
		stcp_set_state(c, STCP_S_CLOSING, now_us, pool);
		return STCP_CLOSED_BY_PEER;
	default:     /* FIN_WAIT_2 */
		stcp_set_state(c, STCP_S_CLOSED, now_us, pool);
		return STCP_CLOSED;
	}
}

/** RFC 9293 sec 3.10.7.4, first check, and PAWS (RFC 7323 sec 5.3). */
static bool acceptable(const struct stcp *c, const struct rx_seg *s)
{
	uint32_t seg_len = s->len + ((s->flags & F_SYN) ? 1u : 0u) + ((s->flags & F_FIN) ? 1u : 0u);
	uint32_t wend = c->rcv_nxt + rcv_wnd(c);

	if ((c->flags & STCP_F_TS) && s->has_ts && !(s->flags & F_RST) &&
	    sq_lt(s->tsval, c->ts_recent))
		return false;
	if (seg_len == 0)
		return sq_in(s->seq, c->rcv_nxt, wend);
	return sq_in(s->seq, c->rcv_nxt, wend) || sq_in(s->seq + seg_len - 1, c->rcv_nxt, wend);
}

/**
 * RST (RFC 5961 sec 3.2: only at exactly rcv_nxt; elsewhere in the
 * window a challenge ACK) and SYN (sec 4.2: always a challenge ACK) in a
 * synchronized state. @return an event, or -1 when neither flag is set.
 */
static int rx_rst_syn(struct stcp *c, const struct storm_addr *a, const struct rx_seg *s,
		      uint64_t now_us, struct stcp_pool *pool, struct storm_tx *tx)
{
	if ((s->flags & F_RST) && s->seq == c->rcv_nxt)
		return fail(c, a, STCP_C_RESET, false, now_us, pool, tx);
	if (s->flags & (F_RST | F_SYN)) {
		(void)send_ack(c, a, pool, now_us, tx);
		return STCP_OPEN;
	}
	return -1;
}

/** Every state after the handshake (RFC 9293 sec 3.10.7.4). */
static int rx_synced(struct stcp *c, const struct storm_addr *a, const struct rx_seg *s,
		     uint64_t now_us, struct stcp_pool *pool, stcp_deliver_fn deliver, void *ctx,
		     struct storm_tx *tx)
{
	int ev = STCP_OPEN;
	bool fin;

	if (!acceptable(c, s)) {
		if (!(s->flags & F_RST)) {
			c->ctr.dup_segs++;
			(void)send_ack(c, a, pool, now_us, tx);
		}
		return STCP_OPEN;
	}
	ev = rx_rst_syn(c, a, s, now_us, pool, tx);
	if (ev >= 0 || !(s->flags & F_ACK))
		return ev >= 0 ? ev : STCP_OPEN;
	/* RFC 7323 sec 4.3: the TSval to echo is the one of the segment
	 * that our last ACK acknowledged at most. */
	if ((c->flags & STCP_F_TS) && s->has_ts && sq_leq(s->seq, c->last_ack_sent) &&
	    !sq_lt(s->tsval, c->ts_recent))
		c->ts_recent = s->tsval;
	if (c->state == STCP_S_ESTABLISHED || c->state == STCP_S_CLOSE_WAIT)
		c->idle_at = c->idle_us ? now_us + c->idle_us : UINT64_MAX;
	if (!rx_ack(c, a, s, now_us, pool, tx)) {
		(void)send_ack(c, a, pool, now_us, tx);
		return STCP_OPEN;
	}
	if ((c->flags & STCP_F_FIN_ACKED) &&
	    (c->state == STCP_S_CLOSING || c->state == STCP_S_LAST_ACK)) {
		stcp_set_state(c, STCP_S_CLOSED, now_us, pool);
		return STCP_CLOSED;
	}
	fin = rx_data(c, s, pool, deliver, ctx);
	send_data(c, a, pool, 2, false, now_us, tx);
	if (c->flags & STCP_F_ACK_NOW)
		(void)send_ack(c, a, pool, now_us, tx);
	else if (c->segs_unacked && c->delack_at == UINT64_MAX)
		c->delack_at = now_us + STCP_DELACK_US;
	return fin ? on_peer_fin(c, now_us, pool) : STCP_OPEN;
}

int stcp_input(struct stcp *c, const struct storm_addr *a, const struct pkt_info *pi,
	       uint64_t now_us, struct stcp_pool *pool, stcp_deliver_fn deliver, void *ctx,
	       struct storm_tx *tx)
{
	struct rx_seg s;

	if (tx_short(tx))
		return -ENOBUFS;
	if (!seg_ours(c, a, pi, pool, &s))
		return STCP_IGNORED;
	if (c->state == STCP_S_SYN_SENT)
		return rx_syn_sent(c, a, &s, now_us, pool, tx);
	return rx_synced(c, a, &s, now_us, pool, deliver, ctx, tx);
}

/* ---- the application's calls ---- */

int stcp_send(struct stcp *c, const struct storm_addr *a, const void *p, size_t n,
	      uint64_t now_us, struct stcp_pool *pool, struct storm_tx *tx)
{
	bool open = c->state == STCP_S_SYN_SENT || c->state == STCP_S_ESTABLISHED ||
		    c->state == STCP_S_CLOSE_WAIT;

	if (!open || (c->flags & STCP_F_FIN_QUEUED))
		return -ENOTCONN;
	if (tx_short(tx))
		return -ENOBUFS;
	if (n > STCP_SND_MAX - c->snd_len)
		return -EMSGSIZE;
	if (n == 0)
		return 0;
	if (!c->snd_buf) {
		/* Requests may take the reserve out-of-order data leaves. */
		c->snd_buf = pool_get(pool, 0);
		if (!c->snd_buf) {
			pool->ctr.snd_no_buf++;
			return -ENOMEM;
		}
	}
	memcpy(pool_buf(pool, c->snd_buf) + c->snd_len, p, n);
	c->snd_len = (uint16_t)(c->snd_len + n);
	if (c->state != STCP_S_SYN_SENT)
		send_data(c, a, pool, 2, false, now_us, tx);
	return 0;
}

int stcp_close(struct stcp *c, const struct storm_addr *a, bool abort, uint64_t now_us,
	       struct stcp_pool *pool, struct storm_tx *tx)
{
	if (is_over(c))
		return 0;
	if (tx_short(tx))
		return -ENOBUFS;
	if (c->state == STCP_S_SYN_SENT) {
		/* Nothing to reset yet; a late SYN-ACK finds no connection
		 * and the server's own timers end its half-open state. */
		stcp_set_state(c, STCP_S_CLOSED, now_us, pool);
		return 0;
	}
	if (abort) {
		send_rst(c, a, pool, now_us, tx);
		stcp_set_state(c, STCP_S_CLOSED, now_us, pool);
		return 0;
	}
	if (c->flags & STCP_F_FIN_QUEUED)
		return 0;
	c->flags |= STCP_F_FIN_QUEUED;
	stcp_set_state(c, c->state == STCP_S_CLOSE_WAIT ? STCP_S_LAST_ACK : STCP_S_FIN_WAIT_1,
		       now_us, pool);
	send_data(c, a, pool, 2, false, now_us, tx);
	return 0;
}

void stcp_set_idle(struct stcp *c, uint32_t idle_us, uint64_t now_us)
{
	c->idle_us = idle_us;
	if (c->state == STCP_S_ESTABLISHED || c->state == STCP_S_CLOSE_WAIT)
		c->idle_at = idle_us ? now_us + idle_us : UINT64_MAX;
}

/* ---- timers ---- */

/** The RTO fired (RFC 6298 sec 5.4-5.7): resend the SYN or the first
 * unacknowledged segment with the timer backed off, or give up. */
static int on_rto(struct stcp *c, const struct storm_addr *a, uint64_t now_us,
		  struct stcp_pool *pool, struct storm_tx *tx)
{
	bool syn = c->state == STCP_S_SYN_SENT;

	if (c->retries >= (syn ? STCP_SYN_RETRIES : STCP_RETRIES))
		return syn ? fail(c, a, STCP_C_CONNECT_TIMEOUT, false, now_us, pool, tx)
			   : fail(c, a, STCP_C_RETRANSMIT_TIMEOUT, true, now_us, pool, tx);
	if (!syn && c->snd_una == c->snd_max && !c->snd_len &&
	    !(c->flags & STCP_F_FIN_QUEUED)) {
		c->rto_at = UINT64_MAX;       /* nothing left to resend or probe */
		return STCP_OPEN;
	}
	c->retries++;
	c->rto_us = (uint32_t)STP_MIN(2ull * c->rto_us, STCP_RTO_MAX_US);
	c->rto_at = now_us + c->rto_us;
	c->flags &= (uint8_t)~STCP_F_TIMING;          /* Karn */
	c->ctr.retransmits += syn;
	if (syn) {
		(void)emit(c, a, pool, c->iss, F_SYN, NULL, 0, now_us, tx);
		return STCP_OPEN;
	}
	/* Go back to the first unacknowledged byte; one segment now, the
	 * rest as ACKs return (snd_max remembers how far we had sent). */
	c->snd_nxt = c->snd_una;
	send_data(c, a, pool, 1, true, now_us, tx);
	return STCP_OPEN;
}

int stcp_timer(struct stcp *c, const struct storm_addr *a, uint64_t now_us,
	       struct stcp_pool *pool, struct storm_tx *tx)
{
	if (is_over(c))
		return STCP_IGNORED;
	if (tx_short(tx))
		return -ENOBUFS;
	if (idle_deadline(c) <= now_us) {
		if (!is_closing(c))
			return fail(c, a, STCP_C_IDLE_TIMEOUT, true, now_us, pool, tx);
		/* The server never finished the FIN exchange: end it quietly. */
		send_rst(c, a, pool, now_us, tx);
		stcp_set_state(c, STCP_S_CLOSED, now_us, pool);
		return STCP_CLOSED;
	}
	if (c->rto_at <= now_us && on_rto(c, a, now_us, pool, tx) == STCP_FAILED)
		return STCP_FAILED;
	if (c->delack_at <= now_us)
		(void)send_ack(c, a, pool, now_us, tx);
	return STCP_OPEN;
}

uint64_t stcp_deadline(const struct stcp *c)
{
	if (is_over(c))
		return UINT64_MAX;
	return STP_MIN(c->rto_at, STP_MIN(c->delack_at, idle_deadline(c)));
}
