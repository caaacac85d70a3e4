// SPDX-License-Identifier: MIT
/*
 * hugetlb PMD sharing: share counts, who frees the table, the per-gather
 * and per-unshare syncs, and a walker inside a table while its mm
 * unshares it and the mm left holding it reuses it.
 *
 * What breaks if these fail: a share count that does not go back to zero
 * leaks the table, or frees it under another mm; a walker of a sharing mm
 * flagged as in "another mm's table" would make torture cry wolf; a gather
 * that ends with an unshare not synced is the bug the per-gather change
 * must not bring (tlb_finish_mmu() refuses it); and if the walker caught
 * in a reused table were not a violation under `none`, torture could not
 * tell an unshare that syncs from one that does not.
 */
#include <string.h>

#include "ptsync/gup.h"
#include "ptsync/hugetlb.h"
#include "ptsync/torture.h"
#include "harness.h"

#define RACE_HOLD_NS	(100 * NSEC_PER_MSEC)

struct share_test {
	/* sharing */
	int same_table, counts_ok, walks_ok, was_shared;
	uint64_t walk_violations;
	/* unshares, one mm after another */
	int count_after[3], freed_by_last, last_frees_one;
	uint64_t full_unshares;
	/* gathers */
	uint64_t syncs_first_exit, syncs_second_exit, unshares_per_unshare_mode;
	int flags_clear;
	/* fork then exit */
	int reshared;
	/* the race */
	struct walk_hold hold;
	int reused;
	uint64_t violations, unshare_violations;
};

static struct hugetlb_file *file(struct ptsync_run *run)
{
	return run->hugetlb;
}

static pgent_t *slot_table(struct mm_struct *mm, unsigned int slot)
{
	pud_t *pudp = pt_entry_find(mm, hugetlb_slot_addr(mm->run->hugetlb, slot), PT_PUD);
	uint64_t e = pudp ? READ_ONCE(*pudp) : 0;

	return pt_present(e) ? pfn_to_table(&mm->run->pt, pt_pfn(e)) : NULL;
}

static int share_count(struct ptsync_run *run, pgent_t *table)
{
	return READ_ONCE(virt_to_ptdesc(&run->pt, table)->pt_share_count);
}

static uint64_t unshare_syncs(struct cpu *c)
{
	return READ_ONCE(c->stats.site_syncs[CALLSITE_UNSHARE]);
}

/* Three mms map the file: one table per slot, count 2, walkable by all. */
static void sharing(struct cpu *c, struct share_test *t)
{
	struct ptsync_run *run = c->run;
	pgent_t *table = slot_table(&run->mms[0], 1);
	struct folio *pages[8];

	t->same_table = table && slot_table(&run->mms[1], 1) == table &&
			slot_table(&run->mms[2], 1) == table;
	t->counts_ok = table && share_count(run, table) == 2;
	t->was_shared = table && READ_ONCE(virt_to_ptdesc(&run->pt, table)->pt_was_shared);
	t->walks_ok = 1;
	for (int i = 0; i < 3; i++) {
		struct mm_struct *mm = &run->mms[i];
		uint64_t a = hugetlb_slot_addr(file(run), 1) + 3 * PMD_SIZE + 5 * PAGE_SIZE;
		int nr;

		switch_mm(c, mm);
		nr = gup_fast(mm, a, 8, pages);
		t->walks_ok &= nr == 8 && READ_ONCE(pages[0]->file) == file(run);
		gup_check_and_put(c, mm, READ_ONCE(mm->incarnation), a, nr, pages);
	}
	switch_mm(c, NULL);
	t->walk_violations = READ_ONCE(run->violations.total);
}

/* Each mm unmaps slot 0 in turn: 2 -> 1 -> 0, and the last one frees it. */
static void unshare_in_turn(struct cpu *c, struct share_test *t)
{
	struct ptsync_run *run = c->run;
	struct hugetlb_file *f = file(run);
	pgent_t *table = slot_table(&run->mms[0], 0);
	struct ptdesc *pd = virt_to_ptdesc(&run->pt, table);
	uint64_t freed0 = READ_ONCE(f->stats.tables_freed);

	for (int i = 0; i < 3; i++) {
		munmap_range(&run->mms[i], hugetlb_slot_addr(f, 0), PUD_SIZE);
		t->count_after[i] = i < 2 ? share_count(run, table) : -1;
	}
	t->full_unshares = READ_ONCE(f->stats.full_unshares);
	t->last_frees_one = READ_ONCE(f->stats.tables_freed) - freed0 == 1;
	rcu_barrier();
	t->freed_by_last = READ_ONCE(pd->state) == PT_FREE;
}

