/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dhcp_parse.h
 * Strict parser for BOOTREQUEST messages (RFC 2131 sec 2, RFC 2132 sec 2).
 * Pure over a byte range: header fields are decoded, options are kept as
 * spans into the caller's packet, nothing is copied or allocated.
 */
#ifndef STP_DHCP_PARSE_H
#define STP_DHCP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipv4_addr.h"
#include "span.h"

/** Option instances kept per message; real clients send under 20. */
#define DHCP_MAX_OPTS 64

/** Outcome of dhcp_parse(); each error maps to one drop counter. */
enum dhcp_parse_result {
	DHCP_PARSE_OK = 0,
	DHCP_PARSE_TRUNCATED,   /* shorter than header + magic */
	DHCP_PARSE_BAD_OP,      /* not BOOTREQUEST */
	DHCP_PARSE_BAD_HTYPE,   /* not Ethernet (htype 1, hlen 6) */
	DHCP_PARSE_BAD_MAGIC,   /* not 99.130.83.99 */
	DHCP_PARSE_BAD_OPTION,  /* overrun, bad length, too many options */
	DHCP_PARSE_NO_END,      /* an option area without END */
	DHCP_PARSE_NO_TYPE,     /* option 53 missing or not 1..8 */
};

/** One option instance; its value points into the parsed packet. */
struct dhcp_opt_ref {
	uint8_t code;
	struct span v;
};

/**
 * A parsed BOOTREQUEST. Addresses are host order. Options are listed in
 * wire order, every instance separately (RFC 3396 splits a long option
 * into consecutive instances of the same code).
 */
struct dhcp_msg {
	uint8_t hops;
	uint8_t type;           /* option 53 */
	uint16_t flags;
	uint32_t xid;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	struct mac_addr chaddr;
	unsigned n_opts;
	struct dhcp_opt_ref opts[DHCP_MAX_OPTS];
};

/**
 * Parse @a pkt (a UDP payload) into @a m. On success every span in @a m
 * points into @a pkt, which must stay alive while @a m is used.
 * Options in 'file'/'sname' are honoured when option 52 asks for it
 * (RFC 2131 sec 4.1). Never reads outside @a pkt.
 * @return DHCP_PARSE_OK or the reason to drop.
 */
enum dhcp_parse_result dhcp_parse(struct span pkt, struct dhcp_msg *m);

/** First instance of option @a code, or NULL. */
const struct span *dhcp_msg_opt(const struct dhcp_msg *m, uint8_t code);

/**
 * Concatenate every instance of @a code (RFC 3396 sec 6) into @a buf.
 * @return the length, or -1 when absent or longer than @a cap.
 */
int dhcp_msg_opt_concat(const struct dhcp_msg *m, uint8_t code, uint8_t *buf,
			size_t cap);

/** Option 50/54-style value: true and @a out when present with 4 bytes. */
bool dhcp_msg_opt_ip(const struct dhcp_msg *m, uint8_t code, uint32_t *out);

/** True when option 55 is absent or lists @a code in any instance. */
bool dhcp_msg_wants(const struct dhcp_msg *m, uint8_t code);

#endif
