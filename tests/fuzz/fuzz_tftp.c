/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the TFTP core: the parser on the raw input, then
 * a server with a few sessions driven through a sequence of packets and
 * timer ticks decoded from the input. Each input gets a fresh server so a
 * crash reproduces from its file alone (and LeakSanitizer checks that the
 * tables are all there is).
 *
 * Input: a list of records, each a command byte then its arguments:
 *   cmd & 7  0: raw datagram to port 69       len, bytes
 *            1: raw datagram to a TID port    port sel, len, bytes
 *            2: ACK from client to its TID    how, b1, b2
 *            3: clock += b * 100 ms, timers   b
 *            4: well-formed RRQ               name sel, option bits, b1, b2
 *            5: ERROR from client to its TID  code
 *            6: output queue capacity         b
 *            7: clock += b * 10 s, timers     b
 *   (cmd >> 3) & 3 picks one of four client address:port pairs.
 * Invariants checked after every step: actions within the queue, DATA
 * ranges inside the object (netascii: produced in full), error codes and
 * OACKs buildable, sessions within the cap, no deadline without sessions.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tftp_server.h"

/* Four clients, three slots, four ports: the table fills up. */
#define CAP 3
#define PORT_BASE 40000
#define N_PORTS 4
#define QCAP 96

struct client {
	uint32_t ip;
	uint16_t port;
	uint16_t sport;            /* TID seen in our last action to it, 0 = none */
	uint32_t last_block;       /* highest DATA block seen for it */
};

struct run {
	struct tftp_server *srv;
	struct tftp_act act[QCAP];
	struct tftp_out out;
	unsigned qcap;
	uint64_t now;
	struct client cl[4];
	const uint8_t *p;
	size_t rem;
};

static uint8_t obj_data[3][3000];
static struct stp_object objs[3];

static const struct stp_object *lookup(void *ctx, struct span name)
{
	(void)ctx;
	for (int i = 0; i < 3; i++)
		if (span_eq(name, span_cstr(objs[i].name)))
			return &objs[i];
	return NULL;
}

static void init_objects(void)
{
	static const char *const names[3] = { "a", "dir/b", "empty" };
	static const size_t lens[3] = { 3000, 1024, 0 };

	for (int i = 0; i < 3; i++) {
		for (size_t k = 0; k < sizeof(obj_data[i]); k++)
			obj_data[i][k] = k % 7 == 0 ? '\n' : k % 11 == 0 ? '\r' : (uint8_t)k;
		strcpy(objs[i].name, names[i]);
		objs[i].data = obj_data[i];
		objs[i].len = lens[i];
	}
}

static uint8_t take(struct run *r)
{
	if (r->rem == 0)
		return 0;
	r->rem--;
	return *r->p++;
}

static struct span take_span(struct run *r, size_t want)
{
	struct span s = span_make(r->p, STP_MIN(want, r->rem));

	r->p += s.len;
	r->rem -= s.len;
	return s;
}

static bool is_our_obj(const struct stp_object *o)
{
	return o == &objs[0] || o == &objs[1] || o == &objs[2];
}

static void check_data(const struct tftp_act *a)
{
	const struct tftp_act_data *d = &a->u.data;

	assert(is_our_obj(d->obj));
	assert(d->block >= 1 && d->len <= d->blksize && d->blksize <= 1468);
	assert(d->off == (uint64_t)(d->block - 1) * d->blksize);
	if (!d->netascii) {
		assert(d->off + d->len <= d->obj->len);
	} else {
		struct tftp_na_pos pos = d->na;
		uint8_t buf[TFTP_BLKSIZE_MAX];

		assert(pos.src <= d->obj->len);
		assert(tftp_netascii_encode(d->obj->data, d->obj->len, &pos, buf, d->len) == d->len);
		assert(d->off + d->len <= tftp_netascii_size(d->obj->data, d->obj->len));
	}
}

