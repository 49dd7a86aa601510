/* SPDX-License-Identifier: BSD-3-Clause */
/* The router: match, authorise, parse, run in a transaction, answer. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_impl.h"

enum route_auth {
	AUTH_NONE,   /* imaging OS */
	AUTH_ADMIN,  /* token for changes; for reads only on the upcall path */
	AUTH_OPEN,   /* anyone reads; the handler shows what AUTH_ADMIN reads
		      * would only when k->admin_read */
	AUTH_METRICS, /* open, or the token when control.metrics_public is false */
};

struct route {
	const char *method;
	const char *pattern;      /* segments; "*" captures one */
	enum route_auth auth;
	bool json_body;           /* parse the body as a JSON object */
	int (*fn)(struct api_call *k);
};

static const struct route routes[] = {
	{ "GET", "/api/v1/job", AUTH_NONE, false, api_os_job },
	{ "POST", "/api/v1/job/*/progress", AUTH_NONE, true, api_os_progress },
	{ "POST", "/api/v1/job/*/done", AUTH_NONE, true, api_os_done },
	{ "POST", "/api/v1/job/*/failed", AUTH_NONE, true, api_os_failed },
	{ "POST", "/api/v1/register", AUTH_NONE, true, api_os_register },
	{ "GET", "/api/v1/hosts", AUTH_ADMIN, false, api_hosts_list },
	{ "POST", "/api/v1/hosts", AUTH_ADMIN, true, api_hosts_add },
	{ "POST", "/api/v1/hosts/import", AUTH_ADMIN, false, api_hosts_import },
	{ "GET", "/api/v1/hosts/*", AUTH_ADMIN, false, api_hosts_get },
	{ "PUT", "/api/v1/hosts/*", AUTH_ADMIN, true, api_hosts_update },
	{ "DELETE", "/api/v1/hosts/*", AUTH_ADMIN, false, api_hosts_delete },
	{ "GET", "/api/v1/groups", AUTH_ADMIN, false, api_groups_list },
	{ "POST", "/api/v1/groups", AUTH_ADMIN, true, api_groups_add },
	{ "DELETE", "/api/v1/groups/*", AUTH_ADMIN, false, api_groups_delete },
	{ "GET", "/api/v1/images", AUTH_ADMIN, false, api_images_list },
	{ "POST", "/api/v1/images", AUTH_ADMIN, true, api_images_add },
	{ "DELETE", "/api/v1/images/*", AUTH_ADMIN, false, api_images_delete },
	{ "GET", "/api/v1/jobs", AUTH_ADMIN, false, api_jobs_list },
	{ "POST", "/api/v1/jobs", AUTH_ADMIN, true, api_jobs_create },
	{ "GET", "/api/v1/jobs/*", AUTH_ADMIN, false, api_jobs_get },
	{ "DELETE", "/api/v1/jobs/*", AUTH_ADMIN, false, api_jobs_cancel },
	/* The counters for anyone on either port (monitoring, the tests); the
	 * boot timelines as any administrator read. */
	{ "GET", "/api/v1/status", AUTH_OPEN, false, api_status },
	{ "HEAD", "/api/v1/status", AUTH_OPEN, false, api_status }, /* the transport drops the body */
	{ "GET", "/api/v1/status/*", AUTH_ADMIN, false, api_status_host },
	{ "GET", "/api/v1/counters", AUTH_ADMIN, false, api_counters },
	/* Prometheus scrapes without credentials unless told to: open by
	 * default (control.metrics_public), the token otherwise. */
	{ "GET", "/metrics", AUTH_METRICS, false, api_metrics },
};

int api_fail(struct api_call *k, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->err, sizeof(k->err), fmt, ap);
	va_end(ap);
	return status;
}

int api_store_fail(struct api_call *k, int rc)
{
	int status = rc == -EINVAL ? 400 : rc == -ENOENT ? 404 : rc == -EEXIST ? 409 : 500;

	return api_fail(k, status, "%s", store_error(k->c->store));
}

