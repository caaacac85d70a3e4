// SPDX-License-Identifier: MIT
/*
 * The emulated store buffer of --sb-window (store_buffer.h says why).
 *
 * One entry per CPU, so stores stay in order (a second unhook drains the
 * first).  Only this CPU's thread touches its entry; signal handlers never
 * do, so no ordering against them is needed beyond the program order.
 */
#include "ptsync/run.h"
#include "ptsync/store_buffer.h"

bool store_buffer_on;		/* read by smp_mb(); set before CPUs start */
static uint64_t store_buffer_window_ns;

void store_buffer_setup(uint64_t window_ns)
{
	store_buffer_window_ns = window_ns;
	store_buffer_on = window_ns != 0;
}

void store_buffer_drain(void)
{
	struct cpu *c = this_cpu();
	pgent_t *ep;

	if (!c || !(ep = c->sb_ep))
		return;
	while (ktime_get_ns() < c->sb_visible_ns)
		cpu_relax();
	/* Now the store leaves the buffer.  The fence that asked for the
	 * drain (smp_mb(), or a LOCK'd RMW's) orders it before what follows. */
	WRITE_ONCE(*ep, 0);
	c->sb_ep = NULL;
}

void pt_unhook(struct cpu *c, pgent_t *ep)
{
	if (!store_buffer_on || !c) {
		WRITE_ONCE(*ep, 0);
		return;
	}
	store_buffer_drain();		/* FIFO: the older store goes first */
	c->sb_ep = ep;
	c->sb_visible_ns = ktime_get_ns() + store_buffer_window_ns;
}
