// SPDX-License-Identifier: MIT
/*
 * ptsync scale's inputs: every per-event cost read back from a compare
 * results.json (jansson), each with the path it came from or the formula
 * that derived it.  Nothing here is a typed-in cost: a figure that the
 * file does not hold is derived from figures it does hold, and the source
 * string says so, so that the projection can be traced back to this host.
 */
#include <glob.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <stdlib.h>

#include "scale_model.h"

static void set(struct scale_param *p, double v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set(struct scale_param *p, double v, const char *fmt, ...)
{
	va_list ap;

	p->v = v;
	va_start(ap, fmt);
	vsnprintf(p->src, sizeof(p->src), fmt, ap);
	va_end(ap);
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static double num2(json_t *o, const char *a, const char *b)
{
	return num(json_object_get(o, a), b);
}

static json_t *strategy(json_t *root, const char *name)
{
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(root, "strategies"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "name")) ?: "", name))
			return s;
	return NULL;
}

static json_t *hc_mode(json_t *root, const char *mode)
{
	return json_object_get(json_object_get(json_object_get(root, "hostcheck"),
					       "modes"), mode);
}

static void load_measured(struct scale_params *p, json_t *root)
{
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(root, "strategies"), i, s) {
		const struct pt_sync_ops *ops =
			pt_sync_ops_find(json_string_value(json_object_get(s, "name")) ?: "");
		struct scale_measured *m;

		if (!ops || p->nr_m == SCALE_MAX_STRATEGIES)
			continue;
		m = &p->m[p->nr_m++];
		m->ops = ops;
		m->sync_p50_ns = num2(s, "sync_ns", "p50");
		m->fallbacks = num(s, "fallbacks");
		m->seconds = num(s, "seconds");
		m->bystander_sync_ipis = num(s, "bystander_sync_ipis");
		m->noise_ns_per_s = num(s, "bystander_noise_ns_per_s");
		m->noise_runtime_ns = num2(s, "bystander_noise", "runtime_ns");
		m->walk_ns = num(s, "walk_ns");
		m->raw_walk_ns = num(s, "raw_walk_ns");
		m->held_pages_peak = num2(s, "held_pages", "peak");
	}
}

/* The IPI broadcast: a fit over K if someone measured one, else one K. */
static void load_fanout(struct scale_params *p, json_t *root, json_t *ipi, double floor)
{
	json_t *fo = json_object_get(root, "fanout");
	json_t *model = json_object_get(fo, "model"), *host = json_object_get(fo, "host");
	int k = p->cpus - 1;

	if (isfinite(num(model, "slope_ns")) && isfinite(num(model, "intercept_ns"))) {
		set(&p->ipi_slope_ns, num(model, "slope_ns"), "fanout.model.slope_ns");
		set(&p->ipi_intercept_ns, num(model, "intercept_ns"), "fanout.model.intercept_ns");
	} else {
		double p50 = num2(ipi, "sync_ns", "p50");

		set(&p->ipi_intercept_ns, floor, "no fanout fit in the file: the no-wait sync "
		    "(strategies[none].sync_ns.p50)");
		set(&p->ipi_slope_ns, fmax(0, p50 - floor) / k, "no fanout fit: "
		    "(strategies[ipi].sync_ns.p50 - intercept) / K, K = %d: one K only", k);
	}
	if (isfinite(num(host, "slope_ns")) && isfinite(num(host, "intercept_ns"))) {
		set(&p->host_slope_ns, num(host, "slope_ns"), "fanout.host.slope_ns");
		set(&p->host_intercept_ns, num(host, "intercept_ns"), "fanout.host.intercept_ns");
		p->host_fanout = true;
		return;
	}
	json_t *ge = hc_mode(root, "global_expedited"), *pe = hc_mode(root, "private_expedited");
	double ge50 = num(ge, "p50_ns"), pe50 = num(pe, "p50_ns");

	json_t *rel = json_object_get(root, "host_ratio_reliable");

	if (json_is_false(rel)) {
		/* compare found that most global_expedited calls never reached
		 * the bystander: its p50 is a syscall, not a broadcast */
		p->host_intercept_ns = p->ipi_intercept_ns;
		p->host_slope_ns = p->ipi_slope_ns;
		snprintf(p->host_slope_ns.src, sizeof(p->host_slope_ns.src),
			 "the model's slope: hostcheck's global_expedited is marked unreliable "
			 "(host_ratio_reliable false: most calls never reached the bystander)");
		snprintf(p->host_intercept_ns.src, sizeof(p->host_intercept_ns.src),
			 "the model's intercept (host_ratio_reliable false)");
	} else if (isfinite(ge50) && isfinite(pe50) && ge50 > 0) {
		set(&p->host_intercept_ns, pe50, "hostcheck private_expedited p50 (no target)");
		set(&p->host_slope_ns, fmax(0, ge50 - pe50), "hostcheck global_expedited p50 - "
		    "private_expedited p50, one target: one K only");
		p->host_fanout = true;
	} else {
		p->host_intercept_ns = p->ipi_intercept_ns;
		p->host_slope_ns = p->ipi_slope_ns;
		snprintf(p->host_slope_ns.src, sizeof(p->host_slope_ns.src),
			 "no hostcheck in the file: the model's own slope");
	}
}