/*
 * Per-gather: the first of three mms to unshare everything leaves the
 * tables shared (no sync, none owed); the second leaves them exclusive:
 * one sync for the whole gather, and the gather's flags clear before it
 * ends.  Then the first comes back (fork) and shares again.
 */
static void gathers(struct cpu *c, struct share_test *t)
{
	struct ptsync_run *run = c->run;
	struct hugetlb_file *f = file(run);
	uint64_t s0 = unshare_syncs(c);
	struct mmu_gather tlb;

	mmap_write_lock(&run->mms[0]);
	tlb_gather_mmu(&tlb, &run->mms[0]);
	__unmap_hugepage_range(&tlb, f->base, hugetlb_end(f), false);
	t->flags_clear = !tlb.fully_unshared_tables && !tlb.unshared_unsynced;
	tlb_finish_mmu(&tlb);
	mmap_write_unlock(&run->mms[0]);
	t->syncs_first_exit = unshare_syncs(c) - s0;

	s0 = unshare_syncs(c);
	mmap_write_lock(&run->mms[1]);
	tlb_gather_mmu(&tlb, &run->mms[1]);
	__unmap_hugepage_range(&tlb, f->base, hugetlb_end(f), false);
	t->flags_clear &= !tlb.fully_unshared_tables && !tlb.unshared_unsynced;
	tlb_finish_mmu(&tlb);
	mmap_write_unlock(&run->mms[1]);
	t->syncs_second_exit = unshare_syncs(c) - s0;

	/* Fork-then-exit: the first mm goes and comes back sharing. */
	mm_exit_owner(&run->mms[0]);
	mm_recreate(&run->mms[0]);
	t->reshared = slot_table(&run->mms[0], 1) == slot_table(&run->mms[2], 1) &&
		      slot_table(&run->mms[0], 1) &&
		      share_count(run, slot_table(&run->mms[0], 1)) == 1;
}

static void single_cpu(struct cpu *c)
{
	struct share_test *t = c->run->priv;

	if (c->id)
		return;
	sharing(c, t);
	unshare_in_turn(c, t);
	gathers(c, t);
}

/* Per-unshare: every unshare syncs, shared or not. */
static void per_unshare_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct share_test *t = run->priv;
	uint64_t s0;

	if (c->id)
		return;
	s0 = unshare_syncs(c);
	mm_exit_owner(&run->mms[0]);	/* still shared by two: syncs anyway */
	mm_exit_owner(&run->mms[1]);
	t->unshares_per_unshare_mode = unshare_syncs(c) - s0;
}

/* CPU 1 walks mm 0's slot 0; CPU 0 unmaps it there and mm 1 reuses it. */
static void race_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct share_test *t = run->priv;
	struct mm_struct *a = &run->mms[0], *b = &run->mms[1];
	uint64_t addr = hugetlb_slot_addr(file(run), 0) + 2 * PMD_SIZE;

	if (c->id == 0) {
		walk_hold_arm(&t->hold);
		munmap_range(a, addr & ~(PUD_SIZE - 1), PUD_SIZE);
		mmap_write_lock(b);
		t->reused = hugetlb_reuse_slot(b, addr, PAGE_SIZE);
		mmap_write_unlock(b);
		walk_hold_done(&t->hold);
		t->violations = READ_ONCE(run->violations.total);
		t->unshare_violations = READ_ONCE(run->violations.by_site[CALLSITE_UNSHARE]);
	} else if (c->id == 1) {
		switch_mm(c, a);
		walk_hold_walk(c, &t->hold, a, addr);
		switch_mm(c, NULL);
	}
}

static void share_config(struct ptsync_config *cfg, const struct pt_sync_ops *ops, int mms,
			 int mode)
{
	test_config(cfg, 2, ops);
	cfg->nr_mms = mms;
	cfg->callsites = CALLSITE_BIT(CALLSITE_FALLBACK) | CALLSITE_BIT(CALLSITE_UNSHARE);
	cfg->shared_regions = 2;
	cfg->unshare_sync = mode;
}

static int run_share(const struct pt_sync_ops *ops, int mms, int mode, cpu_fn_t fn,
		     struct share_test *t)
{
	struct ptsync_config cfg;

	memset(t, 0, sizeof(*t));
	share_config(&cfg, ops, mms, mode);
	return test_run_finish(test_run_start(&cfg, fn, t));
}

/* The walker held inside the shared PMD table while CPU 0 unshares it. */
static int run_race(const struct pt_sync_ops *ops, int mode, struct share_test *t)
{
	struct ptsync_config cfg;

	memset(t, 0, sizeof(*t));
	share_config(&cfg, ops, 2, mode);
	return walk_hold_run(&cfg, race_cpu, t, &t->hold, PT_PMD, RACE_HOLD_NS);
}

