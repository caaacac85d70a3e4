/* SPDX-License-Identifier: MIT */
/*
 * One run of the model: its configuration and every piece of state the
 * CPUs share.  Nothing lives at file scope; two runs in one process (the
 * unit tests do that) are two of these, one after the other.
 */
#ifndef PTSYNC_RUN_H
#define PTSYNC_RUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu.h"
#include "mm.h"
#include "strategy.h"
#include "tlb.h"

/*
 * IRQs-off delay inside each walk (--walk-delay), between reading the PMD
 * and reading the PTE table it points to: where a walker sits inside a
 * table that a freer may be freeing.  Random delays are mostly none,
 * sometimes microseconds (a long walk, a host interrupt), rarely several
 * ticks, so a sync that waits too little cannot hide behind tick rounding.
 */
enum walk_delay_mode {
	WALK_DELAY_FIXED,	/* ns on every walk (0: none) */
	WALK_DELAY_RANDOM,
};

struct walk_delay {
	enum walk_delay_mode mode;
	uint64_t ns;		/* FIXED */
	double p_us;		/* RANDOM: chance of 1..WALK_DELAY_US_MAX us */
	double p_ticks;		/* RANDOM: chance of 1..WALK_DELAY_TICKS_MAX ticks */
};

#define WALK_DELAY_US_MAX	50
#define WALK_DELAY_TICKS_MAX	4
#define WALK_DELAY_P_US		0.01	/* random's defaults */
#define WALK_DELAY_P_TICKS	0.00005

struct ptsync_config {
	int nr_cpus;
	int nr_freers, nr_walkers, nr_bystanders;
	int nr_mms;
	int hz;
	double batch_fail;
	unsigned int batch_pool;
	struct walk_delay walk_delay;
	int tlb_mode;			/* enum tlb_mode, or TLB_MODE_AUTO */
	int arch;			/* enum pt_arch (tlb.h): the flush's barrier */
	bool nohz_full;			/* some CPUs' user mode takes no tick */
	/* --nohz-full=LIST: which CPUs; a bare --nohz-full: the bystanders */
	bool nohz_full_list;
	uint64_t nohz_full_mask[CPUMASK_WORDS];
	double preempt_chance;		/* pv: a walk's vCPU is preempted mid-walk */
	uint64_t preempt_ns;		/* for this long */
	double user_chance;		/* a walker job starts in user mode */
	uint64_t sb_window_ns;		/* --sb-window: unhooks stay buffered */
	double duration_s;
	double stall_timeout_s;
	uint64_t seed;
	const struct pt_sync_ops *ops;
	uint32_t pt_pages, folios;
	unsigned int walk_pages;	/* max pages per gup_fast */
	unsigned int regions;		/* 2 MiB regions per mm */
	double huge_chance;		/* a map is a PMD leaf */
	double exit_chance;		/* a freer job exits the mm */
	unsigned int callsites;		/* CALLSITE_BIT()s torture drives */
	int nr_khugepaged;		/* CPUs collapsing (ROLE_KHUGEPAGED) */
	unsigned int collapse_rate;	/* collapses a second per khugepaged CPU */
	int unshare_sync;		/* enum unshare_sync (hugetlb.h) */
	unsigned int shared_regions;	/* hugetlb slots every mm shares */
	bool pin;
	bool progress;			/* per-second lines on stderr */
	bool stop_on_violation;		/* torture: end at the first one */
};

void ptsync_config_default(struct ptsync_config *cfg);
/* " --nohz-full", " --nohz-full=1,3-5" or "", for a repeat line (kernel/cpu.c). */
const char *nohz_full_opt(const struct ptsync_config *cfg, char *buf, size_t len);

enum violation_kind {
	V_POISONED_ENTRY,	/* read an entry of a freed table */
	V_FREED_TABLE,		/* followed a pointer to a free table */
	V_WRONG_TABLE,		/* table of another level/mm: freed and reused */
	V_GEN_CHANGED,		/* a table on the path was freed mid-walk */
	V_FREED_PAGE,		/* a grabbed folio was freed or reused */
	NR_VIOLATION_KINDS
};

struct violation {
	int cpu;
	int level;
	enum violation_kind kind;
	uint64_t addr;
	int mm;
	int site;		/* callsite.h: who freed or reused the table */
};

#define VIOLATION_LOG	32

