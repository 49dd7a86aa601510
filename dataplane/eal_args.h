/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file eal_args.h
 * Turn the config into the argv rte_eal_init() wants, and the devargs of
 * the port. Pure, so the mapping is unit-tested without starting DPDK.
 */
#ifndef STP_EAL_ARGS_H
#define STP_EAL_ARGS_H

#include "config.h"
#include "eal_argv.h"

/**
 * Build the EAL argv for @a cfg. The port itself is not in it: an iface
 * port is hot-plugged after init so AF_XDP can fall back to af_packet.
 * @return 0, or -1 with a message in @a err.
 */
int eal_args_build(const struct stp_config *cfg, const char *prog,
		   struct eal_args *a, char *err, size_t errlen);

/**
 * Devargs of the kernel-interface port for one driver.
 * @param af_xdp  true for net_af_xdp, false for net_af_packet
 */
int eal_iface_devargs(const struct stp_config *cfg, bool af_xdp,
		      unsigned queues, char *buf, size_t len);

#endif
