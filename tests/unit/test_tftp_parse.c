/* SPDX-License-Identifier: BSD-3-Clause */
/* TFTP parser and option negotiation: vectors for every result, the
 * real clients' requests, split-point feeding, and the wire builders. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tftp_parse.h"
#include "tftp_wire.h"

/* A packet written as a C literal with embedded NULs. */
#define P(lit) span_make((lit), sizeof(lit) - 1)
/* The same as a constant initializer, for the vector table. */
#define PS(lit) { (const uint8_t *)(lit), sizeof(lit) - 1 }
#define RRQ "\x00\x01"
#define WRQ "\x00\x02"

static const struct tftp_limits lim = { .max_blksize = 1468, .max_window = 64 };

struct vec {
	const char *what;
	struct span pkt;
	enum tftp_parse_result r;
	uint8_t present;           /* expected oack.present when OK */
	uint16_t blksize, window;
	uint8_t timeout_s;
};

static const struct vec vecs[] = {
	{ "plain octet", PS(RRQ "pxelinux.0\0octet\0"), TFTP_PARSE_OK, 0, 512, 1, 0 },
	{ "mode any case", PS(RRQ "a\0OcTeT\0"), TFTP_PARSE_OK, 0, 512, 1, 0 },
	{ "netascii", PS(RRQ "a\0NetASCII\0"), TFTP_PARSE_OK, 0, 512, 1, 0 },
	{ "mail refused", PS(RRQ "a\0mail\0"), TFTP_PARSE_MODE_MAIL, 0, 0, 0, 0 },
	{ "unknown mode", PS(RRQ "a\0binary\0"), TFTP_PARSE_MODE_UNKNOWN, 0, 0, 0, 0 },
	{ "empty mode", PS(RRQ "a\0\0"), TFTP_PARSE_MODE_UNKNOWN, 0, 0, 0, 0 },
	{ "empty", PS(""), TFTP_PARSE_SHORT, 0, 0, 0, 0 },
	{ "one byte", PS("\x00"), TFTP_PARSE_SHORT, 0, 0, 0, 0 },
	{ "opcode only", PS(RRQ), TFTP_PARSE_NAME_UNTERMINATED, 0, 0, 0, 0 },
	{ "DATA", PS("\x00\x03\x00\x01xyz"), TFTP_PARSE_BAD_OP, 0, 0, 0, 0 },
	{ "opcode 0", PS("\x00\x00" "a\0octet\0"), TFTP_PARSE_BAD_OP, 0, 0, 0, 0 },
	{ "opcode 256+1", PS("\x01\x01" "a\0octet\0"), TFTP_PARSE_BAD_OP, 0, 0, 0, 0 },
	{ "name unterminated", PS(RRQ "pxelinux.0"), TFTP_PARSE_NAME_UNTERMINATED, 0, 0, 0, 0 },
	{ "mode unterminated", PS(RRQ "a\0octet"), TFTP_PARSE_MODE_UNTERMINATED, 0, 0, 0, 0 },
	{ "NUL in name", PS(RRQ "a\0../../etc/passwd\0octet\0"), TFTP_PARSE_OPT_UNTERMINATED, 0, 0, 0, 0 },
	{ "EDK2 probe", PS(RRQ "ipxe.efi\0octet\0tsize\0" "0\0blksize\0" "1468\0windowsize\0" "4\0"),
	  TFTP_PARSE_OK, TFTP_OPT_TSIZE | TFTP_OPT_BLKSIZE | TFTP_OPT_WINDOW, 1468, 4, 0 },
	{ "EDK2 fetch", PS(RRQ "ipxe.efi\0octet\0blksize\0" "1468\0windowsize\0" "4\0"),
	  TFTP_PARSE_OK, TFTP_OPT_BLKSIZE | TFTP_OPT_WINDOW, 1468, 4, 0 },
	{ "iPXE", PS(RRQ "undionly.kpxe\0octet\0blksize\0" "1432\0tsize\0" "0\0"),
	  TFTP_PARSE_OK, TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE, 1432, 1, 0 },
	{ "atftp", PS(RRQ "f\0octet\0windowsize\0" "16\0blksize\0" "1024\0"),
	  TFTP_PARSE_OK, TFTP_OPT_BLKSIZE | TFTP_OPT_WINDOW, 1024, 16, 0 },
	{ "blksize clamped", PS(RRQ "f\0octet\0blksize\0" "65464\0"), TFTP_PARSE_OK,
	  TFTP_OPT_BLKSIZE, 1468, 1, 0 },
	{ "blksize absurd", PS(RRQ "f\0octet\0blksize\0" "99999999999999999999999999\0"),
	  TFTP_PARSE_OK, TFTP_OPT_BLKSIZE, 1468, 1, 0 },
	{ "blksize 8", PS(RRQ "f\0octet\0blksize\0" "8\0"), TFTP_PARSE_OK, TFTP_OPT_BLKSIZE, 8, 1, 0 },
	{ "blksize 7", PS(RRQ "f\0octet\0blksize\0" "7\0"), TFTP_PARSE_OPT_RANGE, 0, 0, 0, 0 },
	{ "blksize 0", PS(RRQ "f\0octet\0blksize\0" "0\0"), TFTP_PARSE_OPT_RANGE, 0, 0, 0, 0 },
	{ "blksize hex", PS(RRQ "f\0octet\0blksize\0" "0x400\0"), TFTP_PARSE_OPT_BAD_VALUE, 0, 0, 0, 0 },
	{ "blksize negative", PS(RRQ "f\0octet\0blksize\0" "-1\0"), TFTP_PARSE_OPT_BAD_VALUE, 0, 0, 0, 0 },
	{ "blksize empty", PS(RRQ "f\0octet\0blksize\0\0"), TFTP_PARSE_OPT_BAD_VALUE, 0, 0, 0, 0 },
	{ "blksize spaces", PS(RRQ "f\0octet\0blksize\0 512\0"), TFTP_PARSE_OPT_BAD_VALUE, 0, 0, 0, 0 },
	{ "leading zeros", PS(RRQ "f\0octet\0blksize\0" "0001024\0"), TFTP_PARSE_OK,
	  TFTP_OPT_BLKSIZE, 1024, 1, 0 },
	{ "timeout 1", PS(RRQ "f\0octet\0timeout\0" "1\0"), TFTP_PARSE_OK, TFTP_OPT_TIMEOUT, 512, 1, 1 },
	{ "timeout 255", PS(RRQ "f\0octet\0timeout\0" "255\0"), TFTP_PARSE_OK, TFTP_OPT_TIMEOUT, 512, 1, 255 },
	{ "timeout 0", PS(RRQ "f\0octet\0timeout\0" "0\0"), TFTP_PARSE_OPT_RANGE, 0, 0, 0, 0 },
	{ "timeout 256", PS(RRQ "f\0octet\0timeout\0" "256\0"), TFTP_PARSE_OPT_RANGE, 0, 0, 0, 0 },
	{ "windowsize 0", PS(RRQ "f\0octet\0windowsize\0" "0\0"), TFTP_PARSE_OPT_RANGE, 0, 0, 0, 0 },
	{ "windowsize clamped", PS(RRQ "f\0octet\0windowsize\0" "65535\0"), TFTP_PARSE_OK,
	  TFTP_OPT_WINDOW, 512, 64, 0 },
	{ "tsize nonzero ignored", PS(RRQ "f\0octet\0tsize\0" "1234\0"), TFTP_PARSE_OK, 0, 512, 1, 0 },
	{ "tsize garbage", PS(RRQ "f\0octet\0tsize\0x\0"), TFTP_PARSE_OPT_BAD_VALUE, 0, 0, 0, 0 },
	{ "names any case", PS(RRQ "f\0octet\0BLKSIZE\0" "1000\0WindowSize\0" "2\0TSize\0" "0\0"),
	  TFTP_PARSE_OK, TFTP_OPT_BLKSIZE | TFTP_OPT_WINDOW | TFTP_OPT_TSIZE, 1000, 2, 0 },
	{ "duplicate: first wins", PS(RRQ "f\0octet\0blksize\0" "1000\0blksize\0" "2000\0"),
	  TFTP_PARSE_OK, TFTP_OPT_BLKSIZE, 1000, 1, 0 },
	{ "duplicate garbage ignored", PS(RRQ "f\0octet\0blksize\0" "1000\0blksize\0zz\0"),
	  TFTP_PARSE_OK, TFTP_OPT_BLKSIZE, 1000, 1, 0 },
	{ "unknown options ignored", PS(RRQ "f\0octet\0multicast\0\0utimeout\0" "100\0"),
	  TFTP_PARSE_OK, 0, 512, 1, 0 },
	{ "option without value", PS(RRQ "f\0octet\0blksize\0"), TFTP_PARSE_OPT_UNTERMINATED, 0, 0, 0, 0 },
	{ "value without NUL", PS(RRQ "f\0octet\0blksize\0" "1468"), TFTP_PARSE_OPT_UNTERMINATED, 0, 0, 0, 0 },
	{ "name without NUL", PS(RRQ "f\0octet\0blks"), TFTP_PARSE_OPT_UNTERMINATED, 0, 0, 0, 0 },
	{ "NUL padding", PS(RRQ "f\0octet\0blksize\0" "1024\0\0\0\0"), TFTP_PARSE_OK,
	  TFTP_OPT_BLKSIZE, 1024, 1, 0 },
	{ "junk after padding", PS(RRQ "f\0octet\0\0x"), TFTP_PARSE_OPT_UNTERMINATED, 0, 0, 0, 0 },
	{ "framing beats values", PS(RRQ "f\0octet\0blksize\0" "1\0tsize"), TFTP_PARSE_OPT_UNTERMINATED,
	  0, 0, 0, 0 },
	{ "WRQ parses", PS(WRQ "upload\0octet\0"), TFTP_PARSE_OK, 0, 512, 1, 0 },
	{ "WRQ tsize not asked", PS(WRQ "upload\0octet\0tsize\0" "0\0"), TFTP_PARSE_OK, 0, 512, 1, 0 },
};

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		/* An exact-size heap copy lets ASan catch a read past the end. */
		uint8_t *copy = malloc(v->pkt.len + 1);
		struct tftp_req req;
		enum tftp_parse_result r;

		assert_non_null(copy);
		memcpy(copy, v->pkt.p, v->pkt.len);
		r = tftp_parse_request(span_make(copy, v->pkt.len), &lim, &req);
		if (r != v->r)
			fail_msg("%s: got %d want %d", v->what, r, v->r);
		if (r == TFTP_PARSE_OK) {
			if (req.oack.present != v->present || req.blksize != v->blksize ||
			    req.window != v->window || req.timeout_s != v->timeout_s)
				fail_msg("%s: present %x blksize %u window %u timeout %u", v->what,
					 req.oack.present, req.blksize, req.window, req.timeout_s);
			assert_int_equal(req.oack.tsize, 0);
			assert_true(req.name.p >= copy && req.name.p + req.name.len <= copy + v->pkt.len);
		}
		free(copy);
	}
}

