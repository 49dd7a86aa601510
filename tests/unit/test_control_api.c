/* SPDX-License-Identifier: BSD-3-Clause */
/* API routes through api_handle(), and admin_http on loopback. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>

#include "admin_http.h"
#include "api.h"
#include "control.h"
#include "menu.h"
#include "prom.h"

static char dir[64];
static struct control *ctl;

/* The control under test: no slot limit unless a test's setup says. */
static uint32_t max_active, slot_timeout_s;
/* The clock of call() and call_has() when set (0: 1000 and 2000). */
static int64_t clock_ms;

static int setup(void **state)
{
	struct control_params p = { 0 };
	char db[128], err[256];

	(void)state;
	p.max_active = max_active;
	p.slot_timeout_s = slot_timeout_s;
	snprintf(dir, sizeof(dir), "/tmp/stp-api-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/s.db", dir);
	p.database = db;
	p.config_dir = dir;
	p.server_addr = 0x0a000001;
	p.http_port = 80;
	p.token = "sekret";
	assert_int_equal(control_open(&p, &ctl, err, sizeof(err)), 0);
	return 0;
}

/* Job slots: one job at a time, leases of 30 s. */
static int setup_slots(void **state)
{
	max_active = 1;
	slot_timeout_s = 30;
	return setup(state);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	max_active = 0;
	slot_timeout_s = 0;
	clock_ms = 0;
	control_close(ctl);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Call and compare status and (when given) the body exactly. */
static void call(const char *method, const char *path, const char *query, const char *auth,
		 const char *body, int status, const char *want)
{
	struct api_request r = { method, path, query, auth, body, body ? strlen(body) : 0,
				 API_SRC_ADMIN, clock_ms ? clock_ms : 1000 };
	struct api_response resp;

	assert_int_equal(api_handle(ctl, &r, &resp), status);
	if (want)
		assert_string_equal(resp.body, want);
	api_response_free(&resp);
}

#define TOK "Bearer sekret"

static void test_routes(void **state)
{
	(void)state;
	call("POST", "/api/v1/hosts", NULL, NULL, "{\"mac\":\"52:54:00:00:00:01\",\"name\":\"a\"}",
	     401, "{\"error\":\"missing bearer token (Authorization: Bearer ...)\"}");
	call("POST", "/api/v1/hosts", NULL, "Bearer nope", "{}", 401,
	     "{\"error\":\"wrong bearer token\"}");
	call("POST", "/api/v1/hosts", NULL, TOK, "{\"mac\":", 400, NULL);
	call("POST", "/api/v1/hosts", NULL, TOK, "{\"mac\":\"zz\",\"name\":\"a\"}", 400,
	     "{\"error\":\"bad MAC \\\"zz\\\"\"}");
	call("POST", "/api/v1/images", NULL, TOK,
	     "{\"name\":\"deb\",\"kernel\":\"fos/bzImage\",\"initrd\":\"fos/init.xz\"}", 201, NULL);
	call("POST", "/api/v1/hosts", NULL, TOK,
	     "{\"mac\":\"52:54:00:00:00:01\",\"name\":\"a\",\"image\":\"nope\"}", 404,
	     "{\"error\":\"no image \\\"nope\\\"\"}");
	call("GET", "/api/v1/hosts", NULL, NULL, NULL, 200, "{\"hosts\":[]}");
	call("POST", "/api/v1/hosts", NULL, TOK,
	     "{\"mac\":\"52:54:00:00:00:01\",\"name\":\"a\",\"image\":\"deb\"}", 201, NULL);
	call("POST", "/api/v1/jobs", NULL, TOK, "{\"type\":\"deploy\",\"host\":\"zz\"}", 404,
	     "{\"error\":\"no host \\\"zz\\\"\"}");
	call("POST", "/api/v1/jobs", NULL, TOK, "{\"type\":\"deploy\",\"host\":\"a\"}", 201, NULL);
	call("POST", "/api/v1/jobs", NULL, TOK, "{\"type\":\"wipe\",\"host\":\"a\"}", 409, NULL);
	call("GET", "/api/v1/job", "mac=52:54:00:00:00:99", NULL, NULL, 404,
	     "{\"error\":\"no host \\\"52:54:00:00:00:99\\\"\"}");
	call("POST", "/api/v1/job/1/done", NULL, NULL, "{\"message\":\"x\"}", 409, NULL);
	call("GET", "/api/v1/job", "mac=52%3A54%3A00%3A00%3A00%3A01", NULL, NULL, 200, NULL);
	call("POST", "/api/v1/job/1/progress", NULL, NULL,
	     "{\"percent\":50,\"bytes\":10,\"rate\":5,\"message\":\"half\","
	     "\"mac\":\"52:54:00:00:00:02\"}", 403, NULL);
	call("POST", "/api/v1/job/1/progress", NULL, NULL, "{\"percent\":50}", 200, NULL);
	call("POST", "/api/v1/job/1/done", NULL, NULL, "{\"message\":\"ok\"}", 200, NULL);
	call("GET", "/api/v1/job", "mac=52:54:00:00:00:01", NULL, NULL, 404,
	     "{\"error\":\"no job for 52:54:00:00:00:01\"}");
	call("POST", "/api/v1/register", NULL, NULL, "{\"mac\":\"52:54:00:00:00:07\","
	     "\"serial\":\"S1\",\"disk_bytes\":1000}", 201, NULL);
	call("GET", "/api/v1/hosts/host-525400000007", NULL, NULL, NULL, 200, NULL);
	call("POST", "/api/v1/hosts/import", NULL, TOK, "52:54:00:00:00:03,c\nbad,d\n", 400,
	     "{\"error\":\"line 2: bad MAC \\\"bad\\\"\"}");
	call("GET", "/api/v1/hosts/c", NULL, NULL, NULL, 404, NULL);
	call("GET", "/api/v1/nope", NULL, NULL, NULL, 404, NULL);
	call("PATCH", "/api/v1/hosts", NULL, TOK, NULL, 405, NULL);
}

static void test_oversize(void **state)
{
	char *big = malloc(API_BODY_MAX + 2);

	(void)state;
	memset(big, ' ', API_BODY_MAX + 1);
	big[API_BODY_MAX + 1] = '\0';
	call("POST", "/api/v1/register", NULL, NULL, big, 413, NULL);
	free(big);
}

static void test_stages_summary(void **state)
{
	struct mac_addr m = { { 0x52, 0x54, 0, 0, 0, 1 } };
	struct api_request r = { "GET", "/api/v1/status", "summary=1", NULL, NULL, 0,
				 API_SRC_ADMIN, 1 };
	struct api_response resp;
	int64_t v[] = { 5, 1, 4, 2, 3 };
	struct control_publish pub = { 0 };

	(void)state;
	assert_int_equal(api_percentile(v, 5, 50), 3);
	assert_int_equal(api_percentile(v, 5, 95), 5);
	for (int i = 0; i < 3; i++) {
		m.b[5] = (uint8_t)(i + 1);
		assert_int_equal(control_on_dhcp_lease(ctl, &m, 0x0a000010u + (uint32_t)i,
						       CONTROL_CLIENT_FIRMWARE, 0, 1000), 0);
		assert_int_equal(control_on_tftp_done(ctl, NULL, 0x0a000010u + (uint32_t)i,
						      "undionly.kpxe", 1000 + 100 * (i + 1)), 0);
	}
	assert_int_equal(api_handle(ctl, &r, &resp), 200);
	assert_non_null(strstr(resp.body, "{\"count\":3,\"max_ms\":300,\"p50_ms\":200,"
			       "\"p95_ms\":300,\"stage\":\"fw_tftp\",\"timed\":3}"));
	api_response_free(&resp);
	/* Three discovered hosts: chain + default + three scripts. */
	assert_int_equal(control_take_updates(ctl, &pub), 5);
	assert_string_equal(pub.objs[0].name, "boot.ipxe");
	control_publish_free(&pub);
	assert_int_equal(control_take_updates(ctl, &pub), 0);
	control_publish_free(&pub);
}

/* Call and check that the body holds every one of @a needles (NULL ends them). */
static void call_has(const char *method, const char *path, const char *body, int status,
		     const char *const *needles)
{
	struct api_request r = { method, path, NULL, TOK, body, body ? strlen(body) : 0,
				 API_SRC_ADMIN, clock_ms ? clock_ms : 2000 };
	struct api_response resp;

	assert_int_equal(api_handle(ctl, &r, &resp), status);
	for (; *needles != NULL; needles++)
		if (strstr(resp.body, *needles) == NULL)
			fail_msg("%s %s: \"%s\" not in %s", method, path, *needles, resp.body);
	api_response_free(&resp);
}

#define HAS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/*
 * FOG's quick registration of an unknown machine: it boots (a discovered
 * host), an administrator queues a register job for it, its imaging OS
 * registers with an inventory; the host is then registered, the job done,
 * and the inventory is what the host list and the host show.
 */
