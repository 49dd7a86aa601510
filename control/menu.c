/* SPDX-License-Identifier: BSD-3-Clause */
#include "menu.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4_addr.h"

enum mvar {
	MV_SERVER, MV_HTTP_PORT, MV_MAC, MV_HOSTNAME, MV_JOB, MV_JOB_ID, MV_JOB_TYPE,
	MV_IMAGE, MV_KERNEL, MV_INITRD, MV_INITRD_NAME, MV_KERNEL_ARGS, MV_BIOS, MV_UEFI,
	MV_ARCH_KNOWN, MV_WAITING, MV_WAIT_S, MV_MAX_ACTIVE, MV_IMAGES,
	MV_ITEM_FIRST, /* the per-image variables follow: only inside {{#images}} */
	MV_IMAGE_NAME = MV_ITEM_FIRST, MV_IMAGE_KERNEL, MV_IMAGE_INITRD, MV_IMAGE_INITRD_NAME,
	MV_IMAGE_ARGS, MV_N
};

static const struct { const char *name; enum mvar v; } var_names[] = {
	{ "server", MV_SERVER }, { "http_port", MV_HTTP_PORT }, { "mac", MV_MAC },
	{ "hostname", MV_HOSTNAME }, { "job", MV_JOB }, { "job_id", MV_JOB_ID },
	{ "job_type", MV_JOB_TYPE }, { "image", MV_IMAGE }, { "kernel", MV_KERNEL },
	{ "initrd", MV_INITRD }, { "initrd_name", MV_INITRD_NAME },
	{ "kernel_args", MV_KERNEL_ARGS }, { "bios", MV_BIOS }, { "arch_bios", MV_BIOS },
	{ "uefi", MV_UEFI }, { "arch_known", MV_ARCH_KNOWN }, { "waiting", MV_WAITING },
	{ "wait_s", MV_WAIT_S }, { "max_active", MV_MAX_ACTIVE }, { "images", MV_IMAGES },
	{ "image_name", MV_IMAGE_NAME }, { "image_kernel", MV_IMAGE_KERNEL },
	{ "image_initrd", MV_IMAGE_INITRD }, { "image_initrd_name", MV_IMAGE_INITRD_NAME },
	{ "image_args", MV_IMAGE_ARGS },
};

static const char *var_name(enum mvar v)
{
	for (size_t i = 0; i < sizeof(var_names) / sizeof(var_names[0]); i++)
		if (var_names[i].v == v)
			return var_names[i].name;
	return "?";
}

enum node_kind { N_TEXT, N_VAR, N_SECTION, N_INVERTED };

struct node {
	enum node_kind kind;
	enum mvar var;
	size_t off, len;   /* N_TEXT: the bytes in text */
	size_t end;        /* sections: index of the first node after the body */
};

struct menu_tmpl {
	char *text;
	struct node *nodes;
	size_t n, cap;
	/* A template that never names "waiting" does not know job slots: a
	 * waiting host gets menu_waiting_template instead (compiled here),
	 * never its job script, which would boot past jobs.max_active. */
	bool uses_waiting;
	struct menu_tmpl *waiting;
};

#define MENU_DEPTH_MAX 8

/*
 * A job's kernel and initrd fetches are retried: in a storm a fetch can
 * fail (a connection reset, the server restarting, a timeout), and a
 * machine that stops at an iPXE error needs a person. Each fetch gets
 * MENU_FETCH_RETRIES retries after sleeps of 2, 4, 8 ... s, said on the
 * console; then the machine reboots after a minute and starts over.
 * A failing command ends an iPXE script, hence "|| goto" on every fetch
 * and the "&& goto ... ||" form of the test. (A 503 with Retry-After from
 * a full server, README "HTTP", iPXE waits out inside the one fetch.)
 * The retry blocks come after "boot", so a boot that works never sees
 * them.
 */
#define MENU_FETCH_RETRIES "5"
#define MENU_FETCH_FIRST_WAIT "2"

/*
 * A job waiting for a slot (jobs.max_active; control/jobs.h): say so on the
 * console, sleep, and fetch the host's own script again, which is the job
 * script once a slot was granted. The sleep differs per MAC (menu_wait_s())
 * so that waiting hosts do not come back together. "--replace" ends this
 * script rather than nesting one more per round; a fetch that fails
 * (the server restarting) waits another round. "sleep ... ||": Ctrl-C
 * shortens the wait instead of ending the script. Two short lines: the
 * BIOS console wraps at 80 columns.
 */
