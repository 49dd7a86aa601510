/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counter registry's table (stats.h): each section expands the
 * X-macro its counters are declared with, so a counter added there is
 * reported everywhere. The slots of a core's arrays (drops by reason,
 * requests by method, ...) are spelt out here the way the core names them;
 * test_stats.c checks every slot against the core's own name table.
 */
#include "stats.h"

#include <stddef.h>
#include <string.h>

#include "dhcp_server.h"
#include "http_counters.h"
#include "tcp_counters.h"
#include "tftp_counters.h"
#include "worker_counters.h"

#define SLOT(type, field) ((uint16_t)(offsetof(type, field) / sizeof(uint64_t)))
#define DIM(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

/* Entries of the X(name, kind, read, help) tables of stats.h, by table. */
#define XE(name, kind, help, slot, flags) { #name, help, NULL, NULL, slot, kind, flags },
#define E_PORT(name, kind, read, help) XE(name, kind, help, STAT_PORT_##name, STAT_F_ALWAYS)
#define E_RATIO(name, kind, read, help) XE(name, kind, help, STAT_RATIO_##name, 0)
#define E_TFTPG(name, kind, read, help) XE(name, kind, help, STAT_TFTPG_##name, STAT_F_ALWAYS)
#define E_TCPS(name, kind, read, help) XE(name, kind, help, STAT_TCPS_##name, STAT_F_ALWAYS)
#define E_HTTPG(name, kind, read, help) XE(name, kind, help, STAT_HTTPG_##name, STAT_F_ALWAYS)
#define E_CTL(name, kind, read, help) XE(name, kind, help, STAT_CTL_##name, STAT_F_ALWAYS)
#define E_CACHE(name, kind, read, help) XE(name, kind, help, STAT_CACHE_##name, STAT_F_ALWAYS)

static const struct stat_desc port_stats[] = { STATS_PORT(E_PORT) };

static const struct stat_desc worker_stats[] = {
#define X(name, help) { #name, help, NULL, NULL, SLOT(struct worker_counters, name), \
			STAT_COUNTER, STAT_F_ALWAYS },
	WORKER_COUNTERS(X)
#undef X
};

/* PKT_DROP_NONE is no drop: its slot is never counted. */
static const struct stat_desc drop_stats[] = {
#define X(name, help) { #name, "frames dropped: " help, "drops", #name, \
			SLOT(struct worker_counters, drop) + PKT_DROP_##name, STAT_COUNTER, 0 },
	PKT_DROPS(X)
#undef X
};

static const struct stat_desc ratio_stats[] = { STATS_WORKER_RATIO(E_RATIO) };

static const struct stat_desc tftp_glue_stats[] = { STATS_TFTP_GLUE(E_TFTPG) };

#define TFTP_ERR(code) { "err_tx_" #code, "TFTP ERROR " #code " sent", "tftp_errors_sent", \
			 #code, SLOT(struct tftp_counters, err_tx) + (code), STAT_COUNTER, 0 },

_Static_assert(TFTP_N_ERR_CODES == 9, "one TFTP_ERR() per error code below");

static const struct stat_desc tftp_stats[] = {
#define X(name, help) { #name, help, NULL, NULL, SLOT(struct tftp_counters, name), \
			STAT_COUNTER, 0 },
	TFTP_COUNTERS(X)
#undef X
#define X(name, code, help) { "req_" #name, "TFTP requests: " help, "tftp_requests", #name, \
			      SLOT(struct tftp_counters, req) + TFTP_PARSE_##name, \
			      STAT_COUNTER, 0 },
	TFTP_PARSE_RESULTS(X)
#undef X
	TFTP_ERR(0) TFTP_ERR(1) TFTP_ERR(2) TFTP_ERR(3) TFTP_ERR(4)
	TFTP_ERR(5) TFTP_ERR(6) TFTP_ERR(7) TFTP_ERR(8)
};

static const struct stat_desc tcp_state_stats[] = { STATS_TCP_STATE(E_TCPS) };

static const struct stat_desc http_glue_stats[] = { STATS_HTTP_GLUE(E_HTTPG) };

#define TCP_CLOSED(name, idx, help) { "closed_" #name, "TCP connections closed: " help, \
				      "tcp_closed", #name, \
				      SLOT(struct tcp_counters, closed) + (idx), STAT_COUNTER, 0 },

static const struct stat_desc tcp_stats[] = {
#define X(name, help) { #name, help, NULL, NULL, SLOT(struct tcp_counters, name), \
			STAT_COUNTER, 0 },
	TCP_COUNTERS(X)
#undef X
#define X(name, help) { "drop_" #name, "TCP segments dropped: " help, "tcp_drops", #name, \
			SLOT(struct tcp_counters, drop_##name), STAT_COUNTER, 0 },
	TCP_DROPS(X)
#undef X
	/* By enum tcp_close_reason (TCP_CLOSE_REASONS in tcp.h). */
	TCP_CLOSED(done, 0, "both FINs exchanged and acknowledged")
	TCP_CLOSED(reset, 1, "the peer reset it")
	TCP_CLOSED(retries, 2, "retransmission limit reached")
	TCP_CLOSED(idle, 3, "idle timeout")
	TCP_CLOSED(abort, 4, "aborted by the application")
	TCP_CLOSED(evicted, 5, "half-open slot taken for a completed handshake")
	TCP_CLOSED(tw_reuse, 6, "TIME_WAIT slot reused")
	TCP_CLOSED(destroy, 7, "table destroyed")
};

