/* SPDX-License-Identifier: BSD-3-Clause */
/* The store: open/close, transactions, validators, groups and images.
 * Hosts are in store_hosts.c, boots and events in store_boots.c. */
#include "store.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "store_impl.h"

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (schema_open(path, &s->db, err, errlen) < 0) {
		free(s);
		return -1;
	}
	s->events_max = STORE_EVENTS_MAX_DEFAULT;
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	for (unsigned i = 0; i < s->n_cached; i++) {
		sqlite3_finalize(s->cache[i].st);
		free(s->cache[i].sql);
	}
	sqlite3_close(s->db);
	free(s);
}

sqlite3 *store_db(struct store *s)
{
	return s->db;
}

const char *store_error(const struct store *s)
{
	return s->err;
}

static int store_vfail(struct store *s, int rc, const char *fmt, va_list ap)
{
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	return rc;
}

int store_fail(struct store *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = store_vfail(s, rc, fmt, ap);
	va_end(ap);
	return rc;
}

int store_sqlerr(struct store *s)
{
	int code = sqlite3_errcode(s->db) & 0xff;

	snprintf(s->err, sizeof(s->err), "database: %s", sqlite3_errmsg(s->db));
	return code == SQLITE_CONSTRAINT ? -EEXIST : -EIO;
}

int store_exec(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, sql, &st)) < 0)
		return rc;
	return store_step_done(s, st);
}

int store_begin(struct store *s)
{
	/* IMMEDIATE: take the write lock now, so a busy database fails the
	 * request up front rather than at its first write. */
	return store_exec(s, "BEGIN IMMEDIATE");
}

int store_commit(struct store *s)
{
	return store_exec(s, "COMMIT");
}

int store_savepoint(struct store *s, const char *name)
{
	char sql[80];

	snprintf(sql, sizeof(sql), "SAVEPOINT %s", name);
	return store_exec(s, sql);
}

int store_savepoint_release(struct store *s, const char *name)
{
	char sql[80];

	snprintf(sql, sizeof(sql), "RELEASE %s", name);
	return store_exec(s, sql);
}

void store_savepoint_undo(struct store *s, const char *name)
{
	char sql[80];

	snprintf(sql, sizeof(sql), "ROLLBACK TO %s", name);
	store_exec(s, sql);
	snprintf(sql, sizeof(sql), "RELEASE %s", name);
	store_exec(s, sql);
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		store_exec(s, "ROLLBACK");
}

/* FNV-1a: a cheap first comparison before strcmp(). */
static uint32_t sql_hash(const char *sql)
{
	uint32_t h = 2166136261u;

	for (; *sql; sql++)
		h = (h ^ (uint8_t)*sql) * 16777619u;
	return h;
}

/* Prepare @a sql into a free cache slot; *st NULL when there is none. */
static int cache_add(struct store *s, const char *sql, uint32_t h, sqlite3_stmt **st)
{
	struct store_stmt *e = &s->cache[s->n_cached];

	*st = NULL;
	if (s->n_cached == STORE_STMT_CACHE)
		return 0;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return store_sqlerr(s);
	}
	e->sql = strdup(sql);
	if (e->sql == NULL)
		return 0; /* *st stays: used once, finalized on release */
	e->hash = h;
	e->busy = true;
	e->st = *st;
	s->n_cached++;
	return 0;
}

int store_prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	uint32_t h = sql_hash(sql);
	bool in_use = false;
	int rc = 0;

	for (unsigned i = 0; i < s->n_cached; i++) {
		struct store_stmt *e = &s->cache[i];

		if (e->hash != h || strcmp(e->sql, sql) != 0)
			continue;
		if (!e->busy) {
			e->busy = true;
			*st = e->st;
			return 0;
		}
		in_use = true; /* a walk runs it already: nest with a copy */
		break;
	}
	if (!in_use && ((rc = cache_add(s, sql, h, st)) < 0 || *st != NULL))
		return rc;
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return store_sqlerr(s);
	}
	return 0;
}

