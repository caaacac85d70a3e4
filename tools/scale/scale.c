// SPDX-License-Identifier: MIT
/*
 * ptsync scale: the command around the discrete-event model (scale_des.c).
 *
 * Why it checks itself first: a projection is only worth what the model
 * gets right where it can be checked.  So before projecting, it runs the
 * model on the machine compare ran on, and prints what it predicts beside
 * what compare measured: sync latency (aim: within 25%), bystander IPIs
 * per fallback (exact), bystander noise.  Then it projects to --cpus and
 * writes a table, scale.json, scale.csv and gnuplot plots in --out, and
 * sets the published figures beside its own.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"
#include "scale.h"
#include "scale_cmd.h"

extern char **environ;

#define MAX_POINTS	32

static const int default_cpus[] = { 16, 32, 64, 128, 196, 256, 512, 1024 };

void scale_opts_default(struct scale_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->nr_cpus = (int)(sizeof(default_cpus) / sizeof(default_cpus[0]));
	memcpy(o->cpus, default_cpus, sizeof(default_cpus));
	o->walkers = 1;
	o->tlb_mode = TLB_MODE_AUTO;
	o->events = 200;
	o->unshare_tables = 1228;	/* 1.2 TB of hugetlb / 1 GiB per PMD table */
	o->plots = true;
	o->seed = 1;
	for (int s = 0; s < NR_SITES; s++)
		o->sites[s] = true;
}

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

/* Every safe strategy the model knows, in list order. */
static void default_strategies(struct scale_opts *o)
{
	for (int i = 0; pt_sync_ops_all[i] && o->nr_ops < SCALE_MAX_STRATEGIES; i++)
		if (pt_sync_safe(pt_sync_ops_all[i]) && !pt_sync_ops_all[i]->baseline &&
		    scale_models(pt_sync_ops_all[i]))
			o->ops[o->nr_ops++] = pt_sync_ops_all[i];
}

/* --out must be creatable and writable before anything runs. */
void scale_prepare_out(struct scale_opts *o)
{
	if (!o->out) {
		time_t t = time(NULL);
		struct tm tm;

		localtime_r(&t, &tm);
		mkdir("ptsync-results", 0777);
		strftime(o->out_buf, sizeof(o->out_buf), "ptsync-results/scale-%Y%m%d-%H%M%S", &tm);
		o->out = o->out_buf;
	}
	if (mkdir(o->out, 0777) && errno != EEXIST)
		usage_error("--out: cannot create '%s': %s", o->out, strerror(errno));
	if (access(o->out, W_OK))
		usage_error("--out: '%s' is not a writable directory: %s", o->out, strerror(errno));
}

