// SPDX-License-Identifier: MIT
/*
 * The stall watchdog: a thread that reads every CPU's wait slot and turns a
 * wait older than --stall-timeout into a report and exit status 3.
 *
 * It reports what a kernel engineer would ask first: who is waiting, for
 * what, since when, and for an IPI the target's IRQ state and activity; for
 * a grace period, every CPU that has not passed a quiescent state since the
 * wait began.  It never tries to recover: a stall in this model is a bug in
 * the model or in the strategy under test, and a hang would hide it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ptsync/run.h"
#include "ptsync/watchdog.h"

#define WATCHDOG_PERIOD_NS	(5 * NSEC_PER_MSEC)

const char *stall_kind_name(int kind)
{
	switch (kind) {
	case STALL_NONE:	return "nothing";
	case STALL_IPI:		return "an IPI to be taken (smp_call_function_many, wait)";
	case STALL_CSD:		return "an earlier IPI's csd to be released";
	case STALL_GP:		return "a grace period (synchronize_rcu)";
	case STALL_BARRIER:	return "RCU callbacks (rcu_barrier)";
	case STALL_STOP:	return "the other CPUs to stop";
	}
	return "?";
}

static void describe_cpu(const struct cpu *c, uint64_t now)
{
	fprintf(stderr, "ptsync: watchdog:   CPU %d (%s): IRQs %s%s, %s context, "
		"RCU %s, activity %s, last QS %.3f s ago\n",
		c->id, cpu_role_name(c->role),
		READ_ONCE(c->irqs_disabled) ? "disabled" : "enabled",
		READ_ONCE(c->irq_pending) ? " (IPI pending)" : "",
		cpu_context_name(READ_ONCE(c->context)),
		READ_ONCE(c->rcu_online) ? "online" : "offline (EQS)",
		cpu_activity_name(READ_ONCE(c->activity)),
		(double)(now - READ_ONCE(c->last_qs_ns)) / NSEC_PER_SEC);
}

/* CPUs that keep a wait of @kind begun at @since from finishing. */
static void describe_holders(struct ptsync_run *run, const struct cpu *waiter,
			     int kind, uint64_t since, uint64_t now)
{
	for (int i = 0; i < run->nr_cpus; i++) {
		const struct cpu *c = &run->cpus[i];
		bool holds;

		switch (kind) {
		case STALL_IPI:
		case STALL_CSD:
			holds = waiter && i == READ_ONCE(waiter->wait_target);
			break;
		case STALL_GP:
		case STALL_BARRIER:
			holds = READ_ONCE(c->rcu_online) &&
				READ_ONCE(c->last_qs_ns) < since && c != waiter;
			break;
		default:
			holds = READ_ONCE(c->activity) != ACT_STOPPING;
		}
		if (holds)
			describe_cpu(c, now);
	}
}

static void stall(struct ptsync_run *run, const struct cpu *waiter, int kind,
		  uint64_t since, uint64_t now)
{
	char who[32];

	fflush(stdout);
	if (waiter)
		snprintf(who, sizeof(who), "CPU %d", waiter->id);
	else
		snprintf(who, sizeof(who), "main thread");
	fprintf(stderr, "ptsync: watchdog: %s has waited %.1f s for %s "
		"(--stall-timeout=%g, strategy %s); holding it up:\n",
		who, (double)(now - since) / NSEC_PER_SEC,
		stall_kind_name(kind), run->cfg.stall_timeout_s, run->ops->name);
	if (waiter)
		describe_cpu(waiter, now);
	describe_holders(run, waiter, kind, since, now);
	_exit(EXIT_STALL);
}

static void watchdog_check(struct ptsync_run *run, uint64_t now, uint64_t timeout)
{
	int kind;

	for (int i = 0; i < run->nr_cpus; i++) {
		struct cpu *c = &run->cpus[i];
		uint64_t since;

		/* Pairs with smp_store_release() in stall_wait_begin(). */
		kind = smp_load_acquire(&c->wait_kind);
		if (kind == STALL_NONE)
			continue;
		since = READ_ONCE(c->wait_since_ns);
		if (now > since && now - since > timeout)
			stall(run, c, kind, since, now);
	}
	/* Pairs with smp_store_release() in main_wait_begin(). */
	kind = smp_load_acquire(&run->main_wait_kind);
	if (kind != STALL_NONE) {
		uint64_t since = READ_ONCE(run->main_wait_since_ns);

		if (now > since && now - since > timeout)
			stall(run, NULL, kind, since, now);
	}
}

static void *watchdog_thread(void *arg)
{
	struct ptsync_run *run = arg;
	uint64_t timeout = (uint64_t)(run->cfg.stall_timeout_s * NSEC_PER_SEC);
	struct timespec period = { 0, WATCHDOG_PERIOD_NS };

	while (!READ_ONCE(run->watchdog_stop)) {
		nanosleep(&period, NULL);
		watchdog_check(run, ktime_get_ns(), timeout);
	}
	return NULL;
}

void main_wait_begin(struct ptsync_run *run, enum stall_kind kind)
{
	WRITE_ONCE(run->main_wait_since_ns, ktime_get_ns());
	/* Time before kind; pairs with the smp_load_acquire() in
	 * watchdog_check(). */
	smp_store_release(&run->main_wait_kind, (int)kind);
}

void main_wait_end(struct ptsync_run *run)
{
	WRITE_ONCE(run->main_wait_kind, STALL_NONE);
}

int watchdog_start(struct ptsync_run *run)
{
	int err;

	WRITE_ONCE(run->watchdog_stop, 0);
	err = pthread_create(&run->watchdog, NULL, watchdog_thread, run);
	run->watchdog_running = !err;
	return -err;
}

void watchdog_stop(struct ptsync_run *run)
{
	if (!run->watchdog_running)
		return;
	WRITE_ONCE(run->watchdog_stop, 1);
	pthread_join(run->watchdog, NULL);
	run->watchdog_running = false;
}
