/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dhcp_hold.h
 * Replies that wait until the lease event they announce is persisted
 * (docs/design.md, "Leases: persisted before acknowledged"): a FIFO of
 * fixed slots, each holding one whole built reply and the sequence number
 * of its lease event. Replies are queued in sequence order, so the head is
 * both the oldest reply and the lowest sequence number, and releasing what
 * a watermark covers only ever looks at the head.
 *
 * The FIFO is one of slot numbers; free slots are a stack, so the next
 * reply is built in the slot freed last, whose cache lines are still warm
 * (walking all the slots in turn would write every reply into cold
 * memory: ~1,500 cycles an ACK).
 *
 * All-zero is the empty state; dhcp_hold_init() allocates the slots once,
 * before the packet path runs. Owned by the lcore that owns the DHCP server.
 */
#ifndef STP_DHCP_HOLD_H
#define STP_DHCP_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "dhcp_server.h"
#include "dhcp_wire.h"

/** The largest reply a slot keeps: a whole Ethernet MTU's UDP payload. */
#define DHCP_HOLD_REPLY_MAX (DHCP_ETH_MTU - DHCP_IP_UDP_HDR_LEN)

/** One reply waiting for its lease event to be persisted. */
struct dhcp_held {
	uint64_t seq;             /* the lease event's sequence number */
	bool lost;                /* its event never reached the store: never send */
	struct dhcp_tx tx;        /* addressing and length; tx.buf is buf */
	uint8_t buf[DHCP_HOLD_REPLY_MAX];
};

struct dhcp_hold {
	struct dhcp_held *slot;   /* cap slots */
	uint32_t *order;          /* cap: FIFO of slot numbers, n from head */
	uint32_t *free;           /* cap: stack of free slot numbers, n_free */
	uint32_t cap, head, n, n_free;
};

/** Allocate @a cap slots. 0 or -ENOMEM / -EINVAL. Not on the packet path. */
int dhcp_hold_init(struct dhcp_hold *h, uint32_t cap);
void dhcp_hold_fini(struct dhcp_hold *h);

static inline bool dhcp_hold_full(const struct dhcp_hold *h)
{
	return h->n >= h->cap;
}

/**
 * The slot the next reply is built in, or NULL when the FIFO is full. It
 * stays the caller's scratch until dhcp_hold_push() queues it; not pushing
 * it simply leaves it free.
 */
struct dhcp_held *dhcp_hold_next(struct dhcp_hold *h);

/**
 * Queue the slot dhcp_hold_next() returned, for lease event @a seq (never
 * below the previous push's).
 */
void dhcp_hold_push(struct dhcp_hold *h, uint64_t seq);

/** The oldest queued reply, or NULL. Valid until the next pop or push. */
struct dhcp_held *dhcp_hold_head(struct dhcp_hold *h);

/** Drop the head. */
void dhcp_hold_pop(struct dhcp_hold *h);

/**
 * Mark the reply held for @a seq lost (its event never reached the store,
 * so no watermark will ever truly cover it). Walks back from the newest
 * reply and stops below @a seq: the lost events are always recent ones.
 * @return true when a reply was held for @a seq.
 */
bool dhcp_hold_lose(struct dhcp_hold *h, uint64_t seq);

#endif