#define MENU_WAITING_SECTION \
	"{{#waiting}}\n" \
	":stp_wait\n" \
	"echo stampede: {{job_type}} job {{job_id}} for {{mac}} waits for a job slot\n" \
	"echo stampede: {{max_active}} jobs run at once, asking again in {{wait_s}} s\n" \
	"sleep {{wait_s}} ||\n" \
	"chain --replace http://{{server}}/boot/{{mac}}.ipxe || goto stp_wait\n" \
	"{{/waiting}}\n"

const char menu_waiting_template[] =
	"#!ipxe\n"
	MENU_WAITING_SECTION;

const char menu_default_template[] =
	"#!ipxe\n"
	MENU_WAITING_SECTION
	"{{^waiting}}\n"
	"{{#job}}\n"
	"echo stampede: {{job_type}} job {{job_id}} for {{mac}}\n"
	"set stp_try:int32 0\n"
	"set stp_wait:int32 " MENU_FETCH_FIRST_WAIT "\n"
	":stp_kernel\n"
	"kernel http://{{server}}/{{kernel}} initrd={{initrd_name}} stampede.job={{job_id}}"
	" stampede.type={{job_type}}{{#image}} stampede.image={{image}}{{/image}}"
	" stampede.server=http://{{server}} stampede.mac={{mac}}"
	"{{#kernel_args}} {{kernel_args}}{{/kernel_args}} || goto stp_kernel_failed\n"
	"set stp_try:int32 0\n"
	"set stp_wait:int32 " MENU_FETCH_FIRST_WAIT "\n"
	":stp_initrd\n"
	"initrd http://{{server}}/{{initrd}} || goto stp_initrd_failed\n"
	"boot\n"
	"\n"
	":stp_kernel_failed\n"
	"set stp_fetch kernel\n"
	"goto stp_retry\n"
	":stp_initrd_failed\n"
	"set stp_fetch initrd\n"
	"goto stp_retry\n"
	":stp_retry\n"
	"iseq ${stp_try} " MENU_FETCH_RETRIES " && goto stp_give_up ||\n"
	"inc stp_try\n"
	"echo stampede: could not fetch the ${stp_fetch} of job {{job_id}},"
	" retry ${stp_try} of " MENU_FETCH_RETRIES " in ${stp_wait} s\n"
	"sleep ${stp_wait}\n"
	"inc stp_wait ${stp_wait}\n"
	"goto stp_${stp_fetch}\n"
	":stp_give_up\n"
	"echo stampede: no ${stp_fetch} for job {{job_id}} after " MENU_FETCH_RETRIES
	" retries, rebooting in 60 s to start over\n"
	"sleep 60\n"
	"reboot\n"
	"{{/job}}\n"
	"{{^job}}\n"
	"menu stampede {{mac}}{{#hostname}} {{hostname}}{{/hostname}}\n"
	"item local Boot from local disk\n"
	"item register Quick registration\n"
	"{{#images}}\n"
	"item deploy-{{image_name}} Deploy {{image_name}}\n"
	"{{/images}}\n"
	"choose --default local --timeout 5000 target || goto local\n"
	"goto ${target}\n"
	"\n"
	":local\n"
	"{{#bios}}\n"
	"sanboot --no-describe --drive 0x80\n"
	"{{/bios}}\n"
	"{{#uefi}}\n"
	"exit\n"
	"{{/uefi}}\n"
	"{{^arch_known}}\n"
	"iseq ${platform} efi && exit || sanboot --no-describe --drive 0x80\n"
	"{{/arch_known}}\n"
	"\n"
	":register\n"
	"kernel http://{{server}}/{{kernel}} initrd={{initrd_name}} stampede.type=register"
	" stampede.server=http://{{server}} stampede.mac={{mac}}"
	"{{#kernel_args}} {{kernel_args}}{{/kernel_args}}\n"
	"initrd http://{{server}}/{{initrd}}\n"
	"boot\n"
	"{{#images}}\n"
	"\n"
	":deploy-{{image_name}}\n"
	"kernel http://{{server}}/{{image_kernel}} initrd={{image_initrd_name}}"
	" stampede.type=deploy stampede.image={{image_name}}"
	" stampede.server=http://{{server}} stampede.mac={{mac}}"
	"{{#image_args}} {{image_args}}{{/image_args}}\n"
	"initrd http://{{server}}/{{image_initrd}}\n"
	"boot\n"
	"{{/images}}\n"
	"{{/job}}\n"
	"{{/waiting}}\n";

