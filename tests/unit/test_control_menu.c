/* SPDX-License-Identifier: BSD-3-Clause */
/* Menu rendering: byte-exact scripts, template errors with line numbers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
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
			      "fos/bzImage", "fos/init.xz", "quiet", 7, imgs, 1 };
	char *s = render(&x);

	(void)state;
	assert_string_equal(s,
		"#!ipxe\n"
		"echo stampede: deploy job 42 for 52:54:00:00:00:01\n"
		"kernel http://10.0.0.1/fos/bzImage initrd=init.xz stampede.job=42"
		" stampede.type=deploy stampede.image=deb stampede.server=http://10.0.0.1"
		" stampede.mac=52:54:00:00:00:01 quiet\n"
		"initrd http://10.0.0.1/fos/init.xz\n"
		"boot\n");
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
			      "bzImage", "init.xz", "", arch, imgs, 1 };
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
		cmocka_unit_test(test_menu_bios),
		cmocka_unit_test(test_menu_uefi),
		cmocka_unit_test(test_menu_unknown_arch),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
