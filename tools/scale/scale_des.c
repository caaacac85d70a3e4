// SPDX-License-Identifier: MIT
/*
 * The discrete-event model behind ptsync scale.
 *
 * Why its own engine: the question is what a strategy costs at 1024 CPUs,
 * and only the structure of each mechanism decides that - who is sent an
 * IPI, who can defer it, which CPUs a grace period waits for, how the
 * tick rounds it.  Which mechanism a strategy uses is its ops table's
 * (pt_sync_ops.mech, per call site by pt_sync_site_mechanism()), so a new
 * strategy is projected without editing this file; how each mechanism
 * behaves is written here once (after kernel/rcu/tree.c, kernel/smp.c,
 * arch/tlbflush.c); the costs come from the host (scale_params.c).
 *
 * A broadcast has the kernel's shape (smp_call_function_many_cond()):
 * the call is queued on each target, the IPIs go out (one target: the
 * single-IPI path; more: the mask path, whose send grows per target), and
 * the sender waits for the slowest target, which takes its IPI when its
 * IRQs are next on (a walker inside a walk: at the walk's end).  The
 * handler is empty (tlb_remove_table_smp_sync() does nothing), so a
 * target's response is its delivery plus its IRQs-off wait.
 *
 * One freer runs a closed loop of call-site events (a fallback, a
 * collapse, an unsharing exit), each needing one sync or, for per-unshare
 * hugetlb, one per table.  Walkers of the freer's mm walk back to back,
 * IRQs off, with a per-CPU phase: lazy processes whose state at time t is
 * computed, so an IPI that lands inside a walk is deferred to its end
 * exactly as local_irq_enable() would run it.  Bystanders run another mm;
 * in user mode they are in an RCU extended quiescent state only under
 * nohz_full, as in the real model.  Ticks are global (next_tick() in
 * kernel/rcu/tree.c): a grace period starts at a tick, waits for every
 * online CPU's next schedule point, and its end is noticed at a tick.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scale_model.h"

/* A strategy is modelled when its ops table says how it syncs. */
bool scale_models(const struct pt_sync_ops *ops)
{
	return ops->mech != MECH_NONE || ops->baseline;
}

enum pt_callsite scale_site_callsite(enum scale_callsite s)
{
	return s == SITE_FALLBACK ? CALLSITE_FALLBACK : s == SITE_COLLAPSE ?
	       CALLSITE_COLLAPSE : CALLSITE_UNSHARE;
}

const char *scale_site_name(enum scale_callsite s)
{
	static const char *const n[NR_SITES] = { "fallback", "collapse",
		"unshare-each", "unshare-gather" };

	return n[s];
}

/* ---- the event queue: a binary heap on (time, sequence) ---- */

enum ev_type { EV_EVENT_START, EV_SYNC_START, EV_IPI_ARRIVE, EV_IPI_RUN,
	       EV_GP_START, EV_GP_READERS_DONE, EV_SYNC_DONE };

struct ev {
	double t;
	uint64_t seq;
	int type, cpu;
};

struct des {
	const struct scale_params *p;
	const struct scale_machine *m;
	enum pt_sync_mechanism mech;
	enum scale_callsite site;
	const struct scale_curve *curve;	/* the broadcast's costs */
	struct ev *heap;
	size_t n, cap;
	uint64_t seq, processed;
	double now, tick_ns;
	uint64_t rnd;
	/* the freer */
	unsigned int events_done, syncs_left, syncs_done;
	double event_start, sync_start, sync_total;
	int pending;			/* IPIs not yet run */
	/* results */
	double *lat;			/* per event */
	uint64_t *ipis;			/* received, per CPU */
	bool *want;			/* per CPU, one sync's targets */
	uint64_t walker_ipis, bystander_ipis, tlb_ipis;
	double held_ns;			/* integral of deferred tables over time */
	double flush_ns;		/* the last event's flush */
};

static void push(struct des *d, double t, int type, int cpu)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 1024;
		d->heap = realloc(d->heap, d->cap * sizeof(*d->heap));
		if (!d->heap)
			abort();
	}
	size_t i = d->n++;
	struct ev e = { t, d->seq++, type, cpu };

	while (i) {
		size_t up = (i - 1) / 2;

		if (d->heap[up].t < t || (d->heap[up].t == t && d->heap[up].seq < e.seq))
			break;
		d->heap[i] = d->heap[up];
		i = up;
	}
	d->heap[i] = e;
}

