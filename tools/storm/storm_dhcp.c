/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A DHCP client as real boot firmware runs it: RFC 2131 sec 4.4 (client
 * behaviour), RFC 2132 options, RFC 4578 (93, 94, 97), PXE 2.1 (option 60,
 * the retransmission schedule, ProxyDHCP). The wire constants are kept
 * here rather than borrowed from the server's dhcp_wire.h: the generator
 * is the server's independent reading of the same RFCs, and tools/ does
 * not reach into dataplane/ (docs/design.md, "Layout").
 */
#include "storm_dhcp.h"

#include <string.h>

#include "bytes.h"

/* RFC 2131 sec 2 figure 1: offsets of the fixed header. */
#define OFF_OP 0
#define OFF_HTYPE 1
#define OFF_HLEN 2
#define OFF_XID 4
#define OFF_SECS 8
#define OFF_FLAGS 10
#define OFF_YIADDR 16
#define OFF_SIADDR 20
#define OFF_CHADDR 28
#define OFF_SNAME 44
#define OFF_FILE 108
#define OFF_MAGIC 236
#define OFF_OPTIONS 240
#define SNAME_LEN 64
#define FILE_LEN 128
#define MAGIC 0x63825363u
/* RFC 951: a BOOTP message is at least 300 bytes; old servers insist. */
#define BOOTP_MIN_LEN 300
#define BOOTREQUEST 1
#define BOOTREPLY 2
#define FLAG_BROADCAST 0x8000u
#define PORT_SERVER 67
#define PORT_CLIENT 68

/* RFC 2132 (and RFC 3004, 4578, iPXE) option codes used here. */
enum {
	OPT_PAD = 0, OPT_MASK = 1, OPT_ROUTER = 3, OPT_REQ_IP = 50, OPT_LEASE = 51,
	OPT_OVERLOAD = 52, OPT_TYPE = 53, OPT_SERVER_ID = 54, OPT_PRL = 55,
	OPT_MAX_MSG = 57, OPT_VENDOR_CLASS = 60, OPT_CLIENT_ID = 61,
	OPT_TFTP_SERVER = 66, OPT_BOOTFILE = 67, OPT_USER_CLASS = 77,
	OPT_ARCH = 93, OPT_NDI = 94, OPT_UUID = 97, OPT_IPXE = 175, OPT_END = 255,
};

/* RFC 2132 sec 9.6 message types. */
enum { DISCOVER = 1, OFFER = 2, REQUEST = 3, ACK = 5, NAK = 6 };

static const char *const state_names[SDHCP_ST_N] = {
#define X(name, help) #name,
	SDHCP_STATES(X)
#undef X
};

static const char *const cause_names[SDHCP_CAUSE_N] = {
#define X(name, text) text,
	SDHCP_CAUSES(X)
#undef X
};

const char *sdhcp_state_name(unsigned state)
{
	return state < SDHCP_ST_N ? state_names[state] : "?";
}

const char *sdhcp_cause_name(unsigned cause)
{
	return cause < SDHCP_CAUSE_N ? cause_names[cause] : "";
}

/* ---- what each kind sends ------------------------------------------------ */

/* The options after 53 (and 54/50 in a REQUEST), in each client's order. */
enum emit { E_END = 0, E_MMS, E_PRL, E_UUID, E_NDI, E_ARCH, E_VC, E_UC, E_IPXE, E_CID };

/* PXE 2.1 ROMs and EDK2: 53, 57, 55, 97, 94, 93, 60 (docs/design.md). */
static const uint8_t order_pxe[] = { E_MMS, E_PRL, E_UUID, E_NDI, E_ARCH, E_VC, E_END };
/* iPXE: 53, 57, 93, 94, 60, 77, 55, 175, 61, 97. */
static const uint8_t order_ipxe[] = { E_MMS, E_ARCH, E_NDI, E_VC, E_UC, E_PRL, E_IPXE,
				      E_CID, E_UUID, E_END };
