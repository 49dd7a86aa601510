/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DHCP server and ProxyDHCP state machine: RFC 2131 sec 4.3 (server
 * behaviour), sec 4.1 (where replies go), RFC 2132 options, PXE 2.1 for the
 * proxy. One call per datagram; every outcome is counted.
 */
#include "dhcp_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "dhcp_build.h"
#include "dhcp_hold.h"
#include "dhcp_lease.h"
#include "dhcp_parse.h"
#include "dhcp_wire.h"

const char *const dhcp_counter_names[] = {
#define X(name, help) #name,
	DHCP_COUNTERS(X)
#undef X
};

const char *const dhcp_counter_help[] = {
#define X(name, help) help,
	DHCP_COUNTERS(X)
#undef X
};

/* "http://" + address + ":65535" + "/" + script */
#define DHCP_URL_MAX (7 + STP_IPV4_STRLEN + 6 + 1 + CFG_NAME_MAX)

static const struct mac_addr mac_bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static const char pxe_client[] = "PXEClient";

/* Lost held ACKs dropped per dhcp_server_release_ready(). */
#define HOLD_DROPS_PER_CALL 64

struct dhcp_server {
	const struct stp_config *cfg;
	struct dhcp_counters c;
	struct dhcp_leases leases;
	struct dhcp_hold hold;            /* ACKs waiting for their lease to persist */
	uint64_t seq_last;                /* the last lease event's sequence number */
	uint64_t persisted;               /* the store's watermark, as last reported */
	char addr_str[STP_IPV4_STRLEN];   /* option 66 */
	char url[DHCP_URL_MAX];           /* iPXE script URL */
};

/** Everything one datagram's handling needs; lives on the stack. */
struct dhcp_ctx {
	struct dhcp_server *s;
	const struct dhcp_rx *rx;
	struct dhcp_msg m;
	uint64_t now;
	struct dhcp_tx *tx;
	struct dhcp_events *ev;
	enum dhcp_client_kind kind;
	uint16_t arch;
	const char *boot;                 /* NULL: nothing to boot */
	int pool;                         /* server mode: the chosen pool */
};

/** What a reply carries beyond its header. */
struct reply_opts {
	bool lease;                       /* 51/58/59 */
	bool net;                         /* 1/3/6/12/15/28 */
	bool proxy;                       /* PXE 2.1 proxy form: 60 + 43 */
	int pool;                         /* for net, -1 = none */
	const struct cfg_host *host;      /* for 12 */
};

struct dhcp_server *dhcp_server_create(const struct stp_config *cfg)
{
	struct dhcp_server *s = calloc(1, sizeof(*s));
	char port[8] = "";

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	if (dhcp_leases_init(&s->leases, cfg) < 0)
		goto err_free;
	if (dhcp_hold_init(&s->hold, DHCP_PERSIST_HARD) < 0)
		goto err_leases;
	ipv4_format(cfg->port.addr, s->addr_str);
	if (cfg->boot.http_port != 80 && cfg->boot.http_port != 0)
		snprintf(port, sizeof(port), ":%u", cfg->boot.http_port);
	snprintf(s->url, sizeof(s->url), "http://%s%s/%s", s->addr_str, port,
		 cfg->boot.script);
	return s;

err_leases:
	dhcp_leases_fini(&s->leases);
err_free:
	free(s);
	return NULL;
}

void dhcp_server_destroy(struct dhcp_server *s)
{
	if (s == NULL)
		return;
	dhcp_hold_fini(&s->hold);
	dhcp_leases_fini(&s->leases);
	free(s);
}

int dhcp_server_restore(struct dhcp_server *s, const struct mac_addr *mac,
			uint32_t ip, uint64_t expires, uint64_t now)
{
	return dhcp_leases_restore(&s->leases, mac, ip, expires, now);
}

const struct dhcp_counters *dhcp_server_counters(const struct dhcp_server *s)
{
	return &s->c;
}

/* ---- persisted before acknowledged -------------------------------------- */

uint64_t dhcp_server_unpersisted(const struct dhcp_server *s)
{
	return s->seq_last > s->persisted ? s->seq_last - s->persisted : 0;
}

void dhcp_server_set_persisted(struct dhcp_server *s, uint64_t seq)
{
	if (seq > s->persisted)
		s->persisted = seq;
}

void dhcp_server_event_lost(struct dhcp_server *s, uint64_t seq)
{
	/* counted when the slot is dropped, in dhcp_server_release_ready() */
	dhcp_hold_lose(&s->hold, seq);
}

