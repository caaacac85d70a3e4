/* SPDX-License-Identifier: MIT */
/*
 * hostcheck's results: what its phases fill in and its report, compare
 * and the tests read (hostcheck.h says what hostcheck measures and why),
 * with the few accessors both sides use (hostcheck_results.c).
 */
#ifndef PTSYNC_TOOLS_HOSTCHECK_RESULTS_H
#define PTSYNC_TOOLS_HOSTCHECK_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "ptsync/linfit.h"
#include "ptsync/osnoise.h"

enum hc_mode {
	HC_BASELINE,
	HC_GLOBAL_EXPEDITED,
	HC_PRIVATE_EXPEDITED,
	HC_GLOBAL,
	HC_NR_MODES
};

struct hostcheck_config {
	double seconds_per_mode;	/* each phase runs about this long */
	uint64_t threshold_ns;		/* osnoise: smallest gap recorded */
	uint64_t max_calls;		/* a phase also ends after this many calls */
	bool fanout;			/* also measure the fan-out curves */
	int fanout_max_k;		/* 0: usable host CPUs - 1 */
};

/*
 * Fan-out: what one broadcast that waits for every target costs the
 * sender, against the number of targets K (1, 2, 4, ... up to the usable
 * host CPUs - 1, each target alone on its CPU, spinning).  Two curves,
 * measured the same way on the same host:
 *   kernel  membarrier(GLOBAL_EXPEDITED) with K registered spinning
 *           processes: the kernel's smp_call_function_many(wait);
 *   model   ptsync's smp_call_function_many(wait) from CPU 0 to K CPU
 *           threads spinning with IRQs on (kernel/smp.c's delivery).
 * Each is fitted by least squares on its per-K medians: the slope is the
 * cost per target, the intercept the fixed cost.  One K gives no slope.
 */
#define HC_FANOUT_MAX	16

struct hc_fanout_point {
	int k;
	uint64_t calls;
	uint64_t p50_ns, p99_ns;
	int64_t target_ipis;	/* kernel: function-call IPIs the K CPUs took
				 * (/proc/interrupts), -1 unknown; model: signals */
	/*
	 * The p50 the curve is fitted on.  The kernel interrupts only the
	 * targets running at that instant; on a busy host many calls reach
	 * no one and return in a fraction of a microsecond.  Those that do
	 * reach their targets are the slowest (an IPI round trip), so with a
	 * fraction r reached, the median of the calls that reached them is
	 * estimated as the (100 - 50 r)th percentile of all calls.  Equal to
	 * p50_ns when r >= HC_FANOUT_REACHED or unknown.
	 */
	uint64_t p50_used_ns;
	bool estimated;		/* p50_used_ns is that estimate */
};

/* At least this fraction of calls reached their targets: p50 taken as is. */
#define HC_FANOUT_REACHED	0.9

struct hc_fanout_curve {
	bool measured;
	const char *why_not;	/* NULL when measured */
	int nr;
	struct hc_fanout_point pt[HC_FANOUT_MAX];
	struct linfit fit;	/* p50 ns against K */
};

struct hostcheck_fanout {
	bool run;
	int max_k;
	struct hc_fanout_curve kernel, model;
};

struct hostcheck_mode_result {
	const char *name;	/* "baseline", "global_expedited", "private_expedited", "global" */
	bool supported;
	const char *why_unsupported;	/* NULL when supported */
	int error;		/* errno behind why_unsupported, 0 if none */
	uint64_t calls;
	uint64_t p50_ns, p99_ns, max_ns;	/* per-call latency; 0 for baseline */
	uint64_t elapsed_ns;	/* how long the caller's phase ran */
	struct noise bystander;	/* the bystander's osnoise during this phase */
	int64_t bystander_ipis;	/* function-call IPIs its CPU took in the phase
				 * (/proc/interrupts), -1 if unknown */
};

struct hostcheck_result {
	struct hostcheck_config cfg;
	int caller_cpu, bystander_cpu;
	bool same_core;		/* only one usable host CPU: both run on it */
	long query;		/* MEMBARRIER_CMD_QUERY's mask, or -errno */
	struct hostcheck_mode_result mode[HC_NR_MODES];
	double gp_ipi_ratio;	/* global p50 / global_expedited p50; 0 if unknown */
	struct hostcheck_fanout fanout;
};

const char *hc_mode_name(enum hc_mode m);
/* The point of @c measured at exactly @k targets, or NULL. */
const struct hc_fanout_point *hc_fanout_at(const struct hc_fanout_curve *c, int k);
/* Target IPIs per call per target (1: every call reached every target), -1 unknown. */
double hc_fanout_reached(const struct hc_fanout_point *p);
void mark_unsupported(struct hostcheck_mode_result *r, const char *why, int err);

#endif /* PTSYNC_TOOLS_HOSTCHECK_RESULTS_H */
