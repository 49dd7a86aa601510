/* SPDX-License-Identifier: BSD-3-Clause */
#include "admin_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"

struct admin_http {
	struct MHD_Daemon *d;
	struct control *c;
	uint16_t port;
};

/* Per-connection upload state, across libmicrohttpd's calls. */
struct upload {
	char *buf;
	size_t len;
	bool too_big;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	/* This thread is outside any core: it may read the clock. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Answer @a status with @a body (malloc'd, taken) of @a type. */
static enum MHD_Result send_body(struct MHD_Connection *conn, int status, const char *type,
				 char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
								 MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result absorb(struct upload *u, const char *data, size_t *size)
{
	if (u->too_big || u->len + *size > API_BODY_MAX) {
		u->too_big = true; /* keep reading, drop the bytes, answer 413 */
	} else {
		char *p = realloc(u->buf, u->len + *size + 1);

		if (p == NULL)
			return MHD_NO;
		u->buf = p;
		memcpy(u->buf + u->len, data, *size);
		u->len += *size;
	}
	*size = 0;
	return MHD_YES;
}

#define QUERY_MAX 2048

/* Append "key=value" (value re-encoded where it matters) to the query. */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	char *q = cls;
	size_t n = strlen(q);

	(void)kind;
	if (n + strlen(key) + 2 >= QUERY_MAX)
		return MHD_NO;
	n += (size_t)snprintf(q + n, QUERY_MAX - n, "%s%s=", n ? "&" : "", key);
	for (const char *v = value ? value : ""; *v && n + 4 < QUERY_MAX; v++) {
		if (*v == '%' || *v == '&' || *v == '+')
			n += (size_t)snprintf(q + n, QUERY_MAX - n, "%%%02X", (unsigned char)*v);
		else
			q[n++] = *v;
	}
	q[n] = '\0';
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct admin_http *h = cls;
	struct upload *u = *con_cls;
	struct api_request req;
	struct api_response resp;
	char *query;

	(void)version;
	if (u == NULL) {
		u = calloc(1, sizeof(*u));
		*con_cls = u;
		return u ? MHD_YES : MHD_NO;
	}
	if (*upload_size)
		return absorb(u, upload_data, upload_size);
	if (u->too_big)
		return send_body(conn, 413, "application/json",
				 strdup("{\"error\":\"body over the 1 MiB limit\"}"),
				 strlen("{\"error\":\"body over the 1 MiB limit\"}"));
	/* libmicrohttpd parsed the query away: rebuild it for the router. */
	memset(&req, 0, sizeof(req));
	query = calloc(1, QUERY_MAX);
	if (query)
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, query);
	req.method = method;
	req.path = url;
	req.query = query;
	req.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	req.body = u->buf;
	req.body_len = u->len;
	req.source = API_SRC_ADMIN;
	req.now_ms = now_ms();
	api_handle(h->c, &req, &resp);
	free(query);
	return send_body(conn, resp.status,
			 resp.content_type ? resp.content_type : "application/json", resp.body,
			 resp.body_len);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (u) {
		free(u->buf);
		free(u);
		*con_cls = NULL;
	}
}

int admin_http_start(struct control *c, uint32_t addr, uint16_t port,
		     struct admin_http **out, char *err, size_t errlen)
{
	struct admin_http *h = calloc(1, sizeof(*h));
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	*out = NULL;
	if (h == NULL)
		return -ENOMEM;
	h->c = c;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(addr);
	sa.sin_port = htons(port);
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
				port, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				MHD_OPTION_CONNECTION_LIMIT, 64u,
				MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (h->d == NULL) {
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
		snprintf(err, errlen, "control.api_listen %s:%u: cannot listen", ip, port);
		free(h);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : port;
	*out = h;
	return 0;
}

uint16_t admin_http_port(const struct admin_http *h)
{
	return h->port;
}

void admin_http_stop(struct admin_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