/* busybox udhcpc: 53, 61, 57, 55. */
static const uint8_t order_os[] = { E_CID, E_MMS, E_PRL, E_END };

/* Intel PXE 2.1 ROM's parameter request list: the PXE spec's 128-135 too. */
static const uint8_t prl_bios[] = { 1, 2, 3, 4, 5, 6, 11, 12, 13, 15, 16, 17, 18, 22, 23,
				    28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67,
				    128, 129, 130, 131, 132, 133, 134, 135 };
/* EDK2 (OVMF) as captured. */
static const uint8_t prl_edk2[] = { 1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40,
				    41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128,
				    129, 130, 131, 132, 133, 134, 135 };
/* iPXE as captured: 175 and 203 are its own. */
static const uint8_t prl_ipxe[] = { 1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128,
				    129, 130, 131, 132, 133, 134, 135, 175, 203 };
/* udhcpc's defaults: mask, router, DNS, hostname, domain, broadcast, NTP. */
static const uint8_t prl_os[] = { 1, 3, 6, 12, 15, 28, 42 };

/*
 * Option 175, iPXE's encapsulated feature list: each feature code
 * (0x10-0x7f) with a version byte, then 235 (0xeb) = version 1.0.0.
 * Small but what a server keying on features sees: tftp, http, dns, and
 * the image format of the build (bzImage + PXE for BIOS, EFI for UEFI).
 */
static const uint8_t ipxe_feat_bios[] = { 0x15, 1, 1, 0x13, 1, 1, 0x17, 1, 1, 0x18, 1, 1,
					  0x21, 1, 1, 0xeb, 3, 1, 0, 0 };
static const uint8_t ipxe_feat_efi[] = { 0x15, 1, 1, 0x13, 1, 1, 0x17, 1, 1, 0x24, 1, 1,
					 0xeb, 3, 1, 0, 0 };

struct kind_desc {
	uint16_t flags;           /* BOOTP flags: the broadcast bit or not */
	uint16_t max_msg;         /* option 57 */
	uint16_t arch;            /* option 93 (RFC 4578 sec 2.1) */
	bool secs;                /* 'secs' is the elapsed time (iPXE's is not) */
	uint8_t ndi[3];           /* option 94: type 1 (UNDI), major, minor */
	const char *vc;           /* option 60 */
	const uint8_t *prl, *feat, *order;
	uint8_t prl_len, feat_len;
};

/*
 * The BIOS PXE ROM of the lab is qemu's iPXE NIC ROM, which leaves the
 * broadcast flag off (docs/design.md); EDK2 sets it. 57 = 1260 is what
 * PXE 2.1 ROMs announce; EDK2 and iPXE say 1472.
 */
static const struct kind_desc kinds[SDHCP_KIND_N] = {
	[SDHCP_PXE_BIOS] = { 0, 1260, 0, true, { 1, 2, 1 },
			     "PXEClient:Arch:00000:UNDI:002001", prl_bios, NULL, order_pxe,
			     sizeof(prl_bios), 0 },
	[SDHCP_PXE_UEFI] = { FLAG_BROADCAST, 1472, 7, true, { 1, 3, 0 },
			     "PXEClient:Arch:00007:UNDI:003000", prl_edk2, NULL, order_pxe,
			     sizeof(prl_edk2), 0 },
	[SDHCP_IPXE] = { 0, 1472, 0, false, { 1, 2, 1 }, "PXEClient:Arch:00000:UNDI:002001",
			 prl_ipxe, ipxe_feat_bios, order_ipxe, sizeof(prl_ipxe),
			 sizeof(ipxe_feat_bios) },
	[SDHCP_IPXE_EFI] = { 0, 1472, 7, false, { 1, 3, 10 },
			     "PXEClient:Arch:00007:UNDI:003010", prl_ipxe, ipxe_feat_efi,
			     order_ipxe, sizeof(prl_ipxe), sizeof(ipxe_feat_efi) },
	/* udhcpc: 576, the RFC 2131 minimum every host must accept */
	[SDHCP_OS] = { 0, 576, 0, true, { 0, 0, 0 }, NULL, prl_os, NULL, order_os,
		       sizeof(prl_os), 0 },
};

