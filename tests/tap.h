/* SPDX-License-Identifier: MIT */
/*
 * A small TAP producer and a harness for unit tests that need real CPUs.
 *
 * Tests run their bodies on simulated CPUs (so IRQ masking, IPIs and RCU
 * are the real thing), record what they saw in a shared struct, and assert
 * from the main thread once the CPUs are gone, so TAP output stays in order.
 * Every wait in a test is bounded: WAIT_FOR gives up after 10 s and the
 * check that depended on it fails instead of hanging.
 */
#ifndef PTSYNC_TESTS_TAP_H
#define PTSYNC_TESTS_TAP_H

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptsync/irqflags.h"
#include "ptsync/rcupdate.h"
#include "ptsync/run.h"

static int tap_count, tap_failures;

static void __attribute__((format(printf, 2, 3), unused)) ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failures++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void __attribute__((format(printf, 1, 2), unused)) diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int __attribute__((unused)) done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failures ? 1 : 0;
}

#define TEST_WAIT_NS	(10 * NSEC_PER_SEC)

/* A schedule point for a test CPU that spins with IRQs on. */
static inline void test_schedule(void)
{
	struct cpu *c = this_cpu();

	if (c && !irqs_disabled())
		rcu_note_context_switch(c);
	sched_yield();
}

/* Spin until @expr holds or 10 s pass; evaluates to whether it held. */
#define WAIT_FOR(expr) ({						\
	uint64_t __end = ktime_get_ns() + TEST_WAIT_NS;			\
	bool __held;							\
	while (!(__held = (expr)) && ktime_get_ns() < __end)		\
		test_schedule();					\
	__held;								\
})

/*
 * One turn of a handshake between test CPUs: set *@step to @n, then wait
 * (WAIT_FOR's 10 s at most) for the other CPU to set @n + 1.
 */
static inline bool test_step(_Atomic int *step, int n)
{
	WRITE_ONCE(*step, n);
	return WAIT_FOR(READ_ONCE(*step) == n + 1);
}

/*
 * CPU 0's turn in a test run in steps: true on CPU 0 once *@step reached
 * 1 (or WAIT_FOR's 10 s passed, and the checks that follow will fail).
 * Any other CPU waits for *@step == @last, the test's end, and gets false.
 */
static inline bool test_cpu0_after_step1(struct cpu *c, _Atomic int *step, int last)
{
	if (c->id != 0) {
		WAIT_FOR(READ_ONCE(*step) == last);
		return false;
	}
	WAIT_FOR(READ_ONCE(*step) == 1);
	return true;
}

/*
 * A test CPU's IRQs-off stint, as a walker's section looks to the others:
 * mask, set *@entered, spin @ns, run @last(@arg) still masked (what the
 * other CPU checks was done under the mask; NULL: nothing), unmask.
 */
static inline void test_masked_spin(_Atomic int *entered, uint64_t ns,
				    void (*last)(void *arg), void *arg)
{
	local_irq_disable();
	WRITE_ONCE(*entered, 1);
	ndelay_spin(ns);
	if (last)
		last(arg);
	local_irq_enable();
}

static void __attribute__((unused))
test_config(struct ptsync_config *cfg, int nr_cpus, const struct pt_sync_ops *ops)
{
	ptsync_config_default(cfg);
	cfg->nr_cpus = nr_cpus;
	cfg->nr_freers = 1;
	cfg->nr_walkers = nr_cpus - 1;
	cfg->nr_bystanders = 0;
	cfg->ops = ops;
	cfg->seed = 42;
	cfg->pt_pages = 4096;
	cfg->folios = 1u << 14;
	cfg->batch_fail = 0;
}

/* A fresh run, CPUs not started yet; @priv will reach them as run->priv. */
static struct ptsync_run *__attribute__((unused))
test_run_new(const struct ptsync_config *cfg, void *priv)
{
	struct ptsync_run *run = calloc(1, sizeof(*run));

	if (!run || ptsync_run_init(run, cfg)) {
		printf("Bail out! cannot set up a run\n");
		exit(1);
	}
	run->priv = priv;
	return run;
}

/* Start CPUs running @fn on a fresh run; @priv reaches them as run->priv. */
static struct ptsync_run *__attribute__((unused))
test_run_start(const struct ptsync_config *cfg, cpu_fn_t fn, void *priv)
{
	struct ptsync_run *run = test_run_new(cfg, priv);

	cpus_start(run, fn);
	return run;
}

/* Wait for the CPU functions to return; returns live objects left. */
static int __attribute__((unused)) test_run_finish(struct ptsync_run *run)
{
	int leaked;

	cpus_stop(run);
	leaked = ptsync_run_drain(run);
	ptsync_run_destroy(run);
	free(run);
	return leaked;
}

/*
 * The plain case of the three above: zero *@priv (@size bytes), run @fn
 * on @nr_cpus CPUs under @ops until each returns; live objects left.
 */
static int __attribute__((unused))
test_run(int nr_cpus, const struct pt_sync_ops *ops, cpu_fn_t fn, void *priv, size_t size)
{
	struct ptsync_config cfg;

	memset(priv, 0, size);
	test_config(&cfg, nr_cpus, ops);
	return test_run_finish(test_run_start(&cfg, fn, priv));
}

/*
 * Run @fn in a child process with its stderr captured in @buf, for tests
 * of what must end a run (BUG checks, the watchdog).  Returns the child's
 * wait status, or -1 if it could not be run.
 */
static int __attribute__((unused))
run_in_child(void (*fn)(void *arg), void *arg, char *buf, size_t len)
{
	int pipefd[2], status = -1;
	size_t got = 0;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	fflush(stdout);
	rcu_fork_prepare();
	pid = fork();
	if (pid == 0) {
		rcu_fork_child();
		dup2(pipefd[1], STDERR_FILENO);
		fn(arg);
		_exit(0);
	}
	rcu_fork_parent();
	close(pipefd[1]);
	for (ssize_t n; (n = read(pipefd[0], buf + got, len - 1 - got)) > 0; )
		got += (size_t)n;
	buf[got] = 0;
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return status;
}

static int __attribute__((unused)) exit_status(int status)
{
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif /* PTSYNC_TESTS_TAP_H */
