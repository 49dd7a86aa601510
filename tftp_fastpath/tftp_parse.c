/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TFTP parsing and option negotiation: RFC 1350 sec 5 (packets), RFC 2347
 * (option extension), RFC 2348 (blksize), RFC 2349 (timeout, tsize),
 * RFC 7440 (windowsize). Two passes over a request: framing first (every
 * field NUL-terminated, bounded by the packet), then meaning, so a broken
 * packet is always answered as illegal whatever its option values say.
 */
#include "tftp_parse.h"

#include <errno.h>

#include "bytes.h"

/* Values above this are all "absurd"; saturating keeps the arithmetic
 * defined for a 60 KB run of digits. */
#define DEC_SATURATE 1000000000000ull

static const uint16_t result_code[] = {
#define X(name, code, help) code,
	TFTP_PARSE_RESULTS(X)
#undef X
};

static const char *const result_str[] = {
#define X(name, code, help) help,
	TFTP_PARSE_RESULTS(X)
#undef X
};

uint16_t tftp_parse_err_code(enum tftp_parse_result r)
{
	return (unsigned)r < TFTP_PARSE_N ? result_code[r] : TFTP_ERR_ILLEGAL_OP;
}

const char *tftp_parse_result_str(enum tftp_parse_result r)
{
	return (unsigned)r < TFTP_PARSE_N ? result_str[r] : "?";
}

bool tftp_parse_is_framing(enum tftp_parse_result r)
{
	return r == TFTP_PARSE_SHORT || r == TFTP_PARSE_BAD_OP ||
	       r == TFTP_PARSE_NAME_UNTERMINATED || r == TFTP_PARSE_MODE_UNTERMINATED ||
	       r == TFTP_PARSE_OPT_UNTERMINATED;
}

/** ASCII case-insensitive compare of @a s with the lower-case @a lit. */
static bool span_ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s.p[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c != (uint8_t)lit[i])
			return false;
	}
	return true;
}

/**
 * Decimal value of @a v (digits only, at least one), saturating at
 * DEC_SATURATE. @return 0 and *out, or -EINVAL.
 */
static int parse_dec(struct span v, uint64_t *out)
{
	uint64_t x = 0;

	if (v.len == 0)
		return -EINVAL;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -EINVAL;
		if (x < DEC_SATURATE)
			x = x * 10 + (uint64_t)(v.p[i] - '0');
	}
	*out = STP_MIN(x, DEC_SATURATE);
	return 0;
}

/**
 * Cut the NUL-terminated field at the front of [*p, *p + *rem).
 * @return true and the field (without NUL) in *f, advancing past the NUL;
 * false when no NUL is left.
 */
