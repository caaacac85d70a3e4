// SPDX-License-Identifier: MIT
/*
 * mmu_gather: table batching, the GFP_NOWAIT fallback, and page-table
 * setup and teardown.
 *
 * What breaks if these fail: a batch that flushed at the wrong count would
 * hold tables past their free or overrun its page; a fallback not taken on
 * allocation failure would leave the strategies untested (the path the seed
 * changes is only reached there); a table not freed, or freed twice, shows
 * up as live objects after rcu_barrier().
 */
#include <string.h>

#include "ptsync/gup.h"
#include "ptsync/torture.h"
#include "tap.h"

struct gather_test;

/*
 * What CPU 0 does in a run_test() run, given the run, its mm 0 and the
 * test's record; CPU 1 only starts and stops.
 */
typedef void gather_body_fn(struct cpu *c, struct ptsync_run *run, struct mm_struct *mm,
			    struct gather_test *t);

struct gather_test {
	gather_body_fn *body;		/* run_test()'s, run by gather_cpu() */
	int flushed_at_509, new_batch_holds_one, flushed_total;
	int past_page_in_pool, past_page_intact;
	uint64_t fallbacks, syncs, gp_before, gp_after, exhausted, injected;
	int freed_at_once;
	long mapped, mapped_huge;
	int64_t pt_live_mapped, pt_live_unmapped, folios_live_mapped;
	int64_t folios_live_unmapped;
	/* order_cpu and the probe strategy */
	pgent_t *probe_table;
	uint64_t flushes_before;
	int sync_calls, flushed_before_sync, live_at_sync, freed_after;
	/* walker_inside_cpu */
	_Atomic int mapped_flag, walking, inside;
	bool walker_preempted;		/* its vCPU, as the host sees it */
	int walk_nr, saw_unhook;
	pgent_t *pmdp;
	uint64_t pmd;
	/* pages_cpu and skip_cpu */
	unsigned int full_at, full_count, chained;
	uint64_t flushes_empty, flushes_cleared, flushes_again, flushes_unshared;
	/* nowait_cpu */
	int second_null, quick, reserved, other_null, own_ok;
};

static pgent_t *detached_table(struct ptsync_run *run, struct mm_struct *mm)
{
	pgent_t *t = pt_alloc(&run->pt, PT_PTE, mm);

	WRITE_ONCE(virt_to_ptdesc(&run->pt, t)->state, PT_DETACHED);
	return t;
}

static void batch_cpu(struct cpu *c, struct ptsync_run *run, struct mm_struct *mm,
		      struct gather_test *t)
{
	uint64_t b0 = READ_ONCE(run->stats.batches_flushed);
	struct mmu_gather tlb;
	void **past;

	tlb_gather_mmu(&tlb, mm);
	tlb_remove_table(&tlb, detached_table(run, mm));
	/* The word just past the first batch page (in the pool's block,
	 * unused by this test's batches): a marker that no table may hit. */
	past = (void **)((char *)tlb.batch + PAGE_SIZE);
	t->past_page_in_pool = (char *)(past + 1) <=
		(char *)run->batches.mem + ((size_t)1 << run->batches.shift);
	if (t->past_page_in_pool)
		*past = t;
	for (unsigned int i = 1; i < MAX_TABLE_BATCH; i++)
		tlb_remove_table(&tlb, detached_table(run, mm));
	t->flushed_at_509 = READ_ONCE(run->stats.batches_flushed) - b0 == 1 && !tlb.batch;
	tlb_remove_table(&tlb, detached_table(run, mm));
	t->new_batch_holds_one = tlb.batch && tlb.batch->nr == 1;
	t->past_page_intact = t->past_page_in_pool && *past == t;
	tlb_finish_mmu(&tlb);
	t->flushed_total = (int)(READ_ONCE(run->stats.batches_flushed) - b0);
	t->fallbacks = READ_ONCE(c->stats.fallbacks);
}

