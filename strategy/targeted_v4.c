// SPDX-License-Identifier: MIT
/*
 * targeted-v4: `targeted` with the walk end as the v4 series posted it
 * (Lance Yang, "mm: use targeted IPIs for TLB sync with lockless page
 * table walkers", Message-ID 20260202074557.16544-2-lance.yang@linux.dev):
 * the per-CPU slot is cleared with smp_store_release(), not smp_mb() and
 * a plain store.  The sync side is `targeted`'s, with the review's fixes
 * (a full fence before reading the slots, each slot read with acquire).
 *
 * The walk has two ordering problems, of two different shapes:
 *
 *	walker				freer
 *	slot = mm			pmd = 0 (unhook)
 *	smp_mb()	 (store buffering)	smp_mb()
 *	read pmd, then tables		acquire-read slot
 *	...				  == mm: IPI, wait for it
 *	release: slot = NULL  (message	  else: free (poison) the table
 *			      passing)
 *
 * The begin is store buffering: each side stores, then loads the other's
 * location, and only a full fence on both sides keeps one of them from
 * missing the other (see strategy/targeted.c).  The end is message
 * passing: the walker's table reads, then its slot store; the freer's
 * slot load, then its free.  If the freer's acquire read returns the NULL
 * this walk stored, release/acquire puts every table read of the walk
 * before the free; if it returns mm, the IPI waits for the walk.  Nothing
 * in that shape needs store->load order, so a release is enough and a
 * full fence buys nothing.  It needs the freer's read to be an acquire
 * (or a fence after the reads): as posted, v4 read the slots with plain
 * loads after an smp_rmb(), which leaves the slot loads unordered against
 * the frees that follow when no CPU is IPI'd (load buffering, allowed on
 * arm64 without a dependency).  ptsync keeps the acquire.
 *
 * Evidence (docs/findings.md, section 3, has the commands and the runs):
 *  - torture: clean under every TLB mode, at the fallback, collapse and
 *    unshare, with walk delays and the emulated store buffer
 *    (tests/torture.t).  The x86 host is TSO, where a load never passes a
 *    later store, so no run can show the reordering a release forbids on
 *    a weak machine; that half is the C11/LKMM argument above, and the
 *    weak-memory litmus test targeted-release (Never) against its
 *    fence-removal variant targeted-noendmb (Sometimes);
 *  - cost: the walk's second fence is gone.  On x86 a release store is a
 *    plain MOV where smp_mb() is a LOCK'd instruction or MFENCE; on arm64
 *    STLR against DMB ISH.  Instructions per 16-page walk (callgrind):
 *    1792 for targeted, 1789 here, 1776 with IRQ masking alone; ns per
 *    walk over the unprotected walk on the loaded 2-core VM, where the
 *    load is larger than the effect in any one run: cheaper here than
 *    with targeted in 9 of 11 comparisons (bench/walk_insns and
 *    compare's walk phase), by about 2.5% of a 16-page walk on average.
 * So targeted-v4 is as safe as targeted and cheaper on every walk: the
 * evidence moves the recommendation to it.  `targeted` stays, as the form
 * with a full fence at both ends.
 *
 * At hugetlb's unshare it keeps ptsync's rule (sync_mm_only: every gather
 * that unshared a table syncs); v4's own rule there is the twin
 * `targeted-v4-unshare` (strategy/targeted_v4_unshare.c).
 */
#include "ptsync/run.h"
#include "ptsync/strategy.h"
#include "ptsync/targeted.h"
#include "ptsync/tlb.h"

void targeted_v4_walk_end(struct cpu *c, struct mm_struct *mm)
{
	(void)mm;
	/* Every table read of the walk before the slot clears: pairs with
	 * the smp_load_acquire() of the slot in targeted_walking()
	 * (strategy/targeted.c).  Message passing: a release suffices. */
	smp_store_release(&c->active_lockless_pt_walk_mm, NULL);
}

const struct pt_sync_ops targeted_v4_sync_ops = {
	.name = "targeted-v4",
	.desc = "targeted, walk end smp_store_release() as posted in v4 (one fence per walk)",
	PT_SYNC_TARGETED_MM_ONLY(targeted_v4_walk_end),
};
