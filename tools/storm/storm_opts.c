/* SPDX-License-Identifier: BSD-3-Clause */
#include "storm_opts.h"

#include "eal_argv.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const storm_stage_names[STORM_ST_N] = {
#define X(id, name, group) name,
	STORM_STAGES(X)
#undef X
};

static const char *const stage_groups[STORM_ST_N] = {
#define X(id, name, group) group,
	STORM_STAGES(X)
#undef X
};

const char storm_usage[] =
	"usage: stampede-storm (--vdev DEVARGS | --iface IF [--driver af_xdp|af_packet] | --pci ADDR)\n"
	"                      --clients N [--mix bios:70,uefi:30] [--arrival burst|ramp:S|rate:R]\n"
	"                      [--mac-base 02:00:00:00:00:00] [--stages dhcp,tftp,http,os]\n"
	"                      [--timeout S] [--json FILE] [--lcores LIST] [--quiet]\n"
	"                      [--server IP] [--think] [--no-huge] [--file-prefix P]\n"
	"                      [--max-active N] [--leases FILE]\n"
	"\n"
	"Emulates N PXE clients booting at once through a boot server: firmware DHCP,\n"
	"TFTP of the boot file, iPXE DHCP, the HTTP script chain, kernel and initrd,\n"
	"then the imaging OS's DHCP and job API. Prints a table per stage; exit 0 when\n"
	"every client finished, 1 when any failed, 2 for bad usage.\n";

static int fail(char *err, size_t errlen, const char *fmt, const char *v)
{
	snprintf(err, errlen, fmt, v);
	return -1;
}

/* A positive decimal number, whole text; @return false when it is not. */
static bool parse_num(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_mix(const char *s, struct storm_opts *o, char *err, size_t errlen)
{
	unsigned bios = 0, uefi = 0, got = 0;
	char buf[64], *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return fail(err, errlen, "--mix: \"%s\" is too long", s);
	strcpy(buf, s);
	for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':');
		double pct;

		if (colon == NULL || !parse_num(colon + 1, 0, 100, &pct) || pct != floor(pct))
			return fail(err, errlen, "--mix: \"%s\" is not like bios:70,uefi:30", s);
		*colon = '\0';
		if (strcmp(t, "bios") == 0)
			bios = (unsigned)pct, got |= 1;
		else if (strcmp(t, "uefi") == 0)
			uefi = (unsigned)pct, got |= 2;
		else
			return fail(err, errlen, "--mix: unknown profile \"%s\" (bios, uefi)", t);
	}
	if (got == 1)
		uefi = 100 - bios;
	else if (got == 2)
		bios = 100 - uefi;
	if (bios + uefi != 100)
		return fail(err, errlen, "--mix: \"%s\" does not add up to 100", s);
	o->mix_bios = bios;
	return 0;
}

static int parse_arrival(const char *s, struct storm_opts *o, char *err, size_t errlen)
{
	if (strcmp(s, "burst") == 0) {
		o->arrival = STORM_ARRIVE_BURST;
		return 0;
	}
	if (strncmp(s, "ramp:", 5) == 0 && parse_num(s + 5, 0.001, 86400, &o->arrival_arg)) {
		o->arrival = STORM_ARRIVE_RAMP;
		return 0;
	}
	if (strncmp(s, "rate:", 5) == 0 && parse_num(s + 5, 0.001, 1e9, &o->arrival_arg)) {
		o->arrival = STORM_ARRIVE_RATE;
		return 0;
	}
	return fail(err, errlen, "--arrival: \"%s\" is not burst, ramp:SECONDS or rate:PER_SECOND",
		    s);
}

static int parse_stages(const char *s, struct storm_opts *o, char *err, size_t errlen)
{
	char buf[128], *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return fail(err, errlen, "--stages: \"%s\" is too long", s);
	strcpy(buf, s);
	o->stages = 0;
	for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		unsigned before = o->stages;

		for (unsigned i = 0; i < STORM_ST_N; i++)
			if (strcmp(t, stage_groups[i]) == 0)
				o->stages |= 1u << i;
		if (o->stages == before)
			return fail(err, errlen, "--stages: unknown stage \"%s\" (dhcp, tftp, http, os)", t);
	}
	if (o->stages == 0)
		return fail(err, errlen, "--stages: \"%s\" names no stage", s);
	return 0;
}

static int set_port(struct storm_opts *o, enum storm_port_kind kind, const char *v, int *n_ports,
		    char *err, size_t errlen)
{
	if (++*n_ports > 1)
		return fail(err, errlen, "%s: give one of --vdev, --iface, --pci", v);
	if (v[0] == '\0' || strlen(v) >= sizeof(o->port))
		return fail(err, errlen, "port \"%s\": empty or too long", v);
	o->port_kind = kind;
	snprintf(o->port, sizeof(o->port), "%s", v);
	return 0;
}

static int copy_str(char *dst, size_t cap, const char *v, const char *what, char *err,
		    size_t errlen)
{
	if (strlen(v) >= cap) {
		snprintf(err, errlen, "%s: \"%.64s...\" is too long", what, v);
		return -1;
	}
	snprintf(dst, cap, "%s", v);
	return 0;
}

