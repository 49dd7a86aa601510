/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file upcall.h
 * An HTTP request under /api/ on its way from a worker to the control
 * thread, and the answer on its way back, in one fixed-size message from
 * a mempool. The worker owns it until it is enqueued to control; control
 * owns it until it is enqueued back; the worker frees it to the pool.
 * A full pool or ring is answered 503 at once: the packet path never waits.
 */
#ifndef STP_UPCALL_H
#define STP_UPCALL_H

#include <stdint.h>

#define UPCALL_MSG_SIZE 8192
#define UPCALL_POOL_SIZE 1023
#define UPCALL_RING_SIZE 1024
#define UPCALL_TARGET_MAX 1024
#define UPCALL_DATA_MAX (UPCALL_MSG_SIZE - 64 - UPCALL_TARGET_MAX)

struct upcall_msg {
	/* addressing: which worker, which connection (and which use of it) */
	uint16_t queue;
	uint16_t status;             /* answer: HTTP status */
	uint32_t conn;
	uint32_t conn_serial;        /* the connection id's use count when asked */
	uint32_t src_ip;
	uint8_t method;              /* enum http_method */
	uint8_t json;                /* answer: 1 application/json, 0 text/plain */
	uint16_t target_len;
	uint32_t data_len;           /* request body, then the answer's body */
	uint8_t pad[40];
	char target[UPCALL_TARGET_MAX];
	uint8_t data[UPCALL_DATA_MAX];
};

_Static_assert(sizeof(struct upcall_msg) == UPCALL_MSG_SIZE, "one pool element");

#endif
