/* SPDX-License-Identifier: BSD-3-Clause */
/* The per-lcore TFTP server: the real clients' exchanges end to end,
 * refusals, path escapes, TIDs, the table cap, floods and timers. */
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
#include "rss.h"
#include "tftp_server.h"

#define SEC 1000000ull
/* Terminates the option lists of the variadic request builders. */
#define END ((const char *)NULL)
#define T0 (5000 * SEC)
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define CLIENT IP(10, 0, 0, 50)
#define PORT_BASE 50001
#define PORT_STRIDE 4
#define NAME_CAP 4

struct fx {
	struct stp_object objs[4];
	uint8_t *bufs[4];
	unsigned lookups;
	struct tftp_server *srv;
	struct tftp_act act[128];
	struct tftp_out out;
	uint64_t now;
};

static const struct {
	const char *name;
	size_t len;
} files[4] = {
	{ "undionly.kpxe", 70000 }, { "ipxe.efi", 200000 },
	{ "pxelinux.cfg/default", 300 }, { "empty", 0 },
};

static const struct stp_object *lookup(void *ctx, struct span name)
{
	struct fx *f = ctx;

	f->lookups++;
	for (int i = 0; i < 4; i++)
		if (span_eq(name, span_cstr(f->objs[i].name)))
			return &f->objs[i];
	return NULL;
}

static struct tftp_server_cfg base_cfg(struct fx *f)
{
	struct tftp_server_cfg c = {
		.capacity = NAME_CAP, .listen_port = TFTP_PORT,
		.port_base = PORT_BASE, .port_stride = PORT_STRIDE, .port_count = 8,
		.lim = { .max_blksize = 1468, .max_window = 64 },
		.timing = TFTP_TIMING_DEFAULT, .hash_seed = 0x1234,
		.lookup = lookup, .lookup_ctx = f,
	};
	return c;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tftp_server_cfg c;

	assert_non_null(f);
	for (int i = 0; i < 4; i++) {
		f->bufs[i] = malloc(files[i].len + 1);
		assert_non_null(f->bufs[i]);
		for (size_t k = 0; k < files[i].len; k++)
			f->bufs[i][k] = (uint8_t)(k ^ (k >> 8));
		strcpy(f->objs[i].name, files[i].name);
		f->objs[i].data = f->bufs[i];
		f->objs[i].len = files[i].len;
	}
	c = base_cfg(f);
	f->srv = tftp_server_create(&c);
	assert_non_null(f->srv);
	f->out = (struct tftp_out){ f->act, 128, 0 };
	f->now = T0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tftp_server_destroy(f->srv);
	for (int i = 0; i < 4; i++)
		free(f->bufs[i]);
	free(f);
	return 0;
}

static const struct tftp_counters *ctr(struct fx *f)
{
	return tftp_server_counters(f->srv);
}

/* Send @a len bytes from ip:port to our @a dport; the queue starts empty. */
static int send_raw(struct fx *f, uint32_t ip, uint16_t port, uint16_t dport, const void *p,
		    size_t len)
{
	struct tftp_rx rx = { span_make(p, len), ip, port, dport };

	f->out.n = 0;
	return tftp_server_input(f->srv, &rx, f->now, &f->out);
}

/* RRQ for @a name; then option pairs "name", "value", ... NULL. */
static int rrq(struct fx *f, uint32_t ip, uint16_t port, const char *name, const char *mode, ...)
{
	uint8_t b[600];
	size_t n = 2;
	va_list ap;
	const char *s;

	put_be16(b, TFTP_OP_RRQ);
	memcpy(b + n, name, strlen(name) + 1);
	n += strlen(name) + 1;
	memcpy(b + n, mode, strlen(mode) + 1);
	n += strlen(mode) + 1;
	va_start(ap, mode);
	while ((s = va_arg(ap, const char *)) != NULL) {
		memcpy(b + n, s, strlen(s) + 1);
		n += strlen(s) + 1;
	}
	va_end(ap);
	return send_raw(f, ip, port, TFTP_PORT, b, n);
}

static int ack(struct fx *f, uint32_t ip, uint16_t port, uint16_t dport, uint16_t block)
{
	uint8_t b[4];

	tftp_wire_put_ack(b, block);
	return send_raw(f, ip, port, dport, b, 4);
}

static void expect_error(struct fx *f, uint16_t code, uint32_t ip, uint16_t port, uint16_t sport)
{
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].type, TFTP_ACT_ERROR);
	if (f->act[0].u.error.code != code)
		fail_msg("error %u (%s), want %u", f->act[0].u.error.code, f->act[0].u.error.msg, code);
	assert_int_equal(f->act[0].cip, ip);
	assert_int_equal(f->act[0].cport, port);
	assert_int_equal(f->act[0].sport, sport);
	assert_int_equal(f->act[0].sess, TFTP_NO_SESS);
}

