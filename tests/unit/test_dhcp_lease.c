/* SPDX-License-Identifier: BSD-3-Clause */
/* Pools and lease table: address choice, lazy expiry, reservations. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dhcp_lease.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define T0 1700000000ull
#define HOLD 30

struct fx {
	struct stp_config *cfg;
	struct dhcp_leases l;
};

static struct mac_addr mac(unsigned n)
{
	struct mac_addr m = { { 0x02, 0, 0, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n } };
	return m;
}

/* 10.0.0.0/24, dynamic .10-.14 (5 addresses, .12 reserved), server .1 */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct stp_config *cfg = calloc(1, sizeof(*cfg));

	f->cfg = cfg;
	cfg->port.addr = IP(10, 0, 0, 1);
	cfg->port.prefix_len = 24;
	cfg->dhcp.n_pools = 2;
	cfg->dhcp.pools[0] = (struct cfg_pool){ .subnet = IP(10, 0, 0, 0), .prefix_len = 24,
		.first = IP(10, 0, 0, 10), .last = IP(10, 0, 0, 14), .router = IP(10, 0, 0, 1) };
	cfg->dhcp.pools[1] = (struct cfg_pool){ .subnet = IP(10, 1, 0, 0), .prefix_len = 16,
		.first = IP(10, 1, 0, 0), .last = IP(10, 1, 3, 255) };
	cfg->n_hosts = 2;
	cfg->hosts[0].mac = mac(900);
	cfg->hosts[0].ip = IP(10, 0, 0, 12);   /* inside the range */
	cfg->hosts[1].mac = mac(901);
	cfg->hosts[1].ip = IP(10, 0, 0, 200);  /* in the subnet, outside the range */
	assert_int_equal(dhcp_leases_init(&f->l, cfg), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	dhcp_leases_fini(&f->l);
	free(f->cfg);
	free(f);
	return 0;
}

static uint32_t offer(struct fx *f, unsigned n, uint64_t now)
{
	struct mac_addr m = mac(n);
	uint32_t ip = 0;

	assert_int_equal(dhcp_leases_offer(&f->l, 0, &m, 0, now, HOLD, &ip), 0);
	return ip;
}

/* RFC 2131 sec 4.3.1: option 50 is honoured when the address is free and
 * nobody's memory; never over a live lease, a reservation or a memory. */
static void test_requested_address(void **state)
{
	struct fx *f = *state;
	struct mac_addr a = mac(1), b = mac(2), c = mac(3);
	uint32_t ip;

	assert_int_equal(dhcp_leases_offer(&f->l, 0, &a, IP(10, 0, 0, 13), T0, HOLD, &ip), 0);
	assert_int_equal(ip, IP(10, 0, 0, 13));
	/* held by a: b asking for it gets a fresh one instead */
	assert_int_equal(dhcp_leases_offer(&f->l, 0, &b, IP(10, 0, 0, 13), T0, HOLD, &ip), 0);
	assert_int_equal(ip, IP(10, 0, 0, 10));
	/* a reservation (.12) and an address outside the pool are not given */
	assert_int_equal(dhcp_leases_offer(&f->l, 0, &c, IP(10, 0, 0, 12), T0, HOLD, &ip), 0);
	assert_int_equal(ip, IP(10, 0, 0, 11));
	/* after a's hold lapses .13 is a's memory: c asking for it does not get it */
	assert_int_equal(dhcp_leases_offer(&f->l, 0, &c, IP(10, 0, 0, 13),
					   T0 + HOLD + 5, HOLD, &ip), 0);
	assert_int_equal(ip, IP(10, 0, 0, 11)); /* c keeps its own */
	/* a returning client's previous address beats what it asks for */
	assert_int_equal(dhcp_leases_offer(&f->l, 0, &a, IP(10, 0, 0, 14),
					   T0 + HOLD + 6, HOLD, &ip), 0);
	assert_int_equal(ip, IP(10, 0, 0, 13));
}

