/* SPDX-License-Identifier: MIT */
/*
 * An emulated TSO store buffer for the freer's CPU: torture's widening of
 * store-buffering races (--sb-window-ns).
 *
 * The bug the broken twins carry (targeted-rmb, eqs-racy) is a store->load
 * reordering: the freer clears a page-table entry, then reads another CPU's
 * state without a full fence in between, and on x86 the clear can still sit
 * in its store buffer when the read is done.  Real hardware holds a store
 * for tens of nanoseconds, far too short a window to hit on two cores.  So
 * with --sb-window-ns=N a freer CPU's stores wait in a FIFO, as x86's do,
 * and the unhooks (pt_unhook(): the stores whose lateness is the race
 * under test) stay at least N ns; a drain waits that out.  Every other
 * store has no minimum, but cannot leave before an older one: it stays
 * until it reaches the head and the CPU drains, or spins (cpu_relax()),
 * or the buffer is full.  Any finite delay is TSO; this one keeps every
 * wait loop live and costs the freer only where an unhook is pending.
 *
 * What is buffered, exactly: on a thread with a buffer attached (each
 * ROLE_FREER CPU thread for the length of its jobs; the litmus tests'
 * threads), every store through the compiler.h wrappers: WRITE_ONCE(),
 * smp_store_release(), this_cpu_inc/add(), so the unhooks, the PT_DETACHED
 * mark, hugetlb's owner handover, the batch and gather bookkeeping that
 * goes through them, csd fields and the CPU's statistics.  Stores keep
 * program order (FIFO) and reach memory one by one as release stores.
 * Loads through READ_ONCE()/smp_load_acquire() on that thread forward from
 * the newest buffered store to the same address (a partly overlapping one
 * drains the buffer first), else read memory; so a CPU always sees its own
 * stores, and other CPUs see them late.
 *
 * What drains, and then fences: smp_mb(), and every locked RMW through the
 * compiler.h wrappers (xchg_explicit(), fetch_add_explicit(), ... and
 * atomic_inc_relaxed()), the drain first and the fence after it; plus
 * store_buffer_fence() where a lock or a library call (a pthread mutex,
 * liburcu's call_rcu() and synchronize_rcu()) does a locked RMW the model
 * cannot see.  smp_rmb() and smp_wmb() do not drain: TSO keeps loads in
 * order and stores in order already.
 *
 * What is NOT buffered: plain C stores and stores to _Atomic objects
 * outside the wrappers (liburcu's and libc's own, and the model's few
 * plain fields: those are private to a CPU or published by a lock, which
 * drains); the soft IRQ mask (READ_ONCE_RAW, a CPU's state shared only
 * with its own signal handler); stores to the thread's own stack (private
 * to it, and also written by plain C stores that a late drain must not
 * overwrite); the few stores of a signal handler that interrupted a buffer
 * operation before it defers the IPI (as with IRQs masked: its counters);
 * every CPU but the freers (walkers, bystanders, khugepaged: the
 * race being widened is the freer's store->load).
 */
#ifndef PTSYNC_STORE_BUFFER_H
#define PTSYNC_STORE_BUFFER_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "mm_types.h"

struct cpu;

#define SB_ENTRIES	56	/* a Skylake core's store buffer */

struct sb_entry {
	volatile void *addr;
	uint64_t bits;		/* the value's bytes, size of them */
	uint64_t visible_ns;	/* leaves the buffer by itself then */
	uint8_t size;
};

struct store_buffer {
	unsigned int head, nr;
	uint64_t window_ns;
	uintptr_t stack_lo, stack_len;	/* the thread's stack: not buffered */
	uint64_t stores, forwarded, drains;	/* for the tests */
	struct sb_entry ent[SB_ENTRIES];
};

/* A store held at least the window (the others: none, only FIFO order). */
void sb_store_held(volatile void *addr, size_t size, const void *val);

/* Clear *ep, the unhook of a page table: the store whose lateness the
 * window widens. */
static inline void pt_unhook(struct cpu *c, pgent_t *ep)
{
	static const uint64_t zero;

	(void)c;
	if (unlikely(sb_this != NULL))
		sb_store_held(ep, sizeof(*ep), &zero);
	else
		WRITE_ONCE(*ep, 0);
}

/* Make every buffered store of this thread visible, oldest first, each
 * waiting out its window. */
void store_buffer_drain(void);
/* A full fence's effect on the buffer where the fence is implicit (a lock,
 * a library's RMW) rather than an smp_mb() or a wrapped RMW. */
static inline void store_buffer_fence(void)
{
	if (unlikely(sb_this != NULL))
		store_buffer_drain();
}

/* Open the window for a run (0: off); process-wide, one run at a time. */
void store_buffer_setup(uint64_t window_ns);
uint64_t store_buffer_window_ns(void);
/* This thread's stores are buffered in @sb from now (window_ns set). */
void store_buffer_attach(struct store_buffer *sb);
/* Drain and stop buffering this thread's stores. */
void store_buffer_detach(void);
/* A signal handler asks: did it interrupt a buffer operation? */
bool store_buffer_busy(void);

#endif /* PTSYNC_STORE_BUFFER_H */
