/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file cache_glue.h
 * The object cache in the running server: versions built by the control
 * thread in hugepage memory, published with one atomic store, read by the
 * workers without locks (RCU, rte_rcu_qsbr), and freed once no worker can
 * see them and no transfer is still pinned to them.
 *
 * Two mechanisms, because transfers outlive bursts:
 *  - RCU: a worker reads `current` at most once per loop iteration and
 *    reports a quiescent state at the end of it; after a grace period no
 *    worker can be about to pin a retired version.
 *  - pins: a session that starts on version G increments its worker's pin
 *    count for G (a per-lcore table only that worker writes) and
 *    decrements it when it ends; control frees G only when no worker pins
 *    G itself. A long download pinning an old version does not hold the
 *    newer ones, so control can go on publishing scripts in a storm.
 */
#ifndef STP_CACHE_GLUE_H
#define STP_CACHE_GLUE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_rcu_qsbr.h>

#include "objcache.h"

#define CACHE_MAX_RETIRED 16
/* A worker pins only versions still alive (the retired ones and current,
 * plus one being published): with a slot for each, pins stay exact and a
 * slot turns wide only through cache_glue_widen(). */
#define CACHE_PIN_SLOTS (CACHE_MAX_RETIRED + 2)

/** One published version. */
struct cache_version {
	struct objcache *oc;
	uint64_t gen;
};

/** Per-worker pin table; written only by its worker. */
struct cache_pins {
	uint64_t gen[CACHE_PIN_SLOTS];
	uint32_t n[CACHE_PIN_SLOTS];
	/* The slot took a pin for a newer version when the table was full: it
	 * protects every version from its own on, until its count is 0. */
	uint8_t wide[CACHE_PIN_SLOTS];
	volatile uint64_t oldest;   /* oldest gen with n > 0, UINT64_MAX if none */
} __rte_cache_aligned;

struct cache_retired {
	struct cache_version *v;
	uint64_t token;             /* rte_rcu_qsbr_start() at retirement */
};

struct cache_glue {
	struct cache_version *current;  /* atomic load/store only */
	struct rte_rcu_qsbr *qs;
	struct cache_pins *pins;        /* [RTE_MAX_LCORE] */
	struct cache_retired retired[CACHE_MAX_RETIRED];
	unsigned n_retired;
	uint64_t next_gen;
	struct objcache_alloc alloc;
	const char *root;
	uint64_t max_bytes;
	uint16_t blksizes[OBJ_MAX_CSUM_SIZES];
	unsigned n_blksizes;
};

/**
 * Load @a root into hugepage memory on @a socket and publish it as the
 * first version. @return 0, or -1 with one line in @a err.
 */
int cache_glue_init(struct cache_glue *g, const char *root, uint64_t max_bytes,
		    const uint16_t *blksizes, unsigned n_blksizes, int socket,
		    char *err, size_t errlen);

/** A worker lcore joins RCU (call on that lcore before its loop). */
void cache_glue_worker_online(struct cache_glue *g, unsigned lcore);
void cache_glue_worker_offline(struct cache_glue *g, unsigned lcore);

/** The version to start new transfers on (worker, once per iteration). */
static inline const struct cache_version *cache_glue_current(const struct cache_glue *g)
{
	return __atomic_load_n(&g->current, __ATOMIC_ACQUIRE);
}

/** End of a worker loop iteration: no cache pointer held from here. */
static inline void cache_glue_quiescent(struct cache_glue *g, unsigned lcore)
{
	rte_rcu_qsbr_quiescent(g->qs, lcore);
}

/**
 * Pin @a gen for a transfer starting on worker @a lcore. When the table is
 * full the oldest slot takes the pin instead and becomes wide (it then
 * protects every newer generation too): pinning never fails.
 * @return the generation actually pinned; pass it to cache_glue_unpin().
 */
uint64_t cache_glue_pin(struct cache_glue *g, unsigned lcore, uint64_t gen);
void cache_glue_unpin(struct cache_glue *g, unsigned lcore, uint64_t gen);

/**
 * The pin on @a gen (as cache_glue_pin() returned it) must also protect
 * every newer generation: a transfer started on it goes on with objects
 * of a newer version while bytes of the old one are still in flight.
 */
void cache_glue_widen(struct cache_glue *g, unsigned lcore, uint64_t gen);

/** Control thread: publish a version derived by the caller. */
int cache_glue_publish(struct cache_glue *g, struct objcache *oc);

/** Control thread: free retired versions nobody can see. @return freed. */
unsigned cache_glue_reclaim(struct cache_glue *g);

/** Control thread, after the workers stopped: free everything. */
void cache_glue_fini(struct cache_glue *g);

#endif
