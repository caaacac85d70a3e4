// SPDX-License-Identifier: MIT
/*
 * The architecture's TLB invalidation, as mmu_gather sees it.
 *
 * ptsync has no hardware TLB to flush; what matters to page-table freeing
 * is *how* the flush reaches other CPUs, because a flush that interrupts a
 * CPU and waits for it is also a sync against that CPU's IRQs-off walkers,
 * and one that interrupts nobody is not.  Three modes (--tlb):
 *
 *  invlpgb  broadcast invalidation: AMD INVLPGB+TLBSYNC, arm64 TLBI ...IS.
 *           Completes without interrupting any CPU, so an IRQs-off walker
 *           is not held off by it.  Under --arch=weak the model takes no
 *           memory ordering from it either: a strategy that needs the
 *           unhook ordered before its own loads must say so itself; x86
 *           and arm64 give it the full barrier their flush carries (tlb.h).
 *  native   x86 without INVLPGB: IPI every other CPU in mm_cpumask and wait
 *           until each ran the flush.  A lazy-TLB CPU (one that switched
 *           to idle or a kernel thread and kept the mm loaded) is skipped
 *           unless page tables were freed, since then its paging-structure
 *           caches may point into a freed table.
 *  pv       KVM paravirt flush: as native, but a vCPU the host has
 *           preempted is not interrupted; the host is asked to flush it
 *           when it next runs.  A preempted vCPU can be stopped in the
 *           middle of an IRQs-off walk, so this flush is no sync.
 */
#include "ptsync/names.h"
#include "ptsync/run.h"
#include "ptsync/smp.h"
#include "ptsync/tlb.h"
#include "ptsync/trace.h"

static const char *const tlb_mode_names[NR_TLB_MODES] = {
	[TLB_INVLPGB] = "invlpgb",
	[TLB_NATIVE] = "native",
	[TLB_PV] = "pv",
};

DEFINE_ENUM_LOOKUPS(tlb_mode_name, tlb_mode_find, tlb_mode_names, NR_TLB_MODES, "auto")

/* TLB_MODE_BIT(m) is bit m: the set as enum_set_str() reads it. */
const char *tlb_modes_str(unsigned int modes, char *buf, size_t len)
{
	return enum_set_str(tlb_mode_names, NR_TLB_MODES, modes, buf, len);
}

static const char *const arch_names[NR_ARCHS] = {
	[ARCH_WEAK] = "weak",
	[ARCH_X86] = "x86",
	[ARCH_ARM64] = "arm64",
};

/* Checked against upstream (Dec 2026): arch/x86/mm/tlb.c
 * flush_tlb_mm_range(), arch/arm64/include/asm/tlbflush.h. */
static const char *const arch_barriers[NR_ARCHS] = {
	[ARCH_X86] = "inc_mm_tlb_gen()'s LOCK'd increment before every TLB flush",
	[ARCH_ARM64] = "dsb(ish) after every broadcast TLBI",
};

DEFINE_ENUM_LOOKUPS(arch_name, arch_find, arch_names, NR_ARCHS, "?")

const char *arch_flush_barrier(int arch)
{
	return enum_name(arch_barriers, NR_ARCHS, arch, NULL);
}

bool tlb_mode_flushes_by_ipi(int mode)
{
	return mode == TLB_NATIVE || mode == TLB_PV;
}

struct flush_tlb_info {
	struct ptsync_run *run;
	bool freed_tables;
	bool pv;
};

/* The flush itself: there is no TLB; taking the interrupt is the point. */
static void flush_tlb_func(void *info)
{
	(void)info;
}

/* native_flush_tlb_multi(): lazy CPUs only when tables were freed. */
static bool flush_tlb_cond(int cpu, void *arg)
{
	const struct flush_tlb_info *info = arg;
	struct cpu *c = &info->run->cpus[cpu];

	/* kvm_flush_tlb_multi(): a preempted vCPU is flushed by the host
	 * on its next entry instead of being interrupted now. */
	if (info->pv && READ_ONCE(c->preempted))
		return false;
	return info->freed_tables || !READ_ONCE(c->is_lazy);
}

bool flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end,
			bool freed_tables)
{
	struct ptsync_run *run = mm->run;
	int mode = run->cfg.tlb_mode;
	struct flush_tlb_info info = {
		.run = run, .freed_tables = freed_tables, .pv = mode == TLB_PV,
	};

	(void)start;
	(void)end;
	trace_event(this_cpu() ? this_cpu()->id : -1, TR_TLB_FLUSH, mode);
	if (run->cfg.arch == ARCH_X86)
		smp_mb();	/* inc_mm_tlb_gen(): the cleared entries before
				 * the flush and all after it; pairs with the
				 * walker's fence, or its IRQs-off section */
	if (!tlb_mode_flushes_by_ipi(mode)) {
		/* invlpgb / TLBI: done, nobody interrupted. */
		if (run->cfg.arch == ARCH_ARM64)
			smp_mb();	/* dsb(ish): as x86's, after the TLBI */
		return false;
	}
	/*
	 * The cleared entries before mm_cpumask is read (x86's is
	 * inc_mm_tlb_gen(); any IPI flush needs one, so every --arch has it
	 * here): a CPU that switches to this mm after
	 * we read the mask sets its bit, then (smp_mb() in switch_mm()) sees
	 * the cleared entries.  Store buffering: both sides need the fence.
	 */
	smp_mb();
	smp_call_function_many_cond(mm_cpumask(mm), flush_tlb_func, &info,
				    SCF_WAIT | SCF_TLB, flush_tlb_cond);
	/* Native with freed_tables interrupted every CPU in the mask; PV
	 * may have skipped a preempted one, so it proves nothing. */
	return mode == TLB_NATIVE && freed_tables;
}
