// SPDX-License-Identifier: MIT
/*
 * khugepaged's collapse: the huge PMD it installs, the table it deposits
 * or frees, the ways it gives up, and a walker inside the old PTE table.
 *
 * What breaks if these fail: a deposited table that is not accounted
 * leaks (or is freed twice at unmap); a collapse that does not give up
 * cleanly changes a region it had no business changing; and if a walker
 * still inside the old table when it is reused were not a violation under
 * `none`, the torture test could not tell a collapse that syncs from one
 * that does not - so every safe strategy must also keep that walker out.
 */
#include <string.h>

#include "ptsync/gup.h"
#include "ptsync/torture.h"
#include "harness.h"

#define RACE_HOLD_NS	(100 * NSEC_PER_MSEC)	/* the walker's stay, at most */

struct collapse_test {
	/* basic */
	int result, huge, payload_ok, pages_ok, deposited, owner_ok, listed;
	int64_t pt_delta, folio_delta, pt_after_unmap;
	uint64_t withdrawn;
	int freed_after_unmap;
	/* give-ups */
	int partial, mapped, none, pinned, restored, restored_live;
	/* file-backed: freed, not deposited */
	int freed_result, freed_state_now, freed_state_later;
	uint64_t upstream, upstream_deposit, file_syncs, file_events;
	/* file-backed under another CPU's mmap_read_lock */
	_Atomic int reader_in, file_done;
	int done_under_reader, file_locked_result;
	/* the race */
	struct walk_hold hold;
	bool file;			/* race a file-backed collapse */
	uint64_t violations, collapse_violations;
};

static uint64_t region(int r)
{
	return torture_region_addr((unsigned int)r);
}

static pgent_t *pmd_at(struct mm_struct *mm, uint64_t addr)
{
	return mm_find_pmd(mm, addr);
}

static void collapse_basic(struct cpu *c, struct mm_struct *mm, struct collapse_test *t)
{
	struct ptsync_run *run = c->run;
	uint64_t a = region(0);
	int64_t pt0 = READ_ONCE(run->pt.live), pt1, f1;
	struct folio *pages[16];
	pgent_t *pte;
	struct ptdesc *pd;
	int nr;

	map_range(mm, a, PMD_SIZE, false);
	pt1 = READ_ONCE(run->pt.live);
	f1 = READ_ONCE(run->folios.live);
	pte = pfn_to_table(&run->pt, pt_pfn(READ_ONCE(*pmd_at(mm, a))));
	pd = virt_to_ptdesc(&run->pt, pte);
	t->upstream_deposit = READ_ONCE(c->stats.site_upstream[CALLSITE_COLLAPSE]);
	t->result = khugepaged_collapse(mm, a + 5 * PAGE_SIZE, true);
	t->upstream_deposit = READ_ONCE(c->stats.site_upstream[CALLSITE_COLLAPSE]) -
			      t->upstream_deposit;
	t->huge = pt_huge(READ_ONCE(*pmd_at(mm, a)));
	nr = gup_fast(mm, a + 100 * PAGE_SIZE, 16, pages);
	t->pages_ok = nr == 16 && pages[0] == pages[15] && pages[0]->order == HPAGE_PMD_ORDER;
	t->payload_ok = nr == 16 && READ_ONCE(pages[0]->payload) ==
			folio_payload(mm, READ_ONCE(mm->incarnation), a);
	gup_check_and_put(c, mm, READ_ONCE(mm->incarnation), a + 100 * PAGE_SIZE, nr, pages);
	t->deposited = READ_ONCE(pd->state) == PT_DEPOSITED;
	t->owner_ok = READ_ONCE(pd->mm) == mm;
	t->listed = virt_to_ptdesc(&run->pt, pt_table_of(&run->pt, pmd_at(mm, a)))->pmd_huge_pte ==
		    pt_table_pfn(&run->pt, pte);
	t->pt_delta = READ_ONCE(run->pt.live) - pt1;
	t->folio_delta = READ_ONCE(run->folios.live) - f1;
	munmap_range(mm, a, PMD_SIZE);
	rcu_barrier();
	t->withdrawn = READ_ONCE(run->khugepaged.withdrawn);
	t->freed_after_unmap = READ_ONCE(pd->state) == PT_FREE;
	t->pt_after_unmap = READ_ONCE(run->pt.live) - pt0;
}

