// SPDX-License-Identifier: MIT
/*
 * ptsync compare: the rate-matched phase.
 *
 * Why: in the cost phase the freer runs closed-loop, as fast as its
 * strategy lets it, so a strategy whose sync is cheap does hundreds of
 * times more fallbacks a second than one that sleeps a grace period, and
 * "bystander noise per second" mixes what one fallback costs with how
 * many each strategy got through.  Here the freer runs open-loop at one
 * fixed fallback rate (--rate, fallbacks per second) for every strategy,
 * so every strategy is measured on the same work: noise per second at
 * that rate, noise per fallback over the no-sync baseline's, and the
 * bystander's worst wake-up latency (timerlat) at that rate.  A strategy
 * that cannot keep up is reported as such, with the rate it got; the rate
 * is never lowered to suit it.  The closed-loop maximum stays in the cost
 * phase's table.
 *
 * Each repetition runs the phase twice per strategy: once with the
 * bystander in user mode under the osnoise meter (noise), once idle under
 * the timerlat meter (wake-up latency); the freer's schedule is the same.
 *
 * One fallback per due time: job n is due at start + n / rate, and each
 * job frees exactly one table.  The freer keeps one page mapped in the
 * next PTE table of the same PMD table, so unmapping its region frees the
 * PTE table alone, not the PMD and PUD tables above it (which made bursts
 * of three fallbacks).  The phase counts the most fallbacks one job
 * brought and reports it.  A freer ahead of schedule idles until the next
 * is due, in an extended quiescent state as an idle kernel CPU is, so it
 * holds up no grace period; one behind schedule runs its next job at
 * once, so a strategy slower than the rate runs flat out and shows the
 * rate it sustains.
 *
 * The rate got is measured, not assumed: the fallbacks the freer made
 * over the window the bystanders' meters ran (they settle before the
 * freer starts and measure until it is done), so the start-up and the
 * tail count against it.
 *
 * Statistical power.  The figure this phase exists for is the noise a
 * bystander takes per fallback above the baseline's.  Each repetition
 * gives one value (the strategy's noise minus the same repetition's
 * baseline noise, over the rate got), so the repetitions give a mean and
 * a 95% interval (Student's t).  The signal to resolve is one IPI's cost
 * to a bystander, measured in the cost phase (noise above the baseline
 * per IPI a bystander took, the strategies that send some pooled), never
 * typed in.  Where the interval's half-width is not below it the figure
 * is "not resolvable at this rate", and the rate at which it would be
 * (the half-width falls as 1/rate: the noise per second does not depend
 * on the rate) is printed beside it.  The default rate, 1000/s, is set
 * from the 16-CPU run (docs/incoming/cmp.md): at 100/s the excess spread
 * over +-9 us per fallback against a 6 us IPI; the spread per fallback
 * shrinks tenfold at ten times the rate, in the same time.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compare_phase.h"
#include "compare_rate.h"
#include "ptsync/irqflags.h"
#include "ptsync/rcupdate.h"
#include "ptsync/torture.h"

#define RATE_NAP_MAX_NS		(5 * NSEC_PER_MSEC)	/* re-check stop this often */
/* Sustained: at least this fraction of the asked rate. */
#define RATE_SUSTAINED		0.95
#define RATE_MAP_PAGES		16

struct rate_phase {
	const struct compare_config *cfg;
	enum noise_mode meter;
	pthread_barrier_t done;
	_Atomic int settled, working;
	/* Each CPU writes its own slot after the rendezvous. */
	uint64_t *fallbacks, *unmaps, *ipis;
	struct noise *noise;
	uint64_t freer_start_ns, freer_end_ns;
	uint64_t jobs, max_burst;
};

/* Idle until @due (or stop): an extended quiescent state, as a kernel CPU's idle loop. */
static void rate_idle_until(struct cpu *c, uint64_t due)
{
	struct ptsync_run *run = c->run;

	cpu_set_activity(c, ACT_SCHEDULE);
	ct_idle_enter(c);
	for (uint64_t now; (now = ktime_get_ns()) < due && !READ_ONCE(run->stop); ) {
		uint64_t left = due - now < RATE_NAP_MAX_NS ? due - now : RATE_NAP_MAX_NS;
		struct timespec ts = { (time_t)(left / NSEC_PER_SEC), (long)(left % NSEC_PER_SEC) };

		nanosleep(&ts, NULL);
	}
	ct_idle_exit(c);
}

