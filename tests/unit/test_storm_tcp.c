/* SPDX-License-Identifier: BSD-3-Clause */
/* stampede-storm's client TCP (tools/storm/storm_tcp.c). First against a
 * scripted server, segment by segment, with the explicit clock: the SYN's
 * options, the SYN timer and "tcp: connect timeout", refusal, option
 * negotiation and clamps, request retransmission with backoff and "tcp:
 * retransmit timeout", fast retransmit, delayed ACKs, out-of-order
 * segments kept and SACKed (block order, limits, the pool's reserve),
 * duplicates and PAWS, RFC 5961 resets and challenge ACKs, both ways of
 * closing, the close and idle limits, zero-window probes, checksums.
 * Then against stampede's real HTTP server core in process: a 2 MB
 * download, the same under loss and reordering, and under corruption the
 * TCP checksum catches. */
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
#include "cksum.h"
#include "storm_tcp.h"
#include "test_storm_pump.h"

#define SEC 1000000ull
#define MS 1000ull
#define T0 (500 * SEC)
#define SIP 0x0a000001u
#define CIP 0x0a000164u
#define ISS 0xfffffc00u          /* our requests wrap past 0 */
#define IRS 0xfffff000u          /* the server's data wraps too */
#define NTX 16

/* ---- a scripted server ---- */

struct fk {
	struct storm_addr a;
	struct stcp c;
	struct stcp_pool pool;
	void *mem;
	uint8_t *frame[NTX];
	uint16_t len[NTX];
	struct storm_tx tx;
	uint64_t now;
	uint32_t srv_ts;       /* the server's TSval */
	bool ts;               /* the server speaks timestamps */
	uint8_t rx[1 << 16];
	size_t rx_len;
};

/* One of our segments, decoded. */
struct oseg {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win, mss;
	bool has_mss, has_ws, sack_perm, has_ts;
	uint8_t ws;
	uint32_t tsval, tsecr;
	unsigned n_sack;
	uint32_t sack[4][2];
	const uint8_t *data;
	size_t len;
	size_t frame_len;
};

static void on_bytes(void *ctx, const uint8_t *p, size_t n)
{
	struct fk *f = ctx;

	assert_true(f->rx_len + n <= sizeof(f->rx));
	memcpy(f->rx + f->rx_len, p, n);
	f->rx_len += n;
}

static struct fk *fk_new(uint32_t bufs, uint32_t per_conn, uint32_t reserve)
{
	struct fk *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->a = (struct storm_addr){ .mac = { { 2, 0xaa, 0, 0, 0, 1 } }, .ip = CIP,
				    .srv_mac = { { 2, 0, 0, 0, 0, 1 } }, .srv_ip = SIP };
	f->mem = malloc(STCP_POOL_BYTES(bufs));
	assert_int_equal(stcp_pool_init(&f->pool, f->mem, STCP_POOL_BYTES(bufs), per_conn, reserve),
			 (int)bufs);
	for (unsigned i = 0; i < NTX; i++)
		f->frame[i] = malloc(STORM_FRAME_MAX);
	f->tx = (struct storm_tx){ f->frame, f->len, NTX, 0 };
	f->now = T0;
	f->srv_ts = 777;
	return f;
}

static void fk_free(struct fk *f)
{
	for (unsigned i = 0; i < NTX; i++)
		free(f->frame[i]);
	free(f->mem);
	free(f);
}

/* Decode our frame @a i, checking both checksums and the addresses. */
static void out_seg(const struct fk *f, unsigned i, struct oseg *o)
{
	struct pkt_info pi;
	const uint8_t *t;
	size_t hl;

	assert_true(i < f->tx.n);
	memset(o, 0, sizeof(*o));
	o->frame_len = f->tx.len[i];
	assert_true(o->frame_len >= ETH_MIN_FRAME);
	assert_int_equal(pkt_parse(span_make(f->frame[i], f->tx.len[i]), &pi), PKT_CLASS_TCP);
	assert_int_equal(pi.src_ip, CIP);
	assert_int_equal(pi.dst_ip, SIP);
	assert_memory_equal(pi.dst_mac.b, f->a.srv_mac.b, 6);
	assert_int_equal(cksum_finish(cksum_partial(pi.l4.p, pi.l4.len,
				      cksum_pseudo4(CIP, SIP, IPPROTO_TCP_, (uint16_t)pi.l4.len))), 0);
	t = pi.l4.p;
	assert_int_equal(get_be16(t), 40000);
	assert_int_equal(get_be16(t + 2), 80);
	o->seq = get_be32(t + 4);
	o->ack = get_be32(t + 8);
	o->flags = t[13];
	o->win = get_be16(t + 14);
	hl = (size_t)(t[12] >> 4) * 4;
	for (size_t k = 20; k < hl;) {
		uint8_t kind = t[k];

		if (kind == 0)
			break;
		if (kind == 1) {
			k++;
			continue;
		}
		if (kind == 2) {
			o->has_mss = true;
			o->mss = get_be16(t + k + 2);
		} else if (kind == 3) {
			o->has_ws = true;
			o->ws = t[k + 2];
		} else if (kind == 4) {
			o->sack_perm = true;
		} else if (kind == 8) {
			o->has_ts = true;
			o->tsval = get_be32(t + k + 2);
			o->tsecr = get_be32(t + k + 6);
		} else if (kind == 5) {
			o->n_sack = (t[k + 1] - 2u) / 8;
			for (unsigned b = 0; b < o->n_sack; b++) {
				o->sack[b][0] = get_be32(t + k + 2 + 8 * b);
				o->sack[b][1] = get_be32(t + k + 6 + 8 * b);
			}
		}
		k += t[k + 1];
	}
	o->data = t + hl;
	o->len = pi.l4.len - hl;
}

