// SPDX-License-Identifier: MIT
/*
 * torture --sweep: blind detection, rcutorture's randomised runs applied to
 * page-table freeing.
 *
 * Why: each bug in the strategies shows only under some setting of the
 * race-widening knobs (a store->load bug needs the store-buffer window and
 * a walker that enters during it; an EQS bug needs walkers coming from user
 * mode; a PV bug needs preempted vCPUs), and someone testing a new strategy
 * does not know which.  So the sweep changes all of them every interval and
 * needs nobody to name one.
 *
 * Design: each interval is a run of its own (set up, run, stopped, checked),
 * with every knob drawn anew from the sweep's seed, so knobs that need a
 * restart (mms, call sites, khugepaged CPUs, nohz_full, TLB mode, arch) are
 * drawn per interval like the rest, and the interval that fails is exactly
 * repeatable on its own: its settings are printed as a `repeat:` line, a
 * plain torture command line.  The CPU count and roles other than
 * khugepaged are the sweep's own (--cpus): the host decides those; the
 * arenas are capped to what the largest draw needs, so that setting up an
 * interval costs little.  Intervals are short (0.25 s by default):
 * a bug shows within milliseconds once the draw is right, so what finds it
 * is the number of draws (`EXTRA=--sweep-interval=1 make bench-detect`
 * measures what 1 s intervals lose).  The sweep stops at the first
 * interval that fails.
 *
 * The draws lean where more executions are allowed, never toward a known
 * bug: no knob is drawn at a value that turns its widening off (no walk
 * delay at all, no walker from user mode, the fallback rare), since each
 * of those only removes executions; the store-buffer window is the
 * exception, shut one interval in four, because it is not free: every
 * fence and locked operation of the freer waits out the oldest buffered
 * store, so a window cuts the freer's unshares, collapses and fallbacks
 * several-fold (bench/sb_window_cost.sh), and a race that needs many
 * freer events meets too few of them;
 * --arch=weak three times in four (an x86 or arm64 flush only adds a
 * barrier, so it removes executions: those intervals are there to check
 * what `ptsync list` says they hide), and invlpgb twice as
 * likely as each IPI mode, where the strategy has it (a flush that
 * interrupts nobody waits for nobody).  Everything else is uniform over the
 * values below, which cover each knob's range.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptsync/hugetlb.h"
#include "ptsync/torture.h"

const char *const torture_sweep_knobs[] = {
	"tlb", "arch", "walk-delay", "walk-delay-ns", "sb-window-ns", "user-chance",
	"batch-fail", "mms", "callsite", "collapse-rate", "khugepaged", "unshare-sync",
	"shared-regions", "nohz-full", "preempt-chance", "regions", NULL,
};

/* 0: the window shut, a fast freer (see above). */
static const uint64_t sweep_windows[] = { 0, 5000, 20000, 50000 };
static const double sweep_user[] = { 0.25, 0.5, 1 };
static const double sweep_batch_fail[] = { 0.5, 1 };
static const unsigned int sweep_collapse_rate[] = { 100, 1000, 10000 };
static const unsigned int sweep_shared[] = { 1, 4, 16 };
static const double sweep_preempt[] = { 0.001, 0.01, 0.05 };
/* Fewer regions per mm: walkers and freers meet in the same tables. */
static const unsigned int sweep_regions[] = { 1, 2, 4, 8 };
/* IRQs-off delays inside a walk: the default random mix (mostly none), a
 * denser one, and fixed microseconds (a walker still inside when the free
 * lands).  A delay only widens a race, so "none at all" is not drawn. */
static const char *const sweep_delays[] = {
	"random", "random:0.2,0", "1us", "5us", "20us", "50us",
};

#define SWEEP_PT_PAGES	16384
#define SWEEP_FOLIOS	65536

#define PICK(r, a)	((a)[prandom_below((r), ARRAY_SIZE(a))])

static int draw_tlb_mode(struct prandom *r, unsigned int modes)
{
	int pool[2 * NR_TLB_MODES], n = 0;

	for (int m = 0; m < NR_TLB_MODES; m++) {
		if (!(modes & TLB_MODE_BIT(m)))
			continue;
		pool[n++] = m;
		if (m == TLB_INVLPGB)
			pool[n++] = m;	/* twice as likely: see above */
	}
	return pool[prandom_below(r, (uint64_t)n)];
}

static int draw_arch(struct prandom *r)
{
	uint64_t x = prandom_below(r, 8);

	return x < 6 ? ARCH_WEAK : x == 6 ? ARCH_X86 : ARCH_ARM64;
}

static struct walk_delay draw_walk_delay(struct prandom *r)
{
	const char *d = PICK(r, sweep_delays);

