/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file control.h
 * The control plane as the glue sees it. The control thread (main lcore)
 *  1. control_open() at start, after config_load();
 *  2. control_set_counters(), control_set_metrics(): where GET
 *     /api/v1/status, /api/v1/counters and /metrics get the runtime's
 *     counters;
 *  3. drains the workers' event ring and, between control_batch_begin()
 *     and control_batch_end() (one transaction per drained batch), calls
 *     control_on_dhcp_lease(), control_on_tftp_done(),
 *     control_on_http_fetch() per event; api_handle() (api.h) for each
 *     upcall request;
 *  4. after each drained batch calls control_take_updates() and, when it
 *     returned objects, builds a new cache version with objcache_derive()
 *     (add/replace objs, remove removed) and publishes it; then
 *     control_publish_free();
 *  5. calls control_tick() every round (it does its work once a second);
 *  6. control_close() at exit.
 * The admin HTTP thread (admin_http.h) calls api_handle() concurrently;
 * every function here takes the one control mutex (a batch holds it from
 * begin to end), so all are thread-safe. None blocks on the network; each
 * does a few SQLite statements, prepared once and kept, in one transaction
 * (WAL, synchronous=NORMAL: no fsync on commit).
 *
 * Times are unix milliseconds passed by the caller (read once per batch).
 * Errors are negative errno values.
 */
#ifndef STP_CONTROL_H
#define STP_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipv4_addr.h"
#include "object.h"

struct control;

struct control_params {
	const char *database;      /* control.database */
	const char *config_dir;    /* where MENU_TEMPLATE_FILE may be */
	uint32_t server_addr;      /* port.address, host order */
	unsigned http_port;        /* boot.http_port */
	const char *boot_script;   /* boot.script: the chain object's name */
	const char *token;         /* control.token, "" = admin changes refused */
	const char *default_kernel; /* imaging OS when no image says; NULL = "bzImage" */
	const char *default_initrd; /* NULL = "init.xz" */
	int64_t events_max;        /* boot event log bound; 0 = 100000 */
	/* GET /metrics needs the bearer token too (control.metrics_public:
	 * false). false: anyone who reaches the admin port may scrape. */
	bool metrics_token;
	/* Job slots (jobs.h): at most this many jobs boot or run at once
	 * (jobs.max_active), 0 = no limit; the lease of a slot, in seconds,
	 * from the grant to the script fetch and from there to the check-in
	 * (jobs.slot_timeout_s), 0 = 600. */
	uint32_t max_active;
	uint32_t slot_timeout_s;
};

/**
 * Open the database (migrating it) and load the template.
 * @return 0 and *@a out, or a negative errno with one line in @a err
 *         (a template error reads "FILE:LINE: reason").
 */
int control_open(const struct control_params *p, struct control **out, char *err,
		 size_t errlen);
void control_close(struct control *c);

enum control_client {
	CONTROL_CLIENT_FIRMWARE, /* PXE ROM / EDK2: option 60 PXEClient, no 77 */
	CONTROL_CLIENT_IPXE,     /* option 77 "iPXE" */
	CONTROL_CLIENT_OTHER,    /* the imaging OS or anything else */
};

/**
 * A lease was bound (ACK sent), or in proxy mode a PXE/iPXE client took
 * @a ip from the other DHCP server. Records unknown MACs as discovered hosts,
 * learns @a arch (option 93, -1 = none) and @a ip, stamps the firmware or
 * iPXE DHCP stage of the host's boot.
 */
int control_on_dhcp_lease(struct control *c, const struct mac_addr *mac, uint32_t ip,
			  enum control_client kind, int arch, int64_t now_ms);

/** A TFTP transfer of @a file completed. @a mac may be NULL (then found
 * by @a ip). -ENOENT when no host matches (the event is still logged). */
int control_on_tftp_done(struct control *c, const struct mac_addr *mac, uint32_t ip,
			 const char *file, int64_t now_ms);

