/* SPDX-License-Identifier: MIT */
/*
 * The one family through which ptsync orders memory.
 *
 * Every cross-thread access in ptsync goes through these names, so that
 * `grep -n 'smp_\|_ONCE\|barrier()'` lists every ordering point, and each
 * of those carries a comment naming the access on the other side that it
 * pairs with.  The names are the kernel's; the implementation is C11
 * <stdatomic.h>, so the objects they touch must be _Atomic.
 *
 *  READ_ONCE/WRITE_ONCE  one untorn access, no ordering (relaxed)
 *  smp_load_acquire      later accesses stay after it
 *  smp_store_release     earlier accesses stay before it
 *  smp_mb                full fence, store->load included (store buffering)
 *  smp_rmb / smp_wmb     load->load / store->store fences
 *  barrier               compiler-only; orders a thread against its own
 *                        signal handler (our "interrupts"), nothing else
 *
 * On x86-64 (TSO) everything but smp_mb compiles to plain moves: the
 * comments at each use still name the pairing, because the model is meant
 * to be read as if it ran on arm64 too.
 *
 * With --sb-window-ns the freer CPUs' stores through these wrappers go
 * through an emulated TSO store buffer (store_buffer.h says exactly what is
 * and is not buffered); smp_mb() and the locked RMWs below drain it first,
 * then fence.  With the window off each wrapper costs one predictable
 * branch on a thread-local pointer.
 */
#ifndef PTSYNC_COMPILER_H
#define PTSYNC_COMPILER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The emulated store buffer (store_buffer.h): NULL on every thread unless
 * --sb-window-ns is open and the thread is a freer CPU, so with the window
 * off each wrapper below costs one predictable branch on a thread-local.
 */
struct store_buffer;
extern _Thread_local struct store_buffer *sb_this;
void sb_store(volatile void *addr, size_t size, const void *val, bool release);
void sb_load(const volatile void *addr, size_t size, void *val, bool acquire);
void store_buffer_drain(void);
void store_buffer_retire(void);

#define __SB_PASTE(a, b)	a##b
#define __SB_NAME(a, n)		__SB_PASTE(a, n)

/* Unbuffered: a CPU's own state shared only with its signal handler
 * (the soft IRQ mask), and the store buffer's own bookkeeping. */
#define READ_ONCE_RAW(x)	atomic_load_explicit(&(x), memory_order_relaxed)
#define WRITE_ONCE_RAW(x, v)	atomic_store_explicit(&(x), (v), memory_order_relaxed)

#define __LOAD_ONCE(p, mo, acq, n) ({					\
	__auto_type __SB_NAME(__lp, n) = (p);				\
	__typeof__(atomic_load_explicit(__SB_NAME(__lp, n), mo)) __SB_NAME(__lv, n); \
	if (unlikely(sb_this != NULL))					\
		sb_load(__SB_NAME(__lp, n), sizeof(*__SB_NAME(__lp, n)),	\
			&__SB_NAME(__lv, n), acq);			\
	else								\
		__SB_NAME(__lv, n) = atomic_load_explicit(__SB_NAME(__lp, n), mo); \
	__SB_NAME(__lv, n);						\
})
#define __STORE_ONCE(p, v, mo, rel, n) do {				\
	__auto_type __SB_NAME(__sp, n) = (p);				\
	__typeof__(atomic_load_explicit(__SB_NAME(__sp, n), mo))	\
		__SB_NAME(__sv, n) = (v);				\
	if (unlikely(sb_this != NULL))					\
		sb_store(__SB_NAME(__sp, n), sizeof(*__SB_NAME(__sp, n)),	\
			 &__SB_NAME(__sv, n), rel);			\
	else								\
		atomic_store_explicit(__SB_NAME(__sp, n), __SB_NAME(__sv, n), mo); \
} while (0)

#define READ_ONCE(x)		__LOAD_ONCE(&(x), memory_order_relaxed, false, __COUNTER__)
#define WRITE_ONCE(x, v)	__STORE_ONCE(&(x), (v), memory_order_relaxed, false, __COUNTER__)
#define smp_load_acquire(p)	__LOAD_ONCE((p), memory_order_acquire, true, __COUNTER__)
#define smp_store_release(p, v)	__STORE_ONCE((p), (v), memory_order_release, true, __COUNTER__)
/*
 * A full fence.  On the buffering CPU the buffer drains FIRST and the fence
 * follows, so every buffered store is visible before any later load: the
 * other order would leave the drained stores with no fence after them.
 * sb_unfenced records that order for the litmus tests: a drain that wrote
 * something sets it, the fence clears it, so it is false after smp_mb().
 */
extern _Thread_local bool sb_unfenced;
#define __sb_fence()	do {						\
	atomic_thread_fence(memory_order_seq_cst);			\
	if (unlikely(sb_this != NULL))					\
		sb_unfenced = false;					\
} while (0)
#define smp_mb()	do {						\
	if (unlikely(sb_this != NULL))					\
		store_buffer_drain();					\
	__sb_fence();							\
} while (0)
/*
 * Locked read-modify-writes (x86's LOCK prefix, a full fence there, and a
 * fully ordered RMW under LKMM when it returns a value): drain first, as
 * smp_mb() does.  Every RMW of the model goes through these.
 */
#define __sb_locked(op)	(unlikely(sb_this != NULL) ? store_buffer_drain() : (void)0, (op))
#define xchg_explicit(p, v, mo)		__sb_locked(atomic_exchange_explicit(p, v, mo))
#define fetch_add_explicit(p, v, mo)	__sb_locked(atomic_fetch_add_explicit(p, v, mo))
#define fetch_sub_explicit(p, v, mo)	__sb_locked(atomic_fetch_sub_explicit(p, v, mo))
#define fetch_or_explicit(p, v, mo)	__sb_locked(atomic_fetch_or_explicit(p, v, mo))
#define fetch_and_explicit(p, v, mo)	__sb_locked(atomic_fetch_and_explicit(p, v, mo))
#define cmpxchg_weak_explicit(p, o, n, s, f) \
	__sb_locked(atomic_compare_exchange_weak_explicit(p, o, n, s, f))
#define cmpxchg_strong_explicit(p, o, n, s, f) \
	__sb_locked(atomic_compare_exchange_strong_explicit(p, o, n, s, f))
#define smp_rmb()		atomic_thread_fence(memory_order_acquire)
#define smp_wmb()		atomic_thread_fence(memory_order_release)
#define barrier()		atomic_signal_fence(memory_order_seq_cst)

/* Single-writer counters: a plain load+store, not a locked RMW. */
#define this_cpu_inc(x)		WRITE_ONCE((x), READ_ONCE(x) + 1)
#define this_cpu_add(x, n)	WRITE_ONCE((x), READ_ONCE(x) + (n))
/* Counters bumped from both a thread and its signal handler, or by many. */
#define atomic_inc_relaxed(x)	fetch_add_explicit(&(x), 1, memory_order_relaxed)
/* The same from a signal handler that may interrupt a buffer operation. */
#define atomic_inc_raw(x)	atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* A spin-wait: also lets expired buffered stores out (store_buffer.h). */
static inline void cpu_relax(void)
{
	if (unlikely(sb_this != NULL))
		store_buffer_retire();
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* PTSYNC_COMPILER_H */
