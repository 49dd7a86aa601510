/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counter registry (dataplane/stats.h): every counter the cores
 * define is in it exactly once, at the slot and under the name the core
 * gives it; names are unique where they are reported; and the text and
 * JSON reports built on the one walk say the same thing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "dhcp_server.h"
#include "http_counters.h"
#include "prom.h"
#include "stats.h"
#include "tcp_counters.h"
#include "tftp_counters.h"
#include "worker_counters.h"

#define MAX_SLOTS 256

static const char *const worker_names[] = {
#define X(name, help) #name,
	WORKER_COUNTERS(X)
#undef X
};

/* How many entries of source @a src name each slot; and the name. */
static void slots_of(enum stat_src src, unsigned count[MAX_SLOTS], const char *name[MAX_SLOTS])
{
	memset(count, 0, MAX_SLOTS * sizeof(count[0]));
	for (unsigned i = 0; i < stats_n_sections; i++) {
		const struct stat_section *s = &stats_sections[i];

		if (s->src != src)
			continue;
		for (unsigned k = 0; k < s->n; k++) {
			assert_true(s->v[k].slot < MAX_SLOTS);
			count[s->v[k].slot]++;
			name[s->v[k].slot] = s->v[k].name;
		}
	}
}

/* Source @a src names slots [first, first + n) exactly once each, as
 * @a names (the core's own table) does, and no slot beyond @a total. */
static void check_core(enum stat_src src, const char *const *names, unsigned first, unsigned n,
		       unsigned total)
{
	unsigned count[MAX_SLOTS];
	const char *name[MAX_SLOTS];

	slots_of(src, count, name);
	for (unsigned i = 0; i < MAX_SLOTS; i++) {
		if (i >= first && i < first + n) {
			if (count[i] != 1)
				fail_msg("source %d slot %u (%s) is in the registry %u times", (int)src,
					 i, names[i - first], count[i]);
			assert_string_equal(name[i], names[i - first]);
		} else if (i >= total && count[i] != 0) {
			fail_msg("source %d slot %u is past the end of its struct", (int)src, i);
		}
	}
}

static void test_cores_covered(void **state)
{
	unsigned nw = sizeof(worker_names) / sizeof(worker_names[0]);
	unsigned drop0 = (unsigned)(offsetof(struct worker_counters, drop) / sizeof(uint64_t));

	(void)state;
	check_core(STAT_SRC_WORKER, worker_names, 0, nw, drop0 + PKT_DROP_COUNT);
	/* Reason 0 is "none": no frame is ever counted there. */
	check_core(STAT_SRC_WORKER, pkt_drop_names + 1, drop0 + 1, PKT_DROP_COUNT - 1,
		   drop0 + PKT_DROP_COUNT);
	check_core(STAT_SRC_TFTP, tftp_counter_names, 0, TFTP_N_COUNTERS, TFTP_N_COUNTERS);
	check_core(STAT_SRC_TCP, tcp_counter_names, 0, TCP_N_COUNTERS, TCP_N_COUNTERS);
	check_core(STAT_SRC_HTTP, http_counter_names, 0, HTTP_N_COUNTERS, HTTP_N_COUNTERS);
	check_core(STAT_SRC_DHCP, dhcp_counter_names, 0, DHCP_N_COUNTERS, DHCP_N_COUNTERS);
}

static void check_dense(enum stat_src src, unsigned n)
{
	unsigned count[MAX_SLOTS];
	const char *name[MAX_SLOTS];

	slots_of(src, count, name);
	for (unsigned i = 0; i < MAX_SLOTS; i++)
		if (count[i] != (i < n ? 1u : 0u))
			fail_msg("source %d slot %u: %u entries", (int)src, i, count[i]);
}

