/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_parse.h
 * Parse a TCP header and its options into a struct (pure, no state).
 */
#ifndef STP_TCP_PARSE_H
#define STP_TCP_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "span.h"

/** SACK blocks one segment can carry (RFC 2018 sec 3: at most 4 in 40 bytes). */
#define TCP_SACK_IN_MAX 4

enum tcp_parse_result {
	TCP_PARSE_OK = 0,
	TCP_PARSE_BAD_OFFSET = -1,  /* shorter than 20, or data offset < 5 or > length */
	TCP_PARSE_BAD_OPTION = -2,  /* option list walks off its end */
};

struct tcp_sack_blk {
	uint32_t start, end;        /* [start, end) in sequence space */
};

/** A parsed segment; spans point into the input. */
struct tcp_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;               /* raw 16-bit field */
	struct span payload;
	/* options, valid when the has_ bit is set */
	bool has_mss, has_ws, sack_perm, has_ts;
	uint16_t mss;
	uint8_t ws;                 /* raw shift, not clamped */
	uint8_t n_sack;
	uint32_t tsval, tsecr;
	struct tcp_sack_blk sack[TCP_SACK_IN_MAX];
	uint16_t opt_ignored;       /* known kinds with a wrong length, unknown kinds */
};

/**
 * Parse @a tcp (header + payload) into @a s. Walks the options bounded by
 * the data offset; each step advances by at least one byte (RFC 9293 sec
 * 3.2: NOP and EOL are one byte, the others carry a length >= 2). Options
 * of a known kind with a wrong length are ignored and counted in
 * s->opt_ignored, as are unknown kinds; SACK blocks beyond four are too.
 * @return enum tcp_parse_result.
 */
int tcp_parse(struct span tcp, struct tcp_seg *s);

#endif
