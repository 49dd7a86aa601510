/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file port.h
 * Bring up the one port stampede serves: a PCI NIC, a vdev, or a kernel
 * interface through AF_XDP (preferred) or af_packet.
 */
#ifndef STP_PORT_H
#define STP_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "config.h"
#include "ipv4_addr.h"

struct port_info {
	uint16_t port_id;
	struct mac_addr mac;
	char driver[64];      /* what was chosen, e.g. "net_af_xdp" */
	char why[256];        /* why that driver (fallback reason) */
	bool multiseg_tx;     /* chained mbufs enabled on TX (zero-copy payload) */
	uint64_t tx_offloads; /* RTE_ETH_TX_OFFLOAD_{IPV4,TCP,UDP}_CKSUM, _TCP_TSO enabled */
	bool rss;             /* RSS with stp_rss_key and our RETA (several workers) */
};

/**
 * Probe (for an iface), configure @a n_queues RX/TX queue pairs and start
 * the port. @return 0, or -1 with one clear line in @a err.
 */
int port_open(const struct stp_config *cfg, unsigned n_queues,
	      struct rte_mempool *mp, struct port_info *out, char *err,
	      size_t errlen);

/** The offloads in use as words ("ipv4-cksum tcp-cksum tso") or "none (...why)". */
const char *port_offload_names(const struct stp_config *cfg, const struct port_info *p,
			       char *buf, size_t len);

/** "zero copy" or "copy (...why)": what TFTP/HTTP payload will use. */
const char *port_tx_mode(const struct stp_config *cfg, const struct port_info *p);

void port_close(const struct port_info *p);

#endif
