/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_glue.h
 * HTTP on a worker lcore: TCP segments to the per-lcore tcp_table, in-order
 * request bytes to the per-connection http_conn, responses back as a header
 * chunk and an object chunk, and the TCP core's "send segment" actions turned
 * into frames — object payload chained zero-copy from the cache where the
 * port can, copied otherwise, its checksum from the precomputed block sums.
 */
#ifndef STP_HTTP_GLUE_H
#define STP_HTTP_GLUE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "http_conn.h"
#include "http_counters.h"
#include "pkt.h"
#include "tcp.h"

#define HTTP_GLUE_ACTS 256
#define HTTP_GLUE_HDRBUF 8192

struct worker;

struct http_glue {
	struct worker *w;
	struct tcp_table *tcp;
	struct tcp_act act[HTTP_GLUE_ACTS];
	struct tcp_out out;
	struct http_conn *conns;      /* [capacity] */
	uint64_t *conn_gen;           /* [capacity]: cache gen pinned, 0 none */
	struct mac_addr *conn_mac;    /* [capacity]: the client's (or router's) MAC */
	uint8_t *conn_open;           /* [capacity]: HTTP state initialised for this connection */
	uint32_t *conn_serial;        /* [capacity]: uses of the id, to match late upcall answers */
	struct http_resp *conn_upcall;/* [capacity]: the response an upcall answer completes */
	uint32_t capacity;
	uint32_t sweep;               /* next connection whose HTTP deadline to check */
	struct http_site site;
	struct http_counters ctr;
	struct http_conn_resp resp[HTTP_CONN_MAX_PER_CALL];
	uint8_t hdrbuf[HTTP_GLUE_HDRBUF];
	uint64_t wall_us;             /* this iteration's wall clock (Date, deadlines) */
	const struct mac_addr *rx_src;/* source of the frame being handled, or NULL */
	uint32_t rx_ip;               /* and its IPv4 source */
	bool zero_copy;
	bool tso;                     /* fold runs of segments into TSO frames */
	struct rte_mempool *ext_mp;
	struct rte_mbuf_ext_shared_info shinfo;
	uint64_t seg_out, zc_frames, copy_frames, nombuf, csum_bad;
	uint64_t tso_frames, tso_segs;  /* TSO frames sent, and the segments in them */
	uint64_t upcalls, upcall_busy, upcall_stale;
};

/** Set up HTTP for worker @a w. @return 0, or -1 (allocation failure). */
int http_glue_init(struct worker *w, bool zero_copy, struct rte_mempool *ext_mp);

/** A TCP segment to our address and HTTP port (checksum not yet checked). */
void http_glue_input(struct worker *w, const struct pkt_info *pi, uint64_t now_us);

/** Timers, deadlines and connections waiting to send (bounded work). */
void http_glue_poll(struct worker *w, uint64_t now_us);

#endif
