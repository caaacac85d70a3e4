// SPDX-License-Identifier: MIT
/*
 * ptsync fork-storm: the report behind the per-gather unshare change
 * (Dec 2025), scaled to this machine.
 *
 * There, a process with 1.2 TB of shared hugetlb memory forked 1000
 * children on a 196-core machine: 11.275 s of real time with a sync per
 * unshare, 2.475 s with one per gather.  Each child shares the parent's
 * PMD tables when it is forked (huge_pmd_share(), one per 1 GiB of the
 * shared range) and unshares every one of them when it exits, and each
 * unshare used to broadcast an IPI to every CPU.
 *
 * Here: a parent mm maps a hugetlb file of --regions 1 GiB regions (one
 * PMD table each, mm/hugetlb.c); it forks --forks children, each its own
 * mm sharing those tables (a thread's worth of work standing in for a
 * process: mm_init() and the shares, then exit_mmap()), keeping at most
 * --alive of them alive (all, by default: every child is forked, then
 * they exit in turn, as children that overlap the parent's forking do),
 * on one CPU; every other CPU is a bystander running another mm in user
 * mode under the osnoise meter.  Per strategy and per sync mode it
 * reports the total time, the unshares and the syncs (counted where they
 * happen), the sync IPIs each bystander took, exactly, per fork, the
 * bystanders' noise, and the parent's time inside the syncs.
 *
 * With every child alive when the first exits, the tables stay shared
 * with the parent until the last child goes: per-gather syncs once, for
 * that last exit (a strategy that syncs only its own mm's walkers syncs
 * for every exit that unshares); per-unshare syncs forks x regions times.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fork_storm.h"
#include "opts.h"
#include "ptsync/hugetlb.h"
#include "ptsync/rcupdate.h"
#include "ptsync/torture.h"
#include "ptsync/watchdog.h"

#define FS_METER_SLICE_NS	(10 * NSEC_PER_MSEC)
#define FS_NOISE_THRESHOLD_NS	1000

static volatile sig_atomic_t fs_interrupted;

static void fs_sigint(int sig)
{
	(void)sig;
	fs_interrupted = 1;
}

void fork_storm_config_default(struct fork_storm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	ptsync_config_default(&cfg->base);
	cfg->base.callsites = CALLSITE_BIT(CALLSITE_UNSHARE);
	cfg->base.batch_fail = 0;
	cfg->base.nr_mms = 1;		/* the parent */
	cfg->base.tlb_mode = TLB_INVLPGB;
	cfg->forks = 100;
	cfg->regions = 16;
	cfg->modes = (1u << NR_UNSHARE_SYNC_MODES) - 1;
	cfg->progress = true;
}

/* Page-table pages a storm needs at most, and folios (the page cache). */
static uint64_t fs_pt_pages(unsigned int forks, unsigned int regions)
{
	uint64_t puds = (regions + PTRS_PER_TABLE - 1) / PTRS_PER_TABLE;

	/* parent: PGD, PUD tables, the shared PMD tables; bystanders' PGD;
	 * each child alive: PGD and PUD tables; each child gone: the same,
	 * waiting for a grace period (every one, at worst); and slack. */
	return 2 + puds + regions + (uint64_t)forks * 2 * (1 + puds) + 64;
}

int fork_storm_check_arenas(const struct fork_storm_config *cfg, char *why, size_t len)
{
	uint64_t pt = fs_pt_pages(cfg->forks, cfg->regions);
	uint64_t folios = (uint64_t)cfg->regions * HUGETLB_LEAVES;

	if (pt > cfg->base.pt_pages) {
		snprintf(why, len, "--forks=%u with --regions=%u needs up to %" PRIu64
			 " page-table pages, more than --pt-pages=%u", cfg->forks, cfg->regions,
			 pt, cfg->base.pt_pages);
		return -1;
	}
	if (folios > cfg->base.folios) {
		snprintf(why, len, "--regions=%u needs %" PRIu64 " huge folios, more than "
			 "--folios=%u", cfg->regions, folios, cfg->base.folios);
		return -1;
	}
	return 0;
}

/* ---- one storm ---- */

