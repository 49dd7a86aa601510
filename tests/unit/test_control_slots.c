/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Job slots (control/jobs_slots.c, jobs.h "job slots") on a real SQLite
 * file with an explicit clock: the queue's order, slots freed by done,
 * failed and cancelled, max_active 1 and N, a group job, the lease of a
 * slot whose host never shows up, a check-in that wins over the queue,
 * leftovers of a run with another limit, the migration from schema 2, and
 * the queue surviving a reopen and a kill -9.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "schema.h"
#include "store.h"

#define SEC 1000            /* the clock is unix milliseconds */
#define LEASE (60 * SEC)

static char dir[64], db[128];

/* What the slot hook was told: hosts whose script changed, in order. */
static char told[64][STP_MAC_STRLEN];
static int n_told;

static void hook(void *ctx, const char *mac)
{
	(void)ctx;
	assert_true(n_told < 64);
	snprintf(told[n_told++], STP_MAC_STRLEN, "%s", mac);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/stp-slots-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/s.db", dir);
	n_told = 0;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct store *open_slots(uint32_t max_active)
{
	char err[256];
	struct store *s;

	assert_int_equal(store_open(db, &s, err, sizeof(err)), 0);
	jobs_slots_set(s, max_active, LEASE, hook, NULL);
	return s;
}

static const char *mac_of(int i)
{
	static char m[16][STP_MAC_STRLEN];

	snprintf(m[i], STP_MAC_STRLEN, "52:54:00:00:00:%02x", i);
	return m[i];
}

/* Hosts 1..n, all with image "deb", in group "lab". */
static void add_hosts(struct store *s, int n)
{
	struct image im = { "deb", "fos/bzImage", "fos/init.xz", "" };
	struct group g = { "lab", "" };

	assert_int_equal(store_image_add(s, &im, 1), 0);
	assert_int_equal(store_group_add(s, &g, 1), 0);
	for (int i = 1; i <= n; i++) {
		struct host h;

		memset(&h, 0, sizeof(h));
		snprintf(h.mac, sizeof(h.mac), "%s", mac_of(i));
		snprintf(h.name, sizeof(h.name), "h%d", i);
		snprintf(h.group, sizeof(h.group), "lab");
		snprintf(h.image, sizeof(h.image), "deb");
		assert_int_equal(store_host_add(s, &h, 1), 0);
	}
}

static int64_t deploy(struct store *s, int host, int64_t now)
{
	int64_t id = 0;

	assert_int_equal(jobs_create(s, mac_of(host), JOB_TYPE_DEPLOY, "", 0, now, &id), 0);
	return id;
}

static enum job_state state_of(struct store *s, int64_t id)
{
	struct job j;

	assert_int_equal(jobs_get(s, id, &j), 0);
	return j.state;
}

/* The states of jobs @a ids, as "w q b r d f c" letters. */
static const char *states(struct store *s, const int64_t *ids, int n)
{
	static char out[32];

	for (int i = 0; i < n; i++)
		out[i] = "wqbrdfc"[state_of(s, ids[i])];
	out[n] = '\0';
	return out;
}

static void counts(struct store *s, int64_t want_active, int64_t want_waiting)
{
	int64_t active = -1, waiting = -1;

	assert_int_equal(jobs_slots_count(s, &active, &waiting), 0);
	assert_int_equal(active, want_active);
	assert_int_equal(waiting, want_waiting);
}

/* max_active 1: one job at a time, the others in creation order; done,
 * failed and cancelled each hand the slot on; a waiting job cancelled
 * frees nothing and leaves the queue. */
static void test_one_slot_order(void **state)
{
	struct store *s = open_slots(1);
	int64_t id[6];
	struct job j;

	(void)state;
	add_hosts(s, 6);
	for (int i = 0; i < 6; i++)
		id[i] = deploy(s, i + 1, 10 * SEC + i);
	assert_string_equal(states(s, id, 6), "qwwwww");
	counts(s, 1, 5);
	assert_int_equal(jobs_get(s, id[1], &j), 0);
	assert_string_equal(j.message, "waiting for a free job slot");
	assert_int_equal(j.slot_at, 0);
	assert_int_equal(j.enqueued, 10 * SEC + 1);
	assert_int_equal(jobs_get(s, id[0], &j), 0);
	assert_int_equal(j.slot_at, 10 * SEC);
	assert_string_equal(j.message, "");
	/* The hook hears of grants (a new job's script is its creator's
	 * business): job 1 was created waiting and granted at once. */
	assert_int_equal(n_told, 1);
	assert_string_equal(told[0], mac_of(1));

	/* done: job 2 is next. */
	n_told = 0;
	assert_int_equal(jobs_set_state(s, id[0], JOB_BOOTING, NULL, 20 * SEC), 0);
	assert_int_equal(jobs_progress(s, id[0], 50, 1, 1, NULL, 21 * SEC), 0);
	assert_int_equal(jobs_set_state(s, id[0], JOB_DONE, "ok", 22 * SEC), 0);
	assert_string_equal(states(s, id, 6), "dqwwww");
	assert_int_equal(n_told, 1);
	assert_string_equal(told[0], mac_of(2));
	assert_int_equal(jobs_get(s, id[1], &j), 0);
	assert_int_equal(j.slot_at, 22 * SEC);
	assert_string_equal(j.message, "");

	/* A waiting job cancelled: the slot stays where it is. */
	assert_int_equal(jobs_set_state(s, id[2], JOB_CANCELLED, "no", 23 * SEC), 0);
	assert_string_equal(states(s, id, 6), "dqcwww");
	/* cancelled (queued): job 4. */
	assert_int_equal(jobs_set_state(s, id[1], JOB_CANCELLED, "no", 24 * SEC), 0);
	assert_string_equal(states(s, id, 6), "dccqww");
	/* failed (booting): job 5. */
	assert_int_equal(jobs_set_state(s, id[3], JOB_BOOTING, NULL, 25 * SEC), 0);
	assert_int_equal(jobs_set_state(s, id[3], JOB_FAILED, "disk", 26 * SEC), 0);
	assert_string_equal(states(s, id, 6), "dccfqw");
	/* failed (running): job 6, the last. */
	assert_int_equal(jobs_set_state(s, id[4], JOB_RUNNING, NULL, 27 * SEC), 0);
	assert_int_equal(jobs_set_state(s, id[4], JOB_FAILED, "disk", 28 * SEC), 0);
	assert_string_equal(states(s, id, 6), "dccffq");
	counts(s, 1, 0);
	assert_int_equal(jobs_set_state(s, id[5], JOB_RUNNING, NULL, 29 * SEC), 0);
	assert_int_equal(jobs_set_state(s, id[5], JOB_DONE, NULL, 30 * SEC), 0);
	counts(s, 0, 0);
	/* A new job finds the slot free. */
	assert_int_equal(jobs_set_state(s, deploy(s, 1, 31 * SEC), JOB_BOOTING, NULL, 32 * SEC), 0);
	counts(s, 1, 0);
	store_close(s);
}

/* max_active N through a group job: the first N hosts (by MAC, the
 * fan-out's order) start, the rest follow one per freed slot. */
static void test_n_slots_group(void **state)
{
	struct store *s = open_slots(3);
	int64_t gj, id[8];
	int n;

	(void)state;
	add_hosts(s, 8);
	assert_int_equal(jobs_create_group(s, "lab", JOB_TYPE_DEPLOY, "", 5 * SEC, &gj, &n), 0);
	assert_int_equal(n, 8);
	for (int i = 0; i < 8; i++) {
		struct job j;

		assert_int_equal(jobs_live_for(s, mac_of(i + 1), &j), 0);
		id[i] = j.id;
	}
	assert_string_equal(states(s, id, 8), "qqqwwwww");
	counts(s, 3, 5);
	assert_int_equal(jobs_set_state(s, id[1], JOB_RUNNING, NULL, 6 * SEC), 0);
	assert_int_equal(jobs_set_state(s, id[1], JOB_DONE, NULL, 7 * SEC), 0);
	assert_string_equal(states(s, id, 8), "qdqqwwww");
	assert_int_equal(jobs_set_state(s, id[0], JOB_CANCELLED, NULL, 8 * SEC), 0);
	assert_int_equal(jobs_set_state(s, id[2], JOB_FAILED, NULL, 8 * SEC), 0);
	assert_string_equal(states(s, id, 8), "cdfqqqww");
	counts(s, 3, 2);
	/* A job created later waits behind the group. */
	{
		struct host h;
		int64_t late;

		memset(&h, 0, sizeof(h));
		snprintf(h.mac, sizeof(h.mac), "%s", mac_of(9));
		snprintf(h.name, sizeof(h.name), "late");
		snprintf(h.image, sizeof(h.image), "deb");
		assert_int_equal(store_host_add(s, &h, 9 * SEC), 0);
		late = deploy(s, 9, 9 * SEC);
		for (int i = 3; i < 6; i++)
			assert_int_equal(jobs_set_state(s, id[i], JOB_CANCELLED, NULL, 10 * SEC), 0);
		assert_string_equal(states(s, id, 8), "cdfcccqq");
		assert_int_equal(state_of(s, late), JOB_QUEUED);
	}
	counts(s, 3, 0);
	store_close(s);
}

/* The lease: a queued job whose host never fetches its script, and a
 * booting one whose imaging OS never checks in, wait again at the back
 * of the queue; a running job keeps its slot however long it runs. */
static void test_lease(void **state)
{
	struct store *s = open_slots(1);
	int64_t a, b, c;
	bool due;
	struct job j;

	(void)state;
	add_hosts(s, 3);
	a = deploy(s, 1, 0);
	b = deploy(s, 2, 1 * SEC);
	c = deploy(s, 3, 2 * SEC);
	assert_int_equal(jobs_slots_due(s, LEASE - 1, &due), 0);
	assert_false(due);
	assert_int_equal(jobs_slots_expire(s, LEASE - 1), 0);
	assert_int_equal(state_of(s, a), JOB_QUEUED);
	/* a never fetched its script: b gets the slot, a joins the back. */
	assert_int_equal(jobs_slots_due(s, LEASE, &due), 0);
	assert_true(due);
	n_told = 0;
	assert_int_equal(jobs_slots_expire(s, LEASE), 1);
	assert_int_equal(n_told, 2);
	assert_string_equal(told[0], mac_of(1));
	assert_string_equal(told[1], mac_of(2));
	assert_int_equal(jobs_get(s, a, &j), 0);
	assert_int_equal(j.state, JOB_WAITING);
	assert_int_equal(j.enqueued, LEASE);
	assert_int_equal(j.slot_at, 0);
	assert_non_null(strstr(j.message, "did not fetch its script within 60 s"));
	assert_int_equal(state_of(s, b), JOB_QUEUED);
	assert_int_equal(jobs_slots_due(s, LEASE, &due), 0);
	assert_false(due);

	/* The script fetch renews the lease: b's runs from then. */
	assert_int_equal(jobs_set_state(s, b, JOB_BOOTING, NULL, LEASE + 30 * SEC), 0);
	assert_int_equal(jobs_slots_expire(s, 2 * LEASE + 29 * SEC), 0);
	assert_int_equal(state_of(s, b), JOB_BOOTING);
	assert_int_equal(jobs_slots_expire(s, 2 * LEASE + 30 * SEC), 1);
	assert_int_equal(jobs_get(s, b, &j), 0);
	assert_int_equal(j.state, JOB_WAITING);
	assert_non_null(strstr(j.message, "imaging OS did not check in within 60 s"));
	/* c was queued before a's lease ran out: c goes first. */
	assert_int_equal(state_of(s, c), JOB_QUEUED);
	assert_int_equal(state_of(s, a), JOB_WAITING);

	/* Running: no lease. */
	assert_int_equal(jobs_set_state(s, c, JOB_RUNNING, NULL, 2 * LEASE + 31 * SEC), 0);
	assert_int_equal(jobs_slots_expire(s, 100 * LEASE), 0);
	assert_int_equal(state_of(s, c), JOB_RUNNING);
	assert_int_equal(jobs_set_state(s, c, JOB_DONE, NULL, 100 * LEASE), 0);
	/* Then a (back of the queue since LEASE) before b (since 2 LEASE + 30 s). */
	assert_int_equal(state_of(s, a), JOB_QUEUED);
	assert_int_equal(state_of(s, b), JOB_WAITING);
	assert_int_equal(jobs_get(s, a, &j), 0);
	assert_string_equal(j.message, "");
	store_close(s);
}

/* With nobody else waiting, a job whose lease ran out gets its slot back
 * at once (a host powered on late still boots); the log says both. */
static void test_lease_alone(void **state)
{
	struct store *s = open_slots(2);
	int64_t a;
	struct job j;

	(void)state;
	add_hosts(s, 1);
	a = deploy(s, 1, 0);
	n_told = 0;
	assert_int_equal(jobs_slots_expire(s, LEASE), 1);
	assert_int_equal(jobs_get(s, a, &j), 0);
	assert_int_equal(j.state, JOB_QUEUED);
	assert_int_equal(j.slot_at, LEASE);
	assert_int_equal(n_told, 2);
	assert_int_equal(jobs_slots_expire(s, 2 * LEASE - 1), 0);
	counts(s, 1, 0);
	store_close(s);
}

/* A host checks in while waiting (it fetched the job script a moment
 * before its lease ran out): it runs, over the limit, and nobody is
 * granted a slot until the count is below the limit again. */
static void test_checkin_while_waiting(void **state)
{
	struct store *s = open_slots(1);
	int64_t a, b, c;

	(void)state;
	add_hosts(s, 3);
	a = deploy(s, 1, 0);
	b = deploy(s, 2, 1);
	c = deploy(s, 3, 2);
	assert_int_equal(jobs_progress(s, b, 10, 1, 1, "early", 3), 0);
	assert_int_equal(state_of(s, b), JOB_RUNNING);
	counts(s, 2, 1);
	assert_int_equal(jobs_set_state(s, a, JOB_RUNNING, NULL, 4), 0);
	assert_int_equal(jobs_set_state(s, a, JOB_DONE, NULL, 5), 0);
	assert_int_equal(state_of(s, c), JOB_WAITING); /* b still holds the one slot */
	assert_int_equal(jobs_slots_fill(s, 6), 0);
	assert_int_equal(jobs_set_state(s, b, JOB_DONE, NULL, 7), 0);
	assert_int_equal(state_of(s, c), JOB_QUEUED);
	/* Only the slot code moves a job into waiting, never a running one. */
	assert_int_equal(jobs_set_state(s, c, JOB_RUNNING, NULL, 8), 0);
	assert_int_equal(jobs_set_state(s, c, JOB_WAITING, NULL, 9), -EINVAL);
	assert_non_null(strstr(store_error(s), "a running job keeps its slot"));
	store_close(s);
}

/*
 * Restart: the queue, the slots and their leases are rows. Reopened with
 * the same limit nothing moves; with a larger one the waiting jobs get the
 * new slots (in order); without a limit all of them do.
 */
static void test_restart(void **state)
{
	struct store *s = open_slots(2);
	int64_t id[6];

	(void)state;
	add_hosts(s, 6);
	for (int i = 0; i < 6; i++)
		id[i] = deploy(s, 6 - i, i * SEC); /* created from host 6 down */
	assert_int_equal(jobs_set_state(s, id[0], JOB_RUNNING, NULL, 10 * SEC), 0);
	assert_string_equal(states(s, id, 6), "rqwwww");
	store_close(s);

	s = open_slots(2);
	assert_string_equal(states(s, id, 6), "rqwwww");
	assert_int_equal(jobs_slots_expire(s, 11 * SEC), 0);
	assert_string_equal(states(s, id, 6), "rqwwww");
	/* Leases kept their start: job 2's still runs out a lease after it. */
	assert_int_equal(jobs_slots_expire(s, LEASE + SEC), 1);
	assert_string_equal(states(s, id, 6), "rwqwww");
	store_close(s);

	s = open_slots(4);
	assert_int_equal(jobs_slots_expire(s, LEASE + 2 * SEC), 0);
	assert_string_equal(states(s, id, 6), "rwqqqw");
	store_close(s);

	s = open_slots(0);
	/* No limit: new jobs are queued at once, leftovers get theirs. */
	assert_int_equal(jobs_slots_expire(s, LEASE + 3 * SEC), 0);
	assert_string_equal(states(s, id, 6), "rqqqqq");
	counts(s, 6, 0);
	assert_int_equal(jobs_slots_expire(s, 1000 * LEASE), 0);
	store_close(s);
}

/* kill -9 between a committed grant and a write in flight: the grant and
 * the queue are there after the reopen, the uncommitted change is not. */
static void test_kill9(void **state)
{
	int fds[2];
	pid_t pid;
	char ch;
	struct store *s;
	int64_t id[3] = { 1, 2, 3 };

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		s = open_slots(1);
		add_hosts(s, 3);
		for (int i = 0; i < 3; i++)
			deploy(s, i + 1, i);
		store_begin(s);
		jobs_set_state(s, 1, JOB_RUNNING, NULL, 10);
		jobs_set_state(s, 1, JOB_DONE, NULL, 11); /* hands the slot to 2 ... */
		store_commit(s);
		store_begin(s);
		jobs_set_state(s, 2, JOB_CANCELLED, NULL, 12); /* ... this never commits */
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(fds[0], &ch, 1), 1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
	s = open_slots(1);
	assert_string_equal(states(s, id, 3), "dqw");
	store_close(s);
}

/* Schema 2 had no slots: its live jobs keep their state, join the queue
 * at their creation, and a host still has at most one live job, waiting
 * included. */
static void test_migrate_from_v2(void **state)
{
	sqlite3 *h;
	struct store *s;
	char err[256];
	struct job j;
	int64_t id;

	(void)state;
	assert_int_equal(store_open(db, &s, err, sizeof(err)), 0);
	add_hosts(s, 2);
	store_close(s);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	/* Back to what schema 2 left: no slot columns, the old index. */
	assert_int_equal(sqlite3_exec(h, "DROP INDEX jobs_queue; DROP INDEX jobs_one_active;"
				      "ALTER TABLE jobs DROP COLUMN slot_at;"
				      "ALTER TABLE jobs DROP COLUMN enqueued;"
				      "CREATE UNIQUE INDEX jobs_one_active ON jobs(mac)"
				      " WHERE state IN ('queued','booting','running');"
				      "INSERT INTO jobs (mac, type, image, state, created, updated)"
				      " VALUES ('52:54:00:00:00:01', 'deploy', 'deb', 'booting', 5, 7);"
				      "PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	s = open_slots(1);
	assert_int_equal(jobs_live_for(s, mac_of(1), &j), 0);
	assert_int_equal(j.state, JOB_BOOTING);
	assert_int_equal(j.enqueued, 5);
	assert_int_equal(j.slot_at, 7);
	id = deploy(s, 2, 8);
	assert_int_equal(state_of(s, id), JOB_WAITING);
	assert_int_equal(jobs_create(s, mac_of(2), JOB_TYPE_WIPE, "", 0, 9, &id), -EEXIST);
	assert_non_null(strstr(store_error(s), "(deploy, waiting)"));
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_slot_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_n_slots_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkin_while_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v2, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
