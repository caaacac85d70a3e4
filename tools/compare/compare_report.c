// SPDX-License-Identifier: MIT
/*
 * ptsync compare: the report.  A table on stdout, and in the output
 * directory results.json, results.csv, the data behind each plot, a gnuplot
 * script, and the plots it renders.
 *
 * The data files and the script are written even when gnuplot is missing,
 * so the plots can be made elsewhere; the report says so in one line.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compare_callsite.h"
#include "compare_fanout.h"
#include "compare_rate.h"
#include "compare_report.h"
#include "compare_tlb.h"
#include "compare_walkers.h"
#include "fmt.h"
#include "outfile.h"

static double per_s(uint64_t v, double s)
{
	return s > 0 ? (double)v / s : 0;
}

static double ipis_per_bystander_per_fallback(const struct compare_result *res)
{
	if (!res->nr_bystanders || !res->fallbacks)
		return 0;
	return (double)res->bystander_ipis / res->nr_bystanders / (double)res->fallbacks;
}

/* Sync IPIs alone (calls run that were not TLB flushes). */
static double sync_ipis_per_bystander_per_fallback(const struct compare_result *res)
{
	if (!res->nr_bystanders || !res->fallbacks)
		return 0;
	return (double)res->bystander_sync_calls / res->nr_bystanders / (double)res->fallbacks;
}

/* PT_RECLAIM's tables waiting for a grace period, mean over the phases. */
static double held_mean_pages(const struct compare_result *res)
{
	return res->held_span_ns > 0 ? res->held_page_ns / res->held_span_ns : 0;
}

static const struct compare_result *find(const struct compare_report *r, const char *name)
{
	for (int i = 0; i < r->nr_res; i++)
		if (!strcmp(r->res[i].ops->name, name) && r->res[i].syncs)
			return &r->res[i];
	return NULL;
}

/* rcu sync p50 / ipi sync p50: the model's price of a grace period. */
double compare_model_ratio(const struct compare_report *r)
{
	const struct compare_result *rcu = find(r, "rcu"), *ipi = find(r, "ipi");
	uint64_t ipi50 = ipi ? compare_sync_pct(ipi, 50) : 0;

	return rcu && ipi50 ? (double)compare_sync_pct(rcu, 50) / (double)ipi50 : 0;
}

static void print_header(FILE *f, const struct compare_report *r)
{
	const struct compare_config *cfg = &r->cfg;
	const struct ptsync_config *b = &cfg->base;

	fprintf(f, "ptsync compare: %d simulated CPUs on %d host cores (freers %d, "
		"walkers %d, bystanders %d)%s\n", b->nr_cpus, r->host_cpus,
		b->nr_freers, b->nr_walkers, b->nr_bystanders,
		r->oversubscribed ? " - OVERSUBSCRIBED: the numbers measure the host "
				    "scheduler too" : "");
	fprintf(f, "  %u reps x %g s per strategy, interleaved; hz %d, batch-fail %g, tlb %s%s, "
		"bystander meter %s (%s), seed %" PRIu64 "%s\n", cfg->reps, cfg->phase_s,
		b->hz, b->batch_fail, tlb_mode_name(b->tlb_mode),
		b->nohz_full ? ", nohz_full bystanders" : "", noise_mode_name(cfg->noise_mode),
		cfg->noise_mode == NOISE_OSNOISE ? "gaps above threshold" : "wakeup lateness",
		b->seed, r->partial ? "  [PARTIAL: interrupted]" : "");
	fprintf(f, "  host: %s, kernel %s\n\n", r->cpu_model, r->kernel);
}

