/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file config_parse.c
 * The schema: one key table per section, and the checks that only need one
 * section (exactly one port kind, required keys, value formats). Checks
 * that relate sections (pools against port.address, reservations against
 * pools) run afterwards in config_validate.c, so the order of sections in
 * the file does not matter.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"

#define CFG_OFF(m) offsetof(struct stp_config, m)
#define CFG_SZ(m) sizeof(((struct stp_config *)0)->m)

#define STR(k, m) { .key = k, .kind = CK_STR, .off = CFG_OFF(m), .size = CFG_SZ(m) }
#define BOOTNAME(k, m) { .key = k, .kind = CK_BOOTNAME, .off = CFG_OFF(m), .size = CFG_SZ(m) }
#define BOOL(k, m) { .key = k, .kind = CK_BOOL, .off = CFG_OFF(m) }
#define UINT(k, m, lo, hi) { .key = k, .kind = CK_UINT, .off = CFG_OFF(m), .min = lo, .max = hi }
#define U16(k, m, lo, hi) { .key = k, .kind = CK_U16, .off = CFG_OFF(m), .min = lo, .max = hi }
#define IPV4_AT(k, o) { .key = k, .kind = CK_IPV4, .off = o }
#define WORD(k, m, ws) { .key = k, .kind = CK_WORD, .off = CFG_OFF(m), .size = CFG_SZ(m), \
			 .words = &(ws) }
#define SECTION(k, s) { .key = k, .kind = CK_SECTION, .section = &(s) }
/* fn parses into the walk's base plus @a o (a struct cfg_pool, ...); @a w
 * says what the value is, for the key list (config_each_key()). */
#define FN_AT(k, o, f, w) { .key = k, .kind = CK_FN, .off = o, .fn = f, .what = w }
#define FN(k, f, w) FN_AT(k, 0, f, w)
/* A list of mappings parsed by @a f, each item walked with section @a s. */
#define LIST(k, f, s) { .key = k, .kind = CK_FN, .fn = f, .what = "list", .items = &(s) }

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* CK_WORD stores an int: the enums it fills must be int-sized. */
_Static_assert(sizeof(enum cfg_port_driver) == sizeof(int), "port.driver is a CK_WORD");
_Static_assert(sizeof(enum cfg_dhcp_mode) == sizeof(int), "dhcp.mode is a CK_WORD");

/* Characters a value may be made of; messages name the offender. */
static int check_chars(struct config_ctx *c, int line, const char *path,
		       const char *v, const char *allowed, const char *what)
{
	size_t bad = strspn(v, allowed);

	if (v[bad] == '\0')
		return 0;
	return config_err(c, line, path, "\"%.48s\" %s (character %zu)", v, what, bad + 1);
}

