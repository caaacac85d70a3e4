/* SPDX-License-Identifier: MIT */
/*
 * ptsync fork-storm (tools/fork_storm/fork_storm.c): a parent sharing hugetlb PMD
 * tables forks children that exit, per strategy and per unshare sync mode:
 * what the unshares cost the parent and the bystanders, counted.
 */
#ifndef PTSYNC_FORK_STORM_H
#define PTSYNC_FORK_STORM_H

#include <stdbool.h>
#include <stdio.h>

#include "ptsync/osnoise.h"
#include "ptsync/presets.h"
#include "ptsync/run.h"

#define FORK_STORM_MAX_STRATEGIES	16
#define FORK_STORM_MAX_FORKS		100000

struct fork_storm_config {
	struct ptsync_config base;	/* cpus, bystanders, hz, tlb, seed, arenas */
	const struct pt_sync_ops *ops[FORK_STORM_MAX_STRATEGIES];
	/* ops[i] stands for this kernel preset: run in its unshare mode only */
	const struct ptsync_preset *preset[FORK_STORM_MAX_STRATEGIES];
	int nr_ops;			/* ops[0] is the no-sync baseline */
	unsigned int forks, regions;
	unsigned int alive;		/* children alive at most; 0: all */
	unsigned int modes;		/* 1u << enum unshare_sync */
	bool json, progress;
};

struct fork_storm_result {
	const struct pt_sync_ops *ops;
	int mode;			/* enum unshare_sync */
	bool ran;
	double seconds;			/* first fork to last exit */
	uint64_t unshares, full_unshares, syncs, upstream, sync_ns;
	uint64_t bystander_sync_ipis, bystander_tlb_ipis;
	uint64_t ipis_sent, ipis_received;
	int nr_bystanders, leaked;
	struct noise noise;
};

struct fork_storm_report {
	struct fork_storm_config cfg;
	struct fork_storm_result res[FORK_STORM_MAX_STRATEGIES * 2];
	int nr_res;
	bool partial;
};

void fork_storm_config_default(struct fork_storm_config *cfg);
/* 0, or -1 with the reason in @why: the arenas cannot hold the storm. */
int fork_storm_check_arenas(const struct fork_storm_config *cfg, char *why, size_t len);
/* Runs every strategy in every mode, prints the table (or JSON); exit status. */
int fork_storm(const struct fork_storm_config *cfg);

#endif /* PTSYNC_FORK_STORM_H */
