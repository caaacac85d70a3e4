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
#include "ptsync/presets.h"
#include "ptsync/run.h"
#include "ptsync/torture.h"
#include "ptsync/trace.h"

#include "opts.h"

/* The Makefile passes `git describe --always --dirty`; this when no git. */
#ifndef PTSYNC_VERSION
#define PTSYNC_VERSION "0.1"
#endif

int cmd_hostcheck(int argc, char **argv);	/* tools/hostcheck/hostcheck_cmd.c */
static const char *trace_path;			/* --trace=FILE */
#define TRACE_RECORDS_PER_CPU	(1u << 18)
int cmd_scale(int argc, char **argv);		/* tools/scale/scale_main.c */
int cmd_recommend(int argc, char **argv);	/* tools/scale/recommend.c */
int cmd_trace_plot(int argc, char **argv);	/* tools/trace/trace_plot.c */

/* The options a parser of ptsync.c's own handles (opt_cmd.call), by id. */
enum {
	OPT_STRATEGY, OPT_WALK_DELAY, OPT_WALK_DELAY_SPEC, OPT_TLB, OPT_CALLSITE,
	OPT_UNSHARE_SYNC, OPT_TRACE, OPT_KERNEL, OPT_NOHZ_FULL, OPT_ARCH,
	/* compare only */
	OPT_STRATEGIES, OPT_NOISE, OPT_OUT, OPT_RATE, OPT_NOT_COMPARE,
	/* fork-storm */
	FS_STRATEGIES, FS_UNSHARE_SYNC, FS_TLB, FS_KERNEL, FS_ARCH,
};

static const char commands_usage[] =
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
"torture options (defaults in brackets):\n";

static const char torture_footer[] =
"\n"
"exit status: 0 no violation, 1 violations or leaks, 2 bad usage,\n"
"             3 watchdog stall, 4 internal error\n";

static const char compare_usage[] =
"usage: ptsync compare [options]  every strategy side by side: cost to the freer,\n"
"                                 the walkers and the bystanders, plus hostcheck\n";

struct role_opts {
	int freers, walkers, bystanders, khugepaged;	/* -1: not given */
	bool batch_fail, unshare_sync;			/* given */
	bool strategy, mms;				/* given */
	const struct ptsync_preset *kernel;		/* --kernel, or NULL */
};

#define ROLE_OPTS_NONE	{ -1, -1, -1, -1, false, false, false, false, NULL }

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

/* --nohz-full[=LIST]: LIST is CPU numbers and ranges, "1,3-5". */
static void parse_nohz_full(struct ptsync_config *cfg, const char *arg)
{
	const char *p = arg;

	cfg->nohz_full = true;
	cfg->nohz_full_list = arg != NULL;
	memset(cfg->nohz_full_mask, 0, sizeof(cfg->nohz_full_mask));
	while (p && *p) {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p || lo < 0)
			break;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p)
				break;
		}
		if (hi < lo || hi >= NR_CPUS || (*end && *end != ','))
			break;
		for (long cpu = lo; cpu <= hi; cpu++)
			cfg->nohz_full_mask[cpu / 64] |= 1ULL << (cpu % 64);
		p = *end ? end + 1 : end;
		if (!*p)
			return;
	}
	if (arg)
		usage_error("--nohz-full: expected CPU numbers and ranges below %d, "
			    "like 1,3-5, got '%s'", NR_CPUS, arg);
}

/* --kernel, --arch, --tlb and --unshare-sync, for torture and fork-storm:
 * the value named, or a refusal that lists what is allowed. */
static const struct ptsync_preset *parse_kernel(const char *arg)
{
	const struct ptsync_preset *p = ptsync_preset_find(arg);
	char names[256];

	if (!p)
		usage_error("--kernel: unknown preset '%s'; valid: %s", arg,
			    ptsync_preset_names(names, sizeof(names)));
	return p;
}

static int parse_arch(const char *arg)
{
	return parse_name("arch", arg, arch_find, "weak, x86 or arm64");
}

static int parse_tlb(const char *arg)
{
	return parse_name("tlb", arg, tlb_mode_find, "invlpgb, native or pv");
}

static int parse_unshare_sync(const char *arg)
{
	return parse_name("unshare-sync", arg, unshare_sync_find, "per-gather or per-unshare");
}

/* What the torture options write, for compare too. */
struct torture_ctx {
	struct ptsync_config *cfg;
	struct role_opts *roles;
	bool json, cpus_given;
	bool sweep;			/* --sweep */
	double sweep_interval;		/* --sweep-interval, seconds */
	char strategy_help[320], kernel_help[256];
};

static void torture_call(void *ctx, const struct opt *o, const char *arg)
{
	struct torture_ctx *x = ctx;
	struct ptsync_config *cfg = x->cfg;
	char names[256];

	switch (o->id) {
	case OPT_STRATEGY:
		cfg->ops = pt_sync_ops_find(arg);
		if (!cfg->ops)
			usage_error("--strategy: unknown strategy '%s'; valid: %s", arg,
				    pt_sync_ops_names(names, sizeof(names)));
		x->roles->strategy = true;
		break;
	case OPT_KERNEL:
		x->roles->kernel = parse_kernel(arg);
		break;
	case OPT_NOHZ_FULL: parse_nohz_full(cfg, arg); break;
	case OPT_ARCH: cfg->arch = parse_arch(arg); break;
	case OPT_WALK_DELAY:
		cfg->walk_delay = (struct walk_delay){
			.ns = (uint64_t)parse_int(o->name, arg, 0, 1000000000) };
		break;
	case OPT_WALK_DELAY_SPEC: parse_walk_delay(&cfg->walk_delay, arg); break;
	case OPT_TLB: cfg->tlb_mode = parse_tlb(arg); break;
	case OPT_CALLSITE: cfg->callsites = parse_callsites(arg); break;
	case OPT_UNSHARE_SYNC:
		x->roles->unshare_sync = true;
		cfg->unshare_sync = parse_unshare_sync(arg);
		break;
	case OPT_TRACE:
		if (!*arg)
			usage_error("--trace: expected a file to write the trace to");
		trace_path = arg;
		break;
	}
}

