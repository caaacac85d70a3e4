/* SPDX-License-Identifier: MIT */
/*
 * mmu_gather: tearing down page tables without pulling them out from under
 * a lockless walker.
 *
 * The rule everything here serves: a page-table page is freed in three
 * steps, never fewer and never in another order:
 *
 *   1. unhook it   - clear the parent entry, so no *new* walk can reach it;
 *   2. invalidate  - flush TLBs and paging-structure caches
 *                    (tlb_table_invalidate), so no CPU keeps a cached copy;
 *   3. free it     - but only once no walker that found it before step 1
 *                    can still be reading it.
 *
 * Step 3's "only once" is the whole subject of ptsync.  GUP-fast walks with
 * IRQs disabled and takes no lock, so the freer must wait until every
 * IRQs-off section that might have seen the table has ended.  Tables are
 * gathered into a one-page batch and freed from an RCU callback (an
 * IRQs-off section is an RCU read-side critical section).  The batch page is
 * allocated with GFP_NOWAIT and may not be had; then the table is synced
 * and freed on its own, by the strategy chosen at run time (strategy.h):
 * the IPI broadcast of old, synchronize_rcu() in the seed, or something
 * newer.
 *
 * API:
 *   tlb_gather_mmu(tlb, mm)          start a teardown of part of mm
 *   tlb_gather_mmu_fullmm(tlb, mm)   start exit_mmap()'s teardown
 *   tlb_remove_page(tlb, folio)      queue a user page, free after the flush
 *   pte_free_tlb/pmd_free_tlb/pud_free_tlb(tlb, table, addr)
 *                                    queue an unhooked table
 *   tlb_remove_table(tlb, table)     the same, for any level
 *   tlb_flush_mmu(tlb)               flush TLB, free what is gathered
 *   tlb_finish_mmu(tlb)              flush, free tables, free pages: done
 *   tlb_remove_table_sync_one()      wait for IRQs-off walkers: IPI all
 *   tlb_remove_table_sync_rcu()      wait for IRQs-off walkers: a GP
 *   pte_free_defer(mm, pte)          a retracted PTE table to call_rcu()
 */
#ifndef PTSYNC_TLB_H
#define PTSYNC_TLB_H

#include <stdbool.h>

#include "mm.h"

struct ptsync_run;

/*
 * One page of table pointers, freed by one RCU callback.  The header is
 * liburcu's rcu_head (16 bytes) and a count, so the array holds
 * (4096 - 24) / 8 = 509 tables, as in the kernel on 64-bit.  The four
 * bytes of padding after the count say how to find the pool the page came
 * from (and through it the run), since an RCU callback gets nothing but
 * the rcu_head: the pool is one naturally aligned block of 2^pool_shift
 * bytes whose first page holds the run pointer.
 */
struct mmu_table_batch {
	struct rcu_head rcu;
	unsigned int nr;
	unsigned int pool_shift;
	void *tables[];
};

#define MAX_TABLE_BATCH \
	((PAGE_SIZE - sizeof(struct mmu_table_batch)) / sizeof(void *))

_Static_assert(MAX_TABLE_BATCH == 509, "one page of table pointers");

/*
 * User pages wait for the TLB flush in page batches: a few slots in the
 * gather itself (MMU_GATHER_BUNDLE), then whole pages of pointers chained
 * behind it, each taken with GFP_NOWAIT, at most MAX_GATHER_BATCH_COUNT of
 * them (upstream's bound on the pages one flush may free: about 10,000).
 * Only when the chain is full, or a page cannot be had, does the gather
 * flush early.  The header is a next pointer and two counts, so a page
 * holds (4096 - 16) / 8 = 510, as in the kernel on 64-bit.
 */
struct mmu_gather_batch {
	struct mmu_gather_batch *next;
	unsigned int nr, max;
	struct folio *pages[];
};

#define MAX_GATHER_BATCH \
	((PAGE_SIZE - sizeof(struct mmu_gather_batch)) / sizeof(void *))
#define MAX_GATHER_BATCH_COUNT	(10000UL / MAX_GATHER_BATCH)
#define MMU_GATHER_BUNDLE	8

_Static_assert(MAX_GATHER_BATCH == 510, "one page of page pointers");
_Static_assert(MAX_GATHER_BATCH_COUNT == 19, "about 10,000 pages per flush");

