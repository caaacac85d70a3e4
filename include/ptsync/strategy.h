/* SPDX-License-Identifier: MIT */
/*
 * Page-table sync strategies: one ops table each, chosen by name at run time
 * (rcutorture's torture_ops, applied to the callers of
 * tlb_remove_table_sync_one()).
 *
 * A strategy answers two questions:
 *  - what a lockless walker does around its walk, beyond masking IRQs
 *    (walk_begin/walk_end; NULL for strategies that need nothing more);
 *  - what the freer does at each call site (callsite.h) before a table it
 *    unhooked may be freed or reused:
 *      fallback  a table freed without a batch: wait until no walker can
 *                hold it (sync_one), then free it at once - or hand the
 *                table to something that frees it later (free_one);
 *      collapse  khugepaged cleared the PMD above a PTE table it will
 *                deposit or free (collapse_sync; free_one where it frees);
 *      unshare   an mm dropped its share of a hugetlb PMD table that
 *                another mm keeps and may reuse (unshare_sync).
 *
 * A NULL walk hook means "nothing to do"; a NULL free_one means "sync_one,
 * then free".  A NULL collapse_sync or unshare_sync means "this strategy
 * has no answer there yet": the harness does what upstream does there
 * today, tlb_remove_table_sync_one(), and counts and reports it as such.
 * Adding a strategy is one file in strategy/ and one line in
 * strategy/strategy.c; the harness (torture, compare, the tests) decides
 * everything else from the fields below, never from a strategy's name.
 *
 * Some strategies are wrong on purpose, like rcutorture's busted flavours:
 * `none` frees at once, and each newer strategy has a broken twin carrying
 * the bug its review found.  unsafe_tlb_modes says under which TLB flush
 * modes the torture test must catch one; if it ever passes there, the
 * torture test is what is broken.
 */
#ifndef PTSYNC_STRATEGY_H
#define PTSYNC_STRATEGY_H

#include <stdbool.h>
#include <stdio.h>

#include "callsite.h"

struct cpu;
struct mm_struct;
struct mmu_gather;

/*
 * What a sync costs a bystander CPU running another mm, exactly: the
 * count compare and the tests hold each strategy to.
 */
enum pt_sync_bystander {
	BYSTANDER_SPARED,		/* never interrupted */
	BYSTANDER_IPI_PER_SYNC,		/* one IPI per fallback sync */
	BYSTANDER_IPI_UNLESS_NOHZ_FULL,	/* ... unless in user mode, nohz_full */
	BYSTANDER_IPI_UNLESS_FLUSH_IPI,	/* ... unless the TLB flush IPI'd
					 * mm_cpumask (x86 native) */
	NR_BYSTANDER_KINDS
};

/*
 * How a strategy syncs, as a mechanism: what ptsync scale's discrete-event
 * model runs for it (tools/scale/scale_des.c), so that a new strategy is
 * projected without editing the model.  Each value names the kernel
 * mechanism the strategy's sync_one rests on.
 */
enum pt_sync_mechanism {
	MECH_NONE,		/* no sync at all (the baseline) */
	MECH_BROADCAST,		/* IPI every other online CPU, wait for each */
	MECH_GRACE_PERIOD,	/* synchronize_rcu() */
	MECH_PER_TABLE_RCU,	/* call_rcu() per table: no wait, memory held */
	MECH_EXPEDITED,		/* synchronize_rcu_expedited(): IPI CPUs not in an EQS */
	MECH_TARGETED_MM,	/* IPI only CPUs walking this mm right now */
	MECH_FLUSH_SKIP,	/* none if the flush IPI'd mm_cpumask, else the site's own
				 * sync: a GP at the fallback, a broadcast at
				 * collapse and unshare */
	MECH_KERNEL_MODE_ONLY,	/* IPI only CPUs in kernel mode, as context
				 * tracking knows it: nohz_full CPUs only */
	NR_MECHANISMS
};

struct pt_sync_ops {
	const char *name;
	const char *desc;	/* one line, for --help and reports */
	bool baseline;		/* compare's floor: the no-sync run */
	unsigned int tlb_modes;	/* TLB_MODE_BIT()s it is defined for */
	unsigned int unsafe_tlb_modes;	/* where torture must catch it */
	const char *twin_of;	/* a broken twin: the strategy it breaks */
	bool preset;		/* built from a --kernel preset (presets.h) */
	/* torture's --mms when not given: the fewest mms its bug needs */
	int unsafe_min_mms;
	/*
	 * ARCH_BIT()s (tlb.h) whose TLB flush carries a full barrier that
	 * hides this strategy's bug at its unsafe_tlb_modes: every call site
	 * flushes between the unhook and the sync, so there the strategy is
	 * safe by accident of the architecture (arch_flush_barrier() names
	 * the barrier).  Torture must find it clean there and caught under
	 * --arch=weak.  0: nothing hides it (or it is safe).
	 */
	unsigned int hidden_archs;
	enum pt_sync_bystander bystander;
	enum pt_sync_mechanism mech;	/* what sync_one does, for ptsync scale */
	/* Per call site, where it differs by site; NULL: bystander at all. */
	const enum pt_sync_bystander *bystander_at;
	void (*walk_begin)(struct cpu *c, struct mm_struct *mm);
	void (*walk_end)(struct cpu *c, struct mm_struct *mm);
	void (*sync_one)(struct mmu_gather *tlb);
	void (*free_one)(struct mmu_gather *tlb, void *table);
	void (*collapse_sync)(struct mmu_gather *tlb);
	void (*unshare_sync)(struct mmu_gather *tlb);
	/*
	 * The sync waits for walkers of tlb->mm only.  At unshare that is
	 * not enough to sync only when a table becomes exclusive (upstream's
	 * per-gather rule, which relies on a broadcast reaching the walkers
	 * of every mm that unshared it before): such a strategy syncs every
	 * gather that unshared anything (mm/hugetlb.c).
	 */
	bool sync_mm_only;
	/* What it does at each call site, a few words, for ptsync list. */
	const char *at[NR_CALLSITES];
};