static void print_row(FILE *f, const struct compare_report *r, const struct compare_result *res)
{
	double base = noise_ns_per_s(&r->res[0].noise), noise = noise_ns_per_s(&res->noise);
	char p50[16], p99[16], max[16], gap[16], viol[24], held[32];

	if (res->safety_run)
		snprintf(viol, sizeof(viol), "%" PRIu64, res->violations);
	else
		snprintf(viol, sizeof(viol), "-");
	if (res->held_peak)
		snprintf(held, sizeof(held), "%" PRId64 "/%.0f",
			 res->held_peak * (int64_t)PAGE_SIZE / 1024,
			 held_mean_pages(res) * PAGE_SIZE / 1024);
	else
		snprintf(held, sizeof(held), "0");
	fprintf(f, "%-10s %5s %8s %8s %8s %8" PRIu64 " %8.2f %7.1f %10.1f %6.2fx %8s %5.0f %5.2fx %9s %8.0f\n",
		res->ops->name, viol,
		fmt_ns(p50, sizeof(p50), (double)compare_sync_pct(res, 50)),
		fmt_ns(p99, sizeof(p99), (double)compare_sync_pct(res, 99)),
		fmt_ns(max, sizeof(max), (double)samples_max(&res->sync_lat)),
		res->syncs, sync_ipis_per_bystander_per_fallback(res),
		per_s(res->bystander_tlb_calls, res->seconds) /
			(res->nr_bystanders ? res->nr_bystanders : 1),
		noise / 1e3, base > 0 ? noise / base : 0.0,
		fmt_ns(gap, sizeof(gap), (double)res->noise.gaps.max),
		res->walk_ns, res->raw_walk_ns > 0 ? res->walk_ns / res->raw_walk_ns : 0.0,
		held, per_s(res->unmaps, res->seconds));
}

/*
 * GLOBAL_EXPEDITED only interrupts CPUs running a registered process at
 * that instant: if the bystander was mostly off its CPU, the p50 is of
 * calls that interrupted no one, and the host ratio means nothing.
 */
static bool host_ratio_reliable(const struct compare_report *r)
{
	const struct hostcheck_mode_result *ge = &r->host.mode[HC_GLOBAL_EXPEDITED];
	const struct hc_fanout_point *k = compare_host_at_k(r);

	double ns;

	if (k)		/* the like-for-like point: did its calls reach the K targets? */
		return hc_fanout_reached(k) < 0 || hc_fanout_reached(k) >= 0.5;
	if (compare_host_ns_at_k(r, &ns) != FO_NONE) {
		/* read off the fit: every point it was fitted on must have reached */
		const struct hc_fanout_curve *c = &r->host.fanout.kernel;

		for (int i = 0; i < c->nr; i++)
			if (hc_fanout_reached(&c->pt[i]) >= 0 && hc_fanout_reached(&c->pt[i]) < 0.5)
				return false;
		return true;
	}
	if (!r->host_ok || !ge->supported || !ge->calls)
		return false;
	return ge->bystander_ipis < 0 || (uint64_t)ge->bystander_ipis * 2 >= ge->calls;
}

static void print_host(FILE *f, const struct compare_report *r)
{
	double model = compare_model_ratio(r), host;
	char a[16], b[16], c[16];
	enum fanout_how how;

	if (!r->host_ok) {
		fprintf(f, "\nhost kernel (membarrier): %s\n",
			!r->cfg.hostcheck ? "not measured (--no-hostcheck)" :
			r->partial ? "not measured (interrupted)" : "could not be measured");
		return;
	}
	fprintf(f, "\nhost kernel (membarrier, bystander in another process):\n");
	for (int m = 0; m < HC_NR_MODES; m++) {
		const struct hostcheck_mode_result *hm = &r->host.mode[m];

		if (!hm->supported) {
			fprintf(f, "  %-18s unsupported\n", hm->name);
			continue;
		}
		fprintf(f, "  %-18s p50 %9s p99 %9s max %9s  bystander noise %8.1f us/s\n",
			hm->name, fmt_ns(a, sizeof(a), (double)hm->p50_ns),
			fmt_ns(b, sizeof(b), (double)hm->p99_ns),
			fmt_ns(c, sizeof(c), (double)hm->max_ns),
			noise_ns_per_s(&hm->bystander) / 1e3);
	}
	compare_print_host_k_row(f, r);
	host = compare_host_ratio(r, &how);
	if (how == FO_NONE) {
		fprintf(f, "grace period / IPI latency ratio: model %.0f (rcu p50 / ipi p50, K=%d), "
			"host: no broadcast figure at K=%d (one bystander is no like-for-like)\n",
			model, compare_model_k(r), compare_model_k(r));
		return;
	}
	fprintf(f, "grace period / IPI latency ratio: model %.0f (rcu p50 / ipi p50, K=%d), "
		"host %.0f (global / global_expedited p50 at K=%d, %s)", model, compare_model_k(r),
		host, compare_model_k(r), how == FO_MEASURED ? "same K, measured" :
		how == FO_INTERPOLATED ? "same K, interpolated from the fan-out fit" :
		"same K, extrapolated from the fan-out fit");
	if (model > 0 && host > 0)
		fprintf(f, ": within 10x: %s",
			model / host <= 10 && host / model <= 10 ? "yes" : "NO");
	fputc('\n', f);
	if (!host_ratio_reliable(r))
		fprintf(f, "  note: fewer than half the global_expedited calls reached the "
			"bystander (busy host?): the host ratio is not a fair measure\n");
}

