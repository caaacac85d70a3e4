// SPDX-License-Identifier: MIT
/*
 * hugetlb PMD table sharing and unsharing: the third caller of
 * tlb_remove_table_sync_one() upstream (include/ptsync/hugetlb.h has the
 * objects and the locks).
 *
 * Why an unshare must sync, although it frees nothing: an mm unsharing a
 * PMD table clears its own PUD entry and drops the table's share count;
 * the table lives on in the other mms.  But once the count says one mm
 * holds it alone, that mm may zap it and map something else below it,
 * reusing it outside hugetlb, as soon as the unsharer drops i_mmap_rwsem.
 * A GUP-fast walker of the unsharing mm that read the PUD entry before it
 * was cleared is still inside the table, and would follow the new
 * entries into the other mm's memory.  So before dropping the lock the
 * unsharer waits for such walkers: tlb_sync_callsite(CALLSITE_UNSHARE).
 * And the mm left holding the table frees it, when it unmaps it, through
 * the normal path (tlb_remove_table()), like any table of its own.
 *
 * When, by --unshare-sync:
 *  per-unshare  the sync right after each pud_clear(), before the count
 *               drops (upstream from 2022 until Dec 2025): one per table,
 *               so an exit that unshares 1,000 tables broadcasts 1,000
 *               times;
 *  per-gather   the unshare records itself in the mmu_gather
 *               (unshared_tables, and fully_unshared_tables when the table
 *               is left exclusive), and tlb_flush_unshared_tables() flushes
 *               and syncs once, before i_mmap_rwsem is dropped, and only
 *               if a table was left exclusive (David Hildenbrand's change,
 *               Dec 2025, Cc stable).  A broadcast there also reaches the
 *               walkers of mms that unshared the table earlier without a
 *               sync of their own; a sync of this mm's walkers only
 *               (sync_mm_only: targeted) does not, so for such a strategy
 *               every gather that unshared anything syncs.
 * Either way a gather never ends with an unshare not yet synced:
 * tlb_finish_mmu() checks it.
 *
 * What the checker sees: a walker may walk a shared table from any mm
 * mapping its file (hugetlb_table_walkable()).  The reuse is modelled as
 * it happens: the mm left holding the table zaps its huge pages, marks it
 * an ordinary table of its own, and maps ordinary pages below it
 * (hugetlb_reuse_slot()).  A walker of the unsharing mm still inside then
 * reaches a PTE table of another mm (V_WRONG_TABLE), charged to unshare;
 * so is a walker caught in a formerly shared table the last sharer frees.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ptsync/hugetlb.h"
#include "ptsync/names.h"
#include "ptsync/run.h"
#include "ptsync/store_buffer.h"
#include "ptsync/tlb.h"

static const char *const unshare_sync_names[NR_UNSHARE_SYNC_MODES] = {
	[UNSHARE_SYNC_PER_GATHER] = "per-gather",
	[UNSHARE_SYNC_PER_UNSHARE] = "per-unshare",
};

DEFINE_ENUM_LOOKUPS(unshare_sync_name, unshare_sync_find, unshare_sync_names,
		    NR_UNSHARE_SYNC_MODES, "?")

static void i_mmap_lock_write(struct hugetlb_file *f)
{
	if (!down_write_trylock(&f->i_mmap_rwsem))
		down_sleepable(&f->i_mmap_rwsem, down_write, "i_mmap_lock_write()");
}

static void i_mmap_unlock_write(struct hugetlb_file *f)
{
	up_write(&f->i_mmap_rwsem);
}

static void i_mmap_lock_read(struct hugetlb_file *f)
{
	if (!down_read_trylock(&f->i_mmap_rwsem))
		down_sleepable(&f->i_mmap_rwsem, down_read, "i_mmap_lock_read()");
}

static void i_mmap_unlock_read(struct hugetlb_file *f)
{
	up_read(&f->i_mmap_rwsem);
}

static struct folio **hugetlb_cache(struct hugetlb_file *f, unsigned int slot, unsigned int i)
{
	return &f->folios[(size_t)slot * f->leaves + i];
}

/* The page cache: one huge folio per populated 2 MiB, held by the file. */
int hugetlb_file_init(struct hugetlb_file *f, struct ptsync_run *run,
		      unsigned int nr_slots, unsigned int leaves)
{
	memset(f, 0, sizeof(*f));
	f->run = run;
	init_rwsem(&f->i_mmap_rwsem);
	f->base = HUGETLB_BASE;
	f->nr_slots = nr_slots;
	f->leaves = leaves;
	f->folios = calloc((size_t)nr_slots * leaves, sizeof(*f->folios));
	if (!f->folios)
		return -ENOMEM;
	for (unsigned int s = 0; s < nr_slots; s++) {
		for (unsigned int i = 0; i < leaves; i++) {
			struct folio *folio = folio_alloc(&run->folios, HPAGE_PMD_ORDER);
			uint64_t addr = hugetlb_slot_addr(f, s) + (uint64_t)i * PMD_SIZE;

			if (!folio)
				return -ENOMEM;
			WRITE_ONCE(folio->file, f);
			WRITE_ONCE(folio->addr, addr);
			WRITE_ONCE(folio->payload, hugetlb_payload(f, addr));
			*hugetlb_cache(f, s, i) = folio;
		}
	}
	return 0;
}

