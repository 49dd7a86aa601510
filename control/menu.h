/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file menu.h
 * Per-host iPXE scripts from a tiny template language.
 *
 * Object names (published into the object cache by the glue):
 *  - boot.script (config, e.g. "boot.ipxe"): the chain script every iPXE
 *    client is handed by DHCP; it chains to the host's own script
 *    (menu_chain_script());
 *  - "boot/<mac>.ipxe": one per known host, <mac> lowercase and colon
 *    separated, exactly as iPXE prints ${net0/mac};
 *  - "boot/default.ipxe": the menu for a MAC control has not seen yet (the
 *    chain falls back to it); its MAC is iPXE's own ${net0/mac}.
 *
 * Template language.  Text is copied; tags are on one line:
 *  - {{var}}            the value of a variable;
 *  - {{#var}}..{{/var}} the body when var is true (a non-empty string or
 *                        a true flag); for the list "images", once per image;
 *  - {{^var}}..{{/var}} the body when var is false (or the list is empty).
 * A section tag alone on its line takes the whole line with it, so
 * templates keep one tag per line without leaving blank lines behind.
 * Variables: server ("addr" or "addr:port"), http_port, mac, hostname,
 * job (flag: a live job), job_id, job_type, image, kernel, initrd,
 * initrd_name (the initrd's base name, for "initrd=" on EFI), kernel_args,
 * bios, uefi, arch_known (flags from DHCP option 93; arch_bios is bios),
 * waiting (flag: the job waits for a job slot; job is true too), wait_s
 * (seconds a waiting host sleeps before it asks again), max_active (the
 * slot limit), images (list) and, only inside {{#images}}: image_name,
 * image_kernel, image_initrd, image_initrd_name, image_args. Anything else
 * is refused at load with FILE:LINE, as is an unclosed or mismatched
 * section.
 *
 * A template that never names "waiting" does not know job slots: a waiting
 * host gets menu_waiting_template rendered instead of it, so a custom
 * template written before job slots existed never boots a job past the
 * limit.
 */
#ifndef STP_MENU_H
#define STP_MENU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The template file looked for in the config directory. */
#define MENU_TEMPLATE_FILE "host.ipxe.tmpl"
#define MENU_DEFAULT_OBJECT "boot/default.ipxe"
#define MENU_ERR_MAX 256

struct menu_tmpl;

struct menu_image {
	const char *name, *kernel, *initrd, *args;
};

/** What one host's script is rendered from; strings are never NULL. */
struct menu_ctx {
	const char *server;       /* "10.0.0.1" or "10.0.0.1:8080" */
	unsigned http_port;
	const char *mac;
	const char *hostname;     /* "" = none */
	int64_t job_id;           /* 0 = no live job: the menu */
	const char *job_type, *image;
	const char *kernel, *initrd;  /* paths under boot.root */
	const char *kernel_args;  /* the extra arguments, "" = none */
	int arch;                 /* DHCP option 93: 0 BIOS, > 0 UEFI, -1 unknown */
	const struct menu_image *images;
	size_t n_images;
	bool waiting;             /* the job (job_id > 0) waits for a slot */
	unsigned wait_s;          /* its sleep before asking again: menu_wait_s() */
	unsigned max_active;      /* jobs.max_active, for the console message */
};

/* A waiting host sleeps this many seconds, spread by its MAC. */
#define MENU_WAIT_MIN_S 10
#define MENU_WAIT_MAX_S 30

/** The compiled-in template used when the config directory has none. */
extern const char menu_default_template[];
/** What a waiting host gets when the template has no "waiting" section. */
extern const char menu_waiting_template[];

/**
 * Compile template @a text (@a name is used in messages).
 * @return 0 and *@a out (free with menu_free()), or -EINVAL with
 *         "NAME:LINE: reason" in @a err, -ENOMEM.
 */
int menu_parse(const char *name, const char *text, size_t len, struct menu_tmpl **out,
	       char *err, size_t errlen);

/**
 * Load @a dir/MENU_TEMPLATE_FILE, or the default template when that file
 * does not exist. Errors as menu_parse(), plus -errno when the file
 * exists but cannot be read.
 */
int menu_load(const char *dir, struct menu_tmpl **out, char *err, size_t errlen);

void menu_free(struct menu_tmpl *t);

/**
 * Render @a t for @a ctx.
 * @param out  receives a malloc'd NUL-terminated script (caller frees)
 * @return its length, or -ENOMEM
 */
long menu_render(const struct menu_tmpl *t, const struct menu_ctx *ctx, char **out);

/**
 * The chain script for boot.script into @a buf.
 * @return its length, or -ENOSPC when @a size is too small
 */
int menu_chain_script(const char *server, char *buf, size_t size);

/**
 * The seconds a host waiting for a job slot sleeps between fetches of its
 * script: MENU_WAIT_MIN_S..MENU_WAIT_MAX_S, fixed per MAC (so its script
 * renders the same every time) and spread over MACs (so that hosts put to
 * wait together do not come back together).
 */
unsigned menu_wait_s(const char *mac);

/** "addr" for port 80, else "addr:port", into @a buf (>= 24 bytes). */
void menu_server(uint32_t addr, unsigned port, char *buf, size_t size);

#endif
