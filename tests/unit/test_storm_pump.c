/* SPDX-License-Identifier: BSD-3-Clause */
/* The in-process network of the storm client tests (test_storm_pump.h). */
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
#include "content_hash.h"
#include "test_storm_pump.h"

#define QCAP 16384u
#define N_TACT 1024
#define N_HACT 256
#define CLI_TX 16
#define TICK_US 20u

static const struct mac_addr srv_mac = { { 0x02, 0, 0, 0, 0, 1 } };

struct frame {
	uint16_t len;
	uint8_t b[STORM_FRAME_MAX];
};

struct fq {
	struct frame *f;
	unsigned head, n;
};

struct raw_peer {       /* the raw server's view of one client */
	uint32_t snd_nxt, rcv_nxt;
	bool open;
};

struct priv {
	struct fq to_cli, to_srv;
	struct tcp_act tact[N_TACT];
	struct http_act hact[N_HACT];
	struct http_out out;
	struct http_act pending_up[64];
	unsigned n_pending_up;
	struct frame held;          /* swap_pairs: the first of a pair */
	bool holding;
	struct raw_peer *raw;
	uint8_t *cli_frames[CLI_TX];
	uint16_t cli_len[CLI_TX];
	struct storm_tx tx;
};

static struct priv *P(const struct pump *p)
{
	return p->priv;
}

/* ---- frame queues ---- */

static struct frame *fq_push(struct fq *q)
{
	struct frame *f;

	assert_true(q->n < QCAP);
	f = &q->f[(q->head + q->n) % QCAP];
	q->n++;
	return f;
}

static bool fq_pop(struct fq *q, struct frame *out)
{
	if (q->n == 0)
		return false;
	*out = q->f[q->head];
	q->head = (q->head + 1) % QCAP;
	q->n--;
	return true;
}

/* ---- objects ---- */

static const struct stp_object *lookup(void *ctx, const char *name, size_t len)
{
	const struct pump *p = ctx;

	for (unsigned i = 0; i < PUMP_N_OBJ; i++)
		if (strlen(p->objs[i].name) == len && memcmp(p->objs[i].name, name, len) == 0)
			return &p->objs[i];
	return NULL;
}

static void obj_make(struct pump *p, unsigned i, const char *name, size_t len, uint64_t seed)
{
	struct stp_object *o = &p->objs[i];
	uint64_t x = seed | 1;

	p->data[i] = malloc(len);
	assert_non_null(p->data[i]);
	if (i == PUMP_OBJ_SCRIPT) {
		memcpy(p->data[i], PUMP_SCRIPT, len);
	} else {
		for (size_t k = 0; k < len; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p->data[i][k] = (uint8_t)(x >> 29);
		}
	}
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->data = p->data[i];
	o->len = len;
	o->mtime = 1600000000;
	/* The ETag as the object cache makes it (common/objcache.c). */
	snprintf(o->etag, sizeof(o->etag), "\"%016llx-%llx\"",
		 (unsigned long long)content_hash(o->data, len), (unsigned long long)len);
	o->flags = i == PUMP_OBJ_BIG ? 0 : OBJ_F_BOOT_STAGE;
	p->wire[i] = p->data[i];
}

/* ---- the server's frames ---- */

static const uint8_t *act_payload(const struct pump *p, const struct tcp_act *a,
				  unsigned client)
{
	if (a->pl_kind == TCP_PL_BYTES)
		return a->pl.bytes;
	if (a->pl_kind != TCP_PL_OBJECT)
		return NULL;
	for (unsigned i = 0; i < PUMP_N_OBJ; i++)
		if (a->pl.o.obj == &p->objs[i])
			return ((int)i == p->cfg.corrupt_obj && client == p->cfg.corrupt_client
					? p->wire[i] : p->data[i]) + a->pl.o.off;
	fail_msg("payload of an unknown object");
	return NULL;
}

