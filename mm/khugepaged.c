// SPDX-License-Identifier: MIT
/*
 * khugepaged: collapsing a fully populated PTE table into one huge PMD,
 * the second caller of tlb_remove_table_sync_one() upstream.
 *
 * Why it needs a sync at all: the collapse takes mmap_lock for write,
 * which keeps faults and unmaps out, but GUP-fast takes no lock.  A walker
 * that read the PMD just before khugepaged cleared it may still be inside
 * the old PTE table.  That table is not freed through mmu_gather: it is
 * deposited (pgtable_trans_huge_deposit()), kept by the mm for the day the
 * huge PMD is split or zapped, and then reused or freed on the spot with
 * no wait at all.  So khugepaged waits for walkers itself, between
 * clearing the PMD and letting go of the table.  Which wait is the
 * strategy's (tlb_sync_callsite(), CALLSITE_COLLAPSE); a strategy that has
 * none gets upstream's broadcast, counted as such.
 *
 * The steps, as collapse_huge_page() takes them (anon):
 *   scan under mmap_read_lock: is every PTE of the 2 MiB present?
 *   allocate the huge folio, with no lock held;
 *   mmap_write_lock, and re-check: same mm, same PTE table, still full;
 *   pmdp_collapse_flush(): clear the PMD, flush (arch/tlbflush.c, so the
 *     TLB mode decides whether the flush interrupted anyone);
 *   the strategy's sync;
 *   give up cleanly if a small page is pinned (the PMD goes back);
 *   copy, clear the PTEs, drop the small folios;
 *   deposit the old table (pgtable_trans_huge_deposit());
 *   install the huge PMD, after checking nothing took its place.
 *
 * File-backed memory goes another way upstream (Hugh Dickins' 2023 rework,
 * v6.6: retract_page_tables() and collapse_pte_mapped_thp()): no mmap
 * write lock - retract_page_tables() takes none at all, under the file's
 * i_mmap_rwsem and the PMD and PTE locks; collapse_pte_mapped_thp() holds
 * mmap_lock for read - then pmdp_collapse_flush() and pte_free_defer():
 * the old table goes to call_rcu() through its own ptdesc.  No
 * tlb_remove_table_sync_one() on that path: a walker still inside is an
 * RCU reader, and the grace period waits for it.  So there every strategy
 * does the same thing, pte_free_defer(), and none syncs;
 * collapse_pte_mapped_thp() below models it:
 *   the same scan and huge folio;
 *   mmap_read_lock, and claim the mm's table freeing (what i_mmap_rwsem
 *     and the PMD lock give upstream: a downgraded munmap's
 *     free_pgtables() holds the read lock too, and must not free the
 *     table, or the PMD table, under us); re-check after claiming;
 *   pmdp_collapse_flush(); give up if pinned; copy;
 *   pte_free_defer(); install the huge PMD.
 * Only the anon path is the collapse call site (callsite.h: its events and
 * syncs); the file path is counted as khugepaged's "freed" tables.  A
 * walker found in a table it freed is still charged to collapse.
 *
 * The checker sees a deposit as what it is, a reuse: the table gets a new
 * generation and poison (pt_rewrite()) and the state PT_DEPOSITED, so a
 * walker still inside fails its generation re-check or reads poison, and
 * the violation names the collapse (ptdesc->site).
 *
 * Deposits are kept per PMD table, as the kernel keeps them (pmd_huge_pte,
 * under the PMD lock; here under mmap_lock for write, which every path
 * that zaps a huge PMD holds).  Only collapsed huge PMDs have one: this
 * model's huge faults (map_range) deposit nothing.  Any zapped huge PMD
 * withdraws one if its PMD table has any, so a PMD table that empties has
 * none left, which pt_retire() checks.
 */
#include "ptsync/run.h"
#include "ptsync/store_buffer.h"
#include "ptsync/tlb.h"

static const char *const scan_result_names[NR_SCAN_RESULTS] = {
	[SCAN_SUCCEED] = "succeeded",
	[SCAN_PMD_NULL] = "no PTE table",
	[SCAN_PMD_MAPPED] = "already huge",
	[SCAN_EXCEED_NONE_PTE] = "not fully populated",
	[SCAN_PAGE_COUNT] = "a page is pinned",
	[SCAN_ALLOC_HUGE_PAGE_FAIL] = "no huge folio",
	[SCAN_ANY_PROCESS] = "the mm exited",
	[SCAN_FAIL] = "the PMD changed",
};

const char *scan_result_name(int result)
{
	return result >= 0 && result < NR_SCAN_RESULTS ? scan_result_names[result] : "?";
}

