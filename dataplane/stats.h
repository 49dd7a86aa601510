/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file stats.h
 * The counter registry: every counter stampede reports (port, worker,
 * frame drops, TFTP, TCP, HTTP, DHCP, control thread) declared once, in
 * stats_sections[] (stats_table.c), each with its name, help text, kind,
 * labels and where it lives. One walk, stats_walk(), reads them all for
 * every report: the SIGUSR1 and exit text (stats_text()), the JSON of
 * GET /api/v1/status and /api/v1/counters (stats_json()); its
 * family-major twin, stats_walk_families(), makes the Prometheus text of
 * GET /metrics (stats_prom(): family, help, kind and the lcore, queue and
 * reason labels all come from here).
 *
 * The cores' counters are read in place: their structs are arrays of
 * uint64_t whose slots the table names (offsetof). Counters of the glue,
 * the port and the control thread live in DPDK structs; their X-macros
 * below carry an expression that reads each one, expanded only in the
 * dataplane (control_thread_stats.c) into a small array of the same
 * slots. This file and stats_table.c, stats.c need no DPDK: the registry
 * is unit-tested against the cores' own name tables (test_stats.c).
 *
 * Where a counter lives is said once: the core's X-macro for the cores,
 * the X-macro below for the rest. The HTTP glue's counters are all in
 * STATS_HTTP_GLUE (one place to repoint when they move).
 */
#ifndef STP_STATS_H
#define STP_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum stat_kind {
	STAT_COUNTER,  /* only grows */
	STAT_GAUGE,    /* a level: sessions open, a ratio */
};

/* Entry flags. */
#define STAT_F_ALWAYS 1u  /* reported even when zero (others: only when not) */

/**
 * One counter. Its metric family is @a family when it has a reason label
 * (one family, one entry per reason: frame drops by reason, TCP closes by
 * reason, HTTP responses by status), else the section's name and @a name.
 */
struct stat_desc {
	const char *name;     /* text and JSON key, unique in its line and object */
	const char *help;
	const char *family;   /* with @a reason: the family's name, else NULL */
	const char *reason;   /* the reason label's value, or NULL */
	uint16_t slot;        /* index in the source's uint64_t array */
	uint8_t kind;         /* enum stat_kind */
	uint8_t flags;        /* STAT_F_* */
};

/** What a section's slots index (one uint64_t array per scope). */
enum stat_src {
	STAT_SRC_PORT,        /* STATS_PORT, read from struct rte_eth_stats */
	STAT_SRC_WORKER,      /* struct worker_counters (worker_counters.h) */
	STAT_SRC_WORKER_RATIO,/* STATS_WORKER_RATIO, computed per lcore */
	STAT_SRC_TFTP_GLUE,   /* STATS_TFTP_GLUE, struct tftp_glue */
	STAT_SRC_TFTP,        /* struct tftp_counters (tftp_counters.h) */
	STAT_SRC_TCP_STATE,   /* STATS_TCP_STATE, the TCP table's gauges */
	STAT_SRC_HTTP_GLUE,   /* STATS_HTTP_GLUE, struct http_glue */
	STAT_SRC_TCP,         /* struct tcp_counters (tcp_counters.h) */
	STAT_SRC_HTTP,        /* struct http_counters (http_counters.h) */
	STAT_SRC_DHCP,        /* struct dhcp_counters (dhcp_server.h) */
	STAT_SRC_CONTROL,     /* STATS_CONTROL, struct control_thread */
	STAT_SRC_CACHE,       /* STATS_CACHE, the control thread's cache snapshot */
	STAT_SRC_N
};

/** The text line of the SIGUSR1/exit report a section's values go on. */
enum stat_line {
	STAT_LINE_PORT,     /* "stampede: port:" */
	STAT_LINE_FRAMES,   /* "stampede: lcore L (queue Q):" */
	STAT_LINE_RATIO,    /* "stampede: lcore L:" */
	STAT_LINE_TFTP,     /* "stampede: lcore L tftp:" */
	STAT_LINE_HTTP,     /* "stampede: lcore L http:" */
	STAT_LINE_DHCP,     /* "stampede: lcore L dhcp:" */
	STAT_LINE_CONTROL,  /* "stampede: control:" (last: it ends a report) */
};

/** Counters read from one place and reported together. */
struct stat_section {
	const char *name;         /* metric family prefix: "worker", "tcp", ... */
	enum stat_src src;
	bool per_lcore;           /* one value per worker: lcore and queue labels */
	enum stat_line line;
	const char *text_prefix;  /* before each name on the text line ("tcp_") */
	const char *json_key;     /* object in the scope's JSON; NULL = the scope's own */
	const struct stat_desc *v;
	unsigned n;
};

