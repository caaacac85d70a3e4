// SPDX-License-Identifier: MIT
/*
 * RCU for simulated CPUs: liburcu QSBR with the kernel's tick discipline.
 *
 * liburcu does the grace-period machinery; this file decides *when* a CPU
 * tells it about a quiescent state, because that is what makes the cost of
 * synchronize_rcu() look like the kernel's.  A CPU in kernel context reports
 * a QS at the first schedule point after each tick boundary (--hz), never
 * inside an IRQs-off section; in user mode or idle it is offline, an
 * extended quiescent state, and no grace period waits for it.
 *
 * The grace-period machinery runs on ticks too.  In the kernel the GP
 * kthread starts a grace period, and notices that it has ended, when it is
 * woken from the tick path; a CPU in an extended quiescent state is only
 * noticed by that scan.  So synchronize_rcu() here starts its grace period
 * at a tick boundary and returns at the first tick boundary after the last
 * quiescent state: never less than one tick, as in the kernel, even when
 * every other CPU is idle or in user mode.  (liburcu's call_rcu worker runs
 * its own grace periods without this rounding; batched frees are not timed
 * by the reports, only the fallback's synchronize_rcu() is.)
 *
 * Invariant checked here: no QS, no sleep, no offline transition with IRQs
 * masked.  Each would let a grace period end under a GUP-fast walker.
 */
#include <urcu/urcu-qsbr.h>
#include <urcu/static/urcu-qsbr.h>

#include <errno.h>
#include <time.h>

#include "ptsync/irqflags.h"
#include "ptsync/rcupdate.h"
#include "ptsync/run.h"
#include "ptsync/watchdog.h"
#include "ptsync/trace.h"

void might_sleep(const char *what)
{
	struct cpu *c = this_cpu();

	if (c && READ_ONCE(c->irqs_disabled))
		ptsync_die("BUG: CPU %d: %s may sleep but IRQs are disabled "
			   "(a grace period would end under a lockless walker)",
			   c->id, what);
}

static uint64_t next_tick(const struct cpu *c, uint64_t now)
{
	uint64_t tick = c->run->tick_ns;

	return (now / tick + 1) * tick;
}

void rcu_cpu_starting(struct cpu *c)
{
	uint64_t now = ktime_get_ns();

	rcu_reader_add_cpu(c);		/* tree_stall.c: known to the watchdog */
	urcu_qsbr_register_thread();
	WRITE_ONCE(c->rcu_online, 1);
	c->next_qs_ns = next_tick(c, now);
	WRITE_ONCE(c->last_qs_ns, now);
}

void rcu_cpu_dying(struct cpu *c)
{
	rcu_reader_del();
	urcu_qsbr_unregister_thread();	/* goes offline first by itself */
	WRITE_ONCE(c->rcu_online, 0);
}

void rcu_note_context_switch(struct cpu *c)
{
	uint64_t now, gp_seq;

	if (READ_ONCE(c->irqs_disabled))
		ptsync_die("BUG: CPU %d: quiescent state reported with IRQs "
			   "disabled (activity %s)", c->id,
			   cpu_activity_name(READ_ONCE(c->activity)));
	if (!READ_ONCE(c->rcu_online))
		return;
	now = ktime_get_ns();
	if (now < c->next_qs_ns)
		return;
	gp_seq = rcu_reader_qs_begin();
	urcu_qsbr_quiescent_state();
	rcu_reader_qs_end(gp_seq);
	c->next_qs_ns = next_tick(c, now);
	WRITE_ONCE(c->last_qs_ns, now);
	this_cpu_inc(c->stats.qs_reported);
	trace_event(c->id, TR_QS, -1);
}

void rcu_eqs_enter(struct cpu *c)
{
	might_sleep("entering an extended quiescent state");
	if (!READ_ONCE(c->rcu_online))
		return;
	urcu_qsbr_thread_offline();
	WRITE_ONCE(c->rcu_online, 0);
}

void rcu_eqs_exit(struct cpu *c)
{
	uint64_t now = ktime_get_ns(), gp_seq;

	if (READ_ONCE(c->rcu_online))
		return;
	gp_seq = rcu_reader_qs_begin();
	urcu_qsbr_thread_online();
	rcu_reader_qs_end(gp_seq);
	WRITE_ONCE(c->rcu_online, 1);
	c->next_qs_ns = next_tick(c, now);
	WRITE_ONCE(c->last_qs_ns, now);
}

/* Sleep, as the GP kthread does, until the next tick boundary. */
static void rcu_gp_wait_tick(const struct cpu *c, enum rcu_gp_phase phase)
{
	uint64_t until = next_tick(c, ktime_get_ns());
	struct timespec ts = {
		.tv_sec = (time_t)(until / NSEC_PER_SEC),
		.tv_nsec = (long)(until % NSEC_PER_SEC),
	};

	rcu_gp_phase_set(phase, until);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

void synchronize_rcu(void)
{
	struct cpu *c = this_cpu();
	bool was_online = c && READ_ONCE(c->rcu_online);
	uint64_t trace_t0 = ptsync_trace ? ktime_get_ns() : 0;

	might_sleep("synchronize_rcu()");
	stall_wait_begin(c, STALL_GP, -1);
	/* The caller sleeps: a quiescent state for its own CPU, and it must
	 * not hold up the grace period it waits for. */
	if (was_online)
		rcu_eqs_enter(c);
	if (c)
		rcu_gp_wait_tick(c, RCU_GP_WAIT_START);	/* the GP starts at a tick */
	rcu_gp_phase_set(RCU_GP_WAIT_READERS, 0);
	urcu_qsbr_synchronize_rcu();
	if (c)
		rcu_gp_wait_tick(c, RCU_GP_WAIT_END);	/* its end is noticed at a tick */
	if (was_online)
		rcu_eqs_exit(c);
	stall_wait_end(c);
	rcu_gp_phase_set(RCU_GP_IDLE, 0);	/* after: a report sees WAIT_END */
	trace_span(c ? c->id : -1, TR_GP, trace_t0, ktime_get_ns() - trace_t0);
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	rcu_worker_adopt();	/* tree_stall.c: know the worker before it runs */
	urcu_qsbr_call_rcu(head, func);
}

void rcu_barrier(void)
{
	struct cpu *c = this_cpu();

	bool was_online = c && READ_ONCE(c->rcu_online);

	might_sleep("rcu_barrier()");
	/* An online QSBR reader waiting on callbacks would hold up the
	 * very grace period they wait for. */
	if (was_online)
		rcu_eqs_enter(c);
	stall_wait_begin(c, STALL_BARRIER, -1);
	urcu_qsbr_barrier();
	stall_wait_end(c);
	if (was_online)
		rcu_eqs_exit(c);
}

/*
 * A forked child has liburcu's bookkeeping for the parent's call_rcu
 * worker but not the thread; liburcu's hooks quiesce it across the fork.
 */
void rcu_fork_prepare(void)
{
	rcu_readers_fork_prepare();
	urcu_qsbr_call_rcu_before_fork();
}

void rcu_fork_parent(void)
{
	urcu_qsbr_call_rcu_after_fork_parent();
	rcu_readers_fork_parent();
}

void rcu_fork_child(void)
{
	urcu_qsbr_call_rcu_after_fork_child();
	rcu_readers_fork_child();
}

uint64_t rcu_gp_count(void)
{
	return CMM_LOAD_SHARED(urcu_qsbr_gp.ctr) / URCU_QSBR_GP_CTR;
}
