/* SPDX-License-Identifier: BSD-3-Clause */
#include "eal_args.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int eal_args_build(const struct stp_config *cfg, const char *prog,
		   struct eal_args *a, char *err, size_t errlen)
{
	int rc = 0;

	memset(a, 0, sizeof(*a));
	rc |= eal_args_add(a, "%s", prog);
	if (strpbrk(cfg->eal.lcores, "@(") != NULL) {
		/* lcore-to-CPU maps ("0@0,1@1,2@1") are --lcores syntax. */
		rc |= eal_args_add(a, "--lcores");
		rc |= eal_args_add(a, "%s", cfg->eal.lcores);
	} else if (cfg->eal.lcores[0]) {
		if (eal_lcore_count(cfg->eal.lcores) < 0) {
			snprintf(err, errlen, "eal.lcores: \"%s\" is not a list like 0-3,6",
				 cfg->eal.lcores);
			return -1;
		}
		rc |= eal_args_add(a, "-l");
		rc |= eal_args_add(a, "%s", cfg->eal.lcores);
	}
	if (cfg->eal.no_huge)
		rc |= eal_args_add(a, "--no-huge");
	rc |= eal_args_add(a, "-m");
	rc |= eal_args_add(a, "%u", cfg->eal.memory_mb);
	/* Without a prefix nothing is left in /var/run or hugetlbfs, so a
	 * process killed with -9 never blocks the next one. --in-memory
	 * refuses --no-huge (legacy memory); --no-shconf is its equivalent. */
	if (cfg->eal.file_prefix[0]) {
		rc |= eal_args_add(a, "--file-prefix");
		rc |= eal_args_add(a, "%s", cfg->eal.file_prefix);
		/* Otherwise every hugepage file outlives the process, even a
		 * clean exit: the pages stay taken (HugePages_Free drops for
		 * good) until some later DPDK start sweeps them. Unlinked right
		 * after mapping, they go back to the pool when the process ends,
		 * however it ends. Only secondary processes need the files, and
		 * stampede has none. */
		if (!cfg->eal.no_huge)
			rc |= eal_args_add(a, "--huge-unlink");
	} else if (cfg->port.kind == CFG_PORT_VDEV && strncmp(cfg->port.vdev, "net_memif", 9) == 0) {
		/* The memif PMD registers a multi-process callback, which neither
		 * --in-memory nor --no-shconf allows (DPDK 22.11 then crashes):
		 * a prefix of this process's own. */
		rc |= eal_args_add(a, "--file-prefix");
		rc |= eal_args_add(a, "stampede-%ld", (long)getpid());
		if (!cfg->eal.no_huge)
			rc |= eal_args_add(a, "--huge-unlink");
	} else {
		rc |= eal_args_add(a, cfg->eal.no_huge ? "--no-shconf" : "--in-memory");
	}
	rc |= eal_args_add(a, "--no-telemetry");
	rc |= eal_args_add(a, "--log-level=notice");
	switch (cfg->port.kind) {
	case CFG_PORT_PCI:
		rc |= eal_args_add(a, "-a");
		rc |= eal_args_add(a, "%s", cfg->port.pci);
		break;
	case CFG_PORT_VDEV:
		rc |= eal_args_add(a, "--no-pci");
		rc |= eal_args_add(a, "--vdev");
		rc |= eal_args_add(a, "%s", cfg->port.vdev);
		break;
	case CFG_PORT_IFACE:
		rc |= eal_args_add(a, "--no-pci");
		break;
	}
	if (rc) {
		snprintf(err, errlen, "EAL arguments too long");
		return -1;
	}
	return 0;
}

int eal_iface_devargs(const struct stp_config *cfg, bool af_xdp,
		      unsigned queues, char *buf, size_t len)
{
	int n;

	if (af_xdp)
		n = snprintf(buf, len, "net_af_xdp0,iface=%s,start_queue=0,queue_count=%u",
			     cfg->port.iface, queues);
	else
		/* The PMD's default ring (512 frames) drops RRQ and SYN bursts.
		 * 8192 frames of 2 KiB per queue (16 MiB each way) absorb a
		 * storm's first second, and the ACK bursts of many TCP streams
		 * on a veth, where the peers' softirq work runs on our core
		 * and stalls the poll loop. */
		n = snprintf(buf, len,
			     "net_af_packet0,iface=%s,qpairs=%u,blocksz=4096,framesz=2048,framecnt=8192",
			     cfg->port.iface, queues);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}
