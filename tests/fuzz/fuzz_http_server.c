/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the HTTP server core (http_server.c): clients
 * that open connections, send request bytes in and out of order, ACK,
 * close and reset, control answering (or not) the upcalls, and a clock
 * that moves, all decoded from the input. Each input gets a fresh small
 * server, so a crash reproduces from its file alone.
 *
 * Input: records, a command byte then its arguments:
 *   cmd & 7  0: SYN                           -
 *            1: ACK of what arrived           win
 *            2: request bytes from the table  which, cut
 *            3: raw bytes, maybe out of order len, gap, bytes
 *            4: clock += b * 10 ms, poll      b
 *            5: FIN or RST                    how
 *            6: control answers an upcall     which, status, len
 *            7: clock += b * 1 s, poll        b
 *   (cmd >> 3) & 3 picks one of four clients; the server has 3 slots.
 * Checked after every step: actions fit their queues, a slot is pinned at
 * most once per use and unpinned only if pinned, upcall spans lie inside
 * one call's copies. At the end time alone closes every connection and
 * every pin is released.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "http_server.h"

#define CAP 3
#define TCAP 64
#define ACAP 96
#define SIP 0x0a000001u
#define CIP 0x0a000032u
#define SEC 1000000ull

struct client {
	uint16_t port;
	uint32_t seq;              /* next sequence number we send */
	uint32_t srv_nxt;          /* what we would ACK */
};

struct upcall_rec {
	uint32_t slot, serial;
};

struct run {
	struct http_server *s;
	struct tcp_act tact[TCAP];
	struct http_act hact[ACAP];
	struct http_out out;
	uint64_t now;
	struct client cl[4];
	const uint8_t *p;
	size_t rem;
	bool pinned[CAP];
	unsigned pins, unpins;
	struct upcall_rec up[8];
	unsigned n_up;
};

static uint8_t big[5000];
static const char small[] = "small object\n";
static struct stp_object objs[3];

static const char *const reqs[] = {
	"GET /big HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /small HTTP/1.1\r\nHost: x\r\n\r\nGET /boot.ipxe HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /api/v1/job?mac=02:00:00:00:00:01 HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST /api/v1/progress HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n50%\r\n",
	"GET /big HTTP/1.1\r\nHost: x\r\nRange: bytes=100-3000\r\nConnection: close\r\n\r\n",
	"HEAD /small HTTP/1.0\r\n\r\n",
	"GET /api/v1/x HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /nothing HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
};

static const struct stp_object *lookup(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	for (unsigned i = 0; i < 3; i++)
		if (strlen(objs[i].name) == len && memcmp(objs[i].name, name, len) == 0)
			return &objs[i];
	return NULL;
}

static uint8_t take(struct run *r)
{
	if (r->rem == 0)
		return 0;
	r->rem--;
	return *r->p++;
}

static void check_acts(struct run *r)
{
	assert(r->out.tcp.n <= r->out.tcp.cap);
	assert(r->out.act_n <= r->out.act_cap);
	for (unsigned i = 0; i < r->out.tcp.n; i++) {
		const struct tcp_act *a = &r->tact[i];

		if (a->kind == TCP_ACT_SEND && a->dst_ip == CIP && a->pl_len > 0 &&
		    a->pl_kind == TCP_PL_OBJECT)
			assert(a->pl.o.off + a->pl_len <= a->pl.o.obj->len);
	}
}

/* The glue's part: take the actions, remember upcalls, track the pins. */
static void run_out(struct run *r)
{
	check_acts(r);
	for (unsigned i = 0; i < r->out.tcp.n; i++) {
		const struct tcp_act *a = &r->tact[i];

		if (a->kind != TCP_ACT_SEND || a->dst_ip != CIP || a->dst_port < 40000 ||
		    a->dst_port >= 40004)
			continue;
		struct client *c = &r->cl[a->dst_port - 40000];
		uint32_t end = a->seq + a->pl_len + ((a->flags & (TCP_SYN | TCP_FIN)) ? 1u : 0u);

		if ((int32_t)(end - c->srv_nxt) > 0)
			c->srv_nxt = end;
	}
	for (unsigned i = 0; i < r->out.act_n; i++) {
		const struct http_act *a = &r->hact[i];

		assert(a->slot < CAP);
		switch (a->kind) {
		case HTTP_ACT_PIN:
			/* a PIN per object; the first of a slot's use must say that
			 * nothing came before it */
			assert(r->pinned[a->slot] || (a->flags & HTTP_PIN_DRAINED));
			if (!r->pinned[a->slot])
				r->pins++;
			r->pinned[a->slot] = true;
			break;
		case HTTP_ACT_UNPIN:
			assert(r->pinned[a->slot]);
			r->pinned[a->slot] = false;
			r->unpins++;
			break;
		case HTTP_ACT_UPCALL:
			assert(a->target.len > 0 && a->target.p != NULL);
			assert(memcmp(a->target.p, "/api", 4) == 0);
			if (r->n_up < 8)
				r->up[r->n_up++] = (struct upcall_rec){ a->slot, a->serial };
			break;
		case HTTP_ACT_SERVED:
			assert(a->obj != NULL && (a->obj->flags & OBJ_F_BOOT_STAGE));
			break;
		default:
			assert(0);
		}
	}
	r->out.tcp.n = 0;
	r->out.act_n = 0;
}

