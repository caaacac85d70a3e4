// SPDX-License-Identifier: MIT
/*
 * The strategy table: every sync strategy by name, in report order.
 * Adding one is a file beside this one and a line below.
 */
#include <stdio.h>
#include <string.h>

#include "ptsync/names.h"
#include "ptsync/strategy.h"

const struct pt_sync_ops *const pt_sync_ops_all[] = {
	&none_sync_ops,
	&ipi_sync_ops,
	&rcu_sync_ops,
	&pt_reclaim_sync_ops,
	&rcu_exp_sync_ops,
	&targeted_sync_ops,
	&targeted_v4_sync_ops,
	&flush_ipi_sync_ops,
	&eqs_sync_ops,
	&targeted_rmb_sync_ops,
	&eqs_racy_sync_ops,
	&flush_ipi_pv_sync_ops,
	&targeted_v4_unshare_sync_ops,
	NULL,
};

DEFINE_NAMED_TABLE_LOOKUPS(struct pt_sync_ops, pt_sync_ops_find, pt_sync_ops_names,
			   pt_sync_ops_all)

const char *pt_sync_bystander_name(enum pt_sync_bystander b)
{
	static const char *const names[NR_BYSTANDER_KINDS] = {
		[BYSTANDER_SPARED] = "spared",
		[BYSTANDER_IPI_PER_SYNC] = "ipi-per-sync",
		[BYSTANDER_IPI_UNLESS_NOHZ_FULL] = "ipi-unless-nohz-full",
		[BYSTANDER_IPI_UNLESS_FLUSH_IPI] = "ipi-unless-flush-ipi",
	};

	return enum_name(names, NR_BYSTANDER_KINDS, (int)b, "?");
}

static const char *const callsite_names[NR_CALLSITES] = {
	[CALLSITE_FALLBACK] = "fallback",
	[CALLSITE_COLLAPSE] = "collapse",
	[CALLSITE_UNSHARE] = "unshare",
};

/* callsite_find()'s miss, CALLSITE_NONE, is enum_find()'s. */
_Static_assert(CALLSITE_NONE == -1, "CALLSITE_NONE is enum_find()'s -1");
DEFINE_ENUM_LOOKUPS(callsite_name, callsite_find, callsite_names, NR_CALLSITES, "?")

/* CALLSITE_BIT(s) is bit s: the set as enum_set_str() reads it. */
const char *callsites_str(unsigned int sites, char *buf, size_t len)
{
	return enum_set_str(callsite_names, NR_CALLSITES, sites, buf, len);
}

enum pt_sync_mechanism pt_sync_site_mechanism(const struct pt_sync_ops *ops,
					      enum pt_callsite site)
{
	return pt_sync_applies(ops, site) ? ops->mech : MECH_BROADCAST;
}

enum pt_sync_bystander pt_sync_site_bystander(const struct pt_sync_ops *ops,
					      enum pt_callsite site)
{
	if (!pt_sync_applies(ops, site))
		return BYSTANDER_IPI_PER_SYNC;
	return ops->bystander_at ? ops->bystander_at[site] : ops->bystander;
}

const char *pt_sync_site_what(const struct pt_sync_ops *ops, enum pt_callsite site,
			      char *buf, size_t len)
{
	if (ops->at[site])
		snprintf(buf, len, "%s", ops->at[site]);
	else if (pt_sync_applies(ops, site))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "upstream: IPI every CPU (no answer yet)");
	return buf;
}
