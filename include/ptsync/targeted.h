/* SPDX-License-Identifier: MIT */
/*
 * What the targeted strategies share (strategy/targeted.c): the walk begin
 * (publish the mm, then a full fence) and the sync (a full fence, then IPI
 * the CPUs whose slot holds this mm).  The variants differ only in the
 * walk end (strategy/targeted_v4.c) or in where they sync, so they reuse
 * these rather than restate the ordering.
 */
#ifndef PTSYNC_TARGETED_H
#define PTSYNC_TARGETED_H

struct cpu;
struct mm_struct;
struct mmu_gather;

void targeted_walk_begin(struct cpu *c, struct mm_struct *mm);
void targeted_sync(struct mmu_gather *tlb);
/* v4's walk end (strategy/targeted_v4.c): a release store of the slot. */
void targeted_v4_walk_end(struct cpu *c, struct mm_struct *mm);

#endif /* PTSYNC_TARGETED_H */
