/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file storm_dhcp.h
 * One virtual client's DHCP exchange (RFC 2131 sec 3.1 and 4.4: DISCOVER,
 * OFFER, REQUEST, ACK), sending what a given kind of real client sends
 * (docs/design.md, "What real firmware does on the wire"): a BIOS PXE ROM,
 * EDK2's PXE, iPXE, or the imaging OS's plain Linux client. Plain C over
 * byte buffers like every core (docs/style.md rules 1-4): frames in as
 * parsed struct pkt_info, frames out into the caller's struct storm_tx,
 * the clock as an argument, the next deadline out. Nothing is allocated;
 * a zero-filled struct sdhcp is IDLE.
 *
 * Retransmission follows the PXE specification's schedule (PXE 2.1 sec
 * 2.2.1: 4, 8, 16, 32 s) through struct sdhcp_timing, so tests and the
 * storm can shrink it. A DHCPNAK restarts from DISCOVER (RFC 2131 sec
 * 4.4.1); too many NAKs, no OFFER or no ACK after the last try end the
 * exchange FAILED with a named cause.
 */
#ifndef STP_STORM_DHCP_H
#define STP_STORM_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "storm_wire.h"

/** What the client sends, as captured from real clients. */
enum sdhcp_kind {
	SDHCP_PXE_BIOS = 0, /* PXE 2.1 ROM: 93 = 0, UNDI 2.1, no broadcast flag */
	SDHCP_PXE_UEFI,     /* EDK2: 93 = 7, UNDI 3.0, broadcast flag, 57 = 1472 */
	SDHCP_IPXE,         /* iPXE after a BIOS boot (undionly): 77 "iPXE", 175 */
	SDHCP_IPXE_EFI,     /* the same after a UEFI boot (ipxe.efi): arch 7 */
	SDHCP_OS,           /* the imaging OS (udhcpc-like): 53, 61, 57, 55 */
	SDHCP_KIND_N
};

/* States, X(name, help). Only storm_dhcp.c changes them, through one setter. */
#define SDHCP_STATES(X)                                                  \
	X(IDLE, "not started")                                           \
	X(SELECTING, "DISCOVER sent, waiting for an OFFER")              \
	X(THINKING, "OFFER taken, REQUEST after the firmware's delay")   \
	X(REQUESTING, "REQUEST sent, waiting for ACK or NAK")            \
	X(BOUND, "ACK received: the address is ours")                   \
	X(FAILED, "gave up; see the cause")

enum sdhcp_state {
#define X(name, help) SDHCP_ST_##name,
	SDHCP_STATES(X)
#undef X
	SDHCP_ST_N
};

/* Why an exchange failed, X(name, text); the text is what the storm counts. */
#define SDHCP_CAUSES(X)                                                  \
	X(NONE, "")                                                      \
	X(NO_OFFER, "dhcp: no offer")                                    \
	X(NO_ACK, "dhcp: no ack")                                        \
	X(NAK, "dhcp: nak")

enum sdhcp_cause {
#define X(name, text) SDHCP_CAUSE_##name,
	SDHCP_CAUSES(X)
#undef X
	SDHCP_CAUSE_N
};

/** What sdhcp_input() and sdhcp_timer() report. */
enum sdhcp_result {
	SDHCP_RUNNING = 0,  /* still exchanging */
	SDHCP_BOUND,        /* this call bound the lease (returned once) */
	SDHCP_FAILED,       /* this call gave up (returned once); see d->cause */
	SDHCP_IGNORED,      /* the frame is not for this client in this state,
			     * or malformed: nothing changed (count it) */
};

/**
 * Retransmission and think times, shared by many clients. The wait before
 * try n (n = 1 the first transmission) is rto_us << (n - 1), at most
 * rto_max_us; after max_tries transmissions without an answer the phase
 * fails.
 */
struct sdhcp_timing {
	uint32_t rto_us;          /* first wait: PXE ROMs 4 s */
	uint32_t rto_max_us;      /* backoff cap: 32 s */
	uint32_t offer_think_us;  /* OFFER to REQUEST; 0 = at once, EDK2 ~3.8 s */
	uint8_t max_tries;        /* transmissions per phase: 4 */
	uint8_t max_naks;         /* NAKs before "dhcp: nak": 3 */
};

/** PXE 2.1 sec 2.2.1: 4, 8, 16, 32 s, REQUEST at once. */
#define SDHCP_TIMING_PXE { 4000000u, 32000000u, 0u, 4u, 3u }
/** EDK2 as captured: REQUEST ~3.8 s after the OFFER whatever happens. */
#define SDHCP_TIMING_EDK2 { 4000000u, 32000000u, 3800000u, 4u, 3u }

/** Longest boot file name kept: the BOOTP 'file' field's size. */
#define SDHCP_FILE_MAX 128

/* Bits of sdhcp.flags. */
#define SDHCP_F_PROXY 0x01u      /* boot info came from a ProxyDHCP OFFER */
#define SDHCP_F_FILE_LONG 0x02u  /* option 67 was longer than SDHCP_FILE_MAX */
#define SDHCP_F_BOOT 0x04u       /* a boot file name was received */

