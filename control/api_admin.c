/* SPDX-License-Identifier: BSD-3-Clause */
/* Administrator routes: hosts, groups, images, jobs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_impl.h"

struct host_list {
	struct api_call *k;
	json_t *arr;
};

static int append_host(void *ctx, const struct host *h)
{
	struct host_list *l = ctx;
	int rc;
	json_t *o = api_host_json_inv(l->k, h, &rc);

	if (o == NULL)
		return rc;
	return json_array_append_new(l->arr, o) == 0 ? 0 : -ENOMEM;
}

int api_hosts_list(struct api_call *k)
{
	char group[STORE_NAME_MAX + 1];
	struct host_list l = { k, json_array() };
	int rc;

	rc = store_host_each(k->c->store, api_query(k->req, "group", group, sizeof(group))
			     ? group : NULL, append_host, &l);
	return api_list(k, "hosts", l.arr, rc);
}

/* Fill @a h's settable fields from the body (absent fields stay). */
static int host_fields(struct api_call *k, struct host *h)
{
	static const struct { const char *key; size_t off, size; } f[] = {
		{ "name", offsetof(struct host, name), STORE_NAME_MAX + 1 },
		{ "group", offsetof(struct host, group), STORE_NAME_MAX + 1 },
		{ "image", offsetof(struct host, image), STORE_NAME_MAX + 1 },
		{ "kernel_args", offsetof(struct host, kernel_args), STORE_ARGS_MAX + 1 },
	};
	char buf[STORE_ARGS_MAX + 1];

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		int rc = api_str(k, f[i].key, buf, f[i].size);

		if (rc > 1)
			return rc;
		if (rc == 1 || json_is_null(json_object_get(k->body, f[i].key)))
			memcpy((char *)h + f[i].off, buf, strlen(buf) + 1);
	}
	return 0;
}

int api_hosts_add(struct api_call *k)
{
	char mac[64];
	struct host h;
	int rc;

	memset(&h, 0, sizeof(h));
	h.arch = -1;
	if ((rc = api_str(k, "mac", mac, sizeof(mac))) > 1)
		return rc;
	if (rc == 0)
		return api_fail(k, 400, "field \"mac\" is required");
	if ((rc = store_norm_mac(k->c->store, mac, h.mac)) < 0)
		return api_store_fail(k, rc);
	if ((rc = host_fields(k, &h)) != 0)
		return rc;
	if (h.name[0] == '\0')
		return api_fail(k, 400, "field \"name\" is required");
	if ((rc = store_host_add(k->c->store, &h, k->req->now_ms)) < 0 ||
	    (rc = store_host_get(k->c->store, h.mac, &h)) < 0)
		return api_store_fail(k, rc);
	control_mark(k->c, h.mac);
	k->out = api_host_json(&h);
	return 201;
}

int api_hosts_get(struct api_call *k)
{
	struct host h;
	struct job j;
	int rc = store_host_get(k->c->store, k->arg[0], &h);

	if (rc < 0 || (k->out = api_host_json_inv(k, &h, &rc)) == NULL)
		return api_store_fail(k, rc);
	if (jobs_live_for(k->c->store, h.mac, &j) == 0)
		json_object_set_new(k->out, "job", api_job_json(&j));
	return 200;
}

int api_hosts_update(struct api_call *k)
{
	struct host h;
	int rc = store_host_get(k->c->store, k->arg[0], &h);

	if (rc < 0)
		return api_store_fail(k, rc);
	if (json_object_get(k->body, "mac"))
		return api_fail(k, 400, "field \"mac\" cannot change: delete and add the host");
	if ((rc = host_fields(k, &h)) != 0)
		return rc;
	if ((rc = store_host_update(k->c->store, &h, k->req->now_ms)) < 0 ||
	    (rc = store_host_get(k->c->store, h.mac, &h)) < 0)
		return api_store_fail(k, rc);
	control_mark(k->c, h.mac);
	k->out = api_host_json(&h);
	return 200;
}

