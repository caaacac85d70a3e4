/* SPDX-License-Identifier: MIT */
/*
 * ptsync scale and ptsync recommend share their options and their inputs:
 * both run the discrete-event model (scale_model.h) on costs read back from a
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
	/* --script: the scripted scenario, real threads beside the DES */
	bool script;
	const char *machine;		/* --machine: hostcheck --json of the box */
	bool tlb_given;			/* --tlb was explicit */
	bool bkernel_given;		/* --bystander-kernel was explicit */
};

void scale_opts_default(struct scale_opts *o);
/* --from=FILE, for scale and recommend: readable, or a usage error. */
void scale_opt_from(struct scale_opts *o, const char *arg);
void scale_prepare_out(struct scale_opts *o);
/* Read the costs (or run a short compare): 0, else an exit status. */
int scale_load(struct scale_opts *o, struct scale_params *p);
void scale_machine_for(const struct scale_opts *o, int cpus, bool host,
		       struct scale_machine *m);
/* Held-out fan-out and core count, and predicted against measured at
 * compare's own core count: nonzero (unvalidated) when a row that was not
 * fitted from its own figure misses its tolerance or an IPI count is not
 * exact.  JSON: the "validation" object of scale.json. */
int scale_validate(FILE *f, const struct scale_params *p, uint64_t seed, FILE *json);
/* How far a prediction may be off, relative, and why. */
double scale_tolerance(const struct scale_measured *me, const char **why);
/* The measured share of time compare's bystanders spent in the kernel. */
double scale_bystander_kernel(const struct scale_params *p, const char **src);

/* tools/scale/scale_script.c: the scripted scenario; nonzero if counts differ. */
int scale_script(const struct scale_opts *o, const struct scale_params *p);

int cmd_scale(int argc, char **argv);
int cmd_recommend(int argc, char **argv);

#endif /* PTSYNC_TOOLS_SCALE_CMD_H */
