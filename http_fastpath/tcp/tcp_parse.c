/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_parse.c
 * TCP header and option parsing (RFC 9293 sec 3.1-3.2, RFC 7323, RFC 2018).
 */
#include <string.h>

#include "bytes.h"
#include "tcp_parse.h"
#include "tcp_wire.h"

/** Take one option of kind @a kind with its @a len bytes at @a p (p[0] is the kind). */
static void take_option(struct tcp_seg *s, const uint8_t *p, uint8_t len)
{
	switch (p[0]) {
	case TCPOPT_MSS:
		if (len != TCPOLEN_MSS)
			break;
		s->has_mss = true;
		s->mss = get_be16(p + 2);
		return;
	case TCPOPT_WS:
		if (len != TCPOLEN_WS)
			break;
		s->has_ws = true;
		s->ws = p[2];
		return;
	case TCPOPT_SACK_PERM:
		if (len != TCPOLEN_SACK_PERM)
			break;
		s->sack_perm = true;
		return;
	case TCPOPT_TS:
		if (len != TCPOLEN_TS)
			break;
		s->has_ts = true;
		s->tsval = get_be32(p + 2);
		s->tsecr = get_be32(p + 6);
		return;
	case TCPOPT_SACK:
		/* RFC 2018 sec 3: 2 + 8n bytes */
		if (len < 10 || (len - 2) % 8 != 0)
			break;
		for (unsigned off = 2; off < len; off += 8) {
			if (s->n_sack == TCP_SACK_IN_MAX) {
				s->opt_ignored++;
				break;
			}
			s->sack[s->n_sack].start = get_be32(p + off);
			s->sack[s->n_sack].end = get_be32(p + off + 4);
			s->n_sack++;
		}
		return;
	default:
		break;
	}
	/* RFC 9293 sec 3.2: unknown options are skipped by their length */
	s->opt_ignored++;
}

/** Walk the option area [p, p+rem). @return TCP_PARSE_OK or TCP_PARSE_BAD_OPTION. */
static int parse_options(struct tcp_seg *s, const uint8_t *p, size_t rem)
{
	while (rem > 0) {
		if (p[0] == TCPOPT_EOL)
			return TCP_PARSE_OK;
		if (p[0] == TCPOPT_NOP) {
			p++;
			rem--;
			continue;
		}
		/* every other kind has a length byte >= 2 that fits: the walk always advances */
		if (rem < 2 || p[1] < 2 || rem < p[1])
			return TCP_PARSE_BAD_OPTION;
		take_option(s, p, p[1]);
		rem -= p[1];
		p += p[1];
	}
	return TCP_PARSE_OK;
}

int tcp_parse(struct span tcp, struct tcp_seg *s)
{
	size_t doff;

	memset(s, 0, sizeof(*s));
	if (tcp.len < TCP_HDR_LEN)
		return TCP_PARSE_BAD_OFFSET;
	doff = (size_t)(tcp.p[TCP_OFF_DOFF] >> 4) * 4;
	if (doff < TCP_HDR_LEN || doff > tcp.len)
		return TCP_PARSE_BAD_OFFSET;
	s->sport = get_be16(tcp.p + TCP_OFF_SPORT);
	s->dport = get_be16(tcp.p + TCP_OFF_DPORT);
	s->seq = get_be32(tcp.p + TCP_OFF_SEQ);
	s->ack = get_be32(tcp.p + TCP_OFF_ACK);
	s->flags = tcp.p[TCP_OFF_FLAGS];
	s->win = get_be16(tcp.p + TCP_OFF_WIN);
	s->payload = span_make(tcp.p + doff, tcp.len - doff);
	return parse_options(s, tcp.p + TCP_HDR_LEN, doff - TCP_HDR_LEN);
}
