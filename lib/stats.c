// SPDX-License-Identifier: MIT
/*
 * Histograms and samples for the reports.  Percentiles are exact (nearest
 * rank on the sorted samples), not interpolated from histogram buckets,
 * because a p99 that moves with bucket edges is worse than none.
 */
#include <stdlib.h>
#include <string.h>

#include "ptsync/stats.h"
#include "ptsync/util.h"

unsigned int hist_bucket(uint64_t v)
{
	return v ? 63u - (unsigned int)__builtin_clzll(v) : 0u;
}

void hist_add(struct hist *h, uint64_t v)
{
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
	h->bucket[hist_bucket(v)]++;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
	for (int i = 0; i < HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

void samples_init(struct samples *s, size_t max_n)
{
	memset(s, 0, sizeof(*s));
	s->max_n = max_n;
}

void samples_free(struct samples *s)
{
	free(s->v);
	samples_init(s, s->max_n);
}

void samples_add(struct samples *s, uint64_t v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *nv;

		if (cap > s->max_n)
			cap = s->max_n;
		if (s->n >= cap) {
			s->dropped++;
			return;
		}
		nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			ptsync_die("out of memory for %zu samples", cap);
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

void samples_merge(struct samples *dst, const struct samples *src)
{
	for (size_t i = 0; i < src->n; i++)
		samples_add(dst, src->v[i]);
	dst->dropped += src->dropped;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t samples_percentile(struct samples *s, double p)
{
	size_t rank;

	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	rank = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1];
}

uint64_t samples_max(const struct samples *s)
{
	uint64_t m = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] > m)
			m = s->v[i];
	return m;
}
