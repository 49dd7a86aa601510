/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_table.c
 * The connection table: creation, the 4-tuple hash, slot allocation (free
 * list, then TIME_WAIT reuse, then half-open eviction), the single state
 * setter, the timer heap, the ready list and the RFC 5961 rate limit.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_impl.h"

const char *const tcp_counter_names[] = {
#define X(name, help) #name,
	TCP_COUNTERS(X)
#undef X
#define X(name, help) "drop_" #name,
	TCP_DROPS(X)
#undef X
	"closed_done", "closed_reset", "closed_retries", "closed_idle",
	"closed_abort", "closed_evicted", "closed_tw_reuse", "closed_destroy",
};

_Static_assert(TCP_CLOSE_N <= 8, "closed[] holds every close reason");
_Static_assert(sizeof(tcp_counter_names) / sizeof(tcp_counter_names[0]) == TCP_N_COUNTERS,
	       "one name per counter");

static const char *const state_names[] = {
#define X(name) #name,
	TCP_STATES(X)
#undef X
};

static const char *const close_names[] = {
#define X(name, help) #name,
	TCP_CLOSE_REASONS(X)
#undef X
};

const char *tcp_state_name(unsigned st)
{
	return st < TCP_N_STATES ? state_names[st] : "?";
}

const char *tcp_close_reason_name(int reason)
{
	return reason >= 0 && reason < TCP_CLOSE_N ? close_names[reason] : "?";
}

/* --- hash: connection id by the peer's address and port --- */

static uint64_t tuple_key(uint32_t rip, uint16_t rport)
{
	return (uint64_t)rip << 16 | rport;
}

struct tcp_conn *tcp_lookup(struct tcp_table *t, uint32_t rip, uint16_t rport)
{
	uint32_t id = idx_hash_find(&t->hash, tuple_key(rip, rport));

	return id == IDX_HASH_NONE ? NULL : &t->conn[id];
}

/* --- timer heap: connection ids by deadline --- */

/**
 * Make sure the heap holds @a c no later than its current deadline. Lazy:
 * a later deadline leaves the old key (tcp_timers() re-arms when it pops
 * early), so an ACK that pushes the RTO back costs no heap work.
 */
void tcp_timer_arm(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us)
{
	uint64_t d = tcp_conn_deadline(t, c);

	(void)now_us;
	if (!idx_heap_contains(&t->heap, c->id)) {
		if (d != UINT64_MAX)
			idx_heap_set(&t->heap, c->id, d);
	} else if (d < idx_heap_key(&t->heap, c->id)) {
		idx_heap_set(&t->heap, c->id, d);
	}
}

uint64_t tcp_next_deadline(const struct tcp_table *t)
{
	return idx_heap_min(&t->heap);
}

/* --- ready list: FIFO of connections with something to send --- */

void tcp_ready_push(struct tcp_table *t, struct tcp_conn *c)
{
	if (c->cf & TCP_CF_READY)
		return;
	c->cf |= TCP_CF_READY;
	c->lnext = TCP_NO_CONN;
	c->lprev = t->ready_tail;
	if (t->ready_tail == TCP_NO_CONN)
		t->ready_head = c->id;
	else
		t->conn[t->ready_tail].lnext = c->id;
	t->ready_tail = c->id;
	t->n_ready++;
}

static void ready_remove(struct tcp_table *t, struct tcp_conn *c)
{
	if (!(c->cf & TCP_CF_READY))
		return;
	c->cf &= (uint16_t)~TCP_CF_READY;
	if (c->lprev == TCP_NO_CONN)
		t->ready_head = c->lnext;
	else
		t->conn[c->lprev].lnext = c->lnext;
	if (c->lnext == TCP_NO_CONN)
		t->ready_tail = c->lprev;
	else
		t->conn[c->lnext].lprev = c->lprev;
	c->lnext = c->lprev = TCP_NO_CONN;
	t->n_ready--;
}

uint32_t tcp_ready_pop(struct tcp_table *t)
{
	uint32_t id = t->ready_head;

	if (id != TCP_NO_CONN)
		ready_remove(t, &t->conn[id]);
	return id;
}

uint32_t tcp_ready_count(const struct tcp_table *t)
{
	return t->n_ready;
}

/* --- states, slots --- */

/** The one state setter: keeps the half-open count that triggers SYN cookies. */
void tcp_set_state(struct tcp_table *t, struct tcp_conn *c, enum tcp_state st)
{
	if (c->state == TCP_SYN_RCVD)
		t->n_half_open--;
	if (st == TCP_SYN_RCVD)
		t->n_half_open++;
	c->state = (uint8_t)st;
}

/**
 * Free @a c: tell the app (on_close) and the glue (TCP_ACT_CLOSED, which
 * fits: callers keep TCP_OUT_RESERVE), and put the slot on the free list.
 */