static pgent_t *pmd_pgtable(struct mm_struct *mm, uint64_t pmd)
{
	return pfn_to_table(&mm->run->pt, pt_pfn(pmd));
}

/* Every PTE below @pmd present: what hpage_collapse_scan_pmd() wants. */
static enum scan_result pte_table_full(struct mm_struct *mm, uint64_t pmd)
{
	pte_t *pte;

	if (!pt_present(pmd))
		return SCAN_PMD_NULL;
	if (pt_huge(pmd))
		return SCAN_PMD_MAPPED;
	pte = pmd_pgtable(mm, pmd);
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if (!pt_present(READ_ONCE(pte[i])))
			return SCAN_EXCEED_NONE_PTE;
	return SCAN_SUCCEED;
}

/* The scan, under mmap_read_lock: a candidate, and its PMD as seen. */
static enum scan_result hpage_collapse_scan_pmd(struct mm_struct *mm, uint64_t addr,
						uint64_t *pmdval, uint32_t *inc)
{
	enum scan_result result = SCAN_PMD_NULL;
	pmd_t *pmdp;

	mmap_read_lock(mm);
	*inc = READ_ONCE(mm->incarnation);
	pmdp = mm_find_pmd(mm, addr);
	if (pmdp) {
		*pmdval = READ_ONCE(*pmdp);
		result = pte_table_full(mm, *pmdval);
	}
	mmap_read_unlock(mm);
	return result;
}

/*
 * hugepage_vma_revalidate() and the PMD check after retaking the lock for
 * write: the same process, the same PTE table, still fully populated.
 */
static enum scan_result collapse_revalidate(struct mm_struct *mm, uint64_t addr,
					    uint64_t pmdval, uint32_t inc, pmd_t **pmdp)
{
	if (!READ_ONCE(mm->pgd) || READ_ONCE(mm->incarnation) != inc)
		return SCAN_ANY_PROCESS;
	*pmdp = mm_find_pmd(mm, addr);
	if (!*pmdp)
		return SCAN_PMD_NULL;
	if (READ_ONCE(**pmdp) != pmdval)
		return SCAN_FAIL;
	return pte_table_full(mm, pmdval);
}

/*
 * Clear the PMD and flush.  The exchange is a locked RMW, so on x86 the
 * clear is globally visible before anything after it: no store buffer to
 * wait out (pmdp_huge_get_and_clear()).  The flush is told a table left
 * the tree (freed_tables), as free_pte_range()'s is; the kernel's
 * flush_tlb_range() here does not say so, which only spares lazy-TLB CPUs,
 * none of which can be inside GUP-fast for this mm.
 */
static pte_t *pmdp_collapse_flush(struct mmu_gather *tlb, pmd_t *pmdp, uint64_t addr)
{
	/* Pairs with the walker's READ_ONCE of the PMD in gup_fast_level():
	 * a walk that starts after this sees none. */
	uint64_t pmd = xchg_explicit(pmdp, 0, memory_order_seq_cst);
	pte_t *pte = pmd_pgtable(tlb->mm, pmd);

	WRITE_ONCE(virt_to_ptdesc(&tlb->run->pt, pte)->state, PT_DETACHED);
	tlb_track_range(tlb, addr, addr + PMD_SIZE);
	tlb->freed_tables = true;
	tlb_flush_mmu_tlbonly(tlb);
	return pte;
}

/*
 * Nobody may hold a small page but its PTE (__collapse_huge_page_isolate()
 * refuses pinned pages).  Our walkers pin only for the length of a job,
 * so this is rare, and it is the path on which the collapse gives up
 * after clearing the PMD.
 */
static bool collapse_pages_unpinned(struct mm_struct *mm, pte_t *pte)
{
	for (int i = 0; i < PTRS_PER_TABLE; i++) {
		struct folio *f = pfn_to_folio(&mm->run->folios, pt_pfn(READ_ONCE(pte[i])));

		if (READ_ONCE(f->refcount) != 1)
			return false;
	}
	return true;
}

/*
 * __collapse_huge_page_copy(): the huge folio gets the content (here its
 * owner and payload, as map_leaf() would give it), the PTEs are cleared,
 * and the small folios are dropped: the flush is done, and a walker that
 * took a reference on one holds it alive and backs out on its re-check.
 */
