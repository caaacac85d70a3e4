// SPDX-License-Identifier: MIT
/*
 * ptsync: the command-line front end.  Parses and checks options, then
 * hands a config to the library.  Every bad value gets one line naming the
 * option and what it accepts, and exit status 2.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "fork_storm.h"
#include "ptsync/hugetlb.h"
#include "ptsync/run.h"
#include "ptsync/torture.h"
#include "ptsync/trace.h"

#include "opts.h"

/* The Makefile passes `git describe --always --dirty`; this when no git. */
#ifndef PTSYNC_VERSION
#define PTSYNC_VERSION "0.1"
#endif

int cmd_hostcheck(int argc, char **argv);	/* tools/hostcheck_cmd.c */
static const char *trace_path;			/* --trace=FILE */
#define TRACE_RECORDS_PER_CPU	(1u << 18)
int cmd_scale(int argc, char **argv);		/* tools/scale.c */
int cmd_recommend(int argc, char **argv);	/* tools/recommend.c */
int cmd_trace_plot(int argc, char **argv);	/* tools/trace_plot.c */

enum {
	OPT_STRATEGY = 256, OPT_CPUS, OPT_FREERS, OPT_WALKERS, OPT_BYSTANDERS,
	OPT_MMS, OPT_HZ, OPT_BATCH_FAIL, OPT_BATCH_POOL, OPT_WALK_DELAY,
	OPT_DURATION, OPT_STALL, OPT_SEED, OPT_WALK_PAGES, OPT_REGIONS,
	OPT_PT_PAGES, OPT_FOLIOS, OPT_HUGE, OPT_EXIT, OPT_NO_PIN, OPT_JSON,
	OPT_NO_PROGRESS, OPT_HELP, OPT_WALK_DELAY_SPEC, OPT_TLB, OPT_NOHZ_FULL,
	OPT_PREEMPT, OPT_PREEMPT_US, OPT_USER_CHANCE, OPT_SB_WINDOW, OPT_TRACE,
	OPT_CALLSITE, OPT_KHUGEPAGED, OPT_COLLAPSE_RATE, OPT_UNSHARE_SYNC,
	OPT_SHARED_REGIONS,
	/* compare only */
	OPT_STRATEGIES, OPT_REPS, OPT_PHASE_S, OPT_WALK_S, OPT_SAFETY_S,
	OPT_HOSTCHECK_S, OPT_NO_HOSTCHECK, OPT_NOISE, OPT_NOISE_THRESHOLD,
	OPT_TIMERLAT_PERIOD, OPT_OUT, OPT_NO_PLOTS, OPT_RATE, OPT_RATE_S, OPT_SITE_S,
};

static const struct option torture_options[] = {
	{ "strategy",      required_argument, NULL, OPT_STRATEGY },
	{ "cpus",          required_argument, NULL, OPT_CPUS },
	{ "freers",        required_argument, NULL, OPT_FREERS },
	{ "walkers",       required_argument, NULL, OPT_WALKERS },
	{ "bystanders",    required_argument, NULL, OPT_BYSTANDERS },
	{ "mms",           required_argument, NULL, OPT_MMS },
	{ "hz",            required_argument, NULL, OPT_HZ },
	{ "batch-fail",    required_argument, NULL, OPT_BATCH_FAIL },
	{ "batch-pool",    required_argument, NULL, OPT_BATCH_POOL },
	{ "walk-delay-ns", required_argument, NULL, OPT_WALK_DELAY },
	{ "walk-delay",    required_argument, NULL, OPT_WALK_DELAY_SPEC },
	{ "tlb",           required_argument, NULL, OPT_TLB },
	{ "nohz-full",     no_argument,       NULL, OPT_NOHZ_FULL },
	{ "preempt-chance", required_argument, NULL, OPT_PREEMPT },
	{ "preempt-us",    required_argument, NULL, OPT_PREEMPT_US },
	{ "user-chance",   required_argument, NULL, OPT_USER_CHANCE },
	{ "sb-window-ns",  required_argument, NULL, OPT_SB_WINDOW },
	{ "callsite",      required_argument, NULL, OPT_CALLSITE },
	{ "khugepaged",    required_argument, NULL, OPT_KHUGEPAGED },
	{ "collapse-rate", required_argument, NULL, OPT_COLLAPSE_RATE },
	{ "unshare-sync",  required_argument, NULL, OPT_UNSHARE_SYNC },
	{ "shared-regions", required_argument, NULL, OPT_SHARED_REGIONS },
	{ "duration",      required_argument, NULL, OPT_DURATION },
	{ "stall-timeout", required_argument, NULL, OPT_STALL },
	{ "seed",          required_argument, NULL, OPT_SEED },
	{ "walk-pages",    required_argument, NULL, OPT_WALK_PAGES },
	{ "regions",       required_argument, NULL, OPT_REGIONS },
	{ "pt-pages",      required_argument, NULL, OPT_PT_PAGES },
	{ "folios",        required_argument, NULL, OPT_FOLIOS },
	{ "huge-chance",   required_argument, NULL, OPT_HUGE },
	{ "exit-chance",   required_argument, NULL, OPT_EXIT },
	{ "no-pin",        no_argument,       NULL, OPT_NO_PIN },
	{ "json",          no_argument,       NULL, OPT_JSON },
	{ "no-progress",   no_argument,       NULL, OPT_NO_PROGRESS },
	{ "help",          no_argument,       NULL, OPT_HELP },
	{ "trace",         required_argument, NULL, OPT_TRACE },
	{ NULL, 0, NULL, 0 },
};

