/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file store.h
 * The control plane's persistent state in SQLite (schema.c): hosts,
 * groups, images; jobs live in jobs.h, boots and boot events in
 * store_boots.c. Only one thread at a time may use a store (control.c
 * serialises the control thread and the admin HTTP thread with a mutex).
 *
 * Every mutation runs in a transaction: a caller groups several calls
 * between store_begin() and store_commit(); store_rollback() undoes all of
 * them, so a request that fails half-way leaves nothing written. Errors
 * are negative errno values with a one-line reason in store_error():
 * -EINVAL bad value (400), -ENOENT no such row (404), -EEXIST conflict
 * (409), -EIO the database failed (500).
 *
 * Times are unix milliseconds, passed in by the caller.
 */
#ifndef STP_STORE_H
#define STP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "ipv4_addr.h"

#define STORE_NAME_MAX 64     /* host, group and image names */
#define STORE_PATH_MAX 256    /* kernel/initrd paths under boot.root */
#define STORE_ARGS_MAX 512    /* extra kernel arguments */
#define STORE_MSG_MAX 256     /* job messages */
#define STORE_ERR_MAX 256

struct store;

/** A machine: registered (name set) or only seen booting (discovered). */
struct host {
	char mac[STP_MAC_STRLEN];          /* lowercase aa:bb:cc:dd:ee:ff */
	char name[STORE_NAME_MAX + 1];     /* "" = none (discovered) */
	char group[STORE_NAME_MAX + 1];    /* "" = none */
	char image[STORE_NAME_MAX + 1];    /* "" = none */
	char kernel_args[STORE_ARGS_MAX + 1];
	int arch;                          /* DHCP option 93, -1 unknown */
	char last_ip[STP_IPV4_STRLEN];     /* "" = never seen */
	bool discovered;
	int64_t created, updated;
};

struct group {
	char name[STORE_NAME_MAX + 1];
	char kernel_args[STORE_ARGS_MAX + 1];
};

/** An image and the imaging OS that handles it (paths under boot.root). */
struct image {
	char name[STORE_NAME_MAX + 1];
	char kernel[STORE_PATH_MAX + 1];
	char initrd[STORE_PATH_MAX + 1];
	char kernel_args[STORE_ARGS_MAX + 1];
};

/**
 * Open and migrate the database at @a path (":memory:" works for tests).
 * @return 0 and *@a out, or -1 with "PATH: reason" in @a err.
 */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
