// SPDX-License-Identifier: MIT
/*
 * The fan-out fit (lib/linfit.c).
 *
 * What breaks if these fail: compare's corrected figures are the measured
 * ones minus K times the difference of two fitted slopes.  A fit that got
 * the slope wrong would move every corrected figure by K times its error,
 * and one that returned a slope from a single K (a 2-core host) would
 * invent a per-target cost out of nothing.
 */
#include <math.h>
#include <stdint.h>

#include "ptsync/linfit.h"
#include "tap.h"

static bool near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

/* xorshift: a repeatable jitter, no libc rand() state */
static double jitter(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (double)(*s % 2001) / 1000.0 - 1.0;	/* -1 .. 1 */
}

int main(void)
{
	/* The fan-out shape: K = 1, 2, 4, 8, 15; 2800 ns fixed, 450 ns per target. */
	double k[] = { 1, 2, 4, 8, 15 }, y[5], yn[5];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	struct linfit f;

	(void)test_run_start;	/* tap.h's CPU harness: not needed here */
	for (int i = 0; i < 5; i++)
		y[i] = 2800 + 450 * k[i];
	f = linfit(k, y, 5);
	ok(f.ok && f.n == 5, "exact points: a fit over 5 points");
	ok(near(f.slope, 450, 1e-6), "exact points: slope %.6f = 450 ns per target", f.slope);
	ok(near(f.intercept, 2800, 1e-6), "exact points: intercept %.6f = 2800 ns", f.intercept);
	ok(near(f.r2, 1, 1e-9), "exact points: r2 %.9f = 1", f.r2);

	/* Jitter of up to +-100 ns around the line: the slope within 20 ns. */
	for (int i = 0; i < 5; i++)
		yn[i] = y[i] + 100 * jitter(&seed);
	f = linfit(k, yn, 5);
	ok(f.ok && near(f.slope, 450, 20), "jittered points: slope %.1f within 20 of 450", f.slope);
	ok(near(f.intercept, 2800, 150), "jittered points: intercept %.1f within 150 of 2800",
	   f.intercept);
	ok(f.r2 > 0.99 && f.r2 <= 1, "jittered points: 0.99 < r2 %.4f <= 1", f.r2);

	/* A steeper model line is told apart from the host's. */
	for (int i = 0; i < 5; i++)
		y[i] = 1900 + 3100 * k[i];
	f = linfit(k, y, 5);
	ok(f.ok && near(f.slope, 3100, 1e-6) && near(f.intercept, 1900, 1e-6),
	   "a second line: slope %.3f, intercept %.3f (3100, 1900)", f.slope, f.intercept);

	/* Two points are enough, and a flat line has slope 0, not "no fit". */
	f = linfit(k, (double[]){ 5000, 5000 }, 2);
	ok(f.ok && near(f.slope, 0, 1e-9) && near(f.intercept, 5000, 1e-9),
	   "flat line over K = 1, 2: slope %.3f, intercept %.3f", f.slope, f.intercept);

	/* One K (a 2-core host), or the same K twice: no slope. */
	f = linfit(k, (double[]){ 9100 }, 1);
	ok(!f.ok && f.slope == 0 && near(f.intercept, 9100, 1e-9),
	   "one point: no fit (ok=%d), slope 0, intercept the point", f.ok);
	f = linfit((double[]){ 1, 1, 1 }, (double[]){ 9000, 9100, 9200 }, 3);
	ok(!f.ok && near(f.intercept, 9100, 1e-9),
	   "three points at one K: no fit (ok=%d), intercept the mean %.1f", f.ok, f.intercept);
	f = linfit(k, y, 0);
	ok(!f.ok && f.n == 0, "no points: no fit");
	return done_testing();
}
