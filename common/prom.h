/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file prom.h
 * A writer of the Prometheus text exposition format, version 0.0.4: what
 * GET /metrics on the admin port answers. It knows the format, nothing of
 * stampede: the counter registry (dataplane/stats.c) and the control core
 * (control/api_metrics.c) each describe their families through it.
 *
 * The format, as the writer produces it:
 *   # HELP <family> <help, '\' and newline escaped>
 *   # TYPE <family> counter|gauge|histogram
 *   <family>{<label>="<value, '\' '"' newline escaped>",...} <value>
 * once per family, and all samples of a family right after its header
 * (a scraper rejects a family whose samples are split). The writer writes
 * the header when a family begins and never twice in a row; callers emit
 * each family's samples together. Counter families get "_total" appended
 * to their name when it lacks it; histograms write
 * <family>_bucket{...,le="<bound>"} (cumulative, ending with le="+Inf"),
 * <family>_sum and <family>_count.
 *
 * Names (families and label names) are made valid by the writer: a
 * character outside [a-zA-Z0-9_:] becomes '_', a leading digit gets a '_'
 * in front, so a caller's typo cannot make the whole answer unparsable.
 *
 * Memory: the text grows in one malloc'd buffer (the admin thread, never
 * a worker). An allocation failure is sticky: prom_take() then returns
 * NULL and the caller answers 500.
 */
#ifndef STP_PROM_H
#define STP_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The Content-Type of an answer in this format. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/** Longest family name kept (with "_total"); longer ones are cut. */
#define PROM_NAME_MAX 128

enum prom_type {
	PROM_COUNTER,    /* only grows; the name ends in _total */
	PROM_GAUGE,      /* a level */
	PROM_HISTOGRAM,  /* _bucket{le}, _sum, _count */
};

/** One label of a sample; @a value may hold any byte but NUL. */
struct prom_label {
	const char *name;
	const char *value;
};

/**
 * A histogram's figures. @a count has n_le + 1 entries: count[i] is the
 * number of observations in (le[i-1], le[i]], the last one those above
 * every bound. The writer makes the buckets cumulative.
 */
struct prom_hist {
	const double *le;        /* upper bounds, ascending */
	unsigned n_le;
	const uint64_t *count;   /* [n_le + 1], per bucket (not cumulative) */
	double sum;              /* of the observed values */
};

/** The text being written. All-zero is an empty writer (no buffer yet). */
struct prom_out {
	char *buf;               /* NUL-terminated when not NULL */
	size_t len, cap;
	bool failed;             /* an allocation failed: the text is incomplete */
	enum prom_type type;     /* of the family being written */
	char family[PROM_NAME_MAX];  /* its full name; "" before the first */
};

/** Start empty (same as zeroing @a o). */
void prom_init(struct prom_out *o);

/** Free the buffer; @a o is empty again. */
void prom_free(struct prom_out *o);

/**
 * Take the text: a malloc'd NUL-terminated string the caller frees, its
 * length in *@a len; @a o is empty again. NULL (and @a o freed) when an
 * allocation failed on the way. An empty writer gives "" (allocated).
 */
char *prom_take(struct prom_out *o, size_t *len);

/**
 * Samples of family @a name follow: writes its HELP and TYPE lines unless
 * it is the family being written already. @a name without "_total": the
 * writer adds it to counters. @a help: one line of text (escaped here).
 */
void prom_family(struct prom_out *o, const char *name, const char *help, enum prom_type type);

/** One sample of the current counter or gauge family. */
void prom_sample(struct prom_out *o, const struct prom_label *labels, unsigned n_labels,
		 uint64_t value);

/** The same with a value that is not a whole number (a ratio, seconds). */
void prom_sample_double(struct prom_out *o, const struct prom_label *labels,
			unsigned n_labels, double value);

/** The _bucket, _sum and _count samples of the current histogram family. */
void prom_histogram(struct prom_out *o, const struct prom_label *labels, unsigned n_labels,
		    const struct prom_hist *h);

#endif