static const char name_chars[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";

/* ---- eal ---- */

enum { EAL_LCORES, EAL_NO_HUGE, EAL_MEMORY_MB, EAL_MBUFS, EAL_FILE_PREFIX, EAL_N };

static const struct config_field eal_fields[EAL_N] = {
	[EAL_LCORES] = STR("lcores", eal.lcores),
	[EAL_NO_HUGE] = BOOL("no_huge", eal.no_huge),
	[EAL_MEMORY_MB] = UINT("memory_mb", eal.memory_mb, 64, 1048576),
	[EAL_MBUFS] = UINT("mbufs", eal.mbufs, 1023, 4194303),
	[EAL_FILE_PREFIX] = STR("file_prefix", eal.file_prefix),
};

static int check_eal(struct config_ctx *c, int key_line, const char *path,
		     const int *lines)
{
	struct stp_config *cfg = c->cfg;

	(void)key_line;
	(void)path;
	/* Without hugepages the memory is ordinary pages: ask for less. */
	if (lines[EAL_MEMORY_MB] == 0)
		cfg->eal.memory_mb = cfg->eal.no_huge ? 256 : 1024;
	/* DPDK's -l / --lcores syntax: "0-3", "1,3", "(0-1)@2". */
	if (check_chars(c, lines[EAL_LCORES], "eal.lcores", cfg->eal.lcores,
			"0123456789,-@()", "is not an lcore list like \"0-3\" or \"1,3\"") < 0)
		return -1;
	/* The prefix names files under /var/run/dpdk/; keep it a plain word. */
	return check_chars(c, lines[EAL_FILE_PREFIX], "eal.file_prefix",
			   cfg->eal.file_prefix, name_chars,
			   "may only hold letters, digits, '-', '.' and '_'");
}

static const struct config_section eal_section = { eal_fields, EAL_N, check_eal };

/* ---- port ---- */

static const struct config_word driver_words[] = {
	{ "auto", CFG_DRIVER_AUTO },
	{ "af_xdp", CFG_DRIVER_AF_XDP },
	{ "af_packet", CFG_DRIVER_AF_PACKET },
};
static const struct config_words drivers = { "a driver", driver_words, N_OF(driver_words) };

/* port.zero_copy: -1 auto (where the port can chain segments), 0 off, 1 on. */
static const struct config_word zero_copy_words[] = {
	{ "auto", -1 },
	{ "on", 1 },
	{ "off", 0 },
};
static const struct config_words zero_copy_modes = { "a zero-copy mode", zero_copy_words,
						     N_OF(zero_copy_words) };

static int parse_address(struct config_ctx *c, const struct config_field *f,
			 int key_line, const yaml_node_t *val, const char *path, void *at)
{
	struct stp_config *cfg = at;
	const char *v = config_node_scalar(c, val, path, "an address/prefix like 10.77.0.1/24");
	uint32_t mask;

	(void)f;
	(void)key_line;
	if (v == NULL)
		return -1;
	if (!ipv4_parse_cidr(v, &cfg->port.addr, &cfg->port.prefix_len))
		return config_err_val(c, val, path, "is not an address/prefix like 10.77.0.1/24");
	mask = ipv4_prefix_mask(cfg->port.prefix_len);
	/* /31 and /32 have no network or broadcast address (RFC 3021). */
	if (cfg->port.prefix_len <= 30 && (cfg->port.addr & ~mask) == 0)
		return config_err_val(c, val, path,
				      "is the network address of its subnet, not a host address");
	if (cfg->port.prefix_len <= 30 && (cfg->port.addr & ~mask) == ~mask)
		return config_err_val(c, val, path,
				      "is the broadcast address of its subnet, not a host address");
	return 0;
}

enum { PORT_IFACE, PORT_PCI, PORT_VDEV, PORT_DRIVER, PORT_ADDRESS, PORT_MTU, PORT_ZERO_COPY,
       PORT_TX_OFFLOAD, PORT_N };

static const struct config_field port_fields[PORT_N] = {
	[PORT_IFACE] = STR("iface", port.iface),
	[PORT_PCI] = STR("pci", port.pci),
	[PORT_VDEV] = STR("vdev", port.vdev),
	[PORT_DRIVER] = WORD("driver", port.driver, drivers),
	[PORT_ADDRESS] = FN("address", parse_address, "address/prefix"),
	[PORT_MTU] = U16("mtu", port.mtu, 576, 9000),
	[PORT_ZERO_COPY] = WORD("zero_copy", port.zero_copy, zero_copy_modes),
	[PORT_TX_OFFLOAD] = BOOL("tx_offload", port.tx_offload),
};

/*
 * A PCI address as DPDK takes it: [dddd:]bb:dd.f in hex, device below 32
 * ('d' in the pattern: 0 or 1, then any hex digit) and function below 8.
 */
static bool pci_addr_ok(const char *s)
{
	static const char *const forms[] = { "hhhh:hh:dh.f", "hh:dh.f" };

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *p = forms[i];
		size_t k;

		for (k = 0; p[k] != '\0' && s[k] != '\0'; k++) {
			bool ok = p[k] == 'h' ? isxdigit((unsigned char)s[k]) != 0
				: p[k] == 'd' ? (s[k] == '0' || s[k] == '1')
				: p[k] == 'f' ? (s[k] >= '0' && s[k] <= '7')
				: s[k] == p[k];

			if (!ok)
				break;
		}
		if (p[k] == '\0' && s[k] == '\0')
			return true;
	}
	return false;
}

/* The kernel's rule for device names (dev_valid_name()). */
static int check_ifname(struct config_ctx *c, int line, const char *name)
{
	if (name[0] == '\0')
		return config_err(c, line, "port.iface", "must not be empty");
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    name[strcspn(name, "/: \t\n\r\v\f")] != '\0')
		return config_err(c, line, "port.iface", "\"%s\" is not an interface name", name);
	return 0;
}

