/* SPDX-License-Identifier: BSD-3-Clause */
#include "http_glue.h"

#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_random.h>

#include "bytes.h"
#include "cksum.h"
#include "objcache.h"
#include "upcall.h"
#include "worker.h"

#define TCP_HDR_LEN 20
#define IPV4_MAX_TOTAL 65535u /* the IPv4 total length field */
#define TCP_HDRS_LEN (ETH_HDR_LEN + IPV4_HDR_LEN + TCP_HDR_LEN)
#define READY_ROUNDS 4       /* ready-list passes per poll */
#define SEGS_PER_TURN 16     /* segments a connection sends per turn (fairness) */
#define SWEEP_PER_POLL 64    /* HTTP deadlines checked per poll */

static void ext_free_noop(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
}

static const struct stp_object *site_lookup(void *ctx, const char *name, size_t len)
{
	const struct worker *w = ctx;

	return w->cv != NULL ? objcache_lookup(w->cv->oc, name, len) : NULL;
}

/* ---- frames ---- */

/*
 * The headers of a frame carrying @a pl_len payload bytes whose sum is
 * @a payload_sum. Checksums the port offers to do are left to it (the TCP
 * field then holds the pseudo header sum, as DPDK asks); @a tso_segsz > 0
 * makes the frame a TSO run the port cuts into segments of that size.
 */
static void put_tcp_hdrs(struct worker *w, struct rte_mbuf *m, const struct tcp_act *a,
			 const struct mac_addr *dst, uint32_t pl_len, uint32_t payload_sum,
			 uint16_t tso_segsz)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = frame + ETH_HDR_LEN, *tcp = ip + IPV4_HDR_LEN;
	uint16_t hlen = (uint16_t)(TCP_HDR_LEN + a->opt_len);
	uint16_t l4_len = (uint16_t)(hlen + pl_len);
	uint32_t pseudo;

	pkt_put_eth(frame, dst, &w->me.mac, ETHERTYPE_IPV4);
	pkt_put_ipv4(ip, a->src_ip, a->dst_ip, IPPROTO_TCP_, l4_len, 0);
	put_be16(tcp, a->src_port);
	put_be16(tcp + 2, a->dst_port);
	put_be32(tcp + 4, a->seq);
	put_be32(tcp + 8, a->ack);
	tcp[12] = (uint8_t)((hlen / 4) << 4);
	tcp[13] = a->flags;
	put_be16(tcp + 14, a->win);
	put_be16(tcp + 16, 0);
	put_be16(tcp + 18, 0);
	memcpy(tcp + TCP_HDR_LEN, a->opt, a->opt_len);
	m->l2_len = ETH_HDR_LEN;
	m->l3_len = IPV4_HDR_LEN;
	if (w->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		put_be16(ip + 10, 0);
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	}
	if (tso_segsz > 0) {
		/* the length goes in per segment: the pseudo sum leaves it out */
		put_be16(tcp + 16, cksum_fold(cksum_pseudo4(a->src_ip, a->dst_ip, IPPROTO_TCP_, 0)));
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_SEG;
		m->l4_len = hlen;
		m->tso_segsz = tso_segsz;
		return;
	}
	pseudo = cksum_pseudo4(a->src_ip, a->dst_ip, IPPROTO_TCP_, l4_len);
	if (w->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
		put_be16(tcp + 16, cksum_fold(pseudo));
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
		return;
	}
	put_be16(tcp + 16, cksum_finish(cksum_partial(tcp, hlen, payload_sum + pseudo)));
}