/* No results.json anywhere: run a short compare into OUT/compare. */
static int run_short_compare(const struct scale_opts *o, char *path, size_t len)
{
	char out[600], exe[600];
	char *argv[] = { exe, "compare", "--reps=1", "--phase-seconds=1",
		"--walk-seconds=0.2", "--safety-seconds=0", "--hostcheck-seconds=0.5",
		"--no-plots", "--no-progress", out, NULL };
	pid_t pid;
	int st;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = 0;
	snprintf(out, sizeof(out), "--out=%s/compare", o->out);
	fprintf(stderr, "ptsync scale: no ptsync-results/*/results.json: running a short "
		"compare (about 20 s) into %s/compare\n", o->out);
	if (posix_spawn(&pid, exe, NULL, NULL, argv, environ) ||
	    waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	snprintf(path, len, "%s/compare/results.json", o->out);
	return 0;
}

int scale_load(struct scale_opts *o, struct scale_params *p)
{
	char path[600], err[700];

	if (o->from) {
		snprintf(path, sizeof(path), "%s", o->from);
	} else if (scale_find_results(path, sizeof(path))) {
		if (!o->out)
			scale_prepare_out(o);
		if (run_short_compare(o, path, sizeof(path))) {
			fprintf(stderr, "ptsync scale: the short compare failed\n");
			return 4;
		}
	}
	if (scale_params_load(p, path, err, sizeof(err))) {
		fprintf(stderr, "ptsync scale: %s\n", err);
		return 4;
	}
	if (o->tlb_mode == TLB_MODE_AUTO)
		o->tlb_mode = TLB_NATIVE;
	if (!o->nr_ops)
		default_strategies(o);
	return 0;
}

void scale_machine_for(const struct scale_opts *o, int cpus, bool host,
		       struct scale_machine *m)
{
	*m = (struct scale_machine){
		.cpus = cpus, .walkers = o->walkers < cpus - 1 ? o->walkers : cpus - 2,
		.tlb_mode = o->tlb_mode, .nohz_full = o->nohz_full,
		.bystander_kernel_frac = o->bystander_kernel, .host_costs = host,
		.unshare_tables = o->unshare_tables, .events = o->events, .seed = o->seed,
	};
	if (m->walkers < 0)
		m->walkers = 0;
}

/* ---- validation ---- */

static double err_pct(double pred, double meas)
{
	return meas > 0 ? 100 * (pred - meas) / meas : NAN;
}

/* Bystander time lost per fallback, over the baseline: what compare's
 * noise means once its rate (which the host's load sets) is taken out. */
static double noise_per_fallback(const struct scale_params *p, const struct scale_measured *me)
{
	return (me->noise_ns_per_s - p->base_noise_ns_per_s.v) * me->noise_runtime_ns / 1e9 /
	       p->bystanders / me->fallbacks;
}

struct vrow {
	const struct pt_sync_ops *ops;
	double lat_m, lat_p, noise_m, noise_p;	/* noise: ns per fallback */
	double ipis_m, ipis_p;	/* bystander sync IPIs, all bystanders */
	bool fitted;		/* the latency was an input, not a prediction */
};

static void validate_one(const struct scale_params *p, const struct scale_measured *me,
			 uint64_t seed, struct vrow *r)
{
	struct scale_machine m = {
		.cpus = p->cpus, .walkers = p->walkers, .tlb_mode = p->tlb_mode,
		.nohz_full = p->nohz_full, .seed = seed, .unshare_tables = 1,
		.events = me->fallbacks > 20000 ? 20000 : (unsigned int)me->fallbacks,
	};
	struct scale_out out = { 0 };

	scale_run(p, &m, me->ops, SITE_FALLBACK, &out);
	*r = (struct vrow){ .ops = me->ops, .lat_m = me->sync_p50_ns, .lat_p = out.lat_p50_ns,
		.noise_m = noise_per_fallback(p, me), .noise_p = out.noise_ns_per_event,
		.ipis_m = me->bystander_sync_ipis,
		.ipis_p = out.ipis_per_bystander_per_event * p->bystanders * me->fallbacks,
		.fitted = !strcmp(me->ops->name, "ipi") };
}

int scale_validate(FILE *f, const struct scale_params *p, uint64_t seed, FILE *json)
{
	int bad_lat = 0, bad_ipi = 0, n = 0;

	fprintf(f, "\nvalidation: the model on compare's own machine (%d CPUs), predicted "
		"against measured\n", p->cpus);
	fprintf(f, "%-11s %10s %10s %7s  %10s %10s %6s  %11s %11s\n", "strategy",
		"sync p50", "model", "err", "byst IPIs", "model", "exact", "noise/fb",
		"model");
	if (json)
		fprintf(json, "[");
	for (int i = 0; i < p->nr_m; i++) {
		const struct scale_measured *me = &p->m[i];
		struct vrow r;

		if (me->ops->baseline || !pt_sync_safe(me->ops) || !scale_models(me->ops) ||
		    !(me->fallbacks > 0))
			continue;
		validate_one(p, me, seed, &r);
		bool exact = llround(r.ipis_p) == llround(r.ipis_m);
		double le = err_pct(r.lat_p, r.lat_m);
		/* below ~100 ns the clock, not the model, decides the figure */
		bool lat_ok = fabs(le) <= 25 || fabs(r.lat_p - r.lat_m) < 100;

		bad_ipi += !exact;
		bad_lat += !r.fitted && !lat_ok;
		fprintf(f, "%-11s %8.0fns %8.0fns %6.0f%%%s %10.0f %10.0f %6s  %9.0fns %9.0fns\n",
			me->ops->name, r.lat_m, r.lat_p, le, r.fitted ? "*" : lat_ok ? " " : "!",
			r.ipis_m, r.ipis_p, exact ? "yes" : "NO", r.noise_m, r.noise_p);
		if (json)
			fprintf(json, "%s{\"strategy\":\"%s\",\"sync_p50_ns\":{\"measured\":%.1f,"
				"\"predicted\":%.1f,\"fitted\":%s},\"bystander_ipis\":{\"measured\":%.0f,"
				"\"predicted\":%.0f,\"exact\":%s},\"noise_ns_per_fallback\":{\"measured\":%.1f,"
				"\"predicted\":%.1f}}", n++ ? "," : "", me->ops->name, r.lat_m,
				r.lat_p, r.fitted ? "true" : "false", r.ipis_m, r.ipis_p,
				exact ? "true" : "false", r.noise_m, r.noise_p);
	}
	if (json)
		fprintf(json, "]");
	fprintf(f, "* fitted: the fan-out slope was derived from this figure, so it is not a "
		"test of the model. ! more than 25%% (and 100 ns) off.\n"
		"noise/fb: bystander time lost per fallback over the no-sync baseline "
		"(measured: noise minus baseline; noisy on a loaded host)\n");
	fprintf(f, "latency within 25%%: %s; bystander IPI counts exact: %s\n",
		bad_lat ? "NO (see the rows above)" : "yes", bad_ipi ? "NO" : "yes");
	return bad_lat || bad_ipi;
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