/* With a pool of one batch, a second gather must take the fallback. */
static void exhaust_cpu(struct cpu *c, struct ptsync_run *run, struct mm_struct *mm,
			struct gather_test *t)
{
	struct mmu_gather tlb1, tlb2;
	pgent_t *second;

	tlb_gather_mmu(&tlb1, mm);
	tlb_remove_table(&tlb1, detached_table(run, mm));
	tlb_gather_mmu(&tlb2, mm);
	second = detached_table(run, mm);
	t->gp_before = rcu_gp_count();
	tlb_remove_table(&tlb2, second);
	t->gp_after = rcu_gp_count();
	t->freed_at_once = READ_ONCE(virt_to_ptdesc(&run->pt, second)->state) == PT_FREE;
	tlb_finish_mmu(&tlb2);
	tlb_finish_mmu(&tlb1);
	t->fallbacks = READ_ONCE(c->stats.fallbacks);
	t->syncs = READ_ONCE(c->stats.syncs);
	t->exhausted = READ_ONCE(run->batches.exhausted);
}

/* --batch-fail=1: every table takes the fallback, no batch is used. */
static void inject_cpu(struct cpu *c, struct ptsync_run *run, struct mm_struct *mm,
		       struct gather_test *t)
{
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	for (int i = 0; i < 10; i++)
		tlb_remove_table(&tlb, detached_table(run, mm));
	tlb_finish_mmu(&tlb);
	t->fallbacks = READ_ONCE(c->stats.fallbacks);
	t->injected = READ_ONCE(c->stats.batch_injected);
}

static void map_cpu(struct cpu *c, struct ptsync_run *run, struct mm_struct *mm,
		    struct gather_test *t)
{
	uint64_t a = torture_region_addr(0), b = torture_region_addr(5);

	(void)c;		/* a gather_body_fn: not needed here */
	t->mapped = map_range(mm, a, PMD_SIZE, false);
	t->mapped_huge = map_range(mm, b, PMD_SIZE, true);
	t->pt_live_mapped = READ_ONCE(run->pt.live);
	t->folios_live_mapped = READ_ONCE(run->folios.live);
	munmap_range(mm, a, PMD_SIZE);
	munmap_range(mm, b, PMD_SIZE);
	rcu_barrier();
	t->pt_live_unmapped = READ_ONCE(run->pt.live);
	t->folios_live_unmapped = READ_ONCE(run->folios.live);
}

/*
 * The order of the fallback: unhook, invalidate, sync, free.  A strategy
 * that only records what it sees: at its sync the TLB must already have
 * been flushed for the table (a CPU's paging-structure cache may still
 * point into it until then), and the table must not yet be free.
 */
static void probe_sync_one(struct mmu_gather *tlb)
{
	struct gather_test *t = tlb->run->priv;

	t->sync_calls++;
	t->flushed_before_sync = READ_ONCE(this_cpu()->stats.tlb_flushes) > t->flushes_before;
	t->live_at_sync = READ_ONCE(virt_to_ptdesc(&tlb->run->pt, t->probe_table)->state) != PT_FREE;
}

static const struct pt_sync_ops probe_sync_ops = {
	.name = "probe",
	.desc = "records the state of the gather at the fallback's sync",
	.tlb_modes = TLB_MODES_ALL,
	.sync_one = probe_sync_one,
};

static void order_cpu(struct cpu *c, struct ptsync_run *run, struct mm_struct *mm,
		      struct gather_test *t)
{
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	t->probe_table = detached_table(run, mm);
	t->flushes_before = READ_ONCE(c->stats.tlb_flushes);
	pte_free_tlb(&tlb, t->probe_table, torture_region_addr(0));
	t->freed_after = READ_ONCE(virt_to_ptdesc(&run->pt, t->probe_table)->state) == PT_FREE;
	tlb_finish_mmu(&tlb);
}

