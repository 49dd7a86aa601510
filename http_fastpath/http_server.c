/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_server.c
 * HTTP on top of the TCP core for one lcore: slots, responses queued on
 * connections, upcalls, the deadline heap and the ready-list turns. See
 * http_server.h for the contract with the glue.
 */
#include "http_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "idxheap.h"

/* Response headers of one call; also frames an upcall answer (~7 KB body). */
#define HDRBUF 8192
/* HTTP deadlines handled per poll: bounded work (a burst of 408s waits). */
#define DEADLINES_PER_POLL 64u
/* Actions one connection's call can make: a PIN and a SERVED or an UPCALL
 * per response, and UNPINs of connections the same segment closes. */
#define ACTS_PER_CONN (2u * HTTP_CONN_MAX_PER_CALL + 4u)
#define SEC_US 1000000ull

const char *const http_server_counter_names[HTTP_SERVER_N_COUNTERS] = {
#define X(name, help) #name,
	HTTP_SERVER_COUNTERS(X)
#undef X
};

struct http_server {
	struct tcp_table *tcp;
	struct http_slot *slot;        /* [capacity], index = connection id */
	struct idx_heap deadlines;     /* open slots by HTTP deadline (wall us) */
	uint32_t capacity, active;
	uint32_t timer_budget;         /* the TCP core's, for act room */
	uint64_t wall_offset;
	uint32_t upcall_target_max, upcall_body_max;
	struct http_site site;
	struct http_counters ctr;
	struct http_server_counters sc;
	uint32_t max_transfers;        /* admission budget, 0: none */
	uint64_t est_us;               /* moving average of one transfer's time */
	uint64_t seed;

	/* the call in progress */
	struct http_out *out;
	uint64_t now_us, wall_us;
	uint32_t cur;                  /* the connection http_conn is answering for */
	struct http_conn_resp resp[HTTP_CONN_MAX_PER_CALL];
	uint8_t hdrbuf[HDRBUF];
	uint8_t *scratch;              /* upcall targets and bodies of this call */
	size_t scratch_len, scratch_cap;
};

static void on_data(void *app, uint32_t conn, struct tcp_table *t, uint64_t now_us);
static void on_close(void *app, uint32_t conn, int reason);

/* ---- actions ---- */

static unsigned act_room(const struct http_out *o)
{
	return o->act_cap - o->act_n;
}

static unsigned tcp_room(const struct http_out *o)
{
	return o->tcp.cap - o->tcp.n;
}

/* Callers reserve room before each step, so this never runs out; if it
 * did, an action would be lost, and a lost UNPIN is a pin held forever. */
static struct http_act *act_push(struct http_server *s, uint8_t kind, uint32_t slot)
{
	struct http_act *a;

