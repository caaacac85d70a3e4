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
 * And if targeted's or eqs's sync read the slot or the context without a
 * full fence after the unhook, a store buffer would let a walker starting
 * just after that read walk into the table: sb_race_cpu() drives exactly
 * that interleaving every run (mutants 18 and 19), where torture --sweep
 * only finds it by chance.
 */
#include <string.h>

#include "ptsync/smp.h"
#include "ptsync/store_buffer.h"
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
	/* the store-buffering race, driven (sb_race_cpu()) */
	pgent_t pmd;			/* the entry the freer unhooks */
	_Atomic int sb_walker_ready, sb_read, sb_walked;	/* raw: see sb_race_cpu() */
	int sb_held, sb_timeout;
	uint64_t sb_walker_saw, sb_walker_ipis;
};

static uint64_t sync_calls(struct ptsync_run *run, int cpu)
{
	const struct cpu_stats *s = &run->cpus[cpu].stats;

	return READ_ONCE(s->calls_run) - READ_ONCE(s->tlb_calls_run);
}

/*
 * A target counts a sync call (calls_run) just after it unlocks the csd,
 * so the sender's wait can end before the count moves: wait (bounded)
 * until every call this CPU sent is counted, so the IPI counts read next
 * are final.  Only the test's freer sends calls here.
 */
static void calls_settle(struct ptsync_run *run)
{
	const struct cpu *me = this_cpu();
	uint64_t sent = READ_ONCE(me->stats.calls_sent);

	WAIT_FOR(({
		uint64_t done = 0;

		for (int cpu = 0; cpu < run->nr_cpus; cpu++)
			done += READ_ONCE(run->cpus[cpu].stats.calls_run);
		done >= sent;
	}));
}

static void sync_for(struct ptsync_run *run, struct mm_struct *mm)
{
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	run->ops->sync_one(&tlb);
	tlb_finish_mmu(&tlb);
	calls_settle(run);
}

