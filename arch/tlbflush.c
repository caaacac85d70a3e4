// SPDX-License-Identifier: MIT
/*
 * The architecture's TLB invalidation, as mmu_gather sees it.
 *
 * ptsync has no hardware TLB to flush; what matters to page-table freeing
 * is *how* the flush reaches other CPUs.  The default models broadcast
 * invalidation (arm64 TLBI ...IS, AMD INVLPGB, paravirt hypercall flushes):
 * the invalidation completes without interrupting any CPU, so an IRQs-off
 * walker is not held off by it and the explicit sync of tlb_remove_table()
 * is what keeps it safe.  (x86's native flush IPIs the CPUs in mm_cpumask;
 * that mode belongs here too and is where a flush could stand in for the
 * sync.)
 */
#include "ptsync/tlb.h"

void flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end,
			bool freed_tables)
{
	(void)mm;
	(void)start;
	(void)end;
	(void)freed_tables;
	/* The broadcast invalidation is complete, for every CPU, before we
	 * go on to free (TLBI; DSB ISH).  No CPU is interrupted. */
	smp_mb();
}
