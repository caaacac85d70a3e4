/* SPDX-License-Identifier: MIT */
/*
 * ptsync compare: the results, what every phase fills in and the report
 * reads (compare.h says what compare measures and why).  The phases
 * (compare.c, compare_phase.c, compare_rate.c) include this and nothing of
 * the report; the report (compare_report.c, compare_callsite.c,
 * compare_fanout.c) includes this and nothing of the phases, so
 * dependencies run one way: phases -> results <- report.
 */
#ifndef PTSYNC_COMPARE_RESULTS_H
#define PTSYNC_COMPARE_RESULTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hostcheck.h"
#include "ptsync/osnoise.h"
#include "ptsync/linfit.h"
#include "ptsync/run.h"

#define COMPARE_MAX_STRATEGIES	16

/* The cost phase's groups: a call site, and for unshare a sync mode. */
enum compare_group {
	CG_FALLBACK,
	CG_COLLAPSE,
	CG_UNSHARE_GATHER,
	CG_UNSHARE_UNSHARE,
	NR_COMPARE_GROUPS
};

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

/* The rate-matched phase (compare_rate.c), summed over repetitions. */
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
	/* ... and the bystanders' noise of each repetition alone, ns/s */
	double rep_noise_ns_per_s[COMPARE_MAX_REPS];
	unsigned int nr_rep_noise;
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

/* The TLB flush's cost to the freer (compare_tlb.c): --tlb=native/pv. */
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

/* tools/compare/compare_results.c */
enum pt_callsite compare_group_site(int group);
const char *compare_group_name(int group);	/* "unshare-per-gather", ... */
int compare_group_unshare_sync(int group);	/* UNSHARE_SYNC_PER_... */

uint64_t compare_sync_pct(const struct compare_result *res, double p);

#endif /* PTSYNC_COMPARE_RESULTS_H */