/* The OACK bytes the glue would put on the wire. */
static void expect_oack_bytes(struct fx *f, const void *want, size_t len)
{
	uint8_t buf[TFTP_OACK_MAX];

	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].type, TFTP_ACT_OACK);
	assert_int_equal(tftp_wire_put_oack(buf, sizeof(buf), &f->act[0].u.oack), len);
	assert_memory_equal(buf, want, len);
}

/* ACK the last block of every window until FINISHED; returns DATA seen. */
static unsigned run_transfer(struct fx *f, uint32_t ip, uint16_t port, uint16_t sport,
			     const struct stp_object *obj, uint16_t blksize)
{
	uint64_t expect_off = 0;
	unsigned data = 0;

	for (;;) {
		uint32_t last_block = 0;

		assert_true(f->out.n > 0);
		if (f->act[0].type == TFTP_ACT_FINISHED) {
			assert_int_equal(f->act[0].u.fin.reason, TFTP_FIN_DONE);
			assert_int_equal(f->act[0].u.fin.bytes, obj->len);
			return data;
		}
		for (unsigned i = 0; i < f->out.n; i++) {
			const struct tftp_act_data *d = &f->act[i].u.data;

			assert_int_equal(f->act[i].type, TFTP_ACT_DATA);
			assert_int_equal(f->act[i].sport, sport);
			assert_ptr_equal(d->obj, obj);
			assert_int_equal(d->off, expect_off);
			assert_true(d->len <= blksize && d->off + d->len <= obj->len);
			expect_off += d->len;
			last_block = d->block;
			data++;
		}
		assert_int_equal(ack(f, ip, port, sport, (uint16_t)last_block), 0);
	}
}

/* EDK2: probe RRQ (tsize), ERROR 8 after the OACK, then the real RRQ. */
static void test_edk2_sequence(void **state)
{
	static const char oack1[] = "\x00\x06" "blksize\0" "1468\0tsize\0" "200000\0windowsize\0" "4\0";
	static const char oack2[] = "\x00\x06" "blksize\0" "1468\0windowsize\0" "4\0";
	static const uint8_t err8[] = "\x00\x05\x00\x08" "User aborted the transfer";
	struct fx *f = *state;
	unsigned n;

	assert_int_equal(rrq(f, CLIENT, 1497, "ipxe.efi", "octet", "tsize", "0", "blksize", "1468",
			     "windowsize", "4", END), 0);
	expect_oack_bytes(f, oack1, sizeof(oack1) - 1);
	assert_int_equal(f->act[0].sport, PORT_BASE);
	assert_int_equal(f->act[0].cport, 1497);
	assert_int_equal(tftp_server_active(f->srv), 1);
	assert_int_equal(send_raw(f, CLIENT, 1497, PORT_BASE, err8, sizeof(err8)), 0);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].type, TFTP_ACT_FINISHED);
	assert_int_equal(f->act[0].u.fin.reason, TFTP_FIN_PROBE);
	assert_int_equal(tftp_server_active(f->srv), 0);
	assert_int_equal(tftp_server_deadline(f->srv), UINT64_MAX);

	f->now += 20000;
	assert_int_equal(rrq(f, CLIENT, 1498, "ipxe.efi", "octet", "blksize", "1468",
			     "windowsize", "4", END), 0);
	expect_oack_bytes(f, oack2, sizeof(oack2) - 1);
	/* ports come back FIFO: the second session gets the next one */
	assert_int_equal(f->act[0].sport, PORT_BASE + PORT_STRIDE);
	assert_int_equal(ack(f, CLIENT, 1498, PORT_BASE + PORT_STRIDE, 0), 0);
	assert_int_equal(f->out.n, 4);
	n = run_transfer(f, CLIENT, 1498, PORT_BASE + PORT_STRIDE, &f->objs[1], 1468);
	assert_int_equal(n, 200000 / 1468 + 1);
	assert_int_equal(ctr(f)->sessions_probe, 1);
	assert_int_equal(ctr(f)->sessions_done, 1);
	assert_int_equal(ctr(f)->sessions_failed, 0);
	assert_int_equal(ctr(f)->data_resent, 0);
	assert_int_equal(tftp_server_active(f->srv), 0);
}

/* iPXE: blksize 1432 tsize 0, lock-step; a leading '/' in the name. */
static void test_ipxe(void **state)
{
	static const char oack[] = "\x00\x06" "blksize\0" "1432\0tsize\0" "70000\0";
	struct fx *f = *state;

	assert_int_equal(rrq(f, CLIENT, 2070, "/undionly.kpxe", "octet", "blksize", "1432",
			     "tsize", "0", END), 0);
	expect_oack_bytes(f, oack, sizeof(oack) - 1);
	assert_int_equal(ack(f, CLIENT, 2070, PORT_BASE, 0), 0);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(run_transfer(f, CLIENT, 2070, PORT_BASE, &f->objs[0], 1432),
			 70000 / 1432 + 1);
	assert_int_equal(ctr(f)->acks, 70000 / 1432 + 2);
}

