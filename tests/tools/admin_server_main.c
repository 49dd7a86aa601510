/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file admin_server_main.c
 * stampede-admin-test: the admin API alone, for testing stampedectl
 * without DPDK. Opens (or creates) a database, serves it on loopback and
 * prints "port N" once listening; runs until SIGTERM or SIGINT, ticking
 * the control core once a second as the control thread does (job slot
 * leases).
 *
 * usage: stampede-admin-test DATABASE [TOKEN [PORT [MAX_ACTIVE]]]
 *   TOKEN "" (default) refuses every change, as control.token does;
 *   MAX_ACTIVE is jobs.max_active (0, the default: no limit).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "admin_http.h"
#include "control.h"

int main(int argc, char **argv)
{
	struct control_params p = { 0 };
	struct admin_http *h = NULL;
	struct control *c = NULL;
	char err[512], dir[4096];
	sigset_t set;
	int rc;

	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: stampede-admin-test DATABASE [TOKEN [PORT [MAX_ACTIVE]]]\n");
		return 64;
	}
	/* Block the stop signals before any thread starts, so that every
	 * thread inherits the mask and sigwait() below receives them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* No template there: control_open() then uses its built-in menu. */
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	p.database = argv[1];
	p.config_dir = dir;
	p.server_addr = 0x0a4d0001; /* 10.77.0.1: only rendered into scripts */
	p.http_port = 80;
	p.boot_script = "boot.ipxe";
	p.token = argc > 2 ? argv[2] : "";
	p.max_active = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 0;
	if (control_open(&p, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "stampede-admin-test: %s\n", err);
		return 1;
	}
	rc = admin_http_start(c, 0x7f000001, argc > 3 ? (uint16_t)atoi(argv[3]) : 0, &h, err,
			      sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "stampede-admin-test: %s\n", err);
		control_close(c);
		return 1;
	}
	printf("port %u\n", admin_http_port(h));
	fflush(stdout);
	for (;;) {
		struct timespec one = { 1, 0 };
		struct timeval tv;

		if (sigtimedwait(&set, NULL, &one) > 0)
			break;
		gettimeofday(&tv, NULL);
		control_tick(c, (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
	}
	admin_http_stop(h);
	control_close(c);
	return 0;
}
