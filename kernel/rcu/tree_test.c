// SPDX-License-Identifier: MIT
/*
 * RCU for simulated CPUs: an IRQs-off section holds off a grace period.
 *
 * What breaks if these fail: the seed's tlb_remove_table_sync_rcu() is
 * correct only because local_irq_disable() is an RCU read-side critical
 * section.  If a CPU could report a quiescent state inside one, or a grace
 * period ended early, `rcu` would free tables under running walkers.
 */
#include <string.h>

#include "ptsync/watchdog.h"
#include "tap.h"

struct rcu_test {
	_Atomic int in_section, section_done;
	int done_before_gp_end;
	uint64_t gp_ns;
	uint64_t qs_reported, elapsed_ns;
	_Atomic int cb_ran;
	struct rcu_head head;
	int cb_waited;
};

/* The reader's last act before it unmasks. */
static void section_done(void *arg)
{
	struct rcu_test *t = arg;

	WRITE_ONCE(t->section_done, 1);
}

/*
 * CPU 1 is the reader: an IRQs-off section of @ns that runs @last(t) at
 * its end, still masked (NULL: nothing); it gets NULL back.  The others
 * wait (bounded) until the reader is inside, and get the test's struct.
 */
static struct rcu_test *reader_or_wait(struct cpu *c, uint64_t ns, void (*last)(void *arg))
{
	struct rcu_test *t = c->run->priv;

	if (c->id == 1) {
		test_masked_spin(&t->in_section, ns, last, t);
		return NULL;
	}
	WAIT_FOR(READ_ONCE(t->in_section));
	return t;
}

static void gp_cpu(struct cpu *c)
{
	struct rcu_test *t = reader_or_wait(c, 30 * NSEC_PER_MSEC, section_done);

	if (!t)
		return;
	t->gp_ns = ktime_get_ns();
	synchronize_rcu();
	t->gp_ns = ktime_get_ns() - t->gp_ns;
	t->done_before_gp_end = READ_ONCE(t->section_done);
}

static void cb(struct rcu_head *head)
{
	struct rcu_test *t = container_of(head, struct rcu_test, head);

	WRITE_ONCE(t->cb_ran, 1);
}

/* Under the reader, still: the callback has not run. */
static void cb_not_yet(void *arg)
{
	struct rcu_test *t = arg;

	t->cb_waited = !READ_ONCE(t->cb_ran);
}

/* call_rcu() does not run its callback under a reader either. */
static void call_rcu_cpu(struct cpu *c)
{
	struct rcu_test *t = reader_or_wait(c, 30 * NSEC_PER_MSEC, cb_not_yet);

	if (t)
		call_rcu(&t->head, cb);
}

/* Quiescent states: at most one per tick, however often we schedule. */
static void tick_cpu(struct cpu *c)
{
	struct rcu_test *t = c->run->priv;
	uint64_t start = ktime_get_ns(), before = READ_ONCE(c->stats.qs_reported);

	if (c->id != 0)
		return;
	while (ktime_get_ns() - start < 100 * NSEC_PER_MSEC)
		rcu_note_context_switch(c);
	t->elapsed_ns = ktime_get_ns() - start;
	t->qs_reported = READ_ONCE(c->stats.qs_reported) - before;
}

static void qs_irqs_off_cpu(struct cpu *c)
{
	if (c->id != 0)
		return;
	local_irq_disable();
	rcu_note_context_switch(c);	/* must abort */
	local_irq_enable();
}

/* A walker that never unmasks: the grace period must be reported stuck. */
static void gp_stall_cpu(struct cpu *c)
{
	/* The section outlasts the watchdog: it fires first. */
	if (reader_or_wait(c, 5 * NSEC_PER_SEC, NULL))
		synchronize_rcu();
}

static struct rcu_test run_test_stall(int nr_cpus, int hz, cpu_fn_t fn, int *leaked,
				      double stall_timeout)
{
	struct ptsync_config cfg;
	struct rcu_test t;

	memset(&t, 0, sizeof(t));
	test_config(&cfg, nr_cpus, &rcu_sync_ops);
	cfg.hz = hz;
	cfg.stall_timeout_s = stall_timeout;
	*leaked = test_run_finish(test_run_start(&cfg, fn, &t));
	return t;
}

static struct rcu_test run_test(int nr_cpus, int hz, cpu_fn_t fn, int *leaked)
{
	return run_test_stall(nr_cpus, hz, fn, leaked, 10);
}

static void gp_stall_child(void *arg)
{
	int leaked;

	(void)arg;
	run_test_stall(2, 250, gp_stall_cpu, &leaked, 0.5);
}

static void qs_irqs_off_child(void *arg)
{
	int leaked;

	(void)arg;
	run_test(2, 250, qs_irqs_off_cpu, &leaked);
}

static void test_qs_with_irqs_off(void)
{
	char buf[1024];
	int status = run_in_child(qs_irqs_off_child, NULL, buf, sizeof(buf));

	ok(exit_status(status) == 4 &&
	   strstr(buf, "quiescent state reported with IRQs disabled"),
	   "a quiescent state reported with IRQs masked is a BUG that stops the run");
	if (!strstr(buf, "quiescent"))
		diag("status %d: %s", status, buf);
}

static void test_gp_stall(void)
{
	char buf[4096];
	int status = run_in_child(gp_stall_child, NULL, buf, sizeof(buf));

	ok(exit_status(status) == EXIT_STALL && strstr(buf, "a grace period") &&
	   strstr(buf, "CPU 1 (walker): IRQs disabled"),
	   "watchdog: a grace period held up past --stall-timeout names the CPU "
	   "that has not passed a quiescent state (exit %d)", exit_status(status));
	if (!strstr(buf, "CPU 1"))
		diag("status %d, watchdog said: %s", status, buf);
}

int main(void)
{
	struct rcu_test t;
	int leaked;

	t = run_test(2, 250, gp_cpu, &leaked);
	ok(t.done_before_gp_end,
	   "synchronize_rcu() returns only after an IRQs-off section that began before it");
	diag("that grace period took %.1f ms", (double)t.gp_ns / 1e6);
	ok(leaked == 0, "no live objects after the run");

	t = run_test(2, 250, call_rcu_cpu, &leaked);
	ok(t.cb_waited, "call_rcu() callback does not run inside an IRQs-off section");
	ok(READ_ONCE(t.cb_ran), "... and has run once rcu_barrier() returns");

	t = run_test(2, 100, tick_cpu, &leaked);
	ok(t.qs_reported >= 1 && t.qs_reported <= t.elapsed_ns / (NSEC_PER_SEC / 100) + 1,
	   "hz=100: %llu quiescent states in %.0f ms of schedule points (at most one a tick)",
	   (unsigned long long)t.qs_reported, (double)t.elapsed_ns / 1e6);

	test_qs_with_irqs_off();
	test_gp_stall();
	return done_testing();
}
