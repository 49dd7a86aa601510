/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lease writer thread (lease_writer.h): ring -> one transaction per
 * batch -> watermark.
 */
#include "lease_writer.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ring_elem.h>

#include "log.h"

/* Nothing in the ring: look again after this long (the control thread's
 * idle pause too). It is what a held ACK waits at most on top of its
 * commit when the server is quiet; under load the ring is never empty. */
#define IDLE_NS 1000000
/* A failed transaction: try again after this long (a locked database has
 * already waited out its busy timeout). */
#define RETRY_NS 10000000
/* Failed tries at stop before the remaining leases are given up. */
#define STOP_TRIES 3

static void nap(long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
}

static enum lease_state lease_state_of(uint8_t ev_type)
{
	switch (ev_type) {
	case DHCP_EV_RELEASED:
		return LEASE_RELEASED;
	case DHCP_EV_DECLINED:
		return LEASE_DECLINED;
	default:
		return LEASE_BOUND;
	}
}

/* The batch in one transaction; rolled back whole if any write fails. */
static int commit_batch(struct lease_writer *lw)
{
	if (lease_store_begin(lw->ls) != 0)
		return -1;
	for (unsigned i = 0; i < lw->n; i++) {
		const struct dhcp_event *e = &lw->batch[i];
		struct lease_row row = { .mac = e->mac, .ip = e->ip, .expires = e->expires,
					 .state = lease_state_of(e->type) };

		if (lease_store_put(lw->ls, &row) != 0) {
			lease_store_rollback(lw->ls);
			return -1;
		}
	}
	return lease_store_commit(lw->ls);
}

/*
 * Commit the batch; once COMMIT has returned the leases are in the WAL,
 * in the kernel (a kill -9 now loses none of them), and the ACKs held for
 * them may go. One producer numbers them in order: the last is the highest.
 */
static int flush(struct lease_writer *lw)
{
	if (commit_batch(lw) != 0) {
		/* Once per failing spell, not per retry: the counter has the rest. */
		if (!lw->failing)
			log_err("database: %s (leases kept and retried; their ACKs wait)",
				lease_store_error(lw->ls));
		lw->failing = true;
		lw->c.retries++;
		return -1;
	}
	if (lw->failing)
		log_info("database: leases written again");
	lw->failing = false;
	__atomic_store_n(&lw->seq, lw->batch[lw->n - 1].seq, __ATOMIC_RELEASE);
	lw->c.events += lw->n;
	lw->c.commits++;
	lw->n = 0;
	return 0;
}

static void *run(void *arg)
{
	struct lease_writer *lw = arg;
	unsigned stop_fails = 0;
	sigset_t all;

	/* SIGINT, SIGTERM, SIGUSR1, SIGHUP are for the main lcore's loop */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		/* read before the ring: what the workers queued before they
		 * stopped is in it by the time stop is seen */
		int stopping = __atomic_load_n(&lw->stop, __ATOMIC_ACQUIRE);

		/* a failed batch is retried as it was: nothing more joins it */
		if (lw->n == 0)
			lw->n = rte_ring_sc_dequeue_burst_elem(lw->ring, lw->batch,
							       sizeof(*lw->batch),
							       LEASE_WRITER_BATCH, NULL);
		if (lw->n == 0) {
			if (stopping)
				break;
			nap(IDLE_NS);
			continue;
		}
		if (flush(lw) == 0)
			continue;
		if (stopping && ++stop_fails >= STOP_TRIES) {
			log_err("database: %u leases not written at stop", lw->n +
				rte_ring_count(lw->ring));
			break;
		}
		nap(RETRY_NS);
	}
	return NULL;
}

int lease_writer_start(struct lease_writer *lw, struct lease_store *ls, struct rte_ring *ring,
		       char *err, size_t errlen)
{
	int rc;

	memset(lw, 0, sizeof(*lw));
	lw->ls = ls;
	lw->ring = ring;
	lw->batch = calloc(LEASE_WRITER_BATCH, sizeof(*lw->batch));
	if (lw->batch == NULL) {
		snprintf(err, errlen, "lease writer: out of memory");
		return -1;
	}
	rc = pthread_create(&lw->tid, NULL, run, lw);
	if (rc != 0) {
		snprintf(err, errlen, "lease writer: cannot start its thread: %s", strerror(rc));
		free(lw->batch);
		lw->batch = NULL;
		return -1;
	}
	lw->running = true;
	return 0;
}

void lease_writer_stop(struct lease_writer *lw)
{
	if (!lw->running)
		return;
	__atomic_store_n(&lw->stop, 1, __ATOMIC_RELEASE);
	pthread_join(lw->tid, NULL);
	lw->running = false;
	free(lw->batch);
	lw->batch = NULL;
}