/**
 * One client's exchange. Fields are the machine's; the owner reads the
 * results once BOUND. Addresses are host order. About 200 bytes.
 */
struct sdhcp {
	uint8_t state;            /* enum sdhcp_state */
	uint8_t kind;             /* enum sdhcp_kind */
	uint8_t cause;            /* enum sdhcp_cause, when FAILED */
	uint8_t tries;            /* transmissions in this phase */
	uint8_t naks;             /* NAKs received */
	uint8_t flags;            /* SDHCP_F_* */
	uint16_t retrans;         /* retransmissions of ours (DISCOVER + REQUEST) */
	uint32_t xid;
	uint32_t offer_ip;        /* the OFFER taken: yiaddr ... */
	uint32_t offer_sid;       /* ... and its server (option 54, else source) */
	/* results, from the ACK (boot fields also from OFFERs) */
	uint32_t yiaddr;          /* the bound address */
	uint32_t server_id;       /* option 54, else siaddr */
	uint32_t siaddr;          /* next server from the header */
	uint32_t next_server;     /* option 66 when a dotted quad, else siaddr */
	uint32_t mask;            /* option 1, 0 = absent */
	uint32_t router;          /* option 3 (first), 0 = absent */
	uint32_t lease_s;         /* option 51, 0 = absent */
	uint64_t start_us;        /* sdhcp_start(): fills 'secs' */
	uint64_t deadline;        /* next timer, UINT64_MAX = none */
	char boot_file[SDHCP_FILE_MAX + 1]; /* option 67, else 'file'; "" = none */
};

/**
 * Start the exchange: queue the DISCOVER (RFC 2131 sec 4.4.1) and arm the
 * first retransmission. EDK2 guests may share one @a xid (docs/design.md):
 * replies are matched on xid and chaddr. A full @a tx is treated as a
 * lost frame: the timer retransmits.
 * @param d      the client's machine; any previous content is reset
 * @param kind   which real client to mimic
 * @param xid    transaction id, chosen by the caller; kept after a NAK
 * @param a      the client's addresses: a->mac is read; a->ip, srv_ip and
 *               srv_mac are written when the lease binds
 * @param now_us the caller's clock, microseconds
 * @param tm     timing; must outlive the exchange
 * @param tx     caller-owned frame queue (one frame at most is added)
 */
void sdhcp_start(struct sdhcp *d, enum sdhcp_kind kind, uint32_t xid, struct storm_addr *a,
		 uint64_t now_us, const struct sdhcp_timing *tm, struct storm_tx *tx);

/**
 * One received frame for this client (the glue demultiplexes on
 * sdhcp_reply_chaddr()). OFFER in SELECTING: REQUEST at once, or after
 * tm->offer_think_us through the timer (RFC 2131 sec 4.4.1); an OFFER
 * without yiaddr but with option 60 "PXEClient" is a ProxyDHCP answer
 * (PXE 2.1 sec 2.2.5): its boot file and next server are kept and the
 * exchange goes on. ACK in REQUESTING: bind (a->ip = yiaddr, a->srv_ip =
 * option 54 or siaddr, a->srv_mac = the frame's source MAC). NAK in
 * THINKING or REQUESTING: restart with DISCOVER (RFC 2131 sec 4.4.1).
 * Every length is checked against what is left of the frame; options in
 * 'file' and 'sname' are honoured when option 52 says so (RFC 2132 sec
 * 9.3). Only @a pi's spans are read, and only during the call.
 * @return SDHCP_BOUND or SDHCP_FAILED once, SDHCP_RUNNING, or
 * SDHCP_IGNORED (not UDP 67 -> 68, not a well-formed BOOTREPLY, another
 * xid or chaddr, or a message this state does not expect).
 */
int sdhcp_input(struct sdhcp *d, struct storm_addr *a, const struct pkt_info *pi,
		uint64_t now_us, const struct sdhcp_timing *tm, struct storm_tx *tx);

/**
 * The timer: retransmit with backoff, send the REQUEST after the think
 * time, or give up. Harmless before sdhcp_deadline().
 * @return SDHCP_RUNNING, SDHCP_FAILED once, or SDHCP_IGNORED when there
 * was nothing to do (idle, bound, failed, not due).
 */
int sdhcp_timer(struct sdhcp *d, struct storm_addr *a, uint64_t now_us,
		const struct sdhcp_timing *tm, struct storm_tx *tx);

/** When sdhcp_timer() next has work; UINT64_MAX for none. */
uint64_t sdhcp_deadline(const struct sdhcp *d);

/**
 * For the glue's demultiplexing: the 6-byte chaddr of a BOOTREPLY from UDP
 * 67 to 68 (RFC 2131 sec 4.1), or NULL when @a pi is not a well-formed
 * BOOTREPLY for Ethernet (op 2, htype 1, hlen 6, magic cookie). Points
 * into the frame.
 */
const uint8_t *sdhcp_reply_chaddr(const struct pkt_info *pi);

/** "dhcp: no offer" ...; "" for none or an unknown value. */
const char *sdhcp_cause_name(unsigned cause);

/** "SELECTING" ...; "?" for an unknown value. */
const char *sdhcp_state_name(unsigned state);

#endif
