/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stampede-storm's DHCP client machine: what each kind puts on the wire
 * (byte-exact), whole exchanges of a hundred clients against stampede's
 * own DHCP server core (shared EDK2 xids, think times, loss, a lease store
 * that lags behind so ACKs wait and OFFERs are deferred), the
 * retransmission schedule with nobody answering, NAKs, ProxyDHCP answers,
 * overloaded options, and every truncation and many corruptions of a
 * reply ignored without harm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"
#include "dhcp_server.h"
#include "storm_dhcp.h"
#include "test_storm_net.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define SEC 1000000ull
#define T0_UNIX 1700000000ull
#define SERVER IP(10, 0, 0, 1)
#define XID_EDK2 0x11223344u
#define NCLI 200
#define STORE_MAX 8192             /* lease events in flight to the store */

static const struct mac_addr srv_mac = { { 0x02, 0xee, 0, 0, 0, 1 } };
static const struct sdhcp_timing tm_pxe = SDHCP_TIMING_PXE;
static const struct sdhcp_timing tm_edk2 = SDHCP_TIMING_EDK2;

static struct mac_addr cmac(unsigned i)
{
	struct mac_addr m = { { 0x52, 0x54, 0x00, 0xaa, (uint8_t)(i >> 8), (uint8_t)i } };
	return m;
}

static unsigned mac_index(const uint8_t *m)
{
	return (unsigned)m[4] << 8 | m[5];
}

/* ---- the bytes each kind sends ----------------------------------------- */

struct bytes {
	uint8_t b[600];
	size_t n;
};

static void eo(struct bytes *e, uint8_t code, const void *v, size_t len)
{
	e->b[e->n++] = code;
	e->b[e->n++] = (uint8_t)len;
	memcpy(e->b + e->n, v, len);
	e->n += len;
}

static const uint8_t prl_bios[] = { 1, 2, 3, 4, 5, 6, 11, 12, 13, 15, 16, 17, 18, 22, 23,
				    28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67,
				    128, 129, 130, 131, 132, 133, 134, 135 };
static const uint8_t prl_edk2[] = { 1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40,
				    41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128,
				    129, 130, 131, 132, 133, 134, 135 };
static const uint8_t prl_ipxe[] = { 1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128,
				    129, 130, 131, 132, 133, 134, 135, 175, 203 };

static void eo_uuid(struct bytes *e, const struct mac_addr *m)
{
	uint8_t u[17] = { 0, 'S', 'T', 'R', 'M', 0, 0, 0x40, 0, 0x80, 0,
			  m->b[0], m->b[1], m->b[2], m->b[3], m->b[4], m->b[5] };

	eo(e, 97, u, 17);
}

static void eo_cid(struct bytes *e, const struct mac_addr *m)
{
	uint8_t c[7] = { 1, m->b[0], m->b[1], m->b[2], m->b[3], m->b[4], m->b[5] };

	eo(e, 61, c, 7);
}

/* The options a kind sends after 53 (and 54, 50), as captured. */
static void expect_kind_opts(struct bytes *e, enum sdhcp_kind k, const struct mac_addr *m)
{
	static const uint8_t feat_bios[] = { 0x15, 1, 1, 0x13, 1, 1, 0x17, 1, 1, 0x18, 1, 1,
					     0x21, 1, 1, 0xeb, 3, 1, 0, 0 };
	static const uint8_t feat_efi[] = { 0x15, 1, 1, 0x13, 1, 1, 0x17, 1, 1, 0x24, 1, 1,
					    0xeb, 3, 1, 0, 0 };
	static const uint8_t prl_os[] = { 1, 3, 6, 12, 15, 28, 42 };

	switch (k) {
	case SDHCP_PXE_BIOS:
		eo(e, 57, "\x04\xec", 2);
		eo(e, 55, prl_bios, sizeof(prl_bios));
		eo_uuid(e, m);
		eo(e, 94, "\x01\x02\x01", 3);
		eo(e, 93, "\x00\x00", 2);
		eo(e, 60, "PXEClient:Arch:00000:UNDI:002001", 32);
		break;
	case SDHCP_PXE_UEFI:
		eo(e, 57, "\x05\xc0", 2);
		eo(e, 55, prl_edk2, sizeof(prl_edk2));
		eo_uuid(e, m);
		eo(e, 94, "\x01\x03\x00", 3);
		eo(e, 93, "\x00\x07", 2);
		eo(e, 60, "PXEClient:Arch:00007:UNDI:003000", 32);
		break;
	case SDHCP_IPXE:
	case SDHCP_IPXE_EFI:
		eo(e, 57, "\x05\xc0", 2);
		eo(e, 93, k == SDHCP_IPXE ? "\x00\x00" : "\x00\x07", 2);
		eo(e, 94, k == SDHCP_IPXE ? "\x01\x02\x01" : "\x01\x03\x0a", 3);
		eo(e, 60, k == SDHCP_IPXE ? "PXEClient:Arch:00000:UNDI:002001" :
		   "PXEClient:Arch:00007:UNDI:003010", 32);
		eo(e, 77, "iPXE", 4);
		eo(e, 55, prl_ipxe, sizeof(prl_ipxe));
		if (k == SDHCP_IPXE)
			eo(e, 175, feat_bios, sizeof(feat_bios));
		else
			eo(e, 175, feat_efi, sizeof(feat_efi));
		eo_cid(e, m);
		eo_uuid(e, m);
		break;
	default:
		eo_cid(e, m);
		eo(e, 57, "\x02\x40", 2);
		eo(e, 55, prl_os, sizeof(prl_os));
		break;
	}
}