/* What a bystander loses per IPI: extra noise over the baseline / IPIs. */
static void load_noise(struct scale_params *p, json_t *root, json_t *none, json_t *ipi)
{
	double base = num(none, "bystander_noise_ns_per_s");
	double rate = num(ipi, "bystander_noise_ns_per_s");
	double rt = num2(ipi, "bystander_noise", "runtime_ns");
	double n = num(ipi, "bystander_sync_ipis");

	set(&p->base_noise_ns_per_s, base, "strategies[none].bystander_noise_ns_per_s");
	if (n > 0 && rate > base) {
		set(&p->noise_per_ipi_ns, (rate - base) * rt / 1e9 / n,
		    "(strategies[ipi].bystander_noise_ns_per_s - none's) x runtime / bystander IPIs");
		return;
	}
	json_t *hb = hc_mode(root, "baseline"), *ge = hc_mode(root, "global_expedited");
	double hbase = num2(hb, "bystander", "noise_ns_per_s");
	double hrate = num2(ge, "bystander", "noise_ns_per_s");
	double hrt = num2(ge, "bystander", "runtime_ns"), hn = num2(ge, "bystander", "ipis");

	if (hn > 0 && hrate > hbase)
		set(&p->noise_per_ipi_ns, (hrate - hbase) * hrt / 1e9 / hn,
		    "model's noise did not rise over the baseline (noisy host): hostcheck "
		    "global_expedited's extra noise / IPIs");
	else
		set(&p->noise_per_ipi_ns, 0, "not measurable: no IPI raised the bystander's "
		    "noise above its baseline in this file (noisy host)");
}

static void load_costs(struct scale_params *p, json_t *root)
{
	json_t *none = strategy(root, "none"), *ipi = strategy(root, "ipi");
	json_t *tg = strategy(root, "targeted"), *rcu = strategy(root, "rcu");
	double floor = num2(none, "sync_ns", "p50");

	set(&p->floor_ns, floor, "strategies[none].sync_ns.p50");
	load_fanout(p, root, ipi, floor);
	load_noise(p, root, none, ipi);
	if (tg && num2(tg, "sync_ns", "p50") > floor)
		set(&p->scan_ns_per_cpu, (num2(tg, "sync_ns", "p50") - floor) / p->cpus,
		    "(strategies[targeted].sync_ns.p50 - floor) / cpus");
	else
		set(&p->scan_ns_per_cpu, 0, "targeted not in the file, or no slower than none");
	set(&p->freer_work_ns, fmax(0, num(none, "seconds") * 1e9 / num(none, "fallbacks") - floor),
	    "strategies[none]: seconds / fallbacks - floor");
	set(&p->walk_ns, num(none, "walk_ns"), "strategies[none].walk_ns");
	set(&p->raw_walk_ns, num(none, "raw_walk_ns"), "strategies[none].raw_walk_ns");
	set(&p->walk_duty, 0.9, "assumed: walkers walk back to back (compare's walker loop); "
	    "results.json does not time the gaps");
	set(&p->rcu_p50_ns, rcu ? num2(rcu, "sync_ns", "p50") : NAN,
	    "strategies[rcu].sync_ns.p50 (a check, not an input)");
}