/* What must end a gather with an unshare not synced: a BUG, not a warning. */
static void unsynced_gather(void *arg)
{
	struct ptsync_config cfg;
	struct ptsync_run *run = calloc(1, sizeof(*run));
	struct mmu_gather tlb;

	(void)arg;
	share_config(&cfg, &ipi_sync_ops, 2, UNSHARE_SYNC_PER_GATHER);
	if (!run || ptsync_run_init(run, &cfg))
		_exit(1);
	tlb_gather_mmu(&tlb, &run->mms[0]);
	tlb.fully_unshared_tables = true;	/* an unshare, no tlb_flush_unshared_tables() */
	tlb_finish_mmu(&tlb);
	_exit(0);
}

static void race_tests(int mode)
{
	struct share_test t;

	for (int i = 0; pt_sync_ops_all[i]; i++) {
		const struct pt_sync_ops *ops = pt_sync_ops_all[i];
		int leaked;

		if (!pt_sync_safe(ops) && !ops->baseline)
			continue;	/* the twins are torture's to catch */
		leaked = run_race(ops, mode, &t);
		if (ops->baseline)
			ok(t.reused && t.hold.done_while_inside && t.unshare_violations >= 1 &&
			   t.violations == t.unshare_violations,
			   "%s %s: a walker inside the table its mm unshares, reused by the "
			   "other, is a violation charged to unshare (%llu)", ops->name,
			   unshare_sync_name(mode), (unsigned long long)t.unshare_violations);
		else
			ok(t.reused && !t.hold.done_while_inside && t.violations == 0,
			   "%s %s: the unshare waits for the walker inside the table (%llu "
			   "violations)", ops->name, unshare_sync_name(mode),
			   (unsigned long long)t.violations);
		ok(leaked == 0, "%s %s: no live objects after the run (%d)", ops->name,
		   unshare_sync_name(mode), leaked);
	}
}

int main(void)
{
	struct share_test t;
	char err[4096];
	int leaked, status;

	leaked = run_share(&ipi_sync_ops, 3, UNSHARE_SYNC_PER_GATHER, single_cpu, &t);
	ok(t.same_table && t.counts_ok && t.was_shared,
	   "three mms mapping the file share one PMD table per slot, share count 2");
	ok(t.walks_ok && t.walk_violations == 0,
	   "GUP-fast walks the shared table from each of them, finds the file's folio, "
	   "no violation (%llu)", (unsigned long long)t.walk_violations);
	ok(t.count_after[0] == 1 && t.count_after[1] == 0,
	   "unsharing drops the count: 2 -> %d -> %d", t.count_after[0], t.count_after[1]);
	ok(t.last_frees_one && t.freed_by_last,
	   "the last sharer frees the table, through tlb_remove_table()");
	ok(t.syncs_first_exit == 0 && t.syncs_second_exit == 1,
	   "per-gather: no sync while the tables stay shared (%llu), one for the gather "
	   "that leaves two exclusive (%llu)", (unsigned long long)t.syncs_first_exit,
	   (unsigned long long)t.syncs_second_exit);
	ok(t.flags_clear, "per-gather: no gather ends with an unshare not synced");
	ok(t.reshared, "fork-then-exit: the mm comes back and shares the table again");
	ok(leaked == 0, "every share count back to zero: no live objects after the run (%d)",
	   leaked);

	leaked = run_share(&targeted_sync_ops, 3, UNSHARE_SYNC_PER_GATHER, single_cpu, &t);
	ok(t.syncs_first_exit == 1 && t.syncs_second_exit == 1 && leaked == 0,
	   "per-gather, a strategy that syncs only its own mm's walkers: every unsharing "
	   "gather syncs (%llu, %llu)", (unsigned long long)t.syncs_first_exit,
	   (unsigned long long)t.syncs_second_exit);

	leaked = run_share(&ipi_sync_ops, 3, UNSHARE_SYNC_PER_UNSHARE, per_unshare_cpu, &t);
	ok(t.unshares_per_unshare_mode == 4,
	   "per-unshare: two mms exiting, two slots each: four syncs (%llu)",
	   (unsigned long long)t.unshares_per_unshare_mode);
	ok(leaked == 0, "per-unshare: no live objects after the run (%d)", leaked);

	status = run_in_child(unsynced_gather, NULL, err, sizeof(err));
	ok(exit_status(status) == 4 && strstr(err, "not synced"),
	   "a gather that ends with an unshared table not synced is a BUG (exit %d)",
	   exit_status(status));

	race_tests(UNSHARE_SYNC_PER_GATHER);
	race_tests(UNSHARE_SYNC_PER_UNSHARE);
	return done_testing();
}
