/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Job slots: the queue of waiting jobs, grants and leases (jobs.h, "job
 * slots"; README "Hosts and boot menus"). All of it is rows of the jobs
 * table changed inside the caller's transaction, so the queue, the slots
 * and their leases survive a restart, and a kill -9 loses nothing that
 * was committed. The clock is the caller's (docs/style.md rule 3).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jobs.h"
#include "store_impl.h"

/*
 * Jobs handled per query. The rows are read before any of them changes
 * (an UPDATE of rows a running SELECT walks through the same index is
 * not well defined), and the loops ask again until nothing is left.
 */
#define SLOTS_BATCH 64

void jobs_slots_set(struct store *s, uint32_t max_active, int64_t lease_ms, jobs_slot_fn fn,
		    void *ctx)
{
	s->slots_max = max_active;
	s->slot_lease_ms = lease_ms > 0 ? lease_ms : (int64_t)JOBS_SLOT_TIMEOUT_DEFAULT_S * 1000;
	s->slot_fn = fn;
	s->slot_ctx = ctx;
}

static int read_count(sqlite3_stmt *st, void *ctx)
{
	*(int64_t *)ctx = sqlite3_column_int64(st, 0);
	return 0;
}

/* The one number @a sql selects, with ?1 bound to @a arg when it has one. */
static int select_count(struct store *s, const char *sql, int64_t arg, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((rc = store_prepare(s, sql, &st)) < 0)
		return rc;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, arg);
	rc = store_select_each(s, st, read_count, n);
	return rc < 0 ? rc : 0;
}

static int count_active(struct store *s, int64_t *n)
{
	/* The jobs_state index answers both counts without the rows. */
	return select_count(s, "SELECT count(*) FROM jobs WHERE state IN " JOB_SLOT_SQL, 0, n);
}

int jobs_slots_count(struct store *s, int64_t *active, int64_t *waiting)
{
	int rc = count_active(s, active);

	if (rc == 0)
		rc = select_count(s, "SELECT count(*) FROM jobs WHERE state = 'waiting'", 0,
				  waiting);
	return rc;
}

/* Some jobs, read before any of them changes. */
struct slot_batch {
	int64_t id[SLOTS_BATCH];
	int state[SLOTS_BATCH];
	char mac[SLOTS_BATCH][STP_MAC_STRLEN];
	int n;
};

static int collect(sqlite3_stmt *st, void *ctx)
{
	struct slot_batch *b = ctx;
	char state[16];

	if (b->n == SLOTS_BATCH)
		return 0;
	b->id[b->n] = sqlite3_column_int64(st, 0);
	store_col(st, 1, b->mac[b->n], STP_MAC_STRLEN);
	store_col(st, 2, state, sizeof(state));
	b->state[b->n++] = job_state_from_name(state);
	return 0;
}

/* Run @a sql (?1 = @a arg when it names ?1, LIMIT ?2) into @a b. */
static int select_batch(struct store *s, const char *sql, int64_t arg, int64_t limit,
			struct slot_batch *b)
{
	sqlite3_stmt *st;
	int rc;

