/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP glue: frames for the server core's TCP actions and the DPDK
 * side of its application actions. Everything HTTP and TCP decides lives
 * in http_fastpath/; see docs/design.md ("HTTP").
 */
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
#define READY_ROUNDS 4       /* server polls per worker poll while work is left */
#define UPCALL_ANSWERS 16    /* control answers taken per poll */

const char *const http_glue_counter_names[HTTP_GLUE_N_COUNTERS] = {
#define X(name, help) #name,
	HTTP_GLUE_COUNTERS(X)
#undef X
};

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
		w->http->c.copy_frames++;
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
					     (uint16_t)(TCP_HDRS_LEN + a->opt_len), &g->c.nombuf);
	uint32_t sum = 0;

	if (h == NULL)
		return NULL;
	if (!(w->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM))
		sum = obj_sum_range(a->pl.o.obj, a->pl.o.off, pl_len);
	put_tcp_hdrs(w, h, a, dst, pl_len, sum, tso_segsz);
	g->c.zc_frames++;
	return h;
}

static bool mac_is_zero(const struct mac_addr *m)
{
	return (m->b[0] | m->b[1] | m->b[2] | m->b[3] | m->b[4] | m->b[5]) == 0;
}

/* Where a segment goes: the sender of the frame being answered, else the
 * MAC remembered for the connection (timers), else the neighbour table. */
static const struct mac_addr *act_dst(struct worker *w, const struct tcp_act *a,
				      struct http_slot *sl, struct mac_addr *tmp)
{
	struct http_glue *g = w->http;

	if (g->rx_src != NULL && a->dst_ip == g->rx_ip)
		return g->rx_src;
	if (sl != NULL && !mac_is_zero(&sl->peer_mac))
		return &sl->peer_mac;
	if (neigh_lookup(&w->neigh, a->dst_ip, w->unix0 + g->now_us / 1000000, tmp))
		return tmp;
	return &mac_broadcast;
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
	struct tcp_out *o = &g->out.tcp;
	unsigned cap = worker_tx_room(w) + TCP_OUT_RESERVE;

