/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_glue.h
 * HTTP on a worker lcore, the DPDK side only: TCP segments for our port go
 * to the lcore's HTTP server core (http_fastpath/http_server.h), and what
 * it decides is carried out here — its TCP actions built into frames
 * (object payload chained zero-copy from the cache where the port can,
 * copied otherwise, checksums from the precomputed block sums or left to
 * the port, runs of segments folded into TSO frames), its application
 * actions turned into cache pins, upcall messages and events for control.
 */
#ifndef STP_HTTP_GLUE_H
#define STP_HTTP_GLUE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "http_server.h"
#include "pkt.h"

#define HTTP_GLUE_ACTS 256
#define HTTP_GLUE_APP_ACTS 128

struct worker;

/* The glue's own counters (frames), beside the server core's. X(name, help) */
#define HTTP_GLUE_COUNTERS(X)                                              \
	X(seg_out, "TCP segments sent (a TSO frame counts its segments)")  \
	X(zc_frames, "frames with object payload chained zero-copy")       \
	X(copy_frames, "frames with object payload copied")                \
	X(tso_frames, "TSO frames sent")                                   \
	X(tso_segs, "segments sent inside TSO frames")                     \
	X(nombuf, "frames not built: external-buffer pool empty")          \
	X(csum_bad, "segments dropped: bad TCP checksum")

struct http_glue_counters {
#define X(name, help) uint64_t name;
	HTTP_GLUE_COUNTERS(X)
#undef X
};

#define HTTP_GLUE_N_COUNTERS (sizeof(struct http_glue_counters) / sizeof(uint64_t))
extern const char *const http_glue_counter_names[HTTP_GLUE_N_COUNTERS];

struct http_glue {
	struct worker *w;
	struct http_server *srv;
	struct tcp_act act[HTTP_GLUE_ACTS];
	struct http_act app[HTTP_GLUE_APP_ACTS];
	struct http_out out;
	const struct mac_addr *rx_src;/* source of the frame being handled, or NULL */
	uint32_t rx_ip;               /* and its IPv4 source */
	uint32_t busy[HTTP_GLUE_APP_ACTS][2]; /* upcalls control could not take: slot, serial */
	unsigned n_busy;
	uint64_t now_us;              /* this iteration's clock */
	bool zero_copy;
	bool tso;                     /* fold runs of segments into TSO frames */
	struct rte_mempool *ext_mp;
	struct rte_mbuf_ext_shared_info shinfo;
	struct http_glue_counters c;
};

/** Set up HTTP for worker @a w. @return 0, or -1 (allocation failure). */
int http_glue_init(struct worker *w, bool zero_copy, struct rte_mempool *ext_mp);

/** A TCP segment to our address and HTTP port (checksum not yet checked). */
void http_glue_input(struct worker *w, const struct pkt_info *pi, uint64_t now_us);

/** Timers, deadlines, control's answers and connections waiting to send. */
void http_glue_poll(struct worker *w, uint64_t now_us);

#endif
