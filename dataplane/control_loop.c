/* SPDX-License-Identifier: BSD-3-Clause */
#include "control_loop.h"

#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring_elem.h>

#include "http_glue.h"
#include "log.h"
#include "tftp_glue.h"

#define CONTROL_BATCH 256
#define CONTROL_IDLE_US 1000

static enum lease_state lease_state_of(uint8_t ev_type)
{
	switch (ev_type) {
	case DHCP_EV_RELEASED:
		return LEASE_RELEASED;
	case DHCP_EV_DECLINED:
		return LEASE_DECLINED;
	default:
		return LEASE_BOUND;
	}
}

static void apply(struct control *c, const struct stp_event *e)
{
	struct lease_row row;

	if (e->type != STP_EV_DHCP)
		return;
	switch (e->u.dhcp.type) {
	case DHCP_EV_BOUND:
	case DHCP_EV_RELEASED:
	case DHCP_EV_DECLINED:
		row.mac = e->u.dhcp.mac;
		row.ip = e->u.dhcp.ip;
		row.expires = e->u.dhcp.expires;
		row.state = lease_state_of(e->u.dhcp.type);
		if (lease_store_put(c->leases, &row) != 0)
			c->store_errors++;
		break;
	default:
		break; /* not a lease of ours: only the bridge follows these */
	}
	c->events_applied++;
}

unsigned control_drain(struct control *c)
{
	struct stp_event ev[CONTROL_BATCH];
	unsigned total = 0, n;

	while ((n = rte_ring_sc_dequeue_burst_elem(c->events, ev, sizeof(ev[0]),
						   CONTROL_BATCH, NULL)) > 0) {
		/* One transaction per batch: a storm of ACKs costs one fsync-free
		 * WAL commit per few hundred leases, not one each. */
		if (lease_store_begin(c->leases) != 0) {
			log_err("database: %s", lease_store_error(c->leases));
			c->store_errors++;
		}
		for (unsigned i = 0; i < n; i++)
			apply(c, &ev[i]);
		if (lease_store_commit(c->leases) != 0) {
			log_err("database: %s", lease_store_error(c->leases));
			c->store_errors++;
		}
		/* After the lease commit: control writes the same database on its
		 * own connection and must not wait behind our write lock. */
		for (unsigned i = 0; i < n; i++)
			control_bridge_event(c->bridge, &ev[i]);
		total += n;
	}
	return total;
}

/*
 * " PREFIXname=value" for each of the @a n counters @a v that is not zero,
 * and for the first @a always of them even when zero.
 */
static void print_counters(FILE *out, const char *prefix, const char *const *names,
			   const uint64_t *v, unsigned n, unsigned always)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] || i < always)
			fprintf(out, " %s%s=%llu", prefix, names[i], (unsigned long long)v[i]);
}

/* The frame counters (all of them) and the drops by reason (those seen). */
static void print_frames(const struct worker *w, FILE *out)
{
	fprintf(out, "stampede: lcore %u (queue %u):", w->lcore_id, w->queue_id);
	print_counters(out, "", worker_counter_names, (const uint64_t *)&w->c,
		       WORKER_N_COUNTERS, WORKER_N_COUNTERS);
	/* Reason 0 is no drop. */
	print_counters(out, "drop_", pkt_drop_names + 1, w->c.drop + 1, PKT_DROP_COUNT - 1, 0);
	fputc('\n', out);
	if (w->c.dhcp_pkts)
		fprintf(out, "stampede: lcore %u: cycles_per_dhcp=%llu\n", w->lcore_id,
			(unsigned long long)(w->c.dhcp_cycles / w->c.dhcp_pkts));
}

static void print_tftp(const struct worker *w, FILE *out)
{
	fprintf(out, "stampede: lcore %u tftp: active=%u zero_copy_frames=%llu copy_frames=%llu"
		" nombuf=%llu", w->lcore_id, tftp_server_active(w->tftp->srv),
		(unsigned long long)w->tftp->zc_frames,
		(unsigned long long)w->tftp->copy_frames,
		(unsigned long long)w->tftp->nombuf);
	print_counters(out, "", tftp_counter_names,
		       (const uint64_t *)tftp_server_counters(w->tftp->srv), TFTP_N_COUNTERS, 0);
	fputc('\n', out);
}

