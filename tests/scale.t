#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ptsync scale: the discrete-event model counts IPIs exactly as the
# real-thread model does.  A scripted scenario (4 CPUs, 10 fallbacks) has
# counts known by hand; a scripted scenario on 8 CPUs (walkers and
# bystanders in and out of the kernel) runs on real threads and in the
# model, and every CPU's count must be equal; a tiny torture run's per-CPU
# counts must come out of the model given the same fallbacks.  On the
# 16-CPU files in tests/data (measured elsewhere, so no timing here is
# this host's) scale must read every fit, predict the held-out fan-out
# points and compare at the held-out core count within 25%, and write its
# anchors.  Timing on this host is never asserted.
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

# Bad input about the files: one line, exit 2, before anything runs.
data=$(dirname "$0")/data/16cpu-2026-12
bad --machine scale --from="$data/compare-results.json" --machine="$data/compare-results.csv"
bad --machine scale --from="$data/compare-results.json" --machine="$data/compare-results.json"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); delete $j->{fanout}{kernel};
	print encode_json($j)' <"$data/hostcheck-1.json" >"$tmp/nokernel.json"
bad --machine scale --from="$data/compare-results.json" --machine="$tmp/nokernel.json"
bad --tlb scale --from="$data/compare-results.json" --tlb=native --out="$tmp/x"
bad --script scale --from="$data/compare-results.json" --script

# The 16-CPU files: every fit read, the held-out predictions, the anchors.
"$PTSYNC" scale --from="$data/compare-results.json" --machine="$data/hostcheck-1.json" \
	--no-plots --out="$tmp/s16" >"$tmp/s16.out" 2>&1
ok $? "scale on the 16-CPU files validates and exits 0"
perl -MJSON::PP -e '
	local $/; open my $f, "<", $ARGV[0]; my $s = decode_json(<$f>);
	my %read = map { $_->{path} => 1 } @{$s->{params}{fits_read}};
	my @miss;
	sub walk { my ($o, $path, $pre) = @_;
		if (ref $o eq "HASH") { walk($o->{$_}, $path eq "" ? $_ : "$path.$_", $pre) for keys %$o }
		elsif (!ref $o && defined $o && $path =~ /(slope|intercept)[^.]*$/ && $path =~ /fanout/) {
			push @miss, "$pre$path" unless $read{"$pre$path"} } }
	for ([$ARGV[1], ""], [$ARGV[2], "machine:"]) {
		open my $g, "<", $_->[0]; walk(decode_json(<$g>), "", $_->[1]) }
	print join(" ", @miss); exit(@miss ? 1 : 0)' \
	"$tmp/s16/scale.json" "$data/compare-results.json" "$data/hostcheck-1.json" >"$tmp/miss"
ok $? "scale read every fan-out fit in the compare file and the machine file (missed: $(cat "$tmp/miss"))"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); my $h = $j->{validation}{fanout_heldout};
	my %c = map { $_->{curve} => 1 } @$h; exit 1 unless $c{model} && $c{kernel} && @$h >= 4;
	for (@$h) { exit 1 unless abs($_->{predicted_ns} - $_->{measured_ns}) <= 0.25 * $_->{measured_ns} }' \
	<"$tmp/s16/scale.json"
ok $? "validation.fanout_heldout: both curves, every held-out K within 25%"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); my %s;
	for (@{$j->{validation}{corecount_heldout}}) {
		$s{$_->{strategy}} = abs($_->{predicted_ns} - $_->{measured_ns}) <= 0.25 * $_->{measured_ns} }
	exit !($s{ipi} && $s{"rcu-exp"})' <"$tmp/s16/scale.json"
ok $? "core count held out: ipi and rcu-exp sync p50 at 16 CPUs from the curve up to K = 4, within 25%"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); my $v = $j->{validation};
	for (@{$v->{strategies}}) { exit 1 if $_->{strategy} eq "ipi" && $_->{sync_p50_ns}{fitted} }
	my ($t) = grep { $_->{strategy} eq "targeted" } @{$v->{strategies}};
	exit !($t->{sync_p50_ns}{fitted} && $j->{tlb} eq "invlpgb" && $j->{validated})' <"$tmp/s16/scale.json"
ok $? "fitted by source: targeted (its scan cost) fitted, ipi (from the fan-out curve) not; tlb taken from the file"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); my $f = $j->{published}{hugetlb_fork_196};
	exit !($f->{unshares} == 1228800 && abs($f->{per_broadcast_ns} - 7161.5) < 1 &&
	       $f->{implied_ns_per_target} > 0 && $f->{ours_kernel_per_broadcast_ns} > 0 &&
	       $f->{ours_total_s}{per_unshare} > 2.475)' <"$tmp/s16/scale.json"
ok $? "the 196-core fork report: 1228800 unshares, 7.16 us per broadcast, the per-target cost and our machine file's figure"
grep -q "per target it implies" "$tmp/s16.out" && grep -q "why a VM's per-target cost is higher" "$tmp/s16.out"
ok $? "the anchors are printed with their arithmetic"

# compare's walkers{} and tlb_flush{} (branch cmp's keys): read, not derived.
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); $j->{config}{tlb} = "native";
	$j->{walkers} = { irqs_off_duty => 0.25, walk_ns_p50 => 300, walk_delay_ns_p50 => 900 };
	$j->{tlb_flush} = { mode => "native", cost_ns_p50 => 7000, per_target_ns => 100, k => 1 };
	print encode_json($j)' <"$data/compare-results.json" >"$tmp/measured.json"