void tcp_conn_close(struct tcp_table *t, struct tcp_conn *c, int reason, struct tcp_out *out)
{
	struct tcp_act *a = out ? tcp_act_push(t, out) : NULL;
	uint32_t id = c->id;

	if (a) {
		a->kind = TCP_ACT_CLOSED;
		a->conn = id;
		a->reason = (uint16_t)reason;
		a->src_ip = t->cfg.local_ip;
		a->src_port = t->cfg.local_port;
		a->dst_ip = c->rip;
		a->dst_port = c->rport;
	}
	if (t->cfg.ops.on_close)
		t->cfg.ops.on_close(t->cfg.app, id, reason);
	t->cnt.closed[reason & 7]++;
	idx_hash_remove(&t->hash, id);
	idx_heap_remove(&t->heap, id);
	ready_remove(t, c);
	tcp_set_state(t, c, TCP_CLOSED);
	{
		uint8_t *rx = c->rx_buf, *tx = c->tx_buf;

		memset(c, 0, sizeof(*c));
		c->rx_buf = rx;
		c->tx_buf = tx;
	}
	c->id = id;
	c->lprev = TCP_NO_CONN;
	c->lnext = t->free_head;
	t->free_head = id;
	t->n_active--;
}

/**
 * Find a slot to take when the free list is empty: a TIME_WAIT connection
 * (its job is done but for stray segments), else, if @a evict_half_open,
 * a SYN_RCVD one (a real client retransmits its SYN). Bounded scan from a
 * rotating cursor: the table is full, so any slot is a candidate kind.
 */
static struct tcp_conn *find_victim(struct tcp_table *t, bool evict_half_open, int *reason)
{
	struct tcp_conn *half = NULL;

	for (uint32_t k = 0; k < 64 && k < t->cfg.capacity; k++) {
		struct tcp_conn *c = &t->conn[t->victim_cursor];

		t->victim_cursor = (t->victim_cursor + 1) % t->cfg.capacity;
		if (c->state == TCP_TIME_WAIT) {
			*reason = TCP_CLOSE_TW_REUSE;
			return c;
		}
		if (c->state == TCP_SYN_RCVD && !half)
			half = c;
	}
	*reason = TCP_CLOSE_EVICTED;
	return evict_half_open ? half : NULL;
}

/**
 * Take a slot for (rip, rport) and put it in the hash, zeroed but for id
 * and buffers. @return NULL when the table is full and no slot may be
 * taken.
 */
struct tcp_conn *tcp_conn_alloc(struct tcp_table *t, uint32_t rip, uint16_t rport,
				bool evict_half_open, struct tcp_out *out)
{
	struct tcp_conn *c;

	if (t->free_head == TCP_NO_CONN) {
		int reason;

		c = find_victim(t, evict_half_open, &reason);
		if (!c)
			return NULL;
		if (reason == TCP_CLOSE_TW_REUSE)
			t->cnt.tw_reuse++;
		else
			t->cnt.evicted++;
		tcp_conn_close(t, c, reason, out);
	}
	c = &t->conn[t->free_head];
	t->free_head = c->lnext;
	c->lnext = c->lprev = TCP_NO_CONN;
	c->rip = rip;
	c->rport = rport;
	idx_hash_insert(&t->hash, c->id, tuple_key(rip, rport));
	t->n_active++;
	return c;
}

/**
 * RFC 5961 sec 7: at most cfg.challenge_ack_limit challenge ACKs (and
 * RSTs to unknown connections) per second, so the core cannot be made
 * an amplifier. @return true if one may be sent now.
 */
bool tcp_limit_take(struct tcp_table *t, uint64_t now_us)
{
	if (now_us - t->chal.window_start >= 1000000 || now_us < t->chal.window_start) {
		t->chal.window_start = now_us;
		t->chal.used = 0;
	}
	if (t->chal.used >= t->cfg.challenge_ack_limit) {
		t->cnt.challenge_limited++;
		return false;
	}
	t->chal.used++;
	return true;
}

/* --- create, destroy, getters --- */

static int cfg_fill(struct tcp_table_cfg *c)
{
	struct tcp_timing d = TCP_TIMING_DEFAULT;

	if (c->capacity == 0 || c->capacity > (1u << 24) || c->mss < TCP_MIN_MSS + 12)
		return -EINVAL;
	if (c->rx_buf == 0)
		c->rx_buf = 4096;
	if (c->tx_buf == 0)
		c->tx_buf = 1024;
	if (c->rx_buf > (1u << 20) || c->tx_buf > (1u << 20))
		return -EINVAL;
	if (c->syn_backlog == 0)
		c->syn_backlog = c->capacity / 2 ? c->capacity / 2 : 1;
	if (c->burst == 0)
		c->burst = 16;
	if (c->timer_budget == 0)
		c->timer_budget = 64;
	if (c->challenge_ack_limit == 0)
		c->challenge_ack_limit = 1000;
#define DEF(f) if (c->timing.f == 0) c->timing.f = d.f
	DEF(rto_initial); DEF(rto_min); DEF(rto_max); DEF(max_retries);
	DEF(syn_retries); DEF(idle_timeout); DEF(time_wait);
#undef DEF
	if (c->timing.rto_min > c->timing.rto_max || c->timing.max_retries > 30)
		return -EINVAL;
	return 0;
}

