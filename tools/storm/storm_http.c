/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_http.c
 * The client HTTP/1.1 of stampede-storm (see storm_http.h): the request
 * builder, and the response reader -- lines of the head decoded as they
 * complete, the body counted, kept, hashed and checked against the ETag.
 */
#include "storm_http.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"

/* shttp.flags */
#define SHTTP_F_HEAD_REQ 0x01     /* the request was HEAD */
#define SHTTP_F_HTTP10 0x02       /* the response is HTTP/1.0 */
#define SHTTP_F_CHUNKED 0x04      /* Transfer-Encoding: chunked */
#define SHTTP_F_CONN_CLOSE 0x08   /* Connection: close */
#define SHTTP_F_CONN_KA 0x10      /* Connection: keep-alive */
#define SHTTP_F_UNTIL_CLOSE 0x20  /* the body ends with the connection */
#define SHTTP_F_VERIFY 0x40       /* the body is hashed against the ETag */
#define SHTTP_F_LAST_CR 0x80      /* the last byte of the current line was CR */

#define STATUS_PREFIX "HTTP/1."
#define ETAG_HASH_DIGITS 16u

static const char *const state_names[SHTTP_S_N] = {
#define X(name) #name,
	SHTTP_STATES(X)
#undef X
};

static const char *const cause_texts[SHTTP_C_N] = {
#define X(name, text) text,
	SHTTP_CAUSES(X)
#undef X
};

const char *shttp_cause_str(int cause)
{
	return cause >= 0 && cause < SHTTP_C_N ? cause_texts[cause] : "?";
}

const char *shttp_state_name(int state)
{
	return state >= 0 && state < SHTTP_S_N ? state_names[state] : "?";
}

/* ---- characters (RFC 9110 sec 5.6.2) ---- */

