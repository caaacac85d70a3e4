// SPDX-License-Identifier: MIT
/*
 * The stall watchdog: a thread that reads every CPU's wait slot and turns a
 * wait older than --stall-timeout into a report and exit status 3.
 *
 * It reports what a kernel engineer would ask first: who is waiting, for
 * what, since when, and who holds it up.  For an IPI, the target: IRQs
 * masked?  which activity?  For a grace period or rcu_barrier(), every
 * registered RCU reader (kernel/rcu/tree_stall.c keeps the list) that is
 * online and has not reported a quiescent state since the grace period
 * began: CPUs and helper threads, never an offline CPU, never the waiter,
 * which goes offline to wait.  liburcu's call_rcu worker is a reader too,
 * but liburcu does not say whether it is online; when no reader of ours
 * is behind, the report says exactly that and describes the worker, rather
 * than blame anyone.  And a waiter whose grace period is over but whose
 * thread has not run since its wake-up was due is held up by the host
 * scheduler, which the report says too: valgrind without --fair-sched=yes
 * does it, letting spinning threads keep one runnable thread off its big
 * lock for tens of seconds.
 *
 * It never tries to recover: a stall in this model is a bug in the model
 * or in the strategy under test, and a hang would hide it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ptsync/run.h"
#include "ptsync/watchdog.h"

#define WATCHDOG_PERIOD_NS	(5 * NSEC_PER_MSEC)
/* A wake-up this late means the thread was not given the CPU. */
#define WAKEUP_SLACK_NS		(100 * NSEC_PER_MSEC)
#define REPORT			"ptsync: watchdog:   "

const char *stall_kind_name(int kind)
{
	switch (kind) {
	case STALL_NONE:	return "nothing";
	case STALL_IPI:		return "an IPI to be taken (smp_call_function_many, wait)";
	case STALL_CSD:		return "an earlier IPI's csd to be released";
	case STALL_GP:		return "a grace period (synchronize_rcu)";
	case STALL_BARRIER:	return "RCU callbacks (rcu_barrier)";
	case STALL_STOP:	return "the other CPUs to stop";
	case STALL_SETTLE:	return "the bystanders to settle in user mode";
	}
	return "?";
}

static double seconds_since(uint64_t now, uint64_t then)
{
	return now > then ? (double)(now - then) / NSEC_PER_SEC : 0.0;
}

/* The host's view of one of our threads: /proc/self/task/TID/stat. */
static const char *host_thread_state(pid_t tid)
{
	char path[64], line[512], *p = NULL;
	FILE *f;

	if (tid <= 0)
		return "unknown";
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return "gone";
	if (fgets(line, sizeof(line), f))
		p = strrchr(line, ')');		/* the name may hold spaces */
	fclose(f);
	if (!p || p[1] != ' ')
		return "unknown";
	switch (p[2]) {
	case 'R':		return "running";
	case 'S':		return "sleeping";
	case 'D':		return "in uninterruptible sleep";
	case 'T': case 't':	return "stopped";
	case 'Z': case 'X':	return "gone";
	}
	return "unknown";
}

/*
 * The report reads other threads' fields once each, with no ordering
 * between them: it is a snapshot taken seconds into a stall, and the
 * process exits right after printing it.
 */
static void describe_cpu(const char *tag, const struct cpu *c, uint64_t now)
{
	fprintf(stderr, REPORT "%s: CPU %d (%s): IRQs %s%s, %s context, "
		"RCU %s, activity %s, last QS %.3f s ago, host thread %d %s\n",
		tag, c->id, cpu_role_name(c->role),
		READ_ONCE(c->irqs_disabled) ? "disabled" : "enabled",
		READ_ONCE(c->irq_pending) ? " (IPI pending)" : "",
		cpu_context_name(READ_ONCE(c->context)),
		READ_ONCE(c->rcu_online) ? "online" : "offline (EQS)",
		cpu_activity_name(READ_ONCE(c->activity)),
		seconds_since(now, READ_ONCE(c->last_qs_ns)),
		(int)READ_ONCE(c->tid), host_thread_state(READ_ONCE(c->tid)));
}

static void describe_reader(const char *tag, const struct rcu_reader_info *r,
			    uint64_t now)
{
	struct timespec cpu_time = { 0, 0 };
	bool timed = r->has_cpu_clock &&
		     clock_gettime((clockid_t)r->cpu_clock, &cpu_time) == 0;

	if (r->cpu) {
		describe_cpu(tag, r->cpu, now);
		return;
	}
	if (r->tid)
		fprintf(stderr, REPORT "%s: %s: host thread %d %s", tag, r->name,
			(int)r->tid, host_thread_state(r->tid));
	else
		fprintf(stderr, REPORT "%s: %s: host thread not known yet (its "
			"first callback has not run)", tag, r->name);
	if (timed)
		fprintf(stderr, ", %.3f s of CPU",
			(double)cpu_time.tv_sec + (double)cpu_time.tv_nsec / 1e9);
	if (r->online < 0)
		fprintf(stderr, ", RCU state kept by liburcu\n");
	else
		fprintf(stderr, ", RCU %s, last QS %.3f s ago\n",
			r->online ? "online" : "offline",
			seconds_since(now, r->last_qs_ns));
}

