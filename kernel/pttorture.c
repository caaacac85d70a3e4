// SPDX-License-Identifier: MIT
/*
 * pttorture: torture-test page-table freeing against GUP-fast.
 *
 * Modelled on rcutorture.  Freer CPUs map and unmap 2 MiB regions of a few
 * mms (and now and then exit an mm and create it again); walker CPUs run
 * GUP-fast on random ranges of the same mms; bystander CPUs run another mm
 * in user mode and never touch the others.  Every job starts at a schedule
 * point, the only place a CPU reports an RCU quiescent state.
 *
 * The regions are placed so that unmapping one empties page tables at every
 * level: region r sits in PGD slot r%4, PUD slot (r/4)%4, PMD slot (r/16)%8,
 * so whole-region unmaps free PTE tables, and PMD and PUD tables when their
 * last region goes.
 *
 * Output follows rcutorture: all parameters at start and end, a stats
 * block, "!!!" beside anything wrong, and one SUCCESS or FAILURE line.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ptsync/gup.h"
#include "ptsync/hugetlb.h"
#include "ptsync/irqflags.h"
#include "ptsync/rcupdate.h"
#include "ptsync/torture.h"
#include "ptsync/watchdog.h"

#define REGION_BASE	(1ULL << 40)
#define REGION_PAGES	(PMD_SIZE / PAGE_SIZE)
#define USER_SPIN_NS	(20 * NSEC_PER_USEC)	/* a bystander's user-mode stint */
#define USER_STINT_NS	(2 * NSEC_PER_USEC)	/* a walker's, before its syscall */

uint64_t torture_region_addr(unsigned int r)
{
	return REGION_BASE + ((uint64_t)(r % 4) << PGDIR_SHIFT) +
	       ((uint64_t)((r / 4) % 4) << PUD_SHIFT) +
	       ((uint64_t)((r / 16) % 8) << PMD_SHIFT);
}

static struct mm_struct *pick_mm(struct cpu *c)
{
	struct ptsync_run *run = c->run;

	return &run->mms[prandom_below(&c->rnd, (uint64_t)run->cfg.nr_mms)];
}

/* A random page-aligned piece of a region: the whole of it half the time. */
static void pick_range(struct cpu *c, uint64_t *addr, uint64_t *len)
{
	unsigned int r = (unsigned int)prandom_below(&c->rnd, c->run->cfg.regions);
	uint64_t first, nr;

	*addr = torture_region_addr(r);
	*len = PMD_SIZE;
	if (prandom_below(&c->rnd, 2))
		return;
	first = prandom_below(&c->rnd, REGION_PAGES);
	nr = 1 + prandom_below(&c->rnd, REGION_PAGES - first);
	*addr += first * PAGE_SIZE;
	*len = nr * PAGE_SIZE;
}

/*
 * Aim where a walker is: a walker that stalls inside a table (a
 * --walk-delay) leaves a hint, and half the time the freer takes it and
 * unmaps what is around it, so a sync that waits too little frees the
 * very table the walker sits in instead of, most likely, another.  The
 * hint is a 2 MiB slot of an mm; @hugetlb says which kind of hint the
 * taker wants, a hugetlb one or a regular region's.
 */
static bool torture_walk_hint(struct cpu *c, bool hugetlb, struct mm_struct **mm,
			      uint64_t *addr)
{
	struct ptsync_run *run = c->run;
	uint64_t hint = READ_ONCE(run->walk_hint);
	uint64_t a = ((hint & 0xffffffffULL) - 1) << PMD_SHIFT;
	bool in_hugetlb = run->hugetlb && a >= run->hugetlb->base &&
			  a < hugetlb_end(run->hugetlb);

	if (!hint || in_hugetlb != hugetlb || prandom_below(&c->rnd, 2))
		return false;
	WRITE_ONCE(run->walk_hint, 0);
	*mm = &run->mms[hint >> 32];
	*addr = a;
	return true;
}

static bool torture_site(const struct ptsync_run *run, enum pt_callsite site)
{
	return run->cfg.callsites & CALLSITE_BIT(site);
}

/*
 * One collapse attempt, as khugepaged's scan makes it: a region of a
 * shared mm, or the one a walker sits in; the old table deposited (anon)
 * or freed (file-backed), one each by turns of the dice.  The mm is held
 * by a user reference, not run: khugepaged is a kernel thread.
 */
static void torture_collapse(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct mm_struct *mm = pick_mm(c);
	uint64_t addr = torture_region_addr((unsigned int)prandom_below(&c->rnd, run->cfg.regions));

	torture_walk_hint(c, false, &mm, &addr);
	if (!mmget_not_zero(mm))
		return;
	cpu_set_activity(c, ACT_COLLAPSE);
	khugepaged_collapse(mm, addr, prandom_below(&c->rnd, 2));
	mmput(mm);
}

/*
 * The mm left holding a formerly shared table reuses it: ordinary pages
 * at @addr (a few, from its 2 MiB start), through a PTE table of its own.
 * Or, if the table is still shared and @or_unshare, it unshares it too.
 */
static bool torture_reuse(struct cpu *c, struct mm_struct *mm, uint64_t addr,
			  bool or_unshare)
{
	uint64_t pages = 1 + prandom_below(&c->rnd, 16);
	bool reused;

	if (!mmget_not_zero(mm))
		return false;
	cpu_set_activity(c, ACT_HUGETLB);
	mmap_write_lock(mm);
	reused = hugetlb_reuse_slot(mm, addr & ~(PMD_SIZE - 1), pages * PAGE_SIZE);
	mmap_write_unlock(mm);
	if (!reused && or_unshare)
		munmap_range(mm, addr & ~(PUD_SIZE - 1), PUD_SIZE);
	mmput(mm);
	return reused;
}

/*
 * A walker sits in a hugetlb table of @mm at @addr: @mm unmaps that slot
 * (an unshare, if the table is shared), then the other mms in turn reuse
 * the table, or unshare it if it is still shared, until one reuses it.  A
 * sync that waits too little lets the walker see the reuse; and with three
 * mms or more, an unshare that leaves the table shared comes before the
 * one that leaves it exclusive, which a per-gather sync of this mm's
 * walkers only would get wrong.
 */