static void test_fields(void **state)
{
	struct tftp_req req;

	(void)state;
	assert_int_equal(tftp_parse_request(P(RRQ "/undionly.kpxe\0NETASCII\0blksize\0" "1432\0x\0y\0"),
					    &lim, &req), TFTP_PARSE_OK);
	assert_int_equal(req.op, TFTP_OP_RRQ);
	assert_int_equal(req.mode, TFTP_MODE_NETASCII);
	assert_true(span_eq(req.name, span_cstr("/undionly.kpxe")));
	assert_true(span_eq(req.mode_str, span_cstr("NETASCII")));
	assert_int_equal(req.n_opts, 2);
	assert_true(span_eq(req.opts[0].name, span_cstr("blksize")));
	assert_true(span_eq(req.opts[0].value, span_cstr("1432")));
	assert_true(span_eq(req.opts[1].name, span_cstr("x")));
	assert_int_equal(req.n_ignored, 1);
	assert_int_equal(req.oack.blksize, 1432);

	assert_int_equal(tftp_parse_request(P(RRQ "f\0octet\0blksize\0" "9000\0windowsize\0" "100\0"),
					    &lim, &req), TFTP_PARSE_OK);
	assert_int_equal(req.n_clamped, 2);
	assert_int_equal(req.oack.window, 64);

	assert_int_equal(tftp_parse_request(P(RRQ "\0octet\0"), &lim, &req), TFTP_PARSE_OK);
	assert_int_equal(req.name.len, 0);

	/* a WRQ keeps its opcode even when the mode is bad: it is refused with 2 */
	assert_int_equal(tftp_parse_request(P(WRQ "f\0mail\0"), &lim, &req), TFTP_PARSE_MODE_MAIL);
	assert_int_equal(req.op, TFTP_OP_WRQ);
}