/** Header and small payloads (handshake, headers, FIN, RST) in one mbuf. */
static struct rte_mbuf *seg_flat(struct worker *w, const struct tcp_act *a,
				 const struct mac_addr *dst)
{
	struct rte_mbuf *m = worker_mbuf(w);
	bool sw_sum = !(w->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM);
	uint8_t *pl;
	size_t hdrs = TCP_HDRS_LEN + a->opt_len;
	uint32_t sum = 0;

	if (m == NULL)
		return NULL;
	pl = rte_pktmbuf_mtod(m, uint8_t *) + hdrs;
	if (a->pl_kind == TCP_PL_BYTES) {
		memcpy(pl, a->pl.bytes, a->pl_len);
		if (sw_sum)
			sum = cksum_partial(pl, a->pl_len, 0);
	} else if (a->pl_kind == TCP_PL_OBJECT) {
		memcpy(pl, a->pl.o.obj->data + a->pl.o.off, a->pl_len);
		if (sw_sum)
			sum = obj_sum_range(a->pl.o.obj, a->pl.o.off, a->pl_len);
		w->http->copy_frames++;
	}
	put_tcp_hdrs(w, m, a, dst, a->pl_len, sum, 0);
	m->data_len = (uint16_t)(hdrs + a->pl_len);
	m->pkt_len = m->data_len;
	return m;
}

/**
 * Object payload chained as an external buffer (no copy): @a pl_len bytes
 * from @a a's offset, one segment, or a TSO run of @a tso_segsz segments.
 */
static struct rte_mbuf *seg_zero_copy(struct worker *w, const struct tcp_act *a,
				      const struct mac_addr *dst, uint32_t pl_len,
				      uint16_t tso_segsz)
{
	struct http_glue *g = w->http;
	struct rte_mbuf *h = worker_mbuf_ext(w, g->ext_mp, &g->shinfo,
					     a->pl.o.obj->data + a->pl.o.off, (uint16_t)pl_len,
					     (uint16_t)(TCP_HDRS_LEN + a->opt_len), &g->nombuf);
	uint32_t sum = 0;

	if (h == NULL)
		return NULL;
	if (!(w->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM))
		sum = obj_sum_range(a->pl.o.obj, a->pl.o.off, pl_len);
	put_tcp_hdrs(w, h, a, dst, pl_len, sum, tso_segsz);
	g->zc_frames++;
	return h;
}

static bool mac_is_zero(const struct mac_addr *m)
{
	return (m->b[0] | m->b[1] | m->b[2] | m->b[3] | m->b[4] | m->b[5]) == 0;
}

/* Where a segment goes: the sender of the frame being answered, else the
 * MAC remembered for the connection (timers), else the neighbour table. */
static const struct mac_addr *act_dst(struct worker *w, const struct tcp_act *a,
				      struct mac_addr *tmp)
{
	struct http_glue *g = w->http;

	if (g->rx_src != NULL && a->dst_ip == g->rx_ip)
		return g->rx_src;
	if (a->conn < g->capacity && !mac_is_zero(&g->conn_mac[a->conn]))
		return &g->conn_mac[a->conn];
	if (neigh_lookup(&w->neigh, a->dst_ip, g->wall_us / 1000000, tmp))
		return tmp;
	return &mac_broadcast;
}

/* A connection's HTTP state starts with its first segment out of us
 * (SYN-ACK, or the first answer after a SYN-cookie handshake). */
static void conn_opened(struct http_glue *g, uint32_t conn)
{
	if (g->conn_open[conn])
		return;
	http_conn_init(&g->conns[conn], &g->site, g->wall_us);
	g->conn_open[conn] = 1;
	g->conn_serial[conn]++;
}

/*
 * Size the action queue to what the TX backlog can take: segments TCP
 * cannot send now stay unsent in the core (the connection goes back on
 * the ready list) instead of being built and dropped at a full TX queue,
 * which the peer would see as loss. The reserve keeps ACKs, RSTs and
 * closes flowing.
 */
static void out_fit_tx(struct worker *w)
{
	struct http_glue *g = w->http;
	unsigned cap = worker_tx_room(w) + TCP_OUT_RESERVE;

	g->out.cap = RTE_MIN(RTE_MAX(cap, g->out.n + TCP_OUT_RESERVE), (unsigned)HTTP_GLUE_ACTS);
}

/*
 * With TSO: how many actions from @a i on go out as one frame (>= 1),
 * and their payload bytes in @a len.
 */
