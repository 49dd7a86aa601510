/* SPDX-License-Identifier: BSD-3-Clause */
/* The TFTP session state machine with an explicit clock: OACK handshake,
 * windows, go-back on an earlier ACK, duplicate/old/future ACKs, the RTO
 * from measured round trips (RFC 6298: samples, floor, cap, backoff,
 * Karn's rule), retry limit, idle limit, rollover past 65535, netascii
 * blocks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tftp_sess.h"

#define SEC 1000000ull
#define MS 1000ull
/* The RTO floor, as a 64-bit number of microseconds. */
#define FLOOR ((uint64_t)TFTP_RTO_MIN_US)
/* Terminates the option lists of the variadic request builders. */
#define END ((const char *)NULL)
#define T0 (1000 * SEC)
#define CIP 0x0a000032u

static const struct tftp_limits lim = { .max_blksize = 1468, .max_window = 64 };
static const struct tftp_timing timing = TFTP_TIMING_DEFAULT;

struct fx {
	struct stp_object obj;
	uint8_t *data;
	struct tftp_req req;
	uint8_t reqbuf[256];
	struct tftp_counters ctr;
	struct tftp_sess s;
	struct tftp_act act[256];
	struct tftp_out out;
	uint64_t now;
};

static struct fx *fx_new(size_t len)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->data = malloc(len + 1);
	assert_non_null(f->data);
	for (size_t i = 0; i < len; i++)
		f->data[i] = (uint8_t)(i * 7 + 3);
	strcpy(f->obj.name, "file");
	f->obj.data = f->data;
	f->obj.len = len;
	f->out = (struct tftp_out){ f->act, 256, 0 };
	f->now = T0;
	return f;
}

static void fx_free(struct fx *f)
{
	free(f->data);
	free(f);
}

/* Parse an RRQ whose option pairs are given as "name", "value", ... NULL. */
static void fx_req(struct fx *f, const char *mode, ...)
{
	size_t n = 2;
	va_list ap;
	const char *s;

	f->reqbuf[0] = 0;
	f->reqbuf[1] = TFTP_OP_RRQ;
	memcpy(f->reqbuf + n, "file", 5);
	n += 5;
	memcpy(f->reqbuf + n, mode, strlen(mode) + 1);
	n += strlen(mode) + 1;
	va_start(ap, mode);
	while ((s = va_arg(ap, const char *)) != NULL) {
		memcpy(f->reqbuf + n, s, strlen(s) + 1);
		n += strlen(s) + 1;
	}
	va_end(ap);
	assert_int_equal(tftp_parse_request(span_make(f->reqbuf, n), &lim, &f->req), TFTP_PARSE_OK);
}

static int fx_start(struct fx *f)
{
	struct tftp_sess_init in = { .obj = &f->obj, .req = &f->req, .tm = &timing, .ctr = &f->ctr,
				     .id = 7, .cip = CIP, .cport = 2000, .sport = 50000 };

	f->out.n = 0;
	return tftp_sess_start(&f->s, &in, f->now, &f->out);
}

static int fx_ack(struct fx *f, uint16_t wire)
{
	uint8_t p[4];

	tftp_wire_put_ack(p, wire);
	f->out.n = 0;
	return tftp_sess_input(&f->s, span_make(p, 4), f->now, &f->out);
}

static int fx_pkt(struct fx *f, const void *p, size_t len)
{
	f->out.n = 0;
	return tftp_sess_input(&f->s, span_make(p, len), f->now, &f->out);
}

static int fx_timer(struct fx *f)
{
	f->out.n = 0;
	return tftp_sess_timer(&f->s, f->now, &f->out);
}

/* The queued DATA blocks must be exactly first..last, in order. */
static void expect_data(struct fx *f, uint32_t first, uint32_t last)
{
	assert_int_equal(f->out.n, last - first + 1);
	for (uint32_t i = 0; i < f->out.n; i++) {
		const struct tftp_act *a = &f->act[i];
		uint32_t b = first + i;
		uint64_t off = (uint64_t)(b - 1) * f->s.blksize;

		assert_int_equal(a->type, TFTP_ACT_DATA);
		assert_int_equal(a->u.data.block, b);
		assert_int_equal(a->u.data.off, off);
		assert_int_equal(a->u.data.len, off + f->s.blksize <= f->obj.len ? f->s.blksize :
				 f->obj.len - off);
		assert_ptr_equal(a->u.data.obj, &f->obj);
		assert_int_equal(a->cip, CIP);
		assert_int_equal(a->cport, 2000);
		assert_int_equal(a->sport, 50000);
		assert_int_equal(a->sess, 7);
	}
}

static void expect_fin(struct fx *f, unsigned at, enum tftp_fin_reason why)
{
	assert_true(f->out.n > at);
	assert_int_equal(f->act[at].type, TFTP_ACT_FINISHED);
	assert_int_equal(f->act[at].u.fin.reason, why);
	assert_int_equal(tftp_sess_deadline(&f->s), UINT64_MAX);
	assert_false(tftp_sess_active(&f->s));
}

static void expect_error(struct fx *f, unsigned at, uint16_t code)
{
	assert_true(f->out.n > at);
	assert_int_equal(f->act[at].type, TFTP_ACT_ERROR);
	assert_int_equal(f->act[at].u.error.code, code);
	assert_non_null(f->act[at].u.error.msg);
}

