#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Why this exists: a strategy's price on the walker is a few instructions
# in a walk of a thousand or so, far below what a timer on a shared 2-core
# VM can resolve, so it is counted instead of timed.  Callgrind counts
# instructions exactly, and the same binary gives the same count every run.
#
# For each strategy (walk_insns --list), two callgrind runs of
# `walk_insns --count`, each collecting inside one function only
# (--toggle-collect): bench_walk_protected (gup_fast: IRQs masked, the
# strategy's walk hooks) and bench_walk_raw (gup_fast_raw: the same walk,
# no protection).  Each run's total is then exactly K walks of that kind;
# divided by K it is instructions per walk.  Then the same binary times
# both kinds natively (ns/walk, median of ABAB blocks).
#
#   bench/walk_insns.sh [BINARY]        default build/bench/walk_insns
#   WALKS=K PAGES=N bench/walk_insns.sh
set -eu

BIN=${1:-build/bench/walk_insns}
WALKS=${WALKS:-1000}
PAGES=${PAGES:-16}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# insns STRATEGY FUNCTION: instructions per walk inside FUNCTION.
insns() {
	out="$TMP/callgrind.$1.$2"
	valgrind --tool=callgrind --callgrind-out-file="$out" \
		--toggle-collect="$2" \
		"$BIN" --count --strategy="$1" --walks="$WALKS" --pages="$PAGES" \
		>"$TMP/log" 2>&1 || { cat "$TMP/log" >&2; exit 1; }
	total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out")
	[ -n "$total" ] || total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out")
	[ -n "$total" ] || { echo "walk_insns.sh: no total in $out" >&2; exit 1; }
	echo "$total $WALKS" | awk '{ printf "%.1f", $1 / $2 }'
}

if command -v valgrind >/dev/null 2>&1; then
	echo "# instructions/walk of $PAGES pages (callgrind, $WALKS walks each;" \
	     "exact and repeatable)"
	printf '%-10s %8s %8s %8s\n' strategy protect raw ratio
	for s in $("$BIN" --list); do
		p=$(insns "$s" bench_walk_protected)
		r=$(insns "$s" bench_walk_raw)
		echo "$s $p $r" | awk '{ over = ($2 / $3 > 1.05) ? "  !!! over 1.05" : ""
			printf "%-10s %8.1f %8.1f %8.3f%s\n", $1, $2, $3, $2 / $3, over }'
	done
else
	echo "walk_insns.sh: valgrind not found: skipping instruction counts" \
	     "(install it with: sudo apt-get install -y valgrind)"
fi
"$BIN" --pages="$PAGES"
