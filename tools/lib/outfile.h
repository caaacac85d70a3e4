/* SPDX-License-Identifier: MIT */
/*
 * Opening a file in a command's output folder (compare's, scale's): one
 * place that builds DIR/NAME and, when it cannot be opened, says so in the
 * one form every command uses ("ptsync: cannot write PATH: why").
 */
#ifndef PTSYNC_TOOLS_OUTFILE_H
#define PTSYNC_TOOLS_OUTFILE_H

#include <stdio.h>

/* @dir/@name opened with fopen()'s @mode; NULL after the line on stderr. */
FILE *out_fopen(const char *dir, const char *name, const char *mode);

#endif /* PTSYNC_TOOLS_OUTFILE_H */