#define TORTURE_NR_OPTS	48

/* The torture options into @t (TORTURE_NR_OPTS at most): how many. */
static int torture_table(struct opt *t, struct torture_ctx *x)
{
	struct ptsync_config *cfg = x->cfg;
	struct role_opts *r = x->roles;
	char names[256];

	snprintf(x->strategy_help, sizeof(x->strategy_help), "one of ptsync list's strategies:\n%s [rcu]",
		 pt_sync_ops_names(names, sizeof(names)));
	snprintf(x->kernel_help, sizeof(x->kernel_help),
		 "what a kernel does at every site instead of a strategy:\n%s (ptsync list)",
		 ptsync_preset_names(names, sizeof(names)));
	const struct opt o[] = {
		OPT_CALLBACK("strategy", OPT_STRATEGY, "NAME", x->strategy_help, "bogus"),
		OPT_CALLBACK("kernel", OPT_KERNEL, "PRESET", x->kernel_help, "nosuch"),
		{ .name = "cpus", .type = OPTT_INT, .value = &cfg->nr_cpus, .min = 2,
		  .max = NR_CPUS, .argh = "N", .seen = &x->cpus_given,
		  .help = "simulated CPUs, %R [host cores: more hides races]" },
		OPT_INTEGER("freers", &r->freers, 1, NR_CPUS, "N",
			    "CPUs that map/unmap/exit [1]"),
		OPT_INTEGER("bystanders", &r->bystanders, 0, NR_CPUS, "N",
			    "CPUs running another mm in user mode [1, 0 if cpus<3]"),
		OPT_INTEGER("walkers", &r->walkers, 1, NR_CPUS, "N",
			    "CPUs running GUP-fast [the rest]"),
		{ .name = "mms", .type = OPTT_INT, .value = &cfg->nr_mms, .min = 1, .max = 64,
		  .argh = "N", .seen = &r->mms,
		  .help = "address spaces the freers and walkers share, %R [2]" },
		OPT_INTEGER("hz", &cfg->hz, 1, 10000, "N",
			    "RCU tick: quiescent states at most N/s, %R [250]"),
		{ .name = "batch-fail", .type = OPTT_DOUBLE, .value = &cfg->batch_fail,
		  .dmin = 0, .dmax = 1, .argh = "P", .seen = &r->batch_fail,
		  .help = "chance a batch allocation fails, %R [0.1]" },
		OPT_UINTEGER("batch-pool", &cfg->batch_pool, 0, 65536, "N",
			     "batch pages in the GFP_NOWAIT pool, %R [64]"),
		OPT_CALLBACK("walk-delay", OPT_WALK_DELAY_SPEC, "SPEC",
			     "IRQs-off spin inside each walk: N[ns|us|ms] every walk,\n"
			     "random (mostly none, 1% up to 50 us, rarely 1-4 ticks),\n"
			     "random:P_US,P_TICKS [0]; --walk-delay-ns=N as before", "often"),
		{ .name = "walk-delay-ns", .type = OPTT_CALL, .id = OPT_WALK_DELAY,
		  .min = 0, .max = 1000000000, .argh = "N", .bad = "1ms" },
		OPT_CALLBACK("tlb", OPT_TLB, "MODE",
			     "TLB flush: invlpgb (no IPI), native (x86: IPI mm_cpumask,\n"
			     "lazy CPUs when tables are freed), pv (KVM: skips\n"
			     "preempted vCPUs) [the strategy's first; see list]", "x86"),
		OPT_CALLBACK("arch", OPT_ARCH, "ARCH",
			     "the barrier the TLB flush carries: weak (none: what generic\n"
			     "code may assume), x86 (inc_mm_tlb_gen() before it), arm64\n"
			     "(dsb(ish) after it) [weak]", "sparc"),
		OPT_BOOLEAN("sweep", &x->sweep,
			    "blind detection: every interval, draw every race-widening\n"
			    "knob anew (tlb, arch, walk delay, sb window, user chance,\n"
			    "batch-fail, mms, call sites, collapse rate, khugepaged,\n"
			    "unshare sync, shared regions, nohz-full, preempt chance,\n"
			    "regions; giving one of them too is an error); --duration\n"
			    "is the total; the failing interval is printed as a\n"
			    "repeat: line"),
		OPT_NUMBER("sweep-interval", &x->sweep_interval, 0.05, 3600, false, "S",
			   "seconds per sweep interval, %R [0.25]"),
		OPT_CALLBACK_OPTARG("nohz-full", OPT_NOHZ_FULL, "LIST",
				    "these CPUs (e.g. 1,3-5; bare: the bystanders) are\n"
				    "nohz_full: context tracked, user mode an RCU EQS", "1-x"),
		OPT_NUMBER("preempt-chance", &cfg->preempt_chance, 0, 1, false, "P",
			   "pv: chance a walk's vCPU is preempted mid-walk [0.001]"),
		OPT_U64_RANGE("preempt-us", &cfg->preempt_ns, 1, 1000000, NSEC_PER_USEC, "N",
			      "... for N us, %R [200]"),
		OPT_NUMBER("user-chance", &cfg->user_chance, 0, 1, false, "P",
			   "chance a walker comes from user mode (EQS) [0.25]"),
		OPT_U64_RANGE("sb-window-ns", &cfg->sb_window_ns, 0, 10000000, 1, "N",
			      "hold the freer's unhooks N ns in an emulated store\n"
			      "buffer; fences wait for them, loads pass [0: off]"),
		OPT_CALLBACK("callsite", OPT_CALLSITE, "LIST",
			     "call sites to drive: fallback (no batch page),\n"
			     "collapse (khugepaged), unshare (hugetlb PMD sharing)\n"
			     "[fallback,collapse,unshare]", "munmap"),
		OPT_INTEGER("khugepaged", &r->khugepaged, 0, NR_CPUS, "N",
			    "CPUs collapsing, taken from the walkers' share [1 if\n"
			    "that leaves 2 walkers, else 0: the freers collapse]"),
		OPT_UINTEGER("collapse-rate", &cfg->collapse_rate, 1, 100000, "N",
			     "collapses a second per khugepaged CPU, %R [1000]"),
		OPT_CALLBACK("unshare-sync", OPT_UNSHARE_SYNC, "MODE",
			     "per-gather (since Dec 2025) or per-unshare [per-gather]",
			     "sometimes"),
		OPT_UINTEGER("shared-regions", &cfg->shared_regions, 1, TORTURE_MAX_SHARED, "N",
			     "1 GiB hugetlb regions every mm shares, %R [4]"),
		OPT_NUMBER("duration", &cfg->duration_s, 0, 86400 * 7, true, "S",
			   "seconds to run, >0 [10]"),
		OPT_NUMBER("stall-timeout", &cfg->stall_timeout_s, 0, 86400, true, "S",
			   "watchdog: a wait longer than this is a stall [10]"),
		OPT_U64("seed", &cfg->seed, "N", "workload seed [from the clock; printed]"),
		OPT_UINTEGER("walk-pages", &cfg->walk_pages, 1, 64, "N",
			     "most pages per gup_fast, %R [16]"),
		OPT_UINTEGER("regions", &cfg->regions, 1, 128, "N",
			     "2 MiB regions per mm, %R [8]"),
		OPT_U32("pt-pages", &cfg->pt_pages, 64, 1 << 24, "N",
			"page-table arena, in pages [65536]"),
		OPT_U32("folios", &cfg->folios, 1024, 1 << 26, "N", "user folio arena [262144]"),
		OPT_NUMBER("huge-chance", &cfg->huge_chance, 0, 1, false, "P",
			   "chance a map is a 2 MiB PMD leaf, %R [0.1]"),
		OPT_NUMBER("exit-chance", &cfg->exit_chance, 0, 1, false, "P",
			   "chance a freer job exits its mm, %R [0.01]"),
		OPT_CLEAR("no-pin", &cfg->pin, "do not pin CPU threads to host cores"),
		OPT_BOOLEAN("json", &x->json, "print the summary as one JSON object"),
		OPT_CALLBACK("trace", OPT_TRACE, "FILE",
			     "Chrome trace-event JSON of every CPU (Perfetto)", ""),
		OPT_CLEAR("no-progress", &cfg->progress, "no per-second lines on stderr"),
		OPT_BOOLEAN("stop-on-violation", &cfg->stop_on_violation,
			    "end the run (or the sweep's interval) at its first\n"
			    "violation: --duration is then a cap, not a cost"),
	};
	_Static_assert(sizeof(o) / sizeof(o[0]) < TORTURE_NR_OPTS, "TORTURE_NR_OPTS");
	memcpy(t, o, sizeof(o));
	return (int)(sizeof(o) / sizeof(o[0]));
}

