/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file config_map.c
 * The table-driven walk over one YAML mapping: every key must be in the
 * table (else "unknown key", with the nearest known key as a hint), may
 * appear once, and its value is converted by its kind into the target.
 * libyaml's document API keeps the last of duplicate keys silently, so
 * duplicates are caught here.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"

/* Keys longer than this are never close to one of ours. */
#define HINT_LEN_MAX 32

void config_path_join(char *dst, const char *path, const char *key)
{
	int n;

	if (path[0] == '\0')
		n = snprintf(dst, CONFIG_PATH_MAX, "%s", key);
	else
		n = snprintf(dst, CONFIG_PATH_MAX, "%s.%s", path, key);
	/* A cut path only shortens a message about an absurdly long key. */
	(void)n;
}

/*
 * Edit distance with adjacent transpositions counted as one edit (optimal
 * string alignment), ignoring case: "dsn", "Pool" and "lease_tme" are all
 * one edit away from what was meant.
 */
static unsigned edit_distance(const char *a, const char *b)
{
	unsigned d[HINT_LEN_MAX + 1][HINT_LEN_MAX + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la > HINT_LEN_MAX || lb > HINT_LEN_MAX)
		return HINT_LEN_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = tolower((unsigned char)a[i - 1]) !=
					tolower((unsigned char)b[j - 1]);
			unsigned v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* The known key @a key most likely meant, or NULL. */
static const char *closest_key(const char *key, const struct config_field *f,
			       size_t n)
{
	const char *best = NULL;
	unsigned best_d = HINT_LEN_MAX;

	for (size_t i = 0; i < n; i++) {
		unsigned d = edit_distance(key, f[i].key);
		/* Short keys tolerate one slip, longer ones two. */
		unsigned limit = strlen(f[i].key) >= 5 ? 2 : 1;

		/* "lease" for "lease_time": a cut-off key is a clear hint. */
		if (strlen(key) >= 3 && strncasecmp(key, f[i].key, strlen(key)) == 0)
			d = 1;
		if (d <= limit && d < best_d) {
			best = f[i].key;
			best_d = d;
		}
	}
	return best;
}

static int unknown_key(struct config_ctx *c, int line, const char *path,
		       const char *key, const struct config_field *f, size_t n)
{
	const char *hint = closest_key(key, f, n);
	char list[256];
	size_t o = 0;

	if (hint != NULL)
		return config_err(c, line, path, "unknown key (did you mean \"%s\"?)", hint);
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", f[i].key);

		if (w < 0 || (size_t)w >= sizeof(list) - o)
			break;
		o += (size_t)w;
	}
	return config_err(c, line, path, "unknown key (expected one of: %s)", list);
}

/* "auto, af_xdp or af_packet": the words of @a ws as messages list them. */
static const char *word_choices(const struct config_words *ws, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ws->n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == ws->n ? " or " : ", ";
		int w = snprintf(buf + o, size - o, "%s%s", sep, ws->w[i].name);

		if (w < 0 || (size_t)w >= size - o)
			break;
		o += (size_t)w;
	}
	return buf;
}

/* One word out of @a ws, its value into the int at @a dst. */
static int map_word(struct config_ctx *c, const struct config_words *ws,
		    const yaml_node_t *val, const char *path, char *dst)
{
	char choices[128];
	const char *v = config_node_scalar(c, val, path,
					   word_choices(ws, choices, sizeof(choices)));

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < ws->n; i++) {
		if (strcasecmp(v, ws->w[i].name) == 0) {
			memcpy(dst, &ws->w[i].value, sizeof(int));
			return 0;
		}
	}
	return config_err_val(c, val, path, "is not %s (use %s)", ws->what, choices);
}

/* The nested mapping @a val with the table of @a s, then its checks. */
static int map_section(struct config_ctx *c, const struct config_section *s,
		       int key_line, const yaml_node_t *val, const char *path,
		       void *base)
{
	int lines[CONFIG_SECTION_KEYS_MAX];

	if (s->n_fields > CONFIG_SECTION_KEYS_MAX)
		return config_err(c, key_line, path, "internal: section table too long");
	if (config_map_walk(c, val, path, s->fields, s->n_fields, base, lines) < 0)
		return -1;
	return s->check != NULL ? s->check(c, key_line, path, lines) : 0;
}

