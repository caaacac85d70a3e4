// SPDX-License-Identifier: MIT
/*
 * Expedited grace periods: synchronize_rcu_expedited().
 *
 * A normal grace period waits for every CPU to pass a quiescent state on
 * its own, at a tick; an expedited one goes and asks.  It IPIs every CPU
 * RCU is watching and waits until each has taken the IPI.  Since an IPI is
 * only taken with IRQs enabled, the handler running means that CPU is
 * outside any IRQs-off section, i.e. in a quiescent state, and it reports
 * one.  CPUs in an extended quiescent state are not asked: idle CPUs, and
 * CPUs in user mode that take no tick (nohz_full).  A CPU in user mode
 * with the tick running is an ordinary online CPU to RCU and is IPI'd.
 *
 * The readers page tables care about are the CPUs' IRQs-off sections, so
 * that is all this waits for.  (liburcu's call_rcu worker is a registered
 * QSBR reader too, but reads no page table; it is covered by the normal
 * grace periods the batches use.)
 */
#include "ptsync/rcupdate.h"
#include "ptsync/run.h"
#include "ptsync/smp.h"
#include "ptsync/watchdog.h"

/* Is RCU watching @c: not idle, and not in user mode without a tick? */
bool rcu_cpu_watching(const struct cpu *c)
{
	/* Pairs with the smp_mb() after the context store in
	 * ct_user_exit()/ct_idle_exit(). */
	int ctx = READ_ONCE(c->context);

	if (ctx == CONTEXT_IDLE)
		return false;
	return !(ctx == CONTEXT_USER && c->nohz_full);
}

static bool rcu_exp_needs_ipi(int cpu, void *info)
{
	struct ptsync_run *run = info;

	return rcu_cpu_watching(&run->cpus[cpu]);
}

/* The IPI handler: outside any IRQs-off section, so a quiescent state. */
static void rcu_exp_handler(void *info)
{
	(void)info;
	atomic_inc_relaxed(this_cpu()->stats.exp_qs);
}

void synchronize_rcu_expedited(void)
{
	struct cpu *c = this_cpu();

	might_sleep("synchronize_rcu_expedited()");
	/* The caller's updates (the unhook) before reading who is in an
	 * EQS: pairs with the smp_mb() in ct_user_exit()/ct_idle_exit(),
	 * store buffering as in the eqs strategy. */
	smp_mb();
	smp_call_function_many_cond(&c->run->online, rcu_exp_handler, c->run,
				    SCF_WAIT, rcu_exp_needs_ipi);
}