static void test_fresh_in_order_skipping_reserved(void **state)
{
	struct fx *f = *state;
	struct mac_addr m = mac(5);
	uint32_t ip;

	assert_int_equal(offer(f, 1, T0), IP(10, 0, 0, 10));
	assert_int_equal(offer(f, 2, T0 + 1), IP(10, 0, 0, 11));
	assert_int_equal(offer(f, 3, T0 + 2), IP(10, 0, 0, 13)); /* .12 is reserved */
	assert_int_equal(offer(f, 1, T0 + 5), IP(10, 0, 0, 10)); /* same MAC, same */
	assert_int_equal(offer(f, 4, T0 + 3), IP(10, 0, 0, 14));
	/* exhausted while every hold is live */
	assert_int_equal(dhcp_leases_offer(&f->l, 0, &m, 0, T0 + 10, HOLD, &ip), -ENOSPC);
	/* reserved MACs always get theirs, in or out of the range */
	assert_int_equal(offer(f, 900, T0), IP(10, 0, 0, 12));
	assert_int_equal(offer(f, 901, T0), IP(10, 0, 0, 200));
	/* holds over: the longest-expired goes first (MAC 2's was renewed least) */
	assert_int_equal(offer(f, 5, T0 + 1 + HOLD), IP(10, 0, 0, 11));
}

static void test_bind_release_return(void **state)
{
	struct fx *f = *state;
	struct mac_addr m1 = mac(1), m2 = mac(2);
	uint32_t a = offer(f, 1, T0);

	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m1, a, T0), DHCP_OWN_MINE);
	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m2, a, T0), DHCP_OWN_OTHER);
	assert_int_equal(dhcp_leases_bind(&f->l, 0, &m2, a, T0, T0 + 3600), -EBUSY);
	assert_int_equal(dhcp_leases_bind(&f->l, 0, &m1, a, T0, T0 + 3600), 0);
	assert_int_equal(dhcp_leases_get(&f->l, 0, a)->state, DHCP_LEASE_BOUND);
	/* a DISCOVER while bound keeps the binding as it is */
	assert_int_equal(offer(f, 1, T0 + 10), a);
	assert_int_equal(dhcp_leases_get(&f->l, 0, a)->state, DHCP_LEASE_BOUND);
	assert_int_equal(dhcp_leases_get(&f->l, 0, a)->expires, T0 + 3600);
	/* release: free, but the MAC gets it back */
	assert_int_equal(dhcp_leases_release(&f->l, 0, &m2, a, T0 + 20), -ENOENT);
	assert_int_equal(dhcp_leases_release(&f->l, 0, &m1, a, T0 + 20), 0);
	assert_int_equal(dhcp_leases_get(&f->l, 0, a)->state, DHCP_LEASE_FREE);
	assert_int_equal(offer(f, 2, T0 + 30), IP(10, 0, 0, 11)); /* fresh first */
	assert_int_equal(offer(f, 1, T0 + 40), a);
	/* expiry: a week later it is still MAC 1's */
	assert_int_equal(dhcp_leases_bind(&f->l, 0, &m1, a, T0 + 40, T0 + 100), 0);
	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m1, a, T0 + 7 * 86400), DHCP_OWN_MINE);
	assert_int_equal(offer(f, 1, T0 + 7 * 86400), a);
}

/* Someone else took the remembered address: the MAC gets a new one. */
static void test_memory_lost_when_taken(void **state)
{
	struct fx *f = *state;
	struct mac_addr m1 = mac(1), m9 = mac(9);
	uint32_t a = offer(f, 1, T0);

	offer(f, 2, T0 + 1);
	offer(f, 3, T0 + 2);
	offer(f, 4, T0 + 3);
	/* all holds expire; MAC 1's is the oldest and goes to MAC 9 */
	assert_int_equal(offer(f, 9, T0 + 100), a);
	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m9, a, T0 + 100), DHCP_OWN_MINE);
	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m1, a, T0 + 100), DHCP_OWN_OTHER);
	assert_int_not_equal(offer(f, 1, T0 + 100), a);
}

