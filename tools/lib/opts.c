// SPDX-License-Identifier: MIT
/*
 * The option-value parsers of tools/ptsync.c, shared with the other
 * subcommands (tools/lib/opts.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "opts.h"

void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ptsync: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

long long parse_int(const char *opt, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage_error("--%s: expected an integer from %lld to %lld, got '%s'",
			    opt, min, max, s);
	return v;
}

uint64_t parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		usage_error("--%s: expected an unsigned 64-bit integer, got '%s'", opt, s);
	return v;
}

double parse_double(const char *opt, const char *s, double min, double max, bool min_open)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v > max ||
	    (min_open ? v <= min : v < min))
		usage_error("--%s: expected a number %s %g and at most %g, got '%s'",
			    opt, min_open ? "above" : "of at least", min, max, s);
	return v;
}

void usage_bad_option(const struct option *opts, const char *arg, const char *cmd)
{
	for (const struct option *o = opts; optopt && o->name; o++)
		if (o->val == optopt)
			usage_error("--%s: %s", o->name, o->has_arg ?
				    "this option takes a value" : "this option takes no value");
	usage_error("%s: unknown option (see ptsync %s --help)", arg, cmd);
}
