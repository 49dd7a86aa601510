/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry's walks and the reports built on them: the text of
 * SIGUSR1 and exit, the JSON of the API, the Prometheus text of /metrics
 * (stats.h).
 */
#include "stats.h"

#include <jansson.h>
#include <string.h>

#include "prom.h"

static void walk_section(const struct stats_reader *r, const struct stats_visitor *v,
			 void *ctx, const struct stats_at *at, const struct stat_section *s)
{
	uint64_t scratch[STATS_SCRATCH];
	const uint64_t *val = r->values(r->ctx, s->src, at->idx, scratch);

	if (val == NULL)
		return;
	if (v->section != NULL)
		v->section(ctx, at, s);
	for (unsigned i = 0; i < s->n; i++)
		v->value(ctx, at, s, &s->v[i], val[s->v[i].slot]);
}

void stats_walk(const struct stats_reader *r, const struct stats_visitor *v, void *ctx)
{
	unsigned i = 0;

	while (i < stats_n_sections) {
		const struct stat_section *s = &stats_sections[i];
		unsigned end = i;

		if (!s->per_lcore) {
			struct stats_at at = { false, 0, 0, 0 };

			walk_section(r, v, ctx, &at, s);
			i++;
			continue;
		}
		/* A run of per-lcore sections: all of them for each worker. */
		while (end < stats_n_sections && stats_sections[end].per_lcore)
			end++;
		for (unsigned w = 0; w < r->n_lcores; w++) {
			struct stats_at at = { true, w, 0, 0 };

			r->lcore(r->ctx, w, &at.lcore_id, &at.queue_id);
			for (unsigned j = i; j < end; j++)
				walk_section(r, v, ctx, &at, &stats_sections[j]);
		}
		i = end;
	}
}

/* Entries [k, end) of @a s that are one family: a run sharing a reason
 * family, or entry k alone. */
static unsigned family_end(const struct stat_section *s, unsigned k)
{
	unsigned end = k + 1;

	if (s->v[k].family == NULL)
		return end;
	while (end < s->n && s->v[end].family != NULL &&
	       strcmp(s->v[end].family, s->v[k].family) == 0)
		end++;
	return end;
}

static void walk_family(const struct stats_reader *r, const struct stats_visitor *v, void *ctx,
			const struct stats_at *at, const struct stat_section *s, unsigned k,
			unsigned end)
{
	uint64_t scratch[STATS_SCRATCH];
	const uint64_t *val = r->values(r->ctx, s->src, at->idx, scratch);

	if (val == NULL)
		return;
	for (unsigned i = k; i < end; i++)
		v->value(ctx, at, s, &s->v[i], val[s->v[i].slot]);
}

void stats_walk_families(const struct stats_reader *r, const struct stats_visitor *v,
			 void *ctx)
{
	for (unsigned i = 0; i < stats_n_sections; i++) {
		const struct stat_section *s = &stats_sections[i];

		for (unsigned k = 0, end; k < s->n; k = end) {
			end = family_end(s, k);
			if (!s->per_lcore) {
				struct stats_at at = { false, 0, 0, 0 };

				walk_family(r, v, ctx, &at, s, k, end);
				continue;
			}
			for (unsigned w = 0; w < r->n_lcores; w++) {
				struct stats_at at = { true, w, 0, 0 };

				r->lcore(r->ctx, w, &at.lcore_id, &at.queue_id);
				walk_family(r, v, ctx, &at, s, k, end);
			}
		}
	}
}

/* ---- text ---- */

struct text_report {
	FILE *out;
	bool open;              /* a line is being written */
	enum stat_line line;    /* which, and for whom */
	bool per_lcore;
	unsigned idx;
};

static void text_head(FILE *out, const struct stats_at *at, enum stat_line line)
{
	switch (line) {
	case STAT_LINE_PORT:
		fputs("stampede: port:", out);
		break;
	case STAT_LINE_FRAMES:
		fprintf(out, "stampede: lcore %u (queue %u):", at->lcore_id, at->queue_id);
		break;
	case STAT_LINE_RATIO:
		fprintf(out, "stampede: lcore %u:", at->lcore_id);
		break;
	case STAT_LINE_TFTP:
		fprintf(out, "stampede: lcore %u tftp:", at->lcore_id);
		break;
	case STAT_LINE_HTTP:
		fprintf(out, "stampede: lcore %u http:", at->lcore_id);
		break;
	case STAT_LINE_DHCP:
		fprintf(out, "stampede: lcore %u dhcp:", at->lcore_id);
		break;
	case STAT_LINE_CONTROL:
		fputs("stampede: control:", out);
		break;
	}
}