static int push(struct menu_tmpl *t, struct node nd)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct node *p = realloc(t->nodes, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		t->nodes = p;
		t->cap = cap;
	}
	t->nodes[t->n++] = nd;
	return 0;
}

static int lookup_var(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(var_names) / sizeof(var_names[0]); i++)
		if (strlen(var_names[i].name) == len && memcmp(var_names[i].name, name, len) == 0)
			return (int)var_names[i].v;
	return -1;
}

struct parser {
	struct menu_tmpl *t;
	const char *name, *s;
	size_t len, pos, lit;       /* lit: start of pending literal text */
	int line;
	size_t open[MENU_DEPTH_MAX]; /* node index of each open section */
	int open_line[MENU_DEPTH_MAX];
	int depth, in_images;
	char *err;
	size_t errlen;
};

static int perr(struct parser *p, int line, const char *fmt, const char *arg)
{
	char why[160];

	snprintf(why, sizeof(why), fmt, arg);
	snprintf(p->err, p->errlen, "%s:%d: %s", p->name, line, why);
	return -EINVAL;
}

static int flush_text(struct parser *p, size_t upto)
{
	struct node nd = { N_TEXT, MV_N, p->lit, upto - p->lit, 0 };

	return upto > p->lit ? push(p->t, nd) : 0;
}

/* Is the tag [b, e) alone on its line? Then ls and le bound the line. */
static bool standalone(const struct parser *p, size_t b, size_t e, size_t *ls, size_t *le)
{
	size_t i = b;

	while (i > 0 && (p->s[i - 1] == ' ' || p->s[i - 1] == '\t'))
		i--;
	if (i > 0 && p->s[i - 1] != '\n')
		return false;
	*ls = i;
	for (i = e; i < p->len && (p->s[i] == ' ' || p->s[i] == '\t' || p->s[i] == '\r'); i++)
		;
	if (i < p->len && p->s[i] != '\n')
		return false;
	*le = i < p->len ? i + 1 : i;
	return true;
}

static int open_section(struct parser *p, enum node_kind kind, enum mvar v)
{
	struct node nd = { kind, v, 0, 0, 0 };

	if (p->depth == MENU_DEPTH_MAX)
		return perr(p, p->line, "sections nested deeper than %s", "8");
	if (v == MV_IMAGES && kind == N_SECTION)
		p->in_images++;
	p->open[p->depth] = p->t->n;
	p->open_line[p->depth++] = p->line;
	return push(p->t, nd);
}

static int close_section(struct parser *p, enum mvar v, const char *name)
{
	struct node *nd;

	if (p->depth == 0)
		return perr(p, p->line, "{{/%s}} closes no section", name);
	nd = &p->t->nodes[p->open[p->depth - 1]];
	if (nd->var != v)
		return perr(p, p->line, "{{/%s}} does not close the innermost section", name);
	if (v == MV_IMAGES && nd->kind == N_SECTION)
		p->in_images--;
	nd->end = p->t->n;
	p->depth--;
	return 0;
}

/* One tag whose name is [b, e) of the source, between "{{" at @a tb and
 * "}}" ending at @a te. */
static int tag(struct parser *p, size_t tb, size_t te, size_t b, size_t e)
{
	char sigil = p->s[b], name[48];
	size_t ls = 0, le = 0;
	bool sect = sigil == '#' || sigil == '^' || sigil == '/';
	int v, rc;

	if (sect)
		b++;
	snprintf(name, sizeof(name), "%.*s", (int)(e - b < 40 ? e - b : 40), p->s + b);
	v = lookup_var(p->s + b, e - b);
	if (v < 0)
		return perr(p, p->line, "unknown variable \"%s\"", name);
	if (v >= MV_ITEM_FIRST && p->in_images == 0)
		return perr(p, p->line, "\"%s\" is only defined inside {{#images}}", name);
	if (v == MV_IMAGES && !sect)
		return perr(p, p->line, "\"%s\" is a list: use {{#images}}...{{/images}}", name);
	if (v == MV_WAITING)
		p->t->uses_waiting = true;
	if (sect && standalone(p, tb, te, &ls, &le)) {
		rc = flush_text(p, ls);
		p->lit = le;
	} else {
		rc = flush_text(p, tb);
		p->lit = te;
	}
	if (rc < 0)
		return rc;
	if (sigil == '/')
		return close_section(p, (enum mvar)v, name);
	if (sect)
		return open_section(p, sigil == '#' ? N_SECTION : N_INVERTED, (enum mvar)v);
	return push(p->t, (struct node){ N_VAR, (enum mvar)v, 0, 0, 0 });
}