/*
 * The rule end to end: CPU 1 walks into a PTE table with GUP-fast and,
 * IRQs off, stays inside until CPU 0 has unhooked the table (the race
 * hook, after the folio reference), while CPU 0 unmaps the page under it,
 * which frees the PTE, PMD and PUD tables, by RCU batch or through the
 * fallback.  The walker's checker must find nothing freed on its path.
 * Under `none` it must find it (the scenario is a real race).  A handshake,
 * not a delay: the outcome does not depend on how busy the host is.
 */
static void walker_inside_hook(struct mm_struct *mm, uint64_t addr, void *arg)
{
	struct gather_test *t = arg;

	struct ptdesc *pte = &mm->run->pt.desc[pt_pfn(t->pmd)];
	uint64_t end;

	(void)addr;
	WRITE_ONCE(t->inside, 1);
	/* Until the unhook (or 10 s: then the test fails, it does not hang). */
	t->saw_unhook = WAIT_FOR(READ_ONCE(*t->pmdp) != t->pmd);
	/* Then give a free that does not wait for us (`none`) a second to
	 * happen under us; a correct strategy cannot free it before we go. */
	end = ktime_get_ns() + NSEC_PER_SEC;
	while (READ_ONCE(pte->state) != PT_FREE && ktime_get_ns() < end)
		cpu_relax();
}

/* The PMD entry that points to @a's PTE table, and its value. */
static void find_pmd(struct mm_struct *mm, uint64_t a, struct gather_test *t)
{
	pgent_t *table = READ_ONCE(mm->pgd);

	for (int level = PT_PGD; level > PT_PMD; level--)
		table = pfn_to_table(&mm->run->pt, pt_pfn(READ_ONCE(table[pt_index(a, level)])));
	t->pmdp = &table[pt_index(a, PT_PMD)];
	t->pmd = READ_ONCE(*t->pmdp);
}

static void walker_inside_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct gather_test *t = run->priv;
	struct mm_struct *mm = &run->mms[0];
	uint64_t a = torture_region_addr(0);
	struct folio *pages[1];

	switch_mm(c, mm);
	if (c->id == 1) {
		WAIT_FOR(READ_ONCE(t->mapped_flag));
		if (t->walker_preempted)
			WRITE_ONCE(c->preempted, 1);	/* a PV flush skips us */
		gup_set_race_hook(run, walker_inside_hook, t);
		WRITE_ONCE(t->walking, 1);
		t->walk_nr = gup_fast(mm, a, 1, pages);
		gup_set_race_hook(run, NULL, NULL);
		WRITE_ONCE(c->preempted, 0);
		gup_check_and_put(c, mm, READ_ONCE(mm->incarnation), a, t->walk_nr, pages);
	} else if (c->id == 0) {
		t->mapped = map_range(mm, a, PAGE_SIZE, false);
		find_pmd(mm, a, t);
		WRITE_ONCE(t->mapped_flag, 1);
		WAIT_FOR(READ_ONCE(t->inside));	/* the walker is in the table */
		munmap_range(mm, a, PAGE_SIZE);
	}
	switch_mm(c, NULL);
}

static uint64_t run_walker_inside(const struct pt_sync_ops *ops, double fail, int tlb_mode,
				  struct gather_test *t, uint64_t *freed_one)
{
	struct ptsync_config cfg;
	struct ptsync_run *run;
	uint64_t v;

	memset(t, 0, sizeof(*t));
	test_config(&cfg, 2, ops);
	cfg.batch_fail = fail;
	if (tlb_mode != TLB_MODE_AUTO) {
		cfg.tlb_mode = tlb_mode;
		t->walker_preempted = tlb_mode == TLB_PV;
	}
	run = test_run_start(&cfg, walker_inside_cpu, t);
	cpus_stop(run);
	ptsync_run_drain(run);
	v = READ_ONCE(run->violations.total);
	*freed_one = READ_ONCE(run->stats.tables_freed_one);
	ptsync_run_destroy(run);
	free(run);
	return v;
}

