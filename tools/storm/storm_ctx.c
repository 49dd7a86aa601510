/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One lcore's clients: power-on schedule, a deadline heap, frames to the
 * client they are for (its MAC, the chaddr of a broadcast DHCP reply, or
 * the address an ARP request asks for), ARP answers for the clients'
 * leased addresses.
 */
#include "storm_ctx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "idxheap.h"
#include "storm_client.h"

#define NO_CLIENT UINT32_MAX

struct storm_ctx {
	const struct storm_opts *o;
	struct storm_client *cl;       /* [n] */
	uint32_t first, n;
	uint32_t next_on;              /* next client to power on */
	uint64_t t0;
	struct idx_heap timers;        /* clients by their next deadline */
	uint32_t *by_ip;               /* open addressing: leased address -> client */
	uint32_t ip_mask;
	uint32_t finished;
	uint32_t max_active;           /* this context's share of --max-active; 0 none */
	struct storm_env env;
	struct storm_stats st;
};

/* ---- leased addresses, for ARP ---- */

static uint32_t ip_slot(uint32_t ip)
{
	return ip * 2654435761u;
}

static void ip_learn(struct storm_ctx *x, uint32_t id)
{
	uint32_t ip = x->cl[id].a.ip, i = ip_slot(ip) & x->ip_mask;

	while (x->by_ip[i] != NO_CLIENT && x->by_ip[i] != id)
		i = (i + 1) & x->ip_mask;
	x->by_ip[i] = id;
}

static uint32_t ip_find(const struct storm_ctx *x, uint32_t ip)
{
	for (uint32_t i = ip_slot(ip) & x->ip_mask;; i = (i + 1) & x->ip_mask) {
		uint32_t id = x->by_ip[i];

		if (id == NO_CLIENT)
			return NO_CLIENT;
		if (x->cl[id].a.ip == ip)
			return id;
	}
}

/* ---- life cycle ---- */

static uint64_t arrival_us(const struct storm_ctx *x, uint32_t id)
{
	double gi = (double)(x->first + id);

	switch (x->o->arrival) {
	case STORM_ARRIVE_RAMP:
		return x->t0 + (uint64_t)(x->o->arrival_arg * 1e6 * gi / (double)x->o->clients);
	case STORM_ARRIVE_RATE:
		return x->t0 + (uint64_t)(gi * 1e6 / x->o->arrival_arg);
	default:
		return x->t0;
	}
}

struct storm_ctx *storm_ctx_create(const struct storm_opts *o, uint32_t first, uint32_t n,
				   uint64_t t0_us, unsigned queue, unsigned nq)
{
	struct storm_ctx *x = calloc(1, sizeof(*x));
	uint32_t slots = 16;

	if (x == NULL)
		return NULL;
	while (slots < 2 * (n + 1))
		slots *= 2;
	x->o = o;
	x->first = first;
	x->n = n;
	x->t0 = t0_us;
	x->ip_mask = slots - 1;
	x->cl = calloc(n ? n : 1, sizeof(*x->cl));
	x->by_ip = malloc(slots * sizeof(*x->by_ip));
	if (x->cl == NULL || x->by_ip == NULL || idx_heap_init(&x->timers, n ? n : 1) != 0 ||
	    storm_env_init(&x->env, o, &x->st, n) != 0) {
		storm_ctx_destroy(x);
		errno = ENOMEM;
		return NULL;
	}
	memset(x->by_ip, 0xff, slots * sizeof(*x->by_ip));
	/* --max-active split between the contexts (each at least 1) */
	if (o->max_active != 0)
		x->max_active = (o->max_active + (nq ? nq : 1) - 1) / (nq ? nq : 1);
	x->env.queue = (uint16_t)queue;
	x->env.nq = (uint16_t)(nq ? nq : 1);
	for (uint32_t i = 0; i < n; i++)
		storm_client_init(&x->cl[i], first + i, o);
	x->st.clients = n;
	return x;
}

void storm_ctx_destroy(struct storm_ctx *x)
{
	if (x == NULL)
		return;
	storm_env_fini(&x->env);
	idx_heap_fini(&x->timers);
	free(x->by_ip);
	free(x->cl);
	free(x);
}

/* After a client ran: its timer, its address, whether it finished. */
static void settle(struct storm_ctx *x, uint32_t id, uint32_t ip_before)
{
	struct storm_client *c = &x->cl[id];
	uint64_t d;

	if (c->a.ip != ip_before && c->a.ip != 0)
		ip_learn(x, id);
	if (c->state == STORM_CLIENT_DONE || c->state == STORM_CLIENT_FAILED) {
		idx_heap_remove(&x->timers, id);
		if (!c->counted) {
			c->counted = true;
			x->finished++;
		}
		return;
	}
	d = storm_client_deadline(c);
	if (d == UINT64_MAX)
		idx_heap_remove(&x->timers, id);
	else
		idx_heap_set(&x->timers, id, d);
}

/* ---- frames in ---- */

/* The storm's client with MAC @a m (its global index), or NO_CLIENT. */
static uint32_t global_of_mac(const struct storm_ctx *x, const struct mac_addr *m)
{
	uint32_t base, v;

	if (memcmp(m->b, x->o->mac_base.b, 3) != 0)
		return NO_CLIENT;
	base = (uint32_t)x->o->mac_base.b[3] << 16 | (uint32_t)x->o->mac_base.b[4] << 8 |
	       x->o->mac_base.b[5];
	v = (uint32_t)m->b[3] << 16 | (uint32_t)m->b[4] << 8 | m->b[5];
	v -= base;
	return v < x->o->clients ? v : NO_CLIENT;
}

/* An ARP request for a client's leased address: answer for it.
 * @return false when the address is none of this context's clients. */