/* ---- building ------------------------------------------------------------- */

/** An option area being written; fits by construction (< 200 bytes). */
struct obuf {
	uint8_t *p;
	size_t n;
};

static void put_opt(struct obuf *o, uint8_t code, const void *v, size_t len)
{
	o->p[o->n++] = code;
	o->p[o->n++] = (uint8_t)len;
	memcpy(o->p + o->n, v, len);
	o->n += len;
}

static void put_opt_u16(struct obuf *o, uint8_t code, uint16_t v)
{
	uint8_t b[2];

	put_be16(b, v);
	put_opt(o, code, b, 2);
}

static void put_opt_ip(struct obuf *o, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	put_opt(o, code, b, 4);
}

/*
 * RFC 4578 sec 2.3: type 0 and a 16-byte UUID. Ours is fixed bytes and
 * the MAC, so a client keeps its UUID across stages and runs, as a real
 * machine's SMBIOS UUID does.
 */
static void put_uuid(struct obuf *o, const struct mac_addr *mac)
{
	uint8_t u[17] = { 0, 'S', 'T', 'R', 'M', 0, 0, 0x40, 0, 0x80, 0 };

	memcpy(u + 11, mac->b, STP_MAC_LEN);
	put_opt(o, OPT_UUID, u, sizeof(u));
}

/* RFC 2132 sec 9.14: type 1 (Ethernet) and the MAC. */
static void put_client_id(struct obuf *o, const struct mac_addr *mac)
{
	uint8_t cid[1 + STP_MAC_LEN] = { 1 };

	memcpy(cid + 1, mac->b, STP_MAC_LEN);
	put_opt(o, OPT_CLIENT_ID, cid, sizeof(cid));
}

static void put_kind_opt(struct obuf *o, const struct kind_desc *k, uint8_t e,
			 const struct mac_addr *mac)
{
	switch (e) {
	case E_MMS: put_opt_u16(o, OPT_MAX_MSG, k->max_msg); break;
	case E_PRL: put_opt(o, OPT_PRL, k->prl, k->prl_len); break;
	case E_UUID: put_uuid(o, mac); break;
	case E_NDI: put_opt(o, OPT_NDI, k->ndi, sizeof(k->ndi)); break;
	case E_ARCH: put_opt_u16(o, OPT_ARCH, k->arch); break;
	case E_VC: put_opt(o, OPT_VENDOR_CLASS, k->vc, strlen(k->vc)); break;
	/* iPXE sends the bare string, not RFC 3004's length-prefixed form */
	case E_UC: put_opt(o, OPT_USER_CLASS, "iPXE", 4); break;
	case E_IPXE: put_opt(o, OPT_IPXE, k->feat, k->feat_len); break;
	case E_CID: put_client_id(o, mac); break;
	default: break;
	}
}

/* The fixed header of a BOOTREQUEST (RFC 2131 sec 4.4.1, table 5). */
static void put_header(uint8_t *m, const struct sdhcp *d, const struct storm_addr *a,
		       uint64_t now_us)
{
	const struct kind_desc *k = &kinds[d->kind];
	uint64_t secs = now_us > d->start_us ? (now_us - d->start_us) / 1000000u : 0;

	memset(m, 0, BOOTP_MIN_LEN);
	m[OFF_OP] = BOOTREQUEST;
	m[OFF_HTYPE] = 1;
	m[OFF_HLEN] = STP_MAC_LEN;
	put_be32(m + OFF_XID, d->xid);
	if (k->secs)
		put_be16(m + OFF_SECS, (uint16_t)STP_MIN(secs, 0xffffu));
	put_be16(m + OFF_FLAGS, k->flags);
	memcpy(m + OFF_CHADDR, a->mac.b, STP_MAC_LEN);
	put_be32(m + OFF_MAGIC, MAGIC);
}

