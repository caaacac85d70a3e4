/* SPDX-License-Identifier: MIT */
/*
 * ptsync compare: flush_tlb_mm_range() timed at K targets with --tlb=native
 * or pv (compare_tlb.c): the phase fills r->tlb, the report rows read it.
 */
#ifndef PTSYNC_COMPARE_TLB_H
#define PTSYNC_COMPARE_TLB_H

#include "compare_results.h"

void compare_tlb_phase(struct compare_report *r, const _Atomic int *stop);
void compare_print_tlb(FILE *f, const struct compare_report *r);
void compare_tlb_json(FILE *f, const struct compare_report *r);

#endif /* PTSYNC_COMPARE_TLB_H */
