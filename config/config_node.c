/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file config_node.c
 * Error lines and the conversion of single YAML scalars into typed values.
 * Strict on purpose: a config that half-parses ("1024MB" read as 1024, a
 * name cut to fit) boots machines with the wrong settings in a storm, which
 * costs far more than one refused start.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

/* How much of an offending value a message shows. */
#define QUOTE_SHOW 48

int config_err(struct config_ctx *c, int line, const char *path,
	       const char *fmt, ...)
{
	va_list ap;
	int n;

	/* The first error is the one the user acts on; later ones are noise
	 * caused by it. */
	if (c->failed)
		return -1;
	c->failed = true;
	if (c->errlen == 0)
		return -1;
	if (path != NULL && path[0] != '\0')
		n = snprintf(c->err, c->errlen, "%s:%d: %s: ", c->name, line, path);
	else
		n = snprintf(c->err, c->errlen, "%s:%d: ", c->name, line);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/**
 * config_err() at the line of scalar @a n, the message starting with its
 * value quoted: "lots" is not a number.
 */
int config_err_val(struct config_ctx *c, const yaml_node_t *n, const char *path,
		   const char *fmt, ...)
{
	char q[QUOTE_SHOW + 8], rest[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	return config_err(c, config_node_line(n), path, "%s %s",
			  config_node_quote(n, q, sizeof(q)), rest);
}

int config_node_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

const yaml_node_t *config_node_get(const struct config_ctx *c, int index)
{
	/* yaml_document_get_node takes a non-const document but only reads. */
	return yaml_document_get_node(c->doc, index);
}

const char *config_node_kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return "a single value";
	default:
		return "nothing";
	}
}

/* YAML's null: an empty plain value, "~" or "null". Only plain scalars,
 * so that "" or 'null' written in quotes stay strings. */
bool config_node_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/**
 * The value of scalar @a n as a short, printable, double-quoted string for
 * messages. Long values are cut with "..." (only in the message).
 */
const char *config_node_quote(const yaml_node_t *n, char *buf, size_t size)
{
	size_t o = 0, i;

	if (size < QUOTE_SHOW + 8)
		return "";
	buf[o++] = '"';
	for (i = 0; i < n->data.scalar.length && i < QUOTE_SHOW; i++) {
		unsigned char ch = n->data.scalar.value[i];

		/* Control bytes would break the one-line message. */
		buf[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (i < n->data.scalar.length) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/**
 * The text of scalar @a n, or NULL after an error when @a n is a mapping or
 * list, or holds a NUL byte (C strings would silently end there).
 * @a what names the expected type for the message.
 */
const char *config_node_scalar(struct config_ctx *c, const yaml_node_t *n,
			       const char *path, const char *what)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE) {
		config_err(c, config_node_line(n), path, "expected %s, got %s",
			   what, config_node_kind_name(n));
		return NULL;
	}
	v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length) {
		config_err(c, config_node_line(n), path, "contains a NUL byte");
		return NULL;
	}
	return v;
}

int config_node_str(struct config_ctx *c, const yaml_node_t *n,
		    const char *path, char *dst, size_t size)
{
	const char *v = config_node_scalar(c, n, path, "a string");

	if (v == NULL)
		return -1;
	if (config_node_is_null(n))
		v = "";
	if (strlen(v) >= size)
		return config_err_val(c, n, path, "is too long (at most %zu characters)", size - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

int config_node_bool(struct config_ctx *c, const yaml_node_t *n,
		     const char *path, bool *out)
{
	static const char *const yes[] = { "true", "yes" };
	static const char *const no[] = { "false", "no" };
	const char *v = config_node_scalar(c, n, path, "true or false");

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < 2; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return config_err_val(c, n, path, "is not a boolean (use true or false)");
}

int config_node_uint(struct config_ctx *c, const yaml_node_t *n,
		     const char *path, uint32_t min, uint32_t max, uint32_t *out)
{
	const char *v = config_node_scalar(c, n, path, "a number");
	const char *p;
	uint64_t val = 0;
	bool neg;

	if (v == NULL)
		return -1;
	neg = v[0] == '-';
	p = v + neg;
	/* Decimal digits only: no "1k", "0x40", "1e3" or " 5". */
	if (*p == '\0')
		goto err_not_number;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto err_not_number;
		/* Saturate: anything past 2^32 is out of range anyway. */
		if (val < ((uint64_t)1 << 33))
			val = val * 10 + (uint64_t)(*p - '0');
	}
	if (neg || val < min || val > max)
		return config_err(c, config_node_line(n), path,
				  "%.24s is out of range (%u..%u)", v, min, max);
	*out = (uint32_t)val;
	return 0;

err_not_number:
	return config_err_val(c, n, path, "is not a number");
}

int config_node_ipv4(struct config_ctx *c, const yaml_node_t *n,
		     const char *path, uint32_t *out)
{
	const char *v = config_node_scalar(c, n, path, "an IPv4 address");

	if (v == NULL)
		return -1;
	if (!ipv4_parse(v, out))
		return config_err_val(c, n, path, "is not an IPv4 address");
	return 0;
}

/* Copy [s, e) without surrounding blanks into @a dst; false if too long. */
static bool copy_trimmed(const char *s, const char *e, char *dst, size_t size)
{
	while (s < e && isblank((unsigned char)*s))
		s++;
	while (e > s && isblank((unsigned char)e[-1]))
		e--;
	if ((size_t)(e - s) >= size)
		return false;
	memcpy(dst, s, (size_t)(e - s));
	dst[e - s] = '\0';
	return true;
}

/** An address range "a-b" (blanks around '-' allowed). */
int config_node_range(struct config_ctx *c, const yaml_node_t *n,
		      const char *path, uint32_t *first, uint32_t *last)
{
	char a[STP_IPV4_STRLEN], b[STP_IPV4_STRLEN];
	const char *v = config_node_scalar(c, n, path, "a range like 10.0.0.10-10.0.0.99");
	const char *dash;

	if (v == NULL)
		return -1;
	dash = strchr(v, '-');
	if (dash == NULL || !copy_trimmed(v, dash, a, sizeof(a)) ||
	    !copy_trimmed(dash + 1, v + strlen(v), b, sizeof(b)) ||
	    !ipv4_parse(a, first) || !ipv4_parse(b, last))
		return config_err_val(c, n, path, "is not a range like 10.0.0.10-10.0.0.99");
	return 0;
}

/*
 * A file name under boot.root as a client will ask for it over TFTP or
 * HTTP: relative, no ".." component, no blanks or control bytes (they do
 * not survive option 67 and URLs intact).
 */
int config_node_bootname(struct config_ctx *c, const yaml_node_t *n,
			 const char *path, char *dst, size_t size)
{
	const char *s;

	if (config_node_str(c, n, path, dst, size) < 0)
		return -1;
	if (dst[0] == '/')
		return config_err_val(c, n, path, "must be relative to boot.root (no leading /)");
	for (s = dst; *s != '\0'; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return config_err_val(c, n, path, "contains a blank or control character");
	}
	for (s = dst; *s != '\0';) {
		size_t len = strcspn(s, "/");

		if (len == 2 && s[0] == '.' && s[1] == '.')
			return config_err_val(c, n, path, "must not contain \"..\"");
		s += len;
		if (*s == '/')
			s++;
	}
	return 0;
}
