/* SPDX-License-Identifier: MIT */
/*
 * hugetlb PMD unsharing with three mms: the per-gather rule against a sync
 * of one mm's walkers only (docs/findings.md, finding 1; strategies
 * targeted-v4 and targeted-v4-unshare).
 *
 * Why: per-gather unsharing (mm/hugetlb.c, tlb_flush_unshared_tables())
 * syncs only the gather that leaves a table exclusive to its last user.
 * That is enough when the sync is a broadcast: it also waits for walkers
 * of the mms that unshared the table earlier and did not sync.  v4 2/3 of
 * the targeted-IPI series kept the rule and made the sync reach this mm's
 * walkers only.  Two mms cannot tell the difference (the first unsharer
 * already leaves the table exclusive); three can, and this model has
 * three: mm A and mm B unshare one shared table, in either order, each in
 * its own gather under i_mmap_rwsem; mm C keeps it and, once the count
 * says it alone holds it, reuses it (poisons it, as ptsync's checker
 * would see the reuse).  A GUP-fast walker runs in mm A.  mm B's walkers
 * are left out: no sync the model makes could miss them.
 *
 * Models: huge_pmd_unshare() (pud_clear(), then the share count dropped
 * with a locked RMW: shared3 -> shared2 -> exclusive), the end-of-gather
 * sync of tlb_flush_unshared_tables(), i_mmap_lock_write() /
 * i_mmap_unlock_write(), and the walker between local_irq_save() and
 * local_irq_restore().  The TLB flush before the sync is left out: under
 * INVLPGB it interrupts nobody (under x86 native it would IPI mm A's CPUs
 * and hide the bug; that is the point of leaving it out).
 *
 * Safety property: mm A's walker never reads the table after mm C reused
 * it (walker's assert).
 *
 *  (default)          the sync is a broadcast, at the gather that leaves
 *                     the table exclusive (upstream since 8ce720d5bd91):
 *                     proven.
 *  -DSYNC_MM_ONLY     the sync reaches this mm's walkers only, at the same
 *                     gather (v4 2/3, strategy targeted-v4-unshare):
 *                     refuted - A unshares first and does not sync, B
 *                     syncs B's walkers, C reuses the table under A's
 *                     walker.
 *  -DSYNC_MM_ONLY -DEVERY_GATHER  this mm's walkers, at every gather that
 *                     unshared (strategies targeted, targeted-v4): proven.
 *
 * CPU0 unshares for mm A, CPU1 walks mm A, CPU2 unshares for mm B, CPU3
 * is mm C.
 */
mtype = { pud_a, pud_b, tbl, ref, i_mmap, csd1 };	/* locations */
#define NLOC		7
#define NWALKERS	1
#define NCPU		4
/* An unsharer: pud_clear(), the unlock. */
#define SB_SIZE		3
#define CSD(c)		csd1

#include "common.pml"

mtype = { shared3, shared2, exclusive };

/* down_write(): a locked RMW once the lock is free. */
#define LOCK(l) \
	d_step { \
		mem[l] == unlocked -> \
		_DRAIN(me); \
		mem[l] = locked; \
		printf("CPU%d %e: takes %e\n", me, who, l) \
	}
#define UNLOCK(l)	STORE(l, unlocked)

/*
 * One mm's unshare of the table, in a gather of its own.  @mine: this
 * mm's walkers include CPU1 (mm A's), so a sync of this mm's walkers
 * reaches it.
 */
proctype cpu_unsharer(byte me; byte pud; bool mine)
{
	mtype who = unsharer;
	bool fully;
	byte c;

	LOCK(i_mmap);				/* i_mmap_lock_write() */
	STORE(pud, none);			/* pud_clear() */
	d_step {				/* ptdesc_pmd_pts_dec(), locked */
		_DRAIN(me);
		if
		:: mem[ref] == shared3 -> mem[ref] = shared2
		:: else -> mem[ref] = exclusive; fully = 1
		fi;
		printf("CPU%d %e: share count now %e\n", me, who, mem[ref])
	}
	/* tlb_flush_unshared_tables() */
#ifdef EVERY_GATHER
	if
	:: true ->
#else
	if
	:: fully ->
#endif
#ifdef SYNC_MM_ONLY
		if
		:: mine -> SYNC_ONE()		/* this mm's walker: CPU1 */
		:: else -> printf("CPU%d %e: sync of this mm's walkers: none\n", me, who)
		fi
#else
		SYNC_ONE()			/* tlb_remove_table_sync_one() */
#endif
	:: else -> printf("CPU%d %e: not exclusive: no sync\n", me, who)
	fi;
	UNLOCK(i_mmap)				/* i_mmap_unlock_write() */
}

/* mm C: once it alone holds the table, it reuses it. */
proctype cpu_keeper()
{
	byte me = 3, e;
	mtype who = sharer;

	do
	:: LOCK(i_mmap);
	   LOAD(ref, e);
	   if
	   :: e == exclusive -> PT_FREE(tbl); UNLOCK(i_mmap); break
	   :: else -> UNLOCK(i_mmap)
	   fi
	od
}

proctype cpu_walker(byte me)
{
	mtype who = walker;
	byte e;

end:	do
	:: IRQ_SAVE();			/* gup_fast(): local_irq_save() */
	   LOAD(pud_a, e);
	   if
	   :: e == table -> READ_TABLE(tbl, e)
	   :: else
	   fi;
	   IRQ_RESTORE();
	   e = 0
	od
}

init {
	byte c;

	atomic {
		mem[pud_a] = table; mem[pud_b] = table;
		mem[tbl] = live; mem[ref] = shared3;
		mem[i_mmap] = unlocked; mem[csd1] = unlocked;
		START_STORE_BUFFERS();
		run cpu_unsharer(0, pud_a, 1);
		run cpu_unsharer(2, pud_b, 0);
		run cpu_keeper();
		run cpu_walker(1); run interrupts(1)
	}
}
