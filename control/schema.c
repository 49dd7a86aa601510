/* SPDX-License-Identifier: BSD-3-Clause */
#include "schema.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Schema versions, applied in order; PRAGMA user_version is the number
 * applied. Never edit a shipped step: append a new one. Times are unix
 * milliseconds except leases.expires/updated (seconds, as shipped in v1). */
static const char *const migrations[] = {
	/* 1: DHCP leases (lease_store.c). */
	"CREATE TABLE leases ("
	" mac TEXT PRIMARY KEY,"
	" ip INTEGER NOT NULL UNIQUE,"
	" expires INTEGER NOT NULL,"
	" state INTEGER NOT NULL,"
	" updated INTEGER NOT NULL DEFAULT (strftime('%s','now')))",
	/* 2: the host registry, jobs and boot tracking (store.c). Hosts name
	 * their group and image; renaming one is not supported, deleting one
	 * unsets it on the hosts (ON DELETE SET NULL). */
	"CREATE TABLE groups ("
	" name TEXT PRIMARY KEY,"
	" kernel_args TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL);"
	"CREATE TABLE images ("
	" name TEXT PRIMARY KEY,"
	" kernel TEXT NOT NULL,"
	" initrd TEXT NOT NULL,"
	" kernel_args TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL);"
	"CREATE TABLE hosts ("
	" mac TEXT PRIMARY KEY,"
	" name TEXT UNIQUE,"
	" group_name TEXT REFERENCES groups(name) ON DELETE SET NULL,"
	" image TEXT REFERENCES images(name) ON DELETE SET NULL,"
	" kernel_args TEXT NOT NULL DEFAULT '',"
	" arch INTEGER NOT NULL DEFAULT -1,"
	" last_ip TEXT NOT NULL DEFAULT '',"
	" discovered INTEGER NOT NULL DEFAULT 0,"
	" inventory TEXT NOT NULL DEFAULT '{}',"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL);"
	"CREATE INDEX hosts_group ON hosts(group_name);"
	"CREATE INDEX hosts_ip ON hosts(last_ip);"
	"CREATE TABLE group_jobs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" group_name TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" image TEXT,"
	" created INTEGER NOT NULL);"
	/* Jobs outlive their host (history), so no foreign key on mac. */
	"CREATE TABLE jobs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" mac TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" image TEXT,"
	" state TEXT NOT NULL,"
	" percent INTEGER NOT NULL DEFAULT 0,"
	" bytes INTEGER NOT NULL DEFAULT 0,"
	" rate INTEGER NOT NULL DEFAULT 0,"
	" message TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL,"
	" started INTEGER,"
	" updated INTEGER NOT NULL,"
	" finished INTEGER,"
	" group_job INTEGER REFERENCES group_jobs(id));"
	/* The one-active-job rule, kept by the database itself. */
	"CREATE UNIQUE INDEX jobs_one_active ON jobs(mac)"
	" WHERE state IN ('queued','booting','running');"
	"CREATE INDEX jobs_state ON jobs(state);"
	"CREATE TABLE boots ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" mac TEXT NOT NULL,"
	" job_id INTEGER,"
	" started INTEGER NOT NULL,"
	" fw_dhcp INTEGER, fw_tftp INTEGER, ipxe_dhcp INTEGER, script INTEGER,"
	" kernel INTEGER, initrd INTEGER, checkin INTEGER, progress INTEGER,"
	" done INTEGER);"
	"CREATE INDEX boots_mac ON boots(mac, id);"
	"CREATE TABLE boot_events ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" ts INTEGER NOT NULL,"
	" mac TEXT NOT NULL DEFAULT '',"
	" ip TEXT NOT NULL DEFAULT '',"
	" kind TEXT NOT NULL,"
	" detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX boot_events_mac ON boot_events(mac, id);",
	/* 3: job slots (jobs_slots.c). A job may wait for a slot, and waiting
	 * is live: the one-live-job index gains the state. slot_at: when the
	 * running slot lease of a queued or booting job began; enqueued: the
	 * queue's order among waiting jobs (creation, or a lease's end). */
	"ALTER TABLE jobs ADD COLUMN slot_at INTEGER;"
	"ALTER TABLE jobs ADD COLUMN enqueued INTEGER NOT NULL DEFAULT 0;"
	"UPDATE jobs SET enqueued = created,"
	" slot_at = CASE WHEN state IN ('queued','booting') THEN updated END;"
	"DROP INDEX jobs_one_active;"
	"CREATE UNIQUE INDEX jobs_one_active ON jobs(mac)"
	" WHERE state IN ('waiting','queued','booting','running');"
	"CREATE INDEX jobs_queue ON jobs(enqueued, id) WHERE state = 'waiting';",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int schema_latest(void)
{
	return N_MIGRATIONS;
}

static int mkdir_parents(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int schema_migrate(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > N_MIGRATIONS) {
		snprintf(err, errlen, "schema version %d is newer than this stampede knows (%d)",
			 version, N_MIGRATIONS);
		return -1;
	}
	for (int v = version; v < N_MIGRATIONS; v++) {
		char bump[64];

		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
		/* DDL and the version bump commit together: a crash between
		 * migrations leaves a database at a well-defined version. */
		if (exec_sql(db, "BEGIN IMMEDIATE", err, errlen) ||
		    exec_sql(db, migrations[v], err, errlen) ||
		    exec_sql(db, bump, err, errlen) || exec_sql(db, "COMMIT", err, errlen)) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

int schema_open(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	char why[256] = "";
	sqlite3 *db = NULL;
	int rc = mkdir_parents(path);

	*out = NULL;
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot create its directory: %s", path, strerror(-rc));
		return -1;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 2000);
	/* WAL + NORMAL: a commit survives the process dying (kill -9); only a
	 * power cut may lose the last transactions. */
	if (exec_sql(db, "PRAGMA journal_mode = WAL", why, sizeof(why)) ||
	    exec_sql(db, "PRAGMA synchronous = NORMAL", why, sizeof(why)) ||
	    exec_sql(db, "PRAGMA foreign_keys = ON", why, sizeof(why)) ||
	    schema_migrate(db, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", path, why);
		sqlite3_close(db);
		return -1;
	}
	*out = db;
	return 0;
}
