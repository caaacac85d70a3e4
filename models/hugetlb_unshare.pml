/* SPDX-License-Identifier: MIT */
/*
 * hugetlb PMD sharing: huge_pmd_unshare() and tlb_flush_unshared_tables()
 * (mm/hugetlb.c), in per-gather mode (default), and the broken twin that
 * skips the end-of-gather sync (-DNOSYNC).
 *
 * Why: mms mapping the same hugetlb file range may share one PMD table,
 * each pointing a PUD entry at it, with a share count in its ptdesc.  An
 * mm unsharing it clears its own PUD entry and drops the count; the table
 * is not freed, so nothing goes through tlb_remove_table() and nothing
 * waits for walkers.  But once the count says the other mm is the last
 * sharer, that mm may modify the table, or reuse it as an ordinary PMD
 * table, as soon as the unsharer drops i_mmap_rwsem; a GUP-fast walker in
 * the unsharing mm that read the PUD entry before it was cleared would
 * then walk entries that are not its mm's.  So the unsharer must sync
 * with IRQs-off walkers before dropping the lock.  Per-gather mode does it
 * once, at the end of the mmu_gather, for every table unshared in it.
 * Invariant: a gather never ends with unshared tables not yet synced; a
 * TLB flush in the middle of the gather does not count as a sync.
 *
 * Models: huge_pmd_unshare() under i_mmap_lock_write() (pud_clear(), the
 * share count dropped with an atomic RMW, tlb->unshared_tables and
 * tlb->fully_unshared_tables set), an optional mid-gather tlb_flush_mmu()
 * (flushes, clears unshared_tables, keeps fully_unshared_tables), and
 * tlb_flush_unshared_tables() at tlb_finish_mmu() (flush, then
 * tlb_remove_table_sync_one() if fully_unshared_tables), then
 * i_mmap_unlock_write().  The other mm, the last sharer, takes i_mmap_rwsem
 * and, once the count says it alone holds a table, modifies it.  The
 * walker is gup_fast() / __gup_fast() in the unsharing mm between
 * local_irq_save() and local_irq_restore().  Two shared tables, one gather.
 *
 * Safety property: a walker in the unsharing mm never reads an entry of a
 * table the last sharer has started to modify (walker's assert); and the
 * gather invariant above (unsharer's assert).
 *
 * Broken twin, -DNOSYNC: tlb_flush_unshared_tables() flushes but does not
 * sync.  The gather invariant is false by construction there, so its
 * assert is left out to let the search show what that costs: the walker
 * reads the PUD entry, the unsharer unshares and drops the lock, the other
 * mm modifies the table, the walker reads it: refuted.
 *
 * Twin of the gather invariant, -DFLUSH_IS_SYNC: a mid-gather TLB flush
 * counts as the sync (clears fully_unshared_tables and the count of
 * unsynced tables).  The invariant's own assert cannot see that (the
 * count is cleared), which is why it needs a twin: the walker's assert
 * does, when the flush falls after the last unshare: refuted.
 *
 * CPU0 unshares (mm A), CPU1 walks mm A, CPU2 runs mm B, the last sharer.
 */
mtype = { pud1, pud2, tbl1, tbl2, ref1, ref2, i_mmap, csd1 };	/* locations */
#define NLOC		9
#define NWALKERS	1
#define NCPU		3
/* The last sharer after taking the lock: tbl1, tbl2, i_mmap. */
#define SB_SIZE		3
#define CSD(c)		csd1
#define PUD(i)		(i == 1 -> pud1 : pud2)
#define TBL(i)		(i == 1 -> tbl1 : tbl2)
#define REF(i)		(i == 1 -> ref1 : ref2)

#include "common.pml"

mtype = { shared, exclusive };

/* down_write() / down_read(): a locked RMW once the lock is free. */
#define LOCK(l) \
	d_step { \
		mem[l] == unlocked -> \
		_DRAIN(me); \
		mem[l] = locked; \
		printf("CPU%d %e: takes %e\n", me, who, l) \
	}
#define UNLOCK(l)	STORE(l, unlocked)

proctype cpu_unsharer()
{
	byte me = 0, c, i;
	mtype who = unsharer;
	bool unshared_tables, fully_unshared_tables;
	byte unsynced;			/* tables unshared since the last sync */

	LOCK(i_mmap);			/* i_mmap_lock_write() */
	i = 1;
	do
	:: i <= 2 ->
		/* huge_pmd_unshare() */
		STORE(PUD(i), none);			/* pud_clear() */
		ATOMIC_STORE(REF(i), exclusive);	/* share count 2 -> 1 */
		unshared_tables = 1;
		fully_unshared_tables = 1;	/* the other mm alone holds it */
		unsynced++;
		if
		:: skip
		:: d_step {	/* tlb_flush_mmu() in the middle of the gather */
			unshared_tables = 0;
#ifdef FLUSH_IS_SYNC	/* the twin: the flush taken for the sync */
			fully_unshared_tables = 0;
			unsynced = 0;
#endif
			printf("CPU0 unsharer: mid-gather TLB flush\n")
		   }
		fi;
		i++
	:: else -> break
	od;
	i = 0;
	/* tlb_finish_mmu() -> tlb_flush_unshared_tables() */
	if
	:: unshared_tables -> printf("CPU0 unsharer: end-of-gather TLB flush\n")
	:: else
	fi;
	if
	:: fully_unshared_tables ->
#ifdef NOSYNC
		printf("CPU0 unsharer: end-of-gather sync skipped\n");
#else
		SYNC_ONE();		/* tlb_remove_table_sync_one() */
		unsynced = 0;
#endif
		fully_unshared_tables = 0
	:: else
	fi;
#ifndef NOSYNC
	assert(unsynced == 0);		/* the gather invariant */
#endif
	UNLOCK(i_mmap)			/* i_mmap_unlock_write() */
}

/* mm B: once it alone holds a table, it may modify or reuse it. */
proctype cpu_sharer()
{
	byte me = 2, e;
	mtype who = sharer;
	bool done1, done2;

	do
	:: LOCK(i_mmap);
	   LOAD(ref1, e);
	   if
	   :: e == exclusive && !done1 -> PT_FREE(tbl1); done1 = 1
	   :: else
	   fi;
	   LOAD(ref2, e);
	   if
	   :: e == exclusive && !done2 -> PT_FREE(tbl2); done2 = 1
	   :: else
	   fi;
	   e = 0;
	   UNLOCK(i_mmap);
	   if
	   :: done1 && done2 -> break
	   :: else
	   fi
	od
}

proctype cpu_walker(byte me)
{
	mtype who = walker;
	byte e, i;

end:	do
	:: IRQ_SAVE();			/* gup_fast(): local_irq_save() */
	   if
	   :: i = 1
	   :: i = 2
	   fi;
	   LOAD(PUD(i), e);
	   if
	   :: e == table -> MIDWALK(); READ_TABLE(TBL(i), e)
	   :: else
	   fi;
	   IRQ_RESTORE();
	   e = 0; i = 0
	od
}

init {
	byte c;

	atomic {
		mem[pud1] = table; mem[pud2] = table;
		mem[tbl1] = live; mem[tbl2] = live;
		mem[ref1] = shared; mem[ref2] = shared;
		mem[i_mmap] = unlocked; mem[csd1] = unlocked;
		START_STORE_BUFFERS();
		run cpu_unsharer();
		run cpu_sharer();
		run cpu_walker(1); run interrupts(1)
	}
}
