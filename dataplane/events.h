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

enum stp_event_type { STP_EV_DHCP = 1 };

struct stp_event {
	uint16_t type;        /* enum stp_event_type */
	uint16_t lcore;
	uint32_t reserved;
	union {
		struct dhcp_event dhcp;
		uint8_t raw[24];
	} u;
};

_Static_assert(sizeof(struct stp_event) == 32, "ring element size is ABI");

#define STP_EVENT_RING_SIZE 65536

#endif
