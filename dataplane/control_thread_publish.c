/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scripts control renders, published as cache objects on top of the
 * files of boot.root: an owned copy of every rendered script, and a new
 * cache version (objcache_derive()) when they changed, at most every
 * 100 ms. Control thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "control_thread.h"
#include "log.h"

#define PUBLISH_EVERY_MS 100

static struct control_object *script_find(struct control_thread *ct, const char *name)
{
	for (size_t i = 0; i < ct->n_scripts; i++)
		if (strcmp(ct->scripts[i].name, name) == 0)
			return &ct->scripts[i];
	return NULL;
}

static void script_drop(struct control_thread *ct, const char *name)
{
	struct control_object *o = script_find(ct, name);

	if (o == NULL)
		return;
	free(o->data);
	*o = ct->scripts[--ct->n_scripts];
}

/* Take ownership of @a src's bytes (the publish list is freed without them). */
static int script_put(struct control_thread *ct, struct control_object *src)
{
	struct control_object *o = script_find(ct, src->name);

	if (o == NULL) {
		if (ct->n_scripts == ct->cap_scripts) {
			size_t cap = ct->cap_scripts ? ct->cap_scripts * 2 : 64;
			void *p = realloc(ct->scripts, cap * sizeof(*ct->scripts));

			if (p == NULL)
				return -ENOMEM;
			ct->scripts = p;
			ct->cap_scripts = cap;
		}
		o = &ct->scripts[ct->n_scripts++];
		memcpy(o->name, src->name, sizeof(o->name));
	} else {
		free(o->data);
	}
	o->data = src->data;
	o->len = src->len;
	src->data = NULL;
	return 0;
}

void control_thread_take_updates(struct control_thread *ct)
{
	struct control_publish pub = { 0 };

	if (control_take_updates(ct->ctl, &pub) <= 0 && pub.n_removed == 0) {
		control_publish_free(&pub);
		return;
	}
	for (size_t i = 0; i < pub.n_removed; i++)
		script_drop(ct, pub.removed[i]);
	for (size_t i = 0; i < pub.n; i++)
		if (script_put(ct, &pub.objs[i]) != 0)
			ct->ctr.publish_errors++;
	control_publish_free(&pub);
	ct->dirty = true;
}

static uint64_t unix_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec;
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
static void flag_boot_stages(struct control_thread *ct, struct objcache *oc)
{
	for (unsigned i = 0; i < objcache_count(oc); i++) {
		const char *name = objcache_at(oc, i)->name;
		size_t n = strlen(name);

		if (n >= 5 && strcmp(name + n - 5, ".ipxe") == 0)
			flag_boot_stage(oc, name);
	}
	if (control_boot_stage_files(ct->ctl, flag_boot_stage, oc) != 0)
		ct->ctr.publish_errors++;
}

/*
 * A new cache version: the files, plus every script no file shadows (an
 * administrator's own boot.ipxe in boot.root wins over the rendered one).
 */
static int publish(struct control_thread *ct, char *err, size_t errlen)
{
	struct stp_object *add = calloc(ct->n_scripts ? ct->n_scripts : 1, sizeof(*add));
	struct cache_glue *cache = ct->io.cache;
	struct objcache *oc;
	unsigned n = 0;
	int rc;

	if (add == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ct->n_scripts; i++) {
		const struct control_object *s = &ct->scripts[i];

		if (objcache_lookup(ct->files, s->name, strlen(s->name)) != NULL)
			continue;
		snprintf(add[n].name, sizeof(add[n].name), "%s", s->name);
		add[n].data = (const uint8_t *)s->data;
		add[n].len = s->len;
		add[n].mtime = unix_s();
		n++;
	}
	rc = objcache_derive(ct->files, add, n, NULL, 0, &cache->alloc, &oc, err, errlen);
	free(add);
	if (rc != 0)
		return rc;
	flag_boot_stages(ct, oc);
	if (cache_glue_publish(cache, oc) != 0) {
		objcache_free(oc);
		snprintf(err, errlen, "too many cache versions still in use by transfers");
		return -EBUSY;
	}
	ct->ctr.publishes++;
	ct->dirty = false;
	return 0;
}

int control_thread_scripts_open(struct control_thread *ct, char *err, size_t errlen)
{
	struct cache_glue *cache = ct->io.cache;

	/* The files alone, sharing the first version's bytes: the base every
	 * script version is derived from. */
	if (objcache_derive(cache->current->oc, NULL, 0, NULL, 0, &cache->alloc, &ct->files,
			    err, errlen) != 0)
		return -1;
	control_thread_take_updates(ct);
	if (publish(ct, err, errlen) != 0)
		return -1;
	log_info("control: %zu scripts rendered and published (cache version %llu)",
		 ct->n_scripts, (unsigned long long)cache->current->gen);
	return 0;
}

void control_thread_scripts_close(struct control_thread *ct)
{
	for (size_t i = 0; i < ct->n_scripts; i++)
		free(ct->scripts[i].data);
	free(ct->scripts);
	ct->scripts = NULL;
	ct->n_scripts = ct->cap_scripts = 0;
	if (ct->files != NULL)
		objcache_free(ct->files);
	ct->files = NULL;
}

void control_thread_publish(struct control_thread *ct, uint64_t now)
{
	char err[OBJCACHE_ERR_MAX];

	if (now - ct->last_publish_ms < PUBLISH_EVERY_MS)
		return;
	ct->last_publish_ms = now;
	/* Changes made through the admin API (its own thread) show up here. */
	control_thread_take_updates(ct);
	if (!ct->dirty)
		return;
	/* A failure is retried every PUBLISH_EVERY_MS: said once, and once
	 * more when it worked, not ten times a second. */
	if (publish(ct, err, sizeof(err)) != 0) {
		ct->ctr.publish_errors++;
		if (ct->publish_blocked_ms == 0) {
			log_err("publishing scripts: %s (retrying)", err);
			ct->publish_blocked_ms = now ? now : 1;
		}
	} else if (ct->publish_blocked_ms != 0) {
		log_info("control: scripts published after %llu ms of retries",
			 (unsigned long long)(now - ct->publish_blocked_ms));
		ct->publish_blocked_ms = 0;
	}
}

int control_thread_reload(struct control_thread *ct, char *err, size_t errlen)
{
	struct cache_glue *cache = ct->io.cache;
	struct objcache *files;

	if (objcache_rebuild(ct->files, cache->root, cache->max_bytes, cache->blksizes,
			     cache->n_blksizes, &cache->alloc, &files, err, errlen) != 0)
		return -1;
	objcache_free(ct->files);
	ct->files = files;
	return publish(ct, err, errlen);
}
