/* SPDX-License-Identifier: BSD-3-Clause */
/* Menu rendering: byte-exact scripts (the waiting script too, and its
 * fallback for templates without one), template errors with line numbers,
 * and the job script's retries run through a small model of iPXE's script
 * semantics (labels, goto, set, inc, iseq, && and ||, a failing command
 * ending the script) with fetches that fail on purpose. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "menu.h"

static const struct menu_image imgs[] = {
	{ "deb", "fos/bzImage", "fos/init.xz", "quiet" },
};

static char *render(const struct menu_ctx *x)
{
	struct menu_tmpl *t;
	char err[256], *out = NULL;

	assert_int_equal(menu_parse("t", menu_default_template, strlen(menu_default_template),
				    &t, err, sizeof(err)), 0);
	assert_true(menu_render(t, x, &out) > 0);
	menu_free(t);
	return out;
}

static void test_job_script(void **state)
{
	struct menu_ctx x = { "10.0.0.1", 80, "52:54:00:00:00:01", "pc1", 42, "deploy", "deb",
			      "fos/bzImage", "fos/init.xz", "quiet", 7, imgs, 1, false, 0, 0 };
	char *s = render(&x);

	(void)state;
	assert_string_equal(s,
		"#!ipxe\n"
		"echo stampede: deploy job 42 for 52:54:00:00:00:01\n"
		"set stp_try:int32 0\n"
		"set stp_wait:int32 2\n"
		":stp_kernel\n"
		"kernel http://10.0.0.1/fos/bzImage initrd=init.xz stampede.job=42"
		" stampede.type=deploy stampede.image=deb stampede.server=http://10.0.0.1"
		" stampede.mac=52:54:00:00:00:01 quiet || goto stp_kernel_failed\n"
		"set stp_try:int32 0\n"
		"set stp_wait:int32 2\n"
		":stp_initrd\n"
		"initrd http://10.0.0.1/fos/init.xz || goto stp_initrd_failed\n"
		"boot\n"
		"\n"
		":stp_kernel_failed\n"
		"set stp_fetch kernel\n"
		"goto stp_retry\n"
		":stp_initrd_failed\n"
		"set stp_fetch initrd\n"
		"goto stp_retry\n"
		":stp_retry\n"
		"iseq ${stp_try} 5 && goto stp_give_up ||\n"
		"inc stp_try\n"
		"echo stampede: could not fetch the ${stp_fetch} of job 42, retry ${stp_try} of 5"
		" in ${stp_wait} s\n"
		"sleep ${stp_wait}\n"
		"inc stp_wait ${stp_wait}\n"
		"goto stp_${stp_fetch}\n"
		":stp_give_up\n"
		"echo stampede: no ${stp_fetch} for job 42 after 5 retries, rebooting in 60 s"
		" to start over\n"
		"sleep 60\n"
		"reboot\n");
	free(s);
}

/* ---- a model of iPXE running a script ---- */

enum sim_end { SIM_RUNNING, SIM_BOOT, SIM_REBOOT, SIM_ABORT, SIM_CHAIN };

struct sim {
	char line[64][256];
	int n;
	char var[8][2][32];            /* name, value */
	int n_var;
	int fail[2];                   /* kernel, initrd: failures before success, -1 always */
	int fetches[2];
	int sleep[16], n_sleep;
	char echo[16][256];
	int n_echo;
	int jump;                      /* line index a goto chose, -1 none */
	enum sim_end end;
	int chain_fail;                /* "chain --replace URL": failures first */
	int chains;
	char chain_url[128];           /* what the chain that worked fetched */
};

static char *sim_var(struct sim *m, const char *name)
{
	for (int i = 0; i < m->n_var; i++)
		if (strcmp(m->var[i][0], name) == 0)
			return m->var[i][1];
	assert_true(m->n_var < 8);
	snprintf(m->var[m->n_var][0], 32, "%s", name);
	m->var[m->n_var][1][0] = '\0';
	return m->var[m->n_var++][1];
}

