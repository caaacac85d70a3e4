// SPDX-License-Identifier: MIT
/*
 * pt-reclaim: the fallback with CONFIG_PT_RECLAIM, the default wherever
 * MMU_GATHER_RCU_TABLE_FREE is set on 64-bit since early 2026.
 *
 * The table that could not be batched is handed to call_rcu() through the
 * rcu_head in its own ptdesc, so the fallback needs no allocation at all
 * and does not wait: no IPI, no sleep.  The cost moves from time to
 * memory: every such table stays allocated for a grace period, which is
 * what compare and torture report for it (pages waiting, peak and mean,
 * and how long each waited).  It only applies where a table is freed: a
 * caller that reuses the table (a khugepaged collapse depositing it) still
 * needs a real sync, and so does an unshare, which frees nothing: another
 * mm keeps the table.  There it has no answer, and the harness does what
 * upstream does (tlb_remove_table_sync_one()), reported as such.  Where a
 * file-backed collapse frees the table, upstream gives every strategy the
 * same per-table call_rcu() (pte_free_defer(), mm/khugepaged.c), so that
 * is not this strategy's to claim.
 */
#include "ptsync/strategy.h"
#include "ptsync/tlb.h"

const struct pt_sync_ops pt_reclaim_sync_ops = {
	PT_SYNC_OPS_HEAD("pt-reclaim",
		"PT_RECLAIM: call_rcu() on the table's own ptdesc; no wait, memory held a GP",
		MECH_PER_TABLE_RCU),
	.free_one = __tlb_remove_table_one,
	/* No collapse_sync, no unshare_sync: the harness broadcasts there. */
	.at = {
		"call_rcu() on the table's ptdesc",
		"anon (deposited): upstream IPI every CPU",
		"frees nothing: upstream IPI every CPU",
	},
};