/*
 * Queue a DISCOVER or REQUEST, broadcast from 0.0.0.0 (RFC 2131 sec 4.1:
 * the client has no address yet; a REQUEST in SELECTING is broadcast so
 * that every server sees which offer was taken). A full queue loses the
 * frame as the wire would; the retransmission timer covers it.
 */
static void send_msg(struct sdhcp *d, const struct storm_addr *a, uint8_t type,
		     uint64_t now_us, struct storm_tx *tx)
{
	const struct kind_desc *k = &kinds[d->kind];
	uint8_t *f = storm_tx_next(tx);
	struct obuf o;

	if (f == NULL)
		return;
	put_header(f + UDP4_HDRS_LEN, d, a, now_us);
	o.p = f + UDP4_HDRS_LEN;
	o.n = OFF_OPTIONS;
	put_opt(&o, OPT_TYPE, &type, 1);
	if (type == REQUEST) {
		/* RFC 2131 sec 4.3.2: SELECTING names the server and address */
		put_opt_ip(&o, OPT_SERVER_ID, d->offer_sid);
		put_opt_ip(&o, OPT_REQ_IP, d->offer_ip);
	}
	for (const uint8_t *e = k->order; *e != E_END; e++)
		put_kind_opt(&o, k, *e, &a->mac);
	o.p[o.n++] = OPT_END;
	if (o.n < BOOTP_MIN_LEN)
		o.n = BOOTP_MIN_LEN; /* zero padding, written by put_header */
	storm_tx_commit(tx, pkt_build_udp4(f, &a->mac, &mac_broadcast, 0, 0xffffffffu,
					   PORT_CLIENT, PORT_SERVER, o.n));
}

/* ---- state ------------------------------------------------------------------ */

/* PXE 2.1 sec 2.2.1: the wait doubles with every try, up to the cap. */
static uint64_t rto(const struct sdhcp_timing *tm, unsigned tries)
{
	uint64_t t = tm->rto_us;

	for (unsigned i = 1; i < tries && t < tm->rto_max_us; i++)
		t <<= 1;
	return STP_MIN(t, (uint64_t)STP_MAX(tm->rto_max_us, tm->rto_us));
}

/* The one place the state changes; the deadline always goes with it. */
static void set_state(struct sdhcp *d, enum sdhcp_state st, uint64_t deadline)
{
	d->state = (uint8_t)st;
	d->deadline = deadline;
}

/* One transmission of the current phase's message, and its timeout. */
static void transmit(struct sdhcp *d, const struct storm_addr *a, enum sdhcp_state st,
		     uint64_t now_us, const struct sdhcp_timing *tm, struct storm_tx *tx)
{
	if (d->tries > 0)
		d->retrans++;
	if (d->tries < UINT8_MAX)
		d->tries++;
	send_msg(d, a, st == SDHCP_ST_SELECTING ? DISCOVER : REQUEST, now_us, tx);
	set_state(d, st, now_us + rto(tm, d->tries));
}

/* A new phase: DISCOVER (start, after a NAK) or REQUEST (an OFFER taken). */
static void phase(struct sdhcp *d, const struct storm_addr *a, enum sdhcp_state st,
		  uint64_t now_us, const struct sdhcp_timing *tm, struct storm_tx *tx)
{
	d->tries = 0;
	transmit(d, a, st, now_us, tm, tx);
}

static int fail(struct sdhcp *d, enum sdhcp_cause why)
{
	d->cause = (uint8_t)why;
	set_state(d, SDHCP_ST_FAILED, UINT64_MAX);
	return SDHCP_FAILED;
}

void sdhcp_start(struct sdhcp *d, enum sdhcp_kind kind, uint32_t xid, struct storm_addr *a,
		 uint64_t now_us, const struct sdhcp_timing *tm, struct storm_tx *tx)
{
	memset(d, 0, sizeof(*d));
	d->kind = (uint8_t)(kind < SDHCP_KIND_N ? kind : SDHCP_PXE_BIOS);
	d->xid = xid;
	d->start_us = now_us;
	phase(d, a, SDHCP_ST_SELECTING, now_us, tm, tx);
}

