/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_parse.c
 * HTTP/1.x request heads (RFC 9112 sec 2-6), line by line over a pointer
 * range. See http_parse.h for the contract and the choices made.
 */
#include <string.h>

#include "http_parse.h"
#include "http_target.h"

/** Outcome of looking for the end of one line. */
enum line_rc { LINE_OK, LINE_AGAIN, LINE_LONG, LINE_BARE_CR };

/** One line of the head: [start, start + len) without its CRLF / LF. */
struct line {
	size_t start;
	size_t len;
	size_t next;               /* offset of the byte after the LF */
};

static const char *const method_names[HTTP_M_N] = {
#define X(name, text) text,
	HTTP_METHODS(X)
#undef X
};

static const char *const perr_names[HTTP_PERR_N] = {
#define X(name, status, help) #name,
	HTTP_PARSE_ERRORS(X)
#undef X
};

static const uint16_t perr_status[HTTP_PERR_N] = {
#define X(name, status, help) status,
	HTTP_PARSE_ERRORS(X)
#undef X
};

const char *http_method_str(enum http_method m)
{
	return (unsigned)m < HTTP_M_N ? method_names[m] : "?";
}

const char *http_perr_str(enum http_perr e)
{
	return (unsigned)e < HTTP_PERR_N ? perr_names[e] : "?";
}

uint16_t http_perr_status(enum http_perr e)
{
	return (unsigned)e < HTTP_PERR_N ? perr_status[e] : 400;
}

/** RFC 9110 sec 5.6.2 tchar. */
static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/** RFC 9110 sec 5.5 field-vchar, SP or HTAB (obs-text allowed). */
static bool is_value_byte(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

bool http_span_ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lower((uint8_t)lit[i]))
			return false;
	return true;
}

static struct span trim_ows(struct span s)
{
	while (s.len > 0 && is_ows(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_ows(s.p[s.len - 1]))
		s.len--;
	return s;
}

/**
 * Find the end of the line starting at @a pos. The line and its ending
 * must lie within the first @a max bytes of @a in. Scans in order, so a
 * prefix of the input stops at the same byte the whole would, or earlier
 * with LINE_AGAIN.
 */
static enum line_rc find_line(struct span in, size_t pos, size_t max, struct line *l)
{
	size_t end = STP_MIN(in.len, max);

