/* SPDX-License-Identifier: BSD-3-Clause */
#include "dhcp_parse.h"

#include <string.h>

#include "bytes.h"
#include "dhcp_wire.h"

/** Allowed value length of an option we read: [min, max], step. */
struct opt_len_rule {
	uint8_t code, min, max, step;
};

/*
 * RFC 2132 / 4578 lengths of the options the server acts on. Anything else
 * is kept unchecked (it is only echoed or ignored), so option 80 (rapid
 * commit, RFC 4039) and friends with length 0 still pass.
 */
static const struct opt_len_rule opt_len_rules[] = {
	{ DHCP_OPT_REQ_IP, 4, 4, 1 },        /* RFC 2132 sec 9.1 */
	{ DHCP_OPT_LEASE_TIME, 4, 4, 1 },    /* sec 9.2 */
	{ DHCP_OPT_OVERLOAD, 1, 1, 1 },      /* sec 9.3 */
	{ DHCP_OPT_MSG_TYPE, 1, 1, 1 },      /* sec 9.6 */
	{ DHCP_OPT_SERVER_ID, 4, 4, 1 },     /* sec 9.7 */
	{ DHCP_OPT_PARAM_LIST, 1, 255, 1 },  /* sec 9.8 */
	{ DHCP_OPT_MAX_MSG_SIZE, 2, 2, 1 },  /* sec 9.10 */
	{ DHCP_OPT_VENDOR_CLASS, 1, 255, 1 },/* sec 9.13 */
	{ DHCP_OPT_CLIENT_ID, 2, 255, 1 },   /* sec 9.14 */
	{ DHCP_OPT_USER_CLASS, 1, 255, 1 },  /* RFC 3004 sec 4 */
	{ DHCP_OPT_RELAY_AGENT, 2, 255, 1 }, /* RFC 3046 sec 2.0 */
	{ DHCP_OPT_CLIENT_ARCH, 2, 254, 2 }, /* RFC 4578 sec 2.1 */
	{ DHCP_OPT_CLIENT_UUID, 1, 255, 1 }, /* RFC 4578 sec 2.3: 17, lenient */
};

static bool opt_len_ok(uint8_t code, uint8_t len)
{
	for (size_t i = 0; i < STP_ARRAY_SIZE(opt_len_rules); i++) {
		const struct opt_len_rule *r = &opt_len_rules[i];

		if (r->code == code)
			return len >= r->min && len <= r->max &&
			       (len - r->min) % r->step == 0;
	}
	return true;
}

/**
 * Walk one option area (RFC 2132 sec 2), appending instances to @a m.
 * Every step advances by at least one byte; a value is only accepted when
 * the remaining length covers it, so the walk is bounded by @a area.
 */
static enum dhcp_parse_result walk_options(struct span area, struct dhcp_msg *m)
{
	const uint8_t *p = area.p;
	size_t rem = area.len;

	while (rem > 0) {
		uint8_t code = p[0];

		if (code == DHCP_OPT_PAD) {
			p++;
			rem--;
			continue;
		}
		if (code == DHCP_OPT_END)
			return DHCP_PARSE_OK;
		if (rem < 2 || rem - 2 < p[1])
			return DHCP_PARSE_BAD_OPTION;
		if (!opt_len_ok(code, p[1]) || m->n_opts == DHCP_MAX_OPTS)
			return DHCP_PARSE_BAD_OPTION;
		m->opts[m->n_opts].code = code;
		m->opts[m->n_opts].v = span_make(p + 2, p[1]);
		m->n_opts++;
		rem -= 2u + p[1];
		p += 2u + p[1];
	}
	return DHCP_PARSE_NO_END;
}

static void parse_header(const uint8_t *p, struct dhcp_msg *m)
{
	m->hops = p[DHCP_OFF_HOPS];
	m->xid = get_be32(p + DHCP_OFF_XID);
	m->flags = get_be16(p + DHCP_OFF_FLAGS);
	m->ciaddr = get_be32(p + DHCP_OFF_CIADDR);
	m->yiaddr = get_be32(p + DHCP_OFF_YIADDR);
	m->siaddr = get_be32(p + DHCP_OFF_SIADDR);
	m->giaddr = get_be32(p + DHCP_OFF_GIADDR);
	memcpy(m->chaddr.b, p + DHCP_OFF_CHADDR, STP_MAC_LEN);
}