/* Check the frame is a broadcast BOOTREQUEST of @a type and return its payload. */
static struct span expect_request(const uint8_t *f, size_t len, const struct mac_addr *m,
				  uint32_t xid, uint16_t flags, uint16_t secs, uint8_t type)
{
	struct pkt_info pi;
	const uint8_t *p;

	tnet_parse_udp(f, len, &pi);
	assert_true(mac_is_broadcast(&pi.dst_mac));
	assert_memory_equal(pi.src_mac.b, m->b, 6);
	assert_int_equal(pi.src_ip, 0);
	assert_int_equal(pi.dst_ip, 0xffffffffu);
	assert_int_equal(pi.src_port, 68);
	assert_int_equal(pi.dst_port, 67);
	p = pi.payload.p;
	assert_true(pi.payload.len >= 300);
	assert_int_equal(p[0], 1);
	assert_int_equal(p[1], 1);
	assert_int_equal(p[2], 6);
	assert_int_equal(p[3], 0);
	assert_int_equal(get_be32(p + 4), xid);
	assert_int_equal(get_be16(p + 8), secs);
	assert_int_equal(get_be16(p + 10), flags);
	for (int i = 12; i < 28; i++)
		assert_int_equal(p[i], 0); /* ciaddr yiaddr siaddr giaddr */
	assert_memory_equal(p + 28, m->b, 6);
	for (int i = 34; i < 236; i++)
		assert_int_equal(p[i], 0); /* chaddr padding, sname, file */
	assert_int_equal(get_be32(p + 236), 0x63825363u);
	assert_int_equal(p[240], 53);
	assert_int_equal(p[241], 1);
	assert_int_equal(p[242], type);
	return pi.payload;
}

/* The options after 53 up to END are @a e, and only zeros follow. */
static void expect_opts(struct span pl, size_t off, const struct bytes *e)
{
	if (pl.len < off + e->n + 1 || memcmp(pl.p + off, e->b, e->n) != 0) {
		for (size_t i = 0; i < e->n && off + i < pl.len; i++)
			if (pl.p[off + i] != e->b[i])
				fail_msg("option byte %zu: 0x%02x, want 0x%02x", i, pl.p[off + i],
					 e->b[i]);
		fail_msg("options too short");
	}
	assert_int_equal(pl.p[off + e->n], 255);
	for (size_t i = off + e->n + 1; i < pl.len; i++)
		assert_int_equal(pl.p[i], 0);
	assert_int_equal(pl.len, STP_MAX(off + e->n + 1, (size_t)300));
}

static void test_discover_bytes(void **state)
{
	static const uint16_t flags[SDHCP_KIND_N] = { 0, 0x8000, 0, 0, 0 };
	struct tnet_txq q;

	(void)state;
	for (int k = 0; k < SDHCP_KIND_N; k++) {
		struct mac_addr m = cmac(0x100 + (unsigned)k);
		struct storm_addr a = { .mac = m };
		struct sdhcp d;
		struct bytes e = { .n = 0 };
		struct span pl;

		tnet_txq_init(&q, 4);
		sdhcp_start(&d, (enum sdhcp_kind)k, 0xabc00000u + (unsigned)k, &a, 77 * SEC,
			    &tm_pxe, &q.tx);
		assert_int_equal(q.tx.n, 1);
		assert_int_equal(d.state, SDHCP_ST_SELECTING);
		assert_int_equal(sdhcp_deadline(&d), 81 * SEC);
		pl = expect_request(q.buf[0], q.len[0], &m, 0xabc00000u + (unsigned)k, flags[k], 0,
				    1);
		expect_kind_opts(&e, (enum sdhcp_kind)k, &m);
		expect_opts(pl, 243, &e);

		/* the retransmission is the same message; secs counts for firmware */
		q.tx.n = 0;
		assert_int_equal(sdhcp_timer(&d, &a, 80 * SEC, &tm_pxe, &q.tx), SDHCP_IGNORED);
		assert_int_equal(sdhcp_timer(&d, &a, 81 * SEC, &tm_pxe, &q.tx), SDHCP_RUNNING);
		assert_int_equal(q.tx.n, 1);
		pl = expect_request(q.buf[0], q.len[0], &m, 0xabc00000u + (unsigned)k, flags[k],
				    k == SDHCP_IPXE || k == SDHCP_IPXE_EFI ? 0 : 4, 1);
		expect_opts(pl, 243, &e);
		assert_int_equal(d.retrans, 1);
	}
}

/* ---- hand-made replies ------------------------------------------------------ */

struct reply {
	uint8_t b[1200];
	size_t len;
};

static void r_opt(struct reply *r, uint8_t code, const void *v, size_t len)
{
	r->b[r->len++] = code;
	r->b[r->len++] = (uint8_t)len;
	memcpy(r->b + r->len, v, len);
	r->len += len;
}

static void r_ip(struct reply *r, uint8_t code, uint32_t ip)
{
	uint8_t be[4];

	put_be32(be, ip);
	r_opt(r, code, be, 4);
}

/* A BOOTREPLY of @a type with 54 = SERVER; options follow, then r_end(). */
static void r_start(struct reply *r, uint8_t type, uint32_t xid, const struct mac_addr *m,
		    uint32_t yiaddr, uint32_t siaddr)
{
	memset(r, 0, sizeof(*r));
	r->b[0] = 2;
	r->b[1] = 1;
	r->b[2] = 6;
	put_be32(r->b + 4, xid);
	put_be32(r->b + 16, yiaddr);
	put_be32(r->b + 20, siaddr);
	memcpy(r->b + 28, m->b, 6);
	put_be32(r->b + 236, 0x63825363u);
	r->len = 240;
	r_opt(r, 53, &type, 1);
	r_ip(r, 54, SERVER);
}

static void r_end(struct reply *r)
{
	r->b[r->len++] = 255;
	if (r->len < 300)
		r->len = 300;
}

/* Frame it from SERVER:67 and parse it as the glue would. */
static size_t r_frame(const struct reply *r, uint8_t *f, struct pkt_info *pi)
{
	size_t n = tnet_udp(f, &srv_mac, &mac_broadcast, SERVER, 0xffffffffu, 67, 68, r->b,
			    r->len);

	tnet_parse_udp(f, n, pi);
	return n;
}

static int feed(struct sdhcp *d, struct storm_addr *a, const struct reply *r, uint64_t now,
		const struct sdhcp_timing *tm, struct storm_tx *tx)
{
	uint8_t f[STORM_FRAME_MAX];
	struct pkt_info pi;

	r_frame(r, f, &pi);
	return sdhcp_input(d, a, &pi, now, tm, tx);
}

