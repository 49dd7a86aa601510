/* SPDX-License-Identifier: BSD-3-Clause */
/* The host registry: CRUD, DHCP sightings, CSV import. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store.h"
#include "store_impl.h"

#define HOST_COLS "mac, name, group_name, image, kernel_args, arch, last_ip, discovered," \
		  " created, updated"

static void host_row(sqlite3_stmt *st, void *out)
{
	struct host *h = out;

	store_col(st, 0, h->mac, sizeof(h->mac));
	store_col(st, 1, h->name, sizeof(h->name));
	store_col(st, 2, h->group, sizeof(h->group));
	store_col(st, 3, h->image, sizeof(h->image));
	store_col(st, 4, h->kernel_args, sizeof(h->kernel_args));
	h->arch = sqlite3_column_int(st, 5);
	store_col(st, 6, h->last_ip, sizeof(h->last_ip));
	h->discovered = sqlite3_column_int(st, 7) != 0;
	h->created = sqlite3_column_int64(st, 8);
	h->updated = sqlite3_column_int64(st, 9);
}

int store_host_get(struct store *s, const char *key, struct host *out)
{
	sqlite3_stmt *st;
	char mac[STP_MAC_STRLEN];
	int rc;

	/* A key that parses as a MAC is one; anything else is a name. */
	if (store_norm_mac(s, key, mac) < 0)
		snprintf(mac, sizeof(mac), "-");
	if ((rc = store_prepare(s, "SELECT " HOST_COLS " FROM hosts WHERE mac = ?1 OR name = ?2",
				&st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	return store_select_one(s, st, host_row, out, "no host \"%.64s\"", key);
}

/* Check the fields a caller sets and that group and image exist, so the
 * error names the value rather than a foreign key constraint. */
static int host_check(struct store *s, const struct host *h)
{
	struct group g;
	struct image im;
	int rc;

	if ((rc = store_check_name(s, "name", h->name)) < 0 ||
	    (rc = store_check_args(s, "kernel_args", h->kernel_args)) < 0)
		return rc;
	if ((h->group[0] && (rc = store_check_name(s, "group", h->group)) < 0) ||
	    (h->image[0] && (rc = store_check_name(s, "image", h->image)) < 0))
		return rc;
	if (h->group[0] && (rc = store_group_get(s, h->group, &g)) < 0)
		return rc;
	if (h->image[0] && (rc = store_image_get(s, h->image, &im)) < 0)
		return rc;
	return 0;
}

static int name_taken(struct store *s, const char *name, const char *mac)
{
	struct host other;
	int rc = store_host_get(s, name, &other);

	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (strcmp(other.mac, mac) != 0)
		return store_fail(s, -EEXIST, "host name \"%s\" is already used by %s",
				  name, other.mac);
	return 0;
}

static int host_write(struct store *s, const struct host *h, int64_t now, const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, sql, &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, h->mac, -1, SQLITE_TRANSIENT);
	store_bind_opt(st, 2, h->name);
	store_bind_opt(st, 3, h->group);
	store_bind_opt(st, 4, h->image);
	sqlite3_bind_text(st, 5, h->kernel_args, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, now);
	return store_step_done(s, st);
}

int store_host_add(struct store *s, const struct host *h, int64_t now)
{
	struct host old;
	int rc;

	if ((rc = host_check(s, h)) < 0 || (rc = name_taken(s, h->name, h->mac)) < 0)
		return rc;
	rc = store_host_get(s, h->mac, &old);
	if (rc == 0 && !old.discovered)
		return store_fail(s, -EEXIST, "host %s already exists (\"%s\")", h->mac, old.name);
	if (rc == 0)
		return host_write(s, h, now,
				  "UPDATE hosts SET name = ?2, group_name = ?3, image = ?4,"
				  " kernel_args = ?5, discovered = 0, updated = ?6 WHERE mac = ?1");
	if (rc != -ENOENT)
		return rc;
	return host_write(s, h, now,
			  "INSERT INTO hosts (mac, name, group_name, image, kernel_args,"
			  " created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
}

int store_host_update(struct store *s, const struct host *h, int64_t now)
{
	struct host old;
	int rc;

	if ((rc = store_host_get(s, h->mac, &old)) < 0)
		return rc;
	if ((rc = host_check(s, h)) < 0 || (rc = name_taken(s, h->name, h->mac)) < 0)
		return rc;
	return host_write(s, h, now,
			  "UPDATE hosts SET name = ?2, group_name = ?3, image = ?4,"
			  " kernel_args = ?5, discovered = 0, updated = ?6 WHERE mac = ?1");
}

int store_host_delete(struct store *s, const char *mac)
{
	return store_delete_key(s, "DELETE FROM hosts WHERE mac = ?1", mac, "no host \"%s\"", mac);
}

static int count_hosts(sqlite3_stmt *st, void *ctx)
{
	int64_t **out = ctx;

	*out[sqlite3_column_int(st, 0) ? 1 : 0] = sqlite3_column_int64(st, 1);
	return 0;
}

int store_host_counts(struct store *s, int64_t *registered, int64_t *discovered)
{
	int64_t *out[2] = { registered, discovered };
	sqlite3_stmt *st;
	int rc;

	*registered = *discovered = 0;
	if ((rc = store_prepare(s, "SELECT discovered, count(*) FROM hosts GROUP BY discovered",
				&st)) < 0)
		return rc;
	rc = store_select_each(s, st, count_hosts, out);
	return rc < 0 ? rc : 0;
}

int store_host_seen(struct store *s, const char *mac, const char *ip, int arch, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	/* Unknown MACs that boot become discovered hosts, nameless until
	 * someone registers them; a known host only learns. */
	if ((rc = store_prepare(s, "INSERT INTO hosts (mac, arch, last_ip, discovered, created,"
				" updated) VALUES (?1, ?2, ?3, 1, ?4, ?4)"
				" ON CONFLICT(mac) DO UPDATE SET"
				" arch = CASE WHEN ?2 >= 0 THEN ?2 ELSE arch END,"
				" last_ip = CASE WHEN ?3 <> '' THEN ?3 ELSE last_ip END,"
				" updated = ?4", &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, arch);
	sqlite3_bind_text(st, 3, ip ? ip : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	return store_step_done(s, st);
}

static void mac_row(sqlite3_stmt *st, void *out)
{
	store_col(st, 0, out, STP_MAC_STRLEN);
}

int store_host_by_ip(struct store *s, const char *ip, char mac[STP_MAC_STRLEN])
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT mac FROM hosts WHERE last_ip = ?1"
				" ORDER BY updated DESC LIMIT 1", &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, ip, -1, SQLITE_TRANSIENT);
	return store_select_one(s, st, mac_row, mac, "no host at %s", ip);
}

int store_host_set_inventory(struct store *s, const char *mac, const char *json, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "UPDATE hosts SET inventory = ?2, updated = ?3 WHERE mac = ?1",
				&st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now);
	return store_step_done(s, st);
}

struct host_walk {
	int (*fn)(void *ctx, const struct host *h);
	void *ctx;
};

static int host_visit(sqlite3_stmt *st, void *arg)
{
	const struct host_walk *w = arg;
	struct host h;

	host_row(st, &h);
	return w->fn(w->ctx, &h);
}

int store_host_inventory(struct store *s, const char *mac, char **json)
{
	sqlite3_stmt *st;
	int rc;

	*json = NULL;
	if ((rc = store_prepare(s, "SELECT inventory FROM hosts WHERE mac = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		*json = strdup(t ? (const char *)t : "{}");
		rc = *json ? 0 : store_fail(s, -ENOMEM, "out of memory");
	} else {
		rc = rc == SQLITE_DONE ? store_fail(s, -ENOENT, "no host \"%s\"", mac)
				       : store_sqlerr(s);
	}
	store_release(s, st);
	return rc;
}

int store_host_each(struct store *s, const char *group,
		    int (*fn)(void *ctx, const struct host *h), void *ctx)
{
	struct host_walk w = { fn, ctx };
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, group ? "SELECT " HOST_COLS " FROM hosts WHERE group_name = ?1"
					   " ORDER BY mac"
					 : "SELECT " HOST_COLS " FROM hosts ORDER BY mac", &st)) < 0)
		return rc;
	if (group)
		sqlite3_bind_text(st, 1, group, -1, SQLITE_TRANSIENT);
	return store_select_each(s, st, host_visit, &w);
}

/* ---- CSV import ---- */

/* Split @a line in place at commas into at most @a max trimmed fields. */
static int csv_split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *comma = strchr(p, ',');
		char *end;

		if (n == max)
			return -1;
		if (comma)
			*comma = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		f[n++] = p;
		if (!comma)
			return n;
		p = comma + 1;
	}
}

