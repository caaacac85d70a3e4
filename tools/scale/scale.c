// SPDX-License-Identifier: MIT
/*
 * ptsync scale: what the command does around the discrete-event model
 * (scale_des.c): its defaults, the costs it loads, the machine it models
 * and the validation; the options and the order of things are in
 * scale_main.c, the projection in scale_report.c.
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
#include "scale_cmd.h"
#include "scale_model.h"

extern char **environ;

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

void scale_opt_from(struct scale_opts *o, const char *arg)
{
	if (access(arg, R_OK))
		usage_error("--from: cannot read '%s': %s", arg, strerror(errno));
	o->from = arg;
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