/** Thread every slot on the free list in id order, buffers carved from the slab. */
static void table_init_conns(struct tcp_table *t)
{
	size_t per = (size_t)t->cfg.rx_buf + t->cfg.tx_buf;

	for (uint32_t i = 0; i < t->cfg.capacity; i++) {
		struct tcp_conn *c = &t->conn[i];

		c->id = i;
		c->lprev = TCP_NO_CONN;
		c->lnext = i + 1 < t->cfg.capacity ? i + 1 : TCP_NO_CONN;
		c->rx_buf = t->slab + per * i;
		c->tx_buf = c->rx_buf + t->cfg.rx_buf;
	}
	t->free_head = 0;
	t->ready_head = t->ready_tail = TCP_NO_CONN;
	t->in_cb = TCP_NO_CONN;
}

struct tcp_table *tcp_table_create(const struct tcp_table_cfg *cfg)
{
	struct tcp_table *t = calloc(1, sizeof(*t));

	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->cfg = *cfg;
	if (cfg_fill(&t->cfg) < 0) {
		free(t);
		errno = EINVAL;
		return NULL;
	}
	t->conn = calloc(t->cfg.capacity, sizeof(*t->conn));
	t->slab = calloc(t->cfg.capacity, (size_t)t->cfg.rx_buf + t->cfg.tx_buf);
	/* 2 chains per connection: lookups on a full table walk half an entry on average */
	if (!t->conn || !t->slab ||
	    idx_hash_init(&t->hash, t->cfg.capacity, 2 * t->cfg.capacity,
			  tcp_siphash(t->cfg.secret, "stampede-tcp-hash", 17)) < 0 ||
	    idx_heap_init(&t->heap, t->cfg.capacity) < 0) {
		tcp_table_destroy(t);
		errno = ENOMEM;
		return NULL;
	}
	table_init_conns(t);
	return t;
}

/** Close every live connection for @a reason (on_close called, no action queued). */
static void close_live(struct tcp_table *t, int reason)
{
	for (uint32_t i = 0; i < t->cfg.capacity; i++)
		if (t->conn[i].state != TCP_CLOSED)
			tcp_conn_close(t, &t->conn[i], reason, NULL);
}

void tcp_table_reset(struct tcp_table *t)
{
	size_t state = offsetof(struct tcp_table, cnt);

	close_live(t, TCP_CLOSE_DESTROY);
	memset(t->conn, 0, (size_t)t->cfg.capacity * sizeof(*t->conn));
	memset(t->slab, 0, (size_t)t->cfg.capacity * (t->cfg.rx_buf + t->cfg.tx_buf));
	memset((uint8_t *)t + state, 0, sizeof(*t) - state);
	idx_hash_reset(&t->hash);
	idx_heap_reset(&t->heap);
	table_init_conns(t);
}

void tcp_table_destroy(struct tcp_table *t)
{
	if (!t)
		return;
	if (t->conn && t->slab && t->hash.head && t->heap.order)
		close_live(t, TCP_CLOSE_DESTROY);
	free(t->conn);
	free(t->slab);
	idx_hash_fini(&t->hash);
	idx_heap_fini(&t->heap);
	free(t);
}

const struct tcp_conn *tcp_conn_get(const struct tcp_table *t, uint32_t id)
{
	if (id >= t->cfg.capacity || t->conn[id].state == TCP_CLOSED)
		return NULL;
	return &t->conn[id];
}

uint32_t tcp_active(const struct tcp_table *t)
{
	return t->n_active;
}

const struct tcp_counters *tcp_table_counters(const struct tcp_table *t)
{
	return &t->cnt;
}

bool tcp_conn_peer(const struct tcp_table *t, uint32_t conn, uint32_t *ip, uint16_t *port)
{
	const struct tcp_conn *c = tcp_conn_get(t, conn);

	if (!c)
		return false;
	*ip = c->rip;
	*port = c->rport;
	return true;
}

uint32_t tcp_conn_lookup(struct tcp_table *t, uint32_t ip, uint16_t port)
{
	const struct tcp_conn *c = tcp_lookup(t, ip, port);

	return c && c->state != TCP_CLOSED ? c->id : TCP_NO_CONN;
}
