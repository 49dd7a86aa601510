/* SPDX-License-Identifier: BSD-3-Clause */
/* A network in a test: stampede-storm's client machines (storm_tcp,
 * storm_http) against stampede's real HTTP server core in the same
 * process, frames carried both ways by a pump that can drop, reorder and
 * corrupt the server's data segments, with an explicit clock that jumps
 * to the next deadline when nothing moves. Also a raw server that answers
 * any request with fixed bytes (garbage), and no server at all. */
#ifndef STP_TEST_STORM_PUMP_H
#define STP_TEST_STORM_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_server.h"
#include "storm_http.h"
#include "storm_tcp.h"

#define PUMP_SEC 1000000ull
#define PUMP_T0 (1000 * PUMP_SEC)
#define PUMP_SIP 0x0a000001u       /* the server, 10.0.0.1 */
#define PUMP_CIP0 0x0a000100u      /* client i: 10.0.1.0 + i */
#define PUMP_PORT0 40000
#define PUMP_MAX_REQ 4
#define PUMP_KEEP 4096

/* The served objects: PUMP_OBJ_* index objs[]. */
enum { PUMP_OBJ_SCRIPT, PUMP_OBJ_KERNEL, PUMP_OBJ_INITRD, PUMP_OBJ_BIG, PUMP_N_OBJ };
#define PUMP_KERNEL_LEN (2u * 1024 * 1024 + 5)
#define PUMP_INITRD_LEN (1u * 1024 * 1024 + 3)
#define PUMP_BIG_LEN (2u * 1024 * 1024)
#define PUMP_SCRIPT                                                           \
	"#!ipxe\nkernel http://10.0.0.1/bzImage initrd=init.xz\n"             \
	"initrd http://10.0.0.1/init.xz\nboot\n"

enum pump_server {
	PUMP_REAL = 0,     /* stampede's http_server core */
	PUMP_NONE,         /* frames to the server vanish */
	PUMP_RAW,          /* handshake, then cfg.raw_answer to any request */
};

struct pump_req {
	const char *method;        /* NULL: GET */
	const char *path;
	const char *body;          /* POST body, NULL none */
};

struct pump_cfg {
	unsigned n_clients;
	enum pump_server server;
	struct pump_req req[PUMP_MAX_REQ];   /* in order, on one connection */
	unsigned n_req;
	unsigned drop_every;       /* drop every k-th server data segment; 0 none */
	bool swap_pairs;           /* deliver server data segments pairwise swapped */
	unsigned corrupt_every;    /* flip a byte after the checksum, every k-th data segment */
	int corrupt_obj;           /* serve this object with one byte flipped (-1 none) */
	size_t corrupt_off;
	unsigned corrupt_client;   /* ... to this client only */
	const char *raw_answer;    /* PUMP_RAW */
	bool ignore_upcalls;       /* control never answers /api/ requests */
	uint32_t pool_bufs, per_conn_max;
};

struct pump_resp {
	uint16_t status;
	bool verified;
	uint8_t etag_kind;
	int32_t retry_after;
	uint64_t body_len;
};

struct pclient {
	struct storm_addr addr;
	struct stcp tcp;
	struct shttp http;
	uint16_t lport;
	unsigned next_req;         /* requests sent so far */
	unsigned n_resp;
	struct pump_resp resp[PUMP_MAX_REQ];
	uint8_t keep[PUMP_KEEP];   /* the body of the current response */
	char first_body[PUMP_KEEP]; /* the body of the first response, NUL-ended */
	bool http_failed, resp_done, want_next;
	bool finished, ok;
	const char *cause;         /* failure text */
	uint64_t finished_at;
};

struct pump {
	struct pump_cfg cfg;
	uint64_t now;
	struct http_server *srv;
	struct stp_object objs[PUMP_N_OBJ];
	uint8_t *data[PUMP_N_OBJ];
	uint8_t *wire[PUMP_N_OBJ];       /* what the pump copies into frames */
	struct pclient *cl;
	struct stcp_pool pool;
	void *pool_mem;
	/* counters of the pump itself */
	uint64_t data_segs, dropped, swapped, corrupted, srv_frames, cli_frames;
	uint64_t upcalls;
	/* private */
	void *priv;
};

/** A pump with @a cfg (clients not yet connected). */
struct pump *pump_new(const struct pump_cfg *cfg);

/** Connect every client and run until all finished or @a limit_us passes. */
void pump_run(struct pump *p, uint64_t limit_us);

/** Clients that finished ok / failed with @a cause ("" any). */
unsigned pump_count_ok(const struct pump *p);
unsigned pump_count_failed(const struct pump *p, const char *cause);

/** Sum of one client TCP counter over all clients (offsetof in struct stcp_counters). */
uint64_t pump_sum(const struct pump *p, size_t counter_off);

void pump_free(struct pump *p);

#endif