struct fs_cpu_snap {
	uint64_t unshares, syncs, sync_ns, upstream, site_calls, tlb_calls;
	struct noise noise;
};

struct fs_storm {
	const struct fork_storm_config *cfg;
	struct mm_struct *children;	/* [forks] */
	struct fs_cpu_snap *snap;	/* [nr_cpus] */
	_Atomic int settled, done;
	uint64_t t0, t1;
};

/* A child is forked: a new mm, sharing every table of the file. */
static void fs_fork(struct mm_struct *child)
{
	mmap_write_lock(child);
	if (mm_init(child))
		ptsync_die("fork-storm: no page-table page for a child's PGD");
	mmap_write_unlock(child);
}

/* The bystanders have settled in user mode: the storm may begin. */
static void fs_wait_settled(struct cpu *c, struct fs_storm *st)
{
	int want = c->run->cfg.nr_bystanders;

	stall_wait_begin(c, STALL_SETTLE, -1);
	while (READ_ONCE(st->settled) < want) {
		rcu_note_context_switch(c);
		sched_yield();
	}
	stall_wait_end(c);
}

static void fs_snapshot(struct cpu *c, struct fs_storm *st)
{
	struct fs_cpu_snap *s = &st->snap[c->id];

	s->unshares = READ_ONCE(c->stats.site_events[CALLSITE_UNSHARE]);
	s->syncs = READ_ONCE(c->stats.site_syncs[CALLSITE_UNSHARE]);
	s->sync_ns = READ_ONCE(c->stats.site_sync_ns[CALLSITE_UNSHARE]);
	s->upstream = READ_ONCE(c->stats.site_upstream[CALLSITE_UNSHARE]);
	s->site_calls = READ_ONCE(c->stats.site_calls_run[CALLSITE_UNSHARE]);
	s->tlb_calls = READ_ONCE(c->stats.tlb_calls_run);
	s->noise = c->noise;
}

/* The parent: fork, keeping at most --alive children, then let them exit. */
static void fs_parent(struct cpu *c, struct fs_storm *st)
{
	const struct fork_storm_config *cfg = st->cfg;
	unsigned int alive = cfg->alive ? cfg->alive : cfg->forks, oldest = 0;

	fs_wait_settled(c, st);
	st->t0 = ktime_get_ns();
	for (unsigned int i = 0; i < cfg->forks; i++) {
		cpu_set_activity(c, ACT_HUGETLB);
		if (i - oldest == alive)
			mm_exit_owner(&st->children[oldest++]);
		fs_fork(&st->children[i]);
		this_cpu_inc(c->stats.maps);
	}
	while (oldest < cfg->forks)
		mm_exit_owner(&st->children[oldest++]);
	st->t1 = ktime_get_ns();
	fs_snapshot(c, st);
	WRITE_ONCE(st->done, 1);
}

/* A bystander: its own mm, in user mode, measuring, until the storm ends. */
static void fs_bystander(struct cpu *c, struct fs_storm *st)
{
	struct ptsync_run *run = c->run;

	switch_mm(c, &run->mms[run->nr_mms - 1]);
	cpu_set_activity(c, ACT_USER);
	ct_user_enter(c);
	atomic_fetch_add_explicit(&st->settled, 1, memory_order_relaxed);
	while (!READ_ONCE(st->done))
		osnoise_measure(&c->noise, FS_NOISE_THRESHOLD_NS, FS_METER_SLICE_NS, &st->done);
	ct_user_exit(c);
	/* Every sync was acknowledged before the parent said done. */
	fs_snapshot(c, st);
}

static void fs_cpu(struct cpu *c)
{
	struct fs_storm *st = c->run->priv;

	if (c->role == ROLE_FREER)
		fs_parent(c, st);
	else
		fs_bystander(c, st);
}

static void fs_children_init(struct ptsync_run *run, struct mm_struct *children, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		children[i].id = run->nr_mms + (int)i;
		children[i].run = run;
		children[i].hugetlb_mapping = run->hugetlb;
		mmap_init_lock(&children[i]);
	}
}

