// SPDX-License-Identifier: MIT
/*
 * GUP-fast: lockless page-table walking, and the checker that watches it.
 *
 * The walk (gup_fast() in the kernel's mm/gup.c): mask IRQs; read each entry
 * exactly once (READ_ONCE) and find the next table from that local copy,
 * never from a second read; bail on anything not present; take a huge leaf
 * whole; for a base page take a folio reference only if the count is not
 * zero, then re-check that the pmd still equals the copy we walked through
 * and the pte still equals a fresh read, else drop the reference and bail;
 * unmask IRQs.  Nothing here takes a lock or writes a page table.
 *
 * The checker rides along.  Before the walk dereferences a table it looks
 * the table up in the arena: a frame outside the arena (a poisoned entry), a
 * free table, or a table of the wrong level or owner (freed and reused) is a
 * violation.  It records each table's generation on the way down and
 * re-reads them all before IRQs are unmasked: a change means a table was
 * freed while this walk was inside it.  A correct strategy frees only after
 * the IRQs-off section ends, so none of this can fire for it.
 *
 * Limit: a table freed and reallocated to the same mm at the same level
 * *before* the walker reaches it passes the lookup (ABA); the generation
 * check and the folio payload check catch the later steps of such a walk.
 */
#include "ptsync/gup.h"
#include "ptsync/hugetlb.h"
#include "ptsync/irqflags.h"
#include "ptsync/run.h"
#include "ptsync/trace.h"

#define GUP_MAX_PATH	16	/* tables checked per walk */

struct gup_walk {
	struct cpu *cpu;
	struct mm_struct *mm;
	struct pt_arena *pt;
	struct folio **pages;
	uint64_t start;
	int nr;
	bool violated;
	int nr_path;
	struct {
		struct ptdesc *pd;
		uint64_t gen;
		int level;
	} path[GUP_MAX_PATH];
};

static void gup_violation(struct gup_walk *w, enum violation_kind kind,
			  int level, uint64_t addr, int site)
{
	if (!w->violated && w->cpu)
		report_violation(w->cpu, kind, level, addr, w->mm, site);
	w->violated = true;
}

/*
 * Which call site to charge: the one that last freed or reused the table
 * (ptdesc->site), read when the checker trips.  Reporting only.
 */
static int table_site(const struct ptdesc *pd)
{
	return READ_ONCE(pd->site);
}

/* The site of the table the walk is reading now (the PGD: the fallback's). */
static int path_site(const struct gup_walk *w)
{
	return w->nr_path ? table_site(w->path[w->nr_path - 1].pd) : CALLSITE_FALLBACK;
}

/* Look up the table an entry of @level points to; NULL on a violation. */
static pgent_t *gup_table(struct gup_walk *w, uint64_t e, int level, uint64_t addr)
{
	uint64_t pfn = pt_pfn(e);
	struct ptdesc *pd;
	int state;

	if (e == PT_POISON || pfn >= w->pt->nr) {
		gup_violation(w, V_POISONED_ENTRY, level, addr, path_site(w));
		return NULL;
	}
	pd = &w->pt->desc[pfn];
	if (w->nr_path < GUP_MAX_PATH) {
		/* Acquire: the generation is read before the table's entries;
		 * pairs with the release increment in pt_retire(). */
		w->path[w->nr_path].gen = smp_load_acquire(&pd->gen);
		w->path[w->nr_path].pd = pd;
		w->path[w->nr_path].level = level - 1;
		w->nr_path++;
	}
	state = READ_ONCE(pd->state);
	if (state == PT_FREE) {
		gup_violation(w, V_FREED_TABLE, level - 1, addr, table_site(pd));
		return NULL;
	}
	/* Deposited by khugepaged: reused, as far as a walker goes.  Not
	 * ours: a violation, unless a hugetlb table of a file we map. */
	if (state == PT_DEPOSITED || READ_ONCE(pd->level) != level - 1 ||
	    (READ_ONCE(pd->mm) != w->mm && !hugetlb_table_walkable(pd, w->mm))) {
		gup_violation(w, V_WRONG_TABLE, level - 1, addr, table_site(pd));
		return NULL;
	}
	return pfn_to_table(w->pt, pfn);
}

/* Still inside the IRQs-off section: was anything on our path freed? */
static void gup_check_tables(struct gup_walk *w)
{
	/* Order the generation re-reads after every entry read of the
	 * walk: a walker that read poison sees the new generation too.
	 * Pairs with the smp_wmb() between the generation bump and the
	 * poison stores in pt_retire(). */
	smp_rmb();
	for (int i = 0; i < w->nr_path; i++) {
		if (READ_ONCE(w->path[i].pd->gen) != w->path[i].gen) {
			gup_violation(w, V_GEN_CHANGED, w->path[i].level, w->start,
				      table_site(w->path[i].pd));
			return;
		}
	}
}

