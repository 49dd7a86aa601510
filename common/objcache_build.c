/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file objcache_build.c
 * Load boot.root into a new cache version: walk the tree with openat() and
 * O_NOFOLLOW, follow only symlinks that resolve inside the root, read each
 * regular file into its own blob. Control thread, at start and on reload.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "objcache_impl.h"

#define MIB (1024.0 * 1024.0)
/* Each level adds at least two bytes to a name of at most 255. */
#define WALK_MAX_DEPTH (OBJ_NAME_MAX / 2 + 1)

/** State of one build. Heap allocated: it holds two path buffers. */
struct walk {
	const char *root;                  /* as configured, for messages */
	char root_real[PATH_MAX];
	size_t root_len;
	struct oc_params p;
	const struct objcache_alloc *a;
	const struct objcache *prev;       /* blobs of unchanged files come from here */

	char rel[OBJ_NAME_MAX];            /* name being visited, relative */
	size_t rel_len;
	char phys[PATH_MAX];               /* its physical path (links resolved) */
	size_t phys_len;
	struct { dev_t dev; ino_t ino; } dirs[WALK_MAX_DEPTH];  /* open directories */
	unsigned depth;

	uint64_t total;                    /* bytes the tree needs, loaded or not */
	unsigned seen;                     /* regular files seen, loaded or not */
	bool over;                         /* total passed max_bytes: stop loading */
	struct oc_ent *ents;               /* loaded so far; each owns its blob */
	unsigned n, cap;
	struct objcache_stats st;
	char *err;
	size_t errlen;
};

static int walk_dir(struct walk *w, int fd);

/** Append "/name" (or "name" at the top) to rel and phys. */
static int walk_push(struct walk *w, const char *name, size_t len)
{
	size_t sep = w->rel_len ? 1 : 0;

	if (w->phys_len + 1 + len >= sizeof(w->phys)) {
		oc_err(w->err, w->errlen, "boot.root %s: path too long below %s", w->root,
		       w->phys);
		return -ENAMETOOLONG;
	}
	w->rel[w->rel_len] = '/';
	memcpy(w->rel + w->rel_len + sep, name, len + 1);
	w->rel_len += sep + len;
	w->phys[w->phys_len] = '/';
	memcpy(w->phys + w->phys_len + 1, name, len + 1);
	w->phys_len += 1 + len;
	return 0;
}

/** True when @a path (a realpath) is the root or below it. */
static bool inside_root(const struct walk *w, const char *path)
{
	if (w->root_len == 1)                   /* root is "/" */
		return true;
	return strncmp(path, w->root_real, w->root_len) == 0 &&
	       (path[w->root_len] == '/' || path[w->root_len] == '\0');
}

