/* SPDX-License-Identifier: MIT */
/*
 * The call sites that must wait for lockless walkers before a page table
 * is freed or reused.
 *
 * tlb_remove_table_sync_one() has three callers upstream, and the seed
 * changed only one of them:
 *
 *  fallback  tlb_remove_table_one(): mmu_gather got no batch page, so the
 *            table is synced and freed on its own (mm/mmu_gather.c);
 *  collapse  collapse_huge_page(): khugepaged cleared a PMD and will
 *            deposit or free the PTE table below it (mm/khugepaged.c);
 *  unshare   huge_pmd_unshare(): an mm stopped sharing a hugetlb PMD
 *            table that another mm keeps and may reuse (mm/hugetlb.c).
 *
 * Each strategy says what it does at each of them (strategy.h); the
 * harness counts syncs, their cost and the IPIs they send per site, and a
 * violation names the site that freed or reused the table it was found in.
 */
#ifndef PTSYNC_CALLSITE_H
#define PTSYNC_CALLSITE_H

#include <stddef.h>

enum pt_callsite {
	CALLSITE_FALLBACK,
	CALLSITE_COLLAPSE,
	CALLSITE_UNSHARE,
	NR_CALLSITES,
	CALLSITE_NONE = -1,	/* not syncing for any site */
};

#define CALLSITE_BIT(s)		(1u << (s))
#define CALLSITES_ALL		(CALLSITE_BIT(NR_CALLSITES) - 1)

/* "fallback", "collapse", "unshare"; "?" otherwise. */
const char *callsite_name(int site);
/* The site called @name, or CALLSITE_NONE. */
int callsite_find(const char *name);
/* "fallback,collapse" for a CALLSITE_BIT() set, into buf. */
const char *callsites_str(unsigned int sites, char *buf, size_t len);

#endif /* PTSYNC_CALLSITE_H */
