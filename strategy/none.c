// SPDX-License-Identifier: MIT
/*
 * none: free the table the moment it is unhooked and invalidated.
 *
 * Wrong on purpose, at every call site.  A GUP-fast walker that read the
 * parent entry just before the unhook is still inside the table when it
 * is poisoned and reused (freed, deposited by khugepaged, or rewritten by
 * the mm left holding a formerly shared hugetlb table); the torture test
 * must report that every run.  If it ever passes,
 * the checker is broken, not the strategy fixed.
 */
#include "ptsync/strategy.h"
#include "ptsync/tlb.h"

static void none_sync_one(struct mmu_gather *tlb)
{
	(void)tlb;
}

const struct pt_sync_ops none_sync_ops = {
	PT_SYNC_OPS_HEAD("none", "free at once, no sync (unsafe on purpose: proves the checker)",
			 MECH_NONE),
	.baseline = true,
	/* x86 native flush IPIs every CPU that can walk: safe there by luck */
	.unsafe_tlb_modes = TLB_MODE_BIT(TLB_INVLPGB) | TLB_MODE_BIT(TLB_PV),
	PT_SYNC_EVERY_SITE(none_sync_one, "no sync", BYSTANDER_SPARED),
};
