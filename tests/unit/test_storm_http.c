/* SPDX-License-Identifier: BSD-3-Clause */
/* stampede-storm's client HTTP (tools/storm/storm_http.c). The request
 * builder (iPXE's header set, POST bodies, every too-small buffer, bad
 * input); the response reader over a table of responses -- stampede's
 * with verified ETags, nginx's, chunked, interim, HEAD, 204, 503 with
 * Retry-After, close-delimited, and garbage of every kind with its named
 * cause -- each fed whole, at every split point and byte by byte, with the
 * same result. Then whole boot chains against stampede's real HTTP server
 * core (test_storm_pump.h): 50 clients fetching script, kernel and initrd
 * on one keep-alive connection each, the same under loss and reordering,
 * a corrupted byte, no server, a garbage server, a silent one, the job
 * API. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"
#include "content_hash.h"
#include "storm_http.h"
#include "test_storm_pump.h"

#define SEC 1000000ull

/* ---- requests ---- */

static void test_build_get(void **state)
{
	static const char want[] = "GET /boot/x.ipxe HTTP/1.1\r\nHost: 10.0.0.1\r\n"
				   "User-Agent: iPXE/1.21.1+\r\nConnection: keep-alive\r\n\r\n";
	char buf[256];
	int n;

	(void)state;
	n = shttp_build_get(buf, sizeof(buf), "10.0.0.1", "/boot/x.ipxe");
	assert_int_equal(n, strlen(want));
	assert_string_equal(buf, want);
	/* Exactly the length fits (no NUL then); one byte less does not. */
	for (size_t cap = 0; cap < strlen(want); cap++)
		assert_int_equal(shttp_build_get(buf, cap, "10.0.0.1", "/boot/x.ipxe"), -ENOSPC);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(shttp_build_get(buf, strlen(want), "10.0.0.1", "/boot/x.ipxe"), n);
	assert_memory_equal(buf, want, strlen(want));
	assert_int_equal(buf[n], 'x');
	/* Not origin-form, spaces, controls, empty: refused. */
	assert_int_equal(shttp_build_get(buf, sizeof(buf), "10.0.0.1", "boot"), -EINVAL);
	assert_int_equal(shttp_build_get(buf, sizeof(buf), "10.0.0.1", "/a b"), -EINVAL);
	assert_int_equal(shttp_build_get(buf, sizeof(buf), "10.0.0.1", "/a\r\nX: y"), -EINVAL);
	assert_int_equal(shttp_build_get(buf, sizeof(buf), "", "/a"), -EINVAL);
}

static void test_build_post(void **state)
{
	static const char body[] = "{\"percent\":42}";
	static const char want[] = "POST /api/v1/job/7/progress HTTP/1.1\r\nHost: 10.0.0.1:8080\r\n"
				   "User-Agent: stampede-imaging/1\r\nConnection: close\r\n"
				   "Content-Type: application/json\r\nContent-Length: 14\r\n\r\n"
				   "{\"percent\":42}";
	struct shttp_req rq = { .method = "POST", .host = "10.0.0.1:8080",
				.path = "/api/v1/job/7/progress", .user_agent = "stampede-imaging/1",
				.body = body, .body_len = strlen(body), .close = true };
	char buf[512];
	int n = shttp_build_request(buf, sizeof(buf), &rq);

	(void)state;
	assert_int_equal(n, strlen(want));
	assert_string_equal(buf, want);
	for (size_t cap = 0; cap < strlen(want); cap++)
		assert_int_equal(shttp_build_request(buf, cap, &rq), -ENOSPC);
	rq.content_type = "text/plain";
	assert_true(shttp_build_request(buf, sizeof(buf), &rq) > 0);
	assert_non_null(strstr(buf, "Content-Type: text/plain\r\n"));
	rq.method = "PO ST";
	assert_int_equal(shttp_build_request(buf, sizeof(buf), &rq), -EINVAL);
	rq.method = "POST";
	rq.user_agent = "a\nb";
	assert_int_equal(shttp_build_request(buf, sizeof(buf), &rq), -EINVAL);
	rq.user_agent = NULL;
	rq.body = NULL;
	assert_int_equal(shttp_build_request(buf, sizeof(buf), &rq), -EINVAL);
}

/* ---- responses: one table, every split ---- */