/** control_on_http_fetch(): the object is no boot stage, nothing was done. */
#define CONTROL_NOT_A_STAGE 1

/**
 * An HTTP object was served completely to @a ip: the host's script
 * (moves a queued job to booting), a kernel or an initrd (matched against
 * the images and the default imaging OS, held in memory: no SQL for any
 * other object). @a path is the object name without the leading '/'.
 * @return 0; CONTROL_NOT_A_STAGE for any other object (not stored: the
 *         caller counts it); -ENOENT when no host matches (logged)
 */
int control_on_http_fetch(struct control *c, uint32_t ip, const char *path, int64_t now_ms);

/**
 * Apply the events of one drained batch in one transaction. Until
 * control_batch_end() this thread holds the control mutex (the admin
 * thread waits at most one batch) and each control_on_*() it calls runs
 * in a savepoint of the batch's transaction: a failed event undoes its
 * own writes only. Call control_take_updates() after control_batch_end().
 * @return 0; or a negative errno with nothing held (apply the events
 *         without a batch: each then has its own transaction)
 */
int control_batch_begin(struct control *c);
/** Commit the batch and release the mutex. @return 0, or a negative errno
 * (the whole batch was rolled back). */
int control_batch_end(struct control *c);

/** One script object to (re)publish; data is malloc'd. */
struct control_object {
	char name[OBJ_NAME_MAX];
	char *data;
	size_t len;
};

/** What changed since the last call. */
struct control_publish {
	struct control_object *objs;
	size_t n;
	char (*removed)[OBJ_NAME_MAX];  /* names to drop from the cache */
	size_t n_removed;
};

/**
 * Render the scripts that changed since the last call (every script,
 * the chain script and the default menu on the first call and after a
 * template reload). Ownership of @a out's arrays passes to the caller.
 * @return the number of objects plus removals (0: nothing to publish)
 */
int control_take_updates(struct control *c, struct control_publish *out);
void control_publish_free(struct control_publish *p);

/**
 * Time-driven work, called by the control thread every round with the
 * wall clock; it does something at most once a second: job slot leases
 * that ran out go back to the queue, and free slots go to waiting jobs
 * (jobs.h, "job slots"). Changed scripts are picked up by the next
 * control_take_updates(). Only one thread may call it.
 * @return the number of leases that ran out, or a negative errno
 */
int control_tick(struct control *c, int64_t now_ms);

/**
 * Reload the template from the config directory. On error the old
 * template stays and err holds "FILE:LINE: reason".
 */
int control_reload_template(struct control *c, char *err, size_t errlen);

typedef void (*control_name_fn)(void *ctx, const char *name);

/**
 * Call @a fn with the name of every file a boot fetches as a stage: the
 * default kernel and initrd and each image's (names may repeat; a script
 * is recognised by its ".ipxe" name). @return 0 or a negative errno.
 */
int control_boot_stage_files(struct control *c, control_name_fn fn, void *ctx);

struct json_t;

/**
 * Adds the runtime's counters to @a out, a JSON object: called by
 * GET /api/v1/status and /api/v1/counters, from whichever thread handles
 * the request, with the control mutex held. It must only read.
 */
typedef void (*control_counters_fn)(void *ctx, struct json_t *out);

/** Where the API gets the counters from (NULL: it shows none). */
void control_set_counters(struct control *c, control_counters_fn fn, void *ctx);

struct prom_out;

/**
 * Writes the runtime's metric families (the counter registry) to @a out:
 * called by GET /metrics on the admin thread with the control mutex held,
 * before the control core adds its own (hosts, jobs, boot-stage
 * latencies; api_metrics.c). It must only read, and must not use those
 * families' names.
 */
typedef void (*control_metrics_fn)(void *ctx, struct prom_out *out);

/** Where GET /metrics gets the runtime's families from (NULL: none). */
void control_set_metrics(struct control *c, control_metrics_fn fn, void *ctx);

#endif
