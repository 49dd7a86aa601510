/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file control_thread.h
 * The control thread's runtime on the main lcore: one struct
 * control_thread owns
 *  - the loop (control_thread.c): drain the workers' event ring (boot
 *    stages into the control core, one transaction per drained batch;
 *    the leases are the lease writer's, lease_writer.h), answer the /api/
 *    upcalls through api_handle(), dump the counters on SIGUSR1, reload on
 *    SIGHUP;
 *  - the control core (control/: hosts, jobs, menus, API) and its admin
 *    HTTP server on a kernel socket;
 *  - the scripts the core renders, published as cache objects on top of
 *    the files of boot.root (control_thread_publish.c);
 *  - the counters: the registry's reader (control_thread_stats.c) for the
 *    SIGUSR1/exit text and for the API's JSON.
 * Never on the packet path: it may block on SQLite, the workers never
 * wait for it.
 */
#ifndef STP_CONTROL_THREAD_H
#define STP_CONTROL_THREAD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "cache_glue.h"
#include "config.h"
#include "control.h"
#include "lease_writer.h"
#include "upcall.h"
#include "worker.h"

/** What main wires in (all owned by main, which outlives the thread). */
struct control_thread_io {
	const struct stp_config *cfg;
	const struct lease_writer *writer; /* its counters and watermark (reported) */
	struct cache_glue *cache;
	struct rte_ring *events;         /* workers -> control */
	struct rte_ring *upcall_req;     /* workers -> control */
	struct rte_ring **upcall_resp;   /* [n_workers]: control -> worker */
	struct rte_mempool *upcall_mp;
	uint16_t port_id;
	const volatile sig_atomic_t *quit;
	volatile sig_atomic_t *dump;
	volatile sig_atomic_t *reload;
};

/** The control thread's own counters (reported through stats.h). */
struct control_thread_counters {
	uint64_t store_errors;
	uint64_t events, batches, stage_events, other_gets;
	uint64_t upcalls, upcalls_too_big;
	uint64_t publishes, publish_errors;
};

struct control_thread {
	struct control_thread_io io;
	struct worker **workers;         /* set by control_thread_start() */
	unsigned n_workers;
	uint64_t started;                /* unix seconds */

	struct control *ctl;             /* hosts, jobs, menus, API */
	struct admin_http *admin;        /* the admin API, or NULL */

	/* Scripts (control_thread_publish.c). */
	struct objcache *files;          /* boot.root alone: the base scripts go on */
	struct control_object *scripts;  /* every rendered script, owned copies */
	size_t n_scripts, cap_scripts;
	bool dirty;                      /* scripts changed since the last publish */
	uint64_t last_publish_ms;
	uint64_t publish_blocked_ms;     /* when publishing first failed; 0 = it works */

	/* The port's counters as of the last snapshot: only this thread calls
	 * rte_eth_stats_get() (some PMDs accumulate in it); the admin thread
	 * reads the copy. */
	struct rte_eth_stats port_stats;
	bool port_stats_ok;
	uint64_t last_snapshot_ms;
	/* The cache as of the same snapshot (STATS_CACHE): this thread
	 * publishes and frees versions, so the admin thread reads these
	 * words, never the versions. */
	struct {
		uint64_t bytes, objects, max_bytes, gen, retired;
	} cache_snap;

	struct control_thread_counters ctr;
};

/**
 * Open the control core on cfg->control.database, start the admin API if
 * configured and publish the first scripts (before the workers start).
 * @return 0, or -1 with one line in @a err (close it all the same).
 */
int control_thread_open(struct control_thread *ct, const struct control_thread_io *io,
			char *err, size_t errlen);

/** The workers run: their counters are reported from now on. */
void control_thread_start(struct control_thread *ct, struct worker **workers, unsigned n);

/** Run until *quit (the main lcore's loop). */
void control_thread_run(struct control_thread *ct);

/** Drain and apply every pending event. @return how many. */
unsigned control_thread_drain(struct control_thread *ct);

/** Answer the /api/ requests the workers passed up. @return how many. */
unsigned control_thread_serve_upcalls(struct control_thread *ct);

/** The counter registry's text report (SIGUSR1, exit) to @a out. */
void control_thread_print_counters(struct control_thread *ct, FILE *out);

/** Stop the admin API, close the control core, free the scripts. */
void control_thread_close(struct control_thread *ct);

/** Seconds since control_thread_open() (the uptime_seconds gauge). */
uint64_t control_thread_uptime(const struct control_thread *ct);

/* ---- within the module ---- */

/** control_thread_publish.c: the file-only base version and the first scripts. */
int control_thread_scripts_open(struct control_thread *ct, char *err, size_t errlen);
void control_thread_scripts_close(struct control_thread *ct);
/** Take what control rendered since the last call into the owned set. */
void control_thread_take_updates(struct control_thread *ct);
/** Publish scripts that changed (at most every 100 ms). */
void control_thread_publish(struct control_thread *ct, uint64_t now_ms);
/** SIGHUP: reload boot.root and put the scripts back on it. */
int control_thread_reload(struct control_thread *ct, char *err, size_t errlen);

/** control_thread_stats.c: refresh the port's counters and the cache's
 * figures (this thread only) when the copy is 100 ms old, or now when
 * @a force. */
void control_thread_port_snapshot(struct control_thread *ct, uint64_t now_ms, bool force);
/** Give the control core's API the registry's JSON and Prometheus text. */
void control_thread_stats_attach(struct control_thread *ct);

#endif
