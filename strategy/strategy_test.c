// SPDX-License-Identifier: MIT
/*
 * The mechanisms the newer strategies rest on: the walk-tracking slot
 * (targeted), the context state (eqs), the EQS test of an expedited grace
 * period (rcu-exp, --nohz-full), and the per-table call_rcu (pt-reclaim).
 *
 * What breaks if these fail: each strategy spares some CPUs, and is safe
 * only if the CPUs it spares cannot be walking.  If the slot were not
 * published, targeted would skip a walker; if the context were not kept,
 * eqs would skip a CPU in the kernel (or one in user mode that is not
 * nohz_full, whose user mode nothing tracks); if the expedited grace period did
 * not skip a nohz_full CPU in user mode, --nohz-full would show IPIs it
 * promises away; if pt-reclaim freed the table at once, it would be `none`.
 */
#include <string.h>

#include "ptsync/smp.h"
#include "tap.h"

struct strat_test {
	_Atomic int step;
	_Atomic int released;
	/* targeted */
	int published, cleared, released_before_return;
	uint64_t walker_ipis, other_ipis, other_mm_ipis;
	/* eqs */
	uint64_t user_ipis, kernel_ipis, back_ipis;
	/* rcu-exp */
	uint64_t exp_user, exp_kernel, exp_idle;
	/* pt-reclaim */
	int detached_after_queue, freed_after_barrier;
	int64_t pending, peak, pending_after;
	size_t callbacks;
};

static uint64_t sync_calls(struct ptsync_run *run, int cpu)
{
	const struct cpu_stats *s = &run->cpus[cpu].stats;

	return READ_ONCE(s->calls_run) - READ_ONCE(s->tlb_calls_run);
}

static void sync_for(struct ptsync_run *run, struct mm_struct *mm)
{
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	run->ops->sync_one(&tlb);
	tlb_finish_mmu(&tlb);
}

/* CPU 1 walks mm 0 with IRQs masked while CPU 0 syncs for mm 0. */
static void targeted_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct strat_test *t = run->priv;
	struct mm_struct *a = &run->mms[0], *b = &run->mms[1];

	if (c->id == 1) {
		switch_mm(c, a);
		local_irq_disable();
		run->ops->walk_begin(c, a);
		t->published = READ_ONCE(c->active_lockless_pt_walk_mm) == a;
		WRITE_ONCE(t->step, 1);
		/* Stay inside until the sync's IPI is here (or 10 s). */
		WAIT_FOR(READ_ONCE(c->stats.ipis_deferred) >= 1);
		ndelay_spin(20 * NSEC_PER_MSEC);
		WRITE_ONCE(t->released, 1);
		run->ops->walk_end(c, a);
		t->cleared = READ_ONCE(c->active_lockless_pt_walk_mm) == NULL;
		local_irq_enable();
		switch_mm(c, b);	/* now walking another mm */
		local_irq_disable();
		run->ops->walk_begin(c, b);
		WRITE_ONCE(t->step, 2);
		WAIT_FOR(READ_ONCE(t->step) == 3);
		run->ops->walk_end(c, b);
		local_irq_enable();
		switch_mm(c, NULL);
		return;
	}
	if (c->id != 0) {
		WAIT_FOR(READ_ONCE(t->step) == 3);
		return;
	}
	WAIT_FOR(READ_ONCE(t->step) == 1);
	sync_for(run, a);
	t->released_before_return = READ_ONCE(t->released);
	t->walker_ipis = sync_calls(run, 1);
	t->other_ipis = sync_calls(run, 2);
	WAIT_FOR(READ_ONCE(t->step) == 2);
	sync_for(run, a);
	t->other_mm_ipis = sync_calls(run, 1) - t->walker_ipis;
	WRITE_ONCE(t->step, 3);
}

