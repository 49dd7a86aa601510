/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTP server core through its public interface only: crafted TCP
 * segments from simulated clients in, the frames and application actions
 * it produces out, an explicit clock. A whole GET with its FIN, pipelined
 * requests behind upcalls that control answers out of order, a stale
 * answer, 408 on a slow head, keep-alive idle close, every split of a
 * request stream, pins matched by unpins, boot-stage reports, and 10,000
 * connections whose deadlines cost nothing until they are due. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"
#include "http_server.h"

#define SEC 1000000ull
#define T0 (1000 * SEC)
#define WALL0 (1700000000ull * SEC)
#define SIP 0x0a000001u
#define CIP 0x0a000032u
#define PORT0 40000
#define HEAD_TIMEOUT (5 * SEC)
#define IDLE_TIMEOUT (30 * SEC)
#define BIG_LEN (150 * 1000 + 17)
#define N_ACT 512
#define N_HTTP_ACT 256

/* ---- objects ---- */

static uint8_t big_data[BIG_LEN];
static const char small_data[] = "hello, storm\n";
static const char script_data[] = "#!ipxe\nchain http://10.0.0.1/boot/x.ipxe\n";
static struct stp_object objs[3];

static const struct stp_object *lookup(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	for (unsigned i = 0; i < 3; i++)
		if (strlen(objs[i].name) == len && memcmp(objs[i].name, name, len) == 0)
			return &objs[i];
	return NULL;
}

static void obj_init(struct stp_object *o, const char *name, const void *data, size_t len,
		     uint32_t flags)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->data = data;
	o->len = len;
	o->mtime = 1600000000;
	snprintf(o->etag, sizeof(o->etag), "\"%s-%zx\"", name, len);
	o->flags = flags;
}

/* ---- simulated clients ---- */

struct peer {
	uint16_t port;
	uint32_t snd_nxt;          /* our next sequence number */
	uint32_t rcv_nxt;          /* next byte expected from the server */
	uint8_t *rx;
	size_t rx_len, rx_cap;
	bool synack, fin, rst, owe_ack;
};

struct fx {
	struct http_server *s;
	struct tcp_act tact[N_ACT];
	struct http_act hact[N_HTTP_ACT];
	struct http_out out;
	uint64_t now;
	struct peer *peers;
	unsigned n_peers;
	unsigned pins, pins_drained, unpins, served, served_boot;
	struct http_act upcall[16];
	char upcall_target[16][64];
	char upcall_body[16][64];
	unsigned n_upcalls;
	uint64_t tcp_frames;
};

static struct http_server_cfg cfg_for(uint32_t capacity, uint32_t rx_buf, uint32_t tx_buf)
{
	struct http_server_cfg c = {
		.tcp = { .capacity = capacity, .local_ip = SIP, .local_port = 80, .mss = 1460,
			 .rx_buf = rx_buf, .tx_buf = tx_buf, .timing = TCP_TIMING_DEFAULT },
		.site = { .lookup = lookup, .server = "stampede/test", .keepalive = true,
			  .head_timeout_us = HEAD_TIMEOUT, .idle_timeout_us = IDLE_TIMEOUT,
			  .lim = HTTP_LIMITS_DEFAULT },
		.wall_offset_us = WALL0 - T0,
		.upcall_target_max = 200,
		.upcall_body_max = 4096,
	};

	memcpy(c.tcp.secret, "0123456789abcdef", 16);
	return c;
}

static struct fx *fx_new_cfg(const struct http_server_cfg *c, unsigned n_peers, size_t peer_rx)
{
	struct fx *f = calloc(1, sizeof(*f));

