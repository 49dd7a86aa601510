/* SPDX-License-Identifier: BSD-3-Clause */
#include "worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>
#include <rte_ring_elem.h>

#include "bytes.h"
#include "http_glue.h"
#include "rss.h"
#include "tftp_glue.h"

void worker_ext_free_noop(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
}

/*
 * The head frame has not moved for TX_STUCK_HZ_DIV-th of a second: the
 * PMD refuses it (a frame it cannot send, e.g. a TSO frame over its
 * limits), not a full queue. Drop it so the frames behind it go, and stop
 * making TSO frames if that is what it refused.
 */
#define TX_STUCK_HZ_DIV 20 /* 50 ms */

static void tx_head_refused(struct worker *w)
{
	uint64_t now = rte_rdtsc();
	struct rte_mbuf *m;

	if (w->tx_stall_tsc == 0) {
		w->tx_stall_tsc = now;
		return;
	}
	if (now - w->tx_stall_tsc < w->tsc_hz / TX_STUCK_HZ_DIV)
		return;
	m = w->tx[w->tx_head];
	if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)
		w->tso_refused = true;
	rte_pktmbuf_free(m);
	w->tx_head = (w->tx_head + 1) % WORKER_TX_BACKLOG;
	w->n_tx--;
	w->c.tx_refused++;
	w->tx_stall_tsc = 0;
}

void worker_tx_flush(struct worker *w)
{
	while (w->n_tx > 0) {
		/* the FIFO may wrap: send the contiguous run from the head */
		uint16_t run = (uint16_t)RTE_MIN(w->n_tx, WORKER_TX_BACKLOG - w->tx_head);
		uint16_t sent = rte_eth_tx_burst(w->port_id, w->queue_id, &w->tx[w->tx_head], run);

		w->c.tx += sent;
		w->n_tx -= sent;
		w->tx_head = (w->tx_head + sent) % WORKER_TX_BACKLOG;
		if (sent > 0)
			w->tx_stall_tsc = 0;
		if (sent < run) {
			w->c.tx_backlog++;
			if (sent == 0)
				tx_head_refused(w);
			return; /* the queue is full: the rest waits for the next poll */
		}
	}
	w->tx_head = 0;
}

void worker_tx(struct worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->n_tx == WORKER_TX_BACKLOG)) {
		worker_tx_flush(w);
		if (w->n_tx == WORKER_TX_BACKLOG) {
			w->c.tx_full++;
			rte_pktmbuf_free(m);
			return;
		}
	}
	w->tx[(w->tx_head + w->n_tx) % WORKER_TX_BACKLOG] = m;
	w->n_tx++;
	/* a burst's worth: hand it over now, the NIC works meanwhile */
	if (w->n_tx % WORKER_BURST == 0)
		worker_tx_flush(w);
}

/* At exit: what the queue will not take is freed, not leaked. */
static void tx_drain(struct worker *w)
{
	worker_tx_flush(w);
	while (w->n_tx > 0) {
		rte_pktmbuf_free(w->tx[w->tx_head]);
		w->tx_head = (w->tx_head + 1) % WORKER_TX_BACKLOG;
		w->n_tx--;
		w->c.tx_full++;
	}
}

void worker_ev_flush(struct worker *w)
{
	unsigned done;

	if (w->n_ev == 0)
		return;
	done = rte_ring_mp_enqueue_burst_elem(w->events, w->ev, sizeof(w->ev[0]),
					      w->n_ev, NULL);
	w->c.ev_lost += w->n_ev - done;
	w->n_ev = 0;
}

void worker_lease_flush(struct worker *w)
{
	unsigned done;

	if (w->n_lease_ev == 0)
		return;
	done = rte_ring_sp_enqueue_burst_elem(w->leases, w->lease_ev, sizeof(w->lease_ev[0]),
					      w->n_lease_ev, NULL);
	if (unlikely(done < w->n_lease_ev)) {
		/* never persisted, so never acknowledged */
		w->c.lease_ev_lost += w->n_lease_ev - done;
		for (unsigned i = done; i < w->n_lease_ev; i++)
			dhcp_server_event_lost(w->dhcp, w->lease_ev[i].seq);
	}
	w->n_lease_ev = 0;
}

