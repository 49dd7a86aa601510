/* SPDX-License-Identifier: BSD-3-Clause */
/* The FIFO of replies held until their lease event is persisted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "dhcp_hold.h"

/* Queue a reply for @a seq whose first byte is @a tag. */
static void push(struct dhcp_hold *h, uint64_t seq, uint8_t tag)
{
	struct dhcp_held *e = dhcp_hold_next(h);

	assert_non_null(e);
	e->buf[0] = tag;
	e->tx.len = 1;
	dhcp_hold_push(h, seq);
}

static uint8_t pop_tag(struct dhcp_hold *h, uint64_t *seq, bool *lost)
{
	struct dhcp_held *e = dhcp_hold_head(h);
	uint8_t tag;

	assert_non_null(e);
	tag = e->buf[0];
	*seq = e->seq;
	*lost = e->lost;
	dhcp_hold_pop(h);
	return tag;
}

static void test_empty_and_bad_size(void **state)
{
	struct dhcp_hold h = { 0 };

	(void)state;
	/* all-zero is empty, and full: nothing can be held before init */
	assert_null(dhcp_hold_head(&h));
	assert_null(dhcp_hold_next(&h));
	dhcp_hold_pop(&h);
	assert_false(dhcp_hold_lose(&h, 1));
	assert_int_equal(dhcp_hold_init(&h, 0), -EINVAL);
	dhcp_hold_fini(&h);
}

/* FIFO order across the wrap of the slot array; full at cap. */
static void test_fifo_wraps(void **state)
{
	struct dhcp_hold h = { 0 };
	uint64_t seq, next = 1, expect = 1;
	bool lost;

	(void)state;
	assert_int_equal(dhcp_hold_init(&h, 3), 0);
	for (int round = 0; round < 5; round++) {
		while (!dhcp_hold_full(&h)) {
			push(&h, next, (uint8_t)next);
			next++;
		}
		assert_null(dhcp_hold_next(&h));
		/* take two, leave one: the head walks around the array */
		for (int i = 0; i < 2; i++) {
			assert_int_equal(pop_tag(&h, &seq, &lost), (uint8_t)expect);
			assert_int_equal(seq, expect);
			assert_false(lost);
			expect++;
		}
	}
	assert_int_equal(h.n, 1);
	dhcp_hold_fini(&h);
	assert_null(dhcp_hold_head(&h));
}

/* Losing an event marks its reply only; a search stops below it. */
static void test_lose(void **state)
{
	struct dhcp_hold h = { 0 };
	uint64_t seq;
	bool lost;

	(void)state;
	assert_int_equal(dhcp_hold_init(&h, 4), 0);
	push(&h, 5, 'a');
	push(&h, 6, 'b');
	pop_tag(&h, &seq, &lost);      /* head moves: the replies wrap next */
	push(&h, 8, 'c');
	push(&h, 9, 'd');
	push(&h, 12, 'e');
	assert_true(dhcp_hold_full(&h));
	assert_true(dhcp_hold_lose(&h, 9));
	assert_false(dhcp_hold_lose(&h, 7));  /* between two: none */
	assert_false(dhcp_hold_lose(&h, 5));  /* gone already */
	assert_false(dhcp_hold_lose(&h, 13)); /* not yet issued */
	assert_int_equal(pop_tag(&h, &seq, &lost), 'b');
	assert_false(lost);
	assert_int_equal(pop_tag(&h, &seq, &lost), 'c');
	assert_false(lost);
	assert_int_equal(pop_tag(&h, &seq, &lost), 'd');
	assert_true(lost);
	assert_int_equal(seq, 9);
	/* a slot handed out again starts clean */
	push(&h, 13, 'f');
	assert_int_equal(pop_tag(&h, &seq, &lost), 'e');
	assert_int_equal(pop_tag(&h, &seq, &lost), 'f');
	assert_false(lost);
	assert_null(dhcp_hold_head(&h));
	dhcp_hold_fini(&h);
}

/* The next reply goes into the slot freed last: its memory is warm. */
static void test_warm_slot_reuse(void **state)
{
	struct dhcp_hold h = { 0 };
	struct dhcp_held *first, *e;
	uint64_t seq;
	bool lost;

	(void)state;
	assert_int_equal(dhcp_hold_init(&h, 8), 0);
	first = dhcp_hold_next(&h);
	for (uint64_t i = 1; i <= 100; i++) {
		/* one in flight at a time: always the same slot */
		e = dhcp_hold_next(&h);
		assert_ptr_equal(e, first);
		push(&h, i, (uint8_t)i);
		assert_int_equal(pop_tag(&h, &seq, &lost), (uint8_t)i);
	}
	/* two in flight: the one popped is the one reused */
	push(&h, 101, 'x');
	push(&h, 102, 'y');
	e = dhcp_hold_head(&h);
	dhcp_hold_pop(&h);
	assert_ptr_equal(dhcp_hold_next(&h), e);
	dhcp_hold_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_bad_size),
		cmocka_unit_test(test_fifo_wraps),
		cmocka_unit_test(test_lose),
		cmocka_unit_test(test_warm_slot_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