static void torture_unshare_aimed(struct cpu *c, struct mm_struct *mm, uint64_t addr)
{
	struct ptsync_run *run = c->run;
	int n = run->cfg.nr_mms, first = (int)prandom_below(&c->rnd, (uint64_t)n);

	if (mmget_not_zero(mm)) {
		cpu_set_activity(c, ACT_HUGETLB);
		munmap_range(mm, addr & ~(PUD_SIZE - 1), PUD_SIZE);
		this_cpu_inc(c->stats.unmaps);
		mmput(mm);
	}
	for (int i = 0; i < n; i++) {
		struct mm_struct *other = &run->mms[(first + i) % n];

		if (other != mm && torture_reuse(c, other, addr, true))
			break;
	}
}

/* A hugetlb job on @mm (held and switched to): fault, unmap, or reuse a slot. */
static void torture_hugetlb(struct cpu *c, struct mm_struct *mm)
{
	struct hugetlb_file *f = c->run->hugetlb;
	unsigned int slot = (unsigned int)prandom_below(&c->rnd, f->nr_slots);
	uint64_t addr = hugetlb_slot_addr(f, slot);

	cpu_set_activity(c, ACT_HUGETLB);
	switch (prandom_below(&c->rnd, 3)) {
	case 0:
		mmap_write_lock(mm);
		if (mm->hugetlb)
			hugetlb_fault_slot(mm, slot);
		mmap_write_unlock(mm);
		this_cpu_inc(c->stats.maps);
		break;
	case 1:
		munmap_range(mm, addr, PUD_SIZE);
		this_cpu_inc(c->stats.unmaps);
		break;
	default:
		addr += prandom_below(&c->rnd, f->leaves) * PMD_SIZE;
		torture_reuse(c, mm, addr, false);
	}
}

/* Map or unmap part of a regular region: tables freed through mmu_gather. */
static void torture_map_unmap(struct cpu *c, struct mm_struct *mm)
{
	const struct ptsync_config *cfg = &c->run->cfg;
	uint64_t addr, len;

	pick_range(c, &addr, &len);
	if (prandom_below(&c->rnd, 2)) {
		bool huge = prandom_chance(&c->rnd, cfg->huge_chance);

		cpu_set_activity(c, ACT_MAP);
		if (huge) {
			addr &= ~(PMD_SIZE - 1);
			len = PMD_SIZE;
		}
		if (map_range(mm, addr, len, huge) < 0)
			this_cpu_inc(c->stats.map_failed);
		this_cpu_inc(c->stats.maps);
	} else {
		cpu_set_activity(c, ACT_UNMAP);
		munmap_range(mm, addr, len);
		this_cpu_inc(c->stats.unmaps);
	}
}

/* Unmap the region a walker sits in (the fallback's aim, as before). */
static void torture_unmap_aimed(struct cpu *c, struct mm_struct *mm, uint64_t addr)
{
	if (!mmget_not_zero(mm))
		return;
	switch_mm(c, mm);
	cpu_set_activity(c, ACT_UNMAP);
	munmap_range(mm, addr, PMD_SIZE);
	this_cpu_inc(c->stats.unmaps);
	switch_mm(c, NULL);
	mmput(mm);
}

/*
 * A freer's job: aimed at a walker's hint, or one of exit, a collapse
 * (when no CPU is khugepaged's), a hugetlb fault/unmap/reuse (unshare
 * call site), or a regular map or unmap, which every call site needs:
 * collapse wants fully mapped regions, and unmaps recycle them.
 *
 * How often: a collapse or an unshare can cost a grace period, as a
 * fallback does, and the fallback is what torture has always counted
 * on.  While it is driven, collapses take one job in 32 and hugetlb one
 * in 16, and these, exits (each unshares every shared table) and the
 * unshares aimed at walkers together at most a quarter of the freer's
 * time (under a sleeping strategy, hundreds a minute); without it, one
 * in 4 and one in 2, and no limit.
 */
static _Thread_local uint64_t freer_site_ns;	/* this freer's time in them */

/* Within a quarter of the freer's time, while the fallback is driven. */
static bool freer_site_budget(struct cpu *c)
{
	if (!torture_site(c->run, CALLSITE_FALLBACK))
		return true;
	return freer_site_ns * 4 <= ktime_get_ns() - c->run->start_ns;
}

static bool freer_picks(struct cpu *c, enum pt_callsite site)
{
	bool fallback = torture_site(c->run, CALLSITE_FALLBACK);
	unsigned int one_in = site == CALLSITE_COLLAPSE ? (fallback ? 32 : 4) : (fallback ? 16 : 2);

	if (!torture_site(c->run, site))
		return false;
	if (site == CALLSITE_COLLAPSE && c->run->cfg.nr_khugepaged)
		return false;	/* khugepaged's CPUs do it */
	return freer_site_budget(c) && !prandom_below(&c->rnd, one_in);
}

static void freer_job(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	const struct ptsync_config *cfg = &run->cfg;
	struct mm_struct *mm = pick_mm(c);
	uint64_t addr;

	if (torture_site(run, CALLSITE_UNSHARE) && freer_site_budget(c) &&
	    torture_walk_hint(c, true, &mm, &addr)) {
		uint64_t t0 = ktime_get_ns();

		torture_unshare_aimed(c, mm, addr);
		freer_site_ns += ktime_get_ns() - t0;
		return;
	}
	if (torture_walk_hint(c, false, &mm, &addr)) {
		torture_unmap_aimed(c, mm, addr);
		return;
	}
	if (!mmget_not_zero(mm)) {
		mm_recreate(mm);	/* the last process exited */
		return;
	}
	switch_mm(c, mm);
	if (prandom_chance(&c->rnd, cfg->exit_chance) &&
	    (!torture_site(run, CALLSITE_UNSHARE) || freer_site_budget(c))) {
		/* An exit unshares every shared table: a sync, maybe a
		 * grace period; it counts against the budget too. */
		uint64_t t0 = ktime_get_ns();

		cpu_set_activity(c, ACT_EXIT);
		mm_exit_owner(mm);
		this_cpu_inc(c->stats.exits);
		if (torture_site(run, CALLSITE_UNSHARE))
			freer_site_ns += ktime_get_ns() - t0;
	} else if (freer_picks(c, CALLSITE_COLLAPSE)) {
		uint64_t t0 = ktime_get_ns();

		torture_collapse(c);
		freer_site_ns += ktime_get_ns() - t0;
	} else if (freer_picks(c, CALLSITE_UNSHARE)) {
		uint64_t t0 = ktime_get_ns();

		torture_hugetlb(c, mm);
		freer_site_ns += ktime_get_ns() - t0;
	} else {
		torture_map_unmap(c, mm);
	}
	switch_mm(c, NULL);
	mmput(mm);
}

