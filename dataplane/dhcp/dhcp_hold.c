/* SPDX-License-Identifier: BSD-3-Clause */
#include "dhcp_hold.h"

#include <errno.h>
#include <stdlib.h>

int dhcp_hold_init(struct dhcp_hold *h, uint32_t cap)
{
	if (cap == 0)
		return -EINVAL;
	h->slot = calloc(cap, sizeof(*h->slot));
	h->order = calloc(cap, sizeof(*h->order));
	h->free = calloc(cap, sizeof(*h->free));
	if (h->slot == NULL || h->order == NULL || h->free == NULL) {
		dhcp_hold_fini(h);
		return -ENOMEM;
	}
	h->cap = cap;
	h->head = 0;
	h->n = 0;
	/* slot 0 on top: the first replies use the first slots */
	for (uint32_t i = 0; i < cap; i++)
		h->free[i] = cap - 1 - i;
	h->n_free = cap;
	return 0;
}

void dhcp_hold_fini(struct dhcp_hold *h)
{
	free(h->slot);
	free(h->order);
	free(h->free);
	h->slot = NULL;
	h->order = h->free = NULL;
	h->cap = h->head = h->n = h->n_free = 0;
}

static uint32_t order_at(const struct dhcp_hold *h, uint32_t i)
{
	/* head < cap and i <= n <= cap: no overflow, one subtraction wraps */
	uint32_t k = h->head + i;

	return k >= h->cap ? k - h->cap : k;
}

struct dhcp_held *dhcp_hold_next(struct dhcp_hold *h)
{
	if (dhcp_hold_full(h))
		return NULL;
	return &h->slot[h->free[h->n_free - 1]];
}

void dhcp_hold_push(struct dhcp_hold *h, uint64_t seq)
{
	uint32_t idx = h->free[--h->n_free];
	struct dhcp_held *e = &h->slot[idx];

	e->seq = seq;
	e->lost = false;
	h->order[order_at(h, h->n)] = idx;
	h->n++;
}

struct dhcp_held *dhcp_hold_head(struct dhcp_hold *h)
{
	return h->n > 0 ? &h->slot[h->order[h->head]] : NULL;
}

void dhcp_hold_pop(struct dhcp_hold *h)
{
	if (h->n == 0)
		return;
	h->free[h->n_free++] = h->order[h->head];
	h->head = order_at(h, 1);
	h->n--;
}

bool dhcp_hold_lose(struct dhcp_hold *h, uint64_t seq)
{
	for (uint32_t i = h->n; i > 0; i--) {
		struct dhcp_held *e = &h->slot[h->order[order_at(h, i - 1)]];

		if (e->seq < seq)
			return false; /* sequence order: nothing older can match */
		if (e->seq == seq) {
			e->lost = true;
			return true;
		}
	}
	return false;
}
