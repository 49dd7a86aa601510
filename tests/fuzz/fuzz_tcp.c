/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the TCP core: a small table driven by segments,
 * clock ticks and app actions decoded from the input. Each input starts
 * from a fresh table (tcp_table_reset()), so a crash reproduces from its
 * file alone.
 *
 * Input: records, a command byte then its arguments:
 *   cmd & 7  0: SYN with options             opt bits
 *            1: ACK (cumulative choice)      how, win, sack bits
 *            2: data (request or garbage)    len
 *            3: raw segment                  len, bytes
 *            4: clock += b * 10 ms, timers   b
 *            5: FIN / RST / SYN-in-window    how
 *            6: app action on a connection   what
 *            7: clock += b * 1 s, timers     b
 *   (cmd >> 3) & 3 picks one of four clients (ports); the table has 3 slots.
 * Invariants after every step: snd_una <= snd_nxt <= snd_max per
 * connection, actions within the queue, payload inside the object or the
 * tx buffer, CLOSED actions only for live-then-freed ids; at the end time
 * alone closes every connection (no leak, no stuck timer).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "tcp.h"
#include "tcp_impl.h"

#define CAP 3
#define QCAP 48
#define SIP 0x0a000001u
#define CIP 0x0a000032u
#define CPORT 40000u               /* client k's port: CPORT + k */
#define REQ "GET / HTTP/1.1\r\n\r\n"

struct client {
	uint16_t port;
	uint32_t seq;              /* next sequence number we send */
	uint32_t srv_nxt;          /* highest server seq + len seen (what we would ACK) */
	uint32_t srv_una;          /* what we ACKed last */
	uint32_t tsval;
};

struct run {
	struct tcp_table *t;
	struct tcp_act act[QCAP];
	struct tcp_out out;
	uint64_t now;
	struct client cl[4];
	const uint8_t *p;
	size_t rem;
	uint32_t closed;           /* on_close calls */
	bool live[CAP];
};

static uint8_t obj_data[2][20000];
static struct stp_object objs[2];

static uint8_t take(struct run *r)
{
	if (r->rem == 0)
		return 0;
	r->rem--;
	return *r->p++;
}

static void on_data(void *app, uint32_t conn, struct tcp_table *t, uint64_t now)
{
	struct run *r = app;
	struct span rx = tcp_rx_peek(t, conn);

	(void)now;
	assert(conn < CAP);
	r->live[conn] = true;
	if (rx.len >= 4 && memcmp(rx.p + rx.len - 4, "\r\n\r\n", 4) == 0) {
		tcp_rx_consume(t, conn, rx.len);
		tcp_send_bytes(t, conn, "HTTP/1.1 200 OK\r\n\r\n", 19);
		tcp_send_object(t, conn, &objs[conn & 1], 0, objs[conn & 1].len);
	} else if (rx.len > 3000) {
		tcp_rx_consume(t, conn, 1000);
	}
	if (tcp_rx_eof(t, conn))
		tcp_shutdown(t, conn);
}

static void on_close(void *app, uint32_t conn, int reason)
{
	struct run *r = app;

	assert(conn < CAP);
	assert(reason >= 0 && reason < TCP_CLOSE_N);
	r->closed++;
	r->live[conn] = false;
}

/** What a client would ACK after segment @a a from the server. */
static void learn(struct client *c, const struct tcp_act *a)
{
	uint32_t end = a->seq + a->pl_len + !!(a->flags & (TCP_SYN | TCP_FIN));

	if (a->flags & TCP_SYN)
		c->srv_nxt = c->srv_una = end;
	else if (seq_gt(end, c->srv_nxt))
		c->srv_nxt = end;
}

