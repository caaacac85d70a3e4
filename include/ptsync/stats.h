/* SPDX-License-Identifier: MIT */
/*
 * Numbers for reports: log2 histograms (cheap, mergeable, for gaps and
 * latencies of any size) and sample arrays (exact percentiles, for the
 * sync latencies we report as p50/p99/max).
 *
 * Both have one writer; readers look only after the writer is done.
 */
#ifndef PTSYNC_STATS_H
#define PTSYNC_STATS_H

#include <stddef.h>
#include <stdint.h>

#define HIST_BUCKETS	64	/* bucket i: values in [2^i, 2^(i+1)), 0 in 0 */

struct hist {
	uint64_t count, sum, max;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_add(struct hist *h, uint64_t v);
void hist_merge(struct hist *dst, const struct hist *src);
unsigned int hist_bucket(uint64_t v);

struct samples {
	uint64_t *v;
	size_t n, cap, max_n;	/* beyond max_n, samples are dropped and counted */
	uint64_t dropped;
};

void samples_init(struct samples *s, size_t max_n);
void samples_free(struct samples *s);
void samples_add(struct samples *s, uint64_t v);
/* Append all of src to dst. */
void samples_merge(struct samples *dst, const struct samples *src);
/* Sorts s in place; p in [0, 100]; 0 when empty. */
uint64_t samples_percentile(struct samples *s, double p);
uint64_t samples_max(const struct samples *s);

#endif /* PTSYNC_STATS_H */
