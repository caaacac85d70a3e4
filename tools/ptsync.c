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
#include "ptsync/run.h"
#include "ptsync/torture.h"

#include "opts.h"

/* The Makefile passes `git describe --always --dirty`; this when no git. */
#ifndef PTSYNC_VERSION
#define PTSYNC_VERSION "0.1"
#endif

int cmd_hostcheck(int argc, char **argv);	/* tools/hostcheck_cmd.c */

enum {
	OPT_STRATEGY = 256, OPT_CPUS, OPT_FREERS, OPT_WALKERS, OPT_BYSTANDERS,
	OPT_MMS, OPT_HZ, OPT_BATCH_FAIL, OPT_BATCH_POOL, OPT_WALK_DELAY,
	OPT_DURATION, OPT_STALL, OPT_SEED, OPT_WALK_PAGES, OPT_REGIONS,
	OPT_PT_PAGES, OPT_FOLIOS, OPT_HUGE, OPT_EXIT, OPT_NO_PIN, OPT_JSON,
	OPT_NO_PROGRESS, OPT_HELP,
	/* compare only */
	OPT_STRATEGIES, OPT_REPS, OPT_PHASE_S, OPT_WALK_S, OPT_SAFETY_S,
	OPT_HOSTCHECK_S, OPT_NO_HOSTCHECK, OPT_NOISE, OPT_NOISE_THRESHOLD,
	OPT_TIMERLAT_PERIOD, OPT_OUT, OPT_NO_PLOTS,
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
	{ NULL, 0, NULL, 0 },
};

static void print_compare_usage(FILE *f)
{
	fprintf(f,
"usage: ptsync compare [options]  every strategy side by side: cost to the freer,\n"
"                                 the walkers and the bystanders, plus hostcheck\n"
"  --strategies=LIST     comma-separated, besides the no-sync baseline [ipi,rcu]\n"
"  --reps=N              repetitions, interleaved A B C A B C, 1..100 [3]\n"
"  --phase-seconds=S     cost phase per strategy per repetition [4]\n"
"  --walk-seconds=S      walk timing per strategy per repetition [0.5]\n"
"  --safety-seconds=S    torture per strategy, 0 to skip [2]\n"
"  --hostcheck-seconds=S membarrier(2) timing per mode [1]; --no-hostcheck\n"
"  --noise=MODE          bystander meter: osnoise or timerlat [osnoise]\n"
"  --noise-threshold-ns=N  osnoise: smallest gap counted [1000]\n"
"  --timerlat-period-us=N  timerlat: wakeup period [1000]\n"
"  --out=DIR             where files go [ptsync-results/<timestamp>]\n"
"  --no-plots            write the data and plots.gp, do not run gnuplot\n"
"  --cpus=N              simulated CPUs [host cores; more only if asked]\n"
"  --walkers=N --bystanders=N --freers=N   roles [1 walker from 3 CPUs up,\n"
"                        1 freer, the rest bystanders]\n"
"  --hz, --batch-fail [1], --batch-pool, --seed, --no-pin, --no-progress:\n"
"                        as for torture\n");
}

static void print_usage(FILE *f)
{
	char names[128];

	fprintf(f,
"usage: ptsync compare [options]     the main job: every strategy side by side (--help)\n"
"       ptsync torture [options]     torture-test one sync strategy\n"
"       ptsync list                  list the sync strategies\n"
"       ptsync hostcheck [options]   time membarrier(2) on this kernel (--help)\n"
"       ptsync --version             the build's version (git describe)\n"
"\n"
"torture options (defaults in brackets):\n"
"  --strategy=NAME       %s [rcu]\n"
"  --cpus=N              simulated CPUs, 2..%d [4]\n"
"  --freers=N            CPUs that map/unmap/exit [1]\n"
"  --bystanders=N        CPUs running another mm in user mode [1, 0 if cpus<3]\n"
"  --walkers=N           CPUs running GUP-fast [the rest]\n"
"  --mms=N               address spaces the freers and walkers share, 1..64 [2]\n"
"  --hz=N                RCU tick: quiescent states at most N/s, 1..10000 [250]\n"
"  --batch-fail=P        chance a batch allocation fails, 0..1 [0.1]\n"
"  --batch-pool=N        batch pages in the GFP_NOWAIT pool, 0..65536 [64]\n"
"  --walk-delay-ns=N     spin with IRQs off inside each walk, 0..1e9 [0]\n"
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
"  --no-progress         no per-second lines on stderr\n"
"\n"
"exit status: 0 no violation, 1 violations or leaks, 2 bad usage,\n"
"             3 watchdog stall, 4 internal error\n",
		pt_sync_ops_names(names, sizeof(names)), NR_CPUS);
}

