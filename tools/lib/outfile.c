// SPDX-License-Identifier: MIT
/*
 * Files in a command's output folder (outfile.h): compare and scale each
 * wrote DIR/NAME the same way, so the path and the failure line are here.
 */
#include <errno.h>
#include <string.h>

#include "outfile.h"

FILE *out_fopen(const char *dir, const char *name, const char *mode)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, mode);
	if (!f)
		fprintf(stderr, "ptsync: cannot write %s: %s\n", path, strerror(errno));
	return f;
}
