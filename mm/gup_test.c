// SPDX-License-Identifier: MIT
/*
 * GUP-fast: the walk, the re-check, and the checker.
 *
 * What breaks if these fail: without the pmd/pte re-check a walker racing
 * with munmap can pin a page that is already unmapped (and about to be
 * freed and reused); without the checker the torture test cannot see a
 * strategy that frees too early, and `none` would pass.
 */
#include <string.h>

#include "ptsync/gup.h"
#include "ptsync/torture.h"
#include "tap.h"

enum race { RACE_NONE, RACE_CLEAR_PTE, RACE_CLEAR_PMD, RACE_FREE_PTE_TABLE };

struct gup_test {
	enum race race;
	uint64_t saved_pte, saved_pmd;
	pgent_t *ptep, *pmdp;
	/* results */
	int basic_nr, basic_refs_ok, basic_refs_back, basic_clean;
	int huge_nr, huge_same_folio, huge_refs;
	int pte_race_nr, pte_race_ref_dropped;
	int pmd_race_nr, pmd_race_ref_dropped;
	int huge_race_nr, huge_race_refs_dropped;
	int frozen_nr, frozen_still_zero;
	int none_nr;
	uint64_t v_gen, v_freed, v_poison;
};

/* The entry of @level covering @addr, found by a plain walk. */
static pgent_t *entry_at(struct mm_struct *mm, uint64_t addr, int level)
{
	pgent_t *table = READ_ONCE(mm->pgd);

	for (int l = PT_PGD; l > level; l--)
		table = pfn_to_table(&mm->run->pt, pt_pfn(READ_ONCE(table[pt_index(addr, l)])));
	return &table[pt_index(addr, level)];
}

/* Plays the other CPU inside gup_fast()'s window (IRQs masked). */
static void race_hook(struct mm_struct *mm, uint64_t addr, void *arg)
{
	struct gup_test *t = arg;

	(void)addr;
	switch (t->race) {
	case RACE_CLEAR_PTE:
		t->saved_pte = atomic_exchange(t->ptep, 0);
		break;
	case RACE_CLEAR_PMD:
		t->saved_pmd = atomic_exchange(t->pmdp, 0);
		break;
	case RACE_FREE_PTE_TABLE:	/* what `none` does: unhook, free now */
		t->saved_pte = READ_ONCE(*t->ptep);
		t->saved_pmd = atomic_exchange(t->pmdp, 0);
		pt_free(&mm->run->pt, (pgent_t *)((uintptr_t)t->ptep & ~(PAGE_SIZE - 1)));
		break;
	case RACE_NONE:
		break;
	}
	t->race = RACE_NONE;
}

static uint64_t violations(struct ptsync_run *run, enum violation_kind k)
{
	return READ_ONCE(run->violations.by_kind[k]);
}

static void basic(struct cpu *c, struct mm_struct *mm, struct gup_test *t)
{
	uint64_t a = torture_region_addr(0);
	struct folio *pages[16];
	uint64_t v0 = READ_ONCE(c->run->violations.total);

	map_range(mm, a, 16 * PAGE_SIZE, false);
	t->basic_nr = gup_fast(mm, a, 16, pages);
	t->basic_refs_ok = 1;
	for (int i = 0; i < t->basic_nr; i++)
		t->basic_refs_ok &= READ_ONCE(pages[i]->refcount) == 2 &&
				    READ_ONCE(pages[i]->addr) == a + (uint64_t)i * PAGE_SIZE;
	gup_check_and_put(c, mm, READ_ONCE(mm->incarnation), a, t->basic_nr, pages);
	t->basic_refs_back = READ_ONCE(pages[0]->refcount) == 1;
	t->basic_clean = READ_ONCE(c->run->violations.total) == v0;
	t->none_nr = gup_fast(mm, a + 16 * PAGE_SIZE, 4, pages);
}

static void huge(struct cpu *c, struct mm_struct *mm, struct gup_test *t)
{
	uint64_t a = torture_region_addr(1);
	struct folio *pages[8];

	map_range(mm, a, PMD_SIZE, true);
	t->huge_nr = gup_fast(mm, a + 100 * PAGE_SIZE, 8, pages);
	t->huge_same_folio = t->huge_nr == 8 && pages[0] == pages[7] &&
			     pages[0]->order == HPAGE_PMD_ORDER;
	t->huge_refs = READ_ONCE(pages[0]->refcount);
	gup_check_and_put(c, mm, READ_ONCE(mm->incarnation), a + 100 * PAGE_SIZE,
			  t->huge_nr, pages);
}