/* The sources read through the X(name, kind, read, help) tables. */
static void test_glue_covered(void **state)
{
	(void)state;
	check_dense(STAT_SRC_PORT, STAT_PORT_N);
	check_dense(STAT_SRC_WORKER_RATIO, STAT_RATIO_N);
	check_dense(STAT_SRC_TFTP_GLUE, STAT_TFTPG_N);
	check_dense(STAT_SRC_TCP_STATE, STAT_TCPS_N);
	check_dense(STAT_SRC_HTTP_GLUE, STAT_HTTPG_N);
	check_dense(STAT_SRC_CONTROL, STAT_CTL_N);
	assert_true(STAT_PORT_N <= STATS_SCRATCH && STAT_TFTPG_N <= STATS_SCRATCH &&
		    STAT_HTTPG_N <= STATS_SCRATCH && STAT_CTL_N <= STATS_SCRATCH);
}

/* Every entry: help, a kind, a reason exactly with a family. */
static void test_entries(void **state)
{
	(void)state;
	for (unsigned i = 0; i < stats_n_sections; i++) {
		const struct stat_section *s = &stats_sections[i];

		assert_true(s->n > 0);
		for (unsigned k = 0; k < s->n; k++) {
			const struct stat_desc *d = &s->v[k];

			assert_non_null(d->name);
			assert_true(d->help != NULL && d->help[0] != '\0');
			assert_true(d->kind == STAT_COUNTER || d->kind == STAT_GAUGE);
			assert_true((d->family == NULL) == (d->reason == NULL));
		}
	}
}

/* Do sections @a a and @a b print on the same text line? */
static bool same_line(const struct stat_section *a, const struct stat_section *b)
{
	return a->line == b->line && a->per_lcore == b->per_lcore;
}

static bool same_object(const struct stat_section *a, const struct stat_section *b)
{
	return a->per_lcore == b->per_lcore &&
	       (a->json_key == b->json_key ||
		(a->json_key && b->json_key && strcmp(a->json_key, b->json_key) == 0));
}

/* No name twice on one text line (with its prefix) or in one JSON object. */
static void test_unique(void **state)
{
	(void)state;
	for (unsigned i = 0; i < stats_n_sections; i++)
		for (unsigned j = i; j < stats_n_sections; j++) {
			const struct stat_section *a = &stats_sections[i], *b = &stats_sections[j];

			for (unsigned x = 0; x < a->n; x++)
				for (unsigned y = (i == j ? x + 1 : 0); y < b->n; y++) {
					char ta[96], tb[96];

					snprintf(ta, sizeof(ta), "%s%s", a->text_prefix, a->v[x].name);
					snprintf(tb, sizeof(tb), "%s%s", b->text_prefix, b->v[y].name);
					if (same_line(a, b) && strcmp(ta, tb) == 0)
						fail_msg("%s twice on one text line", ta);
					if (same_object(a, b) && strcmp(a->v[x].name, b->v[y].name) == 0)
						fail_msg("%s twice in one JSON object", a->v[x].name);
				}
		}
}

/* Per-lcore sections form one run; each text line is one run of
 * sections; the control line comes last (it ends a report). */
static void test_order(void **state)
{
	unsigned runs = 0;

	(void)state;
	for (unsigned i = 0; i < stats_n_sections; i++) {
		if (stats_sections[i].per_lcore && (i == 0 || !stats_sections[i - 1].per_lcore))
			runs++;
		for (unsigned j = i + 2; j < stats_n_sections; j++)
			if (same_line(&stats_sections[i], &stats_sections[j]))
				assert_true(same_line(&stats_sections[j - 1], &stats_sections[j]));
	}
	assert_int_equal(runs, 1);
	assert_int_equal(stats_sections[stats_n_sections - 1].line, STAT_LINE_CONTROL);
}

/* ---- the reports, over a fake server: two workers, DHCP on the first ---- */

struct fake {
	struct worker_counters w[2];
	struct dhcp_counters dhcp;
	struct tcp_counters tcp[2];
	struct http_counters http[2];
	struct tftp_counters tftp[2];
};

static void fake_lcore(void *ctx, unsigned idx, unsigned *lcore_id, unsigned *queue_id)
{
	(void)ctx;
	*lcore_id = idx + 1;
	*queue_id = idx;
}

