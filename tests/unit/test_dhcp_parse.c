/* SPDX-License-Identifier: BSD-3-Clause */
/* Parser and reply builder of the DHCP core: vectors for every drop reason. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"
#include "dhcp_build.h"
#include "dhcp_parse.h"
#include "dhcp_wire.h"

struct pkt {
	uint8_t b[1500];
	size_t len;
};

static const uint8_t test_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void pkt_opt(struct pkt *p, uint8_t code, const void *v, uint8_t len)
{
	p->b[p->len++] = code;
	p->b[p->len++] = len;
	memcpy(p->b + p->len, v, len);
	p->len += len;
}

static void pkt_init(struct pkt *p, uint8_t type)
{
	memset(p, 0, sizeof(*p));
	p->b[DHCP_OFF_OP] = BOOTREQUEST;
	p->b[DHCP_OFF_HTYPE] = 1;
	p->b[DHCP_OFF_HLEN] = 6;
	put_be32(p->b + DHCP_OFF_XID, 0xdeadbeef);
	put_be16(p->b + DHCP_OFF_FLAGS, 0x8000);
	memcpy(p->b + DHCP_OFF_CHADDR, test_mac, 6);
	put_be32(p->b + DHCP_OFF_MAGIC, DHCP_MAGIC);
	p->len = DHCP_HDR_LEN;
	pkt_opt(p, DHCP_OPT_MSG_TYPE, &type, 1);
}

static void pkt_end(struct pkt *p)
{
	p->b[p->len++] = DHCP_OPT_END;
}

/* An EDK2-shaped DISCOVER: 53, 57, 55, 97, 94, 93, 60 (docs/design.md,
 * "What real clients send"). */
static void edk2_discover(struct pkt *p)
{
	static const uint8_t mms[] = { 0x05, 0xc0 };
	static const uint8_t prl[] = { 1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22,
				       23, 28, 40, 41, 42, 43, 50, 51, 54, 58,
				       59, 60, 66, 67, 97, 128, 129, 130 };
	static const uint8_t ndi[] = { 1, 3, 0 };
	static const uint8_t arch[] = { 0, 7 };
	static const char vc[] = "PXEClient:Arch:00007:UNDI:003000";
	uint8_t uuid[17] = { 0 };

	pkt_init(p, DHCPDISCOVER);
	pkt_opt(p, DHCP_OPT_MAX_MSG_SIZE, mms, 2);
	pkt_opt(p, DHCP_OPT_PARAM_LIST, prl, sizeof(prl));
	pkt_opt(p, DHCP_OPT_CLIENT_UUID, uuid, sizeof(uuid));
	pkt_opt(p, DHCP_OPT_CLIENT_NDI, ndi, sizeof(ndi));
	pkt_opt(p, DHCP_OPT_CLIENT_ARCH, arch, sizeof(arch));
	pkt_opt(p, DHCP_OPT_VENDOR_CLASS, vc, sizeof(vc) - 1);
	pkt_end(p);
}

static void test_parse_ok(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	const struct span *vc;

	(void)state;
	edk2_discover(&p);
	assert_int_equal(dhcp_parse(span_make(p.b, p.len), &m), DHCP_PARSE_OK);
	assert_int_equal(m.type, DHCPDISCOVER);
	assert_int_equal(m.xid, 0xdeadbeef);
	assert_int_equal(m.flags, 0x8000);
	assert_memory_equal(m.chaddr.b, test_mac, 6);
	assert_int_equal(m.n_opts, 7);
	vc = dhcp_msg_opt(&m, DHCP_OPT_VENDOR_CLASS);
	assert_non_null(vc);
	assert_int_equal(vc->len, 32);
	assert_ptr_equal(vc->p, p.b + p.len - 1 - 32); /* a span into the packet */
	assert_true(dhcp_msg_wants(&m, DHCP_OPT_BOOTFILE));
	assert_false(dhcp_msg_wants(&m, DHCP_OPT_HOSTNAME + 100));
	assert_null(dhcp_msg_opt(&m, DHCP_OPT_USER_CLASS));
}

