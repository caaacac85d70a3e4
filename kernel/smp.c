// SPDX-License-Identifier: MIT
/*
 * Cross-CPU calls delivered as real asynchronous interrupts.
 *
 * Why signals: an IPI in the kernel stops whatever the target is doing,
 * runs a function, and resumes it; it cannot be taken while the target has
 * IRQs disabled.  A real-time signal sent to a thread has the first two
 * properties for free (the host kernel really interrupts the thread), and
 * the soft IRQ mask (irqflags.h) supplies the third.  Real-time signals are
 * queued, not merged, so every IPI sent is received exactly once.
 *
 * Each CPU has a call queue (a lock-free singly linked list: many pushers,
 * one consumer that takes the whole list at once) and, as a sender, one
 * call_single_data per target CPU.  A sender signals the target only when
 * its push made the queue non-empty; a later push rides on the IPI already
 * on its way, as in the kernel.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>

#include "ptsync/irqflags.h"
#include "ptsync/run.h"
#include "ptsync/smp.h"
#include "ptsync/store_buffer.h"
#include "ptsync/watchdog.h"
#include "ptsync/trace.h"

static pthread_once_t ipi_once = PTHREAD_ONCE_INIT;
static int ipi_signo;		/* written once under ipi_once */

int ipi_signal(void)
{
	return ipi_signo;
}

/* Push @csd; true when the queue was empty, i.e. an IPI must be sent. */
static bool call_queue_add(struct cpu *dst, struct call_single_data *csd)
{
	struct call_single_data *first = READ_ONCE(dst->call_queue);

	do {
		WRITE_ONCE(csd->next, first);
	/* Release: csd's func/info/flags, and every store the sender made
	 * before calling (the cleared page-table entry), are visible to the
	 * CPU that pops it; pairs with the acquire exchange in
	 * flush_smp_call_function_queue(). */
	/* [T:ipi-sender:2:queue-release] */
	} while (!cmpxchg_weak_explicit(&dst->call_queue, &first,
			csd, memory_order_release, memory_order_relaxed));
	return first == NULL;
}

static void csd_unlock(struct call_single_data *csd)
{
	/* The function's effects happen before the sender sees the csd
	 * free; pairs with smp_load_acquire() in csd_lock_wait(). */
	/* [T:ipi-handler:2:csd-unlock-release] */
	smp_store_release(&csd->flags, 0u);
}

static void flush_smp_call_function_queue(struct cpu *c)
{
	/* Acquire: pairs with the release push in call_queue_add(). */
	/* [T:ipi-handler:1:queue-acquire] */
	struct call_single_data *csd =
		xchg_explicit(&c->call_queue, NULL, memory_order_acquire);
	struct call_single_data *prev = NULL;

	/* The list is newest first; run calls in the order they were sent. */
	while (csd) {
		struct call_single_data *next = READ_ONCE(csd->next);

		WRITE_ONCE(csd->next, prev);
		prev = csd;
		csd = next;
	}
	for (csd = prev; csd; ) {
		struct call_single_data *next = READ_ONCE(csd->next);
		smp_call_func_t func = csd->func;
		void *info = csd->info;
		int site = csd->site;

		unsigned int flags = READ_ONCE(csd->flags);

		if (flags & CSD_TYPE_SYNC) {
			func(info);
			csd_unlock(csd);	/* csd may be reused from here */
		} else {
			csd_unlock(csd);
			func(info);
		}
		atomic_inc_relaxed(c->stats.calls_run);
		if (flags & CSD_TYPE_TLB)
			atomic_inc_relaxed(c->stats.tlb_calls_run);
		else if (site >= 0 && site < NR_CALLSITES)
			atomic_inc_relaxed(c->stats.site_calls_run[site]);
		csd = next;
	}
}

/* Run the queue "in hardirq context": IRQs masked while it runs. */
static void handle_ipi(struct cpu *c)
{
	WRITE_ONCE_RAW(c->irqs_disabled, 1);
	barrier();	/* against a nested handler on this thread */
	flush_smp_call_function_queue(c);
	barrier();
	WRITE_ONCE_RAW(c->irqs_disabled, 0);
}

/* local_irq_enable() found an IPI that arrived while masked. */
void do_pending_irqs(struct cpu *c)
{
	while (READ_ONCE_RAW(c->irq_pending)) {
		WRITE_ONCE_RAW(c->irq_pending, 0);
		/* Clear before running: a signal from here on either finds
		 * IRQs masked and sets irq_pending again (we loop), or runs
		 * the queue itself.  Pairs with ipi_signal_handler(). */
		barrier();
		trace_event(c->id, TR_IPI_RUN_DEFERRED, -1);
		handle_ipi(c);
	}
}

static void ipi_signal_handler(int sig, siginfo_t *si, void *uctx)
{
	struct cpu *c = this_cpu();
	int saved_errno = errno;
	bool masked;

	(void)sig;
	(void)si;
	(void)uctx;
	if (!c)
		return;
	/* Raw counts: we may have interrupted a store-buffer operation. */
	atomic_inc_raw(c->stats.ipis_received);
	/* Pairs with the barrier()s in local_irq_disable/enable(); an
	 * interrupted store-buffer operation is a masked section too, and
	 * runs the IPI when it ends (arch/store_buffer.c). */
	masked = READ_ONCE_RAW(c->irqs_disabled) || store_buffer_busy();
	trace_event(c->id, masked ? TR_IPI_DEFER : TR_IPI_RECV, -1);
	if (masked) {
		atomic_inc_raw(c->stats.ipis_deferred);
		WRITE_ONCE_RAW(c->irq_pending, 1);
	} else {
		handle_ipi(c);
	}
	errno = saved_errno;
}

