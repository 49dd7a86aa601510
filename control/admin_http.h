/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file admin_http.h
 * The administrators' HTTP server: libmicrohttpd on a kernel socket
 * (control.api_listen, default 127.0.0.1:8080), its own polling thread,
 * every request handed to api_handle() (which takes the control mutex).
 * Bodies over API_BODY_MAX are answered 413 without being buffered.
 */
#ifndef STP_ADMIN_HTTP_H
#define STP_ADMIN_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct control;
struct admin_http;

/**
 * Listen on @a addr:@a port (host order; port 0 picks a free one).
 * @return 0 and *@a out, or a negative errno with a reason in @a err
 */
int admin_http_start(struct control *c, uint32_t addr, uint16_t port,
		     struct admin_http **out, char *err, size_t errlen);
/** The port actually bound. */
uint16_t admin_http_port(const struct admin_http *h);
/** Stop the thread, close the socket, free. NULL is ignored. */
void admin_http_stop(struct admin_http *h);

#endif
