// SPDX-License-Identifier: MIT
/*
 * hostcheck's report: a table for people, one JSON object for compare and
 * the tests.  A file of its own because it only reads a finished
 * hostcheck_result: nothing here runs while anything is measured.
 */
#include <inttypes.h>
#include <string.h>

#include "hostcheck_report.h"
#include "ptsync/util.h"

static void print_us(FILE *f, uint64_t ns, bool have)
{
	if (have)
		fprintf(f, " %11.2f", (double)ns / 1e3);
	else
		fprintf(f, " %11s", "-");
}

void hostcheck_print_text(FILE *f, const struct hostcheck_result *res)
{
	const struct hostcheck_mode_result *ge;

	fprintf(f, "ptsync hostcheck: membarrier(2) on this kernel, %.2f s per mode "
		"(at most %" PRIu64 " calls), bystander osnoise threshold %" PRIu64 " ns\n",
		res->cfg.seconds_per_mode, res->cfg.max_calls, res->cfg.threshold_ns);
	fprintf(f, "ptsync hostcheck: caller on host CPU %d, bystander process "
		"(another mm) on host CPU %d\n", res->caller_cpu, res->bystander_cpu);
	if (res->same_core)
		fprintf(f, "ptsync hostcheck: note: only 1 usable host CPU: caller and "
			"bystander share it, so the bystander's noise includes the caller's "
			"own run time and no IPI can be seen\n");
	if (res->query < 0)
		fprintf(f, "ptsync hostcheck: membarrier(2) unavailable: %s\n",
			strerror((int)-res->query));
	fprintf(f, "%-18s %9s %11s %11s %11s | %9s %9s %11s %11s %11s\n", "mode", "calls",
		"p50 us", "p99 us", "max us", "ipis", "gaps", "noise us", "max gap us",
		"noise us/s");
	for (int m = 0; m < HC_NR_MODES; m++) {
		const struct hostcheck_mode_result *r = &res->mode[m];
		const struct noise *n = &r->bystander;
		bool lat = m != HC_BASELINE;

		if (!r->supported) {
			fprintf(f, "%-18s unsupported: %s%s%s\n", r->name, r->why_unsupported,
				r->error ? ": " : "", r->error ? strerror(r->error) : "");
			continue;
		}
		fprintf(f, "%-18s %9" PRIu64, r->name, r->calls);
		print_us(f, r->p50_ns, lat);
		print_us(f, r->p99_ns, lat);
		print_us(f, r->max_ns, lat);
		if (r->bystander_ipis >= 0)
			fprintf(f, " | %9" PRId64, r->bystander_ipis);
		else
			fprintf(f, " | %9s", "?");
		fprintf(f, " %9" PRIu64 " %11.2f %11.2f %11.2f\n", n->gaps.count,
			(double)n->gaps.sum / 1e3, (double)n->gaps.max / 1e3,
			noise_ns_per_s(n) / 1e3);
	}
	ge = &res->mode[HC_GLOBAL_EXPEDITED];
	if (ge->supported && ge->bystander_ipis >= 0 &&
	    (uint64_t)ge->bystander_ipis < ge->calls / 2)
		fprintf(f, "ptsync hostcheck: note: %" PRId64 " IPIs reached the bystander for "
			"%" PRIu64 " global_expedited calls: the kernel interrupts only CPUs "
			"running a registered process at that instant, so the bystander was "
			"often off its CPU (a busy host?) and the p50 is of calls that "
			"interrupted no one\n", ge->bystander_ipis, ge->calls);
	if (res->gp_ipi_ratio > 0)
		fprintf(f, "ptsync hostcheck: synchronize_rcu (global) p50 is %.0fx an IPI "
			"broadcast (global_expedited) p50\n", res->gp_ipi_ratio);
	else
		fprintf(f, "ptsync hostcheck: global / global_expedited ratio unknown "
			"(one of them unsupported)\n");
	hostcheck_print_fanout(f, &res->fanout);
}

void hostcheck_print_json(FILE *f, const struct hostcheck_result *res)
{
	fprintf(f, "{\"caller_cpu\":%d,\"bystander_cpu\":%d,\"same_core\":%s,"
		"\"seconds_per_mode\":%.3f,\"threshold_ns\":%" PRIu64 ",\"max_calls\":%"
		PRIu64 ",\"membarrier_query\":%ld,\"gp_ipi_ratio\":%.3f,\"modes\":{",
		res->caller_cpu, res->bystander_cpu, res->same_core ? "true" : "false",
		res->cfg.seconds_per_mode, res->cfg.threshold_ns, res->cfg.max_calls,
		res->query, res->gp_ipi_ratio);
	for (int m = 0; m < HC_NR_MODES; m++) {
		const struct hostcheck_mode_result *r = &res->mode[m];
		const struct noise *n = &r->bystander;

		fprintf(f, "%s\"%s\":{\"supported\":%s,\"why_unsupported\":", m ? "," : "",
			r->name, r->supported ? "true" : "false");
		if (r->why_unsupported)
			jw_string(f, r->why_unsupported);
		else
			fputs("null", f);
		fprintf(f, ",\"error\":%d,\"calls\":%" PRIu64 ",\"p50_ns\":%" PRIu64
			",\"p99_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64 ",\"elapsed_ns\":%" PRIu64
			",\"bystander\":{\"ipis\":%" PRId64 ",\"runtime_ns\":%" PRIu64
			",\"gaps\":%" PRIu64 ",\"noise_ns\":%" PRIu64 ",\"max_gap_ns\":%" PRIu64
			",\"noise_ns_per_s\":%.1f}}",
			r->error, r->calls, r->p50_ns, r->p99_ns, r->max_ns, r->elapsed_ns,
			r->bystander_ipis, n->runtime_ns, n->gaps.count, n->gaps.sum,
			n->gaps.max, noise_ns_per_s(n));
	}
	fputs("},\"fanout\":", f);
	hostcheck_fanout_json(f, &res->fanout);
	fputc('}', f);
}

