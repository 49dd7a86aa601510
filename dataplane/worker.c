/* SPDX-License-Identifier: BSD-3-Clause */
#include "worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>
#include <rte_ring_elem.h>

#include "bytes.h"

const char *const worker_counter_names[WORKER_N_COUNTERS] = {
#define X(name, help) #name,
	WORKER_COUNTERS(X)
#undef X
};

static inline void tx_push(struct worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->n_tx == RTE_DIM(w->tx))) {
		rte_pktmbuf_free(m);
		w->c.tx_full++;
		return;
	}
	w->tx[w->n_tx++] = m;
}

static void tx_flush(struct worker *w)
{
	uint16_t sent;

	if (w->n_tx == 0)
		return;
	sent = rte_eth_tx_burst(w->port_id, w->queue_id, w->tx, (uint16_t)w->n_tx);
	w->c.tx += sent;
	/* Whatever the queue did not take is ours to free. */
	if (unlikely(sent < w->n_tx)) {
		w->c.tx_full += w->n_tx - sent;
		rte_pktmbuf_free_bulk(&w->tx[sent], w->n_tx - sent);
	}
	w->n_tx = 0;
}

static void ev_flush(struct worker *w)
{
	unsigned done;

	if (w->n_ev == 0)
		return;
	done = rte_ring_mp_enqueue_burst_elem(w->events, w->ev, sizeof(w->ev[0]),
					      w->n_ev, NULL);
	w->c.ev_lost += w->n_ev - done;
	w->n_ev = 0;
}

/** A fresh mbuf to build a reply in, or NULL (counted). */
static struct rte_mbuf *reply_alloc(struct worker *w)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->mp);

	if (unlikely(m == NULL))
		w->c.nombuf++;
	return m;
}

static void reply_send(struct worker *w, struct rte_mbuf *m, size_t len)
{
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	tx_push(w, m);
}

static void handle_arp(struct worker *w, const struct pkt_info *pi, uint64_t now)
{
	struct rte_mbuf *r = reply_alloc(w);
	enum pkt_drop why;
	size_t len;

	if (r == NULL)
		return;
	len = arp_input(&w->me, pi, &w->neigh, now, rte_pktmbuf_mtod(r, uint8_t *), &why);
	if (len == 0) {
		rte_pktmbuf_free(r);
		/* An ARP for another host is ordinary traffic, not a fault. */
		if (why != PKT_DROP_NONE && why != PKT_DROP_not_for_us)
			w->c.drop[why]++;
		return;
	}
	w->c.arp_reply++;
	reply_send(w, r, len);
}

static void handle_icmp(struct worker *w, const struct pkt_info *pi)
{
	struct rte_mbuf *r = reply_alloc(w);
	enum pkt_drop why;
	size_t len;

	if (r == NULL)
		return;
	len = icmp_input(&w->me, pi, rte_pktmbuf_mtod(r, uint8_t *),
			 STP_MIN((size_t)rte_pktmbuf_tailroom(r), (size_t)w->mtu + ETH_HDR_LEN),
			 &why);
	if (len == 0) {
		rte_pktmbuf_free(r);
		w->c.drop[why == PKT_DROP_NONE ? PKT_DROP_icmp_bad : why]++;
		return;
	}
	w->c.icmp_reply++;
	reply_send(w, r, len);
}

static void handle_dhcp(struct worker *w, const struct pkt_info *pi, uint64_t now)
{
	struct rte_mbuf *r = reply_alloc(w);
	struct dhcp_event evbuf[4];
	struct dhcp_events ev = { evbuf, RTE_DIM(evbuf), 0 };
	struct dhcp_rx rx = {
		.payload = pi->payload, .src_mac = pi->src_mac,
		.src_ip = pi->src_ip, .dst_ip = pi->dst_ip,
		.src_port = pi->src_port, .dst_port = pi->dst_port,
	};
	struct dhcp_tx tx;
	uint8_t *frame;

	if (r == NULL)
		return;
	frame = rte_pktmbuf_mtod(r, uint8_t *);
	tx = (struct dhcp_tx){ .buf = frame + UDP4_HDRS_LEN,
			       .cap = STP_MIN((size_t)rte_pktmbuf_tailroom(r),
					      (size_t)w->mtu + ETH_HDR_LEN) - UDP4_HDRS_LEN };
	if (dhcp_server_input(w->dhcp, &rx, now, &tx, &ev) == 1 && tx.len > 0) {
		size_t len = pkt_build_udp4(frame, &w->me.mac, &tx.dst_mac, w->me.ip,
					    tx.dst_ip, tx.src_port, tx.dst_port, tx.len);
		reply_send(w, r, len);
	} else {
		rte_pktmbuf_free(r);
	}
	for (unsigned i = 0; i < ev.n; i++) {
		struct stp_event *e;

		if (w->n_ev == RTE_DIM(w->ev)) {
			w->c.ev_lost++;
			continue;
		}
		e = &w->ev[w->n_ev++];
		e->type = STP_EV_DHCP;
		e->lcore = (uint16_t)w->lcore_id;
		e->reserved = 0;
		e->u.dhcp = evbuf[i];
	}
}

