/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file stampedectl.c
 * The administrators' command line: one REST call (or a few) per command
 * against the admin API (control/api.h), answers printed as aligned
 * tables. Exit status: 0 done, 1 the server refused (its "error" printed),
 * 2 the server could not be reached, 64 bad usage (EX_USAGE).
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#ifndef STP_VERSION
#define STP_VERSION "unknown"
#endif

#define PROG "stampedectl"
#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define EX_REFUSED 1
#define EX_UNREACHABLE 2
#define MAX_POS 2
#define MAX_OPTS 6

/* The connection and who we are to the server. */
struct ctl {
	const char *server;   /* base URL, no trailing '/' needed */
	const char *token;    /* NULL: send no Authorization */
	CURL *curl;
};

/* One command's words after the command name. */
struct args {
	const char *pos[MAX_POS];
	int npos;
	const char *opt[MAX_OPTS];  /* by index into the command's option list */
};

struct cmd {
	const char *group;    /* "host", "job", ... or NULL for a lone word */
	const char *name;
	const char *synopsis; /* what follows "stampedectl GROUP NAME" */
	const char *help;
	int npos;             /* positional arguments, exactly */
	const char *opts[MAX_OPTS]; /* "--x" taking a value each */
	int (*fn)(struct ctl *c, const struct cmd *cmd, const struct args *a);
};

/* Set by SIGINT so that watch can leave its loop and restore the screen. */
static volatile sig_atomic_t interrupted;

static int usage_error(const struct cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- HTTP */

struct buf {
	char *p;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t add = size * n;
	char *p = realloc(b->p, b->len + add + 1);

	if (p == NULL)
		return 0; /* curl reports a write error */
	memcpy(p + b->len, ptr, add);
	b->p = p;
	b->len += add;
	p[b->len] = '\0';
	return add;
}

/* Member @a key of object @a o as a string; NULL when absent or not a string. */
static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Member @a key of object @a o as an integer; 0 when absent or not one. */
static long long jint(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* Print the server's {"error": "..."} (or the bare status) for @a status. */
static int refused(long status, const struct buf *b)
{
	json_t *j = b->p ? json_loadb(b->p, b->len, 0, NULL) : NULL;
	const char *msg = jstr(j, "error");

	if (msg)
		fprintf(stderr, PROG ": %s\n", msg);
	else
		fprintf(stderr, PROG ": the server answered HTTP %ld\n", status);
	json_decref(j);
	return EX_REFUSED;
}

static struct curl_slist *headers(const struct ctl *c, const char *ctype)
{
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
	char line[512];

	/* libmicrohttpd would answer 100-continue; skipping it saves a round trip. */
	h = curl_slist_append(h, "Expect:");
	if (ctype) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
	}
	if (c->token && c->token[0]) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", c->token);
		h = curl_slist_append(h, line);
	}
	return h;
}

/**
 * @a method @a path (with its query) carrying @a body of @a ctype.
 * @return 0 with the parsed answer in *@a out (caller decrefs), or the
 *         exit status after the reason was printed.
 */
static int call(struct ctl *c, const char *method, const char *path, const char *body,
		size_t len, const char *ctype, json_t **out)
{
	char url[2048], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = headers(c, body ? ctype : NULL);
	size_t slen = strlen(c->server);
	struct buf b = { NULL, 0 };
	long status = 0;
	CURLcode rc;

	*out = NULL;
	/* "http://h:p/" and "http://h:p" both work. */
	if (slen > 0 && c->server[slen - 1] == '/')
		slen--;
	snprintf(url, sizeof(url), "%.*s%s", (int)slen, c->server, path);
	curl_easy_reset(c->curl); /* keeps the connection for the next call */
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	rc = curl_easy_perform(c->curl);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, PROG ": cannot reach %s: %s\n", c->server,
			errbuf[0] ? errbuf : curl_easy_strerror(rc));
		free(b.p);
		return EX_UNREACHABLE;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 400) {
		int ex = refused(status, &b);

		free(b.p);
		return ex;
	}
	*out = b.p ? json_loadb(b.p, b.len, 0, NULL) : NULL;
	free(b.p);
	if (*out == NULL) {
		fprintf(stderr, PROG ": %s %s: the answer is not JSON\n", method, url);
		return EX_REFUSED;
	}
	return 0;
}