static void offer(struct reply *r, uint32_t xid, const struct mac_addr *m, uint32_t ip)
{
	r_start(r, 2, xid, m, ip, SERVER);
	r_ip(r, 51, 3600);
	r_ip(r, 1, 0xffffff00u);
	r_opt(r, 67, "undionly.kpxe", 13);
	r_end(r);
}

static void test_request_bytes(void **state)
{
	struct tnet_txq q;
	struct reply r;

	(void)state;
	for (int k = 0; k < SDHCP_KIND_N; k++) {
		struct mac_addr m = cmac(0x200 + (unsigned)k);
		struct storm_addr a = { .mac = m };
		struct bytes e = { .n = 0 };
		struct sdhcp d;
		struct span pl;

		tnet_txq_init(&q, 4);
		sdhcp_start(&d, (enum sdhcp_kind)k, 42, &a, 0, &tm_pxe, &q.tx);
		q.tx.n = 0;
		offer(&r, 42, &m, IP(10, 0, 0, 77));
		assert_int_equal(feed(&d, &a, &r, 2 * SEC, &tm_pxe, &q.tx), SDHCP_RUNNING);
		assert_int_equal(d.state, SDHCP_ST_REQUESTING);
		assert_int_equal(q.tx.n, 1);
		pl = expect_request(q.buf[0], q.len[0], &m, 42, k == SDHCP_PXE_UEFI ? 0x8000 : 0,
				    k == SDHCP_IPXE || k == SDHCP_IPXE_EFI ? 0 : 2, 3);
		/* RFC 2131 sec 4.3.2: SELECTING names the server (54) and address (50) */
		eo(&e, 54, "\x0a\x00\x00\x01", 4);
		eo(&e, 50, "\x0a\x00\x00\x4d", 4);
		expect_kind_opts(&e, (enum sdhcp_kind)k, &m);
		expect_opts(pl, 243, &e);
		assert_int_equal(sdhcp_deadline(&d), 6 * SEC);
		/* the OFFER's boot information is kept until the ACK says more */
		assert_string_equal(d.boot_file, "undionly.kpxe");
	}
}

/* ---- against stampede's DHCP server core ---------------------------------------- */

struct fx {
	struct stp_config *cfg;
	struct dhcp_server *s;
	struct tnet w;
	struct tnet_txq q;
	uint64_t now;
	unsigned n;
	struct sdhcp d[NCLI];
	struct storm_addr a[NCLI];
	const struct sdhcp_timing *tm[NCLI];
	int last[NCLI];
	bool fanout;               /* broadcasts reach every client, as on a LAN */
	unsigned bound, failed, ignored, events;
	uint32_t ev_ip[NCLI];      /* DHCP_EV_BOUND per client */
	/* The modelled lease store (the lease writer's group commit): an event is
	 * persisted store_lag after the server emitted it. */
	uint64_t store_lag;
	uint64_t st_seq[STORE_MAX], st_due[STORE_MAX];
	unsigned st_head, st_n;
	uint64_t acks_out;         /* held ACKs released onto the wire */
};

static void fill_cfg(struct stp_config *cfg)
{
	cfg->port.addr = SERVER;
	cfg->port.prefix_len = 16;
	cfg->dhcp.mode = CFG_DHCP_SERVER;
	cfg->dhcp.lease_time = 3600;
	cfg->dhcp.offer_hold = 30;
	cfg->dhcp.n_pools = 1;
	cfg->dhcp.pools[0] = (struct cfg_pool){ .subnet = IP(10, 0, 0, 0), .prefix_len = 16,
		.first = IP(10, 0, 1, 1), .last = IP(10, 0, 4, 250),
		.router = IP(10, 0, 0, 254), .dns = { IP(10, 0, 0, 53) }, .n_dns = 1 };
	strcpy(cfg->boot.bios, "undionly.kpxe");
	strcpy(cfg->boot.uefi, "ipxe.efi");
	strcpy(cfg->boot.script, "boot.ipxe");
	cfg->boot.http_port = 80;
	cfg->boot.no_pxedhcp = true;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->cfg = calloc(1, sizeof(*f->cfg));
	assert_non_null(f->cfg);
	fill_cfg(f->cfg);
	f->s = dhcp_server_create(f->cfg);
	assert_non_null(f->s);
	tnet_init(&f->w, 4096, 0);
	tnet_txq_init(&f->q, TNET_TXQ);
	f->now = 1000 * SEC;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	dhcp_server_destroy(f->s);
	tnet_fini(&f->w);
	free(f->cfg);
	free(f);
	return 0;
}

static void account(struct fx *f, unsigned i, int rc)
{
	switch (rc) {
	case SDHCP_BOUND: f->bound++; break;
	case SDHCP_FAILED: f->failed++; break;
	case SDHCP_IGNORED: f->ignored++; return;
	default: break;
	}
	f->last[i] = rc;
}

static void record_events(struct fx *f, const struct dhcp_events *ev)
{
	for (unsigned k = 0; k < ev->n; k++) {
		unsigned i = mac_index(ev->ev[k].mac.b);

		if (ev->ev[k].seq != 0) {
			assert_true(f->st_n < STORE_MAX);
			f->st_seq[(f->st_head + f->st_n) % STORE_MAX] = ev->ev[k].seq;
			f->st_due[(f->st_head + f->st_n) % STORE_MAX] = f->now + f->store_lag;
			f->st_n++;
		}
		if (ev->ev[k].type != DHCP_EV_BOUND)
			continue;
		assert_true(i < f->n);
		f->ev_ip[i] = ev->ev[k].ip;
		f->events++;
	}
}

static void server_send(struct fx *f, const struct dhcp_tx *tx)
{
	uint8_t fr[STORM_FRAME_MAX];
	size_t n = tnet_udp(fr, &srv_mac, &tx->dst_mac, SERVER, tx->dst_ip, tx->src_port,
			    tx->dst_port, tx->buf, tx->len);

	tnet_send(&f->w, fr, n);
}

