/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark of the TCP core in steady state: one connection sending
 * a 64 MB object with timestamps and SACK agreed, the client ACKing every
 * second segment at once. Prints ns and cycles per data segment (the
 * core's share: parse the ACK, advance, pick and describe the segments).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "bytes.h"
#include "tcp.h"

#define SIP 0x0a000001u
#define CIP 0x0a000032u
#define OBJ (64u << 20)

static uint64_t cycles(void)
{
#if defined(__x86_64__)
	return __rdtsc();
#else
	return 0;
#endif
}

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct bench {
	struct stp_object obj;
	uint32_t conn;
};

static void on_data(void *app, uint32_t conn, struct tcp_table *t, uint64_t now)
{
	struct bench *b = app;
	struct span rx = tcp_rx_peek(t, conn);

	(void)now;
	tcp_rx_consume(t, conn, rx.len);
	b->conn = conn;
	tcp_send_object(t, conn, &b->obj, 0, b->obj.len);
}

static void on_close(void *app, uint32_t conn, int reason)
{
	(void)app; (void)conn; (void)reason;
}

static size_t seg(uint8_t *b, uint32_t seq, uint32_t ack, uint8_t flags, uint32_t tsval,
		  uint32_t tsecr, const char *data)
{
	size_t len = data ? strlen(data) : 0;

	memset(b, 0, 32);
	put_be16(b, 40000);
	put_be16(b + 2, 80);
	put_be32(b + 4, seq);
	put_be32(b + 8, ack);
	b[12] = 8 << 4;
	b[13] = flags;
	put_be16(b + 14, 65535);
	b[20] = b[21] = 1;
	b[22] = 8;
	b[23] = 10;
	put_be32(b + 24, tsval);
	put_be32(b + 28, tsecr);
	if (len)
		memcpy(b + 32, data, len);
	return 32 + len;
}

int main(void)
{
	static struct tcp_act act[256];
	struct bench b = { 0 };
	struct tcp_table_cfg cfg = {
		.capacity = 16, .local_ip = SIP, .local_port = 80, .mss = 1460,
		.burst = 64, .timing = TCP_TIMING_DEFAULT, .ops = { on_data, on_close }, .app = &b,
	};
	struct tcp_out out = { act, 256, 0 };
	struct tcp_table *t;
	uint8_t pkt[256];
	uint64_t now = 1000000000ull, c0, n0, segs = 0;
	uint32_t cseq = 1, ack, pending[256];
	uint8_t *mem = calloc(1, OBJ);
	struct tcp_seg_in in = { CIP, SIP, { pkt, 0 } };

	if (!mem)
		return 1;
	/* read by the app callbacks through cfg.app (cppcheck cannot see it) */
	b.obj.data = mem; // cppcheck-suppress unreadVariable
	b.obj.len = OBJ; // cppcheck-suppress unreadVariable
	memcpy(cfg.secret, "bench-secret-012", 16);
	t = tcp_table_create(&cfg);
	in.tcp.len = seg(pkt, cseq, 0, TCP_SYN, 1, 0, NULL);
	tcp_input(t, &in, now, &out);
	ack = act[0].seq + 1;
	cseq++;
	out.n = 0;
	in.tcp.len = seg(pkt, cseq, ack, TCP_ACK, 2, get_be32(act[0].opt + 8), NULL);
	tcp_input(t, &in, now, &out);
	out.n = 0;
	in.tcp.len = seg(pkt, cseq, ack, TCP_ACK | TCP_PSH, 3, 0, "GET / HTTP/1.1\r\n\r\n");
	cseq += 18;
	tcp_input(t, &in, now, &out);
	if (out.n == 0) {
		const struct tcp_counters *k = tcp_table_counters(t);

		for (unsigned i = 0; i < TCP_N_COUNTERS; i++)
			if (((const uint64_t *)k)[i])
				fprintf(stderr, "%s=%llu\n", tcp_counter_names[i],
					(unsigned long long)((const uint64_t *)k)[i]);
		tcp_table_destroy(t);
		free(mem);
		return 1;
	}
	c0 = cycles();
	n0 = ns_now();
	while (out.n > 0) {
		uint32_t np = 0;

		for (unsigned i = 0; i < out.n; i++)
			if (act[i].kind == TCP_ACT_SEND && act[i].pl_len)
				pending[np++] = act[i].seq + act[i].pl_len;
		segs += np;
		out.n = 0;
		now += 10;
		for (unsigned i = 1; i < np; i += 2) {
			in.tcp.len = seg(pkt, cseq, pending[i], TCP_ACK, 4, (uint32_t)(now / 1000), NULL);
			tcp_input(t, &in, now, &out);
			if (out.n > 200)
				break;
		}
		if (np % 2 == 1 && out.n == 0) {
			in.tcp.len = seg(pkt, cseq, pending[np - 1], TCP_ACK, 4, (uint32_t)(now / 1000),
					 NULL);
			tcp_input(t, &in, now, &out);
		}
	}
	{
		uint64_t dc = cycles() - c0, dn = ns_now() - n0;

		printf("bench_tcp_core: %llu data segments, %.1f ns/segment, %.1f cycles/segment\n",
		       (unsigned long long)segs, segs ? (double)dn / (double)segs : 0.0,
		       segs ? (double)dc / (double)segs : 0.0);
	}
	tcp_table_destroy(t);
	free(mem);
	return 0;
}
