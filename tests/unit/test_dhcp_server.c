/* SPDX-License-Identifier: BSD-3-Clause */
/* The DHCP/ProxyDHCP state machine: whole exchanges, byte-exact replies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"
#include "dhcp_server.h"
#include "dhcp_wire.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define T0 1700000000ull
#define SERVER IP(10, 0, 0, 1)

struct pkt {
	uint8_t b[1500];
	size_t len;
};

struct fx {
	struct stp_config *cfg;
	struct dhcp_server *s;
	uint8_t txbuf[1500];
	struct dhcp_tx tx;
	struct dhcp_event evbuf[8];
	struct dhcp_events ev;
	struct dhcp_rx rx;
	bool manual_persist;    /* false: feed() plays a store that keeps up */
};

static const struct mac_addr relay_mac = { { 0x02, 0xee, 0, 0, 0, 1 } };

static struct mac_addr mac(unsigned n)
{
	struct mac_addr m = { { 0x52, 0x54, 0, 0, (uint8_t)(n >> 8), (uint8_t)n } };
	return m;
}

/* ---- request construction ---------------------------------------------- */

static void opt(struct pkt *p, uint8_t code, const void *v, size_t len)
{
	p->b[p->len++] = code;
	p->b[p->len++] = (uint8_t)len;
	memcpy(p->b + p->len, v, len);
	p->len += len;
}

static void opt_ip(struct pkt *p, uint8_t code, uint32_t ip)
{
	uint8_t be[4];

	put_be32(be, ip);
	opt(p, code, be, 4);
}

static void req(struct pkt *p, uint8_t type, unsigned macn, uint16_t flags)
{
	struct mac_addr m = mac(macn);

	memset(p, 0, sizeof(*p));
	p->b[DHCP_OFF_OP] = BOOTREQUEST;
	p->b[DHCP_OFF_HTYPE] = 1;
	p->b[DHCP_OFF_HLEN] = 6;
	put_be32(p->b + DHCP_OFF_XID, 0x11223344); /* EDK2 guests share xids */
	put_be16(p->b + DHCP_OFF_FLAGS, flags);
	memcpy(p->b + DHCP_OFF_CHADDR, m.b, 6);
	put_be32(p->b + DHCP_OFF_MAGIC, DHCP_MAGIC);
	p->len = DHCP_HDR_LEN;
	opt(p, DHCP_OPT_MSG_TYPE, &type, 1);
}

static void set_ip(struct pkt *p, size_t off, uint32_t ip)
{
	put_be32(p->b + off, ip);
}

/* EDK2 as captured (docs/design.md, "What real clients send"):
 * 57 = 1472, 55, 97, 94, 93, 60. */
