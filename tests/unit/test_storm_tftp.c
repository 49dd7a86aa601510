/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stampede-storm's TFTP client machine: the requests each kind sends
 * (byte-exact), whole downloads through stampede's own TFTP server core
 * (iPXE lock-step, the EDK2 probe and windows, many clients with loss,
 * block numbers rolling over), a server that ignores options, one that
 * sends too much or too little, bad OACKs, strangers' TIDs, gaps and
 * duplicates, and the timeout schedule with nobody answering.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"
#include "cksum.h"
#include "storm_tftp.h"
#include "tftp_server.h"
#include "test_storm_net.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define SEC 1000000ull
#define SERVER IP(10, 0, 0, 1)
#define CLIENT0 IP(10, 0, 1, 0)
#define NCLI 64
#define NOBJ 5
#define PORT0 20000
#define SRV_TID 7000

static const struct mac_addr srv_mac = { { 0x02, 0xee, 0, 0, 0, 1 } };
static const struct stftp_timing tm = STFTP_TIMING_DEFAULT;

static const struct {
	const char *name;
	size_t len;
} files[NOBJ] = {
	{ "undionly.kpxe", 70000 }, { "ipxe.efi", 200000 },
	{ "exact", 1432 * 10 },                 /* ends with an empty block */
	{ "big", 600000 },                      /* 75000 blocks of 8: rolls over */
	{ "tiny", 100 },
};

static struct storm_addr client_addr(unsigned i)
{
	struct storm_addr a = {
		.mac = { { 0x52, 0x54, 0x00, 0xbb, (uint8_t)(i >> 8), (uint8_t)i } },
		.ip = CLIENT0 + i, .srv_mac = srv_mac, .srv_ip = SERVER,
	};
	return a;
}

/* ---- frames by hand ------------------------------------------------------ */

/* A frame from the server's @a sport to client @a a's @a dport. */
static void srv_frame(const struct storm_addr *a, uint16_t sport, uint16_t dport,
		      const void *p, size_t len, uint8_t *f, struct pkt_info *pi)
{
	size_t n = tnet_udp(f, &srv_mac, &a->mac, SERVER, a->ip, sport, dport, p, len);

	tnet_parse_udp(f, n, pi);
}

static int feed(struct stftp *t, struct storm_addr *a, uint16_t sport, const void *p,
		size_t len, uint64_t now, struct storm_tx *tx)
{
	uint8_t f[STORM_FRAME_MAX];
	struct pkt_info pi;

	srv_frame(a, sport, t->port, p, len, f, &pi);
	return stftp_input(t, a, &pi, now, &tm, tx);
}

static int feed_data(struct stftp *t, struct storm_addr *a, uint16_t block, size_t len,
		     uint64_t now, struct storm_tx *tx)
{
	uint8_t b[2000];

	put_be16(b, 3);
	put_be16(b + 2, block);
	memset(b + 4, (uint8_t)block, len);
	return feed(t, a, SRV_TID, b, 4 + len, now, tx);
}

/* The frame @a q.buf[i] is UDP from the client's @a sport to @a dport with @a want. */
static void expect_tx(const struct tnet_txq *q, unsigned i, const struct storm_addr *a,
		      uint16_t sport, uint16_t dport, const void *want, size_t len)
{
	struct pkt_info pi;

	assert_true(i < q->tx.n);
	tnet_parse_udp(q->buf[i], q->len[i], &pi);
	assert_memory_equal(pi.src_mac.b, a->mac.b, 6);
	assert_memory_equal(pi.dst_mac.b, a->srv_mac.b, 6);
	assert_int_equal(pi.src_ip, a->ip);
	assert_int_equal(pi.dst_ip, SERVER);
	assert_int_equal(pi.src_port, sport);
	assert_int_equal(pi.dst_port, dport);
	if (pi.payload.len != len || memcmp(pi.payload.p, want, len) != 0)
		fail_msg("frame %u: %zu payload bytes, want %zu", i, pi.payload.len, len);
}

static void expect_ack(const struct tnet_txq *q, unsigned i, const struct storm_addr *a,
		       uint16_t sport, uint16_t block)
{
	uint8_t ack[4] = { 0, 4, (uint8_t)(block >> 8), (uint8_t)block };

	expect_tx(q, i, a, sport, SRV_TID, ack, 4);
}

/* Only the opcode and code of an ERROR: the text is ours to choose. */
static void expect_error(const struct tnet_txq *q, unsigned i, uint16_t dport, uint16_t code)
{
	struct pkt_info pi;

	assert_true(i < q->tx.n);
	tnet_parse_udp(q->buf[i], q->len[i], &pi);
	assert_int_equal(pi.dst_port, dport);
	assert_true(pi.payload.len >= 5);
	assert_int_equal(get_be16(pi.payload.p), 5);
	assert_int_equal(get_be16(pi.payload.p + 2), code);
	assert_int_equal(pi.payload.p[pi.payload.len - 1], 0);
}

#define RRQ_BIOS "\x00\x01" "undionly.kpxe\0octet\0blksize\0" "1432\0tsize\0" "0"
#define RRQ_PROBE "\x00\x01" "ipxe.efi\0octet\0tsize\0" "0\0blksize\0" "1468\0windowsize\0" "4"
#define RRQ_UEFI "\x00\x01" "ipxe.efi\0octet\0blksize\0" "1468\0windowsize\0" "4"
#define RRQ_PLAIN "\x00\x01" "tiny\0octet"
#define OACK_PROBE "\x00\x06" "tsize\0" "200000\0blksize\0" "1468\0windowsize\0" "4"

