/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tftp_server.h
 * The per-lcore TFTP server core: a fixed table of read sessions, request
 * handling on port 69 (RFC 1350 sec 4), one server port (TID) per session
 * from a range the glue assigns to this lcore, and a timer heap that says
 * when the next session needs attention. Pure C: datagrams and the clock
 * come in as arguments, actions go out into a caller-owned queue, objects
 * are found through a callback. Everything is allocated by
 * tftp_server_create(); nothing afterwards.
 *
 * One tftp_server is owned by exactly one lcore; nothing in it is shared.
 */
#ifndef STP_TFTP_SERVER_H
#define STP_TFTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "object.h"
#include "span.h"
#include "tftp_counters.h"
#include "tftp_parse.h"
#include "tftp_sess.h"

/** Marks "no session" in tftp_act.sess and in lookups. */
#define TFTP_NO_SESS UINT32_MAX
/** Largest object served in netascii mode unless configured: 1 MiB. */
#define TFTP_NETASCII_MAX_DEFAULT (1u << 20)

/**
 * Find the object a client asked for. @a name is normalised: no leading
 * '/', no '..' component, no backslash or control byte, shorter than
 * OBJ_NAME_MAX, not NUL-terminated (a span into the request packet).
 * The returned object must stay valid while a session uses it (the glue's
 * RCU read side). NULL: not found (answered with error 1).
 */
typedef const struct stp_object *(*tftp_lookup_fn)(void *ctx, struct span name);

struct tftp_server_cfg {
	uint32_t capacity;         /* sessions at most (config); past it an RRQ gets no answer */
	uint16_t listen_port;      /* TFTP_PORT */
	/* Our TIDs: port_base + i * port_stride, i < port_count. To keep a
	 * session on the lcore that owns it, the glue gives lcore L of N
	 * base = first + L and stride = N (or any map its RSS/flow rules
	 * send back to L). port_count >= capacity avoids "no free port". */
	uint16_t port_base;
	uint16_t port_stride;
	uint32_t port_count;
	struct tftp_limits lim;    /* max_blksize = port MTU - 32, max_window from config */
	struct tftp_timing timing; /* TFTP_TIMING_DEFAULT unless configured */
	uint32_t timer_budget;     /* sessions per tftp_server_timers() call; 0 = 64 */
	/* netascii sizes the converted object with one pass at session start;
	 * a flood of netascii RRQs for a 30 MB initrd would make that a CPU
	 * sink, and netascii is for small text files anyway. Larger objects
	 * are refused in netascii mode (error 0). 0 = TFTP_NETASCII_MAX_DEFAULT. */
	uint64_t netascii_max_len;
	uint32_t hash_seed;        /* random per start: flooders cannot aim at one chain */
	tftp_lookup_fn lookup;
	void *lookup_ctx;
	/* Optional: is @a tid a TID the client's frames to it reach us with
	 * (the NIC's RSS queue of the flow is ours)? Free ports are tried in
	 * turn, up to TFTP_TID_TRIES, then any is taken (the glue steers). */
	bool (*tid_ok)(void *ctx, uint32_t peer_ip, uint16_t peer_port, uint16_t tid);
	void *tid_ctx;
};

#define TFTP_TID_TRIES 32

/** A datagram the glue classified as ours (dst_port is listen_port or one of our TIDs). */
struct tftp_rx {
	struct span payload;       /* UDP payload */
	uint32_t src_ip;           /* host order */
	uint16_t src_port, dst_port;
};

struct tftp_server;

/**
 * Validate @a cfg and allocate every table (sessions, free lists, hash,
 * port map, timer heap). Call at start, never on the packet path.
 * @return the server, or NULL on a bad config (errno EINVAL) or no
 * memory (ENOMEM).
 */
struct tftp_server *tftp_server_create(const struct tftp_server_cfg *cfg);
void tftp_server_destroy(struct tftp_server *srv);

/**
 * Handle one datagram. On listen_port: RRQ starts a session (OACK or
 * first window queued), WRQ gets error 2, a malformed request error 4,
 * an unusable option error 8, an unsafe name error 2, an unknown one
 * error 1; past the table's capacity (or its ports) an RRQ gets no answer
 * at all, so the client retries rather than give up; an RRQ from a client port
 * that already has a live session is a retransmission and ignored (our
 * own timer resends), unless that session is waiting for its final ACK,
 * which it then no longer needs. On a TID port: the matching session's
 * input, or error 5 to a sender that is not the session's client
 * (RFC 1350 sec 4), the session untouched. ERRORs are never answered.
 * @return 0, or -ENOBUFS if @a out has fewer than TFTP_OUT_RESERVE free
 * entries (nothing done, counted).
 */
int tftp_server_input(struct tftp_server *srv, const struct tftp_rx *rx, uint64_t now_us,
		      struct tftp_out *out);

/**
 * Run due session timers in deadline order: retransmissions, queueing of
 * windows that did not fit in an earlier call, retry and idle limits.
 * Stops after cfg.timer_budget sessions or when @a out has fewer than
 * TFTP_OUT_RESERVE free entries; call again while
 * tftp_server_deadline() <= now.
 * @return sessions handled.
 */
int tftp_server_timers(struct tftp_server *srv, uint64_t now_us, struct tftp_out *out);

/** Earliest deadline over all sessions; UINT64_MAX when idle. */
uint64_t tftp_server_deadline(const struct tftp_server *srv);

/** True if @a port is listen_port or one of this server's TIDs. */
bool tftp_server_owns_port(const struct tftp_server *srv, uint16_t port);

/** Sessions in use. */
uint32_t tftp_server_active(const struct tftp_server *srv);

/** Session @a idx (as in tftp_act.sess), or NULL if out of range. Read only. */
const struct tftp_sess *tftp_server_sess(const struct tftp_server *srv, uint32_t idx);

const struct tftp_counters *tftp_server_counters(const struct tftp_server *srv);

#endif