/** Check the queue and learn the server's sequence numbers per client. */
static void check_out(struct run *r)
{
	assert(r->out.n <= r->out.cap);
	for (unsigned i = 0; i < r->out.n; i++) {
		const struct tcp_act *a = &r->act[i];

		assert(a->kind == TCP_ACT_SEND || a->kind == TCP_ACT_CLOSED);
		assert(a->opt_len <= TCP_OPT_MAX && a->opt_len % 4 == 0);
		if (a->pl_kind == TCP_PL_OBJECT) {
			assert(a->pl.o.obj == &objs[0] || a->pl.o.obj == &objs[1]);
			assert(a->pl.o.off + a->pl_len <= a->pl.o.obj->len);
		} else if (a->pl_kind == TCP_PL_BYTES) {
			const struct tcp_conn *c = tcp_conn_get(r->t, a->conn);

			assert(c != NULL);
			assert(a->pl.bytes >= c->tx_buf && a->pl.bytes + a->pl_len <= c->tx_buf + 1024);
		} else {
			assert(a->pl_len == 0);
		}
		if (a->kind != TCP_ACT_SEND || (unsigned)(a->dst_port - CPORT) >= 4)
			continue;
		learn(&r->cl[a->dst_port - CPORT], a);
	}
}

/**
 * RACK's transmission records: non-empty, sorted, contiguous, within
 * [snd_una, snd_max]; the pipe never exceeds what is outstanding.
 */
static void check_txr(const struct tcp_conn *c)
{
	struct tcp_sb w;

	assert(c->txr_n <= TCP_TXR_MAX);
	for (unsigned k = 0; k < c->txr_n; k++) {
		assert(seq_lt(c->txr[k].start, c->txr[k].end));
		assert(k == 0 || c->txr[k].start == c->txr[k - 1].end);
	}
	if (c->txr_n && c->state != TCP_SYN_RCVD) {
		assert(seq_geq(c->txr[0].start, c->snd_una));
		assert(seq_leq(c->txr[c->txr_n - 1].end, c->snd_max));
	}
	if (c->state >= TCP_ESTABLISHED) {
		tcp_sb_walk(c, &w);
		assert(w.pipe <= c->snd_max - c->snd_una);
	}
}

static void check_conns(struct run *r)
{
	uint32_t live = 0;

	for (uint32_t i = 0; i < CAP; i++) {
		const struct tcp_conn *c = tcp_conn_get(r->t, i);

		if (!c)
			continue;
		live++;
		assert(seq_leq(c->snd_una, c->snd_nxt) && seq_leq(c->snd_nxt, c->snd_max));
		assert(seq_leq(c->snd_max, tcp_snd_end(c)) || c->state == TCP_SYN_RCVD);
		assert(c->rx_len <= 4096);
		assert(c->n_sack <= TCP_SACK_MAX && c->ch_n <= TCP_CHUNKS);
		check_txr(c);
	}
	assert(live == tcp_active(r->t));
}

static void send_seg(struct run *r, struct client *c, uint8_t flags, uint32_t seq, uint32_t ack,
		     uint16_t win, const uint8_t *opt, size_t ol, const void *data, size_t len)
{
	uint8_t b[20 + 40 + 64];   /* header, options, data (at most 63 bytes) */
	size_t hl = 20 + ((ol + 3) & ~(size_t)3);
	struct tcp_seg_in in = { CIP, SIP, { b, 0 } };

	if (len > sizeof(b) - hl)
		len = sizeof(b) - hl;
	memset(b, 0, hl);
	put_be16(b, c->port);
	put_be16(b + 2, 80);
	put_be32(b + 4, seq);
	put_be32(b + 8, ack);
	b[12] = (uint8_t)((hl / 4) << 4);
	b[13] = flags;
	put_be16(b + 14, win);
	if (ol)
		memcpy(b + 20, opt, ol);
	if (len)
		memcpy(b + hl, data, len);
	in.tcp.len = hl + len;
	r->out.n = 0;
	tcp_input(r->t, &in, r->now, &r->out);
}

static void do_syn(struct run *r, struct client *c, uint8_t bits)
{
	uint8_t o[40];
	size_t n = 0;

	if (bits & 1) { o[n++] = 2; o[n++] = 4; put_be16(o + n, (uint16_t)(bits << 4)); n += 2; }
	if (bits & 2) { o[n++] = 4; o[n++] = 2; }
	if (bits & 4) { o[n++] = 8; o[n++] = 10; put_be32(o + n, c->tsval); put_be32(o + n + 4, 0); n += 8; }
	if (bits & 8) { o[n++] = 1; o[n++] = 3; o[n++] = 3; o[n++] = (uint8_t)(bits >> 4); }
	c->seq = (uint32_t)bits * 77777u;
	send_seg(r, c, TCP_SYN, c->seq, 0, 65535, o, n, NULL, 0);
	c->seq++;
}

