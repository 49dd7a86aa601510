/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-lcore TFTP server: request handling (RFC 1350 sec 4 and 5,
 * RFC 2347 negotiation through tftp_parse), TID ports (RFC 1350 sec 4),
 * the session table and its timer heap (common/idxheap). Sessions are
 * indices into arrays allocated once; a free stack for slots, a FIFO ring
 * for ports (a port comes back into use as late as possible, so a stray
 * packet for a dead session rarely reaches a new one), the keyed hash of
 * common/idxhash on the client's (address, port) to spot retransmitted
 * RRQs, and a direct port -> session map for everything that arrives on
 * a TID.
 */
#include "tftp_server.h"

#include <errno.h>
#include <stdlib.h>

#include "bytes.h"
#include "idxhash.h"
#include "idxheap.h"

#define NIL UINT32_MAX
_Static_assert(NIL == IDX_HASH_NONE, "a hash miss reads as no session");
#define CAPACITY_MAX (1u << 22)
#define DEFAULT_TIMER_BUDGET 64u
/* smallest timing.rto_us and rto_min_us accepted: below a millisecond an
 * RTO would only measure our own poll loop */
#define RTO_MIN_US 1000u

const char *const tftp_counter_names[] = {
#define X(name, help) #name,
	TFTP_COUNTERS(X)
#undef X
#define X(name, code, help) "req_" #name,
	TFTP_PARSE_RESULTS(X)
#undef X
	"err_tx_0", "err_tx_1", "err_tx_2", "err_tx_3", "err_tx_4",
	"err_tx_5", "err_tx_6", "err_tx_7", "err_tx_8",
};

const char *const tftp_counter_help[] = {
#define X(name, help) help,
	TFTP_COUNTERS(X)
#undef X
#define X(name, code, help) "requests: " help,
	TFTP_PARSE_RESULTS(X)
#undef X
	"ERROR 0 sent", "ERROR 1 sent", "ERROR 2 sent", "ERROR 3 sent", "ERROR 4 sent",
	"ERROR 5 sent", "ERROR 6 sent", "ERROR 7 sent", "ERROR 8 sent",
};

_Static_assert(sizeof(tftp_counter_names) / sizeof(tftp_counter_names[0]) == TFTP_N_COUNTERS,
	       "counter names out of step with struct tftp_counters");

struct tftp_server {
	struct tftp_server_cfg cfg;
	struct tftp_counters c;
	struct tftp_sess *sess;        /* [capacity] */
	uint32_t *free_slot;           /* [capacity] stack of free session indices */
	uint32_t n_free;
	uint32_t *port_ring;           /* [port_count] FIFO of free port indices */
	uint32_t ring_head, ring_n;
	uint32_t *port_sess;           /* [port_count] session on that port or NIL */
	struct idx_hash clients;       /* session index by client addr:port */
	struct idx_heap timers;        /* session indices by deadline */
};

static unsigned out_room(const struct tftp_out *out)
{
	return out->n < out->cap ? out->cap - out->n : 0;
}

/* ---- timer heap and client hash ----------------------------------------- */

/** Put session @a idx at its current deadline (insert, move or remove). */
static void heap_update(struct tftp_server *srv, uint32_t idx)
{
	uint64_t key = tftp_sess_deadline(&srv->sess[idx]);

	if (key == UINT64_MAX)
		idx_heap_remove(&srv->timers, idx);
	else
		idx_heap_set(&srv->timers, idx, key);
}

/** The hash key of a client: its address and UDP port. */
static uint64_t client_key(uint32_t ip, uint16_t port)
{
	return (uint64_t)ip << 16 | port;
}

static uint32_t hash_find(const struct tftp_server *srv, uint32_t ip, uint16_t port)
{
	return idx_hash_find(&srv->clients, client_key(ip, port));
}

/* ---- ports --------------------------------------------------------------- */

/** Index of TID @a port in our range, or NIL. */
static uint32_t port_index(const struct tftp_server *srv, uint16_t port)
{
	uint32_t d;

	if (port < srv->cfg.port_base)
		return NIL;
	d = (uint32_t)(port - srv->cfg.port_base);
	if (d % srv->cfg.port_stride != 0 || d / srv->cfg.port_stride >= srv->cfg.port_count)
		return NIL;
	return d / srv->cfg.port_stride;
}

