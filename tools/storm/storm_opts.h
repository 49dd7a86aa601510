/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_opts.h
 * stampede-storm's command line: parsed and checked before the EAL
 * starts, so a bad value is one line naming it and exit status 2.
 */
#ifndef STP_STORM_OPTS_H
#define STP_STORM_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipv4_addr.h"

#define STORM_CLIENTS_MAX 100000u

/* The stages a client goes through, in order. X(id, json name, --stages group) */
#define STORM_STAGES(X)                 \
	X(DHCP, "dhcp", "dhcp")         \
	X(TFTP, "tftp", "tftp")         \
	X(IPXE_DHCP, "ipxe_dhcp", "dhcp") \
	X(SCRIPT, "script", "http")     \
	X(KERNEL, "kernel", "http")     \
	X(INITRD, "initrd", "http")     \
	X(OS, "os", "os")

enum storm_stage {
#define X(id, name, group) STORM_ST_##id,
	STORM_STAGES(X)
#undef X
	STORM_ST_N
};

extern const char *const storm_stage_names[STORM_ST_N];

enum storm_port_kind { STORM_PORT_VDEV, STORM_PORT_IFACE, STORM_PORT_PCI };
enum storm_arrival { STORM_ARRIVE_BURST, STORM_ARRIVE_RAMP, STORM_ARRIVE_RATE };

struct storm_opts {
	enum storm_port_kind port_kind;
	char port[256];            /* devargs, interface name or PCI address */
	char driver[16];           /* --iface: "af_xdp", "af_packet" or "auto" */
	uint32_t clients;
	unsigned mix_bios;         /* percent of clients that are BIOS; the rest UEFI */
	enum storm_arrival arrival;
	double arrival_arg;        /* ramp: seconds; rate: clients per second */
	struct mac_addr mac_base;
	unsigned stages;           /* bit per enum storm_stage */
	double timeout_s;          /* the whole storm; clients not done then fail */
	char json[4096];           /* "" = no JSON file */
	char leases[4096];         /* --leases: every client's ACKed address; "" = none */
	char lcores[64];           /* EAL -l list; "" = the EAL's default */
	char file_prefix[64];      /* EAL --file-prefix; "" = in-memory */
	bool no_huge;
	bool quiet;
	bool think;                /* firmware think times (EDK2 offer->request ~3.8 s) */
	uint32_t server_ip;        /* --server: only this server's answers; 0 = any */
	uint32_t max_active;       /* --max-active: clients booting at once at most; 0 = no limit */
};

/**
 * Parse @a argv into @a o (defaults first).
 * @return 0 ready to run, 1 --help or --version printed (exit 0),
 *         -1 with one line in @a err (exit 2)
 */
int storm_opts_parse(int argc, char **argv, struct storm_opts *o, char *err, size_t errlen);

/** The usage text, for --help and after an error. */
extern const char storm_usage[];

#endif