static void edk2(struct pkt *p, uint8_t type, unsigned macn, uint16_t arch)
{
	static const uint8_t prl[] = { 1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23,
				       28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60,
				       66, 67, 97, 128, 129, 130, 131, 132, 133,
				       134, 135 };
	static const uint8_t ndi[] = { 1, 3, 0 };
	static const uint8_t mms[] = { 0x05, 0xc0 };
	uint8_t uuid[17], a[2];
	char vc[40];

	for (int i = 0; i < 17; i++)
		uuid[i] = (uint8_t)(i == 0 ? 0 : 0xa0 + i);
	put_be16(a, arch);
	snprintf(vc, sizeof(vc), "PXEClient:Arch:%05u:UNDI:003000", arch);
	req(p, type, macn, DHCP_FLAG_BROADCAST);
	opt(p, DHCP_OPT_MAX_MSG_SIZE, mms, 2);
	opt(p, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	opt(p, DHCP_OPT_CLIENT_UUID, uuid, 17);
	opt(p, DHCP_OPT_CLIENT_NDI, ndi, 3);
	opt(p, DHCP_OPT_CLIENT_ARCH, a, 2);
	opt(p, DHCP_OPT_VENDOR_CLASS, vc, strlen(vc));
}

/* iPXE: 53,57,93,94,60,77,55,175,61,97; 77 the bare string, no broadcast. */
static void ipxe(struct pkt *p, uint8_t type, unsigned macn)
{
	static const uint8_t prl[] = { 1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67,
				       119, 128, 129, 130, 131, 132, 133, 134,
				       135, 175, 203 };
	static const uint8_t mms[] = { 0x05, 0xc0 }, arch[] = { 0, 7 };
	static const uint8_t enc[] = { 177, 5, 1, 0x80, 0x86, 0x10, 0x0e };
	static const char vc[] = "PXEClient:Arch:00007:UNDI:003010";
	uint8_t cid[7] = { 1 }, uuid[17] = { 0 };
	struct mac_addr m = mac(macn);

	memcpy(cid + 1, m.b, 6);
	req(p, type, macn, 0);
	opt(p, DHCP_OPT_MAX_MSG_SIZE, mms, 2);
	opt(p, DHCP_OPT_CLIENT_ARCH, arch, 2);
	opt(p, DHCP_OPT_VENDOR_CLASS, vc, sizeof(vc) - 1);
	opt(p, DHCP_OPT_USER_CLASS, "iPXE", 4);
	opt(p, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	opt(p, DHCP_OPT_IPXE_ENCAP, enc, sizeof(enc));
	opt(p, DHCP_OPT_CLIENT_ID, cid, 7);
	opt(p, DHCP_OPT_CLIENT_UUID, uuid, 17);
}

static void end(struct pkt *p)
{
	p->b[p->len++] = DHCP_OPT_END;
}

/* ---- fixture ------------------------------------------------------------ */

static void fill_cfg(struct stp_config *cfg)
{
	cfg->port.addr = SERVER;
	cfg->port.prefix_len = 24;
	cfg->dhcp.mode = CFG_DHCP_SERVER;
	cfg->dhcp.lease_time = 3600;
	cfg->dhcp.offer_hold = 30;
	strcpy(cfg->dhcp.domain, "lab.example");
	cfg->dhcp.n_pools = 2;
	cfg->dhcp.pools[0] = (struct cfg_pool){ .subnet = IP(10, 0, 0, 0), .prefix_len = 24,
		.first = IP(10, 0, 0, 100), .last = IP(10, 0, 0, 199),
		.router = IP(10, 0, 0, 254), .dns = { IP(10, 0, 0, 53), IP(10, 0, 0, 54) },
		.n_dns = 2 };
	cfg->dhcp.pools[1] = (struct cfg_pool){ .subnet = IP(10, 1, 0, 0), .prefix_len = 24,
		.first = IP(10, 1, 0, 10), .last = IP(10, 1, 0, 12), .router = IP(10, 1, 0, 1) };
	cfg->n_hosts = 2;
	cfg->hosts[0].mac = mac(500);
	cfg->hosts[0].ip = IP(10, 0, 0, 50);
	strcpy(cfg->hosts[0].name, "node50");
	cfg->hosts[1].mac = mac(501);
	cfg->hosts[1].ip = IP(10, 0, 0, 150);
	strcpy(cfg->boot.bios, "undionly.kpxe");
	strcpy(cfg->boot.uefi, "ipxe.efi");
	strcpy(cfg->boot.arm64, "arm64/snponly.efi");
	strcpy(cfg->boot.script, "boot.ipxe");
	cfg->boot.http_port = 80;
	cfg->boot.no_pxedhcp = true;
}

static void fx_start(struct fx *f)
{
	f->s = dhcp_server_create(f->cfg);
	assert_non_null(f->s);
	f->tx.buf = f->txbuf;
	f->tx.cap = sizeof(f->txbuf);
	f->ev.ev = f->evbuf;
	f->ev.cap = 8;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->cfg = calloc(1, sizeof(*f->cfg));
	fill_cfg(f->cfg);
	fx_start(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	dhcp_server_destroy(f->s);
	free(f->cfg);
	free(f);
	return 0;
}

/* Restart with a changed config. */
static void fx_restart(struct fx *f)
{
	dhcp_server_destroy(f->s);
	fx_start(f);
}

/* The highest lease sequence number among the queued events, 0 if none. */
static uint64_t ev_seq_max(const struct fx *f)
{
	uint64_t seq = 0;

	for (unsigned i = 0; i < f->ev.n; i++)
		seq = f->evbuf[i].seq > seq ? f->evbuf[i].seq : seq;
	return seq;
}

/*
 * Control persisted every lease event up to @a seq; the held ACK that
 * may go now, if any, lands in f->tx as a reply of dhcp_server_input()
 * would. @return 1 with a reply, 0 without.
 */
static int persist(struct fx *f, uint64_t seq)
{
	f->tx.buf = f->txbuf;
	f->tx.cap = sizeof(f->txbuf);
	dhcp_server_set_persisted(f->s, seq);
	if (!dhcp_server_release_ready(f->s))
		return 0;
	return dhcp_server_release(f->s, &f->tx);
}

static int feed_port(struct fx *f, struct pkt *p, uint64_t now, uint16_t dport)
{
	int rc;

	f->rx.payload = span_make(p->b, p->len);
	f->rx.src_mac = mac(0);
	memcpy(f->rx.src_mac.b, p->b + DHCP_OFF_CHADDR, 6);
	f->rx.src_ip = get_be32(p->b + DHCP_OFF_CIADDR);
	f->rx.dst_ip = 0xffffffff;
	f->rx.src_port = 68;
	f->rx.dst_port = dport;
	memset(&f->tx.dst_mac, 0, sizeof(f->tx.dst_mac));
	f->tx.dst_ip = 0;
	rc = dhcp_server_input(f->s, &f->rx, now, &f->tx, &f->ev);
	/* A store that keeps up: the held ACK goes as soon as it is built. */
	if (rc == 0 && !f->manual_persist)
		rc = persist(f, ev_seq_max(f));
	return rc;
}

static int feed(struct fx *f, struct pkt *p, uint64_t now)
{
	return feed_port(f, p, now, DHCP_SERVER_PORT);
}

#define CNT(f, name) (dhcp_server_counters((f)->s)->name)

/* ---- reply inspection --------------------------------------------------- */

/* Concatenated value of every instance of @a code (RFC 3396), -1 if absent. */
static int ropt(const struct fx *f, uint8_t code, uint8_t *out)
{
	const uint8_t *p = f->txbuf + DHCP_OFF_OPTIONS;
	size_t rem = f->tx.len - DHCP_OFF_OPTIONS;
	int len = -1;

	while (rem > 0 && p[0] != DHCP_OPT_END) {
		if (p[0] == DHCP_OPT_PAD) {
			p++;
			rem--;
			continue;
		}
		assert_true(rem >= 2 && rem - 2 >= p[1]);
		if (p[0] == code) {
			if (out != NULL)
				memcpy(out + (len < 0 ? 0 : len), p + 2, p[1]);
			len = (len < 0 ? 0 : len) + p[1];
		}
		rem -= 2u + p[1];
		p += 2u + p[1];
	}
	assert_true(rem > 0); /* END present */
	return len;
}

static uint32_t ropt_u32(const struct fx *f, uint8_t code)
{
	uint8_t v[256];

	assert_int_equal(ropt(f, code, v), 4);
	return get_be32(v);
}

static void assert_opt_str(const struct fx *f, uint8_t code, const char *s)
{
	uint8_t v[1024];

	assert_int_equal(ropt(f, code, v), (int)strlen(s));
	assert_memory_equal(v, s, strlen(s));
}

static uint8_t rtype(const struct fx *f)
{
	uint8_t v[4];

	assert_int_equal(ropt(f, DHCP_OPT_MSG_TYPE, v), 1);
	return v[0];
}

static uint32_t rfield(const struct fx *f, size_t off)
{
	return get_be32(f->txbuf + off);
}

static void assert_bcast(const struct fx *f)
{
	static const uint8_t ff[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	assert_int_equal(f->tx.dst_ip, 0xffffffff);
	assert_memory_equal(f->tx.dst_mac.b, ff, 6);
	assert_int_equal(f->tx.dst_port, 68);
	assert_int_equal(f->tx.src_port, 67);
}

/* ---- server mode ---------------------------------------------------------- */

static void test_dora_edk2(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint8_t v[64];
	struct mac_addr m = mac(1);

	edk2(&p, DHCPDISCOVER, 1, 7);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_true(f->tx.len >= 300 && f->tx.len <= 1472 - 28);
	assert_int_equal(f->txbuf[DHCP_OFF_OP], BOOTREPLY);
	assert_int_equal(f->txbuf[DHCP_OFF_HOPS], 0);
	assert_int_equal(rfield(f, DHCP_OFF_XID), 0x11223344);
	assert_int_equal(get_be16(f->txbuf + DHCP_OFF_FLAGS), 0x8000);
	assert_int_equal(rfield(f, DHCP_OFF_CIADDR), 0);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), IP(10, 0, 0, 100));
	assert_int_equal(rfield(f, DHCP_OFF_SIADDR), SERVER);
	assert_memory_equal(f->txbuf + DHCP_OFF_CHADDR, m.b, 6);
	assert_string_equal((const char *)f->txbuf + DHCP_OFF_FILE, "ipxe.efi");
	assert_memory_equal(f->txbuf + DHCP_OFF_OPTIONS, "\x35\x01\x02", 3);
	assert_int_equal(ropt_u32(f, DHCP_OPT_SERVER_ID), SERVER);
	assert_int_equal(ropt_u32(f, DHCP_OPT_LEASE_TIME), 3600);
	assert_int_equal(ropt_u32(f, DHCP_OPT_T1), 1800);
	assert_int_equal(ropt_u32(f, DHCP_OPT_T2), 3150);
	assert_int_equal(ropt_u32(f, DHCP_OPT_SUBNET_MASK), 0xffffff00);
	assert_int_equal(ropt_u32(f, DHCP_OPT_ROUTER), IP(10, 0, 0, 254));
	assert_int_equal(ropt(f, DHCP_OPT_DNS, v), 8);
	assert_memory_equal(v, "\x0a\x00\x00\x35\x0a\x00\x00\x36", 8);
	assert_opt_str(f, DHCP_OPT_DOMAIN, "lab.example");
	assert_int_equal(ropt_u32(f, DHCP_OPT_BROADCAST), IP(10, 0, 0, 255));
	assert_opt_str(f, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	assert_opt_str(f, DHCP_OPT_TFTP_SERVER, "10.0.0.1");
	assert_opt_str(f, DHCP_OPT_BOOTFILE, "ipxe.efi");
	assert_int_equal(ropt(f, DHCP_OPT_CLIENT_UUID, v), 17);
	assert_memory_equal(v, p.b + 240 + 3 + 4 + 37 + 2, 17);
	assert_int_equal(ropt(f, DHCP_OPT_IPXE_ENCAP, NULL), -1);
	assert_int_equal(ropt(f, DHCP_OPT_VENDOR, NULL), -1);
	assert_int_equal(ropt(f, DHCP_OPT_HOSTNAME, NULL), -1);
	assert_bcast(f);
	assert_int_equal(CNT(f, offer), 1);
	assert_int_equal(f->ev.n, 0); /* an OFFER commits nothing */

	/* ~3.8 s later: REQUEST (SELECTING) naming us and the offer */
	edk2(&p, DHCPREQUEST, 1, 7);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	opt_ip(&p, DHCP_OPT_REQ_IP, IP(10, 0, 0, 100));
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 4), 1);
	assert_int_equal(rtype(f), DHCPACK);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), IP(10, 0, 0, 100));
	assert_int_equal(rfield(f, DHCP_OFF_SIADDR), SERVER);
	assert_string_equal((const char *)f->txbuf + DHCP_OFF_FILE, "ipxe.efi");
	assert_int_equal(ropt_u32(f, DHCP_OPT_LEASE_TIME), 3600);
	assert_opt_str(f, DHCP_OPT_BOOTFILE, "ipxe.efi");
	assert_bcast(f);
	assert_int_equal(f->ev.n, 2);
	assert_int_equal(f->evbuf[0].type, DHCP_EV_BOUND);
	assert_int_equal(f->evbuf[0].ip, IP(10, 0, 0, 100));
	assert_int_equal(f->evbuf[0].expires, T0 + 4 + 3600);
	assert_memory_equal(f->evbuf[0].mac.b, m.b, 6);
	assert_int_equal(f->evbuf[1].type, DHCP_EV_PXE_ANSWERED);
	assert_int_equal(f->evbuf[1].client_kind, DHCP_CLIENT_PXE);
	assert_int_equal(f->evbuf[1].arch, 7);
	assert_int_equal(CNT(f, ack), 1);
	assert_int_equal(CNT(f, rx), 2);
	assert_int_equal(CNT(f, tx), 2);
}

