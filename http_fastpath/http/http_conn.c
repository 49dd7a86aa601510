/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_conn.c
 * Pipelining, persistence, deadlines and upcalls for one connection. See
 * http_conn.h.
 */
#include <string.h>

#include "http_conn.h"

/** What one parse of the front of rx came to. */
enum step_rc {
	STEP_DONE,                 /* a request answered; look for another */
	STEP_WAIT,                 /* incomplete: wait for bytes */
	STEP_STOP,                 /* no room, upcall or close: stop this call */
};

void http_conn_init(struct http_conn *c, const struct http_site *site, uint64_t now_us)
{
	memset(c, 0, sizeof(*c));
	c->head_deadline = HTTP_NO_DEADLINE;
	c->idle_deadline = site->idle_timeout_us ? now_us + site->idle_timeout_us
						 : HTTP_NO_DEADLINE;
}

uint64_t http_conn_deadline(const struct http_conn *c)
{
	return STP_MIN(c->head_deadline, c->idle_deadline);
}

/** Room for one more response of up to @a bytes? */
static bool out_room(const struct http_conn_out *out, size_t bytes)
{
	return out->n < out->cap && out->buf_cap - out->buf_len >= bytes;
}

static struct http_conn_resp *out_push(struct http_conn_out *out, const struct http_resp *r,
				       size_t len)
{
	struct http_conn_resp *e = &out->v[out->n++];

	memset(e, 0, sizeof(*e));
	e->resp = *r;
	e->hdr = span_make(out->buf + out->buf_len, len);
	out->buf_len += len;
	return e;
}

/**
 * Has the front of rx changed in a way a parse could notice since the
 * last PARSE_AGAIN? Only a completed line, the awaited body, or crossing
 * a limit can, so a client trickling bytes costs a parse per line, not
 * one per byte (the parser itself keeps no state).
 */
static bool worth_parsing(const struct http_conn *c, struct span rx, const struct http_limits *lim)
{
	if (c->scanned == 0 || rx.len <= c->scanned)
		return c->scanned == 0;
	if (c->want != 0)
		return rx.len >= c->want;
	if (memchr(rx.p + c->scanned, '\n', rx.len - c->scanned) != NULL)
		return true;
	return (rx.len >= lim->line_max && c->scanned < lim->line_max) || rx.len >= lim->head_max;
}

/** A request the parser refused: its error, close, and the rest ignored. */
static enum step_rc answer_error(struct http_conn *c, const struct http_req *req, int rc,
				 uint64_t now_us, const struct http_site *site,
				 struct http_conn_out *out)
{
	enum http_perr e = rc == PARSE_FULL ? HTTP_PERR_TOO_MANY_FIELDS : (enum http_perr)req->perr;
	struct http_resp r;
	int n;

	if (out->n >= out->cap)
		return STEP_STOP;
	n = http_respond_error(http_perr_status(e), true, false, site, now_us / 1000000, &r,
			       out->buf + out->buf_len, out->buf_cap - out->buf_len);
	if (n < 0)
		return STEP_STOP;
	out_push(out, &r, (size_t)n);
	if (site->ctr != NULL)
		site->ctr->perr[e]++;
	http_counters_resp(site->ctr, r.status, r.len);
	c->close_after = true;
	return STEP_STOP;
}

/** Counters for a request that parsed and the answer it got. */
static void count_answer(struct http_counters *ctr, const struct http_conn *c,
			 const struct http_req *req, const struct http_resp *r)
{
	if (ctr == NULL)
		return;
	ctr->requests++;
	ctr->method[req->method]++;
	if (c->requests > 0)
		ctr->keepalive_reuse++;
	if (r->upcall) {
		ctr->upcalls++;
		return;
	}
	ctr->traversal += r->note == HTTP_NOTE_TRAVERSAL;
	ctr->bad_escape += r->note == HTTP_NOTE_BAD_ESCAPE;
	ctr->not_found += r->note == HTTP_NOTE_NOT_FOUND;
	http_counters_resp(ctr, r->status, r->body != HTTP_BODY_NONE ? r->len : 0);
}

