/* SPDX-License-Identifier: BSD-3-Clause */
#include "port.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "eal_args.h"
#include "log.h"
#include "rss.h"

#define BPF_FS_MAGIC_ 0xcafe4a11
#define PORT_RX_DESC 1024
#define PORT_TX_DESC 1024

/* libxdp keeps its dispatcher program pinned in bpffs; without it the
 * AF_XDP PMD cannot load its program. Mount it if nobody did. */
static void ensure_bpffs(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) == 0 && (unsigned long)st.f_type == BPF_FS_MAGIC_)
		return;
	mkdir("/sys/fs/bpf", 0700);
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") != 0)
		log_warn("cannot mount bpffs at /sys/fs/bpf: %s (AF_XDP may fail)",
			 strerror(errno));
}

/*
 * The transmit offloads to turn on: the IPv4 and TCP checksums each where
 * the port has them, segmentation only with both and chained mbufs (a TSO
 * frame is headers + one run of object bytes). TFTP keeps its UDP
 * checksums in software: they come precomputed per block already.
 */
static uint64_t pick_tx_offloads(const struct stp_config *cfg, uint64_t capa, bool multiseg)
{
	const uint64_t csum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	uint64_t on;

	if (!cfg->port.tx_offload)
		return 0;
	on = capa & csum;
	if ((capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) && multiseg && (on & csum) == csum)
		on |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
	return on;
}

#define PORT_RSS_HF (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP | \
		     RTE_ETH_RSS_IPV4)

/* The redirection table rss_queue() assumes: entry i holds queue i % nq,
 * the table STP_RSS_RETA_SIZE long or a multiple of it. */
static int rss_program_reta(uint16_t pid, unsigned nq, uint16_t reta_size)
{
	struct rte_eth_rss_reta_entry64 reta[512 / RTE_ETH_RETA_GROUP_SIZE];

	if (reta_size == 0 || reta_size > 512 || reta_size % STP_RSS_RETA_SIZE != 0)
		return -1;
	memset(reta, 0, sizeof(reta));
	for (unsigned i = 0; i < reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)((i % STP_RSS_RETA_SIZE) % nq);
	}
	return rte_eth_dev_rss_reta_update(pid, reta, reta_size);
}

static int configure(uint16_t pid, const struct stp_config *cfg, unsigned nq,
		     struct rte_mempool *mp, struct port_info *out, char *err, size_t errlen)
{
	bool *multiseg = &out->multiseg_tx;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nrx = PORT_RX_DESC, ntx = PORT_TX_DESC;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc == 0 && nq > info.max_rx_queues) {
		snprintf(err, errlen, "port has %u RX queues, %u workers need one each",
			 info.max_rx_queues, nq);
		return -1;
	}
	conf.rxmode.mtu = cfg->port.mtu;
	*multiseg = rc == 0 && cfg->port.zero_copy != 0 &&
		    (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	if (*multiseg)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	else if (cfg->port.zero_copy == 1) {
		snprintf(err, errlen, "port.zero_copy: on, but %s cannot send chained mbufs",
			 rc == 0 ? info.driver_name : "this port");
		return -1;
	}
	out->tx_offloads = rc == 0 ? pick_tx_offloads(cfg, info.tx_offload_capa, *multiseg) : 0;
	conf.txmode.offloads |= out->tx_offloads;
	/* Several workers: the NIC spreads flows with our symmetric key, and
	 * the workers take ownership by the same hash (common/rss.h). */
	if (rc == 0 && nq > 1 && (info.flow_type_rss_offloads & PORT_RSS_HF)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)stp_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = STP_RSS_KEY_LEN;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & PORT_RSS_HF;
		out->rss = true;
	}
	rc = rte_eth_dev_configure(pid, (uint16_t)nq, (uint16_t)nq, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	for (unsigned q = 0; rc == 0 && q < nq; q++) {
		rc = rte_eth_rx_queue_setup(pid, (uint16_t)q, nrx,
					    rte_eth_dev_socket_id(pid), NULL, mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, (uint16_t)q, ntx,
						    rte_eth_dev_socket_id(pid), NULL);
	}
	if (rc == 0)
		rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		snprintf(err, errlen, "cannot configure/start the port: %s", rte_strerror(-rc));
		return -1;
	}
	if (out->rss && rss_program_reta(pid, nq, info.reta_size) != 0)
		out->rss = false;   /* flows still reach their lcore: by steering */
	/* IPv6 neighbour/router multicast must reach us; unicast for others need not. */
	rte_eth_allmulticast_enable(pid);
	return 0;
}

