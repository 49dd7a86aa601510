/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's event pipeline (docs/design.md, "Leases: persisted
 * before acknowledged"). Events leave the workers' ring into the backlog,
 * a FIFO the control thread owns; the leases among them are committed
 * first, all that was taken in one transaction, and the commit publishes
 * the watermark the DHCP lcore's held ACKs wait for; the host registry
 * (boot stages, discovered hosts: the slow part, tens of microseconds an
 * event) follows behind in short slices. So a storm's ACKs wait for a
 * lease commit, not for the registry, and the registry falls behind
 * without holding up a single lease.
 *
 *   ring --take--> [ head .. leased ) registry pending   [ leased .. tail ) leases pending
 */
#include "control_thread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <rte_ring_elem.h>

#include "log.h"

#define RING_BURST 256          /* events per dequeue */
#define LEASE_TXN_MAX 4096      /* events taken per lease transaction */
/* Registry events per round: the longest a new lease commit waits behind
 * the registry (~30 us an event: about 2 ms). */
#define STAGE_SLICE 64
#define BACKLOG_MASK (CONTROL_BACKLOG - 1)

_Static_assert((CONTROL_BACKLOG & BACKLOG_MASK) == 0, "the backlog wraps by mask");

int control_thread_events_open(struct control_thread *ct)
{
	ct->backlog = calloc(CONTROL_BACKLOG, sizeof(*ct->backlog));
	return ct->backlog != NULL ? 0 : -ENOMEM;
}

void control_thread_events_close(struct control_thread *ct)
{
	free(ct->backlog);
	ct->backlog = NULL;
}

static struct stp_event *backlog_at(struct control_thread *ct, uint32_t i)
{
	return &ct->backlog[i & BACKLOG_MASK];
}

/* ---- leases ---- */

static enum lease_state lease_state_of(uint8_t ev_type)
{
	switch (ev_type) {
	case DHCP_EV_RELEASED:
		return LEASE_RELEASED;
	case DHCP_EV_DECLINED:
		return LEASE_DECLINED;
	default:
		return LEASE_BOUND;
	}
}

/* A lease change of ours (not a boot stage only): what the table keeps. */
static bool is_lease(const struct stp_event *e)
{
	return e->type == STP_EV_DHCP &&
	       (e->u.dhcp.type == DHCP_EV_BOUND || e->u.dhcp.type == DHCP_EV_RELEASED ||
		e->u.dhcp.type == DHCP_EV_DECLINED);
}

/* Take from the ring what the backlog has room for (a lease transaction's worth). */
static unsigned take(struct control_thread *ct)
{
	unsigned total = 0;

	while (total < LEASE_TXN_MAX) {
		uint32_t room = CONTROL_BACKLOG - (ct->bl_tail - ct->bl_head);
		uint32_t contig = CONTROL_BACKLOG - (ct->bl_tail & BACKLOG_MASK);
		unsigned want = RTE_MIN(RTE_MIN(room, contig), (uint32_t)RING_BURST);
		unsigned n;

		if (want == 0)
			break; /* full: the registry must catch up first */
		n = rte_ring_sc_dequeue_burst_elem(ct->io.events, backlog_at(ct, ct->bl_tail),
						   sizeof(struct stp_event), want, NULL);
		ct->bl_tail += n;
		total += n;
		if (n < want)
			break;
	}
	ct->ctr.events += total;
	return total;
}

/* Write every pending lease inside the open transaction; the highest
 * sequence number among them in @a seq. */
static int put_pending(struct control_thread *ct, uint64_t *seq, unsigned *n)
{
	for (uint32_t i = ct->bl_leased; i != ct->bl_tail; i++) {
		const struct stp_event *e = backlog_at(ct, i);
		struct lease_row row;

		if (!is_lease(e))
			continue;
		row.mac = e->u.dhcp.mac;
		row.ip = e->u.dhcp.ip;
		row.expires = e->u.dhcp.expires;
		row.state = lease_state_of(e->u.dhcp.type);
		if (lease_store_put(ct->io.leases, &row) != 0)
			return -1;
		/* one producer, numbered in order: the last is the highest */
		if (e->u.dhcp.seq != 0)
			*seq = e->u.dhcp.seq;
		(*n)++;
	}
	return 0;
}

/*
 * The pending leases in one transaction; once it is committed (in the
 * WAL, in the kernel: a kill -9 now loses none of it), the watermark
 * tells the DHCP lcore its held ACKs up to there may go. A transaction
 * that fails is rolled back and the same leases are tried again next
 * round: the watermark never passes a lease that is not on disk.
 */
