/* SPDX-License-Identifier: MIT */
/*
 * The option layer every ptsync subcommand parses with: one table per
 * command (struct opt, built with the OPT_* macros below, as the kernel's
 * tools/lib/subcmd/parse-options.h does), getopt_long underneath, the help
 * text generated from the same table, and shared parsers for integers,
 * numbers, durations, rates, sizes, directory paths, lists and CPU sets.
 *
 * Bad input, whatever the command: one line on stderr naming the option
 * and what it accepts, then exit status 2 (EXIT_USAGE), before anything
 * runs.  Every table also answers a hidden --list-options: one line per
 * option, tab-separated (command, option, value name or -, a value it
 * refuses), for tests/usage.t to give each a bad value.
 */
#ifndef PTSYNC_TOOLS_OPTS_H
#define PTSYNC_TOOLS_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_USAGE 2

/* "ptsync: " + the message + newline on stderr, then exit(EXIT_USAGE). */
_Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Decimal integer in [min, max]. */
long long parse_int(const char *opt, const char *s, long long min, long long max);
/* Any unsigned 64-bit integer (decimal, 0x hex or 0 octal). */
uint64_t parse_u64(const char *opt, const char *s);
/* Finite number in [min, max], or (min, max] when min_open. */
double parse_double(const char *opt, const char *s, double min, double max, bool min_open);
/* @what per second ("fallbacks"), "N" or "N/s", in (0, max]. */
double parse_rate(const char *opt, const char *s, const char *what, double max);
/* A duration in ns: "N" (in @unit_ns units) or N with ns, us, ms or s; in [0, max_ns]. */
uint64_t parse_duration_ns(const char *opt, const char *s, uint64_t unit_ns, uint64_t max_ns);
/* Bytes: N with an optional K, M, G or T (powers of 1024); in [min, max]. */
uint64_t parse_size(const char *opt, const char *s, uint64_t min, uint64_t max);
/* A name @find knows (-1: unknown): its value; else refused, naming @allowed. */
int parse_name(const char *opt, const char *s, int (*find)(const char *name),
	       const char *allowed);
/* A directory path of 1 to @max characters: @s itself. */
const char *parse_dir(const char *opt, const char *s, size_t max);
/*
 * A comma-separated list: @each is called for every item, in order, with
 * its position; an empty list (or an empty item) is refused.  Returns the
 * number of items.
 */
int parse_list(const char *opt, const char *s, void *ctx,
	       void (*each)(void *ctx, const char *item, int i));
/* CPU set "0-3,8,10-11" into @mask (bits below @nr_cpus): the count of CPUs. */
int parse_cpuset(const char *opt, const char *s, uint64_t *mask, int nr_cpus);

/* getopt_long() returned '?' for @arg: say what was wrong with it. */
_Noreturn void usage_bad_option(const struct option *opts, const char *arg,
				const char *cmd);

/* ---- the table ---- */

enum opt_type {
	OPTT_END,
	OPTT_SET,	/* no value: *bool = true */
	OPTT_CLEAR,	/* no value: *bool = false (--no-...) */
	OPTT_INT,	/* int, in [min, max], times scale */
	OPTT_UINT,	/* unsigned int */
	OPTT_U32,	/* uint32_t */
	OPTT_U64R,	/* uint64_t, in [min, max], times scale */
	OPTT_U64,	/* any uint64_t (parse_u64) */
	OPTT_DOUBLE,	/* double in [dmin, dmax] or (dmin, dmax] */
	OPTT_STRING,	/* const char *, non-empty */
	OPTT_CALL,	/* the command's own parser: opt_cmd.call */
	OPTT_FLAG_CALL,	/* the same, without a value */
	OPTT_OPT_CALL,	/* the same, the value optional: --x or --x=V (arg NULL or V) */
	OPTT_HELP,
};

struct opt {
	const char *name;	/* long name, without the dashes */
	enum opt_type type;
	void *value;		/* where a typed option stores */
	long long min, max;	/* integers */
	uint64_t scale;		/* integers: stored = given * scale (0: 1) */
	double dmin, dmax;	/* doubles */
	bool open;		/* doubles: dmin itself refused */
	int id;			/* OPTT_CALL: which one, for the command */
	const char *argh;	/* the value's name in the help: "N", "S" */
	/*
	 * The help text; "\n" starts an indented line.  "%R" stands for
	 * the range (min..max) of an integer or number.  NULL: not in
	 * --help (listed still, and parsed).
	 */
	const char *help;
	const char *bad;	/* a value it refuses; NULL: derived from the type */
	bool *seen;		/* set when the option is given */
};