static void print_usage(FILE *f)
{
	struct ptsync_config cfg;
	struct role_opts roles = ROLE_OPTS_NONE;
	struct torture_ctx x = { .cfg = &cfg, .roles = &roles };
	struct opt t[TORTURE_NR_OPTS];
	int n = torture_table(t, &x);

	t[n] = (struct opt)OPT_END();
	opts_usage(f, &(struct opt_cmd){ .name = "torture", .usage = commands_usage,
					 .footer = torture_footer, .opts = t });
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
	if (!cfg->nohz_full)
		return;
	if (!cfg->nohz_full_list) {
		if (cfg->nr_bystanders < 1)
			usage_error("--nohz-full: it isolates the bystander CPUs, and there are "
				    "none (give --bystanders=N, N >= 1, or --nohz-full=LIST)");
		return;
	}
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		if (!((cfg->nohz_full_mask[cpu / 64] >> (cpu % 64)) & 1))
			continue;
		if (cpu >= cfg->nr_cpus)
			usage_error("--nohz-full: CPU %d is not simulated (CPUs 0-%d; the "
				    "freers are 0-%d)", cpu, cfg->nr_cpus - 1, cfg->nr_freers - 1);
		if (cpu < cfg->nr_freers)
			usage_error("--nohz-full: CPU %d is a freer's; allowed: CPUs %d-%d",
				    cpu, cfg->nr_freers, cfg->nr_cpus - 1);
	}
}

/* Never more simulated CPUs than host cores, unless asked: oversubscribed
 * CPUs take turns, and races between them hide. */
