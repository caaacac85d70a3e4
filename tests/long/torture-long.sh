#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The long torture matrix (make torture-long): every safe strategy that
# `ptsync list --tsv` names, for DURATION seconds (default 60) each, at
# --batch-fail=1 and 0.01, under every TLB mode it supports, with random
# IRQs-off walk delays and the store-buffer window; each must take the
# fallback at least 1000 times with no violation.  Every unsafe one once,
# 10 s, under each mode where it is unsafe: it must be caught.  TAP output.
. "$(dirname "$0")/../tap.sh"
dur=${DURATION:-60}
seed=${PTSYNC_SEED:-$(date +%s)}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "# seed $seed, $dur s per run"
teeth="--walk-delay=random --sb-window-ns=5000"

"$PTSYNC" list --tsv >"$tmp/list"
while IFS=$'\t' read -r name verdict modes unsafe_modes _; do
	if [ "$verdict" = unsafe ]; then
		for m in ${unsafe_modes//,/ }; do
			# shellcheck disable=SC2086
			"$PTSYNC" torture --json --no-progress --seed="$seed" --strategy="$name" \
				--tlb="$m" --batch-fail=1 $teeth --duration=10 >"$tmp/out.json" 2>"$tmp/err"
			rc=$?
			v=$(json_num "$tmp/out.json" violations)
			t=$(json_num "$tmp/out.json" first_violation_s)
			ok $(( rc == 1 && ${v:-0} > 0 ? 0 : 1 )) \
				"$name --tlb=$m: 10 s, $v violations, first after ${t}s, exit $rc"
		done
		continue
	fi
	for m in ${modes//,/ }; do
		for bf in 1 0.01; do
			# shellcheck disable=SC2086
			"$PTSYNC" torture --json --no-progress --seed="$seed" --strategy="$name" \
				--tlb="$m" --batch-fail="$bf" $teeth --duration="$dur" \
				>"$tmp/out.json" 2>"$tmp/err"
			rc=$?
			v=$(json_num "$tmp/out.json" violations)
			fb=$(json_num "$tmp/out.json" fallbacks)
			ok $(( rc == 0 && ${v:-1} == 0 && ${fb:-0} >= 1000 ? 0 : 1 )) \
				"$name --tlb=$m --batch-fail=$bf: ${dur}s, violations $v, fallbacks $fb, exit $rc"
		done
	done
done <"$tmp/list"
done_testing
