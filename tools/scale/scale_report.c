// SPDX-License-Identifier: MIT
/*
 * ptsync scale's output: the projection run over every call site,
 * strategy and CPU count, printed as tables, written as scale.json,
 * scale.csv, gnuplot data and scale.gp, and set beside the published
 * figures it can be compared with.
 *
 * Every point is run twice: with the model's own IPI fan-out cost (what
 * ptsync's threads would show) and with the kernel's (hostcheck's), since
 * issue 8 found the model's per-target cost several times the kernel's.
 * The tables show the kernel-cost figures; both are in the files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "outfile.h"
#include "scale_report.h"

struct point {
	enum scale_callsite site;
	const struct pt_sync_ops *ops;
	int cpus;
	struct scale_out model, kernel;
};

struct projection {
	struct point *pt;
	int n;
};

static void run_points(const struct scale_opts *o, const struct scale_params *p,
		       struct projection *pr)
{
	pr->pt = calloc((size_t)NR_SITES * o->nr_ops * o->nr_cpus, sizeof(*pr->pt));
	if (!pr->pt)
		abort();
	for (int s = 0; s < NR_SITES; s++) {
		if (!o->sites[s])
			continue;
		for (int i = 0; i < o->nr_ops; i++)
			for (int c = 0; c < o->nr_cpus; c++) {
				struct point *pt = &pr->pt[pr->n++];
				struct scale_machine m;

				pt->site = s;
				pt->ops = o->ops[i];
				pt->cpus = o->cpus[c];
				scale_machine_for(o, o->cpus[c], false, &m);
				if (s == SITE_UNSHARE_EACH && m.events > 3)
					m.events = 3;
				scale_run(p, &m, pt->ops, s, &pt->model);
				m.host_costs = true;
				scale_run(p, &m, pt->ops, s, &pt->kernel);
			}
	}
}

/* A time cell: fmt_ns(), or "-" where the model gives no figure. */
static const char *fmt_cell(double ns, char *buf, size_t len)
{
	if (isfinite(ns))
		return fmt_ns(buf, len, ns);
	snprintf(buf, len, "-");
	return buf;
}

static void print_site(FILE *f, const struct scale_opts *o, const struct projection *pr,
		       enum scale_callsite s)
{
	char b1[32], b2[32];

	fprintf(f, "\n%s: freer's flush + sync time per event, p50 (kernel fan-out) | "
		"bystander IPIs per event, noise per event\n%-11s", scale_site_name(s), "strategy");
	for (int c = 0; c < o->nr_cpus; c++)
		fprintf(f, " %21d", o->cpus[c]);
	fputc('\n', f);
	for (int i = 0; i < pr->n; i++) {
		const struct point *pt = &pr->pt[i];

		if (pt->site != s || pt->cpus != o->cpus[0])
			continue;
		fprintf(f, "%-11s", pt->ops->name);
		for (int j = i; j < i + o->nr_cpus; j++) {
			const struct scale_out *k = &pr->pt[j].kernel;

			if (!k->applies)
				fprintf(f, " %21s", "n/a");
			else
				fprintf(f, " %8s|%4.0f,%7s", fmt_cell(k->lat_p50_ns, b1, sizeof(b1)),
					k->ipis_per_bystander_per_event,
					fmt_cell(k->noise_ns_per_event, b2, sizeof(b2)));
		}
		fputc('\n', f);
	}
}

