/* SPDX-License-Identifier: MIT */
/*
 * Nothing hangs.  Every wait in ptsync (an IPI acknowledgement, a grace
 * period, a csd still in flight, the end-of-run barrier) writes what it is
 * waiting for and since when into its CPU's watchdog slot before it starts
 * waiting, and clears it after.  The watchdog thread (kernel/watchdog.c)
 * scans the slots every few milliseconds; a wait older than --stall-timeout
 * gets a report naming the waiting CPU, what it waits for, and the state of
 * the CPU it waits on (IRQs masked? which activity? last quiescent state?),
 * then the process exits with status 3.
 */
#ifndef PTSYNC_WATCHDOG_H
#define PTSYNC_WATCHDOG_H

#include "cpu.h"

enum stall_kind {
	STALL_NONE = 0,
	STALL_IPI,		/* smp_call_function_many(wait) on wait_target */
	STALL_CSD,		/* csd to wait_target still locked from before */
	STALL_GP,		/* synchronize_rcu() */
	STALL_BARRIER,		/* rcu_barrier() */
	STALL_STOP,		/* end-of-run rendezvous */
	STALL_SETTLE,		/* other CPUs to settle before a measurement */
};

#define EXIT_STALL	3

struct ptsync_run;

int watchdog_start(struct ptsync_run *run);
void watchdog_stop(struct ptsync_run *run);
const char *stall_kind_name(int kind);

static inline void stall_wait_begin(struct cpu *c, enum stall_kind kind, int target)
{
	if (!c)
		return;
	WRITE_ONCE(c->wait_target, target);
	WRITE_ONCE(c->wait_since_ns, ktime_get_ns());
	/* Publish target and time before the kind; pairs with the
	 * smp_load_acquire() of wait_kind in watchdog_check(). */
	smp_store_release(&c->wait_kind, (int)kind);
}

static inline void stall_wait_end(struct cpu *c)
{
	if (c)
		WRITE_ONCE(c->wait_kind, STALL_NONE);
}

/* The main thread's own waits (joining CPUs, rcu_barrier): run.h slots. */
void main_wait_begin(struct ptsync_run *run, enum stall_kind kind);
void main_wait_end(struct ptsync_run *run);

#endif /* PTSYNC_WATCHDOG_H */
