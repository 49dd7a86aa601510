/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file control_bridge.h
 * The control core (control/: hosts, jobs, menus, API) inside the running
 * server: worker events become boot stages, /api/ upcalls go to its API
 * handlers, and the scripts it renders are published as cache objects on
 * top of the files of boot.root. Control thread only.
 */
#ifndef STP_CONTROL_BRIDGE_H
#define STP_CONTROL_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "cache_glue.h"
#include "config.h"
#include "admin_http.h"
#include "control.h"
#include "events.h"
#include "upcall.h"

struct control_bridge {
	struct control *ctl;
	struct admin_http *admin;        /* the admin API on a kernel socket, or NULL */
	struct cache_glue *cache;
	struct objcache *files;          /* boot.root alone: the base scripts go on */
	struct control_object *scripts;  /* every rendered script, owned copies */
	size_t n_scripts, cap_scripts;
	bool dirty;                      /* scripts changed since the last publish */
	uint64_t last_publish_ms;
	uint64_t publishes, publish_errors, api_calls;
};

/**
 * Open the control core on cfg->control.database and publish its first
 * scripts. @return 0, or -1 with one line in @a err.
 */
int control_bridge_open(struct control_bridge *b, const struct stp_config *cfg,
			struct cache_glue *cache, char *err, size_t errlen);
void control_bridge_close(struct control_bridge *b);

/** One worker event (lease, firmware file sent, object fetched). */
void control_bridge_event(struct control_bridge *b, const struct stp_event *e);

/** Answer an /api/ upcall other than /api/v1/status. */
void control_bridge_api(struct control_bridge *b, struct upcall_msg *m);

/** Answer @a m with a 500: the real answer does not fit an upcall message. */
void control_bridge_answer_too_big(struct upcall_msg *m);

/** Publish scripts that changed (at most every 100 ms). */
void control_bridge_publish(struct control_bridge *b, uint64_t now_ms);

/** SIGHUP: reload boot.root and put the scripts back on it. */
int control_bridge_reload(struct control_bridge *b, char *err, size_t errlen);

#endif
