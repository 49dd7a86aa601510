/* SPDX-License-Identifier: BSD-3-Clause */
#include "jobs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_impl.h"

#define NAME_OF(e, s) s,
static const char *const state_names[JOB_STATE_N] = { JOB_STATES(NAME_OF) };
static const char *const type_names[JOB_TYPE_N] = { JOB_TYPES(NAME_OF) };

const char *job_state_name(enum job_state st)
{
	return (unsigned)st < JOB_STATE_N ? state_names[st] : "?";
}

const char *job_type_name(enum job_type t)
{
	return (unsigned)t < JOB_TYPE_N ? type_names[t] : "?";
}

static int index_of(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int job_state_from_name(const char *name)
{
	return index_of(state_names, JOB_STATE_N, name);
}

int job_type_from_name(const char *name)
{
	return index_of(type_names, JOB_TYPE_N, name);
}

bool job_state_live(enum job_state st)
{
	return st == JOB_WAITING || job_state_holds_slot(st);
}

bool job_state_holds_slot(enum job_state st)
{
	return st == JOB_QUEUED || st == JOB_BOOTING || st == JOB_RUNNING;
}

bool job_type_needs_image(enum job_type t)
{
	return t == JOB_TYPE_DEPLOY || t == JOB_TYPE_CAPTURE;
}

/*
 * The whole machine as a table: allowed[from] is a bit set of targets.
 * Only the slot code moves a job into or out of waiting (jobs_slots.c):
 * waiting -> queued is a grant, queued/booting -> waiting a lease that ran
 * out; waiting -> running is a check-in that wins over the queue (jobs.h).
 */
#define B(st) (1u << JOB_##st)
static const unsigned allowed[JOB_STATE_N] = {
	[JOB_WAITING] = B(QUEUED) | B(RUNNING) | B(FAILED) | B(CANCELLED),
	[JOB_QUEUED] = B(WAITING) | B(BOOTING) | B(RUNNING) | B(FAILED) | B(CANCELLED),
	[JOB_BOOTING] = B(WAITING) | B(RUNNING) | B(FAILED) | B(CANCELLED),
	[JOB_RUNNING] = B(RUNNING) | B(DONE) | B(FAILED) | B(CANCELLED),
	[JOB_DONE] = 0,
	[JOB_FAILED] = 0,
	[JOB_CANCELLED] = 0,
};

int job_transition_check(enum job_state from, enum job_state to, const char **why)
{
	if ((unsigned)from >= JOB_STATE_N || (unsigned)to >= JOB_STATE_N) {
		*why = "unknown state";
		return -EINVAL;
	}
	if (allowed[from] & (1u << to))
		return 0;
	if (!job_state_live(from))
		*why = "the job has ended";
	else if (to == JOB_DONE)
		*why = "only a running job can be done";
	else if (to == JOB_QUEUED)
		*why = "only a waiting job is granted a slot";
	else if (to == JOB_WAITING)
		*why = "a running job keeps its slot";
	else
		*why = "a job never goes back";
	return -EINVAL;
}

void jobs_row(sqlite3_stmt *st, void *out)
{
	struct job *j = out;
	char buf[32];

	j->id = sqlite3_column_int64(st, 0);
	store_col(st, 1, j->mac, sizeof(j->mac));
	store_col(st, 2, buf, sizeof(buf));
	j->type = (enum job_type)job_type_from_name(buf);
	store_col(st, 3, j->image, sizeof(j->image));
	store_col(st, 4, buf, sizeof(buf));
	j->state = (enum job_state)job_state_from_name(buf);
	j->percent = sqlite3_column_int(st, 5);
	j->bytes = sqlite3_column_int64(st, 6);
	j->rate = sqlite3_column_int64(st, 7);
	store_col(st, 8, j->message, sizeof(j->message));
	j->created = sqlite3_column_int64(st, 9);
	j->started = sqlite3_column_int64(st, 10);
	j->updated = sqlite3_column_int64(st, 11);
	j->finished = sqlite3_column_int64(st, 12);
	j->group_job = sqlite3_column_int64(st, 13);
	j->slot_at = sqlite3_column_int64(st, 14);
	j->enqueued = sqlite3_column_int64(st, 15);
}

int jobs_get(struct store *s, int64_t id, struct job *out)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT " JOB_COLS " FROM jobs WHERE id = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	return store_select_one(s, st, jobs_row, out, "no job %lld", (long long)id);
}

int jobs_live_for(struct store *s, const char *mac, struct job *out)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT " JOB_COLS " FROM jobs WHERE mac = ?1"
				" AND state IN " JOB_LIVE_SQL, &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_TRANSIENT);
	/* 63 characters at most, as the message always was. */
	return store_select_one(s, st, jobs_row, out, "no job for %.52s", mac);
}