struct arch_case {
	uint16_t arch;
	bool in_93;
	const char *file;       /* NULL: no boot information */
};

static void test_arch_boot_files(void **state)
{
	static const struct arch_case cases[] = {
		{ 0, true, "undionly.kpxe" }, { 7, true, "ipxe.efi" },
		{ 9, true, "ipxe.efi" }, { 6, true, NULL }, /* uefi32 unset */
		{ 11, true, "arm64/snponly.efi" }, { 16, true, NULL },
		{ 0, false, "undionly.kpxe" }, /* from "PXEClient:Arch:00000" */
		{ 9, false, "ipxe.efi" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct arch_case *c = &cases[i];
		struct pkt p;

		edk2(&p, DHCPDISCOVER, 10 + (unsigned)i, c->arch);
		if (!c->in_93) { /* drop option 93 (the 4 bytes before 60) */
			size_t vc_at = p.len - 34;
			memmove(p.b + vc_at - 4, p.b + vc_at, 34);
			p.len -= 4;
		}
		end(&p);
		assert_int_equal(feed(f, &p, T0), 1);
		if (c->file == NULL) {
			assert_int_equal(ropt(f, DHCP_OPT_BOOTFILE, NULL), -1);
			assert_int_equal(ropt(f, DHCP_OPT_TFTP_SERVER, NULL), -1);
			assert_int_equal(rfield(f, DHCP_OFF_SIADDR), 0);
			assert_int_equal(f->txbuf[DHCP_OFF_FILE], 0);
		} else {
			assert_opt_str(f, DHCP_OPT_BOOTFILE, c->file);
			assert_string_equal((const char *)f->txbuf + DHCP_OFF_FILE, c->file);
		}
	}
}

static void test_ipxe_url(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint8_t v[8];

	ipxe(&p, DHCPDISCOVER, 2);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_string_equal((const char *)f->txbuf + DHCP_OFF_FILE,
			    "http://10.0.0.1/boot.ipxe");
	assert_opt_str(f, DHCP_OPT_BOOTFILE, "http://10.0.0.1/boot.ipxe");
	assert_int_equal(ropt(f, DHCP_OPT_IPXE_ENCAP, v), 3);
	assert_memory_equal(v, "\xb0\x01\x01", 3); /* 176 no-pxedhcp = 1 */
	assert_int_equal(ropt(f, DHCP_OPT_VENDOR_CLASS, NULL), -1);
	/* no broadcast flag: unicast to yiaddr and chaddr */
	assert_int_equal(f->tx.dst_ip, IP(10, 0, 0, 100));
	assert_memory_equal(f->tx.dst_mac.b, mac(2).b, 6);

	/* RFC 3004 length-prefixed form, and a non-default HTTP port */
	f->cfg->boot.http_port = 8080;
	fx_restart(f);
	req(&p, DHCPDISCOVER, 3, 0);
	opt(&p, DHCP_OPT_USER_CLASS, "\x04iPXE", 5);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_opt_str(f, DHCP_OPT_BOOTFILE, "http://10.0.0.1:8080/boot.ipxe");

	/* boot.no_pxedhcp: false (to measure the wait) leaves 175 out */
	f->cfg->boot.no_pxedhcp = false;
	fx_restart(f);
	ipxe(&p, DHCPDISCOVER, 4);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_opt_str(f, DHCP_OPT_BOOTFILE, "http://10.0.0.1:8080/boot.ipxe");
	assert_int_equal(ropt(f, DHCP_OPT_IPXE_ENCAP, NULL), -1);
}

/* A script URL over 255 bytes: RFC 3396 split of 67, 'file' left empty. */
static void test_long_url_split(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint8_t v[400];
	char want[400];
	int n = 0;

	memset(f->cfg->boot.script, 's', 250);
	f->cfg->boot.script[250] = '\0';
	f->cfg->port.addr = IP(192, 168, 100, 100);
	f->cfg->boot.http_port = 65535;
	f->cfg->dhcp.pools[0].subnet = IP(192, 168, 100, 0);
	f->cfg->dhcp.pools[0].first = IP(192, 168, 100, 10);
	f->cfg->dhcp.pools[0].last = IP(192, 168, 100, 20);
	fx_restart(f);
	snprintf(want, sizeof(want), "http://192.168.100.100:65535/%s", f->cfg->boot.script);
	ipxe(&p, DHCPDISCOVER, 2);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_int_equal(ropt(f, DHCP_OPT_BOOTFILE, v), (int)strlen(want));
	assert_memory_equal(v, want, strlen(want));
	assert_int_equal(f->txbuf[DHCP_OFF_FILE], 0);
	for (size_t i = DHCP_OFF_OPTIONS; f->txbuf[i] != 255; i += 2u + f->txbuf[i + 1])
		n += f->txbuf[i] == DHCP_OPT_BOOTFILE;
	assert_int_equal(n, 2);
	assert_int_equal(CNT(f, opt_dropped_size), 0);
}

static void test_returning_mac(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t a;

	/* DORA for MAC 1 */
	edk2(&p, DHCPDISCOVER, 1, 0);
	end(&p);
	feed(f, &p, T0);
	a = rfield(f, DHCP_OFF_YIADDR);
	edk2(&p, DHCPREQUEST, 1, 0);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	opt_ip(&p, DHCP_OPT_REQ_IP, a);
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 1), 1);
	assert_int_equal(rtype(f), DHCPACK);
	/* RELEASE, then others come and go: MAC 1 still gets a */
	req(&p, DHCPRELEASE, 1, 0);
	set_ip(&p, DHCP_OFF_CIADDR, a);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	end(&p);
	f->ev.n = 0;
	assert_int_equal(feed(f, &p, T0 + 10), 0);
	assert_int_equal(f->ev.n, 1);
	assert_int_equal(f->evbuf[0].type, DHCP_EV_RELEASED);
	assert_int_equal(f->evbuf[0].ip, a);
	for (unsigned n = 2; n < 6; n++) {
		edk2(&p, DHCPDISCOVER, n, 0);
		end(&p);
		feed(f, &p, T0 + 20);
		assert_int_not_equal(rfield(f, DHCP_OFF_YIADDR), a);
	}
	edk2(&p, DHCPDISCOVER, 1, 0);
	end(&p);
	feed(f, &p, T0 + 30);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), a);
	/* and after its lease expired long ago */
	feed(f, &p, T0 + 30 * 86400);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), a);
}

