/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The chain of one virtual client's boot. Each stage runs one protocol
 * machine; its result moves the client to the next stage (or ends it),
 * and the stage's time goes into the lcore's histogram.
 */
#include "storm_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rss.h"

#define CHAIN_MAX 8                /* scripts chained before we call it a loop */
#define PORT_FIRST 10000
#define PORT_LAST 60000

/* What an HTTP exchange in flight is for. */
enum http_phase { HP_NONE, HP_SCRIPT, HP_KERNEL, HP_INITRD, HP_API };
/* The imaging OS's API calls, in order. */
enum api_step { API_CHECKIN, API_PROGRESS, API_DONE, API_END };

static const char *const bios_file = "undionly.kpxe";
static const char *const uefi_file = "ipxe.efi";

void storm_client_init(struct storm_client *c, uint32_t gi, const struct storm_opts *o)
{
	uint32_t base = (uint32_t)o->mac_base.b[3] << 16 | (uint32_t)o->mac_base.b[4] << 8 |
			o->mac_base.b[5];
	uint32_t v = base + gi;

	memset(c, 0, sizeof(*c));
	c->a.mac = o->mac_base;
	c->a.mac.b[3] = (uint8_t)(v >> 16);
	c->a.mac.b[4] = (uint8_t)(v >> 8);
	c->a.mac.b[5] = (uint8_t)v;
	/* bios:70 puts BIOS clients on 70 of every 100, spread evenly */
	c->uefi = (gi * 37u) % 100u >= o->mix_bios;
	/* EDK2 guests share transaction ids; make some of ours collide too */
	c->xid = c->uefi ? 0x5eed0000u | (gi % 64u) : 0x57000000u ^ (gi * 2654435761u);
	c->state = STORM_CLIENT_OFF;
}

/* TCP buffers per lcore: a request each and room for out-of-order
 * segments when there is loss; capped at 128 MB (65,536 buffers). */
static uint32_t pool_bufs(uint32_t n_clients)
{
	uint64_t n = (uint64_t)n_clients * 4u + 1024u;

	return n > 65536u ? 65536u : (uint32_t)n;
}

int storm_env_init(struct storm_env *e, const struct storm_opts *o, struct storm_stats *st,
		   uint32_t n_clients)
{
	const struct sdhcp_timing pxe = SDHCP_TIMING_PXE, edk2 = SDHCP_TIMING_EDK2;
	const struct stftp_timing tftp = STFTP_TIMING_DEFAULT;

	memset(e, 0, sizeof(*e));
	e->o = o;
	e->st = st;
	e->dhcp_pxe = pxe;
	e->dhcp_edk2 = edk2;
	if (!o->think)
		e->dhcp_edk2.offer_think_us = 0;
	e->dhcp_fast = pxe;
	e->dhcp_fast.rto_us = 1000000u; /* the imaging OS's udhcpc retries fast */
	e->tftp = tftp;
	e->next_port = PORT_FIRST;
	e->rng = 0x9e3779b9u ^ n_clients;
	{
		uint32_t n = pool_bufs(n_clients);

		e->pool = malloc(sizeof(*e->pool));
		e->pool_mem = malloc(STCP_POOL_BYTES(n));
		if (e->pool == NULL || e->pool_mem == NULL ||
		    stcp_pool_init(e->pool, e->pool_mem, STCP_POOL_BYTES(n), 180, n / 4) < 0)
			return -1;
	}
	return 0;
}

void storm_env_fini(struct storm_env *e)
{
	free(e->pool);
	free(e->pool_mem);
	e->pool = NULL;
	e->pool_mem = NULL;
}

static uint16_t take_ports(struct storm_env *e, unsigned n)
{
	uint16_t p;

	if (e->next_port + n > PORT_LAST)
		e->next_port = PORT_FIRST;
	p = e->next_port;
	e->next_port = (uint16_t)(e->next_port + n);
	return p;
}

/*
 * @a n consecutive local ports whose flows to @a srv_ip:@a dport the
 * server's RSS (common/rss.h) gives this lcore's queue, so over memif,
 * where nothing hashes, the server sees each flow on the queue of the
 * worker that owns it, as it would behind a NIC with RSS.
 */
