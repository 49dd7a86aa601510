/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dhcp_server.h
 * DHCP (RFC 2131/2132) and ProxyDHCP (PXE 2.1) as a pure core: a UDP
 * payload in, at most one reply out, lease changes reported as events.
 * No DPDK, no clock reads, no I/O: the glue passes `now` (unix seconds),
 * builds Ethernet/IP/UDP around the reply and persists the events.
 *
 * Persisted before acknowledged (docs/design.md, "Leases: persisted
 * before acknowledged"): every lease event carries a sequence number, and
 * an ACK that binds a lease is not returned by dhcp_server_input() but
 * kept until the glue reports, with dhcp_server_set_persisted(), that the
 * lease store has committed that event; dhcp_server_release() then hands
 * it out. While too many lease events wait, DISCOVERs and then binding
 * REQUESTs go unanswered (the clients retry).
 *
 * One dhcp_server is owned by exactly one lcore; nothing in it is shared.
 */
#ifndef STP_DHCP_SERVER_H
#define STP_DHCP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ipv4_addr.h"
#include "span.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_PXE_PORT 4011
/** Smallest reply buffer the glue must supply. */
#define DHCP_TX_MIN_CAP 1500
/*
 * Lease events not yet persisted (sequence numbers issued above the
 * watermark) at which DISCOVERs go unanswered: at 20,000 leases/s that is
 * 100 ms of persistence lag, against a group commit that normally takes
 * a few milliseconds.
 */
#define DHCP_PERSIST_SOFT 2048
/* ... at which REQUESTs that would bind go unanswered too; also how many
 * ACKs can be held (one per unpersisted BOUND event at most). */
#define DHCP_PERSIST_HARD 4096

/* Counted outcomes of dhcp_server_input(): X(name, help). */
#define DHCP_COUNTERS(X)                                                  \
	X(rx, "DHCP packets in")                                          \
	X(tx, "replies built")                                            \
	X(discover, "DISCOVER")                                           \
	X(request, "REQUEST")                                             \
	X(release, "RELEASE")                                             \
	X(decline, "DECLINE")                                             \
	X(inform, "INFORM")                                               \
	X(offer, "OFFER sent")                                            \
	X(ack, "ACK built (a lease's ACK leaves once persisted)")                                                \
	X(nak, "NAK sent")                                                \
	X(ack_held, "ACKs held until their lease was persisted")           \
	X(ack_released, "held ACKs sent: their lease is persisted")       \
	X(ack_hold_lost, "held ACKs dropped: their lease event was lost") \
	X(offer_deferred_persist, "DISCOVER unanswered: leases wait to be persisted") \
	X(request_deferred_persist, "REQUEST unanswered: lease backlog at its limit") \
	X(proxy_offer, "ProxyDHCP OFFER sent")                            \
	X(proxy_ack, "ProxyDHCP ACK sent (port 4011)")                    \
	X(drop_truncated, "drop: shorter than the fixed header")          \
	X(drop_bad_op, "drop: op is not BOOTREQUEST")                     \
	X(drop_bad_htype, "drop: htype/hlen not Ethernet")                \
	X(drop_bad_magic, "drop: wrong magic cookie")                     \
	X(drop_bad_option, "drop: option runs past the end or bad length") \
	X(drop_no_end, "drop: options without END")                       \
	X(drop_no_type, "drop: no or bad message type (53)")              \
	X(drop_not_ours, "ignored: REQUEST for another server")         \
	X(drop_not_pxe, "ignored: proxy mode, not a PXE client")          \
	X(drop_no_pool, "drop: no pool for the client's subnet")          \
	X(drop_pool_full, "drop: pool exhausted")                         \
	X(drop_unexpected, "ignored: message not valid in this mode/port") \
	X(opt_dropped_size, "options left out: reply over max size")      \
	X(ev_dropped, "lease events lost: event queue full")

struct dhcp_counters {
#define X(name, help) uint64_t name;
	DHCP_COUNTERS(X)
#undef X
};

/** What the glue knows about a received DHCP datagram. */
struct dhcp_rx {
	struct span payload;       /* the UDP payload */
	struct mac_addr src_mac;   /* Ethernet source */
	uint32_t src_ip, dst_ip;   /* host order */
	uint16_t src_port, dst_port;
};

/** The reply; the glue supplies buf/cap, the core fills the rest. */
struct dhcp_tx {
	uint8_t *buf;              /* caller-owned, cap >= DHCP_TX_MIN_CAP */
	size_t cap;
	size_t len;                /* out: UDP payload length, 0 = no reply */
	struct mac_addr dst_mac;   /* out: ff:.. for broadcast */
	uint32_t dst_ip;           /* out: host order */
	uint16_t src_port, dst_port;
};

enum dhcp_client_kind {
	DHCP_CLIENT_PLAIN = 0,     /* no PXE, no iPXE */
	DHCP_CLIENT_PXE = 1,       /* firmware: option 60 "PXEClient..." */
	DHCP_CLIENT_IPXE = 2,      /* option 77 "iPXE" */
};

enum dhcp_event_type {
	DHCP_EV_BOUND = 1,         /* ACK sent: lease (re)bound until expires */
	DHCP_EV_RELEASED = 2,      /* RELEASE: address free, MAC remembered */
	DHCP_EV_DECLINED = 3,      /* DECLINE: address quarantined until expires */
	DHCP_EV_PXE_ANSWERED = 4,  /* a boot file or script URL was handed out */
	DHCP_EV_PROXY_LEASE = 5,   /* proxy mode: a PXE/iPXE client we serve took
				    * ip from the other DHCP server (its REQUEST);
				    * expires = 0, the lease is not ours */
};

/** Fixed-size: these cross an rte_ring to the control thread (and the
 * lease events to the lease writer). */
struct dhcp_event {
	uint8_t type;              /* enum dhcp_event_type */
	uint8_t client_kind;       /* enum dhcp_client_kind */
	uint16_t arch;             /* option 93, 0xffff = absent */
	struct mac_addr mac;
	uint32_t ip;
	uint64_t expires;          /* unix seconds */
	uint64_t seq;              /* lease events (BOUND, RELEASED, DECLINED):
				    * 1, 2, 3... in the order they happened, what
				    * dhcp_server_set_persisted() is given back;
				    * 0 for the others */
};

/** Caller-owned bounded queue the core appends to. */
struct dhcp_events {
	struct dhcp_event *ev;
	unsigned cap, n;
};

struct dhcp_server;

/**
 * Build the server for @a cfg (pools, reservations, boot files). Allocates
 * the lease tables once; call at start, never on the packet path.
 * @a cfg must outlive the server. Returns NULL on allocation failure.
 */
struct dhcp_server *dhcp_server_create(const struct stp_config *cfg);
void dhcp_server_destroy(struct dhcp_server *s);

/**
 * Put a persisted lease back before the workers start. An expired one
 * (@a expires <= @a now) is kept as a memory of the MAC's last address.
 * @return 0, or -EINVAL if @a ip is in no pool, -EEXIST if the address is
 * already held by another MAC.
 */
int dhcp_server_restore(struct dhcp_server *s, const struct mac_addr *mac,
			uint32_t ip, uint64_t expires, uint64_t now);

/**
 * Handle one datagram that arrived on UDP 67 or 4011.
 * @return 1 and a reply in @a tx, 0 for no reply now (ignored, dropped,
 * deferred, or an ACK held until its lease is persisted; counted either
 * way). Never reads outside rx->payload. A held ACK's BOUND event is in
 * @a ev with its sequence number: if the glue cannot pass it on to be
 * persisted, it must say so with dhcp_server_event_lost().
 */
int dhcp_server_input(struct dhcp_server *s, const struct dhcp_rx *rx,
		      uint64_t now, struct dhcp_tx *tx, struct dhcp_events *ev);

/**
 * The lease store has persisted every lease event up to sequence number
 * @a seq (its watermark; events lost on the way count as covered, see
 * dhcp_server_event_lost()). Only ever moves forward; call once per poll,
 * before the input of the poll.
 */
void dhcp_server_set_persisted(struct dhcp_server *s, uint64_t seq);

/**
 * Lease event @a seq never reached the store (its queue was full): the ACK
 * held for it, if any, is dropped instead of sent (counted ack_hold_lost).
 */
void dhcp_server_event_lost(struct dhcp_server *s, uint64_t seq);

/**
 * Is a held ACK ready to go (its lease persisted)? First drops held ACKs
 * whose event was lost, at most a bounded number per call (counted).
 * Held ACKs do not go stale: one is only ever waiting while its event is,
 * and however late it leaves, its lease is on disk by then (a client
 * still waiting with that xid takes it, one that moved on ignores it).
 */
bool dhcp_server_release_ready(struct dhcp_server *s);

/**
 * The oldest held ACK whose lease is persisted, into @a tx (buf and cap
 * as for dhcp_server_input(); the reply fits a buffer of the capacity it
 * was built for). @return 1 and the reply, 0 when none is ready.
 */
int dhcp_server_release(struct dhcp_server *s, struct dhcp_tx *tx);

/** Lease events issued and not yet persisted (a gauge). */
uint64_t dhcp_server_unpersisted(const struct dhcp_server *s);

const struct dhcp_counters *dhcp_server_counters(const struct dhcp_server *s);

/** Names and help of the counters, in DHCP_COUNTERS order (for printing). */
extern const char *const dhcp_counter_names[];
extern const char *const dhcp_counter_help[];
#define DHCP_N_COUNTERS (sizeof(struct dhcp_counters) / sizeof(uint64_t))

#endif