/* Build the Ethernet frame the glue would send for @a a. */
static void srv_frame(struct pump *p, const struct tcp_act *a, struct frame *f)
{
	unsigned client = a->dst_ip - PUMP_CIP0;
	uint8_t *ip = f->b + ETH_HDR_LEN, *th = ip + IPV4_HDR_LEN;
	size_t hl = 20u + a->opt_len, tl = hl + a->pl_len;
	const uint8_t *pl = act_payload(p, a, client);

	assert_true(client < p->cfg.n_clients);
	assert_true(ETH_HDR_LEN + IPV4_HDR_LEN + tl <= STORM_FRAME_MAX);
	put_be16(th, a->src_port);
	put_be16(th + 2, a->dst_port);
	put_be32(th + 4, a->seq);
	put_be32(th + 8, a->ack);
	th[12] = (uint8_t)((hl / 4) << 4);
	th[13] = a->flags;
	put_be16(th + 14, a->win);
	put_be32(th + 16, 0);
	memcpy(th + 20, a->opt, a->opt_len);
	if (a->pl_len)
		memcpy(th + hl, pl, a->pl_len);
	put_be16(th + 16, cksum_finish(cksum_partial(th, tl, cksum_pseudo4(a->src_ip, a->dst_ip,
			  IPPROTO_TCP_, (uint16_t)tl))));
	pkt_put_ipv4(ip, a->src_ip, a->dst_ip, IPPROTO_TCP_, (uint16_t)tl, 0);
	pkt_put_eth(f->b, &p->cl[client].addr.mac, &srv_mac, ETHERTYPE_IPV4);
	f->len = (uint16_t)(ETH_HDR_LEN + IPV4_HDR_LEN + tl);
}

/* Loss, reordering and corruption of the server's data segments. */
static void to_client(struct pump *p, const struct frame *f, size_t pl_len)
{
	struct priv *v = P(p);

	uint64_t k = pl_len ? ++p->data_segs : 0;

	p->srv_frames++;
	if (k && p->cfg.drop_every && k % p->cfg.drop_every == 0) {
		p->dropped++;
		return;
	}
	if (k && p->cfg.corrupt_every && k % p->cfg.corrupt_every == 0) {
		struct frame *c = fq_push(&v->to_cli);

		*c = *f;
		c->b[c->len - 1] ^= 0x40;       /* after the checksum: TCP must drop it */
		p->corrupted++;
		return;
	}
	if (pl_len && p->cfg.swap_pairs) {
		if (!v->holding) {
			v->held = *f;
			v->holding = true;
			return;
		}
		*fq_push(&v->to_cli) = *f;
		*fq_push(&v->to_cli) = v->held;
		v->holding = false;
		p->swapped++;
		return;
	}
	*fq_push(&v->to_cli) = *f;
}

/* Carry out what the server core produced. */
static void srv_out(struct pump *p)
{
	struct priv *v = P(p);
	struct frame f = { 0 };

	for (unsigned i = 0; i < v->out.tcp.n; i++) {
		const struct tcp_act *a = &v->tact[i];

		if (a->kind != TCP_ACT_SEND)
			continue;
		srv_frame(p, a, &f);
		to_client(p, &f, a->pl_len);
	}
	for (unsigned i = 0; i < v->out.act_n; i++) {
		if (v->hact[i].kind != HTTP_ACT_UPCALL)
			continue;
		p->upcalls++;
		assert_true(v->n_pending_up < 64);
		v->pending_up[v->n_pending_up++] = v->hact[i];
	}
	v->out.tcp.n = 0;
	v->out.act_n = 0;
}

/* Control answers /api/ requests with a small JSON document. */
static void answer_upcalls(struct pump *p)
{
	static const char json[] = "{\"ok\":true,\"job\":7}";
	struct priv *v = P(p);

	if (p->cfg.ignore_upcalls) {
		v->n_pending_up = 0;
		return;
	}
	for (unsigned i = 0; i < v->n_pending_up; i++) {
		int rc = http_server_upcall_answer(p->srv, v->pending_up[i].slot,
						   v->pending_up[i].serial, 200, true,
						   span_make(json, sizeof(json) - 1), p->now, &v->out);

		assert_true(rc == 0 || rc == -ESTALE);
		srv_out(p);
	}
	v->n_pending_up = 0;
}

/* ---- the raw server: handshake, then fixed bytes ---- */

