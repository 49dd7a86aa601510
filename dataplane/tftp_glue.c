/* SPDX-License-Identifier: BSD-3-Clause */
#include "tftp_glue.h"
#include "rss.h"

#include <string.h>

#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_random.h>

#include "bytes.h"
#include "cksum.h"
#include "objcache.h"
#include "tftp_netascii.h"
#include "tftp_wire.h"
#include "worker.h"

#define TFTP_HDR_LEN 4

static const struct stp_object *lookup(void *ctx, struct span name)
{
	struct worker *w = ctx;
	char norm[OBJ_NAME_MAX];
	int n;

	if (w->cv == NULL)
		return NULL;
	n = objcache_normalise(name, norm, sizeof(norm));
	if (n <= 0)
		return NULL;
	return objcache_lookup(w->cv->oc, norm, (size_t)n);
}

bool tftp_glue_port_is_tftp(const struct stp_config *cfg, unsigned nq, uint16_t port)
{
	uint32_t first = cfg->tftp.port_first;

	return port == TFTP_PORT ||
	       (port >= first && port - first < (uint64_t)cfg->tftp.max_sessions * nq);
}

unsigned tftp_glue_port_owner(const struct stp_config *cfg, unsigned nq, uint16_t port)
{
	if (port < cfg->tftp.port_first)
		return TFTP_OWNER_ANY; /* port 69: whoever received it */
	return (port - cfg->tftp.port_first) % nq;
}

/* The client's frames to @a tid reach this worker's queue (docs/design.md,
 * "Multi-queue"): then a NIC with RSS needs no software steering. */
static bool tid_ok(void *ctx, uint32_t peer_ip, uint16_t peer_port, uint16_t tid)
{
	const struct worker *w = ctx;

	return rss_flow_queue(peer_ip, w->me.ip, peer_port, tid, w->n_workers) == w->queue_id;
}

int tftp_glue_init(struct worker *w, unsigned q, unsigned nq, bool zero_copy,
		   struct rte_mempool *ext_mp)
{
	const struct stp_config *cfg = w->cfg;
	struct tftp_glue *g = rte_zmalloc_socket("tftp_glue", sizeof(*g), RTE_CACHE_LINE_SIZE,
						 (int)rte_socket_id());
	uint16_t room;
	struct tftp_server_cfg sc = {
		.capacity = cfg->tftp.max_sessions,
		.listen_port = TFTP_PORT,
		.port_base = (uint16_t)(cfg->tftp.port_first + q),
		.port_stride = (uint16_t)nq,
		.port_count = cfg->tftp.max_sessions,
		.timing = TFTP_TIMING_DEFAULT,
		.hash_seed = (uint32_t)rte_rand(),
		.lookup = lookup,
		.lookup_ctx = w,
		.tid_ok = nq > 1 ? tid_ok : NULL,
		.tid_ctx = w,
	};

	if (g == NULL)
		return -1;
	/* A DATA frame in one mbuf (copy path) must fit its data room. */
	room = (uint16_t)(rte_pktmbuf_data_room_size(w->mp) - RTE_PKTMBUF_HEADROOM);
	sc.lim.max_blksize = (uint16_t)RTE_MIN((unsigned)cfg->port.mtu - IPV4_HDR_LEN -
					       UDP_HDR_LEN - TFTP_HDR_LEN,
					       (unsigned)room - UDP4_HDRS_LEN - TFTP_HDR_LEN);
	sc.lim.max_window = (uint16_t)cfg->tftp.max_windowsize;
	sc.timing.rto_us = cfg->tftp.timeout_ms * 1000u;
	sc.timing.max_retries = (uint8_t)cfg->tftp.retries;
	g->capacity = cfg->tftp.max_sessions;
	g->srv = tftp_server_create(&sc);
	g->sess_gen = rte_zmalloc("tftp_gen", sizeof(*g->sess_gen) * g->capacity, 0);
	g->sess_mac = rte_zmalloc("tftp_mac", sizeof(*g->sess_mac) * g->capacity, 0);
	if (g->srv == NULL || g->sess_gen == NULL || g->sess_mac == NULL)
		return -1;
	g->zero_copy = zero_copy && ext_mp != NULL;
	g->ext_mp = ext_mp;
	g->shinfo.free_cb = worker_ext_free_noop;
	rte_mbuf_ext_refcnt_set(&g->shinfo, 1);
	w->tftp = g;
	return 0;
}

/** Headers of a TFTP datagram to the action's client, into @a frame. */
static void put_hdrs(struct worker *w, uint8_t *frame, const struct tftp_act *a,
		     const struct mac_addr *dst, size_t payload_len, uint32_t payload_sum)
{
	pkt_put_udp4_hdrs(frame, &w->me.mac, dst, w->me.ip, a->cip, a->sport, a->cport,
			  payload_len, payload_sum);
}

static const struct mac_addr *dst_mac(struct tftp_glue *g, const struct tftp_act *a,
				      const struct mac_addr *rx_src)
{
	if (a->sess < g->capacity && rx_src == NULL)
		return &g->sess_mac[a->sess];
	return rx_src != NULL ? rx_src : &mac_broadcast;
}

/** DATA as a header mbuf chained to the object bytes (no copy). */
static struct rte_mbuf *data_zero_copy(struct worker *w, const struct tftp_act *a,
				       const struct mac_addr *dst)
{
	struct tftp_glue *g = w->tftp;
	const struct tftp_act_data *d = &a->u.data;
	struct rte_mbuf *h = worker_mbuf_ext(w, g->ext_mp, &g->shinfo, d->obj->data + d->off,
					     d->len, UDP4_HDRS_LEN + TFTP_HDR_LEN, &g->nombuf);
	uint8_t *frame, *th;

	if (h == NULL)
		return NULL;
	frame = rte_pktmbuf_mtod(h, uint8_t *);
	th = frame + UDP4_HDRS_LEN;
	tftp_wire_put_data_hdr(th, (uint16_t)d->block);
	put_hdrs(w, frame, a, dst, TFTP_HDR_LEN + d->len,
		 cksum_partial(th, TFTP_HDR_LEN, obj_sum_range(d->obj, d->off, d->len)));
	g->zc_frames++;
	return h;
}

