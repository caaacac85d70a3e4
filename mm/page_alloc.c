// SPDX-License-Identifier: MIT
/*
 * The instrumented allocator for page-table pages and user folios.
 *
 * Why not malloc: a freed table must stay readable, so that a walker that
 * should not be there reads poison (and the checker reports it) instead of
 * faulting; and it must be reused, so that a too-early free shows up as a
 * walker reading *someone else's* table.  Both arenas are mapped once per
 * run and recycled through a LIFO free list (most recently freed first, to
 * make reuse fast and races visible).  Every free poisons the object and
 * bumps its generation; live counts must be back to zero at the end of a
 * run, after rcu_barrier().
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "ptsync/mm.h"
#include "ptsync/util.h"

/*
 * The free list both arenas keep, written once for either: @a is a
 * struct pt_arena or folio_arena, @array its ptdescs or folios (each
 * with next_free), indexed as the arena's pfns.
 *
 * It starts empty; entries never handed out are taken in index order
 * from @a->fresh once the list is empty.  So nothing of the arena is
 * touched until it is used: linking all of it up front faulted in every
 * descriptor page (megabytes at the default sizes), most of a short run's
 * set-up, which compare pays per phase and the sweep per interval.  The
 * order is what a list threaded in index order gave: the most recently
 * freed first, then index 0, 1, ...
 */
#define ARENA_FREE_LIST_INIT(a) do {						\
	(a)->free_head = ARENA_NONE;						\
	(a)->fresh = 0;								\
} while (0)

/* Take the list's head into @idx, else the next fresh entry; ARENA_NONE,
 * counted as failed, when both are used up. */
#define ARENA_POP(a, array, idx) do {						\
	pthread_mutex_lock(&(a)->lock);						\
	(idx) = (a)->free_head;							\
	if ((idx) != ARENA_NONE)						\
		(a)->free_head = (array)[(idx)].next_free;			\
	else if ((a)->fresh < (a)->nr)						\
		(idx) = (a)->fresh++;						\
	pthread_mutex_unlock(&(a)->lock);					\
	if ((idx) == ARENA_NONE)						\
		atomic_inc_relaxed((a)->failed);				\
} while (0)

/* Put back the @n entries linked from @first to @last (most recent first). */
#define ARENA_PUSH(a, array, first, last, n) do {				\
	pthread_mutex_lock(&(a)->lock);						\
	(array)[(last)].next_free = (a)->free_head;				\
	(a)->free_head = (first);						\
	pthread_mutex_unlock(&(a)->lock);					\
	fetch_add_explicit(&(a)->frees, (n), memory_order_relaxed);		\
	fetch_sub_explicit(&(a)->live, (n), memory_order_relaxed);		\
} while (0)

static void *arena_map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Undo arena_map(); NULL (never mapped) is left alone. */
static void arena_unmap(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

int pt_arena_init(struct pt_arena *a, uint32_t nr, bool poison)
{
	memset(a, 0, sizeof(*a));
	a->base = arena_map((size_t)nr * PAGE_SIZE);
	a->desc = arena_map((size_t)nr * sizeof(struct ptdesc));
	if (!a->base || !a->desc)
		return -ENOMEM;
	a->nr = nr;
	a->poison = poison;
	pthread_mutex_init(&a->lock, NULL);
	/* Index 0 is handed out first. */
	ARENA_FREE_LIST_INIT(a);
	return 0;
}

void pt_arena_destroy(struct pt_arena *a)
{
	arena_unmap(a->base, (size_t)a->nr * PAGE_SIZE);
	arena_unmap(a->desc, (size_t)a->nr * sizeof(struct ptdesc));
	pthread_mutex_destroy(&a->lock);
	memset(a, 0, sizeof(*a));
}

#define PT_LINE_ENTRIES	(64 / sizeof(pgent_t))	/* entries per cache line */

/*
 * Fill a table with @val (PT_POISON when freeing it, 0 when handing it
 * out), one WRITE_ONCE per entry: a walker that should not be here reads
 * each entry with READ_ONCE, so each entry is written whole, never torn.
 * Poisoning is nearly all the cost of freeing a
 * table (bench/table_free.c), so the stores go a cache line at a time,
 * unrolled, and @next, the table the caller frees after this one (or NULL),
 * is prefetched for writing a line at a time alongside, so its lines are
 * already on their way in when its own poison goes in.  A prefetch is only
 * a hint to the cache: it changes no memory and orders nothing.
 */
static void pt_fill(pgent_t *table, uint64_t val, const pgent_t *next)
{
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i += PT_LINE_ENTRIES) {
		if (next)
			__builtin_prefetch(&next[i], 1, 3);
		#pragma GCC unroll 8
		for (unsigned int j = 0; j < PT_LINE_ENTRIES; j++)
			WRITE_ONCE(table[i + j], val);
	}
}

pgent_t *pt_alloc(struct pt_arena *a, int level, struct mm_struct *mm)
{
	struct ptdesc *pd;
	uint32_t idx;
	pgent_t *table;

	ARENA_POP(a, a->desc, idx);
	if (idx == ARENA_NONE)
		return NULL;
	table = pfn_to_table(a, idx);
	pt_fill(table, 0, NULL);
	pd = &a->desc[idx];
	WRITE_ONCE(pd->level, level);
	WRITE_ONCE(pd->mm, mm);
	pd->pmd_huge_pte = ARENA_NONE;
	pd->deposit_next = ARENA_NONE;
	WRITE_ONCE(pd->pt_hugetlb, NULL);
	WRITE_ONCE(pd->pt_share_count, 0);
	WRITE_ONCE(pd->pt_was_shared, false);
	/* Initialised before any walker can find it: the caller publishes
	 * the table with smp_store_release() of the parent entry. */
	WRITE_ONCE(pd->state, PT_LIVE);
	atomic_inc_relaxed(a->allocs);
	fetch_add_explicit(&a->live, 1, memory_order_relaxed);
	return table;
}

