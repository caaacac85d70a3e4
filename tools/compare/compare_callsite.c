// SPDX-License-Identifier: MIT
/*
 * ptsync compare: the call sites beside the fallback (compare.h says how
 * each is driven), as a table per call site under the fallback's, an
 * object per call site in each strategy's results.json entry, and
 * callsites.csv.
 *
 * The counts are exact: a bystander counts the sync calls it runs by the
 * call site the sender synced for (kernel/smp.c), and the freer counts its
 * events, operations and syncs per site; nothing is inferred from timing.
 * An "op" is what one sync at most is owed for: a collapse, or for unshare
 * one gather (an unmap of the whole shared range).
 */
#include <inttypes.h>

#include "compare_callsite.h"
#include "fmt.h"

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

/* Sync IPIs a bystander took for this site, per @per (syncs, ops, events). */
static double per_bystander(const struct compare_site *g, uint64_t per)
{
	return g->nr_bystanders ? ratio(g->bystander_site_calls, per) / g->nr_bystanders : 0;
}

static uint64_t site_pct(const struct compare_site *g, double p)
{
	/* Sorting in place does not change what the samples are. */
	return samples_percentile((struct samples *)&g->sync_lat, p);
}

static bool any_run(const struct compare_report *r, int group)
{
	for (int i = 0; i < r->nr_res; i++)
		if (r->res[i].group[group].run)
			return true;
	return false;
}

static void print_site_row(FILE *f, const struct compare_report *r,
			   const struct compare_result *res, int group)
{
	const struct compare_site *g = &res->group[group];
	double base = noise_ns_per_s(&r->res[0].group[group].noise);
	double noise = noise_ns_per_s(&g->noise);
	char p50[16], p99[16], max[16], gap[16], viol[24];

	if (res->safety_run)
		snprintf(viol, sizeof(viol), "%" PRIu64,
			 res->site_violations[compare_group_site(group)]);
	else
		snprintf(viol, sizeof(viol), "-");
	fprintf(f, "%-10s %5s %8s %8s %8s %7" PRIu64 " %6" PRIu64 " %6" PRIu64 " %5" PRIu64
		" %8.2f %7.2f %7.2f %10.1f %6.2fx %8s %8.0f\n",
		res->ops->name, viol, fmt_ns(p50, sizeof(p50), (double)site_pct(g, 50)),
		fmt_ns(p99, sizeof(p99), (double)site_pct(g, 99)),
		fmt_ns(max, sizeof(max), (double)samples_max(&g->sync_lat)),
		g->events, g->ops, g->syncs, g->upstream,
		per_bystander(g, g->syncs), per_bystander(g, g->ops), per_bystander(g, g->events),
		noise / 1e3, base > 0 ? noise / base : 0.0,
		fmt_ns(gap, sizeof(gap), (double)g->noise.gaps.max),
		g->seconds > 0 ? (double)g->events / g->seconds : 0.0);
}

static const char *group_what(int group)
{
	switch (group) {
	case CG_COLLAPSE:
		return "khugepaged collapses a full region, the old PTE table deposited; op: a collapse";
	case CG_UNSHARE_GATHER:
		return "hugetlb unshare, one sync per gather (since Dec 2025); op: a gather";
	case CG_UNSHARE_UNSHARE:
		return "hugetlb unshare, one sync per unshare (before); op: a gather";
	}
	return "";
}

void compare_print_callsites(FILE *f, const struct compare_report *r)
{
	for (int g = CG_COLLAPSE; g < NR_COMPARE_GROUPS; g++) {
		if (!any_run(r, g))
			continue;
		fprintf(f, "\ncall site %s (%g s per strategy per repetition): %s\n",
			compare_group_name(g), r->cfg.site_s >= 0 ? r->cfg.site_s : r->cfg.phase_s / 6,
			group_what(g));
		fprintf(f, "%-10s %5s %8s %8s %8s %7s %6s %6s %5s %8s %7s %7s %10s %7s %8s %8s\n",
			"strategy", "viol", "sync p50", "p99", "max", "events", "ops", "syncs",
			"upstr", "IPI/b/sy", "IPI/b/op", "IPI/b/ev", "noise us/s", "x base",
			"max gap", "events/s");
		for (int i = 0; i < r->nr_res; i++)
			print_site_row(f, r, &r->res[i], g);
	}
	if (any_run(r, CG_COLLAPSE) || any_run(r, CG_UNSHARE_GATHER) ||
	    any_run(r, CG_UNSHARE_UNSHARE))
		fprintf(f, "\nevents: collapses or unshares; syncs: for them (upstr: upstream's "
			"broadcast, the strategy having none there).\nIPI/b/sy, /op, /ev: sync IPIs "
			"a bystander took for this call site, per sync, per op, per event (exact).\n"
			"viol: the safety phase's violations charged to the call site.\n");
}