static void test_register_discovered(void **state)
{
	struct mac_addr m = { { 0x52, 0x54, 0, 0, 0, 0x21 } };

	(void)state;
	assert_int_equal(control_on_dhcp_lease(ctl, &m, 0x0a000021u, CONTROL_CLIENT_IPXE, 0,
					       1000), 0);
	call_has("GET", "/api/v1/hosts/52:54:00:00:00:21", NULL, 200,
		 HAS("\"discovered\":true", "\"inventory\":{}", "\"last_ip\":\"10.0.0.33\""));
	call_has("POST", "/api/v1/jobs", "{\"type\":\"register\",\"host\":\"52:54:00:00:00:21\"}",
		 201, HAS("\"id\":1,", "\"type\":\"register\"", "\"state\":\"queued\""));
	call_has("POST", "/api/v1/register", "{\"mac\":\"52:54:00:00:00:21\",\"serial\":\"SN-21\","
		 "\"disk_bytes\":67108864}", 201,
		 HAS("\"discovered\":false", "\"name\":\"host-525400000021\""));
	call_has("GET", "/api/v1/jobs/1", NULL, 200,
		 HAS("\"state\":\"done\"", "\"percent\":100"));
	call_has("GET", "/api/v1/hosts", NULL, 200,
		 HAS("\"discovered\":false",
		     "\"inventory\":{\"disk_bytes\":67108864,\"mac\":\"52:54:00:00:00:21\","
		     "\"serial\":\"SN-21\"}"));
	call_has("GET", "/api/v1/hosts/host-525400000021", NULL, 200,
		 HAS("\"inventory\":{\"disk_bytes\":67108864,"));
	/* the boot that ran the job has checked in and ended */
	call_has("GET", "/api/v1/status/52:54:00:00:00:21", NULL, 200,
		 HAS("\"job\":1,", "\"checkin\":2000,", "\"done\":2000,", "\"ipxe_dhcp\":1000,"));
}