/* Every prefix: truncated below 240, then never accepted, never overread. */
static void test_truncated_every_length(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	size_t boundary[16], nb = 0, off = DHCP_HDR_LEN;

	(void)state;
	edk2_discover(&p);
	while (off < p.len - 1) { /* option starts: prefixes ending there */
		boundary[nb++] = off;
		off += 2u + p.b[off + 1];
	}
	boundary[nb++] = p.len - 1;
	for (size_t len = 0; len < p.len; len++) {
		enum dhcp_parse_result rc = dhcp_parse(span_make(p.b, len), &m);
		bool at_boundary = false;

		for (size_t i = 0; i < nb; i++)
			at_boundary |= boundary[i] == len;
		if (len < DHCP_HDR_LEN)
			assert_int_equal(rc, DHCP_PARSE_TRUNCATED);
		else if (at_boundary)
			assert_int_equal(rc, DHCP_PARSE_NO_END);
		else
			assert_int_equal(rc, DHCP_PARSE_BAD_OPTION);
	}
	assert_int_equal(dhcp_parse(span_make(p.b, p.len), &m), DHCP_PARSE_OK);
}

struct vec {
	const char *name;
	size_t at;             /* byte to overwrite, 0 = none */
	uint8_t val;
	uint8_t opt[16];       /* options after 53, then END unless no_end */
	size_t opt_len;
	bool no_end;
	bool no_type;          /* leave 53 out */
	enum dhcp_parse_result want;
};

