// SPDX-License-Identifier: MIT
/*
 * ptsync recommend: which strategy to use where, derived, not written.
 *
 * Why derived: a hand-written table goes stale the day a strategy or a
 * measurement changes.  This one runs the scale model (scale_des.c) on
 * this host's measured costs for every call site and machine profile,
 * over the strategies `ptsync list` calls safe and defines for the
 * profile's TLB mode, and picks the winner on each axis with its margin
 * over the runner-up.  A profile is a structural choice (which TLB flush,
 * nohz_full or not); the workload's shares (how much of the time the other
 * CPUs spend in the kernel, how many CPUs walk the unmapping mm) are
 * options whose defaults are measured in the --from file, and the matrix
 * says where each came from.  A margin below the measurement's spread
 * (scale_tolerance()) is a tie, and is named as one.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"
#include "scale_cmd.h"

struct profile {
	const char *name;
	const char *assumes;
	int tlb_mode;
	bool nohz_full;
};

static const struct profile profiles[] = {
	{ "rt-nohz", "isolated real-time CPUs: nohz_full bystanders, native x86 flush",
	  TLB_NATIVE, true },
	{ "server", "native x86 flush by IPI", TLB_NATIVE, false },
	{ "vm-pv", "VM guest: KVM PV TLB flush", TLB_PV, false },
	{ "invlpgb", "INVLPGB machine: broadcast invalidation, no flush IPIs", TLB_INVLPGB, false },
};

#define NR_PROFILES	((int)(sizeof(profiles) / sizeof(profiles[0])))

static const enum scale_callsite rows[] = { SITE_FALLBACK, SITE_COLLAPSE, SITE_UNSHARE_GATHER };
#define NR_ROWS		((int)(sizeof(rows) / sizeof(rows[0])))

enum axis { AX_DISRUPTION, AX_LATENCY, AX_MEMORY, NR_AXES };
static const char *const axis_name[NR_AXES] = { "bystander disruption", "freer latency",
						"memory" };

struct cand {
	const struct pt_sync_ops *ops;
	double v[NR_AXES];
	double tol;			/* relative: the measurement's spread */
};

static double axis_value(const struct scale_out *o, enum axis a)
{
	return a == AX_DISRUPTION ? o->noise_ns_per_event :
	       a == AX_LATENCY ? o->lat_p50_ns : o->held_bytes;
}

/* Every safe strategy with an answer at this site on this profile. */
static int candidates(const struct scale_opts *o, const struct scale_params *p,
		      const struct profile *pf, enum scale_callsite site, struct cand *c)
{
	int n = 0;

	for (int i = 0; pt_sync_ops_all[i]; i++) {
		const struct pt_sync_ops *ops = pt_sync_ops_all[i];
		struct scale_opts po = *o;
		struct scale_machine m;
		struct scale_out out = { 0 };

		if (ops->baseline || !pt_sync_safe(ops) || !scale_models(ops) ||
		    !(ops->tlb_modes & TLB_MODE_BIT(pf->tlb_mode)))
			continue;
		const char *why;

		po.tlb_mode = pf->tlb_mode;
		po.nohz_full = pf->nohz_full;
		scale_machine_for(&po, o->cpus[0], true, &m);
		scale_run(p, &m, ops, site, &out);
		if (!out.applies)
			continue;
		c[n].ops = ops;
		c[n].tol = scale_tolerance(scale_measured_find(p, ops), &why);
		for (int a = 0; a < NR_AXES; a++)
			c[n].v[a] = axis_value(&out, a);
		n++;
	}
	return n;
}

static const char *fmt(enum axis a, double v, char *buf, size_t len)
{
	if (a == AX_MEMORY)
		snprintf(buf, len, v >= 1024 * 1024 ? "%.1f MiB" : v >= 1024 ? "%.1f KiB" : "%.0f B",
			 v >= 1024 * 1024 ? v / 1024 / 1024 : v >= 1024 ? v / 1024 : v);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2f ms", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1f us", v / 1e3);
	else
		snprintf(buf, len, "%.0f ns", v);
	return buf;
}

/* "rcu (0 ns; next eqs +1.2 us)", or every strategy tied for first. */
static void winner(FILE *f, FILE *j, const struct cand *c, int n, enum axis a)
{
	double best = INFINITY, second = INFINITY, tol = 0;
	char b1[32], b2[32], cell[256] = "", margin[96] = "";
	const char *next = NULL;
	int len = 0;

	for (int i = 0; i < n; i++)
		if (c[i].v[a] < best) {
			best = c[i].v[a];
			tol = c[i].tol;
		}
	for (int i = 0; i < n; i++) {
		/* a margin below the best one's measured spread: a tie */
		if (c[i].v[a] <= best * (1 + tol) + 1e-9)
			len += snprintf(cell + len, sizeof(cell) - (size_t)len, "%s%s",
					len ? "=" : "", c[i].ops->name);
		else if (c[i].v[a] < second) {
			second = c[i].v[a];
			next = c[i].ops->name;
		}
	}
	if (next)
		snprintf(margin, sizeof(margin), "next %s +%s (tie below +%.0f%%)", next,
			 fmt(a, second - best, b2, sizeof(b2)), 100 * tol);
	else
		snprintf(margin, sizeof(margin), "all tie");
	fprintf(f, " | %-22s %-9s %-24s", cell, fmt(a, best, b1, sizeof(b1)), margin);
	if (j)
		fprintf(j, "\"%s\":{\"winner\":\"%s\",\"tie\":%s,\"tie_below\":%.3f,\"value\":%.1f,"
			"\"runner_up\":%s%s%s,\"margin\":%.1f}", a == AX_DISRUPTION ? "disruption" : a == AX_LATENCY ?
			"latency" : "memory", cell, strchr(cell, '=') ? "true" : "false", tol, best, next ? "\"" : "", next ? next : "null",
			next ? "\"" : "", next ? second - best : 0.0);
}

