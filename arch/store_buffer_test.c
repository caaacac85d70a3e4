// SPDX-License-Identifier: MIT
/*
 * The emulated store buffer itself, as litmus tests on two real threads.
 *
 * What breaks if these fail: torture's verdicts under --sb-window-ns.  If
 * smp_mb() fenced before it drained (the bug of issue 12), or a locked RMW
 * did not drain, a correct strategy's fence would not order its unhook and
 * torture would flag it; if later stores overtook buffered ones, or loads
 * did not forward, the freer would see (and show others) executions no x86
 * CPU can produce.  And if stores were not buffered at all, the twins'
 * store->load bug could not show.
 *
 *  SB  T0: x = i; [smp_mb()]; r0 = y     T1: y = i; [smp_mb()]; r1 = x
 *      with both fences r0 == r1 == old is forbidden; without, allowed.
 *  MP  T0: data = i; flag = i            T1: r1 = flag (acquire); r2 = data
 *      r1 == i && r2 == old is forbidden (TSO keeps stores in order).
 */
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include "ptsync/store_buffer.h"
#include "tap.h"

#define SB_TRIES_FENCED		5000
#define SB_TRIES_UNFENCED	1000
#define MP_TRIES		2000
#define SPIN_LIMIT		(TEST_WAIT_NS)

struct litmus {
	_Atomic uint64_t x, y, data, flag;
	_Atomic uint64_t r0, r1;
	_Atomic uint64_t loaded[2];	/* raw: which try each has loaded in */
	_Atomic unsigned int arrive;	/* raw RMW: a barrier of our own */
	_Atomic int timeout;
	bool fenced, held;
	unsigned int tries;
	uint64_t both_old, mp_broken, mp_seen, unfenced;
	void (*body)(struct litmus *t, int me, uint64_t i);
};

/*
 * Both threads meet (bounded: a timeout fails the test).  The arrival is
 * a locked RMW, so it drains this thread's buffer: a full fence.
 */
static void meet(struct litmus *t, unsigned int *gen)
{
	uint64_t until = ktime_get_ns() + SPIN_LIMIT;
	unsigned int spins = 0;

	++*gen;
	fetch_add_explicit(&t->arrive, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&t->arrive, memory_order_acquire) < 2 * *gen) {
		cpu_relax();
		if (++spins % 1024 == 0) {
			sched_yield();
			if (ktime_get_ns() > until || atomic_load(&t->timeout)) {
				atomic_store(&t->timeout, 1);
				return;
			}
		}
	}
}

/*
 * Wait, without letting the buffer out (no cpu_relax()), until the other
 * thread has made its load too: so an unfenced store is still buffered
 * when the other side loads, whatever the host's scheduling.
 */
static void sb_wait_other(struct litmus *t, int me, uint64_t i)
{
	uint64_t until = ktime_get_ns() + SPIN_LIMIT;

	atomic_store(&t->loaded[me], i);
	while (atomic_load(&t->loaded[!me]) < i) {
		sched_yield();
		if (ktime_get_ns() > until || atomic_load(&t->timeout)) {
			atomic_store(&t->timeout, 1);
			return;
		}
	}
}

static void sb_body(struct litmus *t, int me, uint64_t i)
{
	if (me == 0) {
		WRITE_ONCE(t->x, i);
		if (t->fenced) {
			smp_mb();	/* pairs with T1's smp_mb() */
			t->unfenced += sb_unfenced;
		}
		WRITE_ONCE(t->r0, READ_ONCE(t->y));
	} else {
		WRITE_ONCE(t->y, i);
		if (t->fenced) {
			smp_mb();	/* pairs with T0's smp_mb() */
			t->unfenced += sb_unfenced;
		}
		WRITE_ONCE(t->r1, READ_ONCE(t->x));
	}
	sb_wait_other(t, me, i);
}

static void mp_body(struct litmus *t, int me, uint64_t i)
{
	/* T0 drains at its meet() at the latest, so the flag always comes:
	 * wait for it as long as for a meeting (a loaded host can keep T0
	 * off its CPU for milliseconds; a try that saw nothing tests nothing). */
	uint64_t until = ktime_get_ns() + SPIN_LIMIT;
	unsigned int spins = 0;

	if (me == 0) {
		if (t->held)	/* data held its window, as an unhook is */
			sb_store_held(&t->data, sizeof(t->data), &i);
		else
			WRITE_ONCE(t->data, i);
		WRITE_ONCE(t->flag, i);	/* FIFO: never visible before data */
		return;		/* they leave at T0's next spin or fence */
	}
	while (ktime_get_ns() < until) {
		/* Acquire: pairs with the FIFO order of T0's stores. */
		if (smp_load_acquire(&t->flag) == i) {
			t->mp_seen++;
			if (READ_ONCE(t->data) != i)
				t->mp_broken++;
			return;
		}
		cpu_relax();
		if (++spins % 1024 == 0)
			sched_yield();
	}
	atomic_store(&t->timeout, 1);
}

struct litmus_thread {
	struct litmus *t;
	int me;
	struct store_buffer sb;
};

