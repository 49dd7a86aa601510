/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file events.h
 * What workers tell the control thread, as fixed-size ring elements.
 * Workers append to a per-burst array and enqueue once per burst; when the
 * ring is full they count the loss and go on (the packet path never waits).
 */
#ifndef STP_EVENTS_H
#define STP_EVENTS_H

#include <stdint.h>

#include "dhcp_server.h"

enum stp_event_type {
	STP_EV_DHCP = 1,      /* u.dhcp */
	STP_EV_TFTP_DONE = 2, /* u.xfer: a firmware file was sent completely */
	STP_EV_HTTP_GET = 3,  /* u.xfer: an object was served over HTTP */
};

#define STP_EV_NAME_MAX 44

/** A file handed out, for control's boot-stage timeline. */
struct stp_xfer_event {
	struct mac_addr mac;  /* TFTP: the client's; HTTP: 00:.. (control keys on ip) */
	uint16_t status;      /* HTTP status */
	uint32_t ip;
	char name[STP_EV_NAME_MAX]; /* object name, cut to fit (stage matching only) */
};

struct stp_event {
	uint16_t type;        /* enum stp_event_type */
	uint16_t lcore;
	uint32_t reserved;
	union {
		struct dhcp_event dhcp;
		struct stp_xfer_event xfer;
		uint8_t raw[56];
	} u;
};

_Static_assert(sizeof(struct stp_event) == 64, "ring element size is ABI");

#define STP_EVENT_RING_SIZE 65536

#endif
