// SPDX-License-Identifier: MIT
/*
 * ptsync compare: the measurements (compare.h says what and why).
 *
 * Every number here is taken on the machine as it is, noise included, so
 * the method carries the weight: the same seeded scenario for every
 * strategy, phases interleaved across strategies and repeated, counts taken
 * at a rendezvous after the last job (so shutdown work is not counted), a
 * baseline that runs the same freer with no sync at all, and never more
 * simulated CPUs than host cores unless the user asked for it, in which
 * case the report says the numbers measure the host scheduler too.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "opts.h"
#include "ptsync/gup.h"
#include "ptsync/hugetlb.h"
#include "ptsync/irqflags.h"
#include "ptsync/rcupdate.h"
#include "ptsync/torture.h"

#define WALK_BLOCK	2000			/* walks per timed block */
#define WALK_PAGES	16

static volatile sig_atomic_t compare_interrupted;
static _Atomic int compare_stop;		/* mirrors it for the CPUs */

static void compare_sigint(int sig)
{
	(void)sig;
	compare_interrupted = 1;
	WRITE_ONCE(compare_stop, 1);
}

void compare_config_default(struct compare_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	ptsync_config_default(&cfg->base);
	cfg->base.batch_fail = 1.0;
	cfg->base.duration_s = 2;
	cfg->reps = 3;
	cfg->phase_s = 3;
	cfg->walk_s = 0.5;
	cfg->safety_s = 2;
	cfg->hostcheck_s = 1;
	cfg->noise_mode = NOISE_OSNOISE;
	cfg->noise_threshold_ns = 1000;
	cfg->timerlat_period_ns = 1000 * NSEC_PER_USEC;
	cfg->hostcheck = true;
	cfg->rate = 1000;		/* resolves one IPI per fallback: compare_rate.c */
	cfg->rate_s = -1;		/* phase_s / 3 per meter */
	cfg->site_s = -1;		/* phase_s / 6 per other call site */
	cfg->plots = true;
	cfg->progress = true;
	cfg->base.callsites = CALLSITES_ALL;
	cfg->groups = (1u << NR_COMPARE_GROUPS) - 1;
}

/* The fallback's cost phase lasts --phase-seconds; each other group less. */
static double group_seconds(const struct compare_config *cfg, int group)
{
	if (group == CG_FALLBACK)
		return cfg->phase_s;
	return cfg->site_s >= 0 ? cfg->site_s : cfg->phase_s / 6;
}

