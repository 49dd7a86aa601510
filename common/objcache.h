/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file objcache.h
 * The object cache: immutable versions of every servable object (boot files
 * loaded from boot.root, scripts rendered by control), looked up by name on
 * the packet path by TFTP and HTTP.
 *
 * Versions.  objcache_build() loads a tree into a new version;
 * objcache_rebuild() does the same on reload but keeps the blobs of files
 * that did not change; objcache_derive() makes a new version from an old one plus/minus a few
 * objects (per-host scripts) without touching file bytes. A version never
 * changes after it is returned: any number of threads may call
 * objcache_lookup(), objcache_at(), objcache_count() on it at once, without
 * locks. Publishing a version to the workers (rte_rcu_qsbr) is the glue's
 * job, not this module's.
 *
 * Ownership.  Each object's bytes and checksum arrays live in one blob
 * allocated with the caller's allocator and reference counted. A version
 * holds one reference on the blob of every object it lists; derive() takes
 * more references on the base's blobs instead of copying bytes. A blob is
 * freed (with the allocator that made it) when the last version listing it
 * is freed, so versions may be freed in any order.
 *
 * Thread contract.  The reference counts are plain integers, not atomics:
 * objcache_build(), objcache_rebuild(), objcache_derive() and
 * objcache_free() must all run on one thread (the control thread), or be
 * serialised by the caller. Workers only read. objcache_free() may run only once no reader can still reach
 * the version: after the RCU grace period that followed publishing its
 * successor, and after every transfer that kept one of its object pointers
 * across bursts has finished (an RCU quiescent state between bursts does
 * not cover those; the glue must count them).
 *
 * Every pointer a version hands out (objects, their data, their checksum
 * arrays) is valid until that version is freed, whatever happens to other
 * versions sharing the same blobs. (The struct stp_object itself lives in
 * the version, so holding a data pointer alone is not enough: keep the
 * version.)
 */
#ifndef STP_OBJCACHE_H
#define STP_OBJCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "object.h"
#include "span.h"

/** Suggested size of the @a err buffers below; messages are cut to fit. */
#define OBJCACHE_ERR_MAX 512

/**
 * Where versions and blobs come from: rte_malloc_socket() on the port's
 * socket in the server, malloc in the tests. @a alloc returns NULL on
 * failure, need not zero memory, and is only called on the control thread.
 * @a align is a power of two, at most 64. The allocator and its @a ctx
 * must outlive every version and blob made with it: blobs keep a copy of
 * this struct and free themselves with it, whichever version drops them.
 */
struct objcache_alloc {
	void *(*alloc)(void *ctx, size_t size, size_t align);
	void (*free)(void *ctx, void *p);
	void *ctx;
};

/** What objcache_build() found in the tree (carried into derived versions). */
struct objcache_stats {
	unsigned files;            /* regular files loaded */
	unsigned symlinks;         /* symlinks followed (all lead inside the root) */
	unsigned skipped_special;  /* fifos, sockets, devices: never served */
	unsigned skipped_names;    /* no request can name them: control bytes,
				    * backslash, path over OBJ_NAME_MAX - 1 */
	unsigned reused;           /* of files, shared with the previous version */
	uint64_t data_bytes;       /* file bytes */
	uint64_t csum_bytes;       /* precomputed block checksum arrays */
};

struct objcache;

/**
 * Turn a requested name into the canonical relative name the cache is keyed
 * by. Pure, allocation free, for the packet path (HTTP percent-decodes
 * first).
 *
 * Leading '/' are dropped (firmware often asks for "/undionly.kpxe"),
 * empty and "." components collapse. Refused:
 * - any ".." component (-EACCES): never resolved, so nothing can escape;
 * - NUL, other control bytes, DEL and backslash (-EINVAL): no served name
 *   holds them, and "\" is a separator to some clients;
 * - an empty result or a trailing '/' or "/." (-EINVAL): the cache holds
 *   files, not directories;
 * - a result of OBJ_NAME_MAX bytes or more, or that does not fit @a cap
 *   with its NUL (-ENAMETOOLONG): never truncated.
 * Security errors win over length errors.
 *
 * @param in   requested name, not NUL terminated
 * @param out  receives the canonical name and a NUL; unspecified on error
 * @param cap  size of @a out
 * @return length of the canonical name (> 0), or a negative errno
 */
int objcache_normalise(struct span in, char *out, size_t cap);