/* The registry, in report order; per-lcore sections are consecutive. */
extern const struct stat_section stats_sections[];
extern const unsigned stats_n_sections;

/* ---- counters that do not live in a core (DPDK structs) ----
 * X(name, kind, read, help): @a read is an expression evaluated in the
 * dataplane only, over the variable named in each table's comment. */

/* The port (rte_eth_stats_get()): over `const struct rte_eth_stats *st`. */
#define STATS_PORT(X)                                                               \
	X(ipackets, STAT_COUNTER, st->ipackets, "frames the port received")          \
	X(opackets, STAT_COUNTER, st->opackets, "frames the port sent")              \
	X(imissed, STAT_COUNTER, st->imissed, "frames the port dropped: RX queue full") \
	X(ierrors, STAT_COUNTER, st->ierrors, "frames received with errors")        \
	X(oerrors, STAT_COUNTER, st->oerrors, "frames that failed to go out")       \
	X(rx_nombuf, STAT_COUNTER, st->rx_nombuf, "RX mbuf allocation failures")    \
	X(ibytes, STAT_COUNTER, st->ibytes, "bytes the port received")               \
	X(obytes, STAT_COUNTER, st->obytes, "bytes the port sent")

/* Per-lcore ratios and levels: over `const struct worker *w`. */
#define STATS_WORKER_RATIO(X)                                                       \
	X(cycles_per_dhcp, STAT_GAUGE, w->c.dhcp_pkts ? w->c.dhcp_cycles / w->c.dhcp_pkts : 0, \
	  "TSC cycles per DHCP frame handled")                                       \
	X(dhcp_unpersisted, STAT_GAUGE, w->dhcp ? dhcp_server_unpersisted(w->dhcp) : 0, \
	  "lease events the DHCP lcore issued that the lease writer has not committed yet")

/* TFTP glue (tftp_glue.h): over `const struct tftp_glue *g`. */
#define STATS_TFTP_GLUE(X)                                                          \
	X(active, STAT_GAUGE, tftp_server_active(g->srv), "TFTP sessions open")      \
	X(zero_copy_frames, STAT_COUNTER, g->zc_frames,                               \
	  "DATA frames with the payload chained from the cache")                     \
	X(copy_frames, STAT_COUNTER, g->copy_frames, "DATA frames with the payload copied") \
	X(nombuf, STAT_COUNTER, g->nombuf, "TFTP frames not built: mempool empty")

/* The TCP table's levels: over `const struct http_glue *g`. */
#define STATS_TCP_STATE(X)                                                          \
	X(active, STAT_GAUGE, http_server_active(g->srv), "TCP connections open")

/* HTTP glue (http_glue.h): over `const struct http_glue *g`. */
#define STATS_HTTP_GLUE(X)                                                          \
	X(seg_out, STAT_COUNTER, g->c.seg_out, "TCP segments framed")                 \
	X(zero_copy_frames, STAT_COUNTER, g->c.zc_frames,                             \
	  "frames with the payload chained from the cache")                          \
	X(copy_frames, STAT_COUNTER, g->c.copy_frames, "frames with the payload copied") \
	X(tso_frames, STAT_COUNTER, g->c.tso_frames, "TSO frames sent")               \
	X(tso_segs, STAT_COUNTER, g->c.tso_segs, "segments sent inside TSO frames")   \
	X(nombuf, STAT_COUNTER, g->c.nombuf, "HTTP frames not built: mempool empty")  \
	X(csum_bad, STAT_COUNTER, g->c.csum_bad, "TCP segments in with a bad checksum") \
	X(upcalls_queued, STAT_COUNTER, HSC(g)->upcalls_passed,                       \
	  "/api/ requests queued to control")                                        \
	X(upcall_busy, STAT_COUNTER, HSC(g)->upcall_busy,                             \
	  "/api/ requests answered 503: upcall pool or ring full")                   \
	X(upcall_stale, STAT_COUNTER, HSC(g)->upcall_stale,                           \
	  "control answers for connections gone meanwhile")                          \
	X(upcall_too_large, STAT_COUNTER, HSC(g)->upcall_too_large,                   \
	  "/api/ requests answered 413: target or body over an upcall message")      \
	X(served_reports, STAT_COUNTER, HSC(g)->served_reports,                       \
	  "boot-stage objects reported to control")                                  \
	X(deadline_visits, STAT_COUNTER, HSC(g)->deadline_visits,                     \
	  "slots whose HTTP deadline was examined")                                  \
	X(admission_503, STAT_COUNTER, HSC(g)->admission_503,                         \
	  "large GET/HEAD answered 503 + Retry-After: transfer budget full")         \
	X(transfers_started, STAT_COUNTER, HSC(g)->transfers_started,                 \
	  "large object bodies queued (admitted transfers)")                         \
	X(transfers_done, STAT_COUNTER, HSC(g)->transfers_done,                       \
	  "transfers whose body the client acknowledged")                            \
	X(transfers_cut, STAT_COUNTER, HSC(g)->transfers_cut,                         \
	  "transfers ended by their connection closing first")                       \
	X(transfers_in_flight, STAT_GAUGE, HSC(g)->transfers_in_flight,               \
	  "transfers started and not yet ended")

