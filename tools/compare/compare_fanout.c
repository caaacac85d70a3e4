// SPDX-License-Identifier: MIT
/*
 * ptsync compare: like-for-like host figures and the fan-out correction.
 *
 * Why a file of its own: the model sends one signal (one syscall) per IPI
 * target where the kernel sends the whole mask in one go, so the model's
 * broadcast grows faster with the number of targets K than the kernel's.
 * A figure measured at one core count then does not carry to another.
 * hostcheck measures both fan-out curves on this host (hostcheck_fanout.c)
 * and fits each one's per-target cost (slope); this file
 *   - picks the host's broadcast at the same K the model's run broadcast
 *     to (nr_cpus - 1), for the host rows and the ratio check;
 *   - puts beside every freer-side figure that a broadcast is part of the
 *     same figure with the model's per-target cost replaced by the host's:
 *         corrected = measured - K * (model slope - host slope)
 *     with K the sync calls the strategy made per sync, counted, and both
 *     slopes measured in the same run, never typed in.  Where a slope
 *     cannot be fitted (a host with K max 1) the correction is reported as
 *     unavailable, not guessed;
 *   - writes fanout.dat and the fan-out plot.
 */
#include <inttypes.h>

#include "compare_fanout.h"
#include "outfile.h"

/* The model's broadcast reaches every other CPU of the run. */
int compare_model_k(const struct compare_report *r)
{
	return r->cfg.base.nr_cpus - 1;
}

static const struct hostcheck_fanout *fanout(const struct compare_report *r)
{
	return r->host_ok && r->host.fanout.run ? &r->host.fanout : NULL;
}

/* The host's broadcast at exactly the model's K, or NULL. */
const struct hc_fanout_point *compare_host_at_k(const struct compare_report *r)
{
	const struct hostcheck_fanout *fo = fanout(r);

	return fo ? hc_fanout_at(&fo->kernel, compare_model_k(r)) : NULL;
}

/* The host kernel's broadcast at the model's K: its point, else its fit. */
enum fanout_how compare_host_ns_at_k(const struct compare_report *r, double *ns)
{
	const struct hostcheck_fanout *fo = fanout(r);

	*ns = 0;
	return fo ? fanout_curve_at(&fo->kernel, compare_model_k(r), ns) : FO_NONE;
}

/*
 * The host's grace period / broadcast ratio at the model's K: global p50
 * over the kernel fan-out's p50 at that K, measured or read off the fit
 * (compare_interp.c).  Never the one-bystander figure: a broadcast to one
 * CPU against the model's to K is no like-for-like.  0 where there is no
 * figure at K (no fan-out, or one K measured and not this one).
 */
double compare_host_ratio(const struct compare_report *r, enum fanout_how *how)
{
	const struct hostcheck_mode_result *gl = &r->host.mode[HC_GLOBAL];
	enum fanout_how h;
	double at_k;

	if (how)
		*how = FO_NONE;
	if (!r->host_ok || !gl->supported || !gl->p50_ns)
		return 0;
	h = compare_host_ns_at_k(r, &at_k);
	if (h == FO_NONE)
		return 0;
	if (how)
		*how = h;
	return (double)gl->p50_ns / at_k;
}

/* Model slope - host slope in ns per target; false where either is unfitted. */
bool compare_slope_delta(const struct compare_report *r, double *delta)
{
	const struct hostcheck_fanout *fo = fanout(r);

	if (!fo || !fo->kernel.measured || !fo->model.measured ||
	    !fo->kernel.fit.ok || !fo->model.fit.ok)
		return false;
	*delta = fo->model.fit.slope - fo->kernel.fit.slope;
	return true;
}

/* Sync IPI calls per sync: the K of this strategy's broadcasts, counted. */
double compare_sync_k(const struct compare_result *res)
{
	uint64_t sync_calls = res->calls_run > res->tlb_calls ? res->calls_run - res->tlb_calls : 0;

	return res->syncs ? (double)sync_calls / (double)res->syncs : 0;
}

static double corrected_ns(double measured, double k, double delta)
{
	double c = measured - k * delta;

	return c > 0 ? c : 0;
}

/* unmaps/s with each sync's broadcast share re-costed at the host's slope. */
static double corrected_rate(const struct compare_result *res, double k, double delta)
{
	double t, per_unmap;

	if (!res->unmaps || !(res->seconds > 0))
		return 0;
	t = res->seconds / (double)res->unmaps;
	per_unmap = (double)res->syncs / (double)res->unmaps * k * delta / 1e9;
	return t - per_unmap > 0 ? 1.0 / (t - per_unmap) : 0;
}

static void print_slope(FILE *f, const char *who, const struct hc_fanout_curve *c)
{
	if (!c->measured)
		fprintf(f, "%s not measured (%s)", who, c->why_not ? c->why_not : "?");
	else if (!c->fit.ok)
		fprintf(f, "%s unavailable (K = %d only)", who, c->nr ? c->pt[0].k : 0);
	else
		fprintf(f, "%s %.2f us/target + %.2f us", who, c->fit.slope / 1e3,
			c->fit.intercept / 1e3);
}

