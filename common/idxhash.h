/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file idxhash.h
 * A keyed, chained hash from a 64-bit key to a small integer id: the
 * lookup table of every fast path (a TCP connection by its peer's
 * address:port, a TFTP session by its client's). Ids are the slot
 * indices the owner already uses, so the table holds no values, only
 * a chain link and the key per id, and an entry is found, added or
 * dropped without touching the owner's (large) slot.
 *
 * Keyed: buckets come from idx_hash_mix(key, seed) with a seed drawn at
 * random per start, so a flooder who picks its addresses and ports
 * cannot aim them all at one chain. Not a MAC: the seed only spreads.
 *
 * All memory is allocated by idx_hash_init() (not on the packet path);
 * nothing is allocated afterwards. One table belongs to one lcore.
 */
#ifndef STP_IDXHASH_H
#define STP_IDXHASH_H

#include <stdbool.h>
#include <stdint.h>

#define IDX_HASH_NONE UINT32_MAX       /* end of a chain; "not found" */
#define IDX_HASH_OUT (UINT32_MAX - 1)  /* ent[id].next of an id not in the table */

/** Per id: the key it is filed under and the next id of its chain. */
struct idx_hash_ent {
	uint64_t key;
	uint32_t next;             /* IDX_HASH_NONE ends the chain, IDX_HASH_OUT: absent */
};

struct idx_hash {
	uint32_t *head;            /* [mask + 1] first id of each chain, IDX_HASH_NONE if empty */
	struct idx_hash_ent *ent;  /* [cap] by id */
	uint64_t seed;
	uint32_t mask, cap;
};

/**
 * The bucket mix: splitmix64's finaliser (Steele, Lea, Flood 2014) over
 * @a key xor @a seed. A bijection of 64 bits in which every input bit
 * reaches every output bit; three multiplies' worth of work.
 */
static inline uint64_t idx_hash_mix(uint64_t key, uint64_t seed)
{
	uint64_t x = key ^ seed;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/**
 * Allocate room for ids 0..cap-1 and at least @a buckets chains (rounded
 * up to a power of two, 16 at least; cap chains keep the mean chain at
 * one entry or less). @a seed keys the mix.
 * @return 0, or -ENOMEM / -EINVAL (cap 0 or too large, buckets > 2^31).
 */
int idx_hash_init(struct idx_hash *h, uint32_t cap, uint32_t buckets, uint64_t seed);

/** Free the arrays; the table is unusable until the next init. */
void idx_hash_fini(struct idx_hash *h);

/** Empty the table (same seed): O(buckets + cap). For tests and harnesses. */
void idx_hash_reset(struct idx_hash *h);

/**
 * File @a id under @a key (@a id < cap). An id already in the table is
 * moved to the new key. Keys need not be unique: idx_hash_find() returns
 * the one added last.
 */
void idx_hash_insert(struct idx_hash *h, uint32_t id, uint64_t key);

/** Take @a id out (no-op when absent). Walks its chain. */
void idx_hash_remove(struct idx_hash *h, uint32_t id);

static inline uint32_t idx_hash_bucket(const struct idx_hash *h, uint64_t key)
{
	return (uint32_t)idx_hash_mix(key, h->seed) & h->mask;
}

/** The id filed under @a key, IDX_HASH_NONE if none. */
static inline uint32_t idx_hash_find(const struct idx_hash *h, uint64_t key)
{
	uint32_t i = h->head[idx_hash_bucket(h, key)];

	while (i != IDX_HASH_NONE && h->ent[i].key != key)
		i = h->ent[i].next;
	return i;
}

static inline bool idx_hash_contains(const struct idx_hash *h, uint32_t id)
{
	return h->ent[id].next != IDX_HASH_OUT;
}

#endif