/* Convert @a val by the kind of @a f and store it at base + f->off. */
static int map_field(struct config_ctx *c, const struct config_field *f,
		     int key_line, const yaml_node_t *val, const char *path,
		     void *base)
{
	char *dst = (char *)base + f->off;
	uint32_t u = 0;
	uint16_t u16;
	bool b;

	switch (f->kind) {
	case CK_STR:
		return config_node_str(c, val, path, dst, f->size);
	case CK_BOOTNAME:
		return config_node_bootname(c, val, path, dst, f->size);
	case CK_BOOL:
		if (config_node_bool(c, val, path, &b) < 0)
			return -1;
		memcpy(dst, &b, sizeof(b));
		return 0;
	case CK_UINT:
		if (config_node_uint(c, val, path, f->min, f->max, &u) < 0)
			return -1;
		memcpy(dst, &(unsigned){ u }, sizeof(unsigned));
		return 0;
	case CK_U16:
		if (config_node_uint(c, val, path, f->min, f->max, &u) < 0)
			return -1;
		u16 = (uint16_t)u;
		memcpy(dst, &u16, sizeof(u16));
		return 0;
	case CK_IPV4:
		if (config_node_ipv4(c, val, path, &u) < 0)
			return -1;
		memcpy(dst, &u, sizeof(u));
		return 0;
	case CK_WORD:
		if (f->size != sizeof(int))
			break;
		return map_word(c, f->words, val, path, dst);
	case CK_SECTION:
		return map_section(c, f->section, key_line, val, path, dst);
	case CK_FN:
		return f->fn(c, f, key_line, val, path, dst);
	}
	return config_err(c, key_line, path, "internal: bad field kind");
}

/** Find @a key in the table; -1 if absent. */
static int field_index(const struct config_field *f, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(f[i].key, key) == 0)
			return (int)i;
	}
	return -1;
}

/**
 * Walk mapping @a map (at dotted @a path) with the key table @a fields,
 * storing values into @a base. @a lines (n_fields entries) receives the
 * line of each key given, 0 for keys absent. An empty value ("eal:" alone)
 * is an empty mapping.
 */
int config_map_walk(struct config_ctx *c, const yaml_node_t *map,
		    const char *path, const struct config_field *fields,
		    size_t n_fields, void *base, int *lines)
{
	const yaml_node_pair_t *pair;

	memset(lines, 0, n_fields * sizeof(*lines));
	if (config_node_is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return config_err(c, config_node_line(map), path,
				  "expected a mapping of keys, got %s",
				  config_node_kind_name(map));
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const yaml_node_t *key = config_node_get(c, pair->key);
		const yaml_node_t *val = config_node_get(c, pair->value);
		char sub[CONFIG_PATH_MAX];
		int line, i;

		if (key == NULL || val == NULL)
			return config_err(c, config_node_line(map), path, "internal: broken document");
		line = config_node_line(key);
		if (key->type != YAML_SCALAR_NODE)
			return config_err(c, line, path, "keys must be plain words, got %s",
					  config_node_kind_name(key));
		config_path_join(sub, path, (const char *)key->data.scalar.value);
		i = field_index(fields, n_fields, (const char *)key->data.scalar.value);
		if (i < 0)
			return unknown_key(c, line, sub, (const char *)key->data.scalar.value,
					   fields, n_fields);
		if (lines[i] != 0)
			return config_err(c, line, sub, "duplicate key (first given at line %d)",
					  lines[i]);
		lines[i] = line;
		if (map_field(c, &fields[i], line, val, sub, base) < 0)
			return -1;
	}
	return 0;
}

/**
 * The items of list @a seq. An empty value is an empty list; anything else
 * that is not a list is an error.
 */
int config_seq_items(struct config_ctx *c, const yaml_node_t *seq,
		     const char *path, const yaml_node_item_t **items,
		     size_t *n_items)
{
	*items = NULL;
	*n_items = 0;
	if (config_node_is_null(seq))
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return config_err(c, config_node_line(seq), path, "expected a list, got %s",
				  config_node_kind_name(seq));
	*items = seq->data.sequence.items.start;
	*n_items = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	return 0;
}
