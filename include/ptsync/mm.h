/* SPDX-License-Identifier: MIT */
/*
 * Memory management entry points: the instrumented page allocator
 * (mm/page_alloc.c), mapping and unmapping (mm/memory.c), and the mm's
 * life cycle (kernel/fork.c).
 */
#ifndef PTSYNC_MM_H
#define PTSYNC_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "pgtable.h"

#define ARENA_NONE	UINT32_MAX

/* Page-table pages: 4 KiB aligned, never returned to libc during a run. */
struct pt_arena {
	pgent_t *base;
	struct ptdesc *desc;
	uint32_t nr;
	bool poison;
	pthread_mutex_t lock;
	uint32_t free_head;
	uint32_t fresh;		/* entries from here on never handed out */
	_Atomic int64_t live;
	_Atomic uint64_t allocs, frees, failed;
};

struct folio_arena {
	struct folio *folios;
	uint32_t nr;
	pthread_mutex_t lock;
	uint32_t free_head;
	uint32_t fresh;		/* entries from here on never handed out */
	_Atomic int64_t live;
	_Atomic uint64_t allocs, frees, failed;
};

int pt_arena_init(struct pt_arena *a, uint32_t nr, bool poison);
void pt_arena_destroy(struct pt_arena *a);
int folio_arena_init(struct folio_arena *a, uint32_t nr);
void folio_arena_destroy(struct folio_arena *a);

pgent_t *pt_alloc(struct pt_arena *a, int level, struct mm_struct *mm);
void pt_free(struct pt_arena *a, pgent_t *table);
/* A live table reused in place: a new generation, poisoned (khugepaged). */
void pt_rewrite(struct pt_arena *a, pgent_t *table);
void pt_free_bulk(struct pt_arena *a, void *const *tables, unsigned int nr);

static inline uint64_t pt_table_pfn(const struct pt_arena *a, const pgent_t *t)
{
	return (uint64_t)(t - a->base) / PTRS_PER_TABLE;
}

static inline pgent_t *pfn_to_table(const struct pt_arena *a, uint64_t pfn)
{
	return a->base + pfn * PTRS_PER_TABLE;
}

static inline struct ptdesc *virt_to_ptdesc(const struct pt_arena *a,
					    const pgent_t *t)
{
	return &a->desc[pt_table_pfn(a, t)];
}

/* The table an entry pointer @ep lies in. */
static inline pgent_t *pt_table_of(const struct pt_arena *a, const pgent_t *ep)
{
	return pfn_to_table(a, pt_table_pfn(a, ep));
}

struct folio *folio_alloc(struct folio_arena *a, int order);
void folio_put_refs(struct folio_arena *a, struct folio *f, int refs);
static inline void folio_put(struct folio_arena *a, struct folio *f)
{
	folio_put_refs(a, f, 1);
}

/* Raise the refcount only if it is not zero (folio_try_get). */
static inline bool folio_ref_try_add(struct folio *f, int refs)
{
	int old = READ_ONCE(f->refcount);

	do {
		if (old <= 0)
			return false;
	/* Full barrier on success: the caller re-reads the pte after this,
	 * and that read must not pass the increment (pairs with the
	 * unmapper's pte clear before its folio_put()). */
	} while (!cmpxchg_weak_explicit(&f->refcount, &old,
			old + refs, memory_order_seq_cst, memory_order_relaxed));
	return true;
}

static inline uint64_t folio_pfn(const struct folio_arena *a, const struct folio *f)
{
	return (uint64_t)(f - a->folios);
}

static inline struct folio *pfn_to_folio(const struct folio_arena *a, uint64_t pfn)
{
	return &a->folios[pfn];
}

/* mm/memory.c */
long map_range(struct mm_struct *mm, uint64_t addr, uint64_t len, bool huge);
/* map_range() with mmap_lock already held for write. */
long __map_range(struct mm_struct *mm, uint64_t addr, uint64_t len, bool huge);
/* The entry of @level covering @addr: found, or allocated down to it. */
pgent_t *pt_entry_find(struct mm_struct *mm, uint64_t addr, int level);
pgent_t *pt_entry_alloc(struct mm_struct *mm, uint64_t addr, int level);
/* The PMD entry covering @addr, or NULL if no PMD table does (mm_find_pmd). */
pmd_t *mm_find_pmd(struct mm_struct *mm, uint64_t addr);
struct mmu_gather;
/* Zap every leaf in [addr, end) below the PMD table *@pud points to. */
void zap_pmd_range(struct mmu_gather *tlb, pud_t *pud, uint64_t addr, uint64_t end);

/* mm/khugepaged.c: collapse, and the deposited tables it leaves behind. */
enum scan_result {
	SCAN_SUCCEED,
	SCAN_PMD_NULL,			/* no PTE table there */
	SCAN_PMD_MAPPED,		/* already a huge PMD */
	SCAN_EXCEED_NONE_PTE,		/* not every PTE present */
	SCAN_PAGE_COUNT,		/* a page has an extra reference (a pin) */
	SCAN_ALLOC_HUGE_PAGE_FAIL,
	SCAN_ANY_PROCESS,		/* the mm exited */
	SCAN_FAIL,			/* the PMD changed before the lock */
	NR_SCAN_RESULTS
};
const char *scan_result_name(int result);
/* Collapse the 2 MiB at @addr if fully populated; @deposit: anon, under
 * mmap_lock for write, the old PTE table synced and deposited; else
 * file-backed, under mmap_lock for read, the table to pte_free_defer(). */
enum scan_result khugepaged_collapse(struct mm_struct *mm, uint64_t addr, bool deposit);
/* zap_huge_pmd(): the huge entry *@pmdp is gone, its deposit goes too. */
void zap_deposited_table(struct mm_struct *mm, pmd_t *pmdp);
void munmap_range(struct mm_struct *mm, uint64_t addr, uint64_t len);
void exit_mmap(struct mm_struct *mm);

/* kernel/fork.c */
int mm_init(struct mm_struct *mm);
bool mmget_not_zero(struct mm_struct *mm);
void mmput(struct mm_struct *mm);
void mm_exit_owner(struct mm_struct *mm);
bool mm_recreate(struct mm_struct *mm);
/* Sleep on @sem (down_read or down_write) as in an RCU quiescent state. */
void down_sleepable(struct rw_semaphore *sem, void (*down)(struct rw_semaphore *),
		    const char *what);
void mmap_init_lock(struct mm_struct *mm);
void mmap_destroy_lock(struct mm_struct *mm);
void mmap_write_lock(struct mm_struct *mm);
void mmap_write_unlock(struct mm_struct *mm);
void mmap_write_downgrade(struct mm_struct *mm);
void mmap_read_lock(struct mm_struct *mm);
void mmap_read_unlock(struct mm_struct *mm);
void switch_mm(struct cpu *c, struct mm_struct *next);

#endif /* PTSYNC_MM_H */