void compare_print_table(FILE *f, const struct compare_report *r)
{
	print_header(f, r);
	if (!(r->cfg.groups & (1u << CG_FALLBACK))) {
		fprintf(f, "call site fallback: not run (--callsite)\n");
		compare_print_callsites(f, r);
		print_host(f, r);
		return;
	}
	fprintf(f, "call site fallback: tlb_remove_table_one(), a table with no batch page\n");
	fprintf(f, "%-10s %5s %8s %8s %8s %8s %8s %7s %10s %7s %8s %5s %6s %9s %8s\n",
		"strategy", "viol", "sync p50", "p99", "max", "syncs", "IPI/b/fb",
		"tlb/b/s", "noise us/s", "x base", "max gap", "walk", "x raw", "held KiB",
		"unmaps/s");
	for (int i = 0; i < r->nr_res; i++)
		print_row(f, r, &r->res[i]);
	fprintf(f, "\n%s is the baseline: no sync at all. Its violations are the checker "
		"working; its noise is the floor.\nIPI/b/fb: sync IPIs taken per bystander "
		"per fallback; tlb/b/s: TLB-flush IPIs per bystander per second (--tlb).\n"
		"sync: what the freer waits per fallback (pt-reclaim only queues). "
		"noise: bystander time lost, per second measured.\n"
		"walk: ns per %d-page gup_fast, against the same walk unprotected (x raw).\n"
		"held KiB: page-table pages waiting for a grace period one by one, peak/mean.\n",
		r->res[0].ops->name, 16);
	compare_print_callsites(f, r);
	compare_print_walkers(f, r);
	compare_print_tlb(f, r);
	compare_print_rate(f, r);
	print_host(f, r);
	compare_print_fanout(f, r);
}

/* ---- files ---- */

static int mkdir_p(const char *path)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0777) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static FILE *out_open(const struct compare_report *r, const char *name)
{
	return out_fopen(r->out_dir, name, "w");
}

static void json_noise(FILE *f, const struct noise *n)
{
	fprintf(f, "{\"runtime_ns\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"noise_ns\":%"
		PRIu64 ",\"max_gap_ns\":%" PRIu64 ",\"noise_ns_per_s\":%.1f,\"wakeups\":%"
		PRIu64 ",\"sched_fifo\":%s,\"histogram_log2_ns\":[", n->runtime_ns,
		n->gaps.count, n->gaps.sum, n->gaps.max, noise_ns_per_s(n), n->wakeups,
		n->fifo ? "true" : "false");
	for (int i = 0; i < HIST_BUCKETS; i++)
		fprintf(f, "%s%" PRIu64, i ? "," : "", n->gaps.bucket[i]);
	fprintf(f, "]}");
}

