/* SPDX-License-Identifier: BSD-3-Clause */
/* Boots (stage timestamps per host per boot) and the bounded boot event log. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_impl.h"

#define STAGE_NAME(e, s) s,
static const char *const stage_names[STAGE_N] = { STORE_STAGES(STAGE_NAME) };

/* A firmware or iPXE DHCP more than this after the latest boot's last
 * stage is a new boot even if that boot never got further. */
#define BOOT_STALE_MS (10 * 60 * 1000)

const char *store_stage_name(enum boot_stage st)
{
	return (unsigned)st < STAGE_N ? stage_names[st] : NULL;
}

int store_stage_from_name(const char *name)
{
	for (int i = 0; i < STAGE_N; i++)
		if (strcmp(stage_names[i], name) == 0)
			return i;
	return -1;
}

#define BOOT_COLS "id, mac, job_id, started, fw_dhcp, fw_tftp, ipxe_dhcp, script," \
		  " kernel, initrd, checkin, progress, done"

static void boot_row(sqlite3_stmt *st, void *out)
{
	struct boot *b = out;

	b->id = sqlite3_column_int64(st, 0);
	store_col(st, 1, b->mac, sizeof(b->mac));
	b->job_id = sqlite3_column_int64(st, 2);
	b->started = sqlite3_column_int64(st, 3);
	for (int i = 0; i < STAGE_N; i++)
		b->at[i] = sqlite3_column_int64(st, 4 + i); /* NULL reads as 0 */
}

int store_boot_latest(struct store *s, const char *mac, struct boot *out)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT " BOOT_COLS " FROM boots WHERE mac = ?1"
				" ORDER BY id DESC LIMIT 1", &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_TRANSIENT);
	return store_select_one(s, st, boot_row, out, "no boot of %s", mac);
}

/* The furthest stage @a b reached, or -1. */
static int boot_furthest(const struct boot *b)
{
	for (int i = STAGE_N - 1; i >= 0; i--)
		if (b->at[i])
			return i;
	return -1;
}

static int64_t boot_last_ts(const struct boot *b)
{
	int64_t t = b->started;

	for (int i = 0; i < STAGE_N; i++)
		if (b->at[i] > t)
			t = b->at[i];
	return t;
}

/* Does reaching @a st now begin a new boot after @a latest? */
static bool boot_is_new(const struct boot *latest, enum boot_stage st, int64_t now)
{
	if (st != STAGE_FW_DHCP && st != STAGE_IPXE_DHCP)
		return false;
	/* A reboot shows as a DHCP stage at or before where the latest boot
	 * already was (iPXE ROMs have no firmware stage of their own). */
	return boot_furthest(latest) >= (int)st || now - boot_last_ts(latest) > BOOT_STALE_MS;
}

static int boot_insert(struct store *s, const char *mac, enum boot_stage st,
		       int64_t job_id, int64_t now)
{
	char sql[160];
	sqlite3_stmt *st_;
	int rc;

	snprintf(sql, sizeof(sql), "INSERT INTO boots (mac, job_id, started, %s)"
		 " VALUES (?1, ?2, ?3, ?3)", stage_names[st]);
	if ((rc = store_prepare(s, sql, &st_)) < 0)
		return rc;
	sqlite3_bind_text(st_, 1, mac, -1, SQLITE_TRANSIENT);
	if (job_id > 0)
		sqlite3_bind_int64(st_, 2, job_id);
	sqlite3_bind_int64(st_, 3, now);
	return store_step_done(s, st_);
}

void store_set_stage_hook(struct store *s, store_stage_fn fn, void *ctx)
{
	s->stage_fn = fn;
	s->stage_ctx = ctx;
}

/* Tell the hook that @a b (as it was before this write) reached @a st
 * for the first time at @a now. */
static void stage_reached(struct store *s, const struct boot *b, enum boot_stage st,
			  int64_t now)
{
	int64_t prev = -1;

	if (s->stage_fn == NULL)
		return;
	for (int i = (int)st - 1; i >= 0; i--) {
		if (b->at[i]) {
			/* Clamped: events of one boot may be applied out of order. */
			prev = now > b->at[i] ? now - b->at[i] : 0;
			break;
		}
	}
	s->stage_fn(s->stage_ctx, st, prev, now > b->started ? now - b->started : 0);
}

