/* SPDX-License-Identifier: MIT */
/*
 * Ground truth from the host kernel: the same trade-off the model makes,
 * measured on the real thing through membarrier(2).
 *
 *  baseline           no call at all: what the bystander feels anyway
 *  global_expedited   IPI to every CPU running a registered process
 *                     (smp_call_function_many, wait): the old
 *                     tlb_remove_table_sync_one(), broadcast
 *  private_expedited  IPI only to CPUs running the caller's mm: a
 *                     bystander in another process must not feel it
 *  global             synchronize_rcu(): interrupts no one, costs a grace
 *                     period (milliseconds): the seed's
 *                     tlb_remove_table_sync_rcu()
 *
 * The caller and a bystander process are pinned to two different host
 * CPUs; the bystander runs the osnoise meter (osnoise.h) through each
 * phase while the caller times every call.  A command the kernel does not
 * offer (MEMBARRIER_CMD_QUERY, seccomp, nohz_full for global) is reported
 * as unsupported, not as an error.
 */
#ifndef PTSYNC_HOSTCHECK_H
#define PTSYNC_HOSTCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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

/*
 * Exit statuses a front end should use for hostcheck_run()'s errors:
 * -ETIMEDOUT (one side stopped answering; a line on stderr names which)
 * is a stall, -EINTR is Ctrl-C, anything else an internal error.
 */
void hostcheck_config_default(struct hostcheck_config *cfg);
/*
 * Run the four phases.  0 ok, <0 -errno (a line on stderr says what).
 * The bystander process is killed and reaped on every return; the calling
 * thread's CPU affinity and SIGINT/SIGTERM handlers are restored.  Side
 * effect that stays: the process is registered for
 * MEMBARRIER_CMD_PRIVATE_EXPEDITED (the kernel has no unregister).
 */
int hostcheck_run(const struct hostcheck_config *cfg, struct hostcheck_result *res);
void hostcheck_print_text(FILE *f, const struct hostcheck_result *res);
/* One JSON object, no trailing newline. */
void hostcheck_print_json(FILE *f, const struct hostcheck_result *res);
const char *hc_mode_name(enum hc_mode m);
/* The point of @c measured at exactly @k targets, or NULL. */
const struct hc_fanout_point *hc_fanout_at(const struct hc_fanout_curve *c, int k);
/* Target IPIs per call per target (1: every call reached every target), -1 unknown. */
double hc_fanout_reached(const struct hc_fanout_point *p);
/* The fan-out text block and the fan-out JSON object (no newline). */
void hostcheck_print_fanout(FILE *f, const struct hostcheck_fanout *fo);
void hostcheck_fanout_json(FILE *f, const struct hostcheck_fanout *fo);

#endif /* PTSYNC_HOSTCHECK_H */