static const struct option compare_only_options[] = {
	{ "strategies",        required_argument, NULL, OPT_STRATEGIES },
	{ "reps",              required_argument, NULL, OPT_REPS },
	{ "phase-seconds",     required_argument, NULL, OPT_PHASE_S },
	{ "walk-seconds",      required_argument, NULL, OPT_WALK_S },
	{ "safety-seconds",    required_argument, NULL, OPT_SAFETY_S },
	{ "hostcheck-seconds", required_argument, NULL, OPT_HOSTCHECK_S },
	{ "no-hostcheck",      no_argument,       NULL, OPT_NO_HOSTCHECK },
	{ "noise",             required_argument, NULL, OPT_NOISE },
	{ "noise-threshold-ns", required_argument, NULL, OPT_NOISE_THRESHOLD },
	{ "timerlat-period-us", required_argument, NULL, OPT_TIMERLAT_PERIOD },
	{ "out",               required_argument, NULL, OPT_OUT },
	{ "no-plots",          no_argument,       NULL, OPT_NO_PLOTS },
	{ "rate",              required_argument, NULL, OPT_RATE },
	{ "rate-seconds",      required_argument, NULL, OPT_RATE_S },
	{ "site-seconds",      required_argument, NULL, OPT_SITE_S },
	{ NULL, 0, NULL, 0 },
};

static void print_compare_usage(FILE *f)
{
	fprintf(f,
"usage: ptsync compare [options]  every strategy side by side: cost to the freer,\n"
"                                 the walkers and the bystanders, plus hostcheck\n"
"  --strategies=LIST     comma-separated, besides the no-sync baseline [every safe one]\n"
"  --reps=N              repetitions, interleaved A B C A B C, 1..100 [3]\n"
"  --phase-seconds=S     cost phase per strategy per repetition [3]\n"
"  --walk-seconds=S      walk timing per strategy per repetition [0.5]\n"
"  --safety-seconds=S    torture per strategy, 0 to skip [2]\n"
"  --hostcheck-seconds=S membarrier(2) timing per mode [1]; --no-hostcheck\n"
"  --rate=N[/s]          rate-matched phase: the freer open-loop at N fallbacks/s,\n"
"                        >0 and at most 1000000 [100]\n"
"  --rate-seconds=S      rate-matched phase per meter (osnoise, then timerlat) per\n"
"                        strategy per repetition, 0 to skip [phase-seconds / 3]\n"
"  --noise=MODE          bystander meter: osnoise or timerlat [osnoise]\n"
"  --noise-threshold-ns=N  osnoise: smallest gap counted [1000]\n"
"  --timerlat-period-us=N  timerlat: wakeup period [1000]\n"
"  --out=DIR             where files go [ptsync-results/<timestamp>]\n"
"  --no-plots            write the data and plots.gp, do not run gnuplot\n"
"  --cpus=N              simulated CPUs [host cores; more only if asked]\n"
"  --walkers=N --bystanders=N --freers=N   roles [1 walker from 3 CPUs up,\n"
"                        1 freer, the rest bystanders]\n"
"  --callsite=LIST       call sites, each its own cost phase: fallback,\n"
"                        collapse, unshare [all]\n"
"  --site-seconds=S      cost phase of collapse and of unshare (each mode) per\n"
"                        strategy per repetition [phase-seconds / 6]\n"
"  --unshare-sync=MODE   per-gather or per-unshare [both, one phase each]\n"
"  --shared-regions=N    1 GiB hugetlb regions the unshare phase unmaps [4]\n"
"  --hz, --batch-fail [1], --batch-pool, --seed, --no-pin, --no-progress:\n"
"                        as for torture\n");
}

static void print_usage(FILE *f)
{
	char names[256];

	fprintf(f,
"usage: ptsync compare [options]     the main job: every strategy side by side (--help)\n"
"       ptsync torture [options]     torture-test one sync strategy\n"
"       ptsync list [--tsv]          the sync strategies, safe or not, TLB modes\n"
"       ptsync fork-storm [options]  forks sharing hugetlb tables, children exit (--help)\n"
"       ptsync hostcheck [options]   time membarrier(2) on this kernel (--help)\n"
"       ptsync scale [options]       project the costs to 16-1024 CPUs (--help)\n"
"       ptsync recommend [options]   which strategy wins where (--help)\n"
"       ptsync trace-plot [opts] F   per-CPU timeline from a --trace file (--help)\n"
"       ptsync --version             the build's version (git describe)\n"
"\n"
"torture options (defaults in brackets):\n"
"  --strategy=NAME       %s [rcu]\n"
"  --cpus=N              simulated CPUs, 2..%d [host cores: more hides races]\n"
"  --freers=N            CPUs that map/unmap/exit [1]\n"
"  --bystanders=N        CPUs running another mm in user mode [1, 0 if cpus<3]\n"
"  --walkers=N           CPUs running GUP-fast [the rest]\n"
"  --mms=N               address spaces the freers and walkers share, 1..64 [2]\n"
"  --hz=N                RCU tick: quiescent states at most N/s, 1..10000 [250]\n"
"  --batch-fail=P        chance a batch allocation fails, 0..1 [0.1]\n"
"  --batch-pool=N        batch pages in the GFP_NOWAIT pool, 0..65536 [64]\n"
"  --walk-delay=SPEC     IRQs-off spin inside each walk: N[ns|us|ms] every walk,\n"
"                        random (mostly none, 1%% up to 50 us, rarely 1-4 ticks),\n"
"                        random:P_US,P_TICKS [0]; --walk-delay-ns=N as before\n"
"  --tlb=MODE            TLB flush: invlpgb (no IPI), native (x86: IPI mm_cpumask,\n"
"                        lazy CPUs when tables are freed), pv (KVM: skips\n"
"                        preempted vCPUs) [the strategy's first; see list]\n"
"  --nohz-full           bystanders' user mode takes no tick: an RCU EQS\n"
"  --preempt-chance=P    pv: chance a walk's vCPU is preempted mid-walk [0.001]\n"
"  --preempt-us=N        ... for N us [200]\n"
"  --user-chance=P       chance a walker comes from user mode (EQS) [0.25]\n"
"  --sb-window-ns=N      hold the freer's unhooks N ns in an emulated store\n"
"                        buffer; fences wait for them, loads pass [0: off]\n"
"  --callsite=LIST       call sites to drive: fallback (no batch page),\n"
"                        collapse (khugepaged), unshare (hugetlb PMD sharing)\n"
"                        [fallback,collapse,unshare]\n"
"  --khugepaged=N        CPUs collapsing, taken from the walkers' share [1 if\n"
"                        that leaves 2 walkers, else 0: the freers collapse]\n"
"  --collapse-rate=N     collapses a second per khugepaged CPU, 1..100000 [1000]\n"
"  --unshare-sync=MODE   per-gather (since Dec 2025) or per-unshare [per-gather]\n"
"  --shared-regions=N    1 GiB hugetlb regions every mm shares, 1..%u [4]\n"
"  --duration=S          seconds to run, >0 [10]\n"
"  --stall-timeout=S     watchdog: a wait longer than this is a stall [10]\n"
"  --seed=N              workload seed [from the clock; printed]\n"
"  --walk-pages=N        most pages per gup_fast, 1..64 [16]\n"
"  --regions=N           2 MiB regions per mm, 1..128 [8]\n"
"  --pt-pages=N          page-table arena, in pages [65536]\n"
"  --folios=N            user folio arena [262144]\n"
"  --huge-chance=P       chance a map is a 2 MiB PMD leaf, 0..1 [0.1]\n"
"  --exit-chance=P       chance a freer job exits its mm, 0..1 [0.01]\n"
"  --no-pin              do not pin CPU threads to host cores\n"
"  --json                print the summary as one JSON object\n"
"  --trace=FILE          Chrome trace-event JSON of every CPU (Perfetto)\n"
"  --no-progress         no per-second lines on stderr\n"
"\n"
"exit status: 0 no violation, 1 violations or leaks, 2 bad usage,\n"
"             3 watchdog stall, 4 internal error\n",
		pt_sync_ops_names(names, sizeof(names)), NR_CPUS, TORTURE_MAX_SHARED);
}

