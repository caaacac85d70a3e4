// SPDX-License-Identifier: MIT
/*
 * trace_overhead: what --trace costs a GUP-fast walk.
 *
 * Why: the trace hooks sit on the hottest path the model has (every
 * IRQs-off walk), so their cost has to be known before a traced run's
 * timing is believed.  One CPU maps a 2 MiB region and walks it in
 * alternating blocks with tracing off (ptsync_trace NULL: one load and a
 * branch per hook) and on (two clock reads per walk, one record in
 * TRACE_WALK_SAMPLE), the same walk, the same run; medians of the blocks.
 * The trace goes to /dev/null.  Nothing is asserted: see bench/README.md.
 *
 *   trace_overhead [--walks=K] [--blocks=N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptsync/gup.h"
#include "ptsync/run.h"
#include "ptsync/torture.h"
#include "ptsync/trace.h"

#define PROG "trace_overhead"
#include "bench.h"

#define MAX_BLOCKS	256

struct trace_bench {
	unsigned int walks, blocks;
	struct ptsync_trace *trace;
	uint64_t ns_off[MAX_BLOCKS], ns_on[MAX_BLOCKS];
	bool failed;
};

static uint64_t time_walks(struct cpu *c, struct trace_bench *b, bool on)
{
	struct mm_struct *mm = &c->run->mms[0];
	uint32_t inc = READ_ONCE(mm->incarnation);
	struct folio *pages[16];
	uint64_t t0, dt, pinned = 0;

	ptsync_trace = on ? b->trace : NULL;
	t0 = ktime_get_ns();
	for (unsigned int i = 0; i < b->walks; i++) {
		int nr = gup_fast(mm, torture_region_addr(0), 16, pages);

		pinned += (uint64_t)nr;
		gup_check_and_put(c, mm, inc, torture_region_addr(0), nr, pages);
	}
	dt = ktime_get_ns() - t0;
	ptsync_trace = b->trace;
	if (pinned != (uint64_t)b->walks * 16)
		b->failed = true;
	return dt;
}

static void walk_cpu(struct cpu *c)
{
	struct trace_bench *b = c->run->priv;

	if (c->id)
		return;
	if (map_range(&c->run->mms[0], torture_region_addr(0), PMD_SIZE, false) !=
	    PMD_SIZE / PAGE_SIZE) {
		b->failed = true;
		return;
	}
	time_walks(c, b, false);	/* warm up */
	time_walks(c, b, true);
	for (unsigned int i = 0; i < b->blocks; i++) {
		b->ns_off[i] = time_walks(c, b, false);
		b->ns_on[i] = time_walks(c, b, true);
	}
}

/* ns per walk, the median of the blocks. */
static double median(uint64_t *ns, const struct trace_bench *b)
{
	return (double)bench_median(ns, b->blocks) / b->walks;
}

int main(int argc, char **argv)
{
	struct trace_bench b = { .walks = 2000, .blocks = 51 };
	struct ptsync_config cfg;
	struct ptsync_run *run;

	for (int i = 1; i < argc; i++)
		if (!parse_uint(argv[i], "--walks=", 1, 1000000, &b.walks) &&
		    !parse_uint(argv[i], "--blocks=", 1, MAX_BLOCKS, &b.blocks)) {
			fprintf(stderr, "usage: trace_overhead [--walks=K] [--blocks=N]\n");
			return 2;
		}
	bench_walk_config(&cfg, pt_sync_ops_find("ipi"));
	if (trace_open("/dev/null", 2, 1u << 20, 1)) {
		fprintf(stderr, "trace_overhead: cannot open the trace\n");
		return 1;
	}
	b.trace = ptsync_trace;
	run = bench_run_start(&cfg, walk_cpu, &b);
	if (!run)
		return 1;
	if (!bench_run_finish(run))
		b.failed = true;
	trace_close();
	if (b.failed) {
		fprintf(stderr, "trace_overhead: a walk came back short, a violation, or a leak\n");
		return 1;
	}
	double off = median(b.ns_off, &b), on = median(b.ns_on, &b);

	printf("# --trace on a 16-page gup_fast (ipi): median of %u ABAB blocks of %u walks\n"
	       "trace off %8.1f ns/walk\ntrace on  %8.1f ns/walk  %.3fx (one walk in %d recorded)\n",
	       b.blocks, b.walks, off, on, on / off, TRACE_WALK_SAMPLE);
	return 0;
}