/* tftp-hpa with no options: DATA 1 at once, lock-step, short last block. */
static void test_plain_lockstep(void **state)
{
	struct fx *f = fx_new(1300);

	(void)state;
	fx_req(f, "octet", END);
	assert_int_equal(fx_start(f), 0);
	expect_data(f, 1, 1);
	assert_int_equal(f->s.state, TFTP_SESS_SENDING);
	assert_int_equal(fx_ack(f, 1), 0);
	expect_data(f, 2, 2);
	assert_int_equal(fx_ack(f, 2), 0);
	expect_data(f, 3, 3);
	assert_int_equal(f->act[0].u.data.len, 1300 - 1024);
	assert_int_equal(f->s.state, TFTP_SESS_LAST_SENT);
	assert_int_equal(fx_ack(f, 3), 1);
	expect_fin(f, 0, TFTP_FIN_DONE);
	assert_int_equal(f->act[0].u.fin.bytes, 1300);
	assert_int_equal(f->act[0].u.fin.blocks, 3);
	assert_int_equal(f->ctr.sessions_done, 1);
	assert_int_equal(f->ctr.data_sent, 3);
	assert_int_equal(f->ctr.data_resent, 0);
	/* nothing more once finished */
	assert_int_equal(fx_ack(f, 3), 1);
	assert_int_equal(f->out.n, 0);
	fx_free(f);
}

/* len % blksize == 0: an empty last block tells the client it is over. */
static void test_empty_last_block(void **state)
{
	const size_t lens[] = { 0, 512, 1024, 1468 * 4 };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct fx *f = fx_new(lens[i]);
		uint32_t want_last;

		if (i == 3)
			fx_req(f, "octet", "blksize", "1468", "windowsize", "4", END);
		else
			fx_req(f, "octet", END);
		assert_int_equal(fx_start(f), 0);
		want_last = (uint32_t)(lens[i] / f->req.blksize) + 1;
		assert_int_equal(f->s.last, want_last);
		if (i == 3) {
			assert_int_equal(fx_ack(f, 0), 0);
			expect_data(f, 1, 4);
			assert_int_equal(fx_ack(f, 4), 0);
		} else {
			for (uint32_t b = 1; b < want_last; b++)
				assert_int_equal(fx_ack(f, (uint16_t)b), 0);
		}
		expect_data(f, want_last, want_last);
		assert_int_equal(f->act[0].u.data.len, 0);
		assert_int_equal(fx_ack(f, (uint16_t)want_last), 1);
		expect_fin(f, 0, TFTP_FIN_DONE);
		fx_free(f);
	}
}

/* RFC 2347: options -> OACK first, data only after ACK 0. */
static void test_oack_handshake(void **state)
{
	struct fx *f = fx_new(5000);

	(void)state;
	fx_req(f, "octet", "blksize", "1432", "tsize", "0", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].type, TFTP_ACT_OACK);
	assert_int_equal(f->act[0].u.oack.present, TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE);
	assert_int_equal(f->act[0].u.oack.blksize, 1432);
	assert_int_equal(f->act[0].u.oack.tsize, 5000);
	assert_int_equal(f->s.state, TFTP_SESS_OACK_SENT);
	assert_int_equal(f->ctr.oack, 1);
	/* an ACK of anything but 0 does not start the transfer */
	assert_int_equal(fx_ack(f, 1), 0);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(f->ctr.future_acks, 1);
	assert_int_equal(fx_ack(f, 0), 0);
	expect_data(f, 1, 1);
	assert_int_equal(f->act[0].u.data.len, 1432);
	/* a duplicate ACK 0 afterwards is a duplicate, nothing resent */
	assert_int_equal(fx_ack(f, 0), 0);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(f->ctr.dup_acks, 1);
	fx_free(f);
}