static void *litmus_thread(void *arg)
{
	struct litmus_thread *lt = arg;
	struct litmus *t = lt->t;
	unsigned int gen = 0;

	memset(&lt->sb, 0, sizeof(lt->sb));
	lt->sb.window_ns = 20 * NSEC_PER_USEC;	/* for held stores only */
	store_buffer_attach(&lt->sb);
	for (unsigned int i = 1; i <= t->tries && !atomic_load(&t->timeout); i++) {
		meet(t, &gen);
		t->body(t, lt->me, i);
		meet(t, &gen);	/* the try's stores are out */
		if (lt->me == 0 && t->body == sb_body &&
		    atomic_load(&t->r0) < i && atomic_load(&t->r1) < i)
			t->both_old++;
	}
	store_buffer_detach();
	return NULL;
}

static struct litmus *litmus_run(void (*body)(struct litmus *, int, uint64_t),
				 bool fenced, bool held, unsigned int tries)
{
	static struct litmus t;
	struct litmus_thread th[2];
	pthread_t tid[2];

	memset(&t, 0, sizeof(t));
	t.body = body;
	t.fenced = fenced;
	t.held = held;
	t.tries = tries;
	for (int k = 0; k < 2; k++) {
		th[k] = (struct litmus_thread){ .t = &t, .me = k };
		if (pthread_create(&tid[k], NULL, litmus_thread, &th[k]))
			return NULL;
	}
	for (int k = 0; k < 2; k++)
		pthread_join(tid[k], NULL);
	return &t;
}

/* One thread alone: forwarding, drains, RMWs, the window. */
static void single_thread_checks(void)
{
	static struct store_buffer sb;
	static _Atomic uint64_t a, b;
	static _Atomic uint32_t small;
	uint64_t t0;

	memset(&sb, 0, sizeof(sb));
	sb.window_ns = 200 * NSEC_PER_USEC;
	store_buffer_attach(&sb);
	WRITE_ONCE(a, 7);
	WRITE_ONCE(small, 3);
	ok(READ_ONCE(a) == 7 && READ_ONCE(small) == 3 &&
	   atomic_load_explicit(&a, memory_order_relaxed) == 0,
	   "a buffered store: this thread reads it (forwarded), memory does not have it yet");
	ok(sb.nr == 2 && sb.forwarded == 2, "two stores buffered (%u), two loads forwarded (%" PRIu64 ")",
	   sb.nr, sb.forwarded);
	fetch_add_explicit(&b, 1, memory_order_relaxed);
	ok(sb.nr == 0 && atomic_load_explicit(&a, memory_order_relaxed) == 7,
	   "a locked RMW drains the buffer first");
	pt_unhook(NULL, (pgent_t *)&a);
	t0 = ktime_get_ns();
	ok(atomic_load_explicit(&a, memory_order_relaxed) == 7 && READ_ONCE(a) == 0,
	   "an unhook is held: memory still has the old entry, this thread sees it cleared");
	smp_mb();
	ok(atomic_load_explicit(&a, memory_order_relaxed) == 0 &&
	   ktime_get_ns() - t0 >= sb.window_ns,
	   "smp_mb() waited out the unhook's window, then it was visible");
	ok(!sb_unfenced, "smp_mb(): the drain first, then the fence");
	for (int k = 0; k < SB_ENTRIES + 5; k++)
		WRITE_ONCE(a, (uint64_t)k);
	ok(sb.nr == SB_ENTRIES && READ_ONCE(a) == SB_ENTRIES + 4,
	   "a full buffer stalls on its oldest store; the newest value is forwarded");
	store_buffer_detach();
	ok(atomic_load_explicit(&a, memory_order_relaxed) == SB_ENTRIES + 4 && !sb_this,
	   "detach drains and stops buffering");
}

int main(void)
{
	struct litmus *t;

	(void)test_run_start;	/* tap.h's CPU harness: not needed here */
	single_thread_checks();

	t = litmus_run(sb_body, false, false, SB_TRIES_UNFENCED);
	ok(t && !t->timeout && t->both_old > 0,
	   "SB without fences: both loads read the old value in %" PRIu64 " of %u tries",
	   t ? t->both_old : 0, SB_TRIES_UNFENCED);

	t = litmus_run(sb_body, true, false, SB_TRIES_FENCED);
	ok(t && !t->timeout && t->both_old == 0,
	   "SB with smp_mb() on both sides: never both old (%" PRIu64 " of %u tries)",
	   t ? t->both_old : 0, SB_TRIES_FENCED);
	/* The host's own store buffer is nanoseconds wide: a fence before
	 * the drain would rarely show as both-old above, so the order
	 * itself is checked too. */
	ok(t && t->unfenced == 0,
	   "SB: every store smp_mb() drained has the fence after it (%" PRIu64 " without)",
	   t ? t->unfenced : 0);

	t = litmus_run(mp_body, false, false, MP_TRIES);
	ok(t && !t->timeout && t->mp_seen > 0 && t->mp_broken == 0,
	   "MP: the flag seen %" PRIu64 " times, never before the data (%" PRIu64 " broken)",
	   t ? t->mp_seen : 0, t ? t->mp_broken : 0);
	/* The overtaking: a later plain store (the PT_DETACHED mark,
	 * an owner handover) visible while the unhook is still held. */
	t = litmus_run(mp_body, false, true, MP_TRIES);
	ok(t && !t->timeout && t->mp_seen > 0 && t->mp_broken == 0,
	   "MP, the data held its window: a later store never overtakes it (%" PRIu64
	   " of %" PRIu64 " broken)", t ? t->mp_broken : 0, t ? t->mp_seen : 0);
	return done_testing();
}