static const struct option longopts[] = {
	{ "vdev", required_argument, NULL, 'V' },  { "iface", required_argument, NULL, 'I' },
	{ "driver", required_argument, NULL, 'D' }, { "pci", required_argument, NULL, 'P' },
	{ "clients", required_argument, NULL, 'n' }, { "mix", required_argument, NULL, 'm' },
	{ "arrival", required_argument, NULL, 'a' }, { "mac-base", required_argument, NULL, 'M' },
	{ "stages", required_argument, NULL, 's' }, { "timeout", required_argument, NULL, 't' },
	{ "json", required_argument, NULL, 'j' },   { "lcores", required_argument, NULL, 'l' },
	{ "quiet", no_argument, NULL, 'q' },        { "server", required_argument, NULL, 'S' },
	{ "think", no_argument, NULL, 'T' },        { "no-huge", no_argument, NULL, 'H' },
	{ "file-prefix", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },      { "max-active", required_argument, NULL, 'A' },
	{ "leases", required_argument, NULL, 'L' },
	{ NULL, 0, NULL, 0 },
};

static void defaults(struct storm_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->driver, sizeof(o->driver), "auto");
	o->mix_bios = 70;
	o->arrival = STORM_ARRIVE_BURST;
	o->mac_base = (struct mac_addr){ { 0x02, 0, 0, 0, 0, 0 } };
	o->stages = (1u << STORM_ST_N) - 1;
	o->timeout_s = 300;
}

/* One option; @return 0, 1 (help/version printed), -1 (error in err). */
static int one_opt(int c, const char *arg, struct storm_opts *o, int *n_ports, char *err,
		   size_t errlen)
{
	double v;

	switch (c) {
	case 'V': return set_port(o, STORM_PORT_VDEV, arg, n_ports, err, errlen);
	case 'I': return set_port(o, STORM_PORT_IFACE, arg, n_ports, err, errlen);
	case 'P': return set_port(o, STORM_PORT_PCI, arg, n_ports, err, errlen);
	case 'D':
		if (strcmp(arg, "af_xdp") && strcmp(arg, "af_packet") && strcmp(arg, "auto"))
			return fail(err, errlen, "--driver: \"%s\" is not af_xdp, af_packet or auto", arg);
		return copy_str(o->driver, sizeof(o->driver), arg, "--driver", err, errlen);
	case 'n':
		if (!parse_num(arg, 1, STORM_CLIENTS_MAX, &v) || v != floor(v))
			return fail(err, errlen, "--clients: \"%s\" is not a whole number from 1 to 100000", arg);
		o->clients = (uint32_t)v;
		return 0;
	case 'm': return parse_mix(arg, o, err, errlen);
	case 'a': return parse_arrival(arg, o, err, errlen);
	case 'M':
		if (!mac_parse(arg, &o->mac_base))
			return fail(err, errlen, "--mac-base: \"%s\" is not a MAC address", arg);
		return 0;
	case 's': return parse_stages(arg, o, err, errlen);
	case 't':
		if (!parse_num(arg, 0.1, 86400, &o->timeout_s))
			return fail(err, errlen, "--timeout: \"%s\" is not a number of seconds (0.1 to 86400)", arg);
		return 0;
	case 'j': return copy_str(o->json, sizeof(o->json), arg, "--json", err, errlen);
	case 'l':
		if (eal_lcore_count(arg) < 1)
			return fail(err, errlen, "--lcores: \"%s\" is not an lcore list like 0-3,6", arg);
		return copy_str(o->lcores, sizeof(o->lcores), arg, "--lcores", err, errlen);
	case 'F': return copy_str(o->file_prefix, sizeof(o->file_prefix), arg, "--file-prefix", err, errlen);
	case 'S':
		if (!ipv4_parse(arg, &o->server_ip))
			return fail(err, errlen, "--server: \"%s\" is not an IPv4 address", arg);
		return 0;
	case 'A':
		if (!parse_num(arg, 1, STORM_CLIENTS_MAX, &v) || v != floor(v))
			return fail(err, errlen, "--max-active: \"%s\" is not a whole number from 1 to 100000", arg);
		o->max_active = (uint32_t)v;
		return 0;
	case 'L': return copy_str(o->leases, sizeof(o->leases), arg, "--leases", err, errlen);
	case 'q': o->quiet = true; return 0;
	case 'T': o->think = true; return 0;
	case 'H': o->no_huge = true; return 0;
	case 'h': fputs(storm_usage, stdout); return 1;
	case 'v': printf("stampede-storm %s\n", STP_VERSION); return 1;
	default: return fail(err, errlen, "%s", "unknown option (see --help)");
	}
}

int storm_opts_parse(int argc, char **argv, struct storm_opts *o, char *err, size_t errlen)
{
	int c, n_ports = 0;

	defaults(o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return fail(err, errlen, "%s: unknown option or missing value (see --help)",
				    argv[optind - 1]);
		int rc = one_opt(c, optarg, o, &n_ports, err, errlen);

		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return fail(err, errlen, "%s: unexpected argument (see --help)", argv[optind]);
	if (n_ports == 0)
		return fail(err, errlen, "%s", "no port: give --vdev, --iface or --pci");
	if (o->clients == 0)
		return fail(err, errlen, "%s", "--clients: how many clients? (1 to 100000)");
	/* A client learns its address, the server and the boot file from DHCP. */
	if (!(o->stages & (1u << STORM_ST_DHCP)))
		return fail(err, errlen, "%s", "--stages: the other stages need dhcp (it gives the "
			    "clients their address, the server and the boot file)");
	if (o->port_kind != STORM_PORT_IFACE && strcmp(o->driver, "auto") != 0)
		return fail(err, errlen, "--driver %s: only with --iface", o->driver);
	return 0;
}
