/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file config.h
 * The validated configuration of one stampede instance. Loaded once at
 * start by config_load(); plain data afterwards, read by every room.
 * Addresses are host-order; strings are NUL-terminated and never truncated
 * (config_load refuses values that do not fit).
 */
#ifndef STP_CONFIG_H
#define STP_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "ipv4_addr.h"

#define CFG_MAX_POOLS 64
#define CFG_MAX_DNS 4
#define CFG_MAX_HOSTS 4096
#define CFG_NAME_MAX 256   /* boot file names, host names, domain */
#define CFG_LCORES_MAX 128
#define CFG_IFNAME_MAX 16  /* IFNAMSIZ */
#define CFG_DEVARG_MAX 512
#define CFG_TOKEN_MAX 128  /* control.token buffer: at most 127 characters */
#define CFG_TOKEN_MIN 16   /* shorter tokens are guessable */

enum cfg_port_kind { CFG_PORT_IFACE, CFG_PORT_PCI, CFG_PORT_VDEV };
enum cfg_port_driver { CFG_DRIVER_AUTO, CFG_DRIVER_AF_XDP, CFG_DRIVER_AF_PACKET };
enum cfg_dhcp_mode { CFG_DHCP_SERVER, CFG_DHCP_PROXY, CFG_DHCP_OFF };

/** One address pool: the directly attached subnet, or a relayed one. */
struct cfg_pool {
	uint32_t subnet;          /* network address */
	unsigned prefix_len;
	uint32_t first, last;     /* inclusive range, inside subnet; both 0:
				   * no range (the local subnet in proxy/off mode) */
	uint32_t router;          /* 0: none */
	uint32_t dns[CFG_MAX_DNS];
	unsigned n_dns;
	int line;                 /* where it was defined, for messages */
};

/** A static reservation (`hosts:` list). */
struct cfg_host {
	struct mac_addr mac;
	uint32_t ip;
	char name[CFG_NAME_MAX];
	int line;
};

struct stp_config {
	char path[PATH_MAX];      /* the file it came from */

	struct {
		char lcores[CFG_LCORES_MAX]; /* "" = what the machine has */
		bool no_huge;
		unsigned memory_mb;          /* default 1024 (256 with no_huge) */
		unsigned mbufs;              /* mempool size; default 16383 */
		char file_prefix[64];        /* "" = --in-memory */
	} eal;

	struct {
		enum cfg_port_kind kind;
		enum cfg_port_driver driver; /* only for CFG_PORT_IFACE */
		char iface[CFG_IFNAME_MAX];
		char pci[64];
		char vdev[CFG_DEVARG_MAX];
		uint32_t addr;               /* the server's own address */
		unsigned prefix_len;
		uint16_t mtu;                /* default 1500 */
		int zero_copy;               /* -1 auto (multi-seg TX capable), 0 off, 1 on */
		bool tx_offload;             /* use the port's checksum/TSO offloads (default true) */
	} port;

	struct {
		enum cfg_dhcp_mode mode;
		struct cfg_pool pools[CFG_MAX_POOLS]; /* [0] is the local subnet */
		unsigned n_pools;
		unsigned lease_time;         /* seconds, default 3600 */
		unsigned offer_hold;         /* seconds an OFFER reserves, default 30 */
		char domain[CFG_NAME_MAX];   /* option 15, "" = none */
	} dhcp;

	struct cfg_host hosts[CFG_MAX_HOSTS];
	unsigned n_hosts;

	struct {
		char root[PATH_MAX];
		char bios[CFG_NAME_MAX];     /* option 93 = 0 */
		char uefi[CFG_NAME_MAX];     /* option 93 = 7, 9 */
		char uefi32[CFG_NAME_MAX];   /* option 93 = 6, "" = none */
		char arm64[CFG_NAME_MAX];    /* option 93 = 11, "" = none */
		char script[CFG_NAME_MAX];   /* iPXE gets http://addr[:port]/script */
		uint16_t http_port;          /* default 80 */
		/* Boot-time savings, default on; off only to measure them. */
		bool no_pxedhcp;             /* iPXE option 175.176: skip the ~3 s ProxyDHCP wait */
		bool ipv6_ra;                /* answer RS with a no-router RA: iPXE skips ~16 s of IPv6 autoconf */
	} boot;

