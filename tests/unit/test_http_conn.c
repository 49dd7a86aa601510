/* SPDX-License-Identifier: BSD-3-Clause */
/* HTTP connection layer: pipelining, split-point feeding through a glue
 * stand-in (two and three pieces give the same bytes out), keep-alive and
 * Connection: close, bad input closing cleanly, 414/431 on endless lines,
 * slowloris and idle deadlines with the explicit clock, upcalls with the
 * status JSON, 100 Continue, request bounds and a full output. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http_conn.h"

#define T0 (1700000000ull * 1000000)
#define SEC 1000000ull

static uint8_t text[100], kernel[3000];
static struct stp_object objs[2];

static const struct stp_object *lookup(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	for (int i = 0; i < 2; i++)
		if (strlen(objs[i].name) == len && memcmp(objs[i].name, name, len) == 0)
			return &objs[i];
	return NULL;
}

static struct http_counters ctr;
static struct http_site site;

/* The glue, reduced: an rx buffer, an output, and a transcript of all
 * bytes that would go on the wire. */
struct sim {
	struct http_conn c;
	uint8_t rx[40000];
	size_t rx_len;
	struct http_conn_resp v[16];
	uint8_t obuf[8192];
	struct http_conn_out out;
	unsigned out_cap;
	char wire[65536];
	size_t wire_len;
	unsigned responses;
	bool closed;
	bool answer_upcalls;       /* answer /api/ at once, as control would */
};

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kernel); i++)
		kernel[i] = (uint8_t)('A' + i % 26);
	memset(text, 't', sizeof(text));
	memset(objs, 0, sizeof(objs));
	strcpy(objs[0].name, "boot.ipxe");
	objs[0].data = text;
	objs[0].len = sizeof(text);
	strcpy(objs[0].etag, "\"t\"");
	strcpy(objs[1].name, "bzImage");
	objs[1].data = kernel;
	objs[1].len = sizeof(kernel);
	strcpy(objs[1].etag, "\"k\"");
	memset(&ctr, 0, sizeof(ctr));
	site = (struct http_site){
		.lookup = lookup, .server = "stampede", .keepalive = true,
		.head_timeout_us = 10 * SEC, .idle_timeout_us = 60 * SEC,
		.lim = HTTP_LIMITS_DEFAULT, .ctr = &ctr,
	};
	return 0;
}

static void sim_init(struct sim *s)
{
	memset(s, 0, sizeof(*s));
	http_conn_init(&s->c, &site, T0);
	s->out_cap = 16;
	s->answer_upcalls = true;
}

static void wire_put(struct sim *s, const void *p, size_t n)
{
	assert_true(n <= sizeof(s->wire) - s->wire_len);
	memcpy(s->wire + s->wire_len, p, n);
	s->wire_len += n;
}

static void answer_upcall(struct sim *s, struct http_conn_resp *e, uint64_t now)
{
	static uint8_t buf[4096];
	char json[4096];
	int n;

	assert_true(span_starts_with(e->target, "/api/"));
	n = http_counters_json(&ctr, json, sizeof(json));
	assert_true(n > 0);
	/* the counters change with every call: the wire gets a fixed body */
	n = http_respond_upcall(&e->resp, &site, now / SEC, 200, "application/json",
				span_cstr("{\"ok\":1}"), buf, sizeof(buf));
	assert_true(n > 0);
	wire_put(s, buf, (size_t)n);
	http_conn_upcall_done(&s->c, &e->resp, &site, now);
}

/* Send what came out, as the glue would, then reset the output. */
static void drain(struct sim *s, uint64_t now)
{
	for (unsigned i = 0; i < s->out.n; i++) {
		struct http_conn_resp *e = &s->v[i];

		s->responses++;
		if (e->resp.upcall) {
			if (s->answer_upcalls)
				answer_upcall(s, e, now);
			continue;
		}
		wire_put(s, e->hdr.p, e->hdr.len);
		if (e->resp.body == HTTP_BODY_OBJ) {
			assert_true(e->resp.off + e->resp.len <= e->resp.obj->len);
			wire_put(s, e->resp.obj->data + e->resp.off, e->resp.len);
		}
		if (e->resp.close)
			s->closed = true;
	}
	s->out.n = 0;
	s->out.buf_len = 0;
}

