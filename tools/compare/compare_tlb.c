// SPDX-License-Identifier: MIT
/*
 * ptsync compare: what a TLB flush costs the freer, with --tlb=native
 * (or pv), measured rather than costed at the sync IPI's slope.
 *
 * Why: on x86 without INVLPGB every unmap that frees tables flushes by
 * IPI to every CPU in mm_cpumask and waits for them, so the flush is a
 * broadcast of its own, paid before any sync.  scale needs its cost and
 * how it grows with the CPUs in the mask; this phase measures both: for
 * K = 1, 2, 4, ... up to the run's CPUs - 1 (never more CPUs than host
 * cores, so the fit is of the flush and not of the host scheduler), K CPU
 * threads switch to one mm and spin with IRQs on, and the flusher times
 * flush_tlb_mm_range(freed_tables) on it.  The p50 at each K, and a
 * least-squares line through them: its slope is the cost per target
 * (none with one K, as on a 2-core host).
 *
 * Model and kernel differ: the model's flush IPI is a signal per target,
 * as its sync IPI is; the kernel's is an x2APIC write per target (a VM
 * exit each under KVM).  hostcheck's fan-out curves measure that gap.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "compare_tlb.h"
#include "ptsync/mm.h"
#include "ptsync/rcupdate.h"
#include "ptsync/tlb.h"
#include "ptsync/torture.h"

#define TLB_PHASE_NS	(150 * NSEC_PER_MSEC)	/* per K */
#define TLB_MAX_CALLS	200000
#define TLB_WATCHDOG_NS	(5 * NSEC_PER_SEC)	/* the flusher is given up on after */

struct tlb_phase {
	_Atomic int joined;		/* targets switched to the mm */
	_Atomic int done;		/* the flusher is through */
	int want;
	struct samples lat;
};

static void tlb_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct tlb_phase *ph = run->priv;
	struct mm_struct *mm = &run->mms[0];
	uint64_t end;

	if (!mmget_not_zero(mm))
		return;
	switch_mm(c, mm);
	if (c->id) {
		atomic_inc_relaxed(ph->joined);
		while (!READ_ONCE(run->stop)) {
			rcu_note_context_switch(c);	/* no grace period waits on us */
			cpu_relax();
		}
	} else {
		while (READ_ONCE(ph->joined) < ph->want && !READ_ONCE(run->stop))
			sched_yield();
		end = ktime_get_ns() + TLB_PHASE_NS;
		for (uint64_t n = 0; n < TLB_MAX_CALLS && ktime_get_ns() < end &&
		     !READ_ONCE(run->stop); n++) {
			uint64_t t0 = ktime_get_ns();

			flush_tlb_mm_range(mm, 0, PMD_SIZE, true);
			samples_add(&ph->lat, ktime_get_ns() - t0);
			rcu_note_context_switch(c);
		}
		WRITE_ONCE(ph->done, 1);
	}
	switch_mm(c, NULL);
	mmput(mm);
}

/* The flush to @k targets: its p50, or 0 when interrupted. */
static uint64_t tlb_at_k(const struct compare_config *cfg, int k, uint64_t *calls,
			 const _Atomic int *stop)
{
	struct ptsync_config pc = cfg->base;
	struct tlb_phase ph = { .want = k };
	struct ptsync_run *run;
	uint64_t p50;

	pc.ops = cfg->ops[0];
	pc.nr_cpus = k + 1;
	pc.nr_freers = 1;
	pc.nr_walkers = k;
	pc.nr_bystanders = 0;
	pc.nr_mms = 1;
	samples_init(&ph.lat, TLB_MAX_CALLS);
	run = ptsync_run_create(&pc);
	run->priv = &ph;
	cpus_start(run, tlb_cpu);
	/* The flusher's time, bounded: a target that never joins stops it. */
	for (uint64_t give_up = ktime_get_ns() + TLB_PHASE_NS + TLB_WATCHDOG_NS;
	     !READ_ONCE(ph.done) && !READ_ONCE(*stop) && ktime_get_ns() < give_up; )
		sleep_until_ns(ktime_get_ns() + NSEC_PER_MSEC, stop);
	ptsync_run_stop(run);
	ptsync_run_destroy(run);
	free(run);
	*calls = ph.lat.n;
	p50 = samples_percentile(&ph.lat, 50);
	samples_free(&ph.lat);
	return p50;
}

void compare_tlb_phase(struct compare_report *r, const _Atomic int *stop)
{
	const struct compare_config *cfg = &r->cfg;
	int kmax = cfg->base.nr_cpus - 1;
	double x[COMPARE_TLB_MAX_K], y[COMPARE_TLB_MAX_K];
	struct compare_tlb *t = &r->tlb;

	if (!tlb_mode_flushes_by_ipi(cfg->base.tlb_mode))
		return;
	if (kmax > r->host_cpus - 1)
		kmax = r->host_cpus - 1;
	t->run = true;
	for (int k = 1; k <= kmax && t->nr < COMPARE_TLB_MAX_K && !READ_ONCE(*stop);
	     k = k * 2 > kmax && k < kmax ? kmax : k * 2) {
		t->k[t->nr] = k;
		t->p50_ns[t->nr] = tlb_at_k(cfg, k, &t->calls[t->nr], stop);
		x[t->nr] = k;
		y[t->nr] = (double)t->p50_ns[t->nr];
		t->nr++;
	}
	t->fit = linfit(x, y, (size_t)t->nr);
}

void compare_print_tlb(FILE *f, const struct compare_report *r)
{
	const struct compare_tlb *t = &r->tlb;

	if (!t->run)
		return;
	fprintf(f, "\nTLB flush (--tlb=%s): flush_tlb_mm_range() with tables freed, K CPUs "
		"spinning in the mm, p50 to the flusher:\n ", tlb_mode_name(r->cfg.base.tlb_mode));
	for (int i = 0; i < t->nr; i++)
		fprintf(f, " K=%d %.1fus", t->k[i], (double)t->p50_ns[i] / 1e3);
	if (t->fit.ok)
		fprintf(f, "\n  fit: %.2f us + K x %.3f us per target\n", t->fit.intercept / 1e3,
			t->fit.slope / 1e3);
	else
		fprintf(f, "\n  per target: unavailable (one K: the host has %d core(s))\n",
			r->host_cpus);
}

/* "tlb_flush":{...} for results.json (key and object, no comma). */
void compare_tlb_json(FILE *f, const struct compare_report *r)
{
	const struct compare_tlb *t = &r->tlb;

	fprintf(f, "\"tlb_flush\":{\"mode\":\"%s\",\"cost_ns_p50\":",
		tlb_mode_name(r->cfg.base.tlb_mode));
	if (t->run && t->nr)
		fprintf(f, "%" PRIu64, t->p50_ns[t->nr - 1]);
	else
		fputs("null", f);
	fputs(",\"per_target_ns\":", f);
	if (t->run && t->fit.ok)
		fprintf(f, "%.1f", t->fit.slope);
	else
		fputs("null", f);
	fprintf(f, ",\"k\":%d,\"points\":[", t->run && t->nr ? t->k[t->nr - 1] : 0);
	for (int i = 0; t->run && i < t->nr; i++)
		fprintf(f, "%s{\"k\":%d,\"p50_ns\":%" PRIu64 ",\"calls\":%" PRIu64 "}", i ? "," : "",
			t->k[i], t->p50_ns[i], t->calls[i]);
	fputs("]}", f);
}
