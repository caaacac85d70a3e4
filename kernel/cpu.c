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
#include "ptsync/store_buffer.h"
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

/*
 * Context tracking of user mode exists only on nohz_full CPUs
 * (context_tracking_enabled_cpu()): elsewhere nothing records the switch
 * to user mode, and to anyone reading the state the CPU is still in the
 * kernel - so expedited RCU and eqs IPI it.  Idle is tracked on every CPU
 * (RCU's own idle entry), see ct_idle_enter().
 *
 * RCU itself is told either way: in the kernel a CPU in user mode without
 * the tick-less mode reports a quiescent state at its next tick, which
 * liburcu's offline stands in for (a grace period may end up to a tick
 * sooner than the kernel's would).
 */
void ct_user_enter(struct cpu *c)
{
	/* Fully ordered, as upstream's ct_kernel_exit_state() updates the
	 * state with a value-returning atomic: the walk before user mode
	 * stays before the store that lets eqs skip this CPU; pairs with the
	 * smp_mb() between the unhook and the context read in eqs_sync_one().
	 * [T:eqs-walker:2:user-enter-mb] */
	if (c->nohz_full) {
		smp_mb();
		WRITE_ONCE(c->context, CONTEXT_USER);
	}
	this_cpu_inc(c->stats.user_entries);
	rcu_eqs_enter(c);
}

/*
 * Back in the kernel.  The context store is ordered before the first
 * page-table read that follows (the first GUP-fast walk): pairs with the
 * smp_mb() a freer makes between its unhook and reading this CPU's
 * context (eqs_sync_one(), synchronize_rcu_expedited()).  Store
 * buffering, so a full fence on each side.  On a CPU that is not
 * nohz_full the context never left KERNEL, so nothing is stored.
 */
void ct_user_exit(struct cpu *c)
{
	rcu_eqs_exit(c);
	if (!c->nohz_full)
		return;
	WRITE_ONCE(c->context, CONTEXT_KERNEL);
	/* [T:eqs-walker:1:user-exit-mb] */
	smp_mb();
}

/* Idle: an extended quiescent state, like user mode. */
void ct_idle_enter(struct cpu *c)
{
	/* Fully ordered as ct_user_enter(), for the same pairing. */
	smp_mb();
	WRITE_ONCE(c->context, CONTEXT_IDLE);
	rcu_eqs_enter(c);
}

void ct_idle_exit(struct cpu *c)
{
	rcu_eqs_exit(c);
	WRITE_ONCE(c->context, CONTEXT_KERNEL);
	smp_mb();	/* as in ct_user_exit() */
}

static bool nohz_full_listed(const struct ptsync_config *cfg, int cpu)
{
	return cpu >= 0 && cpu < NR_CPUS && ((cfg->nohz_full_mask[cpu / 64] >> (cpu % 64)) & 1);
}

/* The --nohz-full option that gives @cfg's nohz_full CPUs back. */
const char *nohz_full_opt(const struct ptsync_config *cfg, char *buf, size_t len)
{
	size_t off;

	buf[0] = 0;
	if (!cfg->nohz_full)
		return buf;
	off = (size_t)snprintf(buf, len, " --nohz-full");
	if (!cfg->nohz_full_list)
		return buf;
	for (int cpu = 0, first = 1; cpu < NR_CPUS && off < len; cpu++) {
		int end = cpu;

		if (!nohz_full_listed(cfg, cpu))
			continue;
		while (nohz_full_listed(cfg, end + 1))
			end++;
		off += (size_t)snprintf(buf + off, len - off, end > cpu ? "%s%d-%d" : "%s%d",
					first ? "=" : ",", cpu, end);
		first = 0;
		cpu = end;
	}
	return buf;
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

	/* --sb-window-ns: a freer's stores go through a TSO store buffer
	 * (store_buffer.h) for as long as it runs jobs. */
	if (c->role == ROLE_FREER && store_buffer_window_ns()) {
		struct store_buffer *sb = calloc(1, sizeof(*sb));

		if (!sb)
			ptsync_die("CPU %d: no memory for the store buffer", c->id);
		store_buffer_attach(sb);
		run->cpu_fn(c);
		store_buffer_detach();
		free(sb);
	} else {
		run->cpu_fn(c);
	}

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
