/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config loader: a full file field by field, the defaults, the derived
 * pools, a table of bad files (exact line + reason), file and system
 * checks, and the shipped examples (when built with STP_SRCDIR).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

#define ERRLEN 512

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	assert_true(ipv4_parse(s, &a));
	return a;
}

static int load(struct stp_config *cfg, const char *text, char *err)
{
	return config_load_string("t.yaml", text, strlen(text), cfg, err, ERRLEN);
}

static int setup_cfg(void **state)
{
	/* ~1 MiB with 4096 hosts: the heap, as config.h asks. */
	*state = calloc(1, sizeof(struct stp_config));
	return *state == NULL ? -1 : 0;
}

static int teardown_cfg(void **state)
{
	free(*state);
	return 0;
}

static const char full_yaml[] =
	"eal:\n"                                              /* 1 */
	"  lcores: \"0-3\"\n"
	"  no_huge: yes\n"
	"  memory_mb: 512\n"
	"  mbufs: 32767\n"                                    /* 5 */
	"  file_prefix: stp-a\n"
	"port:\n"
	"  iface: veth-stp\n"
	"  driver: af_packet\n"
	"  address: 10.77.0.1/24\n"                           /* 10 */
	"  mtu: 9000\n"
	"dhcp:\n"
	"  mode: server\n"
	"  pool: 10.77.0.100 - 10.77.0.250\n"
	"  router: 10.77.0.254\n"                             /* 15 */
	"  dns: [10.77.0.1, 9.9.9.9]\n"
	"  domain: lab.example\n"
	"  lease_time: 7200\n"
	"  offer_hold: 15\n"
	"  pools:\n"                                          /* 20 */
	"    - subnet: 10.78.0.0/24\n"
	"      range: 10.78.0.10-10.78.0.200\n"
	"      router: 10.78.0.1\n"
	"      dns: 10.78.0.2\n"
	"    - subnet: 10.79.0.0/23\n"                        /* 25 */
	"      range: 10.79.0.10-10.79.1.200\n"
	"hosts:\n"
	"  - mac: 52:54:00:12:34:56\n"
	"    ip: 10.77.0.50\n"
	"    name: lab-pc-01\n"                               /* 30 */
	"  - {mac: 52-54-00-AB-CD-EF, ip: 10.78.0.5}\n"
	"boot:\n"
	"  root: /srv/stampede\n"
	"  bios: bios/undionly.kpxe\n"
	"  uefi: snponly.efi\n"                               /* 35 */
	"  uefi32: ipxe32.efi\n"
	"  arm64: arm64/ipxe.efi\n"
	"  script: menu.ipxe\n"
	"  http_port: 8080\n"
	"  no_pxedhcp: false\n"                               /* 40 */
	"  ipv6_ra: no\n"
	"control:\n"
	"  database: /tmp/stp/x.db\n"
	"  api_listen: 10.0.0.5:9090\n"
	"  token: \"s3cret-Token_0123!\"\n"
	"  config_dir: /etc/stampede\n";

static void test_full(void **state)
{
	struct stp_config *cfg = *state;
	const struct cfg_pool *p;
	char err[ERRLEN];

	assert_int_equal(load(cfg, full_yaml, err), 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg->path, "t.yaml");
	assert_string_equal(cfg->eal.lcores, "0-3");
	assert_true(cfg->eal.no_huge);
	assert_int_equal(cfg->eal.memory_mb, 512);
	assert_int_equal(cfg->eal.mbufs, 32767);
	assert_string_equal(cfg->eal.file_prefix, "stp-a");

	assert_int_equal(cfg->port.kind, CFG_PORT_IFACE);
	assert_int_equal(cfg->port.driver, CFG_DRIVER_AF_PACKET);
	assert_string_equal(cfg->port.iface, "veth-stp");
	assert_string_equal(cfg->port.pci, "");
	assert_string_equal(cfg->port.vdev, "");
	assert_int_equal(cfg->port.addr, ip("10.77.0.1"));
	assert_int_equal(cfg->port.prefix_len, 24);
	assert_int_equal(cfg->port.mtu, 9000);
	assert_int_equal(cfg->lines.iface, 8);

	assert_int_equal(cfg->dhcp.mode, CFG_DHCP_SERVER);
	assert_int_equal(cfg->dhcp.lease_time, 7200);
	assert_int_equal(cfg->dhcp.offer_hold, 15);
	assert_string_equal(cfg->dhcp.domain, "lab.example");
	assert_int_equal(cfg->dhcp.n_pools, 3);

	p = &cfg->dhcp.pools[0];
	assert_int_equal(p->subnet, ip("10.77.0.0"));
	assert_int_equal(p->prefix_len, 24);
	assert_int_equal(p->first, ip("10.77.0.100"));
	assert_int_equal(p->last, ip("10.77.0.250"));
	assert_int_equal(p->router, ip("10.77.0.254"));
	assert_int_equal(p->n_dns, 2);
	assert_int_equal(p->dns[0], ip("10.77.0.1"));
	assert_int_equal(p->dns[1], ip("9.9.9.9"));
	assert_int_equal(p->line, 14);

	p = &cfg->dhcp.pools[1];
	assert_int_equal(p->subnet, ip("10.78.0.0"));
	assert_int_equal(p->prefix_len, 24);
	assert_int_equal(p->first, ip("10.78.0.10"));
	assert_int_equal(p->last, ip("10.78.0.200"));
	assert_int_equal(p->router, ip("10.78.0.1"));
	assert_int_equal(p->n_dns, 1);
	assert_int_equal(p->dns[0], ip("10.78.0.2"));
	assert_int_equal(p->line, 21);

	/* No dns of its own: it gets dhcp.dns. No router: none. */
	p = &cfg->dhcp.pools[2];
	assert_int_equal(p->subnet, ip("10.79.0.0"));
	assert_int_equal(p->prefix_len, 23);
	assert_int_equal(p->first, ip("10.79.0.10"));
	assert_int_equal(p->last, ip("10.79.1.200"));
	assert_int_equal(p->router, 0);
	assert_int_equal(p->n_dns, 2);
	assert_int_equal(p->dns[1], ip("9.9.9.9"));
}