static void progress(const struct compare_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void progress(const struct compare_config *cfg, const char *fmt, ...)
{
	va_list ap;

	if (!cfg->progress || !isatty(STDERR_FILENO))
		return;
	fputs("[compare] ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- cost phase ---- */

struct cost_snapshot {
	uint64_t unmaps, fallbacks, syncs, ipis_sent, ipis_received;
	uint64_t calls_sent, calls_run, tlb_calls_run;
	uint64_t site_events, site_syncs, site_upstream, site_calls_run;
	struct noise noise;
};

struct cost_phase {
	const struct compare_config *cfg;
	int group;			/* enum compare_group */
	enum pt_callsite site;
	struct samples *site_lat;	/* the group's, merged likewise */
	pthread_barrier_t done;
	struct cost_snapshot *snap;	/* [nr_cpus] */
	struct samples *sync_lat;	/* merged by the freers after the rendezvous */
	pthread_mutex_t lock;
	/* The bystanders are in user mode (or idle) before the first unmap
	 * and stay there until the last sync is done, so what they are sent
	 * is exactly what the strategy sends a CPU there. */
	_Atomic int settled, working;
};

/*
 * collapse: map a whole region and collapse it, as khugepaged would, the
 * old table deposited; then unmap it.  A page mapped once beside it keeps
 * the PMD and PUD tables, so the unmap frees no table: the phase's only
 * syncs are the collapses'.
 */
static void cost_collapse_job(struct cpu *c, bool *pinned)
{
	struct ptsync_run *run = c->run;
	struct mm_struct *mm = &run->mms[0];
	uint64_t addr = torture_region_addr(0);

	if (!mmget_not_zero(mm))
		return;
	switch_mm(c, mm);
	if (!*pinned)
		*pinned = map_range(mm, addr + PMD_SIZE, PAGE_SIZE, false) > 0;
	cpu_set_activity(c, ACT_MAP);
	map_range(mm, addr, PMD_SIZE, false);
	cpu_set_activity(c, ACT_COLLAPSE);
	khugepaged_collapse(mm, addr, true);
	cpu_set_activity(c, ACT_UNMAP);
	munmap_range(mm, addr, PMD_SIZE);
	this_cpu_inc(c->stats.unmaps);
	switch_mm(c, NULL);
	mmput(mm);
}

/*
 * unshare: unmap the whole hugetlb range, one gather unsharing every
 * slot (each left exclusive to the other mm), then fault it back, which
 * shares each table again.
 */
static void cost_unshare_job(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct mm_struct *mm = &run->mms[0];
	struct hugetlb_file *f = run->hugetlb;

	if (!mmget_not_zero(mm))
		return;
	switch_mm(c, mm);
	cpu_set_activity(c, ACT_HUGETLB);
	munmap_range(mm, f->base, hugetlb_end(f) - f->base);
	this_cpu_inc(c->stats.unmaps);
	mmap_write_lock(mm);
	for (unsigned int s = 0; s < f->nr_slots; s++)
		hugetlb_fault_slot(mm, s);
	mmap_write_unlock(mm);
	switch_mm(c, NULL);
	mmput(mm);
}

static void cost_snapshot(struct cpu *c, struct cost_phase *ph)
{
	struct cost_snapshot *s = &ph->snap[c->id];

	s->unmaps = READ_ONCE(c->stats.unmaps);
	s->fallbacks = READ_ONCE(c->stats.fallbacks);
	s->syncs = READ_ONCE(c->stats.syncs);
	s->ipis_sent = READ_ONCE(c->stats.ipis_sent);
	s->ipis_received = READ_ONCE(c->stats.ipis_received);
	s->calls_sent = READ_ONCE(c->stats.calls_sent);
	s->calls_run = READ_ONCE(c->stats.calls_run);
	s->tlb_calls_run = READ_ONCE(c->stats.tlb_calls_run);
	s->site_events = READ_ONCE(c->stats.site_events[ph->site]);
	s->site_syncs = READ_ONCE(c->stats.site_syncs[ph->site]);
	s->site_upstream = READ_ONCE(c->stats.site_upstream[ph->site]);
	s->site_calls_run = READ_ONCE(c->stats.site_calls_run[ph->site]);
	s->noise = c->noise;
	pthread_mutex_lock(&ph->lock);
	if (ph->site == CALLSITE_FALLBACK)
		samples_merge(ph->sync_lat, &c->sync_lat);
	samples_merge(ph->site_lat, ph->site == CALLSITE_FALLBACK ? &c->sync_lat :
		      &c->site_lat[ph->site]);
	pthread_mutex_unlock(&ph->lock);
}

/* The freer's job for the phase's group. */
static void cost_freer(struct cpu *c, struct cost_phase *ph, unsigned int *region,
		       bool *pinned)
{
	switch (ph->group) {
	case CG_FALLBACK:	compare_freer_job(c, region); break;
	case CG_COLLAPSE:	cost_collapse_job(c, pinned); break;
	default:		cost_unshare_job(c); break;
	}
}

static void cost_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct cost_phase *ph = run->priv;
	unsigned int region = 0;
	bool pinned = false;

	if (c->role == ROLE_BYSTANDER) {
		if (ph->cfg->noise_mode == NOISE_TIMERLAT)
			c->noise.fifo = timerlat_set_fifo();
		compare_bystander(c, ph->cfg, ph->cfg->noise_mode, &ph->settled, &ph->working);
	} else {
		compare_wait_settled(c, &ph->settled);
		while (!READ_ONCE(run->stop)) {
			cpu_set_activity(c, ACT_SCHEDULE);
			rcu_note_context_switch(c);
			if (c->role == ROLE_FREER)
				cost_freer(c, ph, &region, &pinned);
			else
				torture_walker_job(c);
		}
		atomic_fetch_sub_explicit(&ph->working, 1, memory_order_relaxed);
	}
	/* Every job is over (and every sync it made acknowledged) once all
	 * CPUs are here: the counts are final for the phase. */
	cpu_barrier_wait(c, &ph->done);
	cost_snapshot(c, ph);
}

/* The group's figures: the call site's own counts, IPIs by site. */
static void cost_accumulate_group(struct compare_site *g, const struct ptsync_run *run,
				  const struct cost_phase *ph)
{
	g->run = true;
	g->seconds += (double)(run->end_ns - run->start_ns) / NSEC_PER_SEC;
	g->nr_bystanders = run->cfg.nr_bystanders;
	for (int i = 0; i < run->nr_cpus; i++) {
		const struct cost_snapshot *s = &ph->snap[i];

		g->ops += s->unmaps;
		g->events += s->site_events;
		g->syncs += s->site_syncs;
		g->upstream += s->site_upstream;
		g->ipis_sent += s->ipis_sent;
		g->ipis_received += s->ipis_received;
		g->calls_sent += s->calls_sent;
		g->calls_run += s->calls_run;
		if (run->cpus[i].role == ROLE_BYSTANDER) {
			g->bystander_site_calls += s->site_calls_run;
			g->bystander_tlb_calls += s->tlb_calls_run;
			noise_merge(&g->noise, &s->noise);
		}
	}
}

/*
 * The fallback's figures.  Those its group sums too (compare_results.h:
 * group[CG_FALLBACK] repeats them) are copied from the group, summed over
 * the same phases the same way, not walked again; the rest, per CPU.
 */
static void cost_accumulate(struct compare_result *res, const struct ptsync_run *run,
			    const struct cost_phase *ph)
{
	const struct compare_site *g = &res->group[CG_FALLBACK];

	cost_accumulate_group(&res->group[ph->group], run, ph);
	if (ph->group != CG_FALLBACK)
		return;
	res->seconds = g->seconds;
	res->nr_bystanders = g->nr_bystanders;
	res->unmaps = g->ops;
	res->ipis_sent = g->ipis_sent;
	res->ipis_received = g->ipis_received;
	res->calls_sent = g->calls_sent;
	res->calls_run = g->calls_run;
	res->bystander_tlb_calls = g->bystander_tlb_calls;
	res->noise = g->noise;
	for (int i = 0; i < run->nr_cpus; i++) {
		const struct cost_snapshot *s = &ph->snap[i];

		res->fallbacks += s->fallbacks;
		res->syncs += s->syncs;
		res->ipis_each[i] += s->ipis_received;
		res->tlb_calls += s->tlb_calls_run;
		if (run->cpus[i].role == ROLE_BYSTANDER) {
			res->is_bystander[i] = true;
			res->bystander_ipis += s->ipis_received;
			res->bystander_sync_calls += s->calls_run - s->tlb_calls_run;
		}
	}
}

/* pt-reclaim's memory, read after rcu_barrier() (nothing is pending). */
static void cost_reclaim(struct compare_result *res, struct ptsync_run *run)
{
	struct pt_reclaim_stats *rs = &run->reclaim;

	pthread_mutex_lock(&rs->lock);
	if (rs->peak > res->held_peak)
		res->held_peak = rs->peak;
	res->held_page_ns += rs->page_ns;
	res->held_span_ns += (double)(run->end_ns - run->start_ns);
	samples_merge(&res->held_cb, &rs->cb_lat);
	pthread_mutex_unlock(&rs->lock);
}

/*
 * The run for @group: the fallback's as it always was; the others drive
 * their own call site alone, with no batch failure (and a batch pool that
 * waits rather than fails), so that every sync in them is the site's.
 */
static void cost_group_config(struct ptsync_config *pc, int group)
{
	pc->nr_mms = 1;		/* the freer's; walkers walk it too */
	pc->callsites = CALLSITE_BIT(compare_group_site(group));
	if (group == CG_FALLBACK)
		return;
	pc->batch_fail = 0;
	if (compare_group_site(group) == CALLSITE_UNSHARE) {
		pc->nr_mms = 2;	/* the freer's, and one that keeps the tables */
		pc->unshare_sync = compare_group_unshare_sync(group);
	}
}

/*
 * The p50 of the syncs this repetition added to res->sync_lat (those from
 * index @from on), on a copy: samples_percentile() sorts in place.
 */
static void rep_sync_p50(struct compare_result *res, size_t from)
{
	struct samples rep;

	if (res->nr_rep_sync >= COMPARE_MAX_REPS || res->sync_lat.n <= from)
		return;
	samples_init(&rep, res->sync_lat.n - from);
	for (size_t i = from; i < res->sync_lat.n; i++)
		samples_add(&rep, res->sync_lat.v[i]);
	res->rep_sync_p50[res->nr_rep_sync++] = samples_percentile(&rep, 50);
	samples_free(&rep);
}

/* The bystanders' noise this repetition added to res->noise, per second. */
static void rep_noise(struct compare_result *res, const struct noise *before)
{
	uint64_t ns = res->noise.runtime_ns - before->runtime_ns;

	if (res->nr_rep_noise >= COMPARE_MAX_REPS || !ns)
		return;
	res->rep_noise_ns_per_s[res->nr_rep_noise++] =
		(double)(res->noise.gaps.sum - before->gaps.sum) * NSEC_PER_SEC / (double)ns;
}

static void cost_phase(const struct compare_config *cfg, struct compare_result *res,
		       unsigned int rep, int group)
{
	struct ptsync_config pc = cfg->base;
	struct cost_phase ph = {
		.cfg = cfg, .group = group, .site = compare_group_site(group),
		.sync_lat = &res->sync_lat, .site_lat = &res->group[group].sync_lat,
	};
	double seconds = group_seconds(cfg, group);
	size_t lat_before = res->sync_lat.n;
	struct noise noise_before = res->noise;
	struct ptsync_run *run;

	pc.ops = res->ops;
	pc.seed = cfg->base.seed + rep;
	cost_group_config(&pc, group);
	run = ptsync_run_create(&pc);
	ph.snap = calloc((size_t)run->nr_cpus, sizeof(*ph.snap));
	if (!ph.snap)
		ptsync_die("out of memory");
	pthread_barrier_init(&ph.done, NULL, (unsigned int)run->nr_cpus);
	ph.working = run->cfg.nr_freers + run->cfg.nr_walkers;
	pthread_mutex_init(&ph.lock, NULL);
	run->priv = &ph;
	/* The walkers' IRQs-off windows, in the fallback's phase: one run at a time. */
	if (group == CG_FALLBACK && run->cfg.nr_walkers && walk_meter_start(run->nr_cpus))
		ptsync_die("out of memory");
	cpus_start(run, cost_cpu);
	sleep_until_ns(run->start_ns + (uint64_t)(seconds * NSEC_PER_SEC), &compare_stop);
	ptsync_run_stop(run);		/* rcu_barrier(): every batch is freed */
	if (group == CG_FALLBACK && run->cfg.nr_walkers) {
		struct walk_meter *m = walk_meter_stop();

		compare_walkers_collect(res, run, m);
		walk_meter_free(m);
	}
	cost_accumulate(res, run, &ph);
	if (group == CG_FALLBACK) {
		rep_sync_p50(res, lat_before);
		rep_noise(res, &noise_before);
		samples_merge(&res->batch_gp, &run->batch_gp);
		cost_reclaim(res, run);
	}
	pthread_barrier_destroy(&ph.done);
	pthread_mutex_destroy(&ph.lock);
	free(ph.snap);
	ptsync_run_destroy(run);
	free(run);
}

/* ---- walk phase ---- */

struct walk_phase {
	double seconds;
	struct samples prot, raw;	/* ns per walk, one sample per block */
};

typedef int (*gup_fn_t)(struct mm_struct *, uint64_t, unsigned int, struct folio **);

/* Time one block of walks; pins are dropped outside the timed part. */
static uint64_t walk_block(struct cpu *c, struct mm_struct *mm, uint64_t addr,
			   gup_fn_t fn, struct folio **pages)
{
	uint32_t inc = READ_ONCE(mm->incarnation);
	int nr[WALK_BLOCK];
	uint64_t t0 = ktime_get_ns(), dt;

	for (int i = 0; i < WALK_BLOCK; i++)
		nr[i] = fn(mm, addr, WALK_PAGES, pages + (size_t)i * WALK_PAGES);
	dt = ktime_get_ns() - t0;
	for (int i = 0; i < WALK_BLOCK; i++)
		gup_check_and_put(c, mm, inc, addr, nr[i], pages + (size_t)i * WALK_PAGES);
	return dt / WALK_BLOCK;
}

static void walk_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct walk_phase *wp = run->priv;
	struct mm_struct *mm = &run->mms[0];
	uint64_t addr = torture_region_addr(0), end;
	struct folio **pages;

	if (c->id != 0)
		return;
	pages = calloc((size_t)WALK_BLOCK * WALK_PAGES, sizeof(*pages));
	if (!pages)
		ptsync_die("out of memory");
	switch_mm(c, mm);
	map_range(mm, addr, WALK_PAGES * PAGE_SIZE, false);
	end = ktime_get_ns() + (uint64_t)(wp->seconds * NSEC_PER_SEC);
	/* Alternate so that drift hits both alike: A B B A A B ... */
	for (unsigned int b = 0; ktime_get_ns() < end && !compare_interrupted; b++) {
		bool raw_first = b & 1;

		rcu_note_context_switch(c);
		samples_add(raw_first ? &wp->raw : &wp->prot,
			    walk_block(c, mm, addr, raw_first ? gup_fast_raw : gup_fast, pages));
		samples_add(raw_first ? &wp->prot : &wp->raw,
			    walk_block(c, mm, addr, raw_first ? gup_fast : gup_fast_raw, pages));
	}
	munmap_range(mm, addr, WALK_PAGES * PAGE_SIZE);
	switch_mm(c, NULL);
	free(pages);
}

static void walk_phase(const struct compare_config *cfg, struct compare_result *res,
		       struct samples *prot, struct samples *raw)
{
	struct ptsync_config pc = cfg->base;
	struct walk_phase wp = { .seconds = cfg->walk_s };
	struct ptsync_run *run;

	pc.ops = res->ops;
	pc.nr_cpus = 2;			/* one walks, one idles */
	pc.nr_freers = 1;
	pc.nr_walkers = 1;
	pc.nr_bystanders = 0;
	samples_init(&wp.prot, 1u << 20);
	samples_init(&wp.raw, 1u << 20);
	run = ptsync_run_create(&pc);
	run->priv = &wp;
	cpus_start(run, walk_cpu);
	ptsync_run_stop(run);
	ptsync_run_destroy(run);
	free(run);
	/* One median per repetition; the report takes the median of those. */
	samples_add(prot, samples_percentile(&wp.prot, 50));
	samples_add(raw, samples_percentile(&wp.raw, 50));
	samples_free(&wp.prot);
	samples_free(&wp.raw);
}

/* ---- safety phase ---- */

static void safety_phase(const struct compare_config *cfg, struct compare_result *res)
{
	struct ptsync_config pc = cfg->base;
	struct torture_outcome out = { .stop = &compare_stop };

	/* Torture wants walkers; oversubscription is harmless here. */
	pc.ops = res->ops;
	pc.duration_s = cfg->safety_s;
	pc.batch_fail = pc.callsites & CALLSITE_BIT(CALLSITE_FALLBACK) ? 0.1 : 0;
	if (pc.nr_cpus < 4)
		pc.nr_cpus = 4;
	pc.nr_freers = 1;
	pc.nr_bystanders = 1;
	pc.nr_walkers = pc.nr_cpus - 2;
	torture_quiet(&pc, &out);
	res->safety_run = true;
	res->safety_s = out.seconds;
	res->violations = out.violations;
	res->safety_fallbacks = out.fallbacks;
	res->leaked = out.leaked;
	for (int k = 0; k < NR_CALLSITES; k++) {
		res->site_events[k] = out.site_events[k];
		res->site_violations[k] = out.site_violations[k];
	}
}

/* ---- the whole comparison ---- */

static void host_describe(struct compare_report *r)
{
	struct utsname u;
	FILE *f;

	r->host_cpus = host_nr_cpus();
	snprintf(r->kernel, sizeof(r->kernel), "%s", uname(&u) ? "?" : u.release);
	snprintf(r->cpu_model, sizeof(r->cpu_model), "?");
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	for (char line[256]; fgets(line, sizeof(line), f); ) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			snprintf(r->cpu_model, sizeof(r->cpu_model), "%s", colon + 2);
			r->cpu_model[strcspn(r->cpu_model, "\n")] = 0;
			break;
		}
	}
	fclose(f);
}

