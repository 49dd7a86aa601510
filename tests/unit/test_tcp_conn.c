/* SPDX-License-Identifier: BSD-3-Clause */
/* The TCP core's state machine driven by crafted segments and an explicit
 * clock: handshakes with every option mix (byte-exact SYN-ACKs), request
 * bytes in order, out of order and duplicated, a large object under slow
 * start and congestion avoidance, fast retransmit with limited transmit,
 * SACK recovery, the RFC 6675 scoreboard (pipe, rescue retransmission),
 * RACK-TLP (a lost retransmission, a tail loss, after an RTO),
 * retransmissions that stop at snd_max (a FIN queued behind a full pipe,
 * a segment cut to the window), RTO backoff and retry limit, zero
 * window and persist probes, the close paths, RFC 5961 RST/SYN handling,
 * SYN cookies, idle timeout, TIME_WAIT, and every drop reason. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"
#include "tcp.h"
#include "tcp_impl.h"

#define SEC 1000000ull
#define MS 1000ull
#define T0 (1000 * SEC)
#define SIP 0x0a000001u
#define CIP 0x0a000032u
#define OBJ_LEN (400 * 1448 + 100)
#define REQ "GET /bzImage HTTP/1.1\r\nHost: x\r\n\r\n"
#define HDR "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"
#define HDR_LEN (sizeof(HDR) - 1)

struct cl {
	uint32_t ip;
	uint16_t port;
	uint32_t seq, ack;        /* next seq to send; what we ACK */
	uint16_t win;
	bool ts;
	uint32_t tsval, tsecr;
};

struct fx {
	struct tcp_table *t;
	struct tcp_act act[64];
	struct tcp_out out;
	uint64_t now;
	struct stp_object obj;
	uint8_t *data;
	bool close_after;         /* app: Connection: close */
	unsigned on_data, n_closed;
	int last_close;
	uint32_t last_conn;
	size_t req_seen;
};

static void app_on_data(void *app, uint32_t conn, struct tcp_table *t, uint64_t now)
{
	struct fx *f = app;
	struct span rx = tcp_rx_peek(t, conn);
	static const char hdr[] = HDR;

	(void)now;
	f->on_data++;
	f->last_conn = conn;
	if (rx.len >= 4 && memcmp(rx.p + rx.len - 4, "\r\n\r\n", 4) == 0) {
		f->req_seen = rx.len;
		tcp_rx_consume(t, conn, rx.len);
		assert_int_equal(tcp_send_bytes(t, conn, hdr, sizeof(hdr) - 1), 0);
		assert_int_equal(tcp_send_object(t, conn, &f->obj, 0, f->obj.len), 0);
		if (f->close_after)
			assert_int_equal(tcp_shutdown(t, conn), 0);
	} else if (tcp_rx_eof(t, conn)) {
		tcp_shutdown(t, conn);
	}
}

static void app_on_close(void *app, uint32_t conn, int reason)
{
	struct fx *f = app;

	(void)conn;
	f->n_closed++;
	f->last_close = reason;
}

static struct tcp_table_cfg base_cfg(struct fx *f)
{
	struct tcp_table_cfg cfg = {
		.capacity = 4, .local_ip = SIP, .local_port = 80, .mss = 1460,
		.rx_buf = 4096, .tx_buf = 1024,
		.timing = TCP_TIMING_DEFAULT,
		.ops = { app_on_data, app_on_close }, .app = f,
	};
	memcpy(cfg.secret, "0123456789abcdef", 16);
	return cfg;
}

static struct fx *fx_new_cfg(const struct tcp_table_cfg *cfg_in)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tcp_table_cfg cfg = *cfg_in;

	cfg.app = f;
	f->data = malloc(OBJ_LEN);
	for (size_t i = 0; i < OBJ_LEN; i++)
		f->data[i] = (uint8_t)(i * 7 + 3);
	f->obj.data = f->data;
	f->obj.len = OBJ_LEN;
	f->t = tcp_table_create(&cfg);
	assert_non_null(f->t);
	f->out.act = f->act;
	f->out.cap = 64;
	f->now = T0;
	return f;
}

static struct fx *fx_new(void)
{
	struct tcp_table_cfg cfg = base_cfg(NULL);

	return fx_new_cfg(&cfg);
}

static void fx_free(struct fx *f)
{
	tcp_table_destroy(f->t);
	free(f->data);
	free(f);
}

static const struct tcp_counters *cnt(struct fx *f)
{
	return tcp_table_counters(f->t);
}

/** Build a TCP segment into @a b. @return its length. */
static size_t build(uint8_t *b, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		    uint8_t flags, uint16_t win, const uint8_t *opt, size_t optlen,
		    const void *data, size_t len)
{
	size_t hl = 20 + ((optlen + 3) & ~(size_t)3);

	memset(b, 0, hl);
	put_be16(b, sport);
	put_be16(b + 2, dport);
	put_be32(b + 4, seq);
	put_be32(b + 8, ack);
	b[12] = (uint8_t)((hl / 4) << 4);
	b[13] = flags;
	put_be16(b + 14, win);
	if (optlen)
		memcpy(b + 20, opt, optlen);
	if (len)
		memcpy(b + hl, data, len);
	return hl + len;
}

static int feed_raw(struct fx *f, uint32_t src, const uint8_t *b, size_t n)
{
	struct tcp_seg_in in = { src, SIP, span_make(b, n) };

	f->out.n = 0;
	return tcp_input(f->t, &in, f->now, &f->out);
}

/** Send from client @a c with extra options @a opt (TS is added if c->ts). */
static int cl_send_opt(struct fx *f, struct cl *c, uint8_t flags, const uint8_t *opt,
		       size_t optlen, const void *data, size_t len)
{
	uint8_t b[2048], o[40];
	size_t ol = 0, n;

	if (c->ts) {
		o[0] = o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		put_be32(o + 4, c->tsval);
		put_be32(o + 8, c->tsecr);
		ol = 12;
	}
	if (optlen > 0)
		memcpy(o + ol, opt, optlen);
	ol += optlen;
	n = build(b, c->port, 80, c->seq, c->ack, flags, c->win, o, ol, data, len);
	c->seq += (uint32_t)len + !!(flags & TCP_SYN) + !!(flags & TCP_FIN);
	return feed_raw(f, c->ip, b, n);
}

static int cl_send(struct fx *f, struct cl *c, uint8_t flags, const void *data, size_t len)
{
	return cl_send_opt(f, c, flags, NULL, 0, data, len);
}

static int timers(struct fx *f)
{
	f->out.n = 0;
	return tcp_timers(f->t, f->now, &f->out);
}

static unsigned count_kind(struct fx *f, uint8_t flags_set)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->out.n; i++)
		if (f->act[i].kind == TCP_ACT_SEND && (f->act[i].flags & flags_set) == flags_set)
			n++;
	return n;
}

static const struct tcp_act *find_closed(struct fx *f)
{
	for (unsigned i = 0; i < f->out.n; i++)
		if (f->act[i].kind == TCP_ACT_CLOSED)
			return &f->act[i];
	return NULL;
}

/** Full handshake (plain SYN: MSS 1460 only unless the client has ts). @return conn id. */
static uint32_t open_conn(struct fx *f, struct cl *c, uint16_t port)
{
	static const uint8_t mss[] = { 2, 4, 0x05, 0xb4, 4, 2, 1, 1, 3, 3, 7 };

	c->ip = CIP;
	c->port = port;
	c->seq = 1000;
	if (!c->win)
		c->win = 65535;
	c->tsval = 500;
	assert_int_equal(cl_send_opt(f, c, TCP_SYN, mss, sizeof(mss), NULL, 0), 0);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].flags, TCP_SYN | TCP_ACK);
	c->ack = f->act[0].seq + 1;
	if (c->ts)
		c->tsecr = get_be32(f->act[0].opt + 8);
	assert_int_equal(cl_send(f, c, TCP_ACK, NULL, 0), 0);
	assert_int_equal(cnt(f)->conn_opened > 0, 1);
	return f->act[0].conn;
}

/* ---- handshake ---- */

struct syn_case {
	uint8_t syn_opt[40];
	size_t syn_len;
	uint8_t want[40];
	size_t want_len;
	bool ts_in_want;           /* bytes 8..15 of want hold TS, checked separately */
};