static uint16_t port_of(const struct tftp_server *srv, uint32_t pi)
{
	return (uint16_t)(srv->cfg.port_base + pi * srv->cfg.port_stride);
}

static uint32_t port_take(struct tftp_server *srv)
{
	uint32_t pi;

	if (srv->ring_n == 0)
		return NIL;
	pi = srv->port_ring[srv->ring_head];
	srv->ring_head = (srv->ring_head + 1) % srv->cfg.port_count;
	srv->ring_n--;
	return pi;
}

static void port_give(struct tftp_server *srv, uint32_t pi)
{
	srv->port_ring[(srv->ring_head + srv->ring_n) % srv->cfg.port_count] = pi;
	srv->ring_n++;
}

/* A free port whose flow the NIC sends back to us (cfg.tid_ok): the ones
 * tried and refused go back to the end of the ring. */
static uint32_t port_take_for(struct tftp_server *srv, uint32_t peer_ip, uint16_t peer_port)
{
	uint32_t pi = port_take(srv);

	if (srv->cfg.tid_ok == NULL || pi == NIL)
		return pi;
	for (unsigned i = 1; i < TFTP_TID_TRIES && i < srv->cfg.port_count; i++) {
		if (srv->cfg.tid_ok(srv->cfg.tid_ctx, peer_ip, peer_port, port_of(srv, pi)))
			return pi;
		port_give(srv, pi);
		pi = port_take(srv);
	}
	srv->c.tid_unsteered++;
	return pi;
}

/* ---- create / destroy ---------------------------------------------------- */

static bool cfg_valid(const struct tftp_server_cfg *c)
{
	uint64_t top = (uint64_t)c->port_base + (uint64_t)(c->port_count - 1) * c->port_stride;

	return c->capacity >= 1 && c->capacity <= CAPACITY_MAX && c->port_count >= 1 &&
	       c->port_stride >= 1 && top <= UINT16_MAX && c->port_base != 0 &&
	       c->lookup != NULL && c->lim.max_blksize >= TFTP_BLKSIZE_MIN &&
	       c->lim.max_blksize <= TFTP_BLKSIZE_MAX && c->lim.max_window >= TFTP_WINDOW_MIN &&
	       c->timing.rto_us >= RTO_MIN_US && c->timing.rto_min_us >= RTO_MIN_US &&
	       c->timing.idle_us >= c->timing.rto_us;
}

static int alloc_tables(struct tftp_server *srv)
{
	uint32_t cap = srv->cfg.capacity;
	/* the 32-bit config seed spread over the 64 bits the mix takes */
	uint64_t seed = (uint64_t)srv->cfg.hash_seed * 0x9e3779b97f4a7c15ull;

	srv->sess = calloc(cap, sizeof(*srv->sess));
	srv->free_slot = calloc(cap, sizeof(uint32_t));
	srv->port_ring = calloc(srv->cfg.port_count, sizeof(uint32_t));
	srv->port_sess = calloc(srv->cfg.port_count, sizeof(uint32_t));
	if (!srv->sess || !srv->free_slot || !srv->port_ring || !srv->port_sess ||
	    idx_hash_init(&srv->clients, cap, cap, seed) < 0 ||
	    idx_heap_init(&srv->timers, cap) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < cap; i++)
		srv->free_slot[i] = cap - 1 - i;   /* pop order 0, 1, 2 ... */
	srv->n_free = cap;
	for (uint32_t i = 0; i < srv->cfg.port_count; i++) {
		srv->port_ring[i] = i;
		srv->port_sess[i] = NIL;
	}
	srv->ring_n = srv->cfg.port_count;
	return 0;
}

struct tftp_server *tftp_server_create(const struct tftp_server_cfg *cfg)
{
	struct tftp_server *srv;