static void json_out(FILE *f, const char *costs, const struct point *pt, const struct scale_out *x)
{
	fprintf(f, "{\"site\":\"%s\",\"strategy\":\"%s\",\"cpus\":%d,\"costs\":\"%s\","
		"\"applies\":%s", scale_site_name(pt->site), pt->ops->name, pt->cpus, costs,
		x->applies ? "true" : "false");
	if (x->applies)
		fprintf(f, ",\"events\":%.0f,\"syncs\":%.0f,\"lat_p50_ns\":%.1f,\"lat_mean_ns\":%.1f,"
			"\"lat_max_ns\":%.1f,\"events_per_s\":%.3f,\"ipis_per_bystander_per_event\":%.4f,"
			"\"ipis_per_walker_per_event\":%.4f,\"tlb_ipis_per_walker_per_event\":%.4f,"
			"\"noise_ns_per_event\":%.1f,\"noise_ns_per_s\":%.1f,\"held_bytes\":%.0f,"
			"\"walk_overhead\":%.4f,\"sim_events\":%llu", x->events, x->syncs,
			x->lat_p50_ns, x->lat_mean_ns, x->lat_max_ns, x->events_per_s,
			x->ipis_per_bystander_per_event, x->ipis_per_walker_per_event,
			x->tlb_ipis_per_walker_per_event, x->noise_ns_per_event, x->noise_ns_per_s,
			x->held_bytes, isfinite(x->walk_overhead) ? x->walk_overhead : -1.0,
			(unsigned long long)x->sim_events);
	else
		fprintf(f, ",\"why_not\":\"%s\"", x->why_not);
	fputc('}', f);
}

static void csv_out(FILE *f, const char *costs, const struct point *pt, const struct scale_out *x)
{
	fprintf(f, "%s,%s,%d,%s,%d,%.1f,%.1f,%.1f,%.3f,%.4f,%.4f,%.4f,%.1f,%.1f,%.0f\n",
		scale_site_name(pt->site), pt->ops->name, pt->cpus, costs, x->applies,
		x->lat_p50_ns, x->lat_mean_ns, x->lat_max_ns, x->events_per_s,
		x->ipis_per_bystander_per_event, x->ipis_per_walker_per_event,
		x->tlb_ipis_per_walker_per_event, x->noise_ns_per_event, x->noise_ns_per_s,
		x->held_bytes);
}

static FILE *out_open(const struct scale_opts *o, const char *name)
{
	return out_fopen(o->out, name, "w");
}

/* ---- beside the published figures ---- */

/*
 * The hugetlb fork report (the per-unshare sync's regression): its inputs
 * as published, everything else derived here so the arithmetic shows.
 */
static const struct {
	double forks, hugetlb_tib, cores, before_s, after_s, sys_before_s, sys_after_s;
} fork_report = { 1000, 1.2, 196, 2.475, 11.275, 2.5, 23.9 };

/* The 64-core GUP-fast benchmark, targeted's tracking: run time before, after. */
static const struct { double cores, before_s, after_s; } gup_report = { 64, 1.489, 1.533 };

struct published {
	double unshares, per_bcast_ns, per_bcast_sys_ns, targets;
	double implied_slope_ns, implied_slope_zero_ns;	/* with our intercept; with none */
	double kernel_bcast_ns, model_bcast_ns;		/* our curves at K = cores - 1 */
	double total_each_s, total_gather_s;		/* projected run time, kernel column */
	double total_each_model_s;
	double gup_pct, targeted_pct;
};

static double exit_sync_s(const struct scale_opts *o, const struct scale_params *p, bool host,
			  enum scale_callsite site)
{
	struct scale_machine m;
	struct scale_out x = { 0 };

	scale_machine_for(o, (int)fork_report.cores, host, &m);
	m.events = site == SITE_UNSHARE_EACH ? 2 : 50;
	scale_run(p, &m, pt_sync_ops_find("ipi"), site, &x);
	return x.lat_mean_ns / 1e9;
}

static void published_figures(const struct scale_opts *o, const struct scale_params *p,
			      struct published *pub)
{
	const struct scale_measured *tg = scale_measured_find(p, pt_sync_ops_find("targeted"));
	const struct scale_measured *none = scale_measured_find(p, pt_sync_ops_find("none"));
	double tables = fork_report.hugetlb_tib * 1024;	/* one PMD table maps 1 GiB */