static void collapse_copy(struct mm_struct *mm, pte_t *pte, struct folio *huge,
			  uint64_t addr)
{
	WRITE_ONCE(huge->mm, mm);
	WRITE_ONCE(huge->addr, addr);
	WRITE_ONCE(huge->payload, folio_payload(mm, READ_ONCE(mm->incarnation), addr));
	for (int i = 0; i < PTRS_PER_TABLE; i++) {
		/* Relaxed: no walk can reach the table since the PMD clear,
		 * and the sync (or, for a free, the free's own) waits for
		 * those that had; one still inside under a strategy that does
		 * not wait reads the old entry or none, and re-checks the PMD,
		 * which the clear already changed. */
		uint64_t e = xchg_explicit(&pte[i], 0, memory_order_relaxed);

		folio_put(&mm->run->folios, pfn_to_folio(&mm->run->folios, pt_pfn(e)));
	}
	fetch_sub_explicit(&mm->nr_pages, PTRS_PER_TABLE, memory_order_relaxed);
}

/*
 * pgtable_trans_huge_deposit(): keep @pte for the huge entry at @pmdp,
 * on its PMD table's list.  The table is reused from here: a new
 * generation and poison, so a walker still inside is seen (pt_rewrite()).
 */
static void pgtable_trans_huge_deposit(struct mm_struct *mm, pmd_t *pmdp, pte_t *pte)
{
	struct pt_arena *a = &mm->run->pt;
	struct ptdesc *pmd_pd = virt_to_ptdesc(a, pt_table_of(a, pmdp));
	struct ptdesc *pd = virt_to_ptdesc(a, pte);

	WRITE_ONCE(pd->site, CALLSITE_COLLAPSE);
	WRITE_ONCE(pd->state, PT_DEPOSITED);
	pt_rewrite(a, pte);
	pd->deposit_next = pmd_pd->pmd_huge_pte;
	pmd_pd->pmd_huge_pte = (uint32_t)pt_table_pfn(a, pte);
	atomic_inc_relaxed(mm->run->khugepaged.deposited);
}

/* pgtable_trans_huge_withdraw(): a deposited table, or NULL if none. */
static pte_t *pgtable_trans_huge_withdraw(struct mm_struct *mm, pmd_t *pmdp)
{
	struct pt_arena *a = &mm->run->pt;
	struct ptdesc *pmd_pd = virt_to_ptdesc(a, pt_table_of(a, pmdp));
	uint32_t pfn = pmd_pd->pmd_huge_pte;

	if (pfn == ARENA_NONE)
		return NULL;
	pmd_pd->pmd_huge_pte = a->desc[pfn].deposit_next;
	a->desc[pfn].deposit_next = ARENA_NONE;
	return pfn_to_table(a, pfn);
}

/*
 * The huge entry was zapped: its deposit goes back at once (pte_free()).
 * It has been out of every walker's reach since the collapse synced.
 */
void zap_deposited_table(struct mm_struct *mm, pmd_t *pmdp)
{
	pte_t *pte = pgtable_trans_huge_withdraw(mm, pmdp);

	if (!pte)
		return;
	store_buffer_fence();	/* pt_free() takes a lock */
	pt_free(&mm->run->pt, pte);
	atomic_inc_relaxed(mm->run->khugepaged.withdrawn);
}

/* The PMD goes back as it was: the collapse gave up after the clear. */
static void collapse_restore(struct mmu_gather *tlb, pmd_t *pmdp, uint64_t pmdval,
			     pte_t *pte)
{
	WRITE_ONCE(virt_to_ptdesc(&tlb->run->pt, pte)->state, PT_LIVE);
	/* The table is as it was; republish it (pmd_populate()). */
	smp_store_release(pmdp, pmdval);
}

/* set_pmd_at(), after checking that nothing took the entry's place. */
static void collapse_install(struct mm_struct *mm, pmd_t *pmdp, struct folio *huge)
{
	if (READ_ONCE(*pmdp) != 0)
		ptsync_die("BUG: mm %d: PMD refilled under a collapse (mmap_lock, or the retract claim)",
			   mm->id);
	/* Owner and payload before the entry; pairs with the walker's
	 * dependent reads of the folio, as in map_leaf(). */
	smp_store_release(pmdp, mk_leaf_entry(folio_pfn(&mm->run->folios, huge), true));
	fetch_add_explicit(&mm->nr_pages, PTRS_PER_TABLE, memory_order_relaxed);
}

/*
 * From the cleared PMD on.  Anon (@deposit), under mmap_lock for write:
 * the strategy's sync, then the table is kept as the deposit.  File,
 * under mmap_lock for read and the mm's table-freeing claim: no sync,
 * pte_free_defer().
 */
static enum scan_result __collapse_huge_page(struct mm_struct *mm, pmd_t *pmdp,
					     uint64_t addr, uint64_t pmdval,
					     struct folio *huge, bool deposit)
{
	struct cpu *c = this_cpu();
	struct mmu_gather tlb;
	pte_t *pte;

