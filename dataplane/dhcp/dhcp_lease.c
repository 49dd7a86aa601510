/* SPDX-License-Identifier: BSD-3-Clause */
#include "dhcp_lease.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

#define NO_IDX UINT32_MAX

static bool mac_eq(const struct mac_addr *a, const struct mac_addr *b)
{
	return memcmp(a->b, b->b, STP_MAC_LEN) == 0;
}

/* 48-bit MAC through a 64-bit mixer: vendors share the top 24 bits. */
static uint32_t mac_hash(const struct mac_addr *m)
{
	uint64_t x = 0;

	for (int i = 0; i < STP_MAC_LEN; i++)
		x = x << 8 | m->b[i];
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (uint32_t)x;
}

static uint32_t pow2_slots(uint64_t entries)
{
	uint32_t n = 16;

	while (n < 2 * entries)
		n <<= 1;
	return n;
}

static bool lease_has(const struct dhcp_lease *e, const struct mac_addr *mac)
{
	return (e->flags & DHCP_LEASE_F_HAS_MAC) && mac_eq(&e->mac, mac);
}

/* Held right now: OFFER hold, binding or quarantine not yet over. */
static bool lease_active(const struct dhcp_lease *e, uint64_t now)
{
	return e->state != DHCP_LEASE_FREE && e->expires > now;
}

/* ---- MAC hash of one pool: linear probing over lease indexes ---------- */

static uint32_t hash_find(const struct dhcp_pool_tab *pt, const struct mac_addr *mac)
{
	uint32_t i = mac_hash(mac) & pt->hash_mask;

	/* load <= 1/2, so an empty slot always ends the probe */
	while (pt->hash[i] != 0) {
		uint32_t idx = pt->hash[i] - 1;

		if (mac_eq(&pt->lease[idx].mac, mac))
			return idx;
		i = (i + 1) & pt->hash_mask;
	}
	return NO_IDX;
}

static void hash_insert(struct dhcp_pool_tab *pt, uint32_t idx)
{
	uint32_t i = mac_hash(&pt->lease[idx].mac) & pt->hash_mask;

	while (pt->hash[i] != 0)
		i = (i + 1) & pt->hash_mask;
	pt->hash[i] = idx + 1;
}

