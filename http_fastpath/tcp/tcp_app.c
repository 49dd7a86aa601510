/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_app.c
 * The application's side of a connection: read the request bytes, queue
 * response bytes (copied) and object ranges (referenced), shut down or
 * abort. Outside a callback, a connection that got something to send is
 * put on the ready list for the glue's next tcp_output() round.
 */
#include <errno.h>
#include <string.h>

#include "tcp_impl.h"

/** Queued bytes at most (sequence space comparisons need < 2^31). */
#define TX_QUEUE_MAX (1u << 30)

static struct tcp_conn *app_conn(const struct tcp_table *t, uint32_t conn)
{
	if (conn >= t->cfg.capacity || t->conn[conn].state == TCP_CLOSED)
		return NULL;
	return &t->conn[conn];
}

/** Something new to send: the callback's caller pushes it, else the ready list. */
static void app_kick(struct tcp_table *t, struct tcp_conn *c)
{
	if (t->in_cb != c->id)
		tcp_ready_push(t, c);
}

struct span tcp_rx_peek(const struct tcp_table *t, uint32_t conn)
{
	const struct tcp_conn *c = app_conn(t, conn);

	return c ? span_make(c->rx_buf, c->rx_len) : span_make(NULL, 0);
}

/**
 * Consume @a n request bytes. If the window we last advertised was below
 * min(SMSS, half the buffer) and now is not, a window update is owed
 * (RFC 1122 sec 4.2.3.3: receiver SWS avoidance the other way round).
 */
void tcp_rx_consume(struct tcp_table *t, uint32_t conn, size_t n)
{
	struct tcp_conn *c = app_conn(t, conn);
	uint32_t adv, thresh;

	if (!c || n == 0)
		return;
	n = STP_MIN(n, (size_t)c->rx_len);
	memmove(c->rx_buf, c->rx_buf + n, c->rx_len - n);
	c->rx_len -= (uint32_t)n;
	adv = c->rcv_adv - c->rcv_nxt;
	thresh = STP_MIN((uint32_t)c->smss, t->cfg.rx_buf / 2);
	if (adv < thresh && tcp_rcv_window(t, c) >= thresh && c->state >= TCP_ESTABLISHED) {
		t->cnt.window_updates++;
		c->cf |= TCP_CF_ACK_NOW;
		app_kick(t, c);
	}
}

bool tcp_rx_eof(const struct tcp_table *t, uint32_t conn)
{
	const struct tcp_conn *c = app_conn(t, conn);

	return c && (c->cf & TCP_CF_RX_EOF);
}

/** Data may be queued: open for sending and not shut down. */
static int can_queue(const struct tcp_conn *c, uint64_t len)
{
	if (c->cf & TCP_CF_FIN_QUEUED)
		return -EPIPE;
	if (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT)
		return -EPIPE;
	if ((uint64_t)(c->snd_end - c->snd_una) + len > TX_QUEUE_MAX)
		return -ENOSPC;
	return 0;
}

static struct tcp_chunk *chunk_last(struct tcp_conn *c)
{
	return c->ch_n ? &c->ch[(c->ch_head + c->ch_n - 1) % TCP_CHUNKS] : NULL;
}

static struct tcp_chunk *chunk_new(struct tcp_conn *c, uint8_t kind, uint32_t len)
{
	struct tcp_chunk *ch = &c->ch[(c->ch_head + c->ch_n) % TCP_CHUNKS];

	memset(ch, 0, sizeof(*ch));
	ch->kind = kind;
	ch->seq = c->snd_end;
	ch->len = len;
	c->ch_n++;
	c->snd_end += len;
	return ch;
}

/** Move the live tx bytes to the buffer start (rare, <= tx_buf bytes). */
static void tx_compact(struct tcp_conn *c)
{
	uint32_t shift = c->tx_head;

	if (shift == 0)
		return;
	memmove(c->tx_buf, c->tx_buf + shift, c->tx_tail - shift);
	for (unsigned i = 0; i < c->ch_n; i++) {
		struct tcp_chunk *ch = &c->ch[(c->ch_head + i) % TCP_CHUNKS];

		if (ch->kind == TCP_CHUNK_BYTES)
			ch->boff -= shift;
	}
	c->tx_tail -= shift;
	c->tx_head = 0;
}

