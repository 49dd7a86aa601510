/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for common/idxhash: the keyed id hash against a plain model. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "idxhash.h"

#define CAP 257

/* The model: present[] and key[] by id; a key's owner by a linear scan. */
struct model {
	bool present[CAP];
	uint64_t key[CAP];
};

static uint32_t model_find(const struct model *m, uint64_t key)
{
	for (uint32_t i = 0; i < CAP; i++)
		if (m->present[i] && m->key[i] == key)
			return i;
	return IDX_HASH_NONE;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The key both fast paths use: a peer's IPv4 address and port. */
static uint64_t peer_key(uint32_t ip, uint16_t port)
{
	return (uint64_t)ip << 16 | port;
}

static void check_invariants(const struct idx_hash *h, const struct model *m)
{
	uint32_t chained = 0, n = 0;

	for (uint32_t i = 0; i < CAP; i++) {
		assert_int_equal(idx_hash_contains(h, i), m->present[i]);
		if (m->present[i]) {
			n++;
			assert_int_equal(idx_hash_find(h, m->key[i]), i);
		}
	}
	/* every chain holds only ids of its bucket, and all of them */
	for (uint32_t b = 0; b <= h->mask; b++)
		for (uint32_t i = h->head[b]; i != IDX_HASH_NONE; i = h->ent[i].next) {
			assert_true(m->present[i]);
			assert_int_equal(idx_hash_bucket(h, h->ent[i].key), b);
			chained++;
		}
	assert_int_equal(chained, n);
}

/* Random inserts, moves and removals with unique keys; 16 buckets for 257 ids: long chains. */
static void test_random_ops(void **state)
{
	struct idx_hash h;
	static struct model m;
	uint64_t s = 0x9e3779b97f4a7c15ull;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(idx_hash_init(&h, CAP, 16, 0x1234), 0);
	assert_int_equal(h.mask, 15);
	for (unsigned step = 0; step < 20000; step++) {
		uint32_t id = (uint32_t)(rnd(&s) % CAP);
		uint64_t k = peer_key(0x0a000000u | (uint32_t)(rnd(&s) % 64),
				      (uint16_t)(rnd(&s) % 16));

		switch (rnd(&s) % 3) {
		case 0:
		case 1:
			if (model_find(&m, k) != IDX_HASH_NONE)
				break;   /* unique keys here; duplicates: test_duplicates */
			idx_hash_insert(&h, id, k);
			m.present[id] = true;
			m.key[id] = k;
			break;
		default:
			idx_hash_remove(&h, id);
			m.present[id] = false;
			break;
		}
		assert_int_equal(idx_hash_find(&h, k), model_find(&m, k));
		if (step % 97 == 0)
			check_invariants(&h, &m);
	}
	check_invariants(&h, &m);
	idx_hash_reset(&h);
	memset(&m, 0, sizeof(m));
	check_invariants(&h, &m);
	idx_hash_fini(&h);
}

/* Equal keys: find gives the last one added; removing it shows the one before. */
static void test_duplicates(void **state)
{
	struct idx_hash h;
	uint64_t k = peer_key(0x0a000032u, 40000);

	(void)state;
	assert_int_equal(idx_hash_init(&h, 8, 8, 99), 0);
	assert_int_equal(idx_hash_find(&h, k), IDX_HASH_NONE);
	idx_hash_insert(&h, 2, k);
	idx_hash_insert(&h, 5, k);
	assert_int_equal(idx_hash_find(&h, k), 5);
	idx_hash_remove(&h, 5);
	assert_int_equal(idx_hash_find(&h, k), 2);
	idx_hash_remove(&h, 5);      /* absent: no-op */
	idx_hash_insert(&h, 2, k + 1); /* re-key moves it */
	assert_int_equal(idx_hash_find(&h, k), IDX_HASH_NONE);
	assert_int_equal(idx_hash_find(&h, k + 1), 2);
	idx_hash_fini(&h);
}

/* The mix is splitmix64's finaliser; bad sizes are refused. */
static void test_mix_and_init(void **state)
{
	struct idx_hash h;

	(void)state;
	/* splitmix64's first output for state 0 */
	assert_true(idx_hash_mix(0x9e3779b97f4a7c15ull, 0) == 0xe220a8397b1dcdafull);
	assert_true(idx_hash_mix(0x9e3779b97f4a7c15ull ^ 7, 7) == 0xe220a8397b1dcdafull);
	assert_int_equal(idx_hash_init(&h, 0, 16, 0), -22);
	assert_int_equal(idx_hash_init(&h, IDX_HASH_OUT, 16, 0), -22);
	assert_int_equal(idx_hash_init(&h, 4, 3u << 30, 0), -22);
	assert_int_equal(idx_hash_init(&h, 4, 1000, 0), 0);
	assert_int_equal(h.mask, 1023);
	idx_hash_fini(&h);
}

/* Longest chain when @a n ports of one client go into @a n buckets. */
static uint32_t longest_chain(uint64_t seed, uint32_t n)
{
	struct idx_hash h;
	uint32_t worst = 0;

	assert_int_equal(idx_hash_init(&h, n, n, seed), 0);
	for (uint32_t i = 0; i < n; i++)
		idx_hash_insert(&h, i, peer_key(0xc0a80a05u, (uint16_t)(1024 + i)));
	for (uint32_t b = 0; b <= h.mask; b++) {
		uint32_t len = 0;

		for (uint32_t i = h.head[b]; i != IDX_HASH_NONE; i = h.ent[i].next)
			len++;
		if (len > worst)
			worst = len;
	}
	idx_hash_fini(&h);
	return worst;
}

/*
 * Sequential ports of one address (what a storm of one client's retries
 * or a NAT looks like) spread like random keys: with n keys in n buckets
 * the longest chain stays near ln n / ln ln n, for every seed.
 */
static void test_spread(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed < 6; seed++)
		assert_true(longest_chain(seed * 0x9e3779b97f4a7c15ull, 4096) <= 10);
}

/* Another seed puts the same keys in other buckets: chains cannot be aimed. */
static void test_seed_moves_buckets(void **state)
{
	struct idx_hash a, b;
	unsigned same = 0;

	(void)state;
	assert_int_equal(idx_hash_init(&a, 1, 1024, 1), 0);
	assert_int_equal(idx_hash_init(&b, 1, 1024, 2), 0);
	for (uint16_t p = 0; p < 1024; p++)
		same += idx_hash_bucket(&a, peer_key(0x0a000001u, p)) ==
			idx_hash_bucket(&b, peer_key(0x0a000001u, p));
	assert_true(same < 16);   /* about 1 expected by chance */
	idx_hash_fini(&a);
	idx_hash_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_mix_and_init),
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_seed_moves_buckets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
