/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file jobs.h
 * Imaging jobs (FOG-style) and their state machine:
 *
 *     queued -> booting -> running -> done | failed | cancelled
 *
 * queued: created, the host's next script boots the imaging OS;
 * booting: the host fetched that script; running: the imaging OS checked
 * in or reported progress (a host may check in straight from queued when
 * its script fetch was not seen). Any live state may fail or be
 * cancelled; the three final states never change. At most one live job
 * per host (a unique partial index backs the check). Group jobs create one
 * job per host of the group, all or none.
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
	X(QUEUED, "queued") X(BOOTING, "booting") X(RUNNING, "running") \
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
};

const char *job_state_name(enum job_state st);
const char *job_type_name(enum job_type t);
/** -1 when @a name is not a state / type. */
int job_state_from_name(const char *name);
int job_type_from_name(const char *name);
/** Live: queued, booting or running. */
bool job_state_live(enum job_state st);
/** Does @a t need an image (deploy, capture)? */
bool job_type_needs_image(enum job_type t);

/**
 * May a job go from @a from to @a to? Running -> running (progress) is
 * allowed. @return 0, or -EINVAL with a static reason in *@a why.
 */
int job_transition_check(enum job_state from, enum job_state to, const char **why);

/**
 * Queue a job for host @a mac (canonical). @a image "" takes the host's
 * image for types that need one. -ENOENT no such host/image, -EINVAL no
 * image for a deploy/capture, -EEXIST the host has a live job.
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
 * Stamps started (first booting/running) and finished (final states).
 * -EINVAL "job 3: cannot go from done to running: ..." for illegal moves.
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

#endif
