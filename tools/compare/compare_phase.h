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

/* One freer job, a map and an unmap of one region. */
void compare_freer_job(struct cpu *c, unsigned int *region);

#endif /* PTSYNC_COMPARE_PHASE_H */
