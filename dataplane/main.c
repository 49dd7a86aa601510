/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stampede: a kernel-bypass PXE boot server. This file wires the rooms
 * together: config -> EAL -> port -> workers on their lcores, control on
 * the main lcore, and an orderly stop on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include "config.h"
#include "control_loop.h"
#include "eal_args.h"
#include "lease_store.h"
#include "log.h"
#include "port.h"
#include "worker.h"

#define STEER_RING_SIZE 4096
#define MBUF_CACHE 256

static volatile sig_atomic_t g_quit;  /* set only by the signal handler */
static volatile sig_atomic_t g_dump;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		g_dump = 1;
	else
		g_quit = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: stampede --config FILE [--check]\n"
		"       stampede --help | --version\n"
		"\n"
		"A kernel-bypass PXE boot server: a DPDK dataplane answers ARP, ICMP,\n"
		"DHCP and ProxyDHCP for PXE and iPXE clients; a control thread keeps\n"
		"leases in SQLite. Runs in the foreground and logs to stderr.\n"
		"\n"
		"  -c, --config FILE   YAML configuration (see README.md, config/examples/)\n"
		"      --check         validate the configuration against this machine, then exit\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"\n"
		"Signals: SIGINT/SIGTERM stop cleanly (counters are printed),\n"
		"         SIGUSR1 prints the per-lcore counters while running.\n"
		"Exit status: 0 clean stop, 1 runtime failure, 2 bad usage or configuration.\n");
}

struct options {
	const char *config;
	bool check;
};

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'k':
			o->check = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("stampede %s\n", STP_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "stampede: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	if (o->config == NULL) {
		fprintf(stderr, "stampede: --config FILE is required (try --help)\n");
		return -1;
	}
	return 0;
}

struct restore_ctx {
	struct dhcp_server *dhcp;
	uint64_t now;
	unsigned restored, refused;
};

static int restore_one(void *arg, const struct lease_row *row)
{
	struct restore_ctx *r = arg;
	/* A released address is free, but the MAC keeps its claim to it. */
	uint64_t expires = row->state == LEASE_RELEASED ? 0 : row->expires;
	int rc = dhcp_server_restore(r->dhcp, &row->mac, row->ip, expires, r->now);

	if (rc == 0) {
		r->restored++;
	} else {
		char ip[STP_IPV4_STRLEN], mac[STP_MAC_STRLEN];

		r->refused++;
		log_warn("stored lease %s -> %s not restored: %s",
			 mac_format(&row->mac, mac), ipv4_format(row->ip, ip),
			 rc == -EEXIST ? "address already held" : "no pool holds it now");
	}
	return 0;
}

static int restore_leases(struct lease_store *ls, struct dhcp_server *dhcp)
{
	struct restore_ctx r = { dhcp, (uint64_t)time(NULL), 0, 0 };
	char err[256];

	if (lease_store_load(ls, restore_one, &r, err, sizeof(err)) < 0) {
		log_err("loading leases: %s", err);
		return -1;
	}
	log_info("restored %u leases from the database (%u refused)", r.restored, r.refused);
	return 0;
}

struct app {
	struct stp_config *cfg;
	struct lease_store *leases;
	struct dhcp_server *dhcp;
	struct rte_mempool *mp;
	struct rte_ring *events, *steer;
	struct port_info port;
	struct worker *workers[RTE_MAX_LCORE];
	unsigned n_workers;
};

static int start_workers(struct app *a)
{
	uint64_t hz = rte_get_tsc_hz(), tsc0 = rte_rdtsc(), unix0 = (uint64_t)time(NULL);
	unsigned lcore, q = 0;

	for (lcore = rte_get_next_lcore(-1, 1, 0); lcore < RTE_MAX_LCORE;
	     lcore = rte_get_next_lcore(lcore, 1, 0)) {
		struct worker *w = rte_zmalloc_socket("worker", sizeof(*w),
						      RTE_CACHE_LINE_SIZE,
						      (int)rte_lcore_to_socket_id(lcore));

		if (w == NULL) {
			log_err("cannot allocate worker state for lcore %u", lcore);
			return -1;
		}
		w->lcore_id = lcore;
		w->port_id = a->port.port_id;
		w->queue_id = (uint16_t)q;
		w->mp = a->mp;
		w->me.mac = a->port.mac;
		w->me.ip = a->cfg->port.addr;
		w->subnet_mask = ipv4_prefix_mask(a->cfg->port.prefix_len);
		w->mtu = a->cfg->port.mtu;
		w->cfg = a->cfg;
		/* One lcore owns all lease state; others steer DHCP to it. */
		w->dhcp = q == 0 ? a->dhcp : NULL;
		w->dhcp_steer = a->steer;
		w->events = a->events;
		w->quit = &g_quit;
		w->tsc_hz = hz;
		w->tsc0 = tsc0;
		w->unix0 = unix0;
		w->announces_left = 2;
		w->next_announce = unix0;
		a->workers[q++] = w;
	}
	a->n_workers = q;
	for (unsigned i = 0; i < q; i++)
		rte_eal_remote_launch(worker_main, a->workers[i], a->workers[i]->lcore_id);
	return 0;
}