	for (size_t i = 0; i < BIG_LEN; i++)
		big_data[i] = (uint8_t)(i * 131 + (i >> 9));
	obj_init(&objs[0], "big.bin", big_data, BIG_LEN, 0);
	obj_init(&objs[1], "small.txt", small_data, sizeof(small_data) - 1, 0);
	obj_init(&objs[2], "boot.ipxe", script_data, sizeof(script_data) - 1, OBJ_F_BOOT_STAGE);
	f->s = http_server_create(c);
	assert_non_null(f->s);
	f->out = (struct http_out){ { f->tact, N_ACT, 0 }, f->hact, N_HTTP_ACT, 0 };
	f->now = T0;
	f->n_peers = n_peers;
	f->peers = calloc(n_peers, sizeof(*f->peers));
	for (unsigned i = 0; i < n_peers; i++) {
		f->peers[i].port = (uint16_t)(PORT0 + i);
		f->peers[i].snd_nxt = 1000u + i * 7919u;
		f->peers[i].rx_cap = peer_rx;
		f->peers[i].rx = malloc(peer_rx);
	}
	return f;
}

static struct fx *fx_new(uint32_t capacity, unsigned n_peers, uint32_t rx_buf, uint32_t tx_buf,
			 size_t peer_rx)
{
	struct http_server_cfg c = cfg_for(capacity, rx_buf, tx_buf);

	return fx_new_cfg(&c, n_peers, peer_rx);
}

static void fx_free(struct fx *f)
{
	http_server_destroy(f->s);
	for (unsigned i = 0; i < f->n_peers; i++)
		free(f->peers[i].rx);
	free(f->peers);
	free(f);
}

static unsigned run_out(struct fx *f);

/* A segment from peer @a p: MSS option on a SYN, 64 KB window. */
static void send_seg(struct fx *f, struct peer *p, uint8_t flags, const void *data, size_t len)
{
	uint8_t b[20 + 4 + 2048];
	size_t hl = (flags & TCP_SYN) ? 24 : 20;
	struct tcp_seg_in seg;
	int rc;

	assert_true(len <= 2048);
	memset(b, 0, hl);
	put_be16(b, p->port);
	put_be16(b + 2, 80);
	put_be32(b + 4, p->snd_nxt);
	put_be32(b + 8, (flags & TCP_ACK) ? p->rcv_nxt : 0);
	b[12] = (uint8_t)((hl / 4) << 4);
	b[13] = flags;
	put_be16(b + 14, 65535);
	if (hl == 24) {
		b[20] = 2;
		b[21] = 4;
		put_be16(b + 22, 1460);
	}
	if (len > 0)
		memcpy(b + hl, data, len);
	seg = (struct tcp_seg_in){ CIP, SIP, span_make(b, hl + len) };
	rc = http_server_input(f->s, &seg, f->now, &f->out);
	assert_int_equal(rc, 0);
	p->snd_nxt += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1u : 0u);
	run_out(f); /* as the glue does: spans die with the next call */
}

static struct peer *peer_of(struct fx *f, uint16_t port)
{
	assert_true(port >= PORT0 && port < PORT0 + f->n_peers);
	return &f->peers[port - PORT0];
}

static void deliver(struct fx *f, const struct tcp_act *a)
{
	struct peer *p = peer_of(f, a->dst_port);
	const uint8_t *pl = a->pl_kind == TCP_PL_BYTES ? a->pl.bytes
			    : a->pl_kind == TCP_PL_OBJECT ? a->pl.o.obj->data + a->pl.o.off : NULL;

	f->tcp_frames++;
	if (a->flags & TCP_RST) {
		p->rst = true;
		return;
	}
	if (a->flags & TCP_SYN) {
		p->synack = true;
		p->rcv_nxt = a->seq + 1;
		p->owe_ack = true;
		return;
	}
	if (a->seq != p->rcv_nxt || a->pl_len == 0) {
		if (a->pl_len == 0 && (a->flags & TCP_FIN) && a->seq == p->rcv_nxt) {
			p->rcv_nxt++;
			p->fin = true;
			p->owe_ack = true;
		}
		return; /* no loss here: anything else is a pure ACK */
	}
	assert_true(p->rx_len + a->pl_len <= p->rx_cap);
	memcpy(p->rx + p->rx_len, pl, a->pl_len);
	p->rx_len += a->pl_len;
	p->rcv_nxt += a->pl_len;
	p->owe_ack = true;
	if (a->flags & TCP_FIN) {
		p->rcv_nxt++;
		p->fin = true;
	}
}