static int check(const struct scale_params *p, char *err, size_t len)
{
	const struct scale_param *need[] = { &p->hz, &p->floor_ns, &p->ipi_slope_ns,
		&p->freer_work_ns, &p->walk_ns, &p->base_noise_ns_per_s };

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!isfinite(need[i]->v)) {
			snprintf(err, len, "%s: a figure is missing (%s); is it a compare "
				 "results.json with none and ipi?", p->from, need[i]->src);
			return -1;
		}
	return 0;
}

int scale_params_load(struct scale_params *p, const char *path, char *err, size_t len)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je), *cfg;
	int rc;

	memset(p, 0, sizeof(*p));
	snprintf(p->from, sizeof(p->from), "%s", path);
	if (!root) {
		snprintf(err, len, "%s: %s (line %d)", path, je.text, je.line);
		return -1;
	}
	cfg = json_object_get(root, "config");
	p->cpus = (int)num(cfg, "cpus");
	p->freers = (int)num(cfg, "freers");
	p->walkers = (int)num(cfg, "walkers");
	p->bystanders = (int)num(cfg, "bystanders");
	p->nohz_full = json_is_true(json_object_get(cfg, "nohz_full"));
	p->tlb_mode = tlb_mode_find(json_string_value(json_object_get(cfg, "tlb")) ?: "invlpgb");
	set(&p->hz, num(cfg, "hz"), "config.hz");
	if (p->cpus < 2 || p->bystanders < 1 || p->tlb_mode < 0) {
		snprintf(err, len, "%s: no usable config (cpus, bystanders, tlb)", path);
		json_decref(root);
		return -1;
	}
	load_costs(p, root);
	load_measured(p, root);
	json_decref(root);
	rc = check(p, err, len);
	return rc;
}

const struct scale_measured *scale_measured_find(const struct scale_params *p,
						 const struct pt_sync_ops *ops)
{
	for (int i = 0; i < p->nr_m; i++)
		if (p->m[i].ops == ops)
			return &p->m[i];
	return NULL;
}

#define PARAMS(X) X(hz) X(ipi_intercept_ns) X(ipi_slope_ns) X(host_intercept_ns) \
	X(host_slope_ns) X(noise_per_ipi_ns) X(base_noise_ns_per_s) X(floor_ns) \
	X(scan_ns_per_cpu) X(freer_work_ns) X(walk_ns) X(raw_walk_ns) X(walk_duty) \
	X(rcu_p50_ns)

void scale_params_print(FILE *f, const struct scale_params *p)
{
	fprintf(f, "per-event costs, from %s (compare on %d CPUs: freers %d, walkers %d, "
		"bystanders %d):\n", p->from, p->cpus, p->freers, p->walkers, p->bystanders);
#define X(n) fprintf(f, "  %-20s %12.1f  %s\n", #n, p->n.v, p->n.src);
	PARAMS(X)
#undef X
}

void scale_params_json(FILE *f, const struct scale_params *p)
{
	bool first = true;

	fprintf(f, "{\"from\":");
	jw_string(f, p->from);
#define X(n) fprintf(f, ",\"%s\":{\"value\":%.3f,\"source\":", #n, \
		     isfinite(p->n.v) ? p->n.v : -1.0); jw_string(f, p->n.src); fputc('}', f);
	PARAMS(X)
#undef X
	(void)first;
	fputc('}', f);
}

static time_t mtime(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_mtime;
}

int scale_find_results(char *buf, size_t len)
{
	glob_t g;
	const char *best = NULL;

	/* compare's own runs, and the short ones scale ran for itself */
	if (glob("ptsync-results/*/results.json", 0, NULL, &g) &&
	    glob("ptsync-results/*/compare/results.json", 0, NULL, &g))
		return -1;
	glob("ptsync-results/*/compare/results.json", GLOB_APPEND, NULL, &g);
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (!best || mtime(g.gl_pathv[i]) >= mtime(best))
			best = g.gl_pathv[i];
	if (best)
		snprintf(buf, len, "%s", best);
	globfree(&g);
	return best ? 0 : -1;
}