static void feed(struct sim *s, const void *p, size_t n, uint64_t now)
{
	assert_true(n <= sizeof(s->rx) - s->rx_len);
	memcpy(s->rx + s->rx_len, p, n);
	s->rx_len += n;
	for (int guard = 0; guard < 1000; guard++) {
		size_t used;

		s->out = (struct http_conn_out){ s->v, s->out_cap, 0, s->obuf, sizeof(s->obuf), 0, false };
		used = http_conn_on_data(&s->c, span_make(s->rx, s->rx_len), now, &site, &s->out);
		assert_true(used <= s->rx_len);
		drain(s, now);
		memmove(s->rx, s->rx + used, s->rx_len - used);
		s->rx_len -= used;
		if (!s->out.more && !(s->rx_len > 0 && used > 0 && !s->c.close_after))
			break;
	}
}

struct script {
	const char *p;
	size_t len;
};

#define SC(lit) { lit, sizeof(lit) - 1 }

static const struct script scripts[] = {
	SC("GET /boot.ipxe HTTP/1.1\r\nHost: h\r\n\r\n"
	   "GET /bzImage HTTP/1.1\r\nHost: h\r\nRange: bytes=10-29\r\n\r\n"
	   "HEAD /bzImage HTTP/1.1\r\nHost: h\r\n\r\n"
	   "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n"
	   "GET /boot.ipxe HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"t\"\r\n\r\n"
	   "GET /bzImage HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
	   "GET /boot.ipxe HTTP/1.1\r\nHost: h\r\n\r\n"),
	SC("GET /api/v1/status HTTP/1.1\r\nHost: h\r\n\r\n"
	   "POST /api/v1/x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody"
	   "GET /boot.ipxe HTTP/1.0\r\n\r\nGET /bzImage HTTP/1.1\r\nHost: h\r\n\r\n"),
	SC("\r\nGET /boot.ipxe HTTP/1.1\nHost: h\n\nGET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n"
	   "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\nGET /boot.ipxe HTTP/1.1\r\nHost: h\r\n\r\n"),
	SC("GET /../../etc/passwd HTTP/1.1\r\nHost: h\r\n\r\nBREW /pot HTTP/1.1\r\nHost: h\r\n\r\n"),
};

static void run_pieces(struct sim *s, const char *in, size_t len, size_t a, size_t b)
{
	sim_init(s);
	feed(s, in, a, T0);
	feed(s, in + a, b - a, T0);
	feed(s, in + b, len - b, T0);
}

/* Two and three pieces at every split give the wire bytes of one piece. */
static void test_split_feeding(void **state)
{
	static struct sim whole, part;

	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(scripts); i++) {
		size_t len = scripts[i].len;
		const char *in = scripts[i].p;

		run_pieces(&whole, in, len, len, len);
		assert_true(whole.responses >= 2);
		for (size_t a = 0; a <= len; a++) {
			run_pieces(&part, in, len, a, len);
			assert_int_equal(part.wire_len, whole.wire_len);
			assert_memory_equal(part.wire, whole.wire, whole.wire_len);
			assert_int_equal(part.closed, whole.closed);
		}
		for (size_t a = 0; a <= len; a += 3)
			for (size_t b = a; b <= len; b += 5) {
				run_pieces(&part, in, len, a, b);
				assert_int_equal(part.wire_len, whole.wire_len);
				assert_memory_equal(part.wire, whole.wire, whole.wire_len);
			}
	}
}

static unsigned count_status(const struct sim *s, const char *line)
{
	unsigned n = 0;

	for (const char *p = s->wire; (p = memmem(p, s->wire_len - (size_t)(p - s->wire), line,
						  strlen(line))) != NULL; p++)
		n++;
	return n;
}