static int default_nr_cpus(void)
{
	int host = host_nr_cpus();

	return host < 2 ? 2 : host > NR_CPUS ? NR_CPUS : host;
}

/* The preset's ops at every site and its unshare mode.  --kernel and
 * --strategy exclude each other; --unshare-sync may only repeat the
 * preset's mode (torture's repeat line names both). */
static const struct pt_sync_ops *resolve_kernel(struct ptsync_config *cfg,
						const struct role_opts *r, const char *strategy_opt)
{
	const struct pt_sync_ops *ops;

	if (!r->kernel)
		return NULL;
	if (r->strategy)
		usage_error("--kernel: a preset fixes the strategy at every site; give --kernel "
			    "or %s, not both", strategy_opt);
	if (r->unshare_sync && cfg->unshare_sync != r->kernel->unshare_sync)
		usage_error("--unshare-sync: --kernel=%s syncs %s, not %s", r->kernel->name,
			    unshare_sync_name(r->kernel->unshare_sync),
			    unshare_sync_name(cfg->unshare_sync));
	ops = pt_preset_ops(r->kernel);
	if (!ops)
		ptsync_die("BUG: preset %s does not compose", r->kernel->name);
	cfg->unshare_sync = r->kernel->unshare_sync;
	return ops;
}

/* A twin whose bug needs more mms than the default runs with them. */
static void resolve_mms(struct ptsync_config *cfg, const struct role_opts *r)
{
	if (!r->mms && cfg->ops->unsafe_min_mms > cfg->nr_mms)
		cfg->nr_mms = cfg->ops->unsafe_min_mms;
}

/* --sweep draws these knobs itself: one given too is a usage error.  Every
 * line of @t has a .seen (cmd_torture gives one to those without). */
static void check_sweep(const struct opt *t)
{
	for (int i = 0; torture_sweep_knobs[i]; i++)
		for (const struct opt *o = t; o->type != OPTT_END; o++)
			if (!strcmp(o->name, torture_sweep_knobs[i]) && *o->seen)
				usage_error("--%s: --sweep draws it itself every interval; give one "
					    "or the other", o->name);
}

static int cmd_torture(int argc, char **argv)
{
	struct ptsync_config cfg;
	struct role_opts roles = ROLE_OPTS_NONE;
	struct torture_ctx x = { .cfg = &cfg, .roles = &roles, .sweep_interval = 0.25 };
	struct opt t[TORTURE_NR_OPTS + 1];
	bool given[TORTURE_NR_OPTS + 1] = { 0 };
	int n;

	ptsync_config_default(&cfg);
	cfg.callsites = CALLSITES_ALL;
	cfg.seed = ktime_get_ns() ^ ((uint64_t)getpid() << 32);
	cfg.progress = true;
	n = torture_table(t, &x);
	for (int i = 0; i < n; i++)
		if (!t[i].seen)
			t[i].seen = &given[i];
	t[n++] = (struct opt)OPT_HELP();
	t[n] = (struct opt)OPT_END();
	if (opts_parse(&(struct opt_cmd){ .name = "torture", .usage = commands_usage,
			.footer = torture_footer, .opts = t, .call = torture_call, .ctx = &x },
		       argc, argv) < 0)
		return 0;
	if (x.sweep)
		check_sweep(t);
	else if (*opts_find(&(struct opt_cmd){ .opts = t }, "sweep-interval")->seen)
		usage_error("--sweep-interval: only with --sweep");
	if (!x.cpus_given)
		cfg.nr_cpus = default_nr_cpus();
	if (roles.kernel)
		cfg.ops = resolve_kernel(&cfg, &roles, "--strategy");
	resolve_mms(&cfg, &roles);
	resolve_callsites(&cfg, &roles);
	resolve_roles(&cfg, &roles);
	check_tlb_mode(cfg.ops, cfg.tlb_mode);
	check_nohz_full(&cfg);
	if (x.sweep) {
		if (trace_path)
			usage_error("--trace: not with --sweep (trace one interval: its repeat line)");
		return ptsync_torture_sweep(&cfg, x.sweep_interval, x.json);
	}
	trace_start(cfg.nr_cpus, 1);
	return trace_finish(ptsync_torture(&cfg, x.json));
}

/*
 * compare's and fork-storm's strategies: ops[0] is always the no-sync
 * baseline, then by default every safe strategy, or --strategies=LIST.
 */
struct strategy_set {
	const struct pt_sync_ops **ops;
	int *nr, max;
	const char *verb;		/* "'x' is not a strategy to <verb>" */
};

static void default_strategies(const struct pt_sync_ops **ops, int *nr, int max)
{
	*nr = 1;
	for (int i = 0; pt_sync_ops_all[i]; i++) {
		const struct pt_sync_ops *o = pt_sync_ops_all[i];

		if (o->baseline)
			ops[0] = o;
		else if (pt_sync_safe(o) && *nr < max)
			ops[(*nr)++] = o;
	}
}

static void strategy_item(void *ctx, const char *item, int i)
{
	const struct strategy_set *set = ctx;
	const struct pt_sync_ops *ops = pt_sync_ops_find(item);
	char names[256];

	if (i == 0)
		*set->nr = 1;
	if (!ops || ops->baseline)
		usage_error("--strategies: '%s' is not a strategy to %s; valid: %s "
			    "(%s is always run, as the baseline)", item, set->verb,
			    pt_sync_ops_names(names, sizeof(names)), set->ops[0]->name);
	if (*set->nr == set->max)
		usage_error("--strategies: at most %d", set->max - 1);
	set->ops[(*set->nr)++] = ops;
}