/* Exactly one of iface / pci / vdev, and it must be usable. */
static int check_port_kind(struct config_ctx *c, int key_line, const int *lines)
{
	struct stp_config *cfg = c->cfg;
	int given = (lines[PORT_IFACE] != 0) + (lines[PORT_PCI] != 0) + (lines[PORT_VDEV] != 0);
	int last = lines[PORT_IFACE];

	if (lines[PORT_PCI] > last)
		last = lines[PORT_PCI];
	if (lines[PORT_VDEV] > last)
		last = lines[PORT_VDEV];
	if (given != 1)
		return config_err(c, given ? last : key_line, "port",
				  "give exactly one of iface, pci, vdev");
	if (lines[PORT_IFACE]) {
		cfg->port.kind = CFG_PORT_IFACE;
		return check_ifname(c, lines[PORT_IFACE], cfg->port.iface);
	}
	if (lines[PORT_DRIVER] && cfg->port.driver != CFG_DRIVER_AUTO)
		return config_err(c, lines[PORT_DRIVER], "port.driver",
				  "only applies to port.iface (a kernel interface)");
	if (lines[PORT_PCI]) {
		cfg->port.kind = CFG_PORT_PCI;
		if (!pci_addr_ok(cfg->port.pci))
			return config_err(c, lines[PORT_PCI], "port.pci",
					  "\"%.40s\" is not a PCI address like 0000:3b:00.0",
					  cfg->port.pci);
		return 0;
	}
	cfg->port.kind = CFG_PORT_VDEV;
	if (cfg->port.vdev[0] == '\0')
		return config_err(c, lines[PORT_VDEV], "port.vdev", "must not be empty");
	return 0;
}

static int check_port(struct config_ctx *c, int key_line, const char *path,
		      const int *lines)
{
	(void)path;
	if (check_port_kind(c, key_line, lines) < 0)
		return -1;
	if (lines[PORT_ADDRESS] == 0)
		return config_err(c, key_line, "port.address",
				  "is required (the server's address/prefix, e.g. 10.77.0.1/24)");
	c->address_line = lines[PORT_ADDRESS];
	c->cfg->lines.iface = lines[PORT_IFACE];
	return 0;
}

static const struct config_section port_section = { port_fields, PORT_N, check_port };

/* ---- dhcp ---- */

/* A bare "off" in YAML 1.1 is a boolean to some tools; the message says
 * which words work rather than guessing. */
static const struct config_word mode_words[] = {
	{ "server", CFG_DHCP_SERVER },
	{ "proxy", CFG_DHCP_PROXY },
	{ "off", CFG_DHCP_OFF },
};
static const struct config_words modes = { "a mode", mode_words, N_OF(mode_words) };

