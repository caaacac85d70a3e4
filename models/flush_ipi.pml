/* SPDX-License-Identifier: MIT */
/*
 * Letting the TLB flush be the sync: strategy `flush-ipi`
 * (strategy/flush_ipi.c) over flush_tlb_mm_range() (arch/tlbflush.c),
 * with the native flush (default), the paravirt flush of KVM (-DPV), and
 * the broken twin that trusts the flush under PV too (-DPV -DSKIP_SYNC).
 *
 * Why: x86's native flush already does what tlb_remove_table_sync_one()
 * does, for the CPUs that matter.  It IPIs every CPU in mm_cpumask (lazy
 * TLB CPUs too when freed_tables is set) and waits for each, and a CPU
 * in a GUP-fast walk of this mm is in mm_cpumask and takes the IPI only
 * once its IRQs-off section is over.  So after the flush the sync can be
 * skipped.  Not under KVM's paravirt flush: kvm_flush_tlb_multi() does not
 * IPI a vCPU the host has descheduled (its steal-time `preempted` flag is
 * set, possibly in the middle of an IRQs-off walk); it sets a flag so the
 * host flushes that vCPU's TLB on its next entry, and returns without
 * waiting for it.  No IPI, no wait: the walker may still be inside the
 * table.  The correct strategy knows the flush is not the native one and
 * falls back to synchronize_rcu() (a preempted vCPU reports no quiescent
 * state, so the grace period waits for it to run and leave its walk).
 *
 * Models: flush_tlb_mm_range(freed_tables=true) -> inc_mm_tlb_gen() (an
 * atomic RMW: full barrier), read mm_cpumask, native_flush_tlb_multi() ->
 * smp_call_function_many(wait=1), or kvm_flush_tlb_multi() (cmpxchg on
 * each target's steal-time flag, then the native flush for the rest);
 * switch_mm_irqs_off()'s cpumask_set_cpu() (locked) on the walker's CPU;
 * then tlb_remove_table_one() with the flush-ipi sync: nothing after a
 * native flush, tlb_remove_table_sync_rcu() / synchronize_rcu() after a
 * paravirt one.  The walker is gup_fast() / __gup_fast() between
 * local_irq_save() and local_irq_restore().  Lazy-TLB CPUs run a kernel
 * thread, not a GUP-fast walk of this mm, and are not modelled.
 *
 * Safety property: a walker never reads a table entry after the table was
 * freed (walker's assert).
 *
 * Broken twin (`flush-ipi-pv`, -DPV -DSKIP_SYNC): skips the sync after the
 * paravirt flush as if it were native.  The host preempts the walker's
 * vCPU inside its walk, the flush defers that vCPU's flush to its next
 * entry, the table is freed, the vCPU resumes into it: refuted.
 *
 * CPU0 unmaps; CPUs 1..NWALKERS (vCPUs under -DPV) switch to the mm and
 * run GUP-fast on it over and over.
 */
mtype = { pmd, pte, cpumask1, cpumask2, csd1, csd2 };	/* locations */
#define NLOC		7
#define NWALKERS	2
#define NCPU		3
#define SB_SIZE		2
#define CSD(c)		(c == 1 -> csd1 : csd2)
#define CPUMASK(c)	(c == 1 -> cpumask1 : cpumask2)

bool preempted[NCPU];		/* steal_time.preempted: set by the host */
bool flush_on_entry[NCPU];	/* KVM_VCPU_FLUSH_TLB: set by a flusher */

#ifdef PV
/* A descheduled vCPU runs nothing, interrupts included. */
#define INTERRUPTS_PROVIDED	provided (!preempted[me])
#define VCPU_PROVIDED		provided (!preempted[me])
#else
#define VCPU_PROVIDED
#endif

#include "common.pml"

mtype = { set, clear };

proctype cpu_freer()
{
	byte me = 0, c, e, mask;
	mtype who = freer;

	STORE(pmd, none);		/* free_pgtables: pmd_clear() */
	/* flush_tlb_mm_range(mm, ..., freed_tables = true) */
	d_step {
		printf("CPU0 freer: inc_mm_tlb_gen (atomic: full barrier)\n");
		_DRAIN(me)
	};
	c = 1;
	do
	:: c <= NWALKERS ->
		LOAD(CPUMASK(c), e);
		if
		:: e == set -> mask = mask | (1 << c)
		:: else
		fi;
		e = 0;
		c++
	:: else -> break
	od;
#ifdef PV
	/* kvm_flush_tlb_multi(): a preempted vCPU is flagged, not IPI'd */
	c = 1;
	do
	:: c <= NWALKERS ->
		d_step {
			_DRAIN(me);	/* try_cmpxchg() on steal_time.preempted */
			if
			:: (mask & (1 << c)) && preempted[c] ->
				flush_on_entry[c] = 1;
				mask = mask & ~(1 << c);
				printf("CPU0 freer: vCPU%d preempted: no IPI, flush on its next entry\n", c)
			:: else
			fi
		};
		c++
	:: else -> break
	od;
#endif
	/* native_flush_tlb_multi(): IPI the rest, wait for each */
	c = 1;
	do
	:: c <= NWALKERS ->
		if
		:: mask & (1 << c) -> IPI_SEND(c)
		:: else
		fi;
		c++
	:: else -> break
	od;
	c = 1;
	do
	:: c <= NWALKERS ->
		if
		:: mask & (1 << c) -> IPI_WAIT(c)
		:: else
		fi;
		c++
	:: else -> break
	od;
	c = 0;
	/* tlb_remove_table_one(), flush-ipi's sync */
#if defined(PV) && !defined(SKIP_SYNC)
	SYNCHRONIZE_RCU();		/* the flush was not native */
#else
	printf("CPU0 freer: sync skipped: trusts the flush to have IPI'd every walker\n");
#endif
	PT_FREE(pte)
}

proctype cpu_walker(byte me) VCPU_PROVIDED
{
	mtype who = walker;
	byte e;

	ATOMIC_STORE(CPUMASK(me), set);	/* switch_mm_irqs_off() */
end:	do
	:: IRQ_SAVE();			/* gup_fast(): local_irq_save() */
	   LOAD(pmd, e);
	   if
	   :: e == table -> MIDWALK(); READ_TABLE(pte, e)
	   :: else
	   fi;
	   IRQ_RESTORE();
	   e = 0
	od
}

#ifdef PV
/* The host: deschedules and resumes vCPU @c at any time. */
proctype kvm_host(byte c)
{
end:	do
	:: d_step {
		!preempted[c] ->
		_DRAIN(c);		/* a VM exit serialises */
		preempted[c] = 1;
		printf("host: vCPU%d preempted (steal_time.preempted = 1)\n", c)
	   }
	:: d_step {
		preempted[c] ->
		preempted[c] = 0;
		if
		:: flush_on_entry[c] ->
			flush_on_entry[c] = 0;
			printf("host: vCPU%d runs again, its TLB flushed on entry\n", c)
		:: else ->
			printf("host: vCPU%d runs again\n", c)
		fi
	   }
	od
}
#endif

init {
	byte c;

	atomic {
		mem[pmd] = table; mem[pte] = live;
		mem[cpumask1] = clear; mem[cpumask2] = clear;
		mem[csd1] = unlocked; mem[csd2] = unlocked;
		START_STORE_BUFFERS();
		run cpu_freer();
		c = 1;
		do
		:: c <= NWALKERS ->
			run cpu_walker(c); run interrupts(c);
#ifdef PV
			run kvm_host(c);
#endif
			c++
		:: else -> break
		od;
		c = 0
	}
}
