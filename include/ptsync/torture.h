/* SPDX-License-Identifier: MIT */
/*
 * The torture test: freers map, unmap and exit mms while walkers run
 * GUP-fast on them and bystanders run an unrelated mm in user mode, for a
 * fixed time, under one sync strategy; the checker in mm/gup.c counts every
 * walk that touched freed memory.
 */
#ifndef PTSYNC_TORTURE_H
#define PTSYNC_TORTURE_H

#include <stdbool.h>
#include <stdio.h>

#include "run.h"

#define TORTURE_MAX_SHARED	512	/* --shared-regions: one PUD table's worth */

enum torture_exit {
	TORTURE_SUCCESS = 0,	/* no violation, no leak */
	TORTURE_FAILURE = 1,	/* violations or leaked objects */
};

/* Run one torture test; prints parameters, progress and the summary. */
int ptsync_torture(const struct ptsync_config *cfg, bool json);

/* What a quiet run (compare's safety phase) reports back. */
struct torture_outcome {
	const _Atomic int *stop;	/* in: ends the run early when set */
	double seconds;
	uint64_t violations, leaked, fallbacks, walks, ipis_sent, ipis_received;
	double first_violation_s;	/* -1: none */
	uint64_t site_events[NR_CALLSITES], site_violations[NR_CALLSITES];
	bool describe;			/* in: fill params and repeat */
	char *params, *repeat;		/* malloc'd lines (free them), or NULL */
};

/* Run one torture test printing nothing. */
int torture_quiet(const struct ptsync_config *cfg, struct torture_outcome *out);

/*
 * torture --sweep (kernel/torture_sweep.c): runs of @interval_s each, for
 * @cfg->duration_s in all, each with every race-widening knob drawn anew
 * from @cfg->seed; stops at the first interval that fails and prints its
 * settings as a `repeat:` line.
 */
int ptsync_torture_sweep(const struct ptsync_config *cfg, double interval_s, bool json);
/* The options --sweep draws itself (a usage error to give them too). */
extern const char *const torture_sweep_knobs[];

/* Pieces, for tests and other drivers (compare). */
struct ptsync_run *ptsync_run_create(const struct ptsync_config *cfg);
int ptsync_run_stop(struct ptsync_run *run);
void torture_cpu(struct cpu *c);
void torture_walker_job(struct cpu *c);
uint64_t torture_region_addr(unsigned int region);
void torture_print_params(FILE *f, const struct ptsync_run *run, const char *tag);
/* One line, if the arch's flush barrier hides this unsafe strategy. */
void torture_print_hidden(FILE *f, const struct ptsync_run *run);
/* One line: the options that repeat this run's workload exactly. */
void torture_print_repeat(FILE *f, const struct ptsync_run *run);
/* "random:P_US,P_TICKS" or "Nns": what --walk-delay accepts. */
const char *walk_delay_str(const struct walk_delay *d, char *buf, size_t len);

#endif /* PTSYNC_TORTURE_H */
