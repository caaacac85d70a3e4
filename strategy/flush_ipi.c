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
 * arch says so per flush (tlb_table_flush_implies_ipi_broadcast()); when it
 * cannot (INVLPGB sends no IPI; KVM's PV flush skips preempted vCPUs,
 * which may be stopped in the middle of a walk) the strategy falls back
 * to synchronize_rcu(), the seed's sync.  The same test serves at every
 * call site: collapse and unshare flush before they sync, telling the flush
 * that a table left the tree (freed_tables), as the fallback's flush does.
 *
 * The broken twin `flush-ipi-pv` decides from the kind of flush instead:
 * "it flushes by IPI, so everyone was interrupted", which is false under
 * PV (the objection raised in review) and lets a preempted walker's table
 * be freed under it.
 */
#include "ptsync/run.h"
#include "ptsync/strategy.h"
#include "ptsync/tlb.h"

static void flush_ipi_sync_one(struct mmu_gather *tlb)
{
	if (tlb_table_flush_implies_ipi_broadcast(tlb))
		return;
	tlb_remove_table_sync_rcu();
}

/* WRONG on purpose: a PV flush sends IPIs, but not to preempted vCPUs. */
static void flush_ipi_pv_sync_one(struct mmu_gather *tlb)
{
	if (tlb_mode_flushes_by_ipi(tlb->run->cfg.tlb_mode))
		return;
	tlb_remove_table_sync_rcu();
}

const struct pt_sync_ops flush_ipi_sync_ops = {
	.name = "flush-ipi",
	.desc = "no sync when the TLB flush IPI'd every CPU in mm_cpumask, else synchronize_rcu()",
	.mech = MECH_FLUSH_SKIP,
	.tlb_modes = TLB_MODES_ALL,
	.sync_one = flush_ipi_sync_one,
	.collapse_sync = flush_ipi_sync_one,
	.unshare_sync = flush_ipi_sync_one,
	.at = { "skip if the flush IPI'd mm_cpumask, else synchronize_rcu()",
		"skip if the flush IPI'd mm_cpumask, else synchronize_rcu()",
		"skip if the flush IPI'd mm_cpumask, else synchronize_rcu()" },
};

const struct pt_sync_ops flush_ipi_pv_sync_ops = {
	.name = "flush-ipi-pv",
	.desc = "flush-ipi trusting any IPI flush, PV included (review's objection; unsafe)",
	/* Its bug is PV's; elsewhere it is flush-ipi. */
	.mech = MECH_FLUSH_SKIP,
	.tlb_modes = TLB_MODE_BIT(TLB_PV),
	.unsafe_tlb_modes = TLB_MODE_BIT(TLB_PV),
	.twin_of = "flush-ipi",
	.sync_one = flush_ipi_pv_sync_one,
	.collapse_sync = flush_ipi_pv_sync_one,
	.unshare_sync = flush_ipi_pv_sync_one,
	.at = { "skip if the flush is by IPI, PV too", "skip if the flush is by IPI, PV too",
		"skip if the flush is by IPI, PV too" },
};
