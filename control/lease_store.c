/* SPDX-License-Identifier: BSD-3-Clause */
#include "lease_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schema.h"

/* Every statement prepared once at open and kept (reset and rebound per
 * use): a storm's ACKs run them hundreds of times a second. */
struct lease_store {
	sqlite3 *db;
	sqlite3_stmt *del_ip;
	sqlite3_stmt *upsert;
	sqlite3_stmt *begin, *commit;
	char err[256];
};

/*
 * The write lock is shared with control's registry transactions on the
 * other connection. SQLite's own busy handler sleeps longer and longer
 * (up to 100 ms a try), so a lease commit, which the DHCP lcore's held
 * ACKs wait for, would come tens of milliseconds after the lock is free:
 * look every 250 us instead, for the same 2 s at most.
 */
#define BUSY_POLL_NS 250000
#define BUSY_TRIES (2000000000 / BUSY_POLL_NS)

static int busy_poll(void *ctx, int tries)
{
	struct timespec ts = { 0, BUSY_POLL_NS };

	(void)ctx;
	if (tries >= BUSY_TRIES)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

static int prepare_one(struct lease_store *ls, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v3(ls->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL)
	       == SQLITE_OK ? 0 : -1;
}

static int prepare(struct lease_store *ls)
{
	if (prepare_one(ls, "DELETE FROM leases WHERE ip = ?1 AND mac <> ?2", &ls->del_ip) ||
	    prepare_one(ls, "INSERT INTO leases (mac, ip, expires, state, updated)"
			" VALUES (?1, ?2, ?3, ?4, strftime('%s','now'))"
			" ON CONFLICT(mac) DO UPDATE SET ip = excluded.ip,"
			" expires = excluded.expires, state = excluded.state,"
			" updated = excluded.updated", &ls->upsert) ||
	    prepare_one(ls, "BEGIN IMMEDIATE", &ls->begin) ||
	    prepare_one(ls, "COMMIT", &ls->commit)) {
		snprintf(ls->err, sizeof(ls->err), "%s", sqlite3_errmsg(ls->db));
		return -1;
	}
	return 0;
}

struct lease_store *lease_store_open(const char *path, char *err, size_t errlen)
{
	struct lease_store *ls = calloc(1, sizeof(*ls));

	if (ls == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (schema_open(path, &ls->db, err, errlen) < 0)
		goto err_free;
	sqlite3_busy_handler(ls->db, busy_poll, NULL);
	if (prepare(ls)) {
		snprintf(err, errlen, "%s: %s", path, ls->err);
		goto err_close;
	}
	return ls;

err_close:
	sqlite3_close(ls->db);
err_free:
	free(ls);
	return NULL;
}

void lease_store_close(struct lease_store *ls)
{
	if (ls == NULL)
		return;
	sqlite3_finalize(ls->del_ip);
	sqlite3_finalize(ls->upsert);
	sqlite3_finalize(ls->begin);
	sqlite3_finalize(ls->commit);
	sqlite3_close(ls->db);
	free(ls);
}

int lease_store_load(struct lease_store *ls,
		     int (*fn)(void *ctx, const struct lease_row *row), void *ctx,
		     char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	if (sqlite3_prepare_v2(ls->db, "SELECT mac, ip, expires, state FROM leases",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(ls->db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct lease_row row;
		const char *mac = (const char *)sqlite3_column_text(st, 0);
		sqlite3_int64 ip = sqlite3_column_int64(st, 1);

		if (mac == NULL || !mac_parse(mac, &row.mac) || ip <= 0 || ip > 0xffffffffLL)
			continue; /* a row we cannot read cannot hold an address */
		row.ip = (uint32_t)ip;
		row.expires = (uint64_t)sqlite3_column_int64(st, 2);
		row.state = (enum lease_state)sqlite3_column_int(st, 3);
		if (fn(ctx, &row) != 0)
			break;
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(ls->db));
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

static int step_reset(struct lease_store *ls, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		snprintf(ls->err, sizeof(ls->err), "%s", sqlite3_errmsg(ls->db));
		return -1;
	}
	return 0;
}

int lease_store_begin(struct lease_store *ls)
{
	return step_reset(ls, ls->begin);
}

void lease_store_rollback(struct lease_store *ls)
{
	/* Do not leave the connection in a transaction the next batch would
	 * fail to begin. */
	if (!sqlite3_get_autocommit(ls->db))
		sqlite3_exec(ls->db, "ROLLBACK", NULL, NULL, NULL);
}

int lease_store_commit(struct lease_store *ls)
{
	if (step_reset(ls, ls->commit) == 0)
		return 0;
	lease_store_rollback(ls);
	return -1;
}

int lease_store_put(struct lease_store *ls, const struct lease_row *row)
{
	char mac[STP_MAC_STRLEN];

	mac_format(&row->mac, mac);
	sqlite3_bind_int64(ls->del_ip, 1, row->ip);
	sqlite3_bind_text(ls->del_ip, 2, mac, -1, SQLITE_TRANSIENT);
	if (step_reset(ls, ls->del_ip))
		return -1;
	sqlite3_bind_text(ls->upsert, 1, mac, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(ls->upsert, 2, row->ip);
	sqlite3_bind_int64(ls->upsert, 3, (sqlite3_int64)row->expires);
	sqlite3_bind_int(ls->upsert, 4, (int)row->state);
	return step_reset(ls, ls->upsert);
}

const char *lease_store_error(const struct lease_store *ls)
{
	return ls->err;
}