/* The store commits what is due; the server's poll sends what it covers. */
static void store_poll(struct fx *f)
{
	uint8_t buf[1500];
	struct dhcp_tx tx = { .buf = buf, .cap = sizeof(buf) };
	uint64_t persisted = 0;

	while (f->st_n > 0 && f->st_due[f->st_head] <= f->now) {
		persisted = f->st_seq[f->st_head];
		f->st_head = (f->st_head + 1) % STORE_MAX;
		f->st_n--;
	}
	dhcp_server_set_persisted(f->s, persisted);
	while (dhcp_server_release_ready(f->s)) {
		assert_int_equal(dhcp_server_release(f->s, &tx), 1);
		f->acks_out++;
		server_send(f, &tx);
		tx.cap = sizeof(buf);
	}
}

/* A frame to UDP 67: the server core answers, the answer goes on the wire. */
static void to_server(struct fx *f, const struct pkt_info *pi)
{
	uint8_t buf[1500];
	struct dhcp_event evb[8];
	struct dhcp_events ev = { evb, 8, 0 };
	struct dhcp_tx tx = { .buf = buf, .cap = sizeof(buf) };
	struct dhcp_rx rx = { pi->payload, pi->src_mac, pi->src_ip, pi->dst_ip, pi->src_port,
			      pi->dst_port };

	if (dhcp_server_input(f->s, &rx, T0_UNIX + f->now / SEC, &tx, &ev) == 1)
		server_send(f, &tx);
	record_events(f, &ev);
	store_poll(f);
}

static void to_client(struct fx *f, unsigned i, const struct pkt_info *pi)
{
	account(f, i, sdhcp_input(&f->d[i], &f->a[i], pi, f->now, f->tm[i], &f->q.tx));
	tnet_flush(&f->w, &f->q);
}

static void deliver(struct fx *f, const struct tnet_frame *fr)
{
	struct pkt_info pi;
	const uint8_t *ch;

	tnet_parse_udp(fr->b, fr->len, &pi);
	if (pi.dst_port == 67) {
		to_server(f, &pi);
		return;
	}
	ch = sdhcp_reply_chaddr(&pi);
	assert_non_null(ch);
	if (f->fanout && mac_is_broadcast(&pi.dst_mac)) {
		for (unsigned i = 0; i < f->n; i++)
			to_client(f, i, &pi);
		return;
	}
	assert_true(mac_index(ch) < f->n);
	to_client(f, mac_index(ch), &pi);
}

/* Deliver until the wire is empty, then jump to the next deadline. */
static void run(struct fx *f, uint64_t limit)
{
	struct tnet_frame fr;

	for (;;) {
		uint64_t next = UINT64_MAX;

		while (tnet_recv(&f->w, &fr))
			deliver(f, &fr);
		store_poll(f);
		if (tnet_recv(&f->w, &fr)) {
			deliver(f, &fr); /* a released ACK */
			continue;
		}
		for (unsigned i = 0; i < f->n; i++)
			next = STP_MIN(next, sdhcp_deadline(&f->d[i]));
		if (f->st_n > 0)
			next = STP_MIN(next, f->st_due[f->st_head]);
		if (next == UINT64_MAX)
			return;
		assert_true(next < limit);
		f->now = STP_MAX(f->now, next);
		for (unsigned i = 0; i < f->n; i++) {
			if (sdhcp_deadline(&f->d[i]) > f->now)
				continue;
			account(f, i, sdhcp_timer(&f->d[i], &f->a[i], f->now, f->tm[i], &f->q.tx));
			tnet_flush(&f->w, &f->q);
		}
	}
}

static void start(struct fx *f, unsigned i, enum sdhcp_kind k, uint32_t xid,
		  const struct sdhcp_timing *tm)
{
	f->a[i].mac = cmac(i);
	f->tm[i] = tm;
	f->last[i] = SDHCP_RUNNING;
	sdhcp_start(&f->d[i], k, xid, &f->a[i], f->now, tm, &f->q.tx);
	tnet_flush(&f->w, &f->q);
}

/* Everyone bound, each to the address the server recorded, all distinct. */
static void expect_all_bound(struct fx *f, const char *bios_file, const char *uefi_file)
{
	for (unsigned i = 0; i < f->n; i++) {
		const struct sdhcp *d = &f->d[i];

		if (d->state != SDHCP_ST_BOUND)
			fail_msg("client %u: %s %s", i, sdhcp_state_name(d->state),
				 sdhcp_cause_name(d->cause));
		assert_int_equal(f->last[i], SDHCP_BOUND);
		assert_int_equal(f->a[i].ip, d->yiaddr);
		assert_int_equal(f->a[i].ip, f->ev_ip[i]);
		assert_true(d->yiaddr >= IP(10, 0, 1, 1) && d->yiaddr <= IP(10, 0, 4, 250));
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(f->a[j].ip, f->a[i].ip);
		assert_int_equal(f->a[i].srv_ip, SERVER);
		assert_memory_equal(f->a[i].srv_mac.b, srv_mac.b, 6);
		assert_int_equal(d->server_id, SERVER);
		assert_int_equal(d->mask, 0xffff0000u);
		assert_int_equal(d->router, IP(10, 0, 0, 254));
		assert_int_equal(d->lease_s, 3600);
		assert_int_equal(sdhcp_deadline(d), UINT64_MAX);
		if (d->kind == SDHCP_OS) {
			assert_string_equal(d->boot_file, "");
			continue;
		}
		assert_int_equal(d->next_server, SERVER);
		assert_string_equal(d->boot_file, d->kind == SDHCP_PXE_BIOS ? bios_file :
				    d->kind == SDHCP_PXE_UEFI ? uefi_file :
				    "http://10.0.0.1/boot.ipxe");
	}
}

