/* SPDX-License-Identifier: BSD-3-Clause */
#include "neigh.h"

static inline unsigned neigh_hash(uint32_t ip)
{
	/* Multiplicative hash: hosts of one subnet differ in the low bits. */
	return (unsigned)((ip * 2654435761u) >> 22) & (NEIGH_SLOTS - 1);
}

void neigh_learn(struct neigh_table *t, uint32_t ip, const struct mac_addr *mac,
		 uint64_t now)
{
	unsigned h = neigh_hash(ip);
	struct neigh_entry *victim = &t->e[h];

	if (ip == 0)
		return;
	for (unsigned i = 0; i < NEIGH_PROBE; i++) {
		struct neigh_entry *e = &t->e[(h + i) & (NEIGH_SLOTS - 1)];

		if (e->ip == ip || e->ip == 0) {
			victim = e;
			break;
		}
		if (e->seen < victim->seen)
			victim = e;
	}
	if (victim->ip != ip) {
		if (victim->ip != 0)
			t->replaced++;
		t->learnt++;
	}
	victim->ip = ip;
	victim->mac = *mac;
	victim->seen = now;
}

bool neigh_lookup(const struct neigh_table *t, uint32_t ip, uint64_t now,
		  struct mac_addr *mac)
{
	unsigned h = neigh_hash(ip);

	for (unsigned i = 0; i < NEIGH_PROBE; i++) {
		const struct neigh_entry *e = &t->e[(h + i) & (NEIGH_SLOTS - 1)];

		if (e->ip == ip && ip != 0) {
			if (now - e->seen > NEIGH_TTL_S)
				return false;
			*mac = e->mac;
			return true;
		}
	}
	return false;
}