static void fs_sum(struct fork_storm_result *res, const struct ptsync_run *run,
		   const struct fs_storm *st)
{
	res->seconds = (double)(st->t1 - st->t0) / NSEC_PER_SEC;
	res->nr_bystanders = run->cfg.nr_bystanders;
	for (int i = 0; i < run->nr_cpus; i++) {
		const struct fs_cpu_snap *s = &st->snap[i];

		res->ipis_sent += READ_ONCE(run->cpus[i].stats.ipis_sent);
		res->ipis_received += READ_ONCE(run->cpus[i].stats.ipis_received);
		if (run->cpus[i].role == ROLE_FREER) {
			res->unshares += s->unshares;
			res->syncs += s->syncs;
			res->sync_ns += s->sync_ns;
			res->upstream += s->upstream;
			continue;
		}
		res->bystander_sync_ipis += s->site_calls;
		res->bystander_tlb_ipis += s->tlb_calls;
		noise_merge(&res->noise, &s->noise);
	}
	res->full_unshares = READ_ONCE(run->hugetlb->stats.full_unshares);
}

static int fs_run_one(const struct fork_storm_config *cfg, struct fork_storm_result *res)
{
	struct ptsync_config pc = cfg->base;
	struct fs_storm st = { .cfg = cfg };
	struct ptsync_run *run;

	pc.ops = res->ops;
	pc.unshare_sync = res->mode;
	pc.shared_regions = cfg->regions;
	/* Every child's tables go back through a batch: enough that the
	 * parent does not wait for one (up to torture's --batch-pool bound;
	 * beyond it the parent waits, registered, for batches to return). */
	if (cfg->forks + 64 > pc.batch_pool)
		pc.batch_pool = cfg->forks + 64 < 65536 ? cfg->forks + 64 : 65536;
	run = ptsync_run_create(&pc);
	st.children = calloc(cfg->forks, sizeof(*st.children));
	st.snap = calloc((size_t)run->nr_cpus, sizeof(*st.snap));
	if (!st.children || !st.snap)
		ptsync_die("out of memory");
	fs_children_init(run, st.children, cfg->forks);
	run->priv = &st;
	cpus_start(run, fs_cpu);
	/* The parent's waits are the watchdog's; this one only polls. */
	while (!READ_ONCE(st.done))
		sleep_until_ns(ktime_get_ns() + 5 * NSEC_PER_MSEC, NULL);
	res->leaked = ptsync_run_stop(run);
	fs_sum(res, run, &st);
	for (unsigned int i = 0; i < cfg->forks; i++)
		mmap_destroy_lock(&st.children[i]);
	free(st.children);
	free(st.snap);
	ptsync_run_destroy(run);
	free(run);
	return res->leaked || res->ipis_sent != res->ipis_received ? 1 : 0;
}

/* ---- the report ---- */

static const struct fork_storm_result *fs_find(const struct fork_storm_report *r,
					       const struct pt_sync_ops *ops, int mode)
{
	for (int i = 0; i < r->nr_res; i++)
		if (r->res[i].ops == ops && r->res[i].mode == mode && r->res[i].ran)
			return &r->res[i];
	return NULL;
}

static double fs_per(uint64_t v, double n)
{
	return n > 0 ? (double)v / n : 0;
}

static void fs_print_row(FILE *f, const struct fork_storm_report *r,
			 const struct fork_storm_result *res)
{
	const struct fork_storm_result *base = fs_find(r, r->cfg.ops[0], res->mode);
	double nb = res->nr_bystanders ? res->nr_bystanders : 1;
	double lost = fs_per(res->noise.gaps.sum, nb * r->cfg.forks);
	double b = base ? fs_per(base->noise.gaps.sum, nb * r->cfg.forks) : 0;

	fprintf(f, "%-12s %-11s %8.3f %9.1f %8" PRIu64 " %7" PRIu64 " %5" PRIu64 " %9.3f %9"
		PRIu64 " %10.1f %8.1f %9.1f %6.1f%%\n", res->ops->name, unshare_sync_name(res->mode),
		res->seconds, res->seconds * 1e6 / r->cfg.forks, res->unshares, res->syncs,
		res->upstream, fs_per(res->bystander_sync_ipis, nb * r->cfg.forks),
		res->bystander_sync_ipis, lost / 1e3, (lost - b) / 1e3,
		(double)res->sync_ns / 1e6,
		res->seconds > 0 ? (double)res->sync_ns / 1e9 / res->seconds * 100 : 0.0);
}

