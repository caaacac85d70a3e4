/* SPDX-License-Identifier: MIT */
/*
 * The torture test: freers map, unmap and exit mms while walkers run
 * GUP-fast on them and bystanders run an unrelated mm in user mode, for a
 * fixed time, under one sync strategy; the checker in mm/gup.c counts every
 * walk that touched freed memory.
 */
#ifndef PTSYNC_TORTURE_H
#define PTSYNC_TORTURE_H

#include <stdbool.h>
#include <stdio.h>

#include "run.h"

enum torture_exit {
	TORTURE_SUCCESS = 0,	/* no violation, no leak */
	TORTURE_FAILURE = 1,	/* violations or leaked objects */
};

/* Run one torture test; prints parameters, progress and the summary. */
int ptsync_torture(const struct ptsync_config *cfg, bool json);

/* Pieces, for tests and other drivers (compare). */
void torture_cpu(struct cpu *c);
uint64_t torture_region_addr(unsigned int region);
void torture_print_params(FILE *f, const struct ptsync_run *run, const char *tag);

#endif /* PTSYNC_TORTURE_H */
