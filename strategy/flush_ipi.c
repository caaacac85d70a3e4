// SPDX-License-Identifier: MIT
/*
 * flush-ipi: skip the sync when the TLB flush already IPI'd (Lance Yang,
 * "skip redundant sync IPIs", v10, Apr 2026, in mm-unstable).
 *
 * On x86 without INVLPGB the flush before the free IPIs every CPU in
 * mm_cpumask and waits for each, lazy-TLB CPUs included when page tables
 * were freed.  Every CPU that can be walking the mm is in that mask, and
 * an IRQs-off walker holds the flush up until it is done, so the flush was
 * the sync: a second broadcast would only interrupt everyone again.  The
 * arch says so per flush (tlb_table_flush_implies_ipi_broadcast()).
 *
 * The skip lives inside the two syncs, so where it does not apply (INVLPGB
 * sends no IPI; KVM's PV flush skips preempted vCPUs, which may be stopped
 * in the middle of a walk) each caller gets the sync it called:
 *
 *	site      flush IPI'd mm_cpumask	otherwise
 *	fallback  return			synchronize_rcu()
 *	collapse  return			IPI every CPU (broadcast)
 *	unshare   return			IPI every CPU (broadcast)
 *
 * Source: v10 1/2 "mm/mmu_gather: prepare to skip redundant sync IPIs"
 * (Apr 24 2026), as quoted in Peter Zijlstra's reply the same day
 * (lkml.iu.edu 2604.3/01001): the early return is added at the top of
 * tlb_remove_table_sync_one(), before smp_call_function(), and of
 * tlb_remove_table_sync_rcu(), before synchronize_rcu().  khugepaged's
 * collapse and hugetlb's unshare call tlb_remove_table_sync_one(); only
 * the fallback (tlb_remove_table_one(), since the seed) calls
 * tlb_remove_table_sync_rcu().  Peter's objection in that reply is the
 * one the brief records: nothing guarantees a flush precedes every sync.
 * Here each call site flushes, telling the flush a table left the tree
 * (freed_tables), before it syncs.
 *
 * The broken twin `flush-ipi-pv` decides from the kind of flush instead:
 * "it flushes by IPI, so everyone was interrupted", which is false under
 * PV (the objection raised in review) and lets a preempted walker's table
 * be freed under it.  It falls back as flush-ipi does.
 */
#include "ptsync/run.h"
#include "ptsync/strategy.h"
#include "ptsync/tlb.h"

/*
 * A sync hook with the skip inside: nothing when @flush_was_sync says the
 * TLB flush already interrupted every CPU that can be walking the mm, else
 * @kernel_sync(), the call the site makes upstream.
 */
#define FLUSH_IPI_HOOK(hook, flush_was_sync, kernel_sync)		\
	static void hook(struct mmu_gather *tlb)			\
	{								\
		if (flush_was_sync(tlb))				\
			return;						\
		kernel_sync();						\
	}

/* The fallback: tlb_remove_table_sync_rcu() with the skip inside;
 * collapse and unshare: tlb_remove_table_sync_one() with it. */
FLUSH_IPI_HOOK(flush_ipi_sync_one, tlb_table_flush_implies_ipi_broadcast,
	       tlb_remove_table_sync_rcu)
FLUSH_IPI_HOOK(flush_ipi_sync_site, tlb_table_flush_implies_ipi_broadcast,
	       tlb_remove_table_sync_one)

/* WRONG on purpose: a PV flush sends IPIs, but not to preempted vCPUs. */
static bool flush_ipi_pv_trusts(const struct mmu_gather *tlb)
{
	return tlb_mode_flushes_by_ipi(tlb->run->cfg.tlb_mode);
}

/* The same two syncs, skipped on that trust. */
FLUSH_IPI_HOOK(flush_ipi_pv_sync_one, flush_ipi_pv_trusts, tlb_remove_table_sync_rcu)
FLUSH_IPI_HOOK(flush_ipi_pv_sync_site, flush_ipi_pv_trusts, tlb_remove_table_sync_one)

/* Fallback: a grace period, which interrupts no one; elsewhere a broadcast
 * unless the flush IPI'd everyone (x86 native). */
static const enum pt_sync_bystander flush_ipi_bystander_at[NR_CALLSITES] = {
	[CALLSITE_FALLBACK] = BYSTANDER_SPARED,
	[CALLSITE_COLLAPSE] = BYSTANDER_IPI_UNLESS_FLUSH_IPI,
	[CALLSITE_UNSHARE] = BYSTANDER_IPI_UNLESS_FLUSH_IPI,
};

const struct pt_sync_ops flush_ipi_sync_ops = {
	PT_SYNC_OPS_HEAD("flush-ipi",
		"no sync when the TLB flush IPI'd every CPU in mm_cpumask, else the site's own",
		MECH_FLUSH_SKIP),
	.bystander_at = flush_ipi_bystander_at,
	.sync_one = flush_ipi_sync_one,
	.collapse_sync = flush_ipi_sync_site,
	.unshare_sync = flush_ipi_sync_site,
	.at = { "skip if the flush IPI'd mm_cpumask, else synchronize_rcu()",
		"skip if the flush IPI'd mm_cpumask, else IPI every CPU",
		"skip if the flush IPI'd mm_cpumask, else IPI every CPU" },
};

const struct pt_sync_ops flush_ipi_pv_sync_ops = {
	.name = "flush-ipi-pv",
	.desc = "flush-ipi trusting any IPI flush, PV included (review's objection; unsafe)",
	/* Its bug is PV's; elsewhere it is flush-ipi. */
	.mech = MECH_FLUSH_SKIP,
	.tlb_modes = TLB_MODE_BIT(TLB_PV),
	.unsafe_tlb_modes = TLB_MODE_BIT(TLB_PV),
	.twin_of = "flush-ipi",
	.bystander_at = flush_ipi_bystander_at,
	.sync_one = flush_ipi_pv_sync_one,
	.collapse_sync = flush_ipi_pv_sync_site,
	.unshare_sync = flush_ipi_pv_sync_site,
	.at = { "skip if the flush is by IPI, PV too", "skip if the flush is by IPI, PV too",
		"skip if the flush is by IPI, PV too" },
};
