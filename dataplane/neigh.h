/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file neigh.h
 * A small per-lcore IPv4 -> MAC table, learnt from ARP and from the
 * source of every IPv4 frame that reaches us, so unicast replies to hosts
 * on the segment need no ARP round trip. Fixed size, no allocation;
 * old entries are simply overwritten (a miss costs one ARP, never a drop).
 */
#ifndef STP_NEIGH_H
#define STP_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "ipv4_addr.h"

#define NEIGH_SLOTS 1024 /* power of two */
#define NEIGH_PROBE 4    /* slots looked at per lookup */
#define NEIGH_TTL_S 300

struct neigh_entry {
	uint32_t ip;         /* 0 = empty */
	struct mac_addr mac;
	uint64_t seen;       /* unix seconds */
};

struct neigh_table {
	struct neigh_entry e[NEIGH_SLOTS];
	uint64_t learnt, replaced;
};

/** Record that @a ip is at @a mac (as of @a now). */
void neigh_learn(struct neigh_table *t, uint32_t ip, const struct mac_addr *mac,
		 uint64_t now);

/** Look up a fresh entry. @return true and @a mac filled when known. */
bool neigh_lookup(const struct neigh_table *t, uint32_t ip, uint64_t now,
		  struct mac_addr *mac);

#endif
