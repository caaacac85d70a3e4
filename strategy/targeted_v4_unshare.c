// SPDX-License-Identifier: MIT
/*
 * targeted-v4-unshare: targeted-v4 with v4's exact rule at hugetlb's
 * unshare, broken on purpose.  v4 2/3 ("mm: switch callers to
 * tlb_remove_table_sync_mm()", Message-ID
 * 20260202074557.16544-3-lance.yang@linux.dev) turned the sync in
 * tlb_flush_unshared_tables() into tlb_remove_table_sync_mm(tlb->mm) and
 * kept the condition: only a gather that left a table exclusive
 * (fully_unshared_tables) syncs.  That condition came with the broadcast
 * (David Hildenbrand's per-gather change, Dec 2025): the one sync reaches
 * the walkers of every mm that unshared the table before.  An mm-targeted
 * sync reaches only its own mm's:
 *
 *	mm A (unshares, no sync)	mm B (unshares last)	mm C (keeps it)
 *	walker of A: read PUD,
 *	  enters the table
 *	pud_clear, count 3 -> 2
 *	gather ends: not exclusive,
 *	  so no sync
 *					pud_clear, count 2 -> 1
 *					exclusive: IPI B's
 *					  walkers only
 *	walker of A still inside				zap, reuse the table
 *	  reads C's new entries  <-- V_WRONG_TABLE
 *
 * Three mms are the least that show it: with two, the unsharer that does
 * not sync leaves the table exclusive, and so syncs.  It is declared here
 * by sync_mm_only = false: the harness then applies the broadcast's rule
 * (mm/hugetlb.c, tlb_flush_unshared_tables()) to a sync that is not one,
 * which is exactly what the posted code did.
 *
 * Why x86 native hides it: every gather that unshared a table flushes
 * this mm's TLB before i_mmap_rwsem is dropped (tlb_flush_mmu_tlbonly()),
 * and the native flush IPIs the CPUs in this mm's cpumask and waits.  A
 * walker of A inside the table has IRQs off, so A's own unsharing gather
 * already waited for it: the flush is the sync the rule forgot.  Under
 * INVLPGB the flush interrupts nobody and the walker survives into the
 * reuse.  Under pv the flush IPIs every running vCPU of the mm and skips
 * only a preempted one, so it hides the bug almost as well as native
 * (0 violations in 2 x 5 s with --callsite=unshare --mms=3); torture
 * holds the twin to invlpgb.  The fix is
 * what `targeted` and `targeted-v4` do: with an mm-only sync, every
 * gather that unshared anything syncs (sync_mm_only = true).
 */
#include "ptsync/run.h"
#include "ptsync/strategy.h"
#include "ptsync/targeted.h"
#include "ptsync/tlb.h"

const struct pt_sync_ops targeted_v4_unshare_sync_ops = {
	.name = "targeted-v4-unshare",
	.desc = "targeted-v4, syncing this mm only at the gather that leaves a table exclusive (v4 2/3; unsafe)",
	PT_SYNC_TARGETED(targeted_v4_walk_end, targeted_sync),
	/* Native's flush IPIs the unsharing mm's CPUs and hides the bug.
	 * pv's skips a preempted vCPU, which may be mid-walk: torture's sweep
	 * caught it there too (a walker preempted across the unshare). */
	.unsafe_tlb_modes = TLB_MODE_BIT(TLB_INVLPGB) | TLB_MODE_BIT(TLB_PV),
	.unsafe_min_mms = 3,
	.twin_of = "targeted-v4",
	/* WRONG on purpose: the sync reaches this mm's walkers only, but the
	 * broadcast's per-gather rule is applied to it (v4 2/3). */
	.sync_mm_only = false,
	.at = TARGETED_AT(", only if the gather left a table exclusive"),
};
