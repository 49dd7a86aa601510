/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file config.c
 * Loading: file to memory, memory to a libyaml document, document to
 * struct stp_config (config_parse.c), then the checks across sections
 * (config_validate.c). The document API is used rather than events because
 * it hands us every node with its line and lets the schema walk in any
 * order; a config file is small, so holding the tree costs nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_internal.h"

/* Far above any real config (4096 hosts are ~400 KiB); stops a wrong path
 * such as a disk image from being read into memory. */
#define CONFIG_FILE_MAX (16u << 20)

void config_defaults(struct stp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->eal.memory_mb = 1024;
	cfg->eal.mbufs = 16383;
	cfg->port.driver = CFG_DRIVER_AUTO;
	cfg->port.mtu = 1500;
	cfg->dhcp.mode = CFG_DHCP_SERVER;
	cfg->dhcp.lease_time = 3600;
	cfg->dhcp.offer_hold = 30;
	snprintf(cfg->boot.bios, sizeof(cfg->boot.bios), "undionly.kpxe");
	snprintf(cfg->boot.uefi, sizeof(cfg->boot.uefi), "ipxe.efi");
	snprintf(cfg->boot.script, sizeof(cfg->boot.script), "boot.ipxe");
	cfg->boot.http_port = 80;
	cfg->boot.no_pxedhcp = true;
	cfg->boot.ipv6_ra = true;
	cfg->port.zero_copy = -1;
	cfg->port.tx_offload = true;
	cfg->http.enabled = true;
	cfg->http.max_conns = 4096;
	cfg->http.rx_buf = 8192;
	cfg->http.head_timeout_ms = 10000;
	cfg->http.idle_timeout_ms = 60000;
	cfg->http.max_transfers = 0;
	cfg->http.large_object_kb = 1024;
	cfg->tftp.enabled = true;
	cfg->tftp.max_sessions = 4096;
	cfg->tftp.max_windowsize = 64;
	cfg->tftp.port_first = 49152;
	cfg->tftp.timeout_ms = 1000;
	cfg->tftp.retries = 6;
	cfg->jobs.max_active = 0; /* no limit */
	cfg->jobs.slot_timeout_s = 600;
	snprintf(cfg->control.database, sizeof(cfg->control.database),
		 "/var/lib/stampede/stampede.db");
	snprintf(cfg->control.api_listen, sizeof(cfg->control.api_listen), "127.0.0.1:8080");
	cfg->control.api_enabled = true;
	cfg->control.api_addr = 0x7f000001; /* loopback: no token needed for reads */
	cfg->control.api_port = 8080;
	/* control.token stays "": admin changes are refused until one is set. */
	snprintf(cfg->control.config_dir, sizeof(cfg->control.config_dir), ".");
	cfg->control.metrics_public = true; /* scrapers usually carry no token */
}

/*
 * control.config_dir defaults to the directory of the file, so a config
 * and its template travel together. dirname() semantics without its
 * in-place surprises: "a/b.yaml" -> "a", "b.yaml" -> ".", "/b.yaml" -> "/".
 */
static void default_config_dir(struct stp_config *cfg, const char *name)
{
	const char *slash = strrchr(name, '/');
	size_t n;

	if (slash == NULL)
		return; /* config_defaults() already said "." */
	n = (size_t)(slash - name);
	if (n == 0)
		n = 1;
	/* name fits cfg->path, which is as large as config_dir. */
	memcpy(cfg->control.config_dir, name, n);
	cfg->control.config_dir[n] = '\0';
}

/* 1-based line of byte @a off, for reader errors that carry no mark. */
static int line_of_offset(const char *text, size_t len, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off && i < len; i++)
		line += text[i] == '\n';
	return line;
}

/* The number of the last line that has text (at least 1). */
static int last_line(const char *text, size_t len)
{
	int n = line_of_offset(text, len, len);

	return n > 1 && text[len - 1] == '\n' ? n - 1 : n;
}

