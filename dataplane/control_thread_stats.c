/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counter registry's reader in the running server (stats.h): where
 * each source's slots are for the port, a worker and the control thread.
 * The cores' counter structs are read in place; the X(name, kind, read,
 * help) tables of stats.h are expanded here, and only here, into arrays.
 * Workers' counters are read without locks: 64-bit words only their lcore
 * writes. The admin thread reads through here too (GET /api/v1/status,
 * /metrics), which is why the port's counters and the cache's figures come
 * from the control thread's copy.
 */
#include <sys/time.h>

#include <jansson.h>

#include "control_thread.h"
#include "http_glue.h"
#include "prom.h"
#include "stats.h"
#include "tftp_glue.h"

#define SNAPSHOT_EVERY_MS 100

#define FILL_PORT(name, kind, read, help) v[STAT_PORT_##name] = (uint64_t)(read);
#define FILL_RATIO(name, kind, read, help) v[STAT_RATIO_##name] = (uint64_t)(read);
#define FILL_TFTPG(name, kind, read, help) v[STAT_TFTPG_##name] = (uint64_t)(read);
#define FILL_TCPS(name, kind, read, help) v[STAT_TCPS_##name] = (uint64_t)(read);
#define FILL_HTTPG(name, kind, read, help) v[STAT_HTTPG_##name] = (uint64_t)(read);
#define FILL_CTL(name, kind, read, help) v[STAT_CTL_##name] = (uint64_t)(read);
#define FILL_CACHE(name, kind, read, help) v[STAT_CACHE_##name] = (uint64_t)(read);

_Static_assert(STAT_PORT_N <= STATS_SCRATCH && STAT_RATIO_N <= STATS_SCRATCH &&
	       STAT_TFTPG_N <= STATS_SCRATCH && STAT_TCPS_N <= STATS_SCRATCH &&
	       STAT_HTTPG_N <= STATS_SCRATCH && STAT_CTL_N <= STATS_SCRATCH &&
	       STAT_CACHE_N <= STATS_SCRATCH,
	       "a reader's scratch holds every computed source");

/* Plain aligned 64-bit stores, read without a lock by the admin thread
 * like the workers' counters. */
static void cache_snapshot(struct control_thread *ct)
{
	const struct cache_glue *g = ct->io.cache;
	const struct cache_version *v = g != NULL ? g->current : NULL;

	if (v == NULL)
		return;
	ct->cache_snap.bytes = objcache_bytes(v->oc);
	ct->cache_snap.objects = objcache_count(v->oc);
	ct->cache_snap.max_bytes = g->max_bytes;
	ct->cache_snap.gen = v->gen;
	ct->cache_snap.retired = g->n_retired;
}

void control_thread_port_snapshot(struct control_thread *ct, uint64_t now_ms, bool force)
{
	struct rte_eth_stats st;

	if (!force && now_ms - ct->last_snapshot_ms < SNAPSHOT_EVERY_MS)
		return;
	ct->last_snapshot_ms = now_ms;
	ct->port_stats_ok = rte_eth_stats_get(ct->io.port_id, &st) == 0;
	if (ct->port_stats_ok)
		ct->port_stats = st;
	cache_snapshot(ct);
}

static const uint64_t *port_values(const struct control_thread *ct, uint64_t *v)
{
	const struct rte_eth_stats *st = &ct->port_stats;

	if (!ct->port_stats_ok)
		return NULL;
	STATS_PORT(FILL_PORT)
	return v;
}

static const uint64_t *control_values(const struct control_thread *ct, uint64_t *v)
{
	STATS_CONTROL(FILL_CTL)
	return v;
}

static const uint64_t *cache_values(const struct control_thread *ct, uint64_t *v)
{
	STATS_CACHE(FILL_CACHE)
	return v;
}

static const uint64_t *ratio_values(const struct worker *w, uint64_t *v)
{
	STATS_WORKER_RATIO(FILL_RATIO)
	return v;
}

static const uint64_t *tftp_glue_values(const struct tftp_glue *g, uint64_t *v)
{
	if (g == NULL)
		return NULL;
	STATS_TFTP_GLUE(FILL_TFTPG)
	return v;
}

/* The HTTP glue's and the TCP table's: the one place that knows where
 * they are kept (with STATS_HTTP_GLUE and STATS_TCP_STATE in stats.h). */
static const uint64_t *http_values(const struct http_glue *g, enum stat_src src, uint64_t *v)
{
	if (g == NULL)
		return NULL;
	switch (src) {
	case STAT_SRC_TCP_STATE:
		STATS_TCP_STATE(FILL_TCPS)
		return v;
	case STAT_SRC_HTTP_GLUE:
		STATS_HTTP_GLUE(FILL_HTTPG)
		return v;
	case STAT_SRC_TCP:
		return (const uint64_t *)tcp_table_counters(http_server_tcp(g->srv));
	case STAT_SRC_HTTP:
		return (const uint64_t *)http_server_http_counters(g->srv);
	default:
		return NULL;
	}
}

static const uint64_t *read_values(void *ctx, enum stat_src src, unsigned idx, uint64_t *v)
{
	const struct control_thread *ct = ctx;
	const struct worker *w = idx < ct->n_workers ? ct->workers[idx] : NULL;

	if (src == STAT_SRC_PORT)
		return port_values(ct, v);
	if (src == STAT_SRC_CONTROL)
		return control_values(ct, v);
	if (src == STAT_SRC_CACHE)
		return cache_values(ct, v);
	if (w == NULL)
		return NULL;
	switch (src) {
	case STAT_SRC_WORKER:
		return (const uint64_t *)&w->c;
	case STAT_SRC_WORKER_RATIO:
		return ratio_values(w, v);
	case STAT_SRC_TFTP_GLUE:
		return tftp_glue_values(w->tftp, v);
	case STAT_SRC_TFTP:
		return w->tftp ? (const uint64_t *)tftp_server_counters(w->tftp->srv) : NULL;
	case STAT_SRC_DHCP:
		return w->dhcp ? (const uint64_t *)dhcp_server_counters(w->dhcp) : NULL;
	default:
		return http_values(w->http, src, v);
	}
}

static void read_lcore(void *ctx, unsigned idx, unsigned *lcore_id, unsigned *queue_id)
{
	const struct control_thread *ct = ctx;

	*lcore_id = ct->workers[idx]->lcore_id;
	*queue_id = ct->workers[idx]->queue_id;
}

static struct stats_reader reader(const struct control_thread *ct)
{
	return (struct stats_reader){ ct->n_workers, read_lcore, read_values, (void *)ct };
}

void control_thread_print_counters(struct control_thread *ct, FILE *out)
{
	struct stats_reader r;
	struct timeval tv;

	gettimeofday(&tv, NULL);
	control_thread_port_snapshot(ct, (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000,
				     true);
	r = reader(ct);
	stats_text(&r, out);
}

/* control_counters_fn: GET /api/v1/status and /api/v1/counters, on the
 * control thread (upcalls) or the admin thread. */
static void counters_json(void *ctx, json_t *out)
{
	struct stats_reader r = reader(ctx);

	json_object_set_new(out, "version", json_string(STP_VERSION));
	stats_json(&r, out);
}

/* control_metrics_fn: GET /metrics, on the admin thread. */
static void counters_prom(void *ctx, struct prom_out *out)
{
	struct stats_reader r = reader(ctx);

	stats_prom(&r, out);
}

void control_thread_stats_attach(struct control_thread *ct)
{
	control_set_counters(ct->ctl, counters_json, ct);
	control_set_metrics(ct->ctl, counters_prom, ct);
}