int api_hosts_delete(struct api_call *k)
{
	struct host h;
	struct job j;
	int rc = store_host_get(k->c->store, k->arg[0], &h);

	if (rc < 0)
		return api_store_fail(k, rc);
	if (jobs_live_for(k->c->store, h.mac, &j) == 0)
		return api_fail(k, 409, "host %s has live job %lld: cancel it first", h.mac,
				(long long)j.id);
	if ((rc = store_host_delete(k->c->store, h.mac)) < 0)
		return api_store_fail(k, rc);
	control_mark(k->c, h.mac);
	k->out = json_pack("{s:s}", "deleted", h.mac);
	return 200;
}

int api_hosts_import(struct api_call *k)
{
	int n = store_host_import_csv(k->c->store, k->req->body ? k->req->body : "",
				      k->req->body_len, k->req->now_ms);

	if (n < 0)
		return api_store_fail(k, n);
	control_mark_all(k->c);
	k->out = json_pack("{s:i}", "imported", n);
	return 201;
}

static int append_group(void *ctx, const struct group *g)
{
	return json_array_append_new(ctx, json_pack("{s:s, s:s}", "name", g->name,
						    "kernel_args", g->kernel_args));
}

int api_groups_list(struct api_call *k)
{
	json_t *arr = json_array();

	return api_list(k, "groups", arr, store_group_each(k->c->store, append_group, arr));
}

int api_groups_add(struct api_call *k)
{
	struct group g;
	int rc;

	if ((rc = api_str(k, "name", g.name, sizeof(g.name))) > 1 ||
	    (rc = api_str(k, "kernel_args", g.kernel_args, sizeof(g.kernel_args))) > 1)
		return rc;
	if ((rc = store_group_add(k->c->store, &g, k->req->now_ms)) < 0)
		return api_store_fail(k, rc);
	k->out = json_pack("{s:s, s:s}", "name", g.name, "kernel_args", g.kernel_args);
	return 201;
}

/* Delete the group or image named in the URL with @a del; every script
 * may name it (a host's group or image, the menu's image list). */
static int delete_named(struct api_call *k, int (*del)(struct store *s, const char *name))
{
	int rc = del(k->c->store, k->arg[0]);

	if (rc < 0)
		return api_store_fail(k, rc);
	control_mark_all(k->c);
	k->out = json_pack("{s:s}", "deleted", k->arg[0]);
	return 200;
}

int api_groups_delete(struct api_call *k)
{
	return delete_named(k, store_group_delete);
}

static json_t *image_json(const struct image *im)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "name", im->name, "kernel", im->kernel,
			 "initrd", im->initrd, "kernel_args", im->kernel_args);
}

static int append_image(void *ctx, const struct image *im)
{
	return json_array_append_new(ctx, image_json(im));
}

int api_images_list(struct api_call *k)
{
	json_t *arr = json_array();

	return api_list(k, "images", arr, store_image_each(k->c->store, append_image, arr));
}

int api_images_add(struct api_call *k)
{
	struct image im;
	int rc;

	if ((rc = api_str(k, "name", im.name, sizeof(im.name))) > 1 ||
	    (rc = api_str(k, "kernel", im.kernel, sizeof(im.kernel))) > 1 ||
	    (rc = api_str(k, "initrd", im.initrd, sizeof(im.initrd))) > 1 ||
	    (rc = api_str(k, "kernel_args", im.kernel_args, sizeof(im.kernel_args))) > 1)
		return rc;
	if ((rc = store_image_add(k->c->store, &im, k->req->now_ms)) < 0)
		return api_store_fail(k, rc);
	control_mark_all(k->c); /* every menu lists the images */
	k->out = image_json(&im);
	return 201;
}

int api_images_delete(struct api_call *k)
{
	return delete_named(k, store_image_delete);
}