static void test_rrq_bytes(void **state)
{
	struct storm_addr a = client_addr(1);
	struct tnet_txq q;
	struct stftp t;

	(void)state;
	tnet_txq_init(&q, 8);
	stftp_start(&t, STFTP_BIOS, "undionly.kpxe", PORT0, &a, 0, &tm, &q.tx);
	assert_int_equal(t.state, STFTP_ST_RRQ_SENT);
	expect_tx(&q, 0, &a, PORT0, 69, RRQ_BIOS, sizeof(RRQ_BIOS));
	assert_int_equal(stftp_deadline(&t), SEC);

	q.tx.n = 0;
	stftp_start(&t, STFTP_PLAIN, "tiny", PORT0, &a, 0, &tm, &q.tx);
	expect_tx(&q, 0, &a, PORT0, 69, RRQ_PLAIN, sizeof(RRQ_PLAIN));

	/* EDK2: the probe, ERROR 8 after its OACK, the real RRQ from P + 1 */
	q.tx.n = 0;
	stftp_start(&t, STFTP_UEFI, "ipxe.efi", PORT0, &a, 0, &tm, &q.tx);
	assert_int_equal(t.state, STFTP_ST_PROBE);
	expect_tx(&q, 0, &a, PORT0, 69, RRQ_PROBE, sizeof(RRQ_PROBE));
	assert_int_equal(feed(&t, &a, SRV_TID, OACK_PROBE, sizeof(OACK_PROBE), 500000, &q.tx),
			 STFTP_RUNNING);
	assert_int_equal(q.tx.n, 3);
	expect_error(&q, 1, SRV_TID, 8);
	expect_tx(&q, 2, &a, PORT0 + 1, 69, RRQ_UEFI, sizeof(RRQ_UEFI));
	assert_int_equal(t.state, STFTP_ST_RRQ_SENT);
	assert_int_equal(t.port, PORT0 + 1);
	assert_true(t.flags & STFTP_F_TSIZE);
	assert_int_equal(t.tsize, 200000);
	assert_int_equal(stftp_deadline(&t), 1500000);
}

/* ---- against stampede's TFTP server core ------------------------------------- */

struct fx {
	struct stp_object objs[NOBJ];
	uint8_t *bufs[NOBJ];
	uint16_t sums[NOBJ];
	struct tftp_server *srv;
	struct tftp_act act[256];
	struct tnet w;
	struct tnet_txq q;
	uint64_t now;
	unsigned n;
	struct stftp t[NCLI];
	struct storm_addr a[NCLI];
	const char *file[NCLI];
	int last[NCLI];
	unsigned done, failed, cli_frames;
	unsigned fin[TFTP_FIN_N];
};

static const struct stp_object *lookup(void *ctx, struct span name)
{
	struct fx *f = ctx;

	for (int i = 0; i < NOBJ; i++)
		if (span_eq(name, span_cstr(f->objs[i].name)))
			return &f->objs[i];
	return NULL;
}

static void server_create(struct fx *f, uint16_t max_blksize)
{
	struct tftp_server_cfg c = {
		.capacity = 128, .listen_port = 69,
		.port_base = 50000, .port_stride = 1, .port_count = 512,
		.lim = { .max_blksize = max_blksize, .max_window = 64 },
		.timing = TFTP_TIMING_DEFAULT, .hash_seed = 7,
		.lookup = lookup, .lookup_ctx = f,
	};

	tftp_server_destroy(f->srv);
	f->srv = tftp_server_create(&c);
	assert_non_null(f->srv);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	for (int i = 0; i < NOBJ; i++) {
		f->bufs[i] = malloc(files[i].len + 1);
		assert_non_null(f->bufs[i]);
		for (size_t k = 0; k < files[i].len; k++)
			f->bufs[i][k] = (uint8_t)(k * 7 ^ (k >> 9) ^ (unsigned)i);
		strcpy(f->objs[i].name, files[i].name);
		f->objs[i].data = f->bufs[i];
		f->objs[i].len = files[i].len;
		/* blocks are even-sized, so the running sum is the whole sum */
		f->sums[i] = cksum_fold(cksum_partial(f->bufs[i], files[i].len, 0));
	}
	server_create(f, 1468);
	tnet_init(&f->w, 8192, 0);
	tnet_txq_init(&f->q, TNET_TXQ);
	f->now = 100 * SEC;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tftp_server_destroy(f->srv);
	tnet_fini(&f->w);
	for (int i = 0; i < NOBJ; i++)
		free(f->bufs[i]);
	free(f);
	return 0;
}