static void test_decline_quarantine(void **state)
{
	struct fx *f = *state;
	struct mac_addr m1 = mac(1);
	uint32_t a = offer(f, 1, T0), b;

	assert_int_equal(dhcp_leases_decline(&f->l, 0, &m1, a, T0, T0 + 3600), 0);
	assert_int_equal(dhcp_leases_get(&f->l, 0, a)->state, DHCP_LEASE_DECLINED);
	b = offer(f, 1, T0 + 1);
	assert_int_not_equal(b, a);
	offer(f, 2, T0 + 1);
	offer(f, 3, T0 + 1);
	/* the holds expire well before the quarantine: those go first */
	for (unsigned n = 4; n <= 6; n++) {
		struct mac_addr m = mac(n);
		uint32_t ip = offer(f, n, T0 + 100 * n);

		assert_int_not_equal(ip, a);
		assert_int_equal(dhcp_leases_bind(&f->l, 0, &m, ip, T0, T0 + 99999), 0);
	}
	m1 = mac(7);
	assert_int_equal(dhcp_leases_offer(&f->l, 0, &m1, 0, T0 + 3599, HOLD, &b), -ENOSPC);
	assert_int_equal(offer(f, 7, T0 + 3600), a);
}

static void test_owner(void **state)
{
	struct fx *f = *state;
	struct mac_addr m1 = mac(1), m900 = mac(900), m8 = mac(8);

	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m1, IP(10, 9, 0, 1), T0), DHCP_OWN_OUTSIDE);
	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m1, IP(10, 0, 0, 12), T0), DHCP_OWN_OTHER);
	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m1, IP(10, 0, 0, 11), T0), DHCP_OWN_UNKNOWN);
	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m900, IP(10, 0, 0, 12), T0), DHCP_OWN_MINE);
	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m900, IP(10, 0, 0, 11), T0), DHCP_OWN_OTHER);
	assert_int_equal(dhcp_leases_bind(&f->l, 0, &m1, IP(10, 0, 0, 12), T0, T0 + 9), -EBUSY);
	assert_int_equal(dhcp_leases_bind(&f->l, 0, &m1, IP(10, 0, 0, 1), T0, T0 + 9), -EBUSY);
	/* a known client asking for an address that is not its own */
	offer(f, 1, T0);
	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m1, IP(10, 0, 0, 13), T0), DHCP_OWN_OTHER);
	assert_int_equal(dhcp_leases_owner(&f->l, 0, &m8, IP(10, 0, 0, 13), T0), DHCP_OWN_UNKNOWN);
	/* the reservation outside the range is nobody else's */
	assert_int_equal(dhcp_leases_bind(&f->l, 0, &m8, IP(10, 0, 0, 200), T0, T0 + 9), -EBUSY);
	assert_non_null(dhcp_leases_reservation(&f->l, 0, &m900));
	assert_null(dhcp_leases_reservation(&f->l, 1, &m900));
}

static void test_cancel_offer(void **state)
{
	struct fx *f = *state;
	struct mac_addr m1 = mac(1);
	uint32_t a = offer(f, 1, T0);

	dhcp_leases_cancel_offer(&f->l, 0, &m1, T0 + 1);
	assert_int_equal(dhcp_leases_get(&f->l, 0, a)->state, DHCP_LEASE_FREE);
	assert_int_equal(dhcp_leases_get(&f->l, 0, a)->expires, T0 + 1);
	assert_int_equal(offer(f, 1, T0 + 2), a); /* still remembered */
}