static unsigned tso_run(const struct http_glue *g, unsigned i, uint32_t *len)
{
	const struct tcp_act *a = &g->act[i];
	uint32_t max = IPV4_MAX_TOTAL - IPV4_HDR_LEN - TCP_HDR_LEN - a->opt_len;
	uint8_t flags = a->flags;
	unsigned j = i + 1;

	*len = a->pl_len;
	if (!g->tso || g->w->tso_refused)
		return 1;
	while (j < g->out.n && tcp_act_tso_next(a, *len, flags, &g->act[j], max)) {
		*len += g->act[j].pl_len;
		flags |= g->act[j].flags;
		j++;
	}
	return j - i;
}

static struct rte_mbuf *build_frame(struct worker *w, unsigned i, const struct mac_addr *dst,
				    unsigned *n_segs)
{
	struct http_glue *g = w->http;
	struct tcp_act *a = &g->act[i];
	uint32_t len;

	*n_segs = 1;
	if (a->pl_kind != TCP_PL_OBJECT || !g->zero_copy || a->pl_len == 0)
		return seg_flat(w, a, dst);
	*n_segs = tso_run(g, i, &len);
	if (*n_segs == 1)
		return seg_zero_copy(w, a, dst, a->pl_len, 0);
	/* the template carries the last segment's PSH; the port keeps it
	 * on the last segment only */
	a->flags = (uint8_t)(a->flags | g->act[i + *n_segs - 1].flags);
	g->tso_frames++;
	g->tso_segs += *n_segs;
	return seg_zero_copy(w, a, dst, len, (uint16_t)a->pl_len);
}

static void run_actions(struct worker *w)
{
	struct http_glue *g = w->http;
	unsigned n_segs;

	for (unsigned i = 0; i < g->out.n; i += n_segs) {
		const struct tcp_act *a = &g->act[i];
		struct mac_addr tmp;
		const struct mac_addr *dst;
		struct rte_mbuf *m;

		n_segs = 1;
		if (a->kind != TCP_ACT_SEND)
			continue; /* CLOSED: on_close already released the state */
		dst = act_dst(w, a, &tmp);
		if (a->conn < g->capacity) {
			conn_opened(g, a->conn);
			if (g->rx_src != NULL && a->dst_ip == g->rx_ip)
				g->conn_mac[a->conn] = *g->rx_src;
		}
		m = build_frame(w, i, dst, &n_segs);
		if (m != NULL) {
			g->seg_out += n_segs;
			worker_tx(w, m);
		}
	}
	g->out.n = 0;
	out_fit_tx(w);
}

/** Let connections with data waiting send, a turn each (storm fairness). */
static void drain_ready(struct worker *w, uint64_t now_us)
{
	struct http_glue *g = w->http;

	for (unsigned round = 0; round < READY_ROUNDS && tcp_ready_count(g->tcp) > 0; round++) {
		while (tcp_ready_count(g->tcp) > 0 &&
		       g->out.cap - g->out.n >= TCP_OUT_RESERVE + SEGS_PER_TURN) {
			uint32_t conn = tcp_ready_pop(g->tcp);

			if (conn == TCP_NO_CONN)
				break;
			tcp_output(g->tcp, conn, now_us, &g->out, SEGS_PER_TURN);
		}
		run_actions(w);
	}
}

/* ---- the application: HTTP on top of the TCP core ---- */

