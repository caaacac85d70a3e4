// SPDX-License-Identifier: MIT
/*
 * ptsync compare: what the phases and the report both need to name and
 * read the results (compare_results.h): the cost phase's groups and a
 * percentile of the sync latencies.  It calls nothing of
 * either side, so neither depends on the other through it.
 */
#include "compare_results.h"
#include "ptsync/hugetlb.h"

static const struct {
	const char *name;
	enum pt_callsite site;
	int unshare_sync;
} compare_groups[NR_COMPARE_GROUPS] = {
	[CG_FALLBACK] = { "fallback", CALLSITE_FALLBACK, UNSHARE_SYNC_PER_GATHER },
	[CG_COLLAPSE] = { "collapse", CALLSITE_COLLAPSE, UNSHARE_SYNC_PER_GATHER },
	[CG_UNSHARE_GATHER] = { "unshare-per-gather", CALLSITE_UNSHARE, UNSHARE_SYNC_PER_GATHER },
	[CG_UNSHARE_UNSHARE] = { "unshare-per-unshare", CALLSITE_UNSHARE, UNSHARE_SYNC_PER_UNSHARE },
};

enum pt_callsite compare_group_site(int group)
{
	return compare_groups[group].site;
}

const char *compare_group_name(int group)
{
	return group >= 0 && group < NR_COMPARE_GROUPS ? compare_groups[group].name : "?";
}

int compare_group_unshare_sync(int group)
{
	return compare_groups[group].unshare_sync;
}

uint64_t compare_sync_pct(const struct compare_result *res, double p)
{
	/* Sorting in place does not change what the samples are. */
	return samples_percentile((struct samples *)&res->sync_lat, p);
}
