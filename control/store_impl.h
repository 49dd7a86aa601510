/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by store*.c and jobs.c; not for other modules. */
#ifndef STP_STORE_IMPL_H
#define STP_STORE_IMPL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct store {
	sqlite3 *db;
	int64_t events_max;
	char err[STORE_ERR_MAX];
};

/** Prepare @a sql; on failure *st is NULL and the SQLite error returned. */
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **st);
/** Step a statement that returns no row, finalize it; 0 or an error. */
int store_step_done(struct store *s, sqlite3_stmt *st);
/** Copy text column @a i (NULL as ""), cut to @a size. */
void store_col(sqlite3_stmt *st, int i, char *buf, size_t size);
/** Bind "" or NULL as SQL NULL, else the text. */
void store_bind_opt(sqlite3_stmt *st, int i, const char *v);

struct job;
/** Read a job row selected with the columns of JOB_COLS (jobs.c). */
void jobs_row(sqlite3_stmt *st, struct job *j);

#endif
