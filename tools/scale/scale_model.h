/* SPDX-License-Identifier: MIT */
/*
 * ptsync scale: what the strategies would cost on machines with far more
 * CPUs than this one, by a discrete-event model fed with this host's own
 * measurements.
 *
 * Why a model and not the real threads: the real model needs a host core
 * per simulated CPU to time anything, and the question people ask is about
 * 64, 196 or 1024 CPUs.  The per-event costs (an IPI's fan-out, what it
 * costs the CPU that takes it, the tick, a walk) are measured here by
 * compare and hostcheck; only the counting and the queueing are projected.
 * Every parameter carries the name of the measurement it came from, and the
 * model must first predict compare's own figures at this host's core count
 * (scale_validate) before anyone should believe its projection.
 *
 * No threads and no clocks: simulated time only.  Walkers are lazy
 * periodic processes (a walker's state at time t is computed, not
 * simulated walk by walk), so 1024 CPUs cost events only where something
 * happens: an IPI sent, taken, deferred, acknowledged; a grace period.
 */
#ifndef PTSYNC_TOOLS_SCALE_MODEL_H
#define PTSYNC_TOOLS_SCALE_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ptsync/strategy.h"
#include "ptsync/tlb.h"

#define SCALE_MAX_CPUS		4096
#define SCALE_MAX_STRATEGIES	16

/* One number, and where it came from (a JSON path, or how derived). */
struct scale_param {
	double v;
	char src[160];
};

/* Per strategy figures from compare, for validation and the walk cost. */
struct scale_measured {
	const struct pt_sync_ops *ops;
	double sync_p50_ns;
	double fallbacks, seconds;
	double bystander_sync_ipis;	/* all bystanders */
	double noise_ns_per_s;		/* per bystander-second */
	double noise_runtime_ns;	/* bystander-seconds measured, in ns */
	double walk_ns, raw_walk_ns;
	double held_pages_peak;
};

struct scale_params {
	char from[512];			/* the results.json read */
	int cpus, freers, walkers, bystanders;	/* compare's run */
	bool nohz_full;
	int tlb_mode;
	struct scale_param hz;
	struct scale_param ipi_intercept_ns, ipi_slope_ns;	/* the model's fan-out */
	struct scale_param host_intercept_ns, host_slope_ns;	/* the kernel's */
	bool host_fanout;		/* host_* measured, not just copied */
	struct scale_param noise_per_ipi_ns;	/* what a bystander loses per IPI */
	struct scale_param base_noise_ns_per_s;
	struct scale_param floor_ns;	/* a sync that waits for nobody */
	struct scale_param scan_ns_per_cpu;	/* reading one CPU's slot/context */
	struct scale_param freer_work_ns;	/* unmap work between fallbacks */
	struct scale_param walk_ns, raw_walk_ns;	/* the unprotected walk */
	struct scale_param walk_duty;	/* fraction of a walker's time in a walk */
	struct scale_param rcu_p50_ns;	/* measured, to check the GP structure */
	struct scale_measured m[SCALE_MAX_STRATEGIES];
	int nr_m;
};

/* Where a sync is needed (issue 7's call sites). */
enum scale_callsite {
	SITE_FALLBACK,		/* tlb_remove_table() without a batch page */
	SITE_COLLAPSE,		/* khugepaged: clear pmd, flush, sync, reuse */
	SITE_UNSHARE_EACH,	/* hugetlb unshare, one sync per unshare */
	SITE_UNSHARE_GATHER,	/* ... one sync per gather (Dec 2025) */
	NR_SITES
};

const char *scale_site_name(enum scale_callsite s);

/* The machine the DES runs: one freer, walkers of its mm, bystanders. */
struct scale_machine {
	int cpus, walkers;		/* bystanders: the rest */
	int tlb_mode;
	bool nohz_full;			/* bystanders' user mode is an EQS */
	double bystander_kernel_frac;	/* time bystanders spend in the kernel */
	bool host_costs;		/* project with the kernel's fan-out */
	unsigned int unshare_tables;	/* tables one unsharing exit drops */
	unsigned int events;		/* call-site events to simulate */
	uint64_t seed;
};

struct scale_out {
	bool applies;			/* the strategy has an answer here */
	const char *why_not;
	double events, syncs;
	double lat_p50_ns, lat_mean_ns, lat_max_ns;	/* per call-site event */
	double events_per_s;		/* closed loop */
	double ipis_per_bystander_per_event;	/* exact: integer counts / events */
	double ipis_per_walker_per_event;	/* sync IPIs */
	double tlb_ipis_per_walker_per_event;	/* flush IPIs (native, pv) */
	double noise_ns_per_event;	/* per bystander */
	double noise_ns_per_s;		/* per bystander, at the closed-loop rate */
	double held_bytes;		/* tables waiting for a grace period, mean */
	double walk_overhead;		/* protected / raw walk - 1 */
	uint64_t sim_events;		/* DES events processed */
	/* per-CPU IPIs received (only when asked: the counts test) */
	uint64_t *ipis_each;
};

/* tools/scale/scale_params.c: read compare's results.json: 0, or -1 with msg. */
int scale_params_load(struct scale_params *p, const char *path, char *err, size_t len);
void scale_params_print(FILE *f, const struct scale_params *p);
void scale_params_json(FILE *f, const struct scale_params *p);
const struct scale_measured *scale_measured_find(const struct scale_params *p,
						 const struct pt_sync_ops *ops);

/* tools/scale/scale_des.c */
bool scale_models(const struct pt_sync_ops *ops);
void scale_run(const struct scale_params *p, const struct scale_machine *m,
	       const struct pt_sync_ops *ops, enum scale_callsite site,
	       struct scale_out *out);

/* Newest ptsync-results/(star)/results.json into buf: 0, or -1 if none. */
int scale_find_results(char *buf, size_t len);

#endif /* PTSYNC_TOOLS_SCALE_MODEL_H */