static void parse_strategies(const struct strategy_set *set, const char *arg)
{
	parse_list("strategies", arg, (void *)set, strategy_item);
}

/*
 * --rate=N or N/s: fallbacks per second for the rate-matched phase.  Above
 * 1e6/s one fallback would be due every microsecond or less, below what a
 * fallback (an unmap and a sync) takes and what the open-loop schedule
 * (nanosleep) can time: refused rather than silently run flat out.
 */
#define RATE_MAX	1e6

struct compare_ctx {
	struct torture_ctx t;
	struct compare_config *cc;
};

static void compare_call(void *ctx, const struct opt *o, const char *arg)
{
	struct compare_ctx *x = ctx;
	struct compare_config *cc = x->cc;

	switch (o->id) {
	case OPT_STRATEGIES:
		x->t.roles->strategy = true;
		parse_strategies(&(struct strategy_set){ cc->ops, &cc->nr_ops,
			COMPARE_MAX_STRATEGIES, "compare" }, arg);
		break;
	case OPT_NOISE:
		if (!strcmp(arg, "osnoise"))
			cc->noise_mode = NOISE_OSNOISE;
		else if (!strcmp(arg, "timerlat"))
			cc->noise_mode = NOISE_TIMERLAT;
		else
			usage_error("--noise: expected osnoise or timerlat, got '%s'", arg);
		break;
	case OPT_OUT:
		cc->out_dir = parse_dir(o->name, arg, 400);
		break;
	case OPT_RATE: cc->rate = parse_rate("rate", arg, "fallbacks", RATE_MAX); break;
	case OPT_NOT_COMPARE:
		if (!strcmp(o->name, "strategy"))
			usage_error("--strategy: compare runs several; use --strategies=LIST");
		if (!strcmp(o->name, "duration"))
			usage_error("--duration: compare's phases have their own; use --phase-seconds");
		if (!strcmp(o->name, "sweep") || !strcmp(o->name, "sweep-interval"))
			usage_error("--%s: torture only (compare's safety phase is one run)", o->name);
		usage_error("--khugepaged: compare's collapse phase collapses on the freer; "
			    "khugepaged CPUs are torture's");
	default:
		torture_call(&x->t, o, arg);
	}
}

/* compare's own options into @t: how many. */
static int compare_table(struct opt *t, struct compare_config *cc)
{
	const struct opt o[] = {
		OPT_CALLBACK("strategies", OPT_STRATEGIES, "LIST",
			     "comma-separated, besides the no-sync baseline [the kernel\n"
			     "presets pre-2026, seed, mainline first, then every safe one]",
			     "bogus"),
		OPT_UINTEGER("reps", &cc->reps, 1, 100, "N",
			     "repetitions, interleaved A B C A B C, %R [3]"),
		OPT_NUMBER("phase-seconds", &cc->phase_s, 0, 3600, true, "S",
			   "cost phase per strategy per repetition [3]"),
		OPT_NUMBER("walk-seconds", &cc->walk_s, 0, 3600, true, "S",
			   "walk timing per strategy per repetition [0.5]"),
		OPT_NUMBER("safety-seconds", &cc->safety_s, 0, 3600, false, "S",
			   "torture per strategy, 0 to skip [2]"),
		OPT_NUMBER("hostcheck-seconds", &cc->hostcheck_s, 0, 60, true, "S",
			   "membarrier(2) timing per mode [1]"),
		OPT_CLEAR("no-hostcheck", &cc->hostcheck, "no hostcheck phase"),
		OPT_CALLBACK("rate", OPT_RATE, "N[/s]",
			     "rate-matched phase: the freer open-loop at N fallbacks/s,\n"
			     ">0 and at most 1000000 [1000]", "0"),
		OPT_NUMBER("rate-seconds", &cc->rate_s, 0, 3600, false, "S",
			   "rate-matched phase per meter (osnoise, then timerlat) per\n"
			   "strategy per repetition, 0 to skip [phase-seconds / 3]"),
		OPT_CALLBACK("noise", OPT_NOISE, "MODE",
			     "bystander meter: osnoise or timerlat [osnoise]", "loud"),
		OPT_U64_RANGE("noise-threshold-ns", &cc->noise_threshold_ns, 1, 1000000000, 1,
			      "N", "osnoise: smallest gap counted [1000]"),
		OPT_U64_RANGE("timerlat-period-us", &cc->timerlat_period_ns, 10, 1000000,
			      NSEC_PER_USEC, "N", "timerlat: wakeup period [1000]"),
		OPT_CALLBACK("out", OPT_OUT, "DIR", "where files go [ptsync-results/<timestamp>]",
			     ""),
		OPT_CLEAR("no-plots", &cc->plots, "write the data and plots.gp, do not run gnuplot"),
		OPT_NUMBER("site-seconds", &cc->site_s, 0, 3600, false, "S",
			   "cost phase of collapse and of unshare (each mode) per\n"
			   "strategy per repetition [phase-seconds / 6]"),
	};
	memcpy(t, o, sizeof(o));
	return (int)(sizeof(o) / sizeof(o[0]));
}