/* RFC 2131 sec 4.1: 'file' then 'sname' when option 52 says they hold options. */
static enum dhcp_parse_result walk_overload(struct span pkt, struct dhcp_msg *m)
{
	const struct span *ov = dhcp_msg_opt(m, DHCP_OPT_OVERLOAD);
	enum dhcp_parse_result rc = DHCP_PARSE_OK;

	if (ov == NULL)
		return DHCP_PARSE_OK;
	if (ov->p[0] & DHCP_OVERLOAD_FILE)
		rc = walk_options(span_make(pkt.p + DHCP_OFF_FILE, DHCP_FILE_LEN), m);
	if (rc == DHCP_PARSE_OK && (ov->p[0] & DHCP_OVERLOAD_SNAME))
		rc = walk_options(span_make(pkt.p + DHCP_OFF_SNAME, DHCP_SNAME_LEN), m);
	return rc;
}

enum dhcp_parse_result dhcp_parse(struct span pkt, struct dhcp_msg *m)
{
	const uint8_t *p = pkt.p;
	const struct span *type;
	enum dhcp_parse_result rc;

	m->n_opts = 0;
	m->type = 0;
	if (pkt.len < DHCP_HDR_LEN)
		return DHCP_PARSE_TRUNCATED;
	if (p[DHCP_OFF_OP] != BOOTREQUEST)
		return DHCP_PARSE_BAD_OP;
	if (p[DHCP_OFF_HTYPE] != DHCP_HTYPE_ETHER || p[DHCP_OFF_HLEN] != DHCP_HLEN_ETHER)
		return DHCP_PARSE_BAD_HTYPE;
	if (get_be32(p + DHCP_OFF_MAGIC) != DHCP_MAGIC)
		return DHCP_PARSE_BAD_MAGIC;
	parse_header(p, m);
	rc = walk_options(span_make(p + DHCP_OFF_OPTIONS, pkt.len - DHCP_OFF_OPTIONS), m);
	if (rc == DHCP_PARSE_OK)
		rc = walk_overload(pkt, m);
	if (rc != DHCP_PARSE_OK)
		return rc;
	type = dhcp_msg_opt(m, DHCP_OPT_MSG_TYPE);
	if (type == NULL || type->p[0] < DHCPDISCOVER || type->p[0] > DHCPINFORM)
		return DHCP_PARSE_NO_TYPE;
	m->type = type->p[0];
	return DHCP_PARSE_OK;
}

const struct span *dhcp_msg_opt(const struct dhcp_msg *m, uint8_t code)
{
	for (unsigned i = 0; i < m->n_opts; i++)
		if (m->opts[i].code == code)
			return &m->opts[i].v;
	return NULL;
}

int dhcp_msg_opt_concat(const struct dhcp_msg *m, uint8_t code, uint8_t *buf,
			size_t cap)
{
	size_t len = 0;
	bool found = false;

	for (unsigned i = 0; i < m->n_opts; i++) {
		const struct span *v = &m->opts[i].v;

		if (m->opts[i].code != code)
			continue;
		if (cap - len < v->len)
			return -1;
		if (v->len > 0)
			memcpy(buf + len, v->p, v->len);
		len += v->len;
		found = true;
	}
	return found ? (int)len : -1;
}

bool dhcp_msg_opt_ip(const struct dhcp_msg *m, uint8_t code, uint32_t *out)
{
	const struct span *v = dhcp_msg_opt(m, code);

	if (v == NULL || v->len != 4)
		return false;
	*out = get_be32(v->p);
	return true;
}

bool dhcp_msg_wants(const struct dhcp_msg *m, uint8_t code)
{
	bool have_list = false;

	for (unsigned i = 0; i < m->n_opts; i++) {
		if (m->opts[i].code != DHCP_OPT_PARAM_LIST)
			continue;
		have_list = true;
		if (memchr(m->opts[i].v.p, code, m->opts[i].v.len) != NULL)
			return true;
	}
	return !have_list;
}
