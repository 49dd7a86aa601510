/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stampede-storm: the DPDK glue around the storm contexts. Options are
 * checked before the EAL starts; each lcore runs one context on its own
 * queue pair; the main lcore also draws the progress line; at the end the
 * contexts' statistics are merged and printed (and written as JSON).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "storm_ctx.h"
#include "storm_port.h"

#define BURST 32
#define TXQ 256                 /* frames a poll may queue */
#define PEND_MAX 4096           /* frames waiting for the port */
#define LINK_CHECK_US 100000ull
#define PROGRESS_US 1000000ull

struct lcore_run {
	struct storm_ctx *ctx;
	uint16_t port, queue;
	struct rte_mempool *mp;
	uint8_t *frames;            /* TXQ x STORM_FRAME_MAX */
	uint64_t tx_sent, tx_drop;
	uint64_t cycles, busy_cycles; /* of the loop; busy: frames in or out */
	uint16_t n_pend;            /* frames the port has not taken yet */
	uint32_t first, n;          /* its clients: global indexes first .. first + n - 1 */
	struct rte_ring *inbox;     /* frames for its clients that other lcores received */
	uint64_t passed;            /* frames passed on to another lcore */
	uint64_t down_since;        /* TSC the link was first seen down, 0 up */
	uint64_t relinks;           /* port restarts after the link went down */
	bool stopped;               /* a restart failed: no bursts until one works */
	struct rte_mbuf *pend[PEND_MAX];
} __rte_cache_aligned;

static volatile sig_atomic_t quit;
static struct storm_opts opts;
static struct lcore_run runs[RTE_MAX_LCORE];
static uint64_t tsc_hz, deadline_us;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static uint64_t now_us(void)
{
	return rte_rdtsc() * 1000000ull / tsc_hz;
}

/* Copy the queued frames into mbufs behind those still waiting, and send
 * what the queue takes. What it does not take waits for the next flush:
 * a generator that dropped its own frames would measure its own loss.
 * Only past PEND_MAX waiting frames (the port stopped taking any) are
 * frames dropped, and counted. */
static void flush(struct lcore_run *r, struct storm_tx *tx)
{
	uint16_t sent;

	for (unsigned i = 0; i < tx->n; i++) {
		struct rte_mbuf *b = r->n_pend < PEND_MAX ? rte_pktmbuf_alloc(r->mp) : NULL;

		if (b == NULL) {
			r->tx_drop++;
			continue;
		}
		memcpy(rte_pktmbuf_mtod(b, uint8_t *), tx->frame[i], tx->len[i]);
		b->data_len = b->pkt_len = tx->len[i];
		r->pend[r->n_pend++] = b;
	}
	tx->n = 0;
	if (r->n_pend == 0 || r->stopped)
		return;
	sent = rte_eth_tx_burst(r->port, r->queue, r->pend, r->n_pend);
	r->tx_sent += sent;
	r->n_pend = (uint16_t)(r->n_pend - sent);
	if (sent > 0 && r->n_pend > 0)
		memmove(r->pend, r->pend + sent, r->n_pend * sizeof(r->pend[0]));
}

static unsigned n_runs, n_done;
static unsigned run_lcore[RTE_MAX_LCORE];   /* the lcores with a context, in client order */

/* The lcore whose clients include global index @a gi. */
static struct lcore_run *owner_run(uint32_t gi)
{
	for (unsigned i = 0; i < n_runs; i++) {
		struct lcore_run *o = &runs[run_lcore[i]];

		if (gi >= o->first && gi - o->first < o->n)
			return o;
	}
	return NULL;
}

/* Pass @a m to @a to (its frame is for a client there); false: dropped. */
static bool pass_on(struct lcore_run *r, struct lcore_run *to, struct rte_mbuf *m)
{
	if (to == NULL || to == r || rte_ring_mp_enqueue(to->inbox, m) != 0)
		return false;
	r->passed++;
	return true;
}

/* An ARP request none of our clients had: the other lcores may. */
static void pass_arp(struct lcore_run *r, const struct rte_mbuf *m)
{
	for (unsigned i = 0; i < n_runs; i++) {
		struct lcore_run *o = &runs[run_lcore[i]];
		struct rte_mbuf *c;

		if (o == r || (c = rte_pktmbuf_copy(m, r->mp, 0, UINT32_MAX)) == NULL)
			continue;
		if (!pass_on(r, o, c))
			rte_pktmbuf_free(c);
	}
}

/* One frame; from the port (@a from_port) or from another lcore. */
static void input(struct lcore_run *r, struct rte_mbuf *m, bool from_port, uint64_t now,
		  struct storm_tx *tx)
{
	uint32_t owner = 0;
	enum storm_in in;

