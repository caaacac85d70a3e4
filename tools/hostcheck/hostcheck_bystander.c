// SPDX-License-Identifier: MIT
/*
 * hostcheck's bystander process, and the caller's handle on it.
 *
 * A file of its own because its first half runs in another process: after
 * fork(), in a child that must not touch stdio (a caller thread may have
 * held its lock at the fork), that pins itself to its own host CPU,
 * registers for MEMBARRIER_CMD_GLOBAL_EXPEDITED so the broadcast really
 * reaches it, and runs the osnoise meter once per phase when told to.  It
 * dies with its parent.  The second half is the caller's side of the
 * conversation: waiting for a flag with a timeout that names who is stuck,
 * asking the bystander to quit, and killing it, every wait bounded.
 * The protocol is in tools/hostcheck/hostcheck.c's opening comment.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/membarrier.h>

#include "hostcheck_bystander.h"
#include "ptsync/watchdog.h"

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

_Noreturn void bystander_main(struct hc_shared *sh, const struct hostcheck_config *cfg,
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
int hc_wait_child(struct hc_ctx *hc, _Atomic int *flag, int want, const char *what)
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
void child_kill(struct hc_ctx *hc)
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
int hc_quit(struct hc_ctx *hc)
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