static bool held_persisted(const struct dhcp_server *s, const struct dhcp_held *h)
{
	return !h->lost && h->seq <= s->persisted;
}

bool dhcp_server_release_ready(struct dhcp_server *s)
{
	for (unsigned i = 0; i < HOLD_DROPS_PER_CALL; i++) {
		const struct dhcp_held *h = dhcp_hold_head(&s->hold);

		if (h == NULL || !h->lost)
			/* sequence order: if the oldest waits, so do the rest */
			return h != NULL && held_persisted(s, h);
		s->c.ack_hold_lost++;
		dhcp_hold_pop(&s->hold);
	}
	return false;
}

int dhcp_server_release(struct dhcp_server *s, struct dhcp_tx *tx)
{
	struct dhcp_held *h = dhcp_hold_head(&s->hold);
	uint8_t *buf = tx->buf;
	size_t cap = tx->cap;

	tx->len = 0;
	if (h == NULL || !held_persisted(s, h))
		return 0;
	if (h->tx.len > cap) {
		/* built for a larger buffer than the glue offers now */
		s->c.ack_hold_lost++;
		dhcp_hold_pop(&s->hold);
		return 0;
	}
	*tx = h->tx;
	tx->buf = buf;
	tx->cap = cap;
	memcpy(buf, h->buf, h->tx.len);
	dhcp_hold_pop(&s->hold);
	s->c.ack_released++;
	return 1;
}

/*
 * Room to bind one more lease: its BOUND event must fit under the hard
 * backlog bound and its ACK in a hold slot. Checked before anything is
 * bound, so a deferred REQUEST leaves no trace.
 */
static bool persist_room(const struct dhcp_server *s)
{
	return dhcp_server_unpersisted(s) < DHCP_PERSIST_HARD && !dhcp_hold_full(&s->hold);
}

/* ---- classification ------------------------------------------------------ */

static bool span_contains(struct span hay, const char *needle, size_t n)
{
	for (size_t i = 0; hay.len >= n && i <= hay.len - n; i++)
		if (memcmp(hay.p + i, needle, n) == 0)
			return true;
	return false;
}

/*
 * Option 77 "iPXE": iPXE sends the bare string; the RFC 3004 form wraps it
 * in a length byte. Looking for the bytes anywhere accepts both.
 */
static enum dhcp_client_kind client_kind(const struct dhcp_msg *m)
{
	const struct span *uc = dhcp_msg_opt(m, DHCP_OPT_USER_CLASS);
	const struct span *vc = dhcp_msg_opt(m, DHCP_OPT_VENDOR_CLASS);

	if (uc != NULL && span_contains(*uc, "iPXE", 4))
		return DHCP_CLIENT_IPXE;
	if (vc != NULL && span_starts_with(*vc, pxe_client))
		return DHCP_CLIENT_PXE;
	return DHCP_CLIENT_PLAIN;
}

/* RFC 4578 sec 2.1, else PXE 2.1's "PXEClient:Arch:xxxxx:UNDI:yyyzzz". */
static uint16_t client_arch(const struct dhcp_msg *m)
{
	const struct span *a = dhcp_msg_opt(m, DHCP_OPT_CLIENT_ARCH);
	const struct span *vc = dhcp_msg_opt(m, DHCP_OPT_VENDOR_CLASS);
	uint32_t v = 0;

	if (a != NULL)
		return get_be16(a->p);
	if (vc == NULL || !span_starts_with(*vc, "PXEClient:Arch:") || vc->len < 20)
		return PXE_ARCH_NONE;
	for (size_t i = 15; i < 20; i++) {
		if (vc->p[i] < '0' || vc->p[i] > '9')
			return PXE_ARCH_NONE;
		v = v * 10 + (uint32_t)(vc->p[i] - '0');
	}
	return v > 0xfffe ? PXE_ARCH_NONE : (uint16_t)v;
}

