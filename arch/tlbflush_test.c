// SPDX-License-Identifier: MIT
/*
 * TLB flush modes, mm_cpumask and lazy TLB, the PV preempted flag.
 *
 * What breaks if these fail: `flush-ipi` skips its sync exactly when the
 * flush says it interrupted every CPU that can walk the mm.  If a lazy CPU
 * left mm_cpumask, or were skipped when page tables were freed, or if a
 * PV flush reported a broadcast while skipping a preempted vCPU, the flush
 * would vouch for walkers it never waited for.  And if the PV flush did not
 * skip preempted vCPUs, the broken twin `flush-ipi-pv` would be safe by
 * accident and torture could not show the bug the review found.
 */
#include <string.h>

#include "ptsync/smp.h"
#include "tap.h"

struct flush_test {
	_Atomic int step;
	/* lazy TLB */
	int in_mask_running, lazy_running, in_mask_lazy, lazy_lazy, left_mask;
	uint64_t ipis_lazy_kept, ipis_lazy_freed;
	bool ret_lazy_kept, ret_lazy_freed;
	/* pv */
	uint64_t ipis_preempted, ipis_running;
	bool ret_preempted, ret_running;
	/* invlpgb */
	uint64_t ipis_invlpgb;
	bool ret_invlpgb;
};

/*
 * The flush IPIs @cpu took.  Counted on arrival, in the handler, before
 * the flush runs and its csd is released, so a flush that waited for @cpu
 * sees the count: tlb_calls_run is bumped only after csd_unlock(), and a
 * sender that returns from its wait may read it a moment too early.  In
 * these tests a CPU takes no IPI but the flush's.
 */
static uint64_t tlb_calls(struct ptsync_run *run, int cpu)
{
	return READ_ONCE(run->cpus[cpu].stats.ipis_received);
}

/*
 * Flush @mm's first 2 MiB (@freed_tables: page tables were freed) and
 * set *@ipis to the flush IPIs CPU 1 took since it had taken @since;
 * returns the flush's answer: did it IPI every CPU that can walk @mm.
 */
static bool flush_counted(struct ptsync_run *run, struct mm_struct *mm, bool freed_tables,
			  uint64_t since, uint64_t *ipis)
{
	bool ret = flush_tlb_mm_range(mm, 0, PMD_SIZE, freed_tables);

	*ipis = tlb_calls(run, 1) - since;
	return ret;
}

/* CPU 1 does what it is told at each step; CPU 0 flushes and looks. */
static void lazy_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct flush_test *t = run->priv;
	struct mm_struct *a = &run->mms[0], *b = &run->mms[1];

	if (c->id == 1) {
		switch_mm(c, a);
		t->in_mask_running = cpumask_test_cpu(1, mm_cpumask(a));
		t->lazy_running = READ_ONCE(c->is_lazy);
		switch_mm(c, NULL);		/* to idle: keeps a loaded */
		t->in_mask_lazy = cpumask_test_cpu(1, mm_cpumask(a));
		t->lazy_lazy = READ_ONCE(c->is_lazy);
		test_step(&t->step, 1);
		switch_mm(c, b);
		t->left_mask = !cpumask_test_cpu(1, mm_cpumask(a));
		switch_mm(c, NULL);
		WRITE_ONCE(t->step, 3);
		return;
	}
	if (!test_cpu0_after_step1(c, &t->step, 3))
		return;
	t->ret_lazy_kept = flush_counted(run, a, false, 0, &t->ipis_lazy_kept);
	t->ret_lazy_freed = flush_counted(run, a, true, t->ipis_lazy_kept, &t->ipis_lazy_freed);
	test_step(&t->step, 2);
}

static void pv_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct flush_test *t = run->priv;
	struct mm_struct *a = &run->mms[0];

	if (c->id == 1) {
		switch_mm(c, a);
		WRITE_ONCE(c->preempted, 1);	/* as the host would */
		test_step(&t->step, 1);
		WRITE_ONCE(c->preempted, 0);
		test_step(&t->step, 3);
		switch_mm(c, NULL);
		return;
	}
	if (!test_cpu0_after_step1(c, &t->step, 4))
		return;
	t->ret_preempted = flush_counted(run, a, true, 0, &t->ipis_preempted);
	test_step(&t->step, 2);
	t->ret_running = flush_counted(run, a, true, t->ipis_preempted, &t->ipis_running);
	WRITE_ONCE(t->step, 4);
}

static void invlpgb_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct flush_test *t = run->priv;

	if (c->id == 1) {
		switch_mm(c, &run->mms[0]);
		test_step(&t->step, 1);
		switch_mm(c, NULL);
		return;
	}
	if (!test_cpu0_after_step1(c, &t->step, 2))
		return;
	t->ret_invlpgb = flush_counted(run, &run->mms[0], true, 0, &t->ipis_invlpgb);
	WRITE_ONCE(t->step, 2);
}

static void run_mode(int mode, cpu_fn_t fn, struct flush_test *t)
{
	struct ptsync_config cfg;

	memset(t, 0, sizeof(*t));
	test_config(&cfg, 2, &ipi_sync_ops);
	cfg.tlb_mode = mode;
	cfg.nr_mms = 2;
	test_run_finish(test_run_start(&cfg, fn, t));
}

int main(void)
{
	struct flush_test t;

	run_mode(TLB_NATIVE, lazy_cpu, &t);
	ok(t.in_mask_running && !t.lazy_running,
	   "lazy: a CPU running an mm is in its mm_cpumask, not lazy");
	ok(t.in_mask_lazy && t.lazy_lazy,
	   "lazy: switching to no mm keeps it in mm_cpumask, marked lazy");
	ok(t.left_mask, "lazy: loading another mm takes it out of the old mask");
	ok(t.ipis_lazy_kept == 0,
	   "native: a flush without freed tables spares the lazy CPU (%llu IPIs)",
	   (unsigned long long)t.ipis_lazy_kept);
	ok(t.ipis_lazy_freed == 1,
	   "native: a flush with freed tables IPIs the lazy CPU too (%llu IPIs)",
	   (unsigned long long)t.ipis_lazy_freed);
	ok(!t.ret_lazy_kept && t.ret_lazy_freed,
	   "native: only the freed-tables flush implies an IPI broadcast");

	run_mode(TLB_PV, pv_cpu, &t);
	ok(t.ipis_preempted == 0,
	   "pv: a preempted vCPU is not interrupted (%llu IPIs)",
	   (unsigned long long)t.ipis_preempted);
	ok(t.ipis_running == 1, "pv: a running vCPU is (%llu IPIs)",
	   (unsigned long long)t.ipis_running);
	ok(!t.ret_preempted && !t.ret_running,
	   "pv: a PV flush never implies an IPI broadcast");

	run_mode(TLB_INVLPGB, invlpgb_cpu, &t);
	ok(t.ipis_invlpgb == 0 && !t.ret_invlpgb,
	   "invlpgb: nobody is interrupted, and it implies nothing (%llu IPIs)",
	   (unsigned long long)t.ipis_invlpgb);
	return done_testing();
}