static void send_responses(struct http_glue *g, uint32_t conn, const struct http_conn_out *o)
{
	for (unsigned i = 0; i < o->n; i++) {
		const struct http_conn_resp *r = &o->v[i];

		if (r->resp.upcall)
			continue; /* answered below, once the header bytes are out */
		if (r->hdr.len > 0)
			tcp_send_bytes(g->tcp, conn, r->hdr.p, r->hdr.len);
		if (r->resp.body == HTTP_BODY_OBJ && r->resp.len > 0 && !r->resp.head) {
			/* The first object of a connection pins its cache version;
			 * an older pin protects every newer version too. */
			if (g->conn_gen[conn] == 0 && g->w->cv != NULL)
				g->conn_gen[conn] = cache_glue_pin(g->w->cache, g->w->lcore_id,
								   g->w->cv->gen);
			tcp_send_object(g->tcp, conn, r->resp.obj, r->resp.off, r->resp.len);
		}
		if (r->resp.obj != NULL && (r->resp.status == 200 || r->resp.status == 206)) {
			uint32_t ip = 0;
			uint16_t port;

			tcp_conn_peer(g->tcp, conn, &ip, &port);
			worker_xfer_event(g->w, STP_EV_HTTP_GET, NULL, ip, r->resp.status,
					  r->resp.obj->name);
		}
		if (r->resp.close)
			tcp_shutdown(g->tcp, conn);
	}
}

static void answer_upcall(struct http_glue *g, uint32_t conn, struct http_conn_resp *r);

static void on_data(void *app, uint32_t conn, struct tcp_table *t, uint64_t now_us)
{
	struct http_glue *g = app;
	struct http_conn_out o = { g->resp, HTTP_CONN_MAX_PER_CALL, 0, g->hdrbuf,
				   sizeof(g->hdrbuf), 0, false };
	struct span rx = tcp_rx_peek(t, conn);
	size_t used;

	(void)now_us;
	conn_opened(g, conn);
	used = http_conn_on_data(&g->conns[conn], rx, g->wall_us, &g->site, &o);
	send_responses(g, conn, &o);
	for (unsigned i = 0; i < o.n; i++)
		if (o.v[i].resp.upcall)
			answer_upcall(g, conn, &o.v[i]);
	tcp_rx_consume(t, conn, used);
	if (tcp_rx_eof(t, conn) && !g->conns[conn].upcall_pending)
		tcp_shutdown(t, conn);
}

static void on_close(void *app, uint32_t conn, int reason)
{
	struct http_glue *g = app;

	(void)reason;
	if (conn >= g->capacity)
		return;
	if (g->conn_gen[conn] != 0)
		cache_glue_unpin(g->w->cache, g->w->lcore_id, g->conn_gen[conn]);
	g->conn_gen[conn] = 0;
	g->conn_open[conn] = 0;
	memset(&g->conn_mac[conn], 0, sizeof(g->conn_mac[conn]));
}

/* Frame an answer for a pending upcall and carry on with the connection. */
static void finish_upcall(struct http_glue *g, uint32_t conn, uint16_t status, bool json,
			  struct span body)
{
	uint8_t buf[HTTP_GLUE_HDRBUF];
	struct http_resp *r = &g->conn_upcall[conn];
	int n = http_respond_upcall(r, &g->site, g->wall_us, status,
				    json ? "application/json" : NULL, body, buf, sizeof(buf));

	if (n <= 0 || tcp_send_bytes(g->tcp, conn, buf, (size_t)n) < 0) {
		/* Too big for the connection's send buffer: say so, briefly. */
		n = http_respond_upcall(r, &g->site, g->wall_us, 500, NULL,
					span_cstr("answer too large\n"), buf, sizeof(buf));
		if (n > 0)
			tcp_send_bytes(g->tcp, conn, buf, (size_t)n);
	}
	http_conn_upcall_done(&g->conns[conn], r, &g->site, g->wall_us);
	if (r->close)
		tcp_shutdown(g->tcp, conn);
}

/*
 * /api/: the request goes to the control thread as one bounded message;
 * its answer comes back through this lcore's ring (http_glue_poll). Until
 * then http_conn parses nothing more on this connection, so pipelined
 * answers keep their order.
 */
