/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_sack.c
 * The sender's SACK scoreboard (RFC 2018 sec 4, RFC 6675 sec 3): up to
 * TCP_SACK_MAX disjoint blocks above snd_una, kept sorted.
 */
#include <string.h>

#include "tcp_impl.h"

static void sack_remove(struct tcp_conn *c, unsigned i)
{
	memmove(&c->sack[i], &c->sack[i + 1], (c->n_sack - i - 1) * sizeof(c->sack[0]));
	c->n_sack--;
}

/** Merge one block into the scoreboard; when full, the highest block goes. */
static void sack_insert(struct tcp_conn *c, struct tcp_sack_blk b)
{
	unsigned i = 0, pos;

	while (i < c->n_sack) {
		const struct tcp_sack_blk *x = &c->sack[i];

		if (seq_lt(b.end, x->start) || seq_lt(x->end, b.start)) {
			i++;
			continue;
		}
		b.start = seq_min(b.start, x->start);
		b.end = seq_max(b.end, x->end);
		sack_remove(c, i);
	}
	for (pos = 0; pos < c->n_sack && seq_lt(c->sack[pos].start, b.start); pos++)
		;
	if (c->n_sack == TCP_SACK_MAX) {
		if (pos == TCP_SACK_MAX)
			return;
		c->n_sack--;
	}
	memmove(&c->sack[pos + 1], &c->sack[pos], (c->n_sack - pos) * sizeof(c->sack[0]));
	c->sack[pos] = b;
	c->n_sack++;
}

/**
 * Take the SACK blocks of an ACK. Blocks must lie in (snd_una, snd_max]
 * and be non-empty (RFC 2018 sec 3); anything else, D-SACKs (RFC 2883)
 * included, is ignored rather than trusted.
 */
void tcp_sack_update(struct tcp_conn *c, const struct tcp_seg *s)
{
	if (!(c->cf & TCP_CF_SACK))
		return;
	for (unsigned i = 0; i < s->n_sack && i < TCP_SACK_IN_MAX; i++) {
		struct tcp_sack_blk b = s->sack[i];

		if (!seq_lt(b.start, b.end) || seq_gt(b.end, c->snd_max) ||
		    !seq_gt(b.end, c->snd_una) || b.end - b.start > (1u << 30))
			continue;
		b.start = seq_max(b.start, c->snd_una);
		sack_insert(c, b);
	}
}

/** Drop what snd_una has passed. */
void tcp_sack_trim(struct tcp_conn *c)
{
	while (c->n_sack && seq_leq(c->sack[0].end, c->snd_una))
		sack_remove(c, 0);
	if (c->n_sack && seq_lt(c->sack[0].start, c->snd_una))
		c->sack[0].start = c->snd_una;
}

/** Bytes the scoreboard covers. */
uint32_t tcp_sack_bytes(const struct tcp_conn *c)
{
	uint32_t sum = 0;

	for (unsigned i = 0; i < c->n_sack; i++)
		sum += c->sack[i].end - c->sack[i].start;
	return sum;
}

/**
 * The first hole [*start, *end) at or after @a from and below the
 * highest SACKed byte. @return false if none.
 */
bool tcp_sack_next_hole(const struct tcp_conn *c, uint32_t from, uint32_t *start,
			uint32_t *end)
{
	uint32_t p = seq_max(from, c->snd_una);

	for (unsigned i = 0; i < c->n_sack; i++) {
		if (seq_lt(p, c->sack[i].start)) {
			*start = p;
			*end = c->sack[i].start;
			return true;
		}
		if (seq_lt(p, c->sack[i].end))
			p = c->sack[i].end;
	}
	return false;
}