static void test_admin_http(void **state)
{
	struct admin_http *h;
	char err[256], buf[4096];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd;
	ssize_t n, got = 0;
	static const char req[] = "GET /api/v1/hosts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

	(void)state;
	assert_int_equal(admin_http_start(ctl, 0x7f000001, 0, &h, err, sizeof(err)), 0);
	sa.sin_port = htons(admin_http_port(h));
	sa.sin_addr.s_addr = htonl(0x7f000001);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	close(fd);
	admin_http_stop(h);
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "{\"hosts\":[]}"));
}

static int counters_calls;

static void fake_counters(void *ctx, struct json_t *out)
{
	counters_calls++;
	json_object_set_new((json_t *)out, "rx_frames", json_integer(*(const int *)ctx));
}

/* One request from the given source; the body returned (free it). */
static char *call_src(const char *method, const char *path, const char *auth,
		      enum api_source src, int status)
{
	struct api_request r = { method, path, NULL, auth, NULL, 0, src, 3000 };
	struct api_response resp;
	char *body;

	assert_int_equal(api_handle(ctl, &r, &resp), status);
	body = strdup(resp.body ? resp.body : "");
	api_response_free(&resp);
	return body;
}

/*
 * One router for both ports: status shows the runtime's counters to
 * anyone, the boot timelines only with administrator read rights (the
 * admin socket, or the token on the upcall path); /counters returns them.
 */
