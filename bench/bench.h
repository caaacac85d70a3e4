/* SPDX-License-Identifier: MIT */
/*
 * What the bench programs share: their "--name=N" argument parser, and
 * the sorted medians they report, and the runs of the model they time
 * (set up, started, and checked clean at the end).
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

/*
 * Start CPUs running @fn on a fresh run from @cfg, @priv as run->priv;
 * NULL, and a line on stderr, when it cannot be set up.
 */
static inline struct ptsync_run *bench_run_start(const struct ptsync_config *cfg, cpu_fn_t fn,
						 void *priv)
{
	struct ptsync_run *run = calloc(1, sizeof(*run));

	if (!run || ptsync_run_init(run, cfg)) {
		fprintf(stderr, "%s: cannot set up a run\n", PROG);
		free(run);
		return NULL;
	}
	run->priv = priv;
	cpus_start(run, fn);
	return run;
}

/* Wait for @run's CPUs, drain and free it: whether it ended clean (no
 * live object left after rcu_barrier(), no violation). */
static inline bool bench_run_finish(struct ptsync_run *run)
{
	bool clean;

	cpus_stop(run);
	clean = !ptsync_run_drain(run) && !READ_ONCE(run->violations.total);
	ptsync_run_destroy(run);
	free(run);
	return clean;
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