static void raw_send(struct pump *p, unsigned ci, uint8_t flags, const void *data, size_t len)
{
	struct raw_peer *r = &P(p)->raw[ci];
	struct tcp_act a = { .kind = TCP_ACT_SEND, .flags = flags, .src_ip = PUMP_SIP,
			     .dst_ip = PUMP_CIP0 + ci, .src_port = 80,
			     .dst_port = p->cl[ci].lport, .seq = r->snd_nxt, .ack = r->rcv_nxt,
			     .win = 8192, .pl_kind = len ? TCP_PL_BYTES : TCP_PL_NONE,
			     .pl_len = (uint32_t)len, .pl.bytes = data };
	struct frame f = { 0 };

	if (flags & TCP_SYN) {   /* MSS only: no scaling, no timestamps, no SACK */
		a.opt_len = 4;
		a.opt[0] = 2;
		a.opt[1] = 4;
		put_be16(a.opt + 2, 1400);
	}
	srv_frame(p, &a, &f);
	*fq_push(&P(p)->to_cli) = f;
	r->snd_nxt += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1u : 0u);
}

static void raw_input(struct pump *p, const struct pkt_info *pi)
{
	unsigned ci = pi->src_ip - PUMP_CIP0;
	struct raw_peer *r = &P(p)->raw[ci];
	const uint8_t *t = pi->l4.p;
	uint8_t flags = t[13];
	size_t hl = (size_t)(t[12] >> 4) * 4, len = pi->l4.len - hl;

	if (flags & TCP_RST) {
		r->open = false;
		return;
	}
	if (flags & TCP_SYN) {
		r->rcv_nxt = get_be32(t + 4) + 1;
		r->snd_nxt = 5000;
		r->open = true;
		raw_send(p, ci, TCP_SYN | TCP_ACK, NULL, 0);
		return;
	}
	if (!r->open || get_be32(t + 4) != r->rcv_nxt)
		return;
	r->rcv_nxt += (uint32_t)len + ((flags & TCP_FIN) ? 1u : 0u);
	if (len)
		raw_send(p, ci, TCP_ACK | TCP_PSH, p->cfg.raw_answer, strlen(p->cfg.raw_answer));
	if (flags & TCP_FIN) {
		raw_send(p, ci, TCP_ACK | TCP_FIN, NULL, 0);
		r->open = false;
	}
}

/* ---- frames to the server ---- */

static void srv_input(struct pump *p, const struct frame *f)
{
	struct priv *v = P(p);
	struct pkt_info pi;
	struct tcp_seg_in seg;

	/* Our builder must produce frames a strict parser takes, checksums right. */
	assert_int_equal(pkt_parse(span_make(f->b, f->len), &pi), PKT_CLASS_TCP);
	assert_int_equal(cksum_finish(cksum_partial(pi.l4.p, pi.l4.len,
				      cksum_pseudo4(pi.src_ip, pi.dst_ip, IPPROTO_TCP_,
						    (uint16_t)pi.l4.len))), 0);
	assert_int_equal(pi.dst_ip, PUMP_SIP);
	p->cli_frames++;
	if (p->cfg.server == PUMP_NONE)
		return;
	if (p->cfg.server == PUMP_RAW) {
		raw_input(p, &pi);
		return;
	}
	seg = (struct tcp_seg_in){ pi.src_ip, pi.dst_ip, pi.l4 };
	assert_int_equal(http_server_input(p->srv, &seg, p->now, &v->out), 0);
	srv_out(p);
}

/* ---- the clients: the orchestrator's part, reduced ---- */

static void client_done(struct pump *p, struct pclient *c, bool ok, const char *cause)
{
	if (c->finished)
		return;
	c->finished = true;
	c->ok = ok;
	c->cause = cause;
	c->finished_at = p->now;
}

/* Move what the client machines queued onto the wire. */
static void cli_flush(struct pump *p)
{
	struct priv *v = P(p);

	for (unsigned i = 0; i < v->tx.n; i++) {
		struct frame *f = fq_push(&v->to_srv);

		f->len = v->tx.len[i];
		memcpy(f->b, v->tx.frame[i], f->len);
	}
	v->tx.n = 0;
}

