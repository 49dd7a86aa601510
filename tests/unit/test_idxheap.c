/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for common/idxheap: the indexed min-heap against a plain model. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "idxheap.h"

#define CAP 257

/* The model: present[] and key[] by id; its minimum by a linear scan. */
struct model {
	bool present[CAP];
	uint64_t key[CAP];
};

static uint64_t model_min(const struct model *m)
{
	uint64_t k = UINT64_MAX;

	for (unsigned i = 0; i < CAP; i++)
		if (m->present[i] && m->key[i] < k)
			k = m->key[i];
	return k;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check_invariants(const struct idx_heap *h, const struct model *m)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < CAP; i++) {
		assert_int_equal(idx_heap_contains(h, i), m->present[i]);
		if (m->present[i]) {
			n++;
			assert_int_equal(h->order[h->pos[i]], i);
			assert_int_equal(idx_heap_key(h, i), m->key[i]);
		}
	}
	assert_int_equal(h->n, n);
	for (uint32_t at = 1; at < h->n; at++)
		assert_true(h->key[h->order[(at - 1) / 2]] <= h->key[h->order[at]]);
	assert_int_equal(idx_heap_min(h), model_min(m));
}

static void test_random_ops(void **state)
{
	struct idx_heap h;
	static struct model m;
	uint64_t s = 0x9e3779b97f4a7c15ull;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(idx_heap_init(&h, CAP), 0);
	assert_int_equal(idx_heap_min(&h), UINT64_MAX);
	assert_int_equal(idx_heap_pop(&h), IDX_HEAP_NONE);
	for (unsigned step = 0; step < 20000; step++) {
		uint32_t id = (uint32_t)(rnd(&s) % CAP);
		uint64_t k = rnd(&s) % 1000; /* few distinct keys: ties happen */

		switch (rnd(&s) % 4) {
		case 0:
		case 1:
			idx_heap_set(&h, id, k);
			m.present[id] = true;
			m.key[id] = k;
			break;
		case 2:
			idx_heap_remove(&h, id);
			m.present[id] = false;
			break;
		default: {
			uint64_t min = model_min(&m);
			uint32_t top = idx_heap_pop(&h);

			if (min == UINT64_MAX) {
				assert_int_equal(top, IDX_HEAP_NONE);
			} else {
				assert_true(m.present[top]);
				assert_int_equal(m.key[top], min);
				m.present[top] = false;
			}
		}
		}
		if (step % 97 == 0)
			check_invariants(&h, &m);
	}
	check_invariants(&h, &m);
	idx_heap_fini(&h);
}

static void test_pop_order_and_bad_init(void **state)
{
	struct idx_heap h;
	uint64_t prev = 0;

	(void)state;
	assert_int_equal(idx_heap_init(&h, 0), -22);
	assert_int_equal(idx_heap_init(&h, 64), 0);
	for (uint32_t i = 0; i < 64; i++)
		idx_heap_set(&h, i, (uint64_t)((i * 37) % 64));
	idx_heap_set(&h, 5, 1000);   /* move later */
	idx_heap_set(&h, 6, 0);      /* move earlier: ties with id 0 */
	idx_heap_remove(&h, 7);
	idx_heap_remove(&h, 7);      /* absent: no-op */
	assert_int_equal(h.n, 63);
	for (uint32_t i = 0; i < 63; i++) {
		uint32_t id = idx_heap_top(&h);
		uint64_t k = idx_heap_key(&h, id);

		assert_int_equal(idx_heap_pop(&h), id);
		assert_true(k >= prev);
		assert_int_not_equal(id, 7);
		prev = k;
	}
	assert_int_equal(prev, 1000);
	assert_int_equal(h.n, 0);
	idx_heap_fini(&h);
}

/* reset empties the heap exactly: every id absent, and the heap reusable. */
static void test_reset(void **state)
{
	struct idx_heap h;

	(void)state;
	assert_int_equal(idx_heap_init(&h, 32), 0);
	for (uint32_t i = 0; i < 32; i += 2)
		idx_heap_set(&h, i, 100 - i);
	idx_heap_reset(&h);
	assert_int_equal(h.n, 0);
	assert_int_equal(idx_heap_min(&h), UINT64_MAX);
	for (uint32_t i = 0; i < 32; i++)
		assert_false(idx_heap_contains(&h, i));
	idx_heap_set(&h, 3, 7);
	idx_heap_set(&h, 4, 5);
	assert_int_equal(idx_heap_pop(&h), 4);
	assert_int_equal(idx_heap_pop(&h), 3);
	assert_int_equal(idx_heap_pop(&h), IDX_HEAP_NONE);
	idx_heap_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_pop_order_and_bad_init),
		cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
