/* SPDX-License-Identifier: BSD-3-Clause */
#include "storm_port.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define RX_DESC 2048
#define TX_DESC 2048
#define POOL_MBUFS 32767
#define LINK_WAIT_MS 10000

/* --iface IF: the AF_XDP or af_packet vdev on it (auto: AF_XDP), one
 * queue pair per lcore. */
static int iface_vdev(const struct storm_opts *o, struct eal_args *e)
{
	unsigned nq = o->lcores[0] ? (unsigned)eal_lcore_count(o->lcores) : 1u;

	if (strcmp(o->driver, "af_packet") == 0)
		return eal_args_add(e, "net_af_packet0,iface=%s,qpairs=%u,framecnt=8192,blocksz=4096,"
			   "framesz=2048", o->port, nq);
	return eal_args_add(e, "net_af_xdp0,iface=%s,start_queue=0,queue_count=%u", o->port, nq);
}

int storm_eal_args(const struct storm_opts *o, const char *prog, struct eal_args *e,
		   char *err, size_t errlen)
{
	int rc = 0;

	memset(e, 0, sizeof(*e));
	err[0] = '\0';
	rc |= eal_args_add(e, "%s", prog);
	if (o->lcores[0] != '\0') {
		rc |= eal_args_add(e, "-l");
		rc |= eal_args_add(e, "%s", o->lcores);
	} else {
		rc |= eal_args_add(e, "-l");
		rc |= eal_args_add(e, "%d", sched_getcpu() >= 0 ? sched_getcpu() : 0);
	}
	/* A prefix of our own, never --in-memory: --no-huge implies legacy
	 * memory, which --in-memory refuses, and the memif PMD cannot register
	 * its multi-process callback there (it crashes in DPDK 22.11). */
	rc |= eal_args_add(e, "--file-prefix");
	if (o->file_prefix[0] != '\0')
		rc |= eal_args_add(e, "%s", o->file_prefix);
	else
		rc |= eal_args_add(e, "stampede-storm-%ld", (long)getpid());
	/* hugepage files go back to the pool however we end */
	if (!o->no_huge)
		rc |= eal_args_add(e, "--huge-unlink");
	if (o->no_huge) {
		rc |= eal_args_add(e, "--no-huge");
		rc |= eal_args_add(e, "-m");
		rc |= eal_args_add(e, "1024");
	}
	rc |= eal_args_add(e, "--no-telemetry");
	rc |= eal_args_add(e, "--log-level");
	rc |= eal_args_add(e, "*:warning");
	if (o->port_kind == STORM_PORT_PCI) {
		rc |= eal_args_add(e, "-a");
		rc |= eal_args_add(e, "%s", o->port);
	} else {
		rc |= eal_args_add(e, "--no-pci");
		rc |= eal_args_add(e, "--vdev");
		rc |= o->port_kind == STORM_PORT_VDEV ? eal_args_add(e, "%s", o->port) : iface_vdev(o, e);
	}
	if (rc != 0)
		snprintf(err, errlen, "EAL arguments too long (port \"%s\")", o->port);
	return rc != 0 ? -1 : 0;
}

static int configure(uint16_t pid, unsigned nq, struct rte_mempool *mp, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int rc;

	memset(&conf, 0, sizeof(conf));
	if ((rc = rte_eth_dev_info_get(pid, &info)) != 0)
		goto err_port;
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		snprintf(err, errlen, "port %s has %u queue pairs, %u lcores need one each",
			 info.driver_name, RTE_MIN(info.max_rx_queues, info.max_tx_queues), nq);
		return -1;
	}
	if ((rc = rte_eth_dev_configure(pid, (uint16_t)nq, (uint16_t)nq, &conf)) != 0)
		goto err_port;
	for (unsigned q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(pid, (uint16_t)q, RX_DESC, rte_eth_dev_socket_id(pid),
					    NULL, mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, (uint16_t)q, TX_DESC,
						    rte_eth_dev_socket_id(pid), NULL);
		if (rc != 0)
			goto err_port;
	}
	if ((rc = rte_eth_dev_start(pid)) != 0)
		goto err_port;
	rte_eth_promiscuous_enable(pid);
	/* A storm that starts before the link (a memif peer connecting, a NIC
	 * negotiating) loses its first frames and measures the retry. */
	for (int i = 0; i < LINK_WAIT_MS / 10; i++) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(pid, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
			return 0;
		rte_delay_ms(10);
	}
	snprintf(err, errlen, "link down after %d s (is the server's side of the port up?)",
		 LINK_WAIT_MS / 1000);
	return -1;
err_port:
	snprintf(err, errlen, "port did not start: %s", rte_strerror(-rc));
	return -1;
}

int storm_port_open(const struct storm_opts *o, unsigned nq, uint16_t *port,
		    struct rte_mempool **mp, char *err, size_t errlen)
{
	uint16_t pid;

	if (rte_eth_dev_count_avail() == 0) {
		snprintf(err, errlen, "port \"%s\" did not start: no device (see the EAL lines above)",
			 o->port);
		return -1;
	}
	/* the one port the EAL made: --vdev, --iface or -a adds exactly one */
	pid = (uint16_t)rte_eth_find_next_owned_by(0, RTE_ETH_DEV_NO_OWNER);
	*mp = rte_pktmbuf_pool_create("storm_mbufs", POOL_MBUFS * nq, 256, 0,
				      RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (*mp == NULL) {
		snprintf(err, errlen, "no memory for %u mbufs: %s", POOL_MBUFS * nq,
			 rte_strerror(rte_errno));
		return -1;
	}
	*port = pid;
	if (configure(pid, nq, *mp, err, errlen) != 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "port \"%s\": %s", o->port, msg);
		return -1;
	}
	return 0;
}

void storm_port_close(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}
