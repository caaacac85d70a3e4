// SPDX-License-Identifier: MIT
/*
 * The mm's life cycle: created with a PGD and one user, shared by the tasks
 * that run on it (mm_users), torn down by exit_mmap() when the last user
 * goes, then created again in place (a new incarnation) by a freer.
 *
 * GUP-fast only ever walks an mm it holds a user reference on, as in the
 * kernel (it walks current->mm), so exit_mmap() never runs under a walker of
 * the same mm, and the PGD is freed directly once it has.  The tables below
 * the PGD still go through mmu_gather like any other.
 */
#include <errno.h>

#include "ptsync/hugetlb.h"
#include "ptsync/irqflags.h"
#include "ptsync/mm.h"
#include "ptsync/rcupdate.h"
#include "ptsync/run.h"

int mm_init(struct mm_struct *mm)
{
	pgd_t *pgd = pt_alloc(&mm->run->pt, PT_PGD, mm);

	if (!pgd)
		return -ENOMEM;
	WRITE_ONCE(mm->pgd, pgd);
	if (mm->hugetlb_mapping)
		hugetlb_mmap(mm, mm->hugetlb_mapping);
	fetch_add_explicit(&mm->incarnation, 1, memory_order_relaxed);
	atomic_inc_relaxed(mm->run->stats.mm_inits);
	WRITE_ONCE(mm->owned, 1);
	/* The PGD and incarnation are set before anyone can take a user
	 * reference; pairs with the acquire in mmget_not_zero(). */
	smp_store_release(&mm->mm_users, 1);
	return 0;
}

bool mmget_not_zero(struct mm_struct *mm)
{
	int users = READ_ONCE(mm->mm_users);

	do {
		if (users <= 0)
			return false;
	/* Acquire: see the pgd mm_init() published (pairs with its
	 * smp_store_release of mm_users). */
	} while (!cmpxchg_weak_explicit(&mm->mm_users, &users,
			users + 1, memory_order_acquire, memory_order_relaxed));
	return true;
}

static void __mmput(struct mm_struct *mm)
{
	pgd_t *pgd;

	exit_mmap(mm);
	mmap_write_lock(mm);
	pgd = READ_ONCE(mm->pgd);
	/* No user, so no walker: the PGD goes straight back (pgd_free). */
	pt_free(&mm->run->pt, pgd);
	WRITE_ONCE(mm->pgd, NULL);
	mmap_write_unlock(mm);
	atomic_inc_relaxed(mm->run->stats.mm_exits);
}

void mmput(struct mm_struct *mm)
{
	/* acq_rel: the last user sees everything the others did to the mm
	 * before it tears the mm down. */
	if (fetch_sub_explicit(&mm->mm_users, 1, memory_order_acq_rel) == 1)
		__mmput(mm);
}

/* The owning task exits: drop its reference (once). */
void mm_exit_owner(struct mm_struct *mm)
{
	if (xchg_explicit(&mm->owned, 0, memory_order_relaxed))
		mmput(mm);
}

/* A new process takes the mm's place once the old one is fully gone. */
bool mm_recreate(struct mm_struct *mm)
{
	bool done = false;

	mmap_write_lock(mm);
	if (READ_ONCE(mm->mm_users) == 0 && !READ_ONCE(mm->pgd))
		done = mm_init(mm) == 0;
	mmap_write_unlock(mm);
	return done;
}

/*
 * mmap_lock is an rw_semaphore (include/ptsync/rwsem.h), because munmap
 * downgrades it: it zaps holding it for write and frees tables holding it
 * for read (mm/memory.c).
 */
void mmap_init_lock(struct mm_struct *mm)
{
	init_rwsem(&mm->mmap_lock);
}

void mmap_destroy_lock(struct mm_struct *mm)
{
	rwsem_destroy(&mm->mmap_lock);
}

/*
 * Sleeping on the lock is a quiescent state, as a context switch is: a
 * CPU that stayed an RCU reader while it slept would hold up the grace
 * period the holder may be waiting for in free_pgtables().
 */
void down_sleepable(struct rw_semaphore *sem, void (*down)(struct rw_semaphore *),
		    const char *what)
{
	struct cpu *c = this_cpu();
	bool was_online = c && READ_ONCE(c->rcu_online);

	might_sleep(what);
	if (was_online)
		rcu_eqs_enter(c);
	down(sem);
	if (was_online)
		rcu_eqs_exit(c);
}

void mmap_write_lock(struct mm_struct *mm)
{
	if (!down_write_trylock(&mm->mmap_lock))
		down_sleepable(&mm->mmap_lock, down_write, "mmap_write_lock()");
}

void mmap_write_unlock(struct mm_struct *mm)
{
	up_write(&mm->mmap_lock);
}

void mmap_write_downgrade(struct mm_struct *mm)
{
	downgrade_write(&mm->mmap_lock);
}

void mmap_read_lock(struct mm_struct *mm)
{
	if (!down_read_trylock(&mm->mmap_lock))
		down_sleepable(&mm->mmap_lock, down_read, "mmap_read_lock()");
}

void mmap_read_unlock(struct mm_struct *mm)
{
	up_read(&mm->mmap_lock);
}

/*
 * Lazy TLB, as x86 does it: switching to no mm (idle, a kernel thread)
 * keeps the previous mm loaded; the CPU stays in its mm_cpumask and is
 * marked lazy, and leaves the mask only when it loads another mm.
 */
void switch_mm(struct cpu *c, struct mm_struct *next)
{
	struct mm_struct *prev = READ_ONCE(c->active_mm);

	WRITE_ONCE(c->mm, next);
	if (!next) {
		if (prev)
			WRITE_ONCE(c->is_lazy, 1);
		return;
	}
	WRITE_ONCE(c->is_lazy, 0);
	if (prev == next)
		return;
	if (prev)
		cpumask_clear_cpu(c->id, mm_cpumask(prev));
	cpumask_set_cpu(c->id, mm_cpumask(next));
	WRITE_ONCE(c->active_mm, next);
	/* In the mask before the first read of next's tables: pairs with
	 * the smp_mb() between the unhook and the read of mm_cpumask in
	 * flush_tlb_mm_range().  Store buffering: a fence on each side. */
	smp_mb();
}
