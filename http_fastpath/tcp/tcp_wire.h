/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_wire.h
 * The TCP header (RFC 9293 sec 3.1) and options (RFC 9293 sec 3.2, RFC 7323,
 * RFC 2018) as they are on the wire, and wrap-safe sequence arithmetic.
 */
#ifndef STP_TCP_WIRE_H
#define STP_TCP_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_HDR_LEN 20

/* Byte offsets of the fixed header fields (all big-endian). */
#define TCP_OFF_SPORT 0
#define TCP_OFF_DPORT 2
#define TCP_OFF_SEQ 4
#define TCP_OFF_ACK 8
#define TCP_OFF_DOFF 12            /* data offset in the high nibble */
#define TCP_OFF_FLAGS 13
#define TCP_OFF_WIN 14
#define TCP_OFF_CSUM 16
#define TCP_OFF_URP 18

/* Option kinds and lengths */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2               /* RFC 9293 sec 3.2 */
#define TCPOPT_WS 3                /* RFC 7323 sec 2 */
#define TCPOPT_SACK_PERM 4         /* RFC 2018 sec 2 */
#define TCPOPT_SACK 5              /* RFC 2018 sec 3 */
#define TCPOPT_TS 8                /* RFC 7323 sec 3 */
#define TCPOLEN_MSS 4
#define TCPOLEN_WS 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TS 10
#define TCPOLEN_TS_ALIGNED 12      /* NOP NOP TS */

#define TCP_MAX_WS 14              /* RFC 7323 sec 2.3 */
#define TCP_DEFAULT_MSS 536        /* RFC 9293 sec 3.7.1: no MSS option */
#define TCP_MIN_MSS 88             /* refuse tiny MSS: segment-count attacks */

/** a < b in sequence space (RFC 9293 sec 3.4), wrap-safe. */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}

static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

/** lo <= x < hi, wrap-safe. */
static inline bool seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return seq_leq(lo, x) && seq_lt(x, hi);
}

#endif