	if (tx->cap - tx->n < 8)
		flush(r, tx);
	if (m->nb_segs != 1) {
		rte_pktmbuf_free(m);
		return;
	}
	in = storm_ctx_input(r->ctx, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, now, tx,
			     &owner);
	if (in == STORM_IN_ELSEWHERE && from_port && pass_on(r, owner_run(owner), m))
		return;
	if (in == STORM_IN_ARP_UNKNOWN && from_port && n_runs > 1)
		pass_arp(r, m);
	rte_pktmbuf_free(m);
}

static unsigned rx_once(struct lcore_run *r, uint64_t now, struct storm_tx *tx)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t n = r->stopped ? 0 : rte_eth_rx_burst(r->port, r->queue, pkts, BURST);
	unsigned k;

	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		input(r, pkts[i], true, now, tx);
	}
	k = r->inbox != NULL ? rte_ring_sc_dequeue_burst(r->inbox, (void **)pkts, BURST, NULL) : 0;
	for (unsigned i = 0; i < k; i++)
		input(r, pkts[i], false, now, tx);
	return n + k;
}

static void progress(uint64_t now, uint64_t t0)
{
	struct storm_census sum = { 0 }, c;

	for (unsigned l = 0; l < RTE_MAX_LCORE; l++) {
		if (runs[l].ctx == NULL)
			continue;
		storm_ctx_census(runs[l].ctx, &c);
		sum.waiting += c.waiting;
		sum.done += c.done;
		sum.failed += c.failed;
		for (unsigned s = 0; s < STORM_ST_N; s++)
			sum.in_stage[s] += c.in_stage[s];
	}
	fprintf(stderr, "\rstorm %6.1fs  off %u", (double)(now - t0) / 1e6, sum.waiting);
	for (unsigned s = 0; s < STORM_ST_N; s++)
		fprintf(stderr, "  %s %u", storm_stage_names[s], sum.in_stage[s]);
	fprintf(stderr, "  done %u  failed %u   ", sum.done, sum.failed);
}

/*
 * The server's end of the port went away (a memif server killed and
 * started again, a cable): restart our end so it connects again, and let
 * the clients' own retries carry the storm on, as a room of machines
 * would. One lcore only: a port restart under other lcores' polling is
 * not allowed.
 */
static void relink(struct lcore_run *r)
{
	struct rte_eth_link link;

	if (r->stopped) {
		/* the peer is not back yet: try again at the next check */
		if (rte_eth_dev_start(r->port) == 0) {
			r->stopped = false;
			r->relinks++;
		}
		return;
	}
	if (rte_eth_link_get_nowait(r->port, &link) != 0 || link.link_status == RTE_ETH_LINK_UP) {
		r->down_since = 0;
		return;
	}
	if (r->down_since == 0) {
		r->down_since = rte_rdtsc();
		return;
	}
	if (rte_rdtsc() - r->down_since < tsc_hz / 2)
		return;
	rte_pktmbuf_free_bulk(r->pend, r->n_pend);
	r->tx_drop += r->n_pend;
	r->n_pend = 0;
	rte_eth_dev_stop(r->port);
	if (rte_eth_dev_start(r->port) == 0)
		r->relinks++;
	else
		r->stopped = true;   /* no bursts on a stopped port */
	r->down_since = 0;
}

static int lcore_loop(void *arg)
{
	struct lcore_run *r = &runs[rte_lcore_id()];
	uint8_t *fp[TXQ];
	uint16_t len[TXQ];
	struct storm_tx tx = { fp, len, TXQ, 0 };
	bool main_lcore = rte_lcore_id() == rte_get_main_lcore();
	uint64_t t0 = now_us(), next_progress = t0 + PROGRESS_US, next_link_check = t0;

	(void)arg;
	bool show = main_lcore && !opts.quiet && isatty(STDERR_FILENO);

	for (unsigned i = 0; i < TXQ; i++)
		fp[i] = r->frames + (size_t)i * STORM_FRAME_MAX;
	bool mine_done = false;

	/* Every lcore polls until all are done: answers for its neighbours'
	 * clients may still come in on its queue. */
	while (!quit && __atomic_load_n(&n_done, __ATOMIC_ACQUIRE) < n_runs) {
		uint64_t now = now_us(), c0 = rte_rdtsc(), sent0 = r->tx_sent;
		unsigned got = rx_once(r, now, &tx);

		if (!mine_done && storm_ctx_finished(r->ctx)) {
			mine_done = true;
			__atomic_add_fetch(&n_done, 1, __ATOMIC_RELEASE);
		}

		/* new work only while the port keeps up with what is queued */
		if (r->n_pend < TXQ)
			storm_ctx_poll(r->ctx, now, &tx);
		flush(r, &tx);
		{
			uint64_t spent = rte_rdtsc() - c0;

			r->cycles += spent;
			if (got > 0 || r->tx_sent != sent0)
				r->busy_cycles += spent;
		}
		if (now >= deadline_us) {
			storm_ctx_expire(r->ctx, now);
			if (!mine_done)
				__atomic_add_fetch(&n_done, 1, __ATOMIC_RELEASE);
			break;
		}
		if (main_lcore && n_runs == 1 && now >= next_link_check) {
			next_link_check = now + LINK_CHECK_US;
			relink(r);
		}
		if (show && now >= next_progress) {
			progress(now, t0);
			next_progress = now + PROGRESS_US;
		}
	}
	/* The last frames (ACKs, RSTs) go out; what the port never takes is freed. */
	for (int i = 0; i < 1000 && r->n_pend > 0; i++)
		flush(r, &tx);
	rte_pktmbuf_free_bulk(r->pend, r->n_pend);
	r->n_pend = 0;
	if (show)
		fputc('\n', stderr);
	return 0;
}