/*
 * One job: map a few pages into region 0 and unmap them, freeing its PTE
 * table alone (one fallback at --batch-fail=1): the page @pinned keeps
 * mapped in the next PTE table holds the PMD and PUD tables.
 */
static void rate_job(struct cpu *c, bool *pinned)
{
	compare_map_unmap(c, &c->run->mms[0], torture_region_addr(0),
			  RATE_MAP_PAGES * PAGE_SIZE, pinned);
}

static void rate_freer(struct cpu *c, struct rate_phase *ph)
{
	struct ptsync_run *run = c->run;
	double ns_per_event = 1e9 / ph->cfg->rate;
	uint64_t start = ktime_get_ns();
	bool pinned = false;

	ph->freer_start_ns = start;
	while (!READ_ONCE(run->stop)) {
		uint64_t due = start + (uint64_t)((double)ph->jobs * ns_per_event);
		uint64_t fb;

		if (ktime_get_ns() < due)
			rate_idle_until(c, due);
		if (READ_ONCE(run->stop))
			break;
		cpu_set_activity(c, ACT_SCHEDULE);
		rcu_note_context_switch(c);
		fb = READ_ONCE(c->stats.fallbacks);
		rate_job(c, &pinned);
		fb = READ_ONCE(c->stats.fallbacks) - fb;
		if (fb > ph->max_burst)
			ph->max_burst = fb;
		ph->jobs++;
	}
	ph->freer_end_ns = ktime_get_ns();
}

static void rate_bystander(struct cpu *c, struct rate_phase *ph)
{
	if (ph->meter == NOISE_TIMERLAT)
		c->noise.fifo = timerlat_set_fifo();
	compare_bystander(c, ph->cfg, ph->meter, &ph->settled, &ph->working);
}

static void rate_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct rate_phase *ph = run->priv;

	if (c->role == ROLE_BYSTANDER) {
		rate_bystander(c, ph);
	} else {
		compare_wait_settled(c, &ph->settled);
		if (c->role == ROLE_FREER && c->id == 0) {
			rate_freer(c, ph);
		} else {
			while (!READ_ONCE(run->stop)) {
				cpu_set_activity(c, ACT_SCHEDULE);
				rcu_note_context_switch(c);
				/* Other freers idle; walkers walk, as in the cost phase. */
				if (c->role == ROLE_WALKER)
					torture_walker_job(c);
				else
					rate_idle_until(c, ktime_get_ns() + RATE_NAP_MAX_NS);
			}
		}
		atomic_fetch_sub_explicit(&ph->working, 1, memory_order_relaxed);
	}
	/* Every sync acknowledged once all CPUs are here: counts are final. */
	cpu_barrier_wait(c, &ph->done);
	ph->fallbacks[c->id] = READ_ONCE(c->stats.fallbacks);
	ph->unmaps[c->id] = READ_ONCE(c->stats.unmaps);
	ph->ipis[c->id] = READ_ONCE(c->stats.ipis_received);
	ph->noise[c->id] = c->noise;
}

/* The window the bystanders' meters ran, mean over them; the freer's own
 * time where there is no bystander. */
static double rate_window_s(const struct ptsync_run *run, const struct rate_phase *ph)
{
	uint64_t sum = 0;
	int n = 0;

	for (int i = 0; i < run->nr_cpus; i++)
		if (run->cpus[i].role == ROLE_BYSTANDER) {
			sum += ph->noise[i].runtime_ns;
			n++;
		}
	if (!n)
		return (double)(ph->freer_end_ns - ph->freer_start_ns) / NSEC_PER_SEC;
	return (double)sum / n / NSEC_PER_SEC;
}