struct role_opts {
	int freers, walkers, bystanders, khugepaged;	/* -1: not given */
	bool batch_fail, unshare_sync;			/* given */
};

#define ROLE_OPTS_NONE	{ -1, -1, -1, -1, false, false }

/*
 * khugepaged CPUs come out of the walkers' share: by default one, if two
 * walkers remain; none otherwise (the freers then collapse in turn).
 */
static int resolve_khugepaged(const struct ptsync_config *cfg, const struct role_opts *r,
			      int left)
{
	bool collapse = cfg->callsites & CALLSITE_BIT(CALLSITE_COLLAPSE);

	if (r->khugepaged < 0)
		return collapse && left >= 3 ? 1 : 0;
	if (r->khugepaged > 0 && !collapse)
		usage_error("--khugepaged: %d CPUs, but the collapse call site is not in "
			    "--callsite", r->khugepaged);
	if (r->khugepaged > left - 1)
		usage_error("--khugepaged: %d CPUs, but freers %d and bystanders %d leave "
			    "%d, and one must walk: at most %d", r->khugepaged,
			    cfg->nr_freers, cfg->nr_bystanders, left, left - 1 > 0 ? left - 1 : 0);
	return r->khugepaged;
}

static void resolve_roles(struct ptsync_config *cfg, const struct role_opts *r)
{
	int left;

	cfg->nr_freers = r->freers >= 0 ? r->freers : 1;
	cfg->nr_bystanders = r->bystanders >= 0 ? r->bystanders :
			     (cfg->nr_cpus >= 3 ? 1 : 0);
	left = cfg->nr_cpus - cfg->nr_freers - cfg->nr_bystanders;
	cfg->nr_khugepaged = resolve_khugepaged(cfg, r, left);
	cfg->nr_walkers = r->walkers >= 0 ? r->walkers : left - cfg->nr_khugepaged;
	if (cfg->nr_walkers < 1)
		usage_error("--cpus: %d CPUs leave no walker (freers %d + bystanders %d + "
			    "khugepaged %d); give more CPUs or fewer of the others",
			    cfg->nr_cpus, cfg->nr_freers, cfg->nr_bystanders,
			    cfg->nr_khugepaged);
	if (cfg->nr_freers + cfg->nr_walkers + cfg->nr_bystanders + cfg->nr_khugepaged !=
	    cfg->nr_cpus)
		usage_error("--cpus: %d CPUs, but freers %d + walkers %d + bystanders %d + "
			    "khugepaged %d = %d", cfg->nr_cpus, cfg->nr_freers, cfg->nr_walkers,
			    cfg->nr_bystanders, cfg->nr_khugepaged,
			    cfg->nr_freers + cfg->nr_walkers + cfg->nr_bystanders +
			    cfg->nr_khugepaged);
}

/* "fallback,collapse": at least one, each known. */
static unsigned int parse_callsites(const char *arg)
{
	char buf[256], *save = NULL;
	unsigned int sites = 0;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int s = callsite_find(tok);

		if (s == CALLSITE_NONE)
			usage_error("--callsite: unknown call site '%s'; valid: fallback, "
				    "collapse, unshare", tok);
		sites |= CALLSITE_BIT(s);
	}
	if (!sites)
		usage_error("--callsite: expected a comma-separated list of fallback, "
			    "collapse, unshare, got '%s'", arg);
	return sites;
}

/*
 * Options that only mean something at a call site: batch failures feed
 * the fallback, so without it none are injected (and none may be asked).
 */
static void resolve_callsites(struct ptsync_config *cfg, const struct role_opts *r)
{
	char sites[64];

	if (cfg->callsites & CALLSITE_BIT(CALLSITE_FALLBACK))
		return;
	if (r->batch_fail && cfg->batch_fail > 0)
		usage_error("--batch-fail: %g, but the fallback call site is not in --callsite=%s",
			    cfg->batch_fail, callsites_str(cfg->callsites, sites, sizeof(sites)));
	cfg->batch_fail = 0;
}

/*
 * --walk-delay: "N" or "N<ns|us|ms>" on every walk, "random" for the
 * default mix, "random:P_US,P_TICKS" to choose the chances of a
 * microseconds-long and of a ticks-long IRQs-off delay.
 */
