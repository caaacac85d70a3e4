// SPDX-License-Identifier: MIT
/*
 * The host kernel's own count of the IPIs a CPU took, for hostcheck and
 * the fan-out bench: the ground truth that a membarrier(2) broadcast
 * really interrupted the CPU it was meant to.
 *
 * Function-call IPIs host CPU @cpu has taken since boot: the row of
 * /proc/interrupts described "Function call interrupts" (x86 CAL, arm64
 * IPI1), in the column the header names CPU<cpu>; -1 if not there.  Slow:
 * read it between phases, never while a bystander is measuring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptsync/util.h"

int64_t proc_call_ipis(int cpu)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char *line = NULL, *tok, *save, *p, *end;
	size_t cap = 0;
	int col = -1, ncol = 0;
	int64_t v = -1;

	if (!f)
		return -1;
	if (getline(&line, &cap, f) > 0) {
		for (tok = strtok_r(line, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save), ncol++)
			if (!strncmp(tok, "CPU", 3) && strtol(tok + 3, &end, 10) == cpu &&
			    end != tok + 3 && !*end)
				col = ncol;
	}
	while (col >= 0 && getline(&line, &cap, f) > 0) {
		if (!strstr(line, "Function call interrupts") || !(p = strchr(line, ':')))
			continue;
		p++;	/* past the label's colon: one count per CPU column */
		for (int i = 0; i <= col; i++, p = end) {
			unsigned long long x = strtoull(p, &end, 10);

			if (end == p)
				break;
			if (i == col)
				v = (int64_t)x;
		}
		break;
	}
	free(line);
	fclose(f);
	return v;
}

int64_t proc_call_ipis_sum(const int *cpus, int k)
{
	int64_t sum = 0;

	for (int i = 0; i < k; i++) {
		int64_t v = proc_call_ipis(cpus[i]);

		if (v < 0)
			return -1;
		sum += v;
	}
	return sum;
}