static void record(struct pclient *c)
{
	struct pump_resp *r = &c->resp[c->n_resp];

	r->status = c->http.status;
	r->verified = c->http.verified;
	r->etag_kind = c->http.etag_kind;
	r->retry_after = c->http.retry_after;
	r->body_len = c->http.body_len;
	if (c->n_resp == 0) {
		memcpy(c->first_body, c->keep, c->http.kept);
		c->first_body[STP_MIN(c->http.kept, PUMP_KEEP - 1)] = '\0';
	}
	c->n_resp++;
	c->resp_done = true;
}

static void deliver(void *ctx, const uint8_t *b, size_t n)
{
	struct pclient *c = ctx;
	int rc;

	if (c->finished || c->http_failed)
		return;
	rc = shttp_input(&c->http, b, n);
	if (rc == PARSE_ERR) {
		c->http_failed = true;
		return;
	}
	if (rc > 0) {
		record(c);
		c->want_next = true;
		/* Bytes beyond the response: the reader names them UNEXPECTED. */
		if ((size_t)rc < n && shttp_input(&c->http, b + rc, n - (size_t)rc) == PARSE_ERR)
			c->http_failed = true;
	}
}

static void send_req(struct pump *p, struct pclient *c)
{
	const struct pump_req *rq = &p->cfg.req[c->next_req];
	struct shttp_req r = { .method = rq->method ? rq->method : "GET", .host = "10.0.0.1",
			       .path = rq->path, .body = rq->body,
			       .body_len = rq->body ? strlen(rq->body) : 0 };
	char buf[1024];
	int n = shttp_build_request(buf, sizeof(buf), &r);

	assert_true(n > 0);
	shttp_begin(&c->http, false, c->keep, sizeof(c->keep));
	assert_int_equal(stcp_send(&c->tcp, &c->addr, buf, (size_t)n, p->now, &p->pool,
				   &P(p)->tx), 0);
	c->next_req++;
	c->resp_done = false;
}

static void close_gently(struct pump *p, struct pclient *c)
{
	assert_int_equal(stcp_close(&c->tcp, &c->addr, false, p->now, &p->pool, &P(p)->tx), 0);
}

/* After an event: the next request, a close, or the end. */
static void client_act(struct pump *p, struct pclient *c, int ev)
{
	bool more;

	assert_true(ev >= 0);
	if (c->finished)
		return;
	if (ev == STCP_FAILED) {
		client_done(p, c, false, stcp_cause_str(c->tcp.cause));
		return;
	}
	if (c->http_failed) {
		client_done(p, c, false, shttp_cause_str(c->http.cause));
		assert_int_equal(stcp_close(&c->tcp, &c->addr, true, p->now, &p->pool,
					    &P(p)->tx), 0);
		return;
	}
	if (ev == STCP_CLOSED_BY_PEER && !c->resp_done) {
		if (shttp_eof(&c->http) == PARSE_ERR) {
			client_done(p, c, false, shttp_cause_str(c->http.cause));
			assert_int_equal(stcp_close(&c->tcp, &c->addr, true, p->now, &p->pool,
						    &P(p)->tx), 0);
			return;
		}
		record(c);      /* a body the close delimited */
	}
	more = c->next_req < p->cfg.n_req && shttp_keep_alive(&c->http) &&
	       c->tcp.state == STCP_S_ESTABLISHED;
	if (c->want_next && more) {
		c->want_next = false;
		send_req(p, c);
		return;
	}
	c->want_next = false;
	if (ev == STCP_CLOSED) {
		client_done(p, c, c->n_resp == p->cfg.n_req, "closed early");
		return;
	}
	if (c->resp_done || ev == STCP_CLOSED_BY_PEER)
		close_gently(p, c);
}

static void cli_input(struct pump *p, const struct frame *f)
{
	struct pkt_info pi;
	struct pclient *c;
	unsigned ci;
	int ev;

	if (pkt_parse(span_make(f->b, f->len), &pi) != PKT_CLASS_TCP)
		fail_msg("the server sent a frame pkt_parse refuses");
	ci = pi.dst_ip - PUMP_CIP0;
	assert_true(ci < p->cfg.n_clients);
	c = &p->cl[ci];
	ev = stcp_input(&c->tcp, &c->addr, &pi, p->now, &p->pool, deliver, c, &P(p)->tx);
	client_act(p, c, ev);
	cli_flush(p);
}

