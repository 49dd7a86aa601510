/* SPDX-License-Identifier: BSD-3-Clause */
/* Object cache: name normalisation, tree loading (symlinks, fifos, budget),
 * lookup, ETags, precomputed block sums, derived versions and ownership. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "bytes.h"
#include "cksum.h"
#include "content_hash.h"
#include "objcache.h"

#define BIG_LEN (3u * 1024 * 1024 + 17)    /* 3 MB and an odd tail */

static const uint16_t all_bs[] = { 512, 1024, 1428, 1432, 1456, 1468, 1448, 1460 };

/* ---- allocator that counts, and can fail on demand ---- */

struct talloc {
	long live;          /* allocations not yet freed */
	long calls;         /* alloc calls so far */
	long fail_at;       /* fail the call with this index; -1 never */
};

static void *t_alloc(void *ctx, size_t size, size_t align)
{
	struct talloc *t = ctx;
	void *p = NULL;

	if (t->calls++ == t->fail_at)
		return NULL;
	assert_true(align && (align & (align - 1)) == 0 && align <= 64);
	if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1))
		return NULL;
	memset(p, 0xa5, size);  /* the cache must not rely on zeroed memory */
	t->live++;
	return p;
}

static void t_free(void *ctx, void *p)
{
	struct talloc *t = ctx;

	assert_non_null(p);
	t->live--;
	free(p);
}

/* ---- the fixture tree ---- */

struct fx {
	char dir[64];       /* mkdtemp: holds root/ and outside/ */
	char root[96];
	struct talloc t;
	struct objcache_alloc a;
	uint8_t *big;       /* content of root/big.bin */
	uint8_t kpxe[1000]; /* content of root/undionly.kpxe */
};

static void fill_random(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
}

