/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tftp_wire.h
 * TFTP packets as they are on the wire: RFC 1350 sec 5 (opcodes, layouts),
 * appendix I (error codes), RFC 2347 (OACK), RFC 2348 (blksize), RFC 2349
 * (timeout, tsize), RFC 7440 (windowsize). Every multi-byte field is
 * big-endian and goes through get_be16/put_be16.
 *
 * The builders here write the payloads the core asks for (ERROR, OACK,
 * the DATA header) into a buffer the glue owns, typically the mbuf
 * itself, so the core never needs scratch memory for them.
 */
#ifndef STP_TFTP_WIRE_H
#define STP_TFTP_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bytes.h"

/** RFC 1350 sec 4: requests arrive on UDP port 69. */
#define TFTP_PORT 69

/* RFC 1350 sec 5 (1..5), RFC 2347 (6). */
enum tftp_op {
	TFTP_OP_RRQ = 1,
	TFTP_OP_WRQ = 2,
	TFTP_OP_DATA = 3,
	TFTP_OP_ACK = 4,
	TFTP_OP_ERROR = 5,
	TFTP_OP_OACK = 6,
};

/* RFC 1350 appendix I (0..7), RFC 2347 (8). */
enum tftp_err {
	TFTP_ERR_UNDEF = 0,        /* not defined, see the message */
	TFTP_ERR_NOT_FOUND = 1,
	TFTP_ERR_ACCESS = 2,
	TFTP_ERR_DISK_FULL = 3,    /* disk full or allocation exceeded */
	TFTP_ERR_ILLEGAL_OP = 4,
	TFTP_ERR_UNKNOWN_TID = 5,
	TFTP_ERR_EXISTS = 6,
	TFTP_ERR_NO_USER = 7,
	TFTP_ERR_OPTION = 8,       /* RFC 2347: option negotiation refused */
};
#define TFTP_N_ERR_CODES 9

/* Layouts (RFC 1350 sec 5, figure 5-1 and following):
 *   RRQ/WRQ  | op 2 | filename | 0 | mode | 0 | [opt | 0 | value | 0]* |
 *   DATA     | op 2 | block 2 | data 0..blksize |
 *   ACK      | op 2 | block 2 |
 *   ERROR    | op 2 | code 2 | message | 0 |
 *   OACK     | op 2 | [opt | 0 | value | 0]* |             (RFC 2347)
 */
#define TFTP_OFF_OP 0
#define TFTP_OFF_BLOCK 2           /* DATA, ACK */
#define TFTP_OFF_CODE 2            /* ERROR */
#define TFTP_OFF_DATA 4            /* DATA payload, ERROR message */
#define TFTP_OP_LEN 2
#define TFTP_HDR_LEN 4             /* DATA header, whole ACK */
#define TFTP_ACK_LEN 4

/** RFC 1350: blocks are 512 bytes unless blksize says otherwise. */
#define TFTP_DEFAULT_BLKSIZE 512
/** RFC 2348 sec "Block Size Option Specification": 8..65464. */
#define TFTP_BLKSIZE_MIN 8
#define TFTP_BLKSIZE_MAX 65464
/** RFC 2349: timeout is 1..255 seconds. */
#define TFTP_TIMEOUT_MIN 1
#define TFTP_TIMEOUT_MAX 255
/** RFC 7440 sec 3: windowsize is 1..65535 blocks. */
#define TFTP_WINDOW_MIN 1
#define TFTP_WINDOW_MAX 65535
/** IPv4 (20) + UDP (8) + TFTP DATA header (4): max_blksize = mtu - 32. */
#define TFTP_IP_UDP_DATA_OVERHEAD 32

/** The options this server understands; bits of tftp_oack.present. */
enum tftp_opt_bit {
	TFTP_OPT_BLKSIZE = 1u << 0,
	TFTP_OPT_TSIZE = 1u << 1,
	TFTP_OPT_TIMEOUT = 1u << 2,
	TFTP_OPT_WINDOW = 1u << 3,
};

/**
 * What an OACK acknowledges (RFC 2347 sec "Option Acknowledgment"): only
 * the options in @a present, i.e. the ones the client asked for and the
 * server accepted, each with its negotiated value.
 */
