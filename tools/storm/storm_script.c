/* SPDX-License-Identifier: BSD-3-Clause */
#include "storm_script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void storm_script_init(struct storm_script *s)
{
	memset(s, 0, sizeof(*s));
}

/* ${name} to its value; unknown variables expand to nothing, as in iPXE. */
static const char *var_value(const char *name, size_t n, const struct storm_script_vars *v,
			     char *buf, size_t cap)
{
	buf[0] = '\0';
	if ((n == 8 && memcmp(name, "net0/mac", 8) == 0) || (n == 3 && memcmp(name, "mac", 3) == 0))
		mac_format(&v->mac, buf);
	else if ((n == 7 && memcmp(name, "net0/ip", 7) == 0) || (n == 2 && memcmp(name, "ip", 2) == 0))
		ipv4_format(v->ip, buf);
	else if (n == 8 && memcmp(name, "platform", 8) == 0)
		snprintf(buf, cap, "%s", v->uefi ? "efi" : "pcbios");
	else if (n == 9 && memcmp(name, "buildarch", 9) == 0)
		snprintf(buf, cap, "%s", v->uefi ? "x86_64" : "i386");
	return buf;
}

/* Copy the word at @a p (up to a space) into @a out with ${...} expanded.
 * @return false when it does not fit. */
