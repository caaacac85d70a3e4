// SPDX-License-Identifier: MIT
/*
 * ptsync scale: the command, its options and the order of things: load
 * the costs (scale.c), validate, then project (scale_report.c).  Apart
 * from scale.c so that the report, which uses scale.c's machine and
 * validation, is not something scale.c calls back into.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"
#include "scale_cmd.h"
#include "scale_model.h"
#include "scale_report.h"

#define MAX_POINTS	32

/* "16,64,1024" */
static void parse_cpus(struct scale_opts *o, const char *arg)
{
	char buf[512], *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		usage_error("--cpus: list too long");
	snprintf(buf, sizeof(buf), "%s", arg);
	o->nr_cpus = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (o->nr_cpus == MAX_POINTS)
			usage_error("--cpus: at most %d counts", MAX_POINTS);
		o->cpus[o->nr_cpus++] = (int)parse_int("cpus", t, 2, SCALE_MAX_CPUS);
	}
	if (!o->nr_cpus)
		usage_error("--cpus: expected a comma-separated list of counts 2..%d, got '%s'",
			    SCALE_MAX_CPUS, arg);
}

static void parse_strategies(struct scale_opts *o, const char *arg)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	o->nr_ops = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const struct pt_sync_ops *ops = pt_sync_ops_find(t);

		if (!ops || !scale_models(ops))
			usage_error("--strategies: '%s' is not a strategy the model knows "
				    "(ptsync list)", t);
		if (o->nr_ops < SCALE_MAX_STRATEGIES)
			o->ops[o->nr_ops++] = ops;
	}
	if (!o->nr_ops)
		usage_error("--strategies: expected a comma-separated list, got '%s'", arg);
}

static void parse_sites(struct scale_opts *o, const char *arg)
{
	char buf[256], *save = NULL;
	bool any = false;

	snprintf(buf, sizeof(buf), "%s", arg);
	memset(o->sites, 0, sizeof(o->sites));
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int s;

		for (s = 0; s < NR_SITES; s++)
			if (!strcmp(t, scale_site_name(s)))
				break;
		if (s == NR_SITES)
			usage_error("--callsites: expected fallback, collapse, unshare-each or "
				    "unshare-gather, got '%s'", t);
		o->sites[s] = any = true;
	}
	if (!any)
		usage_error("--callsites: expected a comma-separated list, got '%s'", arg);
}

/* ---- the command ---- */

enum { OPT_FROM = 256, OPT_OUT, OPT_CPUS, OPT_STRATEGIES, OPT_SITES, OPT_WALKERS,
       OPT_TLB, OPT_NOHZ, OPT_BKERNEL, OPT_EVENTS, OPT_UNSHARE, OPT_SEED, OPT_NO_PLOTS,
       OPT_COUNTS, OPT_FALLBACKS, OPT_HELP };

static const struct option scale_options[] = {
	{ "from", required_argument, NULL, OPT_FROM },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "strategies", required_argument, NULL, OPT_STRATEGIES },
	{ "callsites", required_argument, NULL, OPT_SITES },
	{ "walkers", required_argument, NULL, OPT_WALKERS },
	{ "tlb", required_argument, NULL, OPT_TLB },
	{ "nohz-full", no_argument, NULL, OPT_NOHZ },
	{ "bystander-kernel", required_argument, NULL, OPT_BKERNEL },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "unshare-tables", required_argument, NULL, OPT_UNSHARE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "no-plots", no_argument, NULL, OPT_NO_PLOTS },
	{ "counts", no_argument, NULL, OPT_COUNTS },
	{ "fallbacks", required_argument, NULL, OPT_FALLBACKS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void scale_usage(FILE *f)
{
	fprintf(f,
"usage: ptsync scale [options]  project each strategy's cost to many CPUs with a\n"
"                               discrete-event model fed by this host's compare\n"
"  --from=FILE           a compare results.json [newest ptsync-results/*/results.json;\n"
"                        none: run a short compare first]\n"
"  --out=DIR             scale.json, scale.csv, plots [ptsync-results/scale-<time>]\n"
"  --cpus=LIST           CPU counts, 2..%d [16,32,64,128,196,256,512,1024]\n"
"  --strategies=LIST     [every safe strategy]\n"
"  --callsites=LIST      fallback,collapse,unshare-each,unshare-gather [all]\n"
"  --walkers=N           CPUs walking the freer's mm, 0..4094 [1]\n"
"  --tlb=MODE            invlpgb, native or pv [native]\n"
"  --nohz-full           bystanders' user mode is an RCU EQS\n"
"  --bystander-kernel=P  share of time bystanders spend in the kernel, 0..1 [0]\n"
"  --events=N            call-site events per point, 1..100000 [200]\n"
"  --unshare-tables=N    PMD tables one exit unshares, 1..100000 [1228: 1.2 TB]\n"
"  --seed=N              walker phases and draws [1]\n"
"  --no-plots            write the data and scale.gp, do not run gnuplot\n"
"  --counts --fallbacks=N  print per-CPU IPIs of N fallbacks on --cpus=ONE\n"
"                        (the scripted scenario the tests hold the model to)\n",
		SCALE_MAX_CPUS);
}

static void parse_scale_opt(struct scale_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_FROM:
		if (access(arg, R_OK))
			usage_error("--from: cannot read '%s': %s", arg, strerror(errno));
		o->from = arg;
		break;
	case OPT_OUT:
		if (!*arg || strlen(arg) > 200)
			usage_error("--out: expected a directory path of 1 to 200 characters");
		o->out = arg;
		break;
	case OPT_CPUS: parse_cpus(o, arg); break;
	case OPT_STRATEGIES: parse_strategies(o, arg); break;
	case OPT_SITES: parse_sites(o, arg); break;
	case OPT_WALKERS: o->walkers = (int)parse_int("walkers", arg, 0, SCALE_MAX_CPUS - 2); break;
	case OPT_TLB:
		o->tlb_mode = tlb_mode_find(arg);
		if (o->tlb_mode < 0)
			usage_error("--tlb: expected invlpgb, native or pv, got '%s'", arg);
		break;
	case OPT_NOHZ: o->nohz_full = true; break;
	case OPT_BKERNEL: o->bystander_kernel = parse_double("bystander-kernel", arg, 0, 1, false); break;
	case OPT_EVENTS: o->events = (unsigned int)parse_int("events", arg, 1, 100000); break;
	case OPT_UNSHARE:
		o->unshare_tables = (unsigned int)parse_int("unshare-tables", arg, 1, 100000);
		break;
	case OPT_SEED: o->seed = parse_u64("seed", arg); break;
	case OPT_NO_PLOTS: o->plots = false; break;
	case OPT_COUNTS: o->counts = true; break;
	case OPT_FALLBACKS: o->fallbacks = (unsigned int)parse_int("fallbacks", arg, 1, 1000000); break;
	}
}