static void test_status_sources(void **state)
{
	int rx = 42;
	char *b;

	(void)state;
	b = call_src("GET", "/api/v1/counters", NULL, API_SRC_ADMIN, 200);
	assert_string_equal(b, "{\"counters\":{}}");
	free(b);
	control_set_counters(ctl, fake_counters, &rx);
	b = call_src("GET", "/api/v1/status", NULL, API_SRC_ADMIN, 200);
	assert_non_null(strstr(b, "\"rx_frames\":42"));
	assert_non_null(strstr(b, "\"summary\":"));
	free(b);
	b = call_src("GET", "/api/v1/status", NULL, API_SRC_UPCALL, 200);
	assert_string_equal(b, "{\"rx_frames\":42}");
	free(b);
	b = call_src("GET", "/api/v1/status", "Bearer wrong", API_SRC_UPCALL, 200);
	assert_string_equal(b, "{\"rx_frames\":42}");
	free(b);
	b = call_src("GET", "/api/v1/status", TOK, API_SRC_UPCALL, 200);
	assert_non_null(strstr(b, "\"hosts\":[]"));
	free(b);
	b = call_src("HEAD", "/api/v1/status", NULL, API_SRC_UPCALL, 200);
	free(b);
	b = call_src("POST", "/api/v1/status", TOK, API_SRC_UPCALL, 405);
	free(b);
	/* Only status answers HEAD: a GET with a side effect must not. */
	b = call_src("HEAD", "/api/v1/job", NULL, API_SRC_UPCALL, 405);
	free(b);
	b = call_src("GET", "/api/v1/counters", NULL, API_SRC_UPCALL, 401);
	free(b);
	rx = 43;
	b = call_src("GET", "/api/v1/counters", TOK, API_SRC_UPCALL, 200);
	assert_string_equal(b, "{\"counters\":{\"rx_frames\":43}}");
	free(b);
	assert_int_equal(counters_calls, 6);
	control_set_counters(ctl, NULL, NULL);
}

/*
 * A drained batch: one transaction, the events in it as before; objects
 * that are no boot stage are decided without the database, and an image
 * added through the API is matched from then on.
 */
static void test_batch(void **state)
{
	struct mac_addr m = { { 0x52, 0x54, 0, 0, 0, 0x31 } };
	char *b;

	(void)state;
	assert_int_equal(control_batch_end(ctl), -EINVAL);
	assert_int_equal(control_batch_begin(ctl), 0);
	assert_int_equal(control_on_dhcp_lease(ctl, &m, 0x0a000031u, CONTROL_CLIENT_FIRMWARE, 7,
					       1000), 0);
	assert_int_equal(control_on_tftp_done(ctl, &m, 0x0a000031u, "ipxe.efi", 1100), 0);
	assert_int_equal(control_on_http_fetch(ctl, 0x0a000031u, "/boot.ipxe", 1200),
			 CONTROL_NOT_A_STAGE);
	assert_int_equal(control_on_http_fetch(ctl, 0x0a000031u, "fos/bzImage", 1200),
			 CONTROL_NOT_A_STAGE);
	assert_int_equal(control_on_http_fetch(ctl, 0x0a000031u, "bzImage", 1300), 0);
	/* Unknown host: logged, -ENOENT, the batch goes on. */
	assert_int_equal(control_on_http_fetch(ctl, 0x0a0000ffu, "init.xz", 1300), -ENOENT);
	assert_int_equal(control_batch_end(ctl), 0);
	call_has("GET", "/api/v1/status/52:54:00:00:00:31", NULL, 200,
		 HAS("\"fw_dhcp\":1000,", "\"fw_tftp\":1100,", "\"kernel\":1300,",
		     "\"initrd\":null"));
	call("POST", "/api/v1/images", NULL, TOK,
	     "{\"name\":\"fos\",\"kernel\":\"fos/bzImage\",\"initrd\":\"fos/init.xz\"}", 201,
	     NULL);
	assert_int_equal(control_on_http_fetch(ctl, 0x0a000031u, "fos/init.xz", 1400), 0);
	b = call_src("GET", "/api/v1/status/52:54:00:00:00:31", NULL, API_SRC_ADMIN, 200);
	assert_non_null(strstr(b, "\"initrd\":1400"));
	free(b);
}

