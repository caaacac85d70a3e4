// SPDX-License-Identifier: MIT
/*
 * The kernel presets (strategy/presets.c): each builds one ops table that
 * does, at every call site, what the strategy the preset names there
 * does, and upstream's broadcast where it names none.
 *
 * What breaks if these fail: compare's first rows and `--kernel` would
 * run something other than the kernel they are named after - a fallback
 * that is not that kernel's, a collapse or unshare that is not the
 * broadcast (or is counted as the strategy's own), or a preset that a
 * strategy's name shadows.
 */
#include <string.h>

#include "ptsync/hugetlb.h"
#include "ptsync/presets.h"
#include "tap.h"

static void check_site(const struct ptsync_preset *p, const struct pt_sync_ops *o,
		       enum pt_callsite site)
{
	const struct pt_sync_ops *so = p->site[site];

	if (site == CALLSITE_FALLBACK)
		return;
	if (!so) {
		ok(pt_sync_hook(o, site) == NULL &&
		   pt_sync_site_bystander(o, site) == BYSTANDER_IPI_PER_SYNC,
		   "%s at %s: upstream's broadcast, a bystander IPI per sync", p->name,
		   callsite_name(site));
		return;
	}
	ok(pt_sync_hook(o, site) == pt_sync_hook(so, site), "%s at %s: %s's hook", p->name,
	   callsite_name(site), so->name);
}

static void check_preset(const struct ptsync_preset *p)
{
	const struct pt_sync_ops *o = pt_preset_ops(p);
	const struct pt_sync_ops *fb = p->site[CALLSITE_FALLBACK];

	ok(o != NULL, "%s: composes into one ops table", p->name);
	if (!o)
		return;
	ok(pt_preset_ops(p) == o, "%s: built once", p->name);
	ok(!strcmp(o->name, p->name) && o->preset && pt_sync_safe(o) && !o->baseline,
	   "%s: named after the preset, marked a preset, safe", p->name);
	ok(fb && o->sync_one == fb->sync_one && o->free_one == fb->free_one &&
	   o->bystander == fb->bystander,
	   "%s: the fallback is %s's", p->name, fb ? fb->name : "?");
	ok(o->walk_begin == fb->walk_begin && o->walk_end == fb->walk_end,
	   "%s: the walker does what %s's walker does", p->name, fb->name);
	ok(p->unshare_sync >= 0 && p->unshare_sync < NR_UNSHARE_SYNC_MODES,
	   "%s: unshare syncs %s", p->name, unshare_sync_name(p->unshare_sync));
	ok(pt_sync_ops_find(p->name) == NULL, "%s: no strategy has its name", p->name);
	ok(ptsync_preset_find(p->name) == p, "%s: found by name", p->name);
	for (int s = 0; s < NR_CALLSITES; s++)
		check_site(p, o, s);
}

int main(void)
{
	const struct ptsync_preset *mainline = ptsync_preset_find("mainline");
	char names[128];
	int n = 0;

	(void)test_run_start;	/* tap.h's, for tests that start CPUs: none here */
	for (int i = 0; ptsync_presets[i]; i++, n++)
		check_preset(ptsync_presets[i]);
	ok(n == 3, "three presets: %s", ptsync_preset_names(names, sizeof(names)));
	ok(ptsync_preset_find("nosuch") == NULL, "an unknown name finds nothing");
	/* The three, as data: mainline is PT_RECLAIM at the
	 * fallback (no sync: the table goes to call_rcu()), per gather. */
	ok(mainline && pt_preset_ops(mainline)->free_one == pt_reclaim_sync_ops.free_one &&
	   pt_preset_ops(mainline)->sync_one == NULL &&
	   mainline->unshare_sync == UNSHARE_SYNC_PER_GATHER,
	   "mainline: call_rcu() per table at the fallback, unshare per gather");
	return done_testing();
}