/* tftp-hpa default (no options, DATA 1 at once), curl (blksize only),
 * atftp (windowsize 16 + blksize), netascii. */
static void test_other_clients(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rrq(f, CLIENT, 3000, "pxelinux.cfg/default", "octet", END), 0);
	assert_int_equal(f->out.n, 1);
	assert_int_equal(f->act[0].type, TFTP_ACT_DATA);
	assert_int_equal(f->act[0].u.data.len, 300);
	assert_int_equal(run_transfer(f, CLIENT, 3000, PORT_BASE, &f->objs[2], 512), 1);

	assert_int_equal(rrq(f, CLIENT, 3001, "undionly.kpxe", "octet", "blksize", "1024", END), 0);
	assert_int_equal(f->act[0].type, TFTP_ACT_OACK);
	assert_int_equal(ack(f, CLIENT, 3001, f->act[0].sport, 0), 0);
	assert_int_equal(run_transfer(f, CLIENT, 3001, PORT_BASE + PORT_STRIDE, &f->objs[0], 1024),
			 70000 / 1024 + 1);

	assert_int_equal(rrq(f, CLIENT, 3002, "ipxe.efi", "octet", "windowsize", "16",
			     "blksize", "1400", END), 0);
	assert_int_equal(f->act[0].u.oack.window, 16);
	assert_int_equal(ack(f, CLIENT, 3002, f->act[0].sport, 0), 0);
	assert_int_equal(f->out.n, 16);
	assert_int_equal(run_transfer(f, CLIENT, 3002, PORT_BASE + 2 * PORT_STRIDE, &f->objs[1], 1400),
			 200000 / 1400 + 1);

	/* blksize beyond the MTU is clamped, not refused */
	assert_int_equal(rrq(f, CLIENT, 3003, "ipxe.efi", "octet", "blksize", "65464", END), 0);
	assert_int_equal(f->act[0].u.oack.blksize, 1468);
	assert_int_equal(ctr(f)->opt_clamped, 1);

	assert_int_equal(rrq(f, CLIENT, 3004, "pxelinux.cfg/default", "netascii", END), 0);
	assert_int_equal(f->act[0].type, TFTP_ACT_DATA);
	assert_true(f->act[0].u.data.netascii);
	assert_int_equal(ctr(f)->sessions_done, 3);
}

/* netascii costs a pass over the object at start: only small ones. */
static void test_netascii_limit(void **state)
{
	struct fx *f = *state;
	struct tftp_server_cfg c = base_cfg(f);

	tftp_server_destroy(f->srv);
	c.netascii_max_len = 70000;
	f->srv = tftp_server_create(&c);
	assert_non_null(f->srv);
	assert_int_equal(rrq(f, CLIENT, 3100, "ipxe.efi", "netascii", END), 0);
	expect_error(f, TFTP_ERR_UNDEF, CLIENT, 3100, TFTP_PORT);
	assert_int_equal(ctr(f)->netascii_too_large, 1);
	assert_int_equal(rrq(f, CLIENT, 3101, "undionly.kpxe", "netascii", "tsize", "0", END), 0);
	assert_int_equal(f->act[0].type, TFTP_ACT_OACK);
	assert_true(f->act[0].u.oack.tsize > 70000);
	assert_int_equal(rrq(f, CLIENT, 3102, "ipxe.efi", "octet", END), 0);
	assert_int_equal(f->act[0].type, TFTP_ACT_DATA);
	assert_int_equal(tftp_server_active(f->srv), 2);
}

static void test_wrq_refused(void **state)
{
	static const uint8_t wrq[] = "\x00\x02" "upload.bin\0octet\0";
	static const uint8_t wrq_mail[] = "\x00\x02" "x\0mail\0";
	struct fx *f = *state;

	assert_int_equal(send_raw(f, CLIENT, 4000, TFTP_PORT, wrq, sizeof(wrq) - 1), 0);
	expect_error(f, TFTP_ERR_ACCESS, CLIENT, 4000, TFTP_PORT);
	assert_int_equal(send_raw(f, CLIENT, 4000, TFTP_PORT, wrq_mail, sizeof(wrq_mail) - 1), 0);
	expect_error(f, TFTP_ERR_ACCESS, CLIENT, 4000, TFTP_PORT);
	assert_int_equal(ctr(f)->wrq_refused, 2);
	assert_int_equal(ctr(f)->err_tx[TFTP_ERR_ACCESS], 2);
	assert_int_equal(tftp_server_active(f->srv), 0);
	assert_int_equal(f->lookups, 0);
}