static void run_phases(struct compare_report *r)
{
	const struct compare_config *cfg = &r->cfg;
	struct samples prot[COMPARE_MAX_STRATEGIES], raw[COMPARE_MAX_STRATEGIES];

	for (unsigned int rep = 0; rep < cfg->reps && !compare_interrupted; rep++) {
		for (int g = 0; g < NR_COMPARE_GROUPS; g++) {
			if (!(cfg->groups & (1u << g)) || group_seconds(cfg, g) <= 0)
				continue;
			for (int i = 0; i < r->nr_res && !compare_interrupted; i++) {
				progress(cfg, "cost %u/%u: %s at %s (%g s)", rep + 1, cfg->reps,
					 r->res[i].ops->name, compare_group_name(g),
					 group_seconds(cfg, g));
				cost_phase(cfg, &r->res[i], rep, g);
			}
		}
	}
	/* Rate-matched: the same fallback rate for every strategy. */
	for (unsigned int rep = 0; rep < cfg->reps && compare_rate_seconds(cfg) > 0 &&
	     (cfg->groups & (1u << CG_FALLBACK)) &&
	     !compare_interrupted; rep++) {
		for (int i = 0; i < r->nr_res && !compare_interrupted; i++) {
			progress(cfg, "rate %u/%u: %s at %g fallbacks/s", rep + 1, cfg->reps,
				 r->res[i].ops->name, cfg->rate);
			compare_rate_phase(cfg, &r->res[i], rep, NOISE_OSNOISE, &compare_stop);
			if (!compare_interrupted)
				compare_rate_phase(cfg, &r->res[i], rep, NOISE_TIMERLAT, &compare_stop);
		}
	}
	if (!compare_interrupted && (cfg->groups & (1u << CG_FALLBACK))) {
		progress(cfg, "tlb: flush_tlb_mm_range() to K targets");
		compare_tlb_phase(r, &compare_stop);
	}
	for (int i = 0; i < r->nr_res; i++) {
		samples_init(&prot[i], 1024);
		samples_init(&raw[i], 1024);
	}
	for (unsigned int rep = 0; rep < cfg->reps && !compare_interrupted; rep++) {
		for (int i = 0; i < r->nr_res && !compare_interrupted; i++) {
			progress(cfg, "walk %u/%u: %s", rep + 1, cfg->reps, r->res[i].ops->name);
			walk_phase(cfg, &r->res[i], &prot[i], &raw[i]);
		}
	}
	for (int i = 0; i < r->nr_res; i++) {
		r->res[i].walk_ns = (double)samples_percentile(&prot[i], 50);
		r->res[i].raw_walk_ns = (double)samples_percentile(&raw[i], 50);
		samples_free(&prot[i]);
		samples_free(&raw[i]);
	}
	for (int i = 0; i < r->nr_res && cfg->safety_s > 0 && !compare_interrupted; i++) {
		progress(cfg, "safety: %s torture (%g s)", r->res[i].ops->name, cfg->safety_s);
		safety_phase(cfg, &r->res[i]);
	}
	if (cfg->hostcheck && !compare_interrupted) {
		struct hostcheck_config hc;
		int rc;

		progress(cfg, "hostcheck: membarrier(2) on the host kernel");
		hostcheck_config_default(&hc);
		hc.seconds_per_mode = cfg->hostcheck_s;
		hc.threshold_ns = cfg->noise_threshold_ns;
		rc = hostcheck_run(&hc, &r->host);
		r->host_ok = rc == 0;
		if (rc == -EINTR) {	/* its own SIGINT handler took the Ctrl-C */
			compare_interrupted = 1;
			WRITE_ONCE(compare_stop, 1);
		}
	}
}

