/* SPDX-License-Identifier: BSD-3-Clause */
/* Store and jobs: migrations, hosts, CSV import, the job state machine,
 * group fan-out, the one-live-job rule, the bounded event log, kill -9. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "jobs.h"
#include "lease_store.h"
#include "schema.h"
#include "store.h"

static char dir[64], db[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/stp-ctl-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/s.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct store *open_store(void)
{
	char err[256];
	struct store *s;

	assert_int_equal(store_open(db, &s, err, sizeof(err)), 0);
	return s;
}

static int user_version(void)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int v;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL);
	sqlite3_step(st);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void test_migrate_from_v1(void **state)
{
	sqlite3 *h;
	struct store *s;
	char err[256];
	struct lease_store *ls;

	(void)state;
	/* A lease-only database as the v1 build left it. */
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "CREATE TABLE leases (mac TEXT PRIMARY KEY, ip INTEGER"
				      " NOT NULL UNIQUE, expires INTEGER NOT NULL, state INTEGER"
				      " NOT NULL, updated INTEGER NOT NULL DEFAULT 0);"
				      "INSERT INTO leases VALUES ('52:54:00:00:00:01', 1, 2, 1, 0);"
				      "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	s = open_store();
	assert_int_equal(user_version(), schema_latest());
	store_close(s);
	ls = lease_store_open(db, err, sizeof(err));
	assert_non_null(ls);
	lease_store_close(ls);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "SELECT count(*) FROM leases", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);
}

static void test_migrate_from_empty(void **state)
{
	struct store *s;

	(void)state;
	s = open_store();
	store_close(s);
	assert_int_equal(user_version(), schema_latest());
	assert_true(schema_latest() >= 2);
}

static void add_image(struct store *s, const char *name)
{
	struct image im = { "", "fos/bzImage", "fos/init.xz", "quiet" };

	snprintf(im.name, sizeof(im.name), "%s", name);
	assert_int_equal(store_image_add(s, &im, 1), 0);
}

static void add_host(struct store *s, const char *mac, const char *name, const char *group,
		     const char *image)
{
	struct host h;

	memset(&h, 0, sizeof(h));
	assert_int_equal(store_norm_mac(s, mac, h.mac), 0);
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(h.group, sizeof(h.group), "%s", group);
	snprintf(h.image, sizeof(h.image), "%s", image);
	assert_int_equal(store_host_add(s, &h, 1), 0);
}

static void test_hosts_crud(void **state)
{
	struct store *s = open_store();
	struct group g = { "lab", "" };
	struct host h;

	(void)state;
	assert_int_equal(store_group_add(s, &g, 1), 0);
	add_image(s, "win11");
	add_host(s, "52-54-00-AA-00-01", "pc1", "lab", "win11");
	assert_int_equal(store_host_get(s, "pc1", &h), 0);
	assert_string_equal(h.mac, "52:54:00:aa:00:01");
	assert_string_equal(h.group, "lab");
	memset(&h, 0, sizeof(h));
	snprintf(h.mac, sizeof(h.mac), "52:54:00:aa:00:02");
	snprintf(h.name, sizeof(h.name), "pc1");
	assert_int_equal(store_host_add(s, &h, 2), -EEXIST);
	assert_non_null(strstr(store_error(s), "pc1"));
	snprintf(h.name, sizeof(h.name), "pc2");
	snprintf(h.image, sizeof(h.image), "nope");
	assert_int_equal(store_host_add(s, &h, 2), -ENOENT);
	snprintf(h.image, sizeof(h.image), "bad name");
	assert_int_equal(store_host_add(s, &h, 2), -EINVAL);
	/* Discovered by DHCP, then registered. */
	assert_int_equal(store_host_seen(s, "52:54:00:aa:00:03", "10.0.0.3", 7, 3), 0);
	assert_int_equal(store_host_get(s, "52:54:00:aa:00:03", &h), 0);
	assert_true(h.discovered);
	assert_int_equal(h.arch, 7);
	snprintf(h.name, sizeof(h.name), "pc3");
	assert_int_equal(store_host_add(s, &h, 4), 0);
	assert_int_equal(store_host_get(s, "pc3", &h), 0);
	assert_false(h.discovered);
	assert_string_equal(h.last_ip, "10.0.0.3");
	assert_int_equal(store_host_delete(s, h.mac), 0);
	assert_int_equal(store_host_delete(s, h.mac), -ENOENT);
	/* Deleting the image unsets it on the host. */
	assert_int_equal(store_image_delete(s, "win11"), 0);
	assert_int_equal(store_host_get(s, "pc1", &h), 0);
	assert_string_equal(h.image, "");
	store_close(s);
}

static int count_hosts(void *ctx, const struct host *h)
{
	(void)h;
	(*(int *)ctx)++;
	return 0;
}

struct nested {
	struct store *s;
	int outer, inner;
};

/* A walk inside a walk of the same statement: the cached one is in use,
 * so the inner walk must get its own and leave the outer one going. */
