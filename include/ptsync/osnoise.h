/* SPDX-License-Identifier: MIT */
/*
 * What a bystander feels: the two meters of the kernel's osnoise tracer
 * (kernel/trace/trace_osnoise.c), in userspace.
 *
 *  osnoise   spin reading CLOCK_MONOTONIC; every gap between two reads
 *            longer than the threshold is time the CPU was taken away
 *            (an interrupt, a signal handler, the host scheduler).
 *  timerlat  sleep to absolute deadlines (clock_nanosleep TIMER_ABSTIME,
 *            SCHED_FIFO when permitted, like cyclictest) and record how
 *            late each wakeup is.
 *
 * Both accumulate into a struct noise (one writer); the model's bystander
 * CPUs and hostcheck's bystander process use the same code, so their
 * numbers compare.
 */
#ifndef PTSYNC_OSNOISE_H
#define PTSYNC_OSNOISE_H

#include <stdbool.h>
#include <stdint.h>

#include "stats.h"

enum noise_mode {
	NOISE_OSNOISE,
	NOISE_TIMERLAT,
};

struct noise {
	uint64_t runtime_ns;	/* time spent measuring */
	uint64_t threshold_ns;	/* osnoise: smallest gap recorded */
	struct hist gaps;	/* osnoise gaps, or timerlat wakeup latencies */
	uint64_t wakeups;	/* timerlat: periods measured */
	bool fifo;		/* timerlat ran SCHED_FIFO */
};

/*
 * Measure for @duration_ns, or until *@stop becomes non-zero.  For
 * timerlat, @period_ns is the wakeup period.  Interruptions by our own
 * IPI signals are part of what is measured.
 */
void osnoise_measure(struct noise *n, uint64_t threshold_ns, uint64_t duration_ns,
		     const _Atomic int *stop);
void timerlat_measure(struct noise *n, uint64_t period_ns, uint64_t duration_ns,
		      const _Atomic int *stop);
/* Try SCHED_FIFO for the calling thread; false if not permitted. */
bool timerlat_set_fifo(void);
void noise_merge(struct noise *dst, const struct noise *src);
/* Time lost (gaps, or lateness) per second measured. */
double noise_ns_per_s(const struct noise *n);
const char *noise_mode_name(enum noise_mode m);

#endif /* PTSYNC_OSNOISE_H */
