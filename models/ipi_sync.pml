/* SPDX-License-Identifier: MIT */
/*
 * The IPI sync: tlb_remove_table_sync_one(), strategy `ipi`.
 *
 * Why it is safe: a CPU takes an IPI only with IRQs on, and GUP-fast walks
 * with IRQs off.  Once every CPU has run the handler after the freer
 * unhooked the table, each walk that could have read the old entry has
 * ended, and every later walk reads the cleared entry.
 *
 * Models: tlb_remove_table() falling back to tlb_remove_table_one() with
 * strategy/ipi.c's sync, i.e. tlb_remove_table_sync_one() ->
 * smp_call_function_many(wait=1); the walker is gup_fast() / __gup_fast()
 * between local_irq_save() and local_irq_restore().  The TLB flush before
 * the sync (flush_tlb_mm_range()) is left out: a broadcast flush
 * interrupts no one, and the sync must not lean on it for ordering.
 *
 * Safety property: a walker never reads a table entry after the table was
 * freed (walker's assert).
 *
 * -DNOSYNC is strategy `none` (strategy/none.c), the broken twin: the table
 * is freed right after the unhook, and a walker that read the pmd just
 * before it is inside a freed table.  It is the model's own check that
 * the walker can reach the table while it is being freed at all.
 *
 * CPU0 unmaps; CPUs 1..NWALKERS run GUP-fast over and over.
 */
mtype = { pmd, pte, csd1, csd2, csd3 };	/* memory locations */
#define NLOC		6
#ifdef W3	/* three walkers: the scope check (docs/incoming/wmm.md) */
#define NWALKERS	3
#else
#define NWALKERS	2
#endif
#define NCPU		(NWALKERS + 1)
#define SB_SIZE		2
#define CSD(c)		(c == 1 -> csd1 : (c == 2 -> csd2 : csd3))

#include "common.pml"

proctype cpu_freer()
{
	byte me = 0, c;
	mtype who = freer;

	STORE(pmd, none);		/* free_pgtables: pmd_clear() */
#ifndef NOSYNC
	SYNC_ONE();			/* tlb_remove_table_sync_one() */
#endif
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
		mem[csd1] = unlocked; mem[csd2] = unlocked;
		START_STORE_BUFFERS();
		run cpu_freer();
		run cpu_walker(1); run interrupts(1);
		run cpu_walker(2); run interrupts(2);
#ifdef W3
		mem[csd3] = unlocked;
		run cpu_walker(3); run interrupts(3)
#endif
	}
}