	if (s->out->act_n == s->out->act_cap)
		return NULL;
	a = &s->out->act[s->out->act_n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->slot = slot;
	return a;
}

static uint32_t peer_ip(const struct http_server *s, uint32_t conn)
{
	uint32_t ip = 0;
	uint16_t port;

	tcp_conn_peer(s->tcp, conn, &ip, &port);
	return ip;
}

static void begin_call(struct http_server *s, uint64_t now_us, struct http_out *out)
{
	s->out = out;
	s->now_us = now_us;
	s->wall_us = now_us + s->wall_offset;
	s->scratch_len = 0;
}

static bool has_room(const struct http_out *out)
{
	return tcp_room(out) >= HTTP_SERVER_OUT_MIN && act_room(out) >= ACTS_PER_CONN;
}

/* ---- slots and deadlines ---- */

/*
 * Lazy: a later deadline keeps the earlier key; deadline_pop() puts the
 * slot back at its real deadline when it comes up early.
 */
static void deadline_arm(struct http_server *s, uint32_t id)
{
	uint64_t d = http_conn_deadline(&s->slot[id].http);

	if (d == HTTP_NO_DEADLINE)
		return;
	if (!idx_heap_contains(&s->deadlines, id) || d < idx_heap_key(&s->deadlines, id))
		idx_heap_set(&s->deadlines, id, d);
}

/* A connection's HTTP state starts with its first segment out of us
 * (SYN-ACK) or its first request bytes (after a SYN-cookie handshake). */
static void slot_open(struct http_server *s, uint32_t id)
{
	struct http_slot *sl = &s->slot[id];

	if (sl->open)
		return;
	http_conn_init(&sl->http, &s->site, s->wall_us);
	memset(&sl->peer_mac, 0, sizeof(sl->peer_mac));
	sl->serial++;
	sl->open = true;
	sl->pinned = false;
	sl->xfer = false;
	sl->tx_total = 0;
	sl->obj_end = 0;
	s->active++;
	deadline_arm(s, id);
}

/* Slots for connections the last TCP call answered for the first time. */
static void open_new_slots(struct http_server *s, unsigned from)
{
	const struct tcp_out *t = &s->out->tcp;
	uint32_t ip;
	uint16_t port;

	for (unsigned i = from; i < t->n; i++) {
		uint32_t id = t->act[i].conn;

		if (t->act[i].kind == TCP_ACT_SEND && id < s->capacity && !s->slot[id].open &&
		    tcp_conn_peer(s->tcp, id, &ip, &port))
			slot_open(s, id);
	}
}

/* ---- admission (http_server.h, "Admission") ---- */

/* The transfer of @a sl is over: acknowledged (@a acked) or cut short. */
static void xfer_finish(struct http_server *s, struct http_slot *sl, bool acked)
{
	uint64_t took = s->now_us > sl->xfer_t0 ? s->now_us - sl->xfer_t0 : 0;

	sl->xfer = false;
	s->sc.transfers_in_flight--;
	if (!acked) {
		s->sc.transfers_cut++;
		return;
	}
	s->sc.transfers_done++;
	/* A gain of 1/8 as for SRTT (RFC 6298): a run of transfers moves the
	 * estimate, one slow client does not. */
	s->est_us = (7 * s->est_us + took) / 8;
}

/* Has the client acknowledged the transfer's last body byte? Bytes queued
 * after it (a pipelined answer) may still be unacknowledged. */
static void xfer_settle(struct http_server *s, uint32_t conn)
{
	struct http_slot *sl = &s->slot[conn];

	if (sl->xfer && tcp_tx_queued(s->tcp, conn) <= sl->tx_total - sl->xfer_end)
		xfer_finish(s, sl, true);
}

/* A pure ACK reaches no callback: look up the connection the segment was
 * for. One hash lookup, and only while transfers are counted, so a poll's
 * work never grows with the number of connections. */
static void settle_seg(struct http_server *s, const struct tcp_seg_in *seg)
{
	uint32_t id;

	if (s->sc.transfers_in_flight == 0 || seg->tcp.len < 2)
		return;
	id = tcp_conn_lookup(s->tcp, seg->src_ip, get_be16(seg->tcp.p));
	if (id < s->capacity && s->slot[id].open)
		xfer_settle(s, id);
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Seconds a refused client should wait: the queue ahead plus a jitter. */
static uint32_t retry_after(const struct http_server *s, uint32_t conn)
{
	/* The transfers in flight, max_transfers of them side by side, each
	 * taking about est_us: the first slot frees after about base. */
	uint64_t base = s->est_us * s->sc.transfers_in_flight / s->max_transfers;
	/* Deterministic jitter in [0, base): refused clients come back one by
	 * one instead of together, whatever their number. */
	uint64_t h = mix64(s->seed ^ ((uint64_t)conn << 32 | s->slot[conn].serial) ^
			   mix64(s->sc.admission_503));
	uint64_t us = base + (base != 0 ? h % base : 0);
	uint64_t sec = (us + SEC_US - 1) / SEC_US;

	return (uint32_t)STP_MIN(STP_MAX(sec, 1), HTTP_SERVER_RETRY_AFTER_MAX);
}

/* site->admit for the connection being served (s->cur). */
static uint32_t admit(void *ctx, const struct http_resp *r)
{
	struct http_server *s = ctx;
	struct http_slot *sl = &s->slot[s->cur];

	if (sl->xfer)
		return 0; /* its flow is counted: this body queues behind the other */
	if (s->sc.transfers_in_flight >= s->max_transfers) {
		s->sc.admission_503++;
		return retry_after(s, s->cur);
	}
	/* HEAD sends no body: admitted, but no transfer. */
	if (!r->head) {
		sl->xfer = true;
		sl->xfer_end = sl->tx_total; /* queue_object() moves it past the body */
		sl->xfer_t0 = s->now_us;
		s->sc.transfers_started++;
		s->sc.transfers_in_flight++;
	}
	return 0;
}

/* tcp_send_bytes(), counted in tx_total: transfers end by that count. */
static int send_bytes(struct http_server *s, uint32_t conn, const void *p, size_t n)
{
	int rc = tcp_send_bytes(s->tcp, conn, p, n);

	if (rc == 0)
		s->slot[conn].tx_total += n;
	return rc;
}

static void on_close(void *app, uint32_t conn, int reason)
{
	struct http_server *s = app;
	struct http_slot *sl;

	(void)reason;
	if (conn >= s->capacity || !s->slot[conn].open)
		return;
	sl = &s->slot[conn];
	/* Both FINs exchanged and acknowledged: so was every body byte. */
	if (sl->xfer)
		xfer_finish(s, sl, reason == TCP_CLOSE_DONE);
	if (sl->pinned && s->out != NULL)
		act_push(s, HTTP_ACT_UNPIN, conn);
	sl->pinned = false;
	sl->open = false;
	memset(&sl->peer_mac, 0, sizeof(sl->peer_mac));
	idx_heap_remove(&s->deadlines, conn);
	s->active--;
}

/* ---- responses ---- */

static void queue_object(struct http_server *s, uint32_t conn, const struct http_resp *r)
{
	struct http_slot *sl = &s->slot[conn];

	struct http_act *a;

	/* Every object pins the version it was looked up in (the glue skips
	 * a version already pinned); once the earlier objects are all
	 * acknowledged, their pin can go: a keep-alive connection does not
	 * hold an old version for its whole life. */
	sl->pinned = true;
	a = act_push(s, HTTP_ACT_PIN, conn);
	if (a != NULL && sl->tx_total - tcp_tx_queued(s->tcp, conn) >= sl->obj_end)
		a->flags = HTTP_PIN_DRAINED;
	if (tcp_send_object(s->tcp, conn, r->obj, r->off, r->len) == 0) {
		sl->tx_total += r->len;
		sl->obj_end = sl->tx_total;
	}
	/* The connection's transfer ends with its last large body. */
	if (sl->xfer && r->len >= s->site.large_min)
		sl->xfer_end = sl->tx_total;
}

static void report_served(struct http_server *s, uint32_t conn, const struct http_resp *r)
{
	struct http_act *a;

	if (r->body != HTTP_BODY_OBJ || (r->status != 200 && r->status != 206) ||
	    !(r->obj->flags & OBJ_F_BOOT_STAGE))
		return;
	a = act_push(s, HTTP_ACT_SERVED, conn);
	if (a == NULL)
		return;
	a->status = r->status;
	a->obj = r->obj;
	a->peer_ip = peer_ip(s, conn);
	s->sc.served_reports++;
}

/* Queue the bytes and objects of @a o's answers (upcalls come later). */
static void queue_responses(struct http_server *s, uint32_t conn, const struct http_conn_out *o)
{
	for (unsigned i = 0; i < o->n; i++) {
		const struct http_conn_resp *r = &o->v[i];

		if (r->resp.upcall)
			continue;
		if (r->hdr.len > 0)
			send_bytes(s, conn, r->hdr.p, r->hdr.len);
		if (r->resp.body == HTTP_BODY_OBJ && r->resp.len > 0 && !r->resp.head)
			queue_object(s, conn, &r->resp);
		report_served(s, conn, &r->resp);
		if (r->resp.close)
			tcp_shutdown(s->tcp, conn);
	}
}

static struct http_conn_out conn_out(struct http_server *s)
{
	return (struct http_conn_out){ s->resp, HTTP_CONN_MAX_PER_CALL, 0, s->hdrbuf,
				       sizeof(s->hdrbuf), 0, false };
}

/* ---- upcalls ---- */

/* Frame an answer for the pending upcall and carry on with the connection. */
static void finish_upcall(struct http_server *s, uint32_t conn, uint16_t status, bool json,
			  struct span body)
{
	struct http_slot *sl = &s->slot[conn];
	struct http_resp *r = &sl->upcall;
	int n = http_respond_upcall(r, &s->site, s->wall_us / 1000000, status,
				    json ? "application/json" : NULL, body, s->hdrbuf,
				    sizeof(s->hdrbuf));

	if (n <= 0 || send_bytes(s, conn, s->hdrbuf, (size_t)n) < 0) {
		/* Too big for the connection's send buffer: say so, briefly. */
		n = http_respond_upcall(r, &s->site, s->wall_us / 1000000, 500, NULL,
					span_cstr("answer too large\n"), s->hdrbuf,
					sizeof(s->hdrbuf));
		if (n > 0)
			send_bytes(s, conn, s->hdrbuf, (size_t)n);
	}
	http_conn_upcall_done(&sl->http, r, &s->site, s->wall_us);
	if (r->close)
		tcp_shutdown(s->tcp, conn);
	deadline_arm(s, conn);
}

static struct span scratch_copy(struct http_server *s, struct span in)
{
	uint8_t *p = s->scratch + s->scratch_len;

	memcpy(p, in.p, in.len);
	s->scratch_len += in.len;
	return span_make(p, in.len);
}

/*
 * /api/: the request goes to control; until its answer, http_conn parses
 * nothing more on this connection, so pipelined answers keep their order.
 * Target and body are copied out of the rx buffer, which is consumed
 * before the glue reads the action.
 */
static void start_upcall(struct http_server *s, uint32_t conn, const struct http_conn_resp *r)
{
	struct http_slot *sl = &s->slot[conn];
	struct http_act *a;

	sl->upcall = r->resp;
	if (r->target.len > s->upcall_target_max || r->body.len > s->upcall_body_max ||
	    s->scratch_cap - s->scratch_len < r->target.len + r->body.len) {
		s->sc.upcall_too_large++;
		finish_upcall(s, conn, 413, true, span_cstr("{\"error\":\"request too large\"}\n"));
		return;
	}
	a = act_push(s, HTTP_ACT_UPCALL, conn);
	if (a == NULL) {
		s->sc.upcall_busy++;
		finish_upcall(s, conn, 503, true, span_cstr("{\"error\":\"control busy\"}\n"));
		return;
	}
	a->serial = sl->serial;
	a->method = r->resp.method;
	a->peer_ip = peer_ip(s, conn);
	a->target = scratch_copy(s, r->target);
	a->body = scratch_copy(s, r->body);
	s->sc.upcalls_passed++;
}

/* ---- the application callback ---- */

/* Answer what the rx buffer holds; the TCP core may or may not be inside
 * a callback (input, or an upcall answer letting pipelined requests go). */
static void serve(struct http_server *s, uint32_t conn)
{
	struct http_slot *sl = &s->slot[conn];
	struct http_conn_out o = conn_out(s);
	struct span rx = tcp_rx_peek(s->tcp, conn);
	size_t used;

	s->cur = conn;
	xfer_settle(s, conn); /* a transfer over frees its place for this request */
	used = http_conn_on_data(&sl->http, rx, s->wall_us, &s->site, &o);
	queue_responses(s, conn, &o);
	for (unsigned i = 0; i < o.n; i++)
		if (o.v[i].resp.upcall)
			start_upcall(s, conn, &o.v[i]);
	tcp_rx_consume(s->tcp, conn, used);
	if (tcp_rx_eof(s->tcp, conn) && !sl->http.upcall_pending)
		tcp_shutdown(s->tcp, conn);
	deadline_arm(s, conn);
}

static void on_data(void *app, uint32_t conn, struct tcp_table *t, uint64_t now_us)
{
	struct http_server *s = app;

	(void)t;
	(void)now_us;
	if (conn >= s->capacity)
		return;
	slot_open(s, conn);
	serve(s, conn);
}

/* ---- entry points ---- */

int http_server_input(struct http_server *s, const struct tcp_seg_in *seg, uint64_t now_us,
		      struct http_out *out)
{
	unsigned n0 = out->tcp.n;
	int rc;

	if (!has_room(out))
		return -ENOBUFS;
	begin_call(s, now_us, out);
	rc = tcp_input(s->tcp, seg, now_us, &out->tcp);
	open_new_slots(s, n0);
	settle_seg(s, seg);
	return rc;
}

/* Slowloris or an idle keep-alive: 408 if the request was partial, then
 * close once sent (RFC 9112 sec 9.5). @return false when the quota ran out. */
static bool run_deadlines(struct http_server *s)
{
	for (unsigned i = 0; i < DEADLINES_PER_POLL; i++) {
		uint32_t id;
		uint64_t d;
		struct http_conn_out o;

		if (idx_heap_min(&s->deadlines) > s->wall_us)
			return true;
		id = idx_heap_pop(&s->deadlines);
		s->sc.deadline_visits++;
		d = http_conn_deadline(&s->slot[id].http);
		if (d > s->wall_us) {
			deadline_arm(s, id); /* came up early: the real one is later */
			continue;
		}
		o = conn_out(s);
		if (http_conn_on_timeout(&s->slot[id].http, s->wall_us, &s->site, &o)) {
			queue_responses(s, id, &o);
			tcp_shutdown(s->tcp, id);
		}
	}
	return idx_heap_min(&s->deadlines) > s->wall_us;
}

/* Let connections with data waiting send, a turn each (storm fairness). */
static void drain_ready(struct http_server *s, uint64_t now_us)
{
	struct http_out *out = s->out;

	while (tcp_ready_count(s->tcp) > 0 && tcp_room(out) >= HTTP_SERVER_OUT_MIN &&
	       act_room(out) >= 1) {
		uint32_t conn = tcp_ready_pop(s->tcp);
		unsigned n0 = out->tcp.n;

		if (conn == TCP_NO_CONN)
			break;
		tcp_output(s->tcp, conn, now_us, &out->tcp, HTTP_SERVER_SEGS_PER_TURN);
		open_new_slots(s, n0);
	}
}

bool http_server_poll(struct http_server *s, uint64_t now_us, struct http_out *out)
{
	bool more = false;

	begin_call(s, now_us, out);
	if (now_us >= tcp_next_deadline(s->tcp)) {
		if (act_room(out) >= s->timer_budget && tcp_room(out) >= HTTP_SERVER_OUT_MIN) {
			unsigned n0 = out->tcp.n;

			tcp_timers(s->tcp, now_us, &out->tcp);
			open_new_slots(s, n0);
		}
		more |= now_us >= tcp_next_deadline(s->tcp);
	}
	more |= !run_deadlines(s);
	drain_ready(s, now_us);
	more |= tcp_ready_count(s->tcp) > 0;
	return more;
}

/* The slot use an upcall answer is for, or NULL (gone meanwhile). */
static struct http_slot *upcall_slot(struct http_server *s, uint32_t slot, uint32_t serial)
{
	struct http_slot *sl = slot < s->capacity ? &s->slot[slot] : NULL;

	if (sl == NULL || !sl->open || sl->serial != serial || !sl->http.upcall_pending) {
		s->sc.upcall_stale++;
		return NULL;
	}
	return sl;
}

int http_server_upcall_answer(struct http_server *s, uint32_t slot, uint32_t serial,
			      uint16_t status, bool json, struct span body, uint64_t now_us,
			      struct http_out *out)
{
	if (!has_room(out))
		return -ENOBUFS;
	begin_call(s, now_us, out);
	if (upcall_slot(s, slot, serial) == NULL)
		return -ESTALE;
	finish_upcall(s, slot, status, json, body);
	/* Requests pipelined behind the upcall wait in the rx buffer. */
	serve(s, slot);
	return 0;
}

int http_server_upcall_busy(struct http_server *s, uint32_t slot, uint32_t serial,
			    uint64_t now_us, struct http_out *out)
{
	int rc = http_server_upcall_answer(s, slot, serial, 503, true,
					   span_cstr("{\"error\":\"control busy\"}\n"), now_us,
					   out);

	if (rc == 0) {
		s->sc.upcall_busy++;
		s->sc.upcalls_passed--; /* it never reached control */
	}
	return rc;
}

uint64_t http_server_deadline(const struct http_server *s)
{
	uint64_t tcp = tcp_next_deadline(s->tcp), http = idx_heap_min(&s->deadlines);

	if (tcp_ready_count(s->tcp) > 0)
		return 0;
	if (http != UINT64_MAX)
		http = http > s->wall_offset ? http - s->wall_offset : 0;
	return tcp < http ? tcp : http;
}

/* ---- life cycle ---- */

struct http_server *http_server_create(const struct http_server_cfg *cfg)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct tcp_table_cfg tc = cfg->tcp;

	if (s == NULL)
		return NULL;
	s->capacity = tc.capacity;
	s->timer_budget = tc.timer_budget ? tc.timer_budget : 64;
	s->wall_offset = cfg->wall_offset_us;
	s->upcall_target_max = cfg->upcall_target_max;
	s->upcall_body_max = cfg->upcall_body_max;
	s->site = cfg->site;
	s->site.ctr = &s->ctr;
	s->scratch_cap = (size_t)tc.rx_buf;
	s->max_transfers = cfg->max_transfers;
	s->est_us = cfg->transfer_est_us ? cfg->transfer_est_us : SEC_US;
	s->seed = cfg->seed;
	s->site.admit = NULL;
	if (s->max_transfers > 0) {
		s->site.admit = admit;
		s->site.admit_ctx = s;
		s->site.large_min = cfg->large_min;
	}
	tc.ops = (struct tcp_app_ops){ on_data, on_close };
	tc.app = s;
	s->tcp = tcp_table_create(&tc);
	if (s->tcp == NULL) {
		free(s);
		return NULL; /* errno from the TCP core: EINVAL or ENOMEM */
	}
	s->slot = calloc(s->capacity, sizeof(*s->slot));
	s->scratch = malloc(s->scratch_cap ? s->scratch_cap : 1);
	if (s->slot == NULL || s->scratch == NULL ||
	    idx_heap_init(&s->deadlines, s->capacity) != 0) {
		http_server_destroy(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void http_server_destroy(struct http_server *s)
{
	if (s == NULL)
		return;
	s->out = NULL; /* on_close(DESTROY) makes no actions */
	if (s->tcp != NULL)
		tcp_table_destroy(s->tcp);
	idx_heap_fini(&s->deadlines);
	free(s->slot);
	free(s->scratch);
	free(s);
}

struct http_slot *http_server_slot(struct http_server *s, uint32_t id)
{
	return id < s->capacity ? &s->slot[id] : NULL;
}

uint32_t http_server_capacity(const struct http_server *s)
{
	return s->capacity;
}

uint32_t http_server_active(const struct http_server *s)
{
	return tcp_active(s->tcp);
}

const struct tcp_table *http_server_tcp(const struct http_server *s)
{
	return s->tcp;
}

const struct http_counters *http_server_http_counters(const struct http_server *s)
{
	return &s->ctr;
}

const struct http_server_counters *http_server_counters(const struct http_server *s)
{
	return &s->sc;
}