static int probe_iface(const struct stp_config *cfg, bool af_xdp, unsigned nq,
		       struct rte_mempool *mp, struct port_info *out, char *err,
		       size_t errlen)
{
	char devargs[EAL_ARG_LEN];
	const char *name = af_xdp ? "net_af_xdp0" : "net_af_packet0";
	uint16_t pid;
	int rc;

	if (eal_iface_devargs(cfg, af_xdp, nq, devargs, sizeof(devargs)) != 0) {
		snprintf(err, errlen, "port.iface: devargs too long");
		return -1;
	}
	if (af_xdp)
		ensure_bpffs();
	rc = rte_dev_probe(devargs);
	if (rc != 0) {
		snprintf(err, errlen, "%s probe failed: %s", name, rte_strerror(-rc));
		return -1;
	}
	if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
		snprintf(err, errlen, "%s probed but no port appeared", name);
		rte_eal_hotplug_remove("vdev", name);
		return -1;
	}
	if (configure(pid, cfg, nq, mp, out, err, errlen) != 0) {
		rte_eth_dev_close(pid);
		rte_eal_hotplug_remove("vdev", name);
		return -1;
	}
	out->port_id = pid;
	snprintf(out->driver, sizeof(out->driver), "%s", name);
	return 0;
}

static int open_iface(const struct stp_config *cfg, unsigned nq,
		      struct rte_mempool *mp, struct port_info *out, char *err,
		      size_t errlen)
{
	char xdp_err[256];

	switch (cfg->port.driver) {
	case CFG_DRIVER_AF_PACKET:
		snprintf(out->why, sizeof(out->why), "port.driver: af_packet");
		return probe_iface(cfg, false, nq, mp, out, err, errlen);
	case CFG_DRIVER_AF_XDP:
		snprintf(out->why, sizeof(out->why), "port.driver: af_xdp");
		return probe_iface(cfg, true, nq, mp, out, err, errlen);
	case CFG_DRIVER_AUTO:
		break;
	}
	if (probe_iface(cfg, true, nq, mp, out, xdp_err, sizeof(xdp_err)) == 0) {
		snprintf(out->why, sizeof(out->why), "AF_XDP started: the faster path");
		return 0;
	}
	snprintf(out->why, sizeof(out->why), "AF_XDP did not start (%.200s)", xdp_err);
	return probe_iface(cfg, false, nq, mp, out, err, errlen);
}

int port_open(const struct stp_config *cfg, unsigned n_queues,
	      struct rte_mempool *mp, struct port_info *out, char *err,
	      size_t errlen)
{
	struct rte_ether_addr mac;

	memset(out, 0, sizeof(*out));
	if (cfg->port.kind == CFG_PORT_IFACE) {
		if (open_iface(cfg, n_queues, mp, out, err, errlen) != 0)
			return -1;
	} else {
		struct rte_eth_dev_info info;
		uint16_t pid;

		/* The EAL probed the PCI device or vdev; serve the first port. */
		pid = (uint16_t)rte_eth_find_next(0);
		if (!rte_eth_dev_is_valid_port(pid)) {
			snprintf(err, errlen, "no DPDK port found for %s",
				 cfg->port.kind == CFG_PORT_PCI ? cfg->port.pci : cfg->port.vdev);
			return -1;
		}
		if (configure(pid, cfg, n_queues, mp, out, err, errlen) != 0)
			return -1;
		out->port_id = pid;
		if (rte_eth_dev_info_get(pid, &info) == 0)
			snprintf(out->driver, sizeof(out->driver), "%s", info.driver_name);
		snprintf(out->why, sizeof(out->why), "configured port");
	}
	rte_eth_macaddr_get(out->port_id, &mac);
	memcpy(out->mac.b, mac.addr_bytes, STP_MAC_LEN);
	return 0;
}

void port_close(const struct port_info *p)
{
	rte_eth_dev_stop(p->port_id);
	rte_eth_dev_close(p->port_id);
}

const char *port_tx_mode(const struct stp_config *cfg, const struct port_info *p)
{
	if (p->multiseg_tx)
		return "zero copy (payload chained from the cache)";
	if (cfg->port.zero_copy == 0)
		return "copy (port.zero_copy: off)";
	return "copy (the port cannot send chained mbufs)";
}

const char *port_offload_names(const struct stp_config *cfg, const struct port_info *p,
			       char *buf, size_t len)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ RTE_ETH_TX_OFFLOAD_IPV4_CKSUM, "ipv4-cksum" },
		{ RTE_ETH_TX_OFFLOAD_TCP_CKSUM, "tcp-cksum" },
		{ RTE_ETH_TX_OFFLOAD_TCP_TSO, "tso" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < RTE_DIM(names); i++)
		if (p->tx_offloads & names[i].bit)
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
						 used > 0 ? " " : "", names[i].name);
	if (used == 0)
		snprintf(buf, len, "none (%s)", cfg->port.tx_offload ? "the port has none"
								   : "port.tx_offload: false");
	return buf;
}
