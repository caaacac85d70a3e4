#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How often the blind sweep (torture --sweep) catches each unsafe strategy,
# and how fast: for every strategy `ptsync list --tsv` marks unsafe (`none`
# and each broken twin), RUNS sweep runs of at most SECONDS_EACH seconds
# each (seeds 1..RUNS), at --cpus = the host's cores and at 16 simulated
# CPUs (oversubscribed on a small host: fine for torture, not for timing).
# Prints the runs that caught it, the first violation's p50 and p90 over
# all runs (a run that caught nothing counts as later than SECONDS_EACH,
# printed ">S"), and the TLB mode and arch of each catching interval, which
# must be ones the strategy's list line marks unsafe and not hidden.
# No knob is named: the sweep draws them all (kernel/torture_sweep.c).
#
# EXTRA adds torture options to every run (say --sweep-interval=1, to
# measure what the interval buys; --stop-on-violation is always given: a
# sweep stops at its failing interval anyway, and this ends that interval).
#
#   bench/detect.sh [BINARY]                      (make bench-detect)
#   RUNS=10 SECONDS_EACH=10 CPUS_LIST="2 16" bench/detect.sh build/ptsync
#   EXTRA=--sweep-interval=1 RUNS=10 CPUS_LIST=2 bench/detect.sh
set -u
BIN=${1:-build/ptsync}
RUNS=${RUNS:-10}
SECS=${SECONDS_EACH:-10}
HOST=$(nproc)
CPUS_LIST=${CPUS_LIST:-"$HOST 16"}
EXTRA=${EXTRA:-}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# pct P FILE SECS: the P-th percentile of FILE's values, missing runs as >SECS.
pct() {
	sort -g "$2" | awk -v p="$1" -v n="$RUNS" -v s="$3" '
		{ v[NR] = $1 }
		END { k = int((p * n + 99) / 100); if (k < 1) k = 1;
		      if (k <= NR) printf "%.3f", v[k]; else printf ">%s", s }'
}

echo "# torture --sweep ${EXTRA:+$EXTRA }--stop-on-violation, $RUNS runs of at most ${SECS}s per strategy and CPU count;" \
     "$HOST host CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-19s %5s %7s %10s %10s  %s\n' strategy cpus caught "p50 (s)" "p90 (s)" \
	"caught at tlb/arch: runs"
"$BIN" list --tsv | while IFS=$'\t' read -r name verdict _; do
	[ "$verdict" = unsafe ] || continue
	for cpus in $CPUS_LIST; do
		: >"$tmp/firsts"; : >"$tmp/where"
		caught=0
		for i in $(seq 1 "$RUNS"); do
			# shellcheck disable=SC2086
			"$BIN" torture --sweep --json --seed="$i" --strategy="$name" \
				--cpus="$cpus" --duration="$SECS" --stop-on-violation $EXTRA \
				>"$tmp/out.json" 2>"$tmp/err"
			v=$(grep -o '"violations":[0-9]*' "$tmp/out.json" | head -n 1 | cut -d: -f2)
			[ "${v:-0}" -gt 0 ] || continue
			caught=$((caught + 1))
			grep -o '"first_violation_s":[0-9.]*' "$tmp/out.json" | cut -d: -f2 >>"$tmp/firsts"
			rep=$(grep '^ptsync torture repeat:' "$tmp/err")
			echo "$(echo "$rep" | grep -o -- '--tlb=[a-z]*' | cut -d= -f2)/$(echo "$rep" |
				grep -o -- '--arch=[a-z0-9]*' | cut -d= -f2)" >>"$tmp/where"
		done
		where=$(sort "$tmp/where" | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }')
		printf '%-19s %5s %3d/%-3d %10s %10s  %s\n' "$name" "$cpus" "$caught" "$RUNS" \
			"$(pct 50 "$tmp/firsts" "$SECS")" "$(pct 90 "$tmp/firsts" "$SECS")" "${where:--}"
	done
done
