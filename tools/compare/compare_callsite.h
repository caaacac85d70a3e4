/* SPDX-License-Identifier: MIT */
/*
 * ptsync compare: the report of the cost phase at collapse and unshare
 * (compare_callsite.c).
 */
#ifndef PTSYNC_COMPARE_CALLSITE_H
#define PTSYNC_COMPARE_CALLSITE_H

#include "compare_results.h"

void compare_print_callsites(FILE *f, const struct compare_report *r);
void compare_callsites_json(FILE *f, const struct compare_report *r,
			    const struct compare_result *res);
void compare_callsites_csv(FILE *f, const struct compare_report *r);

#endif /* PTSYNC_COMPARE_CALLSITE_H */
