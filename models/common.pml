/* SPDX-License-Identifier: MIT */
/*
 * What every ptsync spin model shares: memory (sequentially consistent, or
 * x86-TSO with -DTSO), soft-masked IRQs, the IPI of smp_call_function_many()
 * with wait=1, and RCU grace periods whose readers are IRQs-off sections.
 *
 * Why a model checker at all: the C torture test runs on whatever memory
 * model the host has and only finds the interleavings the scheduler happens
 * to produce.  A missing barrier that x86's store buffer turns into a
 * use-after-free may never show up there; here every interleaving and
 * every store-buffer drain order of a small configuration is searched.
 *
 * Conventions (each model follows them):
 *  - The model declares its memory locations in its FIRST mtype declaration,
 *    before including this file, so that they are numbered 1..NLOC-1; it
 *    defines NLOC, NCPU, NWALKERS (the CPUs 1..NWALKERS that run IRQs-off
 *    walks), CSD(c) (the location of the call_single_data lock the freer
 *    uses for CPU c) and, under TSO, SB_SIZE.  Values are mtype names too,
 *    so that the replayed counterexample reads "pmd=none", not "pmd=0".
 *    (pan checks every array index, so an NLOC too small fails the run.)
 *  - A process acts for the CPU in its local `me` and tags its output with
 *    its role `who`; the freer's loops use a local `c`.
 *  - The table a walker may reach is a location (pte, pte1, ...) whose value
 *    is `live` until the table is freed or reused, when the freeing CPU
 *    stores `poison` (ptsync's page_alloc poisons freed tables).  The
 *    safety property of every model is the walker's assertion that the
 *    table entry it reads is not poison.  The free is a store like any
 *    other, not a ghost flag: under TSO a walker sees it only after the
 *    freer's earlier stores (the unhook), as on the hardware.
 *
 * x86-TSO: each CPU has a FIFO store buffer.  A store goes into it; a load
 * takes the newest buffered store to the same location, else memory; a
 * per-CPU process drains the oldest entry to memory at any moment; smp_mb()
 * and every locked instruction (atomic RMW, the llist_add() that queues an
 * IPI, a spin_lock()) drain it completely.  Draining at the fence in one
 * step loses no behaviour: any partial drain before it is the drain process
 * running first.  A store into a full buffer is an assertion failure, not
 * a stall, so every exhaustive search also checks that SB_SIZE is big
 * enough for the model: it is never just assumed.
 * Under SC (the default) a store goes straight to memory and smp_mb() is a
 * no-op.  smp_rmb() and smp_wmb() order nothing that TSO reorders
 * (store->load), so they are no-ops in both.
 */

/* Values, roles: after the model's locations. */
mtype = { none, table, huge, live, poison, locked, unlocked };
mtype = { freer, walker, irq, host, rcu, khugepaged, unsharer, sharer };

byte mem[NLOC];
bool irqs_off[NCPU];		/* this CPU's IRQ mask (not memory: local) */
bool ipi_pending[NCPU];		/* an IPI raised and not yet taken */

#ifdef TSO

typedef storebuf {
	byte loc[SB_SIZE];
	byte val[SB_SIZE];
	byte n;
};
storebuf sb[NCPU];
byte tso_i;			/* d_step scratch; always 0 between steps */

/* Write the oldest buffered store of @cpu to memory. */
#define _DRAIN_ONE(cpu) \
	printf("CPU%d: %e=%e leaves the store buffer\n", cpu, \
	       sb[cpu].loc[0], sb[cpu].val[0]); \
	mem[sb[cpu].loc[0]] = sb[cpu].val[0]; \
	tso_i = 1; \
	do \
	:: tso_i < sb[cpu].n -> \
		sb[cpu].loc[tso_i - 1] = sb[cpu].loc[tso_i]; \
		sb[cpu].val[tso_i - 1] = sb[cpu].val[tso_i]; \
		tso_i++ \
	:: else -> break \
	od; \
	sb[cpu].n--; \
	sb[cpu].loc[sb[cpu].n] = 0; \
	sb[cpu].val[sb[cpu].n] = 0; \
	tso_i = 0

/* Drain @cpu's store buffer completely (smp_mb, locked instruction). */
#define _DRAIN(cpu) \
	do \
	:: sb[cpu].n > 0 -> _DRAIN_ONE(cpu) \
	:: else -> break \
	od