static void test_many_options(void **state)
{
	uint8_t pkt[512];
	size_t n = 0;
	struct tftp_req req;

	(void)state;
	memcpy(pkt, RRQ "f\0octet\0", 10);
	n = 10;
	for (int i = 0; i < 20; i++) {
		memcpy(pkt + n, "opt\0" "1\0", 6);
		n += 6;
	}
	memcpy(pkt + n, "blksize\0" "1024\0", 13);   /* 21st pair: past the kept ones */
	n += 13;
	assert_int_equal(tftp_parse_request(span_make(pkt, n), &lim, &req), TFTP_PARSE_OK);
	assert_int_equal(req.n_opts, TFTP_MAX_OPTS);
	assert_int_equal(req.n_ignored, 21);
	assert_int_equal(req.blksize, 512);
}

/* Every prefix of a good request: OK exactly at the pair boundaries,
 * a framing error everywhere else, and never a read past the end. */
static void test_split_points(void **state)
{
	static const char pkt[] = RRQ "ipxe.efi\0octet\0tsize\0" "0\0blksize\0" "1468\0windowsize\0" "4\0";
	const size_t len = sizeof(pkt) - 1;
	const size_t ok_at[] = { 2 + 9 + 6, 2 + 9 + 6 + 8, 2 + 9 + 6 + 8 + 13, len };

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		uint8_t *copy = malloc(cut + 1);
		struct tftp_req req;
		enum tftp_parse_result r;
		bool want_ok = false;

		assert_non_null(copy);
		memcpy(copy, pkt, cut);
		r = tftp_parse_request(span_make(copy, cut), &lim, &req);
		for (size_t i = 0; i < sizeof(ok_at) / sizeof(ok_at[0]); i++)
			want_ok |= cut == ok_at[i];
		if (want_ok)
			assert_int_equal(r, TFTP_PARSE_OK);
		else if (!tftp_parse_is_framing(r))
			fail_msg("cut %zu: result %d is not a framing error", cut, r);
		free(copy);
	}
}