/* A lease change for the lease writer, batched like control's events. */
static void lease_event(struct worker *w, const struct dhcp_event *e)
{
	if (unlikely(w->n_lease_ev == RTE_DIM(w->lease_ev)))
		worker_lease_flush(w);
	w->lease_ev[w->n_lease_ev++] = *e;
}

static void handle_arp(struct worker *w, const struct pkt_info *pi, uint64_t now)
{
	struct rte_mbuf *r = worker_mbuf(w);
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
	worker_send(w, r, len);
}

static void handle_icmp(struct worker *w, const struct pkt_info *pi)
{
	struct rte_mbuf *r = worker_mbuf(w);
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
	worker_send(w, r, len);
}

/* The DHCP reply's room in a fresh frame @a r: the UDP payload. */
static struct dhcp_tx dhcp_tx_in(const struct worker *w, struct rte_mbuf *r)
{
	return (struct dhcp_tx){ .buf = rte_pktmbuf_mtod(r, uint8_t *) + UDP4_HDRS_LEN,
				 .cap = STP_MIN((size_t)rte_pktmbuf_tailroom(r),
						(size_t)w->mtu + ETH_HDR_LEN) - UDP4_HDRS_LEN };
}

static void dhcp_send(struct worker *w, struct rte_mbuf *r, const struct dhcp_tx *tx)
{
	size_t len = pkt_build_udp4(rte_pktmbuf_mtod(r, uint8_t *), &w->me.mac, &tx->dst_mac,
				    w->me.ip, tx->dst_ip, tx->src_port, tx->dst_port, tx->len);

	worker_send(w, r, len);
}

static void handle_dhcp(struct worker *w, const struct pkt_info *pi, uint64_t now)
{
	struct rte_mbuf *r = worker_mbuf(w);
	struct dhcp_event evbuf[4];
	struct dhcp_events ev = { evbuf, RTE_DIM(evbuf), 0 };
	struct dhcp_rx rx = {
		.payload = pi->payload, .src_mac = pi->src_mac,
		.src_ip = pi->src_ip, .dst_ip = pi->dst_ip,
		.src_port = pi->src_port, .dst_port = pi->dst_port,
	};
	struct dhcp_tx tx;

	if (r == NULL)
		return;
	tx = dhcp_tx_in(w, r);
	if (dhcp_server_input(w->dhcp, &rx, now, &tx, &ev) == 1 && tx.len > 0)
		dhcp_send(w, r, &tx);
	else
		rte_pktmbuf_free(r);
	for (unsigned i = 0; i < ev.n; i++) {
		struct stp_event *e;

		/* Leases to the lease writer; to control what its host registry
		 * follows (a binding, boot information handed out). */
		if (evbuf[i].seq != 0)
			lease_event(w, &evbuf[i]);
		if (evbuf[i].type == DHCP_EV_RELEASED || evbuf[i].type == DHCP_EV_DECLINED)
			continue;
		e = worker_event(w, STP_EV_DHCP);
		if (e != NULL)
			e->u.dhcp = evbuf[i];
	}
}

/*
 * Held ACKs (docs/design.md, "Leases: persisted before acknowledged"):
 * take the lease writer's watermark once per poll, before this poll's DHCP
 * input, and send the ACKs whose leases it covers, as many as the TX
 * backlog takes. Nothing here when no ACK waits.
 */
static void dhcp_release(struct worker *w)
{
	unsigned budget = RTE_MIN(worker_tx_room(w), (unsigned)WORKER_RX_PER_POLL);
	uint64_t t0;

	dhcp_server_set_persisted(w->dhcp, __atomic_load_n(w->lease_seq, __ATOMIC_ACQUIRE));
	if (!dhcp_server_release_ready(w->dhcp))
		return;
	t0 = rte_rdtsc();
	for (unsigned i = 0; i < budget && dhcp_server_release_ready(w->dhcp); i++) {
		struct rte_mbuf *r = worker_mbuf(w);
		struct dhcp_tx tx;

		if (r == NULL)
			break;
		tx = dhcp_tx_in(w, r);
		if (dhcp_server_release(w->dhcp, &tx) == 1)
			dhcp_send(w, r, &tx);
		else
			rte_pktmbuf_free(r);
	}
	w->c.dhcp_cycles += rte_rdtsc() - t0;
}