/* Check every queued action and learn each client's TID and progress. */
static void check_out(struct run *r)
{
	uint8_t buf[TFTP_OACK_MAX + TFTP_ERROR_MAX];

	assert(r->out.n <= r->out.cap);
	for (unsigned i = 0; i < r->out.n; i++) {
		const struct tftp_act *a = &r->act[i];

		switch (a->type) {
		case TFTP_ACT_DATA:
			check_data(a);
			break;
		case TFTP_ACT_OACK:
			assert(tftp_wire_put_oack(buf, sizeof(buf), &a->u.oack) <= TFTP_OACK_MAX);
			break;
		case TFTP_ACT_ERROR:
			assert(a->u.error.code < TFTP_N_ERR_CODES && a->u.error.msg != NULL);
			assert(tftp_wire_put_error(buf, sizeof(buf), a->u.error.code, a->u.error.msg) > 4);
			break;
		case TFTP_ACT_FINISHED:
			assert(a->u.fin.reason < TFTP_FIN_N && a->sess < CAP);
			break;
		default:
			assert(0 && "unknown action");
		}
		for (int c = 0; c < 4; c++) {
			if (a->cip != r->cl[c].ip || a->cport != r->cl[c].port || a->sess == TFTP_NO_SESS)
				continue;
			r->cl[c].sport = a->type == TFTP_ACT_FINISHED ? 0 : a->sport;
			if (a->type == TFTP_ACT_DATA && a->u.data.block > r->cl[c].last_block)
				r->cl[c].last_block = a->u.data.block;
			if (a->type == TFTP_ACT_OACK)
				r->cl[c].last_block = 0;
		}
	}
	assert(tftp_server_active(r->srv) <= CAP);
	if (tftp_server_active(r->srv) == 0)
		assert(tftp_server_deadline(r->srv) == UINT64_MAX);
}

static void deliver(struct run *r, uint32_t ip, uint16_t sport, uint16_t dport, struct span p)
{
	struct tftp_rx rx = { p, ip, sport, dport };
	int rc;

	/* an exact-size copy so ASan sees any read past the datagram */
	uint8_t *copy = malloc(p.len + 1);

	assert(copy != NULL);
	memcpy(copy, p.p, p.len);
	rx.payload = span_make(copy, p.len);
	r->out.n = 0;
	r->out.cap = r->qcap;
	rc = tftp_server_input(r->srv, &rx, r->now, &r->out);
	assert(rc == 0);
	free(copy);
	check_out(r);
}

static void tick(struct run *r, uint64_t dt)
{
	int n;

	r->now += dt;
	r->out.n = 0;
	r->out.cap = r->qcap;
	n = tftp_server_timers(r->srv, r->now, &r->out);
	assert(n >= 0 && (unsigned)n <= 64);
	check_out(r);
}

