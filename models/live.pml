/* SPDX-License-Identifier: MIT */
/*
 * The liveness check of make verify: every freer's wait ends.
 *
 * Why: pan -DSAFETY proves no walker reads a freed table, which a freer
 * that never frees satisfies too.  This wraps a model (spin -DLIVE
 * -DMODEL='"ipi_sync.pml"' -a live.pml) with the LTL property that the
 * model's NFREES frees all happen, checked by pan -a -f: no acceptance
 * cycle under weak fairness (every process that stays enabled runs).
 * -DLIVE makes an interrupt pending when IRQs come on be taken before
 * they go off again (common.pml); -DLOST_IPI (a handler that never
 * unlocks the csd, so the sender's wait never ends) must violate it.
 */
#include MODEL

ltl freer_wait_ends { <> (frees >= NFREES) }
