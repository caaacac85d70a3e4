#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ptsync hostcheck: the host kernel's own IPI-vs-synchronize_rcu trade-off,
# measured with membarrier(2).  This checks structure and accounting, never
# timing: every key is there, the numbers add up, a command is "supported"
# exactly when the kernel's own MEMBARRIER_CMD_QUERY (asked here, from perl,
# not through ptsync) says so, and an unsupported one (a seccomp'd container)
# is reported as unsupported rather than measured or failed.  Then Ctrl-C
# and bad options.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# The kernel's answer to MEMBARRIER_CMD_QUERY, independent of ptsync:
# a mask, -1 if the call fails, empty if we do not know the syscall number.
case $(uname -m) in
x86_64)			nr=324 ;;
aarch64|riscv64)	nr=283 ;;
*)			nr= ;;
esac
query=
[ -n "$nr" ] && query=$(perl -e 'print syscall('"$nr"', 0, 0, 0)')
echo "# kernel MEMBARRIER_CMD_QUERY: ${query:-unknown}"
cpus=$(nproc)
# Function-call IPIs per CPU, which hostcheck counts for the bystander's CPU.
have_cal=0
grep -q "Function call interrupts" /proc/interrupts 2>/dev/null && have_cal=1

# check FILE MAX_CALLS: the JSON's structure and accounting, one
# "STATUS DESCRIPTION" line per check (0 = pass), for ok().
check() {
	QUERY=$query CPUS=$cpus MAX_CALLS=$2 HAVE_CAL=$have_cal perl -MJSON::PP -e '
use strict; use warnings;
my @out;
sub t { push @out, ($_[0] ? 0 : 1) . " $_[1]" }
my $txt = do { local $/; open my $fh, "<", $ARGV[0] or die; <$fh> };
my $j = eval { JSON::PP->new->decode($txt) };
t(ref $j eq "HASH", "output is one JSON object");
if (ref $j ne "HASH") { print "$_\n" for @out; exit }
for my $k (qw(caller_cpu bystander_cpu same_core gp_ipi_ratio modes threshold_ns)) {
	t(exists $j->{$k}, "top-level key \"$k\"");
}
my $same = $j->{same_core} ? 1 : 0;
t($same == ($j->{caller_cpu} == $j->{bystander_cpu} ? 1 : 0),
  "same_core=$same iff caller CPU $j->{caller_cpu} == bystander CPU $j->{bystander_cpu}");
t($same == ($ENV{CPUS} == 1 ? 1 : 0), "same_core=$same with $ENV{CPUS} usable CPU(s)");
my %bit = (global_expedited => 2 | 4, private_expedited => 8 | 16, global => 1);
my $q = $ENV{QUERY} // "";
my $thr = $j->{threshold_ns};
for my $m (qw(baseline global_expedited private_expedited global)) {
	my $r = $j->{modes}{$m};
	t(ref $r eq "HASH", "mode $m present");
	next unless ref $r eq "HASH";
	my $miss = join " ", grep { !exists $r->{$_} } qw(p50_ns p99_ns max_ns calls supported bystander);
	t($miss eq "", "$m has p50_ns p99_ns max_ns calls supported bystander" . ($miss ? " (missing: $miss)" : ""));
	my $b = $r->{bystander} // {};
	$miss = join " ", grep { !exists $b->{$_} } qw(gaps noise_ns max_gap_ns noise_ns_per_s runtime_ns ipis);
	t($miss eq "", "$m bystander has gaps noise_ns max_gap_ns noise_ns_per_s runtime_ns ipis" . ($miss ? " (missing: $miss)" : ""));
	next if $miss ne "";
	my $sup = $r->{supported} ? 1 : 0;
	my $want_ipis = ($sup && $ENV{HAVE_CAL}) ? 0 : -1;	# lowest allowed
	t($b->{ipis} =~ /^-?\d+$/ && $b->{ipis} >= $want_ipis && ($sup || $b->{ipis} == -1),
	  "$m: bystander ipis $b->{ipis}: a count" . ($want_ipis < 0 ? ", or -1 (not measured/unknown)" : " (/proc/interrupts has them)"));
	if ($m eq "baseline") {
		t($sup && $r->{calls} == 0 && $r->{p50_ns} == 0 && $r->{max_ns} == 0,
		  "baseline: supported, calls $r->{calls} = 0, no latency");
	} elsif ($q ne "" && $q >= 0) {
		my $want = (($q & $bit{$m}) == $bit{$m}) ? 1 : 0;
		t($sup == $want, "$m: supported=$sup as the kernel query says ($want)");
	} elsif ($q ne "") {
		t(!$sup, "$m: supported=$sup with membarrier unavailable (query $q)");
	}
	if ($m ne "baseline" && $sup) {
		t($r->{calls} > 0 && $r->{calls} <= $ENV{MAX_CALLS},
		  "$m: $r->{calls} calls, at least 1 and at most --max-calls=$ENV{MAX_CALLS}");
		t($r->{p50_ns} > 0 && $r->{p50_ns} <= $r->{p99_ns} && $r->{p99_ns} <= $r->{max_ns},
		  "$m: 0 < p50 $r->{p50_ns} <= p99 $r->{p99_ns} <= max $r->{max_ns}");
	} elsif (!$sup) {
		t($r->{calls} == 0 && $r->{p50_ns} == 0 && $b->{runtime_ns} == 0 &&
		  defined $r->{why_unsupported} && $r->{why_unsupported} ne "",
		  "$m: unsupported, no calls, not measured, says why: " . ($r->{why_unsupported} // "nothing"));
	}
	if ($sup) {
		t($b->{runtime_ns} > 0, "$m: the bystander measured ($b->{runtime_ns} ns)");
	}
	my ($g, $n, $mx, $rt) = @$b{qw(gaps noise_ns max_gap_ns runtime_ns)};
	t($g ? ($mx > $thr && $mx <= $n && $n <= $g * $mx) : ($n == 0 && $mx == 0),
	  "$m: $g gaps add up: threshold $thr < max gap $mx <= noise $n <= gaps x max");
	t($n <= $rt || !$sup, "$m: noise $n ns within the measured $rt ns");
	my $rate = $rt ? $n * 1e9 / $rt : 0;
	t(abs($b->{noise_ns_per_s} - $rate) <= 0.1 + 1e-6 * $rate,
	  "$m: noise_ns_per_s $b->{noise_ns_per_s} = noise / runtime ($rate)");
}
my ($ge, $gl) = @{$j->{modes}}{qw(global_expedited global)};
if ($ge->{supported} && $gl->{supported}) {
	my $want = $gl->{p50_ns} / $ge->{p50_ns};
	t(abs($j->{gp_ipi_ratio} - $want) <= 0.001 * $want + 0.001,
	  "gp_ipi_ratio $j->{gp_ipi_ratio} = global p50 / global_expedited p50 ($want)");
} else {
	t($j->{gp_ipi_ratio} == 0, "gp_ipi_ratio $j->{gp_ipi_ratio} = 0: a side unsupported");
}
print "$_\n" for @out;
' "$1"
}

oks() {	# oks PREFIX: feed check's lines to ok()
	while read -r st desc; do ok "$st" "$1$desc"; done
}

# The fan-out curves: structure and exact model counts, never timing.
# check_fanout FILE MAXK: MAXK is the usable CPUs - 1 (0: no target CPU).
check_fanout() {
	MAXK=$2 perl -MJSON::PP -e '
use strict; use warnings;
my @out;
sub t { push @out, ($_[0] ? 0 : 1) . " $_[1]" }
my $j = eval { local $/; open my $fh, "<", $ARGV[0] or die; JSON::PP->new->decode(<$fh>) };
my $fo = ref $j eq "HASH" ? $j->{fanout} : undef;
t(ref $fo eq "HASH", "JSON has a fanout object");
if (ref $fo ne "HASH") { print "$_\n" for @out; exit }
t($fo->{max_k} == $ENV{MAXK}, "fanout max_k $fo->{max_k} = usable CPUs - 1 ($ENV{MAXK})");
my $ge = $j->{modes}{global_expedited}{supported};
for my $side (qw(kernel model)) {
	my $c = $fo->{$side};
	t(ref $c eq "HASH" && exists $c->{measured} && ref $c->{points} eq "ARRAY" && ref $c->{fit} eq "HASH",
	  "$side: measured, points, fit");
	next unless ref $c eq "HASH" && ref $c->{points} eq "ARRAY";
	my @p = @{$c->{points}};
	if ($ENV{MAXK} == 0 || ($side eq "kernel" && !$ge)) {
		t(!$c->{measured} && !@p && defined $c->{why_not} && $c->{why_not} ne "",
		  "$side: not measured, says why: " . ($c->{why_not} // "nothing"));
		next;
	}
	t($c->{measured} && @p >= 1, "$side: measured, " . scalar(@p) . " value(s) of K");
	my @k = map { $_->{k} } @p;
	my $want = join ",", (map { 2 ** $_ } grep { 2 ** $_ < $ENV{MAXK} } 0 .. 12), $ENV{MAXK};
	t(join(",", @k) eq $want, "$side: K = " . join(",", @k) . " (want $want)");
	for my $p (@p) {
		t($p->{calls} > 0 && $p->{p50_ns} > 0 && $p->{p50_ns} <= $p->{p99_ns},
		  "$side K=$p->{k}: $p->{calls} calls, 0 < p50 $p->{p50_ns} <= p99 $p->{p99_ns}");
		t($p->{p50_estimated} ? ($side eq "kernel" && $p->{reached} > 0 && $p->{reached} < 0.9 &&
		    $p->{p50_used_ns} >= $p->{p50_ns}) : $p->{p50_used_ns} == $p->{p50_ns},
		  "$side K=$p->{k}: p50 used $p->{p50_used_ns}: the p50, or (kernel, reached < 0.9) an estimate above it");
		if ($side eq "model") {
			# One signal per target per call: each call is waited for, so
			# every target queue is empty when the next one comes.
			t($p->{target_ipis} == $p->{calls} * $p->{k} && $p->{reached} == 1,
			  "model K=$p->{k}: targets took $p->{target_ipis} IPIs = calls x K, reached 1");
		} else {
			t($p->{target_ipis} >= -1 && ($p->{target_ipis} < 0 ? $p->{reached} == -1 :
			  abs($p->{reached} - $p->{target_ipis} / ($p->{calls} * $p->{k})) < 1e-3),
			  "kernel K=$p->{k}: reached $p->{reached} = target IPIs / (calls x K), or -1");
		}
	}
	my $f = $c->{fit};
	if (@p >= 2) {
		t($f->{ok} && defined $f->{slope_ns_per_target} && defined $f->{intercept_ns},
		  "$side: fitted over " . scalar(@p) . " K: slope $f->{slope_ns_per_target}");
	} else {
		t(!$f->{ok} && !defined $f->{slope_ns_per_target} && !defined $f->{intercept_ns},
		  "$side: one K, so no slope (null), not a made-up one");
	}
}
print "$_\n" for @out;
' "$1"
}
"$PTSYNC" hostcheck --seconds=0.3 --json >"$tmp/hc.json" 2>"$tmp/hc.err"
rc=$?
ok $rc "hostcheck --seconds=0.3 --json exits 0 (got $rc)"
[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/hc.err"
oks "" < <(check "$tmp/hc.json" 100000)

# The call budget ends a phase.
"$PTSYNC" hostcheck --seconds=0.2 --max-calls=3 --json >"$tmp/mc.json" 2>"$tmp/mc.err"
ok $? "hostcheck --max-calls=3 --json exits 0"
oks "max-calls=3: " < <(check "$tmp/mc.json" 3)

# The table names every mode; an unsupported one says so, a supported one does not.
"$PTSYNC" hostcheck --seconds=0.1 >"$tmp/hc.txt" 2>"$tmp/hc.txt.err"
ok $? "hostcheck --seconds=0.1 (text) exits 0"
for m in baseline global_expedited private_expedited global; do
	line=$(grep "^$m " "$tmp/hc.txt")
	sup=$(perl -MJSON::PP -0777 -ne 'print JSON::PP->new->decode($_)->{modes}{'"$m"'}{supported} ? 1 : 0' \
		"$tmp/hc.json" 2>/dev/null)
	if [ "$sup" = 0 ]; then
		echo "$line" | grep -q unsupported
		ok $? "text: $m says unsupported: $line"
	else
		[ -n "$line" ] && ! echo "$line" | grep -q unsupported
		ok $? "text: $m has a row of numbers: $line"
	fi
done

# One usable CPU: both sides share it, and the output says so.
if command -v taskset >/dev/null; then
	first=$(perl -MJSON::PP -0777 -ne 'print JSON::PP->new->decode($_)->{caller_cpu}' "$tmp/hc.json")
	taskset -c "${first:-0}" "$PTSYNC" hostcheck --seconds=0.1 --json >"$tmp/one.json" 2>/dev/null
	ok $? "taskset -c ${first:-0}: exits 0"
	oks "one CPU: " < <(cpus=1 check "$tmp/one.json" 100000)
	oks "one CPU fan-out: " < <(check_fanout "$tmp/one.json" 0)
	taskset -c "${first:-0}" "$PTSYNC" hostcheck --seconds=0.1 >"$tmp/one.txt" 2>/dev/null
	grep -q "only 1 usable host CPU" "$tmp/one.txt"
	ok $? "one CPU: the text output says both sides share it"
else
	ok 0 "one CPU # SKIP taskset not installed"
fi

maxk=$(( cpus - 1 ))
oks "fan-out: " < <(check_fanout "$tmp/hc.json" "$maxk")
grep -q "^fan-out:" "$tmp/hc.txt"; ok $? "text: a fan-out block"
if [ "$maxk" -lt 2 ]; then
	grep -q "unavailable: measured at K = 1 only" "$tmp/hc.txt"
	ok $? "text: K max $maxk: the per-target cost is said to be unavailable"
fi
"$PTSYNC" hostcheck --seconds=0.1 --no-fanout --json >"$tmp/nf.json" 2>/dev/null
ok $? "hostcheck --no-fanout exits 0"
grep -q '"fanout":null' "$tmp/nf.json"; ok $? "... and its fanout is null"

# Ctrl-C: the caller stops, kills and reaps the bystander, exits 130.
"$PTSYNC" hostcheck --seconds=5 >/dev/null 2>"$tmp/int.err" &
pid=$!
child=
for _ in $(seq 100); do
	child=$(grep -l "^PPid:[[:space:]]*$pid\$" /proc/[0-9]*/status 2>/dev/null |
		head -n 1 | cut -d/ -f3)
	[ -n "$child" ] && break
	sleep 0.05
done
ok $(( ${child:-0} > 0 ? 0 : 1 )) "Ctrl-C: the bystander process ${child:-?} is running"
sleep 0.3
kill -INT "$pid"
wait "$pid"
rc=$?
ok $(( rc == 130 ? 0 : 1 )) "Ctrl-C: exit status $rc (130)"
grep -q interrupted "$tmp/int.err"
ok $? "Ctrl-C: says interrupted: $(head -c 150 "$tmp/int.err")"
[ -n "$child" ] && [ ! -e "/proc/$child" ]
ok $? "Ctrl-C: the bystander ${child:-?} is gone"

# Bad input: one line naming the option and what it accepts, exit status 2.
bad --seconds hostcheck --seconds=0
bad --seconds hostcheck --seconds=61
bad --seconds hostcheck --seconds=-1
bad --seconds hostcheck --seconds=abc
bad --seconds hostcheck --seconds=
bad --seconds hostcheck --seconds=nan
bad --seconds hostcheck --seconds
bad --threshold-ns hostcheck --threshold-ns=0
bad --threshold-ns hostcheck --threshold-ns=1000000001
bad --threshold-ns hostcheck --threshold-ns=1us
bad --max-calls hostcheck --max-calls=0
bad --max-calls hostcheck --max-calls=-5
bad --json hostcheck --json=yes
bad --fanout-max-k hostcheck --fanout-max-k=0
bad --fanout-max-k hostcheck --fanout-max-k=4096
bad --fanout-max-k hostcheck --fanout-max-k=two
bad --frobnicate hostcheck --frobnicate
bad extra hostcheck extra
bad hostcheck bogus

"$PTSYNC" hostcheck --help >"$tmp/help" 2>&1
ok $? "hostcheck --help exits 0"
grep -q -- --max-calls "$tmp/help"
ok $? "hostcheck --help lists the options"
done_testing