/* The host row at the model's K, printed among hostcheck's rows. */
void compare_print_host_k_row(FILE *f, const struct compare_report *r)
{
	const struct hc_fanout_point *p = compare_host_at_k(r);
	const struct hostcheck_fanout *fo = fanout(r);
	int k = compare_model_k(r);

	if (!fo)
		return;
	if (!p) {
		double ns;
		enum fanout_how how = compare_host_ns_at_k(r, &ns);

		if (how == FO_NONE)
			fprintf(f, "  global_expedited K=%-3d no figure: not a measured K and no "
				"fit (the host has %d target CPU(s) at most)\n", k, fo->max_k);
		else
			fprintf(f, "  global_expedited K=%-3d p50 %7.1fus %s from the fan-out fit "
				"(%.2f us + K x %.3f us; measured K up to %d)\n", k, ns / 1e3,
				fanout_how_name(how), fo->kernel.fit.intercept / 1e3,
				fo->kernel.fit.slope / 1e3, fo->max_k);
		return;
	}
	fprintf(f, "  global_expedited K=%-3d p50 %7.1fus p99 %7.1fus  (%d spinning "
		"target%s, %.0f%% of calls reached them", k, (double)p->p50_ns / 1e3,
		(double)p->p99_ns / 1e3, k, k == 1 ? "" : "s", 100 * hc_fanout_reached(p));
	if (p->estimated)
		fprintf(f, "; of those, p50 ~%.1fus, estimated", (double)p->p50_used_ns / 1e3);
	fputs(")\n", f);
}

void compare_print_fanout(FILE *f, const struct compare_report *r)
{
	const struct hostcheck_fanout *fo = fanout(r);
	const struct hc_fanout_point *mp;
	double delta;
	bool have;

	if (!fo)
		return;
	mp = hc_fanout_at(&fo->model, compare_model_k(r));
	fprintf(f, "\nfan-out (broadcast to K spinning targets, waiting for all; hostcheck's "
		"curves up to K=%d):\n  per-target cost: ", fo->max_k);
	print_slope(f, "host kernel", &fo->kernel);
	fputs("; ", f);
	print_slope(f, "model", &fo->model);
	fputc('\n', f);
	if (mp)
		fprintf(f, "  model smp_call_function_many at K=%d: p50 %.1fus\n", mp->k,
			(double)mp->p50_ns / 1e3);
	have = compare_slope_delta(r, &delta);
	if (!have) {
		fprintf(f, "  fan-out corrected figures: unavailable: a per-target cost needs "
			"a fit over at least 2 values of K, and this host has %d target CPU(s) "
			"(K max %d)\n", fo->max_k, fo->max_k);
		return;
	}
	fprintf(f, "  fan-out corrected (model's per-target cost replaced by the host's: "
		"measured - K x %.2f us):\n", delta / 1e3);
	fprintf(f, "  %-12s %6s %11s %11s %11s %11s %10s %10s\n", "strategy", "K",
		"sync p50", "corrected", "sync p99", "corrected", "unmaps/s", "corrected");
	for (int i = 0; i < r->nr_res; i++) {
		const struct compare_result *res = &r->res[i];
		double k = compare_sync_k(res);
		double p50 = (double)compare_sync_pct(res, 50), p99 = (double)compare_sync_pct(res, 99);

		fprintf(f, "  %-12s %6.2f %10.1fus %10.1fus %10.1fus %10.1fus %10.0f %10.0f\n",
			res->ops->name, k, p50 / 1e3, corrected_ns(p50, k, delta) / 1e3,
			p99 / 1e3, corrected_ns(p99, k, delta) / 1e3,
			res->seconds > 0 ? (double)res->unmaps / res->seconds : 0,
			corrected_rate(res, k, delta));
	}
}

static void json_num_or_null(FILE *f, bool have, double v)
{
	if (have)
		fprintf(f, "%.1f", v);
	else
		fputs("null", f);
}