static void parse_walk_delay(struct walk_delay *d, const char *arg)
{
	static const char *const what = "--walk-delay: expected N[ns|us|ms], random or "
		"random:P_US,P_TICKS (chances 0..1, summing to at most 1), got '%s'";
	char *end;

	if (!strncmp(arg, "random", 6)) {
		*d = (struct walk_delay){ .mode = WALK_DELAY_RANDOM,
			.p_us = WALK_DELAY_P_US, .p_ticks = WALK_DELAY_P_TICKS };
		if (!arg[6])
			return;
		if (arg[6] != ':')
			usage_error(what, arg);
		errno = 0;
		d->p_us = strtod(arg + 7, &end);
		if (errno || end == arg + 7 || *end != ',')
			usage_error(what, arg);
		d->p_ticks = strtod(end + 1, &end);
		if (errno || *end || !(d->p_us >= 0 && d->p_ticks >= 0 &&
				       d->p_us + d->p_ticks <= 1))
			usage_error(what, arg);
		return;
	}
	errno = 0;
	double v = strtod(arg, &end);
	double scale = !*end || !strcmp(end, "ns") ? 1 : !strcmp(end, "us") ? 1e3 :
		       !strcmp(end, "ms") ? 1e6 : -1;

	if (errno || end == arg || scale < 0 || !(v >= 0) || v * scale > 1e9)
		usage_error(what, arg);
	*d = (struct walk_delay){ .mode = WALK_DELAY_FIXED, .ns = (uint64_t)(v * scale) };
}

static void parse_torture_opt(struct ptsync_config *cfg, struct role_opts *r,
			      int opt, const char *arg, bool *json)
{
	const char *name = NULL;
	char names[256];

	for (const struct option *o = torture_options; o->name; o++)
		if (o->val == opt)
			name = o->name;
	switch (opt) {
	case OPT_STRATEGY:
		cfg->ops = pt_sync_ops_find(arg);
		if (!cfg->ops)
			usage_error("--strategy: unknown strategy '%s'; valid: %s", arg,
				    pt_sync_ops_names(names, sizeof(names)));
		break;
	case OPT_CPUS:	cfg->nr_cpus = (int)parse_int(name, arg, 2, NR_CPUS); break;
	case OPT_FREERS: r->freers = (int)parse_int(name, arg, 1, NR_CPUS); break;
	case OPT_WALKERS: r->walkers = (int)parse_int(name, arg, 1, NR_CPUS); break;
	case OPT_BYSTANDERS: r->bystanders = (int)parse_int(name, arg, 0, NR_CPUS); break;
	case OPT_MMS:	cfg->nr_mms = (int)parse_int(name, arg, 1, 64); break;
	case OPT_HZ:	cfg->hz = (int)parse_int(name, arg, 1, 10000); break;
	case OPT_BATCH_FAIL:
		cfg->batch_fail = parse_double(name, arg, 0, 1, false);
		r->batch_fail = true;
		break;
	case OPT_BATCH_POOL: cfg->batch_pool = (unsigned int)parse_int(name, arg, 0, 65536); break;
	case OPT_WALK_DELAY:
		cfg->walk_delay = (struct walk_delay){
			.ns = (uint64_t)parse_int(name, arg, 0, 1000000000) };
		break;
	case OPT_WALK_DELAY_SPEC: parse_walk_delay(&cfg->walk_delay, arg); break;
	case OPT_TLB:
		cfg->tlb_mode = tlb_mode_find(arg);
		if (cfg->tlb_mode < 0)
			usage_error("--tlb: expected invlpgb, native or pv, got '%s'", arg);
		break;
	case OPT_NOHZ_FULL: cfg->nohz_full = true; break;
	case OPT_PREEMPT: cfg->preempt_chance = parse_double(name, arg, 0, 1, false); break;
	case OPT_PREEMPT_US:
		cfg->preempt_ns = (uint64_t)parse_int(name, arg, 1, 1000000) * NSEC_PER_USEC;
		break;
	case OPT_USER_CHANCE: cfg->user_chance = parse_double(name, arg, 0, 1, false); break;
	case OPT_SB_WINDOW:
		cfg->sb_window_ns = (uint64_t)parse_int(name, arg, 0, 10000000);
		break;
	case OPT_CALLSITE: cfg->callsites = parse_callsites(arg); break;
	case OPT_KHUGEPAGED: r->khugepaged = (int)parse_int(name, arg, 0, NR_CPUS); break;
	case OPT_COLLAPSE_RATE:
		cfg->collapse_rate = (unsigned int)parse_int(name, arg, 1, 100000);
		break;
	case OPT_UNSHARE_SYNC:
		r->unshare_sync = true;
		cfg->unshare_sync = unshare_sync_find(arg);
		if (cfg->unshare_sync < 0)
			usage_error("--unshare-sync: expected per-gather or per-unshare, got '%s'", arg);
		break;
	case OPT_SHARED_REGIONS:
		cfg->shared_regions = (unsigned int)parse_int(name, arg, 1, TORTURE_MAX_SHARED);
		break;
	case OPT_DURATION: cfg->duration_s = parse_double(name, arg, 0, 86400 * 7, true); break;
	case OPT_STALL:	cfg->stall_timeout_s = parse_double(name, arg, 0, 86400, true); break;
	case OPT_SEED:	cfg->seed = parse_u64(name, arg); break;
	case OPT_WALK_PAGES: cfg->walk_pages = (unsigned int)parse_int(name, arg, 1, 64); break;
	case OPT_REGIONS: cfg->regions = (unsigned int)parse_int(name, arg, 1, 128); break;
	case OPT_PT_PAGES: cfg->pt_pages = (uint32_t)parse_int(name, arg, 64, 1 << 24); break;
	case OPT_FOLIOS: cfg->folios = (uint32_t)parse_int(name, arg, 1024, 1 << 26); break;
	case OPT_HUGE:	cfg->huge_chance = parse_double(name, arg, 0, 1, false); break;
	case OPT_EXIT:	cfg->exit_chance = parse_double(name, arg, 0, 1, false); break;
	case OPT_NO_PIN: cfg->pin = false; break;
	case OPT_JSON:	*json = true; break;
	case OPT_NO_PROGRESS: cfg->progress = false; break;
	case OPT_TRACE:
		if (!*arg)
			usage_error("--trace: expected a file to write the trace to");
		trace_path = arg;
		break;
	}
}

/*
 * --trace=FILE (kernel/trace/trace_events.c): opened before anything
 * runs, so a path that cannot be written is a usage error; buffers for
 * every CPU a run may have (compare's safety phase has at least 4).
 */
