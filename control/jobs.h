/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file jobs.h
 * Imaging jobs (FOG-style) and their state machine:
 *
 *     waiting -> queued -> booting -> running -> done | failed | cancelled
 *
 * waiting: created while every job slot was taken (jobs.max_active), the
 * host's script is a loop that sleeps and asks again (jobs_slots.c);
 * queued: created (or granted a slot), the host's next script boots the
 * imaging OS; booting: the host fetched that script; running: the imaging
 * OS checked in or reported progress (a host may check in straight from
 * queued, or from waiting, when its script fetch was not seen). A queued or
 * booting job whose slot lease ran out goes back to waiting. Any live state
 * may fail or be cancelled; the three final states never change. At most
 * one live job per host (a unique partial index backs the check). Group
 * jobs create one job per host of the group, all or none.
 *
 * Like the store, these functions write without opening a transaction of
 * their own unless noted; the caller wraps a request in store_begin() /
 * store_commit(). Errors: negative errno + store_error() (see store.h).
 */
#ifndef STP_JOBS_H
#define STP_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define JOB_STATES(X) \
	X(WAITING, "waiting") X(QUEUED, "queued") X(BOOTING, "booting") X(RUNNING, "running") \
	X(DONE, "done") X(FAILED, "failed") X(CANCELLED, "cancelled")
#define JOB_TYPES(X) \
	X(DEPLOY, "deploy") X(CAPTURE, "capture") X(REGISTER, "register") \
	X(WIPE, "wipe") X(DEBUG, "debug")

#define JOB_STATE_ENUM(e, s) JOB_##e,
#define JOB_TYPE_ENUM(e, s) JOB_TYPE_##e,
enum job_state { JOB_STATES(JOB_STATE_ENUM) JOB_STATE_N };
enum job_type { JOB_TYPES(JOB_TYPE_ENUM) JOB_TYPE_N };

struct job {
	int64_t id;
	char mac[STP_MAC_STRLEN];
	enum job_type type;
	char image[STORE_NAME_MAX + 1];   /* "" = none (register, wipe, debug) */
	enum job_state state;
	int percent;
	int64_t bytes;
	int64_t rate;                      /* bytes per second, as reported */
	char message[STORE_MSG_MAX + 1];
	int64_t created, started, updated, finished; /* 0 = not yet */
	int64_t group_job;                 /* 0 = a single-host job */
	/* Job slots (jobs_slots.c): when the slot lease of a queued or booting
	 * job began (its grant, or its host's script fetch), 0 = no lease
	 * running; when the job joined the queue of waiting jobs (its
	 * creation, or the end of its last lease), the queue's order. */
	int64_t slot_at, enqueued;
};

const char *job_state_name(enum job_state st);
const char *job_type_name(enum job_type t);
/** -1 when @a name is not a state / type. */
int job_state_from_name(const char *name);
int job_type_from_name(const char *name);
/** Live: waiting, queued, booting or running. */
bool job_state_live(enum job_state st);
/** Holds a job slot: queued, booting or running (live, not waiting). */
bool job_state_holds_slot(enum job_state st);
/** Does @a t need an image (deploy, capture)? */
bool job_type_needs_image(enum job_type t);

/**
 * May a job go from @a from to @a to? Running -> running (progress) is
 * allowed. @return 0, or -EINVAL with a static reason in *@a why.
 */
int job_transition_check(enum job_state from, enum job_state to, const char **why);

/**
 * Queue a job for host @a mac (canonical). @a image "" takes the host's
 * image for types that need one. With a slot limit (jobs_slots_set()) the
 * job is created waiting and takes a slot at once when one is free and no
 * job waits before it. -ENOENT no such host/image, -EINVAL no image for a
 * deploy/capture, -EEXIST the host has a live job.
 * @param id  receives the new job's id
 */
int jobs_create(struct store *s, const char *mac, enum job_type type, const char *image,
		int64_t group_job, int64_t now, int64_t *id);

/**
 * One job per host of @a group, in one savepoint: any host that cannot
 * take the job (live job, no image) fails the whole group with the reason
 * naming that host. -ENOENT no such group, -EINVAL an empty group.
 * @param group_job  receives the group job id; @a n_jobs the job count
 */
