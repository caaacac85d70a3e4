/* SPDX-License-Identifier: MIT */
/*
 * Small things every file needs: the clock, a seeded per-thread PRNG, and
 * a fatal-error helper that names who failed.
 *
 * The PRNG is splitmix64: one 64-bit word of state per thread, seeded from
 * (run seed, CPU id), so the same --seed gives every CPU the same sequence
 * of jobs.  Interleavings still depend on the host scheduler; that is the
 * point of a torture test, and why the seed is printed, not hidden.
 */
#ifndef PTSYNC_UTIL_H
#define PTSYNC_UTIL_H

#include <stdint.h>

#include <time.h>

#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL

static inline uint64_t ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

struct prandom {
	uint64_t state;
};

static inline void prandom_seed(struct prandom *r, uint64_t seed, uint64_t stream)
{
	r->state = seed ^ (stream * 0x9e3779b97f4a7c15ULL);
}

static inline uint64_t prandom_u64(struct prandom *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t prandom_below(struct prandom *r, uint64_t n)
{
	return prandom_u64(r) % n;
}

/* True with probability p (0 <= p <= 1); p == 1 is always true. */
static inline int prandom_chance(struct prandom *r, double p)
{
	return (double)(prandom_u64(r) >> 11) * 0x1.0p-53 < p;
}

/* Sleep until @end_ns, or until *@stop is set (checked every 20 ms). */
void sleep_until_ns(uint64_t end_ns, const _Atomic int *stop);

/* Busy-wait without sleeping: used inside IRQs-off sections. */
static inline void ndelay_spin(uint64_t ns)
{
	uint64_t end = ktime_get_ns() + ns;

	while (ktime_get_ns() < end)
		;
}

#include <stdio.h>

/* lib/json.c: @s as a JSON string, quoted and escaped (jw_: not jansson). */
void jw_string(FILE *f, const char *s);

/* lib/proc_interrupts.c: function-call IPIs host CPU @cpu took; -1 unknown. */
int64_t proc_call_ipis(int cpu);
/* ... summed over the @k host CPUs in @cpus; -1 if any is unknown. */
int64_t proc_call_ipis_sum(const int *cpus, int k);

_Noreturn void ptsync_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* PTSYNC_UTIL_H */