/** Read exactly @a len bytes; -EAGAIN if the file turns out shorter or longer. */
static int read_exact(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;
	uint8_t extra;
	ssize_t r;

	while (got < len) {
		r = read(fd, p + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EAGAIN;             /* shrank under us */
		got += (size_t)r;
	}
	do
		r = read(fd, &extra, 1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r ? -EAGAIN : 0;                 /* grew under us */
}

static struct oc_file_id file_id(const struct stat *st)
{
	return (struct oc_file_id){ .dev = st->st_dev, .ino = st->st_ino,
		.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec };
}

/**
 * Share the blob of w->rel from the previous version when it was read from
 * this very file version with the same block sizes.
 * @return true when @a e now lists the shared blob (not owned)
 */
static bool reuse_prev(const struct walk *w, const struct stat *st, struct oc_ent *e)
{
	const struct stp_object *o = objcache_lookup(w->prev, w->rel, w->rel_len);
	struct oc_file_id id = file_id(st);
	struct oc_blob *b;

	if (!o || w->prev->p.n_bs != w->p.n_bs ||
	    memcmp(w->prev->p.bs, w->p.bs, sizeof(w->p.bs)) != 0)
		return false;
	b = w->prev->blobs[o - w->prev->objs];
	if (!id.ino || b->id.ino != id.ino || b->id.dev != id.dev ||
	    b->id.mtime_ns != id.mtime_ns || o->len != (size_t)st->st_size)
		return false;
	*e = (struct oc_ent){ .obj = *o, .blob = b };   /* assemble takes the ref */
	return true;
}

static bool same_file_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/** Read the open file @a fd (as @a st0 described it) into a new entry. */
static int load_into(struct walk *w, int fd, const struct stat *st0, struct oc_ent *e)
{
	struct stat st1;
	int rc;

	rc = oc_blob_new(w->a, (size_t)st0->st_size, &w->p, e);
	if (rc)
		return rc;
	rc = read_exact(fd, oc_blob_data(e->blob), (size_t)st0->st_size);
	if (!rc && fstat(fd, &st1) < 0)
		rc = -errno;
	if (!rc && !same_file_version(st0, &st1))
		rc = -EAGAIN;
	if (rc)
		goto err_unref_blob;
	memcpy(e->obj.name, w->rel, w->rel_len + 1);
	e->obj.mtime = st1.st_mtim.tv_sec < 0 ? 0 : (uint64_t)st1.st_mtim.tv_sec;
	e->blob->id = file_id(&st1);
	oc_blob_seal(e, &w->p);
	return 0;

err_unref_blob:
	oc_blob_unref(e->blob);
	e->owned = false;
	return rc;
}

/**
 * Account for and load the regular file open as @a fd (owned: closed
 * here), which fstatat()/stat() described as @a st0. Past the budget, files
 * are only counted, so the refusal can state the tree's full size.
 */
static int load_file(struct walk *w, int fd, const struct stat *st0)
{
	struct stat st;
	uint64_t need;
	int rc = 0;

	/* Opened with O_NONBLOCK in case it was swapped for a fifo; make sure
	 * it is still the file we looked at. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !same_file_version(st0, &st)) {
		rc = -EAGAIN;
		goto err_report;
	}
	need = oc_blob_need((size_t)st.st_size, &w->p);
	w->seen++;
	w->total = need == UINT64_MAX || w->total > UINT64_MAX - need ? UINT64_MAX
								     : w->total + need;
	w->over |= w->total > w->p.max_bytes;
	if (w->over)
		goto close_fd;
	if (w->n == w->cap) {
		unsigned cap = w->cap ? 2 * w->cap : 64;
		struct oc_ent *ents = realloc(w->ents, cap * sizeof(*ents));

		if (!ents) {
			rc = -ENOMEM;
			goto err_report;
		}
		w->ents = ents;
		w->cap = cap;
	}
	if (w->prev && reuse_prev(w, &st, &w->ents[w->n])) {
		w->st.reused++;
	} else {
		rc = load_into(w, fd, &st, &w->ents[w->n]);
		if (rc)
			goto err_report;
	}
	w->n++;
	w->st.files++;
	w->st.data_bytes += st.st_size;
	w->st.csum_bytes += need - (uint64_t)st.st_size;
	goto close_fd;

err_report:
	oc_err(w->err, w->errlen, "boot.root %s: %s: %s", w->root, w->rel,
	       rc == -EAGAIN ? "changed while being loaded" : strerror(-rc));
close_fd:
	close(fd);
	return rc;
}

/**
 * Walk the directory a symlink leads to (open as @a fd, owned), reading
 * the files below it through its real path @a res.
 */
static int walk_linked_dir(struct walk *w, int fd, const char *res)
{
	size_t saved_len = w->phys_len;
	char *saved = strdup(w->phys);
	int rc;

	if (!saved) {
		oc_err(w->err, w->errlen, "boot.root %s: out of memory", w->root);
		close(fd);
		return -ENOMEM;
	}
	w->phys_len = strlen(res);              /* realpath() fits PATH_MAX */
	memcpy(w->phys, res, w->phys_len + 1);
	rc = walk_dir(w, fd);
	memcpy(w->phys, saved, saved_len + 1);
	w->phys_len = saved_len;
	free(saved);
	return rc;
}

/** Visit what the symlink at w->phys (named w->rel) leads to. */
static int walk_link(struct walk *w)
{
	char *res = realpath(w->phys, NULL);
	struct stat st;
	int rc = 0, fd;

	if (!res) {
		rc = -errno;
		oc_err(w->err, w->errlen, "boot.root %s: symlink %s: %s", w->root, w->rel,
		       strerror(errno));
		return rc;
	}
	if (!inside_root(w, res)) {
		oc_err(w->err, w->errlen, "boot.root %s: symlink %s leads outside the root (to %s)",
		       w->root, w->rel, res);
		rc = -EACCES;
		goto free_res;
	}
	if (stat(res, &st) < 0) {
		rc = -errno;
		oc_err(w->err, w->errlen, "boot.root %s: symlink %s: %s", w->root, w->rel,
		       strerror(errno));
		goto free_res;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		w->st.skipped_special++;
		goto free_res;
	}
	/* res has no symlinks left; O_NOFOLLOW catches one swapped in since. */
	fd = open(res, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
		  (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0) {
		rc = -errno;
		oc_err(w->err, w->errlen, "boot.root %s: %s: %s", w->root, w->rel, strerror(errno));
		goto free_res;
	}
	w->st.symlinks++;
	if (S_ISREG(st.st_mode)) {
		rc = load_file(w, fd, &st);
		goto free_res;
	}
	rc = walk_linked_dir(w, fd, res);
free_res:
	free(res);
	return rc;
}

/** True when a directory entry's name can be part of a served name. */
static bool name_ok(const char *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!oc_name_byte_ok((uint8_t)name[i]))
			return false;
	return true;
}

/** Visit entry @a name of the directory open as @a dfd. */
static int walk_entry(struct walk *w, int dfd, const char *name)
{
	size_t len = strlen(name), rel_len = w->rel_len, phys_len = w->phys_len;
	struct stat st;
	int rc = 0, fd;

	/* No request can reach it: count it, never descend into it. */
	if (!name_ok(name, len) || rel_len + (rel_len ? 1 : 0) + len >= OBJ_NAME_MAX) {
		w->st.skipped_names++;
		return 0;
	}
	rc = walk_push(w, name, len);
	if (rc)
		return rc;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
		oc_err(w->err, w->errlen, "boot.root %s: %s: %s", w->root, w->rel, strerror(errno));
		goto pop_name;
	}
	if (S_ISLNK(st.st_mode)) {
		rc = walk_link(w);
	} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		/* O_NONBLOCK: if a fifo was swapped in since fstatat(), do not
		 * hang the control thread on it; load_file() notices. */
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
			    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0) {
			rc = -errno;
			oc_err(w->err, w->errlen, "boot.root %s: %s: %s", w->root, w->rel,
			       strerror(errno));
		} else {
			rc = S_ISDIR(st.st_mode) ? walk_dir(w, fd) : load_file(w, fd, &st);
		}
	} else {
		w->st.skipped_special++;        /* fifo, socket, device */
	}
pop_name:
	w->rel_len = rel_len;
	w->rel[rel_len] = '\0';
	w->phys_len = phys_len;
	w->phys[phys_len] = '\0';
	return rc;
}