int ptsync_compare(const struct compare_config *cfg)
{
	struct compare_report *r = calloc(1, sizeof(*r));
	struct sigaction sa = { .sa_handler = compare_sigint }, old;
	int status = 0, err;
	bool partial;

	if (!r)
		ptsync_die("out of memory");
	r->cfg = *cfg;
	/* A minute of measuring must not end in "cannot create": the
	 * output directory is made and checked before anything runs. */
	err = compare_prepare_out_dir(r);
	if (err)
		usage_error("--out: cannot write results to %s: %s%s", r->out_dir,
			    strerror(-err), cfg->out_dir ? "" : " (give --out=DIR)");
	host_describe(r);
	r->oversubscribed = cfg->base.nr_cpus > r->host_cpus;
	r->nr_res = cfg->nr_ops;
	for (int i = 0; i < r->nr_res; i++) {
		r->res[i].ops = cfg->ops[i];
		r->res[i].baseline = i == 0;
		samples_init(&r->res[i].sync_lat, 1u << 22);
		samples_init(&r->res[i].batch_gp, 1u << 20);
		samples_init(&r->res[i].held_cb, 1u << 20);
		samples_init(&r->res[i].walk_len, 1u << 22);
		samples_init(&r->res[i].walk_gap, 1u << 22);
		for (int g = 0; g < NR_COMPARE_GROUPS; g++)
			samples_init(&r->res[i].group[g].sync_lat, 1u << 22);
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	run_phases(r);
	sigaction(SIGINT, &old, NULL);
	r->partial = compare_interrupted;
	if (r->partial)
		fprintf(stderr, "ptsync: interrupted: reporting what ran\n");

	compare_print_table(stdout, r);
	if (compare_write_files(r))
		status = 1;
	for (int i = 1; i < r->nr_res; i++) {
		if (r->res[i].violations || r->res[i].leaked ||
		    r->res[i].ipis_sent != r->res[i].ipis_received)
			status = 1;
		for (int g = 0; g < NR_COMPARE_GROUPS; g++)
			if (r->res[i].group[g].ipis_sent != r->res[i].group[g].ipis_received)
				status = 1;
	}
	partial = r->partial;
	for (int i = 0; i < r->nr_res; i++) {
		samples_free(&r->res[i].sync_lat);
		samples_free(&r->res[i].batch_gp);
		samples_free(&r->res[i].held_cb);
		samples_free(&r->res[i].walk_len);
		samples_free(&r->res[i].walk_gap);
		for (int g = 0; g < NR_COMPARE_GROUPS; g++)
			samples_free(&r->res[i].group[g].sync_lat);
	}
	free(r);
	return partial ? 130 : status;
}
