// SPDX-License-Identifier: MIT
/*
 * hostcheck: the host kernel's own version of the trade-off, as ground
 * truth for the model's cost claims.
 *
 * The whole case for the seed rests on three claims about a real kernel:
 * an IPI broadcast (the old tlb_remove_table_sync_one()) interrupts CPUs
 * that have nothing to do with the unmapping process; synchronize_rcu()
 * (the seed's tlb_remove_table_sync_rcu()) interrupts no one; and in
 * exchange it makes the caller sleep for milliseconds where the IPI costs
 * microseconds.  The model reproduces all three with signals and a tick,
 * so its numbers are only as good as this check against the real thing.
 *
 * membarrier(2) hands exactly these kernel mechanisms to userspace:
 *   GLOBAL_EXPEDITED   smp_call_function_many(wait) to every CPU running a
 *                      process registered for it: the broadcast;
 *   PRIVATE_EXPEDITED  the same, restricted to CPUs running the caller's
 *                      mm: the targeted-IPI idea, which must leave a
 *                      bystander in another mm alone;
 *   GLOBAL             synchronize_rcu().
 * So the caller times each call, and a bystander *process* (its own mm, as
 * in the kernel case, registered for GLOBAL_EXPEDITED so the broadcast
 * really reaches it) runs the model's own osnoise meter on another host
 * CPU, the same meter the model's bystander CPUs use, so the two sets of
 * numbers compare.  A baseline phase with no call at all comes first.
 *
 * The two processes talk through one shared anonymous mapping, set up
 * before fork(), with C11 atomics (lock-free, so they work across
 * processes).  Per phase:
 *
 *   caller                             bystander
 *   stop = 0; go = phase (release)  -> acquire go
 *   acquire started              <- started = phase (release)
 *   time the calls                     osnoise_measure(noise[phase], &stop)
 *   stop = 1                        -> sees stop, returns
 *   acquire done; read noise     <- done = phase (release)
 *
 * Nothing hangs: every wait on the other process has a timeout and names
 * who is stuck; the caller's own calls are watched by a thread that kills
 * the bystander and exits with EXIT_STALL if one never returns; the
 * bystander dies with its parent (PR_SET_PDEATHSIG); and every return
 * from hostcheck_run() kills and reaps it, Ctrl-C included.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptsync/compiler.h"
#include "hostcheck.h"
#include "ptsync/stats.h"
#include "ptsync/util.h"
#include "ptsync/watchdog.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
	       "hostcheck shares atomics between processes: they must be lock-free");

/* A wait on the other process longer than this is a stall. */
#define HC_STALL_NS	(10 * NSEC_PER_SEC)
/* How long a waiting side sleeps between looks (also lets a 1-CPU box run the other side). */
#define HC_NAP_NS	(20 * NSEC_PER_USEC)
#define HC_QUIT		(-1)

static const char *const hc_names[HC_NR_MODES] = {
	[HC_BASELINE]		= "baseline",
	[HC_GLOBAL_EXPEDITED]	= "global_expedited",
	[HC_PRIVATE_EXPEDITED]	= "private_expedited",
	[HC_GLOBAL]		= "global",
};

static const int hc_cmd[HC_NR_MODES] = {
	[HC_BASELINE]		= 0,
	[HC_GLOBAL_EXPEDITED]	= MEMBARRIER_CMD_GLOBAL_EXPEDITED,
	[HC_PRIVATE_EXPEDITED]	= MEMBARRIER_CMD_PRIVATE_EXPEDITED,
	[HC_GLOBAL]		= MEMBARRIER_CMD_GLOBAL,
};