static void test_full_hosts_boot(void **state)
{
	struct stp_config *cfg = *state;
	char err[ERRLEN];

	assert_int_equal(load(cfg, full_yaml, err), 0);
	assert_int_equal(cfg->n_hosts, 2);
	assert_int_equal(cfg->hosts[0].mac.b[0], 0x52);
	assert_int_equal(cfg->hosts[0].mac.b[5], 0x56);
	assert_int_equal(cfg->hosts[0].ip, ip("10.77.0.50"));
	assert_string_equal(cfg->hosts[0].name, "lab-pc-01");
	assert_int_equal(cfg->hosts[0].line, 28);
	assert_int_equal(cfg->hosts[1].mac.b[3], 0xab);
	assert_int_equal(cfg->hosts[1].mac.b[5], 0xef);
	assert_int_equal(cfg->hosts[1].ip, ip("10.78.0.5"));
	assert_string_equal(cfg->hosts[1].name, "");
	assert_int_equal(cfg->hosts[1].line, 31);

	assert_string_equal(cfg->boot.root, "/srv/stampede");
	assert_string_equal(cfg->boot.bios, "bios/undionly.kpxe");
	assert_string_equal(cfg->boot.uefi, "snponly.efi");
	assert_string_equal(cfg->boot.uefi32, "ipxe32.efi");
	assert_string_equal(cfg->boot.arm64, "arm64/ipxe.efi");
	assert_string_equal(cfg->boot.script, "menu.ipxe");
	assert_int_equal(cfg->boot.http_port, 8080);
	assert_false(cfg->boot.no_pxedhcp);
	assert_false(cfg->boot.ipv6_ra);
	assert_int_equal(cfg->lines.root, 33);
	assert_string_equal(cfg->control.database, "/tmp/stp/x.db");
	assert_int_equal(cfg->lines.database, 43);
	assert_true(cfg->control.api_enabled);
	assert_string_equal(cfg->control.api_listen, "10.0.0.5:9090");
	assert_int_equal(cfg->control.api_addr, ip("10.0.0.5"));
	assert_int_equal(cfg->control.api_port, 9090);
	assert_string_equal(cfg->control.token, "s3cret-Token_0123!");
	assert_string_equal(cfg->control.config_dir, "/etc/stampede");
	assert_int_equal(cfg->lines.config_dir, 46);
}

/* api_listen "off", and config_dir following the file's directory. */
static void test_control_keys(void **state)
{
	struct stp_config *cfg = *state;
	char err[ERRLEN];
	static const char base[] = "port: {iface: stp0, address: 10.77.0.1/24}\n"
				   "dhcp: {pool: 10.77.0.10-10.77.0.20}\n"
				   "boot: {root: /srv}\n";
	static const struct { const char *name, *dir; } dirs[] = {
		{ "t.yaml", "." }, { "etc/stp/t.yaml", "etc/stp" }, { "/t.yaml", "/" },
		{ "/etc/stampede/stampede.yaml", "/etc/stampede" },
	};
	char text[512];

	snprintf(text, sizeof(text), "%scontrol:\n  api_listen: off\n  token:\n", base);
	assert_int_equal(load(cfg, text, err), 0);
	assert_false(cfg->control.api_enabled);
	assert_string_equal(cfg->control.api_listen, "off");
	assert_string_equal(cfg->control.token, "");
	assert_true(cfg->control.metrics_public);

	/* Private metrics with a token to read them by. */
	snprintf(text, sizeof(text), "%scontrol: {metrics_public: false, "
		 "token: 0123456789abcdef}\n", base);
	assert_int_equal(load(cfg, text, err), 0);
	assert_false(cfg->control.metrics_public);

	/* Leading zeros and the wildcard address are fine; 16 is enough. */
	snprintf(text, sizeof(text), "%scontrol: {api_listen: \"0.0.0.0:00080\", "
		 "token: 0123456789abcdef}\n", base);
	assert_int_equal(load(cfg, text, err), 0);
	assert_string_equal(cfg->control.api_listen, "0.0.0.0:80");
	assert_int_equal(cfg->control.api_addr, 0);
	assert_int_equal(cfg->control.api_port, 80);
	assert_string_equal(cfg->control.token, "0123456789abcdef");

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		assert_int_equal(config_load_string(dirs[i].name, base, strlen(base), cfg, err,
						    ERRLEN), 0);
		assert_string_equal(cfg->control.config_dir, dirs[i].dir);
		assert_int_equal(cfg->lines.config_dir, 0);
	}
}

static const char min_yaml[] =
	"port:\n"
	"  iface: stp0\n"
	"  address: 10.77.0.1/24\n"
	"dhcp:\n"
	"  pool: 10.77.0.100-10.77.0.250\n"
	"boot:\n"
	"  root: /srv/stampede\n";

static void test_defaults(void **state)
{
	struct stp_config *cfg = *state;
	char err[ERRLEN];

	assert_int_equal(load(cfg, min_yaml, err), 0);
	assert_string_equal(cfg->eal.lcores, "");
	assert_false(cfg->eal.no_huge);
	assert_int_equal(cfg->eal.memory_mb, 1024);
	assert_int_equal(cfg->eal.mbufs, 16383);
	assert_string_equal(cfg->eal.file_prefix, "");
	assert_int_equal(cfg->port.driver, CFG_DRIVER_AUTO);
	assert_int_equal(cfg->port.mtu, 1500);
	assert_int_equal(cfg->dhcp.mode, CFG_DHCP_SERVER);
	assert_int_equal(cfg->dhcp.lease_time, 3600);
	assert_int_equal(cfg->dhcp.offer_hold, 30);
	assert_string_equal(cfg->dhcp.domain, "");
	assert_int_equal(cfg->dhcp.n_pools, 1);
	assert_int_equal(cfg->dhcp.pools[0].router, 0);
	assert_int_equal(cfg->dhcp.pools[0].n_dns, 0);
	assert_int_equal(cfg->n_hosts, 0);
	assert_string_equal(cfg->boot.bios, "undionly.kpxe");
	assert_string_equal(cfg->boot.uefi, "ipxe.efi");
	assert_string_equal(cfg->boot.uefi32, "");
	assert_string_equal(cfg->boot.arm64, "");
	assert_string_equal(cfg->boot.script, "boot.ipxe");
	assert_int_equal(cfg->boot.http_port, 80);
	assert_true(cfg->boot.no_pxedhcp);
	assert_true(cfg->boot.ipv6_ra);
	assert_string_equal(cfg->control.database, "/var/lib/stampede/stampede.db");
	assert_int_equal(cfg->lines.database, 0);
	assert_true(cfg->control.api_enabled);
	assert_string_equal(cfg->control.api_listen, "127.0.0.1:8080");
	assert_int_equal(cfg->control.api_addr, ip("127.0.0.1"));
	assert_int_equal(cfg->control.api_port, 8080);
	assert_string_equal(cfg->control.token, "");
	assert_string_equal(cfg->control.config_dir, ".");
	assert_int_equal(cfg->http.max_transfers, 0);
	assert_int_equal(cfg->http.large_object_kb, 1024);

	/* HTTP admission keys */
	assert_int_equal(load(cfg, "port: {iface: stp0, address: 10.77.0.1/24}\n"
			      "dhcp: {pool: 10.77.0.10-10.77.0.20}\n"
			      "boot: {root: /srv}\n"
			      "http: {max_transfers: 2, large_object_kb: 64}\n", err), 0);
	assert_int_equal(cfg->http.max_transfers, 2);
	assert_int_equal(cfg->http.large_object_kb, 64);

	/* Job slots: no limit unless given. */
	assert_int_equal(load(cfg, "port: {iface: stp0, address: 10.77.0.1/24}\n"
			      "dhcp: {pool: 10.77.0.10-10.77.0.20}\n"
			      "boot: {root: /srv}\n", err), 0);
	assert_int_equal(cfg->jobs.max_active, 0);
	assert_int_equal(cfg->jobs.slot_timeout_s, 600);
	assert_int_equal(load(cfg, "port: {iface: stp0, address: 10.77.0.1/24}\n"
			      "dhcp: {pool: 10.77.0.10-10.77.0.20}\n"
			      "boot: {root: /srv}\n"
			      "jobs: {max_active: 2, slot_timeout_s: 90}\n", err), 0);
	assert_int_equal(cfg->jobs.max_active, 2);
	assert_int_equal(cfg->jobs.slot_timeout_s, 90);

	/* Without hugepages the memory default drops, unless given. */
	assert_int_equal(load(cfg, "eal:\n  no_huge: True\n"
			      "port: {iface: stp0, address: 10.77.0.1/24}\n"
			      "dhcp: {pool: 10.77.0.10-10.77.0.20}\n"
			      "boot: {root: /srv}\n", err), 0);
	assert_int_equal(cfg->eal.memory_mb, 256);
	assert_int_equal(load(cfg, "eal: {no_huge: true, memory_mb: \"2048\"}\n"
			      "port: {iface: stp0, address: 10.77.0.1/24}\n"
			      "dhcp: {pool: 10.77.0.10-10.77.0.20}\n"
			      "boot: {root: /srv}\n", err), 0);
	assert_int_equal(cfg->eal.memory_mb, 2048);
}

