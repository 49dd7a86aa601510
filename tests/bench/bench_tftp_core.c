/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark of the TFTP core: ns and TSC cycles per DATA action in a
 * steady-state windowed transfer, once straight on a session and once
 * through the server (port lookup, client check, timer heap). It measures
 * the core's bookkeeping only: no packet is built, no payload touched
 * (the glue attaches payload zero-copy). Not a test; run it by hand:
 *   bench_tftp_core [blksize] [windowsize] [total_data_actions]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tftp_server.h"

#if defined(__x86_64__) || defined(__i386__)
static inline uint64_t cycles(void)
{
	return __builtin_ia32_rdtsc();
}
#else
static inline uint64_t cycles(void)
{
	return 0;
}
#endif

#define OBJ_LEN (32u * 1024 * 1024)

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct stp_object obj;

static const struct stp_object *lookup(void *ctx, struct span name)
{
	(void)ctx;
	(void)name;
	return &obj;
}

static size_t make_rrq(uint8_t *b, unsigned blksize, unsigned window)
{
	int n = snprintf((char *)b + 2, 120, "init.xz%coctet%cblksize%c%u%cwindowsize%c%u%c",
			 0, 0, 0, blksize, 0, 0, window, 0);

	b[0] = 0;
	b[1] = TFTP_OP_RRQ;
	return (size_t)n + 2;
}

static void report(const char *what, uint64_t actions, uint64_t ns, uint64_t cyc)
{
	printf("%-28s %10llu DATA  %7.2f ns/DATA  %7.1f cycles/DATA  %6.2f M DATA/s\n", what,
	       (unsigned long long)actions, (double)ns / (double)actions,
	       (double)cyc / (double)actions, (double)actions * 1e3 / (double)ns);
}

/* Session API directly: ACK the last block of each window, count DATA. */
static void bench_sess(unsigned blksize, unsigned window, uint64_t target)
{
	static struct tftp_act act[1024];
	struct tftp_out out = { act, 1024, 0 };
	struct tftp_limits lim = { 65464, 65535 };
	struct tftp_timing tm = TFTP_TIMING_DEFAULT;
	struct tftp_counters ctr;
	struct tftp_sess s = { 0 };
	struct tftp_req req;
	uint8_t rrqb[128], ackb[4];
	uint64_t now = 1, done = 0, t0, c0;
	struct tftp_sess_init in = { &obj, &req, &tm, &ctr, 0, 0x0a000002, 1000, 50000 };

	memset(&ctr, 0, sizeof(ctr));
	if (tftp_parse_request(span_make(rrqb, make_rrq(rrqb, blksize, window)), &lim, &req) != 0)
		abort();
	t0 = ns_now();
	c0 = cycles();
	while (done < target) {
		uint16_t last = 0;

		out.n = 0;
		if (!tftp_sess_active(&s)) {
			tftp_sess_start(&s, &in, now, &out);
			out.n = 0;
			tftp_wire_put_ack(ackb, 0);
		}
		tftp_sess_input(&s, span_make(ackb, 4), now, &out);
		for (unsigned i = 0; i < out.n; i++)
			if (act[i].type == TFTP_ACT_DATA)
				last = (uint16_t)act[i].u.data.block;
		done += out.n;
		tftp_wire_put_ack(ackb, last);
		now += 10;
	}
	report("session (ACK -> window)", done, ns_now() - t0, cycles() - c0);
}

/* Through the server: the glue's view, one tftp_server_input per ACK. */
static void bench_server(unsigned blksize, unsigned window, uint64_t target)
{
	static struct tftp_act act[1024];
	struct tftp_out out = { act, 1024, 0 };
	struct tftp_server_cfg cfg = {
		.capacity = 1024, .listen_port = TFTP_PORT, .port_base = 40000,
		.port_stride = 1, .port_count = 1024, .lim = { 65464, 65535 },
		.timing = TFTP_TIMING_DEFAULT, .lookup = lookup,
	};
	struct tftp_server *srv = tftp_server_create(&cfg);
	uint8_t rrqb[128], ackb[4];
	uint64_t now = 1, done = 0, t0, c0;
	uint16_t cport = 1000, sport = 0, last = 0;
	struct tftp_rx rx = { span_make(rrqb, 0), 0x0a000002, 0, 0 };

	if (srv == NULL)
		abort();
	t0 = ns_now();
	c0 = cycles();
	while (done < target) {
		out.n = 0;
		if (sport == 0) {
			rx.payload = span_make(rrqb, make_rrq(rrqb, blksize, window));
			rx.src_port = ++cport;
			rx.dst_port = TFTP_PORT;
			tftp_server_input(srv, &rx, now, &out);
			sport = act[0].sport;
			last = 0;
			out.n = 0;
		}
		tftp_wire_put_ack(ackb, last);
		rx.payload = span_make(ackb, 4);
		rx.dst_port = sport;
		tftp_server_input(srv, &rx, now, &out);
		for (unsigned i = 0; i < out.n; i++) {
			if (act[i].type == TFTP_ACT_DATA)
				last = (uint16_t)act[i].u.data.block;
			else if (act[i].type == TFTP_ACT_FINISHED)
				sport = 0;
		}
		done += out.n;
		now += 10;
	}
	report("server (input -> window)", done, ns_now() - t0, cycles() - c0);
	tftp_server_destroy(srv);
}

int main(int argc, char **argv)
{
	unsigned blksize = argc > 1 ? (unsigned)atoi(argv[1]) : 1468;
	unsigned window = argc > 2 ? (unsigned)atoi(argv[2]) : 16;
	uint64_t target = argc > 3 ? strtoull(argv[3], NULL, 10) : 20000000;

	if (window == 0 || window > 512 || blksize < 8 || blksize > 65464) {
		fprintf(stderr, "usage: %s [blksize 8..65464] [windowsize 1..512] [count]\n", argv[0]);
		return 2;
	}
	obj.data = calloc(1, OBJ_LEN);
	obj.len = OBJ_LEN;
	strcpy(obj.name, "init.xz");
	if (obj.data == NULL)
		return 1;
	printf("TFTP core: blksize %u, windowsize %u, %u-byte object (octet)\n", blksize, window,
	       OBJ_LEN);
	bench_sess(blksize, window, target);
	bench_server(blksize, window, target);
	free((void *)obj.data);
	return 0;
}