/* ---- the loop ---- */

struct pump *pump_new(const struct pump_cfg *cfg)
{
	struct pump *p = calloc(1, sizeof(*p));
	struct priv *v = calloc(1, sizeof(*v));
	struct http_server_cfg sc = {
		.tcp = { .capacity = 256, .local_ip = PUMP_SIP, .local_port = 80, .mss = 1460,
			 .rx_buf = 4096, .tx_buf = 8192, .timing = TCP_TIMING_DEFAULT },
		.site = { .lookup = lookup, .server = "stampede/test", .keepalive = true,
			  .head_timeout_us = 5 * PUMP_SEC, .idle_timeout_us = 30 * PUMP_SEC,
			  .lim = HTTP_LIMITS_DEFAULT },
		.wall_offset_us = 1700000000ull * PUMP_SEC - PUMP_T0,
		.upcall_target_max = 200,
		.upcall_body_max = 4096,
	};
	uint32_t bufs = cfg->pool_bufs ? cfg->pool_bufs : 4096;

	assert_non_null(p);
	assert_non_null(v);
	p->cfg = *cfg;
	p->priv = v;
	p->now = PUMP_T0;
	obj_make(p, PUMP_OBJ_SCRIPT, "boot.ipxe", strlen(PUMP_SCRIPT), 1);
	obj_make(p, PUMP_OBJ_KERNEL, "bzImage", PUMP_KERNEL_LEN, 2);
	obj_make(p, PUMP_OBJ_INITRD, "init.xz", PUMP_INITRD_LEN, 3);
	obj_make(p, PUMP_OBJ_BIG, "big.bin", PUMP_BIG_LEN, 4);
	if (cfg->corrupt_obj >= 0 && cfg->corrupt_obj < PUMP_N_OBJ) {
		unsigned i = (unsigned)cfg->corrupt_obj;

		p->wire[i] = malloc(p->objs[i].len);
		memcpy(p->wire[i], p->data[i], p->objs[i].len);
		p->wire[i][cfg->corrupt_off] ^= 0x01;
	}
	sc.site.lookup_ctx = p;
	memcpy(sc.tcp.secret, "0123456789abcdef", 16);
	p->srv = http_server_create(&sc);
	assert_non_null(p->srv);
	v->out = (struct http_out){ { v->tact, N_TACT, 0 }, v->hact, N_HACT, 0 };
	v->to_cli.f = malloc(QCAP * sizeof(struct frame));
	v->to_srv.f = malloc(QCAP * sizeof(struct frame));
	v->raw = calloc(cfg->n_clients, sizeof(*v->raw));
	for (unsigned i = 0; i < CLI_TX; i++)
		v->cli_frames[i] = malloc(STORM_FRAME_MAX);
	v->tx = (struct storm_tx){ v->cli_frames, v->cli_len, CLI_TX, 0 };
	p->pool_mem = malloc(STCP_POOL_BYTES(bufs));
	assert_int_equal(stcp_pool_init(&p->pool, p->pool_mem, STCP_POOL_BYTES(bufs),
					cfg->per_conn_max ? cfg->per_conn_max : 64, 16), (int)bufs);
	p->cl = calloc(cfg->n_clients, sizeof(*p->cl));
	for (unsigned i = 0; i < cfg->n_clients; i++) {
		struct pclient *c = &p->cl[i];

		c->addr = (struct storm_addr){ .mac = { { 0x02, 0xaa, 0, 0, (uint8_t)(i >> 8),
							  (uint8_t)i } },
					       .ip = PUMP_CIP0 + i, .srv_mac = srv_mac,
					       .srv_ip = PUMP_SIP };
		c->lport = (uint16_t)(PUMP_PORT0 + i);
	}
	return p;
}

