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
 * Open loop: fallback n is due at start + n / rate, n counted from the
 * freer's own fallbacks (at --batch-fail=1 every freed table is one).  A
 * freer ahead of schedule idles until the next is due, in an extended
 * quiescent state as an idle kernel CPU is, so it holds up no grace
 * period; one behind schedule runs its next job at once, so a strategy
 * slower than the rate runs flat out and shows the rate it sustains.
 *
 * This phase keeps its own copy of the cost phase's freer job and
 * bystander loop (tools/compare.c): the closed-loop phase may change its
 * workload, and the rate-matched figures must stay on this one.
 */
#include <inttypes.h>
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

struct rate_phase {
	const struct compare_config *cfg;
	enum noise_mode meter;
	pthread_barrier_t done;
	_Atomic int settled, working;
	/* Each CPU writes its own slot after the rendezvous. */
	uint64_t *fallbacks, *unmaps;
	struct noise *noise;
	uint64_t freer_start_ns, freer_end_ns;
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

static void rate_freer(struct cpu *c, struct rate_phase *ph)
{
	struct ptsync_run *run = c->run;
	double ns_per_event = 1e9 / ph->cfg->rate;
	uint64_t fb0 = READ_ONCE(c->stats.fallbacks), jobs = 0, start = ktime_get_ns();
	unsigned int region = 0;

	ph->freer_start_ns = start;
	while (!READ_ONCE(run->stop)) {
		uint64_t fb = READ_ONCE(c->stats.fallbacks) - fb0;
		/* A strategy with no fallback at all (none counts them too,
		 * but be safe): schedule by jobs instead. */
		uint64_t events = fb ? fb : jobs;
		uint64_t due = start + (uint64_t)((double)events * ns_per_event);

		if (ktime_get_ns() < due)
			rate_idle_until(c, due);
		if (READ_ONCE(run->stop))
			break;
		cpu_set_activity(c, ACT_SCHEDULE);
		rcu_note_context_switch(c);
		compare_freer_job(c, &region);
		jobs++;
	}
	/* The span the work done covers: up to when the next fallback would
	 * be due if the freer kept up (a job does several fallbacks, so the
	 * stop usually finds it ahead of schedule), else up to now. */
	{
		uint64_t fb = READ_ONCE(c->stats.fallbacks) - fb0, now = ktime_get_ns();
		uint64_t covered = start + (uint64_t)((double)(fb ? fb : jobs) * ns_per_event);

		ph->freer_end_ns = covered > now ? covered : now;
	}
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
	ph->noise[c->id] = c->noise;
}

void compare_rate_phase(const struct compare_config *cfg, struct compare_result *res,
			unsigned int rep, enum noise_mode meter, const _Atomic int *stop)
{
	struct compare_rate *rr = &res->rate;
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
	ph.noise = calloc((size_t)run->nr_cpus, sizeof(*ph.noise));
	if (!ph.fallbacks || !ph.unmaps || !ph.noise)
		ptsync_die("out of memory");
	pthread_barrier_init(&ph.done, NULL, (unsigned int)run->nr_cpus);
	ph.working = run->cfg.nr_freers + run->cfg.nr_walkers;
	run->priv = &ph;
	cpus_start(run, rate_cpu);
	sleep_until_ns(run->start_ns + (uint64_t)(span * NSEC_PER_SEC), stop);
	ptsync_run_stop(run);
	rr->phases++;
	for (int i = 0; i < run->nr_cpus; i++) {
		if (run->cpus[i].role == ROLE_BYSTANDER) {
			noise_merge(meter == NOISE_TIMERLAT ? &rr->timerlat : &rr->osnoise,
				    &ph.noise[i]);
			continue;
		}
		if (i != 0)
			continue;
		/* The open-loop freer's own work and time. */
		if (meter == NOISE_TIMERLAT) {
			rr->tl_fallbacks += ph.fallbacks[i];
			rr->tl_seconds += (double)(ph.freer_end_ns - ph.freer_start_ns) / NSEC_PER_SEC;
		} else {
			rr->os_fallbacks += ph.fallbacks[i];
			rr->os_seconds += (double)(ph.freer_end_ns - ph.freer_start_ns) / NSEC_PER_SEC;
		}
		rr->unmaps += ph.unmaps[i];
	}
	pthread_barrier_destroy(&ph.done);
	free(ph.fallbacks);
	free(ph.unmaps);
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

/* Bystander time lost per fallback, above the no-sync baseline's, at the rate. */
static double excess_per_event(const struct compare_report *r, const struct compare_rate *rr)
{
	const struct compare_rate *base = &r->res[0].rate;
	double got = rr->os_seconds > 0 ? (double)rr->os_fallbacks / rr->os_seconds : 0;

	if (!(got > 0))
		return 0;
	return (noise_ns_per_s(&rr->osnoise) - noise_ns_per_s(&base->osnoise)) / got;
}

static bool rate_ran(const struct compare_report *r)
{
	return r->nr_res && r->res[0].rate.phases;
}

void compare_print_rate(FILE *f, const struct compare_report *r)
{
	const struct compare_config *cfg = &r->cfg;
	double base;

	if (!rate_ran(r)) {
		if (compare_rate_seconds(cfg) <= 0)
			fprintf(f, "\nrate-matched phase: skipped (--rate-seconds=0)\n");
		return;
	}
	base = noise_ns_per_s(&r->res[0].rate.osnoise);
	fprintf(f, "\nrate-matched: the freer open-loop at %g fallbacks/s (--rate), %g s osnoise "
		"+ %g s timerlat per strategy per repetition\n", cfg->rate,
		compare_rate_seconds(cfg), compare_rate_seconds(cfg));
	fprintf(f, "%-12s %-30s %11s %7s %12s %12s %14s\n", "strategy", "rate", "noise us/s",
		"x base", "excess/event", "worst wakeup", "closed-loop/s");
	for (int i = 0; i < r->nr_res; i++) {
		const struct compare_result *res = &r->res[i];
		const struct compare_rate *rr = &res->rate;
		double noise = noise_ns_per_s(&rr->osnoise);
		char rate[40];

		if (rate_sustained(cfg, rr))
			snprintf(rate, sizeof(rate), "%.1f/s", rate_got(rr));
		else
			snprintf(rate, sizeof(rate), "rate not sustained: got %.1f/s", rate_got(rr));
		fprintf(f, "%-12s %-30s %11.1f %6.2fx %10.2fus %10.1fus %14.0f\n", res->ops->name,
			rate, noise / 1e3, base > 0 ? noise / base : 0.0,
			excess_per_event(r, rr) / 1e3, (double)rr->timerlat.gaps.max / 1e3,
			res->seconds > 0 ? (double)res->fallbacks / res->seconds : 0);
	}
	fprintf(f, "noise: osnoise, bystander in user mode; excess/event: noise above %s's at "
		"the same rate, per fallback;\nworst wakeup: timerlat, bystander idle, the latest "
		"of its periodic wake-ups; closed-loop/s: the cost phase's fallbacks/s (its maximum).\n",
		r->res[0].ops->name);
}

/* "rate_matched":{...} for results.json (the key and object, no comma). */
void compare_rate_json(FILE *f, const struct compare_report *r)
{
	const struct compare_config *cfg = &r->cfg;

	fprintf(f, "\"rate_matched\":{\"ran\":%s,\"rate_per_s\":%g,\"seconds_per_meter\":%g,"
		"\"sustained_fraction\":%g,\"strategies\":[", rate_ran(r) ? "true" : "false",
		cfg->rate, compare_rate_seconds(cfg), RATE_SUSTAINED);
	for (int i = 0; i < r->nr_res && rate_ran(r); i++) {
		const struct compare_result *res = &r->res[i];
		const struct compare_rate *rr = &res->rate;
		double got_os = rr->os_seconds > 0 ? (double)rr->os_fallbacks / rr->os_seconds : 0;

		fprintf(f, "%s{\"name\":\"%s\",\"sustained\":%s,\"achieved_per_s\":%.2f,"
			"\"fallbacks\":%" PRIu64 ",\"seconds\":%.3f,\"noise_ns_per_s\":%.1f,"
			"\"noise_vs_baseline\":%.3f,\"noise_ns_per_event\":%.1f,"
			"\"excess_noise_ns_per_event\":%.1f,\"worst_wakeup_ns\":%" PRIu64
			",\"timerlat_wakeups\":%" PRIu64 ",\"closed_loop_fallbacks_per_s\":%.1f}",
			i ? "," : "", res->ops->name, rate_sustained(cfg, rr) ? "true" : "false",
			rate_got(rr), rr->os_fallbacks + rr->tl_fallbacks,
			rr->os_seconds + rr->tl_seconds, noise_ns_per_s(&rr->osnoise),
			noise_ns_per_s(&r->res[0].rate.osnoise) > 0 ?
				noise_ns_per_s(&rr->osnoise) / noise_ns_per_s(&r->res[0].rate.osnoise) : 0,
			got_os > 0 ? noise_ns_per_s(&rr->osnoise) / got_os : 0,
			excess_per_event(r, rr), rr->timerlat.gaps.max, rr->timerlat.wakeups,
			res->seconds > 0 ? (double)res->fallbacks / res->seconds : 0);
	}
	fputs("]}", f);
}