/* The hook changes an entry after the reference: gup must back out. */
static void recheck(struct cpu *c, struct mm_struct *mm, struct gup_test *t)
{
	uint64_t a = torture_region_addr(2);
	struct folio *pages[1], *pages8[8], *f;

	map_range(mm, a, PAGE_SIZE, false);
	t->ptep = entry_at(mm, a, PT_PTE);
	t->pmdp = entry_at(mm, a, PT_PMD);
	f = pfn_to_folio(&c->run->folios, pt_pfn(READ_ONCE(*t->ptep)));

	t->race = RACE_CLEAR_PTE;
	t->pte_race_nr = gup_fast(mm, a, 1, pages);
	t->pte_race_ref_dropped = READ_ONCE(f->refcount) == 1;
	WRITE_ONCE(*t->ptep, t->saved_pte);

	t->race = RACE_CLEAR_PMD;
	t->pmd_race_nr = gup_fast(mm, a, 1, pages);
	t->pmd_race_ref_dropped = READ_ONCE(f->refcount) == 1;
	WRITE_ONCE(*t->pmdp, t->saved_pmd);

	/* The same for a huge leaf: zapped after the references were taken. */
	a = torture_region_addr(1);		/* mapped huge by huge() */
	t->pmdp = entry_at(mm, a, PT_PMD);
	f = pfn_to_folio(&c->run->folios, pt_pfn(READ_ONCE(*t->pmdp)));
	t->race = RACE_CLEAR_PMD;
	t->huge_race_nr = gup_fast(mm, a + 100 * PAGE_SIZE, 8, pages8);
	t->huge_race_refs_dropped = READ_ONCE(f->refcount) == 1;
	WRITE_ONCE(*t->pmdp, t->saved_pmd);
}

/*
 * Get-unless-zero.  A folio whose count is zero is being freed (the
 * unmapper's last put came between our pte read and our get) or frozen
 * (folio_ref_freeze(), migration and THP split): GUP-fast must not take
 * a reference to it.  The pte still points at it here, as it does for a
 * walker that read the pte just before the unmapper cleared it.
 */
static void frozen(struct cpu *c, struct mm_struct *mm, struct gup_test *t)
{
	uint64_t a = torture_region_addr(4);
	struct folio *pages[1], *f;

	map_range(mm, a, PAGE_SIZE, false);
	f = pfn_to_folio(&c->run->folios, pt_pfn(READ_ONCE(*entry_at(mm, a, PT_PTE))));
	atomic_store(&f->refcount, 0);		/* folio_ref_freeze(f, 1) */
	t->frozen_nr = gup_fast(mm, a, 1, pages);
	t->frozen_still_zero = READ_ONCE(f->refcount) == 0;
	atomic_store(&f->refcount, 1);		/* folio_ref_unfreeze(f, 1) */
}

/* What the checker sees when a table is freed with no sync. */
static void checker(struct cpu *c, struct mm_struct *mm, struct gup_test *t)
{
	struct ptsync_run *run = c->run;
	uint64_t a = torture_region_addr(3);
	struct folio *pages[1], *f;
	pgent_t *pte_table;
	uint64_t v0;

	/* Freed mid-walk: the generation check. */
	map_range(mm, a, PAGE_SIZE, false);
	t->ptep = entry_at(mm, a, PT_PTE);
	t->pmdp = entry_at(mm, a, PT_PMD);
	v0 = violations(run, V_GEN_CHANGED);
	t->race = RACE_FREE_PTE_TABLE;
	gup_fast(mm, a, 1, pages);
	t->v_gen = violations(run, V_GEN_CHANGED) - v0;
	folio_put(&run->folios, pfn_to_folio(&run->folios, pt_pfn(t->saved_pte)));

	/* Freed before the walk reached it, entry left behind (a bug). */
	map_range(mm, a, PAGE_SIZE, false);
	t->pmdp = entry_at(mm, a, PT_PMD);
	pte_table = pfn_to_table(&run->pt, pt_pfn(READ_ONCE(*t->pmdp)));
	f = pfn_to_folio(&run->folios, pt_pfn(READ_ONCE(pte_table[pt_index(a, PT_PTE)])));
	pt_free(&run->pt, pte_table);
	v0 = violations(run, V_FREED_TABLE);
	gup_fast(mm, a, 1, pages);
	t->v_freed = violations(run, V_FREED_TABLE) - v0;

	/* An entry holding poison. */
	WRITE_ONCE(*t->pmdp, PT_POISON);
	v0 = violations(run, V_POISONED_ENTRY);
	gup_fast(mm, a, 1, pages);
	t->v_poison = violations(run, V_POISONED_ENTRY) - v0;
	WRITE_ONCE(*t->pmdp, 0);
	folio_put(&run->folios, f);
}

static void gup_cpu(struct cpu *c)
{
	struct gup_test *t = c->run->priv;
	struct mm_struct *mm = &c->run->mms[0];

	if (c->id)
		return;
	switch_mm(c, mm);
	basic(c, mm, t);
	huge(c, mm, t);
	gup_set_race_hook(c->run, race_hook, t);
	recheck(c, mm, t);
	frozen(c, mm, t);
	checker(c, mm, t);
	gup_set_race_hook(c->run, NULL, NULL);
	switch_mm(c, NULL);
}