static int walk_inner(void *ctx, const struct host *h)
{
	struct nested *n = ctx;

	(void)h;
	n->outer++;
	assert_int_equal(store_host_each(n->s, NULL, count_hosts, &n->inner), 3);
	return 0;
}

static void test_stmt_cache(void **state)
{
	struct store *s = open_store();
	struct nested n = { s, 0, 0 };
	struct host h;

	(void)state;
	for (int i = 1; i <= 3; i++) {
		char mac[STP_MAC_STRLEN];

		snprintf(mac, sizeof(mac), "52:54:00:aa:01:%02x", i);
		assert_int_equal(store_host_seen(s, mac, "10.0.0.9", 7, i), 0);
	}
	assert_int_equal(store_host_each(s, NULL, walk_inner, &n), 3);
	assert_int_equal(n.outer, 3);
	assert_int_equal(n.inner, 9);
	/* The same statements again, rebound, in and out of a transaction. */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(store_begin(s), 0);
		assert_int_equal(store_host_seen(s, "52:54:00:aa:01:01", "10.0.0.8", i, 10 + i), 0);
		assert_int_equal(store_host_get(s, "52:54:00:aa:01:01", &h), 0);
		assert_int_equal(h.arch, i);
		if (i % 2)
			store_rollback(s);
		else
			assert_int_equal(store_commit(s), 0);
	}
	assert_int_equal(store_host_get(s, "52:54:00:aa:01:01", &h), 0);
	assert_int_equal(h.arch, 48);
	assert_int_equal(store_host_get(s, "52:54:00:aa:09:09", &h), -ENOENT);
	store_close(s);
}

static void test_csv_import(void **state)
{
	static const char good[] = "mac,name,group,image\n"
				   "52:54:00:00:00:01,a1\n\n# comment\n"
				   "52:54:00:00:00:02, a2 ,lab\r\n";
	static const char bad[] = "52:54:00:00:00:03,b3\n52:54:00:00:00:04,b4\nzz,b5\n";
	struct store *s = open_store();
	struct group g = { "lab", "" };
	int n = 0;

	(void)state;
	assert_int_equal(store_group_add(s, &g, 1), 0);
	assert_int_equal(store_host_import_csv(s, good, strlen(good), 1), 2);
	assert_int_equal(store_host_import_csv(s, bad, strlen(bad), 1), -EINVAL);
	assert_string_equal(store_error(s), "line 3: bad MAC \"zz\"");
	assert_int_equal(store_host_each(s, NULL, count_hosts, &n), 2);
	assert_int_equal(n, 2);
	assert_int_equal(store_host_import_csv(s, "52:54:00:00:00:05,a1\n", 21, 1), -EEXIST);
	assert_non_null(strstr(store_error(s), "line 1: host name \"a1\""));
	assert_int_equal(store_host_import_csv(s, "52:54:00:00:00:05,x,nogroup\n", 28, 1),
			 -ENOENT);
	assert_string_equal(store_error(s), "line 1: no group \"nogroup\"");
	store_close(s);
}

static void test_transitions(void **state)
{
	/* Every pair: exactly these are legal. */
	static const char *const legal[] = {
		"waiting>queued", "waiting>running", "waiting>failed", "waiting>cancelled",
		"queued>waiting", "queued>booting", "queued>running", "queued>failed",
		"queued>cancelled",
		"booting>waiting", "booting>running", "booting>failed", "booting>cancelled",
		"running>running", "running>done", "running>failed", "running>cancelled",
	};
	(void)state;
	for (int a = 0; a < JOB_STATE_N; a++) {
		for (int b = 0; b < JOB_STATE_N; b++) {
			char pair[40];
			const char *why = NULL;
			bool want = false;

			snprintf(pair, sizeof(pair), "%s>%s", job_state_name((enum job_state)a),
				 job_state_name((enum job_state)b));
			for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
				want |= strcmp(pair, legal[i]) == 0;
			assert_int_equal(job_transition_check((enum job_state)a, (enum job_state)b,
							      &why), want ? 0 : -EINVAL);
			if (!want)
				assert_non_null(why);
		}
	}
}

