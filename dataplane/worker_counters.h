/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file worker_counters.h
 * A worker lcore's own counters: an X-macro table of events plus one slot
 * per frame drop reason (common/pkt.h). Written only by the lcore; the
 * control thread reads them (stats.h says how they are reported). No
 * DPDK here, so the counter registry's test links without it.
 */
#ifndef STP_WORKER_COUNTERS_H
#define STP_WORKER_COUNTERS_H

#include <stdint.h>

#include "pkt.h"

/* X(name, help) */
#define WORKER_COUNTERS(X)                                  \
	X(rx, "frames received")                            \
	X(tx, "frames sent")                                \
	X(tx_full, "frames not sent: TX queue and backlog full") \
	X(tx_backlog, "flushes the TX queue cut short: frames wait for a later poll") \
	X(tx_refused, "frames dropped: the port refused them for 50 ms") \
	X(nombuf, "replies lost: mempool empty")            \
	X(multiseg, "frames dropped: not in one segment")   \
	X(arp_reply, "ARP replies")                         \
	X(icmp_reply, "ICMP echo replies")                  \
	X(ra_sent, "IPv6 Router Advertisements (to RS)")    \
	X(steered, "frames passed to the lcore that owns their state") \
	X(steered_dhcp, "DHCP frames passed to the lcore that owns the leases") \
	X(steered_tftp, "TFTP frames passed to the lcore of their session") \
	X(steered_tcp, "TCP segments passed to the lcore of their connection") \
	X(steer_full, "frames lost: steering ring full")    \
	X(ev_lost, "events lost: control ring full")        \
	X(lease_ev_lost, "lease events lost: lease ring full (their ACKs dropped)") \
	X(busy_cycles, "TSC cycles spent on bursts")        \
	X(dhcp_cycles, "TSC cycles spent in DHCP handling") \
	X(dhcp_pkts, "DHCP frames handled on this lcore")

struct worker_counters {
#define X(name, help) uint64_t name;
	WORKER_COUNTERS(X)
#undef X
	uint64_t drop[PKT_DROP_COUNT];  /* by enum pkt_drop; PKT_DROP_NONE unused */
};

#endif