/* ${name} expanded; unknown settings are empty, as in iPXE. */
static void sim_expand(struct sim *m, const char *in, char *out, size_t cap)
{
	size_t o = 0;

	while (*in != '\0' && o + 1 < cap) {
		const char *end = in[0] == '$' && in[1] == '{' ? strchr(in, '}') : NULL;

		if (end != NULL) {
			char name[32];

			snprintf(name, sizeof(name), "%.*s", (int)(end - in - 2), in + 2);
			o += (size_t)snprintf(out + o, cap - o, "%s", sim_var(m, name));
			in = end + 1;
			continue;
		}
		out[o++] = *in++;
	}
	out[o] = '\0';
}

static bool sim_fetch(struct sim *m, int which)
{
	m->fetches[which]++;
	if (m->fail[which] == 0)
		return true;
	if (m->fail[which] > 0)
		m->fail[which]--;
	return false;
}

/* One command (no && or ||). @return its success. */
static bool sim_cmd(struct sim *m, char *c)
{
	char a[64] = "", b[64] = "";

	sscanf(c, "%*s %63s %63s", a, b);
	if (strncmp(c, "echo ", 5) == 0 && m->n_echo < 16)
		snprintf(m->echo[m->n_echo++], 256, "%s", c + 5);
	else if (strncmp(c, "set ", 4) == 0)
		snprintf(sim_var(m, strtok(a, ":")), 32, "%s", b);
	else if (strncmp(c, "inc ", 4) == 0)
		snprintf(sim_var(m, a), 32, "%d", atoi(sim_var(m, a)) + (b[0] ? atoi(b) : 1));
	else if (strncmp(c, "iseq ", 5) == 0)
		return strcmp(a, b) == 0;
	else if (strncmp(c, "sleep ", 6) == 0 && m->n_sleep < 16)
		m->sleep[m->n_sleep++] = atoi(a);
	else if (strncmp(c, "kernel ", 7) == 0 || strncmp(c, "initrd ", 7) == 0)
		return sim_fetch(m, c[0] == 'i');
	else if (strcmp(c, "boot") == 0 || strcmp(c, "reboot") == 0)
		m->end = c[0] == 'b' ? SIM_BOOT : SIM_REBOOT;
	else if (strncmp(c, "chain --replace ", 16) == 0) {
		m->chains++;
		if (m->chain_fail > 0) {
			m->chain_fail--;
			return false;
		}
		snprintf(m->chain_url, sizeof(m->chain_url), "%s", c + 16);
		m->end = SIM_CHAIN; /* the new script replaces this one */
	}
	else if (strncmp(c, "goto ", 5) == 0) {
		for (int i = 0; i < m->n; i++)
			if (m->line[i][0] == ':' && strcmp(m->line[i] + 1, a) == 0)
				m->jump = i;
		return m->jump >= 0;
	} else
		fail_msg("the model does not know \"%s\"", c);
	return true;
}

/* A line: "a", "a || b", "a && b ||", left to right as iPXE does. */
static bool sim_line(struct sim *m, const char *raw)
{
	char buf[256], *p = buf, op = 0;
	bool ok = true;

	sim_expand(m, raw, buf, sizeof(buf));
	while (p != NULL) {
		char *n1 = strstr(p, " || "), *n2 = strstr(p, " && "), *next = NULL, nop = 0;

		if (n1 == NULL && strcmp(p + (strlen(p) > 3 ? strlen(p) - 3 : 0), " ||") == 0)
			n1 = p + strlen(p) - 3;
		next = n1 != NULL && (n2 == NULL || n1 < n2) ? n1 : n2;
		if (next != NULL) {
			nop = next == n1 ? '|' : '&';
			*next = '\0';
			next += next[3] == '\0' ? 3 : 4; /* a trailing " ||" */
		}
		if (op == 0 || (op == '&' && ok) || (op == '|' && !ok))
			ok = *p == '\0' ? true : sim_cmd(m, p);
		op = nop;
		p = next;
	}
	return ok;
}

