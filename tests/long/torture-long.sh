#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The long torture matrix (make torture-long): every safe strategy for
# DURATION seconds (default 60) at --batch-fail=1 and 0.01, and with IRQs
# held off for 2 ms per walk; `none` once, which must fail.  TAP output.
. "$(dirname "$0")/../tap.sh"
dur=${DURATION:-60}
seed=${PTSYNC_SEED:-$(date +%s)}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "# seed $seed, $dur s per run"

for s in ipi rcu; do
	for args in "--batch-fail=1" "--batch-fail=0.01" \
		    "--batch-fail=1 --walk-delay-ns=2000000" \
		    "--batch-fail=0.01 --walk-delay-ns=2000000"; do
		# shellcheck disable=SC2086
		"$PTSYNC" torture --json --no-progress --seed="$seed" --strategy=$s \
			--duration="$dur" $args >"$tmp/out.json" 2>"$tmp/err"
		rc=$?
		v=$(json_num "$tmp/out.json" violations)
		fb=$(json_num "$tmp/out.json" fallbacks)
		ok $(( rc == 0 && ${v:-1} == 0 && ${fb:-0} >= 1000 ? 0 : 1 )) \
			"$s $args: ${dur}s, violations $v, fallbacks $fb, exit $rc"
	done
done
"$PTSYNC" torture --json --no-progress --seed="$seed" --strategy=none \
	--duration=10 >"$tmp/out.json" 2>"$tmp/err"
rc=$?
v=$(json_num "$tmp/out.json" violations)
ok $(( rc == 1 && ${v:-0} > 0 ? 0 : 1 )) "none: 10 s, $v violations, exit $rc"
done_testing
