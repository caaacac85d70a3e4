/* SPDX-License-Identifier: MIT */
/*
 * The bystander process and the caller's handle on it (hostcheck_bystander.c).
 */
#ifndef PTSYNC_TOOLS_HOSTCHECK_BYSTANDER_H
#define PTSYNC_TOOLS_HOSTCHECK_BYSTANDER_H

#include "hostcheck_sys.h"

_Noreturn void bystander_main(struct hc_shared *sh, const struct hostcheck_config *cfg,
			      pid_t parent, int cpu, bool register_global);
int hc_wait_child(struct hc_ctx *hc, _Atomic int *flag, int want, const char *what);
void child_kill(struct hc_ctx *hc);
int hc_quit(struct hc_ctx *hc);

#endif /* PTSYNC_TOOLS_HOSTCHECK_BYSTANDER_H */