static void trace_start(int nr_cpus, int runs)
{
	int err;

	if (!trace_path)
		return;
	err = trace_open(trace_path, nr_cpus < 4 ? 4 : nr_cpus, TRACE_RECORDS_PER_CPU, runs);
	if (err)
		usage_error("--trace: cannot write '%s': %s", trace_path, strerror(-err));
}

static int trace_finish(int rc)
{
	uint64_t dropped = trace_dropped();

	if (!trace_path)
		return rc;
	if (trace_close())
		fprintf(stderr, "ptsync: --trace: writing '%s' failed\n", trace_path);
	else
		fprintf(stderr, "ptsync: trace written to %s (%llu events dropped: buffers full)\n",
			trace_path, (unsigned long long)dropped);
	return rc;
}

/* A strategy with a TLB mode it is not defined for, --nohz-full alone. */
static void check_tlb_mode(const struct pt_sync_ops *ops, int mode)
{
	char modes[64];

	if (mode == TLB_MODE_AUTO || (ops->tlb_modes & TLB_MODE_BIT(mode)))
		return;
	usage_error("--tlb: strategy %s is defined for %s only, not --tlb=%s",
		    ops->name, tlb_modes_str(ops->tlb_modes, modes, sizeof(modes)),
		    tlb_mode_name(mode));
}

static void check_nohz_full(const struct ptsync_config *cfg)
{
	if (cfg->nohz_full && cfg->nr_bystanders < 1)
		usage_error("--nohz-full: it isolates the bystander CPUs, and there are none "
			    "(give --bystanders=N, N >= 1, and CPUs for them)");
}

/* Never more simulated CPUs than host cores, unless asked: oversubscribed
 * CPUs take turns, and races between them hide. */
static int default_nr_cpus(void)
{
	int host = host_nr_cpus();

	return host < 2 ? 2 : host > NR_CPUS ? NR_CPUS : host;
}

static int cmd_torture(int argc, char **argv)
{
	struct ptsync_config cfg;
	struct role_opts roles = ROLE_OPTS_NONE;
	bool json = false, cpus_given = false;
	int opt;

	ptsync_config_default(&cfg);
	cfg.callsites = CALLSITES_ALL;
	cfg.seed = ktime_get_ns() ^ ((uint64_t)getpid() << 32);
	cfg.progress = true;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", torture_options, NULL)) != -1) {
		if (opt == OPT_HELP) {
			print_usage(stdout);
			return 0;
		}
		if (opt == '?')
			usage_bad_option(torture_options, argv[optind - 1], "torture");
		cpus_given |= opt == OPT_CPUS;
		parse_torture_opt(&cfg, &roles, opt, optarg, &json);
	}
	if (optind < argc)
		usage_error("torture: unexpected argument '%s'", argv[optind]);
	if (!cpus_given)
		cfg.nr_cpus = default_nr_cpus();
	resolve_callsites(&cfg, &roles);
	resolve_roles(&cfg, &roles);
	check_tlb_mode(cfg.ops, cfg.tlb_mode);
	check_nohz_full(&cfg);
	trace_start(cfg.nr_cpus, 1);
	return trace_finish(ptsync_torture(&cfg, json));
}

/* "ipi,rcu" -> ops[1..]; ops[0] is always the no-sync baseline. */
static void parse_strategies(struct compare_config *cc, const char *arg)
{
	char buf[256], names[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	cc->nr_ops = 1;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct pt_sync_ops *ops = pt_sync_ops_find(tok);

		if (!ops || ops->baseline)
			usage_error("--strategies: '%s' is not a strategy to compare; valid: %s "
				    "(%s is always run, as the baseline)", tok,
				    pt_sync_ops_names(names, sizeof(names)), cc->ops[0]->name);
		if (cc->nr_ops == COMPARE_MAX_STRATEGIES)
			usage_error("--strategies: at most %d", COMPARE_MAX_STRATEGIES - 1);
		cc->ops[cc->nr_ops++] = ops;
	}
	if (cc->nr_ops == 1)
		usage_error("--strategies: expected a comma-separated list, got '%s'", arg);
}

/*
 * --rate=N or N/s: fallbacks per second for the rate-matched phase.  Above
 * 1e6/s one fallback would be due every microsecond or less, below what a
 * fallback (an unmap and a sync) takes and what the open-loop schedule
 * (nanosleep) can time: refused rather than silently run flat out.
 */
#define RATE_MAX	1e6

static void parse_compare_opt(struct compare_config *cc, int opt, const char *arg)
{
	switch (opt) {
	case OPT_STRATEGIES: parse_strategies(cc, arg); break;
	case OPT_REPS:	cc->reps = (unsigned int)parse_int("reps", arg, 1, 100); break;
	case OPT_PHASE_S: cc->phase_s = parse_double("phase-seconds", arg, 0, 3600, true); break;
	case OPT_WALK_S: cc->walk_s = parse_double("walk-seconds", arg, 0, 3600, true); break;
	case OPT_SAFETY_S: cc->safety_s = parse_double("safety-seconds", arg, 0, 3600, false); break;
	case OPT_HOSTCHECK_S:
		cc->hostcheck_s = parse_double("hostcheck-seconds", arg, 0, 60, true);
		break;
	case OPT_NO_HOSTCHECK: cc->hostcheck = false; break;
	case OPT_NOISE:
		if (!strcmp(arg, "osnoise"))
			cc->noise_mode = NOISE_OSNOISE;
		else if (!strcmp(arg, "timerlat"))
			cc->noise_mode = NOISE_TIMERLAT;
		else
			usage_error("--noise: expected osnoise or timerlat, got '%s'", arg);
		break;
	case OPT_NOISE_THRESHOLD:
		cc->noise_threshold_ns = (uint64_t)parse_int("noise-threshold-ns", arg, 1, 1000000000);
		break;
	case OPT_TIMERLAT_PERIOD:
		cc->timerlat_period_ns = (uint64_t)parse_int("timerlat-period-us", arg, 10, 1000000) *
					 NSEC_PER_USEC;
		break;
	case OPT_OUT:
		if (!*arg || strlen(arg) > 400)
			usage_error("--out: expected a directory path of 1 to 400 characters");
		cc->out_dir = arg;
		break;
	case OPT_NO_PLOTS: cc->plots = false; break;
	case OPT_RATE: cc->rate = parse_rate("rate", arg, "fallbacks", RATE_MAX); break;
	case OPT_RATE_S: cc->rate_s = parse_double("rate-seconds", arg, 0, 3600, false); break;
	case OPT_SITE_S: cc->site_s = parse_double("site-seconds", arg, 0, 3600, false); break;
	}
}

