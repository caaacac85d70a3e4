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

static struct mmu_table_batch *tlb_batch_take(struct batch_pool *p)
{
	struct mmu_table_batch *b = NULL;

	store_buffer_fence();		/* the lock's RMW */
	pthread_mutex_lock(&p->lock);
	if (p->nr_free)
		b = p->free[--p->nr_free];
	pthread_mutex_unlock(&p->lock);
	return b;
}

/*
 * batch_pool.may_wait: sleep until an RCU callback gives a batch back.
 * Asleep is a quiescent state, as for any sleeping allocation, or the
 * grace period that frees a batch would wait for us.
 */
static struct mmu_table_batch *tlb_batch_wait(struct batch_pool *p, struct cpu *c)
{
	const struct timespec ts = { 0, 50 * NSEC_PER_USEC };
	bool was_online = READ_ONCE(c->rcu_online);
	struct mmu_table_batch *b;

	might_sleep("tlb_batch_wait()");
	if (was_online)
		rcu_eqs_enter(c);
	stall_wait_begin(c, STALL_BARRIER, -1);
	while (!(b = tlb_batch_take(p)))
		nanosleep(&ts, NULL);
	stall_wait_end(c);
	if (was_online)
		rcu_eqs_exit(c);
	return b;
}

/*
 * GFP_NOWAIT: never sleeps, fails when the pool is empty or when the
 * injected failure fires (drawn from the calling CPU's seeded PRNG);
 * unless the pool may wait (batch_pool.may_wait).
 */
struct mmu_table_batch *tlb_batch_alloc_nowait(struct batch_pool *p)
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
	b = tlb_batch_take(p);
	if (!b && p->may_wait && c)
		b = tlb_batch_wait(p, c);
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
	tlb->nr_pages = 0;
	tlb->flush_ipi_broadcast = false;
	tlb->unshared_tables = false;
	tlb->fully_unshared_tables = false;
	tlb->unshared_unsynced = false;
	tlb->start = fullmm ? 0 : TASK_SIZE;
	tlb->end = fullmm ? TASK_SIZE : 0;
}

void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm)
{
	__tlb_gather_mmu(tlb, mm, false);
}

void tlb_gather_mmu_fullmm(struct mmu_gather *tlb, struct mm_struct *mm)
{
	__tlb_gather_mmu(tlb, mm, true);
}

void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb)
{
	struct cpu *c = this_cpu();

	tlb->flush_ipi_broadcast = false;
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
	atomic_fetch_add_explicit(&run->stats.tables_freed_batched, batch->nr,
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

/*
 * A table unhooked at @site that is to be freed, not reused: a strategy
 * that frees through its own ptdesc (free_one: PT_RECLAIM) needs no sync
 * here; any other syncs as at the site, and the table is freed at once.
 */
void tlb_remove_table_callsite(struct mmu_gather *tlb, void *table,
			       enum pt_callsite site)
{
	const struct pt_sync_ops *ops = tlb->run->ops;
	struct cpu *c = this_cpu();
	uint64_t t0;

	WRITE_ONCE(virt_to_ptdesc(&tlb->run->pt, table)->site, (int)site);
	if (!ops->free_one) {
		tlb_sync_callsite(tlb, site);
		store_buffer_fence();	/* pt_free() takes a lock */
		pt_free(&tlb->run->pt, table);
		atomic_inc_relaxed(tlb->run->stats.tables_freed_one);
		return;
	}
	c->sync_site = site;
	t0 = ktime_get_ns();
	ops->free_one(tlb, table);
	c->sync_site = CALLSITE_NONE;
	tlb_sync_account(c, site, ktime_get_ns() - t0);
}

void tlb_remove_table(struct mmu_gather *tlb, void *table)
{
	struct ptdesc *pd = virt_to_ptdesc(&tlb->run->pt, table);

	/* For violation reports only: nothing is ordered by it.  A table
	 * that was shared (hugetlb) is charged to unshare. */
	WRITE_ONCE(pd->site, READ_ONCE(pd->pt_was_shared) ? CALLSITE_UNSHARE :
			     CALLSITE_FALLBACK);
	if (!tlb->batch) {
		tlb->batch = tlb_batch_alloc_nowait(&tlb->run->batches);
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

bool __tlb_remove_page(struct mmu_gather *tlb, struct folio *folio)
{
	tlb->pages[tlb->nr_pages++] = folio;
	return tlb->nr_pages == MAX_GATHER_BATCH;
}

static void tlb_batch_pages_flush(struct mmu_gather *tlb)
{
	for (unsigned int i = 0; i < tlb->nr_pages; i++)
		folio_put(&tlb->run->folios, tlb->pages[i]);
	tlb->nr_pages = 0;
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
}
