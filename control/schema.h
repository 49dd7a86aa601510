/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file schema.h
 * The one SQLite database of the control plane (control.database) and its
 * versioned schema. Every table of every control module is created by one
 * shared, append-only list of migrations, so a database written by any
 * version of stampede opens in any later one: PRAGMA user_version counts
 * the migrations applied. Version 1 is the leases table (lease_store.c);
 * 2 onwards are hosts, groups, images, jobs, boots and boot events
 * (store.c).
 */
#ifndef STP_SCHEMA_H
#define STP_SCHEMA_H

#include <stddef.h>
#include <sqlite3.h>

/** The schema version this build migrates databases to. */
int schema_latest(void);

/**
 * Open (creating the file and its parent directories when needed) the
 * database at @a path in WAL mode with foreign keys on, and apply every
 * missing migration, each in its own transaction.
 * @param db  receives the handle; the caller closes it with sqlite3_close()
 * @return 0, or -1 with "PATH: reason" in @a err (nothing is left open)
 */
int schema_open(const char *path, sqlite3 **db, char *err, size_t errlen);

/** Apply the missing migrations to an open @a db. 0 or -1 with @a err. */
int schema_migrate(sqlite3 *db, char *err, size_t errlen);

#endif