	tlb_gather_mmu(&tlb, mm);
	pte = pmdp_collapse_flush(&tlb, pmdp, addr);
	if (deposit) {
		this_cpu_inc(c->stats.site_events[CALLSITE_COLLAPSE]);
		tlb_sync_callsite(&tlb, CALLSITE_COLLAPSE);
	}
	if (!collapse_pages_unpinned(mm, pte)) {
		collapse_restore(&tlb, pmdp, pmdval, pte);
		tlb_finish_mmu(&tlb);
		return SCAN_PAGE_COUNT;
	}
	collapse_copy(mm, pte, huge, addr);
	if (deposit) {
		pgtable_trans_huge_deposit(mm, pmdp, pte);
	} else {
		pte_free_defer(mm, pte);
		atomic_inc_relaxed(mm->run->khugepaged.freed);
	}
	collapse_install(mm, pmdp, huge);
	tlb_finish_mmu(&tlb);
	return SCAN_SUCCEED;
}

/*
 * collapse_huge_page(): the huge folio first, with no lock held; then the
 * write lock, the re-check, and the collapse.  Gives up, changing nothing,
 * whenever the re-check fails.
 */
static enum scan_result collapse_huge_page(struct mm_struct *mm, uint64_t addr,
					   uint64_t pmdval, uint32_t inc)
{
	struct folio *huge = folio_alloc(&mm->run->folios, HPAGE_PMD_ORDER);
	enum scan_result result;
	pmd_t *pmdp = NULL;

	if (!huge)
		return SCAN_ALLOC_HUGE_PAGE_FAIL;
	mmap_write_lock(mm);
	result = collapse_revalidate(mm, addr, pmdval, inc, &pmdp);
	if (result == SCAN_SUCCEED)
		result = __collapse_huge_page(mm, pmdp, addr, pmdval, huge, true);
	mmap_write_unlock(mm);
	if (result != SCAN_SUCCEED)
		folio_put(&mm->run->folios, huge);
	return result;
}

/*
 * The mm's table freeing, claimed for a retract (FREEING_PGTABLES_RETRACT):
 * only if no free_pgtables() runs (it sets 1), else the collapse gives up
 * and khugepaged comes back later.  free_pgtables() waits for a retract's
 * release.  Acquire: the tables as the last free_pgtables() left them,
 * pairs with its release of the flag.
 */
static bool retract_claim(struct mm_struct *mm)
{
	int idle = 0;

	return cmpxchg_strong_explicit(&mm->freeing_pgtables, &idle,
				       FREEING_PGTABLES_RETRACT,
				       memory_order_acquire, memory_order_relaxed);
}

/* Our PMD clear and huge PMD before the flag: pairs with the acquire in
 * free_pgtables(). */
static void retract_release(struct mm_struct *mm)
{
	smp_store_release(&mm->freeing_pgtables, 0);
}

/*
 * collapse_pte_mapped_thp(), with what retract_page_tables() does for
 * each mapping folded in: under mmap_lock for read only, and no sync.
 */
static enum scan_result collapse_pte_mapped_thp(struct mm_struct *mm, uint64_t addr,
						uint64_t pmdval, uint32_t inc)
{
	struct folio *huge = folio_alloc(&mm->run->folios, HPAGE_PMD_ORDER);
	enum scan_result result = SCAN_FAIL;
	pmd_t *pmdp = NULL;

	if (!huge)
		return SCAN_ALLOC_HUGE_PAGE_FAIL;
	mmap_read_lock(mm);
	if (retract_claim(mm)) {
		result = collapse_revalidate(mm, addr, pmdval, inc, &pmdp);
		if (result == SCAN_SUCCEED)
			result = __collapse_huge_page(mm, pmdp, addr, pmdval, huge, false);
		retract_release(mm);
	}
	mmap_read_unlock(mm);
	if (result != SCAN_SUCCEED)
		folio_put(&mm->run->folios, huge);
	return result;
}

enum scan_result khugepaged_collapse(struct mm_struct *mm, uint64_t addr, bool deposit)
{
	struct khugepaged_stats *ks = &mm->run->khugepaged;
	enum scan_result result;
	uint64_t pmdval = 0;
	uint32_t inc = 0;

	addr &= ~(PMD_SIZE - 1);
	atomic_inc_relaxed(ks->scans);
	result = hpage_collapse_scan_pmd(mm, addr, &pmdval, &inc);
	if (result == SCAN_SUCCEED)
		result = deposit ? collapse_huge_page(mm, addr, pmdval, inc) :
				   collapse_pte_mapped_thp(mm, addr, pmdval, inc);
	atomic_inc_relaxed(ks->results[result]);
	return result;
}
