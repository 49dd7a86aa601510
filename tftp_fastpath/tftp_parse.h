/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tftp_parse.h
 * Strict TFTP parser, pure over one UDP payload: requests (RFC 1350 sec 5)
 * with their options negotiated while parsing (RFC 2347, 2348, 2349,
 * 7440), ACK and ERROR. Fields are spans into the caller's packet; nothing
 * is copied or allocated. A UDP datagram is always whole, so unlike a
 * stream parser there is no "need more": a short packet is an error.
 */
#ifndef STP_TFTP_PARSE_H
#define STP_TFTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"
#include "tftp_wire.h"

/** Option pairs kept per request. RFC 2347 caps a request at 512 bytes,
 *  real clients send at most four; pairs past this are checked for framing
 *  and then ignored (counted in tftp_req.n_ignored). */
#define TFTP_MAX_OPTS 16

/**
 * Outcomes of tftp_parse_request(): X(name, TFTP error to answer, help).
 * The error code is what the server sends back for an RRQ that fails so;
 * OK carries 0 and is never answered as an error.
 */
#define TFTP_PARSE_RESULTS(X)                                                   \
	X(OK, TFTP_ERR_UNDEF, "parsed")                                         \
	X(SHORT, TFTP_ERR_ILLEGAL_OP, "shorter than an opcode")                  \
	X(BAD_OP, TFTP_ERR_ILLEGAL_OP, "opcode is not RRQ or WRQ")              \
	X(NAME_UNTERMINATED, TFTP_ERR_ILLEGAL_OP, "file name without its NUL")  \
	X(MODE_UNTERMINATED, TFTP_ERR_ILLEGAL_OP, "mode without its NUL")       \
	X(OPT_UNTERMINATED, TFTP_ERR_ILLEGAL_OP, "option name or value without NUL, or junk after the options") \
	X(MODE_UNKNOWN, TFTP_ERR_ILLEGAL_OP, "mode not octet/netascii/mail")    \
	X(MODE_MAIL, TFTP_ERR_ILLEGAL_OP, "mail mode (RFC 1350: obsolete) refused") \
	X(OPT_BAD_VALUE, TFTP_ERR_OPTION, "known option whose value is not decimal") \
	X(OPT_RANGE, TFTP_ERR_OPTION, "known option below its minimum or unusable")

enum tftp_parse_result {
#define X(name, code, help) TFTP_PARSE_##name,
	TFTP_PARSE_RESULTS(X)
#undef X
	TFTP_PARSE_N
};

/** Transfer modes served (RFC 1350 sec 1). */
enum tftp_mode {
	TFTP_MODE_OCTET = 0,
	TFTP_MODE_NETASCII = 1,
};

/** What the glue's MTU and the config allow; given to the parser. */
struct tftp_limits {
	uint16_t max_blksize;      /* mtu - 32, within [8, 65464] */
	uint16_t max_window;       /* config, within [1, 65535] */
};

/** One option pair as sent; both spans point into the packet. */
struct tftp_opt {
	struct span name;
	struct span value;
};

/**
 * A parsed and negotiated RRQ/WRQ. @a oack lists the options to
 * acknowledge (only ones the client sent); @a oack.tsize is left 0 for
 * the server to fill in once it knows the object's size.
 */
struct tftp_req {
	uint16_t op;               /* TFTP_OP_RRQ or TFTP_OP_WRQ */
	uint8_t mode;              /* enum tftp_mode, valid when OK */
	struct span name;          /* raw, without its NUL; never contains NUL */
	struct span mode_str;
	uint16_t blksize;          /* effective: negotiated or 512 */
	uint16_t window;           /* effective: negotiated or 1 */
	uint8_t timeout_s;         /* negotiated, 0 = none */
	struct tftp_oack oack;
	unsigned n_opts;           /* pairs kept in opts[] */
	unsigned n_ignored;        /* unknown, duplicate, past TFTP_MAX_OPTS, tsize != 0 */
	unsigned n_clamped;        /* values lowered to what we allow */
	struct tftp_opt opts[TFTP_MAX_OPTS];
};

/**
 * Parse and negotiate a request (RFC 1350 sec 5; options RFC 2347 sec
 * "Packet Formats"). Strict framing: the name, the mode and every option
 * name and value end in NUL; only NUL padding may follow the last pair.
 * Case-insensitive mode and option names; decimal values, saturating;
 * first of duplicate options wins; unknown options ignored (RFC 2347).
 * Negotiation: blksize clamped to [8, lim->max_blksize] (RFC 2348, below 8
 * refused), windowsize to [1, lim->max_window] (RFC 7440, 0 refused),
 * timeout 1..255 echoed or refused (RFC 2349 forbids changing it), tsize
 * acknowledged only in an RRQ that sent 0 (RFC 2349).
 * @param pkt UDP payload; @a req's spans point into it afterwards.
 * @return TFTP_PARSE_OK or the first reason the request is unusable; on
 * any result but SHORT and BAD_OP, req->op is valid (so a WRQ can be
 * refused with error 2 whatever else is wrong with it).
 */
enum tftp_parse_result tftp_parse_request(struct span pkt, const struct tftp_limits *lim,
					  struct tftp_req *req);

/** True for results caused by broken framing rather than bad values. */
bool tftp_parse_is_framing(enum tftp_parse_result r);

/** TFTP error code to answer a request that failed with @a r. */
uint16_t tftp_parse_err_code(enum tftp_parse_result r);

/** Static text for @a r (error messages and counter help). */
const char *tftp_parse_result_str(enum tftp_parse_result r);

/**
 * Opcode of @a pkt. @return 0 and *op, or -EINVAL if shorter than 2 bytes.
 */
int tftp_parse_op(struct span pkt, uint16_t *op);

/**
 * ACK (RFC 1350 sec 5): opcode 4 and a 16-bit block number. Bytes past the
 * fourth are tolerated (nothing in them can matter).
 * @return 0 and *block, or -EINVAL if not an ACK of at least 4 bytes.
 */
int tftp_parse_ack(struct span pkt, uint16_t *block);

/**
 * ERROR (RFC 1350 sec 5): code and message. The message is what lies
 * before the first NUL, or the rest of the packet if the sender forgot it
 * (it is only ever counted, never trusted).
 * @return 0, or -EINVAL if not an ERROR of at least 4 bytes.
 */
int tftp_parse_error(struct span pkt, uint16_t *code, struct span *msg);

#endif