static uint16_t flow_port(struct storm_env *e, uint32_t my_ip, uint32_t srv_ip, uint16_t dport,
			  unsigned n)
{
	uint16_t p = take_ports(e, n);

	for (unsigned tries = 0; e->nq > 1 && tries < 64u * e->nq; tries++) {
		bool all = true;

		for (unsigned k = 0; k < n; k++)
			all &= rss_flow_queue(my_ip, srv_ip, (uint16_t)(p + k), dport, e->nq) ==
			       e->queue;
		if (all)
			break;
		p = take_ports(e, n);
	}
	return p;
}

static bool wants(const struct storm_env *e, enum storm_stage s)
{
	return (e->o->stages >> s) & 1u;
}

/* ---- stage bookkeeping ---- */

static void stage_end(struct storm_env *e, struct storm_client *c, uint64_t now, bool ok)
{
	struct storm_stage_stats *st = &e->st->st[c->stage];

	if (ok)
		storm_stage_done(st, c->t_stage, now);
	else
		st->failed++;
}

static void client_fail(struct storm_env *e, struct storm_client *c, uint64_t now,
			const char *cause)
{
	stage_end(e, c, now, false);
	storm_stats_fail(e->st, cause);
	e->st->failed++;
	c->state = STORM_CLIENT_FAILED;
}

static void client_done(struct storm_env *e, struct storm_client *c)
{
	e->st->done++;
	c->state = STORM_CLIENT_DONE;
}

static void run_stage(struct storm_env *e, struct storm_client *c, enum storm_stage s,
		      uint64_t now, struct storm_tx *tx);

/* The stage ended well: on to the next one the storm runs. */
static void next_stage(struct storm_env *e, struct storm_client *c, uint64_t now,
		       struct storm_tx *tx)
{
	stage_end(e, c, now, true);
	for (unsigned s = c->stage + 1u; s < STORM_ST_N; s++)
		if (wants(e, (enum storm_stage)s)) {
			run_stage(e, c, (enum storm_stage)s, now, tx);
			return;
		}
	client_done(e, c);
}

static void os_bound(struct storm_env *e, struct storm_client *c, uint64_t now,
		     struct storm_tx *tx);

/* ---- DHCP and TFTP stages ---- */

static const struct sdhcp_timing *dhcp_timing(const struct storm_env *e,
					      const struct storm_client *c)
{
	if (c->stage == STORM_ST_OS)
		return &e->dhcp_fast;
	return c->uefi && c->stage == STORM_ST_DHCP ? &e->dhcp_edk2 : &e->dhcp_pxe;
}

static void start_dhcp(struct storm_env *e, struct storm_client *c, uint64_t now,
		       struct storm_tx *tx)
{
	enum sdhcp_kind kind = c->stage == STORM_ST_OS ? SDHCP_OS
			     : c->stage == STORM_ST_IPXE_DHCP ? (c->uefi ? SDHCP_IPXE_EFI : SDHCP_IPXE)
			     : c->uefi ? SDHCP_PXE_UEFI : SDHCP_PXE_BIOS;

	sdhcp_start(&c->m.dhcp, kind, c->xid + c->stage, &c->a, now, dhcp_timing(e, c), tx);
}

/* What DHCP handed out decides the rest: the firmware's boot file, the
 * script URL for iPXE. */
static void dhcp_bound(struct storm_env *e, struct storm_client *c, uint64_t now,
		       struct storm_tx *tx)
{
	e->st->dhcp_retrans += c->m.dhcp.retrans;
	snprintf(c->boot_file, sizeof(c->boot_file), "%s", c->m.dhcp.boot_file);
	if (c->stage == STORM_ST_DHCP && c->boot_file[0] == '\0')
		snprintf(c->boot_file, sizeof(c->boot_file), "%s", c->uefi ? uefi_file : bios_file);
	next_stage(e, c, now, tx);
}

static void start_tftp(struct storm_env *e, struct storm_client *c, uint64_t now,
		       struct storm_tx *tx)
{
	stftp_start(&c->m.tftp, c->uefi ? STFTP_UEFI : STFTP_BIOS, c->boot_file,
		    flow_port(e, c->a.ip, c->a.srv_ip, 69, c->uefi ? 2 : 1), &c->a, now, &e->tftp, tx);
}

