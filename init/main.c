// SPDX-License-Identifier: MIT
/*
 * Setting up and tearing down one run: the machine (CPUs, memory, mms),
 * RCU's baseline, the watchdog.  The kernel's start_kernel(), in miniature.
 *
 * Teardown order matters and is checked: every mm's owner reference is
 * dropped by a CPU before the CPUs stop (exit_mmap() frees through
 * mmu_gather, which needs a CPU to sync from), then rcu_barrier() drains
 * the last batches, and only then are live objects counted: any table or
 * folio still live at that point is a leak, and the run fails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ptsync/hugetlb.h"
#include "ptsync/run.h"
#include "ptsync/smp.h"
#include "ptsync/store_buffer.h"
#include "ptsync/watchdog.h"
#include "ptsync/trace.h"

void ptsync_config_default(struct ptsync_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_cpus = 4;
	cfg->nr_freers = 1;
	cfg->nr_walkers = -1;		/* what the others leave */
	cfg->nr_bystanders = 1;
	cfg->nr_mms = 2;
	cfg->hz = 250;
	cfg->batch_fail = 0.1;
	cfg->batch_pool = 64;
	cfg->walk_delay = (struct walk_delay){ .mode = WALK_DELAY_FIXED };
	cfg->tlb_mode = TLB_MODE_AUTO;
	cfg->arch = ARCH_WEAK;
	cfg->preempt_chance = 0.001;
	cfg->preempt_ns = 200 * NSEC_PER_USEC;
	cfg->user_chance = 0.25;
	cfg->duration_s = 10;
	cfg->stall_timeout_s = 10;
	cfg->seed = 1;
	cfg->ops = &rcu_sync_ops;
	cfg->pt_pages = 1u << 16;
	cfg->folios = 1u << 18;
	cfg->walk_pages = 16;
	cfg->regions = 8;
	cfg->huge_chance = 0.1;
	cfg->exit_chance = 0.01;
	cfg->callsites = CALLSITE_BIT(CALLSITE_FALLBACK);
	cfg->collapse_rate = 1000;
	cfg->unshare_sync = UNSHARE_SYNC_PER_GATHER;
	cfg->shared_regions = 4;
	cfg->pin = true;
}

static void cpu_init(struct ptsync_run *run, struct cpu *c, int id)
{
	const struct ptsync_config *cfg = &run->cfg;

	c->id = id;
	c->run = run;
	c->host_cpu = -1;
	if (id < cfg->nr_freers)
		c->role = ROLE_FREER;
	else if (id < cfg->nr_freers + cfg->nr_walkers)
		c->role = ROLE_WALKER;
	else if (id < cfg->nr_freers + cfg->nr_walkers + cfg->nr_khugepaged)
		c->role = ROLE_KHUGEPAGED;
	else
		c->role = ROLE_BYSTANDER;
	/* nohz_full: the CPUs --nohz-full=LIST names, or, bare, the
	 * bystanders; only there is user mode tracked (kernel/cpu.c). */
	c->nohz_full = cfg->nohz_full &&
		(cfg->nohz_full_list ? (cfg->nohz_full_mask[id / 64] >> (id % 64)) & 1
				     : c->role == ROLE_BYSTANDER);
	c->csd = calloc((size_t)run->nr_cpus, sizeof(*c->csd));
	if (!c->csd)
		ptsync_die("out of memory for CPU %d", id);
	WRITE_ONCE(c->wait_target, -1);
	WRITE_ONCE(c->context, CONTEXT_KERNEL);
	WRITE_ONCE(c->activity, ACT_STARTING);
	prandom_seed(&c->rnd, cfg->seed, (uint64_t)id + 1);
	samples_init(&c->sync_lat, 1u << 20);
	for (int s = 0; s < NR_CALLSITES; s++)
		samples_init(&c->site_lat[s], 1u << 20);
	c->sync_site = CALLSITE_NONE;
}

/* The unshare call site: a hugetlb file every shared mm maps. */
static int hugetlb_init(struct ptsync_run *run)
{
	if (!(run->cfg.callsites & CALLSITE_BIT(CALLSITE_UNSHARE)))
		return 0;
	run->hugetlb = calloc(1, sizeof(*run->hugetlb));
	if (!run->hugetlb)
		return -ENOMEM;
	return hugetlb_file_init(run->hugetlb, run, run->cfg.shared_regions, HUGETLB_LEAVES);
}

static int mms_init(struct ptsync_run *run)
{
	run->nr_mms = run->cfg.nr_mms + 1;	/* the last one is the bystanders' */
	run->mms = calloc((size_t)run->nr_mms, sizeof(*run->mms));
	if (!run->mms)
		return -ENOMEM;
	for (int i = 0; i < run->nr_mms; i++) {
		struct mm_struct *mm = &run->mms[i];

		mm->id = i;
		mm->run = run;
		if (i < run->cfg.nr_mms)
			mm->hugetlb_mapping = run->hugetlb;
		mmap_init_lock(mm);
		if (mm_init(mm))
			return -ENOMEM;
	}
	return 0;
}

int ptsync_tlb_mode(const struct pt_sync_ops *ops, int mode)
{
	if (mode != TLB_MODE_AUTO)
		return mode;
	/* Where the strategy is broken, run it there: that is its point. */
	for (int m = 0; m < NR_TLB_MODES; m++)
		if (ops->unsafe_tlb_modes & TLB_MODE_BIT(m))
			return m;
	for (int m = 0; m < NR_TLB_MODES; m++)
		if (ops->tlb_modes & TLB_MODE_BIT(m))
			return m;
	return TLB_INVLPGB;
}