static void test_port_kinds(void **state)
{
	struct stp_config *cfg = *state;
	char err[ERRLEN];

	assert_int_equal(load(cfg, "port:\n  pci: 0000:3b:00.0\n  address: 10.77.0.1/24\n"
			      "dhcp: {mode: off}\nboot: {root: /srv}\n", err), 0);
	assert_int_equal(cfg->port.kind, CFG_PORT_PCI);
	assert_string_equal(cfg->port.pci, "0000:3b:00.0");
	assert_int_equal(load(cfg, "port:\n  pci: 3b:1f.7\n  driver: auto\n"
			      "  address: 10.77.0.1/24\n"
			      "dhcp: {mode: off}\nboot: {root: /srv}\n", err), 0);
	assert_int_equal(load(cfg, "port:\n  vdev: \"net_memif0,role=server,socket=/run/s.sock\"\n"
			      "  address: 10.77.0.1/24\n"
			      "dhcp: {mode: off}\nboot: {root: /srv}\n", err), 0);
	assert_int_equal(cfg->port.kind, CFG_PORT_VDEV);
	assert_string_equal(cfg->port.vdev, "net_memif0,role=server,socket=/run/s.sock");
	assert_int_equal(cfg->dhcp.mode, CFG_DHCP_OFF);
}

/* Proxy mode needs no range; [0] still describes the local subnet. */
static void test_proxy_without_pool(void **state)
{
	struct stp_config *cfg = *state;
	char err[ERRLEN];

	assert_int_equal(load(cfg, "port: {iface: stp0, address: 192.168.1.7/16}\n"
			      "dhcp: {mode: proxy, dns: 192.168.0.1}\n"
			      "boot: {root: /srv}\n", err), 0);
	assert_int_equal(cfg->dhcp.mode, CFG_DHCP_PROXY);
	assert_int_equal(cfg->dhcp.n_pools, 1);
	assert_int_equal(cfg->dhcp.pools[0].subnet, ip("192.168.0.0"));
	assert_int_equal(cfg->dhcp.pools[0].prefix_len, 16);
	assert_int_equal(cfg->dhcp.pools[0].first, 0);
	assert_int_equal(cfg->dhcp.pools[0].last, 0);
	assert_int_equal(cfg->dhcp.pools[0].n_dns, 1);
}

/* Without dhcp.pool, a pools: entry for the local subnet becomes [0]. */
static void test_local_pool_from_list(void **state)
{
	struct stp_config *cfg = *state;
	char err[ERRLEN];

	assert_int_equal(load(cfg,
			      "port: {iface: stp0, address: 10.77.0.1/24}\n"
			      "dhcp:\n"
			      "  router: 10.77.0.254\n"
			      "  dns: [10.77.0.1]\n"
			      "  pools:\n"
			      "    - {subnet: 10.78.0.0/24, range: 10.78.0.10-10.78.0.20}\n"
			      "    - {subnet: 10.77.0.0/24, range: 10.77.0.10-10.77.0.20, dns: []}\n"
			      "    - {subnet: 10.79.0.0/24, range: 10.79.0.10-10.79.0.20}\n"
			      "boot: {root: /srv}\n", err), 0);
	assert_int_equal(cfg->dhcp.n_pools, 3);
	assert_int_equal(cfg->dhcp.pools[0].subnet, ip("10.77.0.0"));
	assert_int_equal(cfg->dhcp.pools[0].first, ip("10.77.0.10"));
	assert_int_equal(cfg->dhcp.pools[0].router, ip("10.77.0.254"));
	assert_int_equal(cfg->dhcp.pools[0].n_dns, 0);
	assert_int_equal(cfg->dhcp.pools[0].line, 7);
	assert_int_equal(cfg->dhcp.pools[1].subnet, ip("10.78.0.0"));
	assert_int_equal(cfg->dhcp.pools[1].n_dns, 1);
	assert_int_equal(cfg->dhcp.pools[2].subnet, ip("10.79.0.0"));

	/* Its messages name the entry it came from. */
	assert_int_equal(load(cfg,
			      "port: {iface: stp0, address: 10.77.0.1/24}\n"
			      "dhcp:\n"
			      "  pools:\n"
			      "    - subnet: 10.77.0.0/24\n"
			      "      range: 10.77.0.1-10.77.0.20\n"
			      "boot: {root: /srv}\n", err), -1);
	assert_non_null(strstr(err, "t.yaml:5: dhcp.pools[0].range: "));
	assert_non_null(strstr(err, "server address 10.77.0.1"));
}

static void test_pool_for(void **state)
{
	struct stp_config *cfg = *state;
	char err[ERRLEN];

	assert_int_equal(load(cfg, full_yaml, err), 0);
	assert_ptr_equal(config_pool_for(cfg, ip("10.77.0.9")), &cfg->dhcp.pools[0]);
	assert_ptr_equal(config_pool_for(cfg, ip("10.78.0.255")), &cfg->dhcp.pools[1]);
	assert_ptr_equal(config_pool_for(cfg, ip("10.79.1.3")), &cfg->dhcp.pools[2]);
	assert_null(config_pool_for(cfg, ip("10.80.0.1")));
	assert_null(config_pool_for(cfg, ip("10.76.255.255")));
}

struct bad_case {
	const char *text;
	int line;
	const char *reason; /* substring after "t.yaml:LINE: " */
};

#define PORT "port:\n  iface: stp0\n  address: 10.77.0.1/24\n"   /* lines 1-3 */
#define BOOT "boot:\n  root: /srv/stampede\n"                    /* 2 lines */
#define DHCP "dhcp:\n  pool: 10.77.0.100-10.77.0.250\n"          /* 2 lines */
#define HOST(mac, a) "  - mac: " mac "\n    ip: " a "\n"          /* 2 lines */