static void test_handshake_options(void **state)
{
	static const struct syn_case cases[] = {
		/* no options: MSS only, the peer's MSS defaults to 536 */
		{ { 0 }, 0, { 2, 4, 0x05, 0xb4 }, 4, false },
		/* MSS only */
		{ { 2, 4, 0x05, 0x00 }, 4, { 2, 4, 0x05, 0xb4 }, 4, false },
		/* MSS + WS */
		{ { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 }, 8, { 2, 4, 0x05, 0xb4, 1, 3, 3, 0 }, 8, false },
		/* MSS + SACK-permitted */
		{ { 2, 4, 0x05, 0xb4, 4, 2 }, 6, { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 }, 8, false },
		/* Linux SYN: MSS, SACK-perm, TS, NOP, WS */
		{ { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0, 1, 3, 3, 7 }, 20,
		  { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 9, 1, 3, 3, 0 }, 20, true },
		/* TS only */
		{ { 1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0 }, 12,
		  { 2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 9 }, 16, true },
	};
	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct fx *f = fx_new();
		const struct syn_case *sc = &cases[k];
		struct cl c = { .ip = CIP, .port = 40000, .seq = 77, .win = 65535 };
		uint8_t got[40];

		assert_int_equal(cl_send_opt(f, &c, TCP_SYN, sc->syn_opt, sc->syn_len, NULL, 0), 0);
		assert_int_equal(f->out.n, 1);
		assert_int_equal(f->act[0].kind, TCP_ACT_SEND);
		assert_int_equal(f->act[0].flags, TCP_SYN | TCP_ACK);
		assert_int_equal(f->act[0].ack, 78);
		assert_int_equal(f->act[0].dst_port, 40000);
		assert_int_equal(f->act[0].win, 4096);
		assert_int_equal(f->act[0].opt_len, sc->want_len);
		memcpy(got, f->act[0].opt, sc->want_len);
		if (sc->ts_in_want) {
			/* TSval is ours (clock + offset): blank it, TSecr echoes 9.
			 * Every combination with timestamps puts them at byte 8. */
			size_t at = 8;

			memset(got + at, 0, 4);
		}
		assert_memory_equal(got, sc->want, sc->want_len);
		/* complete it and check what was agreed */
		c.ack = f->act[0].seq + 1;
		assert_int_equal(cl_send(f, &c, TCP_ACK, NULL, 0), 0);
		{
			const struct tcp_conn *cn = tcp_conn_get(f->t, f->act[0].conn);

			assert_non_null(cn);
			assert_int_equal(cn->state, TCP_ESTABLISHED);
			if (k == 0)
				assert_int_equal(cn->smss, 536);
			if (k == 1)
				assert_int_equal(cn->smss, 1280);
			if (k == 4) {
				assert_int_equal(cn->smss, 1448);
				assert_int_equal(cn->snd_wscale, 7);
				assert_true(cn->cf & TCP_CF_SACK);
			}
		}
		fx_free(f);
	}
}

static void test_isn_unpredictable(void **state)
{
	struct fx *f = fx_new();
	uint8_t b[64];
	size_t n;
	uint32_t a, b2;

	(void)state;
	n = build(b, 40000, 80, 1, 0, TCP_SYN, 1000, NULL, 0, NULL, 0);
	feed_raw(f, CIP, b, n);
	a = f->act[0].seq;
	n = build(b, 40001, 80, 1, 0, TCP_SYN, 1000, NULL, 0, NULL, 0);
	feed_raw(f, CIP, b, n);
	b2 = f->act[0].seq;
	/* RFC 6528: different 4-tuples at the same time get unrelated ISNs */
	assert_true(a != b2 && a - b2 > 1000 && b2 - a > 1000);
	fx_free(f);
}

/* ---- request bytes ---- */

static void test_request_one_and_many(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	uint32_t id = open_conn(f, &c, 40000);
	const char *req = REQ;

	(void)state;
	assert_int_equal(cl_send(f, &c, TCP_ACK | TCP_PSH, req, strlen(req)), 0);
	assert_int_equal(f->on_data, 1);
	assert_int_equal(f->req_seen, strlen(req));
	/* response: headers (bytes) then object segments, with the ACK piggybacked */
	assert_true(f->out.n >= 2);
	assert_int_equal(f->act[0].pl_kind, TCP_PL_BYTES);
	assert_int_equal(f->act[0].ack, c.seq);
	assert_int_equal(f->act[1].pl_kind, TCP_PL_OBJECT);
	assert_int_equal(f->act[1].pl.o.off, 0);
	assert_int_equal(f->act[1].pl_len, 1460);
	assert_int_equal(f->act[0].conn, id);
	fx_free(f);

	/* the same request one byte per segment */
	f = fx_new();
	memset(&c, 0, sizeof(c));
	open_conn(f, &c, 40001);
	for (size_t i = 0; i < strlen(req); i++) {
		assert_int_equal(cl_send(f, &c, TCP_ACK, req + i, 1), 0);
		assert_true(f->out.n >= 1);
		assert_int_equal(f->act[0].ack, c.seq);
	}
	assert_int_equal(f->req_seen, strlen(req));
	assert_int_equal(f->on_data, strlen(req));
	fx_free(f);
}

static void test_request_ooo_and_dup(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	const char *req = REQ;
	uint32_t base;

	(void)state;
	open_conn(f, &c, 40000);
	base = c.seq;
	/* second half first: dropped, dup-ACK of the gap */
	c.seq = base + 10;
	assert_int_equal(cl_send(f, &c, TCP_ACK, req + 10, strlen(req) - 10), 0);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].ack, base);
	assert_int_equal(f->act[0].pl_len, 0);
	assert_int_equal(cnt(f)->ooo_segments, 1);
	assert_int_equal(f->on_data, 0);
	/* first part */
	c.seq = base;
	cl_send(f, &c, TCP_ACK, req, 10);
	assert_int_equal(f->act[0].ack, base + 10);
	/* first part again: duplicate, ACKed, nothing delivered twice */
	c.seq = base;
	cl_send(f, &c, TCP_ACK, req, 10);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].ack, base + 10);
	assert_int_equal(cnt(f)->dup_segments, 1);
	/* overlapping retransmission of the rest plus 5 old bytes */
	c.seq = base + 5;
	cl_send(f, &c, TCP_ACK, req + 5, strlen(req) - 5);
	assert_int_equal(f->req_seen, strlen(req));
	assert_int_equal(f->act[0].ack, base + strlen(req));
	fx_free(f);
}

/* ---- sending a large object ---- */

/**
 * ACK every data segment the last output sent, one ACK per segment, and
 * every segment those ACKs released, until nothing new goes out or
 * @a rounds ACKs were sent. @return data segments sent back.
 */
static unsigned ack_each(struct fx *f, struct cl *c, unsigned rounds)
{
	static struct tcp_act q[4096];
	unsigned head = 0, tail = 0, back = 0;

	for (unsigned i = 0; i < f->out.n; i++)
		if (f->act[i].kind == TCP_ACT_SEND && f->act[i].pl_len)
			q[tail++] = f->act[i];
	while (head < tail && rounds--) {
		c->ack = q[head].seq + q[head].pl_len + !!(q[head].flags & TCP_FIN);
		head++;
		cl_send(f, c, TCP_ACK, NULL, 0);
		for (;;) {
			for (unsigned i = 0; i < f->out.n; i++)
				if (f->act[i].kind == TCP_ACT_SEND && f->act[i].pl_len) {
					assert_true(tail < 4096);
					q[tail++] = f->act[i];
					back++;
				}
			if (!tcp_ready_count(f->t))
				break;
			f->out.n = 0;
			tcp_output(f->t, tcp_ready_pop(f->t), f->now, &f->out, 64);
		}
	}
	return back;
}

static void test_large_object_cwnd(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	uint32_t id;
	const struct tcp_conn *cn;
	unsigned sent;

	(void)state;
	open_conn(f, &c, 40000);
	cl_send(f, &c, TCP_ACK, REQ, strlen(REQ));
	id = f->last_conn;
	cn = tcp_conn_get(f->t, id);
	/* initial window: 10 segments (RFC 6928), headers are the first */
	assert_int_equal(count_kind(f, 0), 10);
	assert_int_equal(cn->cwnd, 14600);
	/* object segments sit at multiples of 1460 from the chunk start */
	for (unsigned i = 1; i < f->out.n; i++) {
		assert_int_equal(f->act[i].pl_kind, TCP_PL_OBJECT);
		assert_int_equal(f->act[i].pl.o.off % 1460, 0);
		assert_true(f->act[i].pl.o.off + f->act[i].pl_len <= OBJ_LEN);
	}
	/* slow start: each ACK of a full segment adds one segment, 2 go out */
	f->now += 10 * MS;
	sent = ack_each(f, &c, 10);
	assert_int_equal(cn->cwnd, 14600 + HDR_LEN + 9 * 1460);
	assert_int_equal(sent, cn->cwnd / 1460);
	/* drive to the end: everything delivered in order, no retransmission */
	f->out.n = 0;
	tcp_output(f->t, f->last_conn, f->now, &f->out, 0);
	{
		/* re-collect what is in flight: ACK it all, segment by segment */
		struct tcp_act *a = &f->act[0];

		memset(a, 0, sizeof(*a));
		a->kind = TCP_ACT_SEND;
		a->seq = cn->snd_una;
		a->pl_len = cn->snd_nxt - cn->snd_una;
		f->out.n = 1;
		ack_each(f, &c, 100000);
	}
	assert_int_equal(cn->snd_una, cn->snd_end);
	assert_int_equal(cnt(f)->bytes_out, OBJ_LEN + HDR_LEN);
	assert_int_equal(cnt(f)->rexmit_fast + cnt(f)->rexmit_rto + cnt(f)->rexmit_sack, 0);
	assert_int_equal(tcp_tx_queued(f->t, id), 0);
	fx_free(f);
}

static void test_congestion_avoidance(void **state)
{
	struct fx *f = fx_new();
	struct tcp_conn *cn;
	uint32_t before;

	(void)state;
	/* CA grows one SMSS per cwnd of bytes acked (RFC 5681 sec 3.1) */
	cn = calloc(1, sizeof(*cn));
	cn->smss = 1000;
	cn->cwnd = 10000;
	cn->ssthresh = 5000;
	before = cn->cwnd;
	for (int i = 0; i < 9; i++)
		tcp_cc_ack(cn, 1000);
	assert_int_equal(cn->cwnd, before);
	tcp_cc_ack(cn, 1000);
	assert_int_equal(cn->cwnd, before + 1000);
	/* slow start: at most 2 SMSS per ACK (RFC 3465 L=2) */
	cn->ssthresh = 1u << 30;
	tcp_cc_ack(cn, 5000);
	assert_int_equal(cn->cwnd, before + 3000);
	free(cn);
	fx_free(f);
}

