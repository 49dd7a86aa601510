/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stampede: a kernel-bypass PXE boot server. This file wires the rooms
 * together: config -> EAL -> port -> workers on their lcores, control on
 * the main lcore, and an orderly stop on SIGINT/SIGTERM.
 */
#include <dirent.h>
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
#include <rte_memory.h>
#include <rte_ring_elem.h>

#include "config.h"
#include "control_thread.h"
#include "eal_args.h"
#include "lease_store.h"
#include "lease_writer.h"
#include "log.h"
#include "http_glue.h"
#include "port.h"
#include "tftp_glue.h"
#include "upcall.h"
#include "worker.h"

#define STEER_RING_SIZE 4096
#define MBUF_CACHE 256

static volatile sig_atomic_t g_quit;  /* set only by the signal handler */
static volatile sig_atomic_t g_dump;
static volatile sig_atomic_t g_reload;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		g_dump = 1;
	else if (sig == SIGHUP)
		g_reload = 1;
	else
		g_quit = 1;
}

/* Block sizes whose payload checksums the cache precomputes: what EDK2
 * (1468), iPXE (1432), curl/tftp-hpa (512), atftp and common MTUs ask for,
 * and TCP's usual MSS values for the HTTP path. */
static const uint16_t csum_blksizes[] = { 512, 1024, 1428, 1432, 1456, 1468, 1448, 1460 };

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: stampede --config FILE [--check]\n"
		"       stampede --help | --help-config | --version\n"
		"\n"
		"A kernel-bypass PXE boot server: a DPDK dataplane answers ARP, ICMP,\n"
		"DHCP and ProxyDHCP for PXE and iPXE clients; a control thread keeps\n"
		"leases in SQLite. Runs in the foreground and logs to stderr.\n"
		"\n"
		"  -c, --config FILE   YAML configuration (see README.md, config/examples/)\n"
		"      --check         validate the configuration against this machine, then exit\n"
		"  -h, --help          this text\n"
		"      --help-config   every configuration key with its type and range\n"
		"  -V, --version       print the version\n"
		"\n"
		"Signals: SIGINT/SIGTERM stop cleanly (counters are printed),\n"
		"         SIGUSR1 prints the per-lcore counters while running,\n"
		"         SIGHUP reloads boot.root into a new cache version.\n"
		"Exit status: 0 clean stop, 1 runtime failure, 2 bad usage or configuration.\n");
}

static void print_key(void *ctx, const struct config_key *k)
{
	(void)ctx;
	if (k->ranged)
		printf("%-28s %-28s %u..%u\n", k->path, k->type, k->min, k->max);
	else
		printf("%-28s %s\n", k->path, k->type);
}

/* --help-config: the key list from the parser's own tables. */
static void help_config(void)
{
	printf("Every key stampede's configuration accepts (defaults and meanings:\n"
	       "README.md \"Configuration reference\", config/examples/full.yaml):\n\n");
	printf("%-28s %-28s %s\n", "KEY", "TYPE", "RANGE");
	config_each_key(print_key, NULL);
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
		{ "help-config", no_argument, NULL, 'K' },
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
		case 'K':
			help_config();
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

/*
 * Where the time of each step of a stop went, kept as " step=wall/cpu/runq"
 * milliseconds (runq: runnable but waiting for a CPU, from the scheduler's
 * schedstat) and printed as one line once the process is done with DPDK:
 * a slow exit names its step, and says whether that step worked, waited
 * for a CPU or slept. Monotonic clock; the EAL may already be gone.
 */
struct stop_clock {
	struct timespec t0, last, cpu_last;
	uint64_t runq_last_ns;
	char steps[384];
	size_t used;
};

static double ms_since(const struct timespec *from, const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) * 1e3 +
	       (double)(to->tv_nsec - from->tv_nsec) / 1e6;
}

/* This thread's run-queue wait so far (ns), 0 where schedstat is missing. */
static uint64_t runq_wait_ns(void)
{
	unsigned long long ran = 0, wait = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &ran, &wait) != 2)
		wait = 0;
	fclose(f);
	return wait;
}

