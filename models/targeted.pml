/* SPDX-License-Identifier: MIT */
/*
 * Targeted IPIs: strategy `targeted` (strategy/targeted.c), and its broken
 * twin `targeted-rmb` (-DRMB).
 *
 * Why: the broadcast of tlb_remove_table_sync_one() interrupts every CPU,
 * including real-time tasks that have nothing to do with the mm.  Here a
 * walker publishes the mm it walks in a per-CPU slot
 * (active_lockless_pt_walk_mm) for the length of its IRQs-off section, and
 * the freer IPIs only the CPUs whose slot holds its mm.  That is a Dekker
 * pattern: the freer stores the cleared pmd then loads the slots, the
 * walker stores its slot then loads the pmd.  Both sides need a full
 * barrier between their store and their load, or one side may miss the
 * other's store: x86's store buffer lets a load pass an earlier store.
 *
 * Models: targeted_walk_begin() (slot = mm; smp_mb()) and
 * targeted_walk_end() (smp_mb(); slot = NULL) as gup_fast() / __gup_fast()
 * calls them through ops->walk_begin/walk_end inside local_irq_save() /
 * local_irq_restore(); targeted_sync() as tlb_remove_table_one() calls it:
 * smp_mb(), read every CPU's slot, smp_call_function_many(wait=1) to the
 * CPUs walking this mm, free.  The TLB flush before the sync
 * (flush_tlb_mm_range()) is left out on purpose: a broadcast flush need not
 * order the freer's store before its loads, so the strategy must not rely
 * on it.  (ptsync's arch/tlbflush.c happens to issue an smp_mb(), which
 * hides the broken twin from the torture test; not from this model.)
 *
 * Safety property: a walker never reads a table entry after the table was
 * freed (walker's assert).
 *
 * Broken twin, -DRMB: the freer has smp_rmb() where smp_mb() belongs.  A
 * read barrier orders loads against loads; the store->load order this
 * needs it leaves alone.  Under SC the model is still safe (there is no
 * store buffer to hide the store): proven.  Under TSO the cleared pmd sits
 * in the freer's store buffer while it reads the walker's slot as NULL,
 * the walker publishes its slot and reads the old pmd, nobody is IPI'd,
 * and the walker reads the freed table: refuted.
 *
 * Fence-removal variant, -DNOENDMB: no smp_mb() before the slot clears.
 * SC and TSO keep the walk's loads before the later slot store: proven.
 * Only a weak machine needs the fence; models/litmus/targeted-noendmb.litmus
 * refutes it under the weak model (make verify, memory model WEAK).
 *
 * CPU0 unmaps; CPUs 1..NWALKERS walk the same mm over and over.
 */
mtype = { pmd, pte, slot1, slot2, csd1, csd2, slot3, csd3 };	/* memory locations */
#define NLOC		9
#ifdef W3	/* three walkers: the scope check (docs/incoming/wmm.md) */
#define NWALKERS	3
#else
#define NWALKERS	2
#endif
#define NCPU		(NWALKERS + 1)
/* Walker CPU between two fences: slot=NULL, csd unlock, slot=mm. */
#define SB_SIZE		3
#define CSD(c)		(c == 1 -> csd1 : (c == 2 -> csd2 : csd3))
#define SLOT(c)		(c == 1 -> slot1 : (c == 2 -> slot2 : slot3))

#include "common.pml"

mtype = { this_mm, NULL };

proctype cpu_freer()
{
	byte me = 0, c, e, mask;
	mtype who = freer;

	STORE(pmd, none);		/* free_pgtables: pmd_clear() */
	/* targeted_sync() */
#ifdef RMB
	printf("CPU0 freer: smp_rmb (orders no store->load)\n");
#else
	SMP_MB();			/* [T:targeted-freer:1:unhook-mb] */
#endif
	c = 1;
	do
	:: c <= NWALKERS ->
		LOAD(SLOT(c), e);	/* [T:targeted-freer:2:slot-acquire] */
		if
		:: e == this_mm -> mask = mask | (1 << c)
		:: else
		fi;
		e = 0;
		c++
	:: else -> break
	od;
	/* smp_call_function_many(mask, wait=1) */
	c = 1;
	do
	:: c <= NWALKERS ->
		if
		:: mask & (1 << c) -> IPI_SEND(c)
		:: else
		fi;
		c++
	:: else -> break
	od;
	c = 1;
	do
	:: c <= NWALKERS ->
		if
		:: mask & (1 << c) -> IPI_WAIT(c)
		:: else
		fi;
		c++
	:: else -> break
	od;
	c = 0;
	PT_FREE(pte)			/* tlb_remove_table_one(): free */
}

proctype cpu_walker(byte me)
{
	mtype who = walker;
	byte e;

end:	do
	:: IRQ_SAVE();			/* gup_fast(): local_irq_save() */
	   STORE(SLOT(me), this_mm);	/* targeted_walk_begin() */
	   SMP_MB();			/* [T:targeted-walker:1:walk-begin-mb] */
	   LOAD(pmd, e);
	   if
	   :: e == table -> MIDWALK(); READ_TABLE(pte, e)
	   :: else
	   fi;
#ifdef NOENDMB
	   printf("CPU%d walker: (no smp_mb at walk end)\n", me);
#else
	   SMP_MB();			/* targeted_walk_end() [T:targeted-walker:2:walk-end-mb] */
#endif
	   STORE(SLOT(me), NULL);
	   IRQ_RESTORE();
	   e = 0
	od
}

init {
	byte c;

	atomic {
		mem[pmd] = table; mem[pte] = live;
		mem[slot1] = NULL; mem[slot2] = NULL;
		mem[csd1] = unlocked; mem[csd2] = unlocked;
		START_STORE_BUFFERS();
		run cpu_freer();
		run cpu_walker(1); run interrupts(1);
		run cpu_walker(2); run interrupts(2);
#ifdef W3
		mem[slot3] = NULL; mem[csd3] = unlocked;
		run cpu_walker(3); run interrupts(3)
#endif
	}
}
