/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_table.c
 * The connection table: creation, the 4-tuple hash, slot allocation (free
 * list, then TIME_WAIT reuse, then half-open eviction), the single state
 * setter, the timer heap, the ready list and the RFC 5961 rate limit.
 */
#include <errno.h>
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

/* --- hash --- */

static uint32_t tuple_hash(const struct tcp_table *t, uint32_t rip, uint16_t rport)
{
	uint64_t x = ((uint64_t)rip << 16 | rport) ^ t->hash_seed;

	/* splitmix64 finaliser: cheap, and keyed so flooders cannot aim at one chain */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (uint32_t)x & t->bucket_mask;
}

struct tcp_conn *tcp_lookup(struct tcp_table *t, uint32_t rip, uint16_t rport)
{
	uint32_t i = t->bucket[tuple_hash(t, rip, rport)];

	while (i != TCP_NO_CONN) {
		struct tcp_conn *c = &t->conn[i];

		if (c->rip == rip && c->rport == rport)
			return c;
		i = c->hnext;
	}
	return NULL;
}

static void hash_remove(struct tcp_table *t, struct tcp_conn *c)
{
	uint32_t *pp = &t->bucket[tuple_hash(t, c->rip, c->rport)];

	while (*pp != TCP_NO_CONN && *pp != c->id)
		pp = &t->conn[*pp].hnext;
	if (*pp == c->id)
		*pp = c->hnext;
	c->hnext = TCP_NO_CONN;
}

/* --- timer heap: min-heap of connection ids by heap_key --- */

static void heap_swap(struct tcp_table *t, uint32_t a, uint32_t b)
{
	uint32_t x = t->heap[a];

	t->heap[a] = t->heap[b];
	t->heap[b] = x;
	t->conn[t->heap[a]].heap_idx = a;
	t->conn[t->heap[b]].heap_idx = b;
}

static uint64_t heap_key_at(const struct tcp_table *t, uint32_t i)
{
	return t->conn[t->heap[i]].heap_key;
}

static void heap_up(struct tcp_table *t, uint32_t i)
{
	while (i > 0 && heap_key_at(t, (i - 1) / 2) > heap_key_at(t, i)) {
		heap_swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct tcp_table *t, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;

		if (l < t->heap_n && heap_key_at(t, l) < heap_key_at(t, m))
			m = l;
		if (l + 1 < t->heap_n && heap_key_at(t, l + 1) < heap_key_at(t, m))
			m = l + 1;
		if (m == i)
			return;
		heap_swap(t, i, m);
		i = m;
	}
}

static void heap_remove(struct tcp_table *t, struct tcp_conn *c)
{
	uint32_t i = c->heap_idx;

	if (i == UINT32_MAX)
		return;
	c->heap_idx = UINT32_MAX;
	if (--t->heap_n == i)
		return;
	t->heap[i] = t->heap[t->heap_n];
	t->conn[t->heap[i]].heap_idx = i;
	heap_up(t, i);
	heap_down(t, t->conn[t->heap[i]].heap_idx);
}

/**
 * Make sure the heap holds @a c no later than its current deadline. Lazy:
 * a later deadline leaves the old key (tcp_timers() re-arms when it pops
 * early), so an ACK that pushes the RTO back costs no heap work.
 */
void tcp_timer_arm(struct tcp_table *t, struct tcp_conn *c, uint64_t now_us)
{
	uint64_t d = tcp_conn_deadline(t, c);

	(void)now_us;
	if (c->heap_idx == UINT32_MAX) {
		if (d == UINT64_MAX)
			return;
		c->heap_key = d;
		c->heap_idx = t->heap_n;
		t->heap[t->heap_n++] = c->id;
		heap_up(t, c->heap_idx);
	} else if (d < c->heap_key) {
		c->heap_key = d;
		heap_up(t, c->heap_idx);
	}
}

/** Pop the connection at the heap top (caller checked its key). */
uint32_t tcp_heap_pop(struct tcp_table *t)
{
	uint32_t id = t->heap[0];

	heap_remove(t, &t->conn[id]);
	return id;
}

uint64_t tcp_next_deadline(const struct tcp_table *t)
{
	return t->heap_n ? heap_key_at(t, 0) : UINT64_MAX;
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
	hash_remove(t, c);
	heap_remove(t, c);
	ready_remove(t, c);
	tcp_set_state(t, c, TCP_CLOSED);
	{
		uint8_t *rx = c->rx_buf, *tx = c->tx_buf;

		memset(c, 0, sizeof(*c));
		c->rx_buf = rx;
		c->tx_buf = tx;
	}
	c->id = id;
	c->heap_idx = UINT32_MAX;
	c->hnext = c->lprev = TCP_NO_CONN;
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
	uint32_t b;

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
	b = tuple_hash(t, rip, rport);
	c->hnext = t->bucket[b];
	t->bucket[b] = c->id;
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

static void table_init_conns(struct tcp_table *t)
{
	size_t per = (size_t)t->cfg.rx_buf + t->cfg.tx_buf;

	for (uint32_t i = 0; i < t->cfg.capacity; i++) {
		struct tcp_conn *c = &t->conn[i];

		c->id = i;
		c->heap_idx = UINT32_MAX;
		c->hnext = c->lprev = TCP_NO_CONN;
		c->lnext = i + 1 < t->cfg.capacity ? i + 1 : TCP_NO_CONN;
		c->rx_buf = t->slab + per * i;
		c->tx_buf = c->rx_buf + t->cfg.rx_buf;
	}
	for (uint32_t b = 0; b <= t->bucket_mask; b++)
		t->bucket[b] = TCP_NO_CONN;
	t->free_head = 0;
	t->ready_head = t->ready_tail = TCP_NO_CONN;
	t->in_cb = TCP_NO_CONN;
}

struct tcp_table *tcp_table_create(const struct tcp_table_cfg *cfg)
{
	struct tcp_table *t = calloc(1, sizeof(*t));
	uint32_t nb = 16;

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
	while (nb < 2 * t->cfg.capacity)
		nb <<= 1;
	t->bucket_mask = nb - 1;
	t->conn = calloc(t->cfg.capacity, sizeof(*t->conn));
	t->heap = calloc(t->cfg.capacity, sizeof(*t->heap));
	t->bucket = calloc(nb, sizeof(*t->bucket));
	t->slab = calloc(t->cfg.capacity, (size_t)t->cfg.rx_buf + t->cfg.tx_buf);
	if (!t->conn || !t->heap || !t->bucket || !t->slab) {
		tcp_table_destroy(t);
		errno = ENOMEM;
		return NULL;
	}
	t->hash_seed = tcp_siphash(t->cfg.secret, "stampede-tcp-hash", 17);
	table_init_conns(t);
	return t;
}

void tcp_table_destroy(struct tcp_table *t)
{
	if (!t)
		return;
	if (t->conn && t->slab && t->bucket && t->heap) {
		for (uint32_t i = 0; i < t->cfg.capacity; i++)
			if (t->conn[i].state != TCP_CLOSED)
				tcp_conn_close(t, &t->conn[i], TCP_CLOSE_DESTROY, NULL);
	}
	free(t->conn);
	free(t->heap);
	free(t->bucket);
	free(t->slab);
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
