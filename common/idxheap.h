/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file idxheap.h
 * An indexed binary min-heap of small integer ids ordered by a 64-bit key
 * (a deadline): the timer structure of every fast path. Ids are the slot
 * indices the owner already uses (a TFTP session, a TCP connection, an
 * HTTP slot), so an entry can be moved or removed in O(log n) without a
 * search, and "what is due" costs one comparison with the top.
 *
 * All memory is allocated by idx_heap_init() (not on the packet path);
 * nothing is allocated afterwards. One heap belongs to one lcore.
 */
#ifndef STP_IDXHEAP_H
#define STP_IDXHEAP_H

#include <stdbool.h>
#include <stdint.h>

#define IDX_HEAP_NONE UINT32_MAX

struct idx_heap {
	uint32_t *order;   /* [cap] ids in heap order, n used */
	uint32_t *pos;     /* [cap] by id: index into order, IDX_HEAP_NONE if absent */
	uint64_t *key;     /* [cap] by id: the key it is ordered by */
	uint32_t n, cap;
};

/** Allocate room for ids 0..cap-1. @return 0, or -ENOMEM / -EINVAL (cap 0). */
int idx_heap_init(struct idx_heap *h, uint32_t cap);

/** Free the arrays; the heap is empty and unusable until the next init. */
void idx_heap_fini(struct idx_heap *h);

/** Empty the heap: O(entries). For tests and harnesses that reuse one. */
void idx_heap_reset(struct idx_heap *h);

/** Insert @a id with @a key, or move it to @a key if present. @a id < cap. */
void idx_heap_set(struct idx_heap *h, uint32_t id, uint64_t key);

/** Take @a id out (no-op when absent). */
void idx_heap_remove(struct idx_heap *h, uint32_t id);

/** Remove and return the id with the smallest key; IDX_HEAP_NONE if empty. */
uint32_t idx_heap_pop(struct idx_heap *h);

static inline bool idx_heap_contains(const struct idx_heap *h, uint32_t id)
{
	return h->pos[id] != IDX_HEAP_NONE;
}

/** The smallest key, UINT64_MAX when empty. */
static inline uint64_t idx_heap_min(const struct idx_heap *h)
{
	return h->n > 0 ? h->key[h->order[0]] : UINT64_MAX;
}

/** The id with the smallest key, IDX_HEAP_NONE when empty. */
static inline uint32_t idx_heap_top(const struct idx_heap *h)
{
	return h->n > 0 ? h->order[0] : IDX_HEAP_NONE;
}

/** The key @a id is held at (meaningful only while it is present). */
static inline uint64_t idx_heap_key(const struct idx_heap *h, uint32_t id)
{
	return h->key[id];
}

#endif
