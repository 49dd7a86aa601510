/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_client.h
 * One virtual PXE client's whole boot, as a chain of the protocol
 * machines: firmware DHCP -> TFTP of the boot file -> iPXE DHCP -> the
 * HTTP script chain -> kernel -> initrd -> the imaging OS's DHCP and job
 * API, each stage timed. BIOS clients behave like a PXE ROM with
 * undionly.kpxe, UEFI ones like EDK2 with ipxe.efi (docs/design.md, "What
 * real clients send"). Stages left out with --stages are skipped; a client
 * whose chain ends in a local boot is done after its script.
 */
#ifndef STP_STORM_CLIENT_H
#define STP_STORM_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"
#include "storm_dhcp.h"
#include "storm_http.h"
#include "storm_opts.h"
#include "storm_script.h"
#include "storm_stats.h"
#include "storm_tcp.h"
#include "storm_tftp.h"
#include "storm_wire.h"

enum storm_client_state {
	STORM_CLIENT_OFF = 0,      /* not powered on yet */
	STORM_CLIENT_RUN,
	STORM_CLIENT_DONE,
	STORM_CLIENT_FAILED,
};

/** What every client of one lcore shares. */
struct storm_env {
	const struct storm_opts *o;
	struct storm_stats *st;
	struct stcp_pool *pool;
	void *pool_mem;            /* the pool's buffers */
	struct sdhcp_timing dhcp_pxe, dhcp_edk2, dhcp_fast;
	struct stftp_timing tftp;
	uint16_t next_port;        /* ephemeral ports, per lcore */
	uint16_t queue, nq;        /* this lcore's queue of nq: flows are placed on it */
	uint32_t rng;              /* initial sequence numbers */
	uint8_t keep[4096];        /* one delivery's script bytes, read at once */
};

struct storm_client {
	struct storm_addr a;
	uint8_t state;             /* enum storm_client_state */
	uint8_t stage;             /* enum storm_stage being run */
	bool uefi;
	bool counted;              /* the context counted it finished */
	uint8_t chain_depth;
	uint8_t http_phase;        /* what the HTTP exchange in flight is for */
	uint8_t api_step;          /* imaging OS: check-in, progress, done */
	uint8_t retries_503;       /* Retry-After waits for this request */
	bool conn_reusable;        /* the last response left the connection open */
	uint32_t xid;
	uint32_t job_id;           /* stampede.job= on the kernel line, 0 none */
	uint32_t acked_ip;         /* the first address a DHCP ACK gave it, 0 none */
	uint32_t api_ip;           /* the job API: the kernel's server */
	uint16_t api_port;
	uint64_t t_stage;          /* when the stage started (us) */
	uint64_t wake;             /* a retry after 503, 0 none */
	uint16_t http_port;
	union {
		struct sdhcp dhcp;
		struct stftp tftp;
	} m;
	char boot_file[SDHCP_FILE_MAX + 1];
	struct stcp tcp;
	struct shttp http;
	struct storm_script script;  /* the script being read, then its kernel and initrd */
	char url[STORM_URL_MAX];     /* what is being fetched */
	char alt_url[STORM_URL_MAX]; /* "chain A || chain B": B, "" none */
};

/** Set up client @a gi (its MAC, profile, xid) as powered off. */
void storm_client_init(struct storm_client *c, uint32_t gi, const struct storm_opts *o);

/** Shared timing and pools for one lcore's clients. @return 0 or -ENOMEM. */
int storm_env_init(struct storm_env *e, const struct storm_opts *o, struct storm_stats *st,
		   uint32_t n_clients);
void storm_env_fini(struct storm_env *e);

void storm_client_power_on(struct storm_env *e, struct storm_client *c, uint64_t now_us,
			   struct storm_tx *tx);
void storm_client_input(struct storm_env *e, struct storm_client *c, const struct pkt_info *pi,
			uint64_t now_us, struct storm_tx *tx);
void storm_client_timer(struct storm_env *e, struct storm_client *c, uint64_t now_us,
			struct storm_tx *tx);
/** When storm_client_timer() next has work; UINT64_MAX none. */
uint64_t storm_client_deadline(const struct storm_client *c);
/** The storm is over: a running client fails with "timeout in STAGE". */
void storm_client_expire(struct storm_env *e, struct storm_client *c, uint64_t now_us);

#endif
