/* SPDX-License-Identifier: MIT */
/*
 * The tools' one format for times in their tables ("850ns", "12.3us",
 * "8.00ms", "1.25s"): compare's tables and scale's projections print a
 * time the same way, so a figure reads alike in both and is written once.
 */
#ifndef PTSYNC_TOOLS_FMT_H
#define PTSYNC_TOOLS_FMT_H

#include <stddef.h>

/* @ns in the largest unit it reaches (ns, us, ms, s), into @buf: @buf. */
const char *fmt_ns(char *buf, size_t len, double ns);

#endif /* PTSYNC_TOOLS_FMT_H */
