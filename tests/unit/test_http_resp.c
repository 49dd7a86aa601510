/* SPDX-License-Identifier: BSD-3-Clause */
/* HTTP response builder: status decisions, header bytes, Range logic in
 * every form, If-None-Match, Content-Type by extension, Date formatting,
 * keep-alive rules per version, 405/501/505 and the upcall framing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http_range.h"
#include "http_resp.h"

#define NOW 1700000000u           /* Tue, 14 Nov 2023 22:13:20 GMT */

static uint8_t text[100], kernel[1000];
static struct stp_object objs[3];
static unsigned lookups;
static char last_lookup[OBJ_NAME_MAX];

static const struct stp_object *lookup(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	lookups++;
	snprintf(last_lookup, sizeof(last_lookup), "%.*s", (int)len, name);
	for (int i = 0; i < 3; i++)
		if (strlen(objs[i].name) == len && memcmp(objs[i].name, name, len) == 0)
			return &objs[i];
	return NULL;
}

static struct http_site site = {
	.lookup = lookup, .server = "stampede/test", .keepalive = true,
	.lim = HTTP_LIMITS_DEFAULT,
};

static int setup(void **state)
{
	static const char *const names[3] = { "boot.ipxe", "bzImage", "empty" };
	const uint8_t *data[3] = { text, kernel, text };
	const size_t lens[3] = { sizeof(text), sizeof(kernel), 0 };

	(void)state;
	memset(text, 'a', sizeof(text));
	memset(kernel, 'k', sizeof(kernel));
	for (int i = 0; i < 3; i++) {
		memset(&objs[i], 0, sizeof(objs[i]));
		strcpy(objs[i].name, names[i]);
		objs[i].data = data[i];
		objs[i].len = lens[i];
		objs[i].mtime = 784111777;   /* Sun, 06 Nov 1994 08:49:37 GMT */
		snprintf(objs[i].etag, sizeof(objs[i].etag), "\"e%d-%zx\"", i, lens[i]);
	}
	site.index = NULL;
	site.keepalive = true;
	return 0;
}

struct result {
	int rc;
	struct http_resp resp;
	char hdr[HTTP_HDR_MAX + 1];   /* header bytes, NUL-terminated */
	char body[HTTP_HDR_MAX + 1];  /* inline body, NUL-terminated */
};

/* Parse @a raw (must be one complete request) and respond to it. */
static void respond(const char *raw, bool last, struct result *r)
{
	uint8_t buf[HTTP_HDR_MAX];
	struct http_hdr hdrs[16];
	struct http_req req = { .hdrs = hdrs, .hdr_cap = 16 };
	struct http_limits lim = HTTP_LIMITS_DEFAULT;

	assert_int_equal(http_parse_request(span_cstr(raw), &lim, &req), (int)strlen(raw));
	memset(r, 0, sizeof(*r));
	r->rc = http_respond(&req, &site, last, NOW, &r->resp, buf, sizeof(buf));
	if (r->rc <= 0)
		return;
	memcpy(r->hdr, buf, r->resp.hdr_len);
	if (r->resp.body == HTTP_BODY_INLINE)
		memcpy(r->body, buf + r->resp.hdr_len, r->resp.len);
	assert_int_equal((size_t)r->rc, r->resp.hdr_len +
			 (r->resp.body == HTTP_BODY_INLINE ? r->resp.len : 0));
	/* well formed: status line first, blank line last, nothing in between
	 * but header lines */
	assert_memory_equal(r->hdr, "HTTP/1.1 ", 9);
	assert_int_equal(strlen(r->hdr), r->resp.hdr_len);
	assert_string_equal(r->hdr + r->resp.hdr_len - 4, "\r\n\r\n");
}