static void json_result(FILE *f, const struct compare_report *r, const struct compare_result *res)
{
	double base = noise_ns_per_s(&r->res[0].noise);

	fprintf(f, "{\"name\":\"%s\",\"baseline\":%s,\"safe\":%s,", res->ops->name,
		res->baseline ? "true" : "false", pt_sync_safe(res->ops) ? "true" : "false");
	fprintf(f, "\"violations\":%" PRIu64 ",\"safety_seconds\":%.3f,\"safety_fallbacks\":%"
		PRIu64 ",\"leaked_objects\":%" PRIu64 ",", res->violations, res->safety_s,
		res->safety_fallbacks, res->leaked);
	fprintf(f, "\"sync_ns\":{\"p50\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"max\":%" PRIu64
		",\"count\":%zu,\"reps_p50\":[", compare_sync_pct(res, 50),
		compare_sync_pct(res, 99), samples_max(&res->sync_lat), res->sync_lat.n);
	for (unsigned int i = 0; i < res->nr_rep_sync; i++)
		fprintf(f, "%s%" PRIu64, i ? "," : "", res->rep_sync_p50[i]);
	fprintf(f, "]},");
	fprintf(f, "\"bystander_noise_reps_ns_per_s\":[");
	for (unsigned int i = 0; i < res->nr_rep_noise; i++)
		fprintf(f, "%s%.1f", i ? "," : "", res->rep_noise_ns_per_s[i]);
	fprintf(f, "],");
	fprintf(f, "\"batch_gp_ns\":{\"p50\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"max\":%"
		PRIu64 ",\"count\":%zu},",
		samples_percentile((struct samples *)&res->batch_gp, 50),
		samples_percentile((struct samples *)&res->batch_gp, 99),
		samples_max(&res->batch_gp), res->batch_gp.n);
	fprintf(f, "\"seconds\":%.3f,\"unmaps\":%" PRIu64 ",\"unmaps_per_s\":%.1f,"
		"\"fallbacks\":%" PRIu64 ",\"fallbacks_per_s\":%.1f,\"syncs\":%" PRIu64 ",",
		res->seconds, res->unmaps, per_s(res->unmaps, res->seconds), res->fallbacks,
		per_s(res->fallbacks, res->seconds), res->syncs);
	fprintf(f, "\"ipis_sent\":%" PRIu64 ",\"ipis_received\":%" PRIu64 ",\"calls_sent\":%"
		PRIu64 ",\"calls_run\":%" PRIu64 ",\"bystanders\":%d,\"bystander_ipis\":%" PRIu64
		",\"bystander_ipis_per_fallback\":%.4f,",
		res->ipis_sent, res->ipis_received, res->calls_sent, res->calls_run,
		res->nr_bystanders, res->bystander_ipis, ipis_per_bystander_per_fallback(res));
	fprintf(f, "\"bystander\":\"%s\",\"bystander_sync_ipis\":%" PRIu64
		",\"bystander_tlb_ipis\":%" PRIu64 ",\"sync_ipis_per_bystander_per_fallback\":%.4f,"
		"\"tlb_ipis\":%" PRIu64 ",", pt_sync_bystander_name(res->ops->bystander),
		res->bystander_sync_calls, res->bystander_tlb_calls,
		sync_ipis_per_bystander_per_fallback(res), res->tlb_calls);
	fprintf(f, "\"held_pages\":{\"peak\":%" PRId64 ",\"mean\":%.3f,\"peak_bytes\":%" PRId64
		",\"mean_bytes\":%.0f,\"callback_ns\":{\"p50\":%" PRIu64 ",\"p99\":%" PRIu64
		",\"max\":%" PRIu64 ",\"count\":%zu}},", res->held_peak, held_mean_pages(res),
		res->held_peak * (int64_t)PAGE_SIZE, held_mean_pages(res) * PAGE_SIZE,
		samples_percentile((struct samples *)&res->held_cb, 50),
		samples_percentile((struct samples *)&res->held_cb, 99),
		samples_max(&res->held_cb), res->held_cb.n);
	fprintf(f, "\"ipis_received_per_cpu\":[");
	for (int i = 0; i < r->cfg.base.nr_cpus; i++)
		fprintf(f, "%s{\"cpu\":%d,\"bystander\":%s,\"ipis\":%" PRIu64 "}", i ? "," : "",
			i, res->is_bystander[i] ? "true" : "false", res->ipis_each[i]);
	fprintf(f, "],");
	fprintf(f, "\"bystander_noise_ns\":%" PRIu64 ",\"bystander_noise_ns_per_s\":%.1f,"
		"\"bystander_noise_vs_baseline\":%.3f,\"bystander_noise\":", res->noise.gaps.sum,
		noise_ns_per_s(&res->noise), base > 0 ? noise_ns_per_s(&res->noise) / base : 0.0);
	json_noise(f, &res->noise);
	fprintf(f, ",\"walk_ns\":%.1f,\"raw_walk_ns\":%.1f,\"walk_ratio\":%.4f,", res->walk_ns,
		res->raw_walk_ns, res->raw_walk_ns > 0 ? res->walk_ns / res->raw_walk_ns : 0.0);
	compare_walkers_strategy_json(f, res);
	compare_callsites_json(f, r, res);
	fputc('}', f);
}