#define HTTP_CLASS(digit) { "status_" #digit "xx", "HTTP responses " #digit "xx", \
			    "http_responses_by_class", #digit "xx", \
			    SLOT(struct http_counters, status_class) + (digit), STAT_COUNTER, 0 },

static const struct stat_desc http_stats[] = {
#define X(name, help) { #name, help, NULL, NULL, SLOT(struct http_counters, name), \
			STAT_COUNTER, 0 },
	HTTP_COUNTERS(X)
#undef X
#define X(name, text) { "method_" #name, "HTTP requests: " text, "http_requests_by_method", \
			text, SLOT(struct http_counters, method) + HTTP_M_##name, \
			STAT_COUNTER, 0 },
	HTTP_METHODS(X)
#undef X
	HTTP_CLASS(0) HTTP_CLASS(1) HTTP_CLASS(2) HTTP_CLASS(3) HTTP_CLASS(4) HTTP_CLASS(5)
#define X(code, reason) { "status_" #code, "HTTP responses " #code " " reason, \
			  "http_responses_by_status", #code, \
			  SLOT(struct http_counters, status) + HTTP_S_##code, STAT_COUNTER, 0 },
	HTTP_STATUSES(X)
#undef X
#define X(name, status, help) { "perr_" #name, "HTTP requests refused: " help, \
				"http_parse_errors", #name, \
				SLOT(struct http_counters, perr) + HTTP_PERR_##name, \
				STAT_COUNTER, 0 },
	HTTP_PARSE_ERRORS(X)
#undef X
};

/* rx and tx are on the DHCP line even when zero. */
static const struct stat_desc dhcp_stats[] = {
#define X(name, help) { #name, help, NULL, NULL, SLOT(struct dhcp_counters, name), STAT_COUNTER, \
			SLOT(struct dhcp_counters, name) <= SLOT(struct dhcp_counters, tx) \
				? STAT_F_ALWAYS : 0 },
	DHCP_COUNTERS(X)
#undef X
};

static const struct stat_desc control_stats[] = { STATS_CONTROL(E_CTL) };

static const struct stat_desc cache_stats[] = { STATS_CACHE(E_CACHE) };

#define SECTION(name, src, per_lcore, line, prefix, key, table) \
	{ name, src, per_lcore, line, prefix, key, table, DIM(table) }

const struct stat_section stats_sections[] = {
	SECTION("port", STAT_SRC_PORT, false, STAT_LINE_PORT, "", "port", port_stats),
	SECTION("worker", STAT_SRC_WORKER, true, STAT_LINE_FRAMES, "", NULL, worker_stats),
	SECTION("drops", STAT_SRC_WORKER, true, STAT_LINE_FRAMES, "drop_", "drops", drop_stats),
	SECTION("worker", STAT_SRC_WORKER_RATIO, true, STAT_LINE_RATIO, "", NULL, ratio_stats),
	SECTION("tftp", STAT_SRC_TFTP_GLUE, true, STAT_LINE_TFTP, "", "tftp", tftp_glue_stats),
	SECTION("tftp", STAT_SRC_TFTP, true, STAT_LINE_TFTP, "", "tftp", tftp_stats),
	SECTION("tcp", STAT_SRC_TCP_STATE, true, STAT_LINE_HTTP, "", "tcp", tcp_state_stats),
	SECTION("http", STAT_SRC_HTTP_GLUE, true, STAT_LINE_HTTP, "", "http", http_glue_stats),
	SECTION("tcp", STAT_SRC_TCP, true, STAT_LINE_HTTP, "tcp_", "tcp", tcp_stats),
	SECTION("http", STAT_SRC_HTTP, true, STAT_LINE_HTTP, "", "http", http_stats),
	SECTION("dhcp", STAT_SRC_DHCP, true, STAT_LINE_DHCP, "", "dhcp", dhcp_stats),
	SECTION("control", STAT_SRC_CONTROL, false, STAT_LINE_CONTROL, "", NULL, control_stats),
	SECTION("cache", STAT_SRC_CACHE, false, STAT_LINE_CONTROL, "cache_", "cache", cache_stats),
};

const unsigned stats_n_sections = DIM(stats_sections);

/* What a reason family counts as a whole: its entries' help texts each
 * describe one reason. test_stats.c checks every family has one. */
static const struct {
	const char *family, *help;
} families[] = {
	{ "drops", "frames a worker dropped, by reason" },
	{ "tftp_requests", "TFTP requests parsed, by outcome" },
	{ "tftp_errors_sent", "TFTP ERROR packets sent, by error code (reason)" },
	{ "tcp_drops", "TCP segments dropped, by reason" },
	{ "tcp_closed", "TCP connections closed, by reason" },
	{ "http_requests_by_method", "HTTP requests, by method (reason)" },
	{ "http_responses_by_class", "HTTP responses, by status class (reason)" },
	{ "http_responses_by_status", "HTTP responses, by status code (reason)" },
	{ "http_parse_errors", "HTTP requests refused as malformed, by reason" },
};

const char *stats_family_help(const char *family)
{
	for (unsigned i = 0; i < DIM(families); i++)
		if (strcmp(families[i].family, family) == 0)
			return families[i].help;
	return NULL;
}