static bool udp_is_dhcp(const struct worker *w, const struct pkt_info *pi)
{
	uint32_t bcast = w->me.ip | ~w->subnet_mask;

	if (pi->dst_port != DHCP_SERVER_PORT && pi->dst_port != DHCP_PXE_PORT)
		return false;
	return pi->dst_ip == w->me.ip || pi->dst_ip == 0xffffffff || pi->dst_ip == bcast;
}

/** Hand @a m to worker @a q; @return true when it took it. */
static bool steer(struct worker *w, unsigned q, struct rte_mbuf *m, uint64_t *by_class)
{
	if (rte_ring_mp_enqueue(w->inbox[q], m) == 0) {
		w->c.steered++;
		(*by_class)++;
		return true;
	}
	w->c.steer_full++;
	return false;
}

static bool handle_dhcp_frame(struct worker *w, struct rte_mbuf *m,
			      const struct pkt_info *pi, uint64_t now)
{
	uint64_t t0;

	/* One lcore owns all lease state; the others pass DHCP to it. */
	if (w->dhcp == NULL)
		return w->queue_id != 0 && steer(w, 0, m, &w->c.steered_dhcp);
	t0 = rte_rdtsc();
	handle_dhcp(w, pi, now);
	w->c.dhcp_cycles += rte_rdtsc() - t0;
	w->c.dhcp_pkts++;
	return false;
}

static bool handle_udp(struct worker *w, struct rte_mbuf *m, const struct pkt_info *pi,
		       uint64_t now, uint64_t now_us)
{
	unsigned owner;

	if (udp_is_dhcp(w, pi))
		return handle_dhcp_frame(w, m, pi, now);
	if (w->tftp == NULL || pi->dst_ip != w->me.ip ||
	    !tftp_glue_port_is_tftp(w->cfg, w->n_workers, pi->dst_port)) {
		w->c.drop[PKT_DROP_no_handler]++;
		return false;
	}
	/* A request starts a session wherever it lands; the rest of the
	 * transfer belongs to the lcore whose TID port it is addressed to. */
	owner = tftp_glue_port_owner(w->cfg, w->n_workers, pi->dst_port);
	if (owner != TFTP_OWNER_ANY && owner != w->queue_id)
		return steer(w, owner, m, &w->c.steered_tftp);
	tftp_glue_input(w, pi, now_us);
	return false;
}

/* A boot client's IPv6 Router Solicitation: say there is no router. */
static void handle_rs(struct worker *w, const struct rte_mbuf *m)
{
	struct rte_mbuf *r;
	size_t len;
	uint8_t buf[ICMP6_RA_LEN];

	if (!w->cfg->boot.ipv6_ra) {
		w->c.drop[PKT_DROP_no_handler]++;
		return;
	}
	len = icmp6_input(&w->me, span_make(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len), buf);
	if (len == 0) {
		w->c.drop[PKT_DROP_no_handler]++;
		return;
	}
	r = worker_mbuf(w);
	if (r == NULL)
		return;
	memcpy(rte_pktmbuf_mtod(r, uint8_t *), buf, len);
	w->c.ra_sent++;
	worker_send(w, r, len);
}

/* A TCP connection lives on the lcore whose queue the NIC's RSS gives its
 * flow (common/rss.h), so every segment meets the same table, and with
 * RSS programmed (port.c) none needs steering. */
static bool handle_tcp(struct worker *w, struct rte_mbuf *m, const struct pkt_info *pi,
		       uint64_t now, uint64_t now_us)
{
	unsigned owner;

	if (w->http == NULL || pi->dst_ip != w->me.ip || pi->l4.len < 20 ||
	    get_be16(pi->l4.p + 2) != w->cfg->boot.http_port) {
		w->c.drop[PKT_DROP_no_handler]++;
		return false;
	}
	owner = rss_flow_queue(pi->src_ip, pi->dst_ip, get_be16(pi->l4.p), get_be16(pi->l4.p + 2),
			       w->n_workers);
	if (owner != w->queue_id)
		return steer(w, owner, m, &w->c.steered_tcp);
	neigh_learn(&w->neigh, pi->src_ip, &pi->src_mac, now);
	http_glue_input(w, pi, now_us);
	return false;
}