/*
 * Walk from the copy.  CPU 1 keeps clearing and restoring a pmd (as THP
 * collapse or a racing free_pgtables() clears it) while CPU 0 walks through
 * it: each walk must see the table or nothing, never the table's checks on
 * one read and the cleared entry on another.  A walk that found the child
 * table by reading the entry a second time follows pfn 0, a table of the
 * wrong level, and the checker says so.
 *
 * The two reads are nanoseconds apart, so this is a race to be won, not a
 * certainty: the flipper holds each value for a random few pauses (a
 * fixed rhythm can fall into step with the walker and miss for millions
 * of walks), and the walker stops at the first violation.  Against the
 * double read it wins within a few thousand walks, in 200 runs of 200 on
 * the 2-core VM; a correct walk runs the full second.
 */
#define FLIP_NS		(1000 * NSEC_PER_MSEC)
#define FLIP_HOLD	12	/* cpu_relax()es, at most, per value */

struct flip_test {
	_Atomic int phase;		/* 1: flipping, 2: stop */
	pgent_t *pmdp;
	uint64_t pmd;
	uint64_t walks, pinned, flips;
	uint64_t violations;
};

static void flip_cpu(struct cpu *c)
{
	struct flip_test *t = c->run->priv;
	struct mm_struct *mm = &c->run->mms[0];
	uint64_t a = torture_region_addr(0), end;
	struct folio *pages[1];

	if (c->id == 1) {
		WAIT_FOR(READ_ONCE(t->phase) == 1);
		while (READ_ONCE(t->phase) == 1) {
			WRITE_ONCE(*t->pmdp, 0);
			for (uint64_t i = prandom_below(&c->rnd, FLIP_HOLD); i; i--)
				cpu_relax();
			WRITE_ONCE(*t->pmdp, t->pmd);
			for (uint64_t i = prandom_below(&c->rnd, FLIP_HOLD); i; i--)
				cpu_relax();
			t->flips++;
		}
		return;
	}
	switch_mm(c, mm);
	map_range(mm, a, PAGE_SIZE, false);
	t->pmdp = entry_at(mm, a, PT_PMD);
	t->pmd = READ_ONCE(*t->pmdp);
	WRITE_ONCE(t->phase, 1);
	end = ktime_get_ns() + FLIP_NS;
	/* Stop early once the checker has spoken: a pass runs the time out. */
	while (!READ_ONCE(c->run->violations.total) &&
	       (t->walks % 256 || ktime_get_ns() < end)) {
		int nr = gup_fast(mm, a, 1, pages);

		t->walks++;
		t->pinned += (uint64_t)nr;
		gup_check_and_put(c, mm, READ_ONCE(mm->incarnation), a, nr, pages);
	}
	WRITE_ONCE(t->phase, 2);
	t->violations = READ_ONCE(c->run->violations.total);
	switch_mm(c, NULL);
}

static void test_flip(void)
{
	struct flip_test f;
	int leaked = test_run(2, &rcu_sync_ops, flip_cpu, &f, sizeof(f));

	ok(f.violations == 0 && f.walks > 0 && leaked == 0,
	   "a pmd cleared and restored under %llu walks (%llu pinned, %llu flips): "
	   "each walks from its copy, %llu violations",
	   (unsigned long long)f.walks, (unsigned long long)f.pinned,
	   (unsigned long long)f.flips, (unsigned long long)f.violations);
}

int main(void)
{
	struct gup_test t;
	int leaked = test_run(2, &rcu_sync_ops, gup_cpu, &t, sizeof(t));

	ok(t.basic_nr == 16, "gup_fast pins all 16 mapped pages (%d)", t.basic_nr);
	ok(t.basic_refs_ok, "each pinned folio is the one mapped there, with one more reference");
	ok(t.basic_refs_back && t.basic_clean, "gup_check_and_put finds them valid and unpins");
	ok(t.none_nr == 0, "a walk into an unmapped range pins nothing");
	ok(t.huge_nr == 8 && t.huge_same_folio, "a PMD leaf is taken whole: 8 pages, one folio");
	ok(t.huge_refs == 9, "one reference per page returned (refcount %d)", t.huge_refs);
	ok(t.pte_race_nr == 0 && t.pte_race_ref_dropped,
	   "pte changed after the reference: gup backs out and drops it");
	ok(t.pmd_race_nr == 0 && t.pmd_race_ref_dropped,
	   "pmd changed after the reference: gup backs out and drops it");
	ok(t.huge_race_nr == 0 && t.huge_race_refs_dropped,
	   "huge pmd changed after the references: gup backs out and drops all 8");
	ok(t.frozen_nr == 0 && t.frozen_still_zero,
	   "a folio whose refcount is zero is not pinned, nor its count raised");
	ok(t.v_gen == 1, "checker: a table freed mid-walk is a generation violation");
	ok(t.v_freed == 1, "checker: following an entry to a free table is a violation");
	ok(t.v_poison == 1, "checker: a poisoned entry is a violation, not a crash");
	ok(leaked == 0, "no live objects after the run (%d)", leaked);

	test_flip();
	return done_testing();
}