enum want { W_DONE, W_AGAIN, W_ERR };

struct vec {
	const char *name;
	const char *in;          /* NULL: built by the test (see fill_vectors()) */
	bool head_req;
	bool eof;                /* the server closes after the bytes */
	enum want want;
	uint16_t status;
	enum shttp_cause cause;
	bool verified;
	int64_t body_len;        /* -1: do not check */
	int keep_alive;          /* -1: do not check */
	int32_t retry_after;
	const char *kept;        /* body copy, NULL: do not check */
	size_t extra;            /* bytes after the response in the input */
};

struct res {
	int rc;                  /* final: DONE bytes, PARSE_AGAIN, PARSE_ERR */
	size_t consumed;
	uint8_t state, cause, etag_kind;
	uint16_t status;
	bool verified, keep_alive;
	uint64_t body_len;
	int32_t retry_after;
	char kept[256];
	uint32_t n_kept;
};

static char stampede_ok[512], stampede_bad_hash[512], stampede_bad_len[512];
static char stampede_chunked[512], stampede_chunk_long[512];

static const char body13[] = "hello, storm\n";

static void fill_vectors(void)
{
	char etag[64];

	snprintf(etag, sizeof(etag), "\"%016llx-%zx\"",
		 (unsigned long long)content_hash(body13, 13), (size_t)13);
	snprintf(stampede_ok, sizeof(stampede_ok),
		 "HTTP/1.1 200 OK\r\nServer: stampede\r\nContent-Length: 13\r\nETag: %s\r\n"
		 "Content-Type: application/octet-stream\r\n\r\n%s", etag, body13);
	snprintf(stampede_bad_hash, sizeof(stampede_bad_hash),
		 "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nETag: %s\r\n\r\nhello, stprm\n", etag);
	snprintf(stampede_bad_len, sizeof(stampede_bad_len),
		 "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nETag: %s\r\n\r\nhello, storm", etag);
	snprintf(stampede_chunked, sizeof(stampede_chunked),
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: %s\r\n\r\n"
		 "5;ext=1\r\nhello\r\n8\r\n, storm\n\r\n0\r\nX-Trailer: 1\r\n\r\n", etag);
	snprintf(stampede_chunk_long, sizeof(stampede_chunk_long),
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: %s\r\n\r\n"
		 "e\r\nhello, storm\n!\r\n0\r\n\r\n", etag);
}

#define OK200(n, in, body) { n, in, false, false, W_DONE, 200, SHTTP_C_NONE, false, \
			     (int64_t)sizeof(body) - 1, 1, -1, body, 0 }
#define ERR(n, in, c) { n, in, false, false, W_ERR, 0, c, false, -1, -1, -1, NULL, 0 }

