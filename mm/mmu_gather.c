// SPDX-License-Identifier: MIT
/*
 * mmu_gather: batching the frees of an unmap, and the table-freeing rule.
 *
 * Semi-RCU freeing of page tables.  Tables unhooked during an unmap are
 * collected in a one-page batch; when the batch fills or the unmap ends,
 * the TLB is invalidated for them and the batch goes to call_rcu(), whose
 * callback frees every table in it.  A walker runs with IRQs disabled,
 * which is an RCU read-side critical section, so the callback cannot run
 * while a walker that saw any of those tables is still walking.
 *
 * The batch page is allocated with GFP_NOWAIT, from reclaim-less context,
 * and under memory pressure it is not there.  The table must still go, and
 * it cannot be queued, so it is synced and freed on its own:
 * tlb_remove_table_one() asks the strategy (strategy.h) to make it safe,
 * which used to mean an IPI to every CPU (tlb_remove_table_sync_one) and in
 * the seed means one grace period (tlb_remove_table_sync_rcu).
 *
 * User pages need none of this: GUP-fast takes a reference only if the
 * count is non-zero and re-checks the entry afterwards, so they are freed
 * right after the TLB flush.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ptsync/irqflags.h"
#include "ptsync/rcupdate.h"
#include "ptsync/run.h"
#include "ptsync/smp.h"
#include "ptsync/store_buffer.h"
#include "ptsync/tlb.h"
#include "ptsync/trace.h"
#include "ptsync/watchdog.h"

int batch_pool_init(struct batch_pool *p, struct ptsync_run *run,
		    unsigned int nr, double fail_p)
{
	size_t bytes = PAGE_SIZE;

	memset(p, 0, sizeof(*p));
	p->nr = nr;
	p->fail_p = fail_p;
	pthread_mutex_init(&p->lock, NULL);
	p->shift = PAGE_SHIFT;
	while (bytes < (size_t)(nr + 1) * PAGE_SIZE) {
		bytes <<= 1;
		p->shift++;
	}
	p->mem = aligned_alloc(bytes, bytes);
	p->free = calloc(nr + 1, sizeof(*p->free));
	p->queued_ns = calloc(nr + 1, sizeof(*p->queued_ns));
	if (!p->mem || !p->free || !p->queued_ns)
		return -ENOMEM;
	*(struct ptsync_run **)p->mem = run;
	for (unsigned int i = 0; i < nr; i++)
		p->free[i] = (void *)((char *)p->mem + (size_t)(i + 1) * PAGE_SIZE);
	p->nr_free = nr;
	return 0;
}

void batch_pool_destroy(struct batch_pool *p)
{
	free(p->mem);
	free(p->free);
	free(p->queued_ns);
	pthread_mutex_destroy(&p->lock);
	memset(p, 0, sizeof(*p));
}

static struct ptsync_run *batch_to_run(struct mmu_table_batch *b)
{
	uintptr_t pool = (uintptr_t)b & ~(((uintptr_t)1 << b->pool_shift) - 1);

	return *(struct ptsync_run **)pool;
}

/* The batch's slot in the pool (page 0 holds the run pointer). */
static uint64_t *batch_queued_ns(struct batch_pool *p, struct mmu_table_batch *b)
{
	return &p->queued_ns[((char *)b - (char *)p->mem) / PAGE_SIZE - 1];
}

/* A free batch not held for another gather, or one of @reserved's. */
static struct mmu_table_batch *tlb_batch_take(struct batch_pool *p, unsigned int *reserved)
{
	struct mmu_table_batch *b = NULL;
	bool own = reserved && *reserved;

