// SPDX-License-Identifier: MIT
/*
 * The walk meter: each walker's IRQs-off windows (include/ptsync/trace.h
 * says why).  The hooks run on the walking CPU's own thread with IRQs
 * masked, so its slot has one writer and an IPI's handler, which only
 * marks itself pending there, never enters it: no atomics needed.  The
 * reader is the driver, after the run's CPUs have been joined.
 */
#include <errno.h>
#include <stdlib.h>

#include "ptsync/trace.h"
#include "ptsync/util.h"

#define WALK_METER_SAMPLES	(1u << 20)	/* per CPU and kind; more are counted, not kept */

struct walk_meter *ptsync_walk_meter;

int walk_meter_start(int nr_cpus)
{
	struct walk_meter *m = calloc(1, sizeof(*m) + (size_t)nr_cpus * sizeof(m->cpu[0]));

	if (!m)
		return -ENOMEM;
	m->nr_cpus = nr_cpus;
	for (int i = 0; i < nr_cpus; i++) {
		samples_init(&m->cpu[i].len, WALK_METER_SAMPLES);
		samples_init(&m->cpu[i].gap, WALK_METER_SAMPLES);
	}
	/* Set before the CPUs start (thread creation orders it for them). */
	ptsync_walk_meter = m;
	return 0;
}

struct walk_meter *walk_meter_stop(void)
{
	struct walk_meter *m = ptsync_walk_meter;

	ptsync_walk_meter = NULL;
	return m;
}

void walk_meter_free(struct walk_meter *m)
{
	for (int i = 0; m && i < m->nr_cpus; i++) {
		samples_free(&m->cpu[i].len);
		samples_free(&m->cpu[i].gap);
	}
	free(m);
}

void __walk_meter_begin(int cpu)
{
	struct walk_meter *m = ptsync_walk_meter;
	struct walk_meter_cpu *w;

	if (!m || cpu < 0 || cpu >= m->nr_cpus)
		return;
	w = &m->cpu[cpu];
	w->t0 = ktime_get_ns();
	if (!w->first_ns)
		w->first_ns = w->t0;
	else if (w->last_end_ns && w->t0 > w->last_end_ns)
		samples_add(&w->gap, w->t0 - w->last_end_ns);
}

void __walk_meter_end(int cpu)
{
	struct walk_meter *m = ptsync_walk_meter;
	struct walk_meter_cpu *w;
	uint64_t now, len;

	if (!m || cpu < 0 || cpu >= m->nr_cpus)
		return;
	w = &m->cpu[cpu];
	if (!w->t0)	/* the meter started in the middle of this walk */
		return;
	now = ktime_get_ns();
	len = now - w->t0;
	w->off_ns += len;
	w->walks++;
	w->last_end_ns = now;
	w->t0 = 0;
	samples_add(&w->len, len);
}
