// SPDX-License-Identifier: MIT
/*
 * The option layer of every ptsync subcommand (tools/lib/opts.h): the
 * value parsers, each with its one-line error, and the table-driven
 * parse, help and --list-options on top of getopt_long.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

double parse_rate(const char *opt, const char *s, const char *what, double max)
{
	char buf[64];
	size_t n = strlen(s);

	if (n >= 2 && n < sizeof(buf) && !strcmp(s + n - 2, "/s")) {
		memcpy(buf, s, n - 2);
		buf[n - 2] = 0;
		s = buf;
	}
	if (!*s)
		usage_error("--%s: expected %s per second, >0 and at most %.0f "
			    "(e.g. 100 or 100/s), got ''", opt, what, max);
	return parse_double(opt, s, 0, max, true);
}

uint64_t parse_duration_ns(const char *opt, const char *s, uint64_t unit_ns, uint64_t max_ns)
{
	static const struct { const char *sfx; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};
	char *end;
	double v, scale = -1;

	errno = 0;
	v = strtod(s, &end);
	if (!*end)
		scale = (double)unit_ns;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].sfx))
			scale = units[i].ns;
	if (errno || end == s || scale < 0 || !(v >= 0) || v * scale > (double)max_ns)
		usage_error("--%s: expected a duration N[ns|us|ms|s] from 0 to %.9gs, got '%s'",
			    opt, (double)max_ns / 1e9, s);
	return (uint64_t)(v * scale);
}

uint64_t parse_size(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	static const char sfx[] = "KMGT";
	char *end;
	unsigned long long v;
	const char *p;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end && (p = strchr(sfx, *end)) && *p) {
		shift = 10 * (int)(p - sfx + 1);
		end++;
		if (*end == 'i' && end[1] == 'B')
			end += 2;
	}
	if (errno || end == s || *end || s[0] == '-' || (shift && v > (UINT64_MAX >> shift)) ||
	    (v << shift) < min || (v << shift) > max)
		usage_error("--%s: expected a size N[K|M|G|T] from %llu to %llu bytes, got '%s'",
			    opt, (unsigned long long)min, (unsigned long long)max, s);
	return (uint64_t)v << shift;
}

int parse_name(const char *opt, const char *s, int (*find)(const char *name),
	       const char *allowed)
{
	int v = find(s);

	if (v < 0)
		usage_error("--%s: expected %s, got '%s'", opt, allowed, s);
	return v;
}

const char *parse_dir(const char *opt, const char *s, size_t max)
{
	if (!*s || strlen(s) > max)
		usage_error("--%s: expected a directory path of 1 to %zu characters", opt, max);
	return s;
}

int parse_list(const char *opt, const char *s, void *ctx,
	       void (*each)(void *ctx, const char *item, int i))
{
	char buf[512];
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		usage_error("--%s: list too long (at most %zu characters)", opt, sizeof(buf) - 1);
	if (!*s)
		usage_error("--%s: expected a comma-separated list, got ''", opt);
	memcpy(buf, s, strlen(s) + 1);
	for (char *item = buf, *next; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = 0;
		if (!*item)
			usage_error("--%s: empty item in the list '%s'", opt, s);
		each(ctx, item, n++);
	}
	return n;
}

struct cpuset_ctx {
	const char *opt, *s;
	uint64_t *mask;
	int nr_cpus;
};

static void cpuset_item(void *p, const char *item, int i)
{
	struct cpuset_ctx *c = p;
	char *end;
	long lo, hi;

	(void)i;
	errno = 0;
	lo = strtol(item, &end, 10);
	hi = lo;
	if (*end == '-' && end != item)
		hi = strtol(end + 1, &end, 10);
	if (errno || end == item || *end || item[0] == '-' || lo > hi || hi >= c->nr_cpus)
		usage_error("--%s: expected CPUs 0..%d as N or N-M, comma-separated, got '%s'",
			    c->opt, c->nr_cpus - 1, c->s);
	for (long cpu = lo; cpu <= hi; cpu++)
		*c->mask |= 1ull << cpu;
}

int parse_cpuset(const char *opt, const char *s, uint64_t *mask, int nr_cpus)
{
	struct cpuset_ctx c = { opt, s, mask, nr_cpus > 64 ? 64 : nr_cpus };

	*mask = 0;
	parse_list(opt, s, &c, cpuset_item);
	return __builtin_popcountll(*mask);
}

void usage_bad_option(const struct option *opts, const char *arg, const char *cmd)
{
	for (const struct option *o = opts; optopt && o->name; o++)
		if (o->val == optopt)
			usage_error("--%s: %s", o->name, o->has_arg ?
				    "this option takes a value" : "this option takes no value");
	usage_error("%s: unknown option (see ptsync %s --help)", arg, cmd);
}

/* ---- the table ---- */

#define OPT_LIST_OPTIONS	(-2)	/* getopt's val for --list-options */

static bool takes_value(const struct opt *o)
{
	return o->type != OPTT_SET && o->type != OPTT_CLEAR && o->type != OPTT_FLAG_CALL &&
	       o->type != OPTT_HELP && o->type != OPTT_OPT_CALL;
}

static int has_arg(const struct opt *o)
{
	return o->type == OPTT_OPT_CALL ? optional_argument :
	       takes_value(o) ? required_argument : no_argument;
}

