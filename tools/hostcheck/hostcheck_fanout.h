/* SPDX-License-Identifier: MIT */
/*
 * The fan-out curves (hostcheck_fanout.c).
 */
#ifndef PTSYNC_TOOLS_HOSTCHECK_FANOUT_H
#define PTSYNC_TOOLS_HOSTCHECK_FANOUT_H

#include "hostcheck_sys.h"

/* Both curves; 0, or -EINTR / -ETIMEDOUT. */
int hc_fanout(struct hc_ctx *hc, const cpu_set_t *allowed);

#endif /* PTSYNC_TOOLS_HOSTCHECK_FANOUT_H */