/* 50 BIOS ROMs and 50 EDK2 guests sharing one xid, broadcasts seen by all. */
static void test_storm_firmware(void **state)
{
	struct fx *f = *state;
	uint64_t t0 = f->now;

	f->n = 100;
	f->fanout = true;
	for (unsigned i = 0; i < f->n; i++) {
		if (i % 2 == 0)
			start(f, i, SDHCP_PXE_BIOS, 0x5000u + i, &tm_pxe);
		else
			start(f, i, SDHCP_PXE_UEFI, XID_EDK2, &tm_edk2);
	}
	run(f, t0 + 120 * SEC);
	assert_int_equal(f->bound, 100);
	assert_int_equal(f->failed, 0);
	assert_int_equal(f->events, 100);
	expect_all_bound(f, "undionly.kpxe", "ipxe.efi");
	/* EDK2 thinks 3.8 s after its OFFER; nothing was lost, so no retries */
	assert_int_equal(f->now, t0 + 3800000u);
	for (unsigned i = 0; i < f->n; i++)
		assert_int_equal(f->d[i].retrans, 0);
	/* every broadcast OFFER/ACK reached the 49 other EDK2 guests: ignored */
	assert_true(f->ignored >= 2 * 50 * 49);
	assert_int_equal(dhcp_server_counters(f->s)->ack, 100);
}

/* The same clients' iPXE, then their imaging OS: same addresses again. */
static void test_storm_chain(void **state)
{
	struct fx *f = *state;
	uint32_t first[NCLI];

	f->n = 60;
	for (unsigned i = 0; i < f->n; i++)
		start(f, i, i % 2 ? SDHCP_PXE_UEFI : SDHCP_PXE_BIOS, XID_EDK2, &tm_pxe);
	run(f, f->now + 120 * SEC);
	expect_all_bound(f, "undionly.kpxe", "ipxe.efi");
	for (unsigned i = 0; i < f->n; i++)
		first[i] = f->a[i].ip;
	for (int stage = 0; stage < 2; stage++) {
		f->bound = 0;
		f->now += 10 * SEC;
		for (unsigned i = 0; i < f->n; i++)
			start(f, i, stage == 0 ? (i % 2 ? SDHCP_IPXE_EFI : SDHCP_IPXE) : SDHCP_OS,
			      0x7000u + i, &tm_pxe);
		run(f, f->now + 120 * SEC);
		assert_int_equal(f->bound, f->n);
		expect_all_bound(f, NULL, NULL);
		for (unsigned i = 0; i < f->n; i++)
			assert_int_equal(f->a[i].ip, first[i]);
	}
	/* udhcpc's 576-byte limit: the server's reply still fitted */
	assert_int_equal(dhcp_server_counters(f->s)->opt_dropped_size, 0);
}

/* Every 7th frame lost, both ways: the retries carry everyone through. */
static void test_storm_loss(void **state)
{
	static const struct sdhcp_timing tm = { 4000000u, 32000000u, 0, 6, 3 };
	static const struct sdhcp_timing tm_think = { 4000000u, 32000000u, 3800000u, 6, 3 };
	struct fx *f = *state;
	uint64_t retrans = 0;

	f->w.drop_every = 7;
	f->n = 120;
	for (unsigned i = 0; i < f->n; i++)
		start(f, i, (enum sdhcp_kind)(i % SDHCP_KIND_N), i % 3 ? XID_EDK2 : i,
		      i % 5 == 1 ? &tm_think : &tm);
	run(f, f->now + 400 * SEC);
	expect_all_bound(f, "undionly.kpxe", "ipxe.efi");
	assert_int_equal(f->failed, 0);
	assert_int_equal(f->bound, f->n);
	for (unsigned i = 0; i < f->n; i++)
		retrans += f->d[i].retrans;
	assert_true(f->w.dropped > 0);
	assert_true(retrans >= f->w.dropped / 2);
}

/*
 * The lease store runs 700 ms behind: every ACK waits for its lease to be
 * persisted and then leaves; everyone binds 700 ms later than with a
 * store that keeps up, to the address the store recorded, and no client
 * retransmits (a hundred clients stay far below DHCP_PERSIST_SOFT;
 * test_dhcp_server.c drives the server past its bounds).
 */
static void test_storm_store_lags(void **state)
{
	struct fx *f = *state;
	uint64_t t0 = f->now;

	f->store_lag = 700000;
	f->n = 100;
	for (unsigned i = 0; i < f->n; i++)
		start(f, i, i % 2 ? SDHCP_PXE_UEFI : SDHCP_PXE_BIOS, 0x6000u + i, &tm_pxe);
	run(f, t0 + 120 * SEC);
	assert_int_equal(f->bound, 100);
	assert_int_equal(f->failed, 0);
	expect_all_bound(f, "undionly.kpxe", "ipxe.efi");
	assert_int_equal(f->now, t0 + 700000u);
	assert_int_equal(f->acks_out, 100);
	for (unsigned i = 0; i < f->n; i++)
		assert_int_equal(f->d[i].retrans, 0);
	assert_int_equal(dhcp_server_counters(f->s)->ack_held, 100);
	assert_int_equal(dhcp_server_counters(f->s)->ack_released, 100);
	assert_int_equal(dhcp_server_unpersisted(f->s), 0);
}

/* ---- nobody answers, NAKs -------------------------------------------------------- */