static void test_names(void **state)
{
	static const struct {
		const char *name;
		int code;                  /* -1: served */
	} v[] = {
		{ "../../etc/passwd", TFTP_ERR_ACCESS },
		{ "/etc/passwd", TFTP_ERR_NOT_FOUND },      /* looked up as etc/passwd: not in the cache */
		{ "a/../undionly.kpxe", TFTP_ERR_ACCESS },
		{ "..", TFTP_ERR_ACCESS },
		{ "/..", TFTP_ERR_ACCESS },
		{ "foo/..", TFTP_ERR_ACCESS },
		{ "..\\..\\boot.ini", TFTP_ERR_ACCESS },
		{ "pxelinux.cfg\\default", TFTP_ERR_ACCESS },
		{ "a\x01" "b", TFTP_ERR_ACCESS },
		{ "a\x7f", TFTP_ERR_ACCESS },
		{ "...", TFTP_ERR_NOT_FOUND },
		{ "..a", TFTP_ERR_NOT_FOUND },
		{ "", TFTP_ERR_NOT_FOUND },
		{ "/", TFTP_ERR_NOT_FOUND },
		{ "UNDIONLY.KPXE", TFTP_ERR_NOT_FOUND },    /* names are case-sensitive */
		{ "/undionly.kpxe", -1 },
		{ "//undionly.kpxe", -1 },
		{ "pxelinux.cfg/default", -1 },
		{ "/pxelinux.cfg/default", -1 },
	};
	struct fx *f = *state;
	char longname[400];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(rrq(f, CLIENT, (uint16_t)(5000 + i), v[i].name, "octet", END), 0);
		if (v[i].code < 0) {
			uint16_t sport = f->act[0].sport;

			assert_int_equal(f->act[0].type, TFTP_ACT_DATA);
			if (tftp_server_sess(f->srv, f->act[0].sess)->state == TFTP_SESS_SENDING) {
				/* an RRQ from the same port while the session runs: ignored */
				assert_int_equal(rrq(f, CLIENT, (uint16_t)(5000 + i), v[i].name,
						     "octet", END), 0);
				assert_int_equal(f->out.n, 0);
			}
			assert_int_equal(send_raw(f, CLIENT, (uint16_t)(5000 + i), sport,
						  "\x00\x05\x00\x00", 4), 0);
			assert_int_equal(f->act[0].type, TFTP_ACT_FINISHED);
			continue;
		}
		if (f->out.n != 1 || f->act[0].u.error.code != v[i].code)
			fail_msg("name '%s': %u actions, code %u", v[i].name, f->out.n,
				 f->act[0].u.error.code);
		expect_error(f, (uint16_t)v[i].code, CLIENT, (uint16_t)(5000 + i), TFTP_PORT);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(rrq(f, CLIENT, 5999, longname, "octet", END), 0);
	expect_error(f, TFTP_ERR_NOT_FOUND, CLIENT, 5999, TFTP_PORT);
	assert_int_equal(ctr(f)->name_escape, 9);
	assert_int_equal(ctr(f)->name_too_long, 1);
	assert_int_equal(ctr(f)->rrq_dup, 2);
	assert_int_equal(tftp_server_active(f->srv), 0);
}