	if (!strncmp(d, "random", 6))
		return (struct walk_delay){ .mode = WALK_DELAY_RANDOM,
			.p_us = d[6] ? 0.2 : WALK_DELAY_P_US,
			.p_ticks = d[6] ? 0 : WALK_DELAY_P_TICKS };
	return (struct walk_delay){ .mode = WALK_DELAY_FIXED,
		.ns = strtoull(d, NULL, 10) * NSEC_PER_USEC };
}

/* Call sites: all of them half the time, else any non-empty subset. */
static unsigned int draw_callsites(struct prandom *r)
{
	unsigned int sites;

	if (prandom_below(r, 2))
		return CALLSITES_ALL;
	do
		sites = (unsigned int)prandom_below(r, CALLSITES_ALL + 1);
	while (!sites);
	return sites;
}

/*
 * nohz_full: off a quarter of the time (context tracking off, every CPU in
 * user mode IPI'd as the kernel does), else each CPU but the freers' drawn
 * in three times in four, walkers too: only there is user mode tracked, so
 * only there can a strategy that reads the context (eqs) misread it - a
 * widening, drawn as often as the others.
 */
static void draw_nohz_full(struct ptsync_config *cfg, struct prandom *r)
{
	memset(cfg->nohz_full_mask, 0, sizeof(cfg->nohz_full_mask));
	cfg->nohz_full = cfg->nohz_full_list = false;
	if (cfg->nr_cpus <= cfg->nr_freers || !prandom_below(r, 4))
		return;
	for (bool any = false; !any;)
		for (int cpu = cfg->nr_freers; cpu < cfg->nr_cpus; cpu++)
			if (prandom_below(r, 4)) {
				cfg->nohz_full_mask[cpu / 64] |= 1ull << (cpu % 64);
				any = true;
			}
	cfg->nohz_full = cfg->nohz_full_list = true;
}

/* One interval's settings: @base with every swept knob drawn from @r. */
static void sweep_draw(struct ptsync_config *cfg, const struct ptsync_config *base,
		       struct prandom *r)
{
	int left;

	*cfg = *base;
	cfg->seed = prandom_u64(r);
	cfg->tlb_mode = draw_tlb_mode(r, base->ops->tlb_modes);
	cfg->arch = draw_arch(r);
	cfg->walk_delay = draw_walk_delay(r);
	cfg->sb_window_ns = PICK(r, sweep_windows);
	cfg->user_chance = PICK(r, sweep_user);
	/* Two mms at least (one shares no hugetlb table), three in four
	 * times three: a table unshared by one mm and still held by two is
	 * where an mm-only sync misses a walker. */
	cfg->nr_mms = prandom_below(r, 4) ? 3 : 2;
	cfg->regions = PICK(r, sweep_regions);
	cfg->callsites = draw_callsites(r);
	cfg->batch_fail = cfg->callsites & CALLSITE_BIT(CALLSITE_FALLBACK) ?
			  PICK(r, sweep_batch_fail) : 0;
	cfg->collapse_rate = PICK(r, sweep_collapse_rate);
	/* Per gather (mainline's rule, and the one that leaves a table
	 * unsynced longest) three times in four, per unshare else. */
	cfg->unshare_sync = prandom_below(r, 4) ? UNSHARE_SYNC_PER_GATHER : UNSHARE_SYNC_PER_UNSHARE;
	cfg->shared_regions = PICK(r, sweep_shared);
	cfg->preempt_chance = PICK(r, sweep_preempt);
	draw_nohz_full(cfg, r);
	/* khugepaged CPUs out of the walkers' share, as torture's default:
	 * one if collapse is driven and two walkers remain. */
	left = base->nr_walkers + base->nr_khugepaged;
	cfg->nr_khugepaged = (cfg->callsites & CALLSITE_BIT(CALLSITE_COLLAPSE)) &&
			     left >= 3 && prandom_below(r, 2) ? 1 : 0;
	cfg->nr_walkers = left - cfg->nr_khugepaged;
	cfg->progress = false;
	/* The arenas sized to the largest draw (3 mms of 8 regions, 16 GiB
	 * of hugetlb): setting up 256 MiB of page-table pages each interval
	 * would take a fifth of a second from the torture. */
	if (cfg->pt_pages > SWEEP_PT_PAGES)
		cfg->pt_pages = SWEEP_PT_PAGES;
	if (cfg->folios > SWEEP_FOLIOS)
		cfg->folios = SWEEP_FOLIOS;
}

struct sweep_totals {
	unsigned int intervals;
	uint64_t walks, fallbacks, collapses, unshares, violations, leaked;
	double seconds;			/* tortured, all intervals */
	double first_s;			/* since the sweep began; -1: none */
	bool ipi_mismatch;
};