static void json_config(FILE *f, const struct compare_report *r)
{
	const struct compare_config *cfg = &r->cfg;
	const struct ptsync_config *b = &cfg->base;

	fprintf(f, "\"config\":{\"cpus\":%d,\"freers\":%d,\"walkers\":%d,\"bystanders\":%d,"
		"\"hz\":%d,\"batch_fail\":%g,\"batch_pool\":%u,\"seed\":%" PRIu64 ",\"reps\":%u,"
		"\"phase_seconds\":%g,\"walk_seconds\":%g,\"safety_seconds\":%g,"
		"\"noise_mode\":\"%s\",\"noise_threshold_ns\":%" PRIu64 ",\"timerlat_period_ns\":%"
		PRIu64 ",\"tlb\":\"%s\",\"nohz_full\":%s},", b->nr_cpus, b->nr_freers,
		b->nr_walkers, b->nr_bystanders, b->hz,
		b->batch_fail, b->batch_pool, b->seed, cfg->reps, cfg->phase_s, cfg->walk_s,
		cfg->safety_s, noise_mode_name(cfg->noise_mode), cfg->noise_threshold_ns,
		cfg->timerlat_period_ns, tlb_mode_name(b->tlb_mode),
		b->nohz_full ? "true" : "false");
}

static void write_json(FILE *f, const struct compare_report *r)
{
	fprintf(f, "{\"partial\":%s,\"oversubscribed\":%s,\"host\":{\"cores\":%d,\"kernel\":",
		r->partial ? "true" : "false", r->oversubscribed ? "true" : "false", r->host_cpus);
	jw_string(f, r->kernel);
	fprintf(f, ",\"cpu_model\":");
	jw_string(f, r->cpu_model);
	fprintf(f, "},");
	json_config(f, r);
	fprintf(f, "\"strategies\":[");
	for (int i = 0; i < r->nr_res; i++) {
		if (i)
			fputc(',', f);
		json_result(f, r, &r->res[i]);
	}
	fprintf(f, "],\"model_gp_ipi_ratio\":%.1f,\"host_gp_ipi_ratio\":%.1f,"
		"\"host_ratio_reliable\":%s,", compare_model_ratio(r),
		r->host_ok ? compare_host_ratio(r, NULL) : 0.0,
		host_ratio_reliable(r) ? "true" : "false");
	compare_fanout_json(f, r);
	fputc(',', f);
	compare_rate_json(f, r);
	fputc(',', f);
	compare_walkers_json(f, r);
	fputc(',', f);
	compare_tlb_json(f, r);
	fprintf(f, ",\"hostcheck\":");
	if (r->host_ok)
		hostcheck_print_json(f, &r->host);
	else
		fprintf(f, "null");
	fprintf(f, "}\n");
}

static void write_csv(FILE *f, const struct compare_report *r)
{
	fprintf(f, "strategy,baseline,violations,sync_p50_ns,sync_p99_ns,sync_max_ns,syncs,"
		"fallbacks,bystander_ipis,ipis_per_bystander_per_fallback,"
		"bystander_noise_ns_per_s,noise_vs_baseline,max_gap_ns,walk_ns,raw_walk_ns,"
		"walk_ratio,unmaps_per_s,bystander_sync_ipis,bystander_tlb_ipis,"
		"held_peak_pages,held_mean_pages\n");
	for (int i = 0; i < r->nr_res; i++) {
		const struct compare_result *res = &r->res[i];
		double base = noise_ns_per_s(&r->res[0].noise), noise = noise_ns_per_s(&res->noise);

		fprintf(f, "%s,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%"
			PRIu64 ",%" PRIu64 ",%.4f,%.1f,%.3f,%" PRIu64 ",%.1f,%.1f,%.4f,%.1f,%"
			PRIu64 ",%" PRIu64 ",%" PRId64 ",%.3f\n",
			res->ops->name, res->baseline, res->violations, compare_sync_pct(res, 50),
			compare_sync_pct(res, 99), samples_max(&res->sync_lat), res->syncs,
			res->fallbacks, res->bystander_ipis, ipis_per_bystander_per_fallback(res),
			noise, base > 0 ? noise / base : 0.0, res->noise.gaps.max, res->walk_ns,
			res->raw_walk_ns, res->raw_walk_ns > 0 ? res->walk_ns / res->raw_walk_ns : 0.0,
			per_s(res->unmaps, res->seconds), res->bystander_sync_calls,
			res->bystander_tlb_calls, res->held_peak, held_mean_pages(res));
	}
}