/** A list of DNS servers, or one written as a single value, into a pool. */
static int parse_dns(struct config_ctx *c, const struct config_field *f,
		     int key_line, const yaml_node_t *val, const char *path, void *at)
{
	struct cfg_pool *p = at;
	const yaml_node_item_t *items;
	size_t n;

	(void)f;
	(void)key_line;
	p->n_dns = 0;
	if (val->type == YAML_SCALAR_NODE && !config_node_is_null(val)) {
		p->n_dns = 1;
		return config_node_ipv4(c, val, path, &p->dns[0]);
	}
	if (config_seq_items(c, val, path, &items, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *it = config_node_get(c, items[i]);

		if (i == CFG_MAX_DNS)
			return config_err(c, config_node_line(it), path,
					  "too many DNS servers (at most %d)", CFG_MAX_DNS);
		if (config_node_ipv4(c, it, path, &p->dns[i]) < 0)
			return -1;
		p->n_dns = (unsigned)i + 1;
	}
	return 0;
}

/** An address range first-last into a pool. */
static int parse_range(struct config_ctx *c, const struct config_field *f,
		       int key_line, const yaml_node_t *val, const char *path, void *at)
{
	struct cfg_pool *p = at;

	(void)f;
	(void)key_line;
	return config_node_range(c, val, path, &p->first, &p->last);
}

/* The items of dhcp.pools, as parsed by parse_pools() below, and their
 * keys (defined with it). */
static int parse_pools(struct config_ctx *c, const struct config_field *f,
		       int key_line, const yaml_node_t *val, const char *path, void *at);
static const struct config_section pool_section;

enum {
	DHCP_MODE, DHCP_POOL, DHCP_ROUTER, DHCP_DNS, DHCP_DOMAIN, DHCP_LEASE_TIME,
	DHCP_OFFER_HOLD, DHCP_POOLS, DHCP_N
};

static const struct config_field dhcp_fields[DHCP_N] = {
	[DHCP_MODE] = WORD("mode", dhcp.mode, modes),
	[DHCP_POOL] = FN_AT("pool", CFG_OFF(dhcp.pools[0]), parse_range, "range first-last"),
	[DHCP_ROUTER] = IPV4_AT("router", CFG_OFF(dhcp.pools[0].router)),
	[DHCP_DNS] = FN_AT("dns", CFG_OFF(dhcp.pools[0]), parse_dns, "IPv4 address or list"),
	[DHCP_DOMAIN] = STR("domain", dhcp.domain),
	[DHCP_LEASE_TIME] = UINT("lease_time", dhcp.lease_time, 60, 31536000),
	[DHCP_OFFER_HOLD] = UINT("offer_hold", dhcp.offer_hold, 1, 3600),
	[DHCP_POOLS] = LIST("pools", parse_pools, pool_section),
};

static int check_dhcp(struct config_ctx *c, int key_line, const char *path,
		      const int *lines)
{
	(void)path;
	c->dhcp_line = key_line;
	c->pool_line = lines[DHCP_POOL];
	c->router_line = lines[DHCP_ROUTER];
	c->dns_line = lines[DHCP_DNS];
	c->pools_line = lines[DHCP_POOLS];
	/* Option 15 is a domain name: DNS characters only. */
	return check_chars(c, lines[DHCP_DOMAIN], "dhcp.domain", c->cfg->dhcp.domain,
			   name_chars, "is not a domain name");
}

static const struct config_section dhcp_section = { dhcp_fields, DHCP_N, check_dhcp };

/* ---- dhcp.pools entries ---- */

static int parse_subnet(struct config_ctx *c, const struct config_field *f,
			int key_line, const yaml_node_t *val, const char *path, void *at)
{
	struct cfg_pool *p = at;
	const char *v = config_node_scalar(c, val, path, "a subnet like 10.78.0.0/24");
	uint32_t mask;

	(void)f;
	(void)key_line;
	if (v == NULL)
		return -1;
	if (!ipv4_parse_cidr(v, &p->subnet, &p->prefix_len))
		return config_err_val(c, val, path, "is not a subnet like 10.78.0.0/24");
	/* A subnet with host bits is usually a typo for a different one. */
	mask = ipv4_prefix_mask(p->prefix_len);
	if (p->subnet & ~mask) {
		char net[STP_IPV4_STRLEN];

		return config_err_val(c, val, path, "has host bits set (the subnet would be %s/%u)",
				      ipv4_format(p->subnet & mask, net), p->prefix_len);
	}
	return 0;
}

enum { POOL_SUBNET, POOL_RANGE, POOL_ROUTER, POOL_DNS, POOL_N };

static const struct config_field pool_fields[POOL_N] = {
	[POOL_SUBNET] = FN("subnet", parse_subnet, "subnet/prefix"),
	[POOL_RANGE] = FN("range", parse_range, "range first-last"),
	[POOL_ROUTER] = IPV4_AT("router", offsetof(struct cfg_pool, router)),
	[POOL_DNS] = FN("dns", parse_dns, "IPv4 address or list"),
};

static const struct config_section pool_section = { pool_fields, POOL_N, NULL };

static int parse_pool_entry(struct config_ctx *c, const yaml_node_t *it,
			    size_t k, struct cfg_pool *p, struct config_pool_src *src)
{
	char path[CONFIG_PATH_MAX];
	int lines[POOL_N];

	snprintf(path, sizeof(path), "dhcp.pools[%zu]", k);
	memset(p, 0, sizeof(*p));
	p->line = config_node_line(it);
	if (config_node_is_null(it) || it->type != YAML_MAPPING_NODE)
		return config_err(c, p->line, path, "expected a mapping with subnet and range, got %s",
				  config_node_is_null(it) ? "nothing" : config_node_kind_name(it));
	if (config_map_walk(c, it, path, pool_fields, POOL_N, p, lines) < 0)
		return -1;
	if (lines[POOL_SUBNET] == 0)
		return config_err(c, p->line, path, "subnet is required");
	if (lines[POOL_RANGE] == 0)
		return config_err(c, p->line, path, "range is required");
	*src = (struct config_pool_src){
		.index = (int)k,
		.subnet_line = lines[POOL_SUBNET],
		.range_line = lines[POOL_RANGE],
		.router_line = lines[POOL_ROUTER],
		.dns_line = lines[POOL_DNS],
	};
	return 0;
}

static int parse_pools(struct config_ctx *c, const struct config_field *f,
		       int key_line, const yaml_node_t *val, const char *path, void *at)
{
	struct stp_config *cfg = at;
	const yaml_node_item_t *items;
	size_t n;

	(void)f;
	(void)key_line;
	if (config_seq_items(c, val, path, &items, &n) < 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		const yaml_node_t *it = config_node_get(c, items[k]);

		/* [0] is kept for the local subnet. */
		if (k + 1 == CFG_MAX_POOLS)
			return config_err(c, config_node_line(it), path,
					  "too many pools (at most %d)", CFG_MAX_POOLS - 1);
		if (parse_pool_entry(c, it, k, &cfg->dhcp.pools[k + 1], &c->pool_src[k + 1]) < 0)
			return -1;
		cfg->dhcp.n_pools = (unsigned)k + 2;
	}
	return 0;
}

/* ---- hosts ---- */

static int parse_mac(struct config_ctx *c, const struct config_field *f,
		     int key_line, const yaml_node_t *val, const char *path, void *at)
{
	struct cfg_host *h = at;
	const char *v = config_node_scalar(c, val, path, "a MAC address");

	(void)f;
	(void)key_line;
	if (v == NULL)
		return -1;
	/* The length first: mac_parse() reads two bytes at a time and would
	 * look past the NUL of a short value. */
	if (strlen(v) != STP_MAC_STRLEN - 1 || !mac_parse(v, &h->mac))
		return config_err_val(c, val, path, "is not a MAC address like 52:54:00:12:34:56");
	return 0;
}

enum { HOST_MAC, HOST_IP, HOST_NAME, HOST_N };

static const struct config_field host_fields[HOST_N] = {
	[HOST_MAC] = FN("mac", parse_mac, "MAC address"),
	[HOST_IP] = IPV4_AT("ip", offsetof(struct cfg_host, ip)),
	[HOST_NAME] = { .key = "name", .kind = CK_STR, .off = offsetof(struct cfg_host, name),
			.size = sizeof(((struct cfg_host *)0)->name) },
};

static const struct config_section host_section = { host_fields, HOST_N, NULL };

static int parse_host_entry(struct config_ctx *c, const yaml_node_t *it,
			    size_t k, struct cfg_host *h)
{
	char path[CONFIG_PATH_MAX], sub[CONFIG_PATH_MAX];
	int lines[HOST_N], line = config_node_line(it);

	snprintf(path, sizeof(path), "hosts[%zu]", k);
	memset(h, 0, sizeof(*h));
	if (config_node_is_null(it) || it->type != YAML_MAPPING_NODE)
		return config_err(c, line, path, "expected a mapping with mac and ip, got %s",
				  config_node_is_null(it) ? "nothing" : config_node_kind_name(it));
	if (config_map_walk(c, it, path, host_fields, HOST_N, h, lines) < 0)
		return -1;
	if (lines[HOST_MAC] == 0)
		return config_err(c, line, path, "mac is required");
	if (lines[HOST_IP] == 0)
		return config_err(c, line, path, "ip is required");
	h->line = lines[HOST_MAC];
	c->host_ip_line[k] = lines[HOST_IP];
	/* Option 12 carries a host name: DNS characters only. */
	config_path_join(sub, path, "name");
	return check_chars(c, lines[HOST_NAME], sub, h->name, name_chars,
			   "is not a host name");
}

static int parse_hosts(struct config_ctx *c, const struct config_field *f,
		       int key_line, const yaml_node_t *val, const char *path, void *at)
{
	struct stp_config *cfg = at;
	const yaml_node_item_t *items;
	size_t n;

	(void)f;
	(void)key_line;
	if (config_seq_items(c, val, path, &items, &n) < 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		const yaml_node_t *it = config_node_get(c, items[k]);

		if (k == CFG_MAX_HOSTS)
			return config_err(c, config_node_line(it), path,
					  "too many hosts (at most %d)", CFG_MAX_HOSTS);
		if (parse_host_entry(c, it, k, &cfg->hosts[k]) < 0)
			return -1;
		cfg->n_hosts = (unsigned)k + 1;
	}
	return 0;
}

/* ---- boot, control ---- */

enum { BOOT_ROOT, BOOT_BIOS, BOOT_UEFI, BOOT_UEFI32, BOOT_ARM64, BOOT_SCRIPT,
       BOOT_HTTP_PORT, BOOT_NO_PXEDHCP, BOOT_IPV6_RA, BOOT_N };

static const struct config_field boot_fields[BOOT_N] = {
	[BOOT_ROOT] = STR("root", boot.root),
	[BOOT_BIOS] = BOOTNAME("bios", boot.bios),
	[BOOT_UEFI] = BOOTNAME("uefi", boot.uefi),
	[BOOT_UEFI32] = BOOTNAME("uefi32", boot.uefi32),
	[BOOT_ARM64] = BOOTNAME("arm64", boot.arm64),
	[BOOT_SCRIPT] = BOOTNAME("script", boot.script),
	[BOOT_HTTP_PORT] = U16("http_port", boot.http_port, 1, 65535),
	[BOOT_NO_PXEDHCP] = BOOL("no_pxedhcp", boot.no_pxedhcp),
	[BOOT_IPV6_RA] = BOOL("ipv6_ra", boot.ipv6_ra),
};

static int check_boot(struct config_ctx *c, int key_line, const char *path,
		      const int *lines)
{
	static const int needed[] = { BOOT_BIOS, BOOT_UEFI, BOOT_SCRIPT };
	struct stp_config *cfg = c->cfg;

	if (lines[BOOT_ROOT] == 0)
		return config_err(c, key_line, "boot.root",
				  "is required (the directory boot files are served from)");
	if (cfg->boot.root[0] != '/')
		return config_err(c, lines[BOOT_ROOT], "boot.root",
				  "\"%.48s\" must be an absolute path", cfg->boot.root);
	cfg->lines.root = lines[BOOT_ROOT];
	/* BIOS and x86-64 UEFI are what nearly every client is; a storm
	 * without their file would fail every boot. */
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		char sub[CONFIG_PATH_MAX];

		if (lines[needed[i]] == 0 || ((const char *)cfg + boot_fields[needed[i]].off)[0])
			continue;
		config_path_join(sub, path, boot_fields[needed[i]].key);
		return config_err(c, lines[needed[i]], sub, "must not be empty");
	}
	return 0;
}

