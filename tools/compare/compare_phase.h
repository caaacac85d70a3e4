/* SPDX-License-Identifier: MIT */
/*
 * ptsync compare: the actors every cost phase shares (compare_phase.c):
 * the bystanders, their rendezvous, and one freer job.
 */
#ifndef PTSYNC_COMPARE_PHASE_H
#define PTSYNC_COMPARE_PHASE_H

#include "compare_results.h"

/*
 * A bystander, in user mode (osnoise) or idle (timerlat) for the whole
 * phase: it counts itself *settled before any freer starts and stays while
 * *working freers remain, so what it is sent is exactly what a strategy
 * sends a CPU there.
 */
void compare_bystander(struct cpu *c, const struct compare_config *cfg,
		       enum noise_mode meter, _Atomic int *settled,
		       const _Atomic int *working);

/* ... and freers and walkers wait for every bystander to be settled. */
void compare_wait_settled(struct cpu *c, const _Atomic int *settled);

/* A map and an unmap of @len bytes at @addr in @mm, as the freer @c; with
 * @pinned, the page one PMD above mapped first while *@pinned is false. */
void compare_map_unmap(struct cpu *c, struct mm_struct *mm, uint64_t addr, uint64_t len,
		       bool *pinned);
/* One freer job of the cost phase, a map and an unmap of one region. */
void compare_freer_job(struct cpu *c, unsigned int *region);

#endif /* PTSYNC_COMPARE_PHASE_H */
