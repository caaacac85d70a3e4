/* SPDX-License-Identifier: MIT */
/*
 * An emulated store buffer for the freer's unhooks: torture's widening of
 * store-buffering races (--sb-window).
 *
 * The bug the broken twins carry (targeted-rmb, eqs-racy) is a store->load
 * reordering: the freer clears a page-table entry, then reads another CPU's
 * state without a full fence in between, and on x86 the clear can still sit
 * in its store buffer when the read is done.  Real hardware holds a store
 * for tens of nanoseconds, far too short a window to hit on two cores.  So
 * with --sb-window=N an unhook (pt_unhook()) is not stored at once: it
 * waits in this CPU's one-entry buffer until N ns have passed *and* the CPU
 * reaches a point that drains it - a full fence (smp_mb()), the queueing of
 * an IPI (a LOCK'd cmpxchg on x86), the RCU entry points, a page-table free
 * (a lock), the end of a gather, or its own read of the table (x86 would
 * forward instead; draining only shortens the window).  Loads pass it, as
 * on x86.  Only the freer's side is widened; walkers are untouched.
 *
 * A correct strategy fences before it reads, so the window closes before
 * its loads and it stays clean; a strategy that reads without the fence
 * reads with the unhook still buffered, and torture catches it.
 */
#ifndef PTSYNC_STORE_BUFFER_H
#define PTSYNC_STORE_BUFFER_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "mm_types.h"

struct cpu;

/* Clear *ep, the unhook of a page table: through the buffer when enabled. */
void pt_unhook(struct cpu *c, pgent_t *ep);
/* Make this CPU's buffered store visible, waiting out its window first. */
void store_buffer_drain(void);
/* A full fence's effect on the buffer, where the fence is implicit (a
 * LOCK'd RMW, a lock) rather than an smp_mb(). */
static inline void store_buffer_fence(void)
{
	if (unlikely(store_buffer_on))
		store_buffer_drain();
}

/* Turn the emulation on for a run (0: off); process-wide, one run at a time. */
void store_buffer_setup(uint64_t window_ns);

#endif /* PTSYNC_STORE_BUFFER_H */