static void commit_pending(struct control_thread *ct)
{
	struct lease_store *ls = ct->io.leases;
	uint64_t seq = 0;
	unsigned n = 0;

	if (ct->bl_leased == ct->bl_tail)
		return;
	if (lease_store_begin(ls) != 0)
		goto err;
	if (put_pending(ct, &seq, &n) != 0) {
		lease_store_rollback(ls);
		goto err;
	}
	if (lease_store_commit(ls) != 0)
		goto err;
	ct->bl_leased = ct->bl_tail;
	ct->ctr.events_applied += n;
	ct->ctr.lease_commits++;
	if (seq != 0)
		__atomic_store_n(&ct->lease_seq, seq, __ATOMIC_RELEASE);
	if (ct->lease_failing)
		log_info("database: leases written again");
	ct->lease_failing = false;
	return;

err:
	/* Once per failing spell, not per retry: the counter has the rest. */
	if (!ct->lease_failing)
		log_err("database: %s (leases kept and retried; their ACKs wait)",
			lease_store_error(ls));
	ct->lease_failing = true;
	ct->ctr.lease_retries++;
	ct->ctr.store_errors++;
}

/* ---- the host registry ---- */

static int64_t wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static enum control_client client_of(uint8_t kind)
{
	return kind == DHCP_CLIENT_PXE ? CONTROL_CLIENT_FIRMWARE
	       : kind == DHCP_CLIENT_IPXE ? CONTROL_CLIENT_IPXE : CONTROL_CLIENT_OTHER;
}

/* One event as a boot stage of its host, in the slice's transaction. */
static void stage_event(struct control_thread *ct, const struct stp_event *e, int64_t now)
{
	char name[STP_EV_NAME_MAX + 1];
	int rc;

	switch (e->type) {
	case STP_EV_DHCP:
		/* Our own ACK, or in proxy mode the other server's lease a
		 * client we boot took: either is the boot's DHCP stage. */
		if (e->u.dhcp.type != DHCP_EV_BOUND && e->u.dhcp.type != DHCP_EV_PROXY_LEASE)
			return;
		rc = control_on_dhcp_lease(ct->ctl, &e->u.dhcp.mac, e->u.dhcp.ip,
					   client_of(e->u.dhcp.client_kind),
					   e->u.dhcp.arch == 0xffff ? -1 : e->u.dhcp.arch, now);
		break;
	case STP_EV_TFTP_DONE:
		memcpy(name, e->u.xfer.name, STP_EV_NAME_MAX);
		name[STP_EV_NAME_MAX] = '\0';
		rc = control_on_tftp_done(ct->ctl, &e->u.xfer.mac, e->u.xfer.ip, name, now);
		break;
	case STP_EV_HTTP_GET:
		memcpy(name, e->u.xfer.name, STP_EV_NAME_MAX);
		name[STP_EV_NAME_MAX] = '\0';
		rc = control_on_http_fetch(ct->ctl, e->u.xfer.ip, name, now);
		if (rc == CONTROL_NOT_A_STAGE) {
			ct->ctr.other_gets++;
			return;
		}
		break;
	default:
		return;
	}
	ct->ctr.stage_events++;
	if (rc < 0 && rc != -ENOENT)
		ct->ctr.store_errors++;
}

/*
 * Up to @a max events whose leases are committed, into the control store
 * in one transaction. After the lease commit on purpose: control writes
 * the same database on its own connection and must not wait behind the
 * lease connection's write lock (the two alternate on this thread).
 */
static unsigned stage_some(struct control_thread *ct, unsigned max)
{
	uint32_t n = RTE_MIN(ct->bl_leased - ct->bl_head, (uint32_t)max);
	int64_t now;
	bool batch;

	if (n == 0)
		return 0;
	now = wall_ms();
	/* If the batch cannot begin, each event gets its own transaction. */
	batch = control_batch_begin(ct->ctl) == 0;
	for (uint32_t i = 0; i < n; i++)
		stage_event(ct, backlog_at(ct, ct->bl_head + i), now);
	if (batch && control_batch_end(ct->ctl) != 0)
		ct->ctr.store_errors++;
	ct->bl_head += n;
	ct->ctr.batches++;
	control_thread_take_updates(ct);
	return n;
}

/* ---- rounds ---- */

unsigned control_thread_events(struct control_thread *ct)
{
	unsigned n = take(ct);

	commit_pending(ct);
	return n + stage_some(ct, STAGE_SLICE);
}

unsigned control_thread_drain(struct control_thread *ct)
{
	unsigned total = 0, n;

	while ((n = control_thread_events(ct)) > 0)
		total += n;
	return total;
}

uint64_t control_thread_backlog(const struct control_thread *ct)
{
	return ct->bl_tail - ct->bl_head;
}
