/* SPDX-License-Identifier: BSD-3-Clause */
/* Which segments of the TCP core may be folded into one TSO frame
 * (tcp_act_tso_next): every rule that must end a run, and a flight cut
 * into runs the way the glue does it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "tcp.h"

#define SEG 1448u
#define MAX_RUN (65535u - 20u - 32u) /* IPv4 total length minus IP + TCP headers */

static struct stp_object obj_a, obj_b;

/* Segment @a i of a flight of object payload on connection 7. */
static struct tcp_act seg(unsigned i, uint32_t len, uint8_t flags)
{
	struct tcp_act a;

	memset(&a, 0, sizeof(a));
	a.kind = TCP_ACT_SEND;
	a.flags = flags;
	a.opt_len = 12;
	a.opt[0] = 1;
	a.opt[1] = 1;
	a.opt[2] = 8;
	a.opt[3] = 10;
	a.opt[7] = 0x42;   /* TSval */
	a.pl_kind = TCP_PL_OBJECT;
	a.conn = 7;
	a.src_ip = 0x0a4d0001;
	a.dst_ip = 0x0a4d0064;
	a.src_port = 80;
	a.dst_port = 40000;
	a.seq = 1000 + i * SEG;
	a.ack = 555;
	a.win = 512;
	a.pl_len = len;
	a.pl.o.obj = &obj_a;
	a.pl.o.off = (uint64_t)i * SEG;
	return a;
}

static void test_contiguous_run(void **state)
{
	struct tcp_act a = seg(0, SEG, TCP_ACK), b = seg(1, SEG, TCP_ACK);
	struct tcp_act last = seg(2, 100, TCP_ACK | TCP_PSH);

	(void)state;
	assert_true(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	assert_true(tcp_act_tso_next(&a, 2 * SEG, TCP_ACK, &last, MAX_RUN));
	/* nothing after a PSH or a short segment */
	b = seg(3, SEG, TCP_ACK);
	assert_false(tcp_act_tso_next(&a, 3 * SEG, TCP_ACK | TCP_PSH, &b, MAX_RUN));
	assert_false(tcp_act_tso_next(&a, 2 * SEG + 100, TCP_ACK, &b, MAX_RUN));
}

static void test_breaks(void **state)
{
	struct tcp_act a = seg(0, SEG, TCP_ACK), b;

	(void)state;
	b = seg(2, SEG, TCP_ACK);                 /* a hole in sequence space */
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	b = seg(1, SEG, TCP_ACK);
	b.pl.o.off += 1;                          /* not the next object bytes */
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	b = seg(1, SEG, TCP_ACK);
	b.pl.o.obj = &obj_b;                      /* another object */
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	b = seg(1, SEG, TCP_ACK);
	b.conn = 8;                               /* another connection */
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	b = seg(1, SEG, TCP_ACK);
	b.ack++;                                  /* an ACK moved meanwhile */
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	b = seg(1, SEG, TCP_ACK);
	b.win--;                                  /* a window update */
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	b = seg(1, SEG, TCP_ACK);
	b.opt[7]++;                               /* another TSval */
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	b = seg(1, SEG, TCP_ACK | TCP_FIN);       /* FIN stays its own frame */
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	b = seg(1, SEG + 1, TCP_ACK);             /* longer than the segment size */
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	b = seg(1, SEG, TCP_ACK);
	b.pl_kind = TCP_PL_BYTES;                 /* header bytes, not the object */
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	b = seg(1, SEG, TCP_ACK);
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, SEG + SEG - 1)); /* too long */
	assert_true(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, 2 * SEG));
	a.conn = TCP_NO_CONN;                     /* stateless answers never */
	b.conn = TCP_NO_CONN;
	assert_false(tcp_act_tso_next(&a, SEG, TCP_ACK, &b, MAX_RUN));
	a = seg(0, SEG, TCP_ACK | TCP_PSH);       /* a run that starts with PSH is one segment */
	b = seg(1, SEG, TCP_ACK);
	assert_false(tcp_act_tso_next(&a, SEG, a.flags, &b, MAX_RUN));
}

/* 100 full segments and a short last one with PSH: runs of 45 (46 * 1448
 * is over what an IPv4 total length can carry), 45, and 10 + the short one. */
static void test_flight_cut_into_runs(void **state)
{
	struct tcp_act v[101];
	unsigned runs[8], n_runs = 0, i = 0;

	(void)state;
	for (unsigned k = 0; k < 100; k++)
		v[k] = seg(k, SEG, TCP_ACK);
	v[100] = seg(100, 300, TCP_ACK | TCP_PSH);
	while (i < 101) {
		uint32_t len = v[i].pl_len;
		uint8_t flags = v[i].flags;
		unsigned j = i + 1;

		while (j < 101 && tcp_act_tso_next(&v[i], len, flags, &v[j], MAX_RUN)) {
			len += v[j].pl_len;
			flags |= v[j].flags;
			j++;
		}
		runs[n_runs++] = j - i;
		i = j;
	}
	assert_int_equal(n_runs, 3);
	assert_int_equal(runs[0], 45);
	assert_int_equal(runs[1], 45);
	assert_int_equal(runs[2], 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contiguous_run),
		cmocka_unit_test(test_breaks),
		cmocka_unit_test(test_flight_cut_into_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
