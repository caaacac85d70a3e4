// SPDX-License-Identifier: MIT
/*
 * A fan-out curve read at any K (compare_interp.c).
 *
 * What breaks if these fail: compare's like-for-like ratio divides the
 * host's grace period by the host's broadcast at the model's K.  Read at
 * the wrong K, or from one bystander when K is no measured point, it
 * compares a broadcast to 11 CPUs with one to 1 and calls the model 14x
 * off.  A synthetic curve with a known line checks each way of reading it.
 */
#include <math.h>

#include "compare_interp.h"
#include "tap.h"

static void curve(struct hc_fanout_curve *c, const int *k, int n, double a, double b)
{
	double x[HC_FANOUT_MAX], y[HC_FANOUT_MAX];

	*c = (struct hc_fanout_curve){ .measured = true, .nr = n };
	for (int i = 0; i < n; i++) {
		c->pt[i].k = k[i];
		/* measured points off the line by +100 ns at even K: a point
		 * read as measured is told apart from one read off the fit */
		c->pt[i].p50_ns = (uint64_t)(a + b * k[i] + (k[i] % 2 ? 0 : 100));
		c->pt[i].p50_used_ns = c->pt[i].p50_ns;
		x[i] = k[i];
		y[i] = (double)c->pt[i].p50_used_ns;
	}
	c->fit = linfit(x, y, (size_t)n);
}

int main(void)
{
	static const int ks[] = { 1, 2, 4, 8, 15 };
	struct hc_fanout_curve c;
	enum fanout_how how;
	double ns;

	(void)test_run_start;	/* tap.h's CPU harness: not needed here */
	/* 2250 ns + 489 ns per target: the 16-CPU host's kernel fit. */
	curve(&c, ks, 5, 2250, 489);
	how = fanout_curve_at(&c, 8, &ns);
	ok(how == FO_MEASURED && ns == 2250 + 489 * 8 + 100,
	   "K=8, a measured point: its p50 %.0f (%s)", ns, fanout_how_name(how));
	how = fanout_curve_at(&c, 11, &ns);
	ok(how == FO_INTERPOLATED && fabs(ns - (c.fit.intercept + c.fit.slope * 11)) < 1e-6,
	   "K=11, no point: the fit's %.0f = %.1f + 11 x %.1f (%s)", ns, c.fit.intercept,
	   c.fit.slope, fanout_how_name(how));
	ok(fabs(ns - (2250 + 489 * 11)) < 150, "... within the points' 100 ns of the true line (%.0f)",
	   ns);
	how = fanout_curve_at(&c, 63, &ns);
	ok(how == FO_EXTRAPOLATED && ns > 2250 + 489 * 60,
	   "K=63, beyond the points: the fit, marked extrapolated (%.0f)", ns);
	how = fanout_curve_at(&c, 0, &ns);
	ok(how == FO_NONE, "K=0: no figure (%s)", fanout_how_name(how));

	/* A 2-core host: K = 1 only, no slope. */
	curve(&c, ks, 1, 8500, 0);
	how = fanout_curve_at(&c, 1, &ns);
	ok(how == FO_MEASURED && ns == 8500, "one point, K=1: measured %.0f", ns);
	how = fanout_curve_at(&c, 3, &ns);
	ok(how == FO_NONE && ns == 0,
	   "one point, K=3: no figure rather than the one-target p50 (%s)", fanout_how_name(how));

	/* Not measured at all. */
	c.measured = false;
	ok(fanout_curve_at(&c, 1, &ns) == FO_NONE, "a curve not measured: no figure");
	ok(fanout_curve_at(NULL, 1, &ns) == FO_NONE, "no curve: no figure");
	return done_testing();
}
