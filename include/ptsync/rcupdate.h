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
 * the part of the kernel's RCU softirq/rcuo kthreads: not a CPU of ours.
 */
#ifndef PTSYNC_RCUPDATE_H
#define PTSYNC_RCUPDATE_H

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

/* Grace periods liburcu has completed since process start. */
uint64_t rcu_gp_count(void);

/* Sleeping with IRQs off is a bug (and would stall every grace period). */
void might_sleep(const char *what);

#endif /* PTSYNC_RCUPDATE_H */
