// SPDX-License-Identifier: MIT
/*
 * ptsync scale --script: one scenario, run twice - by the real-thread
 * model (libptsync's CPUs, each strategy's own sync_one) and by the
 * discrete-event model (scale_des.c) - and the IPIs each CPU received by
 * each, side by side.
 *
 * Why: the projection to 1024 CPUs rests on the DES knowing exactly whom
 * each mechanism interrupts.  Here that is checked against the code it
 * models on a scenario where the answer differs by CPU: walkers inside a
 * walk of the freer's mm, between walks in the kernel, in user mode;
 * bystanders in the kernel and in user mode.  targeted and eqs send some
 * of the IPIs a broadcast sends, not all; tests/scale.t holds the two
 * columns equal.  Every state is held for the whole run (a scripted
 * walker stays in its walk with IRQs on, so each IPI is taken at once).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptsync/cpu.h"
#include "ptsync/irqflags.h"
#include "ptsync/mm.h"
#include "ptsync/pgtable.h"
#include "ptsync/rcupdate.h"
#include "ptsync/run.h"
#include "ptsync/tlb.h"
#include "ptsync/util.h"
#include "scale_cmd.h"

/* CPU 0 frees; walkers 1-3; bystanders 4-7. */
static const int script_states[] = {
	SCRIPT_FREER, SCRIPT_WALKING, SCRIPT_WALKER_KERNEL, SCRIPT_WALKER_USER,
	SCRIPT_KERNEL, SCRIPT_USER, SCRIPT_KERNEL, SCRIPT_USER,
};
#define SCRIPT_CPUS	((int)(sizeof(script_states) / sizeof(script_states[0])))
#define SCRIPT_WALKERS	3
#define SCRIPT_WAIT_NS	(10 * NSEC_PER_SEC)	/* every wait's watchdog */

struct script_run {
	_Atomic int ready, done, timed_out;
	unsigned int syncs;
	uint64_t ipis[SCRIPT_CPUS];
};

static const char *const state_name[] = { "freer", "walking", "walker-kernel",
	"walker-user", "kernel", "user" };

/* Spin with IRQs on until @flag reaches @want, or the watchdog fires. */
static void script_wait(struct script_run *s, _Atomic int *flag, int want, bool sched)
{
	uint64_t end = ktime_get_ns() + SCRIPT_WAIT_NS;
	struct cpu *c = this_cpu();

	while (READ_ONCE(*flag) < want) {
		if (ktime_get_ns() > end) {
			WRITE_ONCE(s->timed_out, 1);
			return;
		}
		if (sched && !irqs_disabled())
			rcu_note_context_switch(c);	/* a kernel CPU's schedule point */
		sched_yield();
	}
}

/* One fallback, the real path: a detached table freed with no batch page
 * (--batch-fail=1), so the strategy's sync_one or free_one runs. */
static void script_fallback(struct ptsync_run *run)
{
	struct mm_struct *mm = &run->mms[0];
	pgent_t *table = pt_alloc(&run->pt, PT_PTE, mm);
	struct mmu_gather tlb;

	WRITE_ONCE(virt_to_ptdesc(&run->pt, table)->state, PT_DETACHED);
	tlb_gather_mmu(&tlb, mm);
	tlb_remove_table(&tlb, table);
	tlb_finish_mmu(&tlb);
}

