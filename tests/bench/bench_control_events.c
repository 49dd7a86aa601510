/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark of the control thread's event work in a boot storm: the
 * events the workers pass up for each booting host (firmware DHCP, TFTP
 * done, iPXE DHCP, the chain script, the host's script, kernel, initrd, and
 * OTHER further HTTP GETs of objects that are no boot stage) applied to the
 * control core on a fresh SQLite database, as the control thread applies
 * them: in drained batches of 256.
 *   each   one transaction per event and a script check after each event
 *          (how the control thread worked before batching)
 *   batch  control_batch_begin()/end() around each batch: one transaction
 *          per batch, one script check per batch
 * Prints ns per event. Not a test; run it by hand:
 *   bench_control_events [hosts] [other_gets_per_host] [each|batch]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

#define BATCH 256

enum ev_kind { EV_DHCP_FW, EV_TFTP, EV_DHCP_IPXE, EV_HTTP };

struct ev {
	enum ev_kind kind;
	struct mac_addr mac;
	uint32_t ip;
	char name[48];
};

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void ev_add(struct ev *v, size_t *n, enum ev_kind kind, const struct mac_addr *m,
		   uint32_t ip, const char *name)
{
	v[*n].kind = kind;
	v[*n].mac = *m;
	v[*n].ip = ip;
	snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
	(*n)++;
}

/* One boot per host, the hosts interleaved stage by stage as in a storm. */
static size_t make_events(struct ev *v, unsigned hosts, unsigned other)
{
	size_t n = 0;

	for (unsigned stage = 0; stage < 7 + other; stage++) {
		for (unsigned h = 0; h < hosts; h++) {
			struct mac_addr m = { { 0x52, 0x54, 0, (uint8_t)(h >> 16), (uint8_t)(h >> 8),
						(uint8_t)h } };
			uint32_t ip = 0x0a000100u + h;
			char name[48];

			switch (stage) {
			case 0: ev_add(v, &n, EV_DHCP_FW, &m, ip, ""); break;
			case 1: ev_add(v, &n, EV_TFTP, &m, ip, "ipxe.efi"); break;
			case 2: ev_add(v, &n, EV_DHCP_IPXE, &m, ip, ""); break;
			case 3: ev_add(v, &n, EV_HTTP, &m, ip, "boot.ipxe"); break;
			case 4:
				snprintf(name, sizeof(name), "boot/52:54:00:%02x:%02x:%02x.ipxe",
					 (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
				ev_add(v, &n, EV_HTTP, &m, ip, name);
				break;
			case 5: ev_add(v, &n, EV_HTTP, &m, ip, "bzImage"); break;
			case 6: ev_add(v, &n, EV_HTTP, &m, ip, "init.xz"); break;
			default:
				snprintf(name, sizeof(name), "assets/part%u.bin", stage - 7);
				ev_add(v, &n, EV_HTTP, &m, ip, name);
				break;
			}
		}
	}
	return n;
}

static void apply(struct control *c, const struct ev *e, int64_t now)
{
	switch (e->kind) {
	case EV_DHCP_FW:
		control_on_dhcp_lease(c, &e->mac, e->ip, CONTROL_CLIENT_FIRMWARE, 7, now);
		break;
	case EV_DHCP_IPXE:
		control_on_dhcp_lease(c, &e->mac, e->ip, CONTROL_CLIENT_IPXE, 7, now);
		break;
	case EV_TFTP:
		control_on_tftp_done(c, &e->mac, e->ip, e->name, now);
		break;
	case EV_HTTP:
		control_on_http_fetch(c, e->ip, e->name, now);
		break;
	}
}

static void take_updates(struct control *c)
{
	struct control_publish pub = { 0 };

	control_take_updates(c, &pub);
	control_publish_free(&pub);
}

static void run(struct control *c, const struct ev *v, size_t n, int batch)
{
	int64_t now = 1700000000000;

	for (size_t i = 0; i < n; i += BATCH) {
		size_t end = i + BATCH < n ? i + BATCH : n;
		int in_batch = batch && control_batch_begin(c) == 0;

		for (size_t j = i; j < end; j++) {
			apply(c, &v[j], now + (int64_t)j);
			if (!batch)
				take_updates(c);
		}
		if (in_batch)
			control_batch_end(c);
		if (batch)
			take_updates(c);
	}
}

int main(int argc, char **argv)
{
	unsigned hosts = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 500;
	unsigned other = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 8;
	int batch = argc > 3 ? strcmp(argv[3], "each") != 0 : 1;
	char dir[] = "/tmp/stp-bench-ctl-XXXXXX", db[64], err[256], cmd[96];
	struct control_params p = { 0 };
	struct control *c;
	struct ev *v;
	size_t n;
	uint64_t t0, t1;

	if (hosts == 0 || hosts > 65535 || other > 64 || mkdtemp(dir) == NULL)
		return 2;
	snprintf(db, sizeof(db), "%s/s.db", dir);
	p.database = db;
	p.config_dir = dir;
	p.server_addr = 0x0a000001;
	p.http_port = 80;
	p.token = "t";
	if (control_open(&p, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "control_open: %s\n", err);
		return 1;
	}
	v = calloc((size_t)hosts * (7 + other), sizeof(*v));
	if (v == NULL)
		return 1;
	n = make_events(v, hosts, other);
	take_updates(c); /* the first render of the chain and default scripts */
	t0 = ns_now();
	run(c, v, n, batch);
	t1 = ns_now();
	printf("%s: %u hosts, %zu events (%u boot-stage + %u other GETs per host):"
	       " %.1f us per event, %.0f events/s\n", batch ? "batch" : "each", hosts, n, 6u,
	       other + 1, (double)(t1 - t0) / 1e3 / (double)n,
	       (double)n * 1e9 / (double)(t1 - t0));
	control_close(c);
	free(v);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