/* The last frame we queued; the queue is emptied. */
static void last_seg(struct fk *f, struct oseg *o)
{
	assert_true(f->tx.n > 0);
	out_seg(f, f->tx.n - 1, o);
	f->tx.n = 0;
}

/* A segment from the server with @a opts (raw option bytes) or, when
 * NULL and f->ts, a timestamp option. @return stcp_input()'s result. */
static int fk_in_opts(struct fk *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
		      const uint8_t *opts, size_t olen, const void *data, size_t len)
{
	uint8_t fr[STORM_FRAME_MAX];
	uint8_t tso[12];
	uint8_t *ip = fr + ETH_HDR_LEN, *t = ip + IPV4_HDR_LEN;
	struct pkt_info pi;
	size_t hl, tl;

	if (!opts && f->ts) {
		tso[0] = 1;
		tso[1] = 1;
		tso[2] = 8;
		tso[3] = 10;
		put_be32(tso + 4, f->srv_ts);
		put_be32(tso + 8, 1);
		opts = tso;
		olen = 12;
	}
	hl = 20 + olen;
	tl = hl + len;
	assert_true(ETH_HDR_LEN + IPV4_HDR_LEN + tl <= sizeof(fr));
	put_be16(t, 80);
	put_be16(t + 2, 40000);
	put_be32(t + 4, seq);
	put_be32(t + 8, ack);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	put_be16(t + 14, win);
	put_be32(t + 16, 0);
	if (olen)
		memcpy(t + 20, opts, olen);
	if (len)
		memcpy(t + hl, data, len);
	put_be16(t + 16, cksum_finish(cksum_partial(t, tl, cksum_pseudo4(SIP, CIP, IPPROTO_TCP_,
			 (uint16_t)tl))));
	pkt_put_ipv4(ip, SIP, CIP, IPPROTO_TCP_, (uint16_t)tl, 0);
	pkt_put_eth(fr, &f->a.mac, &f->a.srv_mac, ETHERTYPE_IPV4);
	assert_int_equal(pkt_parse(span_make(fr, ETH_HDR_LEN + IPV4_HDR_LEN + tl), &pi),
			 PKT_CLASS_TCP);
	return stcp_input(&f->c, &f->a, &pi, f->now, &f->pool, on_bytes, f, &f->tx);
}

static int fk_in(struct fk *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
		 const void *data, size_t len)
{
	return fk_in_opts(f, flags, seq, ack, win, NULL, 0, data, len);
}

/* Data from the server at offset @a off of its stream (after the SYN). */
static int fk_data(struct fk *f, uint32_t off, const void *data, size_t len, uint8_t extra)
{
	return fk_in(f, TCP_ACK | extra, IRS + 1 + off, f->c.snd_nxt, 1024, data, len);
}

/* SYN-ACK options: MSS 1460, SACK-permitted, TS (echoing @a tsecr), NOP, WS @a ws. */
static size_t synack_opts(uint8_t *o, uint32_t tsval, uint32_t tsecr, int ws)
{
	size_t n = 0;

	o[n++] = 2;
	o[n++] = 4;
	put_be16(o + n, 1460);
	n += 2;
	o[n++] = 4;
	o[n++] = 2;
	o[n++] = 8;
	o[n++] = 10;
	put_be32(o + n, tsval);
	put_be32(o + n + 4, tsecr);
	n += 8;
	if (ws >= 0) {
		o[n++] = 1;
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = (uint8_t)ws;
	}
	while (n % 4)
		o[n++] = 0;
	return n;
}

/* Connect and complete the handshake with every option. */
static void fk_establish(struct fk *f)
{
	struct oseg syn;
	uint8_t o[24];
	size_t ol;

	assert_int_equal(stcp_connect(&f->c, &f->a, 40000, 80, ISS, f->now, &f->tx), 0);
	last_seg(f, &syn);
	ol = synack_opts(o, f->srv_ts, syn.tsval, 7);
	f->ts = true;
	assert_int_equal(fk_in_opts(f, TCP_SYN | TCP_ACK, IRS, ISS + 1, 65535, o, ol, NULL, 0),
			 STCP_ESTABLISHED);
	f->tx.n = 0;
}

/* ---- tests against the scripted server ---- */

static void test_syn(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	struct oseg o;

	(void)state;
	assert_true(sizeof(struct stcp) <= 256);
	assert_int_equal(f->c.state, STCP_S_CLOSED);          /* all-zero is CLOSED */
	assert_true(stcp_deadline(&f->c) == UINT64_MAX);
	assert_int_equal(stcp_connect(&f->c, &f->a, 40000, 80, ISS, f->now, &f->tx), 0);
	assert_int_equal(stcp_connect(&f->c, &f->a, 40000, 80, ISS, f->now, &f->tx), -EISCONN);
	assert_int_equal(f->tx.n, 1);
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_SYN);
	assert_int_equal(o.seq, ISS);
	assert_true(o.has_mss && o.mss == 1460);
	assert_true(o.has_ws && o.ws == 3);
	assert_true(o.sack_perm);
	assert_true(o.has_ts && o.tsecr == 0);
	assert_int_equal(o.win, 65535);
	assert_int_equal(o.frame_len, 14 + 20 + 40);
	assert_int_equal(f->c.state, STCP_S_SYN_SENT);
	assert_true(stcp_deadline(&f->c) == f->now + SEC);
	/* A full queue: nothing done. */
	f->tx.n = NTX - 2;
	f->c = (struct stcp){ 0 };
	assert_int_equal(stcp_connect(&f->c, &f->a, 40000, 80, ISS, f->now, &f->tx), -ENOBUFS);
	assert_int_equal(f->c.state, STCP_S_CLOSED);
	fk_free(f);
}