void store_release(struct store *s, sqlite3_stmt *st)
{
	for (unsigned i = 0; i < s->n_cached; i++) {
		if (s->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			s->cache[i].busy = false;
			return;
		}
	}
	sqlite3_finalize(st);
}

int store_step_done(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	rc = rc == SQLITE_DONE ? 0 : store_sqlerr(s);
	store_release(s, st);
	return rc;
}

int store_select_one(struct store *s, sqlite3_stmt *st,
		     void (*row)(sqlite3_stmt *st, void *out), void *out,
		     const char *fmt, ...)
{
	int rc = sqlite3_step(st);
	va_list ap;

	if (rc == SQLITE_ROW) {
		row(st, out);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		va_start(ap, fmt);
		rc = store_vfail(s, -ENOENT, fmt, ap);
		va_end(ap);
	} else {
		rc = store_sqlerr(s);
	}
	store_release(s, st);
	return rc;
}

int store_select_each(struct store *s, sqlite3_stmt *st,
		      int (*visit)(sqlite3_stmt *st, void *ctx), void *ctx)
{
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if ((rc = visit(st, ctx)) != 0) {
			store_release(s, st);
			return rc;
		}
	}
	rc = rc == SQLITE_DONE ? n : store_sqlerr(s);
	store_release(s, st);
	return rc;
}

int store_delete_key(struct store *s, const char *sql, const char *key,
		     const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	if ((rc = store_prepare(s, sql, &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	if ((rc = store_step_done(s, st)) < 0)
		return rc;
	if (sqlite3_changes(s->db) != 0)
		return 0;
	va_start(ap, fmt);
	rc = store_vfail(s, -ENOENT, fmt, ap);
	va_end(ap);
	return rc;
}

void store_col(sqlite3_stmt *st, int i, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(buf, size, "%s", t ? (const char *)t : "");
}

void store_bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL || v[0] == '\0')
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* ---- validators ---- */

int store_check_name(struct store *s, const char *what, const char *v)
{
	size_t n = strlen(v);

	/* Names end up in iPXE menu labels and kernel command lines: keep
	 * them to characters neither splits nor expands. */
	if (n == 0 || n > STORE_NAME_MAX)
		return store_fail(s, -EINVAL, "%s \"%.64s\": must be 1 to %d characters",
				  what, v, STORE_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("._-", v[i]))
			return store_fail(s, -EINVAL,
					  "%s \"%.64s\": only letters, digits, '.', '_' and '-'",
					  what, v);
	return 0;
}

int store_check_path(struct store *s, const char *what, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > STORE_PATH_MAX || v[0] == '/')
		return store_fail(s, -EINVAL, "%s \"%.64s\": must be a relative path under boot.root",
				  what, v);
	if (strcmp(v, "..") == 0 || strncmp(v, "../", 3) == 0 || strstr(v, "/../") ||
	    (n >= 3 && strcmp(v + n - 3, "/..") == 0))
		return store_fail(s, -EINVAL, "%s \"%.64s\": must not contain \"..\"", what, v);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("._-/+", v[i]))
			return store_fail(s, -EINVAL, "%s \"%.64s\": unsafe character '%c'",
					  what, v, isprint((unsigned char)v[i]) ? v[i] : '?');
	return 0;
}

int store_check_args(struct store *s, const char *what, const char *v)
{
	size_t n = strlen(v);

	if (n > STORE_ARGS_MAX)
		return store_fail(s, -EINVAL, "%s: longer than %d characters", what, STORE_ARGS_MAX);
	/* One script line: no newline or other control byte may end it. */
	for (size_t i = 0; i < n; i++)
		if (!isprint((unsigned char)v[i]))
			return store_fail(s, -EINVAL, "%s \"%.64s\": contains a control character",
					  what, v);
	return 0;
}

