/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tftp_glue.h
 * TFTP on a worker lcore: feeds datagrams and timer ticks to the per-lcore
 * tftp_server core and turns its actions into frames. DATA payload comes
 * straight from the cache object: chained as an external buffer when the
 * port can send multi-segment frames (zero copy), copied otherwise; its
 * checksum comes from the object's precomputed block sums either way.
 */
#ifndef STP_TFTP_GLUE_H
#define STP_TFTP_GLUE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "config.h"
#include "pkt.h"
#include "tftp_server.h"

#define TFTP_GLUE_ACTS 256

struct worker;

struct tftp_glue {
	struct tftp_server *srv;
	struct tftp_act act[TFTP_GLUE_ACTS];
	uint64_t *sess_gen;          /* [capacity]: cache gen pinned, 0 = none */
	struct mac_addr *sess_mac;   /* [capacity]: where the session's client is */
	uint32_t capacity;
	bool zero_copy;
	struct rte_mempool *ext_mp;  /* data-less mbufs for external buffers */
	struct rte_mbuf_ext_shared_info shinfo;
	uint64_t nombuf;             /* frames not built: mempool empty */
	uint64_t zc_frames, copy_frames;
};

/**
 * Set up TFTP for worker @a w (queue index @a q of @a nq workers): ports
 * cfg->tftp.port_first + q + k * nq are this worker's TIDs.
 * @return 0, or -1 (allocation failure at start).
 */
int tftp_glue_init(struct worker *w, unsigned q, unsigned nq, bool zero_copy,
		   struct rte_mempool *ext_mp);

/** Is this UDP destination port TFTP's (69 or a TID of any worker)? */
bool tftp_glue_port_is_tftp(const struct stp_config *cfg, unsigned nq, uint16_t port);

#define TFTP_OWNER_ANY UINT32_MAX

/** The worker (queue index) that owns TID @a port; TFTP_OWNER_ANY for 69. */
unsigned tftp_glue_port_owner(const struct stp_config *cfg, unsigned nq, uint16_t port);

/** A datagram for TFTP that this worker owns. */
void tftp_glue_input(struct worker *w, const struct pkt_info *pi, uint64_t now_us);

/** Run due retransmissions and idle ends (bounded work per call). */
void tftp_glue_timers(struct worker *w, uint64_t now_us);

#endif
