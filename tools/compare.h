/* SPDX-License-Identifier: MIT */
/*
 * ptsync compare: what each strategy costs the freeing CPU, the walkers and
 * the innocent bystanders, measured side by side in one run.
 *
 * The seed's argument is a cost claim - the broadcast IPI disturbs every
 * CPU, synchronize_rcu() disturbs none but makes the freer sleep - so
 * compare runs every strategy, and a no-sync baseline, through the same
 * seeded scenario, interleaved and repeated (A B C A B C ...) so that drift
 * on a noisy machine hits all of them alike, and reports medians and exact
 * counts.
 *
 * Phases, each interleaved over the strategies:
 *  cost    one freer maps and unmaps (every table freed through the
 *          fallback at --batch-fail=1), bystanders run the osnoise or
 *          timerlat meter in user mode/idle, walkers (when there are cores
 *          for them) walk the freer's mm, their IRQs-off windows metered
 *          (compare_walkers.c);
 *  rate    the same at one fixed fallback rate for all (compare_rate.c);
 *  tlb     with --tlb=native or pv: the flush timed at K targets
 *          (compare_tlb.c);
 *  walk    one CPU times GUP-fast under the strategy against the raw walk,
 *          in alternating blocks, on an mm nobody unmaps;
 *  safety  a short torture run, oversubscribed if need be: violations;
 *  host    hostcheck: the host kernel's membarrier(2) as ground truth.
 *
 * The cost phase runs once per call site (--callsite, all by default),
 * each its own group of phases, the fallback's for --phase-seconds and
 * each other for --site-seconds (a sixth of that by default):
 *  fallback  the above: map and unmap, every table through the fallback;
 *  collapse  the freer maps a region fully and collapses it, as khugepaged
 *            would (the old table deposited), then unmaps it;
 *  unshare   the freer's mm and another share the hugetlb file's PMD
 *            tables; the freer unmaps its whole range (one gather,
 *            --shared-regions unshares, each leaving a table to the other
 *            mm) and faults it back (sharing again).  Per-gather and
 *            per-unshare syncs are two groups, both run by default.
 * Bystander IPIs are counted by the call site the sender synced for, so
 * each group's counts are the site's own.
 */
#ifndef PTSYNC_COMPARE_H
#define PTSYNC_COMPARE_H

#include <stdbool.h>
#include <stdio.h>

#include "hostcheck.h"
#include "ptsync/osnoise.h"
#include "ptsync/run.h"
#include "ptsync/trace.h"

#define COMPARE_MAX_STRATEGIES	16

/* The cost phase's groups: a call site, and for unshare a sync mode. */
enum compare_group {
	CG_FALLBACK,
	CG_COLLAPSE,
	CG_UNSHARE_GATHER,
	CG_UNSHARE_UNSHARE,
	NR_COMPARE_GROUPS
};

enum pt_callsite compare_group_site(int group);
const char *compare_group_name(int group);	/* "unshare-per-gather", ... */

struct compare_config {
	struct ptsync_config base;	/* cpus, roles, hz, batch-*, seed, ... */
	const struct pt_sync_ops *ops[COMPARE_MAX_STRATEGIES];
	int nr_ops;			/* ops[0] is the no-sync baseline */
	unsigned int reps;
	double phase_s, walk_s, safety_s, hostcheck_s;
	enum noise_mode noise_mode;
	uint64_t noise_threshold_ns;
	uint64_t timerlat_period_ns;
	bool hostcheck, plots, progress, json;
	double rate;			/* rate-matched phase: fallbacks per second */
	double rate_s;			/* ... seconds per meter; <0: phase_s / 3 */
	const char *out_dir;		/* NULL: ptsync-results/<timestamp> */
	unsigned int groups;		/* 1u << enum compare_group, to run */
	double site_s;			/* cost phase of each call site but the
					 * fallback's; <0: phase_s / 6 */
};

/* One strategy at one group: the cost phase's figures, summed over reps. */
struct compare_site {
	bool run;
	double seconds;
	uint64_t events, ops, syncs, upstream;	/* ops: gathers, or collapses */
	uint64_t ipis_sent, ipis_received, calls_sent, calls_run;
	uint64_t bystander_site_calls;	/* sync IPIs the bystanders took for it */
	uint64_t bystander_tlb_calls;
	int nr_bystanders;
	struct samples sync_lat;
	struct noise noise;
};