	store_buffer_fence();		/* the lock's RMW */
	pthread_mutex_lock(&p->lock);
	if (own || p->nr_free > p->nr_reserved) {
		b = p->free[--p->nr_free];
		if (own) {
			p->nr_reserved--;
			(*reserved)--;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return b;
}

/*
 * Back-pressure for a pool that may wait, at tlb_gather_mmu(): before the
 * gather unhooks anything, sleep until @nr batches are free beyond those
 * other gathers hold, and hold them.  Asleep is a quiescent state, as for
 * any sleeping allocation, or the grace period that frees a batch would
 * wait for us.  Nothing here is inside a sync's timing; the time is
 * counted apart (reserve_waits, reserve_wait_ns).
 */
static unsigned int tlb_batch_reserve(struct batch_pool *p, struct cpu *c, unsigned int nr)
{
	const struct timespec ts = { 0, 50 * NSEC_PER_USEC };
	bool was_online = false;
	uint64_t t0 = 0;

	if (nr > p->nr)
		nr = p->nr;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->nr_free - p->nr_reserved >= nr) {
			p->nr_reserved += nr;
			pthread_mutex_unlock(&p->lock);
			break;
		}
		pthread_mutex_unlock(&p->lock);
		if (!t0) {
			might_sleep("tlb_batch_reserve()");
			t0 = ktime_get_ns();
			was_online = READ_ONCE(c->rcu_online);
			if (was_online)
				rcu_eqs_enter(c);
			stall_wait_begin(c, STALL_BARRIER, -1);
		}
		nanosleep(&ts, NULL);
	}
	if (t0) {
		stall_wait_end(c);
		if (was_online)
			rcu_eqs_exit(c);
		atomic_inc_relaxed(p->reserve_waits);
		fetch_add_explicit(&p->reserve_wait_ns, ktime_get_ns() - t0,
					  memory_order_relaxed);
	}
	return nr;
}

/* What a gather reserved and did not use goes back at its end. */
static void tlb_batch_unreserve(struct batch_pool *p, unsigned int nr)
{
	if (!nr)
		return;
	pthread_mutex_lock(&p->lock);
	p->nr_reserved -= nr;
	pthread_mutex_unlock(&p->lock);
}

/*
 * GFP_NOWAIT: never sleeps, fails when the pool is empty (or what is left
 * is held for other gathers) or when the injected failure fires (drawn
 * from the calling CPU's seeded PRNG).
 */
struct mmu_table_batch *tlb_batch_alloc_nowait(struct batch_pool *p, unsigned int *reserved)
{
	struct cpu *c = this_cpu();
	struct mmu_table_batch *b = NULL;

	if (p->fail_p > 0 && c && prandom_chance(&c->rnd, p->fail_p)) {
		/* A per-CPU count, not a locked RMW: on x86 a LOCK'd
		 * instruction is a full barrier, and this path lies between
		 * the unhook and the strategy's sync, whose ordering must be
		 * its own for torture to test it. */
		this_cpu_inc(c->stats.batch_injected);
		return NULL;
	}
	b = tlb_batch_take(p, reserved);
	if (!b) {
		atomic_inc_relaxed(p->exhausted);
		return NULL;
	}
	atomic_inc_relaxed(p->allocs);
	b->nr = 0;
	b->pool_shift = p->shift;
	return b;
}

void tlb_batch_free(struct batch_pool *p, struct mmu_table_batch *b)
{
	pthread_mutex_lock(&p->lock);
	p->free[p->nr_free++] = b;
	pthread_mutex_unlock(&p->lock);
}

static void __tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm, bool fullmm)
{
	tlb->mm = mm;
	tlb->run = mm->run;
	tlb->batch = NULL;
	tlb->fullmm = fullmm;
	tlb->freed_tables = false;
	tlb->cleared_entries = false;
	tlb->nr_local = 0;
	tlb->batch_count = 0;
	tlb->batch_head = tlb->active = NULL;
	tlb->flush_ipi_broadcast = false;
	tlb->unshared_tables = false;
	tlb->fully_unshared_tables = false;
	tlb->unshared_unsynced = false;
	tlb->start = fullmm ? 0 : TASK_SIZE;
	tlb->end = fullmm ? TASK_SIZE : 0;
	tlb->batches_reserved = 0;
	if (tlb->run->batches.may_wait && this_cpu())
		tlb->batches_reserved = tlb_batch_reserve(&tlb->run->batches, this_cpu(),
							  TLB_BATCH_RESERVE);
}

