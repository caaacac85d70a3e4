/* SPDX-License-Identifier: MIT */
/*
 * Kernel presets (--kernel=NAME): what a given upstream kernel does at
 * each call site, so that compare, torture and fork-storm can run "the
 * kernel you have" beside the alternatives.
 *
 * A preset is data: per call site the strategy that does there what that
 * kernel does (NULL: upstream's broadcast, tlb_remove_table_sync_one(),
 * which the harness makes and counts as `upstream`), and the hugetlb
 * unshare sync mode.  From it one composite ops table is built
 * (pt_preset_ops()), named after the preset, which the harness runs like
 * any strategy.  A preset fixes the strategy at every site, so --kernel
 * and --strategy exclude each other.
 */
#ifndef PTSYNC_PRESETS_H
#define PTSYNC_PRESETS_H

#include <stddef.h>

#include "callsite.h"
#include "strategy.h"

struct ptsync_preset {
	const char *name;
	const char *desc;		/* one line, for list and usage */
	const char *upstream;		/* the commit or series it stands for */
	/* Per site: the strategy that does what this kernel does; NULL:
	 * upstream's broadcast.  The fallback's must not be NULL. */
	const struct pt_sync_ops *site[NR_CALLSITES];
	int unshare_sync;		/* enum unshare_sync (hugetlb.h) */
};

/* All presets, NULL-terminated, oldest first (compare's first rows). */
extern const struct ptsync_preset *const ptsync_presets[];

const struct ptsync_preset *ptsync_preset_find(const char *name);
/* "pre-2026, seed, mainline" into buf: for usage errors. */
const char *ptsync_preset_names(char *buf, size_t len);
/*
 * The preset's composite ops table, built on first use (call it from the
 * main thread, before any run starts); NULL if the preset's sites do not
 * compose (walk hooks or TLB modes that disagree).
 */
const struct pt_sync_ops *pt_preset_ops(const struct ptsync_preset *p);

#endif /* PTSYNC_PRESETS_H */