static bool before(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static struct ev pop(struct des *d)
{
	struct ev top = d->heap[0], last = d->heap[--d->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= d->n)
			break;
		if (c + 1 < d->n && before(&d->heap[c + 1], &d->heap[c]))
			c++;
		if (!before(&d->heap[c], &last))
			break;
		d->heap[i] = d->heap[c];
		i = c;
	}
	if (d->n)
		d->heap[i] = last;
	return top;
}

/* ---- the CPUs: 0 is the freer, 1..walkers walk, the rest stand by ---- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(struct des *d)
{
	return (double)(splitmix(&d->rnd) >> 11) / (double)(1ULL << 53);
}

static int script(const struct des *d, int cpu)
{
	return d->m->script[cpu];
}

static bool is_walker(const struct des *d, int cpu)
{
	if (d->m->script)
		return script(d, cpu) == SCRIPT_WALKING || script(d, cpu) == SCRIPT_WALKER_KERNEL ||
		       script(d, cpu) == SCRIPT_WALKER_USER;
	return cpu >= 1 && cpu <= d->m->walkers;
}

/* A walker's period and phase: lazily, from its id and the seed. */
static double walk_period(const struct des *d)
{
	return d->p->walk_ns.v / d->p->walk_duty.v;
}

static double walk_pos(const struct des *d, int cpu, double t)
{
	uint64_t s = d->m->seed ^ ((uint64_t)cpu * 0x2545f4914f6cdd1dULL);
	double per = walk_period(d);

	return fmod(t + (double)(splitmix(&s) % 1000000) / 1e6 * per, per);
}

/* Inside a walk: the slot published, IRQs off.  Unmeasured duty: never. */
static bool in_walk(const struct des *d, int cpu, double t)
{
	if (d->m->script)
		return script(d, cpu) == SCRIPT_WALKING;
	return is_walker(d, cpu) && d->p->walk_duty.v > 0 &&
	       walk_pos(d, cpu, t) < d->p->walk_ns.v;
}

/* When the CPU can take an IRQ: the end of the walk it is in.  A scripted
 * walker stays in its walk with IRQs on (the counts are the point). */
static double walk_end(const struct des *d, int cpu, double t)
{
	if (d->m->script || !in_walk(d, cpu, t))
		return t;
	return t + d->p->walk_ns.v - walk_pos(d, cpu, t);
}

/* Is a bystander in the kernel at this sync?  A draw per sync and CPU. */
static bool bystander_in_kernel(struct des *d, int cpu)
{
	if (d->m->script)
		return script(d, cpu) == SCRIPT_KERNEL;
	return d->m->bystander_kernel_frac > 0 && uniform(d) < d->m->bystander_kernel_frac;
}

/* A walker in the kernel: inside a walk, or as often as eqs measured. */
static bool walker_in_kernel(struct des *d, int cpu)
{
	if (d->m->script)
		return script(d, cpu) != SCRIPT_WALKER_USER;
	double duty = d->p->walk_duty.v > 0 ? d->p->walk_duty.v : 0;

	if (in_walk(d, cpu, d->now))
		return true;
	/* the measured share includes the walks: draw the rest of it */
	if (isfinite(d->p->walker_kernel.v) && duty < 1)
		return uniform(d) < (d->p->walker_kernel.v - duty) / (1 - duty);
	return false;
}

/* In user mode: an EQS only under nohz_full. */
static bool in_user(struct des *d, int cpu)
{
	if (d->m->script)
		return script(d, cpu) == SCRIPT_USER || script(d, cpu) == SCRIPT_WALKER_USER;
	return is_walker(d, cpu) ? !walker_in_kernel(d, cpu) : !bystander_in_kernel(d, cpu);
}

/* The flush before the sync IPI'd mm_cpumask: x86 native, where a flush
 * comes first (a per-unshare sync comes before the gather's flush). */
static bool flush_was_sync(const struct des *d)
{
	return d->mech == MECH_FLUSH_SKIP && d->m->tlb_mode == TLB_NATIVE &&
	       d->site != SITE_UNSHARE_EACH;
}

static bool wants_ipi(struct des *d, int cpu)
{
	bool walker = is_walker(d, cpu);

	switch (d->mech) {
	case MECH_BROADCAST:
		return true;
	case MECH_FLUSH_SKIP:	/* collapse, unshare: the broadcast unless skipped */
		return !flush_was_sync(d);
	case MECH_EXPEDITED:
	case MECH_KERNEL_MODE_ONLY:
		/* user mode is known (an EQS) only on a nohz_full CPU; the
		 * model's nohz_full CPUs are the bystanders (run.h) */
		return !d->m->nohz_full || walker || !in_user(d, cpu);
	case MECH_TARGETED_MM:
		return in_walk(d, cpu, d->now);
	default:
		return false;
	}
}