/* ---- loss recovery ---- */

/** Open, send the request, keep the initial window in @a segs. @return how many. */
static unsigned start_transfer(struct fx *f, struct cl *c, struct tcp_act *segs)
{
	unsigned n = 0;

	open_conn(f, c, 40000);
	cl_send(f, c, TCP_ACK, REQ, strlen(REQ));
	for (unsigned i = 0; i < f->out.n; i++)
		if (f->act[i].kind == TCP_ACT_SEND && f->act[i].pl_len)
			segs[n++] = f->act[i];
	return n;
}

static void test_fast_retransmit(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	struct tcp_act s[64];
	const struct tcp_conn *cn;
	unsigned n = start_transfer(f, &c, s);

	(void)state;
	cn = tcp_conn_get(f->t, f->last_conn);
	assert_int_equal(n, 10);
	/* s[1] is lost: the client ACKs s[0], then 3 dup ACKs for s[2..4] */
	c.ack = s[1].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	/* RFC 3042 limited transmit: each of the first two dup ACKs sends
	 * one new segment (this used to wait for the third) */
	for (int i = 0; i < 2; i++) {
		uint32_t top = cn->snd_max;

		cl_send(f, &c, TCP_ACK, NULL, 0);
		assert_int_equal(count_kind(f, 0), 1);
		assert_int_equal(f->act[0].seq, top);
		assert_int_equal(f->act[0].pl_len, 1460);
	}
	assert_int_equal(cnt(f)->dup_acks, 2);
	assert_int_equal(cnt(f)->limited_xmit, 2);
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(cnt(f)->dup_acks, 3);
	assert_int_equal(cnt(f)->rexmit_fast, 1);
	assert_true(f->out.n >= 1);
	assert_int_equal(f->act[0].seq, s[1].seq);
	assert_int_equal(f->act[0].pl_len, s[1].pl_len);
	assert_int_equal(f->act[0].pl.o.off, s[1].pl.o.off);
	assert_true(cn->cf & TCP_CF_RECOVERY);
	assert_int_equal(cn->ssthresh, (cn->recover - s[0].seq - HDR_LEN) / 2);
	/* more dup ACKs inflate cwnd (no SACK blocks: NewReno) */
	cl_send(f, &c, TCP_ACK, NULL, 0);
	/* partial ACK (up to s[3]): retransmit s[3] at once (RFC 6582) */
	c.ack = s[3].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(cnt(f)->rexmit_fast, 2);
	assert_int_equal(f->act[0].seq, s[3].seq);
	/* full ACK: out of recovery, cwnd = ssthresh-ish */
	c.ack = cn->recover;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_false(cn->cf & TCP_CF_RECOVERY);
	assert_true(cn->cwnd <= cn->ssthresh);
	assert_int_equal(cnt(f)->recoveries, 1);
	fx_free(f);
}

static void put_sack(uint8_t *o, const uint32_t *b, unsigned n)
{
	o[0] = o[1] = 1;
	o[2] = 5;
	o[3] = (uint8_t)(2 + 8 * n);
	for (unsigned i = 0; i < 2 * n; i++)
		put_be32(o + 4 + 4 * i, b[i]);
}

static void test_sack_recovery(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	struct tcp_act s[64];
	uint8_t o[40];
	bool s1 = false, s4 = false;

	(void)state;
	start_transfer(f, &c, s);
	/* s[1] and s[4] lost */
	c.ack = s[1].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	{
		uint32_t b1[] = { s[2].seq, s[3].seq };
		uint32_t b2[] = { s[2].seq, s[4].seq };
		uint32_t b3[] = { s[2].seq, s[4].seq, s[5].seq, s[6].seq };

		put_sack(o, b1, 1);
		cl_send_opt(f, &c, TCP_ACK, o, 12, NULL, 0);
		put_sack(o, b2, 1);
		cl_send_opt(f, &c, TCP_ACK, o, 12, NULL, 0);
		uint32_t b4[] = { s[2].seq, s[4].seq, s[5].seq, s[9].seq + s[9].pl_len };

		put_sack(o, b3, 2);
		cl_send_opt(f, &c, TCP_ACK, o, 20, NULL, 0);
		for (unsigned i = 0; i < f->out.n; i++)
			s1 |= f->act[i].seq == s[1].seq && f->act[i].pl_len == s[1].pl_len;
		/* the pipe (RFC 6675) still holds s[6..]: no second hole yet */
		assert_int_equal(cnt(f)->rexmit_sack, 0);
		put_sack(o, b4, 2);
		cl_send_opt(f, &c, TCP_ACK, o, 20, NULL, 0);
		for (unsigned i = 0; i < f->out.n; i++)
			s4 |= f->act[i].seq == s[4].seq && f->act[i].pl_len == s[4].pl_len;
	}
	assert_true(s1);
	assert_true(s4);
	assert_int_equal(cnt(f)->rexmit_fast, 1);
	assert_int_equal(cnt(f)->rexmit_sack, 1);
	/* a bogus SACK block (beyond snd_max) is ignored */
	{
		uint32_t bad[] = { s[9].seq + 100000, s[9].seq + 200000 };
		const struct tcp_conn *cn = tcp_conn_get(f->t, f->last_conn);
		uint8_t before = cn->n_sack;

		put_sack(o, bad, 1);
		cl_send_opt(f, &c, TCP_ACK, o, 12, NULL, 0);
		assert_int_equal(cn->n_sack, before);
	}
	fx_free(f);
}

/* ---- RFC 6675 scoreboard, RACK-TLP (RFC 8985) ---- */

/** ACK from @a c carrying the SACK blocks b[0..2n). */
static void cl_sack(struct fx *f, struct cl *c, const uint32_t *b, unsigned n)
{
	uint8_t o[40];

	put_sack(o, b, n);
	cl_send_opt(f, c, TCP_ACK, o, 4 + 8 * n, NULL, 0);
}

/** Segments in the last output that start at @a seq (with payload or FIN). */
static unsigned sent_at(struct fx *f, uint32_t seq)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->out.n; i++)
		n += f->act[i].kind == TCP_ACT_SEND && f->act[i].seq == seq &&
		     (f->act[i].pl_len || (f->act[i].flags & TCP_FIN));
	return n;
}

static void test_scoreboard_pipe(void **state)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	struct tcp_sb w;

	(void)state;
	/* ten 1000-byte segments out in one burst; 3000, 5000, 7000 SACKed */
	c->cf = TCP_CF_SACK | TCP_CF_RECOVERY;
	c->smss = 1000;
	c->snd_una = c->rxt_nxt = 1000;
	c->snd_nxt = c->snd_max = 11000;
	tcp_txr_sent(c, 1000, 6000, 77);
	tcp_txr_sent(c, 6000, 11000, 77);
	assert_int_equal(c->txr_n, 1);          /* one burst, one record */
	c->sack[0] = (struct tcp_sack_blk){ 3000, 4000 };
	c->sack[1] = (struct tcp_sack_blk){ 5000, 6000 };
	c->sack[2] = (struct tcp_sack_blk){ 7000, 8000 };
	c->n_sack = 3;
	assert_true(tcp_sack_recovery(c));
	tcp_sb_walk(c, &w);
	/* [1000,3000) has 3 blocks above: lost; [4000,5000) 2 blocks and
	 * 2000 bytes (not more than 2 SMSS): in flight; so are [6000,7000)
	 * and everything above the highest SACK */
	assert_int_equal(w.pipe, 1000 + 1000 + 3000);
	assert_true(w.lost);
	assert_int_equal(w.lost_s, 1000);
	assert_int_equal(w.lost_e, 3000);
	assert_true(w.r3);
	assert_int_equal(w.r3_s, 4000);
	assert_int_equal(w.r3_e, 5000);
	assert_true(w.any);
	assert_int_equal(w.last_s, 8000);
	assert_int_equal(w.last_e, 11000);
	/* resending [1000,2000) splits the record: it counts once, in flight */
	tcp_txr_sent(c, 1000, 2000, 99);
	c->rxt_nxt = 2000;
	assert_int_equal(c->txr_n, 2);
	assert_int_equal(c->txr[0].flags, TCP_TXR_RETRANS);
	assert_int_equal(c->txr[0].xmit, 99);
	tcp_sb_walk(c, &w);
	assert_int_equal(w.pipe, 1000 + 5000);
	assert_int_equal(w.lost_s, 2000);
	assert_int_equal(w.lost_e, 3000);
	/* RACK says the retransmission is lost too: out of the pipe, first again */
	c->txr[0].flags |= TCP_TXR_LOST;
	tcp_sb_walk(c, &w);
	assert_int_equal(w.pipe, 5000);
	assert_int_equal(w.lost_s, 1000);
	assert_int_equal(w.lost_e, 2000);
	/* a cumulative ACK trims records; a middle resend splits in three */
	c->snd_una = 2000;
	tcp_txr_trim(c);
	assert_int_equal(c->txr_n, 1);
	assert_int_equal(c->txr[0].start, 2000);
	tcp_txr_sent(c, 4000, 5000, 120);
	assert_int_equal(c->txr_n, 3);
	assert_int_equal(c->txr[1].start, 4000);
	assert_int_equal(c->txr[1].end, 5000);
	assert_int_equal(c->txr[2].xmit, 77);
	free(c);
}