/** Handle one frame; returns true when the mbuf was handed on (steered). */
static bool handle_frame(struct worker *w, struct rte_mbuf *m, uint64_t now,
			 uint64_t now_us)
{
	struct pkt_info pi;

	if (unlikely(m->nb_segs != 1)) {
		w->c.multiseg++;
		return false;
	}
	switch (pkt_parse(span_make(rte_pktmbuf_mtod(m, uint8_t *), m->data_len), &pi)) {
	case PKT_CLASS_ARP:
		handle_arp(w, &pi, now);
		return false;
	case PKT_CLASS_ICMP:
		handle_icmp(w, &pi);
		return false;
	case PKT_CLASS_UDP:
		return handle_udp(w, m, &pi, now, now_us);
	case PKT_CLASS_TCP:
		return handle_tcp(w, m, &pi, now, now_us);
	case PKT_CLASS_IPV6:
		handle_rs(w, m);
		return false;
	case PKT_CLASS_DROP:
		w->c.drop[pi.drop]++;
		return false;
	default:
		w->c.drop[PKT_DROP_no_handler]++;
		return false;
	}
}

static void handle_burst(struct worker *w, struct rte_mbuf **pkts, unsigned n,
			 uint64_t now, uint64_t now_us)
{
	for (unsigned i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (!handle_frame(w, pkts[i], now, now_us))
			rte_pktmbuf_free(pkts[i]);
	}
}

static void maybe_announce(struct worker *w, uint64_t now)
{
	struct rte_mbuf *m;

	if (w->announces_left == 0 || now < w->next_announce)
		return;
	m = worker_mbuf(w);
	if (m == NULL)
		return;
	worker_send(w, m, arp_build_announce(&w->me, rte_pktmbuf_mtod(m, uint8_t *)));
	w->announces_left--;
	w->next_announce = now + 2; /* RFC 5227 sec 3: two seconds apart */
}

int worker_main(void *arg)
{
	struct worker *w = arg;
	struct rte_mbuf *pkts[WORKER_BURST];

	if (w->cache != NULL)
		cache_glue_worker_online(w->cache, w->lcore_id);
	while (!*w->quit) {
		uint64_t t0 = rte_rdtsc();
		uint64_t ticks = t0 - w->tsc0;
		uint64_t now = w->unix0 + ticks / w->tsc_hz;
		/* Split to avoid overflowing ticks * 1e6 after a few hours. */
		uint64_t now_us = ticks / w->tsc_hz * 1000000 +
				  ticks % w->tsc_hz * 1000000 / w->tsc_hz;
		unsigned n = 0, got, k;

		if (w->cache != NULL)
			w->cv = cache_glue_current(w->cache);
		if (w->queue_id == 0)
			maybe_announce(w, now);
		if (w->dhcp != NULL)
			dhcp_release(w);
		/*
		 * Drain RX before the send work below: one poll can send
		 * hundreds of segments, whose ACKs must not outrun one burst
		 * per poll (a full RX ring drops ACKs silently on af_packet,
		 * and lost ACKs become spurious retransmissions).
		 */
		do {
			got = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, WORKER_BURST);
			w->c.rx += got;
			handle_burst(w, pkts, got, now, now_us);
			n += got;
		} while (got == WORKER_BURST && n < WORKER_RX_PER_POLL);
		k = rte_ring_sc_dequeue_burst(w->inbox[w->queue_id], (void **)pkts,
					      WORKER_BURST, NULL);
		handle_burst(w, pkts, k, now, now_us);
		if (w->tftp != NULL)
			tftp_glue_timers(w, now_us);
		if (w->http != NULL)
			http_glue_poll(w, now_us);
		worker_tx_flush(w);
		worker_ev_flush(w);
		if (w->dhcp != NULL)
			worker_lease_flush(w);
		/* No cache pointer is held past this point (transfers pin theirs),
		 * unless a frame waiting in the TX backlog still points into an
		 * object: then the version must outlive it, so no quiescent state
		 * is reported until the backlog is out. */
		w->cv = NULL;
		if (w->cache != NULL && w->n_tx == 0)
			cache_glue_quiescent(w->cache, w->lcore_id);
		if (n + k > 0)
			w->c.busy_cycles += rte_rdtsc() - t0;
	}
	tx_drain(w);
	worker_ev_flush(w);
	if (w->dhcp != NULL)
		worker_lease_flush(w);
	if (w->cache != NULL)
		cache_glue_worker_offline(w->cache, w->lcore_id);
	return 0;
}