static int call_json(struct ctl *c, const char *method, const char *path, json_t *body,
		     json_t **out)
{
	char *s = json_dumps(body, JSON_COMPACT);
	int rc;

	json_decref(body);
	if (s == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return EX_SOFTWARE;
	}
	rc = call(c, method, path, s, strlen(s), "application/json", out);
	free(s);
	return rc;
}

static int call_get(struct ctl *c, const char *path, json_t **out)
{
	return call(c, "GET", path, NULL, 0, NULL, out);
}

/* DELETE "/api/v1/PREFIX/KEY" with KEY escaped: a name may hold any character. */
static int call_delete(struct ctl *c, const char *prefix, const char *key, json_t **out)
{
	char path[512], *e = curl_easy_escape(c->curl, key, 0);

	snprintf(path, sizeof(path), "/api/v1/%s/%s", prefix, e ? e : "");
	curl_free(e);
	return call(c, "DELETE", path, NULL, 0, NULL, out);
}

/* Append "&key=value" (escaped) to @a q when @a value is given. */
static void query_add(struct ctl *c, char *q, size_t size, const char *key, const char *value)
{
	char *e;

	if (value == NULL)
		return;
	e = curl_easy_escape(c->curl, value, 0);
	snprintf(q + strlen(q), size - strlen(q), "%c%s=%s", strchr(q, '?') ? '&' : '?', key,
		 e ? e : "");
	curl_free(e);
}

/* -------------------------------------------------------------- tables */

/* Rows of owned strings, printed with every column as wide as its widest. */
struct table {
	size_t ncol;
	char **cell;          /* row-major, ncol per row; row 0 is the head */
	size_t nrow, cap;
};

static void table_row(struct table *t, ...)
{
	va_list ap;

	if (t->nrow == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **p = realloc(t->cell, cap * t->ncol * sizeof(*p));

		if (p == NULL) {
			fprintf(stderr, PROG ": out of memory\n");
			exit(EX_SOFTWARE);
		}
		t->cell = p;
		t->cap = cap;
	}
	va_start(ap, t);
	for (size_t i = 0; i < t->ncol; i++) {
		const char *s = va_arg(ap, const char *);

		t->cell[t->nrow * t->ncol + i] = strdup(s && s[0] ? s : "-");
	}
	va_end(ap);
	t->nrow++;
}

static void table_print(struct table *t)
{
	size_t w[16] = { 0 };

	for (size_t r = 0; r < t->nrow; r++)
		for (size_t i = 0; i < t->ncol && i < 16; i++) {
			const char *s = t->cell[r * t->ncol + i];
			size_t l = s ? strlen(s) : 0;

			w[i] = l > w[i] ? l : w[i];
		}
	for (size_t r = 0; r < t->nrow; r++) {
		for (size_t i = 0; i < t->ncol; i++) {
			const char *s = t->cell[r * t->ncol + i];

			/* No padding after the last column: no trailing blanks. */
			if (i + 1 == t->ncol)
				printf("%s\n", s ? s : "");
			else
				printf("%-*s  ", (int)w[i], s ? s : "");
		}
	}
	for (size_t i = 0; i < t->nrow * t->ncol; i++)
		free(t->cell[i]);
	free(t->cell);
	t->cell = NULL;
	t->nrow = t->cap = 0;
}

/* A JSON member as text: strings as they are, numbers in decimal, null "-". */
static const char *jtext(json_t *o, const char *key, char *buf, size_t size)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, size, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, size, "-");
	return buf;
}

/* Milliseconds for people: "850ms", "12.3s". */
static const char *fmt_ms(int64_t ms, char *buf, size_t size)
{
	if (ms < 1000)
		snprintf(buf, size, "%lldms", (long long)ms);
	else
		snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
	return buf;
}

/* --------------------------------------------------------- host, group */

/* FOG-style default name: "host-" and the twelve hex digits of @a mac. */
static void default_name(const char *mac, char *out, size_t size)
{
	char hex[13];
	size_t n = 0;

	for (const char *p = mac; *p && n < 13; p++)
		if (isxdigit((unsigned char)*p))
			hex[n++] = (char)tolower((unsigned char)*p);
	out[0] = '\0';
	if (n == 12) {
		hex[12] = '\0';
		snprintf(out, size, "host-%s", hex);
	}
}