/* The cost phase's groups: the call sites, unshare in one mode or both. */
static unsigned int compare_groups_for(const struct ptsync_config *cfg, bool one_mode)
{
	unsigned int groups = 0;

	for (int g = 0; g < NR_COMPARE_GROUPS; g++) {
		if (!(cfg->callsites & CALLSITE_BIT(compare_group_site(g))))
			continue;
		if (one_mode && g == CG_UNSHARE_GATHER &&
		    cfg->unshare_sync != UNSHARE_SYNC_PER_GATHER)
			continue;
		if (one_mode && g == CG_UNSHARE_UNSHARE &&
		    cfg->unshare_sync != UNSHARE_SYNC_PER_UNSHARE)
			continue;
		groups |= 1u << g;
	}
	return groups;
}

/* Roles for compare: never more CPUs than cores unless asked. */
static void resolve_compare_roles(struct ptsync_config *cfg, const struct role_opts *r,
				  bool cpus_given)
{
	if (!cpus_given)
		cfg->nr_cpus = host_nr_cpus() < 2 ? 2 : host_nr_cpus();
	if (cfg->nr_cpus > NR_CPUS)
		cfg->nr_cpus = NR_CPUS;
	cfg->nr_freers = r->freers >= 0 ? r->freers : 1;
	cfg->nr_walkers = r->walkers >= 0 ? r->walkers : (cfg->nr_cpus >= 3 ? 1 : 0);
	cfg->nr_bystanders = r->bystanders >= 0 ? r->bystanders :
			     cfg->nr_cpus - cfg->nr_freers - cfg->nr_walkers;
	if (cfg->nr_bystanders < 1)
		usage_error("--cpus: %d CPUs leave no bystander (freers %d + walkers %d); "
			    "compare needs at least one", cfg->nr_cpus, cfg->nr_freers,
			    cfg->nr_walkers);
	if (cfg->nr_freers + cfg->nr_walkers + cfg->nr_bystanders != cfg->nr_cpus)
		usage_error("--cpus: %d CPUs, but freers %d + walkers %d + bystanders %d = %d",
			    cfg->nr_cpus, cfg->nr_freers, cfg->nr_walkers, cfg->nr_bystanders,
			    cfg->nr_freers + cfg->nr_walkers + cfg->nr_bystanders);
}

static struct option *merge_options(const struct option *a, const struct option *b)
{
	size_t na = 0, nb = 0;
	struct option *m;

	while (a[na].name)
		na++;
	while (b[nb].name)
		nb++;
	m = calloc(na + nb + 1, sizeof(*m));
	if (!m)
		ptsync_die("out of memory");
	memcpy(m, a, na * sizeof(*m));
	memcpy(m + na, b, (nb + 1) * sizeof(*m));
	return m;
}

static int cmd_compare(int argc, char **argv)
{
	struct option *options = merge_options(torture_options, compare_only_options);
	struct compare_config cc;
	struct role_opts roles = ROLE_OPTS_NONE;
	bool cpus_given = false, json = false;
	int opt, rc;

	compare_config_default(&cc);
	cc.base.seed = ktime_get_ns() ^ ((uint64_t)getpid() << 32);
	cc.base.progress = true;
	cc.nr_ops = 1;
	for (int i = 0; pt_sync_ops_all[i]; i++) {
		const struct pt_sync_ops *o = pt_sync_ops_all[i];

		if (o->baseline)
			cc.ops[0] = o;
		else if (pt_sync_safe(o) && cc.nr_ops < COMPARE_MAX_STRATEGIES)
			cc.ops[cc.nr_ops++] = o;
	}
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			print_compare_usage(stdout);
			return 0;
		case '?':
			usage_bad_option(options, argv[optind - 1], "compare");
		case OPT_STRATEGY:
			usage_error("--strategy: compare runs several; use --strategies=LIST");
		case OPT_DURATION:
			usage_error("--duration: compare's phases have their own; use --phase-seconds");
		case OPT_KHUGEPAGED:
			usage_error("--khugepaged: compare's collapse phase collapses on the freer; "
				    "khugepaged CPUs are torture's");
		case OPT_CPUS:
			cpus_given = true;
			/* fall through */
		default:
			if (opt >= OPT_STRATEGIES)
				parse_compare_opt(&cc, opt, optarg);
			else
				parse_torture_opt(&cc.base, &roles, opt, optarg, &json);
		}
	}
	if (optind < argc)
		usage_error("compare: unexpected argument '%s'", argv[optind]);
	if (json)
		usage_error("--json: compare always writes results.json (see --out)");
	cc.progress = cc.base.progress;
	resolve_callsites(&cc.base, &roles);
	cc.groups = compare_groups_for(&cc.base, roles.unshare_sync);
	resolve_compare_roles(&cc.base, &roles, cpus_given);
	/* One flush mode for every strategy, or the comparison is not fair. */
	if (cc.base.tlb_mode == TLB_MODE_AUTO)
		cc.base.tlb_mode = TLB_INVLPGB;
	for (int i = 0; i < cc.nr_ops; i++)
		check_tlb_mode(cc.ops[i], cc.base.tlb_mode);
	check_nohz_full(&cc.base);
	trace_start(cc.base.nr_cpus, cc.nr_ops * (int)cc.reps * 3);
	rc = trace_finish(ptsync_compare(&cc));
	free(options);
	return rc;
}

/* What a bystander pays at @site, for list --tsv: upstream-ipi where the
 * harness falls back to the broadcast for want of the strategy's own. */
static const char *site_bystander_tsv(const struct pt_sync_ops *o, enum pt_callsite site)
{
	if (!pt_sync_applies(o, site))
		return "upstream-ipi";
	return pt_sync_bystander_name(pt_sync_site_bystander(o, site));
}

