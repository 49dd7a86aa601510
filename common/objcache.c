/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file objcache.c
 * Blobs (an object's bytes and checksum arrays, reference counted), versions
 * (sorted objects plus an open-addressed name table in one allocation), and
 * lookup. The tree walk is in objcache_build.c, derive() in
 * objcache_derive.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "cksum.h"
#include "content_hash.h"
#include "objcache_impl.h"

_Static_assert(sizeof(struct oc_blob) <= OC_BLOB_HDR, "blob header outgrew its line");

/* Files beyond this are refused before any size arithmetic can overflow. */
#define OC_MAX_LEN (1ull << 44)
/* Objects per version; keeps every index and table size in 32 bits. */
#define OC_MAX_OBJS (1u << 28)

void oc_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/**
 * Check and keep the block sizes. Odd sizes are refused: a block sum is
 * only combinable with its neighbours when every block starts at an even
 * offset (see obj_sum_range()).
 */
int oc_params_init(struct oc_params *p, uint64_t max_bytes, const uint16_t *bs,
		   unsigned n_bs)
{
	memset(p, 0, sizeof(*p));
	p->max_bytes = max_bytes;
	if (n_bs && !bs)
		return -EINVAL;
	for (unsigned i = 0; i < n_bs; i++) {
		bool dup = false;

		if (bs[i] < 2 || bs[i] % 2)
			return -EINVAL;
		for (unsigned j = 0; j < p->n_bs; j++)
			dup |= p->bs[j] == bs[i];
		if (dup)
			continue;
		if (p->n_bs == OBJ_MAX_CSUM_SIZES)
			return -EINVAL;
		p->bs[p->n_bs++] = bs[i];
	}
	return 0;
}

static size_t nblocks(size_t len, size_t blksize)
{
	return len / blksize + (len % blksize != 0);
}

/** Offset of the first checksum array in a blob holding @a len bytes. */
static size_t blob_csum_off(size_t len)
{
	return OC_BLOB_HDR + ((len + 7) & ~(size_t)7);
}

/**
 * Bytes charged to cache.max_mb for an object of @a len bytes: the data
 * and its checksum arrays (headers and tables are small and not charged).
 * UINT64_MAX when @a len is beyond any sane boot file.
 */
uint64_t oc_blob_need(size_t len, const struct oc_params *p)
{
	uint64_t need = len;

	if (len > OC_MAX_LEN)
		return UINT64_MAX;
	for (unsigned j = 0; j < p->n_bs; j++)
		need += 2 * (uint64_t)nblocks(len, p->bs[j]);
	return need;
}

/** Writable checksum arrays of blob @a b (holding @a len bytes). */
static void blob_sums(struct oc_blob *b, size_t len, const struct oc_params *p,
		      uint16_t *sums[OBJ_MAX_CSUM_SIZES])
{
	uint16_t *s = (uint16_t *)((uint8_t *)b + blob_csum_off(len));

	for (unsigned j = 0; j < p->n_bs; j++) {
		sums[j] = s;
		s += nblocks(len, p->bs[j]);
	}
}

uint8_t *oc_blob_data(struct oc_blob *b)
{
	return (uint8_t *)b + OC_BLOB_HDR;
}

/**
 * Allocate a blob for @a len bytes and point @a e at it: e->obj is zeroed
 * and gets data, len and the checksum array pointers; the caller fills the
 * data, name and mtime, then calls oc_blob_seal(). @a e holds the only
 * reference (owned).
 * @return 0, -EFBIG for an absurd size, -ENOMEM
 */
int oc_blob_new(const struct objcache_alloc *a, size_t len, const struct oc_params *p,
		struct oc_ent *e)
{
	uint64_t need = oc_blob_need(len, p);
	uint16_t *sums[OBJ_MAX_CSUM_SIZES];
	struct oc_blob *b;

	if (need == UINT64_MAX)
		return -EFBIG;
	b = a->alloc(a->ctx, blob_csum_off(len) + (size_t)(need - len), 64);
	if (!b)
		return -ENOMEM;
	b->a = *a;
	b->refs = 1;
	b->bytes = need;
	memset(&b->id, 0, sizeof(b->id));
	memset(&e->obj, 0, sizeof(e->obj));
	e->obj.data = oc_blob_data(b);
	e->obj.len = len;
	e->obj.n_csums = p->n_bs;
	blob_sums(b, len, p, sums);
	for (unsigned j = 0; j < p->n_bs; j++) {
		e->obj.csums[j].blksize = p->bs[j];
		e->obj.csums[j].sum = sums[j];
	}
	e->blob = b;
	e->owned = true;
	return 0;
}

static uint32_t fold16(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/**
 * Sum every block of every size in one pass over the data: cut it at the
 * union of all block boundaries, sum each piece once with cksum_partial(),
 * and add the piece to the running sum of each size's current block.
 * Pieces start at even offsets (block sizes are even), so their partial
 * sums add exactly like one pass over the block would.
 */
static void sums_compute(const uint8_t *d, size_t len, const struct oc_params *p,
			 uint16_t *const sums[OBJ_MAX_CSUM_SIZES])
{
	size_t next[OBJ_MAX_CSUM_SIZES], idx[OBJ_MAX_CSUM_SIZES] = { 0 };
	uint32_t acc[OBJ_MAX_CSUM_SIZES] = { 0 };
	size_t pos = 0;

	for (unsigned j = 0; j < p->n_bs; j++)
		next[j] = p->bs[j];
	while (pos < len && p->n_bs) {
		size_t end = len;

		for (unsigned j = 0; j < p->n_bs; j++)
			end = STP_MIN(end, next[j]);
		/* Partial sums never exceed the raw word sum, and a block of
		 * at most 65534 bytes sums to under 2^31: acc cannot wrap. */
		uint32_t s = cksum_partial(d + pos, end - pos, 0);

		for (unsigned j = 0; j < p->n_bs; j++) {
			acc[j] += s;
			if (next[j] != end && end != len)
				continue;
			sums[j][idx[j]++] = (uint16_t)fold16(acc[j]);
			acc[j] = 0;
			next[j] += p->bs[j];
		}
		pos = end;
	}
}


/**
 * Fill in the checksum arrays and the ETag once e->obj's bytes are in. The
 * ETag's hash is content_hash() (common/content_hash.h), which clients
 * such as stampede-storm recompute over the body they receive.
 */
void oc_blob_seal(struct oc_ent *e, const struct oc_params *p)
{
	uint16_t *sums[OBJ_MAX_CSUM_SIZES];
	const struct stp_object *o = &e->obj;

	blob_sums(e->blob, o->len, p, sums);
	sums_compute(o->data, o->len, p, sums);
	snprintf(e->obj.etag, sizeof(e->obj.etag), "\"%016llx-%llx\"",
		 (unsigned long long)content_hash(o->data, o->len), (unsigned long long)o->len);
}

/** Drop one reference; the last one frees the blob with its own allocator. */
void oc_blob_unref(struct oc_blob *b)
{
	if (--b->refs == 0) {
		struct objcache_alloc a = b->a;

		a.free(a.ctx, b);
	}
}

/** Drop the references @a e[0..n) still own (after a failure, or none left). */
void oc_ents_release(struct oc_ent *e, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (e[i].owned)
			oc_blob_unref(e[i].blob);
		e[i].owned = false;
	}
}

/** qsort order of entries: byte order of names, as strcmp() defines it. */
int oc_ent_cmp(const void *a, const void *b)
{
	const struct oc_ent *x = a, *y = b;

	return strcmp(x->obj.name, y->obj.name);
}

static uint64_t name_hash(const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;        /* FNV-1a 64 */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 0x100000001b3ull;
	return content_hash_mix64(h);                           /* FNV's low bits are weak */
}

static bool slot_matches(const struct objcache *c, const struct oc_slot *s, uint32_t tag,
			 const char *name, size_t len)
{
	return s->tag == tag && s->len == len &&
	       memcmp(c->objs[s->idx1 - 1].name, name, len) == 0;
}

/** Put objs[i] in the table; -EEXIST if its name is already there. */
static int slot_insert(struct objcache *c, uint32_t i)
{
	const char *name = c->objs[i].name;
	size_t len = strlen(name);
	uint64_t h = name_hash(name, len);
	uint32_t tag = (uint32_t)(h >> 32);

	/* Load factor <= 1/2: an empty slot is always reached. */
	for (uint32_t k = (uint32_t)h & c->mask;; k = (k + 1) & c->mask) {
		struct oc_slot *s = &c->slots[k];

		if (!s->idx1) {
			*s = (struct oc_slot){ .tag = tag, .idx1 = i + 1, .len = (uint16_t)len };
			return 0;
		}
		if (slot_matches(c, s, tag, name, len))
			return -EEXIST;
	}
}

/**
 * Make a version of @a e[0..n) (sorted by name, names canonical and
 * distinct). On success the version holds a reference on every entry's
 * blob: owned references move into it, shared ones are taken, and no entry
 * owns anything any more. On failure nothing changes.
 * @return 0, -EFBIG (too many objects), -ENOMEM, -EEXIST (duplicate name)
 */
int oc_assemble(struct oc_ent *e, unsigned n, const struct oc_params *p,
		const struct objcache_stats *st, const struct objcache_alloc *a,
		struct objcache **out)
{
	size_t slots = 16, off_objs, off_blobs, off_slots;
	struct objcache *c;
	int rc;

	if (n > OC_MAX_OBJS)
		return -EFBIG;
	while (slots < 2 * (size_t)n)
		slots <<= 1;
	off_objs = (sizeof(*c) + 63) & ~(size_t)63;
	off_blobs = off_objs + n * sizeof(*c->objs);
	off_slots = off_blobs + n * sizeof(*c->blobs);
	c = a->alloc(a->ctx, off_slots + slots * sizeof(*c->slots), 64);
	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	c->a = *a;
	c->p = *p;
	c->st = *st;
	c->n = n;
	c->mask = (uint32_t)(slots - 1);
	c->objs = (struct stp_object *)((uint8_t *)c + off_objs);
	c->blobs = (struct oc_blob **)((uint8_t *)c + off_blobs);
	c->slots = (struct oc_slot *)((uint8_t *)c + off_slots);
	memset(c->slots, 0, slots * sizeof(*c->slots));
	for (unsigned i = 0; i < n; i++) {
		c->objs[i] = e[i].obj;
		c->blobs[i] = e[i].blob;
		c->bytes += e[i].blob->bytes;
		rc = slot_insert(c, i);
		if (rc)
			goto err_free_version;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!e[i].owned)
			e[i].blob->refs++;
		e[i].owned = false;
	}
	*out = c;
	return 0;

err_free_version:
	a->free(a->ctx, c);
	return rc;
}

