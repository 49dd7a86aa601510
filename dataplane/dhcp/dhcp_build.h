/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dhcp_build.h
 * BOOTREPLY builder (RFC 2131 sec 4.3, table 3) over a caller buffer with a
 * size budget. Options are appended whole or not at all: one that does not
 * fit is left out and counted, never cut (a truncated boot file name boots
 * the wrong thing). Long values are split per RFC 3396.
 */
#ifndef STP_DHCP_BUILD_H
#define STP_DHCP_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp_parse.h"

/** A reply under construction; all fields are the builder's. */
struct dhcp_builder {
	uint8_t *buf;         /* caller-owned */
	size_t budget;        /* bytes the whole message may take */
	size_t reserved;      /* bytes held back for later options */
	size_t len;           /* bytes written so far */
	unsigned dropped;     /* options left out for size */
};

/** Header fields of a reply that differ from the request (host order). */
struct dhcp_reply_hdr {
	uint8_t type;         /* option 53 */
	uint16_t flags;
	uint32_t ciaddr, yiaddr, siaddr;
};

/**
 * Start a BOOTREPLY for @a req in @a buf: op 2, hops 0, xid, giaddr and
 * chaddr copied (RFC 2131 table 3), magic cookie and option 53.
 * @a budget is clamped to >= DHCP_BOOTP_MIN_LEN; the caller guarantees
 * @a buf holds @a budget bytes.
 */
void dhcp_build_init(struct dhcp_builder *b, uint8_t *buf, size_t budget,
		     const struct dhcp_msg *req, const struct dhcp_reply_hdr *h);

/**
 * Append option @a code with @a len bytes at @a val, split into instances
 * of at most 255 bytes (RFC 3396 sec 7). Keeps room for END.
 * @return true when appended, false (counted in dropped) when it does not
 * fit the budget; nothing is written then.
 */
bool dhcp_build_opt(struct dhcp_builder *b, uint8_t code, const void *val,
		    size_t len);

bool dhcp_build_opt_u32(struct dhcp_builder *b, uint8_t code, uint32_t v);

/** Hold back @a n bytes of budget for an option appended last (RFC 3046). */
void dhcp_build_reserve(struct dhcp_builder *b, size_t n);
void dhcp_build_unreserve(struct dhcp_builder *b, size_t n);

/** Wire size of option @a len bytes long once split per RFC 3396. */
size_t dhcp_build_opt_size(size_t len);

/**
 * Copy @a name into the 'file' field when it fits with its NUL (127 bytes).
 * @return false (field left empty) when it does not: never cut.
 */
bool dhcp_build_file(struct dhcp_builder *b, const char *name, size_t len);

/**
 * Append END and zero-pad to DHCP_BOOTP_MIN_LEN (RFC 951 sizes).
 * @return the message length.
 */
size_t dhcp_build_finish(struct dhcp_builder *b);

#endif