struct role_opts {
	int freers, walkers, bystanders;	/* -1: not given */
};

static void resolve_roles(struct ptsync_config *cfg, const struct role_opts *r)
{
	cfg->nr_freers = r->freers >= 0 ? r->freers : 1;
	cfg->nr_bystanders = r->bystanders >= 0 ? r->bystanders :
			     (cfg->nr_cpus >= 3 ? 1 : 0);
	cfg->nr_walkers = r->walkers >= 0 ? r->walkers :
			  cfg->nr_cpus - cfg->nr_freers - cfg->nr_bystanders;
	if (cfg->nr_walkers < 1)
		usage_error("--cpus: %d CPUs leave no walker (freers %d + bystanders %d); "
			    "give more CPUs or fewer of the others",
			    cfg->nr_cpus, cfg->nr_freers, cfg->nr_bystanders);
	if (cfg->nr_freers + cfg->nr_walkers + cfg->nr_bystanders != cfg->nr_cpus)
		usage_error("--cpus: %d CPUs, but freers %d + walkers %d + bystanders %d = %d",
			    cfg->nr_cpus, cfg->nr_freers, cfg->nr_walkers,
			    cfg->nr_bystanders,
			    cfg->nr_freers + cfg->nr_walkers + cfg->nr_bystanders);
}

static void parse_torture_opt(struct ptsync_config *cfg, struct role_opts *r,
			      int opt, const char *arg, bool *json)
{
	const char *name = NULL;
	char names[128];

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
	case OPT_BATCH_FAIL: cfg->batch_fail = parse_double(name, arg, 0, 1, false); break;
	case OPT_BATCH_POOL: cfg->batch_pool = (unsigned int)parse_int(name, arg, 0, 65536); break;
	case OPT_WALK_DELAY: cfg->walk_delay_ns = (uint64_t)parse_int(name, arg, 0, 1000000000); break;
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
	}
}

static int cmd_torture(int argc, char **argv)
{
	struct ptsync_config cfg;
	struct role_opts roles = { -1, -1, -1 };
	bool json = false;
	int opt;

	ptsync_config_default(&cfg);
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
		parse_torture_opt(&cfg, &roles, opt, optarg, &json);
	}
	if (optind < argc)
		usage_error("torture: unexpected argument '%s'", argv[optind]);
	resolve_roles(&cfg, &roles);
	return ptsync_torture(&cfg, json);
}

/* "ipi,rcu" -> ops[1..]; ops[0] is always the no-sync baseline. */
static void parse_strategies(struct compare_config *cc, const char *arg)
{
	char buf[256], names[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	cc->nr_ops = 1;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct pt_sync_ops *ops = pt_sync_ops_find(tok);

		if (!ops || ops == cc->ops[0])
			usage_error("--strategies: '%s' is not a strategy to compare; valid: %s "
				    "(none is always run, as the baseline)", tok,
				    pt_sync_ops_names(names, sizeof(names)));
		if (cc->nr_ops == COMPARE_MAX_STRATEGIES)
			usage_error("--strategies: at most %d", COMPARE_MAX_STRATEGIES - 1);
		cc->ops[cc->nr_ops++] = ops;
	}
	if (cc->nr_ops == 1)
		usage_error("--strategies: expected a comma-separated list, got '%s'", arg);
}

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
	}
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
	struct role_opts roles = { -1, -1, -1 };
	bool cpus_given = false, json = false;
	int opt, rc;

	compare_config_default(&cc);
	cc.base.seed = ktime_get_ns() ^ ((uint64_t)getpid() << 32);
	cc.base.progress = true;
	cc.ops[0] = &none_sync_ops;
	cc.nr_ops = 1;
	for (int i = 0; pt_sync_ops_all[i]; i++)
		if (pt_sync_ops_all[i] != cc.ops[0] && cc.nr_ops < COMPARE_MAX_STRATEGIES)
			cc.ops[cc.nr_ops++] = pt_sync_ops_all[i];
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
	resolve_compare_roles(&cc.base, &roles, cpus_given);
	rc = ptsync_compare(&cc);
	free(options);
	return rc;
}

static int cmd_list(void)
{
	for (int i = 0; pt_sync_ops_all[i]; i++)
		printf("%-6s %s%s\n", pt_sync_ops_all[i]->name, pt_sync_ops_all[i]->desc,
		       pt_sync_ops_all[i]->safe ? "" : " [UNSAFE]");
	return 0;
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
		return cmd_list();
	if (!strcmp(argv[1], "hostcheck"))
		return cmd_hostcheck(argc - 1, argv + 1);
	usage_error("unknown command '%s'; valid: compare, torture, hostcheck, list", argv[1]);
}