static void collapse_gives_up(struct cpu *c, struct mm_struct *mm, struct collapse_test *t)
{
	struct ptsync_run *run = c->run;
	uint64_t a = region(1), pmd;
	struct folio *f;
	pgent_t *pte;

	map_range(mm, a, PMD_SIZE - PAGE_SIZE, false);
	t->partial = khugepaged_collapse(mm, a, true) == SCAN_EXCEED_NONE_PTE;
	munmap_range(mm, a, PMD_SIZE);
	map_range(mm, a, PMD_SIZE, true);
	t->mapped = khugepaged_collapse(mm, a, true) == SCAN_PMD_MAPPED;
	munmap_range(mm, a, PMD_SIZE);
	t->none = khugepaged_collapse(mm, region(2), true) == SCAN_PMD_NULL;

	/* A walker's pin on one small page: give up after the clear. */
	map_range(mm, a, PMD_SIZE, false);
	pmd = READ_ONCE(*pmd_at(mm, a));
	pte = pfn_to_table(&run->pt, pt_pfn(pmd));
	f = pfn_to_folio(&run->folios, pt_pfn(READ_ONCE(pte[7])));
	folio_ref_try_add(f, 1);
	t->pinned = khugepaged_collapse(mm, a, true) == SCAN_PAGE_COUNT;
	t->restored = READ_ONCE(*pmd_at(mm, a)) == pmd;
	t->restored_live = READ_ONCE(virt_to_ptdesc(&run->pt, pte)->state) == PT_LIVE;
	folio_put(&run->folios, f);
	munmap_range(mm, a, PMD_SIZE);
}

/* File-backed: the old table goes to pte_free_defer(), for every strategy. */
static void collapse_frees(struct cpu *c, struct mm_struct *mm, struct collapse_test *t)
{
	struct ptsync_run *run = c->run;
	uint64_t a = region(3);
	struct ptdesc *pd;

	map_range(mm, a, PMD_SIZE, false);
	pd = virt_to_ptdesc(&run->pt, pfn_to_table(&run->pt, pt_pfn(READ_ONCE(*pmd_at(mm, a)))));
	t->upstream = READ_ONCE(c->stats.site_upstream[CALLSITE_COLLAPSE]);
	t->file_syncs = READ_ONCE(c->stats.site_syncs[CALLSITE_COLLAPSE]);
	t->file_events = READ_ONCE(c->stats.site_events[CALLSITE_COLLAPSE]);
	t->freed_result = khugepaged_collapse(mm, a, false);
	t->upstream = READ_ONCE(c->stats.site_upstream[CALLSITE_COLLAPSE]) - t->upstream;
	t->file_syncs = READ_ONCE(c->stats.site_syncs[CALLSITE_COLLAPSE]) - t->file_syncs;
	t->file_events = READ_ONCE(c->stats.site_events[CALLSITE_COLLAPSE]) - t->file_events;
	t->freed_state_now = READ_ONCE(pd->state);
	rcu_barrier();
	t->freed_state_later = READ_ONCE(pd->state);
	munmap_range(mm, a, PMD_SIZE);
}

static void single_cpu(struct cpu *c)
{
	struct collapse_test *t = c->run->priv;
	struct mm_struct *mm = &c->run->mms[0];

	if (c->id)
		return;
	switch_mm(c, mm);
	collapse_basic(c, mm, t);
	collapse_gives_up(c, mm, t);
	collapse_frees(c, mm, t);
	switch_mm(c, NULL);
}

/* CPU 0 collapses the region CPU 1 is walking. */
static void race_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct collapse_test *t = run->priv;
	struct mm_struct *mm = &run->mms[0];
	uint64_t a = region(0);

	switch_mm(c, mm);
	if (c->id == 0) {
		map_range(mm, a, PMD_SIZE, false);
		walk_hold_arm(&t->hold);
		khugepaged_collapse(mm, a, !t->file);
		walk_hold_done(&t->hold);
		t->violations = READ_ONCE(run->violations.total);
		t->collapse_violations = READ_ONCE(run->violations.by_site[CALLSITE_COLLAPSE]);
	} else if (c->id == 1) {
		walk_hold_walk(c, &t->hold, mm, a + 8 * PAGE_SIZE);
	}
	switch_mm(c, NULL);
}

/*
 * CPU 1 holds the mm's mmap_lock for read while CPU 0 collapses a
 * file-backed region: upstream's retract needs no write lock, so the
 * collapse finishes while the reader is still in (CPU 1 lets go after 2 s
 * at most, so a collapse that wants the write lock fails the test rather
 * than hangs it).
 */
static void file_lock_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct collapse_test *t = run->priv;
	struct mm_struct *mm = &run->mms[0];
	uint64_t a = region(4), end;

	if (c->id == 1) {
		WAIT_FOR(READ_ONCE(t->hold.step) == 1);
		mmap_read_lock(mm);
		WRITE_ONCE(t->reader_in, 1);
		end = ktime_get_ns() + 2 * NSEC_PER_SEC;
		while (!READ_ONCE(t->file_done) && ktime_get_ns() < end)
			cpu_relax();
		t->done_under_reader = READ_ONCE(t->file_done);
		mmap_read_unlock(mm);
		WRITE_ONCE(t->hold.step, 2);
		return;
	}
	if (c->id)
		return;
	map_range(mm, a, PMD_SIZE, false);
	WRITE_ONCE(t->hold.step, 1);
	WAIT_FOR(READ_ONCE(t->reader_in));
	t->file_locked_result = khugepaged_collapse(mm, a, false);
	WRITE_ONCE(t->file_done, 1);
	WAIT_FOR(READ_ONCE(t->hold.step) == 2);
	munmap_range(mm, a, PMD_SIZE);
}

