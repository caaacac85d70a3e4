/* SPDX-License-Identifier: MIT */
/*
 * x86-64 4-level page-table layout: PGD -> PUD -> PMD -> PTE, 512 eight-byte
 * entries per 4 KiB table, bit 0 present, bit 7 (PSE) a huge leaf at PMD or
 * PUD level, the frame number in bits 12..51.  A "frame" here is an index
 * into the table arena (for table entries) or the folio arena (for leaves).
 */
#ifndef PTSYNC_PGTABLE_H
#define PTSYNC_PGTABLE_H

#include <stdbool.h>

#include "mm_types.h"

#define _PAGE_PRESENT	(1ULL << 0)
#define _PAGE_RW	(1ULL << 1)
#define _PAGE_PSE	(1ULL << 7)
#define PTE_PFN_MASK	0x000ffffffffff000ULL

#define PT_POISON	0x6b6b6b6b6b6b6b6bULL	/* what a freed table holds */

#define PMD_SHIFT	21
#define PUD_SHIFT	30
#define PGDIR_SHIFT	39
#define PMD_SIZE	(1UL << PMD_SHIFT)
#define PUD_SIZE	(1UL << PUD_SHIFT)
#define PGDIR_SIZE	(1UL << PGDIR_SHIFT)
#define TASK_SIZE	(1UL << 47)
#define HPAGE_PMD_ORDER	(PMD_SHIFT - PAGE_SHIFT)

static inline unsigned int pt_shift(int level)
{
	return PAGE_SHIFT + 9 * (unsigned int)level;
}

static inline unsigned int pt_index(uint64_t addr, int level)
{
	return (addr >> pt_shift(level)) & (PTRS_PER_TABLE - 1);
}

/* First address past the entry of @level that covers @addr. */
static inline uint64_t pt_addr_end(uint64_t addr, uint64_t end, int level)
{
	uint64_t next = (addr + (1ULL << pt_shift(level))) &
			~((1ULL << pt_shift(level)) - 1);

	return next < end ? next : end;
}

static inline bool pt_none(uint64_t e)		{ return e == 0; }
static inline bool pt_present(uint64_t e)	{ return e & _PAGE_PRESENT; }
static inline bool pt_huge(uint64_t e)		{ return e & _PAGE_PSE; }
static inline uint64_t pt_pfn(uint64_t e)	{ return (e & PTE_PFN_MASK) >> PAGE_SHIFT; }

static inline uint64_t mk_table_entry(uint64_t pfn)
{
	return (pfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_RW;
}

static inline uint64_t mk_leaf_entry(uint64_t pfn, bool huge)
{
	return (pfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_RW |
	       (huge ? _PAGE_PSE : 0);
}

#endif /* PTSYNC_PGTABLE_H */