/* What a server action looks like on the wire (the glue's job). */
static void emit(struct fx *f, const struct tftp_out *out)
{
	uint8_t fr[STORM_FRAME_MAX];
	uint8_t *p = fr + UDP4_HDRS_LEN;
	const size_t cap = sizeof(fr) - UDP4_HDRS_LEN;

	for (unsigned i = 0; i < out->n; i++) {
		const struct tftp_act *x = &out->act[i];
		unsigned c = x->cip - CLIENT0;
		size_t n = 0;

		switch (x->type) {
		case TFTP_ACT_DATA:
			assert_false(x->u.data.netascii);
			tftp_wire_put_data_hdr(p, (uint16_t)x->u.data.block);
			memcpy(p + 4, x->u.data.obj->data + x->u.data.off, x->u.data.len);
			n = 4 + x->u.data.len;
			break;
		case TFTP_ACT_OACK:
			n = tftp_wire_put_oack(p, cap, &x->u.oack);
			break;
		case TFTP_ACT_ERROR:
			n = tftp_wire_put_error(p, cap, x->u.error.code, x->u.error.msg);
			break;
		default:
			f->fin[x->u.fin.reason]++;
			continue;
		}
		assert_true(c < f->n);
		tnet_send(&f->w, fr, pkt_build_udp4(fr, &srv_mac, &f->a[c].mac, SERVER, x->cip,
						    x->sport, x->cport, n));
	}
}

static void to_server(struct fx *f, const struct pkt_info *pi)
{
	struct tftp_out out = { f->act, 256, 0 };
	struct tftp_rx rx = { pi->payload, pi->src_ip, pi->src_port, pi->dst_port };

	assert_int_equal(tftp_server_input(f->srv, &rx, f->now, &out), 0);
	emit(f, &out);
}

static void account(struct fx *f, unsigned i, int rc)
{
	if (rc == STFTP_DONE)
		f->done++;
	else if (rc == STFTP_FAILED)
		f->failed++;
	if (rc != STFTP_IGNORED)
		f->last[i] = rc;
}

static void flush(struct fx *f)
{
	f->cli_frames += f->q.tx.n;
	tnet_flush(&f->w, &f->q);
}

static void deliver(struct fx *f, const struct tnet_frame *fr)
{
	struct pkt_info pi;
	unsigned i;

	tnet_parse_udp(fr->b, fr->len, &pi);
	if (pi.dst_ip == SERVER) {
		to_server(f, &pi);
		return;
	}
	i = pi.dst_ip - CLIENT0;
	assert_true(i < f->n);
	account(f, i, stftp_input(&f->t[i], &f->a[i], &pi, f->now, &tm, &f->q.tx));
	flush(f);
}

static void server_timers(struct fx *f)
{
	while (tftp_server_deadline(f->srv) <= f->now) {
		struct tftp_out out = { f->act, 256, 0 };

		tftp_server_timers(f->srv, f->now, &out);
		emit(f, &out);
	}
}

/* Deliver until the wire is empty, then jump to the next deadline, both sides'. */
static void run(struct fx *f, uint64_t limit)
{
	struct tnet_frame fr;

	for (;;) {
		uint64_t next;

		while (tnet_recv(&f->w, &fr))
			deliver(f, &fr);
		next = tftp_server_deadline(f->srv);
		for (unsigned i = 0; i < f->n; i++)
			next = STP_MIN(next, stftp_deadline(&f->t[i]));
		if (next == UINT64_MAX)
			return;
		assert_true(next < limit);
		f->now = STP_MAX(f->now, next);
		server_timers(f);
		for (unsigned i = 0; i < f->n; i++) {
			if (stftp_deadline(&f->t[i]) > f->now)
				continue;
			account(f, i, stftp_timer(&f->t[i], &f->a[i], f->now, &tm, &f->q.tx));
			flush(f);
		}
	}
}

static void start(struct fx *f, unsigned i, enum stftp_kind k, const char *file)
{
	f->a[i] = client_addr(i);
	f->file[i] = file;
	f->last[i] = STFTP_RUNNING;
	stftp_start(&f->t[i], k, file, (uint16_t)(PORT0 + 2 * i), &f->a[i], f->now, &tm,
		    &f->q.tx);
	flush(f);
}

static int obj_index(const char *name)
{
	for (int i = 0; i < NOBJ; i++)
		if (strcmp(files[i].name, name) == 0)
			return i;
	return -1;
}

/* Every client got its whole object: size, announced size and checksum. */
static void expect_all_done(struct fx *f)
{
	for (unsigned i = 0; i < f->n; i++) {
		const struct stftp *t = &f->t[i];
		int o = obj_index(f->file[i]);

		if (t->state != STFTP_ST_DONE) {
			char cause[64];

			fail_msg("client %u: %s %s", i, stftp_state_name(t->state),
				 stftp_cause(t, cause, sizeof(cause)));
		}
		assert_int_equal(f->last[i], STFTP_DONE);
		assert_int_equal(t->bytes, files[o].len);
		assert_int_equal(cksum_fold(t->csum), f->sums[o]);
		assert_int_equal(t->block, files[o].len / t->blksize + 1);
		if (t->kind != STFTP_PLAIN) {
			assert_true(t->flags & STFTP_F_TSIZE);
			assert_int_equal(t->tsize, files[o].len);
		}
		assert_int_equal(stftp_deadline(t), UINT64_MAX);
	}
	assert_int_equal(f->done, f->n);
	assert_int_equal(f->failed, 0);
	assert_int_equal(tftp_server_active(f->srv), 0);
}