static int host_add(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	json_t *body = json_pack("{s:s}", "mac", a->pos[0]), *out;
	static const char *const keys[] = { "name", "group", "image", "kernel_args" };
	char name[32];
	int rc;

	(void)cmd;
	for (int i = 0; i < 4; i++)
		if (a->opt[i])
			json_object_set_new(body, keys[i], json_string(a->opt[i]));
	default_name(a->pos[0], name, sizeof(name));
	if (!a->opt[0] && name[0])
		json_object_set_new(body, "name", json_string(name));
	if ((rc = call_json(c, "POST", "/api/v1/hosts", body, &out)) != 0)
		return rc;
	printf("added %s (%s)\n", jstr(out, "mac"), jstr(out, "name"));
	json_decref(out);
	return 0;
}

/* Bytes for people, in binary units without a blank: "64MiB", "465.8GiB". */
static const char *fmt_bytes(json_t *v, char *buf, size_t size)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double n;
	int u = 0;

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return "-";
	n = (double)json_integer_value(v);
	for (; n >= 1024.0 && u < 5; u++)
		n /= 1024.0;
	if (u == 0 || n >= 100.0 || n == (double)(long long)n)
		snprintf(buf, size, "%.0f%s", n, unit[u]);
	else
		snprintf(buf, size, "%.1f%s", n, unit[u]);
	return buf;
}

/* STATE: registered, or discovered (seen booting, never registered).
 * SERIAL and DISK come from what its imaging OS reported at registration. */
static int host_list(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	struct table t = { .ncol = 10 };
	char path[512], b[8][32];
	json_t *out, *h;
	size_t i;
	int rc;

	(void)cmd;
	snprintf(path, sizeof(path), "/api/v1/hosts");
	query_add(c, path, sizeof(path), "group", a->opt[0]);
	if ((rc = call_get(c, path, &out)) != 0)
		return rc;
	table_row(&t, "MAC", "NAME", "STATE", "GROUP", "IMAGE", "ARCH", "LAST_IP", "SERIAL",
		  "DISK", "KERNEL_ARGS");
	for (i = 0; (h = json_array_get(json_object_get(out, "hosts"), i)) != NULL; i++) {
		const char *arch = jtext(h, "arch", b[4], sizeof(b[4]));
		json_t *inv = json_object_get(h, "inventory");

		table_row(&t, jtext(h, "mac", b[0], 32), jtext(h, "name", b[1], 32),
			  json_is_true(json_object_get(h, "discovered")) ? "discovered" : "registered",
			  jtext(h, "group", b[2], 32), jtext(h, "image", b[3], 32),
			  strcmp(arch, "-1") ? arch : "-", jtext(h, "last_ip", b[5], 32),
			  jtext(inv, "serial", b[6], 32),
			  fmt_bytes(json_object_get(inv, "disk_bytes"), b[7], 32),
			  jstr(h, "kernel_args"));
	}
	table_print(&t);
	json_decref(out);
	return 0;
}

static int host_rm(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	json_t *out;
	int rc;

	(void)cmd;
	if ((rc = call_delete(c, "hosts", a->pos[0], &out)) != 0)
		return rc;
	printf("removed %s\n", jstr(out, "deleted"));
	json_decref(out);
	return 0;
}

