/* SPDX-License-Identifier: MIT */
/*
 * Soft-masked interrupts, powerpc-style ("lazy" masking).
 *
 * A CPU's IRQ mask is a flag in its struct cpu.  Our interrupts are POSIX
 * signals, which the host delivers whenever it likes; the handler
 * (kernel/smp.c) looks at the flag: if IRQs are masked it only marks the
 * interrupt pending and returns, and local_irq_enable() runs it on the way
 * out of the critical section.  So, exactly as on a real CPU, no IPI
 * function ever runs inside a local_irq_disable() section, which is the
 * property GUP-fast and tlb_remove_table_sync_one() are built on.
 *
 * The flag and the pending bit are only ever touched by one thread and its
 * own signal handler, so the ordering needed is against the handler alone:
 * a compiler barrier (atomic_signal_fence), not a CPU fence; and the
 * accesses bypass the emulated store buffer (READ_ONCE_RAW), whose own
 * operations stand in for a masked section (store_buffer.h).
 */
#ifndef PTSYNC_IRQFLAGS_H
#define PTSYNC_IRQFLAGS_H

#include "cpu.h"

void do_pending_irqs(struct cpu *c);	/* kernel/smp.c */

static inline bool irqs_disabled(void)
{
	struct cpu *c = this_cpu();

	return c && READ_ONCE_RAW(c->irqs_disabled);
}

static inline void local_irq_disable(void)
{
	struct cpu *c = this_cpu();

	WRITE_ONCE_RAW(c->irqs_disabled, 1);
	/* Keep the section's accesses after the mask; pairs with the
	 * handler's read of irqs_disabled in ipi_signal_handler(). */
	barrier();
}

static inline void local_irq_enable(void)
{
	struct cpu *c = this_cpu();

	/* Keep the section's accesses before the unmask. */
	barrier();
	WRITE_ONCE_RAW(c->irqs_disabled, 0);
	/* Unmask before looking for work: pairs with the handler, which
	 * reads irqs_disabled and then sets irq_pending.  Either it ran
	 * before the unmask (we see irq_pending) or after (it ran the
	 * queue itself). */
	barrier();
	if (unlikely(READ_ONCE_RAW(c->irq_pending)))
		do_pending_irqs(c);
}

static inline unsigned long local_irq_save(void)
{
	struct cpu *c = this_cpu();
	unsigned long flags = (unsigned long)READ_ONCE_RAW(c->irqs_disabled);

	WRITE_ONCE_RAW(c->irqs_disabled, 1);
	barrier();	/* as in local_irq_disable() */
	return flags;
}

static inline void local_irq_restore(unsigned long flags)
{
	if (!flags)
		local_irq_enable();
}

#endif /* PTSYNC_IRQFLAGS_H */
