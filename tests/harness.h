/* SPDX-License-Identifier: MIT */
/*
 * A walker held inside a table while another CPU acts on it: the race the
 * khugepaged and hugetlb tests set up the same way (mm/khugepaged_test.c,
 * mm/hugetlb_test.c).  CPU 1 walks (walk_hold_walk()); its race hook, at
 * the level the test wants, holds it inside the table once armed.  CPU 0 arms the hook and
 * lets the walker go (step 1), waits until it is inside, acts (collapse,
 * unshare and reuse), says it is done, and waits for the walk to end
 * (step 2).  done_while_inside says whether CPU 0 finished while the
 * walker was still inside: what a sync must prevent.
 */
#ifndef PTSYNC_TESTS_HARNESS_H
#define PTSYNC_TESTS_HARNESS_H

#include "ptsync/gup.h"
#include "tap.h"

struct walk_hold {
	int level;		/* the table it holds in: PT_PTE, PT_PMD */
	uint64_t hold_ns;	/* the stay, at most */
	_Atomic int step, armed, inside, done;
	int done_while_inside;
};

/*
 * gup_set_enter_hook(run, walk_hold_enter, &hold): once armed, entering a
 * table at hold->level, stay until CPU 0 is done or hold_ns pass.
 */
static void __attribute__((unused))
walk_hold_enter(struct mm_struct *mm, uint64_t addr, int level, void *arg)
{
	struct walk_hold *h = arg;
	uint64_t end = ktime_get_ns() + h->hold_ns;

	(void)mm;
	(void)addr;
	if (level != h->level || !atomic_exchange(&h->armed, 0))
		return;
	WRITE_ONCE(h->inside, 1);
	while (!READ_ONCE(h->done) && ktime_get_ns() < end)
		cpu_relax();
	h->done_while_inside = READ_ONCE(h->done);
}

/* CPU 0, before it acts: arm the hook, let the walker go, wait until it is inside. */
static inline void walk_hold_arm(struct walk_hold *h)
{
	WRITE_ONCE(h->armed, 1);
	WRITE_ONCE(h->step, 1);
	WAIT_FOR(READ_ONCE(h->inside));
}

/*
 * CPU 1, the walker, in @mm: once let go (step 1), GUP-fast 4 pages at
 * @addr (held inside the table once armed), check and unpin what it got,
 * and say the walk ended (step 2).
 */
static inline void walk_hold_walk(struct cpu *c, struct walk_hold *h, struct mm_struct *mm,
				  uint64_t addr)
{
	struct folio *pages[4];
	int nr;

	WAIT_FOR(READ_ONCE(h->step) == 1);
	nr = gup_fast(mm, addr, 4, pages);
	gup_check_and_put(c, mm, READ_ONCE(mm->incarnation), addr, nr, pages);
	WRITE_ONCE(h->step, 2);
}

/* CPU 0, after it acted: say so, and wait for the walk to end. */
static inline void walk_hold_done(struct walk_hold *h)
{
	WRITE_ONCE(h->done, 1);
	WAIT_FOR(READ_ONCE(h->step) == 2);
}

/*
 * Run @fn with @priv as run->priv and walk_hold_enter() holding per @h
 * (inside a table at @level, for @hold_ns at most) set as the enter hook
 * before any CPU runs; returns test_run_finish()'s live objects left.
 */
static int __attribute__((unused))
walk_hold_run(struct ptsync_config *cfg, cpu_fn_t fn, void *priv, struct walk_hold *h,
	      int level, uint64_t hold_ns)
{
	struct ptsync_run *run;

	h->level = level;
	h->hold_ns = hold_ns;
	cfg->walk_delay.ns = 1;		/* reach the enter hook */
	run = test_run_new(cfg, priv);
	gup_set_enter_hook(run, walk_hold_enter, h);
	cpus_start(run, fn);
	return test_run_finish(run);
}

#endif /* PTSYNC_TESTS_HARNESS_H */
