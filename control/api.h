/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file api.h
 * The JSON API, independent of transport: the admin HTTP server
 * (admin_http.c, kernel socket) and the dataplane's upcall path both turn
 * a request into a struct api_request and call api_handle().
 *
 * Routes (all JSON; errors are 4xx/5xx with {"error": "..."}):
 *  imaging OS, no token, keyed by MAC:
 *   GET  /api/v1/job?mac=M               my live job (checks the job in: running)
 *   POST /api/v1/job/ID/progress         {percent, bytes, rate, message[, mac]}
 *   POST /api/v1/job/ID/done             {message[, mac]}
 *   POST /api/v1/job/ID/failed           {message[, mac]}
 *   POST /api/v1/register                {mac, name?, serial?, disk_bytes?, ...}
 *  administrators:
 *   GET|POST /api/v1/hosts, GET|PUT|DELETE /api/v1/hosts/KEY (MAC or name),
 *   POST /api/v1/hosts/import (CSV body mac,name[,group[,image]]),
 *   GET|POST /api/v1/groups, DELETE /api/v1/groups/NAME,
 *   GET|POST /api/v1/images, DELETE /api/v1/images/NAME,
 *   GET /api/v1/jobs[?state=&host=&group_job=&limit=], POST /api/v1/jobs
 *   {type, host|group, image?}, GET /api/v1/jobs/ID, DELETE /api/v1/jobs/ID
 *   (cancel), GET /api/v1/status[?since=MS], GET /api/v1/status/MAC,
 *   GET /api/v1/counters.
 *  monitoring, admin port only, Prometheus text (api_metrics.c):
 *   GET /metrics                         open, or the token when the
 *                                        control opened with metrics_token
 *
 * Authorisation: an administrator route that changes something (any
 * method but GET) needs "Authorization: Bearer <control.token>"; with no
 * token configured such calls are refused (403). Administrator reads are
 * open on the kernel socket (127.0.0.1 by default) and need the token on
 * the upcall path, which faces the boot network. Imaging routes need none.
 * GET (or HEAD) /api/v1/status is open on both: the runtime's counters
 * (control_set_counters()) for anyone, the boot timelines and summary only
 * with administrator read rights.
 *
 * Atomicity: each request runs in one SQLite transaction, rolled back on
 * any error, so a refused request leaves the database as it was.
 */
#ifndef STP_API_H
#define STP_API_H

#include <stddef.h>
#include <stdint.h>

#define API_BODY_MAX (1u << 20)   /* larger bodies: 413 */

struct control;

enum api_source {
	API_SRC_ADMIN,   /* the kernel-socket admin server */
	API_SRC_UPCALL,  /* the dataplane's HTTP port (boot network) */
};

struct api_request {
	const char *method;         /* "GET", "POST", ... */
	const char *path;           /* "/api/v1/hosts", no query */
	const char *query;          /* after '?', NULL or "" = none */
	const char *authorization;  /* the header's value, NULL = absent */
	const char *body;           /* not NUL-terminated; NULL when body_len 0 */
	size_t body_len;
	enum api_source source;
	int64_t now_ms;             /* unix milliseconds */
};

/** The answer. body is malloc'd (free with api_response_free()). */
struct api_response {
	int status;
	const char *content_type;   /* static string: JSON, or the Prometheus text */
	char *body;
	size_t body_len;
};

/**
 * Handle one request. Thread-safe: takes the control mutex, so the admin
 * HTTP thread and the control thread may call it at once.
 * @return resp->status (also on errors, which are answers, not failures)
 */
int api_handle(struct control *c, const struct api_request *req, struct api_response *resp);

void api_response_free(struct api_response *resp);

/** Nearest-rank percentile @a p (0..100) of @a v (sorted in place). 0 for n = 0. */
int64_t api_percentile(int64_t *v, size_t n, int p);

#endif