/* iPXE: OACK, ACK 0, then one ACK per block. */
static void test_bios_server(void **state)
{
	struct fx *f = *state;

	f->n = 1;
	start(f, 0, STFTP_BIOS, "undionly.kpxe");
	run(f, f->now + 10 * SEC);
	expect_all_done(f);
	assert_int_equal(f->t[0].blksize, 1432);
	assert_int_equal(f->t[0].window, 1);
	/* RRQ, ACK 0, and 49 ACKs: lock-step */
	assert_int_equal(f->cli_frames, 1 + 1 + 49);
	assert_int_equal(f->t[0].retrans, 0);
	assert_int_equal(f->now, 100 * SEC);
	assert_int_equal(tftp_server_counters(f->srv)->sessions_done, 1);
}

/* EDK2: probe, ERROR 8, second RRQ, windows of 4. */
static void test_uefi_server(void **state)
{
	struct fx *f = *state;

	f->n = 1;
	start(f, 0, STFTP_UEFI, "ipxe.efi");
	run(f, f->now + 10 * SEC);
	expect_all_done(f);
	assert_int_equal(f->t[0].blksize, 1468);
	assert_int_equal(f->t[0].window, 4);
	assert_int_equal(f->t[0].port, PORT0 + 1);
	/* 137 blocks: 2 RRQs, ERROR 8, ACK 0, 34 window ACKs, the last block's */
	assert_int_equal(f->t[0].block, 137);
	assert_int_equal(f->cli_frames, 2 + 1 + 1 + 34 + 1);
	assert_int_equal(tftp_server_counters(f->srv)->sessions_probe, 1);
	assert_int_equal(tftp_server_counters(f->srv)->sessions_done, 1);
	assert_int_equal(f->fin[TFTP_FIN_PROBE], 1);
	assert_int_equal(f->fin[TFTP_FIN_DONE], 1);
}

/* 56 clients at once, every 11th frame lost either way: all complete. */
static void test_storm_loss(void **state)
{
	static const char *const names[] = { "undionly.kpxe", "ipxe.efi", "exact", "tiny" };
	struct fx *f = *state;
	uint64_t retrans = 0, dups = 0;

	f->w.drop_every = 11;
	f->n = 56;
	for (unsigned i = 0; i < f->n; i++)
		start(f, i, (enum stftp_kind)(i % 3 == 2 && i % 4 == 3 ? STFTP_PLAIN : i % 2),
		      names[i % 4]);
	run(f, f->now + 600 * SEC);
	expect_all_done(f);
	for (unsigned i = 0; i < f->n; i++) {
		retrans += f->t[i].retrans;
		dups += f->t[i].dups;
	}
	assert_true(f->w.dropped > 100);
	assert_true(retrans > 0);
	assert_true(dups > 0);
	assert_int_equal(tftp_server_counters(f->srv)->sessions_done, f->n);
	assert_int_equal(tftp_server_counters(f->srv)->sessions_failed, 0);
}

/* 75000 blocks of 8 bytes: the 16-bit block number wraps, with loss. */
static void test_rollover(void **state)
{
	struct fx *f = *state;

	server_create(f, 8);
	f->w.drop_every = 997;
	f->n = 2;
	start(f, 0, STFTP_BIOS, "big");
	start(f, 1, STFTP_UEFI, "big");
	run(f, f->now + 3600 * SEC);
	expect_all_done(f);
	assert_int_equal(f->t[0].blksize, 8);
	assert_int_equal(f->t[0].block, 75001);
	assert_int_equal(f->t[1].window, 4);
}

static void test_server_error(void **state)
{
	struct fx *f = *state;
	char cause[64];

	f->n = 2;
	start(f, 0, STFTP_BIOS, "no-such-file");
	start(f, 1, STFTP_UEFI, "../../etc/passwd");
	run(f, f->now + 10 * SEC);
	assert_int_equal(f->failed, 2);
	assert_int_equal(f->t[0].state, STFTP_ST_FAILED);
	assert_int_equal(f->t[0].err_code, 1);
	assert_string_equal(stftp_cause(&f->t[0], cause, sizeof(cause)),
			    "tftp: error 1 file not found");
	assert_int_equal(f->t[1].err_code, 2);
	stftp_cause(&f->t[1], cause, sizeof(cause));
	assert_true(strncmp(cause, "tftp: error 2 ", 14) == 0);
	/* the storm's cause table holds 48 bytes: the text is cut, not overrun */
	assert_int_equal(strlen(stftp_cause(&f->t[0], cause, 12)), 11);
}

/* ---- servers that behave differently --------------------------------------------- */

