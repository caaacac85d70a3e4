// SPDX-License-Identifier: MIT
/*
 * The option layer's shared parsers (tools/lib/opts.c): what each accepts,
 * and that each refuses bad input with exit status 2 and one line naming
 * the option (run in a child, since a refusal exits).
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "opts.h"
/* tap.h's CPU harness is for tests that run simulated CPUs; not this one. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tap.h"

/* Run @fn(@s) in a child with stderr in a pipe: its exit status and line count. */
static int refused(void (*fn)(const char *), const char *s, const char *name)
{
	int pfd[2], st, lines = 0;
	char buf[512];
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe(pfd))
		return 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 2);
		fn(s);
		_exit(0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = 0;
	close(pfd[0]);
	waitpid(pid, &st, 0);
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	return WIFEXITED(st) && WEXITSTATUS(st) == EXIT_USAGE && lines == 1 &&
	       strstr(buf, name) != NULL;
}

static void dur(const char *s) { parse_duration_ns("walk-delay", s, 1, 1000000000); }
static void size(const char *s) { parse_size("mem", s, 4096, 1ull << 40); }
static void rate(const char *s) { parse_rate("rate", s, "fallbacks", 1e6); }
static int colour_find(const char *s) { return !strcmp(s, "red") ? 0 : !strcmp(s, "blue") ? 1 : -1; }
static void colour(const char *s) { parse_name("colour", s, colour_find, "red or blue"); }
static void dir(const char *s) { parse_dir("out", s, 8); }
static void cpus(const char *s) { uint64_t m; parse_cpuset("nohz-full", s, &m, 8); }

static void count_item(void *ctx, const char *item, int i)
{
	char *out = ctx;

	(void)i;
	strcat(out, item);
	strcat(out, "|");
}

static void list(const char *s)
{
	char out[600] = "";

	parse_list("strategies", s, out, count_item);
}

/* A table of every kind, as a command builds one. */
struct demo {
	int n;
	unsigned int u;
	uint64_t ns;
	double p;
	bool json, pin;
	const char *out;
	const char *opt_arg;	/* "(none)" until --nohz-full is given */
	int calls;
};

static void demo_call(void *ctx, const struct opt *o, const char *arg)
{
	struct demo *d = ctx;

	(void)o;
	d->opt_arg = arg ? arg : "(bare)";
	d->calls++;
}

static int demo_parse(struct demo *d, int argc, char **argv)
{
	struct opt opts[] = {
		OPT_INTEGER("cpus", &d->n, 2, 8, "N", "simulated CPUs, %R [4]"),
		OPT_UINTEGER("reps", &d->u, 1, 100, "N", "repetitions"),
		OPT_U64_RANGE("period-us", &d->ns, 10, 1000, 1000, "N", "in us"),
		OPT_NUMBER("chance", &d->p, 0, 1, false, "P", "a chance"),
		OPT_BOOLEAN("json", &d->json, "JSON"),
		OPT_CLEAR("no-pin", &d->pin, "do not pin"),
		OPT_STRING("out", &d->out, "DIR", "where"),
		OPT_CALLBACK_OPTARG("nohz-full", 0, "LIST", "these CPUs, or the bystanders", "x"),
		OPT_HELP(),
		OPT_END(),
	};
	const struct opt_cmd c = { .name = "demo", .opts = opts, .call = demo_call, .ctx = d };

	return opts_parse(&c, argc, argv);
}

static void demo_argv(const char *arg)
{
	struct demo d = { 0 };
	char *argv[] = { "demo", (char *)arg, NULL };

	demo_parse(&d, 2, argv);
}