/** Refuse a directory already open higher up (a symlinked loop). */
static int dir_enter(struct walk *w, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int rc = -errno;

		oc_err(w->err, w->errlen, "boot.root %s: %s: %s", w->root, w->rel, strerror(-rc));
		return rc;
	}
	for (unsigned i = 0; i < w->depth; i++) {
		if (w->dirs[i].dev == st.st_dev && w->dirs[i].ino == st.st_ino) {
			oc_err(w->err, w->errlen, "boot.root %s: symlink loop at %s", w->root,
			       w->rel_len ? w->rel : "/");
			return -ELOOP;
		}
	}
	if (w->depth == WALK_MAX_DEPTH) {
		oc_err(w->err, w->errlen, "boot.root %s: %s nested too deep", w->root, w->rel);
		return -ELOOP;
	}
	w->dirs[w->depth].dev = st.st_dev;
	w->dirs[w->depth].ino = st.st_ino;
	w->depth++;
	return 0;
}

/** Visit every entry of the directory open as @a fd (owned: closed here). */
static int walk_dir(struct walk *w, int fd)
{
	const struct dirent *de;
	DIR *d;
	int rc = dir_enter(w, fd);

	if (rc) {
		close(fd);
		return rc;
	}
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		oc_err(w->err, w->errlen, "boot.root %s: %s: %s", w->root, w->rel, strerror(errno));
		close(fd);
		goto pop_dir;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de && errno) {
			rc = -errno;
			oc_err(w->err, w->errlen, "boot.root %s: reading %s: %s", w->root,
			       w->rel_len ? w->rel : "/", strerror(-rc));
		}
		if (!de)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rc = walk_entry(w, dirfd(d), de->d_name);
		if (rc)
			break;
	}
	closedir(d);