int store_boot_stage(struct store *s, const char *mac, enum boot_stage st,
		     int64_t job_id, int64_t now)
{
	struct boot b;
	char sql[200];
	sqlite3_stmt *stmt;
	bool keep_latest = st == STAGE_PROGRESS || st == STAGE_DONE;
	int rc;

	if ((unsigned)st >= STAGE_N)
		return store_fail(s, -EINVAL, "bad stage %d", (int)st);
	rc = store_boot_latest(s, mac, &b);
	if (rc == -ENOENT || (rc == 0 && boot_is_new(&b, st, now))) {
		if ((rc = boot_insert(s, mac, st, job_id, now)) == 0) {
			memset(&b, 0, sizeof(b));
			b.started = now;
			stage_reached(s, &b, st, now);
		}
		return rc;
	}
	if (rc < 0)
		return rc;
	/* Retries (a re-fetched kernel) keep the first time; progress and
	 * done move with the job. */
	snprintf(sql, sizeof(sql), keep_latest
		 ? "UPDATE boots SET %s = ?2, job_id = COALESCE(?3, job_id) WHERE id = ?1"
		 : "UPDATE boots SET %s = COALESCE(%s, ?2), job_id = COALESCE(?3, job_id)"
		   " WHERE id = ?1", stage_names[st], stage_names[st]);
	if ((rc = store_prepare(s, sql, &stmt)) < 0)
		return rc;
	sqlite3_bind_int64(stmt, 1, b.id);
	sqlite3_bind_int64(stmt, 2, now);
	if (job_id > 0)
		sqlite3_bind_int64(stmt, 3, job_id);
	if ((rc = store_step_done(s, stmt)) == 0 && b.at[st] == 0)
		stage_reached(s, &b, st, now);
	return rc;
}

struct boot_walk {
	int (*fn)(void *ctx, const struct boot *b);
	void *ctx;
};

static int boot_visit(sqlite3_stmt *st, void *arg)
{
	const struct boot_walk *w = arg;
	struct boot b;

	boot_row(st, &b);
	return w->fn(w->ctx, &b);
}

int store_boot_each_latest(struct store *s, int (*fn)(void *ctx, const struct boot *b),
			   void *ctx)
{
	struct boot_walk w = { fn, ctx };
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT " BOOT_COLS " FROM boots WHERE id IN"
				" (SELECT max(id) FROM boots GROUP BY mac) ORDER BY mac", &st)) < 0)
		return rc;
	return store_select_each(s, st, boot_visit, &w);
}

void store_set_events_max(struct store *s, int64_t max)
{
	s->events_max = max > 0 ? max : 1;
}

int store_event_add(struct store *s, int64_t now, const char *mac, const char *ip,
		    const char *kind, const char *detail)
{
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	if ((rc = store_prepare(s, "INSERT INTO boot_events (ts, mac, ip, kind, detail)"
				" VALUES (?1, ?2, ?3, ?4, ?5)", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, mac ? mac : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, ip ? ip : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, detail ? detail : "", -1, SQLITE_TRANSIENT);
	if ((rc = store_step_done(s, st)) < 0)
		return rc;
	/* AUTOINCREMENT ids only grow, and one per row, so "the newest N"
	 * is a range delete on the primary key: O(log n) per event. */
	id = sqlite3_last_insert_rowid(s->db);
	if (id <= s->events_max)
		return 0;
	if ((rc = store_prepare(s, "DELETE FROM boot_events WHERE id <= ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id - s->events_max);
	return store_step_done(s, st);
}

int64_t store_event_count(struct store *s)
{
	sqlite3_stmt *st;
	int64_t n = -EIO;

	if (store_prepare(s, "SELECT count(*) FROM boot_events", &st) < 0)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	store_release(s, st);
	return n;
}