static void do_ack(struct run *r, struct client *c)
{
	uint8_t how = take(r), win = take(r), sb = take(r);
	uint8_t o[40];
	size_t n = 0;
	uint32_t ack = c->srv_una;

	switch (how & 3) {
	case 0: ack = c->srv_nxt; break;
	case 1: ack = c->srv_una + (c->srv_nxt - c->srv_una) / 2; break;
	case 2: break;     /* duplicate */
	default: ack = c->srv_una + (uint32_t)(how << 8); break;
	}
	if (sb & 1) {
		uint32_t base = c->srv_una + (uint32_t)(sb >> 1) * 1448;

		o[n++] = 1; o[n++] = 1; o[n++] = 5; o[n++] = 10;
		put_be32(o + n, base); put_be32(o + n + 4, base + 1448 * (1u + (how >> 4)));
		n += 8;
	}
	if (how & 4) {
		o[n++] = 1; o[n++] = 1; o[n++] = 8; o[n++] = 10;
		put_be32(o + n, ++c->tsval); put_be32(o + n + 4, (uint32_t)(r->now / 1000));
		n += 8;
	}
	if (how != 3)
		c->srv_una = ack;
	send_seg(r, c, TCP_ACK, c->seq, ack, (uint16_t)(win * 257u), o, n, NULL, 0);
}

static void do_data(struct run *r, struct client *c)
{
	uint8_t len = take(r), n = len & 0x3f;
	uint8_t buf[64] = { 0 };

	if (len & 0x80) {
		send_seg(r, c, TCP_ACK | TCP_PSH, c->seq, c->srv_una, 65535, NULL, 0, REQ,
			 strlen(REQ));
		c->seq += (uint32_t)strlen(REQ);
		return;
	}
	/* len bytes follow; the first len & 0x3f are sent */
	for (unsigned i = 0; i < n; i++)
		buf[i] = take(r);
	for (unsigned i = n; i < len; i++)
		(void)take(r);
	/* len bit 6: out of order by 100 */
	send_seg(r, c, TCP_ACK, c->seq + ((len & 0x40) ? 100u : 0u), c->srv_una, 65535, NULL, 0,
		 buf, n);
	if (!(len & 0x40))
		c->seq += n;
}

static void do_ctl(struct run *r, struct client *c)
{
	uint8_t how = take(r);
	uint32_t seq = c->seq + (uint32_t)((how >> 3) * 1000);

	switch (how & 7) {
	case 0: send_seg(r, c, TCP_ACK | TCP_FIN, c->seq, c->srv_una, 65535, NULL, 0, NULL, 0);
		c->seq++;
		break;
	case 1: send_seg(r, c, TCP_RST, c->seq, 0, 0, NULL, 0, NULL, 0); break;
	case 2: send_seg(r, c, TCP_RST, seq, 0, 0, NULL, 0, NULL, 0); break;
	case 3: send_seg(r, c, TCP_SYN, seq, 0, 100, NULL, 0, NULL, 0); break;
	case 4: send_seg(r, c, TCP_ACK, seq, c->srv_una, 0, NULL, 0, "zz", 2); break;
	case 5: send_seg(r, c, TCP_ACK, c->seq, c->srv_nxt + how, 100, NULL, 0, NULL, 0); break;
	default: send_seg(r, c, TCP_ACK, c->seq - 1, c->srv_una, 65535, NULL, 0, "q", 1); break;
	}
}

static void drain_ready(struct run *r)
{
	for (unsigned k = 0; k < 8 && tcp_ready_count(r->t); k++) {
		r->out.n = 0;
		tcp_output(r->t, tcp_ready_pop(r->t), r->now, &r->out, 4);
		check_out(r);
	}
}