struct violation_log {
	_Atomic uint64_t total;
	_Atomic uint64_t first_ns;	/* since the run started; 0: none yet */
	_Atomic uint64_t by_kind[NR_VIOLATION_KINDS];
	_Atomic uint64_t by_site[NR_CALLSITES];
	_Atomic uint32_t nr_logged;
	struct violation log[VIOLATION_LOG];
};

const char *violation_kind_name(enum violation_kind k);

/*
 * PT_RECLAIM's cost: page-table pages that wait for a grace period one by
 * one.  The count changes under the lock, which also integrates it over
 * time for the mean; the callback's latency is sampled there too.
 */
struct pt_reclaim_stats {
	pthread_mutex_t lock;
	int64_t pending, peak;
	uint64_t last_ns;
	double page_ns;		/* integral of pending over time */
	struct samples cb_lat;	/* call_rcu -> callback, ns */
};

/* khugepaged's collapses (mm/khugepaged.c): how each scan ended. */
struct khugepaged_stats {
	_Atomic uint64_t scans, results[NR_SCAN_RESULTS];
	_Atomic uint64_t deposited, freed, withdrawn;
};

/* Counters of things no single CPU owns. */
struct run_stats {
	_Atomic uint64_t tables_freed_batched, tables_freed_one;
	_Atomic uint64_t tables_freed_rcu_one;	/* PT_RECLAIM: call_rcu per table */
	_Atomic uint64_t batches_flushed, batches_freed;
	_Atomic uint64_t mm_exits, mm_inits;
};

struct ptsync_run {
	struct ptsync_config cfg;
	const struct pt_sync_ops *ops;
	int nr_cpus;
	struct cpu *cpus;
	struct cpumask online;

	struct mm_struct *mms;		/* cfg.nr_mms shared + 1 bystander mm */
	int nr_mms;

	struct pt_arena pt;
	struct folio_arena folios;
	struct batch_pool batches;
	struct samples batch_gp;	/* call_rcu -> callback, ns; written by
					 * liburcu's (single) call_rcu worker */
	struct pt_reclaim_stats reclaim; /* tables waiting in call_rcu() one by one */
	bool walk_delay_on;		/* a delay or a preemption may happen */
	_Atomic uint64_t walk_hint;	/* mm id << 32 | (2 MiB slot + 1) of the
					 * latest delayed walk; 0: none */
	_Atomic uint64_t walk_hint_until;	/* when that walker leaves */
	uint64_t tick_ns;

	void (*cpu_fn)(struct cpu *c);	/* what each CPU thread runs */
	void *priv;				/* the driver's (tests, compare) */
	pthread_barrier_t start_barrier, stop_barrier;
	_Atomic int stop;
	uint64_t start_ns, end_ns;
	uint64_t gp_start;

	/* gup_race_hook_t (gup.h) for the unit tests; NULL otherwise. */
	void (*gup_hook)(struct mm_struct *mm, uint64_t addr, void *arg);
	void *gup_hook_arg;
	/* gup_enter_hook_t (gup.h), likewise. */
	void (*gup_enter_hook)(struct mm_struct *mm, uint64_t addr, int level, void *arg);
	void *gup_enter_hook_arg;

	struct violation_log violations;
	struct run_stats stats;
	struct khugepaged_stats khugepaged;
	/* The shared hugetlb file the mms map (unshare call site), or NULL. */
	struct hugetlb_file *hugetlb;

	pthread_t watchdog;
	bool watchdog_running;
	_Atomic int watchdog_stop;
	_Atomic uint64_t main_wait_since_ns;	/* main thread's own waits */
	_Atomic int main_wait_kind;
};

int ptsync_run_init(struct ptsync_run *run, const struct ptsync_config *cfg);
/* The TLB mode a run of @ops uses when asked for @mode (maybe AUTO). */
int ptsync_tlb_mode(const struct pt_sync_ops *ops, int mode);
void ptsync_run_destroy(struct ptsync_run *run);
void ptsync_run_exit_mms(struct ptsync_run *run);
/* After the CPUs stopped: rcu_barrier(), then live tables + folios. */
int ptsync_run_drain(struct ptsync_run *run);

/* Record a violation seen by a walker, charged to @site; never aborts. */
void report_violation(struct cpu *c, enum violation_kind kind, int level,
		      uint64_t addr, struct mm_struct *mm, enum pt_callsite site);

#endif /* PTSYNC_RUN_H */
