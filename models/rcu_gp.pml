/* SPDX-License-Identifier: MIT */
/*
 * The grace period: tlb_remove_table_sync_rcu(), strategy `rcu`.
 *
 * Why it is safe: an IRQs-off section is an RCU read-side critical
 * section, because a CPU reports a quiescent state only with IRQs on.  A
 * grace period that started after the unhook ends only once every CPU has
 * been seen outside its IRQs-off section since; any walk that read the old
 * entry has ended by then, and synchronize_rcu()'s full barriers make the
 * cleared entry visible to every walk that starts after the GP started.
 * No CPU is interrupted: the freer sleeps instead.
 *
 * Models: tlb_remove_table() falling back to tlb_remove_table_one() with
 * strategy/rcu.c's sync, tlb_remove_table_sync_rcu() -> synchronize_rcu()
 * (kernel/rcu/tree.c); the walker is gup_fast() / __gup_fast() between
 * local_irq_save() and local_irq_restore().  A CPU that never walks is
 * always quiescent and is left out.
 *
 * Safety property: a walker never reads a table entry after the table was
 * freed (walker's assert).  No broken twin: ipi_sync.pml -DNOSYNC is the
 * same freer without any wait, and pt_reclaim.pml -DEARLY shows a grace
 * period that is too short.
 *
 * -DEXPEDITED is strategy rcu-exp (strategy/rcu_exp.c):
 * synchronize_rcu_expedited() IPIs the CPUs RCU watches and the handler
 * reports the quiescent state; a handler runs only with IRQs on, so the
 * guarantee modelled is the same one: a quiescent state only where IRQs
 * are on, full barriers at the start and the end.
 *
 * CPU0 unmaps; CPUs 1..NWALKERS run GUP-fast over and over.
 */
mtype = { pmd, pte, csd1, csd2 };	/* memory locations (csd unused) */
#define NLOC		5
#define NWALKERS	2
#define NCPU		3
#define SB_SIZE		2
#define CSD(c)		(c == 1 -> csd1 : csd2)

#include "common.pml"

proctype cpu_freer()
{
	byte me = 0, c;
	mtype who = freer;

	STORE(pmd, none);		/* free_pgtables: pmd_clear() */
#ifdef EXPEDITED
	printf("CPU0 freer: synchronize_rcu_expedited\n");
#endif
	SYNCHRONIZE_RCU();		/* tlb_remove_table_sync_rcu() */
	PT_FREE(pte)			/* tlb_remove_table_one(): free */
}

proctype cpu_walker(byte me)
{
	mtype who = walker;
	byte e;

end:	do
	:: IRQ_SAVE();			/* gup_fast(): local_irq_save() */
	   LOAD(pmd, e);		/* pmdp_get_lockless(), READ_ONCE */
	   if
	   :: e == table -> MIDWALK(); READ_TABLE(pte, e)	/* gup_fast_pte_range() */
	   :: else
	   fi;
	   IRQ_RESTORE();
	   e = 0
	od
}

init {
	byte c;

	atomic {
		mem[pmd] = table; mem[pte] = live;
		START_STORE_BUFFERS();
		run cpu_freer();
		run cpu_walker(1); run interrupts(1);
		run cpu_walker(2); run interrupts(2)
	}
}