/**
 * Load every regular file below @a root into a new version.
 *
 * Directories are walked with openat(O_NOFOLLOW). A symlink is followed
 * only if realpath() puts its target inside the root (a '/' boundary after
 * the root's own realpath); it is then served under the link's name, and a
 * link to a directory serves that directory's files under the link's path.
 * A link leading outside (-EACCES), dangling (-ENOENT) or into a directory
 * loop (-ELOOP) refuses the whole build, naming the link in @a err. Fifos,
 * sockets and devices are skipped and counted, never opened. A file that
 * changes size or mtime while it is read refuses the build (-EAGAIN; a
 * reload may retry).
 *
 * Every object gets a strong ETag ("<16 hex content hash>-<hex length>"),
 * its mtime in seconds, and one checksum array per entry of @a blksizes.
 *
 * @param root        boot.root
 * @param max_bytes   cache.max_mb in bytes; file bytes plus checksum arrays
 *                    over it refuse the build (-EFBIG) with the sizes
 * @param blksizes    block sizes to precompute sums for: even, 2..65534,
 *                    at most OBJ_MAX_CSUM_SIZES distinct; duplicates are
 *                    merged (-EINVAL otherwise)
 * @param a           allocator for the version and every blob
 * @param out         receives the version; untouched on failure
 * @param err         receives a one-line reason on failure (may be NULL)
 * @return 0, or a negative errno; on failure nothing is left allocated
 */
int objcache_build(const char *root, uint64_t max_bytes, const uint16_t *blksizes,
		   unsigned n_blksizes, const struct objcache_alloc *a,
		   struct objcache **out, char *err, size_t errlen);

/**
 * Reload: as objcache_build(), but a file whose name, device, inode, size
 * and mtime (in ns) match an object @a prev read from disk shares that
 * object's blob instead of being read again, so an unchanged tree costs
 * neither I/O nor a second copy in hugepage memory. The price: an in-place
 * rewrite that keeps size and mtime is not seen (pass @a prev NULL for a
 * full reload). Objects @a prev got from objcache_derive() are not carried
 * over: control derives its scripts onto the new version before
 * publishing it. @a prev is not changed; NULL makes this objcache_build().
 */
int objcache_rebuild(const struct objcache *prev, const char *root, uint64_t max_bytes,
		     const uint16_t *blksizes, unsigned n_blksizes,
		     const struct objcache_alloc *a, struct objcache **out,
		     char *err, size_t errlen);

/**
 * Make a new version from @a base: its objects (sharing their blobs, no
 * bytes copied) with the names in @a remove taken out and the @a add
 * objects put in, replacing base objects of the same name. @a base is not
 * changed and stays valid.
 *
 * Of each @a add entry only name (canonical, see objcache_normalise()),
 * data, len and mtime are read; its bytes are copied into a new blob (the
 * caller keeps its buffer), and the ETag and checksums are computed here
 * with the base's block sizes. A name in @a remove that @a base lacks is
 * ignored, so removal is idempotent. The base's max_bytes still bounds the
 * result (-EFBIG).
 *
 * @return 0, or a negative errno (-EINVAL for a non-canonical or duplicate
 *         name, or one both added and removed); @a out untouched on failure
 */
int objcache_derive(const struct objcache *base, const struct stp_object *add,
		    unsigned n_add, const char *const *remove, unsigned n_remove,
		    const struct objcache_alloc *a, struct objcache **out,
		    char *err, size_t errlen);

/**
 * Find an object by canonical name (as objcache_normalise() produced).
 * O(1), no allocation, no writes: safe from any number of threads.
 * @return the object, or NULL; valid until @a c is freed
 */
const struct stp_object *objcache_lookup(const struct objcache *c, const char *name,
					 size_t len);

/**
 * Set the OBJ_F_* flags of the object named @a name (canonical) in @a c.
 * The one exception to "a version never changes": allowed only before
 * @a c is published, on the thread that built it. Derived versions copy
 * the flags of their base's objects.
 * @return 0, or -ENOENT (no such object)
 */
int objcache_set_flags(struct objcache *c, const char *name, uint32_t flags);

/** Number of objects in @a c. */
unsigned objcache_count(const struct objcache *c);

/**
 * Object @a i of @a c, for listing: 0 <= i < objcache_count(), in byte
 * order of their names. NULL past the end.
 */
const struct stp_object *objcache_at(const struct objcache *c, unsigned i);

/** File bytes plus checksum arrays of every object in @a c. */
uint64_t objcache_bytes(const struct objcache *c);

/** Load figures of the build @a c descends from. */
const struct objcache_stats *objcache_stats(const struct objcache *c);

/**
 * Free a version; blobs that no other version lists go with it. NULL is a
 * no-op. Control thread only, after readers are gone (see the file doc).
 */
void objcache_free(struct objcache *c);

#endif
