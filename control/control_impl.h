/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by control.c and api*.c. */
#ifndef STP_CONTROL_IMPL_H
#define STP_CONTROL_IMPL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "api.h"
#include "control.h"
#include "jobs.h"
#include "menu.h"
#include "store.h"

#define CONTROL_DIRTY_MAX 512   /* more changed hosts: re-render all */
#define CONTROL_TICK_MS 1000    /* control_tick()'s period */

/* Upper bounds (ms) of the boot latency histograms' buckets
 * (api_metrics.c): from a script fetch (tens of ms) to an imaging run
 * (an hour). */
#define CONTROL_HIST_BOUNDS_MS(X) \
	X(50) X(100) X(250) X(500) X(1000) X(2500) X(5000) X(10000) X(20000) X(30000) \
	X(60000) X(120000) X(300000) X(600000) X(1800000) X(3600000)
#define CONTROL_HIST_ONE(ms) + 1
enum { CONTROL_HIST_N = 0 CONTROL_HIST_BOUNDS_MS(CONTROL_HIST_ONE) };

/** One latency histogram: per bucket (the last: above every bound). */
struct control_hist {
	uint64_t count[CONTROL_HIST_N + 1];
	int64_t sum_ms;
};

/** What GET /metrics reports of the boots since start (api_metrics.c). */
struct control_boot_hists {
	struct control_hist stage[STAGE_N]; /* time from the stage before it */
	struct control_hist boot;           /* first stage to done */
};

/** An image's kernel and initrd: what a fetched object is matched against. */
struct control_image_paths {
	char kernel[STORE_PATH_MAX + 1];
	char initrd[STORE_PATH_MAX + 1];
};

struct control {
	pthread_mutex_t lock;
	struct store *store;
	struct menu_tmpl *tmpl;
	char config_dir[4096];
	char server[32];          /* "addr[:port]" */
	unsigned http_port;
	char boot_script[OBJ_NAME_MAX];
	char token[256];
	char default_kernel[STORE_PATH_MAX + 1], default_initrd[STORE_PATH_MAX + 1];
	/* Scripts to re-render at the next control_take_updates(). */
	bool all_dirty;
	char dirty[CONTROL_DIRTY_MAX][STP_MAC_STRLEN];
	size_t n_dirty;
	/* A batch of worker events open on this thread (control_batch_begin()):
	 * it holds the lock and the transaction. Atomic: other threads read it
	 * to know the batch is not theirs. */
	atomic_bool in_batch;
	pthread_t batch_owner;
	/* The images' paths, so that matching a fetched object costs no SQL;
	 * reloaded after any change made through the API. */
	struct control_image_paths *img;
	size_t n_img, cap_img;
	bool img_stale;
	/* The runtime's counters for GET /api/v1/status and /counters. */
	control_counters_fn counters;
	void *counters_ctx;
	/* The runtime's metric families for GET /metrics, and who may read them. */
	control_metrics_fn metrics;
	void *metrics_ctx;
	bool metrics_token;
	/* Boot latencies observed since start (the store's stage hook). */
	struct control_boot_hists hists;
	/* Job slots: the limit (0: none) and lease as configured, and when
	 * control_tick() last looked (0: never; only its caller touches it). */
	uint32_t max_active;
	uint32_t slot_timeout_s;
	int64_t last_tick_ms;
};

/** One request being handled: what the router matched and the answer. */
struct api_call {
	struct control *c;
	const struct api_request *req;
	const char *arg[2];       /* the '*' segments of the route */
	char argbuf[2][128];
	json_t *body;             /* parsed JSON body, or NULL */
	bool admin_read;          /* may read what AUTH_ADMIN routes show */
	json_t *out;              /* the answer (owned) */
	/* An answer that is not JSON (GET /metrics): malloc'd, owned, sent
	 * instead of @a out when set. */
	char *text;
	size_t text_len;
	const char *text_type;    /* its Content-Type, static */
	char err[320];
};

/* Mark @a mac's script (or all scripts) for re-rendering. */
void control_mark(struct control *c, const char *mac);
void control_mark_all(struct control *c);

/* Render @a h's script (the caller holds the lock). */
long control_render_host(struct control *c, const struct host *h, char **out);

/* Helpers for handlers: each returns the HTTP status. */
int api_fail(struct api_call *k, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Map a store/jobs error to a status and copy store_error(). */
int api_store_fail(struct api_call *k, int rc);
/* A string field of the body: 1 found, 0 absent (out ""), or an error
 * status (400) when present but not a string or too long. */
int api_str(struct api_call *k, const char *key, char *out, size_t size);
/* Answer {key: arr} after the store walk that filled @a arr returned @a rc
 * (200, or the store's error); @a arr is taken either way. */
int api_list(struct api_call *k, const char *key, json_t *arr, int rc);
/* An integer field: 1, 0 absent (out unchanged), or 400. */
int api_int(struct api_call *k, const char *key, int64_t *out);
/* A query parameter, percent-decoded: true when present. */
bool api_query(const struct api_request *req, const char *key, char *out, size_t size);

json_t *api_host_json(const struct host *h);
/* api_host_json() plus "inventory", the object the host's imaging OS
 * reported when it registered ({} until then). NULL and *rc a negative
 * errno on failure (store_error() says why: answer with api_store_fail). */
json_t *api_host_json_inv(struct api_call *k, const struct host *h, int *rc);
json_t *api_job_json(const struct job *j);

/* Route handlers. */
int api_hosts_list(struct api_call *k);
int api_hosts_add(struct api_call *k);
int api_hosts_get(struct api_call *k);
int api_hosts_update(struct api_call *k);
int api_hosts_delete(struct api_call *k);
int api_hosts_import(struct api_call *k);
int api_groups_list(struct api_call *k);
int api_groups_add(struct api_call *k);
int api_groups_delete(struct api_call *k);
int api_images_list(struct api_call *k);
int api_images_add(struct api_call *k);
int api_images_delete(struct api_call *k);
int api_jobs_list(struct api_call *k);
int api_jobs_create(struct api_call *k);
int api_jobs_get(struct api_call *k);
int api_jobs_cancel(struct api_call *k);
int api_status(struct api_call *k);
int api_status_host(struct api_call *k);
int api_counters(struct api_call *k);
int api_metrics(struct api_call *k);

/* The store's stage hook (api_metrics.c): @a ctx is the struct control. */
void control_stage_observed(void *ctx, enum boot_stage st, int64_t since_prev_ms,
			    int64_t since_start_ms);
int api_os_job(struct api_call *k);
int api_os_progress(struct api_call *k);
int api_os_done(struct api_call *k);
int api_os_failed(struct api_call *k);
int api_os_register(struct api_call *k);

#endif