/* Sync for @mm; the sync calls CPU 1 has run since it had run @since. */
static uint64_t sync_counted(struct ptsync_run *run, struct mm_struct *mm, uint64_t since)
{
	sync_for(run, mm);
	return sync_calls(run, 1) - since;
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
	if (!test_cpu0_after_step1(c, &t->step, 3))
		return;
	sync_for(run, a);
	t->released_before_return = READ_ONCE(t->released);
	t->walker_ipis = sync_calls(run, 1);
	t->other_ipis = sync_calls(run, 2);
	WAIT_FOR(READ_ONCE(t->step) == 2);
	t->other_mm_ipis = sync_counted(run, a, t->walker_ipis);
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
	if (!test_cpu0_after_step1(c, &t->step, 4))
		return;
	t->user_ipis = sync_counted(run, &run->mms[0], 0);
	t->kernel_ipis = sync_calls(run, 2);
	WRITE_ONCE(t->step, 2);
	WAIT_FOR(READ_ONCE(t->step) == 3);
	t->back_ipis = sync_counted(run, &run->mms[0], t->user_ipis);
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

/*
 * The store-buffering race of targeted and eqs, driven one way on purpose
 * (the ASCII figures in strategy/targeted.c and strategy/eqs.c):
 *
 *	CPU 0, freer (store buffer on)		CPU 1, walker
 *	pmd = 0 (pt_unhook(): buffered)
 *	sync_one(): its fence; read CPU 1's
 *	  slot / context: nothing to IPI
 *	  --- "read" -------------------------->  walk_begin() / ct_user_exit()
 *						  read pmd
 *
 * The walker starts only after the freer's read, so the freer cannot see
 * it: the sync is right only if its fence made the unhook visible before
 * the read, and then the walker reads pmd == 0.  Without a full fence
 * (smp_rmb(), or none) the unhook still sits in the buffer: the walker
 * reads the old entry of a table the freer will free, and no IPI waits for
 * it.  torture --sweep finds that by chance; this finds it every time.
 *
 * The sequencing flags are plain C11 atomics, not the compiler.h
 * wrappers: they bypass the freer's buffer (a buffered "read" flag would
 * sit behind the unhook), and the freer waits on them with sched_yield(),
 * not cpu_relax(), which would let an expired unhook out.  The run has
 * two CPUs only: a third in the kernel would be IPI'd, and queueing that
 * IPI is a full fence (store_buffer_fence()) that would drain the unhook
 * before the walker starts, hiding the bug.
 */
#define SB_RACE_PMD	0x5eed000ull	/* the old entry: "points to the table" */
#define SB_RACE_WINDOW_NS	(1 * NSEC_PER_MSEC)	/* the unhook's hold */

/* Spin on a raw flag without touching the store buffer; false on timeout. */
static bool sb_race_wait(_Atomic int *flag)
{
	uint64_t until = ktime_get_ns() + TEST_WAIT_NS;

	/* Acquire: pairs with the release store of the flag's setter. */
	while (!atomic_load_explicit(flag, memory_order_acquire)) {
		if (ktime_get_ns() > until)
			return false;
		sched_yield();
	}
	return true;
}

static void sb_race_walker(struct cpu *c, struct strat_test *t, bool eqs)
{
	struct mm_struct *mm = &c->run->mms[0];

	if (eqs) {
		ct_user_enter(c);	/* user mode, nohz_full: tracked */
	} else {
		switch_mm(c, mm);
	}
	/* Release: the context store above before the freer reads it. */
	atomic_store_explicit(&t->sb_walker_ready, 1, memory_order_release);
	if (!sb_race_wait(&t->sb_read))
		t->sb_timeout = 1;
	if (eqs) {
		ct_user_exit(c);	/* context = KERNEL; smp_mb() */
		t->sb_walker_saw = READ_ONCE(t->pmd);
	} else {
		local_irq_disable();
		c->run->ops->walk_begin(c, mm);	/* slot = mm; smp_mb() */
		t->sb_walker_saw = READ_ONCE(t->pmd);
		c->run->ops->walk_end(c, mm);
		local_irq_enable();
		switch_mm(c, NULL);
	}
	/* Release: sb_walker_saw before the freer looks at it. */
	atomic_store_explicit(&t->sb_walked, 1, memory_order_release);
}

static void sb_race_freer(struct cpu *c, struct strat_test *t)
{
	struct ptsync_run *run = c->run;
	struct store_buffer sb = { .window_ns = SB_RACE_WINDOW_NS };
	struct mmu_gather tlb;

	if (!sb_race_wait(&t->sb_walker_ready)) {
		t->sb_timeout = 1;
		return;
	}
	tlb_gather_mmu(&tlb, &run->mms[0]);
	store_buffer_attach(&sb);
	pt_unhook(c, &t->pmd);
	/* Memory still has the old entry: the unhook is in the buffer. */
	t->sb_held = atomic_load_explicit(&t->pmd, memory_order_relaxed) == SB_RACE_PMD;
	run->ops->sync_one(&tlb);
	/* Release: pairs with the walker's acquire in sb_race_wait(). */
	atomic_store_explicit(&t->sb_read, 1, memory_order_release);
	if (!sb_race_wait(&t->sb_walked))
		t->sb_timeout = 1;
	store_buffer_detach();
	tlb_finish_mmu(&tlb);
	calls_settle(run);
	t->sb_walker_ipis = sync_calls(run, 1);
}

static void sb_race_cpu(struct cpu *c, bool eqs)
{
	struct strat_test *t = c->run->priv;

	if (c->id == 1)
		sb_race_walker(c, t, eqs);
	else if (c->id == 0)
		sb_race_freer(c, t);
}

static void sb_race_targeted_cpu(struct cpu *c)
{
	sb_race_cpu(c, false);
}

static void sb_race_eqs_cpu(struct cpu *c)
{
	sb_race_cpu(c, true);
}

/* Two CPUs, CPU 1 a nohz_full walker (eqs tracks its user mode). */
static void sb_race_run(const struct pt_sync_ops *ops, cpu_fn_t fn, struct strat_test *t)
{
	struct ptsync_config cfg;

	memset(t, 0, sizeof(*t));
	atomic_store(&t->pmd, SB_RACE_PMD);
	test_config(&cfg, 2, ops);
	cfg.nohz_full = true;
	cfg.nohz_full_list = true;
	cfg.nohz_full_mask[0] = 1u << 1;
	test_run_finish(test_run_start(&cfg, fn, t));
}

/* What the freer and the walker saw, as one property. */
static void sb_race_check(const struct strat_test *t, const char *name, const char *walker_desc)
{
	ok(t->sb_held && !t->sb_timeout,
	   "%s: the race is set up: the unhook sat in the freer's store buffer, the walker ran",
	   name);
	ok(!t->sb_timeout && (t->sb_walker_saw == 0 || t->sb_walker_ipis > 0),
	   "%s: a walker that starts after the sync's read sees the unhook "
	   "(store buffering: smp_mb drains it) (%s read pmd %#llx, %llu IPIs)",
	   name, walker_desc, (unsigned long long)t->sb_walker_saw,
	   (unsigned long long)t->sb_walker_ipis);
}

/* A broken twin under the same drive: the walker must read the old entry. */
static void sb_race_check_twin(const struct strat_test *t, const char *name)
{
	ok(t->sb_held && !t->sb_timeout && t->sb_walker_saw == SB_RACE_PMD &&
	   t->sb_walker_ipis == 0,
	   "%s: the driven race shows its bug: the walker read the old pmd (%#llx), no IPI (%llu)",
	   name, (unsigned long long)t->sb_walker_saw, (unsigned long long)t->sb_walker_ipis);
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

	sb_race_run(&targeted_sync_ops, sb_race_targeted_cpu, &t);
	sb_race_check(&t, "targeted", "the walker");
	sb_race_run(&eqs_sync_ops, sb_race_eqs_cpu, &t);
	sb_race_check(&t, "eqs", "the CPU back from user mode");
	/* The drive can fail: the broken twins keep exactly these bugs. */
	sb_race_run(&targeted_rmb_sync_ops, sb_race_targeted_cpu, &t);
	sb_race_check_twin(&t, "targeted-rmb (smp_rmb() on the sync side)");
	sb_race_run(&eqs_racy_sync_ops, sb_race_eqs_cpu, &t);
	sb_race_check_twin(&t, "eqs-racy (no fence before reading the context)");

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
