/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file lease_writer.h
 * The lease writer (docs/design.md, "Leases: persisted before
 * acknowledged"): a thread of its own, started before the workers, that
 * takes the DHCP lcore's lease events from their ring, writes each batch
 * (everything that arrived meanwhile) to the lease table in one
 * transaction, and once the commit has returned publishes the highest
 * sequence number in it: the watermark the DHCP lcore's held ACKs wait
 * for. It owns the lease store's connection while it runs; nothing else
 * writes leases. A failed transaction is rolled back and the same batch
 * tried again, so the watermark never passes a lease that is not on disk.
 *
 * Not on the packet path, and not on the control thread: the host
 * registry and script publishing (control's work, long under a storm of
 * new hosts) never delay a lease commit.
 */
#ifndef STP_LEASE_WRITER_H
#define STP_LEASE_WRITER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

#include "dhcp_server.h"
#include "lease_store.h"

/* Lease events per transaction at most: what a storm brings in a few
 * hundred milliseconds, ~5 us each to write. */
#define LEASE_WRITER_BATCH 4096
/* The ring from the DHCP lcore: four times what the DHCP core lets wait
 * (DHCP_PERSIST_HARD), so only a flood of RELEASEs can fill it. */
#define LEASE_RING_SIZE 16384

/** The writer's counters: written by its thread, read by control. */
struct lease_writer_counters {
	uint64_t events;       /* lease events committed */
	uint64_t commits;      /* transactions committed */
	uint64_t retries;      /* transactions that failed and were tried again */
};

struct lease_writer {
	struct lease_store *ls;
	struct rte_ring *ring;          /* struct dhcp_event, DHCP lcore -> writer */
	struct dhcp_event *batch;       /* LEASE_WRITER_BATCH, taken not committed */
	unsigned n;
	/* Every lease event up to this sequence number is committed: stored
	 * with release order after the commit, loaded by the DHCP lcore. */
	uint64_t seq;
	int stop;                       /* atomic: drain the ring and return */
	bool failing;                   /* the last transaction failed */
	bool running;
	pthread_t tid;
	struct lease_writer_counters c;
};

/**
 * Start the writer on @a ls (which it then owns until stopped) and @a ring.
 * @return 0, or -1 with one line in @a err.
 */
int lease_writer_start(struct lease_writer *lw, struct lease_store *ls, struct rte_ring *ring,
		       char *err, size_t errlen);

/**
 * After the workers have stopped: commit what the ring still holds, end
 * the thread and give the store back. A store that keeps failing is
 * given up on after a few tries (logged). Safe on a writer never started.
 */
void lease_writer_stop(struct lease_writer *lw);

/** The watermark, for the DHCP lcore and the counters. */
static inline uint64_t lease_writer_seq(const struct lease_writer *lw)
{
	return __atomic_load_n(&lw->seq, __ATOMIC_ACQUIRE);
}

#endif