/* EDK2's size probe: OACK, then ERROR 8 from the client. */
static void test_client_error(void **state)
{
	static const uint8_t err8[] = "\x00\x05\x00\x08" "no";
	struct fx *f = fx_new(5000);

	(void)state;
	fx_req(f, "octet", "tsize", "0", "blksize", "1468", "windowsize", "4", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(fx_pkt(f, err8, sizeof(err8) - 1), 1);
	assert_int_equal(f->out.n, 1);             /* no ERROR answered to an ERROR */
	expect_fin(f, 0, TFTP_FIN_PROBE);
	assert_int_equal(f->ctr.sessions_probe, 1);
	assert_int_equal(f->ctr.sessions_failed, 0);
	fx_free(f);

	f = fx_new(5000);
	fx_req(f, "octet", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(fx_pkt(f, err8, 3), 0);   /* truncated ERROR: dropped */
	assert_int_equal(f->ctr.drop_short, 1);
	assert_int_equal(fx_pkt(f, err8, 4), 1);
	expect_fin(f, 0, TFTP_FIN_CLIENT_ERROR);
	assert_int_equal(f->ctr.sessions_failed, 1);
	fx_free(f);
}

/* Anything but ACK/ERROR from the client: error 4, session over. */
static void test_illegal_and_short(void **state)
{
	static const uint8_t data[] = "\x00\x03\x00\x01xx";
	static const uint8_t rrq[] = "\x00\x01" "file\0octet";
	struct fx *f = fx_new(5000);

	(void)state;
	fx_req(f, "octet", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(fx_pkt(f, data, 1), 0);
	assert_int_equal(fx_pkt(f, "\x00\x04\x00", 3), 0);
	assert_int_equal(fx_pkt(f, "", 0), 0);
	assert_int_equal(f->ctr.drop_short, 3);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(fx_pkt(f, rrq, sizeof(rrq)), 1);
	expect_error(f, 0, TFTP_ERR_ILLEGAL_OP);
	expect_fin(f, 1, TFTP_FIN_ILLEGAL_OP);
	assert_int_equal(f->ctr.err_tx[TFTP_ERR_ILLEGAL_OP], 1);
	fx_free(f);

	f = fx_new(5000);
	fx_req(f, "octet", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(fx_pkt(f, data, sizeof(data) - 1), 1);
	expect_error(f, 0, TFTP_ERR_ILLEGAL_OP);
	fx_free(f);
}

/* atftp windowsize 16; block 8 lost: the client ACKs 7, we go back to 8. */
static void test_window_loss_goback(void **state)
{
	struct fx *f = fx_new(40 * 1024 + 100);

	(void)state;
	fx_req(f, "octet", "blksize", "1024", "windowsize", "16", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(fx_ack(f, 0), 0);
	expect_data(f, 1, 16);
	f->now += 2000;
	assert_int_equal(fx_ack(f, 7), 0);
	expect_data(f, 8, 23);
	for (unsigned i = 0; i < f->out.n; i++)
		assert_int_equal(f->act[i].u.data.resend, f->act[i].u.data.block <= 16);
	assert_int_equal(f->ctr.data_resent, 9);
	assert_int_equal(f->ctr.data_sent, 23);
	/* the late ACKs of the first window are old news */
	assert_int_equal(fx_ack(f, 3), 0);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(f->ctr.old_acks, 1);
	assert_int_equal(fx_ack(f, 23), 0);
	expect_data(f, 24, 39);
	assert_int_equal(fx_ack(f, 39), 0);
	expect_data(f, 40, 41);
	assert_int_equal(f->act[1].u.data.len, 100);
	assert_int_equal(f->s.state, TFTP_SESS_LAST_SENT);
	/* loss inside the last window: ACK 40, block 41 again */
	assert_int_equal(fx_ack(f, 40), 0);
	expect_data(f, 41, 41);
	assert_int_equal(fx_ack(f, 41), 1);
	expect_fin(f, 0, TFTP_FIN_DONE);
	fx_free(f);
}

/* Duplicate ACKs never send: one window per progress or timeout. */
static void test_no_sorcerers_apprentice(void **state)
{
	struct fx *f = fx_new(100 * 512);
	uint64_t dl;

	(void)state;
	fx_req(f, "octet", "windowsize", "4", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(fx_ack(f, 0), 0);
	expect_data(f, 1, 4);
	assert_int_equal(fx_ack(f, 4), 0);
	expect_data(f, 5, 8);
	dl = tftp_sess_deadline(&f->s);
	assert_int_equal(dl, f->now + FLOOR);     /* round trips of ~0: the floor */
	for (int i = 0; i < 50; i++) {
		f->now += 100;
		assert_int_equal(fx_ack(f, 4), 0);
		assert_int_equal(f->out.n, 0);
	}
	assert_int_equal(f->ctr.dup_acks, 50);
	/* duplicates neither resend nor push the retransmit timer out */
	assert_int_equal(tftp_sess_deadline(&f->s), dl);
	f->now = dl - 1;
	assert_int_equal(fx_timer(f), 0);
	assert_int_equal(f->out.n, 0);
	f->now = dl;
	assert_int_equal(fx_timer(f), 0);
	expect_data(f, 5, 8);
	assert_int_equal(f->ctr.timeouts, 1);
	/* the client's duplicate of our retransmission: still nothing */
	assert_int_equal(fx_ack(f, 4), 0);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(f->ctr.data_sent, 8);
	assert_int_equal(f->ctr.data_resent, 4);
	fx_free(f);
}

/* ACKs of blocks never sent are ignored and counted, the session unharmed. */
static void test_future_ack(void **state)
{
	struct fx *f = fx_new(100 * 512);
	struct tftp_sess before;

	(void)state;
	fx_req(f, "octet", "windowsize", "4", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(fx_ack(f, 0), 0);
	before = f->s;
	assert_int_equal(fx_ack(f, 5), 0);
	assert_int_equal(fx_ack(f, 100), 0);
	assert_int_equal(fx_ack(f, 32767 + 4), 0);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(f->ctr.future_acks, 3);
	assert_memory_equal(&before, &f->s, sizeof(before));
	/* 32768 + 4 back from block 4 is before block 0: old, not future */
	assert_int_equal(fx_ack(f, (uint16_t)(4 - 32768)), 0);
	assert_int_equal(f->ctr.old_acks, 1);
	assert_int_equal(fx_ack(f, 4), 0);
	expect_data(f, 5, 8);
	fx_free(f);
}

/* No client at all, so no sample ever: 1 s, 2, 4, 8, 8, 8 (the cap without
 * a timeout option), then the retry limit: ERROR 0 and the end, after the
 * same 39 s as with a fixed RTO. */
static void test_backoff_retry_limit(void **state)
{
	static const uint64_t gaps[] = { 1, 2, 4, 8, 8, 8 };
	struct fx *f = fx_new(10 * 512);

	(void)state;
	fx_req(f, "octet", END);
	assert_int_equal(fx_start(f), 0);
	for (size_t i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
		uint64_t dl = tftp_sess_deadline(&f->s);

		assert_int_equal(dl, f->now + gaps[i] * SEC);
		f->now = dl - 1;
		assert_int_equal(fx_timer(f), 0);
		assert_int_equal(f->out.n, 0);
		f->now = dl;
		assert_int_equal(fx_timer(f), 0);
		expect_data(f, 1, 1);
		assert_int_equal(f->act[0].u.data.resend, 1);
	}
	f->now = tftp_sess_deadline(&f->s);
	assert_int_equal(f->now, T0 + 39 * SEC);
	assert_int_equal(fx_timer(f), 1);
	expect_error(f, 0, TFTP_ERR_UNDEF);
	expect_fin(f, 1, TFTP_FIN_RETRY_LIMIT);
	assert_int_equal(f->ctr.timeouts, 7);
	assert_int_equal(f->ctr.rto_resent, 6);
	assert_int_equal(f->ctr.retry_limit, 1);
	assert_int_equal(f->ctr.sessions_failed, 1);
	fx_free(f);
}

/* A client that vanishes after a measured round trip of 2 ms: the RTO
 * doubles from the floor to the 8 s cap; the quick timeouts below 1 s
 * (rto_us) do not count toward the retry limit, the 6 after them do and
 * the 7th ends the session. */
static void test_backoff_ramp_then_retry_limit(void **state)
{
	struct fx *f = fx_new(10 * 512);
	uint64_t t, rto = FLOOR, waited = 0;
	unsigned n = 0, quick = 0;
	int rc = 0;

	(void)state;
	fx_req(f, "octet", END);
	assert_int_equal(fx_start(f), 0);
	f->now += 2 * MS;
	assert_int_equal(fx_ack(f, 1), 0);
	expect_data(f, 2, 2);
	t = f->now;
	while (rc == 0) {
		assert_int_equal(tftp_sess_deadline(&f->s), f->now + rto);
		f->now = tftp_sess_deadline(&f->s);
		rc = fx_timer(f);
		waited += rto;
		n++;
		if (rc == 1)
			break;
		expect_data(f, 2, 2);
		if (rto < SEC)
			quick++;
		assert_int_equal(f->s.retries, n - quick);
		rto = rto * 2 < 8 * SEC ? rto * 2 : 8 * SEC;
	}
	/* 20, 40, ... 640 ms quick; 1.28, 2.56, 5.12, 8, 8, 8 s counted */
	assert_int_equal(quick, 6);
	assert_int_equal(n, quick + 7);
	assert_int_equal(f->now - t, waited);
	expect_fin(f, 1, TFTP_FIN_RETRY_LIMIT);
	assert_int_equal(f->ctr.timeouts, n);
	assert_int_equal(f->ctr.rto_resent, n - 1);
	fx_free(f);
}

/* ---- round trips and the RTO (RFC 6298) ------------------------------------ */

/* Lock-step: ACK block b after @a rtt, expect block b + 1 at once. */
static void fx_rtt_step(struct fx *f, uint32_t b, uint64_t rtt)
{
	f->now += rtt;
	assert_int_equal(fx_ack(f, (uint16_t)b), 0);
	expect_data(f, b + 1, b + 1);
}

/* SRTT and RTTVAR follow RFC 6298 sec 2.2/2.3 (alpha 1/8, beta 1/4), one
 * sample per block sent once, and the RTO is SRTT + 4 RTTVAR. */
static void test_rtt_sampling(void **state)
{
	struct fx *f = fx_new(100 * 512);

	(void)state;
	fx_req(f, "octet", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(f->s.srtt_us, 0);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + SEC);  /* no sample: rto_us */
	/* first sample R: SRTT = R, RTTVAR = R/2 */
	fx_rtt_step(f, 1, 100 * MS);
	assert_int_equal(f->s.srtt_us, 100000);
	assert_int_equal(f->s.rttvar_us, 50000);
	assert_int_equal(f->ctr.rtt_samples, 1);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 300 * MS);
	/* same R: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, SRTT unchanged */
	fx_rtt_step(f, 2, 100 * MS);
	assert_int_equal(f->s.srtt_us, 100000);
	assert_int_equal(f->s.rttvar_us, 37500);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 250 * MS);
	/* R = 200 ms: RTTVAR from the old SRTT, then SRTT = 7/8 SRTT + R/8 */
	fx_rtt_step(f, 3, 200 * MS);
	assert_int_equal(f->s.rttvar_us, (3 * 37500 + 100000) / 4);
	assert_int_equal(f->s.srtt_us, 112500);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 112500 + 4 * 53125);
	assert_int_equal(f->ctr.rtt_samples, 3);
	/* a steady LAN pulls it down to the floor and no lower */
	for (uint32_t b = 4; b < 60; b++)
		fx_rtt_step(f, b, 300);
	assert_true(f->s.srtt_us < 2000);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + FLOOR);
	assert_int_equal(f->ctr.rtt_samples, 59);
	assert_int_equal(f->ctr.timeouts, 0);
	fx_free(f);
}

/* The floor is TFTP_RTO_MIN_US; the cap is the timeout option or, without
 * one, rto_max_us; a floor above the cap gives way to the cap. */
static void test_rto_floor_and_cap(void **state)
{
	/* a 2 s cap, and a 10 ms one (below the floor) */
	static const struct tftp_timing tm2s = { .rto_us = 500000, .rto_min_us = TFTP_RTO_MIN_US,
						 .rto_max_us = 2000000, .idle_us = 60000000,
						 .max_retries = 6 };
	static const struct tftp_timing tm10 = { .rto_us = 10000, .rto_min_us = TFTP_RTO_MIN_US,
						 .rto_max_us = 10000, .idle_us = 60000000,
						 .max_retries = 6 };
	struct fx *f = fx_new(100 * 512);
	struct tftp_sess_init in = { .obj = &f->obj, .req = &f->req, .ctr = &f->ctr, .id = 7,
				     .cip = CIP, .cport = 2000, .sport = 50000 };

	(void)state;
	/* floor */
	fx_req(f, "octet", END);
	assert_int_equal(fx_start(f), 0);
	fx_rtt_step(f, 1, 50);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + FLOOR);
	/* cap from the option: RTT 400 ms asks for 1.2 s, timeout 1 allows 1 s */
	fx_req(f, "octet", "timeout", "1", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + SEC);
	f->now += 400 * MS;
	assert_int_equal(fx_ack(f, 0), 0);
	expect_data(f, 1, 1);
	assert_int_equal(f->s.srtt_us, 400000);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + SEC);
	/* cap without an option: rto_max_us; before a sample rto_us */
	in.tm = &tm2s;
	fx_req(f, "octet", END);
	f->out.n = 0;
	assert_int_equal(tftp_sess_start(&f->s, &in, f->now, &f->out), 0);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 500 * MS);
	fx_rtt_step(f, 1, 400 * MS);                 /* asks for 1.2 s */
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 1200 * MS);
	fx_rtt_step(f, 2, 1400 * MS);                /* asks for 2.4 s */
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 2 * SEC);
	/* a floor above the cap: the cap wins */
	in.tm = &tm10;
	fx_req(f, "octet", END);
	f->out.n = 0;
	assert_int_equal(tftp_sess_start(&f->s, &in, f->now, &f->out), 0);
	fx_rtt_step(f, 1, 100);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 10 * MS);
	fx_free(f);
}

