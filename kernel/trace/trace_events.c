// SPDX-License-Identifier: MIT
/*
 * Trace events: per-CPU bounded buffers filled lock-free by the hooks in
 * include/ptsync/trace.h, written once at the end as Chrome trace-event
 * JSON (Perfetto, chrome://tracing).  Each run of the model (a torture
 * run, each phase of each strategy in compare) is a process in the trace,
 * named after its strategy; each simulated CPU is a thread named after its
 * role, and liburcu's callback worker, which is no CPU, is one more.
 *
 * Each run gets an equal share of every buffer, so that a compare of eight
 * strategies shows all eight and not only the first to fill the buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptsync/run.h"
#include "ptsync/trace.h"
#include "ptsync/util.h"

#define TRACE_MAX_RUNS	1024

struct trace_run_info {
	char name[64];
	int nr_cpus, hz;
	uint8_t role[NR_CPUS];
};

struct ptsync_trace {
	FILE *f;
	int nr_bufs;			/* CPUs + 1: the callback worker */
	uint32_t quota;			/* records per buffer per run */
	struct trace_buf *buf;
	_Atomic int run;		/* current run, 1-based; 0: none yet */
	int nr_runs;
	uint64_t origin_ns;
	struct trace_run_info runs[TRACE_MAX_RUNS];
	uint64_t quota_end[];		/* [nr_bufs]: where this run's share ends */
};

struct ptsync_trace *ptsync_trace;

int trace_open(const char *path, int nr_cpus, uint32_t per_cpu_records, int runs)
{
	struct ptsync_trace *t;
	int nr_bufs = nr_cpus + 1;

	if (nr_cpus < 1 || nr_cpus > NR_CPUS || per_cpu_records < 16 || runs < 1)
		return -EINVAL;
	t = calloc(1, sizeof(*t) + (size_t)nr_bufs * sizeof(uint64_t));
	if (!t)
		return -ENOMEM;
	t->f = fopen(path, "w");
	if (!t->f) {
		int err = errno;

		free(t);
		return -err;
	}
	t->nr_bufs = nr_bufs;
	t->quota = per_cpu_records / (uint32_t)(runs > TRACE_MAX_RUNS ? TRACE_MAX_RUNS : runs);
	t->buf = calloc((size_t)nr_bufs, sizeof(*t->buf));
	for (int i = 0; t->buf && i < nr_bufs; i++) {
		t->buf[i].cap = per_cpu_records;
		t->buf[i].rec = calloc(per_cpu_records, sizeof(struct trace_rec));
		if (!t->buf[i].rec)
			return -ENOMEM;	/* at startup: the caller exits */
	}
	if (!t->buf)
		return -ENOMEM;
	ptsync_trace = t;
	return 0;
}

void trace_run_begin(const struct ptsync_run *run)
{
	struct ptsync_trace *t = ptsync_trace;
	struct trace_run_info *ri;

	if (!t || t->nr_runs == TRACE_MAX_RUNS)
		return;
	ri = &t->runs[t->nr_runs++];
	snprintf(ri->name, sizeof(ri->name), "run %d: %s", t->nr_runs, run->ops->name);
	ri->nr_cpus = run->nr_cpus < t->nr_bufs - 1 ? run->nr_cpus : t->nr_bufs - 1;
	ri->hz = run->cfg.hz;
	for (int i = 0; i < ri->nr_cpus; i++)
		ri->role[i] = (uint8_t)run->cpus[i].role;
	if (!t->origin_ns)
		t->origin_ns = ktime_get_ns();
	/* before the CPUs start: no writer races this */
	for (int i = 0; i < t->nr_bufs; i++) {
		uint64_t n = READ_ONCE(t->buf[i].n);
		uint64_t end = (n < t->buf[i].cap ? n : t->buf[i].cap) + t->quota;

		t->quota_end[i] = end < t->buf[i].cap ? end : t->buf[i].cap;
	}
	WRITE_ONCE(t->run, t->nr_runs);
}

void __trace_event(int cpu, enum trace_type type, uint64_t ts, uint32_t dur, int32_t arg)
{
	struct ptsync_trace *t = ptsync_trace;
	int idx = cpu >= 0 && cpu < t->nr_bufs - 1 ? cpu : t->nr_bufs - 1;
	struct trace_buf *b = &t->buf[idx];
	uint32_t i;

	if (READ_ONCE(b->n) >= t->quota_end[idx]) {
		atomic_fetch_add_explicit(&b->dropped, 1, memory_order_relaxed);
		return;
	}
	/* one fetch-add: a signal handler on this thread gets another slot */
	i = atomic_fetch_add_explicit(&b->n, 1, memory_order_relaxed);
	if (i >= t->quota_end[idx]) {
		atomic_fetch_add_explicit(&b->dropped, 1, memory_order_relaxed);
		return;
	}
	b->rec[i] = (struct trace_rec){ .ts_ns = ts ? ts : ktime_get_ns(), .dur_ns = dur,
		.type = (uint16_t)type, .run = (uint16_t)READ_ONCE(t->run), .arg = arg };
}

/* @cpu's own buffer for its walks; NULL for a CPU that has none. */
static struct trace_buf *walk_buf(int cpu)
{
	struct ptsync_trace *t = ptsync_trace;

	return cpu < 0 || cpu >= t->nr_bufs - 1 ? NULL : &t->buf[cpu];
}

void __trace_walk_begin(int cpu)
{
	struct trace_buf *b = walk_buf(cpu);

	/* the clock is read only for the walks that are recorded */
	if (b)
		b->walk_t0 = b->walks++ % TRACE_WALK_SAMPLE ? 0 : ktime_get_ns();
}