static void tftp_result(struct storm_env *e, struct storm_client *c, int r, uint64_t now,
			struct storm_tx *tx)
{
	if (r == STFTP_RUNNING || r == STFTP_IGNORED)
		return;
	e->st->tftp_retrans += c->m.tftp.retrans;
	e->st->bytes += c->m.tftp.bytes;
	if (r == STFTP_DONE) {
		next_stage(e, c, now, tx);
	} else {
		char cause[96];

		client_fail(e, c, now, stftp_cause(&c->m.tftp, cause, sizeof(cause)));
	}
}

/* An ACK bound the client: the first address it was given is kept for
 * --leases; a later ACK with another address is counted (a server that
 * lost the lease and gave this MAC a new one). */
static void note_ack(struct storm_env *e, struct storm_client *c)
{
	if (c->acked_ip == 0)
		c->acked_ip = c->a.ip;
	else if (c->a.ip != c->acked_ip)
		e->st->dhcp_addr_changed++;
}

static void dhcp_result(struct storm_env *e, struct storm_client *c, int r, uint64_t now,
			struct storm_tx *tx)
{
	if (r == SDHCP_BOUND)
		note_ack(e, c);
	if (r == SDHCP_BOUND && c->stage == STORM_ST_OS)
		os_bound(e, c, now, tx);
	else if (r == SDHCP_BOUND)
		dhcp_bound(e, c, now, tx);
	else if (r == SDHCP_FAILED)
		client_fail(e, c, now, sdhcp_cause_name(c->m.dhcp.cause));
}

/* ---- HTTP stages ---- */

static void http_get(struct storm_env *e, struct storm_client *c, const char *url, uint8_t phase,
		     uint64_t now, struct storm_tx *tx);
static void api_call(struct storm_env *e, struct storm_client *c, uint64_t now,
		     struct storm_tx *tx);

/* The script URL iPXE gets from DHCP (option 67 to an iPXE client). */
static void start_script(struct storm_env *e, struct storm_client *c, uint64_t now,
			 struct storm_tx *tx)
{
	c->chain_depth = 0;
	c->alt_url[0] = '\0';
	if (strncmp(c->boot_file, "http://", 7) != 0) {
		client_fail(e, c, now, "dhcp: no script URL for iPXE");
		return;
	}
	snprintf(c->url, sizeof(c->url), "%s", c->boot_file);
	http_get(e, c, c->url, HP_SCRIPT, now, tx);
}

/* The connection is of no more use: a RST now, so the server frees it at
 * once (iPXE's own connections vanish the same way when the OS boots). */
static void conn_drop(struct storm_env *e, struct storm_client *c, uint64_t now,
		      struct storm_tx *tx)
{
	if (c->tcp.state != STCP_S_CLOSED && c->tcp.state != STCP_S_FAILED)
		(void)stcp_close(&c->tcp, &c->a, true, now, e->pool, tx);
	e->st->tcp_retrans += c->tcp.ctr.retransmits;
	memset(&c->tcp, 0, sizeof(c->tcp));
}

static uint32_t next_iss(struct storm_env *e)
{
	e->rng ^= e->rng << 13;
	e->rng ^= e->rng >> 17;
	e->rng ^= e->rng << 5;
	return e->rng;
}

/* Send request @a rq on the client's connection to @a ip:@a port: the one
 * open (iPXE keeps a connection to a server alive across fetches) or a new
 * one. @return 0, or -1 after failing the client. */
static int http_send(struct storm_env *e, struct storm_client *c, uint32_t ip, uint16_t port,
		     struct shttp_req *rq, uint64_t now, struct storm_tx *tx)
{
	char host[32], buf[1024];
	int n, rc;

