/* SPDX-License-Identifier: MIT */
/*
 * ptsync scale's projection (scale_report.c): the table, scale.json,
 * scale.csv and the plots, from the loaded costs.
 */
#ifndef PTSYNC_TOOLS_SCALE_REPORT_H
#define PTSYNC_TOOLS_SCALE_REPORT_H

#include "scale_cmd.h"

int scale_project(const struct scale_opts *o, const struct scale_params *p);

#endif /* PTSYNC_TOOLS_SCALE_REPORT_H */