	b->n = 0;
	if ((rc = store_prepare(s, sql, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, arg);
	sqlite3_bind_int64(st, 2, limit < SLOTS_BATCH ? limit : SLOTS_BATCH);
	rc = store_select_each(s, st, collect, b);
	return rc < 0 ? rc : 0;
}

/* Give job @a i of @a b its slot; the boot event log says so. */
static int grant(struct store *s, const struct slot_batch *b, int i, int64_t now)
{
	char detail[64];
	int rc;

	/* "" clears "waiting for a free job slot" or why a lease ran out. */
	if ((rc = jobs_set_state(s, b->id[i], JOB_QUEUED, "", now)) < 0)
		return rc;
	snprintf(detail, sizeof(detail), "job %lld granted a slot", (long long)b->id[i]);
	return store_event_add(s, now, b->mac[i], "", "slot", detail);
}

int jobs_slots_fill(struct store *s, int64_t now)
{
	int granted = 0;

	for (;;) {
		int64_t active = 0, room = SLOTS_BATCH;
		struct slot_batch b;
		int rc;

		if (s->slots_max > 0) {
			if ((rc = count_active(s, &active)) < 0)
				return rc;
			/* Past the limit after a check-in that won over the
			 * queue (jobs.h): nobody is granted until below. */
			if (active >= (int64_t)s->slots_max)
				return granted;
			room = (int64_t)s->slots_max - active;
		}
		/* The jobs_queue index holds exactly the waiting jobs, in order. */
		if ((rc = select_batch(s, "SELECT id, mac, state FROM jobs WHERE state = 'waiting'"
				       " ORDER BY enqueued, id LIMIT ?2", 0, room,
				       &b)) < 0)
			return rc;
		if (b.n == 0)
			return granted;
		for (int i = 0; i < b.n; i++) {
			if ((rc = grant(s, &b, i, now)) < 0)
				return rc;
			granted++;
		}
	}
}

/* Job @a i of @a b held its slot too long: back to the queue. */
static int lease_over(struct store *s, const struct slot_batch *b, int i, int64_t now)
{
	char msg[160], detail[64];
	long long secs = (long long)(s->slot_lease_ms / 1000);
	int rc;

	if (b->state[i] == JOB_QUEUED)
		snprintf(msg, sizeof(msg), "slot lease ran out: the host did not fetch its script"
			 " within %lld s of the grant; waiting again", secs);
	else
		snprintf(msg, sizeof(msg), "slot lease ran out: the imaging OS did not check in"
			 " within %lld s of the script fetch; waiting again", secs);
	/* Waiting frees the slot: jobs_set_state() hands it on at once,
	 * possibly back to this job when no other waits. */
	if ((rc = jobs_set_state(s, b->id[i], JOB_WAITING, msg, now)) < 0)
		return rc;
	snprintf(detail, sizeof(detail), "job %lld: slot lease ran out", (long long)b->id[i]);
	return store_event_add(s, now, b->mac[i], "", "slot", detail);
}

/* Leases that started at or before ?1 have run out. A job queued before
 * the leases existed (schema 3) counts from its last update. */
#define EXPIRED_SQL "FROM jobs WHERE state IN ('queued','booting')" \
		    " AND COALESCE(slot_at, updated) <= ?1"

int jobs_slots_expire(struct store *s, int64_t now)
{
	int expired = 0, rc;

	/* Without a limit there are no leases, only jobs left waiting by a
	 * run that had one: they all get their slot. */
	if (s->slots_max == 0)
		return (rc = jobs_slots_fill(s, now)) < 0 ? rc : 0;
	for (;;) {
		struct slot_batch b;

		if ((rc = select_batch(s, "SELECT id, mac, state " EXPIRED_SQL
				       " ORDER BY COALESCE(slot_at, updated), id LIMIT ?2",
				       now - s->slot_lease_ms, SLOTS_BATCH, &b)) < 0)
			return rc;
		if (b.n == 0)
			break;
		for (int i = 0; i < b.n; i++) {
			if ((rc = lease_over(s, &b, i, now)) < 0)
				return rc;
			expired++;
		}
	}
	/* Slots may also be free with jobs waiting without a lease ending:
	 * after a restart with a larger jobs.max_active. */
	return (rc = jobs_slots_fill(s, now)) < 0 ? rc : expired;
}

int jobs_slots_due(struct store *s, int64_t now, bool *due)
{
	int64_t waiting = 0, active = 0, over = 0;
	int rc;

	*due = false;
	if ((rc = select_count(s, "SELECT count(*) FROM jobs WHERE state = 'waiting'", 0,
			       &waiting)) < 0)
		return rc;
	if (s->slots_max == 0) {
		*due = waiting > 0;
		return 0;
	}
	if (waiting > 0) {
		if ((rc = count_active(s, &active)) < 0)
			return rc;
		if (active < (int64_t)s->slots_max) {
			*due = true;
			return 0;
		}
	}
	if ((rc = select_count(s, "SELECT count(*) " EXPIRED_SQL, now - s->slot_lease_ms,
			       &over)) < 0)
		return rc;
	*due = over > 0;
	return 0;
}