	pub->unshares = fork_report.forks * tables;
	pub->per_bcast_ns = (fork_report.after_s - fork_report.before_s) / pub->unshares * 1e9;
	pub->per_bcast_sys_ns = (fork_report.sys_after_s - fork_report.sys_before_s) /
				pub->unshares * 1e9;
	pub->targets = fork_report.cores - 1;
	pub->implied_slope_ns = (pub->per_bcast_ns - p->kernel.intercept_ns) / pub->targets;
	pub->implied_slope_zero_ns = pub->per_bcast_ns / pub->targets;
	pub->kernel_bcast_ns = scale_curve_at(&p->kernel, (int)pub->targets, (int)pub->targets);
	pub->model_bcast_ns = scale_curve_at(&p->model, (int)pub->targets, (int)pub->targets);
	/* like with like: the report's run time before, plus our sync time */
	pub->total_each_s = fork_report.before_s + fork_report.forks *
			    exit_sync_s(o, p, true, SITE_UNSHARE_EACH);
	pub->total_each_model_s = fork_report.before_s + fork_report.forks *
				  exit_sync_s(o, p, false, SITE_UNSHARE_EACH);
	pub->total_gather_s = fork_report.before_s + fork_report.forks *
			      exit_sync_s(o, p, true, SITE_UNSHARE_GATHER);
	pub->gup_pct = 100 * (gup_report.after_s / gup_report.before_s - 1);
	/* each walk against the unprotected walk timed in the same phase, so
	 * that the host's load between phases cancels */
	pub->targeted_pct = tg && none && none->walk_ns > 0 && tg->raw_walk_ns > 0 &&
			    none->raw_walk_ns > 0 ? 100 * ((tg->walk_ns / tg->raw_walk_ns) /
			    (none->walk_ns / none->raw_walk_ns) - 1) : NAN;
}

static void published(FILE *f, const struct scale_opts *o, const struct scale_params *p,
		      struct published *pub)
{
	published_figures(o, p, pub);
	fprintf(f, "\nbeside the published figures:\n");
	fprintf(f, "  hugetlb fork report: %.0f forks of %.1f TiB shared hugetlb on %.0f cores, "
		"%.3f s -> %.3f s (sys %.1f -> %.1f s)\n", fork_report.forks,
		fork_report.hugetlb_tib, fork_report.cores, fork_report.before_s,
		fork_report.after_s, fork_report.sys_before_s, fork_report.sys_after_s);
	fprintf(f, "    unshares: %.0f forks x %.1f TiB / 1 GiB per PMD table = %.0f\n",
		fork_report.forks, fork_report.hugetlb_tib, pub->unshares);
	fprintf(f, "    per broadcast: (%.3f - %.3f) s / %.0f = %.2f us of wall time "
		"(%.2f us if read from sys time: exits that overlap)\n", fork_report.after_s,
		fork_report.before_s, pub->unshares, pub->per_bcast_ns / 1e3,
		pub->per_bcast_sys_ns / 1e3);
	fprintf(f, "    per target it implies, K = %.0f: (%.0f ns - our kernel intercept %.0f ns) "
		"/ %.0f = %.1f ns/target; %.1f ns/target with no intercept\n", pub->targets,
		pub->per_bcast_ns, p->kernel.intercept_ns, pub->targets, pub->implied_slope_ns,
		pub->implied_slope_zero_ns);
	fprintf(f, "    our kernel curve (%s): %.1f ns/target -> %.1f us per broadcast at K = %.0f, "
		"%.0fx the report's\n", p->machine[0] ? p->machine : "the --from file's hostcheck",
		p->kernel.slope_ns, pub->kernel_bcast_ns / 1e3, pub->targets,
		pub->kernel_bcast_ns / pub->per_bcast_ns);
	fprintf(f, "    our model's curve: %.1f ns/target -> %.1f us per broadcast\n",
		p->model.slope_ns, pub->model_bcast_ns / 1e3);
	fprintf(f, "    run time, like with like (the report's %.3f s before + our projected "
		"sync, ipi, %u tables per exit):\n      per-unshare %.1f s (kernel column; "
		"%.1f s with the model's) against the report's %.3f s;\n      per-gather "
		"%.3f s against the report's %.3f s before the regression\n",
		fork_report.before_s, o->unshare_tables, pub->total_each_s,
		pub->total_each_model_s, fork_report.after_s, pub->total_gather_s,
		fork_report.before_s);
	fprintf(f, "    why a VM's per-target cost is higher: in a guest each IPI is a VM exit "
		"(the x2APIC ICR write traps to the\n      hypervisor, or one PV hypercall per "
		"mask whose host side still injects per target), and the target vCPU\n"
		"      takes its interrupt through the hypervisor too; on bare metal an ICR "
		"write is a register write.  A\n      machine file from a bare-metal box "
		"(ptsync hostcheck --json there, --machine=FILE here) replaces this slope.\n");
	fprintf(f, "  GUP-fast tracking: published +%.2f%% on %.0f cores (%.3f s -> %.3f s, the "
		"benchmark's run time);\n    ours %+.1f%% (targeted against none, each walk_ns / "
		"raw_walk_ns of its own phase: the run time of\n    compare's walk loop for a fixed "
		"number of walks, on %d CPUs); the slot is per-CPU: no term grows with CPUs\n",
		pub->gup_pct, gup_report.cores, gup_report.before_s, gup_report.after_s,
		pub->targeted_pct, p->cpus);
}