/* libyaml's own words for a syntax error, at the line it points to. */
static int yaml_error(struct config_ctx *c, const yaml_parser_t *p,
		      const char *text, size_t len)
{
	int line;

	if (p->error == YAML_MEMORY_ERROR)
		return config_err(c, 1, "", "out of memory parsing YAML");
	if (p->error == YAML_READER_ERROR)
		line = line_of_offset(text, len, p->problem_offset);
	else if (p->error == YAML_SCANNER_ERROR && p->context != NULL)
		/* The scanner names the token it was in ("while scanning a
		 * quoted scalar"); its start is what to fix, the problem mark
		 * often sits lines later or at the end of the file. */
		line = (int)p->context_mark.line + 1;
	else
		line = (int)p->problem_mark.line + 1;
	/* Never point past the last line (a mark at the end of the file,
	 * after its final newline). */
	if (line > last_line(text, len))
		line = last_line(text, len);
	if (p->context != NULL && line == (int)p->context_mark.line + 1)
		return config_err(c, line, "YAML syntax", "%s (%s)",
				  p->problem ? p->problem : "error", p->context);
	if (p->context != NULL)
		return config_err(c, line, "YAML syntax", "%s (%s at line %d)",
				  p->problem ? p->problem : "error", p->context,
				  (int)p->context_mark.line + 1);
	return config_err(c, line, "YAML syntax", "%s", p->problem ? p->problem : "error");
}

/* A second document ("---" again) would be silently ignored: refuse it. */
static int check_single_document(struct config_ctx *c, yaml_parser_t *parser,
				 const char *text, size_t len)
{
	yaml_document_t next;
	const yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_load(parser, &next))
		return yaml_error(c, parser, text, len);
	root = yaml_document_get_root_node(&next);
	if (root != NULL)
		rc = config_err(c, config_node_line(root), "",
				"only one YAML document is allowed (remove the second \"---\")");
	yaml_document_delete(&next);
	return rc;
}

/* Parse the one document of @a parser and fill c->cfg from it. */
static int load_document(struct config_ctx *c, yaml_parser_t *parser,
			 const char *text, size_t len)
{
	yaml_document_t doc;
	const yaml_node_t *root;
	int rc = -1;

	if (!yaml_parser_load(parser, &doc))
		return yaml_error(c, parser, text, len);
	c->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* Only comments, or a bare "---", is no configuration at all. */
	if (root == NULL || config_node_is_null(root))
		config_err(c, root ? config_node_line(root) : 1, "", "no configuration");
	else if (check_single_document(c, parser, text, len) == 0 &&
		 config_parse_root(c, root) == 0 && config_validate(c) == 0)
		rc = 0;
	c->doc = NULL;
	yaml_document_delete(&doc);
	return rc;
}

int config_load_string(const char *name, const char *text, size_t len,
		       struct stp_config *cfg, char *err, size_t errlen)
{
	yaml_parser_t parser;
	struct config_ctx *c;
	int rc = -1;

	if (errlen > 0)
		err[0] = '\0';
	config_defaults(cfg);
	/* The context holds per-host line numbers: too big for a stack. */
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	*c = (struct config_ctx){ .name = name, .cfg = cfg, .err = err, .errlen = errlen };
	if (strlen(name) >= sizeof(cfg->path)) {
		config_err(c, 0, "", "file name too long");
		goto err_free_ctx;
	}
	memcpy(cfg->path, name, strlen(name) + 1);
	default_config_dir(cfg, name);
	if (!yaml_parser_initialize(&parser)) {
		config_err(c, 1, "", "out of memory");
		goto err_free_ctx;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	rc = load_document(c, &parser, text, len);
	yaml_parser_delete(&parser);
err_free_ctx:
	free(c);
	return rc;
}

/* Read all of @a f into a new buffer (caller frees); NULL with errno. */
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;

	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb;

			if (cap >= CONFIG_FILE_MAX) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	*len = n;
	return buf;
}

int config_load(const char *path, struct stp_config *cfg, char *err, size_t errlen)
{
	struct stat st;
	size_t len = 0;
	char *text;
	FILE *f;
	int rc;

	config_defaults(cfg);
	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a config file", path);
		fclose(f);
		return -1;
	}
	text = read_all(f, &len);
	fclose(f);
	if (text == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 errno == EFBIG ? "larger than 16 MiB, not a config file" : strerror(errno));
		return -1;
	}
	if (len == 0) {
		snprintf(err, errlen, "%s:1: no configuration (the file is empty)", path);
		free(text);
		return -1;
	}
	rc = config_load_string(path, text, len, cfg, err, errlen);
	free(text);
	return rc;
}

const struct cfg_pool *config_pool_for(const struct stp_config *cfg, uint32_t addr)
{
	for (unsigned i = 0; i < cfg->dhcp.n_pools; i++) {
		const struct cfg_pool *p = &cfg->dhcp.pools[i];

		if (ipv4_same_subnet(addr, p->subnet, p->prefix_len))
			return p;
	}
	return NULL;
}