/* torture's options as compare reads them: some refused, some other defaults. */
static void compare_adjust(struct opt *t, int n)
{
	static const struct { const char *name, *help; } help[] = {
		{ "cpus", "simulated CPUs [host cores; more only if asked]" },
		{ "walkers", "CPUs running GUP-fast [1 from 3 CPUs up]" },
		{ "bystanders", "CPUs running another mm in user mode [the rest]" },
		{ "freers", "CPUs that map/unmap/exit [1]" },
		{ "callsite", "call sites, each its own cost phase: fallback,\n"
			      "collapse, unshare [all]" },
		{ "unshare-sync", "per-gather or per-unshare [both, one phase each]" },
		{ "shared-regions", "1 GiB hugetlb regions the unshare phase unmaps [4]" },
		{ "batch-fail", "chance a batch allocation fails, %R [1]" },
		{ "kernel", "that kernel preset alone against the baseline (ptsync list)" },
	};

	for (int i = 0; i < n; i++) {
		if (!strcmp(t[i].name, "json"))
			t[i].help = NULL;	/* refused after parsing: see cmd_compare */
		if (!strcmp(t[i].name, "strategy") || !strcmp(t[i].name, "duration") ||
		    !strcmp(t[i].name, "khugepaged") || !strcmp(t[i].name, "sweep") ||
		    !strcmp(t[i].name, "sweep-interval")) {
			/* a flag stays a flag: --sweep is refused as it is given */
			t[i].type = t[i].type == OPTT_SET ? OPTT_FLAG_CALL : OPTT_CALL;
			t[i].id = OPT_NOT_COMPARE;
			t[i].help = NULL;
			t[i].bad = "1";
		}
		for (size_t h = 0; h < sizeof(help) / sizeof(help[0]); h++)
			if (!strcmp(t[i].name, help[h].name))
				t[i].help = help[h].help;
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

/*
 * compare's rows: the kernel presets first, right after the baseline, so
 * the table opens with what a kernel runs today; --kernel=PRESET: that
 * one alone; --strategies: the strategies alone.
 */
static void compare_presets(struct compare_config *cc, const struct role_opts *r)
{
	const struct pt_sync_ops *ops[COMPARE_MAX_STRATEGIES];
	int n = 0;

	if (r->kernel) {
		cc->ops[1] = resolve_kernel(&cc->base, r, "--strategies");
		cc->nr_ops = 2;
		return;
	}
	if (r->strategy)
		return;
	for (int i = 0; ptsync_presets[i] && n < COMPARE_MAX_STRATEGIES; i++)
		if ((ops[n] = pt_preset_ops(ptsync_presets[i])))
			n++;
	for (int i = 1; i < cc->nr_ops && n < COMPARE_MAX_STRATEGIES - 1; i++)
		ops[n++] = cc->ops[i];
	for (int i = 0; i < n; i++)
		cc->ops[i + 1] = ops[i];
	cc->nr_ops = n + 1;
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

static int cmd_compare(int argc, char **argv)
{
	struct compare_config cc;
	struct role_opts roles = ROLE_OPTS_NONE;
	struct compare_ctx x = { .t = { .cfg = &cc.base, .roles = &roles }, .cc = &cc };
	struct opt t[TORTURE_NR_OPTS + 24];
	int n;

	compare_config_default(&cc);
	cc.base.seed = ktime_get_ns() ^ ((uint64_t)getpid() << 32);
	cc.base.progress = true;
	default_strategies(cc.ops, &cc.nr_ops, COMPARE_MAX_STRATEGIES);
	n = compare_table(t, &cc);
	n += torture_table(t + n, &x.t);
	compare_adjust(t, n);
	t[n++] = (struct opt)OPT_HELP();
	t[n] = (struct opt)OPT_END();
	if (opts_parse(&(struct opt_cmd){ .name = "compare", .usage = compare_usage, .opts = t,
					  .call = compare_call, .ctx = &x }, argc, argv) < 0)
		return 0;
	if (x.t.json)
		usage_error("--json: compare always writes results.json (see --out)");
	compare_presets(&cc, &roles);
	cc.progress = cc.base.progress;
	resolve_callsites(&cc.base, &roles);
	cc.groups = compare_groups_for(&cc.base, roles.unshare_sync);
	resolve_compare_roles(&cc.base, &roles, x.t.cpus_given);
	/* One flush mode for every strategy, or the comparison is not fair. */
	if (cc.base.tlb_mode == TLB_MODE_AUTO)
		cc.base.tlb_mode = TLB_INVLPGB;
	for (int i = 0; i < cc.nr_ops; i++)
		check_tlb_mode(cc.ops[i], cc.base.tlb_mode);
	check_nohz_full(&cc.base);
	trace_start(cc.base.nr_cpus, cc.nr_ops * (int)cc.reps * 3);
	return trace_finish(ptsync_compare(&cc));
}

/* What a bystander pays at @site, for list --tsv: upstream-ipi where the
 * harness falls back to the broadcast for want of the strategy's own. */
static const char *site_bystander_tsv(const struct pt_sync_ops *o, enum pt_callsite site)
{
	if (!pt_sync_applies(o, site))
		return "upstream-ipi";
	return pt_sync_bystander_name(pt_sync_site_bystander(o, site));
}

/* @o's rows, one per call site: what it does there; @first names the first. */
static void list_site_rows(const struct pt_sync_ops *o, const char *first)
{
	char what[128];

	for (int s = 0; s < NR_CALLSITES; s++)
		printf("%-19s %-9s %s\n", s ? "" : first, callsite_name(s),
		       pt_sync_site_what(o, s, what, sizeof(what)));
}

/* Per strategy, what it does at each call site before a table goes. */
static void list_callsites(void)
{
	printf("\nper call site: what the freer does before the table may be freed or reused\n");
	printf("%-19s %-9s %s\n", "strategy", "site", "what");
	for (int i = 0; pt_sync_ops_all[i]; i++)
		list_site_rows(pt_sync_ops_all[i], pt_sync_ops_all[i]->name);
}

/* The kernel presets (--kernel): what each kernel does at each site. */
static void list_presets(void)
{
	printf("\nkernel presets (--kernel=NAME on compare, torture, fork-storm)\n");
	printf("%-19s %-9s %s\n", "preset", "site", "what");
	for (int i = 0; ptsync_presets[i]; i++) {
		const struct ptsync_preset *p = ptsync_presets[i];
		const struct pt_sync_ops *o = pt_preset_ops(p);

		printf("%-19s %-9s %s; unshare syncs %s\n", p->name, "", p->upstream,
		       unshare_sync_name(p->unshare_sync));
		if (o)
			list_site_rows(o, "");
	}
	printf("collapse is khugepaged's anon collapse (the table deposited); a file-backed\n"
	       "collapse syncs nothing under any strategy: pte_free_defer(), as upstream\n");
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
/* "x86,arm64" for an ARCH_BIT() set. */
static const char *tlb_archs_str(unsigned int archs, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int a = 0; a < NR_ARCHS && off < len; a++)
		if (archs & ARCH_BIT(a))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						arch_name(a));
	return buf;
}

/* The archs where @o is safe only by an implicit barrier, and which:
 * "x86=BARRIER;arm64=BARRIER" (tsv) or one line per arch; "-": none. */
static const char *list_hidden(const struct pt_sync_ops *o, bool tsv, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int a = 0; a < NR_ARCHS && off < len; a++)
		if (o->hidden_archs & ARCH_BIT(a))
			off += (size_t)snprintf(buf + off, len - off, tsv ? "%s%s=%s" : "%s%s: %s",
						off ? (tsv ? ";" : "\n              ") : "",
						arch_name(a), arch_flush_barrier(a));
	if (!off)
		snprintf(buf, len, "-");
	return buf;
}

static void list_hidden_barriers(void)
{
	char buf[512], bad[64];

	printf("\nsafe only by an implicit barrier: where the arch's TLB flush hides the bug\n"
	       "(torture: caught under --arch=weak, clean under these)\n");
	for (int i = 0; pt_sync_ops_all[i]; i++) {
		const struct pt_sync_ops *o = pt_sync_ops_all[i];

		if (!o->hidden_archs)
			continue;
		printf("%-13s at %s, %s\n", o->name,
		       tlb_modes_str(o->unsafe_tlb_modes, bad, sizeof(bad)),
		       list_hidden(o, false, buf, sizeof(buf)));
	}
}

static int cmd_list(int argc, char **argv)
{
	bool tsv = argc > 1 && !strcmp(argv[1], "--tsv");
	char modes[64], bad[64], hidden[256], archs[64];

	if (argc > 2 || (argc == 2 && !tsv))
		usage_error("list: expected no argument or --tsv, got '%s'", argv[argc - 1]);
	if (!tsv)
		printf("%-19s %-22s %-19s %-12s %s\n", "strategy", "torture", "tlb modes",
		       "hidden on", "what");
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
			printf("\t%s\n", list_hidden(o, true, hidden, sizeof(hidden)));
			continue;
		}
		snprintf(verdict, sizeof(verdict), pt_sync_safe(o) ? "safe" : "UNSAFE (%s)", bad);
		tlb_archs_str(o->hidden_archs, archs, sizeof(archs));
		printf("%-19s %-22s %-19s %-12s %s\n", o->name, verdict, modes,
		       archs[0] ? archs : "-", o->desc);
	}
	if (!tsv) {
		list_callsites();
		list_hidden_barriers();
		list_presets();
	}
	return 0;
}