	snprintf(host, sizeof(host), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u,
		 (ip >> 8) & 255u, ip & 255u);
	if (port != 80)
		snprintf(host + strlen(host), sizeof(host) - strlen(host), ":%u", port);
	rq->host = host;
	n = shttp_build_request(buf, sizeof(buf), rq);
	if (n < 0) {
		client_fail(e, c, now, "http: request too long");
		return -1;
	}
	if (c->tcp.state != STCP_S_ESTABLISHED || !c->conn_reusable || c->a.srv_ip != ip ||
	    c->http_port != port) {
		conn_drop(e, c, now, tx);
		c->a.srv_ip = ip;
		c->http_port = port;
		if (stcp_connect(&c->tcp, &c->a, flow_port(e, c->a.ip, ip, port, 1), port,
				 next_iss(e), now, tx) != 0) {
			client_fail(e, c, now, "storm: no room to connect");
			return -1;
		}
	}
	c->conn_reusable = false;
	rc = stcp_send(&c->tcp, &c->a, buf, (size_t)n, now, e->pool, tx);
	if (rc != 0) {
		client_fail(e, c, now, rc == -ENOMEM ? "storm: TCP buffer pool empty"
						     : "storm: request not sent");
		conn_drop(e, c, now, tx);
		return -1;
	}
	shttp_begin(&c->http, false, NULL, 0);
	e->st->http_requests++;
	return 0;
}

static void http_get(struct storm_env *e, struct storm_client *c, const char *url, uint8_t phase,
		     uint64_t now, struct storm_tx *tx)
{
	struct shttp_req rq = { .method = "GET" };
	uint32_t ip;
	uint16_t port;

	if (!storm_url_split(url, &ip, &port, &rq.path)) {
		client_fail(e, c, now, "script: a URL not http://IPv4");
		return;
	}
	c->http_phase = phase;
	if (phase == HP_SCRIPT)
		storm_script_init(&c->script);
	if (url != c->url)
		snprintf(c->url, sizeof(c->url), "%s", url);
	(void)http_send(e, c, ip, port, &rq, now, tx);
}

/* The imaging OS's calls to the job API, as tools/imaging-os/init makes them. */
static void api_call(struct storm_env *e, struct storm_client *c, uint64_t now,
		     struct storm_tx *tx)
{
	char path[96], mac[STP_MAC_STRLEN];
	struct shttp_req rq = { .path = path };
	static const char progress[] = "{\"percent\":50,\"bytes\":0,\"rate\":0,"
				       "\"message\":\"stampede-storm\"}";
	static const char done[] = "{\"message\":\"stampede-storm\"}";

	mac_format(&c->a.mac, mac);
	switch (c->api_step) {
	case API_CHECKIN:
		rq.method = "GET";
		snprintf(path, sizeof(path), "/api/v1/job?mac=%s", mac);
		break;
	case API_PROGRESS:
		rq.method = "POST";
		snprintf(path, sizeof(path), "/api/v1/job/%u/progress", c->job_id);
		rq.body = progress;
		rq.body_len = sizeof(progress) - 1;
		break;
	default:
		rq.method = "POST";
		snprintf(path, sizeof(path), "/api/v1/job/%u/done", c->job_id);
		rq.body = done;
		rq.body_len = sizeof(done) - 1;
		break;
	}
	c->http_phase = HP_API;
	(void)http_send(e, c, c->api_ip, c->api_port, &rq, now, tx);
}

/* The OS booted and has its address: check in with the job API, or, with
 * no job on the kernel line (a registration, a menu entry), it is done. */
static void os_bound(struct storm_env *e, struct storm_client *c, uint64_t now,
		     struct storm_tx *tx)
{
	e->st->dhcp_retrans += c->m.dhcp.retrans;
	if (c->job_id == 0 || c->api_ip == 0) {
		next_stage(e, c, now, tx);
		return;
	}
	c->api_step = API_CHECKIN;
	api_call(e, c, now, tx);
}

/* A 503 (or 429) with Retry-After: wait, then ask again, as iPXE does. */
static bool http_retry_later(struct storm_env *e, struct storm_client *c, uint64_t now)
{
	int32_t s = c->http.retry_after;

	/* iPXE retries a 503 with Retry-After for as long as it keeps coming
	 * (HTTP_TRY_AGAIN, no count): so do we, until --timeout. */
	if (c->http.status != 503 && c->http.status != 429)
		return false;
	e->st->http_503++;
	if (c->retries_503 < UINT8_MAX)
		c->retries_503++;
	c->wake = now + (uint64_t)(s > 0 ? s : 1) * 1000000u;
	/* The wait may outlast the server's keep-alive; a new connection then. */
	stcp_set_idle(&c->tcp, 0, now);
	return true;
}

static void http_status_fail(struct storm_env *e, struct storm_client *c, uint64_t now,
			     const char *what)
{
	char cause[STORM_CAUSE_LEN];

	snprintf(cause, sizeof(cause), "http: %s status %u", what, c->http.status);
	client_fail(e, c, now, cause);
}