static void check_scale_opts(const struct scale_opts *o)
{
	char modes[64];

	if (o->counts && (o->nr_cpus != 1 || !o->fallbacks))
		usage_error("--counts: give one --cpus=N and --fallbacks=N");
	if (!o->counts && o->fallbacks)
		usage_error("--fallbacks: only with --counts");
	for (int i = 0; i < o->nr_cpus; i++)
		if (o->walkers > o->cpus[i] - 2 && o->walkers != 1)
			usage_error("--walkers: %d walkers leave no bystander at --cpus=%d",
				    o->walkers, o->cpus[i]);
	for (int i = 0; i < o->nr_ops && o->tlb_mode != TLB_MODE_AUTO; i++)
		if (!(o->ops[i]->tlb_modes & TLB_MODE_BIT(o->tlb_mode)))
			usage_error("--tlb: strategy %s is defined for %s only, not --tlb=%s",
				    o->ops[i]->name,
				    tlb_modes_str(o->ops[i]->tlb_modes, modes, sizeof(modes)),
				    tlb_mode_name(o->tlb_mode));
}

/* --counts: one scripted scenario, the per-CPU IPIs, as TSV. */
static int scale_counts(const struct scale_opts *o, const struct scale_params *p)
{
	struct scale_machine m;

	for (int i = 0; i < o->nr_ops; i++) {
		struct scale_out out = { 0 };

		scale_machine_for(o, o->cpus[0], false, &m);
		m.events = o->fallbacks;
		out.ipis_each = calloc((size_t)m.cpus, sizeof(*out.ipis_each));
		if (!out.ipis_each)
			return 4;
		scale_run(p, &m, o->ops[i], SITE_FALLBACK, &out);
		for (int c = 0; c < m.cpus; c++)
			printf("%s\t%d\t%s\t%llu\n", o->ops[i]->name, c, c == 0 ? "freer" :
			       c <= m.walkers ? "walker" : "bystander",
			       (unsigned long long)out.ipis_each[c]);
		free(out.ipis_each);
	}
	return 0;
}

int cmd_scale(int argc, char **argv)
{
	struct scale_opts o;
	struct scale_params p;
	int opt, rc;

	scale_opts_default(&o);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", scale_options, NULL)) != -1) {
		if (opt == OPT_HELP) {
			scale_usage(stdout);
			return 0;
		}
		if (opt == '?')
			usage_bad_option(scale_options, argv[optind - 1], "scale");
		parse_scale_opt(&o, opt, optarg);
	}
	if (optind < argc)
		usage_error("scale: unexpected argument '%s'", argv[optind]);
	check_scale_opts(&o);
	if (!o.counts)
		scale_prepare_out(&o);
	rc = scale_load(&o, &p);
	if (rc)
		return rc;
	if (o.counts)
		return scale_counts(&o, &p);
	return scale_project(&o, &p);
}