static bool udp_is_dhcp(const struct worker *w, const struct pkt_info *pi)
{
	uint32_t bcast = w->me.ip | ~w->subnet_mask;

	if (pi->dst_port != DHCP_SERVER_PORT && pi->dst_port != DHCP_PXE_PORT)
		return false;
	return pi->dst_ip == w->me.ip || pi->dst_ip == 0xffffffff || pi->dst_ip == bcast;
}

/** Handle one frame; returns true when the mbuf was handed on (steered). */
static bool handle_frame(struct worker *w, struct rte_mbuf *m, uint64_t now)
{
	struct pkt_info pi;
	enum pkt_class cls;

	if (unlikely(m->nb_segs != 1)) {
		w->c.multiseg++;
		return false;
	}
	cls = pkt_parse(span_make(rte_pktmbuf_mtod(m, uint8_t *), m->data_len), &pi);
	switch (cls) {
	case PKT_CLASS_ARP:
		handle_arp(w, &pi, now);
		return false;
	case PKT_CLASS_ICMP:
		handle_icmp(w, &pi);
		return false;
	case PKT_CLASS_UDP:
		if (!udp_is_dhcp(w, &pi))
			break;
		if (w->dhcp == NULL) {
			if (rte_ring_mp_enqueue(w->dhcp_steer, m) == 0) {
				w->c.dhcp_steered++;
				return true;
			}
			w->c.steer_full++;
			return false;
		} else {
			uint64_t t0 = rte_rdtsc();

			handle_dhcp(w, &pi, now);
			w->c.dhcp_cycles += rte_rdtsc() - t0;
			w->c.dhcp_pkts++;
		}
		return false;
	case PKT_CLASS_DROP:
		w->c.drop[pi.drop]++;
		return false;
	default:
		break;
	}
	w->c.drop[PKT_DROP_no_handler]++;
	return false;
}

static void handle_burst(struct worker *w, struct rte_mbuf **pkts, unsigned n,
			 uint64_t now)
{
	for (unsigned i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (!handle_frame(w, pkts[i], now))
			rte_pktmbuf_free(pkts[i]);
	}
}

static void maybe_announce(struct worker *w, uint64_t now)
{
	struct rte_mbuf *m;

	if (w->announces_left == 0 || now < w->next_announce)
		return;
	m = reply_alloc(w);
	if (m == NULL)
		return;
	reply_send(w, m, arp_build_announce(&w->me, rte_pktmbuf_mtod(m, uint8_t *)));
	w->announces_left--;
	w->next_announce = now + 2; /* RFC 5227 sec 3: two seconds apart */
}

int worker_main(void *arg)
{
	struct worker *w = arg;
	struct rte_mbuf *pkts[WORKER_BURST];

	while (!*w->quit) {
		uint64_t t0 = rte_rdtsc();
		uint64_t now = w->unix0 + (t0 - w->tsc0) / w->tsc_hz;
		unsigned n = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, WORKER_BURST);

		if (w->queue_id == 0)
			maybe_announce(w, now);
		if (n > 0) {
			w->c.rx += n;
			handle_burst(w, pkts, n, now);
		}
		/* The DHCP lcore also serves what other workers steered to it. */
		if (w->dhcp != NULL && w->dhcp_steer != NULL) {
			unsigned k = rte_ring_sc_dequeue_burst(w->dhcp_steer, (void **)pkts,
							       WORKER_BURST, NULL);
			handle_burst(w, pkts, k, now);
			n += k;
		}
		tx_flush(w);
		ev_flush(w);
		if (n > 0)
			w->c.busy_cycles += rte_rdtsc() - t0;
	}
	tx_flush(w);
	ev_flush(w);
	return 0;
}