static bool has(const struct result *r, const char *line)
{
	return strstr(r->hdr, line) != NULL;
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: h\r\n\r\n"

static void test_get_200(void **state)
{
	struct result r;

	(void)state;
	respond(GET("/boot.ipxe"), false, &r);
	assert_int_equal(r.resp.status, 200);
	assert_string_equal(r.hdr,
		"HTTP/1.1 200 OK\r\n"
		"Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
		"Server: stampede/test\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Length: 100\r\n"
		"Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		"ETag: \"e0-64\"\r\n"
		"Accept-Ranges: bytes\r\n"
		"\r\n");
	assert_int_equal(r.resp.body, HTTP_BODY_OBJ);
	assert_ptr_equal(r.resp.obj, &objs[0]);
	assert_int_equal(r.resp.off, 0);
	assert_int_equal(r.resp.len, 100);
	assert_false(r.resp.close);
	assert_false(r.resp.upcall);

	respond(GET("/bzImage"), false, &r);
	assert_true(has(&r, "Content-Type: application/octet-stream\r\n"));
	assert_true(has(&r, "Content-Length: 1000\r\n"));

	respond(GET("/empty"), false, &r);
	assert_int_equal(r.resp.status, 200);
	assert_true(has(&r, "Content-Length: 0\r\n"));
	assert_int_equal(r.resp.body, HTTP_BODY_NONE);
}

static void test_head(void **state)
{
	struct result r;

	(void)state;
	respond("HEAD /bzImage HTTP/1.1\r\nHost: h\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 200);
	assert_true(has(&r, "Content-Length: 1000\r\n"));
	assert_int_equal(r.resp.body, HTTP_BODY_NONE);
	assert_true(r.resp.head);
	assert_int_equal((size_t)r.rc, r.resp.hdr_len);
	/* an error to a HEAD: its length, not its body */
	respond("HEAD /nope HTTP/1.1\r\nHost: h\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 404);
	assert_true(has(&r, "Content-Length: 14\r\n"));
	assert_int_equal(r.resp.body, HTTP_BODY_NONE);
	/* Range is for GET only (RFC 9110 sec 14.2) */
	respond("HEAD /bzImage HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 200);
}

static void test_errors(void **state)
{
	struct result r;

	(void)state;
	lookups = 0;
	respond(GET("/nope"), false, &r);
	assert_int_equal(r.resp.status, 404);
	assert_string_equal(r.body, "404 Not Found\n");
	assert_true(has(&r, "Content-Length: 14\r\nContent-Type") == false);
	assert_true(has(&r, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n"));
	assert_false(r.resp.close);
	assert_int_equal(r.resp.note, HTTP_NOTE_NOT_FOUND);
	assert_int_equal(lookups, 1);

	respond("POST /boot.ipxe HTTP/1.1\r\nHost: h\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 405);
	assert_true(has(&r, "Allow: GET, HEAD\r\n"));
	assert_string_equal(r.body, "405 Method Not Allowed\n");
	respond("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 405);
	respond("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 405);

	respond(GET("/a%00b"), false, &r);
	assert_int_equal(r.resp.status, 400);
	assert_int_equal(r.resp.note, HTTP_NOTE_BAD_ESCAPE);
	respond(GET("/a%zz"), false, &r);
	assert_int_equal(r.resp.status, 400);
	respond(GET("/"), false, &r);
	assert_int_equal(r.resp.status, 404);
}

/* Traversal attempts answer 404 and never reach the lookup with
 * anything but a canonical name. */
static void test_traversal(void **state)
{
	static const char *const attempts[] = {
		GET("/../../etc/passwd"), GET("/%2e%2e/%2e%2e/etc/passwd"),
		GET("/boot/..%2f..%2fetc/passwd"), GET("/..%2F..%2Fetc%2Fpasswd"),
		GET("http://h/../etc/passwd"), GET("/./../boot.ipxe"),
	};
	struct result r;

	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(attempts); i++) {
		lookups = 0;
		respond(attempts[i], false, &r);
		assert_int_equal(r.resp.status, 404);
		assert_int_equal(r.resp.note, HTTP_NOTE_TRAVERSAL);
		assert_int_equal(lookups, 0);
	}
	lookups = 0;
	respond(GET("/x/..%5c..%5cetc"), false, &r);
	assert_int_equal(r.resp.status, 404);
	assert_int_equal(lookups, 0);
}

static void test_index(void **state)
{
	struct result r;

	(void)state;
	site.index = "boot.ipxe";
	respond(GET("/"), false, &r);
	assert_int_equal(r.resp.status, 200);
	assert_ptr_equal(r.resp.obj, &objs[0]);
	respond(GET("/?mac=52:54:00:00:00:01"), false, &r);
	assert_int_equal(r.resp.status, 200);
	site.index = NULL;
}

struct rvec {
	const char *range;
	uint64_t size;
	enum http_range_rc rc;
	uint64_t off, len;
};

static const struct rvec rvecs[] = {
	{ "bytes=0-0", 1000, HTTP_RANGE_OK, 0, 1 },
	{ "bytes=0-99", 1000, HTTP_RANGE_OK, 0, 100 },
	{ "bytes=999-999", 1000, HTTP_RANGE_OK, 999, 1 },
	{ "bytes=999-", 1000, HTTP_RANGE_OK, 999, 1 },
	{ "bytes=500-", 1000, HTTP_RANGE_OK, 500, 500 },
	{ "bytes=500-5000", 1000, HTTP_RANGE_OK, 500, 500 },
	{ "bytes=0-18446744073709551615", 1000, HTTP_RANGE_OK, 0, 1000 },
	{ "bytes=0-99999999999999999999999", 1000, HTTP_RANGE_OK, 0, 1000 },
	{ "bytes=-1", 1000, HTTP_RANGE_OK, 999, 1 },
	{ "bytes=-100", 1000, HTTP_RANGE_OK, 900, 100 },
	{ "bytes=-5000", 1000, HTTP_RANGE_OK, 0, 1000 },
	{ "BYTES=1-2", 1000, HTTP_RANGE_OK, 1, 2 },
	{ "bytes= 1-2 ", 1000, HTTP_RANGE_OK, 1, 2 },
	{ "bytes=1-2,", 1000, HTTP_RANGE_OK, 1, 2 },
	{ "bytes=1000-", 1000, HTTP_RANGE_UNSAT, 0, 0 },
	{ "bytes=1000-2000", 1000, HTTP_RANGE_UNSAT, 0, 0 },
	{ "bytes=99999999999999999999999-", 1000, HTTP_RANGE_UNSAT, 0, 0 },
	{ "bytes=-0", 1000, HTTP_RANGE_UNSAT, 0, 0 },
	{ "bytes=0-", 0, HTTP_RANGE_UNSAT, 0, 0 },
	{ "bytes=0-0", 0, HTTP_RANGE_UNSAT, 0, 0 },
	{ "bytes=-5", 0, HTTP_RANGE_NONE, 0, 0 },
	{ "bytes=5-1", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "bytes=0-1,5-6", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "bytes=-", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "bytes=", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "bytes=a-b", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "bytes=1-2x", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "bytes=1 -2", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "bytes=--1", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "items=0-1", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "bytes", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "", 1000, HTTP_RANGE_NONE, 0, 0 },
};

static void test_range_logic(void **state)
{
	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(rvecs); i++) {
		const struct rvec *v = &rvecs[i];
		uint64_t off = 77, len = 77;

		print_message("  %s / %llu\n", v->range, (unsigned long long)v->size);
		assert_int_equal(http_range_resolve(span_cstr(v->range), v->size, &off, &len), v->rc);
		if (v->rc == HTTP_RANGE_OK) {
			assert_int_equal(off, v->off);
			assert_int_equal(len, v->len);
			assert_true(off + len <= v->size);
		}
	}
}

static void test_range_resp(void **state)
{
	struct result r;

	(void)state;
	respond("GET /bzImage HTTP/1.1\r\nHost: h\r\nRange: bytes=10-19\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 206);
	assert_true(has(&r, "HTTP/1.1 206 Partial Content\r\n"));
	assert_true(has(&r, "Content-Length: 10\r\n"));
	assert_true(has(&r, "Content-Range: bytes 10-19/1000\r\n"));
	assert_int_equal(r.resp.off, 10);
	assert_int_equal(r.resp.len, 10);
	respond("GET /bzImage HTTP/1.1\r\nHost: h\r\nRange: bytes=-1\r\n\r\n", false, &r);
	assert_true(has(&r, "Content-Range: bytes 999-999/1000\r\n"));
	respond("GET /bzImage HTTP/1.1\r\nHost: h\r\nRange: bytes=1000-\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 416);
	assert_true(has(&r, "Content-Range: bytes */1000\r\n"));
	assert_string_equal(r.body, "416 Range Not Satisfiable\n");
	assert_false(r.resp.close);
	respond("GET /bzImage HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1,4-5\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 200);
	assert_int_equal(r.resp.len, 1000);
	respond("GET /empty HTTP/1.1\r\nHost: h\r\nRange: bytes=0-\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 416);
	assert_true(has(&r, "Content-Range: bytes */0\r\n"));
}

static void test_if_none_match(void **state)
{
	struct result r;

	(void)state;
	respond("GET /boot.ipxe HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"e0-64\"\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 304);
	assert_true(has(&r, "ETag: \"e0-64\"\r\n"));
	assert_false(has(&r, "Content-Length"));
	assert_int_equal(r.resp.body, HTTP_BODY_NONE);
	respond("GET /boot.ipxe HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\", W/\"e0-64\"\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 304);
	respond("GET /boot.ipxe HTTP/1.1\r\nHost: h\r\nIf-None-Match: *\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 304);
	/* 304 wins over Range (RFC 9110 sec 13.2.2) */
	respond("GET /boot.ipxe HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"e0-64\"\r\nRange: bytes=0-1\r\n\r\n",
		false, &r);
	assert_int_equal(r.resp.status, 304);
	respond("GET /boot.ipxe HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"e0-65\"\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 200);
	respond("GET /nope HTTP/1.1\r\nHost: h\r\nIf-None-Match: *\r\n\r\n", false, &r);
	assert_int_equal(r.resp.status, 404);

	assert_true(http_etag_match(span_cstr("W/\"a\""), "\"a\""));
	assert_true(http_etag_match(span_cstr(" \"b\" ,\t\"a\""), "\"a\""));
	assert_false(http_etag_match(span_cstr("a"), "\"a\""));
	assert_false(http_etag_match(span_cstr("\"a"), "\"a\""));
	assert_false(http_etag_match(span_cstr("\"ab\""), "\"a\""));
	assert_false(http_etag_match(span_cstr(""), "\"a\""));
	assert_false(http_etag_match(span_cstr("\"\""), ""));
}

/* RFC 9112 sec 9.3: 1.1 persists unless "close"; 1.0 only on keep-alive. */
static void test_keepalive_rules(void **state)
{
	struct result r;

	(void)state;
	respond("GET /boot.ipxe HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false, &r);
	assert_true(r.resp.close);
	assert_true(has(&r, "Connection: close\r\n"));
	respond("GET /boot.ipxe HTTP/1.0\r\n\r\n", false, &r);
	assert_true(r.resp.close);
	assert_true(has(&r, "Connection: close\r\n"));
	respond("GET /boot.ipxe HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", false, &r);
	assert_false(r.resp.close);
	assert_true(has(&r, "Connection: keep-alive\r\n"));
	respond("GET /boot.ipxe HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n", false, &r);
	assert_true(r.resp.close);
	respond(GET("/boot.ipxe"), false, &r);
	assert_false(r.resp.close);
	assert_false(has(&r, "Connection:"));
	respond(GET("/boot.ipxe"), true, &r);
	assert_true(r.resp.close);
	site.keepalive = false;
	respond(GET("/boot.ipxe"), false, &r);
	assert_true(r.resp.close);
	site.keepalive = true;
}

static void test_error_builder(void **state)
{
	uint8_t buf[HTTP_HDR_MAX];
	struct http_resp resp;
	static const uint16_t codes[] = { 400, 408, 413, 414, 431, 501, 505 };

	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(codes); i++) {
		int n = http_respond_error(codes[i], true, false, &site, NOW, &resp, buf, sizeof(buf));
		char line[64];

		assert_true(n > 0);
		snprintf(line, sizeof(line), "HTTP/1.1 %u %s\r\n", codes[i], http_reason(codes[i]));
		assert_memory_equal(buf, line, strlen(line));
		assert_true(resp.close);
		assert_int_equal(resp.status, codes[i]);
		assert_int_equal(resp.body, HTTP_BODY_INLINE);
		assert_int_equal(resp.hdr_len + resp.len, (size_t)n);
		assert_int_equal(buf[n - 1], '\n');
		assert_true(strlen(http_reason(codes[i])) > 0);
	}
	/* every cap below the full size fails cleanly */
	int full = http_respond_error(404, false, false, &site, NOW, &resp, buf, sizeof(buf));

	for (int cap = 0; cap < full; cap++)
		assert_int_equal(http_respond_error(404, false, false, &site, NOW, &resp, buf,
						    (size_t)cap), -ENOSPC);
	assert_int_equal(http_respond_continue(buf, sizeof(buf)), 25);
	assert_memory_equal(buf, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	assert_int_equal(http_respond_continue(buf, 24), -ENOSPC);
}

static void test_content_type(void **state)
{
	static const struct { const char *name, *type; } t[] = {
		{ "boot.ipxe", "text/plain; charset=utf-8" }, { "menu/x.IPXE", "text/plain; charset=utf-8" },
		{ "a.txt", "text/plain; charset=utf-8" }, { "pxelinux.cfg/default.cfg", "text/plain; charset=utf-8" },
		{ "run.sh", "text/plain; charset=utf-8" }, { "ipxe.efi", "application/octet-stream" },
		{ "undionly.kpxe", "application/octet-stream" }, { "x.pxe", "application/octet-stream" },
		{ "pxelinux.0", "application/octet-stream" }, { "fw.bin", "application/octet-stream" },
		{ "init.xz", "application/octet-stream" }, { "disk.img", "application/octet-stream" },
		{ "bzImage", "application/octet-stream" }, { "a.json", "application/json" },
		{ "i.html", "text/html; charset=utf-8" }, { "dir.txt/bzImage", "application/octet-stream" },
		{ ".ipxe", "application/octet-stream" }, { "a.", "application/octet-stream" },
		{ "", "application/octet-stream" },
	};

	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(t); i++)
		assert_string_equal(http_content_type(t[i].name, strlen(t[i].name)), t[i].type);
}

static void test_date(void **state)
{
	static const struct { uint64_t t; const char *s; } d[] = {
		{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
		{ 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
		{ 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" },
		{ 1709251199, "Thu, 29 Feb 2024 23:59:59 GMT" },
		{ 4102444800ull, "Fri, 01 Jan 2100 00:00:00 GMT" },
		{ 253402300799ull, "Fri, 31 Dec 9999 23:59:59 GMT" },
		{ UINT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT" },
	};
	char out[HTTP_DATE_LEN + 1];

	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(d); i++) {
		assert_int_equal(http_date(d[i].t, out), HTTP_DATE_LEN);
		assert_string_equal(out, d[i].s);
	}
}

static void test_upcall(void **state)
{
	uint8_t buf[2048];
	struct result r;
	struct http_counters ctr = { 0 };
	static const char json[] = "{\"ok\":true}";
	int n;

	(void)state;
	respond(GET("/api/v1/status"), false, &r);
	assert_int_equal(r.rc, 0);
	assert_true(r.resp.upcall);
	respond("POST /api/v1/jobs/1/done HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok", false, &r);
	assert_true(r.resp.upcall);
	respond(GET("/api"), false, &r);
	assert_true(r.resp.upcall);
	respond(GET("/apix"), false, &r);
	assert_false(r.resp.upcall);
	respond(GET("//api/./v1/status?x=1"), false, &r);
	assert_true(r.resp.upcall);

	site.ctr = &ctr;
	respond(GET("/api/v1/status"), false, &r);
	n = http_respond_upcall(&r.resp, &site, NOW, 200, "application/json",
				span_make(json, sizeof(json) - 1), buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(r.resp.status, 200);
	assert_int_equal(r.resp.body, HTTP_BODY_INLINE);
	assert_int_equal(r.resp.len, sizeof(json) - 1);
	assert_int_equal((size_t)n, r.resp.hdr_len + r.resp.len);
	assert_memory_equal(buf + r.resp.hdr_len, json, sizeof(json) - 1);
	buf[r.resp.hdr_len] = 0;
	assert_non_null(strstr((char *)buf, "Content-Type: application/json\r\nContent-Length: 11\r\n"));
	assert_int_equal(ctr.upcall_answers, 1);
	assert_int_equal(ctr.status[HTTP_S_200], 1);
	assert_int_equal(ctr.body_bytes, 11);

	/* HEAD keeps the length but sends no body; 204 has neither */
	respond("HEAD /api/v1/status HTTP/1.0\r\n\r\n", false, &r);
	n = http_respond_upcall(&r.resp, &site, NOW, 200, NULL, span_make(json, 11), buf, sizeof(buf));
	assert_int_equal((size_t)n, r.resp.hdr_len);
	assert_true(r.resp.close);
	buf[n] = 0;
	assert_non_null(strstr((char *)buf, "Content-Length: 11\r\nConnection: close\r\n"));
	respond(GET("/api/x"), false, &r);
	n = http_respond_upcall(&r.resp, &site, NOW, 204, NULL, span_make(json, 11), buf, sizeof(buf));
	buf[n] = 0;
	assert_null(strstr((char *)buf, "Content-Length"));
	assert_non_null(strstr((char *)buf, "HTTP/1.1 204 No Content\r\n"));
	respond(GET("/api/x"), false, &r);
	assert_true(http_respond_upcall(&r.resp, &site, NOW, 42, NULL, span_make(NULL, 0), buf,
					sizeof(buf)) > 0);
	assert_int_equal(r.resp.status, 502);
	respond(GET("/api/x"), false, &r);
	assert_int_equal(http_respond_upcall(&r.resp, &site, NOW, 200, NULL, span_make(json, 11), buf, 40),
			 -ENOSPC);
	site.ctr = NULL;
}

static void test_counters_json(void **state)
{
	struct http_counters c = { 0 };
	char buf[8192];
	int n;

	(void)state;
	for (size_t i = 0; i < HTTP_N_COUNTERS; i++)
		assert_non_null(http_counter_names[i]);
	c.requests = 7;
	c.method[HTTP_M_GET] = 5;
	http_counters_resp(&c, 206, 10);
	http_counters_resp(&c, 418, 0);
	assert_int_equal(c.status_class[2], 1);
	assert_int_equal(c.status_class[4], 1);
	assert_int_equal(c.status[HTTP_S_206], 1);
	n = http_counters_json(&c, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_int_equal(buf[0], '{');
	assert_int_equal(buf[n - 1], '}');
	assert_non_null(strstr(buf, "\"requests\":7,"));
	assert_non_null(strstr(buf, "\"method_GET\":5,"));
	assert_non_null(strstr(buf, "\"status_206\":1,"));
	assert_non_null(strstr(buf, "\"perr_BODY_TOO_LARGE\":0}"));
	for (int cap = 0; cap <= n; cap++)
		assert_int_equal(http_counters_json(&c, buf, (size_t)cap), -ENOSPC);
}


/* An object answer turned into 503 + Retry-After (admission refused it):
 * the request's persistence is kept, HEAD gets the header only. */
static void test_busy(void **state)
{
	struct result r;
	uint8_t buf[HTTP_HDR_MAX];
	int n;

	(void)state;
	respond(GET("/bzImage"), false, &r);
	n = http_respond_busy(&r.resp, &site, NOW, 7, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(r.resp.status, 503);
	assert_null(r.resp.obj);
	assert_int_equal(r.resp.body, HTTP_BODY_INLINE);
	assert_int_equal((size_t)n, r.resp.hdr_len + r.resp.len);
	assert_memory_equal(buf,
		"HTTP/1.1 503 Service Unavailable\r\n"
		"Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
		"Server: stampede/test\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Length: 24\r\n"
		"Retry-After: 7\r\n"
		"\r\n"
		"503 Service Unavailable\n", (size_t)n);
	/* HTTP/1.0 keep-alive is said again; HEAD has no body; 0 s is 1 s */
	respond("HEAD /bzImage HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false, &r);
	n = http_respond_busy(&r.resp, &site, NOW, 0, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(r.resp.body, HTTP_BODY_NONE);
	assert_int_equal((size_t)n, r.resp.hdr_len);
	assert_non_null(memmem(buf, (size_t)n, "Retry-After: 1\r\n", 16));
	assert_non_null(memmem(buf, (size_t)n, "Connection: keep-alive\r\n", 24));
	assert_non_null(memmem(buf, (size_t)n, "Content-Length: 24\r\n", 20));
	/* a closing request still closes */
	respond("GET /bzImage HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false, &r);
	n = http_respond_busy(&r.resp, &site, NOW, 3, buf, sizeof(buf));
	assert_true(r.resp.close);
	assert_non_null(memmem(buf, (size_t)n, "Connection: close\r\n", 19));
	assert_int_equal(http_respond_busy(&r.resp, &site, NOW, 3, buf, 40), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_get_200, setup),
		cmocka_unit_test_setup(test_head, setup),
		cmocka_unit_test_setup(test_errors, setup),
		cmocka_unit_test_setup(test_traversal, setup),
		cmocka_unit_test_setup(test_index, setup),
		cmocka_unit_test(test_range_logic),
		cmocka_unit_test_setup(test_range_resp, setup),
		cmocka_unit_test_setup(test_if_none_match, setup),
		cmocka_unit_test_setup(test_keepalive_rules, setup),
		cmocka_unit_test_setup(test_error_builder, setup),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_date),
		cmocka_unit_test_setup(test_upcall, setup),
		cmocka_unit_test(test_counters_json),
		cmocka_unit_test_setup(test_busy, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
