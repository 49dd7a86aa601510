/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file config_validate.c
 * Checks that relate keys of different sections: the local pool is built
 * from port.address + dhcp.pool, every pool must fit its subnet and leave
 * the server, router, network and broadcast addresses alone, subnets must
 * not overlap (config_pool_for() must have one answer), and reservations
 * must be unique and inside a pool subnet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

enum pool_key { PK_SUBNET, PK_RANGE, PK_ROUTER, PK_DNS };

/* The key a pool's part was written under, e.g. "dhcp.pools[2].range". */
static const char *pool_key(const struct config_pool_src *src, enum pool_key k,
			    char *buf, size_t size)
{
	static const char *const local[] = { "port.address", "dhcp.pool", "dhcp.router", "dhcp.dns" };
	static const char *const entry[] = { "subnet", "range", "router", "dns" };

	if (src->index < 0 || (k == PK_ROUTER && src->router_is_dhcp))
		return local[k];
	snprintf(buf, size, "dhcp.pools[%d].%s", src->index, entry[k]);
	return buf;
}

static bool pool_has_range(const struct config_pool_src *src)
{
	return src->range_line != 0;
}

/* Network and broadcast only exist for prefixes up to /30 (RFC 3021). */
static bool is_net_or_bcast(uint32_t a, uint32_t subnet, unsigned prefix_len)
{
	uint32_t mask = ipv4_prefix_mask(prefix_len);

	if (prefix_len > 30 || (a & mask) != (subnet & mask))
		return false;
	return (a & ~mask) == 0 || (a & ~mask) == ~mask;
}

/*
 * The local subnet is pools[0]. Without dhcp.pool, a dhcp.pools entry for
 * the local subnet may supply its range; it moves to [0] and keeps its own
 * router and DNS, falling back to dhcp.router / dhcp.dns.
 */
static void build_local_pool(struct config_ctx *c)
{
	struct stp_config *cfg = c->cfg;
	struct cfg_pool *p0 = &cfg->dhcp.pools[0];
	uint32_t subnet = cfg->port.addr & ipv4_prefix_mask(cfg->port.prefix_len);

	if (cfg->dhcp.n_pools == 0)
		cfg->dhcp.n_pools = 1;
	p0->subnet = subnet;
	p0->prefix_len = cfg->port.prefix_len;
	p0->line = c->pool_line ? c->pool_line : c->address_line;
	c->pool_src[0] = (struct config_pool_src){
		.index = -1, .subnet_line = c->address_line, .range_line = c->pool_line,
		.router_line = c->router_line, .dns_line = c->dns_line,
	};
	if (c->pool_line != 0)
		return;
	for (unsigned i = 1; i < cfg->dhcp.n_pools; i++) {
		struct cfg_pool e = cfg->dhcp.pools[i];
		struct config_pool_src src = c->pool_src[i];

		if (e.subnet != subnet || e.prefix_len != p0->prefix_len)
			continue;
		if (src.router_line == 0 && c->router_line != 0) {
			e.router = p0->router;
			src.router_line = c->router_line;
			src.router_is_dhcp = true;
		}
		if (src.dns_line == 0) {
			memcpy(e.dns, p0->dns, sizeof(e.dns));
			e.n_dns = p0->n_dns;
		}
		/* The entry replaces the range-less [0]; later entries close
		 * the gap so the list keeps its order. */
		memmove(&cfg->dhcp.pools[i], &cfg->dhcp.pools[i + 1],
			(cfg->dhcp.n_pools - i - 1) * sizeof(e));
		memmove(&c->pool_src[i], &c->pool_src[i + 1],
			(cfg->dhcp.n_pools - i - 1) * sizeof(src));
		cfg->dhcp.n_pools--;
		cfg->dhcp.pools[0] = e;
		c->pool_src[0] = src;
		return;
	}
}

/* The range of pool @a i: ordered, inside its subnet, clear of special
 * addresses. */
static int check_range(struct config_ctx *c, unsigned i)
{
	const struct stp_config *cfg = c->cfg;
	const struct cfg_pool *p = &cfg->dhcp.pools[i];
	const struct config_pool_src *src = &c->pool_src[i];
	char k[CONFIG_PATH_MAX], a[STP_IPV4_STRLEN], b[STP_IPV4_STRLEN], n[STP_IPV4_STRLEN];
	const char *key = pool_key(src, PK_RANGE, k, sizeof(k));
	const char *where = i == 0 ? "the server subnet" : "its subnet";
	uint32_t mask = ipv4_prefix_mask(p->prefix_len);
	int line = src->range_line;

	ipv4_format(p->first, a);
	ipv4_format(p->last, b);
	ipv4_format(p->subnet, n);
	if (p->first > p->last)
		return config_err(c, line, key, "%s-%s is backwards (first address above the last)", a, b);
	if ((p->first & mask) != p->subnet)
		return config_err(c, line, key, "%s is outside %s %s/%u", a, where, n, p->prefix_len);
	if ((p->last & mask) != p->subnet)
		return config_err(c, line, key, "%s is outside %s %s/%u", b, where, n, p->prefix_len);
	if (p->prefix_len <= 30 && p->first == p->subnet)
		return config_err(c, line, key, "%s-%s includes the network address %s", a, b, n);
	if (p->prefix_len <= 30 && p->last == (p->subnet | ~mask))
		return config_err(c, line, key, "%s-%s includes the broadcast address %s", a, b, b);
	if (cfg->port.addr >= p->first && cfg->port.addr <= p->last)
		return config_err(c, line, key, "%s-%s includes the server address %s", a, b,
				  ipv4_format(cfg->port.addr, n));
	if (p->router != 0 && p->router >= p->first && p->router <= p->last)
		return config_err(c, line, key, "%s-%s includes the router %s", a, b,
				  ipv4_format(p->router, n));
	return 0;
}