/* The HTTP server core's own counters of a glue. */
#define HSC(g) http_server_counters((g)->srv)

/* The control thread: over `const struct control_thread *ct`. */
#define STATS_CONTROL(X)                                                            \
	X(events_applied, STAT_COUNTER, ct->io.writer->c.events,                      \
	  "DHCP lease events the lease writer committed to the lease table")         \
	X(store_errors, STAT_COUNTER, ct->ctr.store_errors + ct->io.writer->c.retries, \
	  "lease table and host registry write errors")                              \
	X(lease_commits, STAT_COUNTER, ct->io.writer->c.commits,                      \
	  "lease transactions committed (each moves the lease watermark)")           \
	X(lease_retries, STAT_COUNTER, ct->io.writer->c.retries,                      \
	  "lease transactions that failed and are tried again (their ACKs wait)")    \
	X(lease_watermark, STAT_GAUGE, lease_writer_seq(ct->io.writer),               \
	  "lease events committed: the sequence number held ACKs wait for")          \
	X(events, STAT_COUNTER, ct->ctr.events, "events taken from the workers' ring") \
	X(event_batches, STAT_COUNTER, ct->ctr.batches,                               \
	  "event batches (one host registry transaction each)")                      \
	X(stage_events, STAT_COUNTER, ct->ctr.stage_events,                           \
	  "events the host registry applied (leases, TFTP done, boot-stage GETs)")   \
	X(other_gets, STAT_COUNTER, ct->ctr.other_gets,                               \
	  "HTTP GET events of objects that are no boot stage (counted only)")        \
	X(upcalls_answered, STAT_COUNTER, ct->ctr.upcalls, "/api/ upcalls answered")   \
	X(upcalls_too_big, STAT_COUNTER, ct->ctr.upcalls_too_big,                     \
	  "upcall answers larger than a message (500)")                              \
	X(publishes, STAT_COUNTER, ct->ctr.publishes, "script cache versions published") \
	X(publish_errors, STAT_COUNTER, ct->ctr.publish_errors,                       \
	  "scripts or cache versions that failed to publish")                        \
	X(uptime_seconds, STAT_GAUGE, control_thread_uptime(ct), "seconds since start")

/* The object cache as the control thread last saw it (it publishes and
 * frees versions; the admin thread must not follow its pointers): over
 * `const struct control_thread *ct`. */
#define STATS_CACHE(X)                                                              \
	X(bytes, STAT_GAUGE, ct->cache_snap.bytes,                                    \
	  "bytes of the version being served: files and their checksum arrays")      \
	X(objects, STAT_GAUGE, ct->cache_snap.objects,                                \
	  "objects of the version being served: files and rendered scripts")         \
	X(max_bytes, STAT_GAUGE, ct->cache_snap.max_bytes, "cache.max_mb in bytes")   \
	X(generation, STAT_GAUGE, ct->cache_snap.gen, "generation of the version being served") \
	X(retired, STAT_GAUGE, ct->cache_snap.retired,                                \
	  "versions replaced and not yet freed (transfers still pinned to them)")

/* Slot numbers of those tables: STAT_<TABLE>_<name>. */
#define STAT_ENUM_PORT(name, kind, read, help) STAT_PORT_##name,
#define STAT_ENUM_RATIO(name, kind, read, help) STAT_RATIO_##name,
#define STAT_ENUM_TFTPG(name, kind, read, help) STAT_TFTPG_##name,
#define STAT_ENUM_TCPS(name, kind, read, help) STAT_TCPS_##name,
#define STAT_ENUM_HTTPG(name, kind, read, help) STAT_HTTPG_##name,
#define STAT_ENUM_CTL(name, kind, read, help) STAT_CTL_##name,
#define STAT_ENUM_CACHE(name, kind, read, help) STAT_CACHE_##name,
enum { STATS_PORT(STAT_ENUM_PORT) STAT_PORT_N };
enum { STATS_WORKER_RATIO(STAT_ENUM_RATIO) STAT_RATIO_N };
enum { STATS_TFTP_GLUE(STAT_ENUM_TFTPG) STAT_TFTPG_N };
enum { STATS_TCP_STATE(STAT_ENUM_TCPS) STAT_TCPS_N };
enum { STATS_HTTP_GLUE(STAT_ENUM_HTTPG) STAT_HTTPG_N };
enum { STATS_CONTROL(STAT_ENUM_CTL) STAT_CTL_N };
enum { STATS_CACHE(STAT_ENUM_CACHE) STAT_CACHE_N };

