/* SPDX-License-Identifier: MIT */
/*
 * ptsync compare: like-for-like host figures and the fan-out correction
 * (compare_fanout.c), read from the results.
 */
#ifndef PTSYNC_COMPARE_FANOUT_H
#define PTSYNC_COMPARE_FANOUT_H

#include "compare_interp.h"
#include "compare_results.h"

int compare_model_k(const struct compare_report *r);
const struct hc_fanout_point *compare_host_at_k(const struct compare_report *r);
/* The host kernel's broadcast p50 at the model's K, and how it was read. */
enum fanout_how compare_host_ns_at_k(const struct compare_report *r, double *ns);
double compare_host_ratio(const struct compare_report *r, enum fanout_how *how);
bool compare_slope_delta(const struct compare_report *r, double *delta);
double compare_sync_k(const struct compare_result *res);
void compare_print_host_k_row(FILE *f, const struct compare_report *r);
void compare_print_fanout(FILE *f, const struct compare_report *r);
void compare_fanout_json(FILE *f, const struct compare_report *r);
bool compare_fanout_files(const struct compare_report *r);

#endif /* PTSYNC_COMPARE_FANOUT_H */