/* Read all of @a path ("-" = standard input); NULL after a message. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	struct buf b = { NULL, 0 };
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (on_data(chunk, 1, n, &b) != n)
			break;
	if (ferror(f) || b.p == NULL)
		fprintf(stderr, PROG ": %s: %s\n", path, b.p ? "read error" : "empty file");
	if (f != stdin)
		fclose(f);
	if (b.p == NULL)
		return NULL;
	*len = b.len;
	return b.p;
}

static int host_import(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	size_t len = 0;
	char *csv = slurp(a->pos[0], &len);
	json_t *out;
	int rc;

	(void)cmd;
	if (csv == NULL)
		return EX_NOINPUT;
	rc = call(c, "POST", "/api/v1/hosts/import", csv, len, "text/csv", &out);
	free(csv);
	if (rc != 0)
		return rc;
	printf("imported %lld hosts from %s\n", jint(out, "imported"), a->pos[0]);
	json_decref(out);
	return 0;
}

static int group_add(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	json_t *out;
	int rc;

	(void)cmd;
	rc = call_json(c, "POST", "/api/v1/groups", json_pack("{s:s, s:s}", "name", a->pos[0],
		       "kernel_args", a->opt[0] ? a->opt[0] : ""), &out);
	if (rc == 0)
		printf("added group %s\n", a->pos[0]);
	json_decref(out);
	return rc;
}

static int image_add(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	json_t *out;
	int rc;

	if (!a->opt[0] || !a->opt[1])
		return usage_error(cmd, "--kernel and --initrd are required");
	rc = call_json(c, "POST", "/api/v1/images", json_pack("{s:s, s:s, s:s, s:s}", "name",
		       a->pos[0], "kernel", a->opt[0], "initrd", a->opt[1], "kernel_args",
		       a->opt[2] ? a->opt[2] : ""), &out);
	if (rc == 0)
		printf("added image %s\n", a->pos[0]);
	json_decref(out);
	return rc;
}

/* group list and image list: one table over a list of flat objects. */
static int list_of(struct ctl *c, const char *what, const char *const *keys, size_t n)
{
	struct table t = { .ncol = n };
	char path[128], b[4][32], head[4][32];
	json_t *out, *o;
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "/api/v1/%s", what);
	if ((rc = call_get(c, path, &out)) != 0)
		return rc;
	for (size_t k = 0; k < n && k < 4; k++) {
		snprintf(head[k], sizeof(head[k]), "%s", keys[k]);
		for (char *p = head[k]; *p; p++)
			*p = (char)toupper((unsigned char)*p);
	}
	table_row(&t, head[0], head[1], head[2], head[3]);
	for (i = 0; (o = json_array_get(json_object_get(out, what), i)) != NULL; i++)
		table_row(&t, jtext(o, keys[0], b[0], 32), jtext(o, keys[1], b[1], 32),
			  n > 2 ? jtext(o, keys[2], b[2], 32) : "",
			  n > 3 ? jtext(o, keys[3], b[3], 32) : "");
	table_print(&t);
	json_decref(out);
	return 0;
}

static int group_list(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	static const char *const keys[] = { "name", "kernel_args" };

	(void)cmd;
	(void)a;
	return list_of(c, "groups", keys, 2);
}

static int image_list(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	static const char *const keys[] = { "name", "kernel", "initrd", "kernel_args" };

	(void)cmd;
	(void)a;
	return list_of(c, "images", keys, 4);
}

/* ---------------------------------------------------------------- jobs */

static int job_create(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	const char *host = a->opt[0], *group = a->opt[1], *image = a->opt[2];
	json_t *body, *out;
	char b[32];
	int rc;

	if ((host != NULL) == (group != NULL))
		return usage_error(cmd, "give exactly one of --host and --group");
	body = json_pack("{s:s, s:s}", "type", cmd->name, host ? "host" : "group",
			 host ? host : group);
	if (image)
		json_object_set_new(body, "image", json_string(image));
	if ((rc = call_json(c, "POST", "/api/v1/jobs", body, &out)) != 0)
		return rc;
	if (host)
		printf("job %s: %s %s%s%s, %s\n", jtext(out, "id", b, sizeof(b)), cmd->name,
		       jstr(out, "mac"), jstr(out, "image") ? " with " : "",
		       jstr(out, "image") ? jstr(out, "image") : "", jstr(out, "state"));
	else
		printf("group job %s: %s for %lld hosts of group %s\n",
		       jtext(out, "group_job", b, sizeof(b)), cmd->name, jint(out, "jobs"), group);
	json_decref(out);
	return 0;
}