static const struct bad_case bad_cases[] = {
	/* YAML itself */
	{ PORT BOOT "dhcp:\n  pool: \"10.77.0.100\n", 7, "YAML syntax: found unexpected end of stream" },
	{ "port:\n\tiface: stp0\n", 2, "YAML syntax: found character that cannot start any token" },
	{ PORT BOOT "dhcp:\n  pool: *nope\n", 7, "YAML syntax: found undefined alias" },
	{ PORT BOOT DHCP "---\nport: {}\n", 9, "only one YAML document" },
	{ "- a\n- b\n", 1, "the top level must be a mapping" },
	{ "# nothing but a comment\n", 1, "no configuration" },
	{ "", 1, "no configuration" },
	/* cache, tftp, port.zero_copy */
	{ PORT BOOT DHCP "cache:\n  max_mb: 2000\n", 9, "cache.max_mb: 2000 MB does not fit eal.memory_mb 1024" },
	{ PORT BOOT DHCP "tftp:\n  max_windowsize: 0\n", 9, "tftp.max_windowsize" },
	{ PORT BOOT DHCP "tftp:\n  port_first: 80\n", 9, "tftp.port_first" },
	{ PORT BOOT DHCP "tftp:\n  enabled: maybe\n", 9, "tftp.enabled" },
	{ PORT BOOT DHCP "tftp:\n  windowsize: 8\n", 9, "tftp.windowsize: unknown key (expected one of: enabled, max_sessions, max_windowsize" },
	{ "port:\n  iface: stp0\n  address: 10.77.0.1/24\n  zero_copy: sometimes\n" BOOT DHCP, 4, "port.zero_copy: \"sometimes\" is not a zero-copy mode (use auto, on or off)" },
	/* keys */
	{ PORT BOOT "dchp:\n  pool: 10.77.0.100-10.77.0.250\n", 6, "dchp: unknown key (did you mean \"dhcp\"?)" },
	{ PORT BOOT DHCP "  lease: 60\n", 8, "dhcp.lease: unknown key (did you mean \"lease_time\"?)" },
	{ PORT BOOT DHCP "  dsn: [1.1.1.1]\n", 8, "did you mean \"dns\"?" },
	{ PORT BOOT DHCP "eal:\n  colour: blue\n", 9, "eal.colour: unknown key (expected one of: lcores, no_huge" },
	{ "port:\n  iface: stp0\n  iface: stp1\n  address: 10.77.0.1/24\n" BOOT DHCP, 3,
	  "port.iface: duplicate key (first given at line 2)" },
	{ PORT BOOT DHCP "port:\n  iface: stp1\n", 8, "port: duplicate key (first given at line 1)" },
	{ BOOT DHCP, 1, "port: section is required" },
	{ PORT DHCP, 1, "boot: section is required" },
	/* types and ranges */
	{ PORT BOOT DHCP "eal:\n  memory_mb: lots\n", 9, "eal.memory_mb: \"lots\" is not a number" },
	{ PORT BOOT DHCP "eal:\n  memory_mb: 32\n", 9, "eal.memory_mb: 32 is out of range (64..1048576)" },
	{ PORT BOOT DHCP "eal:\n  mbufs: 1024MB\n", 9, "eal.mbufs: \"1024MB\" is not a number" },
	{ PORT BOOT DHCP "eal:\n  mbufs: -5\n", 9, "eal.mbufs: -5 is out of range" },
	{ PORT BOOT DHCP "eal:\n  mbufs: 99999999999999999999\n", 9, "is out of range (1023..4194303)" },
	{ PORT BOOT DHCP "eal:\n  no_huge: maybe\n", 9, "eal.no_huge: \"maybe\" is not a boolean" },
	{ PORT BOOT DHCP "eal:\n  lcores: [1, 2]\n", 9, "eal.lcores: expected a string, got a list" },
	{ PORT BOOT DHCP "eal:\n  lcores: \"0-1;2\"\n", 9, "eal.lcores: \"0-1;2\" is not an lcore list" },
	{ PORT BOOT DHCP "eal:\n  file_prefix: a/b\n", 9, "eal.file_prefix: \"a/b\" may only hold" },
	{ PORT BOOT DHCP "eal: 5\n", 8, "eal: expected a mapping of keys, got a single value" },
	/* port */
	{ "port:\n  address: 10.77.0.1/24\n" BOOT DHCP, 1, "port: give exactly one of iface, pci, vdev" },
	{ "port:\n  iface: stp0\n  pci: \"0000:3b:00.0\"\n  address: 10.77.0.1/24\n" BOOT DHCP, 3,
	  "port: give exactly one of iface, pci, vdev" },
	{ "port:\n  pci: 0000:3b:00.0\n  driver: af_xdp\n  address: 10.77.0.1/24\n" BOOT DHCP, 3,
	  "port.driver: only applies to port.iface" },
	{ "port:\n  iface: stp0\n  driver: dpdk\n  address: 10.77.0.1/24\n" BOOT DHCP, 3,
	  "port.driver: \"dpdk\" is not a driver" },
	{ "port:\n  pci: \"3b:00\"\n  address: 10.77.0.1/24\n" BOOT DHCP, 2, "port.pci: \"3b:00\" is not a PCI address" },
	{ "port:\n  iface: averyveryverylongname0\n  address: 10.77.0.1/24\n" BOOT DHCP, 2,
	  "port.iface: \"averyveryverylongname0\" is too long (at most 15 characters)" },
	{ "port:\n  iface: \"a b\"\n  address: 10.77.0.1/24\n" BOOT DHCP, 2, "is not an interface name" },
	{ "port:\n  iface: stp0\n  address: 10.77.0.1\n" BOOT DHCP, 3,
	  "port.address: \"10.77.0.1\" is not an address/prefix" },
	{ "port:\n  iface: stp0\n  address: 10.77.0.0/24\n" BOOT DHCP, 3, "is the network address" },
	{ "port:\n  iface: stp0\n  address: 10.77.0.255/24\n" BOOT DHCP, 3, "is the broadcast address" },
	{ "port:\n  iface: stp0\n" BOOT DHCP, 1, "port.address: is required" },
	{ "port:\n  iface: stp0\n  address: 10.77.0.1/24\n  mtu: 100\n" BOOT DHCP, 4,
	  "port.mtu: 100 is out of range (576..9000)" },
	/* the local pool */
	{ PORT BOOT "dhcp:\n  pool: 10.77.0.250-10.77.0.100\n", 7, "dhcp.pool: 10.77.0.250-10.77.0.100 is backwards" },
	{ PORT BOOT "dhcp:\n  pool: 10.78.0.100-10.78.0.200\n", 7,
	  "dhcp.pool: 10.78.0.100 is outside the server subnet 10.77.0.0/24" },
	{ PORT BOOT "dhcp:\n  pool: 10.77.0.100-10.77.1.20\n", 7, "10.77.1.20 is outside the server subnet" },
	{ PORT BOOT "dhcp:\n  pool: 10.77.0.1-10.77.0.20\n", 7, "includes the server address 10.77.0.1" },
	{ PORT BOOT "dhcp:\n  pool: 10.77.0.0-10.77.0.20\n", 7, "includes the network address 10.77.0.0" },
	{ PORT BOOT "dhcp:\n  pool: 10.77.0.200-10.77.0.255\n", 7, "includes the broadcast address 10.77.0.255" },
	{ PORT BOOT "dhcp:\n  pool: 10.77.0.100\n", 7, "dhcp.pool: \"10.77.0.100\" is not a range" },
	{ PORT BOOT "dhcp:\n  router: 10.77.0.1\n", 6, "dhcp.pool: is required in server mode" },
	{ PORT BOOT, 3, "dhcp.pool: is required in server mode" },
	{ PORT BOOT DHCP "  router: 10.78.0.1\n", 8, "dhcp.router: 10.78.0.1 is outside the subnet 10.77.0.0/24" },
	{ PORT BOOT DHCP "  router: 10.77.0.120\n", 7, "includes the router 10.77.0.120" },
	{ PORT BOOT DHCP "  dns: [1.1.1.1, 1.1.1.2, 1.1.1.3, 1.1.1.4, 1.1.1.5]\n", 8,
	  "dhcp.dns: too many DNS servers (at most 4)" },
	{ PORT BOOT DHCP "  dns:\n    - 10.77.0.1\n    - bogus\n", 10, "dhcp.dns: \"bogus\" is not an IPv4 address" },
	{ PORT BOOT DHCP "  lease_time: 10\n", 8, "dhcp.lease_time: 10 is out of range (60..31536000)" },
	{ PORT BOOT DHCP "  offer_hold: 0\n", 8, "dhcp.offer_hold: 0 is out of range (1..3600)" },
	{ PORT BOOT DHCP "  mode: relay\n", 8, "dhcp.mode: \"relay\" is not a mode" },
	{ PORT BOOT DHCP "  domain: \"lab example\"\n", 8, "dhcp.domain: \"lab example\" is not a domain name" },
	/* dhcp.pools */
	{ PORT BOOT DHCP "  pools:\n    - subnet: 10.77.0.0/25\n      range: 10.77.0.10-10.77.0.20\n", 9,
	  "dhcp.pools[0].subnet: 10.77.0.0/25 overlaps the local subnet 10.77.0.0/24" },
	{ PORT BOOT DHCP "  pools:\n    - subnet: 10.77.0.0/24\n      range: 10.77.0.10-10.77.0.20\n", 9,
	  "overlaps the local subnet" },
	{ PORT BOOT DHCP "  pools:\n"
	  "    - {subnet: 10.78.0.0/24, range: 10.78.0.10-10.78.0.20}\n"
	  "    - {subnet: 10.78.0.128/25, range: 10.78.0.130-10.78.0.140}\n", 10,
	  "dhcp.pools[1].subnet: 10.78.0.128/25 overlaps dhcp.pools[0].subnet 10.78.0.0/24 (line 9)" },
	{ PORT BOOT DHCP "  pools:\n    - subnet: 10.78.0.0/24\n      range: 10.79.0.10-10.79.0.20\n", 10,
	  "dhcp.pools[0].range: 10.79.0.10 is outside its subnet 10.78.0.0/24" },
	{ PORT BOOT DHCP "  pools:\n    - subnet: 10.78.0.0/24\n      router: 10.78.0.1\n", 9,
	  "dhcp.pools[0]: range is required" },
	{ PORT BOOT DHCP "  pools:\n    - subnet: 10.78.0.5/24\n", 9,
	  "dhcp.pools[0].subnet: \"10.78.0.5/24\" has host bits set (the subnet would be 10.78.0.0/24)" },
	{ PORT BOOT DHCP "  pools:\n    - subnet: 10.78.0.0/24\n      range: 10.78.0.10-10.78.0.20\n"
	  "      router: 10.79.0.1\n", 11, "dhcp.pools[0].router: 10.79.0.1 is outside the subnet 10.78.0.0/24" },
	{ PORT BOOT DHCP "  pools:\n    - 10.78.0.0/24\n", 9, "dhcp.pools[0]: expected a mapping with subnet and range" },
	{ PORT BOOT DHCP "  pools:\n    - {subnet: 10.78.0.0/24, range: 10.78.0.10-10.78.0.20, gw: 1.2.3.4}\n", 9,
	  "dhcp.pools[0].gw: unknown key" },
	/* hosts */
	{ PORT BOOT DHCP "hosts:\n" HOST("52:54:00:12:34:56", "10.99.0.5"), 10,
	  "hosts[0].ip: 10.99.0.5 is outside every pool subnet" },
	{ PORT BOOT DHCP "hosts:\n" HOST("52:54:00:12:34:56", "10.77.0.50") HOST("52:54:00:12:34:56", "10.77.0.51"), 11,
	  "hosts[1].mac: 52:54:00:12:34:56 is already reserved at line 9" },
	{ PORT BOOT DHCP "hosts:\n" HOST("52:54:00:12:34:56", "10.77.0.50") HOST("52:54:00:12:34:57", "10.77.0.50"), 12,
	  "hosts[1].ip: 10.77.0.50 is already reserved at line 10" },
	{ PORT BOOT DHCP "hosts:\n" HOST("52:54:00:12:34:56", "10.77.0.1"), 10,
	  "hosts[0].ip: 10.77.0.1 is the server's own address" },
	{ PORT BOOT DHCP "hosts:\n" HOST("52:54:00:12:34:56", "10.77.0.255"), 10, "broadcast" },
	{ PORT BOOT DHCP "hosts:\n" HOST("52:54:00:12:34", "10.77.0.50"), 9,
	  "hosts[0].mac: \"52:54:00:12:34\" is not a MAC address" },
	{ PORT BOOT DHCP "hosts:\n  - mac: 52:54:00:12:34:56\n", 9, "hosts[0]: ip is required" },
	{ PORT BOOT DHCP "hosts:\n" HOST("52:54:00:12:34:56", "10.77.0.50") "    name: \"bad name\"\n", 11,
	  "hosts[0].name: \"bad name\" is not a host name" },
	{ PORT BOOT DHCP "hosts:\n  mac: 52:54:00:12:34:56\n", 9, "hosts: expected a list, got a mapping" },
	/* boot, control */
	{ PORT DHCP "boot:\n  bios: x.kpxe\n", 6, "boot.root: is required" },
	{ PORT DHCP "boot:\n  root: srv\n", 7, "boot.root: \"srv\" must be an absolute path" },
	{ PORT DHCP BOOT "  bios: /etc/passwd\n", 8, "boot.bios: \"/etc/passwd\" must be relative" },
	{ PORT DHCP BOOT "  uefi: efi/../../x.efi\n", 8, "boot.uefi: \"efi/../../x.efi\" must not contain \"..\"" },
	{ PORT DHCP BOOT "  script: \"my menu.ipxe\"\n", 8, "contains a blank or control character" },
	{ PORT DHCP BOOT "  uefi: \"\"\n", 8, "boot.uefi: must not be empty" },
	{ PORT DHCP BOOT "  http_port: 70000\n", 8, "boot.http_port: 70000 is out of range (1..65535)" },
	{ PORT DHCP BOOT "control:\n  database: \"\"\n", 9, "control.database: must not be empty" },
	{ PORT DHCP BOOT "control:\n  api_listen: 8080\n", 9,
	  "control.api_listen: \"8080\" is not ADDR:PORT like 127.0.0.1:8080 (or off)" },
	{ PORT DHCP BOOT "control:\n  api_listen: localhost:8080\n", 9,
	  "control.api_listen: \"localhost:8080\" has \"localhost\", which is not an IPv4 address" },
	{ PORT DHCP BOOT "control:\n  api_listen: \"127.0.0.1:0\"\n", 9,
	  "control.api_listen: \"127.0.0.1:0\" has port \"0\", not a number from 1 to 65535" },
	{ PORT DHCP BOOT "control:\n  api_listen: \"127.0.0.1:65536\"\n", 9, "has port \"65536\"" },
	{ PORT DHCP BOOT "control:\n  api_listen: \"127.0.0.1:\"\n", 9, "has port \"\"" },
	{ PORT DHCP BOOT "control:\n  api_listen: \"127.0.0.1:+80\"\n", 9, "has port \"+80\"" },
	{ PORT DHCP BOOT "control:\n  api_listen: \"[::1]:8080\"\n", 9, "is not an IPv4 address" },
	{ PORT DHCP BOOT "control:\n  api_listen: [127.0.0.1, 8080]\n", 9,
	  "control.api_listen: expected ADDR:PORT or off, got a list" },
	{ PORT DHCP BOOT "control:\n  token: short\n", 9,
	  "control.token: is too short (5 characters, at least 16)" },
	{ PORT DHCP BOOT "control:\n  token: \"0123456789 abcdef\"\n", 9,
	  "control.token: character 11 is a space (use printable ASCII without spaces)" },
	{ PORT DHCP BOOT "control:\n  token: \"0123456789abcdef\\t\"\n", 9,
	  "control.token: character 17 is a control character" },
	{ PORT DHCP BOOT "control:\n  token: \"0123456789abcdef\u00e9\"\n", 9,
	  "control.token: character 17 is not ASCII" },
	{ PORT DHCP BOOT "control:\n  token: \"" "0123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789" "0123456789012345678901234567890123456789"
	  "01234567\"\n", 9, "control.token: is too long (128 characters, at most 127)" },
	{ PORT DHCP BOOT "control:\n  database: /x.db\n  config_dir: etc\n", 10,
	  "control.config_dir: \"etc\" must be an absolute path" },
	{ PORT DHCP BOOT "control:\n  config_dir: \"\"\n", 9, "control.config_dir: must not be empty" },
	{ PORT DHCP BOOT "control:\n  metrics_public: false\n", 9,
	  "control.metrics_public: false needs control.token" },
	{ PORT DHCP BOOT "control:\n  metrics_public: maybe\n", 9,
	  "control.metrics_public: \"maybe\" is not" },
	{ PORT DHCP BOOT "control:\n  tokn: 0123456789abcdef\n", 9,
	  "control.tokn: unknown key (did you mean \"token\"?)" },
	/* http admission */
	{ PORT DHCP BOOT "http:\n  max_transfers: -1\n", 9,
	  "http.max_transfers: -1 is out of range (0..1048576)" },
	{ PORT DHCP BOOT "http:\n  max_transfers: two\n", 9,
	  "http.max_transfers: \"two\" is not a number" },
	{ PORT DHCP BOOT "http:\n  max_transfers: 2.5\n", 9,
	  "http.max_transfers: \"2.5\" is not a number" },
	{ PORT DHCP BOOT "http:\n  max_transfers: 2000000\n", 9,
	  "http.max_transfers: 2000000 is out of range (0..1048576)" },
	{ PORT DHCP BOOT "http:\n  max_transfers: [2]\n", 9,
	  "http.max_transfers: expected a number, got a list" },
	{ PORT DHCP BOOT "http:\n  enabled: true\n  large_object_kb: -4\n", 10,
	  "http.large_object_kb: -4 is out of range (1..1048576)" },
	{ PORT DHCP BOOT "http:\n  large_object_kb: 0\n", 9,
	  "http.large_object_kb: 0 is out of range (1..1048576)" },
	{ PORT DHCP BOOT "http:\n  large_object_kb: 1MB\n", 9,
	  "http.large_object_kb: \"1MB\" is not a number" },
	{ PORT DHCP BOOT "http:\n  max_transfer: 2\n", 9,
	  "http.max_transfer: unknown key (did you mean \"max_transfers\"?)" },
	/* job slots: no limit is the key left out, never 0 */
	{ PORT DHCP BOOT "jobs:\n  max_active: 0\n", 9,
	  "jobs.max_active: 0 would let no job start (at least 1; leave the key out for"
	  " no limit)" },
	{ PORT DHCP BOOT "jobs:\n  slot_timeout_s: 60\n  max_active: 000\n", 10,
	  "jobs.max_active: 000 would let no job start" },
	{ PORT DHCP BOOT "jobs:\n  max_active: -2\n", 9,
	  "jobs.max_active: -2 is out of range (1..1048576)" },
	{ PORT DHCP BOOT "jobs:\n  max_active: two\n", 9,
	  "jobs.max_active: \"two\" is not a number" },
	{ PORT DHCP BOOT "jobs:\n  max_active: 1.5\n", 9,
	  "jobs.max_active: \"1.5\" is not a number" },
	{ PORT DHCP BOOT "jobs:\n  max_active: \"\"\n", 9,
	  "jobs.max_active: \"\" is not a number" },
	{ PORT DHCP BOOT "jobs:\n  max_active: [2]\n", 9,
	  "jobs.max_active: expected a number, got a list" },
	{ PORT DHCP BOOT "jobs:\n  max_active: 2000000\n", 9,
	  "jobs.max_active: 2000000 is out of range (1..1048576)" },
	{ PORT DHCP BOOT "jobs:\n  slot_timeout_s: 5\n", 9,
	  "jobs.slot_timeout_s: 5 is out of range (10..86400)" },
	{ PORT DHCP BOOT "jobs:\n  slot_timeout_s: -600\n", 9,
	  "jobs.slot_timeout_s: -600 is out of range (10..86400)" },
	{ PORT DHCP BOOT "jobs:\n  slot_timeout_s: 10m\n", 9,
	  "jobs.slot_timeout_s: \"10m\" is not a number" },
	{ PORT DHCP BOOT "jobs:\n  max_actives: 2\n", 9,
	  "jobs.max_actives: unknown key (did you mean \"max_active\"?)" },
	{ PORT DHCP BOOT "jobs: 4\n", 8, "jobs: expected a mapping" },
};