/* CPU 1 goes to user mode; CPU 0 runs the eqs sync; CPU 1 comes back. */
static void eqs_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct strat_test *t = run->priv;

	if (c->id == 1) {
		ct_user_enter(c);
		WRITE_ONCE(t->step, 1);
		while (READ_ONCE(t->step) != 2)
			cpu_relax();		/* user mode: no schedule point */
		ct_user_exit(c);
		WRITE_ONCE(t->step, 3);
		WAIT_FOR(READ_ONCE(t->step) == 4);
		return;
	}
	if (c->id != 0) {
		WAIT_FOR(READ_ONCE(t->step) == 4);
		return;
	}
	WAIT_FOR(READ_ONCE(t->step) == 1);
	sync_for(run, &run->mms[0]);
	t->user_ipis = sync_calls(run, 1);
	t->kernel_ipis = sync_calls(run, 2);
	WRITE_ONCE(t->step, 2);
	WAIT_FOR(READ_ONCE(t->step) == 3);
	sync_for(run, &run->mms[0]);
	t->back_ipis = sync_calls(run, 1) - t->user_ipis;
	WRITE_ONCE(t->step, 4);
}

/* CPU 2 (a bystander) in user mode, CPU 1 idle; CPU 0 expedites. */
static void exp_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct strat_test *t = run->priv;

	if (c->id == 0) {
		WAIT_FOR(READ_ONCE(t->step) == 2);
		synchronize_rcu_expedited();
		t->exp_idle = READ_ONCE(run->cpus[1].stats.exp_qs);
		t->exp_user = READ_ONCE(run->cpus[2].stats.exp_qs);
		WRITE_ONCE(t->step, 3);
		return;
	}
	if (c->id == 1)
		ct_idle_enter(c);
	else
		ct_user_enter(c);
	atomic_fetch_add(&t->step, 1);
	while (READ_ONCE(t->step) != 3)
		cpu_relax();
	if (c->id == 1)
		ct_idle_exit(c);
	else
		ct_user_exit(c);
}

static void reclaim_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct strat_test *t = run->priv;
	struct mm_struct *mm = &run->mms[0];
	pgent_t *table;
	struct ptdesc *pd;
	struct mmu_gather tlb;

	if (c->id)
		return;
	table = pt_alloc(&run->pt, PT_PTE, mm);
	pd = virt_to_ptdesc(&run->pt, table);
	WRITE_ONCE(pd->state, PT_DETACHED);
	tlb_gather_mmu(&tlb, mm);
	tlb_remove_table(&tlb, table);		/* --batch-fail=1: the fallback */
	t->detached_after_queue = READ_ONCE(pd->state) == PT_DETACHED;
	pthread_mutex_lock(&run->reclaim.lock);
	t->pending = run->reclaim.pending;
	t->peak = run->reclaim.peak;
	pthread_mutex_unlock(&run->reclaim.lock);
	tlb_finish_mmu(&tlb);
	rcu_barrier();
	t->freed_after_barrier = READ_ONCE(pd->state) == PT_FREE;
	pthread_mutex_lock(&run->reclaim.lock);
	t->pending_after = run->reclaim.pending;
	t->callbacks = run->reclaim.cb_lat.n;
	pthread_mutex_unlock(&run->reclaim.lock);
}

/* @nohz_list: 0 for none; else the CPUs --nohz-full=LIST would name. */
static void run_list(const struct pt_sync_ops *ops, cpu_fn_t fn, struct strat_test *t,
		     bool nohz_full, uint64_t nohz_list)
{
	struct ptsync_config cfg;

	memset(t, 0, sizeof(*t));
	test_config(&cfg, 3, ops);
	cfg.nr_walkers = 1;
	cfg.nr_bystanders = 1;
	cfg.nohz_full = nohz_full || nohz_list;
	cfg.nohz_full_list = nohz_list != 0;
	cfg.nohz_full_mask[0] = nohz_list;
	cfg.batch_fail = 1;
	test_run_finish(test_run_start(&cfg, fn, t));
}