static void test_pipelined(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s);
	feed(&s, scripts[0].p, scripts[0].len, T0);
	/* six answers, the seventh request ignored after Connection: close */
	assert_int_equal(s.responses, 6);
	assert_int_equal(count_status(&s, "HTTP/1.1 200 OK\r\n"), 3);
	assert_int_equal(count_status(&s, "HTTP/1.1 206 Partial Content\r\n"), 1);
	assert_int_equal(count_status(&s, "HTTP/1.1 404 Not Found\r\n"), 1);
	assert_int_equal(count_status(&s, "HTTP/1.1 304 Not Modified\r\n"), 1);
	assert_non_null(memmem(s.wire, s.wire_len, "KLMNOPQRSTUVWXYZABCD", 20));
	assert_true(s.closed);
	assert_int_equal(s.rx_len, 0);
	assert_int_equal(ctr.requests, 6);
	assert_int_equal(ctr.method[HTTP_M_HEAD], 1);
	assert_int_equal(ctr.keepalive_reuse, 5);
	assert_int_equal(ctr.ignored_after_close, 36);
	assert_int_equal(ctr.status[HTTP_S_206], 1);
	assert_int_equal(ctr.body_bytes, 100 + 20 + 14 + 3000);
	assert_int_equal(http_conn_deadline(&s.c), HTTP_NO_DEADLINE);
	/* a closed connection takes nothing more */
	feed(&s, "GET / HTTP/1.1\r\n", 16, T0);
	assert_int_equal(s.responses, 6);
	assert_int_equal(s.rx_len, 0);
}

static void test_http10(void **state)
{
	static struct sim s;
	static const char two[] = "GET /boot.ipxe HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
				  "GET /boot.ipxe HTTP/1.0\r\n\r\nGET /boot.ipxe HTTP/1.0\r\n\r\n";

	(void)state;
	sim_init(&s);
	feed(&s, two, sizeof(two) - 1, T0);
	assert_int_equal(s.responses, 2);
	assert_int_equal(count_status(&s, "Connection: keep-alive\r\n"), 1);
	assert_int_equal(count_status(&s, "Connection: close\r\n"), 1);
	assert_true(s.closed);
}

static void test_bad_input_closes(void **state)
{
	static struct sim s;
	static const char *const bad[] = {
		"GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\nX: \0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n\tfold\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
		"PATCH / HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n",
	};
	static const size_t lens[] = { 30, 31, 0, 0, 0, 0, 13 };
	static const char *const want[] = { "400", "400", "400", "505", "501", "400", "400" };

	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(bad); i++) {
		char line[32];
		size_t n = lens[i] ? lens[i] : strlen(bad[i]);

		sim_init(&s);
		feed(&s, bad[i], n, T0);
		snprintf(line, sizeof(line), "HTTP/1.1 %s ", want[i]);
		assert_int_equal(s.responses, 1);
		assert_memory_equal(s.wire, line, strlen(line));
		assert_non_null(memmem(s.wire, s.wire_len, "Connection: close\r\n", 19));
		assert_true(s.closed);
		assert_int_equal(s.rx_len, 0);
		assert_int_equal(http_conn_deadline(&s.c), HTTP_NO_DEADLINE);
	}
	assert_int_equal(ctr.perr[HTTP_PERR_CTL], 1);
	assert_int_equal(ctr.perr[HTTP_PERR_OBS_FOLD], 1);
	assert_int_equal(ctr.perr[HTTP_PERR_METHOD_UNKNOWN], 1);
}

/* An endless request line or header section, fed in small pieces: 414 and
 * 431 as soon as a limit is crossed, never a stuck connection. */