/*
 * A table stops being what walkers inside it took it for (freed, or
 * reused in place): a new generation, then poison.  @next as in pt_fill().
 */
static void pt_new_generation(struct pt_arena *a, struct ptdesc *pd, pgent_t *table,
			      const pgent_t *next)
{
	/* Release: the state change is visible to a walker that sees the
	 * new generation; pairs with the smp_load_acquire() in gup_table(). */
	/* [T:free:1:gen-release] */
	fetch_add_explicit(&pd->gen, 1, memory_order_release);
	/* State and generation change before the poison lands: a walker
	 * that reads poison and then re-checks will see the change too.  A
	 * release RMW orders only what precedes it, so the poison stores
	 * need this fence.  Pairs with the smp_rmb() in gup_check_tables(). */
	/* [T:free:2:poison-wmb] */
	smp_wmb();
	if (a->poison)
		pt_fill(table, PT_POISON, next);
}

/*
 * Poison and retire one table; the caller links it into the free list.
 * @next is the table the caller retires next, or NULL (see pt_fill()).
 */
static uint32_t pt_retire(struct pt_arena *a, pgent_t *table, const pgent_t *next)
{
	uint32_t idx = (uint32_t)pt_table_pfn(a, table);
	struct ptdesc *pd = &a->desc[idx];

	if (READ_ONCE(pd->state) == PT_FREE)
		ptsync_die("BUG: double free of page-table page %u", idx);
	if (pd->pmd_huge_pte != ARENA_NONE)
		ptsync_die("BUG: PMD table %u freed with deposited PTE tables", idx);
	WRITE_ONCE(pd->state, PT_FREE);
	pt_new_generation(a, pd, table, next);
	WRITE_ONCE(pd->mm, NULL);
	return idx;
}

/*
 * Live again, but not as the walkers knew it: khugepaged keeps the PTE
 * table it collapsed as the huge PMD's deposit.  The caller set the new
 * state; a walker still inside sees what it would see in a freed table.
 */
void pt_rewrite(struct pt_arena *a, pgent_t *table)
{
	pt_new_generation(a, virt_to_ptdesc(a, table), table, NULL);
}

void pt_free(struct pt_arena *a, pgent_t *table)
{
	uint32_t idx = pt_retire(a, table, NULL);

	ARENA_PUSH(a, a->desc, idx, idx, 1);
}

/* A whole RCU batch under one lock acquisition. */
void pt_free_bulk(struct pt_arena *a, void *const *tables, unsigned int nr)
{
	uint32_t head = ARENA_NONE, tail = ARENA_NONE;

	for (unsigned int i = 0; i < nr; i++) {
		uint32_t idx = pt_retire(a, tables[i], i + 1 < nr ? tables[i + 1] : NULL);

		a->desc[idx].next_free = head;
		head = idx;
		if (tail == ARENA_NONE)
			tail = idx;
	}
	if (head == ARENA_NONE)
		return;
	ARENA_PUSH(a, a->desc, head, tail, nr);
}

int folio_arena_init(struct folio_arena *a, uint32_t nr)
{
	memset(a, 0, sizeof(*a));
	a->folios = arena_map((size_t)nr * sizeof(struct folio));
	if (!a->folios)
		return -ENOMEM;
	a->nr = nr;
	pthread_mutex_init(&a->lock, NULL);
	ARENA_FREE_LIST_INIT(a);
	return 0;
}

void folio_arena_destroy(struct folio_arena *a)
{
	arena_unmap(a->folios, (size_t)a->nr * sizeof(struct folio));
	pthread_mutex_destroy(&a->lock);
	memset(a, 0, sizeof(*a));
}

/* Refcount 1, payload not yet set: the mapper fills in the owner. */
struct folio *folio_alloc(struct folio_arena *a, int order)
{
	struct folio *f;
	uint32_t idx;

	ARENA_POP(a, a->folios, idx);
	if (idx == ARENA_NONE)
		return NULL;
	f = &a->folios[idx];
	f->order = order;
	WRITE_ONCE(f->state, FOLIO_LIVE);
	/* Published by the pte store (release) in the mapper. */
	WRITE_ONCE(f->refcount, 1);
	atomic_inc_relaxed(a->allocs);
	fetch_add_explicit(&a->live, 1, memory_order_relaxed);
	return f;
}

static void folio_free(struct folio_arena *a, struct folio *f)
{
	uint32_t idx = (uint32_t)folio_pfn(a, f);

	WRITE_ONCE(f->state, FOLIO_FREE);
	WRITE_ONCE(f->payload, FOLIO_POISON);
	WRITE_ONCE(f->mm, NULL);
	WRITE_ONCE(f->file, NULL);
	ARENA_PUSH(a, a->folios, idx, idx, 1);
}

void folio_put_refs(struct folio_arena *a, struct folio *f, int refs)
{
	/* acq_rel: the last putter sees every other holder's accesses
	 * before it frees (pairs with the other holders' releases here). */
	int old = fetch_sub_explicit(&f->refcount, refs,
					    memory_order_acq_rel);

	if (old < refs)
		ptsync_die("BUG: folio %u refcount underflow (%d - %d)",
			   (unsigned int)folio_pfn(a, f), old, refs);
	if (old == refs)
		folio_free(a, f);
}