/* One group's object, in a strategy's "callsites". */
static void json_site(FILE *f, const struct compare_report *r, const struct compare_result *res,
		      int group)
{
	const struct compare_site *g = &res->group[group];
	enum pt_callsite site = compare_group_site(group);
	double base = noise_ns_per_s(&r->res[0].group[group].noise);

	fprintf(f, "\"%s\":{\"seconds\":%.3f,\"events\":%" PRIu64 ",\"ops\":%" PRIu64
		",\"syncs\":%" PRIu64 ",\"upstream_syncs\":%" PRIu64 ",\"sync_ns\":{\"p50\":%"
		PRIu64 ",\"p99\":%" PRIu64 ",\"max\":%" PRIu64 ",\"count\":%zu},",
		compare_group_name(group), g->seconds, g->events, g->ops, g->syncs, g->upstream,
		site_pct(g, 50), site_pct(g, 99), samples_max(&g->sync_lat), g->sync_lat.n);
	fprintf(f, "\"ipis_sent\":%" PRIu64 ",\"ipis_received\":%" PRIu64 ",\"calls_sent\":%"
		PRIu64 ",\"calls_run\":%" PRIu64 ",\"bystanders\":%d,\"bystander\":\"%s\","
		"\"bystander_sync_ipis\":%" PRIu64 ",\"bystander_tlb_ipis\":%" PRIu64
		",\"sync_ipis_per_bystander_per_sync\":%.4f,\"sync_ipis_per_bystander_per_op\":%.4f,"
		"\"sync_ipis_per_bystander_per_event\":%.4f,",
		g->ipis_sent, g->ipis_received, g->calls_sent, g->calls_run, g->nr_bystanders,
		pt_sync_bystander_name(pt_sync_site_bystander(res->ops, site)),
		g->bystander_site_calls, g->bystander_tlb_calls, per_bystander(g, g->syncs),
		per_bystander(g, g->ops), per_bystander(g, g->events));
	fprintf(f, "\"bystander_noise_ns_per_s\":%.1f,\"bystander_noise_vs_baseline\":%.3f,"
		"\"max_gap_ns\":%" PRIu64 ",\"events_per_s\":%.1f,\"safety_events\":%" PRIu64
		",\"violations\":%" PRIu64 "}", noise_ns_per_s(&g->noise),
		base > 0 ? noise_ns_per_s(&g->noise) / base : 0.0, g->noise.gaps.max,
		g->seconds > 0 ? (double)g->events / g->seconds : 0.0, res->site_events[site],
		res->site_violations[site]);
}

void compare_callsites_json(FILE *f, const struct compare_report *r,
			    const struct compare_result *res)
{
	bool first = true;

	fprintf(f, "\"callsites\":{");
	for (int g = 0; g < NR_COMPARE_GROUPS; g++) {
		if (!res->group[g].run)
			continue;
		if (!first)
			fputc(',', f);
		first = false;
		json_site(f, r, res, g);
	}
	fputc('}', f);
}

void compare_callsites_csv(FILE *f, const struct compare_report *r)
{
	fprintf(f, "strategy,callsite,seconds,events,ops,syncs,upstream_syncs,sync_p50_ns,"
		"sync_p99_ns,sync_max_ns,bystanders,bystander_sync_ipis,"
		"sync_ipis_per_bystander_per_sync,sync_ipis_per_bystander_per_op,"
		"bystander_noise_ns_per_s,violations\n");
	for (int i = 0; i < r->nr_res; i++) {
		const struct compare_result *res = &r->res[i];

		for (int gi = 0; gi < NR_COMPARE_GROUPS; gi++) {
			const struct compare_site *g = &res->group[gi];

			if (!g->run)
				continue;
			fprintf(f, "%s,%s,%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%"
				PRIu64 ",%" PRIu64 ",%" PRIu64 ",%d,%" PRIu64 ",%.4f,%.4f,%.1f,%"
				PRIu64 "\n", res->ops->name, compare_group_name(gi), g->seconds,
				g->events, g->ops, g->syncs, g->upstream, site_pct(g, 50),
				site_pct(g, 99), samples_max(&g->sync_lat), g->nr_bystanders,
				g->bystander_site_calls, per_bystander(g, g->syncs),
				per_bystander(g, g->ops), noise_ns_per_s(&g->noise),
				res->site_violations[compare_group_site(gi)]);
		}
	}
}