static void take_app(struct fx *f, const struct http_act *a)
{
	switch (a->kind) {
	case HTTP_ACT_PIN:
		f->pins++;
		if (a->flags & HTTP_PIN_DRAINED)
			f->pins_drained++;
		break;
	case HTTP_ACT_UNPIN:
		f->unpins++;
		break;
	case HTTP_ACT_SERVED:
		f->served++;
		f->served_boot += (a->obj->flags & OBJ_F_BOOT_STAGE) != 0;
		break;
	case HTTP_ACT_UPCALL:
		assert_true(f->n_upcalls < 16);
		f->upcall[f->n_upcalls] = *a;
		snprintf(f->upcall_target[f->n_upcalls], 64, "%.*s", (int)a->target.len,
			 (const char *)a->target.p);
		snprintf(f->upcall_body[f->n_upcalls], 64, "%.*s", (int)a->body.len,
			 (const char *)a->body.p);
		f->n_upcalls++;
		break;
	default:
		fail_msg("unknown action %u", a->kind);
	}
}

/* Carry out what the server produced: frames to the peers, app actions. */
static unsigned run_out(struct fx *f)
{
	unsigned n = f->out.tcp.n + f->out.act_n;

	for (unsigned i = 0; i < f->out.tcp.n; i++)
		if (f->tact[i].kind == TCP_ACT_SEND && f->tact[i].dst_ip == CIP)
			deliver(f, &f->tact[i]);
	for (unsigned i = 0; i < f->out.act_n; i++)
		take_app(f, &f->hact[i]);
	f->out.tcp.n = 0;
	f->out.act_n = 0;
	return n;
}

/* Poll and let the peers ACK until nothing moves. */
static void settle(struct fx *f)
{
	for (int round = 0; round < 100000; round++) {
		unsigned moved = run_out(f);

		http_server_poll(f->s, f->now, &f->out);
		moved += run_out(f);
		for (unsigned i = 0; i < f->n_peers; i++) {
			struct peer *p = &f->peers[i];

			if (p->owe_ack && !p->rst) {
				p->owe_ack = false;
				send_seg(f, p, TCP_ACK, NULL, 0);
				moved++;
			}
		}
		if (moved == 0)
			return;
	}
	fail_msg("the server never settled");
}

static void connect_peer(struct fx *f, struct peer *p)
{
	send_seg(f, p, TCP_SYN, NULL, 0);
	run_out(f);
	assert_true(p->synack);
	p->owe_ack = false;
	send_seg(f, p, TCP_ACK, NULL, 0);
	run_out(f);
}

static void send_str(struct fx *f, struct peer *p, const char *s)
{
	send_seg(f, p, TCP_ACK | TCP_PSH, s, strlen(s));
}

static bool rx_has(const struct peer *p, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= p->rx_len; i++)
		if (memcmp(p->rx + i, needle, n) == 0)
			return true;
	return false;
}

static size_t rx_find(const struct peer *p, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= p->rx_len; i++)
		if (memcmp(p->rx + i, needle, n) == 0)
			return i;
	return SIZE_MAX;
}

/* ---- tests ---- */