static const uint64_t *fake_values(void *ctx, enum stat_src src, unsigned idx, uint64_t *scratch)
{
	struct fake *f = ctx;

	memset(scratch, 0, STATS_SCRATCH * sizeof(*scratch));
	switch (src) {
	case STAT_SRC_WORKER:
		return (const uint64_t *)&f->w[idx];
	case STAT_SRC_DHCP:
		return idx == 0 ? (const uint64_t *)&f->dhcp : NULL;
	case STAT_SRC_TCP:
		return (const uint64_t *)&f->tcp[idx];
	case STAT_SRC_HTTP:
		return (const uint64_t *)&f->http[idx];
	case STAT_SRC_TFTP:
		return (const uint64_t *)&f->tftp[idx];
	case STAT_SRC_TFTP_GLUE:
		scratch[STAT_TFTPG_active] = 3;
		scratch[STAT_TFTPG_zero_copy_frames] = idx == 0 ? 5 : 0;
		return scratch;
	case STAT_SRC_HTTP_GLUE:
		scratch[STAT_HTTPG_tso_frames] = idx == 0 ? 4 : 0;
		return scratch;
	case STAT_SRC_PORT:
		scratch[STAT_PORT_ipackets] = 77;
		return scratch;
	case STAT_SRC_CONTROL:
		scratch[STAT_CTL_events_applied] = 9;
		return scratch;
	case STAT_SRC_WORKER_RATIO:
		scratch[STAT_RATIO_cycles_per_dhcp] = idx == 0 ? 100 : 0;
		return scratch;
	default:
		return scratch;
	}
}

static char *text_of(struct fake *f)
{
	struct stats_reader r = { 2, fake_lcore, fake_values, f };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	stats_text(&r, out);
	fclose(out);
	return buf;
}

static void test_text(void **state)
{
	struct fake f;
	char *t;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.w[0].rx = 5;
	f.w[1].drop[PKT_DROP_runt] = 2;
	f.w[0].dhcp_pkts = 4;
	f.w[0].dhcp_cycles = 400;
	f.tcp[1].conn_opened = 6;
	f.http[1].status[HTTP_S_404] = 1;
	f.dhcp.offer = 8;
	t = text_of(&f);
	assert_non_null(strstr(t, "stampede: port: ipackets=77 opackets=0 imissed=0"));
	assert_non_null(strstr(t, "\nstampede: lcore 1 (queue 0): rx=5 tx=0 "));
	assert_non_null(strstr(t, "\nstampede: lcore 2 (queue 1): rx=0 "));
	assert_non_null(strstr(t, " dhcp_pkts=0 drop_runt=2\n"));
	assert_non_null(strstr(t, "\nstampede: lcore 1 tftp: active=3 zero_copy_frames=5 copy_frames=0 "));
	assert_non_null(strstr(t, "\nstampede: lcore 2 http: active=0 seg_out=0 "));
	assert_non_null(strstr(t, " tcp_conn_opened=6 status_404=1\n"));
	assert_non_null(strstr(t, "\nstampede: lcore 1 dhcp: rx=0 tx=0 offer=8\n"));
	assert_null(strstr(t, "lcore 2 dhcp"));
	/* A line with nothing to show is left out. */
	assert_non_null(strstr(t, "\nstampede: lcore 1: cycles_per_dhcp=100\nstampede: lcore 1 tftp:"));
	assert_null(strstr(t, "lcore 2: cycles_per_dhcp"));
	assert_non_null(strstr(t, "\nstampede: control: events_applied=9 store_errors=0 "));
	assert_string_equal(t + strlen(t) - 1, "\n");
	assert_null(strstr(strstr(t, "stampede: control:"), "\nstampede:"));
	free(t);
}