/*
 * The head of a strategy's table: its name (what --strategy takes), its
 * desc (one line, for --help and reports), its mech (what its sync rests
 * on, for ptsync scale), and the TLB modes it is defined for: every one,
 * TLB_MODES_ALL (tlb.h).  A strategy defined under fewer modes writes its
 * head out field by field (flush-ipi-pv), since -Wextra refuses a second
 * .tlb_modes after this one; the targeted tables take the mechanism and
 * modes from PT_SYNC_TARGETED (targeted.h).
 */
#define PT_SYNC_OPS_HEAD(name_, desc_, mech_)				\
	.name = (name_), .desc = (desc_), .mech = (mech_),		\
	.tlb_modes = TLB_MODES_ALL

/*
 * For a strategy that does the same at every call site: one hook for all
 * three, the same words for ptsync list at each, and so the same cost to
 * a bystander at each (@bystander, where bystander_at would repeat it).
 */
#define PT_SYNC_EVERY_SITE(fn, what, by)				\
	.sync_one = (fn), .collapse_sync = (fn), .unshare_sync = (fn),	\
	.at = { [CALLSITE_FALLBACK] = (what), [CALLSITE_COLLAPSE] = (what), \
		[CALLSITE_UNSHARE] = (what) },				\
	.bystander = (by)

/*
 * A sync hook that needs nothing from the gather: it makes one of the
 * kernel's own calls, which take no argument (tlb_remove_table_sync_one(),
 * synchronize_rcu_expedited(), ...).
 */
#define PT_SYNC_HOOK_CALLING(hook, kernel_sync)				\
	static void hook(struct mmu_gather *tlb)			\
	{								\
		(void)tlb;						\
		kernel_sync();						\
	}

static inline bool pt_sync_safe(const struct pt_sync_ops *ops)
{
	return ops->unsafe_tlb_modes == 0;
}

/* Whether torture must catch @ops under TLB mode @mode and arch @arch. */
static inline bool pt_sync_unsafe_in(const struct pt_sync_ops *ops, int mode, int arch)
{
	return (ops->unsafe_tlb_modes & (1u << mode)) && !(ops->hidden_archs & (1u << arch));
}

/* The strategy's own sync at @site; NULL: upstream's broadcast there. */
static inline void (*pt_sync_hook(const struct pt_sync_ops *ops,
				  enum pt_callsite site))(struct mmu_gather *)
{
	switch (site) {
	case CALLSITE_FALLBACK:	return ops->sync_one;
	case CALLSITE_COLLAPSE:	return ops->collapse_sync;
	case CALLSITE_UNSHARE:	return ops->unshare_sync;
	default:		return NULL;
	}
}

/*
 * Whether @ops has an answer of its own at @site: a hook, or at the
 * fallback a free_one (or, for `none`, nothing at all on purpose).
 */
static inline bool pt_sync_applies(const struct pt_sync_ops *ops, enum pt_callsite site)
{
	if (site == CALLSITE_FALLBACK)
		return true;
	return pt_sync_hook(ops, site) != NULL;
}

extern const struct pt_sync_ops none_sync_ops;
extern const struct pt_sync_ops ipi_sync_ops;
extern const struct pt_sync_ops rcu_sync_ops;
extern const struct pt_sync_ops pt_reclaim_sync_ops;
extern const struct pt_sync_ops rcu_exp_sync_ops;
extern const struct pt_sync_ops targeted_sync_ops;
extern const struct pt_sync_ops targeted_rmb_sync_ops;
extern const struct pt_sync_ops targeted_v4_sync_ops;
extern const struct pt_sync_ops targeted_v4_unshare_sync_ops;
extern const struct pt_sync_ops flush_ipi_sync_ops;
extern const struct pt_sync_ops flush_ipi_pv_sync_ops;
extern const struct pt_sync_ops eqs_sync_ops;
extern const struct pt_sync_ops eqs_racy_sync_ops;

const struct pt_sync_ops *pt_sync_ops_find(const char *name);
/* All strategies, NULL-terminated, in report order. */
extern const struct pt_sync_ops *const pt_sync_ops_all[];
/* "none, ipi, rcu, ..." into buf: for usage errors and --help. */
const char *pt_sync_ops_names(char *buf, size_t len);
/* "spared", "ipi-per-sync", ...: for list --tsv and results.json. */
const char *pt_sync_bystander_name(enum pt_sync_bystander b);
/*
 * What a bystander pays for a sync at @site: the strategy's own kind
 * where it applies, a broadcast where the harness falls back to upstream.
 */
enum pt_sync_bystander pt_sync_site_bystander(const struct pt_sync_ops *ops,
					      enum pt_callsite site);
/* The mechanism at @site: the strategy's own, or upstream's broadcast. */
enum pt_sync_mechanism pt_sync_site_mechanism(const struct pt_sync_ops *ops,
					      enum pt_callsite site);
/* What @ops does at @site, in words, for ptsync list. */
const char *pt_sync_site_what(const struct pt_sync_ops *ops, enum pt_callsite site,
			      char *buf, size_t len);

#endif /* PTSYNC_STRATEGY_H */
