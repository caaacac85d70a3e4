/* SPDX-License-Identifier: MIT */
/*
 * Cross-CPU function calls: real asynchronous interrupts of other threads.
 *
 * smp_call_function_many() queues a call_single_data on each target CPU's
 * lock-free call queue and, when that queue was empty, interrupts the
 * target's thread with a real-time signal (tgkill).  The target's handler
 * runs every queued function, unless the target has IRQs soft-masked, in
 * which case the call waits for local_irq_enable().  With wait, the sender
 * spins (IRQs on, so it still takes IPIs aimed at itself) until every target
 * has run the function: that is tlb_remove_table_sync_one()'s guarantee.
 *
 * Counting: an "IPI" is one signal, sent when a target's queue goes from
 * empty to non-empty; a "call" is one function run.  ipis_sent summed over
 * CPUs equals ipis_received summed over CPUs once a run has quiesced.
 */
#ifndef PTSYNC_SMP_H
#define PTSYNC_SMP_H

#include "cpu.h"

typedef void (*smp_call_func_t)(void *info);

enum {
	CSD_FLAG_LOCK = 1,	/* in flight: sender may not reuse it */
	CSD_TYPE_SYNC = 2,	/* sender waits: unlock after func ran */
	CSD_TYPE_TLB = 4,	/* a TLB-flush IPI, counted apart */
};

/* smp_call_function_many_cond() flags. */
enum {
	SCF_WAIT = 1,		/* return once every target ran func */
	SCF_TLB = 2,		/* a TLB flush's IPI (for the counts) */
};

/* Whether to interrupt @cpu at all; read by the sender, per target. */
typedef bool (*smp_cond_func_t)(int cpu, void *info);

struct call_single_data {
	_Atomic(struct call_single_data *) next;	/* call queue link */
	smp_call_func_t func;
	void *info;
	_Atomic unsigned int flags;
	int src, dst;
	int site;		/* the sender's sync_site, for the counts */
};

void smp_call_function_many_cond(const struct cpumask *mask, smp_call_func_t func,
				 void *info, unsigned int scf_flags,
				 smp_cond_func_t cond_func);
void smp_call_function_many(const struct cpumask *mask, smp_call_func_t func,
			    void *info, bool wait);
void smp_call_function(smp_call_func_t func, void *info, bool wait);
void on_each_cpu(smp_call_func_t func, void *info, bool wait);

/* Process-wide setup of the IPI signal; idempotent. */
void smp_init_signals(void);
int ipi_signal(void);

#endif /* PTSYNC_SMP_H */
