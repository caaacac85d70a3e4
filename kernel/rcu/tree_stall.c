// SPDX-License-Identifier: MIT
/*
 * Who can hold up a grace period: the registry of RCU readers.
 *
 * A QSBR grace period waits for every thread registered with liburcu that
 * is online and has not reported a quiescent state since it began.
 * liburcu keeps that list to itself, so a stall report built from our CPUs
 * alone can only guess, and guessing wrong is worse than saying nothing:
 * an early version named the waiting CPU, offline, as the holder.  So we
 * keep a list of our own, one slot per thread that registered through us:
 *
 *  - every CPU thread (rcu_cpu_starting()); its online flag and last QS
 *    are in its struct cpu;
 *  - helper threads that are not CPUs (rcu_register_helper()); their
 *    online flag and last QS are kept here, by the rcu_helper_*() calls;
 *  - liburcu's call_rcu worker.  liburcu registers it itself, and it is
 *    online while it runs callbacks.  call_rcu() adopts liburcu's default
 *    worker before its first use (get_default_call_rcu_data(), which
 *    creates it) and records its thread (get_call_rcu_thread()); a first
 *    callback run on it tells us its host tid.  ptsync never sets up
 *    per-thread or per-CPU call_rcu workers, so the default one is the
 *    only one.  Whether it is online right now, liburcu does not say.
 *
 * A reader holds a grace period if it is online and its last QS came
 * before the grace period began.  Each slot keeps the grace-period count
 * (rcu_gp_count(), liburcu's own counter, which QSBR bumps when a grace
 * period begins) read just before the reader's last QS, so the watchdog
 * can tell exactly, not from the clock, whether that QS counts for the
 * grace period in progress.
 *
 * Each slot also carries where its thread is inside synchronize_rcu(), so
 * a report can tell a grace period that is still waiting for readers from
 * one that ended while the waiter never got the CPU back.
 *
 * The slots are read by the stall watchdog only, which prints a snapshot
 * and exits; a slot recycled while it is being read can give one muddled
 * line in a report that is about to end the run, never a wrong decision.
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "ptsync/rcupdate.h"
#include "ptsync/run.h"

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_LIVE };

struct rcu_reader {
	_Atomic int state;			/* SLOT_* */
	_Atomic int kind;			/* enum rcu_reader_kind */
	_Atomic(struct cpu *) cpu;
	_Atomic(const char *) name;
	_Atomic pid_t tid;
	_Atomic bool has_cpu_clock;
	_Atomic int cpu_clock;			/* the thread's CPU-time clockid_t */
	/* helpers only: our mirror of liburcu's per-thread state */
	_Atomic int online;
	_Atomic uint64_t last_qs_ns;
	/* everyone we register: the grace period its last QS counts for */
	_Atomic uint64_t qs_gp_seq;
	/* synchronize_rcu() progress of this thread */
	_Atomic int gp_phase;			/* enum rcu_gp_phase */
	_Atomic uint64_t gp_phase_since_ns, gp_phase_until_ns;
};

static struct rcu_reader rcu_readers[RCU_MAX_READERS];
static _Thread_local struct rcu_reader *this_reader;

static struct rcu_reader *rcu_reader_claim(enum rcu_reader_kind kind,
					   struct cpu *c, const char *name,
					   pthread_t thread, pid_t tid)
{
	for (int i = 0; i < RCU_MAX_READERS; i++) {
		struct rcu_reader *r = &rcu_readers[i];
		int expected = SLOT_FREE;
		clockid_t clock = 0;

		if (!cmpxchg_strong_explicit(&r->state, &expected,
				SLOT_CLAIMED, memory_order_relaxed, memory_order_relaxed))
			continue;
		WRITE_ONCE(r->kind, (int)kind);
		WRITE_ONCE(r->cpu, c);
		WRITE_ONCE(r->name, name);
		WRITE_ONCE(r->tid, tid);
		WRITE_ONCE(r->has_cpu_clock, pthread_getcpuclockid(thread, &clock) == 0);
		WRITE_ONCE(r->cpu_clock, (int)clock);
		WRITE_ONCE(r->online, 0);
		WRITE_ONCE(r->last_qs_ns, ktime_get_ns());
		/* Before liburcu's registration, which is a QS: see below. */
		WRITE_ONCE(r->qs_gp_seq, rcu_gp_count());
		WRITE_ONCE(r->gp_phase, RCU_GP_IDLE);
		/* The slot's fields before its LIVE state; pairs with the
		 * smp_load_acquire() in rcu_readers_snapshot() and
		 * rcu_gp_phase_of(). */
		smp_store_release(&r->state, SLOT_LIVE);
		return r;
	}
	ptsync_die("more than %d RCU readers registered", RCU_MAX_READERS);
}

