/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file eal_argv.h
 * An argv for rte_eal_init() built in place, and the lcore lists it
 * takes. Shared by stampede and stampede-storm; no DPDK needed, so the
 * mapping from options to EAL arguments is unit-tested.
 */
#ifndef STP_EAL_ARGV_H
#define STP_EAL_ARGV_H

#define EAL_ARGS_MAX 24
#define EAL_ARG_LEN 600

struct eal_args {
	int argc;
	char *argv[EAL_ARGS_MAX + 1];   /* NULL-terminated, into store[] */
	char store[EAL_ARGS_MAX][EAL_ARG_LEN];
};

/**
 * Append one argument, printf-style.
 * @return 0, or -1 when the argv is full or the argument longer than
 *         EAL_ARG_LEN - 1 (nothing appended)
 */
int eal_args_add(struct eal_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Count the lcores in an EAL list such as "0-3,6,8-9".
 * @return the count, or -1 when the list is malformed.
 */
int eal_lcore_count(const char *list);

#endif
