/* SPDX-License-Identifier: MIT */
/*
 * Skipping CPUs in an extended quiescent state: strategy `eqs`
 * (strategy/eqs.c, eqs_sync()), and its broken twin `eqs-racy` (-DRACY).
 *
 * Why: a CPU running user code (or idle) cannot be inside GUP-fast, so the
 * freer need not interrupt it; only CPUs in kernel context get the IPI.
 * Context tracking records the context per CPU, and a CPU that leaves user
 * mode (ct_user_exit() in kernel/cpu.c) stores context=kernel and then
 * executes a full barrier before it can walk.  The freer, after the unhook,
 * executes a full barrier and then reads each CPU's context.  Another
 * Dekker pattern: either the freer sees the CPU in the kernel and IPIs it,
 * or the CPU's later walk sees the cleared pmd.
 *
 * Models: eqs_sync() as tlb_remove_table_one() calls it: smp_mb(), read
 * every CPU's context, smp_call_function_many(wait=1) to those in kernel
 * context, free; ct_user_exit() (context=kernel; smp_mb()) and
 * ct_user_enter() (smp_mb(); context=user) around a gup_fast() /
 * __gup_fast() walk between local_irq_save() and local_irq_restore().
 * Idle is the same extended quiescent state as user and is not modelled
 * separately.  The TLB flush before the sync is left out: the strategy
 * must not lean on it for ordering.
 *
 * Safety property: a walker never reads a table entry after the table was
 * freed (walker's assert).
 *
 * Broken twin, -DRACY: no smp_mb() between the freer's unhook and its reads
 * of the contexts.  Under SC it is still safe: proven.  Under TSO the
 * cleared pmd waits in the freer's store buffer while it reads a CPU's
 * context as user; that CPU enters the kernel, fences, reads the old pmd
 * and walks into a table the freer frees without having IPI'd it: refuted.
 *
 * The smp_mb() at user entry stands for what upstream has there:
 * ct_kernel_exit_state() updates ct->state with a fully ordered
 * atomic_add_return() (kernel/context_tracking.c).  ptsync's
 * kernel/cpu.c ct_user_enter() has no ordering there; -DNOENTERMB is
 * that code: proven under SC and TSO (a load is never passed by a later
 * store), refuted under the weak model by models/litmus/eqs-noentermb.litmus.
 *
 * CPU0 unmaps; CPUs 1..NWALKERS go between user mode and GUP-fast walks.
 */
mtype = { pmd, pte, ctx1, ctx2, csd1, csd2 };	/* memory locations */
#define NLOC		7
#define NWALKERS	2
#define NCPU		3
/* Walker CPU between two fences: ctx=user, csd unlock, ctx=kernel. */
#define SB_SIZE		3
#define CSD(c)		(c == 1 -> csd1 : csd2)
#define CTX(c)		(c == 1 -> ctx1 : ctx2)

#include "common.pml"

mtype = { user, kernel };

proctype cpu_freer()
{
	byte me = 0, c, e, mask;
	mtype who = freer;

	STORE(pmd, none);		/* free_pgtables: pmd_clear() */
	/* eqs_sync() */
#ifdef RACY
	printf("CPU0 freer: (no barrier)\n");
#else
	SMP_MB();			/* [T:eqs-freer:1:unhook-mb] */
#endif
	c = 1;
	do
	:: c <= NWALKERS ->
		LOAD(CTX(c), e);
		if
		:: e == kernel -> mask = mask | (1 << c)
		:: else		/* user or idle: skipped */
		fi;
		e = 0;
		c++
	:: else -> break
	od;
	/* smp_call_function_many(mask, wait=1) */
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
	PT_FREE(pte)			/* tlb_remove_table_one(): free */
}

proctype cpu_walker(byte me)
{
	mtype who = walker;
	byte e;

end:	do
	:: STORE(CTX(me), kernel);	/* ct_user_exit() */
	   SMP_MB();			/* [T:eqs-walker:1:user-exit-mb] */
	   IRQ_SAVE();			/* gup_fast(): local_irq_save() */
	   LOAD(pmd, e);
	   if
	   :: e == table -> MIDWALK(); READ_TABLE(pte, e)
	   :: else
	   fi;
	   IRQ_RESTORE();
#ifdef NOENTERMB
	   printf("CPU%d walker: (no ordering at user entry)\n", me);
#else
	   SMP_MB();			/* ct_user_enter() [T:eqs-walker:2:user-enter-mb]: upstream's fully ordered atomic_add_return() */
#endif
	   STORE(CTX(me), user);
	   e = 0
	od
}

init {
	byte c;

	atomic {
		mem[pmd] = table; mem[pte] = live;
		mem[ctx1] = user; mem[ctx2] = user;
		mem[csd1] = unlocked; mem[csd2] = unlocked;
		START_STORE_BUFFERS();
		run cpu_freer();
		run cpu_walker(1); run interrupts(1);
		run cpu_walker(2); run interrupts(2)
	}
}
