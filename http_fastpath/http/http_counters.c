/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file http_counters.c
 * Counter names, reason phrases, and the JSON rendering of the counters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http_counters.h"

const char *const http_counter_names[HTTP_N_COUNTERS] = {
#define X(name, help) #name,
	HTTP_COUNTERS(X)
#undef X
#define X(name, text) "method_" #name,
	HTTP_METHODS(X)
#undef X
	"status_0xx", "status_1xx", "status_2xx", "status_3xx", "status_4xx", "status_5xx",
#define X(code, reason) "status_" #code,
	HTTP_STATUSES(X)
#undef X
#define X(name, status, help) "perr_" #name,
	HTTP_PARSE_ERRORS(X)
#undef X
};

static const uint16_t status_codes[HTTP_S_N] = {
#define X(code, reason) code,
	HTTP_STATUSES(X)
#undef X
};

static const char *const status_reasons[HTTP_S_N] = {
#define X(code, reason) reason,
	HTTP_STATUSES(X)
#undef X
};

/* Codes control may answer upcalls with, beyond those counted singly. */
static const struct { uint16_t code; const char *reason; } more_reasons[] = {
	{ 100, "Continue" }, { 201, "Created" }, { 202, "Accepted" },
	{ 204, "No Content" }, { 403, "Forbidden" }, { 409, "Conflict" },
	{ 411, "Length Required" }, { 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" }, { 502, "Bad Gateway" }, { 504, "Gateway Timeout" },
};

const char *http_reason(uint16_t status)
{
	for (unsigned i = 0; i < HTTP_S_N; i++)
		if (status_codes[i] == status)
			return status_reasons[i];
	for (unsigned i = 0; i < sizeof(more_reasons) / sizeof(more_reasons[0]); i++)
		if (more_reasons[i].code == status)
			return more_reasons[i].reason;
	return "";
}

void http_counters_resp(struct http_counters *c, uint16_t status, uint64_t body_bytes)
{
	if (c == NULL)
		return;
	c->responses++;
	c->body_bytes += body_bytes;
	if (status / 100 < 6)
		c->status_class[status / 100]++;
	for (unsigned i = 0; i < HTTP_S_N; i++)
		if (status_codes[i] == status)
			c->status[i]++;
}

int http_counters_json(const struct http_counters *c, char *buf, size_t cap)
{
	const uint64_t *v = (const uint64_t *)c;
	size_t o = 0;

	for (size_t i = 0; i < HTTP_N_COUNTERS; i++) {
		int n;

		if (o >= cap)
			return -ENOSPC;
		n = snprintf(buf + o, cap - o, "%s\"%s\":%llu", i ? "," : "{",
			     http_counter_names[i], (unsigned long long)v[i]);
		if (n < 0 || (size_t)n >= cap - o)
			return -ENOSPC;
		o += (size_t)n;
	}
	if (cap - o < 2)
		return -ENOSPC;
	buf[o++] = '}';
	buf[o] = '\0';
	return (int)o;
}
