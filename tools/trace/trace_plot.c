// SPDX-License-Identifier: MIT
/*
 * ptsync trace-plot: a per-CPU timeline of two runs of a --trace file,
 * drawn with gnuplot, one panel per run, for a README or a report.
 *
 * Why not only Perfetto: a picture in the README has to come from the
 * same events and be reproducible with one command; Perfetto is for
 * exploring, in the reader's own browser.  The window starts at the first
 * fallback of each run, so `ipi` and `rcu` from one compare are shown on
 * the same scenario and the same time scale; the tick grid comes from the
 * trace's origin and hz.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "opts.h"

#define MAX_PANELS 4

struct panel {
	const char *strategy;
	int pid;
	double t0_us;		/* window start: the first fallback */
	int nr_cpus;
	char title[96];
};

static int find_run(json_t *ev, struct panel *p)
{
	size_t i;
	json_t *e;
	char suffix[64];

	snprintf(suffix, sizeof(suffix), ": %s", p->strategy);
	json_array_foreach(ev, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *pn = json_string_value(json_object_get(json_object_get(e, "args"), "name"));
		size_t ln = pn ? strlen(pn) : 0, ls = strlen(suffix);

		if (name && !strcmp(name, "process_name") && pn && ln > ls &&
		    !strcmp(pn + ln - ls, suffix)) {
			p->pid = (int)json_integer_value(json_object_get(e, "pid"));
			snprintf(p->title, sizeof(p->title), "%s", pn);
			return 0;
		}
	}
	return -1;
}

static void window(json_t *ev, struct panel *p)
{
	size_t i;
	json_t *e;

	p->t0_us = INFINITY;
	json_array_foreach(ev, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		int pid = (int)json_integer_value(json_object_get(e, "pid"));
		int tid = (int)json_integer_value(json_object_get(e, "tid"));

		if (pid != p->pid || !name)
			continue;
		if (!strcmp(name, "thread_name") && tid + 1 > p->nr_cpus &&
		    strncmp(json_string_value(json_object_get(json_object_get(e, "args"), "name")) ?: "",
			    "RCU", 3))
			p->nr_cpus = tid + 1;
		if (!strncmp(name, "fallback", 8))
			p->t0_us = fmin(p->t0_us, json_number_value(json_object_get(e, "ts")) - 200);
	}
}

/* One data file per panel: "kind x y dx" rows, x in ms from the window. */
static int write_dat(json_t *ev, const struct panel *p, int k, const char *dir, double ms)
{
	char path[600];
	FILE *f;
	size_t i;
	json_t *e;
	unsigned int spans[3] = { 0 };	/* per kind: fallback, GP */

	snprintf(path, sizeof(path), "%s/timeline_%d.dat", dir, k);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "# kind x_ms lane dx_ms  (%s)\n", p->title);
	json_array_foreach(ev, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		int tid = (int)json_integer_value(json_object_get(e, "tid"));
		double x = (json_number_value(json_object_get(e, "ts")) - p->t0_us) / 1e3;
		double dx = json_number_value(json_object_get(e, "dur")) / 1e3;
		const char *ph = json_string_value(json_object_get(e, "ph"));

		if ((int)json_integer_value(json_object_get(e, "pid")) != p->pid || !name ||
		    !ph || *ph == 'M' || x + dx < 0 || x > ms)
			continue;
		if (tid >= p->nr_cpus)
			tid = p->nr_cpus;	/* the callback worker: one lane above */
		/* kind: 0 walk, 1 fallback, 2 GP, 3 IPI sent, 4 IPI taken,
		 * 5 deferred, 6 QS, 7 TLB flush, 8 batch freed */
		int kind = !strncmp(name, "walk", 4) ? 0 : !strncmp(name, "fallback", 8) ? 1 :
			   !strcmp(name, "grace period") ? 2 : !strcmp(name, "IPI sent") ? 3 :
			   !strcmp(name, "IPI taken") ? 4 : !strncmp(name, "IPI deferred", 12) ? 5 :
			   !strcmp(name, "deferred IPI run") ? 5 : !strcmp(name, "quiescent state") ? 6 :
			   !strcmp(name, "TLB flush") ? 7 : 8;
		/* back-to-back spans alternate in height, so each one shows;
		 * a walk (~100 ns) gets a visible minimum width */
		double lane = tid + ((kind == 1 || kind == 2) && spans[kind]++ % 2 ? 0.07 : 0);

		if (kind == 0)
			dx = fmax(dx, ms / 1500);
		fprintf(f, "%d %.6f %.2f %.6f\n", kind, x, lane, *ph == 'X' ? dx : 0);
	}
	fclose(f);
	return 0;
}

