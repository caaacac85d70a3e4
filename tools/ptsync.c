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

#include "ptsync/run.h"
#include "ptsync/torture.h"

#define EXIT_USAGE 2

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), __noreturn__));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ptsync: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static long long parse_int(const char *opt, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage_error("--%s: expected an integer from %lld to %lld, got '%s'",
			    opt, min, max, s);
	return v;
}

static uint64_t parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		usage_error("--%s: expected an unsigned 64-bit integer, got '%s'", opt, s);
	return v;
}

static double parse_double(const char *opt, const char *s, double min, double max,
			   bool min_open)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v > max ||
	    (min_open ? v <= min : v < min))
		usage_error("--%s: expected a number %s %g and at most %g, got '%s'",
			    opt, min_open ? "above" : "of at least", min, max, s);
	return v;
}

enum {
	OPT_STRATEGY = 256, OPT_CPUS, OPT_FREERS, OPT_WALKERS, OPT_BYSTANDERS,
	OPT_MMS, OPT_HZ, OPT_BATCH_FAIL, OPT_BATCH_POOL, OPT_WALK_DELAY,
	OPT_DURATION, OPT_STALL, OPT_SEED, OPT_WALK_PAGES, OPT_REGIONS,
	OPT_PT_PAGES, OPT_FOLIOS, OPT_HUGE, OPT_EXIT, OPT_NO_PIN, OPT_JSON,
	OPT_NO_PROGRESS, OPT_HELP,
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

static void print_usage(FILE *f)
{
	char names[128];

	fprintf(f,
"usage: ptsync torture [options]     torture-test one sync strategy\n"
"       ptsync list                  list the sync strategies\n"
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
		if (opt == '?') {
			if (optopt)
				usage_error("%s: this option takes a value", argv[optind - 1]);
			usage_error("%s: unknown option (see ptsync --help)", argv[optind - 1]);
		}
		parse_torture_opt(&cfg, &roles, opt, optarg, &json);
	}
	if (optind < argc)
		usage_error("torture: unexpected argument '%s'", argv[optind]);
	resolve_roles(&cfg, &roles);
	return ptsync_torture(&cfg, json);
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
	if (!strcmp(argv[1], "torture"))
		return cmd_torture(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return cmd_list();
	usage_error("unknown command '%s'; valid: torture, list", argv[1]);
}