static int setup_dataplane(struct app *a)
{
	char err[512];
	unsigned nq = rte_lcore_count() - 1;
	int socket = (int)rte_socket_id();

	if (nq == 0) {
		log_err("eal.lcores: need at least 2 lcores (control + one worker), have 1");
		return -1;
	}
	a->mp = rte_pktmbuf_pool_create("stp_mbufs", a->cfg->eal.mbufs, MBUF_CACHE, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (a->mp == NULL) {
		log_err("cannot create a pool of %u mbufs: %s (raise eal.memory_mb or lower eal.mbufs)",
			a->cfg->eal.mbufs, rte_strerror(rte_errno));
		return -1;
	}
	if (port_open(a->cfg, nq, a->mp, &a->port, err, sizeof(err)) != 0) {
		log_err("port: %s", err);
		return -1;
	}
	a->events = rte_ring_create_elem("stp_events", sizeof(struct stp_event),
					 STP_EVENT_RING_SIZE, socket, RING_F_SC_DEQ);
	a->steer = rte_ring_create("stp_dhcp_steer", STEER_RING_SIZE, socket, RING_F_SC_DEQ);
	if (a->events == NULL || a->steer == NULL) {
		log_err("cannot create rings: %s", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static const char *mode_name(enum cfg_dhcp_mode m)
{
	return m == CFG_DHCP_SERVER ? "server" : m == CFG_DHCP_PROXY ? "proxy" : "off";
}

static int run(struct app *a, char **argv)
{
	struct eal_args ea;
	struct control ctl;
	char err[512], ip[STP_IPV4_STRLEN], mac[STP_MAC_STRLEN];

	if (eal_args_build(a->cfg, argv[0], &ea, err, sizeof(err)) != 0) {
		log_err("%s: %s", a->cfg->path, err);
		return 2;
	}
	if (rte_eal_init(ea.argc, ea.argv) < 0) {
		log_err("DPDK EAL init failed: %s%s", rte_strerror(rte_errno),
			a->cfg->eal.no_huge ? "" :
			" (no hugepages? reserve some, or set eal.no_huge: true)");
		return 1;
	}
	if (setup_dataplane(a) != 0)
		return 1;
	a->dhcp = dhcp_server_create(a->cfg);
	if (a->dhcp == NULL || restore_leases(a->leases, a->dhcp) != 0)
		return 1;
	if (start_workers(a) != 0) {
		g_quit = 1;
		rte_eal_mp_wait_lcore();
		return 1;
	}
	log_info("port %s on %s, mac %s (%s)", a->port.driver,
		 a->cfg->port.kind == CFG_PORT_IFACE ? a->cfg->port.iface : "-",
		 mac_format(&a->port.mac, mac), a->port.why);
	log_info("ready: %s/%u, dhcp %s, %u worker lcore(s)", ipv4_format(a->cfg->port.addr, ip),
		 a->cfg->port.prefix_len, mode_name(a->cfg->dhcp.mode), a->n_workers);
	ctl = (struct control){ .events = a->events, .leases = a->leases,
				.workers = a->workers, .n_workers = a->n_workers,
				.quit = &g_quit, .dump = &g_dump };
	control_run(&ctl);
	log_info("stopping");
	rte_eal_mp_wait_lcore();
	control_drain(&ctl);
	control_print_counters(&ctl, stderr);
	port_close(&a->port);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { NULL, false };
	struct app a;
	struct sigaction sa;
	char err[1024];
	int rc;

	if (parse_options(argc, argv, &o) != 0)
		return 2;
	memset(&a, 0, sizeof(a));
	a.cfg = calloc(1, sizeof(*a.cfg));
	if (a.cfg == NULL)
		return 1;
	if (config_load(o.config, a.cfg, err, sizeof(err)) != 0 ||
	    config_check_system(a.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "stampede: %s\n", err);
		free(a.cfg);
		return 2;
	}
	if (o.check) {
		printf("stampede: %s: configuration OK\n", o.config);
		free(a.cfg);
		return 0;
	}
	a.leases = lease_store_open(a.cfg->control.database, err, sizeof(err));
	if (a.leases == NULL) {
		fprintf(stderr, "stampede: control.database: %s\n", err);
		free(a.cfg);
		return 2;
	}
	/* AF_XDP umems and BPF maps are locked memory; the 8 MiB default
	 * makes libxdp fall back to a slower load path. */
	{
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

		if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
			log_warn("cannot raise RLIMIT_MEMLOCK: %s", strerror(errno));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	rc = run(&a, argv);
	dhcp_server_destroy(a.dhcp);
	lease_store_close(a.leases);
	rte_eal_cleanup();
	free(a.cfg);
	return rc;
}
