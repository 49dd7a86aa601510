/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_range.c
 * Single byte-range requests (RFC 9110 sec 14.1.2, 14.2). See http_range.h.
 */
#include <stdbool.h>
#include <stddef.h>

#include "http_parse.h"
#include "http_range.h"

/** Decimal digits at *i, saturating; false when there are none. */
static bool digits(struct span s, size_t *i, uint64_t *v)
{
	size_t start = *i;

	*v = 0;
	while (*i < s.len && s.p[*i] >= '0' && s.p[*i] <= '9') {
		uint64_t d = (uint64_t)(s.p[*i] - '0');

		*v = *v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : *v * 10 + d;
		(*i)++;
	}
	return *i > start;
}

/** The single range-spec after "bytes=", OWS around it allowed (a 1#list). */
static struct span single_spec(struct span set, bool *several)
{
	struct span spec = span_make(NULL, 0);
	size_t i = 0;

	*several = false;
	while (i <= set.len) {
		size_t start = i, a, b;

		while (i < set.len && set.p[i] != ',')
			i++;
		a = start;
		b = i;
		while (a < b && (set.p[a] == ' ' || set.p[a] == '\t'))
			a++;
		while (b > a && (set.p[b - 1] == ' ' || set.p[b - 1] == '\t'))
			b--;
		i++;
		if (a == b)
			continue;       /* empty list elements are allowed, sec 5.6.1 */
		if (spec.p != NULL)
			*several = true;
		else
			spec = span_make(set.p + a, b - a);
	}
	return spec;
}

enum http_range_rc http_range_resolve(struct span value, uint64_t size,
				      uint64_t *off, uint64_t *len)
{
	uint64_t first = 0, last = UINT64_MAX;
	bool several, has_first, has_last;
	struct span spec;
	size_t i = 0;

	if (value.len < 6 || !http_span_ieq(span_make(value.p, 6), "bytes="))
		return HTTP_RANGE_NONE;
	spec = single_spec(span_make(value.p + 6, value.len - 6), &several);
	if (spec.p == NULL || several)
		return HTTP_RANGE_NONE;
	has_first = digits(spec, &i, &first);
	if (i == spec.len || spec.p[i] != '-')
		return HTTP_RANGE_NONE;
	i++;
	has_last = digits(spec, &i, &last);
	if (i != spec.len || (!has_first && !has_last))
		return HTTP_RANGE_NONE;
	if (!has_first) {                       /* suffix: the last n bytes */
		if (last == 0)
			return HTTP_RANGE_UNSAT;
		if (size == 0)
			return HTTP_RANGE_NONE;
		*len = last < size ? last : size;
		*off = size - *len;
		return HTTP_RANGE_OK;
	}
	if (has_last && last < first)
		return HTTP_RANGE_NONE;         /* invalid range-spec: ignored */
	if (first >= size)
		return HTTP_RANGE_UNSAT;
	if (!has_last || last >= size)
		last = size - 1;
	*off = first;
	*len = last - first + 1;
	return HTTP_RANGE_OK;
}
