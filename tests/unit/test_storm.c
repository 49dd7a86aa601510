/* SPDX-License-Identifier: BSD-3-Clause */
/* stampede-storm's pure parts: the command line (every bad value named),
 * the latency histograms and failure causes, and the iPXE script reader
 * following stampede's own chain and menu scripts fed in every split. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <unistd.h>

#include "storm_opts.h"
#include "storm_script.h"
#include "storm_stats.h"

static int parse(struct storm_opts *o, char *err, const char *line)
{
	char buf[512], *argv[32], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "stampede-storm %s", line);
	for (char *t = strtok_r(buf, " ", &save); t != NULL && argc < 31;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	return storm_opts_parse(argc, argv, o, err, 256);
}

static void test_opts_good(void **state)
{
	struct storm_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "--vdev net_memif0,role=client --clients 1000"), 0);
	assert_int_equal(o.port_kind, STORM_PORT_VDEV);
	assert_string_equal(o.port, "net_memif0,role=client");
	assert_int_equal(o.clients, 1000);
	assert_int_equal(o.mix_bios, 70);
	assert_int_equal(o.stages, (1u << STORM_ST_N) - 1);
	assert_int_equal(parse(&o, err, "--iface veth0 --driver af_packet --clients 5 --mix uefi:100"
				  " --arrival ramp:2.5 --stages dhcp,tftp --timeout 30 --json /tmp/x"
				  " --mac-base 02:aa:00:00:00:00 --quiet"), 0);
	assert_int_equal(o.port_kind, STORM_PORT_IFACE);
	assert_string_equal(o.driver, "af_packet");
	assert_int_equal(o.mix_bios, 0);
	assert_int_equal(o.arrival, STORM_ARRIVE_RAMP);
	assert_true(o.arrival_arg > 2.49 && o.arrival_arg < 2.51);
	assert_int_equal(o.stages, (1u << STORM_ST_DHCP) | (1u << STORM_ST_IPXE_DHCP) |
				   (1u << STORM_ST_TFTP));
	assert_int_equal(o.mac_base.b[1], 0xaa);
	assert_true(o.quiet);
	assert_int_equal(parse(&o, err, "--pci 0000:03:00.0 --clients 1 --arrival rate:500"), 0);
	assert_int_equal(o.arrival, STORM_ARRIVE_RATE);
}

static void test_opts_bad(void **state)
{
	static const struct { const char *line, *want; } t[] = {
		{ "--clients 10", "no port" },
		{ "--vdev x", "--clients: how many" },
		{ "--vdev x --clients 0", "\"0\" is not a whole number" },
		{ "--vdev x --clients 100001", "100001" },
		{ "--vdev x --clients 2.5", "2.5" },
		{ "--vdev x --clients 5 --mix bios:70,arm:30", "unknown profile \"arm\"" },
		{ "--vdev x --clients 5 --mix bios:70,uefi:20", "does not add up" },
		{ "--vdev x --clients 5 --arrival storm", "\"storm\" is not burst" },
		{ "--vdev x --clients 5 --stages dhcp,nfs", "unknown stage \"nfs\"" },
		{ "--vdev x --iface y --clients 5", "one of --vdev" },
		{ "--vdev x --clients 5 --driver af_xdp", "only with --iface" },
		{ "--vdev x --clients 5 --bogus", "--bogus" },
		{ "--vdev x --clients 5 extra", "extra: unexpected" },
		{ "--vdev x --clients 5 --mac-base 02:00", "not a MAC" },
		{ "--vdev x --clients 5 --timeout -1", "--timeout" },
		{ "--vdev x --clients 5 --max-active 0", "--max-active: \"0\"" },
		{ "--vdev x --clients 5 --lcores 0-", "--lcores: \"0-\"" },
		{ "--vdev x --clients 5 --stages tftp,http", "need dhcp" },
	};
	struct storm_opts o;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(&o, err, t[i].line), -1);
		if (strstr(err, t[i].want) == NULL)
			fail_msg("\"%s\": error \"%s\" lacks \"%s\"", t[i].line, err, t[i].want);
	}
}

static void test_hist(void **state)
{
	static struct storm_hist h;
	uint64_t p50, p99;

	(void)state;
	assert_int_equal(storm_hist_quantile(&h, 0.5), 0);
	for (uint64_t us = 1; us <= 100000; us++)
		storm_hist_add(&h, us);
	p50 = storm_hist_quantile(&h, 0.5);
	p99 = storm_hist_quantile(&h, 0.99);
	assert_true(p50 >= 50000 && p50 <= 50000 + 50000 / 16 + 1);
	assert_true(p99 >= 99000 && p99 <= 100000);
	assert_int_equal(storm_hist_quantile(&h, 1.0), 100000);
	assert_int_equal(h.max_us, 100000);
}

static void test_causes_merge(void **state)
{
	static struct storm_stats a, b;

	(void)state;
	storm_stats_fail(&a, "tcp: reset");
	storm_stats_fail(&a, "tcp: reset");
	storm_stats_fail(&b, "dhcp: no offer");
	storm_stats_fail(&b, "tcp: reset");
	b.st[STORM_ST_DHCP].started = 3;
	storm_hist_add(&b.st[STORM_ST_DHCP].lat, 1234);
	storm_stats_merge(&a, &b);
	assert_int_equal(a.n_causes, 2);
	assert_int_equal(a.cause_n[0], 3);
	assert_string_equal(a.cause[1], "dhcp: no offer");
	assert_int_equal(a.st[STORM_ST_DHCP].started, 3);
	assert_int_equal(a.st[STORM_ST_DHCP].lat.max_us, 1234);
}

static const struct storm_script_vars vars = {
	{ { 0x02, 0, 0, 0, 0x01, 0x2a } }, 0x0a4d0064, false
};

/* Feed @a text cut at @a cut; the outcome must not depend on the cut. */
static enum storm_script_outcome run(struct storm_script *s, const char *text, size_t cut)
{
	storm_script_init(s);
	storm_script_feed(s, text, cut, &vars);
	storm_script_feed(s, text + cut, strlen(text) - cut, &vars);
	return storm_script_end(s, &vars);
}

