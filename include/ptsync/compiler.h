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
 */
#ifndef PTSYNC_COMPILER_H
#define PTSYNC_COMPILER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define READ_ONCE(x)		atomic_load_explicit(&(x), memory_order_relaxed)
#define WRITE_ONCE(x, v)	atomic_store_explicit(&(x), (v), memory_order_relaxed)
#define smp_load_acquire(p)	atomic_load_explicit((p), memory_order_acquire)
#define smp_store_release(p, v)	atomic_store_explicit((p), (v), memory_order_release)
/* smp_mb() also drains torture's emulated store buffer (store_buffer.h). */
extern bool store_buffer_on;
void store_buffer_drain(void);
#define smp_mb()	do {						\
	atomic_thread_fence(memory_order_seq_cst);			\
	if (unlikely(store_buffer_on))					\
		store_buffer_drain();					\
} while (0)
#define smp_rmb()		atomic_thread_fence(memory_order_acquire)
#define smp_wmb()		atomic_thread_fence(memory_order_release)
#define barrier()		atomic_signal_fence(memory_order_seq_cst)

/* Single-writer counters: a plain load+store, not a locked RMW. */
#define this_cpu_inc(x)		WRITE_ONCE((x), READ_ONCE(x) + 1)
#define this_cpu_add(x, n)	WRITE_ONCE((x), READ_ONCE(x) + (n))
/* Counters bumped from both a thread and its signal handler, or by many. */
#define atomic_inc_relaxed(x)	atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* PTSYNC_COMPILER_H */
