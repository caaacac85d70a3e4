/* SPDX-License-Identifier: MIT */
/*
 * The objects page-table freeing is about: table pages and their ptdescs,
 * user folios, and the mm that owns a tree of tables.
 *
 * Page-table pages come from an arena that is never handed back to libc
 * while a run lasts, so a walker that follows a stale pointer reads poison
 * instead of crashing: the checker turns that read into a reported
 * violation.  Each page has a ptdesc beside it (not inside it: the page is
 * 512 entries, as on x86-64) carrying state, level, owner, and a generation
 * that every free bumps, so a walker can tell at the end of its walk whether
 * any table it passed through was freed under it.
 *
 * Folios (user memory) are small structs with a refcount that GUP-fast may
 * only raise from non-zero, and a payload that names the mapping they were
 * created for and is poisoned when they are freed.
 */
#ifndef PTSYNC_MM_TYPES_H
#define PTSYNC_MM_TYPES_H

#include <pthread.h>
#include <stdint.h>

#include "cpu.h"
#include "rcupdate.h"
#include "rwsem.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PTRS_PER_TABLE	512

/* One entry of a table at any level; snapshots are plain uint64_t. */
typedef _Atomic uint64_t pgent_t;
typedef pgent_t pgd_t;
typedef pgent_t pud_t;
typedef pgent_t pmd_t;
typedef pgent_t pte_t;

enum pt_level {
	PT_PTE = 0,
	PT_PMD = 1,
	PT_PUD = 2,
	PT_PGD = 3,
	PT_LEVELS = 4,
};

enum pt_state {
	PT_FREE = 0,		/* in the arena's free list, poisoned */
	PT_LIVE,		/* hooked into an mm's tree */
	PT_DETACHED,		/* unhooked, waiting for its sync or grace period */
	PT_DEPOSITED,		/* khugepaged's: kept by the mm for a huge PMD */
};

struct mm_struct;
struct hugetlb_file;

struct ptdesc {
	_Atomic int state;			/* enum pt_state */
	_Atomic int level;			/* enum pt_level */
	_Atomic(struct mm_struct *) mm;		/* owner while not free */
	_Atomic uint64_t gen;			/* bumped by every free or reuse */
	_Atomic int site;			/* callsite.h: who last freed or
						 * reused it, for violation reports */
	struct rcu_head pt_rcu_head;		/* per-table RCU (PT_RECLAIM) */
	uint64_t rcu_queued_ns;			/* when it went to call_rcu() */
	uint32_t next_free;
	/*
	 * khugepaged (mm/khugepaged.c): on a PMD table, the PTE tables
	 * deposited for its huge entries (a pfn, or ARENA_NONE); on a
	 * deposited table, the next one.  Under the owner's mmap_lock held
	 * for write, as the kernel keeps them under the PMD lock.
	 */
	uint32_t pmd_huge_pte, deposit_next;
	/*
	 * hugetlb PMD sharing (mm/hugetlb.c): the file a PMD table maps, or
	 * NULL for any other table; how many mms besides one share it
	 * (ptdesc_pmd_pts_count(): 0 is exclusive); whether it ever was
	 * shared, so its free or reuse is charged to unshare.
	 */
	_Atomic(struct hugetlb_file *) pt_hugetlb;
	_Atomic int pt_share_count;
	_Atomic bool pt_was_shared;
};

enum folio_state {
	FOLIO_FREE = 0,
	FOLIO_LIVE,
};

#define FOLIO_POISON	0x6b6b6b6b6b6b6b6bULL

struct folio {
	_Atomic int refcount;
	_Atomic int state;			/* enum folio_state */
	int order;				/* 0, or 9 for a PMD leaf */
	uint32_t next_free;
	_Atomic(struct mm_struct *) mm;		/* mapping it was created for */
	_Atomic(struct hugetlb_file *) file;	/* or the file it caches */
	_Atomic uint64_t addr;
	_Atomic uint64_t payload;		/* folio_payload() or poison */
};

#define FREEING_PGTABLES_RETRACT	2

struct mm_struct {
	int id;
	struct ptsync_run *run;
	_Atomic(pgd_t *) pgd;
	_Atomic int mm_users;			/* tasks using it; 0 = dead */
	_Atomic int owned;			/* the owning task's reference is held */
	_Atomic uint32_t incarnation;		/* bumped by each mm_init() */
	struct rw_semaphore mmap_lock;		/* kernel/fork.c: mmap_*_lock() */
	/* 1: free_pgtables() running (a check); FREEING_PGTABLES_RETRACT:
	 * khugepaged retracting a table (mm/khugepaged.c) */
	_Atomic int freeing_pgtables;
	struct cpumask cpumask;			/* mm_cpumask(): CPUs running it */
	_Atomic uint64_t nr_ptes, nr_pages;	/* for reports */
	/*
	 * mm/hugetlb.c: the shared hugetlb file every incarnation maps at
	 * mm_init() (NULL: none); the one mapped now, set and cleared
	 * under its i_mmap_rwsem and this mm's mmap_lock for write, so
	 * stable for anyone holding either, and for walkers, which hold a
	 * user reference; and the link in the file's list of mappers.
	 */
	struct hugetlb_file *hugetlb_mapping;
	struct hugetlb_file *hugetlb;
	struct mm_struct *i_mmap_next;
};

static inline struct cpumask *mm_cpumask(struct mm_struct *mm)
{
	return &mm->cpumask;
}

/* What a live folio mapped at @addr of @mm holds; poison otherwise. */
static inline uint64_t folio_payload(const struct mm_struct *mm, uint32_t inc,
				     uint64_t addr)
{
	return (addr ^ ((uint64_t)mm->id << 56) ^ ((uint64_t)inc << 40)) |
	       1ULL;
}

#endif /* PTSYNC_MM_TYPES_H */
