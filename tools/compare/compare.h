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
 *          for them) walk the freer's mm;
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
struct compare_rate {
	unsigned int phases;
	uint64_t os_fallbacks, tl_fallbacks, unmaps;
	double os_seconds, tl_seconds;	/* the open-loop freer's time */
	struct noise osnoise, timerlat;	/* the bystanders, per meter */
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
	struct samples batch_gp;	/* batches: call_rcu to callback */
	struct noise noise;		/* all bystanders, all repetitions */
	/* walk phase: medians of the per-block ns/walk */
	double walk_ns, raw_walk_ns;
	/* safety phase */
	bool safety_run;
	double safety_s;
	uint64_t violations, safety_fallbacks, leaked;
	struct compare_rate rate;
	uint64_t site_events[NR_CALLSITES], site_violations[NR_CALLSITES];
	/* the cost phase per group ([CG_FALLBACK] repeats the above) */
	struct compare_site group[NR_COMPARE_GROUPS];
};

struct compare_report {
	struct compare_config cfg;
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

/* tools/compare_fanout.c: like-for-like host figures, fan-out correction */
int compare_model_k(const struct compare_report *r);
const struct hc_fanout_point *compare_host_at_k(const struct compare_report *r);
double compare_host_ratio(const struct compare_report *r, bool *like_for_like);
bool compare_slope_delta(const struct compare_report *r, double *delta);
double compare_sync_k(const struct compare_result *res);
void compare_print_host_k_row(FILE *f, const struct compare_report *r);
void compare_print_fanout(FILE *f, const struct compare_report *r);
void compare_fanout_json(FILE *f, const struct compare_report *r);
bool compare_fanout_files(const struct compare_report *r);

#endif /* PTSYNC_COMPARE_H */