static int parse_all(struct parser *p)
{
	int rc;

	while (p->pos < p->len) {
		size_t tb, b, e;

		if (p->s[p->pos] == '\n') {
			p->line++;
			p->pos++;
			continue;
		}
		if (p->s[p->pos] != '{' || p->pos + 1 >= p->len || p->s[p->pos + 1] != '{') {
			p->pos++;
			continue;
		}
		tb = p->pos;
		b = e = tb + 2;
		while (e < p->len && p->s[e] != '\n' && p->s[e] != '}')
			e++;
		if (e + 1 >= p->len || p->s[e] != '}' || p->s[e + 1] != '}')
			return perr(p, p->line, "unterminated tag %s", "{{");
		if (e == b)
			return perr(p, p->line, "empty tag %s", "{{}}");
		if ((rc = tag(p, tb, e + 2, b, e)) < 0)
			return rc;
		p->pos = e + 2;
		/* A standalone tag swallowed its newline: count the line. */
		if (p->lit > p->pos && p->s[p->lit - 1] == '\n') {
			p->line++;
			p->pos = p->lit;
		}
	}
	if (p->depth > 0)
		return perr(p, p->open_line[p->depth - 1], "unclosed section \"%s\"",
			    var_name(p->t->nodes[p->open[p->depth - 1]].var));
	return flush_text(p, p->len);
}