/* ---- fan-out ---- */

static void print_fit(FILE *f, const char *who, const struct hc_fanout_curve *c)
{
	if (!c->measured)
		fprintf(f, "  %-7s not measured: %s\n", who, c->why_not ? c->why_not : "?");
	else if (!c->fit.ok)
		fprintf(f, "  %-7s per-target cost (slope): unavailable: measured at K = %d only, "
			"and a fit needs at least 2 values of K (a host with 3+ CPUs)\n", who,
			c->nr ? c->pt[0].k : 0);
	else
		fprintf(f, "  %-7s per-target cost (slope) %.2f us, fixed cost (intercept) "
			"%.2f us, r2 %.3f, over %d values of K\n", who, c->fit.slope / 1e3,
			c->fit.intercept / 1e3, c->fit.r2, c->nr);
}

void hostcheck_print_fanout(FILE *f, const struct hostcheck_fanout *fo)
{
	int n;

	if (!fo->run)
		return;
	fprintf(f, "fan-out: one broadcast, waiting until all K spinning targets took it "
		"(p50 / p99 us; targets' IPIs per call)\n");
	fprintf(f, "  %4s %27s %27s\n", "K", "kernel (GLOBAL_EXPEDITED)",
		"model (smp_call_function_many)");
	n = fo->kernel.nr > fo->model.nr ? fo->kernel.nr : fo->model.nr;
	for (int i = 0; i < n; i++) {
		const struct hc_fanout_curve *cs[2] = { &fo->kernel, &fo->model };

		fprintf(f, "  %4d", i < fo->kernel.nr ? fo->kernel.pt[i].k : fo->model.pt[i].k);
		for (int j = 0; j < 2; j++) {
			const struct hc_fanout_point *p = &cs[j]->pt[i];
			char ipis[16] = "?";

			if (i >= cs[j]->nr) {
				fprintf(f, " %27s", "-");
				continue;
			}
			if (p->target_ipis >= 0 && p->calls)
				snprintf(ipis, sizeof(ipis), "%.2f",
					 (double)p->target_ipis / (double)p->calls);
			fprintf(f, "   %9.2f / %8.2f  %5s", (double)p->p50_ns / 1e3,
				(double)p->p99_ns / 1e3, ipis);
			if (p->estimated)
				fprintf(f, " (reached: ~%.2f)", (double)p->p50_used_ns / 1e3);
		}
		fputc('\n', f);
	}
	print_fit(f, "kernel", &fo->kernel);
	print_fit(f, "model", &fo->model);
	for (int i = 0; i < fo->kernel.nr; i++) {
		if (!fo->kernel.pt[i].estimated)
			continue;
		fprintf(f, "  note: at K=%d the kernel's calls reached %.0f%% of their targets: "
			"the spinners were often off their CPUs (a busy host?), so its p50 is "
			"mostly of calls that interrupted no one; the fit uses ~%.2f us, the "
			"median of the slowest %.0f%% (the calls that reached them, estimated); "
			"re-run on a quiet host\n", fo->kernel.pt[i].k,
			100 * hc_fanout_reached(&fo->kernel.pt[i]),
			(double)fo->kernel.pt[i].p50_used_ns / 1e3,
			100 * hc_fanout_reached(&fo->kernel.pt[i]));
	}
}

static void curve_json(FILE *f, const struct hc_fanout_curve *c)
{
	fprintf(f, "{\"measured\":%s,\"why_not\":", c->measured ? "true" : "false");
	if (c->why_not)
		jw_string(f, c->why_not);
	else
		fputs("null", f);
	fputs(",\"points\":[", f);
	for (int i = 0; i < c->nr; i++)
		fprintf(f, "%s{\"k\":%d,\"calls\":%" PRIu64 ",\"p50_ns\":%" PRIu64 ",\"p99_ns\":%"
			PRIu64 ",\"target_ipis\":%" PRId64 ",\"reached\":%.4f,\"p50_used_ns\":%"
			PRIu64 ",\"p50_estimated\":%s}", i ? "," : "",
			c->pt[i].k, c->pt[i].calls, c->pt[i].p50_ns, c->pt[i].p99_ns,
			c->pt[i].target_ipis, hc_fanout_reached(&c->pt[i]), c->pt[i].p50_used_ns,
			c->pt[i].estimated ? "true" : "false");
	/* No slope from one K: null, not 0, so nobody reads it as "free". */
	fprintf(f, "],\"fit\":{\"ok\":%s,\"points\":%zu,", c->fit.ok ? "true" : "false", c->fit.n);
	if (c->fit.ok)
		fprintf(f, "\"slope_ns_per_target\":%.1f,\"intercept_ns\":%.1f,\"r2\":%.4f}}",
			c->fit.slope, c->fit.intercept, c->fit.r2);
	else
		fputs("\"slope_ns_per_target\":null,\"intercept_ns\":null,\"r2\":null}}", f);
}

void hostcheck_fanout_json(FILE *f, const struct hostcheck_fanout *fo)
{
	if (!fo->run) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"max_k\":%d,\"kernel\":", fo->max_k);
	curve_json(f, &fo->kernel);
	fputs(",\"model\":", f);
	curve_json(f, &fo->model);
	fputc('}', f);
}
