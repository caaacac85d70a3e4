// SPDX-License-Identifier: MIT
/*
 * The system calls and the flag every hostcheck phase uses (hostcheck_sys.h),
 * apart from the driver so that the phases do not depend on it.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hostcheck_sys.h"

const int hc_cmd[HC_NR_MODES] = {
	[HC_BASELINE]		= 0,
	[HC_GLOBAL_EXPEDITED]	= MEMBARRIER_CMD_GLOBAL_EXPEDITED,
	[HC_PRIVATE_EXPEDITED]	= MEMBARRIER_CMD_PRIVATE_EXPEDITED,
	[HC_GLOBAL]		= MEMBARRIER_CMD_GLOBAL,
};

/* Set by the driver's SIGINT/SIGTERM handler. */
volatile sig_atomic_t hc_interrupted;

long sys_membarrier(int cmd, unsigned int flags, int cpu_id)
{
	return syscall(__NR_membarrier, cmd, flags, cpu_id);
}

void hc_nap(void)
{
	struct timespec ts = { 0, (long)HC_NAP_NS };

	nanosleep(&ts, NULL);
}

int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}