static int import_line(struct store *s, char *line, int lineno, int64_t now)
{
	char *f[4] = { NULL, NULL, NULL, NULL };
	char reason[STORE_ERR_MAX];
	struct host h;
	int n = csv_split(line, f, 4), rc;

	if (n < 2)
		return store_fail(s, -EINVAL, "line %d: expected mac,name[,group[,image]]", lineno);
	memset(&h, 0, sizeof(h));
	h.arch = -1;
	if ((rc = store_norm_mac(s, f[0], h.mac)) < 0)
		goto err_line;
	if (strlen(f[1]) > STORE_NAME_MAX || (n > 2 && strlen(f[2]) > STORE_NAME_MAX) ||
	    (n > 3 && strlen(f[3]) > STORE_NAME_MAX)) {
		rc = store_fail(s, -EINVAL, "a field is longer than %d characters", STORE_NAME_MAX);
		goto err_line;
	}
	snprintf(h.name, sizeof(h.name), "%s", f[1]);
	snprintf(h.group, sizeof(h.group), "%s", n > 2 ? f[2] : "");
	snprintf(h.image, sizeof(h.image), "%s", n > 3 ? f[3] : "");
	if ((rc = store_host_add(s, &h, now)) == 0)
		return 0;
err_line:
	snprintf(reason, sizeof(reason), "%s", s->err);
	return store_fail(s, rc, "line %d: %s", lineno, reason);
}

