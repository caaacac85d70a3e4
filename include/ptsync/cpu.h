/* SPDX-License-Identifier: MIT */
/*
 * Simulated CPUs.
 *
 * A ptsync CPU is a real pthread pinned to a host core.  It owns the state
 * the kernel keeps per CPU: the soft IRQ mask, the IPI call queue, the mm it
 * is running, whether it is in kernel, user or idle context (which decides
 * whether RCU must wait for it), and its counters.  A thread finds its own
 * CPU through this_cpu(); threads that are not CPUs (main, the watchdog,
 * liburcu's call_rcu worker) get NULL and must not walk page tables.
 *
 * Counters live here, one writer each, so the hot paths never contend on a
 * shared cache line.  Fields the signal handler writes are separate from the
 * ones the thread writes, since a handler can interrupt a thread's
 * read-modify-write of the same word.
 */
#ifndef PTSYNC_CPU_H
#define PTSYNC_CPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "callsite.h"
#include "compiler.h"
#include "osnoise.h"
#include "stats.h"
#include "util.h"

#define NR_CPUS		256
#define CPUMASK_WORDS	(NR_CPUS / 64)

struct ptsync_run;
struct mm_struct;
struct call_single_data;

/* A set of CPUs that other threads may read while it changes. */
struct cpumask {
	_Atomic uint64_t bits[CPUMASK_WORDS];
};

static inline void cpumask_set_cpu(int cpu, struct cpumask *m)
{
	fetch_or_explicit(&m->bits[cpu / 64], 1ULL << (cpu % 64),
				 memory_order_relaxed);
}

static inline void cpumask_clear_cpu(int cpu, struct cpumask *m)
{
	fetch_and_explicit(&m->bits[cpu / 64], ~(1ULL << (cpu % 64)),
				  memory_order_relaxed);
}

static inline bool cpumask_test_cpu(int cpu, const struct cpumask *m)
{
	return READ_ONCE(m->bits[cpu / 64]) & (1ULL << (cpu % 64));
}

static inline void cpumask_clear(struct cpumask *m)
{
	for (int i = 0; i < CPUMASK_WORDS; i++)
		WRITE_ONCE(m->bits[i], 0);
}

#define for_each_cpu(cpu, mask, nr)					\
	for ((cpu) = 0; (cpu) < (nr); (cpu)++)				\
		if (cpumask_test_cpu((cpu), (mask)))

enum cpu_context {
	CONTEXT_KERNEL,		/* RCU must wait for this CPU's next QS */
	CONTEXT_USER,		/* extended quiescent state */
	CONTEXT_IDLE,		/* extended quiescent state */
};

enum cpu_role {
	ROLE_FREER,		/* maps, unmaps, exits: frees page tables */
	ROLE_WALKER,		/* GUP-fast on the freers' mms */
	ROLE_BYSTANDER,		/* runs another mm in user mode */
	ROLE_KHUGEPAGED,	/* collapses PTE tables into huge PMDs */
};

/* What a CPU is doing, for stall reports (rcutorture's writer states). */
enum cpu_activity {
	ACT_STARTING,
	ACT_SCHEDULE,
	ACT_WALK,
	ACT_MAP,
	ACT_UNMAP,
	ACT_EXIT,
	ACT_COLLAPSE,
	ACT_HUGETLB,
	ACT_SYNC_IPI,
	ACT_SYNC_RCU,
	ACT_USER,
	ACT_STOPPING,
	NR_ACTIVITIES
};

struct cpu_stats {
	/* written by the CPU's thread */
	_Atomic uint64_t walks, walks_failed, pages_grabbed;
	_Atomic uint64_t maps, unmaps, exits, map_failed;
	_Atomic uint64_t fallbacks, syncs, sync_ns_total, sync_ns_max;
	_Atomic uint64_t ipis_sent, calls_sent, tlb_calls_sent;
	_Atomic uint64_t qs_reported, user_entries;
	_Atomic uint64_t tlb_flushes, batch_injected, preemptions;
	/* per call site (callsite.h): events (fallbacks, collapses,
	 * unshares), syncs made for them and their cost, and the syncs the
	 * harness made as upstream does because the strategy has none */
	_Atomic uint64_t site_events[NR_CALLSITES], site_syncs[NR_CALLSITES];
	_Atomic uint64_t site_sync_ns[NR_CALLSITES], site_sync_max[NR_CALLSITES];
	_Atomic uint64_t site_upstream[NR_CALLSITES];
	/* written from this CPU's signal handler (and its irq-enable path);
	 * calls_run counts every call, tlb_calls_run those of TLB flushes,
	 * site_calls_run the sync calls by the call site the sender synced
	 * for */
	_Atomic uint64_t ipis_received, ipis_deferred, calls_run, tlb_calls_run;
	_Atomic uint64_t site_calls_run[NR_CALLSITES];
	_Atomic uint64_t exp_qs;	/* expedited-GP handler ran here */
};

