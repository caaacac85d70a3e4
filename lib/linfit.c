// SPDX-License-Identifier: MIT
/*
 * Ordinary least squares on a handful of points (linfit.h says why).
 * Centred sums, so large intercepts (microseconds in ns) lose no
 * precision against a small slope.
 */
#include <math.h>

#include "ptsync/linfit.h"

struct linfit linfit(const double *x, const double *y, size_t n)
{
	struct linfit f = { .n = n };
	double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0;

	if (!n)
		return f;
	for (size_t i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= (double)n;
	my /= (double)n;
	for (size_t i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
		syy += (y[i] - my) * (y[i] - my);
	}
	f.intercept = my;
	/* All x equal (one K): the slope is undefined, not zero. */
	if (!(sxx > 1e-12 * (1 + mx * mx)))
		return f;
	f.ok = true;
	f.slope = sxy / sxx;
	f.intercept = my - f.slope * mx;
	f.r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1.0;
	return f;
}
