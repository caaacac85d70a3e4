// SPDX-License-Identifier: MIT
/*
 * ptsync compare: the walkers' IRQs-off duty cycle.
 *
 * Why: an IPI that reaches a CPU inside an IRQs-off walk waits for the
 * walk's end, so a broadcast's slowest target, and how often a targeted
 * sync finds a walker mid-walk, follow from the walkers' windows: how
 * long each walk masks IRQs, how long it runs unmasked between walks, and
 * the fraction of its time masked.  scale used to type that fraction in
 * (0.9); here it is measured, in the fallback's cost phase, on the same
 * walkers (torture_walker_job) every strategy's row was measured with,
 * by the walk meter at GUP-fast's IRQs-off hooks (kernel/trace/walk_meter.c).
 *
 * Model and kernel differ: a model walk is a userspace function on soft-
 * masked IRQs; the kernel's is GUP-fast with the CPU's IRQs really off.
 * The meter's two clock reads per walk lengthen each walk a little.
 */
#include <inttypes.h>

#include "compare_walkers.h"

void compare_walkers_collect(struct compare_result *res, const struct ptsync_run *run,
			     struct walk_meter *m)
{
	for (int i = 0; m && i < m->nr_cpus && i < run->nr_cpus; i++) {
		const struct walk_meter_cpu *w = &m->cpu[i];

		if (run->cpus[i].role != ROLE_WALKER || !w->walks || w->last_end_ns <= w->first_ns)
			continue;
		samples_merge(&res->walk_len, &w->len);
		samples_merge(&res->walk_gap, &w->gap);
		res->duty_sum += (double)w->off_ns / (double)(w->last_end_ns - w->first_ns);
		res->duty_n++;
	}
}

struct walkers_fig {
	bool measured;
	int walkers;		/* walker CPUs x repetitions (x strategies, pooled) */
	double duty;		/* mean of the per-walker fractions */
	uint64_t walk_p50, gap_p50;
};

static struct walkers_fig fig_of(const struct compare_result *res)
{
	struct walkers_fig f = { .measured = res->duty_n > 0, .walkers = res->duty_n };

	if (!f.measured)
		return f;
	f.duty = res->duty_sum / res->duty_n;
	f.walk_p50 = samples_percentile((struct samples *)&res->walk_len, 50);
	f.gap_p50 = samples_percentile((struct samples *)&res->walk_gap, 50);
	return f;
}

/* Every strategy's walkers pooled: the walker workload is the same in each. */
static struct walkers_fig fig_pooled(const struct compare_report *r)
{
	struct compare_result all = { 0 };
	struct walkers_fig f;

	samples_init(&all.walk_len, 1u << 24);
	samples_init(&all.walk_gap, 1u << 24);
	for (int i = 0; i < r->nr_res; i++) {
		samples_merge(&all.walk_len, &r->res[i].walk_len);
		samples_merge(&all.walk_gap, &r->res[i].walk_gap);
		all.duty_sum += r->res[i].duty_sum;
		all.duty_n += r->res[i].duty_n;
	}
	f = fig_of(&all);
	samples_free(&all.walk_len);
	samples_free(&all.walk_gap);
	return f;
}

void compare_print_walkers(FILE *f, const struct compare_report *r)
{
	struct walkers_fig all = fig_pooled(r);

	if (!all.measured) {
		fprintf(f, "\nwalkers' IRQs-off windows: not measured (no walker CPU in the cost "
			"phase: --walkers=0 or too few CPUs)\n");
		return;
	}
	fprintf(f, "\nwalkers' IRQs-off windows (fallback cost phase, walk meter at GUP-fast's "
		"IRQs-off section):\n  %-12s %8s %12s %14s %8s\n", "strategy", "masked",
		"walk p50", "between p50", "walkers");
	for (int i = 0; i < r->nr_res; i++) {
		struct walkers_fig w = fig_of(&r->res[i]);

		if (w.measured)
			fprintf(f, "  %-12s %7.1f%% %10" PRIu64 "ns %12" PRIu64 "ns %8d\n",
				r->res[i].ops->name, 100 * w.duty, w.walk_p50, w.gap_p50, w.walkers);
	}
	fprintf(f, "  %-12s %7.1f%% %10" PRIu64 "ns %12" PRIu64 "ns %8d\n", "all", 100 * all.duty,
		all.walk_p50, all.gap_p50, all.walkers);
	fprintf(f, "  masked: each walker's time with IRQs masked in walks (mean over walkers); "
		"between: IRQs on, a walk's end to the next's start.\n");
}

static void json_fig(FILE *f, const struct walkers_fig *w)
{
	if (!w->measured) {
		fputs("{\"irqs_off_duty\":null,\"walk_ns_p50\":null,\"walk_delay_ns_p50\":null,"
		      "\"walker_samples\":0}", f);
		return;
	}
	fprintf(f, "{\"irqs_off_duty\":%.4f,\"walk_ns_p50\":%" PRIu64 ",\"walk_delay_ns_p50\":%"
		PRIu64 ",\"walker_samples\":%d}", w->duty, w->walk_p50, w->gap_p50, w->walkers);
}

/* "walkers":{...}: every strategy pooled (key and object, no comma). */
void compare_walkers_json(FILE *f, const struct compare_report *r)
{
	struct walkers_fig w = fig_pooled(r);

	fputs("\"walkers\":", f);
	json_fig(f, &w);
}

/* The same object for one strategy ("walkers":{...}, then a comma). */
void compare_walkers_strategy_json(FILE *f, const struct compare_result *res)
{
	struct walkers_fig w = fig_of(res);

	fputs("\"walkers\":", f);
	json_fig(f, &w);
	fputc(',', f);
}