static void write_gp(FILE *f, const struct panel *p, int n, double ms, double hz,
		     double origin_ns, const char *png)
{
	static const char *const style[] = {
		"using 2:($1==0?$3:1/0):4:(0) with vectors nohead lw 6 lc rgb '#b0b0b0' title 'walk, IRQs off (1 in 16)'",
		"using 2:($1==1?$3+0.15:1/0):4:(0) with vectors nohead lw 4 lc rgb '#1f77b4' title 'fallback: sync + free'",
		"using 2:($1==2?$3-0.15:1/0):4:(0) with vectors nohead lw 4 lc rgb '#2ca02c' title 'grace period'",
		"using 2:($1==3?$3+0.3:1/0) with points pt 9 ps 0.6 lc rgb '#d62728' title 'IPI sent'",
		"using 2:($1==4?$3+0.3:1/0) with points pt 7 ps 0.6 lc rgb '#d62728' title 'IPI taken'",
		"using 2:($1==5?$3+0.3:1/0) with points pt 7 ps 0.8 lc rgb '#ff7f0e' title 'IPI deferred/run late'",
		"using 2:($1==6?$3-0.3:1/0) with points pt 2 ps 0.8 lc rgb 'black' title 'quiescent state (tick)'",
		"using 2:($1==7?$3-0.3:1/0) with points pt 1 ps 0.5 lc rgb '#9467bd' title 'TLB flush'",
		"using 2:($1==8?$3:1/0) with points pt 5 ps 0.6 lc rgb '#8c564b' title 'batch freed (RCU cb)'",
	};

	fprintf(f, "set terminal pngcairo size 1400,%d noenhanced\nset output '%s'\n"
		"set multiplot layout %d,1\nset xlabel 'ms from the first fallback'\n"
		"set xrange [0:%g]\nset key outside right top\n", 300 * n + 100, png, n, ms);
	for (int k = 0; k < n; k++) {
		double tick_ms = 1e3 / hz, off = fmod(origin_ns / 1e6 + p[k].t0_us / 1e3, tick_ms);

		fprintf(f, "set title '%s: per-CPU timeline'\nset yrange [-0.6:%d.6]\n"
			"set ytics ('CPU 0 freer' 0", p[k].title, p[k].nr_cpus);
		for (int c = 1; c < p[k].nr_cpus; c++)
			fprintf(f, ", 'CPU %d' %d", c, c);
		fprintf(f, ", 'RCU cb' %d)\nunset arrow\n", p[k].nr_cpus);
		for (double t = tick_ms - off; t < ms; t += tick_ms)
			fprintf(f, "set arrow from %.4f, graph 0 to %.4f, graph 1 nohead dt 3 lc rgb '#888888'\n",
				t, t);
		fprintf(f, "plot ");
		for (size_t s = 0; s < sizeof(style) / sizeof(style[0]); s++)
			fprintf(f, "%s'timeline_%d.dat' %s", s ? ", " : "", k, style[s]);
		fputc('\n', f);
	}
	fprintf(f, "unset multiplot\n");
}

int cmd_trace_plot(int argc, char **argv);

/* --strategies: kept as given, split once the options are read. */
static void trace_plot_call(void *ctx, const struct opt *o, const char *arg)
{
	char *buf = ctx;

	if (!*arg || strspn(arg, ",") == strlen(arg) || strlen(arg) >= 256)
		usage_error("--%s: expected a comma-separated list", o->name);
	snprintf(buf, 256, "%s", arg);
}

int cmd_trace_plot(int argc, char **argv)
{
	struct panel p[MAX_PANELS] = { { 0 } };
	char buf[256] = "ipi,rcu", *save = NULL, dir[512], gp[600], cmd[1300];
	const char *out = "timeline.png", *slash;
	double ms = 24;
	int n = 0;
	json_error_t je;
	json_t *root, *ev, *other;
	FILE *f;

	struct opt opts[] = {
		OPT_CALLBACK("strategies", 0, "LIST", "the runs to draw, a panel each [ipi,rcu]",
			     ","),
		OPT_NUMBER("window-ms", &ms, 0, 10000, true, "MS",
			   "the time each panel shows, >0 and at most 10000 [24]"),
		OPT_STRING("out", &out, "FILE", "the plot [timeline.png]"),
		OPT_HELP(),
		OPT_END(),
	};
	const struct opt_cmd c = { .name = "trace-plot", .opts = opts, .positional = true,
		.usage = "usage: ptsync trace-plot [options] TRACE.json\n"
			 "  a per-CPU timeline of the first run of each strategy in a --trace\n"
			 "  file, with gnuplot\n",
		.call = trace_plot_call, .ctx = buf };

	optind = opts_parse(&c, argc, argv);
	if (optind < 0)
		return 0;
	if (optind != argc - 1)
		usage_error("trace-plot: expected one trace file (from --trace=FILE)");
	for (char *t = strtok_r(buf, ",", &save); t && n < MAX_PANELS; t = strtok_r(NULL, ",", &save))
		p[n++].strategy = t;
	if (!n)
		usage_error("--strategies: expected a comma-separated list");
	slash = strrchr(out, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - out) : 1, slash ? out : ".");
	if (access(argv[optind], R_OK))
		usage_error("trace-plot: cannot read '%s': %s", argv[optind], strerror(errno));
	if (!*out || access(dir, W_OK))
		usage_error("--out: cannot write into '%s': %s", dir, strerror(errno));
	root = json_load_file(argv[optind], 0, &je);
	if (!root)
		usage_error("trace-plot: '%s' is not a trace: %s (line %d)", argv[optind], je.text, je.line);
	ev = json_object_get(root, "traceEvents");
	other = json_object_get(root, "otherData");
	for (int k = 0; k < n; k++) {
		if (find_run(ev, &p[k]))
			usage_error("--strategies: no run of '%s' in %s", p[k].strategy, argv[optind]);
		window(ev, &p[k]);
		if (!isfinite(p[k].t0_us) || write_dat(ev, &p[k], k, dir, ms)) {
			fprintf(stderr, "ptsync trace-plot: no fallback in %s's run, or %s unwritable\n",
				p[k].strategy, dir);
			return 1;
		}
	}
	snprintf(gp, sizeof(gp), "%s/timeline.gp", dir);
	f = fopen(gp, "w");
	if (!f)
		return 1;
	write_gp(f, p, n, ms, json_number_value(json_object_get(other, "hz")),
		 json_number_value(json_object_get(other, "origin_ns")), slash ? slash + 1 : out);
	fclose(f);
	json_decref(root);
	snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot timeline.gp", dir);
	if (system(cmd)) {
		fprintf(stderr, "ptsync trace-plot: gnuplot failed (or is missing): data and %s "
			"written\n", gp);
		return 1;
	}
	printf("timeline: %s (data and timeline.gp beside it)\n", out);
	return 0;
}
