#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ptsync scale: the discrete-event model counts IPIs exactly as the
# real-thread model does.  A scripted scenario (4 CPUs, 10 fallbacks) has
# counts known by hand; a tiny torture run's per-CPU counts must come out of
# the model given the same fallbacks; the model validated against a tiny
# compare must call its IPI counts exact; the files must be there and valid.
# Timing is never asserted.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

bad --cpus scale --cpus=4097
bad --cpus scale --cpus=16,abc
bad --cpus scale --cpus=1
bad --from scale --from=/nonexistent/results.json
bad --callsites scale --callsites=exit
bad --strategies scale --strategies=bogus
bad --counts scale --counts --cpus=3,4 --fallbacks=1
bad --fallbacks scale --fallbacks=3
bad --events scale --events=0
bad --bystander-kernel scale --bystander-kernel=2
bad --tlb scale --tlb=x86
bad --out scale --out=/proc/nonexistent/x
bad --frobnicate scale --frobnicate

# A tiny compare: the costs the model is fed with.
"$PTSYNC" compare --strategies=ipi,rcu,rcu-exp --reps=1 --phase-seconds=0.3 \
	--walk-seconds=0.05 --safety-seconds=0 --hostcheck-seconds=0.1 --no-plots \
	--no-progress --seed=3 --out="$tmp/cmp" >"$tmp/cmp.out" 2>&1
ok $? "a tiny compare for the model's costs exits 0"
from="--from=$tmp/cmp/results.json"

# Scripted: 4 CPUs (freer, 1 walker, 2 bystanders), 10 fallbacks, invlpgb.
# No nohz_full: nothing tracks the bystanders' user mode, so eqs IPIs them
# as rcu-exp does.
"$PTSYNC" scale $from --counts --cpus=4 --walkers=1 --fallbacks=10 --tlb=invlpgb \
	--strategies=ipi,rcu,pt-reclaim,rcu-exp,eqs,flush-ipi >"$tmp/counts" 2>"$tmp/err"
ok $? "scale --counts exits 0"
want="ipi 0 0 ipi 1 10 ipi 2 10 ipi 3 10 rcu 0 0 rcu 1 0 rcu 2 0 rcu 3 0
pt-reclaim 0 0 pt-reclaim 1 0 pt-reclaim 2 0 pt-reclaim 3 0
rcu-exp 0 0 rcu-exp 1 10 rcu-exp 2 10 rcu-exp 3 10 eqs 0 0 eqs 1 10 eqs 2 10 eqs 3 10
flush-ipi 0 0 flush-ipi 1 0 flush-ipi 2 0 flush-ipi 3 0"
got=$(cut -f1,2,4 "$tmp/counts" | tr '\t\n' '  ' | sed 's/ $//')
[ "$got" = "$(echo $want)" ]
ok $? "scripted scenario: exact per-CPU IPI counts (got: $got)"
# ... and with the bystanders nohz_full, neither eqs nor rcu-exp IPIs them.
"$PTSYNC" scale $from --counts --cpus=4 --walkers=1 --fallbacks=10 --tlb=invlpgb \
	--nohz-full --strategies=rcu-exp,eqs >"$tmp/counts-nohz" 2>"$tmp/err"
want="rcu-exp 0 0 rcu-exp 1 10 rcu-exp 2 0 rcu-exp 3 0 eqs 0 0 eqs 1 10 eqs 2 0 eqs 3 0"
got=$(cut -f1,2,4 "$tmp/counts-nohz" | tr '\t\n' '  ' | sed 's/ $//')
[ "$got" = "$want" ]
ok $? "scripted scenario, --nohz-full: exact per-CPU IPI counts (got: $got)"

# The real threads on the same shape: the model, told how many fallbacks
# they took, must give each CPU the IPIs it really received.  Only the
# fallback call site, and no exits (a walker holding the last reference
# would tear the mm down, and fall back, on its own CPU).
for s in ipi rcu-exp rcu; do
	"$PTSYNC" torture --strategy=$s --callsite=fallback --exit-chance=0 --cpus=3 --walkers=1 --bystanders=1 --batch-fail=1 \
		--duration=0.4 --seed=5 --json --no-progress >"$tmp/t.json" 2>/dev/null
	ok $? "torture $s on 3 CPUs exits 0"
	real=$(perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
		print join(" ", $j->{fallbacks}, map { $_->{ipis_received} } @{$j->{per_cpu}})' <"$tmp/t.json")
	fb=${real%% *}
	model=$("$PTSYNC" scale $from --counts --cpus=3 --walkers=1 --fallbacks="$fb" \
		--tlb=invlpgb --strategies=$s | cut -f4 | tr '\n' ' ' | sed 's/ $//')
	[ "$real" = "$fb $model" ]
	ok $? "$s: real threads (fallbacks, IPIs per CPU) '$real' = model '$fb $model'"
done

# Validation against the tiny compare, and the files.
"$PTSYNC" scale $from --cpus=16,64 --events=20 --unshare-tables=8 --no-plots \
	--out="$tmp/scale" >"$tmp/scale.out" 2>&1
ok $? "scale exits 0"
grep -q "bystander IPI counts exact: yes" "$tmp/scale.out"
ok $? "validation: the model's bystander IPI counts equal compare's"
for f in scale.json scale.csv scale.gp scale_fallback.dat; do
	[ -s "$tmp/scale/$f" ]; ok $? "scale wrote $f"
done
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
	exit !(@{$j->{points}} && $j->{params}{hz}{source} && @{$j->{validation}})' \
	<"$tmp/scale/scale.json"
ok $? "scale.json is valid JSON with points, sourced params and the validation"
head -n 1 "$tmp/scale/scale.csv" | grep -q '^site,strategy,cpus,costs'
ok $? "scale.csv has its header"

# recommend: the matrix from the same costs, safe strategies only.
bad --cpus recommend --cpus=5000
bad --from recommend --from=/nonexistent/results.json
bad --json recommend --json=/proc/nonexistent/x.json
"$PTSYNC" recommend $from --cpus=32 --events=20 --json="$tmp/rec.json" >"$tmp/rec.out" 2>&1
ok $? "recommend exits 0"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); exit !(@{$j->{rows}} == 12)' \
	<"$tmp/rec.json"
ok $? "recommend --json: valid JSON, 3 call sites x 4 profiles"
"$PTSYNC" list --tsv | awk -F'\t' '$2 == "unsafe" { print $1 }' >"$tmp/unsafe"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); my %u = map { chomp; $_ => 1 } `cat $ARGV[0]`;
	for my $r (@{$j->{rows}}) { for my $a (qw(disruption latency memory)) {
		next unless $r->{$a}; for (split /=/, $r->{$a}{winner}) { exit 1 if $u{$_} } } }' \
	"$tmp/unsafe" <"$tmp/rec.json"
ok $? "recommend never names a strategy that list --tsv calls unsafe"

done_testing
