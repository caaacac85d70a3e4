/* SPDX-License-Identifier: MIT */
/*
 * hugetlb PMD table sharing: mms that map the same hugetlb file range, each
 * a whole PUD_SIZE piece of it at the same offset, point their PUD entries
 * at one PMD table (huge_pmd_share()), counted in its ptdesc.  The third
 * caller of tlb_remove_table_sync_one() upstream is the unsharing of such
 * a table (huge_pmd_unshare()); mm/hugetlb.c says why it must sync.
 *
 * The file here is the hugetlbfs inode as far as page tables care: its
 * page cache (huge folios, created with it and held by it), the list of
 * mms mapping it (i_mmap), and the lock over that list and every share
 * and unshare (i_mmap_rwsem).  Every mm maps the whole file at the same
 * address, hugetlb_file.base, one PMD table per PUD_SIZE piece ("slot"),
 * with the first `leaves` huge pages of each slot populated.
 *
 * Locking, as upstream: sharing holds i_mmap_rwsem for read, unsharing,
 * and zapping or reusing a table that is no longer shared, for write; and
 * the mm's own mmap_lock for write around either (the kernel's faults and
 * unmaps hold less of it; here every page-table change in an mm holds it
 * for write).  mmap_lock nests outside i_mmap_rwsem.
 */
#ifndef PTSYNC_HUGETLB_H
#define PTSYNC_HUGETLB_H

#include "mm.h"
#include "rwsem.h"

#define HUGETLB_BASE		(1ULL << 45)	/* PGD slot 64: clear of torture's regions */
#define HUGETLB_LEAVES		8		/* huge pages populated per slot */
#define HUGETLB_MAX_SLOTS	4096		/* 4 TiB of address space */

/* How often an unshare syncs (--unshare-sync). */
enum unshare_sync {
	UNSHARE_SYNC_PER_GATHER,	/* since Dec 2025: once per mmu_gather */
	UNSHARE_SYNC_PER_UNSHARE,	/* before: once per huge_pmd_unshare() */
	NR_UNSHARE_SYNC_MODES
};

const char *unshare_sync_name(int mode);	/* "per-gather", "per-unshare" */
int unshare_sync_find(const char *name);	/* -1 if unknown */

struct hugetlb_stats {
	_Atomic uint64_t shares, unshares, full_unshares;
	_Atomic uint64_t tables_allocated, tables_freed;	/* freed by the last sharer */
	_Atomic uint64_t reuses;		/* a formerly shared table made ordinary */
	_Atomic uint64_t map_failures;
};

struct hugetlb_file {
	struct ptsync_run *run;
	struct rw_semaphore i_mmap_rwsem;
	uint64_t base;
	unsigned int nr_slots, leaves;
	struct folio **folios;		/* page cache: [nr_slots * leaves] */
	struct mm_struct *i_mmap;	/* mms mapping it, under i_mmap_rwsem */
	struct hugetlb_stats stats;
};

static inline uint64_t hugetlb_end(const struct hugetlb_file *f)
{
	return f->base + (uint64_t)f->nr_slots * PUD_SIZE;
}

static inline uint64_t hugetlb_slot_addr(const struct hugetlb_file *f, unsigned int slot)
{
	return f->base + (uint64_t)slot * PUD_SIZE;
}

/* What a live page-cache folio of the file at @addr holds. */
static inline uint64_t hugetlb_payload(const struct hugetlb_file *f, uint64_t addr)
{
	return (addr ^ ((uint64_t)(uintptr_t)f << 8) ^ 0x4854000000000000ULL) | 1ULL;
}

/* Does [start, end) of @mm overlap the hugetlb file it maps now? */
static inline bool hugetlb_overlaps(const struct mm_struct *mm, uint64_t start, uint64_t end)
{
	const struct hugetlb_file *f = mm->hugetlb;

	return f && start < hugetlb_end(f) && end > f->base;
}

/*
 * May a walker of @mm be in @pd, a PMD table it does not own?  Yes if the
 * table maps the hugetlb file @mm maps: it is, or was until an unshare
 * the walker predates, shared with @mm.  gup_table() asks.
 */
static inline bool hugetlb_table_walkable(const struct ptdesc *pd, const struct mm_struct *mm)
{
	struct hugetlb_file *f = READ_ONCE(pd->pt_hugetlb);

	return f && f == mm->hugetlb;
}

int hugetlb_file_init(struct hugetlb_file *f, struct ptsync_run *run,
		      unsigned int nr_slots, unsigned int leaves);
/* Drop the page cache; every mm must have unmapped the file. */
void hugetlb_file_release(struct hugetlb_file *f);
void hugetlb_file_destroy(struct hugetlb_file *f);

/* mm_init(): map the file into @mm and fault every slot (share or new). */
void hugetlb_mmap(struct mm_struct *mm, struct hugetlb_file *f);
/* A fault on @slot of @mm, mmap_lock held for write: share or populate. */
int hugetlb_fault_slot(struct mm_struct *mm, unsigned int slot);
/*
 * unmap_page_range() on the hugetlb part of [start, end): each slot
 * touched is unshared, or, if @mm holds it alone, zapped and its table
 * freed through tlb_remove_table(); then tlb_flush_unshared_tables().
 * With @unlink (exit_mmap) the mm stops mapping the file.
 */
void __unmap_hugepage_range(struct mmu_gather *tlb, uint64_t start, uint64_t end,
			    bool unlink);
/*
 * The mm left holding a formerly shared table reuses it outside hugetlb:
 * its huge pages go, and ordinary pages are mapped at [addr, addr + len)
 * through a PTE table of its own.  Only if @mm holds it alone; returns
 * whether it did.  mmap_lock held for write.
 */
bool hugetlb_reuse_slot(struct mm_struct *mm, uint64_t addr, uint64_t len);
/* Whether @mm's PMD table for @slot is a shared hugetlb table. */
bool hugetlb_slot_shared(struct mm_struct *mm, unsigned int slot);

/* End of a hugetlb unmap: flush, and sync as --unshare-sync says. */
void tlb_flush_unshared_tables(struct mmu_gather *tlb);

#endif /* PTSYNC_HUGETLB_H */