static void pt_reclaim_stats_init(struct pt_reclaim_stats *s)
{
	pthread_mutex_init(&s->lock, NULL);
	samples_init(&s->cb_lat, 1u << 20);
}

int ptsync_run_init(struct ptsync_run *run, const struct ptsync_config *cfg)
{
	memset(run, 0, sizeof(*run));
	run->cfg = *cfg;
	run->cfg.tlb_mode = ptsync_tlb_mode(cfg->ops, cfg->tlb_mode);
	run->walk_delay_on = cfg->walk_delay.mode == WALK_DELAY_RANDOM ||
			     cfg->walk_delay.ns ||
			     (run->cfg.tlb_mode == TLB_PV && cfg->preempt_chance > 0);
	if (run->cfg.nr_walkers < 0)
		run->cfg.nr_walkers = cfg->nr_cpus - cfg->nr_freers - cfg->nr_bystanders -
				      cfg->nr_khugepaged;
	run->ops = cfg->ops;
	run->nr_cpus = cfg->nr_cpus;
	run->tick_ns = NSEC_PER_SEC / (uint64_t)cfg->hz;
	store_buffer_setup(cfg->sb_window_ns);
	smp_init_signals();

	run->cpus = calloc((size_t)run->nr_cpus, sizeof(*run->cpus));
	if (!run->cpus)
		return -ENOMEM;
	for (int i = 0; i < run->nr_cpus; i++)
		cpu_init(run, &run->cpus[i], i);
	if (pt_arena_init(&run->pt, cfg->pt_pages, true) ||
	    folio_arena_init(&run->folios, cfg->folios) ||
	    batch_pool_init(&run->batches, run, cfg->batch_pool, cfg->batch_fail) ||
	    hugetlb_init(run) || mms_init(run))
		return -ENOMEM;
	run->batches.may_wait = !(cfg->callsites & CALLSITE_BIT(CALLSITE_FALLBACK));
	samples_init(&run->batch_gp, 1u << 20);
	pt_reclaim_stats_init(&run->reclaim);
	pthread_barrier_init(&run->start_barrier, NULL, (unsigned int)run->nr_cpus + 1);
	pthread_barrier_init(&run->stop_barrier, NULL, (unsigned int)run->nr_cpus);
	run->gp_start = rcu_gp_count();
	trace_run_begin(run);
	return watchdog_start(run);
}

/* On a CPU, before the CPUs stop: every mm's owner exits, then the file. */
void ptsync_run_exit_mms(struct ptsync_run *run)
{
	for (int i = 0; i < run->nr_mms; i++)
		mm_exit_owner(&run->mms[i]);
	if (run->hugetlb)
		hugetlb_file_release(run->hugetlb);
}

int ptsync_run_drain(struct ptsync_run *run)
{
	main_wait_begin(run, STALL_BARRIER);
	rcu_barrier();
	main_wait_end(run);
	return (int)(READ_ONCE(run->pt.live) + READ_ONCE(run->folios.live));
}

void ptsync_run_destroy(struct ptsync_run *run)
{
	watchdog_stop(run);
	store_buffer_setup(0);
	for (int i = 0; i < run->nr_cpus; i++) {
		free(run->cpus[i].csd);
		samples_free(&run->cpus[i].sync_lat);
		for (int s = 0; s < NR_CALLSITES; s++)
			samples_free(&run->cpus[i].site_lat[s]);
	}
	free(run->cpus);
	for (int i = 0; i < run->nr_mms; i++)
		mmap_destroy_lock(&run->mms[i]);
	free(run->mms);
	if (run->hugetlb) {
		hugetlb_file_destroy(run->hugetlb);
		free(run->hugetlb);
	}
	batch_pool_destroy(&run->batches);
	samples_free(&run->batch_gp);
	samples_free(&run->reclaim.cb_lat);
	pthread_mutex_destroy(&run->reclaim.lock);
	folio_arena_destroy(&run->folios);
	pt_arena_destroy(&run->pt);
	pthread_barrier_destroy(&run->start_barrier);
	pthread_barrier_destroy(&run->stop_barrier);
}

const char *violation_kind_name(enum violation_kind k)
{
	switch (k) {
	case V_POISONED_ENTRY:	return "read a poisoned entry (freed table)";
	case V_FREED_TABLE:	return "followed an entry to a free table";
	case V_WRONG_TABLE:	return "reached a table reused for another level or mm";
	case V_GEN_CHANGED:	return "a table on the walk was freed mid-walk";
	case V_FREED_PAGE:	return "pinned a folio that was freed or reused";
	case NR_VIOLATION_KINDS: break;
	}
	return "?";
}

void report_violation(struct cpu *c, enum violation_kind kind, int level,
		      uint64_t addr, struct mm_struct *mm, enum pt_callsite site)
{
	struct violation_log *v = &c->run->violations;
	uint32_t slot = fetch_add_explicit(&v->nr_logged, 1, memory_order_relaxed);
	uint64_t since = ktime_get_ns() - c->run->start_ns;
	uint64_t none = 0;

	/* The first one wins; +1 keeps a violation at t = 0 apart from none. */
	cmpxchg_strong_explicit(&v->first_ns, &none, since + 1,
						memory_order_relaxed, memory_order_relaxed);
	atomic_inc_relaxed(v->total);
	atomic_inc_relaxed(v->by_kind[kind]);
	if (site >= 0 && site < NR_CALLSITES)
		atomic_inc_relaxed(v->by_site[site]);
	if (slot < VIOLATION_LOG) {
		v->log[slot] = (struct violation){
			.cpu = c->id, .level = level, .kind = kind,
			.addr = addr, .mm = mm ? mm->id : -1, .site = site,
		};
	}
}