/*
 * khugepaged: one collapse, then sleep out its share of --collapse-rate,
 * idle (an RCU extended quiescent state, and no IPI for eqs to send).
 */
static void khugepaged_job(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	uint64_t next = ktime_get_ns() + NSEC_PER_SEC / run->cfg.collapse_rate;

	torture_collapse(c);
	cpu_set_activity(c, ACT_SCHEDULE);
	ct_idle_enter(c);
	sleep_until_ns(next, &run->stop);
	ct_idle_exit(c);
}

/* Run in user mode (an extended quiescent state) for about @ns. */
static void user_stint(struct cpu *c, uint64_t ns)
{
	uint64_t end = ktime_get_ns() + ns;

	cpu_set_activity(c, ACT_USER);
	ct_user_enter(c);
	while (ktime_get_ns() < end && !READ_ONCE(c->run->stop))
		cpu_relax();
	ct_user_exit(c);		/* a syscall: back in the kernel */
}

/* A page of a regular region, or half the time of the shared hugetlb file. */
static uint64_t walker_pick_addr(struct cpu *c)
{
	const struct ptsync_config *cfg = &c->run->cfg;
	const struct hugetlb_file *f = c->run->hugetlb;

	if (f && prandom_below(&c->rnd, 2))
		return hugetlb_slot_addr(f, (unsigned int)prandom_below(&c->rnd, f->nr_slots)) +
		       prandom_below(&c->rnd, (uint64_t)f->leaves * REGION_PAGES) * PAGE_SIZE;
	return torture_region_addr((unsigned int)prandom_below(&c->rnd, cfg->regions)) +
	       prandom_below(&c->rnd, REGION_PAGES) * PAGE_SIZE;
}

void torture_walker_job(struct cpu *c)
{
	const struct ptsync_config *cfg = &c->run->cfg;
	struct mm_struct *mm = pick_mm(c);
	struct folio *pages[64];
	unsigned int nr_pages = 1 + (unsigned int)prandom_below(&c->rnd, cfg->walk_pages);
	uint64_t addr;
	uint32_t inc;
	int nr;

	if (!mmget_not_zero(mm))
		return;
	switch_mm(c, mm);
	/* A process that makes a syscall which pins pages: it comes from
	 * user mode, an EQS, and its walk is the first thing after entry. */
	if (prandom_chance(&c->rnd, cfg->user_chance))
		user_stint(c, USER_STINT_NS);
	inc = READ_ONCE(mm->incarnation);
	addr = walker_pick_addr(c);
	cpu_set_activity(c, ACT_WALK);
	nr = gup_fast(mm, addr, nr_pages, pages);
	this_cpu_inc(c->stats.walks);
	if (nr < (int)nr_pages)
		this_cpu_inc(c->stats.walks_failed);
	this_cpu_add(c->stats.pages_grabbed, (uint64_t)nr);
	gup_check_and_put(c, mm, inc, addr, nr, pages);
	switch_mm(c, NULL);
	mmput(mm);
}

/* Run the bystanders' own mm in user mode: an extended quiescent state. */
static void bystander_job(struct cpu *c)
{
	struct ptsync_run *run = c->run;

	switch_mm(c, &run->mms[run->nr_mms - 1]);
	user_stint(c, USER_SPIN_NS);
}

void torture_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;

	freer_site_ns = 0;
	while (!READ_ONCE(run->stop)) {
		cpu_set_activity(c, ACT_SCHEDULE);
		rcu_note_context_switch(c);
		switch (c->role) {
		case ROLE_FREER:	freer_job(c); break;
		case ROLE_WALKER:	torture_walker_job(c); break;
		case ROLE_BYSTANDER:	bystander_job(c); break;
		case ROLE_KHUGEPAGED:	khugepaged_job(c); break;
		}
	}
	switch_mm(c, NULL);
}

/* ---- driving a run and reporting it ---- */

struct torture_site_totals {
	uint64_t events, syncs, sync_ns, sync_max, upstream, calls_run;
};

struct torture_totals {
	uint64_t walks, walks_failed, pages_grabbed, maps, unmaps, exits, map_failed;
	uint64_t fallbacks, syncs, sync_ns_total, sync_ns_max;
	uint64_t ipis_sent, ipis_received, ipis_deferred, calls_sent, calls_run;
	uint64_t tlb_calls_sent, tlb_calls_run, exp_qs, preemptions;
	uint64_t qs_reported, user_entries, tlb_flushes, batch_injected;
	struct torture_site_totals site[NR_CALLSITES];
};

static void torture_sum_sites(const struct cpu_stats *s, struct torture_totals *t)
{
	for (int k = 0; k < NR_CALLSITES; k++) {
		struct torture_site_totals *st = &t->site[k];

		st->events += READ_ONCE(s->site_events[k]);
		st->syncs += READ_ONCE(s->site_syncs[k]);
		st->sync_ns += READ_ONCE(s->site_sync_ns[k]);
		st->upstream += READ_ONCE(s->site_upstream[k]);
		st->calls_run += READ_ONCE(s->site_calls_run[k]);
		if (READ_ONCE(s->site_sync_max[k]) > st->sync_max)
			st->sync_max = READ_ONCE(s->site_sync_max[k]);
	}
}

static void torture_sum(const struct ptsync_run *run, struct torture_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < run->nr_cpus; i++) {
		const struct cpu_stats *s = &run->cpus[i].stats;

#define ADD(f) t->f += READ_ONCE(s->f)
		ADD(walks); ADD(walks_failed); ADD(pages_grabbed); ADD(maps);
		ADD(unmaps); ADD(exits); ADD(map_failed); ADD(fallbacks);
		ADD(syncs); ADD(sync_ns_total); ADD(ipis_sent); ADD(ipis_received);
		ADD(ipis_deferred); ADD(calls_sent); ADD(calls_run);
		ADD(qs_reported); ADD(user_entries); ADD(tlb_calls_sent);
		ADD(tlb_calls_run); ADD(exp_qs); ADD(preemptions);
		ADD(tlb_flushes); ADD(batch_injected);
#undef ADD
		if (READ_ONCE(s->sync_ns_max) > t->sync_ns_max)
			t->sync_ns_max = READ_ONCE(s->sync_ns_max);
		torture_sum_sites(s, t);
	}
}