static const struct vec vecs[] = {
	{ "ok", 0, 0, { 0 }, 0, false, false, DHCP_PARSE_OK },
	{ "op=2", DHCP_OFF_OP, 2, { 0 }, 0, false, false, DHCP_PARSE_BAD_OP },
	{ "op=0", DHCP_OFF_OP, 0, { 0 }, 0, false, false, DHCP_PARSE_BAD_OP },
	{ "htype=6", DHCP_OFF_HTYPE, 6, { 0 }, 0, false, false, DHCP_PARSE_BAD_HTYPE },
	{ "hlen=16", DHCP_OFF_HLEN, 16, { 0 }, 0, false, false, DHCP_PARSE_BAD_HTYPE },
	{ "hlen=0", DHCP_OFF_HLEN, 0, { 0 }, 0, false, false, DHCP_PARSE_BAD_HTYPE },
	{ "magic", DHCP_OFF_MAGIC + 3, 0x64, { 0 }, 0, false, false, DHCP_PARSE_BAD_MAGIC },
	{ "bootp magic 0", DHCP_OFF_MAGIC, 0, { 0 }, 0, false, false, DHCP_PARSE_BAD_MAGIC },
	{ "overrun", 0, 0, { 12, 10, 'a', 'b' }, 4, true, false, DHCP_PARSE_BAD_OPTION },
	{ "len byte missing", 0, 0, { 12 }, 1, true, false, DHCP_PARSE_BAD_OPTION },
	{ "53 len 0", 0, 0, { 53, 0 }, 2, false, true, DHCP_PARSE_BAD_OPTION },
	{ "50 len 0", 0, 0, { 50, 0 }, 2, false, false, DHCP_PARSE_BAD_OPTION },
	{ "54 len 0", 0, 0, { 54, 0 }, 2, false, false, DHCP_PARSE_BAD_OPTION },
	{ "55 len 0", 0, 0, { 55, 0 }, 2, false, false, DHCP_PARSE_BAD_OPTION },
	{ "57 len 0", 0, 0, { 57, 0 }, 2, false, false, DHCP_PARSE_BAD_OPTION },
	{ "50 len 5", 0, 0, { 50, 5, 1, 2, 3, 4, 5 }, 7, false, false, DHCP_PARSE_BAD_OPTION },
	{ "57 len 3", 0, 0, { 57, 3, 5, 0xc0, 0 }, 5, false, false, DHCP_PARSE_BAD_OPTION },
	{ "93 len 3", 0, 0, { 93, 3, 0, 7, 0 }, 5, false, false, DHCP_PARSE_BAD_OPTION },
	{ "52 len 2", 0, 0, { 52, 2, 1, 1 }, 4, false, false, DHCP_PARSE_BAD_OPTION },
	{ "82 len 1", 0, 0, { 82, 1, 1 }, 3, false, false, DHCP_PARSE_BAD_OPTION },
	{ "unknown len 0 is fine (RFC 4039)", 0, 0, { 80, 0 }, 2, false, false, DHCP_PARSE_OK },
	{ "pads then end", 0, 0, { 0, 0, 0 }, 3, false, false, DHCP_PARSE_OK },
	{ "no end", 0, 0, { 12, 1, 'x' }, 3, true, false, DHCP_PARSE_NO_END },
	{ "only pads", 0, 0, { 0, 0, 0, 0 }, 4, true, false, DHCP_PARSE_NO_END },
	{ "no 53", 0, 0, { 12, 1, 'x' }, 3, false, true, DHCP_PARSE_NO_TYPE },
	{ "53=0", 0, 0, { 53, 1, 0 }, 3, false, true, DHCP_PARSE_NO_TYPE },
	{ "53=9", 0, 0, { 53, 1, 9 }, 3, false, true, DHCP_PARSE_NO_TYPE },
	{ "53=255", 0, 0, { 53, 1, 255 }, 3, false, true, DHCP_PARSE_NO_TYPE },
};

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < STP_ARRAY_SIZE(vecs); i++) {
		const struct vec *v = &vecs[i];
		struct pkt p;
		struct dhcp_msg m;

		pkt_init(&p, DHCPDISCOVER);
		if (v->no_type)
			p.len = DHCP_HDR_LEN;
		memcpy(p.b + p.len, v->opt, v->opt_len);
		p.len += v->opt_len;
		if (!v->no_end)
			pkt_end(&p);
		if (v->at != 0 || v->want == DHCP_PARSE_BAD_OP)
			p.b[v->at] = v->val;
		print_message("vector %s\n", v->name);
		assert_int_equal(dhcp_parse(span_make(p.b, p.len), &m),
				 v->want);
	}
}

/* More instances than the parser keeps: absurd, dropped as a bad option. */
static void test_too_many_options(void **state)
{
	struct pkt p;
	struct dhcp_msg m;

	(void)state;
	pkt_init(&p, DHCPDISCOVER);
	for (int i = 0; i < DHCP_MAX_OPTS; i++)
		pkt_opt(&p, 250, "x", 1);
	pkt_end(&p);
	assert_int_equal(dhcp_parse(span_make(p.b, p.len), &m), DHCP_PARSE_BAD_OPTION);
	p.len -= 4; /* one fewer: exactly DHCP_MAX_OPTS with 53 */
	pkt_end(&p);
	assert_int_equal(dhcp_parse(span_make(p.b, p.len), &m), DHCP_PARSE_OK);
}