/* The rate-matched phase (tools/compare_rate.c), summed over repetitions. */
#define COMPARE_MAX_REPS	100	/* --reps at most */
struct compare_rate {
	unsigned int phases;
	uint64_t os_fallbacks, tl_fallbacks, unmaps, jobs;
	/* the meters' window: each phase's bystanders measured for (mean
	 * over them), and the fallbacks counted inside it */
	double os_seconds, tl_seconds;
	uint64_t max_burst;		/* most fallbacks one due time brought */
	uint64_t bystander_ipis;	/* IPIs the bystanders took (osnoise phases) */
	uint64_t bystander_phases;	/* bystanders x osnoise phases */
	unsigned int os_phases;
	struct noise osnoise, timerlat;	/* the bystanders, per meter */
	/* per repetition, osnoise: the bystanders' noise and the rate got */
	unsigned int reps;
	double rep_noise_ns_per_s[COMPARE_MAX_REPS], rep_rate[COMPARE_MAX_REPS];
};

struct compare_result {
	const struct pt_sync_ops *ops;
	bool baseline;
	/* cost phase, summed over repetitions */
	double seconds;
	uint64_t unmaps, fallbacks, syncs;
	uint64_t ipis_sent, ipis_received, calls_sent, calls_run;
	uint64_t bystander_ipis;	/* received by bystander CPUs */
	uint64_t bystander_sync_calls;	/* ... calls they ran: sync IPIs */
	uint64_t bystander_tlb_calls;	/* ... and TLB-flush IPIs */
	uint64_t tlb_calls;		/* TLB-flush calls run, every CPU */
	/* pt-reclaim: tables held for a grace period (max over reps, mean
	 * over all the phases' time) and each one's call_rcu latency */
	int64_t held_peak;
	double held_page_ns, held_span_ns;
	struct samples held_cb;
	uint64_t ipis_each[NR_CPUS];	/* received, per CPU */
	bool is_bystander[NR_CPUS];
	int nr_bystanders;
	struct samples sync_lat;
	/* the fallback's sync p50 of each repetition alone: the run-to-run
	 * spread that ptsync scale sets its tolerances by */
	uint64_t rep_sync_p50[COMPARE_MAX_REPS];
	unsigned int nr_rep_sync;
	struct samples batch_gp;	/* batches: call_rcu to callback */
	struct noise noise;		/* all bystanders, all repetitions */
	/* walk phase: medians of the per-block ns/walk */
	double walk_ns, raw_walk_ns;
	/* safety phase */
	bool safety_run;
	double safety_s;
	uint64_t violations, safety_fallbacks, leaked;
	struct compare_rate rate;
	/* the walkers' IRQs-off windows in the fallback's cost phase
	 * (kernel/trace/walk_meter.c): ns per walk, ns between walks, and
	 * each walker's fraction of time masked, summed over walkers x reps */
	struct samples walk_len, walk_gap;
	double duty_sum;
	int duty_n;
	uint64_t site_events[NR_CALLSITES], site_violations[NR_CALLSITES];
	/* the cost phase per group ([CG_FALLBACK] repeats the above) */
	struct compare_site group[NR_COMPARE_GROUPS];
};

/* The TLB flush's cost to the freer (tools/compare_tlb.c): --tlb=native/pv. */
#define COMPARE_TLB_MAX_K	8
struct compare_tlb {
	bool run;
	int nr;				/* points measured */
	int k[COMPARE_TLB_MAX_K];	/* CPUs in the mm besides the flusher */
	uint64_t p50_ns[COMPARE_TLB_MAX_K], calls[COMPARE_TLB_MAX_K];
	struct linfit fit;		/* p50 against K: per-target slope */
};

struct compare_report {
	struct compare_config cfg;
	struct compare_tlb tlb;
	struct compare_result res[COMPARE_MAX_STRATEGIES];
	int nr_res;
	bool partial;			/* interrupted: what ran is reported */
	bool oversubscribed;
	int host_cpus;
	char kernel[128], cpu_model[128];
	bool host_ok;
	struct hostcheck_result host;
	char out_dir[512];
};