static void test_endless(void **state)
{
	static struct sim s;
	char chunk[100];

	(void)state;
	sim_init(&s);
	feed(&s, "GET /", 5, T0);
	memset(chunk, 'a', sizeof(chunk));
	for (int i = 0; i < 200 && !s.closed; i++)
		feed(&s, chunk, sizeof(chunk), T0);
	assert_true(s.closed);
	assert_memory_equal(s.wire, "HTTP/1.1 414 URI Too Long\r\n", 27);

	sim_init(&s);
	feed(&s, "GET / HTTP/1.1\r\nHost: h\r\n", 25, T0);
	for (int i = 0; i < 200 && !s.closed; i++)
		feed(&s, "X-Pad: yyyyyyyyyy\r\n", 19, T0);
	assert_true(s.closed);
	assert_memory_equal(s.wire, "HTTP/1.1 431 ", 13);
	assert_int_equal(ctr.perr[HTTP_PERR_TOO_MANY_FIELDS], 1);

	sim_init(&s);
	feed(&s, "GET / HTTP/1.1\r\nHost: h\r\nX: ", 28, T0);
	for (int i = 0; i < 200 && !s.closed; i++)
		feed(&s, chunk, sizeof(chunk), T0);
	assert_true(s.closed);
	assert_memory_equal(s.wire, "HTTP/1.1 431 ", 13);
	assert_int_equal(ctr.perr[HTTP_PERR_HEAD_TOO_LARGE], 1);
}

static void test_slowloris(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s);
	assert_int_equal(http_conn_deadline(&s.c), T0 + 60 * SEC);
	feed(&s, "GET /boot.ipxe HTTP/1.1\r\n", 25, T0 + SEC);
	assert_int_equal(http_conn_deadline(&s.c), T0 + 11 * SEC);
	/* a byte now and then does not move the deadline */
	for (uint64_t t = 2; t < 11; t++)
		feed(&s, "X", 1, T0 + t * SEC);
	assert_int_equal(http_conn_deadline(&s.c), T0 + 11 * SEC);
	s.out = (struct http_conn_out){ s.v, 16, 0, s.obuf, sizeof(s.obuf), 0, false };
	assert_false(http_conn_on_timeout(&s.c, T0 + 11 * SEC - 1, &site, &s.out));
	assert_int_equal(s.out.n, 0);
	assert_true(http_conn_on_timeout(&s.c, T0 + 11 * SEC, &site, &s.out));
	assert_int_equal(s.out.n, 1);
	assert_int_equal(s.v[0].resp.status, 408);
	assert_true(s.v[0].resp.close);
	assert_int_equal(ctr.head_timeouts, 1);
	assert_int_equal(ctr.status[HTTP_S_408], 1);
	assert_int_equal(http_conn_deadline(&s.c), HTTP_NO_DEADLINE);

	/* a trickled body is bounded by the same clock */
	sim_init(&s);
	s.answer_upcalls = false;
	feed(&s, "POST /api/x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab", 55, T0);
	assert_int_equal(http_conn_deadline(&s.c), T0 + 10 * SEC);
	feed(&s, "c", 1, T0 + 9 * SEC);
	assert_int_equal(http_conn_deadline(&s.c), T0 + 10 * SEC);

	/* idle keep-alive: closed quietly */
	sim_init(&s);
	feed(&s, "GET /boot.ipxe HTTP/1.1\r\nHost: h\r\n\r\n", 36, T0 + SEC);
	assert_int_equal(s.responses, 1);
	assert_int_equal(http_conn_deadline(&s.c), T0 + 61 * SEC);
	s.out = (struct http_conn_out){ s.v, 16, 0, s.obuf, sizeof(s.obuf), 0, false };
	assert_true(http_conn_on_timeout(&s.c, T0 + 61 * SEC, &site, &s.out));
	assert_int_equal(s.out.n, 0);
	assert_int_equal(ctr.idle_timeouts, 1);
}

