// SPDX-License-Identifier: MIT
/*
 * Sleeping out a run's duration, interruptibly: the drivers (compare's
 * phases, quiet torture runs) stop early when their stop flag is set,
 * which a Ctrl-C handler does.
 */
#include <stdatomic.h>
#include <time.h>

#include "ptsync/util.h"

#define SLEEP_STEP_NS	(20 * NSEC_PER_MSEC)

void sleep_until_ns(uint64_t end_ns, const _Atomic int *stop)
{
	for (uint64_t now; (now = ktime_get_ns()) < end_ns; ) {
		uint64_t left = end_ns - now;
		struct timespec ts = { 0, (long)(left < SLEEP_STEP_NS ? left : SLEEP_STEP_NS) };

		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			return;
		nanosleep(&ts, NULL);
	}
}
