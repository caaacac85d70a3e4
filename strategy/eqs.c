// SPDX-License-Identifier: MIT
/*
 * eqs: send the sync IPI only to CPUs in kernel mode (Yair Podemsky, 2023,
 * "send the sync IPI only to CPUs in kernel mode"; not merged, over the
 * concern that reading another CPU's context state is racy).  It reads
 * context tracking's per-CPU state and skips CPUs in user mode or idle.
 * Not to be confused with Valentin Schneider's IPI deferral (RFC v8, Mar
 * 2026), which queues the IPI's work for the target's next kernel entry
 * instead of deciding whether to send it.
 *
 * Context tracking follows user mode only on nohz_full CPUs
 * (tick_nohz_init() -> ct_cpu_track_user() for each CPU of the nohz_full
 * mask; kernel/cpu.c here): on any other CPU the state stays "kernel"
 * while the task runs in user mode, so eqs IPIs it, exactly as expedited
 * RCU does.  Idle is tracked on every CPU (RCU's idle entry).  So without
 * --nohz-full eqs costs a bystander in user mode what rcu-exp does; with
 * it, nothing.
 *
 * A CPU in user mode or idle cannot be inside GUP-fast, so the broadcast
 * need not interrupt it: it catches up on its next kernel entry.  Whether
 * that is safe is a question of ordering, store buffering again:
 *
 *	CPU leaving user mode		freer
 *	context = KERNEL		pmd = 0 (unhook)
 *	smp_mb()  (ct_user_exit)	smp_mb()
 *	first walk: read pmd		read context
 *
 * Either the freer sees KERNEL and IPIs the CPU, or the CPU's walk sees
 * the cleared pmd.  Reading the state without the freer's fence is racy
 * (the point made in review): the freer can read a stale USER while its
 * unhook still sits in its store buffer, skip the CPU, and free the table
 * the CPU has just walked into.  `eqs-racy` is that twin.
 */
#include "ptsync/run.h"
#include "ptsync/smp.h"
#include "ptsync/strategy.h"
#include "ptsync/tlb.h"

/* smp_call_function_many_cond(): can @cpu be inside a walk? */
static bool eqs_cpu_in_kernel(int cpu, void *info)
{
	struct ptsync_run *run = info;

	/* Pairs with the smp_mb() after the context store in
	 * ct_user_exit()/ct_idle_exit(). */
	return READ_ONCE(run->cpus[cpu].context) == CONTEXT_KERNEL;
}

static void eqs_ipi(void *info)
{
	(void)info;
}

static void eqs_sync_one(struct mmu_gather *tlb)
{
	/* The unhook before reading any CPU's context: pairs with the
	 * smp_mb() in ct_user_exit()/ct_idle_exit(). */
	/* [T:eqs-freer:1:unhook-mb] */
	smp_mb();
	smp_call_function_many_cond(&tlb->run->online, eqs_ipi, tlb->run, SCF_WAIT,
				    eqs_cpu_in_kernel);
}

/* WRONG on purpose: the context is read with nothing ordering the unhook. */
static void eqs_racy_sync_one(struct mmu_gather *tlb)
{
	smp_call_function_many_cond(&tlb->run->online, eqs_ipi, tlb->run, SCF_WAIT,
				    eqs_cpu_in_kernel);
}

const struct pt_sync_ops eqs_sync_ops = {
	PT_SYNC_OPS_HEAD("eqs",
			 "IPI only CPUs in kernel mode (user mode known on nohz_full CPUs only)",
			 MECH_KERNEL_MODE_ONLY),
	PT_SYNC_EVERY_SITE(eqs_sync_one, "IPI CPUs not idle or nohz_full-user",
			   BYSTANDER_IPI_UNLESS_NOHZ_FULL),
};

const struct pt_sync_ops eqs_racy_sync_ops = {
	PT_SYNC_OPS_HEAD("eqs-racy", "eqs reading the context without ordering it (unsafe)",
			 MECH_KERNEL_MODE_ONLY),
	/* see targeted-rmb: IPI flushes bring a fence of their own */
	.unsafe_tlb_modes = TLB_MODE_BIT(TLB_INVLPGB),
	.twin_of = "eqs",
	/* The fallback, collapse and unshare all flush between the unhook
	 * and the sync: x86's and arm64's flush carry the full barrier the
	 * sync lacks, so there only --arch=weak shows the bug. */
	.hidden_archs = ARCH_BIT(ARCH_X86) | ARCH_BIT(ARCH_ARM64),
	PT_SYNC_EVERY_SITE(eqs_racy_sync_one, "eqs, no smp_mb()",
			   BYSTANDER_IPI_UNLESS_NOHZ_FULL),
};