static void answer_upcall(struct http_glue *g, uint32_t conn, struct http_conn_resp *r)
{
	struct worker *w = g->w;
	struct upcall_msg *m = NULL;

	g->conn_upcall[conn] = r->resp;
	if (r->target.len > UPCALL_TARGET_MAX || r->body.len > UPCALL_DATA_MAX) {
		finish_upcall(g, conn, 413, true, span_cstr("{\"error\":\"request too large\"}\n"));
		return;
	}
	if (rte_mempool_get(w->upcall_mp, (void **)&m) != 0) {
		g->upcall_busy++;
		finish_upcall(g, conn, 503, true, span_cstr("{\"error\":\"control busy\"}\n"));
		return;
	}
	m->queue = w->queue_id;
	m->conn = conn;
	m->conn_serial = g->conn_serial[conn];
	m->src_ip = g->rx_ip;
	m->method = r->resp.method;
	m->target_len = (uint16_t)r->target.len;
	memcpy(m->target, r->target.p, r->target.len);
	m->data_len = (uint32_t)r->body.len;
	memcpy(m->data, r->body.p, r->body.len);
	if (rte_ring_mp_enqueue(w->upcall_req, m) != 0) {
		rte_mempool_put(w->upcall_mp, m);
		g->upcall_busy++;
		finish_upcall(g, conn, 503, true, span_cstr("{\"error\":\"control busy\"}\n"));
		return;
	}
	g->upcalls++;
}

static void on_data(void *app, uint32_t conn, struct tcp_table *t, uint64_t now_us);

/** Answers control sent back: frame them on their connections. */
static void poll_upcalls(struct worker *w, uint64_t now_us)
{
	struct http_glue *g = w->http;
	struct upcall_msg *m[16];
	unsigned n = rte_ring_sc_dequeue_burst(w->upcall_resp, (void **)m, RTE_DIM(m), NULL);

	for (unsigned i = 0; i < n; i++) {
		uint32_t conn = m[i]->conn;

		/* The client may have gone, and the id been reused, meanwhile. */
		if (conn < g->capacity && g->conn_open[conn] &&
		    g->conn_serial[conn] == m[i]->conn_serial && g->conns[conn].upcall_pending) {
			finish_upcall(g, conn, m[i]->status, m[i]->json,
				      span_make(m[i]->data, m[i]->data_len));
			/* Requests pipelined behind the upcall wait in the rx buffer. */
			on_data(g, conn, g->tcp, now_us);
		} else {
			g->upcall_stale++;
		}
		rte_mempool_put(w->upcall_mp, m[i]);
	}
	if (n > 0)
		run_actions(w);
}

/* ---- entry points ---- */

int http_glue_init(struct worker *w, bool zero_copy, struct rte_mempool *ext_mp)
{
	const struct stp_config *cfg = w->cfg;
	struct http_glue *g = rte_zmalloc_socket("http_glue", sizeof(*g), RTE_CACHE_LINE_SIZE,
						 (int)rte_socket_id());
	struct tcp_table_cfg tc = {
		.capacity = cfg->http.max_conns,
		.local_ip = cfg->port.addr,
		.local_port = cfg->boot.http_port,
		.mss = (uint16_t)(cfg->port.mtu - IPV4_HDR_LEN - TCP_HDR_LEN),
		.rx_buf = cfg->http.rx_buf,
		.tx_buf = 8192, /* response headers, and API answers up to ~7 KB */
		.timing = TCP_TIMING_DEFAULT,
		.ops = { on_data, on_close },
	};
	struct http_limits lim = HTTP_LIMITS_DEFAULT;

	if (g == NULL)
		return -1;
	/* A request (head + an API body) must fit the receive buffer. */
	lim.head_max = RTE_MIN(lim.head_max, cfg->http.rx_buf / 2);
	lim.line_max = RTE_MIN(lim.line_max, lim.head_max);
	lim.body_max = cfg->http.rx_buf - lim.head_max;
	tc.app = g;
	for (unsigned i = 0; i < sizeof(tc.secret); i++)
		tc.secret[i] = (uint8_t)rte_rand();
	g->w = w;
	g->capacity = cfg->http.max_conns;
	g->site = (struct http_site){
		.lookup = site_lookup, .lookup_ctx = w, .server = "stampede/" STP_VERSION,
		.keepalive = true, .head_timeout_us = (uint64_t)cfg->http.head_timeout_ms * 1000,
		.idle_timeout_us = (uint64_t)cfg->http.idle_timeout_ms * 1000, .lim = lim,
		.ctr = &g->ctr,
	};
	g->tcp = tcp_table_create(&tc);
	g->conns = rte_zmalloc("http_conns", sizeof(*g->conns) * g->capacity, 0);
	g->conn_gen = rte_zmalloc("http_gen", sizeof(*g->conn_gen) * g->capacity, 0);
	g->conn_mac = rte_zmalloc("http_mac", sizeof(*g->conn_mac) * g->capacity, 0);
	g->conn_open = rte_zmalloc("http_open", g->capacity, 0);
	g->conn_serial = rte_zmalloc("http_serial", sizeof(*g->conn_serial) * g->capacity, 0);
	g->conn_upcall = rte_zmalloc("http_upcall", sizeof(*g->conn_upcall) * g->capacity, 0);
	if (g->tcp == NULL || g->conns == NULL || g->conn_gen == NULL || g->conn_mac == NULL ||
	    g->conn_open == NULL || g->conn_serial == NULL || g->conn_upcall == NULL)
		return -1;
	g->out = (struct tcp_out){ g->act, HTTP_GLUE_ACTS, 0 };
	g->zero_copy = zero_copy && ext_mp != NULL;
	g->tso = g->zero_copy && (w->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO);
	g->ext_mp = ext_mp;
	g->shinfo.free_cb = ext_free_noop;
	rte_mbuf_ext_refcnt_set(&g->shinfo, 1);
	w->http = g;
	return 0;
}