struct tftp_oack {
	uint8_t present;           /* TFTP_OPT_* bits */
	uint8_t timeout_s;         /* RFC 2349: echoed unchanged */
	uint16_t blksize;
	uint16_t window;
	uint64_t tsize;            /* RFC 2349: the size the client will get */
};

/**
 * Longest OACK tftp_wire_put_oack() writes: op (2) + "blksize" 65464 (14) +
 * "tsize" 20 digits (27) + "timeout" 255 (12) + "windowsize" 65535 (17).
 */
#define TFTP_OACK_MAX 80
/** Longest ERROR message the core asks for, NUL included. */
#define TFTP_ERRMSG_MAX 64
#define TFTP_ERROR_MAX (TFTP_HDR_LEN + TFTP_ERRMSG_MAX)

/** Write @a v in decimal at @a p; returns the number of digits. */
static inline size_t tftp_wire_put_dec(uint8_t *p, uint64_t v)
{
	uint8_t tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (uint8_t)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/** Append "name\0decimal\0" at @a p; returns bytes written. */
static inline size_t tftp_wire_put_opt(uint8_t *p, const char *name, uint64_t v)
{
	size_t n = strlen(name) + 1;

	memcpy(p, name, n);
	n += tftp_wire_put_dec(p + n, v);
	p[n++] = 0;
	return n;
}

/**
 * Build an OACK (RFC 2347) for @a o into @a buf. Option names are sent in
 * lower case (RFC 2347: names are case-insensitive).
 * @return bytes written, or 0 if @a cap < TFTP_OACK_MAX.
 */
static inline size_t tftp_wire_put_oack(uint8_t *buf, size_t cap, const struct tftp_oack *o)
{
	size_t n = TFTP_OP_LEN;

	if (cap < TFTP_OACK_MAX)
		return 0;
	put_be16(buf, TFTP_OP_OACK);
	if (o->present & TFTP_OPT_BLKSIZE)
		n += tftp_wire_put_opt(buf + n, "blksize", o->blksize);
	if (o->present & TFTP_OPT_TSIZE)
		n += tftp_wire_put_opt(buf + n, "tsize", o->tsize);
	if (o->present & TFTP_OPT_TIMEOUT)
		n += tftp_wire_put_opt(buf + n, "timeout", o->timeout_s);
	if (o->present & TFTP_OPT_WINDOW)
		n += tftp_wire_put_opt(buf + n, "windowsize", o->window);
	return n;
}

/**
 * Build an ERROR (RFC 1350 sec 5) with @a code and @a msg (truncated to
 * TFTP_ERRMSG_MAX - 1 bytes) into @a buf.
 * @return bytes written, or 0 if @a cap < TFTP_ERROR_MAX.
 */
static inline size_t tftp_wire_put_error(uint8_t *buf, size_t cap, uint16_t code,
					 const char *msg)
{
	size_t m = strlen(msg);

	if (cap < TFTP_ERROR_MAX)
		return 0;
	if (m > TFTP_ERRMSG_MAX - 1)
		m = TFTP_ERRMSG_MAX - 1;
	put_be16(buf + TFTP_OFF_OP, TFTP_OP_ERROR);
	put_be16(buf + TFTP_OFF_CODE, code);
	memcpy(buf + TFTP_OFF_DATA, msg, m);
	buf[TFTP_OFF_DATA + m] = 0;
	return TFTP_OFF_DATA + m + 1;
}

/** Write the 4-byte DATA header for wire block @a block (RFC 1350 sec 5). */
static inline void tftp_wire_put_data_hdr(uint8_t *buf, uint16_t block)
{
	put_be16(buf + TFTP_OFF_OP, TFTP_OP_DATA);
	put_be16(buf + TFTP_OFF_BLOCK, block);
}

/** Write a 4-byte ACK (tests and load generators use it). */
static inline void tftp_wire_put_ack(uint8_t *buf, uint16_t block)
{
	put_be16(buf + TFTP_OFF_OP, TFTP_OP_ACK);
	put_be16(buf + TFTP_OFF_BLOCK, block);
}

#endif