struct cpu {
	int id;
	int host_cpu;			/* -1: not pinned */
	enum cpu_role role;
	struct ptsync_run *run;
	pthread_t thread;
	_Atomic pid_t tid;

	/* Soft IRQ state: written by this thread and its signal handler. */
	_Atomic int irqs_disabled;
	_Atomic int irq_pending;	/* an IPI arrived while masked */

	/* Call queue: other CPUs push, this CPU pops all (an llist). */
	_Atomic(struct call_single_data *) call_queue;
	struct call_single_data *csd;	/* [nr_cpus]: this CPU as sender */

	_Atomic(struct mm_struct *) mm;	/* current->mm, NULL when none */
	/*
	 * Lazy TLB (switch_mm() in kernel/fork.c): the mm whose tables this
	 * CPU still has loaded.  A CPU that stops running a user mm (idle, a
	 * kernel thread) keeps it, stays in its mm_cpumask and is "lazy".
	 */
	_Atomic(struct mm_struct *) active_mm;
	_Atomic int is_lazy;
	/* The host has descheduled this vCPU (PV TLB flush reads it). */
	_Atomic int preempted;
	/* targeted: the mm this CPU is walking locklessly, or NULL. */
	_Atomic(struct mm_struct *) active_lockless_pt_walk_mm;
	bool nohz_full;			/* user mode is an EQS (no tick) */
	_Atomic int context;		/* enum cpu_context */
	_Atomic int activity;		/* enum cpu_activity */

	/* RCU (kernel/rcu/tree.c): QS at most once per tick. */
	_Atomic int rcu_online;		/* written by this thread only */
	uint64_t next_qs_ns;
	_Atomic uint64_t last_qs_ns;

	/* Watchdog slot: what this CPU is blocked on and since when. */
	_Atomic int wait_kind;		/* enum stall_kind */
	_Atomic int wait_target;	/* CPU waited on, or -1 */
	_Atomic uint64_t wait_since_ns;

	struct prandom rnd;
	struct cpu_stats stats;
	struct samples sync_lat;	/* ns of each fallback sync, this CPU's */
	/* ns of each collapse and unshare sync ([CALLSITE_FALLBACK]: unused,
	 * that is sync_lat) */
	struct samples site_lat[NR_CALLSITES];
	/* The call site this CPU is syncing for (CALLSITE_NONE: none); its
	 * IPIs carry it, so the receiver can count them by site.  Only this
	 * CPU's thread reads or writes it. */
	int sync_site;
	struct noise noise;		/* bystander meter, this CPU's */
	void *role_data;		/* per-role private state */
};

extern _Thread_local struct cpu *__this_cpu;

static inline struct cpu *this_cpu(void)
{
	return __this_cpu;
}

static inline void cpu_set_activity(struct cpu *c, enum cpu_activity a)
{
	WRITE_ONCE(c->activity, (int)a);
}

const char *cpu_activity_name(int activity);
const char *cpu_context_name(int context);
const char *cpu_role_name(enum cpu_role role);

/* kernel/cpu.c: bring CPU threads up and down. */
typedef void (*cpu_fn_t)(struct cpu *c);
int cpus_start(struct ptsync_run *run, cpu_fn_t fn);
void cpus_stop(struct ptsync_run *run);
int host_nr_cpus(void);
void cpu_barrier_wait(struct cpu *c, pthread_barrier_t *b);

/* Context transitions (kernel/context_tracking.c in the kernel). */
void ct_user_enter(struct cpu *c);
void ct_user_exit(struct cpu *c);
void ct_idle_enter(struct cpu *c);
void ct_idle_exit(struct cpu *c);

#endif /* PTSYNC_CPU_H */