/* ---- job slots through the control core ---- */

/* The published script of @a mac in @a pub, or NULL. */
static const char *script_of(const struct control_publish *pub, const char *mac)
{
	char name[64];

	snprintf(name, sizeof(name), "boot/%s.ipxe", mac);
	for (size_t i = 0; i < pub->n; i++)
		if (strcmp(pub->objs[i].name, name) == 0)
			return pub->objs[i].data;
	return NULL;
}

/* The scripts published now hold exactly these: @a job hosts boot their
 * job, @a wait hosts wait (with their own MAC and sleep), @a menu hosts
 * have their menu back; hosts not named were not re-rendered. */
static void published(const char *const *job, const char *const *wait, const char *const *menu,
		      size_t n)
{
	struct control_publish pub = { 0 };
	char want[160];

	assert_int_equal(control_take_updates(ctl, &pub), (int)n);
	for (; job && *job; job++)
		assert_non_null(strstr(script_of(&pub, *job), "\nkernel http://10.0.0.1/fos/bzImage"));
	for (; wait && *wait; wait++) {
		const char *sc = script_of(&pub, *wait);

		assert_non_null(sc);
		snprintf(want, sizeof(want), "sleep %u ||\nchain --replace http://10.0.0.1/boot/"
			 "%s.ipxe || goto stp_wait\n", menu_wait_s(*wait), *wait);
		if (strstr(sc, want) == NULL || strstr(sc, "kernel") != NULL)
			fail_msg("%s: not the waiting script:\n%s", *wait, sc);
		snprintf(want, sizeof(want), "for %s waits for a job slot\necho stampede: 1 jobs"
			 " run at once, asking again in %u s\n", *wait, menu_wait_s(*wait));
		assert_non_null(strstr(sc, want));
	}
	for (; menu && *menu; menu++)
		assert_non_null(strstr(script_of(&pub, *menu), "\nmenu stampede "));
	control_publish_free(&pub);
}

#define MACS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define HA "52:54:00:00:00:a1"
#define HB "52:54:00:00:00:a2"
#define HC "52:54:00:00:00:a3"

/*
 * jobs.max_active 1 end to end in the control core: the first job runs,
 * the others wait and their hosts get the waiting script; the imaging OS
 * reporting done hands the slot on and re-renders both scripts; a host
 * that never shows up loses its slot to the next after the lease (30 s
 * here) on control_tick()'s clock; a waiting host fetching its script
 * changes nothing, the granted one's fetch makes its job booting.
 */
