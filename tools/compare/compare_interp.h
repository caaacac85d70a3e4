/* SPDX-License-Identifier: MIT */
/*
 * ptsync compare: a fan-out curve's p50 at any K (compare_interp.c), pure,
 * so that it has a unit test of its own (compare_interp_test.c).
 */
#ifndef PTSYNC_COMPARE_INTERP_H
#define PTSYNC_COMPARE_INTERP_H

#include "hostcheck_results.h"

enum fanout_how {
	FO_NONE,		/* no figure: one K measured, and not this one */
	FO_MEASURED,		/* the curve has a point at K */
	FO_INTERPOLATED,	/* the fit, K inside the measured range */
	FO_EXTRAPOLATED,	/* the fit, K outside it */
};
enum fanout_how fanout_curve_at(const struct hc_fanout_curve *c, int k, double *ns);
const char *fanout_how_name(enum fanout_how how);

#endif /* PTSYNC_COMPARE_INTERP_H */