static bool take_field(const uint8_t **p, size_t *rem, struct span *f)
{
	const uint8_t *z = memchr(*p, 0, *rem);
	size_t used;

	if (z == NULL)
		return false;
	*f = span_make(*p, (size_t)(z - *p));
	used = f->len + 1;
	*p += used;
	*rem -= used;
	return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/**
 * Pass 1: split @a pkt into name, mode and option pairs. Each step
 * consumes at least one byte (a NUL), so the walk ends within pkt.len
 * steps. An empty option name starts padding, which must be all NUL.
 */
static enum tftp_parse_result split_request(struct span pkt, struct tftp_req *req)
{
	const uint8_t *p = pkt.p + TFTP_OP_LEN;
	size_t rem = pkt.len - TFTP_OP_LEN;
	struct tftp_opt o;

	if (!take_field(&p, &rem, &req->name))
		return TFTP_PARSE_NAME_UNTERMINATED;
	if (!take_field(&p, &rem, &req->mode_str))
		return TFTP_PARSE_MODE_UNTERMINATED;
	while (rem > 0) {
		if (!take_field(&p, &rem, &o.name))
			return TFTP_PARSE_OPT_UNTERMINATED;
		if (o.name.len == 0) {
			/* Some stacks pad requests with NULs; anything else
			 * after an empty name is junk. */
			if (!all_zero(p, rem))
				return TFTP_PARSE_OPT_UNTERMINATED;
			break;
		}
		if (!take_field(&p, &rem, &o.value))
			return TFTP_PARSE_OPT_UNTERMINATED;
		if (req->n_opts < TFTP_MAX_OPTS)
			req->opts[req->n_opts++] = o;
		else
			req->n_ignored++;
	}
	return TFTP_PARSE_OK;
}

/** RFC 1350 sec 1: mode names are case-insensitive. */
static enum tftp_parse_result parse_mode(struct tftp_req *req)
{
	if (span_ieq(req->mode_str, "octet"))
		req->mode = TFTP_MODE_OCTET;
	else if (span_ieq(req->mode_str, "netascii"))
		req->mode = TFTP_MODE_NETASCII;
	else if (span_ieq(req->mode_str, "mail"))
		return TFTP_PARSE_MODE_MAIL;
	else
		return TFTP_PARSE_MODE_UNKNOWN;
	return TFTP_PARSE_OK;
}

/** RFC 2348: 8..65464; the server may answer smaller, never larger. */
static enum tftp_parse_result neg_blksize(struct tftp_req *req, uint64_t v,
					  const struct tftp_limits *lim)
{
	if (v < TFTP_BLKSIZE_MIN)
		return TFTP_PARSE_OPT_RANGE;
	if (v > lim->max_blksize)
		req->n_clamped++;
	req->blksize = (uint16_t)STP_MIN(v, (uint64_t)lim->max_blksize);
	req->oack.blksize = req->blksize;
	req->oack.present |= TFTP_OPT_BLKSIZE;
	return TFTP_PARSE_OK;
}

/** RFC 7440 sec 3: 1..65535; the server may answer smaller. */
static enum tftp_parse_result neg_window(struct tftp_req *req, uint64_t v,
					 const struct tftp_limits *lim)
{
	if (v < TFTP_WINDOW_MIN)
		return TFTP_PARSE_OPT_RANGE;
	if (v > lim->max_window)
		req->n_clamped++;
	req->window = (uint16_t)STP_MIN(v, (uint64_t)lim->max_window);
	req->oack.window = req->window;
	req->oack.present |= TFTP_OPT_WINDOW;
	return TFTP_PARSE_OK;
}

/** RFC 2349: 1..255 s, and the OACK must echo the value unchanged. */
static enum tftp_parse_result neg_timeout(struct tftp_req *req, uint64_t v)
{
	if (v < TFTP_TIMEOUT_MIN || v > TFTP_TIMEOUT_MAX)
		return TFTP_PARSE_OPT_RANGE;
	req->timeout_s = (uint8_t)v;
	req->oack.timeout_s = req->timeout_s;
	req->oack.present |= TFTP_OPT_TIMEOUT;
	return TFTP_PARSE_OK;
}

/** RFC 2349: in an RRQ tsize is 0 and asks for the size; else ignored. */
static enum tftp_parse_result neg_tsize(struct tftp_req *req, uint64_t v)
{
	if (req->op != TFTP_OP_RRQ || v != 0) {
		req->n_ignored++;
		return TFTP_PARSE_OK;
	}
	req->oack.present |= TFTP_OPT_TSIZE;
	return TFTP_PARSE_OK;
}

/** Apply one option pair; @a seen tracks known names (first one wins). */
static enum tftp_parse_result negotiate_one(struct tftp_req *req, const struct tftp_opt *o,
					    const struct tftp_limits *lim, uint8_t *seen)
{
	static const struct { const char *name; uint8_t bit; } known[] = {
		{ "blksize", TFTP_OPT_BLKSIZE }, { "tsize", TFTP_OPT_TSIZE },
		{ "timeout", TFTP_OPT_TIMEOUT }, { "windowsize", TFTP_OPT_WINDOW },
	};
	uint8_t bit = 0;
	uint64_t v;

	for (size_t i = 0; i < STP_ARRAY_SIZE(known) && bit == 0; i++)
		if (span_ieq(o->name, known[i].name))
			bit = known[i].bit;
	if (bit == 0 || (*seen & bit)) {
		/* RFC 2347: unknown options are ignored; duplicates: the first one counts */
		req->n_ignored++;
		return TFTP_PARSE_OK;
	}
	*seen |= bit;
	if (parse_dec(o->value, &v) < 0)
		return TFTP_PARSE_OPT_BAD_VALUE;
	switch (bit) {
	case TFTP_OPT_BLKSIZE:
		return neg_blksize(req, v, lim);
	case TFTP_OPT_WINDOW:
		return neg_window(req, v, lim);
	case TFTP_OPT_TIMEOUT:
		return neg_timeout(req, v);
	default:
		return neg_tsize(req, v);
	}
}

enum tftp_parse_result tftp_parse_request(struct span pkt, const struct tftp_limits *lim,
					  struct tftp_req *req)
{
	enum tftp_parse_result r;
	uint8_t seen = 0;

	memset(req, 0, offsetof(struct tftp_req, opts));
	req->blksize = TFTP_DEFAULT_BLKSIZE;
	req->window = 1;
	if (pkt.len < TFTP_OP_LEN)
		return TFTP_PARSE_SHORT;
	req->op = get_be16(pkt.p);
	if (req->op != TFTP_OP_RRQ && req->op != TFTP_OP_WRQ)
		return TFTP_PARSE_BAD_OP;
	r = split_request(pkt, req);
	if (r != TFTP_PARSE_OK)
		return r;
	r = parse_mode(req);
	for (unsigned i = 0; i < req->n_opts && r == TFTP_PARSE_OK; i++)
		r = negotiate_one(req, &req->opts[i], lim, &seen);
	return r;
}

int tftp_parse_op(struct span pkt, uint16_t *op)
{
	if (pkt.len < TFTP_OP_LEN)
		return -EINVAL;
	*op = get_be16(pkt.p);
	return 0;
}

int tftp_parse_ack(struct span pkt, uint16_t *block)
{
	if (pkt.len < TFTP_ACK_LEN || get_be16(pkt.p) != TFTP_OP_ACK)
		return -EINVAL;
	*block = get_be16(pkt.p + TFTP_OFF_BLOCK);
	return 0;
}

int tftp_parse_error(struct span pkt, uint16_t *code, struct span *msg)
{
	const uint8_t *z;

	if (pkt.len < TFTP_HDR_LEN || get_be16(pkt.p) != TFTP_OP_ERROR)
		return -EINVAL;
	*code = get_be16(pkt.p + TFTP_OFF_CODE);
	z = memchr(pkt.p + TFTP_OFF_DATA, 0, pkt.len - TFTP_OFF_DATA);
	*msg = span_make(pkt.p + TFTP_OFF_DATA,
			 z != NULL ? (size_t)(z - pkt.p) - TFTP_OFF_DATA : pkt.len - TFTP_OFF_DATA);
	return 0;
}