static int job_list(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	struct table t = { .ncol = 8 };
	char path[1024] = "/api/v1/jobs", b[7][32];
	json_t *out, *j;
	size_t i;
	int rc;

	(void)cmd;
	query_add(c, path, sizeof(path), "state", a->opt[0]);
	query_add(c, path, sizeof(path), "host", a->opt[1]);
	query_add(c, path, sizeof(path), "limit", a->opt[2]);
	if ((rc = call_get(c, path, &out)) != 0)
		return rc;
	table_row(&t, "ID", "TYPE", "MAC", "IMAGE", "STATE", "PROGRESS", "GROUP_JOB", "MESSAGE");
	for (i = 0; (j = json_array_get(json_object_get(out, "jobs"), i)) != NULL; i++) {
		snprintf(b[5], sizeof(b[5]), "%s%%", jtext(j, "percent", b[6], sizeof(b[6])));
		table_row(&t, jtext(j, "id", b[0], 32), jtext(j, "type", b[1], 32),
			  jtext(j, "mac", b[2], 32), jtext(j, "image", b[3], 32),
			  jtext(j, "state", b[4], 32), b[5], jtext(j, "group_job", b[6], 32),
			  jstr(j, "message"));
	}
	table_print(&t);
	json_decref(out);
	return 0;
}

static int job_cancel(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	char b[32];
	json_t *out;
	int rc;

	(void)cmd;
	if ((rc = call_delete(c, "jobs", a->pos[0], &out)) != 0)
		return rc;
	printf("job %s: %s\n", jtext(out, "id", b, sizeof(b)), jstr(out, "state"));
	json_decref(out);
	return 0;
}

/* -------------------------------------------------------------- status */

/* The live job @a id among @a jobs, else fetched on its own (older ones). */
static json_t *find_job(struct ctl *c, json_t *jobs, json_int_t id, json_t **owned)
{
	json_t *j;
	size_t i;
	char path[64];

	for (i = 0; (j = json_array_get(jobs, i)) != NULL; i++)
		if (jint(j, "id") == id)
			return j;
	snprintf(path, sizeof(path), "/api/v1/jobs/%lld", (long long)id);
	/* A job gone meanwhile only leaves its columns empty. */
	if (call_get(c, path, owned) != 0)
		return NULL;
	return *owned;
}

/* One host's row: who, its job, and each stage as "+N.Ns" after the boot start. */
static void status_row(struct ctl *c, struct table *t, json_t *b, json_t *names,
		       json_t *jobs, json_t *stages)
{
	char cell[3 + 9][32];
	const char *v[14];
	json_t *job = NULL, *owned = NULL, *st = json_object_get(b, "stages");
	json_int_t start = jint(b, "started");
	const char *mac = jstr(b, "mac");
	size_t i, ns = json_array_size(stages);

	if (json_is_integer(json_object_get(b, "job")))
		job = find_job(c, jobs, jint(b, "job"), &owned);
	v[0] = mac;
	v[1] = jstr(names, mac ? mac : "");
	v[2] = jtext(b, "job", cell[0], 32);
	v[3] = job ? jtext(job, "state", cell[1], 32) : NULL;
	if (job)
		snprintf(cell[2], 32, "%lld%%", jint(job, "percent"));
	v[4] = job ? cell[2] : NULL;
	for (i = 0; i < 9; i++)
		v[5 + i] = NULL;
	for (i = 0; i < ns && i < 9; i++) {
		const char *name = jstr(json_array_get(stages, i), "stage");
		json_t *at = json_object_get(st, name ? name : "");

		if (json_is_integer(at)) {
			snprintf(cell[3 + i], 32, "+%.1fs",
				 (double)(json_integer_value(at) - start) / 1000.0);
			v[5 + i] = cell[3 + i];
		}
	}
	table_row(t, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10],
		  v[11], v[12], v[13]);
	json_decref(owned);
}

static void status_summary(json_t *summary)
{
	struct table t = { .ncol = 6 };
	char b[5][32];
	json_t *s;
	size_t i;

	printf("\n%lld hosts booting or booted\n", jint(summary, "hosts"));
	table_row(&t, "STAGE", "AT", "TIMED", "P50", "P95", "MAX");
	for (i = 0; (s = json_array_get(json_object_get(summary, "stages"), i)) != NULL; i++)
		table_row(&t, jstr(s, "stage"), jtext(s, "count", b[0], 32),
			  jtext(s, "timed", b[1], 32), fmt_ms(jint(s, "p50_ms"), b[2], 32),
			  fmt_ms(jint(s, "p95_ms"), b[3], 32), fmt_ms(jint(s, "max_ms"), b[4], 32));
	table_print(&t);
}