/* ---- ptsync fork-storm ---- */

static const char fork_storm_usage[] =
"usage: ptsync fork-storm [options]  a parent sharing hugetlb PMD tables forks\n"
"                                    children, which exit: unshares, syncs, IPIs\n";

static const char fork_storm_footer[] =
"N and R are checked against the arenas (--pt-pages, --folios) before anything runs.\n";

/*
 * fork-storm's runs: the kernel presets first (each in its own unshare
 * mode), then the strategies; --kernel=PRESET alone: that preset.
 */
static void fs_presets(struct fork_storm_config *fc, const struct ptsync_preset *kernel,
		       bool strategies)
{
	const struct pt_sync_ops *ops[FORK_STORM_MAX_STRATEGIES];
	const struct ptsync_preset *pre[FORK_STORM_MAX_STRATEGIES] = { NULL };
	int n = 0;

	if (kernel && strategies)
		usage_error("--kernel: a preset fixes the strategy at every site; give --kernel "
			    "or --strategies, not both");
	if (strategies)
		return;
	for (int i = 0; ptsync_presets[i] && n < FORK_STORM_MAX_STRATEGIES - 1; i++) {
		if (kernel && ptsync_presets[i] != kernel)
			continue;
		pre[n] = ptsync_presets[i];
		ops[n] = pt_preset_ops(pre[n]);
		if (ops[n])
			n++;
	}
	for (int i = 1; !kernel && i < fc->nr_ops && n < FORK_STORM_MAX_STRATEGIES - 1; i++)
		ops[n++] = fc->ops[i];
	for (int i = 0; i < n; i++) {
		fc->ops[i + 1] = ops[i];
		fc->preset[i + 1] = pre[i];
	}
	fc->nr_ops = n + 1;
}

