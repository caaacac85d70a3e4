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
 *
 * This file is the driver: it decides which modes the kernel offers, picks
 * the two CPUs, forks the bystander and runs the phases in order.  What
 * the bystander does, how one phase is timed, and the report each have a
 * file of their own (hostcheck_sys.h lists them), because each runs
 * under different rules: the bystander is another process after fork(),
 * the timing must not disturb what it measures, the report only reads.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostcheck.h"
#include "hostcheck_bystander.h"
#include "hostcheck_fanout.h"
#include "hostcheck_membarrier.h"

/* Ctrl-C or SIGTERM in the caller: a signal handler can only set a flag. */
static void hc_sigint(int sig)
{
	(void)sig;
	hc_interrupted = 1;
}

void hostcheck_config_default(struct hostcheck_config *cfg)
{
	cfg->seconds_per_mode = 1.0;
	cfg->threshold_ns = 1000;
	cfg->max_calls = 100000;
	cfg->fanout = true;
	cfg->fanout_max_k = 0;
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
		res->mode[m].name = hc_mode_name(m);
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
	/* After the bystander left: the fan-out's targets are its own. */
	if (!err && cfg->fanout)
		err = hc_fanout(&hc, &saved);

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