/* Clients split into contiguous ranges, one per lcore and queue. */
static int make_runs(uint16_t port, struct rte_mempool *mp, uint64_t t0)
{
	unsigned n_lcores = rte_lcore_count(), q = 0, l;
	uint32_t per = (opts.clients + n_lcores - 1) / n_lcores, first = 0;

	RTE_LCORE_FOREACH(l) {
		uint32_t n = opts.clients - first < per ? opts.clients - first : per;
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "storm_in_%u", l);
		runs[l].port = port;
		runs[l].queue = (uint16_t)q;
		runs[l].mp = mp;
		runs[l].first = first;
		runs[l].n = n;
		runs[l].frames = rte_malloc("storm_tx", (size_t)TXQ * STORM_FRAME_MAX, 64);
		runs[l].ctx = storm_ctx_create(&opts, first, n, t0, q, n_lcores);
		runs[l].inbox = n_lcores > 1 ? rte_ring_create(name, 4096, (int)rte_socket_id(),
								RING_F_SC_DEQ) : NULL;
		if (runs[l].frames == NULL || runs[l].ctx == NULL ||
		    (n_lcores > 1 && runs[l].inbox == NULL))
			return -1;
		run_lcore[n_runs++] = l;
		first += n;
		q++;
	}
	return 0;
}

static int report(double wall_s)
{
	static struct storm_stats all;
	unsigned l;

	RTE_LCORE_FOREACH(l) {
		storm_stats_merge(&all, storm_ctx_stats(runs[l].ctx));
		all.tx_frames += runs[l].tx_sent;
		all.tx_dropped += runs[l].tx_drop;
		all.gen_cycles += runs[l].cycles;
		all.gen_busy_cycles += runs[l].busy_cycles;
	}
	storm_stats_print(&all, wall_s, stdout);
	RTE_LCORE_FOREACH(l)
		if (runs[l].relinks > 0)
			printf("generator: the link went down; port restarted %llu time(s)\n",
			       (unsigned long long)runs[l].relinks);
	if (opts.leases[0] != '\0') {
		FILE *f = fopen(opts.leases, "w");

		RTE_LCORE_FOREACH(l)
			if (f != NULL)
				storm_ctx_write_leases(runs[l].ctx, f);
		if (f == NULL || fclose(f) != 0) {
			fprintf(stderr, "stampede-storm: --leases %s: %s\n", opts.leases,
				strerror(errno));
			return 2;
		}
	}
	if (opts.json[0] != '\0' && storm_stats_json(&all, wall_s, opts.json) != 0) {
		fprintf(stderr, "stampede-storm: --json %s: %s\n", opts.json, strerror(errno));
		return 2;
	}
	return all.failed > 0 || all.done < all.clients ? 1 : 0;
}

int main(int argc, char **argv)
{
	char err[512];
	struct eal_args eal;
	struct rte_mempool *mp;
	uint16_t port;
	uint64_t t0;
	int rc = storm_opts_parse(argc, argv, &opts, err, sizeof(err));

	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "stampede-storm: %s\n", err);
		return rc < 0 ? 2 : 0;
	}
	if (storm_eal_args(&opts, argv[0], &eal, err, sizeof(err)) != 0 ||
	    rte_eal_init(eal.argc, eal.argv) < 0) {
		fprintf(stderr, "stampede-storm: %s\n",
			err[0] ? err : "the EAL did not start (see the lines above)");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	tsc_hz = rte_get_tsc_hz();
	if (storm_port_open(&opts, rte_lcore_count(), &port, &mp, err, sizeof(err)) != 0) {
		fprintf(stderr, "stampede-storm: %s\n", err);
		return 2;
	}
	t0 = now_us();
	deadline_us = t0 + (uint64_t)(opts.timeout_s * 1e6);
	if (make_runs(port, mp, t0) != 0) {
		fprintf(stderr, "stampede-storm: out of memory for %u clients\n", opts.clients);
		return 2;
	}
	rte_eal_mp_remote_launch(lcore_loop, NULL, SKIP_MAIN);
	lcore_loop(NULL);
	rte_eal_mp_wait_lcore();
	rc = report((double)(now_us() - t0) / 1e6);
	storm_port_close(port);
	rte_eal_cleanup();
	return rc;
}
