// SPDX-License-Identifier: MIT
/*
 * The stall watchdog names whoever really holds a grace period.
 *
 * What breaks if these fail: a stall report that blames the wrong thread
 * sends whoever reads it after the wrong bug.  An earlier watchdog, with no
 * CPU to blame, printed the waiting CPU itself, offline, under "holding it
 * up".  Each case here stalls a grace period on purpose, with a known
 * holder, in a child process (the watchdog ends the process with status
 * 3), and checks the report names that holder, and neither the waiter nor
 * a CPU that is offline.
 */
#include <pthread.h>
#include <string.h>

#include "ptsync/watchdog.h"
#include "tap.h"

#define STALL_TIMEOUT_S	0.5
#define HOLD_NS		(5 * NSEC_PER_SEC)	/* the watchdog fires first */

struct wd_test {
	_Atomic int holder_ready;
	_Atomic int helper_ready;
};

/* Stay RCU-online, IRQs enabled, and report no quiescent state. */
static void hold_without_qs(void)
{
	uint64_t end = ktime_get_ns() + HOLD_NS;

	while (ktime_get_ns() < end)
		cpu_relax();
}

/* CPU 0 waits for a grace period once @ready is set. */
static void wait_for_gp(_Atomic int *ready)
{
	WAIT_FOR(READ_ONCE(*ready));
	synchronize_rcu();
}

/* Case 1: CPU 1 holds; CPU 2 is in user mode (offline) and must not. */
static void cpu_holder_cpu(struct cpu *c)
{
	struct wd_test *t = c->run->priv;

	switch (c->id) {
	case 0:
		wait_for_gp(&t->holder_ready);
		break;
	case 1:
		WRITE_ONCE(t->holder_ready, 1);
		hold_without_qs();
		break;
	default:
		ct_user_enter(c);
		hold_without_qs();
		ct_user_exit(c);
	}
}

static void stall_config(struct ptsync_config *cfg, int nr_cpus, int bystanders)
{
	test_config(cfg, nr_cpus, &rcu_sync_ops);
	cfg->nr_walkers = nr_cpus - 1 - bystanders;
	cfg->nr_bystanders = bystanders;
	cfg->stall_timeout_s = STALL_TIMEOUT_S;
}

static void cpu_holder_child(void *arg)
{
	struct ptsync_config cfg;
	struct wd_test t;

	(void)arg;
	memset(&t, 0, sizeof(t));
	stall_config(&cfg, 3, 1);
	test_run_finish(test_run_start(&cfg, cpu_holder_cpu, &t));
}

/* Case 2: a registered helper thread holds; the CPUs pass QSes. */
static void *helper_thread(void *arg)
{
	struct wd_test *t = arg;

	rcu_register_helper("test helper");
	WRITE_ONCE(t->helper_ready, 1);
	hold_without_qs();
	rcu_unregister_helper();
	return NULL;
}

/* Case 3: a thread registered with liburcu behind our back holds. */
static void *unknown_reader_thread(void *arg)
{
	struct wd_test *t = arg;

	urcu_qsbr_register_thread();
	WRITE_ONCE(t->helper_ready, 1);
	hold_without_qs();
	urcu_qsbr_unregister_thread();
	return NULL;
}

static void helper_holder_cpu(struct cpu *c)
{
	struct wd_test *t = c->run->priv;

	if (c->id == 0) {
		wait_for_gp(&t->helper_ready);
		return;
	}
	WAIT_FOR(false);	/* schedule points: a QS every tick */
}

static void helper_child(void *arg)
{
	void *(*fn)(void *) = *(void *(**)(void *))arg;
	struct ptsync_config cfg;
	struct wd_test t;
	pthread_t helper;

	memset(&t, 0, sizeof(t));
	if (pthread_create(&helper, NULL, fn, &t))
		_exit(1);
	stall_config(&cfg, 2, 0);
	test_run_finish(test_run_start(&cfg, helper_holder_cpu, &t));
	pthread_join(helper, NULL);
}

static void run_case(const char *what, void (*child)(void *), void *arg,
		     char *buf, size_t len)
{
	int status = run_in_child(child, arg, buf, len);

	ok(exit_status(status) == EXIT_STALL,
	   "%s: the watchdog ends the run with status %d (got %d)", what,
	   EXIT_STALL, exit_status(status));
	ok(strstr(buf, "CPU 0 has waited") && strstr(buf, "a grace period") &&
	   strstr(buf, "waiter: CPU 0 (freer)") && strstr(buf, "RCU offline (EQS)"),
	   "%s: the report names CPU 0, offline, as the waiter", what);
	ok(!strstr(buf, "holder: CPU 0"), "%s: ... and never as a holder", what);
}

int main(void)
{
	void *(*helper)(void *) = helper_thread;
	void *(*unknown)(void *) = unknown_reader_thread;
	char buf[8192];

	run_case("CPU holder", cpu_holder_child, NULL, buf, sizeof(buf));
	ok(strstr(buf, "holder: CPU 1 (walker): IRQs enabled, kernel context, RCU online") != NULL,
	   "CPU holder: the report names CPU 1, online with no QS since the grace period began");
	ok(!strstr(buf, "holder: CPU 2"), "CPU holder: not CPU 2, offline in user mode");
	ok(!strstr(buf, "no registered reader of ours"), "CPU holder: no shrug");
	if (!strstr(buf, "holder: CPU 1"))
		diag("watchdog said: %s", buf);

	run_case("helper holder", helper_child, &helper, buf, sizeof(buf));
	ok(strstr(buf, "holder: test helper: host thread") && strstr(buf, "RCU online"),
	   "helper holder: the report names the registered helper thread");
	ok(!strstr(buf, "holder: CPU"), "helper holder: and no CPU, all of them passed QSes");
	if (!strstr(buf, "holder: test helper"))
		diag("watchdog said: %s", buf);

	run_case("unknown reader", helper_child, &unknown, buf,
		 sizeof(buf));
	ok(strstr(buf, "holder: no registered reader of ours is behind: liburcu's "
		  "call_rcu worker or the host scheduler") != NULL,
	   "unknown reader: the report says no reader of ours is behind");
	ok(!strstr(buf, "holder: CPU"), "unknown reader: and blames no CPU");
	if (!strstr(buf, "no registered reader"))
		diag("watchdog said: %s", buf);
	return done_testing();
}