static void send_seg(struct run *r, struct client *c, uint8_t flags, uint32_t seq_off,
		     const void *data, size_t len, uint16_t win)
{
	uint8_t b[24 + 512];
	size_t hl = (flags & TCP_SYN) ? 24 : 20;
	struct tcp_seg_in seg;

	if (len > 512)
		len = 512;
	memset(b, 0, hl);
	put_be16(b, c->port);
	put_be16(b + 2, 80);
	put_be32(b + 4, c->seq + seq_off);
	put_be32(b + 8, c->srv_nxt);
	b[12] = (uint8_t)((hl / 4) << 4);
	b[13] = flags;
	put_be16(b + 14, win);
	if (hl == 24) {
		b[20] = 2;
		b[21] = 4;
		put_be16(b + 22, 1460);
	}
	if (len > 0)
		memcpy(b + hl, data, len);
	seg = (struct tcp_seg_in){ CIP, SIP, span_make(b, hl + len) };
	if (http_server_input(r->s, &seg, r->now, &r->out) == -ENOBUFS) {
		run_out(r);
		http_server_input(r->s, &seg, r->now, &r->out);
	}
	run_out(r);
	if (seq_off == 0)
		c->seq += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1u : 0u);
}

static void poll_all(struct run *r)
{
	for (int i = 0; i < 64 && http_server_poll(r->s, r->now, &r->out); i++)
		run_out(r);
	run_out(r);
}

static void answer(struct run *r, uint8_t which)
{
	uint8_t status = take(r), len = take(r);
	static const uint16_t st[] = { 200, 201, 204, 304, 403, 404, 500, 99 };
	char body[256];
	struct upcall_rec u;

	if (r->n_up == 0)
		return;
	u = r->up[which % r->n_up];
	if (which & 0x80) { /* consumed: later answers to it are stale */
		r->n_up--;
		r->up[which % (r->n_up + 1)] = r->up[r->n_up];
	}
	memset(body, '{', sizeof(body));
	if (status & 0x80)
		http_server_upcall_busy(r->s, u.slot, u.serial, r->now, &r->out);
	else
		http_server_upcall_answer(r->s, u.slot, u.serial, st[status & 7], status & 8,
					  span_make(body, len), r->now, &r->out);
	run_out(r);
}

static void step(struct run *r, uint8_t cmd)
{
	struct client *c = &r->cl[(cmd >> 3) & 3];
	uint8_t a = take(r), b;
	const char *q;

	switch (cmd & 7) {
	case 0:
		send_seg(r, c, TCP_SYN, 0, NULL, 0, 65535);
		break;
	case 1:
		send_seg(r, c, TCP_ACK, 0, NULL, 0, (uint16_t)(a << 8 | 0xff));
		break;
	case 2:
		q = reqs[a % (sizeof(reqs) / sizeof(reqs[0]))];
		b = take(r);
		b = (uint8_t)(b % (strlen(q) + 1));
		send_seg(r, c, TCP_ACK | TCP_PSH, 0, q, b, 65535);
		send_seg(r, c, TCP_ACK | TCP_PSH, 0, q + b, strlen(q) - b, 65535);
		break;
	case 3: {
		size_t len = a % 64;
		uint32_t gap = take(r) % 4 == 0 ? take(r) : 0;

		len = len < r->rem ? len : r->rem;
		send_seg(r, c, TCP_ACK, gap, r->p, len, 65535);
		r->p += len;
		r->rem -= len;
		break;
	}
	case 4:
		r->now += (uint64_t)a * 10000;
		poll_all(r);
		break;
	case 5:
		send_seg(r, c, (a & 1) ? TCP_RST : (TCP_FIN | TCP_ACK), 0, NULL, 0, 65535);
		break;
	case 6:
		answer(r, a);
		break;
	default:
		r->now += (uint64_t)a * SEC;
		poll_all(r);
	}
}

static void objs_init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13);
	objs[0] = (struct stp_object){ .name = "big", .data = big, .len = sizeof(big),
				       .etag = "\"b\"" };
	objs[1] = (struct stp_object){ .name = "small", .data = (const uint8_t *)small,
				       .len = sizeof(small) - 1, .etag = "\"s\"" };
	objs[2] = (struct stp_object){ .name = "boot.ipxe", .data = (const uint8_t *)small,
				       .len = 5, .etag = "\"i\"", .flags = OBJ_F_BOOT_STAGE };
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	struct http_server_cfg cfg = {
		.tcp = { .capacity = CAP, .local_ip = SIP, .local_port = 80, .mss = 1460,
			 .rx_buf = 1024, .tx_buf = 2048, .timing = TCP_TIMING_DEFAULT },
		.site = { .lookup = lookup, .server = "fuzz", .keepalive = true,
			  .head_timeout_us = 2 * SEC, .idle_timeout_us = 5 * SEC,
			  .lim = { 512, 512, 16, 256 } },
		.wall_offset_us = 1700000000ull * SEC,
		.upcall_target_max = 100,
		.upcall_body_max = 200,
	};

	objs_init();
	memset(&r, 0, sizeof(r));
	r.s = http_server_create(&cfg);
	assert(r.s != NULL);
	r.out = (struct http_out){ { r.tact, TCAP, 0 }, r.hact, ACAP, 0 };
	r.now = 5 * SEC;
	for (unsigned i = 0; i < 4; i++)
		r.cl[i] = (struct client){ (uint16_t)(40000 + i), 1000u * (i + 1), 0 };
	r.p = data;
	r.rem = size;
	while (r.rem > 0)
		step(&r, take(&r));
	/* time alone ends every connection and releases every pin */
	for (int i = 0; i < 40; i++) {
		r.now += 30 * SEC;
		poll_all(&r);
	}
	assert(http_server_active(r.s) == 0);
	assert(r.pins == r.unpins);
	http_server_destroy(r.s);
	return 0;
}