static void test_restore(void **state)
{
	struct fx *f = *state;
	struct mac_addr m1 = mac(1), m2 = mac(2), m900 = mac(900);

	assert_int_equal(dhcp_leases_restore(&f->l, &m1, IP(10, 0, 0, 13), T0 + 100, T0), 0);
	assert_int_equal(dhcp_leases_get(&f->l, 0, IP(10, 0, 0, 13))->state, DHCP_LEASE_BOUND);
	/* conflicts: held by another, reserved, outside any pool or range */
	assert_int_equal(dhcp_leases_restore(&f->l, &m2, IP(10, 0, 0, 13), T0 + 100, T0), -EEXIST);
	assert_int_equal(dhcp_leases_restore(&f->l, &m2, IP(10, 0, 0, 12), T0 + 100, T0), -EEXIST);
	assert_int_equal(dhcp_leases_restore(&f->l, &m900, IP(10, 0, 0, 12), T0 + 100, T0), 0);
	assert_int_equal(dhcp_leases_restore(&f->l, &m2, IP(192, 168, 0, 1), T0, T0), -EINVAL);
	assert_int_equal(dhcp_leases_restore(&f->l, &m2, IP(10, 0, 0, 100), T0, T0), -EINVAL);
	/* an expired record is a memory: the MAC gets it, nobody else first */
	assert_int_equal(dhcp_leases_restore(&f->l, &m2, IP(10, 0, 0, 10), T0 - 500, T0), 0);
	assert_int_equal(dhcp_leases_get(&f->l, 0, IP(10, 0, 0, 10))->state, DHCP_LEASE_FREE);
	assert_int_equal(offer(f, 3, T0), IP(10, 0, 0, 11));
	assert_int_equal(offer(f, 2, T0), IP(10, 0, 0, 10));
	assert_int_equal(offer(f, 1, T0), IP(10, 0, 0, 13));
	/* two records for one MAC: the later-expiring one wins */
	assert_int_equal(dhcp_leases_restore(&f->l, &m1, IP(10, 0, 0, 14), T0 + 50, T0), 0);
	assert_int_equal(offer(f, 1, T0), IP(10, 0, 0, 13));
	assert_int_equal(dhcp_leases_restore(&f->l, &m1, IP(10, 0, 0, 14), T0 + 500, T0), 0);
	assert_int_equal(offer(f, 1, T0), IP(10, 0, 0, 14));
	assert_int_equal(dhcp_leases_get(&f->l, 0, IP(10, 0, 0, 13))->flags & DHCP_LEASE_F_HAS_MAC, 0);
}

/* Churn in a 1024-address pool: the hash and heap stay consistent. */
static void test_churn_consistent(void **state)
{
	struct fx *f = *state;
	static uint32_t owned[3000];
	uint64_t now = T0;
	uint32_t rng = 12345;

	memset(owned, 0, sizeof(owned));
	for (int step = 0; step < 40000; step++) {
		unsigned n;
		struct mac_addr m;
		uint32_t ip;

		rng = rng * 1103515245u + 12345u;
		n = (rng >> 8) % 3000;
		m = mac(n);
		now += (rng >> 4) % 3;
		if (dhcp_leases_offer(&f->l, 1, &m, 0, now, HOLD, &ip) != 0)
			continue;
		assert_int_not_equal(dhcp_leases_owner(&f->l, 1, &m, ip, now), DHCP_OWN_OTHER);
		if ((rng >> 20) % 4 == 0)
			assert_int_equal(dhcp_leases_bind(&f->l, 1, &m, ip, now, now + 600), 0);
		else if ((rng >> 20) % 4 == 1)
			dhcp_leases_release(&f->l, 1, &m, ip, now);
		owned[n] = ip;
	}
	/* every MAC the table still remembers maps to its own address */
	for (unsigned n = 0; n < 3000; n++) {
		struct mac_addr m = mac(n);
		const struct dhcp_lease *e;

		if (owned[n] == 0)
			continue;
		e = dhcp_leases_get(&f->l, 1, owned[n]);
		if ((e->flags & DHCP_LEASE_F_HAS_MAC) && memcmp(&e->mac, &m, 6) == 0)
			assert_int_equal(dhcp_leases_owner(&f->l, 1, &m, owned[n], now),
					 DHCP_OWN_MINE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_requested_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fresh_in_order_skipping_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_release_return, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_lost_when_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decline_quarantine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_offer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_churn_consistent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