static const char *level_name(int level)
{
	static const char *const names[PT_LEVELS] = { "pte", "pmd", "pud", "pgd" };

	return level >= 0 && level < PT_LEVELS ? names[level] : "?";
}

const char *walk_delay_str(const struct walk_delay *d, char *buf, size_t len)
{
	if (d->mode == WALK_DELAY_RANDOM)
		snprintf(buf, len, "random:%g,%g", d->p_us, d->p_ticks);
	else
		snprintf(buf, len, "%" PRIu64 "ns", d->ns);
	return buf;
}

void torture_print_params(FILE *f, const struct ptsync_run *run, const char *tag)
{
	const struct ptsync_config *cfg = &run->cfg;
	int host = host_nr_cpus();
	char wd[64], nohz[512];

	char sites[64];

	fprintf(f, "ptsync torture %s: strategy=%s tlb=%s arch=%s cpus=%d (freers=%d walkers=%d "
		"bystanders=%d khugepaged=%d) host_cpus=%d%s mms=%d hz=%d batch-fail=%g "
		"batch-pool=%u walk-delay=%s walk-pages=%u regions=%u "
		"sb-window-ns=%" PRIu64 " callsite=%s collapse-rate=%u unshare-sync=%s "
		"shared-regions=%u duration=%g stall-timeout=%g seed=%" PRIu64 "%s\n",
		tag, run->ops->name, tlb_mode_name(cfg->tlb_mode), arch_name(cfg->arch),
		cfg->nr_cpus,
		cfg->nr_freers, cfg->nr_walkers, cfg->nr_bystanders, cfg->nr_khugepaged, host,
		cfg->nr_cpus > host ? " (oversubscribed: fine for torture, not for timing)" : "",
		cfg->nr_mms, cfg->hz, cfg->batch_fail, cfg->batch_pool,
		walk_delay_str(&cfg->walk_delay, wd, sizeof(wd)), cfg->walk_pages,
		cfg->regions, cfg->sb_window_ns,
		callsites_str(cfg->callsites, sites, sizeof(sites)), cfg->collapse_rate,
		unshare_sync_name(cfg->unshare_sync), cfg->shared_regions,
		cfg->duration_s, cfg->stall_timeout_s,
		cfg->seed, nohz_full_opt(cfg, nohz, sizeof(nohz)));
}

/* Everything that makes the workload, as options: the run again. */
void torture_print_repeat(FILE *f, const struct ptsync_run *run)
{
	const struct ptsync_config *cfg = &run->cfg;
	char wd[64], sites[64], bf[48] = "", nohz[512];

	/* --batch-fail only where it is accepted: the fallback is driven. */
	if (cfg->callsites & CALLSITE_BIT(CALLSITE_FALLBACK))
		snprintf(bf, sizeof(bf), " --batch-fail=%.17g", cfg->batch_fail);
	fprintf(f, "ptsync torture repeat: ptsync torture --%s=%s --tlb=%s --arch=%s "
		"--cpus=%d --freers=%d --walkers=%d --bystanders=%d --khugepaged=%d "
		"--mms=%d --hz=%d%s --batch-pool=%u --walk-delay=%s --walk-pages=%u "
		"--regions=%u --huge-chance=%.17g --exit-chance=%.17g "
		"--preempt-chance=%.17g --user-chance=%.17g --pt-pages=%u --folios=%u "
		"--sb-window-ns=%" PRIu64 " --callsite=%s --collapse-rate=%u "
		"--unshare-sync=%s --shared-regions=%u --duration=%g --seed=%" PRIu64 "%s%s\n",
		run->ops->preset ? "kernel" : "strategy", run->ops->name,
		tlb_mode_name(cfg->tlb_mode), arch_name(cfg->arch), cfg->nr_cpus, cfg->nr_freers,
		cfg->nr_walkers, cfg->nr_bystanders, cfg->nr_khugepaged,
		cfg->nr_mms, cfg->hz, bf, cfg->batch_pool,
		walk_delay_str(&cfg->walk_delay, wd, sizeof(wd)), cfg->walk_pages,
		cfg->regions, cfg->huge_chance, cfg->exit_chance, cfg->preempt_chance,
		cfg->user_chance, cfg->pt_pages, cfg->folios, cfg->sb_window_ns,
		callsites_str(cfg->callsites, sites, sizeof(sites)), cfg->collapse_rate,
		unshare_sync_name(cfg->unshare_sync), cfg->shared_regions,
		cfg->duration_s,
		cfg->seed, nohz_full_opt(cfg, nohz, sizeof(nohz)),
		cfg->pin ? "" : " --no-pin");
}

static uint64_t tables_freed(const struct ptsync_run *run)
{
	return READ_ONCE(run->stats.tables_freed_batched) +
	       READ_ONCE(run->stats.tables_freed_one) +
	       READ_ONCE(run->stats.tables_freed_rcu_one);
}

static void torture_progress(const struct ptsync_run *run, double t)
{
	struct torture_totals tt;

	torture_sum(run, &tt);
	fprintf(stderr, "[%5.0fs] walks %" PRIu64 " tables freed %" PRIu64
		" fallbacks %" PRIu64 " ipis %" PRIu64 " gps %" PRIu64
		" violations %" PRIu64 "\n", t, tt.walks, tables_freed(run),
		tt.fallbacks, tt.ipis_sent, rcu_gp_count() - run->gp_start,
		READ_ONCE(run->violations.total));
}

static volatile sig_atomic_t torture_interrupted;

static void torture_sigint(int sig)
{
	(void)sig;
	torture_interrupted = 1;
}

/* --stop-on-violation, and one was recorded (init/main.c counts them). */
static bool torture_caught(const struct ptsync_run *run)
{
	return run->cfg.stop_on_violation && READ_ONCE(run->violations.total);
}

/* Sleep out the run's duration; Ctrl-C ends it early, results kept. */

