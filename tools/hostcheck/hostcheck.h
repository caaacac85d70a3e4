/* SPDX-License-Identifier: MIT */
/*
 * Ground truth from the host kernel: the same trade-off the model makes,
 * measured on the real thing through membarrier(2).
 *
 *  baseline           no call at all: what the bystander feels anyway
 *  global_expedited   IPI to every CPU running a registered process
 *                     (smp_call_function_many, wait): the old
 *                     tlb_remove_table_sync_one(), broadcast
 *  private_expedited  IPI only to CPUs running the caller's mm: a
 *                     bystander in another process must not feel it
 *  global             synchronize_rcu(): interrupts no one, costs a grace
 *                     period (milliseconds): the seed's
 *                     tlb_remove_table_sync_rcu()
 *
 * The caller and a bystander process are pinned to two different host
 * CPUs; the bystander runs the osnoise meter (osnoise.h) through each
 * phase while the caller times every call.  A command the kernel does not
 * offer (MEMBARRIER_CMD_QUERY, seccomp, nohz_full for global) is reported
 * as unsupported, not as an error.
 */
#ifndef PTSYNC_HOSTCHECK_H
#define PTSYNC_HOSTCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hostcheck_report.h"
#include "hostcheck_results.h"

/*
 * Exit statuses a front end should use for hostcheck_run()'s errors:
 * -ETIMEDOUT (one side stopped answering; a line on stderr names which)
 * is a stall, -EINTR is Ctrl-C, anything else an internal error.
 */
void hostcheck_config_default(struct hostcheck_config *cfg);
/*
 * Run the four phases.  0 ok, <0 -errno (a line on stderr says what).
 * The bystander process is killed and reaped on every return; the calling
 * thread's CPU affinity and SIGINT/SIGTERM handlers are restored.  Side
 * effect that stays: the process is registered for
 * MEMBARRIER_CMD_PRIVATE_EXPEDITED (the kernel has no unregister).
 */
int hostcheck_run(const struct hostcheck_config *cfg, struct hostcheck_result *res);

#endif /* PTSYNC_HOSTCHECK_H */