void pump_free(struct pump *p)
{
	struct priv *v = P(p);

	http_server_destroy(p->srv);
	for (unsigned i = 0; i < PUMP_N_OBJ; i++) {
		if (p->wire[i] != p->data[i])
			free(p->wire[i]);
		free(p->data[i]);
	}
	for (unsigned i = 0; i < CLI_TX; i++)
		free(v->cli_frames[i]);
	free(v->to_cli.f);
	free(v->to_srv.f);
	free(v->raw);
	free(v);
	free(p->pool_mem);
	free(p->cl);
	free(p);
}

static bool all_finished(const struct pump *p)
{
	for (unsigned i = 0; i < p->cfg.n_clients; i++)
		if (!p->cl[i].finished || !(p->cl[i].tcp.state == STCP_S_CLOSED ||
					    p->cl[i].tcp.state == STCP_S_FAILED))
			return false;
	return true;
}

/* One pass: the server's poll, then both queues until empty. @return frames moved. */
static unsigned step(struct pump *p)
{
	struct priv *v = P(p);
	struct frame f;
	unsigned moved = 0;

	if (p->cfg.server == PUMP_REAL) {
		/* One poll's worth (its output array); more at the next step. */
		moved += http_server_poll(p->srv, p->now, &v->out);
		srv_out(p);
		answer_upcalls(p);
	}
	while (v->to_cli.n || v->to_srv.n || v->holding) {
		if (!v->to_cli.n && !v->to_srv.n && v->holding) {
			*fq_push(&v->to_cli) = v->held;   /* a pair's last: no partner */
			v->holding = false;
		}
		/* One frame each way in turn: no queue grows by a whole window. */
		while (v->to_cli.n || v->to_srv.n) {
			if (fq_pop(&v->to_cli, &f)) {
				cli_input(p, &f);
				moved++;
			}
			if (fq_pop(&v->to_srv, &f)) {
				srv_input(p, &f);
				moved++;
			}
		}
		answer_upcalls(p);
	}
	return moved;
}

/* Nothing moves: jump to the earliest deadline and run what is due. */
static bool time_travel(struct pump *p)
{
	uint64_t next = p->cfg.server == PUMP_REAL ? http_server_deadline(p->srv) : UINT64_MAX;

	for (unsigned i = 0; i < p->cfg.n_clients; i++)
		next = STP_MIN(next, stcp_deadline(&p->cl[i].tcp));
	if (next == UINT64_MAX)
		return false;
	if (next > p->now)
		p->now = next;
	for (unsigned i = 0; i < p->cfg.n_clients; i++) {
		struct pclient *c = &p->cl[i];

		if (stcp_deadline(&c->tcp) <= p->now) {
			int ev = stcp_timer(&c->tcp, &c->addr, p->now, &p->pool, &P(p)->tx);

			client_act(p, c, ev);
			cli_flush(p);
		}
	}
	return true;
}

void pump_run(struct pump *p, uint64_t limit_us)
{
	uint64_t end = p->now + limit_us;

	for (unsigned i = 0; i < p->cfg.n_clients; i++) {
		struct pclient *c = &p->cl[i];

		assert_int_equal(stcp_connect(&c->tcp, &c->addr, c->lport, 80,
					      0x10000000u * (i % 16) + 12345u * i, p->now,
					      &P(p)->tx), 0);
		/* Queued while the SYN is out: it leaves with the handshake's ACK. */
		send_req(p, c);
		cli_flush(p);
	}
	while (!all_finished(p) && p->now <= end) {
		if (step(p))
			p->now += TICK_US;
		else if (!time_travel(p))
			break;
	}
}

unsigned pump_count_ok(const struct pump *p)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->cfg.n_clients; i++)
		n += p->cl[i].finished && p->cl[i].ok;
	return n;
}

unsigned pump_count_failed(const struct pump *p, const char *cause)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->cfg.n_clients; i++)
		n += p->cl[i].finished && !p->cl[i].ok &&
		     (!*cause || strcmp(p->cl[i].cause, cause) == 0);
	return n;
}

uint64_t pump_sum(const struct pump *p, size_t counter_off)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < p->cfg.n_clients; i++) {
		uint64_t v;

		memcpy(&v, (const uint8_t *)&p->cl[i].tcp.ctr + counter_off, sizeof(v));
		s += v;
	}
	return s;
}
