/* SPDX-License-Identifier: BSD-3-Clause */
#include "eal_argv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int eal_args_add(struct eal_args *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->argc >= EAL_ARGS_MAX)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(a->store[a->argc], EAL_ARG_LEN, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= EAL_ARG_LEN)
		return -1;
	a->argv[a->argc] = a->store[a->argc];
	a->argc++;
	a->argv[a->argc] = NULL;
	return 0;
}

int eal_lcore_count(const char *list)
{
	int count = 0;
	const char *s = list;

	if (*s == '\0')
		return -1;
	while (*s) {
		char *end;
		long lo = strtol(s, &end, 10), hi;

		if (end == s || lo < 0)
			return -1;
		hi = lo;
		if (*end == '-') {
			s = end + 1;
			hi = strtol(s, &end, 10);
			if (end == s || hi < lo)
				return -1;
		}
		count += (int)(hi - lo + 1);
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -1;
		s = end;
	}
	return count;
}