int store_norm_mac(struct store *s, const char *in, char out[STP_MAC_STRLEN])
{
	struct mac_addr m;

	if (in == NULL || !mac_parse(in, &m))
		return store_fail(s, -EINVAL, "bad MAC \"%.40s\"", in ? in : "");
	mac_format(&m, out);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

/* ---- groups ---- */

int store_group_add(struct store *s, const struct group *g, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_check_name(s, "group", g->name)) < 0 ||
	    (rc = store_check_args(s, "kernel_args", g->kernel_args)) < 0)
		return rc;
	if ((rc = store_prepare(s, "INSERT INTO groups (name, kernel_args, created)"
				" VALUES (?1, ?2, ?3)", &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, g->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, g->kernel_args, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now);
	rc = store_step_done(s, st);
	if (rc == -EEXIST)
		return store_fail(s, rc, "group \"%s\" already exists", g->name);
	return rc;
}

static void group_row(sqlite3_stmt *st, void *out)
{
	struct group *g = out;

	store_col(st, 0, g->name, sizeof(g->name));
	store_col(st, 1, g->kernel_args, sizeof(g->kernel_args));
}

int store_group_get(struct store *s, const char *name, struct group *out)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT name, kernel_args FROM groups WHERE name = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	return store_select_one(s, st, group_row, out, "no group \"%.64s\"", name);
}

int store_group_delete(struct store *s, const char *name)
{
	return store_delete_key(s, "DELETE FROM groups WHERE name = ?1", name,
				"no group \"%.64s\"", name);
}

struct group_walk {
	int (*fn)(void *ctx, const struct group *g);
	void *ctx;
};

static int group_visit(sqlite3_stmt *st, void *arg)
{
	const struct group_walk *w = arg;
	struct group g;

	group_row(st, &g);
	return w->fn(w->ctx, &g);
}

int store_group_each(struct store *s, int (*fn)(void *ctx, const struct group *g), void *ctx)
{
	struct group_walk w = { fn, ctx };
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT name, kernel_args FROM groups ORDER BY name", &st)) < 0)
		return rc;
	return store_select_each(s, st, group_visit, &w);
}

/* ---- images ---- */

int store_image_add(struct store *s, const struct image *im, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_check_name(s, "image", im->name)) < 0 ||
	    (rc = store_check_path(s, "kernel", im->kernel)) < 0 ||
	    (rc = store_check_path(s, "initrd", im->initrd)) < 0 ||
	    (rc = store_check_args(s, "kernel_args", im->kernel_args)) < 0)
		return rc;
	if ((rc = store_prepare(s, "INSERT INTO images (name, kernel, initrd, kernel_args, created)"
				" VALUES (?1, ?2, ?3, ?4, ?5)", &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, im->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, im->kernel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, im->initrd, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, im->kernel_args, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, now);
	rc = store_step_done(s, st);
	if (rc == -EEXIST)
		return store_fail(s, rc, "image \"%s\" already exists", im->name);
	return rc;
}

static void image_row(sqlite3_stmt *st, void *out)
{
	struct image *im = out;

	store_col(st, 0, im->name, sizeof(im->name));
	store_col(st, 1, im->kernel, sizeof(im->kernel));
	store_col(st, 2, im->initrd, sizeof(im->initrd));
	store_col(st, 3, im->kernel_args, sizeof(im->kernel_args));
}

int store_image_get(struct store *s, const char *name, struct image *out)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT name, kernel, initrd, kernel_args FROM images"
				" WHERE name = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	return store_select_one(s, st, image_row, out, "no image \"%.64s\"", name);
}

int store_image_delete(struct store *s, const char *name)
{
	return store_delete_key(s, "DELETE FROM images WHERE name = ?1", name,
				"no image \"%.64s\"", name);
}

struct image_walk {
	int (*fn)(void *ctx, const struct image *im);
	void *ctx;
};

static int image_visit(sqlite3_stmt *st, void *arg)
{
	const struct image_walk *w = arg;
	struct image im;

	image_row(st, &im);
	return w->fn(w->ctx, &im);
}

int store_image_each(struct store *s, int (*fn)(void *ctx, const struct image *im), void *ctx)
{
	struct image_walk w = { fn, ctx };
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT name, kernel, initrd, kernel_args FROM images"
				" ORDER BY name", &st)) < 0)
		return rc;
	return store_select_each(s, st, image_visit, &w);
}