/* Pool 1 (three addresses) through a relay: exhaustion is counted. */
static void test_relay_and_exhaustion(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint8_t v[64];
	static const uint8_t o82[] = { 1, 4, 'e', 't', 'h', '0', 2, 2, 0xbe, 0xef };

	for (unsigned n = 1; n <= 4; n++) {
		req(&p, DHCPDISCOVER, n, DHCP_FLAG_BROADCAST);
		p.b[DHCP_OFF_HOPS] = 1;
		set_ip(&p, DHCP_OFF_GIADDR, IP(10, 1, 0, 1));
		opt(&p, DHCP_OPT_RELAY_AGENT, o82, sizeof(o82));
		end(&p);
		f->rx.src_mac = relay_mac;
		if (n == 4) {
			assert_int_equal(feed(f, &p, T0), 0);
			break;
		}
		assert_int_equal(feed(f, &p, T0), 1);
		assert_int_equal(rfield(f, DHCP_OFF_YIADDR), IP(10, 1, 0, 9 + n));
		assert_int_equal(rfield(f, DHCP_OFF_GIADDR), IP(10, 1, 0, 1));
		assert_int_equal(f->txbuf[DHCP_OFF_HOPS], 0);
		assert_int_equal(ropt_u32(f, DHCP_OPT_ROUTER), IP(10, 1, 0, 1));
		assert_int_equal(ropt(f, DHCP_OPT_DNS, NULL), -1); /* pool 1 has none */
		assert_int_equal(ropt(f, DHCP_OPT_RELAY_AGENT, v), (int)sizeof(o82));
		assert_memory_equal(v, o82, sizeof(o82));
		assert_int_equal(f->tx.dst_ip, IP(10, 1, 0, 1));
		assert_int_equal(f->tx.dst_port, 67);
		assert_int_equal(f->tx.src_port, 67);
	}
	assert_int_equal(CNT(f, drop_pool_full), 1);
	/* a relay for a subnet we do not serve */
	req(&p, DHCPDISCOVER, 9, 0);
	set_ip(&p, DHCP_OFF_GIADDR, IP(172, 16, 0, 1));
	end(&p);
	assert_int_equal(feed(f, &p, T0), 0);
	assert_int_equal(CNT(f, drop_no_pool), 1);
}

static void test_relay_dst_mac(void **state)
{
	struct fx *f = *state;
	struct pkt p;

	req(&p, DHCPDISCOVER, 1, 0);
	set_ip(&p, DHCP_OFF_GIADDR, IP(10, 1, 0, 1));
	end(&p);
	f->rx.payload = span_make(p.b, p.len);
	f->rx.src_mac = relay_mac;
	f->rx.dst_port = 67;
	assert_int_equal(dhcp_server_input(f->s, &f->rx, T0, &f->tx, &f->ev), 1);
	assert_memory_equal(f->tx.dst_mac.b, relay_mac.b, 6);
}

static void test_reservation(void **state)
{
	struct fx *f = *state;
	struct pkt p;

	edk2(&p, DHCPDISCOVER, 500, 0);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), IP(10, 0, 0, 50));
	assert_opt_str(f, DHCP_OPT_HOSTNAME, "node50");
	/* .150 is MAC 501's: 100 other clients never get it */
	for (unsigned n = 1; n <= 99; n++) {
		req(&p, DHCPDISCOVER, n, 0);
		end(&p);
		assert_int_equal(feed(f, &p, T0), 1);
		assert_int_not_equal(rfield(f, DHCP_OFF_YIADDR), IP(10, 0, 0, 150));
	}
	req(&p, DHCPDISCOVER, 100, 0);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 0); /* 100 addresses, one reserved */
	req(&p, DHCPDISCOVER, 501, 0);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), IP(10, 0, 0, 150));
	assert_int_equal(ropt(f, DHCP_OPT_HOSTNAME, NULL), -1); /* no name set */
}

static uint32_t dora(struct fx *f, unsigned n, uint64_t now)
{
	struct pkt p;
	uint32_t a;

	req(&p, DHCPDISCOVER, n, 0);
	end(&p);
	assert_int_equal(feed(f, &p, now), 1);
	a = rfield(f, DHCP_OFF_YIADDR);
	req(&p, DHCPREQUEST, n, 0);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	opt_ip(&p, DHCP_OPT_REQ_IP, a);
	end(&p);
	assert_int_equal(feed(f, &p, now), 1);
	assert_int_equal(rtype(f), DHCPACK);
	return a;
}

static void test_decline(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t a = dora(f, 1, T0);

	req(&p, DHCPDECLINE, 1, 0);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	opt_ip(&p, DHCP_OPT_REQ_IP, a);
	end(&p);
	f->ev.n = 0;
	assert_int_equal(feed(f, &p, T0 + 1), 0);
	assert_int_equal(f->ev.n, 1);
	assert_int_equal(f->evbuf[0].type, DHCP_EV_DECLINED);
	assert_int_equal(f->evbuf[0].expires, T0 + 1 + 3600);
	assert_int_not_equal(dora(f, 1, T0 + 2), a);
	assert_int_equal(CNT(f, decline), 1);
}

static void test_renew_rebind_reboot(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t a = dora(f, 1, T0);

	/* RENEWING: unicast, ciaddr set, no 50/54 */
	req(&p, DHCPREQUEST, 1, 0);
	set_ip(&p, DHCP_OFF_CIADDR, a);
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 1800), 1);
	assert_int_equal(rtype(f), DHCPACK);
	assert_int_equal(rfield(f, DHCP_OFF_CIADDR), a);
	assert_int_equal(f->tx.dst_ip, a);
	assert_memory_equal(f->tx.dst_mac.b, mac(1).b, 6);
	/* REBINDING: broadcast bit; still to ciaddr (RFC 2131 sec 4.1) */
	put_be16(p.b + DHCP_OFF_FLAGS, DHCP_FLAG_BROADCAST);
	assert_int_equal(feed(f, &p, T0 + 3200), 1);
	assert_int_equal(rtype(f), DHCPACK);
	/* another MAC renewing that address: NAK, broadcast */
	memcpy(p.b + DHCP_OFF_CHADDR, mac(2).b, 6);
	assert_int_equal(feed(f, &p, T0 + 3200), 1);
	assert_int_equal(rtype(f), DHCPNAK);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), 0);
	assert_int_equal(ropt_u32(f, DHCP_OPT_SERVER_ID), SERVER);
	assert_int_equal(ropt(f, DHCP_OPT_LEASE_TIME, NULL), -1);
	assert_bcast(f);
	/* INIT-REBOOT: its own address -> ACK */
	req(&p, DHCPREQUEST, 1, 0);
	opt_ip(&p, DHCP_OPT_REQ_IP, a);
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 9000), 1);
	assert_int_equal(rtype(f), DHCPACK);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), a);
	/* wrong subnet -> NAK */
	req(&p, DHCPREQUEST, 1, 0);
	opt_ip(&p, DHCP_OPT_REQ_IP, IP(192, 168, 1, 5));
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 9000), 1);
	assert_int_equal(rtype(f), DHCPNAK);
	/* known client, not its address -> NAK */
	req(&p, DHCPREQUEST, 1, 0);
	opt_ip(&p, DHCP_OPT_REQ_IP, a + 1);
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 9000), 1);
	assert_int_equal(rtype(f), DHCPNAK);
	/* a client we know nothing of: MUST remain silent */
	req(&p, DHCPREQUEST, 77, 0);
	opt_ip(&p, DHCP_OPT_REQ_IP, IP(10, 0, 0, 180));
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 9000), 0);
	assert_int_equal(CNT(f, nak), 3);
}