static void test_connect_timeout(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	static const uint64_t at[] = { 1, 3, 7 };
	struct oseg o;

	(void)state;
	assert_int_equal(stcp_connect(&f->c, &f->a, 40000, 80, ISS, f->now, &f->tx), 0);
	f->tx.n = 0;
	/* A request queued while the SYN is out holds a pool buffer. */
	assert_int_equal(stcp_send(&f->c, &f->a, "GET / HTTP/1.1\r\n\r\n", 18, f->now, &f->pool,
				   &f->tx), 0);
	assert_int_equal(f->tx.n, 0);
	assert_int_equal(f->pool.n_free, 63);
	for (unsigned i = 0; i < 3; i++) {
		assert_true(stcp_deadline(&f->c) == T0 + at[i] * SEC);
		f->now = T0 + at[i] * SEC - 1;
		assert_int_equal(stcp_timer(&f->c, &f->a, f->now, &f->pool, &f->tx), STCP_OPEN);
		assert_int_equal(f->tx.n, 0);
		f->now++;
		assert_int_equal(stcp_timer(&f->c, &f->a, f->now, &f->pool, &f->tx), STCP_OPEN);
		last_seg(f, &o);
		assert_int_equal(o.flags, TCP_SYN);
		assert_int_equal(o.seq, ISS);
	}
	assert_true(stcp_deadline(&f->c) == T0 + 15 * SEC);
	f->now = T0 + 15 * SEC;
	assert_int_equal(stcp_timer(&f->c, &f->a, f->now, &f->pool, &f->tx), STCP_FAILED);
	assert_int_equal(f->tx.n, 0);                       /* nothing to reset */
	assert_string_equal(stcp_cause_str(f->c.cause), "tcp: connect timeout");
	assert_int_equal(f->c.ctr.retransmits, 3);
	assert_true(stcp_deadline(&f->c) == UINT64_MAX);
	assert_int_equal(f->pool.n_free, 64);
	/* A failed connection may be used again. */
	assert_int_equal(stcp_connect(&f->c, &f->a, 40000, 80, ISS, f->now, &f->tx), 0);
	fk_free(f);
}