static void torture_wait(struct ptsync_run *run)
{
	const uint64_t step = 100 * NSEC_PER_MSEC;
	uint64_t end = run->start_ns + (uint64_t)(run->cfg.duration_s * NSEC_PER_SEC);
	bool progress = run->cfg.progress && isatty(STDERR_FILENO);
	uint64_t next_report = run->start_ns + NSEC_PER_SEC;
	struct sigaction sa = { .sa_handler = torture_sigint }, old;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	for (uint64_t now; (now = ktime_get_ns()) < end && !torture_interrupted &&
	     !torture_caught(run); ) {
		uint64_t left = end - now < step ? end - now : step;
		struct timespec ts = { 0, (long)left };

		nanosleep(&ts, NULL);
		if (progress && ktime_get_ns() >= next_report) {
			torture_progress(run, (double)(ktime_get_ns() - run->start_ns) / NSEC_PER_SEC);
			next_report += NSEC_PER_SEC;
		}
	}
	sigaction(SIGINT, &old, NULL);
	if (torture_interrupted)
		fprintf(stderr, "ptsync: interrupted: stopping and reporting\n");
}

/* PT_RECLAIM's memory: tables waiting one by one for a grace period. */
static void reclaim_summary(struct ptsync_run *run, double *mean, int64_t *peak)
{
	struct pt_reclaim_stats *rs = &run->reclaim;
	uint64_t span = run->end_ns - run->start_ns;

	pthread_mutex_lock(&rs->lock);
	*peak = rs->peak;
	*mean = span ? rs->page_ns / (double)span : 0;
	pthread_mutex_unlock(&rs->lock);
}

static double first_violation_s(const struct ptsync_run *run)
{
	uint64_t first = READ_ONCE(run->violations.first_ns);

	return first ? (double)(first - 1) / NSEC_PER_SEC : -1;
}

/* Per call site: what happened there and what the syncs for it cost. */
static void print_sites(FILE *f, const struct ptsync_run *run, const struct torture_totals *t)
{
	for (int k = 0; k < NR_CALLSITES; k++) {
		const struct torture_site_totals *st = &t->site[k];
		uint64_t nv = READ_ONCE(run->violations.by_site[k]);
		char label[16];

		snprintf(label, sizeof(label), "%s:", callsite_name(k));
		fprintf(f, "ptsync torture callsite %-9s %s events %" PRIu64 " syncs %" PRIu64
			" (upstream broadcast %" PRIu64 ") sync avg %.1f us max %.1f us"
			" sync IPIs taken %" PRIu64 " violations %" PRIu64 "%s\n",
			label, run->cfg.callsites & CALLSITE_BIT(k) ? "driven" : "off",
			st->events, st->syncs, st->upstream,
			st->syncs ? (double)st->sync_ns / (double)st->syncs / 1e3 : 0.0,
			(double)st->sync_max / 1e3, st->calls_run, nv, nv ? " !!!" : "");
	}
}

/* khugepaged's and hugetlb's own counts, when their call site ran. */
static void print_collapse_hugetlb(FILE *f, const struct ptsync_run *run)
{
	const struct khugepaged_stats *ks = &run->khugepaged;
	const struct hugetlb_file *hf = run->hugetlb;

	if (run->cfg.callsites & CALLSITE_BIT(CALLSITE_COLLAPSE)) {
		fprintf(f, "ptsync torture stats: collapse scans %" PRIu64, READ_ONCE(ks->scans));
		for (int r = 0; r < NR_SCAN_RESULTS; r++)
			fprintf(f, "%s %s %" PRIu64, r ? "," : ":", scan_result_name(r),
				READ_ONCE(ks->results[r]));
		fprintf(f, "; tables deposited %" PRIu64 " freed %" PRIu64 " withdrawn %" PRIu64 "\n",
			READ_ONCE(ks->deposited), READ_ONCE(ks->freed), READ_ONCE(ks->withdrawn));
	}
	if (hf)
		fprintf(f, "ptsync torture stats: hugetlb shares %" PRIu64 " unshares %" PRIu64
			" (left exclusive %" PRIu64 ") tables allocated %" PRIu64 " freed by the "
			"last sharer %" PRIu64 " reused %" PRIu64 " fault failures %" PRIu64 "\n",
			READ_ONCE(hf->stats.shares), READ_ONCE(hf->stats.unshares),
			READ_ONCE(hf->stats.full_unshares), READ_ONCE(hf->stats.tables_allocated),
			READ_ONCE(hf->stats.tables_freed), READ_ONCE(hf->stats.reuses),
			READ_ONCE(hf->stats.map_failures));
}

/* The logged violations, a line each: what was seen, where, and by whom. */
static void print_violations(FILE *f, const struct ptsync_run *run)
{
	const struct violation_log *v = &run->violations;
	uint32_t logged = READ_ONCE(v->nr_logged);

	for (uint32_t i = 0; i < logged && i < VIOLATION_LOG; i++) {
		const struct violation *x = &v->log[i];

		fprintf(f, "ptsync torture violation: cpu %d mm %d addr 0x%" PRIx64
			" level %s site %s strategy %s: %s\n", x->cpu, x->mm, x->addr,
			level_name(x->level), callsite_name(x->site), run->ops->name,
			violation_kind_name(x->kind));
	}
}

