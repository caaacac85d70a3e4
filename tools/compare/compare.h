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

#include "compare_callsite.h"
#include "compare_fanout.h"
#include "compare_interp.h"
#include "compare_phase.h"
#include "compare_rate.h"
#include "compare_report.h"
#include "compare_results.h"
#include "compare_tlb.h"
#include "compare_walkers.h"

void compare_config_default(struct compare_config *cfg);
/* Runs everything, prints the table, writes the files; exit status. */
int ptsync_compare(const struct compare_config *cfg);

#endif /* PTSYNC_COMPARE_H */
