/* SPDX-License-Identifier: MIT */
/*
 * hostcheck's insides, shared by its files: the two processes' shared
 * page, the caller's context, and the system calls every phase makes
 * (hostcheck_sys.c).  tools/hostcheck/hostcheck.h is the interface the
 * rest of ptsync uses.  Each phase file has its own header; none calls
 * back into the driver, and the report reads only the results:
 *
 *   hostcheck.c             the driver: which modes this kernel offers,
 *                           CPUs, fork, the phases in order
 *   hostcheck_bystander.c   the bystander process, and the caller's
 *                           handle on it (wait, quit, kill)
 *   hostcheck_membarrier.c  one timed phase per mode, and the caller's
 *                           watchdog
 *   hostcheck_fanout.c      the fan-out curves: kernel and model broadcast
 *                           cost against K targets
 *   hostcheck_results.c     what phases and report both read
 *   hostcheck_report.c      text and JSON
 */
#ifndef PTSYNC_TOOLS_HOSTCHECK_SYS_H
#define PTSYNC_TOOLS_HOSTCHECK_SYS_H

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "hostcheck_results.h"
#include "ptsync/compiler.h"
#include "ptsync/util.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
	       "hostcheck shares atomics between processes: they must be lock-free");

/* A wait on the other process longer than this is a stall. */
#define HC_STALL_NS	(10 * NSEC_PER_SEC)
/* How long a waiting side sleeps between looks (also lets a 1-CPU box run the other side). */
#define HC_NAP_NS	(20 * NSEC_PER_USEC)
#define HC_QUIT		(-1)

/* What the two processes share: one page-aligned anonymous MAP_SHARED mapping. */
struct hc_shared {
	_Atomic int ready;	/* bystander -> caller: pinned and registered */
	_Atomic int go;		/* caller -> bystander: phase + 1 to measure, or HC_QUIT */
	_Atomic int started;	/* bystander -> caller: phase + 1 now being measured */
	_Atomic int done;	/* bystander -> caller: phase + 1 measured, noise[] written */
	_Atomic int stop;	/* caller -> bystander: end the measurement now */
	/* Written by the bystander before ready (release), read after (acquire). */
	int pin_err;		/* errno of sched_setaffinity, 0 if pinned */
	int reg_err;		/* errno of REGISTER_GLOBAL_EXPEDITED, 0 if registered */
	/* Written by the bystander before done (release), read after (acquire). */
	struct noise noise[HC_NR_MODES];
};

/* One run, caller side. */
struct hc_ctx {
	const struct hostcheck_config *cfg;
	struct hostcheck_result *res;
	struct hc_shared *sh;
	pid_t child;
	bool reaped;
	int child_status;

	/* The caller's watchdog: which call it is in, since when (0: none). */
	pthread_t wd;
	bool wd_running;
	_Atomic int wd_mode;
	_Atomic uint64_t wd_since_ns;
	_Atomic int wd_stop;
};

/* tools/hostcheck/hostcheck_sys.c */
extern const int hc_cmd[HC_NR_MODES];		/* membarrier command per mode */
extern volatile sig_atomic_t hc_interrupted;	/* Ctrl-C or SIGTERM seen */
long sys_membarrier(int cmd, unsigned int flags, int cpu_id);
void hc_nap(void);
int pin_self(int cpu);

#endif /* PTSYNC_TOOLS_HOSTCHECK_SYS_H */
