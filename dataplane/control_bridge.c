/* SPDX-License-Identifier: BSD-3-Clause */
#include "control_bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "api.h"
#include "http_parse.h"
#include "log.h"

#define PUBLISH_EVERY_MS 100

static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static struct control_object *script_find(struct control_bridge *b, const char *name)
{
	for (size_t i = 0; i < b->n_scripts; i++)
		if (strcmp(b->scripts[i].name, name) == 0)
			return &b->scripts[i];
	return NULL;
}

static void script_drop(struct control_bridge *b, const char *name)
{
	struct control_object *o = script_find(b, name);

	if (o == NULL)
		return;
	free(o->data);
	*o = b->scripts[--b->n_scripts];
}

/* Take ownership of @a src's bytes (the publish list is freed without them). */
static int script_put(struct control_bridge *b, struct control_object *src)
{
	struct control_object *o = script_find(b, src->name);

	if (o == NULL) {
		if (b->n_scripts == b->cap_scripts) {
			size_t cap = b->cap_scripts ? b->cap_scripts * 2 : 64;
			void *p = realloc(b->scripts, cap * sizeof(*b->scripts));

			if (p == NULL)
				return -ENOMEM;
			b->scripts = p;
			b->cap_scripts = cap;
		}
		o = &b->scripts[b->n_scripts++];
		memcpy(o->name, src->name, sizeof(o->name));
	} else {
		free(o->data);
	}
	o->data = src->data;
	o->len = src->len;
	src->data = NULL;
	return 0;
}

/* Apply what control rendered since the last call to the owned set. */
static void take_updates(struct control_bridge *b)
{
	struct control_publish pub = { 0 };

	if (control_take_updates(b->ctl, &pub) <= 0 && pub.n_removed == 0) {
		control_publish_free(&pub);
		return;
	}
	for (size_t i = 0; i < pub.n_removed; i++)
		script_drop(b, pub.removed[i]);
	for (size_t i = 0; i < pub.n; i++)
		if (script_put(b, &pub.objs[i]) != 0)
			b->publish_errors++;
	control_publish_free(&pub);
	b->dirty = true;
}

static void flag_boot_stage(void *ctx, const char *name)
{
	objcache_set_flags(ctx, name, OBJ_F_BOOT_STAGE); /* -ENOENT: not in boot.root */
}

/*
 * Flag what a boot fetches as a stage (scripts, the imaging OS's kernel
 * and initrd) in @a oc, not yet published: the workers report those
 * downloads to control and only count the rest.
 */
static void flag_boot_stages(struct control_bridge *b, struct objcache *oc)
{
	for (unsigned i = 0; i < objcache_count(oc); i++) {
		const char *name = objcache_at(oc, i)->name;
		size_t n = strlen(name);

		if (n >= 5 && strcmp(name + n - 5, ".ipxe") == 0)
			flag_boot_stage(oc, name);
	}
	if (control_boot_stage_files(b->ctl, flag_boot_stage, oc) != 0)
		b->publish_errors++;
}

/*
 * A new cache version: the files, plus every script no file shadows (an
 * administrator's own boot.ipxe in boot.root wins over the rendered one).
 */
static int publish(struct control_bridge *b, char *err, size_t errlen)
{
	struct stp_object *add = calloc(b->n_scripts ? b->n_scripts : 1, sizeof(*add));
	struct objcache *oc;
	unsigned n = 0;
	int rc;

	if (add == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_scripts; i++) {
		const struct control_object *s = &b->scripts[i];

		if (objcache_lookup(b->files, s->name, strlen(s->name)) != NULL)
			continue;
		snprintf(add[n].name, sizeof(add[n].name), "%s", s->name);
		add[n].data = (const uint8_t *)s->data;
		add[n].len = s->len;
		add[n].mtime = (uint64_t)(now_ms() / 1000);
		n++;
	}
	rc = objcache_derive(b->files, add, n, NULL, 0, &b->cache->alloc, &oc, err, errlen);
	free(add);
	if (rc != 0)
		return rc;
	flag_boot_stages(b, oc);
	if (cache_glue_publish(b->cache, oc) != 0) {
		objcache_free(oc);
		snprintf(err, errlen, "too many cache versions still in use by transfers");
		return -EBUSY;
	}
	b->publishes++;
	b->dirty = false;
	return 0;
}

int control_bridge_open(struct control_bridge *b, const struct stp_config *cfg,
			struct cache_glue *cache, char *err, size_t errlen)
{
	struct control_params p = {
		.database = cfg->control.database, .server_addr = cfg->port.addr,
		.http_port = cfg->boot.http_port, .boot_script = cfg->boot.script,
		.token = cfg->control.token, .config_dir = cfg->control.config_dir,
	};

	memset(b, 0, sizeof(*b));
	b->cache = cache;
	if (control_open(&p, &b->ctl, err, errlen) != 0)
		return -1;
	if (cfg->control.api_enabled) {
		char ip[STP_IPV4_STRLEN];

		if (admin_http_start(b->ctl, cfg->control.api_addr, cfg->control.api_port,
				     &b->admin, err, errlen) != 0)
			return -1;
		log_info("admin API on http://%s:%u/api/v1/ (%s)",
			 ipv4_format(cfg->control.api_addr, ip), admin_http_port(b->admin),
			 cfg->control.token[0] ? "changes need the bearer token"
					       : "read-only: no control.token set");
	}
	/* The files alone, sharing the first version's bytes: the base every
	 * script version is derived from. */
	if (objcache_derive(cache->current->oc, NULL, 0, NULL, 0, &cache->alloc, &b->files,
			    err, errlen) != 0)
		return -1;
	take_updates(b);
	if (publish(b, err, errlen) != 0)
		return -1;
	log_info("control: %zu scripts rendered and published (cache version %llu)",
		 b->n_scripts, (unsigned long long)cache->current->gen);
	return 0;
}