/* The JSON the README documents: top-level counts, each stage's figures
 * with its rate, the failures by cause. */
static void test_stats_json(void **state)
{
	static struct storm_stats s;
	char path[] = "/tmp/test_storm_json.XXXXXX";
	int fd = mkstemp(path);
	json_t *root, *st;
	json_error_t jerr;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	memset(&s, 0, sizeof(s));
	s.clients = 3;
	s.done = 2;
	s.failed = 1;
	s.bytes = 1000000;
	storm_stage_begin(&s.st[STORM_ST_DHCP], 1000000);
	storm_stage_begin(&s.st[STORM_ST_DHCP], 1000000);
	storm_stage_done(&s.st[STORM_ST_DHCP], 1000000, 1250000);
	storm_stage_done(&s.st[STORM_ST_DHCP], 1000000, 1500000);
	storm_stats_fail(&s, "dhcp: no offer");
	s.gen_cycles = 100;
	s.gen_busy_cycles = 25;
	assert_int_equal(storm_stats_json(&s, 2.0, path), 0);
	root = json_load_file(path, 0, &jerr);
	unlink(path);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(root, "clients")), 3);
	assert_int_equal(json_integer_value(json_object_get(root, "done")), 2);
	assert_int_equal(json_integer_value(json_object_get(root, "failed")), 1);
	assert_true(json_real_value(json_object_get(root, "gbps")) > 0.0039 &&
		    json_real_value(json_object_get(root, "gbps")) < 0.0041);
	st = json_object_get(root, "dhcp");
	assert_int_equal(json_integer_value(json_object_get(st, "done")), 2);
	/* two clients done 0.5 s after the first began */
	assert_true(json_real_value(json_object_get(st, "rate_per_s")) > 3.99 &&
		    json_real_value(json_object_get(st, "rate_per_s")) < 4.01);
	assert_true(json_real_value(json_object_get(st, "max_ms")) > 499.0);
	assert_non_null(json_object_get(json_object_get(root, "stages"), "initrd"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "failures"),
							    "dhcp: no offer")), 1);
	assert_true(json_real_value(json_object_get(root, "generator_busy")) > 0.24);
	json_decref(root);
}

/* A host waiting for a job slot (control/menu.c's waiting section): sleep,
 * then chain its own script again with --replace. */
