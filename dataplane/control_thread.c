/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's loop: worker events in drained batches, /api/
 * upcalls through the one API router (api_handle()), SIGUSR1 and SIGHUP.
 */
#include "control_thread.h"

#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring_elem.h>

#include "admin_http.h"
#include "api.h"
#include "http_parse.h"
#include "log.h"

#define CONTROL_BATCH 256
#define CONTROL_IDLE_US 1000
#define UPCALL_BATCH 32

static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int control_thread_open(struct control_thread *ct, const struct control_thread_io *io,
			char *err, size_t errlen)
{
	const struct stp_config *cfg = io->cfg;
	struct control_params p = {
		.database = cfg->control.database, .server_addr = cfg->port.addr,
		.http_port = cfg->boot.http_port, .boot_script = cfg->boot.script,
		.token = cfg->control.token, .config_dir = cfg->control.config_dir,
		.metrics_token = !cfg->control.metrics_public,
		.max_active = cfg->jobs.max_active, .slot_timeout_s = cfg->jobs.slot_timeout_s,
	};

	memset(ct, 0, sizeof(*ct));
	ct->io = *io;
	ct->started = (uint64_t)time(NULL);
	if (control_open(&p, &ct->ctl, err, errlen) != 0)
		return -1;
	if (cfg->jobs.max_active > 0)
		log_info("job slots: at most %u jobs booting or running at once, leases of %u s",
			 cfg->jobs.max_active, cfg->jobs.slot_timeout_s);
	if (cfg->control.api_enabled) {
		char ip[STP_IPV4_STRLEN];

		if (admin_http_start(ct->ctl, cfg->control.api_addr, cfg->control.api_port,
				     &ct->admin, err, errlen) != 0)
			return -1;
		log_info("admin API on http://%s:%u/api/v1/ (%s), metrics at /metrics (%s)",
			 ipv4_format(cfg->control.api_addr, ip), admin_http_port(ct->admin),
			 cfg->control.token[0] ? "changes need the bearer token"
					       : "read-only: no control.token set",
			 cfg->control.metrics_public ? "open" : "need the bearer token");
	}
	return control_thread_scripts_open(ct, err, errlen);
}

void control_thread_start(struct control_thread *ct, struct worker **workers, unsigned n)
{
	ct->workers = workers;
	ct->n_workers = n;
	control_thread_stats_attach(ct);
}

void control_thread_close(struct control_thread *ct)
{
	if (ct->admin != NULL)
		admin_http_stop(ct->admin);
	control_thread_scripts_close(ct);
	if (ct->ctl != NULL)
		control_close(ct->ctl);
	memset(ct, 0, sizeof(*ct));
}

uint64_t control_thread_uptime(const struct control_thread *ct)
{
	return (uint64_t)time(NULL) - ct->started;
}

/* ---- worker events (the leases among them are the lease writer's) ---- */

static enum control_client client_of(uint8_t kind)
{
	return kind == DHCP_CLIENT_PXE ? CONTROL_CLIENT_FIRMWARE
	       : kind == DHCP_CLIENT_IPXE ? CONTROL_CLIENT_IPXE : CONTROL_CLIENT_OTHER;
}

/* One event as a boot stage of its host, in the batch's transaction. */
static void stage_event(struct control_thread *ct, const struct stp_event *e, int64_t now)
{
	char name[STP_EV_NAME_MAX + 1];
	int rc;

	switch (e->type) {
	case STP_EV_DHCP:
		/* Our own ACK, or in proxy mode the other server's lease a
		 * client we boot took: either is the boot's DHCP stage. */
		if (e->u.dhcp.type != DHCP_EV_BOUND && e->u.dhcp.type != DHCP_EV_PROXY_LEASE)
			return;
		rc = control_on_dhcp_lease(ct->ctl, &e->u.dhcp.mac, e->u.dhcp.ip,
					   client_of(e->u.dhcp.client_kind),
					   e->u.dhcp.arch == 0xffff ? -1 : e->u.dhcp.arch, now);
		break;
	case STP_EV_TFTP_DONE:
		memcpy(name, e->u.xfer.name, STP_EV_NAME_MAX);
		name[STP_EV_NAME_MAX] = '\0';
		rc = control_on_tftp_done(ct->ctl, &e->u.xfer.mac, e->u.xfer.ip, name, now);
		break;
	case STP_EV_HTTP_GET:
		memcpy(name, e->u.xfer.name, STP_EV_NAME_MAX);
		name[STP_EV_NAME_MAX] = '\0';
		rc = control_on_http_fetch(ct->ctl, e->u.xfer.ip, name, now);
		if (rc == CONTROL_NOT_A_STAGE) {
			ct->ctr.other_gets++;
			return;
		}
		break;
	default:
		return;
	}
	ct->ctr.stage_events++;
	if (rc < 0 && rc != -ENOENT)
		ct->ctr.store_errors++;
}

/* The boot stages of a batch, in one transaction of the control store. */
static void apply_stages(struct control_thread *ct, const struct stp_event *ev, unsigned n)
{
	int64_t now = now_ms();
	/* If the batch cannot begin, each event gets its own transaction. */
	bool batch = control_batch_begin(ct->ctl) == 0;

	for (unsigned i = 0; i < n; i++)
		stage_event(ct, &ev[i], now);
	if (batch && control_batch_end(ct->ctl) != 0)
		ct->ctr.store_errors++;
	control_thread_take_updates(ct);
}