void hugetlb_file_release(struct hugetlb_file *f)
{
	if (f->i_mmap)
		ptsync_die("BUG: hugetlb file released while mm %d maps it", f->i_mmap->id);
	for (size_t i = 0; f->folios && i < (size_t)f->nr_slots * f->leaves; i++) {
		if (f->folios[i])
			folio_put(&f->run->folios, f->folios[i]);
		f->folios[i] = NULL;
	}
}

void hugetlb_file_destroy(struct hugetlb_file *f)
{
	free(f->folios);
	rwsem_destroy(&f->i_mmap_rwsem);
	memset(f, 0, sizeof(*f));
}

static pgent_t *pud_pmd_table(struct mm_struct *mm, uint64_t pud)
{
	return pfn_to_table(&mm->run->pt, pt_pfn(pud));
}

/*
 * The hugetlb PMD table @mm's PUD entry for @addr points to, if it is one
 * of @f's; *@pudp is set to the entry either way (NULL: no PUD table).
 */
static pgent_t *hugetlb_table_at(struct mm_struct *mm, struct hugetlb_file *f,
				 uint64_t addr, pud_t **pudp)
{
	uint64_t e;
	pgent_t *table;

	*pudp = pt_entry_find(mm, addr, PT_PUD);
	if (!*pudp)
		return NULL;
	e = READ_ONCE(**pudp);
	if (!pt_present(e) || pt_huge(e))
		return NULL;
	table = pud_pmd_table(mm, e);
	return READ_ONCE(virt_to_ptdesc(&mm->run->pt, table)->pt_hugetlb) == f ? table : NULL;
}

/* A fresh PMD table for @slot, its huge pages mapped from the page cache. */
static pgent_t *hugetlb_table_alloc(struct mm_struct *mm, struct hugetlb_file *f,
				    unsigned int slot)
{
	pgent_t *pmd = pt_alloc(&mm->run->pt, PT_PMD, mm);

	if (!pmd)
		return NULL;
	WRITE_ONCE(virt_to_ptdesc(&mm->run->pt, pmd)->pt_hugetlb, f);
	for (unsigned int i = 0; i < f->leaves; i++) {
		struct folio *folio = *hugetlb_cache(f, slot, i);

		folio_ref_try_add(folio, 1);	/* the cache holds one: never zero */
		WRITE_ONCE(pmd[i], mk_leaf_entry(folio_pfn(&mm->run->folios, folio), true));
	}
	atomic_inc_relaxed(f->stats.tables_allocated);
	return pmd;
}

