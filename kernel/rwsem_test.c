// SPDX-License-Identifier: MIT
/*
 * mmap_lock: the rw_semaphore, its downgrade, and munmap's use of it.
 *
 * What breaks if these fail: munmap frees page tables holding mmap_lock
 * for read, after a downgrade, on the grounds that no writer can change
 * the tables in between and that no other munmap of the mm can be freeing
 * at the same time.  A downgrade that let a writer in, or a semaphore that
 * let a reader in beside a writer, would void both.  And if munmap still
 * held the lock for write while it waits out a grace period, every fault
 * on the mm would wait with it, which is what the downgrade is for.
 */
#include <pthread.h>
#include <string.h>

#include "ptsync/mm.h"
#include "ptsync/torture.h"
#include "ptsync/watchdog.h"
#include "tap.h"

#define SETTLE_NS	(50 * NSEC_PER_MSEC)

struct writer_arg {
	struct rw_semaphore *sem;
	_Atomic int waiting, holding;
};

static void *writer_thread(void *p)
{
	struct writer_arg *w = p;

	WRITE_ONCE(w->waiting, 1);
	down_write(w->sem);
	WRITE_ONCE(w->holding, 1);
	up_write(w->sem);
	return NULL;
}

static void *read_trylock_thread(void *p)
{
	struct rw_semaphore *sem = p;
	int taken = down_read_trylock(sem);

	if (taken)
		up_read(sem);
	return (void *)(intptr_t)taken;
}

/* down_read_trylock() from another thread: 1 if it got the semaphore. */
static int other_thread_reads(struct rw_semaphore *sem)
{
	pthread_t t;
	void *ret = NULL;

	if (pthread_create(&t, NULL, read_trylock_thread, sem))
		return -1;
	pthread_join(t, &ret);
	return (int)(intptr_t)ret;
}

static void test_semaphore(void)
{
	struct rw_semaphore sem;
	struct writer_arg w = { .sem = &sem };
	pthread_t t;

	init_rwsem(&sem);
	down_write(&sem);
	ok(!down_write_trylock(&sem) && other_thread_reads(&sem) == 0,
	   "held for write: no other writer, no reader");

	/* A writer queues; the holder downgrades: the writer stays out. */
	if (pthread_create(&t, NULL, writer_thread, &w)) {
		ok(0, "cannot start the writer thread");
		return;
	}
	WAIT_FOR(READ_ONCE(w.waiting));
	ndelay_spin(SETTLE_NS);		/* let it block in down_write() */
	downgrade_write(&sem);
	ndelay_spin(SETTLE_NS);
	ok(!READ_ONCE(w.holding), "downgrade_write(): the waiting writer is not let in");
	ok(other_thread_reads(&sem) == 0,
	   "... and a new reader queues behind the waiting writer");
	up_read(&sem);
	ok(WAIT_FOR(READ_ONCE(w.holding)), "up_read() after the downgrade lets the writer in");
	pthread_join(t, NULL);

	/* No writer waiting: a downgraded holder shares with readers. */
	down_write(&sem);
	downgrade_write(&sem);
	ok(other_thread_reads(&sem) == 1 && !down_write_trylock(&sem),
	   "downgraded, nobody waiting: readers share it, writers do not");
	up_read(&sem);
	ok(down_write_trylock(&sem), "released: free for a writer");
	up_write(&sem);
	rwsem_destroy(&sem);
}

static void up_read_unheld_child(void *arg)
{
	struct rw_semaphore sem;

	(void)arg;
	init_rwsem(&sem);
	up_read(&sem);
}

/*
 * munmap under a grace period: CPU 1 reports no quiescent state while it
 * looks, so CPU 0's fallback synchronize_rcu() cannot end under it.
 */
struct munmap_test {
	_Atomic int mapped, done;
	int saw_sync, read_taken, write_refused;
};

static void munmap_cpu(struct cpu *c)
{
	struct ptsync_run *run = c->run;
	struct munmap_test *t = run->priv;
	struct mm_struct *mm = &run->mms[0];
	struct cpu *freer = &run->cpus[0];
	uint64_t end;

	if (c->id == 0) {
		map_range(mm, torture_region_addr(0), PMD_SIZE, false);
		WRITE_ONCE(t->mapped, 1);
		munmap_range(mm, torture_region_addr(0), PMD_SIZE);	/* --batch-fail=1 */
		WRITE_ONCE(t->done, 1);
		return;
	}
	WAIT_FOR(READ_ONCE(t->mapped));
	end = ktime_get_ns() + TEST_WAIT_NS;
	while (!(t->saw_sync = READ_ONCE(freer->wait_kind) == STALL_GP) &&
	       ktime_get_ns() < end)
		cpu_relax();			/* no QS: the GP waits for us */
	if (t->saw_sync) {
		t->write_refused = !down_write_trylock(&mm->mmap_lock);
		if (!t->write_refused)
			up_write(&mm->mmap_lock);
		t->read_taken = down_read_trylock(&mm->mmap_lock);
		if (t->read_taken)
			up_read(&mm->mmap_lock);
	}
	WAIT_FOR(READ_ONCE(t->done));		/* QSes again: let it finish */
}

static void test_munmap_downgrades(void)
{
	struct ptsync_config cfg;
	struct munmap_test t;
	int leaked;

	memset(&t, 0, sizeof(t));
	test_config(&cfg, 2, &rcu_sync_ops);
	cfg.batch_fail = 1;
	leaked = test_run_finish(test_run_start(&cfg, munmap_cpu, &t));
	ok(t.saw_sync, "munmap: the freer reached its fallback grace period");
	ok(t.read_taken, "munmap: a reader gets mmap_lock while the freer waits out "
	   "the grace period (freeing under the read lock)");
	ok(t.write_refused, "munmap: ... and a writer does not");
	ok(READ_ONCE(t.done) && leaked == 0, "munmap: completes, nothing leaked (%d)", leaked);
}

int main(void)
{
	char buf[1024];
	int status;

	test_semaphore();
	status = run_in_child(up_read_unheld_child, NULL, buf, sizeof(buf));
	ok(exit_status(status) == 4 && strstr(buf, "BUG: up_read()"),
	   "up_read() on a semaphore not held is a BUG that stops the run");
	test_munmap_downgrades();
	return done_testing();
}