/*
 * Threads of this process that are neither a registered reader, nor the
 * main thread, nor this one: liburcu's worker before its tid is known,
 * or a thread that registered with liburcu behind our back.
 */
static void describe_other_threads(const struct rcu_reader_info *readers, int n)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *d;

	if (!dir)
		return;
	while ((d = readdir(dir))) {
		pid_t tid = (pid_t)atoi(d->d_name);
		bool known = tid <= 0 || tid == getpid() || tid == gettid();

		for (int i = 0; i < n && !known; i++)
			known = readers[i].tid == tid;
		if (!known)
			fprintf(stderr, REPORT "suspect: a thread ptsync did not "
				"register: host thread %d %s\n", (int)tid,
				host_thread_state(tid));
	}
	closedir(dir);
}

/*
 * A grace period, or the callbacks behind rcu_barrier(): which registered
 * readers hold it up.  A reader holds the grace period in progress if it
 * is online and has not reported a QS (or come online, which liburcu
 * counts as one) since it began: its QS predates @gp_start, the moment
 * the waiter entered liburcu's grace period (or began its wait), or it
 * counts for an earlier grace period than the one liburcu has begun
 * since (tree_stall.c keeps both).  The waiter went offline to wait.
 */
static void describe_rcu_holders(const struct cpu *waiter, uint64_t since,
				 enum rcu_gp_phase phase, uint64_t phase_since,
				 uint64_t until, uint64_t now)
{
	static struct rcu_reader_info readers[RCU_MAX_READERS];
	uint64_t gp_start = since, gp_seq;
	int n, held = 0;

	switch (phase) {
	case RCU_GP_IDLE:
		break;
	case RCU_GP_WAIT_READERS:
		gp_start = phase_since;
		fprintf(stderr, REPORT "waiter: in liburcu's grace period for %.3f s\n",
			seconds_since(now, phase_since));
		break;
	case RCU_GP_WAIT_START:
	case RCU_GP_WAIT_END:
		if (phase == RCU_GP_WAIT_START)
			fprintf(stderr, REPORT "waiter: sleeping until the tick that "
				"starts its grace period, ");
		else
			fprintf(stderr, REPORT "waiter: its grace period ended %.3f s "
				"ago; sleeping until the tick that notices, ",
				seconds_since(now, phase_since));
		if (now > until)
			fprintf(stderr, "due %.3f s ago\n", seconds_since(now, until));
		else
			fprintf(stderr, "due in %.3f s\n", (double)(until - now) / NSEC_PER_SEC);
		if (now > until + WAKEUP_SLACK_NS) {
			fprintf(stderr, REPORT "holder: no RCU reader: CPU %d has not "
				"run since its wake-up was due; the host scheduler is "
				"holding it up (under valgrind: --fair-sched=yes)\n",
				waiter->id);
			return;
		}
		if (phase == RCU_GP_WAIT_END) {
			fprintf(stderr, REPORT "holder: none now: the grace period "
				"is over\n");
			return;
		}
		break;
	}

	gp_seq = rcu_gp_count();
	n = rcu_readers_snapshot(readers, (int)ARRAY_SIZE(readers));
	for (int i = 0; i < n; i++) {
		const struct rcu_reader_info *r = &readers[i];

		if (waiter && r->cpu == waiter)
			continue;	/* it went offline to wait */
		if (r->online != 1)
			continue;	/* offline: an extended QS */
		if (r->last_qs_ns >= gp_start && r->qs_gp_seq >= gp_seq)
			continue;	/* passed a QS since the GP began */
		describe_reader("holder", r, now);
		held++;
	}
	if (held)
		return;
	fprintf(stderr, REPORT "holder: no registered reader of ours is behind: "
		"liburcu's call_rcu worker or the host scheduler\n");
	for (int i = 0; i < n; i++) {
		if (readers[i].kind == RCU_READER_WORKER) {
			describe_reader("suspect", &readers[i], now);
			if (!readers[i].tid)	/* its first callback has not run */
				describe_other_threads(readers, n);
			return;
		}
	}
	fprintf(stderr, REPORT "no call_rcu worker has started; a thread that "
		"registered with liburcu directly, not through "
		"rcu_register_helper(), is not known either\n");
	describe_other_threads(readers, n);
}

/* What keeps a wait of @kind that is not about RCU from finishing. */
static void describe_holders(struct ptsync_run *run, const struct cpu *waiter,
			     int kind, uint64_t now)
{
	int held = 0;

	for (int i = 0; i < run->nr_cpus; i++) {
		const struct cpu *c = &run->cpus[i];
		bool holds;

		if (kind == STALL_IPI || kind == STALL_CSD)
			holds = waiter && i == READ_ONCE(waiter->wait_target);
		else
			holds = c != waiter && READ_ONCE(c->activity) != ACT_STOPPING;
		if (holds) {
			describe_cpu("holder", c, now);
			held++;
		}
	}
	if (!held)
		fprintf(stderr, REPORT "holder: none of our CPUs: the host scheduler\n");
}