/* Per strategy, what it does at each call site before a table goes. */
static void list_callsites(void)
{
	char what[128];

	printf("\nper call site: what the freer does before the table may be freed or reused\n");
	printf("%-13s %-9s %s\n", "strategy", "site", "what");
	for (int i = 0; pt_sync_ops_all[i]; i++) {
		const struct pt_sync_ops *o = pt_sync_ops_all[i];

		for (int s = 0; s < NR_CALLSITES; s++)
			printf("%-13s %-9s %s\n", s ? "" : o->name, callsite_name(s),
			       pt_sync_site_what(o, s, what, sizeof(what)));
	}
}

/*
 * ptsync list: every strategy, whether torture must find it safe, and the
 * TLB modes it is defined for, then what it does at each call site.
 * --tsv is for scripts (the tests iterate it, so a new strategy is
 * tortured without editing a test): name, safe|unsafe, tlb modes, modes
 * where unsafe, twin of, what a bystander pays, description, then what a
 * bystander pays at each call site in callsite.h's order (fallback,
 * collapse, unshare; upstream-ipi where the strategy has no answer).
 */
static int cmd_list(int argc, char **argv)
{
	bool tsv = argc > 1 && !strcmp(argv[1], "--tsv");
	char modes[64], bad[64];

	if (argc > 2 || (argc == 2 && !tsv))
		usage_error("list: expected no argument or --tsv, got '%s'", argv[argc - 1]);
	if (!tsv)
		printf("%-13s %-22s %-19s %s\n", "strategy", "torture", "tlb modes", "what");
	for (int i = 0; pt_sync_ops_all[i]; i++) {
		const struct pt_sync_ops *o = pt_sync_ops_all[i];
		char verdict[64];

		tlb_modes_str(o->tlb_modes, modes, sizeof(modes));
		tlb_modes_str(o->unsafe_tlb_modes, bad, sizeof(bad));
		if (tsv) {
			printf("%s\t%s\t%s\t%s\t%s\t%s\t%s", o->name,
			       pt_sync_safe(o) ? "safe" : "unsafe", modes, bad[0] ? bad : "-",
			       o->twin_of ? o->twin_of : "-",
			       pt_sync_bystander_name(o->bystander), o->desc);
			for (int s = 0; s < NR_CALLSITES; s++)
				printf("\t%s", site_bystander_tsv(o, s));
			putchar('\n');
			continue;
		}
		snprintf(verdict, sizeof(verdict), pt_sync_safe(o) ? "safe" : "UNSAFE (%s)", bad);
		printf("%-13s %-22s %-19s %s\n", o->name, verdict, modes, o->desc);
	}
	if (!tsv)
		list_callsites();
	return 0;
}

/* ---- ptsync fork-storm ---- */

enum {
	FS_FORKS = 512, FS_REGIONS, FS_ALIVE, FS_STRATEGIES, FS_UNSHARE_SYNC, FS_CPUS,
	FS_BYSTANDERS, FS_TLB, FS_HZ, FS_SEED, FS_PT_PAGES, FS_FOLIOS, FS_NO_PIN, FS_JSON,
	FS_NO_PROGRESS, FS_STALL, FS_HELP,
};

static const struct option fork_storm_options[] = {
	{ "forks",         required_argument, NULL, FS_FORKS },
	{ "regions",       required_argument, NULL, FS_REGIONS },
	{ "alive",         required_argument, NULL, FS_ALIVE },
	{ "strategies",    required_argument, NULL, FS_STRATEGIES },
	{ "unshare-sync",  required_argument, NULL, FS_UNSHARE_SYNC },
	{ "cpus",          required_argument, NULL, FS_CPUS },
	{ "bystanders",    required_argument, NULL, FS_BYSTANDERS },
	{ "tlb",           required_argument, NULL, FS_TLB },
	{ "hz",            required_argument, NULL, FS_HZ },
	{ "seed",          required_argument, NULL, FS_SEED },
	{ "pt-pages",      required_argument, NULL, FS_PT_PAGES },
	{ "folios",        required_argument, NULL, FS_FOLIOS },
	{ "stall-timeout", required_argument, NULL, FS_STALL },
	{ "no-pin",        no_argument,       NULL, FS_NO_PIN },
	{ "json",          no_argument,       NULL, FS_JSON },
	{ "no-progress",   no_argument,       NULL, FS_NO_PROGRESS },
	{ "help",          no_argument,       NULL, FS_HELP },
	{ NULL, 0, NULL, 0 },
};

static void print_fork_storm_usage(FILE *f)
{
	fprintf(f,
"usage: ptsync fork-storm [options]  a parent sharing hugetlb PMD tables forks\n"
"                                    children, which exit: unshares, syncs, IPIs\n"
"  --forks=N             children, 1..%d [100]\n"
"  --regions=R           1 GiB hugetlb regions shared, a PMD table each, 1..%d [16]\n"
"  --alive=K             children alive at most; the oldest exits first [all]\n"
"  --strategies=LIST     besides the no-sync baseline [every safe one]\n"
"  --unshare-sync=MODE   per-gather or per-unshare [both]\n"
"  --cpus=N              the parent's CPU and bystanders, 2..%d [host cores]\n"
"  --bystanders=N        CPUs running another mm in user mode [cpus - 1]\n"
"  --tlb=MODE, --hz=N, --seed=N, --pt-pages=N, --folios=N, --stall-timeout=S,\n"
"  --no-pin, --no-progress: as for torture\n"
"  --json                the results as one JSON object\n"
"N and R are checked against the arenas (--pt-pages, --folios) before anything runs.\n",
		FORK_STORM_MAX_FORKS, HUGETLB_MAX_SLOTS, NR_CPUS);
}