/* Each timeout doubles the RTO up to the cap (RFC 6298 sec 5.5); the ACK
 * of a retransmitted block is progress but no sample (Karn), so the next
 * block keeps the doubled RTO until its own ACK gives a sample. */
static void test_backoff_doubling_and_karn(void **state)
{
	struct fx *f = fx_new(100 * 512);
	uint32_t srtt, rttvar;
	unsigned n = 0, counted = 0;

	(void)state;
	fx_req(f, "octet", "timeout", "6", END);
	assert_int_equal(fx_start(f), 0);
	f->now += 5 * MS;
	assert_int_equal(fx_ack(f, 0), 0);           /* sample 5 ms: RTO = floor */
	expect_data(f, 1, 1);
	srtt = f->s.srtt_us;
	rttvar = f->s.rttvar_us;
	/* 20 ms, 40, ... 5.12 s; 10.24 s would be past the 6 s cap */
	for (uint64_t k = 0; (FLOOR << k) < 6 * SEC; k++) {
		assert_int_equal(tftp_sess_deadline(&f->s), f->now + (FLOOR << k));
		f->now = tftp_sess_deadline(&f->s);
		assert_int_equal(fx_timer(f), 0);
		expect_data(f, 1, 1);
		n++;
		counted += (FLOOR << k) >= SEC;
	}
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 6 * SEC);
	f->now += 6 * SEC;
	assert_int_equal(fx_timer(f), 0);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 6 * SEC);
	assert_int_equal(f->ctr.timeouts, n + 1);
	assert_int_equal(f->s.retries, counted + 1);  /* those of 1 s or more */
	assert_int_equal(counted, 3);                /* 1.28, 2.56, 5.12 s */
	/* Karn: the ACK after all those copies of block 1 may answer any */
	f->now += 2 * MS;
	assert_int_equal(fx_ack(f, 1), 0);
	expect_data(f, 2, 2);
	assert_int_equal(f->ctr.rtt_samples, 1);
	assert_int_equal(f->s.srtt_us, srtt);
	assert_int_equal(f->s.rttvar_us, rttvar);
	assert_int_equal(f->s.retries, 0);           /* progress */
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 6 * SEC);  /* backoff kept */
	/* block 2 went once: its ACK is a sample and the backoff goes */
	f->now += 5 * MS;
	assert_int_equal(fx_ack(f, 2), 0);
	expect_data(f, 3, 3);
	assert_int_equal(f->ctr.rtt_samples, 2);
	assert_int_equal(f->s.backoff, 0);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + FLOOR);
	/* one loss costs one floor and one doubling, then it is back */
	f->now += FLOOR;
	assert_int_equal(fx_timer(f), 0);
	expect_data(f, 3, 3);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 2 * FLOOR);
	f->now += 5 * MS;
	fx_rtt_step(f, 3, 0);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 2 * FLOOR);
	fx_rtt_step(f, 4, 5 * MS);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + FLOOR);
	assert_int_equal(f->ctr.rtt_samples, 3);
	fx_free(f);
}