/*
 * @waiter's wait (the main thread's when NULL), read again: still the one
 * that began at @since?  Pairs with the smp_store_release() of the kind
 * in stall_wait_begin() and main_wait_begin(): a new wait's time is
 * visible with its kind.
 */
static bool still_waiting(struct ptsync_run *run, const struct cpu *waiter,
			  int kind, uint64_t since)
{
	if (waiter)
		return smp_load_acquire(&waiter->wait_kind) == kind &&
		       READ_ONCE(waiter->wait_since_ns) == since;
	return smp_load_acquire(&run->main_wait_kind) == kind &&
	       READ_ONCE(run->main_wait_since_ns) == since;
}

/*
 * Report and exit, unless the wait ended since watchdog_check() looked:
 * this thread can itself be kept off the CPU (valgrind does that), and a
 * report built on a snapshot the waiter has left behind would describe
 * a wait that no longer exists.  Everything below is read after the
 * re-check, against a clock read after it.
 */
static void stall(struct ptsync_run *run, const struct cpu *waiter, int kind,
		  uint64_t since)
{
	enum rcu_gp_phase phase = RCU_GP_IDLE;
	uint64_t phase_since = 0, until = 0, now;
	char who[32];

	if (!still_waiting(run, waiter, kind, since))
		return;
	if (waiter && kind == STALL_GP)
		phase = rcu_gp_phase_of(waiter, &phase_since, &until);
	now = ktime_get_ns();		/* after the phase: never before it */
	fflush(stdout);
	if (waiter)
		snprintf(who, sizeof(who), "CPU %d", waiter->id);
	else
		snprintf(who, sizeof(who), "main thread");
	fprintf(stderr, "ptsync: watchdog: %s has waited %.1f s for %s "
		"(--stall-timeout=%g, strategy %s)\n",
		who, seconds_since(now, since),
		stall_kind_name(kind), run->cfg.stall_timeout_s, run->ops->name);
	if (waiter)
		describe_cpu("waiter", waiter, now);
	if (kind == STALL_GP || kind == STALL_BARRIER)
		describe_rcu_holders(waiter, since, phase, phase_since, until, now);
	else
		describe_holders(run, waiter, kind, now);
	_exit(EXIT_STALL);
}

static void watchdog_check(struct ptsync_run *run, uint64_t now, uint64_t timeout)
{
	int kind;

	for (int i = 0; i < run->nr_cpus; i++) {
		struct cpu *c = &run->cpus[i];
		uint64_t since;

		/* Pairs with smp_store_release() in stall_wait_begin(). */
		kind = smp_load_acquire(&c->wait_kind);
		if (kind == STALL_NONE)
			continue;
		since = READ_ONCE(c->wait_since_ns);
		if (now > since && now - since > timeout)
			stall(run, c, kind, since);
	}
	/* Pairs with smp_store_release() in main_wait_begin(). */
	kind = smp_load_acquire(&run->main_wait_kind);
	if (kind != STALL_NONE) {
		uint64_t since = READ_ONCE(run->main_wait_since_ns);

		if (now > since && now - since > timeout)
			stall(run, NULL, kind, since);
	}
}

static void *watchdog_thread(void *arg)
{
	struct ptsync_run *run = arg;
	uint64_t timeout = (uint64_t)(run->cfg.stall_timeout_s * NSEC_PER_SEC);
	struct timespec period = { 0, WATCHDOG_PERIOD_NS };

	while (!READ_ONCE(run->watchdog_stop)) {
		nanosleep(&period, NULL);
		watchdog_check(run, ktime_get_ns(), timeout);
	}
	return NULL;
}

void main_wait_begin(struct ptsync_run *run, enum stall_kind kind)
{
	WRITE_ONCE(run->main_wait_since_ns, ktime_get_ns());
	/* Time before kind; pairs with the smp_load_acquire() in
	 * watchdog_check(). */
	smp_store_release(&run->main_wait_kind, (int)kind);
}

void main_wait_end(struct ptsync_run *run)
{
	WRITE_ONCE(run->main_wait_kind, STALL_NONE);
}

int watchdog_start(struct ptsync_run *run)
{
	int err;

	WRITE_ONCE(run->watchdog_stop, 0);
	err = pthread_create(&run->watchdog, NULL, watchdog_thread, run);
	run->watchdog_running = !err;
	return -err;
}

void watchdog_stop(struct ptsync_run *run)
{
	if (!run->watchdog_running)
		return;
	WRITE_ONCE(run->watchdog_stop, 1);
	pthread_join(run->watchdog, NULL);
	run->watchdog_running = false;
}