static void rate_accumulate(struct compare_rate *rr, const struct ptsync_run *run,
			    const struct rate_phase *ph, enum noise_mode meter, unsigned int rep)
{
	struct noise mine = { 0 };
	double window = rate_window_s(run, ph);

	rr->phases++;
	for (int i = 0; i < run->nr_cpus; i++) {
		if (run->cpus[i].role != ROLE_BYSTANDER)
			continue;
		noise_merge(meter == NOISE_TIMERLAT ? &rr->timerlat : &rr->osnoise, &ph->noise[i]);
		if (meter == NOISE_TIMERLAT)
			continue;
		noise_merge(&mine, &ph->noise[i]);
		rr->bystander_ipis += ph->ipis[i];
		rr->bystander_phases++;
	}
	/* The open-loop freer's own work, over the meters' window. */
	if (meter == NOISE_TIMERLAT) {
		rr->tl_fallbacks += ph->fallbacks[0];
		rr->tl_seconds += window;
	} else {
		rr->os_fallbacks += ph->fallbacks[0];
		rr->os_seconds += window;
		rr->os_phases++;
		if (rep < COMPARE_MAX_REPS) {
			rr->rep_noise_ns_per_s[rep] = noise_ns_per_s(&mine);
			rr->rep_rate[rep] = window > 0 ? (double)ph->fallbacks[0] / window : 0;
			if (rep + 1 > rr->reps)
				rr->reps = rep + 1;
		}
	}
	rr->unmaps += ph->unmaps[0];
	rr->jobs += ph->jobs;
	if (ph->max_burst > rr->max_burst)
		rr->max_burst = ph->max_burst;
}

void compare_rate_phase(const struct compare_config *cfg, struct compare_result *res,
			unsigned int rep, enum noise_mode meter, const _Atomic int *stop)
{
	struct ptsync_config pc = cfg->base;
	struct rate_phase ph = { .cfg = cfg, .meter = meter };
	struct ptsync_run *run;
	double span = compare_rate_seconds(cfg);

	pc.ops = res->ops;
	pc.seed = cfg->base.seed + rep;
	pc.nr_mms = 1;
	run = ptsync_run_create(&pc);
	ph.fallbacks = calloc((size_t)run->nr_cpus, sizeof(*ph.fallbacks));
	ph.unmaps = calloc((size_t)run->nr_cpus, sizeof(*ph.unmaps));
	ph.ipis = calloc((size_t)run->nr_cpus, sizeof(*ph.ipis));
	ph.noise = calloc((size_t)run->nr_cpus, sizeof(*ph.noise));
	if (!ph.fallbacks || !ph.unmaps || !ph.ipis || !ph.noise)
		ptsync_die("out of memory");
	pthread_barrier_init(&ph.done, NULL, (unsigned int)run->nr_cpus);
	ph.working = run->cfg.nr_freers + run->cfg.nr_walkers;
	run->priv = &ph;
	cpus_start(run, rate_cpu);
	sleep_until_ns(run->start_ns + (uint64_t)(span * NSEC_PER_SEC), stop);
	ptsync_run_stop(run);
	rate_accumulate(&res->rate, run, &ph, meter, rep);
	pthread_barrier_destroy(&ph.done);
	free(ph.fallbacks);
	free(ph.unmaps);
	free(ph.ipis);
	free(ph.noise);
	ptsync_run_destroy(run);
	free(run);
}

double compare_rate_seconds(const struct compare_config *cfg)
{
	return cfg->rate_s >= 0 ? cfg->rate_s : cfg->phase_s / 3;
}

/* ---- the report ---- */

static double rate_got(const struct compare_rate *rr)
{
	double s = rr->os_seconds + rr->tl_seconds;

	return s > 0 ? (double)(rr->os_fallbacks + rr->tl_fallbacks) / s : 0;
}

static bool rate_sustained(const struct compare_config *cfg, const struct compare_rate *rr)
{
	return rr->phases && rate_got(rr) >= RATE_SUSTAINED * cfg->rate;
}

static bool rate_ran(const struct compare_report *r)
{
	return r->nr_res && r->res[0].rate.phases;
}

/* Student's t, two-sided 95%, for @df degrees of freedom (tables). */
static double t975(int df)
{
	static const double t[] = { 0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
		2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
		2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045,
		2.042 };

	if (df < 1)
		return 0;
	if (df <= 30)
		return t[df];
	return df <= 60 ? 2.000 : 1.984;
}