	for (size_t i = pos; i < end; i++) {
		if (in.p[i] == '\n') {
			l->start = pos;
			l->len = i - pos;
			l->next = i + 1;
			return LINE_OK;
		}
		if (in.p[i] != '\r')
			continue;
		if (i + 1 == in.len)
			return LINE_AGAIN;  /* the LF may be on its way */
		if (in.p[i + 1] != '\n')
			return LINE_BARE_CR;
		l->start = pos;
		l->len = i - pos;
		l->next = i + 2;
		if (l->next > max)
			return LINE_LONG;
		return LINE_OK;
	}
	return in.len >= max ? LINE_LONG : LINE_AGAIN;
}

static int fail(struct http_req *req, enum http_perr e)
{
	req->perr = (uint8_t)e;
	req->status = perr_status[e];
	return PARSE_ERR;
}

static enum http_method method_lookup(struct span m)
{
	for (unsigned i = 0; i < HTTP_M_OTHER; i++)
		if (span_eq(m, span_cstr(method_names[i])))
			return (enum http_method)i;
	return HTTP_M_OTHER;
}

/** Target bytes allowed by RFC 3986 (visible ASCII), and the forms we take. */
static bool target_ok(struct span t, enum http_method m)
{
	if (t.len == 0)
		return false;
	for (size_t i = 0; i < t.len; i++)
		if (t.p[i] <= 0x20 || t.p[i] >= 0x7f)
			return false;
	if (t.p[0] == '/')
		return true;                /* origin-form, sec 3.2.1 */
	if (t.len == 1 && t.p[0] == '*')
		return m == HTTP_M_OPTIONS; /* asterisk-form, sec 3.2.4 */
	return http_span_ieq(span_make(t.p, STP_MIN(t.len, 7)), "http://") ||
	       http_span_ieq(span_make(t.p, STP_MIN(t.len, 8)), "https://");
}

/** "HTTP/" DIGIT "." DIGIT, sec 2.3. @return a perr (NONE when served). */
static enum http_perr version_parse(struct span v, uint8_t *minor)
{
	if (v.len != 8 || memcmp(v.p, "HTTP/", 5) != 0 || v.p[6] != '.' ||
	    v.p[5] < '0' || v.p[5] > '9' || v.p[7] < '0' || v.p[7] > '9')
		return HTTP_PERR_VERSION;
	if (v.p[5] != '1')
		return HTTP_PERR_VERSION_UNSUPPORTED;
	*minor = v.p[7] == '0' ? 0 : 1;   /* RFC 9110 sec 2.5: 1.x is 1.1 */
	return HTTP_PERR_NONE;
}

/** method SP request-target SP HTTP-version (sec 3), one space each. */
static int parse_request_line(struct span line, struct http_req *req)
{
	const uint8_t *sp1, *sp2;
	enum http_perr e;
	size_t mlen;

	sp1 = memchr(line.p, ' ', line.len);
	if (sp1 == NULL || sp1 == line.p)
		return fail(req, HTTP_PERR_METHOD);
	mlen = (size_t)(sp1 - line.p);
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar(line.p[i]))
			return fail(req, HTTP_PERR_METHOD);
	req->method_str = span_make(line.p, mlen);
	req->method = (uint8_t)(mlen <= HTTP_METHOD_MAX ? method_lookup(req->method_str)
							: HTTP_M_OTHER);
	sp2 = memchr(sp1 + 1, ' ', line.len - mlen - 1);
	if (sp2 == NULL)
		return fail(req, HTTP_PERR_VERSION);   /* HTTP/0.9 is not served */
	req->target = span_make(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	if (!target_ok(req->target, (enum http_method)req->method))
		return fail(req, HTTP_PERR_TARGET);
	e = version_parse(span_make(sp2 + 1, line.len - (size_t)(sp2 + 1 - line.p)), &req->minor);
	if (e != HTTP_PERR_NONE)
		return fail(req, e);
	if (req->method == HTTP_M_OTHER)
		return fail(req, HTTP_PERR_METHOD_UNKNOWN);
	return 1;
}

/** 1#DIGIT list whose elements all agree (RFC 9110 sec 8.6), saturating. */
static bool length_parse(struct span v, uint64_t *out)
{
	bool have = false;
	uint64_t first = 0;
	size_t i = 0;

	while (i <= v.len) {
		size_t start = i;
		uint64_t n = 0;

		while (i < v.len && v.p[i] != ',')
			i++;
		struct span el = trim_ows(span_make(v.p + start, i - start));

		if (el.len == 0)
			return false;
		for (size_t k = 0; k < el.len; k++) {
			if (el.p[k] < '0' || el.p[k] > '9')
				return false;
			n = n > (UINT64_MAX - 9) / 10 ? UINT64_MAX : n * 10 + (el.p[k] - '0');
		}
		if (have && n != first)
			return false;
		first = n;
		have = true;
		i++;                        /* past the ',' or the end */
	}
	*out = first;
	return have;
}

/** Connection: 1#token (RFC 9112 sec 9.3); only two tokens matter here. */
static uint8_t connection_tokens(struct span v)
{
	uint8_t t = 0;
	size_t i = 0;

	while (i < v.len) {
		size_t start = i;

		while (i < v.len && v.p[i] != ',')
			i++;
		struct span tok = trim_ows(span_make(v.p + start, i - start));

		if (http_span_ieq(tok, "close"))
			t |= HTTP_CONN_TOK_CLOSE;
		else if (http_span_ieq(tok, "keep-alive"))
			t |= HTTP_CONN_TOK_KEEPALIVE;
		i++;
	}
	return t;
}

/** Fields whose meaning the server uses, recorded as they arrive. */
static int note_field(struct http_req *req, const struct http_hdr *h, bool *te)
{
	uint64_t n;

	if (http_span_ieq(h->name, "host")) {
		if (req->host.p != NULL)
			return fail(req, HTTP_PERR_DUP_HOST);
		req->host = h->value;
	} else if (http_span_ieq(h->name, "content-length")) {
		if (!length_parse(h->value, &n))
			return fail(req, HTTP_PERR_BAD_LENGTH);
		if (req->has_length && n != req->content_length)
			return fail(req, HTTP_PERR_DUP_LENGTH);
		req->has_length = true;
		req->content_length = n;
	} else if (http_span_ieq(h->name, "transfer-encoding")) {
		*te = true;
	} else if (http_span_ieq(h->name, "connection")) {
		req->conn_tokens |= connection_tokens(h->value);
	} else if (http_span_ieq(h->name, "if-none-match")) {
		if (req->if_none_match.p == NULL)
			req->if_none_match = h->value;
	} else if (http_span_ieq(h->name, "range")) {
		if (req->range.p == NULL)
			req->range = h->value;
	} else if (http_span_ieq(h->name, "expect")) {
		req->expect_continue = http_span_ieq(h->value, "100-continue");
	}
	return 1;
}

/** name ":" OWS value OWS (sec 5), stored in req->hdrs. */
static int parse_field_line(struct span line, const struct http_limits *lim,
			    struct http_req *req, bool *te)
{
	struct http_hdr *h;
	size_t i = 0;