int sdhcp_timer(struct sdhcp *d, struct storm_addr *a, uint64_t now_us,
		const struct sdhcp_timing *tm, struct storm_tx *tx)
{
	if (now_us < d->deadline)
		return SDHCP_IGNORED;
	switch (d->state) {
	case SDHCP_ST_SELECTING:
		if (d->tries >= tm->max_tries)
			return fail(d, SDHCP_CAUSE_NO_OFFER);
		transmit(d, a, SDHCP_ST_SELECTING, now_us, tm, tx);
		return SDHCP_RUNNING;
	case SDHCP_ST_THINKING:
		phase(d, a, SDHCP_ST_REQUESTING, now_us, tm, tx);
		return SDHCP_RUNNING;
	case SDHCP_ST_REQUESTING:
		if (d->tries >= tm->max_tries)
			return fail(d, SDHCP_CAUSE_NO_ACK);
		transmit(d, a, SDHCP_ST_REQUESTING, now_us, tm, tx);
		return SDHCP_RUNNING;
	default:
		return SDHCP_IGNORED;
	}
}

uint64_t sdhcp_deadline(const struct sdhcp *d)
{
	return d->state == SDHCP_ST_IDLE ? UINT64_MAX : d->deadline;
}

/* ---- parsing ----------------------------------------------------------------- */

/** What a BOOTREPLY says; spans point into the frame. */
struct reply {
	uint8_t type;             /* 53 */
	uint8_t overload;         /* 52 */
	bool has_sid;
	uint32_t yiaddr, siaddr, sid, mask, router, lease;
	struct span file67, tftp66, vc60, file;
};

/*
 * Keep one option: the first instance wins (RFC 3396 splitting is not
 * used by boot servers for these). Fixed-size options with the wrong
 * length make the message malformed. @return false then.
 */
static bool take_opt(struct reply *r, uint8_t code, const uint8_t *v, uint8_t len, bool main)
{
	switch (code) {
	case OPT_TYPE:
		if (len != 1)
			return false;
		if (r->type == 0)
			r->type = v[0];
		return true;
	case OPT_OVERLOAD: /* RFC 2132 sec 9.3: only in the options field */
		if (len != 1)
			return false;
		if (main)
			r->overload = v[0];
		return true;
	case OPT_SERVER_ID:
	case OPT_MASK:
	case OPT_LEASE:
		if (len != 4)
			return false;
		if (code == OPT_SERVER_ID && !r->has_sid) {
			r->has_sid = true;
			r->sid = get_be32(v);
		} else if (code == OPT_MASK && r->mask == 0) {
			r->mask = get_be32(v);
		} else if (code == OPT_LEASE && r->lease == 0) {
			r->lease = get_be32(v);
		}
		return true;
	case OPT_ROUTER: /* RFC 2132 sec 3.5: a list, at least one address */
		if (len < 4 || len % 4 != 0)
			return false;
		if (r->router == 0)
			r->router = get_be32(v);
		return true;
	default:
		break;
	}
	if (code == OPT_BOOTFILE && r->file67.p == NULL)
		r->file67 = span_make(v, len);
	else if (code == OPT_TFTP_SERVER && r->tftp66.p == NULL)
		r->tftp66 = span_make(v, len);
	else if (code == OPT_VENDOR_CLASS && r->vc60.p == NULL)
		r->vc60 = span_make(v, len);
	return true;
}

/*
 * Walk one option area (RFC 2132 sec 2): PAD is one byte, END stops,
 * everything else is code, length, value, checked against what is left
 * before it is read (docs/style.md rule 7). The options field must end
 * with END; 'file' and 'sname' may simply be full.
 */
