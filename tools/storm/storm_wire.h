/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_wire.h
 * What every client-side protocol machine of stampede-storm shares: the
 * virtual client's addresses and the caller-owned queue of frames it
 * appends to. The machines are plain C over byte buffers with an explicit
 * clock, like the server's cores (docs/style.md rules 1-4): they build
 * whole Ethernet frames with common/pkt.h and never transmit; the storm
 * glue copies the frames into mbufs and sends them.
 */
#ifndef STP_STORM_WIRE_H
#define STP_STORM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipv4_addr.h"
#include "pkt.h"

/** Largest frame a machine builds (Ethernet header included, no FCS). */
#define STORM_FRAME_MAX 1536

/** Frames out: @a frame[i] has STORM_FRAME_MAX bytes; n used of cap. */
struct storm_tx {
	uint8_t **frame;
	uint16_t *len;
	unsigned cap, n;
};

/** Room for the next frame, or NULL when the queue is full. */
static inline uint8_t *storm_tx_next(struct storm_tx *tx)
{
	return tx->n < tx->cap ? tx->frame[tx->n] : NULL;
}

/** The frame storm_tx_next() returned is @a len bytes long: queue it. */
static inline void storm_tx_commit(struct storm_tx *tx, size_t len)
{
	tx->len[tx->n++] = (uint16_t)len;
}

/** One virtual client on the wire. */
struct storm_addr {
	struct mac_addr mac;       /* its own (mac-base + index) */
	uint32_t ip;               /* host order; 0 until a lease is bound */
	struct mac_addr srv_mac;   /* where unicast goes: the server's, learnt */
	uint32_t srv_ip;           /* the server's address, learnt from DHCP */
};

#endif