static int check_router(struct config_ctx *c, unsigned i)
{
	const struct cfg_pool *p = &c->cfg->dhcp.pools[i];
	const struct config_pool_src *src = &c->pool_src[i];
	char k[CONFIG_PATH_MAX], r[STP_IPV4_STRLEN], n[STP_IPV4_STRLEN];
	const char *key = pool_key(src, PK_ROUTER, k, sizeof(k));

	if (src->router_line == 0)
		return 0;
	ipv4_format(p->router, r);
	ipv4_format(p->subnet, n);
	if (!ipv4_same_subnet(p->router, p->subnet, p->prefix_len))
		return config_err(c, src->router_line, key, "%s is outside the subnet %s/%u",
				  r, n, p->prefix_len);
	if (is_net_or_bcast(p->router, p->subnet, p->prefix_len))
		return config_err(c, src->router_line, key,
				  "%s is the network or broadcast address of %s/%u", r, n, p->prefix_len);
	return 0;
}

/* Subnets must be disjoint so that config_pool_for() has one answer. */
static int check_overlap(struct config_ctx *c, unsigned j)
{
	const struct stp_config *cfg = c->cfg;
	const struct cfg_pool *q = &cfg->dhcp.pools[j];
	char k[CONFIG_PATH_MAX], k2[CONFIG_PATH_MAX], a[STP_IPV4_STRLEN], b[STP_IPV4_STRLEN];
	const char *key = pool_key(&c->pool_src[j], PK_SUBNET, k, sizeof(k));

	for (unsigned i = 0; i < j; i++) {
		const struct cfg_pool *p = &cfg->dhcp.pools[i];
		unsigned shorter = p->prefix_len < q->prefix_len ? p->prefix_len : q->prefix_len;

		if (!ipv4_same_subnet(p->subnet, q->subnet, shorter))
			continue;
		ipv4_format(q->subnet, a);
		ipv4_format(p->subnet, b);
		if (i == 0 && c->pool_src[0].index < 0)
			return config_err(c, c->pool_src[j].subnet_line, key,
					  "%s/%u overlaps the local subnet %s/%u of port.address"
					  " (the local range goes in dhcp.pool)",
					  a, q->prefix_len, b, p->prefix_len);
		return config_err(c, c->pool_src[j].subnet_line, key,
				  "%s/%u overlaps %s %s/%u (line %d)", a, q->prefix_len,
				  pool_key(&c->pool_src[i], PK_SUBNET, k2, sizeof(k2)),
				  b, p->prefix_len, c->pool_src[i].subnet_line);
	}
	return 0;
}

static int check_pools(struct config_ctx *c)
{
	struct stp_config *cfg = c->cfg;

	if (cfg->dhcp.mode == CFG_DHCP_SERVER && !pool_has_range(&c->pool_src[0])) {
		char n[STP_IPV4_STRLEN];

		return config_err(c, c->dhcp_line ? c->dhcp_line : c->address_line, "dhcp.pool",
				  "is required in server mode (the default): a range first-last"
				  " in the local subnet %s/%u",
				  ipv4_format(cfg->dhcp.pools[0].subnet, n), cfg->dhcp.pools[0].prefix_len);
	}
	for (unsigned i = 0; i < cfg->dhcp.n_pools; i++) {
		if (pool_has_range(&c->pool_src[i]) && check_range(c, i) < 0)
			return -1;
		if (check_router(c, i) < 0 || check_overlap(c, i) < 0)
			return -1;
	}
	return 0;
}

/* Relayed pools without their own dns: get the local list (dhcp.dns). */
static void inherit_dns(struct config_ctx *c, const uint32_t *dns, unsigned n_dns)
{
	struct stp_config *cfg = c->cfg;

	for (unsigned i = 1; i < cfg->dhcp.n_pools; i++) {
		if (c->pool_src[i].dns_line != 0)
			continue;
		memcpy(cfg->dhcp.pools[i].dns, dns, n_dns * sizeof(*dns));
		cfg->dhcp.pools[i].n_dns = n_dns;
	}
}