static void table_tests(void)
{
	struct demo d = { .pin = true, .opt_arg = "(none)" };
	char *argv[] = { "demo", "--cpus=3", "--reps", "7", "--period-us=20", "--chance=0.5",
		"--json", "--no-pin", "--out=/tmp/x", "--nohz-full", NULL };
	int r = demo_parse(&d, 10, argv);

	ok(r == 10 && d.n == 3 && d.u == 7 && d.ns == 20000 && d.p == 0.5 && d.json &&
	   !d.pin && !strcmp(d.out, "/tmp/x"), "table: every kind stored, the unit scaled");
	ok(d.calls == 1 && !strcmp(d.opt_arg, "(bare)"), "table: bare optional value -> NULL");
	char *argv2[] = { "demo", "--nohz-full=1,3", NULL };
	demo_parse(&d, 2, argv2);
	ok(d.calls == 2 && !strcmp(d.opt_arg, "1,3"), "table: optional value given");
	ok(refused(demo_argv, "--cpus=9", "--cpus"), "table: integer out of range refused");
	ok(refused(demo_argv, "--period-us=5", "--period-us"), "table: scaled integer range is the given unit's");
	ok(refused(demo_argv, "--json=1", "--json"), "table: a flag given a value refused");
	ok(refused(demo_argv, "--cpus", "--cpus"), "table: a value missing refused");
	ok(refused(demo_argv, "--out=", "--out"), "table: empty string refused");
	ok(refused(demo_argv, "--frob", "--frob"), "table: unknown option refused");
	ok(refused(demo_argv, "extra", "extra"), "table: stray argument refused");
}

int main(void)
{
	uint64_t mask;
	char out[600] = "";

	ok(parse_duration_ns("d", "250", 1, 1000000000) == 250, "duration: bare N in the unit");
	ok(parse_duration_ns("d", "3us", 1, 1000000000) == 3000, "duration: 3us");
	ok(parse_duration_ns("d", "1.5ms", 1, 1000000000) == 1500000, "duration: 1.5ms");
	ok(parse_duration_ns("d", "2", 1000, 1000000000) == 2000, "duration: unit us");
	ok(refused(dur, "5s", "--walk-delay"), "duration: above the most, refused");
	ok(refused(dur, "-3us", "--walk-delay"), "duration: negative, refused");
	ok(refused(dur, "often", "--walk-delay"), "duration: not a number, refused");
	ok(refused(dur, "3 us", "--walk-delay"), "duration: unknown suffix, refused");

	ok(parse_size("m", "4K", 0, 1ull << 40) == 4096, "size: 4K");
	ok(parse_size("m", "2MiB", 0, 1ull << 40) == 2u << 20, "size: 2MiB");
	ok(parse_size("m", "1G", 0, 1ull << 40) == 1ull << 30, "size: 1G");
	ok(refused(size, "1", "--mem"), "size: below the least, refused");
	ok(refused(size, "2T", "--mem"), "size: above the most, refused");
	ok(refused(size, "-4K", "--mem"), "size: negative, refused");
	ok(refused(size, "4Q", "--mem"), "size: unknown suffix, refused");

	ok(parse_rate("r", "100/s", "fallbacks", 1e6) == 100, "rate: 100/s");
	ok(parse_rate("r", "2.5", "fallbacks", 1e6) == 2.5, "rate: 2.5");
	ok(refused(rate, "0", "--rate"), "rate: 0 refused");
	ok(refused(rate, "/s", "--rate"), "rate: empty N refused");
	ok(refused(rate, "1e7", "--rate"), "rate: above the most refused");

	ok(parse_name("c", "blue", colour_find, "red or blue") == 1, "name: the value find gives");
	ok(refused(colour, "green", "--colour: expected red or blue, got 'green'"),
	   "name: unknown refused, naming what is allowed");

	ok(!strcmp(parse_dir("o", "results", 8), "results"), "dir: the path itself");
	ok(refused(dir, "", "--out"), "dir: empty refused");
	ok(refused(dir, "123456789", "--out"), "dir: longer than the most refused");

	ok(parse_cpuset("c", "0-2,5", &mask, 8) == 4 && mask == 0x27, "cpuset: 0-2,5");
	ok(parse_cpuset("c", "7", &mask, 8) == 1 && mask == 0x80, "cpuset: 7");
	ok(refused(cpus, "8", "--nohz-full"), "cpuset: CPU past the last refused");
	ok(refused(cpus, "3-1", "--nohz-full"), "cpuset: backwards range refused");
	ok(refused(cpus, "1,,2", "--nohz-full"), "cpuset: empty item refused");
	ok(refused(cpus, "", "--nohz-full"), "cpuset: empty refused");

	ok(parse_list("l", "ipi,rcu,eqs", out, count_item) == 3 &&
	   !strcmp(out, "ipi|rcu|eqs|"), "list: items in order");
	ok(refused(list, "ipi,", "--strategies"), "list: trailing comma refused");
	ok(refused(list, "", "--strategies"), "list: empty refused");
	table_tests();
	return done_testing();
}