/* PXE 2.1: DISCOVER at 0, 4, 12, 28 s, then give up at 60 s. */
static void test_no_server(void **state)
{
	static const uint64_t at[] = { 4, 12, 28, 60 };
	struct mac_addr m = cmac(7);
	struct storm_addr a = { .mac = m };
	struct tnet_txq q;
	struct sdhcp d;

	(void)state;
	tnet_txq_init(&q, 4);
	sdhcp_start(&d, SDHCP_PXE_BIOS, 9, &a, 0, &tm_pxe, &q.tx);
	for (int i = 0; i < 4; i++) {
		q.tx.n = 0;
		assert_int_equal(sdhcp_deadline(&d), at[i] * SEC);
		assert_int_equal(sdhcp_timer(&d, &a, at[i] * SEC - 1, &tm_pxe, &q.tx),
				 SDHCP_IGNORED);
		assert_int_equal(sdhcp_timer(&d, &a, at[i] * SEC, &tm_pxe, &q.tx),
				 i < 3 ? SDHCP_RUNNING : SDHCP_FAILED);
		assert_int_equal(q.tx.n, i < 3 ? 1 : 0);
	}
	assert_int_equal(d.state, SDHCP_ST_FAILED);
	assert_string_equal(sdhcp_cause_name(d.cause), "dhcp: no offer");
	assert_int_equal(d.retrans, 3);
	assert_int_equal(sdhcp_deadline(&d), UINT64_MAX);
	assert_int_equal(sdhcp_timer(&d, &a, 1000 * SEC, &tm_pxe, &q.tx), SDHCP_IGNORED);

	/* an OFFER, then silence: the REQUEST is retried, then "no ack" */
	sdhcp_start(&d, SDHCP_PXE_UEFI, 9, &a, 0, &tm_pxe, &q.tx);
	{
		struct reply r;

		offer(&r, 9, &m, IP(10, 0, 0, 9));
		assert_int_equal(feed(&d, &a, &r, SEC, &tm_pxe, &q.tx), SDHCP_RUNNING);
	}
	for (uint64_t t = 5; t < 100; t++)
		if (sdhcp_timer(&d, &a, t * SEC, &tm_pxe, &q.tx) == SDHCP_FAILED)
			break;
	assert_string_equal(sdhcp_cause_name(d.cause), "dhcp: no ack");
	assert_int_equal(d.retrans, 3);
}

static void test_nak(void **state)
{
	struct mac_addr m = cmac(8);
	struct storm_addr a = { .mac = m };
	struct tnet_txq q;
	struct sdhcp d;
	struct reply r, nak;

	(void)state;
	tnet_txq_init(&q, 8);
	r_start(&nak, 6, 5, &m, 0, 0);
	r_end(&nak);
	sdhcp_start(&d, SDHCP_IPXE, 5, &a, 0, &tm_edk2, &q.tx);
	/* a NAK before any REQUEST is not ours to act on */
	assert_int_equal(feed(&d, &a, &nak, 0, &tm_edk2, &q.tx), SDHCP_IGNORED);
	for (int i = 1; i <= 3; i++) {
		q.tx.n = 0;
		offer(&r, 5, &m, IP(10, 0, 0, 5));
		assert_int_equal(feed(&d, &a, &r, 0, &tm_edk2, &q.tx), SDHCP_RUNNING);
		assert_int_equal(d.state, SDHCP_ST_THINKING);
		assert_int_equal(q.tx.n, 0);
		assert_int_equal(sdhcp_deadline(&d), 3800000u);
		/* the REQUEST after the think time */
		assert_int_equal(sdhcp_timer(&d, &a, 3800000u, &tm_edk2, &q.tx), SDHCP_RUNNING);
		assert_int_equal(q.tx.n, 1);
		assert_int_equal(d.state, SDHCP_ST_REQUESTING);
		/* another server's NAK changes nothing */
		put_be32(nak.b + 245, IP(10, 0, 0, 99));
		assert_int_equal(feed(&d, &a, &nak, 0, &tm_edk2, &q.tx), SDHCP_IGNORED);
		put_be32(nak.b + 245, SERVER);
		assert_int_equal(feed(&d, &a, &nak, 0, &tm_edk2, &q.tx),
				 i < 3 ? SDHCP_RUNNING : SDHCP_FAILED);
		if (i < 3) {
			/* RFC 2131 sec 4.4.1: back to DISCOVER at once */
			assert_int_equal(d.state, SDHCP_ST_SELECTING);
			assert_int_equal(q.tx.n, 2);
			assert_int_equal(q.buf[1][UDP4_HDRS_LEN + 242], 1);
		}
	}
	assert_string_equal(sdhcp_cause_name(d.cause), "dhcp: nak");
	assert_int_equal(d.naks, 3);
	/* a late ACK after giving up */
	r_start(&r, 5, 5, &m, IP(10, 0, 0, 5), 0);
	r_end(&r);
	assert_int_equal(feed(&d, &a, &r, 0, &tm_edk2, &q.tx), SDHCP_IGNORED);
	assert_int_equal(a.ip, 0);
}

/* ---- ProxyDHCP, overload ------------------------------------------------------ */

static void test_proxy_offer(void **state)
{
	struct mac_addr m = cmac(9);
	struct storm_addr a = { .mac = m };
	struct tnet_txq q;
	struct sdhcp d;
	struct reply r;

	(void)state;
	tnet_txq_init(&q, 8);
	sdhcp_start(&d, SDHCP_PXE_BIOS, 77, &a, 0, &tm_pxe, &q.tx);
	/* PXE 2.1 ProxyDHCP: no yiaddr, 60 PXEClient, the boot information */
	r_start(&r, 2, 77, &m, 0, IP(10, 0, 0, 2));
	r_opt(&r, 60, "PXEClient", 9);
	r_opt(&r, 43, "\x06\x01\x08\xff", 4);
	r_opt(&r, 67, "pxelinux.0", 10);
	r_end(&r);
	assert_int_equal(feed(&d, &a, &r, 0, &tm_pxe, &q.tx), SDHCP_RUNNING);
	assert_int_equal(d.state, SDHCP_ST_SELECTING);
	assert_true(d.flags & SDHCP_F_PROXY);
	assert_string_equal(d.boot_file, "pxelinux.0");
	assert_int_equal(d.next_server, IP(10, 0, 0, 2));
	/* an OFFER without yiaddr or PXEClient is nothing */
	r_start(&r, 2, 77, &m, 0, 0);
	r_end(&r);
	assert_int_equal(feed(&d, &a, &r, 0, &tm_pxe, &q.tx), SDHCP_IGNORED);
	/* the address comes from a plain DHCP server without boot information */
	r_start(&r, 2, 77, &m, IP(10, 0, 0, 40), 0);
	r_end(&r);
	assert_int_equal(feed(&d, &a, &r, 0, &tm_pxe, &q.tx), SDHCP_RUNNING);
	r.b[242] = 5;
	assert_int_equal(feed(&d, &a, &r, 0, &tm_pxe, &q.tx), SDHCP_BOUND);
	assert_int_equal(a.ip, IP(10, 0, 0, 40));
	assert_string_equal(d.boot_file, "pxelinux.0");
	assert_int_equal(d.next_server, IP(10, 0, 0, 2));
	/* returned once: the ACK again is ignored */
	assert_int_equal(feed(&d, &a, &r, 0, &tm_pxe, &q.tx), SDHCP_IGNORED);
}

