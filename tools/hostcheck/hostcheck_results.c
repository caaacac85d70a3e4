// SPDX-License-Identifier: MIT
/*
 * What hostcheck's phases and its report (and compare) both need to read
 * the results (hostcheck_results.h); it calls neither side.
 */
#include "hostcheck_results.h"

static const char *const hc_names[HC_NR_MODES] = {
	[HC_BASELINE]		= "baseline",
	[HC_GLOBAL_EXPEDITED]	= "global_expedited",
	[HC_PRIVATE_EXPEDITED]	= "private_expedited",
	[HC_GLOBAL]		= "global",
};

const char *hc_mode_name(enum hc_mode m)
{
	return (unsigned int)m < HC_NR_MODES ? hc_names[m] : "?";
}

void mark_unsupported(struct hostcheck_mode_result *r, const char *why, int err)
{
	r->supported = false;
	r->why_unsupported = why;
	r->error = err;
}

double hc_fanout_reached(const struct hc_fanout_point *p)
{
	if (p->target_ipis < 0 || !p->calls || !p->k)
		return -1;
	return (double)p->target_ipis / ((double)p->calls * p->k);
}

const struct hc_fanout_point *hc_fanout_at(const struct hc_fanout_curve *c, int k)
{
	for (int i = 0; c->measured && i < c->nr; i++)
		if (c->pt[i].k == k)
			return &c->pt[i];
	return NULL;
}
