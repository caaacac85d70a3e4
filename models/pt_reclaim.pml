/* SPDX-License-Identifier: MIT */
/*
 * Per-table RCU freeing: strategy `pt-reclaim` (strategy/pt_reclaim.c).
 *
 * Why: when the batch page cannot be had, the table need not be synced on
 * the spot at all.  ptdesc has room for an rcu_head (ptdesc->pt_rcu_head),
 * so pt_reclaim_free_one() hands the table to call_rcu() and goes on; the
 * callback frees it after a grace period.  Nobody is interrupted and the
 * freer does not sleep.  It is correct only if the callback waits for a
 * full grace period that starts after call_rcu(): a grace period already
 * running may have seen a walker's quiescent state before that walker read
 * the entry now being cleared.
 *
 * Models: pt_reclaim_free_one() -> call_rcu(&ptdesc->pt_rcu_head, ...) as
 * tlb_remove_table_one() calls it, for two tables unhooked one after the
 * other; Tree RCU's callback bookkeeping (kernel/rcu/tree.c): call_rcu()
 * tags the callback with rcu_seq_snap() of the grace-period sequence, the
 * GP kthread runs grace periods while a callback waits for one, and
 * rcu_do_batch() invokes a callback once gp_seq has reached its tag; the
 * walker is gup_fast() / __gup_fast() between local_irq_save() and
 * local_irq_restore().  call_rcu() is a full barrier here: in Tree RCU the
 * callback reaches its grace period through rcu_node lock hand-offs that
 * order the caller's earlier stores before that grace period starts.
 * gp_seq: even = idle, odd = a grace period in progress.
 *
 * Safety property: a walker never reads a table entry after the table was
 * freed (walker's assert).
 *
 * Broken twin, -DEARLY (`pt-reclaim-early`): the snapshot rounds to the end
 * of the grace period in progress instead of the next full one
 * ((s + 2) & ~1 for (s + 3) & ~1).  The walker reports its quiescent state
 * early in a grace period started for the first table, then reads the
 * second table's pmd before the freer clears it; the second callback is
 * invoked at the end of that same grace period and frees the table under
 * the walker: refuted, under SC and TSO alike.
 *
 * CPU0 unmaps and runs the callbacks (softirq); CPUs 1..NWALKERS walk.
 */
mtype = { pmd1, pmd2, pte1, pte2, csd1, csd2 };	/* memory locations */
#define NLOC		7
#define NWALKERS	2
#define NCPU		3
#define SB_SIZE		2
#define CSD(c)		(c == 1 -> csd1 : csd2)
#define PMD(i)		(i == 1 -> pmd1 : pmd2)
#define PTE(i)		(i == 1 -> pte1 : pte2)

#include "common.pml"

byte gp_seq;			/* rcu_state.gp_seq */
bool cb_queued[3];		/* table i's rcu_head is queued */
byte cb_snap[3];		/* ... waiting for gp_seq to reach this */

#ifdef EARLY
#define RCU_SEQ_SNAP(s)	(((s) + 2) & 254)
#else
#define RCU_SEQ_SNAP(s)	(((s) + 3) & 254)	/* rcu_seq_snap() */
#endif

/* pt_reclaim_free_one(): call_rcu(&ptdesc->pt_rcu_head, ...) */
#define CALL_RCU(i) \
	d_step { \
		_DRAIN(me); \
		cb_snap[i] = RCU_SEQ_SNAP(gp_seq); \
		cb_queued[i] = 1; \
		printf("CPU%d %e: call_rcu(table %d) waits for gp_seq %d (now %d)\n", \
		       me, who, i, cb_snap[i], gp_seq) \
	}

#define CB_NEEDS_GP(i)	(cb_queued[i] && cb_snap[i] > gp_seq)

proctype cpu_freer()
{
	byte me = 0;
	mtype who = freer;

	STORE(pmd1, none);		/* free_pgtables: pmd_clear() */
	CALL_RCU(1);
	STORE(pmd2, none);
	CALL_RCU(2)
}

/* The GP kthread: a grace period whenever a callback waits for one. */
proctype rcu_gp_kthread()
{
	byte c;

end:	do
	:: d_step {
		(gp_seq & 1) == 0 && (CB_NEEDS_GP(1) || CB_NEEDS_GP(2)) ->
		gp_seq++;
		_GP_START();
		printf("rcu: grace period starts (gp_seq %d)\n", gp_seq)
	   };
	   d_step {
		gp_waiting == 0 ->
		gp_seq++;
		printf("rcu: grace period ends (gp_seq %d)\n", gp_seq)
	   }
	od
}

/* rcu_do_batch() in softirq on CPU0: the callback frees the table. */
proctype rcu_callbacks()
{
	byte me = 0, i;
	mtype who = rcu;

end:	do
	:: d_step {
		cb_queued[1] && gp_seq >= cb_snap[1] ->
		_DRAIN(me);
		cb_queued[1] = 0; cb_snap[1] = 0; i = 1
	   };
	   PT_FREE(PTE(i));
	   i = 0
	:: d_step {
		cb_queued[2] && gp_seq >= cb_snap[2] ->
		_DRAIN(me);
		cb_queued[2] = 0; cb_snap[2] = 0; i = 2
	   };
	   PT_FREE(PTE(i));
	   i = 0
	od
}

proctype cpu_walker(byte me)
{
	mtype who = walker;
	byte e, i;

end:	do
	:: IRQ_SAVE();			/* gup_fast(): local_irq_save() */
	   if
	   :: i = 1
	   :: i = 2
	   fi;
	   LOAD(PMD(i), e);
	   if
	   :: e == table -> MIDWALK(); READ_TABLE(PTE(i), e)
	   :: else
	   fi;
	   IRQ_RESTORE();
	   e = 0; i = 0
	od
}

init {
	byte c;

	atomic {
		mem[pmd1] = table; mem[pmd2] = table;
		mem[pte1] = live; mem[pte2] = live;
		START_STORE_BUFFERS();
		run cpu_freer();
		run rcu_gp_kthread();
		run rcu_callbacks();
		run cpu_walker(1); run interrupts(1);
		run cpu_walker(2); run interrupts(2)
	}
}