void http_glue_input(struct worker *w, const struct pkt_info *pi, uint64_t now_us)
{
	struct http_glue *g = w->http;
	struct tcp_seg_in seg = { pi->src_ip, pi->dst_ip, pi->l4 };
	uint32_t sum = cksum_pseudo4(pi->src_ip, pi->dst_ip, IPPROTO_TCP_, (uint16_t)pi->l4.len);

	if (cksum_finish(cksum_partial(pi->l4.p, pi->l4.len, sum)) != 0) {
		g->csum_bad++;
		return;
	}
	g->wall_us = w->unix0 * 1000000 + now_us;
	g->rx_src = &pi->src_mac;
	g->rx_ip = pi->src_ip;
	out_fit_tx(w);
	if (g->out.cap - g->out.n < TCP_OUT_RESERVE + SEGS_PER_TURN)
		run_actions(w);
	tcp_input(g->tcp, &seg, now_us, &g->out);
	run_actions(w);
	g->rx_src = NULL;
}

static void sweep_deadlines(struct worker *w)
{
	struct http_glue *g = w->http;

	for (unsigned i = 0; i < SWEEP_PER_POLL; i++) {
		uint32_t conn = g->sweep;
		struct http_conn_out o = { g->resp, HTTP_CONN_MAX_PER_CALL, 0, g->hdrbuf,
					   sizeof(g->hdrbuf), 0, false };

		g->sweep = (g->sweep + 1) % g->capacity;
		if (!g->conn_open[conn] || http_conn_deadline(&g->conns[conn]) > g->wall_us)
			continue;
		/* Slowloris or an idle keep-alive: answer 408 if it says so, close. */
		if (http_conn_on_timeout(&g->conns[conn], g->wall_us, &g->site, &o)) {
			send_responses(g, conn, &o);
			tcp_shutdown(g->tcp, conn);
		} else {
			tcp_abort(g->tcp, conn);
		}
	}
}

void http_glue_poll(struct worker *w, uint64_t now_us)
{
	struct http_glue *g = w->http;

	g->wall_us = w->unix0 * 1000000 + now_us;
	worker_tx_flush(w);
	out_fit_tx(w);
	if (now_us >= tcp_next_deadline(g->tcp)) {
		tcp_timers(g->tcp, now_us, &g->out);
		run_actions(w);
	}
	poll_upcalls(w, now_us);
	sweep_deadlines(w);
	run_actions(w);
	drain_ready(w, now_us);
}
