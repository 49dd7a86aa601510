/* SPDX-License-Identifier: BSD-3-Clause */
#include "cache_glue.h"

#include <stdio.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

static void *huge_alloc(void *ctx, size_t size, size_t align)
{
	int socket = (int)(intptr_t)ctx;

	return rte_malloc_socket("objcache", size, (unsigned)RTE_MAX(align, (size_t)64),
				 socket);
}

static void huge_free(void *ctx, void *p)
{
	(void)ctx;
	rte_free(p);
}

static struct cache_version *version_new(struct cache_glue *g, struct objcache *oc)
{
	struct cache_version *v = rte_zmalloc("cache_version", sizeof(*v), 0);

	if (v == NULL)
		return NULL;
	v->oc = oc;
	v->gen = g->next_gen++;
	return v;
}

int cache_glue_init(struct cache_glue *g, const char *root, uint64_t max_bytes,
		    const uint16_t *blksizes, unsigned n_blksizes, int socket,
		    char *err, size_t errlen)
{
	struct objcache *oc;
	size_t qs_size = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);

	memset(g, 0, sizeof(*g));
	g->alloc = (struct objcache_alloc){ huge_alloc, huge_free, (void *)(intptr_t)socket };
	g->root = root;
	g->max_bytes = max_bytes;
	g->n_blksizes = RTE_MIN(n_blksizes, (unsigned)OBJ_MAX_CSUM_SIZES);
	memcpy(g->blksizes, blksizes, g->n_blksizes * sizeof(blksizes[0]));
	g->next_gen = 1;
	g->qs = rte_zmalloc_socket("cache_rcu", qs_size, RTE_CACHE_LINE_SIZE, socket);
	g->pins = rte_zmalloc_socket("cache_pins", sizeof(*g->pins) * RTE_MAX_LCORE,
				     RTE_CACHE_LINE_SIZE, socket);
	if (g->qs == NULL || g->pins == NULL || rte_rcu_qsbr_init(g->qs, RTE_MAX_LCORE) != 0) {
		snprintf(err, errlen, "cache: out of DPDK memory for RCU state");
		goto err_free;
	}
	for (unsigned i = 0; i < RTE_MAX_LCORE; i++)
		g->pins[i].oldest = UINT64_MAX;
	if (objcache_build(root, max_bytes, g->blksizes, g->n_blksizes, &g->alloc, &oc,
			   err, errlen) != 0)
		goto err_free;
	g->current = version_new(g, oc);
	if (g->current == NULL) {
		objcache_free(oc);
		snprintf(err, errlen, "cache: out of DPDK memory");
		goto err_free;
	}
	return 0;

err_free:
	rte_free(g->pins);
	rte_free(g->qs);
	g->pins = NULL;
	g->qs = NULL;
	return -1;
}

void cache_glue_worker_online(struct cache_glue *g, unsigned lcore)
{
	rte_rcu_qsbr_thread_register(g->qs, lcore);
	rte_rcu_qsbr_thread_online(g->qs, lcore);
}

void cache_glue_worker_offline(struct cache_glue *g, unsigned lcore)
{
	rte_rcu_qsbr_thread_offline(g->qs, lcore);
	rte_rcu_qsbr_thread_unregister(g->qs, lcore);
}

static void pins_update_oldest(struct cache_pins *p)
{
	uint64_t oldest = UINT64_MAX;

	for (unsigned i = 0; i < CACHE_PIN_SLOTS; i++)
		if (p->n[i] > 0 && p->gen[i] < oldest)
			oldest = p->gen[i];
	/* Release: control must not see the new minimum before the counts. */
	__atomic_store_n(&p->oldest, oldest, __ATOMIC_RELEASE);
}

uint64_t cache_glue_pin(struct cache_glue *g, unsigned lcore, uint64_t gen)
{
	struct cache_pins *p = &g->pins[lcore];
	int free_slot = -1, oldest = 0;

	for (unsigned i = 0; i < CACHE_PIN_SLOTS; i++) {
		if (p->n[i] > 0 && p->gen[i] == gen) {
			p->n[i]++;
			return gen;
		}
		if (p->n[i] == 0 && free_slot < 0)
			free_slot = (int)i;
		if (p->n[i] > 0 && p->gen[i] < p->gen[oldest])
			oldest = (int)i;
	}
	if (free_slot < 0) {
		__atomic_store_n(&p->wide[oldest], 1, __ATOMIC_RELEASE);
		p->n[oldest]++;
		return p->gen[oldest];
	}
	p->gen[free_slot] = gen;
	p->wide[free_slot] = 0;
	p->n[free_slot] = 1;
	pins_update_oldest(p);
	return gen;
}