/* No OACK: DATA 1 of 512 bytes at once, lock-step, no size to check. */
static void test_no_oack(void **state)
{
	struct storm_addr a = client_addr(3);
	struct tnet_txq q;
	struct stftp t;

	(void)state;
	for (int k = 0; k < STFTP_KIND_N; k++) {
		tnet_txq_init(&q, 8);
		stftp_start(&t, (enum stftp_kind)k, "x", PORT0, &a, 0, &tm, &q.tx);
		q.tx.n = 0;
		assert_int_equal(feed_data(&t, &a, 1, 512, 10, &q.tx), STFTP_RUNNING);
		assert_int_equal(t.state, STFTP_ST_RECEIVING);
		assert_int_equal(t.blksize, 512);
		assert_int_equal(t.port, PORT0); /* EDK2's probe became the transfer */
		expect_ack(&q, 0, &a, PORT0, 1);
		assert_int_equal(feed_data(&t, &a, 2, 512, 20, &q.tx), STFTP_RUNNING);
		expect_ack(&q, 1, &a, PORT0, 2);
		assert_int_equal(stftp_deadline(&t), 20 + SEC);
		assert_int_equal(feed_data(&t, &a, 3, 100, 30, &q.tx), STFTP_DONE);
		expect_ack(&q, 2, &a, PORT0, 3);
		assert_int_equal(t.bytes, 1124);
		assert_false(t.flags & STFTP_F_TSIZE);
		/* the last block again (our ACK lost): ACKed again, nothing else */
		assert_int_equal(feed_data(&t, &a, 3, 100, 40, &q.tx), STFTP_IGNORED);
		expect_ack(&q, 3, &a, PORT0, 3);
		assert_int_equal(t.state, STFTP_ST_DONE);
		assert_int_equal(feed_data(&t, &a, 2, 512, 40, &q.tx), STFTP_IGNORED);
		assert_int_equal(q.tx.n, 4);
	}
}

/* BIOS client through the OACK to RECEIVING with @a oack. */
static void bios_receiving(struct stftp *t, struct storm_addr *a, struct tnet_txq *q,
			   const char *oack, size_t len)
{
	tnet_txq_init(q, 8);
	stftp_start(t, STFTP_BIOS, "undionly.kpxe", PORT0, a, 0, &tm, &q->tx);
	q->tx.n = 0;
	assert_int_equal(feed(t, a, SRV_TID, oack, len, 0, &q->tx), STFTP_RUNNING);
	assert_int_equal(t->state, STFTP_ST_RECEIVING);
	expect_ack(q, 0, a, PORT0, 0);
	q->tx.n = 0;
}

#define OACK_1000 "\x00\x06" "blksize\0" "1432\0tsize\0" "1000"

static void test_size_mismatch(void **state)
{
	static const char oack_100[] = "\x00\x06" "tsize\0" "100\0blksize\0" "1432";
	struct storm_addr a = client_addr(4);
	struct tnet_txq q;
	struct stftp t;
	char cause[64];

	(void)state;
	/* too little: the short block ends it, ACKed, but the size is wrong */
	bios_receiving(&t, &a, &q, OACK_1000, sizeof(OACK_1000));
	assert_int_equal(feed_data(&t, &a, 1, 500, 0, &q.tx), STFTP_FAILED);
	expect_ack(&q, 0, &a, PORT0, 1);
	assert_string_equal(stftp_cause(&t, cause, sizeof(cause)), "tftp: size mismatch");
	assert_int_equal(feed_data(&t, &a, 1, 500, 0, &q.tx), STFTP_IGNORED);

	/* too much: stopped with an ERROR to the server */
	bios_receiving(&t, &a, &q, oack_100, sizeof(oack_100));
	assert_int_equal(feed_data(&t, &a, 1, 1432, 0, &q.tx), STFTP_FAILED);
	expect_error(&q, 0, SRV_TID, 0);
	assert_string_equal(stftp_cause(&t, cause, sizeof(cause)), "tftp: size mismatch");

	/* a block over blksize */
	bios_receiving(&t, &a, &q, OACK_1000, sizeof(OACK_1000));
	assert_int_equal(feed_data(&t, &a, 1, 1433, 0, &q.tx), STFTP_FAILED);
	expect_error(&q, 0, SRV_TID, 4);
	assert_string_equal(stftp_cause(&t, cause, sizeof(cause)), "tftp: block too large");

	/* exactly right */
	bios_receiving(&t, &a, &q, OACK_1000, sizeof(OACK_1000));
	assert_int_equal(feed_data(&t, &a, 1, 1000, 0, &q.tx), STFTP_DONE);
	assert_int_equal(t.bytes, 1000);
}

static void test_bad_oack(void **state)
{
	static const struct {
		const char *what;
		const char *p;
		size_t len;
	} v[] = {
#define V(what, lit) { what, lit, sizeof(lit) }
		V("blksize above the request", "\x00\x06" "blksize\0" "1433"),
		V("blksize below 8", "\x00\x06" "blksize\0" "7"),
		V("blksize not decimal", "\x00\x06" "blksize\0" "14x2"),
		V("blksize empty", "\x00\x06" "blksize\0"),
		V("windowsize not asked", "\x00\x06" "blksize\0" "1432\0windowsize\0" "4"),
		V("unknown option", "\x00\x06" "multicast\0" "1"),
		V("tsize negative", "\x00\x06" "tsize\0" "-1"),
		V("tsize 21 digits", "\x00\x06" "tsize\0" "100000000000000000000"),
		V("empty name", "\x00\x06" "\0" "5"),
#undef V
		{ "no NUL after the value", "\x00\x06" "blksize\0" "1432", 14 },
		{ "no NUL after the name", "\x00\x06" "blksize", 9 },
		{ "no value", "\x00\x06" "blksize\0", 10 },
	};
	static const char mixed_case[] = "\x00\x06" "BlkSize\0" "1024\0TSIZE\0" "9";
	struct storm_addr a = client_addr(5);
	struct tnet_txq q;
	struct stftp t;
	char cause[64];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		tnet_txq_init(&q, 8);
		stftp_start(&t, STFTP_BIOS, "undionly.kpxe", PORT0, &a, 0, &tm, &q.tx);
		q.tx.n = 0;
		if (feed(&t, &a, SRV_TID, v[i].p, v[i].len, 0, &q.tx) != STFTP_FAILED)
			fail_msg("%s: accepted", v[i].what);
		expect_error(&q, 0, SRV_TID, 8);
		assert_string_equal(stftp_cause(&t, cause, sizeof(cause)), "tftp: bad oack");
	}
	/* case does not matter (RFC 2347), and an empty OACK is no options */
	bios_receiving(&t, &a, &q, mixed_case, sizeof(mixed_case));
	assert_int_equal(t.blksize, 1024);
	assert_int_equal(t.tsize, 9);
	bios_receiving(&t, &a, &q, "\x00\x06", 2);
	assert_int_equal(t.blksize, 512);
}

