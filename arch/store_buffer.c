// SPDX-License-Identifier: MIT
/*
 * The emulated TSO store buffer of --sb-window-ns (store_buffer.h says why
 * and what it covers).
 *
 * Only the owning thread touches its buffer.  Its signal handler (an IPI)
 * may interrupt it mid-operation; sb_busy tells the handler so, and the
 * handler then defers the IPI as if IRQs were masked (kernel/smp.c), and
 * any access it makes before deciding bypasses the buffer.  The operation
 * runs the deferred IPI when it ends.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "ptsync/cpu.h"
#include "ptsync/irqflags.h"
#include "ptsync/store_buffer.h"
#include "ptsync/util.h"

_Thread_local struct store_buffer *sb_this;
_Thread_local bool sb_unfenced;
static _Thread_local volatile sig_atomic_t sb_busy;
static uint64_t sb_window_ns;	/* set before the CPUs start */

void store_buffer_setup(uint64_t window_ns)
{
	sb_window_ns = window_ns;
}

uint64_t store_buffer_window_ns(void)
{
	return sb_window_ns;
}

bool store_buffer_busy(void)
{
	return sb_busy;
}

static void sb_enter(void)
{
	sb_busy = 1;
	barrier();	/* against this thread's signal handler */
}

/* Leave; run an IPI that came in meanwhile, if IRQs are on. */
static void sb_exit(void)
{
	struct cpu *c = this_cpu();

	barrier();
	sb_busy = 0;
	barrier();
	if (c && READ_ONCE_RAW(c->irq_pending) && !READ_ONCE_RAW(c->irqs_disabled))
		do_pending_irqs(c);
}

static void sb_write_out(const struct sb_entry *e)
{
	/* Release: a store reaches memory after every older one (TSO's
	 * store->store order, on any host). */
	switch (e->size) {
	case 1: atomic_store_explicit((_Atomic uint8_t *)e->addr, (uint8_t)e->bits,
				      memory_order_release); break;
	case 2: atomic_store_explicit((_Atomic uint16_t *)e->addr, (uint16_t)e->bits,
				      memory_order_release); break;
	case 4: atomic_store_explicit((_Atomic uint32_t *)e->addr, (uint32_t)e->bits,
				      memory_order_release); break;
	default: atomic_store_explicit((_Atomic uint64_t *)e->addr, e->bits,
				       memory_order_release); break;
	}
}

static uint64_t sb_read_mem(const volatile void *addr, size_t size, bool acquire)
{
	memory_order mo = acquire ? memory_order_acquire : memory_order_relaxed;

	switch (size) {
	case 1: return atomic_load_explicit((_Atomic uint8_t *)addr, mo);
	case 2: return atomic_load_explicit((_Atomic uint16_t *)addr, mo);
	case 4: return atomic_load_explicit((_Atomic uint32_t *)addr, mo);
	default: return atomic_load_explicit((_Atomic uint64_t *)addr, mo);
	}
}

/* The oldest store leaves, at @wait: once its window is over. */
static void sb_pop(struct store_buffer *sb, bool wait)
{
	struct sb_entry *e = &sb->ent[sb->head];

	while (wait && ktime_get_ns() < e->visible_ns)
		cpu_relax();
	sb_write_out(e);
	sb->head = (sb->head + 1) % SB_ENTRIES;
	sb->nr--;
}

/*
 * A spin-wait: stores whose window is over leave, oldest first.  So a
 * store is held at least its window and at most until this CPU fences,
 * does a locked RMW, spins waiting for something, or fills the buffer:
 * any finite delay is TSO, and this one keeps every wait loop live.
 */
void store_buffer_retire(void)
{
	struct store_buffer *sb = sb_this;
	uint64_t now;

	if (!sb || sb_busy || !sb->nr)
		return;
	sb_enter();
	now = ktime_get_ns();
	while (sb->nr && sb->ent[sb->head].visible_ns <= now)
		sb_pop(sb, false);
	sb_exit();
}

void store_buffer_drain(void)
{
	struct store_buffer *sb = sb_this;

	if (!sb || sb_busy || !sb->nr)
		return;
	sb_enter();
	sb->drains++;
	while (sb->nr)
		sb_pop(sb, true);
	sb_unfenced = true;	/* until the caller's fence */
	sb_exit();
}

static void sb_push(volatile void *addr, size_t size, const void *val, bool held);

void sb_store(volatile void *addr, size_t size, const void *val, bool release)
{
	(void)release;	/* TSO: every store is a release already */
	sb_push(addr, size, val, false);
}

void sb_store_held(volatile void *addr, size_t size, const void *val)
{
	sb_push(addr, size, val, true);
}

static void sb_push(volatile void *addr, size_t size, const void *val, bool held)
{
	struct store_buffer *sb = sb_this;
	struct sb_entry *e;

	/* A handler that interrupted us, or this thread's own stack (private,
	 * and written by plain C stores too, which must not be overtaken
	 * by a late drain): no buffer. */
	if (sb_busy || ((uintptr_t)addr - sb->stack_lo < sb->stack_len)) {
		uint64_t bits = 0;
		struct sb_entry tmp = { .addr = addr, .size = (uint8_t)size };

		memcpy(&bits, val, size);
		tmp.bits = bits;
		sb_write_out(&tmp);
		return;
	}
	sb_enter();
	if (sb->nr == SB_ENTRIES)
		sb_pop(sb, true);	/* full: stall until the oldest leaves */
	e = &sb->ent[(sb->head + sb->nr) % SB_ENTRIES];
	e->addr = addr;
	e->size = (uint8_t)size;
	e->bits = 0;
	memcpy(&e->bits, val, size);
	e->visible_ns = held ? ktime_get_ns() + sb->window_ns : 0;
	sb->nr++;
	sb->stores++;
	sb_exit();
}

static bool overlaps(const struct sb_entry *e, const volatile void *addr, size_t size)
{
	uintptr_t a = (uintptr_t)addr, b = (uintptr_t)e->addr;

	return a < b + e->size && b < a + size;
}

void sb_load(const volatile void *addr, size_t size, void *val, bool acquire)
{
	struct store_buffer *sb = sb_this;
	uint64_t bits;

	if (sb_busy) {
		bits = sb_read_mem(addr, size, acquire);
		memcpy(val, &bits, size);
		return;
	}
	sb_enter();
	for (unsigned int i = sb->nr; i-- > 0; ) {	/* newest first */
		const struct sb_entry *e = &sb->ent[(sb->head + i) % SB_ENTRIES];

		if (!overlaps(e, addr, size))
			continue;
		if (e->addr == addr && e->size == size) {
			memcpy(val, &e->bits, size);	/* forwarded */
			sb->forwarded++;
			sb_exit();
			return;
		}
		while (sb->nr)		/* partial overlap: x86 stalls too */
			sb_pop(sb, true);
		break;
	}
	bits = sb_read_mem(addr, size, acquire);
	memcpy(val, &bits, size);
	sb_exit();
}

void store_buffer_attach(struct store_buffer *sb)
{
	pthread_attr_t attr;
	void *lo = NULL;
	size_t len = 0;

	if (!pthread_getattr_np(pthread_self(), &attr)) {
		if (pthread_attr_getstack(&attr, &lo, &len))
			lo = NULL, len = 0;
		pthread_attr_destroy(&attr);
	}
	sb->stack_lo = (uintptr_t)lo;
	sb->stack_len = len;
	sb->head = sb->nr = 0;
	if (!sb->window_ns)
		sb->window_ns = sb_window_ns;
	sb_this = sb;
}

void store_buffer_detach(void)
{
	store_buffer_drain();
	sb_this = NULL;
}
