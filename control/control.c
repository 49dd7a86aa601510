/* SPDX-License-Identifier: BSD-3-Clause */
/* The control object: open/close, worker events, script rendering. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_impl.h"

static void slot_changed(void *ctx, const char *mac);

int control_open(const struct control_params *p, struct control **out, char *err,
		 size_t errlen)
{
	struct control *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	snprintf(c->config_dir, sizeof(c->config_dir), "%s", p->config_dir ? p->config_dir : ".");
	menu_server(p->server_addr, p->http_port, c->server, sizeof(c->server));
	c->http_port = p->http_port;
	snprintf(c->boot_script, sizeof(c->boot_script), "%s",
		 p->boot_script ? p->boot_script : "boot.ipxe");
	snprintf(c->token, sizeof(c->token), "%s", p->token ? p->token : "");
	snprintf(c->default_kernel, sizeof(c->default_kernel), "%s",
		 p->default_kernel ? p->default_kernel : "bzImage");
	snprintf(c->default_initrd, sizeof(c->default_initrd), "%s",
		 p->default_initrd ? p->default_initrd : "init.xz");
	c->all_dirty = true;
	c->img_stale = true;
	atomic_init(&c->in_batch, false);
	if ((rc = menu_load(c->config_dir, &c->tmpl, err, errlen)) < 0)
		goto err_free;
	if (store_open(p->database, &c->store, err, errlen) < 0) {
		rc = -EIO;
		goto err_free;
	}
	store_set_events_max(c->store, p->events_max > 0 ? p->events_max
							 : STORE_EVENTS_MAX_DEFAULT);
	store_set_stage_hook(c->store, control_stage_observed, c);
	c->metrics_token = p->metrics_token;
	c->max_active = p->max_active;
	c->slot_timeout_s = p->slot_timeout_s ? p->slot_timeout_s : JOBS_SLOT_TIMEOUT_DEFAULT_S;
	/* Slots granted or taken back change those hosts' scripts. The
	 * first control_tick() settles what a restart changed (a new limit,
	 * leases that ran out while stopped). */
	jobs_slots_set(c->store, c->max_active, (int64_t)c->slot_timeout_s * 1000, slot_changed,
		       c);
	*out = c;
	return 0;

err_free:
	menu_free(c->tmpl);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return rc;
}

void control_close(struct control *c)
{
	if (c == NULL)
		return;
	store_close(c->store);
	menu_free(c->tmpl);
	pthread_mutex_destroy(&c->lock);
	free(c->img);
	free(c);
}

void control_mark(struct control *c, const char *mac)
{
	if (c->all_dirty)
		return;
	for (size_t i = 0; i < c->n_dirty; i++)
		if (strcmp(c->dirty[i], mac) == 0)
			return;
	if (c->n_dirty == CONTROL_DIRTY_MAX) {
		c->all_dirty = true; /* a big change: cheaper to redo all */
		return;
	}
	snprintf(c->dirty[c->n_dirty++], STP_MAC_STRLEN, "%s", mac);
}

void control_mark_all(struct control *c)
{
	c->all_dirty = true;
}

/* The store's slot hook: a job entered or left waiting. */
static void slot_changed(void *ctx, const char *mac)
{
	control_mark(ctx, mac);
}

void control_set_counters(struct control *c, control_counters_fn fn, void *ctx)
{
	pthread_mutex_lock(&c->lock);
	c->counters = fn;
	c->counters_ctx = ctx;
	pthread_mutex_unlock(&c->lock);
}

void control_set_metrics(struct control *c, control_metrics_fn fn, void *ctx)
{
	pthread_mutex_lock(&c->lock);
	c->metrics = fn;
	c->metrics_ctx = ctx;
	pthread_mutex_unlock(&c->lock);
}

/* Expire leases and grant free slots in one transaction; the lock held. */
static int slots_work(struct control *c, int64_t now_ms)
{
	bool due = false;
	int rc;

	/* Read first: a write transaction a second for nothing would
	 * contend with the lease store's writes. */
	if ((rc = jobs_slots_due(c->store, now_ms, &due)) < 0 || !due)
		return rc;
	if ((rc = store_begin(c->store)) < 0)
		return rc;
	if ((rc = jobs_slots_expire(c->store, now_ms)) < 0) {
		store_rollback(c->store);
		return rc;
	}
	if (store_commit(c->store) < 0) {
		store_rollback(c->store);
		return -EIO;
	}
	return rc;
}

