#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How often torture catches each unsafe strategy, and how fast: for every
# strategy `ptsync list --tsv` marks unsafe, under each TLB mode where it
# is, RUNS torture runs of SECONDS each with a given set of knobs; prints
# runs that caught it, and the median and worst time to first violation.
#
#   bench/detect.sh [BINARY]                  knobs: "$KNOBS"
#   RUNS=10 SECONDS_EACH=5 KNOBS="--walk-delay=random --sb-window-ns=5000" \
#       bench/detect.sh
#
# The broken twins' bug is a store->load reordering whose real window is
# nanoseconds: run with KNOBS="" to see how rarely bare hardware shows it,
# and with the store-buffer window to see torture catch it.
set -u
BIN=${1:-build/ptsync}
RUNS=${RUNS:-10}
SECS=${SECONDS_EACH:-5}
KNOBS=${KNOBS---walk-delay=random --sb-window-ns=5000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

echo "# $RUNS runs x ${SECS}s each, --batch-fail=1 $KNOBS; $(nproc) host CPUs"
printf '%-14s %-8s %8s %14s %14s\n' strategy tlb caught "first p50 (s)" "first max (s)"
"$BIN" list --tsv | while IFS=$'\t' read -r name verdict _ unsafe_modes _; do
	[ "$verdict" = unsafe ] || continue
	for m in ${unsafe_modes//,/ }; do
		: >"$tmp/firsts"
		caught=0
		for i in $(seq 1 "$RUNS"); do
			# shellcheck disable=SC2086
			"$BIN" torture --json --no-progress --seed="$i" --strategy="$name" \
				--tlb="$m" --batch-fail=1 --duration="$SECS" $KNOBS \
				>"$tmp/out.json" 2>/dev/null
			v=$(grep -o '"violations":[0-9]*' "$tmp/out.json" | head -n 1 | cut -d: -f2)
			if [ "${v:-0}" -gt 0 ]; then
				caught=$((caught + 1))
				grep -o '"first_violation_s":[0-9.]*' "$tmp/out.json" |
					cut -d: -f2 >>"$tmp/firsts"
			fi
		done
		sort -g "$tmp/firsts" -o "$tmp/firsts"
		p50=$(awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }' "$tmp/firsts")
		max=$(tail -n 1 "$tmp/firsts"); [ -n "$max" ] || max=-
		printf '%-14s %-8s %5d/%-3d %14s %14s\n' "$name" "$m" "$caught" "$RUNS" "$p50" "$max"
	done
done
