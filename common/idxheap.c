/* SPDX-License-Identifier: BSD-3-Clause */
#include "idxheap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int idx_heap_init(struct idx_heap *h, uint32_t cap)
{
	memset(h, 0, sizeof(*h));
	if (cap == 0 || cap == IDX_HEAP_NONE)
		return -EINVAL;
	h->order = calloc(cap, sizeof(*h->order));
	h->pos = malloc((size_t)cap * sizeof(*h->pos));
	h->key = calloc(cap, sizeof(*h->key));
	if (h->order == NULL || h->pos == NULL || h->key == NULL) {
		idx_heap_fini(h);
		return -ENOMEM;
	}
	memset(h->pos, 0xff, (size_t)cap * sizeof(*h->pos)); /* IDX_HEAP_NONE */
	h->cap = cap;
	return 0;
}

void idx_heap_fini(struct idx_heap *h)
{
	free(h->order);
	free(h->pos);
	free(h->key);
	memset(h, 0, sizeof(*h));
}

void idx_heap_reset(struct idx_heap *h)
{
	for (uint32_t at = 0; at < h->n; at++)
		h->pos[h->order[at]] = IDX_HEAP_NONE;
	h->n = 0;
}

static void place(struct idx_heap *h, uint32_t at, uint32_t id)
{
	h->order[at] = id;
	h->pos[id] = at;
}

/* Hole-moving sift: each level costs one store, not a swap. */
static void sift_up(struct idx_heap *h, uint32_t at)
{
	uint32_t id = h->order[at];
	uint64_t k = h->key[id];

	while (at > 0) {
		uint32_t parent = (at - 1) / 2;

		if (h->key[h->order[parent]] <= k)
			break;
		place(h, at, h->order[parent]);
		at = parent;
	}
	place(h, at, id);
}

static void sift_down(struct idx_heap *h, uint32_t at)
{
	uint32_t id = h->order[at];
	uint64_t k = h->key[id];

	for (;;) {
		uint32_t l = 2 * at + 1, m;

		if (l >= h->n)
			break;
		m = l;
		if (l + 1 < h->n && h->key[h->order[l + 1]] < h->key[h->order[l]])
			m = l + 1;
		if (h->key[h->order[m]] >= k)
			break;
		place(h, at, h->order[m]);
		at = m;
	}
	place(h, at, id);
}

void idx_heap_set(struct idx_heap *h, uint32_t id, uint64_t key)
{
	uint64_t old = h->key[id];

	h->key[id] = key;
	if (h->pos[id] == IDX_HEAP_NONE) {
		place(h, h->n++, id);
		sift_up(h, h->pos[id]);
	} else if (key < old) {
		sift_up(h, h->pos[id]);
	} else if (key > old) {
		sift_down(h, h->pos[id]);
	}
}

void idx_heap_remove(struct idx_heap *h, uint32_t id)
{
	uint32_t at = h->pos[id], last;

	if (at == IDX_HEAP_NONE)
		return;
	h->pos[id] = IDX_HEAP_NONE;
	last = h->order[--h->n];
	if (at == h->n)
		return;
	place(h, at, last);
	sift_up(h, at);
	sift_down(h, h->pos[last]);
}

uint32_t idx_heap_pop(struct idx_heap *h)
{
	uint32_t id = idx_heap_top(h);

	if (id != IDX_HEAP_NONE)
		idx_heap_remove(h, id);
	return id;
}