struct mmu_gather {
	struct mm_struct *mm;
	struct ptsync_run *run;
	struct mmu_table_batch *batch;
	uint64_t start, end;		/* range to invalidate */
	bool fullmm;
	bool freed_tables;		/* a table was unhooked: flush walks too */
	bool flush_ipi_broadcast;	/* the last flush IPI'd, and waited for,
					 * every CPU that can walk mm */
	/*
	 * hugetlb (mm/hugetlb.c): a table was unshared since the last
	 * flush; one was left exclusive to another mm and not yet synced
	 * (upstream's two flags); and for a strategy that syncs only this
	 * mm's walkers (sync_mm_only), one was unshared and not yet synced.
	 * A gather never ends with either of the last two set.
	 */
	bool unshared_tables, fully_unshared_tables, unshared_unsynced;
	/*
	 * Entries were cleared since the last flush (upstream's cleared_ptes,
	 * _pmds, _puds: anything that widened the range).  With freed_tables
	 * and unshared_tables it decides whether tlb_flush_mmu_tlbonly() has
	 * anything to flush.
	 */
	bool cleared_entries;
	/* Pages: the slots in the gather, then the chained batch pages. */
	unsigned int nr_local;
	unsigned int batch_count;		/* batch pages chained */
	struct mmu_gather_batch *batch_head, *active;
	struct folio *local[MMU_GATHER_BUNDLE];
	/* Table batches reserved at tlb_gather_mmu() (batch_pool.may_wait). */
	unsigned int batches_reserved;
};

/*
 * The GFP_NOWAIT page allocator for batches: a bounded pool (--batch-pool)
 * with injected failure (--batch-fail).  Either reason reaches the fallback.
 */
struct batch_pool {
	void *mem;			/* page 0: run pointer; then batches */
	unsigned int shift;		/* mem is 2^shift bytes, so aligned */
	unsigned int nr;
	double fail_p;
	/*
	 * The fallback call site is not driven, so an empty pool must not
	 * send a table there; but GFP_NOWAIT never sleeps, and neither does
	 * tlb_batch_alloc_nowait().  The back-pressure sits before the
	 * gather instead: tlb_gather_mmu() waits, with nothing unhooked and
	 * outside every sync's timing, until TLB_BATCH_RESERVE batches are
	 * free, and reserves them for this gather (tlb_batch_reserve()).
	 */
	bool may_wait;
	pthread_mutex_t lock;
	struct mmu_table_batch **free;
	unsigned int nr_free;
	unsigned int nr_reserved;		/* held for gathers, under lock */
	_Atomic uint64_t reserve_waits, reserve_wait_ns;
	uint64_t *queued_ns;		/* [nr]: when each batch went to call_rcu */
	_Atomic uint64_t allocs, exhausted;	/* injected: per CPU */
};

/*
 * Batches a gather reserves when the pool may wait: enough for the largest
 * range one gather frees in the harness (a 1 GiB munmap: 512 PTE tables
 * and a PMD table, two batches).  A gather that needs more goes on
 * without waiting, and a table that finds no batch takes the fallback,
 * counted as one.
 */
#define TLB_BATCH_RESERVE	2

int batch_pool_init(struct batch_pool *p, struct ptsync_run *run,
		    unsigned int nr, double fail_p);
void batch_pool_destroy(struct batch_pool *p);
/* GFP_NOWAIT: a batch, or NULL; never sleeps.  @reserved: the caller's
 * reservation to draw on (decremented), or NULL. */
struct mmu_table_batch *tlb_batch_alloc_nowait(struct batch_pool *p, unsigned int *reserved);
void tlb_batch_free(struct batch_pool *p, struct mmu_table_batch *b);

void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm);
void tlb_gather_mmu_fullmm(struct mmu_gather *tlb, struct mm_struct *mm);
void tlb_finish_mmu(struct mmu_gather *tlb);
void tlb_flush_mmu(struct mmu_gather *tlb);
void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb);
bool __tlb_remove_page(struct mmu_gather *tlb, struct folio *folio);
void tlb_remove_table(struct mmu_gather *tlb, void *table);

static inline void tlb_remove_page(struct mmu_gather *tlb, struct folio *folio)
{
	if (__tlb_remove_page(tlb, folio))
		tlb_flush_mmu(tlb);
}

/* __tlb_adjust_range() with the flag its callers set: entries cleared. */
static inline void tlb_track_range(struct mmu_gather *tlb, uint64_t start,
				   uint64_t end)
{
	tlb->cleared_entries = true;
	if (start < tlb->start)
		tlb->start = start;
	if (end > tlb->end)
		tlb->end = end;
}

/* Callers have already cleared the parent entry (step 1). */
static inline void free_pt_tlb(struct mmu_gather *tlb, pgent_t *table,
			       uint64_t addr, int level)
{
	tlb_track_range(tlb, addr, addr + (1ULL << pt_shift(level + 1)));
	tlb->freed_tables = true;
	tlb_remove_table(tlb, table);
}