/*
 * huge_pmd_share(): the PMD table another mapper of the file has for
 * @slot, its share count raised; NULL if none has one.  Under
 * i_mmap_rwsem for read: the list is stable, and no unshare, zap or reuse
 * of a table (all under the lock for write) runs; the other mm's PUD
 * tables over the file stay while it maps it (free_pud_range()).
 */
static pgent_t *huge_pmd_share(struct mm_struct *mm, struct hugetlb_file *f,
			       unsigned int slot)
{
	uint64_t addr = hugetlb_slot_addr(f, slot);

	for (struct mm_struct *svma = f->i_mmap; svma; svma = svma->i_mmap_next) {
		struct ptdesc *pd;
		pgent_t *table;
		pud_t *spud;

		if (svma == mm || !(table = hugetlb_table_at(svma, f, addr, &spud)))
			continue;
		pd = virt_to_ptdesc(&mm->run->pt, table);
		/* ptdesc_pmd_pts_inc().  Relaxed: every reader of the count
		 * holds i_mmap_rwsem for write, which orders it. */
		fetch_add_explicit(&pd->pt_share_count, 1, memory_order_relaxed);
		WRITE_ONCE(pd->pt_was_shared, true);
		atomic_inc_relaxed(f->stats.shares);
		return table;
	}
	return NULL;
}

int hugetlb_fault_slot(struct mm_struct *mm, unsigned int slot)
{
	struct hugetlb_file *f = mm->hugetlb;
	pud_t *pudp = pt_entry_alloc(mm, hugetlb_slot_addr(f, slot), PT_PUD);
	pgent_t *table;

	if (!pudp) {
		atomic_inc_relaxed(f->stats.map_failures);
		return -ENOMEM;
	}
	if (pt_present(READ_ONCE(*pudp)))
		return 0;		/* mapped, shared, or reused already */
	i_mmap_lock_read(f);
	table = huge_pmd_share(mm, f, slot);
	if (!table)
		table = hugetlb_table_alloc(mm, f, slot);
	/* pud_populate(): the table's entries (a shared one's are older
	 * still) before the entry that leads to it; pairs with the walker's
	 * address-dependent READ_ONCE of the table. */
	if (table)
		smp_store_release(pudp, mk_table_entry(pt_table_pfn(&mm->run->pt, table)));
	i_mmap_unlock_read(f);
	if (!table)
		atomic_inc_relaxed(f->stats.map_failures);
	return table ? 0 : -ENOMEM;
}

void hugetlb_mmap(struct mm_struct *mm, struct hugetlb_file *f)
{
	i_mmap_lock_write(f);
	mm->hugetlb = f;
	mm->i_mmap_next = f->i_mmap;
	f->i_mmap = mm;
	i_mmap_unlock_write(f);
	for (unsigned int s = 0; s < f->nr_slots; s++)
		hugetlb_fault_slot(mm, s);
}

/* unlink_file_vma(): under i_mmap_rwsem for write. */
static void hugetlb_unlink(struct mm_struct *mm, struct hugetlb_file *f)
{
	for (struct mm_struct **pp = &f->i_mmap; *pp; pp = &(*pp)->i_mmap_next) {
		if (*pp == mm) {
			*pp = mm->i_mmap_next;
			break;
		}
	}
	mm->i_mmap_next = NULL;
	mm->hugetlb = NULL;
}

/*
 * The ptdesc names an owner (for the checker and PT_RECLAIM's callback):
 * when that owner unshares, the record goes to a mapper that keeps the
 * table.  Under i_mmap_rwsem for write.
 */
static void hugetlb_table_handover(struct mm_struct *mm, struct hugetlb_file *f,
				   uint64_t addr, pgent_t *table)
{
	struct ptdesc *pd = virt_to_ptdesc(&mm->run->pt, table);
	pud_t *spud;

	if (READ_ONCE(pd->mm) != mm)
		return;
	for (struct mm_struct *svma = f->i_mmap; svma; svma = svma->i_mmap_next) {
		if (svma != mm && hugetlb_table_at(svma, f, addr, &spud) == table) {
			WRITE_ONCE(pd->mm, svma);
			return;
		}
	}
	ptsync_die("BUG: mm %d unshares a table no other mm maps", mm->id);
}