static struct folio *gup_leaf_folio(struct gup_walk *w, uint64_t e, int level,
				    uint64_t addr)
{
	uint64_t pfn = pt_pfn(e);
	struct folio_arena *fa = &w->mm->run->folios;

	if (e == PT_POISON || pfn >= fa->nr) {
		gup_violation(w, V_POISONED_ENTRY, level, addr, path_site(w));
		return NULL;
	}
	return pfn_to_folio(fa, pfn);
}

/*
 * Torture's widening of the window in which this walk sits inside a
 * table it has looked up and not yet read (@level: that table's), IRQs
 * still masked: --walk-delay, and under --tlb=pv the host preempting this
 * vCPU, which a PV flush sees in the preempted flag and skips.
 */
static __attribute__((noinline)) void gup_walk_delay(struct gup_walk *w, uint64_t addr,
						     int level)
{
	struct ptsync_run *run = w->mm->run;
	const struct walk_delay *d = &run->cfg.walk_delay;
	struct cpu *c = w->cpu;
	uint64_t ns = d->ns;

	if (!c)
		return;
	if (unlikely(run->gup_enter_hook))
		run->gup_enter_hook(w->mm, addr, level, run->gup_enter_hook_arg);
	if (d->mode == WALK_DELAY_RANDOM) {
		double r = (double)(prandom_u64(&c->rnd) >> 11) * 0x1.0p-53;

		ns = 0;
		if (r < d->p_ticks)
			ns = run->tick_ns * (1 + prandom_below(&c->rnd, WALK_DELAY_TICKS_MAX));
		else if (r < d->p_ticks + d->p_us)
			ns = NSEC_PER_USEC * (1 + prandom_below(&c->rnd, WALK_DELAY_US_MAX));
	}
	if (ns) {
		uint64_t now = ktime_get_ns();

		/* Tell the freers where a walker sits (torture aims there),
		 * a long stay winning over short ones while it lasts.  A
		 * hint only, so relaxed: see torture_walk_hint(). */
		if (ns > run->tick_ns || now > READ_ONCE(run->walk_hint_until)) {
			WRITE_ONCE(run->walk_hint_until, now + ns);
			WRITE_ONCE(run->walk_hint, ((uint64_t)w->mm->id << 32) |
				   ((addr >> PMD_SHIFT) + 1));
		}
		ndelay_spin(ns);
	}
	if (run->cfg.tlb_mode == TLB_PV &&
	    prandom_chance(&c->rnd, run->cfg.preempt_chance)) {
		/* The host deschedules us mid-walk: no interrupt is taken
		 * until we run again.  The flag is the host's word to a
		 * flusher; nothing else orders against it. */
		WRITE_ONCE(c->preempted, 1);
		this_cpu_inc(c->stats.preemptions);
		ndelay_spin(run->cfg.preempt_ns);
		WRITE_ONCE(c->preempted, 0);
	}
}

/*
 * --walk-delay waits inside a PTE table (read from the PMD, not yet read)
 * and inside a hugetlb PMD table (read from the PUD): the two kinds of
 * table a walker can be caught in by a free, a collapse or an unshare.
 */
static bool gup_hugetlb_table(const struct gup_walk *w, const pgent_t *table)
{
	return READ_ONCE(virt_to_ptdesc(w->pt, table)->pt_hugetlb) != NULL;
}

static void gup_race_window(struct gup_walk *w, uint64_t addr)
{
	struct ptsync_run *run = w->mm->run;

	if (unlikely(run->gup_hook))
		run->gup_hook(w->mm, addr, run->gup_hook_arg);
}

static bool gup_fast_pte(struct gup_walk *w, pte_t *ptep, uint64_t pte,
			 pmd_t *pmdp, uint64_t pmd, uint64_t addr)
{
	struct folio *f = gup_leaf_folio(w, pte, PT_PTE, addr);

	if (!f || !folio_ref_try_add(f, 1))
		return false;
	gup_race_window(w, addr);
	/* The reference is taken (full barrier) before these re-reads;
	 * pairs with the unmapper's clear-then-put in zap_leaf(). */
	if (READ_ONCE(*pmdp) != pmd || READ_ONCE(*ptep) != pte) {
		folio_put(&w->mm->run->folios, f);
		return false;
	}
	w->pages[w->nr++] = f;
	return true;
}

/* A huge PMD or PUD leaf: one folio, one reference per page we return. */
static bool gup_fast_leaf(struct gup_walk *w, pgent_t *ep, uint64_t e,
			  int level, uint64_t addr, uint64_t next)
{
	struct folio *f = gup_leaf_folio(w, e, level, addr);
	int refs = (int)((next - addr) >> PAGE_SHIFT);

	if (!f || !folio_ref_try_add(f, refs))
		return false;
	gup_race_window(w, addr);
	/* Same pairing as in gup_fast_pte(). */
	if (READ_ONCE(*ep) != e) {
		folio_put_refs(&w->mm->run->folios, f, refs);
		return false;
	}
	while (refs--)
		w->pages[w->nr++] = f;
	return true;
}

