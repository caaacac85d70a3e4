// SPDX-License-Identifier: MIT
/*
 * hostcheck's fan-out curves: what one broadcast that waits for all its
 * targets costs the sender, against the number of targets K, for the host
 * kernel and for the model, measured the same way on the same host.
 *
 * Why: a single latency does not carry to another machine; how it grows
 * with K does.  The kernel queues the call on every target and sends the
 * IPIs in one go; the model sends one signal, one syscall, per target.  At
 * K = 1 the two can agree and still be an order of magnitude apart at
 * K = 1000.  So both curves are measured at K = 1, 2, 4, ... up to the
 * usable host CPUs - 1, every target alone on its CPU and spinning (so
 * the kernel really interrupts it, and the sender really waits for it),
 * and each is fitted by least squares (lib/linfit.c) on its per-K medians
 * (for the kernel on a busy host, the median of the calls that reached
 * their targets, estimated: see hc_fanout_point in hostcheck.h):
 * the slope is the cost per target, the intercept the fixed cost.
 * compare corrects the model's figures by the difference of the slopes.
 *
 *   kernel  K processes (their own mm each, as a bystander's would be),
 *           each pinned to its own CPU, registered for
 *           MEMBARRIER_CMD_GLOBAL_EXPEDITED and spinning; the caller times
 *           membarrier(GLOBAL_EXPEDITED), which returns once every CPU
 *           running a registered process ran the IPI.  The K CPUs'
 *           function-call IPIs are read from /proc/interrupts around it,
 *           so a busy host that kept the spinners off their CPUs shows.
 *   model   a ptsync run of K + 1 CPU threads: CPU 0 times
 *           smp_call_function_many(wait) of an empty function to the
 *           others, which spin with IRQs on (kernel/smp.c's delivery).
 *
 * Nothing hangs: the spinners die with their parent (PR_SET_PDEATHSIG),
 * leave on their own after the phase's time plus HC_STALL_NS, and are
 * killed and reaped on every return; the caller's membarrier() calls run
 * under hostcheck's watchdog (wd_begin/wd_end); every wait is bounded.
 * The model's waits are under the model's own watchdog.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostcheck_fanout.h"
#include "hostcheck_membarrier.h"
#include "ptsync/smp.h"
#include "ptsync/torture.h"
#include "ptsync/watchdog.h"

/*
 * Untimed pause after each call, kernel and model alike.  Back to back, on
 * a busy host, calls pile up in the moments when the targets are off
 * their CPUs (a call that reaches no one returns in half a microsecond),
 * so the calls would sample those moments, not time; spaced, they sample
 * time more evenly.  It changes nothing on a quiet host.
 */
#define FANOUT_GAP_NS	(20 * NSEC_PER_USEC)

static void fanout_gap(void)
{
	uint64_t t = ktime_get_ns();

	while (ktime_get_ns() - t < FANOUT_GAP_NS)
		cpu_relax();
}

/* What the caller and its K spinners share (one MAP_SHARED page). */
struct hc_spin_shared {
	_Atomic int ready;	/* spinners pinned and registered, counted */
	_Atomic int failed;	/* a spinner could not pin or register */
	_Atomic int quit;	/* caller -> spinners: leave */
};

_Noreturn static void spinner_main(struct hc_spin_shared *sh, pid_t parent, int cpu,
				   uint64_t limit_ns)
{
	uint64_t since;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	if (pin_self(cpu) || sys_membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0)) {
		/* Relaxed: the caller only reads it to give up. */
		atomic_fetch_add_explicit(&sh->failed, 1, memory_order_relaxed);
		_exit(1);
	}
	/* Registered before counted: the caller times calls only once all K
	 * are counted, so every call must reach all K.  Pairs with the
	 * smp_load_acquire() of ready in fanout_wait_ready(). */
	atomic_fetch_add_explicit(&sh->ready, 1, memory_order_release);
	since = ktime_get_ns();
	while (!READ_ONCE(sh->quit)) {
		/* The spin is the point: a running registered process on
		 * this CPU is what GLOBAL_EXPEDITED must interrupt.  Check
		 * the clock only now and then. */
		for (int i = 0; i < 4096; i++)
			cpu_relax();
		if (ktime_get_ns() - since > limit_ns)
			_exit(EXIT_STALL);	/* the caller forgot us */
	}
	_exit(0);
}

static void spinners_reap(pid_t *pids, int n, struct hc_spin_shared *sh)
{
	uint64_t since = ktime_get_ns();

	/* Only ends the spin loop; nothing rides on it. */
	WRITE_ONCE(sh->quit, 1);
	for (int i = 0; i < n; i++) {
		while (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) != pids[i]) {
			if (ktime_get_ns() - since > HC_STALL_NS / 10)
				kill(pids[i], SIGKILL);
			if (ktime_get_ns() - since > HC_STALL_NS) {
				fprintf(stderr, "ptsync: hostcheck: fan-out spinner %d does not "
					"die; leaving it\n", (int)pids[i]);
				break;
			}
			hc_nap();
		}
		pids[i] = 0;
	}
}

