/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file objcache_derive.c
 * A new version from an old one plus/minus a few objects: how control
 * publishes rendered iPXE scripts without reloading boot.root. File bytes
 * are shared by reference, never copied.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objcache_impl.h"

#define MIB (1024.0 * 1024.0)

static int obj_ptr_cmp(const void *a, const void *b)
{
	const struct stp_object *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/**
 * Check @a add and sort it by name into @a sorted (n_add entries).
 * @return 0 or -EINVAL (non-canonical or duplicate name, missing data)
 */
static int check_add(const struct stp_object *add, unsigned n_add,
		     const struct stp_object **sorted, char *err, size_t errlen)
{
	for (unsigned k = 0; k < n_add; k++) {
		if (!oc_name_canonical(add[k].name)) {
			oc_err(err, errlen, "publish: object name \"%.*s\" is not canonical",
			       OBJ_NAME_MAX - 1, add[k].name);
			return -EINVAL;
		}
		if (add[k].len && !add[k].data) {
			oc_err(err, errlen, "publish: object %s has no data", add[k].name);
			return -EINVAL;
		}
		sorted[k] = &add[k];
	}
	if (n_add)
		qsort(sorted, n_add, sizeof(*sorted), obj_ptr_cmp);
	for (unsigned k = 1; k < n_add; k++) {
		if (strcmp(sorted[k - 1]->name, sorted[k]->name) == 0) {
			oc_err(err, errlen, "publish: object %s given twice", sorted[k]->name);
			return -EINVAL;
		}
	}
	return 0;
}

/** True when @a name is among the sorted additions. */
static bool added(const struct stp_object *const *sorted, unsigned n_add, const char *name)
{
	unsigned lo = 0, hi = n_add;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		int cmp = strcmp(name, sorted[mid]->name);

		if (cmp == 0)
			return true;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/**
 * Mark in @a gone the base objects named in @a remove.
 * @return 0 or -EINVAL (NULL name, or a name also being added)
 */
static int mark_removed(const struct objcache *base, const char *const *remove,
			unsigned n_remove, const struct stp_object *const *sorted,
			unsigned n_add, bool *gone, char *err, size_t errlen)
{
	for (unsigned r = 0; r < n_remove; r++) {
		const struct stp_object *o;

		if (!remove[r]) {
			oc_err(err, errlen, "publish: NULL name to remove");
			return -EINVAL;
		}
		if (added(sorted, n_add, remove[r])) {
			oc_err(err, errlen, "publish: %.*s both added and removed",
			       OBJ_NAME_MAX, remove[r]);
			return -EINVAL;
		}
		o = objcache_lookup(base, remove[r], strnlen(remove[r], OBJ_NAME_MAX));
		if (o)
			gone[o - base->objs] = true;
	}
	return 0;
}

/** Copy one added object into a new blob in @a e (owned). */
static int ent_from_object(const struct objcache_alloc *a, const struct oc_params *p,
			   const struct stp_object *src, struct oc_ent *e)
{
	int rc = oc_blob_new(a, src->len, p, e);

	if (rc)
		return rc;
	if (src->len)
		memcpy(oc_blob_data(e->blob), src->data, src->len);
	memcpy(e->obj.name, src->name, sizeof(e->obj.name));
	e->obj.mtime = src->mtime;
	oc_blob_seal(e, p);
	return 0;
}

/**
 * Merge the sorted base objects (minus @a gone) with the sorted additions
 * into @a e, keeping name order; an addition replaces a base object of the
 * same name. *n_out counts the entries filled, also on failure, so the
 * caller can release the owned ones.
 */
static int merge(const struct objcache *base, const bool *gone,
		 const struct stp_object *const *add, unsigned n_add,
		 const struct objcache_alloc *a, struct oc_ent *e, unsigned *n_out,
		 char *err, size_t errlen)
{
	unsigned i = 0, k = 0, n = 0;
	int rc = 0;

	while (i < base->n || k < n_add) {
		int cmp = i == base->n ? 1 : k == n_add ? -1 :
			  strcmp(base->objs[i].name, add[k]->name);

		if (cmp < 0) {
			if (!gone[i])
				e[n++] = (struct oc_ent){ .obj = base->objs[i],
							  .blob = base->blobs[i] };
			i++;
			continue;
		}
		if (cmp == 0)
			i++;                    /* replaced by add[k] */
		rc = ent_from_object(a, &base->p, add[k], &e[n]);
		if (rc) {
			oc_err(err, errlen, "publish: %s: %s", add[k]->name,
			       rc == -ENOMEM ? "out of memory" : "too large");
			break;
		}
		k++;
		n++;
	}
	*n_out = n;
	return rc;
}

static uint64_t ents_bytes(const struct oc_ent *e, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += e[i].blob->bytes;
	return sum;
}

/**
 * Fill @a e with the entries of the new version (see merge()) and check
 * the budget. *n counts the entries filled, also on failure.
 */
static int derive_ents(const struct objcache *base, const struct stp_object *add,
		       unsigned n_add, const char *const *remove, unsigned n_remove,
		       const struct objcache_alloc *a, struct oc_ent *e, unsigned *n,
		       char *err, size_t errlen)
{
	const struct stp_object **sorted = malloc((n_add ? n_add : 1) * sizeof(*sorted));
	bool *gone = calloc(base->n ? base->n : 1, sizeof(*gone));
	int rc = -ENOMEM;

	*n = 0;
	if (!sorted || !gone) {
		oc_err(err, errlen, "publish: out of memory");
		goto free_scratch;
	}
	rc = check_add(add, n_add, sorted, err, errlen);
	if (!rc)
		rc = mark_removed(base, remove, n_remove, sorted, n_add, gone, err, errlen);
	if (!rc)
		rc = merge(base, gone, sorted, n_add, a, e, n, err, errlen);
	if (!rc && ents_bytes(e, *n) > base->p.max_bytes) {
		oc_err(err, errlen, "cache would hold %.1f MB (%u objects), over cache.max_mb %.0f",
		       (double)ents_bytes(e, *n) / MIB, *n, (double)base->p.max_bytes / MIB);
		rc = -EFBIG;
	}
free_scratch:
	free(gone);
	free(sorted);
	return rc;
}

int objcache_derive(const struct objcache *base, const struct stp_object *add,
		    unsigned n_add, const char *const *remove, unsigned n_remove,
		    const struct objcache_alloc *a, struct objcache **out,
		    char *err, size_t errlen)
{
	struct oc_ent *e;
	unsigned n = 0;
	int rc;

	if (!base || !a || !out || (n_add && !add) || (n_remove && !remove)) {
		oc_err(err, errlen, "publish: invalid arguments");
		return -EINVAL;
	}
	e = malloc(((size_t)base->n + n_add + 1) * sizeof(*e));
	if (!e) {
		oc_err(err, errlen, "publish: out of memory");
		return -ENOMEM;
	}
	rc = derive_ents(base, add, n_add, remove, n_remove, a, e, &n, err, errlen);
	if (!rc) {
		rc = oc_assemble(e, n, &base->p, &base->st, a, out);
		if (rc)
			oc_err(err, errlen, "publish: cannot make the version: %s", strerror(-rc));
	}
	/* Success moved every reference into *out; failure drops the new blobs. */
	oc_ents_release(e, n);
	free(e);
	return rc;
}