/*
 * One IPI's cost to a bystander, from the cost phase (closed loop, so many
 * IPIs): the bystanders' noise above the baseline's rate, per IPI they
 * took, pooled over every strategy that sent them some.  False where no
 * strategy did, or the excess is not above the baseline.
 */
static bool per_ipi_ns(const struct compare_report *r, double *ns)
{
	const struct noise *bn = &r->res[0].noise;
	double base = bn->runtime_ns ? (double)bn->gaps.sum / (double)bn->runtime_ns : 0;
	double excess = 0, ipis = 0;

	for (int i = 1; i < r->nr_res; i++) {
		const struct compare_result *res = &r->res[i];

		if (!res->bystander_ipis || !res->noise.runtime_ns)
			continue;
		excess += (double)res->noise.gaps.sum - base * (double)res->noise.runtime_ns;
		ipis += (double)res->bystander_ipis;
	}
	*ns = ipis > 0 ? excess / ipis : 0;
	return ipis > 0 && excess > 0;
}

/* IPIs a bystander took per fallback at the rate (osnoise phases). */
static double ipis_per_event(const struct compare_rate *rr)
{
	double bystanders = rr->os_phases ? (double)rr->bystander_phases / rr->os_phases : 0;

	return bystanders > 0 && rr->os_fallbacks ?
		(double)rr->bystander_ipis / bystanders / (double)rr->os_fallbacks : 0;
}

/* Excess noise per fallback over the baseline, one value per repetition. */
struct rate_excess {
	int n;
	double v[COMPARE_MAX_REPS];
	double mean, hw;	/* hw: the 95% interval's half-width */
	bool ci;		/* at least two repetitions */
};

static struct rate_excess excess_of(const struct compare_report *r, const struct compare_rate *rr)
{
	const struct compare_rate *base = &r->res[0].rate;
	unsigned int reps = rr->reps < base->reps ? rr->reps : base->reps;
	struct rate_excess e = { 0 };
	double ss = 0;

	for (unsigned int k = 0; k < reps; k++) {
		if (!(rr->rep_rate[k] > 0))
			continue;
		/* paired: the same repetition's baseline, so drift cancels */
		e.v[e.n++] = (rr->rep_noise_ns_per_s[k] - base->rep_noise_ns_per_s[k]) / rr->rep_rate[k];
	}
	for (int k = 0; k < e.n; k++)
		e.mean += e.v[k] / e.n;
	for (int k = 0; k < e.n; k++)
		ss += (e.v[k] - e.mean) * (e.v[k] - e.mean);
	e.ci = e.n >= 2;
	if (e.ci)
		e.hw = t975(e.n - 1) * sqrt(ss / (e.n - 1)) / sqrt(e.n);
	return e;
}

/* Resolvable: the interval is narrower than one IPI per fallback. */
static bool resolvable(const struct rate_excess *e, bool have_ipi, double ipi_ns)
{
	return e->ci && have_ipi && e->hw < ipi_ns;
}

/* The rate at which it would be: the half-width falls as 1/rate got. */
static double rate_to_resolve(const struct compare_rate *rr, const struct rate_excess *e,
			      double ipi_ns)
{
	double got = rr->os_seconds > 0 ? (double)rr->os_fallbacks / rr->os_seconds : 0;

	return ipi_ns > 0 ? got * e->hw / ipi_ns : 0;
}

static const char not_resolvable[] = "not resolvable at this rate";

static void print_excess(FILE *f, const struct compare_report *r, int i,
			 bool have_ipi, double ipi_ns)
{
	struct rate_excess e = excess_of(r, &r->res[i].rate);

	if (i == 0)
		fprintf(f, " %-44s", "(the baseline)");
	else if (resolvable(&e, have_ipi, ipi_ns))
		fprintf(f, " %+9.2fus +-%-7.2fus %22s", e.mean / 1e3, e.hw / 1e3, "");
	else if (!e.ci)
		fprintf(f, " %s (1 rep)      ", not_resolvable);
	else if (!have_ipi)
		fprintf(f, " %s (no IPI cost)", not_resolvable);
	else
		fprintf(f, " %s (~%.0f/s)%*s", not_resolvable, rate_to_resolve(&r->res[i].rate, &e, ipi_ns),
			rate_to_resolve(&r->res[i].rate, &e, ipi_ns) < 1e5 ? 2 : 0, "");
}