/* Per strategy: per-unshare time over per-gather time, and the cost of
 * one more sync, from the difference. */
static void fs_print_ratios(FILE *f, const struct fork_storm_report *r)
{
	fprintf(f, "\nper-unshare / per-gather:\n");
	for (int i = 0; i < r->cfg.nr_ops; i++) {
		const struct fork_storm_result *g = fs_find(r, r->cfg.ops[i], UNSHARE_SYNC_PER_GATHER);
		const struct fork_storm_result *u = fs_find(r, r->cfg.ops[i], UNSHARE_SYNC_PER_UNSHARE);
		uint64_t more = u && g && u->syncs > g->syncs ? u->syncs - g->syncs : 0;

		if (!g || !u || g->seconds <= 0)
			continue;
		fprintf(f, "  %-12s %8.3f s / %8.3f s = %6.2fx", r->cfg.ops[i]->name, u->seconds,
			g->seconds, u->seconds / g->seconds);
		if (more)
			fprintf(f, "; %.1f us more per extra sync (%" PRIu64 " more)",
				(u->seconds - g->seconds) * 1e6 / (double)more, more);
		fputc('\n', f);
	}
}

/*
 * The kernel presets beside the report: each one's time, and the oldest
 * preset's over each later one's, as the report's 11.275 s over 2.475 s.
 */
static void fs_print_presets(FILE *f, const struct fork_storm_report *r)
{
	const struct fork_storm_result *first = NULL;

	for (int i = 0; i < r->cfg.nr_ops; i++) {
		const struct ptsync_preset *p = r->cfg.preset[i];
		const struct fork_storm_result *res;

		if (!p || !(res = fs_find(r, r->cfg.ops[i], p->unshare_sync)))
			continue;
		if (!first) {
			fprintf(f, "\nkernel presets (the report, 196 cores: 11.275 s before the "
				"per-gather change, 2.475 s after, 4.56x):\n");
			first = res;
		}
		fprintf(f, "  %-10s %-11s %8.3f s, %8.1f us/fork, %7.3f sync IPIs per bystander "
			"per fork", p->name, unshare_sync_name(res->mode), res->seconds,
			res->seconds * 1e6 / r->cfg.forks,
			fs_per(res->bystander_sync_ipis, (double)(res->nr_bystanders ?
				res->nr_bystanders : 1) * r->cfg.forks));
		if (res != first && res->seconds > 0)
			fprintf(f, "; %s / %s = %.2fx", first->ops->name, p->name,
				first->seconds / res->seconds);
		fputc('\n', f);
	}
}

static void fs_print(FILE *f, const struct fork_storm_report *r)
{
	const struct fork_storm_config *cfg = &r->cfg;

	fprintf(f, "ptsync fork-storm: a parent sharing %u hugetlb regions (1 GiB, a PMD table "
		"each) forks %u children, at most %u alive, which exit; %d bystander(s), tlb %s, "
		"hz %d, host %d cores%s\n", cfg->regions, cfg->forks,
		cfg->alive ? cfg->alive : cfg->forks, cfg->base.nr_bystanders,
		tlb_mode_name(cfg->base.tlb_mode), cfg->base.hz, host_nr_cpus(),
		r->partial ? "  [PARTIAL: interrupted]" : "");
	fprintf(f, "%-12s %-11s %8s %9s %8s %7s %5s %9s %9s %10s %8s %9s %7s\n", "strategy",
		"sync", "total s", "us/fork", "unshares", "syncs", "upstr", "IPI/b/frk",
		"IPIs to b", "b lost us", "- base", "in sync ms", "of time");
	for (int i = 0; i < r->nr_res; i++)
		if (r->res[i].ran)
			fs_print_row(f, r, &r->res[i]);
	fs_print_ratios(f, r);
	fs_print_presets(f, r);
	fprintf(f, "\nIPI/b/frk: sync IPIs each bystander took per fork, counted (IPIs to b: in "
		"all); upstr: syncs made as upstream\ndoes, the strategy having none at unshare. "
		"b lost us: a bystander's time lost (osnoise gaps) per fork,\nand beyond the "
		"no-sync baseline's.  in sync: the parent's time inside the unshare syncs.\n"
		"The report (196 cores, 1.2 TB shared, 1000 forks): 2.475 s per-gather, 11.275 s "
		"per-unshare, 4.6x.\n");
}