static void test_upcall(void **state)
{
	static struct sim s;
	static const char in[] = "GET /api/v1/status?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
				 "GET /boot.ipxe HTTP/1.1\r\nHost: h\r\n\r\n";
	uint8_t buf[4096];
	char json[4096];
	size_t used;
	int n;

	(void)state;
	sim_init(&s);
	s.out = (struct http_conn_out){ s.v, 16, 0, s.obuf, sizeof(s.obuf), 0, false };
	used = http_conn_on_data(&s.c, span_make(in, sizeof(in) - 1), T0, &site, &s.out);
	assert_int_equal(used, 44);
	assert_int_equal(s.out.n, 1);
	assert_true(s.v[0].resp.upcall);
	assert_true(span_eq(s.v[0].target, span_cstr("/api/v1/status?x=1")));
	assert_int_equal(ctr.upcalls, 1);
	assert_int_equal(http_conn_deadline(&s.c), HTTP_NO_DEADLINE);
	/* nothing more until control has answered: answers stay in order */
	s.out.n = 0;
	assert_int_equal(http_conn_on_data(&s.c, span_make(in + used, sizeof(in) - 1 - used), T0,
					   &site, &s.out), 0);
	assert_int_equal(s.out.n, 0);
	/* control answers with the counters */
	n = http_counters_json(&ctr, json, sizeof(json));
	assert_true(n > 0);
	n = http_respond_upcall(&s.v[0].resp, &site, T0 / SEC, 200, "application/json",
				span_make(json, (size_t)n), buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(memmem(buf, (size_t)n, "\"upcalls\":1,", 12));
	http_conn_upcall_done(&s.c, &s.v[0].resp, &site, T0);
	assert_int_equal(http_conn_deadline(&s.c), T0 + 60 * SEC);
	assert_int_equal(http_conn_on_data(&s.c, span_make(in + used, sizeof(in) - 1 - used), T0,
					   &site, &s.out), sizeof(in) - 1 - used);
	assert_int_equal(s.out.n, 1);
	assert_int_equal(s.v[0].resp.status, 200);
}

static void test_expect_continue(void **state)
{
	static struct sim s;
	static const char head[] = "PUT /api/v1/x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
				   "Content-Length: 5\r\n\r\n";

	(void)state;
	sim_init(&s);
	s.answer_upcalls = false;
	feed(&s, head, sizeof(head) - 1, T0);
	assert_int_equal(s.responses, 1);
	assert_string_equal(s.wire, "HTTP/1.1 100 Continue\r\n\r\n");
	feed(&s, "he", 2, T0);
	assert_int_equal(s.responses, 1);
	s.out = (struct http_conn_out){ s.v, 16, 0, s.obuf, sizeof(s.obuf), 0, false };
	memcpy(s.rx + s.rx_len, "llo", 3);
	s.rx_len += 3;
	assert_int_equal(http_conn_on_data(&s.c, span_make(s.rx, s.rx_len), T0, &site, &s.out),
			 sizeof(head) - 1 + 5);
	assert_int_equal(s.out.n, 1);
	assert_true(s.v[0].resp.upcall);
	assert_true(span_eq(s.v[0].body, span_cstr("hello")));
	assert_int_equal(ctr.expect_continue, 1);
}

static void test_bounds(void **state)
{
	static struct sim s;
	static char many[40 * 36 + 1];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "GET /boot.ipxe HTTP/1.1\r\nHost: h\r\n\r\n");
	/* max_requests: the bound answers with close */
	site.max_requests = 2;
	sim_init(&s);
	feed(&s, many, 36 * 3, T0);
	assert_int_equal(s.responses, 2);
	assert_true(s.closed);
	site.max_requests = 0;
	/* per call and per output bound: all 40 answered through "more" */
	sim_init(&s);
	s.out_cap = 3;
	feed(&s, many, n, T0);
	assert_int_equal(s.responses, 40);
	assert_false(s.closed);
	assert_true(ctr.out_full > 0);
	/* an output buffer too small for one header: nothing consumed */
	sim_init(&s);
	s.out = (struct http_conn_out){ s.v, 16, 0, s.obuf, 40, 0, false };
	assert_int_equal(http_conn_on_data(&s.c, span_make(many, n), T0, &site, &s.out), 0);
	assert_true(s.out.more);
	assert_int_equal(s.out.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_split_feeding, setup),
		cmocka_unit_test_setup(test_pipelined, setup),
		cmocka_unit_test_setup(test_http10, setup),
		cmocka_unit_test_setup(test_bad_input_closes, setup),
		cmocka_unit_test_setup(test_endless, setup),
		cmocka_unit_test_setup(test_slowloris, setup),
		cmocka_unit_test_setup(test_upcall, setup),
		cmocka_unit_test_setup(test_expect_continue, setup),
		cmocka_unit_test_setup(test_bounds, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
