/* SPDX-License-Identifier: BSD-3-Clause */
#include "dhcp_build.h"

#include <string.h>

#include "bytes.h"
#include "dhcp_wire.h"

void dhcp_build_init(struct dhcp_builder *b, uint8_t *buf, size_t budget,
		     const struct dhcp_msg *req, const struct dhcp_reply_hdr *h)
{
	b->buf = buf;
	b->budget = STP_MAX(budget, (size_t)DHCP_BOOTP_MIN_LEN);
	b->reserved = 0;
	b->dropped = 0;
	memset(buf, 0, DHCP_HDR_LEN);
	buf[DHCP_OFF_OP] = BOOTREPLY;
	buf[DHCP_OFF_HTYPE] = DHCP_HTYPE_ETHER;
	buf[DHCP_OFF_HLEN] = DHCP_HLEN_ETHER;
	/* hops and secs stay 0: RFC 2131 table 3 */
	put_be32(buf + DHCP_OFF_XID, req->xid);
	put_be16(buf + DHCP_OFF_FLAGS, h->flags);
	put_be32(buf + DHCP_OFF_CIADDR, h->ciaddr);
	put_be32(buf + DHCP_OFF_YIADDR, h->yiaddr);
	put_be32(buf + DHCP_OFF_SIADDR, h->siaddr);
	put_be32(buf + DHCP_OFF_GIADDR, req->giaddr);
	memcpy(buf + DHCP_OFF_CHADDR, req->chaddr.b, STP_MAC_LEN);
	put_be32(buf + DHCP_OFF_MAGIC, DHCP_MAGIC);
	b->len = DHCP_HDR_LEN;
	/* RFC 2131 sec 4.1: 53 first is not required, but every client expects it */
	dhcp_build_opt(b, DHCP_OPT_MSG_TYPE, &h->type, 1);
}

size_t dhcp_build_opt_size(size_t len)
{
	size_t chunks = len == 0 ? 1 : (len + 254) / 255;

	return len + 2 * chunks;
}

/* Free bytes for options, keeping one for END and the reservations. */
static size_t room(const struct dhcp_builder *b)
{
	size_t used = b->len + 1 + b->reserved;

	return used >= b->budget ? 0 : b->budget - used;
}

bool dhcp_build_opt(struct dhcp_builder *b, uint8_t code, const void *val,
		    size_t len)
{
	const uint8_t *v = val;
	size_t need = dhcp_build_opt_size(len);

	if (need > room(b)) {
		b->dropped++;
		return false;
	}
	/* RFC 3396 sec 7: consecutive instances of at most 255 bytes each */
	do {
		size_t n = len;

		if (n > 255)
			n = 255;

		b->buf[b->len] = code;
		b->buf[b->len + 1] = (uint8_t)n;
		if (n > 0)
			memcpy(b->buf + b->len + 2, v, n);
		b->len += 2 + n;
		v += n;
		len -= n;
	} while (len > 0);
	return true;
}

bool dhcp_build_opt_u32(struct dhcp_builder *b, uint8_t code, uint32_t v)
{
	uint8_t be[4];

	put_be32(be, v);
	return dhcp_build_opt(b, code, be, sizeof(be));
}

void dhcp_build_reserve(struct dhcp_builder *b, size_t n)
{
	b->reserved += n;
}

void dhcp_build_unreserve(struct dhcp_builder *b, size_t n)
{
	b->reserved -= STP_MIN(n, b->reserved);
}

bool dhcp_build_file(struct dhcp_builder *b, const char *name, size_t len)
{
	if (len >= DHCP_FILE_LEN)
		return false;
	memcpy(b->buf + DHCP_OFF_FILE, name, len);
	return true;
}

size_t dhcp_build_finish(struct dhcp_builder *b)
{
	b->buf[b->len++] = DHCP_OPT_END;
	if (b->len < DHCP_BOOTP_MIN_LEN) {
		memset(b->buf + b->len, 0, DHCP_BOOTP_MIN_LEN - b->len);
		b->len = DHCP_BOOTP_MIN_LEN;
	}
	return b->len;
}