/* The job slots (jobs.max_active): how many are taken, how many wait. */
static void status_slots(json_t *slots)
{
	if (!json_is_object(slots))
		return; /* a server from before job slots */
	if (json_is_integer(json_object_get(slots, "max_active")))
		printf("\njob slots: %lld of %lld taken, %lld jobs waiting (lease %lld s)\n",
		       jint(slots, "active"), jint(slots, "max_active"), jint(slots, "waiting"),
		       jint(slots, "slot_timeout_s"));
	else
		printf("\njob slots: no limit, %lld jobs booting or running\n",
		       jint(slots, "active"));
}

/* Host names by MAC, for the status table. */
static int host_names(struct ctl *c, json_t **names)
{
	json_t *out, *h;
	size_t i;
	int rc = call_get(c, "/api/v1/hosts", &out);

	*names = json_object();
	if (rc != 0)
		return rc;
	for (i = 0; (h = json_array_get(json_object_get(out, "hosts"), i)) != NULL; i++)
		if (json_is_string(json_object_get(h, "name")))
			json_object_set(*names, jstr(h, "mac"), json_object_get(h, "name"));
	json_decref(out);
	return 0;
}

static int cmd_status(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	struct table t = { .ncol = 14 };
	json_t *st = NULL, *names = NULL, *jobs = NULL, *b, *stages;
	size_t i;
	int rc;

	(void)cmd;
	(void)a;
	if ((rc = call_get(c, "/api/v1/status", &st)) != 0 || (rc = host_names(c, &names)) != 0 ||
	    (rc = call_get(c, "/api/v1/jobs", &jobs)) != 0)
		goto out;
	stages = json_object_get(json_object_get(st, "summary"), "stages");
	/* Stage columns keep the API's lower-case names: "progress" the stage
	 * (first progress report) is not PROGRESS the job's percentage. */
	table_row(&t, "MAC", "NAME", "JOB", "STATE", "PROGRESS", "fw_dhcp", "fw_tftp",
		  "ipxe_dhcp", "script", "kernel", "initrd", "checkin", "progress", "done");
	for (i = 0; (b = json_array_get(json_object_get(st, "hosts"), i)) != NULL; i++)
		status_row(c, &t, b, names, json_object_get(jobs, "jobs"), stages);
	table_print(&t); /* no boots yet: the head alone says so */
	status_summary(json_object_get(st, "summary"));
	status_slots(json_object_get(st, "job_slots"));
out:
	json_decref(st);
	json_decref(names);
	json_decref(jobs);
	return rc;
}

/* --------------------------------------------------------------- watch */

#define WATCH_STAGES 16

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Sleep @a s seconds in small steps so that Ctrl-C ends it at once. */
static void nap(double s)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	for (double left = s; left > 0 && !interrupted; left -= 0.05)
		nanosleep(&ts, NULL);
}

/*
 * One frame: hosts at each stage now (their furthest) and how many per
 * second reached it or a later one since the last frame. The reached
 * count is cumulative from the last stage back, so hosts moving on from
 * a stage still count as having reached it.
 */
static void watch_frame(json_t *summary, int64_t *prev, double dt, bool tty, bool first)
{
	json_t *stages = json_object_get(summary, "stages");
	int64_t reached[WATCH_STAGES] = { 0 }, total = 0, sum = 0;
	size_t n = 0, i;
	char clock[16];
	time_t now = time(NULL);

	for (; n < WATCH_STAGES && json_array_get(stages, n) != NULL; n++)
		total += jint(json_array_get(stages, n), "count");
	for (i = 0; i < n; i++) {
		reached[i] = total - sum;
		sum += jint(json_array_get(stages, i), "count");
	}
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	if (tty)
		printf("\033[H\033[2J" PROG " watch  %s  %lld hosts  (Ctrl-C to stop)\n\n"
		       "%-10s %8s %10s\n", clock, (long long)total, "STAGE", "AT", "RATE/s");
	else
		printf("%s hosts=%lld", clock, (long long)total);
	for (i = 0; i < n; i++) {
		double rate = first || dt <= 0 ? 0.0 : (double)(reached[i] - prev[i]) / dt;
		json_t *s = json_array_get(stages, i);

		if (tty)
			printf("%-10s %8lld %10.1f\n", jstr(s, "stage"), jint(s, "count"), rate);
		else
			printf(" %s=%lld(%.1f/s)", jstr(s, "stage"), jint(s, "count"), rate);
		prev[i] = reached[i];
	}
	if (!tty)
		printf("\n");
	fflush(stdout);
}