unsigned control_thread_drain(struct control_thread *ct)
{
	struct stp_event ev[CONTROL_BATCH];
	unsigned total = 0, n;

	while ((n = rte_ring_sc_dequeue_burst_elem(ct->io.events, ev, sizeof(ev[0]),
						   CONTROL_BATCH, NULL)) > 0) {
		apply_stages(ct, ev, n);
		ct->ctr.events += n;
		ct->ctr.batches++;
		total += n;
	}
	return total;
}

/* ---- /api/ upcalls ---- */

static const char *method_name(uint8_t m)
{
	static const char *const names[] = {
#define X(name, text) [HTTP_M_##name] = text,
		HTTP_METHODS(X)
#undef X
	};

	return m < HTTP_M_N ? names[m] : "OTHER";
}

/* The API's answer @a resp into the upcall message going back. */
static void answer_upcall(struct control_thread *ct, struct upcall_msg *m,
			  const struct api_response *resp)
{
	static const char big[] = "{\"error\":\"answer larger than an upcall message\"}\n";

	if (resp->body_len >= UPCALL_DATA_MAX) {
		ct->ctr.upcalls_too_big++;
		m->status = 500;
		m->json = 1;
		memcpy(m->data, big, sizeof(big) - 1);
		m->data_len = sizeof(big) - 1;
		return;
	}
	m->status = (uint16_t)resp->status;
	m->json = resp->content_type != NULL && strstr(resp->content_type, "json") != NULL;
	m->data_len = (uint32_t)resp->body_len;
	if (resp->body_len > 0)
		memcpy(m->data, resp->body, resp->body_len);
}

/* One request through the router the admin port uses too (api.h: the
 * upcall source has its own authorisation rules). */
static void answer(struct control_thread *ct, struct upcall_msg *m)
{
	char target[UPCALL_TARGET_MAX + 1], *q;
	struct api_request req = { .method = method_name(m->method), .source = API_SRC_UPCALL };
	struct api_response resp = { 0 };

	memcpy(target, m->target, m->target_len);
	target[m->target_len] = '\0';
	q = strchr(target, '?');
	if (q != NULL)
		*q++ = '\0';
	req.path = target;
	req.query = q;
	req.body = m->data_len ? (const char *)m->data : NULL;
	req.body_len = m->data_len;
	req.now_ms = now_ms();
	api_handle(ct->ctl, &req, &resp);
	answer_upcall(ct, m, &resp);
	api_response_free(&resp);
	control_thread_take_updates(ct);
}

unsigned control_thread_serve_upcalls(struct control_thread *ct)
{
	struct upcall_msg *m[UPCALL_BATCH];
	unsigned n = rte_ring_sc_dequeue_burst(ct->io.upcall_req, (void **)m, UPCALL_BATCH, NULL);

	if (n > 0)
		control_thread_port_snapshot(ct, (uint64_t)now_ms(), true);
	for (unsigned i = 0; i < n; i++) {
		answer(ct, m[i]);
		ct->ctr.upcalls++;
		/* The answer ring holds as many as the pool: it cannot be full. */
		if (rte_ring_mp_enqueue(ct->io.upcall_resp[m[i]->queue], m[i]) != 0)
			rte_mempool_put(ct->io.upcall_mp, m[i]);
	}
	return n;
}

/* ---- the loop ---- */

static void reload_cache(struct control_thread *ct)
{
	char err[OBJCACHE_ERR_MAX];
	const struct objcache_stats *st;
	struct cache_glue *cache = ct->io.cache;

	if (control_thread_reload(ct, err, sizeof(err)) != 0) {
		log_err("reload refused, still serving the previous version: %s", err);
		return;
	}
	st = objcache_stats(cache->current->oc);
	log_info("reload: cache version %llu, %u files (%u unchanged and shared), %.1f MB",
		 (unsigned long long)cache->current->gen, st->files, st->reused,
		 (double)st->data_bytes / 1048576.0);
}

void control_thread_run(struct control_thread *ct)
{
	struct cache_glue *cache = ct->io.cache;

	while (!*ct->io.quit) {
		unsigned busy = control_thread_drain(ct) + control_thread_serve_upcalls(ct);
		uint64_t now;

		/* Idle: sleep a little. Busy: go round again at once. */
		if (busy == 0)
			usleep(CONTROL_IDLE_US);
		if (*ct->io.dump) {
			*ct->io.dump = 0;
			control_thread_print_counters(ct, stderr);
		}
		if (*ct->io.reload) {
			*ct->io.reload = 0;
			reload_cache(ct);
		}
		now = (uint64_t)now_ms();
		/* Before publishing: slots it granted go out in this round. */
		if (control_tick(ct->ctl, (int64_t)now) < 0)
			ct->ctr.store_errors++;
		control_thread_publish(ct, now);
		control_thread_port_snapshot(ct, now, false);
		if (cache->n_retired > 0 && cache_glue_reclaim(cache) > 0)
			log_info("cache: freed retired versions, %u still draining",
				 cache->n_retired);
	}
}