/* The slot of @a p holding a pin on @a gen, or -1. */
static int pin_slot(const struct cache_pins *p, uint64_t gen)
{
	for (unsigned i = 0; i < CACHE_PIN_SLOTS; i++)
		if (p->n[i] > 0 && p->gen[i] == gen)
			return (int)i;
	return -1;
}

void cache_glue_widen(struct cache_glue *g, unsigned lcore, uint64_t gen)
{
	struct cache_pins *p = &g->pins[lcore];
	int i = pin_slot(p, gen);

	if (i >= 0)
		__atomic_store_n(&p->wide[i], 1, __ATOMIC_RELEASE);
}

void cache_glue_unpin(struct cache_glue *g, unsigned lcore, uint64_t gen)
{
	struct cache_pins *p = &g->pins[lcore];
	int i = pin_slot(p, gen);

	if (i >= 0 && --p->n[i] == 0)
		pins_update_oldest(p);
}

int cache_glue_publish(struct cache_glue *g, struct objcache *oc)
{
	struct cache_version *v, *old;

	if (g->n_retired == CACHE_MAX_RETIRED) {
		cache_glue_reclaim(g);
		if (g->n_retired == CACHE_MAX_RETIRED)
			return -1; /* transfers still pin every retired slot */
	}
	v = version_new(g, oc);
	if (v == NULL)
		return -1;
	old = g->current;
	__atomic_store_n(&g->current, v, __ATOMIC_RELEASE);
	g->retired[g->n_retired].v = old;
	g->retired[g->n_retired].token = rte_rcu_qsbr_start(g->qs);
	g->n_retired++;
	return 0;
}

/*
 * Is version @a gen itself pinned by a transfer? Exactly that version: a
 * long download pinning an old version must not keep every newer one
 * retired, or in a storm of long downloads control could not publish a
 * script for as long as they overlap (a host whose job is done would be
 * handed its deploy script again). A wide slot (cache_glue_pin()) holds
 * every version from its own on. The RCU check before this one means no
 * worker can pin @a gen any more, so its counts only fall while we read,
 * and a slot reused for a newer version cannot hide it.
 */
static bool pinned_anywhere(const struct cache_glue *g, uint64_t gen)
{
	for (unsigned i = 0; i < RTE_MAX_LCORE; i++) {
		const struct cache_pins *p = &g->pins[i];

		if (__atomic_load_n(&p->oldest, __ATOMIC_ACQUIRE) > gen)
			continue;
		for (unsigned k = 0; k < CACHE_PIN_SLOTS; k++) {
			uint64_t pg;

			if (__atomic_load_n(&p->n[k], __ATOMIC_ACQUIRE) == 0)
				continue;
			pg = __atomic_load_n(&p->gen[k], __ATOMIC_ACQUIRE);
			if (pg == gen || (pg < gen && __atomic_load_n(&p->wide[k], __ATOMIC_ACQUIRE)))
				return true;
		}
	}
	return false;
}

unsigned cache_glue_reclaim(struct cache_glue *g)
{
	unsigned freed = 0, kept = 0;

	for (unsigned i = 0; i < g->n_retired; i++) {
		struct cache_retired r = g->retired[i];

		if (rte_rcu_qsbr_check(g->qs, r.token, false) == 1 &&
		    !pinned_anywhere(g, r.v->gen)) {
			objcache_free(r.v->oc);
			rte_free(r.v);
			freed++;
		} else {
			g->retired[kept++] = r;
		}
	}
	g->n_retired = kept;
	return freed;
}

void cache_glue_fini(struct cache_glue *g)
{
	for (unsigned i = 0; i < g->n_retired; i++) {
		objcache_free(g->retired[i].v->oc);
		rte_free(g->retired[i].v);
	}
	g->n_retired = 0;
	if (g->current != NULL) {
		objcache_free(g->current->oc);
		rte_free(g->current);
		g->current = NULL;
	}
	rte_free(g->pins);
	rte_free(g->qs);
}