	if (cfg == NULL || !cfg_valid(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return NULL;
	srv->cfg = *cfg;
	if (srv->cfg.timer_budget == 0)
		srv->cfg.timer_budget = DEFAULT_TIMER_BUDGET;
	if (srv->cfg.netascii_max_len == 0)
		srv->cfg.netascii_max_len = TFTP_NETASCII_MAX_DEFAULT;
	if (port_index(srv, cfg->listen_port) != NIL) {
		/* a TID range that swallows the request port could not tell them apart */
		free(srv);
		errno = EINVAL;
		return NULL;
	}
	if (alloc_tables(srv) < 0)
		goto err_destroy;
	return srv;

err_destroy:
	tftp_server_destroy(srv);
	errno = ENOMEM;
	return NULL;
}

void tftp_server_destroy(struct tftp_server *srv)
{
	if (srv == NULL)
		return;
	free(srv->sess);
	free(srv->free_slot);
	idx_hash_fini(&srv->clients);
	idx_heap_fini(&srv->timers);
	free(srv->port_ring);
	free(srv->port_sess);
	free(srv);
}

/* ---- accessors ----------------------------------------------------------- */

bool tftp_server_owns_port(const struct tftp_server *srv, uint16_t port)
{
	return port == srv->cfg.listen_port || port_index(srv, port) != NIL;
}

uint32_t tftp_server_active(const struct tftp_server *srv)
{
	return srv->cfg.capacity - srv->n_free;
}

const struct tftp_sess *tftp_server_sess(const struct tftp_server *srv, uint32_t idx)
{
	return idx < srv->cfg.capacity ? &srv->sess[idx] : NULL;
}

const struct tftp_counters *tftp_server_counters(const struct tftp_server *srv)
{
	return &srv->c;
}

uint64_t tftp_server_deadline(const struct tftp_server *srv)
{
	return idx_heap_min(&srv->timers);
}

/* ---- session slots -------------------------------------------------------- */

/** Return a finished session's slot and port; the slot reads FREE again. */
static void release(struct tftp_server *srv, uint32_t idx)
{
	struct tftp_sess *s = &srv->sess[idx];
	uint32_t pi = port_index(srv, s->sport);

	idx_heap_remove(&srv->timers, idx);
	idx_hash_remove(&srv->clients, idx);
	if (pi != NIL && srv->port_sess[pi] == idx) {
		srv->port_sess[pi] = NIL;
		port_give(srv, pi);
	}
	memset(s, 0, sizeof(*s));
	srv->free_slot[srv->n_free++] = idx;
}

/** After a session call: free it if it ended, else re-file its deadline. */
static void after_sess(struct tftp_server *srv, uint32_t idx, int rc)
{
	if (rc == 1)
		release(srv, idx);
	else
		heap_update(srv, idx);
}

/* ---- answers without a session ------------------------------------------- */

/** ERROR to the sender of @a rx, from the port it wrote to (RFC 1350 sec 4). */
static void reply_error(struct tftp_server *srv, const struct tftp_rx *rx, uint16_t code,
			const char *msg, struct tftp_out *out)
{
	struct tftp_act *a;

	if (out->n >= out->cap)
		return;
	a = &out->act[out->n++];
	memset(a, 0, sizeof(*a));
	a->type = TFTP_ACT_ERROR;
	a->cip = rx->src_ip;
	a->cport = rx->src_port;
	a->sport = rx->dst_port;
	a->sess = TFTP_NO_SESS;
	a->u.error.code = code;
	a->u.error.msg = msg;
	srv->c.err_tx[code < TFTP_N_ERR_CODES ? code : 0]++;
}

/**
 * Normalise a requested name: strip leading '/' (PXE ROMs send
 * "/undionly.kpxe"; the root is the cache anyway), then refuse anything
 * that could mean a path outside it or confuse a lookup: a ".." component,
 * a backslash (DOS-style "..\\"), a control byte.
 * @return 0 and *norm, or the TFTP error code to answer.
 */
static uint16_t normalise_name(struct tftp_server *srv, struct span raw, struct span *norm)
{
	size_t comp = 0;           /* length of the current component */

	while (raw.len > 0 && raw.p[0] == '/') {
		raw.p++;
		raw.len--;
	}
	for (size_t i = 0; i <= raw.len; i++) {
		uint8_t c = i < raw.len ? raw.p[i] : '/';

		if (c == '\\' || c < 0x20 || c == 0x7f) {
			srv->c.name_escape++;
			return TFTP_ERR_ACCESS;
		}
		if (c != '/') {
			comp++;
			continue;
		}
		if (comp == 2 && raw.p[i - 1] == '.' && raw.p[i - 2] == '.') {
			srv->c.name_escape++;
			return TFTP_ERR_ACCESS;
		}
		comp = 0;
	}
	if (raw.len >= OBJ_NAME_MAX) {
		srv->c.name_too_long++;
		return TFTP_ERR_NOT_FOUND;
	}
	*norm = raw;
	return 0;
}

/** Parse problems and refusals of a request on the listen port. */
static int refuse_request(struct tftp_server *srv, const struct tftp_rx *rx,
			  enum tftp_parse_result r, const struct tftp_req *req, struct tftp_out *out)
{
	if (r == TFTP_PARSE_BAD_OP) {
		/* DATA, ACK, OACK to port 69: not a request */
		srv->c.illegal_op++;
		reply_error(srv, rx, TFTP_ERR_ILLEGAL_OP, "illegal TFTP operation", out);
	} else if (!tftp_parse_is_framing(r) && req->op == TFTP_OP_WRQ) {
		srv->c.wrq_refused++;
		reply_error(srv, rx, TFTP_ERR_ACCESS, "read-only server", out);
	} else {
		reply_error(srv, rx, tftp_parse_err_code(r), tftp_parse_result_str(r), out);
	}
	return 0;
}

/* ---- RRQ ----------------------------------------------------------------- */

/**
 * An RRQ from a client address:port that already has a session. A live
 * transfer means this is the client's retransmission of its request:
 * ignore it (our timer resends; answering each copy would double the
 * traffic). A session only waiting for its final ACK is over from the
 * client's side, so a new request replaces it.
 * @return true if the RRQ is to be ignored.
 */
static bool rrq_is_dup(struct tftp_server *srv, uint32_t idx, struct tftp_out *out)
{
	struct tftp_sess *s = &srv->sess[idx];

	if (s->state != TFTP_SESS_LAST_SENT) {
		srv->c.rrq_dup++;
		return true;
	}
	if (out_room(out) < TFTP_OUT_RESERVE + 1) {
		/* no room for FINISHED and the new start: the client will retry */
		srv->c.drop_out_full++;
		return true;
	}
	tftp_sess_finish(s, TFTP_FIN_SUPERSEDED, out);
	release(srv, idx);
	return false;
}

/** Take a slot and a port and start the transfer of @a obj. */
static int rrq_start(struct tftp_server *srv, const struct tftp_rx *rx, const struct tftp_req *req,
		     const struct stp_object *obj, uint64_t now, struct tftp_out *out)
{
	struct tftp_sess_init in = { .obj = obj, .req = req, .tm = &srv->cfg.timing,
				     .ctr = &srv->c, .cip = rx->src_ip, .cport = rx->src_port };
	uint32_t idx, pi;
	int rc;

	/* Admission: past the budget an RRQ gets no answer. The firmware
	 * resends it on its own timer and gets in once a session ends; an
	 * ERROR would make a PXE ROM give up the boot (issue "Storm control",
	 * TFTP admission). */
	if (srv->n_free == 0) {
		srv->c.table_full++;
		return 0;
	}
	pi = port_take_for(srv, rx->src_ip, rx->src_port);
	if (pi == NIL) {
		srv->c.no_port++;
		return 0;
	}
	idx = srv->free_slot[--srv->n_free];
	in.id = idx;
	in.sport = port_of(srv, pi);
	rc = tftp_sess_start(&srv->sess[idx], &in, now, out);
	if (rc < 0) {
		srv->free_slot[srv->n_free++] = idx;
		port_give(srv, pi);
		if (rc == -ENOBUFS) {
			srv->c.drop_out_full++;
			return 0;
		}
		srv->c.too_large++;
		reply_error(srv, rx, TFTP_ERR_DISK_FULL, "file too large for this blksize", out);
		return 0;
	}
	srv->port_sess[pi] = idx;
	idx_hash_insert(&srv->clients, idx, client_key(rx->src_ip, rx->src_port));
	heap_update(srv, idx);
	return 0;
}

static int on_request(struct tftp_server *srv, const struct tftp_rx *rx, uint64_t now,
		      struct tftp_out *out)
{
	struct tftp_req req;
	struct span name = { NULL, 0 };
	const struct stp_object *obj;
	enum tftp_parse_result r;
	uint32_t idx;
	uint16_t code;

	r = tftp_parse_request(rx->payload, &srv->cfg.lim, &req);
	srv->c.req[r]++;
	if (r != TFTP_PARSE_OK || req.op != TFTP_OP_RRQ)
		return refuse_request(srv, rx, r, &req, out);
	srv->c.rrq++;
	srv->c.opt_ignored += req.n_ignored;
	srv->c.opt_clamped += req.n_clamped;
	idx = hash_find(srv, rx->src_ip, rx->src_port);
	if (idx != NIL && rrq_is_dup(srv, idx, out))
		return 0;
	code = normalise_name(srv, req.name, &name);
	if (code != 0) {
		reply_error(srv, rx, code, code == TFTP_ERR_ACCESS ? "access violation" :
			    "file not found", out);
		return 0;
	}
	obj = name.len > 0 ? srv->cfg.lookup(srv->cfg.lookup_ctx, name) : NULL;
	if (obj == NULL) {
		srv->c.name_not_found++;
		reply_error(srv, rx, TFTP_ERR_NOT_FOUND, "file not found", out);
		return 0;
	}
	if (req.mode == TFTP_MODE_NETASCII && obj->len > srv->cfg.netascii_max_len) {
		srv->c.netascii_too_large++;
		reply_error(srv, rx, TFTP_ERR_UNDEF, "netascii only for small files, use octet", out);
		return 0;
	}
	return rrq_start(srv, rx, &req, obj, now, out);
}

/* ---- input --------------------------------------------------------------- */

static int on_listen(struct tftp_server *srv, const struct tftp_rx *rx, uint64_t now,
		     struct tftp_out *out)
{
	uint16_t op;

	if (tftp_parse_op(rx->payload, &op) < 0) {
		srv->c.drop_short++;
		return 0;
	}
	if (op == TFTP_OP_ERROR) {
		/* RFC 1350 sec 7: never answer an error */
		srv->c.drop_error_rx++;
		return 0;
	}
	return on_request(srv, rx, now, out);
}

/**
 * A datagram on TID port index @a pi. Only the session's own client may
 * talk to it; anyone else gets error 5 and the session never sees the
 * packet (RFC 1350 sec 4: "...while not disturbing the transfer").
 */
static int on_tid(struct tftp_server *srv, const struct tftp_rx *rx, uint32_t pi, uint64_t now,
		  struct tftp_out *out)
{
	uint32_t idx = srv->port_sess[pi];
	uint16_t op;

	if (idx != NIL && srv->sess[idx].cip == rx->src_ip && srv->sess[idx].cport == rx->src_port) {
		after_sess(srv, idx, tftp_sess_input(&srv->sess[idx], rx->payload, now, out));
		return 0;
	}
	if (tftp_parse_op(rx->payload, &op) < 0) {
		srv->c.drop_short++;
		return 0;
	}
	if (op == TFTP_OP_ERROR) {
		srv->c.drop_error_rx++;
		return 0;
	}
	srv->c.unknown_tid++;
	reply_error(srv, rx, TFTP_ERR_UNKNOWN_TID, "unknown transfer ID", out);
	return 0;
}

int tftp_server_input(struct tftp_server *srv, const struct tftp_rx *rx, uint64_t now_us,
		      struct tftp_out *out)
{
	uint32_t pi;

	if (out_room(out) < TFTP_OUT_RESERVE) {
		srv->c.drop_out_full++;
		return -ENOBUFS;
	}
	srv->c.rx++;
	if (rx->dst_port == srv->cfg.listen_port)
		return on_listen(srv, rx, now_us, out);
	pi = port_index(srv, rx->dst_port);
	if (pi == NIL) {
		srv->c.drop_not_ours++;
		return 0;
	}
	return on_tid(srv, rx, pi, now_us, out);
}

int tftp_server_timers(struct tftp_server *srv, uint64_t now_us, struct tftp_out *out)
{
	int done = 0;

	while (srv->timers.n > 0 && idx_heap_min(&srv->timers) <= now_us &&
	       (uint32_t)done < srv->cfg.timer_budget &&
	       out_room(out) >= TFTP_OUT_RESERVE) {
		uint32_t idx = idx_heap_top(&srv->timers);

		after_sess(srv, idx, tftp_sess_timer(&srv->sess[idx], now_us, out));
		done++;
	}
	return done;
}