static void test_select_other_server(void **state)
{
	struct fx *f = *state;
	struct pkt p;

	req(&p, DHCPDISCOVER, 1, 0);
	end(&p);
	feed(f, &p, T0);
	req(&p, DHCPREQUEST, 1, 0);
	opt_ip(&p, DHCP_OPT_SERVER_ID, IP(10, 0, 0, 2));
	opt_ip(&p, DHCP_OPT_REQ_IP, IP(10, 0, 0, 77));
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 1), 0);
	assert_int_equal(CNT(f, drop_not_ours), 1);
	/* SELECTING an address that is not what we offered: NAK */
	req(&p, DHCPREQUEST, 2, 0);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	opt_ip(&p, DHCP_OPT_REQ_IP, IP(10, 0, 0, 150)); /* MAC 501's */
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 1), 1);
	assert_int_equal(rtype(f), DHCPNAK);
}

static void test_inform(void **state)
{
	struct fx *f = *state;
	struct pkt p;

	req(&p, DHCPINFORM, 1, 0);
	set_ip(&p, DHCP_OFF_CIADDR, IP(10, 0, 0, 7));
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_int_equal(rtype(f), DHCPACK);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), 0);
	assert_int_equal(rfield(f, DHCP_OFF_CIADDR), IP(10, 0, 0, 7));
	assert_int_equal(ropt(f, DHCP_OPT_LEASE_TIME, NULL), -1);
	assert_int_equal(ropt(f, DHCP_OPT_T1, NULL), -1);
	assert_int_equal(ropt_u32(f, DHCP_OPT_SUBNET_MASK), 0xffffff00);
	assert_int_equal(f->tx.dst_ip, IP(10, 0, 0, 7));
	assert_int_equal(f->tx.dst_port, 68);
	assert_int_equal(CNT(f, inform), 1);
	assert_int_equal(f->ev.n, 0);
}

static void test_param_list_filter(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	static const uint8_t prl[] = { 1, 15 };

	req(&p, DHCPDISCOVER, 1, 0);
	opt(&p, DHCP_OPT_PARAM_LIST, prl, 2);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_int_equal(ropt_u32(f, DHCP_OPT_SUBNET_MASK), 0xffffff00);
	assert_opt_str(f, DHCP_OPT_DOMAIN, "lab.example");
	assert_int_equal(ropt(f, DHCP_OPT_ROUTER, NULL), -1);
	assert_int_equal(ropt(f, DHCP_OPT_DNS, NULL), -1);
	assert_int_equal(ropt(f, DHCP_OPT_BROADCAST, NULL), -1);
	/* these are always sent */
	assert_int_equal(ropt_u32(f, DHCP_OPT_SERVER_ID), SERVER);
	assert_int_equal(ropt_u32(f, DHCP_OPT_LEASE_TIME), 3600);
}

/* Option 57: the budget; what does not fit is left out whole and counted. */
static void test_max_size_budget(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint8_t mms[2];

	memset(f->cfg->dhcp.domain, 'd', 250);
	f->cfg->dhcp.domain[250] = '\0';
	memset(f->cfg->boot.bios, 'b', 120);
	f->cfg->boot.bios[120] = '\0';
	fx_restart(f);
	/* no 57: 548 bytes; 250 (15) + 122 (67) cannot both fit */
	edk2(&p, DHCPDISCOVER, 1, 0);
	p.b[240 + 3] = 250; /* turn option 57 into an unknown option */
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_true(f->tx.len <= 548);
	assert_int_equal(CNT(f, opt_dropped_size), 1);
	assert_int_equal(ropt(f, DHCP_OPT_DOMAIN, NULL), -1);
	assert_int_equal(ropt(f, DHCP_OPT_BOOTFILE, NULL), 120);
	/* 57 below 576 is not legal: still 548 */
	put_be16(mms, 400);
	p.b[240 + 3] = 57;
	memcpy(p.b + 240 + 5, mms, 2);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_true(f->tx.len <= 548);
	assert_int_equal(CNT(f, opt_dropped_size), 2);
	/* 57 = 1472: room for all */
	put_be16(p.b + 240 + 5, 1472);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_true(f->tx.len > 548 && f->tx.len <= 1444);
	assert_int_equal(ropt(f, DHCP_OPT_DOMAIN, NULL), 250);
	assert_int_equal(CNT(f, opt_dropped_size), 2);
	/* 57 = 65280 (EDK2's second value): clamped to an Ethernet frame */
	put_be16(p.b + 240 + 5, 65280);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_true(f->tx.len <= 1472);
}

/*
 * The event queue is full: the packet path does not wait, and an ACK whose
 * BOUND event cannot be queued is never sent (nothing would persist it);
 * the binding stays, so the client's retransmission is ACKed.
 */
static void test_events_full(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t a;

	f->ev.cap = 1;
	dora(f, 1, T0); /* BOUND fits, PXE_ANSWERED does not apply (plain) */
	assert_int_equal(f->ev.n, 1);
	req(&p, DHCPDISCOVER, 2, 0);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	a = rfield(f, DHCP_OFF_YIADDR);
	req(&p, DHCPREQUEST, 2, 0);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	opt_ip(&p, DHCP_OPT_REQ_IP, a);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 0);
	assert_int_equal(f->ev.n, 1);
	assert_int_equal(CNT(f, ev_dropped), 1);
	assert_int_equal(CNT(f, ack_hold_lost), 1);
	assert_int_equal(CNT(f, ack_held), 1);
	assert_int_equal(dhcp_server_unpersisted(f->s), 0);
	/* room again (NULL: no queue at all is the same as a full one) */
	f->rx.payload = span_make(p.b, p.len);
	assert_int_equal(dhcp_server_input(f->s, &f->rx, T0, &f->tx, NULL), 0);
	assert_int_equal(CNT(f, ev_dropped), 2);
	assert_int_equal(CNT(f, ack_hold_lost), 2);
	f->ev.cap = 8;
	f->ev.n = 0;
	assert_int_equal(feed(f, &p, T0 + 1), 1);
	assert_int_equal(rtype(f), DHCPACK);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), a);
	assert_int_equal(f->evbuf[0].seq, 2);
}

/* Same xid from two guests: keyed on chaddr, two leases. */
static void test_shared_xid(void **state)
{
	struct fx *f = *state;

	assert_int_not_equal(dora(f, 1, T0), dora(f, 2, T0));
}

