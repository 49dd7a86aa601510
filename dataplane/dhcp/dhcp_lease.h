/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dhcp_lease.h
 * Address pools and the lease table (RFC 2131 sec 4.3.1 address choice).
 *
 * Per pool: an array of leases indexed by ip - first, an open-addressed
 * MAC -> index hash (linear probing, backward-shift delete) and a min-heap
 * of touched addresses keyed by `expires`, so "the longest-expired free
 * address" is the heap top. Never-used addresses are handed out first in
 * address order by a cursor that only moves forward.
 *
 * Expiry is lazy: nothing runs on a timer; a lease whose `expires` is at
 * or before `now` is free but still remembers its MAC, so a returning
 * client gets its old address as long as no one else took it.
 *
 * Static reservations (cfg->hosts) live in their own MAC hash; their
 * addresses are marked in the pool array and never given to anyone else.
 *
 * All-zero memory is the empty state: tables come from calloc once, in
 * dhcp_leases_init(); nothing allocates afterwards.
 */
#ifndef STP_DHCP_LEASE_H
#define STP_DHCP_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ipv4_addr.h"

/** Largest pool range we build tables for (a /8 worth of addresses). */
#define DHCP_POOL_MAX_ADDRS (1u << 24)

enum dhcp_lease_state {
	DHCP_LEASE_FREE = 0,     /* never used, released, or a MAC's memory */
	DHCP_LEASE_OFFERED = 1,  /* held for an OFFER until expires */
	DHCP_LEASE_BOUND = 2,    /* ACKed until expires */
	DHCP_LEASE_DECLINED = 3, /* quarantined until expires, no owner */
};

/** One address. 24 bytes; zero = never used. */
struct dhcp_lease {
	uint64_t expires;        /* unix seconds; release time when FREE */
	uint32_t heap_pos;       /* index in the pool heap + 1, 0 = not in it */
	struct mac_addr mac;     /* valid when has_mac */
	uint8_t state;           /* enum dhcp_lease_state */
	uint8_t flags;           /* DHCP_LEASE_F_* */
};

#define DHCP_LEASE_F_HAS_MAC 1u   /* mac is the owner or the memory */
#define DHCP_LEASE_F_BLOCKED 2u   /* reservation, server, router: not dynamic */

struct dhcp_pool_tab {
	const struct cfg_pool *cfg;
	uint32_t size;           /* last - first + 1 */
	uint32_t fresh;          /* below: no never-used address */
	uint32_t heap_n;
	uint32_t hash_mask;      /* hash slots - 1 (power of two) */
	struct dhcp_lease *lease;
	uint32_t *heap;          /* lease indexes, min expires first */
	uint32_t *hash;          /* lease index + 1, 0 = empty slot */
};

struct dhcp_leases {
	const struct stp_config *cfg;
	unsigned n_pools;
	struct dhcp_pool_tab pools[CFG_MAX_POOLS];
	uint32_t res_mask;
	uint32_t *res_hash;      /* cfg->hosts index + 1, 0 = empty */
};

/** Who an address belongs to, as far as one MAC is concerned. */
enum dhcp_lease_owner {
	DHCP_OWN_MINE,           /* reserved for, held by or remembered for mac */
	DHCP_OWN_OTHER,          /* reserved for or held by someone else */
	DHCP_OWN_UNKNOWN,        /* in the pool subnet, no record of anyone */
	DHCP_OWN_OUTSIDE,        /* not in the pool's subnet */
};

/** Allocate the tables for @a cfg. 0 or -ENOMEM / -EINVAL. Not packet path. */
int dhcp_leases_init(struct dhcp_leases *l, const struct stp_config *cfg);
void dhcp_leases_fini(struct dhcp_leases *l);

/** Index of the pool whose subnet contains @a addr, or -1. */
int dhcp_leases_pool_for(const struct dhcp_leases *l, uint32_t addr);

/** The reservation of @a mac inside pool @a pool's subnet, or NULL. */
const struct cfg_host *dhcp_leases_reservation(const struct dhcp_leases *l,
					       int pool,
					       const struct mac_addr *mac);

/**
 * Pick the address to offer @a mac in @a pool and hold it until
 * now + @a hold (RFC 2131 sec 4.3.1: the reservation, else the client's
 * current or previous address, else the address it asked for in option 50
 * (@a requested, 0 for none) when that one is free and nobody's memory,
 * else a never-used one, else the longest-expired one). A live binding
 * keeps its longer expiry.
 * @return 0 and @a ip, or -ENOSPC when the pool is exhausted.
 */
int dhcp_leases_offer(struct dhcp_leases *l, int pool, const struct mac_addr *mac,
		      uint32_t requested, uint64_t now, unsigned hold, uint32_t *ip);

/** Whose is @a ip, seen from @a mac (lazy expiry against @a now)? */
enum dhcp_lease_owner dhcp_leases_owner(const struct dhcp_leases *l, int pool,
					const struct mac_addr *mac, uint32_t ip,
					uint64_t now);

/**
 * Bind @a ip to @a mac until @a expires. The caller checked
 * dhcp_leases_owner() == DHCP_OWN_MINE or DHCP_OWN_UNKNOWN.
 * Reserved addresses keep no state and always succeed.
 * @return 0, or -EBUSY when the address is someone else's.
 */
int dhcp_leases_bind(struct dhcp_leases *l, int pool, const struct mac_addr *mac,
		     uint32_t ip, uint64_t now, uint64_t expires);

/** RELEASE (RFC 2131 sec 4.3.4): free, MAC remembered. 0 or -ENOENT. */
int dhcp_leases_release(struct dhcp_leases *l, int pool,
			const struct mac_addr *mac, uint32_t ip, uint64_t now);

/** DECLINE (sec 4.3.3): quarantine until @a until, owner forgotten. */
int dhcp_leases_decline(struct dhcp_leases *l, int pool,
			const struct mac_addr *mac, uint32_t ip, uint64_t now,
			uint64_t until);

/** Drop @a mac's pending OFFER hold (it chose another server). */
void dhcp_leases_cancel_offer(struct dhcp_leases *l, int pool,
			      const struct mac_addr *mac, uint64_t now);

/** See dhcp_server_restore(). */
int dhcp_leases_restore(struct dhcp_leases *l, const struct mac_addr *mac,
			uint32_t ip, uint64_t expires, uint64_t now);

/** The lease record of @a ip in @a pool, or NULL outside the range. */
const struct dhcp_lease *dhcp_leases_get(const struct dhcp_leases *l, int pool,
					 uint32_t ip);

#endif
