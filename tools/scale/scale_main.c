// SPDX-License-Identifier: MIT
/*
 * ptsync scale: the command, its options and the order of things: load
 * the costs (scale.c), validate, then project (scale_report.c).  Apart
 * from scale.c so that the report, which uses scale.c's machine and
 * validation, is not something scale.c calls back into.
 */
#include <errno.h>
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
static void cpus_item(void *ctx, const char *item, int i)
{
	struct scale_opts *o = ctx;

	if (i == MAX_POINTS)
		usage_error("--cpus: at most %d counts", MAX_POINTS);
	o->cpus[i] = (int)parse_int("cpus", item, 2, SCALE_MAX_CPUS);
	o->nr_cpus = i + 1;
}

static void strategies_item(void *ctx, const char *item, int i)
{
	struct scale_opts *o = ctx;
	const struct pt_sync_ops *ops = pt_sync_ops_find(item);

	(void)i;
	if (!ops || !scale_models(ops))
		usage_error("--strategies: '%s' is not a strategy the model knows "
			    "(ptsync list)", item);
	if (o->nr_ops < SCALE_MAX_STRATEGIES)
		o->ops[o->nr_ops++] = ops;
}

static void sites_item(void *ctx, const char *item, int i)
{
	struct scale_opts *o = ctx;
	int s;

	(void)i;
	for (s = 0; s < NR_SITES; s++)
		if (!strcmp(item, scale_site_name(s)))
			break;
	if (s == NR_SITES)
		usage_error("--callsites: expected fallback, collapse, unshare-each or "
			    "unshare-gather, got '%s'", item);
	o->sites[s] = true;
}

/* ---- the command ---- */

static const char scale_usage[] =
"usage: ptsync scale [options]  project each strategy's cost to many CPUs with a\n"
"                               discrete-event model fed by this host's compare\n";

enum { OPT_FROM, OPT_MACHINE, OPT_OUT, OPT_CPUS, OPT_STRATEGIES, OPT_SITES, OPT_TLB };

static void scale_call(void *ctx, const struct opt *opt, const char *arg)
{
	struct scale_opts *o = ctx;

	switch (opt->id) {
	case OPT_FROM: scale_opt_from(o, arg); break;
	case OPT_MACHINE: {
		struct scale_params *tmp;
		char err[700];
		int bad;

		/* bad input is refused before anything runs (and nothing is
		 * left allocated at the exit: ASan's leak check) */
		if (access(arg, R_OK))
			usage_error("--machine: cannot read '%s': %s", arg, strerror(errno));
		tmp = calloc(1, sizeof(*tmp));
		if (!tmp)
			usage_error("--machine: out of memory");
		bad = scale_machine_load(tmp, arg, err, sizeof(err));
		free(tmp);
		if (bad)
			usage_error("%s", err);
		o->machine = arg;
		break;
	}
	case OPT_OUT:
		o->out = parse_dir(opt->name, arg, 200);
		break;
	case OPT_CPUS: parse_list(opt->name, arg, o, cpus_item); break;
	case OPT_STRATEGIES:
		o->nr_ops = 0;
		parse_list(opt->name, arg, o, strategies_item);
		break;
	case OPT_SITES:
		memset(o->sites, 0, sizeof(o->sites));
		parse_list(opt->name, arg, o, sites_item);
		break;
	case OPT_TLB:
		o->tlb_mode = parse_name(opt->name, arg, tlb_mode_find, "invlpgb, native or pv");
		break;
	}
}