int jobs_create_group(struct store *s, const char *group, enum job_type type,
		      const char *image, int64_t now, int64_t *group_job, int *n_jobs);

/** Job @a id. 0, -ENOENT. */
int jobs_get(struct store *s, int64_t id, struct job *out);
/** The live job of @a mac. 0, -ENOENT. */
int jobs_live_for(struct store *s, const char *mac, struct job *out);

/**
 * Move job @a id to @a to, with @a message (NULL keeps the old one).
 * Stamps started (first booting/running) and finished (final states), the
 * slot lease (queued, booting) and the queue position (waiting). A move
 * that frees a slot hands it on (jobs_slots_fill()); a move into or out of
 * waiting tells the slot hook. -EINVAL "job 3: cannot go from done to
 * running: ..." for illegal moves.
 */
int jobs_set_state(struct store *s, int64_t id, enum job_state to, const char *message,
		   int64_t now);

/** Progress of a running job (moves queued/booting to running first).
 * percent 0..100; bytes, rate >= 0. */
int jobs_progress(struct store *s, int64_t id, int percent, int64_t bytes, int64_t rate,
		  const char *message, int64_t now);

struct job_filter {
	int state;            /* -1 any */
	const char *mac;      /* NULL any */
	int64_t group_job;    /* 0 any */
	int limit;            /* 0 = 1000 */
};

/** How many jobs are in each state, into @a n (every state, 0 when none). 0 or an error. */
int jobs_count_by_state(struct store *s, int64_t n[JOB_STATE_N]);

/** Jobs matching @a f, newest first. @return count or negative errno. */
int jobs_each(struct store *s, const struct job_filter *f,
	      int (*fn)(void *ctx, const struct job *j), void *ctx);

/* ---- job slots (jobs_slots.c) ----
 *
 * FOG's "max clients": at most max_active jobs hold a slot (queued, booting
 * or running); the others wait, in queue order (enqueued, then id: the
 * order they were created in, a job whose lease ran out going to the
 * back). A slot is taken when control grants it, the moment one is free:
 * a waiting host cannot be asked, its script is a cache object rendered in
 * advance, so the grant re-renders the script and the host boots on its
 * next re-chain. The lease: a queued job must have its script fetched
 * (booting) within lease_ms of the grant, and a booting job must reach
 * running (the imaging OS's check-in) within lease_ms of that fetch; else
 * it goes back to waiting, at the back of the queue, and its slot is
 * handed on. A running job holds its slot until it ends. A host that
 * checks in while waiting (it fetched the boot script just before its
 * lease ran out) runs all the same: work under way is not thrown away,
 * and no waiting job is granted a slot until the count is below the
 * limit again.
 */

/** A slot's lease when none is configured (jobs.slot_timeout_s). */
#define JOBS_SLOT_TIMEOUT_DEFAULT_S 600

/** Told when job slots change the script of host @a mac (a job entered or
 * left waiting). Called inside the caller's transaction. */
typedef void (*jobs_slot_fn)(void *ctx, const char *mac);

/**
 * Set the slot policy of @a s: at most @a max_active jobs hold a slot (0:
 * no limit), leases of @a lease_ms (<= 0: JOBS_SLOT_TIMEOUT_DEFAULT_S).
 * @a fn (may be NULL) is told of script changes.
 */
void jobs_slots_set(struct store *s, uint32_t max_active, int64_t lease_ms, jobs_slot_fn fn,
		    void *ctx);

/** Grant free slots to waiting jobs in queue order (all of them without a
 * limit). @return the number granted, or a negative errno. */
int jobs_slots_fill(struct store *s, int64_t now);

/**
 * Return every lease that ran out by @a now to the queue (waiting, at its
 * back), then grant free slots. Nothing expires without a limit.
 * @return the number of leases that ran out, or a negative errno
 */
int jobs_slots_expire(struct store *s, int64_t now);

/**
 * Is there work for jobs_slots_expire() at @a now: a lease that ran out,
 * or a free slot with a job waiting? Reads only, so the caller opens no
 * write transaction for nothing. 0 or an error.
 */
int jobs_slots_due(struct store *s, int64_t now, bool *due);

/** Jobs holding a slot and jobs waiting for one. 0 or an error. */
int jobs_slots_count(struct store *s, int64_t *active, int64_t *waiting);

#endif
