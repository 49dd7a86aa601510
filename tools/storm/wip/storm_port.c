/* SPDX-License-Identifier: BSD-3-Clause */
#include "storm_port.h"

#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define RX_DESC 2048
#define TX_DESC 2048
#define POOL_MBUFS 32767

static int add(struct storm_eal *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->argc >= STORM_EAL_ARGS)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(e->store[e->argc], STORM_EAL_ARG_LEN, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= STORM_EAL_ARG_LEN)
		return -1;
	e->argv[e->argc] = e->store[e->argc];
	e->argv[++e->argc] = NULL;
	return 0;
}

/* Lcores in an EAL list like "0-3,6" (1 for an empty or odd list). */
static unsigned count_lcores(const char *list)
{
	unsigned n = 0;
	const char *s = list;

	while (*s != '\0') {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;

		if (end == s)
			return n > 0 ? n : 1;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		n += hi >= lo ? (unsigned)(hi - lo + 1) : 1;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			break;
	}
	return n > 0 ? n : 1;
}

/* --iface IF: the AF_XDP or af_packet vdev on it (auto: AF_XDP), one
 * queue pair per lcore. */
static int iface_vdev(const struct storm_opts *o, struct storm_eal *e)
{
	unsigned nq = count_lcores(o->lcores);

	if (strcmp(o->driver, "af_packet") == 0)
		return add(e, "net_af_packet0,iface=%s,qpairs=%u,framecnt=8192,blocksz=4096,"
			   "framesz=2048", o->port, nq);
	return add(e, "net_af_xdp0,iface=%s,start_queue=0,queue_count=%u", o->port, nq);
}

int storm_eal_args(const struct storm_opts *o, const char *prog, struct storm_eal *e,
		   char *err, size_t errlen)
{
	int rc = 0;

	memset(e, 0, sizeof(*e));
	err[0] = '\0';
	rc |= add(e, "%s", prog);
	if (o->lcores[0] != '\0') {
		rc |= add(e, "-l");
		rc |= add(e, "%s", o->lcores);
	} else {
		rc |= add(e, "-l");
		rc |= add(e, "%d", sched_getcpu() >= 0 ? sched_getcpu() : 0);
	}
	if (o->file_prefix[0] != '\0') {
		rc |= add(e, "--file-prefix");
		rc |= add(e, "%s", o->file_prefix);
	} else {
		rc |= add(e, "--in-memory");
	}
	if (o->no_huge) {
		rc |= add(e, "--no-huge");
		rc |= add(e, "-m");
		rc |= add(e, "1024");
	}
	rc |= add(e, "--no-telemetry");
	rc |= add(e, "--log-level");
	rc |= add(e, "*:warning");
	if (o->port_kind == STORM_PORT_PCI) {
		rc |= add(e, "-a");
		rc |= add(e, "%s", o->port);
	} else {
		rc |= add(e, "--no-pci");
		rc |= add(e, "--vdev");
		rc |= o->port_kind == STORM_PORT_VDEV ? add(e, "%s", o->port) : iface_vdev(o, e);
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
	return 0;
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
