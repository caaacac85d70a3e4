// SPDX-License-Identifier: MIT
/*
 * The bystander meters: osnoise (gaps in a spinning clock loop) and
 * timerlat (lateness of periodic absolute-deadline wakeups).
 *
 * The osnoise loop is two clock reads and a compare; its own period is a
 * few tens of nanoseconds, so a gap above the threshold (default 1 us) is
 * time the thread did not run: a signal handler (an IPI in our model), a
 * host interrupt, or the host scheduler.  That is why every report carries
 * a baseline measured the same way with no sync running.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "ptsync/compiler.h"
#include "ptsync/osnoise.h"
#include "ptsync/util.h"

const char *noise_mode_name(enum noise_mode m)
{
	return m == NOISE_TIMERLAT ? "timerlat" : "osnoise";
}

void osnoise_measure(struct noise *n, uint64_t threshold_ns, uint64_t duration_ns,
		     const _Atomic int *stop)
{
	uint64_t start = ktime_get_ns(), last = start, end = start + duration_ns;
	unsigned int polls = 0;

	n->threshold_ns = threshold_ns;
	for (;;) {
		uint64_t now = ktime_get_ns();

		if (now - last > threshold_ns)
			hist_add(&n->gaps, now - last);
		last = now;
		if (now >= end || (++polls % 1024 == 0 && stop && READ_ONCE(*stop)))
			break;
	}
	n->runtime_ns += last - start;
}

bool timerlat_set_fifo(void)
{
	struct sched_param sp = { .sched_priority = 1 };

	return pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
}

static void ts_from_ns(struct timespec *ts, uint64_t ns)
{
	ts->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
}

void timerlat_measure(struct noise *n, uint64_t period_ns, uint64_t duration_ns,
		      const _Atomic int *stop)
{
	uint64_t start = ktime_get_ns(), next = start + period_ns;
	uint64_t end = start + duration_ns;

	while (next <= end && !(stop && READ_ONCE(*stop))) {
		struct timespec ts;
		uint64_t now;

		ts_from_ns(&ts, next);
		/* A signal (an IPI) interrupts the sleep: sleep again to the
		 * same deadline; the handler's time shows as lateness only if
		 * it runs past the deadline, as on a real CPU. */
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		now = ktime_get_ns();
		hist_add(&n->gaps, now > next ? now - next : 0);
		n->wakeups++;
		next += period_ns;
		if (next < now)		/* overran whole periods: skip them */
			next = now + period_ns;
	}
	n->runtime_ns += ktime_get_ns() - start;
}

void noise_merge(struct noise *dst, const struct noise *src)
{
	dst->runtime_ns += src->runtime_ns;
	dst->threshold_ns = src->threshold_ns;
	dst->wakeups += src->wakeups;
	dst->fifo |= src->fifo;
	hist_merge(&dst->gaps, &src->gaps);
}

double noise_ns_per_s(const struct noise *n)
{
	return n->runtime_ns ? (double)n->gaps.sum * 1e9 / (double)n->runtime_ns : 0.0;
}