/* Garbage to port 69: the right error or a counted drop, no session. */
static void test_bad_requests(void **state)
{
	static const struct {
		const char *what;
		const char *p;
		size_t len;
		int code;                  /* -1: dropped silently */
	} v[] = {
#define V(what, lit, code) { what, lit, sizeof(lit) - 1, code }
		V("empty", "", -1),
		V("one byte", "\x00", -1),
		V("ERROR to 69", "\x00\x05\x00\x01oops\0", -1),
		V("short ERROR to 69", "\x00\x05", -1),
		V("DATA to 69", "\x00\x03\x00\x01hello", TFTP_ERR_ILLEGAL_OP),
		V("ACK to 69", "\x00\x04\x00\x00", TFTP_ERR_ILLEGAL_OP),
		V("OACK to 69", "\x00\x06", TFTP_ERR_ILLEGAL_OP),
		V("opcode 99", "\x00\x63xx\0octet\0", TFTP_ERR_ILLEGAL_OP),
		V("name unterminated", "\x00\x01undionly.kpxe", TFTP_ERR_ILLEGAL_OP),
		V("mode unterminated", "\x00\x01undionly.kpxe\0octet", TFTP_ERR_ILLEGAL_OP),
		V("NUL inside name", "\x00\x01undionly.kpxe\0../../x\0octet\0", TFTP_ERR_ILLEGAL_OP),
		V("mail", "\x00\x01undionly.kpxe\0mail\0", TFTP_ERR_ILLEGAL_OP),
		V("bad mode", "\x00\x01undionly.kpxe\0image\0", TFTP_ERR_ILLEGAL_OP),
		V("blksize 4", "\x00\x01undionly.kpxe\0octet\0blksize\0" "4\0", TFTP_ERR_OPTION),
		V("blksize junk", "\x00\x01undionly.kpxe\0octet\0blksize\0lots\0", TFTP_ERR_OPTION),
		V("timeout 0", "\x00\x01undionly.kpxe\0octet\0timeout\0" "0\0", TFTP_ERR_OPTION),
		V("timeout 1000", "\x00\x01undionly.kpxe\0octet\0timeout\0" "1000\0", TFTP_ERR_OPTION),
		V("windowsize 0", "\x00\x01undionly.kpxe\0octet\0windowsize\0" "0\0", TFTP_ERR_OPTION),
		V("option no value", "\x00\x01undionly.kpxe\0octet\0blksize\0", TFTP_ERR_ILLEGAL_OP),
		V("missing file", "\x00\x01nothere\0octet\0", TFTP_ERR_NOT_FOUND),
#undef V
	};
	struct fx *f = *state;
	uint64_t errs = 0, drops = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		/* exact-size heap copy: ASan sees any read past the datagram */
		uint8_t *p = malloc(v[i].len + 1);

		assert_non_null(p);
		memcpy(p, v[i].p, v[i].len);
		assert_int_equal(send_raw(f, CLIENT, 6000, TFTP_PORT, p, v[i].len), 0);
		free(p);
		if (v[i].code < 0) {
			if (f->out.n != 0)
				fail_msg("%s: answered", v[i].what);
			drops++;
			continue;
		}
		if (f->out.n != 1 || f->act[0].type != TFTP_ACT_ERROR ||
		    f->act[0].u.error.code != v[i].code)
			fail_msg("%s: %u actions", v[i].what, f->out.n);
		errs++;
	}
	assert_int_equal(ctr(f)->drop_short + ctr(f)->drop_error_rx, drops);
	assert_int_equal(ctr(f)->err_tx[TFTP_ERR_ILLEGAL_OP] + ctr(f)->err_tx[TFTP_ERR_OPTION] +
			 ctr(f)->err_tx[TFTP_ERR_NOT_FOUND], errs);
	assert_int_equal(ctr(f)->req[TFTP_PARSE_MODE_MAIL], 1);
	assert_int_equal(ctr(f)->req[TFTP_PARSE_OPT_RANGE], 4);
	assert_int_equal(ctr(f)->rx, sizeof(v) / sizeof(v[0]));
	assert_int_equal(tftp_server_active(f->srv), 0);
}

/* RFC 1350 sec 4: a packet from the wrong TID gets error 5 and the
 * transfer is not disturbed. */
static void test_unknown_tid(void **state)
{
	struct fx *f = *state;
	struct tftp_sess before;
	struct tftp_counters c0;

	assert_int_equal(rrq(f, CLIENT, 7000, "undionly.kpxe", "octet", END), 0);
	assert_int_equal(f->act[0].sport, PORT_BASE);
	before = *tftp_server_sess(f->srv, f->act[0].sess);
	c0 = *ctr(f);
	/* the right client from another port, another client, an unused TID */
	assert_int_equal(ack(f, CLIENT, 7001, PORT_BASE, 1), 0);
	expect_error(f, TFTP_ERR_UNKNOWN_TID, CLIENT, 7001, PORT_BASE);
	assert_int_equal(ack(f, IP(10, 0, 0, 51), 7000, PORT_BASE, 1), 0);
	expect_error(f, TFTP_ERR_UNKNOWN_TID, IP(10, 0, 0, 51), 7000, PORT_BASE);
	assert_int_equal(ack(f, CLIENT, 7000, PORT_BASE + PORT_STRIDE, 1), 0);
	expect_error(f, TFTP_ERR_UNKNOWN_TID, CLIENT, 7000, PORT_BASE + PORT_STRIDE);
	/* an ERROR from a stranger is not answered and ends nothing */
	assert_int_equal(send_raw(f, CLIENT, 7001, PORT_BASE, "\x00\x05\x00\x00x\0", 6), 0);
	assert_int_equal(f->out.n, 0);
	assert_memory_equal(&before, tftp_server_sess(f->srv, 0), sizeof(before));
	assert_int_equal(ctr(f)->unknown_tid, c0.unknown_tid + 3);
	assert_int_equal(ctr(f)->acks, c0.acks);
	assert_int_equal(ctr(f)->drop_error_rx, c0.drop_error_rx + 1);
	/* a runt from a stranger: dropped, not answered */
	assert_int_equal(send_raw(f, CLIENT, 7001, PORT_BASE, "\x00", 1), 0);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(ctr(f)->drop_short, c0.drop_short + 1);
	/* a port outside our range is not ours at all */
	assert_int_equal(ack(f, CLIENT, 7000, PORT_BASE + 1, 1), 0);
	assert_int_equal(f->out.n, 0);
	assert_int_equal(ctr(f)->drop_not_ours, 1);
	assert_false(tftp_server_owns_port(f->srv, PORT_BASE + 1));
	assert_true(tftp_server_owns_port(f->srv, PORT_BASE + 7 * PORT_STRIDE));
	assert_false(tftp_server_owns_port(f->srv, PORT_BASE + 8 * PORT_STRIDE));
	assert_true(tftp_server_owns_port(f->srv, TFTP_PORT));
	/* and the real client carries on */
	assert_int_equal(ack(f, CLIENT, 7000, PORT_BASE, 1), 0);
	assert_int_equal(f->act[0].u.data.block, 2);
}