/** Close; an open transaction is rolled back. NULL is ignored. */
void store_close(struct store *s);
/** The raw handle, for the modules built on the store (jobs, boots). */
sqlite3 *store_db(struct store *s);
/** The reason of the last failure. */
const char *store_error(const struct store *s);
/** Record a reason (printf style) and return @a rc, for one-line error paths. */
int store_fail(struct store *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** The SQLite error as -EIO (or -EEXIST for a constraint) with its message. */
int store_sqlerr(struct store *s);

int store_begin(struct store *s);
/** SAVEPOINT @a name (a nestable transaction), its release and its undo
 * (rolls back to it and releases it). */
int store_savepoint(struct store *s, const char *name);
int store_savepoint_release(struct store *s, const char *name);
void store_savepoint_undo(struct store *s, const char *name);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Validators shared by the API and the CSV import: 0 or -EINVAL with a
 * reason naming @a what and the value. */
int store_check_name(struct store *s, const char *what, const char *v);
int store_check_path(struct store *s, const char *what, const char *v);
int store_check_args(struct store *s, const char *what, const char *v);
/** Parse any MAC spelling into the canonical lowercase form. */
int store_norm_mac(struct store *s, const char *in, char out[STP_MAC_STRLEN]);

/* ---- hosts ---- */

/** The host with MAC or name @a key. 0, -ENOENT. */
int store_host_get(struct store *s, const char *key, struct host *out);
/** Insert a registered host (name required). -EEXIST on a taken MAC or
 * name, -ENOENT on an unknown group or image. A discovered host with the
 * same MAC is turned into a registered one. */
int store_host_add(struct store *s, const struct host *h, int64_t now);
/** Replace name, group, image and kernel args of the host with MAC h->mac. */
int store_host_update(struct store *s, const struct host *h, int64_t now);
/** Delete the host with MAC @a mac. -ENOENT. */
int store_host_delete(struct store *s, const char *mac);
/** How many hosts are registered and how many only discovered. 0 or an error. */
int store_host_counts(struct store *s, int64_t *registered, int64_t *discovered);
/** Record a DHCP sighting: create a discovered host for an unknown MAC,
 * else update arch (when @a arch >= 0) and address. */
int store_host_seen(struct store *s, const char *mac, const char *ip, int arch, int64_t now);
/** The MAC of the host last seen at @a ip. 0, -ENOENT. */
int store_host_by_ip(struct store *s, const char *ip, char mac[STP_MAC_STRLEN]);
/** Store the inventory JSON text of a host. */
int store_host_set_inventory(struct store *s, const char *mac, const char *json, int64_t now);
/** The inventory JSON text of host @a mac ("{}" until it registers) in
 * *@a json, malloc'd: the caller frees it. 0, -ENOENT, -ENOMEM, -EIO. */
int store_host_inventory(struct store *s, const char *mac, char **json);
/** Call @a fn for every host (by MAC), or those of @a group when not NULL.
 * @return the number of hosts, or a negative errno; @a fn returning
 * non-zero stops the walk with that value. */
int store_host_each(struct store *s, const char *group,
		    int (*fn)(void *ctx, const struct host *h), void *ctx);

/**
 * Import CSV lines "mac,name[,group[,image]]" (a first line starting with
 * "mac" is a header; blank lines and '#' comments are skipped). All or
 * nothing: on the first bad line returns -EINVAL/-EEXIST/-ENOENT with
 * "line N: reason", and nothing is imported (a savepoint: works inside or
 * outside a caller's transaction).
 * @return the number of hosts imported.
 */
int store_host_import_csv(struct store *s, const char *csv, size_t len, int64_t now);

/* ---- groups, images ---- */

int store_group_add(struct store *s, const struct group *g, int64_t now);
int store_group_get(struct store *s, const char *name, struct group *out);
int store_group_delete(struct store *s, const char *name);
int store_group_each(struct store *s, int (*fn)(void *ctx, const struct group *g), void *ctx);

int store_image_add(struct store *s, const struct image *im, int64_t now);
int store_image_get(struct store *s, const char *name, struct image *out);
int store_image_delete(struct store *s, const char *name);
int store_image_each(struct store *s, int (*fn)(void *ctx, const struct image *im), void *ctx);

/* ---- boots and the boot event log (store_boots.c) ---- */

/* Boot stages in the order a PXE boot passes them. */
#define STORE_STAGES(X) \
	X(FW_DHCP, "fw_dhcp") X(FW_TFTP, "fw_tftp") X(IPXE_DHCP, "ipxe_dhcp") \
	X(SCRIPT, "script") X(KERNEL, "kernel") X(INITRD, "initrd") \
	X(CHECKIN, "checkin") X(PROGRESS, "progress") X(DONE, "done")
#define STORE_STAGE_ENUM(e, s) STAGE_##e,
enum boot_stage { STORE_STAGES(STORE_STAGE_ENUM) STAGE_N };

/** The column name of @a st ("fw_dhcp" ...), NULL when out of range. */
const char *store_stage_name(enum boot_stage st);
/** The stage named @a name, or -1. */
int store_stage_from_name(const char *name);

/** One boot of one host: when each stage was first reached (0 = not yet). */
struct boot {
	int64_t id;
	char mac[STP_MAC_STRLEN];
	int64_t job_id;
	int64_t started;
	int64_t at[STAGE_N];
};

/**
 * Record that @a mac reached @a st at @a now. A DHCP stage that the
 * latest boot already passed starts a new boot, as does any stage when the
 * host has no boot yet; other stages fill the latest boot's first
 * timestamp (PROGRESS and DONE are kept as the latest).
 */
int store_boot_stage(struct store *s, const char *mac, enum boot_stage st,
		     int64_t job_id, int64_t now);
/**
 * What store_boot_stage() tells its hook when a boot reaches stage @a st
 * for the first time: @a since_prev_ms after the stage before it in
 * STORE_STAGES order that the boot reached (-1: none, the boot starts
 * here), @a since_start_ms after the boot's first stage. Called after the
 * write succeeded, inside the caller's transaction: a later rollback of
 * that transaction does not take it back.
 */
typedef void (*store_stage_fn)(void *ctx, enum boot_stage st, int64_t since_prev_ms,
			       int64_t since_start_ms);

/** Where store_boot_stage() reports first-reached stages (NULL: nowhere). */
void store_set_stage_hook(struct store *s, store_stage_fn fn, void *ctx);

/** The latest boot of @a mac. 0, -ENOENT. */
int store_boot_latest(struct store *s, const char *mac, struct boot *out);
/** Call @a fn for the latest boot of every host that booted. */
int store_boot_each_latest(struct store *s, int (*fn)(void *ctx, const struct boot *b),
			   void *ctx);

/** Keep at most this many boot events; the oldest go in the same transaction. */
#define STORE_EVENTS_MAX_DEFAULT 100000
void store_set_events_max(struct store *s, int64_t max);
/** Append one boot event (bounded log). */
int store_event_add(struct store *s, int64_t now, const char *mac, const char *ip,
		    const char *kind, const char *detail);
/** The number of stored events. */
int64_t store_event_count(struct store *s);

#endif
