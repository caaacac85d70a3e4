#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the emulated store buffer costs the freer: the same torture run
# (a hugetlb-unshare workload, INVLPGB, 3 mms, 5 us walks, 2 s, one seed)
# with --sb-window-ns at 0 and at each window the sweep draws, and the
# freer's events in each.  Every fence and locked operation of the freer
# waits out the oldest buffered store, so a window slows the freer: this
# is why torture --sweep shuts the window one interval in four
# (kernel/torture_sweep.c).  Not a test: figures only.
#
#   bench/sb_window_cost.sh [BINARY]
set -u
BIN=${1:-build/ptsync}
echo "# $BIN torture --strategy=targeted-v4 --tlb=invlpgb --mms=3 --walk-delay=5us" \
     "--batch-fail=1 --duration=2 --seed=5 --sb-window-ns=N; $(nproc) host CPUs;" \
     "$(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-14s %10s %10s %10s %12s\n' sb-window-ns unshares collapses fallbacks walks
for w in 0 5000 20000 50000; do
	"$BIN" torture --strategy=targeted-v4 --tlb=invlpgb --mms=3 --walk-delay=5us \
		--batch-fail=1 --duration=2 --seed=5 --sb-window-ns="$w" --json --no-progress \
		2>/dev/null | W=$w perl -MJSON::PP -ne '
		my $j = decode_json($_);
		printf "%-14s %10d %10d %10d %12d\n", $ENV{W}, $j->{callsites}{unshare}{events},
			$j->{callsites}{collapse}{events}, $j->{fallbacks}, $j->{walks}'
done
