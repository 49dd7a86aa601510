/* SPDX-License-Identifier: BSD-3-Clause */
/* control_take_updates(): the scripts the glue publishes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_impl.h"

struct pub {
	struct control *c;
	struct control_publish *p;
	size_t cap, cap_rm;
};

static int add_obj(struct pub *u, const char *name, char *data, long len)
{
	struct control_publish *p = u->p;

	if (len < 0) {
		free(data);
		return (int)len;
	}
	if (p->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct control_object *o = realloc(p->objs, cap * sizeof(*o));

		if (o == NULL) {
			free(data);
			return -ENOMEM;
		}
		p->objs = o;
		u->cap = cap;
	}
	snprintf(p->objs[p->n].name, OBJ_NAME_MAX, "%s", name);
	p->objs[p->n].data = data;
	p->objs[p->n++].len = (size_t)len;
	return 0;
}

static int add_removed(struct pub *u, const char *name)
{
	struct control_publish *p = u->p;

	if (p->n_removed == u->cap_rm) {
		size_t cap = u->cap_rm ? u->cap_rm * 2 : 8;
		char (*r)[OBJ_NAME_MAX] = realloc(p->removed, cap * sizeof(*r));

		if (r == NULL)
			return -ENOMEM;
		p->removed = r;
		u->cap_rm = cap;
	}
	snprintf(p->removed[p->n_removed++], OBJ_NAME_MAX, "%s", name);
	return 0;
}

/* The cache object of @a mac's script. */
static void script_name(char name[OBJ_NAME_MAX], const char *mac)
{
	snprintf(name, OBJ_NAME_MAX, "boot/%s.ipxe", mac);
}

static int publish_host(void *ctx, const struct host *h)
{
	struct pub *u = ctx;
	char name[OBJ_NAME_MAX], *data = NULL;
	long n = control_render_host(u->c, h, &data);

	script_name(name, h->mac);
	return add_obj(u, name, data, n);
}

static int publish_fixed(struct pub *u)
{
	char *chain = malloc(512), *def = NULL;
	long n;

	if (chain == NULL)
		return -ENOMEM;
	n = menu_chain_script(u->c->server, chain, 512);
	if ((n = add_obj(u, u->c->boot_script, chain, n)) < 0)
		return (int)n;
	n = control_render_host(u->c, NULL, &def);
	return add_obj(u, MENU_DEFAULT_OBJECT, def, n);
}

static int publish_dirty(struct pub *u)
{
	struct control *c = u->c;

	for (size_t i = 0; i < c->n_dirty; i++) {
		char name[OBJ_NAME_MAX];
		struct host h;
		int rc = store_host_get(c->store, c->dirty[i], &h);

		if (rc == 0)
			rc = publish_host(u, &h);
		else if (rc == -ENOENT) {
			script_name(name, c->dirty[i]);
			rc = add_removed(u, name);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

void control_publish_free(struct control_publish *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->objs[i].data);
	free(p->objs);
	free(p->removed);
	memset(p, 0, sizeof(*p));
}

int control_take_updates(struct control *c, struct control_publish *out)
{
	struct pub u = { c, out, 0, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&c->lock);
	if (!c->all_dirty && c->n_dirty == 0) {
		pthread_mutex_unlock(&c->lock);
		return 0; /* the common case after a batch: no SQL at all */
	}
	/* A read transaction: one consistent snapshot of every script. */
	if ((rc = store_begin(c->store)) == 0) {
		if (c->all_dirty)
			rc = publish_fixed(&u);
		if (rc == 0)
			rc = c->all_dirty ? store_host_each(c->store, NULL, publish_host, &u)
					  : publish_dirty(&u);
		store_rollback(c->store);
	}
	if (rc >= 0) {
		c->all_dirty = false;
		c->n_dirty = 0;
		rc = (int)(out->n + out->n_removed);
	} else {
		control_publish_free(out);
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}