/* "fanout":{...} for results.json (a key and its object, no comma). */
void compare_fanout_json(FILE *f, const struct compare_report *r)
{
	const struct hostcheck_fanout *fo = fanout(r);
	enum fanout_how how, rhow;
	bool have;
	double delta = 0, host_k, ratio = compare_host_ratio(r, &rhow);

	have = compare_slope_delta(r, &delta);
	fprintf(f, "\"fanout\":{\"measured\":%s,\"model_k\":%d,\"host_max_k\":%d,"
		"\"host_slope_ns_per_target\":", fo ? "true" : "false", compare_model_k(r),
		fo ? fo->max_k : 0);
	json_num_or_null(f, fo && fo->kernel.fit.ok, fo ? fo->kernel.fit.slope : 0);
	fputs(",\"model_slope_ns_per_target\":", f);
	json_num_or_null(f, fo && fo->model.fit.ok, fo ? fo->model.fit.slope : 0);
	fputs(",\"slope_delta_ns\":", f);
	json_num_or_null(f, have, delta);
	fprintf(f, ",\"correction\":\"%s\",\"host_p50_ns_at_model_k\":",
		have ? "measured - K * slope_delta_ns" :
		"unavailable: a slope needs at least 2 values of K");
	how = compare_host_ns_at_k(r, &host_k);
	json_num_or_null(f, how != FO_NONE, host_k);
	fprintf(f, ",\"host_at_model_k_from\":\"%s\",\"host_gp_ipi_ratio_at_model_k\":",
		fanout_how_name(how));
	json_num_or_null(f, rhow != FO_NONE, ratio);
	fputs(",\"corrected\":[", f);
	for (int i = 0; i < r->nr_res; i++) {
		const struct compare_result *res = &r->res[i];
		double k = compare_sync_k(res);

		fprintf(f, "%s{\"name\":\"%s\",\"k\":%.3f,\"sync_p50_ns\":%" PRIu64
			",\"sync_p50_ns_corrected\":", i ? "," : "", res->ops->name, k,
			compare_sync_pct(res, 50));
		json_num_or_null(f, have, corrected_ns((double)compare_sync_pct(res, 50), k, delta));
		fprintf(f, ",\"sync_p99_ns\":%" PRIu64 ",\"sync_p99_ns_corrected\":",
			compare_sync_pct(res, 99));
		json_num_or_null(f, have, corrected_ns((double)compare_sync_pct(res, 99), k, delta));
		fprintf(f, ",\"unmaps_per_s\":%.1f,\"unmaps_per_s_corrected\":",
			res->seconds > 0 ? (double)res->unmaps / res->seconds : 0);
		json_num_or_null(f, have, corrected_rate(res, k, delta));
		fputc('}', f);
	}
	fputs("]}", f);
}

/* fanout.dat (K, kernel p50 us, model p50 us; "?" where not measured) and
 * the plot's lines appended to plots.gp.  True when there is a plot. */
bool compare_fanout_files(const struct compare_report *r)
{
	const struct hostcheck_fanout *fo = fanout(r);
	FILE *dat, *gp;
	int n;

	if (!fo)
		return false;
	dat = out_fopen(r->out_dir, "fanout.dat", "w");
	gp = dat ? out_fopen(r->out_dir, "plots.gp", "a") : NULL;
	if (!gp) {
		if (dat)
			fclose(dat);
		return false;
	}
	n = fo->kernel.nr > fo->model.nr ? fo->kernel.nr : fo->model.nr;
	fprintf(dat, "# K kernel_p50_us model_p50_us kernel_raw_p50_us (hostcheck fan-out;\n"
		"# kernel_p50_us is over the calls that reached their targets, estimated\n"
		"# where fewer than 90%% did, as in the fit)\n");
	for (int i = 0; i < n; i++) {
		const struct hc_fanout_point *kp = i < fo->kernel.nr ? &fo->kernel.pt[i] : NULL;
		const struct hc_fanout_point *mp = i < fo->model.nr ? &fo->model.pt[i] : NULL;

		fprintf(dat, "%d", kp ? kp->k : mp->k);
		if (kp)
			fprintf(dat, " %.3f", (double)kp->p50_used_ns / 1e3);
		else
			fputs(" ?", dat);
		if (mp)
			fprintf(dat, " %.3f", (double)mp->p50_ns / 1e3);
		else
			fputs(" ?", dat);
		if (kp)
			fprintf(dat, " %.3f\n", (double)kp->p50_ns / 1e3);
		else
			fputs(" ?\n", dat);
	}
	fprintf(gp, "\nunset logscale\nunset yrange\nunset xtics\nset xtics\n"
		"set output 'fanout.png'\nset datafile missing '?'\n"
		"set title 'Broadcast to K spinning targets, waiting for all: p50'\n"
		"set xlabel 'K (targets)'\nset ylabel 'us'\nset key bottom right\nset xrange [0:%d]\n"
		"set yrange [0:*]\nset offsets 0, 0, graph 0.15, 0\n"
		"plot 'fanout.dat' using 1:2 with linespoints lw 2 title "
		"'host kernel: membarrier(GLOBAL_EXPEDITED), calls that reached'", fo->max_k + 1);
	if (fo->kernel.fit.ok)
		fprintf(gp, ", %.4f + %.6f*x with lines dt 2 title 'kernel fit: %.2f us/target'",
			fo->kernel.fit.intercept / 1e3, fo->kernel.fit.slope / 1e3,
			fo->kernel.fit.slope / 1e3);
	fputs(", '' using 1:3 with linespoints lw 2 title 'model: smp_call_function_many'", gp);
	fputs(", '' using 1:4 with points pt 6 title 'host kernel: all calls (raw p50)'", gp);
	if (fo->model.fit.ok)
		fprintf(gp, ", %.4f + %.6f*x with lines dt 2 title 'model fit: %.2f us/target'",
			fo->model.fit.intercept / 1e3, fo->model.fit.slope / 1e3,
			fo->model.fit.slope / 1e3);
	fputc('\n', gp);
	fclose(dat);
	fclose(gp);
	return true;
}