static void rcu_reader_release(struct rcu_reader *r)
{
	/* No ordering: nothing is published by freeing a slot, and the
	 * next owner rewrites every field before it publishes it again. */
	WRITE_ONCE(r->state, SLOT_FREE);
}

void rcu_reader_add_cpu(struct cpu *c)
{
	this_reader = rcu_reader_claim(RCU_READER_CPU, c, NULL, pthread_self(),
				       gettid());
}

/*
 * Around each QS (or online transition) this thread reports to liburcu:
 * the grace-period count read just before it.  A QS counts for every
 * grace period begun before liburcu reads the counter inside the QS; we
 * read the same counter earlier, so read-read coherence makes our value
 * no larger than the one liburcu records, and a reader is never taken for
 * past a grace period it has not passed.  (It may be taken for behind
 * one it just passed, if that began between the two reads, until its
 * next QS a tick later.)  The store is relaxed: only the report reads it.
 */
uint64_t rcu_reader_qs_begin(void)
{
	return rcu_gp_count();
}

void rcu_reader_qs_end(uint64_t gp_seq)
{
	if (this_reader)
		WRITE_ONCE(this_reader->qs_gp_seq, gp_seq);
}

void rcu_reader_del(void)
{
	if (this_reader)
		rcu_reader_release(this_reader);
	this_reader = NULL;
}

/* ---- helper threads ---- */

void rcu_register_helper(const char *name)
{
	struct rcu_reader *r;

	if (this_reader)
		ptsync_die("BUG: %s: this thread is already an RCU reader", name);
	/* The slot (and its grace-period count) before the registration,
	 * which puts us online: see rcu_reader_qs_begin(). */
	r = rcu_reader_claim(RCU_READER_HELPER, NULL, name, pthread_self(), gettid());
	this_reader = r;
	urcu_qsbr_register_thread();
	WRITE_ONCE(r->last_qs_ns, ktime_get_ns());
	WRITE_ONCE(r->online, 1);
}

void rcu_unregister_helper(void)
{
	urcu_qsbr_unregister_thread();	/* goes offline first by itself */
	rcu_reader_del();
}

/*
 * The mirror is written after liburcu's own state and read only by the
 * watchdog's report, without ordering: a report that fires seconds into a
 * stall is not decided by a QS that lands while it prints.
 */
void rcu_helper_quiescent_state(void)
{
	uint64_t gp_seq = rcu_reader_qs_begin();

	urcu_qsbr_quiescent_state();
	rcu_reader_qs_end(gp_seq);
	WRITE_ONCE(this_reader->last_qs_ns, ktime_get_ns());
}

void rcu_helper_offline(void)
{
	urcu_qsbr_thread_offline();
	WRITE_ONCE(this_reader->online, 0);
}

void rcu_helper_online(void)
{
	uint64_t gp_seq = rcu_reader_qs_begin();

	urcu_qsbr_thread_online();
	rcu_reader_qs_end(gp_seq);
	WRITE_ONCE(this_reader->last_qs_ns, ktime_get_ns());
	WRITE_ONCE(this_reader->online, 1);
}

/* ---- liburcu's call_rcu worker ---- */

static pthread_mutex_t rcu_worker_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int rcu_worker_known;
static _Atomic(struct rcu_reader *) rcu_worker_slot;
static struct rcu_head rcu_worker_probe;
static _Atomic int rcu_worker_probe_pending;

/* Runs on the worker: the one place its host tid can be learnt. */
static void rcu_worker_probe_cb(struct rcu_head *head)
{
	/* Pairs with the smp_store_release() of the slot in
	 * rcu_worker_adopt(): the slot is LIVE when we see it. */
	struct rcu_reader *r = smp_load_acquire(&rcu_worker_slot);

	(void)head;
	if (r)
		WRITE_ONCE(r->tid, gettid());
	WRITE_ONCE(rcu_worker_probe_pending, 0);
}