/* The cap from config: past it an RRQ gets no answer (the firmware
 * retries; an ERROR would end its boot), and is counted. */
static void test_table_full_and_flood(void **state)
{
	struct fx *f = *state;
	unsigned busy = 0;

	for (unsigned i = 0; i < 1000; i++) {
		assert_int_equal(rrq(f, IP(10, 0, 1, i % 250), (uint16_t)(10000 + i), "ipxe.efi",
				     "octet", "blksize", "1468", END), 0);
		if (f->out.n == 0)
			busy++;
		else
			assert_int_not_equal(f->act[0].type, TFTP_ACT_ERROR);
	}
	assert_int_equal(busy, 1000 - NAME_CAP);
	assert_int_equal(ctr(f)->table_full, 1000 - NAME_CAP);
	assert_int_equal(tftp_server_active(f->srv), NAME_CAP);
	/* nobody answers: every session retransmits and then gives up */
	for (int round = 0; round < 100 && tftp_server_active(f->srv) > 0; round++) {
		f->now = tftp_server_deadline(f->srv);
		f->out.n = 0;
		assert_true(tftp_server_timers(f->srv, f->now, &f->out) > 0);
	}
	assert_int_equal(tftp_server_active(f->srv), 0);
	assert_int_equal(tftp_server_deadline(f->srv), UINT64_MAX);
	assert_int_equal(ctr(f)->retry_limit, NAME_CAP);
	assert_int_equal(ctr(f)->oack_resent, NAME_CAP * 6);
	/* and the table is whole again */
	for (unsigned i = 0; i < NAME_CAP; i++) {
		assert_int_equal(rrq(f, CLIENT, (uint16_t)(20000 + i), "empty", "octet", END), 0);
		assert_int_equal(f->act[0].type, TFTP_ACT_DATA);
	}
	assert_int_equal(rrq(f, CLIENT, 20100, "empty", "octet", END), 0);
	assert_int_equal(f->out.n, 0);
}

/* More blocks than a 32-bit counter holds at blksize 8: error 3. */
static void test_too_large(void **state)
{
	struct fx *f = *state;

	f->objs[3].len = (size_t)8 * UINT32_MAX;   /* octet: the bytes are never read */
	assert_int_equal(rrq(f, CLIENT, 3200, "empty", "octet", "blksize", "8", END), 0);
	expect_error(f, TFTP_ERR_DISK_FULL, CLIENT, 3200, TFTP_PORT);
	assert_int_equal(ctr(f)->too_large, 1);
	assert_int_equal(tftp_server_active(f->srv), 0);
	/* the slot and the port went back */
	assert_int_equal(rrq(f, CLIENT, 3201, "undionly.kpxe", "octet", END), 0);
	assert_int_equal(f->act[0].sport, PORT_BASE + PORT_STRIDE);
	f->objs[3].len = 0;
}

/* Many sessions: hash chains, heap order and removal from the middle of
 * both, in a scrambled order, with duplicate detection still exact. */
static void test_many_sessions(void **state)
{
	enum { N = 300 };
	struct fx *f = *state;
	struct tftp_server_cfg c = base_cfg(f);
	static uint16_t sport[N];

	tftp_server_destroy(f->srv);
	c.capacity = N;
	c.port_base = 30000;
	c.port_stride = 1;
	c.port_count = N;
	f->srv = tftp_server_create(&c);
	assert_non_null(f->srv);
	for (unsigned i = 0; i < N; i++) {
		f->now += 1000;
		assert_int_equal(rrq(f, IP(10, 1, i % 7, 1), (uint16_t)(1024 + i / 7), "ipxe.efi",
				     "octet", END), 0);
		assert_int_equal(f->act[0].type, TFTP_ACT_DATA);
		sport[i] = f->act[0].sport;
	}
	assert_int_equal(tftp_server_active(f->srv), N);
	for (unsigned k = 0; k < N; k++) {
		unsigned i = (k * 7919u) % N;       /* 7919 is prime: a permutation */
		uint32_t ip = IP(10, 1, i % 7, 1);
		uint16_t port = (uint16_t)(1024 + i / 7);

		assert_int_equal(rrq(f, ip, port, "ipxe.efi", "octet", END), 0);
		assert_int_equal(f->out.n, 0);      /* still a duplicate */
		assert_int_equal(ack(f, ip, port, sport[i], 1), 0);
		assert_int_equal(f->act[0].u.data.block, 2);
		assert_int_equal(send_raw(f, ip, port, sport[i], "\x00\x05\x00\x00", 4), 0);
		assert_int_equal(f->act[0].type, TFTP_ACT_FINISHED);
		assert_int_equal(tftp_server_active(f->srv), N - 1 - k);
		if (k % 16 == 0) {
			/* the heap's top is the earliest deadline of all */
			uint64_t min = UINT64_MAX;

			for (uint32_t j = 0; j < N; j++)
				if (tftp_sess_deadline(tftp_server_sess(f->srv, j)) < min)
					min = tftp_sess_deadline(tftp_server_sess(f->srv, j));
			assert_int_equal(tftp_server_deadline(f->srv), min);
		}
	}
	assert_int_equal(tftp_server_deadline(f->srv), UINT64_MAX);
	assert_int_equal(ctr(f)->rrq_dup, N);
	assert_int_equal(ctr(f)->sessions_failed, N);
}