void __trace_walk_end(int cpu)
{
	struct trace_buf *b = walk_buf(cpu);

	if (b && b->walk_t0)
		__trace_event(cpu, TR_WALK, b->walk_t0, (uint32_t)(ktime_get_ns() - b->walk_t0), -1);
}

/* Every buffer's drops: the one count the file and stderr both give. */
static uint64_t bufs_dropped(const struct ptsync_trace *t)
{
	uint64_t d = 0;

	for (int i = 0; t && i < t->nr_bufs; i++)
		d += READ_ONCE(t->buf[i].dropped);
	return d;
}

uint64_t trace_dropped(void)
{
	return bufs_dropped(ptsync_trace);
}

/* ---- the JSON ---- */

static const char *const type_name[NR_TRACE_TYPES] = {
	[TR_WALK] = "walk (IRQs off)", [TR_IPI_SEND] = "IPI sent",
	[TR_IPI_RECV] = "IPI taken", [TR_IPI_DEFER] = "IPI deferred (IRQs off)",
	[TR_IPI_RUN_DEFERRED] = "deferred IPI run", [TR_QS] = "quiescent state",
	[TR_GP] = "grace period", [TR_FALLBACK] = "fallback: sync + free",
	[TR_FREE_BATCH] = "batch freed (RCU callback)", [TR_TLB_FLUSH] = "TLB flush",
};

static const char *const type_cat[NR_TRACE_TYPES] = {
	[TR_WALK] = "walk", [TR_IPI_SEND] = "ipi", [TR_IPI_RECV] = "ipi",
	[TR_IPI_DEFER] = "ipi", [TR_IPI_RUN_DEFERRED] = "ipi", [TR_QS] = "rcu",
	[TR_GP] = "rcu", [TR_FALLBACK] = "free", [TR_FREE_BATCH] = "free",
	[TR_TLB_FLUSH] = "tlb",
};

static void write_meta(FILE *f, const struct ptsync_trace *t)
{
	fprintf(f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":0,\"args\":"
		"{\"name\":\"ptsync\"}}");
	for (int r = 0; r < t->nr_runs; r++) {
		const struct trace_run_info *ri = &t->runs[r];

		fprintf(f, ",\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"args\":{\"name\":",
			r + 1);
		jw_string(f, ri->name);
		fprintf(f, "}},\n{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":%d,"
			"\"args\":{\"sort_index\":%d}}", r + 1, r + 1);
		for (int c = 0; c < ri->nr_cpus; c++)
			fprintf(f, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,"
				"\"args\":{\"name\":\"CPU %d (%s)\"}}", r + 1, c, c,
				cpu_role_name((enum cpu_role)ri->role[c]));
		fprintf(f, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,"
			"\"args\":{\"name\":\"RCU callbacks (no CPU)\"}}", r + 1, t->nr_bufs - 1);
	}
}

static void write_rec(FILE *f, const struct ptsync_trace *t, int tid, const struct trace_rec *r)
{
	double ts = (double)(int64_t)(r->ts_ns - t->origin_ns) / 1e3;

	fprintf(f, ",\n{\"name\":\"%s\",\"cat\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f",
		type_name[r->type], type_cat[r->type], r->run ? r->run : 1, tid, ts);
	if (r->type == TR_WALK || r->type == TR_GP || r->type == TR_FALLBACK)
		fprintf(f, ",\"ph\":\"X\",\"dur\":%.3f", r->dur_ns / 1e3);
	else
		fprintf(f, ",\"ph\":\"i\",\"s\":\"t\"");
	if (r->type == TR_IPI_SEND)
		fprintf(f, ",\"args\":{\"target\":%d}", r->arg);
	else if (r->type == TR_FREE_BATCH)
		fprintf(f, ",\"args\":{\"tables\":%d}", r->arg);
	else if (r->type == TR_TLB_FLUSH)
		fprintf(f, ",\"args\":{\"mode\":\"%s\"}", tlb_mode_name(r->arg));
	fputc('}', f);
}

int trace_close(void)
{
	struct ptsync_trace *t = ptsync_trace;
	int rc = 0;

	if (!t)
		return 0;
	/* Hooks off first; the count is read from @t, not the global, so the
	 * file carries what was dropped (it once read the cleared pointer). */
	ptsync_trace = NULL;
	fprintf(t->f, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"walk_sample\":%d,"
		"\"dropped\":%llu,\"records_per_cpu_per_run\":%u,\"hz\":%d,\"origin_ns\":%llu,"
		"\"note\":\"one walk in %d is recorded; a tick shows as the quiescent state it "
		"allows; ticks fall where origin_ns + ts is a multiple of 1/hz\"},\n\"traceEvents\":[\n",
		TRACE_WALK_SAMPLE, (unsigned long long)bufs_dropped(t), t->quota,
		t->nr_runs ? t->runs[0].hz : 0, (unsigned long long)t->origin_ns, TRACE_WALK_SAMPLE);
	write_meta(t->f, t);
	for (int i = 0; i < t->nr_bufs; i++) {
		uint64_t n = READ_ONCE(t->buf[i].n);

		n = n < t->buf[i].cap ? n : t->buf[i].cap;
		for (uint64_t k = 0; k < n; k++)
			if (t->buf[i].rec[k].ts_ns)	/* a slot reserved, then dropped */
				write_rec(t->f, t, i, &t->buf[i].rec[k]);
		free(t->buf[i].rec);
	}
	fprintf(t->f, "\n]}\n");
	if (ferror(t->f) | fclose(t->f))
		rc = -EIO;
	free(t->buf);
	free(t);
	return rc;
}