static bool expand_word(const char *p, char *out, size_t cap, const struct storm_script_vars *v)
{
	size_t o = 0;
	char val[32];

	while (*p != '\0' && *p != ' ' && *p != '\t') {
		const char *end;

		if (p[0] == '$' && p[1] == '{' && (end = strchr(p + 2, '}')) != NULL) {
			size_t n = strlen(var_value(p + 2, (size_t)(end - p - 2), v, val, sizeof(val)));

			if (cap - o <= n)
				return false;
			memcpy(out + o, val, n);
			o += n;
			p = end + 1;
			continue;
		}
		if (cap - o <= 1)
			return false;
		out[o++] = *p++;
	}
	out[o] = '\0';
	return true;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The first word after the command's options ("kernel --name x URL"). */
static const char *first_arg(const char *p)
{
	p = skip_ws(p);
	while (p[0] == '-' && p[1] == '-') {
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		p = skip_ws(p);
		/* options with a value: --name x, --timeout n */
		if (*p != '\0' && strncmp(p, "http", 4) != 0 && p[0] != '-') {
			while (*p != '\0' && *p != ' ' && *p != '\t')
				p++;
			p = skip_ws(p);
		}
	}
	return p;
}

static bool is_cmd(const char *line, const char *cmd, const char **rest)
{
	size_t n = strlen(cmd);

	if (strncmp(line, cmd, n) != 0 || (line[n] != ' ' && line[n] != '\t' && line[n] != '\0'))
		return false;
	*rest = line + n;
	return true;
}

static void do_chain(struct storm_script *s, const char *rest, const struct storm_script_vars *v)
{
	const char *alt = strstr(rest, "||");

	if (!expand_word(first_arg(rest), s->url[0], STORM_URL_MAX, v)) {
		s->outcome = STORM_SCRIPT_BAD;
		return;
	}
	s->url[1][0] = '\0';
	if (alt != NULL) {
		const char *r;

		alt = skip_ws(alt + 2);
		if (is_cmd(alt, "chain", &r) && !expand_word(first_arg(r), s->url[1], STORM_URL_MAX, v))
			s->url[1][0] = '\0';
	}
	s->outcome = STORM_SCRIPT_CHAIN;
	s->done = true;
}

static void do_kernel(struct storm_script *s, const char *rest, const struct storm_script_vars *v)
{
	const char *job = strstr(rest, "stampede.job=");

	if (!expand_word(first_arg(rest), s->kernel, STORM_URL_MAX, v))
		s->outcome = STORM_SCRIPT_BAD;
	s->job_id = job != NULL ? (uint32_t)strtoul(job + 13, NULL, 10) : 0;
}

/* "choose --default X ..." jumps to :X, as the menu's timeout would. */
static void do_choose(struct storm_script *s, const char *rest)
{
	const char *d = strstr(rest, "--default");
	size_t n = 0;

	if (d == NULL)
		return;
	d = skip_ws(d + 9);
	while (d[n] != '\0' && d[n] != ' ' && d[n] != '\t' && n + 1 < sizeof(s->skip_to))
		n++;
	memcpy(s->skip_to, d, n);
	s->skip_to[n] = '\0';
}

static void do_line(struct storm_script *s, const char *line, const struct storm_script_vars *v)
{
	const char *rest;

	line = skip_ws(line);
	if (!s->started) {
		s->started = true;
		if (strncmp(line, "#!ipxe", 6) != 0) {
			s->outcome = STORM_SCRIPT_BAD;
			s->done = true;
		}
		return;
	}
	if (s->skip_to[0] != '\0') {
		if (line[0] == ':' && strcmp(line + 1, s->skip_to) == 0)
			s->skip_to[0] = '\0';
		return;
	}
	if (is_cmd(line, "chain", &rest))
		do_chain(s, rest, v);
	else if (is_cmd(line, "kernel", &rest))
		do_kernel(s, rest, v);
	else if (is_cmd(line, "initrd", &rest) || is_cmd(line, "imgfetch", &rest) ||
		 is_cmd(line, "module", &rest))
		s->outcome = expand_word(first_arg(rest), s->initrd, STORM_URL_MAX, v)
			     ? s->outcome : STORM_SCRIPT_BAD;
	else if (is_cmd(line, "boot", &rest) && s->kernel[0] != '\0')
		s->outcome = STORM_SCRIPT_BOOT, s->done = true;
	else if (is_cmd(line, "sanboot", &rest) || is_cmd(line, "exit", &rest))
		s->outcome = STORM_SCRIPT_LOCAL, s->done = true;
	else if (is_cmd(line, "sleep", &rest))
		s->sleep_s = (uint32_t)strtoul(skip_ws(rest), NULL, 10);
	else if (is_cmd(line, "choose", &rest))
		do_choose(s, rest);
	else if (is_cmd(line, "goto", &rest))
		snprintf(s->skip_to, sizeof(s->skip_to), "%s", skip_ws(rest));
	else if (strncmp(line, "iseq ", 5) == 0 && strstr(line, "sanboot") != NULL)
		s->outcome = STORM_SCRIPT_LOCAL, s->done = true;
	if (s->outcome == STORM_SCRIPT_BAD)
		s->done = true;
}

void storm_script_feed(struct storm_script *s, const void *p, size_t n,
		       const struct storm_script_vars *v)
{
	const char *c = p;

	for (size_t i = 0; i < n && !s->done; i++) {
		if (c[i] == '\r')
			continue;
		if (c[i] != '\n') {
			if (s->len + 1u >= sizeof(s->line)) {
				s->outcome = STORM_SCRIPT_BAD;
				s->done = true;
				return;
			}
			s->line[s->len++] = c[i];
			continue;
		}
		s->line[s->len] = '\0';
		s->len = 0;
		do_line(s, s->line, v);
	}
}

enum storm_script_outcome storm_script_end(struct storm_script *s,
					   const struct storm_script_vars *v)
{
	if (!s->done && s->len > 0) {
		s->line[s->len] = '\0';
		s->len = 0;
		do_line(s, s->line, v);
	}
	if (!s->started)
		s->outcome = STORM_SCRIPT_BAD;
	/* kernel + initrd without a "boot" line: iPXE would fall off the end */
	return (enum storm_script_outcome)s->outcome;
}

bool storm_url_split(const char *url, uint32_t *ip, uint16_t *port, const char **path)
{
	char host[STP_IPV4_STRLEN + 1];
	const char *h = url + 7, *slash, *colon;
	size_t n;

	if (strncmp(url, "http://", 7) != 0 || (slash = strchr(h, '/')) == NULL)
		return false;
	colon = memchr(h, ':', (size_t)(slash - h));
	n = (size_t)((colon != NULL ? colon : slash) - h);
	if (n >= sizeof(host))
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	if (!ipv4_parse(host, ip))
		return false;
	*port = 80;
	if (colon != NULL) {
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);

		if (end != slash || p == 0 || p > 65535)
			return false;
		*port = (uint16_t)p;
	}
	*path = slash;
	return true;
}