void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm)
{
	__tlb_gather_mmu(tlb, mm, false);
}

void tlb_gather_mmu_fullmm(struct mmu_gather *tlb, struct mm_struct *mm)
{
	__tlb_gather_mmu(tlb, mm, true);
}

/*
 * Flush what the gather cleared.  Nothing to flush unless a table was
 * freed, an entry cleared or a table unshared since the last flush
 * (upstream's condition): a fullmm gather, whose range always covers the
 * whole mm, would otherwise flush, and IPI under x86 native, every time a
 * batch or the fallback asks.  A skipped flush interrupted nobody, so it
 * does not stand in for a sync (flush_ipi_broadcast false).
 */
void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb)
{
	struct cpu *c = this_cpu();

	tlb->flush_ipi_broadcast = false;
	if (!(tlb->freed_tables || tlb->cleared_entries || tlb->unshared_tables))
		return;
	if (tlb->end <= tlb->start)
		return;
	tlb->flush_ipi_broadcast = flush_tlb_mm_range(tlb->mm, tlb->start, tlb->end,
						      tlb->freed_tables);
	if (c)	/* per CPU, not locked: see tlb_batch_alloc_nowait() */
		this_cpu_inc(c->stats.tlb_flushes);
	if (!tlb->fullmm) {
		tlb->start = TASK_SIZE;
		tlb->end = 0;
	}
	tlb->freed_tables = false;
	tlb->cleared_entries = false;
	tlb->unshared_tables = false;
}

/* Step 2 for tables: walks may be cached too, so flush before freeing. */
static void tlb_table_invalidate(struct mmu_gather *tlb)
{
	tlb_flush_mmu_tlbonly(tlb);
}

/* The RCU callback: every walker that could see these tables is gone. */
static void tlb_remove_table_rcu(struct rcu_head *head)
{
	struct mmu_table_batch *batch = container_of(head, struct mmu_table_batch, rcu);
	struct ptsync_run *run = batch_to_run(batch);

	/* The grace period as a batch sees it.  The queueing time was
	 * written before call_rcu(), which orders it before this callback. */
	samples_add(&run->batch_gp, ktime_get_ns() - *batch_queued_ns(&run->batches, batch));
	pt_free_bulk(&run->pt, batch->tables, batch->nr);
	trace_event(-1, TR_FREE_BATCH, (int32_t)batch->nr);
	fetch_add_explicit(&run->stats.tables_freed_batched, batch->nr,
				  memory_order_relaxed);
	atomic_inc_relaxed(run->stats.batches_freed);
	tlb_batch_free(&run->batches, batch);
}

static void tlb_table_flush(struct mmu_gather *tlb)
{
	struct mmu_table_batch *batch = tlb->batch;

	if (!batch)
		return;
	tlb_table_invalidate(tlb);
	atomic_inc_relaxed(tlb->run->stats.batches_flushed);
	*batch_queued_ns(&tlb->run->batches, batch) = ktime_get_ns();
	store_buffer_fence();	/* call_rcu() enqueues with an xchg */
	/* The tables were unhooked before they were batched; call_rcu()
	 * orders those stores before the callback (RCU's own guarantee). */
	call_rcu(&batch->rcu, tlb_remove_table_rcu);
	tlb->batch = NULL;
}

/* Wait for every IRQs-off walker: IPI all other CPUs and wait for each. */
static void tlb_remove_table_smp_sync(void *info)
{
	(void)info;	/* taking the interrupt at all is the point */
}

