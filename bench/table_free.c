// SPDX-License-Identifier: MIT
/*
 * table_free: how fast the batched path frees page tables, poisoning on.
 *
 * Why it exists: every strategy shares the batched path (tables gathered
 * 509 to a page and freed from an RCU callback); only the fallback differs.
 * If the batched path is slow, an unmap-heavy torture run measures our
 * allocator instead of the strategies, so its throughput is watched here.
 * Poisoning stays on, as in every run: a freed table must read PT_POISON.
 *
 * The whole process is pinned to one host core (the CPU thread, liburcu's
 * call_rcu worker that runs the callbacks, everything), so the number is
 * one core's worth of work.  Each repetition preallocates N detached page
 * tables (untimed), then times
 *
 *   tlb_gather_mmu + N x tlb_remove_table + tlb_finish_mmu + rcu_barrier()
 *
 * so every table has been through call_rcu, a grace period, the callback,
 * pt_free_bulk() and its poisoning when the clock stops.  Then, outside
 * the clock, every entry of every table is checked for PT_POISON.
 *
 * Two lines per size, medians of the repetitions after one warm-up:
 * "wall" is tables/s by the clock, and holds ~10 ms of idle per repetition
 * (liburcu's call_rcu worker sleeps that long after each wake-up, to batch
 * callbacks); "cpu" is tables per second of the process's CPU time, which
 * on one core is that core's busy time: the freeing path's throughput.
 *
 *   table_free [--tables=N] [--reps=N]   default: two sizes, 9 repetitions
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptsync/rcupdate.h"
#include "ptsync/run.h"
#include "ptsync/tlb.h"

#define PROG "table_free"
#include "bench.h"

#define MAX_REPS	64

struct free_bench {
	unsigned int nr;		/* tables per repetition */
	unsigned int reps;		/* timed, after one warm-up */
	pgent_t **tables;
	uint64_t ns[MAX_REPS];		/* wall clock */
	uint64_t cpu_ns[MAX_REPS];	/* CPU time of the whole process */
	const char *failed;		/* what went wrong, or NULL */
};

/* Tables as exit_mmap() leaves them: unhooked, waiting to be freed. */
static void prealloc_tables(struct ptsync_run *run, struct free_bench *b)
{
	struct mm_struct *mm = &run->mms[0];

	for (unsigned int i = 0; i < b->nr; i++) {
		pgent_t *t = pt_alloc(&run->pt, PT_PTE, mm);

		if (!t) {
			b->failed = "pt_alloc failed";
			return;
		}
		WRITE_ONCE(virt_to_ptdesc(&run->pt, t)->state, PT_DETACHED);
		b->tables[i] = t;
	}
}

/* CPU time of every thread of the process: the CPU, the call_rcu worker. */
static uint64_t process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* The timed part; returns wall-clock ns, and CPU ns in *cpu_ns. */
static uint64_t free_tables(struct ptsync_run *run, struct free_bench *b,
			    uint64_t *cpu_ns)
{
	struct mmu_gather tlb;
	uint64_t t0 = ktime_get_ns(), c0 = process_cpu_ns();

	tlb_gather_mmu(&tlb, &run->mms[0]);
	for (unsigned int i = 0; i < b->nr; i++)
		tlb_remove_table(&tlb, b->tables[i]);
	tlb_finish_mmu(&tlb);
	rcu_barrier();
	*cpu_ns = process_cpu_ns() - c0;
	return ktime_get_ns() - t0;
}

/* Every table free, every entry poison. */
static void check_freed(struct ptsync_run *run, struct free_bench *b)
{
	for (unsigned int i = 0; i < b->nr; i++) {
		pgent_t *t = b->tables[i];

		if (READ_ONCE(virt_to_ptdesc(&run->pt, t)->state) != PT_FREE)
			b->failed = "a table is not free after rcu_barrier()";
		for (int j = 0; j < PTRS_PER_TABLE; j++) {
			if (READ_ONCE(t[j]) != PT_POISON)
				b->failed = "a freed table is not poisoned";
		}
	}
}