const struct opt *opts_find(const struct opt_cmd *c, const char *name)
{
	for (const struct opt *o = c->opts; o->type != OPTT_END; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static long long int_value(const struct opt *o, const char *arg)
{
	return parse_int(o->name, arg, o->min, o->max) * (long long)(o->scale ? o->scale : 1);
}

static void store(const struct opt_cmd *c, const struct opt *o, const char *arg)
{
	switch (o->type) {
	case OPTT_SET: *(bool *)o->value = true; break;
	case OPTT_CLEAR: *(bool *)o->value = false; break;
	case OPTT_INT: *(int *)o->value = (int)int_value(o, arg); break;
	case OPTT_UINT: *(unsigned int *)o->value = (unsigned int)int_value(o, arg); break;
	case OPTT_U32: *(uint32_t *)o->value = (uint32_t)int_value(o, arg); break;
	case OPTT_U64R: *(uint64_t *)o->value = (uint64_t)int_value(o, arg); break;
	case OPTT_U64: *(uint64_t *)o->value = parse_u64(o->name, arg); break;
	case OPTT_DOUBLE:
		*(double *)o->value = parse_double(o->name, arg, o->dmin, o->dmax, o->open);
		break;
	case OPTT_STRING:
		if (!*arg)
			usage_error("--%s: expected a %s, got ''", o->name,
				    o->argh ? o->argh : "value");
		*(const char **)o->value = arg;
		break;
	case OPTT_CALL:
	case OPTT_FLAG_CALL:
	case OPTT_OPT_CALL:
		c->call(c->ctx, o, arg);
		break;
	case OPTT_HELP:
	case OPTT_END:
		break;
	}
	if (o->seen)
		*o->seen = true;
}

static struct option *getopt_table(const struct opt_cmd *c)
{
	size_t n = 0;
	struct option *g;

	while (c->opts[n].type != OPTT_END)
		n++;
	g = calloc(n + 2, sizeof(*g));
	if (!g) {
		perror("ptsync");
		exit(4);
	}
	for (size_t i = 0; i < n; i++)
		g[i] = (struct option){ c->opts[i].name, has_arg(&c->opts[i]), NULL, (int)i };
	g[n] = (struct option){ "list-options", no_argument, NULL, OPT_LIST_OPTIONS };
	return g;
}

int opts_parse(const struct opt_cmd *c, int argc, char **argv)
{
	struct option *g = getopt_table(c);
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", g, NULL)) != -1) {
		if (opt == '?') {
			const char *arg = argv[optind - 1];

			/* getopt's optopt is our index: 0 means none, so look it up. */
			for (const struct opt *o = c->opts; o->type != OPTT_END; o++) {
				size_t len = strlen(o->name);

				if (strncmp(arg, "--", 2) || strncmp(arg + 2, o->name, len) ||
				    (arg[2 + len] && arg[2 + len] != '='))
					continue;
				usage_error("--%s: %s", o->name, takes_value(o) ?
					    "this option takes a value" :
					    "this option takes no value");
			}
			usage_error("%s: unknown option (see ptsync %s --help)", arg, c->name);
		}
		if (opt == OPT_LIST_OPTIONS) {
			opts_list(stdout, c);
			free(g);
			return -1;
		}
		if (c->opts[opt].type == OPTT_HELP) {
			opts_usage(stdout, c);
			free(g);
			return -1;
		}
		store(c, &c->opts[opt], optarg);
	}
	free(g);
	if (optind < argc && !c->positional)
		usage_error("%s: unexpected argument '%s'", c->name, argv[optind]);
	return optind;
}

/* @help with %R replaced by @o's range. */
static void print_help_text(FILE *f, const struct opt *o, int col)
{
	for (const char *p = o->help; *p; p++) {
		if (p[0] == '%' && p[1] == 'R') {
			if (o->type == OPTT_DOUBLE)
				fprintf(f, "%g..%g", o->dmin, o->dmax);
			else
				fprintf(f, "%lld..%lld", o->min, o->max);
			p++;
		} else if (*p == '\n') {
			fprintf(f, "\n%*s", col, "");
		} else {
			fputc(*p, f);
		}
	}
	fputc('\n', f);
}

void opts_usage(FILE *f, const struct opt_cmd *c)
{
	enum { COL = 24 };

	if (c->usage)
		fputs(c->usage, f);
	for (const struct opt *o = c->opts; o->type != OPTT_END; o++) {
		char left[64];
		int n;

		if (!o->help || o->type == OPTT_HELP)
			continue;
		if (o->type == OPTT_OPT_CALL)
			n = snprintf(left, sizeof(left), "  --%s[=%s]", o->name, o->argh);
		else
			n = snprintf(left, sizeof(left), "  --%s%s%s", o->name,
				     o->argh ? "=" : "", o->argh ? o->argh : "");
		if (n >= COL - 1)
			fprintf(f, "%s\n%*s", left, COL, "");
		else
			fprintf(f, "%-*s", COL, left);
		print_help_text(f, o, COL);
	}
	if (c->footer)
		fputs(c->footer, f);
}

/* A value @o refuses: its own, or one past its range, or not a number. */
static const char *bad_value(const struct opt *o, char *buf, size_t len)
{
	if (o->bad)
		return o->bad;
	switch (o->type) {
	case OPTT_INT: case OPTT_UINT: case OPTT_U32: case OPTT_U64R:
		if (o->max < LLONG_MAX)
			snprintf(buf, len, "%lld", o->max + 1);
		else
			snprintf(buf, len, "x");
		return buf;
	case OPTT_U64: return "-5";
	case OPTT_DOUBLE: return "nan";
	case OPTT_STRING: return "";
	default: return "?";
	}
}

void opts_list(FILE *f, const struct opt_cmd *c)
{
	char buf[64];

	for (const struct opt *o = c->opts; o->type != OPTT_END; o++) {
		if (o->type == OPTT_HELP)
			continue;
		bool value = takes_value(o) || o->type == OPTT_OPT_CALL;

		fprintf(f, "%s\t%s\t%s\t%s\n", c->name, o->name,
			value ? (o->argh ? o->argh : "VALUE") : "-",
			value ? bad_value(o, buf, sizeof(buf)) : "-");
	}
}