"$PTSYNC" scale --from="$tmp/measured.json" --cpus=16,64 --events=20 --no-plots \
	--out="$tmp/measured" >"$tmp/measured.out" 2>&1
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); my $p = $j->{params};
	exit !($p->{walk_duty}{value} == 0.25 && $p->{walk_duty}{source} eq "walkers.irqs_off_duty" &&
	       $p->{walk_ns}{value} == 300 && $p->{tlb_flush_ns}{value} == 7000 &&
	       $p->{tlb_per_target_ns}{value} == 100 && $j->{tlb} eq "native" &&
	       grep { $_->{path} eq "tlb_flush.per_target_ns" } @{$p->{fits_read}})' <"$tmp/measured/scale.json"
ok $? "walkers.irqs_off_duty, walk_ns_p50 and tlb_flush's cost and per-target fit are read when present"
perl -MJSON::PP -e 'my %l;
	for my $f (@ARGV) { open my $h, "<", $f; local $/; my $j = decode_json(<$h>);
		for (@{$j->{points}}) { $l{$f} = $_->{lat_p50_ns} if $_->{site} eq "fallback" &&
			$_->{strategy} eq "ipi" && $_->{costs} eq "model" && $_->{cpus} == 16 } }
	my $d = $l{$ARGV[0]} - $l{$ARGV[1]}; print $d; exit !($d > 6500 && $d < 7500)' \
	"$tmp/measured/scale.json" "$tmp/s16/scale.json" >"$tmp/d"
ok $? "the measured 7 us flush is in the freer's time (ipi at 16 CPUs, model column: +$(cat "$tmp/d") ns)"

# A file whose fits do not predict: the projection is still written,
# marked unvalidated, and scale exits 1.
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
	$_->{p50_used_ns} *= ($_->{k} > 4 ? 3 : 1) for @{$j->{hostcheck}{fanout}{model}{points}};
	print encode_json($j)' <"$data/compare-results.json" >"$tmp/bent.json"
"$PTSYNC" scale --from="$tmp/bent.json" --cpus=16,64 --events=20 --no-plots --out="$tmp/bent" \
	>"$tmp/bent.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q UNVALIDATED "$tmp/bent.out" &&
	perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); exit !(!$j->{validated} && @{$j->{points}})' \
	<"$tmp/bent/scale.json"
ok $? "a curve the held-out points miss: scale writes the projection marked unvalidated and exits 1 (rc $rc)"

# Every strategy's ops table declares its mechanism: the model takes each
# one (a table left at MECH_NONE, not the baseline, would be refused).
for s in $("$PTSYNC" list --tsv | cut -f1); do
	"$PTSYNC" scale --from="$data/compare-results.json" --counts --cpus=4 --fallbacks=1 \
		--strategies=$s >/dev/null 2>"$tmp/err"
	ok $? "the model takes $s from its ops table's mechanism"
done

# The scripted scenario: real threads and the model, every CPU equal.
all=ipi,rcu,pt-reclaim,rcu-exp,targeted,eqs,flush-ipi
for nohz in "" --nohz-full; do
	"$PTSYNC" scale --from="$data/compare-results.json" --script --fallbacks=20 $nohz \
		--strategies=$all >"$tmp/script" 2>"$tmp/err"
	ok $? "scale --script $nohz: real threads and model agree (exit 0)"
	awk -F'\t' '$5 != $6 { bad++ } END { exit bad > 0 || NR != 56 }' "$tmp/script"
	ok $? "scale --script $nohz: 7 strategies x 8 CPUs, every per-CPU count equal"
	# eqs knows a CPU is in user mode only on a nohz_full CPU: without
	# --nohz-full it interrupts every CPU, as rcu-exp does.
	some="targeted"; [ -n "$nohz" ] && some="targeted eqs"
	for s in $some; do
		awk -F'\t' -v s=$s '$1 == s && $3 > 0 { if ($5 > 0) y++; else n++ } END { exit !(y && n) }' \
			"$tmp/script"
		ok $? "scale --script $nohz: $s interrupts some CPUs, not all"
	done
	[ -n "$nohz" ] || {
		awk -F'\t' '$3 > 0 && ($1 == "eqs" || $1 == "rcu-exp") { n[$1 FS $3] = $5 }
			END { for (k in n) { split(k, a, FS); if (a[1] == "eqs" && n[k] != n["rcu-exp" FS a[2]]) bad++ }
			      exit bad > 0 || !length(n) }' "$tmp/script"
		ok $? "scale --script: without nohz_full eqs interrupts exactly the CPUs rcu-exp does"
	}
done

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

# Validation against the tiny compare, and the files.  This host's timing
# decides the verdict, so either 0 (validated) or 1 (written, unvalidated).
"$PTSYNC" scale $from --cpus=16,64 --events=20 --unshare-tables=8 --no-plots \
	--out="$tmp/scale" >"$tmp/scale.out" 2>&1
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ]
ok $? "scale exits 0 or 1 (got $rc)"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); exit !(($j->{validated} ? 0 : 1) == $ARGV[0])' \
	$rc <"$tmp/scale/scale.json"
ok $? "scale.json's validated agrees with the exit status"
grep -q "bystander IPI counts exact: yes" "$tmp/scale.out"
ok $? "validation: the model's bystander IPI counts equal compare's"
for f in scale.json scale.csv scale.gp scale_fallback.dat; do
	[ -s "$tmp/scale/$f" ]; ok $? "scale wrote $f"
done
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
	exit !(@{$j->{points}} && $j->{params}{hz}{source} && @{$j->{validation}{strategies}})' \
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
