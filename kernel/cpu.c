// SPDX-License-Identifier: MIT
/*
 * Bringing simulated CPUs up and down.
 *
 * Each CPU is a thread pinned round-robin over the host cores this process
 * may use.  Threads start together on a barrier and stop together on
 * another; a CPU waits at the stop barrier with IRQs enabled, so IPIs sent
 * by CPUs still finishing their last job are taken, and no thread exits
 * while another might still signal it.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ptsync/cpu.h"
#include "ptsync/irqflags.h"
#include "ptsync/mm.h"
#include "ptsync/rcupdate.h"
#include "ptsync/run.h"
#include "ptsync/watchdog.h"

_Thread_local struct cpu *__this_cpu;

static const char *const activity_names[NR_ACTIVITIES] = {
	[ACT_STARTING] = "starting",	[ACT_SCHEDULE] = "schedule",
	[ACT_WALK] = "gup_fast",	[ACT_MAP] = "map_range",
	[ACT_UNMAP] = "munmap_range",	[ACT_EXIT] = "exit_mmap",	[ACT_COLLAPSE] = "collapse_huge_page",
	[ACT_HUGETLB] = "hugetlb",
	[ACT_SYNC_IPI] = "sync_ipi",	[ACT_SYNC_RCU] = "synchronize_rcu",
	[ACT_USER] = "user",		[ACT_STOPPING] = "stopping",
};

const char *cpu_activity_name(int activity)
{
	if (activity < 0 || activity >= NR_ACTIVITIES)
		return "?";
	return activity_names[activity];
}

const char *cpu_context_name(int context)
{
	switch (context) {
	case CONTEXT_KERNEL:	return "kernel";
	case CONTEXT_USER:	return "user";
	case CONTEXT_IDLE:	return "idle";
	}
	return "?";
}

const char *cpu_role_name(enum cpu_role role)
{
	switch (role) {
	case ROLE_FREER:	return "freer";
	case ROLE_WALKER:	return "walker";
	case ROLE_BYSTANDER:	return "bystander";
	case ROLE_KHUGEPAGED:	return "khugepaged";
	}
	return "?";
}

void ptsync_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("ptsync: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(4);
}

int host_nr_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return 1;
}

/* The n-th host CPU this process may run on, wrapping around. */
static int host_cpu_for(int n)
{
	cpu_set_t set;
	int count, seen = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	count = CPU_COUNT(&set);
	if (count == 0)
		return -1;
	n %= count;
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &set) && seen++ == n)
			return i;
	}
	return -1;
}

/*
 * Which host core CPU @c runs on.  One each while there are cores enough;
 * beyond that, overlap matters more than balance: the freers get cores of
 * their own, walkers share the remaining cores (so a walker is always
 * running while a freer frees), and bystanders fill in after them.
 */
static int cpu_host_slot(const struct cpu *c)
{
	const struct ptsync_config *cfg = &c->run->cfg;
	int host = host_nr_cpus(), id = c->id;
	int freers = cfg->nr_freers, walkers = cfg->nr_walkers;

	if (c->run->nr_cpus <= host || freers >= host)
		return id;
	if (c->role == ROLE_FREER)
		return id;
	if (c->role == ROLE_WALKER)
		return freers + (id - freers) % (host - freers);
	return (id - freers - walkers) % host;
}

static void cpu_pin(struct cpu *c)
{
	cpu_set_t set;
	int host = host_cpu_for(cpu_host_slot(c));

	c->host_cpu = -1;
	if (host < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(host, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0)
		c->host_cpu = host;
}

void ct_user_enter(struct cpu *c)
{
	/* [T!:eqs-walker:2:user-enter-mb] missing: upstream orders the walk before this store */
	WRITE_ONCE(c->context, CONTEXT_USER);
	this_cpu_inc(c->stats.user_entries);
	rcu_eqs_enter(c);
}

/*
 * Back in the kernel.  The context store is ordered before the first
 * page-table read that follows (the first GUP-fast walk): pairs with the
 * smp_mb() a freer makes between its unhook and reading this CPU's
 * context (eqs_sync_one(), synchronize_rcu_expedited()).  Store
 * buffering, so a full fence on each side.
 */
void ct_user_exit(struct cpu *c)
{
	rcu_eqs_exit(c);
	WRITE_ONCE(c->context, CONTEXT_KERNEL);
	/* [T:eqs-walker:1:user-exit-mb] */
	smp_mb();
}

/* Idle: an extended quiescent state, like user mode. */
void ct_idle_enter(struct cpu *c)
{
	WRITE_ONCE(c->context, CONTEXT_IDLE);
	rcu_eqs_enter(c);
}

void ct_idle_exit(struct cpu *c)
{
	rcu_eqs_exit(c);
	WRITE_ONCE(c->context, CONTEXT_KERNEL);
	smp_mb();	/* as in ct_user_exit() */
}

/*
 * Wait until every CPU reaches @b: IRQs on (IPIs are still taken) and in an
 * extended quiescent state (grace periods do not wait for a waiting CPU).
 */
void cpu_barrier_wait(struct cpu *c, pthread_barrier_t *b)
{
	bool was_online = READ_ONCE(c->rcu_online);

	if (irqs_disabled())
		ptsync_die("CPU %d reached a rendezvous with IRQs disabled", c->id);
	cpu_set_activity(c, ACT_STOPPING);
	if (was_online)
		rcu_eqs_enter(c);
	stall_wait_begin(c, STALL_STOP, -1);
	pthread_barrier_wait(b);
	stall_wait_end(c);
	if (was_online)
		rcu_eqs_exit(c);
}

static void *cpu_thread(void *arg)
{
	struct cpu *c = arg;
	struct ptsync_run *run = c->run;

	__this_cpu = c;
	WRITE_ONCE(c->tid, gettid());
	if (run->cfg.pin)
		cpu_pin(c);
	else
		c->host_cpu = -1;
	rcu_cpu_starting(c);
	rcu_eqs_enter(c);		/* idle until the run starts */
	pthread_barrier_wait(&run->start_barrier);
	rcu_eqs_exit(c);

	run->cpu_fn(c);

	/* Shutdown: once no CPU runs a job, every process exits, on CPU 0,
	 * while the others still take IPIs; then the CPUs go away. */
	cpu_barrier_wait(c, &run->stop_barrier);
	if (c->id == 0) {
		ptsync_run_exit_mms(run);
		switch_mm(c, NULL);
	}
	cpu_barrier_wait(c, &run->stop_barrier);
	rcu_cpu_dying(c);
	__this_cpu = NULL;
	return NULL;
}

int cpus_start(struct ptsync_run *run, cpu_fn_t fn)
{
	run->cpu_fn = fn;
	for (int i = 0; i < run->nr_cpus; i++) {
		struct cpu *c = &run->cpus[i];
		int err = pthread_create(&c->thread, NULL, cpu_thread, c);

		if (err)
			ptsync_die("cannot start CPU %d: %s", i, strerror(err));
		cpumask_set_cpu(i, &run->online);
	}
	/* Before the barrier, which orders them before every CPU's first
	 * job: a violation or a queued table may come at once. */
	run->start_ns = ktime_get_ns();
	run->reclaim.last_ns = run->start_ns;
	pthread_barrier_wait(&run->start_barrier);
	return 0;
}

void cpus_stop(struct ptsync_run *run)
{
	WRITE_ONCE(run->stop, 1);
	for (int i = 0; i < run->nr_cpus; i++)
		pthread_join(run->cpus[i].thread, NULL);
	cpumask_clear(&run->online);
	run->end_ns = ktime_get_ns();
}
