/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file objcache_impl.h
 * Internals shared by objcache.c (blobs, versions) and objcache_build.c
 * (the tree walk). Not for other modules.
 */
#ifndef STP_OBJCACHE_IMPL_H
#define STP_OBJCACHE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objcache.h"

/** Offset of the data from the start of a blob: one cache line. */
#define OC_BLOB_HDR 64u

/**
 * Which file version a blob was read from, so a reload can keep a blob
 * instead of reading an unchanged file again. ino 0 never matches.
 */
struct oc_file_id {
	uint64_t dev, ino;
	int64_t mtime_ns;
};

/**
 * One object's bytes and checksum arrays. Layout: this header padded to
 * OC_BLOB_HDR, the data (cache-line aligned, so zero-copy TX can point an
 * external mbuf at it), padding to 8, then one uint16_t array per block
 * size in the order of the owning version's block sizes.
 */
struct oc_blob {
	struct objcache_alloc a;   /* frees this blob, whoever drops it last */
	uint32_t refs;             /* versions listing it; control thread only */
	uint64_t bytes;            /* accounted: data + checksum arrays */
	struct oc_file_id id;      /* file it was read from; zero if published */
};

/** An object on its way into a version, with the blob reference it holds. */
struct oc_ent {
	struct stp_object obj;
	struct oc_blob *blob;
	bool owned;                /* this entry holds a reference to drop on failure */
};

/** What the version keeps of its build parameters. */
struct oc_params {
	uint64_t max_bytes;
	unsigned n_bs;
	uint16_t bs[OBJ_MAX_CSUM_SIZES];
};

/** One open-addressing slot: object index + 1 (0 = empty), and enough of
 * the key to skip most name compares. */
struct oc_slot {
	uint32_t tag;              /* high half of the name hash */
	uint32_t idx1;
	uint16_t len;              /* name length */
};

/**
 * A version. One allocation: this header, then objs[n] (sorted by name),
 * blobs[n] (blobs[i] holds objs[i]'s bytes), then the slot table.
 */
struct objcache {
	struct objcache_alloc a;   /* frees this header, not the blobs */
	struct oc_params p;
	struct objcache_stats st;
	uint64_t bytes;            /* sum of blobs[i]->bytes */
	unsigned n;
	uint32_t mask;             /* slots - 1; slots >= 2 n, a power of two */
	struct stp_object *objs;
	struct oc_blob **blobs;
	struct oc_slot *slots;
};

/** True for a byte that may appear in a served name. */
static inline bool oc_name_byte_ok(uint8_t c)
{
	return c >= 0x20 && c != 0x7f && c != '\\';
}

int oc_params_init(struct oc_params *p, uint64_t max_bytes, const uint16_t *bs,
		   unsigned n_bs);
bool oc_name_canonical(const char *name);
uint64_t oc_blob_need(size_t len, const struct oc_params *p);
int oc_blob_new(const struct objcache_alloc *a, size_t len, const struct oc_params *p,
		struct oc_ent *e);
uint8_t *oc_blob_data(struct oc_blob *b);
void oc_blob_seal(struct oc_ent *e, const struct oc_params *p);
void oc_blob_unref(struct oc_blob *b);
void oc_ents_release(struct oc_ent *e, unsigned n);
int oc_ent_cmp(const void *a, const void *b);
int oc_assemble(struct oc_ent *e, unsigned n, const struct oc_params *p,
		const struct objcache_stats *st, const struct objcache_alloc *a,
		struct objcache **out);
void oc_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