void compare_config_default(struct compare_config *cfg);
/* Runs everything, prints the table, writes the files; exit status. */
int ptsync_compare(const struct compare_config *cfg);

/* tools/compare_report.c */
/* @ns as "12.3us", "8.00ms"...: the tables' one format for times. */
const char *fmt_ns(char *buf, size_t len, double ns);

/*
 * tools/compare.c: a bystander, in user mode (osnoise) or idle (timerlat)
 * for the whole phase: it counts itself *settled before any freer starts
 * and stays while *working freers remain, so what it is sent is exactly
 * what a strategy sends a CPU there.
 */
void compare_bystander(struct cpu *c, const struct compare_config *cfg,
		       enum noise_mode meter, _Atomic int *settled,
		       const _Atomic int *working);

/* ... and freers and walkers wait for every bystander to be settled. */
void compare_wait_settled(struct cpu *c, const _Atomic int *settled);

/* tools/compare.c: one freer job, a map and an unmap of one region. */
void compare_freer_job(struct cpu *c, unsigned int *region);

void compare_print_table(FILE *f, const struct compare_report *r);
/* Resolve and create the output directory, check it is writable: -errno. */
int compare_prepare_out_dir(struct compare_report *r);
int compare_write_files(struct compare_report *r);
double compare_model_ratio(const struct compare_report *r);
uint64_t compare_sync_pct(const struct compare_result *res, double p);

/* tools/compare_callsite.c: the cost phase at collapse and unshare */
void compare_print_callsites(FILE *f, const struct compare_report *r);
void compare_callsites_json(FILE *f, const struct compare_report *r,
			    const struct compare_result *res);
void compare_callsites_csv(FILE *f, const struct compare_report *r);

/* tools/compare_rate.c: the freer open-loop at cfg->rate fallbacks/s */
void compare_rate_phase(const struct compare_config *cfg, struct compare_result *res,
			unsigned int rep, enum noise_mode meter, const _Atomic int *stop);
double compare_rate_seconds(const struct compare_config *cfg);
void compare_print_rate(FILE *f, const struct compare_report *r);
void compare_rate_json(FILE *f, const struct compare_report *r);

/* tools/compare_tlb.c: flush_tlb_mm_range() timed at K targets */
void compare_tlb_phase(struct compare_report *r, const _Atomic int *stop);
void compare_print_tlb(FILE *f, const struct compare_report *r);
void compare_tlb_json(FILE *f, const struct compare_report *r);

/* tools/compare_walkers.c: the walkers' IRQs-off duty cycle */
void compare_walkers_collect(struct compare_result *res, const struct ptsync_run *run,
			     struct walk_meter *m);
void compare_print_walkers(FILE *f, const struct compare_report *r);
void compare_walkers_json(FILE *f, const struct compare_report *r);
void compare_walkers_strategy_json(FILE *f, const struct compare_result *res);

/* tools/compare_interp.c: a fan-out curve's p50 at any K */
enum fanout_how {
	FO_NONE,		/* no figure: one K measured, and not this one */
	FO_MEASURED,		/* the curve has a point at K */
	FO_INTERPOLATED,	/* the fit, K inside the measured range */
	FO_EXTRAPOLATED,	/* the fit, K outside it */
};
enum fanout_how fanout_curve_at(const struct hc_fanout_curve *c, int k, double *ns);
const char *fanout_how_name(enum fanout_how how);

/* tools/compare_fanout.c: like-for-like host figures, fan-out correction */
int compare_model_k(const struct compare_report *r);
const struct hc_fanout_point *compare_host_at_k(const struct compare_report *r);
/* The host kernel's broadcast p50 at the model's K, and how it was read. */
enum fanout_how compare_host_ns_at_k(const struct compare_report *r, double *ns);
double compare_host_ratio(const struct compare_report *r, enum fanout_how *how);
bool compare_slope_delta(const struct compare_report *r, double *delta);
double compare_sync_k(const struct compare_result *res);
void compare_print_host_k_row(FILE *f, const struct compare_report *r);
void compare_print_fanout(FILE *f, const struct compare_report *r);
void compare_fanout_json(FILE *f, const struct compare_report *r);
bool compare_fanout_files(const struct compare_report *r);

#endif /* PTSYNC_COMPARE_H */