/* The script is read: follow what it says. */
static void script_done(struct storm_env *e, struct storm_client *c, uint64_t now,
			struct storm_tx *tx)
{
	const struct storm_script_vars v = { c->a.mac, c->a.ip, c->uefi };

	if (c->http.status != 200) {
		/* "chain A || chain B": B when A fails */
		if (c->alt_url[0] != '\0') {
			snprintf(c->url, sizeof(c->url), "%s", c->alt_url);
			c->alt_url[0] = '\0';
			http_get(e, c, c->url, HP_SCRIPT, now, tx);
			return;
		}
		http_status_fail(e, c, now, "script");
		return;
	}
	switch (storm_script_end(&c->script, &v)) {
	case STORM_SCRIPT_CHAIN:
		snprintf(c->url, sizeof(c->url), "%s", c->script.url[0]);
		snprintf(c->alt_url, sizeof(c->alt_url), "%s", c->script.url[1]);
		if (c->script.sleep_s > 0) {
			/* a host waiting for a job slot: it asks again later, as
			 * often as it takes (not a chain loop) */
			e->st->script_waits++;
			c->http_phase = HP_SCRIPT;
			c->wake = now + (uint64_t)c->script.sleep_s * 1000000u;
			stcp_set_idle(&c->tcp, 0, now);
			return;
		}
		if (++c->chain_depth > CHAIN_MAX) {
			client_fail(e, c, now, "script: chain loop");
			return;
		}
		http_get(e, c, c->url, HP_SCRIPT, now, tx);
		return;
	case STORM_SCRIPT_BOOT:
		c->job_id = c->script.job_id;
		next_stage(e, c, now, tx);
		return;
	case STORM_SCRIPT_LOCAL:
		/* The host boots its own disk: this client's storm ends here. */
		stage_end(e, c, now, true);
		conn_drop(e, c, now, tx);
		client_done(e, c);
		return;
	case STORM_SCRIPT_BAD:
		client_fail(e, c, now, "script: not an iPXE script");
		return;
	default:
		client_fail(e, c, now, "script: no boot command");
	}
}

/* One response is complete and good as HTTP: act on it. */
static void http_response(struct storm_env *e, struct storm_client *c, uint64_t now,
			  struct storm_tx *tx)
{
	uint8_t phase = c->http_phase;

	c->http_phase = HP_NONE;
	c->conn_reusable = shttp_keep_alive(&c->http);
	if (phase != HP_API)
		e->st->bytes += c->http.body_len;
	if (http_retry_later(e, c, now)) {
		c->http_phase = phase;         /* the same request again at c->wake */
		return;
	}
	c->retries_503 = 0;
	switch (phase) {
	case HP_SCRIPT:
		script_done(e, c, now, tx);
		return;
	case HP_KERNEL:
	case HP_INITRD:
		if (c->http.status != 200) {
			http_status_fail(e, c, now, phase == HP_KERNEL ? "kernel" : "initrd");
			return;
		}
		if (phase == HP_KERNEL && c->api_ip == 0) {
			const char *path;

			(void)storm_url_split(c->url, &c->api_ip, &c->api_port, &path);
		}
		if (phase == HP_INITRD || c->script.initrd[0] == '\0' ||
		    !wants(e, STORM_ST_INITRD))
			conn_drop(e, c, now, tx);  /* iPXE hands over to the kernel */
		next_stage(e, c, now, tx);
		return;
	case HP_API:
		if (c->http.status != 200) {
			static const char *const what[] = { "check-in", "progress", "done" };

			http_status_fail(e, c, now, what[c->api_step < 3 ? c->api_step : 2]);
			return;
		}
		if (++c->api_step < API_END) {
			api_call(e, c, now, tx);
			return;
		}
		conn_drop(e, c, now, tx);
		next_stage(e, c, now, tx);
		return;
	default:
		client_fail(e, c, now, "http: a response nobody asked for");
	}
}

struct deliver_ctx {
	struct storm_env *e;
	struct storm_client *c;
};

/* In-order bytes of the connection: into the response reader; a script's
 * body, kept in the lcore's scratch for the moment, into the script reader. */
