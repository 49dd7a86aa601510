/* SPDX-License-Identifier: BSD-3-Clause */
#include "dhcp_hold.h"

#include <errno.h>
#include <stdlib.h>

int dhcp_hold_init(struct dhcp_hold *h, uint32_t cap)
{
	if (cap == 0)
		return -EINVAL;
	h->slot = calloc(cap, sizeof(*h->slot));
	if (h->slot == NULL)
		return -ENOMEM;
	h->cap = cap;
	h->head = 0;
	h->n = 0;
	return 0;
}

void dhcp_hold_fini(struct dhcp_hold *h)
{
	free(h->slot);
	h->slot = NULL;
	h->cap = h->head = h->n = 0;
}

static uint32_t slot_at(const struct dhcp_hold *h, uint32_t i)
{
	/* head < cap and i <= n <= cap: no overflow, one subtraction wraps */
	uint32_t k = h->head + i;

	return k >= h->cap ? k - h->cap : k;
}

struct dhcp_held *dhcp_hold_next(struct dhcp_hold *h)
{
	if (dhcp_hold_full(h))
		return NULL;
	return &h->slot[slot_at(h, h->n)];
}

void dhcp_hold_push(struct dhcp_hold *h, uint64_t seq)
{
	struct dhcp_held *e = &h->slot[slot_at(h, h->n)];

	e->seq = seq;
	e->lost = false;
	h->n++;
}

struct dhcp_held *dhcp_hold_head(struct dhcp_hold *h)
{
	return h->n > 0 ? &h->slot[h->head] : NULL;
}

void dhcp_hold_pop(struct dhcp_hold *h)
{
	if (h->n == 0)
		return;
	h->head = slot_at(h, 1);
	h->n--;
}

bool dhcp_hold_lose(struct dhcp_hold *h, uint64_t seq)
{
	for (uint32_t i = h->n; i > 0; i--) {
		struct dhcp_held *e = &h->slot[slot_at(h, i - 1)];

		if (e->seq < seq)
			return false; /* sequence order: nothing older can match */
		if (e->seq == seq) {
			e->lost = true;
			return true;
		}
	}
	return false;
}