static void sim_run(struct sim *m, const char *script)
{
	const char *p = script;

	m->n = 0;
	while (*p != '\0' && m->n < 64) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		snprintf(m->line[m->n++], 256, "%.*s", (int)len, p);
		p += len + (nl != NULL);
	}
	for (int pc = 1, steps = 0; pc < m->n && m->end == SIM_RUNNING; steps++) {
		assert_true(steps < 1000);
		m->jump = -1;
		if (m->line[pc][0] != ':' && m->line[pc][0] != '\0' && !sim_line(m, m->line[pc]))
			m->end = SIM_ABORT; /* a failing command ends the script */
		pc = m->jump >= 0 ? m->jump : pc + 1;
	}
}

/* The job script retries each fetch with a doubling sleep, says so on the
 * console, and starts over after its retries; a boot that works never
 * sleeps. */
static void test_job_retries(void **state)
{
	struct menu_ctx x = { "10.0.0.1", 80, "52:54:00:00:00:01", "pc1", 42, "deploy", "deb",
			      "fos/bzImage", "fos/init.xz", "", 7, imgs, 1, false, 0, 0 };
	char *s = render(&x);
	struct sim *m = calloc(1, sizeof(*m));

	(void)state;
	sim_run(m, s);
	assert_int_equal(m->end, SIM_BOOT);
	assert_int_equal(m->n_sleep, 0);
	assert_int_equal(m->fetches[0] + m->fetches[1], 2);

	memset(m, 0, sizeof(*m));
	m->fail[0] = 2; /* the kernel fails twice, the initrd once: boots */
	m->fail[1] = 1;
	sim_run(m, s);
	assert_int_equal(m->end, SIM_BOOT);
	assert_int_equal(m->fetches[0], 3);
	assert_int_equal(m->fetches[1], 2);
	assert_int_equal(m->n_sleep, 3);
	assert_int_equal(m->sleep[0], 2);
	assert_int_equal(m->sleep[1], 4);
	assert_int_equal(m->sleep[2], 2); /* the initrd's own retries */
	assert_string_equal(m->echo[1], "stampede: could not fetch the kernel of job 42,"
			    " retry 1 of 5 in 2 s");
	assert_string_equal(m->echo[3], "stampede: could not fetch the initrd of job 42,"
			    " retry 1 of 5 in 2 s");

	memset(m, 0, sizeof(*m));
	m->fail[0] = -1; /* never: 5 retries, then a reboot */
	sim_run(m, s);
	assert_int_equal(m->end, SIM_REBOOT);
	assert_int_equal(m->fetches[0], 6);
	assert_int_equal(m->fetches[1], 0);
	assert_int_equal(m->n_sleep, 6);
	for (int i = 0; i < 5; i++)
		assert_int_equal(m->sleep[i], 2 << i);
	assert_int_equal(m->sleep[5], 60);
	assert_string_equal(m->echo[5], "stampede: could not fetch the kernel of job 42,"
			    " retry 5 of 5 in 32 s");
	assert_string_equal(m->echo[6], "stampede: no kernel for job 42 after 5 retries,"
			    " rebooting in 60 s to start over");
	free(m);
	free(s);
}

static const char menu_head[] =
	"#!ipxe\n"
	"menu stampede 52:54:00:00:00:02 pc2\n"
	"item local Boot from local disk\n"
	"item register Quick registration\n"
	"item deploy-deb Deploy deb\n"
	"choose --default local --timeout 5000 target || goto local\n"
	"goto ${target}\n"
	"\n"
	":local\n";
static const char menu_tail[] =
	"\n"
	":register\n"
	"kernel http://10.0.0.1:8080/bzImage initrd=init.xz stampede.type=register"
	" stampede.server=http://10.0.0.1:8080 stampede.mac=52:54:00:00:00:02\n"
	"initrd http://10.0.0.1:8080/init.xz\n"
	"boot\n"
	"\n"
	":deploy-deb\n"
	"kernel http://10.0.0.1:8080/fos/bzImage initrd=init.xz stampede.type=deploy"
	" stampede.image=deb stampede.server=http://10.0.0.1:8080"
	" stampede.mac=52:54:00:00:00:02 quiet\n"
	"initrd http://10.0.0.1:8080/fos/init.xz\n"
	"boot\n";

