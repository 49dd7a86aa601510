/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the HTTP core: the parser, target resolution,
 * query and Range on the raw input, then a connection fed the input in
 * pieces, against a tiny site of three objects, with the clock moving
 * and deadlines firing. Each input starts from scratch, so a crash
 * reproduces from its file alone.
 *
 * Input: four header bytes, then the stream.
 *   b0  bit 0-1: limits (default, small, tiny, default); bit 2: index
 *       set; bit 3: keep-alive off; bit 4-5: max_requests 0/1/3/8;
 *       bit 6-7: output room (16 entries, 1 entry, 3 entries, small buf)
 *   b1  seed of the piece sizes (1 .. 8 << (b1 >> 6) bytes)
 *   b2  seed of the clock steps between pieces (0 .. 3 s, sometimes 15 s)
 *   b3  upcalls: answered at once (even), or after the next piece (odd)
 * Invariants: consumed <= fed; responses within the output; every header
 * a well-formed status line ending in a blank line; bodies inside their
 * object; nothing answered after a close; a pending request always has a
 * deadline, and time always ends the connection.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_conn.h"
#include "http_range.h"
#include "http_target.h"

#define SEC 1000000ull
#define RX_CAP (96 * 1024)

static uint8_t obj_data[2][3000];
static struct stp_object objs[3];

/* Is some '/'-separated component of @a name "..", "." or empty? */
static bool non_canonical(const char *name)
{
	const char *p = name;

	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		if (p[n] == '\0')
			return false;
		p += n + 1;
	}
}

static const struct stp_object *lookup(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	/* the core hands out canonical names only: never a way up or out */
	assert(len > 0 && len < OBJ_NAME_MAX && name[len] == '\0' && strlen(name) == len);
	assert(!non_canonical(name));
	for (int i = 0; i < 3; i++)
		if (strlen(objs[i].name) == len && memcmp(objs[i].name, name, len) == 0)
			return &objs[i];
	return NULL;
}

static void init_objects(void)
{
	static const char *const names[3] = { "boot.ipxe", "dir/bzImage", "empty" };
	static const size_t lens[3] = { 1000, 3000, 0 };

	for (int i = 0; i < 3; i++) {
		strcpy(objs[i].name, names[i]);
		objs[i].data = obj_data[i < 2 ? i : 0];
		objs[i].len = lens[i];
		objs[i].mtime = 1600000000 + (uint64_t)i;
		snprintf(objs[i].etag, sizeof(objs[i].etag), "\"e%d\"", i);
	}
}

struct run {
	struct http_site site;
	struct http_counters ctr;
	struct http_conn c;
	struct http_conn_resp v[16];
	uint8_t obuf[4096];
	uint8_t upbuf[HTTP_HDR_MAX + 4096];
	uint8_t rx[RX_CAP];
	size_t rx_len;
	unsigned out_cap;
	size_t obuf_cap;
	uint64_t now;
	bool closed;
	bool late_upcall;
	struct http_resp pending;  /* upcall awaiting its answer */
	bool has_pending;
};

static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

