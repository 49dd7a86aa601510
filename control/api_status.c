/* SPDX-License-Identifier: BSD-3-Clause */
/* Quick registration, status (the runtime's counters, per-host timelines,
 * storm summary), counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_impl.h"

/*
 * A register job of @a mac, if any, ends with the registration; so does
 * the boot that brought the imaging OS up: registering is its only call
 * to the API, its check-in and its end at once (a deploy's boot gets those
 * stages from GET /job and POST /done).
 */
static int finish_register_job(struct api_call *k, const char *mac)
{
	int64_t now = k->req->now_ms, job_id = 0;
	struct job j;
	int rc = jobs_live_for(k->c->store, mac, &j);

	if (rc == 0 && j.type != JOB_TYPE_REGISTER)
		return 0; /* that job's own boot: not ours to end */
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (rc == 0) {
		job_id = j.id;
		if ((j.state != JOB_RUNNING &&
		     (rc = jobs_set_state(k->c->store, j.id, JOB_RUNNING, NULL, now)) < 0) ||
		    (rc = jobs_set_state(k->c->store, j.id, JOB_DONE, "registered", now)) < 0)
			return rc;
	}
	if ((rc = store_boot_stage(k->c->store, mac, STAGE_CHECKIN, job_id, now)) < 0)
		return rc;
	return store_boot_stage(k->c->store, mac, STAGE_DONE, job_id, now);
}

int api_os_register(struct api_call *k)
{
	char raw[64], *inv;
	struct host h, old;
	int rc;

	memset(&h, 0, sizeof(h));
	if ((rc = api_str(k, "mac", raw, sizeof(raw))) > 1 || (rc == 1 &&
	    (rc = api_str(k, "name", h.name, sizeof(h.name))) > 1))
		return rc;
	if (raw[0] == '\0')
		return api_fail(k, 400, "field \"mac\" is required");
	if ((rc = store_norm_mac(k->c->store, raw, h.mac)) < 0)
		return api_store_fail(k, rc);
	rc = store_host_get(k->c->store, h.mac, &old);
	if (rc < 0 && rc != -ENOENT)
		return api_store_fail(k, rc);
	if (rc == 0 && !old.discovered) {
		h = old; /* already registered: refresh the inventory only */
	} else {
		if (h.name[0] == '\0') {
			snprintf(h.name, sizeof(h.name), "host-%.2s%.2s%.2s%.2s%.2s%.2s", h.mac,
				 h.mac + 3, h.mac + 6, h.mac + 9, h.mac + 12, h.mac + 15);
		}
		if ((rc = store_host_add(k->c->store, &h, k->req->now_ms)) < 0)
			return api_store_fail(k, rc);
	}
	inv = json_dumps(k->body, JSON_COMPACT | JSON_SORT_KEYS);
	rc = inv ? store_host_set_inventory(k->c->store, h.mac, inv, k->req->now_ms) : -ENOMEM;
	free(inv);
	if (rc < 0 || (rc = finish_register_job(k, h.mac)) < 0 ||
	    (rc = store_event_add(k->c->store, k->req->now_ms, h.mac, "", "register", h.name)) < 0 ||
	    (rc = store_host_get(k->c->store, h.mac, &h)) < 0)
		return api_store_fail(k, rc);
	control_mark(k->c, h.mac);
	if ((k->out = api_host_json_inv(k, &h, &rc)) == NULL)
		return api_store_fail(k, rc);
	return 201;
}

