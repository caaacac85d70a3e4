// SPDX-License-Identifier: MIT
/*
 * Building and tearing down page tables: map_range(), munmap_range(),
 * exit_mmap().
 *
 * All three run under the mm's mmap_lock, so they never race with each
 * other (munmap_range() frees tables under the read side after a
 * downgrade, and says why that is enough); they race only with GUP-fast,
 * which takes no lock.  That dictates the two orderings in this file:
 *  - a new table or folio is fully initialised before the entry pointing to
 *    it is stored, with release semantics, because a walker may follow the
 *    entry the moment it is visible;
 *  - an entry is cleared (unhooked) before its table or folio is handed to
 *    mmu_gather, which owns the rest of the rule: invalidate, then free
 *    only when no walker can still be inside.
 *
 * Unmapping uses the kernel's functions, one per level, so that a kernel
 * reader finds them where expected:
 *
 *   unmap_page_range -> zap_pud_range -> zap_pmd_range -> zap_pte_range
 *	clears every leaf in the range and gathers its folio;
 *   free_pgtables -> free_pgd_range -> free_pud_range -> free_pmd_range
 *	-> free_pte_range
 *	unhooks every table the zap left empty and gathers it.
 *
 * x86-64 has no p4d level with 4-level tables, so neither does this.
 * Mapping is not a kernel path (faults populate a page at a time):
 * map_range() fills a whole range with one function that takes the level.
 */
#include "ptsync/hugetlb.h"
#include "ptsync/mm.h"
#include "ptsync/run.h"
#include "ptsync/store_buffer.h"
#include "ptsync/tlb.h"
#include "ptsync/watchdog.h"

static pgent_t *entry_table(struct mm_struct *mm, uint64_t e)
{
	return pfn_to_table(&mm->run->pt, pt_pfn(e));
}

/* The table below *ep, allocating it if the entry is empty. */
static pgent_t *table_alloc_or_get(struct mm_struct *mm, pgent_t *ep, int child_level)
{
	uint64_t e = READ_ONCE(*ep);
	pgent_t *table;

	if (pt_present(e))
		return pt_huge(e) ? NULL : entry_table(mm, e);
	table = pt_alloc(&mm->run->pt, child_level, mm);
	if (!table)
		return NULL;
	/* The zeroed table is visible before the entry that leads to it;
	 * pairs with the walker's address-dependent READ_ONCE of it. */
	smp_store_release(ep, mk_table_entry(pt_table_pfn(&mm->run->pt, table)));
	return table;
}

static bool map_leaf(struct mm_struct *mm, pgent_t *ep, uint64_t addr, int order)
{
	struct folio *f = folio_alloc(&mm->run->folios, order);

	if (!f)
		return false;
	WRITE_ONCE(f->mm, mm);
	WRITE_ONCE(f->addr, addr);
	WRITE_ONCE(f->payload, folio_payload(mm, READ_ONCE(mm->incarnation), addr));
	/* Owner and payload before the entry; pairs with the walker's
	 * dependent reads of the folio after READ_ONCE of the entry. */
	smp_store_release(ep, mk_leaf_entry(folio_pfn(&mm->run->folios, f), order != 0));
	fetch_add_explicit(&mm->nr_pages, 1ULL << order, memory_order_relaxed);
	return true;
}

/* Map [addr, end) below @table of @level; returns pages mapped or -1. */
static long map_level(struct mm_struct *mm, pgent_t *table, int level,
		      uint64_t addr, uint64_t end, bool huge)
{
	long mapped = 0;

	for (uint64_t next; addr < end; addr = next) {
		pgent_t *ep = &table[pt_index(addr, level)];
		pgent_t *child;
		long n;

		next = pt_addr_end(addr, end, level);
		if (level == PT_PTE) {
			if (pt_present(READ_ONCE(*ep)))
				continue;
			if (!map_leaf(mm, ep, addr, 0))
				return -1;
			mapped++;
			continue;
		}
		if (level == PT_PMD && huge && pt_none(READ_ONCE(*ep)) &&
		    addr % PMD_SIZE == 0 && next - addr == PMD_SIZE) {
			if (!map_leaf(mm, ep, addr, HPAGE_PMD_ORDER))
				return -1;
			mapped += 1L << HPAGE_PMD_ORDER;
			continue;
		}
		if (pt_huge(READ_ONCE(*ep)))
			continue;	/* already mapped by a leaf */
		child = table_alloc_or_get(mm, ep, level - 1);
		if (!child)
			return -1;
		n = map_level(mm, child, level - 1, addr, next, huge);
		if (n < 0)
			return -1;
		mapped += n;
	}
	return mapped;
}