static void test_json(void **state)
{
	struct stats_reader r;
	struct fake f;
	json_t *root = json_object(), *l0, *l1;

	(void)state;
	memset(&f, 0, sizeof(f));
	r = (struct stats_reader){ 2, fake_lcore, fake_values, &f };
	f.w[1].drop[PKT_DROP_runt] = 2;
	f.dhcp.proxy_offer = 3;
	f.http[0].requests = 11;
	stats_json(&r, root);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "port"),
							    "ipackets")), 77);
	assert_int_equal(json_integer_value(json_object_get(root, "events_applied")), 9);
	assert_int_equal(json_array_size(json_object_get(root, "lcores")), 2);
	l0 = json_array_get(json_object_get(root, "lcores"), 0);
	l1 = json_array_get(json_object_get(root, "lcores"), 1);
	assert_int_equal(json_integer_value(json_object_get(l0, "lcore")), 1);
	assert_int_equal(json_integer_value(json_object_get(l1, "queue")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(l1, "drops"), "runt")),
			 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(l0, "dhcp"),
							    "proxy_offer")), 3);
	assert_null(json_object_get(l1, "dhcp"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(l0, "http"),
							    "requests")), 11);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(l0, "http"),
							    "tso_frames")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(l0, "tftp"),
							    "zero_copy_frames")), 5);
	/* A worker's zero counters are left out; gauges and the server's
	 * own values are always there. */
	assert_null(json_object_get(json_object_get(l0, "http"), "responses"));
	assert_null(json_object_get(json_object_get(l1, "http"), "tso_frames"));
	assert_null(json_object_get(l1, "rx"));
	assert_non_null(json_object_get(json_object_get(l1, "tcp"), "active"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(l1, "tftp"), "active")),
			 3);
	assert_non_null(json_object_get(json_object_get(root, "port"), "obytes"));
	assert_non_null(json_object_get(root, "store_errors"));
	assert_non_null(json_object_get(l1, "drops"));
	json_decref(root);
}

/* ---- the Prometheus text ---- */

/*
 * `promtool check metrics` refuses names with an abbreviated unit as a
 * word ("uptime_s", "drop_not_for_us_total"): the same rule here, so a
 * counter named so fails without promtool installed.
 */
static void check_no_unit_abbreviation(const char *name, bool counter)
{
	static const char *const abbrev[] = { "s", "ms", "us", "ns", "sec", "b", "kb", "mb",
					      "gb", "tb", "pb", "m", "h", "d" };
	char full[PROM_NAME_MAX + 8], word[16];

	snprintf(full, sizeof(full), "%s%s", name, counter ? "_total" : "");
	for (unsigned i = 0; i < sizeof(abbrev) / sizeof(abbrev[0]); i++) {
		size_t lw = (size_t)snprintf(word, sizeof(word), "_%s", abbrev[i]), lf = strlen(full);

		if (strstr(full, strcat(word, "_")) != NULL ||
		    (lf > lw && strncmp(full + lf - lw, word, lw) == 0))
			fail_msg("%s: \"%s\" reads as an abbreviated unit to promtool", full,
				 abbrev[i]);
	}
}

/* Family names: valid, unique across families, with help; counters are
 * named without "_total" (the writer adds it), gauges never with it. */
static void test_prom_names(void **state)
{
	char seen[512][PROM_NAME_MAX];
	unsigned n_seen = 0;

	(void)state;
	for (unsigned i = 0; i < stats_n_sections; i++) {
		const struct stat_section *s = &stats_sections[i];

		for (unsigned k = 0; k < s->n; k++) {
			const struct stat_desc *d = &s->v[k];
			char name[PROM_NAME_MAX];

			stats_prom_name(s, d, name, sizeof(name));
			assert_int_equal(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_"),
					 strlen(name));
			if (strlen(name) > 6 && strcmp(name + strlen(name) - 6, "_total") == 0)
				fail_msg("%s: the writer adds _total to counters", name);
			check_no_unit_abbreviation(name, d->kind == STAT_COUNTER);
			if (d->family != NULL && stats_family_help(d->family) == NULL)
				fail_msg("family %s has no help (stats_table.c families[])",
					 d->family);
			/* The entries of one reason family are consecutive. */
			if (k > 0 && d->family != NULL && s->v[k - 1].family != NULL &&
			    strcmp(d->family, s->v[k - 1].family) == 0)
				continue;
			for (unsigned j = 0; j < n_seen; j++)
				if (strcmp(seen[j], name) == 0)
					fail_msg("metric family %s twice in the registry", name);
			assert_true(n_seen < 512);
			snprintf(seen[n_seen++], PROM_NAME_MAX, "%s", name);
		}
	}
}