/* What the two processes share: one page-aligned anonymous MAP_SHARED mapping. */
struct hc_shared {
	_Atomic int ready;	/* bystander -> caller: pinned and registered */
	_Atomic int go;		/* caller -> bystander: phase + 1 to measure, or HC_QUIT */
	_Atomic int started;	/* bystander -> caller: phase + 1 now being measured */
	_Atomic int done;	/* bystander -> caller: phase + 1 measured, noise[] written */
	_Atomic int stop;	/* caller -> bystander: end the measurement now */
	/* Written by the bystander before ready (release), read after (acquire). */
	int pin_err;		/* errno of sched_setaffinity, 0 if pinned */
	int reg_err;		/* errno of REGISTER_GLOBAL_EXPEDITED, 0 if registered */
	/* Written by the bystander before done (release), read after (acquire). */
	struct noise noise[HC_NR_MODES];
};

/* One run, caller side. */
struct hc_ctx {
	const struct hostcheck_config *cfg;
	struct hostcheck_result *res;
	struct hc_shared *sh;
	pid_t child;
	bool reaped;
	int child_status;

	/* The caller's watchdog: which call it is in, since when (0: none). */
	pthread_t wd;
	bool wd_running;
	_Atomic int wd_mode;
	_Atomic uint64_t wd_since_ns;
	_Atomic int wd_stop;
};

/* Ctrl-C or SIGTERM in the caller: a signal handler can only set a flag. */
static volatile sig_atomic_t hc_interrupted;

static void hc_sigint(int sig)
{
	(void)sig;
	hc_interrupted = 1;
}

const char *hc_mode_name(enum hc_mode m)
{
	return (unsigned int)m < HC_NR_MODES ? hc_names[m] : "?";
}

void hostcheck_config_default(struct hostcheck_config *cfg)
{
	cfg->seconds_per_mode = 1.0;
	cfg->threshold_ns = 1000;
	cfg->max_calls = 100000;
}

static long sys_membarrier(int cmd, unsigned int flags, int cpu_id)
{
	return syscall(__NR_membarrier, cmd, flags, cpu_id);
}

static void hc_nap(void)
{
	struct timespec ts = { 0, (long)HC_NAP_NS };

	nanosleep(&ts, NULL);
}

static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}

/*
 * Function-call IPIs host CPU @cpu has taken since boot: the row of
 * /proc/interrupts described "Function call interrupts" (x86 CAL, arm64
 * IPI1), in the column the header names CPU<cpu>; -1 if not there.  Read
 * only between phases: it is slow, and the bystander is not measuring.
 */
static int64_t call_ipis(int cpu)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char *line = NULL, *tok, *save, *p, *end;
	size_t cap = 0;
	int col = -1, ncol = 0;
	int64_t v = -1;

	if (!f)
		return -1;
	if (getline(&line, &cap, f) > 0) {
		for (tok = strtok_r(line, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save), ncol++)
			if (!strncmp(tok, "CPU", 3) && strtol(tok + 3, &end, 10) == cpu &&
			    end != tok + 3 && !*end)
				col = ncol;
	}
	while (col >= 0 && getline(&line, &cap, f) > 0) {
		if (!strstr(line, "Function call interrupts") || !(p = strchr(line, ':')))
			continue;
		p++;	/* past the label's colon: one count per CPU column */
		for (int i = 0; i <= col; i++, p = end) {
			unsigned long long x = strtoull(p, &end, 10);

			if (end == p)
				break;
			if (i == col)
				v = (int64_t)x;
		}
		break;
	}
	free(line);
	fclose(f);
	return v;
}

/* ---- the bystander process ---------------------------------------------- */

/* After fork() only write(2): stdio's locks may be held by a caller thread. */
static void child_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void child_say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "ptsync: hostcheck: bystander (pid %d): ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