/*
 * huge_pmd_unshare(): if @table is shared, clear this mm's PUD entry and
 * drop the share count; false if this mm holds it alone.  Under
 * i_mmap_rwsem and mmap_lock, both for write.
 */
static bool huge_pmd_unshare(struct mmu_gather *tlb, pud_t *pudp, pgent_t *table,
			     uint64_t addr)
{
	struct mm_struct *mm = tlb->mm;
	struct ptsync_run *run = mm->run;
	struct ptdesc *pd = virt_to_ptdesc(&run->pt, table);
	bool per_gather = run->cfg.unshare_sync == UNSHARE_SYNC_PER_GATHER;
	struct cpu *c = this_cpu();

	if (READ_ONCE(pd->pt_share_count) == 0)
		return false;
	pt_unhook(c, pudp);		/* pud_clear(): --sb-window buffers it */
	tlb_track_range(tlb, addr, addr + PUD_SIZE);
	tlb->freed_tables = true;	/* the table left this mm's tree */
	tlb->unshared_tables = true;
	tlb->flush_ipi_broadcast = false;	/* no flush since this unhook */
	this_cpu_inc(c->stats.site_events[CALLSITE_UNSHARE]);
	atomic_inc_relaxed(mm->hugetlb->stats.unshares);
	hugetlb_table_handover(mm, mm->hugetlb, addr, table);
	if (!per_gather)
		tlb_sync_callsite(tlb, CALLSITE_UNSHARE);
	/* ptdesc_pmd_pts_dec(), a locked RMW: on x86 it drains the store
	 * buffer, so the pud_clear() is visible before it (the emulated
	 * one too).  i_mmap_rwsem orders it against every other reader. */
	store_buffer_fence();
	if (fetch_sub_explicit(&pd->pt_share_count, 1, memory_order_seq_cst) == 1) {
		atomic_inc_relaxed(mm->hugetlb->stats.full_unshares);
		tlb->fully_unshared_tables |= per_gather;
	}
	tlb->unshared_unsynced |= per_gather;
	return true;
}

void tlb_flush_unshared_tables(struct mmu_gather *tlb)
{
	const struct pt_sync_ops *ops = tlb->run->ops;

	/* Even if no table was left exclusive, this mm's TLB goes now. */
	if (tlb->unshared_tables)
		tlb_flush_mmu_tlbonly(tlb);
	if (tlb->fully_unshared_tables || (ops->sync_mm_only && tlb->unshared_unsynced))
		tlb_sync_callsite(tlb, CALLSITE_UNSHARE);
	tlb->fully_unshared_tables = false;
	tlb->unshared_unsynced = false;
}

/*
 * A table this mm holds alone: zap its huge pages, unhook it, and free it
 * through mmu_gather like any table (the last sharer's free).
 */
static void hugetlb_free_table(struct mmu_gather *tlb, pud_t *pudp, pgent_t *table,
			       uint64_t addr)
{
	struct mm_struct *mm = tlb->mm;

	zap_pmd_range(tlb, pudp, addr, addr + PUD_SIZE);
	pt_unhook(this_cpu(), pudp);
	WRITE_ONCE(virt_to_ptdesc(&mm->run->pt, table)->state, PT_DETACHED);
	atomic_inc_relaxed(mm->hugetlb->stats.tables_freed);
	pmd_free_tlb(tlb, table, addr);
}

/* The slots [first, last] of the file that [start, end) touches. */
static bool hugetlb_slots(const struct hugetlb_file *f, uint64_t start, uint64_t end,
			  unsigned int *first, unsigned int *last)
{
	uint64_t lo = start > f->base ? start : f->base;
	uint64_t hi = end < hugetlb_end(f) ? end : hugetlb_end(f);

	if (lo >= hi)
		return false;
	*first = (unsigned int)((lo - f->base) / PUD_SIZE);
	*last = (unsigned int)((hi - 1 - f->base) / PUD_SIZE);
	return true;
}

