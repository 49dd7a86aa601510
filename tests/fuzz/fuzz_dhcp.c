/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the DHCP core. Input: byte 0 picks server or proxy
 * mode, byte 1 the destination port (67 or 4011, bit 0) and what the lease
 * store does (bit 1: it persists every lease event issued so far; bit 2:
 * this input's lease events are lost on the way to it), byte 2 moves the
 * clock; the rest is the UDP payload. The servers live for the whole run so
 * lease state and held ACKs accumulate across inputs, as in production.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_server.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct stp_config *make_cfg(enum cfg_dhcp_mode mode)
{
	struct stp_config *cfg = calloc(1, sizeof(*cfg));

	assert(cfg != NULL);
	cfg->port.addr = IP(10, 0, 0, 1);
	cfg->port.prefix_len = 24;
	cfg->dhcp.mode = mode;
	cfg->dhcp.lease_time = 600;
	cfg->dhcp.offer_hold = 30;
	strcpy(cfg->dhcp.domain, "fuzz.example");
	cfg->dhcp.n_pools = 2;
	cfg->dhcp.pools[0] = (struct cfg_pool){ .subnet = IP(10, 0, 0, 0), .prefix_len = 24,
		.first = IP(10, 0, 0, 100), .last = IP(10, 0, 0, 115),
		.router = IP(10, 0, 0, 1), .dns = { IP(10, 0, 0, 53) }, .n_dns = 1 };
	cfg->dhcp.pools[1] = (struct cfg_pool){ .subnet = IP(10, 1, 0, 0), .prefix_len = 24,
		.first = IP(10, 1, 0, 10), .last = IP(10, 1, 0, 13) };
	cfg->n_hosts = 1;
	cfg->hosts[0].mac = (struct mac_addr){ { 0x52, 0x54, 0, 0, 0, 0x50 } };
	cfg->hosts[0].ip = IP(10, 0, 0, 50);
	strcpy(cfg->hosts[0].name, "reserved");
	strcpy(cfg->boot.bios, "undionly.kpxe");
	strcpy(cfg->boot.uefi, "ipxe.efi");
	memset(cfg->boot.script, 's', 240); /* long URL: RFC 3396 splits */
	cfg->boot.http_port = 8080;
	return cfg;
}

/* The lease store and the glue's release loop, as @a ctl says. */
static void store(struct dhcp_server *s, const struct dhcp_events *ev, uint8_t ctl,
		  uint64_t *issued)
{
	uint8_t buf[DHCP_TX_MIN_CAP];
	struct dhcp_tx tx;

	for (unsigned i = 0; i < ev->n; i++) {
		if (ev->ev[i].seq == 0)
			continue;
		assert(ev->ev[i].seq > *issued);
		*issued = ev->ev[i].seq;
		if (ctl & 4)
			dhcp_server_event_lost(s, ev->ev[i].seq);
	}
	if (ctl & 2)
		dhcp_server_set_persisted(s, *issued);
	while (dhcp_server_release_ready(s)) {
		tx = (struct dhcp_tx){ .buf = buf, .cap = sizeof(buf) };
		assert(dhcp_server_release(s, &tx) == 1);
		assert(tx.len >= 300 && tx.len <= DHCP_TX_MIN_CAP - 28);
		assert(buf[0] == 2); /* BOOTREPLY */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dhcp_server *srv[2];
	static uint64_t now = 1700000000;
	static uint8_t buf[DHCP_TX_MIN_CAP];
	struct dhcp_event evbuf[4];
	struct dhcp_events ev = { evbuf, 4, 0 };
	struct dhcp_tx tx = { .buf = buf, .cap = sizeof(buf) };
	struct dhcp_rx rx = { 0 };
	static uint64_t issued[2];
	int mode, rc;

	if (srv[0] == NULL) {
		srv[0] = dhcp_server_create(make_cfg(CFG_DHCP_SERVER));
		srv[1] = dhcp_server_create(make_cfg(CFG_DHCP_PROXY));
		assert(srv[0] != NULL && srv[1] != NULL);
	}
	if (size < 3)
		return 0;
	mode = data[0] & 1;
	rx.dst_port = (data[1] & 1) ? DHCP_PXE_PORT : DHCP_SERVER_PORT;
	rx.src_port = DHCP_CLIENT_PORT;
	rx.src_ip = IP(10, 0, 0, 200);
	now += data[2];
	rx.payload = span_make(data + 3, size - 3);
	rc = dhcp_server_input(srv[mode], &rx, now, &tx, &ev);
	assert(rc == 0 || rc == 1);
	assert(rc == 0 ? tx.len == 0 : (tx.len >= 300 && tx.len <= tx.cap));
	assert(tx.len <= DHCP_TX_MIN_CAP - 28);
	assert(ev.n <= ev.cap);
	store(srv[mode], &ev, data[1], &issued[mode]);
	/* ProxyDHCP hands out no lease: nothing of it ever waits */
	assert(dhcp_server_unpersisted(srv[1]) == 0);
	return 0;
}