/* Karn for the OACK: ACK 0 after a retransmitted OACK gives no sample; a
 * late ACK of a retransmitted block cannot inflate SRTT either. */
static void test_karn_oack_and_late_ack(void **state)
{
	struct fx *f = fx_new(100 * 512);

	(void)state;
	fx_req(f, "octet", "blksize", "1024", END);
	assert_int_equal(fx_start(f), 0);
	f->now += SEC;
	assert_int_equal(fx_timer(f), 0);            /* OACK again */
	assert_int_equal(f->act[0].type, TFTP_ACT_OACK);
	f->now += 900 * MS;                          /* ~1.9 s after the first OACK */
	assert_int_equal(fx_ack(f, 0), 0);
	expect_data(f, 1, 1);
	assert_int_equal(f->ctr.rtt_samples, 0);
	assert_int_equal(f->s.srtt_us, 0);
	f->now += 3 * MS;
	assert_int_equal(fx_ack(f, 1), 0);           /* block 1 went once */
	expect_data(f, 2, 2);
	assert_int_equal(f->s.srtt_us, 3000);
	/* block 2 lost (timeout, resent), then the first copy's ACK arrives
	 * 10 ms after the retransmission: no sample */
	f->now = tftp_sess_deadline(&f->s);
	assert_int_equal(fx_timer(f), 0);
	expect_data(f, 2, 2);
	f->now += 10 * MS;
	assert_int_equal(fx_ack(f, 2), 0);
	expect_data(f, 3, 3);
	assert_int_equal(f->s.srtt_us, 3000);
	assert_int_equal(f->ctr.rtt_samples, 1);
	/* and the second copy's ACK is a duplicate: nothing */
	f->now += MS;
	assert_int_equal(fx_ack(f, 2), 0);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(f->ctr.dup_acks, 1);
	fx_free(f);
}

/* Lock-step (curl): a duplicated ACK, or the client's second ACK for our
 * early retransmission, sends nothing, gives no second sample and leaves
 * the timer alone (RFC 1123 4.2.3.1: no Sorcerer's Apprentice). */
