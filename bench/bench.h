/* SPDX-License-Identifier: MIT */
/*
 * What the bench programs share: their "--name=N" argument parser, and
 * the sorted medians they report, and the two-CPU model the walk benches
 * time a walk in.
 * Define PROG (the program's name, for messages) before including.
 */
#ifndef PTSYNC_BENCH_H
#define PTSYNC_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptsync/run.h"

/* If @arg is "@name<N>", set *v to N (lo..hi, else exit 2) and say so. */
static inline bool parse_uint(const char *arg, const char *name, unsigned int lo,
		       unsigned int hi, unsigned int *v)
{
	size_t n = strlen(name);
	char *end;
	unsigned long x;

	if (strncmp(arg, name, n))
		return false;
	x = strtoul(arg + n, &end, 10);
	if (*end || end == arg + n || x < lo || x > hi) {
		fprintf(stderr, "%s: %s wants %u..%u\n", PROG, name, lo, hi);
		exit(2);
	}
	*v = (unsigned int)x;
	return true;
}

/*
 * What every bench times in: one freer and @walkers walkers, a CPU each,
 * one mm, no bystanders, and no batch allocation failures.
 */
static inline void bench_config(struct ptsync_config *cfg, int walkers)
{
	ptsync_config_default(cfg);
	cfg->nr_cpus = 1 + walkers;
	cfg->nr_freers = 1;
	cfg->nr_walkers = walkers;
	cfg->nr_bystanders = 0;
	cfg->nr_mms = 1;
	cfg->batch_fail = 0;
}

/* A walk timed alone under @ops: one walker, small pools, and no vCPU
 * preempted mid-walk (pv). */
static inline void bench_walk_config(struct ptsync_config *cfg, const struct pt_sync_ops *ops)
{
	bench_config(cfg, 1);
	cfg->ops = ops;
	cfg->pt_pages = 64;
	cfg->folios = 1024;
	cfg->preempt_chance = 0;
}

/* qsort()'s order for uint64_t. */
static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Sorts @ns (@n samples): the median, and ns[0], ns[n - 1] the extremes. */
static inline uint64_t bench_median(uint64_t *ns, unsigned int n)
{
	qsort(ns, n, sizeof(*ns), bench_cmp_u64);
	return ns[n / 2];
}

#endif /* PTSYNC_BENCH_H */
