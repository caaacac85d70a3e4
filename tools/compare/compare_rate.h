/* SPDX-License-Identifier: MIT */
/*
 * ptsync compare: the rate-matched phase, the freer open-loop at
 * cfg->rate fallbacks per second (compare_rate.c), and its report rows.
 */
#ifndef PTSYNC_COMPARE_RATE_H
#define PTSYNC_COMPARE_RATE_H

#include "compare_results.h"

void compare_rate_phase(const struct compare_config *cfg, struct compare_result *res,
			unsigned int rep, enum noise_mode meter, const _Atomic int *stop);
double compare_rate_seconds(const struct compare_config *cfg);
void compare_print_rate(FILE *f, const struct compare_report *r);
void compare_rate_json(FILE *f, const struct compare_report *r);

#endif /* PTSYNC_COMPARE_RATE_H */