static void test_dup_ack_lockstep(void **state)
{
	struct fx *f = fx_new(100 * 1468);
	uint64_t dl;

	(void)state;
	fx_req(f, "octet", "blksize", "1468", "timeout", "6", END);
	assert_int_equal(fx_start(f), 0);
	fx_rtt_step(f, 0, MS);
	fx_rtt_step(f, 1, MS);
	dl = tftp_sess_deadline(&f->s);
	for (int i = 0; i < 10; i++) {
		f->now += 100;
		assert_int_equal(fx_ack(f, 1), 0);   /* the wire duplicated ACK 1 */
		assert_int_equal(f->out.n, 0);
		assert_int_equal(fx_ack(f, 0), 0);   /* and an older one */
		assert_int_equal(f->out.n, 0);
	}
	assert_int_equal(f->ctr.dup_acks, 10);
	assert_int_equal(f->ctr.old_acks, 10);
	assert_int_equal(f->ctr.rtt_samples, 2);
	assert_int_equal(tftp_sess_deadline(&f->s), dl);
	/* our RTO fires before the client's ACK 2 arrives: both copies of
	 * block 2 get an ACK, only the first moves on */
	f->now = dl;
	assert_int_equal(fx_timer(f), 0);
	expect_data(f, 2, 2);
	f->now += MS;
	assert_int_equal(fx_ack(f, 2), 0);
	expect_data(f, 3, 3);
	assert_int_equal(fx_ack(f, 2), 0);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(f->ctr.data_resent, 1);
	assert_int_equal(f->ctr.rto_resent, 1);
	assert_int_equal(f->ctr.data_sent, 3);
	fx_free(f);
}

/* RFC 2349: the timeout option is still acknowledged, with the client's
 * value, in the OACK and in its retransmission; it only bounds the RTO. */
static void test_timeout_option_oacked(void **state)
{
	static const uint8_t want[] = "timeout\0" "6";
	struct fx *f = fx_new(100 * 512);
	uint8_t buf[TFTP_OACK_MAX];
	size_t n;

	(void)state;
	fx_req(f, "octet", "blksize", "1468", "timeout", "6", "tsize", "0", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].type, TFTP_ACT_OACK);
	assert_true(f->act[0].u.oack.present & TFTP_OPT_TIMEOUT);
	assert_int_equal(f->act[0].u.oack.timeout_s, 6);
	n = tftp_wire_put_oack(buf, sizeof(buf), &f->act[0].u.oack);
	assert_non_null(memmem(buf, n, want, sizeof(want)));
	/* before any sample: 1 s, not the 6 s the client allows */
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + SEC);
	f->now += SEC;
	assert_int_equal(fx_timer(f), 0);
	assert_int_equal(f->act[0].type, TFTP_ACT_OACK);
	n = tftp_wire_put_oack(buf, sizeof(buf), &f->act[0].u.oack);
	assert_non_null(memmem(buf, n, want, sizeof(want)));
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + 2 * SEC);
	fx_free(f);
}

/* RFC 7440 windows share the estimator: the last block of a window that
 * went once is timed; a go-back window is timed only if its last block
 * is new, and a window of resent blocks gives no sample. */
static void test_window_rtt(void **state)
{
	struct fx *f = fx_new(100 * 512);

	(void)state;
	fx_req(f, "octet", "windowsize", "4", END);
	assert_int_equal(fx_start(f), 0);
	f->now += 2 * MS;
	assert_int_equal(fx_ack(f, 0), 0);
	expect_data(f, 1, 4);
	assert_int_equal(f->ctr.rtt_samples, 1);
	f->now += 8 * MS;                   /* the window's last block ACKed 8 ms later */
	assert_int_equal(fx_ack(f, 4), 0);
	expect_data(f, 5, 8);
	assert_int_equal(f->ctr.rtt_samples, 2);
	assert_int_equal(f->s.srtt_us, (7 * 2000 + 8000) / 8);
	/* block 6 lost: the client ACKs 5; 6..9 go, 9 is new and timed */
	f->now += 8 * MS;
	assert_int_equal(fx_ack(f, 5), 0);
	expect_data(f, 6, 9);
	assert_int_equal(f->ctr.rtt_samples, 2);   /* ACK 5 is not the timed block 8 */
	f->now += 4 * MS;
	assert_int_equal(fx_ack(f, 9), 0);
	expect_data(f, 10, 13);
	assert_int_equal(f->ctr.rtt_samples, 3);
	/* an ACK inside the window (10) then the go-back window 11..14 whose
	 * last block is new: timed; ACK 14 is a sample */
	assert_int_equal(fx_ack(f, 10), 0);
	expect_data(f, 11, 14);
	f->now += 3 * MS;
	assert_int_equal(fx_ack(f, 14), 0);
	expect_data(f, 15, 18);
	assert_int_equal(f->ctr.rtt_samples, 4);
	/* timeout: 15..18 again, all resent, ACK 18 is no sample */
	f->now = tftp_sess_deadline(&f->s);
	assert_int_equal(fx_timer(f), 0);
	expect_data(f, 15, 18);
	assert_int_equal(f->ctr.rto_resent, 4);
	f->now += 3 * MS;
	assert_int_equal(fx_ack(f, 18), 0);
	expect_data(f, 19, 22);
	assert_int_equal(f->ctr.rtt_samples, 4);
	/* the windows run into the last block (101) */
	while (f->s.tx_end < f->s.last) {
		f->now += MS;
		assert_int_equal(fx_ack(f, (uint16_t)f->s.tx_end), 0);
	}
	assert_int_equal(f->s.tx_end, 101);
	assert_int_equal(f->ctr.rtt_samples, 24);   /* + ACKs 22, 26, ..., 98 */
	/* go-back inside the cut window: 100..101 were sent, nothing new, no
	 * timing; ACK 101 ends it with no sample */
	assert_int_equal(fx_ack(f, 99), 0);
	expect_data(f, 100, 101);
	assert_int_equal(f->act[0].u.data.resend, 1);
	assert_int_equal(f->act[1].u.data.resend, 1);
	f->now += MS;
	assert_int_equal(fx_ack(f, 101), 1);
	expect_fin(f, 0, TFTP_FIN_DONE);
	assert_int_equal(f->ctr.rtt_samples, 24);
	fx_free(f);
}

