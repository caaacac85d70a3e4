// SPDX-License-Identifier: MIT
/*
 * IPIs and the soft IRQ mask.
 *
 * What breaks if these fail: tlb_remove_table_sync_one() is only correct
 * if an IPI never runs inside a local_irq_disable() section, and if the
 * sender's wait returns only after every target ran the function.  A model
 * that delivered IPIs into masked sections, or returned early, would let
 * the `ipi` strategy pass torture without protecting anything.
 */
#include "ptsync/smp.h"
#include "ptsync/watchdog.h"
#include "tap.h"

#include <string.h>

struct smp_test {
	_Atomic int phase;
	_Atomic int calls[4];
	_Atomic int masked_ready;
	_Atomic int released;
	_Atomic int slow_done;
	_Atomic int cpu1_done;
	bool use_save;		/* deferral test: local_irq_save/restore */
	/* results */
	int ran_while_masked;
	int deferred_seen;
	int ran_at_enable;
	int ran_at_inner_restore;
	int slow_done_at_return;
	int released_before_return;
	int ran_once_after_wait;
	int each_cpu_ran;
};

static void count_call(void *info)
{
	struct smp_test *t = info;

	atomic_fetch_add(&t->calls[this_cpu()->id], 1);
}

/* Once CPU 1 says it has IRQs masked, send it count_call(). */
static void send_to_masked_cpu1(struct smp_test *t, bool wait)
{
	struct cpumask one;

	WAIT_FOR(READ_ONCE(t->masked_ready));
	cpumask_clear(&one);
	cpumask_set_cpu(1, &one);
	smp_call_function_many(&one, count_call, t, wait);
}

/*
 * Test 1: an IPI to a masked CPU waits for local_irq_enable(), or, with
 * use_save, for the local_irq_restore() that unmasks (GUP-fast's pattern:
 * a restore that only clears the mask would strand the IPI, and the
 * sender of tlb_remove_table_sync_one() would wait for ever).
 */
static void deferral_cpu(struct cpu *c)
{
	struct smp_test *t = c->run->priv;

	if (c->id == 1) {
		unsigned long outer = 0, inner;

		if (t->use_save)
			outer = local_irq_save();
		else
			local_irq_disable();
		WRITE_ONCE(t->masked_ready, 1);
		/* Stay masked until the IPI has arrived.  Its handler ran on
		 * this thread, so it has finished when we see the count. */
		WAIT_FOR(READ_ONCE(c->stats.ipis_received) == 1);
		t->deferred_seen = READ_ONCE(c->stats.ipis_deferred) == 1;
		ndelay_spin(20 * NSEC_PER_MSEC);
		t->ran_while_masked = READ_ONCE(t->calls[1]) != 0;
		if (t->use_save) {
			/* A nested save/restore leaves IRQs masked. */
			inner = local_irq_save();
			local_irq_restore(inner);
			t->ran_at_inner_restore = READ_ONCE(t->calls[1]) != 0;
			local_irq_restore(outer);
		} else {
			local_irq_enable();
		}
		t->ran_at_enable = READ_ONCE(t->calls[1]) == 1;
		WRITE_ONCE(t->cpu1_done, 1);
		return;
	}
	send_to_masked_cpu1(t, false);
	WAIT_FOR(READ_ONCE(t->cpu1_done));
}

/* Test 2: wait=true returns only after the masked target took the IPI. */
static void wait_cpu(struct cpu *c)
{
	struct smp_test *t = c->run->priv;

	if (c->id == 1) {
		local_irq_disable();
		WRITE_ONCE(t->masked_ready, 1);
		WAIT_FOR(READ_ONCE(c->stats.ipis_received) == 1);
		ndelay_spin(50 * NSEC_PER_MSEC);
		WRITE_ONCE(t->released, 1);	/* just before the unmask */
		local_irq_enable();
		return;
	}
	send_to_masked_cpu1(t, true);
	t->released_before_return = READ_ONCE(t->released);
	t->ran_once_after_wait = READ_ONCE(t->calls[1]) == 1;
}

/*
 * Test 2b: a synchronous call is acknowledged after its function returns,
 * not before it starts: the function takes 20 ms, and the sender must see
 * its effect the moment smp_call_function_many(wait) returns.
 */
static void slow_call(void *info)
{
	struct smp_test *t = info;

	ndelay_spin(20 * NSEC_PER_MSEC);
	WRITE_ONCE(t->slow_done, 1);
}

static void sync_call_cpu(struct cpu *c)
{
	struct smp_test *t = c->run->priv;
	struct cpumask one;

	if (c->id == 1) {
		WAIT_FOR(READ_ONCE(t->phase) == 1);	/* IRQs on: takes the IPI */
		return;
	}
	cpumask_clear(&one);
	cpumask_set_cpu(1, &one);
	smp_call_function_many(&one, slow_call, t, true);
	t->slow_done_at_return = READ_ONCE(t->slow_done);
	WRITE_ONCE(t->phase, 1);
}