static const struct config_section boot_section = { boot_fields, BOOT_N, check_boot };

/*
 * control.api_listen: "ADDR:PORT" with an IPv4 address, or "off". The
 * address is not limited to loopback, but reads need no token there, so
 * anything wider deserves a deliberate line in the file.
 */
static int parse_api_listen(struct config_ctx *c, const struct config_field *f,
			    int key_line, const yaml_node_t *val, const char *path, void *at)
{
	struct stp_config *cfg = at;
	const char *v = config_node_scalar(c, val, path, "ADDR:PORT or off");
	char addr[STP_IPV4_STRLEN];
	const char *colon;
	uint32_t port = 0;

	(void)f;
	(void)key_line;
	if (v == NULL)
		return -1;
	if (strcasecmp(v, "off") == 0) {
		cfg->control.api_enabled = false;
		snprintf(cfg->control.api_listen, sizeof(cfg->control.api_listen), "off");
		return 0;
	}
	colon = strrchr(v, ':');
	if (colon == NULL || (size_t)(colon - v) >= sizeof(addr))
		return config_err_val(c, val, path, "is not ADDR:PORT like 127.0.0.1:8080 (or off)");
	memcpy(addr, v, (size_t)(colon - v));
	addr[colon - v] = '\0';
	if (!ipv4_parse(addr, &cfg->control.api_addr))
		return config_err_val(c, val, path, "has \"%s\", which is not an IPv4 address",
				      addr);
	/* Digits only, at most 5 of them: no "+80", "0x50" or " 80". */
	if (colon[1] == '\0' || strlen(colon + 1) > 5 || colon[1 + strspn(colon + 1,
	    "0123456789")] != '\0' || (port = (uint32_t)atoi(colon + 1)) < 1 || port > 65535)
		return config_err_val(c, val, path, "has port \"%.8s\", not a number from 1 to 65535",
				      colon + 1);
	cfg->control.api_enabled = true;
	cfg->control.api_port = (uint16_t)port;
	/* A valid value is at most "255.255.255.255:65535": it fits. */
	snprintf(cfg->control.api_listen, sizeof(cfg->control.api_listen), "%s:%u", addr,
		 (unsigned)port);
	return 0;
}