/**
 * A large object asks the site's admission first (http_resp.h,
 * http_admit_fn); refused, its answer becomes 503 with Retry-After,
 * written over the header bytes just built at @a buf.
 * @return the answer's length, as http_respond()
 */
static int admit_large(const struct http_site *site, struct http_resp *r, int n, uint64_t now_s,
		       uint8_t *buf, size_t cap)
{
	uint32_t wait;

	if (site->admit == NULL || r->obj == NULL || (r->status != 200 && r->status != 206))
		return n;
	if ((r->head ? r->obj->len : r->len) < site->large_min)
		return n;
	wait = site->admit(site->admit_ctx, r);
	return wait == 0 ? n : http_respond_busy(r, site, now_s, wait, buf, cap);
}

/** A complete request of @a len bytes: answer it or pass it up. */
static enum step_rc answer(struct http_conn *c, const struct http_req *req, size_t len,
			   uint64_t now_us, const struct http_site *site,
			   struct http_conn_out *out, size_t *consumed)
{
	bool last = site->max_requests != 0 && c->requests + 1 >= site->max_requests;
	struct http_conn_resp *e;
	struct http_resp r;
	int n;

	if (out->n >= out->cap)
		return STEP_STOP;
	n = http_respond(req, site, last, now_us / 1000000, &r, out->buf + out->buf_len,
			 out->buf_cap - out->buf_len);
	if (n > 0)
		n = admit_large(site, &r, n, now_us / 1000000, out->buf + out->buf_len,
				out->buf_cap - out->buf_len);
	if (n < 0)
		return STEP_STOP;
	count_answer(site->ctr, c, req, &r);
	e = out_push(out, &r, (size_t)n);
	c->requests++;
	c->scanned = c->want = 0;
	c->continue_sent = false;
	*consumed += len;
	if (r.upcall) {
		e->target = req->target;
		e->body = req->body;
		c->upcall_pending = true;
		return STEP_STOP;
	}
	if (r.close) {
		c->close_after = true;
		return STEP_STOP;
	}
	return STEP_DONE;
}

/** Incomplete request: remember how far it got; 100 Continue if asked. */
static void wait_more(struct http_conn *c, const struct http_req *req, struct span rx,
		      uint64_t now_us, const struct http_site *site, struct http_conn_out *out)
{
	c->scanned = (uint32_t)rx.len;
	c->want = req->head_len != 0 ? (uint32_t)(req->head_len + req->content_length) : 0;
	if (c->head_deadline == HTTP_NO_DEADLINE)
		c->head_deadline = now_us + site->head_timeout_us;
	/* RFC 9110 sec 10.1.1: only to HTTP/1.1 clients, once per request */
	if (c->want != 0 && req->expect_continue && req->minor == 1 && !c->continue_sent &&
	    out_room(out, 32)) {
		struct http_resp r = { .status = 100 };
		int n = http_respond_continue(out->buf + out->buf_len, out->buf_cap - out->buf_len);

		if (n > 0) {
			r.hdr_len = (size_t)n;
			out_push(out, &r, (size_t)n);
			c->continue_sent = true;
			if (site->ctr != NULL)
				site->ctr->expect_continue++;
		}
	}
}

/** One request at the front of @a rx. */
static enum step_rc step(struct http_conn *c, struct span rx, uint64_t now_us,
			 const struct http_site *site, struct http_conn_out *out,
			 size_t *consumed)
{
	struct http_hdr hdrs[HTTP_CONN_HDRS];
	struct http_req req = { .hdrs = hdrs, .hdr_cap = HTTP_CONN_HDRS };
	int rc;

	if (!worth_parsing(c, rx, &site->lim))
		return STEP_WAIT;
	rc = http_parse_request(rx, &site->lim, &req);
	if (rc == PARSE_AGAIN) {
		wait_more(c, &req, rx, now_us, site, out);
		return STEP_WAIT;
	}
	if (rc < 0)
		return answer_error(c, &req, rc, now_us, site, out);
	return answer(c, &req, (size_t)rc, now_us, site, out, consumed);
}