/* RFC 1350 sec 4: a stranger's TID gets ERROR 5; the transfer goes on. */
static void test_unknown_tid(void **state)
{
	struct storm_addr a = client_addr(6);
	struct tnet_txq q;
	struct stftp t;
	uint8_t data[8] = { 0, 3, 0, 1, 1, 2, 3, 4 };

	(void)state;
	bios_receiving(&t, &a, &q, OACK_1000, sizeof(OACK_1000));
	assert_int_equal(feed(&t, &a, SRV_TID + 1, data, 8, 0, &q.tx), STFTP_IGNORED);
	expect_error(&q, 0, SRV_TID + 1, 5);
	/* an ERROR from a stranger is not answered (no error loops) */
	assert_int_equal(feed(&t, &a, SRV_TID + 1, "\x00\x05\x00\x05x", 6, 0, &q.tx),
			 STFTP_IGNORED);
	assert_int_equal(q.tx.n, 1);
	assert_int_equal(t.block, 0);
	assert_int_equal(feed_data(&t, &a, 1, 1000, 0, &q.tx), STFTP_DONE);
}

/* EDK2's probe TID: a resent OACK there gets its ERROR 8 again. */
static void test_probe_resent(void **state)
{
	struct storm_addr a = client_addr(7);
	struct tnet_txq q;
	struct stftp t;
	uint8_t f[STORM_FRAME_MAX];
	struct pkt_info pi;

	(void)state;
	tnet_txq_init(&q, 8);
	stftp_start(&t, STFTP_UEFI, "ipxe.efi", PORT0, &a, 0, &tm, &q.tx);
	assert_int_equal(feed(&t, &a, SRV_TID, OACK_PROBE, sizeof(OACK_PROBE), 0, &q.tx),
			 STFTP_RUNNING);
	q.tx.n = 0;
	srv_frame(&a, SRV_TID, PORT0, OACK_PROBE, sizeof(OACK_PROBE), f, &pi);
	assert_int_equal(stftp_input(&t, &a, &pi, 0, &tm, &q.tx), STFTP_IGNORED);
	assert_int_equal(q.tx.n, 1);
	expect_error(&q, 0, SRV_TID, 8);
	/* from the old port, as the TID: */
	tnet_parse_udp(q.buf[0], q.len[0], &pi);
	assert_int_equal(pi.src_port, PORT0);
	assert_int_equal(t.state, STFTP_ST_RRQ_SENT);
	/* some other port entirely: nothing */
	srv_frame(&a, SRV_TID, PORT0 + 5, OACK_PROBE, sizeof(OACK_PROBE), f, &pi);
	assert_int_equal(stftp_input(&t, &a, &pi, 0, &tm, &q.tx), STFTP_IGNORED);
	assert_int_equal(q.tx.n, 1);
}

