/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file config_system.c
 * config_check_system(): what a valid file can still get wrong on this
 * machine. Run once at start, before EAL init, so the user gets one clear
 * line instead of a DPDK probe failure or an SQLite error minutes later.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* "FILE:LINE: KEY: " (no LINE when the key took its default), then text. */
static int sys_err(const struct stp_config *cfg, int line, const char *key,
		   char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int sys_err(const struct stp_config *cfg, int line, const char *key,
		   char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (errlen == 0)
		return -1;
	if (line > 0)
		n = snprintf(err, errlen, "%s:%d: %s: ", cfg->path, line, key);
	else
		n = snprintf(err, errlen, "%s: %s: ", cfg->path, key);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int check_iface(const struct stp_config *cfg, char *err, size_t errlen)
{
	if (cfg->port.kind != CFG_PORT_IFACE)
		return 0;
	if (if_nametoindex(cfg->port.iface) != 0)
		return 0;
	return sys_err(cfg, cfg->lines.iface, "port.iface", err, errlen,
		       "interface \"%s\" does not exist (%s); `ip link` lists the interfaces",
		       cfg->port.iface, strerror(errno));
}

static int check_root(const struct stp_config *cfg, char *err, size_t errlen)
{
	const char *root = cfg->boot.root;
	struct stat st;

	if (stat(root, &st) < 0)
		return sys_err(cfg, cfg->lines.root, "boot.root", err, errlen, "%s: %s",
			       root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return sys_err(cfg, cfg->lines.root, "boot.root", err, errlen,
			       "%s is not a directory", root);
	/* X to reach the files, R to list them when the cache is loaded. */
	if (access(root, R_OK | X_OK) < 0)
		return sys_err(cfg, cfg->lines.root, "boot.root", err, errlen,
			       "%s is not readable: %s", root, strerror(errno));
	return 0;
}

/* mkdir -p @a dir (modified in place and restored); 0 or -errno. */
static int mkdir_p(char *dir)
{
	struct stat st;

	for (char *s = dir + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			int e = errno;

			*s = '/';
			return -e;
		}
		*s = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	/* EEXIST may be a file in the way. */
	if (stat(dir, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int check_database(const struct stp_config *cfg, char *err, size_t errlen)
{
	const char *db = cfg->control.database;
	const char *slash = strrchr(db, '/');
	char dir[PATH_MAX];
	struct stat st;
	int rc;

	/* SQLite's in-memory database needs no directory (tests, demos). */
	if (strcmp(db, ":memory:") == 0)
		return 0;
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == db)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - db), db);
	rc = mkdir_p(dir);
	if (rc < 0)
		return sys_err(cfg, cfg->lines.database, "control.database", err, errlen,
			       "cannot create directory %s: %s", dir, strerror(-rc));
	/* SQLite writes a journal next to the database: the directory must
	 * be writable, not only the file. */
	if (access(dir, W_OK | X_OK) < 0)
		return sys_err(cfg, cfg->lines.database, "control.database", err, errlen,
			       "directory %s is not writable: %s", dir, strerror(errno));
	if (stat(db, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return sys_err(cfg, cfg->lines.database, "control.database", err,
				       errlen, "%s is a directory", db);
		if (access(db, R_OK | W_OK) < 0)
			return sys_err(cfg, cfg->lines.database, "control.database", err,
				       errlen, "%s is not writable: %s", db, strerror(errno));
	}
	return 0;
}

int config_check_system(const struct stp_config *cfg, char *err, size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	if (check_iface(cfg, err, errlen) < 0 || check_root(cfg, err, errlen) < 0 ||
	    check_database(cfg, err, errlen) < 0)
		return -1;
	return 0;
}