/** Room a reader needs to compute one of those sources. */
#define STATS_SCRATCH 32

/* ---- reading and reporting ---- */

/** Where a value was read: the server, or one worker. */
struct stats_at {
	bool per_lcore;
	unsigned idx;          /* the worker's index (0 .. n_lcores - 1) */
	unsigned lcore_id, queue_id;
};

/** How the walk reads the values (the dataplane's, or a test's). */
struct stats_reader {
	unsigned n_lcores;
	/** Worker @a idx's lcore and queue ids. */
	void (*lcore)(void *ctx, unsigned idx, unsigned *lcore_id, unsigned *queue_id);
	/**
	 * Source @a src's slots in worker @a idx (ignored for a server-wide
	 * source): a core's counter struct in place, or @a scratch
	 * (STATS_SCRATCH slots) filled. NULL: not there (no TFTP configured,
	 * DHCP on another lcore): its sections are left out.
	 */
	const uint64_t *(*values)(void *ctx, enum stat_src src, unsigned idx, uint64_t *scratch);
	void *ctx;
};

/** What the walk tells its visitor. */
struct stats_visitor {
	/** A section that is there begins (optional). */
	void (*section)(void *ctx, const struct stats_at *at, const struct stat_section *s);
	/** One counter's value, zero or not. */
	void (*value)(void *ctx, const struct stats_at *at, const struct stat_section *s,
		      const struct stat_desc *d, uint64_t v);
};

/**
 * Every counter of the registry once, in table order: the server-wide
 * sections before the per-lcore ones, then each worker's per-lcore
 * sections, then the server-wide ones after them.
 */
void stats_walk(const struct stats_reader *r, const struct stats_visitor *v, void *ctx);

/**
 * The same counters in another order: family by family, each family's
 * values for every worker (or once, server-wide) before the next family.
 * A family is one entry, or a run of entries of a section sharing a
 * reason family. The visitor's section() is not called. This is the
 * order the Prometheus text needs: a family's samples together.
 */
void stats_walk_families(const struct stats_reader *r, const struct stats_visitor *v,
			 void *ctx);

/** Is @a v on its text line? Flagged STAT_F_ALWAYS or not zero. */
static inline bool stats_shown(const struct stat_desc *d, uint64_t v)
{
	return v != 0 || (d->flags & STAT_F_ALWAYS);
}

/**
 * Is @a v in the JSON? Not zero, or a gauge, or server-wide. A worker's
 * zero counters are left out: the status of a server with several
 * workers must fit one upcall message (upcall.h).
 */
static inline bool stats_shown_json(const struct stat_section *s, const struct stat_desc *d,
				    uint64_t v)
{
	return v != 0 || d->kind == STAT_GAUGE || !s->per_lcore;
}

/**
 * The text report (SIGUSR1, exit): one line per server-wide section
 * group and per worker and line kind, "stampede: ...: name=value ...",
 * ending with the "stampede: control:" line. Flushes @a out.
 */
void stats_text(const struct stats_reader *r, FILE *out);

struct json_t;

/**
 * The JSON report into the object @a root: server-wide values in
 * "port" and at the top level, one object per worker in "lcores" (its
 * "lcore", "queue", values, and objects "drops", "tftp", "tcp", "http",
 * "dhcp" for the sections that are there).
 */
void stats_json(const struct stats_reader *r, struct json_t *root);

/** Prefix of every metric family stampede exports. */
#define STATS_PROM_PREFIX "stampede_"

/**
 * The metric family name of entry @a d of section @a s, without "_total":
 * "stampede_<family>" for a reason family, else
 * "stampede_<section>_<name>". @return @a out
 */
char *stats_prom_name(const struct stat_section *s, const struct stat_desc *d, char *out,
		      size_t size);

/** The help of reason family @a family, NULL when there is none. */
const char *stats_family_help(const char *family);

struct prom_out;

/**
 * The Prometheus report: every value, zero or not, as a sample of its
 * family (stats_prom_name(); counters get "_total"), labelled lcore and
 * queue for a worker's values and reason for a reason family's.
 */
void stats_prom(const struct stats_reader *r, struct prom_out *out);

#endif