/* RFC 7440 sec 4: a gap is answered once with the last in-order block. */
static void test_window_gap(void **state)
{
	static const char oack2[] = "\x00\x06" "blksize\0" "8\0windowsize\0" "4";
	static const char oack1[] = "\x00\x06" "tsize\0" "40\0blksize\0" "1468\0windowsize\0" "4";
	struct storm_addr a = client_addr(8);
	struct tnet_txq q;
	struct stftp t;

	(void)state;
	tnet_txq_init(&q, 16);
	stftp_start(&t, STFTP_UEFI, "f", PORT0, &a, 0, &tm, &q.tx);
	assert_int_equal(feed(&t, &a, SRV_TID, oack1, sizeof(oack1), 0, &q.tx), STFTP_RUNNING);
	assert_int_equal(feed(&t, &a, SRV_TID + 1, oack2, sizeof(oack2), 0, &q.tx), STFTP_RUNNING);
	q.tx.n = 0;
	assert_int_equal(t.blksize, 8);
	assert_int_equal(t.window, 4);
	assert_int_equal(feed(&t, &a, SRV_TID + 1, "\x00\x03\x00\x01" "abcdefgh", 12, 0, &q.tx),
			 STFTP_RUNNING);
	assert_int_equal(feed(&t, &a, SRV_TID + 1, "\x00\x03\x00\x02" "abcdefgh", 12, 0, &q.tx),
			 STFTP_RUNNING);
	assert_int_equal(q.tx.n, 0); /* mid-window: no ACK */
	/* 3 lost: 4 and 5 are ahead; ACK 2 once */
	assert_int_equal(feed(&t, &a, SRV_TID + 1, "\x00\x03\x00\x04" "abcdefgh", 12, 0, &q.tx),
			 STFTP_RUNNING);
	assert_int_equal(feed(&t, &a, SRV_TID + 1, "\x00\x03\x00\x05" "abcdefgh", 12, 0, &q.tx),
			 STFTP_RUNNING);
	assert_int_equal(q.tx.n, 1);
	assert_int_equal(t.gaps, 2);
	{
		uint8_t ack2[4] = { 0, 4, 0, 2 };

		expect_tx(&q, 0, &a, PORT0 + 1, SRV_TID + 1, ack2, 4);
	}
	/* the server goes back to 3; a duplicate of 2 on the way */
	assert_int_equal(feed(&t, &a, SRV_TID + 1, "\x00\x03\x00\x03" "abcdefgh", 12, 0, &q.tx),
			 STFTP_RUNNING);
	assert_int_equal(feed(&t, &a, SRV_TID + 1, "\x00\x03\x00\x02" "abcdefgh", 12, 0, &q.tx),
			 STFTP_RUNNING);
	assert_int_equal(t.dups, 1);
	assert_int_equal(feed(&t, &a, SRV_TID + 1, "\x00\x03\x00\x04" "abcdefgh", 12, 0, &q.tx),
			 STFTP_RUNNING);
	assert_int_equal(feed(&t, &a, SRV_TID + 1, "\x00\x03\x00\x05" "abcdefgh", 12, 0, &q.tx),
			 STFTP_RUNNING);
	assert_int_equal(q.tx.n, 1);
	/* 6 is the window's 4th since ACK 2: ACK; then the empty last block */
	assert_int_equal(feed(&t, &a, SRV_TID + 1, "\x00\x03\x00\x06", 4, 0, &q.tx),
			 STFTP_DONE);
	assert_int_equal(q.tx.n, 2);
	assert_int_equal(t.bytes, 40);
	assert_int_equal(t.block, 6);
}

/* Lock-step: the server resends the block we ACKed; we ACK it again. */
static void test_dup_reack(void **state)
{
	struct storm_addr a = client_addr(9);
	struct tnet_txq q;
	struct stftp t;

	(void)state;
	bios_receiving(&t, &a, &q, OACK_1000, sizeof(OACK_1000));
	/* OACK again: our ACK 0 was lost */
	assert_int_equal(feed(&t, &a, SRV_TID, OACK_1000, sizeof(OACK_1000), 0, &q.tx),
			 STFTP_RUNNING);
	expect_ack(&q, 0, &a, PORT0, 0);
	/* an empty first block when 1000 bytes were announced */
	q.tx.n = 0;
	assert_int_equal(feed_data(&t, &a, 1, 0, 0, &q.tx), STFTP_FAILED);
	expect_ack(&q, 0, &a, PORT0, 1);

	bios_receiving(&t, &a, &q, "\x00\x06" "blksize\0" "8", 12);
	assert_int_equal(feed_data(&t, &a, 1, 8, 0, &q.tx), STFTP_RUNNING);
	assert_int_equal(feed_data(&t, &a, 1, 8, 0, &q.tx), STFTP_RUNNING);
	assert_int_equal(q.tx.n, 2);
	expect_ack(&q, 1, &a, PORT0, 1);
	assert_int_equal(t.dups, 1);
	assert_int_equal(t.bytes, 8);
	/* the OACK once data flows: ignored */
	assert_int_equal(feed(&t, &a, SRV_TID, "\x00\x06", 2, 0, &q.tx), STFTP_IGNORED);
}

static void test_illegal(void **state)
{
	struct storm_addr a = client_addr(10);
	struct tnet_txq q;
	struct stftp t;
	char cause[64];
	uint8_t f[STORM_FRAME_MAX];
	struct pkt_info pi;

	(void)state;
	bios_receiving(&t, &a, &q, OACK_1000, sizeof(OACK_1000));
	for (size_t n = 0; n < 4; n++)
		assert_int_equal(feed(&t, &a, SRV_TID, "\x00\x03\x00\x01", n, 0, &q.tx),
				 STFTP_IGNORED);
	/* from another address, or not UDP: not ours */
	srv_frame(&a, SRV_TID, PORT0, "\x00\x03\x00\x01", 4, f, &pi);
	pi.src_ip = SERVER + 1;
	assert_int_equal(stftp_input(&t, &a, &pi, 0, &tm, &q.tx), STFTP_IGNORED);
	srv_frame(&a, SRV_TID, PORT0, "\x00\x03\x00\x01", 4, f, &pi);
	pi.proto = IPPROTO_TCP_;
	assert_int_equal(stftp_input(&t, &a, &pi, 0, &tm, &q.tx), STFTP_IGNORED);
	assert_int_equal(q.tx.n, 0);
	assert_int_equal(t.state, STFTP_ST_RECEIVING);
	/* an RRQ, an ACK or opcode 9 from the server: illegal */
	assert_int_equal(feed(&t, &a, SRV_TID, "\x00\x04\x00\x01", 4, 0, &q.tx), STFTP_FAILED);
	expect_error(&q, 0, SRV_TID, 4);
	assert_string_equal(stftp_cause(&t, cause, sizeof(cause)), "tftp: illegal packet");
	assert_int_equal(feed_data(&t, &a, 1, 10, 0, &q.tx), STFTP_IGNORED);
	assert_int_equal(stftp_timer(&t, &a, UINT64_MAX - 1, &tm, &q.tx), STFTP_IGNORED);

	/* a server ERROR with an unprintable, overlong text */
	bios_receiving(&t, &a, &q, OACK_1000, sizeof(OACK_1000));
	{
		uint8_t e[80] = { 0, 5, 0, 3, 'd', 'i', 's', 'k', '\n' };

		memset(e + 9, 'z', sizeof(e) - 9); /* and no NUL */
		assert_int_equal(feed(&t, &a, SRV_TID, e, sizeof(e), 0, &q.tx), STFTP_FAILED);
	}
	assert_int_equal(q.tx.n, 0); /* RFC 1350: errors are not answered */
	stftp_cause(&t, cause, sizeof(cause));
	assert_true(strncmp(cause, "tftp: error 3 disk?zzz", 22) == 0);
	assert_int_equal(strlen(t.errmsg), STFTP_ERRMSG_MAX - 1);
}