	struct {
		char database[PATH_MAX];
		/* The admin REST API's kernel socket, as written ("ADDR:PORT"
		 * or "off"), and parsed. Default 127.0.0.1:8080. */
		char api_listen[32];
		bool api_enabled;            /* false: api_listen is "off" */
		uint32_t api_addr;           /* host order */
		uint16_t api_port;
		/* Bearer token for admin changes; "" = changes refused. */
		char token[CFG_TOKEN_MAX];
		/* Holds host.ipxe.tmpl; default: the config file's directory. */
		char config_dir[PATH_MAX];
		/* GET /metrics on the admin port without the token (default
		 * true: scrapers usually have none); false: it needs it. */
		bool metrics_public;
	} control;

	struct {
		unsigned max_mb;             /* hugepage memory for boot files; default memory_mb/2 */
	} cache;

	struct {
		bool enabled;                /* default true; port is boot.http_port */
		unsigned max_conns;          /* per worker lcore, default 4096 */
		unsigned rx_buf;             /* request bytes buffered per connection, 8192 */
		unsigned head_timeout_ms;    /* first byte to complete request, 10000 */
		unsigned idle_timeout_ms;    /* keep-alive idle, 60000 */
		/* Large transfers at once per worker lcore, past which a GET or
		 * HEAD of a large object gets 503 + Retry-After; 0 (default): no
		 * limit. */
		unsigned max_transfers;
		unsigned large_object_kb;    /* "large" from this size on, default 1024 */
	} http;

	struct {
		/* Jobs booting or running at once (FOG's "max clients");
		 * past it a job waits for a slot. 0: the key is absent, no
		 * limit (0 itself is refused). */
		unsigned max_active;
		/* The lease of a slot: from the grant to the host's script
		 * fetch, and from there to the imaging OS's check-in; past
		 * it the job waits again. Default 600. */
		unsigned slot_timeout_s;
	} jobs;

	struct {
		bool enabled;                /* default true */
		unsigned max_sessions;       /* per worker lcore, default 4096 */
		unsigned max_windowsize;     /* RFC 7440 clamp, default 64 */
		uint16_t port_first;         /* first server TID port, default 49152 */
		unsigned timeout_ms;         /* first retransmit timeout, default 1000 */
		unsigned retries;            /* timeouts before giving up, default 6 */
	} tftp;

	/* Lines of keys that config_check_system() reports on (0: default). */
	struct {
		int iface, root, database, cache_max_mb, config_dir;
	} lines;
};

/** Zero @a cfg and set the default of every optional key (no pools, no hosts). */
void config_defaults(struct stp_config *cfg);

/**
 * Parse and validate @a path into @a cfg (caller-owned, may be large: put
 * it on the heap). On failure returns -1 and writes one line
 * "FILE:LINE: KEY: reason" into @a err (NUL-terminated, cut to @a errlen);
 * @a cfg then holds partial data and must not be used. Only checks what
 * the file says; config_check_system() checks it against this machine.
 */
int config_load(const char *path, struct stp_config *cfg, char *err, size_t errlen);

/** Same, from a string in memory (@a name is used in messages). */
int config_load_string(const char *name, const char *text, size_t len,
		       struct stp_config *cfg, char *err, size_t errlen);

/**
 * Check the config against the machine: the interface exists, the boot
 * root is a readable directory, the database directory can be created.
 * Returns -1 with one clear line in @a err.
 */
int config_check_system(const struct stp_config *cfg, char *err, size_t errlen);

/** One key a configuration file may hold (config_each_key()). */
struct config_key {
	const char *path;     /* "eal.lcores"; list items "dhcp.pools[].subnet" */
	const char *type;     /* "string", "bool", "integer", "auto|on|off", "list", ... */
	bool ranged;          /* an integer within [min, max] */
	uint32_t min, max;
};

/**
 * Call @a fn for every key the parser accepts, in the order of its key
 * tables: sections are not keys themselves, a list of mappings is one
 * key ("hosts") followed by its items' keys ("hosts[].mac"). The strings
 * live until @a fn returns.
 */
void config_each_key(void (*fn)(void *ctx, const struct config_key *k), void *ctx);

/** The pool whose subnet contains @a addr, or NULL. */
const struct cfg_pool *config_pool_for(const struct stp_config *cfg, uint32_t addr);

#endif