static void check_menu(int arch, const char *local)
{
	struct menu_ctx x = { "10.0.0.1:8080", 8080, "52:54:00:00:00:02", "pc2", 0, "", "",
			      "bzImage", "init.xz", "", arch, imgs, 1, false, 0, 0 };
	char want[4096], *s = render(&x);

	snprintf(want, sizeof(want), "%s%s%s", menu_head, local, menu_tail);
	assert_string_equal(s, want);
	free(s);
}

static void test_menu_bios(void **state)
{
	(void)state;
	check_menu(0, "sanboot --no-describe --drive 0x80\n");
}

static void test_menu_uefi(void **state)
{
	(void)state;
	check_menu(7, "exit\n");
}

static void test_menu_unknown_arch(void **state)
{
	(void)state;
	check_menu(-1, "iseq ${platform} efi && exit || sanboot --no-describe --drive 0x80\n");
}

/* A host whose job waits for a slot: the waiting loop alone, with its own
 * MAC in the message and in the script it asks for again. */
static void test_waiting_script(void **state)
{
	struct menu_ctx x = { "10.0.0.1", 80, "52:54:00:00:00:01", "pc1", 42, "deploy", "deb",
			      "fos/bzImage", "fos/init.xz", "quiet", 0, imgs, 1, true, 17, 2 };
	char *s = render(&x);
	struct sim *m = calloc(1, sizeof(*m));

	(void)state;
	assert_string_equal(s,
		"#!ipxe\n"
		":stp_wait\n"
		"echo stampede: deploy job 42 for 52:54:00:00:00:01 waits for a job slot\n"
		"echo stampede: 2 jobs run at once, asking again in 17 s\n"
		"sleep 17 ||\n"
		"chain --replace http://10.0.0.1/boot/52:54:00:00:00:01.ipxe || goto stp_wait\n");
	sim_run(m, s);
	assert_int_equal(m->end, SIM_CHAIN);
	assert_int_equal(m->n_sleep, 1);
	assert_int_equal(m->sleep[0], 17);
	assert_string_equal(m->chain_url, "http://10.0.0.1/boot/52:54:00:00:00:01.ipxe");
	assert_int_equal(m->fetches[0] + m->fetches[1], 0); /* no kernel while waiting */
	/* The server away for two rounds: it waits and asks again. */
	memset(m, 0, sizeof(*m));
	m->chain_fail = 2;
	sim_run(m, s);
	assert_int_equal(m->end, SIM_CHAIN);
	assert_int_equal(m->chains, 3);
	assert_int_equal(m->n_sleep, 3);
	assert_int_equal(m->n_echo, 6);
	/* Every line fits the 80 columns of a BIOS console, which wraps
	 * longer ones: even for a "register" job with a 7-digit id. */
	for (int i = 0; i < m->n_echo; i++)
		assert_true(strlen(m->echo[i]) + strlen("register") - strlen("deploy") +
			    strlen("1234567") - strlen("42") < 80);
	free(m);
	free(s);
	/* Waiting is only for a job: a host without one gets its menu. */
	x.job_id = 0;
	s = render(&x);
	assert_non_null(strstr(s, "\nmenu stampede 52:54:00:00:00:01 pc1\n"));
	assert_null(strstr(s, "stp_wait"));
	free(s);
}

/* The sleep is fixed per MAC (a script renders the same each time) and
 * spread over MACs (hosts put to wait together come back apart). */
static void test_wait_spread(void **state)
{
	int seen[MENU_WAIT_MAX_S + 1] = { 0 }, distinct = 0;

	(void)state;
	for (int i = 0; i < 256; i++) {
		char mac[24];
		unsigned w;

		snprintf(mac, sizeof(mac), "52:54:00:77:5a:%02x", i);
		w = menu_wait_s(mac);
		assert_in_range(w, MENU_WAIT_MIN_S, MENU_WAIT_MAX_S);
		assert_int_equal(menu_wait_s(mac), w);
		distinct += seen[w]++ == 0;
	}
	/* 256 MACs over 21 values: nearly all of them taken. */
	assert_true(distinct >= 18);
	assert_int_not_equal(menu_wait_s("52:54:00:77:5a:01"), menu_wait_s("52:54:00:77:5a:02"));
}

/* A custom template written before job slots (no "waiting" in it) still
 * works, and a waiting host gets the built-in waiting script from it, not
 * its job script; a template that names "waiting" renders it itself. */
