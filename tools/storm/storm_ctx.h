/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_ctx.h
 * One lcore's share of a storm: its virtual clients, their timers, the
 * demultiplexing of received frames to them, and what they measured.
 * Pure C over byte buffers with an explicit clock (no DPDK): the glue
 * hands in received frames and the clock, and sends the frames that come
 * out in the struct storm_tx; tests drive it against the server's cores.
 */
#ifndef STP_STORM_CTX_H
#define STP_STORM_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "storm_opts.h"
#include "storm_stats.h"
#include "storm_wire.h"

struct storm_ctx;

/** Where clients are right now, for the live display. */
struct storm_census {
	uint32_t waiting;              /* not powered on yet */
	uint32_t in_stage[STORM_ST_N];
	uint32_t done, failed;
};

/**
 * Clients @a first .. @a first + @a n - 1 of the storm @a o describes,
 * powered on by the arrival schedule counted from @a t0_us.
 * @return the context, or NULL (errno)
 */
struct storm_ctx *storm_ctx_create(const struct storm_opts *o, uint32_t first, uint32_t n,
				   uint64_t t0_us, unsigned queue, unsigned nq);
void storm_ctx_destroy(struct storm_ctx *x);

/** What storm_ctx_input() did with a frame. */
enum storm_in {
	STORM_IN_TAKEN = 0,        /* handled, or counted and dropped */
	STORM_IN_ELSEWHERE,        /* for client *owner of another context: pass it on */
	STORM_IN_ARP_UNKNOWN,      /* an ARP request for no address of ours: others may know it */
};

/**
 * One received Ethernet frame (anything; what is for no client is counted).
 * With several lcores, the server's answers for a client may come in on
 * another lcore's queue (DHCP from the one worker that owns the leases):
 * then the frame is not touched and the owner's global client index is
 * left in *@a owner.
 */
enum storm_in storm_ctx_input(struct storm_ctx *x, const uint8_t *frame, size_t len,
			      uint64_t now_us, struct storm_tx *tx, uint32_t *owner);

/** Power on clients that are due and run due timers, while @a tx has room. */
void storm_ctx_poll(struct storm_ctx *x, uint64_t now_us, struct storm_tx *tx);

/** True when every client has finished (done or failed). */
bool storm_ctx_finished(const struct storm_ctx *x);

/** The storm's time is up: every client still running fails ("timeout in STAGE"). */
void storm_ctx_expire(struct storm_ctx *x, uint64_t now_us);

/**
 * Append "MAC ADDRESS" for every client a DHCP ACK bound (its first
 * address) to @a f. @return the lines written.
 */
uint32_t storm_ctx_write_leases(const struct storm_ctx *x, FILE *f);

/** What it measured so far (read by the main lcore at the end). */
const struct storm_stats *storm_ctx_stats(const struct storm_ctx *x);

/** Clients per stage now; racy reads are fine for a display. */
void storm_ctx_census(const struct storm_ctx *x, struct storm_census *c);

#endif