static const struct vec vecs[] = {
	{ "stampede", stampede_ok, false, false, W_DONE, 200, SHTTP_C_NONE, true, 13, 1, -1,
	  body13, 0 },
	{ "stampede hash", stampede_bad_hash, false, false, W_ERR, 200, SHTTP_C_HASH_MISMATCH,
	  false, 13, -1, -1, NULL, 0 },
	{ "stampede length", stampede_bad_len, false, false, W_ERR, 200,
	  SHTTP_C_LENGTH_MISMATCH, false, 0, -1, -1, NULL, 0 },
	{ "stampede chunked", stampede_chunked, false, false, W_DONE, 200, SHTTP_C_NONE, true,
	  13, 1, -1, body13, 0 },
	{ "chunked too long", stampede_chunk_long, false, false, W_ERR, 200,
	  SHTTP_C_LENGTH_MISMATCH, false, -1, -1, -1, NULL, 0 },
	OK200("nginx", "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 5\r\n"
	      "ETag: \"65a1b2c3-5\"\r\nAccept-Ranges: bytes\r\n\r\nabcde", "abcde"),
	OK200("weak etag", "HTTP/1.1 200 OK\r\nETag: W/\"0123456789abcdef-5\"\r\n"
	      "Content-Length: 5\r\n\r\nabcde", "abcde"),
	OK200("bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", "hi"),
	OK200("long fields", "HTTP/1.1 200 Fine Fine Fine Fine Fine Fine Fine Fine Fine Fine Fine "
	      "Fine Fine Fine Fine Fine Fine Fine Fine Fine Fine Fine Fine Fine Fine\r\n"
	      "X-Long: 0123456789012345678901234567890123456789012345678901234567890123456789"
	      "0123456789012345678901234567890123456789012345678901234567890123456789\r\n"
	      "ETag: \"0123456789012345678901234567890123456789012345678901234567890123456789"
	      "0123456789012345678901234567890123456789012345678901234567890123456789\"\r\n"
	      "Content-Length: 3\r\n\r\nabc", "abc"),
	OK200("same lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nz",
	      "z"),
	OK200("interim", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	      "\r\nok", "ok"),
	OK200("empty line first", "\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "ok"),
	{ "503", "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 5\r\n"
	  "\r\nbusy\n", false, false, W_DONE, 503, SHTTP_C_NONE, false, 5, 1, 7, "busy\n", 0 },
	{ "503 date", "HTTP/1.1 503 Busy\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\n"
	  "Content-Length: 0\r\n\r\n", false, false, W_DONE, 503, SHTTP_C_NONE, false, 0, 1, -1,
	  "", 0 },
	{ "404", "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\n"
	  "not found\n", false, false, W_DONE, 404, SHTTP_C_NONE, false, 10, 0, -1, "not found\n",
	  0 },
	{ "head", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", true, false, W_DONE, 200,
	  SHTTP_C_NONE, false, 0, 1, -1, "", 0 },
	{ "204", "HTTP/1.1 204 No Content\r\n\r\n", false, false, W_DONE, 204, SHTTP_C_NONE,
	  false, 0, 1, -1, "", 0 },
	{ "1.0 until close", "HTTP/1.0 200 OK\r\n\r\nall of it", false, true, W_DONE, 200,
	  SHTTP_C_NONE, false, 9, 0, -1, "all of it", 0 },
	{ "1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n"
	  "\r\nk", false, false, W_DONE, 200, SHTTP_C_NONE, false, 1, 1, -1, "k", 0 },
	{ "1.0 plain", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nk", false, false, W_DONE,
	  200, SHTTP_C_NONE, false, 1, 0, -1, "k", 0 },
	{ "extra bytes", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", false, false,
	  W_DONE, 200, SHTTP_C_NONE, false, 2, 1, -1, "ok", 5 },
	{ "short body", "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nonly this", false, true,
	  W_ERR, 200, SHTTP_C_SHORT_BODY, false, 9, -1, -1, NULL, 0 },
	{ "closed in head", "HTTP/1.1 200 OK\r\nContent-Le", false, true, W_ERR, 200,
	  SHTTP_C_CLOSED_EARLY, false, -1, -1, -1, NULL, 0 },
	{ "closed in chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nab",
	  false, true, W_ERR, 200, SHTTP_C_SHORT_BODY, false, -1, -1, -1, NULL, 0 },
	{ "incomplete", "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nonly this", false, false,
	  W_AGAIN, 200, SHTTP_C_NONE, false, 9, -1, -1, NULL, 0 },
	ERR("garbage", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", SHTTP_C_BAD_STATUS),
	ERR("binary", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", SHTTP_C_BAD_STATUS),
	ERR("http/2", "HTTP/2 200\r\n\r\n", SHTTP_C_BAD_STATUS),
	ERR("status letters", "HTTP/1.1 2x0 OK\r\n\r\n", SHTTP_C_BAD_STATUS),
	ERR("status short", "HTTP/1.1 20\r\n\r\n", SHTTP_C_BAD_STATUS),
	ERR("status 101", "HTTP/1.1 101 Switching Protocols\r\n\r\n", SHTTP_C_BAD_STATUS),
	ERR("no colon", "HTTP/1.1 200 OK\r\nContent-Length 5\r\n\r\n", SHTTP_C_BAD_HEADER),
	ERR("space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n",
	    SHTTP_C_BAD_HEADER),
	ERR("obs fold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\n\r\n", SHTTP_C_BAD_HEADER),
	ERR("bare CR", "HTTP/1.1 200 OK\r\nX-A: 1\r2\r\n\r\n", SHTTP_C_BAD_HEADER),
	ERR("NUL in value", "HTTP/1.1 200 OK\r\nX-A: 1\x01\r\n\r\n", SHTTP_C_BAD_HEADER),
	ERR("length letters", "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
	    SHTTP_C_BAD_LENGTH),
	ERR("lengths differ", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    SHTTP_C_BAD_LENGTH),
	ERR("length huge", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
	    SHTTP_C_BAD_LENGTH),
	ERR("gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    SHTTP_C_TE_UNSUPPORTED),
	ERR("te and length", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n", SHTTP_C_BAD_FRAMING),
	ERR("chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	    SHTTP_C_BAD_CHUNK),
	ERR("chunk end", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
	    SHTTP_C_BAD_CHUNK),
	ERR("chunk huge", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "1000000000000000\r\n", SHTTP_C_BAD_CHUNK),
};

static void run_pieces(const struct vec *v, const uint8_t *in, size_t len, const size_t *cut,
		       unsigned n_cut, struct res *o)
{
	struct shttp r;
	uint8_t keep[256];
	size_t off = 0;

	memset(o, 0, sizeof(*o));
	shttp_begin(&r, v->head_req, keep, sizeof(keep));
	o->rc = PARSE_AGAIN;
	for (unsigned i = 0; i <= n_cut && o->rc == PARSE_AGAIN; i++) {
		size_t end = i < n_cut ? cut[i] : len;

		o->rc = shttp_input(&r, in + off, end - off);
		if (o->rc > 0)
			o->consumed = off + (size_t)o->rc;
		off = end;
	}
	if (o->rc == PARSE_AGAIN && v->eof)
		o->rc = shttp_eof(&r) == 0 ? (int)len : PARSE_ERR;
	if (o->rc > 0 && v->eof)
		o->consumed = len;
	o->state = r.state;
	o->cause = r.cause;
	o->status = r.status;
	o->verified = r.verified;
	o->keep_alive = shttp_keep_alive(&r);
	o->body_len = r.body_len;
	o->retry_after = r.retry_after;
	o->etag_kind = r.etag_kind;
	o->n_kept = r.kept;
	memcpy(o->kept, keep, r.kept);
}

static void check_res(const struct vec *v, const struct res *o, size_t len)
{
	switch (v->want) {
	case W_DONE:
		if (o->rc <= 0)
			fail_msg("%s: rc %d cause %s", v->name, o->rc, shttp_cause_str(o->cause));
		assert_int_equal(o->consumed, len - v->extra);
		assert_int_equal(o->state, SHTTP_S_DONE);
		break;
	case W_AGAIN:
		assert_int_equal(o->rc, PARSE_AGAIN);
		break;
	case W_ERR:
		if (o->rc != PARSE_ERR || o->cause != v->cause)
			fail_msg("%s: rc %d cause '%s', want '%s'", v->name, o->rc,
				 shttp_cause_str(o->cause), shttp_cause_str(v->cause));
		assert_int_equal(o->state, SHTTP_S_FAILED);
		break;
	}
	if (v->status)
		assert_int_equal(o->status, v->status);
	assert_int_equal(o->verified, v->verified);
	if (v->body_len >= 0)
		assert_int_equal(o->body_len, v->body_len);
	if (v->keep_alive >= 0)
		assert_int_equal(o->keep_alive, v->keep_alive);
	if (v->want == W_DONE)
		assert_int_equal(o->retry_after, v->retry_after);
	if (v->kept) {
		assert_int_equal(o->n_kept, strlen(v->kept));
		assert_memory_equal(o->kept, v->kept, o->n_kept);
	}
}

static bool res_eq(const struct res *a, const struct res *b)
{
	/* A completing call returns what it took: compare the totals. */
	return (a->rc > 0 ? 1 : a->rc) == (b->rc > 0 ? 1 : b->rc) &&
	       a->consumed == b->consumed && a->state == b->state &&
	       a->cause == b->cause && a->status == b->status && a->verified == b->verified &&
	       a->body_len == b->body_len && a->n_kept == b->n_kept &&
	       memcmp(a->kept, b->kept, a->n_kept) == 0;
}

/* Whole, at every split point, in three pieces, byte by byte: one result. */
static void test_response_vectors(void **state)
{
	(void)state;
	fill_vectors();
	for (size_t k = 0; k < STP_ARRAY_SIZE(vecs); k++) {
		const struct vec *v = &vecs[k];
		const uint8_t *in = (const uint8_t *)v->in;
		size_t len = strlen(v->in), cut[600] = { 0 };
		struct res whole, part;

		run_pieces(v, in, len, cut, 0, &whole);
		check_res(v, &whole, len);
		for (size_t a = 0; a <= len; a++) {
			cut[0] = a;
			run_pieces(v, in, len, cut, 1, &part);
			if (!res_eq(&whole, &part))
				fail_msg("%s: split at %zu differs", v->name, a);
			cut[1] = a + (len - a) / 2;
			run_pieces(v, in, len, cut, 2, &part);
			if (!res_eq(&whole, &part))
				fail_msg("%s: split at %zu, %zu differs", v->name, a, cut[1]);
		}
		assert_true(len < STP_ARRAY_SIZE(cut));
		for (size_t i = 0; i < len; i++)
			cut[i] = i + 1;
		run_pieces(v, in, len, cut, (unsigned)len, &part);
		if (!res_eq(&whole, &part))
			fail_msg("%s: byte by byte differs", v->name);
	}
}

static void test_response_limits(void **state)
{
	static char big[20000];
	struct shttp r;
	size_t n;

	(void)state;
	/* Garbage is named at its first byte, not after a line of it. */
	shttp_begin(&r, false, NULL, 0);
	assert_int_equal(shttp_input(&r, (const uint8_t *)"<", 1), PARSE_ERR);
	assert_string_equal(shttp_cause_str(r.cause), "http: bad status line");
	assert_int_equal(shttp_input(&r, (const uint8_t *)"x", 1), PARSE_ERR);
	/* A head that never ends. */
	shttp_begin(&r, false, NULL, 0);
	n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX-A: ");
	memset(big + n, 'a', sizeof(big) - n);
	assert_int_equal(shttp_input(&r, (const uint8_t *)big, 16000), PARSE_AGAIN);
	assert_int_equal(shttp_input(&r, (const uint8_t *)big + 16000, 4000), PARSE_ERR);
	assert_string_equal(shttp_cause_str(r.cause), "http: head too large");
	/* Too many lines. */
	shttp_begin(&r, false, NULL, 0);
	assert_int_equal(shttp_input(&r, (const uint8_t *)"HTTP/1.1 200 OK\r\n", 17), PARSE_AGAIN);
	for (unsigned i = 0; i < SHTTP_LINES_MAX; i++)
		assert_int_equal(shttp_input(&r, (const uint8_t *)"X: 1\r\n", 6), PARSE_AGAIN);
	assert_int_equal(shttp_input(&r, (const uint8_t *)"X: 1\r\n", 6), PARSE_ERR);
	assert_string_equal(shttp_cause_str(r.cause), "http: too many header lines");
	/* A chunk line that never ends. */
	shttp_begin(&r, false, NULL, 0);
	n = (size_t)snprintf(big, sizeof(big),
			     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;");
	memset(big + n, 'e', sizeof(big) - n);
	assert_int_equal(shttp_input(&r, (const uint8_t *)big, sizeof(big)), PARSE_ERR);
	assert_string_equal(shttp_cause_str(r.cause), "http: bad chunk");
	/* Bytes with no request out, after the end, a failed reader. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(shttp_input(&r, (const uint8_t *)"H", 1), PARSE_ERR);
	assert_string_equal(shttp_cause_str(r.cause), "http: bytes outside a response");
	assert_int_equal(shttp_eof(&r), PARSE_ERR);
	memset(&r, 0, sizeof(r));
	assert_int_equal(shttp_eof(&r), 0);
	assert_int_equal(shttp_input(&r, NULL, 0), PARSE_AGAIN);
	assert_string_equal(shttp_state_name(SHTTP_S_CHUNK_DATA), "CHUNK_DATA");
	assert_string_equal(shttp_cause_str(99), "?");
}

/* A large stampede body in TCP-sized pieces, kept only up to the buffer. */
static void test_response_stream(void **state)
{
	enum { LEN = 1 << 20 };
	static uint8_t body[LEN];
	char head[256];
	uint8_t keep[100];
	struct shttp r;
	size_t off = 0, step = 1;
	int hl;

	(void)state;
	for (size_t i = 0; i < LEN; i++)
		body[i] = (uint8_t)(i * 2654435761u >> 13);
	hl = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
		      "ETag: \"%016llx-%x\"\r\n\r\n", LEN,
		      (unsigned long long)content_hash(body, LEN), LEN);
	shttp_begin(&r, false, keep, sizeof(keep));
	assert_int_equal(shttp_input(&r, (const uint8_t *)head, (size_t)hl), PARSE_AGAIN);
	assert_int_equal(r.state, SHTTP_S_BODY);
	while (off < LEN) {
		size_t n = STP_MIN(step, (size_t)LEN - off);
		int rc = shttp_input(&r, body + off, n);

		off += n;
		assert_int_equal(rc, off < LEN ? PARSE_AGAIN : (int)n);
		step = step * 5 % 1449 + 1;
	}
	assert_true(shttp_done(&r) && r.verified);
	assert_int_equal(r.kept, sizeof(keep));
	assert_memory_equal(keep, body, sizeof(keep));
}

/* ---- against stampede's HTTP server core ---- */

static struct pump_cfg boot_chain(unsigned n)
{
	struct pump_cfg c = { .n_clients = n, .corrupt_obj = -1, .n_req = 3 };

	c.req[0].path = "/boot.ipxe";
	c.req[1].path = "/bzImage";
	c.req[2].path = "/init.xz";
	return c;
}

static void expect_chain_ok(const struct pump *p)
{
	static const uint64_t lens[] = { sizeof(PUMP_SCRIPT) - 1, PUMP_KERNEL_LEN,
					 PUMP_INITRD_LEN };

	for (unsigned i = 0; i < p->cfg.n_clients; i++) {
		const struct pclient *c = &p->cl[i];

		if (!c->finished || !c->ok)
			fail_msg("client %u: %s", i, c->finished ? c->cause : "not finished");
		assert_int_equal(c->n_resp, 3);
		for (unsigned k = 0; k < 3; k++) {
			assert_int_equal(c->resp[k].status, 200);
			assert_true(c->resp[k].verified);
			assert_int_equal(c->resp[k].etag_kind, SHTTP_ETAG_STAMPEDE);
			assert_int_equal(c->resp[k].body_len, lens[k]);
		}
		assert_string_equal(c->first_body, PUMP_SCRIPT);
		assert_int_equal(c->tcp.state, STCP_S_CLOSED);
	}
	assert_int_equal(p->pool.n_free, p->pool.n);
}

static void test_real_chain_50(void **state)
{
	struct pump_cfg cfg = boot_chain(50);
	struct pump *p = pump_new(&cfg);
	const struct tcp_counters *tc;

	(void)state;
	pump_run(p, 120 * SEC);
	expect_chain_ok(p);
	tc = tcp_table_counters(http_server_tcp(p->srv));
	assert_int_equal(tc->conn_opened, 50);            /* one connection each */
	assert_int_equal(http_server_active(p->srv), 0);
	assert_int_equal(pump_sum(p, offsetof(struct stcp_counters, retransmits)), 0);
	pump_free(p);
}

static void test_real_chain_loss_reorder(void **state)
{
	struct pump_cfg cfg = boot_chain(50);
	struct pump *p;

	(void)state;
	cfg.drop_every = 11;
	cfg.swap_pairs = true;
	p = pump_new(&cfg);
	pump_run(p, 300 * SEC);
	expect_chain_ok(p);
	assert_true(p->dropped > 1000);
	assert_true(p->swapped > 1000);
	assert_true(pump_sum(p, offsetof(struct stcp_counters, ooo_segs)) > 1000);
	assert_true(pump_sum(p, offsetof(struct stcp_counters, sack_acks)) > 1000);
	pump_free(p);
}

static void test_real_corrupt_byte(void **state)
{
	struct pump_cfg cfg = boot_chain(8);
	struct pump *p;

	(void)state;
	cfg.corrupt_obj = PUMP_OBJ_KERNEL;
	cfg.corrupt_off = 1234567;
	cfg.corrupt_client = 3;
	p = pump_new(&cfg);
	pump_run(p, 120 * SEC);
	assert_int_equal(pump_count_failed(p, "http: body hash mismatch"), 1);
	assert_false(p->cl[3].ok);
	assert_int_equal(p->cl[3].n_resp, 1);             /* the script only */
	assert_int_equal(pump_count_ok(p), 7);
	assert_int_equal(p->pool.n_free, p->pool.n);
	pump_free(p);
}

static void test_no_server(void **state)
{
	struct pump_cfg cfg = boot_chain(20);
	struct pump *p;

	(void)state;
	cfg.server = PUMP_NONE;
	p = pump_new(&cfg);
	pump_run(p, 600 * SEC);
	assert_int_equal(pump_count_failed(p, "tcp: connect timeout"), 20);
	for (unsigned i = 0; i < 20; i++)
		assert_true(p->cl[i].finished_at == PUMP_T0 + 15 * SEC);
	assert_int_equal(p->pool.n_free, p->pool.n);
	pump_free(p);
}

static void run_raw(const char *answer, unsigned n, const char *cause, uint64_t at)
{
	struct pump_cfg cfg = boot_chain(n);
	struct pump *p;

	cfg.server = PUMP_RAW;
	cfg.raw_answer = answer;
	p = pump_new(&cfg);
	pump_run(p, 600 * SEC);
	if (pump_count_failed(p, cause) != n)
		fail_msg("want '%s', client 0: '%s'", cause, p->cl[0].cause ? p->cl[0].cause : "");
	for (unsigned i = 0; i < n; i++) {
		assert_true(p->cl[i].tcp.state == STCP_S_CLOSED ||
			    p->cl[i].tcp.state == STCP_S_FAILED);
		if (at)
			assert_true(p->cl[i].finished_at <= PUMP_T0 + at);
	}
	assert_int_equal(p->pool.n_free, p->pool.n);
	pump_free(p);
}

static void test_garbage_servers(void **state)
{
	(void)state;
	run_raw("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 10, "http: bad status line", SEC);
	run_raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"0123456789abcdef-5\"\r\n\r\n"
		"abcde", 10, "http: body hash mismatch", SEC);
	run_raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 10,
		"http: transfer-encoding unsupported", SEC);
	/* A head, then silence: the idle limit names it. */
	run_raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 10, "tcp: idle timeout",
		31 * SEC);
}

static void test_job_api(void **state)
{
	struct pump_cfg cfg = { .n_clients = 4, .corrupt_obj = -1, .n_req = 2 };
	struct pump *p;

	(void)state;
	cfg.req[0] = (struct pump_req){ "POST", "/api/v1/job/7/progress", "{\"percent\":42}" };
	cfg.req[1] = (struct pump_req){ "POST", "/api/v1/job/7/done", "{}" };
	p = pump_new(&cfg);
	pump_run(p, 60 * SEC);
	assert_int_equal(pump_count_ok(p), 4);
	assert_int_equal(p->upcalls, 8);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(p->cl[i].resp[0].status, 200);
		assert_int_equal(p->cl[i].resp[0].etag_kind, SHTTP_ETAG_NONE);
		assert_false(p->cl[i].resp[0].verified);
		assert_string_equal(p->cl[i].first_body, "{\"ok\":true,\"job\":7}");
	}
	pump_free(p);
	/* Control never answers: the client names the silence. */
	cfg.ignore_upcalls = true;
	p = pump_new(&cfg);
	pump_run(p, 600 * SEC);
	assert_int_equal(pump_count_failed(p, "tcp: idle timeout"), 4);
	pump_free(p);
}

static void test_not_found(void **state)
{
	struct pump_cfg cfg = boot_chain(2);
	struct pump *p;

	(void)state;
	cfg.req[1].path = "/no/such/kernel";
	p = pump_new(&cfg);
	pump_run(p, 60 * SEC);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(p->cl[i].n_resp, 3);
		assert_int_equal(p->cl[i].resp[1].status, 404);
		assert_false(p->cl[i].resp[1].verified);
		assert_true(p->cl[i].resp[2].verified);
	}
	pump_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_get),
		cmocka_unit_test(test_build_post),
		cmocka_unit_test(test_response_vectors),
		cmocka_unit_test(test_response_limits),
		cmocka_unit_test(test_response_stream),
		cmocka_unit_test(test_real_chain_50),
		cmocka_unit_test(test_real_chain_loss_reorder),
		cmocka_unit_test(test_real_corrupt_byte),
		cmocka_unit_test(test_no_server),
		cmocka_unit_test(test_garbage_servers),
		cmocka_unit_test(test_job_api),
		cmocka_unit_test(test_not_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
