// SPDX-License-Identifier: MIT
/*
 * The tools' time format (fmt.h), here so that compare and scale, which
 * share no other code, print times alike.
 */
#include <stdio.h>

#include "fmt.h"

const char *fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}