static char *prom_of(struct fake *f)
{
	struct stats_reader r = { 2, fake_lcore, fake_values, f };
	struct prom_out o;
	size_t len;
	char *t;

	prom_init(&o);
	stats_prom(&r, &o);
	t = prom_take(&o, &len);
	assert_non_null(t);
	return t;
}

/* Each family's HELP and TYPE once, right before all of its samples. */
static void check_grouped(char *t)
{
	char families[1024][PROM_NAME_MAX], current[PROM_NAME_MAX] = "";
	unsigned n = 0;

	for (char *line = strtok(t, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		size_t len = strcspn(line, "{ ");

		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			snprintf(current, sizeof(current), "%.*s", (int)strcspn(line + 7, " "),
				 line + 7);
			for (unsigned i = 0; i < n; i++)
				if (strcmp(families[i], current) == 0)
					fail_msg("TYPE %s twice", current);
			assert_true(n < 1024);
			snprintf(families[n++], PROM_NAME_MAX, "%s", current);
			continue;
		}
		if (len != strlen(current) || strncmp(line, current, len) != 0)
			fail_msg("sample \"%s\" outside its family (after TYPE %s)", line, current);
	}
	assert_true(n > 100);
}

static void test_prom(void **state)
{
	struct fake f;
	char *t;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.w[0].rx = 5;
	f.w[1].drop[PKT_DROP_runt] = 2;
	f.dhcp.ack = 3;
	f.http[1].status[HTTP_S_404] = 1;
	f.tcp[0].closed[1] = 4;
	t = prom_of(&f);
	if (getenv("STP_TEST_PROM_OUT") != NULL) { /* for promtool by hand */
		FILE *o = fopen(getenv("STP_TEST_PROM_OUT"), "w");

		if (o != NULL) {
			fputs(t, o);
			fclose(o);
		}
	}
	assert_non_null(strstr(t, "# HELP stampede_worker_rx_total "));
	assert_non_null(strstr(t, "\n# TYPE stampede_worker_rx_total counter\n"
				  "stampede_worker_rx_total{lcore=\"1\",queue=\"0\"} 5\n"
				  "stampede_worker_rx_total{lcore=\"2\",queue=\"1\"} 0\n"));
	assert_non_null(strstr(t, "\n# HELP stampede_drops_total frames a worker dropped, by "
				  "reason\n# TYPE stampede_drops_total counter\n"));
	assert_non_null(strstr(t, "\nstampede_drops_total{lcore=\"2\",queue=\"1\","
				  "reason=\"runt\"} 2\n"));
	assert_non_null(strstr(t, "\nstampede_port_ipackets_total 77\n"));
	assert_non_null(strstr(t, "\n# TYPE stampede_tcp_active gauge\n"));
	assert_non_null(strstr(t, "\nstampede_tftp_active{lcore=\"2\",queue=\"1\"} 3\n"));
	/* DHCP lives on the first worker only. */
	assert_non_null(strstr(t, "\nstampede_dhcp_ack_total{lcore=\"1\",queue=\"0\"} 3\n"));
	assert_null(strstr(t, "stampede_dhcp_ack_total{lcore=\"2\""));
	assert_non_null(strstr(t, "\nstampede_http_responses_by_status_total{lcore=\"2\",queue=\"1\","
				  "reason=\"404\"} 1\n"));
	assert_non_null(strstr(t, "\nstampede_tcp_closed_total{lcore=\"1\",queue=\"0\","
				  "reason=\"reset\"} 4\n"));
	assert_non_null(strstr(t, "\nstampede_control_events_applied_total 9\n"));
	assert_non_null(strstr(t, "\n# TYPE stampede_cache_bytes gauge\n"));
	check_grouped(t);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cores_covered),
		cmocka_unit_test(test_glue_covered),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_unique),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_prom_names),
		cmocka_unit_test(test_prom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