static void test_get_close(void **state)
{
	struct fx *f = fx_new(8, 1, 4096, 8192, 1 << 20);
	struct peer *p = &f->peers[0];
	size_t body;

	(void)state;
	connect_peer(f, p);
	send_str(f, p, "GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	settle(f);
	assert_true(p->fin);
	assert_false(p->rst);
	assert_true(rx_has(p, "HTTP/1.1 200 OK\r\n"));
	assert_true(rx_has(p, "Content-Length: 150017\r\n"));
	assert_true(rx_has(p, "Connection: close\r\n"));
	body = rx_find(p, "\r\n\r\n") + 4;
	assert_int_equal(p->rx_len - body, BIG_LEN);
	assert_memory_equal(p->rx + body, big_data, BIG_LEN);
	assert_int_equal(f->pins, 1);
	assert_int_equal(f->served, 0); /* not a boot-stage object */
	/* our FIN: the connection closes, its pin goes */
	send_seg(f, p, TCP_ACK | TCP_FIN, NULL, 0);
	settle(f);
	f->now += 2 * SEC; /* TIME_WAIT */
	settle(f);
	assert_int_equal(f->unpins, 1);
	assert_int_equal(http_server_active(f->s), 0);
	assert_int_equal(http_server_http_counters(f->s)->status[HTTP_S_200], 1);
	fx_free(f);
}

static void test_boot_stage_reported(void **state)
{
	struct fx *f = fx_new(8, 1, 4096, 8192, 1 << 20);
	struct peer *p = &f->peers[0];

	(void)state;
	connect_peer(f, p);
	send_str(f, p, "GET /boot.ipxe HTTP/1.1\r\nHost: x\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
		       "HEAD /boot.ipxe HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
	settle(f);
	assert_true(rx_has(p, script_data));
	assert_true(rx_has(p, "HTTP/1.1 404"));
	/* the GET of the script; not its HEAD, small.txt or a 404 */
	assert_int_equal(f->served, 1);
	assert_int_equal(f->served_boot, 1);
	assert_int_equal(http_server_counters(f->s)->served_reports, 1);
	/* a PIN per object (the script, small.txt); pipelined, so the second
	 * came while the first was unacknowledged: not drained */
	assert_int_equal(f->pins, 2);
	assert_int_equal(f->pins_drained, 1);
	fx_free(f);
}

/* A keep-alive connection asks again once everything came: the new
 * object's PIN says the old one's pin may go (no version held for the
 * connection's life while control publishes new ones). */
static void test_pin_drained_between_requests(void **state)
{
	struct fx *f = fx_new(8, 1, 4096, 8192, 1 << 20);
	struct peer *p = &f->peers[0];

	(void)state;
	connect_peer(f, p);
	send_str(f, p, "GET /boot.ipxe HTTP/1.1\r\nHost: x\r\n\r\n");
	settle(f);
	assert_true(rx_has(p, script_data));
	assert_int_equal(f->pins, 1);
	assert_int_equal(f->pins_drained, 1);  /* the first: nothing before it */
	send_str(f, p, "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
	settle(f);
	assert_int_equal(f->pins, 2);
	assert_int_equal(f->pins_drained, 2);
	assert_int_equal(f->unpins, 0);
	fx_free(f);
}

static void test_upcalls_out_of_order(void **state)
{
	struct fx *f = fx_new(8, 2, 4096, 8192, 1 << 20);
	struct peer *a = &f->peers[0], *b = &f->peers[1];
	size_t ans, file;
	int rc;

	(void)state;
	connect_peer(f, a);
	connect_peer(f, b);
	send_str(f, a, "GET /api/v1/job?mac=a HTTP/1.1\r\nHost: x\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
	send_str(f, b, "POST /api/v1/progress HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n50%");
	settle(f);
	assert_int_equal(f->n_upcalls, 2);
	assert_string_equal(f->upcall_target[0], "/api/v1/job?mac=a");
	assert_string_equal(f->upcall_target[1], "/api/v1/progress");
	assert_string_equal(f->upcall_body[1], "50%");
	assert_int_equal(f->upcall[1].method, HTTP_M_POST);
	assert_int_equal(f->upcall[0].peer_ip, CIP);
	/* nothing for A's pipelined GET until control answers */
	assert_false(rx_has(a, "HTTP/1.1"));
	/* control answers B first, then A */
	rc = http_server_upcall_answer(f->s, f->upcall[1].slot, f->upcall[1].serial, 200, true,
				       span_cstr("{\"ok\":true}\n"), f->now, &f->out);
	assert_int_equal(rc, 0);
	settle(f);
	assert_true(rx_has(b, "{\"ok\":true}"));
	/* Date from the explicit clock (WALL0), in seconds */
	assert_true(rx_has(b, "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"));
	assert_false(rx_has(a, "HTTP/1.1"));
	rc = http_server_upcall_answer(f->s, f->upcall[0].slot, f->upcall[0].serial, 404, true,
				       span_cstr("{\"error\":\"no job\"}\n"), f->now, &f->out);
	assert_int_equal(rc, 0);
	settle(f);
	ans = rx_find(a, "HTTP/1.1 404");
	file = rx_find(a, "HTTP/1.1 200");
	assert_true(ans != SIZE_MAX && file != SIZE_MAX && ans < file);
	assert_true(rx_has(a, small_data));
	/* a second answer for the same use is stale */
	rc = http_server_upcall_answer(f->s, f->upcall[0].slot, f->upcall[0].serial, 200, true,
				       span_cstr("{}\n"), f->now, &f->out);
	assert_int_equal(rc, -ESTALE);
	assert_int_equal(http_server_counters(f->s)->upcall_stale, 1);
	assert_int_equal(http_server_counters(f->s)->upcalls_passed, 2);
	fx_free(f);
}

static void test_upcall_busy_and_too_large(void **state)
{
	struct fx *f = fx_new(8, 2, 4096, 8192, 1 << 20);
	struct peer *a = &f->peers[0], *b = &f->peers[1];
	char big[1200];

	(void)state;
	connect_peer(f, a);
	connect_peer(f, b);
	send_str(f, a, "GET /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n");
	settle(f);
	assert_int_equal(f->n_upcalls, 1);
	/* the glue found control's ring full */
	assert_int_equal(http_server_upcall_busy(f->s, f->upcall[0].slot, f->upcall[0].serial,
						 f->now, &f->out), 0);
	settle(f);
	assert_true(rx_has(a, "HTTP/1.1 503"));
	assert_true(rx_has(a, "{\"error\":\"control busy\"}"));
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /api/", 9);
	snprintf(big + 230, sizeof(big) - 230, " HTTP/1.1\r\nHost: x\r\n\r\n");
	send_str(f, b, big);
	settle(f);
	assert_int_equal(f->n_upcalls, 1);
	assert_true(rx_has(b, "HTTP/1.1 413"));
	assert_int_equal(http_server_counters(f->s)->upcall_busy, 1);
	assert_int_equal(http_server_counters(f->s)->upcall_too_large, 1);
	assert_int_equal(http_server_counters(f->s)->upcalls_passed, 0);
	fx_free(f);
}

static void test_slow_head_408(void **state)
{
	struct fx *f = fx_new(8, 1, 4096, 8192, 1 << 20);
	struct peer *p = &f->peers[0];

	(void)state;
	connect_peer(f, p);
	send_str(f, p, "GET /small.txt HTTP/1.1\r\nHo");
	settle(f);
	f->now += HEAD_TIMEOUT - 1;
	settle(f);
	assert_int_equal(p->rx_len, 0);
	f->now += 2;
	settle(f);
	assert_true(rx_has(p, "HTTP/1.1 408 Request Timeout\r\n"));
	assert_true(p->fin);
	assert_int_equal(http_server_http_counters(f->s)->head_timeouts, 1);
	fx_free(f);
}

static void test_idle_close(void **state)
{
	struct fx *f = fx_new(8, 1, 4096, 8192, 1 << 20);
	struct peer *p = &f->peers[0];
	size_t before;

	(void)state;
	connect_peer(f, p);
	send_str(f, p, "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
	settle(f);
	before = p->rx_len;
	assert_true(before > 0);
	/* a second request half-way restarts the idle clock */
	f->now += IDLE_TIMEOUT / 2;
	send_str(f, p, "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
	settle(f);
	before = p->rx_len;
	f->now += IDLE_TIMEOUT - 1;
	settle(f);
	assert_false(p->fin);
	f->now += 2;
	settle(f);
	assert_true(p->fin);
	assert_int_equal(p->rx_len, before); /* closed without a word */
	assert_int_equal(http_server_http_counters(f->s)->idle_timeouts, 1);
	fx_free(f);
}

/* What the client receives does not depend on how its bytes were cut. */
static void test_every_split(void **state)
{
	static const char req[] = "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
				  "GET /boot.ipxe HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
				  "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=5-9\r\n\r\n";
	size_t n = sizeof(req) - 1;
	uint8_t ref[8192];
	size_t ref_len = 0;

	(void)state;
	for (size_t cut = 0; cut <= n; cut++) {
		struct fx *f = fx_new(4, 1, 4096, 8192, 1 << 16);
		struct peer *p = &f->peers[0];

		connect_peer(f, p);
		if (cut > 0)
			send_seg(f, p, TCP_ACK, req, cut);
		settle(f);
		if (cut < n)
			send_seg(f, p, TCP_ACK, req + cut, n - cut);
		settle(f);
		if (cut == 0) {
			assert_true(p->rx_len < sizeof(ref));
			memcpy(ref, p->rx, p->rx_len);
			ref_len = p->rx_len;
			assert_true(rx_has(p, "HTTP/1.1 200 OK"));
			assert_true(rx_has(p, "Content-Range: bytes 5-9/150017"));
		} else {
			assert_int_equal(p->rx_len, ref_len);
			assert_memory_equal(p->rx, ref, ref_len);
		}
		assert_int_equal(http_server_http_counters(f->s)->requests, 3);
		fx_free(f);
	}
}

/* 10,000 idle connections: a poll before any deadline visits no slot. */
static void test_many_deadlines(void **state)
{
	enum { N = 10000 };
	struct fx *f = fx_new(N, N, 1024, 1024, 512);
	const struct http_server_counters *sc = http_server_counters(f->s);
	uint64_t visits;
	unsigned fins = 0;

	(void)state;
	for (unsigned i = 0; i < N; i++) {
		connect_peer(f, &f->peers[i]);
		f->now += 100; /* deadlines spread over a second */
	}
	assert_int_equal(http_server_active(f->s), N);
	visits = sc->deadline_visits;
	for (int i = 0; i < 1000; i++) {
		http_server_poll(f->s, f->now, &f->out);
		assert_int_equal(run_out(f), 0);
	}
	assert_int_equal(sc->deadline_visits, visits);
	assert_true(http_server_deadline(f->s) > f->now);
	assert_true(http_server_deadline(f->s) <= T0 + IDLE_TIMEOUT);
	/* every one of them comes due */
	f->now = T0 + IDLE_TIMEOUT + 2 * SEC;
	settle(f);
	for (unsigned i = 0; i < N; i++)
		fins += f->peers[i].fin;
	assert_int_equal(fins, N);
	assert_int_equal(http_server_http_counters(f->s)->idle_timeouts, N);
	assert_true(sc->deadline_visits - visits >= N);
	assert_true(sc->deadline_visits - visits <= 2 * N);
	fx_free(f);
}


/* ---- admission ---- */

#define LARGE_MIN (100 * 1000) /* big.bin is large; small.txt and the script are not */

static struct fx *fx_admission(unsigned n_peers, uint32_t max_transfers, uint64_t est_us,
			       uint64_t seed)
{
	struct http_server_cfg c = cfg_for(64, 4096, 8192);

	c.max_transfers = max_transfers;
	c.large_min = LARGE_MIN;
	c.transfer_est_us = est_us;
	c.seed = seed;
	return fx_new_cfg(&c, n_peers, 1 << 20);
}

/* The Retry-After value of the last 503 peer @a p received, 0 if none. */
static unsigned last_retry_after(const struct peer *p)
{
	static const char key[] = "Retry-After: ";
	unsigned v = 0;

	for (size_t i = 0; i + sizeof(key) - 1 <= p->rx_len; i++) {
		if (memcmp(p->rx + i, key, sizeof(key) - 1) != 0)
			continue;
		v = 0;
		for (size_t k = i + sizeof(key) - 1; k < p->rx_len && p->rx[k] >= '0' &&
		     p->rx[k] <= '9'; k++)
			v = v * 10 + (unsigned)(p->rx[k] - '0');
	}
	return v;
}

static unsigned count_of(const struct peer *p, const char *needle)
{
	size_t n = strlen(needle);
	unsigned c = 0;

	for (size_t i = 0; i + n <= p->rx_len; i++)
		c += memcmp(p->rx + i, needle, n) == 0;
	return c;
}

/* A GET sent while the peers ACK nothing: its transfer stays in flight. */
static void get_big(struct fx *f, struct peer *p)
{
	send_str(f, p, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
}

/* Budget 2: the third large GET waits, small objects never do, and a
 * transfer acknowledged lets the next one in. */
static void test_admission_budget(void **state)
{
	struct fx *f = fx_admission(3, 2, 0, 1);
	const struct http_server_counters *sc = http_server_counters(f->s);
	struct peer *c = &f->peers[2];

	(void)state;
	for (unsigned i = 0; i < 3; i++)
		connect_peer(f, &f->peers[i]);
	for (unsigned i = 0; i < 3; i++)
		get_big(f, &f->peers[i]);
	assert_true(rx_has(&f->peers[0], "HTTP/1.1 200 OK\r\n"));
	assert_true(rx_has(&f->peers[1], "HTTP/1.1 200 OK\r\n"));
	assert_true(rx_has(c, "HTTP/1.1 503 Service Unavailable\r\n"));
	assert_true(last_retry_after(c) >= 1);
	assert_true(rx_has(c, "503 Service Unavailable\n")); /* the short body */
	assert_false(rx_has(c, "Connection: close"));        /* it may retry on it */
	assert_int_equal(sc->admission_503, 1);
	assert_int_equal(sc->transfers_started, 2);
	assert_int_equal(sc->transfers_in_flight, 2);
	assert_int_equal(http_server_http_counters(f->s)->status[HTTP_S_503], 1);
	/* a script and a small file are served whatever the budget */
	send_str(f, c, "GET /boot.ipxe HTTP/1.1\r\nHost: x\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(rx_has(c, script_data));
	assert_true(rx_has(c, small_data));
	assert_int_equal(sc->transfers_in_flight, 2);
	/* an ACK of the first window is not the end of the body */
	f->peers[0].owe_ack = false;
	send_seg(f, &f->peers[0], TCP_ACK, NULL, 0);
	assert_int_equal(sc->transfers_in_flight, 2);
	/* the peers acknowledge everything: both transfers are done */
	settle(f);
	assert_int_equal(sc->transfers_done, 2);
	assert_int_equal(sc->transfers_in_flight, 0);
	/* the retry is admitted and carries the whole object */
	get_big(f, c);
	settle(f);
	assert_int_equal(count_of(c, "HTTP/1.1 200 OK\r\n"), 3);
	assert_memory_equal(c->rx + c->rx_len - BIG_LEN, big_data, BIG_LEN);
	assert_int_equal(sc->admission_503, 1);
	assert_int_equal(sc->transfers_done, 3);
	assert_int_equal(sc->transfers_in_flight, 0);
	fx_free(f);
}

/* Retry-After is the queue ahead (in flight / budget x one transfer's
 * time) plus a jitter below that, the same for the same seed. */
static void test_admission_retry_after_jitter(void **state)
{
	enum { N = 24 };
	unsigned ra[2][N], seen[32] = { 0 }, distinct = 0;

	(void)state;
	for (int run = 0; run < 2; run++) {
		/* one transfer in flight, budget 1, 10 s a transfer: 10..20 s */
		struct fx *f = fx_admission(N + 1, 1, 10 * SEC, 42);

		connect_peer(f, &f->peers[0]);
		get_big(f, &f->peers[0]);
		for (unsigned i = 1; i <= N; i++) {
			connect_peer(f, &f->peers[i]);
			get_big(f, &f->peers[i]);
			ra[run][i - 1] = last_retry_after(&f->peers[i]);
			assert_true(ra[run][i - 1] >= 10 && ra[run][i - 1] <= 20);
		}
		assert_int_equal(http_server_counters(f->s)->admission_503, N);
		fx_free(f);
	}
	assert_memory_equal(ra[0], ra[1], sizeof(ra[0])); /* deterministic */
	for (unsigned i = 0; i < N; i++)
		distinct += seen[ra[0][i]]++ == 0;
	assert_true(distinct >= 6); /* spread, not one value for all */
}

/* The queue ahead counts in rounds of the budget: 2 transfers in flight
 * on 2 places is one round of one transfer's time, as 1 on 1 is. */
static void test_admission_queue_ahead(void **state)
{
	struct fx *f = fx_admission(3, 2, 4 * SEC, 7);
	unsigned ra;

	(void)state;
	for (unsigned i = 0; i < 3; i++)
		connect_peer(f, &f->peers[i]);
	get_big(f, &f->peers[0]);
	get_big(f, &f->peers[1]);
	get_big(f, &f->peers[2]);
	/* 2 in flight / budget 2 x 4 s = 4 s, jitter below 4 s */
	ra = last_retry_after(&f->peers[2]);
	assert_true(ra >= 4 && ra <= 8);
	fx_free(f);
}

/* HEAD of a large object: refused past the budget like GET, but admitted
 * it starts no transfer (no body goes out). */
static void test_admission_head(void **state)
{
	struct fx *f = fx_admission(2, 1, 0, 3);
	const struct http_server_counters *sc = http_server_counters(f->s);
	struct peer *a = &f->peers[0], *b = &f->peers[1];
	size_t end;

	(void)state;
	connect_peer(f, a);
	connect_peer(f, b);
	get_big(f, a);
	send_str(f, b, "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(rx_has(b, "HTTP/1.1 503 Service Unavailable\r\n"));
	assert_true(last_retry_after(b) >= 1);
	end = rx_find(b, "\r\n\r\n") + 4;
	assert_int_equal(b->rx_len, end); /* a header, no body */
	assert_int_equal(sc->admission_503, 1);
	settle(f);
	send_str(f, b, "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(rx_has(b, "HTTP/1.1 200 OK\r\n"));
	assert_true(rx_has(b, "Content-Length: 150017\r\n"));
	assert_int_equal(sc->transfers_started, 1);
	assert_int_equal(sc->transfers_in_flight, 0);
	fx_free(f);
}

/* A connection that goes away ends its transfer; a second large GET on a
 * connection that holds one queues behind it without a second place. */
static void test_admission_close_and_pipeline(void **state)
{
	struct fx *f = fx_admission(2, 1, 0, 5);
	const struct http_server_counters *sc = http_server_counters(f->s);
	struct peer *a = &f->peers[0], *b = &f->peers[1];

	(void)state;
	connect_peer(f, a);
	connect_peer(f, b);
	send_str(f, a, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(sc->transfers_started, 1);
	assert_int_equal(sc->admission_503, 0);
	get_big(f, b);
	assert_true(rx_has(b, "HTTP/1.1 503"));
	/* A resets: its transfer is cut, B gets the place */
	send_seg(f, a, TCP_RST | TCP_ACK, NULL, 0);
	assert_int_equal(sc->transfers_cut, 1);
	assert_int_equal(sc->transfers_in_flight, 0);
	get_big(f, b);
	assert_true(rx_has(b, "HTTP/1.1 200 OK\r\n"));
	assert_int_equal(sc->transfers_in_flight, 1);
	settle(f);
	assert_int_equal(sc->transfers_done, 1);
	assert_int_equal(sc->transfers_in_flight, 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_close),
		cmocka_unit_test(test_boot_stage_reported),
		cmocka_unit_test(test_pin_drained_between_requests),
		cmocka_unit_test(test_upcalls_out_of_order),
		cmocka_unit_test(test_upcall_busy_and_too_large),
		cmocka_unit_test(test_slow_head_408),
		cmocka_unit_test(test_idle_close),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_many_deadlines),
		cmocka_unit_test(test_admission_budget),
		cmocka_unit_test(test_admission_retry_after_jitter),
		cmocka_unit_test(test_admission_queue_ahead),
		cmocka_unit_test(test_admission_head),
		cmocka_unit_test(test_admission_close_and_pipeline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