void compare_print_rate(FILE *f, const struct compare_report *r)
{
	const struct compare_config *cfg = &r->cfg;
	double base, ipi_ns;
	bool have_ipi;

	if (!rate_ran(r)) {
		if (compare_rate_seconds(cfg) <= 0)
			fprintf(f, "\nrate-matched phase: skipped (--rate-seconds=0)\n");
		return;
	}
	have_ipi = per_ipi_ns(r, &ipi_ns);
	base = noise_ns_per_s(&r->res[0].rate.osnoise);
	fprintf(f, "\nrate-matched: the freer open-loop at %g fallbacks/s (--rate), one per due "
		"time, %g s osnoise + %g s timerlat per strategy per repetition\n", cfg->rate,
		compare_rate_seconds(cfg), compare_rate_seconds(cfg));
	fprintf(f, "%-12s %-30s %5s %11s %7s %8s %10s %-44s %12s %14s\n", "strategy",
		"rate got (meters' window)", "f/due", "noise us/s", "x base", "IPI/b/ev",
		"expected", "excess/event, 95% interval", "worst wakeup", "closed-loop/s");
	for (int i = 0; i < r->nr_res; i++) {
		const struct compare_result *res = &r->res[i];
		const struct compare_rate *rr = &res->rate;
		double noise = noise_ns_per_s(&rr->osnoise);
		char rate[40], exp[16];

		if (rate_sustained(cfg, rr))
			snprintf(rate, sizeof(rate), "%.1f/s", rate_got(rr));
		else
			snprintf(rate, sizeof(rate), "rate not sustained: got %.1f/s", rate_got(rr));
		if (have_ipi)
			snprintf(exp, sizeof(exp), "%.2fus", ipi_ns * ipis_per_event(rr) / 1e3);
		else
			snprintf(exp, sizeof(exp), "-");
		fprintf(f, "%-12s %-30s %5" PRIu64 " %11.1f %6.2fx %8.2f %10s", res->ops->name, rate,
			rr->max_burst, noise / 1e3, base > 0 ? noise / base : 0.0, ipis_per_event(rr),
			exp);
		print_excess(f, r, i, have_ipi, ipi_ns);
		fprintf(f, " %10.1fus %14.0f\n", (double)rr->timerlat.gaps.max / 1e3,
			res->seconds > 0 ? (double)res->fallbacks / res->seconds : 0);
	}
	fprintf(f, "rate got: fallbacks over the window the bystanders' meters ran; f/due: most "
		"fallbacks one due time brought (1: no bursts).\n"
		"noise: osnoise, bystander in user mode; excess/event: noise above %s's in the same "
		"repetition, per fallback, mean and 95%% t-interval over %u repetitions;\n"
		"  printed where the interval is narrower than one IPI's cost to a bystander "
		"(measured in the cost phase), else the rate that would resolve it;\n"
		"expected: that cost x IPI/b/ev, the IPIs a bystander took per fallback here.\n"
		"worst wakeup: timerlat, bystander idle, the latest of its periodic wake-ups; "
		"closed-loop/s: the cost phase's fallbacks/s (its maximum).\n",
		r->res[0].ops->name, r->res[0].rate.reps);
	if (have_ipi)
		fprintf(f, "  one IPI's cost to a bystander: %.2f us\n", ipi_ns / 1e3);
	else
		fprintf(f, "  one IPI's cost to a bystander: not measured (no strategy's IPIs raised "
			"the bystanders' noise above the baseline's in the cost phase)\n");
}

