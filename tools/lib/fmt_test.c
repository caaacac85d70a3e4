// SPDX-License-Identifier: MIT
/*
 * The tools' time format (tools/lib/fmt.c).
 *
 * What breaks if these fail: compare's tables and scale's projections
 * print their times through fmt_ns(); a unit picked at the wrong bound
 * prints 0.00ms where 850ns belongs, or a time a thousand times off.
 * Each bound is checked from both sides.
 */
#include <string.h>

#include "fmt.h"
/* tap.h's CPU harness is for tests that run simulated CPUs; not this one. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tap.h"

static int is(double ns, const char *want)
{
	char buf[32];

	return !strcmp(fmt_ns(buf, sizeof(buf), ns), want);
}

int main(void)
{
	ok(is(0, "0ns"), "0 in ns");
	ok(is(999.4, "999ns"), "just below 1us in ns");
	ok(is(1e3, "1.0us"), "1us in us");
	ok(is(12345, "12.3us"), "12345ns in us, one decimal");
	ok(is(999999, "1000.0us"), "just below 1ms stays in us");
	ok(is(1e6, "1.00ms"), "1ms in ms, two decimals");
	ok(is(8.004e6, "8.00ms"), "8.004ms");
	ok(is(1e9, "1.00s"), "1s in s");
	ok(is(1.25e9, "1.25s"), "1.25s");
	return done_testing();
}
