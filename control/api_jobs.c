/* SPDX-License-Identifier: BSD-3-Clause */
/* Administrator job routes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_impl.h"

static int append_job(void *ctx, const struct job *j)
{
	return json_array_append_new(ctx, api_job_json(j)) == 0 ? 0 : -ENOMEM;
}

static bool parse_id(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	v = strtoll(s, &end, 10);
	if (*end || v <= 0)
		return false;
	*out = v;
	return true;
}

/* The job id the URL names: 0, or 400. */
static int url_job_id(struct api_call *k, int64_t *id)
{
	*id = 0;
	if (!parse_id(k->arg[0], id))
		return api_fail(k, 400, "\"%s\": not a job id", k->arg[0]);
	return 0;
}

int api_jobs_list(struct api_call *k)
{
	struct job_filter f = { -1, NULL, 0, 0 };
	char buf[64], mac[STP_MAC_STRLEN];
	json_t *arr;

	if (api_query(k->req, "state", buf, sizeof(buf)) &&
	    (f.state = job_state_from_name(buf)) < 0)
		return api_fail(k, 400, "state \"%s\": not a job state", buf);
	if (api_query(k->req, "host", buf, sizeof(buf))) {
		struct host h;
		int rc;

		if ((rc = store_host_get(k->c->store, buf, &h)) < 0)
			return api_store_fail(k, rc);
		memcpy(mac, h.mac, sizeof(mac));
		f.mac = mac;
	}
	if (api_query(k->req, "group_job", buf, sizeof(buf)) && !parse_id(buf, &f.group_job))
		return api_fail(k, 400, "group_job \"%s\": not a job id", buf);
	if (api_query(k->req, "limit", buf, sizeof(buf)))
		f.limit = atoi(buf);
	arr = json_array();
	return api_list(k, "jobs", arr, jobs_each(k->c->store, &f, append_job, arr));
}

int api_jobs_create(struct api_call *k)
{
	char type[32], host[STORE_NAME_MAX + 1], group[STORE_NAME_MAX + 1];
	char image[STORE_NAME_MAX + 1];
	int t, rc, n = 0;
	int64_t id = 0;
	struct job j;

	if ((rc = api_str(k, "type", type, sizeof(type))) > 1 ||
	    (rc = api_str(k, "host", host, sizeof(host))) > 1 ||
	    (rc = api_str(k, "group", group, sizeof(group))) > 1 ||
	    (rc = api_str(k, "image", image, sizeof(image))) > 1)
		return rc;
	if ((t = job_type_from_name(type)) < 0)
		return api_fail(k, 400, "type \"%s\": expected deploy, capture, register, wipe"
				" or debug", type);
	if ((host[0] != '\0') == (group[0] != '\0'))
		return api_fail(k, 400, "give exactly one of \"host\" and \"group\"");
	if (host[0]) {
		struct host h;

		if ((rc = store_host_get(k->c->store, host, &h)) < 0 ||
		    (rc = jobs_create(k->c->store, h.mac, (enum job_type)t, image, 0,
				      k->req->now_ms, &id)) < 0 ||
		    (rc = jobs_get(k->c->store, id, &j)) < 0)
			return api_store_fail(k, rc);
		control_mark(k->c, h.mac);
		k->out = api_job_json(&j);
		return 201;
	}
	if ((rc = jobs_create_group(k->c->store, group, (enum job_type)t, image,
				    k->req->now_ms, &id, &n)) < 0)
		return api_store_fail(k, rc);
	control_mark_all(k->c);
	k->out = json_pack("{s:I, s:s, s:i}", "group_job", (json_int_t)id, "group", group,
			   "jobs", n);
	return 201;
}

int api_jobs_get(struct api_call *k)
{
	struct job j;
	int64_t id;
	int rc;

	if ((rc = url_job_id(k, &id)) != 0)
		return rc;
	if ((rc = jobs_get(k->c->store, id, &j)) < 0)
		return api_store_fail(k, rc);
	k->out = api_job_json(&j);
	return 200;
}

int api_jobs_cancel(struct api_call *k)
{
	struct job j;
	int64_t id;
	int rc;

	if ((rc = url_job_id(k, &id)) != 0)
		return rc;
	rc = jobs_set_state(k->c->store, id, JOB_CANCELLED, "cancelled by administrator",
			    k->req->now_ms);
	if (rc == -EINVAL)
		return api_fail(k, 409, "%s", store_error(k->c->store));
	if (rc < 0 || (rc = jobs_get(k->c->store, id, &j)) < 0)
		return api_store_fail(k, rc);
	control_mark(k->c, j.mac);
	k->out = api_job_json(&j);
	return 200;
}

/* ---- imaging OS routes ---- */