static void test_walker_inside(void)
{
	/* flush-ipi under a PV flush with the walker's vCPU preempted: the
	 * flush skipped it, so it proves nothing and flush-ipi must sync. */
	static const struct {
		const struct pt_sync_ops *ops;
		double fail;
		int tlb_mode;
		const char *what;
	} w[] = {
		{ &rcu_sync_ops, 0.0, TLB_MODE_AUTO, "RCU batch" },
		{ &ipi_sync_ops, 1.0, TLB_MODE_AUTO, "ipi fallback" },
		{ &rcu_sync_ops, 1.0, TLB_MODE_AUTO, "rcu fallback" },
		{ &flush_ipi_sync_ops, 1.0, TLB_PV,
		  "flush-ipi fallback after a pv flush that skipped the walker's preempted vCPU" },
	};
	struct gather_test t;
	uint64_t v, one;

	for (unsigned int i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		v = run_walker_inside(w[i].ops, w[i].fail, w[i].tlb_mode, &t, &one);
		ok(v == 0 && t.mapped == 1 && t.saw_unhook && t.walk_nr == 0 &&
		   (w[i].fail == 0 || one >= 3),
		   "%s: tables unmapped under an IRQs-off walk are freed after it "
		   "(%llu violations, %llu freed one by one)", w[i].what,
		   (unsigned long long)v, (unsigned long long)one);
	}
	v = run_walker_inside(&none_sync_ops, 1.0, TLB_MODE_AUTO, &t, &one);
	ok(v > 0, "... and under none they are not: the walker's checker sees it (%llu)",
	   (unsigned long long)v);
}

/*
 * User pages: the gather's own slots, then 19 chained pages of 510, and
 * only the page that fills the last one asks for a flush.
 */
static void pages_cpu(struct cpu *c, struct ptsync_run *run, struct mm_struct *mm,
		      struct gather_test *t)
{
	const unsigned int n = MMU_GATHER_BUNDLE + MAX_GATHER_BATCH * MAX_GATHER_BATCH_COUNT;
	struct mmu_gather tlb;

	(void)c;		/* a gather_body_fn: not needed here */
	tlb_gather_mmu(&tlb, mm);
	for (unsigned int i = 0; i < n; i++) {
		struct folio *f = folio_alloc(&run->folios, 0);

		if (!f)
			break;
		tlb_track_range(&tlb, (uint64_t)i * PAGE_SIZE, (uint64_t)(i + 1) * PAGE_SIZE);
		if (__tlb_remove_page(&tlb, f)) {
			t->full_count++;
			t->full_at = i + 1;
			tlb_flush_mmu(&tlb);
		}
	}
	t->chained = tlb.batch_count;
	tlb_finish_mmu(&tlb);
}

/* A fullmm gather flushes only when something changed since the last. */
static void skip_cpu(struct cpu *c, struct ptsync_run *run, struct mm_struct *mm,
		     struct gather_test *t)
{
	struct mmu_gather tlb;

	(void)run;		/* a gather_body_fn: not needed here */
	tlb_gather_mmu_fullmm(&tlb, mm);
	tlb_flush_mmu_tlbonly(&tlb);
	t->flushes_empty = READ_ONCE(c->stats.tlb_flushes);
	tlb_track_range(&tlb, 0, PAGE_SIZE);		/* an entry cleared */
	tlb_flush_mmu_tlbonly(&tlb);
	t->flushes_cleared = READ_ONCE(c->stats.tlb_flushes);
	tlb_flush_mmu_tlbonly(&tlb);
	t->flushes_again = READ_ONCE(c->stats.tlb_flushes);
	tlb.unshared_tables = true;
	tlb_flush_mmu_tlbonly(&tlb);
	t->flushes_unshared = READ_ONCE(c->stats.tlb_flushes);
	tlb_finish_mmu(&tlb);
}