int store_host_import_csv(struct store *s, const char *csv, size_t len, int64_t now)
{
	char *copy = malloc(len + 1), *line, *save = NULL;
	int rc, n = 0, lineno = 0;

	if (copy == NULL)
		return store_fail(s, -ENOMEM, "out of memory");
	memcpy(copy, csv, len);
	copy[len] = '\0';
	if (memchr(copy, '\0', len)) {
		free(copy);
		return store_fail(s, -EINVAL, "the CSV contains a NUL byte");
	}
	/* A savepoint nests inside a caller's transaction and stands alone
	 * outside one: all or nothing either way. */
	if ((rc = store_savepoint(s, "import")) < 0)
		goto out;
	/* strtok_r would merge blank lines and shift the numbers. */
	for (line = copy; line; line = save) {
		char *p;

		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		for (p = line; *p == ' ' || *p == '\t' || *p == '\r'; p++)
			;
		if (*p == '\0' || *p == '#' || (lineno == 1 && strncasecmp(p, "mac", 3) == 0 &&
						 strchr(p, ',')))
			continue;
		if ((rc = import_line(s, line, lineno, now)) < 0)
			break;
		n++;
	}
	if (rc < 0) {
		store_savepoint_undo(s, "import");
		goto out;
	}
	rc = store_savepoint_release(s, "import");
	rc = rc < 0 ? rc : n;
out:
	free(copy);
	return rc;
}
