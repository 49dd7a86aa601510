/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_resp.c
 * Response decisions and header bytes. See http_resp.h.
 */
#include <errno.h>
#include <string.h>

#include "http_range.h"
#include "http_resp.h"
#include "http_target.h"

#define CT_TEXT "text/plain; charset=utf-8"
#define CT_BINARY "application/octet-stream"

/** A bounded output buffer: writes past the end set @a over instead. */
struct wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool over;
};

/** What goes into one header section. */
struct head_info {
	uint16_t status;
	bool close;
	bool keepalive_explicit;   /* HTTP/1.0 keep-alive must be said */
	bool has_length;
	bool allow;                /* 405: Allow: GET, HEAD */
	bool accept_ranges;
	uint8_t content_range;     /* 0 none, 1 "a-b/size", 2 "* /size" */
	uint32_t retry_after;      /* seconds, 0: no Retry-After */
	const char *ctype;
	uint64_t length;
	const struct stp_object *obj;  /* ETag and Last-Modified, or NULL */
	uint64_t cr_first, cr_last, cr_size;
};

static void put(struct wbuf *w, const void *s, size_t n)
{
	if (w->over || w->cap - w->len < n) {
		w->over = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void put_str(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(w, tmp + sizeof(tmp) - n, n);
}

static void put_hdr(struct wbuf *w, const char *name, const char *value)
{
	put_str(w, name);
	put(w, ": ", 2);
	put_str(w, value);
	put(w, "\r\n", 2);
}

static const char *const wdays[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static void two(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10 % 10);
	o[1] = (char)('0' + v % 10);
}

size_t http_date(uint64_t unix_s, char out[HTTP_DATE_LEN + 1])
{
	/* 9999-12-31T23:59:59Z: a four-digit year is all the format holds */
	uint64_t t = unix_s > 253402300799ull ? 253402300799ull : unix_s;
	uint64_t days = t / 86400, secs = t % 86400;
	/* civil date from days since 1970-01-01, in 400-year eras counted
	 * from 0000-03-01 so leap days fall at the end of each year */
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	uint64_t m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);

	memcpy(out, wdays[(days + 4) % 7], 3);   /* 1970-01-01 was a Thursday */
	memcpy(out + 3, ", ", 2);
	two(out + 5, (unsigned)d);
	out[7] = ' ';
	memcpy(out + 8, months[m - 1], 3);
	out[11] = ' ';
	two(out + 12, (unsigned)(y / 100));
	two(out + 14, (unsigned)(y % 100));
	out[16] = ' ';
	two(out + 17, (unsigned)(secs / 3600));
	out[19] = ':';
	two(out + 20, (unsigned)(secs / 60 % 60));
	out[22] = ':';
	two(out + 23, (unsigned)(secs % 60));
	memcpy(out + 25, " GMT", 5);
	return HTTP_DATE_LEN;
}

static const struct { const char *ext; const char *type; } ctypes[] = {
	{ "ipxe", CT_TEXT }, { "txt", CT_TEXT }, { "cfg", CT_TEXT }, { "sh", CT_TEXT },
	{ "conf", CT_TEXT }, { "json", "application/json" },
	{ "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
};

const char *http_content_type(const char *name, size_t len)
{
	size_t i = len, dot = len;

	while (i > 0 && name[i - 1] != '/') {
		if (name[i - 1] == '.' && dot == len)
			dot = i - 1;
		i--;
	}
	/* no extension ("bzImage"), or a dot-file: bytes */
	if (dot == len || dot == i)
		return CT_BINARY;
	for (size_t k = 0; k < STP_ARRAY_SIZE(ctypes); k++)
		if (http_span_ieq(span_make(name + dot + 1, len - dot - 1), ctypes[k].ext))
			return ctypes[k].type;
	return CT_BINARY;   /* .efi .kpxe .pxe .0 .bin .xz .img and the rest */
}

bool http_etag_match(struct span inm, const char *etag)
{
	struct span mine = span_cstr(etag);
	size_t i = 0;

	if (http_span_ieq(inm, "*"))
		return true;
	if (mine.len >= 2 && mine.p[0] == 'W' && mine.p[1] == '/')
		mine = span_make(mine.p + 2, mine.len - 2);
	while (i < inm.len) {
		const uint8_t *q;

		if (inm.p[i] == ',' || inm.p[i] == ' ' || inm.p[i] == '\t') {
			i++;
			continue;
		}
		if (inm.len - i >= 2 && inm.p[i] == 'W' && inm.p[i + 1] == '/')
			i += 2;             /* weak comparison: W/ does not matter */
		if (i >= inm.len || inm.p[i] != '"')
			return false;       /* malformed list: no match, full answer */
		q = memchr(inm.p + i + 1, '"', inm.len - i - 1);
		if (q == NULL)
			return false;
		if (mine.len > 0 && span_eq(span_make(inm.p + i, (size_t)(q - inm.p) - i + 1), mine))
			return true;
		i = (size_t)(q - inm.p) + 1;
	}
	return false;
}

/** RFC 9112 sec 9.3: persistence by version and Connection tokens. */
static bool wants_close(const struct http_req *req, const struct http_site *site, bool last)
{
	if (last || !site->keepalive || (req->conn_tokens & HTTP_CONN_TOK_CLOSE))
		return true;
	return req->minor == 0 && !(req->conn_tokens & HTTP_CONN_TOK_KEEPALIVE);
}

static void write_head(struct wbuf *w, const struct http_site *site, uint64_t now,
		       const struct head_info *h)
{
	char date[HTTP_DATE_LEN + 1];

	put_str(w, "HTTP/1.1 ");
	put_u64(w, h->status);
	put(w, " ", 1);
	put_str(w, http_reason(h->status));
	put(w, "\r\n", 2);
	http_date(now, date);
	put_hdr(w, "Date", date);
	if (site->server != NULL)
		put_hdr(w, "Server", site->server);
	if (h->ctype != NULL)
		put_hdr(w, "Content-Type", h->ctype);
	if (h->has_length) {
		put_str(w, "Content-Length: ");
		put_u64(w, h->length);
		put(w, "\r\n", 2);
	}
	if (h->obj != NULL && h->obj->mtime != 0) {
		http_date(h->obj->mtime, date);
		put_hdr(w, "Last-Modified", date);
	}
	if (h->obj != NULL && h->obj->etag[0] != '\0')
		put_hdr(w, "ETag", h->obj->etag);
	if (h->accept_ranges)
		put_hdr(w, "Accept-Ranges", "bytes");
	if (h->content_range != 0) {
		put_str(w, "Content-Range: bytes ");
		if (h->content_range == 1) {
			put_u64(w, h->cr_first);
			put(w, "-", 1);
			put_u64(w, h->cr_last);
		} else {
			put(w, "*", 1);
		}
		put(w, "/", 1);
		put_u64(w, h->cr_size);
		put(w, "\r\n", 2);
	}
	if (h->allow)
		put_hdr(w, "Allow", "GET, HEAD");
	if (h->retry_after != 0) {
		put_str(w, "Retry-After: ");
		put_u64(w, h->retry_after);
		put(w, "\r\n", 2);
	}
	if (h->close)
		put_hdr(w, "Connection", "close");
	else if (h->keepalive_explicit)
		put_hdr(w, "Connection", "keep-alive");
	put(w, "\r\n", 2);
}

/** Head plus "<status> <reason>\n" body; the body is left out for HEAD. */
static int finish_error(struct wbuf *w, const struct http_site *site, uint64_t now,
			struct head_info *h, struct http_resp *resp)
{
	const char *reason = http_reason(h->status);
	size_t blen = 3 + 1 + strlen(reason) + 1;

	h->ctype = CT_TEXT;
	h->has_length = true;
	h->length = blen;
	write_head(w, site, now, h);
	resp->hdr_len = w->len;
	resp->status = h->status;
	if (!resp->head) {
		put_u64(w, h->status);
		put(w, " ", 1);
		put_str(w, reason);
		put(w, "\n", 1);
		resp->body = HTTP_BODY_INLINE;
		resp->len = blen;
	}
	return w->over ? -ENOSPC : (int)w->len;
}

int http_respond_error(uint16_t status, bool close, bool head, const struct http_site *site,
		       uint64_t now, struct http_resp *resp, uint8_t *buf, size_t cap)
{
	struct wbuf w = { buf, cap, 0, false };
	struct head_info h = { .status = status, .close = close, .allow = status == 405 };

	memset(resp, 0, sizeof(*resp));
	resp->close = close;
	resp->head = head;
	resp->method = head ? HTTP_M_HEAD : HTTP_M_GET;
	return finish_error(&w, site, now, &h, resp);
}

/** 200, 206, 304 or 416 for an object that exists (RFC 9110 sec 13, 14). */
static int respond_object(const struct http_req *req, const struct stp_object *obj,
			  const struct http_site *site, uint64_t now, struct wbuf *w,
			  struct head_info *h, struct http_resp *resp)
{
	enum http_range_rc rr = HTTP_RANGE_NONE;
	uint64_t off = 0, len = obj->len;

	h->obj = obj;
	h->accept_ranges = true;
	/* sec 13.2.2: If-None-Match is evaluated before Range */
	if (req->if_none_match.p != NULL && http_etag_match(req->if_none_match, obj->etag)) {
		h->status = 304;
		h->accept_ranges = false;
		write_head(w, site, now, h);
		resp->status = 304;
		resp->hdr_len = w->len;
		return w->over ? -ENOSPC : (int)w->len;
	}
	/* sec 14.2: range handling is defined for GET only */
	if (req->range.p != NULL && req->method == HTTP_M_GET)
		rr = http_range_resolve(req->range, obj->len, &off, &len);
	if (rr == HTTP_RANGE_UNSAT) {
		h->status = 416;
		h->obj = NULL;
		h->content_range = 2;
		h->cr_size = obj->len;
		return finish_error(w, site, now, h, resp);
	}
	h->status = rr == HTTP_RANGE_OK ? 206 : 200;
	if (rr == HTTP_RANGE_OK) {
		h->content_range = 1;
		h->cr_first = off;
		h->cr_last = off + len - 1;
		h->cr_size = obj->len;
	}
	h->ctype = http_content_type(obj->name, strnlen(obj->name, sizeof(obj->name)));
	h->has_length = true;
	h->length = len;
	write_head(w, site, now, h);
	resp->status = h->status;
	resp->hdr_len = w->len;
	/* HEAD names its object too: admission sizes it (http_conn). */
	resp->obj = obj;
	if (!resp->head && len > 0) {
		resp->body = HTTP_BODY_OBJ;
		resp->off = off;
		resp->len = len;
	}
	return w->over ? -ENOSPC : (int)w->len;
}

/** The name is the API's: "api" itself or below "api/". */
static bool is_api(const char *name, int len)
{
	return (len == 3 || (len > 3 && name[3] == '/')) && memcmp(name, "api", 3) == 0;
}

int http_respond(const struct http_req *req, const struct http_site *site, bool last,
		 uint64_t now, struct http_resp *resp, uint8_t *hdr, size_t hdr_cap)
{
	struct wbuf w = { hdr, hdr_cap, 0, false };
	struct head_info h = { 0 };
	char name[OBJ_NAME_MAX];
	const struct stp_object *obj = NULL;
	int rc;

	memset(resp, 0, sizeof(*resp));
	resp->method = req->method;
	resp->head = req->method == HTTP_M_HEAD;
	resp->close = h.close = wants_close(req, site, last);
	resp->keepalive_explicit = h.keepalive_explicit = req->minor == 0;
	rc = http_target_resolve(req->target, site->index, name, sizeof(name));
	if (rc > 0 && is_api(name, rc)) {
		resp->upcall = true;
		return 0;
	}
	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD) {
		h.status = 405;
		h.allow = true;
		return finish_error(&w, site, now, &h, resp);
	}
	resp->note = rc == -EINVAL ? HTTP_NOTE_BAD_ESCAPE : rc == -EACCES ? HTTP_NOTE_TRAVERSAL
									   : HTTP_NOTE_NONE;
	if (rc == -EINVAL) {
		h.status = 400;
		return finish_error(&w, site, now, &h, resp);
	}
	if (rc > 0)
		obj = site->lookup(site->lookup_ctx, name, (size_t)rc);
	if (obj == NULL) {
		if (resp->note == HTTP_NOTE_NONE)
			resp->note = HTTP_NOTE_NOT_FOUND;
		h.status = 404;
		return finish_error(&w, site, now, &h, resp);
	}
	return respond_object(req, obj, site, now, &w, &h, resp);
}

int http_respond_upcall(struct http_resp *resp, const struct http_site *site, uint64_t now,
			uint16_t status, const char *content_type, struct span body,
			uint8_t *buf, size_t cap)
{
	struct wbuf w = { buf, cap, 0, false };
	struct head_info h = { 0 };

	if (status < 200 || status > 599)
		status = 502;           /* control broke the contract */
	if (status == 204 || status == 304 || body.len > HTTP_UPCALL_BODY_MAX)
		body.len = status == 204 || status == 304 ? 0 : HTTP_UPCALL_BODY_MAX;
	h.status = status;
	h.close = resp->close;
	h.keepalive_explicit = !resp->close && resp->keepalive_explicit;
	h.ctype = content_type != NULL ? content_type : CT_TEXT;
	h.has_length = status != 204 && status != 304;
	h.length = body.len;
	if (!h.has_length)
		h.ctype = NULL;
	write_head(&w, site, now, &h);
	resp->status = status;
	resp->upcall = false;
	resp->hdr_len = w.len;
	resp->body = HTTP_BODY_NONE;
	resp->len = 0;
	if (!resp->head && body.len > 0) {
		put(&w, body.p, body.len);
		resp->body = HTTP_BODY_INLINE;
		resp->len = body.len;
	}
	if (w.over)
		return -ENOSPC;
	if (site->ctr != NULL)
		site->ctr->upcall_answers++;
	http_counters_resp(site->ctr, status, resp->len);
	return (int)w.len;
}

int http_respond_busy(struct http_resp *resp, const struct http_site *site, uint64_t now,
		      uint32_t retry_after, uint8_t *buf, size_t cap)
{
	struct wbuf w = { buf, cap, 0, false };
	struct head_info h = { .status = 503, .close = resp->close,
			       .keepalive_explicit = !resp->close && resp->keepalive_explicit,
			       .retry_after = retry_after ? retry_after : 1 };

	resp->obj = NULL;
	resp->body = HTTP_BODY_NONE;
	resp->off = resp->len = 0;
	resp->note = HTTP_NOTE_NONE;
	return finish_error(&w, site, now, &h, resp);
}

int http_respond_continue(uint8_t *buf, size_t cap)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	if (cap < sizeof(cont) - 1)
		return -ENOSPC;
	memcpy(buf, cont, sizeof(cont) - 1);
	return (int)(sizeof(cont) - 1);
}
