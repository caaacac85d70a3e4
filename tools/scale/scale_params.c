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

#include "ptsync/linfit.h"
#include "scale_model.h"

static void set(struct scale_param *p, double v, const struct pt_sync_ops *from,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set(struct scale_param *p, double v, const struct pt_sync_ops *from,
		const char *fmt, ...)
{
	va_list ap;

	p->v = v;
	p->from = from;
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

/* Note a fit found in an input file, and what scale does with it. */
static void fit_read(struct scale_params *p, const char *path, double v, const char *use)
{
	if (!isfinite(v) || p->nr_fits == SCALE_MAX_FITS)
		return;
	snprintf(p->fits[p->nr_fits].path, sizeof(p->fits[0].path), "%s", path);
	p->fits[p->nr_fits].v = v;
	p->fits[p->nr_fits++].use = use;
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

/* Run-to-run spread of one figure, relative: (max - min) / mean over
 * compare's repetitions, where the file lists them (NAN otherwise). */
static double spread_of(json_t *reps)
{
	double lo = INFINITY, hi = -INFINITY, sum = 0;
	size_t i, n = json_array_size(reps);
	json_t *v;

	if (n < 2)
		return NAN;
	json_array_foreach(reps, i, v) {
		double x = json_number_value(v);

		lo = fmin(lo, x);
		hi = fmax(hi, x);
		sum += x;
	}
	return sum > 0 ? (hi - lo) / (sum / (double)n) : NAN;
}

/* ... of a strategy's fallback sync p50 */
static double rep_spread(json_t *s)
{
	return spread_of(json_object_get(json_object_get(s, "sync_ns"), "reps_p50"));
}

/* The same for the bystanders' noise of each repetition. */
static double noise_spread(json_t *s)
{
	return spread_of(json_object_get(s, "bystander_noise_reps_ns_per_s"));
}

/* Walkers' IPIs: every CPU that is neither a freer nor a bystander. */
static double walker_ipis(json_t *s, int freers)
{
	size_t i;
	json_t *c;
	double n = 0;

	json_array_foreach(json_object_get(s, "ipis_received_per_cpu"), i, c)
		if (!json_is_true(json_object_get(c, "bystander")) && num(c, "cpu") >= freers)
			n += num(c, "ipis");
	return n;
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
		m->spread = rep_spread(s);
		m->sync_p99_ns = num2(s, "sync_ns", "p99");
		m->sync_count = num2(s, "sync_ns", "count");
		m->noise_spread = noise_spread(s);
		m->fallbacks = num(s, "fallbacks");
		m->seconds = num(s, "seconds");
		m->bystander_sync_ipis = num(s, "bystander_sync_ipis");
		m->walker_sync_ipis = walker_ipis(s, p->freers);
		m->noise_ns_per_s = num(s, "bystander_noise_ns_per_s");
		m->noise_runtime_ns = num2(s, "bystander_noise", "runtime_ns");
		m->walk_ns = num(s, "walk_ns");
		m->raw_walk_ns = num(s, "raw_walk_ns");
		m->held_pages_peak = num2(s, "held_pages", "peak");
		snprintf(m->bystander_kind, sizeof(m->bystander_kind), "%s",
			 json_string_value(json_object_get(s, "bystander")) ?: "");
	}
}

/* ---- fan-out curves ---- */

static int cmp_k(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

void scale_curve_fit(struct scale_curve *c, int n)
{
	double x[SCALE_MAX_K], y[SCALE_MAX_K];
	size_t m = 0;
	struct linfit f;

	if (n > c->n)
		n = c->n;
	c->single_ns = NAN;
	for (int i = 0; i < n; i++) {
		if (c->k[i] == 1)
			c->single_ns = c->p50[i];
		else {
			x[m] = c->k[i];
			y[m++] = c->p50[i];
		}
	}
	if (m < 2) {
		/* one mask point or none: the line goes through K = 1 too */
		m = 0;
		for (int i = 0; i < n; i++) {
			x[m] = c->k[i];
			y[m++] = c->p50[i];
		}
	}
	f = linfit(x, y, m);
	c->fit_points = (int)m;
	c->slope_ns = f.ok ? f.slope : NAN;
	c->intercept_ns = f.ok ? f.intercept : NAN;
}

double scale_curve_at(const struct scale_curve *c, int j, int k)
{
	if (k == 1 && isfinite(c->single_ns))
		return c->single_ns;
	return fmax(0, c->intercept_ns + c->slope_ns * j);
}

/* hostcheck's fanout.<which>: its points and its own fit. */
static int load_curve(struct scale_params *p, struct scale_curve *c, json_t *fanout,
		      const char *which, const char *prefix)
{
	json_t *cv = json_object_get(fanout, which), *pt;
	double kp[SCALE_MAX_K][2];
	char path[200];
	size_t i;

	c->n = 0;
	json_array_foreach(json_object_get(cv, "points"), i, pt) {
		double k = num(pt, "k"), y = num(pt, "p50_used_ns");

		if (!isfinite(y))
			y = num(pt, "p50_ns");
		if (c->n < SCALE_MAX_K && k >= 1 && y > 0) {
			kp[c->n][0] = k;
			kp[c->n++][1] = y;
		}
	}
	qsort(kp, (size_t)c->n, sizeof(kp[0]), cmp_k);
	for (int j = 0; j < c->n; j++) {
		c->k[j] = kp[j][0];
		c->p50[j] = kp[j][1];
	}
	snprintf(c->src, sizeof(c->src), "%.200s: %s.%s.points (%d K)", p->from, prefix, which, c->n);
	c->file_slope = num(json_object_get(cv, "fit"), "slope_ns_per_target");
	c->file_intercept = num(json_object_get(cv, "fit"), "intercept_ns");
	snprintf(path, sizeof(path), "%s.%s.fit.slope_ns_per_target", prefix, which);
	fit_read(p, path, c->file_slope, "printed beside ours (ours: K = 1 point + line "
		 "over K >= 2, the kernel's single/mask send); a check, not an input");
	snprintf(path, sizeof(path), "%s.%s.fit.intercept_ns", prefix, which);
	fit_read(p, path, c->file_intercept, "printed beside ours; a check, not an input");
	if (c->n == 0)
		return -1;
	scale_curve_fit(c, c->n);
	return 0;
}

/* compare's own fan-out figures (its like-for-like correction). */
static void load_compare_fits(struct scale_params *p, json_t *root)
{
	json_t *fo = json_object_get(root, "fanout");
	static const char *const keys[] = { "model_slope_ns_per_target",
		"host_slope_ns_per_target", "slope_delta_ns", "host_p50_ns_at_model_k" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char path[200];

		snprintf(path, sizeof(path), "fanout.%s", keys[i]);
		fit_read(p, path, num(fo, keys[i]), "compare's own fit: printed beside "
			 "ours as a check (both come from the same points)");
	}
}

static void load_fanout(struct scale_params *p, json_t *root, json_t *ipi, double floor)
{
	json_t *fo = json_object_get(json_object_get(root, "hostcheck"), "fanout");
	int k = p->cpus - 1;

	p->model.name = "model";
	p->kernel.name = "kernel";
	load_compare_fits(p, root);
	if (!load_curve(p, &p->model, fo, "model", "hostcheck.fanout") &&
	    !isfinite(p->model.slope_ns) && isfinite(p->model.single_ns)) {
		/* one K: no slope to fit; the model signals its targets one by
		 * one, so the whole K = 1 round trip, past the floor, per target */
		p->model.intercept_ns = floor;
		p->model.slope_ns = fmax(0, p->model.single_ns - floor);
		snprintf(p->model.src, sizeof(p->model.src), "hostcheck.fanout.model.points at "
			 "K = 1 only: per target K = 1's p50 - none's sync (serial: overestimates "
			 "where the model's sends overlap)");
	} else if (!isfinite(p->model.slope_ns)) {
		double p50 = num2(ipi, "sync_ns", "p50");

		p->model.single_ns = k == 1 ? p50 : NAN;
		p->model.intercept_ns = floor;
		p->model.slope_ns = fmax(0, p50 - floor) / k;
		snprintf(p->model.src, sizeof(p->model.src), "not measured in this file: the "
			 "model's fan-out curve (hostcheck.fanout.model); one K only: "
			 "(strategies[ipi].sync_ns.p50 - none's) / K, K = %d", k);
	}
	if (load_curve(p, &p->kernel, fo, "kernel", "hostcheck.fanout") || !isfinite(p->kernel.slope_ns)) {
		double pe = num(hc_mode(root, "private_expedited"), "p50_ns");
		double ge = num(hc_mode(root, "global_expedited"), "p50_ns");

		p->kernel.single_ns = NAN;
		p->kernel.intercept_ns = pe;
		p->kernel.slope_ns = ge - pe;
		snprintf(p->kernel.src, sizeof(p->kernel.src), "not measured in this file: the "
			 "kernel's fan-out curve; one K only: hostcheck global_expedited p50 - "
			 "private_expedited p50 (one bystander); give --machine=FILE");
	}
}

/* What a bystander loses per IPI: extra noise over the baseline / IPIs. */
static void load_noise(struct scale_params *p, json_t *root, json_t *none, json_t *ipi)
{
	double base = num(none, "bystander_noise_ns_per_s");
	double rate = num(ipi, "bystander_noise_ns_per_s");
	double rt = num2(ipi, "bystander_noise", "runtime_ns");
	double n = num(ipi, "bystander_sync_ipis");

	set(&p->base_noise_ns_per_s, base, NULL, "strategies[none].bystander_noise_ns_per_s");
	if (n > 0 && rate > base) {
		set(&p->noise_per_ipi_ns, (rate - base) * rt / 1e9 / n, pt_sync_ops_find("ipi"),
		    "(strategies[ipi].bystander_noise_ns_per_s - none's) x runtime / bystander IPIs");
		return;
	}
	json_t *hb = hc_mode(root, "baseline"), *ge = hc_mode(root, "global_expedited");
	double hbase = num2(hb, "bystander", "noise_ns_per_s");
	double hrate = num2(ge, "bystander", "noise_ns_per_s");
	double hrt = num2(ge, "bystander", "runtime_ns"), hn = num2(ge, "bystander", "ipis");

	if (hn > 0 && hrate > hbase)
		set(&p->noise_per_ipi_ns, (hrate - hbase) * hrt / 1e9 / hn, NULL,
		    "model's noise did not rise over the baseline (noisy host): hostcheck "
		    "global_expedited's extra noise / IPIs");
	else
		set(&p->noise_per_ipi_ns, 0, NULL, "not measurable: no IPI raised the "
		    "bystander's noise above its baseline in this file (noisy host)");
}

/* The walkers' IRQs-off windows: compare's measurement when the file has
 * it, else what targeted's IPIs say (it IPIs a walker only inside a walk). */
static void load_walkers(struct scale_params *p, json_t *root, json_t *none)
{
	json_t *w = json_object_get(root, "walkers");
	json_t *tg = strategy(root, "targeted"), *eqs = strategy(root, "eqs");
	double duty = num(w, "irqs_off_duty"), wn = num(w, "walk_ns_p50");
	double gap = num(w, "walk_delay_ns_p50");

	if (isfinite(wn) && wn > 0)
		set(&p->walk_ns, wn, NULL, "walkers.walk_ns_p50");
	else
		set(&p->walk_ns, num(none, "walk_ns"), NULL, "strategies[none].walk_ns");
	set(&p->raw_walk_ns, num(none, "raw_walk_ns"), NULL, "strategies[none].raw_walk_ns");
	if (isfinite(duty) && duty >= 0 && duty <= 1)
		set(&p->walk_duty, duty, NULL, "walkers.irqs_off_duty");
	else if (isfinite(wn) && isfinite(gap) && wn + gap > 0)
		set(&p->walk_duty, wn / (wn + gap), NULL,
		    "walkers.walk_ns_p50 / (walk_ns_p50 + walk_delay_ns_p50)");
	else if (tg && p->walkers > 0 && num(tg, "syncs") > 0)
		set(&p->walk_duty, walker_ipis(tg, p->freers) / num(tg, "syncs") / p->walkers,
		    pt_sync_ops_find("targeted"), "not measured in this file: walkers.irqs_off_duty; "
		    "derived: targeted's walker IPIs / syncs / walkers (it IPIs only a CPU "
		    "inside a walk)");
	else
		set(&p->walk_duty, NAN, NULL, "not measured in this file: walkers.irqs_off_duty "
		    "(walkers are modelled never inside a walk)");
	if (eqs && p->walkers > 0 && num(eqs, "syncs") > 0)
		set(&p->walker_kernel, walker_ipis(eqs, p->freers) / num(eqs, "syncs") / p->walkers,
		    pt_sync_ops_find("eqs"), "eqs's walker IPIs / syncs / walkers (eqs IPIs a "
		    "CPU only in the kernel)");
	else
		set(&p->walker_kernel, NAN, NULL, "not measured in this file: a walker's time "
		    "in the kernel (eqs not run); walkers count as in the kernel only "
		    "inside a walk");
}

/* The TLB flush: compare --tlb=native (or pv) times it at K targets. */
static void load_tlb(struct scale_params *p, json_t *root)
{
	json_t *t = json_object_get(root, "tlb_flush");
	const char *mode = json_string_value(json_object_get(t, "mode"));

	if (mode && tlb_mode_find(mode) == p->tlb_mode && p->tlb_mode != TLB_INVLPGB &&
	    isfinite(num(t, "cost_ns_p50"))) {
		p->tlb_k = isfinite(num(t, "k")) ? (int)num(t, "k") : p->walkers;
		set(&p->tlb_flush_ns, num(t, "cost_ns_p50"), NULL, "tlb_flush.cost_ns_p50 "
		    "(%s, K = %d)", mode, p->tlb_k);
		fit_read(p, "tlb_flush.per_target_ns", num(t, "per_target_ns"),
			 "the flush's cost per target beyond tlb_flush.k");
		if (isfinite(num(t, "per_target_ns")))
			set(&p->tlb_per_target_ns, num(t, "per_target_ns"), NULL,
			    "tlb_flush.per_target_ns");
		else
			set(&p->tlb_per_target_ns, NAN, NULL, "not measured in this file: "
			    "tlb_flush.per_target_ns (one K: the flush is costed at K = %d)", p->tlb_k);
		return;
	}
	set(&p->tlb_flush_ns, NAN, NULL, "not measured in this file: the native TLB flush "
	    "(compare --tlb=native writes tlb_flush.cost_ns_p50); flush time left out, "
	    "flush IPIs still counted");
	set(&p->tlb_per_target_ns, NAN, NULL, "not measured in this file: tlb_flush.per_target_ns");
}

static void load_costs(struct scale_params *p, json_t *root)
{
	json_t *none = strategy(root, "none"), *ipi = strategy(root, "ipi");
	json_t *tg = strategy(root, "targeted"), *rcu = strategy(root, "rcu");
	double floor = num2(none, "sync_ns", "p50");

	set(&p->floor_ns, floor, NULL, "strategies[none].sync_ns.p50");
	json_t *pr = strategy(root, "pt-reclaim");

	/* call_rcu() queues on this CPU's list: no term that grows with CPUs */
	if (pr && isfinite(num2(pr, "sync_ns", "p50")))
		set(&p->defer_ns, num2(pr, "sync_ns", "p50"), pt_sync_ops_find("pt-reclaim"),
		    "strategies[pt-reclaim].sync_ns.p50 (a per-CPU queue: the same at any count)");
	else
		set(&p->defer_ns, floor, NULL, "not measured in this file: a call_rcu() "
		    "enqueue (pt-reclaim not run); none's sync instead");
	load_fanout(p, root, ipi, floor);
	load_noise(p, root, none, ipi);
	/* targeted at a sync that IPIs nobody: the cond loop over every CPU */
	if (tg && num2(tg, "sync_ns", "p50") > floor)
		set(&p->scan_ns_per_cpu, (num2(tg, "sync_ns", "p50") - floor) / p->cpus,
		    pt_sync_ops_find("targeted"), "(strategies[targeted].sync_ns.p50 - floor) / cpus");
	else
		set(&p->scan_ns_per_cpu, 0, NULL, "targeted not in the file, or no slower than none");
	set(&p->freer_work_ns, fmax(0, num(none, "seconds") * 1e9 / num(none, "fallbacks") - floor),
	    NULL, "strategies[none]: seconds / fallbacks - floor");
	load_walkers(p, root, none);
	load_tlb(p, root);
	set(&p->rcu_p50_ns, rcu ? num2(rcu, "sync_ns", "p50") : NAN, NULL,
	    "strategies[rcu].sync_ns.p50 (a check, not an input)");
}

static int check(const struct scale_params *p, char *err, size_t len)
{
	const struct scale_param *need[] = { &p->hz, &p->floor_ns,
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
	set(&p->hz, num(cfg, "hz"), NULL, "config.hz");
	if (p->cpus < 2 || p->bystanders < 1 || p->tlb_mode < 0) {
		snprintf(err, len, "%s: no usable config (cpus, bystanders, tlb)", path);
		json_decref(root);
		return -1;
	}
	load_costs(p, root);
	load_measured(p, root);
	json_decref(root);
	rc = check(p, err, len);
	if (!rc && !(isfinite(p->model.slope_ns) && isfinite(p->model.intercept_ns))) {
		snprintf(err, len, "%s: no fan-out figure for the model (hostcheck.fanout.model "
			 "or strategies[ipi]); is it a compare results.json?", path);
		rc = -1;
	}
	return rc;
}

int scale_machine_load(struct scale_params *p, const char *path, char *err, size_t len)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je), *fo;
	struct scale_curve c = { .name = "kernel" }, mc = { .name = "model" };
	int nr_fits = p->nr_fits;

	if (!root) {
		snprintf(err, len, "--machine: '%s' is not JSON (%s, line %d); expected "
			 "ptsync hostcheck --json output", path, je.text, je.line);
		return -1;
	}
	fo = json_object_get(root, "fanout");
	if (!json_object_get(root, "modes") || !fo) {
		snprintf(err, len, "--machine: '%s' is not ptsync hostcheck --json output "
			 "(no modes, no fanout)", path);
		json_decref(root);
		return -1;
	}
	if (load_curve(p, &c, fo, "kernel", "machine:fanout") || c.n < 2 || !isfinite(c.slope_ns)) {
		snprintf(err, len, "--machine: '%s' has no kernel fan-out curve "
			 "(fanout.kernel.points at two K or more); run ptsync hostcheck --json "
			 "on a machine with 3 CPUs or more", path);
		p->nr_fits = nr_fits;
		json_decref(root);
		return -1;
	}
	load_curve(p, &mc, fo, "model", "machine:fanout");	/* read and printed, not used */
	snprintf(p->machine, sizeof(p->machine), "%s", path);
	snprintf(c.src, sizeof(c.src), "--machine %.200s: fanout.kernel.points (%d K)", path, c.n);
	p->kernel = c;
	json_decref(root);
	return 0;
}

const struct scale_measured *scale_measured_find(const struct scale_params *p,
						 const struct pt_sync_ops *ops)
{
	for (int i = 0; i < p->nr_m; i++)
		if (p->m[i].ops == ops)
			return &p->m[i];
	return NULL;
}

#define PARAMS(X) X(hz) X(noise_per_ipi_ns) X(base_noise_ns_per_s) X(floor_ns) X(defer_ns) \
	X(scan_ns_per_cpu) X(freer_work_ns) X(walk_ns) X(raw_walk_ns) X(walk_duty) \
	X(walker_kernel) X(tlb_flush_ns) X(tlb_per_target_ns) X(rcu_p50_ns)

static void curve_print(FILE *f, const struct scale_curve *c)
{
	fprintf(f, "  %-6s broadcast: K=1 %.0f ns; K>=2: %.0f ns + %.1f ns/target "
		"(line over %d points)  %s\n", c->name, c->single_ns, c->intercept_ns,
		c->slope_ns, c->fit_points, c->src);
	if (isfinite(c->file_slope))
		fprintf(f, "         the file's own straight-line fit over every K: %.1f ns/target "
			"+ %.0f ns\n", c->file_slope, c->file_intercept);
}

void scale_params_print(FILE *f, const struct scale_params *p)
{
	fprintf(f, "per-event costs, from %s (compare on %d CPUs: freers %d, walkers %d, "
		"bystanders %d, tlb %s):\n", p->from, p->cpus, p->freers, p->walkers,
		p->bystanders, tlb_mode_name(p->tlb_mode));
	curve_print(f, &p->model);
	curve_print(f, &p->kernel);
#define X(n) fprintf(f, "  %-20s %12.3f  %s\n", #n, p->n.v, p->n.src);
	PARAMS(X)
#undef X
	fprintf(f, "fits read from the input files (%d):\n", p->nr_fits);
	for (int i = 0; i < p->nr_fits; i++)
		fprintf(f, "  %-44s %10.1f  %s\n", p->fits[i].path, p->fits[i].v, p->fits[i].use);
}

static void curve_json(FILE *f, const struct scale_curve *c)
{
	fprintf(f, "\"%s_curve\":{\"source\":", c->name);
	jw_string(f, c->src);
	fprintf(f, ",\"single_ns\":%.1f,\"intercept_ns\":%.1f,\"slope_ns_per_target\":%.2f,"
		"\"points\":[", isfinite(c->single_ns) ? c->single_ns : -1.0, c->intercept_ns,
		c->slope_ns);
	for (int i = 0; i < c->n; i++)
		fprintf(f, "%s{\"k\":%.0f,\"p50_ns\":%.1f}", i ? "," : "", c->k[i], c->p50[i]);
	fprintf(f, "]}");
}

void scale_params_json(FILE *f, const struct scale_params *p)
{
	fprintf(f, "{\"from\":");
	jw_string(f, p->from);
	fprintf(f, ",\"machine\":");
	jw_string(f, p->machine[0] ? p->machine : "(the --from file's hostcheck)");
	fputc(',', f);
	curve_json(f, &p->model);
	fputc(',', f);
	curve_json(f, &p->kernel);
#define X(n) fprintf(f, ",\"%s\":{\"value\":%.3f,\"measured\":%s,\"source\":", #n, \
		     isfinite(p->n.v) ? p->n.v : -1.0, isfinite(p->n.v) ? "true" : "false"); \
	jw_string(f, p->n.src); fputc('}', f);
	PARAMS(X)
#undef X
	fprintf(f, ",\"fits_read\":[");
	for (int i = 0; i < p->nr_fits; i++) {
		fprintf(f, "%s{\"path\":", i ? "," : "");
		jw_string(f, p->fits[i].path);
		fprintf(f, ",\"value\":%.2f,\"use\":", p->fits[i].v);
		jw_string(f, p->fits[i].use);
		fputc('}', f);
	}
	fprintf(f, "]}");
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