static void free_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct free_bench *b = run->priv;

	for (unsigned int r = 0; r <= b->reps && !b->failed; r++) {
		uint64_t ns, cpu_ns;

		prealloc_tables(run, b);
		if (b->failed)
			return;
		ns = free_tables(run, b, &cpu_ns);
		if (r) {	/* repetition 0 warms up */
			b->ns[r - 1] = ns;
			b->cpu_ns[r - 1] = cpu_ns;
		}
		check_freed(run, b);
	}
	if (READ_ONCE(c->stats.fallbacks))
		b->failed = "a table took the fallback: the batch pool is too small";
}

/* The first host core this process may use, for everything. */
static int pin_process_to_one_core(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &set)) {
			CPU_ZERO(&set);
			CPU_SET(i, &set);
			return sched_setaffinity(0, sizeof(set), &set) ? -1 : i;
		}
	}
	return -1;
}

/* The freer alone (bench.h's bench_config()), with room for a repetition. */
static void free_bench_config(struct ptsync_config *cfg, const struct free_bench *b)
{
	bench_config(cfg, 0);
	/* Every batch of a repetition is in flight at once. */
	cfg->batch_pool = b->nr / MAX_TABLE_BATCH + 2;
	cfg->pt_pages = b->nr + 16;
	cfg->folios = 64;
}

static int run_bench(struct free_bench *b)
{
	struct ptsync_config cfg;
	struct ptsync_run *run;

	free_bench_config(&cfg, b);
	run = bench_run_start(&cfg, free_cpu, b);
	if (!run)
		return 1;
	/* No walker runs here, so not clean means live objects left. */
	if (!bench_run_finish(run) && !b->failed)
		b->failed = "live objects after rcu_barrier()";
	return b->failed != NULL;
}

/* One line: median rate, and the spread of the repetitions. */
static void report_line(const char *what, uint64_t *ns, const struct free_bench *b)
{
	uint64_t med;

	med = bench_median(ns, b->reps);
	printf("%-5s %6.2f Mtables/s %7.1f ns/table  (min %.1f, max %.1f)\n",
	       what, (double)b->nr * 1e3 / (double)med, (double)med / b->nr,
	       (double)ns[0] / b->nr, (double)ns[b->reps - 1] / b->nr);
}

static void report(struct free_bench *b, int core)
{
	printf("# table_free: %u tables (%u batches of %zu) per repetition, "
	       "poisoning on, pinned to host CPU %d; median of %u\n",
	       b->nr, (b->nr + (unsigned int)MAX_TABLE_BATCH - 1) /
	       (unsigned int)MAX_TABLE_BATCH, MAX_TABLE_BATCH, core, b->reps);
	report_line("wall", b->ns, b);
	report_line("cpu", b->cpu_ns, b);
}

/* One size: a run of its own, then its report. */
static int bench_size(unsigned int nr, unsigned int reps, int core)
{
	struct free_bench b = { .nr = nr, .reps = reps };
	int err;

	b.tables = calloc(b.nr, sizeof(*b.tables));
	if (!b.tables)
		return 1;
	err = run_bench(&b);
	if (err)
		fprintf(stderr, "table_free: %s\n", b.failed ? b.failed : "failed");
	else
		report(&b, core);
	free(b.tables);
	return err;
}

int main(int argc, char **argv)
{
	/* Default sizes: 8 batches (16 MiB of tables, inside this machine's
	 * 32 MiB L3) and 128 batches (255 MiB, far outside it). */
	unsigned int sizes[2] = { 8 * MAX_TABLE_BATCH, 128 * MAX_TABLE_BATCH };
	unsigned int nr_sizes = 2, reps = 9;
	int core, err = 0;

	for (int i = 1; i < argc; i++) {
		if (parse_uint(argv[i], "--tables=", 1, 1u << 22, &sizes[0])) {
			nr_sizes = 1;
		} else if (!parse_uint(argv[i], "--reps=", 5, MAX_REPS, &reps)) {
			fprintf(stderr, "usage: table_free [--tables=N] [--reps=5..%d]\n",
				MAX_REPS);
			return 2;
		}
	}
	core = pin_process_to_one_core();
	for (unsigned int i = 0; i < nr_sizes; i++)
		err |= bench_size(sizes[i], reps, core);
	return err;
}
