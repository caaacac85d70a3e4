#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ptsync compare: structure and accounting, never timing.  A short compare
# must write results.json and results.csv with every promised key; the ipi
# strategy must deliver exactly as many IPIs as it sends, and rcu none at
# all to the bystanders; plots appear when gnuplot is there and a clear
# line says so when it is not.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
short="--reps=1 --phase-seconds=0.5 --walk-seconds=0.1 --safety-seconds=0.3 --hostcheck-seconds=0.1 --no-progress --seed=7"

# shellcheck disable=SC2086
"$PTSYNC" compare $short --out="$tmp/a" >"$tmp/a.out" 2>"$tmp/a.err"
ok $? "compare exits 0"
f="$tmp/a/results.json"
[ -s "$f" ]; ok $? "results.json written"
for key in strategies sync_ns p50 p99 max bystander_ipis bystander_noise_ns walk_ns \
	   raw_walk_ns unmaps_per_s violations host cores kernel cpu_model hostcheck batch_gp_ns; do
	grep -q "\"$key\":" "$f"
	ok $? "results.json has \"$key\""
done
for s in none ipi rcu; do
	grep -q "\"name\":\"$s\"" "$f"; ok $? "results.json has strategy $s"
	grep -q "^$s," "$tmp/a/results.csv"; ok $? "results.csv has a row for $s"
done
head -n 1 "$tmp/a/results.csv" | grep -q '^strategy,baseline,violations,sync_p50_ns'
ok $? "results.csv has its header"

perl -MJSON::PP -e 'local $/; decode_json(<STDIN>)' <"$f"
ok $? "results.json is valid JSON"
field() {	# field STRATEGY KEY: a top-level number of one strategy's object
	perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
		for (@{$j->{strategies}}) { print $_->{$ARGV[1]} if $_->{name} eq $ARGV[0] }' \
		"$1" "$2" <"$f"
}
# Exact counts, for every safe strategy `ptsync list --tsv` names: what a
# bystander (another mm, user mode for the whole phase) is owed by the
# strategy's own declaration, and IPIs sent = received = calls run.
"$PTSYNC" list --tsv >"$tmp/list"
bystander_check() {	# bystander_check RESULTS-DIR NOHZ
	local name verdict bys fb nb got want
	f="$1/results.json"
	while IFS=$'\t' read -r name verdict _ _ _ bys _; do
		[ "$verdict" = safe ] || continue
		fb=$(field "$name" fallbacks); nb=$(field "$name" bystanders)
		got=$(field "$name" bystander_sync_ipis)
		case "$bys" in
		ipi-per-sync) want=$(( ${fb:-0} * ${nb:-0} )) ;;
		ipi-unless-nohz-full) [ "$2" = nohz ] && want=0 || want=$(( ${fb:-0} * ${nb:-0} )) ;;
		*) want=0 ;;
		esac
		ok $(( ${fb:-0} > 0 && ${got:--1} == want ? 0 : 1 )) \
			"$name ($bys${2:+, $2}): $got sync IPIs to the bystander for $fb fallbacks (want $want)"
		sent=$(field "$name" ipis_sent); recv=$(field "$name" ipis_received)
		calls=$(field "$name" calls_sent); run=$(field "$name" calls_run)
		ok $(( ${sent:--1} == ${recv:--2} && ${calls:--1} == ${run:--2} ? 0 : 1 )) \
			"$name: IPIs sent $sent = received $recv, calls sent $calls = run $run"
		[ -n "$2" ] && continue
		v=$(field "$name" violations); ok $(( ${v:-1} == 0 ? 0 : 1 )) "$name: no violations"
		grep -q "^$name " "$1/../$(basename "$1").out" 2>/dev/null || grep -q "^$name " "$tmp/a.out"
		ok $? "the table has a row for $name"
	done <"$tmp/list"
}
bystander_check "$tmp/a"


if command -v gnuplot >/dev/null; then
	for p in sync_cdf bystander_gaps bystander_ipis; do
		[ -s "$tmp/a/$p.png" ]; ok $? "gnuplot present: $p.png rendered"
	done
else
	echo "ok - # SKIP gnuplot not installed here"
fi

# Without gnuplot on PATH: data and script, and one clear line.
mkdir "$tmp/emptybin"
# shellcheck disable=SC2086
PATH="$tmp/emptybin" "$PTSYNC" compare $short --strategies=rcu --no-hostcheck \
	--safety-seconds=0 --out="$tmp/b" >"$tmp/b.out" 2>&1
ok $? "compare without gnuplot still exits 0"
grep -q "gnuplot not found: plots skipped" "$tmp/b.out"; ok $? "... and says gnuplot was not found"
[ -s "$tmp/b/plots.gp" ] && [ -s "$tmp/b/gaps.dat" ] && [ ! -e "$tmp/b/sync_cdf.png" ]
ok $? "... writing plots.gp and the data, no PNG"

# The timerlat meter: periodic wakeups measured, the same accounting.
# shellcheck disable=SC2086
"$PTSYNC" compare $short --noise=timerlat --no-hostcheck --safety-seconds=0 --no-plots \
	--out="$tmp/t" >"$tmp/t.out" 2>&1
ok $? "compare --noise=timerlat exits 0"
f="$tmp/t/results.json"
grep -q '"noise_mode":"timerlat"' "$f"; ok $? "... and says timerlat in results.json"
rt=$(field rcu bystander_noise_ns_per_s)
perl -e 'exit !($ARGV[0] > 0)' "${rt:-0}"; ok $? "... with the bystander's wakeup lateness measured ($rt ns/s)"
by=$(field rcu bystander_ipis); ok $(( ${by:-1} == 0 ? 0 : 1 )) "... and rcu still sends it no IPI"

# --nohz-full: bystanders in user mode sit in an EQS; an expedited grace
# period must leave them alone too.
# shellcheck disable=SC2086
"$PTSYNC" compare $short --nohz-full --no-hostcheck --safety-seconds=0 --no-plots \
	--out="$tmp/n" >"$tmp/n.out" 2>&1
ok $? "compare --nohz-full exits 0"
grep -q '"nohz_full":true' "$tmp/n/results.json"; ok $? "... and says so in results.json"
bystander_check "$tmp/n" nohz

# Ctrl-C: partial results written, exit 130.
"$PTSYNC" compare --no-progress --out="$tmp/c" >"$tmp/c.out" 2>&1 &
pid=$!
sleep 2
kill -INT "$pid"
wait "$pid"
rc=$?
ok $(( rc == 130 ? 0 : 1 )) "Ctrl-C during compare exits 130 (got $rc)"
grep -q '"partial":true' "$tmp/c/results.json"; ok $? "... having written results.json marked partial"

bad --strategies compare --strategies=bogus
bad --reps compare --reps=0
bad --phase-seconds compare --phase-seconds=-2
bad --noise compare --noise=loud
bad --strategy compare --strategy=rcu
bad --cpus compare --cpus=1
done_testing