static int fanout_wait_ready(struct hc_spin_shared *sh, int k)
{
	uint64_t since = ktime_get_ns();

	/* Pairs with the release increment in spinner_main(). */
	while (smp_load_acquire(&sh->ready) < k) {
		if (READ_ONCE(sh->failed))
			return -EPERM;
		if (hc_interrupted)
			return -EINTR;
		if (ktime_get_ns() - since > HC_STALL_NS) {
			fprintf(stderr, "ptsync: hostcheck: fan-out: only %d of %d spinners "
				"started within %.0f s\n", smp_load_acquire(&sh->ready), k,
				(double)HC_STALL_NS / NSEC_PER_SEC);
			return -ETIMEDOUT;
		}
		hc_nap();
	}
	return 0;
}

/* One K for the kernel: fork, time, reap. */
static int kernel_point(struct hc_ctx *hc, struct hc_spin_shared *sh, const int *cpus,
			int k, struct hc_fanout_point *pt)
{
	const struct hostcheck_config *cfg = hc->cfg;
	uint64_t span = (uint64_t)(cfg->seconds_per_mode * NSEC_PER_SEC), end;
	pid_t pids[CPU_SETSIZE] = { 0 }, parent = getpid();
	int64_t before, after;
	struct samples s;
	int err = 0;

	WRITE_ONCE(sh->ready, 0);
	WRITE_ONCE(sh->failed, 0);
	WRITE_ONCE(sh->quit, 0);
	fflush(NULL);
	for (int i = 0; i < k; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			spinner_main(sh, parent, cpus[i], span + HC_STALL_NS);
		if (pids[i] < 0) {
			err = -errno;
			fprintf(stderr, "ptsync: hostcheck: fan-out: fork: %s\n", strerror(-err));
			spinners_reap(pids, i, sh);
			return err;
		}
	}
	err = fanout_wait_ready(sh, k);
	if (err) {
		spinners_reap(pids, k, sh);
		return err;
	}
	samples_init(&s, cfg->max_calls);
	before = proc_call_ipis_sum(cpus, k);
	end = ktime_get_ns() + span;
	wd_begin(hc, HC_GLOBAL_EXPEDITED);
	for (;;) {
		uint64_t t0 = ktime_get_ns(), t1;
		long ret = sys_membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0);

		t1 = ktime_get_ns();
		if (ret) {
			err = -errno;
			fprintf(stderr, "ptsync: hostcheck: fan-out: membarrier(GLOBAL_EXPEDITED) "
				"failed at K=%d: %s\n", k, strerror(-err));
			break;
		}
		samples_add(&s, t1 - t0);
		if (hc_interrupted) {
			err = -EINTR;
			break;
		}
		if (s.n >= cfg->max_calls || t1 >= end)
			break;
		fanout_gap();
	}
	wd_end(hc);
	after = proc_call_ipis_sum(cpus, k);
	spinners_reap(pids, k, sh);
	pt->k = k;
	pt->calls = s.n;
	pt->p50_ns = samples_percentile(&s, 50);
	pt->p99_ns = samples_percentile(&s, 99);
	pt->target_ipis = before >= 0 && after >= before ? after - before : -1;
	pt->p50_used_ns = pt->p50_ns;
	{
		double r = hc_fanout_reached(pt);

		if (r > 0 && r < HC_FANOUT_REACHED) {
			pt->p50_used_ns = samples_percentile(&s, 100 - 50 * r);
			pt->estimated = true;
		}
	}
	samples_free(&s);
	return err;
}

/* ---- the model's curve ---- */

struct model_fanout {
	uint64_t span_ns, max_calls;
	struct samples s;
	_Atomic int ready, done;
};

static void fanout_nop(void *info)
{
	(void)info;
}

static void model_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct model_fanout *mf = run->priv;
	uint64_t since, end;

	if (c->id != 0) {
		/* A target: IRQs on, spinning, as the kernel side's spinners. */
		atomic_fetch_add_explicit(&mf->ready, 1, memory_order_relaxed);
		while (!READ_ONCE(run->stop))
			cpu_relax();
		return;
	}
	since = ktime_get_ns();
	while (READ_ONCE(mf->ready) < run->nr_cpus - 1 && !READ_ONCE(run->stop) &&
	       ktime_get_ns() - since < HC_STALL_NS)
		cpu_relax();
	end = ktime_get_ns() + mf->span_ns;
	while (!READ_ONCE(run->stop) && !hc_interrupted) {
		uint64_t t0 = ktime_get_ns(), t1;

		smp_call_function_many(&run->online, fanout_nop, NULL, true);
		t1 = ktime_get_ns();
		samples_add(&mf->s, t1 - t0);
		if (mf->s.n >= mf->max_calls || t1 >= end)
			break;
		fanout_gap();
	}
	/* Read by the main thread's poll in model_point(); the samples are
	 * read only after ptsync_run_stop() joined this thread. */
	WRITE_ONCE(mf->done, 1);
}