static inline void pte_free_tlb(struct mmu_gather *tlb, pte_t *pte, uint64_t addr)
{
	free_pt_tlb(tlb, pte, addr, PT_PTE);
}

static inline void pmd_free_tlb(struct mmu_gather *tlb, pmd_t *pmd, uint64_t addr)
{
	free_pt_tlb(tlb, pmd, addr, PT_PMD);
}

static inline void pud_free_tlb(struct mmu_gather *tlb, pud_t *pud, uint64_t addr)
{
	free_pt_tlb(tlb, pud, addr, PT_PUD);
}

void tlb_remove_table_sync_one(void);
void tlb_remove_table_sync_rcu(void);
/* The strategy's sync at a call site other than the fallback (callsite.h). */
void tlb_sync_callsite(struct mmu_gather *tlb, enum pt_callsite site);
/* A retracted PTE table to call_rcu() through its ptdesc, for everyone. */
void pte_free_defer(struct mm_struct *mm, pte_t *pte);
/* PT_RECLAIM: hand one table to call_rcu() through its own ptdesc. */
void __tlb_remove_table_one(struct mmu_gather *tlb, void *table);

/*
 * skip-redundant-sync: true when this gather's last flush interrupted, and
 * waited for, every CPU that can be walking tlb->mm (x86 native flush with
 * freed_tables).  Then every IRQs-off walker that saw the table is gone.
 */
static inline bool tlb_table_flush_implies_ipi_broadcast(const struct mmu_gather *tlb)
{
	return tlb->flush_ipi_broadcast;
}

/*
 * How a TLB flush reaches other CPUs (arch/tlbflush.c, --tlb):
 *  invlpgb  broadcast invalidation (AMD INVLPGB, arm64 TLBI ...IS): no IPI
 *  native   x86: IPI every other CPU in mm_cpumask and wait; lazy-TLB
 *           CPUs only when page tables were freed
 *  pv       KVM paravirt: as native, but a preempted vCPU is not
 *           interrupted; the host flushes it when it next runs
 */
enum tlb_mode {
	TLB_INVLPGB,
	TLB_NATIVE,
	TLB_PV,
	NR_TLB_MODES,
	TLB_MODE_AUTO = -1,	/* config: the strategy's first mode */
};

#define TLB_MODE_BIT(m)		(1u << (m))
#define TLB_MODES_ALL		(TLB_MODE_BIT(NR_TLB_MODES) - 1)

const char *tlb_mode_name(int mode);
int tlb_mode_find(const char *name);		/* -1 if unknown */
/* "invlpgb,native" for a TLB_MODE_BIT() set, into buf. */
const char *tlb_modes_str(unsigned int modes, char *buf, size_t len);
/* Whether the flush of @mode delivers its invalidation by IPI at all. */
bool tlb_mode_flushes_by_ipi(int mode);

/*
 * The architecture (--arch): which full barrier, if any, its TLB flush
 * carries (arch/tlbflush.c), whatever the TLB mode.
 *  weak   none: what generic code may assume (LKMM); the default
 *  x86    flush_tlb_mm_range() bumps the mm's TLB generation with a
 *         LOCK'd increment (inc_mm_tlb_gen()) before it flushes, by IPI
 *         or by INVLPGB alike: a full barrier before the flush
 *  arm64  the broadcast TLBI is followed by dsb(ish), which waits for
 *         it and for every earlier access: a full barrier after the flush
 * The IPI modes (native, pv) order the cleared entries before reading
 * mm_cpumask under every arch, and queueing an IPI is a fully ordered RMW
 * under every arch (llist_add()'s cmpxchg); so the arch decides the
 * ordering of a flush only where it sends no IPI (invlpgb).
 */
enum pt_arch {
	ARCH_WEAK,
	ARCH_X86,
	ARCH_ARM64,
	NR_ARCHS,
};

#define ARCH_BIT(a)		(1u << (a))
#define ARCHS_ALL		(ARCH_BIT(NR_ARCHS) - 1)

const char *arch_name(int arch);
int arch_find(const char *name);		/* -1 if unknown */
/* The full barrier @arch's flush carries, in words; NULL for weak. */
const char *arch_flush_barrier(int arch);

/*
 * The arch's TLB invalidation (arch/tlbflush.c).  Returns true when it
 * interrupted and waited for every CPU in mm_cpumask that could be walking
 * @mm (what tlb_table_flush_implies_ipi_broadcast() reports).
 */
bool flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end,
			bool freed_tables);

#endif /* PTSYNC_TLB_H */
