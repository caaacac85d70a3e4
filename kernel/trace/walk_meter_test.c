// SPDX-License-Identifier: MIT
/*
 * The walk meter (kernel/trace/walk_meter.c): accounting, not timing.
 *
 * What breaks if these fail: compare's walkers{} figures (IRQs-off duty
 * cycle, walk and between-walk p50s) feed scale's model of how long a
 * broadcast waits at a walker.  A meter that lost walks, counted a gap
 * before the first walk, charged a walk the meter never saw begin, or let
 * the masked time exceed the span would put a wrong duty cycle there.
 */
#include "ptsync/trace.h"
#include "ptsync/util.h"
#include "tap.h"

#define WALKS	50

static void spin_ns(uint64_t ns)
{
	uint64_t end = ktime_get_ns() + ns;

	while (ktime_get_ns() < end)
		;
}

int main(void)
{
	struct walk_meter *m;
	struct walk_meter_cpu *w;

	(void)test_run_start;	/* tap.h's CPU harness: not needed here */
	ok(walk_meter_start(2) == 0 && ptsync_walk_meter, "walk_meter_start: metering on");
	/* A walk in progress when the meter started: its end alone is ignored. */
	trace_walk_end(0);
	for (int i = 0; i < WALKS; i++) {
		trace_walk_begin(0);
		spin_ns(2000);		/* IRQs "masked" */
		trace_walk_end(0);
		spin_ns(6000);		/* IRQs on between walks */
	}
	trace_walk_begin(5);	/* not a metered CPU: ignored */
	trace_walk_end(-1);
	m = walk_meter_stop();
	ok(m && !ptsync_walk_meter, "walk_meter_stop: metering off, the figures handed over");
	w = &m->cpu[0];
	ok(w->walks == WALKS && w->len.n == WALKS, "%d walks counted, %zu lengths kept (want %d)",
	   (int)w->walks, w->len.n, WALKS);
	ok(w->gap.n == WALKS - 1, "%zu gaps: one between each pair of walks, none before the first",
	   w->gap.n);
	ok(w->off_ns > 0 && w->off_ns < w->last_end_ns - w->first_ns,
	   "masked time %llu ns within the walks' span %llu ns",
	   (unsigned long long)w->off_ns, (unsigned long long)(w->last_end_ns - w->first_ns));
	ok(samples_percentile(&w->len, 50) >= 2000 && samples_percentile(&w->gap, 50) >= 6000,
	   "each walk at least its 2 us spin (p50 %llu), each gap at least 6 us (p50 %llu)",
	   (unsigned long long)samples_percentile(&w->len, 50),
	   (unsigned long long)samples_percentile(&w->gap, 50));
	ok(m->cpu[1].walks == 0 && m->cpu[1].len.n == 0, "CPU 1 walked nothing: nothing metered");
	walk_meter_free(m);
	trace_walk_begin(0);	/* off: must not touch the freed meter */
	trace_walk_end(0);
	ok(1, "hooks with metering off do nothing");
	return done_testing();
}