static void ipi_signal_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ipi_signal_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	ipi_signo = SIGRTMIN + 2;
	if (sigaction(ipi_signo, &sa, NULL))
		ptsync_die("sigaction(SIGRTMIN+2): %s", strerror(errno));
}

void smp_init_signals(void)
{
	pthread_once(&ipi_once, ipi_signal_setup);
}

static void send_call_function_ipi(struct cpu *me, struct cpu *dst)
{
	int err = pthread_kill(dst->thread, ipi_signo);

	if (err)
		ptsync_die("CPU %d: IPI to CPU %d failed: %s", me->id, dst->id,
			   strerror(err));
	this_cpu_inc(me->stats.ipis_sent);
	trace_event(me->id, TR_IPI_SEND, dst->id);
}

/* Spin, IRQs on, until the target has released @csd. */
static void csd_lock_wait(struct cpu *me, struct call_single_data *csd,
			  enum stall_kind kind)
{
	unsigned int spins = 0;

	/* Pairs with csd_unlock(). */
	/* [T:ipi-sender:3:csd-wait-acquire] */
	if (!(smp_load_acquire(&csd->flags) & CSD_FLAG_LOCK))
		return;
	stall_wait_begin(me, kind, csd->dst);
	while (smp_load_acquire(&csd->flags) & CSD_FLAG_LOCK) {
		/* More CPUs than cores: let the target's thread run. */
		if (++spins % 64 == 0)
			sched_yield();
		else
			cpu_relax();
	}
	stall_wait_end(me);
}

/*
 * The sender side of every IPI: queue @func on each online CPU of @mask
 * but this one for which @cond_func (if any) says yes, signal those whose
 * queue was empty, and with SCF_WAIT spin until each has run it.
 */
void smp_call_function_many_cond(const struct cpumask *mask, smp_call_func_t func,
				 void *info, unsigned int scf_flags,
				 smp_cond_func_t cond_func)
{
	struct cpu *me = this_cpu();
	struct ptsync_run *run = me->run;
	bool wait = scf_flags & SCF_WAIT;
	unsigned int type = (wait ? CSD_TYPE_SYNC : 0) |
			    (scf_flags & SCF_TLB ? CSD_TYPE_TLB : 0);
	struct cpumask sent, ipi;
	int cpu;

	if (irqs_disabled())
		ptsync_die("CPU %d: smp_call_function_many() with IRQs disabled "
			   "(would deadlock against another sender)", me->id);
	cpumask_clear(&sent);
	cpumask_clear(&ipi);
	for_each_cpu(cpu, mask, run->nr_cpus) {
		struct call_single_data *csd = &me->csd[cpu];

		if (cpu == me->id || !cpumask_test_cpu(cpu, &run->online))
			continue;
		if (cond_func && !cond_func(cpu, info))
			continue;
		/* Queueing is a LOCK'd cmpxchg on x86: a full fence. */
		/* [T:ipi-sender:1:queue-fence] */
		store_buffer_fence();
		csd_lock_wait(me, csd, STALL_CSD);
		csd->func = func;
		csd->info = info;
		csd->src = me->id;
		csd->dst = cpu;
		csd->site = me->sync_site;
		WRITE_ONCE(csd->flags, CSD_FLAG_LOCK | type);
		this_cpu_inc(me->stats.calls_sent);
		if (type & CSD_TYPE_TLB)
			this_cpu_inc(me->stats.tlb_calls_sent);
		cpumask_set_cpu(cpu, &sent);
		if (call_queue_add(&run->cpus[cpu], csd))
			cpumask_set_cpu(cpu, &ipi);
	}
	/*
	 * As the kernel does (arch_send_call_function_ipi_mask() after the
	 * queueing loop): every call is queued before any target is
	 * interrupted, so the first target's handler does not run while the
	 * sender still queues for the others.  The signals are still one
	 * syscall per target: that per-target cost is what hostcheck's
	 * fan-out curves measure against the kernel's, and what compare
	 * corrects for.  A target whose queue was already non-empty rides on
	 * the signal already on its way (call_queue_add()'s release pairs
	 * with the acquire in flush_smp_call_function_queue()).
	 */
	for_each_cpu(cpu, &ipi, run->nr_cpus)
		send_call_function_ipi(me, &run->cpus[cpu]);
	if (!wait)
		return;
	/* Wait on exactly the CPUs we queued on: cond_func is not asked
	 * twice, since its answer may have changed in between. */
	for_each_cpu(cpu, &sent, run->nr_cpus)
		csd_lock_wait(me, &me->csd[cpu], STALL_IPI);
}

void smp_call_function_many(const struct cpumask *mask, smp_call_func_t func,
			    void *info, bool wait)
{
	smp_call_function_many_cond(mask, func, info, wait ? SCF_WAIT : 0, NULL);
}

void smp_call_function(smp_call_func_t func, void *info, bool wait)
{
	smp_call_function_many(&this_cpu()->run->online, func, info, wait);
}

void on_each_cpu(smp_call_func_t func, void *info, bool wait)
{
	unsigned long flags;

	smp_call_function(func, info, wait);
	flags = local_irq_save();
	func(info);
	local_irq_restore(flags);
}
