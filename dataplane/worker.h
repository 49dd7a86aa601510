/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file worker.h
 * The per-lcore context of a worker: everything it reads or writes on the
 * packet path, owned by that lcore alone (counters are read by control
 * without locks; 64-bit aligned stores are atomic on the targets we build for).
 */
#ifndef STP_WORKER_H
#define STP_WORKER_H

#include <signal.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "arp_icmp.h"
#include "cache_glue.h"
#include "config.h"
#include "dhcp_server.h"
#include "events.h"
#include "neigh.h"
#include "pkt.h"
#include "worker_counters.h"

#define WORKER_BURST 32
/*
 * Frames built but not yet taken by the TX queue. A full TX ring (the
 * af_packet PMD's, a NIC's descriptors) keeps them here for the next
 * poll instead of dropping them: a dropped TCP segment costs the client
 * a loss recovery or an RTO, and TCP output is paced by the free room.
 */
#define WORKER_TX_BACKLOG 1024
#define WORKER_EV_BATCH (WORKER_BURST * 2)
#define WORKER_RX_PER_POLL (WORKER_BURST * 16) /* RX frames at most per poll */

struct worker {
	unsigned lcore_id;
	uint16_t port_id, queue_id;
	struct rte_mempool *mp;
	struct host_id me;
	uint32_t subnet_mask;
	uint16_t mtu;
	uint64_t tx_offloads;           /* RTE_ETH_TX_OFFLOAD_* the port does for us */
	const struct stp_config *cfg;

	struct dhcp_server *dhcp;       /* non-NULL on the DHCP lcore only */
	struct rte_ring *leases;        /* DHCP lcore -> lease writer: struct dhcp_event */
	const uint64_t *lease_seq;      /* the lease writer's watermark (atomic loads) */
	struct tftp_glue *tftp;         /* NULL when tftp.enabled is false */
	struct http_glue *http;         /* NULL when http.enabled is false */
	struct cache_glue *cache;       /* shared, read-only for workers */
	const struct cache_version *cv; /* this iteration's view of the cache */
	unsigned n_workers;
	struct rte_ring **inbox;        /* [n_workers]: frames steered to worker i */
	struct rte_ring *events;        /* all workers -> control */
	struct rte_ring *upcall_req;    /* all workers -> control: /api/ requests */
	struct rte_ring *upcall_resp;   /* control -> this worker: their answers */
	struct rte_mempool *upcall_mp;  /* struct upcall_msg */
	const volatile sig_atomic_t *quit;

	uint64_t tsc_hz, tsc0, unix0;   /* clock: read once per burst */
	uint64_t next_announce;         /* unix s of the next gratuitous ARP */
	unsigned announces_left;

	struct rte_mbuf *tx[WORKER_TX_BACKLOG]; /* FIFO from tx_head, n_tx frames */
	unsigned tx_head, n_tx;
	uint64_t tx_stall_tsc;          /* when the head frame last failed to go, 0: moving */
	bool tso_refused;               /* the PMD refused a TSO frame: make no more */
	struct stp_event ev[WORKER_EV_BATCH];
	unsigned n_ev;
	struct dhcp_event lease_ev[WORKER_EV_BATCH]; /* DHCP lcore: for the lease writer */
	unsigned n_lease_ev;

	struct neigh_table neigh;
	struct worker_counters c;
} __rte_cache_aligned;

/**
 * Queue a built frame behind the backlog; it goes out at the next flush
 * the TX queue has room for. Dropped (tx_full) only when the backlog is
 * full even after a flush.
 */
void worker_tx(struct worker *w, struct rte_mbuf *m);

/** Hand the TX queue what it takes of the backlog now. */
void worker_tx_flush(struct worker *w);

/** Frames worker_tx() can still queue without dropping. */
static inline unsigned worker_tx_room(const struct worker *w)
{
	return WORKER_TX_BACKLOG - w->n_tx;
}

/**
 * free_cb of the rte_mbuf_ext_shared_info that TX frames attach cache
 * payload with: the external buffers point into cache objects that
 * outlive every frame built from them (a transfer pins its cache version
 * until it ends), so there is nothing to free when the count drops.
 */
void worker_ext_free_noop(void *addr, void *opaque);