static inline bool is_tchar(uint8_t ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static inline bool is_ows(uint8_t ch)
{
	return ch == ' ' || ch == '\t';
}

static inline int hex_val(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool ieq(const char *p, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = p[i], b = lit[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

/* ---- state ---- */

/** The only place r->state changes (docs/style.md rule 9). */
static void set_state(struct shttp *r, enum shttp_state st)
{
	r->state = (uint8_t)st;
	r->line_len = 0;
	r->line_total = 0;
	r->flags &= (uint8_t)~SHTTP_F_LAST_CR;
}

static int failed(struct shttp *r, enum shttp_cause why)
{
	r->cause = (uint8_t)why;
	set_state(r, SHTTP_S_FAILED);
	return PARSE_ERR;
}

/** Forget one head (after an interim 1xx response), keep the request's settings. */
static void head_reset(struct shttp *r)
{
	r->flags &= SHTTP_F_HEAD_REQ;
	r->etag_kind = SHTTP_ETAG_NONE;
	r->n_lines = 0;
	r->status = 0;
	r->has_length = false;
	r->retry_after = -1;
	r->content_length = 0;
}

void shttp_begin(struct shttp *r, bool head_req, uint8_t *keep, uint32_t keep_cap)
{
	memset(r, 0, sizeof(*r));
	head_reset(r);
	if (head_req)
		r->flags |= SHTTP_F_HEAD_REQ;
	r->keep = keep;
	r->keep_cap = keep ? keep_cap : 0;
	set_state(r, SHTTP_S_STATUS);
}

void shttp_rekeep(struct shttp *r, uint8_t *keep, uint32_t keep_cap)
{
	r->keep = keep;
	r->keep_cap = keep ? keep_cap : 0;
	r->kept = 0;
}

bool shttp_keep_alive(const struct shttp *r)
{
	if (r->state != SHTTP_S_DONE || (r->flags & (SHTTP_F_CONN_CLOSE | SHTTP_F_UNTIL_CLOSE)))
		return false;
	return !(r->flags & SHTTP_F_HTTP10) || (r->flags & SHTTP_F_CONN_KA);
}

/* ---- lines ---- */

/**
 * Take bytes of the current line up to and including its LF. The first
 * SHTTP_LINE_MAX bytes are kept in r->line, the rest only counted
 * (r->line_total). At the LF a final CR is dropped (a bare LF also ends a
 * line, RFC 9112 sec 2.2).
 * @return true when the line is complete; *used gets the bytes taken
 */
static bool take_line(struct shttp *r, const uint8_t *p, size_t n, size_t *used)
{
	const uint8_t *lf = memchr(p, '\n', n);
	size_t take = lf ? (size_t)(lf - p) : n;
	size_t room = SHTTP_LINE_MAX - r->line_len;

	memcpy(r->line + r->line_len, p, STP_MIN(take, room));
	r->line_len = (uint16_t)(r->line_len + STP_MIN(take, room));
	if (take) {
		r->flags &= (uint8_t)~SHTTP_F_LAST_CR;
		if (p[take - 1] == '\r')
			r->flags |= SHTTP_F_LAST_CR;
	}
	r->line_total = (uint32_t)STP_MIN((uint64_t)r->line_total + take, UINT32_MAX);
	*used = take + (lf ? 1 : 0);
	if (!lf)
		return false;
	/* The CR was kept if the whole line fitted. */
	if ((r->flags & SHTTP_F_LAST_CR) && r->line_total <= SHTTP_LINE_MAX)
		r->line_len--;
	return true;
}

/** Bytes of the line beyond what was kept (a long value, a long reason). */
static inline bool line_cut(const struct shttp *r)
{
	return r->line_total - ((r->flags & SHTTP_F_LAST_CR) ? 1u : 0u) > r->line_len;
}

/* ---- the head ---- */

/** Status line (RFC 9112 sec 4): HTTP/1.x SP 3DIGIT [SP reason]. */
static int on_status_line(struct shttp *r)
{
	const char *l = r->line;
	size_t len = r->line_len;

	if (len == 0 && !line_cut(r))
		return 0;       /* an empty line before the status line: skipped */
	if (len < 12 || memcmp(l, STATUS_PREFIX, 7) != 0 || l[7] < '0' || l[7] > '9' ||
	    l[8] != ' ' || l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' ||
	    l[11] < '0' || l[11] > '9' || (len > 12 && l[12] != ' '))
		return failed(r, SHTTP_C_BAD_STATUS);
	r->status = (uint16_t)((l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0'));
	if (l[7] == '0')
		r->flags |= SHTTP_F_HTTP10;
	set_state(r, SHTTP_S_HEADERS);
	return 0;
}

/** Content-Length (RFC 9110 sec 8.6): digits; a repeat must agree. */
static int on_length(struct shttp *r, const char *v, size_t n, bool cut)
{
	uint64_t x = 0;

	if (cut || n == 0 || n > 19)
		return failed(r, SHTTP_C_BAD_LENGTH);
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return failed(r, SHTTP_C_BAD_LENGTH);
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (r->has_length && r->content_length != x)
		return failed(r, SHTTP_C_BAD_LENGTH);
	r->has_length = true;
	r->content_length = x;
	return 0;
}

/** ETag: stampede's "<16 hex>-<hex length>" (strong), or any other. */
static void on_etag(struct shttp *r, const char *v, size_t n, bool cut)
{
	uint64_t h = 0, len = 0;
	size_t i;

	r->etag_kind = SHTTP_ETAG_OTHER;
	if (cut || n < ETAG_HASH_DIGITS + 4 || n > ETAG_HASH_DIGITS + 20 || v[0] != '"' ||
	    v[n - 1] != '"' || v[1 + ETAG_HASH_DIGITS] != '-')
		return;
	for (i = 1; i <= ETAG_HASH_DIGITS; i++) {
		int d = hex_val((uint8_t)v[i]);

		if (d < 0)
			return;
		h = h << 4 | (uint64_t)d;
	}
	for (i = ETAG_HASH_DIGITS + 2; i < n - 1; i++) {
		int d = hex_val((uint8_t)v[i]);

		if (d < 0)
			return;
		len = len << 4 | (uint64_t)d;
	}
	r->etag_kind = SHTTP_ETAG_STAMPEDE;
	r->etag_hash = h;
	r->etag_len = len;
}

/** Connection (RFC 9110 sec 7.6.1): a comma list of tokens. */
static void on_connection(struct shttp *r, const char *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (is_ows((uint8_t)v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && is_ows((uint8_t)v[e - 1]))
			e--;
		if (ieq(v + s, e - s, "close"))
			r->flags |= SHTTP_F_CONN_CLOSE;
		else if (ieq(v + s, e - s, "keep-alive"))
			r->flags |= SHTTP_F_CONN_KA;
	}
}

/** Retry-After (RFC 9110 sec 10.2.3): delay-seconds; an HTTP-date stays -1. */
static void on_retry_after(struct shttp *r, const char *v, size_t n)
{
	int64_t x = 0;

	if (n == 0 || n > 9)
		return;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return;
		x = x * 10 + (v[i] - '0');
	}
	r->retry_after = (int32_t)x;
}

/** Pass one field to the decoder its name asks for; others are skipped. */
static int on_field(struct shttp *r, const char *name, size_t nl, const char *v, size_t n,
		    bool cut)
{
	if (ieq(name, nl, "content-length"))
		return on_length(r, v, n, cut);
	if (ieq(name, nl, "transfer-encoding")) {
		/* Only "chunked", once (RFC 9112 sec 6.1): no codings on top. */
		if (cut || !ieq(v, n, "chunked") || (r->flags & SHTTP_F_CHUNKED))
			return failed(r, SHTTP_C_TE_UNSUPPORTED);
		r->flags |= SHTTP_F_CHUNKED;
	} else if (ieq(name, nl, "connection")) {
		on_connection(r, v, n);
	} else if (ieq(name, nl, "etag")) {
		on_etag(r, v, n, cut);
	} else if (ieq(name, nl, "retry-after")) {
		if (!cut)
			on_retry_after(r, v, n);
	}
	return 0;
}

static int head_end(struct shttp *r);

/** A header line (RFC 9112 sec 5): name ":" OWS value OWS; the empty line ends the head. */
static int on_header_line(struct shttp *r)
{
	const char *l = r->line, *colon, *v, *ve;
	bool cut = line_cut(r);
	size_t nl;

	if (r->line_len == 0 && !cut)
		return head_end(r);
	if (++r->n_lines > SHTTP_LINES_MAX)
		return failed(r, SHTTP_C_TOO_MANY_HEADERS);
	/* Obsolete folding (a leading space) is refused, as is a bare CR. */
	colon = memchr(l, ':', r->line_len);
	if (!colon || colon == l || memchr(l, '\r', r->line_len))
		return failed(r, SHTTP_C_BAD_HEADER);
	nl = (size_t)(colon - l);
	for (size_t i = 0; i < nl; i++)
		if (!is_tchar((uint8_t)l[i]))
			return failed(r, SHTTP_C_BAD_HEADER);
	v = colon + 1;
	ve = l + r->line_len;
	while (v < ve && is_ows((uint8_t)*v))
		v++;
	while (ve > v && is_ows((uint8_t)ve[-1]))
		ve--;
	for (const char *q = v; q < ve; q++)
		if (((uint8_t)*q < 0x20 && *q != '\t') || *q == 0x7f)
			return failed(r, SHTTP_C_BAD_HEADER);
	return on_field(r, l, nl, v, (size_t)(ve - v), cut);
}

/** The body is complete: check it against the ETag. */
static int finish_body(struct shttp *r)
{
	if (r->flags & SHTTP_F_VERIFY) {
		if (r->body_len != r->etag_len)
			return failed(r, SHTTP_C_LENGTH_MISMATCH);
		if (content_hash_final(&r->hash) != r->etag_hash)
			return failed(r, SHTTP_C_HASH_MISMATCH);
		r->verified = true;
	}
	set_state(r, SHTTP_S_DONE);
	return 0;
}

/** The head is in: skip an interim response, or choose the framing (RFC 9112 sec 6.3). */
static int head_end(struct shttp *r)
{
	if (r->status < 200) {
		if (r->status == 101)            /* we never ask to switch protocols */
			return failed(r, SHTTP_C_BAD_STATUS);
		head_reset(r);
		set_state(r, SHTTP_S_STATUS);
		return 0;
	}
	if ((r->flags & SHTTP_F_CHUNKED) && r->has_length)
		return failed(r, SHTTP_C_BAD_FRAMING);   /* sec 6.3.3: a smuggling sign */
	if ((r->flags & SHTTP_F_HEAD_REQ) || r->status == 204 || r->status == 304) {
		set_state(r, SHTTP_S_DONE);
		return 0;
	}
	if (r->status == 200 && r->etag_kind == SHTTP_ETAG_STAMPEDE) {
		if (r->has_length && r->content_length != r->etag_len)
			return failed(r, SHTTP_C_LENGTH_MISMATCH);
		content_hash_init(&r->hash, r->etag_len);
		r->flags |= SHTTP_F_VERIFY;
	}
	if (r->flags & SHTTP_F_CHUNKED) {
		set_state(r, SHTTP_S_CHUNK_SIZE);
		return 0;
	}
	if (!r->has_length)
		r->flags |= SHTTP_F_UNTIL_CLOSE;
	else if (r->content_length == 0)
		return finish_body(r);
	set_state(r, SHTTP_S_BODY);
	return 0;
}

/* ---- chunked (RFC 9112 sec 7.1) ---- */

/** chunk-size [chunk-ext]: hex digits, then nothing, or OWS and ';'. */
static int on_chunk_size(struct shttp *r)
{
	uint64_t x = 0;
	size_t i = 0;

	for (; i < r->line_len && hex_val((uint8_t)r->line[i]) >= 0; i++) {
		if (i == 15)
			return failed(r, SHTTP_C_BAD_CHUNK);   /* 2^60 bytes is no boot file */
		x = x << 4 | (uint64_t)hex_val((uint8_t)r->line[i]);
	}
	if (i == 0)
		return failed(r, SHTTP_C_BAD_CHUNK);
	while (i < r->line_len && is_ows((uint8_t)r->line[i]))
		i++;
	if (i < r->line_len && r->line[i] != ';')
		return failed(r, SHTTP_C_BAD_CHUNK);
	if (x == 0) {
		set_state(r, SHTTP_S_TRAILERS);
		return 0;
	}
	r->chunk_left = x;
	set_state(r, SHTTP_S_CHUNK_DATA);
	return 0;
}

/** A complete line in a line state. */
static int on_line(struct shttp *r)
{
	switch (r->state) {
	case SHTTP_S_STATUS:
		return on_status_line(r);
	case SHTTP_S_HEADERS:
		return on_header_line(r);
	case SHTTP_S_CHUNK_SIZE:
		return on_chunk_size(r);
	case SHTTP_S_CHUNK_END:
		if (r->line_len != 0 || line_cut(r))
			return failed(r, SHTTP_C_BAD_CHUNK);
		set_state(r, SHTTP_S_CHUNK_SIZE);
		return 0;
	default:         /* TRAILERS: fields we do not use, up to the empty line */
		if (r->line_len == 0 && !line_cut(r))
			return finish_body(r);
		if (++r->n_lines > SHTTP_LINES_MAX)
			return failed(r, SHTTP_C_TOO_MANY_HEADERS);
		r->line_len = 0;
		r->line_total = 0;
		return 0;
	}
}

/** Bytes in a line state: bounded per head or per chunk line. @return bytes or PARSE_ERR. */
static int line_bytes(struct shttp *r, const uint8_t *p, size_t n)
{
	size_t used;
	bool done = take_line(r, p, n, &used);
	bool head = r->state == SHTTP_S_STATUS || r->state == SHTTP_S_HEADERS ||
		    r->state == SHTTP_S_TRAILERS;

	if (head) {
		r->head_len = (uint32_t)STP_MIN((uint64_t)r->head_len + used, UINT32_MAX);
		if (r->head_len > SHTTP_HEAD_MAX)
			return failed(r, SHTTP_C_HEAD_TOO_LARGE);
	} else if (r->line_total > SHTTP_CHUNK_LINE_MAX) {
		return failed(r, SHTTP_C_BAD_CHUNK);
	}
	/* Garbage is named at once, not after a whole line of it (a CR may
	 * still begin an empty line). */
	if (r->state == SHTTP_S_STATUS && r->line_len > 0 && r->line[0] != '\r' &&
	    memcmp(r->line, STATUS_PREFIX, STP_MIN(r->line_len, sizeof(STATUS_PREFIX) - 1)) != 0)
		return failed(r, SHTTP_C_BAD_STATUS);
	if (done) {
		int rc = on_line(r);

		if (rc < 0)
			return rc;
		if (r->state != SHTTP_S_DONE) {
			r->line_len = 0;
			r->line_total = 0;
			r->flags &= (uint8_t)~SHTTP_F_LAST_CR;
		}
	}
	return (int)used;
}

/* ---- the body ---- */

/**
 * @a n body bytes: hashed, kept and counted up to the length the ETag
 * announced; a byte beyond it fails the response (and is counted, so the
 * result does not depend on how the bytes were split).
 */
static int body_bytes(struct shttp *r, const uint8_t *p, size_t n)
{
	size_t take = n;

	if (r->flags & SHTTP_F_VERIFY) {
		take = (size_t)STP_MIN((uint64_t)n, r->etag_len - r->body_len);
		content_hash_update(&r->hash, p, take);
	}
	if (r->kept < r->keep_cap) {
		size_t k = STP_MIN(take, (size_t)(r->keep_cap - r->kept));

		memcpy(r->keep + r->kept, p, k);
		r->kept += (uint32_t)k;
	}
	r->body_len += take;
	if (take < n) {
		r->body_len++;
		return failed(r, SHTTP_C_LENGTH_MISMATCH);
	}
	return 0;
}

/** Bytes in BODY or CHUNK_DATA. @return bytes taken or PARSE_ERR. */
static int data_bytes(struct shttp *r, const uint8_t *p, size_t n)
{
	uint64_t left = r->state == SHTTP_S_CHUNK_DATA ? r->chunk_left
			: (r->flags & SHTTP_F_UNTIL_CLOSE) ? UINT64_MAX
			: r->content_length - r->body_len;
	size_t take = (size_t)STP_MIN((uint64_t)n, left);

	if (body_bytes(r, p, take) < 0)
		return PARSE_ERR;
	if (r->state == SHTTP_S_CHUNK_DATA) {
		r->chunk_left -= take;
		if (r->chunk_left == 0)
			set_state(r, SHTTP_S_CHUNK_END);
	} else if (take == left && finish_body(r) < 0) {
		return PARSE_ERR;
	}
	return (int)take;
}

int shttp_input(struct shttp *r, const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (r->state == SHTTP_S_FAILED)
		return PARSE_ERR;
	if (n == 0)
		return PARSE_AGAIN;
	if (r->state == SHTTP_S_IDLE || r->state == SHTTP_S_DONE)
		return failed(r, SHTTP_C_UNEXPECTED);
	/* The count of bytes taken must fit the result (one TCP delivery does). */
	if (n > (size_t)INT32_MAX)
		return failed(r, SHTTP_C_UNEXPECTED);
	while (i < n) {
		int rc = (r->state == SHTTP_S_BODY || r->state == SHTTP_S_CHUNK_DATA)
				 ? data_bytes(r, p + i, n - i)
				 : line_bytes(r, p + i, n - i);

		if (rc < 0)
			return PARSE_ERR;
		i += (size_t)rc;
		if (r->state == SHTTP_S_DONE)
			return (int)i;
	}
	return PARSE_AGAIN;
}

int shttp_eof(struct shttp *r)
{
	switch (r->state) {
	case SHTTP_S_IDLE:
	case SHTTP_S_DONE:
		return 0;
	case SHTTP_S_FAILED:
		return PARSE_ERR;
	case SHTTP_S_STATUS:
	case SHTTP_S_HEADERS:
		return failed(r, SHTTP_C_CLOSED_EARLY);
	case SHTTP_S_BODY:
		if (r->flags & SHTTP_F_UNTIL_CLOSE)
			return finish_body(r);
		return failed(r, SHTTP_C_SHORT_BODY);
	default:
		return failed(r, SHTTP_C_SHORT_BODY);
	}
}

/* ---- requests ---- */

/** Append the string @a s at buf + *off if it fits; *off counts it either way. */
static void put(char *buf, size_t cap, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (*off <= cap && n <= cap - *off)
		memcpy(buf + *off, s, n);
	*off += n;
}

/** No spaces or controls (a path, a host), at least one byte. */
static bool plain_text(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((uint8_t)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/** No controls (a header value). */
static bool field_text(const char *s)
{
	for (; *s; s++)
		if (((uint8_t)*s < ' ' && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

static bool token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!is_tchar((uint8_t)*s))
			return false;
	return true;
}

int shttp_build_request(char *buf, size_t cap, const struct shttp_req *rq)
{
	const char *ua = rq->user_agent ? rq->user_agent : SHTTP_USER_AGENT;
	const char *ct = rq->content_type ? rq->content_type : "application/json";
	bool body = rq->body_len > 0;
	size_t off = 0;

	if (!token(rq->method) || !plain_text(rq->path) || rq->path[0] != '/' ||
	    !plain_text(rq->host) || !field_text(ua) || !field_text(ct) || (body && !rq->body))
		return -EINVAL;
	put(buf, cap, &off, rq->method);
	put(buf, cap, &off, " ");
	put(buf, cap, &off, rq->path);
	put(buf, cap, &off, " HTTP/1.1\r\nHost: ");
	put(buf, cap, &off, rq->host);
	put(buf, cap, &off, "\r\nUser-Agent: ");
	put(buf, cap, &off, ua);
	put(buf, cap, &off, "\r\nConnection: ");
	put(buf, cap, &off, rq->close ? "close\r\n" : "keep-alive\r\n");
	if (body) {
		char len[24];

		snprintf(len, sizeof(len), "%zu", rq->body_len);
		put(buf, cap, &off, "Content-Type: ");
		put(buf, cap, &off, ct);
		put(buf, cap, &off, "\r\nContent-Length: ");
		put(buf, cap, &off, len);
		put(buf, cap, &off, "\r\n");
	}
	put(buf, cap, &off, "\r\n");
	if (off > cap || rq->body_len > cap - off || off + rq->body_len > INT32_MAX)
		return -ENOSPC;
	if (body)
		memcpy(buf + off, rq->body, rq->body_len);
	off += rq->body_len;
	if (off < cap)
		buf[off] = '\0';
	return (int)off;
}

int shttp_build_get(char *buf, size_t cap, const char *host, const char *path)
{
	struct shttp_req rq = { .method = "GET", .host = host, .path = path };

	return shttp_build_request(buf, cap, &rq);
}