static void test_bad_files(void **state)
{
	struct stp_config *cfg = *state;
	unsigned failed = 0;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		char err[ERRLEN], want[64];
		int rc = load(cfg, b->text, err);

		snprintf(want, sizeof(want), "t.yaml:%d: ", b->line);
		/* Report every case that fails, not only the first. */
		if (rc != -1 || strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, b->reason) == NULL || strchr(err, '\n') != NULL) {
			print_error("case %zu: rc %d, got \"%s\", want \"%s...%s\"\n", i, rc,
				    err, want, b->reason);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* Strings that do not fit are refused, never cut. */
static void test_too_long(void **state)
{
	struct stp_config *cfg = *state;
	size_t n = 300;
	char *text = malloc(n + 200), err[ERRLEN];

	assert_non_null(text);
	snprintf(text, n + 200, PORT BOOT DHCP "  domain: %0300d\n", 0);
	memset(strstr(text, "domain: ") + 8, 'a', n);
	assert_int_equal(load(cfg, text, err), -1);
	assert_non_null(strstr(err, "t.yaml:8: dhcp.domain: \"aaaa"));
	assert_non_null(strstr(err, "...\" is too long (at most 255 characters)"));
	free(text);

	/* A NUL inside a quoted value would cut a C string short. */
	{
		static const char nul[] = PORT BOOT DHCP "  domain: \"ab\\0cd\"\n";

		assert_int_equal(load(cfg, nul, err), -1);
		assert_non_null(strstr(err, "t.yaml:8: dhcp.domain: contains a NUL byte"));
	}
}

/* Text with a growing list of @a n items built by @a item. */
static char *build_list(const char *head, unsigned n,
			void (*item)(char *buf, size_t size, unsigned i))
{
	size_t cap = strlen(head) + (size_t)n * 128 + 64, o;
	char *t = malloc(cap);

	assert_non_null(t);
	o = (size_t)snprintf(t, cap, "%s", head);
	for (unsigned i = 0; i < n; i++) {
		item(t + o, cap - o, i);
		o += strlen(t + o);
	}
	return t;
}

static void host_item(char *buf, size_t size, unsigned i)
{
	snprintf(buf, size, "  - {mac: \"02:00:00:00:%02x:%02x\", ip: 10.64.%u.%u, name: h%u}\n",
		 i >> 8, i & 255, 1 + i / 250, 1 + i % 250, i);
}

static void pool_item(char *buf, size_t size, unsigned i)
{
	snprintf(buf, size, "    - {subnet: 10.100.%u.0/24, range: 10.100.%u.10-10.100.%u.20}\n",
		 i, i, i);
}

static void test_limits(void **state)
{
	static const char head[] = "port: {iface: stp0, address: 10.64.0.1/16}\n"
				   "dhcp: {pool: 10.64.0.10-10.64.0.200}\n"
				   "boot: {root: /srv}\n"
				   "hosts:\n";
	struct stp_config *cfg = *state;
	char err[ERRLEN], *t;

	t = build_list(head, CFG_MAX_HOSTS, host_item);
	assert_int_equal(load(cfg, t, err), 0);
	assert_int_equal(cfg->n_hosts, CFG_MAX_HOSTS);
	free(t);

	t = build_list(head, CFG_MAX_HOSTS + 1, host_item);
	assert_int_equal(load(cfg, t, err), -1);
	assert_non_null(strstr(err, "t.yaml:4101: hosts: too many hosts (at most 4096)"));
	free(t);

	t = build_list("port: {iface: stp0, address: 10.77.0.1/24}\n"
		       "boot: {root: /srv}\n"
		       "dhcp:\n  pool: 10.77.0.10-10.77.0.20\n  pools:\n",
		       CFG_MAX_POOLS - 1, pool_item);
	assert_int_equal(load(cfg, t, err), 0);
	assert_int_equal(cfg->dhcp.n_pools, CFG_MAX_POOLS);
	free(t);

	t = build_list("port: {iface: stp0, address: 10.77.0.1/24}\n"
		       "boot: {root: /srv}\n"
		       "dhcp:\n  pool: 10.77.0.10-10.77.0.20\n  pools:\n",
		       CFG_MAX_POOLS, pool_item);
	assert_int_equal(load(cfg, t, err), -1);
	assert_non_null(strstr(err, "t.yaml:69: dhcp.pools: too many pools (at most 63)"));
	free(t);
}

/* A short error buffer gets a cut, terminated line. */
static void test_short_err(void **state)
{
	struct stp_config *cfg = *state;
	char err[12];

	memset(err, 'x', sizeof(err));
	assert_int_equal(config_load_string("t.yaml", "- a\n", 4, cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "t.yaml:1: t");
	assert_int_equal(config_load_string("t.yaml", "- a\n", 4, cfg, err, 0), -1);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void test_files(void **state)
{
	struct stp_config *cfg = *state;
	char dir[] = "/tmp/stp-config-XXXXXX", path[PATH_MAX], err[ERRLEN];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	assert_int_equal(config_load(path, cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing.yaml: cannot open: No such file or directory"));

	assert_int_equal(config_load(dir, cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is a directory"));

	snprintf(path, sizeof(path), "%s/empty.yaml", dir);
	write_file(path, "");
	assert_int_equal(config_load(path, cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty.yaml:1: no configuration"));
	unlink(path);

	snprintf(path, sizeof(path), "%s/good.yaml", dir);
	write_file(path, full_yaml);
	assert_int_equal(config_load(path, cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg->path, path);
	assert_int_equal(cfg->n_hosts, 2);

	write_file(path, PORT BOOT "dhcp:\n  pool: 10.78.0.100-10.78.0.200\n");
	assert_int_equal(config_load(path, cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "good.yaml:7: dhcp.pool: 10.78.0.100 is outside the server subnet"));
	unlink(path);
	rmdir(dir);
}

static void test_check_system(void **state)
{
	struct stp_config *cfg = *state;
	char dir[] = "/tmp/stp-config-XXXXXX", text[1024], path[PATH_MAX], err[ERRLEN];

	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text),
		 "port:\n  iface: lo\n  address: 10.77.0.1/24\n" DHCP
		 "boot:\n  root: %s\ncontrol:\n  database: %s/a/b/s.db\n", dir, dir);
	assert_int_equal(load(cfg, text, err), 0);
	assert_int_equal(config_check_system(cfg, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	assert_int_equal(access(path, W_OK), 0);

	snprintf(cfg->port.iface, sizeof(cfg->port.iface), "nosuchif9");
	assert_int_equal(config_check_system(cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.yaml:2: port.iface: interface \"nosuchif9\" does not exist"));
	assert_non_null(strstr(err, "ip link"));
	snprintf(cfg->port.iface, sizeof(cfg->port.iface), "lo");

	snprintf(cfg->boot.root, sizeof(cfg->boot.root), "%s/none", dir);
	assert_int_equal(config_check_system(cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.yaml:7: boot.root: "));
	assert_non_null(strstr(err, "No such file or directory"));

	/* A file where the directory should be, for root and database. */
	snprintf(path, sizeof(path), "%s/file", dir);
	write_file(path, "x");
	snprintf(cfg->boot.root, sizeof(cfg->boot.root), "%s", path);
	assert_int_equal(config_check_system(cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not a directory"));
	snprintf(cfg->boot.root, sizeof(cfg->boot.root), "%s", dir);
	snprintf(cfg->control.database, sizeof(cfg->control.database), "%s/file/s.db", dir);
	assert_int_equal(config_check_system(cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.yaml:9: control.database: cannot create directory"));

	unlink(path);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_examples(void **state)
{
#ifdef STP_SRCDIR
	struct stp_config *cfg = *state;
	char err[ERRLEN];

	assert_int_equal(config_load(STP_SRCDIR "/examples/lab.yaml", cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->port.kind, CFG_PORT_IFACE);
	assert_string_equal(cfg->port.iface, "stp0");
	assert_int_equal(cfg->port.addr, ip("10.77.0.1"));
	assert_int_equal(cfg->port.prefix_len, 24);
	assert_int_equal(cfg->dhcp.pools[0].first, ip("10.77.0.100"));
	assert_int_equal(cfg->dhcp.pools[0].last, ip("10.77.0.250"));
	assert_int_equal(cfg->dhcp.pools[0].router, ip("10.77.0.1"));
	assert_int_equal(cfg->dhcp.pools[0].n_dns, 1);
	assert_true(cfg->eal.no_huge);
	assert_string_equal(cfg->boot.root, "/srv/stampede");
	assert_string_equal(cfg->control.database, "/var/lib/stampede/stampede.db");

	assert_int_equal(config_load(STP_SRCDIR "/examples/full.yaml", cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->dhcp.n_pools, 3);
	assert_int_equal(cfg->n_hosts, 2);
	assert_string_equal(cfg->control.api_listen, "127.0.0.1:8080");
	assert_string_equal(cfg->control.token, "");
	assert_string_equal(cfg->control.config_dir, STP_SRCDIR "/examples");
#else
	(void)state;
	skip();
#endif
}

/* ---- every key the parser accepts is documented ---- */

#ifdef STP_SRCDIR /* the helpers read the source tree's files */
#define DOC_KEYS_MAX 256
#define DOC_KEY_LEN 96

struct doc_keys {
	char k[DOC_KEYS_MAX][DOC_KEY_LEN];
	unsigned n;
};

static void doc_add(struct doc_keys *d, const char *key)
{
	assert_true(d->n < DOC_KEYS_MAX);
	snprintf(d->k[d->n++], DOC_KEY_LEN, "%s", key);
}

static bool doc_has(const struct doc_keys *d, const char *key)
{
	for (unsigned i = 0; i < d->n; i++)
		if (strcmp(d->k[i], key) == 0)
			return true;
	return false;
}

static void add_parser_key(void *ctx, const struct config_key *k)
{
	doc_add(ctx, k->path);
}

/* A line of full.yaml that is a key, written or commented out ("# pci: ..."):
 * the key's column in *@a col, whether it is a list item's first key
 * ("- subnet:") in *@a item, the key in @a key. */
static bool yaml_key_line(const char *line, int *col, bool *item, char *key, size_t size)
{
	const char *p = line + strspn(line, " ");
	size_t n;

	*col = (int)(p - line);
	if (*p == '#') /* a commented-out key counts: "# pci:" beside "iface:" */
		p += p[1] == ' ' ? 2 : 1;
	*item = strncmp(p, "- ", 2) == 0;
	if (*item)
		p += 2;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
	if (n == 0 || n >= size || p[n] != ':' || (p[n + 1] != ' ' && p[n + 1] != '\n' &&
						     p[n + 1] != '\0'))
		return false;
	if (*item)
		*col = (int)(p - line);
	memcpy(key, p, n);
	key[n] = '\0';
	return true;
}

/* Every key full.yaml holds, by indentation, as config_each_key() names
 * them ("dhcp.pools[].subnet"). Comment lines that happen to look like a
 * key only add keys nobody asks for. */
static void full_yaml_keys(const char *path, struct doc_keys *d)
{
	struct { int col; bool list; char key[32]; } st[8];
	char line[512], key[32], full[DOC_KEY_LEN];
	unsigned depth = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		int col;
		bool item;
		size_t o = 0;

		if (!yaml_key_line(line, &col, &item, key, sizeof(key)))
			continue;
		while (depth > 0 && st[depth - 1].col >= col - (item ? 2 : 0))
			depth--;
		if (item && depth > 0)
			st[depth - 1].list = true;
		full[0] = '\0';
		for (unsigned i = 0; i < depth; i++)
			o += (size_t)snprintf(full + o, sizeof(full) - o, "%s%s%s", st[i].key,
					      st[i].list ? "[]" : "", ".");
		snprintf(full + o, sizeof(full) - o, "%s", key);
		doc_add(d, full);
		if (depth < 8) {
			st[depth].col = col;
			st[depth].list = false;
			snprintf(st[depth].key, sizeof(st[depth].key), "%s", key);
			depth++;
		}
	}
	fclose(f);
}

/* The `key` names in the first column of README.md's configuration table. */
static void readme_keys(const char *path, struct doc_keys *d)
{
	char line[2048];
	bool in = false;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *cell, *end, *p;

		if (strncmp(line, "## ", 3) == 0 || strncmp(line, "### ", 4) == 0)
			in = strcmp(line, "## Configuration reference\n") == 0;
		if (!in || strncmp(line, "| `", 3) != 0)
			continue;
		cell = line + 1;
		end = strchr(cell, '|');
		assert_non_null(end);
		*end = '\0';
		for (p = strchr(cell, '`'); p != NULL; p = strchr(end + 1, '`')) {
			end = strchr(p + 1, '`');
			assert_non_null(end);
			*end = '\0';
			doc_add(d, p + 1);
		}
	}
	fclose(f);
}
#endif

/*
 * full.yaml (which says it has every key) and the README's table hold
 * every key the parser accepts, the table no key it does not, and
 * full.yaml loads.
 */
static void test_keys_documented(void **state)
{
#ifdef STP_SRCDIR
	static struct doc_keys parser, yaml, readme;
	struct stp_config *cfg = *state;
	char err[ERRLEN];
	unsigned missing = 0;

	parser.n = yaml.n = readme.n = 0;
	config_each_key(add_parser_key, &parser);
	assert_true(doc_has(&parser, "eal.lcores") && doc_has(&parser, "dhcp.pools[].subnet") &&
		    doc_has(&parser, "hosts") && doc_has(&parser, "http.large_object_kb"));
	full_yaml_keys(STP_SRCDIR "/examples/full.yaml", &yaml);
	readme_keys(STP_SRCDIR "/../README.md", &readme);
	for (unsigned i = 0; i < parser.n; i++) {
		if (!doc_has(&yaml, parser.k[i])) {
			print_error("%s: not in config/examples/full.yaml\n", parser.k[i]);
			missing++;
		}
		if (!doc_has(&readme, parser.k[i])) {
			print_error("%s: not in README.md's configuration table\n", parser.k[i]);
			missing++;
		}
	}
	for (unsigned i = 0; i < readme.n; i++) {
		if (!doc_has(&parser, readme.k[i])) {
			print_error("%s: in README.md's configuration table, but no key\n",
				    readme.k[i]);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
	assert_int_equal(config_load(STP_SRCDIR "/examples/full.yaml", cfg, err, sizeof(err)), 0);
#else
	(void)state;
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_full_hosts_boot),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_control_keys),
		cmocka_unit_test(test_port_kinds),
		cmocka_unit_test(test_proxy_without_pool),
		cmocka_unit_test(test_local_pool_from_list),
		cmocka_unit_test(test_pool_for),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_short_err),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_check_system),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_keys_documented),
	};

	return cmocka_run_group_tests(tests, setup_cfg, teardown_cfg);
}