static void check_scale_opts(const struct scale_opts *o)
{
	char modes[64];

	if (o->counts && (o->nr_cpus != 1 || !o->fallbacks))
		usage_error("--counts: give one --cpus=N and --fallbacks=N");
	if (!o->counts && !o->script && o->fallbacks)
		usage_error("--fallbacks: only with --counts or --script");
	if (o->script && (o->counts || !o->fallbacks || o->fallbacks > 100000))
		usage_error("--script: give --fallbacks=N, 1..100000, and not --counts");
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
	int rc;

	scale_opts_default(&o);
	struct opt opts[] = {
		OPT_CALLBACK("from", OPT_FROM, "FILE",
			     "a compare results.json [newest ptsync-results/*/results.json;\n"
			     "none: run a short compare first]", "/nonexistent/results.json"),
		OPT_CALLBACK("machine", OPT_MACHINE, "FILE",
			     "ptsync hostcheck --json from the machine to project: its\n"
			     "kernel fan-out curve is the kernel column [the --from\n"
			     "file's own hostcheck]", "/nonexistent/hostcheck.json"),
		OPT_CALLBACK("out", OPT_OUT, "DIR",
			     "scale.json, scale.csv, plots [ptsync-results/scale-<time>]", ""),
		{ .name = "cpus", .type = OPTT_CALL, .id = OPT_CPUS, .min = 2,
		  .max = SCALE_MAX_CPUS, .argh = "LIST", .bad = "16,abc",
		  .help = "CPU counts, %R [16,32,64,128,196,256,512,1024]" },
		OPT_CALLBACK("strategies", OPT_STRATEGIES, "LIST", "[every safe strategy]",
			     "bogus"),
		OPT_CALLBACK("callsites", OPT_SITES, "LIST",
			     "fallback,collapse,unshare-each,unshare-gather [all]", "exit"),
		OPT_INTEGER("walkers", &o.walkers, 0, SCALE_MAX_CPUS - 2, "N",
			    "CPUs walking the freer's mm, %R [1]"),
		{ .name = "tlb", .type = OPTT_CALL, .id = OPT_TLB, .argh = "MODE",
		  .help = "invlpgb, native or pv; must be the --from file's [its]",
		  .bad = "x86", .seen = &o.tlb_given },
		OPT_BOOLEAN("nohz-full", &o.nohz_full, "bystanders' user mode is an RCU EQS"),
		{ .name = "bystander-kernel", .type = OPTT_DOUBLE, .value = &o.bystander_kernel,
		  .dmin = 0, .dmax = 1, .argh = "P", .seen = &o.bkernel_given,
		  .help = "share of time bystanders spend in the kernel, 0..1\n"
			  "[measured: eqs's bystander IPIs per sync in --from]" },
		OPT_UINTEGER("events", &o.events, 1, 100000, "N",
			     "call-site events per point, %R [200]"),
		OPT_UINTEGER("unshare-tables", &o.unshare_tables, 1, 100000, "N",
			     "PMD tables one exit unshares, %R [1228: 1.2 TB]"),
		OPT_U64("seed", &o.seed, "N", "walker phases and draws [1]"),
		OPT_CLEAR("no-plots", &o.plots, "write the data and scale.gp, do not run gnuplot"),
		OPT_BOOLEAN("counts", &o.counts, "with --fallbacks=N: print per-CPU IPIs of N\n"
			    "fallbacks on --cpus=ONE (the scripted scenario the\n"
			    "tests hold the model to)"),
		OPT_UINTEGER("fallbacks", &o.fallbacks, 1, 1000000, "N",
			     "fallbacks --counts or --script scripts, %R"),
		OPT_BOOLEAN("script", &o.script, "with --fallbacks=N: 8 CPUs, walkers and bystanders\n"
			    "in and out of the kernel: per-CPU IPIs from real\n"
			    "threads beside the model's (TSV)"),
		OPT_HELP(),
		OPT_END(),
	};
	const struct opt_cmd cmd = { .name = "scale", .usage = scale_usage, .opts = opts,
		.call = scale_call, .ctx = &o };

	if (opts_parse(&cmd, argc, argv) < 0)
		return 0;
	check_scale_opts(&o);
	if (!o.counts && !o.script)
		scale_prepare_out(&o);
	rc = scale_load(&o, &p);
	if (rc)
		return rc;
	if (o.counts)
		return scale_counts(&o, &p);
	if (o.script)
		return scale_script(&o, &p);
	return scale_project(&o, &p);
}