/** A transfer of a small object: headers + 8 full segments + 100 bytes, all sent. */
static unsigned start_small(struct fx *f, struct cl *c, struct tcp_act *segs)
{
	f->obj.len = 8 * 1460 + 100;
	return start_transfer(f, c, segs);
}

static void test_rescue_retransmission(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	struct tcp_act s[64];
	unsigned n = start_small(f, &c, s);

	(void)state;
	assert_int_equal(n, 10);
	/* s[1] and the tail s[9] are lost; SACKs for s[2..8] arrive */
	f->now += 10 * MS;
	c.ack = s[1].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	for (unsigned k = 3; k <= 9; k++) {
		uint32_t b[] = { s[2].seq, s[k].seq };

		cl_sack(f, &c, b, 1);
	}
	/* s[1] went by fast retransmit; s[9] is above the highest SACK, not
	 * deemed lost, no new data left: NextSeg rule 4 resends it once */
	assert_int_equal(cnt(f)->rexmit_fast, 1);
	assert_int_equal(cnt(f)->rexmit_rescue, 1);
	{
		uint32_t b[] = { s[2].seq, s[9].seq };

		cl_sack(f, &c, b, 1);
		cl_sack(f, &c, b, 1);
	}
	assert_int_equal(cnt(f)->rexmit_rescue, 1);
	assert_int_equal(count_kind(f, 0), 0);
	/* the full ACK ends recovery: the rescue arrived, no timeout needed */
	c.ack = s[9].seq + s[9].pl_len;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_false(tcp_conn_get(f->t, f->last_conn)->cf & TCP_CF_RECOVERY);
	assert_int_equal(cnt(f)->rto_expired, 0);
	fx_free(f);
}

static void test_rack_lost_retransmission(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	struct tcp_act s[64];
	const struct tcp_conn *cn;
	uint32_t top;

	(void)state;
	start_transfer(f, &c, s);
	cn = tcp_conn_get(f->t, f->last_conn);
	/* s[1] lost; ACK of s[0] and three SACKs: fast retransmit of s[1] */
	f->now += 10 * MS;
	c.ack = s[1].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	for (unsigned k = 3; k <= 5; k++) {
		uint32_t b[] = { s[2].seq, s[k].seq };

		cl_sack(f, &c, b, 1);
	}
	assert_int_equal(cnt(f)->rexmit_fast, 1);
	assert_true(cn->cf & TCP_CF_RECOVERY);
	/* that retransmission is lost too. Later SACKs free the pipe: new data */
	f->now += 10 * MS;
	top = cn->snd_max;
	{
		uint32_t b[] = { s[2].seq, top };

		cl_sack(f, &c, b, 1);
	}
	assert_true(seq_gt(cn->snd_max, top));
	assert_int_equal(sent_at(f, s[1].seq), 0);
	/* the first new segment (sent after the retransmission) is SACKed:
	 * RACK finds s[1]'s retransmission older than RACK.rtt and resends */
	f->now += 10 * MS;
	{
		uint32_t b[] = { s[2].seq, top + 1460 };

		cl_sack(f, &c, b, 1);
	}
	assert_int_equal(sent_at(f, s[1].seq), 1);
	assert_true(cnt(f)->rack_lost >= 1);
	assert_int_equal(cnt(f)->rto_expired, 0);
	assert_int_equal(cnt(f)->rexmit_rto, 0);
	fx_free(f);
}

static void test_rack_after_rto(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	struct tcp_act s[64];

	(void)state;
	start_transfer(f, &c, s);
	f->now += 10 * MS;
	c.ack = s[1].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	/* everything after s[0] is lost, the probe too: the RTO fires */
	while (cnt(f)->rto_expired == 0) {
		f->now = tcp_next_deadline(f->t);
		timers(f);
	}
	assert_int_equal(sent_at(f, s[1].seq), 1);
	/* go-back-N: s[1] arrives, s[2] and s[3] go out, s[2] is lost again */
	f->now += 10 * MS;
	c.ack = s[2].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(sent_at(f, s[2].seq), 1);
	assert_int_equal(sent_at(f, s[3].seq), 1);
	/* s[3]'s SACK: RACK marks s[2] lost, resent at once, not after a
	 * second, doubled RTO (RFC 6675 sec 5.1, RFC 8985 sec 6.3) */
	f->now += 10 * MS;
	{
		uint32_t b[] = { s[3].seq, s[3].seq + s[3].pl_len };

		cl_sack(f, &c, b, 1);
	}
	assert_int_equal(sent_at(f, s[2].seq), 1);
	assert_int_equal(sent_at(f, s[3].seq), 0);    /* SACKed: not again */
	assert_int_equal(cnt(f)->rto_expired, 1);
	fx_free(f);
}

static void test_stuck_retransmission(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	struct tcp_act s[64];
	const struct tcp_conn *cn;

	(void)state;
	start_transfer(f, &c, s);
	cn = tcp_conn_get(f->t, f->last_conn);
	/* the peer's window (100 << 7) ends inside what is out: no new data */
	f->now += 10 * MS;
	c.win = 100;
	c.ack = s[1].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	for (unsigned k = 3; k <= 5; k++) {
		uint32_t b[] = { s[2].seq, s[k].seq };

		cl_sack(f, &c, b, 1);
	}
	assert_int_equal(cnt(f)->rexmit_fast, 1);
	{
		uint32_t b[] = { s[2].seq, s[9].seq };

		cl_sack(f, &c, b, 1);
	}
	/* s[1]'s retransmission is lost and nothing sent after it can be
	 * SACKed: 2 * SRTT later it is taken as lost, long before the RTO */
	{
		uint64_t t1 = f->now;

		do {
			f->now = tcp_next_deadline(f->t);
			timers(f);
		} while (sent_at(f, s[1].seq) == 0 && f->now < t1 + SEC);
		assert_int_equal(f->now, t1 + 20 * MS);
	}
	/* s[1] and the rescue copy of s[9] (RFC 6675 rule 4) both went unanswered */
	assert_int_equal(cnt(f)->rexmit_rescue, 1);
	assert_int_equal(cnt(f)->rack_stuck, 2);
	assert_int_equal(sent_at(f, s[1].seq), 1);
	assert_true(cn->cf & TCP_CF_RECOVERY);
	assert_int_equal(cnt(f)->rto_expired, 0);
	fx_free(f);
}

static void test_tlp_tail_loss(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	struct tcp_act s[64];
	const struct tcp_conn *cn;
	uint64_t pto;

	(void)state;
	start_small(f, &c, s);
	cn = tcp_conn_get(f->t, f->last_conn);
	/* the tail s[7..9] is lost; the rest is acked 10 ms later */
	f->now += 10 * MS;
	c.ack = s[7].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(cn->srtt, 10 * MS);
	/* no ACK comes: the probe timeout (2 * SRTT) fires long before the RTO */
	pto = tcp_next_deadline(f->t);
	assert_int_equal(pto, f->now + 20 * MS);
	assert_true(cn->rto_at > pto);
	f->now = pto;
	timers(f);
	assert_int_equal(cnt(f)->tlp_probes, 1);
	assert_int_equal(count_kind(f, 0), 1);
	assert_int_equal(f->act[0].seq, s[9].seq);     /* the last segment again */
	assert_true(f->act[0].flags & TCP_PSH);
	/* its SACK makes RACK mark s[7] and s[8] lost: both resent at once */
	f->now += 10 * MS;
	{
		uint32_t b[] = { s[9].seq, s[9].seq + s[9].pl_len };

		cl_sack(f, &c, b, 1);
	}
	assert_true(cn->cf & TCP_CF_RECOVERY);
	assert_int_equal(sent_at(f, s[7].seq), 1);
	assert_int_equal(sent_at(f, s[8].seq), 1);
	c.ack = s[9].seq + s[9].pl_len;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(cn->snd_una, cn->snd_max);
	assert_int_equal(cnt(f)->rto_expired, 0);
	assert_int_equal(cn->rto_at + cn->tlp_at + cn->reo_at, 0);
	fx_free(f);
}

/*
 * A FIN queued while the pipe is full (the client half-closes during SACK
 * recovery). Only new data moves snd_max, and the peer's ACK of anything
 * above snd_max is refused (RFC 9293 sec 3.10.7.4), so a retransmission
 * must not carry that FIN: once it did, the client's ACK of the FIN was
 * dropped, and with it the ACK of all the data, until an RTO sent the
 * FIN again as new.
 */

/** No segment of the last output and no transmission record ends past snd_max. */
static void assert_sent_within(struct fx *f, const struct tcp_conn *cn)
{
	assert_true(cn->txr_n > 0);
	assert_true(seq_leq(cn->txr[cn->txr_n - 1].end, cn->snd_max));
	for (unsigned i = 0; i < f->out.n; i++) {
		const struct tcp_act *a = &f->act[i];

		if (a->kind == TCP_ACT_SEND)
			assert_true(seq_leq(a->seq + a->pl_len + !!(a->flags & TCP_FIN),
					    cn->snd_max));
	}
}

/** The FIN segments of the last output. */
static const struct tcp_act *fin_sent(struct fx *f, unsigned *n)
{
	const struct tcp_act *last = NULL;

	*n = 0;
	for (unsigned i = 0; i < f->out.n; i++)
		if (f->act[i].kind == TCP_ACT_SEND && (f->act[i].flags & TCP_FIN)) {
			last = &f->act[i];
			(*n)++;
		}
	return last;
}