void control_bridge_close(struct control_bridge *b)
{
	for (size_t i = 0; i < b->n_scripts; i++)
		free(b->scripts[i].data);
	free(b->scripts);
	if (b->admin != NULL)
		admin_http_stop(b->admin);
	if (b->files != NULL)
		objcache_free(b->files);
	if (b->ctl != NULL)
		control_close(b->ctl);
	memset(b, 0, sizeof(*b));
}

static enum control_client client_of(uint8_t kind)
{
	return kind == DHCP_CLIENT_PXE ? CONTROL_CLIENT_FIRMWARE
	       : kind == DHCP_CLIENT_IPXE ? CONTROL_CLIENT_IPXE : CONTROL_CLIENT_OTHER;
}

void control_bridge_event(struct control_bridge *b, const struct stp_event *e)
{
	int64_t t = now_ms();
	char name[STP_EV_NAME_MAX + 1];

	switch (e->type) {
	case STP_EV_DHCP:
		/* Our own ACK, or in proxy mode the other server's lease a
		 * client we boot took: either is the boot's DHCP stage. */
		if (e->u.dhcp.type == DHCP_EV_BOUND || e->u.dhcp.type == DHCP_EV_PROXY_LEASE)
			control_on_dhcp_lease(b->ctl, &e->u.dhcp.mac, e->u.dhcp.ip,
					      client_of(e->u.dhcp.client_kind),
					      e->u.dhcp.arch == 0xffff ? -1 : e->u.dhcp.arch, t);
		break;
	case STP_EV_TFTP_DONE:
	case STP_EV_HTTP_GET:
		memcpy(name, e->u.xfer.name, STP_EV_NAME_MAX);
		name[STP_EV_NAME_MAX] = '\0';
		if (e->type == STP_EV_TFTP_DONE)
			control_on_tftp_done(b->ctl, &e->u.xfer.mac, e->u.xfer.ip, name, t);
		else
			control_on_http_fetch(b->ctl, e->u.xfer.ip, name, t);
		break;
	default:
		return;
	}
	take_updates(b);
}

static const char *method_name(uint8_t m)
{
	static const char *const names[] = {
#define X(name, text) [HTTP_M_##name] = text,
		HTTP_METHODS(X)
#undef X
	};

	return m < HTTP_M_N ? names[m] : "OTHER";
}

void control_bridge_answer_too_big(struct upcall_msg *m)
{
	static const char big[] = "{\"error\":\"answer larger than an upcall message\"}\n";

	m->status = 500;
	m->json = 1;
	memcpy(m->data, big, sizeof(big) - 1);
	m->data_len = sizeof(big) - 1;
}

/* The API's answer @a resp into the upcall message going back. */
static void answer_upcall(struct upcall_msg *m, const struct api_response *resp)
{
	if (resp->body_len >= UPCALL_DATA_MAX) {
		control_bridge_answer_too_big(m);
		return;
	}
	m->status = (uint16_t)resp->status;
	m->json = resp->content_type != NULL && strstr(resp->content_type, "json") != NULL;
	m->data_len = (uint32_t)resp->body_len;
	if (resp->body_len > 0)
		memcpy(m->data, resp->body, resp->body_len);
}

void control_bridge_api(struct control_bridge *b, struct upcall_msg *m)
{
	char target[UPCALL_TARGET_MAX + 1], *q;
	struct api_request req = { .method = method_name(m->method), .source = API_SRC_UPCALL };
	struct api_response resp = { 0 };

	memcpy(target, m->target, m->target_len);
	target[m->target_len] = '\0';
	q = strchr(target, '?');
	if (q != NULL)
		*q++ = '\0';
	req.path = target;
	req.query = q;
	req.body = m->data_len ? (const char *)m->data : NULL;
	req.body_len = m->data_len;
	req.now_ms = now_ms();
	api_handle(b->ctl, &req, &resp);
	b->api_calls++;
	answer_upcall(m, &resp);
	api_response_free(&resp);
	take_updates(b);
}

void control_bridge_publish(struct control_bridge *b, uint64_t now)
{
	char err[OBJCACHE_ERR_MAX];

	if (now - b->last_publish_ms < PUBLISH_EVERY_MS)
		return;
	b->last_publish_ms = now;
	/* Changes made through the admin API (its own thread) show up here. */
	take_updates(b);
	if (!b->dirty)
		return;
	if (publish(b, err, sizeof(err)) != 0) {
		b->publish_errors++;
		log_err("publishing scripts: %s", err);
	}
}

int control_bridge_reload(struct control_bridge *b, char *err, size_t errlen)
{
	struct objcache *files;

	if (objcache_rebuild(b->files, b->cache->root, b->cache->max_bytes, b->cache->blksizes,
			     b->cache->n_blksizes, &b->cache->alloc, &files, err, errlen) != 0)
		return -1;
	objcache_free(b->files);
	b->files = files;
	return publish(b, err, errlen);
}