/*
 * The entry of @level covering @addr: a lookup only, for callers holding
 * mmap_lock (khugepaged, hugetlb); NULL where no table of that level is,
 * or a huge leaf above it.
 */
pgent_t *pt_entry_find(struct mm_struct *mm, uint64_t addr, int level)
{
	pgent_t *table = READ_ONCE(mm->pgd);

	for (int l = PT_PGD; table && l > level; l--) {
		uint64_t e = READ_ONCE(table[pt_index(addr, l)]);

		if (!pt_present(e) || pt_huge(e))
			return NULL;
		table = entry_table(mm, e);
	}
	return table ? &table[pt_index(addr, level)] : NULL;
}

pmd_t *mm_find_pmd(struct mm_struct *mm, uint64_t addr)
{
	return pt_entry_find(mm, addr, PT_PMD);
}

/* The entry of @level covering @addr, allocating the tables above it. */
pgent_t *pt_entry_alloc(struct mm_struct *mm, uint64_t addr, int level)
{
	pgent_t *table = READ_ONCE(mm->pgd);

	for (int l = PT_PGD; table && l > level; l--)
		table = table_alloc_or_get(mm, &table[pt_index(addr, l)], l - 1);
	return table ? &table[pt_index(addr, level)] : NULL;
}

/* map_range() for a caller that holds mmap_lock for write. */
long __map_range(struct mm_struct *mm, uint64_t addr, uint64_t len, bool huge)
{
	return map_level(mm, READ_ONCE(mm->pgd), PT_PGD, addr, addr + len, huge);
}

long map_range(struct mm_struct *mm, uint64_t addr, uint64_t len, bool huge)
{
	long mapped;

	mmap_write_lock(mm);
	mapped = __map_range(mm, addr, len, huge);
	mmap_write_unlock(mm);
	return mapped;
}

/*
 * Clear one leaf and gather its folio.  Clear first (step 1 for the page):
 * a walker that grabbed the folio re-reads the entry after taking its
 * reference, sees the change and backs out.  @level is the leaf's: a huge
 * one goes whole.
 */
static void zap_leaf(struct mmu_gather *tlb, pgent_t *ep, uint64_t addr, int level)
{
	struct mm_struct *mm = tlb->mm;
	uint64_t size = 1ULL << pt_shift(level), base = addr & ~(size - 1);
	/* Pairs with the full barrier in folio_ref_try_add(). */
	uint64_t e = xchg_explicit(ep, 0, memory_order_seq_cst);
	struct folio *f = pfn_to_folio(&mm->run->folios, pt_pfn(e));

	fetch_sub_explicit(&mm->nr_pages, 1ULL << f->order, memory_order_relaxed);
	tlb_track_range(tlb, base, base + size);
	tlb_remove_page(tlb, f);
}

static void zap_pte_range(struct mmu_gather *tlb, pmd_t *pmd, uint64_t addr,
			  uint64_t end)
{
	pte_t *pte = entry_table(tlb->mm, READ_ONCE(*pmd));

	for (uint64_t next; addr < end; addr = next) {
		pte_t *ep = &pte[pt_index(addr, PT_PTE)];

		next = pt_addr_end(addr, end, PT_PTE);
		if (pt_present(READ_ONCE(*ep)))
			zap_leaf(tlb, ep, addr, PT_PTE);
	}
}

void zap_pmd_range(struct mmu_gather *tlb, pud_t *pud, uint64_t addr, uint64_t end)
{
	pmd_t *pmd = entry_table(tlb->mm, READ_ONCE(*pud));

	for (uint64_t next; addr < end; addr = next) {
		pmd_t *ep = &pmd[pt_index(addr, PT_PMD)];
		uint64_t e = READ_ONCE(*ep);

		next = pt_addr_end(addr, end, PT_PMD);
		if (!pt_present(e))
			continue;
		if (pt_huge(e)) {			/* zap_huge_pmd() */
			zap_leaf(tlb, ep, addr, PT_PMD);
			zap_deposited_table(tlb->mm, ep);
		} else {
			zap_pte_range(tlb, ep, addr, next);
		}
	}
}

static void zap_pud_range(struct mmu_gather *tlb, pgd_t *pgd, uint64_t addr,
			  uint64_t end)
{
	pud_t *pud = entry_table(tlb->mm, READ_ONCE(*pgd));

	for (uint64_t next; addr < end; addr = next) {
		pud_t *ep = &pud[pt_index(addr, PT_PUD)];
		uint64_t e = READ_ONCE(*ep);

		next = pt_addr_end(addr, end, PT_PUD);
		if (!pt_present(e))
			continue;
		if (pt_huge(e))
			zap_leaf(tlb, ep, addr, PT_PUD);	/* zap_huge_pud() */
		else
			zap_pmd_range(tlb, ep, addr, next);
	}
}

