// SPDX-License-Identifier: MIT
/*
 * ipi: tlb_remove_table_sync_one(), the fallback before Feb 2026.
 *
 * An IPI to every other online CPU, waiting until each has taken it.  A CPU
 * takes an interrupt only with IRQs enabled, so once every CPU has, every
 * IRQs-off walker that might have seen the unhooked table has finished.
 * Cheap for the freer (microseconds), paid by every CPU in the machine,
 * including those running unrelated processes and real-time tasks.  It is
 * what upstream still does at the other two call sites, khugepaged's
 * collapse and hugetlb's unshare, and what the harness does there for a
 * strategy that has no answer of its own.
 */
#include "ptsync/strategy.h"
#include "ptsync/tlb.h"

PT_SYNC_HOOK_CALLING(ipi_sync_one, tlb_remove_table_sync_one)

const struct pt_sync_ops ipi_sync_ops = {
	PT_SYNC_OPS_HEAD("ipi", "tlb_remove_table_sync_one(): IPI every CPU, wait for each",
			 MECH_BROADCAST),
	PT_SYNC_EVERY_SITE(ipi_sync_one, "IPI every CPU",
			   BYSTANDER_IPI_PER_SYNC),
};
