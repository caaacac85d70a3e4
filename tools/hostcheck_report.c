// SPDX-License-Identifier: MIT
/*
 * hostcheck's report: a table for people, one JSON object for compare and
 * the tests.  A file of its own because it only reads a finished
 * hostcheck_result: nothing here runs while anything is measured.
 */
#include <inttypes.h>
#include <string.h>

#include "hostcheck_internal.h"

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
			json_string(f, r->why_unsupported);
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
	fputs("}}", f);
}