static void fs_json(FILE *f, const struct fork_storm_report *r)
{
	const struct fork_storm_config *cfg = &r->cfg;

	fprintf(f, "{\"forks\":%u,\"regions\":%u,\"alive\":%u,\"bystanders\":%d,\"tlb\":\"%s\","
		"\"hz\":%d,\"host_cpus\":%d,\"partial\":%s,\"runs\":[", cfg->forks, cfg->regions,
		cfg->alive ? cfg->alive : cfg->forks, cfg->base.nr_bystanders,
		tlb_mode_name(cfg->base.tlb_mode), cfg->base.hz, host_nr_cpus(),
		r->partial ? "true" : "false");
	for (int i = 0, n = 0; i < r->nr_res; i++) {
		const struct fork_storm_result *res = &r->res[i];

		if (!res->ran)
			continue;
		fprintf(f, "%s{\"strategy\":\"%s\",\"unshare_sync\":\"%s\",\"seconds\":%.6f,"
			"\"unshares\":%" PRIu64 ",\"full_unshares\":%" PRIu64 ",\"syncs\":%" PRIu64
			",\"upstream_syncs\":%" PRIu64 ",\"sync_ns\":%" PRIu64 ",\"bystander_sync_ipis\":%"
			PRIu64 ",\"bystander_tlb_ipis\":%" PRIu64 ",\"sync_ipis_per_bystander_per_fork\":%.6f,"
			"\"ipis_sent\":%" PRIu64 ",\"ipis_received\":%" PRIu64 ",\"bystander_noise_ns\":%"
			PRIu64 ",\"bystander_noise_ns_per_s\":%.1f,"
			"\"leaked_objects\":%d}", n++ ? "," : "", res->ops->name,
			unshare_sync_name(res->mode), res->seconds, res->unshares, res->full_unshares,
			res->syncs, res->upstream, res->sync_ns, res->bystander_sync_ipis,
			res->bystander_tlb_ipis,
			fs_per(res->bystander_sync_ipis, (double)(res->nr_bystanders ? res->nr_bystanders : 1) *
			       cfg->forks), res->ipis_sent, res->ipis_received,
			res->noise.gaps.sum, noise_ns_per_s(&res->noise), res->leaked);
	}
	fprintf(f, "]}\n");
}

int fork_storm(const struct fork_storm_config *cfg)
{
	struct fork_storm_report *r = calloc(1, sizeof(*r));
	struct sigaction sa = { .sa_handler = fs_sigint }, old;
	int status = 0;

	if (!r)
		ptsync_die("out of memory");
	r->cfg = *cfg;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	/* Interleaved: per-gather and per-unshare of one strategy together. */
	for (int i = 0; i < cfg->nr_ops && !fs_interrupted; i++) {
		for (int m = 0; m < NR_UNSHARE_SYNC_MODES && !fs_interrupted; m++) {
			struct fork_storm_result *res = &r->res[r->nr_res++];

			res->ops = cfg->ops[i];
			res->mode = m;
			if (!(cfg->modes & (1u << m)) ||
			    (cfg->preset[i] && cfg->preset[i]->unshare_sync != m))
				continue;
			if (cfg->progress && isatty(STDERR_FILENO))
				fprintf(stderr, "[fork-storm] %s %s\n", res->ops->name,
					unshare_sync_name(m));
			status |= fs_run_one(cfg, res);
			res->ran = true;
		}
	}
	sigaction(SIGINT, &old, NULL);
	r->partial = fs_interrupted;
	if (cfg->json)
		fs_json(stdout, r);
	else
		fs_print(stdout, r);
	fflush(stdout);
	if (r->partial)
		status = 130;
	free(r);
	return status;
}