static void put_file(const struct fx *f, const char *rel, const void *p, size_t len)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	if (len)
		assert_int_equal(fwrite(p, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void put_link(const struct fx *f, const char *target, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static void del(const struct fx *f, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	assert_int_equal(unlink(path), 0);
}

static void mkdir_in(const char *base, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/objcache-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
	mkdir_in(f->dir, "root");
	mkdir_in(f->dir, "outside");
	mkdir_in(f->root, "a");
	mkdir_in(f->root, "a/b");
	mkdir_in(f->root, "a/b/c");
	snprintf(path, sizeof(path), "%s/outside/secret", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("root:x:0:0\n", fp);
	fclose(fp);

	fill_random(f->kpxe, sizeof(f->kpxe), 7);
	put_file(f, "undionly.kpxe", f->kpxe, sizeof(f->kpxe));
	put_file(f, "empty", "", 0);
	put_file(f, "a/b/c/deep.txt", "deep\n", 5);
	put_file(f, "same1", "identical bytes", 15);
	put_file(f, "same2", "identical bytes", 15);
	put_file(f, "diff", "identical bytez", 15);
	f->big = malloc(BIG_LEN);
	assert_non_null(f->big);
	fill_random(f->big, BIG_LEN, 42);
	put_file(f, "big.bin", f->big, BIG_LEN);
	put_file(f, "back\\slash", "x", 1);    /* no request can name it */
	put_link(f, "undionly.kpxe", "link.kpxe");
	put_link(f, "a/b", "linkdir");
	snprintf(path, sizeof(path), "%s/fifo", f->root);
	assert_int_equal(mkfifo(path, 0644), 0);

	f->t.fail_at = -1;
	f->a = (struct objcache_alloc){ t_alloc, t_free, &f->t };
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f->big);
	free(f);
	return 0;
}

static struct objcache *build_ok(struct fx *f)
{
	struct objcache *c = NULL;
	char err[OBJCACHE_ERR_MAX] = "";
	int rc = objcache_build(f->root, 64ull << 20, all_bs, STP_ARRAY_SIZE(all_bs), &f->a,
				&c, err, sizeof(err));

	if (rc)
		fail_msg("build: %d %s", rc, err);
	assert_non_null(c);
	return c;
}

static const struct stp_object *find(const struct objcache *c, const char *name)
{
	return objcache_lookup(c, name, strlen(name));
}

/* ---- normalisation ---- */

static void test_normalise_table(void **state)
{
	static const struct { const char *in; size_t len; int rc; const char *out; } t[] = {
		{ "/undionly.kpxe", 0, 13, "undionly.kpxe" },
		{ "undionly.kpxe", 0, 13, "undionly.kpxe" },
		{ "//boot//x", 0, 6, "boot/x" },
		{ "a//b", 0, 3, "a/b" },
		{ "./a", 0, 1, "a" },
		{ "a/./b", 0, 3, "a/b" },
		{ "a/././/b", 0, 3, "a/b" },
		{ "pxelinux.cfg/01-52-54-00-12-34-56", 0, 33, "pxelinux.cfg/01-52-54-00-12-34-56" },
		{ "...", 0, 3, "..." },                 /* a name, not a parent */
		{ "a..b/..c", 0, 8, "a..b/..c" },
		{ ".hidden", 0, 7, ".hidden" },
		{ "caf\xc3\xa9", 0, 5, "caf\xc3\xa9" },  /* UTF-8 passes through */
		{ "../etc/passwd", 0, -EACCES, NULL },
		{ "/../../etc/passwd", 0, -EACCES, NULL },
		{ "a/../b", 0, -EACCES, NULL },
		{ "a/..", 0, -EACCES, NULL },
		{ "..", 0, -EACCES, NULL },
		{ "../", 0, -EACCES, NULL },
		{ "", 0, -EINVAL, NULL },
		{ "/", 0, -EINVAL, NULL },
		{ "//./", 0, -EINVAL, NULL },
		{ ".", 0, -EINVAL, NULL },
		{ "a/", 0, -EINVAL, NULL },             /* names a directory */
		{ "a/.", 0, -EINVAL, NULL },
		{ "a\0b", 3, -EINVAL, NULL },
		{ "a\0", 2, -EINVAL, NULL },
		{ "a\\b", 0, -EINVAL, NULL },
		{ "\\undionly.kpxe", 0, -EINVAL, NULL },
		{ "a\nb", 0, -EINVAL, NULL },
		{ "a\x7f", 0, -EINVAL, NULL },
		{ "a\x1f", 0, -EINVAL, NULL },
	};
	char out[OBJ_NAME_MAX];

	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(t); i++) {
		size_t len = t[i].len ? t[i].len : strlen(t[i].in);
		int rc = objcache_normalise(span_make(t[i].in, len), out, sizeof(out));

		if (rc != t[i].rc)
			fail_msg("case %zu \"%s\": rc %d, want %d", i, t[i].in, rc, t[i].rc);
		if (t[i].out)
			assert_string_equal(out, t[i].out);
	}
}

static void test_normalise_lengths(void **state)
{
	char in[600], out[OBJ_NAME_MAX], small[8];

	(void)state;
	memset(in, 'x', sizeof(in));
	/* 255 bytes fit OBJ_NAME_MAX with the NUL; 256 do not, never cut. */
	assert_int_equal(objcache_normalise(span_make(in, 255), out, sizeof(out)), 255);
	assert_int_equal(strlen(out), 255);
	assert_int_equal(objcache_normalise(span_make(in, 256), out, sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(objcache_normalise(span_make(in, 599), out, sizeof(out)), -ENAMETOOLONG);
	/* The limit is on the result: noise that collapses does not count. */
	in[0] = '/';
	memcpy(in + 1, "./././/", 7);
	assert_int_equal(objcache_normalise(span_make(in, 8 + 255), out, sizeof(out)), 255);
	/* Split into components: 127 + '/' + 127 = 255. */
	memset(in, 'y', sizeof(in));
	in[127] = '/';
	assert_int_equal(objcache_normalise(span_make(in, 255), out, sizeof(out)), 255);
	assert_int_equal(objcache_normalise(span_make(in, 256), out, sizeof(out)), -ENAMETOOLONG);
	/* A ".." after the overflow still reports the escape. */
	memcpy(in + 300, "/../x", 5);
	assert_int_equal(objcache_normalise(span_make(in, 305), out, sizeof(out)), -EACCES);
	/* A small caller buffer: needs the NUL too. */
	assert_int_equal(objcache_normalise(span_cstr("/abcdefgh"), small, sizeof(small)),
			 -ENAMETOOLONG);
	assert_int_equal(objcache_normalise(span_cstr("/abcdefg"), small, sizeof(small)), 7);
	assert_string_equal(small, "abcdefg");
	assert_int_equal(objcache_normalise(span_cstr("a"), small, 0), -EINVAL);
	assert_int_equal(objcache_normalise(span_make(NULL, 0), out, sizeof(out)), -EINVAL);
}

/* ---- build and lookup ---- */

static void test_build_lookup(void **state)
{
	struct fx *f = *state;
	struct objcache *c = build_ok(f);
	const struct objcache_stats *st = objcache_stats(c);
	const struct stp_object *o, *l;

	/* undionly.kpxe, empty, a/b/c/deep.txt, same1, same2, diff, big.bin,
	 * link.kpxe, linkdir/c/deep.txt */
	assert_int_equal(objcache_count(c), 9);
	assert_int_equal(st->files, 9);
	assert_int_equal(st->symlinks, 2);
	assert_int_equal(st->skipped_special, 1);      /* the fifo */
	assert_int_equal(st->skipped_names, 1);        /* back\slash */
	assert_int_equal(st->data_bytes, 2 * 1000 + 0 + 2 * 5 + 3 * 15 + BIG_LEN);
	assert_int_equal(objcache_bytes(c), st->data_bytes + st->csum_bytes);

	o = find(c, "undionly.kpxe");
	assert_non_null(o);
	assert_int_equal(o->len, sizeof(f->kpxe));
	assert_memory_equal(o->data, f->kpxe, sizeof(f->kpxe));
	assert_int_equal((uintptr_t)o->data % 64, 0);  /* ready for an external mbuf */
	assert_true(o->mtime > 1600000000u);
	l = find(c, "link.kpxe");                       /* served under the link's name */
	assert_non_null(l);
	assert_memory_equal(l->data, f->kpxe, sizeof(f->kpxe));
	assert_string_equal(l->etag, o->etag);
	o = find(c, "linkdir/c/deep.txt");
	assert_non_null(o);
	assert_memory_equal(o->data, "deep\n", 5);
	o = find(c, "big.bin");
	assert_non_null(o);
	assert_int_equal(o->len, BIG_LEN);
	assert_memory_equal(o->data, f->big, BIG_LEN);
	o = find(c, "empty");
	assert_non_null(o);
	assert_int_equal(o->len, 0);

	assert_null(find(c, "fifo"));
	assert_null(find(c, "a"));                      /* directories are not objects */
	assert_null(find(c, "a/b"));
	assert_null(find(c, "nope"));
	assert_null(find(c, "undionly.kpx"));
	assert_null(find(c, "undionly.kpxe2"));
	assert_null(objcache_lookup(c, "empty\0", 6));  /* length is part of the key */
	assert_null(objcache_lookup(c, "", 0));

	/* Listing is in name order, complete, and ends with NULL. */
	for (unsigned i = 1; i < objcache_count(c); i++)
		assert_true(strcmp(objcache_at(c, i - 1)->name, objcache_at(c, i)->name) < 0);
	assert_null(objcache_at(c, objcache_count(c)));
	objcache_free(c);
	assert_int_equal(f->t.live, 0);
}

static void test_etag(void **state)
{
	struct fx *f = *state;
	struct objcache *c = build_ok(f), *c2;
	const struct stp_object *s1 = find(c, "same1"), *s2 = find(c, "same2");
	const struct stp_object *d = find(c, "diff"), *e = find(c, "empty");
	unsigned hexlen = 0;

	assert_string_equal(s1->etag, s2->etag);
	assert_string_not_equal(s1->etag, d->etag);
	assert_string_not_equal(e->etag, s1->etag);
	/* "\"<16 hex>-<len hex>\"" */
	assert_int_equal(s1->etag[0], '"');
	for (const char *p = s1->etag + 1; *p != '-'; p++, hexlen++)
		assert_non_null(strchr("0123456789abcdef", *p));
	assert_int_equal(hexlen, 16);
	assert_string_equal(s1->etag + 17, "-f\"");
	/* Unchanged since the hash moved to common/content_hash.c: the tags
	 * the cache gave these files before the move, and the tag is the
	 * one-shot and the streaming hash of the bytes. */
	assert_string_equal(find(c, "empty")->etag, "\"f490368aba8bfeac-0\"");
	assert_string_equal(find(c, "a/b/c/deep.txt")->etag, "\"b54a418f00ebb4f9-5\"");
	assert_string_equal(s1->etag, "\"02465c98b8565c76-f\"");
	assert_string_equal(d->etag, "\"6d4021aa6813288c-f\"");
	assert_string_equal(find(c, "undionly.kpxe")->etag, "\"54eda2be55c1093e-3e8\"");
	assert_string_equal(find(c, "big.bin")->etag, "\"a2cffc9e0a897e67-300011\"");
	for (unsigned i = 0; i < objcache_count(c); i++) {
		const struct stp_object *o = objcache_at(c, i);
		struct content_hash st;
		char want[OBJ_ETAG_MAX];

		content_hash_init(&st, o->len);
		for (size_t off = 0; off < o->len; off += 1000)
			content_hash_update(&st, o->data + off, STP_MIN(1000, o->len - off));
		assert_true(content_hash_final(&st) == content_hash(o->data, o->len));
		snprintf(want, sizeof(want), "\"%016llx-%llx\"",
			 (unsigned long long)content_hash(o->data, o->len),
			 (unsigned long long)o->len);
		assert_string_equal(o->etag, want);
	}
	/* Stable: a second build of the same bytes gives the same tags. */
	c2 = build_ok(f);
	for (unsigned i = 0; i < objcache_count(c); i++)
		assert_string_equal(objcache_at(c, i)->etag, objcache_at(c2, i)->etag);
	objcache_free(c2);
	objcache_free(c);
	assert_int_equal(f->t.live, 0);
}

/* ---- checksums ---- */

/* Folded 16-bit value of a partial sum, as the precomputed arrays hold. */
static uint16_t fold(uint32_t s)
{
	return (uint16_t)~cksum_finish(s);
}

/* Every precomputed block sum equals a direct sum of the same bytes. */
static void check_block_sums(const struct stp_object *o, unsigned n_bs)
{
	assert_int_equal(o->n_csums, n_bs);
	for (unsigned j = 0; j < o->n_csums; j++) {
		size_t b = o->csums[j].blksize, n = (o->len + b - 1) / b;

		for (size_t i = 0; i < n; i++) {
			size_t len = STP_MIN(b, o->len - i * b);

			assert_int_equal(o->csums[j].sum[i],
					 fold(cksum_partial(o->data + i * b, len, 0)));
		}
	}
}

static void test_block_sums(void **state)
{
	struct fx *f = *state;
	struct objcache *c = build_ok(f);

	for (unsigned i = 0; i < objcache_count(c); i++)
		check_block_sums(objcache_at(c, i), STP_ARRAY_SIZE(all_bs));
	objcache_free(c);
}

/* obj_sum_range() of [off, off+len) behaves like a direct sum, also when
 * added to a header sum (the way TFTP builds a UDP checksum). */
static void check_range(const struct stp_object *o, size_t off, size_t len)
{
	size_t end = STP_MIN(o->len, off + len), n = off < end ? end - off : 0;
	uint32_t hdr = cksum_pseudo4(0x0a000001, 0x0a000002, 17, (uint16_t)(n + 12));
	uint32_t direct = n ? cksum_partial(o->data + off, n, 0) : 0;
	uint32_t got = obj_sum_range(o, off, len);

	assert_int_equal(fold(got), fold(direct));
	assert_int_equal(cksum_finish(hdr + got), cksum_finish(hdr + direct));
}

static void test_sum_range(void **state)
{
	struct fx *f = *state;
	struct objcache *c = build_ok(f);
	const struct stp_object *big = find(c, "big.bin"), *e = find(c, "empty");
	size_t last1468 = (BIG_LEN / 1468) * 1468;

	for (unsigned j = 0; j < STP_ARRAY_SIZE(all_bs); j++) {
		size_t b = all_bs[j];

		check_range(big, 0, b);                             /* first block */
		check_range(big, 7 * b, b);                         /* aligned block */
		check_range(big, (BIG_LEN / b) * b, b);             /* short last block */
		check_range(big, (BIG_LEN / b) * b, BIG_LEN % b);
		check_range(big, 3 * b, 5 * b);                     /* several blocks */
		check_range(big, (BIG_LEN / b - 2) * b, 4 * b);     /* to the end, clamped */
	}
	check_range(big, 1, 512);               /* unaligned start */
	check_range(big, 513, 1467);            /* odd start, odd length, last piece */
	check_range(big, 1468, 1000);           /* aligned, not a whole block */
	check_range(big, 0, BIG_LEN);           /* whole file: sum of all blocks */
	check_range(big, last1468, 1468);
	check_range(big, BIG_LEN, 10);          /* past the end: nothing */
	check_range(big, BIG_LEN + 5, 10);
	check_range(e, 0, 512);
	assert_int_equal(obj_sum_range(e, 0, 512), 0);
	objcache_free(c);
}

/* Ones'-complement edge: a block summing to 0xffff and one summing to 0
 * must give the same final checksums as the direct sums. */
static void test_sum_edges(void **state)
{
	struct fx *f = *state;
	uint8_t buf[1024] = { 0 };
	struct stp_object add = { .name = "edge", .data = buf, .len = sizeof(buf) };
	struct objcache *base, *c;
	const struct stp_object *o;

	buf[0] = 0xff;                          /* block 0 of 512 sums to 0xffff */
	buf[1] = 0xff;                          /* block 1 of 512 is all zeros */
	base = build_ok(f);
	assert_int_equal(objcache_derive(base, &add, 1, NULL, 0, &f->a, &c, NULL, 0), 0);
	o = find(c, "edge");
	check_block_sums(o, STP_ARRAY_SIZE(all_bs));
	assert_int_equal(o->csums[0].sum[0], 0xffff);
	assert_int_equal(o->csums[0].sum[1], 0);
	check_range(o, 0, 512);
	check_range(o, 512, 512);
	check_range(o, 0, 1024);
	objcache_free(c);
	objcache_free(base);
}

/* Flags set on an unpublished version stick to it, and derived versions
 * copy them from their base; an unknown name is refused. */
static void test_set_flags(void **state)
{
	struct fx *f = *state;
	uint8_t buf[16] = { 0 };
	struct stp_object add = { .name = "boot/x.ipxe", .data = buf, .len = sizeof(buf) };
	struct objcache *base, *c, *d;

	base = build_ok(f);
	assert_int_equal(objcache_derive(base, &add, 1, NULL, 0, &f->a, &c, NULL, 0), 0);
	assert_int_equal(find(c, "boot/x.ipxe")->flags, 0);
	assert_int_equal(objcache_set_flags(c, "boot/x.ipxe", OBJ_F_BOOT_STAGE), 0);
	assert_int_equal(objcache_set_flags(c, "no/such", OBJ_F_BOOT_STAGE), -ENOENT);
	assert_int_equal(find(c, "boot/x.ipxe")->flags, OBJ_F_BOOT_STAGE);
	assert_int_equal(objcache_derive(c, NULL, 0, NULL, 0, &f->a, &d, NULL, 0), 0);
	assert_int_equal(find(d, "boot/x.ipxe")->flags, OBJ_F_BOOT_STAGE);
	for (unsigned i = 0; i < objcache_count(base); i++)
		assert_int_equal(objcache_at(base, i)->flags, 0);
	objcache_free(d);
	objcache_free(c);
	objcache_free(base);
}

/* A hand-made object: the glue or control may build one without a cache. */
static void test_sum_range_plain(void **state)
{
	uint8_t d[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	const uint16_t s4[3] = { 0x0103 + 0x0204, 0x0507 + 0x0608, 0x090a };
	struct stp_object o = { .name = "x", .data = d, .len = sizeof(d), .n_csums = 1,
				.csums = { { 4, s4 } } };

	(void)state;
	assert_int_equal(obj_sum_range(&o, 0, 4), s4[0]);
	assert_int_equal(obj_sum_range(&o, 8, 4), s4[2]);           /* clamped to the end */
	assert_int_equal(obj_sum_range(&o, 0, 10), (uint32_t)(s4[0] + s4[1] + s4[2]));
	assert_int_equal(obj_sum_range(&o, 2, 4), cksum_partial(d + 2, 4, 0));
	o.n_csums = 0;
	assert_int_equal(obj_sum_range(&o, 0, 4), cksum_partial(d, 4, 0));
}

/* ---- refusals ---- */

static void expect_refused(struct fx *f, uint64_t max, int want_rc, const char *want)
{
	struct objcache *c = (struct objcache *)(uintptr_t)0x1;   /* must stay untouched */
	char err[OBJCACHE_ERR_MAX] = "";
	int rc = objcache_build(f->root, max, all_bs, STP_ARRAY_SIZE(all_bs), &f->a, &c,
				err, sizeof(err));

	assert_int_equal(rc, want_rc);
	assert_ptr_equal(c, (struct objcache *)(uintptr_t)0x1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	assert_int_equal(f->t.live, 0);
}

static void test_max_bytes(void **state)
{
	struct fx *f = *state;
	char want[160];

	/* 9 files: 3 MB + small ones, plus about 1.5% for the sums. */
	snprintf(want, sizeof(want), "boot.root %s holds 3.0 MB (9 files", f->root);
	expect_refused(f, 1ull << 20, -EFBIG, want);
	expect_refused(f, 1ull << 20, -EFBIG, "over cache.max_mb 1");
	expect_refused(f, 3ull << 20, -EFBIG, "over cache.max_mb 3");
}

static void test_symlink_escape(void **state)
{
	struct fx *f = *state;

	put_link(f, "../../outside/secret", "a/escape");
	expect_refused(f, 64ull << 20, -EACCES, "symlink a/escape leads outside the root");
	del(f, "a/escape");
	put_link(f, "/etc/passwd", "abs");
	expect_refused(f, 64ull << 20, -EACCES, "symlink abs leads outside");
	del(f, "abs");
	/* A sibling whose name starts like the root is still outside. */
	mkdir_in(f->dir, "rootx");
	put_link(f, "../rootx", "sib");
	expect_refused(f, 64ull << 20, -EACCES, "symlink sib leads outside");
	del(f, "sib");
	put_link(f, "missing", "a/dangling");
	expect_refused(f, 64ull << 20, -ENOENT, "symlink a/dangling");
	del(f, "a/dangling");
	put_link(f, "..", "a/b/up");                    /* a/b/up/b/up/... */
	expect_refused(f, 64ull << 20, -ELOOP, "symlink loop at a/b/up");
	del(f, "a/b/up");
	objcache_free(build_ok(f));                     /* tree is clean again */
	assert_int_equal(f->t.live, 0);
}

static void test_bad_args(void **state)
{
	struct fx *f = *state;
	struct objcache *c = NULL;
	const uint16_t odd[] = { 1467 }, nine[] = { 2, 4, 6, 8, 10, 12, 14, 16, 18 };
	const uint16_t dup[] = { 512, 512, 1468 };
	char err[OBJCACHE_ERR_MAX];

	assert_int_equal(objcache_build(f->root, 1 << 30, odd, 1, &f->a, &c, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(objcache_build(f->root, 1 << 30, nine, 9, &f->a, &c, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(objcache_build("/nonexistent/boot", 1 << 30, NULL, 0, &f->a, &c,
					err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/boot"));
	assert_int_equal(objcache_build(f->root, 1 << 30, NULL, 0, NULL, &c, NULL, 0), -EINVAL);
	assert_null(c);
	assert_int_equal(objcache_build(f->root, 1 << 30, dup, 3, &f->a, &c, NULL, 0), 0);
	assert_int_equal(find(c, "big.bin")->n_csums, 2);
	check_block_sums(find(c, "big.bin"), 2);
	objcache_free(c);
	assert_int_equal(f->t.live, 0);
}

/* ---- derived versions ---- */

static const char script[] = "#!ipxe\nchain http://10.0.0.1/menu.ipxe\n";
static const char newkpxe[] = "not really undionly";

/* base + default.ipxe, undionly.kpxe replaced, "empty" removed. */
static struct objcache *derive_ok(struct fx *f, const struct objcache *base)
{
	char name_buf[] = "default.ipxe";
	struct stp_object add[2] = {
		{ .data = (const uint8_t *)script, .len = sizeof(script) - 1, .mtime = 1234 },
		{ .name = "undionly.kpxe", .data = (const uint8_t *)newkpxe,
		  .len = sizeof(newkpxe) - 1, .mtime = 99 },
	};
	const char *rm[] = { "empty", "not-there" };
	struct objcache *c = NULL;
	char err[OBJCACHE_ERR_MAX] = "";

	memcpy(add[0].name, name_buf, sizeof(name_buf));
	if (objcache_derive(base, add, 2, rm, 2, &f->a, &c, err, sizeof(err)))
		fail_msg("derive: %s", err);
	/* The caller's buffers are not referenced afterwards. */
	memset(add, 0, sizeof(add));
	return c;
}

static void check_derived(const struct fx *f, const struct objcache *base,
			  const struct objcache *d)
{
	const struct stp_object *o = find(d, "default.ipxe");

	assert_int_equal(objcache_count(d), objcache_count(base) + 1 - 1);
	assert_non_null(o);
	assert_int_equal(o->len, sizeof(script) - 1);
	assert_memory_equal(o->data, script, o->len);
	assert_int_equal(o->mtime, 1234);
	assert_int_equal(o->etag[0], '"');
	check_block_sums(o, STP_ARRAY_SIZE(all_bs));
	o = find(d, "undionly.kpxe");
	assert_memory_equal(o->data, newkpxe, o->len);
	assert_string_not_equal(o->etag, find(base, "undionly.kpxe")->etag);
	assert_null(find(d, "empty"));
	/* Unchanged objects share the base's bytes: same pointers, no copy. */
	assert_ptr_equal(find(d, "big.bin")->data, find(base, "big.bin")->data);
	assert_memory_equal(find(d, "big.bin")->data, f->big, BIG_LEN);
	for (unsigned i = 1; i < objcache_count(d); i++)
		assert_true(strcmp(objcache_at(d, i - 1)->name, objcache_at(d, i)->name) < 0);
}

static void check_base(const struct fx *f, const struct objcache *base)
{
	assert_int_equal(objcache_count(base), 9);
	assert_null(find(base, "default.ipxe"));
	assert_non_null(find(base, "empty"));
	assert_memory_equal(find(base, "undionly.kpxe")->data, f->kpxe, sizeof(f->kpxe));
	assert_memory_equal(find(base, "big.bin")->data, f->big, BIG_LEN);
}

static void test_derive_free_base_first(void **state)
{
	struct fx *f = *state;
	struct objcache *base = build_ok(f), *d = derive_ok(f, base), *d2;
	const char *rm[] = { "default.ipxe" };

	check_base(f, base);
	check_derived(f, base, d);
	objcache_free(base);
	/* d alone keeps the shared blobs: ASan would catch a use after free. */
	assert_memory_equal(find(d, "big.bin")->data, f->big, BIG_LEN);
	assert_memory_equal(find(d, "linkdir/c/deep.txt")->data, "deep\n", 5);
	/* A derivation of a derivation, removing the script again. */
	assert_int_equal(objcache_derive(d, NULL, 0, rm, 1, &f->a, &d2, NULL, 0), 0);
	assert_null(find(d2, "default.ipxe"));
	assert_int_equal(objcache_count(d2), 8);
	objcache_free(d);
	assert_memory_equal(find(d2, "big.bin")->data, f->big, BIG_LEN);
	objcache_free(d2);
	assert_int_equal(f->t.live, 0);
}

static void test_derive_free_derived_first(void **state)
{
	struct fx *f = *state;
	struct objcache *base = build_ok(f), *d = derive_ok(f, base);
	const long live = f->t.live;

	objcache_free(d);
	/* Only the version header and its two new blobs went. */
	assert_int_equal(f->t.live, live - 3);
	check_base(f, base);
	/* Deriving twice from one base gives independent versions. */
	d = derive_ok(f, base);
	struct objcache *d2 = derive_ok(f, base);

	check_derived(f, base, d);
	check_derived(f, base, d2);
	assert_ptr_not_equal(find(d, "default.ipxe")->data, find(d2, "default.ipxe")->data);
	objcache_free(d);
	objcache_free(base);
	assert_memory_equal(find(d2, "default.ipxe")->data, script, sizeof(script) - 1);
	assert_memory_equal(find(d2, "big.bin")->data, f->big, BIG_LEN);
	objcache_free(d2);
	assert_int_equal(f->t.live, 0);
}

static void test_derive_refused(void **state)
{
	struct fx *f = *state;
	struct objcache *base = build_ok(f);
	struct objcache *d = (struct objcache *)(uintptr_t)0x1;
	struct stp_object add[2] = { { .name = "x.ipxe", .data = (const uint8_t *)"a", .len = 1 },
				     { .name = "x.ipxe", .data = (const uint8_t *)"b", .len = 1 } };
	const char *rm[] = { "x.ipxe" };
	static const char *const bad[] = { "/x", "a//b", "a/../b", "", "a\\b", "./x", "x/" };
	char err[OBJCACHE_ERR_MAX];
	long live = f->t.live;

	assert_int_equal(objcache_derive(base, add, 2, NULL, 0, &f->a, &d, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "x.ipxe given twice"));
	assert_int_equal(objcache_derive(base, add, 1, rm, 1, &f->a, &d, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "both added and removed"));
	for (size_t i = 0; i < STP_ARRAY_SIZE(bad); i++) {
		snprintf(add[0].name, sizeof(add[0].name), "%s", bad[i]);
		assert_int_equal(objcache_derive(base, add, 1, NULL, 0, &f->a, &d, err,
						 sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "not canonical"));
	}
	memset(add[0].name, 'n', sizeof(add[0].name));      /* no NUL at all */
	assert_int_equal(objcache_derive(base, add, 1, NULL, 0, &f->a, &d, err, sizeof(err)),
			 -EINVAL);
	/* Over the base's budget. */
	static uint8_t huge[64u << 20];
	struct stp_object h = { .name = "huge", .data = huge, .len = sizeof(huge) };

	assert_int_equal(objcache_derive(base, &h, 1, NULL, 0, &f->a, &d, err, sizeof(err)),
			 -EFBIG);
	assert_non_null(strstr(err, "over cache.max_mb 64"));
	assert_ptr_equal(d, (struct objcache *)(uintptr_t)0x1);
	assert_int_equal(f->t.live, live);
	check_base(f, base);
	objcache_free(base);
	assert_int_equal(f->t.live, 0);
}

/* Reload keeps the blobs of unchanged files and reads changed ones. */
static void test_rebuild(void **state)
{
	struct fx *f = *state;
	struct objcache *c1 = build_ok(f), *c2 = NULL, *c3 = NULL, *d = derive_ok(f, c1);
	const uint16_t other_bs[] = { 512 };
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
	char path[256];
	long live = f->t.live;

	assert_int_equal(objcache_stats(c1)->reused, 0);
	assert_int_equal(objcache_rebuild(c1, f->root, 64ull << 20, all_bs,
					  STP_ARRAY_SIZE(all_bs), &f->a, &c2, NULL, 0), 0);
	assert_int_equal(f->t.live, live + 1);          /* just the version */
	assert_int_equal(objcache_stats(c2)->reused, 9);
	assert_ptr_equal(find(c2, "big.bin")->data, find(c1, "big.bin")->data);
	objcache_free(c2);

	/* Same size, new bytes, new mtime: read again. */
	put_file(f, "same1", "changed bytes!!", 15);
	snprintf(path, sizeof(path), "%s/same1", f->root);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_int_equal(objcache_rebuild(c1, f->root, 64ull << 20, all_bs,
					  STP_ARRAY_SIZE(all_bs), &f->a, &c2, NULL, 0), 0);
	assert_int_equal(objcache_stats(c2)->reused, 8);
	assert_memory_equal(find(c2, "same1")->data, "changed bytes!!", 15);
	assert_string_not_equal(find(c2, "same1")->etag, find(c1, "same1")->etag);
	assert_string_equal(find(c1, "same1")->etag, find(c1, "same2")->etag);
	/* From a derived version: published objects are never reused. */
	assert_int_equal(objcache_rebuild(d, f->root, 64ull << 20, all_bs,
					  STP_ARRAY_SIZE(all_bs), &f->a, &c3, NULL, 0), 0);
	assert_int_equal(objcache_stats(c3)->reused, 6);    /* not undionly, same1, empty */
	assert_memory_equal(find(c3, "undionly.kpxe")->data, f->kpxe, sizeof(f->kpxe));
	assert_null(find(c3, "default.ipxe"));
	objcache_free(c3);
	/* Other block sizes: nothing can be shared. */
	assert_int_equal(objcache_rebuild(c1, f->root, 64ull << 20, other_bs, 1, &f->a, &c3,
					  NULL, 0), 0);
	assert_int_equal(objcache_stats(c3)->reused, 0);
	check_block_sums(find(c3, "big.bin"), 1);
	objcache_free(c3);

	objcache_free(c1);
	objcache_free(d);
	assert_memory_equal(find(c2, "big.bin")->data, f->big, BIG_LEN);
	objcache_free(c2);
	assert_int_equal(f->t.live, 0);
	put_file(f, "same1", "identical bytes", 15);
}

/* An empty boot.root is a valid, empty version control can publish into. */
static void test_empty_root(void **state)
{
	struct fx *f = *state;
	struct stp_object add = { .name = "default.ipxe", .data = (const uint8_t *)script,
				  .len = sizeof(script) - 1 };
	struct objcache *c = NULL, *d = NULL;
	char path[128];

	snprintf(path, sizeof(path), "%s/emptyroot", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(objcache_build(path, 0, all_bs, 2, &f->a, &c, NULL, 0), 0);
	assert_int_equal(objcache_count(c), 0);
	assert_int_equal(objcache_bytes(c), 0);
	assert_null(find(c, "default.ipxe"));
	assert_null(objcache_at(c, 0));
	/* max_bytes 0 leaves no room for anything. */
	assert_int_equal(objcache_derive(c, &add, 1, NULL, 0, &f->a, &d, NULL, 0), -EFBIG);
	objcache_free(c);
	assert_int_equal(objcache_build(path, 1 << 20, all_bs, 2, &f->a, &c, NULL, 0), 0);
	assert_int_equal(objcache_derive(c, &add, 1, NULL, 0, &f->a, &d, NULL, 0), 0);
	assert_int_equal(objcache_count(d), 1);
	assert_non_null(find(d, "default.ipxe"));
	assert_int_equal(objcache_stats(d)->files, 0);
	assert_int_equal(objcache_stats(NULL)->files, 0);
	objcache_free(c);
	objcache_free(d);
	objcache_free(NULL);
	assert_int_equal(f->t.live, 0);
}

/* ---- allocation failures: every one is clean ---- */

static void test_alloc_failures(void **state)
{
	struct fx *f = *state;
	struct objcache *base = NULL, *c;
	long k;
	int rc;

	for (k = 0;; k++) {
		c = (struct objcache *)(uintptr_t)0x1;
		f->t.calls = 0;
		f->t.fail_at = k;
		rc = objcache_build(f->root, 64ull << 20, all_bs, STP_ARRAY_SIZE(all_bs), &f->a,
				    &c, NULL, 0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		assert_ptr_equal(c, (struct objcache *)(uintptr_t)0x1);
		assert_int_equal(f->t.live, 0);
	}
	assert_int_equal(k, 10);                /* 9 blobs and the version */
	base = c;
	for (k = 0;; k++) {
		long live = f->t.live;

		c = (struct objcache *)(uintptr_t)0x1;
		f->t.calls = 0;
		f->t.fail_at = k;
		struct stp_object add[2] = {
			{ .name = "default.ipxe", .data = (const uint8_t *)script, .len = 5 },
			{ .name = "big.bin", .data = (const uint8_t *)script, .len = 6 } };

		rc = objcache_derive(base, add, 2, NULL, 0, &f->a, &c, NULL, 0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		assert_ptr_equal(c, (struct objcache *)(uintptr_t)0x1);
		assert_int_equal(f->t.live, live);
	}
	assert_int_equal(k, 3);
	f->t.fail_at = -1;
	objcache_free(base);
	assert_memory_equal(find(c, "big.bin")->data, script, 6);
	objcache_free(c);
	assert_int_equal(f->t.live, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise_table),
		cmocka_unit_test(test_normalise_lengths),
		cmocka_unit_test(test_build_lookup),
		cmocka_unit_test(test_etag),
		cmocka_unit_test(test_block_sums),
		cmocka_unit_test(test_sum_range),
		cmocka_unit_test(test_sum_edges),
		cmocka_unit_test(test_sum_range_plain),
		cmocka_unit_test(test_max_bytes),
		cmocka_unit_test(test_symlink_escape),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_derive_free_base_first),
		cmocka_unit_test(test_derive_free_derived_first),
		cmocka_unit_test(test_derive_refused),
		cmocka_unit_test(test_rebuild),
		cmocka_unit_test(test_set_flags),
		cmocka_unit_test(test_empty_root),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