/* timeout=255 would keep a slot for half an hour; the idle limit does not. */
static void test_idle_limit(void **state)
{
	struct fx *f = fx_new(10 * 512);
	uint64_t t;
	int rc = 0;

	(void)state;
	fx_req(f, "octet", "timeout", "255", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(fx_ack(f, 0), 0);
	t = f->now;
	/* the RTO climbs from the floor toward 255 s, the idle limit ends it */
	for (int i = 0; i < 100 && rc == 0; i++) {
		assert_true(tftp_sess_deadline(&f->s) <= t + 60 * SEC);
		f->now = tftp_sess_deadline(&f->s);
		rc = fx_timer(f);
	}
	assert_int_equal(rc, 1);
	assert_int_equal(f->now, t + 60 * SEC);
	expect_error(f, 0, TFTP_ERR_UNDEF);
	expect_fin(f, 1, TFTP_FIN_IDLE);
	assert_int_equal(f->ctr.idle_timeouts, 1);
	assert_int_equal(f->ctr.retry_limit, 0);
	fx_free(f);
}

/* A window larger than the output queue: the rest goes out from the
 * timer path, and the retransmit timer only starts once all is queued. */
static void test_out_queue_limits(void **state)
{
	struct fx *f = fx_new(100 * 512);

	(void)state;
	fx_req(f, "octet", "windowsize", "16", END);
	assert_int_equal(fx_start(f), 0);
	f->out.cap = 6;
	assert_int_equal(fx_ack(f, 0), 0);
	expect_data(f, 1, 6);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now);
	f->now += 10;
	assert_int_equal(fx_timer(f), 0);
	expect_data(f, 7, 12);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now - 10);   /* FIFO: since first pending */
	f->out.cap = 256;
	assert_int_equal(fx_timer(f), 0);
	expect_data(f, 13, 16);
	assert_int_equal(tftp_sess_deadline(&f->s), f->now + FLOOR);
	assert_int_equal(f->ctr.data_resent, 0);
	/* fewer than TFTP_OUT_RESERVE free entries: refused, nothing done */
	f->out.n = 255;
	assert_int_equal(tftp_sess_input(&f->s, span_make("\x00\x04\x00\x10", 4), f->now, &f->out),
			 -ENOBUFS);
	assert_int_equal(tftp_sess_timer(&f->s, f->now + 10 * SEC, &f->out), -ENOBUFS);
	assert_int_equal(f->s.acked, 0);
	fx_free(f);
}

static void test_seq_helpers(void **state)
{
	static const struct { uint32_t hi; uint16_t wire; int rc; uint32_t abs; } v[] = {
		{ 0, 0, 0, 0 },
		{ 5, 3, 0, 3 },
		{ 5, 6, -ERANGE, 0 },
		{ 5, 65535, -ERANGE, 0 },          /* would be below block 0 */
		{ 65540, 3, 0, 65539 },
		{ 65540, 4, 0, 65540 },
		{ 65540, 5, -ERANGE, 0 },
		{ 65540, 65535, 0, 65535 },
		{ 65536, 0, 0, 65536 },
		{ 70000, 65535, 0, 65535 },
		{ 200000, (uint16_t)(200000 - 32768), 0, 200000 - 32768 },
		{ 200000, (uint16_t)(200000 + 32767), -ERANGE, 0 },
	};

	(void)state;
	assert_int_equal(tftp_seq16_diff(0, 65535), 1);
	assert_int_equal(tftp_seq16_diff(65535, 0), -1);
	assert_int_equal(tftp_seq16_diff(0x8000, 0), -32768);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint32_t abs = 0;

		assert_int_equal(tftp_ack_to_abs(v[i].hi, v[i].wire, &abs), v[i].rc);
		if (v[i].rc == 0)
			assert_int_equal(abs, v[i].abs);
	}
}

/* init.xz-sized: > 33.5 MB at blksize 512 is > 65535 blocks. Wire
 * numbers roll over to 0, ACKs after the wrap map to the right block,
 * and a loss right at the wrap is recovered by go-back. */