/* stampede in proxy mode: the boot information arrives, the address never. */
static void test_proxy_server(void **state)
{
	struct fx *f = *state;

	dhcp_server_destroy(f->s);
	f->cfg->dhcp.mode = CFG_DHCP_PROXY;
	f->s = dhcp_server_create(f->cfg);
	assert_non_null(f->s);
	f->n = 4;
	for (unsigned i = 0; i < f->n; i++)
		start(f, i, i % 2 ? SDHCP_PXE_UEFI : SDHCP_PXE_BIOS, XID_EDK2, &tm_pxe);
	run(f, f->now + 120 * SEC);
	for (unsigned i = 0; i < f->n; i++) {
		assert_int_equal(f->d[i].state, SDHCP_ST_FAILED);
		assert_string_equal(sdhcp_cause_name(f->d[i].cause), "dhcp: no offer");
		assert_true(f->d[i].flags & SDHCP_F_PROXY);
		assert_string_equal(f->d[i].boot_file, i % 2 ? "ipxe.efi" : "undionly.kpxe");
		assert_int_equal(f->d[i].next_server, SERVER);
	}
}

/* RFC 2132 sec 9.3: 67 inside 'file', 66 inside 'sname'. */
static void test_overload(void **state)
{
	struct mac_addr m = cmac(10);
	struct storm_addr a = { .mac = m };
	struct tnet_txq q;
	struct sdhcp d;
	struct reply r;
	static const uint8_t file_opts[] = { 67, 9, 'b', 'o', 'o', 't', '/', 'x', '.', 'e', 'f',
					     0, 0, 255 };
	static const uint8_t sname_opts[] = { 66, 8, '1', '0', '.', '9', '.', '9', '.', '9',
					      255 };

	(void)state;
	tnet_txq_init(&q, 8);
	sdhcp_start(&d, SDHCP_PXE_UEFI, 3, &a, 0, &tm_pxe, &q.tx);
	offer(&r, 3, &m, IP(10, 0, 0, 3));
	assert_int_equal(feed(&d, &a, &r, 0, &tm_pxe, &q.tx), SDHCP_RUNNING);
	r_start(&r, 5, 3, &m, IP(10, 0, 0, 3), IP(10, 0, 0, 1));
	r_opt(&r, 52, "\x03", 1);
	r_ip(&r, 3, IP(10, 0, 0, 254));
	r_end(&r);
	memcpy(r.b + 108, file_opts, sizeof(file_opts));
	memcpy(r.b + 44, sname_opts, sizeof(sname_opts));
	assert_int_equal(feed(&d, &a, &r, 0, &tm_pxe, &q.tx), SDHCP_BOUND);
	assert_string_equal(d.boot_file, "boot/x.ef");
	assert_int_equal(d.next_server, IP(10, 9, 9, 9));
	assert_int_equal(d.siaddr, IP(10, 0, 0, 1));
	assert_int_equal(d.router, IP(10, 0, 0, 254));

	/* a plain 'file' field, and a 67 longer than we keep */
	sdhcp_start(&d, SDHCP_PXE_UEFI, 3, &a, 0, &tm_pxe, &q.tx);
	r_start(&r, 2, 3, &m, IP(10, 0, 0, 3), 0);
	r_end(&r);
	memcpy(r.b + 108, "from/the/file/field", 19);
	assert_int_equal(feed(&d, &a, &r, 0, &tm_pxe, &q.tx), SDHCP_RUNNING);
	assert_string_equal(d.boot_file, "from/the/file/field");
	{
		char longname[200];

		memset(longname, 'x', sizeof(longname));
		r_start(&r, 5, 3, &m, IP(10, 0, 0, 3), 0);
		r_opt(&r, 67, longname, sizeof(longname));
		r_end(&r);
	}
	assert_int_equal(feed(&d, &a, &r, 0, &tm_pxe, &q.tx), SDHCP_BOUND);
	assert_int_equal(strlen(d.boot_file), SDHCP_FILE_MAX);
	assert_true(d.flags & SDHCP_F_FILE_LONG);
}

/* ---- bad input ------------------------------------------------------------------ */

/* A machine in REQUESTING after an OFFER, and a copy to compare with. */
static void requesting(struct sdhcp *d, struct storm_addr *a, struct tnet_txq *q)
{
	struct reply r;

	a->mac = cmac(11);
	a->ip = 0;
	tnet_txq_init(q, 8);
	sdhcp_start(d, SDHCP_PXE_UEFI, 0xfeed, a, 0, &tm_pxe, &q->tx);
	offer(&r, 0xfeed, &a->mac, IP(10, 0, 0, 11));
	assert_int_equal(feed(d, a, &r, 0, &tm_pxe, &q->tx), SDHCP_RUNNING);
	q->tx.n = 0;
}

static void ack11(struct reply *r, const struct mac_addr *m)
{
	r_start(r, 5, 0xfeed, m, IP(10, 0, 0, 11), SERVER);
	r_ip(r, 51, 600);
	r_ip(r, 3, IP(10, 0, 0, 254));
	r_opt(r, 67, "ipxe.efi", 8);
	r->b[r->len++] = 255; /* no padding: every byte matters */
}

static void expect_unchanged(const struct sdhcp *d, const struct sdhcp *copy,
			     const struct storm_addr *a, const char *what, size_t cut)
{
	if (memcmp(d, copy, sizeof(*d)) != 0 || a->ip != 0)
		fail_msg("%s (%zu): the machine changed", what, cut);
}