/*
 * GFP_NOWAIT never sleeps, even when the pool may wait: an empty pool
 * answers NULL at once.  The waiting is at tlb_gather_mmu(), which holds
 * what it reserved against other takers.
 */
static void nowait_cpu(struct cpu *c, struct ptsync_run *run, struct mm_struct *mm,
		       struct gather_test *t)
{
	struct batch_pool *p = &run->batches;
	struct mmu_table_batch *b;
	struct mmu_gather tlb;
	uint64_t t0;

	(void)c;		/* a gather_body_fn: not needed here */
	p->may_wait = true;
	b = tlb_batch_alloc_nowait(p, NULL);		/* the pool's only batch */
	t0 = ktime_get_ns();
	t->second_null = b && !tlb_batch_alloc_nowait(p, NULL);
	t->quick = ktime_get_ns() - t0 < NSEC_PER_SEC;
	tlb_batch_free(p, b);
	tlb_gather_mmu(&tlb, mm);
	t->reserved = tlb.batches_reserved == 1;
	t->other_null = !tlb_batch_alloc_nowait(p, NULL);
	b = tlb_batch_alloc_nowait(p, &tlb.batches_reserved);
	t->own_ok = b && tlb.batches_reserved == 0;
	if (b)
		tlb_batch_free(p, b);
	tlb_finish_mmu(&tlb);
	p->may_wait = false;
}

static void gather_cpu(struct cpu *c)
{
	struct gather_test *t = c->run->priv;

	if (c->id == 0)
		t->body(c, c->run, &c->run->mms[0], t);
}

static struct gather_test run_test(gather_body_fn *body, const struct pt_sync_ops *ops,
				   unsigned int pool, double fail, int *leaked,
				   uint64_t *freed_batched, uint64_t *freed_one)
{
	struct ptsync_config cfg;
	struct ptsync_run *run;
	struct gather_test t;

	memset(&t, 0, sizeof(t));
	t.body = body;
	test_config(&cfg, 2, ops);
	cfg.batch_pool = pool;
	cfg.batch_fail = fail;
	run = test_run_start(&cfg, gather_cpu, &t);
	cpus_stop(run);
	*leaked = ptsync_run_drain(run);
	*freed_batched = READ_ONCE(run->stats.tables_freed_batched);
	*freed_one = READ_ONCE(run->stats.tables_freed_one);
	ptsync_run_destroy(run);
	free(run);
	return t;
}