static void test_drops_counted(void **state)
{
	struct fx *f = *state;
	struct pkt p;

	req(&p, DHCPDISCOVER, 1, 0);
	end(&p);
	p.len = 100;
	feed(f, &p, T0);
	req(&p, DHCPDISCOVER, 1, 0);
	end(&p);
	p.b[0] = 2;
	feed(f, &p, T0);
	p.b[0] = 1;
	p.b[1] = 6;
	feed(f, &p, T0);
	p.b[1] = 1;
	p.b[DHCP_OFF_MAGIC] = 0;
	feed(f, &p, T0);
	p.b[DHCP_OFF_MAGIC] = 0x63;
	p.len--; /* no END */
	feed(f, &p, T0);
	p.b[p.len - 2] = 9; /* over-long 53 */
	feed(f, &p, T0);
	req(&p, DHCPOFFER, 1, 0); /* a server message from a client */
	end(&p);
	feed(f, &p, T0);
	p.b[242] = 0;
	feed(f, &p, T0);
	assert_int_equal(CNT(f, drop_truncated), 1);
	assert_int_equal(CNT(f, drop_bad_op), 1);
	assert_int_equal(CNT(f, drop_bad_htype), 1);
	assert_int_equal(CNT(f, drop_bad_magic), 1);
	assert_int_equal(CNT(f, drop_no_end), 1);
	assert_int_equal(CNT(f, drop_bad_option), 1);
	assert_int_equal(CNT(f, drop_unexpected), 1);
	assert_int_equal(CNT(f, drop_no_type), 1);
	assert_int_equal(CNT(f, rx), 8);
	assert_int_equal(CNT(f, tx), 0);
	/* a DISCOVER to 4011 is not what that port is for */
	req(&p, DHCPDISCOVER, 1, 0);
	end(&p);
	assert_int_equal(feed_port(f, &p, T0, DHCP_PXE_PORT), 0);
	assert_int_equal(CNT(f, drop_unexpected), 2);
	/* names and help line up with the counters */
	assert_int_equal(DHCP_N_COUNTERS, 31);
	assert_string_equal(dhcp_counter_names[0], "rx");
	assert_string_equal(dhcp_counter_names[DHCP_N_COUNTERS - 1], "ev_dropped");
	assert_string_equal(dhcp_counter_help[1], "replies built");
}

static void test_mode_off(void **state)
{
	struct fx *f = *state;
	struct pkt p;

	f->cfg->dhcp.mode = CFG_DHCP_OFF;
	fx_restart(f);
	edk2(&p, DHCPDISCOVER, 1, 7);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 0);
	assert_int_equal(f->tx.len, 0);
	assert_int_equal(CNT(f, drop_unexpected), 1);
}

static void test_restore(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	struct mac_addr m1 = mac(1), m2 = mac(2);

	assert_int_equal(dhcp_server_restore(f->s, &m1, IP(10, 0, 0, 120), T0 + 100, T0), 0);
	assert_int_equal(dhcp_server_restore(f->s, &m2, IP(10, 0, 0, 120), T0 + 100, T0), -EEXIST);
	assert_int_equal(dhcp_server_restore(f->s, &m2, IP(10, 0, 0, 150), T0 + 100, T0), -EEXIST);
	assert_int_equal(dhcp_server_restore(f->s, &m2, IP(172, 16, 0, 9), T0 + 100, T0), -EINVAL);
	assert_int_equal(dhcp_server_restore(f->s, &m2, IP(10, 0, 0, 130), T0 - 100, T0), 0);
	/* the restored binding renews; the expired memory comes back */
	req(&p, DHCPREQUEST, 1, 0);
	set_ip(&p, DHCP_OFF_CIADDR, IP(10, 0, 0, 120));
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 50), 1);
	assert_int_equal(rtype(f), DHCPACK);
	req(&p, DHCPDISCOVER, 2, 0);
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 50), 1);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), IP(10, 0, 0, 130));
	req(&p, DHCPDISCOVER, 3, 0);
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 50), 1);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), IP(10, 0, 0, 100));
}


/* ---- persisted before acknowledged (docs/design.md) ------------------------- */

static int setup_manual(void **state)
{
	setup(state);
	((struct fx *)*state)->manual_persist = true;
	return 0;
}

/* DISCOVER -> OFFER for client n; REQUEST (SELECTING) fed, its ACK held.
 * @return the offered address. */
static uint32_t dor_held(struct fx *f, unsigned n, uint32_t giaddr, uint64_t now)
{
	struct pkt p;
	uint32_t a;

	req(&p, DHCPDISCOVER, n, 0);
	set_ip(&p, DHCP_OFF_GIADDR, giaddr);
	end(&p);
	assert_int_equal(feed(f, &p, now), 1);
	assert_int_equal(rtype(f), DHCPOFFER);
	a = rfield(f, DHCP_OFF_YIADDR);
	req(&p, DHCPREQUEST, n, 0);
	set_ip(&p, DHCP_OFF_GIADDR, giaddr);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	opt_ip(&p, DHCP_OPT_REQ_IP, a);
	end(&p);
	assert_int_equal(feed(f, &p, now), 0);
	assert_int_equal(f->tx.len, 0);
	return a;
}

/* The ACK waits for the watermark; what leaves then is the whole ACK with
 * the addressing RFC 2131 sec 4.1 gives it, relayed here. */
static void test_ack_held_until_persisted(void **state)
{
	struct fx *f = *state;
	uint32_t a;

	a = dor_held(f, 1, IP(10, 1, 0, 1), T0);
	assert_int_equal(f->ev.n, 1);
	assert_int_equal(f->evbuf[0].type, DHCP_EV_BOUND);
	assert_int_equal(f->evbuf[0].seq, 1);
	assert_int_equal(f->evbuf[0].ip, a);
	assert_int_equal(CNT(f, ack), 1);
	assert_int_equal(CNT(f, ack_held), 1);
	assert_int_equal(dhcp_server_unpersisted(f->s), 1);
	/* nothing persisted yet, then something older than our event */
	assert_int_equal(persist(f, 0), 0);
	assert_int_equal(CNT(f, ack_released), 0);
	/* control committed event 1 */
	assert_int_equal(persist(f, 1), 1);
	assert_int_equal(rtype(f), DHCPACK);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), a);
	assert_int_equal(rfield(f, DHCP_OFF_GIADDR), IP(10, 1, 0, 1));
	assert_int_equal(ropt_u32(f, DHCP_OPT_LEASE_TIME), 3600);
	assert_int_equal(f->tx.dst_ip, IP(10, 1, 0, 1));
	assert_int_equal(f->tx.dst_port, 67);
	assert_int_equal(f->tx.src_port, 67);
	assert_memory_equal(f->tx.dst_mac.b, mac(1).b, 6); /* feed() set src_mac */
	assert_ptr_equal(f->tx.buf, f->txbuf);
	assert_int_equal(CNT(f, ack_released), 1);
	assert_int_equal(dhcp_server_unpersisted(f->s), 0);
	/* once only */
	assert_int_equal(persist(f, 1), 0);
	assert_false(dhcp_server_release_ready(f->s));
}

/* Held ACKs leave in event order, as far as the watermark reaches. */
static void test_release_in_order(void **state)
{
	struct fx *f = *state;
	uint32_t a[3];

	for (unsigned i = 0; i < 3; i++)
		a[i] = dor_held(f, 1 + i, 0, T0);
	assert_int_equal(dhcp_server_unpersisted(f->s), 3);
	dhcp_server_set_persisted(f->s, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_true(dhcp_server_release_ready(f->s));
		f->tx.buf = f->txbuf;
		f->tx.cap = sizeof(f->txbuf);
		assert_int_equal(dhcp_server_release(f->s, &f->tx), 1);
		assert_int_equal(rfield(f, DHCP_OFF_YIADDR), a[i]);
	}
	assert_false(dhcp_server_release_ready(f->s));
	assert_int_equal(dhcp_server_release(f->s, &f->tx), 0);
	assert_int_equal(f->tx.len, 0);
	/* the watermark never moves back */
	dhcp_server_set_persisted(f->s, 1);
	assert_int_equal(dhcp_server_unpersisted(f->s), 1);
	assert_int_equal(persist(f, 3), 1);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), a[2]);
	assert_int_equal(CNT(f, ack_released), 3);
}

