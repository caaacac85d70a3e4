// SPDX-License-Identifier: MIT
/*
 * The kernel presets (include/ptsync/presets.h): which strategy stands
 * for what each upstream kernel does at each call site.  Adding a preset
 * is a row below; nothing else names them.
 *
 *  pre-2026  every site broadcasts (tlb_remove_table_sync_one()), and
 *            hugetlb syncs once per unshare: kernels as released before
 *            the per-gather change (8ce720d5bd91, merged for 6.19 and
 *            taken by the stable trees in 2026) - the kernel of the
 *            196-core fork report.
 *  seed      the fallback waits a grace period, synchronize_rcu()
 *            (1fb3d8c20bfa, Feb 2026); collapse and unshare still
 *            broadcast; unshare syncs once per gather.
 *  mainline  PT_RECLAIM on by default wherever MMU_GATHER_RCU_TABLE_FREE
 *            is (Qi Zheng's series, 2026): the fallback hands the table
 *            to call_rcu() on its own ptdesc; collapse and unshare still
 *            broadcast; unshare syncs once per gather.
 */
#include <stdio.h>
#include <string.h>

#include "ptsync/hugetlb.h"
#include "ptsync/names.h"
#include "ptsync/presets.h"
#include "ptsync/tlb.h"

static const struct ptsync_preset pre_2026_preset = {
	.name = "pre-2026",
	.desc = "broadcast at every site, a sync per hugetlb unshare",
	.upstream = "before 8ce720d5bd91 (per-gather unshare) and 1fb3d8c20bfa (seed)",
	.site = { [CALLSITE_FALLBACK] = &ipi_sync_ops },
	.unshare_sync = UNSHARE_SYNC_PER_UNSHARE,
};

static const struct ptsync_preset seed_preset = {
	.name = "seed",
	.desc = "synchronize_rcu() at the fallback; broadcast at collapse and unshare, per gather",
	.upstream = "1fb3d8c20bfa (Lance Yang, Feb 2026)",
	.site = { [CALLSITE_FALLBACK] = &rcu_sync_ops },
	.unshare_sync = UNSHARE_SYNC_PER_GATHER,
};

static const struct ptsync_preset mainline_preset = {
	.name = "mainline",
	.desc = "PT_RECLAIM: call_rcu() per table at the fallback; broadcast at collapse and unshare, per gather",
	.upstream = "PT_RECLAIM default y with MMU_GATHER_RCU_TABLE_FREE (Qi Zheng, 2026)",
	.site = { [CALLSITE_FALLBACK] = &pt_reclaim_sync_ops },
	.unshare_sync = UNSHARE_SYNC_PER_GATHER,
};

const struct ptsync_preset *const ptsync_presets[] = {
	&pre_2026_preset,
	&seed_preset,
	&mainline_preset,
	NULL,
};

DEFINE_NAMED_TABLE_LOOKUPS(struct ptsync_preset, ptsync_preset_find, ptsync_preset_names,
			   ptsync_presets)

/* The walk hooks of every site's strategy must agree (or be absent). */
static bool preset_walk_hooks(const struct ptsync_preset *p, struct pt_sync_ops *o)
{
	for (int s = 0; s < NR_CALLSITES; s++) {
		const struct pt_sync_ops *so = p->site[s];

		if (!so)
			continue;
		if ((o->walk_begin && so->walk_begin && o->walk_begin != so->walk_begin) ||
		    (o->walk_end && so->walk_end && o->walk_end != so->walk_end))
			return false;
		if (so->walk_begin)
			o->walk_begin = so->walk_begin;
		if (so->walk_end)
			o->walk_end = so->walk_end;
		o->tlb_modes &= so->tlb_modes;
		o->sync_mm_only |= so->sync_mm_only;
	}
	return o->tlb_modes != 0;
}

/* The site's hook, from the strategy the preset names there. */
static void preset_site(const struct ptsync_preset *p, struct pt_sync_ops *o,
			enum pt_callsite site, char what[][96])
{
	const struct pt_sync_ops *so = p->site[site];
	char buf[96];

	if (so && site == CALLSITE_COLLAPSE)
		o->collapse_sync = so->collapse_sync;
	if (so && site == CALLSITE_UNSHARE)
		o->unshare_sync = so->unshare_sync;
	snprintf(what[site], sizeof(what[site]), "%s: %s", so ? so->name : "upstream",
		 so ? pt_sync_site_what(so, site, buf, sizeof(buf)) : "IPI every CPU");
	o->at[site] = what[site];
}

/* Room for the composite tables; the unit test holds the rows to it. */
#define PRESETS_MAX	8
static struct pt_sync_ops preset_ops_built[PRESETS_MAX];
static char preset_at[PRESETS_MAX][NR_CALLSITES][96];

static struct pt_sync_ops *preset_build(const struct ptsync_preset *p, int i)
{
	const struct pt_sync_ops *fb = p->site[CALLSITE_FALLBACK];
	struct pt_sync_ops *o = &preset_ops_built[i];

	*o = (struct pt_sync_ops){
		.name = p->name,
		.desc = p->desc,
		.preset = true,
		.tlb_modes = TLB_MODES_ALL,
		.bystander = fb->bystander,
		.mech = fb->mech,
		.sync_one = fb->sync_one,
		.free_one = fb->free_one,
	};
	if (!preset_walk_hooks(p, o))
		return NULL;
	for (int s = 0; s < NR_CALLSITES; s++)
		preset_site(p, o, s, preset_at[i]);
	return o;
}

const struct pt_sync_ops *pt_preset_ops(const struct ptsync_preset *p)
{
	for (int i = 0; ptsync_presets[i]; i++) {
		if (ptsync_presets[i] != p)
			continue;
		if (i >= PRESETS_MAX)
			return NULL;
		if (!preset_ops_built[i].name)
			return preset_build(p, i);
		return &preset_ops_built[i];
	}
	return NULL;
}
