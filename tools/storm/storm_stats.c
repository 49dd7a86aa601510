/* SPDX-License-Identifier: BSD-3-Clause */
#include "storm_stats.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

/* Bucket of @a us: 16 linear steps per power of two above 16 us. */
static unsigned bucket_of(uint64_t us)
{
	unsigned msb, b;

	if (us < STORM_HIST_SUB)
		return (unsigned)us;
	msb = 63u - (unsigned)__builtin_clzll(us);
	b = (msb - 3) * STORM_HIST_SUB + (unsigned)((us >> (msb - 4)) & (STORM_HIST_SUB - 1));
	return b < STORM_HIST_BUCKETS ? b : STORM_HIST_BUCKETS - 1;
}

/* The upper edge of bucket @a b, in us (what a quantile reports). */
static uint64_t bucket_top(unsigned b)
{
	unsigned octave, sub;

	if (b < STORM_HIST_SUB)
		return b;
	octave = b / STORM_HIST_SUB + 3;
	sub = b % STORM_HIST_SUB;
	return ((uint64_t)(STORM_HIST_SUB + sub + 1) << (octave - 4)) - 1;
}

void storm_hist_add(struct storm_hist *h, uint64_t us)
{
	h->b[bucket_of(us)]++;
	h->n++;
	h->sum_us += us;
	if (us > h->max_us)
		h->max_us = us;
}

uint64_t storm_hist_quantile(const struct storm_hist *h, double q)
{
	uint64_t want, seen = 0;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n + 0.5);
	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < STORM_HIST_BUCKETS; b++) {
		seen += h->b[b];
		if (seen >= want) {
			uint64_t top = bucket_top(b);

			return top < h->max_us ? top : h->max_us;
		}
	}
	return h->max_us;
}

void storm_stage_begin(struct storm_stage_stats *st, uint64_t now_us)
{
	st->started++;
	if (st->first_us == 0 || now_us < st->first_us)
		st->first_us = now_us;
}

void storm_stage_done(struct storm_stage_stats *st, uint64_t t0_us, uint64_t now_us)
{
	st->done++;
	storm_hist_add(&st->lat, now_us - t0_us);
	if (now_us > st->last_us)
		st->last_us = now_us;
}

double storm_stage_rate(const struct storm_stage_stats *st)
{
	if (st->done == 0 || st->last_us <= st->first_us)
		return 0;
	return (double)st->done * 1e6 / (double)(st->last_us - st->first_us);
}

void storm_stats_fail(struct storm_stats *s, const char *cause)
{
	for (unsigned i = 0; i < s->n_causes; i++)
		if (strncmp(s->cause[i], cause, STORM_CAUSE_LEN - 1) == 0) {
			s->cause_n[i]++;
			return;
		}
	if (s->n_causes == STORM_CAUSES_MAX) {
		s->other_causes++;
		return;
	}
	snprintf(s->cause[s->n_causes], STORM_CAUSE_LEN, "%s", cause);
	s->cause_n[s->n_causes++] = 1;
}

static void hist_merge(struct storm_hist *into, const struct storm_hist *from)
{
	for (unsigned b = 0; b < STORM_HIST_BUCKETS; b++)
		into->b[b] += from->b[b];
	into->n += from->n;
	into->sum_us += from->sum_us;
	if (from->max_us > into->max_us)
		into->max_us = from->max_us;
}

void storm_stats_merge(struct storm_stats *into, const struct storm_stats *from)
{
	for (unsigned i = 0; i < STORM_ST_N; i++) {
		into->st[i].started += from->st[i].started;
		into->st[i].done += from->st[i].done;
		into->st[i].failed += from->st[i].failed;
		if (from->st[i].first_us != 0 &&
		    (into->st[i].first_us == 0 || from->st[i].first_us < into->st[i].first_us))
			into->st[i].first_us = from->st[i].first_us;
		if (from->st[i].last_us > into->st[i].last_us)
			into->st[i].last_us = from->st[i].last_us;
		hist_merge(&into->st[i].lat, &from->st[i].lat);
	}
	into->clients += from->clients;
	into->done += from->done;
	into->failed += from->failed;
	into->bytes += from->bytes;
	into->tcp_retrans += from->tcp_retrans;
	into->tftp_retrans += from->tftp_retrans;
	into->dhcp_retrans += from->dhcp_retrans;
	into->http_requests += from->http_requests;
	into->http_503 += from->http_503;
	into->tx_dropped += from->tx_dropped;
	into->gen_cycles += from->gen_cycles;
	into->gen_busy_cycles += from->gen_busy_cycles;
	into->dhcp_addr_changed += from->dhcp_addr_changed;
	into->script_waits += from->script_waits;
	into->rx_frames += from->rx_frames;
	into->tx_frames += from->tx_frames;
	into->rx_ignored += from->rx_ignored;
	for (unsigned i = 0; i < from->n_causes; i++)
		for (uint64_t k = 0; k < from->cause_n[i]; k++)
			storm_stats_fail(into, from->cause[i]);
	into->other_causes += from->other_causes;
}

static double ms(uint64_t us)
{
	return (double)us / 1000.0;
}

static double gbps(const struct storm_stats *s, double wall_s)
{
	return wall_s > 0 ? (double)s->bytes * 8 / wall_s / 1e9 : 0;
}