/* ---- plots ---- */

/* sync_<name>.dat: latency in us, fraction of syncs at or below it. */
static void write_cdf(const struct compare_report *r, const struct compare_result *res)
{
	char name[64];
	struct samples *s = (struct samples *)&res->sync_lat;
	FILE *f;
	size_t step;

	snprintf(name, sizeof(name), "sync_%s.dat", res->ops->name);
	f = out_open(r, name);
	if (!f)
		return;
	samples_percentile(s, 50);	/* sorts */
	step = s->n > 2000 ? s->n / 2000 : 1;
	for (size_t i = 0; i < s->n; i += step)
		fprintf(f, "%.3f %.6f\n", (double)(s->v[i] ? s->v[i] : 1) / 1e3,
			(double)(i + 1) / (double)s->n);
	if (s->n)
		fprintf(f, "%.3f 1\n", (double)(s->v[s->n - 1] ? s->v[s->n - 1] : 1) / 1e3);
	fclose(f);
}

/* gaps.dat: bucket lower edge (us), then gaps per second, per strategy. */
static void write_gaps(const struct compare_report *r)
{
	FILE *f = out_open(r, "gaps.dat");
	int first = HIST_BUCKETS, last = 0;

	if (!f)
		return;
	fprintf(f, "# bucket_us");
	for (int i = 0; i < r->nr_res; i++)
		fprintf(f, " %s", r->res[i].ops->name);
	fputc('\n', f);
	for (int i = 0; i < r->nr_res; i++)
		for (int b = 0; b < HIST_BUCKETS; b++)
			if (r->res[i].noise.gaps.bucket[b]) {
				first = b < first ? b : first;
				last = b > last ? b : last;
			}
	for (int b = first ? first - 1 : 0; b <= last + 1 && b < HIST_BUCKETS; b++) {
		fprintf(f, "%.3f", (double)(1ULL << b) / 1e3);
		for (int i = 0; i < r->nr_res; i++) {
			const struct noise *n = &r->res[i].noise;

			fprintf(f, " %.4f", n->runtime_ns ?
				(double)n->gaps.bucket[b] * 1e9 / (double)n->runtime_ns : 0.0);
		}
		fputc('\n', f);
	}
	fclose(f);
}

static void write_ipis(const struct compare_report *r)
{
	FILE *f = out_open(r, "ipis.dat");

	if (!f)
		return;
	/* index, name, all IPIs, sync IPIs per bystander per fallback, and
	 * TLB-flush IPIs per bystander per fallback */
	for (int i = 0; i < r->nr_res; i++) {
		const struct compare_result *res = &r->res[i];
		double tlb = res->nr_bystanders && res->fallbacks ?
			(double)res->bystander_tlb_calls / res->nr_bystanders /
			(double)res->fallbacks : 0;

		fprintf(f, "%d %s %.4f %.4f %.4f\n", i, res->ops->name,
			ipis_per_bystander_per_fallback(res),
			sync_ipis_per_bystander_per_fallback(res), tlb);
	}
	fclose(f);
}

