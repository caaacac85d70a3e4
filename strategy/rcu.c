// SPDX-License-Identifier: MIT
/*
 * rcu: tlb_remove_table_sync_rcu(), the seed (commit 1fb3d8c20bfa).
 *
 * synchronize_rcu() instead of the broadcast.  Valid because an IRQs-off
 * section is an RCU read-side critical section, and because the fallback
 * runs in process context (unmap_region, exit_mmap) where sleeping is
 * allowed.  No CPU is interrupted; the freer sleeps for a grace period,
 * which is ticks, not microseconds.  The same holds at collapse
 * (khugepaged holds mmap_lock for write, a sleeping lock) and at unshare
 * (i_mmap_rwsem, also one); the seed left both on the broadcast.  Not a pattern for freeing memory in
 * general: that is what call_rcu() is for.
 */
#include "ptsync/strategy.h"
#include "ptsync/tlb.h"

PT_SYNC_HOOK_CALLING(rcu_sync_one, tlb_remove_table_sync_rcu)

const struct pt_sync_ops rcu_sync_ops = {
	PT_SYNC_OPS_HEAD("rcu", "tlb_remove_table_sync_rcu(): synchronize_rcu(), the seed",
			 MECH_GRACE_PERIOD),
	PT_SYNC_EVERY_SITE(rcu_sync_one, "synchronize_rcu()",
			   BYSTANDER_SPARED),
};
