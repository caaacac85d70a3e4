/* SPDX-License-Identifier: MIT */
/*
 * ptsync compare: the walkers' IRQs-off duty cycle in the fallback's cost
 * phase (compare_walkers.c): collected into the results, reported from them.
 */
#ifndef PTSYNC_COMPARE_WALKERS_H
#define PTSYNC_COMPARE_WALKERS_H

#include "compare_results.h"
#include "ptsync/trace.h"

void compare_walkers_collect(struct compare_result *res, const struct ptsync_run *run,
			     struct walk_meter *m);
void compare_print_walkers(FILE *f, const struct compare_report *r);
void compare_walkers_json(FILE *f, const struct compare_report *r);
void compare_walkers_strategy_json(FILE *f, const struct compare_result *res);

#endif /* PTSYNC_COMPARE_WALKERS_H */