static bool walk_opts(const uint8_t *p, size_t len, struct reply *r, bool main)
{
	size_t i = 0;

	while (i < len) {
		size_t rem = len - i;

		if (p[i] == OPT_PAD) {
			i++;
			continue;
		}
		if (p[i] == OPT_END)
			return true;
		if (rem < 2 || rem - 2 < p[i + 1])
			return false;
		if (!take_opt(r, p[i], p + i + 2, p[i + 1], main))
			return false;
		i += 2 + (size_t)p[i + 1];
	}
	return !main;
}

/* A well-formed BOOTREPLY for Ethernet from UDP 67 to 68, or NULL. */
static const uint8_t *bootreply(const struct pkt_info *pi)
{
	const uint8_t *m = pi->payload.p;

	if (pi->proto != IPPROTO_UDP_ || pi->src_port != PORT_SERVER ||
	    pi->dst_port != PORT_CLIENT || m == NULL || pi->payload.len < OFF_OPTIONS)
		return NULL;
	if (m[OFF_OP] != BOOTREPLY || m[OFF_HTYPE] != 1 || m[OFF_HLEN] != STP_MAC_LEN ||
	    get_be32(m + OFF_MAGIC) != MAGIC)
		return NULL;
	return m;
}

const uint8_t *sdhcp_reply_chaddr(const struct pkt_info *pi)
{
	const uint8_t *m = bootreply(pi);

	return m != NULL ? m + OFF_CHADDR : NULL;
}

/* Header and options of @a m (payload of @a len bytes). @return false if malformed. */
static bool parse_reply(const uint8_t *m, size_t len, struct reply *r)
{
	memset(r, 0, sizeof(*r));
	r->yiaddr = get_be32(m + OFF_YIADDR);
	r->siaddr = get_be32(m + OFF_SIADDR);
	if (!walk_opts(m + OFF_OPTIONS, len - OFF_OPTIONS, r, true))
		return false;
	/* RFC 2131 sec 4.1: 'file' first, then 'sname' */
	if ((r->overload & 1) && !walk_opts(m + OFF_FILE, FILE_LEN, r, false))
		return false;
	if ((r->overload & 2) && !walk_opts(m + OFF_SNAME, SNAME_LEN, r, false))
		return false;
	if (!(r->overload & 1))
		r->file = span_make(m + OFF_FILE, strnlen((const char *)m + OFF_FILE, FILE_LEN));
	return r->type != 0;
}

/* ---- input --------------------------------------------------------------------- */

static void copy_name(struct sdhcp *d, struct span s)
{
	size_t n = strnlen((const char *)s.p, s.len); /* some servers count the NUL */

	if (n > SDHCP_FILE_MAX) {
		d->flags |= SDHCP_F_FILE_LONG;
		n = SDHCP_FILE_MAX;
	}
	memcpy(d->boot_file, s.p, n);
	d->boot_file[n] = 0;
	d->flags |= SDHCP_F_BOOT;
}

/* Option 66 is a host name; firmware can only use it as a dotted quad. */
static bool tftp_server_ip(struct span s, uint32_t *ip)
{
	char buf[STP_IPV4_STRLEN];
	size_t n = strnlen((const char *)s.p, s.len);

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s.p, n);
	buf[n] = 0;
	return ipv4_parse(buf, ip);
}

/*
 * PXE 2.1 sec 2.2: the boot file is option 67, else the 'file' field; the
 * server is option 66, else siaddr. Only what the message carries
 * replaces what an earlier OFFER (or a ProxyDHCP one) said.
 */
static void keep_boot(struct sdhcp *d, const struct reply *r)
{
	uint32_t ip;

	if (r->file67.len > 0)
		copy_name(d, r->file67);
	else if (r->file.len > 0)
		copy_name(d, r->file);
	if (r->siaddr != 0) {
		d->siaddr = r->siaddr;
		d->next_server = r->siaddr;
	}
	if (r->tftp66.len > 0 && tftp_server_ip(r->tftp66, &ip))
		d->next_server = ip;
}

static bool is_pxe_proxy(const struct reply *r)
{
	return r->yiaddr == 0 && span_starts_with(r->vc60, "PXEClient");
}

