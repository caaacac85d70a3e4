/* SPDX-License-Identifier: MIT */
/*
 * Page-table sync strategies: one ops table each, chosen by name at run time
 * (rcutorture's torture_ops, applied to tlb_remove_table's fallback).
 *
 * A strategy answers two questions:
 *  - what a lockless walker does around its walk, beyond masking IRQs
 *    (walk_begin/walk_end; NULL for strategies that need nothing more);
 *  - what the freer does when a table must be freed without a batch: wait
 *    until no walker can hold it (sync_one), then free it at once - or hand
 *    the table to something that frees it later (free_one).
 *
 * A NULL hook means "nothing to do" for the walk hooks and "use sync_one,
 * then free" for free_one.  Adding a strategy is one file in strategy/ and
 * one line in strategy/strategy.c.
 *
 * `none` frees at once with no wait at all.  It is wrong on purpose, like
 * rcutorture's busted flavour: the torture test must catch it every run, or
 * the torture test is what is broken.
 */
#ifndef PTSYNC_STRATEGY_H
#define PTSYNC_STRATEGY_H

#include <stdbool.h>
#include <stdio.h>

struct cpu;
struct mm_struct;
struct mmu_gather;

struct pt_sync_ops {
	const char *name;
	const char *desc;	/* one line, for --help and reports */
	bool safe;		/* expected to pass torture */
	void (*walk_begin)(struct cpu *c, struct mm_struct *mm);
	void (*walk_end)(struct cpu *c, struct mm_struct *mm);
	void (*sync_one)(struct mmu_gather *tlb);
	void (*free_one)(struct mmu_gather *tlb, void *table);
};

extern const struct pt_sync_ops none_sync_ops;
extern const struct pt_sync_ops ipi_sync_ops;
extern const struct pt_sync_ops rcu_sync_ops;

const struct pt_sync_ops *pt_sync_ops_find(const char *name);
/* All strategies, NULL-terminated, in report order. */
extern const struct pt_sync_ops *const pt_sync_ops_all[];
/* "none, ipi, rcu" into buf: for usage errors and --help. */
const char *pt_sync_ops_names(char *buf, size_t len);

#endif /* PTSYNC_STRATEGY_H */