int main(void)
{
	uint64_t batched, one;
	struct gather_test t;
	int leaked;

	ok(MAX_TABLE_BATCH == 509 && sizeof(struct mmu_table_batch) == 24,
	   "a batch page holds 509 tables behind a 24-byte header");

	t = run_test(batch_cpu, &rcu_sync_ops, 4, 0, &leaked, &batched, &one);
	ok(t.flushed_at_509, "the 509th table fills the batch and flushes it to call_rcu");
	ok(t.new_batch_holds_one, "the 510th starts a new batch");
	ok(t.past_page_intact,
	   "the 510th table is not stored past the end of the batch page (%s)",
	   t.past_page_in_pool ? "the word after it is intact" : "cannot look: no pool page after it");
	ok(t.flushed_total == 2, "tlb_finish_mmu() flushes the partial batch (%d flushes)",
	   t.flushed_total);
	ok(t.fallbacks == 0, "no fallback while batches can be had");
	ok(batched >= 510 && one == 0, "all 510 freed by RCU callbacks (%llu batched, %llu one by one)",
	   (unsigned long long)batched, (unsigned long long)one);
	ok(leaked == 0, "no live objects after rcu_barrier() (%d)", leaked);

	t = run_test(exhaust_cpu, &rcu_sync_ops, 1, 0, &leaked, &batched, &one);
	ok(t.exhausted == 1 && t.fallbacks == 1 && t.syncs == 1,
	   "pool exhausted: the table takes the fallback and one sync (%llu/%llu/%llu)",
	   (unsigned long long)t.exhausted, (unsigned long long)t.fallbacks,
	   (unsigned long long)t.syncs);
	ok(t.gp_after > t.gp_before, "rcu: the fallback waited for a grace period");
	ok(t.freed_at_once, "... then freed the table at once");
	ok(leaked == 0, "no live objects after the run (%d)", leaked);

	t = run_test(inject_cpu, &none_sync_ops, 4, 1.0, &leaked, &batched, &one);
	ok(t.fallbacks == 10 && t.injected == 10 && one >= 10,
	   "--batch-fail=1: all 10 tables take the fallback (%llu)",
	   (unsigned long long)t.fallbacks);

	t = run_test(map_cpu, &rcu_sync_ops, 4, 0, &leaked, &batched, &one);
	ok(t.mapped == 512, "map_range of 2 MiB maps 512 pages (%ld)", t.mapped);
	ok(t.mapped_huge == 512, "a huge map_range maps the same 512 pages as one PMD leaf");
	ok(t.pt_live_mapped - t.pt_live_unmapped == 5,
	   "mapping built 5 tables (PUD+PMD+PTE, and PUD+PMD for the leaf): %lld",
	   (long long)(t.pt_live_mapped - t.pt_live_unmapped));
	ok(t.folios_live_mapped == 513 && t.folios_live_unmapped == 0,
	   "513 folios while mapped, none after munmap (%lld, %lld)",
	   (long long)t.folios_live_mapped, (long long)t.folios_live_unmapped);
	ok(leaked == 0, "exit_mmap() of every mm leaves no live object (%d)", leaked);

	t = run_test(order_cpu, &probe_sync_ops, 4, 1.0, &leaked, &batched, &one);
	ok(t.sync_calls == 1, "fallback: the strategy's sync runs once per table (%d)", t.sync_calls);
	ok(t.flushed_before_sync, "fallback: the TLB is flushed before the sync");
	ok(t.live_at_sync && t.freed_after, "fallback: the table is freed after the sync, not before");

	ok(MAX_GATHER_BATCH == 510 && MAX_GATHER_BATCH_COUNT == 19,
	   "a page batch holds 510 pages; 19 chain behind the gather's %d slots",
	   MMU_GATHER_BUNDLE);
	t = run_test(pages_cpu, &rcu_sync_ops, 4, 0, &leaked, &batched, &one);
	ok(t.full_count == 1 && t.full_at == MMU_GATHER_BUNDLE + 510 * 19 && t.chained == 19,
	   "pages: one flush, at page %u of %u, with %u batch pages chained",
	   t.full_at, (unsigned int)(MMU_GATHER_BUNDLE + 510 * 19), t.chained);
	ok(leaked == 0, "... and every page freed after it (%d)", leaked);
	t = run_test(skip_cpu, &rcu_sync_ops, 4, 0, &leaked, &batched, &one);
	ok(t.flushes_empty == 0, "fullmm: nothing cleared, nothing flushed (%llu)",
	   (unsigned long long)t.flushes_empty);
	ok(t.flushes_cleared == 1 && t.flushes_again == 1,
	   "fullmm: a cleared entry is flushed once, and not again (%llu, %llu)",
	   (unsigned long long)t.flushes_cleared, (unsigned long long)t.flushes_again);
	ok(t.flushes_unshared == 2, "fullmm: an unshared table is flushed (%llu)",
	   (unsigned long long)t.flushes_unshared);

	t = run_test(nowait_cpu, &rcu_sync_ops, 1, 0, &leaked, &batched, &one);
	ok(t.second_null && t.quick,
	   "GFP_NOWAIT: an empty pool that may wait still fails at once, no sleep");
	ok(t.reserved && t.other_null && t.own_ok,
	   "tlb_gather_mmu() reserves the batch: others cannot take it, the gather can");

	test_walker_inside();
	return done_testing();
}
