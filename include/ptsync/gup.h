/* SPDX-License-Identifier: MIT */
/*
 * GUP-fast: pin user pages by walking the page tables with no lock at all,
 * only IRQs masked, and check every step of the walk.
 *
 * gup_fast() is the protected walk; gup_fast_raw() is the identical walk
 * with the protection taken out (no IRQ masking, no strategy hooks), kept in
 * the same binary so benchmarks can price the protection side by side.
 * Raw walks are only safe on tables nobody frees.
 */
#ifndef PTSYNC_GUP_H
#define PTSYNC_GUP_H

#include "mm.h"

/* Pins up to nr_pages from start; returns how many (0..nr_pages). */
int gup_fast(struct mm_struct *mm, uint64_t start, unsigned int nr_pages,
	     struct folio **pages);
int gup_fast_raw(struct mm_struct *mm, uint64_t start, unsigned int nr_pages,
		 struct folio **pages);

/*
 * Check what gup_fast returned: each folio still live and created for this
 * mapping.  A failure is recorded as V_FREED_PAGE.  Then drop the pins.
 */
void gup_check_and_put(struct cpu *c, struct mm_struct *mm, uint32_t inc,
		       uint64_t start, int nr, struct folio **pages);

/*
 * Test hook: called inside the walk, IRQs masked, after the folio reference
 * is taken and before the pmd/pte re-check.  NULL outside the unit tests.
 */
typedef void (*gup_race_hook_t)(struct mm_struct *mm, uint64_t addr, void *arg);
void gup_set_race_hook(struct ptsync_run *run, gup_race_hook_t fn, void *arg);

/*
 * Test hook: called inside the walk, IRQs masked, where --walk-delay
 * waits (the walk has looked up a table and is about to read it: a PTE
 * table, or a hugetlb PMD table; @level is that table's).  Only on runs
 * with a walk delay (cfg.walk_delay); NULL outside the unit tests.
 */
typedef void (*gup_enter_hook_t)(struct mm_struct *mm, uint64_t addr, int level,
				 void *arg);
void gup_set_enter_hook(struct ptsync_run *run, gup_enter_hook_t fn, void *arg);

#endif /* PTSYNC_GUP_H */