static void test_job_slots(void **state)
{
	struct control_publish pub = { 0 };
	char *b;

	(void)state;
	call("POST", "/api/v1/images", NULL, TOK,
	     "{\"name\":\"deb\",\"kernel\":\"fos/bzImage\",\"initrd\":\"fos/init.xz\"}", 201, NULL);
	call("POST", "/api/v1/groups", NULL, TOK, "{\"name\":\"lab\"}", 201, NULL);
	call("POST", "/api/v1/hosts/import", NULL, TOK,
	     HA ",a,lab,deb\n" HB ",b,lab,deb\n" HC ",c,lab,deb\n", 201, NULL);
	assert_int_equal(control_take_updates(ctl, &pub), 5);
	control_publish_free(&pub);
	call_has("POST", "/api/v1/jobs", "{\"type\":\"deploy\",\"group\":\"lab\"}", 201,
		 HAS("\"jobs\":3"));
	call_has("GET", "/api/v1/jobs/1", NULL, 200, HAS("\"state\":\"queued\"",
		 "\"slot_at\":2000,", "\"enqueued\":2000"));
	call_has("GET", "/api/v1/jobs/2", NULL, 200, HAS("\"state\":\"waiting\"",
		 "\"slot_at\":null", "\"message\":\"waiting for a free job slot\""));
	/* A group job re-renders every script (plus chain and default). */
	{
		assert_int_equal(control_take_updates(ctl, &pub), 5);
		assert_non_null(strstr(script_of(&pub, HA), "kernel http://"));
		assert_non_null(strstr(script_of(&pub, HB), ":stp_wait\n"));
		assert_non_null(strstr(script_of(&pub, HC), ":stp_wait\n"));
		control_publish_free(&pub);
	}
	b = call_src("GET", "/api/v1/status", NULL, API_SRC_ADMIN, 200);
	assert_non_null(strstr(b, "\"job_slots\":{\"active\":1,\"max_active\":1,"
			       "\"slot_timeout_s\":30,\"waiting\":2}"));
	free(b);
	{
		struct api_request r = { "GET", "/api/v1/jobs", "state=waiting", NULL, NULL, 0,
					 API_SRC_ADMIN, 2000 };
		struct api_response resp;

		assert_int_equal(api_handle(ctl, &r, &resp), 200);
		/* newest first: both waiting, the queue's order is the reverse */
		if (strstr(resp.body, "\"id\":3,") == NULL || strstr(resp.body, "\"id\":2,") == NULL ||
		    strstr(resp.body, "\"id\":3,") > strstr(resp.body, "\"id\":2,") ||
		    strstr(resp.body, "\"id\":1,") != NULL)
			fail_msg("%s", resp.body);
		api_response_free(&resp);
	}

	/* a's imaging OS checks in and is done: b gets the slot. */
	call("GET", "/api/v1/job", "mac=" HA, NULL, NULL, 200, NULL);
	call("POST", "/api/v1/job/1/done", NULL, NULL, "{\"message\":\"ok\"}", 200, NULL);
	call_has("GET", "/api/v1/jobs/2", NULL, 200, HAS("\"state\":\"queued\"",
		 "\"message\":\"\""));
	published(MACS(HB), NULL, MACS(HA), 2);

	/* c's host fetching its waiting script changes nothing. */
	assert_int_equal(control_on_http_fetch(ctl, 0x0a0000a3u, "/boot/" HC ".ipxe", 5000), 0);
	call_has("GET", "/api/v1/jobs/3", NULL, 200, HAS("\"state\":\"waiting\""));
	/* b's host never comes: after 30 s c has the slot, b waits behind. */
	assert_int_equal(control_tick(ctl, 1000 + 29999), 0);
	call_has("GET", "/api/v1/jobs/2", NULL, 200, HAS("\"state\":\"queued\""));
	assert_int_equal(control_tick(ctl, 1000 + 30000), 0); /* within a second: skipped */
	assert_int_equal(control_tick(ctl, 1000 + 31000), 1);
	call_has("GET", "/api/v1/jobs/2", NULL, 200, HAS("\"state\":\"waiting\"",
		 "\"enqueued\":32000", "slot lease ran out: the host did not fetch its script"
		 " within 30 s of the grant"));
	published(MACS(HC), MACS(HB), NULL, 2);
	assert_int_equal(control_on_http_fetch(ctl, 0x0a0000a3u, "/boot/" HC ".ipxe", 33000), 0);
	call_has("GET", "/api/v1/jobs/3", NULL, 200, HAS("\"state\":\"booting\"",
		 "\"slot_at\":33000"));
	/* Cancelling c hands the slot back to b. */
	clock_ms = 34000;
	call("DELETE", "/api/v1/jobs/3", NULL, TOK, NULL, 200, NULL);
	call_has("GET", "/api/v1/jobs/2", NULL, 200, HAS("\"state\":\"queued\""));
	published(MACS(HB), NULL, MACS(HC), 2);
	b = call_src("GET", "/api/v1/status", NULL, API_SRC_ADMIN, 200);
	assert_non_null(strstr(b, "\"active\":1,"));
	assert_non_null(strstr(b, "\"waiting\":0}"));
	free(b);
	/* Nothing due: a tick neither writes nor re-renders. */
	assert_int_equal(control_tick(ctl, 34000 + 29999), 0);
	assert_int_equal(control_take_updates(ctl, &pub), 0);
	control_publish_free(&pub);
}

