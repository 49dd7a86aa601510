/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file control_thread.h
 * The control thread's runtime on the main lcore: one struct
 * control_thread owns
 *  - the loop (control_thread.c): take the workers' events, answer the
 *    /api/ upcalls through api_handle(), dump the counters on SIGUSR1,
 *    reload on SIGHUP;
 *  - the event pipeline (control_thread_events.c): events from the ring
 *    into a backlog, their leases committed first (one transaction per
 *    round) and the lease watermark published for the DHCP lcore's held
 *    ACKs, the host registry (boot stages) applied behind in slices;
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
#include "lease_store.h"
#include "upcall.h"
#include "worker.h"

/** What main wires in (all owned by main, which outlives the thread). */
struct control_thread_io {
	const struct stp_config *cfg;
	struct lease_store *leases;      /* the lease table's own connection */
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

/*
 * Events taken from the ring and not yet through the host registry (64
 * bytes each, allocated once at open): room for a storm's worth of
 * registry work to fall behind while leases are still committed at once.
 */
#define CONTROL_BACKLOG 65536u

/** The control thread's own counters (reported through stats.h). */
struct control_thread_counters {
	uint64_t events_applied, store_errors, lease_commits, lease_retries;
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

	/* The event pipeline (control_thread_events.c): free-running indexes
	 * into backlog, head <= leased <= tail. */
	struct stp_event *backlog;       /* CONTROL_BACKLOG events */
	uint32_t bl_head;                /* the oldest not yet in the host registry */
	uint32_t bl_leased;              /* below: leases committed */
	uint32_t bl_tail;                /* next free slot */
	bool lease_failing;              /* the last lease transaction failed */
	/* Every lease event up to this sequence number is committed: stored
	 * with release order after the commit, read by the DHCP lcore. */
	uint64_t lease_seq;

	/* Scripts (control_thread_publish.c). */
	struct objcache *files;          /* boot.root alone: the base scripts go on */
	struct control_object *scripts;  /* every rendered script, owned copies */
	size_t n_scripts, cap_scripts;
	bool dirty;                      /* scripts changed since the last publish */
	uint64_t last_publish_ms;

	/* The port's counters as of the last snapshot: only this thread calls
	 * rte_eth_stats_get() (some PMDs accumulate in it); the admin thread
	 * reads the copy. */
	struct rte_eth_stats port_stats;
	bool port_stats_ok;
	uint64_t last_snapshot_ms;

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

/**
 * One round of the event pipeline: take what the ring holds (as far as
 * the backlog has room), commit its leases and publish the watermark,
 * apply a short slice of the host registry's work.
 * @return events taken plus events applied to the registry (0: idle).
 */
unsigned control_thread_events(struct control_thread *ct);

/** Rounds until the ring and the backlog are empty (at stop). @return events. */
unsigned control_thread_drain(struct control_thread *ct);

/** Events taken and not yet applied to the host registry (a gauge). */
uint64_t control_thread_backlog(const struct control_thread *ct);

/** Answer the /api/ requests the workers passed up. @return how many. */
unsigned control_thread_serve_upcalls(struct control_thread *ct);

/** The counter registry's text report (SIGUSR1, exit) to @a out. */
void control_thread_print_counters(struct control_thread *ct, FILE *out);

/** Stop the admin API, close the control core, free the scripts. */
void control_thread_close(struct control_thread *ct);

/** Seconds since control_thread_open() (the uptime_s gauge). */
uint64_t control_thread_uptime(const struct control_thread *ct);

/* ---- within the module ---- */

/** control_thread_events.c: allocate and free the backlog. */
int control_thread_events_open(struct control_thread *ct);
void control_thread_events_close(struct control_thread *ct);

/** control_thread_publish.c: the file-only base version and the first scripts. */
int control_thread_scripts_open(struct control_thread *ct, char *err, size_t errlen);
void control_thread_scripts_close(struct control_thread *ct);
/** Take what control rendered since the last call into the owned set. */
void control_thread_take_updates(struct control_thread *ct);
/** Publish scripts that changed (at most every 100 ms). */
void control_thread_publish(struct control_thread *ct, uint64_t now_ms);
/** SIGHUP: reload boot.root and put the scripts back on it. */
int control_thread_reload(struct control_thread *ct, char *err, size_t errlen);

/** control_thread_stats.c: refresh the port's counters (this thread only)
 * when the copy is 100 ms old, or now when @a force. */
void control_thread_port_snapshot(struct control_thread *ct, uint64_t now_ms, bool force);
/** Give the control core's API the registry's JSON. */
void control_thread_stats_attach(struct control_thread *ct);

#endif