	o->cap = RTE_MIN(RTE_MAX(cap, o->n + HTTP_SERVER_OUT_MIN), (unsigned)HTTP_GLUE_ACTS);
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
	while (j < g->out.tcp.n && tcp_act_tso_next(a, *len, flags, &g->act[j], max)) {
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
	g->c.tso_frames++;
	g->c.tso_segs += *n_segs;
	return seg_zero_copy(w, a, dst, len, (uint16_t)a->pl_len);
}

static void send_frames(struct worker *w)
{
	struct http_glue *g = w->http;
	unsigned n_segs;

	for (unsigned i = 0; i < g->out.tcp.n; i += n_segs) {
		const struct tcp_act *a = &g->act[i];
		struct http_slot *sl = http_server_slot(g->srv, a->conn);
		struct mac_addr tmp;
		struct rte_mbuf *m;

		n_segs = 1;
		if (a->kind != TCP_ACT_SEND)
			continue; /* CLOSED: the server core released the slot */
		if (sl != NULL && g->rx_src != NULL && a->dst_ip == g->rx_ip)
			sl->peer_mac = *g->rx_src;
		m = build_frame(w, i, act_dst(w, a, sl, &tmp), &n_segs);
		if (m != NULL) {
			g->c.seg_out += n_segs;
			worker_tx(w, m);
		}
	}
	g->out.tcp.n = 0;
}

/*
 * /api/: one bounded message to the control thread; its answer comes
 * back through this lcore's ring (poll_upcalls). A full pool or ring is
 * answered 503 once this pass is over.
 */
static void pass_upcall(struct worker *w, const struct http_act *a)
{
	struct http_glue *g = w->http;
	struct upcall_msg *m = NULL;

	if (rte_mempool_get(w->upcall_mp, (void **)&m) == 0) {
		m->queue = w->queue_id;
		m->conn = a->slot;
		m->conn_serial = a->serial;
		m->src_ip = a->peer_ip;
		m->method = a->method;
		m->target_len = (uint16_t)a->target.len;
		memcpy(m->target, a->target.p, a->target.len);
		m->data_len = (uint32_t)a->body.len;
		memcpy(m->data, a->body.p, a->body.len);
		if (rte_ring_mp_enqueue(w->upcall_req, m) == 0)
			return;
		rte_mempool_put(w->upcall_mp, m);
	}
	g->busy[g->n_busy][0] = a->slot;
	g->busy[g->n_busy][1] = a->serial;
	g->n_busy++;
}

/* The slot sends an object of the version lookups use now (w->cv). */
static void http_pin(struct worker *w, struct http_slot *sl, bool drained)
{
	uint64_t gen;

	if (w->cv == NULL || sl->pin == (gen = w->cv->gen))
		return;
	if (sl->pin == 0) {
		sl->pin = cache_glue_pin(w->cache, w->lcore_id, gen);
	} else if (drained) {
		cache_glue_unpin(w->cache, w->lcore_id, sl->pin);
		sl->pin = cache_glue_pin(w->cache, w->lcore_id, gen);
	} else {
		/* an older object is still in flight: its pin covers this one too */
		cache_glue_widen(w->cache, w->lcore_id, sl->pin);
	}
}

static void app_actions(struct worker *w)
{
	struct http_glue *g = w->http;

	for (unsigned i = 0; i < g->out.act_n; i++) {
		const struct http_act *a = &g->app[i];
		struct http_slot *sl = http_server_slot(g->srv, a->slot);

		switch (a->kind) {
		case HTTP_ACT_PIN:
			http_pin(w, sl, a->flags & HTTP_PIN_DRAINED);
			break;
		case HTTP_ACT_UNPIN:
			if (sl->pin != 0)
				cache_glue_unpin(w->cache, w->lcore_id, sl->pin);
			sl->pin = 0;
			break;
		case HTTP_ACT_UPCALL:
			pass_upcall(w, a);
			break;
		case HTTP_ACT_SERVED:
			worker_xfer_event(w, STP_EV_HTTP_GET, NULL, a->peer_ip, a->status,
					  a->obj->name);
			break;
		default:
			break;
		}
	}
	g->out.act_n = 0;
}

/* Carry out everything the server core produced: frames first (their
 * byte payloads die with the next call), then the application's part,
 * then the 503s for upcalls control could not take. */
static void run_actions(struct worker *w)
{
	struct http_glue *g = w->http;

	do {
		send_frames(w);
		app_actions(w);
		while (g->n_busy > 0) {
			g->n_busy--;
			if (http_server_upcall_busy(g->srv, g->busy[g->n_busy][0],
						    g->busy[g->n_busy][1], g->now_us, &g->out) == 0)
				break; /* carry its output out before the next one */
		}
	} while (g->out.tcp.n > 0 || g->out.act_n > 0 || g->n_busy > 0);
	out_fit_tx(w);
}

/** Answers control sent back: frame them on their connections. */
static void poll_upcalls(struct worker *w, uint64_t now_us)
{
	struct http_glue *g = w->http;
	struct upcall_msg *m[UPCALL_ANSWERS];
	unsigned n = rte_ring_sc_dequeue_burst(w->upcall_resp, (void **)m, RTE_DIM(m), NULL);

	for (unsigned i = 0; i < n; i++) {
		/* -ESTALE: the client went, and the id may be reused meanwhile */
		while (http_server_upcall_answer(g->srv, m[i]->conn, m[i]->conn_serial,
						 m[i]->status, m[i]->json,
						 span_make(m[i]->data, m[i]->data_len), now_us,
						 &g->out) == -ENOBUFS)
			run_actions(w);
		run_actions(w);
		rte_mempool_put(w->upcall_mp, m[i]);
	}
}

/* ---- entry points ---- */

static struct http_server_cfg server_cfg(struct worker *w)
{
	const struct stp_config *cfg = w->cfg;
	struct http_server_cfg sc = {
		.tcp = {
			.capacity = cfg->http.max_conns,
			.local_ip = cfg->port.addr,
			.local_port = cfg->boot.http_port,
			.mss = (uint16_t)(cfg->port.mtu - IPV4_HDR_LEN - TCP_HDR_LEN),
			.rx_buf = cfg->http.rx_buf,
			.tx_buf = 8192, /* response headers, and API answers up to ~7 KB */
			.timing = TCP_TIMING_DEFAULT,
		},
		.site = {
			.lookup = site_lookup, .lookup_ctx = w, .server = "stampede/" STP_VERSION,
			.keepalive = true,
			.head_timeout_us = (uint64_t)cfg->http.head_timeout_ms * 1000,
			.idle_timeout_us = (uint64_t)cfg->http.idle_timeout_ms * 1000,
			.lim = HTTP_LIMITS_DEFAULT,
		},
		.wall_offset_us = w->unix0 * 1000000,
		.upcall_target_max = UPCALL_TARGET_MAX,
		.upcall_body_max = UPCALL_DATA_MAX,
		.max_transfers = cfg->http.max_transfers,
		.large_min = (uint64_t)cfg->http.large_object_kb * 1024,
		.seed = rte_rand(), /* workers' refused clients spread independently */
	};