int control_tick(struct control *c, int64_t now_ms)
{
	int rc;

	/* Leases are seconds long: once a second is exact enough, and most
	 * rounds cost no lock at all. A clock stepped back ticks at once. */
	if (c->last_tick_ms != 0 && now_ms >= c->last_tick_ms &&
	    now_ms - c->last_tick_ms < CONTROL_TICK_MS)
		return 0;
	c->last_tick_ms = now_ms;
	pthread_mutex_lock(&c->lock);
	rc = slots_work(c, now_ms);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int control_reload_template(struct control *c, char *err, size_t errlen)
{
	struct menu_tmpl *t;
	int rc = menu_load(c->config_dir, &t, err, errlen);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&c->lock);
	menu_free(c->tmpl);
	c->tmpl = t;
	c->all_dirty = true;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* ---- worker events ---- */

static void mac_string(const struct mac_addr *m, char out[STP_MAC_STRLEN])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < STP_MAC_LEN; i++) {
		out[i * 3] = hex[m->b[i] >> 4];
		out[i * 3 + 1] = hex[m->b[i] & 15];
		out[i * 3 + 2] = i == STP_MAC_LEN - 1 ? '\0' : ':';
	}
}

/* Stamp @a st for @a mac with the live job's id, and log the event. */
static int stage_and_log(struct control *c, const char *mac, const char *ip,
			 int st, const char *kind, const char *detail, int64_t now)
{
	struct job j;
	int64_t job_id = jobs_live_for(c->store, mac, &j) == 0 ? j.id : 0;
	int rc = 0;

	if (st >= 0)
		rc = store_boot_stage(c->store, mac, (enum boot_stage)st, job_id, now);
	if (rc == 0)
		rc = store_event_add(c->store, now, mac, ip, kind, detail);
	return rc;
}

/* Take the lock, unless this thread's batch holds it. @return in a batch */
static bool enter(struct control *c)
{
	if (atomic_load(&c->in_batch) && pthread_equal(c->batch_owner, pthread_self()))
		return true;
	pthread_mutex_lock(&c->lock);
	return false;
}

static void leave(struct control *c, bool batch)
{
	if (!batch)
		pthread_mutex_unlock(&c->lock);
}

/* Open an event's transaction: a savepoint in the batch's, or its own. */
static int event_begin(struct control *c, bool batch)
{
	return batch ? store_savepoint(c->store, "ev") : store_begin(c->store);
}

/* Take the lock and open the transaction finish() ends; on failure
 * neither is held. */
static int lock_and_begin(struct control *c, bool *batch)
{
	int rc;

	*batch = enter(c);
	if ((rc = event_begin(c, *batch)) < 0)
		leave(c, *batch);
	return rc;
}

/* End @a rc's transaction: commit on success (or -ENOENT, which logged),
 * else roll it back; then release the lock. */
static int finish(struct control *c, bool batch, int rc)
{
	if (rc >= 0 || rc == -ENOENT) {
		int crc = batch ? store_savepoint_release(c->store, "ev") : store_commit(c->store);

		rc = crc < 0 ? crc : rc;
	}
	if (rc < 0 && rc != -ENOENT) {
		if (batch)
			store_savepoint_undo(c->store, "ev");
		else
			store_rollback(c->store);
	}
	leave(c, batch);
	return rc;
}

int control_batch_begin(struct control *c)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	if ((rc = store_begin(c->store)) < 0) {
		pthread_mutex_unlock(&c->lock);
		return rc;
	}
	c->batch_owner = pthread_self();
	atomic_store(&c->in_batch, true);
	return 0;
}

