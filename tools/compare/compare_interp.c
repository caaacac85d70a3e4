// SPDX-License-Identifier: MIT
/*
 * ptsync compare: a fan-out curve read at any K.
 *
 * Why a file of its own: the like-for-like check sets the model's grace
 * period / broadcast ratio beside the host's at the same number of
 * targets K (the model's nr_cpus - 1).  hostcheck measures the host's
 * curve at K = 1, 2, 4, 8, ... and the usable CPUs - 1, so --cpus=12 asks
 * for K = 11, which is no measured point.  Falling back to the one-target
 * figure then compared a broadcast to 11 CPUs with one to 1 (model 272 vs
 * host 3,787 on a 16-CPU host).  Here a curve is read at K from its
 * measured point when there is one, else from its least-squares line
 * (hostcheck's fit of p50 against K), and the caller is told which; with
 * neither (one K measured, and not this one) there is no figure.
 *
 * Pure, on hostcheck's structs only, so a unit test can feed it a
 * synthetic curve (compare_interp_test.c).
 */
#include "compare_interp.h"

const char *fanout_how_name(enum fanout_how how)
{
	switch (how) {
	case FO_MEASURED:	return "measured";
	case FO_INTERPOLATED:	return "interpolated";
	case FO_EXTRAPOLATED:	return "extrapolated";
	default:		return "unavailable";
	}
}

enum fanout_how fanout_curve_at(const struct hc_fanout_curve *c, int k, double *ns)
{
	int kmin = 0, kmax = 0;

	*ns = 0;
	if (!c || !c->measured || k < 1)
		return FO_NONE;
	for (int i = 0; i < c->nr; i++) {
		if (c->pt[i].k == k) {
			*ns = (double)c->pt[i].p50_used_ns;
			return FO_MEASURED;
		}
		if (!i || c->pt[i].k < kmin)
			kmin = c->pt[i].k;
		if (!i || c->pt[i].k > kmax)
			kmax = c->pt[i].k;
	}
	if (!c->fit.ok)
		return FO_NONE;
	*ns = c->fit.intercept + c->fit.slope * k;
	if (*ns <= 0)		/* a line far outside its points: no figure */
		return FO_NONE;
	return k >= kmin && k <= kmax ? FO_INTERPOLATED : FO_EXTRAPOLATED;
}