	if (is_ows(line.p[0]))
		return fail(req, HTTP_PERR_OBS_FOLD);   /* sec 5.2 */
	while (i < line.len && is_tchar(line.p[i]))
		i++;
	if (i == 0 || i == line.len || line.p[i] != ':')
		return fail(req, HTTP_PERR_FIELD_NAME); /* sec 5.1: no space before ':' */
	for (size_t k = i + 1; k < line.len; k++)
		if (!is_value_byte(line.p[k]))
			return fail(req, HTTP_PERR_CTL);
	if (req->n_hdrs >= lim->hdr_max)
		return fail(req, HTTP_PERR_TOO_MANY_FIELDS);
	if (req->n_hdrs >= req->hdr_cap)
		return PARSE_FULL;
	h = &req->hdrs[req->n_hdrs++];
	h->name = span_make(line.p, i);
	h->value = trim_ows(span_make(line.p + i + 1, line.len - i - 1));
	return note_field(req, h, te);
}

/** Checks that need the whole head: Host, framing, who may send a body. */
static int finish_head(const struct http_limits *lim, struct http_req *req, bool te)
{
	struct span path, query;
	bool api;

	if (req->minor == 1 && req->host.p == NULL)
		return fail(req, HTTP_PERR_NO_HOST);
	if (te)
		return fail(req, req->has_length ? HTTP_PERR_TE_AND_LENGTH : HTTP_PERR_TE);
	if (!req->has_length || req->content_length == 0)
		return 1;
	http_target_split(req->target, &path, &query);
	api = span_starts_with(path, "/api/");
	/* A file takes GET and HEAD only: any other method is 405 whether or
	 * not it carries a body (RFC 9110 sec 15.5.6); a GET with a body is 413. */
	if (!api && req->method != HTTP_M_GET && req->method != HTTP_M_HEAD)
		return fail(req, HTTP_PERR_METHOD_ON_FILE);
	if (!api || (req->method != HTTP_M_POST && req->method != HTTP_M_PUT))
		return fail(req, HTTP_PERR_BODY_NOT_ALLOWED);
	/* the INT32 bound keeps head + body representable in the return */
	if (req->content_length > lim->body_max || req->content_length > INT32_MAX / 2)
		return fail(req, HTTP_PERR_BODY_TOO_LARGE);
	return 1;
}

static void req_reset(struct http_req *req)
{
	struct http_hdr *hdrs = req->hdrs;
	uint32_t cap = req->hdr_cap;

	memset(req, 0, sizeof(*req));
	req->hdrs = hdrs;
	req->hdr_cap = cap;
}

/** Skip the empty lines sec 2.2 lets a client send before a request. */
static int skip_empty_lines(struct span in, size_t *pos)
{
	for (unsigned n = 0; n < HTTP_MAX_EMPTY_LINES; n++) {
		if (*pos < in.len && in.p[*pos] == '\n') {
			*pos += 1;
		} else if (*pos < in.len && in.p[*pos] == '\r') {
			if (*pos + 1 == in.len)
				return PARSE_AGAIN;
			if (in.p[*pos + 1] != '\n')
				return PARSE_ERR;
			*pos += 2;
		} else {
			break;
		}
	}
	return 1;
}

int http_parse_request(struct span in, const struct http_limits *lim, struct http_req *req)
{
	size_t pos = 0, head_end;
	struct line l;
	bool te = false;
	int rc;

	req_reset(req);
	rc = skip_empty_lines(in, &pos);
	if (rc != 1)
		return rc == PARSE_ERR ? fail(req, HTTP_PERR_BARE_CR) : rc;
	switch (find_line(in, pos, pos + lim->line_max, &l)) {
	case LINE_AGAIN:
		return PARSE_AGAIN;
	case LINE_LONG:
		return fail(req, HTTP_PERR_URI_TOO_LONG);
	case LINE_BARE_CR:
		return fail(req, HTTP_PERR_BARE_CR);
	case LINE_OK:
		break;
	}
	rc = parse_request_line(span_make(in.p + l.start, l.len), req);
	if (rc != 1)
		return rc;
	head_end = pos + lim->head_max;
	for (;;) {
		switch (find_line(in, l.next, head_end, &l)) {
		case LINE_AGAIN:
			return PARSE_AGAIN;
		case LINE_LONG:
			return fail(req, HTTP_PERR_HEAD_TOO_LARGE);
		case LINE_BARE_CR:
			return fail(req, HTTP_PERR_BARE_CR);
		case LINE_OK:
			break;
		}
		if (l.len == 0)
			break;
		rc = parse_field_line(span_make(in.p + l.start, l.len), lim, req, &te);
		if (rc != 1)
			return rc;
	}
	req->head_len = l.next;
	rc = finish_head(lim, req, te);
	if (rc != 1)
		return rc;
	if (in.len - l.next < req->content_length)
		return PARSE_AGAIN;
	req->body = span_make(in.p + l.next, (size_t)req->content_length);
	return (int)(l.next + req->content_length);
}

struct span http_req_header(const struct http_req *req, const char *name)
{
	for (uint32_t i = 0; i < req->n_hdrs; i++)
		if (http_span_ieq(req->hdrs[i].name, name))
			return req->hdrs[i].value;
	return span_make(NULL, 0);
}
