/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for the SQLite lease store: create, persist, reopen, move an
 * address between MACs, roll a transaction back, survive SIGKILL right
 * after a commit, refuse a newer schema. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "lease_store.h"

struct seen {
	struct lease_row rows[16];
	int n;
};

static int collect(void *ctx, const struct lease_row *row)
{
	struct seen *s = ctx;

	if (s->n < 16)
		s->rows[s->n++] = *row;
	return 0;
}

static const struct lease_row *find_ip(const struct seen *s, uint32_t ip)
{
	for (int i = 0; i < s->n; i++)
		if (s->rows[i].ip == ip)
			return &s->rows[i];
	return NULL;
}

static char dir[64];
static char db[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/stp-lease-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/sub/dir/leases.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_persist_and_reload(void **state)
{
	char err[256];
	struct lease_store *ls;
	struct lease_row r = { { { 0x52, 0x54, 0, 0, 0, 1 } }, 0x0a4d0064, 1000, LEASE_BOUND };
	struct seen s = { .n = 0 };
	const struct lease_row *got;

	(void)state;
	ls = lease_store_open(db, err, sizeof(err));
	assert_non_null(ls);
	assert_int_equal(lease_store_begin(ls), 0);
	assert_int_equal(lease_store_put(ls, &r), 0);
	r.mac.b[5] = 2;
	r.ip = 0x0a4d0065;
	r.state = LEASE_RELEASED;
	assert_int_equal(lease_store_put(ls, &r), 0);
	assert_int_equal(lease_store_commit(ls), 0);
	/* Renewal of MAC 1 updates in place. */
	r.mac.b[5] = 1;
	r.ip = 0x0a4d0064;
	r.expires = 5000;
	r.state = LEASE_BOUND;
	assert_int_equal(lease_store_put(ls, &r), 0);
	lease_store_close(ls);

	ls = lease_store_open(db, err, sizeof(err));
	assert_non_null(ls);
	assert_int_equal(lease_store_load(ls, collect, &s, err, sizeof(err)), 2);
	got = find_ip(&s, 0x0a4d0064);
	assert_non_null(got);
	assert_int_equal(got->expires, 5000);
	assert_int_equal(got->mac.b[5], 1);
	assert_int_equal(got->state, LEASE_BOUND);
	got = find_ip(&s, 0x0a4d0065);
	assert_non_null(got);
	assert_int_equal(got->state, LEASE_RELEASED);

	/* The released address goes to MAC 3: MAC 2's claim disappears. */
	r.mac.b[5] = 3;
	r.ip = 0x0a4d0065;
	assert_int_equal(lease_store_put(ls, &r), 0);
	s.n = 0;
	assert_int_equal(lease_store_load(ls, collect, &s, err, sizeof(err)), 2);
	got = find_ip(&s, 0x0a4d0065);
	assert_non_null(got);
	assert_int_equal(got->mac.b[5], 3);
	lease_store_close(ls);
}

/* A transaction given up leaves nothing behind, and the next one works. */
static void test_rollback(void **state)
{
	char err[256];
	struct lease_store *ls;
	struct lease_row r = { { { 0x52, 0x54, 0, 0, 0, 1 } }, 0x0a4d0064, 1000, LEASE_BOUND };
	struct seen s = { .n = 0 };

	(void)state;
	ls = lease_store_open(db, err, sizeof(err));
	assert_non_null(ls);
	assert_int_equal(lease_store_begin(ls), 0);
	assert_int_equal(lease_store_put(ls, &r), 0);
	lease_store_rollback(ls);
	lease_store_rollback(ls); /* none open: nothing to do */
	assert_int_equal(lease_store_load(ls, collect, &s, err, sizeof(err)), 0);
	assert_int_equal(lease_store_begin(ls), 0);
	assert_int_equal(lease_store_put(ls, &r), 0);
	assert_int_equal(lease_store_commit(ls), 0);
	assert_int_equal(lease_store_load(ls, collect, &s, err, sizeof(err)), 1);
	lease_store_close(ls);
}

/*
 * What "persisted" means to the DHCP lcore's held ACKs: once
 * lease_store_commit() has returned, a process killed with SIGKILL that
 * very moment (no close, no checkpoint) has its leases in the file for
 * the next one (WAL, synchronous=NORMAL: the commit is in the kernel).
 */
static void test_commit_survives_sigkill(void **state)
{
	char err[256];
	struct lease_store *ls;
	struct seen s = { .n = 0 };
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct lease_row r = { { { 0x52, 0x54, 0, 0, 0, 7 } }, 0x0a4d0070, 9000,
				       LEASE_BOUND };

		ls = lease_store_open(db, err, sizeof(err));
		if (ls == NULL || lease_store_begin(ls) != 0 || lease_store_put(ls, &r) != 0 ||
		    lease_store_commit(ls) != 0)
			_exit(3);
		/* a second transaction, never committed: must not show */
		r.mac.b[5] = 8;
		r.ip = 0x0a4d0071;
		if (lease_store_begin(ls) != 0 || lease_store_put(ls, &r) != 0)
			_exit(4);
		raise(SIGKILL);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ls = lease_store_open(db, err, sizeof(err));
	assert_non_null(ls);
	assert_int_equal(lease_store_load(ls, collect, &s, err, sizeof(err)), 1);
	assert_int_equal(s.rows[0].ip, 0x0a4d0070);
	assert_int_equal(s.rows[0].mac.b[5], 7);
	assert_int_equal(s.rows[0].expires, 9000);
	lease_store_close(ls);
}

static void test_newer_schema_refused(void **state)
{
	char err[256];
	struct lease_store *ls = lease_store_open(db, err, sizeof(err));
	sqlite3 *h;

	(void)state;
	assert_non_null(ls);
	lease_store_close(ls);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_null(lease_store_open(db, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));
}

static void test_bad_path(void **state)
{
	char err[256];

	(void)state;
	assert_null(lease_store_open("/proc/stampede-cannot/x.db", err, sizeof(err)));
	assert_non_null(strstr(err, "/proc/stampede-cannot/x.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_persist_and_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_survives_sigkill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_path, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
