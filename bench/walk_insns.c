// SPDX-License-Identifier: MIT
/*
 * walk_insns: what the protection of a GUP-fast walk costs, per strategy.
 *
 * Why it exists: every strategy adds something to the lockless walker (IRQ
 * masking always; walk_begin/walk_end for the ones that need more, such as
 * targeted IPIs, whose kernel version cost +3% on a GUP-fast benchmark), and
 * a strategy is only worth having if that price stays small.  The project asks
 * for the walker's cost against a raw walk with no protection, in the same
 * binary and the same run; this is that measurement.
 *
 * CPU 0 maps one 2 MiB region on an mm that nobody unmaps, then walks a
 * fixed range of it K times with gup_fast() (protected: IRQs masked, the
 * strategy's walk hooks) and K times with gup_fast_raw() (the same walk,
 * protection removed).  Each kind of walk runs inside its own noinline
 * function, bench_walk_protected() or bench_walk_raw(), and nothing else
 * does, so callgrind --toggle-collect on those names counts the walk and
 * only the walk; the pins are checked and dropped outside them.
 *
 *   walk_insns --count [--strategy=NAME]   K walks of each kind, for
 *                                          callgrind (bench/walk_insns.sh)
 *   walk_insns [--strategy=NAME]           ns/walk: median of ABAB blocks
 *   walk_insns --list                      the strategy names
 *
 * Without --strategy every strategy in pt_sync_ops_all runs, one run each.
 * Raw walks are safe here only because nothing frees a table during them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptsync/gup.h"
#include "ptsync/run.h"
#include "ptsync/torture.h"

#define PROG "walk_insns"
#include "bench.h"

#define MAX_BLOCKS	256

struct walk_bench {
	bool count;			/* callgrind mode: no timing */
	unsigned int walks;		/* K, per block */
	unsigned int blocks;		/* timed A/B pairs */
	unsigned int pages;		/* pages per walk */
	uint64_t ns_protected[MAX_BLOCKS], ns_raw[MAX_BLOCKS];
	bool failed;			/* a walk came back short */
};

typedef int (*walk_fn_t)(struct mm_struct *mm, uint64_t start,
			 unsigned int nr_pages, struct folio **pages);

/* Public and noinline so that callgrind finds them by these names. */
int bench_walk_protected(struct mm_struct *mm, uint64_t start,
			 unsigned int nr_pages, struct folio **pages);
int bench_walk_raw(struct mm_struct *mm, uint64_t start,
		   unsigned int nr_pages, struct folio **pages);

__attribute__((noinline))
int bench_walk_protected(struct mm_struct *mm, uint64_t start,
			 unsigned int nr_pages, struct folio **pages)
{
	int nr = gup_fast(mm, start, nr_pages, pages);

	/* Keep the call from becoming a tail jump, so the walk is counted
	 * as inside this function. */
	__asm__ __volatile__("" ::: "memory");
	return nr;
}

__attribute__((noinline))
int bench_walk_raw(struct mm_struct *mm, uint64_t start,
		   unsigned int nr_pages, struct folio **pages)
{
	int nr = gup_fast_raw(mm, start, nr_pages, pages);

	__asm__ __volatile__("" ::: "memory");	/* as above */
	return nr;
}

static uint64_t bench_addr(void)
{
	return torture_region_addr(0);
}

/* Callgrind mode: K walks, each followed by its check-and-put. */
static void count_walks(struct cpu *c, struct walk_bench *b, walk_fn_t fn)
{
	struct mm_struct *mm = &c->run->mms[0];
	uint32_t inc = READ_ONCE(mm->incarnation);
	struct folio *pages[64];

	for (unsigned int i = 0; i < b->walks; i++) {
		int nr = fn(mm, bench_addr(), b->pages, pages);

		if (nr != (int)b->pages)
			b->failed = true;
		gup_check_and_put(c, mm, inc, bench_addr(), nr, pages);
	}
}

/*
 * Timed mode: K walks back to back, then K check-and-puts, so that the
 * clock sees only walks.  Every walk pins the same folios, so one array
 * serves all K puts; a folio's count grows by K meanwhile, which costs the
 * compare-and-swap in folio_ref_try_add() nothing.
 */