static int model_point(const struct hostcheck_config *cfg, int k, struct hc_fanout_point *pt)
{
	struct model_fanout mf = {
		.span_ns = (uint64_t)(cfg->seconds_per_mode * NSEC_PER_SEC),
		.max_calls = cfg->max_calls,
	};
	struct ptsync_config pc;
	struct ptsync_run *run;
	uint64_t since;
	int64_t ipis = 0;

	ptsync_config_default(&pc);
	pc.nr_cpus = k + 1;
	pc.nr_freers = 1;
	pc.nr_walkers = 0;
	pc.nr_bystanders = k;
	pc.nr_mms = 1;
	pc.ops = pt_sync_ops_find("ipi");
	pc.progress = false;
	pc.pt_pages = 1024;
	pc.folios = 1024;
	samples_init(&mf.s, cfg->max_calls);
	run = ptsync_run_create(&pc);
	run->priv = &mf;
	cpus_start(run, model_cpu);
	since = ktime_get_ns();
	while (!READ_ONCE(mf.done) && !hc_interrupted &&
	       ktime_get_ns() - since < mf.span_ns + HC_STALL_NS)
		hc_nap();
	ptsync_run_stop(run);
	for (int i = 1; i < run->nr_cpus; i++)
		ipis += (int64_t)READ_ONCE(run->cpus[i].stats.ipis_received);
	ptsync_run_destroy(run);
	free(run);
	pt->k = k;
	pt->calls = mf.s.n;
	pt->p50_ns = samples_percentile(&mf.s, 50);
	pt->p99_ns = samples_percentile(&mf.s, 99);
	pt->target_ipis = ipis;
	pt->p50_used_ns = pt->p50_ns;
	samples_free(&mf.s);
	if (hc_interrupted)
		return -EINTR;
	if (!pt->calls) {
		fprintf(stderr, "ptsync: hostcheck: fan-out: the model's CPU 0 made no call "
			"to %d targets\n", k);
		return -ETIMEDOUT;
	}
	return 0;
}

static void fit_curve(struct hc_fanout_curve *c)
{
	double x[HC_FANOUT_MAX], y[HC_FANOUT_MAX];

	for (int i = 0; i < c->nr; i++) {
		x[i] = c->pt[i].k;
		y[i] = (double)c->pt[i].p50_used_ns;
	}
	c->fit = linfit(x, y, (size_t)c->nr);
}

/* K = 1, 2, 4, ... below max_k, then max_k itself. */
static int fanout_ks(int max_k, int *ks)
{
	int n = 0;

	for (int k = 1; k < max_k && n < HC_FANOUT_MAX - 1; k *= 2)
		ks[n++] = k;
	if (max_k >= 1)
		ks[n++] = max_k;
	return n;
}

int hc_fanout(struct hc_ctx *hc, const cpu_set_t *allowed)
{
	struct hostcheck_result *res = hc->res;
	struct hostcheck_fanout *fo = &res->fanout;
	int cpus[CPU_SETSIZE], nr = 0, ks[HC_FANOUT_MAX], nk, err = 0;
	struct hc_spin_shared *sh;

	fo->run = true;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, allowed) && i != res->caller_cpu)
			cpus[nr++] = i;
	fo->max_k = nr;
	if (hc->cfg->fanout_max_k > 0 && hc->cfg->fanout_max_k < fo->max_k)
		fo->max_k = hc->cfg->fanout_max_k;
	if (fo->max_k < 1) {
		fo->kernel.why_not = fo->model.why_not =
			"one usable host CPU: no target can have a CPU of its own";
		return 0;
	}
	nk = fanout_ks(fo->max_k, ks);

	if (!res->mode[HC_GLOBAL_EXPEDITED].supported) {
		fo->kernel.why_not = "membarrier(GLOBAL_EXPEDITED) unsupported here";
	} else {
		sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			  -1, 0);
		if (sh == MAP_FAILED)
			return -errno;
		for (int i = 0; i < nk && !err; i++) {
			err = kernel_point(hc, sh, cpus, ks[i], &fo->kernel.pt[i]);
			if (!err)
				fo->kernel.nr = i + 1;
		}
		munmap(sh, sizeof(*sh));
		if (err == -EPERM) {
			fo->kernel.why_not = "a spinner could not pin itself or register";
			err = 0;
		} else if (err) {
			return err;
		} else {
			fo->kernel.measured = true;
			fit_curve(&fo->kernel);
		}
	}
	/* The model's CPU threads pin themselves round-robin over the CPUs
	 * their creator may use, so K + 1 threads each get a core of their
	 * own only once this thread is no longer pinned to the caller's CPU
	 * (hostcheck_run() restores the affinity it saved on return). */
	if (sched_setaffinity(0, sizeof(*allowed), allowed))
		return -errno;
	for (int i = 0; i < nk && !err; i++) {
		err = model_point(hc->cfg, ks[i], &fo->model.pt[i]);
		if (!err)
			fo->model.nr = i + 1;
	}
	if (err)
		return err;
	fo->model.measured = true;
	fit_curve(&fo->model);
	return 0;
}
