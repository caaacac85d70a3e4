// SPDX-License-Identifier: MIT
/*
 * ptsync hostcheck: time membarrier(2) on the host kernel while a
 * bystander process measures its own osnoise (tools/hostcheck/hostcheck.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "opts.h"
#include "hostcheck.h"
#include "ptsync/watchdog.h"

#define EXIT_INTERNAL	4
#define EXIT_INTERRUPTED 130	/* 128 + SIGINT, as a shell reports Ctrl-C */

int cmd_hostcheck(int argc, char **argv);

enum {
	OPT_SECONDS = 256, OPT_THRESHOLD, OPT_MAX_CALLS, OPT_JSON, OPT_HELP,
	OPT_NO_FANOUT, OPT_FANOUT_MAX_K,
};

static const struct option hostcheck_options[] = {
	{ "seconds",      required_argument, NULL, OPT_SECONDS },
	{ "threshold-ns", required_argument, NULL, OPT_THRESHOLD },
	{ "max-calls",    required_argument, NULL, OPT_MAX_CALLS },
	{ "json",         no_argument,       NULL, OPT_JSON },
	{ "no-fanout",    no_argument,       NULL, OPT_NO_FANOUT },
	{ "fanout-max-k", required_argument, NULL, OPT_FANOUT_MAX_K },
	{ "help",         no_argument,       NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void hostcheck_usage(FILE *f)
{
	fputs(
"usage: ptsync hostcheck [options]   time membarrier(2) on this kernel while a\n"
"                                    bystander process measures its osnoise\n"
"\n"
"phases: baseline (no call), global_expedited (IPI broadcast),\n"
"        private_expedited (IPIs to our mm only), global (synchronize_rcu)\n"
"\n"
"options (defaults in brackets):\n"
"  --seconds=S           time per phase, >0 and at most 60 [1]\n"
"  --threshold-ns=N      bystander osnoise threshold, 1..1000000000 [1000]\n"
"  --max-calls=N         a phase also ends after N calls, 1..10000000 [100000]\n"
"  --json                print the result as one JSON object\n"
"  --fanout-max-k=N      fan-out curves up to N targets, 1..4095 [usable CPUs - 1]\n"
"  --no-fanout           skip the fan-out curves (kernel and model broadcast\n"
"                        cost against K spinning targets, K = 1, 2, 4, ...)\n"
"\n"
"exit status: 0 measured (unsupported commands included), 2 bad usage,\n"
"             3 a side stopped answering, 4 internal error, 130 Ctrl-C\n",
		f);
}

int cmd_hostcheck(int argc, char **argv)
{
	struct hostcheck_config cfg;
	struct hostcheck_result res;
	bool json = false;
	int opt, err;

	hostcheck_config_default(&cfg);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", hostcheck_options, NULL)) != -1) {
		switch (opt) {
		case OPT_SECONDS:
			cfg.seconds_per_mode = parse_double("seconds", optarg, 0, 60, true);
			break;
		case OPT_THRESHOLD:
			cfg.threshold_ns = (uint64_t)parse_int("threshold-ns", optarg, 1, 1000000000);
			break;
		case OPT_MAX_CALLS:
			cfg.max_calls = (uint64_t)parse_int("max-calls", optarg, 1, 10000000);
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_NO_FANOUT:
			cfg.fanout = false;
			break;
		case OPT_FANOUT_MAX_K:
			cfg.fanout_max_k = (int)parse_int("fanout-max-k", optarg, 1, 4095);
			break;
		case OPT_HELP:
			hostcheck_usage(stdout);
			return 0;
		default:
			usage_bad_option(hostcheck_options, argv[optind - 1], "hostcheck");
		}
	}
	if (optind < argc)
		usage_error("hostcheck: unexpected argument '%s'", argv[optind]);

	err = hostcheck_run(&cfg, &res);
	if (err == -ETIMEDOUT)
		return EXIT_STALL;
	if (err == -EINTR)
		return EXIT_INTERRUPTED;
	if (err)
		return EXIT_INTERNAL;
	if (json) {
		hostcheck_print_json(stdout, &res);
		fputc('\n', stdout);
	} else {
		hostcheck_print_text(stdout, &res);
	}
	return fflush(stdout) ? EXIT_INTERNAL : 0;
}
