/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fake network of the storm client tests: one FIFO of whole Ethernet
 * frames between the clients and a server core, deterministic loss
 * (every k-th frame put on it is dropped), and storm_tx queues that
 * empty onto it. The tests move the clock themselves.
 */
#ifndef STP_TEST_STORM_NET_H
#define STP_TEST_STORM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "storm_wire.h"

#define TNET_TXQ 16

struct tnet_frame {
	uint16_t len;
	uint8_t b[STORM_FRAME_MAX];
};

struct tnet {
	struct tnet_frame *q;
	unsigned cap, head, n;
	unsigned drop_every;       /* 0 = no loss */
	uint64_t sent, dropped;
};

/** A storm_tx with its own frame buffers. */
struct tnet_txq {
	uint8_t *ptr[TNET_TXQ];
	uint16_t len[TNET_TXQ];
	uint8_t buf[TNET_TXQ][STORM_FRAME_MAX];
	struct storm_tx tx;
};

void tnet_init(struct tnet *w, unsigned cap, unsigned drop_every);
void tnet_fini(struct tnet *w);

/** Put a frame on the wire, or lose it (every drop_every-th). */
void tnet_send(struct tnet *w, const uint8_t *f, size_t len);

/** Take the oldest frame off the wire into @a out. @return false if none. */
bool tnet_recv(struct tnet *w, struct tnet_frame *out);

void tnet_txq_init(struct tnet_txq *q, unsigned cap);

/** Move what the clients queued onto the wire (loss applies). */
void tnet_flush(struct tnet *w, struct tnet_txq *q);

/** Parse a frame that must be valid UDP over IPv4 (fails the test otherwise). */
void tnet_parse_udp(const uint8_t *f, size_t len, struct pkt_info *pi);

/** Build a UDP frame around @a payload into @a f. @return its length. */
size_t tnet_udp(uint8_t *f, const struct mac_addr *smac, const struct mac_addr *dmac,
		uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport, const void *payload,
		size_t len);

#endif