/* Nobody answers: the RRQ at 1, 3, 7, 15, 23, 31 s, then "tftp: timeout" at 39 s. */
static void test_timeout(void **state)
{
	static const uint64_t at[] = { 1, 3, 7, 15, 23, 31, 39 };
	struct storm_addr a = client_addr(11);
	struct tnet_txq q;
	struct stftp t;
	char cause[64];

	(void)state;
	tnet_txq_init(&q, 16);
	stftp_start(&t, STFTP_BIOS, "undionly.kpxe", PORT0, &a, 0, &tm, &q.tx);
	for (int i = 0; i < 7; i++) {
		assert_int_equal(stftp_deadline(&t), at[i] * SEC);
		assert_int_equal(stftp_timer(&t, &a, at[i] * SEC - 1, &tm, &q.tx), STFTP_IGNORED);
		assert_int_equal(stftp_timer(&t, &a, at[i] * SEC, &tm, &q.tx),
				 i < 6 ? STFTP_RUNNING : STFTP_FAILED);
	}
	assert_int_equal(q.tx.n, 7);
	for (unsigned i = 1; i < 7; i++)
		expect_tx(&q, i, &a, PORT0, 69, RRQ_BIOS, sizeof(RRQ_BIOS));
	assert_int_equal(t.retrans, 6);
	assert_string_equal(stftp_cause(&t, cause, sizeof(cause)), "tftp: timeout");
	assert_int_equal(stftp_deadline(&t), UINT64_MAX);

	/* mid-transfer: the last ACK is what is resent; progress resets the count */
	bios_receiving(&t, &a, &q, OACK_1000, sizeof(OACK_1000));
	assert_int_equal(stftp_timer(&t, &a, SEC, &tm, &q.tx), STFTP_RUNNING);
	expect_ack(&q, 0, &a, PORT0, 0);
	assert_int_equal(t.tries, 1);
	assert_int_equal(stftp_deadline(&t), 3 * SEC);
}

static void test_names(void **state)
{
	struct storm_addr a = client_addr(12);
	struct tnet_txq q;
	struct stftp t;
	char cause[64], longname[STFTP_NAME_MAX + 2];

	(void)state;
	tnet_txq_init(&q, 8);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	stftp_start(&t, STFTP_BIOS, longname, PORT0, &a, 0, &tm, &q.tx);
	assert_int_equal(t.state, STFTP_ST_FAILED);
	assert_string_equal(stftp_cause(&t, cause, sizeof(cause)), "tftp: bad file name");
	stftp_start(&t, STFTP_BIOS, "", PORT0, &a, 0, &tm, &q.tx);
	assert_int_equal(t.state, STFTP_ST_FAILED);
	stftp_start(&t, STFTP_BIOS, NULL, PORT0, &a, 0, &tm, &q.tx);
	assert_int_equal(t.state, STFTP_ST_FAILED);
	assert_int_equal(q.tx.n, 0);
	assert_int_equal(stftp_deadline(&t), UINT64_MAX);
	longname[STFTP_NAME_MAX] = 0; /* the longest allowed fits one frame */
	stftp_start(&t, STFTP_UEFI, longname, PORT0, &a, 0, &tm, &q.tx);
	assert_int_equal(q.tx.n, 1);
	assert_string_equal(stftp_state_name(STFTP_ST_PROBE), "PROBE");
	assert_string_equal(stftp_state_name(99), "?");
	assert_true(sizeof(struct stftp) <= 128);
	memset(&t, 0, sizeof(t));
	assert_int_equal(stftp_deadline(&t), UINT64_MAX);
	assert_string_equal(stftp_cause(&t, cause, sizeof(cause)), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rrq_bytes),
		cmocka_unit_test_setup_teardown(test_bios_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uefi_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storm_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_error, setup, teardown),
		cmocka_unit_test(test_no_oack),
		cmocka_unit_test(test_size_mismatch),
		cmocka_unit_test(test_bad_oack),
		cmocka_unit_test(test_unknown_tid),
		cmocka_unit_test(test_probe_resent),
		cmocka_unit_test(test_window_gap),
		cmocka_unit_test(test_dup_reack),
		cmocka_unit_test(test_illegal),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