	/* A request (head + an API body) must fit the receive buffer. */
	sc.site.lim.head_max = RTE_MIN(sc.site.lim.head_max, cfg->http.rx_buf / 2);
	sc.site.lim.line_max = RTE_MIN(sc.site.lim.line_max, sc.site.lim.head_max);
	sc.site.lim.body_max = cfg->http.rx_buf - sc.site.lim.head_max;
	for (unsigned i = 0; i < sizeof(sc.tcp.secret); i++)
		sc.tcp.secret[i] = (uint8_t)rte_rand();
	return sc;
}

int http_glue_init(struct worker *w, bool zero_copy, struct rte_mempool *ext_mp)
{
	struct http_glue *g = rte_zmalloc_socket("http_glue", sizeof(*g), RTE_CACHE_LINE_SIZE,
						 (int)rte_socket_id());
	struct http_server_cfg sc = server_cfg(w);

	if (g == NULL)
		return -1;
	g->w = w;
	g->srv = http_server_create(&sc);
	if (g->srv == NULL) {
		rte_free(g);
		return -1;
	}
	g->out = (struct http_out){ { g->act, HTTP_GLUE_ACTS, 0 }, g->app, HTTP_GLUE_APP_ACTS, 0 };
	g->zero_copy = zero_copy && ext_mp != NULL;
	g->tso = g->zero_copy && (w->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO);
	g->ext_mp = ext_mp;
	g->shinfo.free_cb = worker_ext_free_noop;
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
		g->c.csum_bad++;
		return;
	}
	g->now_us = now_us;
	g->rx_src = &pi->src_mac;
	g->rx_ip = pi->src_ip;
	out_fit_tx(w);
	if (http_server_input(g->srv, &seg, now_us, &g->out) == -ENOBUFS) {
		run_actions(w);
		http_server_input(g->srv, &seg, now_us, &g->out);
	}
	run_actions(w);
	g->rx_src = NULL;
}

void http_glue_poll(struct worker *w, uint64_t now_us)
{
	struct http_glue *g = w->http;

	g->now_us = now_us;
	worker_tx_flush(w);
	out_fit_tx(w);
	poll_upcalls(w, now_us);
	for (unsigned round = 0; round < READY_ROUNDS; round++) {
		bool more = http_server_poll(g->srv, now_us, &g->out);

		run_actions(w);
		if (!more)
			break;
	}
}