/* --strategies for fork-storm: ops[0] is the baseline, as in compare. */
static void fs_parse_strategies(struct fork_storm_config *fc, const char *arg)
{
	char buf[256], names[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	fc->nr_ops = 1;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct pt_sync_ops *ops = pt_sync_ops_find(tok);

		if (!ops || ops->baseline)
			usage_error("--strategies: '%s' is not a strategy to run; valid: %s "
				    "(%s is always run, as the baseline)", tok,
				    pt_sync_ops_names(names, sizeof(names)), fc->ops[0]->name);
		if (fc->nr_ops == FORK_STORM_MAX_STRATEGIES)
			usage_error("--strategies: at most %d", FORK_STORM_MAX_STRATEGIES - 1);
		fc->ops[fc->nr_ops++] = ops;
	}
	if (fc->nr_ops == 1)
		usage_error("--strategies: expected a comma-separated list, got '%s'", arg);
}

static void fs_parse_opt(struct fork_storm_config *fc, int opt, const char *arg, int *bystanders)
{
	struct ptsync_config *b = &fc->base;
	int m;

	switch (opt) {
	case FS_FORKS: fc->forks = (unsigned int)parse_int("forks", arg, 1, FORK_STORM_MAX_FORKS); break;
	case FS_REGIONS:
		fc->regions = (unsigned int)parse_int("regions", arg, 1, HUGETLB_MAX_SLOTS);
		break;
	case FS_ALIVE: fc->alive = (unsigned int)parse_int("alive", arg, 1, FORK_STORM_MAX_FORKS); break;
	case FS_STRATEGIES: fs_parse_strategies(fc, arg); break;
	case FS_UNSHARE_SYNC:
		m = unshare_sync_find(arg);
		if (m < 0)
			usage_error("--unshare-sync: expected per-gather or per-unshare, got '%s'", arg);
		fc->modes = 1u << m;
		break;
	case FS_CPUS: b->nr_cpus = (int)parse_int("cpus", arg, 2, NR_CPUS); break;
	case FS_BYSTANDERS: *bystanders = (int)parse_int("bystanders", arg, 1, NR_CPUS - 1); break;
	case FS_TLB:
		b->tlb_mode = tlb_mode_find(arg);
		if (b->tlb_mode < 0)
			usage_error("--tlb: expected invlpgb, native or pv, got '%s'", arg);
		break;
	case FS_HZ: b->hz = (int)parse_int("hz", arg, 1, 10000); break;
	case FS_SEED: b->seed = parse_u64("seed", arg); break;
	case FS_PT_PAGES: b->pt_pages = (uint32_t)parse_int("pt-pages", arg, 64, 1 << 24); break;
	case FS_FOLIOS: b->folios = (uint32_t)parse_int("folios", arg, 1024, 1 << 26); break;
	case FS_STALL: b->stall_timeout_s = parse_double("stall-timeout", arg, 0, 86400, true); break;
	case FS_NO_PIN: b->pin = false; break;
	case FS_JSON: fc->json = true; break;
	case FS_NO_PROGRESS: fc->progress = false; break;
	}
}

/* Every check before anything runs: roles, modes, the arenas. */
static void fs_resolve(struct fork_storm_config *fc, int bystanders, bool cpus_given)
{
	char why[256];

	if (!cpus_given)
		fc->base.nr_cpus = bystanders > 0 ? bystanders + 1 : default_nr_cpus();
	fc->base.nr_freers = 1;
	fc->base.nr_walkers = 0;
	fc->base.nr_khugepaged = 0;
	fc->base.nr_bystanders = bystanders > 0 ? bystanders : fc->base.nr_cpus - 1;
	if (fc->base.nr_bystanders + 1 != fc->base.nr_cpus)
		usage_error("--bystanders: %d, but --cpus=%d leaves %d beside the parent's CPU",
			    fc->base.nr_bystanders, fc->base.nr_cpus, fc->base.nr_cpus - 1);
	if (fc->alive > fc->forks)
		usage_error("--alive: %u children alive at most, but only --forks=%u", fc->alive,
			    fc->forks);
	for (int i = 0; i < fc->nr_ops; i++)
		check_tlb_mode(fc->ops[i], fc->base.tlb_mode);
	if (fork_storm_check_arenas(fc, why, sizeof(why)))
		usage_error("%s", why);
}

static int cmd_fork_storm(int argc, char **argv)
{
	struct fork_storm_config fc;
	bool cpus_given = false;
	int opt, bystanders = -1;

	fork_storm_config_default(&fc);
	fc.base.seed = ktime_get_ns() ^ ((uint64_t)getpid() << 32);
	fc.nr_ops = 1;
	for (int i = 0; pt_sync_ops_all[i]; i++) {
		const struct pt_sync_ops *o = pt_sync_ops_all[i];

		if (o->baseline)
			fc.ops[0] = o;
		else if (pt_sync_safe(o) && fc.nr_ops < FORK_STORM_MAX_STRATEGIES)
			fc.ops[fc.nr_ops++] = o;
	}
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", fork_storm_options, NULL)) != -1) {
		if (opt == FS_HELP) {
			print_fork_storm_usage(stdout);
			return 0;
		}
		if (opt == '?')
			usage_bad_option(fork_storm_options, argv[optind - 1], "fork-storm");
		cpus_given |= opt == FS_CPUS;
		fs_parse_opt(&fc, opt, optarg, &bystanders);
	}
	if (optind < argc)
		usage_error("fork-storm: unexpected argument '%s'", argv[optind]);
	fs_resolve(&fc, bystanders, cpus_given);
	return fork_storm(&fc);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		print_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("ptsync %s\n", PTSYNC_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "compare"))
		return cmd_compare(argc - 1, argv + 1);
	if (!strcmp(argv[1], "torture"))
		return cmd_torture(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "hostcheck"))
		return cmd_hostcheck(argc - 1, argv + 1);
	if (!strcmp(argv[1], "scale"))
		return cmd_scale(argc - 1, argv + 1);
	if (!strcmp(argv[1], "recommend"))
		return cmd_recommend(argc - 1, argv + 1);
	if (!strcmp(argv[1], "trace-plot"))
		return cmd_trace_plot(argc - 1, argv + 1);
	if (!strcmp(argv[1], "fork-storm"))
		return cmd_fork_storm(argc - 1, argv + 1);
	usage_error("unknown command '%s'; valid: compare, torture, hostcheck, list, scale, "
		    "recommend, trace-plot, fork-storm", argv[1]);
}