/* A renewal's ACK waits as well: its new expiry must be on disk first. */
static void test_renewal_held(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t a = dor_held(f, 1, 0, T0);

	assert_int_equal(persist(f, 1), 1);
	f->ev.n = 0;
	req(&p, DHCPREQUEST, 1, 0);
	set_ip(&p, DHCP_OFF_CIADDR, a);
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 1800), 0);
	assert_int_equal(f->ev.n, 1);
	assert_int_equal(f->evbuf[0].seq, 2);
	assert_int_equal(f->evbuf[0].expires, T0 + 1800 + 3600);
	assert_int_equal(persist(f, 1), 0);
	assert_int_equal(persist(f, 2), 1);
	assert_int_equal(rtype(f), DHCPACK);
	assert_int_equal(f->tx.dst_ip, a);
	/* NAK and INFORM carry no lease: they never wait */
	memcpy(p.b + DHCP_OFF_CHADDR, mac(2).b, 6);
	assert_int_equal(feed(f, &p, T0 + 1801), 1);
	assert_int_equal(rtype(f), DHCPNAK);
	req(&p, DHCPINFORM, 1, 0);
	set_ip(&p, DHCP_OFF_CIADDR, a);
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 1801), 1);
	assert_int_equal(rtype(f), DHCPACK);
	assert_int_equal(CNT(f, ack_held), 2);
}

/* RELEASE and DECLINE are lease events too: numbered, never answered. */
static void test_release_decline_numbered(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t a = dor_held(f, 1, 0, T0);

	assert_int_equal(persist(f, 1), 1);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), a);
	f->ev.n = 0;
	req(&p, DHCPRELEASE, 1, 0);
	set_ip(&p, DHCP_OFF_CIADDR, a);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 0);
	assert_int_equal(f->ev.n, 1);
	assert_int_equal(f->evbuf[0].type, DHCP_EV_RELEASED);
	assert_int_equal(f->evbuf[0].seq, 2);
	assert_int_equal(dhcp_server_unpersisted(f->s), 1);
	f->ev.n = 0;
	req(&p, DHCPDECLINE, 1, 0);
	opt_ip(&p, DHCP_OPT_SERVER_ID, SERVER);
	opt_ip(&p, DHCP_OPT_REQ_IP, a);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 0);
	assert_int_equal(f->evbuf[0].type, DHCP_EV_DECLINED);
	assert_int_equal(f->evbuf[0].seq, 3);
	assert_int_equal(dhcp_server_unpersisted(f->s), 2);
	assert_int_equal(persist(f, 3), 0); /* nothing was held */
	assert_int_equal(dhcp_server_unpersisted(f->s), 0);
}

/* An event that never reached control: its ACK is never sent, the ones
 * around it are. */
static void test_event_lost(void **state)
{
	struct fx *f = *state;
	uint32_t a[3];

	for (unsigned i = 0; i < 3; i++)
		a[i] = dor_held(f, 1 + i, 0, T0);
	dhcp_server_event_lost(f->s, 2);
	dhcp_server_event_lost(f->s, 7); /* no such reply: nothing happens */
	assert_int_equal(persist(f, 3), 1);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), a[0]);
	assert_int_equal(persist(f, 3), 1);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), a[2]);
	assert_int_equal(persist(f, 3), 0);
	assert_int_equal(CNT(f, ack_hold_lost), 1);
	assert_int_equal(CNT(f, ack_released), 2);
	/* the client retries: same address, a new event, an ACK */
	assert_int_equal(dor_held(f, 2, 0, T0 + 4), a[1]);
	assert_int_equal(persist(f, 4), 1);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), a[1]);
}

/* A store that stalls: held ACKs wait as long as it takes and go once it
 * has caught up (the lease is on disk by then, however late). */
static void test_hold_stall(void **state)
{
	struct fx *f = *state;

	dor_held(f, 1, 0, T0);
	dor_held(f, 2, 0, T0 + 2);
	assert_false(dhcp_server_release_ready(f->s));
	assert_int_equal(persist(f, 0), 0);
	assert_int_equal(persist(f, 2), 1);
	assert_int_equal(persist(f, 2), 1);
	assert_int_equal(CNT(f, ack_released), 2);
	assert_int_equal(CNT(f, ack_hold_lost), 0);
}

/* A renewal of client 1 at @a now: fed, its ACK held. */
static void renew_held(struct fx *f, uint32_t a, uint64_t now, int expect)
{
	struct pkt p;

	f->ev.n = 0;
	req(&p, DHCPREQUEST, 1, 0);
	set_ip(&p, DHCP_OFF_CIADDR, a);
	end(&p);
	assert_int_equal(feed(f, &p, now), expect);
}

/*
 * Persistence falls behind: at DHCP_PERSIST_SOFT unpersisted events
 * DISCOVERs go unanswered, at DHCP_PERSIST_HARD binding REQUESTs too; a
 * NAK still goes; once the store catches up, everything flows again.
 */
static void test_backlog_bounds(void **state)
{
	struct fx *f = *state;
	struct pkt d, p;
	uint32_t a = dor_held(f, 1, 0, T0);
	unsigned released = 0;

	while (dhcp_server_unpersisted(f->s) < DHCP_PERSIST_SOFT)
		renew_held(f, a, T0, 0);
	req(&d, DHCPDISCOVER, 2, 0);
	end(&d);
	assert_int_equal(feed(f, &d, T0), 0);
	assert_int_equal(CNT(f, offer_deferred_persist), 1);
	assert_int_equal(CNT(f, offer), 1);
	while (dhcp_server_unpersisted(f->s) < DHCP_PERSIST_HARD)
		renew_held(f, a, T0, 0);
	assert_int_equal(CNT(f, ack_held), DHCP_PERSIST_HARD);
	renew_held(f, a, T0, 0);
	assert_int_equal(f->ev.n, 0); /* deferred: nothing bound, no event */
	assert_int_equal(CNT(f, request_deferred_persist), 1);
	assert_int_equal(CNT(f, ack_held), DHCP_PERSIST_HARD);
	/* another MAC asking for that address is still told no at once */
	req(&p, DHCPREQUEST, 3, 0);
	set_ip(&p, DHCP_OFF_CIADDR, a);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_int_equal(rtype(f), DHCPNAK);
	/* control catches up: every held ACK leaves, in a bounded loop */
	dhcp_server_set_persisted(f->s, DHCP_PERSIST_HARD);
	while (dhcp_server_release_ready(f->s)) {
		f->tx.buf = f->txbuf;
		f->tx.cap = sizeof(f->txbuf);
		assert_int_equal(dhcp_server_release(f->s, &f->tx), 1);
		released++;
	}
	assert_int_equal(released, DHCP_PERSIST_HARD);
	assert_int_equal(dhcp_server_unpersisted(f->s), 0);
	assert_int_equal(feed(f, &d, T0 + 1), 1);
	assert_int_equal(rtype(f), DHCPOFFER);
	renew_held(f, a, T0 + 1, 0);
	assert_int_equal(f->evbuf[0].seq, DHCP_PERSIST_HARD + 1);
}

/* ---- proxy mode ------------------------------------------------------------ */

static int setup_proxy(void **state)
{
	struct fx *f;

	setup(state);
	f = *state;
	f->cfg->dhcp.mode = CFG_DHCP_PROXY;
	fx_restart(f);
	/* ProxyDHCP hands out no lease: nothing it says may wait for a store */
	f->manual_persist = true;
	return 0;
}