/*
 * control.token: empty, or 16..127 printable ASCII characters without
 * blanks (it travels in an HTTP header and is typed into shells). The
 * messages never quote the value: it is a secret.
 */
static int parse_token(struct config_ctx *c, const struct config_field *f,
		       int key_line, const yaml_node_t *val, const char *path, void *at)
{
	struct stp_config *cfg = at;
	const char *v = config_node_scalar(c, val, path, "a string");
	int line = config_node_line(val);
	size_t len;

	(void)f;
	(void)key_line;
	if (v == NULL)
		return -1;
	if (config_node_is_null(val))
		v = "";
	len = strlen(v);
	if (len >= sizeof(cfg->control.token))
		return config_err(c, line, path, "is too long (%zu characters, at most %zu)", len,
				  sizeof(cfg->control.token) - 1);
	if (len > 0 && len < CFG_TOKEN_MIN)
		return config_err(c, line, path, "is too short (%zu characters, at least %d)", len,
				  CFG_TOKEN_MIN);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch <= ' ' || ch > '~')
			return config_err(c, line, path, "character %zu is %s (use printable ASCII"
					  " without spaces)", i + 1, ch == ' ' ? "a space"
					  : ch > '~' ? "not ASCII" : "a control character");
	}
	memcpy(cfg->control.token, v, len + 1);
	return 0;
}

