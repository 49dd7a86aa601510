/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which files are boot stages: the imaging OS's kernel and initrd, the
 * default ones and every image's. The glue flags them in each cache
 * version so the fast path reports their downloads and counts the rest.
 */
#include <pthread.h>

#include "control.h"
#include "control_impl.h"

struct stage_walk {
	control_name_fn fn;
	void *ctx;
};

static int each_image(void *ctx, const struct image *im)
{
	struct stage_walk *w = ctx;

	w->fn(w->ctx, im->kernel);
	w->fn(w->ctx, im->initrd);
	return 0;
}

int control_boot_stage_files(struct control *c, control_name_fn fn, void *ctx)
{
	struct stage_walk w = { fn, ctx };
	int rc;

	pthread_mutex_lock(&c->lock);
	fn(ctx, c->default_kernel);
	fn(ctx, c->default_initrd);
	rc = store_image_each(c->store, each_image, &w);
	pthread_mutex_unlock(&c->lock);
	return rc < 0 ? rc : 0;
}
