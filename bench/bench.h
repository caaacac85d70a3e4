/* SPDX-License-Identifier: MIT */
/*
 * What the bench programs share: their "--name=N" argument parser.
 * Define PROG (the program's name, for messages) before including.
 */
#ifndef PTSYNC_BENCH_H
#define PTSYNC_BENCH_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* If @arg is "@name<N>", set *v to N (lo..hi, else exit 2) and say so. */
static inline bool parse_uint(const char *arg, const char *name, unsigned int lo,
		       unsigned int hi, unsigned int *v)
{
	size_t n = strlen(name);
	char *end;
	unsigned long x;

	if (strncmp(arg, name, n))
		return false;
	x = strtoul(arg + n, &end, 10);
	if (*end || end == arg + n || x < lo || x > hi) {
		fprintf(stderr, "%s: %s wants %u..%u\n", PROG, name, lo, hi);
		exit(2);
	}
	*v = (unsigned int)x;
	return true;
}

#endif /* PTSYNC_BENCH_H */