void tlb_remove_table_sync_one(void)
{
	/* Not a grace period: it proves only that every CPU has been
	 * interruptible at some point after our unhook, i.e. that each
	 * IRQs-off walker that might have seen the table has finished.
	 * The unhook is ordered before the IPI by the release push in
	 * smp_call_function_many(). */
	smp_call_function(tlb_remove_table_smp_sync, NULL, true);
}

/* The seed: a grace period.  Process context only (it sleeps). */
void tlb_remove_table_sync_rcu(void)
{
	/* [T:rcu-freer:1:gp-start-mb] */
	store_buffer_fence();	/* a grace period starts with smp_mb() */
	synchronize_rcu();
}

/* PT_RECLAIM: the grace period is over; this table is nobody's now. */
static void __tlb_remove_table_one_rcu(struct rcu_head *head)
{
	struct ptdesc *pd = container_of(head, struct ptdesc, pt_rcu_head);
	/* A detached table keeps its owner until it is freed, and the mm
	 * struct outlives the run's tables. */
	struct ptsync_run *run = READ_ONCE(pd->mm)->run;
	struct pt_reclaim_stats *rs = &run->reclaim;
	uint64_t now;

	pthread_mutex_lock(&rs->lock);
	now = ktime_get_ns();	/* under the lock: last_ns never passes it */
	rs->page_ns += (double)rs->pending * (double)(now - rs->last_ns);
	rs->last_ns = now;
	rs->pending--;
	/* Written before call_rcu(), which orders it before this callback. */
	samples_add(&rs->cb_lat, now - pd->rcu_queued_ns);
	pthread_mutex_unlock(&rs->lock);
	pt_free(&run->pt, pfn_to_table(&run->pt, (uint64_t)(pd - run->pt.desc)));
	atomic_inc_relaxed(run->stats.tables_freed_rcu_one);
}

/*
 * PT_RECLAIM's fallback: no batch page, so the table's own ptdesc carries
 * the rcu_head.  Nothing is allocated, nobody is interrupted, the freer
 * does not sleep; the price is the table's page, held for a grace period.
 */
void __tlb_remove_table_one(struct mmu_gather *tlb, void *table)
{
	struct ptdesc *pd = virt_to_ptdesc(&tlb->run->pt, table);
	struct pt_reclaim_stats *rs = &tlb->run->reclaim;
	uint64_t now;

	pthread_mutex_lock(&rs->lock);
	now = ktime_get_ns();	/* as in __tlb_remove_table_one_rcu() */
	rs->page_ns += (double)rs->pending * (double)(now - rs->last_ns);
	rs->last_ns = now;
	if (++rs->pending > rs->peak)
		rs->peak = rs->pending;
	pthread_mutex_unlock(&rs->lock);
	pd->rcu_queued_ns = now;
	store_buffer_fence();	/* as in tlb_table_flush() */
	/* The unhook happened before; call_rcu() orders it, and the
	 * queueing time, before the callback (RCU's own guarantee). */
	call_rcu(&pd->pt_rcu_head, __tlb_remove_table_one_rcu);
}

/* One sync (or free_one) at @site took @dt ns: the per-site counts. */
static void tlb_sync_account(struct cpu *c, enum pt_callsite site, uint64_t dt)
{
	this_cpu_inc(c->stats.site_syncs[site]);
	this_cpu_add(c->stats.site_sync_ns[site], dt);
	if (dt > READ_ONCE(c->stats.site_sync_max[site]))
		WRITE_ONCE(c->stats.site_sync_max[site], dt);
	samples_add(site == CALLSITE_FALLBACK ? &c->sync_lat : &c->site_lat[site], dt);
}

/*
 * No batch page: the strategy makes this one table safe, by waiting
 * (sync_one, then the table is freed here) or by deferring the free
 * (free_one).  Either way the freer's time in it is what --batch-fail
 * costs it, and is sampled.
 */
