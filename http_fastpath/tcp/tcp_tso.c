/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which of the core's segments may leave as one TCP segmentation offload
 * frame. The core keeps thinking in MSS segments (its scoreboard, RACK
 * records and counters stay exact); the glue folds a run of them into one
 * header + one span of object bytes, and the NIC cuts it back into the
 * very segments the core built: same headers but for the sequence number,
 * PSH only on the last (what TSO hardware does with the template flags).
 */
#include <string.h>

#include "tcp.h"

static bool same_header_but_seq(const struct tcp_act *a, const struct tcp_act *b)
{
	return a->conn == b->conn && a->src_ip == b->src_ip && a->dst_ip == b->dst_ip &&
	       a->src_port == b->src_port && a->dst_port == b->dst_port && a->ack == b->ack &&
	       a->win == b->win && a->opt_len == b->opt_len &&
	       memcmp(a->opt, b->opt, a->opt_len) == 0;
}

bool tcp_act_tso_next(const struct tcp_act *first, uint32_t run_len, uint8_t run_flags,
		      const struct tcp_act *next, uint32_t max_len)
{
	uint32_t segsz = first->pl_len;

	if (first->kind != TCP_ACT_SEND || next->kind != TCP_ACT_SEND ||
	    first->pl_kind != TCP_PL_OBJECT || next->pl_kind != TCP_PL_OBJECT ||
	    first->conn == TCP_NO_CONN || segsz == 0)
		return false;
	/* only plain ACK segments before the last; PSH may end the run */
	if (run_flags != TCP_ACK || (next->flags & (uint8_t)~TCP_PSH) != TCP_ACK)
		return false;
	if (run_len % segsz != 0 || next->pl_len == 0 || next->pl_len > segsz ||
	    (uint64_t)run_len + next->pl_len > max_len)
		return false;
	return next->pl.o.obj == first->pl.o.obj && next->seq == first->seq + run_len &&
	       next->pl.o.off == first->pl.o.off + run_len && same_header_but_seq(first, next);
}
