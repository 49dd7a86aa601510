/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_script.h
 * Just enough of iPXE's script language to follow a boot server's chain
 * the way iPXE would: `chain` (with `||` fall-backs), `kernel`, `initrd`
 * (`imgfetch`, `module`), `boot`, `choose --default` with `goto` and
 * `:labels`, `sleep N` (a CHAIN after it is to be fetched N s later: a
 * host waiting for a job slot), and `sanboot`/`exit` as a local boot. Everything else
 * (`echo`, `menu`, `item`, `set`, `iseq` ...) is skipped. Streaming: the
 * body is fed in pieces as it arrives, one line of state at a time.
 * Variables ${net0/mac}, ${mac}, ${net0/ip}, ${ip}, ${platform},
 * ${buildarch} are expanded in the URLs.
 */
#ifndef STP_STORM_SCRIPT_H
#define STP_STORM_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipv4_addr.h"

#define STORM_URL_MAX 160
#define STORM_LINE_MAX 512

enum storm_script_outcome {
	STORM_SCRIPT_NONE = 0,     /* nothing decided (yet): no boot line */
	STORM_SCRIPT_CHAIN,        /* fetch url[0], then url[1] if it fails */
	STORM_SCRIPT_BOOT,         /* kernel (+ initrd) then boot */
	STORM_SCRIPT_LOCAL,        /* sanboot / exit: the host boots its disk */
	STORM_SCRIPT_BAD,          /* not an iPXE script, or a line too long */
};

/** Who is running the script (for the variables). */
struct storm_script_vars {
	struct mac_addr mac;
	uint32_t ip;
	bool uefi;
};

struct storm_script {
	char line[STORM_LINE_MAX];
	uint16_t len;
	bool started;              /* "#!ipxe" seen */
	bool done;                 /* an outcome ended the reading */
	char skip_to[32];          /* after a goto: skip to this label */
	uint8_t outcome;           /* enum storm_script_outcome */
	char url[2][STORM_URL_MAX];/* CHAIN: the URL and its fall-back */
	char kernel[STORM_URL_MAX];
	char initrd[STORM_URL_MAX];
	uint32_t job_id;           /* "stampede.job=N" on the kernel line, 0 none */
	uint32_t sleep_s;          /* the last "sleep N" before the outcome, 0 none */
};

void storm_script_init(struct storm_script *s);

/** Feed @a n more body bytes. */
void storm_script_feed(struct storm_script *s, const void *p, size_t n,
		       const struct storm_script_vars *v);

/** The body ended: the outcome (a last line without '\n' counts). */
enum storm_script_outcome storm_script_end(struct storm_script *s,
					   const struct storm_script_vars *v);

/**
 * Split an http:// URL into the server's address and port and the path
 * (from its '/'). @return true, false when it is not http://IPv4[:port]/...
 */
bool storm_url_split(const char *url, uint32_t *ip, uint16_t *port, const char **path);

#endif