/* ---- GET /metrics ---- */

static void fake_metrics(void *ctx, struct prom_out *out)
{
	(void)ctx;
	prom_family(out, "stampede_runtime_test", "the runtime's part", PROM_COUNTER);
	prom_sample(out, NULL, 0, 7);
}

/* GET /metrics as the admin port asks it; the body (free it). */
static char *metrics(const char *auth, enum api_source src, int status)
{
	struct api_request r = { "GET", "/metrics", NULL, auth, NULL, 0, src, 3000 };
	struct api_response resp;
	char *body;

	assert_int_equal(api_handle(ctl, &r, &resp), status);
	if (status == 200)
		assert_string_equal(resp.content_type, PROM_CONTENT_TYPE);
	body = strdup(resp.body ? resp.body : "");
	api_response_free(&resp);
	return body;
}

static void has_all(const char *body, const char *const *needles)
{
	for (; *needles != NULL; needles++)
		if (strstr(body, *needles) == NULL)
			fail_msg("\"%s\" not in /metrics:\n%s", *needles, body);
}

/*
 * The runtime's families first, then hosts by state and by stage, jobs by
 * state, and the boot-stage latencies as histograms (cumulative buckets)
 * of what the boots since start took.
 */
static void test_metrics(void **state)
{
	static const char runtime_part[] = "# HELP stampede_runtime_test_total the runtime's part\n"
					   "# TYPE stampede_runtime_test_total counter\n"
					   "stampede_runtime_test_total 7\n";
	struct mac_addr m = { { 0x52, 0x54, 0, 0, 0, 0x41 } };
	char *b;

	(void)state;
	control_set_metrics(ctl, fake_metrics, NULL);
	assert_int_equal(control_on_dhcp_lease(ctl, &m, 0x0a000041u, CONTROL_CLIENT_FIRMWARE, 0,
					       10000), 0);
	/* 600 ms after the firmware's DHCP, 2.4 s before iPXE's */
	assert_int_equal(control_on_tftp_done(ctl, &m, 0x0a000041u, "undionly.kpxe", 10600), 0);
	assert_int_equal(control_on_dhcp_lease(ctl, &m, 0x0a000041u, CONTROL_CLIENT_IPXE, 0,
					       13000), 0);
	/* A TFTP retry of the same boot is no second observation. */
	assert_int_equal(control_on_tftp_done(ctl, &m, 0x0a000041u, "undionly.kpxe", 13500), 0);
	call("POST", "/api/v1/images", NULL, TOK,
	     "{\"name\":\"deb\",\"kernel\":\"k\",\"initrd\":\"i\"}", 201, NULL);
	call("POST", "/api/v1/hosts", NULL, TOK,
	     "{\"mac\":\"52:54:00:00:00:42\",\"name\":\"b\",\"image\":\"deb\"}", 201, NULL);
	call("POST", "/api/v1/jobs", NULL, TOK, "{\"type\":\"deploy\",\"host\":\"b\"}", 201, NULL);
	b = metrics(NULL, API_SRC_ADMIN, 200);
	assert_true(strncmp(b, runtime_part, strlen(runtime_part)) == 0);
	has_all(b, HAS("\n# TYPE stampede_hosts gauge\n"
		       "stampede_hosts{state=\"registered\"} 1\n"
		       "stampede_hosts{state=\"discovered\"} 1\n",
		       "\nstampede_hosts_by_stage{stage=\"fw_dhcp\"} 0\n",
		       "\nstampede_hosts_by_stage{stage=\"ipxe_dhcp\"} 1\n",
		       "\nstampede_jobs{state=\"queued\"} 1\n",
		       "\nstampede_jobs{state=\"cancelled\"} 0\n",
		       "\n# TYPE stampede_boot_stage_duration_seconds histogram\n",
		       "\nstampede_boot_stage_duration_seconds_bucket{stage=\"fw_tftp\",le=\"0.5\"} 0\n"
		       "stampede_boot_stage_duration_seconds_bucket{stage=\"fw_tftp\",le=\"1\"} 1\n"
		       "stampede_boot_stage_duration_seconds_bucket{stage=\"fw_tftp\",le=\"2.5\"} 1\n",
		       "\nstampede_boot_stage_duration_seconds_bucket{stage=\"fw_tftp\",le=\"+Inf\"} 1\n"
		       "stampede_boot_stage_duration_seconds_sum{stage=\"fw_tftp\"} 0.6\n"
		       "stampede_boot_stage_duration_seconds_count{stage=\"fw_tftp\"} 1\n",
		       "\nstampede_boot_stage_duration_seconds_bucket{stage=\"ipxe_dhcp\",le=\"1\"} 0\n"
		       "stampede_boot_stage_duration_seconds_bucket{stage=\"ipxe_dhcp\",le=\"2.5\"} 1\n",
		       "\nstampede_boot_stage_duration_seconds_count{stage=\"fw_dhcp\"} 0\n",
		       "\nstampede_boot_duration_seconds_count 0\n"));
	free(b);
	/* Only the admin port serves it. */
	b = metrics(NULL, API_SRC_UPCALL, 404);
	free(b);
	control_set_metrics(ctl, NULL, NULL);
}

