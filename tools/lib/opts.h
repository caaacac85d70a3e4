/* SPDX-License-Identifier: MIT */
/*
 * Option parsing shared by the ptsync subcommands: every bad value gets
 * one line on stderr naming the option and what it accepts, then exit
 * status 2.  Same names and behaviour as the helpers in tools/ptsync.c,
 * so that file can switch to these by deleting its own copies.
 */
#ifndef PTSYNC_TOOLS_OPTS_H
#define PTSYNC_TOOLS_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#define EXIT_USAGE 2

/* "ptsync: " + the message + newline on stderr, then exit(EXIT_USAGE). */
_Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Decimal integer in [min, max]. */
long long parse_int(const char *opt, const char *s, long long min, long long max);
/* Any unsigned 64-bit integer (decimal, 0x hex or 0 octal). */
uint64_t parse_u64(const char *opt, const char *s);
/* Finite number in [min, max], or (min, max] when min_open. */
double parse_double(const char *opt, const char *s, double min, double max, bool min_open);

/* getopt_long() returned '?' for @arg: say what was wrong with it. */
_Noreturn void usage_bad_option(const struct option *opts, const char *arg,
				const char *cmd);

#endif /* PTSYNC_TOOLS_OPTS_H */