int control_batch_end(struct control *c)
{
	int rc;

	if (!atomic_load(&c->in_batch) || !pthread_equal(c->batch_owner, pthread_self()))
		return -EINVAL;
	atomic_store(&c->in_batch, false);
	if ((rc = store_commit(c->store)) < 0)
		store_rollback(c->store);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Log what a client no host is known for did: -ENOENT once logged (there
 * is no boot to follow), or the error. */
static int log_unknown(struct control *c, const char *ip, const char *kind,
		       const char *detail, int64_t now)
{
	int rc = store_event_add(c->store, now, "", ip, kind, detail);

	return rc == 0 ? -ENOENT : rc;
}

int control_on_dhcp_lease(struct control *c, const struct mac_addr *mac, uint32_t ip,
			  enum control_client kind, int arch, int64_t now_ms)
{
	static const char *const kinds[] = { "firmware", "ipxe", "other" };
	char m[STP_MAC_STRLEN], ipb[STP_IPV4_STRLEN], detail[48];
	struct host before;
	bool batch;
	int known, rc, st = kind == CONTROL_CLIENT_FIRMWARE ? STAGE_FW_DHCP
			    : kind == CONTROL_CLIENT_IPXE ? STAGE_IPXE_DHCP : -1;

	mac_string(mac, m);
	ipv4_format(ip, ipb);
	snprintf(detail, sizeof(detail), "%s arch %d", kinds[(unsigned)kind % 3], arch);
	if ((rc = lock_and_begin(c, &batch)) < 0)
		return rc;
	known = store_host_get(c->store, m, &before);
	rc = store_host_seen(c->store, m, ipb, arch, now_ms);
	if (rc == 0)
		rc = stage_and_log(c, m, ipb, st, "dhcp", detail, now_ms);
	/* A new host needs its script; a new architecture changes it. */
	if (rc == 0 && (known < 0 || (arch >= 0 && before.arch != arch)))
		control_mark(c, m);
	return finish(c, batch, rc);
}

int control_on_tftp_done(struct control *c, const struct mac_addr *mac, uint32_t ip,
			 const char *file, int64_t now_ms)
{
	char m[STP_MAC_STRLEN], ipb[STP_IPV4_STRLEN];
	bool batch;
	int rc;

	ipv4_format(ip, ipb);
	if ((rc = lock_and_begin(c, &batch)) < 0)
		return rc;
	if (mac)
		mac_string(mac, m);
	rc = mac ? 0 : store_host_by_ip(c->store, ipb, m);
	if (rc == 0)
		rc = stage_and_log(c, m, ipb, STAGE_FW_TFTP, "tftp", file, now_ms);
	else if (rc == -ENOENT)
		rc = log_unknown(c, ipb, "tftp", file, now_ms);
	return finish(c, batch, rc);
}

static int add_image_paths(void *ctx, const struct image *im)
{
	struct control *c = ctx;

	if (c->n_img == c->cap_img) {
		size_t cap = c->cap_img ? c->cap_img * 2 : 8;
		struct control_image_paths *v = realloc(c->img, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		c->img = v;
		c->cap_img = cap;
	}
	memcpy(c->img[c->n_img].kernel, im->kernel, sizeof(im->kernel));
	memcpy(c->img[c->n_img].initrd, im->initrd, sizeof(im->initrd));
	c->n_img++;
	return 0;
}

/* The stage a fetch of @a path is among the images, or -1. */
static int image_stage(struct control *c, const char *path)
{
	if (c->img_stale) {
		c->n_img = 0;
		if (store_image_each(c->store, add_image_paths, c) < 0)
			return -1; /* still stale: tried again on the next fetch */
		c->img_stale = false;
	}
	for (size_t i = 0; i < c->n_img; i++) {
		if (strcmp(path, c->img[i].kernel) == 0)
			return STAGE_KERNEL;
		if (strcmp(path, c->img[i].initrd) == 0)
			return STAGE_INITRD;
	}
	return -1;
}

/* The stage a fetch of @a path shows, or -1; *mac_from_path is set for a
 * per-host script, whose name says whose it is. */
static int fetch_stage(struct control *c, const char *path, char mac[STP_MAC_STRLEN],
		       bool *mac_from_path)
{
	size_t n = strlen(path);
	char inner[STP_MAC_STRLEN + 8];

	*mac_from_path = false;
	if (n > 10 && strncmp(path, "boot/", 5) == 0 && strcmp(path + n - 5, ".ipxe") == 0 &&
	    n - 10 < sizeof(inner)) {
		snprintf(inner, sizeof(inner), "%.*s", (int)(n - 10), path + 5);
		*mac_from_path = store_norm_mac(c->store, inner, mac) == 0;
		return STAGE_SCRIPT;
	}
	if (strcmp(path, c->default_kernel) == 0)
		return STAGE_KERNEL;
	if (strcmp(path, c->default_initrd) == 0)
		return STAGE_INITRD;
	return image_stage(c, path);
}

/* The host fetched its script: a queued job is now booting. */
static int script_fetched(struct control *c, const char *mac, int64_t now)
{
	struct job j;
	int rc = jobs_live_for(c->store, mac, &j);

	if (rc == -ENOENT || (rc == 0 && j.state != JOB_QUEUED))
		return 0;
	return rc < 0 ? rc : jobs_set_state(c->store, j.id, JOB_BOOTING, NULL, now);
}

int control_on_http_fetch(struct control *c, uint32_t ip, const char *path, int64_t now_ms)
{
	char m[STP_MAC_STRLEN], ipb[STP_IPV4_STRLEN];
	bool from_path, batch;
	struct host h;
	int st, rc;

	while (*path == '/')
		path++;
	batch = enter(c);
	/* Decided in memory: most objects a storm fetches are no stage. */
	if ((st = fetch_stage(c, path, m, &from_path)) < 0) {
		leave(c, batch);
		return CONTROL_NOT_A_STAGE;
	}
	if ((rc = event_begin(c, batch)) < 0) {
		leave(c, batch);
		return rc;
	}
	ipv4_format(ip, ipb);
	rc = from_path ? store_host_get(c->store, m, &h) : store_host_by_ip(c->store, ipb, m);
	if (rc == -ENOENT)
		return finish(c, batch, log_unknown(c, ipb, "http", path, now_ms));
	if (rc == 0 && st == STAGE_SCRIPT && strcmp(path, c->boot_script) != 0)
		rc = script_fetched(c, m, now_ms);
	if (rc == 0)
		rc = stage_and_log(c, m, ipb, st, "http", path, now_ms);
	return finish(c, batch, rc);
}

/* ---- rendering ---- */

struct images_list {
	struct image *v;
	struct menu_image *mi;
	size_t n, cap;
};

static int collect_image(void *ctx, const struct image *im)
{
	struct images_list *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct image *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *im;
	return 0;
}

static void join_args(char *out, size_t size, const char *a, const char *b, const char *d)
{
	snprintf(out, size, "%s%s%s%s%s", a, a[0] && (b[0] || d[0]) ? " " : "", b,
		 b[0] && d[0] ? " " : "", d);
}

/* Render with the live job (if any) and the image list @a l. */
static long render_with(struct control *c, const struct host *h, const struct images_list *l,
			char **out)
{
	struct menu_ctx x;
	struct image im;
	struct group g;
	struct job j;
	char args[3 * STORE_ARGS_MAX + 4];
	bool has_job = h && jobs_live_for(c->store, h->mac, &j) == 0;
	const char *img = has_job && j.image[0] ? j.image : h && h->image[0] ? h->image : "default";

	memset(&x, 0, sizeof(x));
	x.server = c->server;
	x.http_port = c->http_port;
	x.mac = h ? h->mac : "${net0/mac}";
	x.hostname = h ? h->name : "";
	x.job_id = has_job ? j.id : 0;
	x.job_type = has_job ? job_type_name(j.type) : "";
	x.image = has_job ? j.image : h ? h->image : "";
	x.arch = h ? h->arch : -1;
	x.waiting = has_job && j.state == JOB_WAITING;
	x.wait_s = menu_wait_s(x.mac);
	x.max_active = c->max_active;
	if (store_image_get(c->store, img, &im) < 0) {
		snprintf(im.kernel, sizeof(im.kernel), "%s", c->default_kernel);
		snprintf(im.initrd, sizeof(im.initrd), "%s", c->default_initrd);
		im.kernel_args[0] = '\0';
	}
	if (!h || !h->group[0] || store_group_get(c->store, h->group, &g) < 0)
		g.kernel_args[0] = '\0';
	join_args(args, sizeof(args), im.kernel_args, g.kernel_args, h ? h->kernel_args : "");
	x.kernel = im.kernel;
	x.initrd = im.initrd;
	x.kernel_args = args;
	x.images = l->mi;
	x.n_images = l->n;
	return menu_render(c->tmpl, &x, out);
}

static int load_images(struct control *c, struct images_list *l)
{
	int rc = store_image_each(c->store, collect_image, l);

	if (rc < 0)
		return rc;
	l->mi = calloc(l->n ? l->n : 1, sizeof(*l->mi));
	if (l->mi == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++)
		l->mi[i] = (struct menu_image){ l->v[i].name, l->v[i].kernel, l->v[i].initrd,
						l->v[i].kernel_args };
	return 0;
}

long control_render_host(struct control *c, const struct host *h, char **out)
{
	struct images_list l = { NULL, NULL, 0, 0 };
	long n = load_images(c, &l);

	if (n == 0)
		n = render_with(c, h, &l, out);
	free(l.v);
	free(l.mi);
	return n;
}