static void published_json(FILE *j, const struct scale_opts *o, const struct published *pub)
{
	fprintf(j, "\"published\":{\"hugetlb_fork_196\":{\"inputs\":{\"forks\":%.0f,"
		"\"hugetlb_tib\":%.1f,\"cores\":%.0f,\"before_s\":%.3f,\"after_s\":%.3f},"
		"\"unshares\":%.0f,\"per_broadcast_ns\":%.1f,\"per_broadcast_sys_ns\":%.1f,"
		"\"implied_ns_per_target\":%.2f,\"implied_ns_per_target_no_intercept\":%.2f,"
		"\"ours_kernel_per_broadcast_ns\":%.1f,\"ours_model_per_broadcast_ns\":%.1f,"
		"\"unshare_tables\":%u,\"ours_total_s\":{\"per_unshare\":%.3f,"
		"\"per_unshare_model\":%.3f,\"per_gather\":%.4f}},\"gup_fast_tracking\":"
		"{\"published_pct\":%.2f,\"ours_pct\":%.2f}}", fork_report.forks,
		fork_report.hugetlb_tib, fork_report.cores, fork_report.before_s,
		fork_report.after_s, pub->unshares, pub->per_bcast_ns, pub->per_bcast_sys_ns,
		pub->implied_slope_ns, pub->implied_slope_zero_ns, pub->kernel_bcast_ns,
		pub->model_bcast_ns, o->unshare_tables, pub->total_each_s, pub->total_each_model_s,
		pub->total_gather_s, pub->gup_pct, isfinite(pub->targeted_pct) ?
		pub->targeted_pct : -1.0);
}

/* ---- plots ---- */

static void write_dat(const struct scale_opts *o, const struct projection *pr, enum scale_callsite s)
{
	char name[64];
	FILE *f;

	snprintf(name, sizeof(name), "scale_%s.dat", scale_site_name(s));
	f = out_open(o, name);
	if (!f)
		return;
	fprintf(f, "# cpus, then per strategy: sync p50 us (kernel fan-out), bystander noise us per event\n# cpus");
	for (int i = 0; i < o->nr_ops; i++)
		fprintf(f, " %s_lat %s_noise", o->ops[i]->name, o->ops[i]->name);
	fputc('\n', f);
	for (int c = 0; c < o->nr_cpus; c++) {
		fprintf(f, "%d", o->cpus[c]);
		for (int i = 0; i < pr->n; i++) {
			const struct point *pt = &pr->pt[i];

			if (pt->site != s || pt->cpus != o->cpus[c])
				continue;
			if (pt->kernel.applies)
				fprintf(f, " %.4f %.4f", pt->kernel.lat_p50_ns / 1e3 + 1e-3,
					pt->kernel.noise_ns_per_event / 1e3 + 1e-3);
			else
				fprintf(f, " NaN NaN");
		}
		fputc('\n', f);
	}
	fclose(f);
}

static void write_gp(const struct scale_opts *o)
{
	static const char *const what[2] = { "freer flush + sync time per event, p50 (us)",
		"bystander noise per event (us)" };
	static const char *const png[2] = { "scale_latency.png", "scale_bystander.png" };
	FILE *f = out_open(o, "scale.gp");

	if (!f)
		return;
	for (int k = 0; k < 2; k++) {
		fprintf(f, "set terminal pngcairo size 1400,1000 noenhanced\nset output '%s'\n"
			"set multiplot layout 2,2 title '%s, projected (kernel fan-out costs)'\n"
			"set logscale xy\nset xlabel 'CPUs'\nset key left top\nset grid\n",
			png[k], what[k]);
		for (int s = 0; s < NR_SITES; s++) {
			fprintf(f, "set title '%s'\nplot ", scale_site_name(s));
			for (int i = 0; i < o->nr_ops; i++)
				fprintf(f, "%s'scale_%s.dat' using 1:%d with linespoints lw 2 title '%s'",
					i ? ", " : "", scale_site_name(s), 2 + 2 * i + k, o->ops[i]->name);
			fputc('\n', f);
		}
		fprintf(f, "unset multiplot\n");
	}
	fclose(f);
}