void __unmap_hugepage_range(struct mmu_gather *tlb, uint64_t start, uint64_t end,
			    bool unlink)
{
	struct mm_struct *mm = tlb->mm;
	struct hugetlb_file *f = mm->hugetlb;
	unsigned int first, last;

	if (!f || !hugetlb_slots(f, start, end, &first, &last))
		return;
	i_mmap_lock_write(f);
	for (unsigned int s = first; s <= last; s++) {
		uint64_t addr = hugetlb_slot_addr(f, s);
		pud_t *pudp;
		pgent_t *table = hugetlb_table_at(mm, f, addr, &pudp);

		if (table && !huge_pmd_unshare(tlb, pudp, table, addr))
			hugetlb_free_table(tlb, pudp, table, addr);
	}
	tlb_flush_unshared_tables(tlb);
	if (unlink)
		hugetlb_unlink(mm, f);
	/* The emulated store buffer (--sb-window) holds our last pud_clear()
	 * until a fence; on x86 the unlock's store cannot pass it, so the
	 * next holder of i_mmap_rwsem sees it cleared, and so does the zap
	 * after us that reads it back.  Drain before the unlock. */
	store_buffer_fence();
	i_mmap_unlock_write(f);
}

/* Charge what goes wrong in @table to unshare. */
static void hugetlb_stamp(struct ptsync_run *run, pgent_t *table)
{
	/* For violation reports only: nothing is ordered by it. */
	WRITE_ONCE(virt_to_ptdesc(&run->pt, table)->site, CALLSITE_UNSHARE);
}

bool hugetlb_reuse_slot(struct mm_struct *mm, uint64_t addr, uint64_t len)
{
	struct hugetlb_file *f = mm->hugetlb;
	uint64_t slot_addr;
	struct mmu_gather tlb;
	struct ptdesc *pd;
	pgent_t *table;
	bool was_shared;
	pud_t *pudp;
	pmd_t *pmdp;

	if (!f || addr < f->base || addr + len > hugetlb_end(f))
		return false;
	slot_addr = addr & ~(PUD_SIZE - 1);
	if (slot_addr != ((addr + len - 1) & ~(PUD_SIZE - 1)))
		return false;
	i_mmap_lock_write(f);
	table = hugetlb_table_at(mm, f, slot_addr, &pudp);
	pd = table ? virt_to_ptdesc(&mm->run->pt, table) : NULL;
	if (!pd || READ_ONCE(pd->pt_share_count) != 0) {
		i_mmap_unlock_write(f);
		return false;
	}
	/* No longer the file's: nobody can share it from here on. */
	was_shared = READ_ONCE(pd->pt_was_shared);
	tlb_gather_mmu(&tlb, mm);
	zap_pmd_range(&tlb, pudp, slot_addr, slot_addr + PUD_SIZE);
	WRITE_ONCE(pd->pt_hugetlb, NULL);
	WRITE_ONCE(pd->mm, mm);
	if (was_shared)
		hugetlb_stamp(mm->run, table);
	tlb_finish_mmu(&tlb);
	if (was_shared)
		atomic_inc_relaxed(f->stats.reuses);
	i_mmap_unlock_write(f);
	__map_range(mm, addr, len, false);
	pmdp = mm_find_pmd(mm, addr);
	if (was_shared && pmdp && pt_present(READ_ONCE(*pmdp)) && !pt_huge(READ_ONCE(*pmdp)))
		hugetlb_stamp(mm->run, pud_pmd_table(mm, READ_ONCE(*pmdp)));
	return true;
}

bool hugetlb_slot_shared(struct mm_struct *mm, unsigned int slot)
{
	struct hugetlb_file *f = mm->hugetlb;
	pgent_t *table;
	pud_t *pudp;

	if (!f || slot >= f->nr_slots)
		return false;
	table = hugetlb_table_at(mm, f, hugetlb_slot_addr(f, slot), &pudp);
	return table && READ_ONCE(virt_to_ptdesc(&mm->run->pt, table)->pt_share_count) > 0;
}
