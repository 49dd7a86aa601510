/* SPDX-License-Identifier: BSD-3-Clause */
/* HTTP request parser and targets: table-driven vectors for the real
 * clients and every error class, split-point feeding, header limits,
 * traversal attempts, percent-decoding and query parameters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http_parse.h"
#include "http_target.h"
#include "objcache.h"

#define PS(lit) { (const uint8_t *)(lit), sizeof(lit) - 1 }
#define OK 1                      /* expected rc: the whole vector consumed */

static const struct http_limits lim = HTTP_LIMITS_DEFAULT;

struct vec {
	const char *what;
	struct span in;
	int rc;                    /* OK, PARSE_AGAIN or PARSE_ERR */
	uint16_t status;           /* for PARSE_ERR */
	uint8_t method, minor;
	uint32_t n_hdrs;
};

#define H11 " HTTP/1.1\r\nHost: a\r\n"

static const struct vec vecs[] = {
	{ "minimal", PS("GET /" H11 "\r\n"), OK, 0, HTTP_M_GET, 1, 1 },
	{ "curl", PS("GET /boot.ipxe HTTP/1.1\r\nHost: 10.0.0.1\r\nUser-Agent: curl/7.88.1\r\n"
		     "Accept: */*\r\n\r\n"), OK, 0, HTTP_M_GET, 1, 3 },
	{ "iPXE", PS("GET /bzImage HTTP/1.1\r\nConnection: keep-alive\r\nUser-Agent: iPXE/1.0.0+\r\n"
		     "Host: 10.0.0.1\r\n\r\n"), OK, 0, HTTP_M_GET, 1, 3 },
	{ "wget", PS("GET /x HTTP/1.1\r\nHost: h\r\nUser-Agent: Wget/1.21.3\r\nAccept: */*\r\n"
		     "Accept-Encoding: identity\r\nConnection: Keep-Alive\r\n\r\n"), OK, 0, HTTP_M_GET, 1, 5 },
	{ "HEAD", PS("HEAD /x" H11 "\r\n"), OK, 0, HTTP_M_HEAD, 1, 1 },
	{ "1.0 without Host", PS("GET /x HTTP/1.0\r\n\r\n"), OK, 0, HTTP_M_GET, 0, 0 },
	{ "bare LF lines", PS("GET /x HTTP/1.1\nHost: a\n\n"), OK, 0, HTTP_M_GET, 1, 1 },
	{ "leading empty lines", PS("\r\n\nGET /x" H11 "\r\n"), OK, 0, HTTP_M_GET, 1, 1 },
	{ "OWS trimmed", PS("GET /x HTTP/1.1\r\nHost: \t a \t\r\nX:\r\n\r\n"), OK, 0, HTTP_M_GET, 1, 2 },
	{ "obs-text value", PS("GET /x" H11 "X: caf\xc3\xa9\r\n\r\n"), OK, 0, HTTP_M_GET, 1, 2 },
	{ "HTTP/1.2 is 1.1", PS("GET /x HTTP/1.2\r\nHost: a\r\n\r\n"), OK, 0, HTTP_M_GET, 1, 1 },
	{ "absolute form", PS("GET http://h:80/x?a=b" H11 "\r\n"), OK, 0, HTTP_M_GET, 1, 1 },
	{ "OPTIONS *", PS("OPTIONS *" H11 "\r\n"), OK, 0, HTTP_M_OPTIONS, 1, 1 },
	{ "api POST body", PS("POST /api/v1/x" H11 "Content-Length: 5\r\n\r\nhello"), OK, 0,
	  HTTP_M_POST, 1, 2 },
	{ "CL list same", PS("POST /api/x" H11 "Content-Length: 2, 2\r\nContent-Length: 2\r\n\r\nhi"),
	  OK, 0, HTTP_M_POST, 1, 3 },
	{ "GET CL 0", PS("GET /x" H11 "Content-Length: 0\r\n\r\n"), OK, 0, HTTP_M_GET, 1, 2 },
	{ "POST static no body", PS("POST /x" H11 "\r\n"), OK, 0, HTTP_M_POST, 1, 1 },
	{ "body incomplete", PS("PUT /api/x" H11 "Content-Length: 5\r\n\r\nhel"), PARSE_AGAIN, 0, 0, 0, 0 },
	{ "final CR pending", PS("GET /x" H11 "\r"), PARSE_AGAIN, 0, 0, 0, 0 },
	{ "empty", PS(""), PARSE_AGAIN, 0, 0, 0, 0 },

	{ "lowercase method", PS("get /x" H11 "\r\n"), PARSE_ERR, 501, 0, 0, 0 },
	{ "unknown method", PS("BREW /pot" H11 "\r\n"), PARSE_ERR, 501, 0, 0, 0 },
	{ "long method", PS("ABCDEFGHIJKLMNOPQRSTUVWXYZ /x" H11 "\r\n"), PARSE_ERR, 501, 0, 0, 0 },
	{ "method not token", PS("G@T /x" H11 "\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "leading space", PS(" GET /x" H11 "\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "double space", PS("GET  /x" H11 "\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "space after version", PS("GET /x HTTP/1.1 \r\nHost: a\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "CTL in target", PS("GET /\x01" H11 "\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "NUL in target", PS("GET /a\0b" H11 "\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "relative target", PS("GET x" H11 "\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "star with GET", PS("GET *" H11 "\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "HTTP/0.9", PS("GET /x\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "bad version", PS("GET /x HTTQ/1.1\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "HTTP/2.0", PS("GET /x HTTP/2.0\r\nHost: a\r\n\r\n"), PARSE_ERR, 505, 0, 0, 0 },
	{ "HTTP/0.9 versioned", PS("GET /x HTTP/0.9\r\n\r\n"), PARSE_ERR, 505, 0, 0, 0 },
	{ "no Host", PS("GET /x HTTP/1.1\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "two Host", PS("GET /x" H11 "Host: b\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "bare CR in line", PS("GET /x HTTP/1.1\rHost: a\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "bare CR in value", PS("GET /x" H11 "X: a\rb\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "bare CR leading", PS("\rGET /x" H11 "\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "NUL in value", PS("GET /x" H11 "X: a\0b\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "DEL in value", PS("GET /x" H11 "X: a\x7f\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "space before colon", PS("GET /x" H11 "X : a\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "empty name", PS("GET /x" H11 ": a\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "no colon", PS("GET /x" H11 "Xa\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "obs-fold", PS("GET /x" H11 "X: a\r\n b\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "CL differ", PS("POST /api/x" H11 "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
	  PARSE_ERR, 400, 0, 0, 0 },
	{ "CL list differ", PS("POST /api/x" H11 "Content-Length: 1, 2\r\n\r\nab"), PARSE_ERR, 400, 0, 0, 0 },
	{ "CL not digits", PS("GET /x" H11 "Content-Length: abc\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "CL negative", PS("GET /x" H11 "Content-Length: -1\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "CL empty", PS("GET /x" H11 "Content-Length:\r\n\r\n"), PARSE_ERR, 400, 0, 0, 0 },
	{ "TE chunked", PS("POST /api/x" H11 "Transfer-Encoding: chunked\r\n\r\n"), PARSE_ERR, 501, 0, 0, 0 },
	{ "TE with CL", PS("POST /api/x" H11 "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
	  PARSE_ERR, 400, 0, 0, 0 },
	{ "GET with body", PS("GET /x" H11 "Content-Length: 5\r\n\r\nhello"), PARSE_ERR, 413, 0, 0, 0 },
	{ "static POST body: 405, a file takes GET and HEAD only", PS("POST /x" H11 "Content-Length: 5\r\n\r\nhello"), PARSE_ERR, 405, 0, 0, 0 },
	{ "api body too large", PS("POST /api/x" H11 "Content-Length: 65537\r\n\r\n"), PARSE_ERR, 413, 0, 0, 0 },
	{ "CL saturates", PS("POST /api/x" H11 "Content-Length: 99999999999999999999999999\r\n\r\n"),
	  PARSE_ERR, 413, 0, 0, 0 },
};

/* An exact-size heap copy so ASan sees any read past the input. */
static uint8_t *dup_bytes(struct span s)
{
	uint8_t *p = malloc(s.len ? s.len : 1);

	assert_non_null(p);
	if (s.len)
		memcpy(p, s.p, s.len);
	return p;
}

static int parse(struct span in, struct http_req *req, struct http_hdr *hdrs, uint32_t cap)
{
	uint8_t *copy = dup_bytes(in);
	int rc;

	req->hdrs = hdrs;
	req->hdr_cap = cap;
	rc = http_parse_request(span_make(copy, in.len), &lim, req);
	free(copy);
	return rc;
}

static void check_vec(const struct vec *v)
{
	struct http_hdr hdrs[64];
	struct http_req req;
	int rc = parse(v->in, &req, hdrs, 64);

	if (v->rc == OK) {
		assert_int_equal(rc, (int)v->in.len);
		assert_int_equal(req.method, v->method);
		assert_int_equal(req.minor, v->minor);
		assert_int_equal(req.n_hdrs, v->n_hdrs);
		assert_int_equal(req.perr, HTTP_PERR_NONE);
	} else {
		assert_int_equal(rc, v->rc);
		if (rc == PARSE_ERR) {
			assert_int_equal(req.status, v->status);
			assert_int_equal(http_perr_status((enum http_perr)req.perr), v->status);
		}
	}
}

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(vecs); i++) {
		print_message("  %s\n", vecs[i].what);
		check_vec(&vecs[i]);
	}
}

/* Every prefix is AGAIN or already the final error: whatever the split,
 * two or three pieces end in the same result as the whole. */
static void test_split_points(void **state)
{
	struct http_hdr hdrs[64];
	struct http_req req;

	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(vecs); i++) {
		const struct vec *v = &vecs[i];

		for (size_t k = 0; k < v->in.len; k++) {
			int rc = parse(span_make(v->in.p, k), &req, hdrs, 64);

			if (rc == PARSE_ERR) {
				assert_int_equal(v->rc, PARSE_ERR);
				assert_int_equal(req.status, v->status);
			} else {
				assert_int_equal(rc, PARSE_AGAIN);
			}
		}
		check_vec(v);
	}
}

static void test_fields(void **state)
{
	static const char in[] = "POST /api/v1/x?mac=1 HTTP/1.0\r\nHost:  h.example \r\n"
		"Connection: Keep-Alive, foo\r\nIf-None-Match: \"a\", W/\"b\"\r\n"
		"Range: bytes=0-1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabcNEXT";
	struct http_hdr hdrs[8];
	struct http_req req = { .hdrs = hdrs, .hdr_cap = 8 };
	/* on the static bytes: the spans are checked after the call */
	int rc = http_parse_request(span_make(in, sizeof(in) - 1), &lim, &req);

	(void)state;
	assert_int_equal(rc, (int)sizeof(in) - 1 - 4);
	assert_int_equal(req.minor, 0);
	assert_true(span_eq(req.target, span_cstr("/api/v1/x?mac=1")));
	assert_int_equal(req.conn_tokens, HTTP_CONN_TOK_KEEPALIVE);
	assert_int_equal(req.content_length, 3);
	assert_int_equal(req.body.len, 3);
	assert_true(req.expect_continue);
	assert_int_equal(req.n_hdrs, 6);
	assert_true(span_eq(http_req_header(&req, "CONNECTION"), span_cstr("Keep-Alive, foo")));
	assert_null(http_req_header(&req, "nope").p);
	assert_int_equal(req.head_len, sizeof(in) - 1 - 7);
}

/* 414 for a long request line, 431 for too many or too long fields, FULL
 * only when the caller's array is smaller than the limit. */
static void test_limits(void **state)
{
	static char buf[40000];
	struct http_hdr hdrs[64];
	struct http_req req;
	size_t n;

	(void)state;
	n = (size_t)snprintf(buf, sizeof(buf), "GET /");
	memset(buf + n, 'a', 9000);
	n += 9000;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(parse(span_make(buf, n), &req, hdrs, 64), PARSE_ERR);
	assert_int_equal(req.status, 414);
	/* endless request line without a CRLF: 414 once line_max is reached */
	assert_int_equal(parse(span_make(buf, lim.line_max), &req, hdrs, 64), PARSE_ERR);
	assert_int_equal(req.status, 414);
	assert_int_equal(parse(span_make(buf, lim.line_max - 1), &req, hdrs, 64), PARSE_AGAIN);

	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 64; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: v\r\n", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	assert_int_equal(parse(span_make(buf, n), &req, hdrs, 64), PARSE_ERR);
	assert_int_equal(req.status, 431);
	assert_int_equal(req.perr, HTTP_PERR_TOO_MANY_FIELDS);
	assert_int_equal(parse(span_make(buf, n), &req, hdrs, 4), PARSE_FULL);

	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(buf + n, 'v', 17000);
	n += 17000;
	assert_int_equal(parse(span_make(buf, n), &req, hdrs, 64), PARSE_ERR);
	assert_int_equal(req.status, 431);
	assert_int_equal(req.perr, HTTP_PERR_HEAD_TOO_LARGE);
	/* exactly at head_max: the blank line fits */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(buf + n, 'v', lim.head_max - n - 4);
	n = lim.head_max - 4;
	memcpy(buf + n, "\r\n\r\n", 4);
	assert_int_equal(parse(span_make(buf, lim.head_max), &req, hdrs, 64), (int)lim.head_max);
	buf[n - 1] = 'w';
	memcpy(buf + n + 1, "\r\n\r\n", 4);
	buf[n] = 'v';
	assert_int_equal(parse(span_make(buf, lim.head_max + 1), &req, hdrs, 64), PARSE_ERR);
	assert_int_equal(req.status, 431);
}

static void test_pipelined(void **state)
{
	static const char in[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c";
	struct http_hdr hdrs[8];
	struct http_req req;
	size_t off = 0;
	int rc;

	(void)state;
	rc = parse(span_make(in, sizeof(in) - 1), &req, hdrs, 8);
	assert_int_equal(rc, 28);
	off += (size_t)rc;
	rc = parse(span_make(in + off, sizeof(in) - 1 - off), &req, hdrs, 8);
	assert_int_equal(rc, 29);
	assert_int_equal(req.method, HTTP_M_HEAD);
	off += (size_t)rc;
	assert_int_equal(parse(span_make(in + off, sizeof(in) - 1 - off), &req, hdrs, 8), PARSE_AGAIN);
}

struct tvec {
	const char *target;
	const char *index;
	int rc;                    /* > 0: expected name below */
	const char *name;
};

static const struct tvec tvecs[] = {
	{ "/boot.ipxe", NULL, 9, "boot.ipxe" },
	{ "/a/./b//c", NULL, 5, "a/b/c" },
	{ "/%62oot.ipxe", NULL, 9, "boot.ipxe" },
	{ "/boot.ipxe?mac=52:54", NULL, 9, "boot.ipxe" },
	{ "http://10.0.0.1:80/x/y?z", NULL, 3, "x/y" },
	{ "HTTP://h", "boot.ipxe", 9, "boot.ipxe" },
	{ "/", NULL, -ENOENT, NULL },
	{ "/", "", -ENOENT, NULL },
	{ "/", "boot.ipxe", 9, "boot.ipxe" },
	{ "//./", "boot.ipxe", 9, "boot.ipxe" },
	{ "/?mac=1", "boot.ipxe", 9, "boot.ipxe" },
	{ "/dir/", NULL, -ENOENT, NULL },
	{ "/a%5cb", NULL, -ENOENT, NULL },
	{ "/../../etc/passwd", NULL, -EACCES, NULL },
	{ "/%2e%2e/%2e%2e/etc/passwd", NULL, -EACCES, NULL },
	{ "/%2E%2E/etc/passwd", NULL, -EACCES, NULL },
	{ "/boot/..%2f..%2fetc/passwd", NULL, -EACCES, NULL },
	{ "/..", "boot.ipxe", -EACCES, NULL },
	{ "/.%2e/x", NULL, -EACCES, NULL },
	{ "http://h/../x", NULL, -EACCES, NULL },
	{ "/a%00b", NULL, -EINVAL, NULL },
	{ "/a%zz", NULL, -EINVAL, NULL },
	{ "/a%4", NULL, -EINVAL, NULL },
	{ "/a%", NULL, -EINVAL, NULL },
	{ "/a%0a", NULL, -EINVAL, NULL },
	{ "/a%7F", NULL, -EINVAL, NULL },
	{ "/a+b", NULL, 3, "a+b" },
	{ "/caf%C3%A9", NULL, 5, "caf\xc3\xa9" },
};

static void test_targets(void **state)
{
	char name[OBJ_NAME_MAX];
	static char longp[5000];

	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(tvecs); i++) {
		const struct tvec *t = &tvecs[i];
		int rc = http_target_resolve(span_cstr(t->target), t->index, name, sizeof(name));

		print_message("  %s\n", t->target);
		assert_int_equal(rc, t->rc);
		if (rc > 0)
			assert_string_equal(name, t->name);
	}
	/* over HTTP_PATH_MAX decoded, or over OBJ_NAME_MAX: no such object,
	 * and a ".." past the decode bound cannot get through either */
	longp[0] = '/';
	memset(longp + 1, 'a', sizeof(longp) - 2);
	assert_int_equal(http_target_resolve(span_make(longp, sizeof(longp) - 1), NULL, name,
					     sizeof(name)), -ENOENT);
	memcpy(longp + 300, "/../", 4);
	assert_int_equal(http_target_resolve(span_make(longp, 400), NULL, name, sizeof(name)), -EACCES);
}

static void test_query(void **state)
{
	struct span q = span_cstr("&&mac=52%3A54%3a00%3A12%3A34%3A56&name=a+b%20c;m%61x=9&flag&e=&bad=%zz");
	struct http_qparam qp[8];
	struct http_hdr hdrs[4];
	struct http_req req;
	char buf[64];

	(void)state;
	assert_int_equal(http_query_parse(q, qp, 8), 6);
	assert_true(span_eq(qp[0].key, span_cstr("mac")));
	assert_true(span_eq(qp[3].key, span_cstr("flag")));
	assert_int_equal(qp[3].value.len, 0);
	assert_int_equal(http_query_parse(q, qp, 2), 2);
	assert_int_equal(http_query_find(q, "mac", buf, sizeof(buf)), 17);
	assert_string_equal(buf, "52:54:00:12:34:56");
	assert_int_equal(http_query_find(q, "name", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "a b c");
	assert_int_equal(http_query_find(q, "max", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "9");
	assert_int_equal(http_query_find(q, "flag", buf, sizeof(buf)), 0);
	assert_int_equal(http_query_find(q, "e", buf, sizeof(buf)), 0);
	assert_int_equal(http_query_find(q, "bad", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(http_query_find(q, "nope", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(http_query_find(q, "ma", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(http_query_find(q, "mac", buf, 10), -ENAMETOOLONG);
	assert_int_equal(http_query_find(span_make(NULL, 0), "mac", buf, sizeof(buf)), -ENOENT);

	static const char in[] = "GET /boot.ipxe?mac=52%3a54%3a00%3a00%3a00%3a01 HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_int_equal(parse(span_make(in, sizeof(in) - 1), &req, hdrs, 4), (int)sizeof(in) - 1);
	req.target = span_cstr("/boot.ipxe?mac=52%3a54%3a00%3a00%3a00%3a01");  /* copy was freed */
	assert_int_equal(http_query_get(&req, "mac", buf, sizeof(buf)), 17);
	assert_string_equal(buf, "52:54:00:00:00:01");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(http_method_str(HTTP_M_HEAD), "HEAD");
	assert_string_equal(http_perr_str(HTTP_PERR_TE), "TE");
	assert_int_equal(http_perr_status(HTTP_PERR_URI_TOO_LONG), 414);
	assert_int_equal(http_perr_status(HTTP_PERR_N), 400);
	assert_true(http_span_ieq(span_cstr("Content-LENGTH"), "content-length"));
	assert_false(http_span_ieq(span_cstr("Content-Lengt"), "content-length"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_split_points),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