static void script_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct script_run *s = run->priv;
	int st = script_states[c->id];

	if (st == SCRIPT_FREER) {
		script_wait(s, &s->ready, SCRIPT_CPUS - 1, true);
		for (unsigned int i = 0; i < s->syncs && !READ_ONCE(s->timed_out); i++)
			script_fallback(run);
		for (int cpu = 0; cpu < SCRIPT_CPUS; cpu++)
			s->ipis[cpu] = READ_ONCE(run->cpus[cpu].stats.ipis_received);
		WRITE_ONCE(s->done, 1);
		return;
	}
	if (st == SCRIPT_WALKING || st == SCRIPT_WALKER_KERNEL)
		switch_mm(c, &run->mms[0]);
	if (st == SCRIPT_WALKING && run->ops->walk_begin)
		run->ops->walk_begin(c, &run->mms[0]);	/* the slot, IRQs left on */
	if (st == SCRIPT_WALKER_USER || st == SCRIPT_USER)
		ct_user_enter(c);
	atomic_fetch_add(&s->ready, 1);
	/* user mode has no schedule point; the kernel CPUs pass one */
	script_wait(s, &s->done, 1, st != SCRIPT_WALKER_USER && st != SCRIPT_USER);
	if (st == SCRIPT_WALKER_USER || st == SCRIPT_USER)
		ct_user_exit(c);
	if (st == SCRIPT_WALKING && run->ops->walk_end)
		run->ops->walk_end(c, &run->mms[0]);
	if (st == SCRIPT_WALKING || st == SCRIPT_WALKER_KERNEL)
		switch_mm(c, NULL);
}

/* The real threads: 0 with the per-CPU counts, -1 if a wait timed out. */
static int script_real(const struct pt_sync_ops *ops, bool nohz_full, unsigned int syncs,
		       uint64_t *ipis)
{
	struct ptsync_config cfg;
	struct ptsync_run *run = calloc(1, sizeof(*run));
	struct script_run s = { .syncs = syncs };

	ptsync_config_default(&cfg);
	cfg.nr_cpus = SCRIPT_CPUS;
	cfg.nr_freers = 1;
	cfg.nr_walkers = SCRIPT_WALKERS;
	cfg.nr_bystanders = SCRIPT_CPUS - 1 - SCRIPT_WALKERS;
	cfg.ops = ops;
	cfg.tlb_mode = TLB_INVLPGB;	/* no flush IPIs: the sync's alone */
	cfg.nohz_full = nohz_full;
	cfg.pt_pages = 4096;
	cfg.folios = 1u << 14;
	cfg.pin = false;
	cfg.batch_fail = 1;
	if (!run || ptsync_run_init(run, &cfg))
		return -1;
	run->priv = &s;
	cpus_start(run, script_cpu);
	cpus_stop(run);
	ptsync_run_drain(run);
	ptsync_run_destroy(run);
	free(run);
	memcpy(ipis, s.ipis, sizeof(s.ipis));
	return s.timed_out ? -1 : 0;
}

static void script_des(const struct scale_params *p, const struct pt_sync_ops *ops,
		       bool nohz_full, unsigned int syncs, uint64_t *ipis)
{
	struct scale_machine m = {
		.cpus = SCRIPT_CPUS, .walkers = SCRIPT_WALKERS, .tlb_mode = TLB_INVLPGB,
		.nohz_full = nohz_full, .script = script_states, .unshare_tables = 1,
		.events = syncs, .seed = 1,
	};
	struct scale_out out = { .ipis_each = ipis };

	memset(ipis, 0, SCRIPT_CPUS * sizeof(*ipis));
	scale_run(p, &m, ops, SITE_FALLBACK, &out);
}

/* TSV: strategy, nohz_full, cpu, state, real, des. */
int scale_script(const struct scale_opts *o, const struct scale_params *p)
{
	int rc = 0;

	for (int i = 0; i < o->nr_ops; i++) {
		uint64_t real[SCRIPT_CPUS], des[SCRIPT_CPUS];

		if (script_real(o->ops[i], o->nohz_full, o->fallbacks, real)) {
			fprintf(stderr, "ptsync scale --script: %s: the real threads timed out\n",
				o->ops[i]->name);
			return 4;
		}
		script_des(p, o->ops[i], o->nohz_full, o->fallbacks, des);
		for (int c = 0; c < SCRIPT_CPUS; c++) {
			printf("%s\t%d\t%d\t%s\t%llu\t%llu\n", o->ops[i]->name, o->nohz_full, c,
			       state_name[script_states[c]], (unsigned long long)real[c],
			       (unsigned long long)des[c]);
			rc |= real[c] != des[c];
		}
	}
	return rc;
}