static void print_text(FILE *f, struct ptsync_run *run,
		       const struct torture_totals *t, int leaked, bool ok)
{
	const struct violation_log *v = &run->violations;
	double secs = (double)(run->end_ns - run->start_ns) / NSEC_PER_SEC;
	uint64_t nv = READ_ONCE(v->total);
	double mean;
	int64_t peak;

	fprintf(f, "ptsync torture stats: %.2f s: walks %" PRIu64 " (%" PRIu64
		" incomplete) pages grabbed %" PRIu64 "\n",
		secs, t->walks, t->walks_failed, t->pages_grabbed);
	fprintf(f, "ptsync torture stats: maps %" PRIu64 " unmaps %" PRIu64
		" exits %" PRIu64 " map failures %" PRIu64 " tlb flushes %" PRIu64 "\n",
		t->maps, t->unmaps, t->exits, t->map_failed, t->tlb_flushes);
	fprintf(f, "ptsync torture stats: tables freed %" PRIu64 " (batched %" PRIu64
		", one by one %" PRIu64 ", call_rcu one by one %" PRIu64 ") batches %"
		PRIu64 " batch alloc failures: injected %" PRIu64 " pool empty %" PRIu64 "\n",
		tables_freed(run), READ_ONCE(run->stats.tables_freed_batched),
		READ_ONCE(run->stats.tables_freed_one),
		READ_ONCE(run->stats.tables_freed_rcu_one),
		READ_ONCE(run->stats.batches_flushed),
		t->batch_injected, READ_ONCE(run->batches.exhausted));
	fprintf(f, "ptsync torture stats: fallbacks %" PRIu64 " syncs %" PRIu64
		" sync avg %.1f us max %.1f us grace periods %" PRIu64
		" expedited QS %" PRIu64 "\n",
		t->fallbacks, t->syncs,
		t->syncs ? (double)t->sync_ns_total / (double)t->syncs / 1e3 : 0.0,
		(double)t->sync_ns_max / 1e3, rcu_gp_count() - run->gp_start, t->exp_qs);
	fprintf(f, "ptsync torture stats: batch grace periods (call_rcu to callback) "
		"p50 %.1f us p99 %.1f us max %.1f us over %zu batches\n",
		(double)samples_percentile(&run->batch_gp, 50) / 1e3,
		(double)samples_percentile(&run->batch_gp, 99) / 1e3,
		(double)samples_max(&run->batch_gp) / 1e3, run->batch_gp.n);
	reclaim_summary(run, &mean, &peak);
	if (run->ops->free_one)
		fprintf(f, "ptsync torture stats: tables waiting in call_rcu peak %" PRId64
			" (%" PRId64 " KiB) mean %.1f (%.1f KiB); callback p50 %.1f us"
			" p99 %.1f us max %.1f us\n", peak, peak * (int64_t)PAGE_SIZE / 1024,
			mean, mean * PAGE_SIZE / 1024,
			(double)samples_percentile(&run->reclaim.cb_lat, 50) / 1e3,
			(double)samples_percentile(&run->reclaim.cb_lat, 99) / 1e3,
			(double)samples_max(&run->reclaim.cb_lat) / 1e3);
	fprintf(f, "ptsync torture stats: ipis sent %" PRIu64 " received %" PRIu64
		" deferred %" PRIu64 " calls %" PRIu64 "/%" PRIu64 " (tlb flush %" PRIu64
		"/%" PRIu64 ") vcpu preemptions %" PRIu64 "%s\n",
		t->ipis_sent, t->ipis_received, t->ipis_deferred, t->calls_run,
		t->calls_sent, t->tlb_calls_run, t->tlb_calls_sent, t->preemptions,
		t->ipis_sent != t->ipis_received ? " !!!" : "");
	print_sites(f, run, t);
	print_collapse_hugetlb(f, run);
	for (int i = 0; i < run->nr_cpus; i++) {
		const struct cpu *c = &run->cpus[i];
		const struct cpu_stats *s = &c->stats;
		uint64_t calls = READ_ONCE(s->calls_run), tlb = READ_ONCE(s->tlb_calls_run);

		fprintf(f, "ptsync torture cpu %d: %-10s host %d ipis sent %" PRIu64
			" received %" PRIu64 " (sync %" PRIu64 " tlb %" PRIu64 ") deferred %"
			PRIu64 " walks %" PRIu64 " fallbacks %" PRIu64 " qs %" PRIu64 "\n",
			c->id, cpu_role_name(c->role), c->host_cpu,
			READ_ONCE(s->ipis_sent), READ_ONCE(s->ipis_received), calls - tlb,
			tlb, READ_ONCE(s->ipis_deferred), READ_ONCE(s->walks),
			READ_ONCE(s->fallbacks), READ_ONCE(s->qs_reported));
	}
	fprintf(f, "ptsync torture stats: violations %" PRIu64 "%s live objects "
		"after rcu_barrier %d%s\n", nv, nv ? " !!!" : "", leaked,
		leaked ? " !!!" : "");
	if (nv)
		fprintf(f, "ptsync torture stats: first violation after %.3f s\n",
			first_violation_s(run));
	print_violations(f, run);
	torture_print_params(f, run, "end");
	torture_print_repeat(f, run);
	fprintf(f, "ptsync torture: --- End of test: %s\n", ok ? "SUCCESS" : "FAILURE");
}

/* "callsites":{"fallback":{...},...}, and the violations by site. */
static void json_sites(FILE *f, const struct ptsync_run *run, const struct torture_totals *t)
{
	fprintf(f, "\"callsites\":{");
	for (int k = 0; k < NR_CALLSITES; k++) {
		const struct torture_site_totals *st = &t->site[k];

		fprintf(f, "%s\"%s\":{\"driven\":%s,\"events\":%" PRIu64 ",\"syncs\":%" PRIu64
			",\"upstream_syncs\":%" PRIu64 ",\"sync_ns_avg\":%.0f,\"sync_ns_max\":%"
			PRIu64 ",\"sync_ipis\":%" PRIu64 ",\"violations\":%" PRIu64 "}",
			k ? "," : "", callsite_name(k),
			run->cfg.callsites & CALLSITE_BIT(k) ? "true" : "false", st->events,
			st->syncs, st->upstream,
			st->syncs ? (double)st->sync_ns / (double)st->syncs : 0.0, st->sync_max,
			st->calls_run, READ_ONCE(run->violations.by_site[k]));
	}
	fprintf(f, "},");
}

static void json_collapse_hugetlb(FILE *f, const struct ptsync_run *run)
{
	const struct khugepaged_stats *ks = &run->khugepaged;
	const struct hugetlb_file *hf = run->hugetlb;
	struct hugetlb_stats none = { 0 };
	const struct hugetlb_stats *hs = hf ? &hf->stats : &none;

	fprintf(f, "\"collapse\":{\"scans\":%" PRIu64 ",\"results\":{", READ_ONCE(ks->scans));
	for (int r = 0; r < NR_SCAN_RESULTS; r++)
		fprintf(f, "%s\"%s\":%" PRIu64, r ? "," : "", scan_result_name(r),
			READ_ONCE(ks->results[r]));
	fprintf(f, "},\"deposited\":%" PRIu64 ",\"freed\":%" PRIu64 ",\"withdrawn\":%" PRIu64 "},",
		READ_ONCE(ks->deposited), READ_ONCE(ks->freed), READ_ONCE(ks->withdrawn));
	fprintf(f, "\"hugetlb\":{\"shares\":%" PRIu64 ",\"unshares\":%" PRIu64
		",\"full_unshares\":%" PRIu64 ",\"tables_allocated\":%" PRIu64
		",\"tables_freed\":%" PRIu64 ",\"reuses\":%" PRIu64 ",\"fault_failures\":%" PRIu64 "},",
		READ_ONCE(hs->shares), READ_ONCE(hs->unshares), READ_ONCE(hs->full_unshares),
		READ_ONCE(hs->tables_allocated), READ_ONCE(hs->tables_freed),
		READ_ONCE(hs->reuses), READ_ONCE(hs->map_failures));
}