static bool arp_answer(struct storm_ctx *x, const struct pkt_info *pi, struct storm_tx *tx)
{
	const uint8_t *a = pi->l3.p;
	uint32_t id;
	uint8_t *f;

	if (pi->l3.len < ARP_PKT_LEN || get_be16(a + 6) != 1)
		return true;   /* a reply, or not for us to answer: taken */
	id = ip_find(x, get_be32(a + 24));
	if (id == NO_CLIENT)
		return false;
	if ((f = storm_tx_next(tx)) == NULL)
		return true;
	pkt_put_eth(f, &pi->src_mac, &x->cl[id].a.mac, ETHERTYPE_ARP);
	put_be16(f + 14, 1);
	put_be16(f + 16, ETHERTYPE_IPV4);
	f[18] = 6;
	f[19] = 4;
	put_be16(f + 20, 2);
	memcpy(f + 22, x->cl[id].a.mac.b, 6);
	put_be32(f + 28, x->cl[id].a.ip);
	memcpy(f + 32, a + 8, 10); /* the asker's MAC and address */
	memset(f + 42, 0, ETH_MIN_FRAME - 42);
	storm_tx_commit(tx, ETH_MIN_FRAME);
	return true;
}

enum storm_in storm_ctx_input(struct storm_ctx *x, const uint8_t *frame, size_t len,
			      uint64_t now_us, struct storm_tx *tx, uint32_t *owner)
{
	struct pkt_info pi;
	enum pkt_class cls = pkt_parse(span_make(frame, len), &pi);
	uint32_t gi = NO_CLIENT, id, ip;
	const uint8_t *chaddr;

	if (cls == PKT_CLASS_ARP) {
		x->st.rx_frames++;
		return arp_answer(x, &pi, tx) ? STORM_IN_TAKEN : STORM_IN_ARP_UNKNOWN;
	}
	if (cls != PKT_CLASS_UDP && cls != PKT_CLASS_TCP)
		goto err_ignored;
	if (x->o->server_ip != 0 && pi.src_ip != x->o->server_ip)
		goto err_ignored;
	if (!mac_is_multicast(&pi.dst_mac))
		gi = global_of_mac(x, &pi.dst_mac);
	else if (cls == PKT_CLASS_UDP && (chaddr = sdhcp_reply_chaddr(&pi)) != NULL)
		gi = global_of_mac(x, (const struct mac_addr *)chaddr);
	if (gi == NO_CLIENT)
		goto err_ignored;
	if (gi < x->first || gi - x->first >= x->n) {
		*owner = gi;
		return STORM_IN_ELSEWHERE;
	}
	x->st.rx_frames++;
	id = gi - x->first;
	if (x->cl[id].state != STORM_CLIENT_RUN) {
		x->st.rx_ignored++;
		return STORM_IN_TAKEN;
	}
	ip = x->cl[id].a.ip;
	storm_client_input(&x->env, &x->cl[id], &pi, now_us, tx);
	settle(x, id, ip);
	return STORM_IN_TAKEN;
err_ignored:
	x->st.rx_frames++;
	x->st.rx_ignored++;
	return STORM_IN_TAKEN;
}

void storm_ctx_poll(struct storm_ctx *x, uint64_t now_us, struct storm_tx *tx)
{
	while (x->next_on < x->n && arrival_us(x, x->next_on) <= now_us && tx->cap - tx->n >= 4 &&
	       (x->max_active == 0 || x->next_on - x->finished < x->max_active)) {
		uint32_t id = x->next_on++;

		storm_client_power_on(&x->env, &x->cl[id], now_us, tx);
		settle(x, id, 0);
	}
	while (idx_heap_min(&x->timers) <= now_us && tx->cap - tx->n >= 8) {
		uint32_t id = idx_heap_pop(&x->timers), ip = x->cl[id].a.ip;

		storm_client_timer(&x->env, &x->cl[id], now_us, tx);
		settle(x, id, ip);
	}
}

bool storm_ctx_finished(const struct storm_ctx *x)
{
	return x->finished == x->n;
}

void storm_ctx_expire(struct storm_ctx *x, uint64_t now_us)
{
	for (uint32_t id = 0; id < x->n; id++) {
		struct storm_client *c = &x->cl[id];

		if (c->state == STORM_CLIENT_OFF || c->state == STORM_CLIENT_RUN) {
			storm_client_expire(&x->env, c, now_us);
			settle(x, id, c->a.ip);
		}
	}
}

uint32_t storm_ctx_write_leases(const struct storm_ctx *x, FILE *f)
{
	uint32_t n = 0;

	for (uint32_t id = 0; id < x->n; id++) {
		char mac[STP_MAC_STRLEN], ip[16];

		if (x->cl[id].acked_ip == 0)
			continue;
		fprintf(f, "%s %s\n", mac_format(&x->cl[id].a.mac, mac),
			ipv4_format(x->cl[id].acked_ip, ip));
		n++;
	}
	return n;
}

const struct storm_stats *storm_ctx_stats(const struct storm_ctx *x)
{
	return &x->st;
}

void storm_ctx_census(const struct storm_ctx *x, struct storm_census *c)
{
	memset(c, 0, sizeof(*c));
	for (uint32_t id = 0; id < x->n; id++) {
		const struct storm_client *cl = &x->cl[id];

		if (cl->state == STORM_CLIENT_OFF)
			c->waiting++;
		else if (cl->state == STORM_CLIENT_DONE)
			c->done++;
		else if (cl->state == STORM_CLIENT_FAILED)
			c->failed++;
		else if (cl->stage < STORM_ST_N)
			c->in_stage[cl->stage]++;
	}
}
