// SPDX-License-Identifier: MIT
/*
 * rcu-exp: synchronize_rcu_expedited() instead of synchronize_rcu()
 * (suggested for this path in 2023, never posted).
 *
 * An expedited grace period does not wait for ticks: it IPIs every CPU
 * that RCU is watching and has the handler report the quiescent state.
 * Sub-millisecond for the freer, but it interrupts CPUs after all: every
 * CPU in kernel mode, and CPUs in user mode unless they are nohz_full
 * (then they sit in an extended quiescent state and are skipped), which
 * is what --nohz-full shows.  kernel/rcu/tree_exp.c has the mechanism.
 */
#include "ptsync/rcupdate.h"
#include "ptsync/strategy.h"
#include "ptsync/tlb.h"

PT_SYNC_HOOK_CALLING(rcu_exp_sync_one, synchronize_rcu_expedited)

const struct pt_sync_ops rcu_exp_sync_ops = {
	PT_SYNC_OPS_HEAD("rcu-exp",
		"synchronize_rcu_expedited(): IPI CPUs not in an EQS, handler reports the QS",
		MECH_EXPEDITED),
	PT_SYNC_EVERY_SITE(rcu_exp_sync_one, "synchronize_rcu_expedited()",
			   BYSTANDER_IPI_UNLESS_NOHZ_FULL),
};
