// SPDX-License-Identifier: MIT
/*
 * hostcheck's measurements: one phase per membarrier(2) mode.
 *
 * A file of its own because this is the part whose every line can change
 * the numbers: the caller issues and times calls back to back (or, for
 * the baseline, sleeps), samples are allocated before the clock starts,
 * and the slow things, reading /proc/interrupts for the bystander CPU's
 * function-call IPIs, happen only between phases, while the bystander is
 * not measuring.  A call that never returns cannot be timed out from the
 * thread that made it, so the caller's own watchdog lives here too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostcheck_bystander.h"
#include "hostcheck_membarrier.h"
#include "ptsync/stats.h"
#include "ptsync/watchdog.h"

/*
 * The caller's watchdog: a membarrier() that never returns cannot be
 * timed out from the thread that made it.  The thread sleeps on the
 * caller's CPU (it inherits the pinning), so it is never running when a
 * PRIVATE_EXPEDITED call looks for CPUs in our mm.
 */
void *hc_watchdog(void *arg)
{
	struct hc_ctx *hc = arg;
	uint64_t limit = (uint64_t)(hc->cfg->seconds_per_mode * NSEC_PER_SEC) + HC_STALL_NS;
	struct timespec ts = { 0, (long)(50 * NSEC_PER_MSEC) };

	while (!READ_ONCE(hc->wd_stop)) {
		/* Pairs with smp_store_release(&hc->wd_since_ns) in wd_begin():
		 * wd_mode is the one that since belongs to. */
		uint64_t since = smp_load_acquire(&hc->wd_since_ns);
		uint64_t now = ktime_get_ns();

		if (since && now > since && now - since > limit) {
			int m = READ_ONCE(hc->wd_mode);

			fprintf(stderr, "ptsync: hostcheck: caller (pid %d, CPU %d) stuck in "
				"phase %s (%s) for %.1f s; killing the bystander\n",
				(int)getpid(), hc->res->caller_cpu, hc_mode_name(m),
				m == HC_BASELINE ? "sleeping" : "membarrier()",
				(double)(now - since) / NSEC_PER_SEC);
			/* The caller thread is stuck in the kernel, so it is not
			 * touching hc->child/reaped now; we exit right after. */
			child_kill(hc);
			_exit(EXIT_STALL);
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

void wd_begin(struct hc_ctx *hc, enum hc_mode m)
{
	WRITE_ONCE(hc->wd_mode, (int)m);
	/* Mode before time; pairs with the smp_load_acquire() in hc_watchdog(). */
	smp_store_release(&hc->wd_since_ns, ktime_get_ns());
}

void wd_end(struct hc_ctx *hc)
{
	/* Relaxed: nothing rides on it; hc_watchdog() reading the old time a
	 * little late cannot fire, the limit is 10 s past the phase's end. */
	WRITE_ONCE(hc->wd_since_ns, 0);
}

/* The baseline: the caller sleeps out the phase, waking to notice Ctrl-C. */
static int hc_idle(uint64_t end)
{
	for (uint64_t now; (now = ktime_get_ns()) < end; ) {
		uint64_t left = end - now < 10 * NSEC_PER_MSEC ? end - now : 10 * NSEC_PER_MSEC;
		struct timespec ts = { 0, (long)left };

		if (hc_interrupted)
			return -EINTR;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Issue and time calls until the phase's time or call budget is spent. */
static int hc_calls(struct hc_ctx *hc, enum hc_mode m, uint64_t end, struct samples *s)
{
	struct hostcheck_mode_result *r = &hc->res->mode[m];

	for (;;) {
		uint64_t t0 = ktime_get_ns(), t1;
		long ret = sys_membarrier(hc_cmd[m], 0, 0);

		t1 = ktime_get_ns();
		if (ret) {
			int err = errno;

			if (s->n == 0) {	/* e.g. GLOBAL under nohz_full: EINVAL */
				mark_unsupported(r, "the first call failed", err);
				return 0;
			}
			fprintf(stderr, "ptsync: hostcheck: membarrier(%s) failed after %zu calls: %s\n",
				hc_mode_name(m), s->n, strerror(err));
			return -err;
		}
		samples_add(s, t1 - t0);
		if (hc_interrupted)
			return -EINTR;
		if (s->n >= hc->cfg->max_calls || t1 >= end)
			return 0;
	}
}

int hc_phase(struct hc_ctx *hc, enum hc_mode m)
{
	struct hostcheck_mode_result *r = &hc->res->mode[m];
	struct hc_shared *sh = hc->sh;
	int seq = (int)m + 1, err;
	int64_t ipis, after;
	uint64_t start;
	struct samples s;
	char what[64];

	ipis = proc_call_ipis(hc->res->bystander_cpu);
	WRITE_ONCE(sh->stop, 0);
	/* stop = 0 before the phase number; pairs with the smp_load_acquire()
	 * of go in bystander_main().  The bystander finished the previous
	 * phase (we saw its done), so it is not reading stop now. */
	smp_store_release(&sh->go, seq);
	snprintf(what, sizeof(what), "start measuring phase %s", hc_mode_name(m));
	err = hc_wait_child(hc, &sh->started, seq, what);
	if (err)
		return err;

	samples_init(&s, hc->cfg->max_calls);
	start = ktime_get_ns();
	wd_begin(hc, m);
	if (m == HC_BASELINE)
		err = hc_idle(start + (uint64_t)(hc->cfg->seconds_per_mode * NSEC_PER_SEC));
	else
		err = hc_calls(hc, m, start + (uint64_t)(hc->cfg->seconds_per_mode * NSEC_PER_SEC), &s);
	wd_end(hc);
	r->elapsed_ns = ktime_get_ns() - start;

	/* Only ends the bystander's loop (READ_ONCE in osnoise_measure());
	 * its results come back through done, below. */
	WRITE_ONCE(sh->stop, 1);
	if (!err) {
		snprintf(what, sizeof(what), "finish measuring phase %s", hc_mode_name(m));
		err = hc_wait_child(hc, &sh->done, seq, what);
	}
	if (!err && r->supported) {
		/* After the acquire of done in hc_wait_child(): noise[m] is complete. */
		r->bystander = sh->noise[m];
		after = proc_call_ipis(hc->res->bystander_cpu);
		r->bystander_ipis = ipis >= 0 && after >= ipis ? after - ipis : -1;
		r->calls = s.n;
		r->p50_ns = samples_percentile(&s, 50);
		r->p99_ns = samples_percentile(&s, 99);
		r->max_ns = samples_max(&s);
	}
	samples_free(&s);
	return err;
}