static void print_json(FILE *f, struct ptsync_run *run,
		       const struct torture_totals *t, int leaked, bool ok)
{
	const struct ptsync_config *cfg = &run->cfg;
	const struct violation_log *v = &run->violations;
	uint32_t logged = READ_ONCE(v->nr_logged);
	char wd[64], sites[64];
	double mean;
	int64_t peak;

	fprintf(f, "{\"strategy\":\"%s\",\"safe\":%s,\"tlb\":\"%s\",\"arch\":\"%s\","
		"\"expect_caught\":%s,\"seed\":%" PRIu64
		",\"duration_s\":%.3f,"
		"\"cpus\":%d,\"freers\":%d,\"walkers\":%d,\"bystanders\":%d,"
		"\"host_cpus\":%d,\"mms\":%d,\"hz\":%d,\"batch_fail\":%g,"
		"\"batch_pool\":%u,\"walk_delay\":\"%s\",\"nohz_full\":%s,"
		"\"callsite\":\"%s\",\"khugepaged\":%d,\"collapse_rate\":%u,"
		"\"unshare_sync\":\"%s\",\"shared_regions\":%u,",
		run->ops->name, pt_sync_safe(run->ops) ? "true" : "false",
		tlb_mode_name(cfg->tlb_mode), arch_name(cfg->arch),
		pt_sync_unsafe_in(run->ops, cfg->tlb_mode, cfg->arch) ? "true" : "false", cfg->seed,
		(double)(run->end_ns - run->start_ns) / NSEC_PER_SEC,
		cfg->nr_cpus, cfg->nr_freers, cfg->nr_walkers, cfg->nr_bystanders,
		host_nr_cpus(), cfg->nr_mms, cfg->hz, cfg->batch_fail,
		cfg->batch_pool, walk_delay_str(&cfg->walk_delay, wd, sizeof(wd)),
		cfg->nohz_full ? "true" : "false",
		callsites_str(cfg->callsites, sites, sizeof(sites)), cfg->nr_khugepaged,
		cfg->collapse_rate, unshare_sync_name(cfg->unshare_sync), cfg->shared_regions);
	fprintf(f, "\"walks\":%" PRIu64 ",\"walks_incomplete\":%" PRIu64
		",\"pages_grabbed\":%" PRIu64 ",\"maps\":%" PRIu64 ",\"unmaps\":%"
		PRIu64 ",\"exits\":%" PRIu64 ",\"tables_freed\":%" PRIu64
		",\"tables_freed_batched\":%" PRIu64 ",\"tables_freed_one\":%" PRIu64
		",\"tables_freed_rcu_one\":%" PRIu64
		",\"batches\":%" PRIu64 ",\"batch_fail_injected\":%" PRIu64
		",\"batch_pool_empty\":%" PRIu64 ",\"fallbacks\":%" PRIu64
		",\"syncs\":%" PRIu64 ",\"sync_ns_avg\":%.0f,\"sync_ns_max\":%" PRIu64
		",\"ipis_sent\":%" PRIu64 ",\"ipis_received\":%" PRIu64
		",\"ipis_deferred\":%" PRIu64 ",\"sync_calls_run\":%" PRIu64
		",\"tlb_calls_run\":%" PRIu64 ",\"exp_qs\":%" PRIu64
		",\"vcpu_preemptions\":%" PRIu64 ",\"grace_periods\":%" PRIu64
		",\"tlb_flushes\":%" PRIu64 ",\"violations\":%" PRIu64
		",\"first_violation_s\":%.6f"
		",\"leaked_objects\":%d,\"result\":\"%s\",",
		t->walks, t->walks_failed, t->pages_grabbed, t->maps, t->unmaps,
		t->exits, tables_freed(run), READ_ONCE(run->stats.tables_freed_batched),
		READ_ONCE(run->stats.tables_freed_one),
		READ_ONCE(run->stats.tables_freed_rcu_one),
		READ_ONCE(run->stats.batches_flushed), t->batch_injected,
		READ_ONCE(run->batches.exhausted), t->fallbacks, t->syncs,
		t->syncs ? (double)t->sync_ns_total / (double)t->syncs : 0.0,
		t->sync_ns_max, t->ipis_sent, t->ipis_received, t->ipis_deferred,
		t->calls_run - t->tlb_calls_run, t->tlb_calls_run, t->exp_qs,
		t->preemptions, rcu_gp_count() - run->gp_start, t->tlb_flushes,
		READ_ONCE(v->total), first_violation_s(run), leaked,
		ok ? "SUCCESS" : "FAILURE");
	fprintf(f, "\"batch_gp_ns\":{\"p50\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"max\":%"
		PRIu64 ",\"count\":%zu},", samples_percentile(&run->batch_gp, 50),
		samples_percentile(&run->batch_gp, 99), samples_max(&run->batch_gp),
		run->batch_gp.n);
	reclaim_summary(run, &mean, &peak);
	fprintf(f, "\"pt_reclaim\":{\"peak_pages\":%" PRId64 ",\"peak_bytes\":%" PRId64
		",\"mean_pages\":%.3f,\"mean_bytes\":%.0f,\"callback_ns\":{\"p50\":%" PRIu64
		",\"p99\":%" PRIu64 ",\"max\":%" PRIu64 ",\"count\":%zu}},",
		peak, peak * (int64_t)PAGE_SIZE, mean, mean * PAGE_SIZE,
		samples_percentile(&run->reclaim.cb_lat, 50),
		samples_percentile(&run->reclaim.cb_lat, 99),
		samples_max(&run->reclaim.cb_lat), run->reclaim.cb_lat.n);
	fprintf(f, "\"violations_by_kind\":{");
	for (int k = 0; k < NR_VIOLATION_KINDS; k++) {
		static const char *const keys[NR_VIOLATION_KINDS] = {
			"poisoned_entry", "freed_table", "wrong_table",
			"gen_changed", "freed_page",
		};
		fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "", keys[k],
			READ_ONCE(v->by_kind[k]));
	}
	fprintf(f, "},");
	json_sites(f, run, t);
	json_collapse_hugetlb(f, run);
	fprintf(f, "\"per_cpu\":[");
	for (int i = 0; i < run->nr_cpus; i++) {
		const struct cpu *c = &run->cpus[i];
		const struct cpu_stats *s = &c->stats;
		uint64_t calls = READ_ONCE(s->calls_run), tlb = READ_ONCE(s->tlb_calls_run);

		fprintf(f, "%s{\"cpu\":%d,\"role\":\"%s\",\"host_cpu\":%d,"
			"\"ipis_sent\":%" PRIu64 ",\"ipis_received\":%" PRIu64
			",\"sync_calls_run\":%" PRIu64 ",\"tlb_calls_run\":%" PRIu64
			",\"ipis_deferred\":%" PRIu64 ",\"walks\":%" PRIu64
			",\"fallbacks\":%" PRIu64 ",\"syncs\":%" PRIu64
			",\"qs_reported\":%" PRIu64 "}", i ? "," : "", c->id,
			cpu_role_name(c->role), c->host_cpu,
			READ_ONCE(s->ipis_sent), READ_ONCE(s->ipis_received),
			calls - tlb, tlb, READ_ONCE(s->ipis_deferred), READ_ONCE(s->walks),
			READ_ONCE(s->fallbacks), READ_ONCE(s->syncs),
			READ_ONCE(s->qs_reported));
	}
	fprintf(f, "],\"violation_log\":[");
	for (uint32_t i = 0; i < logged && i < VIOLATION_LOG; i++) {
		const struct violation *x = &v->log[i];

		fprintf(f, "%s{\"cpu\":%d,\"mm\":%d,\"addr\":\"0x%" PRIx64
			"\",\"level\":\"%s\",\"site\":\"%s\",\"kind\":\"%s\"}", i ? "," : "",
			x->cpu, x->mm, x->addr, level_name(x->level), callsite_name(x->site),
			violation_kind_name(x->kind));
	}
	fprintf(f, "]}\n");
}