static void test_err_codes(void **state)
{
	(void)state;
	assert_int_equal(tftp_parse_err_code(TFTP_PARSE_MODE_MAIL), TFTP_ERR_ILLEGAL_OP);
	assert_int_equal(tftp_parse_err_code(TFTP_PARSE_NAME_UNTERMINATED), TFTP_ERR_ILLEGAL_OP);
	assert_int_equal(tftp_parse_err_code(TFTP_PARSE_OPT_RANGE), TFTP_ERR_OPTION);
	assert_int_equal(tftp_parse_err_code(TFTP_PARSE_OPT_BAD_VALUE), TFTP_ERR_OPTION);
	assert_int_equal(tftp_parse_err_code((enum tftp_parse_result)99), TFTP_ERR_ILLEGAL_OP);
	assert_string_equal(tftp_parse_result_str((enum tftp_parse_result)99), "?");
	assert_false(tftp_parse_is_framing(TFTP_PARSE_OPT_RANGE));
	assert_true(tftp_parse_is_framing(TFTP_PARSE_MODE_UNTERMINATED));
}

static void test_ack_error(void **state)
{
	uint16_t v = 0;
	struct span msg;

	(void)state;
	assert_int_equal(tftp_parse_ack(P("\x00\x04\xff\xfe"), &v), 0);
	assert_int_equal(v, 0xfffe);
	assert_int_equal(tftp_parse_ack(P("\x00\x04\x00\x01\x00\x00"), &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(tftp_parse_ack(P("\x00\x04\x00"), &v), -EINVAL);
	assert_int_equal(tftp_parse_ack(P("\x00\x03\x00\x01"), &v), -EINVAL);
	assert_int_equal(tftp_parse_op(P("\x00"), &v), -EINVAL);
	assert_int_equal(tftp_parse_op(P("\x00\x05"), &v), 0);
	assert_int_equal(v, TFTP_OP_ERROR);

	assert_int_equal(tftp_parse_error(P("\x00\x05\x00\x08" "no\0"), &v, &msg), 0);
	assert_int_equal(v, 8);
	assert_true(span_eq(msg, span_cstr("no")));
	assert_int_equal(tftp_parse_error(P("\x00\x05\x00\x01" "unterminated"), &v, &msg), 0);
	assert_true(span_eq(msg, span_cstr("unterminated")));
	assert_int_equal(tftp_parse_error(P("\x00\x05\x00\x01"), &v, &msg), 0);
	assert_int_equal(msg.len, 0);
	assert_int_equal(tftp_parse_error(P("\x00\x05\x00"), &v, &msg), -EINVAL);
	assert_int_equal(tftp_parse_error(P("\x00\x04\x00\x01"), &v, &msg), -EINVAL);
}

static void test_build_oack(void **state)
{
	static const char want[] = "\x00\x06" "blksize\0" "1468\0tsize\0" "18446744073709551615\0"
				   "timeout\0" "255\0windowsize\0" "65535\0";
	struct tftp_oack o = { .present = 0xf, .blksize = 1468, .tsize = UINT64_MAX,
			       .timeout_s = 255, .window = 65535 };
	uint8_t buf[TFTP_OACK_MAX];
	size_t n;

	(void)state;
	n = tftp_wire_put_oack(buf, sizeof(buf), &o);
	assert_int_equal(n, sizeof(want) - 1);
	assert_true(n <= TFTP_OACK_MAX);
	assert_memory_equal(buf, want, n);
	assert_int_equal(tftp_wire_put_oack(buf, TFTP_OACK_MAX - 1, &o), 0);

	o.present = TFTP_OPT_TSIZE;
	o.tsize = 0;
	n = tftp_wire_put_oack(buf, sizeof(buf), &o);
	assert_int_equal(n, 2 + 6 + 2);
	assert_memory_equal(buf, "\x00\x06tsize\0" "0", n);
}

static void test_build_error_data(void **state)
{
	uint8_t buf[TFTP_ERROR_MAX];
	char longmsg[200];
	size_t n;

	(void)state;
	n = tftp_wire_put_error(buf, sizeof(buf), TFTP_ERR_NOT_FOUND, "file not found");
	assert_int_equal(n, 4 + 14 + 1);
	assert_memory_equal(buf, "\x00\x05\x00\x01" "file not found", n);
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = 0;
	n = tftp_wire_put_error(buf, sizeof(buf), 0, longmsg);
	assert_int_equal(n, TFTP_ERROR_MAX);
	assert_int_equal(buf[n - 1], 0);
	assert_int_equal(tftp_wire_put_error(buf, TFTP_ERROR_MAX - 1, 0, "x"), 0);

	tftp_wire_put_data_hdr(buf, 0xabcd);
	assert_memory_equal(buf, "\x00\x03\xab\xcd", 4);
	tftp_wire_put_ack(buf, 7);
	assert_memory_equal(buf, "\x00\x04\x00\x07", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_many_options),
		cmocka_unit_test(test_split_points),
		cmocka_unit_test(test_err_codes),
		cmocka_unit_test(test_ack_error),
		cmocka_unit_test(test_build_oack),
		cmocka_unit_test(test_build_error_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
