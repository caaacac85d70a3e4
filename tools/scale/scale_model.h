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

/* One number, and where it came from (a JSON path, or how derived).
 * from: the strategy whose measured figure it was derived from (NULL: a
 * fan-out curve, the config or the baseline), so that validation can mark
 * that strategy's rows fitted by what they were fitted from. */
struct scale_param {
	double v;
	char src[200];
	const struct pt_sync_ops *from;
};

/*
 * A broadcast's fan-out curve: the p50 time to IPI K spinning targets and
 * wait for all, at each measured K.  Fitted with the kernel's shape
 * (kernel/smp.c): one target takes the single-IPI path
 * (smp_call_function_single's send), two or more the mask path, whose
 * send grows by a cost per target; the targets then answer in parallel,
 * so the sync ends at the slowest one's answer.  single_ns is the K = 1
 * point; intercept + slope * j is when the j-th target of a mask send has
 * taken its IPI when its IRQs are on.
 */
#define SCALE_MAX_K	32
struct scale_curve {
	const char *name;		/* "model" or "kernel" */
	char src[300];			/* file and JSON path */
	int n;
	double k[SCALE_MAX_K], p50[SCALE_MAX_K];
	double single_ns, intercept_ns, slope_ns;
	int fit_points;			/* points the line was fitted on */
	double file_slope, file_intercept;	/* the file's own fit: printed beside */
};

/* Every fit found in the input files, and what scale did with it. */
#define SCALE_MAX_FITS	16
struct scale_fit_read {
	char path[200];
	double v;
	const char *use;
};

/* Per strategy figures from compare, for validation and the walk cost. */
struct scale_measured {
	const struct pt_sync_ops *ops;
	double sync_p50_ns;
	double spread;			/* run-to-run, relative; NAN: not in the file */
	double sync_p99_ns, sync_count;	/* the p50's own sampling error */
	double noise_spread;		/* run-to-run, relative; NAN: not in the file */
	double fallbacks, seconds;
	double bystander_sync_ipis;	/* all bystanders */
	double walker_sync_ipis;	/* all walkers */
	double noise_ns_per_s;		/* per bystander-second */
	double noise_runtime_ns;	/* bystander-seconds measured, in ns */
	double walk_ns, raw_walk_ns;
	double held_pages_peak;
	/* the bystander cost the strategy declared when compare ran; "" where
	 * the file does not say.  Another than its ops declare now: the file
	 * measured an older definition, and validation cannot compare it */
	char bystander_kind[32];
};

struct scale_params {
	char from[512];			/* the results.json read */
	char machine[512];		/* the hostcheck JSON of the kernel column */
	int cpus, freers, walkers, bystanders;	/* compare's run */
	bool nohz_full;
	int tlb_mode;
	struct scale_param hz;
	struct scale_curve model, kernel;	/* userspace signals; the host kernel */
	struct scale_param noise_per_ipi_ns;	/* what a bystander loses per IPI */
	struct scale_param base_noise_ns_per_s;
	struct scale_param floor_ns;	/* a sync that waits for nobody */
	struct scale_param defer_ns;	/* queueing one table for call_rcu() */
	struct scale_param scan_ns_per_cpu;	/* reading one CPU's slot/context */
	struct scale_param freer_work_ns;	/* unmap work between fallbacks */
	struct scale_param walk_ns, raw_walk_ns;	/* the unprotected walk */
	struct scale_param walk_duty;	/* fraction of a walker's time IRQs off */
	struct scale_param walker_kernel;	/* fraction of a walker's time in the kernel */
	struct scale_param tlb_flush_ns;	/* a native flush, p50 */
	struct scale_param tlb_per_target_ns;	/* ... per target beyond tlb_k */
	int tlb_k;			/* the K tlb_flush_ns was measured at */
	struct scale_param rcu_p50_ns;	/* measured, to check the GP structure */
	struct scale_measured m[SCALE_MAX_STRATEGIES];
	int nr_m;
	struct scale_fit_read fits[SCALE_MAX_FITS];
	int nr_fits;
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
	/* The scripted scenario: a fixed state per CPU (enum scale_script),
	 * NULL for the lazily simulated walkers and drawn bystanders. */
	const int *script;
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
	double flush_ns;		/* of which the TLB flush, per event (a constant) */
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

/* A CPU's state in the scripted scenario, held for the whole run. */
enum scale_script {
	SCRIPT_FREER,
	SCRIPT_WALKING,		/* a walker inside a walk of the freer's mm */
	SCRIPT_WALKER_KERNEL,	/* a walker between walks, in the kernel */
	SCRIPT_WALKER_USER,	/* a walker in user mode */
	SCRIPT_KERNEL,		/* a bystander in the kernel */
	SCRIPT_USER,		/* a bystander in user mode */
};

/* tools/scale/scale_params.c: read compare's results.json: 0, or -1 with msg. */
int scale_params_load(struct scale_params *p, const char *path, char *err, size_t len);
/* The kernel column from a hostcheck --json file: 0, or -1 with msg. */
int scale_machine_load(struct scale_params *p, const char *path, char *err, size_t len);
/* Fit @c on its first @n points (all: c->n). */
void scale_curve_fit(struct scale_curve *c, int n);
/* When the j-th of K targets has taken its IPI, IRQs on, from the send. */
double scale_curve_at(const struct scale_curve *c, int j, int k);
void scale_params_print(FILE *f, const struct scale_params *p);
void scale_params_json(FILE *f, const struct scale_params *p);
const struct scale_measured *scale_measured_find(const struct scale_params *p,
						 const struct pt_sync_ops *ops);

/* tools/scale/scale_des.c */
bool scale_models(const struct pt_sync_ops *ops);
enum pt_callsite scale_site_callsite(enum scale_callsite s);
void scale_run(const struct scale_params *p, const struct scale_machine *m,
	       const struct pt_sync_ops *ops, enum scale_callsite site,
	       struct scale_out *out);

/* Newest ptsync-results/(star)/results.json into buf: 0, or -1 if none. */
int scale_find_results(char *buf, size_t len);

#endif /* PTSYNC_TOOLS_SCALE_MODEL_H */
