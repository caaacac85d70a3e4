// SPDX-License-Identifier: MIT
/*
 * ptsync hostcheck: time membarrier(2) on the host kernel while a
 * bystander process measures its own osnoise (tools/hostcheck/hostcheck.c).
 */
#include <errno.h>
#include <stdio.h>

#include "opts.h"
#include "hostcheck.h"
#include "ptsync/watchdog.h"

#define EXIT_INTERNAL	4
#define EXIT_INTERRUPTED 130	/* 128 + SIGINT, as a shell reports Ctrl-C */

int cmd_hostcheck(int argc, char **argv);

static const char hostcheck_usage[] =
"usage: ptsync hostcheck [options]   time membarrier(2) on this kernel while a\n"
"                                    bystander process measures its osnoise\n"
"\n"
"phases: baseline (no call), global_expedited (IPI broadcast),\n"
"        private_expedited (IPIs to our mm only), global (synchronize_rcu)\n"
"\n"
"options (defaults in brackets):\n";

static const char hostcheck_footer[] =
"\n"
"exit status: 0 measured (unsupported commands included), 2 bad usage,\n"
"             3 a side stopped answering, 4 internal error, 130 Ctrl-C\n";

int cmd_hostcheck(int argc, char **argv)
{
	struct hostcheck_config cfg;
	struct hostcheck_result res;
	bool json = false;
	int err;

	hostcheck_config_default(&cfg);
	struct opt opts[] = {
		OPT_NUMBER("seconds", &cfg.seconds_per_mode, 0, 60, true, "S",
			   "time per phase, >0 and at most 60 [1]"),
		OPT_U64_RANGE("threshold-ns", &cfg.threshold_ns, 1, 1000000000, 1, "N",
			      "bystander osnoise threshold, %R [1000]"),
		OPT_U64_RANGE("max-calls", &cfg.max_calls, 1, 10000000, 1, "N",
			      "a phase also ends after N calls, %R [100000]"),
		OPT_BOOLEAN("json", &json, "print the result as one JSON object"),
		OPT_INTEGER("fanout-max-k", &cfg.fanout_max_k, 1, 4095, "N",
			    "fan-out curves up to N targets, %R [usable CPUs - 1]"),
		OPT_CLEAR("no-fanout", &cfg.fanout,
			  "skip the fan-out curves (kernel and model broadcast\n"
			  "cost against K spinning targets, K = 1, 2, 4, ...)"),
		OPT_HELP(),
		OPT_END(),
	};
	const struct opt_cmd cmd = { .name = "hostcheck", .usage = hostcheck_usage,
		.footer = hostcheck_footer, .opts = opts };

	if (opts_parse(&cmd, argc, argv) < 0)
		return 0;

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