static void matrix(FILE *f, FILE *j, const struct scale_opts *o, const struct scale_params *p)
{
	struct cand c[SCALE_MAX_STRATEGIES * 2];
	bool first = true;

	fprintf(f, "\n%-15s %-8s", "call site", "profile");
	for (int a = 0; a < NR_AXES; a++)
		fprintf(f, " | %-57s", axis_name[a]);
	fputc('\n', f);
	if (j)
		fprintf(j, "{\"cpus\":%d,\"from\":\"%s\",\"rows\":[", o->cpus[0], p->from);
	for (int r = 0; r < NR_ROWS; r++)
		for (int i = 0; i < NR_PROFILES; i++) {
			int n = candidates(o, p, &profiles[i], rows[r], c);

			fprintf(f, "%-15s %-8s", scale_site_name(rows[r]), profiles[i].name);
			if (j)
				fprintf(j, "%s{\"site\":\"%s\",\"profile\":\"%s\",\"candidates\":%d",
					first ? "" : ",", scale_site_name(rows[r]), profiles[i].name, n);
			first = false;
			if (!n) {
				fprintf(f, " | no safe option\n");
				if (j)
					fprintf(j, ",\"no_safe_option\":true}");
				continue;
			}
			for (int a = 0; a < NR_AXES; a++) {
				if (j)
					fputc(',', j);
				winner(f, j, c, n, a);
			}
			fputc('\n', f);
			if (j)
				fputc('}', j);
		}
	if (j)
		fprintf(j, "]}\n");
}

static const char rec_usage[] =
"usage: ptsync recommend [options]  the strategy that wins per call site and machine\n"
"                                   profile, from measured and projected costs\n";

static void rec_call(void *ctx, const struct opt *opt, const char *arg)
{
	(void)opt;
	scale_opt_from(ctx, arg);
}

int cmd_recommend(int argc, char **argv)
{
	struct scale_opts o;
	struct scale_params p;
	const char *json = NULL, *bsrc = "--bystander-kernel";
	FILE *j = NULL;
	bool walkers_given = false;
	int rc;

	scale_opts_default(&o);
	o.nr_cpus = 1;
	o.cpus[0] = 64;
	o.events = 100;
	struct opt opts[] = {
		OPT_CALLBACK("from", 0, "FILE",
			     "a compare results.json [newest ptsync-results/*/results.json]",
			     "/nonexistent/results.json"),
		OPT_INTEGER("cpus", &o.cpus[0], 3, SCALE_MAX_CPUS, "N",
			    "the machine's CPUs, %R [64]"),
		OPT_UINTEGER("events", &o.events, 1, 100000, "N",
			     "call-site events the model runs per cell, %R [100]"),
		OPT_STRING("json", &json, "FILE", "also write the matrix as JSON"),
		{ .name = "walkers", .type = OPTT_INT, .value = &o.walkers, .min = 0,
		  .max = SCALE_MAX_CPUS - 2, .argh = "N", .seen = &walkers_given,
		  .help = "CPUs walking the unmapping mm, %R [the --from file's walkers]" },
		{ .name = "bystander-kernel", .type = OPTT_DOUBLE, .value = &o.bystander_kernel,
		  .dmin = 0, .dmax = 1, .argh = "P", .seen = &o.bkernel_given,
		  .help = "share of time the other CPUs spend in the kernel, 0..1\n"
			  "[measured: eqs's bystander IPIs per sync in the --from file]" },
		OPT_HELP(),
		OPT_END(),
	};
	const struct opt_cmd cmd = { .name = "recommend", .usage = rec_usage, .opts = opts,
		.call = rec_call, .ctx = &o };

	if (opts_parse(&cmd, argc, argv) < 0)
		return 0;
	if (json && !(j = fopen(json, "w")))
		usage_error("--json: cannot write '%s': %s", json, strerror(errno));
	if (walkers_given && o.walkers > o.cpus[0] - 2)
		usage_error("--walkers: %d walkers leave no bystander at --cpus=%d", o.walkers,
			    o.cpus[0]);
	rc = scale_load(&o, &p);
	if (rc)
		return rc;
	if (!walkers_given)
		o.walkers = p.walkers;
	if (!o.bkernel_given)
		o.bystander_kernel = scale_bystander_kernel(&p, &bsrc);
	printf("ptsync recommend: %d CPUs; costs from %s (kernel fan-out); safe strategies "
	       "only, each where its TLB mode allows\n", o.cpus[0], p.from);
	printf("  walkers of the unmapping mm: %d (%s); bystanders in the kernel %.1f%% of "
	       "the time (%s)\n  TLB flush time: %s\n", o.walkers, walkers_given ? "--walkers" : "the --from file's "
	       "config.walkers", 100 * o.bystander_kernel, bsrc, isfinite(p.tlb_flush_ns.v) ?
	       p.tlb_flush_ns.src : "not measured in this file (compare --tlb=native "
	       "measures it): left out, flush IPIs still counted");
	for (int i = 0; i < NR_PROFILES; i++)
		printf("  %-8s %s\n", profiles[i].name, profiles[i].assumes);
	printf("disruption: bystander time lost per event (IPIs x measured cost per IPI); "
	       "latency: freer's flush + sync time per event, p50;\nmemory: tables held for a grace "
	       "period, mean, at the freer's closed-loop rate; '=' ties: a margin below the best one's\n"
	       "measured spread (2 x compare's run-to-run spread, or 25%% where the file has none); "
	       "margin: the runner-up's excess.\n");
	matrix(stdout, j, &o, &p);
	if (j)
		fclose(j);
	return 0;
}