/*
 * Walk [addr, end) below @table of @level.  @parentp/@parent are the entry
 * we came through and the copy of it we walked from (the pmd, at PTE level).
 */
static bool gup_fast_level(struct gup_walk *w, pgent_t *table, int level,
			   uint64_t addr, uint64_t end,
			   pgent_t *parentp, uint64_t parent)
{
	for (uint64_t next; addr < end; addr = next) {
		pgent_t *ep = &table[pt_index(addr, level)];
		/* Read once; everything below walks from this copy. */
		uint64_t e = READ_ONCE(*ep);
		pgent_t *child;

		next = pt_addr_end(addr, end, level);
		if (e == PT_POISON) {
			gup_violation(w, V_POISONED_ENTRY, level, addr, path_site(w));
			return false;
		}
		if (!pt_present(e))
			return false;
		if (level == PT_PTE) {
			if (!gup_fast_pte(w, ep, e, parentp, parent, addr))
				return false;
			continue;
		}
		if (pt_huge(e)) {
			if (!gup_fast_leaf(w, ep, e, level, addr, next))
				return false;
			continue;
		}
		child = gup_table(w, e, level, addr);
		if (!child)
			return false;
		if (level == PT_PMD && unlikely(w->mm->run->walk_delay_on))
			gup_walk_delay(w, addr, PT_PTE);
		else if (level == PT_PUD && unlikely(w->mm->run->walk_delay_on) &&
			 gup_hugetlb_table(w, child))
			gup_walk_delay(w, addr, PT_PMD);
		if (!gup_fast_level(w, child, level - 1, addr, next, ep, e))
			return false;
	}
	return true;
}

static inline __attribute__((always_inline))
int __gup_fast(struct mm_struct *mm, uint64_t start, unsigned int nr_pages,
	       struct folio **pages, const bool protect)
{
	const struct pt_sync_ops *ops = mm->run->ops;
	struct gup_walk w = {
		.cpu = this_cpu(), .mm = mm, .pt = &mm->run->pt, .pages = pages,
		.start = start,
	};
	unsigned long flags = 0;
	pgd_t *pgd;

	if (protect) {
		flags = local_irq_save();
		trace_walk_begin(w.cpu ? w.cpu->id : -1);
		if (ops->walk_begin)
			ops->walk_begin(w.cpu, mm);
	}
	pgd = READ_ONCE(mm->pgd);
	if (pgd)
		gup_fast_level(&w, pgd, PT_PGD, start,
			       start + (uint64_t)nr_pages * PAGE_SIZE, NULL, 0);
	gup_check_tables(&w);
	if (protect) {
		if (ops->walk_end)
			ops->walk_end(w.cpu, mm);
		trace_walk_end(w.cpu ? w.cpu->id : -1);
		local_irq_restore(flags);
	}
	return w.nr;
}

int gup_fast(struct mm_struct *mm, uint64_t start, unsigned int nr_pages,
	     struct folio **pages)
{
	return __gup_fast(mm, start, nr_pages, pages, true);
}

int gup_fast_raw(struct mm_struct *mm, uint64_t start, unsigned int nr_pages,
		 struct folio **pages)
{
	return __gup_fast(mm, start, nr_pages, pages, false);
}

void gup_check_and_put(struct cpu *c, struct mm_struct *mm, uint32_t inc,
		       uint64_t start, int nr, struct folio **pages)
{
	struct folio_arena *fa = &mm->run->folios;
	bool reported = false;

	for (int i = 0; i < nr; i++) {
		struct folio *f = pages[i];
		uint64_t addr = start + (uint64_t)i * PAGE_SIZE;
		uint64_t base = READ_ONCE(f->addr);
		struct hugetlb_file *file = READ_ONCE(f->file);
		/* Anonymous: made for this mapping of this mm.  Page cache of
		 * a hugetlb file: the file's, at this offset, and mapped. */
		uint64_t want = file ? hugetlb_payload(file, base) : folio_payload(mm, inc, base);
		bool ok = READ_ONCE(f->state) == FOLIO_LIVE &&
			  (file ? file == mm->hugetlb : READ_ONCE(f->mm) == mm) &&
			  addr >= base && addr - base < (PAGE_SIZE << f->order) &&
			  READ_ONCE(f->payload) == want;

		if (!ok && !reported) {
			report_violation(c, V_FREED_PAGE, PT_PTE, addr, mm, CALLSITE_FALLBACK);
			reported = true;
		}
		folio_put(fa, f);
	}
}

void gup_set_race_hook(struct ptsync_run *run, gup_race_hook_t fn, void *arg)
{
	run->gup_hook_arg = arg;
	run->gup_hook = fn;
}

void gup_set_enter_hook(struct ptsync_run *run, gup_enter_hook_t fn, void *arg)
{
	run->gup_enter_hook_arg = arg;
	run->gup_enter_hook = fn;
}