void storm_stats_print(const struct storm_stats *s, double wall_s, FILE *out)
{
	fprintf(out, "%-10s %9s %9s %9s %10s %10s %10s %10s %10s\n", "stage", "started", "done",
		"failed", "p50_ms", "p95_ms", "p99_ms", "max_ms", "per_s");
	for (unsigned i = 0; i < STORM_ST_N; i++) {
		const struct storm_stage_stats *st = &s->st[i];

		if (st->started == 0)
			continue;
		fprintf(out, "%-10s %9llu %9llu %9llu %10.1f %10.1f %10.1f %10.1f %10.0f\n",
			storm_stage_names[i], (unsigned long long)st->started,
			(unsigned long long)st->done, (unsigned long long)st->failed,
			ms(storm_hist_quantile(&st->lat, 0.50)),
			ms(storm_hist_quantile(&st->lat, 0.95)),
			ms(storm_hist_quantile(&st->lat, 0.99)), ms(st->lat.max_us),
			storm_stage_rate(st));
	}
	fprintf(out, "clients %llu: %llu done, %llu failed in %.2f s; %.1f MB received, "
		"%.3f Gbit/s\n", (unsigned long long)s->clients, (unsigned long long)s->done,
		(unsigned long long)s->failed, wall_s, (double)s->bytes / 1e6, gbps(s, wall_s));
	fprintf(out, "retransmissions: dhcp %llu, tftp %llu, tcp %llu; HTTP requests %llu, "
		"503 answers %llu\n", (unsigned long long)s->dhcp_retrans,
		(unsigned long long)s->tftp_retrans, (unsigned long long)s->tcp_retrans,
		(unsigned long long)s->http_requests, (unsigned long long)s->http_503);
	fprintf(out, "frames: %llu received (%llu for no client), %llu sent, %llu not sent\n",
		(unsigned long long)s->rx_frames, (unsigned long long)s->rx_ignored,
		(unsigned long long)s->tx_frames, (unsigned long long)s->tx_dropped);
	if (s->script_waits > 0)
		fprintf(out, "scripts: %llu waits (sleep, then chain again: job slots)\n",
			(unsigned long long)s->script_waits);
	if (s->dhcp_addr_changed > 0)
		fprintf(out, "dhcp: %llu ACKs gave a client another address than its first\n",
			(unsigned long long)s->dhcp_addr_changed);
	if (s->gen_cycles > 0)
		fprintf(out, "generator: busy %.0f%% of its lcores' time (near 100%%: it was the limit)\n",
			100.0 * (double)s->gen_busy_cycles / (double)s->gen_cycles);
	for (unsigned i = 0; i < s->n_causes; i++)
		fprintf(out, "failed: %llu x %s\n", (unsigned long long)s->cause_n[i], s->cause[i]);
	if (s->other_causes)
		fprintf(out, "failed: %llu x other causes\n", (unsigned long long)s->other_causes);
}

static json_t *stage_json(const struct storm_stage_stats *st)
{
	return json_pack("{sIsIsIsfsfsfsfsf}", "started", (json_int_t)st->started,
			 "done", (json_int_t)st->done, "failed", (json_int_t)st->failed,
			 "p50_ms", ms(storm_hist_quantile(&st->lat, 0.50)),
			 "p95_ms", ms(storm_hist_quantile(&st->lat, 0.95)),
			 "p99_ms", ms(storm_hist_quantile(&st->lat, 0.99)),
			 "max_ms", ms(st->lat.max_us), "rate_per_s", storm_stage_rate(st));
}

int storm_stats_json(const struct storm_stats *s, double wall_s, const char *path)
{
	json_t *root = json_pack("{sIsIsIsfsIsf}", "clients", (json_int_t)s->clients,
				 "done", (json_int_t)s->done, "failed", (json_int_t)s->failed,
				 "wall_s", wall_s, "bytes", (json_int_t)s->bytes,
				 "gbps", gbps(s, wall_s));
	json_t *stages = json_object(), *causes = json_object();
	int rc;

	for (unsigned i = 0; i < STORM_ST_N; i++) {
		/* under "stages", and at the top for a short jq path: .dhcp.p95_ms */
		json_object_set_new(stages, storm_stage_names[i], stage_json(&s->st[i]));
		json_object_set_new(root, storm_stage_names[i], stage_json(&s->st[i]));
	}
	for (unsigned i = 0; i < s->n_causes; i++)
		json_object_set_new(causes, s->cause[i], json_integer((json_int_t)s->cause_n[i]));
	if (s->other_causes)
		json_object_set_new(causes, "other", json_integer((json_int_t)s->other_causes));
	json_object_set_new(root, "stages", stages);
	json_object_set_new(root, "failures", causes);
	json_object_set_new(root, "retransmissions",
			    json_pack("{sIsIsI}", "dhcp", (json_int_t)s->dhcp_retrans,
				      "tftp", (json_int_t)s->tftp_retrans,
				      "tcp", (json_int_t)s->tcp_retrans));
	json_object_set_new(root, "http_503", json_integer((json_int_t)s->http_503));
	json_object_set_new(root, "http_requests", json_integer((json_int_t)s->http_requests));
	json_object_set_new(root, "script_waits", json_integer((json_int_t)s->script_waits));
	json_object_set_new(root, "dhcp_addr_changed",
			    json_integer((json_int_t)s->dhcp_addr_changed));
	json_object_set_new(root, "generator_busy",
			    json_real(s->gen_cycles ? (double)s->gen_busy_cycles /
						      (double)s->gen_cycles : 0));
	json_object_set_new(root, "frames",
			    json_pack("{sIsIsIsI}", "rx", (json_int_t)s->rx_frames,
				      "rx_ignored", (json_int_t)s->rx_ignored,
				      "tx", (json_int_t)s->tx_frames,
				      "tx_dropped", (json_int_t)s->tx_dropped));
	rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	if (rc != 0 && errno == 0)
		errno = EIO;
	return rc == 0 ? 0 : -1;
}