static void stop_clock_start(struct stop_clock *sc)
{
	clock_gettime(CLOCK_MONOTONIC, &sc->t0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &sc->cpu_last);
	sc->runq_last_ns = runq_wait_ns();
	sc->last = sc->t0;
	sc->steps[0] = '\0';
	sc->used = 0;
}

static bool stop_clock_running(const struct stop_clock *sc)
{
	return sc->t0.tv_sec != 0 || sc->t0.tv_nsec != 0;
}

/* Close the step that ran since the previous call, naming it @a step. */
static void stop_clock_step(struct stop_clock *sc, const char *step)
{
	struct timespec now, cpu;
	uint64_t runq = runq_wait_ns();
	size_t room = sizeof(sc->steps) - sc->used;
	int n;

	if (!stop_clock_running(sc))
		return; /* never started: nothing was running */
	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	n = snprintf(sc->steps + sc->used, room, " %s=%.1f/%.1f/%.1f", step,
		     ms_since(&sc->last, &now), ms_since(&sc->cpu_last, &cpu),
		     (double)(runq - sc->runq_last_ns) / 1e6);
	if (n > 0 && (size_t)n < room)
		sc->used += (size_t)n;
	sc->last = now;
	sc->cpu_last = cpu;
	sc->runq_last_ns = runq;
}

static void stop_clock_report(const struct stop_clock *sc)
{
	if (!stop_clock_running(sc))
		return;
	log_info("stopped in %.1f ms (wall/cpu/runq ms per step:%s)",
		 ms_since(&sc->t0, &sc->last), sc->steps);
}

struct app {
	struct stp_config *cfg;
	struct lease_store *leases;
	struct lease_writer writer;     /* owns leases while it runs */
	struct dhcp_server *dhcp;
	struct rte_mempool *mp, *ext_mp;
	struct rte_ring *events, *upcall_req, *lease_ring;
	struct rte_ring *inbox[RTE_MAX_LCORE];
	struct rte_ring *upcall_resp[RTE_MAX_LCORE];
	struct rte_mempool *upcall_mp;
	struct cache_glue cache;
	struct control_thread control;
	struct port_info port;
	struct worker *workers[RTE_MAX_LCORE];
	unsigned n_workers;
	struct stop_clock stop;
};

static struct worker *worker_new(struct app *a, unsigned lcore, unsigned q, unsigned nq)
{
	struct worker *w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
					      (int)rte_lcore_to_socket_id(lcore));

	if (w == NULL)
		return NULL;
	w->lcore_id = lcore;
	w->port_id = a->port.port_id;
	w->queue_id = (uint16_t)q;
	w->n_workers = nq;
	w->mp = a->mp;
	w->me.mac = a->port.mac;
	w->me.ip = a->cfg->port.addr;
	w->subnet_mask = ipv4_prefix_mask(a->cfg->port.prefix_len);
	w->mtu = a->cfg->port.mtu;
	w->tx_offloads = a->port.tx_offloads;
	w->cfg = a->cfg;
	/* One lcore owns all lease state; others steer DHCP to it. */
	w->dhcp = q == 0 ? a->dhcp : NULL;
	w->leases = a->lease_ring;
	w->lease_seq = &a->writer.seq;
	w->cache = &a->cache;
	w->inbox = a->inbox;
	w->events = a->events;
	w->upcall_req = a->upcall_req;
	w->upcall_resp = a->upcall_resp[q];
	w->upcall_mp = a->upcall_mp;
	w->quit = &g_quit;
	w->announces_left = 2;
	if (a->cfg->tftp.enabled &&
	    tftp_glue_init(w, q, nq, a->port.multiseg_tx, a->ext_mp) != 0) {
		log_err("cannot allocate %u TFTP sessions for lcore %u (lower tftp.max_sessions)",
			a->cfg->tftp.max_sessions, lcore);
		return NULL;
	}
	if (a->cfg->http.enabled &&
	    http_glue_init(w, a->port.multiseg_tx, a->ext_mp) != 0) {
		log_err("cannot allocate %u HTTP connections for lcore %u (lower http.max_conns)",
			a->cfg->http.max_conns, lcore);
		return NULL;
	}
	return w;
}

