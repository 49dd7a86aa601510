/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus text writer (common/prom.h) over its buffer: the exact
 * text of counters, gauges and histograms, escaping, one HELP/TYPE per
 * family, cumulative buckets ending with +Inf, names made valid, growth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "prom.h"

/* Take the text of @a o and compare it with @a want. */
static void expect(struct prom_out *o, const char *want)
{
	size_t len;
	char *t = prom_take(o, &len);

	assert_non_null(t);
	assert_string_equal(t, want);
	assert_int_equal(len, strlen(want));
	free(t);
}

static void test_counter_and_gauge(void **state)
{
	struct prom_out o;
	const struct prom_label l0[] = { { "lcore", "1" }, { "queue", "0" } };
	const struct prom_label l1[] = { { "lcore", "2" }, { "queue", "1" } };

	(void)state;
	prom_init(&o);
	prom_family(&o, "stampede_worker_rx", "frames received", PROM_COUNTER);
	prom_sample(&o, l0, 2, 5);
	/* The same family again, as a walk over workers does: no header. */
	prom_family(&o, "stampede_worker_rx", "frames received", PROM_COUNTER);
	prom_sample(&o, l1, 2, 18446744073709551615ull);
	prom_family(&o, "stampede_tcp_active", "TCP connections open", PROM_GAUGE);
	prom_sample(&o, NULL, 0, 0);
	/* Already ends in _total: not twice. */
	prom_family(&o, "x_total", "h", PROM_COUNTER);
	prom_sample_double(&o, NULL, 0, 0.25);
	expect(&o,
	       "# HELP stampede_worker_rx_total frames received\n"
	       "# TYPE stampede_worker_rx_total counter\n"
	       "stampede_worker_rx_total{lcore=\"1\",queue=\"0\"} 5\n"
	       "stampede_worker_rx_total{lcore=\"2\",queue=\"1\"} 18446744073709551615\n"
	       "# HELP stampede_tcp_active TCP connections open\n"
	       "# TYPE stampede_tcp_active gauge\n"
	       "stampede_tcp_active 0\n"
	       "# HELP x_total h\n"
	       "# TYPE x_total counter\n"
	       "x_total 0.25\n");
}

static void test_escaping(void **state)
{
	struct prom_out o;
	const struct prom_label l[] = { { "reason", "a\"b\\c\nd" }, { "empty", NULL } };

	(void)state;
	prom_init(&o);
	prom_family(&o, "f", "line one\nback\\slash \"quoted\"", PROM_GAUGE);
	prom_sample(&o, l, 2, 1);
	/* HELP escapes backslash and newline only; label values also '"'. */
	expect(&o,
	       "# HELP f line one\\nback\\\\slash \"quoted\"\n"
	       "# TYPE f gauge\n"
	       "f{reason=\"a\\\"b\\\\c\\nd\",empty=\"\"} 1\n");
}

static void test_names_made_valid(void **state)
{
	struct prom_out o;
	const struct prom_label l[] = { { "2xx", "v" }, { "bad-name", "w" } };

	(void)state;
	prom_init(&o);
	prom_family(&o, "a.b-c d", "h", PROM_GAUGE);
	prom_sample(&o, l, 2, 7);
	prom_family(&o, "9lives", "h", PROM_COUNTER);
	prom_sample(&o, NULL, 0, 1);
	expect(&o,
	       "# HELP a_b_c_d h\n# TYPE a_b_c_d gauge\n"
	       "a_b_c_d{_2xx=\"v\",bad_name=\"w\"} 7\n"
	       "# HELP _9lives_total h\n# TYPE _9lives_total counter\n"
	       "_9lives_total 1\n");
}

static void test_histogram(void **state)
{
	static const double le[] = { 0.1, 0.25, 1, 10 };
	/* Per bucket: 1 in (0, 0.1], 2 in (0.1, 0.25], none, 3 in (1, 10], 4 above. */
	static const uint64_t count[] = { 1, 2, 0, 3, 4 };
	const struct prom_hist h = { le, 4, count, 123.5 };
	const struct prom_label l[] = { { "stage", "kernel" } };
	struct prom_out o;

	(void)state;
	prom_init(&o);
	prom_family(&o, "stampede_boot_stage_duration_seconds", "time", PROM_HISTOGRAM);
	prom_histogram(&o, l, 1, &h);
	expect(&o,
	       "# HELP stampede_boot_stage_duration_seconds time\n"
	       "# TYPE stampede_boot_stage_duration_seconds histogram\n"
	       "stampede_boot_stage_duration_seconds_bucket{stage=\"kernel\",le=\"0.1\"} 1\n"
	       "stampede_boot_stage_duration_seconds_bucket{stage=\"kernel\",le=\"0.25\"} 3\n"
	       "stampede_boot_stage_duration_seconds_bucket{stage=\"kernel\",le=\"1\"} 3\n"
	       "stampede_boot_stage_duration_seconds_bucket{stage=\"kernel\",le=\"10\"} 6\n"
	       "stampede_boot_stage_duration_seconds_bucket{stage=\"kernel\",le=\"+Inf\"} 10\n"
	       "stampede_boot_stage_duration_seconds_sum{stage=\"kernel\"} 123.5\n"
	       "stampede_boot_stage_duration_seconds_count{stage=\"kernel\"} 10\n");
}

/* Without labels le is the only one; with no observations every bucket
 * is there, at zero. */
static void test_histogram_empty(void **state)
{
	static const double le[] = { 0.5 };
	static const uint64_t count[] = { 0, 0 };
	const struct prom_hist h = { le, 1, count, 0 };
	struct prom_out o;

	(void)state;
	prom_init(&o);
	prom_family(&o, "h", "x", PROM_HISTOGRAM);
	prom_histogram(&o, NULL, 0, &h);
	expect(&o, "# HELP h x\n# TYPE h histogram\n"
		   "h_bucket{le=\"0.5\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
}

/* Past the first allocation the text keeps growing, whole. */
static void test_growth(void **state)
{
	struct prom_out o;
	char v[16], *t;
	size_t len;
	unsigned lines = 0;

	(void)state;
	prom_init(&o);
	prom_family(&o, "g", "many", PROM_GAUGE);
	for (unsigned i = 0; i < 5000; i++) {
		const struct prom_label l[] = { { "i", v } };

		snprintf(v, sizeof(v), "%u", i);
		prom_sample(&o, l, 1, i);
	}
	t = prom_take(&o, &len);
	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	for (const char *p = t; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 5002);
	assert_non_null(strstr(t, "\ng{i=\"4999\"} 4999\n"));
	free(t);
	/* An empty writer gives an empty text, and taking empties it. */
	t = prom_take(&o, &len);
	assert_string_equal(t, "");
	assert_int_equal(len, 0);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_and_gauge),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_names_made_valid),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_histogram_empty),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