/* The job of the URL, and the optional body "mac" must be its host. */
static int os_job(struct api_call *k, struct job *j)
{
	char mac[64], norm[STP_MAC_STRLEN];
	int64_t id;
	int rc;

	if ((rc = url_job_id(k, &id)) != 0)
		return rc;
	if ((rc = jobs_get(k->c->store, id, j)) < 0)
		return api_store_fail(k, rc);
	if ((rc = api_str(k, "mac", mac, sizeof(mac))) > 1)
		return rc;
	if (rc == 1 && (store_norm_mac(k->c->store, mac, norm) < 0 || strcmp(norm, j->mac)))
		return api_fail(k, 403, "job %lld belongs to %s, not %s", (long long)id, j->mac, mac);
	return 0;
}

int api_os_job(struct api_call *k)
{
	char raw[64], mac[STP_MAC_STRLEN];
	struct host h;
	struct job j;
	int rc;

	if (!api_query(k->req, "mac", raw, sizeof(raw)))
		return api_fail(k, 400, "query parameter \"mac\" is required");
	if ((rc = store_norm_mac(k->c->store, raw, mac)) < 0 ||
	    (rc = store_host_get(k->c->store, mac, &h)) < 0 ||
	    (rc = jobs_live_for(k->c->store, mac, &j)) < 0)
		return api_store_fail(k, rc);
	/* Fetching its job is the imaging OS checking in. */
	if (j.state != JOB_RUNNING &&
	    ((rc = jobs_set_state(k->c->store, j.id, JOB_RUNNING, NULL, k->req->now_ms)) < 0 ||
	     (rc = jobs_get(k->c->store, j.id, &j)) < 0))
		return api_store_fail(k, rc);
	if ((rc = store_boot_stage(k->c->store, mac, STAGE_CHECKIN, j.id, k->req->now_ms)) < 0 ||
	    (rc = store_event_add(k->c->store, k->req->now_ms, mac, h.last_ip, "checkin",
				  job_type_name(j.type))) < 0)
		return api_store_fail(k, rc);
	k->out = api_job_json(&j);
	json_object_set_new(k->out, "kernel_args", json_string(h.kernel_args));
	return 200;
}

int api_os_progress(struct api_call *k)
{
	char msg[STORE_MSG_MAX + 1];
	int64_t percent = 0, bytes = 0, rate = 0;
	struct job j;
	int rc;

	if ((rc = os_job(k, &j)) != 0 || (rc = api_int(k, "percent", &percent)) > 1 ||
	    (rc = api_int(k, "bytes", &bytes)) > 1 || (rc = api_int(k, "rate", &rate)) > 1 ||
	    (rc = api_str(k, "message", msg, sizeof(msg))) > 1)
		return rc;
	if (percent < 0 || percent > 100)
		return api_fail(k, 400, "percent %lld: must be 0 to 100", (long long)percent);
	rc = jobs_progress(k->c->store, j.id, (int)percent, bytes, rate, msg[0] ? msg : NULL,
			   k->req->now_ms);
	if (rc == -EINVAL && !job_state_live(j.state))
		return api_fail(k, 409, "%s", store_error(k->c->store));
	if (rc < 0 || (rc = store_boot_stage(k->c->store, j.mac, STAGE_PROGRESS, j.id,
					     k->req->now_ms)) < 0 ||
	    (rc = jobs_get(k->c->store, j.id, &j)) < 0)
		return api_store_fail(k, rc);
	k->out = api_job_json(&j);
	return 200;
}

static int os_finish(struct api_call *k, enum job_state to)
{
	char msg[STORE_MSG_MAX + 1];
	struct job j;
	int rc;

	if ((rc = os_job(k, &j)) != 0 || (rc = api_str(k, "message", msg, sizeof(msg))) > 1)
		return rc;
	rc = jobs_set_state(k->c->store, j.id, to, msg, k->req->now_ms);
	if (rc == -EINVAL)
		return api_fail(k, 409, "%s", store_error(k->c->store));
	if (rc < 0 || (rc = store_boot_stage(k->c->store, j.mac, STAGE_DONE, j.id,
					     k->req->now_ms)) < 0 ||
	    (rc = store_event_add(k->c->store, k->req->now_ms, j.mac, "", job_state_name(to),
				  msg)) < 0 ||
	    (rc = jobs_get(k->c->store, j.id, &j)) < 0)
		return api_store_fail(k, rc);
	control_mark(k->c, j.mac); /* back to the menu */
	k->out = api_job_json(&j);
	return 200;
}

int api_os_done(struct api_call *k)
{
	return os_finish(k, JOB_DONE);
}

int api_os_failed(struct api_call *k)
{
	return os_finish(k, JOB_FAILED);
}
