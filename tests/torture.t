#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Short torture runs of every strategy.  `none` frees tables with no sync at
# all; if a run of it ever comes back clean, the checker is broken, and this
# test says so.  The safe strategies must come back clean while actually
# taking the fallback the seed changed, IRQs held off for milliseconds too.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
seed=${PTSYNC_SEED:-$(date +%s)}
echo "# seed $seed (PTSYNC_SEED=$seed reproduces the workload)"

run() {	# run NAME ARGS...: torture with --json into $tmp/NAME.json
	local name=$1; shift
	"$PTSYNC" torture --json --no-progress --seed="$seed" "$@" \
		>"$tmp/$name.json" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}

# The checker must catch `none`, with default settings, every run.
run none --strategy=none --duration=10
v=$(json_num "$tmp/none.json" violations)
ok $(( $(cat "$tmp/none.rc") == 1 && ${v:-0} > 0 ? 0 : 1 )) \
	"none: caught, $v violations, exit status $(cat "$tmp/none.rc")"

for s in ipi rcu; do
	for args in "--batch-fail=1" "--batch-fail=0.01" "--batch-fail=1 --walk-delay-ns=2000000"; do
		name="$s$(echo "$args" | tr -c 'a-z0-9' _)"
		# shellcheck disable=SC2086
		run "$name" --strategy=$s --duration=2 $args
		f="$tmp/$name.json"
		rc=$(cat "$tmp/$name.rc")
		v=$(json_num "$f" violations); fb=$(json_num "$f" fallbacks)
		sent=$(json_num "$f" ipis_sent); recv=$(json_num "$f" ipis_received)
		ok $(( rc == 0 && ${v:-1} == 0 && ${fb:-0} > 0 ? 0 : 1 )) \
			"$s $args: 0 violations, $fb fallbacks, exit $rc"
		[ "$rc" -eq 0 ] || sed 's/^/# /' "$tmp/$name.err"
		ok $(( ${sent:--1} == ${recv:--2} ? 0 : 1 )) "$s $args: IPIs sent $sent = received $recv"
		if [ "$s" = rcu ]; then
			ok $(( ${sent:-1} == 0 ? 0 : 1 )) "rcu $args: no IPI at all"
		fi
	done
done

# Every key the issue promises is in the JSON.
for key in strategy walks tables_freed fallbacks syncs ipis_sent ipis_received \
	   grace_periods violations batch_gp_ns; do
	grep -q "\"$key\":" "$tmp/none.json"
	ok $? "json has \"$key\""
done
done_testing