/**
 * A small transfer all sent; s[1] lost, the SACK of s[2..4] starts
 * recovery and s[1] is resent; then the client's FIN (with the same SACK)
 * makes the app shut down. The pipe (s[1] again, s[5..9]) exceeds the
 * halved cwnd, so our FIN waits, queued but unsent.
 */
static const struct tcp_conn *fin_behind_pipe(struct fx *f, struct cl *c, struct tcp_act *s)
{
	const struct tcp_conn *cn;
	uint32_t b[2];
	uint8_t o[40];
	unsigned n;

	start_small(f, c, s);
	cn = tcp_conn_get(f->t, f->last_conn);
	f->now += 10 * MS;
	c->ack = s[1].seq;
	cl_send(f, c, TCP_ACK, NULL, 0);
	b[0] = s[2].seq;
	b[1] = s[5].seq;
	cl_sack(f, c, b, 1);
	assert_true(cn->cf & TCP_CF_RECOVERY);
	assert_int_equal(sent_at(f, s[1].seq), 1);
	put_sack(o, b, 1);
	cl_send_opt(f, c, TCP_ACK | TCP_FIN, o, 12, NULL, 0);
	assert_int_equal(cn->state, TCP_LAST_ACK);
	assert_true(cn->cf & TCP_CF_FIN_QUEUED);
	assert_int_equal(cn->fin_seq, s[9].seq + s[9].pl_len);
	fin_sent(f, &n);
	assert_int_equal(n, 0);
	assert_int_equal(cn->snd_max, cn->fin_seq);
	return cn;
}

static void test_fin_queued_tail_probe(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	struct tcp_act s[64];
	const struct tcp_conn *cn = fin_behind_pipe(f, &c, s);
	const struct tcp_act *fin;
	uint32_t fin_seq = cn->fin_seq;
	unsigned n;

	(void)state;
	/* nothing heard for a PTO (2 * SRTT): the probe. The only unsent
	 * segment is the FIN, which needs no window, so it is the probe's
	 * new segment (RFC 8985 sec 7.3), not a passenger on s[9] again */
	f->now = tcp_next_deadline(f->t);
	assert_int_equal(f->now, T0 + 30 * MS);
	timers(f);
	assert_int_equal(cnt(f)->tlp_probes, 1);
	fin = fin_sent(f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(fin->seq, fin_seq);
	assert_int_equal(fin->pl_len, 0);
	assert_int_equal(cn->snd_max, fin_seq + 1);
	assert_sent_within(f, cn);
	/* the client has everything now and ACKs our FIN: done */
	c.ack = fin_seq + 1;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_non_null(find_closed(f));
	assert_int_equal(find_closed(f)->reason, TCP_CLOSE_DONE);
	assert_int_equal(cnt(f)->rto_expired, 0);
	fx_free(f);
}

static void test_fin_queued_lost_tail(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	struct tcp_act s[64];
	const struct tcp_conn *cn = fin_behind_pipe(f, &c, s);
	const struct tcp_act *fin;
	uint32_t fin_seq = cn->fin_seq;
	unsigned n;

	(void)state;
	/* s[1]'s retransmission arrives, s[9] did not: the partial ACK makes
	 * RACK mark s[9] lost (sent before the retransmission). NextSeg rule
	 * 1 resends it as it went, 100 bytes without a FIN; the FIN follows
	 * as new data, once */
	f->now += 10 * MS;
	c.ack = s[9].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(sent_at(f, s[9].seq), 1);
	for (unsigned i = 0; i < f->out.n; i++)
		if (f->act[i].seq == s[9].seq && f->act[i].pl_len)
			assert_int_equal(f->act[i].flags & TCP_FIN, 0);
	fin = fin_sent(f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(fin->seq, fin_seq);
	assert_int_equal(fin->pl_len, 0);
	assert_sent_within(f, cn);
	c.ack = fin_seq + 1;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_non_null(find_closed(f));
	assert_int_equal(find_closed(f)->reason, TCP_CLOSE_DONE);
	fx_free(f);
}

static void test_fast_rexmit_truncated(void **state)
{
	static const uint8_t syn[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };   /* no SACK */
	struct fx *f = fx_new();
	struct cl c = { .ip = CIP, .port = 40000, .seq = 1000, .win = 65535 };
	const struct tcp_conn *cn;
	uint32_t una;

	(void)state;
	cl_send_opt(f, &c, TCP_SYN, syn, sizeof(syn), NULL, 0);
	c.ack = f->act[0].seq + 1;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	/* a 128-byte window (1 << 7): the headers, then, with nothing in
	 * flight, the first object segment cut to the window */
	c.win = 1;
	cl_send(f, &c, TCP_ACK, REQ, strlen(REQ));
	cn = tcp_conn_get(f->t, f->last_conn);
	assert_int_equal(count_kind(f, 0), 1);
	f->now += 10 * MS;
	c.ack = f->act[0].seq + f->act[0].pl_len;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(count_kind(f, 0), 1);
	assert_int_equal(f->act[0].pl_len, 128);
	una = cn->snd_una;
	assert_int_equal(cn->snd_max, una + 128);
	/* three duplicate ACKs: the fast retransmission repeats those 128
	 * bytes; the rest of the segment was never sent (nor would the
	 * window take it) and is not a retransmission's to send */
	for (int k = 0; k < 3; k++)
		cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(cnt(f)->rexmit_fast, 1);
	assert_int_equal(count_kind(f, 0), 1);
	assert_int_equal(f->act[0].seq, una);
	assert_int_equal(f->act[0].pl_len, 128);
	assert_int_equal(cn->snd_max, una + 128);
	fx_free(f);
}

static void test_rto_backoff_and_limit(void **state)
{
	struct tcp_table_cfg cfg = base_cfg(NULL);
	struct fx *f;
	struct cl c = { 0 };
	struct tcp_act s[64];
	uint64_t last = 0, gap_prev = 0;
	unsigned expiries = 0;

	(void)state;
	cfg.timing.max_retries = 4;
	f = fx_new_cfg(&cfg);
	start_transfer(f, &c, s);
	for (;;) {
		uint64_t d = tcp_next_deadline(f->t);

		assert_true(d != UINT64_MAX);
		f->now = d;
		timers(f);
		if (find_closed(f))
			break;
		if (count_kind(f, 0) == 0)
			continue;
		/* one segment (cwnd = 1 SMSS), from snd_una */
		assert_int_equal(count_kind(f, 0), 1);
		assert_int_equal(f->act[0].seq, s[0].seq);
		if (last) {
			uint64_t gap = f->now - last;

			if (gap_prev)
				assert_int_equal(gap, 2 * gap_prev);
			gap_prev = gap;
		}
		last = f->now;
		expiries++;
	}
	assert_int_equal(expiries, 4);
	assert_int_equal(count_kind(f, TCP_RST), 1);
	assert_int_equal(find_closed(f)->reason, TCP_CLOSE_RETRIES);
	assert_int_equal(f->last_close, TCP_CLOSE_RETRIES);
	assert_int_equal(tcp_active(f->t), 0);
	assert_int_equal(tcp_next_deadline(f->t), UINT64_MAX);
	fx_free(f);
}

static void test_zero_window_persist(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	struct tcp_act s[64];
	const struct tcp_conn *cn;
	unsigned n = start_transfer(f, &c, s);

	(void)state;
	cn = tcp_conn_get(f->t, f->last_conn);
	/* all acked, window closed */
	c.ack = s[n - 1].seq + s[n - 1].pl_len;
	c.win = 0;
	f->now += 5 * MS;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(count_kind(f, 0), 0);
	assert_true(cn->persist);
	/* probes with backoff, at snd_una - 1 without data */
	for (int k = 0; k < 3; k++) {
		f->now = tcp_next_deadline(f->t);
		timers(f);
		assert_int_equal(f->out.n, 1);
		assert_int_equal(f->act[0].seq, c.ack - 1);
		assert_int_equal(f->act[0].pl_len, 0);
		/* the peer answers each probe: still zero */
		cl_send(f, &c, TCP_ACK, NULL, 0);
		assert_int_equal(count_kind(f, 0), 0);
	}
	assert_int_equal(cnt(f)->persist_probes, 3);
	/* window opens: data resumes */
	c.win = 65535;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_true(count_kind(f, 0) >= 1);
	assert_int_equal(f->act[0].seq, c.ack);
	assert_true(f->act[0].pl_len > 0);
	assert_false(cn->persist);
	fx_free(f);
}

static void test_small_window_no_sws(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	unsigned n = 0;

	(void)state;
	open_conn(f, &c, 40000);
	/* 20 << 7 = 2560-byte peer window: header + 1 full segment (the next does not fit) */
	c.win = 20;
	cl_send(f, &c, TCP_ACK, REQ, strlen(REQ));
	for (unsigned i = 0; i < f->out.n; i++)
		n += f->act[i].pl_len > 0;
	assert_int_equal(n, 2);
	fx_free(f);
}

/* ---- close paths ---- */

static void test_close_client_fin_first(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	uint32_t id = open_conn(f, &c, 40000);

	(void)state;
	cl_send(f, &c, TCP_ACK | TCP_FIN, NULL, 0);
	/* app saw EOF and shut down: ACK of the FIN and our FIN in one segment */
	assert_int_equal(tcp_conn_get(f->t, id)->state, TCP_LAST_ACK);
	assert_int_equal(count_kind(f, TCP_FIN | TCP_ACK), 1);
	assert_int_equal(f->act[0].ack, c.seq);
	c.ack = f->act[0].seq + 1;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_non_null(find_closed(f));
	assert_int_equal(find_closed(f)->reason, TCP_CLOSE_DONE);
	assert_int_equal(tcp_active(f->t), 0);
	fx_free(f);
}

static void test_close_server_after_response(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	uint32_t id;
	const struct tcp_act *last;

	(void)state;
	f->close_after = true;
	f->obj.len = 100;
	open_conn(f, &c, 40000);
	cl_send(f, &c, TCP_ACK, REQ, strlen(REQ));
	id = f->last_conn;
	/* headers, body, FIN on the body's segment */
	assert_int_equal(count_kind(f, 0), 2);
	last = &f->act[1];
	assert_int_equal(last->flags & TCP_FIN, TCP_FIN);
	assert_int_equal(last->pl_len, 100);
	c.ack = last->seq + last->pl_len + 1;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(tcp_conn_get(f->t, id)->state, TCP_FIN_WAIT_2);
	cl_send(f, &c, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(tcp_conn_get(f->t, id)->state, TCP_TIME_WAIT);
	assert_int_equal(f->act[0].ack, c.seq);
	/* a retransmitted FIN is ACKed again */
	c.seq--;
	cl_send(f, &c, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(count_kind(f, TCP_ACK), 1);
	/* TIME_WAIT is short and ends by itself */
	f->now += 999 * MS;
	timers(f);
	assert_null(find_closed(f));
	f->now += 2 * SEC;
	timers(f);
	assert_non_null(find_closed(f));
	assert_int_equal(find_closed(f)->reason, TCP_CLOSE_DONE);
	assert_int_equal(tcp_active(f->t), 0);
	fx_free(f);
}

static void test_close_simultaneous(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	uint32_t id = open_conn(f, &c, 40000);
	uint32_t fin_seq;

	(void)state;
	f->out.n = 0;
	assert_int_equal(tcp_shutdown(f->t, id), 0);
	assert_int_equal(tcp_ready_pop(f->t), id);
	tcp_output(f->t, id, f->now, &f->out, 8);
	assert_int_equal(count_kind(f, TCP_FIN), 1);
	fin_seq = f->act[0].seq;
	assert_int_equal(tcp_conn_get(f->t, id)->state, TCP_FIN_WAIT_1);
	/* the client's FIN crosses ours: it does not ACK our FIN */
	cl_send(f, &c, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(tcp_conn_get(f->t, id)->state, TCP_CLOSING);
	c.ack = fin_seq + 1;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(tcp_conn_get(f->t, id)->state, TCP_TIME_WAIT);
	fx_free(f);
}

/* ---- RFC 5961 ---- */

static void test_rst_rules(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	uint32_t id = open_conn(f, &c, 40000), rcv = c.seq;

	(void)state;
	/* far outside the window: ignored */
	c.seq = rcv + 100000;
	cl_send(f, &c, TCP_RST, NULL, 0);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(cnt(f)->drop_rst_ignored, 1);
	/* in the window, not exact: challenge ACK */
	c.seq = rcv + 100;
	cl_send(f, &c, TCP_RST, NULL, 0);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].flags, TCP_ACK);
	assert_int_equal(f->act[0].ack, rcv);
	assert_int_equal(cnt(f)->challenge_acks, 1);
	/* SYN on a synchronized connection: challenge ACK too */
	c.seq = rcv + 5;
	cl_send(f, &c, TCP_SYN, NULL, 0);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].ack, rcv);
	assert_int_equal(cnt(f)->drop_syn_in_conn, 1);
	assert_non_null(tcp_conn_get(f->t, id));
	/* an ACK for data never sent: ACK back, dropped */
	c.seq = rcv;
	c.ack += 5000;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(cnt(f)->drop_out_of_window, 1);
	c.ack -= 5000;
	/* exact: reset */
	c.seq = rcv;
	cl_send(f, &c, TCP_RST, NULL, 0);
	assert_non_null(find_closed(f));
	assert_int_equal(f->last_close, TCP_CLOSE_RESET);
	assert_int_equal(cnt(f)->rst_rcvd, 1);
	fx_free(f);
}

/* ---- SYN cookies ---- */

static void test_syn_cookies(void **state)
{
	struct tcp_table_cfg cfg = base_cfg(NULL);
	static const uint8_t linux_syn[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 9,
					     0, 0, 0, 0, 1, 3, 3, 7 };
	struct fx *f;
	struct cl a = { .ip = CIP, .port = 1001, .seq = 10, .win = 1000 };
	struct cl b = { .ip = CIP, .port = 1002, .seq = 5000, .win = 1000 };
	struct cl d = { .ip = CIP, .port = 1003, .seq = 7000, .win = 1000 };
	const struct tcp_conn *cn;
	uint32_t cookie;
	uint8_t o[12];

	(void)state;
	cfg.capacity = 2;
	cfg.syn_backlog = 1;
	f = fx_new_cfg(&cfg);
	/* a: half-open (the flood) */
	cl_send(f, &a, TCP_SYN, NULL, 0);
	assert_int_equal(f->act[0].conn, 0);
	/* b: over the half-open limit: a cookie, no state */
	cl_send_opt(f, &b, TCP_SYN, linux_syn, sizeof(linux_syn), NULL, 0);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].conn, TCP_NO_CONN);
	assert_int_equal(f->act[0].opt_len, 20);
	/* answered with a cookie: counted once, as syncookies_sent, not as a drop */
	assert_int_equal(cnt(f)->syncookies_sent, 1);
	assert_int_equal(cnt(f)->drop_syn_flood, 0);
	assert_int_equal(tcp_active(f->t), 1);
	cookie = f->act[0].seq;
	/* b completes with timestamps echoing our TSval (it carries WS and SACK) */
	o[0] = o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	put_be32(o + 4, 10);
	memcpy(o + 8, f->act[0].opt + 8, 4);
	b.ack = cookie + 1;
	f->now += 3 * SEC;
	cl_send_opt(f, &b, TCP_ACK, o, 12, REQ, strlen(REQ));
	assert_int_equal(cnt(f)->syncookies_ok, 1);
	assert_int_equal(tcp_active(f->t), 2);
	assert_int_equal(f->req_seen, strlen(REQ));
	cn = tcp_conn_get(f->t, f->last_conn);
	assert_int_equal(cn->state, TCP_ESTABLISHED);
	assert_int_equal(cn->snd_wscale, 7);
	assert_true(cn->cf & TCP_CF_SACK);
	assert_true(cn->cf & TCP_CF_TS);
	assert_int_equal(cn->smss, 1448);
	/* d: cookie, then a wrong cookie: RST, counted */
	cl_send(f, &d, TCP_SYN, NULL, 0);
	cookie = f->act[0].seq;
	d.ack = cookie + 2;
	cl_send(f, &d, TCP_ACK, NULL, 0);
	assert_int_equal(cnt(f)->syncookies_bad, 1);
	assert_int_equal(count_kind(f, TCP_RST), 1);
	assert_int_equal(f->act[0].seq, cookie + 2);
	/* the right one: the table is full, the half-open a is evicted */
	d.ack = cookie + 1;
	d.seq = 7001;
	cl_send(f, &d, TCP_ACK, NULL, 0);
	assert_int_equal(cnt(f)->syncookies_ok, 2);
	assert_int_equal(cnt(f)->evicted, 1);
	assert_int_equal(f->last_close, TCP_CLOSE_EVICTED);
	assert_non_null(find_closed(f));
	/* a stale cookie (over two periods old) is refused */
	{
		struct cl e = { .ip = CIP, .port = 1004, .seq = 9000, .win = 1000 };

		cl_send(f, &e, TCP_SYN, NULL, 0);
		e.ack = f->act[0].seq + 1;
		f->now += 200 * SEC;
		cl_send(f, &e, TCP_ACK, NULL, 0);
		assert_int_equal(cnt(f)->syncookies_ok, 2);
	}
	fx_free(f);
}

