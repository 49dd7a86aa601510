/* SPDX-License-Identifier: BSD-3-Clause */
/* The fake network of the storm client tests (see test_storm_net.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_storm_net.h"

void tnet_init(struct tnet *w, unsigned cap, unsigned drop_every)
{
	memset(w, 0, sizeof(*w));
	w->q = calloc(cap, sizeof(*w->q));
	assert_non_null(w->q);
	w->cap = cap;
	w->drop_every = drop_every;
}

void tnet_fini(struct tnet *w)
{
	free(w->q);
	w->q = NULL;
}

void tnet_send(struct tnet *w, const uint8_t *f, size_t len)
{
	struct tnet_frame *slot;

	assert_true(len <= STORM_FRAME_MAX);
	w->sent++;
	if (w->drop_every != 0 && w->sent % w->drop_every == 0) {
		w->dropped++;
		return;
	}
	if (w->n == w->cap)
		fail_msg("fake wire full (%u frames)", w->cap);
	slot = &w->q[(w->head + w->n) % w->cap];
	slot->len = (uint16_t)len;
	memcpy(slot->b, f, len);
	w->n++;
}

bool tnet_recv(struct tnet *w, struct tnet_frame *out)
{
	if (w->n == 0)
		return false;
	memcpy(out, &w->q[w->head], sizeof(*out));
	w->head = (w->head + 1) % w->cap;
	w->n--;
	return true;
}

void tnet_txq_init(struct tnet_txq *q, unsigned cap)
{
	assert_true(cap <= TNET_TXQ);
	for (unsigned i = 0; i < TNET_TXQ; i++)
		q->ptr[i] = q->buf[i];
	q->tx = (struct storm_tx){ q->ptr, q->len, cap, 0 };
}

void tnet_flush(struct tnet *w, struct tnet_txq *q)
{
	for (unsigned i = 0; i < q->tx.n; i++)
		tnet_send(w, q->buf[i], q->len[i]);
	q->tx.n = 0;
}

void tnet_parse_udp(const uint8_t *f, size_t len, struct pkt_info *pi)
{
	enum pkt_class c = pkt_parse(span_make(f, len), pi);

	if (c != PKT_CLASS_UDP)
		fail_msg("frame of %zu bytes is not UDP: class %d drop %s", len, (int)c,
			 pi->drop == PKT_DROP_NONE ? "-" : pkt_drop_names[pi->drop]);
}

size_t tnet_udp(uint8_t *f, const struct mac_addr *smac, const struct mac_addr *dmac,
		uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport, const void *payload,
		size_t len)
{
	assert_true(len <= STORM_FRAME_MAX - UDP4_HDRS_LEN);
	memmove(f + UDP4_HDRS_LEN, payload, len);
	return pkt_build_udp4(f, smac, dmac, sip, dip, sport, dport, len);
}
