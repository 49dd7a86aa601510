/* SPDX-License-Identifier: BSD-3-Clause */
/* The Prometheus text exposition format 0.0.4 writer (prom.h). */
#include "prom.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_FIRST_CAP 4096

void prom_init(struct prom_out *o)
{
	memset(o, 0, sizeof(*o));
}

void prom_free(struct prom_out *o)
{
	free(o->buf);
	prom_init(o);
}

char *prom_take(struct prom_out *o, size_t *len)
{
	char *t;

	*len = 0;
	if (o->failed) {
		prom_free(o);
		return NULL;
	}
	t = o->buf != NULL ? o->buf : strdup("");
	*len = o->len;
	prom_init(o);
	return t;
}

/* Room for @a need more bytes and the NUL. */
static bool reserve(struct prom_out *o, size_t need)
{
	size_t cap = o->cap ? o->cap : PROM_FIRST_CAP;
	char *p;

	if (o->failed)
		return false;
	if (o->len + need < o->cap)
		return true;
	while (o->len + need >= cap)
		cap *= 2;
	p = realloc(o->buf, cap);
	if (p == NULL) {
		o->failed = true;
		return false;
	}
	o->buf = p;
	o->cap = cap;
	return true;
}

static void put(struct prom_out *o, const char *s, size_t n)
{
	if (!reserve(o, n))
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_str(struct prom_out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putf(struct prom_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct prom_out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	/* Only numbers go through here: they fit. */
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static bool name_char(char ch, bool first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':' ||
	       (!first && ch >= '0' && ch <= '9');
}

/* @a in made a valid metric or label name into @a out (cut to @a cap). */
static void valid_name(char *out, size_t cap, const char *in)
{
	size_t n = 0;

	if (!name_char(in[0], true) && n + 1 < cap)
		out[n++] = '_'; /* "2xx" -> "_2xx"; "" -> "_" */
	for (const char *p = in; *p && n + 1 < cap; p++)
		out[n++] = name_char(*p, false) ? *p : '_';
	out[n] = '\0';
}

/* The escapes of the format: HELP text escapes '\' and newline; label
 * values also '"'. */
static void put_escaped(struct prom_out *o, const char *s, bool quote)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\\')
			put_str(o, "\\\\");
		else if (*p == '\n')
			put_str(o, "\\n");
		else if (*p == '"' && quote)
			put_str(o, "\\\"");
		else
			put(o, p, 1);
	}
}

static bool ends_with(const char *s, const char *tail)
{
	size_t ls = strlen(s), lt = strlen(tail);

	return ls >= lt && strcmp(s + ls - lt, tail) == 0;
}

void prom_family(struct prom_out *o, const char *name, const char *help, enum prom_type type)
{
	static const char *const type_names[] = { "counter", "gauge", "histogram" };
	char full[PROM_NAME_MAX];

	valid_name(full, sizeof(full) - 6, name);
	if (type == PROM_COUNTER && !ends_with(full, "_total"))
		strcat(full, "_total"); /* room kept above */
	if (strcmp(full, o->family) == 0)
		return;
	memcpy(o->family, full, sizeof(full));
	o->type = type;
	put_str(o, "# HELP ");
	put_str(o, full);
	put(o, " ", 1);
	put_escaped(o, help ? help : "", false);
	put_str(o, "\n# TYPE ");
	put_str(o, full);
	put(o, " ", 1);
	put_str(o, type_names[type]);
	put(o, "\n", 1);
}

/* "name[suffix]{l1="v1",...[,le="x"]}" without the value. */
static void put_series(struct prom_out *o, const char *suffix, const struct prom_label *l,
		       unsigned n, const char *le)
{
	char name[PROM_NAME_MAX];

	put_str(o, o->family);
	put_str(o, suffix);
	if (n == 0 && le == NULL)
		return;
	put(o, "{", 1);
	for (unsigned i = 0; i < n; i++) {
		valid_name(name, sizeof(name), l[i].name);
		if (i > 0)
			put(o, ",", 1);
		put_str(o, name);
		put_str(o, "=\"");
		put_escaped(o, l[i].value ? l[i].value : "", true);
		put(o, "\"", 1);
	}
	if (le != NULL) {
		put_str(o, n > 0 ? ",le=\"" : "le=\"");
		put_str(o, le);
		put(o, "\"", 1);
	}
	put(o, "}", 1);
}

void prom_sample(struct prom_out *o, const struct prom_label *labels, unsigned n_labels,
		 uint64_t value)
{
	put_series(o, "", labels, n_labels, NULL);
	putf(o, " %llu\n", (unsigned long long)value);
}

/* The shortest decimal that reads back as @a v ("0.25", not
 * "0.25000000000000000"), as a bucket bound or a value. */
static void fmt_double(char *out, size_t cap, double v)
{
	/* Whole numbers as integers: %g would write 10 as "1e+01". */
	if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v) {
		snprintf(out, cap, "%lld", (long long)v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, cap, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

void prom_sample_double(struct prom_out *o, const struct prom_label *labels,
			unsigned n_labels, double value)
{
	char num[40];

	fmt_double(num, sizeof(num), value);
	put_series(o, "", labels, n_labels, NULL);
	put(o, " ", 1);
	put_str(o, num);
	put(o, "\n", 1);
}

void prom_histogram(struct prom_out *o, const struct prom_label *labels, unsigned n_labels,
		    const struct prom_hist *h)
{
	uint64_t cum = 0;
	char le[40];

	for (unsigned i = 0; i <= h->n_le; i++) {
		cum += h->count[i];
		if (i < h->n_le)
			fmt_double(le, sizeof(le), h->le[i]);
		put_series(o, "_bucket", labels, n_labels, i < h->n_le ? le : "+Inf");
		putf(o, " %llu\n", (unsigned long long)cum);
	}
	fmt_double(le, sizeof(le), h->sum);
	put_series(o, "_sum", labels, n_labels, NULL);
	put(o, " ", 1);
	put_str(o, le);
	put(o, "\n", 1);
	put_series(o, "_count", labels, n_labels, NULL);
	putf(o, " %llu\n", (unsigned long long)cum);
}