/* Test 3: on_each_cpu() runs everywhere, the caller included. */
static void each_cpu(struct cpu *c)
{
	struct smp_test *t = c->run->priv;

	if (c->id == 0) {
		on_each_cpu(count_call, t, true);
		t->each_cpu_ran = 1;
		for (int i = 0; i < c->run->nr_cpus; i++)
			t->each_cpu_ran &= READ_ONCE(t->calls[i]) == 1;
		WRITE_ONCE(t->phase, 1);
	} else {
		WAIT_FOR(READ_ONCE(t->phase) == 1);
	}
}

static void run_test(int nr_cpus, cpu_fn_t fn, struct smp_test *t,
		     uint64_t *sent, uint64_t *received)
{
	struct ptsync_config cfg;
	struct ptsync_run *run;
	bool use_save = t->use_save;

	memset(t, 0, sizeof(*t));
	t->use_save = use_save;
	test_config(&cfg, nr_cpus, &ipi_sync_ops);
	run = test_run_start(&cfg, fn, t);
	cpus_stop(run);
	*sent = *received = 0;
	for (int i = 0; i < nr_cpus; i++) {
		*sent += READ_ONCE(run->cpus[i].stats.ipis_sent);
		*received += READ_ONCE(run->cpus[i].stats.ipis_received);
	}
	ptsync_run_drain(run);
	ptsync_run_destroy(run);
	free(run);
}

/*
 * Test 4: the watchdog.  A CPU keeps IRQs masked for longer than the stall
 * timeout while another waits on an IPI to it: the process must exit with
 * EXIT_STALL and name the stuck CPU, not hang.  Runs in a child.
 */
static void stall_cpu(struct cpu *c)
{
	struct smp_test *t = c->run->priv;

	if (c->id == 1) {
		/* the watchdog fires first */
		test_masked_spin(&t->masked_ready, 5 * NSEC_PER_SEC, NULL, NULL);
		return;
	}
	send_to_masked_cpu1(t, true);
}

static void stall_child(void *arg)
{
	struct ptsync_config cfg;
	struct smp_test t;

	(void)arg;
	memset(&t, 0, sizeof(t));
	test_config(&cfg, 2, &ipi_sync_ops);
	cfg.stall_timeout_s = 0.5;
	test_run_finish(test_run_start(&cfg, stall_cpu, &t));
}

static void test_watchdog(void)
{
	char buf[4096];
	int status = run_in_child(stall_child, NULL, buf, sizeof(buf));

	ok(exit_status(status) == EXIT_STALL,
	   "watchdog: an IPI held off past --stall-timeout exits with status %d (got %d)",
	   EXIT_STALL, exit_status(status));
	ok(strstr(buf, "CPU 0 has waited") && strstr(buf, "CPU 1 (walker): IRQs disabled"),
	   "watchdog: the report names the waiting CPU and the masked one");
	if (!strstr(buf, "CPU 1"))
		diag("watchdog said: %s", buf);
}

int main(void)
{
	struct smp_test t = { .use_save = false };
	uint64_t sent, received;

	run_test(2, deferral_cpu, &t, &sent, &received);
	ok(t.deferred_seen, "deferral: an IPI to a CPU with IRQs masked is counted as deferred");
	ok(!t.ran_while_masked, "deferral: its function does not run while IRQs are masked");
	ok(t.ran_at_enable, "deferral: local_irq_enable() runs it before returning");
	ok(sent == 1 && received == 1, "deferral: 1 IPI sent, 1 received (%llu, %llu)",
	   (unsigned long long)sent, (unsigned long long)received);

	t.use_save = true;
	run_test(2, deferral_cpu, &t, &sent, &received);
	ok(t.deferred_seen && !t.ran_while_masked,
	   "deferral under local_irq_save(): deferred, not run while masked");
	ok(!t.ran_at_inner_restore, "... a nested local_irq_restore() keeps it pending");
	ok(t.ran_at_enable, "... the outer local_irq_restore() runs it before returning");
	t.use_save = false;

	run_test(2, wait_cpu, &t, &sent, &received);
	ok(t.released_before_return,
	   "wait: smp_call_function_many(wait) returns only after the target unmasked");
	ok(t.ran_once_after_wait, "wait: the function ran exactly once on the target");

	run_test(2, sync_call_cpu, &t, &sent, &received);
	ok(t.slow_done_at_return,
	   "wait: returns only after the target's function has finished, not when it starts");

	run_test(4, each_cpu, &t, &sent, &received);
	ok(t.each_cpu_ran, "on_each_cpu: ran once on each of 4 CPUs, the caller included");
	ok(sent == 3 && received == 3, "on_each_cpu: 3 IPIs sent and received (%llu, %llu)",
	   (unsigned long long)sent, (unsigned long long)received);

	test_watchdog();
	return done_testing();
}