/* One reservation's address against the pools and the server. */
static int check_host_ip(struct config_ctx *c, unsigned k)
{
	const struct stp_config *cfg = c->cfg;
	const struct cfg_host *h = &cfg->hosts[k];
	const struct cfg_pool *p = config_pool_for(cfg, h->ip);
	char key[CONFIG_PATH_MAX], a[STP_IPV4_STRLEN];
	int line = c->host_ip_line[k];

	snprintf(key, sizeof(key), "hosts[%u].ip", k);
	ipv4_format(h->ip, a);
	if (p == NULL)
		return config_err(c, line, key, "%s is outside every pool subnet", a);
	if (h->ip == cfg->port.addr)
		return config_err(c, line, key, "%s is the server's own address", a);
	if (is_net_or_bcast(h->ip, p->subnet, p->prefix_len))
		return config_err(c, line, key, "%s is the network or broadcast address", a);
	if (h->ip == p->router)
		return config_err(c, line, key, "%s is the router of its subnet", a);
	return 0;
}

struct dup_key {
	uint64_t key;
	int line;
	unsigned idx;
};

static int dup_cmp(const void *a, const void *b)
{
	const struct dup_key *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/*
 * Of all keys given twice, the repeat that comes first in the file, so the
 * message matches reading order: returns its index in @a v (sorted), or -1.
 */
static int first_repeat(struct dup_key *v, size_t n)
{
	int best = -1;

	qsort(v, n, sizeof(*v), dup_cmp);
	for (size_t i = 1; i < n; i++) {
		if (v[i].key == v[i - 1].key && (best < 0 || v[i].line < v[best].line))
			best = (int)i;
	}
	return best;
}

/* Duplicate MACs or IPs among reservations. Sorting keeps 4096 hosts cheap. */
static int check_host_dups(struct config_ctx *c, struct dup_key *v)
{
	const struct stp_config *cfg = c->cfg;
	char key[CONFIG_PATH_MAX], s[STP_MAC_STRLEN];
	int r;

	for (unsigned k = 0; k < cfg->n_hosts; k++) {
		uint64_t m = 0;

		for (int b = 0; b < STP_MAC_LEN; b++)
			m = m << 8 | cfg->hosts[k].mac.b[b];
		v[k] = (struct dup_key){ m, cfg->hosts[k].line, k };
	}
	r = first_repeat(v, cfg->n_hosts);
	if (r >= 0) {
		snprintf(key, sizeof(key), "hosts[%u].mac", v[r].idx);
		return config_err(c, v[r].line, key, "%s is already reserved at line %d",
				  mac_format(&cfg->hosts[v[r].idx].mac, s), v[r - 1].line);
	}
	for (unsigned k = 0; k < cfg->n_hosts; k++)
		v[k] = (struct dup_key){ cfg->hosts[k].ip, c->host_ip_line[k], k };
	r = first_repeat(v, cfg->n_hosts);
	if (r >= 0) {
		snprintf(key, sizeof(key), "hosts[%u].ip", v[r].idx);
		return config_err(c, v[r].line, key, "%s is already reserved at line %d",
				  ipv4_format(cfg->hosts[v[r].idx].ip, s), v[r - 1].line);
	}
	return 0;
}

static int check_hosts(struct config_ctx *c)
{
	struct dup_key *v;
	int rc;

	for (unsigned k = 0; k < c->cfg->n_hosts; k++) {
		if (check_host_ip(c, k) < 0)
			return -1;
	}
	if (c->cfg->n_hosts < 2)
		return 0;
	v = malloc(c->cfg->n_hosts * sizeof(*v));
	if (v == NULL)
		return config_err(c, 1, "hosts", "out of memory");
	rc = check_host_dups(c, v);
	free(v);
	return rc;
}

/** Run every check across sections; fills the derived parts of c->cfg. */
/* The mempool, rings and session tables need DPDK memory beside the
 * cache; leave them 96 MB of eal.memory_mb. */
#define CACHE_RESERVE_MB 96

static int check_cache(struct config_ctx *c)
{
	struct stp_config *cfg = c->cfg;

	if (cfg->cache.max_mb == 0) {
		cfg->cache.max_mb = cfg->eal.memory_mb / 2;
		return 0;
	}
	if (cfg->cache.max_mb + CACHE_RESERVE_MB > cfg->eal.memory_mb)
		return config_err(c, cfg->lines.cache_max_mb, "cache.max_mb",
				  "%u MB does not fit eal.memory_mb %u with %u MB left for "
				  "packet buffers (raise eal.memory_mb)",
				  cfg->cache.max_mb, cfg->eal.memory_mb, CACHE_RESERVE_MB);
	return 0;
}

int config_validate(struct config_ctx *c)
{
	uint32_t dns[CFG_MAX_DNS];
	unsigned n_dns = c->cfg->dhcp.pools[0].n_dns;

	/* dhcp.dns as written, before a pools entry may take over [0]. */
	memcpy(dns, c->cfg->dhcp.pools[0].dns, sizeof(dns));
	build_local_pool(c);
	if (check_pools(c) < 0)
		return -1;
	inherit_dns(c, dns, n_dns);
	if (check_hosts(c) < 0)
		return -1;
	return check_cache(c);
}
