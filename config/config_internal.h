/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file config_internal.h
 * What the files of the config loader share and nobody else sees: the load
 * context, the key tables that drive the YAML walk, and the node helpers.
 *
 * Every helper that can fail writes the one error line through config_err()
 * and returns -1; the first error wins, later ones are dropped, so callers
 * simply propagate -1.
 */
#ifndef STP_CONFIG_INTERNAL_H
#define STP_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "config.h"

/* Longest dotted key path in a message, e.g. "dhcp.pools[62].router". */
#define CONFIG_PATH_MAX 64

/** Where the parts of one pool came from, for messages after the walk. */
struct config_pool_src {
	int index;       /* position in dhcp.pools, -1: the local dhcp.pool */
	int subnet_line; /* port.address for the local pool */
	int range_line;  /* 0: no range given */
	int router_line;
	int dns_line;
	bool router_is_dhcp; /* router came from dhcp.router, not the entry */
};

/** One load: input, output and the first error. */
struct config_ctx {
	const char *name;            /* file name for messages */
	yaml_document_t *doc;
	struct stp_config *cfg;
	char *err;
	size_t errlen;
	bool failed;

	/* Lines of keys the cross-checks in config_validate.c report on. */
	int dhcp_line, address_line, pool_line, router_line, dns_line;
	int pools_line;              /* the dhcp.pools key */
	struct config_pool_src pool_src[CFG_MAX_POOLS];
	int host_ip_line[CFG_MAX_HOSTS];
};

enum config_kind {
	CK_STR,      /* string into char[size] */
	CK_BOOTNAME, /* CK_STR that must be a safe relative file name */
	CK_BOOL,     /* bool */
	CK_UINT,     /* unsigned within [min, max] */
	CK_U16,      /* uint16_t within [min, max] */
	CK_IPV4,     /* uint32_t host order */
	CK_WORD,     /* one of words, case-insensitive, its value into an int */
	CK_SECTION,  /* a mapping of its own, walked with section */
	CK_FN,       /* anything else: call fn */
};

struct config_field;

/**
 * Parse @a val (the value of key @a f->key, whose key sits on @a key_line)
 * into @a at, the walk's base plus f->off. @a path is the dotted key for
 * messages.
 */
typedef int (*config_field_fn)(struct config_ctx *c, const struct config_field *f,
			       int key_line, const yaml_node_t *val,
			       const char *path, void *at);

/** A word a CK_WORD key accepts, and the value it stands for. */
struct config_word {
	const char *name;
	int value;
};

/** The words of a CK_WORD key, in the order its messages list them. */
struct config_words {
	const char *what;              /* "a driver": "dpdk" is not a driver */
	const struct config_word *w;
	size_t n;
};

/* Keys a CK_SECTION table may have (the size of its lines array). */
#define CONFIG_SECTION_KEYS_MAX 16

/**
 * A CK_SECTION: the key table of the nested mapping, walked with the same
 * base, and the checks across its keys that run after the walk.
 */
struct config_section {
	const struct config_field *fields;
	size_t n_fields;             /* at most CONFIG_SECTION_KEYS_MAX */
	/* @a lines: the line of each key given, 0 for keys absent. NULL: none. */
	int (*check)(struct config_ctx *c, int key_line, const char *path,
		     const int *lines);
};

/** One key of a mapping: its name, type and where it lands in @a base. */
struct config_field {
	const char *key;
	enum config_kind kind;
	size_t off;            /* offset of the target inside base */
	size_t size;           /* CK_STR, CK_BOOTNAME: buffer size; CK_WORD: sizeof(int) */
	uint32_t min, max;     /* CK_UINT, CK_U16; a CK_FN integer may have them too */
	const struct config_words *words;     /* CK_WORD */
	const struct config_section *section; /* CK_SECTION */
	config_field_fn fn;    /* CK_FN */
	const char *what;      /* CK_FN: what the value is, for config_each_key() */
	/* CK_FN parsing a list of mappings: each item's keys, for
	 * config_each_key() (fn walks the same table). */
	const struct config_section *items;
};

/* config_node.c: errors and scalar conversion */
int config_err(struct config_ctx *c, int line, const char *path,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int config_err_val(struct config_ctx *c, const yaml_node_t *n, const char *path,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int config_node_line(const yaml_node_t *n);
const yaml_node_t *config_node_get(const struct config_ctx *c, int index);
bool config_node_is_null(const yaml_node_t *n);
const char *config_node_quote(const yaml_node_t *n, char *buf, size_t size);
const char *config_node_scalar(struct config_ctx *c, const yaml_node_t *n,
			       const char *path, const char *what);
int config_node_str(struct config_ctx *c, const yaml_node_t *n,
		    const char *path, char *dst, size_t size);
int config_node_bool(struct config_ctx *c, const yaml_node_t *n,
		     const char *path, bool *out);
int config_node_uint(struct config_ctx *c, const yaml_node_t *n,
		     const char *path, uint32_t min, uint32_t max, uint32_t *out);
int config_node_ipv4(struct config_ctx *c, const yaml_node_t *n,
		     const char *path, uint32_t *out);
int config_node_range(struct config_ctx *c, const yaml_node_t *n,
		      const char *path, uint32_t *first, uint32_t *last);
int config_node_bootname(struct config_ctx *c, const yaml_node_t *n,
			 const char *path, char *dst, size_t size);
const char *config_node_kind_name(const yaml_node_t *n);

/* config_map.c: the table-driven mapping walk */
int config_map_walk(struct config_ctx *c, const yaml_node_t *map,
		    const char *path, const struct config_field *fields,
		    size_t n_fields, void *base, int *lines);
int config_seq_items(struct config_ctx *c, const yaml_node_t *seq,
		     const char *path, const yaml_node_item_t **items,
		     size_t *n_items);
void config_path_join(char *dst, const char *path, const char *key);

/* config_parse.c: the schema */
int config_parse_root(struct config_ctx *c, const yaml_node_t *root);
/* The document's keys (the sections eal, port, ...; hosts): what
 * config_parse_root() walks, and config_each_key() lists. */
extern const struct config_section config_top_section;

/* config_validate.c: checks across keys */
int config_validate(struct config_ctx *c);

#endif