static void test_jobs_db(void **state)
{
	struct store *s = open_store();
	struct group g = { "lab", "" };
	int64_t id, id2, gj;
	struct job j;
	int n;

	(void)state;
	assert_int_equal(store_group_add(s, &g, 1), 0);
	add_image(s, "deb");
	add_host(s, "52:54:00:00:00:01", "h1", "lab", "deb");
	add_host(s, "52:54:00:00:00:02", "h2", "lab", "");
	assert_int_equal(jobs_create(s, "52:54:00:00:00:09", JOB_TYPE_DEPLOY, "", 0, 1, &id),
			 -ENOENT);
	assert_int_equal(jobs_create(s, "52:54:00:00:00:02", JOB_TYPE_DEPLOY, "", 0, 1, &id),
			 -EINVAL);
	assert_int_equal(jobs_create(s, "52:54:00:00:00:02", JOB_TYPE_DEPLOY, "x", 0, 1, &id),
			 -ENOENT);
	assert_int_equal(jobs_create(s, "52:54:00:00:00:01", JOB_TYPE_DEPLOY, "", 0, 1, &id), 0);
	assert_int_equal(jobs_create(s, "52:54:00:00:00:01", JOB_TYPE_WIPE, "", 0, 1, &id2),
			 -EEXIST);
	/* Group fan-out is all or nothing: h1 is busy. */
	assert_int_equal(jobs_create_group(s, "lab", JOB_TYPE_REGISTER, "", 2, &gj, &n), -EEXIST);
	assert_int_equal(jobs_live_for(s, "52:54:00:00:00:02", &j), -ENOENT);
	assert_int_equal(jobs_set_state(s, id, JOB_DONE, "x", 3), -EINVAL);
	assert_non_null(strstr(store_error(s), "cannot go from queued to done"));
	assert_int_equal(jobs_set_state(s, id, JOB_BOOTING, NULL, 3), 0);
	assert_int_equal(jobs_progress(s, id, 50, 1000, 10, "half", 4), 0);
	assert_int_equal(jobs_progress(s, id, 101, 1000, 10, "x", 4), -EINVAL);
	assert_int_equal(jobs_set_state(s, id, JOB_DONE, "ok", 5), 0);
	assert_int_equal(jobs_get(s, id, &j), 0);
	assert_int_equal(j.state, JOB_DONE);
	assert_int_equal(j.percent, 100);
	assert_int_equal(j.started, 3);
	assert_int_equal(j.finished, 5);
	assert_int_equal(jobs_set_state(s, id, JOB_CANCELLED, NULL, 6), -EINVAL);
	assert_int_equal(jobs_create_group(s, "lab", JOB_TYPE_REGISTER, "", 7, &gj, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(jobs_live_for(s, "52:54:00:00:00:02", &j), 0);
	assert_int_equal(j.group_job, gj);
	store_close(s);
}

static void test_events_bounded(void **state)
{
	struct store *s = open_store();

	(void)state;
	store_set_events_max(s, 10);
	assert_int_equal(store_begin(s), 0);
	for (int i = 0; i < 25; i++)
		assert_int_equal(store_event_add(s, i, "52:54:00:00:00:01", "", "dhcp", ""), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_event_count(s), 10);
	store_close(s);
}

static void test_boot_stages(void **state)
{
	struct store *s = open_store();
	const char *m = "52:54:00:00:00:01";
	struct boot b, b2;

	(void)state;
	assert_int_equal(store_boot_stage(s, m, STAGE_FW_DHCP, 0, 1000), 0);
	assert_int_equal(store_boot_stage(s, m, STAGE_FW_TFTP, 0, 1500), 0);
	assert_int_equal(store_boot_stage(s, m, STAGE_FW_TFTP, 0, 1600), 0); /* retry */
	assert_int_equal(store_boot_stage(s, m, STAGE_IPXE_DHCP, 0, 4000), 0);
	assert_int_equal(store_boot_latest(s, m, &b), 0);
	assert_int_equal(b.at[STAGE_FW_TFTP], 1500);
	assert_int_equal(b.at[STAGE_IPXE_DHCP], 4000);
	/* The next firmware DHCP is a new boot. */
	assert_int_equal(store_boot_stage(s, m, STAGE_FW_DHCP, 0, 9000), 0);
	assert_int_equal(store_boot_latest(s, m, &b2), 0);
	assert_true(b2.id > b.id);
	assert_int_equal(b2.at[STAGE_IPXE_DHCP], 0);
	store_close(s);
}

/* kill -9 after a committed write, with another write in flight. */
static void test_durability(void **state)
{
	int fds[2];
	pid_t pid;
	char c;
	struct store *s;
	struct job j;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int64_t id;

		s = open_store();
		add_image(s, "deb");
		add_host(s, "52:54:00:00:00:01", "h1", "", "deb");
		jobs_create(s, "52:54:00:00:00:01", JOB_TYPE_DEPLOY, "", 0, 1, &id);
		jobs_progress(s, id, 40, 4000, 100, "writing sda", 2);
		store_begin(s);
		add_host(s, "52:54:00:00:00:02", "h2", "", "");
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(fds[0], &c, 1), 1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
	s = open_store();
	assert_int_equal(jobs_live_for(s, "52:54:00:00:00:01", &j), 0);
	assert_int_equal(j.state, JOB_RUNNING);
	assert_int_equal(j.percent, 40);
	assert_string_equal(j.message, "writing sda");
	{
		struct host h;

		assert_int_equal(store_host_get(s, "h2", &h), -ENOENT);
	}
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_from_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hosts_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stmt_cache, setup, teardown),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test_setup_teardown(test_jobs_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_stages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durability, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
