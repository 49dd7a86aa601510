/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tftp_netascii.h
 * octet -> netascii (RFC 1350 sec 1, RFC 764 NVT ASCII): LF becomes CR LF
 * and a bare CR becomes CR NUL. Every other byte passes unchanged; the
 * conversion is purely byte-wise, so a file that already has CR LF comes
 * out as CR NUL CR LF, exactly what tftp-hpa sends.
 *
 * Serving an immutable object, the choice is: no converted copy and no
 * per-session buffer. A position in the converted stream is a source
 * offset plus a "half" flag (the next output byte is the second byte of
 * the expansion of src[off]). The session keeps two positions, the start
 * of the window base block and the start of its next block to send; TFTP
 * only ever goes forward or back to the window base, so those two cover
 * every block it can be asked to produce, and the cost of producing block
 * k is a scan of that block's source bytes, never a walk from the start.
 * The glue converts straight into the packet buffer with
 * tftp_netascii_encode() from the position the DATA action carries.
 * tftp_netascii_size() (one pass, memchr speed) gives the converted size
 * for tsize and the last block number at session start.
 */
#ifndef STP_TFTP_NETASCII_H
#define STP_TFTP_NETASCII_H

#include <stddef.h>
#include <stdint.h>

/** A position in the converted stream of a source buffer. */
struct tftp_na_pos {
	uint64_t src;              /* source byte offset */
	uint8_t half;              /* 1: at the 2nd byte of src[src]'s expansion */
};

/** Converted length of @a len source bytes at @a src. */
uint64_t tftp_netascii_size(const uint8_t *src, size_t len);

/**
 * Advance @a pos by up to @a n converted bytes without writing them.
 * @return bytes skipped (less than @a n only at the end of the source).
 */
uint64_t tftp_netascii_skip(const uint8_t *src, size_t len, struct tftp_na_pos *pos,
			    uint64_t n);

/**
 * Convert from @a pos into @a dst, at most @a cap bytes, advancing @a pos.
 * A CR LF or CR NUL pair may be split across two calls (block boundary):
 * the half flag carries it.
 * @return bytes written (less than @a cap only at the end of the source).
 */
size_t tftp_netascii_encode(const uint8_t *src, size_t len, struct tftp_na_pos *pos,
			    uint8_t *dst, size_t cap);

#endif