/* ---- the freer's syncs ---- */

static double next_tick(const struct des *d, double t)
{
	return (floor(t / d->tick_ns) + 1) * d->tick_ns;
}

static void sync_start(struct des *d)
{
	int sent = 0, k = 0;
	bool *want = d->want;

	d->sync_start = d->now;
	/* flush-ipi falls back to the sync its site calls: synchronize_rcu()
	 * at the fallback, the broadcast elsewhere (wants_ipi()). */
	if (d->mech == MECH_GRACE_PERIOD || (d->mech == MECH_FLUSH_SKIP && !flush_was_sync(d) &&
					     d->site == SITE_FALLBACK)) {
		push(d, next_tick(d, d->now), EV_GP_START, 0);
		return;
	}
	if (d->mech == MECH_PER_TABLE_RCU) {
		/* the table waits for the next GP: starts and ends at ticks */
		d->held_ns += next_tick(d, next_tick(d, d->now)) - d->now;
		push(d, d->now + d->p->defer_ns.v, EV_SYNC_DONE, 0);
		return;
	}
	/* kernel/smp.c's shape: queue on each target, send (single-IPI path
	 * for one target, mask path for more: the j-th target's IPI is out
	 * slope * j in), then wait for the slowest target to take it */
	for (int cpu = 1; cpu < d->m->cpus; cpu++)
		k += want[cpu] = wants_ipi(d, cpu);
	for (int cpu = 1; cpu < d->m->cpus; cpu++)
		if (want[cpu])
			push(d, d->now + scale_curve_at(d->curve, ++sent, k), EV_IPI_ARRIVE, cpu);
	d->pending = sent;
	if (!sent) {
		double scan = d->mech == MECH_TARGETED_MM || d->mech == MECH_KERNEL_MODE_ONLY ||
			      d->mech == MECH_EXPEDITED ? d->p->scan_ns_per_cpu.v * d->m->cpus : 0;

		push(d, d->now + d->p->floor_ns.v + scan, EV_SYNC_DONE, 0);
	}
}

/* The call-site event: how many syncs it needs. */
static unsigned int syncs_per_event(const struct des *d)
{
	return d->site == SITE_UNSHARE_EACH ? d->m->unshare_tables : 1;
}

/* The flush before the sync: native and pv IPI mm_cpumask (the walkers;
 * bystanders run another mm, lazy-TLB CPUs are not modelled); INVLPGB
 * interrupts no one.  Paid by every strategy alike, so timed, not queued;
 * its time is compare's measured native flush, or left out where the file
 * has none (scale_params.c labels it). */
static double tlb_flush(struct des *d)
{
	double t = d->p->tlb_flush_ns.v, per = d->p->tlb_per_target_ns.v;

	if (d->m->tlb_mode == TLB_INVLPGB || d->m->walkers == 0)
		return 0;
	d->tlb_ipis += (uint64_t)d->m->walkers;
	if (!isfinite(t))
		return 0;
	return fmax(0, t + (isfinite(per) ? per * (d->m->walkers - d->p->tlb_k) : 0));
}

static void event_start(struct des *d)
{
	d->event_start = d->now;
	d->sync_total = d->flush_ns = tlb_flush(d);
	d->syncs_left = syncs_per_event(d);
	sync_start(d);
}

static void sync_done(struct des *d)
{
	d->sync_total += d->now - d->sync_start;
	d->syncs_done++;
	if (--d->syncs_left) {
		push(d, d->now + d->p->freer_work_ns.v, EV_SYNC_START, 0);
		return;
	}
	d->lat[d->events_done++] = d->sync_total;
	if (d->events_done < d->m->events)
		push(d, d->now + d->p->freer_work_ns.v, EV_EVENT_START, 0);
}

/* A grace period: every online CPU's next schedule point after the start
 * (walkers: their current walk's end; bystanders in user mode are RCU
 * offline in the model, in the kernel they hold it for about one walk). */