/* control.metrics_public: false: the bearer token, and refused outright
 * when no token is configured. */
static void test_metrics_private(void **state)
{
	struct control_params p = { 0 };
	struct control *open_ctl = ctl;
	char db[128], err[256], *b;

	(void)state;
	snprintf(db, sizeof(db), "%s/p.db", dir);
	p.database = db;
	p.config_dir = dir;
	p.token = "sekret";
	p.metrics_token = true;
	assert_int_equal(control_open(&p, &ctl, err, sizeof(err)), 0);
	free(metrics(NULL, API_SRC_ADMIN, 401));
	free(metrics("Bearer nope", API_SRC_ADMIN, 401));
	b = metrics(TOK, API_SRC_ADMIN, 200);
	assert_non_null(strstr(b, "\nstampede_boot_duration_seconds_count 0\n"));
	free(b);
	control_close(ctl);
	p.token = "";
	snprintf(db, sizeof(db), "%s/q.db", dir);
	assert_int_equal(control_open(&p, &ctl, err, sizeof(err)), 0);
	b = metrics(TOK, API_SRC_ADMIN, 403);
	assert_non_null(strstr(b, "control.metrics_public: false"));
	free(b);
	control_close(ctl);
	ctl = open_ctl;
}

/* Over libmicrohttpd: the format's Content-Type, the text as the body. */
static void test_metrics_http(void **state)
{
	struct admin_http *h;
	char err[256], buf[65536];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd;
	ssize_t n, got = 0;
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

	(void)state;
	assert_int_equal(admin_http_start(ctl, 0x7f000001, 0, &h, err, sizeof(err)), 0);
	sa.sin_port = htons(admin_http_port(h));
	sa.sin_addr.s_addr = htonl(0x7f000001);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	close(fd);
	admin_http_stop(h);
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "Content-Type: " PROM_CONTENT_TYPE "\r\n"));
	assert_non_null(strstr(buf, "\r\n\r\n# HELP stampede_hosts "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stages_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_discovered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_slots, setup_slots, teardown),
		cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_http, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