#define _STORE(cpu, l, v) \
	assert(sb[cpu].n < SB_SIZE);	/* else raise SB_SIZE */ \
	sb[cpu].loc[sb[cpu].n] = l; \
	sb[cpu].val[sb[cpu].n] = v; \
	sb[cpu].n++; \
	printf("CPU%d %e: store %e=%e (buffered)\n", cpu, who, l, v)

/* Newest buffered store to @l wins, else memory. */
#define _LOAD(cpu, l, dst) \
	dst = mem[l]; \
	tso_i = 0; \
	do \
	:: tso_i < sb[cpu].n -> \
		if \
		:: sb[cpu].loc[tso_i] == l -> dst = sb[cpu].val[tso_i] \
		:: else \
		fi; \
		tso_i++ \
	:: else -> break \
	od; \
	tso_i = 0

#define MEMORY_MODEL "TSO"

/* The drain: one per CPU, at any time. */
proctype store_buffer(byte me)
{
end:	do
	:: d_step { sb[me].n > 0 -> _DRAIN_ONE(me) }
	od
}

#define START_STORE_BUFFERS() \
	c = 0; \
	do \
	:: c < NCPU -> run store_buffer(c); c++ \
	:: else -> break \
	od; \
	c = 0

#else /* SC */

#define _DRAIN_ONE(cpu)	skip
#define _DRAIN(cpu)	skip
#define _STORE(cpu, l, v) \
	mem[l] = v; \
	printf("CPU%d %e: store %e=%e\n", cpu, who, l, v)
#define _LOAD(cpu, l, dst)	dst = mem[l]
#define MEMORY_MODEL "SC"
#define START_STORE_BUFFERS()	skip

#endif

/* The accesses, each one indivisible step, printed for the trail. */
#define STORE(l, v)	d_step { _STORE(me, l, v) }
#define LOAD(l, dst) \
	d_step { \
		_LOAD(me, l, dst); \
		printf("CPU%d %e: load %e=%e\n", me, who, l, dst) \
	}
#define SMP_MB() \
	d_step { \
		printf("CPU%d %e: smp_mb\n", me, who); \
		_DRAIN(me) \
	}
/* An atomic RMW that writes @v (x86: locked, a full barrier). */
#define ATOMIC_STORE(l, v) \
	d_step { \
		_DRAIN(me); \
		mem[l] = v; \
		printf("CPU%d %e: store %e=%e (locked)\n", me, who, l, v) \
	}

/*
 * Free (or reuse) the table behind @l: ptsync poisons it.  `frees` counts
 * them for the liveness check (models/live.pml: every freer's wait ends,
 * so the model's NFREES frees all happen).
 */
byte frees;
#ifndef NFREES
#define NFREES	1
#endif
/* [T:free:1:gen-release] [T:free:2:poison-wmb]: one store here; SC and TSO
 * keep pt_free()'s order anyway, the litmus tests spell it out. */
#define PT_FREE(l)	d_step { _STORE(me, l, poison); frees++ }

/*
 * The walker reads an entry of the table it reached: the property.  The
 * load is printed first, so the trail shows the poison it read.
 */
#define READ_TABLE(l, dst) \
	LOAD(l, dst); \
	assert(dst != poison)

/*
 * Between the walker's pmd read and its table read.  -DIRQS_ON is every
 * safe model's twin in its own configuration (memory model, TLB mode):
 * the walker turns IRQs on there, as a walk outside an IRQs-off section
 * would, and the model must be refuted: proof that the walker can be
 * inside its walk when the table is freed, so the safe model's proof is
 * not vacuous.  (pan's unreached-code check only shows each statement is
 * reached, not that the two meet.)
 */
#ifdef IRQS_ON
#define MIDWALK()	IRQ_RESTORE(); IRQ_SAVE()
#else
#define MIDWALK()	skip
#endif

/* local_irq_save() / local_irq_restore() around a GUP-fast walk. */
/*
 * -DLIVE (the liveness runs): an interrupt pending when IRQs come on is
 * taken before they can go off again, as on the hardware; for the RCU
 * quiescent state that is the assumption that a CPU with IRQs on is
 * eventually ticked.  Without it weak fairness would not oblige the
 * interrupt process to run, since it is enabled only between walks.
 */
#ifdef LIVE
#define _IRQ_SAVE_OK	!ipi_pending[me] && !qs_pending[me] ->
#else
#define _IRQ_SAVE_OK
#endif
#define IRQ_SAVE() \
	d_step { \
		_IRQ_SAVE_OK \
		irqs_off[me] = 1; \
		printf("CPU%d %e: local_irq_save\n", me, who) \
	}
