/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file object.h
 * One servable object of the cache: a boot file loaded from boot.root, or
 * a script rendered by control. Immutable once published; workers read it
 * under RCU and never write it. TFTP and HTTP both serve from it.
 */
#ifndef STP_OBJECT_H
#define STP_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#define OBJ_NAME_MAX 256
#define OBJ_ETAG_MAX 40
#define OBJ_MAX_CSUM_SIZES 8

/*
 * Object flags, set by control on a version before it is published.
 * OBJ_F_BOOT_STAGE: handing it out is a step of a host's boot (its
 * script, a kernel, an initrd), so the fast path reports it to control;
 * every other object is only counted.
 */
#define OBJ_F_BOOT_STAGE 0x1u

/**
 * Precomputed ones'-complement sums of consecutive @a blksize blocks, so a
 * DATA packet or a TCP segment costs a header sum, not a payload pass.
 * sum[i] covers data[i*blksize, min((i+1)*blksize, len)), folded to 16
 * bits, not complemented, as cksum_partial() would return after folding.
 */
struct obj_csums {
	uint16_t blksize;
	const uint16_t *sum;
};

struct stp_object {
	char name[OBJ_NAME_MAX];   /* normalised, relative to the root, no leading '/' */
	const uint8_t *data;       /* len bytes; hugepage memory in the server */
	size_t len;
	uint64_t mtime;            /* unix seconds (Last-Modified) */
	char etag[OBJ_ETAG_MAX];   /* strong validator, with its quotes: "\"...\"" */
	uint32_t flags;            /* OBJ_F_*; derived versions keep the base's */
	unsigned n_csums;
	struct obj_csums csums[OBJ_MAX_CSUM_SIZES];
};

/**
 * Ones'-complement sum (unfolded-compatible 32-bit partial, as
 * cksum_partial() returns) of data[off, off+len). Uses a precomputed block
 * sum when [off, off+len) is exactly one block of a precomputed size;
 * otherwise sums the bytes.
 */
uint32_t obj_sum_range(const struct stp_object *o, size_t off, size_t len);

#endif