static int run_single(const struct pt_sync_ops *ops, struct collapse_test *t)
{
	return test_run(2, ops, single_cpu, t, sizeof(*t));
}

/* The walker held inside the old PTE table while CPU 0 collapses it. */
static int run_race(const struct pt_sync_ops *ops, struct collapse_test *t, bool file)
{
	struct ptsync_config cfg;

	memset(t, 0, sizeof(*t));
	t->file = file;
	test_config(&cfg, 2, ops);
	return walk_hold_run(&cfg, race_cpu, t, &t->hold, PT_PTE, RACE_HOLD_NS);
}

static void race_tests(void)
{
	struct collapse_test t;
	int file_leaked;

	for (int i = 0; pt_sync_ops_all[i]; i++) {
		const struct pt_sync_ops *ops = pt_sync_ops_all[i];
		int leaked;

		if (!pt_sync_safe(ops) && !ops->baseline)
			continue;	/* the twins are torture's to catch */
		leaked = run_race(ops, &t, false);
		if (ops->baseline) {
			ok(t.hold.done_while_inside && t.collapse_violations >= 1 &&
			   t.violations == t.collapse_violations,
			   "%s: a walker inside the old PTE table when it is deposited is a "
			   "violation charged to collapse (%llu)", ops->name,
			   (unsigned long long)t.collapse_violations);
		} else {
			ok(!t.hold.done_while_inside && t.violations == 0,
			   "%s: the collapse waits for the walker inside the old PTE table "
			   "(%llu violations)", ops->name, (unsigned long long)t.violations);
		}
		ok(leaked == 0, "%s: no live objects after the run (%d)", ops->name, leaked);
	}
	/* File-backed, even `none`: pte_free_defer() waits for the walker
	 * (IRQs off is an RCU reader), and the collapse does not wait. */
	file_leaked = run_race(&none_sync_ops, &t, true);
	ok(t.hold.done_while_inside && t.violations == 0 && file_leaked == 0,
	   "none, file-backed: the collapse ends while the walker is inside, and the "
	   "deferred free waits for it (%llu violations, %d live)",
	   (unsigned long long)t.violations, file_leaked);
}

int main(void)
{
	struct collapse_test t;
	int leaked;

	leaked = run_single(&rcu_sync_ops, &t);
	ok(t.result == SCAN_SUCCEED && t.huge, "a fully populated region collapses into a huge PMD (%s)",
	   scan_result_name(t.result));
	ok(t.pages_ok && t.payload_ok, "gup_fast finds the huge folio there, made for this mapping");
	ok(t.deposited && t.owner_ok && t.listed,
	   "the old PTE table is deposited: kept, owned by the mm, on its PMD table's list");
	ok(t.pt_delta == 0 && t.folio_delta == 1 - PTRS_PER_TABLE,
	   "accounted: tables live +%lld (kept), folios %lld (512 small out, one huge in)",
	   (long long)t.pt_delta, (long long)t.folio_delta);
	ok(t.withdrawn == 1 && t.freed_after_unmap && t.pt_after_unmap == 0,
	   "unmapping the huge PMD frees its deposit: tables live back to before (%+lld)",
	   (long long)t.pt_after_unmap);
	ok(t.partial, "a region missing one page is not collapsed");
	ok(t.mapped && t.none, "an already huge PMD, or no table at all, is left alone");
	ok(t.pinned && t.restored && t.restored_live,
	   "a pinned small page: the collapse gives up after the clear and puts the PMD back");
	ok(t.freed_result == SCAN_SUCCEED && t.freed_state_now == PT_DETACHED &&
	   t.freed_state_later == PT_FREE,
	   "file-backed, rcu: the old table goes to pte_free_defer(), freed after a grace period");
	ok(t.file_syncs == 0 && t.upstream == 0 && t.file_events == 0,
	   "file-backed: no sync, not the collapse call site (%llu syncs, %llu events)",
	   (unsigned long long)t.file_syncs, (unsigned long long)t.file_events);
	ok(leaked == 0, "no live objects after the run (%d)", leaked);

	leaked = run_single(&pt_reclaim_sync_ops, &t);
	ok(t.freed_result == SCAN_SUCCEED && t.freed_state_now == PT_DETACHED &&
	   t.freed_state_later == PT_FREE && t.upstream == 0 && t.file_syncs == 0,
	   "pt-reclaim, file-backed: the same pte_free_defer() as every strategy");
	ok(t.upstream_deposit == 1,
	   "pt-reclaim where the collapse deposits: upstream's broadcast, counted (%llu)",
	   (unsigned long long)t.upstream_deposit);
	ok(leaked == 0, "pt-reclaim: no live objects after the run (%d)", leaked);

	leaked = test_run(2, &ipi_sync_ops, file_lock_cpu, &t, sizeof(t));
	ok(t.file_locked_result == SCAN_SUCCEED && t.done_under_reader,
	   "file-backed: the collapse completes while another CPU holds mmap_lock for read "
	   "(%s)", scan_result_name(t.file_locked_result));
	ok(leaked == 0, "... no live objects after the run (%d)", leaked);

	race_tests();
	return done_testing();
}
