/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file control_loop.h
 * The control thread on the main lcore: drains the workers' event ring,
 * persists leases, prints counters. Never on the packet path; it may block
 * on SQLite, the workers never wait for it.
 */
#ifndef STP_CONTROL_LOOP_H
#define STP_CONTROL_LOOP_H

#include <signal.h>
#include <stdio.h>

#include <rte_ring.h>

#include "control_bridge.h"
#include "lease_store.h"
#include "worker.h"

struct control {
	struct rte_ring *events;
	struct lease_store *leases;
	struct worker **workers;
	unsigned n_workers;
	struct cache_glue *cache;
	uint16_t port_id;
	uint64_t started;                  /* unix seconds */
	struct rte_ring *upcall_req;       /* workers -> control */
	struct rte_ring **upcall_resp;     /* [n_workers]: control -> worker */
	struct rte_mempool *upcall_mp;
	struct control_bridge *bridge;     /* hosts, jobs, menus, API */
	const volatile sig_atomic_t *quit;
	volatile sig_atomic_t *dump;
	volatile sig_atomic_t *reload;
	uint64_t events_applied, store_errors;
};

/** Run until *quit; then drain what the workers left in the ring. */
void control_run(struct control *c);

/** Drain and apply every pending event. @return how many. */
unsigned control_drain(struct control *c);

/** Answer the /api/ requests the workers passed up. @return how many. */
unsigned control_serve_upcalls(struct control *c);

/** Print every worker's counters (and DHCP's) to @a out. */
void control_print_counters(const struct control *c, FILE *out);

#endif