/* "rate_matched":{...} for results.json (the key and object, no comma). */
void compare_rate_json(FILE *f, const struct compare_report *r)
{
	const struct compare_config *cfg = &r->cfg;
	double ipi_ns;
	bool have_ipi = rate_ran(r) && per_ipi_ns(r, &ipi_ns);

	fprintf(f, "\"rate_matched\":{\"ran\":%s,\"rate_per_s\":%g,\"seconds_per_meter\":%g,"
		"\"sustained_fraction\":%g,\"reps\":%u,\"interval\":\"95%% Student t over "
		"repetitions, paired with the baseline's\",\"per_ipi_bystander_ns\":",
		rate_ran(r) ? "true" : "false", cfg->rate, compare_rate_seconds(cfg),
		RATE_SUSTAINED, rate_ran(r) ? r->res[0].rate.reps : 0);
	if (have_ipi)
		fprintf(f, "%.1f", ipi_ns);
	else
		fputs("null", f);
	fputs(",\"per_ipi_source\":\"cost phase at the fallback: bystander noise above the "
	      "baseline per IPI taken, strategies that sent some pooled\",\"strategies\":[", f);
	for (int i = 0; i < r->nr_res && rate_ran(r); i++) {
		const struct compare_result *res = &r->res[i];
		const struct compare_rate *rr = &res->rate;
		double got_os = rr->os_seconds > 0 ? (double)rr->os_fallbacks / rr->os_seconds : 0;
		struct rate_excess e = excess_of(r, rr);
		bool ok = i == 0 || resolvable(&e, have_ipi, ipi_ns);

		fprintf(f, "%s{\"name\":\"%s\",\"sustained\":%s,\"achieved_per_s\":%.2f,"
			"\"window_seconds\":%.3f,\"fallbacks\":%" PRIu64 ",\"jobs\":%" PRIu64
			",\"max_fallbacks_per_due\":%" PRIu64 ",\"seconds\":%.3f,"
			"\"noise_ns_per_s\":%.1f,\"noise_vs_baseline\":%.3f,\"noise_ns_per_event\":%.1f,"
			"\"bystander_ipis_per_event\":%.4f,\"expected_excess_ns_per_event\":",
			i ? "," : "", res->ops->name, rate_sustained(cfg, rr) ? "true" : "false",
			rate_got(rr), rr->os_seconds + rr->tl_seconds, rr->os_fallbacks + rr->tl_fallbacks,
			rr->jobs, rr->max_burst, rr->os_seconds + rr->tl_seconds,
			noise_ns_per_s(&rr->osnoise),
			noise_ns_per_s(&r->res[0].rate.osnoise) > 0 ?
				noise_ns_per_s(&rr->osnoise) / noise_ns_per_s(&r->res[0].rate.osnoise) : 0,
			got_os > 0 ? noise_ns_per_s(&rr->osnoise) / got_os : 0, ipis_per_event(rr));
		if (have_ipi)
			fprintf(f, "%.1f", ipi_ns * ipis_per_event(rr));
		else
			fputs("null", f);
		fputs(",\"excess_noise_ns_per_event\":", f);
		if (ok)
			fprintf(f, "%.1f", i ? e.mean : 0.0);
		else
			fprintf(f, "\"%s\"", not_resolvable);
		fprintf(f, ",\"excess_resolvable\":%s,\"excess_ci95_ns\":", ok ? "true" : "false");
		if (i == 0 || e.ci)
			fprintf(f, "%.1f", i ? e.hw : 0.0);
		else
			fputs("null", f);
		fputs(",\"rate_to_resolve_per_s\":", f);
		if (i && e.ci && have_ipi)
			fprintf(f, "%.0f", rate_to_resolve(rr, &e, ipi_ns));
		else
			fputs("null", f);
		fputs(",\"excess_ns_per_event_reps\":[", f);
		for (int k = 0; k < e.n; k++)
			fprintf(f, "%s%.1f", k ? "," : "", e.v[k]);
		fprintf(f, "],\"worst_wakeup_ns\":%" PRIu64 ",\"timerlat_wakeups\":%" PRIu64
			",\"closed_loop_fallbacks_per_s\":%.1f}", rr->timerlat.gaps.max,
			rr->timerlat.wakeups, res->seconds > 0 ? (double)res->fallbacks / res->seconds : 0);
	}
	fputs("]}", f);
}