static void text_value(void *ctx, const struct stats_at *at, const struct stat_section *s,
		       const struct stat_desc *d, uint64_t v)
{
	struct text_report *t = ctx;

	if (!stats_shown(d, v))
		return;
	/* A line is written when it has something to say, so a section
	 * with nothing to show (no DHCP cost yet) prints no empty line. */
	if (!t->open || t->line != s->line || t->per_lcore != at->per_lcore || t->idx != at->idx) {
		if (t->open)
			fputc('\n', t->out);
		text_head(t->out, at, s->line);
		t->open = true;
		t->line = s->line;
		t->per_lcore = at->per_lcore;
		t->idx = at->idx;
	}
	fprintf(t->out, " %s%s=%llu", s->text_prefix, d->name, (unsigned long long)v);
}

void stats_text(const struct stats_reader *r, FILE *out)
{
	static const struct stats_visitor visit = { NULL, text_value };
	struct text_report t = { out, false, STAT_LINE_PORT, false, 0 };

	stats_walk(r, &visit, &t);
	if (t.open)
		fputc('\n', out);
	fflush(out);
}

/* ---- JSON ---- */

struct json_report {
	json_t *root, *lcores;
	json_t *lcore;          /* the current worker's object */
	unsigned idx;
};

/* The object @a s's values go in (made on first use). */
static json_t *json_target(struct json_report *j, const struct stats_at *at,
			   const struct stat_section *s)
{
	json_t *scope = at->per_lcore ? j->lcore : j->root, *o;

	if (s->json_key == NULL)
		return scope;
	o = json_object_get(scope, s->json_key);
	if (o == NULL) {
		o = json_object();
		json_object_set_new(scope, s->json_key, o);
	}
	return o;
}

static void json_section(void *ctx, const struct stats_at *at, const struct stat_section *s)
{
	struct json_report *j = ctx;

	if (at->per_lcore && (j->lcore == NULL || j->idx != at->idx)) {
		j->lcore = json_object();
		j->idx = at->idx;
		json_object_set_new(j->lcore, "lcore", json_integer(at->lcore_id));
		json_object_set_new(j->lcore, "queue", json_integer(at->queue_id));
		json_array_append_new(j->lcores, j->lcore);
	}
	/* The section's object is there even when all its values are zero. */
	json_target(j, at, s);
}

static void json_value(void *ctx, const struct stats_at *at, const struct stat_section *s,
		       const struct stat_desc *d, uint64_t v)
{
	if (stats_shown_json(s, d, v))
		json_object_set_new(json_target(ctx, at, s), d->name, json_integer((json_int_t)v));
}

void stats_json(const struct stats_reader *r, json_t *root)
{
	static const struct stats_visitor visit = { json_section, json_value };
	struct json_report j = { root, json_array(), NULL, 0 };

	json_object_set_new(root, "lcores", j.lcores);
	stats_walk(r, &visit, &j);
}

/* ---- Prometheus ---- */

char *stats_prom_name(const struct stat_section *s, const struct stat_desc *d, char *out,
		      size_t size)
{
	if (d->family != NULL)
		snprintf(out, size, STATS_PROM_PREFIX "%s", d->family);
	else
		snprintf(out, size, STATS_PROM_PREFIX "%s_%s", s->name, d->name);
	return out;
}

static void prom_value(void *ctx, const struct stats_at *at, const struct stat_section *s,
		       const struct stat_desc *d, uint64_t v)
{
	struct prom_out *out = ctx;
	char name[PROM_NAME_MAX], lcore[12], queue[12];
	struct prom_label l[3];
	unsigned n = 0;

	stats_prom_name(s, d, name, sizeof(name));
	/* Written once per family: the walk keeps a family's samples together. */
	prom_family(out, name, d->family ? stats_family_help(d->family) : d->help,
		    d->kind == STAT_COUNTER ? PROM_COUNTER : PROM_GAUGE);
	snprintf(lcore, sizeof(lcore), "%u", at->lcore_id);
	snprintf(queue, sizeof(queue), "%u", at->queue_id);
	if (at->per_lcore) {
		l[n++] = (struct prom_label){ "lcore", lcore };
		l[n++] = (struct prom_label){ "queue", queue };
	}
	if (d->reason != NULL)
		l[n++] = (struct prom_label){ "reason", d->reason };
	prom_sample(out, l, n, v);
}

void stats_prom(const struct stats_reader *r, struct prom_out *out)
{
	static const struct stats_visitor visit = { NULL, prom_value };

	stats_walk_families(r, &visit, out);
}