pop_dir:
	w->depth--;
	return rc;
}

/** Start a walk: resolve the root and keep the parameters. */
static int walk_init(struct walk *w, const char *root, uint64_t max_bytes,
		     const uint16_t *blksizes, unsigned n_blksizes,
		     const struct objcache_alloc *a, char *err, size_t errlen)
{
	int rc;

	w->root = root;
	w->a = a;
	w->err = err;
	w->errlen = errlen;
	rc = oc_params_init(&w->p, max_bytes, blksizes, n_blksizes);
	if (rc) {
		oc_err(err, errlen, "checksum block sizes must be even, 2..65534, at most %d",
		       OBJ_MAX_CSUM_SIZES);
		return rc;
	}
	if (!realpath(root, w->root_real)) {
		rc = -errno;
		oc_err(err, errlen, "boot.root %s: %s", root, strerror(-rc));
		return rc;
	}
	w->root_len = strlen(w->root_real);
	memcpy(w->phys, w->root_real, w->root_len + 1);
	/* "/" as root: children are "/x", not "//x". */
	w->phys_len = w->root_len == 1 ? 0 : w->root_len;
	return 0;
}

/** Sort what was loaded and make it a version. */
static int walk_finish(struct walk *w, struct objcache **out)
{
	int rc;

	if (w->over) {
		oc_err(w->err, w->errlen,
		       "boot.root %s holds %.1f MB (%u files, with block checksums), "
		       "over cache.max_mb %.0f", w->root, (double)w->total / MIB, w->seen,
		       (double)w->p.max_bytes / MIB);
		return -EFBIG;
	}
	if (w->n)
		qsort(w->ents, w->n, sizeof(*w->ents), oc_ent_cmp);
	rc = oc_assemble(w->ents, w->n, &w->p, &w->st, w->a, out);
	if (rc)
		oc_err(w->err, w->errlen, "boot.root %s: cannot make the cache version: %s",
		       w->root, strerror(-rc));
	return rc;
}

int objcache_build(const char *root, uint64_t max_bytes, const uint16_t *blksizes,
		   unsigned n_blksizes, const struct objcache_alloc *a,
		   struct objcache **out, char *err, size_t errlen)
{
	return objcache_rebuild(NULL, root, max_bytes, blksizes, n_blksizes, a, out, err,
				errlen);
}

int objcache_rebuild(const struct objcache *prev, const char *root, uint64_t max_bytes,
		     const uint16_t *blksizes, unsigned n_blksizes,
		     const struct objcache_alloc *a, struct objcache **out,
		     char *err, size_t errlen)
{
	struct walk *w;
	int rc, fd;

	if (!root || !a || !a->alloc || !a->free || !out) {
		oc_err(err, errlen, "objcache_build: invalid arguments");
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		oc_err(err, errlen, "boot.root %s: out of memory", root);
		return -ENOMEM;
	}
	w->prev = prev;
	rc = walk_init(w, root, max_bytes, blksizes, n_blksizes, a, err, errlen);
	if (rc)
		goto free_walk;
	fd = open(w->root_real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		oc_err(err, errlen, "boot.root %s: %s", root, strerror(errno));
		goto free_walk;
	}
	rc = walk_dir(w, fd);
	if (!rc)
		rc = walk_finish(w, out);
	/* On success the version took every reference; else drop them. */
	oc_ents_release(w->ents, w->n);
	free(w->ents);
free_walk:
	free(w);
	return rc;
}