/* ---- timeouts, TIME_WAIT ---- */

static void test_idle_timeout(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };

	(void)state;
	open_conn(f, &c, 40000);
	f->now += 59 * SEC;
	timers(f);
	assert_null(find_closed(f));
	f->now += 2 * SEC;
	timers(f);
	assert_non_null(find_closed(f));
	assert_int_equal(count_kind(f, TCP_RST), 1);
	assert_int_equal(f->last_close, TCP_CLOSE_IDLE);
	assert_int_equal(tcp_active(f->t), 0);
	fx_free(f);
}

static void test_synack_retries(void **state)
{
	struct fx *f = fx_new();
	uint8_t b[64];
	size_t n = build(b, 40000, 80, 1, 0, TCP_SYN, 1000, NULL, 0, NULL, 0);
	unsigned rexmit = 0;

	(void)state;
	feed_raw(f, CIP, b, n);
	while (tcp_next_deadline(f->t) != UINT64_MAX) {
		f->now = tcp_next_deadline(f->t);
		timers(f);
		rexmit += count_kind(f, TCP_SYN);
	}
	assert_int_equal(rexmit, 3);
	assert_int_equal(f->last_close, TCP_CLOSE_RETRIES);
	fx_free(f);
}

static void test_time_wait_reuse(void **state)
{
	struct tcp_table_cfg cfg = base_cfg(NULL);
	struct fx *f;
	struct cl c = { 0 };
	uint32_t id;

	(void)state;
	cfg.capacity = 1;
	f = fx_new_cfg(&cfg);
	id = open_conn(f, &c, 40000);
	/* client closes, app closes, server FIN acked... reach TIME_WAIT the active way */
	f->out.n = 0;
	tcp_shutdown(f->t, id);
	tcp_output(f->t, tcp_ready_pop(f->t), f->now, &f->out, 4);
	c.ack = f->act[0].seq + 1;
	cl_send(f, &c, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(tcp_conn_get(f->t, id)->state, TCP_TIME_WAIT);
	/* RST in TIME_WAIT is ignored (RFC 1337) */
	cl_send(f, &c, TCP_RST, NULL, 0);
	assert_non_null(tcp_conn_get(f->t, id));
	/* a new SYN from another port takes the only slot */
	{
		uint8_t b[64];
		size_t n = build(b, 40001, 80, 1, 0, TCP_SYN, 1000, NULL, 0, NULL, 0);

		feed_raw(f, CIP, b, n);
		assert_int_equal(cnt(f)->tw_reuse, 1);
		assert_int_equal(count_kind(f, TCP_SYN | TCP_ACK), 1);
		assert_int_equal(f->last_close, TCP_CLOSE_TW_REUSE);
	}
	fx_free(f);
}

static void test_time_wait_new_syn_same_tuple(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	uint32_t id = open_conn(f, &c, 40000);

	(void)state;
	f->out.n = 0;
	tcp_shutdown(f->t, id);
	tcp_output(f->t, tcp_ready_pop(f->t), f->now, &f->out, 4);
	c.ack = f->act[0].seq + 1;
	cl_send(f, &c, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(tcp_conn_get(f->t, id)->state, TCP_TIME_WAIT);
	c.seq += 100000;
	cl_send(f, &c, TCP_SYN, NULL, 0);
	assert_int_equal(cnt(f)->tw_reuse, 1);
	assert_int_equal(count_kind(f, TCP_SYN | TCP_ACK), 1);
	assert_int_equal(f->act[f->out.n - 1].ack, c.seq);
	fx_free(f);
}

/* ---- drops ---- */

static void test_drop_reasons(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	uint8_t b[2048];
	size_t n;
	struct tcp_seg_in in;
	struct tcp_act small[2];
	struct tcp_out o2 = { small, 2, 0 };

	(void)state;
	/* bad_offset: short, data offset 4, offset past the end */
	feed_raw(f, CIP, b, 10);
	n = build(b, 40000, 80, 1, 0, TCP_SYN, 1000, NULL, 0, NULL, 0);
	b[12] = 4 << 4;
	feed_raw(f, CIP, b, n);
	b[12] = 15 << 4;
	feed_raw(f, CIP, b, n);
	assert_int_equal(cnt(f)->drop_bad_offset, 3);
	/* bad_option: zero length, length past the end */
	{
		static const uint8_t z[] = { 2, 0, 0, 0 }, over[] = { 1, 1, 8, 12 };

		n = build(b, 40000, 80, 1, 0, TCP_SYN, 1000, z, 4, NULL, 0);
		feed_raw(f, CIP, b, n);
		n = build(b, 40000, 80, 1, 0, TCP_SYN, 1000, over, 4, NULL, 0);
		feed_raw(f, CIP, b, n);
	}
	assert_int_equal(cnt(f)->drop_bad_option, 2);
	/* bad_addr: not our port, source port 0, multicast source */
	n = build(b, 40000, 81, 1, 0, TCP_SYN, 1000, NULL, 0, NULL, 0);
	feed_raw(f, CIP, b, n);
	n = build(b, 0, 80, 1, 0, TCP_SYN, 1000, NULL, 0, NULL, 0);
	feed_raw(f, CIP, b, n);
	n = build(b, 40000, 80, 1, 0, TCP_SYN, 1000, NULL, 0, NULL, 0);
	feed_raw(f, 0xe0000001u, b, n);
	assert_int_equal(cnt(f)->drop_bad_addr, 3);
	/* bad_flags: SYN+FIN, SYN+RST, nothing, FIN alone, PSH|URG */
	{
		static const uint8_t fl[] = { TCP_SYN | TCP_FIN, TCP_SYN | TCP_RST, 0, TCP_FIN,
					      TCP_PSH | TCP_URG };

		for (size_t i = 0; i < sizeof(fl); i++) {
			n = build(b, 40000, 80, 1, 0, fl[i], 1000, NULL, 0, NULL, 0);
			feed_raw(f, CIP, b, n);
			assert_int_equal(f->out.n, 0);
		}
		assert_int_equal(cnt(f)->drop_bad_flags, sizeof(fl));
	}
	/* no_conn: an ACK gets <SEQ=SEG.ACK><RST>, data before the handshake too, a RST nothing */
	n = build(b, 40000, 80, 1, 777, TCP_ACK, 1000, NULL, 0, "GET", 3);
	feed_raw(f, CIP, b, n);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].flags, TCP_RST);
	assert_int_equal(f->act[0].seq, 777);
	n = build(b, 40000, 80, 1, 0, TCP_RST, 1000, NULL, 0, NULL, 0);
	feed_raw(f, CIP, b, n);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(cnt(f)->drop_no_conn, 2);
	/* out_full */
	in = (struct tcp_seg_in){ CIP, SIP, span_make(b, n) };
	assert_int_equal(tcp_input(f->t, &in, f->now, &o2), -ENOBUFS);
	assert_int_equal(cnt(f)->drop_out_full, 1);
	/* out_of_window on a connection: far-off sequence number, ACKed */
	open_conn(f, &c, 40000);
	c.seq += 1000000;
	cl_send(f, &c, TCP_ACK, "x", 1);
	assert_int_equal(cnt(f)->drop_out_of_window, 1);
	assert_int_equal(f->out.n, 1);
	c.seq -= 1000001;
	/* rx_full: a request larger than the rx buffer (no end of headers) */
	{
		char big[1460];

		memset(big, 'a', sizeof(big));
		for (int i = 0; i < 3; i++)
			cl_send(f, &c, TCP_ACK, big, sizeof(big));
		assert_int_equal(cnt(f)->drop_rx_full, 1);
		assert_int_equal(f->act[0].win, 0);
		assert_int_equal(f->act[0].ack, c.seq - (3 * 1460 - 4096));
		/* at a zero window, a segment at rcv_nxt is still ACK-processed */
		c.seq = f->act[0].ack;
		cl_send(f, &c, TCP_ACK, big, 10);
		assert_int_equal(cnt(f)->drop_rx_full, 2);
		/* the app consumes: a window update goes out */
		tcp_rx_consume(f->t, f->last_conn, 4096);
		assert_int_equal(cnt(f)->window_updates, 1);
		f->out.n = 0;
		tcp_output(f->t, tcp_ready_pop(f->t), f->now, &f->out, 4);
		assert_int_equal(f->out.n, 1);
		assert_int_equal(f->act[0].win, 4096);
	}
	fx_free(f);
}