/* The glue's RSS predicate: a session's TID is one whose flow comes back
 * to this lcore; when none of the tries is, any port (counted). */
static bool tid_ok_rss(void *ctx, uint32_t peer_ip, uint16_t peer_port, uint16_t tid)
{
	(void)ctx;
	return rss_flow_queue(peer_ip, IP(10, 0, 0, 1), peer_port, tid, 4) == 2;
}

static bool tid_never(void *ctx, uint32_t peer_ip, uint16_t peer_port, uint16_t tid)
{
	(void)ctx;
	(void)peer_ip;
	(void)peer_port;
	(void)tid;
	return false;
}

static void test_tid_by_rss(void **state)
{
	enum { N = 64 };
	struct fx *f = *state;
	struct tftp_server_cfg c = base_cfg(f);

	tftp_server_destroy(f->srv);
	c.capacity = N;
	c.port_base = 30000;
	c.port_stride = 1;
	c.port_count = 4 * N;
	c.tid_ok = tid_ok_rss;
	f->srv = tftp_server_create(&c);
	assert_non_null(f->srv);
	for (unsigned i = 0; i < N; i++) {
		uint16_t cport = (uint16_t)(2000 + i);

		assert_int_equal(rrq(f, CLIENT, cport, "ipxe.efi", "octet", END), 0);
		assert_int_equal(f->act[0].type, TFTP_ACT_DATA);
		assert_int_equal(rss_flow_queue(CLIENT, IP(10, 0, 0, 1), cport, f->act[0].sport, 4), 2);
	}
	assert_int_equal(ctr(f)->tid_unsteered, 0);
	/* a predicate nothing satisfies: the session still starts */
	tftp_server_destroy(f->srv);
	c.tid_ok = tid_never;
	f->srv = tftp_server_create(&c);
	assert_non_null(f->srv);
	assert_int_equal(rrq(f, CLIENT, 7, "ipxe.efi", "octet", END), 0);
	assert_int_equal(f->act[0].type, TFTP_ACT_DATA);
	assert_int_equal(ctr(f)->tid_unsteered, 1);
}

/* Fewer ports than slots: no answer either. */
static void test_no_port(void **state)
{
	struct fx *f = *state;
	struct tftp_server_cfg c = base_cfg(f);
	struct tftp_server *small;

	c.port_count = 2;
	small = tftp_server_create(&c);
	assert_non_null(small);
	tftp_server_destroy(f->srv);
	f->srv = small;
	assert_int_equal(rrq(f, CLIENT, 1, "empty", "octet", END), 0);
	assert_int_equal(rrq(f, CLIENT, 2, "empty", "octet", END), 0);
	assert_int_equal(rrq(f, CLIENT, 3, "empty", "octet", END), 0);
	assert_int_equal(f->out.n, 0);     /* no answer: the client retries */
	assert_int_equal(ctr(f)->no_port, 1);
	/* the first finishes: its port is free again */
	assert_int_equal(ack(f, CLIENT, 1, PORT_BASE, 1), 0);
	assert_int_equal(f->act[0].type, TFTP_ACT_FINISHED);
	assert_int_equal(rrq(f, CLIENT, 3, "empty", "octet", END), 0);
	assert_int_equal(f->act[0].type, TFTP_ACT_DATA);
	assert_int_equal(f->act[0].sport, PORT_BASE);
}

/* A new RRQ from a client port whose session only waits for its final
 * ACK replaces it (the client is evidently done with it). */
static void test_supersede_last_sent(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rrq(f, CLIENT, 8000, "pxelinux.cfg/default", "octet", END), 0);
	assert_int_equal(tftp_server_sess(f->srv, 0)->state, TFTP_SESS_LAST_SENT);
	assert_int_equal(rrq(f, CLIENT, 8000, "undionly.kpxe", "octet", END), 0);
	assert_int_equal(f->out.n, 2);
	assert_int_equal(f->act[0].type, TFTP_ACT_FINISHED);
	assert_int_equal(f->act[0].u.fin.reason, TFTP_FIN_SUPERSEDED);
	assert_int_equal(f->act[1].type, TFTP_ACT_DATA);
	assert_ptr_equal(f->act[1].u.data.obj, &f->objs[0]);
	assert_int_equal(f->act[1].sport, PORT_BASE + PORT_STRIDE);
	assert_int_equal(tftp_server_active(f->srv), 1);
	assert_int_equal(ctr(f)->sessions_superseded, 1);
	/* the old TID is dead: error 5 */
	assert_int_equal(ack(f, CLIENT, 8000, PORT_BASE, 1), 0);
	expect_error(f, TFTP_ERR_UNKNOWN_TID, CLIENT, 8000, PORT_BASE);
}