static int on_offer(struct sdhcp *d, struct storm_addr *a, const struct reply *r,
		    const struct pkt_info *pi, uint64_t now_us, const struct sdhcp_timing *tm,
		    struct storm_tx *tx)
{
	if (d->state != SDHCP_ST_SELECTING)
		return SDHCP_IGNORED; /* a late or second offer: the first one won */
	if (is_pxe_proxy(r)) {
		/* PXE 2.1 sec 2.2.5: boot information only; wait for an address */
		keep_boot(d, r);
		d->flags |= SDHCP_F_PROXY;
		return SDHCP_RUNNING;
	}
	if (r->yiaddr == 0)
		return SDHCP_IGNORED;
	d->offer_ip = r->yiaddr;
	/* RFC 2131 sec 4.3.1: an OFFER MUST carry 54; be lenient, use the source */
	d->offer_sid = r->has_sid ? r->sid : pi->src_ip;
	keep_boot(d, r);
	if (tm->offer_think_us > 0)
		set_state(d, SDHCP_ST_THINKING, now_us + tm->offer_think_us);
	else
		phase(d, a, SDHCP_ST_REQUESTING, now_us, tm, tx);
	return SDHCP_RUNNING;
}

/* The ACK or NAK comes from the server we chose (RFC 2131 sec 4.4.1). */
static bool from_chosen(const struct sdhcp *d, const struct reply *r)
{
	return !r->has_sid || r->sid == d->offer_sid;
}

static int on_ack(struct sdhcp *d, struct storm_addr *a, const struct reply *r,
		  const struct pkt_info *pi)
{
	if (d->state != SDHCP_ST_REQUESTING || r->yiaddr == 0 || !from_chosen(d, r))
		return SDHCP_IGNORED;
	keep_boot(d, r);
	d->yiaddr = r->yiaddr;
	d->server_id = r->has_sid ? r->sid : r->siaddr != 0 ? r->siaddr : pi->src_ip;
	d->mask = r->mask;
	d->router = r->router;
	d->lease_s = r->lease;
	a->ip = d->yiaddr;
	a->srv_ip = d->server_id;
	a->srv_mac = pi->src_mac;
	set_state(d, SDHCP_ST_BOUND, UINT64_MAX);
	return SDHCP_BOUND;
}

static int on_nak(struct sdhcp *d, struct storm_addr *a, const struct reply *r,
		  uint64_t now_us, const struct sdhcp_timing *tm, struct storm_tx *tx)
{
	if ((d->state != SDHCP_ST_REQUESTING && d->state != SDHCP_ST_THINKING) ||
	    !from_chosen(d, r))
		return SDHCP_IGNORED;
	if (++d->naks >= tm->max_naks)
		return fail(d, SDHCP_CAUSE_NAK);
	/* RFC 2131 sec 4.4.1: back to INIT; the offer is void */
	d->offer_ip = 0;
	d->offer_sid = 0;
	phase(d, a, SDHCP_ST_SELECTING, now_us, tm, tx);
	return SDHCP_RUNNING;
}

int sdhcp_input(struct sdhcp *d, struct storm_addr *a, const struct pkt_info *pi,
		uint64_t now_us, const struct sdhcp_timing *tm, struct storm_tx *tx)
{
	const uint8_t *m = bootreply(pi);
	struct reply r;

	if (m == NULL || get_be32(m + OFF_XID) != d->xid ||
	    memcmp(m + OFF_CHADDR, a->mac.b, STP_MAC_LEN) != 0)
		return SDHCP_IGNORED;
	if (!parse_reply(m, pi->payload.len, &r))
		return SDHCP_IGNORED;
	switch (r.type) {
	case OFFER:
		return on_offer(d, a, &r, pi, now_us, tm, tx);
	case ACK:
		return on_ack(d, a, &r, pi);
	case NAK:
		return on_nak(d, a, &r, now_us, tm, tx);
	default:
		return SDHCP_IGNORED;
	}
}