static int watch(struct ctl *c, const struct cmd *cmd, const struct args *a)
{
	double interval = a->opt[0] ? strtod(a->opt[0], NULL) : 1.0;
	long count = a->opt[1] ? strtol(a->opt[1], NULL, 10) : 0;
	bool tty = isatty(STDOUT_FILENO) != 0;
	int64_t prev[WATCH_STAGES] = { 0 };
	struct timespec t0, t1;
	struct sigaction sa;
	int rc = 0;

	if (!(interval >= 0.1 && interval <= 3600.0) || count < 0)
		return usage_error(cmd, "--interval takes 0.1 to 3600 seconds, --count N >= 0");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; !interrupted && (count == 0 || i < count); i++) {
		json_t *out;

		if (i > 0)
			nap(interval);
		if (interrupted)
			break;
		if ((rc = call_get(c, "/api/v1/status?summary=1", &out)) != 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		watch_frame(json_object_get(out, "summary"), prev, (double)(t1.tv_sec - t0.tv_sec)
			    + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, tty, i == 0);
		t0 = t1;
		json_decref(out);
	}
	return rc;
}

/* ------------------------------------------------------------ commands */

static const struct cmd cmds[] = {
	{ "host", "add", "MAC [--name N] [--group G] [--image I] [--args A]",
	  "Add a host (name defaults to host-<mac digits>).", 1,
	  { "--name", "--group", "--image", "--args" }, host_add },
	{ "host", "list", "[--group G]", "List hosts.", 0, { "--group" }, host_list },
	{ "host", "rm", "MAC|NAME", "Remove a host (cancel its live job first).", 1, { 0 },
	  host_rm },
	{ "host", "import", "FILE.csv", "Import hosts from CSV lines mac,name[,group[,image]]"
	  " (FILE - reads standard input); all or nothing.", 1, { 0 }, host_import },
	{ "group", "add", "NAME [--args A]", "Add a group.", 1, { "--args" }, group_add },
	{ "group", "list", "", "List groups.", 0, { 0 }, group_list },
	{ "image", "add", "NAME --kernel K --initrd I [--args A]", "Add an image.", 1,
	  { "--kernel", "--initrd", "--args" }, image_add },
	{ "image", "list", "", "List images.", 0, { 0 }, image_list },
	{ "job", "deploy", "--host MAC|--group G [--image I]", "Queue deploy jobs.", 0,
	  { "--host", "--group", "--image" }, job_create },
	{ "job", "capture", "--host MAC|--group G [--image I]", "Queue capture jobs.", 0,
	  { "--host", "--group", "--image" }, job_create },
	{ "job", "register", "--host MAC|--group G", "Queue register jobs.", 0,
	  { "--host", "--group", "--image" }, job_create },
	{ "job", "list", "[--state S] [--host MAC] [--limit N]", "List jobs, newest first.", 0,
	  { "--state", "--host", "--limit" }, job_list },
	{ "job", "cancel", "ID", "Cancel a job.", 1, { 0 }, job_cancel },
	{ NULL, "status", "", "Per-host boot stages (+seconds after the boot began), the"
	  " storm summary per stage and the job slots.", 0, { 0 }, cmd_status },
	{ NULL, "watch", "[--interval S] [--count N]", "Stage counts and rates every S seconds"
	  " (default 1) until Ctrl-C or N frames; one line per frame when not a terminal.", 0,
	  { "--interval", "--count" }, watch },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void print_synopsis(FILE *f, const struct cmd *cmd, const char *lead)
{
	fprintf(f, "%s" PROG " %s%s%s%s%s\n", lead, cmd->group ? cmd->group : "",
		cmd->group ? " " : "", cmd->name, cmd->synopsis[0] ? " " : "", cmd->synopsis);
}

static void overall_help(FILE *f, const char *group)
{
	fprintf(f, "usage: " PROG " [--server URL] [--token T] COMMAND [ARGS]\n"
		   "       " PROG " --help | --version | COMMAND --help\n\n"
		   "  --server URL  admin API (default $STAMPEDE_SERVER or " DEFAULT_SERVER ")\n"
		   "  --token T     bearer token for changes (default $STAMPEDE_TOKEN)\n\n"
		   "commands:\n");
	for (size_t i = 0; i < N_CMDS; i++)
		if (group == NULL || (cmds[i].group && strcmp(cmds[i].group, group) == 0))
			print_synopsis(f, &cmds[i], "  ");
	fprintf(f, "\nexit: 0 done, 1 refused by the server, 2 server unreachable,"
		   " 64 bad usage\n");
}

static int usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (cmd)
		print_synopsis(stderr, cmd, "usage: ");
	else
		fprintf(stderr, "usage: " PROG " [--server URL] [--token T] COMMAND [ARGS]"
				" (see " PROG " --help)\n");
	return EX_USAGE;
}

