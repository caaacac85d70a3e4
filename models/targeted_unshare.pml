/* SPDX-License-Identifier: MIT */
/*
 * targeted at hugetlb's unshare with three mms: v4's unshare rule
 * (-DV4, refuted), the native x86 flush that masks it (-DV4 -DNATIVE_FLUSH,
 * proven), and ptsync's rule (default, proven).
 *
 * Why: strategy/targeted.c IPIs only the CPUs walking tlb->mm.  v4 of the
 * series syncs at unshare only in the gather that leaves a table exclusive
 * (fully_unshared_tables), which is enough for a broadcast sync but not for
 * a targeted one: with three mms A, B and C sharing a PMD table, A
 * unshares (3 -> 2 sharers, no sync), B unshares (2 -> 1, a sync, but only
 * of B's walkers), and C, now the last sharer, reuses the table while a
 * walker of A that read A's PUD entry before A's unshare is still inside
 * it.  ptsync's rule (mm/hugetlb.c, sync_mm_only) syncs every gather that
 * unshared a table, each for its own mm.  On x86 native the masking is
 * that A's gather ends with a TLB flush that IPIs A's CPUs (mm_cpumask)
 * and waits, which is a sync of A's walkers by accident.
 *
 * Models: CPU0 runs A's and then B's huge_pmd_unshare() gathers
 * (pud_clear(), share count dropped by a locked RMW, the end-of-gather
 * targeted sync when the rule says so: smp_mb(), slot read, IPI+wait);
 * CPU1 is a GUP-fast walker of mm A (targeted_walk_begin/end around the
 * walk); CPU2 is mm C, which modifies (poisons) the table once the count
 * says it alone holds it.  i_mmap_rwsem is left out: the unsharer and C
 * are ordered by the share count's RMW and C's load of it, and the walker
 * never takes it.
 *
 * Safety property: a walker never reads an entry of the table after the
 * last sharer started to modify it (walker's assert).
 */
mtype = { pudA, pudB, tbl, ref, slot1, csd1 };	/* memory locations */
#define NLOC		7
#define NWALKERS	1
#define NCPU		3
#define SB_SIZE		3
#define CSD(c)		csd1
#define SLOT(c)		slot1

#include "common.pml"

mtype = { mmA, mmB, NULL, three, two, one };

/* The end-of-gather targeted sync of @mm: targeted_sync(). */
#define TARGETED_SYNC(mm) \
	SMP_MB(); \
	LOAD(SLOT(1), e); \
	if \
	:: e == mm -> IPI_SEND(1); IPI_WAIT(1) \
	:: else \
	fi; \
	e = 0

proctype cpu_unsharer()
{
	byte me = 0, c, e;
	mtype who = unsharer;

	/* mm A's gather: 3 -> 2 sharers, the table is not exclusive */
	STORE(pudA, none);		/* huge_pmd_unshare(): pud_clear() */
	ATOMIC_STORE(ref, two);
#if defined(V4) && defined(NATIVE_FLUSH)
	printf("CPU0 unsharer: A's flush_tlb_mm_range() IPIs A's CPUs, waits\n");
	IPI_SEND(1); IPI_WAIT(1);
#elif defined(V4)
	printf("CPU0 unsharer: A's gather: not exclusive, no sync (v4)\n");
#else
	TARGETED_SYNC(mmA);		/* every unsharing gather, its own mm */
#endif
	/* mm B's gather: 2 -> 1, exclusive: fully_unshared_tables */
	STORE(pudB, none);
	ATOMIC_STORE(ref, one);
	TARGETED_SYNC(mmB)		/* only B's walkers */
}

/* mm C: once it alone holds the table, it may reuse it. */
proctype cpu_last_sharer()
{
	byte me = 2, e;
	mtype who = sharer;

	LOAD(ref, e);
	if
	:: e == one -> PT_FREE(tbl)	/* modified or reused as a PMD table */
	:: else
	fi
}

proctype cpu_walker(byte me)
{
	mtype who = walker;
	byte e;

end:	do
	:: IRQ_SAVE();
	   STORE(SLOT(me), mmA);	/* targeted_walk_begin() */
	   SMP_MB();
	   LOAD(pudA, e);
	   if
	   :: e == table -> MIDWALK(); READ_TABLE(tbl, e)
	   :: else
	   fi;
	   SMP_MB();			/* targeted_walk_end() */
	   STORE(SLOT(me), NULL);
	   IRQ_RESTORE();
	   e = 0
	od
}

init {
	byte c;

	atomic {
		mem[pudA] = table; mem[pudB] = table;
		mem[tbl] = live; mem[ref] = three;
		mem[slot1] = NULL; mem[csd1] = unlocked;
		START_STORE_BUFFERS();
		run cpu_unsharer();
		run cpu_last_sharer();
		run cpu_walker(1); run interrupts(1)
	}
}
