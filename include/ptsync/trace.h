/* SPDX-License-Identifier: MIT */
/*
 * Trace events (the kernel's include/trace/events/, much reduced): what
 * each simulated CPU did and when, written at the end of a run as Chrome
 * trace-event JSON for Perfetto or chrome://tracing (--trace=FILE).
 *
 * Why per-CPU buffers with an atomic cursor: the hot paths that record are
 * a walker's IRQs-off section and an IPI's signal handler, which can
 * interrupt its own CPU's thread half-way through recording.  Reserving a
 * slot with one fetch-add makes the handler's record land in another slot;
 * nothing takes a lock and nothing allocates.  A full buffer drops the
 * record and counts it; the count is in the file and on stderr.
 *
 * Off by default: every hook is one load of a global pointer and a
 * predictable branch.  Walks are many (millions a second), so only one in
 * TRACE_WALK_SAMPLE is recorded; the file says so.
 *
 * The model has no tick interrupt: a tick shows as the quiescent state it
 * lets a CPU report (kernel/rcu/tree.c), and the tick grid is in the file's
 * metadata.
 */
#ifndef PTSYNC_TRACE_H
#define PTSYNC_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "stats.h"

struct ptsync_run;

enum trace_type {
	TR_WALK,		/* IRQs-off GUP-fast walk: begin, duration */
	TR_IPI_SEND,		/* arg: target CPU */
	TR_IPI_RECV,		/* taken at once, IRQs on */
	TR_IPI_DEFER,		/* arrived with IRQs off: pending */
	TR_IPI_RUN_DEFERRED,	/* ... run at local_irq_enable() */
	TR_QS,			/* quiescent state reported (once per tick at most) */
	TR_GP,			/* synchronize_rcu(): the grace period waited, duration */
	TR_FALLBACK,		/* tlb_remove_table_one(): sync + free, duration */
	TR_FREE_BATCH,		/* RCU callback freed a batch; arg: tables */
	TR_TLB_FLUSH,		/* flush_tlb_mm_range(); arg: TLB mode */
	NR_TRACE_TYPES
};

#define TRACE_WALK_SAMPLE	16

struct trace_rec {
	uint64_t ts_ns;
	uint32_t dur_ns;
	uint16_t type;
	uint16_t run;
	int32_t arg;
	int32_t pad;
};

struct trace_buf {
	struct trace_rec *rec;
	uint32_t cap;
	_Atomic uint32_t n;
	_Atomic uint64_t dropped;
	uint64_t walk_t0;	/* this CPU's walk in progress (its thread only) */
	uint32_t walks;		/* for the 1-in-N sample */
};

struct ptsync_trace;
extern struct ptsync_trace *ptsync_trace;	/* NULL: tracing off */

/*
 * Before anything runs: open @path for writing (so a bad path is a usage
 * error, not a lost run) and size buffers for @nr_cpus CPUs, shared out
 * over @runs runs: 0 or -errno.
 */
int trace_open(const char *path, int nr_cpus, uint32_t per_cpu_records, int runs);
/* After the runs: write the JSON, free everything.  0 or -errno. */
int trace_close(void);
uint64_t trace_dropped(void);

/* init/main.c: a run starts (a process in the trace: strategy, roles). */
void trace_run_begin(const struct ptsync_run *run);

void __trace_event(int cpu, enum trace_type type, uint64_t ts, uint32_t dur, int32_t arg);
void __trace_walk_end(int cpu);
void __trace_walk_begin(int cpu);

/* Hooks: cpu -1 is "no CPU" (liburcu's call_rcu worker). */
static inline void trace_event(int cpu, enum trace_type type, int32_t arg)
{
	if (unlikely(ptsync_trace))
		__trace_event(cpu, type, 0, 0, arg);
}

/* @t0 0: tracing was off when the span began; nothing to record. */
static inline void trace_span(int cpu, enum trace_type type, uint64_t t0, uint64_t dur)
{
	if (unlikely(ptsync_trace) && t0)
		__trace_event(cpu, type, t0, (uint32_t)(dur > UINT32_MAX ? UINT32_MAX : dur), -1);
}

/*
 * The walk meter (kernel/trace/walk_meter.c): how long each walker keeps
 * IRQs masked, measured at the same two hooks.  Why: a CPU inside an
 * IRQs-off walk takes an IPI only at the walk's end, so what a broadcast
 * waits for at a walker is set by its walks' lengths and how much of its
 * time they fill; compare measures both instead of assuming a duty cycle.
 * Every walk is timed (two clock reads); off by default, like tracing.
 */
struct walk_meter_cpu {
	uint64_t t0;			/* the walk in progress began */
	uint64_t first_ns, last_end_ns;	/* span of this CPU's walks */
	uint64_t off_ns, walks;		/* IRQs masked in walks, and how many */
	struct samples len, gap;	/* ns per walk; ns from a walk's end to the next */
};

struct walk_meter {
	int nr_cpus;
	struct walk_meter_cpu cpu[];
};

extern struct walk_meter *ptsync_walk_meter;	/* NULL: metering off */

/* Start metering @nr_cpus CPUs (one run at a time): 0 or -ENOMEM. */
int walk_meter_start(int nr_cpus);
/* Stop (the run's CPUs are gone): the figures, the caller frees them. */
struct walk_meter *walk_meter_stop(void);
void walk_meter_free(struct walk_meter *m);
void __walk_meter_begin(int cpu);
void __walk_meter_end(int cpu);

static inline void trace_walk_begin(int cpu)
{
	if (unlikely(ptsync_trace))
		__trace_walk_begin(cpu);
	if (unlikely(ptsync_walk_meter))
		__walk_meter_begin(cpu);
}

static inline void trace_walk_end(int cpu)
{
	if (unlikely(ptsync_walk_meter))
		__walk_meter_end(cpu);
	if (unlikely(ptsync_trace))
		__trace_walk_end(cpu);
}

#endif /* PTSYNC_TRACE_H */