static _Noreturn void bystander_main(struct hc_shared *sh, const struct hostcheck_config *cfg,
				     pid_t parent, int cpu, bool register_global)
{
	uint64_t measure_ns = (uint64_t)(cfg->seconds_per_mode * NSEC_PER_SEC) + HC_STALL_NS;
	int last = 0;

	/* The caller decides when we stop: Ctrl-C at the terminal reaches the
	 * whole process group, and the caller kills us after it reports. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);	/* the caller died before we could watch it */

	sh->pin_err = pin_self(cpu);
	sh->reg_err = 0;
	if (register_global && sys_membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0))
		sh->reg_err = errno;
	/* Publish pin_err and reg_err; pairs with the smp_load_acquire() of
	 * ready in hc_wait_child(), called from hc_run_phases(). */
	smp_store_release(&sh->ready, 1);

	for (;;) {
		uint64_t since = ktime_get_ns();
		int go;

		/* Pairs with smp_store_release(&sh->go) in hc_phase() and
		 * hc_quit(): stop = 0 is visible once the phase number is. */
		while ((go = smp_load_acquire(&sh->go)) == last) {
			if (ktime_get_ns() - since > HC_STALL_NS) {
				child_say("no word from the caller (pid %d) for %.0f s after "
					  "phase %d: caller stuck; exiting", (int)parent,
					  (double)HC_STALL_NS / NSEC_PER_SEC, last);
				_exit(EXIT_STALL);
			}
			hc_nap();
		}
		if (go == HC_QUIT || go < 1 || go > HC_NR_MODES)
			_exit(0);
		last = go;
		/* Tells the caller the meter runs; no data rides on it.  Pairs
		 * with the smp_load_acquire() in hc_wait_child() in hc_phase(). */
		smp_store_release(&sh->started, go);
		/* Reads sh->stop with READ_ONCE; the caller's WRITE_ONCE(stop, 1)
		 * only ends the loop, so no ordering is needed on it. */
		osnoise_measure(&sh->noise[go - 1], cfg->threshold_ns, measure_ns, &sh->stop);
		/* Publish noise[go - 1]; pairs with the smp_load_acquire() of
		 * done in hc_wait_child(), before hc_phase() copies it. */
		smp_store_release(&sh->done, go);
	}
}

/* ---- the caller's side ---------------------------------------------------- */

/* Has the bystander exited?  Reaps it and reports how, once. */
static bool child_gone(struct hc_ctx *hc)
{
	if (hc->reaped)
		return true;
	if (waitpid(hc->child, &hc->child_status, WNOHANG) != hc->child)
		return false;
	hc->reaped = true;
	return true;
}

static void child_describe(const struct hc_ctx *hc, char *buf, size_t len)
{
	if (WIFSIGNALED(hc->child_status))
		snprintf(buf, len, "was killed by signal %d", WTERMSIG(hc->child_status));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(hc->child_status));
}

/*
 * Wait until *flag == want.  The acquire pairs with the bystander's
 * smp_store_release() of the same flag in bystander_main(): whatever it
 * wrote before (pin_err/reg_err before ready, noise[] before done) is
 * visible once this returns 0.
 */
static int hc_wait_child(struct hc_ctx *hc, _Atomic int *flag, int want, const char *what)
{
	uint64_t since = ktime_get_ns();
	char how[64];

	for (;;) {
		if (smp_load_acquire(flag) == want)
			return 0;
		if (hc_interrupted)
			return -EINTR;
		if (child_gone(hc)) {
			child_describe(hc, how, sizeof(how));
			fprintf(stderr, "ptsync: hostcheck: bystander process %d on CPU %d %s "
				"while the caller waited for it to %s\n", (int)hc->child,
				hc->res->bystander_cpu, how, what);
			return -ECHILD;
		}
		if (ktime_get_ns() - since > HC_STALL_NS) {
			fprintf(stderr, "ptsync: hostcheck: bystander process %d on CPU %d stuck: "
				"it did not %s within %.0f s\n", (int)hc->child,
				hc->res->bystander_cpu, what, (double)HC_STALL_NS / NSEC_PER_SEC);
			return -ETIMEDOUT;
		}
		hc_nap();
	}
}

