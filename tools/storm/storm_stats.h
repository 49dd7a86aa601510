/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_stats.h
 * What a storm measured: per stage how many clients started, finished
 * and failed and how long each took (a log-linear histogram, 1/16 of an
 * octave wide, so p50/p95/p99 are within ~6%), failures by cause, bytes
 * and retransmissions. One struct per lcore, written by it alone, merged
 * at the end; rendered as a table and as JSON.
 */
#ifndef STP_STORM_STATS_H
#define STP_STORM_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "storm_opts.h"

#define STORM_HIST_SUB 16
#define STORM_HIST_BUCKETS (40 * STORM_HIST_SUB)
#define STORM_CAUSES_MAX 48
#define STORM_CAUSE_LEN 48

struct storm_hist {
	uint64_t n, max_us, sum_us;
	uint32_t b[STORM_HIST_BUCKETS];
};

struct storm_stage_stats {
	uint64_t started, done, failed;
	uint64_t first_us, last_us;  /* the first start, the last good end; 0 none */
	struct storm_hist lat;
};

/** Stage @a st of a client started (@a now_us) / ended well. */
void storm_stage_begin(struct storm_stage_stats *st, uint64_t now_us);
void storm_stage_done(struct storm_stage_stats *st, uint64_t t0_us, uint64_t now_us);

/** Clients through the stage per second, first start to last end; 0 when unknown. */
double storm_stage_rate(const struct storm_stage_stats *st);

struct storm_stats {
	struct storm_stage_stats st[STORM_ST_N];
	uint64_t clients, done, failed;
	uint64_t bytes;            /* payload received: TFTP data and HTTP bodies */
	uint64_t tcp_retrans, tftp_retrans, dhcp_retrans;
	uint64_t http_requests, http_503, rx_frames, tx_frames, rx_ignored;
	uint64_t tx_dropped;       /* frames the generator could not send (queue, mbufs) */
	uint64_t gen_cycles, gen_busy_cycles; /* the generator's lcores: all, and working */
	uint64_t dhcp_addr_changed; /* ACKs giving a client another address than its first */
	uint64_t script_waits;      /* "sleep N" then chain: a host waiting (for a job slot) */
	char cause[STORM_CAUSES_MAX][STORM_CAUSE_LEN];
	uint64_t cause_n[STORM_CAUSES_MAX];
	unsigned n_causes;
	uint64_t other_causes;     /* failures past STORM_CAUSES_MAX distinct causes */
};

void storm_hist_add(struct storm_hist *h, uint64_t us);

/** The @a q quantile (0..1) in microseconds, 0 when empty. */
uint64_t storm_hist_quantile(const struct storm_hist *h, double q);

/** Count a failed client by @a cause (a short fixed text). */
void storm_stats_fail(struct storm_stats *s, const char *cause);

/** Add @a from into @a into. */
void storm_stats_merge(struct storm_stats *into, const struct storm_stats *from);

/** The end-of-storm table, @a wall_s the storm's duration. */
void storm_stats_print(const struct storm_stats *s, double wall_s, FILE *out);

/** The same as JSON to @a path. @return 0, or -1 with errno. */
int storm_stats_json(const struct storm_stats *s, double wall_s, const char *path);

#endif