static void do_app(struct run *r)
{
	uint8_t w = take(r);
	uint32_t conn = (w >> 3) % CAP;

	switch (w & 7) {
	case 0: tcp_shutdown(r->t, conn); break;
	case 1: tcp_abort(r->t, conn); break;
	case 2: tcp_send_object(r->t, conn, &objs[1], w, 5000); break;
	case 3: {
		static const char hdr[64] = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n";

		tcp_send_bytes(r->t, conn, hdr, w & 0x38);
		break;
	}
	case 4: tcp_rx_consume(r->t, conn, w); break;
	default:
		r->out.cap = 4 + (w >> 3);
		drain_ready(r);
		r->out.cap = QCAP;
		break;
	}
	drain_ready(r);
}

static void tick(struct run *r, uint64_t dt)
{
	r->now += dt;
	for (unsigned k = 0; k < 64 && tcp_next_deadline(r->t) <= r->now; k++) {
		r->out.n = 0;
		tcp_timers(r->t, r->now, &r->out);
		check_out(r);
	}
	drain_ready(r);
}

static void step(struct run *r)
{
	uint8_t cmd = take(r);
	struct client *c = &r->cl[(cmd >> 3) & 3];

	switch (cmd & 7) {
	case 0: do_syn(r, c, take(r)); break;
	case 1: do_ack(r, c); break;
	case 2: do_data(r, c); break;
	case 3: {
		uint8_t len = take(r), buf[256];
		struct tcp_seg_in in = { CIP, SIP, { buf, 0 } };

		for (unsigned i = 0; i < len; i++)
			buf[i] = take(r);
		if (len >= 4) {
			put_be16(buf, c->port);
			put_be16(buf + 2, 80);
		}
		in.tcp.len = len;
		r->out.n = 0;
		tcp_input(r->t, &in, r->now, &r->out);
		break;
	}
	case 4: tick(r, (uint64_t)take(r) * 10000); break;
	case 5: do_ctl(r, c); break;
	case 6: do_app(r); break;
	default: tick(r, (uint64_t)take(r) * 1000000); break;
	}
	check_out(r);
	drain_ready(r);
	check_conns(r);
}

/*
 * One table for the whole run, made on the first input and reset before
 * each one: tcp_table_reset() leaves exactly what tcp_table_create()
 * does, so an input's run depends on its bytes alone, and costs no
 * allocation and no page faults (create and free per input, plus filling
 * the 23 kB of objects, took most of a short input's time).
 */
static struct tcp_table *table_once(struct run *r)
{
	static struct tcp_table *t;
	struct tcp_table_cfg cfg = {
		.capacity = CAP, .local_ip = SIP, .local_port = 80, .mss = 1460,
		.rx_buf = 4096, .tx_buf = 1024, .syn_backlog = 2,
		.timing = TCP_TIMING_DEFAULT,
		.ops = { on_data, on_close }, .app = r,
	};

	if (t != NULL)
		return t;
	for (int i = 0; i < 2; i++) {
		for (size_t j = 0; j < sizeof(obj_data[i]); j++)
			obj_data[i][j] = (uint8_t)(j * 13 + (size_t)i);
		objs[i].data = obj_data[i];
		objs[i].len = i ? sizeof(obj_data[i]) : 3000;
	}
	memcpy(cfg.secret, "fuzz-secret-0123", 16);
	cfg.timing.idle_timeout = 30000000;
	t = tcp_table_create(&cfg);
	assert(t);
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	struct tcp_table *t = table_once(&r);

	tcp_table_reset(t);
	memset(&r, 0, sizeof(r));
	r.t = t;
	r.out.act = r.act;
	r.out.cap = QCAP;
	r.now = 1000000000ull;
	for (int k = 0; k < 4; k++)
		r.cl[k] = (struct client){ .port = (uint16_t)(CPORT + k), .tsval = 1 };
	r.p = data;
	r.rem = size;
	while (r.rem > 0)
		step(&r);
	/* time alone ends everything: idle timeout, retries, TIME_WAIT */
	for (int k = 0; k < 400 && (tcp_active(r.t) || tcp_ready_count(r.t)); k++)
		tick(&r, 1000000);
	assert(tcp_active(r.t) == 0);
	assert(tcp_next_deadline(r.t) == UINT64_MAX);
	return 0;
}
