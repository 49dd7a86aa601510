/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by store*.c and jobs.c; not for other modules. */
#ifndef STP_STORE_IMPL_H
#define STP_STORE_IMPL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * Prepared statements, kept for the life of the connection: the control
 * thread runs the same few statements for every event of a boot storm,
 * and preparing one costs more than running it.
 */
#define STORE_STMT_CACHE 96

struct store_stmt {
	char *sql;          /* owned copy: the key */
	uint32_t hash;
	bool busy;          /* handed out, not yet released */
	sqlite3_stmt *st;
};

struct store {
	sqlite3 *db;
	int64_t events_max;
	/* Told when a boot first reaches a stage (store_set_stage_hook()). */
	store_stage_fn stage_fn;
	void *stage_ctx;
	/* Job slots (jobs_slots.c, jobs_slots_set()): the limit (0: none),
	 * the lease, and who is told of the scripts they change. */
	uint32_t slots_max;
	int64_t slot_lease_ms;
	void (*slot_fn)(void *ctx, const char *mac);
	void *slot_ctx;
	char err[STORE_ERR_MAX];
	struct store_stmt cache[STORE_STMT_CACHE];
	unsigned n_cached;
};

/**
 * A statement for @a sql: the cached one (reset, no bindings) when it is
 * not in use, else a new one (cached while there is room). Give it back
 * with store_release(), or with the helpers below that release it.
 * On failure *st is NULL and the SQLite error returned.
 */
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **st);
/** Give back a statement from store_prepare(): reset a cached one, finalize another. */
void store_release(struct store *s, sqlite3_stmt *st);
/** Run @a sql (one statement, no result rows) through the cache. */
int store_exec(struct store *s, const char *sql);
/** Step a statement that returns no row, release it; 0 or an error. */
int store_step_done(struct store *s, sqlite3_stmt *st);
/**
 * Step @a st for the one row it selects and read it with @a row into
 * @a out. Releases @a st.
 * @return 0; -ENOENT with the reason @a fmt (printf style) when it selects
 *         no row; or the SQLite error
 */
int store_select_one(struct store *s, sqlite3_stmt *st,
		     void (*row)(sqlite3_stmt *st, void *out), void *out,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/**
 * Step @a st through the rows it selects, calling @a visit on each; a
 * non-zero return of @a visit stops the walk with that value. Releases @a st.
 * @return the number of rows visited, or the SQLite error
 */
int store_select_each(struct store *s, sqlite3_stmt *st,
		      int (*visit)(sqlite3_stmt *st, void *ctx), void *ctx);
/**
 * Run the DELETE @a sql with @a key bound to ?1.
 * @return 0; -ENOENT with the reason @a fmt when it deleted nothing; or the
 *         SQLite error
 */
int store_delete_key(struct store *s, const char *sql, const char *key,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/** Copy text column @a i (NULL as ""), cut to @a size. */
void store_col(sqlite3_stmt *st, int i, char *buf, size_t size);
/** Bind "" or NULL as SQL NULL, else the text. */
void store_bind_opt(sqlite3_stmt *st, int i, const char *v);

/* The columns jobs_row() reads, in its order. */
#define JOB_COLS "id, mac, type, image, state, percent, bytes, rate, message, created," \
		 " started, updated, finished, group_job, slot_at, enqueued"

/* The live states, as the unique index jobs_one_active names them (a
 * query must repeat them exactly for SQLite to use that index). */
#define JOB_LIVE_SQL "('waiting','queued','booting','running')"
/* The states that hold a job slot. */
#define JOB_SLOT_SQL "('queued','booting','running')"

/** Read a job row selected with JOB_COLS into the struct job at @a out (jobs.c). */
void jobs_row(sqlite3_stmt *st, void *out);

#endif
