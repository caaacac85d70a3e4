#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --trace: the file is valid JSON (perl's JSON::PP, then jansson through
# trace-plot), every CPU that ran has events, and every run of compare is
# a process named after its strategy.  A path that cannot be written is
# a usage error before anything runs.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

start=$(date +%s)
bad --trace torture --trace=/nonexistent/dir/t.json --duration=30
bad --trace compare --trace=/proc/nonexistent/t.json
bad --trace torture --trace=
ok $(( $(date +%s) - start <= 5 ? 0 : 1 )) "a bad --trace fails before anything runs"
bad trace-plot trace-plot
bad trace-plot trace-plot --out="$tmp/x.png" "$tmp/none.json"

"$PTSYNC" torture --strategy=ipi --cpus=3 --walkers=1 --bystanders=1 --batch-fail=1 \
	--duration=0.3 --seed=2 --no-progress --trace="$tmp/t.json" >"$tmp/out" 2>"$tmp/err"
ok $? "torture --trace exits 0"
grep -q "trace written to $tmp/t.json" "$tmp/err"
ok $? "torture says where the trace went"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
	my %seen; for (@{$j->{traceEvents}}) { $seen{$_->{tid}}++ if $_->{ph} ne "M" && $_->{pid} == 1 }
	exit !($seen{0} && $seen{1} && $seen{2} && defined $j->{otherData}{dropped})' <"$tmp/t.json"
ok $? "torture trace: valid JSON, events on CPUs 0, 1 and 2, the drop count"
said=$(sed -n 's/.*(\([0-9]*\) events dropped.*/\1/p' "$tmp/err")
infile=$(perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{otherData}{dropped}' <"$tmp/t.json")
ok $(( ${said:--1} == ${infile:--2} ? 0 : 1 )) "the file's dropped count ($infile) is the one stderr gives ($said)"
bad --strategies trace-plot --strategies=bogus --out="$tmp/x.png" "$tmp/t.json"
bad --out trace-plot --out=/proc/nonexistent/x.png "$tmp/t.json"
for ev in "walk (IRQs off)" "IPI sent" "IPI taken" "fallback: sync + free" "TLB flush"; do
	grep -q "\"name\":\"$ev\"" "$tmp/t.json"
	ok $? "torture trace has '$ev' events"
done

"$PTSYNC" compare --strategies=ipi,rcu --reps=1 --phase-seconds=0.3 --walk-seconds=0.05 \
	--safety-seconds=0 --no-hostcheck --no-plots --no-progress --seed=2 \
	--out="$tmp/cmp" --trace="$tmp/c.json" >"$tmp/out" 2>"$tmp/err"
ok $? "compare --trace exits 0"
# One decode of the trace (JSON::PP takes seconds on it) for both checks:
# prints "RUNS IPI", each 0 for pass, 1 for fail.
r=$(perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); my (%name, %ev);
	for (@{$j->{traceEvents}}) {
		if ($_->{ph} eq "M" && $_->{name} eq "process_name") { $name{$_->{pid}} = $_->{args}{name} }
		elsif ($_->{ph} ne "M") { $ev{$_->{pid}}{$_->{tid}}++ } }
	my @runs = grep { $_ } keys %name; my %s = map { ($name{$_} =~ /: (\S+)$/)[0] => 1 } @runs;
	my ($ipi) = grep { $name{$_} =~ /: ipi$/ } sort { $a <=> $b } @runs;
	print $s{none} && $s{ipi} && $s{rcu} ? 0 : 1, " ",
		$ipi && $ev{$ipi}{0} && $ev{$ipi}{1} ? 0 : 1' <"$tmp/c.json")
ok "${r% *}" "compare trace: valid JSON, a process per run, named none, ipi, rcu"
ok "${r#* }" "compare trace: ipi's cost run has events on the freer and the bystander"

if command -v gnuplot >/dev/null 2>&1; then
	"$PTSYNC" trace-plot --out="$tmp/timeline.png" "$tmp/c.json" >"$tmp/out" 2>&1
	ok $? "trace-plot (jansson) reads the trace and draws it"
	[ -s "$tmp/timeline.png" ] && [ -s "$tmp/timeline_0.dat" ]
	ok $? "trace-plot wrote the PNG and its data"
else
	echo "# gnuplot not found: trace-plot not run"
fi

done_testing