/**
 * After a call: a partial request keeps (or starts) the head clock; the
 * idle clock restarts only when a request completed, so a call with
 * nothing new (a window update, an empty read) extends nothing.
 */
static void rearm(struct http_conn *c, size_t consumed, size_t left, uint64_t now_us,
		  const struct http_site *site)
{
	if (left > 0 && !c->close_after && !c->upcall_pending) {
		if (c->head_deadline == HTTP_NO_DEADLINE)
			c->head_deadline = now_us + site->head_timeout_us;
		c->idle_deadline = HTTP_NO_DEADLINE;
		return;
	}
	c->head_deadline = HTTP_NO_DEADLINE;
	/* waiting for control or closing: the glue bounds those itself */
	if (c->upcall_pending || c->close_after || site->idle_timeout_us == 0)
		c->idle_deadline = HTTP_NO_DEADLINE;
	else if (consumed > 0 || c->idle_deadline == HTTP_NO_DEADLINE)
		c->idle_deadline = now_us + site->idle_timeout_us;
}

size_t http_conn_on_data(struct http_conn *c, struct span rx, uint64_t now_us,
			 const struct http_site *site, struct http_conn_out *out)
{
	size_t consumed = 0;
	enum step_rc rc = STEP_DONE;

	out->more = false;
	if (c->upcall_pending)
		return 0;
	for (unsigned k = 0; k < HTTP_CONN_MAX_PER_CALL && !c->close_after; k++) {
		size_t before = consumed;

		if (consumed == rx.len)
			break;
		rc = step(c, span_make(rx.p + consumed, rx.len - consumed), now_us, site, out,
			  &consumed);
		if (rc != STEP_DONE)
			break;
		/* a request answered: the next one's clock starts now */
		c->head_deadline = consumed > before ? HTTP_NO_DEADLINE : c->head_deadline;
	}
	if (c->close_after) {
		if (site->ctr != NULL)
			site->ctr->ignored_after_close += rx.len - consumed;
		consumed = rx.len;
	} else if (rc != STEP_WAIT && consumed < rx.len && !c->upcall_pending) {
		out->more = true;
		if (site->ctr != NULL)
			site->ctr->out_full++;
	}
	rearm(c, consumed, rx.len - consumed, now_us, site);
	return consumed;
}

bool http_conn_on_timeout(struct http_conn *c, uint64_t now_us, const struct http_site *site,
			  struct http_conn_out *out)
{
	if (now_us < http_conn_deadline(c))
		return false;
	if (c->head_deadline <= now_us) {
		struct http_resp r;
		int n;

		if (site->ctr != NULL)
			site->ctr->head_timeouts++;
		n = out->n < out->cap
		    ? http_respond_error(408, true, false, site, now_us / 1000000, &r,
					 out->buf + out->buf_len, out->buf_cap - out->buf_len)
		    : -1;
		if (n > 0) {
			out_push(out, &r, (size_t)n);
			http_counters_resp(site->ctr, 408, r.len);
		}
	} else if (site->ctr != NULL) {
		site->ctr->idle_timeouts++;
	}
	c->close_after = true;
	c->head_deadline = c->idle_deadline = HTTP_NO_DEADLINE;
	return true;
}

void http_conn_upcall_done(struct http_conn *c, const struct http_resp *resp,
			   const struct http_site *site, uint64_t now_us)
{
	c->upcall_pending = false;
	if (resp->close)
		c->close_after = true;
	c->idle_deadline = site->idle_timeout_us && !c->close_after
			   ? now_us + site->idle_timeout_us : HTTP_NO_DEADLINE;
}
