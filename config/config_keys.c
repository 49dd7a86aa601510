/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every key the parser accepts, listed from the very tables it walks
 * (config_parse.c): what keeps full.yaml, the README's table and
 * `stampede --help-config` complete (tests/unit/test_config.c checks the
 * first two against this list).
 */
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

/* "auto|af_xdp|af_packet" */
static const char *word_list(const struct config_words *ws, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ws->n && o < size; i++) {
		int w = snprintf(buf + o, size - o, "%s%s", i ? "|" : "", ws->w[i].name);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	return buf;
}

static const char *type_of(const struct config_field *f, char *buf, size_t size)
{
	switch (f->kind) {
	case CK_STR:
		return "string";
	case CK_BOOTNAME:
		return "file name";
	case CK_BOOL:
		return "bool";
	case CK_UINT:
	case CK_U16:
		return "integer";
	case CK_IPV4:
		return "IPv4 address";
	case CK_WORD:
		return word_list(f->words, buf, size);
	case CK_SECTION:
		return "section";
	case CK_FN:
		return f->what ? f->what : "value";
	}
	return "value";
}

static void each_in(const struct config_section *s, const char *prefix,
		    void (*fn)(void *ctx, const struct config_key *k), void *ctx)
{
	for (size_t i = 0; i < s->n_fields; i++) {
		const struct config_field *f = &s->fields[i];
		char path[CONFIG_PATH_MAX], type[96];
		struct config_key k;

		config_path_join(path, prefix, f->key);
		if (f->kind == CK_SECTION) {
			each_in(f->section, path, fn, ctx);
			continue;
		}
		k.path = path;
		k.type = type_of(f, type, sizeof(type));
		/* A CK_FN integer with a range of its own says so with max. */
		k.ranged = f->kind == CK_UINT || f->kind == CK_U16 || (f->kind == CK_FN && f->max);
		k.min = f->min;
		k.max = f->max;
		fn(ctx, &k);
		if (f->items != NULL) {
			char sub[CONFIG_PATH_MAX + 2];

			snprintf(sub, sizeof(sub), "%s[]", path);
			each_in(f->items, sub, fn, ctx);
		}
	}
}

void config_each_key(void (*fn)(void *ctx, const struct config_key *k), void *ctx)
{
	each_in(&config_top_section, "", fn, ctx);
}