const struct stp_object *objcache_lookup(const struct objcache *c, const char *name,
					 size_t len)
{
	uint64_t h;
	uint32_t tag;

	if (!c || !name || len == 0 || len >= OBJ_NAME_MAX)
		return NULL;
	h = name_hash(name, len);
	tag = (uint32_t)(h >> 32);
	for (uint32_t k = (uint32_t)h & c->mask;; k = (k + 1) & c->mask) {
		const struct oc_slot *s = &c->slots[k];

		if (!s->idx1)
			return NULL;
		if (slot_matches(c, s, tag, name, len))
			return &c->objs[s->idx1 - 1];
	}
}

unsigned objcache_count(const struct objcache *c)
{
	return c ? c->n : 0;
}

int objcache_set_flags(struct objcache *c, const char *name, uint32_t flags)
{
	const struct stp_object *o = objcache_lookup(c, name, strlen(name));

	if (o == NULL)
		return -ENOENT;
	/* The version is the caller's and not yet published (see the header). */
	c->objs[o - c->objs].flags = flags;
	return 0;
}

const struct stp_object *objcache_at(const struct objcache *c, unsigned i)
{
	return c && i < c->n ? &c->objs[i] : NULL;
}

uint64_t objcache_bytes(const struct objcache *c)
{
	return c ? c->bytes : 0;
}

const struct objcache_stats *objcache_stats(const struct objcache *c)
{
	static const struct objcache_stats none;

	return c ? &c->st : &none;
}

void objcache_free(struct objcache *c)
{
	struct objcache_alloc a;

	if (!c)
		return;
	for (unsigned i = 0; i < c->n; i++)
		oc_blob_unref(c->blobs[i]);
	a = c->a;
	a.free(a.ctx, c);
}