/*
 * Clear every leaf in [addr, end) and gather its folio; tables stay, but
 * for hugetlb's: the hugetlb file's slots go first, each unshared or, if
 * this mm holds it alone, zapped and freed (__unmap_hugepage_range()), as
 * unmap_single_vma() hands a hugetlb VMA to hugetlb.  A slot whose table
 * was reused as an ordinary one is left to the zap below.
 */
static void unmap_page_range(struct mmu_gather *tlb, uint64_t addr, uint64_t end)
{
	pgd_t *pgd = READ_ONCE(tlb->mm->pgd);

	if (hugetlb_overlaps(tlb->mm, addr, end))
		__unmap_hugepage_range(tlb, addr, end, tlb->fullmm);

	for (uint64_t next; addr < end; addr = next) {
		pgd_t *ep = &pgd[pt_index(addr, PT_PGD)];

		next = pt_addr_end(addr, end, PT_PGD);
		if (pt_present(READ_ONCE(*ep)))
			zap_pud_range(tlb, ep, addr, next);
	}
}

static bool table_empty(const pgent_t *table)
{
	/* Our own unhooks still buffered are forwarded to these loads. */
	for (int i = 0; i < PTRS_PER_TABLE; i++) {
		if (!pt_none(READ_ONCE(table[i])))
			return false;
	}
	return true;
}

/*
 * Step 1 for a table: unhook it from *@ep, the entry of the level above
 * that points to it, so that no walk starting from here on can find it.
 * Walks already past the entry are mmu_gather's business.  Only a table
 * the zap left empty goes: the kernel knows from the VMAs around the range
 * (floor, ceiling) which tables nobody else maps through; with no VMAs
 * here, an empty table is one nobody maps through.
 */
static pgent_t *unhook_if_empty(struct mmu_gather *tlb, pgent_t *ep)
{
	pgent_t *table = entry_table(tlb->mm, READ_ONCE(*ep));

	if (!table_empty(table))
		return NULL;
	pt_unhook(this_cpu(), ep);
	WRITE_ONCE(virt_to_ptdesc(&tlb->mm->run->pt, table)->state, PT_DETACHED);
	return table;
}

/* The PTE table below *@pmd, if the zap emptied it. */
static void free_pte_range(struct mmu_gather *tlb, pmd_t *pmd, uint64_t addr)
{
	pte_t *pte = unhook_if_empty(tlb, pmd);

	if (pte)
		pte_free_tlb(tlb, pte, addr & ~(PMD_SIZE - 1));
}

/* The PTE tables below the PMD table below *@pud, then that PMD table. */
static void free_pmd_range(struct mmu_gather *tlb, pud_t *pud, uint64_t addr,
			   uint64_t end)
{
	pmd_t *pmd = entry_table(tlb->mm, READ_ONCE(*pud));
	uint64_t start = addr;

	for (uint64_t next; addr < end; addr = next) {
		pmd_t *ep = &pmd[pt_index(addr, PT_PMD)];
		uint64_t e = READ_ONCE(*ep);

		next = pt_addr_end(addr, end, PT_PMD);
		if (pt_present(e) && !pt_huge(e))
			free_pte_range(tlb, ep, addr);
	}
	pmd = unhook_if_empty(tlb, pud);
	if (pmd)
		pmd_free_tlb(tlb, pmd, start & ~(PUD_SIZE - 1));
}

/* The PMD tables below the PUD table below *@pgd, then that PUD table. */
static void free_pud_range(struct mmu_gather *tlb, pgd_t *pgd, uint64_t addr,
			   uint64_t end)
{
	pud_t *pud = entry_table(tlb->mm, READ_ONCE(*pgd));
	uint64_t start = addr;

	for (uint64_t next; addr < end; addr = next) {
		pud_t *ep = &pud[pt_index(addr, PT_PUD)];
		uint64_t e = READ_ONCE(*ep);

		next = pt_addr_end(addr, end, PT_PUD);
		if (pt_present(e) && !pt_huge(e))
			free_pmd_range(tlb, ep, addr, next);
	}
	/* Other mms read the PUD entries of a mapped hugetlb range (to share
	 * its tables), under i_mmap_rwsem, not our lock: while we map the
	 * file, the PUD tables over it stay (a VMA spanning them would keep
	 * them too, by the floor and ceiling free_pgtables() is given). */
	start &= ~(PGDIR_SIZE - 1);
	if (hugetlb_overlaps(tlb->mm, start, start + PGDIR_SIZE))
		return;
	pud = unhook_if_empty(tlb, pgd);
	if (pud)
		pud_free_tlb(tlb, pud, start);
}