/** Hand the batched events to control's ring (what does not fit: ev_lost). */
void worker_ev_flush(struct worker *w);

/**
 * Hand the DHCP lcore's batched lease events to the lease writer's ring;
 * one that does not fit will never be persisted, so the ACK the DHCP core
 * holds for it is dropped (lease_ev_lost).
 */
void worker_lease_flush(struct worker *w);

/** The next slot of this poll's events for control, or NULL (counted lost). */
static inline struct stp_event *worker_event(struct worker *w, uint16_t type)
{
	struct stp_event *e;

	if (unlikely(w->n_ev == RTE_DIM(w->ev))) {
		worker_ev_flush(w);
		if (w->n_ev == RTE_DIM(w->ev)) {
			w->c.ev_lost++;
			return NULL;
		}
	}
	e = &w->ev[w->n_ev++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->lcore = (uint16_t)w->lcore_id;
	return e;
}

/** Report an object handed out (TFTP done, HTTP served) to control. */
static inline void worker_xfer_event(struct worker *w, uint16_t type,
				     const struct mac_addr *mac, uint32_t ip,
				     uint16_t status, const char *name)
{
	struct stp_event *e = worker_event(w, type);

	if (e == NULL)
		return;
	if (mac != NULL)
		e->u.xfer.mac = *mac;
	e->u.xfer.ip = ip;
	e->u.xfer.status = status;
	/* Cut to fit on purpose: control matches stages on short names. */
	memcpy(e->u.xfer.name, name, strnlen(name, STP_EV_NAME_MAX - 1));
}

/** A fresh mbuf to build a reply in, or NULL (counted). */
static inline struct rte_mbuf *worker_mbuf(struct worker *w)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->mp);

	if (unlikely(m == NULL))
		w->c.nombuf++;
	return m;
}

/**
 * A header mbuf with @a len bytes of immutable cache memory at @a va
 * chained behind it as an external buffer (zero copy). The shared info's
 * count never drops to zero: the object outlives the frame (its transfer
 * pins its cache version). The caller writes @a hdr_len header bytes.
 * @return the chain, or NULL (counted in @a nombuf) when a pool is empty.
 */
/*
 * The IOVA of cache bytes at @a va. Not rte_mem_virt2iova(): with IOVA as
 * physical addresses it opens, reads and closes /proc/self/pagemap on
 * every call — a worker profile under a storm spent 83% of its time in
 * the kernel doing that for each zero-copy segment. The memseg the bytes
 * live in knows its IOVA.
 */
static inline rte_iova_t worker_va2iova(const uint8_t *va)
{
	const struct rte_memseg *ms;

	if (rte_eal_iova_mode() == RTE_IOVA_VA)
		return (rte_iova_t)(uintptr_t)va;
	ms = rte_mem_virt2memseg(va, NULL);
	if (ms == NULL || ms->iova == RTE_BAD_IOVA)
		return RTE_BAD_IOVA;
	return ms->iova + (rte_iova_t)(va - (const uint8_t *)ms->addr);
}

static inline struct rte_mbuf *worker_mbuf_ext(struct worker *w, struct rte_mempool *ext_mp,
					       struct rte_mbuf_ext_shared_info *shinfo,
					       const uint8_t *va, uint16_t len, uint16_t hdr_len,
					       uint64_t *nombuf)
{
	struct rte_mbuf *h = worker_mbuf(w), *p;

	if (h == NULL)
		return NULL;
	p = rte_pktmbuf_alloc(ext_mp);
	if (unlikely(p == NULL)) {
		rte_pktmbuf_free(h);
		(*nombuf)++;
		return NULL;
	}
	rte_mbuf_ext_refcnt_update(shinfo, 1);
	rte_pktmbuf_attach_extbuf(p, (void *)(uintptr_t)va, worker_va2iova(va), len, shinfo);
	p->data_len = len;
	h->data_len = hdr_len;
	h->next = p;
	h->nb_segs = 2;
	h->pkt_len = (uint32_t)hdr_len + len;
	return h;
}

/** Set a single-segment frame's length and queue it. */
static inline void worker_send(struct worker *w, struct rte_mbuf *m, size_t len)
{
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	worker_tx(w, m);
}

/** The lcore entry point; @a arg is the struct worker. */
int worker_main(void *arg);

#endif