static uint64_t time_walks(struct cpu *c, struct walk_bench *b, walk_fn_t fn)
{
	struct mm_struct *mm = &c->run->mms[0];
	uint32_t inc = READ_ONCE(mm->incarnation);
	struct folio *pages[64];
	uint64_t t0, dt, pinned = 0;

	t0 = ktime_get_ns();
	for (unsigned int i = 0; i < b->walks; i++)
		pinned += (uint64_t)fn(mm, bench_addr(), b->pages, pages);
	dt = ktime_get_ns() - t0;
	if (pinned != (uint64_t)b->walks * b->pages)
		b->failed = true;
	for (unsigned int i = 0; i < b->walks; i++)
		gup_check_and_put(c, mm, inc, bench_addr(), (int)b->pages, pages);
	return dt;
}

static void walk_cpu(struct cpu *c)
{
	struct walk_bench *b = c->run->priv;
	struct mm_struct *mm = &c->run->mms[0];

	if (c->id)
		return;		/* CPU 1 only has to exist */
	if (map_range(mm, bench_addr(), PMD_SIZE, false) != PMD_SIZE / PAGE_SIZE) {
		b->failed = true;
		return;
	}
	if (b->count) {
		count_walks(c, b, bench_walk_protected);
		count_walks(c, b, bench_walk_raw);
		return;
	}
	time_walks(c, b, bench_walk_protected);		/* warm up */
	time_walks(c, b, bench_walk_raw);
	for (unsigned int i = 0; i < b->blocks; i++) {	/* A B A B ... */
		b->ns_protected[i] = time_walks(c, b, bench_walk_protected);
		b->ns_raw[i] = time_walks(c, b, bench_walk_raw);
	}
}

static double median_ns_per_walk(uint64_t *ns, const struct walk_bench *b)
{
	return (double)bench_median(ns, b->blocks) / b->walks;
}

/* One run of the model under @ops; 0 when every walk pinned every page. */
static int bench_strategy(const struct pt_sync_ops *ops, struct walk_bench *b)
{
	struct ptsync_config cfg;
	struct ptsync_run *run;

	bench_walk_config(&cfg, ops);
	b->failed = false;
	run = bench_run_start(&cfg, walk_cpu, b);
	if (!run)
		return 1;
	if (!bench_run_finish(run))
		b->failed = true;
	if (b->failed)
		fprintf(stderr, "walk_insns: %s: a walk came back short, "
			"a violation, or a leak\n", ops->name);
	return b->failed;
}

static void print_times(const struct pt_sync_ops *ops, struct walk_bench *b)
{
	double p = median_ns_per_walk(b->ns_protected, b);
	double r = median_ns_per_walk(b->ns_raw, b);

	printf("%-10s %8.1f %8.1f %8.3f\n", ops->name, p, r, p / r);
}

static int usage(void)
{
	fprintf(stderr, "usage: walk_insns [--count] [--list] [--strategy=NAME] "
		"[--walks=K] [--blocks=N(1..%d)] [--pages=N(1..64)]\n", MAX_BLOCKS);
	return 2;
}

static void list_strategies(void)
{
	for (int i = 0; pt_sync_ops_all[i]; i++)
		printf("%s\n", pt_sync_ops_all[i]->name);
}

int main(int argc, char **argv)
{
	struct walk_bench b = { .walks = 2000, .blocks = 51, .pages = 16 };
	const struct pt_sync_ops *only = NULL;
	int err = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--count"))
			b.count = true;
		else if (!strcmp(a, "--list")) {
			list_strategies();
			return 0;
		} else if (!strncmp(a, "--strategy=", 11)) {
			if (!(only = pt_sync_ops_find(a + 11)))
				return usage();
		} else if (!parse_uint(a, "--walks=", 1, 1000000, &b.walks) &&
			   !parse_uint(a, "--blocks=", 1, MAX_BLOCKS, &b.blocks) &&
			   !parse_uint(a, "--pages=", 1, 64, &b.pages))
			return usage();
	}
	if (!b.count)
		printf("# ns/walk of %u pages: median of %u ABAB blocks of %u walks\n"
		       "%-10s %8s %8s %8s\n", b.pages, b.blocks, b.walks,
		       "strategy", "protect", "raw", "ratio");
	for (int i = 0; pt_sync_ops_all[i]; i++) {
		const struct pt_sync_ops *ops = pt_sync_ops_all[i];

		if (only && ops != only)
			continue;
		err |= bench_strategy(ops, &b);
		if (!b.count && !b.failed)
			print_times(ops, &b);
	}
	return err;
}