/* RFC 2131 sec 4.1 / RFC 2132 sec 9.3: options in 'file' with option 52. */
static void test_overload(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	uint8_t one = 1;
	uint32_t ip;

	(void)state;
	memset(&p, 0, sizeof(p));
	pkt_init(&p, DHCPREQUEST);
	p.len = DHCP_HDR_LEN; /* 53 lives in 'file' */
	pkt_opt(&p, DHCP_OPT_OVERLOAD, &one, 1);
	pkt_end(&p);
	memcpy(p.b + DHCP_OFF_FILE, "\x35\x01\x03\x32\x04\x0a\x00\x00\x07\xff", 10);
	assert_int_equal(dhcp_parse(span_make(p.b, p.len), &m), DHCP_PARSE_OK);
	assert_int_equal(m.type, DHCPREQUEST);
	assert_true(dhcp_msg_opt_ip(&m, DHCP_OPT_REQ_IP, &ip));
	assert_int_equal(ip, 0x0a000007);
	/* an overloaded 'file' that runs off its 128 bytes without END */
	memset(p.b + DHCP_OFF_FILE, 0, DHCP_FILE_LEN);
	memcpy(p.b + DHCP_OFF_FILE, "\x35\x01\x03", 3);
	assert_int_equal(dhcp_parse(span_make(p.b, p.len), &m), DHCP_PARSE_NO_END);
	p.b[DHCP_OFF_FILE + 120] = 12;
	p.b[DHCP_OFF_FILE + 121] = 10; /* overruns the field, not the packet */
	assert_int_equal(dhcp_parse(span_make(p.b, p.len), &m), DHCP_PARSE_BAD_OPTION);
}

static void test_concat_and_wants(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	uint8_t buf[16];
	static const uint8_t prl1[] = { 1, 3 }, prl2[] = { 6 };

	(void)state;
	pkt_init(&p, DHCPDISCOVER);
	pkt_opt(&p, DHCP_OPT_USER_CLASS, "iP", 2);
	pkt_opt(&p, DHCP_OPT_PARAM_LIST, prl1, 2);
	pkt_opt(&p, DHCP_OPT_USER_CLASS, "XE", 2);
	pkt_opt(&p, DHCP_OPT_PARAM_LIST, prl2, 1);
	pkt_end(&p);
	assert_int_equal(dhcp_parse(span_make(p.b, p.len), &m), DHCP_PARSE_OK);
	assert_int_equal(dhcp_msg_opt_concat(&m, DHCP_OPT_USER_CLASS, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "iPXE", 4);
	assert_int_equal(dhcp_msg_opt_concat(&m, DHCP_OPT_USER_CLASS, buf, 3), -1);
	assert_int_equal(dhcp_msg_opt_concat(&m, DHCP_OPT_HOSTNAME, buf, 3), -1);
	assert_true(dhcp_msg_wants(&m, 1));
	assert_true(dhcp_msg_wants(&m, 6)); /* second instance counts too */
	assert_false(dhcp_msg_wants(&m, 15));
}

/* ---- builder ------------------------------------------------------------ */

static void build_start(struct dhcp_builder *b, uint8_t *buf, size_t budget,
			struct dhcp_msg *req)
{
	struct pkt p;
	struct dhcp_reply_hdr h = { .type = DHCPOFFER, .flags = 0x8000,
				    .yiaddr = 0x0a000064, .siaddr = 0x0a000001 };

	edk2_discover(&p);
	assert_int_equal(dhcp_parse(span_make(p.b, p.len), req), DHCP_PARSE_OK);
	dhcp_build_init(b, buf, budget, req, &h);
}

static void test_build_header_and_pad(void **state)
{
	uint8_t buf[1500];
	struct dhcp_builder b;
	struct dhcp_msg req;
	size_t len;

	(void)state;
	memset(buf, 0xaa, sizeof(buf));
	build_start(&b, buf, 548, &req);
	len = dhcp_build_finish(&b);
	assert_int_equal(len, DHCP_BOOTP_MIN_LEN);
	assert_int_equal(buf[DHCP_OFF_OP], BOOTREPLY);
	assert_int_equal(buf[DHCP_OFF_HOPS], 0);
	assert_int_equal(get_be32(buf + DHCP_OFF_XID), 0xdeadbeef);
	assert_int_equal(get_be16(buf + DHCP_OFF_FLAGS), 0x8000);
	assert_int_equal(get_be32(buf + DHCP_OFF_YIADDR), 0x0a000064);
	assert_int_equal(get_be32(buf + DHCP_OFF_SIADDR), 0x0a000001);
	assert_memory_equal(buf + DHCP_OFF_CHADDR, test_mac, 6);
	assert_int_equal(get_be32(buf + DHCP_OFF_MAGIC), DHCP_MAGIC);
	assert_memory_equal(buf + DHCP_OFF_OPTIONS, "\x35\x01\x02\xff", 4);
	for (size_t i = DHCP_OFF_OPTIONS + 4; i < len; i++)
		assert_int_equal(buf[i], 0);
}

/* RFC 3396: a 300-byte value goes out as 255 + 45 and parses back whole. */
static void test_build_split_3396(void **state)
{
	uint8_t buf[1500], val[300], back[400];
	struct dhcp_builder b;
	struct dhcp_msg req, m;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)('a' + i % 26);
	build_start(&b, buf, 1472, &req);
	assert_int_equal(dhcp_build_opt_size(300), 304);
	assert_true(dhcp_build_opt(&b, DHCP_OPT_BOOTFILE, val, sizeof(val)));
	assert_false(dhcp_build_file(&b, (const char *)val, sizeof(val)));
	len = dhcp_build_finish(&b);
	assert_int_equal(len, 240 + 3 + 304 + 1);
	assert_int_equal(buf[243], 67);
	assert_int_equal(buf[244], 255);
	assert_int_equal(buf[243 + 257], 67);
	assert_int_equal(buf[243 + 258], 45);
	assert_int_equal(buf[DHCP_OFF_FILE], 0); /* never cut into 'file' */
	buf[DHCP_OFF_OP] = BOOTREQUEST; /* let the request parser read it */
	assert_int_equal(dhcp_parse(span_make(buf, len), &m), DHCP_PARSE_OK);
	assert_int_equal(dhcp_msg_opt_concat(&m, DHCP_OPT_BOOTFILE, back, sizeof(back)), 300);
	assert_memory_equal(back, val, 300);
}

