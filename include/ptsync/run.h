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

struct ptsync_config {
	int nr_cpus;
	int nr_freers, nr_walkers, nr_bystanders;
	int nr_mms;
	int hz;
	double batch_fail;
	unsigned int batch_pool;
	uint64_t walk_delay_ns;
	double duration_s;
	double stall_timeout_s;
	uint64_t seed;
	const struct pt_sync_ops *ops;
	uint32_t pt_pages, folios;
	unsigned int walk_pages;	/* max pages per gup_fast */
	unsigned int regions;		/* 2 MiB regions per mm */
	double huge_chance;		/* a map is a PMD leaf */
	double exit_chance;		/* a freer job exits the mm */
	bool pin;
	bool progress;			/* per-second lines on stderr */
};

void ptsync_config_default(struct ptsync_config *cfg);

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
};

#define VIOLATION_LOG	32

struct violation_log {
	_Atomic uint64_t total;
	_Atomic uint64_t by_kind[NR_VIOLATION_KINDS];
	_Atomic uint32_t nr_logged;
	struct violation log[VIOLATION_LOG];
};

const char *violation_kind_name(enum violation_kind k);

/* Counters of things no single CPU owns. */
struct run_stats {
	_Atomic uint64_t tables_freed_batched, tables_freed_one;
	_Atomic uint64_t batches_flushed, batches_freed;
	_Atomic uint64_t tlb_flushes;
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

	struct violation_log violations;
	struct run_stats stats;

	pthread_t watchdog;
	bool watchdog_running;
	_Atomic int watchdog_stop;
	_Atomic uint64_t main_wait_since_ns;	/* main thread's own waits */
	_Atomic int main_wait_kind;
};

int ptsync_run_init(struct ptsync_run *run, const struct ptsync_config *cfg);
void ptsync_run_destroy(struct ptsync_run *run);
void ptsync_run_exit_mms(struct ptsync_run *run);
/* After the CPUs stopped: rcu_barrier(), then live tables + folios. */
int ptsync_run_drain(struct ptsync_run *run);

/* Record a violation seen by a walker; never aborts. */
void report_violation(struct cpu *c, enum violation_kind kind, int level,
		      uint64_t addr, struct mm_struct *mm);

#endif /* PTSYNC_RUN_H */
