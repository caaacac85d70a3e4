// SPDX-License-Identifier: MIT
/*
 * targeted: IPI only the CPUs that are walking this mm locklessly (step 2
 * of the "skip redundant sync IPIs" series, v4, Feb 2026).
 *
 * Each CPU publishes the mm it walks in active_lockless_pt_walk_mm for the
 * length of the IRQs-off walk.  The freer has already unhooked the table;
 * it reads every CPU's slot and IPIs, and waits for, those that hold this
 * mm.  A bystander running another mm is never interrupted.
 *
 * This is the store-buffering pattern, and both sides need a full fence:
 *
 *	walker				freer
 *	slot = mm			pmd = 0 (unhook)
 *	smp_mb()			smp_mb()
 *	read pmd			read slot
 *
 * With both fences at least one side sees the other's store: either the
 * walker reads the cleared pmd (and never reaches the table) or the freer
 * sees the slot (and its IPI waits for the walk to end).  Without the
 * freer's fence a store buffer lets both read the old values: the freer
 * skips the walker, which walks into a table about to be freed.  Review
 * found exactly that (an smp_rmb() on the sync side), and the broken twin
 * `targeted-rmb` keeps it: smp_rmb() orders loads against loads, not the
 * unhook store against the slot loads.  Cost: two fences per walk, a
 * figure of this model's: v4 as posted ends the walk with a release
 * store, one fence per walk (`targeted-v4`, strategy/targeted_v4.c); the
 * series measured +3% on a GUP-fast benchmark, 64-core x86.
 *
 * It waits for walkers of tlb->mm only, which at hugetlb's unshare is a
 * difference: upstream syncs there only when a table becomes exclusive,
 * which is enough for a broadcast (it also reaches walkers of the mms
 * that unshared the table earlier without a sync) and not for this.  So
 * it says sync_mm_only and is called for every gather that unshared a
 * table (mm/hugetlb.c); still no bystander is interrupted.
 *
 * The walk end as posted upstream is smp_store_release() of the slot;
 * here it is smp_mb() + WRITE_ONCE().  Release suffices: what the end
 * must order is the walk's table reads before the slot clears, which is
 * exactly what a release orders, and the freer's smp_load_acquire() of
 * the slot (and pt_free()'s release RMW + smp_wmb() before the poison)
 * orders its free after the read.  make verify checks it: under SC, TSO
 * and the weak model (LKMM/ARMv8-like) models/litmus/targeted-release.litmus
 * is Never.  Under SC and TSO even a plain store would do (a load is never
 * passed by a later store); under the weak model the plain store is
 * refuted (models/litmus/targeted-noendmb.litmus), so the end's ordering
 * is a fence only weak machines need, and smp_mb() is stronger than it
 * has to be.
 */
#include "ptsync/run.h"
#include "ptsync/smp.h"
#include "ptsync/strategy.h"
#include "ptsync/targeted.h"
#include "ptsync/tlb.h"

void targeted_walk_begin(struct cpu *c, struct mm_struct *mm)
{
	WRITE_ONCE(c->active_lockless_pt_walk_mm, mm);
	/* The slot before any table read of the walk: pairs with the
	 * smp_mb() in targeted_sync() (store buffering, see above). */
	/* [T:targeted-walker:1:walk-begin-mb] */
	smp_mb();
}

static void targeted_walk_end(struct cpu *c, struct mm_struct *mm)
{
	(void)mm;
	/* Every table read of the walk before the slot clears: pairs with
	 * the smp_load_acquire() of the slot in targeted_walking(). */
	/* [T:targeted-walker:2:walk-end-mb] */
	smp_mb();
	WRITE_ONCE(c->active_lockless_pt_walk_mm, NULL);
}

/* smp_call_function_many_cond(): is @cpu inside a walk of this mm? */
static bool targeted_walking(int cpu, void *info)
{
	struct mm_struct *mm = info;

	/* Acquire: a slot seen clear means that walk's reads are done
	 * before we free (pairs with the smp_mb() in targeted_walk_end()). */
	/* [T:targeted-freer:2:slot-acquire] */
	return smp_load_acquire(&mm->run->cpus[cpu].active_lockless_pt_walk_mm) == mm;
}

static void targeted_ipi(void *info)
{
	(void)info;	/* taking the interrupt means the walk has ended */
}

void targeted_sync(struct mmu_gather *tlb)
{
	struct ptsync_run *run = tlb->run;

	/* The unhook before reading any slot: pairs with the smp_mb() in
	 * targeted_walk_begin().  Store buffering: nothing weaker will do. */
	/* [T:targeted-freer:1:unhook-mb] */
	smp_mb();
	smp_call_function_many_cond(&run->online, targeted_ipi, tlb->mm, SCF_WAIT,
				    targeted_walking);
}

/* The reviewed bug: smp_rmb() does not order the unhook before the loads. */
static void targeted_rmb_sync(struct mmu_gather *tlb)
{
	struct ptsync_run *run = tlb->run;

	smp_rmb();	/* WRONG on purpose: store->load needs smp_mb() */
	smp_call_function_many_cond(&run->online, targeted_ipi, tlb->mm, SCF_WAIT,
				    targeted_walking);
}

const struct pt_sync_ops targeted_sync_ops = {
	.name = "targeted",
	.desc = "per-CPU active_lockless_pt_walk_mm; IPI only CPUs walking this mm",
	PT_SYNC_TARGETED_MM_ONLY(targeted_walk_end),
};

const struct pt_sync_ops targeted_rmb_sync_ops = {
	.name = "targeted-rmb",
	.desc = "targeted with smp_rmb() on the sync side (the review's bug; unsafe)",
	/* Where the flush sends IPIs, their locked queueing is a full fence
	 * on x86 and hides the bug; torture must catch it where none is. */
	.unsafe_tlb_modes = TLB_MODE_BIT(TLB_INVLPGB),
	.twin_of = "targeted",
	/* The fallback, collapse and unshare all flush between the unhook
	 * and the sync: x86's and arm64's flush carry the full barrier the
	 * sync lacks, so there only --arch=weak shows the bug. */
	.hidden_archs = ARCH_BIT(ARCH_X86) | ARCH_BIT(ARCH_ARM64),
	PT_SYNC_TARGETED(targeted_walk_end, targeted_rmb_sync),
	.sync_mm_only = true,
	.at = { "targeted, smp_rmb()", "targeted, smp_rmb()", "targeted, smp_rmb()" },
};