#define OPT_SET_(n, p, h)	{ .name = (n), .type = OPTT_SET, .value = (bool *){ p }, .help = (h) }
#define OPT_BOOLEAN(n, p, h)	OPT_SET_(n, p, h)
#define OPT_CLEAR(n, p, h)	{ .name = (n), .type = OPTT_CLEAR, .value = (bool *){ p }, .help = (h) }
#define OPT_INTEGER(n, p, lo, hi, a, h) \
	{ .name = (n), .type = OPTT_INT, .value = (int *){ p }, .min = (lo), .max = (hi), \
	  .argh = (a), .help = (h) }
#define OPT_UINTEGER(n, p, lo, hi, a, h) \
	{ .name = (n), .type = OPTT_UINT, .value = (unsigned int *){ p }, .min = (lo), \
	  .max = (hi), .argh = (a), .help = (h) }
#define OPT_U32(n, p, lo, hi, a, h) \
	{ .name = (n), .type = OPTT_U32, .value = (uint32_t *){ p }, .min = (lo), .max = (hi), \
	  .argh = (a), .help = (h) }
#define OPT_U64_RANGE(n, p, lo, hi, sc, a, h) \
	{ .name = (n), .type = OPTT_U64R, .value = (uint64_t *){ p }, .min = (lo), .max = (hi), \
	  .scale = (sc), .argh = (a), .help = (h) }
#define OPT_U64(n, p, a, h) \
	{ .name = (n), .type = OPTT_U64, .value = (uint64_t *){ p }, .argh = (a), .help = (h) }
#define OPT_NUMBER(n, p, lo, hi, op, a, h) \
	{ .name = (n), .type = OPTT_DOUBLE, .value = (double *){ p }, .dmin = (lo), \
	  .dmax = (hi), .open = (op), .argh = (a), .help = (h) }
#define OPT_STRING(n, p, a, h) \
	{ .name = (n), .type = OPTT_STRING, .value = (const char **){ p }, .argh = (a), \
	  .help = (h) }
#define OPT_CALLBACK(n, i, a, h, b) \
	{ .name = (n), .type = OPTT_CALL, .id = (i), .argh = (a), .help = (h), .bad = (b) }
#define OPT_CALLBACK_OPTARG(n, i, a, h, b) \
	{ .name = (n), .type = OPTT_OPT_CALL, .id = (i), .argh = (a), .help = (h), .bad = (b) }
#define OPT_FLAG_CALLBACK(n, i, h) \
	{ .name = (n), .type = OPTT_FLAG_CALL, .id = (i), .help = (h) }
#define OPT_HELP()	{ .name = "help", .type = OPTT_HELP, .help = "this text" }
#define OPT_END()	{ .type = OPTT_END }

struct opt_cmd {
	const char *name;	/* "hostcheck": the error for an unknown option names it */
	const char *usage;	/* --help: before the options */
	const char *footer;	/* ... and after them; may be NULL */
	struct opt *opts;	/* ends with OPT_END() */
	/* OPTT_CALL, OPTT_OPT_CALL and OPTT_FLAG_CALL options (arg NULL when none). */
	void (*call)(void *ctx, const struct opt *o, const char *arg);
	void *ctx;
	bool positional;	/* arguments after the options are the command's */
};

/*
 * Parse @argv (argv[0] is the command's name) against @c's table.  Returns
 * the index of the first argument that is not an option (refused unless
 * c->positional), or -1 when --help or --list-options printed what it
 * asked for: the command then returns 0.  Bad input never returns.
 */
int opts_parse(const struct opt_cmd *c, int argc, char **argv);
void opts_usage(FILE *f, const struct opt_cmd *c);
/* --list-options: command, option, value name (- for a flag), a bad value. */
void opts_list(FILE *f, const struct opt_cmd *c);
/* The option of @c's table named @name, or NULL. */
const struct opt *opts_find(const struct opt_cmd *c, const char *name);

#endif /* PTSYNC_TOOLS_OPTS_H */