static void test_refused(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	struct oseg o;

	(void)state;
	assert_int_equal(stcp_connect(&f->c, &f->a, 40000, 80, ISS, f->now, &f->tx), 0);
	f->tx.n = 0;
	/* An ACK of something we never sent: RST <SEQ=SEG.ACK>, still waiting. */
	assert_int_equal(fk_in(f, TCP_SYN | TCP_ACK, IRS, ISS + 7, 65535, NULL, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_RST);
	assert_int_equal(o.seq, ISS + 7);
	/* A RST without ACK is not acceptable in SYN_SENT. */
	assert_int_equal(fk_in(f, TCP_RST, 0, 0, 0, NULL, 0), STCP_OPEN);
	assert_int_equal(f->c.state, STCP_S_SYN_SENT);
	assert_int_equal(fk_in(f, TCP_RST | TCP_ACK, 0, ISS + 1, 0, NULL, 0), STCP_FAILED);
	assert_string_equal(stcp_cause_str(f->c.cause), "tcp: connection refused");
	/* Another connection's segment, or one after the end: ignored, counted. */
	assert_int_equal(fk_in(f, TCP_ACK, 0, ISS + 1, 0, NULL, 0), STCP_IGNORED);
	assert_true(f->pool.ctr.not_ours >= 1);
	fk_free(f);
}

static void test_negotiation(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	struct oseg syn, o;
	uint8_t opt[24];
	size_t ol;

	(void)state;
	/* Everything, window scale 7 from the server. */
	fk_establish(f);
	assert_int_equal(f->c.snd_ws, 7);
	assert_int_equal(f->c.rcv_ws, 3);
	assert_int_equal(fk_data(f, 0, "x", 1, TCP_PSH), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_ACK);
	assert_int_equal(o.ack, IRS + 2);
	assert_int_equal(o.win, 32768);                    /* 256 KB >> 3 */
	assert_true(o.has_ts && o.tsecr == f->srv_ts);
	assert_int_equal(f->c.snd_wnd, 1024u << 7);
	stcp_close(&f->c, &f->a, true, f->now, &f->pool, &f->tx);
	f->tx.n = 0;

	/* No window scale from the server: neither side scales, 64 KB. */
	assert_int_equal(stcp_connect(&f->c, &f->a, 40000, 80, ISS, f->now, &f->tx), 0);
	last_seg(f, &syn);
	ol = synack_opts(opt, 5, syn.tsval, -1);
	assert_int_equal(fk_in_opts(f, TCP_SYN | TCP_ACK, IRS, ISS + 1, 65535, opt, ol, NULL, 0),
			 STCP_ESTABLISHED);
	last_seg(f, &o);
	assert_int_equal(o.win, 65535);
	assert_int_equal(f->c.rcv_ws, 0);
	stcp_close(&f->c, &f->a, true, f->now, &f->pool, &f->tx);
	f->tx.n = 0;

	/* A shift of 20 is taken as 14 (RFC 7323 sec 2.3); a tiny MSS as 88. */
	assert_int_equal(stcp_connect(&f->c, &f->a, 40000, 80, ISS, f->now, &f->tx), 0);
	last_seg(f, &syn);
	ol = synack_opts(opt, 5, syn.tsval, 20);
	put_be16(opt + 2, 20);
	assert_int_equal(fk_in_opts(f, TCP_SYN | TCP_ACK, IRS, ISS + 1, 65535, opt, ol, NULL, 0),
			 STCP_ESTABLISHED);
	assert_int_equal(f->c.snd_ws, 14);
	assert_int_equal(f->c.snd_mss, 88);
	stcp_close(&f->c, &f->a, true, f->now, &f->pool, &f->tx);
	f->tx.n = 0;

	/* No options at all: MSS 536, no timestamps, no SACK. */
	assert_int_equal(stcp_connect(&f->c, &f->a, 40000, 80, ISS, f->now, &f->tx), 0);
	f->tx.n = 0;
	f->ts = false;
	assert_int_equal(fk_in_opts(f, TCP_SYN | TCP_ACK, IRS, ISS + 1, 65535, NULL, 0, NULL, 0),
			 STCP_ESTABLISHED);
	last_seg(f, &o);
	assert_false(o.has_ts);
	assert_int_equal(o.frame_len, ETH_MIN_FRAME);      /* 54 bytes, padded */
	assert_int_equal(f->c.snd_mss, 536);
	fk_free(f);
}

static void test_request_retransmit(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	static const char req[] = "GET /bzImage HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n";
	struct oseg o;
	uint64_t rto = 200 * MS, t;
	unsigned n = 0;

	(void)state;
	fk_establish(f);
	assert_int_equal(stcp_send(&f->c, &f->a, req, strlen(req), f->now, &f->pool, &f->tx), 0);
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_ACK | TCP_PSH);
	assert_int_equal(o.seq, ISS + 1);
	assert_int_equal(o.len, strlen(req));
	assert_memory_equal(o.data, req, o.len);
	assert_int_equal(stcp_unacked(&f->c), strlen(req));
	assert_int_equal(stcp_send(&f->c, &f->a, req, STCP_SND_MAX, f->now, &f->pool, &f->tx),
			 -EMSGSIZE);
	/* Sub-ms RTT from the handshake: RTO at its 200 ms floor, then doubling. */
	t = f->now;
	for (;;) {
		assert_true(stcp_deadline(&f->c) == t + rto);
		t += rto;
		f->now = t;
		int ev = stcp_timer(&f->c, &f->a, f->now, &f->pool, &f->tx);

		if (ev == STCP_FAILED)
			break;
		last_seg(f, &o);
		assert_int_equal(o.seq, ISS + 1);
		assert_memory_equal(o.data, req, strlen(req));
		n++;
		rto *= 2;
	}
	assert_int_equal(n, STCP_RETRIES);
	assert_int_equal(f->c.ctr.retransmits, STCP_RETRIES);
	assert_string_equal(stcp_cause_str(f->c.cause), "tcp: retransmit timeout");
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_RST | TCP_ACK);
	assert_int_equal(f->pool.n_free, 64);
	assert_int_equal(stcp_send(&f->c, &f->a, "x", 1, f->now, &f->pool, &f->tx), -ENOTCONN);
	fk_free(f);
}