static void test_script_waiting(void **state)
{
	static const char text[] =
		"#!ipxe\n:stp_wait\necho stampede: deploy job 7 waits for a job slot\n"
		"echo stampede: 2 jobs run at once, asking again in 17 s\nsleep 17 ||\n"
		"chain --replace http://10.0.0.1/boot/02:00:00:00:00:05.ipxe || goto stp_wait\n";
	const struct storm_script_vars v = { { { 2, 0, 0, 0, 0, 5 } }, 0x0a000005, false };
	struct storm_script sc;

	(void)state;
	storm_script_init(&sc);
	storm_script_feed(&sc, text, sizeof(text) - 1, &v);
	assert_int_equal(storm_script_end(&sc, &v), STORM_SCRIPT_CHAIN);
	assert_int_equal(sc.sleep_s, 17);
	assert_string_equal(sc.url[0], "http://10.0.0.1/boot/02:00:00:00:00:05.ipxe");
	assert_string_equal(sc.url[1], "");
}

static void test_script_chain(void **state)
{
	static const char chain[] =
		"#!ipxe\nchain http://10.77.0.1/boot/${net0/mac}.ipxe || chain http://10.77.0.1/"
		"boot/default.ipxe\n";
	struct storm_script s;

	(void)state;
	for (size_t cut = 0; cut <= sizeof(chain) - 1; cut++) {
		assert_int_equal(run(&s, chain, cut), STORM_SCRIPT_CHAIN);
		assert_string_equal(s.url[0], "http://10.77.0.1/boot/02:00:00:00:01:2a.ipxe");
		assert_string_equal(s.url[1], "http://10.77.0.1/boot/default.ipxe");
	}
}

static void test_script_job_and_menu(void **state)
{
	static const char job[] =
		"#!ipxe\n\necho stampede: deploy job 7 for 02:00:00:00:01:2a\r\n"
		"kernel http://10.77.0.1/bzImage initrd=init.xz stampede.job=7 stampede.type=deploy\n"
		"initrd http://10.77.0.1/init.xz\nboot\n";
	static const char menu[] =
		"#!ipxe\nmenu stampede 02:00:00:00:01:2a\nitem local Boot from local disk\n"
		"item register Quick registration\n"
		"choose --default local --timeout 5000 target || goto local\ngoto ${target}\n\n"
		":local\nsanboot --no-describe --drive 0x80\n\n:register\n"
		"kernel http://10.77.0.1/bzImage stampede.type=register\nboot\n";
	struct storm_script s;
	uint32_t ip;
	uint16_t port;
	const char *path;

	(void)state;
	for (size_t cut = 0; cut <= sizeof(job) - 1; cut += 7) {
		assert_int_equal(run(&s, job, cut), STORM_SCRIPT_BOOT);
		assert_string_equal(s.kernel, "http://10.77.0.1/bzImage");
		assert_string_equal(s.initrd, "http://10.77.0.1/init.xz");
		assert_int_equal(s.job_id, 7);
	}
	assert_int_equal(run(&s, menu, 10), STORM_SCRIPT_LOCAL);
	assert_int_equal(run(&s, "not a script\n", 3), STORM_SCRIPT_BAD);
	assert_int_equal(run(&s, "", 0), STORM_SCRIPT_BAD);
	assert_int_equal(run(&s, "#!ipxe\necho nothing to boot\n", 5), STORM_SCRIPT_NONE);
	assert_true(storm_url_split("http://10.77.0.1:8080/boot/x.ipxe", &ip, &port, &path));
	assert_int_equal(ip, 0x0a4d0001);
	assert_int_equal(port, 8080);
	assert_string_equal(path, "/boot/x.ipxe");
	assert_false(storm_url_split("tftp://10.77.0.1/x", &ip, &port, &path));
	assert_false(storm_url_split("http://host.example/x", &ip, &port, &path));
	assert_false(storm_url_split("http://10.77.0.1:0/x", &ip, &port, &path));
}

static void test_script_long_line(void **state)
{
	char big[STORM_LINE_MAX + 64];
	struct storm_script s;

	(void)state;
	memcpy(big, "#!ipxe\nkernel ", 14);
	memset(big + 14, 'a', sizeof(big) - 15);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(run(&s, big, 20), STORM_SCRIPT_BAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_good),
		cmocka_unit_test(test_opts_bad),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_causes_merge),
		cmocka_unit_test(test_stats_json),
		cmocka_unit_test(test_script_chain),
		cmocka_unit_test(test_script_waiting),
		cmocka_unit_test(test_script_job_and_menu),
		cmocka_unit_test(test_script_long_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