static void tlb_remove_table_one(struct mmu_gather *tlb, void *table)
{
	const struct pt_sync_ops *ops = tlb->run->ops;
	struct cpu *c = this_cpu();
	uint64_t t0, dt;

	this_cpu_inc(c->stats.fallbacks);
	this_cpu_inc(c->stats.site_events[CALLSITE_FALLBACK]);
	c->sync_site = CALLSITE_FALLBACK;
	t0 = ktime_get_ns();
	if (ops->free_one) {
		ops->free_one(tlb, table);
	} else {
		if (ops->sync_one)
			ops->sync_one(tlb);
		store_buffer_fence();	/* pt_free() takes a lock */
		pt_free(&tlb->run->pt, table);
		atomic_inc_relaxed(tlb->run->stats.tables_freed_one);
	}
	dt = ktime_get_ns() - t0;
	c->sync_site = CALLSITE_NONE;
	this_cpu_inc(c->stats.syncs);
	this_cpu_add(c->stats.sync_ns_total, dt);
	if (dt > READ_ONCE(c->stats.sync_ns_max))
		WRITE_ONCE(c->stats.sync_ns_max, dt);
	tlb_sync_account(c, CALLSITE_FALLBACK, dt);
	trace_span(c->id, TR_FALLBACK, t0, dt);
}

/*
 * The sync at collapse or unshare, before the table that tlb->mm no
 * longer reaches is reused: the strategy's own (pt_sync_hook()), or,
 * where it has none, what upstream does there today, the broadcast,
 * counted apart so reports say where a strategy fell back to it.  The
 * caller has unhooked the table and flushed (tlb->flush_ipi_broadcast
 * says how); the sync must order that unhook itself, as at the fallback.
 */
void tlb_sync_callsite(struct mmu_gather *tlb, enum pt_callsite site)
{
	void (*sync)(struct mmu_gather *) = pt_sync_hook(tlb->run->ops, site);
	struct cpu *c = this_cpu();
	uint64_t t0 = ktime_get_ns();

	c->sync_site = site;
	if (sync) {
		sync(tlb);
	} else {
		this_cpu_inc(c->stats.site_upstream[site]);
		tlb_remove_table_sync_one();
	}
	c->sync_site = CALLSITE_NONE;
	tlb_sync_account(c, site, ktime_get_ns() - t0);
}

/* pte_free_defer()'s callback: a grace period after the retract. */
static void pte_free_now(struct rcu_head *head)
{
	struct ptdesc *pd = container_of(head, struct ptdesc, pt_rcu_head);
	/* As in __tlb_remove_table_one_rcu(): the owner outlives the table. */
	struct ptsync_run *run = READ_ONCE(pd->mm)->run;

	pt_free(&run->pt, pfn_to_table(&run->pt, (uint64_t)(pd - run->pt.desc)));
	atomic_inc_relaxed(run->stats.tables_freed_rcu_one);
}

/*
 * pte_free_defer() (mm/pgtable-generic.c upstream): a PTE table retracted
 * by a file-backed collapse goes to call_rcu() through its own ptdesc,
 * whatever the strategy: no batch, no sync, no IPI.  A walker still inside
 * holds IRQs off, an RCU read-side section, so the callback waits for it.
 * Not PT_RECLAIM's accounting (pt_reclaim_stats): upstream does this with
 * PT_RECLAIM off too.
 */
void pte_free_defer(struct mm_struct *mm, pte_t *pte)
{
	struct ptdesc *pd = virt_to_ptdesc(&mm->run->pt, pte);

	/* For violation reports only: nothing is ordered by it. */
	WRITE_ONCE(pd->site, CALLSITE_COLLAPSE);
	store_buffer_fence();	/* as in tlb_table_flush() */
	/* The PMD clear happened before; call_rcu() orders it before the
	 * callback (RCU's own guarantee). */
	call_rcu(&pd->pt_rcu_head, pte_free_now);
}