/* Every table below the PGD over [addr, end) that maps nothing any more. */
static void free_pgd_range(struct mmu_gather *tlb, uint64_t addr, uint64_t end)
{
	pgd_t *pgd = READ_ONCE(tlb->mm->pgd);

	for (uint64_t next; addr < end; addr = next) {
		pgd_t *ep = &pgd[pt_index(addr, PT_PGD)];

		next = pt_addr_end(addr, end, PT_PGD);
		if (pt_present(READ_ONCE(*ep)))
			free_pud_range(tlb, ep, addr, next);
	}
}

/*
 * Called with mmap_lock held for write (exit_mmap) or for read after a
 * downgrade (munmap_range): either way, by one thread per mm at a time
 * (see munmap_range()), which the flag checks.  A file-backed collapse
 * retracts a table holding the read lock too (mm/khugepaged.c, where
 * upstream's i_mmap_rwsem keeps the two apart); it holds the flag for a
 * few steps, with no sleep, and we wait for it.  Acquire: the tables as
 * the retract left them, pairs with the release in retract_release().
 */
static void free_pgtables_claim(struct mm_struct *mm)
{
	struct cpu *c = this_cpu();
	bool waited = false, was_online = false;

	for (;;) {
		int idle = 0;

		if (cmpxchg_strong_explicit(&mm->freeing_pgtables, &idle, 1,
					    memory_order_acquire, memory_order_relaxed))
			break;
		if (idle != FREEING_PGTABLES_RETRACT)
			ptsync_die("BUG: mm %d: two free_pgtables() at once", mm->id);
		if (!waited && c) {
			/* Upstream sleeps on i_mmap_rwsem here: a quiescent
			 * state, or the retract, which may wait for a grace
			 * period (a batch to come back), would wait for us. */
			was_online = READ_ONCE(c->rcu_online);
			if (was_online)
				rcu_eqs_enter(c);
			stall_wait_begin(c, STALL_BARRIER, -1);
		}
		waited = true;
		cpu_relax();
	}
	if (waited && c) {
		stall_wait_end(c);
		if (was_online)
			rcu_eqs_exit(c);
	}
}

static void free_pgtables(struct mmu_gather *tlb, uint64_t addr, uint64_t end)
{
	struct mm_struct *mm = tlb->mm;

	free_pgtables_claim(mm);
	free_pgd_range(tlb, addr, end);
	/* Our unhooks before the flag: pairs with the acquire in
	 * khugepaged's retract_claim(). */
	smp_store_release(&mm->freeing_pgtables, 0);
}

/*
 * munmap, in the kernel's order: do_vmi_align_munmap() detaches the VMAs
 * holding mmap_lock for write, then mmap_write_downgrade(), and the page
 * tables are torn down under the read lock, so that the sync the table
 * fallback may do (a whole grace period, for the seed) holds off writers
 * to this mm only, not readers (faults, GUP's slow path).
 *
 * There are no VMAs here; the zap, holding the lock for write, plays the
 * detach: when it is done, nothing in the range is mapped.  Freeing the
 * tables that left empty under the read lock is then safe because of who
 * else can hold it:
 *  - every path that adds or removes entries (map_range, the zap,
 *    exit_mmap, mm_recreate, the last mmput) holds it for write, so no
 *    table fills up between free_pgtables() finding it empty and
 *    unhooking it;
 *  - the read side is reached here only by downgrading a write hold, and
 *    a write hold excludes every reader: at most one downgraded munmap
 *    holds an mm's lock at a time, so two munmaps of one mm, overlapping
 *    or not, never free tables concurrently (free_pgtables() checks).
 * A reader that changed tables (a fault path) would need the kernel's
 * answer first: VMAs owning the range, and floor/ceiling for the frees.
 */
void munmap_range(struct mm_struct *mm, uint64_t addr, uint64_t len)
{
	struct mmu_gather tlb;

	mmap_write_lock(mm);
	tlb_gather_mmu(&tlb, mm);
	unmap_page_range(&tlb, addr, addr + len);
	mmap_write_downgrade(mm);
	free_pgtables(&tlb, addr, addr + len);
	tlb_finish_mmu(&tlb);
	mmap_read_unlock(mm);
}

void exit_mmap(struct mm_struct *mm)
{
	struct mmu_gather tlb;

	mmap_write_lock(mm);
	tlb_gather_mmu_fullmm(&tlb, mm);
	unmap_page_range(&tlb, 0, TASK_SIZE);
	free_pgtables(&tlb, 0, TASK_SIZE);
	tlb_finish_mmu(&tlb);
	mmap_write_unlock(mm);
}