/* A bare --nohz-full (the bystanders), or none. */
static void run_one(const struct pt_sync_ops *ops, cpu_fn_t fn, struct strat_test *t,
		    bool nohz_full)
{
	run_list(ops, fn, t, nohz_full, 0);
}

int main(void)
{
	struct strat_test t;

	run_one(&targeted_sync_ops, targeted_cpu, &t, false);
	ok(t.published && t.cleared,
	   "targeted: walk_begin publishes the mm in the slot, walk_end clears it");
	ok(t.walker_ipis == 1 && t.released_before_return,
	   "targeted: the walker of this mm is IPI'd (%llu) and the sync waits for its walk",
	   (unsigned long long)t.walker_ipis);
	ok(t.other_ipis == 0, "targeted: a CPU not walking is spared (%llu IPIs)",
	   (unsigned long long)t.other_ipis);
	ok(t.other_mm_ipis == 0, "targeted: a walker of another mm is spared (%llu IPIs)",
	   (unsigned long long)t.other_mm_ipis);

	/* CPU 1 (a walker) nohz_full: its user mode is tracked. */
	run_list(&eqs_sync_ops, eqs_cpu, &t, true, 1u << 1);
	ok(t.user_ipis == 0, "eqs --nohz-full=1: a nohz_full CPU in user mode is not IPI'd (%llu)",
	   (unsigned long long)t.user_ipis);
	ok(t.kernel_ipis == 1, "eqs: a CPU in the kernel is (%llu)",
	   (unsigned long long)t.kernel_ipis);
	ok(t.back_ipis == 1, "eqs: back from user mode it is again (%llu)",
	   (unsigned long long)t.back_ipis);
	/* No nohz_full: nothing tracks user mode, so eqs IPIs it as
	 * expedited RCU does. */
	run_one(&eqs_sync_ops, eqs_cpu, &t, false);
	ok(t.user_ipis == 1, "eqs: without nohz_full a CPU in user mode is IPI'd (%llu)",
	   (unsigned long long)t.user_ipis);
	/* A bare --nohz-full isolates the bystanders only (CPU 2), not CPU 1. */
	run_one(&eqs_sync_ops, eqs_cpu, &t, true);
	ok(t.user_ipis == 1, "eqs, bare --nohz-full: the walker is not nohz_full, IPI'd (%llu)",
	   (unsigned long long)t.user_ipis);

	run_one(&rcu_exp_sync_ops, exp_cpu, &t, true);
	ok(t.exp_idle == 0, "rcu-exp: an idle CPU is in an EQS, not IPI'd (%llu)",
	   (unsigned long long)t.exp_idle);
	ok(t.exp_user == 0, "rcu-exp --nohz-full: a bystander in user mode is not IPI'd (%llu)",
	   (unsigned long long)t.exp_user);
	run_one(&rcu_exp_sync_ops, exp_cpu, &t, false);
	ok(t.exp_user == 1,
	   "rcu-exp: without nohz_full the bystander in user mode is IPI'd and reports a QS (%llu)",
	   (unsigned long long)t.exp_user);

	run_one(&pt_reclaim_sync_ops, reclaim_cpu, &t, false);
	ok(t.detached_after_queue && t.pending == 1 && t.peak == 1,
	   "pt-reclaim: the fallback queues the table, not frees it (pending %lld, peak %lld)",
	   (long long)t.pending, (long long)t.peak);
	ok(t.freed_after_barrier && t.pending_after == 0 && t.callbacks == 1,
	   "pt-reclaim: its callback frees it after a grace period (%zu callback)",
	   t.callbacks);
	/* ptsync scale models a strategy by the mechanism its ops declare: one
	 * left at MECH_NONE would be refused there, so none may be. */
	for (const struct pt_sync_ops *const *o = pt_sync_ops_all; *o; o++)
		ok((*o)->baseline || (*o)->mech != MECH_NONE,
		   "%s declares its sync mechanism for ptsync scale", (*o)->name);
	return done_testing();
}