/* Match @a path against @a pattern, capturing '*' segments into @a k. */
static bool path_match(const char *pattern, const char *path, struct api_call *k)
{
	int n = 0;

	while (*pattern && *path) {
		if (*pattern == '*') {
			size_t len = strcspn(path, "/");

			if (len == 0 || len >= sizeof(k->argbuf[0]) || n == 2)
				return false;
			memcpy(k->argbuf[n], path, len);
			k->argbuf[n][len] = '\0';
			k->arg[n] = k->argbuf[n];
			n++;
			pattern++;
			path += len;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *pattern == '\0' && *path == '\0';
}

/* Constant time, so the token cannot be guessed byte by byte. */
static bool token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

/* 0 when the request carries the token, else the status refusing it;
 * @a what is refused outright when no token is configured. */
static int check_token(struct api_call *k, const char *what)
{
	const char *h = k->req->authorization;

	if (k->c->token[0] == '\0')
		return api_fail(k, 403, "control.token is not set: %s", what);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return api_fail(k, 401, "missing bearer token (Authorization: Bearer ...)");
	if (!token_equal(h + 7, k->c->token))
		return api_fail(k, 401, "wrong bearer token");
	return 0;
}

/* Does @a method change something? */
static bool is_change(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static int authorise(struct api_call *k, const struct route *r)
{
	bool change = is_change(r->method);
	int status;

	if (r->auth == AUTH_NONE)
		return 0;
	if (r->auth == AUTH_METRICS)
		return k->c->metrics_token
			? check_token(k, "/metrics is private (control.metrics_public: false)"
				      " and nobody can read it")
			: 0;
	if (!change && k->req->source == API_SRC_ADMIN) {
		k->admin_read = true;
		return 0;
	}
	status = check_token(k, change ? "administrator changes are disabled"
				       : "administrator reads over the boot network are disabled");
	k->admin_read = !change && status == 0;
	if (r->auth == AUTH_OPEN) {
		k->err[0] = '\0';
		return 0;
	}
	return status;
}

static int parse_body(struct api_call *k)
{
	json_error_t je;

	if (k->req->body_len == 0)
		return api_fail(k, 400, "a JSON object body is required");
	k->body = json_loadb(k->req->body, k->req->body_len, JSON_REJECT_DUPLICATES, &je);
	if (k->body == NULL)
		return api_fail(k, 400, "bad JSON at line %d column %d: %s", je.line, je.column,
				je.text);
	if (!json_is_object(k->body))
		return api_fail(k, 400, "the body must be a JSON object");
	return 0;
}

/* Route and run; the transaction brackets the handler only. */
static int dispatch(struct api_call *k)
{
	const struct api_request *req = k->req;
	const struct route *r = NULL;
	bool path_known = false;
	int status, rc;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!path_match(routes[i].pattern, req->path, k))
			continue;
		path_known = true;
		if (strcmp(routes[i].method, req->method) == 0) {
			r = &routes[i];
			break;
		}
	}
	if (r == NULL)
		return path_known ? api_fail(k, 405, "method %.16s not allowed on %.200s",
					     req->method, req->path)
				  : api_fail(k, 404, "no such resource %.200s", req->path);
	if ((status = authorise(k, r)) != 0)
		return status;
	if (req->body_len > API_BODY_MAX)
		return api_fail(k, 413, "body of %zu bytes is over the limit of %u",
				req->body_len, API_BODY_MAX);
	if (r->json_body && (status = parse_body(k)) != 0)
		return status;
	if ((rc = store_begin(k->c->store)) < 0)
		return api_store_fail(k, rc);
	status = r->fn(k);
	if (status >= 400) {
		store_rollback(k->c->store);
		return status;
	}
	if ((rc = store_commit(k->c->store)) < 0) {
		store_rollback(k->c->store);
		return api_store_fail(k, rc);
	}
	/* An image may have changed: match fetched objects against the new set. */
	if (is_change(r->method))
		k->c->img_stale = true;
	return status;
}

static void answer(struct api_response *resp, int status, json_t *j)
{
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (resp->body == NULL) {
		resp->status = 500;
		resp->body = strdup("{\"error\":\"out of memory\"}");
	}
	resp->body_len = resp->body ? strlen(resp->body) : 0;
}

int api_handle(struct control *c, const struct api_request *req, struct api_response *resp)
{
	struct api_call k;
	int status;

	memset(&k, 0, sizeof(k));
	memset(resp, 0, sizeof(*resp));
	k.c = c;
	k.req = req;
	if (req->method == NULL || req->path == NULL) {
		status = api_fail(&k, 400, "no method or path");
	} else {
		pthread_mutex_lock(&c->lock);
		status = dispatch(&k);
		pthread_mutex_unlock(&c->lock);
	}
	if (status >= 400) {
		json_t *e = json_pack("{s:s}", "error", k.err);

		answer(resp, status, e);
		json_decref(e);
	} else if (k.text != NULL) {
		resp->status = status;
		resp->content_type = k.text_type;
		resp->body = k.text;
		resp->body_len = k.text_len;
		k.text = NULL; /* the response owns it now */
	} else {
		answer(resp, status, k.out ? k.out : json_object());
	}
	free(k.text);
	json_decref(k.out);
	json_decref(k.body);
	return resp->status;
}

void api_response_free(struct api_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

/* ---- field helpers ---- */

int api_str(struct api_call *k, const char *key, char *out, size_t size)
{
	json_t *v = k->body ? json_object_get(k->body, key) : NULL;

	out[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return api_fail(k, 400, "field \"%s\": expected a string", key);
	if (json_string_length(v) >= size || strlen(json_string_value(v)) != json_string_length(v))
		return api_fail(k, 400, "field \"%s\": longer than %zu bytes or contains NUL",
				key, size - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 1;
}

int api_list(struct api_call *k, const char *key, json_t *arr, int rc)
{
	if (rc < 0) {
		json_decref(arr);
		return api_store_fail(k, rc);
	}
	k->out = json_pack("{s:o}", key, arr);
	return 200;
}

int api_int(struct api_call *k, const char *key, int64_t *out)
{
	json_t *v = k->body ? json_object_get(k->body, key) : NULL;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return api_fail(k, 400, "field \"%s\": expected an integer", key);
	*out = json_integer_value(v);
	return 1;
}

static int hexval(int ch)
{
	return isdigit(ch) ? ch - '0' : isxdigit(ch) ? tolower(ch) - 'a' + 10 : -1;
}

bool api_query(const struct api_request *req, const char *key, char *out, size_t size)
{
	const char *q = req->query;
	size_t kl = strlen(key);

	while (q && *q) {
		const char *end = q + strcspn(q, "&");

		if ((size_t)(end - q) > kl && strncmp(q, key, kl) == 0 && q[kl] == '=') {
			size_t n = 0;

			for (const char *p = q + kl + 1; p < end && n + 1 < size; p++) {
				if (*p == '%' && end - p > 2 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
					out[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
					p += 2;
				} else {
					out[n++] = *p == '+' ? ' ' : *p;
				}
			}
			out[n] = '\0';
			return true;
		}
		q = *end ? end + 1 : end;
	}
	return false;
}

json_t *api_host_json(const struct host *h)
{
	return json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:i, s:s?, s:b, s:I, s:I}",
			 "mac", h->mac, "name", h->name[0] ? h->name : NULL,
			 "group", h->group[0] ? h->group : NULL,
			 "image", h->image[0] ? h->image : NULL, "kernel_args", h->kernel_args,
			 "arch", h->arch, "last_ip", h->last_ip[0] ? h->last_ip : NULL,
			 "discovered", h->discovered, "created", (json_int_t)h->created,
			 "updated", (json_int_t)h->updated);
}

json_t *api_host_json_inv(struct api_call *k, const struct host *h, int *rc)
{
	json_t *o, *inv;
	char *text;

	if ((*rc = store_host_inventory(k->c->store, h->mac, &text)) < 0)
		return NULL;
	/* Stored by api_os_register() from a parsed body: always an object. */
	inv = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	o = api_host_json(h);
	if (o == NULL || json_object_set_new(o, "inventory", inv ? inv : json_object()) < 0) {
		json_decref(o);
		*rc = store_fail(k->c->store, -ENOMEM, "out of memory");
		return NULL;
	}
	return o;
}

json_t *api_job_json(const struct job *j)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s?, s:s, s:i, s:I, s:I, s:s, s:I, s:I}",
			      "id", (json_int_t)j->id, "mac", j->mac, "type",
			      job_type_name(j->type), "image", j->image[0] ? j->image : NULL,
			      "state", job_state_name(j->state), "percent", j->percent,
			      "bytes", (json_int_t)j->bytes, "rate", (json_int_t)j->rate,
			      "message", j->message, "created", (json_int_t)j->created,
			      "updated", (json_int_t)j->updated);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "started", j->started ? json_integer(j->started) : json_null());
	json_object_set_new(o, "finished", j->finished ? json_integer(j->finished) : json_null());
	json_object_set_new(o, "group_job", j->group_job ? json_integer(j->group_job) : json_null());
	/* Job slots: when the running slot lease began, and the queue order. */
	json_object_set_new(o, "slot_at", j->slot_at ? json_integer(j->slot_at) : json_null());
	json_object_set_new(o, "enqueued", json_integer(j->enqueued));
	return o;
}