int tcp_send_bytes(struct tcp_table *t, uint32_t conn, const void *p, size_t n)
{
	struct tcp_conn *c = app_conn(t, conn);
	struct tcp_chunk *last;
	int rc;

	if (!c)
		return -EINVAL;
	if ((rc = can_queue(c, n)) < 0)
		return rc;
	if (n == 0)
		return 0;
	if (n > t->cfg.tx_buf - (c->tx_tail - c->tx_head))
		return -ENOSPC;
	last = chunk_last(c);
	if (!(last && last->kind == TCP_CHUNK_BYTES) && c->ch_n == TCP_CHUNKS)
		return -ENOSPC;
	if (c->tx_tail + n > t->cfg.tx_buf)
		tx_compact(c);
	last = chunk_last(c);
	memcpy(c->tx_buf + c->tx_tail, p, n);
	if (last && last->kind == TCP_CHUNK_BYTES && last->boff + last->len == c->tx_tail) {
		last->len += (uint32_t)n;    /* headers written piecewise: one run */
		c->snd_end += (uint32_t)n;
	} else {
		chunk_new(c, TCP_CHUNK_BYTES, (uint32_t)n)->boff = c->tx_tail;
	}
	c->tx_tail += (uint32_t)n;
	app_kick(t, c);
	return 0;
}

int tcp_send_object(struct tcp_table *t, uint32_t conn, const struct stp_object *o,
		    uint64_t off, uint64_t len)
{
	struct tcp_conn *c = app_conn(t, conn);
	struct tcp_chunk *ch;
	int rc;

	if (!c || !o || len == 0 || len > TX_QUEUE_MAX || off > o->len || len > o->len - off)
		return -EINVAL;
	if ((rc = can_queue(c, len)) < 0)
		return rc;
	if (c->ch_n == TCP_CHUNKS)
		return -ENOSPC;
	ch = chunk_new(c, TCP_CHUNK_OBJECT, (uint32_t)len);
	ch->obj = o;
	ch->off = off;
	app_kick(t, c);
	return 0;
}

/** RFC 9293 sec 3.10.4 CLOSE: FIN after the queued data; ESTABLISHED -> FIN_WAIT_1, CLOSE_WAIT -> LAST_ACK. */
int tcp_shutdown(struct tcp_table *t, uint32_t conn)
{
	struct tcp_conn *c = app_conn(t, conn);

	if (!c)
		return -EINVAL;
	if (c->cf & TCP_CF_FIN_QUEUED)
		return 0;
	if (c->state == TCP_ESTABLISHED)
		tcp_set_state(t, c, TCP_FIN_WAIT_1);
	else if (c->state == TCP_CLOSE_WAIT)
		tcp_set_state(t, c, TCP_LAST_ACK);
	else
		return -EPIPE;
	c->cf |= TCP_CF_FIN_QUEUED;
	c->fin_seq = c->snd_end;
	app_kick(t, c);
	return 0;
}

/** RFC 9293 sec 3.10.5 ABORT: RST and close, at the next output of the connection. */
int tcp_abort(struct tcp_table *t, uint32_t conn)
{
	struct tcp_conn *c = app_conn(t, conn);

	if (!c)
		return -EINVAL;
	c->cf |= TCP_CF_ABORT;
	app_kick(t, c);
	return 0;
}

uint64_t tcp_tx_queued(const struct tcp_table *t, uint32_t conn)
{
	const struct tcp_conn *c = app_conn(t, conn);

	if (!c || c->state == TCP_SYN_RCVD)
		return 0;
	/* Once our FIN is acknowledged snd_una is one past snd_end: nothing
	 * is queued then, not 2^32 - 1 bytes. */
	if (seq_lt(c->snd_end, c->snd_una))
		return 0;
	return c->snd_end - c->snd_una;
}

unsigned tcp_tx_chunks_free(const struct tcp_table *t, uint32_t conn)
{
	const struct tcp_conn *c = app_conn(t, conn);

	return c ? TCP_CHUNKS - c->ch_n : 0;
}