/* Timers through the server: deadline order, retransmission, window
 * completion when the queue was short, bounded work per call. */
static void test_timers(void **state)
{
	struct fx *f = *state;
	struct tftp_act small[3];
	struct tftp_out out3 = { small, 3, 0 };
	uint64_t t_a;

	assert_int_equal(tftp_server_timers(f->srv, f->now, &f->out), 0);
	assert_int_equal(rrq(f, CLIENT, 9000, "ipxe.efi", "octet", END), 0);
	t_a = f->now;
	f->now += 100;
	assert_int_equal(rrq(f, CLIENT, 9001, "ipxe.efi", "octet", "windowsize", "8", END), 0);
	assert_int_equal(tftp_server_deadline(f->srv), t_a + SEC);
	/* ACK 0 with room for 3 DATA only: the rest is due at once */
	{
		uint8_t b[4];
		struct tftp_rx rx = { span_make(b, 4), CLIENT, 9001, PORT_BASE + PORT_STRIDE };

		tftp_wire_put_ack(b, 0);
		assert_int_equal(tftp_server_input(f->srv, &rx, f->now, &out3), 0);
		assert_int_equal(out3.n, 3);
		out3.n = 2;
		assert_int_equal(tftp_server_input(f->srv, &rx, f->now, &out3), -ENOBUFS);
		assert_int_equal(ctr(f)->drop_out_full, 1);
	}
	assert_int_equal(tftp_server_deadline(f->srv), f->now);
	f->out.n = 0;
	assert_int_equal(tftp_server_timers(f->srv, f->now, &f->out), 1);
	assert_int_equal(f->out.n, 5);
	assert_int_equal(f->act[4].u.data.block, 8);
	/* ACK 0 came at once: a round trip of ~0, so this session's RTO is
	 * the floor and it is now due before the first one's 1 s */
	assert_int_equal(tftp_server_deadline(f->srv), f->now + TFTP_RTO_MIN_US);
	/* both time out and are served in one call */
	f->now += 10 * SEC;
	f->out.n = 0;
	assert_int_equal(tftp_server_timers(f->srv, f->now, &f->out), 2);
	assert_int_equal(f->out.n, 1 + 8);
	assert_int_equal(ctr(f)->timeouts, 2);
	assert_int_equal(ctr(f)->data_resent, 9);
}

static void test_bad_cfg(void **state)
{
	struct fx *f = *state;
	struct tftp_server_cfg c;

	c = base_cfg(f);
	c.capacity = 0;
	assert_null(tftp_server_create(&c));
	c = base_cfg(f);
	c.port_base = 65000;
	c.port_stride = 100;
	assert_null(tftp_server_create(&c));       /* range past 65535 */
	c = base_cfg(f);
	c.port_base = 61;
	c.port_stride = 8;
	assert_null(tftp_server_create(&c));       /* 61 + 8 = 69 */
	c = base_cfg(f);
	c.lookup = NULL;
	assert_null(tftp_server_create(&c));
	c = base_cfg(f);
	c.lim.max_blksize = 4;
	assert_null(tftp_server_create(&c));
	c = base_cfg(f);
	c.timing.rto_us = 0;
	assert_null(tftp_server_create(&c));
	assert_null(tftp_server_create(NULL));
	tftp_server_destroy(NULL);
}

static void test_counter_names(void **state)
{
	(void)state;
	assert_string_equal(tftp_counter_names[0], "rx");
	assert_string_equal(tftp_counter_names[TFTP_N_COUNTERS - 1], "err_tx_8");
	assert_string_equal(tftp_counter_help[TFTP_N_COUNTERS - 1], "ERROR 8 sent");
	for (size_t i = 0; i < TFTP_N_COUNTERS; i++)
		assert_non_null(tftp_counter_names[i]);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_edk2_sequence),
		T(test_ipxe),
		T(test_other_clients),
		T(test_netascii_limit),
		T(test_wrq_refused),
		T(test_names),
		T(test_bad_requests),
		T(test_unknown_tid),
		T(test_table_full_and_flood),
		T(test_no_port),
		T(test_tid_by_rss),
		T(test_too_large),
		T(test_many_sessions),
		T(test_supersede_last_sent),
		T(test_timers),
		T(test_bad_cfg),
		cmocka_unit_test(test_counter_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