static void print_http(const struct worker *w, FILE *out)
{
	const struct http_server *srv = w->http->srv;

	fprintf(out, "stampede: lcore %u http: active=%u", w->lcore_id, http_server_active(srv));
	print_counters(out, "", http_glue_counter_names, (const uint64_t *)&w->http->c,
		       HTTP_GLUE_N_COUNTERS, 4);
	print_counters(out, "", http_server_counter_names,
		       (const uint64_t *)http_server_counters(srv), HTTP_SERVER_N_COUNTERS, 0);
	print_counters(out, "tcp_", tcp_counter_names,
		       (const uint64_t *)tcp_table_counters(http_server_tcp(srv)), TCP_N_COUNTERS, 0);
	fputc('\n', out);
}

static void print_dhcp(const struct worker *w, FILE *out)
{
	fprintf(out, "stampede: lcore %u dhcp:", w->lcore_id);
	/* rx and tx even when zero. */
	print_counters(out, "", dhcp_counter_names,
		       (const uint64_t *)dhcp_server_counters(w->dhcp), DHCP_N_COUNTERS, 2);
	fputc('\n', out);
}

static void print_worker(const struct worker *w, FILE *out)
{
	print_frames(w, out);
	if (w->tftp != NULL)
		print_tftp(w, out);
	if (w->http != NULL)
		print_http(w, out);
	if (w->dhcp != NULL)
		print_dhcp(w, out);
}

void control_print_counters(const struct control *c, FILE *out)
{
	struct rte_eth_stats st;

	/* What the port dropped before any worker saw it (ring full). */
	if (rte_eth_stats_get(c->port_id, &st) == 0)
		fprintf(out, "stampede: port: ipackets=%llu opackets=%llu imissed=%llu ierrors=%llu"
			" oerrors=%llu rx_nombuf=%llu\n", (unsigned long long)st.ipackets,
			(unsigned long long)st.opackets, (unsigned long long)st.imissed,
			(unsigned long long)st.ierrors, (unsigned long long)st.oerrors,
			(unsigned long long)st.rx_nombuf);
	for (unsigned i = 0; i < c->n_workers; i++)
		print_worker(c->workers[i], out);
	fprintf(out, "stampede: control: events_applied=%llu store_errors=%llu\n",
		(unsigned long long)c->events_applied,
		(unsigned long long)c->store_errors);
	fflush(out);
}

static void reload_cache(struct control *c)
{
	char err[OBJCACHE_ERR_MAX];
	const struct objcache_stats *st;

	if (control_bridge_reload(c->bridge, err, sizeof(err)) != 0) {
		log_err("reload refused, still serving the previous version: %s", err);
		return;
	}
	st = objcache_stats(c->cache->current->oc);
	log_info("reload: cache version %llu, %u files (%u unchanged and shared), %.1f MB",
		 (unsigned long long)c->cache->current->gen, st->files, st->reused,
		 (double)st->data_bytes / 1048576.0);
}

void control_run(struct control *c)
{
	while (!*c->quit) {
		struct timeval tv;
		unsigned busy = control_drain(c) + control_serve_upcalls(c);

		/* Idle: sleep a little. Busy: go round again at once. */
		if (busy == 0)
			usleep(CONTROL_IDLE_US);
		if (*c->dump) {
			*c->dump = 0;
			control_print_counters(c, stderr);
		}
		if (*c->reload) {
			*c->reload = 0;
			reload_cache(c);
		}
		gettimeofday(&tv, NULL);
		control_bridge_publish(c->bridge,
				       (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000);
		if (c->cache->n_retired > 0 && cache_glue_reclaim(c->cache) > 0)
			log_info("cache: freed retired versions, %u still draining",
				 c->cache->n_retired);
	}
}