static void test_waiting_custom_template(void **state)
{
	static const char old[] = "#!ipxe\n{{#job}}\nkernel http://{{server}}/{{kernel}}\nboot\n"
				  "{{/job}}\n{{^job}}\nexit\n{{/job}}\n";
	static const char own[] = "#!ipxe\n{{#waiting}}\necho wait {{wait_s}} of {{max_active}}\n"
				  "{{/waiting}}\n{{^waiting}}\nexit\n{{/waiting}}\n";
	struct menu_ctx x = { "10.0.0.1", 80, "52:54:00:00:00:01", "pc1", 42, "deploy", "deb",
			      "fos/bzImage", "fos/init.xz", "", 0, imgs, 1, false, 23, 4 };
	struct menu_tmpl *t;
	char err[256], *out;

	(void)state;
	assert_int_equal(menu_parse("old.tmpl", old, strlen(old), &t, err, sizeof(err)), 0);
	assert_true(menu_render(t, &x, &out) > 0);
	assert_string_equal(out, "#!ipxe\nkernel http://10.0.0.1/fos/bzImage\nboot\n");
	free(out);
	x.waiting = true;
	assert_true(menu_render(t, &x, &out) > 0);
	assert_string_equal(out, "#!ipxe\n:stp_wait\n"
			    "echo stampede: deploy job 42 for 52:54:00:00:00:01 waits for a job"
			    " slot\n"
			    "echo stampede: 4 jobs run at once, asking again in 23 s\n"
			    "sleep 23 ||\n"
			    "chain --replace http://10.0.0.1/boot/52:54:00:00:00:01.ipxe"
			    " || goto stp_wait\n");
	free(out);
	menu_free(t);
	assert_int_equal(menu_parse("own.tmpl", own, strlen(own), &t, err, sizeof(err)), 0);
	assert_true(menu_render(t, &x, &out) > 0);
	assert_string_equal(out, "#!ipxe\necho wait 23 of 4\n");
	free(out);
	x.waiting = false;
	assert_true(menu_render(t, &x, &out) > 0);
	assert_string_equal(out, "#!ipxe\nexit\n");
	free(out);
	menu_free(t);
}

static void test_template_errors(void **state)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "#!ipxe\n\nkernel {{kernal}}\n", "f.tmpl:3: unknown variable \"kernal\"" },
		{ "#!ipxe\n{{#job}}\nboot\n", "f.tmpl:2: unclosed section \"job\"" },
		{ "a\nb\n{{/job}}\n", "f.tmpl:3: {{/job}} closes no section" },
		{ "{{#job}}{{#bios}}{{/job}}{{/bios}}", "f.tmpl:1: {{/job}} does not close the innermost section" },
		{ "x {{image_name}}\n", "f.tmpl:1: \"image_name\" is only defined inside {{#images}}" },
		{ "x {{mac\n}}", "f.tmpl:1: unterminated tag {{" },
		{ "{{images}}", "f.tmpl:1: \"images\" is a list: use {{#images}}...{{/images}}" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct menu_tmpl *t = NULL;
		char err[256] = "";

		assert_int_equal(menu_parse("f.tmpl", bad[i].text, strlen(bad[i].text), &t, err,
					    sizeof(err)), -EINVAL);
		assert_null(t);
		assert_string_equal(err, bad[i].err);
	}
}

static void test_chain(void **state)
{
	char buf[256];

	(void)state;
	assert_true(menu_chain_script("10.0.0.1", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "#!ipxe\nchain http://10.0.0.1/boot/${net0/mac}.ipxe"
			    " || chain http://10.0.0.1/boot/default.ipxe\n");
	assert_int_equal(menu_chain_script("10.0.0.1", buf, 10), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_script),
		cmocka_unit_test(test_job_retries),
		cmocka_unit_test(test_menu_bios),
		cmocka_unit_test(test_menu_uefi),
		cmocka_unit_test(test_menu_unknown_arch),
		cmocka_unit_test(test_waiting_script),
		cmocka_unit_test(test_wait_spread),
		cmocka_unit_test(test_waiting_custom_template),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
