/* SPDX-License-Identifier: MIT */
/*
 * RCU for simulated CPUs, on liburcu's QSBR flavour.
 *
 * In the kernel an IRQs-off region is an RCU read-side critical section,
 * because a CPU reports a quiescent state only from the scheduler tick, a
 * context switch, user mode or idle.  QSBR has exactly that shape: a
 * registered thread is a reader at all times except when it reports a QS
 * or is offline.  So a CPU thread reports a QS only at schedule points
 * between jobs, and no more than once per tick (--hz), and goes offline
 * (extended QS) in user mode and idle.  That makes synchronize_rcu() cost
 * what it costs in the kernel, a tick or two, instead of the microsecond a
 * tight QSBR loop would give.
 *
 * Reporting a QS with IRQs masked would end a grace period under a running
 * GUP-fast walker; rcu_note_context_switch() aborts if asked to.
 *
 * Callbacks (call_rcu) run on liburcu's call_rcu worker thread, which plays
 * the part of the kernel's RCU softirq/rcuo kthreads: not a CPU of ours,
 * but a registered reader all the same, online while it runs callbacks.
 *
 * liburcu keeps its list of registered readers private, so ptsync keeps its
 * own (kernel/rcu/tree_stall.c): every thread registered through this file,
 * CPUs and helper threads, and the call_rcu worker, which call_rcu() makes
 * sure is liburcu's default one and records.  The stall watchdog asks it
 * who can be holding a grace period.
 */
#ifndef PTSYNC_RCUPDATE_H
#define PTSYNC_RCUPDATE_H

#include <sys/types.h>
#include <urcu/urcu-qsbr.h>	/* struct rcu_head; names are mapped back */

#include "cpu.h"

void rcu_cpu_starting(struct cpu *c);	/* register the thread, online */
void rcu_cpu_dying(struct cpu *c);	/* offline, unregister */

/* A schedule point: report a QS if a tick has passed since the last. */
void rcu_note_context_switch(struct cpu *c);
/* Extended quiescent states: user mode and idle. */
void rcu_eqs_enter(struct cpu *c);
void rcu_eqs_exit(struct cpu *c);

void synchronize_rcu(void);
/* kernel/rcu/tree_exp.c: IPI every CPU RCU watches, handler reports QS. */
void synchronize_rcu_expedited(void);
bool rcu_cpu_watching(const struct cpu *c);
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
void rcu_barrier(void);

/* fork(2) with liburcu's call_rcu worker alive: call around the fork. */
void rcu_fork_prepare(void);
void rcu_fork_parent(void);
void rcu_fork_child(void);

/* Grace periods liburcu has started since process start (QSBR counts a
 * grace period when it begins; all but the last have completed). */
uint64_t rcu_gp_count(void);

/* Sleeping with IRQs off is a bug (and would stall every grace period). */
void might_sleep(const char *what);

/*
 * A thread other than a CPU that reads RCU-protected data: registered with
 * liburcu and with our registry under @name (kept, not copied), online
 * from here on: it holds every grace period until it reports a quiescent
 * state, goes offline, or unregisters.
 */
void rcu_register_helper(const char *name);
void rcu_unregister_helper(void);
void rcu_helper_quiescent_state(void);
void rcu_helper_offline(void);
void rcu_helper_online(void);

/* What the stall watchdog learns from the registry (kernel/rcu/tree_stall.c). */
enum rcu_reader_kind {
	RCU_READER_CPU,		/* one of our CPU threads */
	RCU_READER_HELPER,	/* rcu_register_helper() */
	RCU_READER_WORKER,	/* liburcu's call_rcu worker */
};

struct rcu_reader_info {
	enum rcu_reader_kind kind;
	const struct cpu *cpu;		/* RCU_READER_CPU, else NULL */
	const char *name;
	pid_t tid;			/* 0: not known (yet) */
	bool has_cpu_clock;
	int cpu_clock;			/* its CPU-time clockid_t */
	int online;			/* 1, 0, or -1: liburcu does not say */
	uint64_t last_qs_ns;		/* last QS or online transition */
	uint64_t qs_gp_seq;		/* rcu_gp_count() just before it */
};

#define RCU_MAX_READERS	(NR_CPUS + 16)	/* CPUs, helpers, the worker */

/* Every live registry slot, at most @max; returns how many were written. */
int rcu_readers_snapshot(struct rcu_reader_info *out, int max);

/* Where a thread is inside synchronize_rcu(), for the stall report. */
enum rcu_gp_phase {
	RCU_GP_IDLE,		/* not in synchronize_rcu() */
	RCU_GP_WAIT_START,	/* sleeping to the tick that starts the GP */
	RCU_GP_WAIT_READERS,	/* in liburcu's grace period */
	RCU_GP_WAIT_END,	/* GP over; sleeping to the tick that notices */
};

/*
 * @c's phase (RCU_GP_IDLE if @c is not registered), when it entered it,
 * and for the tick waits the tick it sleeps until.
 */
enum rcu_gp_phase rcu_gp_phase_of(const struct cpu *c, uint64_t *since_ns,
				  uint64_t *until_ns);

/* kernel/rcu/tree.c and tree_stall.c between themselves. */
void rcu_reader_add_cpu(struct cpu *c);
void rcu_reader_del(void);
uint64_t rcu_reader_qs_begin(void);
void rcu_reader_qs_end(uint64_t gp_seq);
void rcu_gp_phase_set(enum rcu_gp_phase phase, uint64_t until_ns);
void rcu_worker_adopt(void);
void rcu_readers_fork_prepare(void);
void rcu_readers_fork_parent(void);
void rcu_readers_fork_child(void);

#endif /* PTSYNC_RCUPDATE_H */
