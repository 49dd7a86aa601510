/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's side of the /api/ upcalls: take requests the
 * workers passed up, answer them, send the answers back to the worker that
 * owns the connection. GET /api/v1/status sums every lcore's counters
 * (read without locks: each is a 64-bit word only its lcore writes).
 */
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "control_loop.h"
#include "http_glue.h"
#include "tftp_glue.h"
#include "upcall.h"

#define UPCALL_BATCH 32

static void put_counters(json_t *obj, const char *const *names, const uint64_t *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] != 0)
			json_object_set_new(obj, names[i], json_integer((json_int_t)v[i]));
}

static json_t *lcore_json(const struct worker *w)
{
	json_t *o = json_object(), *drops = json_object();

	json_object_set_new(o, "lcore", json_integer(w->lcore_id));
	put_counters(o, worker_counter_names, (const uint64_t *)&w->c, WORKER_N_COUNTERS);
	put_counters(drops, pkt_drop_names, w->c.drop, PKT_DROP_COUNT);
	json_object_set_new(o, "drops", drops);
	if (w->dhcp != NULL) {
		json_t *d = json_object();

		put_counters(d, dhcp_counter_names, (const uint64_t *)dhcp_server_counters(w->dhcp),
			     DHCP_N_COUNTERS);
		json_object_set_new(o, "dhcp", d);
	}
	if (w->tftp != NULL) {
		json_t *t = json_object();

		json_object_set_new(t, "active", json_integer(tftp_server_active(w->tftp->srv)));
		put_counters(t, tftp_counter_names,
			     (const uint64_t *)tftp_server_counters(w->tftp->srv), TFTP_N_COUNTERS);
		json_object_set_new(o, "tftp", t);
	}
	if (w->http != NULL) {
		const struct http_server *srv = w->http->srv;
		json_t *t = json_object(), *h = json_object();

		json_object_set_new(t, "active", json_integer(http_server_active(srv)));
		put_counters(t, tcp_counter_names,
			     (const uint64_t *)tcp_table_counters(http_server_tcp(srv)),
			     TCP_N_COUNTERS);
		put_counters(h, http_counter_names, (const uint64_t *)http_server_http_counters(srv),
			     HTTP_N_COUNTERS);
		put_counters(h, http_glue_counter_names, (const uint64_t *)&w->http->c,
			     HTTP_GLUE_N_COUNTERS);
		put_counters(h, http_server_counter_names,
			     (const uint64_t *)http_server_counters(srv), HTTP_SERVER_N_COUNTERS);
		json_object_set_new(o, "tcp", t);
		json_object_set_new(o, "http", h);
	}
	return o;
}

static json_t *status_json(const struct control *c)
{
	json_t *root = json_object(), *lcores = json_array(), *port = json_object();
	struct rte_eth_stats st;

	json_object_set_new(root, "version", json_string(STP_VERSION));
	json_object_set_new(root, "uptime_s",
			    json_integer((json_int_t)((uint64_t)time(NULL) - c->started)));
	if (rte_eth_stats_get(c->port_id, &st) == 0) {
		json_object_set_new(port, "ipackets", json_integer((json_int_t)st.ipackets));
		json_object_set_new(port, "opackets", json_integer((json_int_t)st.opackets));
		json_object_set_new(port, "ibytes", json_integer((json_int_t)st.ibytes));
		json_object_set_new(port, "obytes", json_integer((json_int_t)st.obytes));
		json_object_set_new(port, "imissed", json_integer((json_int_t)st.imissed));
	}
	json_object_set_new(root, "port", port);
	for (unsigned i = 0; i < c->n_workers; i++)
		json_array_append_new(lcores, lcore_json(c->workers[i]));
	json_object_set_new(root, "lcores", lcores);
	json_object_set_new(root, "events_applied", json_integer((json_int_t)c->events_applied));
	return root;
}

/* @a body (taken) and a newline as the answer of @a m. */
static void answer_json(struct upcall_msg *m, uint16_t status, json_t *body)
{
	size_t n = json_dumpb(body, (char *)m->data, UPCALL_DATA_MAX - 1, JSON_COMPACT);

	json_decref(body);
	if (n == 0 || n >= UPCALL_DATA_MAX - 1) {
		control_bridge_answer_too_big(m);
		return;
	}
	m->data[n++] = '\n';
	m->data_len = (uint32_t)n;
	m->status = status;
	m->json = 1;
}

static bool path_is(const struct upcall_msg *m, const char *path)
{
	size_t n = strlen(path);

	return m->target_len >= n && memcmp(m->target, path, n) == 0 &&
	       (m->target_len == n || m->target[n] == '?');
}

static void answer(const struct control *c, struct upcall_msg *m)
{
	if (path_is(m, "/api/v1/status")) {
		if (m->method == HTTP_M_GET || m->method == HTTP_M_HEAD)
			answer_json(m, 200, status_json(c));
		else
			answer_json(m, 405, json_pack("{s:s}", "error", "use GET"));
		return;
	}
	control_bridge_api(c->bridge, m);
}

unsigned control_serve_upcalls(struct control *c)
{
	struct upcall_msg *m[UPCALL_BATCH];
	unsigned n = rte_ring_sc_dequeue_burst(c->upcall_req, (void **)m, UPCALL_BATCH, NULL);

	for (unsigned i = 0; i < n; i++) {
		answer(c, m[i]);
		/* The answer ring holds as many as the pool: it cannot be full. */
		if (rte_ring_mp_enqueue(c->upcall_resp[m[i]->queue], m[i]) != 0)
			rte_mempool_put(c->upcall_mp, m[i]);
	}
	return n;
}