static void test_syn_flood_table_full(void **state)
{
	struct tcp_table_cfg cfg = base_cfg(NULL);
	struct fx *f;
	struct cl c = { 0 };
	uint8_t b[64];
	size_t n;

	(void)state;
	cfg.capacity = 1;
	f = fx_new_cfg(&cfg);
	open_conn(f, &c, 40000);
	/* table full of established connections: SYNs get cookies ... */
	n = build(b, 40001, 80, 1, 0, TCP_SYN, 1000, NULL, 0, NULL, 0);
	feed_raw(f, CIP, b, n);
	assert_int_equal(cnt(f)->syncookies_sent, 1);
	/* ... and a valid cookie ACK finds no slot: counted, no answer, no state */
	n = build(b, 40001, 80, 2, f->act[0].seq + 1, TCP_ACK, 1000, NULL, 0, NULL, 0);
	feed_raw(f, CIP, b, n);
	assert_int_equal(cnt(f)->drop_table_full, 1);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(tcp_active(f->t), 1);
	fx_free(f);
}

/* ---- app API ---- */

static void test_app_api(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { 0 };
	uint32_t id = open_conn(f, &c, 40000);
	char big[2000] = { 0 };

	(void)state;
	assert_int_equal(tcp_send_bytes(f->t, id, big, 2000), -ENOSPC);
	assert_int_equal(tcp_send_object(f->t, id, &f->obj, OBJ_LEN - 5, 10), -EINVAL);
	assert_int_equal(tcp_send_object(f->t, id, &f->obj, 0, 0), -EINVAL);
	assert_int_equal(tcp_send_bytes(f->t, 3, "x", 1), -EINVAL);
	/* pipelined: 8 responses of headers + body fill the 16 chunk slots */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(tcp_send_bytes(f->t, id, "HTTP/1.1 200 OK\r\n\r\n", 19), 0);
		assert_int_equal(tcp_send_object(f->t, id, &f->obj, 1000, 3000), 0);
	}
	assert_int_equal(tcp_tx_chunks_free(f->t, id), 0);
	assert_int_equal(tcp_send_object(f->t, id, &f->obj, 0, 1), -ENOSPC);
	assert_int_equal(tcp_tx_queued(f->t, id), 8 * 3019);
	/* segments never span two chunks */
	f->out.n = 0;
	assert_int_equal(tcp_ready_pop(f->t), id);
	tcp_output(f->t, id, f->now, &f->out, 64);
	assert_int_equal(f->act[0].pl_len, 19);
	assert_int_equal(f->act[1].pl_len, 1460);
	assert_int_equal(f->act[1].pl.o.off, 1000);
	assert_int_equal(f->act[2].pl_len, 1460);
	assert_int_equal(f->act[3].pl_len, 80);
	assert_int_equal(f->act[4].pl_len, 19);
	/* shutdown: no more data */
	assert_int_equal(tcp_shutdown(f->t, id), 0);
	assert_int_equal(tcp_send_bytes(f->t, id, "x", 1), -EPIPE);
	/* abort: RST and closed at the next output */
	assert_int_equal(tcp_abort(f->t, id), 0);
	f->out.n = 0;
	tcp_output(f->t, tcp_ready_pop(f->t), f->now, &f->out, 4);
	assert_int_equal(count_kind(f, TCP_RST), 1);
	assert_int_equal(find_closed(f)->reason, TCP_CLOSE_ABORT);
	assert_string_equal(tcp_close_reason_name(TCP_CLOSE_ABORT), "ABORT");
	assert_string_equal(tcp_state_name(TCP_TIME_WAIT), "TIME_WAIT");
	fx_free(f);
}

