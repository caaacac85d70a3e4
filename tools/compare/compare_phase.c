// SPDX-License-Identifier: MIT
/*
 * ptsync compare: the actors every cost phase shares (compare_phase.h),
 * here rather than in compare.c so that the rate-matched phase
 * (compare_rate.c) uses them without depending on the command that runs it.
 */
#include <sched.h>

#include "compare_phase.h"
#include "ptsync/irqflags.h"
#include "ptsync/rcupdate.h"
#include "ptsync/torture.h"

#define METER_SLICE_NS	(10 * NSEC_PER_MSEC)	/* bystander: between syscalls */
#define COST_MAP_PAGES	16

/*
 * Map @len bytes at @addr in @mm as the freer @c and unmap them: their
 * tables freed each time.  With @pinned, first map the page one PMD above
 * while *@pinned is false (the rate-matched phase: it holds the upper
 * tables, so an unmap frees the PTE table alone).
 */
void compare_map_unmap(struct cpu *c, struct mm_struct *mm, uint64_t addr, uint64_t len,
		       bool *pinned)
{
	if (!mmget_not_zero(mm))
		return;
	switch_mm(c, mm);
	cpu_set_activity(c, ACT_MAP);
	if (pinned && !*pinned)
		*pinned = map_range(mm, addr + PMD_SIZE, PAGE_SIZE, false) > 0;
	map_range(mm, addr, len, false);
	cpu_set_activity(c, ACT_UNMAP);
	munmap_range(mm, addr, len);
	this_cpu_inc(c->stats.unmaps);
	switch_mm(c, NULL);
	mmput(mm);
}

/* Map a few pages into one region and unmap them: tables freed each time.
 * The cost phase drives the fallback so. */
void compare_freer_job(struct cpu *c, unsigned int *region)
{
	struct ptsync_run *run = c->run;
	uint64_t addr = torture_region_addr(*region);

	*region = (*region + 1) % run->cfg.regions;
	compare_map_unmap(c, &run->mms[0], addr, COST_MAP_PAGES * PAGE_SIZE, NULL);
}

/*
 * A bystander: its own mm, in user mode (osnoise) or idle (timerlat), for
 * the whole phase, as a real-time task on an isolated CPU would be: it
 * never enters the kernel while a freer works, so a strategy that spares
 * user-mode or idle CPUs must deliver it exactly zero IPIs.
 */
void compare_bystander(struct cpu *c, const struct compare_config *cfg,
		       enum noise_mode meter, _Atomic int *settled,
		       const _Atomic int *working)
{
	struct ptsync_run *run = c->run;
	bool idle = meter == NOISE_TIMERLAT;

	switch_mm(c, &run->mms[run->nr_mms - 1]);
	cpu_set_activity(c, ACT_USER);
	if (idle)
		ct_idle_enter(c);
	else
		ct_user_enter(c);
	atomic_inc_relaxed(*settled);
	while (!READ_ONCE(run->stop) || READ_ONCE(*working)) {
		if (idle)
			timerlat_measure(&c->noise, cfg->timerlat_period_ns,
					 METER_SLICE_NS, &run->stop);
		else
			osnoise_measure(&c->noise, cfg->noise_threshold_ns,
					METER_SLICE_NS, &run->stop);
	}
	if (idle)
		ct_idle_exit(c);
	else
		ct_user_exit(c);
}

/* Freers and walkers start once every bystander is settled. */
void compare_wait_settled(struct cpu *c, const _Atomic int *settled)
{
	int want = c->run->cfg.nr_bystanders;

	while (READ_ONCE(*settled) < want && !READ_ONCE(c->run->stop)) {
		rcu_note_context_switch(c);
		sched_yield();
	}
}