/* Kill and reap the bystander; bounded, like every other wait here. */
static void child_kill(struct hc_ctx *hc)
{
	uint64_t since = ktime_get_ns();

	if (hc->child <= 0 || child_gone(hc))
		return;
	kill(hc->child, SIGKILL);
	while (!child_gone(hc)) {
		if (ktime_get_ns() - since > HC_STALL_NS) {
			fprintf(stderr, "ptsync: hostcheck: bystander process %d does not die "
				"after SIGKILL; leaving it\n", (int)hc->child);
			return;
		}
		hc_nap();
	}
}

/* Ask the bystander to exit, wait for it with a timeout, else kill it. */
static int hc_quit(struct hc_ctx *hc)
{
	uint64_t since = ktime_get_ns();
	char how[64];

	/* No data rides on the quit; release for symmetry with hc_phase(),
	 * pairs with the smp_load_acquire(&sh->go) in bystander_main(). */
	smp_store_release(&hc->sh->go, HC_QUIT);
	while (!child_gone(hc)) {
		if (hc_interrupted) {
			child_kill(hc);
			return -EINTR;
		}
		if (ktime_get_ns() - since > HC_STALL_NS) {
			/* Every phase is measured already: say so, keep them. */
			fprintf(stderr, "ptsync: hostcheck: bystander process %d did not exit "
				"within %.0f s of being asked; killed it\n", (int)hc->child,
				(double)HC_STALL_NS / NSEC_PER_SEC);
			child_kill(hc);
			return 0;
		}
		hc_nap();
	}
	if (WIFEXITED(hc->child_status) && WEXITSTATUS(hc->child_status) == 0)
		return 0;
	child_describe(hc, how, sizeof(how));
	fprintf(stderr, "ptsync: hostcheck: bystander process %d %s at the end\n",
		(int)hc->child, how);
	return -ECHILD;
}

/*
 * The caller's watchdog: a membarrier() that never returns cannot be
 * timed out from the thread that made it.  The thread sleeps on the
 * caller's CPU (it inherits the pinning), so it is never running when a
 * PRIVATE_EXPEDITED call looks for CPUs in our mm.
 */
static void *hc_watchdog(void *arg)
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

static void wd_begin(struct hc_ctx *hc, enum hc_mode m)
{
	WRITE_ONCE(hc->wd_mode, (int)m);
	/* Mode before time; pairs with the smp_load_acquire() in hc_watchdog(). */
	smp_store_release(&hc->wd_since_ns, ktime_get_ns());
}

static void wd_end(struct hc_ctx *hc)
{
	/* Relaxed: nothing rides on it; hc_watchdog() reading the old time a
	 * little late cannot fire, the limit is 10 s past the phase's end. */
	WRITE_ONCE(hc->wd_since_ns, 0);
}

static void mark_unsupported(struct hostcheck_mode_result *r, const char *why, int err)
{
	r->supported = false;
	r->why_unsupported = why;
	r->error = err;
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

static int hc_phase(struct hc_ctx *hc, enum hc_mode m)
{
	struct hostcheck_mode_result *r = &hc->res->mode[m];
	struct hc_shared *sh = hc->sh;
	int seq = (int)m + 1, err;
	int64_t ipis, after;
	uint64_t start;
	struct samples s;
	char what[64];

	ipis = call_ipis(hc->res->bystander_cpu);
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
		after = call_ipis(hc->res->bystander_cpu);
		r->bystander_ipis = ipis >= 0 && after >= ipis ? after - ipis : -1;
		r->calls = s.n;
		r->p50_ns = samples_percentile(&s, 50);
		r->p99_ns = samples_percentile(&s, 99);
		r->max_ns = samples_max(&s);
	}
	samples_free(&s);
	return err;
}

/* The first two CPUs this thread may run on; one if that is all there is. */
static int pick_cpus(const cpu_set_t *allowed, struct hostcheck_result *res)
{
	res->caller_cpu = res->bystander_cpu = -1;
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, allowed))
			continue;
		if (res->caller_cpu < 0) {
			res->caller_cpu = i;
		} else {
			res->bystander_cpu = i;
			break;
		}
	}
	if (res->caller_cpu < 0)
		return -ENODEV;
	res->same_core = res->bystander_cpu < 0;
	if (res->same_core)
		res->bystander_cpu = res->caller_cpu;
	return 0;
}