enum { CONTROL_DATABASE, CONTROL_API_LISTEN, CONTROL_TOKEN, CONTROL_CONFIG_DIR,
       CONTROL_METRICS_PUBLIC, CONTROL_N };

static const struct config_field control_fields[CONTROL_N] = {
	[CONTROL_DATABASE] = STR("database", control.database),
	[CONTROL_API_LISTEN] = FN("api_listen", parse_api_listen, "ADDR:PORT or off"),
	[CONTROL_TOKEN] = FN("token", parse_token, "string"),
	[CONTROL_CONFIG_DIR] = STR("config_dir", control.config_dir),
	[CONTROL_METRICS_PUBLIC] = BOOL("metrics_public", control.metrics_public),
};

static int check_control(struct config_ctx *c, int key_line, const char *path,
			 const int *lines)
{
	struct stp_config *cfg = c->cfg;

	(void)key_line;
	(void)path;
	if (lines[CONTROL_DATABASE] && cfg->control.database[0] == '\0')
		return config_err(c, lines[CONTROL_DATABASE], "control.database",
				  "must not be empty");
	/* Relative would mean relative to wherever stampede was started. */
	if (lines[CONTROL_CONFIG_DIR] && cfg->control.config_dir[0] == '\0')
		return config_err(c, lines[CONTROL_CONFIG_DIR], "control.config_dir",
				  "must not be empty");
	if (lines[CONTROL_CONFIG_DIR] && cfg->control.config_dir[0] != '/')
		return config_err(c, lines[CONTROL_CONFIG_DIR], "control.config_dir",
				  "\"%.48s\" must be an absolute path", cfg->control.config_dir);
	/* Private metrics without a token: nobody could scrape them. */
	if (lines[CONTROL_METRICS_PUBLIC] && !cfg->control.metrics_public &&
	    cfg->control.token[0] == '\0')
		return config_err(c, lines[CONTROL_METRICS_PUBLIC], "control.metrics_public",
				  "false needs control.token (scrapers send it as a bearer"
				  " token); without one nobody could read /metrics");
	cfg->lines.database = lines[CONTROL_DATABASE];
	cfg->lines.config_dir = lines[CONTROL_CONFIG_DIR];
	return 0;
}

static const struct config_section control_section = { control_fields, CONTROL_N,
							check_control };

/* ---- cache, tftp ---- */

enum { CACHE_MAX_MB, CACHE_N };

static const struct config_field cache_fields[CACHE_N] = {
	[CACHE_MAX_MB] = UINT("max_mb", cache.max_mb, 1, 1048576),
};

static int check_cache(struct config_ctx *c, int key_line, const char *path,
		       const int *lines)
{
	(void)key_line;
	(void)path;
	c->cfg->lines.cache_max_mb = lines[CACHE_MAX_MB];
	return 0;
}

static const struct config_section cache_section = { cache_fields, CACHE_N, check_cache };

enum { TFTP_ENABLED, TFTP_MAX_SESSIONS, TFTP_MAX_WINDOW, TFTP_PORT_FIRST,
       TFTP_TIMEOUT_MS, TFTP_RETRIES, TFTP_N };

static const struct config_field tftp_fields[TFTP_N] = {
	[TFTP_ENABLED] = BOOL("enabled", tftp.enabled),
	[TFTP_MAX_SESSIONS] = UINT("max_sessions", tftp.max_sessions, 1, 1048576),
	[TFTP_MAX_WINDOW] = UINT("max_windowsize", tftp.max_windowsize, 1, 1024),
	[TFTP_PORT_FIRST] = U16("port_first", tftp.port_first, 1024, 65000),
	[TFTP_TIMEOUT_MS] = UINT("timeout_ms", tftp.timeout_ms, 50, 60000),
	[TFTP_RETRIES] = UINT("retries", tftp.retries, 1, 50),
};

static const struct config_section tftp_section = { tftp_fields, TFTP_N, NULL };

enum { HTTP_ENABLED, HTTP_MAX_CONNS, HTTP_RX_BUF, HTTP_HEAD_TIMEOUT, HTTP_IDLE_TIMEOUT,
       HTTP_MAX_TRANSFERS, HTTP_LARGE_OBJECT_KB, HTTP_N };