int64_t api_percentile(int64_t *v, size_t n, int p)
{
	size_t rank;

	if (n == 0)
		return 0;
	for (size_t i = 1; i < n; i++) { /* insertion sort: n is hosts, sorted once */
		int64_t x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	rank = ((size_t)p * n + 99) / 100; /* nearest rank: ceil(p/100 * n) */
	return v[rank == 0 ? 0 : rank - 1];
}

struct summary {
	int64_t since;
	json_t *hosts;
	size_t count[STAGE_N];       /* hosts whose furthest stage this is */
	int64_t *dur[STAGE_N];       /* time from the previous reached stage */
	size_t n_dur[STAGE_N], cap[STAGE_N];
};

static json_t *boot_json(const struct boot *b, int *furthest)
{
	json_t *o = json_object(), *st = json_object();

	*furthest = -1;
	for (int i = 0; i < STAGE_N; i++) {
		json_object_set_new(st, store_stage_name((enum boot_stage)i),
				    b->at[i] ? json_integer(b->at[i]) : json_null());
		if (b->at[i])
			*furthest = i;
	}
	json_object_set_new(o, "mac", json_string(b->mac));
	json_object_set_new(o, "boot", json_integer(b->id));
	json_object_set_new(o, "started", json_integer(b->started));
	json_object_set_new(o, "job", b->job_id ? json_integer(b->job_id) : json_null());
	json_object_set_new(o, "stage", *furthest >= 0
			    ? json_string(store_stage_name((enum boot_stage)*furthest)) : json_null());
	json_object_set_new(o, "stages", st);
	return o;
}

static int add_dur(struct summary *s, int i, int64_t d)
{
	if (s->n_dur[i] == s->cap[i]) {
		size_t cap = s->cap[i] ? s->cap[i] * 2 : 64;
		int64_t *p = realloc(s->dur[i], cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		s->dur[i] = p;
		s->cap[i] = cap;
	}
	s->dur[i][s->n_dur[i]++] = d;
	return 0;
}

static int summarise(void *ctx, const struct boot *b)
{
	struct summary *s = ctx;
	int64_t prev = 0;
	int furthest;

	if (b->started < s->since)
		return 0;
	if (s->hosts)
		json_array_append_new(s->hosts, boot_json(b, &furthest));
	for (int i = 0; i < STAGE_N; i++) {
		if (!b->at[i])
			continue;
		furthest = i;
		/* A stage's time is what it took after the stage before it. */
		if (prev && add_dur(s, i, b->at[i] - prev) < 0)
			return -ENOMEM;
		prev = b->at[i];
	}
	if (prev)
		s->count[furthest]++;
	return 0;
}

static json_t *summary_json(struct summary *s)
{
	json_t *arr = json_array();
	size_t total = 0;

	for (int i = 0; i < STAGE_N; i++) {
		size_t n = s->n_dur[i];
		/* Sorted by the first call, so the max is the last element. */
		int64_t p50 = api_percentile(s->dur[i], n, 50);
		int64_t p95 = api_percentile(s->dur[i], n, 95);

		total += s->count[i];
		json_array_append_new(arr, json_pack(
			"{s:s, s:I, s:I, s:I, s:I, s:I}", "stage",
			store_stage_name((enum boot_stage)i), "count", (json_int_t)s->count[i],
			"timed", (json_int_t)n,
			"p50_ms", (json_int_t)p50, "p95_ms", (json_int_t)p95,
			"max_ms", (json_int_t)(n ? s->dur[i][n - 1] : 0)));
		free(s->dur[i]);
		s->dur[i] = NULL;
	}
	return json_pack("{s:I, s:o}", "hosts", (json_int_t)total, "stages", arr);
}

/* The job slots: the limit (null: none), the lease, how many hold one and
 * how many wait. */
static int slots_json(struct api_call *k, json_t **out)
{
	int64_t active = 0, waiting = 0;
	int rc = jobs_slots_count(k->c->store, &active, &waiting);

	if (rc < 0)
		return rc;
	*out = json_pack("{s:o, s:I, s:I, s:I}", "max_active", k->c->max_active
			 ? json_integer(k->c->max_active) : json_null(),
			 "slot_timeout_s", (json_int_t)k->c->slot_timeout_s,
			 "active", (json_int_t)active, "waiting", (json_int_t)waiting);
	return *out ? 0 : -ENOMEM;
}

int api_status(struct api_call *k)
{
	struct summary s;
	json_t *slots = NULL;
	char buf[32];
	int rc;

	k->out = json_object();
	if (k->out == NULL)
		return api_fail(k, 500, "out of memory");
	if (k->c->counters != NULL)
		k->c->counters(k->c->counters_ctx, k->out);
	if (!k->admin_read)
		return 200; /* the counters alone: the boot network sees no hosts */
	memset(&s, 0, sizeof(s));
	if (api_query(k->req, "since", buf, sizeof(buf)))
		s.since = strtoll(buf, NULL, 10);
	s.hosts = api_query(k->req, "summary", buf, sizeof(buf)) ? NULL : json_array();
	rc = store_boot_each_latest(k->c->store, summarise, &s);
	if (rc < 0) {
		for (int i = 0; i < STAGE_N; i++)
			free(s.dur[i]);
		json_decref(s.hosts);
		return rc == -ENOMEM ? api_fail(k, 500, "out of memory") : api_store_fail(k, rc);
	}
	json_object_set_new(k->out, "summary", summary_json(&s));
	if (s.hosts != NULL)
		json_object_set_new(k->out, "hosts", s.hosts);
	if ((rc = slots_json(k, &slots)) < 0)
		return rc == -ENOMEM ? api_fail(k, 500, "out of memory") : api_store_fail(k, rc);
	json_object_set_new(k->out, "job_slots", slots);
	return 200;
}

int api_status_host(struct api_call *k)
{
	struct host h;
	struct boot b;
	struct job j;
	int furthest, rc;

	if ((rc = store_host_get(k->c->store, k->arg[0], &h)) < 0)
		return api_store_fail(k, rc);
	k->out = json_pack("{s:o}", "host", api_host_json(&h));
	rc = store_boot_latest(k->c->store, h.mac, &b);
	if (rc < 0 && rc != -ENOENT)
		return api_store_fail(k, rc);
	json_object_set_new(k->out, "boot", rc == 0 ? boot_json(&b, &furthest) : json_null());
	if (jobs_live_for(k->c->store, h.mac, &j) == 0)
		json_object_set_new(k->out, "job", api_job_json(&j));
	return 200;
}

int api_counters(struct api_call *k)
{
	json_t *o = json_object();

	if (o != NULL && k->c->counters != NULL)
		k->c->counters(k->c->counters_ctx, o);
	k->out = json_pack("{s:o}", "counters", o ? o : json_object());
	return 200;
}