void tlb_remove_table(struct mmu_gather *tlb, void *table)
{
	struct ptdesc *pd = virt_to_ptdesc(&tlb->run->pt, table);

	/* For violation reports only: nothing is ordered by it.  A table
	 * that was shared (hugetlb) is charged to unshare. */
	WRITE_ONCE(pd->site, READ_ONCE(pd->pt_was_shared) ? CALLSITE_UNSHARE :
			     CALLSITE_FALLBACK);
	if (!tlb->batch) {
		tlb->batch = tlb_batch_alloc_nowait(&tlb->run->batches,
						    &tlb->batches_reserved);
		if (!tlb->batch) {
			tlb_table_invalidate(tlb);
			tlb_remove_table_one(tlb, table);
			return;
		}
	}
	tlb->batch->tables[tlb->batch->nr++] = table;
	if (tlb->batch->nr == MAX_TABLE_BATCH)
		tlb_table_flush(tlb);
}

/*
 * Chain another page of page pointers: the next one kept from an earlier
 * flush of this gather, or a new one, GFP_NOWAIT (malloc() here: it does
 * not sleep), up to MAX_GATHER_BATCH_COUNT.  False: flush instead.
 */
static bool tlb_next_batch(struct mmu_gather *tlb)
{
	struct mmu_gather_batch *b = tlb->active ? tlb->active->next : tlb->batch_head;

	if (b) {
		tlb->active = b;
		return true;
	}
	if (tlb->batch_count == MAX_GATHER_BATCH_COUNT)
		return false;
	b = malloc(PAGE_SIZE);
	if (!b)
		return false;
	tlb->batch_count++;
	b->next = NULL;
	b->nr = 0;
	b->max = MAX_GATHER_BATCH;
	if (tlb->active)
		tlb->active->next = b;
	else
		tlb->batch_head = b;
	tlb->active = b;
	return true;
}

/* Gather a user page; true when the batches are full: flush now. */
bool __tlb_remove_page(struct mmu_gather *tlb, struct folio *folio)
{
	struct mmu_gather_batch *b = tlb->active;

	if (!b) {
		tlb->local[tlb->nr_local++] = folio;
		if (tlb->nr_local < MMU_GATHER_BUNDLE)
			return false;
	} else {
		b->pages[b->nr++] = folio;
		if (b->nr < b->max)
			return false;
	}
	return !tlb_next_batch(tlb);
}

static void tlb_batch_pages_flush(struct mmu_gather *tlb)
{
	struct folio_arena *fa = &tlb->run->folios;

	for (unsigned int i = 0; i < tlb->nr_local; i++)
		folio_put(fa, tlb->local[i]);
	tlb->nr_local = 0;
	for (struct mmu_gather_batch *b = tlb->batch_head; b && b->nr; b = b->next) {
		for (unsigned int i = 0; i < b->nr; i++)
			folio_put(fa, b->pages[i]);
		b->nr = 0;
	}
	tlb->active = NULL;
}

/* At the end of the gather: the chained pages go back. */
static void tlb_batch_list_free(struct mmu_gather *tlb)
{
	struct mmu_gather_batch *b = tlb->batch_head, *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
	tlb->batch_head = tlb->active = NULL;
	tlb->batch_count = 0;
}

void tlb_flush_mmu(struct mmu_gather *tlb)
{
	tlb_flush_mmu_tlbonly(tlb);
	tlb_table_flush(tlb);
	tlb_batch_pages_flush(tlb);
}

void tlb_finish_mmu(struct mmu_gather *tlb)
{
	/* Upstream warns here; a model must not carry on past it. */
	if (tlb->fully_unshared_tables || tlb->unshared_unsynced)
		ptsync_die("BUG: mm %d: a gather ended with unshared page tables not synced "
			   "(tlb_flush_unshared_tables() not called)", tlb->mm->id);
	store_buffer_fence();	/* nothing stays buffered past the gather */
	tlb_flush_mmu(tlb);
	tlb_batch_list_free(tlb);
	tlb_batch_unreserve(&tlb->run->batches, tlb->batches_reserved);
	tlb->batches_reserved = 0;
}
