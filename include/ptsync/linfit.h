/* SPDX-License-Identifier: MIT */
/*
 * Least-squares straight line through (x, y) points: the fan-out fit.
 *
 * Why: a broadcast's cost to the sender grows with its number of targets
 * K, and what carries to other core counts is not one latency but how it
 * grows: a fixed cost (the intercept) and a cost per target (the slope).
 * hostcheck fits both, for the host kernel's broadcast and for the
 * model's, from the median latency at each K, and compare corrects the
 * model's figures by the difference of the slopes.  A line through fewer
 * than two distinct x values is not a fit; linfit() says so rather than
 * invent a slope (a 2-core host has K = 1 only).
 */
#ifndef PTSYNC_LINFIT_H
#define PTSYNC_LINFIT_H

#include <stdbool.h>
#include <stddef.h>

struct linfit {
	bool ok;		/* at least two distinct x: slope is defined */
	size_t n;		/* points used */
	double slope;		/* dy/dx; 0 when !ok */
	double intercept;	/* y at x = 0; the mean y when !ok */
	double r2;		/* coefficient of determination; 0 when !ok */
};

/* Fit y = intercept + slope * x over @n points.  Never fails; see ok. */
struct linfit linfit(const double *x, const double *y, size_t n);

#endif /* PTSYNC_LINFIT_H */
