/* SPDX-License-Identifier: MIT */
/*
 * hostcheck's report (hostcheck_report.c): it only reads results.
 */
#ifndef PTSYNC_TOOLS_HOSTCHECK_REPORT_H
#define PTSYNC_TOOLS_HOSTCHECK_REPORT_H

#include <stdio.h>

#include "hostcheck_results.h"

void hostcheck_print_text(FILE *f, const struct hostcheck_result *res);
/* One JSON object, no trailing newline. */
void hostcheck_print_json(FILE *f, const struct hostcheck_result *res);
/* The fan-out text block and the fan-out JSON object (no newline). */
void hostcheck_print_fanout(FILE *f, const struct hostcheck_fanout *fo);
void hostcheck_fanout_json(FILE *f, const struct hostcheck_fanout *fo);

#endif /* PTSYNC_TOOLS_HOSTCHECK_REPORT_H */
