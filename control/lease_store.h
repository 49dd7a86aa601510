/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file lease_store.h
 * Persistent DHCP leases in the SQLite database (control.database).
 * Written only by the lease writer thread (dataplane/lease_writer.h), one
 * transaction per batch; read once at start, before the
 * workers run, so a restarted server never hands a leased address to
 * another MAC. WAL mode: a process killed with -9 loses nothing committed.
 */
#ifndef STP_LEASE_STORE_H
#define STP_LEASE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ipv4_addr.h"

struct lease_store;

enum lease_state { LEASE_BOUND = 1, LEASE_RELEASED = 2, LEASE_DECLINED = 3 };

struct lease_row {
	struct mac_addr mac;
	uint32_t ip;
	uint64_t expires;       /* unix seconds */
	enum lease_state state;
};

/**
 * Open (creating the file, its parent directory and the schema when
 * needed) and migrate the database at @a path.
 * @return the store, or NULL with a one-line reason in @a err.
 */
struct lease_store *lease_store_open(const char *path, char *err, size_t errlen);
void lease_store_close(struct lease_store *ls);

/**
 * Call @a fn for every stored lease, in no particular order.
 * @return the number of rows, or -1 with @a err filled.
 */
int lease_store_load(struct lease_store *ls,
		     int (*fn)(void *ctx, const struct lease_row *row), void *ctx,
		     char *err, size_t errlen);

/**
 * Group the following writes into one transaction (a drained batch).
 * A failed commit is rolled back; so is a transaction given up with
 * lease_store_rollback() (a write in it failed): either way none of its
 * writes happened and the connection can begin the next one.
 */
int lease_store_begin(struct lease_store *ls);
int lease_store_commit(struct lease_store *ls);
void lease_store_rollback(struct lease_store *ls);

/**
 * Record @a row. An address moves to its new MAC: any other MAC's row for
 * the same address is removed in the same statement group.
 * @return 0, or -1 (the reason is kept for lease_store_error()).
 */
int lease_store_put(struct lease_store *ls, const struct lease_row *row);

/** The last SQLite error message. */
const char *lease_store_error(const struct lease_store *ls);

#endif