/* Decide, before any phase, which commands this kernel offers us. */
static void hc_supported(struct hostcheck_result *res)
{
	static const char *const no_query = "membarrier(MEMBARRIER_CMD_QUERY) failed";
	static const char *const not_offered = "not offered by MEMBARRIER_CMD_QUERY";

	res->mode[HC_BASELINE].supported = true;
	for (int m = HC_GLOBAL_EXPEDITED; m < HC_NR_MODES; m++) {
		struct hostcheck_mode_result *r = &res->mode[m];

		r->supported = true;
		if (res->query < 0)
			mark_unsupported(r, no_query, (int)-res->query);
		else if (!(res->query & hc_cmd[m]))
			mark_unsupported(r, not_offered, 0);
	}
	if (res->mode[HC_GLOBAL_EXPEDITED].supported &&
	    !(res->query & MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED))
		mark_unsupported(&res->mode[HC_GLOBAL_EXPEDITED], not_offered, 0);
	if (res->mode[HC_PRIVATE_EXPEDITED].supported &&
	    !(res->query & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
		mark_unsupported(&res->mode[HC_PRIVATE_EXPEDITED], not_offered, 0);
}

/* Everything after fork(): the phases, with the bystander alive. */
static int hc_run_phases(struct hc_ctx *hc)
{
	struct hostcheck_result *res = hc->res;
	struct hc_shared *sh = hc->sh;
	int err;

	err = hc_wait_child(hc, &sh->ready, 1, "pin itself and register");
	if (err)
		return err;
	if (sh->pin_err) {
		fprintf(stderr, "ptsync: hostcheck: cannot pin the bystander to CPU %d: %s\n",
			res->bystander_cpu, strerror(sh->pin_err));
		return -sh->pin_err;
	}
	if (res->mode[HC_GLOBAL_EXPEDITED].supported && sh->reg_err)
		mark_unsupported(&res->mode[HC_GLOBAL_EXPEDITED],
				 "the bystander cannot register for it", sh->reg_err);

	for (int m = 0; m < HC_NR_MODES; m++) {
		struct hostcheck_mode_result *r = &res->mode[m];

		if (m == HC_PRIVATE_EXPEDITED && r->supported &&
		    sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0))
			mark_unsupported(r, "the caller cannot register for it", errno);
		if (!r->supported)
			continue;
		err = hc_phase(hc, m);
		if (err)
			return err;
	}
	return hc_quit(hc);
}

int hostcheck_run(const struct hostcheck_config *cfg, struct hostcheck_result *res)
{
	struct sigaction sa = { .sa_handler = hc_sigint }, old_int, old_term;
	struct hc_ctx hc = { .cfg = cfg, .res = res, .child = -1 };
	const struct hostcheck_mode_result *ge, *gl;
	cpu_set_t saved;
	pid_t parent;
	int err;
	long q;

	memset(res, 0, sizeof(*res));
	res->cfg = *cfg;
	for (int m = 0; m < HC_NR_MODES; m++) {
		res->mode[m].name = hc_names[m];
		res->mode[m].bystander.threshold_ns = cfg->threshold_ns;
		res->mode[m].bystander_ipis = -1;
	}
	if (!(cfg->seconds_per_mode > 0) || !cfg->threshold_ns || !cfg->max_calls)
		return -EINVAL;
	if (sched_getaffinity(0, sizeof(saved), &saved)) {
		err = -errno;
		fprintf(stderr, "ptsync: hostcheck: sched_getaffinity: %s\n", strerror(-err));
		return err;
	}
	err = pick_cpus(&saved, res);
	if (err) {
		fprintf(stderr, "ptsync: hostcheck: no usable host CPU\n");
		return err;
	}
	q = sys_membarrier(MEMBARRIER_CMD_QUERY, 0, 0);
	res->query = q < 0 ? -(long)errno : q;
	hc_supported(res);

	hc.sh = mmap(NULL, sizeof(*hc.sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (hc.sh == MAP_FAILED) {
		err = -errno;
		fprintf(stderr, "ptsync: hostcheck: mmap: %s\n", strerror(-err));
		return err;
	}
	/* mmap zero-fills: ready, go, started, done, stop and noise[] start at 0. */

	hc_interrupted = 0;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	err = pin_self(res->caller_cpu);
	if (err) {
		fprintf(stderr, "ptsync: hostcheck: cannot pin the caller to CPU %d: %s\n",
			res->caller_cpu, strerror(err));
		err = -err;
		goto out;
	}

	fflush(NULL);
	parent = getpid();
	hc.child = fork();
	if (hc.child == 0)
		bystander_main(hc.sh, cfg, parent, res->bystander_cpu,
			       res->mode[HC_GLOBAL_EXPEDITED].supported);
	if (hc.child < 0) {
		err = -errno;
		fprintf(stderr, "ptsync: hostcheck: fork: %s\n", strerror(-err));
		goto out;
	}
	err = -pthread_create(&hc.wd, NULL, hc_watchdog, &hc);
	if (err) {
		fprintf(stderr, "ptsync: hostcheck: cannot start the watchdog: %s\n",
			strerror(-err));
		goto out;
	}
	hc.wd_running = true;
	err = hc_run_phases(&hc);

out:
	if (hc.wd_running) {
		/* Read by READ_ONCE in hc_watchdog()'s loop; pthread_join()
		 * orders everything after it. */
		WRITE_ONCE(hc.wd_stop, 1);
		pthread_join(hc.wd, NULL);
	}
	child_kill(&hc);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sched_setaffinity(0, sizeof(saved), &saved);
	munmap(hc.sh, sizeof(*hc.sh));
	if (err == -EINTR)
		fprintf(stderr, "ptsync: hostcheck: interrupted; bystander stopped\n");

	ge = &res->mode[HC_GLOBAL_EXPEDITED];
	gl = &res->mode[HC_GLOBAL];
	if (ge->supported && gl->supported && ge->p50_ns && gl->p50_ns)
		res->gp_ipi_ratio = (double)gl->p50_ns / (double)ge->p50_ns;
	return err;
}

/* ---- reports ---------------------------------------------------------------- */

static void print_us(FILE *f, uint64_t ns, bool have)
{
	if (have)
		fprintf(f, " %11.2f", (double)ns / 1e3);
	else
		fprintf(f, " %11s", "-");
}

void hostcheck_print_text(FILE *f, const struct hostcheck_result *res)
{
	const struct hostcheck_mode_result *ge;

	fprintf(f, "ptsync hostcheck: membarrier(2) on this kernel, %.2f s per mode "
		"(at most %" PRIu64 " calls), bystander osnoise threshold %" PRIu64 " ns\n",
		res->cfg.seconds_per_mode, res->cfg.max_calls, res->cfg.threshold_ns);
	fprintf(f, "ptsync hostcheck: caller on host CPU %d, bystander process "
		"(another mm) on host CPU %d\n", res->caller_cpu, res->bystander_cpu);
	if (res->same_core)
		fprintf(f, "ptsync hostcheck: note: only 1 usable host CPU: caller and "
			"bystander share it, so the bystander's noise includes the caller's "
			"own run time and no IPI can be seen\n");
	if (res->query < 0)
		fprintf(f, "ptsync hostcheck: membarrier(2) unavailable: %s\n",
			strerror((int)-res->query));
	fprintf(f, "%-18s %9s %11s %11s %11s | %9s %9s %11s %11s %11s\n", "mode", "calls",
		"p50 us", "p99 us", "max us", "ipis", "gaps", "noise us", "max gap us",
		"noise us/s");
	for (int m = 0; m < HC_NR_MODES; m++) {
		const struct hostcheck_mode_result *r = &res->mode[m];
		const struct noise *n = &r->bystander;
		bool lat = m != HC_BASELINE;

		if (!r->supported) {
			fprintf(f, "%-18s unsupported: %s%s%s\n", r->name, r->why_unsupported,
				r->error ? ": " : "", r->error ? strerror(r->error) : "");
			continue;
		}
		fprintf(f, "%-18s %9" PRIu64, r->name, r->calls);
		print_us(f, r->p50_ns, lat);
		print_us(f, r->p99_ns, lat);
		print_us(f, r->max_ns, lat);
		if (r->bystander_ipis >= 0)
			fprintf(f, " | %9" PRId64, r->bystander_ipis);
		else
			fprintf(f, " | %9s", "?");
		fprintf(f, " %9" PRIu64 " %11.2f %11.2f %11.2f\n", n->gaps.count,
			(double)n->gaps.sum / 1e3, (double)n->gaps.max / 1e3,
			noise_ns_per_s(n) / 1e3);
	}
	ge = &res->mode[HC_GLOBAL_EXPEDITED];
	if (ge->supported && ge->bystander_ipis >= 0 &&
	    (uint64_t)ge->bystander_ipis < ge->calls / 2)
		fprintf(f, "ptsync hostcheck: note: %" PRId64 " IPIs reached the bystander for "
			"%" PRIu64 " global_expedited calls: the kernel interrupts only CPUs "
			"running a registered process at that instant, so the bystander was "
			"often off its CPU (a busy host?) and the p50 is of calls that "
			"interrupted no one\n", ge->bystander_ipis, ge->calls);
	if (res->gp_ipi_ratio > 0)
		fprintf(f, "ptsync hostcheck: synchronize_rcu (global) p50 is %.0fx an IPI "
			"broadcast (global_expedited) p50\n", res->gp_ipi_ratio);
	else
		fprintf(f, "ptsync hostcheck: global / global_expedited ratio unknown "
			"(one of them unsupported)\n");
}

void hostcheck_print_json(FILE *f, const struct hostcheck_result *res)
{
	fprintf(f, "{\"caller_cpu\":%d,\"bystander_cpu\":%d,\"same_core\":%s,"
		"\"seconds_per_mode\":%.3f,\"threshold_ns\":%" PRIu64 ",\"max_calls\":%"
		PRIu64 ",\"membarrier_query\":%ld,\"gp_ipi_ratio\":%.3f,\"modes\":{",
		res->caller_cpu, res->bystander_cpu, res->same_core ? "true" : "false",
		res->cfg.seconds_per_mode, res->cfg.threshold_ns, res->cfg.max_calls,
		res->query, res->gp_ipi_ratio);
	for (int m = 0; m < HC_NR_MODES; m++) {
		const struct hostcheck_mode_result *r = &res->mode[m];
		const struct noise *n = &r->bystander;

		fprintf(f, "%s\"%s\":{\"supported\":%s,\"why_unsupported\":", m ? "," : "",
			r->name, r->supported ? "true" : "false");
		if (r->why_unsupported)
			json_string(f, r->why_unsupported);
		else
			fputs("null", f);
		fprintf(f, ",\"error\":%d,\"calls\":%" PRIu64 ",\"p50_ns\":%" PRIu64
			",\"p99_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64 ",\"elapsed_ns\":%" PRIu64
			",\"bystander\":{\"ipis\":%" PRId64 ",\"runtime_ns\":%" PRIu64
			",\"gaps\":%" PRIu64 ",\"noise_ns\":%" PRIu64 ",\"max_gap_ns\":%" PRIu64
			",\"noise_ns_per_s\":%.1f}}",
			r->error, r->calls, r->p50_ns, r->p99_ns, r->max_ns, r->elapsed_ns,
			r->bystander_ipis, n->runtime_ns, n->gaps.count, n->gaps.sum,
			n->gaps.max, noise_ns_per_s(n));
	}
	fputs("}}", f);
}