#define IRQ_RESTORE() \
	d_step { \
		irqs_off[me] = 0; \
		printf("CPU%d %e: local_irq_restore\n", me, who) \
	}

/*
 * smp_call_function_many(mask, func, info, wait=1), split in its two
 * halves so that a broadcast sends to every target before waiting on any.
 * Queueing the call is llist_add(), a locked cmpxchg: it drains the
 * sender's store buffer, so everything the sender stored before (the
 * cleared entry) is visible before the IPI can be taken.  The target runs
 * the handler only with IRQs on and ends with csd_unlock(), a store
 * release through its own store buffer; the sender spins until it sees
 * it.  The sender never stores to CSD(c) between the two halves, so its
 * own buffer cannot hold that location and memory is what it reads.
 */
/* [T:ipi-sender:1:queue-fence] [T:ipi-sender:2:queue-release] */
#define IPI_SEND(cpu) \
	d_step { \
		_DRAIN(me); \
		mem[CSD(cpu)] = locked; \
		ipi_pending[cpu] = 1; \
		printf("CPU%d %e: IPI to CPU%d\n", me, who, cpu) \
	}
/* [T:ipi-sender:3:csd-wait-acquire] */
#define IPI_WAIT(cpu) \
	atomic { \
		mem[CSD(cpu)] == unlocked -> \
		printf("CPU%d %e: sees CPU%d took the IPI\n", me, who, cpu) \
	}

/*
 * tlb_remove_table_sync_one(): smp_call_function(wait=1) to every CPU that
 * can be walking.  (CPUs that never disable IRQs would take it at once;
 * leaving them out loses no interleaving the walkers can see.)
 */
#define SYNC_ONE() \
	c = 1; \
	do \
	:: c <= NWALKERS -> IPI_SEND(c); c++ \
	:: else -> break \
	od; \
	c = 1; \
	do \
	:: c <= NWALKERS -> IPI_WAIT(c); c++ \
	:: else -> break \
	od; \
	c = 0

/*
 * RCU.  An IRQs-off section is a read-side critical section: a CPU
 * reports a quiescent state only at a point where its IRQs are on (the
 * tick, a context switch, user mode), and the report is ordered by
 * rcu_node locking, a full barrier.  A grace period starts with a full
 * barrier on the CPU that started it and ends when every walking CPU has
 * reported once since the start, then a full barrier again: what
 * synchronize_rcu() guarantees.
 */
bool qs_pending[NCPU];		/* the current GP still waits for this CPU */
byte gp_waiting;		/* how many CPUs it still waits for */

#define _GP_START() \
	c = 1; \
	do \
	:: c <= NWALKERS -> qs_pending[c] = 1; c++ \
	:: else -> break \
	od; \
	c = 0; \
	gp_waiting = NWALKERS

/* synchronize_rcu() by the freer: start a GP, wait for it, full barriers. */
/* [T:rcu-freer:1:gp-start-mb] */
#define SYNCHRONIZE_RCU() \
	d_step { \
		printf("CPU%d %e: synchronize_rcu: grace period starts\n", me, who); \
		_DRAIN(me); \
		_GP_START() \
	}; \
	atomic { \
		gp_waiting == 0 -> \
		printf("CPU%d %e: grace period ends\n", me, who); \
		_DRAIN(me) \
	}

/*
 * Interrupts of walking CPU @me: the IPI handler and the RCU quiescent
 * state, each possible only while IRQs are on, each one step (IRQs are off
 * while it runs).  A separate process, so an interrupt can fall between
 * any two steps of the CPU's own code that run with IRQs on.
 */
#ifndef INTERRUPTS_PROVIDED
#define INTERRUPTS_PROVIDED
#endif
proctype interrupts(byte me) INTERRUPTS_PROVIDED
{
	mtype who = irq;
end:	do
	:: d_step {
		ipi_pending[me] && !irqs_off[me] ->
		ipi_pending[me] = 0;	/* [T:ipi-handler:1:queue-acquire] */
		printf("CPU%d irq: IPI handler runs\n", me);
#ifdef LOST_IPI	/* broken for the liveness check: the csd is never unlocked */
		skip
#else
		_STORE(me, CSD(me), unlocked)	/* [T:ipi-handler:2:csd-unlock-release] */
#endif
	   }
	:: d_step {
		qs_pending[me] && !irqs_off[me] ->
		_DRAIN(me);
		qs_pending[me] = 0;
		gp_waiting--;
		printf("CPU%d irq: quiescent state (IRQs on)\n", me)
	   }
	od
}