/* Every prefix of a valid ACK is ignored; only the whole one binds. */
static void test_truncated(void **state)
{
	struct storm_addr a;
	struct tnet_txq q;
	struct sdhcp d, copy;
	struct reply r, cut;

	(void)state;
	requesting(&d, &a, &q);
	copy = d;
	ack11(&r, &a.mac);
	for (size_t n = 0; n < r.len; n++) {
		cut = r;
		cut.len = n;
		assert_int_equal(feed(&d, &a, &cut, 0, &tm_pxe, &q.tx), SDHCP_IGNORED);
		expect_unchanged(&d, &copy, &a, "truncated", n);
	}
	assert_int_equal(q.tx.n, 0);
	assert_int_equal(feed(&d, &a, &r, 0, &tm_pxe, &q.tx), SDHCP_BOUND);
	assert_int_equal(a.ip, IP(10, 0, 0, 11));
	assert_int_equal(d.lease_s, 600);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *what;
		size_t off;
		uint8_t v;
	} pokes[] = {
		{ "op BOOTREQUEST", 0, 1 }, { "htype", 1, 6 }, { "hlen", 2, 7 },
		{ "xid", 7, 0 }, { "chaddr", 33, 0x99 }, { "magic", 239, 0x64 },
		{ "type 0", 242, 0 }, { "type 9", 242, 9 }, { "type OFFER", 242, 2 },
		{ "53 len 2", 241, 2 }, { "54 len 3", 244, 3 },
		{ "54 len past the end", 244, 250 }, { "51 len 5", 250, 5 },
		{ "router len 5", 256, 5 }, { "router len 0", 256, 0 },
		{ "52 = 1 with a garbage file field", 243, 52 },
	};
	struct storm_addr a;
	struct tnet_txq q;
	struct sdhcp d, copy;
	struct reply r, bad;
	uint8_t f[STORM_FRAME_MAX];
	struct pkt_info pi;

	(void)state;
	requesting(&d, &a, &q);
	copy = d;
	ack11(&r, &a.mac);
	for (size_t i = 0; i < sizeof(pokes) / sizeof(pokes[0]); i++) {
		bad = r;
		bad.b[pokes[i].off] = pokes[i].v;
		if (pokes[i].off == 243) {
			/* 52 = 1 (len 1) replaces 54 ...; the file field holds junk */
			bad.b[244] = 1;
			bad.b[245] = 1;
			bad.b[246] = 0;     /* PAD */
			bad.b[247] = 0;
			memset(bad.b + 108, 0x42, 128);
		}
		assert_int_equal(feed(&d, &a, &bad, 0, &tm_pxe, &q.tx), SDHCP_IGNORED);
		expect_unchanged(&d, &copy, &a, pokes[i].what, i);
	}
	/* no END */
	bad = r;
	bad.len--;
	assert_int_equal(feed(&d, &a, &bad, 0, &tm_pxe, &q.tx), SDHCP_IGNORED);
	/* the right message on the wrong ports, or not UDP at all */
	r_frame(&r, f, &pi);
	pi.src_port = 4011;
	assert_null(sdhcp_reply_chaddr(&pi));
	assert_int_equal(sdhcp_input(&d, &a, &pi, 0, &tm_pxe, &q.tx), SDHCP_IGNORED);
	r_frame(&r, f, &pi);
	pi.dst_port = 67;
	assert_int_equal(sdhcp_input(&d, &a, &pi, 0, &tm_pxe, &q.tx), SDHCP_IGNORED);
	r_frame(&r, f, &pi);
	pi.proto = IPPROTO_TCP_;
	assert_null(sdhcp_reply_chaddr(&pi));
	expect_unchanged(&d, &copy, &a, "ports", 0);
	assert_int_equal(q.tx.n, 0);
	/* and it still works */
	r_frame(&r, f, &pi);
	assert_memory_equal(sdhcp_reply_chaddr(&pi), a.mac.b, 6);
	assert_int_equal(sdhcp_input(&d, &a, &pi, 0, &tm_pxe, &q.tx), SDHCP_BOUND);
}

/* Random corruption of replies: never a crash, never a wrong binding. */
static void test_corrupted(void **state)
{
	uint32_t rnd = 12345;
	unsigned bound = 0;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		struct storm_addr a;
		struct tnet_txq q;
		struct sdhcp d;
		struct reply r;
		int rc;

		requesting(&d, &a, &q);
		ack11(&r, &a.mac);
		for (int k = 0; k < 1 + iter % 4; k++) {
			rnd = rnd * 1103515245u + 12345u;
			r.b[(rnd >> 8) % r.len] = (uint8_t)(rnd >> 20);
		}
		rnd = rnd * 1103515245u + 12345u;
		if (rnd % 4 == 0)
			r.len = (rnd >> 8) % r.len;
		rc = feed(&d, &a, &r, 0, &tm_pxe, &q.tx);
		assert_true(rc == SDHCP_IGNORED || rc == SDHCP_BOUND || rc == SDHCP_RUNNING);
		if (rc == SDHCP_BOUND) {
			bound++;
			assert_int_equal(a.ip, d.yiaddr);
			assert_true(d.boot_file[SDHCP_FILE_MAX] == 0);
		}
	}
	assert_true(bound > 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sdhcp_cause_name(SDHCP_CAUSE_NO_ACK), "dhcp: no ack");
	assert_string_equal(sdhcp_cause_name(99), "");
	assert_string_equal(sdhcp_state_name(SDHCP_ST_THINKING), "THINKING");
	assert_string_equal(sdhcp_state_name(99), "?");
	assert_true(sizeof(struct sdhcp) <= 256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_bytes),
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test_setup_teardown(test_storm_firmware, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storm_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storm_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storm_store_lags, setup, teardown),
		cmocka_unit_test(test_no_server),
		cmocka_unit_test(test_nak),
		cmocka_unit_test(test_proxy_offer),
		cmocka_unit_test_setup_teardown(test_proxy_server, setup, teardown),
		cmocka_unit_test(test_overload),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_corrupted),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