/* Never cut: an option over budget is left out whole and counted. */
static void test_build_budget(void **state)
{
	uint8_t buf[1500], val[255];
	struct dhcp_builder b;
	struct dhcp_msg req;
	size_t len;

	(void)state;
	memset(val, 'x', sizeof(val));
	memset(buf, 0xaa, sizeof(buf));
	build_start(&b, buf, 548, &req);
	/* 548 - 243 - END = 304 bytes of room */
	assert_true(dhcp_build_opt(&b, 200, val, 255));  /* 257, 47 left */
	assert_false(dhcp_build_opt(&b, 201, val, 46));  /* 48 > 47 */
	assert_int_equal(b.dropped, 1);
	assert_int_equal(b.len, 243 + 257);
	assert_true(dhcp_build_opt(&b, 202, val, 45));   /* exactly fits */
	assert_false(dhcp_build_opt(&b, 203, NULL, 0));
	assert_int_equal(b.dropped, 2);
	len = dhcp_build_finish(&b);
	assert_int_equal(len, 548);
	assert_int_equal(buf[547], DHCP_OPT_END);
	/* reservations hold room back for an option appended last */
	build_start(&b, buf, 548, &req);
	dhcp_build_reserve(&b, 100);
	assert_false(dhcp_build_opt(&b, 200, val, 255));
	dhcp_build_unreserve(&b, 100);
	assert_true(dhcp_build_opt(&b, 200, val, 255));
	/* 'file' takes 127 bytes and its NUL, not 128 */
	assert_true(dhcp_build_file(&b, (const char *)val, 127));
	assert_false(dhcp_build_file(&b, (const char *)val, 128));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_too_many_options),
		cmocka_unit_test(test_overload),
		cmocka_unit_test(test_concat_and_wants),
		cmocka_unit_test(test_build_header_and_pad),
		cmocka_unit_test(test_build_split_3396),
		cmocka_unit_test(test_build_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
