/* SPDX-License-Identifier: BSD-3-Clause */
#include "idxhash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int idx_hash_init(struct idx_hash *h, uint32_t cap, uint32_t buckets, uint64_t seed)
{
	uint32_t nb = 16;

	memset(h, 0, sizeof(*h));
	if (cap == 0 || cap >= IDX_HASH_OUT || buckets > (1u << 31))
		return -EINVAL;
	while (nb < buckets)
		nb <<= 1;
	h->head = malloc((size_t)nb * sizeof(*h->head));
	h->ent = malloc((size_t)cap * sizeof(*h->ent));
	if (h->head == NULL || h->ent == NULL) {
		idx_hash_fini(h);
		return -ENOMEM;
	}
	h->seed = seed;
	h->mask = nb - 1;
	h->cap = cap;
	idx_hash_reset(h);
	return 0;
}

void idx_hash_fini(struct idx_hash *h)
{
	free(h->head);
	free(h->ent);
	memset(h, 0, sizeof(*h));
}

void idx_hash_reset(struct idx_hash *h)
{
	memset(h->head, 0xff, ((size_t)h->mask + 1) * sizeof(*h->head)); /* IDX_HASH_NONE */
	for (uint32_t i = 0; i < h->cap; i++)
		h->ent[i] = (struct idx_hash_ent){ .key = 0, .next = IDX_HASH_OUT };
}

void idx_hash_insert(struct idx_hash *h, uint32_t id, uint64_t key)
{
	uint32_t b = idx_hash_bucket(h, key);

	if (h->ent[id].next != IDX_HASH_OUT)
		idx_hash_remove(h, id);
	h->ent[id].key = key;
	h->ent[id].next = h->head[b];
	h->head[b] = id;
}

void idx_hash_remove(struct idx_hash *h, uint32_t id)
{
	uint32_t *link;

	if (h->ent[id].next == IDX_HASH_OUT)
		return;
	link = &h->head[idx_hash_bucket(h, h->ent[id].key)];
	while (*link != id)              /* present, so it is on this chain */
		link = &h->ent[*link].next;
	*link = h->ent[id].next;
	h->ent[id].next = IDX_HASH_OUT;
}