static void test_ack_and_fast_retransmit(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	static uint8_t req[2000];
	struct oseg o;

	(void)state;
	memset(req, 'r', sizeof(req));
	fk_establish(f);
	/* The server's window in its scale (a pure ACK, nothing in flight). */
	assert_int_equal(fk_in(f, TCP_ACK, IRS + 1, ISS + 1, 1024, NULL, 0), STCP_OPEN);
	assert_int_equal(f->c.dupacks, 0);
	/* Two segments: 1448 bytes (MSS less timestamps), then 552. */
	assert_int_equal(stcp_send(&f->c, &f->a, req, sizeof(req), f->now, &f->pool, &f->tx), 0);
	assert_int_equal(f->tx.n, 2);
	out_seg(f, 0, &o);
	assert_int_equal(o.len, 1448);
	assert_int_equal(o.flags, TCP_ACK);
	out_seg(f, 1, &o);
	assert_int_equal(o.len, 552);
	assert_int_equal(o.flags, TCP_ACK | TCP_PSH);
	f->tx.n = 0;
	/* Three duplicate ACKs: the first segment again, once. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(fk_in(f, TCP_ACK, IRS + 1, ISS + 1, 1024, NULL, 0), STCP_OPEN);
	assert_int_equal(f->tx.n, 1);
	last_seg(f, &o);
	assert_int_equal(o.seq, ISS + 1);
	assert_int_equal(o.len, 1448);
	assert_int_equal(f->c.ctr.retransmits, 1);
	/* A partial ACK keeps the rest; the whole ACK gives the buffer back. */
	assert_int_equal(fk_in(f, TCP_ACK, IRS + 1, ISS + 1 + 1448, 1024, NULL, 0), STCP_OPEN);
	assert_int_equal(stcp_unacked(&f->c), 552);
	assert_int_equal(f->pool.n_free, 63);
	assert_int_equal(fk_in(f, TCP_ACK, IRS + 1, ISS + 1 + 2000, 1024, NULL, 0), STCP_OPEN);
	assert_int_equal(stcp_unacked(&f->c), 0);
	assert_int_equal(f->pool.n_free, 64);
	assert_true(stcp_deadline(&f->c) > f->now + 10 * SEC);   /* only the idle limit */
	/* An ACK of bytes never sent: dropped with an ACK. */
	assert_int_equal(fk_in(f, TCP_ACK, IRS + 1, ISS + 5000, 1024, NULL, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 1);
	fk_free(f);
}

static void test_delayed_ack(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	static uint8_t d[1448 * 4];
	struct oseg o;

	(void)state;
	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 7);
	fk_establish(f);
	/* One segment: no ACK yet, the delayed-ACK timer 40 ms out. */
	assert_int_equal(fk_data(f, 0, d, 1448, 0), STCP_OPEN);
	assert_int_equal(f->tx.n, 0);
	assert_true(stcp_deadline(&f->c) == f->now + 40 * MS);
	/* The second: ACK both at once (RFC 5681 sec 4.2). */
	f->now += 1000;
	assert_int_equal(fk_data(f, 1448, d + 1448, 1448, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 1 + 2 * 1448);
	/* A third alone waits for the timer, which ACKs it. */
	assert_int_equal(fk_data(f, 2 * 1448, d + 2 * 1448, 1448, 0), STCP_OPEN);
	assert_int_equal(f->tx.n, 0);
	f->now += 40 * MS;
	assert_int_equal(stcp_timer(&f->c, &f->a, f->now, &f->pool, &f->tx), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 1 + 3 * 1448);
	/* PSH: at once. */
	assert_int_equal(fk_data(f, 3 * 1448, d + 3 * 1448, 1448, TCP_PSH), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 1 + 4 * 1448);
	assert_int_equal(f->rx_len, sizeof(d));
	assert_memory_equal(f->rx, d, sizeof(d));
	assert_int_equal(f->c.ctr.bytes_rcvd, sizeof(d));
	fk_free(f);
}

static void expect_sack(const struct oseg *o, unsigned n, const uint32_t (*b)[2])
{
	assert_int_equal(o->n_sack, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(o->sack[i][0], IRS + 1 + b[i][0]);
		assert_int_equal(o->sack[i][1], IRS + 1 + b[i][1]);
	}
}

static void test_ooo_sack(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	static uint8_t d[1000 * 5 + 400];
	struct oseg o;

	(void)state;
	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 13 + 1);
	fk_establish(f);
	/* A, then C and E: two holes, each OOO segment ACKed at once. */
	assert_int_equal(fk_data(f, 0, d, 1000, 0), STCP_OPEN);
	assert_int_equal(fk_data(f, 2000, d + 2000, 1000, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 1001);
	expect_sack(&o, 1, (const uint32_t[][2]){ { 2000, 3000 } });
	assert_int_equal(fk_data(f, 4000, d + 4000, 1000, 0), STCP_OPEN);
	last_seg(f, &o);
	/* The block of the latest segment first (RFC 2018 sec 4). */
	expect_sack(&o, 2, (const uint32_t[][2]){ { 4000, 5000 }, { 2000, 3000 } });
	/* C again: a duplicate, still two blocks, nothing more held. */
	assert_int_equal(fk_data(f, 2000, d + 2000, 1000, 0), STCP_OPEN);
	last_seg(f, &o);
	expect_sack(&o, 2, (const uint32_t[][2]){ { 2000, 3000 }, { 4000, 5000 } });
	assert_int_equal(f->c.ooo_n, 2);
	assert_int_equal(f->pool.n_free, 62);
	/* B fills the first hole: B and C delivered, ACK at once, E still SACKed. */
	assert_int_equal(fk_data(f, 1000, d + 1000, 1000, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 3001);
	expect_sack(&o, 1, (const uint32_t[][2]){ { 4000, 5000 } });
	/* D, overlapping into E: everything, no blocks left. */
	assert_int_equal(fk_data(f, 3000, d + 3000, 1400, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 5001);
	assert_int_equal(o.n_sack, 0);
	assert_int_equal(f->rx_len, 5000);
	assert_memory_equal(f->rx, d, 5000);
	assert_int_equal(f->c.ctr.ooo_segs, 3);
	assert_int_equal(f->c.ctr.dup_segs, 1);
	assert_true(f->c.ctr.sack_acks >= 4);
	assert_int_equal(f->pool.n_free, 64);
	fk_free(f);
}

static void test_sack_limits(void **state)
{
	struct fk *f = fk_new(24, 3, 16);
	static uint8_t d[100 * 12];
	struct oseg o;

	(void)state;
	fk_establish(f);
	/* Five islands: only three blocks fit beside timestamps, the latest first. */
	f->pool.per_conn_max = 20;
	for (uint32_t k = 1; k <= 5; k++)
		assert_int_equal(fk_data(f, 200 * k, d, 100, 0), STCP_OPEN);
	last_seg(f, &o);
	expect_sack(&o, 3, (const uint32_t[][2]){ { 1000, 1100 }, { 200, 300 }, { 400, 500 } });
	/* The pool is down to its reserve of 16 out of 24: the next is not kept... */
	assert_int_equal(f->pool.n_free, 19);
	assert_int_equal(fk_data(f, 1200, d, 100, 0), STCP_OPEN);
	assert_int_equal(fk_data(f, 1400, d, 100, 0), STCP_OPEN);
	assert_int_equal(fk_data(f, 1600, d, 100, 0), STCP_OPEN);
	assert_int_equal(f->pool.n_free, 16);
	assert_int_equal(fk_data(f, 1800, d, 100, 0), STCP_OPEN);
	assert_int_equal(f->pool.n_free, 16);
	assert_int_equal(f->pool.ctr.ooo_no_buf, 1);
	assert_int_equal(f->c.ctr.ooo_dropped, 1);
	/* ...and not SACKed, yet a request still finds a buffer. */
	last_seg(f, &o);
	assert_true(o.sack[0][0] != IRS + 1 + 1800);
	assert_int_equal(stcp_send(&f->c, &f->a, "GET", 3, f->now, &f->pool, &f->tx), 0);
	assert_int_equal(f->pool.n_free, 15);
	/* The connection's own limit. */
	f->pool.per_conn_max = 8;
	assert_int_equal(fk_data(f, 2000, d, 100, 0), STCP_OPEN);
	assert_int_equal(f->pool.ctr.ooo_conn_full, 1);
	stcp_close(&f->c, &f->a, true, f->now, &f->pool, &f->tx);
	assert_int_equal(f->pool.n_free, 24);
	fk_free(f);
}

static void test_dup_paws(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	struct oseg o;

	(void)state;
	fk_establish(f);
	f->srv_ts = 1000;
	assert_int_equal(fk_data(f, 0, "abcd", 4, TCP_PSH), STCP_OPEN);
	f->tx.n = 0;
	/* Old bytes: counted, ACKed at once, not delivered again. */
	assert_int_equal(fk_data(f, 0, "abcd", 4, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 5);
	assert_int_equal(f->c.ctr.dup_segs, 1);
	/* An older TSval (RFC 7323 sec 5): dropped, ACKed. */
	f->srv_ts = 999;
	assert_int_equal(fk_data(f, 4, "efgh", 4, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 5);
	assert_int_equal(f->rx_len, 4);
	f->srv_ts = 1001;
	assert_int_equal(fk_data(f, 4, "efgh", 4, TCP_PSH), STCP_OPEN);
	assert_int_equal(f->rx_len, 8);
	last_seg(f, &o);
	assert_int_equal(o.tsecr, 1001);
	fk_free(f);
}

static void test_rst_syn_challenge(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	struct oseg o;

	(void)state;
	fk_establish(f);
	/* In the window but not at rcv_nxt: a challenge ACK (RFC 5961 sec 3.2). */
	assert_int_equal(fk_in(f, TCP_RST, IRS + 11, 0, 0, NULL, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_ACK);
	assert_int_equal(o.ack, IRS + 1);
	/* Outside: nothing at all. */
	assert_int_equal(fk_in(f, TCP_RST, IRS - 100, 0, 0, NULL, 0), STCP_OPEN);
	assert_int_equal(f->tx.n, 0);
	/* A SYN in the window: challenge ACK (sec 4.2). */
	assert_int_equal(fk_in(f, TCP_SYN, IRS + 50, 0, 0, NULL, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_ACK);
	/* The SYN-ACK again (our ACK was lost): a duplicate, ACKed. */
	assert_int_equal(fk_in(f, TCP_SYN | TCP_ACK, IRS, ISS + 1, 1024, NULL, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 1);
	assert_int_equal(f->c.state, STCP_S_ESTABLISHED);
	assert_int_equal(fk_in(f, TCP_RST, IRS + 1, 0, 0, NULL, 0), STCP_FAILED);
	assert_string_equal(stcp_cause_str(f->c.cause), "tcp: reset");
	assert_int_equal(f->tx.n, 0);
	fk_free(f);
}

static void test_close_both_ways(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	struct oseg o;

	(void)state;
	/* The server closes first: data + FIN, then we close. */
	fk_establish(f);
	assert_int_equal(fk_data(f, 0, "bye", 3, TCP_FIN), STCP_CLOSED_BY_PEER);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 5);
	assert_int_equal(f->c.state, STCP_S_CLOSE_WAIT);
	assert_int_equal(stcp_close(&f->c, &f->a, false, f->now, &f->pool, &f->tx), 0);
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_ACK | TCP_FIN);
	assert_int_equal(o.seq, ISS + 1);
	assert_int_equal(f->c.state, STCP_S_LAST_ACK);
	/* Our FIN lost: the RTO sends it again. */
	f->now = stcp_deadline(&f->c);
	assert_int_equal(stcp_timer(&f->c, &f->a, f->now, &f->pool, &f->tx), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_ACK | TCP_FIN);
	assert_int_equal(fk_in(f, TCP_ACK, IRS + 5, ISS + 2, 1024, NULL, 0), STCP_CLOSED);
	assert_int_equal(f->c.state, STCP_S_CLOSED);

	/* We close first, with a request still unacknowledged. */
	f->tx.n = 0;
	fk_establish(f);
	assert_int_equal(stcp_send(&f->c, &f->a, "abc", 3, f->now, &f->pool, &f->tx), 0);
	assert_int_equal(stcp_close(&f->c, &f->a, false, f->now, &f->pool, &f->tx), 0);
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_ACK | TCP_FIN);
	assert_int_equal(o.seq, ISS + 4);
	assert_int_equal(f->c.state, STCP_S_FIN_WAIT_1);
	assert_int_equal(stcp_send(&f->c, &f->a, "x", 1, f->now, &f->pool, &f->tx), -ENOTCONN);
	assert_int_equal(fk_in(f, TCP_ACK, IRS + 1, ISS + 5, 1024, NULL, 0), STCP_OPEN);
	assert_int_equal(f->c.state, STCP_S_FIN_WAIT_2);
	assert_int_equal(f->pool.n_free, 64);
	/* Data still flows in FIN_WAIT_2; the FIN ends it, ACKed. */
	assert_int_equal(fk_data(f, 0, "late", 4, 0), STCP_OPEN);
	assert_int_equal(fk_data(f, 4, NULL, 0, TCP_FIN), STCP_CLOSED);
	last_seg(f, &o);
	assert_int_equal(o.ack, IRS + 6);

	/* The server never answers our FIN: the close limit ends it quietly. */
	f->tx.n = 0;
	fk_establish(f);
	assert_int_equal(stcp_close(&f->c, &f->a, false, f->now, &f->pool, &f->tx), 0);
	assert_int_equal(fk_in(f, TCP_ACK, IRS + 1, ISS + 2, 1024, NULL, 0), STCP_OPEN);
	assert_true(stcp_deadline(&f->c) == f->now + STCP_CLOSE_US);
	f->now += STCP_CLOSE_US;
	f->tx.n = 0;
	assert_int_equal(stcp_timer(&f->c, &f->a, f->now, &f->pool, &f->tx), STCP_CLOSED);
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_RST | TCP_ACK);
	fk_free(f);
}

static void test_idle_timeout(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	struct oseg o;

	(void)state;
	fk_establish(f);
	assert_true(stcp_deadline(&f->c) == f->now + STCP_IDLE_US);
	f->now += 10 * SEC;
	assert_int_equal(fk_data(f, 0, "x", 1, TCP_PSH), STCP_OPEN);   /* re-arms */
	f->tx.n = 0;
	assert_true(stcp_deadline(&f->c) == f->now + STCP_IDLE_US);
	f->now += STCP_IDLE_US;
	assert_int_equal(stcp_timer(&f->c, &f->a, f->now, &f->pool, &f->tx), STCP_FAILED);
	assert_string_equal(stcp_cause_str(f->c.cause), "tcp: idle timeout");
	last_seg(f, &o);
	assert_int_equal(o.flags, TCP_RST | TCP_ACK);
	/* 0 turns it off (a long Retry-After on an open connection). */
	f->tx.n = 0;
	fk_establish(f);
	stcp_set_idle(&f->c, 0, f->now);
	assert_true(stcp_deadline(&f->c) == UINT64_MAX);
	fk_free(f);
}

static void test_zero_window(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	struct oseg syn, o;
	uint8_t opt[24];
	size_t ol;

	(void)state;
	assert_int_equal(stcp_connect(&f->c, &f->a, 40000, 80, ISS, f->now, &f->tx), 0);
	last_seg(f, &syn);
	ol = synack_opts(opt, 5, syn.tsval, 0);
	f->ts = true;
	assert_int_equal(fk_in_opts(f, TCP_SYN | TCP_ACK, IRS, ISS + 1, 0, opt, ol, NULL, 0),
			 STCP_ESTABLISHED);
	f->tx.n = 0;
	assert_int_equal(stcp_send(&f->c, &f->a, "hello", 5, f->now, &f->pool, &f->tx), 0);
	assert_int_equal(f->tx.n, 0);
	/* The RTO probes with one byte... */
	f->now = stcp_deadline(&f->c);
	assert_int_equal(stcp_timer(&f->c, &f->a, f->now, &f->pool, &f->tx), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.len, 1);
	assert_int_equal(o.data[0], 'h');
	/* ...the window opens with the ACK of it: the rest goes. */
	assert_int_equal(fk_in(f, TCP_ACK, IRS + 1, ISS + 2, 100, NULL, 0), STCP_OPEN);
	last_seg(f, &o);
	assert_int_equal(o.seq, ISS + 2);
	assert_int_equal(o.len, 4);
	assert_memory_equal(o.data, "ello", 4);
	fk_free(f);
}

static void test_bad_segments(void **state)
{
	struct fk *f = fk_new(64, 16, 4);
	uint8_t fr[128];
	struct pkt_info pi;
	uint8_t *t;

	(void)state;
	fk_establish(f);
	/* A valid data segment, then spoilt copies of it. */
	memset(fr, 0, sizeof(fr));
	t = fr + ETH_HDR_LEN + IPV4_HDR_LEN;
	put_be16(t, 80);
	put_be16(t + 2, 40000);
	put_be32(t + 4, IRS + 1);
	put_be32(t + 8, ISS + 1);
	t[12] = 5 << 4;
	t[13] = TCP_ACK | TCP_PSH;
	put_be16(t + 14, 1024);
	memcpy(t + 20, "data", 4);
	put_be16(t + 16, cksum_finish(cksum_partial(t, 24, cksum_pseudo4(SIP, CIP, 6, 24))));
	pkt_put_ipv4(fr + ETH_HDR_LEN, SIP, CIP, 6, 24, 0);
	pkt_put_eth(fr, &f->a.mac, &f->a.srv_mac, ETHERTYPE_IPV4);
	t[21] ^= 1;                                   /* a flipped bit */
	assert_int_equal(pkt_parse(span_make(fr, 58), &pi), PKT_CLASS_TCP);
	assert_int_equal(stcp_input(&f->c, &f->a, &pi, f->now, &f->pool, on_bytes, f, &f->tx),
			 STCP_IGNORED);
	assert_int_equal(f->pool.ctr.bad_csum, 1);
	/* The NIC checked it (so the glue says): taken as it is. */
	f->pool.csum_verified = true;
	assert_int_equal(stcp_input(&f->c, &f->a, &pi, f->now, &f->pool, on_bytes, f, &f->tx),
			 STCP_OPEN);
	assert_memory_equal(f->rx, "d`ta", 4);
	f->pool.csum_verified = false;
	/* An option walking off the header. */
	t[12] = 6 << 4;
	t[20] = 8;
	t[21] = 10;
	assert_int_equal(pkt_parse(span_make(fr, 58), &pi), PKT_CLASS_TCP);
	assert_int_equal(stcp_input(&f->c, &f->a, &pi, f->now, &f->pool, on_bytes, f, &f->tx),
			 STCP_IGNORED);
	assert_int_equal(f->pool.ctr.bad_hdr, 1);
	/* A full output queue: nothing done. */
	f->tx.n = NTX - 1;
	assert_int_equal(stcp_input(&f->c, &f->a, &pi, f->now, &f->pool, on_bytes, f, &f->tx),
			 -ENOBUFS);
	assert_int_equal(stcp_timer(&f->c, &f->a, f->now, &f->pool, &f->tx), -ENOBUFS);
	assert_int_equal(stcp_send(&f->c, &f->a, "x", 1, f->now, &f->pool, &f->tx), -ENOBUFS);
	assert_int_equal(stcp_close(&f->c, &f->a, true, f->now, &f->pool, &f->tx), -ENOBUFS);
	assert_string_equal(stcp_state_name(f->c.state), "ESTABLISHED");
	assert_string_equal(stcp_state_name(99), "?");
	assert_string_equal(stcp_cause_str(STCP_C_NONE), "");
	fk_free(f);
}

static void test_pool_init(void **state)
{
	static uint64_t mem[(STCP_POOL_BYTES(4) + 7) / 8];

	(void)state;
	struct stcp_pool pool;

	assert_int_equal(stcp_pool_init(&pool, mem, sizeof(mem), 8, 1), 4);
	assert_int_equal(stcp_pool_init(&pool, mem, sizeof(mem), 8, 4), -EINVAL);
	assert_int_equal(stcp_pool_init(&pool, mem, 100, 8, 0), -EINVAL);
	assert_int_equal(stcp_pool_init(&pool, (uint8_t *)mem + 1, sizeof(mem) - 8, 8, 0),
			 -EINVAL);
	assert_int_equal(stcp_pool_init(&pool, NULL, sizeof(mem), 8, 0), -EINVAL);
}

/* ---- against stampede's HTTP server core ---- */

static struct pump_cfg one_get(const char *path)
{
	struct pump_cfg c = { .n_clients = 1, .corrupt_obj = -1, .n_req = 1 };

	c.req[0].path = path;
	return c;
}

static void test_real_download(void **state)
{
	struct pump_cfg cfg = one_get("/big.bin");
	struct pump *p = pump_new(&cfg);
	struct pclient *c;

	(void)state;
	pump_run(p, 60 * SEC);
	c = &p->cl[0];
	assert_true(c->finished);
	if (!c->ok)
		fail_msg("failed: %s", c->cause);
	assert_int_equal(c->resp[0].status, 200);
	assert_true(c->resp[0].verified);
	assert_int_equal(c->resp[0].body_len, PUMP_BIG_LEN);
	assert_true(c->tcp.ctr.bytes_rcvd > PUMP_BIG_LEN);
	assert_int_equal(c->tcp.ctr.retransmits, 0);
	assert_int_equal(c->tcp.ctr.ooo_segs, 0);
	assert_int_equal(c->tcp.state, STCP_S_CLOSED);
	assert_int_equal(p->pool.n_free, p->pool.n);
	/* The window the server saw let it go fast: well under a second. */
	assert_true(c->finished_at - PUMP_T0 < SEC);
	pump_free(p);
}

static void test_real_loss_reorder(void **state)
{
	struct pump_cfg cfg = one_get("/big.bin");
	struct pump *p;
	struct pclient *c;
	const struct tcp_counters *tc;

	(void)state;
	cfg.drop_every = 7;
	cfg.swap_pairs = true;
	p = pump_new(&cfg);
	pump_run(p, 120 * SEC);
	c = &p->cl[0];
	assert_true(c->finished);
	if (!c->ok)
		fail_msg("failed: %s", c->cause);
	assert_true(c->resp[0].verified);
	assert_true(p->dropped > 100);
	assert_true(c->tcp.ctr.ooo_segs > 100);
	assert_true(c->tcp.ctr.sack_acks > 100);
	tc = tcp_table_counters(http_server_tcp(p->srv));
	/* The server repaired holes from our SACK blocks, not by timeouts. */
	assert_true(tc->rexmit_sack + tc->rexmit_fast > 50);
	assert_true(tc->rexmit_rto < tc->rexmit_sack + tc->rexmit_fast);
	assert_int_equal(p->pool.n_free, p->pool.n);
	pump_free(p);
}

static void test_real_bad_checksums(void **state)
{
	struct pump_cfg cfg = one_get("/big.bin");
	struct pump *p;
	struct pclient *c;

	(void)state;
	cfg.corrupt_every = 13;
	p = pump_new(&cfg);
	pump_run(p, 120 * SEC);
	c = &p->cl[0];
	if (!c->ok)
		fail_msg("failed: %s", c->cause);
	assert_true(c->resp[0].verified);
	assert_true(p->corrupted > 50);
	assert_int_equal(p->pool.ctr.bad_csum, p->corrupted);
	pump_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_negotiation),
		cmocka_unit_test(test_request_retransmit),
		cmocka_unit_test(test_ack_and_fast_retransmit),
		cmocka_unit_test(test_delayed_ack),
		cmocka_unit_test(test_ooo_sack),
		cmocka_unit_test(test_sack_limits),
		cmocka_unit_test(test_dup_paws),
		cmocka_unit_test(test_rst_syn_challenge),
		cmocka_unit_test(test_close_both_ways),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_zero_window),
		cmocka_unit_test(test_bad_segments),
		cmocka_unit_test(test_pool_init),
		cmocka_unit_test(test_real_download),
		cmocka_unit_test(test_real_loss_reorder),
		cmocka_unit_test(test_real_bad_checksums),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