static void test_proxy_offer_ack(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint8_t v[64];

	edk2(&p, DHCPDISCOVER, 1, 0);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_int_equal(rtype(f), DHCPOFFER);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), 0);
	assert_int_equal(rfield(f, DHCP_OFF_SIADDR), SERVER);
	assert_string_equal((const char *)f->txbuf + DHCP_OFF_FILE, "undionly.kpxe");
	assert_int_equal(ropt_u32(f, DHCP_OPT_SERVER_ID), SERVER);
	assert_opt_str(f, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	assert_int_equal(ropt(f, DHCP_OPT_VENDOR, v), 4);
	assert_memory_equal(v, "\x06\x01\x08\xff", 4);
	assert_opt_str(f, DHCP_OPT_TFTP_SERVER, "10.0.0.1");
	assert_opt_str(f, DHCP_OPT_BOOTFILE, "undionly.kpxe");
	assert_int_equal(ropt(f, DHCP_OPT_CLIENT_UUID, NULL), 17);
	assert_int_equal(ropt(f, DHCP_OPT_LEASE_TIME, NULL), -1);
	assert_int_equal(ropt(f, DHCP_OPT_SUBNET_MASK, NULL), -1);
	assert_int_equal(ropt(f, DHCP_OPT_IPXE_ENCAP, NULL), -1);
	assert_bcast(f);
	assert_int_equal(CNT(f, proxy_offer), 1);
	/* the client takes the real server's offer: not for us */
	edk2(&p, DHCPREQUEST, 1, 0);
	opt_ip(&p, DHCP_OPT_SERVER_ID, IP(10, 0, 0, 2));
	opt_ip(&p, DHCP_OPT_REQ_IP, IP(10, 0, 0, 33));
	end(&p);
	assert_int_equal(feed(f, &p, T0 + 1), 0);
	/* then asks the boot server on 4011, from its new address */
	edk2(&p, DHCPREQUEST, 1, 0);
	set_ip(&p, DHCP_OFF_CIADDR, IP(10, 0, 0, 33));
	end(&p);
	f->ev.n = 0;
	assert_int_equal(feed_port(f, &p, T0 + 2, DHCP_PXE_PORT), 1);
	assert_int_equal(rtype(f), DHCPACK);
	assert_int_equal(rfield(f, DHCP_OFF_YIADDR), 0);
	assert_int_equal(rfield(f, DHCP_OFF_SIADDR), SERVER);
	assert_opt_str(f, DHCP_OPT_BOOTFILE, "undionly.kpxe");
	assert_int_equal(ropt(f, DHCP_OPT_VENDOR, NULL), 4);
	assert_int_equal(f->tx.dst_ip, IP(10, 0, 0, 33));
	assert_int_equal(f->tx.dst_port, 68);
	assert_int_equal(f->tx.src_port, 4011);
	assert_memory_equal(f->tx.dst_mac.b, mac(1).b, 6);
	assert_int_equal(CNT(f, proxy_ack), 1);
	assert_int_equal(f->ev.n, 1);
	assert_int_equal(f->evbuf[0].type, DHCP_EV_PXE_ANSWERED);
	assert_int_equal(f->evbuf[0].arch, 0);
	assert_int_equal(CNT(f, offer) + CNT(f, ack), 0); /* no lease state */
}

static void test_proxy_ignores(void **state)
{
	struct fx *f = *state;
	struct pkt p;

	req(&p, DHCPDISCOVER, 1, 0); /* plain client */
	end(&p);
	assert_int_equal(feed(f, &p, T0), 0);
	edk2(&p, DHCPDISCOVER, 2, 16); /* PXE, but nothing for its arch */
	end(&p);
	assert_int_equal(feed(f, &p, T0), 0);
	assert_int_equal(CNT(f, drop_not_pxe), 2);
	req(&p, DHCPRELEASE, 1, 0);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 0);
	assert_int_equal(CNT(f, drop_unexpected), 1);
	/* iPXE gets its script and no option 175 from a proxy */
	ipxe(&p, DHCPDISCOVER, 3);
	end(&p);
	assert_int_equal(feed(f, &p, T0), 1);
	assert_opt_str(f, DHCP_OPT_BOOTFILE, "http://10.0.0.1/boot.ipxe");
	assert_opt_str(f, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	assert_int_equal(ropt(f, DHCP_OPT_IPXE_ENCAP, NULL), -1);
	assert_bcast(f);
}

/*
 * The client's REQUEST for the other server's address is its lease: a
 * client we boot reports it (control stamps the DHCP stage and learns the
 * address by it), anyone else does not; no answer either way.
 */
static void test_proxy_lease_event(void **state)
{
	static const struct {
		const char *what;
		int client;           /* 0 plain, 1 EDK2 BIOS, 2 iPXE, 3 EDK2 arch 16 */
		uint32_t sid, req;    /* 0 = option absent */
		uint8_t kind;         /* the event's client kind; 0xff: no event */
	} v[] = {
		{ "EDK2 selects the other server", 1, IP(10, 0, 0, 2), IP(10, 0, 0, 33),
		  DHCP_CLIENT_PXE },
		{ "iPXE selects the other server", 2, IP(10, 0, 0, 2), IP(10, 0, 0, 34),
		  DHCP_CLIENT_IPXE },
		{ "INIT-REBOOT: no server id", 1, 0, IP(10, 0, 0, 35), DHCP_CLIENT_PXE },
		{ "plain client", 0, IP(10, 0, 0, 2), IP(10, 0, 0, 36), 0xff },
		{ "no boot file for its arch", 3, IP(10, 0, 0, 2), IP(10, 0, 0, 37), 0xff },
		{ "names us (we offered no address)", 1, SERVER, IP(10, 0, 0, 38), 0xff },
		{ "no requested address", 1, IP(10, 0, 0, 2), 0, 0xff },
		{ "requested 0.0.0.0", 2, IP(10, 0, 0, 2), IP(0, 0, 0, 0), 0xff },
	};
	struct fx *f = *state;
	struct pkt p;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].client == 0)
			req(&p, DHCPREQUEST, 10 + (unsigned)i, 0);
		else if (v[i].client == 2)
			ipxe(&p, DHCPREQUEST, 10 + (unsigned)i);
		else
			edk2(&p, DHCPREQUEST, 10 + (unsigned)i, v[i].client == 3 ? 16 : 0);
		if (v[i].sid != 0)
			opt_ip(&p, DHCP_OPT_SERVER_ID, v[i].sid);
		if (v[i].req != 0 || v[i].client == 2)
			opt_ip(&p, DHCP_OPT_REQ_IP, v[i].req);
		end(&p);
		f->ev.n = 0;
		f->tx.len = 99;
		print_message("%s\n", v[i].what);
		assert_int_equal(feed(f, &p, T0 + i), 0);
		assert_int_equal(f->tx.len, 0);
		assert_int_equal(CNT(f, drop_not_ours), i + 1);
		if (v[i].kind == 0xff) {
			assert_int_equal(f->ev.n, 0);
			continue;
		}
		assert_int_equal(f->ev.n, 1);
		assert_int_equal(f->evbuf[0].type, DHCP_EV_PROXY_LEASE);
		assert_int_equal(f->evbuf[0].client_kind, v[i].kind);
		assert_int_equal(f->evbuf[0].ip, v[i].req);
		assert_int_equal(f->evbuf[0].expires, 0);
		assert_memory_equal(f->evbuf[0].mac.b, mac(10 + (unsigned)i).b, 6);
		assert_int_equal(f->evbuf[0].arch, v[i].client == 2 ? 7 : 0);
	}
	assert_int_equal(CNT(f, offer) + CNT(f, ack) + CNT(f, proxy_offer), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dora_edk2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arch_boot_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipxe_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_url_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_returning_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_and_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_dst_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reservation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renew_rebind_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_other_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inform, setup, teardown),
		cmocka_unit_test_setup_teardown(test_param_list_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_size_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_xid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drops_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_held_until_persisted, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_release_in_order, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_renewal_held, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_release_decline_numbered, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_event_lost, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_hold_stall, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_backlog_bounds, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_offer_ack, setup_proxy, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_ignores, setup_proxy, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_lease_event, setup_proxy, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