static int start_workers(struct app *a)
{
	uint64_t hz = rte_get_tsc_hz(), tsc0 = rte_rdtsc(), unix0 = (uint64_t)time(NULL);
	unsigned lcore, q = 0, nq = rte_lcore_count() - 1;

	for (lcore = rte_get_next_lcore(-1, 1, 0); lcore < RTE_MAX_LCORE;
	     lcore = rte_get_next_lcore(lcore, 1, 0)) {
		struct worker *w = worker_new(a, lcore, q, nq);

		if (w == NULL)
			return -1;
		w->tsc_hz = hz;
		w->tsc0 = tsc0;
		w->unix0 = unix0;
		w->next_announce = unix0;
		a->workers[q++] = w;
	}
	a->n_workers = q;
	for (unsigned i = 0; i < q; i++)
		rte_eal_remote_launch(worker_main, a->workers[i], a->workers[i]->lcore_id);
	return 0;
}

static int setup_cache(struct app *a, int socket)
{
	char err[OBJCACHE_ERR_MAX];
	const struct objcache_stats *st;

	if (cache_glue_init(&a->cache, a->cfg->boot.root,
			    (uint64_t)a->cfg->cache.max_mb << 20, csum_blksizes,
			    RTE_DIM(csum_blksizes), socket, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return -1;
	}
	st = objcache_stats(a->cache.current->oc);
	log_info("cache: %u files, %.1f MB from %s (%u symlinks followed, %u special files skipped)",
		 st->files, (double)st->data_bytes / 1048576.0, a->cfg->boot.root,
		 st->symlinks, st->skipped_special + st->skipped_names);
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
	/* one producer (the DHCP lcore), one consumer (the lease writer) */
	a->lease_ring = rte_ring_create_elem("stp_leases", sizeof(struct dhcp_event),
					     LEASE_RING_SIZE, socket,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (a->events == NULL || a->lease_ring == NULL) {
		log_err("cannot create the event rings: %s", rte_strerror(rte_errno));
		return -1;
	}
	a->upcall_req = rte_ring_create("stp_upcall_req", UPCALL_RING_SIZE, socket, RING_F_SC_DEQ);
	a->upcall_mp = rte_mempool_create("stp_upcalls", UPCALL_POOL_SIZE, UPCALL_MSG_SIZE, 32, 0,
					  NULL, NULL, NULL, NULL, socket, 0);
	if (a->upcall_req == NULL || a->upcall_mp == NULL) {
		log_err("cannot create the API upcall ring and pool: %s", rte_strerror(rte_errno));
		return -1;
	}
	for (unsigned q = 0; q < nq; q++) {
		char name[RTE_RING_NAMESIZE], rname[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "stp_inbox%u", q);
		snprintf(rname, sizeof(rname), "stp_upcall_resp%u", q);
		a->inbox[q] = rte_ring_create(name, STEER_RING_SIZE, socket, RING_F_SC_DEQ);
		a->upcall_resp[q] = rte_ring_create(rname, UPCALL_RING_SIZE, socket, RING_F_SC_DEQ);
		if (a->inbox[q] == NULL || a->upcall_resp[q] == NULL) {
			log_err("cannot create ring %s: %s", name, rte_strerror(rte_errno));
			return -1;
		}
	}
	if (a->port.multiseg_tx) {
		a->ext_mp = rte_pktmbuf_pool_create("stp_ext", a->cfg->eal.mbufs, MBUF_CACHE, 0, 0,
						    socket);
		if (a->ext_mp == NULL) {
			log_err("cannot create the zero-copy mbuf pool: %s", rte_strerror(rte_errno));
			return -1;
		}
	}
	/* Boot files live next to the NIC that sends them. */
	return setup_cache(a, rte_eth_dev_socket_id(a->port.port_id) >= 0
				      ? rte_eth_dev_socket_id(a->port.port_id) : socket);
}

/* rte_memseg_walk() callback: the page size of the first segment. */
static int first_page_size(const struct rte_memseg_list *msl, const struct rte_memseg *ms,
			   void *arg)
{
	(void)msl;
	*(uint64_t *)arg = ms->hugepage_sz;
	return 1; /* one is enough: the EAL maps one page size here */
}

/* Say which memory DPDK runs on: a user who meant hugepages sees it. */
static void log_memory(const struct stp_config *cfg)
{
	uint64_t pgsz = 0;

	rte_memseg_walk(first_page_size, &pgsz);
	if (rte_eal_has_hugepages())
		log_info("memory: %u MB on hugepages (%llu kB pages, %s)", cfg->eal.memory_mb,
			 (unsigned long long)(pgsz >> 10),
			 cfg->eal.file_prefix[0] ? "files unlinked once mapped" : "in memory");
	else
		log_info("memory: %u MB of ordinary %llu kB pages (eal.no_huge: true)",
			 cfg->eal.memory_mb, (unsigned long long)(pgsz >> 10));
}

static const char *mode_name(enum cfg_dhcp_mode m)
{
	return m == CFG_DHCP_SERVER ? "server" : m == CFG_DHCP_PROXY ? "proxy" : "off";
}

/*
 * The orderly stop, in the order that keeps state safe and the exit short:
 * the workers flush their events and leave; the lease writer commits what
 * its ring still holds and ends; the events still queued are applied; the
 * leases and jobs databases are committed and closed (after
 * this nothing of the server's state is unwritten, whatever happens to the
 * process); the counters are printed; only then the slow part: the port
 * (socket teardown waits for RCU grace periods), the cache, and in main()
 * the EAL's memory. Each step is timed (stop_clock).
 */
static void app_stop(struct app *a)
{
	stop_clock_start(&a->stop);
	rte_eal_mp_wait_lcore();
	stop_clock_step(&a->stop, "workers");
	lease_writer_stop(&a->writer);
	stop_clock_step(&a->stop, "lease_writer");
	/* every batch commits its registry writes */
	control_thread_drain(&a->control);
	stop_clock_step(&a->stop, "drain");
	lease_store_close(a->leases);
	a->leases = NULL;
	stop_clock_step(&a->stop, "leases");
	/* What a supervisor may wait for: past this line a kill loses nothing. */
	log_info("state written: leases and jobs committed and closed");
	control_thread_print_counters(&a->control, stderr);
	stop_clock_step(&a->stop, "counters");
	control_thread_close(&a->control);
	stop_clock_step(&a->stop, "control");
	port_close(&a->port);
	stop_clock_step(&a->stop, "port");
	cache_glue_fini(&a->cache);
	stop_clock_step(&a->stop, "cache");
}

/* Free hugepage memory of every page size (MB), -1 where sysfs has none. */
static long hugepages_free_mb(void)
{
	DIR *d = opendir("/sys/kernel/mm/hugepages");
	const struct dirent *e;
	long total = -1;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[300];
		unsigned long kb, n;
		FILE *f;

		if (sscanf(e->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/free_hugepages",
			 e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fscanf(f, "%lu", &n) == 1)
			total = (total < 0 ? 0 : total) + (long)(n * kb / 1024);
		fclose(f);
	}
	closedir(d);
	return total;
}

/*
 * Why the EAL did not start, in the user's terms: with hugepages that is
 * nearly always eal.memory_mb (default 1024) above what is reserved and
 * free (tools/setup.sh reserves 512 MB), so say both numbers.
 */
static void log_eal_failure(const struct stp_config *cfg)
{
	long free_mb = cfg->eal.no_huge ? -1 : hugepages_free_mb();

	if (cfg->eal.no_huge)
		log_err("DPDK EAL init failed: %s", rte_strerror(rte_errno));
	else if (free_mb >= 0 && free_mb < (long)cfg->eal.memory_mb)
		log_err("DPDK EAL init failed: %s: eal.memory_mb is %u MB but only %ld MB of "
			"hugepages are free (lower eal.memory_mb, reserve more hugepages, or set "
			"eal.no_huge: true)", rte_strerror(rte_errno), cfg->eal.memory_mb, free_mb);
	else
		log_err("DPDK EAL init failed: %s (no hugepages? reserve some, or set "
			"eal.no_huge: true)", rte_strerror(rte_errno));
}

static int run(struct app *a, char **argv)
{
	struct eal_args ea;
	struct control_thread_io io;
	char err[512], ip[STP_IPV4_STRLEN], mac[STP_MAC_STRLEN], offl[128];

	if (eal_args_build(a->cfg, argv[0], &ea, err, sizeof(err)) != 0) {
		log_err("%s: %s", a->cfg->path, err);
		return 2;
	}
	if (rte_eal_init(ea.argc, ea.argv) < 0) {
		log_eal_failure(a->cfg);
		return 1;
	}
	log_memory(a->cfg);
	if (setup_dataplane(a) != 0)
		return 1;
	a->dhcp = dhcp_server_create(a->cfg);
	if (a->dhcp == NULL || restore_leases(a->leases, a->dhcp) != 0)
		return 1;
	/* Before the workers: their first ACK waits for its watermark. */
	if (lease_writer_start(&a->writer, a->leases, a->lease_ring, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return 1;
	}
	io = (struct control_thread_io){ .cfg = a->cfg, .writer = &a->writer, .cache = &a->cache,
					 .events = a->events, .upcall_req = a->upcall_req,
					 .upcall_resp = a->upcall_resp, .upcall_mp = a->upcall_mp,
					 .port_id = a->port.port_id, .quit = &g_quit,
					 .dump = &g_dump, .reload = &g_reload };
	if (control_thread_open(&a->control, &io, err, sizeof(err)) != 0) {
		log_err("control: %s", err);
		control_thread_close(&a->control);
		lease_writer_stop(&a->writer);
		return 1;
	}
	if (start_workers(a) != 0) {
		g_quit = 1;
		rte_eal_mp_wait_lcore();
		control_thread_close(&a->control);
		lease_writer_stop(&a->writer);
		return 1;
	}
	control_thread_start(&a->control, a->workers, a->n_workers);
	log_info("port %s on %s, mac %s (%s)", a->port.driver,
		 a->cfg->port.kind == CFG_PORT_IFACE ? a->cfg->port.iface : "-",
		 mac_format(&a->port.mac, mac), a->port.why);
	log_info("tftp %s, http %s on port %u, payload by %s", a->cfg->tftp.enabled ? "on" : "off",
		 a->cfg->http.enabled ? "on" : "off", a->cfg->boot.http_port,
		 port_tx_mode(a->cfg, &a->port));
	log_info("tx offloads: %s", port_offload_names(a->cfg, &a->port, offl, sizeof(offl)));
	if (a->n_workers > 1)
		log_info("queues: %u, %s; DHCP on worker queue 0", a->n_workers,
			 a->port.rss ? "RSS (symmetric Toeplitz, common/rss.h)"
				     : "no RSS: frames of another worker's flow are steered to it");
	log_info("ready: %s/%u, dhcp %s, %u worker lcore(s)", ipv4_format(a->cfg->port.addr, ip),
		 a->cfg->port.prefix_len, mode_name(a->cfg->dhcp.mode), a->n_workers);
	control_thread_run(&a->control);
	log_info("stopping");
	app_stop(a);
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

		/* Where the hard limit is fixed (containers), take what it allows. */
		if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0 && getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_MEMLOCK, &rl);
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rc = run(&a, argv);
	dhcp_server_destroy(a.dhcp);
	lease_store_close(a.leases);  /* already closed after a clean stop */
	rte_eal_cleanup();
	stop_clock_step(&a.stop, "eal");
	stop_clock_report(&a.stop);
	free(a.cfg);
	return rc;
}