/* What fork-storm's own parsers write. */
struct fs_ctx {
	struct fork_storm_config *fc;
	const struct ptsync_preset *kernel;	/* --kernel, or NULL */
	bool strategies;			/* --strategies given */
};

static void fs_call(void *ctx, const struct opt *o, const char *arg)
{
	struct fs_ctx *x = ctx;
	struct fork_storm_config *fc = x->fc;

	switch (o->id) {
	case FS_KERNEL:
		x->kernel = parse_kernel(arg);
		break;
	case FS_ARCH: fc->base.arch = parse_arch(arg); break;
	case FS_STRATEGIES:
		parse_strategies(&(struct strategy_set){ fc->ops, &fc->nr_ops,
			FORK_STORM_MAX_STRATEGIES, "run" }, arg);
		break;
	case FS_UNSHARE_SYNC:
		fc->modes = 1u << parse_unshare_sync(arg);
		break;
	case FS_TLB: fc->base.tlb_mode = parse_tlb(arg); break;
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
	struct ptsync_config *b = &fc.base;
	struct fs_ctx x = { .fc = &fc };
	bool cpus_given = false;
	int bystanders = -1;
	char kernel_help[192], names[128];

	fork_storm_config_default(&fc);
	snprintf(kernel_help, sizeof(kernel_help),
		 "one kernel preset alone, in its own unshare mode:\n%s (ptsync list)",
		 ptsync_preset_names(names, sizeof(names)));
	fc.base.seed = ktime_get_ns() ^ ((uint64_t)getpid() << 32);
	default_strategies(fc.ops, &fc.nr_ops, FORK_STORM_MAX_STRATEGIES);
	struct opt opts[] = {
		OPT_UINTEGER("forks", &fc.forks, 1, FORK_STORM_MAX_FORKS, "N",
			     "children, %R [100]"),
		OPT_UINTEGER("regions", &fc.regions, 1, HUGETLB_MAX_SLOTS, "R",
			     "1 GiB hugetlb regions shared, a PMD table each, %R [16]"),
		OPT_UINTEGER("alive", &fc.alive, 1, FORK_STORM_MAX_FORKS, "K",
			     "children alive at most; the oldest exits first [all]"),
		{ .name = "strategies", .type = OPTT_CALL, .id = FS_STRATEGIES, .argh = "LIST",
		  .help = "besides the no-sync baseline [the kernel presets, then\n"
			  "every safe strategy]", .bad = "bogus", .seen = &x.strategies },
		OPT_CALLBACK("kernel", FS_KERNEL, "PRESET", kernel_help, "nosuch"),
		OPT_CALLBACK("unshare-sync", FS_UNSHARE_SYNC, "MODE",
			     "per-gather or per-unshare [both]", "sometimes"),
		{ .name = "cpus", .type = OPTT_INT, .value = &b->nr_cpus, .min = 2,
		  .max = NR_CPUS, .argh = "N", .seen = &cpus_given,
		  .help = "the parent's CPU and bystanders, %R [host cores]" },
		OPT_INTEGER("bystanders", &bystanders, 1, NR_CPUS - 1, "N",
			    "CPUs running another mm in user mode [cpus - 1]"),
		OPT_CALLBACK("tlb", FS_TLB, "MODE", "as for torture", "x86"),
		OPT_CALLBACK("arch", FS_ARCH, "ARCH", "as for torture: weak, x86 or arm64", "ppc"),
		OPT_INTEGER("hz", &b->hz, 1, 10000, "N", "as for torture, %R"),
		OPT_U64("seed", &b->seed, "N", "as for torture"),
		OPT_U32("pt-pages", &b->pt_pages, 64, 1 << 24, "N", "as for torture, %R"),
		OPT_U32("folios", &b->folios, 1024, 1 << 26, "N", "as for torture, %R"),
		OPT_NUMBER("stall-timeout", &b->stall_timeout_s, 0, 86400, true, "S",
			   "as for torture"),
		OPT_CLEAR("no-pin", &b->pin, "as for torture"),
		OPT_BOOLEAN("json", &fc.json, "the results as one JSON object"),
		OPT_CLEAR("no-progress", &fc.progress, "as for torture"),
		OPT_HELP(),
		OPT_END(),
	};
	if (opts_parse(&(struct opt_cmd){ .name = "fork-storm", .usage = fork_storm_usage,
			.footer = fork_storm_footer, .opts = opts, .call = fs_call, .ctx = &x },
		       argc, argv) < 0)
		return 0;
	if (x.kernel && !(fc.modes & (1u << x.kernel->unshare_sync)))
		usage_error("--unshare-sync: --kernel=%s syncs %s", x.kernel->name,
			    unshare_sync_name(x.kernel->unshare_sync));
	fs_presets(&fc, x.kernel, x.strategies);
	fs_resolve(&fc, bystanders, cpus_given);
	return fork_storm(&fc);
}

/* The commands, in the order the unknown-command error lists them. */
static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "compare", cmd_compare }, { "torture", cmd_torture }, { "hostcheck", cmd_hostcheck },
	{ "list", cmd_list }, { "scale", cmd_scale }, { "recommend", cmd_recommend },
	{ "trace-plot", cmd_trace_plot }, { "fork-storm", cmd_fork_storm },
};

static const char *command_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", commands[i].name);
	return buf;
}

int main(int argc, char **argv)
{
	char names[160];

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		print_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("ptsync %s\n", PTSYNC_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	usage_error("unknown command '%s'; valid: %s", argv[1], command_names(names, sizeof(names)));
}
