/* SPDX-License-Identifier: BSD-3-Clause */
#include "control_loop.h"

#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ring_elem.h>

#include "log.h"

#define CONTROL_BATCH 256
#define CONTROL_IDLE_US 1000

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

static void apply(struct control *c, const struct stp_event *e)
{
	struct lease_row row;

	if (e->type != STP_EV_DHCP)
		return;
	switch (e->u.dhcp.type) {
	case DHCP_EV_BOUND:
	case DHCP_EV_RELEASED:
	case DHCP_EV_DECLINED:
		row.mac = e->u.dhcp.mac;
		row.ip = e->u.dhcp.ip;
		row.expires = e->u.dhcp.expires;
		row.state = lease_state_of(e->u.dhcp.type);
		if (lease_store_put(c->leases, &row) != 0)
			c->store_errors++;
		break;
	default:
		break; /* boot-stage events: the control-plane issue records them */
	}
	c->events_applied++;
}

unsigned control_drain(struct control *c)
{
	struct stp_event ev[CONTROL_BATCH];
	unsigned total = 0, n;

	while ((n = rte_ring_sc_dequeue_burst_elem(c->events, ev, sizeof(ev[0]),
						   CONTROL_BATCH, NULL)) > 0) {
		/* One transaction per batch: a storm of ACKs costs one fsync-free
		 * WAL commit per few hundred leases, not one each. */
		if (lease_store_begin(c->leases) != 0) {
			log_err("database: %s", lease_store_error(c->leases));
			c->store_errors++;
		}
		for (unsigned i = 0; i < n; i++)
			apply(c, &ev[i]);
		if (lease_store_commit(c->leases) != 0) {
			log_err("database: %s", lease_store_error(c->leases));
			c->store_errors++;
		}
		total += n;
	}
	return total;
}

static void print_worker(const struct worker *w, FILE *out)
{
	const uint64_t *v = (const uint64_t *)&w->c;

	fprintf(out, "stampede: lcore %u (queue %u):", w->lcore_id, w->queue_id);
	for (unsigned i = 0; i < WORKER_N_COUNTERS; i++)
		fprintf(out, " %s=%llu", worker_counter_names[i], (unsigned long long)v[i]);
	for (unsigned i = 1; i < PKT_DROP_COUNT; i++)
		if (w->c.drop[i])
			fprintf(out, " drop_%s=%llu", pkt_drop_names[i],
				(unsigned long long)w->c.drop[i]);
	fputc('\n', out);
	if (w->c.dhcp_pkts)
		fprintf(out, "stampede: lcore %u: cycles_per_dhcp=%llu\n", w->lcore_id,
			(unsigned long long)(w->c.dhcp_cycles / w->c.dhcp_pkts));
	if (w->dhcp != NULL) {
		const uint64_t *d = (const uint64_t *)dhcp_server_counters(w->dhcp);

		fprintf(out, "stampede: lcore %u dhcp:", w->lcore_id);
		for (unsigned i = 0; i < DHCP_N_COUNTERS; i++)
			if (d[i] || i < 2)
				fprintf(out, " %s=%llu", dhcp_counter_names[i],
					(unsigned long long)d[i]);
		fputc('\n', out);
	}
}

void control_print_counters(const struct control *c, FILE *out)
{
	for (unsigned i = 0; i < c->n_workers; i++)
		print_worker(c->workers[i], out);
	fprintf(out, "stampede: control: events_applied=%llu store_errors=%llu\n",
		(unsigned long long)c->events_applied,
		(unsigned long long)c->store_errors);
	fflush(out);
}

void control_run(struct control *c)
{
	while (!*c->quit) {
		if (control_drain(c) == 0)
			usleep(CONTROL_IDLE_US);
		if (*c->dump) {
			*c->dump = 0;
			control_print_counters(c, stderr);
		}
	}
}