static void test_rollover(void **state)
{
	const size_t len = 34u * 1024 * 1024 + 100;     /* 69632 full blocks + 100 bytes */
	struct fx *f = fx_new(0);
	uint8_t *big = calloc(1, len);
	uint32_t b = 0;

	(void)state;
	assert_non_null(big);
	f->obj.data = big;
	f->obj.len = len;
	fx_req(f, "octet", "windowsize", "8", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(f->s.last, 69633);
	assert_int_equal(fx_ack(f, 0), 0);
	while (b + 8 < 65532) {
		expect_data(f, b + 1, b + 8);
		b += 8;
		assert_int_equal(fx_ack(f, (uint16_t)b), 0);
	}
	/* window 65529..65536: wire 65529..65535, 0 */
	expect_data(f, 65529, 65536);
	assert_int_equal(f->act[7].u.data.block & 0xffff, 0);
	/* block 65535 lost: the client ACKs 65534 */
	assert_int_equal(fx_ack(f, 65534), 0);
	expect_data(f, 65535, 65542);
	assert_int_equal(fx_ack(f, 6), 0);              /* = 65542 */
	expect_data(f, 65543, 65550);
	assert_int_equal(f->s.acked, 65542);
	assert_int_equal(fx_ack(f, 65535), 0);          /* old, from before the wrap */
	assert_int_equal(f->out.n, 0);
	b = 65550;
	assert_int_equal(fx_ack(f, (uint16_t)b), 0);
	while (b + 8 < 69633) {
		expect_data(f, b + 1, b + 8);
		b += 8;
		assert_int_equal(fx_ack(f, (uint16_t)b), 0);
	}
	expect_data(f, b + 1, 69633);
	assert_int_equal(f->act[f->out.n - 1].u.data.len, 100);
	assert_int_equal(f->act[f->out.n - 1].u.data.off, 69632ull * 512);
	assert_int_equal(fx_ack(f, (uint16_t)69633), 1);
	expect_fin(f, 0, TFTP_FIN_DONE);
	assert_int_equal(f->act[0].u.fin.bytes, len);
	free(big);
	fx_free(f);
}

/* Too many blocks for a 32-bit counter: refused before anything is sent. */
static void test_too_large(void **state)
{
	struct fx *f = fx_new(0);

	(void)state;
	f->obj.len = (size_t)8 * UINT32_MAX;
	f->obj.data = NULL;              /* never touched in octet mode */
	fx_req(f, "octet", "blksize", "8", END);
	assert_int_equal(fx_start(f), -EFBIG);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(f->s.state, TFTP_SESS_FREE);
	fx_free(f);
}

/* Produce the client's view of a netascii transfer from the actions. */
static size_t na_collect(struct fx *f, uint8_t *dst, uint64_t *expect_off)
{
	size_t n = 0;

	for (unsigned i = 0; i < f->out.n; i++) {
		struct tftp_act_data *d = &f->act[i].u.data;
		struct tftp_na_pos pos = d->na;

		assert_int_equal(f->act[i].type, TFTP_ACT_DATA);
		assert_true(d->netascii);
		assert_int_equal(d->off, *expect_off);
		assert_int_equal(tftp_netascii_encode(f->obj.data, f->obj.len, &pos, dst + n, d->len),
				 d->len);
		n += d->len;
		*expect_off += d->len;
	}
	return n;
}

static void test_netascii_session(void **state)
{
	static const char text[] = "#!ipxe\r\ndhcp\nchain http://10.0.0.1/boot.ipxe\r\r\n\n\nend\r";
	const size_t len = sizeof(text) - 1;
	struct fx *f = fx_new(len);
	uint8_t want[256], got[256], again[64];
	uint64_t off = 0, size;
	size_t n = 0;

	(void)state;
	memcpy(f->data, text, len);
	size = tftp_netascii_size(f->data, len);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n' || text[i] == '\r') {
			want[n++] = '\r';
			want[n++] = text[i] == '\n' ? '\n' : 0;
		} else {
			want[n++] = (uint8_t)text[i];
		}
	}
	assert_int_equal(size, n);
	fx_req(f, "netascii", "blksize", "9", "windowsize", "3", "tsize", "0", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(f->act[0].u.oack.tsize, size);      /* tsize is the converted size */
	assert_int_equal(f->s.last, size / 9 + 1);
	assert_int_equal(fx_ack(f, 0), 0);
	assert_int_equal(na_collect(f, got, &off), 27);       /* blocks 1..3 */
	/* block 3 lost: ACK 2, blocks 3..5 again; the resent block 3 must be
	 * byte-identical to the first one */
	memcpy(again, got + 18, 9);
	off = 18;
	n = 18;
	assert_int_equal(fx_ack(f, 2), 0);
	n += na_collect(f, got + n, &off);
	assert_memory_equal(again, got + 18, 9);
	while (f->s.state != TFTP_SESS_DONE) {
		uint32_t hi = f->s.sent_hi;

		if (fx_ack(f, (uint16_t)hi) == 1)
			break;
		n += na_collect(f, got + n, &off);
	}
	assert_int_equal(n, size);
	assert_memory_equal(got, want, size);
	fx_free(f);
}

/* Timeouts in netascii restart from the window base's position. */
static void test_netascii_timeout(void **state)
{
	struct fx *f = fx_new(64);
	uint8_t first[64], second[64];
	uint64_t off = 0;
	size_t n1, n2;

	(void)state;
	for (size_t i = 0; i < 64; i++)
		f->data[i] = i % 3 ? '\n' : 'x';
	fx_req(f, "netascii", "blksize", "8", "windowsize", "4", END);
	assert_int_equal(fx_start(f), 0);
	assert_int_equal(fx_ack(f, 0), 0);
	assert_int_equal(fx_ack(f, 4), 0);
	off = 32;
	n1 = na_collect(f, first, &off);
	f->now = tftp_sess_deadline(&f->s);
	assert_int_equal(fx_timer(f), 0);
	off = 32;
	n2 = na_collect(f, second, &off);
	assert_int_equal(n1, 32);
	assert_int_equal(n2, 32);
	assert_memory_equal(first, second, 32);
	fx_free(f);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tftp_sess_state_name(TFTP_SESS_OACK_SENT), "OACK_SENT");
	assert_string_equal(tftp_sess_state_name(99), "?");
	assert_string_equal(tftp_fin_reason_name(TFTP_FIN_PROBE), "PROBE");
	assert_string_equal(tftp_fin_reason_name(99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lockstep),
		cmocka_unit_test(test_empty_last_block),
		cmocka_unit_test(test_oack_handshake),
		cmocka_unit_test(test_client_error),
		cmocka_unit_test(test_illegal_and_short),
		cmocka_unit_test(test_window_loss_goback),
		cmocka_unit_test(test_no_sorcerers_apprentice),
		cmocka_unit_test(test_future_ack),
		cmocka_unit_test(test_backoff_retry_limit),
		cmocka_unit_test(test_backoff_ramp_then_retry_limit),
		cmocka_unit_test(test_rtt_sampling),
		cmocka_unit_test(test_rto_floor_and_cap),
		cmocka_unit_test(test_backoff_doubling_and_karn),
		cmocka_unit_test(test_karn_oack_and_late_ack),
		cmocka_unit_test(test_dup_ack_lockstep),
		cmocka_unit_test(test_timeout_option_oacked),
		cmocka_unit_test(test_window_rtt),
		cmocka_unit_test(test_idle_limit),
		cmocka_unit_test(test_out_queue_limits),
		cmocka_unit_test(test_seq_helpers),
		cmocka_unit_test(test_rollover),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_netascii_session),
		cmocka_unit_test(test_netascii_timeout),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