/** DATA copied into one mbuf (ports without multi-segment TX, netascii). */
static struct rte_mbuf *data_copy(struct worker *w, const struct tftp_act *a,
				  const struct mac_addr *dst)
{
	const struct tftp_act_data *d = &a->u.data;
	struct rte_mbuf *m = worker_mbuf(w);
	uint8_t *frame, *th;
	size_t len = d->len;
	uint32_t sum;

	if (m == NULL)
		return NULL;
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	th = frame + UDP4_HDRS_LEN;
	tftp_wire_put_data_hdr(th, (uint16_t)d->block);
	if (d->netascii) {
		struct tftp_na_pos pos = d->na;

		len = tftp_netascii_encode(d->obj->data, d->obj->len, &pos, th + TFTP_HDR_LEN,
					   d->len);
		sum = cksum_partial(th, TFTP_HDR_LEN + len, 0);
	} else {
		memcpy(th + TFTP_HDR_LEN, d->obj->data + d->off, len);
		sum = cksum_partial(th, TFTP_HDR_LEN, obj_sum_range(d->obj, d->off, len));
	}
	put_hdrs(w, frame, a, dst, TFTP_HDR_LEN + len, sum);
	m->data_len = (uint16_t)(UDP4_HDRS_LEN + TFTP_HDR_LEN + len);
	m->pkt_len = m->data_len;
	w->tftp->copy_frames++;
	return m;
}

/** OACK or ERROR: small, built in place. */
static struct rte_mbuf *control_frame(struct worker *w, const struct tftp_act *a,
				      const struct mac_addr *dst)
{
	struct rte_mbuf *m = worker_mbuf(w);
	uint8_t *frame, *p;
	size_t len;

	if (m == NULL)
		return NULL;
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	p = frame + UDP4_HDRS_LEN;
	if (a->type == TFTP_ACT_OACK)
		len = tftp_wire_put_oack(p, 512, &a->u.oack);
	else
		len = tftp_wire_put_error(p, 512, a->u.error.code, a->u.error.msg);
	put_hdrs(w, frame, a, dst, len, cksum_partial(p, len, 0));
	m->data_len = (uint16_t)(UDP4_HDRS_LEN + len);
	m->pkt_len = m->data_len;
	return m;
}

/* A session's first action pins the cache version its object came from
 * (the one this iteration looked it up in) and records where its client
 * is; FINISHED unpins. */
static void track_session(struct worker *w, const struct tftp_act *a,
			  const struct mac_addr *rx_src)
{
	struct tftp_glue *g = w->tftp;

	if (a->sess >= g->capacity)
		return;
	if (a->type == TFTP_ACT_FINISHED) {
		if (a->u.fin.reason == TFTP_FIN_DONE && a->u.fin.obj != NULL)
			worker_xfer_event(w, STP_EV_TFTP_DONE, &g->sess_mac[a->sess], a->cip, 0,
					  a->u.fin.obj->name);
		if (g->sess_gen[a->sess] != 0)
			cache_glue_unpin(w->cache, w->lcore_id, g->sess_gen[a->sess]);
		g->sess_gen[a->sess] = 0;
		return;
	}
	if (g->sess_gen[a->sess] == 0 && w->cv != NULL) {
		g->sess_gen[a->sess] = cache_glue_pin(w->cache, w->lcore_id, w->cv->gen);
		if (rx_src != NULL)
			g->sess_mac[a->sess] = *rx_src;
	}
}

static void run_actions(struct worker *w, unsigned n, const struct mac_addr *rx_src)
{
	struct tftp_glue *g = w->tftp;

	for (unsigned i = 0; i < n; i++) {
		const struct tftp_act *a = &g->act[i];
		const struct mac_addr *dst;
		struct rte_mbuf *m = NULL;

		track_session(w, a, rx_src);
		dst = dst_mac(g, a, a->sess < g->capacity ? NULL : rx_src);
		switch (a->type) {
		case TFTP_ACT_DATA:
			m = (g->zero_copy && !a->u.data.netascii && a->u.data.len > 0)
				    ? data_zero_copy(w, a, dst) : data_copy(w, a, dst);
			break;
		case TFTP_ACT_OACK:
		case TFTP_ACT_ERROR:
			m = control_frame(w, a, dst);
			break;
		default:
			continue; /* FINISHED: nothing to send */
		}
		if (m != NULL)
			worker_tx(w, m);
	}
}

void tftp_glue_input(struct worker *w, const struct pkt_info *pi, uint64_t now_us)
{
	struct tftp_glue *g = w->tftp;
	struct tftp_out out = { g->act, TFTP_GLUE_ACTS, 0 };
	struct tftp_rx rx = { pi->payload, pi->src_ip, pi->src_port, pi->dst_port };

	tftp_server_input(g->srv, &rx, now_us, &out);
	run_actions(w, out.n, &pi->src_mac);
}

void tftp_glue_timers(struct worker *w, uint64_t now_us)
{
	struct tftp_glue *g = w->tftp;
	struct tftp_out out = { g->act, TFTP_GLUE_ACTS, 0 };

	if (now_us < tftp_server_deadline(g->srv))
		return;
	tftp_server_timers(g->srv, now_us, &out);
	run_actions(w, out.n, NULL);
}
