/* SPDX-License-Identifier: MIT */
/*
 * ptsync scale and ptsync recommend share their options and their inputs:
 * both run the discrete-event model (scale.h) on costs read back from a
 * compare results.json.
 */
#ifndef PTSYNC_TOOLS_SCALE_CMD_H
#define PTSYNC_TOOLS_SCALE_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scale_model.h"

struct scale_opts {
	const char *from;		/* results.json; NULL: the newest */
	const char *out;		/* NULL: ptsync-results/scale-<time> */
	char out_buf[256];
	int cpus[32], nr_cpus;
	const struct pt_sync_ops *ops[SCALE_MAX_STRATEGIES];
	int nr_ops;
	bool sites[NR_SITES];
	int walkers;
	int tlb_mode;			/* TLB_MODE_AUTO: native */
	bool nohz_full;
	double bystander_kernel;
	unsigned int events, unshare_tables;
	uint64_t seed;
	bool plots;
	/* --counts: per-CPU IPI counts of one scripted scenario */
	bool counts;
	unsigned int fallbacks;
};

void scale_opts_default(struct scale_opts *o);
/* --from=FILE, for scale and recommend: readable, or a usage error. */
void scale_opt_from(struct scale_opts *o, const char *arg);
void scale_prepare_out(struct scale_opts *o);
/* Read the costs (or run a short compare): 0, else an exit status. */
int scale_load(struct scale_opts *o, struct scale_params *p);
void scale_machine_for(const struct scale_opts *o, int cpus, bool host,
		       struct scale_machine *m);
/* Predicted against measured at compare's own core count: nonzero when
 * the latency misses 25% or an IPI count is not exact. */
int scale_validate(FILE *f, const struct scale_params *p, uint64_t seed, FILE *json);

int cmd_scale(int argc, char **argv);
int cmd_recommend(int argc, char **argv);

#endif /* PTSYNC_TOOLS_SCALE_CMD_H */