/* Backward-shift delete keeps every probe chain unbroken, no tombstones. */
static void hash_erase(struct dhcp_pool_tab *pt, uint32_t idx)
{
	uint32_t mask = pt->hash_mask;
	uint32_t i = mac_hash(&pt->lease[idx].mac) & mask;
	uint32_t j;

	while (pt->hash[i] != idx + 1) {
		if (pt->hash[i] == 0)
			return;
		i = (i + 1) & mask;
	}
	for (j = (i + 1) & mask; pt->hash[j] != 0; j = (j + 1) & mask) {
		uint32_t home = mac_hash(&pt->lease[pt->hash[j] - 1].mac) & mask;

		/* move j into the hole unless its home lies cyclically in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			pt->hash[i] = pt->hash[j];
			i = j;
		}
	}
	pt->hash[i] = 0;
}

/* ---- min-heap of touched leases, keyed by expires ---------------------- */

static uint64_t heap_key(const struct dhcp_pool_tab *pt, uint32_t pos)
{
	return pt->lease[pt->heap[pos]].expires;
}

static void heap_set(struct dhcp_pool_tab *pt, uint32_t pos, uint32_t idx)
{
	pt->heap[pos] = idx;
	pt->lease[idx].heap_pos = pos + 1;
}

static void heap_swap(struct dhcp_pool_tab *pt, uint32_t a, uint32_t b)
{
	uint32_t ia = pt->heap[a];

	heap_set(pt, a, pt->heap[b]);
	heap_set(pt, b, ia);
}

static void heap_fix(struct dhcp_pool_tab *pt, uint32_t pos)
{
	while (pos > 0 && heap_key(pt, (pos - 1) / 2) > heap_key(pt, pos)) {
		heap_swap(pt, pos, (pos - 1) / 2);
		pos = (pos - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * pos + 1, r = l + 1, min = pos;

		if (l < pt->heap_n && heap_key(pt, l) < heap_key(pt, min))
			min = l;
		if (r < pt->heap_n && heap_key(pt, r) < heap_key(pt, min))
			min = r;
		if (min == pos)
			return;
		heap_swap(pt, pos, min);
		pos = min;
	}
}

/* Insert or reorder after lease[idx].expires changed. */
static void heap_touch(struct dhcp_pool_tab *pt, uint32_t idx)
{
	if (pt->lease[idx].heap_pos == 0)
		heap_set(pt, pt->heap_n++, idx);
	heap_fix(pt, pt->lease[idx].heap_pos - 1);
}

/* ---- lease records ------------------------------------------------------ */

static void set_expiry(struct dhcp_pool_tab *pt, uint32_t idx, uint8_t state,
		       uint64_t expires)
{
	pt->lease[idx].state = state;
	pt->lease[idx].expires = expires;
	heap_touch(pt, idx);
}

/* Forget the MAC of lease idx; a live hold of it ends now. */
static void forget_mac(struct dhcp_pool_tab *pt, uint32_t idx, uint64_t now)
{
	struct dhcp_lease *e = &pt->lease[idx];

	if (!(e->flags & DHCP_LEASE_F_HAS_MAC))
		return;
	hash_erase(pt, idx);
	e->flags &= (uint8_t)~DHCP_LEASE_F_HAS_MAC;
	if (e->state == DHCP_LEASE_OFFERED || e->state == DHCP_LEASE_BOUND)
		set_expiry(pt, idx, DHCP_LEASE_FREE, STP_MIN(e->expires, now));
}

/* Give lease idx to mac: the previous owner's memory and mac's other one go. */
static void assign(struct dhcp_pool_tab *pt, uint32_t idx, const struct mac_addr *mac,
		   uint8_t state, uint64_t expires, uint64_t now)
{
	struct dhcp_lease *e = &pt->lease[idx];

	if (!lease_has(e, mac)) {
		uint32_t old = hash_find(pt, mac);

		if (old != NO_IDX)
			forget_mac(pt, old, now);
		forget_mac(pt, idx, now);
		e->mac = *mac;
		e->flags |= DHCP_LEASE_F_HAS_MAC;
		hash_insert(pt, idx);
	}
	set_expiry(pt, idx, state, expires);
}

/* Next never-used address: the cursor skips what was touched or blocked. */
static uint32_t fresh_next(struct dhcp_pool_tab *pt)
{
	while (pt->fresh < pt->size &&
	       (pt->lease[pt->fresh].heap_pos != 0 ||
		(pt->lease[pt->fresh].flags & DHCP_LEASE_F_BLOCKED)))
		pt->fresh++;
	return pt->fresh < pt->size ? pt->fresh : NO_IDX;
}

static uint32_t pool_idx(const struct dhcp_pool_tab *pt, uint32_t ip)
{
	if (pt->size == 0 || ip < pt->cfg->first || ip - pt->cfg->first >= pt->size)
		return NO_IDX;
	return ip - pt->cfg->first;
}

/* ---- reservations -------------------------------------------------------- */

static int res_find(const struct dhcp_leases *l, const struct mac_addr *mac)
{
	uint32_t i = mac_hash(mac) & l->res_mask;

	while (l->res_hash[i] != 0) {
		uint32_t h = l->res_hash[i] - 1;

		if (mac_eq(&l->cfg->hosts[h].mac, mac))
			return (int)h;
		i = (i + 1) & l->res_mask;
	}
	return -1;
}

const struct cfg_host *dhcp_leases_reservation(const struct dhcp_leases *l,
					       int pool,
					       const struct mac_addr *mac)
{
	const struct cfg_pool *pc = l->pools[pool].cfg;
	int h = res_find(l, mac);

	if (h < 0 || !ipv4_same_subnet(l->cfg->hosts[h].ip, pc->subnet, pc->prefix_len))
		return NULL;
	return &l->cfg->hosts[h];
}

static void block(struct dhcp_leases *l, uint32_t ip)
{
	for (unsigned p = 0; p < l->n_pools; p++) {
		uint32_t idx = pool_idx(&l->pools[p], ip);

		if (idx != NO_IDX)
			l->pools[p].lease[idx].flags |= DHCP_LEASE_F_BLOCKED;
	}
}

static int res_init(struct dhcp_leases *l)
{
	const struct stp_config *cfg = l->cfg;

	l->res_mask = pow2_slots(cfg->n_hosts) - 1;
	l->res_hash = calloc((size_t)l->res_mask + 1, sizeof(*l->res_hash));
	if (l->res_hash == NULL)
		return -ENOMEM;
	for (unsigned h = 0; h < cfg->n_hosts && h < CFG_MAX_HOSTS; h++) {
		uint32_t i = mac_hash(&cfg->hosts[h].mac) & l->res_mask;

		block(l, cfg->hosts[h].ip);
		if (res_find(l, &cfg->hosts[h].mac) >= 0)
			continue; /* duplicate MAC: the first one wins */
		while (l->res_hash[i] != 0)
			i = (i + 1) & l->res_mask;
		l->res_hash[i] = h + 1;
	}
	return 0;
}

/* ---- setup ---------------------------------------------------------------- */

static int pool_init(struct dhcp_pool_tab *pt, const struct cfg_pool *pc)
{
	uint64_t size;

	pt->cfg = pc;
	if (pc->last < pc->first)
		return -EINVAL;
	size = (uint64_t)pc->last - pc->first + 1;
	if (size > DHCP_POOL_MAX_ADDRS)
		return -EINVAL;
	pt->size = (uint32_t)size;
	pt->hash_mask = pow2_slots(size) - 1;
	/* calloc: zero is the empty state, untouched pages stay unbacked */
	pt->lease = calloc(size, sizeof(*pt->lease));
	pt->heap = calloc(size, sizeof(*pt->heap));
	pt->hash = calloc((size_t)pt->hash_mask + 1, sizeof(*pt->hash));
	if (pt->lease == NULL || pt->heap == NULL || pt->hash == NULL)
		return -ENOMEM;
	return 0;
}

int dhcp_leases_init(struct dhcp_leases *l, const struct stp_config *cfg)
{
	int rc;

	memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	for (unsigned p = 0; p < cfg->dhcp.n_pools && p < CFG_MAX_POOLS; p++) {
		l->n_pools = p + 1;
		rc = pool_init(&l->pools[p], &cfg->dhcp.pools[p]);
		if (rc < 0)
			goto err_free_tables;
	}
	rc = res_init(l);
	if (rc < 0)
		goto err_free_tables;
	/* never hand out the server's own address, routers, net/broadcast */
	block(l, cfg->port.addr);
	for (unsigned p = 0; p < l->n_pools; p++) {
		const struct cfg_pool *pc = l->pools[p].cfg;
		uint32_t mask = ipv4_prefix_mask(pc->prefix_len);

		if (pc->router != 0)
			block(l, pc->router);
		if (pc->prefix_len < 31) {
			block(l, pc->subnet & mask);
			block(l, pc->subnet | ~mask);
		}
	}
	return 0;

err_free_tables:
	dhcp_leases_fini(l);
	return rc;
}

void dhcp_leases_fini(struct dhcp_leases *l)
{
	for (unsigned p = 0; p < l->n_pools; p++) {
		free(l->pools[p].lease);
		free(l->pools[p].heap);
		free(l->pools[p].hash);
	}
	free(l->res_hash);
	memset(l, 0, sizeof(*l));
}

int dhcp_leases_pool_for(const struct dhcp_leases *l, uint32_t addr)
{
	for (unsigned p = 0; p < l->n_pools; p++) {
		const struct cfg_pool *pc = l->pools[p].cfg;

		if (ipv4_same_subnet(addr, pc->subnet, pc->prefix_len))
			return (int)p;
	}
	return -1;
}

/* ---- the protocol operations --------------------------------------------- */

/* The client's option 50 choice, when it is in the pool, dynamic, not
 * held and not remembered as another client's previous address (that
 * client's claim to it is worth more than this client's wish). */
static uint32_t requested_idx(const struct dhcp_pool_tab *pt, uint32_t requested,
			      uint64_t now)
{
	uint32_t idx = requested ? pool_idx(pt, requested) : NO_IDX;
	const struct dhcp_lease *e;

	if (idx == NO_IDX)
		return NO_IDX;
	e = &pt->lease[idx];
	if ((e->flags & (DHCP_LEASE_F_BLOCKED | DHCP_LEASE_F_HAS_MAC)) || lease_active(e, now))
		return NO_IDX;
	return idx;
}

int dhcp_leases_offer(struct dhcp_leases *l, int pool, const struct mac_addr *mac,
		      uint32_t requested, uint64_t now, unsigned hold, uint32_t *ip)
{
	struct dhcp_pool_tab *pt = &l->pools[pool];
	const struct cfg_host *host = dhcp_leases_reservation(l, pool, mac);
	uint32_t idx;

	if (host != NULL) {
		*ip = host->ip; /* reservations keep no state */
		return 0;
	}
	idx = hash_find(pt, mac);
	if (idx != NO_IDX) {
		struct dhcp_lease *e = &pt->lease[idx];

		/* a live binding stays bound and never gets shorter */
		if (!lease_active(e, now))
			set_expiry(pt, idx, DHCP_LEASE_OFFERED, now + hold);
		else if (e->expires < now + hold)
			set_expiry(pt, idx, e->state, now + hold);
		*ip = pt->cfg->first + idx;
		return 0;
	}
	idx = requested_idx(pt, requested, now);
	if (idx == NO_IDX)
		idx = fresh_next(pt);
	if (idx == NO_IDX && pt->heap_n > 0 && heap_key(pt, 0) <= now)
		idx = pt->heap[0]; /* the longest-expired free address */
	if (idx == NO_IDX)
		return -ENOSPC;
	assign(pt, idx, mac, DHCP_LEASE_OFFERED, now + hold, now);
	*ip = pt->cfg->first + idx;
	return 0;
}

enum dhcp_lease_owner dhcp_leases_owner(const struct dhcp_leases *l, int pool,
					const struct mac_addr *mac, uint32_t ip,
					uint64_t now)
{
	const struct dhcp_pool_tab *pt = &l->pools[pool];
	const struct cfg_host *host = dhcp_leases_reservation(l, pool, mac);
	uint32_t idx = pool_idx(pt, ip);
	const struct dhcp_lease *e;

	if (!ipv4_same_subnet(ip, pt->cfg->subnet, pt->cfg->prefix_len))
		return DHCP_OWN_OUTSIDE;
	if (host != NULL)
		return host->ip == ip ? DHCP_OWN_MINE : DHCP_OWN_OTHER;
	if (idx == NO_IDX)
		return hash_find(pt, mac) != NO_IDX ? DHCP_OWN_OTHER : DHCP_OWN_UNKNOWN;
	e = &pt->lease[idx];
	if (e->flags & DHCP_LEASE_F_BLOCKED)
		return DHCP_OWN_OTHER;
	if (lease_has(e, mac))
		return DHCP_OWN_MINE;
	/* someone holds it, or we know this client by another address */
	if (lease_active(e, now) || hash_find(pt, mac) != NO_IDX)
		return DHCP_OWN_OTHER;
	return DHCP_OWN_UNKNOWN;
}

int dhcp_leases_bind(struct dhcp_leases *l, int pool, const struct mac_addr *mac,
		     uint32_t ip, uint64_t now, uint64_t expires)
{
	struct dhcp_pool_tab *pt = &l->pools[pool];
	const struct cfg_host *host = dhcp_leases_reservation(l, pool, mac);
	uint32_t idx = pool_idx(pt, ip);
	const struct dhcp_lease *e;

	if (host != NULL)
		return host->ip == ip ? 0 : -EBUSY;
	if (idx == NO_IDX)
		return -EBUSY;
	e = &pt->lease[idx];
	if ((e->flags & DHCP_LEASE_F_BLOCKED) ||
	    (lease_active(e, now) && !lease_has(e, mac)))
		return -EBUSY;
	assign(pt, idx, mac, DHCP_LEASE_BOUND, expires, now);
	return 0;
}

/* The lease index of ip when mac owns or remembers it, else NO_IDX. */
static uint32_t owned_idx(const struct dhcp_pool_tab *pt, const struct mac_addr *mac,
			  uint32_t ip)
{
	uint32_t idx = pool_idx(pt, ip);

	if (idx == NO_IDX || !lease_has(&pt->lease[idx], mac))
		return NO_IDX;
	return idx;
}

int dhcp_leases_release(struct dhcp_leases *l, int pool,
			const struct mac_addr *mac, uint32_t ip, uint64_t now)
{
	struct dhcp_pool_tab *pt = &l->pools[pool];
	const struct cfg_host *host = dhcp_leases_reservation(l, pool, mac);
	uint32_t idx = owned_idx(pt, mac, ip);

	if (host != NULL)
		return host->ip == ip ? 0 : -ENOENT;
	if (idx == NO_IDX || !lease_active(&pt->lease[idx], now))
		return -ENOENT;
	/* expires = release time: "longest-expired" orders released ones too */
	set_expiry(pt, idx, DHCP_LEASE_FREE, now);
	return 0;
}

int dhcp_leases_decline(struct dhcp_leases *l, int pool,
			const struct mac_addr *mac, uint32_t ip, uint64_t now,
			uint64_t until)
{
	struct dhcp_pool_tab *pt = &l->pools[pool];
	const struct cfg_host *host = dhcp_leases_reservation(l, pool, mac);
	uint32_t idx = owned_idx(pt, mac, ip);

	if (host != NULL)
		return host->ip == ip ? 0 : -ENOENT;
	if (idx == NO_IDX)
		return -ENOENT;
	/* RFC 2131 sec 4.3.3: in use by someone else: nobody's until until */
	forget_mac(pt, idx, now);
	set_expiry(pt, idx, DHCP_LEASE_DECLINED, until);
	return 0;
}

void dhcp_leases_cancel_offer(struct dhcp_leases *l, int pool,
			      const struct mac_addr *mac, uint64_t now)
{
	struct dhcp_pool_tab *pt = &l->pools[pool];
	uint32_t idx = hash_find(pt, mac);

	if (idx != NO_IDX && pt->lease[idx].state == DHCP_LEASE_OFFERED &&
	    pt->lease[idx].expires > now)
		set_expiry(pt, idx, DHCP_LEASE_FREE, now);
}

int dhcp_leases_restore(struct dhcp_leases *l, const struct mac_addr *mac,
			uint32_t ip, uint64_t expires, uint64_t now)
{
	int pool = dhcp_leases_pool_for(l, ip);
	const struct cfg_host *host;
	struct dhcp_pool_tab *pt;
	uint32_t idx, old;

	if (pool < 0)
		return -EINVAL;
	pt = &l->pools[pool];
	host = dhcp_leases_reservation(l, pool, mac);
	if (host != NULL && host->ip == ip)
		return 0; /* the reservation says it all */
	idx = pool_idx(pt, ip);
	if (idx == NO_IDX)
		return -EINVAL;
	if ((pt->lease[idx].flags & DHCP_LEASE_F_BLOCKED) ||
	    ((pt->lease[idx].flags & DHCP_LEASE_F_HAS_MAC) && !lease_has(&pt->lease[idx], mac)))
		return -EEXIST;
	/* one address per MAC and pool: the later-expiring record wins */
	old = hash_find(pt, mac);
	if (old != NO_IDX && old != idx && pt->lease[old].expires > expires)
		return 0;
	assign(pt, idx, mac, expires > now ? DHCP_LEASE_BOUND : DHCP_LEASE_FREE,
	       expires, now);
	return 0;
}

const struct dhcp_lease *dhcp_leases_get(const struct dhcp_leases *l, int pool,
					 uint32_t ip)
{
	uint32_t idx = pool_idx(&l->pools[pool], ip);

	return idx == NO_IDX ? NULL : &l->pools[pool].lease[idx];
}