/* The words after the command into @a a; -1 after a usage message. */
static int parse_args(const struct cmd *cmd, int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		size_t k;

		if (strncmp(w, "--", 2) != 0 || w[2] == '\0') {
			if (a->npos == cmd->npos || a->npos == MAX_POS)
				return usage_error(cmd, "unexpected argument \"%s\"", w), -1;
			a->pos[a->npos++] = w;
			continue;
		}
		for (k = 0; k < MAX_OPTS && cmd->opts[k]; k++)
			if (strcmp(w, cmd->opts[k]) == 0)
				break;
		if (k == MAX_OPTS || cmd->opts[k] == NULL)
			return usage_error(cmd, "unknown option %s", w), -1;
		if (i + 1 == argc)
			return usage_error(cmd, "%s needs a value", w), -1;
		a->opt[k] = argv[++i];
	}
	if (a->npos < cmd->npos)
		return usage_error(cmd, "missing argument"), -1;
	return 0;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* Find the command of argv[0] (and argv[1] for grouped ones) and run it. */
static int dispatch(struct ctl *c, int argc, char **argv)
{
	const char *group = argv[0];
	bool known_group = false;
	struct args a;

	for (size_t i = 0; i < N_CMDS; i++) {
		const struct cmd *cmd = &cmds[i];
		int skip = cmd->group ? 2 : 1;

		if (cmd->group ? strcmp(cmd->group, group) != 0 : strcmp(cmd->name, group) != 0)
			continue;
		known_group = true;
		if (cmd->group && (argc < 2 || strcmp(cmd->name, argv[1]) != 0))
			continue;
		if (wants_help(argc - skip, argv + skip)) {
			print_synopsis(stdout, cmd, "usage: ");
			printf("\n%s\n", cmd->help);
			return 0;
		}
		if (parse_args(cmd, argc - skip, argv + skip, &a) < 0)
			return EX_USAGE;
		return cmd->fn(c, cmd, &a);
	}
	if (known_group && wants_help(argc - 1, argv + 1)) {
		overall_help(stdout, group);
		return 0;
	}
	if (known_group) {
		if (argc < 2)
			usage_error(NULL, "%s: which command?", group);
		else
			usage_error(NULL, "%s: unknown command \"%s\"", group, argv[1]);
		overall_help(stderr, group);
		return EX_USAGE;
	}
	return usage_error(NULL, "unknown command \"%s\"", group);
}

int main(int argc, char **argv)
{
	struct ctl c = { getenv("STAMPEDE_SERVER"), getenv("STAMPEDE_TOKEN"), NULL };
	int i, rc;

	if (c.server == NULL || c.server[0] == '\0')
		c.server = DEFAULT_SERVER;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			overall_help(stdout, NULL);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf(PROG " " STP_VERSION "\n");
			return 0;
		}
		if (strcmp(argv[i], "--server") != 0 && strcmp(argv[i], "--token") != 0)
			return usage_error(NULL, "unknown option %s", argv[i]);
		if (i + 1 == argc)
			return usage_error(NULL, "%s needs a value", argv[i]);
		if (strcmp(argv[i++], "--server") == 0)
			c.server = argv[i];
		else
			c.token = argv[i];
	}
	if (i == argc)
		return usage_error(NULL, "no command given");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (c.curl = curl_easy_init()) == NULL) {
		fprintf(stderr, PROG ": cannot initialise libcurl\n");
		return EX_SOFTWARE;
	}
	rc = dispatch(&c, argc - i, argv + i);
	curl_easy_cleanup(c.curl);
	curl_global_cleanup();
	return rc;
}
