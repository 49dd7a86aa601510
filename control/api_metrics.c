/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GET /metrics on the admin port, in the Prometheus text format
 * (common/prom.h): first the runtime's families (the counter registry,
 * through control_set_metrics()), then the control core's own:
 *   stampede_hosts{state}                        registered / discovered
 *   stampede_hosts_by_stage{stage}               furthest stage of the latest boot
 *   stampede_jobs{state}                         imaging jobs by state
 *   stampede_boot_stage_duration_seconds{stage}  histogram: from the stage before
 *   stampede_boot_duration_seconds               histogram: first stage to done
 * The gauges are read from the database at each scrape (one indexed
 * query each, and one row per host for the stages); the histograms are
 * kept in memory from the store's stage hook, so they count the boots
 * seen since start, as a Prometheus counter does (a restart is a reset).
 */
#include <stdio.h>

#include "control_impl.h"
#include "prom.h"

#define BOUND_MS(ms) ms,
static const int64_t bounds_ms[CONTROL_HIST_N] = { CONTROL_HIST_BOUNDS_MS(BOUND_MS) };
#define BOUND_S(ms) (ms) / 1000.0,
static const double bounds_s[CONTROL_HIST_N] = { CONTROL_HIST_BOUNDS_MS(BOUND_S) };

static void observe(struct control_hist *h, int64_t ms)
{
	unsigned i = 0;

	while (i < CONTROL_HIST_N && ms > bounds_ms[i])
		i++;
	h->count[i]++;
	h->sum_ms += ms;
}

/* Called by store_boot_stage() with the control mutex held (every store
 * call is), so the histograms need no lock of their own. */
void control_stage_observed(void *ctx, enum boot_stage st, int64_t since_prev_ms,
			    int64_t since_start_ms)
{
	struct control *c = ctx;

	if (since_prev_ms >= 0)
		observe(&c->hists.stage[st], since_prev_ms);
	if (st == STAGE_DONE)
		observe(&c->hists.boot, since_start_ms);
}

static int write_hosts(struct control *c, struct prom_out *o)
{
	int64_t n[2];
	int rc = store_host_counts(c->store, &n[0], &n[1]);
	static const char *const states[2] = { "registered", "discovered" };

	if (rc < 0)
		return rc;
	prom_family(o, "stampede_hosts", "hosts known: registered, or only seen booting "
		    "(discovered)", PROM_GAUGE);
	for (int i = 0; i < 2; i++) {
		const struct prom_label l = { "state", states[i] };

		prom_sample(o, &l, 1, (uint64_t)n[i]);
	}
	return 0;
}

static int count_furthest(void *ctx, const struct boot *b)
{
	uint64_t *n = ctx;

	for (int i = STAGE_N - 1; i >= 0; i--) {
		if (b->at[i]) {
			n[i]++;
			break;
		}
	}
	return 0;
}

static int write_stages(struct control *c, struct prom_out *o)
{
	uint64_t n[STAGE_N] = { 0 };
	int rc = store_boot_each_latest(c->store, count_furthest, n);

	if (rc < 0)
		return rc;
	prom_family(o, "stampede_hosts_by_stage", "hosts by the furthest boot stage their "
		    "latest boot reached", PROM_GAUGE);
	for (int i = 0; i < STAGE_N; i++) {
		const struct prom_label l = { "stage", store_stage_name((enum boot_stage)i) };

		prom_sample(o, &l, 1, n[i]);
	}
	return 0;
}

static int write_jobs(struct control *c, struct prom_out *o)
{
	int64_t n[JOB_STATE_N];
	int rc = jobs_count_by_state(c->store, n);

	if (rc < 0)
		return rc;
	prom_family(o, "stampede_jobs", "imaging jobs by state", PROM_GAUGE);
	for (int i = 0; i < JOB_STATE_N; i++) {
		const struct prom_label l = { "state", job_state_name((enum job_state)i) };

		prom_sample(o, &l, 1, (uint64_t)n[i]);
	}
	return 0;
}

static void write_hist(struct prom_out *o, const struct prom_label *l, unsigned n_labels,
		       const struct control_hist *h)
{
	const struct prom_hist ph = { bounds_s, CONTROL_HIST_N, h->count,
				      (double)h->sum_ms / 1000.0 };

	prom_histogram(o, l, n_labels, &ph);
}

static void write_hists(const struct control_boot_hists *hs, struct prom_out *o)
{
	prom_family(o, "stampede_boot_stage_duration_seconds",
		    "time a boot took to reach each stage from the stage before it that it "
		    "reached, for the boots seen since start", PROM_HISTOGRAM);
	for (int i = 0; i < STAGE_N; i++) {
		const struct prom_label l = { "stage", store_stage_name((enum boot_stage)i) };

		write_hist(o, &l, 1, &hs->stage[i]);
	}
	prom_family(o, "stampede_boot_duration_seconds",
		    "time from a boot's first stage to done, for the boots seen since start",
		    PROM_HISTOGRAM);
	write_hist(o, NULL, 0, &hs->boot);
}

int api_metrics(struct api_call *k)
{
	struct prom_out o;
	int rc;

	/* The dataplane passes only /api/ up, and an upcall answer could not
	 * hold the text anyway: the admin port is the one place to scrape. */
	if (k->req->source != API_SRC_ADMIN)
		return api_fail(k, 404, "no such resource %.200s", k->req->path);
	prom_init(&o);
	if (k->c->metrics != NULL)
		k->c->metrics(k->c->metrics_ctx, &o);
	if ((rc = write_hosts(k->c, &o)) < 0 || (rc = write_stages(k->c, &o)) < 0 ||
	    (rc = write_jobs(k->c, &o)) < 0) {
		prom_free(&o);
		return api_store_fail(k, rc);
	}
	write_hists(&k->c->hists, &o);
	k->text = prom_take(&o, &k->text_len);
	if (k->text == NULL)
		return api_fail(k, 500, "out of memory");
	k->text_type = PROM_CONTENT_TYPE;
	return 200;
}