static void check_header(const struct http_conn_resp *e, const struct run *r)
{
	const struct http_resp *p = &e->resp;
	const uint8_t *h = e->hdr.p;

	assert(h >= r->obuf && e->hdr.len <= sizeof(r->obuf) &&
	       (size_t)(h - r->obuf) <= sizeof(r->obuf) - e->hdr.len);
	assert(p->hdr_len >= 19 && p->hdr_len <= e->hdr.len);
	assert(memcmp(h, "HTTP/1.1 ", 9) == 0 && h[12] == ' ');
	assert(p->status >= 100 && p->status <= 599);
	assert((h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0') == p->status);
	assert(memcmp(h + p->hdr_len - 4, "\r\n\r\n", 4) == 0);
	/* no blank line before the end: the header is one section */
	for (size_t i = 0; i + 4 < p->hdr_len; i++)
		assert(memcmp(h + i, "\r\n\r\n", 4) != 0);
	if (p->body == HTTP_BODY_INLINE)
		assert(p->hdr_len + p->len == e->hdr.len);
	else
		assert(p->hdr_len == e->hdr.len);
}

static void check_resp(struct run *r, const struct http_conn_resp *e, const uint8_t *rx, size_t len)
{
	const struct http_resp *p = &e->resp;

	assert(!r->closed);
	if (p->upcall) {
		assert(e->hdr.len == 0 && e->target.len >= 4);
		assert(e->target.p >= rx && (size_t)(e->target.p - rx) + e->target.len <= len);
		assert(e->body.len == 0 || (e->body.p >= rx && (size_t)(e->body.p - rx) + e->body.len <= len));
		assert(!r->has_pending);
		r->pending = *p;
		r->has_pending = true;
		return;
	}
	check_header(e, r);
	if (p->body == HTTP_BODY_OBJ) {
		assert(p->obj == &objs[0] || p->obj == &objs[1] || p->obj == &objs[2]);
		assert(p->len > 0 && p->off < p->obj->len && p->len <= p->obj->len - p->off);
		assert(p->status == 200 || p->status == 206);
		assert(!p->head);
	}
	if (p->head || p->status == 304)
		assert(p->body == HTTP_BODY_NONE);
	if (p->close)
		r->closed = true;
}

static void answer_upcall(struct run *r)
{
	char json[4096];
	int n = http_counters_json(&r->ctr, json, sizeof(json));

	assert(n > 0);
	n = http_respond_upcall(&r->pending, &r->site, r->now / SEC, 200, "application/json",
				span_make(json, (size_t)n), r->upbuf, sizeof(r->upbuf));
	assert(n > 0 && (size_t)n == r->pending.hdr_len + (r->pending.head ? 0 : r->pending.len));
	r->has_pending = false;
	if (r->pending.close)
		r->closed = true;
	http_conn_upcall_done(&r->c, &r->pending, &r->site, r->now);
}

/* One call of the glue: an exact-size copy of rx, so ASan sees any read
 * past what was received. */
static void call(struct run *r)
{
	struct http_conn_out out = { r->v, r->out_cap, 0, r->obuf, r->obuf_cap, 0, false };
	uint8_t *copy = malloc(r->rx_len ? r->rx_len : 1);
	size_t used;

	assert(copy != NULL);
	memcpy(copy, r->rx, r->rx_len);
	used = http_conn_on_data(&r->c, span_make(copy, r->rx_len), r->now, &r->site, &out);
	assert(used <= r->rx_len);
	assert(out.n <= out.cap && out.buf_len <= out.buf_cap);
	for (unsigned i = 0; i < out.n; i++)
		check_resp(r, &r->v[i], copy, r->rx_len);
	free(copy);
	memmove(r->rx, r->rx + used, r->rx_len - used);
	r->rx_len -= used;
	if (r->has_pending && !r->late_upcall)
		answer_upcall(r);
	/* a partial request is always on a clock */
	if (r->rx_len > 0 && !r->c.close_after && !r->c.upcall_pending && !out.more)
		assert(http_conn_deadline(&r->c) != HTTP_NO_DEADLINE);
}

static void tick(struct run *r, uint64_t dt)
{
	struct http_conn_out out = { r->v, r->out_cap, 0, r->obuf, r->obuf_cap, 0, false };

	r->now += dt;
	if (r->closed || r->c.upcall_pending || r->now < http_conn_deadline(&r->c))
		return;
	assert(http_conn_on_timeout(&r->c, r->now, &r->site, &out));
	assert(out.n <= 1);
	for (unsigned i = 0; i < out.n; i++) {
		check_header(&r->v[i], r);
		assert(r->v[i].resp.status == 408 && r->v[i].resp.close);
	}
	r->closed = true;
}

static void setup(struct run *r, uint8_t b0, uint8_t b3)
{
	static const struct http_limits lims[4] = {
		HTTP_LIMITS_DEFAULT, { 256, 1024, 16, 512 }, { 24, 64, 2, 8 }, HTTP_LIMITS_DEFAULT,
	};
	static const uint32_t maxreq[4] = { 0, 1, 3, 8 };
	static const unsigned caps[4] = { 16, 1, 3, 16 };

	memset(r, 0, sizeof(*r));
	r->site = (struct http_site){
		.lookup = lookup, .server = "stampede/fuzz", .index = (b0 & 4) ? "boot.ipxe" : NULL,
		.keepalive = !(b0 & 8), .max_requests = maxreq[(b0 >> 4) & 3],
		.head_timeout_us = 10 * SEC, .idle_timeout_us = 30 * SEC,
		.lim = lims[b0 & 3], .ctr = &r->ctr,
	};
	r->out_cap = caps[b0 >> 6];
	r->obuf_cap = (b0 >> 6) == 3 ? 300 : sizeof(r->obuf);
	r->late_upcall = b3 & 1;
	r->now = 1700000000ull * SEC;
	http_conn_init(&r->c, &r->site, r->now);
}

/* The pure functions straight on the input. */
static void direct(const uint8_t *data, size_t size)
{
	static const struct http_limits lim = HTTP_LIMITS_DEFAULT;
	struct http_hdr hdrs[4];
	struct http_req req = { .hdrs = hdrs, .hdr_cap = 4 };
	char name[OBJ_NAME_MAX], val[32];
	uint64_t off, len;
	int rc;

	rc = http_parse_request(span_make(data, size), &lim, &req);
	assert(rc >= PARSE_FULL && (rc <= 0 || (size_t)rc <= size));
	if (rc > 0)
		assert(req.head_len + req.body.len == (size_t)rc && req.n_hdrs <= 4);
	if (rc == PARSE_ERR)
		assert(req.status >= 400 && req.status <= 505);
	rc = http_target_resolve(span_make(data, size), NULL, name, sizeof(name));
	if (rc > 0) {
		assert((size_t)rc == strlen(name) && !non_canonical(name));
	}
	rc = http_query_find(span_make(data, size), "mac", val, sizeof(val));
	assert(rc >= -ENAMETOOLONG && rc < (int)sizeof(val));
	for (uint64_t sz = 0; sz < 3; sz++)
		if (http_range_resolve(span_make(data, size), sz * 1000, &off, &len) == HTTP_RANGE_OK)
			assert(len > 0 && off < sz * 1000 && len <= sz * 1000 - off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	uint32_t ps, ts;
	size_t pos = 4;

	if (objs[0].data == NULL)
		init_objects();
	direct(data, size);
	if (size < 4)
		return 0;
	setup(&r, data[0], data[3]);
	ps = data[1];
	ts = data[2];
	while (pos < size && !r.closed) {
		size_t want = 1 + lcg(&ps) % (8u << (data[1] >> 6));
		size_t n = STP_MIN(STP_MIN(want, size - pos), RX_CAP - r.rx_len);
		uint32_t t = lcg(&ts);

		memcpy(r.rx + r.rx_len, data + pos, n);
		r.rx_len += n;
		pos += n;
		if (r.has_pending && r.late_upcall)
			answer_upcall(&r);
		call(&r);
		tick(&r, (t & 15) == 0 ? 15 * SEC : (t % 4) * SEC);
	}
	/* whatever happened, the output drains and time ends the connection */
	for (int i = 0; i < 64 && !r.closed; i++) {
		if (r.has_pending)
			answer_upcall(&r);
		call(&r);
		tick(&r, 20 * SEC);
	}
	assert(r.closed || r.c.upcall_pending);
	return 0;
}
