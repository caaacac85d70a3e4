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

/*
 * What every targeted table says: the mechanism, the walk begin above,
 * walk end @end, and @sync at every call site, which waits for walkers
 * of this mm only.
 */
#define PT_SYNC_TARGETED(end, sync)					\
	.mech = MECH_TARGETED_MM, .tlb_modes = TLB_MODES_ALL,		\
	.walk_begin = targeted_walk_begin, .walk_end = (end),		\
	.sync_one = (sync), .collapse_sync = (sync), .unshare_sync = (sync)

/* What ptsync list says the targeted sync does; @unshare_when: which
 * gathers sync at hugetlb's unshare. */
#define TARGETED_AT(unshare_when)					\
	{ "IPI CPUs walking this mm", "IPI CPUs walking this mm",	\
	  "IPI CPUs walking this mm" unshare_when }

/*
 * A correct targeted table (targeted, targeted-v4): the sync above with
 * walk end @end, and, since it reaches this mm's walkers only, a sync at
 * every gather that unshared a hugetlb table (sync_mm_only).
 */
#define PT_SYNC_TARGETED_MM_ONLY(end)					\
	PT_SYNC_TARGETED(end, targeted_sync), .sync_mm_only = true,	\
	.at = TARGETED_AT(", every unsharing gather")

#endif /* PTSYNC_TARGETED_H */