/* ---- tcp_table_reset ---- */

struct trace {
	unsigned n;
	struct { uint32_t kind, flags, conn, seq, ack, len; } e[256];
};

static void trace_out(struct fx *f, struct trace *tr)
{
	for (unsigned i = 0; i < f->out.n && tr->n < 256; i++, tr->n++) {
		tr->e[tr->n].kind = f->act[i].kind;
		tr->e[tr->n].flags = f->act[i].flags;
		tr->e[tr->n].conn = f->act[i].conn;
		tr->e[tr->n].seq = f->act[i].seq;
		tr->e[tr->n].ack = f->act[i].ack;
		tr->e[tr->n].len = f->act[i].pl_len;
	}
}

/* A fixed exchange: two connections (one with timestamps), a request and
 * the start of its response, a partial ACK, an RTO; a third one left
 * half open. Three live connections at the end. */
static void reset_script(struct fx *f, struct trace *tr)
{
	struct cl a = { 0 }, b = { .ts = true };
	uint8_t syn[64];
	size_t n;

	f->now = T0;
	open_conn(f, &a, 40000);
	trace_out(f, tr);
	open_conn(f, &b, 40001);
	trace_out(f, tr);
	cl_send(f, &a, TCP_ACK | TCP_PSH, REQ, strlen(REQ));
	trace_out(f, tr);
	assert_true(f->out.n >= 2);
	a.ack = f->act[1].seq + f->act[1].pl_len;
	f->now += 10 * MS;
	cl_send(f, &a, TCP_ACK, NULL, 0);
	trace_out(f, tr);
	f->now += 3 * SEC;
	timers(f);
	trace_out(f, tr);
	n = build(syn, 40002, 80, 5, 0, TCP_SYN, 1000, NULL, 0, NULL, 0);
	feed_raw(f, CIP, syn, n);
	trace_out(f, tr);
	assert_int_equal(tcp_active(f->t), 3);
}

static void assert_trace_equal(const struct trace *x, const struct trace *y)
{
	assert_int_equal(x->n, y->n);
	for (unsigned i = 0; i < x->n; i++)
		assert_memory_equal(&x->e[i], &y->e[i], sizeof(x->e[i]));
}

/* A reset table is a fresh one: same actions for the same input, counters
 * from zero, no byte of an earlier connection left in a buffer. */
static void test_table_reset(void **state)
{
	struct fx *f = fx_new(), *g = fx_new();
	static struct trace t1, t2, t3;
	struct tcp_counters c1;

	(void)state;
	reset_script(f, &t1);
	c1 = *cnt(f);
	assert_true(t1.n > 10);
	f->n_closed = 0;
	tcp_table_reset(f->t);
	assert_int_equal(f->n_closed, 3);
	assert_int_equal(f->last_close, TCP_CLOSE_DESTROY);
	assert_int_equal(tcp_active(f->t), 0);
	assert_int_equal(tcp_ready_count(f->t), 0);
	assert_true(tcp_next_deadline(f->t) == UINT64_MAX);
	assert_memory_equal(cnt(f), cnt(g), sizeof(c1));
	for (uint32_t i = 0; i < 4; i++) {
		static const uint8_t zero[4096 + 1024];

		assert_null(tcp_conn_get(f->t, i));
		assert_memory_equal(f->t->conn[i].rx_buf, zero, sizeof(zero));
	}
	reset_script(f, &t2);
	reset_script(g, &t3);
	assert_trace_equal(&t1, &t2);
	assert_trace_equal(&t1, &t3);
	assert_memory_equal(&c1, cnt(f), sizeof(c1));
	fx_free(f);
	fx_free(g);
}

static void test_timestamps_rtt_paws(void **state)
{
	struct fx *f = fx_new();
	struct cl c = { .ts = true };
	struct tcp_act s[64];
	const struct tcp_conn *cn;

	(void)state;
	start_transfer(f, &c, s);
	cn = tcp_conn_get(f->t, f->last_conn);
	assert_int_equal(cn->smss, 1448);
	assert_int_equal(s[1].pl_len, 1448);
	/* ACK 30 ms later echoing the TSval of s[1]: RTT sample 30 ms */
	f->now += 30 * MS;
	c.tsval += 30;
	c.tsecr = get_be32(s[1].opt + 4);
	c.ack = s[2].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_true(cnt(f)->rtt_samples >= 1);
	/* the handshake gave a 0 ms sample (srtt 1 us), now 7/8 * 1 + 30000 / 8 */
	assert_int_equal(cnt(f)->rtt_samples, 2);
	assert_int_equal(cn->srtt, 3751);
	/* PAWS: an older TSval is refused */
	c.tsval -= 100;
	c.ack = s[3].seq;
	cl_send(f, &c, TCP_ACK, NULL, 0);
	assert_int_equal(cnt(f)->paws_rejected, 1);
	assert_int_equal(cn->snd_una, s[2].seq);
	fx_free(f);
}

static void test_parse_options(void **state)
{
	/* unknown kind 30 skipped by length, MSS with a wrong length ignored,
	 * WS, SACK with 2 blocks, TS, then EOL: the rest is not read */
	static const uint8_t o[] = { 30, 3, 0xaa, 2, 3, 5, 3, 3, 20, 5, 18, 0, 0, 0, 1, 0, 0,
				     0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 8, 10, 0, 0, 0, 7, 0, 0, 0,
				     8, 0, 2, 4 };
	uint8_t b[128];
	size_t n = build(b, 1, 80, 1, 2, TCP_ACK, 3, o, sizeof(o), "xy", 2);
	struct tcp_seg sg;

	(void)state;
	assert_int_equal(tcp_parse(span_make(b, n), &sg), TCP_PARSE_OK);
	assert_false(sg.has_mss);
	assert_true(sg.has_ws);
	assert_int_equal(sg.ws, 20);
	assert_int_equal(sg.n_sack, 2);
	assert_int_equal(sg.sack[1].start, 3);
	assert_int_equal(sg.sack[1].end, 4);
	assert_true(sg.has_ts);
	assert_int_equal(sg.tsval, 7);
	assert_int_equal(sg.tsecr, 8);
	assert_int_equal(sg.opt_ignored, 2);
	assert_int_equal(sg.payload.len, 2);
	/* every truncation of the header is refused or parsed, never read past */
	for (size_t k = 0; k < n; k++)
		(void)tcp_parse(span_make(b, k), &sg);
	/* a shift over 14 is used as 14 (RFC 7323 sec 2.3) */
	{
		struct fx *f = fx_new();
		static const uint8_t ws[] = { 1, 3, 3, 20 };
		struct cl c = { .ip = CIP, .port = 4000, .seq = 1, .win = 100 };

		cl_send_opt(f, &c, TCP_SYN, ws, 4, NULL, 0);
		assert_int_equal(tcp_conn_get(f->t, f->act[0].conn)->snd_wscale, 14);
		fx_free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_options),
		cmocka_unit_test(test_handshake_options),
		cmocka_unit_test(test_isn_unpredictable),
		cmocka_unit_test(test_request_one_and_many),
		cmocka_unit_test(test_request_ooo_and_dup),
		cmocka_unit_test(test_large_object_cwnd),
		cmocka_unit_test(test_congestion_avoidance),
		cmocka_unit_test(test_fast_retransmit),
		cmocka_unit_test(test_sack_recovery),
		cmocka_unit_test(test_scoreboard_pipe),
		cmocka_unit_test(test_rescue_retransmission),
		cmocka_unit_test(test_rack_lost_retransmission),
		cmocka_unit_test(test_rack_after_rto),
		cmocka_unit_test(test_stuck_retransmission),
		cmocka_unit_test(test_tlp_tail_loss),
		cmocka_unit_test(test_fin_queued_tail_probe),
		cmocka_unit_test(test_fin_queued_lost_tail),
		cmocka_unit_test(test_fast_rexmit_truncated),
		cmocka_unit_test(test_rto_backoff_and_limit),
		cmocka_unit_test(test_zero_window_persist),
		cmocka_unit_test(test_small_window_no_sws),
		cmocka_unit_test(test_close_client_fin_first),
		cmocka_unit_test(test_close_server_after_response),
		cmocka_unit_test(test_close_simultaneous),
		cmocka_unit_test(test_rst_rules),
		cmocka_unit_test(test_syn_cookies),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_synack_retries),
		cmocka_unit_test(test_time_wait_reuse),
		cmocka_unit_test(test_time_wait_new_syn_same_tuple),
		cmocka_unit_test(test_drop_reasons),
		cmocka_unit_test(test_syn_flood_table_full),
		cmocka_unit_test(test_app_api),
		cmocka_unit_test(test_timestamps_rtt_paws),
		cmocka_unit_test(test_table_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