static const struct config_field http_fields[HTTP_N] = {
	[HTTP_ENABLED] = BOOL("enabled", http.enabled),
	[HTTP_MAX_CONNS] = UINT("max_conns", http.max_conns, 1, 1048576),
	[HTTP_RX_BUF] = UINT("rx_buf", http.rx_buf, 2048, 1048576),
	[HTTP_HEAD_TIMEOUT] = UINT("head_timeout_ms", http.head_timeout_ms, 100, 600000),
	[HTTP_IDLE_TIMEOUT] = UINT("idle_timeout_ms", http.idle_timeout_ms, 100, 3600000),
	[HTTP_MAX_TRANSFERS] = UINT("max_transfers", http.max_transfers, 0, 1048576),
	/* From 1 KiB: below that every script would count as large. Up to
	 * 1 GiB, the largest object a response carries (tcp_send_object()). */
	[HTTP_LARGE_OBJECT_KB] = UINT("large_object_kb", http.large_object_kb, 1, 1048576),
};

static const struct config_section http_section = { http_fields, HTTP_N, NULL };

/* ---- jobs ---- */

/*
 * jobs.max_active: 1 or more. No limit is written by leaving the key out:
 * 0 would start no job at all, and a limit of nothing is more likely a
 * slip than a wish, so it is refused with the way to say "no limit".
 */
static int parse_max_active(struct config_ctx *c, const struct config_field *f,
			    int key_line, const yaml_node_t *val, const char *path, void *at)
{
	struct stp_config *cfg = at;
	const char *v = config_node_scalar(c, val, path, "a number");

	(void)key_line;
	if (v == NULL)
		return -1;
	if (v[0] != '\0' && v[strspn(v, "0")] == '\0')
		return config_err(c, config_node_line(val), path,
				  "%.24s would let no job start (at least 1; leave the key out"
				  " for no limit)", v);
	return config_node_uint(c, val, path, f->min, f->max, &cfg->jobs.max_active);
}

enum { JOBS_MAX_ACTIVE, JOBS_SLOT_TIMEOUT, JOBS_N };

static const struct config_field jobs_fields[JOBS_N] = {
	/* A CK_FN for its own message about 0; the range is still the
	 * table's, for the parser and the key list alike. */
	[JOBS_MAX_ACTIVE] = { .key = "max_active", .kind = CK_FN, .fn = parse_max_active,
			      .what = "integer", .min = 1, .max = 1048576 },
	/* From 10 s, a little more than a script fetch ever takes; up to a
	 * day. */
	[JOBS_SLOT_TIMEOUT] = UINT("slot_timeout_s", jobs.slot_timeout_s, 10, 86400),
};

static const struct config_section jobs_section = { jobs_fields, JOBS_N, NULL };

/* ---- the document ---- */

enum { TOP_EAL, TOP_PORT, TOP_DHCP, TOP_HOSTS, TOP_BOOT, TOP_CONTROL, TOP_CACHE,
       TOP_TFTP, TOP_HTTP, TOP_JOBS, TOP_N };

static const struct config_field top_fields[TOP_N] = {
	[TOP_EAL] = SECTION("eal", eal_section),
	[TOP_PORT] = SECTION("port", port_section),
	[TOP_DHCP] = SECTION("dhcp", dhcp_section),
	[TOP_HOSTS] = LIST("hosts", parse_hosts, host_section),
	[TOP_BOOT] = SECTION("boot", boot_section),
	[TOP_CONTROL] = SECTION("control", control_section),
	[TOP_CACHE] = SECTION("cache", cache_section),
	[TOP_TFTP] = SECTION("tftp", tftp_section),
	[TOP_HTTP] = SECTION("http", http_section),
	[TOP_JOBS] = SECTION("jobs", jobs_section),
};

const struct config_section config_top_section = { top_fields, TOP_N, NULL };

/** Walk the whole document from its @a root node into c->cfg. */
int config_parse_root(struct config_ctx *c, const yaml_node_t *root)
{
	int lines[TOP_N];

	if (root->type != YAML_MAPPING_NODE)
		return config_err(c, config_node_line(root), "",
				  "the top level must be a mapping (eal:, port:, dhcp:, ...), got %s",
				  config_node_kind_name(root));
	if (config_map_walk(c, root, "", top_fields, TOP_N, c->cfg, lines) < 0)
		return -1;
	if (lines[TOP_PORT] == 0)
		return config_err(c, 1, "port", "section is required (at least port.address)");
	if (lines[TOP_BOOT] == 0)
		return config_err(c, 1, "boot", "section is required (at least boot.root)");
	return 0;
}