static void sweep_add(struct sweep_totals *s, const struct torture_outcome *o)
{
	s->intervals++;
	s->walks += o->walks;
	s->fallbacks += o->fallbacks;
	s->collapses += o->site_events[CALLSITE_COLLAPSE];
	s->unshares += o->site_events[CALLSITE_UNSHARE];
	s->violations += o->violations;
	s->leaked += o->leaked;
	s->seconds += o->seconds;
	s->ipi_mismatch |= o->ipis_sent != o->ipis_received;
}

static void sweep_print_json(const struct ptsync_config *cfg, double interval_s,
			     const struct sweep_totals *s, const char *repeat, bool ok)
{
	printf("{\"strategy\":\"%s\",\"sweep\":true,\"sweep_interval_s\":%g,\"seed\":%" PRIu64
	       ",\"cpus\":%d,\"intervals\":%u,\"duration_s\":%.3f,\"walks\":%" PRIu64
	       ",\"fallbacks\":%" PRIu64 ",\"collapses\":%" PRIu64 ",\"unshares\":%" PRIu64
	       ",\"violations\":%" PRIu64 ",\"first_violation_s\":%.6f,\"leaked_objects\":%"
	       PRIu64 ",\"ipis_match\":%s,\"result\":\"%s\",\"repeat\":\"",
	       cfg->ops->name, interval_s, cfg->seed, cfg->nr_cpus, s->intervals, s->seconds,
	       s->walks, s->fallbacks, s->collapses, s->unshares, s->violations, s->first_s,
	       s->leaked, s->ipi_mismatch ? "false" : "true", ok ? "SUCCESS" : "FAILURE");
	for (const char *p = repeat ? repeat : ""; *p && *p != '\n'; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar(*p);
	}
	printf("\"}\n");
}

int ptsync_torture_sweep(const struct ptsync_config *base, double interval_s, bool json)
{
	FILE *out = json ? stderr : stdout;
	struct sweep_totals s = { .first_s = -1 };
	uint64_t start = ktime_get_ns(), end = start + (uint64_t)(base->duration_s * NSEC_PER_SEC);
	char *repeat = NULL;
	struct prandom r;
	bool ok = true;

	prandom_seed(&r, base->seed, 0x5eed);
	fprintf(out, "ptsync torture sweep: strategy=%s cpus=%d interval=%gs duration=%gs "
		"seed=%" PRIu64 "\n", base->ops->name, base->nr_cpus, interval_s,
		base->duration_s, base->seed);
	while (ok && ktime_get_ns() < end) {
		struct ptsync_config cfg;
		struct torture_outcome o = { .describe = true };
		double at = (double)(ktime_get_ns() - start) / NSEC_PER_SEC;

		sweep_draw(&cfg, base, &r);
		cfg.duration_s = interval_s;
		torture_quiet(&cfg, &o);
		sweep_add(&s, &o);
		ok = !o.violations && !o.leaked && o.ipis_sent == o.ipis_received;
		fprintf(out, "%s", o.params ? o.params : "");
		fprintf(out, "ptsync torture sweep: interval %u at %.2fs: walks %" PRIu64
			" fallbacks %" PRIu64 " collapses %" PRIu64 " unshares %" PRIu64
			" violations %" PRIu64 " leaked %" PRIu64 "%s\n", s.intervals, at,
			o.walks, o.fallbacks, o.site_events[CALLSITE_COLLAPSE],
			o.site_events[CALLSITE_UNSHARE], o.violations, o.leaked, ok ? "" : " !!!");
		if (!ok) {
			if (o.violations)
				s.first_s = at + o.first_violation_s;
			repeat = o.repeat;
			o.repeat = NULL;
		}
		free(o.params);
		free(o.repeat);
	}
	if (json)
		sweep_print_json(base, interval_s, &s, repeat, ok);
	else
		printf("ptsync torture sweep stats: %u intervals, %.2f s tortured: walks %" PRIu64
		       " fallbacks %" PRIu64 " collapses %" PRIu64 " unshares %" PRIu64
		       " violations %" PRIu64 " leaked %" PRIu64 "%s\n", s.intervals, s.seconds,
		       s.walks, s.fallbacks, s.collapses, s.unshares, s.violations, s.leaked,
		       s.ipi_mismatch ? " ipis sent != received !!!" : "");
	if (s.first_s >= 0)
		fprintf(out, "ptsync torture sweep: first violation after %.3f s, in interval %u\n",
			s.first_s, s.intervals);
	if (repeat) {	/* "ptsync torture repeat: ptsync torture ..." */
		fprintf(out, "%s", repeat);
		if (json)
			fflush(stderr);
	}
	if (!json)
		printf("ptsync torture: --- End of test: %s\n", ok ? "SUCCESS" : "FAILURE");
	free(repeat);
	return ok ? TORTURE_SUCCESS : TORTURE_FAILURE;
}
