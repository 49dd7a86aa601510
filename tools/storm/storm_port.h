/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_port.h
 * The generator's EAL arguments and its one port: a vdev (memif, net_ring
 * ...), a kernel interface through AF_XDP or af_packet, or a PCI NIC; one
 * RX/TX queue pair per lcore.
 */
#ifndef STP_STORM_PORT_H
#define STP_STORM_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "eal_argv.h"
#include "storm_opts.h"

/** The EAL command line for @a o. @return 0, or -1 with one line in @a err. */
int storm_eal_args(const struct storm_opts *o, const char *prog, struct eal_args *e,
		   char *err, size_t errlen);

/**
 * Configure and start the port with @a nq queue pairs and a mempool.
 * @return 0, or -1 with one line in @a err naming the port and the reason
 */
int storm_port_open(const struct storm_opts *o, unsigned nq, uint16_t *port,
		    struct rte_mempool **mp, char *err, size_t errlen);

void storm_port_close(uint16_t port);

#endif