static void deliver(void *arg, const uint8_t *p, size_t n)
{
	struct deliver_ctx *d = arg;
	struct storm_client *c = d->c;
	bool script = c->http_phase == HP_SCRIPT;
	int rc;

	if (c->http.state == SHTTP_S_FAILED)
		return;
	shttp_rekeep(&c->http, script ? d->e->keep : NULL, sizeof(d->e->keep));
	rc = shttp_input(&c->http, p, n);
	if (script && c->http.kept > 0) {
		const struct storm_script_vars v = { c->a.mac, c->a.ip, c->uefi };

		storm_script_feed(&c->script, d->e->keep, c->http.kept, &v);
	}
	/* Bytes beyond the response: nothing was asked, the reader fails them. */
	if (rc > 0 && (size_t)rc < n)
		(void)shttp_input(&c->http, p + rc, n - (size_t)rc);
}

/* After the connection's machine ran: what its event means for the client. */
static void http_event(struct storm_env *e, struct storm_client *c, int ev, uint64_t now,
		       struct storm_tx *tx)
{
	if (ev < 0 || c->state != STORM_CLIENT_RUN)
		return;
	if (c->http_phase == HP_NONE || c->wake != 0) {
		/* Nothing asked: a close by the server ends the connection. */
		if (ev == STCP_CLOSED_BY_PEER)
			(void)stcp_close(&c->tcp, &c->a, false, now, e->pool, tx);
		c->conn_reusable = false;
		return;
	}
	if (c->http.state == SHTTP_S_FAILED) {
		client_fail(e, c, now, shttp_cause_str(c->http.cause));
		conn_drop(e, c, now, tx);
		return;
	}
	if (ev == STCP_CLOSED_BY_PEER && !shttp_done(&c->http)) {
		if (shttp_eof(&c->http) != 0) {
			client_fail(e, c, now, shttp_cause_str(c->http.cause));
			conn_drop(e, c, now, tx);
			return;
		}
	}
	if (shttp_done(&c->http)) {
		if (ev == STCP_CLOSED_BY_PEER)
			(void)stcp_close(&c->tcp, &c->a, false, now, e->pool, tx);
		http_response(e, c, now, tx);
		return;
	}
	if (ev == STCP_FAILED || ev == STCP_CLOSED) {
		client_fail(e, c, now, ev == STCP_FAILED ? stcp_cause_str(c->tcp.cause)
							 : "http: closed before the response");
		conn_drop(e, c, now, tx);
	}
}

/* A client that finished (well or not) holds no connection and no buffers. */
static void http_settle(struct storm_env *e, struct storm_client *c, uint64_t now,
			struct storm_tx *tx)
{
	if (c->state != STORM_CLIENT_RUN && c->tcp.state != STCP_S_CLOSED)
		conn_drop(e, c, now, tx);
}

static void storm_client_http_input(struct storm_env *e, struct storm_client *c,
				    const struct pkt_info *pi, uint64_t now, struct storm_tx *tx)
{
	struct deliver_ctx d = { e, c };
	int ev;

	if (pi->proto != IPPROTO_TCP_) {
		e->st->rx_ignored++;
		return;
	}
	ev = stcp_input(&c->tcp, &c->a, pi, now, e->pool, deliver, &d, tx);
	if (ev == STCP_IGNORED)
		e->st->rx_ignored++;
	http_event(e, c, ev, now, tx);
	http_settle(e, c, now, tx);
}

static void storm_client_http_timer(struct storm_env *e, struct storm_client *c, uint64_t now,
				    struct storm_tx *tx)
{
	if (c->wake != 0 && now >= c->wake) {
		uint8_t phase = c->http_phase;

		c->wake = 0;
		if (phase == HP_API)
			api_call(e, c, now, tx);
		else
			http_get(e, c, c->url, phase, now, tx);
	} else if (stcp_deadline(&c->tcp) <= now) {
		http_event(e, c, stcp_timer(&c->tcp, &c->a, now, e->pool, tx), now, tx);
	}
	http_settle(e, c, now, tx);
}

