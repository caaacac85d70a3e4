/* SPDX-License-Identifier: MIT */
/*
 * khugepaged collapse: collapse_huge_page() (mm/khugepaged.c) with an IPI
 * sync (default), a grace period (-DSYNC_GP), and the broken twin with no
 * sync at all (-DNOSYNC).
 *
 * Why: collapsing 512 small pages into one huge page replaces a PTE table
 * by a huge pmd, and the old PTE table is not freed through
 * tlb_remove_table(): it is deposited (pgtable_trans_huge_deposit()) and
 * later withdrawn when the huge pmd is split or zapped, and then reused or
 * freed on the spot (zap_deposited_table() -> pte_free()), with no wait
 * for walkers.  mmap_write_lock() keeps page faults out, but GUP-fast
 * takes no lock.  So collapse must do the sync itself, between clearing
 * the pmd and depositing the table: a walker that read the old pmd must
 * have left the table before it is out of khugepaged's hands.
 *
 * Models: collapse_huge_page() under mmap_write_lock(): pmdp_collapse_flush()
 * (clear the pmd; flush_tlb_range(), a broadcast that interrupts no one,
 * left out), then tlb_remove_table_sync_one() (smp_call_function_many(),
 * wait=1) or tlb_remove_table_sync_rcu() / synchronize_rcu(), then
 * __collapse_huge_page_copy() (clears the old PTEs), then set_pmd_at() the
 * huge pmd, with the deposited table modelled as freed from that point
 * (the earliest it can be withdrawn).  The walker is gup_fast() /
 * __gup_fast() between local_irq_save() and local_irq_restore(): a cleared
 * pte or the huge pmd is fine for it; a poisoned table is not.
 *
 * Safety property: a walker never reads an entry of the old PTE table
 * after it was handed on for reuse (walker's assert).
 *
 * Broken twin, -DNOSYNC: no sync.  A walker reads the old pmd just before
 * the clear and is still in the old table when it is reused: refuted, under
 * SC and TSO alike.
 *
 * CPU0 is khugepaged; CPUs 1..NWALKERS run GUP-fast over and over.
 */
mtype = { pmd, pte, csd1, csd2 };	/* memory locations */
#define NLOC		5
#define NWALKERS	2
#define NCPU		3
/* khugepaged, -DNOSYNC: pmd=none, pte=none, pmd=huge, pte=poison. */
#define SB_SIZE		4
#define CSD(c)		(c == 1 -> csd1 : csd2)

#include "common.pml"

proctype cpu_khugepaged()
{
	byte me = 0, c;
	mtype who = khugepaged;

	/* collapse_huge_page(), under mmap_write_lock() */
	STORE(pmd, none);		/* pmdp_collapse_flush() */
#if defined(NOSYNC)
	printf("CPU0 khugepaged: no sync\n");
#elif defined(SYNC_GP)
	SYNCHRONIZE_RCU();		/* tlb_remove_table_sync_rcu() */
#else
	SYNC_ONE();			/* tlb_remove_table_sync_one() */
#endif
	STORE(pte, none);		/* __collapse_huge_page_copy() */
	STORE(pmd, huge);		/* set_pmd_at() */
	PT_FREE(pte)			/* deposited: reused or freed later */
}

proctype cpu_walker(byte me)
{
	mtype who = walker;
	byte e;

end:	do
	:: IRQ_SAVE();			/* gup_fast(): local_irq_save() */
	   LOAD(pmd, e);
	   if
	   :: e == table -> MIDWALK(); READ_TABLE(pte, e)
	   :: else		/* none: bail; huge: the new huge page */
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
		run cpu_khugepaged();
		run cpu_walker(1); run interrupts(1);
		run cpu_walker(2); run interrupts(2)
	}
}