static const char *nonempty(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

/* The boot file for this client, or NULL (PXE spec; docs/design.md,
 * "The boot chain", step 1). */
static const char *boot_file(const struct dhcp_server *s, enum dhcp_client_kind kind,
			     uint16_t arch)
{
	const struct stp_config *cfg = s->cfg;

	if (kind == DHCP_CLIENT_IPXE)
		return nonempty(cfg->boot.script) ? s->url : NULL;
	if (kind != DHCP_CLIENT_PXE)
		return NULL;
	switch (arch) {
	case PXE_ARCH_BIOS:
		return nonempty(cfg->boot.bios);
	case PXE_ARCH_EFI_BC:
	case PXE_ARCH_EFI_X86_64:
		return nonempty(cfg->boot.uefi);
	case PXE_ARCH_EFI_IA32:
		return nonempty(cfg->boot.uefi32);
	case PXE_ARCH_EFI_ARM64:
		return nonempty(cfg->boot.arm64);
	default:
		return NULL;
	}
}

/* ---- events ---------------------------------------------------------------- */

/* The events written to the lease table: numbered, in order. */
static bool is_lease_event(uint8_t type)
{
	return type == DHCP_EV_BOUND || type == DHCP_EV_RELEASED || type == DHCP_EV_DECLINED;
}

/* @return the event appended, or NULL when the caller's queue is full. */
static const struct dhcp_event *ev_push(struct dhcp_ctx *x, uint8_t type, uint32_t ip,
					uint64_t expires)
{
	struct dhcp_events *ev = x->ev;
	struct dhcp_event *e;

	if (ev == NULL || ev->n >= ev->cap) {
		x->s->c.ev_dropped++; /* the packet path never waits */
		return NULL;
	}
	e = &ev->ev[ev->n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->client_kind = (uint8_t)x->kind;
	e->arch = x->arch;
	e->mac = x->m.chaddr;
	e->ip = ip;
	e->expires = expires;
	/* only a number that is in a queued event: the watermark counts them */
	if (is_lease_event(type))
		e->seq = ++x->s->seq_last;
	return e;
}

/* ---- reply building ----------------------------------------------------- */

/*
 * RFC 2132 sec 9.10 / RFC 2131 sec 2: option 57 counts the IP datagram, so
 * the DHCP message gets it minus IP and UDP headers; without it (or below
 * the legal 576) a client only promises 576-byte datagrams.
 */
static size_t reply_budget(const struct dhcp_ctx *x)
{
	const struct span *mms = dhcp_msg_opt(&x->m, DHCP_OPT_MAX_MSG_SIZE);
	size_t budget = DHCP_DEFAULT_MAX_MSG;

	if (mms != NULL && get_be16(mms->p) >= 576)
		budget = STP_MIN((size_t)get_be16(mms->p), (size_t)DHCP_ETH_MTU) -
			 DHCP_IP_UDP_HDR_LEN;
	return STP_MIN(budget, x->tx->cap);
}

/* Wire size of every option 82 instance: reserved so the echo always fits. */
static size_t relay_opt_size(const struct dhcp_msg *m)
{
	size_t n = 0;

	for (unsigned i = 0; i < m->n_opts; i++)
		if (m->opts[i].code == DHCP_OPT_RELAY_AGENT)
			n += 2 + m->opts[i].v.len;
	return n;
}

/* RFC 3046 sec 2.2: the server copies option 82 into its reply, verbatim. */
static void echo_relay(struct dhcp_builder *b, const struct dhcp_msg *m)
{
	for (unsigned i = 0; i < m->n_opts; i++)
		if (m->opts[i].code == DHCP_OPT_RELAY_AGENT)
			dhcp_build_opt(b, DHCP_OPT_RELAY_AGENT, m->opts[i].v.p,
				       m->opts[i].v.len);
}

static void add_lease_opts(struct dhcp_builder *b, unsigned lease)
{
	/* RFC 2131 sec 4.4.5 defaults: T1 = 0.5, T2 = 0.875 of the lease */
	dhcp_build_opt_u32(b, DHCP_OPT_LEASE_TIME, lease);
	dhcp_build_opt_u32(b, DHCP_OPT_T1, lease / 2);
	dhcp_build_opt_u32(b, DHCP_OPT_T2, (uint32_t)((uint64_t)lease * 7 / 8));
}

/*
 * RFC 2132 sec 3.3, 3.5: mask and router, when option 55 asks for them.
 * They go before the boot information: without them nothing works.
 */
static void add_route_opts(struct dhcp_ctx *x, struct dhcp_builder *b,
			   const struct reply_opts *o)
{
	const struct cfg_pool *pc = &x->s->cfg->dhcp.pools[o->pool];

	if (dhcp_msg_wants(&x->m, DHCP_OPT_SUBNET_MASK))
		dhcp_build_opt_u32(b, DHCP_OPT_SUBNET_MASK,
				   ipv4_prefix_mask(pc->prefix_len));
	if (pc->router != 0 && dhcp_msg_wants(&x->m, DHCP_OPT_ROUTER))
		dhcp_build_opt_u32(b, DHCP_OPT_ROUTER, pc->router);
}

/* RFC 2132 sec 3.8, 3.14, 3.17, 5.3: the rest, after the boot information. */
static void add_net_opts(struct dhcp_ctx *x, struct dhcp_builder *b,
			 const struct reply_opts *o)
{
	const struct cfg_pool *pc = &x->s->cfg->dhcp.pools[o->pool];
	const struct dhcp_msg *m = &x->m;
	const char *domain = x->s->cfg->dhcp.domain;
	uint32_t mask = ipv4_prefix_mask(pc->prefix_len);
	unsigned n_dns = pc->n_dns;

	if (n_dns > CFG_MAX_DNS)
		n_dns = CFG_MAX_DNS;
	if (n_dns > 0 && dhcp_msg_wants(m, DHCP_OPT_DNS)) {
		uint8_t dns[4 * CFG_MAX_DNS];

		for (unsigned i = 0; i < n_dns; i++)
			put_be32(dns + 4 * i, pc->dns[i]);
		dhcp_build_opt(b, DHCP_OPT_DNS, dns, 4 * n_dns);
	}
	if (o->host != NULL && o->host->name[0] != '\0' &&
	    dhcp_msg_wants(m, DHCP_OPT_HOSTNAME))
		dhcp_build_opt(b, DHCP_OPT_HOSTNAME, o->host->name,
			       strnlen(o->host->name, CFG_NAME_MAX));
	if (domain[0] != '\0' && dhcp_msg_wants(m, DHCP_OPT_DOMAIN))
		dhcp_build_opt(b, DHCP_OPT_DOMAIN, domain, strnlen(domain, CFG_NAME_MAX));
	if (dhcp_msg_wants(m, DHCP_OPT_BROADCAST))
		dhcp_build_opt_u32(b, DHCP_OPT_BROADCAST, pc->subnet | ~mask);
}

/*
 * PXE 2.1 boot information: next server, boot file in option 67 and in
 * 'file' when it fits whole. @return true when the file name went out.
 */
static bool add_pxe_opts(struct dhcp_ctx *x, struct dhcp_builder *b, bool proxy)
{
	/* sub-option 6 = 8: boot the named file, no discovery, no menu */
	static const uint8_t pxe_vendor[] = { PXE_DISCOVERY_CONTROL, 1,
					      PXE_DISCOVERY_USE_BOOTFILE, DHCP_OPT_END };
	static const uint8_t ipxe_encap[] = { IPXE_OPT_NO_PXEDHCP, 1, 1 };
	const char *addr = x->s->addr_str;
	size_t len = strlen(x->boot);
	bool in_file, in_opt;

	if (proxy || x->kind == DHCP_CLIENT_PXE)
		dhcp_build_opt(b, DHCP_OPT_VENDOR_CLASS, pxe_client, sizeof(pxe_client) - 1);
	if (proxy)
		dhcp_build_opt(b, DHCP_OPT_VENDOR, pxe_vendor, sizeof(pxe_vendor));
	dhcp_build_opt(b, DHCP_OPT_TFTP_SERVER, addr, strlen(addr));
	in_opt = dhcp_build_opt(b, DHCP_OPT_BOOTFILE, x->boot, len);
	in_file = dhcp_build_file(b, x->boot, len);
	/* iPXE waits ~3 s for ProxyDHCP offers unless told there are none */
	if (!proxy && x->kind == DHCP_CLIENT_IPXE && x->s->cfg->boot.no_pxedhcp)
		dhcp_build_opt(b, DHCP_OPT_IPXE_ENCAP, ipxe_encap, sizeof(ipxe_encap));
	return in_opt || in_file;
}

/*
 * Build the reply into x->tx; RFC 2131 sec 4.3.1 table 3 says which fields
 * and options each message type carries. @return true when a boot file
 * name went out.
 */
static bool build_reply(struct dhcp_ctx *x, const struct dhcp_reply_hdr *h,
			const struct reply_opts *o)
{
	const struct stp_config *cfg = x->s->cfg;
	struct dhcp_builder b;
	size_t relay = relay_opt_size(&x->m);
	bool booted = false;

	dhcp_build_init(&b, x->tx->buf, reply_budget(x), &x->m, h);
	dhcp_build_reserve(&b, relay);
	dhcp_build_opt_u32(&b, DHCP_OPT_SERVER_ID, cfg->port.addr);
	if (o->lease)
		add_lease_opts(&b, cfg->dhcp.lease_time);
	if (o->net && o->pool >= 0)
		add_route_opts(x, &b, o);
	if (x->boot != NULL && h->type != DHCPNAK)
		booted = add_pxe_opts(x, &b, o->proxy);
	if (o->net && o->pool >= 0)
		add_net_opts(x, &b, o);
	if (h->type != DHCPNAK) {
		const struct span *uuid = dhcp_msg_opt(&x->m, DHCP_OPT_CLIENT_UUID);

		if (uuid != NULL) /* RFC 4578 sec 2.3: PXE clients want it back */
			dhcp_build_opt(&b, DHCP_OPT_CLIENT_UUID, uuid->p, uuid->len);
	}
	dhcp_build_unreserve(&b, relay);
	echo_relay(&b, &x->m);
	x->tx->len = dhcp_build_finish(&b);
	x->s->c.opt_dropped_size += b.dropped;
	x->s->c.tx++;
	return booted;
}

/* RFC 2131 sec 4.1: where a reply from port 67 goes. */
static void address_reply(struct dhcp_ctx *x, uint8_t type, uint32_t yiaddr)
{
	const struct dhcp_msg *m = &x->m;
	struct dhcp_tx *tx = x->tx;

	tx->src_port = DHCP_SERVER_PORT;
	tx->dst_port = DHCP_CLIENT_PORT;
	tx->dst_mac = m->chaddr;
	if (m->giaddr != 0) {
		/* to the relay agent's server port, via the relay's MAC */
		tx->dst_ip = m->giaddr;
		tx->dst_port = DHCP_SERVER_PORT;
		tx->dst_mac = x->rx->src_mac;
	} else if (type != DHCPNAK && m->ciaddr != 0) {
		tx->dst_ip = m->ciaddr;
	} else if (type != DHCPNAK && !(m->flags & DHCP_FLAG_BROADCAST) && yiaddr != 0) {
		tx->dst_ip = yiaddr;
	} else {
		/* NAK, broadcast bit, or nothing to unicast to */
		tx->dst_ip = 0xffffffffu;
		tx->dst_mac = mac_bcast;
	}
}

/* ---- server mode ---------------------------------------------------------- */

static int send_nak(struct dhcp_ctx *x)
{
	struct dhcp_reply_hdr h = { .type = DHCPNAK, .flags = x->m.flags };
	struct reply_opts o = { .pool = -1 };

	/* RFC 2131 sec 4.1: a relayed NAK has the broadcast bit set */
	if (x->m.giaddr != 0)
		h.flags |= DHCP_FLAG_BROADCAST;
	build_reply(x, &h, &o);
	address_reply(x, DHCPNAK, 0);
	x->s->c.nak++;
	return 1;
}

/* OFFER or ACK carrying an address (RFC 2131 sec 4.3.1, 4.3.2), built
 * into x->tx. @return true when a boot file name went out. */
static bool build_lease(struct dhcp_ctx *x, uint8_t type, uint32_t ip)
{
	const struct cfg_host *host =
		dhcp_leases_reservation(&x->s->leases, x->pool, &x->m.chaddr);
	struct dhcp_reply_hdr h = {
		.type = type,
		.flags = x->m.flags,
		.ciaddr = type == DHCPACK ? x->m.ciaddr : 0,
		.yiaddr = ip,
		.siaddr = x->boot != NULL ? x->s->cfg->port.addr : 0,
	};
	struct reply_opts o = { .lease = true, .net = true, .pool = x->pool,
				.host = host != NULL && host->ip == ip ? host : NULL };
	bool booted = build_reply(x, &h, &o);

	address_reply(x, type, ip);
	return booted;
}

static int send_offer(struct dhcp_ctx *x, uint32_t ip)
{
	build_lease(x, DHCPOFFER, ip);
	x->s->c.offer++;
	return 1;
}

/*
 * The ACK of a binding (new or renewed) is built into a hold slot and
 * leaves through dhcp_server_release() once the store has persisted its
 * BOUND event: a kill -9 right after the ACK must not lose the lease, or
 * the restarted server gives the address to another MAC. Renewals wait
 * too: an extended expiry that is lost makes the restarted server free
 * the address at the old expiry while the client holds it to the new one
 * (docs/design.md, "Leases: persisted before acknowledged").
 */
static int hold_ack(struct dhcp_ctx *x, uint32_t ip)
{
	struct dhcp_server *s = x->s;
	struct dhcp_held *held = dhcp_hold_next(&s->hold); /* persist_room() said so */
	struct dhcp_tx *out = x->tx;
	const struct dhcp_event *bound;
	bool booted;

	if (held == NULL) {
		s->c.request_deferred_persist++;
		return 0;
	}
	held->tx = (struct dhcp_tx){ .buf = held->buf,
				     .cap = STP_MIN(out->cap, sizeof(held->buf)) };
	x->tx = &held->tx;
	booted = build_lease(x, DHCPACK, ip);
	x->tx = out;
	s->c.ack++;
	bound = ev_push(x, DHCP_EV_BOUND, ip, x->now + s->cfg->dhcp.lease_time);
	if (bound == NULL) {
		s->c.ack_hold_lost++; /* never persisted: never sent */
		return 0;
	}
	dhcp_hold_push(&s->hold, bound->seq);
	s->c.ack_held++;
	if (booted)
		ev_push(x, DHCP_EV_PXE_ANSWERED, ip, 0);
	return 0;
}

static int server_discover(struct dhcp_ctx *x)
{
	uint32_t ip, requested = 0;

	/* Persistence is behind: an OFFER now would lead to an ACK that has
	 * to wait (or be refused); the client's retransmission comes back
	 * when the store has caught up. */
	if (dhcp_server_unpersisted(x->s) >= DHCP_PERSIST_SOFT) {
		x->s->c.offer_deferred_persist++;
		return 0;
	}
	/* RFC 2131 sec 4.3.1: the requested address, if valid and free. */
	if (!dhcp_msg_opt_ip(&x->m, DHCP_OPT_REQ_IP, &requested))
		requested = 0;
	if (dhcp_leases_offer(&x->s->leases, x->pool, &x->m.chaddr, requested, x->now,
			      x->s->cfg->dhcp.offer_hold, &ip) < 0) {
		x->s->c.drop_pool_full++;
		return 0;
	}
	return send_offer(x, ip);
}

/* Bind and ACK, or NAK when the address turned out to be someone else's. */
static int ack_or_nak(struct dhcp_ctx *x, uint32_t ip)
{
	uint64_t expires = x->now + x->s->cfg->dhcp.lease_time;

	if (!persist_room(x->s)) {
		x->s->c.request_deferred_persist++;
		return 0;
	}
	if (dhcp_leases_bind(&x->s->leases, x->pool, &x->m.chaddr, ip, x->now,
			     expires) < 0)
		return send_nak(x);
	return hold_ack(x, ip);
}

/* RFC 2131 sec 4.3.2: the client's state tells which REQUEST this is. */
static int server_request(struct dhcp_ctx *x)
{
	const struct stp_config *cfg = x->s->cfg;
	struct dhcp_leases *l = &x->s->leases;
	const struct mac_addr *mac = &x->m.chaddr;
	uint32_t sid, req;
	bool has_req = dhcp_msg_opt_ip(&x->m, DHCP_OPT_REQ_IP, &req);
	enum dhcp_lease_owner own;

	if (dhcp_msg_opt_ip(&x->m, DHCP_OPT_SERVER_ID, &sid)) {
		/* SELECTING: 54 names the chosen server, 50 the offered address */
		if (sid != cfg->port.addr) {
			dhcp_leases_cancel_offer(l, x->pool, mac, x->now);
			x->s->c.drop_not_ours++;
			return 0;
		}
		if (!has_req)
			goto unexpected;
		own = dhcp_leases_owner(l, x->pool, mac, req, x->now);
		return own == DHCP_OWN_MINE || own == DHCP_OWN_UNKNOWN ?
			ack_or_nak(x, req) : send_nak(x);
	}
	if (x->m.ciaddr == 0) {
		/* INIT-REBOOT: verify a remembered address */
		if (!has_req)
			goto unexpected;
		own = dhcp_leases_owner(l, x->pool, mac, req, x->now);
		if (own == DHCP_OWN_UNKNOWN) {
			/* no record of this client: MUST remain silent */
			x->s->c.drop_not_ours++;
			return 0;
		}
		return own == DHCP_OWN_MINE ? ack_or_nak(x, req) : send_nak(x);
	}
	/* RENEWING (unicast) or REBINDING (broadcast): ciaddr is the lease */
	own = dhcp_leases_owner(l, x->pool, mac, x->m.ciaddr, x->now);
	return own == DHCP_OWN_MINE ? ack_or_nak(x, x->m.ciaddr) : send_nak(x);

unexpected:
	x->s->c.drop_unexpected++;
	return 0;
}

/* RELEASE/DECLINE name their server in 54 (RFC 2131 sec 4.4.4, 4.4.6). */
static bool for_us(struct dhcp_ctx *x)
{
	uint32_t sid;

	if (dhcp_msg_opt_ip(&x->m, DHCP_OPT_SERVER_ID, &sid) &&
	    sid != x->s->cfg->port.addr) {
		x->s->c.drop_not_ours++;
		return false;
	}
	return true;
}

/* RFC 2131 sec 4.3.4: free the address; the MAC keeps it as a memory. */
static int server_release(struct dhcp_ctx *x)
{
	if (for_us(x) &&
	    dhcp_leases_release(&x->s->leases, x->pool, &x->m.chaddr,
				x->m.ciaddr, x->now) == 0)
		ev_push(x, DHCP_EV_RELEASED, x->m.ciaddr, x->now);
	return 0;
}

/* RFC 2131 sec 4.3.3: the address is in use on the wire; quarantine it. */
static int server_decline(struct dhcp_ctx *x)
{
	uint64_t until = x->now + x->s->cfg->dhcp.lease_time;
	uint32_t ip;

	if (!for_us(x))
		return 0;
	if (!dhcp_msg_opt_ip(&x->m, DHCP_OPT_REQ_IP, &ip)) {
		x->s->c.drop_unexpected++;
		return 0;
	}
	if (dhcp_leases_decline(&x->s->leases, x->pool, &x->m.chaddr, ip, x->now,
				until) == 0)
		ev_push(x, DHCP_EV_DECLINED, ip, until);
	return 0;
}

/* RFC 2131 sec 4.3.5: configuration only; no yiaddr, no lease time. */
static int server_inform(struct dhcp_ctx *x)
{
	int pool = dhcp_leases_pool_for(&x->s->leases, x->m.ciaddr);
	struct dhcp_reply_hdr h = {
		.type = DHCPACK,
		.flags = x->m.flags,
		.ciaddr = x->m.ciaddr,
		.siaddr = x->boot != NULL ? x->s->cfg->port.addr : 0,
	};
	struct reply_opts o = { .net = true, .pool = pool >= 0 ? pool : x->pool };

	build_reply(x, &h, &o);
	address_reply(x, DHCPACK, 0);
	x->s->c.ack++;
	return 1;
}

static int server_input(struct dhcp_ctx *x)
{
	struct dhcp_counters *c = &x->s->c;

	if (x->s->leases.n_pools == 0) {
		c->drop_no_pool++;
		return 0;
	}
	/* RFC 2131 sec 4.3.1: giaddr names the client's subnet */
	x->pool = x->m.giaddr != 0 ? dhcp_leases_pool_for(&x->s->leases, x->m.giaddr) : 0;
	if (x->pool < 0) {
		c->drop_no_pool++;
		return 0;
	}
	switch (x->m.type) {
	case DHCPDISCOVER:
		return server_discover(x);
	case DHCPREQUEST:
		return server_request(x);
	case DHCPRELEASE:
		return server_release(x);
	case DHCPDECLINE:
		return server_decline(x);
	case DHCPINFORM:
		return server_inform(x);
	default:
		c->drop_unexpected++;
		return 0;
	}
}

/* ---- ProxyDHCP (PXE 2.1 sec 2.2.x) ----------------------------------------- */

/* Only PXE/iPXE clients with a boot file for their architecture get answers. */
static bool proxy_serves(struct dhcp_ctx *x)
{
	if (x->kind == DHCP_CLIENT_PLAIN || x->boot == NULL) {
		x->s->c.drop_not_pxe++;
		return false;
	}
	return true;
}

static int proxy_reply(struct dhcp_ctx *x, uint8_t type)
{
	struct dhcp_reply_hdr h = {
		.type = type,
		.flags = x->m.flags,
		.ciaddr = type == DHCPACK ? x->m.ciaddr : 0,
		.siaddr = x->s->cfg->port.addr, /* yiaddr stays 0: not ours */
	};
	struct reply_opts o = { .proxy = true, .pool = -1 };

	if (build_reply(x, &h, &o))
		ev_push(x, DHCP_EV_PXE_ANSWERED, x->m.ciaddr, 0);
	return 1;
}

/*
 * A REQUEST on port 67 in proxy mode is the client accepting the other
 * server's offer (RFC 2131 sec 4.3.2: SELECTING names that server in 54
 * and the address in 50; INIT-REBOOT names only the address). It gets no
 * answer from us, but it is the one message where a client we gave boot
 * information says which address it now has: without it control could
 * neither stamp the boot's DHCP stage nor tie the client's later TFTP and
 * HTTP fetches (known only by address) to its host.
 */
static int proxy_request(struct dhcp_ctx *x)
{
	uint32_t sid, ip;

	x->s->c.drop_not_ours++;
	if (x->kind == DHCP_CLIENT_PLAIN || x->boot == NULL)
		return 0; /* not booting from us: none of our business */
	if (dhcp_msg_opt_ip(&x->m, DHCP_OPT_SERVER_ID, &sid) && sid == x->s->cfg->port.addr)
		return 0; /* our OFFER had no address to accept */
	if (!dhcp_msg_opt_ip(&x->m, DHCP_OPT_REQ_IP, &ip) || ip == 0)
		return 0; /* RENEWING/REBINDING: no new lease, nothing new */
	ev_push(x, DHCP_EV_PROXY_LEASE, ip, 0);
	return 0;
}

/* Port 67 in proxy mode: only DISCOVER gets the boot information. */
static int proxy_input(struct dhcp_ctx *x)
{
	if (x->m.type == DHCPREQUEST)
		return proxy_request(x);
	if (x->m.type != DHCPDISCOVER) {
		x->s->c.drop_unexpected++;
		return 0;
	}
	if (!proxy_serves(x))
		return 0;
	proxy_reply(x, DHCPOFFER);
	address_reply(x, DHCPOFFER, 0);
	x->s->c.proxy_offer++;
	return 1;
}

/* Port 4011 (PXE boot server): REQUEST/INFORM, answered to where it came from. */
static int pxe_port_input(struct dhcp_ctx *x)
{
	struct dhcp_tx *tx = x->tx;

	if (x->m.type != DHCPREQUEST && x->m.type != DHCPINFORM) {
		x->s->c.drop_unexpected++;
		return 0;
	}
	if (!proxy_serves(x))
		return 0;
	proxy_reply(x, DHCPACK);
	tx->src_port = DHCP_PXE_PORT;
	tx->dst_port = x->rx->src_port;
	tx->dst_ip = x->rx->src_ip;
	tx->dst_mac = x->rx->src_mac;
	x->s->c.proxy_ack++;
	return 1;
}

/* ---- entry ------------------------------------------------------------------ */

static void count_type(struct dhcp_counters *c, uint8_t type)
{
	switch (type) {
	case DHCPDISCOVER: c->discover++; break;
	case DHCPREQUEST: c->request++; break;
	case DHCPRELEASE: c->release++; break;
	case DHCPDECLINE: c->decline++; break;
	case DHCPINFORM: c->inform++; break;
	default: break;
	}
}

static bool parse_ok(struct dhcp_counters *c, enum dhcp_parse_result rc)
{
	switch (rc) {
	case DHCP_PARSE_OK: return true;
	case DHCP_PARSE_TRUNCATED: c->drop_truncated++; break;
	case DHCP_PARSE_BAD_OP: c->drop_bad_op++; break;
	case DHCP_PARSE_BAD_HTYPE: c->drop_bad_htype++; break;
	case DHCP_PARSE_BAD_MAGIC: c->drop_bad_magic++; break;
	case DHCP_PARSE_BAD_OPTION: c->drop_bad_option++; break;
	case DHCP_PARSE_NO_END: c->drop_no_end++; break;
	case DHCP_PARSE_NO_TYPE: c->drop_no_type++; break;
	}
	return false;
}

int dhcp_server_input(struct dhcp_server *s, const struct dhcp_rx *rx,
		      uint64_t now, struct dhcp_tx *tx, struct dhcp_events *ev)
{
	struct dhcp_ctx x = { .s = s, .rx = rx, .now = now, .tx = tx, .ev = ev };

	tx->len = 0;
	s->c.rx++;
	if (!parse_ok(&s->c, dhcp_parse(rx->payload, &x.m)))
		return 0;
	count_type(&s->c, x.m.type);
	/* the builder needs a whole BOOTP message; the glue promised 1500 */
	if (s->cfg->dhcp.mode == CFG_DHCP_OFF || tx->cap < DHCP_DEFAULT_MAX_MSG) {
		s->c.drop_unexpected++;
		return 0;
	}
	x.kind = client_kind(&x.m);
	x.arch = client_arch(&x.m);
	x.boot = boot_file(s, x.kind, x.arch);
	if (rx->dst_port == DHCP_PXE_PORT)
		return pxe_port_input(&x);
	if (s->cfg->dhcp.mode == CFG_DHCP_PROXY)
		return proxy_input(&x);
	return server_input(&x);
}