static void gp_start(struct des *d)
{
	double done = d->now;

	for (int cpu = 1; cpu < d->m->cpus; cpu++) {
		if (is_walker(d, cpu))
			done = fmax(done, walk_end(d, cpu, d->now));
		else if (bystander_in_kernel(d, cpu))
			done = fmax(done, d->now + d->p->walk_ns.v);
	}
	push(d, done, EV_GP_READERS_DONE, 0);
}

static void ipi_arrive(struct des *d, int cpu)
{
	d->ipis[cpu]++;
	if (is_walker(d, cpu))
		d->walker_ipis++;
	else
		d->bystander_ipis++;
	/* masked: pending until local_irq_enable() at the walk's end */
	push(d, walk_end(d, cpu, d->now), EV_IPI_RUN, cpu);
}

static void step(struct des *d, const struct ev *e)
{
	d->now = e->t;
	d->processed++;
	switch (e->type) {
	case EV_EVENT_START: event_start(d); break;
	case EV_SYNC_START: sync_start(d); break;
	case EV_IPI_ARRIVE: ipi_arrive(d, e->cpu); break;
	case EV_IPI_RUN:
		if (!--d->pending)
			push(d, d->now, EV_SYNC_DONE, 0);
		break;
	case EV_GP_START: gp_start(d); break;
	case EV_GP_READERS_DONE: push(d, next_tick(d, d->now), EV_SYNC_DONE, 0); break;
	case EV_SYNC_DONE: sync_done(d); break;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void summarize(struct des *d, struct scale_out *o)
{
	unsigned int n = d->events_done;
	int bystanders = d->m->cpus - 1 - d->m->walkers;
	double sum = 0, dur = d->now > 0 ? d->now : 1;

	qsort(d->lat, n, sizeof(*d->lat), cmp_double);
	for (unsigned int i = 0; i < n; i++)
		sum += d->lat[i];
	o->events = n;
	o->syncs = d->syncs_done;
	o->lat_p50_ns = n ? d->lat[(n - 1) / 2] : 0;
	o->lat_mean_ns = n ? sum / n : 0;
	o->lat_max_ns = n ? d->lat[n - 1] : 0;
	o->flush_ns = d->flush_ns;
	o->events_per_s = n / dur * 1e9;
	o->ipis_per_bystander_per_event = bystanders > 0 && n ?
		(double)d->bystander_ipis / bystanders / n : 0;
	o->ipis_per_walker_per_event = d->m->walkers > 0 && n ?
		(double)d->walker_ipis / d->m->walkers / n : 0;
	o->noise_ns_per_event = o->ipis_per_bystander_per_event * d->p->noise_per_ipi_ns.v;
	o->noise_ns_per_s = d->p->base_noise_ns_per_s.v +
			    o->noise_ns_per_event * o->events_per_s;
	o->held_bytes = d->held_ns / dur * 4096;
	o->tlb_ipis_per_walker_per_event = d->m->walkers > 0 && n ?
		(double)d->tlb_ipis / d->m->walkers / n : 0;
	o->sim_events = d->processed;
}

void scale_run(const struct scale_params *p, const struct scale_machine *m,
	       const struct pt_sync_ops *ops, enum scale_callsite site,
	       struct scale_out *out)
{
	struct des d = { .p = p, .m = m, .site = site, .rnd = m->seed };
	uint64_t *keep = out->ipis_each;

	memset(out, 0, sizeof(*out));
	out->ipis_each = keep;
	d.mech = pt_sync_site_mechanism(ops, scale_site_callsite(site));
	out->applies = true;
	if (m->events == 0)
		return;
	d.tick_ns = 1e9 / p->hz.v;
	d.curve = m->host_costs ? &p->kernel : &p->model;
	d.lat = calloc(m->events, sizeof(*d.lat));
	d.ipis = keep ? keep : calloc((size_t)m->cpus, sizeof(*d.ipis));
	d.want = calloc((size_t)m->cpus, sizeof(*d.want));
	if (!d.lat || !d.ipis || !d.want)
		abort();
	/* start just after a tick, as compare's freer does after a GP */
	push(&d, 1, EV_EVENT_START, 0);
	while (d.n) {
		struct ev e = pop(&d);

		step(&d, &e);
	}
	summarize(&d, out);
	out->walk_overhead = NAN;
	const struct scale_measured *me = scale_measured_find(p, ops);

	if (me && me->raw_walk_ns > 0)
		out->walk_overhead = me->walk_ns / me->raw_walk_ns - 1;
	if (!keep)
		free(d.ipis);
	free(d.lat);
	free(d.want);
	free(d.heap);
}