static void write_script(const struct compare_report *r)
{
	FILE *f = out_open(r, "plots.gp");
	double ymax = 0;

	if (!f)
		return;
	for (int i = 0; i < r->nr_res; i++)
		if (ipis_per_bystander_per_fallback(&r->res[i]) > ymax)
			ymax = ipis_per_bystander_per_fallback(&r->res[i]);
	fprintf(f, "# gnuplot plots.gp (in this directory) renders the plots.\n"
		"set terminal pngcairo size 900,560 noenhanced\nset grid\nset key top left\n"
		"set output 'sync_cdf.png'\nset title 'Fallback sync latency (CDF)'\n"
		"set logscale x\nset xlabel 'latency (us, log)'\nset ylabel 'fraction of syncs'\n"
		"plot ");
	for (int i = 0, n = 0; i < r->nr_res; i++) {
		if (!r->res[i].sync_lat.n)
			continue;
		fprintf(f, "%s'sync_%s.dat' using 1:2 with steps lw 2 title '%s'",
			n++ ? ", " : "", r->res[i].ops->name, r->res[i].ops->name);
	}
	fprintf(f, "\n\nset output 'bystander_gaps.png'\n"
		"set title 'Bystander: gaps per second by length (%s)'\nset logscale xy\n"
		"set xlabel 'gap (us, log2 buckets)'\nset ylabel 'gaps per second'\nset key top right\n"
		"plot ", noise_mode_name(r->cfg.noise_mode));
	for (int i = 0; i < r->nr_res; i++)
		fprintf(f, "%s'gaps.dat' using 1:($%d > 0 ? $%d : 1/0) with linespoints lw 2 title '%s'",
			i ? ", " : "", i + 2, i + 2, r->res[i].ops->name);
	fprintf(f, "\n\nunset logscale\nset output 'bystander_ipis.png'\n"
		"set title 'IPIs received per bystander per fallback, by kind'\n"
		"set style fill solid 0.6\nset boxwidth 0.35\nset xlabel ''\nset ylabel 'IPIs'\n"
		"set yrange [0:%g]\nset xtics rotate by -30\nset key top right\n"
		"plot 'ipis.dat' using ($1-0.18):4 with boxes title 'sync', "
		"'' using ($1+0.18):5:xtic(2) with boxes title 'TLB flush', "
		"'' using 1:3:(sprintf('%%.2f', $3)) with labels offset 0,1 notitle\n",
		ymax > 0 ? ymax * 1.25 : 1.0);
	fclose(f);
}

static int run_gnuplot(const struct compare_report *r)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (chdir(r->out_dir) == 0) {
			freopen("/dev/null", "w", stdout);
			execlp("gnuplot", "gnuplot", "plots.gp", (char *)NULL);
		}
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void default_out_dir(struct compare_report *r)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(r->out_dir, sizeof(r->out_dir), "ptsync-results/%Y%m%d-%H%M%S", &tm);
}

int compare_prepare_out_dir(struct compare_report *r)
{
	struct stat st;

	if (r->cfg.out_dir)
		snprintf(r->out_dir, sizeof(r->out_dir), "%s", r->cfg.out_dir);
	else
		default_out_dir(r);
	if (mkdir_p(r->out_dir) || stat(r->out_dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (access(r->out_dir, W_OK | X_OK))
		return -errno;
	return 0;
}

int compare_write_files(struct compare_report *r)
{
	bool fanout;
	FILE *f;
	int rc;

	/* compare_prepare_out_dir() made it before anything was measured;
	 * make it again in case it went away during the run. */
	if (mkdir_p(r->out_dir)) {
		fprintf(stderr, "ptsync: cannot create %s: %s\n", r->out_dir, strerror(errno));
		return -1;
	}
	f = out_open(r, "results.json");
	if (!f)
		return -1;
	write_json(f, r);
	fclose(f);
	f = out_open(r, "results.csv");
	if (!f)
		return -1;
	write_csv(f, r);
	fclose(f);
	f = out_open(r, "callsites.csv");
	if (!f)
		return -1;
	compare_callsites_csv(f, r);
	fclose(f);
	for (int i = 0; i < r->nr_res; i++)
		write_cdf(r, &r->res[i]);
	write_gaps(r);
	write_ipis(r);
	write_script(r);
	fanout = compare_fanout_files(r);
	printf("\nresults: %s/results.json, results.csv, callsites.csv", r->out_dir);
	if (!r->cfg.plots) {
		printf(" (plots off: data and plots.gp written)\n");
		return 0;
	}
	rc = run_gnuplot(r);
	if (rc == 0)
		printf(", sync_cdf.png, bystander_gaps.png, bystander_ipis.png%s\n",
		       fanout ? ", fanout.png" : "");
	else if (rc == 127)
		printf("\nptsync: gnuplot not found: plots skipped (apt-get install gnuplot-nox; "
		       "then run 'gnuplot plots.gp' in %s)\n", r->out_dir);
	else
		printf("\nptsync: gnuplot failed (status %d): see plots.gp in %s\n", rc, r->out_dir);
	return 0;
}
