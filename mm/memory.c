// SPDX-License-Identifier: MIT
/*
 * Building and tearing down page tables: map_range(), munmap_range(),
 * exit_mmap().
 *
 * All three run under the mm's mmap_lock, so they never race with each
 * other; they race only with GUP-fast, which takes no lock.  That dictates
 * the two orderings in this file:
 *  - a new table or folio is fully initialised before the entry pointing to
 *    it is stored, with release semantics, because a walker may follow the
 *    entry the moment it is visible;
 *  - an entry is cleared (unhooked) before its table or folio is handed to
 *    mmu_gather, which owns the rest of the rule: invalidate, then free
 *    only when no walker can still be inside.
 *
 * The kernel walks each level with its own function; the levels here differ
 * only in their shift, so one function per operation takes the level.
 */
#include "ptsync/mm.h"
#include "ptsync/run.h"
#include "ptsync/store_buffer.h"
#include "ptsync/tlb.h"

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
	atomic_fetch_add_explicit(&mm->nr_pages, 1ULL << order, memory_order_relaxed);
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

long map_range(struct mm_struct *mm, uint64_t addr, uint64_t len, bool huge)
{
	long mapped;

	mmap_write_lock(mm);
	mapped = map_level(mm, READ_ONCE(mm->pgd), PT_PGD, addr, addr + len, huge);
	mmap_write_unlock(mm);
	return mapped;
}

static void zap_leaf(struct mmu_gather *tlb, pgent_t *ep, uint64_t addr, int level)
{
	struct mm_struct *mm = tlb->mm;
	uint64_t size = 1ULL << pt_shift(level), base = addr & ~(size - 1);
	/* Clear first (step 1 for the page): a walker that grabbed the folio
	 * re-reads this entry after its reference, sees the change and backs
	 * out; pairs with the full barrier in folio_ref_try_add(). */
	uint64_t e = atomic_exchange_explicit(ep, 0, memory_order_seq_cst);
	struct folio *f = pfn_to_folio(&mm->run->folios, pt_pfn(e));

	atomic_fetch_sub_explicit(&mm->nr_pages, 1ULL << f->order, memory_order_relaxed);
	tlb_track_range(tlb, base, base + size);	/* a huge leaf goes whole */
	tlb_remove_page(tlb, f);
}

static void zap_level(struct mmu_gather *tlb, pgent_t *table, int level,
		      uint64_t addr, uint64_t end)
{
	for (uint64_t next; addr < end; addr = next) {
		pgent_t *ep = &table[pt_index(addr, level)];
		uint64_t e = READ_ONCE(*ep);

		next = pt_addr_end(addr, end, level);
		if (!pt_present(e))
			continue;
		if (level == PT_PTE || pt_huge(e))
			zap_leaf(tlb, ep, addr, level);
		else
			zap_level(tlb, entry_table(tlb->mm, e), level - 1, addr, next);
	}
}

static bool table_empty(const pgent_t *table)
{
	store_buffer_fence();	/* our own unhooks, read back */
	for (int i = 0; i < PTRS_PER_TABLE; i++) {
		if (!pt_none(READ_ONCE(table[i])))
			return false;
	}
	return true;
}

/* Unhook and gather every table below @table that the zap left empty. */
static void free_level(struct mmu_gather *tlb, pgent_t *table, int level,
		       uint64_t addr, uint64_t end)
{
	struct pt_arena *pt = &tlb->mm->run->pt;

	for (uint64_t next; addr < end; addr = next) {
		pgent_t *ep = &table[pt_index(addr, level)];
		uint64_t e = READ_ONCE(*ep);
		pgent_t *child;

		next = pt_addr_end(addr, end, level);
		if (!pt_present(e) || pt_huge(e))
			continue;
		child = entry_table(tlb->mm, e);
		if (level - 1 > PT_PTE)
			free_level(tlb, child, level - 1, addr, next);
		if (!table_empty(child))
			continue;
		/* Step 1, unhook: no walk that starts after this can find
		 * the child.  Walks already past this entry are mmu_gather's
		 * business. */
		pt_unhook(this_cpu(), ep);
		WRITE_ONCE(virt_to_ptdesc(pt, child)->state, PT_DETACHED);
		free_pt_tlb(tlb, child, addr & ~((1ULL << pt_shift(level)) - 1),
			    level - 1);
	}
}

void munmap_range(struct mm_struct *mm, uint64_t addr, uint64_t len)
{
	struct mmu_gather tlb;
	pgd_t *pgd;

	mmap_write_lock(mm);
	pgd = READ_ONCE(mm->pgd);
	tlb_gather_mmu(&tlb, mm);
	zap_level(&tlb, pgd, PT_PGD, addr, addr + len);
	free_level(&tlb, pgd, PT_PGD, addr, addr + len);
	tlb_finish_mmu(&tlb);
	mmap_write_unlock(mm);
}

void exit_mmap(struct mm_struct *mm)
{
	struct mmu_gather tlb;
	pgd_t *pgd;

	mmap_write_lock(mm);
	pgd = READ_ONCE(mm->pgd);
	tlb_gather_mmu_fullmm(&tlb, mm);
	zap_level(&tlb, pgd, PT_PGD, 0, TASK_SIZE);
	free_level(&tlb, pgd, PT_PGD, 0, TASK_SIZE);
	tlb_finish_mmu(&tlb);
	mmap_write_unlock(mm);
}
