/* SPDX-License-Identifier: BSD-3-Clause */
/* Job state changes, progress and listing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jobs.h"
#include "store_impl.h"

/* Tell the slot hook that @a mac's script changes. */
static void slot_changed(struct store *s, const char *mac)
{
	if (s->slot_fn != NULL)
		s->slot_fn(s->slot_ctx, mac);
}

int jobs_set_state(struct store *s, int64_t id, enum job_state to, const char *message,
		   int64_t now)
{
	const char *why = "";
	struct job j;
	sqlite3_stmt *st;
	int rc;

	if ((rc = jobs_get(s, id, &j)) < 0)
		return rc;
	if (job_transition_check(j.state, to, &why) < 0)
		return store_fail(s, -EINVAL, "job %lld: cannot go from %s to %s: %s",
				  (long long)id, job_state_name(j.state), job_state_name(to), why);
	if (message && strlen(message) > STORE_MSG_MAX)
		return store_fail(s, -EINVAL, "message: longer than %d characters", STORE_MSG_MAX);
	/* A lease starts with a grant (queued) and again with the script
	 * fetch (booting); a running job needs none; waiting joins the back
	 * of the queue. */
	if ((rc = store_prepare(s, "UPDATE jobs SET state = ?2, message = COALESCE(?3, message),"
				" updated = ?4,"
				" started = CASE WHEN ?5 THEN COALESCE(started, ?4) ELSE started END,"
				" finished = CASE WHEN ?6 THEN ?4 ELSE finished END,"
				" percent = CASE WHEN ?2 = 'done' THEN 100 ELSE percent END,"
				" slot_at = CASE WHEN ?2 IN ('queued','booting') THEN ?4"
				" WHEN ?2 = 'running' THEN slot_at END,"
				" enqueued = CASE WHEN ?2 = 'waiting' THEN ?4 ELSE enqueued END"
				" WHERE id = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, job_state_name(to), -1, SQLITE_STATIC);
	if (message)
		sqlite3_bind_text(st, 3, message, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int(st, 5, to == JOB_BOOTING || to == JOB_RUNNING);
	sqlite3_bind_int(st, 6, !job_state_live(to));
	if ((rc = store_step_done(s, st)) < 0)
		return rc;
	if (j.state == JOB_WAITING || to == JOB_WAITING)
		slot_changed(s, j.mac);
	/* The slot this job held goes to the next waiting job at once, in
	 * the same transaction: a crash never loses a freed slot. */
	if (job_state_holds_slot(j.state) && !job_state_holds_slot(to) &&
	    (rc = jobs_slots_fill(s, now)) < 0)
		return rc;
	return 0;
}

int jobs_progress(struct store *s, int64_t id, int percent, int64_t bytes, int64_t rate,
		  const char *message, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if (percent < 0 || percent > 100)
		return store_fail(s, -EINVAL, "percent %d: must be 0 to 100", percent);
	if (bytes < 0 || rate < 0)
		return store_fail(s, -EINVAL, "bytes and rate must not be negative");
	if ((rc = jobs_set_state(s, id, JOB_RUNNING, message, now)) < 0)
		return rc;
	if ((rc = store_prepare(s, "UPDATE jobs SET percent = ?2, bytes = ?3, rate = ?4"
				" WHERE id = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, percent);
	sqlite3_bind_int64(st, 3, bytes);
	sqlite3_bind_int64(st, 4, rate);
	return store_step_done(s, st);
}

struct job_walk {
	int (*fn)(void *ctx, const struct job *j);
	void *ctx;
};

static int job_visit(sqlite3_stmt *st, void *arg)
{
	const struct job_walk *w = arg;
	struct job j;

	jobs_row(st, &j);
	return w->fn(w->ctx, &j);
}

int jobs_each(struct store *s, const struct job_filter *f,
	      int (*fn)(void *ctx, const struct job *j), void *ctx)
{
	struct job_walk w = { fn, ctx };
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT " JOB_COLS
				" FROM jobs WHERE (?1 IS NULL OR state = ?1)"
				" AND (?2 IS NULL OR mac = ?2) AND (?3 = 0 OR group_job = ?3)"
				" ORDER BY id DESC LIMIT ?4", &st)) < 0)
		return rc;
	if (f->state >= 0)
		sqlite3_bind_text(st, 1, job_state_name((enum job_state)f->state), -1,
				  SQLITE_STATIC);
	store_bind_opt(st, 2, f->mac);
	sqlite3_bind_int64(st, 3, f->group_job);
	sqlite3_bind_int(st, 4, f->limit > 0 ? f->limit : 1000);
	return store_select_each(s, st, job_visit, &w);
}

static int count_state(sqlite3_stmt *st, void *ctx)
{
	int64_t *n = ctx;
	int state = job_state_from_name((const char *)sqlite3_column_text(st, 0));

	/* A state this build does not know (a newer schema) is left out. */
	if (state >= 0)
		n[state] = sqlite3_column_int64(st, 1);
	return 0;
}

int jobs_count_by_state(struct store *s, int64_t n[JOB_STATE_N])
{
	sqlite3_stmt *st;
	int rc;

	for (int i = 0; i < JOB_STATE_N; i++)
		n[i] = 0;
	/* The jobs_state index answers this without reading the rows. */
	if ((rc = store_prepare(s, "SELECT state, count(*) FROM jobs GROUP BY state", &st)) < 0)
		return rc;
	rc = store_select_each(s, st, count_state, n);
	return rc < 0 ? rc : 0;
}
