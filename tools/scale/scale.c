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

/*
 * A strategy that IPIs a CPU only in the kernel (its ops declare
 * MECH_KERNEL_MODE_ONLY) tells the bystanders' time there: its bystander
 * IPIs per sync per bystander.  Only where the bystanders were nohz_full:
 * elsewhere nothing tracks their user mode and it IPIs every one of them.
 */
double scale_bystander_kernel(const struct scale_params *p, const char **src)
{
	for (int i = 0; i < p->nr_m; i++) {
		const struct scale_measured *e = &p->m[i];

		if (e->ops->mech != MECH_KERNEL_MODE_ONLY || !pt_sync_safe(e->ops) ||
		    !(e->fallbacks > 0))
			continue;
		if (!p->nohz_full) {
			*src = "not measured in this file: compare ran without --nohz-full, where "
			       "nothing tracks user mode and the kernel-mode-only sync IPIs every "
			       "bystander: 0";
			return 0;
		}
		*src = "measured: the kernel-mode-only sync's bystander IPIs / syncs / "
		       "bystanders in the --from file (nohz_full bystanders)";
		return e->bystander_sync_ipis / e->fallbacks / p->bystanders;
	}
	*src = "not measured in this file (no kernel-mode-only strategy run): 0";
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
	if (o->machine && scale_machine_load(p, o->machine, err, sizeof(err)))
		usage_error("%s", err);
	/* like for like: the projection runs the flush compare ran */
	if (o->tlb_given && o->tlb_mode != p->tlb_mode)
		usage_error("--tlb: %s disagrees with %s, measured with --tlb=%s; leave --tlb out "
			    "to take the file's", tlb_mode_name(o->tlb_mode), p->from,
			    tlb_mode_name(p->tlb_mode));
	if (o->tlb_mode == TLB_MODE_AUTO)
		o->tlb_mode = p->tlb_mode;
	if (!o->bkernel_given) {
		const char *src;

		o->bystander_kernel = scale_bystander_kernel(p, &src);
	}
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

/* The target where the file gives no run-to-run spread. */
#define SCALE_TARGET	0.25

/* How far off a prediction may be: twice the run-to-run spread of the
 * figure over compare's repetitions where the file lists them, else the
 * 25% target (labelled so).  Never an absolute floor. */
/*
 * The relative standard error of a median of @n samples, its spread
 * read off the samples themselves: sigma ~ (p99 - p50) / 2.326 (as if
 * normal above the median), se(median) ~ 1.2533 sigma / sqrt(n).  A sync
 * whose repetitions agree to the nanosecond (a grace period rounded to the
 * tick) still has this much uncertainty in its p50.
 */
static double median_rel_se(const struct scale_measured *me)
{
	if (!(me->sync_count > 0) || !(me->sync_p50_ns > 0) || !(me->sync_p99_ns >= me->sync_p50_ns))
		return NAN;
	return 1.2533 * (me->sync_p99_ns - me->sync_p50_ns) / 2.326 / me->sync_p50_ns /
	       sqrt(me->sync_count);
}

double scale_tolerance(const struct scale_measured *me, const char **why)
{
	double se = me ? median_rel_se(me) : NAN;

	if (me && isfinite(me->spread) && me->spread > 0) {
		if (isfinite(se) && se > me->spread) {
			*why = "2 x the p50's sampling error (larger than the run-to-run spread)";
			return 2 * se;
		}
		*why = "2 x run-to-run spread of compare's repetitions";
		return 2 * me->spread;
	}
	*why = "the 25% target: no run-to-run spread in this file (sync_ns.reps_p50)";
	return SCALE_TARGET;
}

/*
 * Noise: the prediction is the baseline's noise plus the model's IPIs, so
 * both runs' repetition spreads bound it (twice their sum); without them
 * in the file, the latency's tolerance.
 */
static double noise_tolerance(const struct scale_params *p, const struct scale_measured *me,
			      double tol)
{
	const struct scale_measured *base = NULL;

	for (int i = 0; i < p->nr_m; i++)
		if (p->m[i].ops->baseline)
			base = &p->m[i];
	if (!base || !isfinite(me->noise_spread) || !isfinite(base->noise_spread))
		return tol;
	return 2 * (me->noise_spread + base->noise_spread);
}

/* Fit each curve on the lower half of its K points, predict the upper. */
static int heldout(FILE *f, FILE *json, const struct scale_curve *full, bool *first)
{
	struct scale_curve c = *full;
	int lower = (c.n + 1) / 2, bad = 0;

	if (c.n < 3) {
		fprintf(f, "  %-6s: %d K point(s): nothing to hold out\n", c.name, c.n);
		return 0;
	}
	scale_curve_fit(&c, lower);
	fprintf(f, "  %-6s fitted on K <= %.0f (K=1 %.0f ns; %.0f ns + %.1f ns/target):",
		c.name, c.k[lower - 1], c.single_ns, c.intercept_ns, c.slope_ns);
	for (int i = lower; i < c.n; i++) {
		int k = (int)c.k[i];
		double pred = scale_curve_at(&c, k, k), e = err_pct(pred, c.p50[i]);
		bool ok = isfinite(e) && fabs(e) <= 100 * SCALE_TARGET;

		bad += !ok;
		fprintf(f, "  K=%d %.0f vs %.0f ns (%+.0f%%%s)", k, c.p50[i], pred, e, ok ? "" : "!");
		if (json)
			fprintf(json, "%s{\"curve\":\"%s\",\"k\":%d,\"measured_ns\":%.1f,"
				"\"predicted_ns\":%.1f,\"err_pct\":%.2f,\"within\":%s}",
				*first ? "" : ",", c.name, k, c.p50[i], pred, e, ok ? "true" : "false");
		*first = false;
	}
	fputc('\n', f);
	return bad;
}

struct vrow {
	const struct pt_sync_ops *ops;
	double lat_m, lat_p;
	double noise_m, noise_p;	/* bystander noise ns per s, at the measured rate */
	double ipis_m, ipis_p;		/* bystander sync IPIs, all bystanders */
	bool lat_fitted, noise_fitted;	/* an input came from this very figure */
	const char *fitted_by;
};

/* Which input came from this strategy's own measurement: its rows test
 * nothing (decided by what each parameter was fitted from). */
static const char *fitted_from(const struct scale_params *p, const struct pt_sync_ops *ops)
{
	const struct scale_param *lat[] = { &p->floor_ns, &p->defer_ns, &p->scan_ns_per_cpu,
		&p->walk_duty, &p->walker_kernel, &p->freer_work_ns, &p->walk_ns };

	if (!strncmp(p->model.src, "not measured", 12) && ops->mech == MECH_BROADCAST)
		return "the model's fan-out slope, from its sync p50";
	for (size_t i = 0; i < sizeof(lat) / sizeof(lat[0]); i++)
		if (lat[i]->from == ops)
			return lat[i]->src;
	return NULL;
}

static void validate_one(const struct scale_params *p, const struct scale_measured *me,
			 uint64_t seed, struct vrow *r)
{
	struct scale_machine m = {
		.cpus = p->cpus, .walkers = p->walkers, .tlb_mode = p->tlb_mode,
		.nohz_full = p->nohz_full, .seed = seed, .unshare_tables = 1,
		.events = me->fallbacks > 20000 ? 20000 : (unsigned int)me->fallbacks,
	};
	struct scale_out out = { 0 };
	double rate = me->fallbacks / me->seconds;

	scale_run(p, &m, me->ops, SITE_FALLBACK, &out);
	/* compare times the sync alone: the flush before it is not in sync_ns */
	*r = (struct vrow){ .ops = me->ops, .lat_m = me->sync_p50_ns,
		.lat_p = out.lat_p50_ns - out.flush_ns,
		.noise_m = me->noise_ns_per_s,
		.noise_p = p->base_noise_ns_per_s.v + out.noise_ns_per_event * rate,
		.ipis_m = me->bystander_sync_ipis,
		.ipis_p = out.ipis_per_bystander_per_event * p->bystanders * me->fallbacks };
	r->fitted_by = fitted_from(p, me->ops);
	r->lat_fitted = r->fitted_by != NULL;
	r->noise_fitted = p->noise_per_ipi_ns.from == me->ops;
}

/*
 * The file measured the strategy under another definition than its ops
 * declare now (eqs spared every user-mode CPU before context tracking was
 * confined to nohz_full CPUs): the model of today cannot be held to it.
 * Said on its own line and kept out of the verdict.
 */
static bool stale_definition(FILE *f, const struct scale_measured *me)
{
	const char *now = pt_sync_bystander_name(me->ops->bystander);

	if (!me->bystander_kind[0] || !strcmp(me->bystander_kind, now))
		return false;
	fprintf(f, "%-11s not compared: the file measured it as \"%s\", its ops declare \"%s\" "
		"now (an older definition)\n", me->ops->name, me->bystander_kind, now);
	return true;
}

static bool within(double pred, double meas, double tol)
{
	return meas > 0 && fabs(pred - meas) <= tol * meas;
}

/*
 * Core count held out: the model's fan-out curve cut to the lower half of
 * its K points (as if hostcheck had run on a machine with half the CPUs),
 * then compare's own broadcast figures predicted at its full count.
 */
static int corecount(FILE *f, FILE *json, const struct scale_params *p, uint64_t seed)
{
	struct scale_params *q = malloc(sizeof(*q));
	int bad = 0, n = 0;
	const char *why;

	if (!q)
		abort();
	*q = *p;
	if (q->model.n < 3) {
		fprintf(f, "validation 3: core count: the model's curve has %d K point(s): "
			"nothing to hold out\n", q->model.n);
		free(q);
		return 0;
	}
	scale_curve_fit(&q->model, (q->model.n + 1) / 2);
	fprintf(f, "validation 3: core count held out: the model's curve cut to K <= %.0f, "
		"compare predicted at K = %d\n", q->model.k[(q->model.n + 1) / 2 - 1], p->cpus - 1);
	for (int i = 0; i < p->nr_m; i++) {
		const struct scale_measured *me = &p->m[i];
		struct vrow r;

		if ((me->ops->mech != MECH_BROADCAST && me->ops->mech != MECH_EXPEDITED) ||
		    !pt_sync_safe(me->ops) || !(me->fallbacks > 0))
			continue;
		validate_one(q, me, seed, &r);
		double tol = scale_tolerance(me, &why);
		bool ok = within(r.lat_p, r.lat_m, tol);

		bad += !ok;
		fprintf(f, "  %-10s sync p50 %8.0f ns, predicted %8.0f ns (%+.0f%%, tol %.0f%%)%s\n",
			me->ops->name, r.lat_m, r.lat_p, err_pct(r.lat_p, r.lat_m), 100 * tol,
			ok ? "" : " !");
		if (json)
			fprintf(json, "%s{\"strategy\":\"%s\",\"cpus\":%d,\"fit_max_k\":%.0f,"
				"\"measured_ns\":%.1f,\"predicted_ns\":%.1f,\"within\":%s}",
				n++ ? "," : "", me->ops->name, p->cpus,
				q->model.k[(q->model.n + 1) / 2 - 1], r.lat_m, r.lat_p,
				ok ? "true" : "false");
	}
	free(q);
	return bad;
}

int scale_validate(FILE *f, const struct scale_params *p, uint64_t seed, FILE *json)
{
	int bad_lat = 0, bad_ipi = 0, bad_noise = 0, bad_fan = 0, n = 0;
	bool first = true;
	const char *why;

	fprintf(f, "\nvalidation 1: fan-out held out (fit on the lower half of the K points, "
		"predict the upper half; target 25%%)\n");
	if (json)
		fprintf(json, "{\"fanout_heldout\":[");
	bad_fan += heldout(f, json, &p->model, &first);
	bad_fan += heldout(f, json, &p->kernel, &first);
	if (json)
		fprintf(json, "],\"strategies\":[");
	fprintf(f, "validation 2: the model on compare's own machine (%d CPUs), predicted "
		"against measured\n", p->cpus);
	fprintf(f, "%-11s %10s %10s %7s %5s  %10s %10s %6s  %11s %11s %7s\n", "strategy",
		"sync p50", "model", "err", "tol", "byst IPIs", "model", "exact", "noise ns/s",
		"model", "err");
	for (int i = 0; i < p->nr_m; i++) {
		const struct scale_measured *me = &p->m[i];
		struct vrow r;

		if (me->ops->baseline || !pt_sync_safe(me->ops) || !scale_models(me->ops) ||
		    !(me->fallbacks > 0))
			continue;
		if (stale_definition(f, me))
			continue;
		validate_one(p, me, seed, &r);
		double tol = scale_tolerance(me, &why);
		bool exact = llround(r.ipis_p) == llround(r.ipis_m);
		bool lat_ok = within(r.lat_p, r.lat_m, tol);
		bool noise_ok = within(r.noise_p, r.noise_m, noise_tolerance(p, me, tol));

		bad_ipi += !exact;
		bad_lat += !r.lat_fitted && !lat_ok;
		bad_noise += !r.noise_fitted && !noise_ok;
		fprintf(f, "%-11s %8.0fns %8.0fns %6.0f%%%s %4.0f%%  %10.0f %10.0f %6s  %11.0f %11.0f "
			"%6.0f%%%s\n", me->ops->name, r.lat_m, r.lat_p, err_pct(r.lat_p, r.lat_m),
			r.lat_fitted ? "*" : lat_ok ? " " : "!", 100 * tol, r.ipis_m, r.ipis_p,
			exact ? "yes" : "NO", r.noise_m, r.noise_p, err_pct(r.noise_p, r.noise_m),
			r.noise_fitted ? "*" : noise_ok ? " " : "!");
		if (r.lat_fitted)
			fprintf(f, "%11s * fitted from: %s\n", "", r.fitted_by);
		if (json) {
			fprintf(json, "%s{\"strategy\":\"%s\",\"tolerance\":%.3f,\"tolerance_from\":",
				n++ ? "," : "", me->ops->name, tol);
			jw_string(json, why);
			fprintf(json, ",\"sync_p50_ns\":{\"measured\":%.1f,\"predicted\":%.1f,"
				"\"fitted\":%s,\"within\":%s},\"bystander_ipis\":{\"measured\":%.0f,"
				"\"predicted\":%.0f,\"exact\":%s},\"bystander_noise_ns_per_s\":"
				"{\"measured\":%.1f,\"predicted\":%.1f,\"fitted\":%s,\"within\":%s}}",
				r.lat_m, r.lat_p, r.lat_fitted ? "true" : "false", lat_ok ? "true" : "false",
				r.ipis_m, r.ipis_p, exact ? "true" : "false", r.noise_m, r.noise_p,
				r.noise_fitted ? "true" : "false", noise_ok ? "true" : "false");
		}
	}
	if (json)
		fprintf(json, "],\"corecount_heldout\":[");
	int bad_core = corecount(f, json, p, seed);

	scale_tolerance(NULL, &why);
	fprintf(f, "* fitted: an input came from this very figure, so the row is no test and is "
		"kept out of the verdict. ! outside the tolerance (tol: %s, where no row says "
		"otherwise).\nnoise: bystander noise ns/s, the measured baseline + the model's "
		"IPIs x the measured cost per IPI at compare's own fallback rate\n", why);
	bool ok = !bad_lat && !bad_ipi && !bad_noise && !bad_fan && !bad_core;

	fprintf(f, "fan-out held out within 25%%: %s; core count held out: %s; latency: %s; "
		"noise: %s; bystander IPI counts exact: %s\nverdict: %s\n", bad_fan ? "NO" : "yes",
		bad_core ? "NO" : "yes", bad_lat ? "NO" : "yes",
		bad_noise ? "NO" : "yes", bad_ipi ? "NO" : "yes",
		ok ? "validated" : "UNVALIDATED: the projection below is written, marked "
		"unvalidated, and scale exits 1");
	if (json)
		fprintf(json, "],\"validated\":%s,\"failed\":{\"fanout_heldout\":%d,"
			"\"corecount_heldout\":%d,\"latency\":%d,\"noise\":%d,\"ipi_counts\":%d}}",
			ok ? "true" : "false", bad_fan, bad_core, bad_lat, bad_noise, bad_ipi);
	return !ok;
}