int menu_parse(const char *name, const char *text, size_t len, struct menu_tmpl **out,
	       char *err, size_t errlen)
{
	struct menu_tmpl *t = calloc(1, sizeof(*t));
	struct parser p = { .t = t, .name = name, .len = len, .line = 1, .err = err,
			    .errlen = errlen };
	int rc;

	*out = NULL;
	if (t == NULL || (t->text = malloc(len + 1)) == NULL) {
		free(t);
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	memcpy(t->text, text, len);
	t->text[len] = '\0';
	p.s = t->text;
	if (memchr(text, '\0', len)) {
		rc = perr(&p, 1, "contains a NUL byte%s", "");
		goto err_free;
	}
	if ((rc = parse_all(&p)) < 0)
		goto err_free;
	/* The built-in waiting script names "waiting": no recursion. */
	if (!t->uses_waiting &&
	    (rc = menu_parse("(built-in waiting script)", menu_waiting_template,
			     strlen(menu_waiting_template), &t->waiting, err, errlen)) < 0)
		goto err_free;
	*out = t;
	return 0;

err_free:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	menu_free(t);
	return rc;
}

int menu_load(const char *dir, struct menu_tmpl **out, char *err, size_t errlen)
{
	char path[4096], *buf = NULL;
	size_t n = 0, cap = 0;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, MENU_TEMPLATE_FILE);
	f = fopen(path, "r");
	if (f == NULL && errno == ENOENT)
		return menu_parse("(built-in template)", menu_default_template,
				  strlen(menu_default_template), out, err, errlen);
	if (f == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	for (;;) {
		if (n == cap) {
			char *p = realloc(buf, cap = cap ? cap * 2 : 4096);

			if (p == NULL) {
				free(buf);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return -ENOMEM;
			}
			buf = p;
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	rc = menu_parse(path, buf ? buf : "", n, out, err, errlen);
	free(buf);
	return rc;
}

void menu_free(struct menu_tmpl *t)
{
	if (t == NULL)
		return;
	menu_free(t->waiting);
	free(t->text);
	free(t->nodes);
	free(t);
}

/* ---- rendering ---- */

struct outbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct outbuf *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;
		char *p;

		while (cap < o->len + n + 1)
			cap *= 2;
		p = realloc(o->p, cap);
		if (p == NULL) {
			o->oom = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The string value of @a v ("" for false flags), using @a tmp for numbers. */
static const char *value(const struct menu_ctx *c, const struct menu_image *it, enum mvar v,
			 char tmp[24])
{
	switch (v) {
	case MV_SERVER: return c->server;
	case MV_HTTP_PORT: snprintf(tmp, 24, "%u", c->http_port); return tmp;
	case MV_MAC: return c->mac;
	case MV_HOSTNAME: return c->hostname;
	case MV_JOB: return c->job_id > 0 ? "1" : "";
	case MV_JOB_ID:
		if (c->job_id <= 0)
			return "";
		snprintf(tmp, 24, "%lld", (long long)c->job_id);
		return tmp;
	case MV_JOB_TYPE: return c->job_type;
	case MV_IMAGE: return c->image;
	case MV_KERNEL: return c->kernel;
	case MV_INITRD: return c->initrd;
	case MV_INITRD_NAME: return base_name(c->initrd);
	case MV_KERNEL_ARGS: return c->kernel_args;
	case MV_BIOS: return c->arch == 0 ? "1" : "";
	case MV_UEFI: return c->arch > 0 ? "1" : "";
	case MV_ARCH_KNOWN: return c->arch >= 0 ? "1" : "";
	case MV_WAITING: return c->job_id > 0 && c->waiting ? "1" : "";
	case MV_WAIT_S: snprintf(tmp, 24, "%u", c->wait_s); return tmp;
	case MV_MAX_ACTIVE: snprintf(tmp, 24, "%u", c->max_active); return tmp;
	case MV_IMAGES: return c->n_images ? "1" : "";
	case MV_IMAGE_NAME: return it ? it->name : "";
	case MV_IMAGE_KERNEL: return it ? it->kernel : "";
	case MV_IMAGE_INITRD: return it ? it->initrd : "";
	case MV_IMAGE_INITRD_NAME: return it ? base_name(it->initrd) : "";
	case MV_IMAGE_ARGS: return it ? it->args : "";
	default: return "";
	}
}

static void render_range(const struct menu_tmpl *t, const struct menu_ctx *c,
			 const struct menu_image *it, size_t from, size_t to, struct outbuf *o)
{
	char tmp[24];

	for (size_t i = from; i < to; i++) {
		const struct node *nd = &t->nodes[i];
		const char *v;

		switch (nd->kind) {
		case N_TEXT:
			put(o, t->text + nd->off, nd->len);
			break;
		case N_VAR:
			v = value(c, it, nd->var, tmp);
			put(o, v, strlen(v));
			break;
		case N_SECTION:
			if (nd->var == MV_IMAGES) {
				for (size_t k = 0; k < c->n_images; k++)
					render_range(t, c, &c->images[k], i + 1, nd->end, o);
			} else if (value(c, it, nd->var, tmp)[0]) {
				render_range(t, c, it, i + 1, nd->end, o);
			}
			i = nd->end - 1;
			break;
		case N_INVERTED:
			if (!value(c, it, nd->var, tmp)[0])
				render_range(t, c, it, i + 1, nd->end, o);
			i = nd->end - 1;
			break;
		}
	}
}

long menu_render(const struct menu_tmpl *t, const struct menu_ctx *ctx, char **out)
{
	struct outbuf o = { NULL, 0, 0, false };

	if (ctx->waiting && ctx->job_id > 0 && t->waiting != NULL)
		t = t->waiting;
	put(&o, "", 0);
	render_range(t, ctx, NULL, 0, t->n, &o);
	if (o.oom) {
		free(o.p);
		*out = NULL;
		return -ENOMEM;
	}
	*out = o.p;
	return (long)o.len;
}

unsigned menu_wait_s(const char *mac)
{
	uint32_t h = 2166136261u; /* FNV-1a: any spread will do, it need not be secret */

	for (; *mac != '\0'; mac++)
		h = (h ^ (uint8_t)*mac) * 16777619u;
	return MENU_WAIT_MIN_S + h % (MENU_WAIT_MAX_S - MENU_WAIT_MIN_S + 1);
}

int menu_chain_script(const char *server, char *buf, size_t size)
{
	/* A host control has not rendered yet (seen for the first time a
	 * moment ago) falls back to the generic menu rather than failing. */
	int n = snprintf(buf, size,
			 "#!ipxe\n"
			 "chain http://%s/boot/${net0/mac}.ipxe || chain http://%s/"
			 MENU_DEFAULT_OBJECT "\n", server, server);

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

void menu_server(uint32_t addr, unsigned port, char *buf, size_t size)
{
	char ip[STP_IPV4_STRLEN];

	ipv4_format(addr, ip);
	if (port == 80)
		snprintf(buf, size, "%s", ip);
	else
		snprintf(buf, size, "%s:%u", ip, port);
}
