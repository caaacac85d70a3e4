/* SPDX-License-Identifier: MIT */
/*
 * One timed membarrier(2) phase per mode, and the caller's watchdog
 * (hostcheck_membarrier.c).
 */
#ifndef PTSYNC_TOOLS_HOSTCHECK_MEMBARRIER_H
#define PTSYNC_TOOLS_HOSTCHECK_MEMBARRIER_H

#include "hostcheck_sys.h"

void *hc_watchdog(void *arg);
int hc_phase(struct hc_ctx *hc, enum hc_mode m);
void wd_begin(struct hc_ctx *hc, enum hc_mode m);
void wd_end(struct hc_ctx *hc);

#endif /* PTSYNC_TOOLS_HOSTCHECK_MEMBARRIER_H */