struct ptsync_run *ptsync_run_create(const struct ptsync_config *cfg)
{
	struct ptsync_run *run = calloc(1, sizeof(*run));

	if (!run || ptsync_run_init(run, cfg))
		ptsync_die("cannot set up the run (out of memory?)");
	return run;
}

/* Stop the CPUs (the watchdog watching), drain RCU; returns live objects. */
int ptsync_run_stop(struct ptsync_run *run)
{
	main_wait_begin(run, STALL_STOP);
	cpus_stop(run);
	main_wait_end(run);
	return ptsync_run_drain(run);
}

/* torture_wait() without progress or SIGINT: --duration, @stop, or caught. */
static void torture_wait_quiet(struct ptsync_run *run, const _Atomic int *stop)
{
	uint64_t end = run->start_ns + (uint64_t)(run->cfg.duration_s * NSEC_PER_SEC);

	for (uint64_t now; (now = ktime_get_ns()) < end && !torture_caught(run); ) {
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			return;
		sleep_until_ns(end - now < 10 * NSEC_PER_MSEC ? end : now + 10 * NSEC_PER_MSEC, stop);
	}
}

int torture_quiet(const struct ptsync_config *cfg, struct torture_outcome *out)
{
	struct ptsync_run *run = ptsync_run_create(cfg);
	struct torture_totals t;

	cpus_start(run, torture_cpu);
	torture_wait_quiet(run, out->stop);
	out->leaked = (uint64_t)ptsync_run_stop(run);
	torture_sum(run, &t);
	if (out->describe) {	/* the sweep's: this run's settings, as lines */
		size_t len;
		FILE *f = open_memstream(&out->params, &len);

		if (f) {
			torture_print_params(f, run, "interval");
			print_violations(f, run);	/* what a failing one saw */
			fclose(f);
		}
		f = open_memstream(&out->repeat, &len);
		if (f) {
			torture_print_repeat(f, run);
			fclose(f);
		}
	}
	out->seconds = (double)(run->end_ns - run->start_ns) / NSEC_PER_SEC;
	out->violations = READ_ONCE(run->violations.total);
	out->first_violation_s = first_violation_s(run);
	out->fallbacks = t.fallbacks;
	out->walks = t.walks;
	out->ipis_sent = t.ipis_sent;
	out->ipis_received = t.ipis_received;
	for (int k = 0; k < NR_CALLSITES; k++) {
		out->site_events[k] = t.site[k].events;
		out->site_violations[k] = READ_ONCE(run->violations.by_site[k]);
	}
	ptsync_run_destroy(run);
	free(run);
	return out->violations || out->leaked ? TORTURE_FAILURE : TORTURE_SUCCESS;
}

/*
 * A strategy unsafe at this TLB mode whose bug the arch's flush barrier
 * hides: said first, so that a clean run is not read as a verdict.
 */
void torture_print_hidden(FILE *f, const struct ptsync_run *run)
{
	const struct ptsync_config *cfg = &run->cfg;
	const struct pt_sync_ops *ops = run->ops;

	if (!(ops->unsafe_tlb_modes & TLB_MODE_BIT(cfg->tlb_mode)) ||
	    !(ops->hidden_archs & ARCH_BIT(cfg->arch)))
		return;
	fprintf(f, "ptsync torture: %s at --tlb=%s is hidden under --arch=%s by %s: "
		"a clean run is expected (--arch=weak shows the bug)\n", ops->name,
		tlb_mode_name(cfg->tlb_mode), arch_name(cfg->arch), arch_flush_barrier(cfg->arch));
}

int ptsync_torture(const struct ptsync_config *cfg, bool json)
{
	struct ptsync_run *run = ptsync_run_create(cfg);
	struct torture_totals t;
	int leaked;
	bool ok;

	torture_print_hidden(json ? stderr : stdout, run);
	torture_print_params(json ? stderr : stdout, run, "start");
	fflush(stdout);
	cpus_start(run, torture_cpu);
	torture_wait(run);
	leaked = ptsync_run_stop(run);
	torture_sum(run, &t);
	ok = READ_ONCE(run->violations.total) == 0 && leaked == 0 &&
	     t.ipis_sent == t.ipis_received;
	if (json) {
		print_json(stdout, run, &t, leaked, ok);
		torture_print_repeat(stderr, run);
	} else {
		print_text(stdout, run, &t, leaked, ok);
	}
	fflush(stdout);
	ptsync_run_destroy(run);
	free(run);
	return ok ? TORTURE_SUCCESS : TORTURE_FAILURE;
}