void rcu_worker_adopt(void)
{
	struct call_rcu_data *crdp;
	struct rcu_reader *r;

	/* Pairs with the smp_store_release() below: a thread that sees
	 * the worker known sees its slot. */
	if (likely(smp_load_acquire(&rcu_worker_known)))
		return;
	pthread_mutex_lock(&rcu_worker_lock);
	if (!READ_ONCE(rcu_worker_known)) {
		crdp = urcu_qsbr_get_default_call_rcu_data();
		r = rcu_reader_claim(RCU_READER_WORKER, NULL,
				     "liburcu's call_rcu worker",
				     urcu_qsbr_get_call_rcu_thread(crdp), 0);
		WRITE_ONCE(r->online, -1);	/* liburcu does not say */
		/* Slot before pointer; pairs with rcu_worker_probe_cb(). */
		smp_store_release(&rcu_worker_slot, r);
		/* The probe goes where this thread's call_rcu() goes; queue
		 * it only if that is the default worker, and only once (a
		 * probe still queued across fork() runs in the child's
		 * new worker, which is the one the child adopts). */
		if (urcu_qsbr_get_call_rcu_data() == crdp &&
		    !READ_ONCE(rcu_worker_probe_pending)) {
			WRITE_ONCE(rcu_worker_probe_pending, 1);
			urcu_qsbr_call_rcu(&rcu_worker_probe, rcu_worker_probe_cb);
		}
		smp_store_release(&rcu_worker_known, 1);
	}
	pthread_mutex_unlock(&rcu_worker_lock);
}

/* Around fork(): our lock is taken before liburcu's call_rcu mutex. */
void rcu_readers_fork_prepare(void)
{
	pthread_mutex_lock(&rcu_worker_lock);
}

void rcu_readers_fork_parent(void)
{
	pthread_mutex_unlock(&rcu_worker_lock);
}

/*
 * After liburcu's own child hook: only this thread came across, and
 * liburcu replaced the worker with a new default one if there was one.
 */
void rcu_readers_fork_child(void)
{
	bool had_worker = READ_ONCE(rcu_worker_known);

	for (int i = 0; i < RCU_MAX_READERS; i++) {
		struct rcu_reader *r = &rcu_readers[i];

		if (READ_ONCE(r->state) == SLOT_LIVE && r != this_reader)
			rcu_reader_release(r);
	}
	WRITE_ONCE(rcu_worker_slot, NULL);
	WRITE_ONCE(rcu_worker_known, 0);
	pthread_mutex_unlock(&rcu_worker_lock);
	if (had_worker)
		rcu_worker_adopt();
}

/* ---- what the watchdog reads ---- */

void rcu_gp_phase_set(enum rcu_gp_phase phase, uint64_t until_ns)
{
	struct rcu_reader *r = this_reader;

	if (!r)
		return;
	WRITE_ONCE(r->gp_phase_since_ns, ktime_get_ns());
	WRITE_ONCE(r->gp_phase_until_ns, until_ns);
	/* Times before the phase; pairs with the smp_load_acquire() in
	 * rcu_gp_phase_of(). */
	smp_store_release(&r->gp_phase, (int)phase);
}

enum rcu_gp_phase rcu_gp_phase_of(const struct cpu *c, uint64_t *since_ns,
				  uint64_t *until_ns)
{
	for (int i = 0; i < RCU_MAX_READERS; i++) {
		struct rcu_reader *r = &rcu_readers[i];
		int phase;

		/* Pairs with smp_store_release() in rcu_reader_claim(). */
		if (smp_load_acquire(&r->state) != SLOT_LIVE || READ_ONCE(r->cpu) != c)
			continue;
		/* Pairs with smp_store_release() in rcu_gp_phase_set(). */
		phase = smp_load_acquire(&r->gp_phase);
		*since_ns = READ_ONCE(r->gp_phase_since_ns);
		*until_ns = READ_ONCE(r->gp_phase_until_ns);
		return (enum rcu_gp_phase)phase;
	}
	return RCU_GP_IDLE;
}

int rcu_readers_snapshot(struct rcu_reader_info *out, int max)
{
	int n = 0;

	for (int i = 0; i < RCU_MAX_READERS && n < max; i++) {
		struct rcu_reader *r = &rcu_readers[i];
		struct rcu_reader_info *info = &out[n];
		const struct cpu *c;

		/* Pairs with smp_store_release() in rcu_reader_claim(). */
		if (smp_load_acquire(&r->state) != SLOT_LIVE)
			continue;
		c = READ_ONCE(r->cpu);
		info->kind = (enum rcu_reader_kind)READ_ONCE(r->kind);
		info->cpu = c;
		info->name = READ_ONCE(r->name);
		info->tid = READ_ONCE(r->tid);
		info->has_cpu_clock = READ_ONCE(r->has_cpu_clock);
		info->cpu_clock = READ_ONCE(r->cpu_clock);
		if (c) {
			info->online = READ_ONCE(c->rcu_online);
			info->last_qs_ns = READ_ONCE(c->last_qs_ns);
		} else {
			info->online = READ_ONCE(r->online);
			info->last_qs_ns = READ_ONCE(r->last_qs_ns);
		}
		/* After the time: a QS landing in between then shows as an old
		 * time with a new count, judged by the old time, which is
		 * what the report prints. */
		info->qs_gp_seq = READ_ONCE(r->qs_gp_seq);
		n++;
	}
	return n;
}