/* The image a new job of @a type for @a h uses, checked to exist. */
static int job_image(struct store *s, const struct host *h, enum job_type type,
		     const char *image, char out[STORE_NAME_MAX + 1])
{
	struct image im;
	int rc;

	snprintf(out, STORE_NAME_MAX + 1, "%s", image && image[0] ? image : "");
	if (out[0] == '\0' && job_type_needs_image(type))
		snprintf(out, STORE_NAME_MAX + 1, "%s", h->image);
	if (out[0] == '\0') {
		if (job_type_needs_image(type))
			return store_fail(s, -EINVAL, "%s job for %s needs an image"
					  " (none given and the host has none)",
					  job_type_name(type), h->mac);
		return 0;
	}
	if ((rc = store_image_get(s, out, &im)) < 0)
		return rc;
	return 0;
}

int jobs_create(struct store *s, const char *mac, enum job_type type, const char *image,
		int64_t group_job, int64_t now, int64_t *id)
{
	char img[STORE_NAME_MAX + 1];
	struct host h;
	struct job live;
	sqlite3_stmt *st;
	int rc;

	if ((unsigned)type >= JOB_TYPE_N)
		return store_fail(s, -EINVAL, "bad job type");
	if ((rc = store_host_get(s, mac, &h)) < 0 || (rc = job_image(s, &h, type, image, img)) < 0)
		return rc;
	rc = jobs_live_for(s, h.mac, &live);
	if (rc == 0)
		return store_fail(s, -EEXIST, "host %s already has job %lld (%s, %s)", h.mac,
				  (long long)live.id, job_type_name(live.type),
				  job_state_name(live.state));
	if (rc != -ENOENT)
		return rc;
	/* With a limit every job joins the queue first, and takes a slot
	 * below only when one is free and no job waits before it. */
	if ((rc = store_prepare(s, "INSERT INTO jobs (mac, type, image, state, created, updated,"
				" group_job, slot_at, enqueued, message) VALUES (?1, ?2, ?3, ?6,"
				" ?4, ?4, ?5, CASE WHEN ?6 = 'queued' THEN ?4 END, ?4, ?7)",
				&st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, h.mac, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, job_type_name(type), -1, SQLITE_STATIC);
	store_bind_opt(st, 3, img);
	sqlite3_bind_int64(st, 4, now);
	if (group_job > 0)
		sqlite3_bind_int64(st, 5, group_job);
	sqlite3_bind_text(st, 6, job_state_name(s->slots_max ? JOB_WAITING : JOB_QUEUED), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 7, s->slots_max ? "waiting for a free job slot" : "", -1,
			  SQLITE_STATIC);
	if ((rc = store_step_done(s, st)) < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(store_db(s));
	if (s->slots_max && (rc = jobs_slots_fill(s, now)) < 0)
		return rc;
	return 0;
}

struct fanout {
	struct store *s;
	enum job_type type;
	const char *image;
	int64_t group_job, now;
	int n;
};

static int fanout_one(void *ctx, const struct host *h)
{
	struct fanout *f = ctx;
	int64_t id;
	int rc = jobs_create(f->s, h->mac, f->type, f->image, f->group_job, f->now, &id);

	if (rc == 0)
		f->n++;
	return rc;
}

int jobs_create_group(struct store *s, const char *group, enum job_type type,
		      const char *image, int64_t now, int64_t *group_job, int *n_jobs)
{
	struct fanout f = { s, type, image, 0, now, 0 };
	struct group g;
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_group_get(s, group, &g)) < 0)
		return rc;
	if ((rc = store_savepoint(s, "fanout")) < 0)
		return rc;
	if ((rc = store_prepare(s, "INSERT INTO group_jobs (group_name, type, image, created)"
				" VALUES (?1, ?2, ?3, ?4)", &st)) < 0)
		goto err_undo;
	sqlite3_bind_text(st, 1, g.name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, job_type_name(type), -1, SQLITE_STATIC);
	store_bind_opt(st, 3, image);
	sqlite3_bind_int64(st, 4, now);
	if ((rc = store_step_done(s, st)) < 0)
		goto err_undo;
	f.group_job = sqlite3_last_insert_rowid(store_db(s));
	rc = store_host_each(s, g.name, fanout_one, &f);
	if (rc == 0)
		rc = store_fail(s, -EINVAL, "group \"%s\" has no hosts", g.name);
	if (rc < 0)
		goto err_undo;
	if ((rc = store_savepoint_release(s, "fanout")) < 0)
		return rc;
	*group_job = f.group_job;
	*n_jobs = f.n;
	return 0;

err_undo:
	store_savepoint_undo(s, "fanout");
	return rc;
}
