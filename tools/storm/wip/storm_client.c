/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The chain of one virtual client's boot. Each stage runs one protocol
 * machine; its result moves the client to the next stage (or ends it),
 * and the stage's time goes into the lcore's histogram.
 */
#include "storm_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int storm_env_init(struct storm_env *e, const struct storm_opts *o, struct storm_stats *st)
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
	e->pool = stcp_pool_create(STCP_POOL_DEFAULT);
	return e->pool != NULL ? 0 : -1;
}

void storm_env_fini(struct storm_env *e)
{
	stcp_pool_destroy(e->pool);
	e->pool = NULL;
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

static bool wants(const struct storm_env *e, enum storm_stage s)
{
	return (e->o->stages >> s) & 1u;
}

/* ---- stage bookkeeping ---- */

static void stage_end(struct storm_env *e, struct storm_client *c, uint64_t now, bool ok)
{
	struct storm_stage_stats *st = &e->st->st[c->stage];

	if (ok) {
		st->done++;
		storm_hist_add(&st->lat, now - c->t_stage);
	} else {
		st->failed++;
	}
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
		    take_ports(e, 2), &c->a, now, &e->tftp, tx);
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

static void dhcp_result(struct storm_env *e, struct storm_client *c, int r, uint64_t now,
			struct storm_tx *tx)
{
	if (r == SDHCP_BOUND)
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
	c->url_alt = 0;
	if (strncmp(c->boot_file, "http://", 7) != 0) {
		client_fail(e, c, now, "dhcp: no script URL for iPXE");
		return;
	}
	storm_script_init(&c->script);
	snprintf(c->script.url[0], sizeof(c->script.url[0]), "%s", c->boot_file);
	c->script.url[1][0] = '\0';
	http_get(e, c, c->script.url[0], HP_SCRIPT, now, tx);
}

static void run_stage(struct storm_env *e, struct storm_client *c, enum storm_stage s,
		      uint64_t now, struct storm_tx *tx)
{
	c->stage = (uint8_t)s;
	c->t_stage = now;
	e->st->st[s].started++;
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
	if (c->wake != 0)
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