static void plots(const struct scale_opts *o, const struct projection *pr)
{
	char cmd[600];

	for (int s = 0; s < NR_SITES; s++)
		write_dat(o, pr, s);
	write_gp(o);
	if (!o->plots)
		return;
	if (system("command -v gnuplot >/dev/null 2>&1")) {
		printf("plots: gnuplot not found: data and scale.gp written, no PNG\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot scale.gp", o->out);
	if (system(cmd))
		printf("plots: gnuplot failed on %s/scale.gp\n", o->out);
}

static void write_files(const struct scale_opts *o, const struct scale_params *p,
			const struct projection *pr, const struct published *pub)
{
	FILE *j = out_open(o, "scale.json"), *c = out_open(o, "scale.csv");

	if (j) {
		FILE *nul = fopen("/dev/null", "w");
		int bad;

		fprintf(j, "{\"params\":");
		scale_params_json(j, p);
		fprintf(j, ",\"validation\":");
		bad = scale_validate(nul ? nul : stderr, p, o->seed, j);
		if (nul)
			fclose(nul);
		fprintf(j, ",\"validated\":%s,\"tlb\":\"%s\",", bad ? "false" : "true",
			tlb_mode_name(o->tlb_mode));
		published_json(j, o, pub);
		fprintf(j, ",\"points\":[");
		for (int i = 0; i < pr->n; i++) {
			fprintf(j, "%s", i ? "," : "");
			json_out(j, "model", &pr->pt[i], &pr->pt[i].model);
			fputc(',', j);
			json_out(j, "kernel", &pr->pt[i], &pr->pt[i].kernel);
		}
		fprintf(j, "]}\n");
		fclose(j);
	}
	if (c) {
		fprintf(c, "site,strategy,cpus,costs,applies,lat_p50_ns,lat_mean_ns,lat_max_ns,"
			"events_per_s,ipis_per_bystander_per_event,ipis_per_walker_per_event,"
			"tlb_ipis_per_walker_per_event,noise_ns_per_event,noise_ns_per_s,held_bytes\n");
		for (int i = 0; i < pr->n; i++) {
			csv_out(c, "model", &pr->pt[i], &pr->pt[i].model);
			csv_out(c, "kernel", &pr->pt[i], &pr->pt[i].kernel);
		}
		fclose(c);
	}
}

int scale_project(const struct scale_opts *o, const struct scale_params *p)
{
	struct projection pr = { 0 };
	struct published pub;

	printf("ptsync scale: %d strategies x %d CPU counts, walkers %d, tlb %s%s, "
	       "bystanders in the kernel %.0f%% of the time\n", o->nr_ops, o->nr_cpus,
	       o->walkers, tlb_mode_name(o->tlb_mode), o->nohz_full ? ", nohz_full" : "",
	       100 * o->bystander_kernel);
	scale_params_print(stdout, p);
	int bad = scale_validate(stdout, p, o->seed, NULL);
	run_points(o, p, &pr);
	for (int s = 0; s < NR_SITES; s++)
		if (o->sites[s])
			print_site(stdout, o, &pr, s);
	published(stdout, o, p, &pub);
	write_files(o, p, &pr, &pub);
	plots(o, &pr);
	printf("\nresults: %s/scale.json, scale.csv, scale.gp%s\n", o->out,
	       o->plots ? ", scale_latency.png, scale_bystander.png" : "");
	if (bad)
		printf("UNVALIDATED: the model missed compare's own figures above; the projection "
		       "is written, marked \"validated\": false\n");
	free(pr.pt);
	return bad ? 1 : 0;
}
