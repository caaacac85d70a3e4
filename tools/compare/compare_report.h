/* SPDX-License-Identifier: MIT */
/*
 * ptsync compare: the report (compare_report.c): the table on stdout and
 * the files in the output directory, all read from the results.
 */
#ifndef PTSYNC_COMPARE_REPORT_H
#define PTSYNC_COMPARE_REPORT_H

#include "compare_results.h"

void compare_print_table(FILE *f, const struct compare_report *r);
/* Resolve and create the output directory, check it is writable: -errno. */
int compare_prepare_out_dir(struct compare_report *r);
int compare_write_files(struct compare_report *r);
double compare_model_ratio(const struct compare_report *r);

#endif /* PTSYNC_COMPARE_REPORT_H */