static void run_stage(struct storm_env *e, struct storm_client *c, enum storm_stage s,
		      uint64_t now, struct storm_tx *tx)
{
	c->stage = (uint8_t)s;
	c->t_stage = now;
	storm_stage_begin(&e->st->st[s], now);
	switch (s) {
	case STORM_ST_DHCP:
	case STORM_ST_IPXE_DHCP:
	case STORM_ST_OS:
		c->api_step = API_CHECKIN;
		start_dhcp(e, c, now, tx);
		break;
	case STORM_ST_TFTP:
		start_tftp(e, c, now, tx);
		break;
	case STORM_ST_SCRIPT:
		start_script(e, c, now, tx);
		break;
	case STORM_ST_KERNEL:
		if (c->script.kernel[0] == '\0') {
			next_stage(e, c, now, tx);
			return;
		}
		http_get(e, c, c->script.kernel, HP_KERNEL, now, tx);
		break;
	case STORM_ST_INITRD:
		if (c->script.initrd[0] == '\0') {
			next_stage(e, c, now, tx);
			return;
		}
		http_get(e, c, c->script.initrd, HP_INITRD, now, tx);
		break;
	default:
		client_done(e, c);
	}
}

void storm_client_power_on(struct storm_env *e, struct storm_client *c, uint64_t now_us,
			   struct storm_tx *tx)
{
	c->state = STORM_CLIENT_RUN;
	for (unsigned s = 0; s < STORM_ST_N; s++)
		if (wants(e, (enum storm_stage)s)) {
			if (s > STORM_ST_DHCP && c->boot_file[0] == '\0')
				snprintf(c->boot_file, sizeof(c->boot_file), "%s",
					 c->uefi ? uefi_file : bios_file);
			run_stage(e, c, (enum storm_stage)s, now_us, tx);
			return;
		}
	client_done(e, c);
}

static bool in_dhcp(const struct storm_client *c)
{
	return c->stage == STORM_ST_DHCP || c->stage == STORM_ST_IPXE_DHCP ||
	       (c->stage == STORM_ST_OS && c->http_phase != HP_API);
}

void storm_client_input(struct storm_env *e, struct storm_client *c, const struct pkt_info *pi,
			uint64_t now_us, struct storm_tx *tx)
{
	int r;

	if (in_dhcp(c)) {
		r = sdhcp_input(&c->m.dhcp, &c->a, pi, now_us, dhcp_timing(e, c), tx);
		if (r == SDHCP_IGNORED)
			e->st->rx_ignored++;
		dhcp_result(e, c, r, now_us, tx);
	} else if (c->stage == STORM_ST_TFTP) {
		r = stftp_input(&c->m.tftp, &c->a, pi, now_us, &e->tftp, tx);
		if (r == STFTP_IGNORED)
			e->st->rx_ignored++;
		tftp_result(e, c, r, now_us, tx);
	} else {
		storm_client_http_input(e, c, pi, now_us, tx);
	}
}

void storm_client_timer(struct storm_env *e, struct storm_client *c, uint64_t now_us,
			struct storm_tx *tx)
{
	if (in_dhcp(c))
		dhcp_result(e, c, sdhcp_timer(&c->m.dhcp, &c->a, now_us, dhcp_timing(e, c), tx),
			    now_us, tx);
	else if (c->stage == STORM_ST_TFTP)
		tftp_result(e, c, stftp_timer(&c->m.tftp, &c->a, now_us, &e->tftp, tx), now_us,
			    tx);
	else
		storm_client_http_timer(e, c, now_us, tx);
}

uint64_t storm_client_deadline(const struct storm_client *c)
{
	if (c->state != STORM_CLIENT_RUN)
		return UINT64_MAX;
	if (in_dhcp(c))
		return sdhcp_deadline(&c->m.dhcp);
	if (c->stage == STORM_ST_TFTP)
		return stftp_deadline(&c->m.tftp);
	if (c->wake != 0 && c->wake < stcp_deadline(&c->tcp))
		return c->wake;
	return stcp_deadline(&c->tcp);
}

void storm_client_expire(struct storm_env *e, struct storm_client *c, uint64_t now_us)
{
	char cause[STORM_CAUSE_LEN];

	if (c->state == STORM_CLIENT_OFF) {
		c->stage = STORM_ST_DHCP;
		c->t_stage = now_us;
		snprintf(cause, sizeof(cause), "storm: timeout before power-on");
	} else {
		snprintf(cause, sizeof(cause), "storm: timeout in %s", storm_stage_names[c->stage]);
	}
	client_fail(e, c, now_us, cause);
}