/* A well-formed RRQ whose name and options come from the input. */
static void send_rrq(struct run *r, struct client *c)
{
	static const char *const names[] = {
		"a", "/a", "dir/b", "empty", "../a", "nope", "a\\b",
		"//dir/b/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	};
	uint8_t pkt[420];
	uint8_t sel = take(r), bits = take(r), v1 = take(r), v2 = take(r);
	int n;

	n = snprintf((char *)pkt + 2, sizeof(pkt) - 2, "%s%c%s%c", names[sel & 7], 0,
		     (sel & 8) ? "netascii" : "octet", 0);
	if (bits & 1)
		n += snprintf((char *)pkt + 2 + n, sizeof(pkt) - 2 - (size_t)n, "blksize%c%u%c", 0,
			      (unsigned)v1 * 7 + 4, 0);
	if (bits & 2)
		n += snprintf((char *)pkt + 2 + n, sizeof(pkt) - 2 - (size_t)n, "windowsize%c%u%c", 0,
			      (unsigned)(v2 & 15), 0);
	if (bits & 4)
		n += snprintf((char *)pkt + 2 + n, sizeof(pkt) - 2 - (size_t)n, "tsize%c0%c", 0, 0);
	if (bits & 8)
		n += snprintf((char *)pkt + 2 + n, sizeof(pkt) - 2 - (size_t)n, "timeout%c%u%c", 0,
			      (unsigned)(v2 >> 4) * 20, 0);
	pkt[0] = 0;
	pkt[1] = (bits & 0x80) ? TFTP_OP_WRQ : TFTP_OP_RRQ;
	deliver(r, c->ip, c->port, TFTP_PORT, span_make(pkt, (size_t)n + 2));
}

/* An ACK near what the client has seen: the last block, an earlier one,
 * a later one, or any 16-bit number. */
static void send_ack(struct run *r, struct client *c)
{
	uint8_t how = take(r), b1 = take(r), b2 = take(r), pkt[4];
	uint32_t blk;

	if (c->sport == 0)
		return;
	switch (how & 3) {
	case 0:
		blk = c->last_block;
		break;
	case 1:
		blk = c->last_block - b1 % 20;
		break;
	case 2:
		blk = c->last_block + b1 % 4;
		break;
	default:
		blk = (uint32_t)b1 << 8 | b2;
		break;
	}
	tftp_wire_put_ack(pkt, (uint16_t)blk);
	deliver(r, c->ip, (how & 4) ? (uint16_t)(c->port + 1) : c->port, c->sport, span_make(pkt, 4));
}

static void step(struct run *r)
{
	uint8_t cmd = take(r), b;
	struct client *c = &r->cl[(cmd >> 3) & 3];
	uint16_t dport;

	switch (cmd & 7) {
	case 0:
		b = take(r);
		deliver(r, c->ip, c->port, TFTP_PORT, take_span(r, b));
		break;
	case 1:
		b = take(r);
		dport = c->sport != 0 && (b & 0x80) ? c->sport : (uint16_t)(PORT_BASE + b % (N_PORTS + 1));
		b = take(r);
		deliver(r, c->ip, c->port, dport, take_span(r, b));
		break;
	case 2:
		send_ack(r, c);
		break;
	case 3:
		tick(r, (uint64_t)take(r) * 100000);
		break;
	case 4:
		send_rrq(r, c);
		break;
	case 5:
		b = take(r);
		if (c->sport != 0) {
			uint8_t pkt[5] = { 0, TFTP_OP_ERROR, 0, b, 0 };

			deliver(r, c->ip, c->port, c->sport, span_make(pkt, sizeof(pkt)));
		}
		break;
	case 6:
		r->qcap = TFTP_OUT_RESERVE + take(r) % (QCAP - 1);
		break;
	default:
		tick(r, (uint64_t)take(r) * 10000000);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tftp_limits lim = { 1468, 8 };
	struct tftp_server_cfg cfg = {
		.capacity = CAP, .listen_port = TFTP_PORT, .port_base = PORT_BASE,
		.port_stride = 1, .port_count = N_PORTS, .lim = { 1468, 8 },
		.timing = TFTP_TIMING_DEFAULT, .timer_budget = 3, .hash_seed = 7,
		.lookup = lookup,
	};
	static struct run r;
	struct tftp_req req;
	unsigned steps = 0;

	if (objs[0].data == NULL)
		init_objects();
	/* the parser straight on the input */
	(void)tftp_parse_request(span_make(data, size), &lim, &req);

	memset(&r, 0, sizeof(r));
	r.srv = tftp_server_create(&cfg);
	assert(r.srv != NULL);
	r.out = (struct tftp_out){ r.act, QCAP, 0 };
	r.qcap = QCAP;
	r.now = 1000000000;
	r.cl[0] = (struct client){ 0x0a000001, 1000, 0, 0 };
	r.cl[1] = (struct client){ 0x0a000001, 1001, 0, 0 };
	r.cl[2] = (struct client){ 0x0a000002, 1000, 0, 0 };
	r.cl[3] = (struct client){ 0x0a000003, 2000, 0, 0 };
	r.p = data;
	r.rem = size;
	while (r.rem > 0 && steps++ < 4096)
		step(&r);
	/* whatever happened, time ends every session */
	r.qcap = QCAP;
	for (int i = 0; i < 200 && tftp_server_active(r.srv) > 0; i++)
		tick(&r, 30000000);
	assert(tftp_server_active(r.srv) == 0);
	tftp_server_destroy(r.srv);
	return 0;
}
