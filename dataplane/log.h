/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file log.h
 * Logging for the main and control threads (stderr). Workers never log:
 * they count, and control prints the counters.
 */
#ifndef STP_LOG_H
#define STP_LOG_H

#include <stdio.h>

#define log_info(...) (fprintf(stderr, "stampede: " __VA_ARGS__), fputc('\n', stderr))
#define log_err(...) (fprintf(stderr, "stampede: error: " __VA_ARGS__), fputc('\n', stderr))
#define log_warn(...) (fprintf(stderr, "stampede: warning: " __VA_ARGS__), fputc('\n', stderr))

#endif
